"""The course's command line: ``python -m autograder.course <command>``.

Instructors, in the order of a class (each command has ``--help``):

- ``build``: write exercises/ (nbgrader's sources) from the specs and the reference
- ``release [NAME...]``: the student versions under release/ (nbgrader's
  generate_assignment), and with ``--exchange`` into nbgrader's exchange
- ``collect NAME``: nbgrader's collect, from the exchange into course/submitted/
- ``import NAME ZIP``: a learning-management system's zip of notebooks into course/submitted/
- ``grade NAME``: every submission, student code in sandboxes, verdicts outside them,
  in parallel on a local Dask cluster (or ``--scheduler``), resumable
- ``feedback NAME``: feedback HTML in course/feedback/ (nbgrader's generate_feedback)
- ``return NAME``: nbgrader's release_feedback, into the exchange
- ``export``: grades as CSV, one row per student and a column per part
- ``status [NAME]``: graded, failed (why), flagged, late; per part the mean
  score and the mistakes most often diagnosed

Learners: ``check NOTEBOOK``: the full hidden checks on one notebook, here.

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
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                          env=tool_env(), capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return done


def release(names: list[str], root: pathlib.Path = ROOT, *, exchange: bool = False) -> None:
    """Generate the student version of each named assignment."""
    for name in names:
        nbgrader(root, "generate_assignment", name, "--force")
        print(f"released {name} -> release/{name}")
        if exchange:
            nbgrader(root, "release_assignment", name, "--force")
            print(f"released {name} into nbgrader's exchange")
    if not names:
        print("no assignments in exercises/ yet: nothing to release")


# ---------------------------------------------------------------- grade

def _limits(args):
    from autograder.course.sandbox import Limits
    given = {"cell_seconds": args.cell_seconds, "part_seconds": args.part_seconds,
             "submission_seconds": args.submission_seconds, "memory_mb": args.memory_mb}
    return Limits(**{k: v for k, v in given.items() if v is not None})


def _sandbox(limits, no_sandbox: bool, *, command: str):
    from autograder.course.sandbox import Sandbox, SandboxUnavailable
    try:
        return Sandbox(limits, isolated=not no_sandbox)
    except SandboxUnavailable as err:
        print(f"{command}: cannot sandbox student code: {err}. Fix that, or pass "
              f"--no-sandbox to run it without a sandbox (it can then read and change "
              f"this machine).", file=sys.stderr)
        return None


def grade_command(args, root: pathlib.Path) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from autograder.course import report
    from autograder.course.gradebook import Course
    from autograder.course.run import grade

    sandbox = _sandbox(_limits(args), args.no_sandbox, command="grade")
    if sandbox is None:
        return 2
    console = Console()
    course = Course(root)
    if not (course.source / args.name).is_dir():
        console.print(f"grade: no assignment {args.name!r} in {course.source}")
        return 2
    workers = args.workers or os.cpu_count() or 1
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        bar = progress.add_task(f"grading {args.name}", total=None)

        def started(todo: int, done: int):
            progress.update(bar, total=todo)
            if done:
                console.print(f"{done} submissions already graded in this run: kept")

        def finished(result):
            progress.advance(bar)
            if result.status != "graded" or result.flags:
                console.print(report.one_line(result))
        summary = grade(course, args.name, sandbox=sandbox, seed=args.seed, fresh=args.fresh,
                        only=args.student or None, workers=workers, scheduler=args.scheduler,
                        on_start=started, on_result=finished)
    report.print_summary(console, summary, workers=1 if args.scheduler is None and workers < 2
                         else workers, scheduler=args.scheduler)
    return 0


def check_command(args, root: pathlib.Path) -> int:
    from rich.console import Console

    from autograder.course import report
    from autograder.course.check import check_notebook

    console = Console()
    sandbox = _sandbox(_limits(args), args.no_sandbox, command="check")
    if sandbox is None:
        return 2
    outcome, assignment = check_notebook(pathlib.Path(args.notebook), root, sandbox)
    report.print_check(console, outcome, assignment)
    return 0 if outcome.status == "graded" else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.course",
        description="Build, release, grade and report on the course's assignments.")
    parser.add_argument("--root", type=pathlib.Path, default=ROOT,
                        help="the course folder (default: this repository)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("build", help="write exercises/ from the specs and the reference",
                   description="Write each assignment's nbgrader source notebook.")
    rel = sub.add_parser("release", help="the student versions (release/)",
                         description="nbgrader generate_assignment for each assignment.")
    rel.add_argument("names", nargs="*", help="default: every assignment")
    rel.add_argument("--exchange", action="store_true",
                     help="also release_assignment into nbgrader's exchange")
    col = sub.add_parser("collect", help="collect submissions from nbgrader's exchange",
                         description="nbgrader collect into course/submitted/.")
    col.add_argument("name")
    imp = sub.add_parser("import", help="import a learning-management system's zip",
                         description="Place a zip of notebooks named by student into "
                                     "course/submitted/ and report what could not be placed.")
    imp.add_argument("name")
    imp.add_argument("zip", type=pathlib.Path)
    imp.add_argument("--roster", type=pathlib.Path, help="CSV: LMS name or id -> student id")
    imp.add_argument("--dry-run", action="store_true", help="report only, write nothing")
    imp.add_argument("--overwrite", action="store_true",
                     help="replace submissions already in course/submitted/")
    for name, text in (("grade", "grade the submissions of an assignment"),
                       ("check", "the full hidden checks on one notebook, here")):
        p = sub.add_parser(name, help=text, description=text[0].upper() + text[1:] + ".")
        if name == "grade":
            p.add_argument("name")
            p.add_argument("--student", action="append",
                           help="only this student, graded again (repeatable)")
            p.add_argument("--seed", type=int,
                           help="a new run with this seed (default: resume the last run, "
                                "or a new one with a new seed)")
            p.add_argument("--fresh", action="store_true",
                           help="a new run with new hidden inputs, every submission again")
            p.add_argument("--workers", type=int,
                           help="local worker processes (default: one per core)")
            p.add_argument("--scheduler", help="grade on this Dask cluster (tcp://HOST:PORT)")
        else:
            p.add_argument("notebook", help="the notebook to check")
        p.add_argument("--no-sandbox", action="store_true",
                       help="run student code without a sandbox (unsafe for others' code)")
        for flag in ("cell-seconds", "part-seconds", "submission-seconds"):
            p.add_argument(f"--{flag}", type=float, help=f"time cap ({flag.split('-')[0]})")
        p.add_argument("--memory-mb", type=int, help="address space per process")
    sub.add_parser("feedback", help="feedback HTML (course/feedback/)",
                   description="nbgrader generate_feedback on the autograded notebooks."
                   ).add_argument("name")
    sub.add_parser("return", help="release the feedback into nbgrader's exchange",
                   description="nbgrader release_feedback.").add_argument("name")
    exp = sub.add_parser("export", help="grades as CSV",
                         description="One row per student, a column per graded part.")
    exp.add_argument("names", nargs="*", help="default: every assignment")
    exp.add_argument("--to", type=pathlib.Path, default=pathlib.Path("grades.csv"))
    st = sub.add_parser("status", help="what was graded, and what the class got wrong",
                        description="Per assignment: graded, failed with reason, flagged, "
                                    "late; per part: mean score and the mistakes most "
                                    "often diagnosed.")
    st.add_argument("names", nargs="*", help="default: every assignment with results")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.command == "build":
        for path in build(root):
            print(f"wrote {path.relative_to(root)}")
    elif args.command == "release":
        release(args.names or assignments(root), root, exchange=args.exchange)
    elif args.command == "collect":
        print(nbgrader(root, "collect", args.name, "--update").stdout.strip() or "collected")
    elif args.command == "import":
        from autograder.course.lms import import_zip
        found = import_zip(root, args.name, args.zip, roster=args.roster,
                           dry_run=args.dry_run, overwrite=args.overwrite)
        print(found.text())
        return 0 if found.ok else 1
    elif args.command == "grade":
        return grade_command(args, root)
    elif args.command == "check":
        return check_command(args, root)
    elif args.command == "feedback":
        nbgrader(root, "generate_feedback", args.name, "--force")
        print(f"feedback written under course/feedback/*/{args.name}/")
    elif args.command == "return":
        nbgrader(root, "release_feedback", args.name)
        print(f"feedback of {args.name} released into the exchange")
    elif args.command == "export":
        from autograder.course import report
        rows = report.export_csv(root, args.names or assignments(root), args.to)
        print(f"wrote {args.to} ({rows} rows)")
    elif args.command == "status":
        from rich.console import Console

        from autograder.course import report
        report.print_status(Console(), root, args.names)
    return 0
