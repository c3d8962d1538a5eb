"""Record verdicts where nbgrader's tools read them: one writer only.

Grading produces :class:`~autograder.course.grading.Outcome` s (plain
data); this module alone writes them: into nbgrader's gradebook (the
submission with its timestamp, one auto score per test cell, late
penalties by nbgrader's own plugin), into ``course/autograded/<student>/
<assignment>/`` (the autograded notebook that formgrader and
``generate_feedback`` read, plus the submission's other files), and into
``course/grading/<assignment>/<student>.json`` (the whole outcome: seed,
verdicts, flags, notes, for ``status``, ``export`` and re-grades). The
submitted files are only read.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import tempfile
import warnings

from autograder.course.grading import Outcome

TIMESTAMP = "timestamp.txt"


class Course:
    """The folders of one course (nbgrader's layout, from nbgrader_config.py)."""

    def __init__(self, root: pathlib.Path):
        self.root = pathlib.Path(root)
        self.source = self.root / "exercises"
        self.release = self.root / "release"
        self.submitted = self.root / "course" / "submitted"
        self.autograded = self.root / "course" / "autograded"
        self.feedback = self.root / "course" / "feedback"
        self.results = self.root / "course" / "grading"
        self.db_url = "sqlite:///" + str(self.root / "course" / "gradebook.db")

    def config(self):
        """The course's nbgrader configuration (late penalties, say)."""
        from traitlets.config import Config
        from traitlets.config.loader import PyFileConfigLoader
        if not (self.root / "nbgrader_config.py").is_file():
            return Config()
        return PyFileConfigLoader("nbgrader_config.py", path=str(self.root)).load_config()

    def source_notebooks(self, assignment: str) -> list[pathlib.Path]:
        return sorted((self.source / assignment).glob("*.ipynb"))

    def result_path(self, assignment: str, student: str) -> pathlib.Path:
        return self.results / assignment / f"{student}.json"

    def read_result(self, assignment: str, student: str) -> dict | None:
        path = self.result_path(assignment, student)
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return None


def _write_atomic(path: pathlib.Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def record(course: Course, student: str, assignment: str, outcomes: list[Outcome],
           submission: pathlib.Path, extra: dict) -> None:
    """Write one student's outcomes (one per notebook of the assignment)."""
    with warnings.catch_warnings():
        # nbgrader's own queries warn about its session's autoflush
        warnings.simplefilter("ignore")
        _record_grades(course, student, assignment, outcomes, submission)
    _write_files(course, student, assignment, outcomes, submission, extra)


def _record_grades(course: Course, student: str, assignment: str, outcomes: list[Outcome],
                   submission: pathlib.Path) -> None:
    from nbgrader.api import Gradebook
    from nbgrader.plugins import LateSubmissionPlugin
    from nbgrader.utils import parse_utc

    timestamp = None
    stamp = submission / TIMESTAMP
    if stamp.is_file():
        try:
            timestamp = parse_utc(stamp.read_text().strip())
        except ValueError:
            timestamp = None
    with Gradebook(course.db_url) as gb:
        gb.update_or_create_student(student)
        sub = (gb.update_or_create_submission(assignment, student, timestamp=timestamp)
               if timestamp else gb.update_or_create_submission(assignment, student))
        for outcome in outcomes:
            name = pathlib.Path(outcome.notebook).stem
            notebook = gb.find_submission_notebook(name, assignment, student)
            for part in outcome.parts:
                grade = gb.find_grade(part.grade_id, name, assignment, student)
                grade.auto_score = part.score
                grade.needs_manual_grade = grade.manual_score is not None
            for comment in notebook.comments:
                comment.auto_comment = None
            notebook.late_submission_penalty = None
            gb.db.commit()
            if sub.total_seconds_late > 0:
                penalty = LateSubmissionPlugin(config=course.config()).late_submission_penalty(
                    student, notebook.score, sub.total_seconds_late)
                if penalty:
                    notebook.late_submission_penalty = max(0.0, min(penalty, notebook.score))
            gb.db.commit()


def _write_files(course: Course, student: str, assignment: str, outcomes: list[Outcome],
                 submission: pathlib.Path, extra: dict) -> None:
    folder = course.autograded / student / assignment
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for path in sorted(submission.rglob("*")):
        relative = path.relative_to(submission)
        if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb" \
                and ".ipynb_checkpoints" not in relative.parts:
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / relative)
    for outcome in outcomes:
        if outcome.autograded is not None:
            _write_atomic(folder / outcome.notebook, json.dumps(outcome.autograded, indent=1))
    summary = {**extra, "student": student, "assignment": assignment,
               "late_seconds": _late(course, assignment, student),
               "outcomes": [o.to_json() | {"autograded": None} for o in outcomes]}
    _write_atomic(course.result_path(assignment, student), json.dumps(summary, indent=1))


def _late(course: Course, assignment: str, student: str) -> float:
    from nbgrader.api import Gradebook
    with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
        warnings.simplefilter("ignore")
        return float(gb.find_submission(assignment, student).total_seconds_late)
