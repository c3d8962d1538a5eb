"""Small fixes to the built pages, as a local Sphinx extension.

sphinx-thebe registers its inline configuration script on every
``env-before-read-docs`` event; when that event fires more than once in a
build the page declares ``const THEBE_JS_URL`` twice and the browser
reports a SyntaxError. Each script is kept once here, first occurrence wins.
"""
from __future__ import annotations


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


def setup(app):
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
