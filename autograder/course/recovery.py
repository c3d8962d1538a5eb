"""Grade a notebook whose kernel died, without losing the rest of it.

nbgrader cannot score a submission whose kernel dies (``os._exit``, a
segfault, memory exhausted): every test cell waits for manual grading.
Here the submission is replayed cell by cell (with the hidden tests the
grader would insert) to find the cell that stops the kernel; a copy of the
notebook is made in which that cell (or, when a test cell dies running
the student's code, the solution cell of its part) raises an error
explaining what happened; that copy is graded instead. The submission
itself is never modified.
"""
from __future__ import annotations

import json
import pathlib
import shutil

import nbformat

KILLED = ("raise RuntimeError('At grading, this cell stopped the Python kernel "
          "(os._exit, a crash or memory exhausted), so it was replaced by this "
          "error to let the rest of the notebook be graded.')\n")


def _grade_ids(nb) -> list[str | None]:
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


def with_hidden_tests(submitted, source):
    """The submission with each test cell's source taken from the source
    notebook, as nbgrader's autograde does."""
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
             if c.metadata.get("nbgrader", {}).get("grade")}
    nb = nbformat.from_dict(json.loads(json.dumps(submitted)))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in tests:
            cell.source = tests[gid]
    return nb


def killing_cell(nb, *, timeout: int = 120) -> int | None:
    """Index of the first cell during which the kernel dies, or None."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, DeadKernelError

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            try:
                client.execute_cell(cell, index)
            except DeadKernelError:
                return index
            except CellExecutionError:
                continue
    return None


def part_solution(nb, index: int) -> int:
    """The solution cell a cell belongs to: itself, or the nearest above."""
    for i in range(index, -1, -1):
        if nb.cells[i].metadata.get("nbgrader", {}).get("solution"):
            return i
    return index


def neutralized(submitted_path: pathlib.Path, source_path: pathlib.Path,
                *, max_rounds: int = 10) -> tuple[nbformat.NotebookNode, list[str]]:
    """A copy of the submission in which no cell stops the kernel, and the
    grade ids (or cell numbers) of the cells replaced."""
    submitted = nbformat.read(submitted_path, as_version=4)
    source = nbformat.read(source_path, as_version=4)
    replaced: list[str] = []
    for _ in range(max_rounds):
        index = killing_cell(with_hidden_tests(submitted, source))
        if index is None:
            return submitted, replaced
        target = part_solution(submitted, index)
        cell = submitted.cells[target]
        if cell.source == KILLED:  # the kernel dies even without it: give up
            break
        cell.source = KILLED
        replaced.append(_grade_ids(submitted)[target] or f"cell {target}")
    raise RuntimeError(f"{submitted_path}: the kernel still dies after replacing {replaced}")


def copy_submission(src: pathlib.Path, dst: pathlib.Path) -> None:
    """The submission folder (timestamp included) into the recovery area."""
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
