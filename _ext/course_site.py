"""The course's local Sphinx extension: wires the parts in this folder.

- editions.py: the open and the class edition (graded code, leak guard);
- page_notebooks.py: the notebook a reader downloads from each page;
- try_it.py: the ``try-it`` and ``how-to-run`` directives (where an
  assignment comes from, how to run a page notebook);
- glued_math.py: glued numbers that end a formula become part of it;
- static/: the site's own CSS and scripts (small screens, slider figures).

One fix lives here: sphinx-thebe registers its inline configuration script
on every ``env-before-read-docs`` event; when that event fires more than
once in a build the page declares ``const THEBE_JS_URL`` twice and the
browser reports a SyntaxError. Each script is kept once, first wins.
"""
from __future__ import annotations

import pathlib

import editions
import glued_math
import page_notebooks
import try_it

STATIC = pathlib.Path(__file__).resolve().parent / "static"


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # an inline script's filename is None or "" depending on who added it
        name = getattr(script, "filename", script) or ""
        key = (str(name), repr(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _add_static(app, config):
    config.html_static_path.append(str(STATIC))


def setup(app):
    editions.setup(app)
    app.add_directive("try-it", try_it.TryIt)
    app.add_directive("how-to-run", try_it.HowToRun)
    app.add_transform(glued_math.GluedNumbersIntoMath)
    app.connect("config-inited", _add_static)
    app.add_css_file("course.css")
    app.add_js_file("course.js")
    app.add_js_file("slider-figure.js")
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    # before the theme builds its download buttons (priority 501)
    app.connect("html-page-context", page_notebooks.offer_download, priority=500)
    # the downloads are written before the class edition's output is searched
    app.connect("build-finished", page_notebooks.write_downloads, priority=400)
    app.connect("build-finished", editions.guard_output, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
