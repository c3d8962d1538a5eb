"""Run an update rule for many steps and record everything it returns.

An update rule is a pair ``(init, step)``: ``init(w) -> state`` and
``step(w, g, state, *, lr, **hyper) -> (w, state)``. :func:`trajectory`
runs one from a given start on a shared problem and stacks the iterates
and every field of the state, so a comparison can name the first step and
entry where two rules part. Inputs are copied before every call and
outputs copied after it: a rule that updates arrays in place is as correct
as one that returns new arrays, and cannot rewrite the recorded history.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograder.judge.compare import returned
from autograder.judge.feedback import CheckFailure, fmt_shape

Schedule = Callable[[int], float]


def state_fields(state: Any) -> dict[str, Any]:
    """A state as ``{field: value}``: NamedTuple, dataclass-like or dict."""
    if hasattr(state, "_asdict"):
        return dict(state._asdict())
    if isinstance(state, dict):
        return dict(state)
    if hasattr(state, "__dict__"):
        return dict(vars(state))
    raise CheckFailure(f"your state should be a NamedTuple (as in the skeleton), "
                       f"got {type(state).__name__}")


def _copy(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.copy()
    if hasattr(value, "_replace"):
        return type(value)(*(_copy(v) for v in value))
    return value


def start_state(init: Callable, w0: np.ndarray, fields: dict[str, Any] | None) -> Any:
    """``init(w0)``, then overwritten with ``fields`` for a mid-run start."""
    state = init(w0.copy())
    if not fields:
        return state
    if hasattr(state, "_replace"):
        return state._replace(**{k: _copy(v) for k, v in fields.items()})
    raise CheckFailure("your init should return the state NamedTuple of the skeleton")


def trajectory(rule: tuple[Callable, Callable], grad: Callable, w0: np.ndarray,
               steps: int, lr: float | Schedule, hyper: dict,
               *, start: dict[str, Any] | None = None, name: str = "step") -> dict:
    """Iterates and state fields after each step, stacked: row k is step k."""
    init, step = rule
    w = w0.copy()
    state = start_state(init, w0, start)
    ws, states = [], []
    for k in range(steps):
        rate = lr(k) if callable(lr) else lr
        try:
            out = step(w.copy(), grad(w.copy()), _copy(state), lr=rate, **hyper)
        except CheckFailure:
            raise
        except Exception as err:
            raise CheckFailure(f"your {name} raised {type(err).__name__} at step "
                               f"{k}: {err}") from None
        w, state = _unpack(out, w, k, name)
        ws.append(np.array(w, dtype=np.result_type(w, np.float64), copy=True))
        states.append({f: _copy(v) for f, v in state_fields(state).items()})
    return {"w": np.stack(ws), "state": _stack_states(states)}


def _unpack(out: Any, w: np.ndarray, k: int, name: str) -> tuple[np.ndarray, Any]:
    """Check that a step returned ``(w, state)`` with w of the right shape."""
    w_next, state = returned(out, name, "w, state", f"at step {k}")
    if not isinstance(w_next, np.ndarray) or w_next.shape != w.shape:
        got = (fmt_shape(w_next.shape) if isinstance(w_next, np.ndarray)
               else type(w_next).__name__)
        raise CheckFailure(f"your {name} returned w of {got} at step {k}, "
                           f"expected an array of shape {fmt_shape(w.shape)}")
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
