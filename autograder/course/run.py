"""One grading run of an assignment: every submission, one writer.

A run draws its seed (or takes the one it is given, to re-grade), records
it in ``course/grading/<assignment>/run.json``, grades each submission
in ``course/submitted/<student>/<assignment>/`` and records each outcome
as it comes. A submission that cannot be graded is recorded with its
reason, and the run goes on; so does it when grading one fails for a
reason of ours (said as such). No submitted file is ever written.
"""
from __future__ import annotations

import json
import pathlib
import secrets
import time
import traceback
from dataclasses import dataclass, field

from autograder.course import intake
from autograder.course.gradebook import Course, record
from autograder.course.grading import Outcome, _refused, grade_notebook
from autograder.course.sandbox import Sandbox
from autograder.judge.session import Session


@dataclass
class StudentResult:
    student: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "failed" if any(o.status != "graded" for o in self.outcomes) else "graded"

    @property
    def score(self) -> float:
        return sum(o.score for o in self.outcomes)

    @property
    def points(self) -> float:
        return sum(o.points for o in self.outcomes)

    @property
    def flags(self) -> list[str]:
        return [f for o in self.outcomes for f in o.flags]

    @property
    def reason(self) -> str | None:
        return next((o.reason for o in self.outcomes if o.reason), None)


def students(course: Course, assignment: str) -> list[str]:
    if not course.submitted.is_dir():
        return []
    return sorted(p.name for p in course.submitted.iterdir() if (p / assignment).is_dir())


def new_seed() -> int:
    return secrets.randbelow(2**31)


def write_run(course: Course, assignment: str, seed: int, sandbox: Sandbox) -> None:
    folder = course.results / assignment
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps({
        "seed": seed, "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "sandboxed": sandbox.isolated, "limits": sandbox.limits.__dict__}, indent=1))


def recorded_seed(course: Course, assignment: str) -> int | None:
    try:
        return int(json.loads((course.results / assignment / "run.json").read_text())["seed"])
    except (OSError, ValueError, KeyError):
        return None


def locate(folder: pathlib.Path, expected: str) -> tuple[pathlib.Path | None, str | None]:
    """The submitted notebook for the source notebook ``expected``: the file
    of that name, or else the only notebook there is (with a note)."""
    path = folder / expected
    if path.is_file():
        return path, None
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(others) == 1:
        return others[0], f"the notebook is named {others[0].name}, expected {expected}: graded anyway"
    if not others:
        names = sorted(p.name for p in folder.iterdir())[:5] if folder.is_dir() else []
        return None, (f"no notebook {expected} was submitted"
                      + (f" (the folder holds {', '.join(names)})" if names else " (the folder is empty)"))
    return None, (f"no notebook {expected} was submitted, and there are several others "
                  f"({', '.join(p.name for p in others[:5])})")


def grade_student(course: Course, assignment: str, student: str, session: Session,
                  sandbox: Sandbox) -> StudentResult:
    """Every notebook of one student's submission; never raises."""
    result = StudentResult(student)
    folder = course.submitted / student / assignment
    for source_path in course.source_notebooks(assignment):
        source = json.loads(source_path.read_text())
        empty = Outcome(assignment=assignment, notebook=source_path.name, seed=session.seed,
                        status="failed")
        path, note = locate(folder, source_path.name)
        try:
            if path is None:
                outcome = _refused(empty, source, note, time.monotonic())
            else:
                outcome = grade_notebook(source, path, assignment=assignment,
                                         session=session, sandbox=sandbox)
                outcome.notebook = source_path.name
                if note:
                    outcome.notes.insert(0, note)
        except Exception as err:  # a fault of the grader's: said, and the run goes on
            detail = "".join(traceback.format_exception_only(type(err), err)).strip()
            outcome = _refused(empty, source, f"the grader failed on this submission "
                               f"({detail[:300]}); please report it", time.monotonic())
        result.outcomes.append(outcome)
    return result


def grade(course: Course, assignment: str, *, sandbox: Sandbox, seed: int | None = None,
          only: list[str] | None = None, on_result=None) -> list[StudentResult]:
    """Grade every (or ``only`` the named) submission and record each."""
    seed = new_seed() if seed is None else seed
    write_run(course, assignment, seed, sandbox)
    session = Session(seed)
    results = []
    for student in (only or students(course, assignment)):
        result = grade_student(course, assignment, student, session, sandbox)
        record(course, student, assignment, result.outcomes,
               course.submitted / student / assignment, {"seed": seed})
        results.append(result)
        if on_result:
            on_result(result)
    return results


__all__ = ["grade", "grade_student", "students", "recorded_seed", "intake"]
