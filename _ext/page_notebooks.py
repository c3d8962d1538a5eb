"""The notebook of a chapter, as a reader downloads or launches it.

A chapter is a MyST markdown notebook. Outside the book its directives are
plain text, so the notebook a reader gets is rewritten from it:

- a cell under the title says how to run it in a fresh environment (the
  one install line, launch.py) and, in the open edition, how to run the
  hidden checks on one's own assignment;
- every ``literalinclude`` becomes a Python code block with the code the
  page shows (read by Sphinx's own reader), so in the class edition a
  graded function is its stub (editions.py).

Two copies are made of it: the download of every page
(``_sources/<page>.ipynb`` in the site, with the outputs of the build,
written at the end of each build), and the twins ``chapters/*.ipynb``
without outputs, committed for the launch buttons (pair_notebooks.py).
"""
from __future__ import annotations

import copy
import pathlib
import re
import types

import nbformat
from sphinx.directives.code import LiteralIncludeReader

import editions
import launch

# ```{literalinclude} path  followed by :option: value lines, then the fence
_INCLUDE = re.compile(r"^(?P<fence>`{3,})\{literalinclude\}[ \t]+(?P<path>\S+)[ \t]*\n"
                      r"(?P<options>(?:[ \t]*:[\w-]+:.*\n)*)(?P=fence)[ \t]*$", re.MULTILINE)
_OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$", re.MULTILINE)


def render_include(path: str, options: dict[str, str], folder: pathlib.Path, edition: str,
                   root: pathlib.Path) -> str:
    """Markdown for one literalinclude: a fenced Python block (and the class note)."""
    typed = {k: int(v) if k in _INTEGER_OPTIONS else v for k, v in options.items()}
    reader = LiteralIncludeReader(str(folder / path), typed,
                                  types.SimpleNamespace(source_encoding="utf-8-sig"))
    code, _ = reader.read()
    code, note = editions.class_view(code, options.get("pyobject"), path, edition, root)
    note = f"\n\n> {note}" if note else ""
    return f"```python\n{code}```{note}"


_INTEGER_OPTIONS = {"dedent", "lineno-start"}


def render_includes(markdown: str, folder: pathlib.Path, edition: str,
                    root: pathlib.Path) -> str:
    def replace(match: re.Match) -> str:
        options = {m["key"]: m["value"].strip() for m in _OPTION.finditer(match["options"])}
        return render_include(match["path"], options, folder, edition, root)
    return _INCLUDE.sub(replace, markdown)


def page_notebook(nb: nbformat.NotebookNode, source: pathlib.Path, edition: str,
                  targets: launch.Targets, root: pathlib.Path) -> nbformat.NotebookNode:
    """The reader's notebook of the chapter whose markdown file is ``source``."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = render_includes(cell.source, source.parent, edition, root)
    how = nbformat.v4.new_markdown_cell(launch.how_to_run(targets, edition, root))
    how["id"] = f"{source.stem.replace('_', '-')}-how-to-run"
    title = next((i for i, c in enumerate(nb.cells)
                  if c.cell_type == "markdown" and c.source.lstrip().startswith("# ")), -1)
    nb.cells.insert(title + 1, how)
    for key in ("jupytext", "source_map"):
        nb.metadata.pop(key, None)
    return nb


def offer_download(app, pagename, templatename, context, doctree) -> None:
    """Give every notebook page its .ipynb download button, launch buttons or not.

    The theme offers it only when some launch button is configured; the
    file itself is written by write_downloads at the end of the build.
    """
    if (pathlib.Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb").exists():
        context["ipynb_source"] = f"{pagename}.ipynb"


def executed_notebook(app, source: pathlib.Path) -> nbformat.NotebookNode:
    """The chapter as myst-nb reads it, with the outputs of its cached execution.

    myst-nb's own copy (jupyter_execute/) has outputs only in a build that
    executed the chapter, not in one that took them from the cache; the
    cache is asked directly here, with the notebook myst-nb would match.
    """
    from jupyter_cache import get_cache
    from myst_nb.core.read import create_nb_reader

    text = source.read_text()
    reader = create_nb_reader(str(source), app.env.myst_config, app.env.mystnb_config, text)
    nb = reader.read(text)
    try:
        _, nb = get_cache(app.env.mystnb_config.execution_cache_path).merge_match_into_notebook(nb)
    except KeyError:
        pass  # not executed (execution off, or excluded): the cells without outputs
    return nb


def write_downloads(app, exception) -> None:
    """Replace each page's executed-notebook download by its reader's notebook."""
    if exception is not None or app.builder.format != "html":
        return
    executed = pathlib.Path(app.outdir).parent / "jupyter_execute"
    targets = launch.Targets.from_theme_options(app.config.html_theme_options)
    root = pathlib.Path(app.srcdir)
    for docname in sorted(app.env.found_docs):
        if not (executed / f"{docname}.ipynb").exists():
            continue  # not a notebook page
        download = pathlib.Path(app.outdir) / "_sources" / f"{docname}.ipynb"
        download.parent.mkdir(parents=True, exist_ok=True)
        source = root / app.env.doc2path(docname, base=False)
        nb = executed_notebook(app, source)
        page = page_notebook(nb, source, app.config.course_edition, targets, root)
        download.write_text(nbformat.writes(page) + "\n")
