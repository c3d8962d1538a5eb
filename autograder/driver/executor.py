"""The notebook's own run, inside the sandbox: every cell in a real kernel.

Started by the grader as ``python -c "...; main()" IN_FD OUT_FD``. It reads
one request ``{"notebook", "plan", "cell_seconds", "output_bytes"}``, starts
an IPython kernel beside itself (same sandbox), runs the cells in order as
nbgrader would, and sends one event per cell as soon as it has run:
``{"ev": "cell", "index", "status", "execution_count", "outputs"}`` with
status "ok", "error", "timeout" (interrupted after ``cell_seconds``) or
"died" (the kernel stopped: a new kernel replays the cells before it, whose
outputs are not sent again, and the run goes on). Outputs are cut to
``output_bytes`` in all. The grader trusts none of it: these outputs are
what the student sees of their own code, and test cells' hidden records
are compared with the verdict reached in isolation.
"""
from __future__ import annotations

import json
import os
import sys

from . import wire
from .kernel import MIME, PLAN_ENV

MAX_RESTARTS = 5


def _clip(outputs: list, budget: list[int], records: list[int]) -> list:
    """Outputs within what is left of the byte budget (hidden records have
    a budget of their own, so printing cannot crowd them out)."""
    kept = []
    for out in outputs:
        size = len(json.dumps(out, default=str))
        if MIME in (out.get("data") or {}):
            if size <= records[0]:
                records[0] -= size
                kept.append(out)
            continue
        if size <= budget[0]:
            budget[0] -= size
            kept.append(out)
            continue
        kept.append({"output_type": "stream", "name": "stderr",
                     "text": f"[an output of {size} bytes was cut: the notebook's "
                             f"outputs may hold {budget[0]} more bytes]\n"})
        budget[0] = 0
    return kept


def run(request: dict, send) -> None:
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    plan_path = os.path.join(os.environ.get("HOME", "/tmp"), ".hidden-plan.json")
    with open(plan_path, "w") as f:
        json.dump(request.get("plan", {}), f)
    env = dict(os.environ, **{PLAN_ENV: plan_path, "PYTHONPATH": os.pathsep.join(sys.path[:2])})
    nb = nbformat.from_dict(request["notebook"])
    budget = [int(request.get("output_bytes", 2 << 20))]
    records = [16 << 20]
    timeout = float(request.get("cell_seconds", 60))
    skip: set[int] = set()
    restarts = 0
    index = 0
    status = "ok"
    while index < len(nb.cells):
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                interrupt_on_timeout=False, record_timing=False,
                                startup_timeout=60, iopub_timeout=5)
        with client.setup_kernel(env=env):
            for replay in range(index):  # a new kernel: the cells so far, silently
                if replay not in skip and nb.cells[replay].cell_type == "code":
                    saved = nb.cells[replay].get("outputs")
                    try:
                        client.execute_cell(nb.cells[replay], replay)
                    except (CellTimeoutError, DeadKernelError):
                        pass
                    nb.cells[replay]["outputs"] = saved
            while index < len(nb.cells):
                cell = nb.cells[index]
                if cell.cell_type != "code":
                    index += 1
                    continue
                status = "ok"
                try:
                    client.execute_cell(cell, index)
                    if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                        status = "error"
                except CellTimeoutError:
                    status = "timeout"
                except DeadKernelError:
                    status = "died"
                send({"ev": "cell", "index": index, "status": status,
                      "execution_count": cell.get("execution_count"),
                      "outputs": _clip(cell.get("outputs", []), budget, records)})
                index += 1
                if status in ("died", "timeout"):  # a new kernel goes on
                    skip.add(index - 1)
                    break
            else:  # every cell has run: say so before the kernel's slow shutdown,
                send({"ev": "done"})  # which the grader cuts short by ending the sandbox
                return
        if status in ("died", "timeout"):
            restarts += 1
            if restarts > MAX_RESTARTS:
                break


def main() -> None:
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    request = wire.read(fd_in)

    def send(message: dict) -> None:
        wire.write(fd_out, message)
    try:
        run(request, send)
        send({"ev": "done"})  # (when the last kernel stopped early)
    except Exception as err:  # the grader reads the cells it has and goes on
        send({"ev": "failed", "message": f"{type(err).__name__}: {err}"[:500]})
