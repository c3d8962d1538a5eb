"""Run a submission's graded parts, each in a fresh copy of its state.

The notebook's code cells (test cells left out) go to a sandboxed worker
(:mod:`autograder.driver.worker`) one at a time; at each test cell the
worker forks and the child runs that part's hidden cases, so every part
sees exactly the state the notebook had above its test cell and nothing
another part did. The results are plain data, judged elsewhere.

When a cell stops the worker (``os._exit``, a crash, memory exhausted) or
runs past its time, it is left out from then on; when a part does, that
part fails. Either way a new worker replays the cells so far and grading
goes on, within the submission's time.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

from autograder.course.channel import Channel, ChannelError
from autograder.course.intake import Graded
from autograder.course.sandbox import Limits, Sandbox

WORKER = "from autograder.driver.worker import main\nmain()"
MAX_SERVED = 20_000  # calls of the reference one part may ask for


@dataclass
class PartRun:
    results: list[dict] | None = None  # per case: {"ok": data} or {"error": info}
    failure: str | None = None         # why there are no results


@dataclass
class IsolatedRun:
    parts: dict[str, PartRun] = field(default_factory=dict)
    cells: dict[int, str] = field(default_factory=dict)  # index -> what went wrong
    restarts: int = 0
    seconds: float = 0.0


class _Worker:
    def __init__(self, sandbox: Sandbox):
        r1, w1 = os.pipe()
        r2, w2 = os.pipe()
        self.process = sandbox.python(WORKER, str(r1), str(w2), pass_fds=(r1, w2))
        os.close(r1)
        os.close(w2)
        self.channel = Channel(w1, r2)

    def close(self) -> None:
        self.process.kill()
        self.channel.close()


def run_isolated(graded: Graded, plans: dict[str, dict], sandbox: Sandbox,
                 serve: Callable[[str, str, list, dict], dict],
                 served: Callable[[str, dict], list[str]] | None = None) -> IsolatedRun:
    """Every part of ``graded`` whose grade_id is in ``plans``; a plan is
    ``{"names", "cases", "given_names", "served"}`` and ``given`` sources
    come with the plans under the key ``"*given"``. ``served(grade_id,
    parts_so_far)``, when given, says which of the part's served names to
    serve after all, knowing the results of the parts before it."""
    limits = sandbox.limits
    start = time.monotonic()
    deadline = start + limits.submission_seconds
    run = IsolatedRun()
    items: list[tuple[int, str, str]] = [(i, "cell", src) for i, src in graded.code_cells()]
    items += [(p.index, "part", p.grade_id) for p in graded.parts if p.grade_id in plans]
    items.sort()
    given = plans.get("*given", [])
    worker: _Worker | None = None
    position = 0
    try:
        while position < len(items):
            index, kind, payload = items[position]
            if time.monotonic() >= deadline:
                for _, k, gid in items[position:]:
                    if k == "part":
                        run.parts[gid] = PartRun(failure=f"the submission's time "
                                                 f"({limits.submission_seconds:g} s) ran out "
                                                 f"before this part")
                break
            try:
                if worker is None:
                    worker = _start(sandbox, given, items[:position], run, deadline)
                if kind == "cell":
                    reply = _cell(worker, index, payload, limits, deadline)
                    if reply.get("status") == "raised":
                        run.cells[index] = "raised"
                else:
                    plan = plans[payload]
                    if served is not None:
                        plan = dict(plan, served=served(payload, run.parts))
                    run.parts[payload] = _part(worker, payload, plan, limits,
                                               deadline, serve)
            except ChannelError as err:
                if worker is not None:
                    worker.close()
                worker = None
                run.restarts += 1
                if kind == "cell":
                    run.cells[index] = _why(err, f"{limits.cell_seconds:g} s", "cell")
                else:
                    run.parts[payload] = PartRun(
                        failure=_why(err, f"{limits.part_seconds:g} s", "part"))
            position += 1
    finally:
        if worker is not None:
            worker.close()
    run.seconds = time.monotonic() - start
    return run


def _why(err: ChannelError, limit: str, what: str) -> str:
    if err.kind == "timeout":
        return f"ran for more than {limit} (the time of one {what}) and was stopped"
    if err.kind == "closed":
        return ("stopped Python (os._exit, a crash, or the memory limit): nothing "
                "after it in this run could be graded")
    return f"sent the grader unreadable data ({err})"


def _start(sandbox: Sandbox, given: list[str], before: list, run: IsolatedRun,
           deadline: float) -> _Worker:
    """A new worker with the given cells loaded and the cells so far replayed.
    A cell that stops a worker while it is replayed is left out from then on
    (a cell need not do the same thing twice), and the replay starts over."""
    limits = sandbox.limits
    while True:
        worker = _Worker(sandbox)
        replaying = None
        try:
            worker.channel.recv(min(deadline, time.monotonic() + 30))
            if given:
                until = min(deadline, time.monotonic() + limits.cell_seconds)
                worker.channel.send({"op": "given", "sources": given}, until)
                worker.channel.recv(until)
            for index, kind, payload in before:
                if kind == "cell" and run.cells.get(index, "raised") == "raised":
                    replaying = index
                    _cell(worker, index, payload, limits, deadline)
            return worker
        except ChannelError as err:
            worker.close()
            run.restarts += 1
            if replaying is None or time.monotonic() >= deadline:
                raise
            run.cells[replaying] = _why(err, f"{limits.cell_seconds:g} s", "cell")


def _cell(worker: _Worker, index: int, source: str, limits: Limits, deadline: float) -> dict:
    until = min(deadline, time.monotonic() + limits.cell_seconds)
    worker.channel.send({"op": "cell", "index": index, "source": source}, until)
    reply = worker.channel.recv(until)
    if reply.get("ev") != "cell" or reply.get("index") != index:
        raise ChannelError("corrupt", "it answered out of turn")
    return reply


def _part(worker: _Worker, grade_id: str, plan: dict, limits: Limits, deadline: float,
          serve: Callable[[str, str, list, dict], dict]) -> PartRun:
    until = min(deadline, time.monotonic() + limits.part_seconds)
    request = {"op": "part", "part": grade_id, **{k: plan[k] for k in
                                                   ("names", "cases", "given_names", "served")}}
    worker.channel.send(request, until)
    results: list[dict | None] = [None] * len(plan["cases"])
    served = 0
    while True:
        event = worker.channel.recv(until)
        ev = event.get("ev")
        if ev == "case" and event.get("part") == grade_id:
            k = event.get("index")
            if isinstance(k, int) and 0 <= k < len(results) and results[k] is None:
                result = event.get("result")
                results[k] = result if isinstance(result, dict) else {
                    "error": {"kind": "refused", "message": "an unreadable result"}}
        elif ev == "serve":
            served += 1
            reply = ({"error": f"more than {MAX_SERVED} calls"} if served > MAX_SERVED
                     else serve(grade_id, str(event.get("name")), event.get("args"),
                               event.get("kwargs")))
            worker.channel.send({"op": "served", **reply}, until)
        elif ev == "part_done" and event.get("part") == grade_id:
            break
        else:
            raise ChannelError("corrupt", "it answered out of turn")
    missing = [k for k, r in enumerate(results) if r is None]
    if missing:
        status = event.get("status", "")
        return PartRun(failure=f"stopped before case {missing[0]} finished ({status}: "
                       f"os._exit, a crash, or the memory limit)")
    return PartRun(results=results)
