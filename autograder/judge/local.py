"""The hidden checks run inside one's own notebook process.

This is what ``hidden_check`` does where no grading run prepared the
kernel: an instructor running a source notebook in Jupyter, a learner
checking their own work with the course installed, or stock ``nbgrader
autograde``. The reference and the student's code then share one process,
so anything the notebook does can change the verdict: it is feedback, never
a grade. Grades come from ``python -m autograder.course grade``, where
student code runs in a sandbox and this module is never imported beside it.

Warnings and anything written to stderr are silenced (nbgrader gives a test
cell 0 points if it writes to stderr), and the other graded functions the
part calls (``Graded.uses``) are bound to the reference while it runs, so
one mistake costs points in one part only.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import warnings
from typing import Any, Iterator, Sequence

import numpy as np

from autograder.judge import graded
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure


def student_impl(names: Sequence[str], namespace: dict) -> Any:
    """The student's objects for ``names`` (a tuple when there are several)."""
    missing = [n for n in names if n not in namespace]
    if missing:
        raise CheckFailure(f"name {missing[0]!r} is not defined: run the cell that "
                           f"defines it (and keep its name as in the skeleton)")
    objects = tuple(namespace[n] for n in names)
    return objects[0] if len(objects) == 1 else objects


@contextlib.contextmanager
def reference_in(namespace: dict, concept: str, names: Sequence[str]) -> Iterator[None]:
    """Temporarily bind ``names`` in ``namespace`` to the reference's."""
    if not names:
        yield
        return
    module = importlib.import_module(f"solutions.{concept}")
    saved = {n: namespace.get(n, _ABSENT) for n in names}
    try:
        namespace.update({n: getattr(module, n) for n in names})
        yield
    finally:
        for n, value in saved.items():
            if value is _ABSENT:
                namespace.pop(n, None)
            else:
                namespace[n] = value


_ABSENT = object()


def hidden_check(key: str, namespace: dict, *, cases: Sequence[int] | None = None,
                 seed: int = 0) -> None:
    """Check the student's implementation (found in ``namespace``) against
    the reference; whatever goes wrong surfaces as one CheckFailure, whose
    message is all that the notebook shows."""
    record = graded(key)
    student = student_impl(record.names, namespace)
    concept = key.partition(".")[0]
    try:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings(), \
                np.errstate(all="ignore"), reference_in(namespace, concept, record.uses):
            warnings.simplefilter("ignore")
            check(record, student, only=cases, seed=seed)
    except CheckFailure:
        raise
    except Exception as err:  # a failure of the check itself, never hidden code
        raise CheckFailure(f"the check of {key} could not run: "
                           f"{type(err).__name__}: {err}") from None
