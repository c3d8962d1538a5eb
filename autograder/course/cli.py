"""The instructor's command line: ``python -m autograder.course <command>``.

- ``build``: write each assignment's nbgrader source notebook into
  ``exercises/`` from its spec (autograder/assignments/) and the reference.
- ``release [NAME...]``: the student versions under ``release/`` (solutions
  and hidden tests stripped, cells locked).
- ``autograde NAME``: grade every submission in ``course/submitted/*/NAME``;
  a submission whose kernel dies is graded from a copy in which the cell
  that stops the kernel raises an error instead (autograder/recovery.py),
  so it loses that part only.
- ``feedback NAME``: feedback HTML in ``course/feedback`` (messages of the
  checks, no hidden test code).
- ``export``: all grades as CSV.

Everything runs nbgrader with the course's ``nbgrader_config.py``; the
``--root`` option points at another course folder (the tests use one).
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


def release(names: list[str], root: pathlib.Path = ROOT) -> None:
    """Generate the student version of each named assignment."""
    (root / "course").mkdir(exist_ok=True)
    for name in names:
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment",
               name, "--force"]
        subprocess.run(cmd, cwd=root, check=True, env=tool_env())
        print(f"released {name} -> release/{name}")
    if not names:
        print("no assignments in exercises/ yet: nothing to release")


def nbgrader(root: pathlib.Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course folder ``root``."""
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                          env=tool_env(), check=check, capture_output=True, text=True)


def autograde(name: str, root: pathlib.Path = ROOT) -> dict[str, list[str]]:
    """Grade all submissions of ``name``; return {student: cells replaced}
    for the submissions whose kernel died (empty lists: none replaced)."""
    import nbformat

    from autograder.course import recovery

    submitted = root / "course" / "submitted"
    students = sorted(p.name for p in submitted.iterdir() if (p / name).is_dir())
    nbgrader(root, "autograde", name, "--create", "--force", check=False)
    recovered: dict[str, list[str]] = {}
    for student in students:
        if (root / "course" / "autograded" / student / name).is_dir():
            continue
        area = root / "course" / "recovery"
        recovery.copy_submission(submitted / student / name, area / student / name)
        replaced: list[str] = []
        for path in sorted((area / student / name).glob("*.ipynb")):
            source = root / "exercises" / name / path.name
            copy, cells = recovery.neutralized(path, source)
            nbformat.write(copy, path)
            replaced += cells
        nbgrader(root, "autograde", name, "--create", "--force", f"--student={student}",
                 f"--CourseDirectory.submitted_directory={area.relative_to(root)}")
        recovered[student] = replaced
    return recovered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.course")
    sub = parser.add_subparsers(dest="command", required=True)
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="the course folder (default: this repository)")
    sub.add_parser("build", help="write exercises/ from the specs and the reference")
    rel = sub.add_parser("release", help="build the student release")
    rel.add_argument("names", nargs="*", help="default: every assignment")
    for command in ("autograde", "feedback"):
        sub.add_parser(command).add_argument("name")
    sub.add_parser("export", help="grades as CSV").add_argument(
        "--to", default="grades.csv")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "build":
        for path in build(root):
            print(f"wrote {path.relative_to(root)}")
    elif args.command == "release":
        release(args.names or assignments(root), root)
    elif args.command == "autograde":
        for student, cells in autograde(args.name, root).items():
            print(f"{student}: the kernel died; graded with {cells} replaced by an error")
    elif args.command == "feedback":
        nbgrader(root, "generate_feedback", args.name, "--force")
    elif args.command == "export":
        nbgrader(root, "export", f"--to={args.to}")
    return 0
