"""``check NOTEBOOK``: the full hidden checks on one's own notebook, here.

For a learner with the course cloned: the notebook's assignment is found
by its cells, the notebook is graded exactly as in a class (hidden inputs
drawn anew, student code sandboxed when bubblewrap can run here), and the
verdict of each part is printed. Nothing is recorded anywhere and the
notebook is not changed.
"""
from __future__ import annotations

import json
import pathlib
import secrets

from autograder.course.grading import Outcome, grade_notebook, refused_outcome
from autograder.course.intake import NotGradable, parse_submission
from autograder.course.sandbox import Sandbox
from autograder.judge.session import Session


def _ids(notebook: dict) -> set[str]:
    out = set()
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if isinstance(meta, dict) and meta.get("solution") and isinstance(meta.get("grade_id"), str):
            out.add(meta["grade_id"])
    return out


def find_assignment(notebook: dict, root: pathlib.Path) -> pathlib.Path | None:
    """The source notebook (exercises/NAME/NAME.ipynb) that shares the most
    answer cells with ``notebook``."""
    mine, best, shared = _ids(notebook), None, 0
    for source in sorted((root / "exercises").glob("*/*.ipynb")):
        n = len(mine & _ids(json.loads(source.read_text())))
        if n > shared:
            best, shared = source, n
    return best


def check_notebook(path: pathlib.Path, root: pathlib.Path,
                   sandbox: Sandbox) -> tuple[Outcome, str]:
    data = path.read_bytes()
    try:
        source_path = find_assignment(parse_submission(data, path.name), root)
    except NotGradable as err:
        empty = Outcome(assignment="?", notebook=path.name, seed=0, status="failed",
                        reason=str(err))
        return empty, path.name
    if source_path is None:
        empty = Outcome(assignment="?", notebook=path.name, seed=0, status="failed",
                        reason="it shares no answer cell with any assignment of this course")
        return empty, path.name
    source = json.loads(source_path.read_text())
    name = source_path.parent.name
    session = Session(secrets.randbelow(2**31))
    outcome = grade_notebook(source, data, name=source_path.name, assignment=name,
                             session=session, sandbox=sandbox)
    return outcome, name


__all__ = ["check_notebook", "find_assignment", "refused_outcome"]
