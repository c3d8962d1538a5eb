"""Calls for update rules: run ``(init, step)`` for many steps.

An update rule is ``init(w) -> state`` and
``step(w, g, state, *, lr, **hyper) -> (w, state)``. :func:`trajectory`
runs one from a given start on a shared test problem and stacks the
iterates and every field of the state, so the judge can name the first
step and entry where two rules part. Inputs are copied before every call
and outputs after it: a rule that updates arrays in place cannot rewrite
the recorded history.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import Refusal
from ..problems import gradient
from . import copied, returned, state_fields


def start_state(init, w0: np.ndarray, fields: dict[str, Any] | None, name: str) -> Any:
    """``init(w0)``, then its fields replaced by ``fields`` (a mid-run start)."""
    state = init(w0.copy())
    if not fields:
        return state
    if hasattr(state, "_replace"):
        return state._replace(**copied(fields))
    raise Refusal(f"your {name.replace('_step', '_init')} should return the "
                  f"state NamedTuple of the skeleton, got {type(state).__name__}")


def trajectory(rule, *, problem: dict, w0, lrs, hyper: dict,
               start: dict | None = None, name: str = "step") -> dict:
    """Iterates and state fields after each step, stacked: row k is step k.

    ``lrs[k]`` is the learning rate passed at step k; ``start`` holds the
    state fields of a mid-run start (None: from ``init``)."""
    init, step = rule
    grad = gradient(problem)
    w0 = np.asarray(w0, dtype=float)
    w, state = w0.copy(), start_state(init, w0, start, name)
    ws, states = [], []
    for k, rate in enumerate(lrs):
        out = _step(step, w, grad(w.copy()), state, float(rate), hyper, k)
        w, state = _unpack(out, w, k, name)
        ws.append(np.array(w, dtype=np.result_type(w, np.float64), copy=True))
        states.append({f: copied(v) for f, v in state_fields(state).items()})
    return {"w": np.stack(ws), "state": _stack_states(states)}


def _step(step, w, g, state, rate, hyper, k):
    try:
        return step(w.copy(), g, copied(state), lr=rate, **copied(hyper))
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
