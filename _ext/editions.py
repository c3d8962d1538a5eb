"""Two editions of the book from one source.

- ``open`` (the default): for self-study; the chapters print the
  reference code of the functions the assignments grade.
- ``class``: for a course that grades the assignments; every graded
  function (see graded.py: derived from the nbgrader source notebooks)
  appears as its signature and docstring, with a note that the reference
  is published after the deadline. Nothing else changes.

The switch is the environment variable ``COURSE_EDITION``; ``make book
EDITION=class`` sets it and builds into ``_build/class/``. Both editions
share one executed-notebook cache (``_build/.jupyter_cache``): the class
edition changes no code cell, so its build executes nothing that the open
edition has already run.

What the class edition does:

1. ``literalinclude`` with ``:pyobject:`` naming a graded function prints
   the stub; any other include that contains a graded body is an error
   (include the function by ``:pyobject:`` so that it can be stubbed).
2. The page notebooks offered for download are rebuilt with the same
   rule (page_notebooks.py).
3. The "Try it" sections send students to the course's JupyterHub instead
   of offering the released notebooks (try_it.py): the capstone's release
   hands out reference pieces of the earlier assignments.
4. After the build, every text file of the output (pages, ``_sources``,
   the search index, downloads, notebooks) is searched for graded bodies;
   one found fails the build, and so do placeholder launch targets.
"""
from __future__ import annotations

import functools
import os
import pathlib

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.directives.code import LiteralInclude
from sphinx.errors import ExtensionError
from sphinx.util import logging

import graded
import launch

EDITIONS = ("open", "class")
ENV_VAR = "COURSE_EDITION"
STUB_NOTE = "the reference is published after the deadline"
logger = logging.getLogger(__name__)


def edition_from_env() -> str:
    edition = os.environ.get(ENV_VAR, "open")
    if edition not in EDITIONS:
        raise ExtensionError(f"{ENV_VAR}={edition!r}: the edition must be one of {EDITIONS}")
    return edition


@functools.lru_cache(maxsize=None)
def bodies(root: str) -> tuple[graded.GradedBody, ...]:
    return tuple(graded.graded_bodies(pathlib.Path(root)))


def note_text(qualname: str, assignment: str) -> str:
    return (f"You write `{qualname}` in assignment {assignment}: its reference code is "
            f"published after the deadline. The signature and docstring above are the "
            f"specification; the equations are in the text.")


def class_view(text: str, pyobject: str | None, where: str, edition: str,
               root: pathlib.Path) -> tuple[str, str | None]:
    """What an included piece of code becomes in an edition: (code, note or None).

    In the class edition a graded function (by ``:pyobject:``) becomes its
    stub with a note; any other include that contains a graded body is an
    error, since it cannot be reduced to a stub.
    """
    if edition != "class":
        return text, None
    found = bodies(str(root))
    names = graded.graded_names(found)
    if pyobject in names:
        return graded.stub(text, STUB_NOTE), note_text(pyobject, names[pyobject])
    leaks = graded.Detector(found).leaks_in_text(text, where)
    if leaks:
        raise ValueError(f"class edition: this include shows graded code ({leaks[0]}); "
                         "include that function by :pyobject: so it can be reduced to its stub")
    return text, None


class CourseLiteralInclude(LiteralInclude):
    """literalinclude, with graded functions reduced to their stubs in the class edition."""

    def run(self) -> list[nodes.Node]:
        result = super().run()
        env = self.state.document.settings.env
        if env.config.course_edition != "class":
            return result
        notes = []
        for block in [n for node in result for n in node.findall(nodes.literal_block)]:
            try:
                text, note = class_view(block.astext(), self.options.get("pyobject"),
                                        self.arguments[0], "class", pathlib.Path(env.srcdir))
            except ValueError as err:
                raise self.error(str(err)) from err
            block.children = [nodes.Text(text)]
            block.rawsource = text
            if note:
                admonition = nodes.note()
                self.state.nested_parse(StringList([note]), self.content_offset, admonition)
                notes.append(admonition)
        return result + notes


def check_targets(app, config) -> None:
    """Placeholder launch targets: dropped in the open edition, fatal in the class edition."""
    options = config.html_theme_options
    targets = launch.Targets.from_theme_options(options)
    if config.course_edition == "class":
        missing = targets.placeholders()
        if missing:
            raise ExtensionError(
                "class edition: the launch targets in _config.yml are still placeholders: "
                + "; ".join(missing) + ". Set them to your course's repository and "
                "JupyterHub (README, 'Editions of the book').")
        return
    buttons = dict(options.get("launch_buttons") or {})
    if not targets.repository_is_set:
        for key in ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url"):
            buttons[key] = ""
    elif not targets.hub_is_set:
        buttons["jupyterhub_url"] = ""
    options["launch_buttons"] = buttons


def share_execution_cache(app, config) -> None:
    """One jupyter-cache for both editions, wherever the output goes."""
    if not config.nb_execution_cache_path:
        config.nb_execution_cache_path = str(
            pathlib.Path(app.srcdir) / "_build" / ".jupyter_cache")


def guard_output(app, exception) -> None:
    """Fail a class-edition build whose output contains a graded body."""
    if exception is not None or app.config.course_edition != "class":
        return
    if app.builder.format != "html":
        return
    leaks = graded.Detector(bodies(str(app.srcdir))).leaks_in_tree(pathlib.Path(app.outdir))
    if leaks:
        for leak in leaks[:20]:
            logger.error(f"class edition shows graded code: {leak}")
        raise ExtensionError(f"class edition: {len(leaks)} graded bodies appear in "
                             f"{app.outdir} (first: {leaks[0]})")


def setup(app) -> None:
    app.add_config_value("course_edition", edition_from_env(), "env", [str])
    app.add_directive("literalinclude", CourseLiteralInclude, override=True)
    app.connect("config-inited", share_execution_cache)
    app.connect("config-inited", check_targets)
    app.connect("config-inited", _check_edition)


def _check_edition(app, config) -> None:
    if config.course_edition not in EDITIONS:
        raise ExtensionError(f"course_edition={config.course_edition!r}: "
                             f"must be one of {EDITIONS}")
    app.tags.add(f"edition_{config.course_edition}")
