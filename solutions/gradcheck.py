"""Numerical gradients and the checks built on them (chapter 3).

A numerical gradient nudges one entry of a float64 copy of the input at a
time and puts it back afterwards, so the caller's array is never touched.
The default is the centered difference (f(x + h e_i) - f(x - h e_i)) / 2h,
error O(h^2), two evaluations per entry; the forward difference
(f(x + h e_i) - f(x)) / h, error O(h), is kept to show the difference.
Analytic and numerical values are compared with the relative error
|a - n| / max(|a|, |n|, floor): the floor makes two exact zeros agree
(error 0) and keeps tiny values from dividing by almost nothing. Sampled
checks are seeded, draw entries without replacement and visit every
parameter. PyTorch's ``torch.autograd.gradcheck`` uses the same centered
difference but with h = 1e-6, on every entry of the full Jacobian, and
passes when |a - n| <= atol + rtol * |n| (atol 1e-5, rtol 1e-3) instead
of judging a relative error; its ``fast_mode`` is a random-direction
check like ``directional_check`` here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

_METHODS = ("centered", "forward")


def _check_step(h: float) -> None:
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"step h must be a finite number > 0, got {h}")


def _as_index(index: int | tuple[int, ...],
              shape: tuple[int, ...]) -> tuple[int, ...]:
    if np.ndim(index) == 0:
        return tuple(int(k) for k in np.unravel_index(int(index), shape))
    idx = tuple(int(k) for k in index)
    if len(idx) != len(shape) or any(
            not -n <= k < n for k, n in zip(idx, shape)):
        raise ValueError(f"index {idx} does not fit an array of shape "
                         f"{shape}")
    return idx


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       *, h: float = 1e-5,
                       method: str = "centered") -> np.ndarray:
    """Finite-difference gradient of a scalar function, entry by entry.

    centered: g_i = (f(x + h e_i) - f(x - h e_i)) / (2h), error O(h^2),
              2 evaluations per entry.
    forward:  g_i = (f(x + h e_i) - f(x)) / h, error O(h),
              1 evaluation per entry plus f(x) once.

    x has any shape; the result has x's shape, in float64. f receives a
    float64 working copy that changes between calls (f must not keep
    it); each entry is restored to its exact old value after its
    evaluations. A smaller h is not always better: below about 1e-8 the
    difference f(x + h) - f(x - h) loses its digits to rounding.
    """
    _check_step(h)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    xw = np.array(x, dtype=np.float64)
    grad = np.zeros_like(xw)
    f0 = float(f(xw)) if method == "forward" else 0.0
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old + h
        f_plus = float(f(xw))
        if method == "forward":
            grad[i] = (f_plus - f0) / h
        else:
            xw[i] = old - h
            grad[i] = (f_plus - float(f(xw))) / (2 * h)
        xw[i] = old
    return grad


def numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray],
                             x: np.ndarray, dout: np.ndarray, *,
                             h: float = 1e-5) -> np.ndarray:
    """Centered gradient of sum(f(x) * dout) with respect to x.

    This is the vector-Jacobian product dout^T J a layer's backward must
    return: dx_i = sum_j dout_j * df_j/dx_i. x has any shape, dout has
    f(x)'s shape (checked with one extra evaluation of f), the result has
    x's shape, in float64.

    For each entry the two perturbed outputs are subtracted entry by entry
    first, then weighted by dout and summed: dx_i = sum((f(x + h e_i) -
    f(x - h e_i)) * dout) / 2h. Subtracting the two weighted sums instead
    would give every entry the rounding error of a whole sum, about
    1e-16 * |sum| / h, however small its own difference is.
    """
    _check_step(h)
    xw = np.array(x, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    out_shape = np.shape(f(xw.copy()))
    if out_shape != dout.shape:
        raise ValueError(f"dout has shape {dout.shape} but f(x) has shape "
                         f"{out_shape}")
    grad = np.zeros_like(xw)
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old + h
        plus = np.array(f(xw), dtype=np.float64)  # a copy: f may return a view of z
        xw[i] = old - h
        minus = np.array(f(xw), dtype=np.float64)
        xw[i] = old
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray, *,
                   floor: float = 1e-12) -> np.ndarray:
    """Elementwise relative error |a - b| / max(|a|, |b|, floor).

    Symmetric in a and b. Two exact zeros give 0; when both values are
    below floor the result is an absolute error divided by floor, so
    rounding noise near zero cannot blow up. a and b must have the same
    shape (no broadcasting); the result has that shape, in float64.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: a {a.shape}, b {b.shape}")
    if not floor > 0:
        raise ValueError(f"floor must be > 0, got {floor}")
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return np.abs(a - b) / scale


def judge_relative_error(err: float) -> str:
    """Rule of thumb for one relative error between gradients.

    err > 1e-2           -> "probably wrong"   (also NaN)
    1e-4 <= err <= 1e-2  -> "uncomfortable"
    1e-7 < err < 1e-4    -> "fine with kinks, too high without"
    err <= 1e-7          -> "good"

    The boundaries follow the rule as its source (CS231n's notes on
    gradient checks) words it: above 1e-2 probably wrong, between 1e-4 and
    1e-2 uncomfortable, below 1e-4 fine where the objective has kinks,
    and "1e-7 and less" good; so 1e-2 and 1e-4 are uncomfortable and 1e-7
    itself is good. Errors grow with depth: at the input of a 10-layer net
    even 1e-2 can be acceptable.
    """
    if err < 0:
        raise ValueError(f"relative error must be >= 0, got {err}")
    if not err <= 1e-2:
        return "probably wrong"
    if err >= 1e-4:
        return "uncomfortable"
    if err > 1e-7:
        return "fine with kinks, too high without"
    return "good"


@dataclass(frozen=True)
class ParamCheck:
    """Worst sampled entry of one parameter's gradient check."""

    name: str
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    rel_error: float
    num_checked: int


def _partial(f: Callable[[dict[str, Any]], float], work: dict[str, Any],
             p: np.ndarray, i: tuple[int, ...], h: float) -> float:
    old = p[i]
    p[i] = old + h
    f_plus = float(f(work))
    p[i] = old - h
    f_minus = float(f(work))
    p[i] = old
    return (f_plus - f_minus) / (2 * h)


def _check_one(f: Callable[[dict[str, Any]], float],
               params: dict[str, Any], name: str, grad: np.ndarray,
               rng: np.random.Generator, num_samples: int,
               h: float) -> ParamCheck:
    p = np.array(params[name], dtype=np.float64)
    if grad.shape != p.shape or p.size == 0:
        raise ValueError(f"parameter {name!r} has shape {p.shape}, its "
                         f"gradient {grad.shape} (need equal, non-empty)")
    work = {**params, name: p}
    flat = rng.choice(p.size, size=min(num_samples, p.size), replace=False)
    idx = [tuple(int(k) for k in np.unravel_index(j, p.shape))
           for j in flat]
    numeric = np.array([_partial(f, work, p, i, h) for i in idx])
    analytic = np.array([grad[i] for i in idx], dtype=np.float64)
    err = relative_error(analytic, numeric)
    w = int(np.argmax(err))  # a NaN counts as the worst entry
    return ParamCheck(name, idx[w], float(analytic[w]), float(numeric[w]),
                      float(err[w]), len(idx))


def check_gradients(f: Callable[[dict[str, Any]], float],
                    params: dict[str, np.ndarray],
                    grads: dict[str, np.ndarray], *, num_samples: int = 10,
                    h: float = 1e-5, seed: int = 0) -> list[ParamCheck]:
    """Compare analytic gradients with centered differences, per parameter.

    For every name in params (in dict order) up to num_samples entries
    are drawn without replacement from np.random.default_rng(seed), one
    generator shared across parameters. Each entry gets
    n = (f(params with p_i + h) - f(params with p_i - h)) / 2h, and the
    entry with the largest relative_error(grads[name][i], n) is reported.
    f takes the params dict and returns a float; the perturbed parameter
    is a float64 copy, so params is never modified. grads must have the
    same keys as params and each gradient its parameter's shape.
    """
    _check_step(h)
    if num_samples < 1:
        raise ValueError(f"num_samples must be >= 1, got {num_samples}")
    if set(grads) != set(params):
        raise ValueError(f"grads keys {sorted(grads)} differ from params "
                         f"keys {sorted(params)}")
    rng = np.random.default_rng(seed)
    return [_check_one(f, params, name, np.asarray(grads[name]), rng,
                       num_samples, h) for name in params]


def kink_crossed(winner: Callable[[np.ndarray], Any], x: np.ndarray,
                 index: int | tuple[int, ...], *, h: float = 1e-5) -> bool:
    """True when winner(x - h e_index) differs from winner(x + h e_index).

    winner reports which input "won" at every non-differentiable point,
    e.g. lambda z: z > 0 for ReLU or lambda z: z.argmax(axis=1) for max;
    it returns an array or a scalar compared with == (all entries must
    match). If the winner changes, the centered difference at that entry
    straddles a kink and is not the gradient of either piece. A kink
    crossed twice inside [x - h, x + h] goes unnoticed. index is a tuple
    of x.ndim integers or one flat (C-order) integer.
    """
    _check_step(h)
    lo = np.array(x, dtype=np.float64)
    i = _as_index(index, lo.shape)
    hi = lo.copy()
    lo[i] -= h
    hi[i] += h
    return not bool(np.all(winner(lo) == winner(hi)))


def directional_check(f: Callable[[np.ndarray], float], grad: np.ndarray,
                      x: np.ndarray, *, h: float = 1e-5,
                      seed: int = 0) -> tuple[float, float, float]:
    """Check a whole gradient along one random unit direction u.

    u = z / ||z|| with z ~ N(0, I) from np.random.default_rng(seed);
    analytic = grad . u, numeric = (f(x + h u) - f(x - h u)) / 2h;
    returns (analytic, numeric, relative error of the two). Two
    evaluations cover every entry, but an error in a few entries is
    diluted by their small weights in u: use it as a quick first test,
    then check_gradients. grad must have x's shape; x is not modified.
    """
    _check_step(h)
    xw = np.array(x, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != xw.shape or xw.size == 0:
        raise ValueError(f"grad has shape {grad.shape}, x has {xw.shape} "
                         f"(need equal, non-empty)")
    u = np.random.default_rng(seed).standard_normal(xw.shape)
    u /= np.linalg.norm(u)
    analytic = float(np.sum(grad * u))
    numeric = (float(f(xw + h * u)) - float(f(xw - h * u))) / (2 * h)
    return analytic, numeric, float(relative_error(analytic, numeric))
