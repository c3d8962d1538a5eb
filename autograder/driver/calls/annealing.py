"""Calls for learning-rate schedules and reduce-on-plateau.

A schedule is ``f(t, **hyper) -> rate``. :func:`schedule` asks it for
every step t = 0..end three times: in order, in reverse order and in the
order ``shuffled`` (given as data), and returns the three lists of
answers, each indexed by t, so the judge can tell a pure function of t
from one that keeps a counter between calls. An answer that is a real
number crosses as a float; anything else crosses as it is (None, a list,
an array, a float32...), for the judge to name.

:func:`ramp` grades ``with_warmup(schedule, t, *, warmup, start_factor)``
on its own: the schedule it puts a warm-up in front of is a plain
geometric one, ``s(n) = base * ratio ** n``, built here from the case's
two numbers (so it can be stated in a sentence), and the rates of
``with_warmup(s, t, **hyper)`` are asked for as those of any schedule.

Reduce-on-plateau is the pair ``(plateau_init, plateau_step)``:
:func:`plateau` starts from ``plateau_init(lr0)``, feeds ``plateau_step``
a scripted metric one epoch at a time, passes the student's own state on,
and records the four fields of the state after every epoch. It also
records whether a step changed the state it was given (``changed``) and
whether a second call with the same state and metric gave another state
(``repeated``), for the judge to turn into a sentence: the step is pure.
"""
from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np

from ..errors import Refusal
from . import copied

PLATEAU_FIELDS = ("lr", "best", "bad_epochs", "cooldown_left")


def _plain(value: Any) -> Any:
    """A real number as a float; anything else as it is, for the judge to
    name (None, a bool, a list, an array, a float32...)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]  # the numpy scalar of its dtype
    if isinstance(value, (bool, np.bool_)) or (
            isinstance(value, np.floating) and not isinstance(value, np.float64)):
        return value
    if isinstance(value, (int, float, np.integer)):
        try:
            return float(value)
        except (OverflowError, TypeError, ValueError):
            return value
    return copied(value)


# ---------------------------------------------------------------- schedules

def _rates(fn, ts: list[int], hyper: dict, order: str) -> dict[int, Any]:
    """``{t: fn(t, **hyper)}``, asking for the steps in the order of ``ts``."""
    answers = {}
    for t in ts:
        try:
            answers[t] = _plain(fn(t, **copied(hyper)))
        except Exception as err:
            err.add_note(f"at t={t}" + (f", asked for in {order} order" if order else ""))
            raise
    return answers


def schedule(impl, *, name: str, hyper: dict, end: int, shuffled: list) -> dict:
    """The rates at t = 0..end, asked for in order, in reverse and shuffled.

    Each output is a list indexed by t: ``lr`` (asked for t = 0, 1, 2, ...),
    ``lr_reversed`` (asked for t = end, ..., 0) and ``lr_shuffled`` (asked
    for in the order ``shuffled``, a permutation of 0..end)."""
    if not callable(impl):
        raise Refusal(f"your {name} should be a function of t, got {type(impl).__name__}")
    ts = list(range(int(end) + 1))
    order = [int(t) for t in shuffled]
    first = _rates(impl, ts, hyper, "")
    backward = _rates(impl, ts[::-1], hyper, "reverse")
    mixed = _rates(impl, order, hyper, "shuffled")
    return {"lr": [first[t] for t in ts], "lr_reversed": [backward[t] for t in ts],
            "lr_shuffled": [mixed[t] for t in ts]}


def warmup_schedule(impl, **args) -> dict:
    """:func:`schedule` of ``warmup_cosine``, graded with the ``with_warmup``
    it is written on: ``impl`` is the pair ``(with_warmup, warmup_cosine)``,
    and the rates are those of warmup_cosine (which calls with_warmup)."""
    if not (isinstance(impl, tuple) and len(impl) == 2):
        raise Refusal("the warm-up is graded as the pair (with_warmup, warmup_cosine) "
                      "of your two functions")
    return schedule(impl[1], **args)


def geometric(base: float, ratio: float):
    """The schedule ``s(n) = base * ratio ** n`` (n = 0, 1, 2, ...) that
    :func:`ramp` hands to with_warmup; the judge builds the same one."""
    def s(n: int) -> float:
        return float(base * ratio ** n)
    s.__name__ = s.__qualname__ = "s"
    return s


def ramp(impl, *, base: float, ratio: float, hyper: dict, end: int, shuffled: list) -> dict:
    """:func:`schedule` of ``t -> with_warmup(s, t, **hyper)`` with the
    geometric schedule ``s`` of ``base`` and ``ratio``; ``hyper`` holds
    ``warmup`` and, unless it is left at its default, ``start_factor``."""
    if not callable(impl):
        raise Refusal(f"your with_warmup should be a function, got {type(impl).__name__}")
    s = geometric(float(base), float(ratio))

    def rate(t, **options):
        return impl(s, t, **options)
    return schedule(rate, name="with_warmup", hyper=hyper, end=end, shuffled=shuffled)


# ---------------------------------------------------------------- reduce on plateau

_MISSING = object()


def _field(state: Any, field: str) -> Any:
    """A field of the student's state: NamedTuple, object, dict or 4-tuple."""
    if isinstance(state, dict):
        return state.get(field, _MISSING)
    if hasattr(state, field):
        return getattr(state, field)
    if isinstance(state, (tuple, list)) and not hasattr(state, "_fields") \
            and len(state) == len(PLATEAU_FIELDS):
        return state[PLATEAU_FIELDS.index(field)]  # in the skeleton's order
    return _MISSING


def _record(state: Any, where: str) -> dict[str, Any]:
    """The four fields of a state, read now (a state changed in place later
    cannot rewrite them), or a Refusal when the state has none to read."""
    if state is None:
        raise Refusal(f"your plateau_step returned None {where}: is a return "
                      f"statement missing?")
    row = {}
    for field in PLATEAU_FIELDS:
        value = _field(state, field)
        if value is _MISSING:
            raise Refusal(f"your plateau_step returned a state without the field "
                          f"{field!r} {where}; the state holds {', '.join(PLATEAU_FIELDS)}")
        row[field] = _plain(value)
    return row


def _snapshot(state: Any) -> dict[str, Any]:
    """The fields of a state that can be read, as they are (no Refusal:
    what cannot be read is left out)."""
    try:
        fields = {f: _field(state, f) for f in PLATEAU_FIELDS}
    except Exception:
        return {}
    return {f: v for f, v in fields.items() if v is not _MISSING}


def _number(x: Any) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(
        x, (bool, np.bool_))


def _same(a: Any, b: Any) -> bool:
    """Equal values: numbers by value (NaN equal to NaN), anything else by
    equality, or by what it shows when it cannot say (an array, say)."""
    if _number(a) and _number(b):
        x, y = float(a), float(b)
        return x == y or (math.isnan(x) and math.isnan(y))
    if a is b:
        return True
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:
        return repr(a) == repr(b)


def _difference(a: dict, b: dict) -> tuple[str, Any, Any] | None:
    """The first field whose value differs between two snapshots."""
    for field in PLATEAU_FIELDS:
        if field in a or field in b:
            x, y = a.get(field, _MISSING), b.get(field, _MISSING)
            if x is _MISSING or y is _MISSING or not _same(x, y):
                return (field, None if x is _MISSING else _plain(x),
                        None if y is _MISSING else _plain(y))
    return None


def _spare(state: Any) -> Any:
    """An independent copy of a state, to call the step on a second time
    (``_MISSING`` when the student's state cannot be copied)."""
    if isinstance(state, (tuple, list, dict)):
        return copied(state)  # plain data: copied field by field
    try:
        return copy.deepcopy(state)
    except Exception:
        return _MISSING


def plateau(impl, *, lr0: float, metrics: list, hyper: dict) -> dict:
    """``state = plateau_init(lr0)``, then ``state = plateau_step(state,
    metric, **hyper)`` for each metric; one list per state field, entry i
    read after epoch i. ``changed``: None, or the first step at which
    plateau_step changed the state it was given (``step``, ``field``,
    ``before``, ``after``); ``repeated``: None, or the first step at which
    a second call on a copy of the same state, with the same metric, gave
    another state (``step``, ``field``, ``first``, ``again``)."""
    if not (isinstance(impl, tuple) and len(impl) == 2):
        raise Refusal("plateau is graded as the pair (plateau_init, plateau_step) "
                      "of your two functions")
    for fn, name in zip(impl, ("plateau_init", "plateau_step")):
        if not callable(fn):
            raise Refusal(f"your {name} should be a function, got {type(fn).__name__}")
    init, step = impl
    try:
        state = init(float(lr0))
    except Exception as err:
        err.add_note(f"in plateau_init({float(lr0)!r})")
        raise
    rows: dict[str, Any] = {field: [] for field in PLATEAU_FIELDS}
    changed = repeated = None
    for i, metric in enumerate(metrics):
        given = copied(state)
        spare = _spare(given)
        before = _snapshot(given)
        try:
            state = step(given, float(metric), **dict(hyper))
        except Exception as err:
            err.add_note(f"at step {i}")
            raise
        row = _record(state, f"at step {i}")
        for field, value in row.items():
            rows[field].append(value)
        found = _difference(before, _snapshot(given))
        if changed is None and found:
            changed = {"step": i, "field": found[0], "before": found[1], "after": found[2]}
        if repeated is None and spare is not _MISSING:
            try:
                again = step(spare, float(metric), **dict(hyper))
            except Exception as err:
                err.add_note(f"at step {i}, called a second time with the same state "
                             f"and metric")
                raise
            found = _difference(row, _snapshot(again))
            if found:
                repeated = {"step": i, "field": found[0], "first": found[1],
                            "again": found[2]}
    return {**rows, "changed": changed, "repeated": repeated}


CALLS = {"schedule": schedule, "warmup_schedule": warmup_schedule, "ramp": ramp,
         "plateau": plateau}
