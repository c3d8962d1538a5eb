"""Grading runs: in parallel, on a real Dask cluster, resumable, repeatable.

One class of submissions of assignment 4 (right, wrong in a part, empty,
broken) is graded serially as the reference; then the same submissions,
in other scratch courses with the same seed: by two local Dask workers; by
a real ``dask scheduler`` with two ``dask worker`` processes; and by a run
killed with SIGKILL part way and started again. Every one must end with
the same gradebook (the export, which holds every score and the seed) and
the same messages, nothing graded twice, and no process left behind.
"""
from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time

import pytest

from autograder.course.sandbox import leftovers
from scratch import (PYTHON, cli, env, fill, make_course, notebook, result, solution_cells,
                     submit)

NAME = "04_update_rules"
SEED = "4242"


def populate(course: pathlib.Path) -> list[str]:
    release = notebook(course, "release", NAME)
    sol = solution_cells(course, NAME)
    skeleton = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
                for c in release["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    kinds = {
        "right": fill(release, sol),
        "empty": release,
        "no-adam": fill(release, dict(sol, adam_init=skeleton["adam_init"])),
        "no-decay": fill(release, dict(sol, adam_init=sol["adam_init"].replace(
            "    g = g + weight_decay * w\n", "    g = g  # (no decay)\n"))),
    }
    names = []
    for i in range(3):
        for kind, nb in kinds.items():
            submit(course, f"{kind}-{i}", NAME, nb)
            names.append(f"{kind}-{i}")
    submit(course, "broken-0", NAME, b"{ this is not json")
    names.append("broken-0")
    return names


def exported(course: pathlib.Path) -> str:
    out = course / "grades.csv"
    cli(course, "export", NAME, "--to", str(out))
    return out.read_text()


def messages(course: pathlib.Path, names: list[str]) -> dict:
    return {n: [(p["grade_id"], p["score"], p["message"])
                for p in result(course, NAME, n)["outcomes"][0]["parts"]] for n in names}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("serial"), NAME)
    names = populate(course)
    cli(course, "grade", NAME, "--seed", SEED, "--workers", "1")
    return {"course": course, "names": names, "export": exported(course),
            "messages": messages(course, names)}


def same_as_reference(course: pathlib.Path, reference: dict) -> None:
    assert exported(course) == reference["export"]
    assert messages(course, reference["names"]) == reference["messages"]
    assert not leftovers(), leftovers()


def test_the_reference_run_grades_as_expected(reference):
    rows = {line.split(",")[1]: line.split(",") for line in reference["export"].splitlines()[1:]}
    assert rows["right-0"][4] == "20.0" and rows["empty-0"][4] == "0.0"
    assert rows["no-adam-1"][4] == "16.0" and rows["no-decay-2"][4] == "18.0"
    assert rows["broken-0"][2] == "failed" and "not valid JSON" in rows["broken-0"][3]


def test_two_local_workers_give_the_same_gradebook(reference, tmp_path):
    course = make_course(tmp_path, NAME)
    populate(course)
    done = cli(course, "grade", NAME, "--seed", SEED, "--workers", "2")
    assert "2 local workers" in done.stdout
    same_as_reference(course, reference)


def test_a_dask_cluster_grades_the_same(reference, tmp_path):
    course = make_course(tmp_path / "course", NAME)
    populate(course)
    file = tmp_path / "scheduler.json"
    dask = str(pathlib.Path(PYTHON).parent / "dask")
    procs = [subprocess.Popen([dask, "scheduler", "--scheduler-file", str(file), "--port", "0",
                               "--no-dashboard", "--host", "127.0.0.1"], env=env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)]
    try:
        for _ in range(300):
            if file.exists() and json.loads(file.read_text() or "{}").get("address"):
                break
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        for i in range(2):
            procs.append(subprocess.Popen(
                [dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--name", f"grader-{i}"], env=env(),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        done = cli(course, "grade", NAME, "--seed", SEED, "--scheduler", address)
        assert address in done.stdout
        same_as_reference(course, reference)
    finally:
        for p in procs:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def test_a_run_killed_part_way_resumes_to_the_same_gradebook(reference, tmp_path):
    course = make_course(tmp_path, NAME)
    names = populate(course)
    folder = course / "course" / "grading" / NAME
    run = subprocess.Popen([PYTHON, "-m", "autograder.course", "--root", str(course), "grade",
                            NAME, "--seed", SEED, "--workers", "2"], cwd=course, env=env(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        graded = [p for p in folder.glob("*.json") if p.name != "run.json"] if folder.is_dir() else []
        if len(graded) >= 3:
            break
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    kept = {p.stem for p in folder.glob("*.json") if p.name != "run.json"}
    assert 3 <= len(kept) < len(names), f"the run was not stopped part way ({len(kept)} graded)"
    time.sleep(1)
    assert not leftovers(), leftovers()
    done = cli(course, "grade", NAME)  # no seed: the recorded run is resumed
    assert f"{len(kept)} submissions already graded in this run: kept" in done.stdout
    assert "(resumed)" in done.stdout
    same_as_reference(course, reference)
    again = cli(course, "grade", NAME)
    assert f"{len(names)} submissions already graded in this run: kept" in again.stdout
    same_as_reference(course, reference)


def test_a_late_penalty_set_in_the_course_config_applies(tmp_path):
    course = make_course(tmp_path, NAME)
    with open(course / "nbgrader_config.py", "a") as f:
        f.write('\nc.LateSubmissionPlugin.penalty_method = "zero"\n')
    from scratch import nbgrader
    nbgrader(course, "db", "assignment", "add", NAME, "--duedate=2026-11-30 12:00:00 UTC")
    release = notebook(course, "release", NAME)
    submit(course, "late", NAME, fill(release, solution_cells(course, NAME)))  # Dec 1st
    cli(course, "grade", NAME, "--workers", "1")
    row = exported(course).splitlines()[1].split(",")
    assert row[1] == "late" and row[5] == "20.0" and row[8] == "20.0" and row[4] == "0.0", row
