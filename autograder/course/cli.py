"""The instructor's command line: ``python -m autograder.course <command>``.

- ``build``: write each assignment's nbgrader source notebook into
  ``exercises/`` from its spec (autograder/assignments/) and the reference.
- ``release [NAME...]``: the student versions under ``release/`` (nbgrader's
  generate_assignment: solutions and hidden tests stripped, cells locked).
- ``grade NAME``: grade every submission in ``course/submitted/*/NAME``:
  student code runs in sandboxes, verdicts are reached outside them
  (autograder/course/grading.py) and recorded in nbgrader's gradebook.
- ``feedback NAME``: feedback HTML in ``course/feedback`` (nbgrader's
  generate_feedback on the autograded notebooks, which hold only safe
  outputs and the checks' messages).
- ``export``: grades as CSV, one row per student, a column per part.

``--root`` points at another course folder (the tests use scratch ones).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def assignments(root: pathlib.Path = ROOT) -> list[str]:
    """Names of the assignments: the folders of exercises/ with a notebook."""
    source = root / "exercises"
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def tool_env() -> dict[str, str]:
    """The environment for nbgrader's subprocesses: this Python's scripts
    first on PATH (nbgrader runs ``alembic`` by name to create a gradebook)."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def notebook_path(assignment, root: pathlib.Path = ROOT) -> pathlib.Path:
    return root / "exercises" / assignment.name / f"{assignment.name}.ipynb"


def build(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """Write every assignment's source notebook; return the paths written."""
    from autograder.assignments import available, load
    from autograder.assignments.notebook import build as build_notebook, dumps

    written = []
    for concept in available():
        assignment = load(concept)
        path = notebook_path(assignment, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = dumps(build_notebook(assignment))
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
            written.append(path)
    return written


def nbgrader(root: pathlib.Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course folder ``root``."""
    (root / "course").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                          env=tool_env(), check=check, capture_output=True, text=True)


def release(names: list[str], root: pathlib.Path = ROOT) -> None:
    """Generate the student version of each named assignment."""
    for name in names:
        nbgrader(root, "generate_assignment", name, "--force")
        print(f"released {name} -> release/{name}")
    if not names:
        print("no assignments in exercises/ yet: nothing to release")


def grade_command(args, root: pathlib.Path) -> int:
    from autograder.course.gradebook import Course
    from autograder.course.run import grade, recorded_seed
    from autograder.course.sandbox import Limits, Sandbox, SandboxUnavailable

    limits = Limits(**{k: v for k, v in (("cell_seconds", args.cell_seconds),
                                         ("part_seconds", args.part_seconds),
                                         ("submission_seconds", args.submission_seconds),
                                         ("memory_mb", args.memory_mb)) if v is not None})
    try:
        sandbox = Sandbox(limits, isolated=not args.no_sandbox)
    except SandboxUnavailable as err:
        print(f"grade: cannot sandbox student code: {err}. Fix that, or pass --no-sandbox "
              f"to grade without a sandbox (student code can then read and change this "
              f"machine).", file=sys.stderr)
        return 2
    course = Course(root)
    seed = args.seed
    if args.regrade:
        seed = recorded_seed(course, args.name)
        if seed is None:
            print(f"grade: {args.name} has no recorded run to re-grade", file=sys.stderr)
            return 2

    def show(result):
        flag = f"  FLAGGED: {'; '.join(result.flags)}" if result.flags else ""
        reason = f"  ({result.reason})" if result.reason else ""
        print(f"{result.student}: {result.status} {result.score:g}/{result.points:g}"
              f"{reason}{flag}")
    results = grade(course, args.name, sandbox=sandbox, seed=seed,
                    only=args.student or None, on_result=show)
    graded = sum(r.status == "graded" for r in results)
    flagged = sum(bool(r.flags) for r in results)
    print(f"{args.name}: {len(results)} submissions, {graded} graded, "
          f"{len(results) - graded} failed, {flagged} flagged")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.course")
    sub = parser.add_subparsers(dest="command", required=True)
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="the course folder (default: this repository)")
    sub.add_parser("build", help="write exercises/ from the specs and the reference")
    rel = sub.add_parser("release", help="build the student release")
    rel.add_argument("names", nargs="*", help="default: every assignment")
    grade = sub.add_parser("grade", help="grade the submissions of an assignment")
    grade.add_argument("name")
    grade.add_argument("--student", action="append", help="only this student (repeatable)")
    grade.add_argument("--seed", type=int, help="the run's seed (default: a new one)")
    grade.add_argument("--regrade", action="store_true",
                       help="use the seed of the last recorded run")
    grade.add_argument("--no-sandbox", action="store_true",
                       help="run student code without a sandbox (unsafe)")
    for flag in ("cell-seconds", "part-seconds", "submission-seconds"):
        grade.add_argument(f"--{flag}", type=float)
    grade.add_argument("--memory-mb", type=int)
    sub.add_parser("feedback", help="feedback HTML for an assignment").add_argument("name")
    sub.add_parser("export", help="grades as CSV").add_argument("--to", default="grades.csv")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "build":
        for path in build(root):
            print(f"wrote {path.relative_to(root)}")
    elif args.command == "release":
        release(args.names or assignments(root), root)
    elif args.command == "grade":
        return grade_command(args, root)
    elif args.command == "feedback":
        nbgrader(root, "generate_feedback", args.name, "--force")
    elif args.command == "export":
        nbgrader(root, "export", f"--to={args.to}")
    return 0
