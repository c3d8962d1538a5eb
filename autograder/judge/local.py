"""What a hidden test cell calls: ``hidden_check("update_rules.adam", lambda: impl)``.

The cell stays one line, so the feedback a student receives can show the
check's message and nothing of how it was computed. Warnings and anything
written to stderr are silenced here (nbgrader gives a test cell 0 points if
it writes to stderr, even when it passes), and the graded function is
checked on its own: the other graded functions it calls are replaced by the
reference while it runs, so one mistake costs points in one part only.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import warnings
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from autograder.judge.core import Graded, check
from autograder.judge.feedback import CheckFailure


def graded(key: str) -> Graded:
    """``"update_rules.adam"`` -> the Graded record in autograder.update_rules."""
    concept, _, name = key.partition(".")
    module = importlib.import_module(f"autograder.judge.{concept}")
    try:
        return module.GRADED[name]
    except KeyError:
        raise KeyError(f"autograder.judge.{concept} grades no {name!r}; it grades "
                       f"{sorted(module.GRADED)}") from None


def _namespace(impl: Any) -> dict | None:
    """The globals of the notebook that defined ``impl`` (a function, a
    class or a tuple of them)."""
    for item in impl if isinstance(impl, tuple) else (impl,):
        fn = item
        if isinstance(item, type):
            fn = next((v for v in vars(item).values() if callable(v)
                       and hasattr(v, "__globals__")), None)
        if hasattr(fn, "__globals__"):
            return fn.__globals__
    return None


@contextlib.contextmanager
def reference_in(namespace: dict | None, concept: str,
                 names: Sequence[str]) -> Iterator[None]:
    """Temporarily bind ``names`` in ``namespace`` to the reference's."""
    if not names or namespace is None:
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


def hidden_check(key: str, impl: Callable[[], Any], *, cases: Sequence[int] | None = None,
                 uses: Sequence[str] = ()) -> None:
    """Check the student's implementation against the reference.

    ``impl`` is a function of no arguments that returns the implementation
    (``lambda: (adam_init, adam_step)``), so that a name the student never
    defined becomes a sentence here, not a traceback through the hidden
    test cell. Whatever goes wrong surfaces as one CheckFailure, whose
    message is all that the notebook or the feedback shows.
    """
    try:
        student = impl()
    except NameError as err:
        raise CheckFailure(f"{err}: run the cell that defines it (and keep its "
                           f"name as in the skeleton)") from None
    concept = key.partition(".")[0]
    try:
        with contextlib.redirect_stderr(io.StringIO()), warnings.catch_warnings(), \
                np.errstate(all="ignore"), reference_in(_namespace(student), concept, uses):
            warnings.simplefilter("ignore")
            check(graded(key), student, only=cases)
    except CheckFailure:
        raise
    except Exception as err:  # a failure of the check itself, never hidden code
        raise CheckFailure(f"the check of {key} could not run: "
                           f"{type(err).__name__}: {err}") from None
