"""Grade one submitted notebook: the verdict comes from outside its reach.

1. :mod:`.intake` builds the graded notebook from the source and the
   submission (given and test cells restored, repairs noted).
2. :mod:`.parts` runs every graded part in a fresh sandboxed copy of the
   student's state and brings back the outputs of the hidden cases.
3. :mod:`.kernel_run` runs the whole notebook in a sandboxed kernel, for the
   student's own outputs and for each test cell's own outcome.
4. This process, which never runs student code, judges the outputs
   (:class:`autograder.judge.session.Session`): the verdict of step 2 is the
   score. Where the notebook's own run claims more than that verdict (its
   hidden check passed or never ran, while the isolated run fails), the
   part is flagged: something in the notebook changed how it was checked.

The result is plain data (:class:`Outcome`), ready to be recorded by one
writer (the gradebook) and to travel between machines.
"""
from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from autograder.course import feedback, intake
from autograder.course.kernel_run import REACHED, KernelRun, run_kernel
from autograder.course.parts import run_isolated
from autograder.course.sandbox import Sandbox
from autograder.driver import wire
from autograder.driver.kernel import part_key
from autograder.judge import graded as graded_record
from autograder.judge.session import Session, Verdict


@dataclass
class PartOutcome:
    grade_id: str
    key: str
    points: float
    score: float
    message: str          # what the student reads ("" when it passed)
    diagnosis: str | None
    in_notebook: str      # "passed", "failed", "reached", "not run"... (the notebook's own outcome)
    flag: str | None      # why this part is flagged, if it is


@dataclass
class Outcome:
    assignment: str
    notebook: str
    seed: int
    status: str                      # "graded" or "failed"
    reason: str | None = None        # why it could not be graded
    parts: list[PartOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)   # cell index -> what happened
    autograded: dict | None = None   # the notebook nbgrader's tools read
    submission_sha256: str = ""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return sum(p.score for p in self.parts)

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def flags(self) -> list[str]:
        return [f"{p.grade_id}: {p.flag}" for p in self.parts if p.flag]

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Outcome":
        parts = [PartOutcome(**p) for p in data.get("parts", [])]
        return cls(**{**data, "parts": parts})


def grade_notebook(source: dict, data: bytes, *, name: str, assignment: str,
                   session: Session, sandbox: Sandbox) -> Outcome:
    """Grade one submitted notebook (its bytes, named ``name``) against ``source``."""
    start = time.monotonic()
    outcome = Outcome(assignment=assignment, notebook=name, seed=session.seed,
                      status="failed", submission_sha256=hashlib.sha256(data).hexdigest())
    try:
        notebook = intake.build(source, intake.parse_submission(data, name))
    except intake.NotGradable as err:
        return refused_outcome(outcome, source, str(err), start)
    outcome.notes = notebook.notes
    plans = _plans(source, notebook, session)
    kernel_plan = {part_key(p.key, p.cases): {
        "names": plans[p.grade_id]["names"], "cases": plans[p.grade_id]["cases"],
        "run": graded_record(p.key).rerun_in_notebook} for p in notebook.parts}
    kernel: list[KernelRun] = []
    thread = threading.Thread(target=lambda: kernel.append(run_kernel(notebook, kernel_plan,
                                                                      sandbox)))
    thread.start()
    isolated = run_isolated(notebook, plans, sandbox, _server(plans),
                            served=_served_when_needed(notebook, plans, session))
    thread.join()
    own = kernel[0] if kernel else KernelRun(failure="the notebook's run did not finish")
    for part in notebook.parts:
        run = isolated.parts.get(part.grade_id)
        verdict = session.verdict(part.key, part.cases, run.results if run else None,
                                  run.failure if run else "the part did not run")
        outcome.parts.append(_part_outcome(part, verdict, own, session))
    outcome.cells = {str(i): why for i, why in isolated.cells.items() if why != "raised"}
    if own.failure:
        outcome.notes.append(own.failure)
    outcome.autograded = feedback.autograded_notebook(notebook, own, outcome)
    outcome.status = "graded"
    outcome.seconds = time.monotonic() - start
    return outcome


def _plans(source: dict, notebook: intake.Graded, session: Session) -> dict[str, Any]:
    """What the worker needs for each part, and the given cells' code."""
    given_cells = [c for c in source["cells"] if c["cell_type"] == "code"
                   and _meta(c).get("locked") and not _meta(c).get("grade")
                   and not _meta(c).get("solution")]
    given_sources = [intake._text(c["source"]) or "" for c in given_cells]
    defined = _defined_names(given_sources)
    plans: dict[str, Any] = {"*given": given_sources}
    for part in notebook.parts:
        record = graded_record(part.key)
        uses = list(record.uses)
        plans[part.grade_id] = {
            "names": list(record.names), "cases": session.plan(part.key, part.cases),
            "given_names": [n for n in uses if n in defined],
            "served": [n for n in uses if n not in defined], "concept": part.key.split(".")[0]}
    return plans


def _meta(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _defined_names(sources: list[str]) -> set[str]:
    from autograder.assignments.notebook import defined_names
    try:
        return defined_names(sources)
    except SyntaxError:
        return set()


def _server(plans: dict[str, Any]):
    """Answers a part's calls of the other graded functions it uses (and
    only those), with the reference: plain data in, plain data out."""
    import importlib

    def serve(grade_id: str, name: str, args: Any, kwargs: Any) -> dict:
        plan = plans.get(grade_id, {})
        if name not in plan.get("served", ()):
            return {"error": f"{name} is not served to this part"}
        try:
            values = wire.decode(args) if args is not None else []
            options = wire.decode(kwargs) if kwargs is not None else {}
            if not isinstance(values, list) or not isinstance(options, dict):
                raise wire.WireError("arguments of the wrong form")
            function = getattr(importlib.import_module(f"solutions.{plan['concept']}"), name)
            out = function(*values, **options)
            rngs = [wire.encode(g) for g in wire.generators_in([values, options])]
            return {"ok": wire.encode(out), "rngs": rngs}
        except Exception as err:  # the reference refused the student's arguments
            return {"error": f"{type(err).__name__}: {err}"[:500]}
    return serve


def _served_when_needed(notebook: intake.Graded, plans: dict[str, Any], session: Session):
    """A part calls the reference in place of another part's function only
    when the student's own one failed its part: a right one is used as it
    is (nothing to protect the part from, and no round trips to pay)."""
    owners: dict[str, list[intake.Part]] = {}
    for part in notebook.parts:
        for name in plans[part.grade_id]["names"]:
            owners.setdefault(name, []).append(part)

    def served(grade_id: str, done: dict) -> list[str]:
        keep = []
        for name in plans[grade_id]["served"]:
            parts = owners.get(name, [])
            right = parts and all(
                p.grade_id in done and session.verdict(
                    p.key, p.cases, done[p.grade_id].results, done[p.grade_id].failure).passed
                for p in parts)
            if not right:
                keep.append(name)
        return keep
    return served


def _part_outcome(part: intake.Part, verdict: Verdict, own: KernelRun,
                  session: Session) -> PartOutcome:
    event = own.cells.get(part.index)
    record = own.records.get(part.grade_id)
    if event is None:
        in_notebook = "not run"
    elif event.get("status") == "ok" and record is None:
        in_notebook = "passed without its hidden check"
    elif record == REACHED:  # its cases are not re-run in the notebook
        in_notebook = "reached" if event.get("status") == "ok" else "failed"
    elif event.get("status") == "ok" and session.verdict(part.key, part.cases, record).passed:
        in_notebook = "passed"
    else:
        in_notebook = "failed"
    flag = None
    if not verdict.passed and in_notebook.startswith("passed"):
        flag = (f"in the notebook's own run this part {in_notebook}, but run on its own "
                f"it fails: code in the notebook changed how it was checked")
    return PartOutcome(part.grade_id, part.key, part.points,
                       part.points if verdict.passed else 0.0, verdict.text(),
                       verdict.diagnosis, in_notebook, flag)


def refused_outcome(outcome: Outcome, source: dict, reason: str, start: float) -> Outcome:
    outcome.reason = reason
    for part in intake.parts_of(source):
        outcome.parts.append(PartOutcome(part.grade_id, part.key, part.points, 0.0,
                                         f"not graded: {reason}", None, "not run", None))
    outcome.autograded = feedback.refused_notebook(source, reason)
    outcome.seconds = time.monotonic() - start
    return outcome

