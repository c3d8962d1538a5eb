"""What judging outside the student's process costs: old path vs new.

For each assignment, the same submissions (the solution, the untouched
release, the first answer left as the skeleton, each twice) are graded in
one run two ways, in two scratch courses released by nbgrader:

- old: stock ``nbgrader autograde``, whose hidden checks run inside the
  student's kernel against the reference (what the course did before, and
  what any cell of the notebook could fake);
- new: ``python -m autograder.course grade``: every part in a sandboxed
  worker, the notebook in a sandboxed kernel, the verdict outside.

It prints the wall time per submission of each, their ratio (goal: at most
1.3), and whether the two gave the same scores.
    .venv/bin/python benchmarks/sandbox_cost.py [CONCEPT ...]
"""
from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "course"))

from scratch import cli, fill, make_course, nbgrader, notebook, scores, solution_cells, submit  # noqa: E402

from autograder.assignments import available, load  # noqa: E402

COPIES = 2


def submissions(course: pathlib.Path, name: str) -> dict[str, dict]:
    release = notebook(course, "release", name)
    sol = solution_cells(course, name)
    first = next(iter(sol))
    skeleton = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
                for c in release["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    kinds = {"solution": fill(release, sol), "untouched": release,
             "first-skeleton": fill(release, dict(sol, **{first: skeleton[first]}))}
    return {f"{kind}-{i}": nb for kind, nb in kinds.items() for i in range(COPIES)}


def timed(course: pathlib.Path, name: str, how: str) -> float:
    for student, nb in submissions(course, name).items():
        submit(course, student, name, nb)
    start = time.perf_counter()
    if how == "old":
        nbgrader(course, "autograde", name, "--create", "--force")
    else:
        cli(course, "grade", name)
    return time.perf_counter() - start


def main(concepts: list[str]) -> None:
    print(f"{'assignment':<20}{'submissions':>12}{'old s/sub':>11}{'new s/sub':>11}"
          f"{'new/old':>9}  scores agree")
    ratios = []
    for concept in concepts:
        name = load(concept).name
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            old_course = make_course(pathlib.Path(a), name)
            new_course = make_course(pathlib.Path(b), name)
            n = len(submissions(old_course, name))
            old = timed(old_course, name, "old") / n
            new = timed(new_course, name, "new") / n
            agree = all(scores(old_course, name, s) == scores(new_course, name, s)
                        for s in submissions(old_course, name))
        ratios.append(new / old)
        print(f"{name:<20}{n:>12}{old:>11.2f}{new:>11.2f}{new / old:>9.2f}  {agree}")
    print(f"{'all':<20}{'':>12}{'':>11}{'':>11}{sum(ratios) / len(ratios):>9.2f}  (mean ratio)")


if __name__ == "__main__":
    main(sys.argv[1:] or available())
