"""The autograded notebook, safe to show: what nbgrader's feedback renders.

nbgrader turns the autograded notebook into the student's feedback page.
So that nothing in it can run in the student's browser or show what must
stay hidden, it is built here from parts the grader trusts:

- cells come from the graded notebook (source cells as in the source;
  the student's answer cells as submitted; cells the student added, with
  their markdown shown as text, never rendered as HTML);
- outputs of the student's cells are the notebook's own run, cut to size
  and reduced to plain text and PNG/JPEG images (no HTML, JavaScript, SVG
  or markdown outputs, which a browser would render);
- every test cell's output is the grader's verdict, and only that: an
  error whose message is the check's sentence when the part failed, a line
  saying it passed otherwise. Hidden test code is removed by nbgrader's
  ClearHiddenTests, and nothing a notebook prints can take its place.

nbconvert escapes plain text, error messages and code when it renders
them; markdown of ours (the source's cells) is the only markdown rendered.
"""
from __future__ import annotations

import copy
from typing import Any

from autograder.course.intake import Graded

MAX_TEXT = 20_000          # characters of one text output
MAX_LINES = 400
SAFE_IMAGES = ("image/png", "image/jpeg")
PASSED = "All hidden checks of this part passed."


def clip_text(text: str, limit: int = MAX_TEXT) -> str:
    lines = text.splitlines(keepends=True)
    if len(lines) > MAX_LINES:
        text = "".join(lines[:MAX_LINES]) + f"[... {len(lines) - MAX_LINES} more lines cut]\n"
    if len(text) > limit:
        text = text[:limit] + f"\n[... {len(text) - limit} more characters cut]\n"
    return text


def safe_output(out: Any) -> dict | None:
    """One output of the notebook's run, reduced to what cannot run code."""
    if not isinstance(out, dict):
        return None
    kind = out.get("output_type")
    if kind == "stream":
        name = out.get("name") if out.get("name") in ("stdout", "stderr") else "stdout"
        return {"output_type": "stream", "name": name, "text": clip_text(_str(out.get("text")))}
    if kind in ("display_data", "execute_result"):
        data = out.get("data") if isinstance(out.get("data"), dict) else {}
        kept = {m: data[m] for m in SAFE_IMAGES if isinstance(data.get(m), str)
                and len(data[m]) < 4 << 20}
        if "text/plain" in data or not kept:
            kept["text/plain"] = clip_text(_str(data.get("text/plain", "[an output shown as "
                                                            "HTML or script is not kept]")))
        clean = {"output_type": kind, "data": kept, "metadata": {}}
        if kind == "execute_result":
            clean["execution_count"] = out.get("execution_count") if isinstance(
                out.get("execution_count"), int) else None
        return clean
    if kind == "error":
        trace = out.get("traceback") if isinstance(out.get("traceback"), list) else []
        return {"output_type": "error", "ename": clip_text(_str(out.get("ename")), 200),
                "evalue": clip_text(_str(out.get("evalue")), 2000),
                "traceback": [clip_text(_str(t), 4000) for t in trace[-30:]]}
    return None


def _str(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return "" if value is None else str(value)


def verdict_output(message: str) -> dict:
    """A failed part's verdict as the error output nbgrader scores as 0."""
    return {"output_type": "error", "ename": "CheckFailure", "evalue": message,
            "traceback": ["CheckFailure: " + message]}


def passed_output() -> dict:
    return {"output_type": "stream", "name": "stdout", "text": PASSED + "\n"}


def as_text_markdown(text: str) -> str:
    """A student's own markdown cell, shown as the text they typed."""
    body = "\n".join("    " + line for line in text.splitlines()) or "    "
    return "(a markdown cell of yours, shown as text)\n\n" + body


def autograded_notebook(notebook: Graded, own, outcome) -> dict:
    """The graded notebook with safe outputs and the verdicts (see above)."""
    nb = copy.deepcopy(notebook.notebook())
    verdicts = {p.index: p for p in notebook.parts}
    results = {p.grade_id: p for p in outcome.parts}
    for index, cell in enumerate(nb["cells"]):
        known = bool(cell.get("metadata", {}).get("nbgrader"))
        if cell["cell_type"] == "markdown" and not known:
            cell["source"] = as_text_markdown(cell["source"])
            continue
        if cell["cell_type"] != "code":
            continue
        event = own.cells.get(index, {})
        if index in verdicts:
            part = results[verdicts[index].grade_id]
            cell["outputs"] = [passed_output() if part.score == part.points and part.points
                               else verdict_output(part.message)]
        else:
            outputs = event.get("outputs") if isinstance(event.get("outputs"), list) else []
            cell["outputs"] = [o for o in map(safe_output, outputs) if o is not None]
            status = event.get("status")
            if status == "timeout":
                cell["outputs"].append(verdict_output(
                    "this cell ran past its time and was stopped"))
            elif status == "died":
                cell["outputs"].append(verdict_output(
                    "this cell stopped the Python kernel (os._exit, a crash, or the "
                    "memory limit); the rest of the notebook ran without it"))
        count = event.get("execution_count")
        cell["execution_count"] = count if isinstance(count, int) else None
    if outcome.notes:
        notes = "\n".join(f"- {n}" for n in outcome.notes)
        nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "id": "grading-notes",
                               "source": as_text_markdown("Notes from grading:\n" + notes)})
    return nb


def refused_notebook(source: dict, reason: str) -> dict:
    """What a student sees for a submission that could not be graded."""
    nb = copy.deepcopy(source)
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
            cell["outputs"] = [verdict_output(f"not graded: {reason}")] if meta.get("grade") else []
        if meta.get("solution"):
            cell["source"] = "# (your submission could not be read)"
    nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "id": "grading-notes",
                           "source": as_text_markdown("This submission could not be graded: "
                                                      + reason)})
    return nb
