"""How a graded function is judged, and how a failure is diagnosed.

A :class:`Graded` function has a reference implementation, the names a
student defines for it, a list of :class:`Case` s drawn from a seed (each
is a call of :mod:`autograder.driver.calls` with its inputs as plain
data) and a catalogue of known :class:`Mistake` s (each an implementation
that makes that mistake).

The student's code runs elsewhere (a sandbox, see autograder.course) and
only its outputs come here. :func:`judge` compares them with the
reference's outputs on the same inputs; at the first difference it runs
the catalogue on that case and names the mistake that reproduces what the
student computed, if one does. The reference code is never shown: only
its outputs on the failing entry. :func:`check` runs an implementation
in this process instead (for the tests of the checks, and for checking
one's own work), through exactly the same calls and the same wire.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from autograder.driver import calls, errors, wire
from autograder.judge.compare import check_value, relative_errors, wire_type
from autograder.judge.feedback import CheckFailure
from autograder.judge.tolerances import Tolerance, tolerance

Outputs = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One experiment: ``call`` (a name in autograder.driver.calls) run on
    ``args`` (plain data); the student's outputs are compared with the
    reference's within the tolerance ``tol``."""
    label: str
    call: str
    args: dict
    tol: str = "formula"
    leading: str | None = None  # name of the first axis of stacked outputs
    # What every right answer gives, when that is known without running the
    # reference (a threshold met, say): spares a second, costly run.
    expected: Outputs | None = None
    # Judge-side rules applied to a run's raw outputs before the comparison
    # (the reference's too): may raise CheckFailure (a schedule that is not
    # pure, say) and returns the outputs to compare (an accuracy computed
    # from trained parameters, say). Diagnosis always matches raw outputs.
    prepare: Callable[[Outputs], Outputs] | None = None
    # Raw outputs that are measurements of the run (how long it took), not
    # results: prepare may read them, diagnosis never compares them.
    measured: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mistake:
    """A known mistake: ``impl`` makes it; ``hint`` explains it in a sentence."""
    name: str
    hint: str
    impl: Any


@dataclass(frozen=True)
class Graded:
    """A function (or a group of them) that an assignment grades.

    ``names`` are what the student defines, in the order the calls take
    them (one name: the call gets that object; several: a tuple);
    ``cases(seed)`` draws the hidden cases of one grading run; ``uses``
    are other graded names that the part calls, served by the reference
    while this part is judged, so one mistake costs points in one part."""
    name: str
    reference: Any
    cases: Callable[[int], Sequence[Case]]
    names: tuple[str, ...] = ()
    mistakes: Sequence[Mistake] = field(default_factory=tuple)
    allow_float32: bool = False
    uses: tuple[str, ...] = ()

    @property
    def impl(self) -> str:
        """The expression that names the student's implementation."""
        return self.names[0] if len(self.names) == 1 else f"({', '.join(self.names)})"


@dataclass(frozen=True)
class Raised:
    """A call that stopped in the student's code: ``info`` is the dict of
    autograder.driver.errors (kind, message, and where it happened)."""
    info: dict

    def sentence(self, graded: Graded, case: Case) -> str:
        i = self.info
        if i.get("kind") == "refused":
            return f"{i.get('message', 'your code returned something unusable')} ({case.label})"
        at = f" {i['at']}" if i.get("at") else ""
        fn = i.get("function")
        subject = fn if fn in graded.names else graded.name
        inside = f", in {fn}" if fn and fn != subject else ""
        line = f", line {i['line']} of its cell: {i.get('text', '')}" if i.get("line") else ""
        kind = i.get("type", "an exception")
        message = i.get("message", "")
        if kind == "NotImplementedError" and not message:
            message = "it is still the skeleton"
        return (f"your {subject} raised {kind}{at}: {message}{inside}{line} "
                f"({case.label})")


Result = Any  # Outputs, or Raised


# ---------------------------------------------------------------- running here

def run_local(case: Case, impl: Any) -> Result:
    """Run ``impl`` (trusted code: a reference, a mistake, a test's own
    version) on one case in this process, through the same call and the
    same wire as a sandboxed student's code, so outputs look alike."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            out = calls.run(case.call, impl, calls.copied(case.args))
        except errors.Refusal as err:
            return Raised(errors.refusal(err))
        except Exception as err:
            return Raised(errors.describe(err))
    try:
        return wire.decode(wire.encode(out))
    except wire.WireError as err:
        return Raised({"kind": "refused", "message": f"the outputs could not be read: {err}"})


def reference_outputs(graded: Graded, case: Case) -> Outputs:
    """What the reference computes on ``case`` (a bug of ours if it fails)."""
    if case.expected is not None:
        return case.expected
    out = run_local(case, graded.reference)
    if isinstance(out, Raised):
        raise RuntimeError(f"the reference of {graded.name} failed on "
                           f"{case.label}: {out.info}")
    return case.prepare(out) if case.prepare else out


# ---------------------------------------------------------------- judging

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
        isinstance(v, (int, float, np.number, np.bool_)) for v in value)


def compare_outputs(graded: Graded, case: Case, got: Outputs,
                    expected: Outputs) -> None:
    """Raise CheckFailure at the first output of ``got`` that is off.

    For stacked trajectories (``case.leading``) "first" means the earliest
    step at which any output differs, whichever output that is.
    """
    if not isinstance(got, dict):
        raise CheckFailure(f"the outputs of your {graded.name} could not be read "
                           f"({case.label})")
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
            n = len(yours) if isinstance(yours, (tuple, list)) else wire_type(yours)
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
    if hasattr(value, "_fields"):
        return getattr(value, key, _MISSING) if key in value._fields else _MISSING
    return _MISSING


def matches(got: Outputs, out: Outputs, case: Case) -> bool:
    """True when two runs agree on every leaf within the case's tolerance."""
    tol = tolerance(case.tol)
    if not isinstance(got, dict) or not isinstance(out, dict):
        return False
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
    results = _results(got, case)
    for mistake in graded.mistakes:
        out = run_local(case, mistake.impl)
        if not isinstance(out, Raised) and matches(results, _results(out, case), case):
            return mistake
    return None


def _results(out: Any, case: Case) -> Any:
    if not case.measured or not isinstance(out, dict):
        return out
    return {k: v for k, v in out.items() if k not in case.measured}


def judge_case(graded: Graded, case: Case, got: Result, expected: Outputs) -> None:
    """Pass silently, or raise one CheckFailure that says where and why."""
    if isinstance(got, Raised):
        raise CheckFailure(got.sentence(graded, case))
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            compared = case.prepare(got) if case.prepare else got
            compare_outputs(graded, case, compared, expected)
    except CheckFailure as fail:
        mistake = diagnose(graded, case, got)
        hint = mistake.hint if mistake else fail.diagnosis
        raise CheckFailure(fail.message, diagnosis=hint) from None


def check(graded: Graded, impl: Any, *, only: Sequence[int] | None = None,
          seed: int = 0) -> None:
    """Run ``impl`` here on the cases of ``seed`` (or the indices ``only``)
    and judge it: pass silently or raise the student's CheckFailure."""
    cases = list(graded.cases(seed))
    for case in (cases if only is None else [cases[i] for i in only]):
        judge_case(graded, case, run_local(case, impl), reference_outputs(graded, case))
