"""A class of submissions graded three ways, side by side in one run.

Generates at least 100 submissions across assignments (right, wrong in one
part, untouched, and hostile: a cell that replaces the kernel's
hidden_check) and times:

- stock: serial ``nbgrader autograde`` (its hidden checks in the student's
  kernel: one process, one kernel per notebook);
- ours: ``python -m autograder.course grade`` with one local Dask worker
  per core (the default), and with one worker, to show the scaling;
- floor: bare execution of the same notebooks with nbclient, no grading,
  serially and with as many processes as ours has workers.

Prints the wall times, the ratios (goals on 2 cores: ours at least 1.8x
stock's throughput, within 1.3x of the floor with the same number of
processes, and near-linear from 1 to 2 workers) and whether the scores
agree wherever stock nbgrader was not fooled.
    .venv/bin/python benchmarks/class_grading.py [--per-assignment N] [CONCEPT ...]
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "course"))

from scratch import (cli, code_cell, fill, make_course, nbgrader, notebook, scores,  # noqa: E402
                     solution_cells, submit)

from autograder.assignments import load  # noqa: E402

FOOLING = "import autograder.driver.kernel as k\nk.hidden_check = lambda *a, **kw: None"


def class_of(course: pathlib.Path, name: str, n: int) -> dict[str, dict]:
    release = notebook(course, "release", name)
    sol = solution_cells(course, name)
    skeleton = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
                for c in release["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    answers = list(sol)
    out = {}
    for i in range(n):
        kind = ("right", "one-part", "untouched", "hostile")[i % 4]
        if kind == "right":
            nb = fill(release, sol)
        elif kind == "one-part":
            broken = answers[i % len(answers)]
            nb = fill(release, dict(sol, **{broken: skeleton[broken]}))
        elif kind == "untouched":
            nb = release
        else:
            nb = json.loads(json.dumps(release))
            nb["cells"].insert(2, code_cell(FOOLING))
        out[f"{kind}-{i:03d}"] = nb
    return out


def _execute(path: str) -> None:
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": os.path.dirname(path)}}).execute()


def floor(paths: list[str], processes: int) -> float:
    start = time.perf_counter()
    if processes == 1:
        for p in paths:
            _execute(p)
    else:
        with ProcessPoolExecutor(processes) as pool:
            list(pool.map(_execute, paths))
    return time.perf_counter() - start


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("concepts", nargs="*", default=["update_rules", "gradcheck", "annealing"])
    parser.add_argument("--per-assignment", type=int, default=36)
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    totals = {"stock": 0.0, "ours": 0.0, "ours-1": 0.0, "floor-1": 0.0, f"floor-{workers}": 0.0}
    agree, compared, fooled, count = 0, 0, 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        for concept in args.concepts:
            name = load(concept).name
            courses = {k: make_course(tmp / f"{k}-{name}", name) for k in ("stock", "ours", "ours-1")}
            subs = class_of(courses["stock"], name, args.per_assignment)
            count += len(subs)
            for course in courses.values():
                for student, nb in subs.items():
                    submit(course, student, name, nb)
            paths = [str(courses["stock"] / "course" / "submitted" / s / name / f"{name}.ipynb")
                     for s in subs]
            totals["floor-1"] += floor(paths, 1)
            totals[f"floor-{workers}"] += floor(paths, workers)
            totals["stock"] += timed(lambda: nbgrader(courses["stock"], "autograde", name,
                                                      "--create", "--force"))
            totals["ours"] += timed(lambda: cli(courses["ours"], "grade", name, "--seed", "1",
                                                "--workers", str(workers)))
            totals["ours-1"] += timed(lambda: cli(courses["ours-1"], "grade", name, "--seed", "1",
                                                  "--workers", "1"))
            for student in subs:
                stock = scores(courses["stock"], name, student)
                ours = scores(courses["ours"], name, student)
                if student.startswith("hostile"):
                    fooled += sum(s[0] for s in stock.values()) > sum(s[0] for s in ours.values())
                    continue
                compared += 1
                agree += stock == ours
    print(f"{count} submissions, {workers} cores")
    print(f"{'way':<22}{'wall (s)':>10}{'s/submission':>14}")
    for way, seconds in totals.items():
        print(f"{way:<22}{seconds:>10.1f}{seconds / count:>14.2f}")
    print(f"ours vs stock serial: {totals['stock'] / totals['ours']:.2f}x the throughput "
          f"(goal >= 1.8)")
    print(f"ours vs floor with {workers} processes: {totals['ours'] / totals[f'floor-{workers}']:.2f}x "
          f"the time (goal <= 1.3); vs serial floor: {totals['ours'] / totals['floor-1']:.2f}x")
    print(f"1 -> {workers} workers: {totals['ours-1'] / totals['ours']:.2f}x the throughput")
    print(f"scores agree on {agree} of {compared} submissions stock was not fooled by; "
          f"stock gave points for faked checks to {fooled} hostile submissions")


if __name__ == "__main__":
    main()
