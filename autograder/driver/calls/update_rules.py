"""Calls for update rules: run ``(init, step)`` for many steps.

An update rule is ``init(w) -> state`` and
``step(w, g, state, *, lr, **hyper) -> (w, state)``. :func:`trajectory`
runs one from a given start on a shared test problem and stacks the
iterates and every field of the state, so the judge can name the first
step and entry where two rules part. Inputs are copied before every call
and outputs after it: a rule that updates arrays in place cannot rewrite
the recorded history. What such a rule did is recorded instead: after
every step the arrays it was handed (w, g and each array of the state)
are compared with what they held before, and the dtype of every array
it returned is noted, so the judge can hold a rule to "inputs are not
changed" and to the dtypes the text promises.
"""
from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..errors import Refusal
from ..problems import gradient
from . import copied, returned, state_fields

NEVER = -1  # in ``changed``: the step never changed that input


def start_state(init, w0: np.ndarray, fields: dict[str, Any] | None, name: str,
                made: dict[str, str] | None = None) -> Any:
    """``init(w0)``, then its fields replaced by ``fields`` (a mid-run start).
    ``made`` receives the dtypes of the arrays init made (before any
    replacement), by ``state.<field>``."""
    state = init(w0.copy())
    if made is not None:
        made.update({f"state.{f}": v.dtype.name for f, v in _arrays(state).items()})
    if not fields:
        return state
    if hasattr(state, "_replace"):
        return state._replace(**copied(fields))
    if dataclasses.is_dataclass(state) and not isinstance(state, type):
        # a record of the student's own with the skeleton's fields works as well
        try:
            return dataclasses.replace(state, **copied(fields))
        except TypeError as err:
            raise Refusal(f"your {name.replace('_step', '_init')} returned a "
                          f"{type(state).__name__} without the skeleton's fields ({err})") from None
    raise Refusal(f"your {name.replace('_step', '_init')} should return the "
                  f"state NamedTuple of the skeleton, got {type(state).__name__}")


def trajectory(rule, *, problem: dict, w0, lrs, hyper: dict,
               start: dict | None = None, name: str = "step",
               dtype: str | None = None) -> dict:
    """Iterates and state fields after each step, stacked: row k is step k.

    ``lrs[k]`` is the learning rate passed at step k (None: no ``lr`` is
    passed, the rule's default applies); ``start`` holds the state fields
    of a mid-run start (None: from ``init``); ``dtype`` is the dtype of w0
    as handed to the rule (float64 when None). The gradient handed to the
    rule has w's dtype when w is float32, and when w is an integer array
    and the gradient's values are whole numbers; float64 otherwise.

    Besides ``w`` and ``state``: ``changed`` gives, for w, g and each
    array field of the state passed in (``state.<field>``), the first step
    at which the rule changed it in place (-1: never); ``dtypes`` gives,
    for w and each array field of the state returned, its dtype at each
    step where that dtype differs from the previous step's, as
    ``[dtype, step]`` pairs; ``init_dtypes`` the dtype of each array of
    the state init made (which tells an init that makes float64 zeros from
    a step that turns float32 into float64)."""
    init, step = rule
    grad = gradient(problem)
    w0 = np.array(w0, dtype=np.dtype(dtype) if dtype else np.float64)
    made: dict[str, str] = {}
    w, state = w0.copy(), start_state(init, w0, start, name, made)
    ws, states = [], []
    changed: dict[str, int] = {}
    dtypes: dict[str, list] = {}
    last: dict[str, np.dtype] = {}
    for k, rate in enumerate(lrs):
        g = _gradient_like(grad(w), w)
        # w, g and state are never handed to the rule, only copies of them:
        # what the copies hold after the call tells what the rule changed
        held = {"w": w, "g": g, **{f"state.{f}": v for f, v in _arrays(state).items()}}
        w_in, g_in, state_in = w.copy(), g.copy(), copied(state)
        out = _step(step, w_in, g_in, state_in, rate, hyper, k)
        passed = {"w": w_in, "g": g_in,
                  **{f"state.{f}": v for f, v in _arrays(state_in).items()}}
        for key, old in held.items():
            if changed.setdefault(key, NEVER) == NEVER and not _same(old, passed.get(key)):
                changed[key] = k
        w, state = _unpack(out, w, k, name)
        # kept here, out of the rule's reach (a rule may hold on to what it returned)
        w, state = np.array(w, copy=True), copied(state)
        _note_dtypes(dtypes, last, k, w, state)
        ws.append(w)
        states.append(state_fields(state))
    return {"w": np.stack(ws), "state": _stack_states(states),
            "changed": changed, "dtypes": dtypes, "init_dtypes": made}


def _gradient_like(g: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The gradient in w's dtype where that loses nothing (see trajectory)."""
    if w.dtype == np.float32:
        return g.astype(np.float32)
    if w.dtype.kind in "iu" and np.all(g == np.rint(g)):
        return g.astype(w.dtype)
    return g


def _arrays(state: Any) -> dict[str, np.ndarray]:
    """The fields of a state that are numpy arrays (those can change in place)."""
    try:
        fields = state_fields(state)
    except Refusal:
        return {}
    return {f: v for f, v in fields.items() if isinstance(v, np.ndarray)}


def _same(old: np.ndarray, new: Any) -> bool:
    """True when ``new`` still holds exactly the values of ``old``."""
    if not isinstance(new, np.ndarray) or new.shape != old.shape:
        return False
    if (old == new).all():
        return True
    return bool(np.array_equal(old, new, equal_nan=old.dtype.kind in "fc"))


def _note_dtypes(dtypes: dict[str, list], last: dict[str, np.dtype], k: int,
                 w: np.ndarray, state: Any) -> None:
    """Record the dtype of w and of the state's arrays (ndim >= 1) at step k
    where it differs from the one at the step before."""
    found = {"w": w, **{f"state.{f}": v for f, v in _arrays(state).items() if v.ndim}}
    for key, value in found.items():
        if key not in last or last[key] != value.dtype:
            last[key] = value.dtype
            dtypes.setdefault(key, []).append([value.dtype.name, k])


def _step(step, w, g, state, rate, hyper, k):
    lr = {} if rate is None else {"lr": float(rate)}
    try:
        return step(w, g, state, **lr, **dict(hyper))  # numbers: a new dict is a copy
    except Exception as err:
        err.add_note(f"at step {k}")
        raise


def _unpack(out: Any, w: np.ndarray, k: int, name: str) -> tuple[np.ndarray, Any]:
    """Check that a step returned ``(w, state)`` with w of the right shape."""
    w_next, state = returned(out, name, "w, state", f"at step {k}")
    if not isinstance(w_next, np.ndarray) or w_next.shape != w.shape:
        got = (str(w_next.shape) if isinstance(w_next, np.ndarray)
               else type(w_next).__name__)
        raise Refusal(f"your {name} returned w of {got} at step {k}, expected "
                      f"an array of shape {w.shape}")
    return w_next, state


def _stack_states(states: list[dict[str, Any]]) -> dict[str, Any]:
    """One array per field, with the step as the first axis."""
    if not states:
        return {}
    out = {}
    for f in states[0]:
        values = [s.get(f) for s in states]
        if all(v is None for v in values) or any(isinstance(v, str) for v in values):
            continue  # phases and unset buffers are checked through w
        try:
            out[f] = np.stack([np.asarray(v, dtype=np.float64) for v in values])
        except (TypeError, ValueError):
            continue
    return out


CALLS = {"trajectory": trajectory}
