"""The instructor's command line: ``python -m autograder.course <command>``.

``build`` writes each assignment's nbgrader source notebook into
``exercises/`` from its spec (autograder/assignments/) and the reference;
``release`` turns them into the student versions under ``release/`` with
nbgrader (solutions and hidden tests stripped, cells locked).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


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
    from autograder.notebook import build as build_notebook, dumps

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.course")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="write exercises/ from the specs and the reference")
    rel = sub.add_parser("release", help="build the student release")
    rel.add_argument("names", nargs="*", help="default: every assignment")
    args = parser.parse_args(argv)
    if args.command == "build":
        for path in build():
            print(f"wrote {path.relative_to(ROOT)}")
    elif args.command == "release":
        release(args.names or assignments())
    return 0


if __name__ == "__main__":
    sys.exit(main())
