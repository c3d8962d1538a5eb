"""The ``try-it`` and ``how-to-run`` directives: where the notebooks come from.

    ```{try-it} 04_update_rules
    ```

Open edition: a download of the student version that nbgrader released
(``release/<assignment>/<assignment>.ipynb``, written by ``make release``;
never the instructor's source in exercises/, which holds the solutions),
and how to run the full hidden checks on one's own work. Class edition:
the assignment is fetched from the course's JupyterHub (launch.py), and
the site offers no copy (the capstone's release contains reference pieces
of the earlier assignments).

    ```{how-to-run}
    ```

prints what every page notebook says at its top (launch.py): the one
install line that makes a fresh environment run any chapter, and, in the
open edition, how to run the hidden checks on one's own assignment.
"""
from __future__ import annotations

import os
import pathlib

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

import launch


class TryIt(SphinxDirective):
    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        assignment = self.arguments[0]
        root = pathlib.Path(self.env.srcdir)
        notebook = root / "release" / assignment / f"{assignment}.ipynb"
        if not (root / "exercises" / assignment).is_dir():
            raise self.error(f"try-it: no assignment {assignment!r} in exercises/")
        if self.config.course_edition == "class":
            targets = launch.Targets.from_theme_options(self.config.html_theme_options)
            text = (f"Your instructor releases this assignment, `{assignment}`, on the "
                    f"[course's JupyterHub]({targets.hub}): fetch it there, work in it, and "
                    "submit it as they explain. The checks under each part tell you whether "
                    "your code behaves; the hidden checks run when your submission is graded.")
        else:
            if not notebook.exists():
                raise self.error(f"try-it: {notebook} is missing: run `make release`")
            here = (root / self.env.docname).parent
            link = os.path.relpath(notebook, here)
            text = (f"{{download}}`Download the assignment notebook <{link}>` and open it in "
                    "Jupyter: it needs only numpy, and the checks under each part tell you "
                    "whether your code behaves.\n\n"
                    + launch.check_paragraph().replace("PATH/TO/NOTEBOOK.ipynb",
                                                       f"PATH/TO/{assignment}.ipynb"))
        container = nodes.container(classes=["try-it"])
        self.state.nested_parse(StringList(text.splitlines(), source=self.env.docname),
                                self.content_offset, container)
        return [container]


class HowToRun(SphinxDirective):
    def run(self) -> list[nodes.Node]:
        targets = launch.Targets.from_theme_options(self.config.html_theme_options)
        text = launch.how_to_run(targets, self.config.course_edition,
                                 pathlib.Path(self.env.srcdir))
        container = nodes.container(classes=["how-to-run"])
        self.state.nested_parse(StringList(text.splitlines(), source=self.env.docname),
                                self.content_offset, container)
        return [container]
