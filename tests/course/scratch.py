"""Scratch courses for the end-to-end tests: real nbgrader, real sandboxes.

A scratch course is a folder with the course's nbgrader_config.py and one
or more assignments copied from exercises/, released with nbgrader's own
generate_assignment; students' submissions are written into
course/submitted/ as nbgrader's collect would leave them, and graded with
the course's CLI, in a subprocess, as an instructor would.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PYTHON = sys.executable


def env() -> dict[str, str]:
    out = dict(os.environ)
    out["PATH"] = os.path.dirname(sys.executable) + os.pathsep + out["PATH"]
    return out


def make_course(folder: pathlib.Path, *names: str) -> pathlib.Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "nbgrader_config.py", folder)
    for name in names:
        shutil.copytree(ROOT / "exercises" / name, folder / "exercises" / name)
    cli(folder, "release", *names)
    return folder


def cli(course: pathlib.Path, *args: str, ok: bool = True, timeout: float = 1800,
        extra_env: dict | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run([PYTHON, "-m", "autograder.course", "--root", str(course), *args],
                          cwd=course, env={**env(), **(extra_env or {})},
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0 or not ok, (
        f"course {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
        f"{done.stderr[-3000:]}")
    return done


def nbgrader(course: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([PYTHON, "-m", "nbgrader", *args], cwd=course, env=env(),
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done


def notebook(course: pathlib.Path, kind: str, name: str) -> dict:
    """The released ("release") or source ("exercises") notebook of ``name``."""
    return json.loads((course / kind / name / f"{name}.ipynb").read_text())


def solution_cells(course: pathlib.Path, name: str) -> dict[str, str]:
    """grade_id -> the reference's text of every answer cell."""
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for c in notebook(course, "exercises", name)["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution")}


def fill(release: dict, sources: dict[str, str]) -> dict:
    """The release with some answer cells (by grade_id) replaced."""
    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution") and meta.get("grade_id") in sources:
            cell["source"] = sources[meta["grade_id"]]
    return nb


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "metadata": {}, "source": source, "outputs": [],
            "execution_count": None}


def submit(course: pathlib.Path, student: str, name: str, nb: dict | str | bytes | None,
           *, filename: str | None = None, files: dict[str, str] | None = None) -> pathlib.Path:
    """Write one submission as nbgrader's collect leaves it (with a timestamp)."""
    folder = course / "course" / "submitted" / student / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "timestamp.txt").write_text("2026-12-01 10:00:00.000000 UTC")
    if nb is not None:
        path = folder / (filename or f"{name}.ipynb")
        if isinstance(nb, dict):
            path.write_text(json.dumps(nb, indent=1))
        elif isinstance(nb, bytes):
            path.write_bytes(nb)
        else:
            path.write_text(nb)
    for relative, text in (files or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    return folder


def scores(course: pathlib.Path, name: str, student: str) -> dict[str, tuple[float, float, bool]]:
    """grade_id -> (score, max_score, needs_manual_grade) from the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'course' / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(name, name, student)
        return {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in nb.grades}


def result(course: pathlib.Path, name: str, student: str) -> dict:
    """The recorded outcome of one student (course/grading/NAME/STUDENT.json)."""
    return json.loads((course / "course" / "grading" / name / f"{student}.json").read_text())


def feedback_html(course: pathlib.Path, name: str, student: str) -> str:
    return (course / "course" / "feedback" / student / name / f"{name}.html").read_text()


def page_text(page: str) -> str:
    """What a reader of an HTML page sees: tags removed (code is split into
    highlighting spans), entities decoded."""
    import html
    import re
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def hidden_lines(course: pathlib.Path, name: str) -> list[str]:
    """The hidden-test lines of the source's test cells."""
    lines, inside = [], False
    for cell in notebook(course, "exercises", name)["cells"]:
        for line in "".join(cell["source"]).splitlines():
            if line.strip() == "### BEGIN HIDDEN TESTS":
                inside = True
            elif line.strip() == "### END HIDDEN TESTS":
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


def tree_digest(*folders: pathlib.Path, skip: tuple[str, ...] = ("__pycache__",)) -> dict:
    """relative path -> sha256 of every file under ``folders``."""
    out = {}
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not any(s in path.parts for s in skip):
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out
