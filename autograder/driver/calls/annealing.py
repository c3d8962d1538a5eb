"""Calls for learning-rate schedules and reduce-on-plateau.

A schedule is ``f(t, **hyper) -> rate``. :func:`schedule` asks it for
every step t = 0..end three times: in order, in reverse order and in the
order ``shuffled`` (given as data), and returns the three lists of
answers, each indexed by t, so the judge can tell a pure function of t
from one that keeps a counter between calls. An answer that is a real
number crosses as a float; anything else crosses as it is (None, a list,
an array, a float32...), for the judge to name.

Reduce-on-plateau is the pair ``(plateau_init, plateau_step)``:
:func:`plateau` starts from ``plateau_init(lr0)``, feeds ``plateau_step``
a scripted metric one epoch at a time, passes the student's own state on,
and records the four fields of the state after every epoch.
"""
from __future__ import annotations

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


def plateau(impl, *, lr0: float, metrics: list, hyper: dict) -> dict:
    """``state = plateau_init(lr0)``, then ``state = plateau_step(state,
    metric, **hyper)`` for each metric; one list per state field, entry i
    read after epoch i."""
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
    rows = {field: [] for field in PLATEAU_FIELDS}
    for i, metric in enumerate(metrics):
        try:
            state = step(copied(state), float(metric), **copied(hyper))
        except Exception as err:
            err.add_note(f"at step {i}")
            raise
        for field, value in _record(state, f"at step {i}").items():
            rows[field].append(value)
    return rows


CALLS = {"schedule": schedule, "warmup_schedule": warmup_schedule, "plateau": plateau}
