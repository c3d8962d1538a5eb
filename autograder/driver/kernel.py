"""``hidden_check``, as a test cell calls it inside the notebook's kernel.

At grading the notebook runs in a sandbox whose environment names a plan
(``PLAN_ENV``): for every test cell, the student's names and the hidden
cases as data. Here ``hidden_check`` runs those cases on the student's
objects and publishes the results as a display output of a private MIME
type. The grader reads them to compare the notebook's own outcome with the
verdict it reached in isolation, and removes them before anyone sees the
notebook. Nothing is decided here, so there is nothing here to fake.

Without a plan (a source notebook opened in Jupyter, stock ``nbgrader
autograde``, a learner with the course installed) the checks run in this
process against the reference (autograder.judge.local): feedback, never a
grade, since code in the same process can change the verdict.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Sequence

from .run import run_part

PLAN_ENV = "COURSE_HIDDEN_PLAN"
MIME = "application/vnd.course.hidden-record+json"
_plan: dict | None = None


def part_key(key: str, cases: Sequence[int] | None) -> str:
    """How a test cell's hidden check is named in a plan."""
    return key if cases is None else f"{key}{list(cases)}"


def hidden_check(key: str, *, cases: Sequence[int] | None = None) -> None:
    """Run this test cell's hidden cases (see the module docstring)."""
    namespace = sys._getframe(1).f_globals
    plan = _load_plan()
    if plan is None:
        try:
            from autograder.judge.local import hidden_check as check_here
        except ImportError:
            raise RuntimeError("the hidden checks run at grading; the visible checks "
                               "below are yours to run") from None
        return check_here(key, namespace, cases=cases)
    part = plan.get(part_key(key, cases))
    if part is None:
        raise RuntimeError(f"the grader has no hidden check {part_key(key, cases)}")
    from IPython.display import publish_display_data
    if not part.get("run", True):  # costly cases: only say the check was reached
        publish_display_data({MIME: {"part": part_key(key, cases), "reached": True}})
        return
    results = run_part(namespace, part["names"], part["cases"])
    publish_display_data({MIME: {"part": part_key(key, cases), "results": results}})


def _load_plan() -> dict | None:
    global _plan
    if _plan is None and os.environ.get(PLAN_ENV):
        with open(os.environ[PLAN_ENV]) as f:
            _plan = json.load(f)
    return _plan
