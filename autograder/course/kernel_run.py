"""The notebook's own run, for its feedback and for the in-kernel outcome.

The graded notebook runs top to bottom in a real IPython kernel inside a
sandbox (:mod:`autograder.driver.executor`), as nbgrader would run it, so
the student's outputs can be shown back to them and each test cell's own
outcome (did it finish, did its hidden check run and what did it record)
can be compared with the verdict reached in isolation. Nothing from here
counts towards a grade.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from autograder.course.channel import Channel, ChannelError
from autograder.course.intake import Graded
from autograder.course.sandbox import Sandbox
from autograder.driver.kernel import MIME, part_key

EXECUTOR = "from autograder.driver.executor import main\nmain()"
REACHED = "reached"  # a record of a check that was reached but not re-run


@dataclass
class KernelRun:
    cells: dict[int, dict] = field(default_factory=dict)  # index -> status, outputs
    records: dict[str, list] = field(default_factory=dict)  # test cell -> its results
    failure: str | None = None
    seconds: float = 0.0


def run_kernel(graded: Graded, plan: dict[str, dict], sandbox: Sandbox) -> KernelRun:
    """Run the notebook; ``plan`` maps part keys (driver.kernel.part_key) to
    ``{"names", "cases"}``."""
    limits = sandbox.limits
    start = time.monotonic()
    deadline = start + limits.submission_seconds
    run = KernelRun()
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    process = sandbox.python(EXECUTOR, str(r1), str(w2), pass_fds=(r1, w2),
                             isolate_python=False)
    os.close(r1)
    os.close(w2)
    channel = Channel(w1, r2, total_cap=limits.output_bytes * 4 + (64 << 20))
    try:
        channel.send({"notebook": graded.notebook(), "plan": plan,
                      "cell_seconds": limits.cell_seconds,
                      "output_bytes": limits.output_bytes}, deadline)
        while True:
            event = channel.recv(deadline)
            if event.get("ev") == "cell" and isinstance(event.get("index"), int):
                run.cells[event["index"]] = event
            elif event.get("ev") == "failed":
                run.failure = f"the notebook's run stopped: {str(event.get('message'))[:300]}"
                break
            elif event.get("ev") == "done":
                break
    except ChannelError as err:
        run.failure = ("the notebook ran past the submission's time "
                       f"({limits.submission_seconds:g} s)" if err.kind == "timeout"
                       else f"the notebook's run ended early ({err})")
    finally:
        process.kill()
        channel.close()
    for part in graded.parts:
        event = run.cells.get(part.index)
        if not event:
            continue
        want = part_key(part.key, part.cases)
        outputs = event.get("outputs") if isinstance(event.get("outputs"), list) else []
        kept = []
        for out in outputs:
            data = out.get("data") if isinstance(out, dict) else None
            record = data.get(MIME) if isinstance(data, dict) else None
            if record is None:
                kept.append(out)
            elif isinstance(record, dict) and record.get("part") == want:
                run.records[part.grade_id] = (REACHED if record.get("reached")
                                              else record.get("results"))
        event["outputs"] = kept
    for event in run.cells.values():  # a record printed anywhere else is dropped
        if isinstance(event.get("outputs"), list):
            event["outputs"] = [o for o in event["outputs"] if not (
                isinstance(o, dict) and isinstance(o.get("data"), dict) and MIME in o["data"])]
    run.seconds = time.monotonic() - start
    return run
