"""How a graded function is checked, and how a failure is diagnosed.

A :class:`Graded` function has a reference implementation, a list of
:class:`Case` s (each runs any implementation on fixed, seeded inputs and
returns its named outputs) and a catalogue of known :class:`Mistake` s
(each an implementation that makes that mistake). :func:`check` runs the
student's implementation and the reference on every case and compares the
outputs; on the first difference it runs the catalogue on the same case and
names the mistake that reproduces what the student computed, if one does.
The reference code is never shown: only its outputs on the failing entry.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from autograder.judge.compare import check_value, relative_errors
from autograder.judge.feedback import CheckFailure
from autograder.judge.tolerances import Tolerance, tolerance

Outputs = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One seeded experiment: ``run(impl)`` returns that impl's outputs."""
    label: str
    run: Callable[[Any], Outputs]
    tol: str = "formula"
    leading: str | None = None  # name of the first axis of stacked outputs
    # What every right answer gives, when that is known without running the
    # reference (a threshold met, say): spares a second, costly run.
    expected: Outputs | None = None


@dataclass(frozen=True)
class Mistake:
    """A known mistake: ``impl`` makes it; ``hint`` explains it in a sentence."""
    name: str
    hint: str
    impl: Any


@dataclass(frozen=True)
class Graded:
    """A function an assignment grades, with everything needed to check it."""
    name: str
    reference: Any
    cases: Callable[[], Sequence[Case]]
    mistakes: Sequence[Mistake] = field(default_factory=tuple)
    allow_float32: bool = False


def flatten(name: str, value: Any) -> list[tuple[str, Any]]:
    """Leaves of nested tuples, NamedTuples and dicts, with dotted names."""
    if hasattr(value, "_fields"):
        return [leaf for f in value._fields
                for leaf in flatten(f"{name}.{f}", getattr(value, f))]
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in flatten(f"{name}[{k!r}]", v)]
    if isinstance(value, (tuple, list)) and not _is_numeric_list(value):
        return [leaf for i, v in enumerate(value) for leaf in flatten(f"{name}[{i}]", v)]
    return [(name, value)]


def _is_numeric_list(value) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, (int, float, np.number)) for v in value)


def compare_outputs(graded: Graded, case: Case, got: Outputs,
                    expected: Outputs) -> None:
    """Raise CheckFailure at the first output of ``got`` that is off.

    For stacked trajectories (``case.leading``) "first" means the earliest
    step at which any output differs, whichever output that is.
    """
    leaves: list[tuple[str, Any, Any]] = []
    for key, exp in expected.items():
        _compare_tree(graded, case, key, got.get(key, _MISSING), exp, leaves)
    tol = tolerance(case.tol)

    def first_bad_row(leaf):
        err = relative_errors(leaf[1], leaf[2], tol.floor)
        rows = (err > tol.rtol).reshape(len(err), -1).any(axis=1) if err.ndim else [err > tol.rtol]
        return int(np.argmax(rows)) if np.any(rows) else len(rows)
    if case.leading:
        leaves.sort(key=first_bad_row)
    for name, yours, exp in leaves:
        check_value(yours, exp, name=name, tol=case.tol,
                    allow_float32=graded.allow_float32, leading=case.leading,
                    context=f"{graded.name}, {case.label}")


_MISSING = object()
_ANY = Tolerance(np.inf, 1.0, "structure only: values are compared later")


def _compare_tree(graded: Graded, case: Case, name: str, yours, exp,
                  leaves: list) -> None:
    """Check the structure of ``yours`` against ``exp``; collect the leaves.

    Each leaf is validated (type, shape, dtype, finiteness) at once, with
    an infinite tolerance, so ``leaves`` holds only comparable arrays.
    """
    if yours is _MISSING:
        raise CheckFailure(f"your {graded.name} returned no {name} ({case.label})")
    if hasattr(exp, "_fields") or isinstance(exp, dict):
        keys = exp._fields if hasattr(exp, "_fields") else list(exp)
        for k in keys:
            sub = _get(yours, k)
            if sub is _MISSING:
                raise CheckFailure(
                    f"your {name} has no field {k!r} ({graded.name}, {case.label})")
            e = getattr(exp, k) if hasattr(exp, "_fields") else exp[k]
            _compare_tree(graded, case, f"{name}.{k}", sub, e, leaves)
        return
    if isinstance(exp, tuple):
        if not isinstance(yours, (tuple, list)) or len(yours) != len(exp):
            n = len(yours) if isinstance(yours, (tuple, list)) else type(yours).__name__
            raise CheckFailure(f"your {name} should be a tuple of {len(exp)} "
                               f"values, got {n} ({graded.name}, {case.label})")
        for i, (y, e) in enumerate(zip(yours, exp)):
            _compare_tree(graded, case, f"{name}[{i}]", y, e, leaves)
        return
    check_value(yours, exp, name=name, tol=_ANY, allow_float32=graded.allow_float32,
                context=f"{graded.name}, {case.label}")
    leaves.append((name, yours, exp))


def _get(value, key):
    if isinstance(value, dict):
        return value.get(key, _MISSING)
    return getattr(value, key, _MISSING)


def run_impl(graded: Graded, case: Case, impl: Any, *, whose: str) -> Outputs:
    """Run one case, turning an exception into a sentence for the student."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return case.run(impl)
        except CheckFailure:
            raise
        except Exception as err:  # the student's code may raise anything
            if whose != "your":
                raise
            raise CheckFailure(
                f"your {graded.name} raised {type(err).__name__}: {err} "
                f"({case.label})") from None


def matches(got: Outputs, out: Outputs, case: Case) -> bool:
    """True when two runs agree on every leaf within the case's tolerance."""
    tol = tolerance(case.tol)
    a, b = dict(flatten("", got)), dict(flatten("", out))
    if a.keys() != b.keys():
        return False
    for k in a:
        try:
            x, y = np.asarray(a[k], dtype=np.float64), np.asarray(b[k], dtype=np.float64)
        except (TypeError, ValueError):
            return False
        if x.shape != y.shape or (relative_errors(x, y, tol.floor) > tol.rtol).any():
            return False
    return True


def diagnose(graded: Graded, case: Case, got: Outputs) -> Mistake | None:
    """The catalogued mistake whose output on ``case`` equals the student's."""
    for mistake in graded.mistakes:
        try:
            out = run_impl(graded, case, mistake.impl, whose="mistake")
        except Exception:
            continue
        if matches(got, out, case):
            return mistake
    return None


def check(graded: Graded, student: Any, *, only: Sequence[int] | None = None) -> None:
    """Pass silently, or raise one CheckFailure that says where and why.

    ``only`` restricts the check to some case indices, so an assignment can
    give partial credit for independent groups of cases.
    """
    cases = list(graded.cases())
    for case in (cases if only is None else [cases[i] for i in only]):
        expected = (case.expected if case.expected is not None
                    else run_impl(graded, case, graded.reference, whose="reference"))
        got = run_impl(graded, case, student, whose="your")
        try:
            compare_outputs(graded, case, got, expected)
        except CheckFailure as fail:
            mistake = diagnose(graded, case, got)
            raise CheckFailure(fail.message,
                               diagnosis=mistake.hint if mistake else None) from None
