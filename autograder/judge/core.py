"""How a graded function is judged, and how a failure is diagnosed.

A :class:`Graded` function has a reference implementation, the names a
student defines for it, a list of :class:`Case` s drawn from a seed (each
is a call of :mod:`autograder.driver.calls` with its inputs as plain
data) and a catalogue of known :class:`Mistake` s (each an implementation
that makes that mistake).

The student's code runs elsewhere (a sandbox, see autograder.course) and
only its outputs come here. :func:`judge_case` compares them with the
reference's outputs on the same inputs; at the first difference it runs
the catalogue on that case and names the mistake that reproduces what the
student computed, if one does and if the student's outputs on the other
cases of the part confirm it (:func:`diagnose`); otherwise it says what
the student's outputs have in common with the expected ones
(:mod:`.relations`). The reference code is never shown: only its outputs
on the failing entry. :func:`check` runs an implementation in this
process instead (for the tests of the checks, and for checking one's own
work), through exactly the same calls and the same wire.
"""
from __future__ import annotations

import dataclasses
import inspect
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from autograder.driver import calls, errors, wire
from autograder.judge import relations
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
    # Whether the notebook's own run repeats the hidden cases (to compare its
    # outcome with the isolated verdict). A part whose cases are costly (a
    # whole training) only marks that its hidden check was reached.
    rerun_in_notebook: bool = True

    @property
    def impl(self) -> str:
        """The expression that names the student's implementation."""
        return self.names[0] if len(self.names) == 1 else f"({', '.join(self.names)})"


@dataclass(frozen=True)
class Raised:
    """A call that stopped in the student's code: ``info`` is the dict of
    autograder.driver.errors (kind, message, and where it happened:
    ``function``, ``line`` and ``text`` of the innermost frame in a cell,
    and ``cell``; ``caller``, when present, is the graded function that
    called that frame)."""
    info: dict

    def sentence(self, graded: Graded, case: Case) -> str:
        """"your adam_step raised ValueError at step 3: ..., in _scale, line 3
        of its cell: ... (case)": the graded function, then the helper of the
        student's where it happened, when that is another function."""
        i = self.info
        if i.get("kind") == "refused":
            return f"{i.get('message', 'your code returned something unusable')} ({case.label})"
        at = f" {i['at']}" if i.get("at") else ""
        fn = i.get("function")
        kind = i.get("type", "an exception")
        message = i.get("message", "")
        if kind == "NotImplementedError" and not message:
            message = "it is still the skeleton"
        given = str(i.get("cell", "")).startswith("given")
        cell = "its cell (a given one)" if given else "its cell"
        line = f", line {i['line']} of {cell}: {i.get('text', '')}" if i.get("line") else ""
        if not fn or fn in graded.names:
            subject = fn or graded.name
            inside = ""
        elif "cell" in i:  # a helper (the student's or a given one) a graded function called
            subject = " or ".join(_callers(graded, i.get("caller")))
            inside = f", in {_frame_name(fn)}" + (" (a given function)" if given else "")
        else:  # code outside any cell: named by its own function's name
            subject = graded.name
            inside = f", in {_frame_name(fn)}" if fn != subject else ""
        return f"your {subject} raised {kind}{at}: {message}{inside}{line} ({case.label})"


def _callers(graded: Graded, caller: Any) -> list[str]:
    """The graded functions that may have called a helper that raised: the
    one the driver names, else the part's only (or main) function, else all."""
    if caller in graded.names:
        return [caller]
    if len(graded.names) == 1:
        return list(graded.names)
    if graded.name in graded.names:
        return [graded.name]
    return list(graded.names) or [graded.name]


def _frame_name(fn: str) -> str:
    """A frame's name as a student would say it."""
    return {"<lambda>": "a lambda", "<listcomp>": "a list comprehension",
            "<dictcomp>": "a dict comprehension", "<setcomp>": "a set comprehension",
            "<genexpr>": "a generator expression"}.get(fn, fn)


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
    """True when two runs agree on every leaf within the case's tolerance
    (numbers and arrays within it; other leaves, None or a string such as
    a dtype's name, exactly)."""
    tol = tolerance(case.tol)
    if not isinstance(got, dict) or not isinstance(out, dict):
        return False
    a, b = dict(flatten("", got)), dict(flatten("", out))
    if a.keys() != b.keys():
        return False
    return all(_same_leaf(a[k], b[k], tol) for k in a)


def _same_leaf(x: Any, y: Any, tol: Tolerance) -> bool:
    if x is None or y is None or isinstance(x, (str, bytes)) or isinstance(y, (str, bytes)):
        return type(x) is type(y) and x == y
    try:
        u, v = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return u.shape == v.shape and not (relative_errors(u, v, tol.floor) > tol.rtol).any()


class OtherCase:
    """Another case of the part being judged, as the judge has it: the
    student's result on it and the reference's outputs. Either may be
    given as a function of no arguments, called (once) when first needed:
    where the student's code runs here, :func:`check` runs it on another
    case only if a diagnosis needs that case."""

    def __init__(self, case: Case, got: Result | Callable[[], Result],
                 expected: Outputs | Callable[[], Outputs] | None = None):
        self.case = case
        self._got, self._expected = got, expected

    def got(self) -> Result:
        if callable(self._got):
            self._got = self._got()
        return self._got

    def expected(self, graded: Graded) -> Outputs:
        if self._expected is None:
            self._expected = reference_outputs(graded, self.case)
        elif callable(self._expected):
            self._expected = self._expected()
        return self._expected


def _other_cases(others: Sequence[Any]) -> list[OtherCase]:
    """``others`` as OtherCase: each one already, or ``(case, got)`` or
    ``(case, got, expected)``."""
    return [o if isinstance(o, OtherCase) else OtherCase(*o) for o in others or ()]


def diagnose(graded: Graded, case: Case, got: Outputs,
             others: Sequence[Any] = ()) -> Mistake | None:
    """The catalogued mistake that explains what the student computed.

    A mistake is named only when its outputs on ``case`` are the student's
    AND the student's outputs on the other cases of the part (``others``,
    see :class:`OtherCase`) confirm it: on some other case where the
    mistake's outputs differ from the reference's, the student's are the
    mistake's too. A mistake that differs from the reference on no other
    case of the part (it shows on one case only) is confirmed instead by
    the student agreeing with it, and so with the reference, on every
    other case. Without other cases nothing confirms a mistake and none
    is named: a match on one case may be a coincidence (an all-zero
    gradient is also what a wrong traversal order gives on some graph).
    """
    results = _results(got, case)
    pool = _other_cases(others)
    for mistake in graded.mistakes:
        out = run_local(case, mistake.impl)
        if isinstance(out, Raised) or not matches(results, _results(out, case), case):
            continue
        if _confirmed(graded, mistake, pool):
            return mistake
    return None


def _confirmed(graded: Graded, mistake: Mistake, others: Sequence[OtherCase]) -> bool:
    agrees_everywhere = bool(others)
    for other in others:
        yours = other.got()
        out = run_local(other.case, mistake.impl)
        if isinstance(yours, Raised) or isinstance(out, Raised):
            if _same_error(yours, out):
                return True  # the mistake raises here, and the student's code the same way
            agrees_everywhere = False
            continue
        if not matches(_results(yours, other.case), _results(out, other.case), other.case):
            agrees_everywhere = False
            continue
        if _fails(graded, other.case, out, other.expected(graded)):
            return True  # the mistake shows here too, and the student has it
    # the mistake shows on no other case: the student must agree on all of them
    return agrees_everywhere


def _same_error(a: Result, b: Result) -> bool:
    """Both runs raised the same exception with the same message."""
    if not (isinstance(a, Raised) and isinstance(b, Raised)):
        return False
    keys = ("kind", "type", "message")
    return a.info.get("kind") == "raised" and all(a.info.get(k) == b.info.get(k) for k in keys)


def _fails(graded: Graded, case: Case, out: Outputs, expected: Outputs) -> bool:
    """True when ``out`` would not pass ``case``."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            compare_outputs(graded, case, case.prepare(out) if case.prepare else out, expected)
    except CheckFailure:
        return True
    return False


def _results(out: Any, case: Case) -> Any:
    if not case.measured or not isinstance(out, dict):
        return out
    return {k: v for k, v in out.items() if k not in case.measured}


def judge_case(graded: Graded, case: Case, got: Result, expected: Outputs,
               others: Sequence[Any] = ()) -> None:
    """Pass silently, or raise one CheckFailure that says where and why.

    ``others`` are the other cases of the part with the student's results
    on them (see :class:`OtherCase`): they confirm a catalogued mistake
    before it is named. The cause is, in this order: a confirmed mistake's
    hint; the case's own diagnosis (from its ``prepare``); what the
    student's outputs have in common with the expected ones
    (:func:`relations.explain`).
    """
    if isinstance(got, Raised):
        raise CheckFailure(got.sentence(graded, case))
    compared = None
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            compared = case.prepare(got) if case.prepare else got
            compare_outputs(graded, case, compared, expected)
    except CheckFailure as fail:
        pool = _other_cases(others)
        mistake = diagnose(graded, case, got, pool)
        hint = mistake.hint if mistake else fail.diagnosis
        if hint is None:
            hint = _relation(graded, case, got, compared, expected, pool)
        raise CheckFailure(fail.message, diagnosis=hint) from None


def _relation(graded: Graded, case: Case, got: Outputs, compared: Any,
              expected: Outputs, others: Sequence[OtherCase] = ()) -> str | None:
    """What the student's outputs on ``case`` have in common with the
    expected ones, in a sentence; None when nothing clear is found."""
    raw = _results(got, case)

    def rerun(args: dict) -> Any:
        out = run_local(dataclasses.replace(case, args={**case.args, **args}),
                        graded.reference)
        return None if isinstance(out, Raised) else _results(out, case)

    def elsewhere():
        for other in others:
            yours = other.got()
            if isinstance(yours, Raised):
                continue
            try:
                yours = other.case.prepare(yours) if other.case.prepare else yours
            except CheckFailure:
                continue
            yield yours, other.expected(graded), other.case
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return relations.explain(raw if compared is None else compared, expected, case,
                                     raw=raw, rerun=rerun, defaults=_defaults(graded),
                                     tol=_tolerance_for(graded, compared, expected, case),
                                     elsewhere=elsewhere)
    except Exception:  # a description is a bonus: it never stops a verdict
        return None


def _tolerance_for(graded: Graded, got: Any, expected: Outputs, case: Case) -> Tolerance:
    """The case's tolerance, or float32's where the part allows float32
    and the student's outputs are float32 (as compare_outputs judges)."""
    if graded.allow_float32 and isinstance(got, dict) and any(
            isinstance(v, np.ndarray) and v.dtype == np.float32 for _, v in flatten("", got)):
        return tolerance("float32")
    return tolerance(case.tol)


def _defaults(graded: Graded) -> dict[str, Any]:
    """The keyword defaults of the reference's functions (a hyperparameter
    left at its default is one relation the judge looks for)."""
    refs = graded.reference if isinstance(graded.reference, tuple) else (graded.reference,)
    out: dict[str, Any] = {}
    for fn in refs:
        try:
            params = inspect.signature(fn).parameters.values()
        except (TypeError, ValueError):
            continue
        out.update({p.name: p.default for p in params if p.default is not p.empty})
    return out


def check(graded: Graded, impl: Any, *, only: Sequence[int] | None = None,
          seed: int = 0) -> None:
    """Run ``impl`` here on the cases of ``seed`` (or the indices ``only``)
    and judge it: pass silently or raise the student's CheckFailure.

    The cases are judged in order; when one fails, the others of the same
    selection are what confirms a diagnosis (each run only if needed)."""
    cases = list(graded.cases(seed))
    chosen = list(range(len(cases))) if only is None else list(only)
    results: dict[int, Result] = {}
    expected: dict[int, Outputs] = {}

    def result(j: int) -> Result:
        if j not in results:
            results[j] = run_local(cases[j], impl)
        return results[j]

    def reference(j: int) -> Outputs:
        if j not in expected:
            expected[j] = reference_outputs(graded, cases[j])
        return expected[j]

    for i in chosen:
        others = [OtherCase(cases[j], lambda j=j: result(j), lambda j=j: reference(j))
                  for j in dict.fromkeys(chosen) if j != i]
        judge_case(graded, cases[i], result(i), reference(i), others)
