"""What the command line tells an instructor: summaries, status, export.

Everything here reads the recorded outcomes (course/grading/<assignment>/
<student>.json, written by autograder/course/gradebook.py) and nbgrader's
gradebook; nothing here grades.
"""
from __future__ import annotations

import collections
import csv
import json
import pathlib
from typing import Iterable

from autograder.course.gradebook import Course
from autograder.course.run import RUN_FILE, StudentResult, Summary


def one_line(result: StudentResult) -> str:
    """A rich line; whatever comes from a submission is escaped."""
    from rich.markup import escape
    text = escape(f"{result.student}: {result.status} {result.score:g}/{result.points:g}")
    if result.reason:
        text += escape(f" ({result.reason})")
    if result.flags:
        text += "  [bold red]flagged[/]: " + escape("; ".join(result.flags)[:300])
    return text


def print_summary(console, summary: Summary, *, workers: int, scheduler: str | None) -> None:
    from rich.table import Table

    graded = [r for r in summary.results if r.status == "graded"]
    failed = [r for r in summary.results if r.status != "graded"]
    flagged = [r for r in summary.results if r.flags]
    where = scheduler or (f"{workers} local workers" if workers > 1 else "this process")
    table = Table(title=f"{summary.run.assignment}: run of {summary.run.started}, "
                        f"seed {summary.run.seed}" + (" (resumed)" if summary.run.resumed else ""))
    for column in ("graded", "failed", "flagged", "kept from before", "time"):
        table.add_column(column, justify="right")
    table.add_row(str(len(graded)), str(len(failed)), str(len(flagged)),
                  str(len(summary.skipped)), f"{summary.seconds:.1f} s")
    console.print(table)
    console.print(f"graded on {where}", soft_wrap=True)
    if graded:
        mean = sum(r.score for r in graded) / len(graded)
        console.print(f"mean score of the graded: {mean:.2f} / {graded[0].points:g}")


def print_check(console, outcome, assignment: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    if outcome.status != "graded":
        console.print(f"[bold]{escape(assignment)}[/]: not graded: {escape(outcome.reason)}")
        return
    table = Table(title=f"{assignment}: {outcome.score:g} / {outcome.points:g} points "
                        f"(hidden inputs of seed {outcome.seed})", show_lines=True)
    for column in ("part", "points", "verdict"):
        table.add_column(column)
    for part in outcome.parts:
        verdict = "[green]passed[/]" if part.score == part.points else escape(part.message)
        table.add_row(part.grade_id, f"{part.score:g}/{part.points:g}", verdict)
    console.print(table, markup=True)
    for note in outcome.notes:
        console.print(escape(f"note: {note}"))


# ---------------------------------------------------------------- reading

def results(course: Course, assignment: str) -> list[dict]:
    folder = course.results / assignment
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        if path.name == RUN_FILE:
            continue
        try:
            out.append(json.loads(path.read_text()))
        except ValueError:
            continue
    return out


def _parts(result: dict) -> list[dict]:
    return [p for o in result.get("outcomes", []) for p in o.get("parts", [])]


def _penalties(course: Course, assignment: str) -> dict[str, float]:
    import warnings

    from nbgrader.api import Gradebook
    out = {}
    with warnings.catch_warnings(), Gradebook(course.db_url) as gb:
        warnings.simplefilter("ignore")
        try:
            for sub in gb.find_assignment(assignment).submissions:
                out[sub.student.id] = float(sub.late_submission_penalty or 0.0)
        except Exception:  # an assignment not yet in the gradebook
            pass
    return out


def export_csv(root: pathlib.Path, names: Iterable[str], to: pathlib.Path) -> int:
    """One row per student and assignment; a column per part (grade id)."""
    course = Course(root)
    rows, columns = [], []
    for name in names:
        penalties = _penalties(course, name) if results(course, name) else {}
        for result in results(course, name):
            parts = _parts(result)
            for p in parts:
                if p["grade_id"] not in columns:
                    columns.append(p["grade_id"])
            outcome_status = ["failed" if o.get("status") != "graded" else "graded"
                              for o in result["outcomes"]]
            score = sum(p["score"] for p in parts)
            penalty = penalties.get(result["student"], 0.0)
            rows.append({"assignment": name, "student": result["student"],
                         "status": "failed" if "failed" in outcome_status else "graded",
                         "reason": next((o.get("reason") for o in result["outcomes"]
                                         if o.get("reason")), "") or "",
                         "score": score - penalty, "raw_score": score,
                         "max_score": sum(p["points"] for p in parts),
                         "late_seconds": result.get("late_seconds", 0.0),
                         "late_penalty": penalty,
                         "flagged": "; ".join(f"{p['grade_id']}: {p['flag']}" for p in parts
                                              if p.get("flag")),
                         "seed": result.get("seed", ""),
                         **{p["grade_id"]: p["score"] for p in parts}})
    head = ["assignment", "student", "status", "reason", "score", "raw_score", "max_score",
            "late_seconds", "late_penalty", "flagged", "seed"]
    with open(to, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=head + columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def status(course: Course, name: str) -> dict:
    """Counts and per-part statistics of one assignment's recorded outcomes."""
    found = results(course, name)
    per_part: dict[str, dict] = {}
    failed = collections.Counter()
    for result in found:
        for outcome in result["outcomes"]:
            if outcome.get("status") != "graded":
                failed[outcome.get("reason") or "unknown"] += 1
        for p in _parts(result):
            entry = per_part.setdefault(p["grade_id"], {"points": p["points"], "scores": [],
                                                        "causes": collections.Counter()})
            entry["scores"].append(p["score"])
            if p["score"] < p["points"]:
                cause = p.get("diagnosis") or _first_clause(p.get("message", ""))
                entry["causes"][cause] += 1
    return {"students": len(found),
            "graded": sum(all(o.get("status") == "graded" for o in r["outcomes"]) for r in found),
            "failed": failed,
            "flagged": sorted(r["student"] for r in found if any(p.get("flag") for p in _parts(r))),
            "late": sorted(r["student"] for r in found if r.get("late_seconds", 0) > 0),
            "parts": per_part}


def _first_clause(message: str) -> str:
    """The gist of an undiagnosed failure: what, without where."""
    text = message.split(" (")[0].strip()
    for word in (", line ", " at step", " at t=", " at ", ": yours"):
        text = text.split(word)[0]
    return text[:120] or "no message"


def print_status(console, root: pathlib.Path, names: list[str]) -> None:
    from rich.markup import escape
    from rich.table import Table

    course = Course(root)
    if not names:
        names = sorted(p.name for p in course.results.iterdir()) if course.results.is_dir() else []
    if not names:
        console.print("no grading runs recorded yet: `grade NAME` first")
    for name in names:
        s = status(course, name)
        console.print(f"[bold]{name}[/]: {s['students']} submissions, {s['graded']} graded, "
                      f"{sum(s['failed'].values())} failed, {len(s['flagged'])} flagged, "
                      f"{len(s['late'])} late")
        for reason, n in s["failed"].most_common():
            console.print(escape(f"  failed ({n}): {reason}"))
        if s["flagged"]:
            console.print(escape(f"  flagged: {', '.join(s['flagged'])}"))
        if s["late"]:
            console.print(escape(f"  late: {', '.join(s['late'])}"))
        table = Table(show_lines=False)
        for column in ("part", "mean", "full marks", "most common mistakes"):
            table.add_column(column)
        for grade_id, entry in s["parts"].items():
            scores = entry["scores"]
            mean = sum(scores) / len(scores)
            full = sum(x == entry["points"] for x in scores)
            causes = "; ".join(f"{c} ({n})" for c, n in entry["causes"].most_common(3))
            table.add_row(grade_id, f"{mean:.2f}/{entry['points']:g}",
                          f"{full}/{len(scores)}", escape(causes))
        console.print(table)
