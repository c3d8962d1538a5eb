"""Calls for the gradient-checking tools: a numerical gradient, a relative
error, a kink test.

Functions cannot cross the wire, so the function to differentiate and the
``winner`` of a kink test are named by data (a kind and its numbers) and
built here, from the small tables below. Both are pure: the student's
code may call them any number of times, on the caller's own array while
it changes it in place, or on copies.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import Refusal

# ---------------------------------------------------------------- test functions


def _exp_coupled(size: int, c, k, a) -> Callable[[np.ndarray], float]:
    """f(x) = sum_i c_i exp(k_i x_i) + 0.5 (a . x)^2, x read in C order."""
    c, k, a = (np.asarray(v, dtype=np.float64) for v in (c, k, a))
    if not c.shape == k.shape == a.shape == (size,):
        raise ValueError(f"exp_coupled needs c, k, a of {size} entries")

    def f(x) -> float:
        z = np.asarray(x, dtype=np.float64)
        if z.size != size:
            raise ValueError(f"f takes an array of {size} entries, got one of "
                             f"shape {z.shape}")
        z = z.reshape(-1)
        return float(np.sum(c * np.exp(k * z)) + 0.5 * np.dot(a, z) ** 2)
    return f


FUNCTIONS: dict[str, Callable[..., Callable[[np.ndarray], float]]] = {
    "exp_coupled": _exp_coupled,
}


def build_function(spec: dict, size: int) -> Callable[[np.ndarray], float]:
    """The function that ``{"kind": ..., **numbers}`` describes."""
    kind, numbers = spec["kind"], {k: v for k, v in spec.items() if k != "kind"}
    try:
        build = FUNCTIONS[kind]
    except KeyError:
        raise ValueError(f"no test function {kind!r}") from None
    return build(size, **numbers)


def _relu_on(z):
    return np.asarray(z) > 0


def _row_argmax(z):
    return np.argmax(np.asarray(z), axis=1)


def _argmax(z):
    return int(np.argmax(np.asarray(z)))


WINNERS: dict[str, Callable[[np.ndarray], Any]] = {
    "relu": _relu_on,           # which units are on
    "row_max": _row_argmax,     # which entry wins each row
    "vector_max": _argmax,      # which entry wins a vector, as an int
}

# ---------------------------------------------------------------- calls


def numerical_gradient(impl, *, function: dict, x, h: float | None = None,
                       method: str | None = None, defaults: bool = False) -> dict:
    """``impl(f, x, h=h, method=method)``: the gradient it returns and the
    caller's x as it is after the call (an integer x stays integer).

    With ``defaults``: ``impl(f, x)`` and ``impl(f, x, h=1e-5,
    method="centered")`` on copies of x, each with the steps by which it
    moved an entry of x when it evaluated f, and ``impl(f, x, h=1e-5,
    method="forward")`` (None if that raised: the forward difference is not
    what a comparison of the defaults grades)."""
    x = np.array(x)
    if defaults:
        return _defaults(impl, function, x)
    f = build_function(function, x.size)
    kwargs = {} if method is None else {"h": h, "method": method}
    grad = impl(f, x, **kwargs)
    return {"grad": _snapshot(grad), "x": x}


def _defaults(impl, function: dict, x0: np.ndarray) -> dict:
    x = x0.copy()
    f, seen = _recording(function, x0)
    grad = _snapshot(impl(f, x))
    g, seen_centered = _recording(function, x0)
    centered = _snapshot(impl(g, x0.copy(), h=1e-5, method="centered"))
    try:
        forward = _snapshot(impl(build_function(function, x0.size), x0.copy(), h=1e-5,
                                 method="forward"))
    except Exception:  # noqa: BLE001 - graded by the forward cases, not here
        forward = None
    return {"grad": grad, "x": x, "centered": centered, "forward": forward,
            "steps": _steps(seen["steps"]), "centered_steps": _steps(seen_centered["steps"]),
            "evaluations_away": seen["away"]}


_MAX_STEPS = 256  # evaluations looked at per call: enough for any x of the cases


def _recording(function: dict, x0: np.ndarray) -> tuple[Callable, dict]:
    """The test function, and what it saw: ``steps``, the signed offset of
    the one entry moved away from x0 at each evaluation (none when no entry
    or several entries moved), and ``away``, the count of evaluations away
    from x0 however many entries moved."""
    f = build_function(function, x0.size)
    base = np.asarray(x0, dtype=np.float64).reshape(-1)
    noise = 1e-13 * np.maximum(1.0, np.abs(base))
    seen: dict = {"steps": [], "away": 0}

    def recorded(z):
        value = f(z)
        if seen["away"] < _MAX_STEPS:
            d = np.asarray(z, dtype=np.float64).reshape(-1) - base
            moved = np.flatnonzero(np.abs(d) > noise)
            seen["away"] += bool(moved.size)
            if moved.size == 1:
                seen["steps"].append(float(d[moved[0]]))
        return value
    return recorded, seen


def _steps(seen: list[float]) -> np.ndarray:
    """The distinct offsets, to 3 significant digits, in increasing order."""
    return np.array(sorted({float(f"{s:.3g}") for s in seen}), dtype=np.float64)


def relative_error(impl, *, a, b) -> dict:
    """``impl(a, b)``, and a and b as the call left them."""
    a, b = np.array(a), np.array(b)
    return {"relative_error": _snapshot(impl(a, b)), "a": a, "b": b}


def kink_crossed(impl, *, winner: str, x, queries: list, h: float | None = None) -> dict:
    """One flag (1.0 crossed, 0.0 not) per index of ``queries``, and x as
    each call left it (row q: after query q), each call on a fresh copy (an
    integer x stays integer)."""
    win = WINNERS[winner]
    x0 = np.array(x)
    kwargs = {} if h is None else {"h": h}
    flags, after = [], []
    for q in queries:
        xq = x0.copy()
        answer = impl(win, xq, q, **kwargs)
        flags.append(_flag(answer, q))
        after.append(xq)
    return {"crossed": np.array(flags), "x": np.stack(after)}


def _flag(value: Any, index: Any) -> float:
    """A True/False answer as 1.0/0.0; a Refusal for anything else."""
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype == np.bool_:
        return float(value)
    if isinstance(value, np.ndarray):
        what = f"an array of shape {_shape(value.shape)}"
    else:
        what = "None" if value is None else type(value).__name__
    raise Refusal(f"your kink_crossed should return True or False, got {what} for "
                  f"index {index!r}: reduce the comparison of the two winners to "
                  f"one bool")


def _shape(shape: tuple) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _snapshot(value: Any) -> Any:
    """An array result copied, so later use of it cannot change it."""
    return value.copy() if isinstance(value, np.ndarray) else value


CALLS = {"numerical_gradient": numerical_gradient, "relative_error": relative_error,
         "kink_crossed": kink_crossed}
