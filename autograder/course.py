"""The instructor's command line: ``python -m autograder.course <command>``.

``release`` turns every assignment in ``exercises/`` into its student
version under ``release/`` with nbgrader (solutions and hidden tests
stripped, cells locked).
"""
from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def assignments(root: pathlib.Path = ROOT) -> list[str]:
    """Names of the assignments: the folders of exercises/ with a notebook."""
    source = root / "exercises"
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and any(p.glob("*.ipynb")))


def release(names: list[str], root: pathlib.Path = ROOT) -> None:
    """Generate the student version of each named assignment."""
    (root / "course").mkdir(exist_ok=True)
    for name in names:
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment",
               name, "--force"]
        subprocess.run(cmd, cwd=root, check=True)
        print(f"released {name} -> release/{name}")
    if not names:
        print("no assignments in exercises/ yet: nothing to release")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.course")
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="build the student release")
    rel.add_argument("names", nargs="*", help="default: every assignment")
    args = parser.parse_args(argv)
    if args.command == "release":
        release(args.names or assignments())
    return 0


if __name__ == "__main__":
    sys.exit(main())
