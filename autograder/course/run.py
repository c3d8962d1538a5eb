"""A grading run of an assignment: one task per submission, one writer.

A run has a seed, drawn when it starts and recorded with it in
``course/grading/<assignment>/run.json``; every submission of the run meets
the hidden inputs of that seed. Each submission becomes a :class:`Task`
(plain data: the source notebooks, the submitted notebooks' bytes, the
seed, the limits) that any machine with the course installed can grade
(:func:`run_task`); its outcomes come back as plain data, and this process
alone records them (autograder/course/gradebook.py), as they arrive.

Runs resume: a run that was stopped (even by ``kill -9``) is taken up again
with its own seed, and a submission whose recorded outcome matches its
current files and the run's seed is not graded again, so the final
gradebook is the one an uninterrupted run writes. ``fresh=True`` starts a
new run (a new seed: new hidden inputs) over every submission.

A submission that cannot be graded is recorded with its reason and the run
goes on; so does it when grading one fails for a reason of ours (said as
such). No submitted file is ever written.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import secrets
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from autograder.course.gradebook import Course, record
from autograder.course.grading import Outcome, refused_outcome, grade_notebook
from autograder.course.sandbox import Limits, Sandbox

RUN_FILE = "run.json"


@dataclass
class Task:
    """What a worker needs to grade one student's submission: plain data."""
    assignment: str
    student: str
    seed: int
    notebooks: list[dict]   # {"name", "source", "data" (bytes or None), "note"}
    limits: dict
    isolated: bool


@dataclass
class StudentResult:
    student: str
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def status(self) -> str:
        return "failed" if any(o.status != "graded" for o in self.outcomes) else "graded"

    @property
    def score(self) -> float:
        return sum(o.score for o in self.outcomes)

    @property
    def points(self) -> float:
        return sum(o.points for o in self.outcomes)

    @property
    def flags(self) -> list[str]:
        return [f for o in self.outcomes for f in o.flags]

    @property
    def reason(self) -> str | None:
        return next((o.reason for o in self.outcomes if o.reason), None)


# ---------------------------------------------------------------- the run

@dataclass
class Run:
    assignment: str
    seed: int
    started: str
    status: str = "running"
    resumed: bool = False


def students(course: Course, assignment: str) -> list[str]:
    if not course.submitted.is_dir():
        return []
    return sorted(p.name for p in course.submitted.iterdir() if (p / assignment).is_dir())


def read_run(course: Course, assignment: str) -> Run | None:
    try:
        data = json.loads((course.results / assignment / RUN_FILE).read_text())
        return Run(assignment, int(data["seed"]), str(data["started"]), str(data["status"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_run(course: Course, run: Run, sandbox: Sandbox) -> None:
    folder = course.results / run.assignment
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{RUN_FILE}.tmp"
    tmp.write_text(json.dumps({"seed": run.seed, "started": run.started, "status": run.status,
                               "sandboxed": sandbox.isolated,
                               "limits": dataclasses.asdict(sandbox.limits)}, indent=1))
    os.replace(tmp, folder / RUN_FILE)


def open_run(course: Course, assignment: str, sandbox: Sandbox, *, seed: int | None = None,
             fresh: bool = False) -> Run:
    """The run to grade in: the recorded one (resumed), or a new one when
    asked (``fresh``, or another ``seed``) or when there is none."""
    last = read_run(course, assignment)
    if last and not fresh and (seed is None or seed == last.seed):
        last.resumed, last.status = True, "running"
        write_run(course, last, sandbox)
        return last
    run = Run(assignment, secrets.randbelow(2**31) if seed is None else seed,
              time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    write_run(course, run, sandbox)
    return run


def finish_run(course: Course, run: Run, sandbox: Sandbox) -> None:
    run.status = "complete"
    write_run(course, run, sandbox)


# ---------------------------------------------------------------- tasks

def locate(folder: pathlib.Path, expected: str) -> tuple[pathlib.Path | None, str | None]:
    """The submitted notebook for the source notebook ``expected``: the file
    of that name, or else the only notebook there is (with a note)."""
    path = folder / expected
    if path.is_file():
        return path, None
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if len(others) == 1:
        return others[0], f"the notebook is named {others[0].name}, expected {expected}: graded anyway"
    if not others:
        names = sorted(p.name for p in folder.iterdir())[:5] if folder.is_dir() else []
        names = [n for n in names if n != "timestamp.txt"]
        return None, (f"no notebook {expected} was submitted"
                      + (f" (the folder holds {', '.join(names)})" if names else
                         " (the folder is empty)"))
    return None, (f"no notebook {expected} was submitted, and there are several others "
                  f"({', '.join(p.name for p in others[:5])})")


def make_task(course: Course, assignment: str, student: str, seed: int,
              sandbox: Sandbox) -> Task:
    folder = course.submitted / student / assignment
    notebooks = []
    for source_path in course.source_notebooks(assignment):
        path, note = locate(folder, source_path.name)
        notebooks.append({"name": source_path.name, "source": json.loads(source_path.read_text()),
                          "data": path.read_bytes() if path else None, "note": note})
    return Task(assignment, student, seed, notebooks, dataclasses.asdict(sandbox.limits),
                sandbox.isolated)


def fingerprint(task: Task) -> dict[str, str]:
    """What a recorded outcome must match for the submission to count as
    graded in this run: each notebook's bytes and its source."""
    out = {}
    for nb in task.notebooks:
        data = nb["data"] if nb["data"] is not None else b""
        source = json.dumps(nb["source"], sort_keys=True).encode()
        out[nb["name"]] = hashlib.sha256(data + b"\0" + source).hexdigest()
    return out


_SESSIONS: dict[int, object] = {}
_SANDBOXES: dict[tuple, Sandbox] = {}


def run_task(task: Task) -> dict:
    """Grade one task (on whatever machine runs it); never raises."""
    from autograder.judge.session import Session

    start = time.monotonic()
    session = _SESSIONS.get(task.seed)
    if session is None:
        session = _SESSIONS.setdefault(task.seed, Session(task.seed))
    key = (tuple(sorted(task.limits.items())), task.isolated)
    outcomes = []
    for nb in task.notebooks:
        empty = Outcome(assignment=task.assignment, notebook=nb["name"], seed=task.seed,
                        status="failed")
        try:
            sandbox = _SANDBOXES.get(key)
            if sandbox is None:
                sandbox = _SANDBOXES.setdefault(key, Sandbox(Limits(**task.limits),
                                                             isolated=task.isolated))
            if nb["data"] is None:
                outcome = refused_outcome(empty, nb["source"], nb["note"], time.monotonic())
            else:
                outcome = grade_notebook(nb["source"], nb["data"], name=nb["name"],
                                         assignment=task.assignment, session=session,
                                         sandbox=sandbox)
                if nb["note"]:
                    outcome.notes.insert(0, nb["note"])
        except Exception as err:  # a fault of the grader's: said, and the run goes on
            detail = "".join(traceback.format_exception_only(type(err), err)).strip()
            outcome = refused_outcome(empty, nb["source"], f"the grader failed on this submission "
                               f"({detail[:300]}); please report it", time.monotonic())
        outcomes.append(outcome.to_json())
    return {"student": task.student, "outcomes": outcomes,
            "seconds": time.monotonic() - start}


def result_of(data: dict) -> StudentResult:
    return StudentResult(data["student"], [Outcome.from_json(o) for o in data["outcomes"]],
                         data.get("seconds", 0.0))


# ---------------------------------------------------------------- executors

def serial(tasks: Iterable[Task]) -> Iterator[tuple[Task, dict]]:
    for task in tasks:
        yield task, run_task(task)


def on_dask(tasks: list[Task], *, scheduler: str | None, workers: int) -> Iterator[tuple[Task, dict]]:
    """Each task on a Dask worker (a local cluster of ``workers`` processes,
    or the cluster at ``scheduler``); results in the order they finish. A
    task whose worker dies is reported as a failure of the grader."""
    import logging

    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler:
        client = Client(scheduler, timeout="30s")
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        futures = {client.submit(run_task, task, pure=False, retries=1): task for task in tasks}
        for future in as_completed(futures):
            task = futures[future]
            try:
                yield task, future.result()
            except Exception as err:  # the worker died or the task could not run
                yield task, _lost(task, err)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _lost(task: Task, err: BaseException) -> dict:
    reason = (f"the grader's worker failed on this submission ({type(err).__name__}: "
              f"{str(err)[:200]}); grade it again")
    outcomes = []
    for nb in task.notebooks:
        empty = Outcome(assignment=task.assignment, notebook=nb["name"], seed=task.seed,
                        status="failed")
        outcomes.append(refused_outcome(empty, nb["source"], reason, time.monotonic()).to_json())
    return {"student": task.student, "outcomes": outcomes, "seconds": 0.0}


# ---------------------------------------------------------------- grading

@dataclass
class Summary:
    run: Run
    results: list[StudentResult]
    skipped: list[str]          # already graded in this run
    seconds: float


def grade(course: Course, assignment: str, *, sandbox: Sandbox, seed: int | None = None,
          fresh: bool = False, only: list[str] | None = None, workers: int = 1,
          scheduler: str | None = None,
          on_start: Callable[[int, int], None] | None = None,
          on_result: Callable[[StudentResult], None] | None = None) -> Summary:
    """Grade the submissions of ``assignment`` (all, or ``only`` these) and
    record each as it comes; see the module docstring."""
    start = time.monotonic()
    run = open_run(course, assignment, sandbox, seed=seed, fresh=fresh)
    names = only or students(course, assignment)
    tasks, skipped = [], []
    for student in names:
        task = make_task(course, assignment, student, run.seed, sandbox)
        done = course.read_result(assignment, student)
        if (done and not fresh and done.get("seed") == run.seed
                and done.get("fingerprint") == fingerprint(task) and not only):
            skipped.append(student)
            continue
        tasks.append(task)
    if on_start:
        on_start(len(tasks), len(skipped))
    results = []
    parallel = scheduler is not None or (workers > 1 and len(tasks) > 1)
    stream = on_dask(tasks, scheduler=scheduler, workers=workers) if parallel else serial(tasks)
    for task, data in stream:
        result = result_of(data)
        record(course, task.student, assignment, result.outcomes,
               course.submitted / task.student / assignment,
               {"seed": run.seed, "fingerprint": fingerprint(task), "seconds": result.seconds})
        results.append(result)
        if on_result:
            on_result(result)
    if not only:
        finish_run(course, run, sandbox)
    return Summary(run, results, skipped, time.monotonic() - start)
