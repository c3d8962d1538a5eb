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
                       method: str | None = None) -> dict:
    """``impl(f, x)`` or ``impl(f, x, h=h, method=method)``: the gradient it
    returns and the caller's x as it is after the call."""
    x = np.array(x, dtype=np.float64)
    f = build_function(function, x.size)
    kwargs = {} if method is None else {"h": h, "method": method}
    grad = impl(f, x, **kwargs)
    return {"grad": _snapshot(grad), "x": x}


def relative_error(impl, *, a, b) -> dict:
    """``impl(a, b)``, on copies of a and b."""
    return {"relative_error": _snapshot(impl(np.array(a), np.array(b)))}


def kink_crossed(impl, *, winner: str, x, queries: list, h: float | None = None) -> dict:
    """One flag (1.0 crossed, 0.0 not) per index of ``queries``, and x as
    each call left it (row q: after query q), each call on a fresh copy."""
    win = WINNERS[winner]
    x0 = np.array(x, dtype=np.float64)
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
