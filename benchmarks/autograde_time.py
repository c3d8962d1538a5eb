"""Time to autograde one full submission of each assignment with nbgrader.

For each assignment: a scratch course with the release, one submission
(the solution filled in), then `autograde` timed twice in the same run:
once for that one submission (nbgrader start-up included) and once for
five identical submissions, so the per-notebook cost and the fixed cost of
one nbgrader run show side by side.
    .venv/bin/python benchmarks/autograde_time.py
"""
from __future__ import annotations

import pathlib
import shutil
import tempfile
import time

import nbformat

from autograder.course import cli as cli
from autograder.assignments import available, load

ROOT = pathlib.Path(__file__).resolve().parents[1]


def scratch_course(name: str) -> pathlib.Path:
    course = pathlib.Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "exercises" / name, course / "exercises" / name)
    (course / "course").mkdir()
    cli.nbgrader(course, "generate_assignment", name, "--force")
    return course


def solution_submission(course: pathlib.Path, name: str) -> nbformat.NotebookNode:
    release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    source = nbformat.read(course / "exercises" / name / f"{name}.ipynb", as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = answers[meta["grade_id"]]
    return release


def timed_autograde(course: pathlib.Path, name: str, nb, students: int) -> float:
    shutil.rmtree(course / "course" / "submitted", ignore_errors=True)
    for i in range(students):
        folder = course / "course" / "submitted" / f"student{i}" / name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
    start = time.perf_counter()
    cli.autograde(name, course)
    return time.perf_counter() - start


def main() -> None:
    print(f"{'assignment':<20}{'points':>7}{'1 submission (s)':>18}{'5 submissions (s)':>19}"
          f"{'per extra (s)':>15}")
    for concept in available():
        name = load(concept).name
        course = scratch_course(name)
        nb = solution_submission(course, name)
        points = sum(c.metadata["nbgrader"].get("points", 0) for c in nb.cells
                     if c.metadata.get("nbgrader", {}).get("grade"))
        one = timed_autograde(course, name, nb, 1)
        five = timed_autograde(course, name, nb, 5)
        print(f"{name:<20}{points:>7g}{one:>18.1f}{five:>19.1f}{(five - one) / 4:>15.1f}")
        shutil.rmtree(course)


if __name__ == "__main__":
    main()
