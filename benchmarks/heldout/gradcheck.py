"""Held-out entries for assignment 3: the tools of a gradient check.

Parts: ``gradcheck.numerical_gradient``, ``gradcheck.relative_error`` and
``gradcheck.kink_crossed``, each a single function. The locked helpers
(``_check_step``, ``_as_index``, ``_METHODS``) are imported.
"""
from __future__ import annotations

import numpy as np

from benchmarks.heldout import Right, Wrong
from solutions.gradcheck import _METHODS, _as_index, _check_step

# ------------------------------------------------------- numerical_gradient


def _checked(h, method):
    _check_step(h)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")


def numgrad_centered_over_h(f, x, *, h=1e-5, method="centered"):
    _checked(h, method)
    xw = np.array(x, dtype=np.float64)
    grad = np.zeros(xw.shape)
    f0 = float(f(xw)) if method == "forward" else 0.0
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old + h
        up = float(f(xw))
        if method == "forward":
            grad[i] = (up - f0) / h
        else:
            xw[i] = old - h
            grad[i] = (up - float(f(xw))) / h  # the 2 is missing
        xw[i] = old
    return grad


def numgrad_not_restored(f, x, *, h=1e-5, method="centered"):
    _checked(h, method)
    xw = np.array(x, dtype=np.float64)
    grad = np.zeros(xw.shape)
    f0 = float(f(xw)) if method == "forward" else 0.0
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old + h
        up = float(f(xw))
        if method == "forward":
            grad[i] = (up - f0) / h
        else:
            xw[i] = old - h
            grad[i] = (up - float(f(xw))) / (2 * h)
        # the entry stays at old - h (or old + h) for the next ones
    return grad


def numgrad_copy_keeps_dtype(f, x, *, h=1e-5, method="centered"):
    _checked(h, method)
    xw = np.array(x)  # an integer x stays integer, float32 stays float32
    grad = np.zeros(xw.shape)
    f0 = float(f(xw)) if method == "forward" else 0.0
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old + h
        up = float(f(xw))
        if method == "forward":
            grad[i] = (up - f0) / h
        else:
            xw[i] = old - h
            grad[i] = (up - float(f(xw))) / (2 * h)
        xw[i] = old
    return grad


def numgrad_result_like_x(f, x, *, h=1e-5, method="centered"):
    _checked(h, method)
    xw = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)  # integer for an integer x
    f0 = float(f(xw)) if method == "forward" else 0.0
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old + h
        up = float(f(xw))
        if method == "forward":
            grad[i] = (up - f0) / h
        else:
            xw[i] = old - h
            grad[i] = (up - float(f(xw))) / (2 * h)
        xw[i] = old
    return grad


def numgrad_method_ignored(f, x, *, h=1e-5, method="centered"):
    _check_step(h)
    xw = np.array(x, dtype=np.float64)
    grad = np.zeros(xw.shape)
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old + h
        up = float(f(xw))
        xw[i] = old - h
        grad[i] = (up - float(f(xw))) / (2 * h)
        xw[i] = old
    return grad


def _numgrad(f, x, h, method):
    xw = np.array(x, dtype=np.float64)
    grad = np.zeros(xw.shape)
    f0 = float(f(xw)) if method == "forward" else 0.0
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old + h
        up = float(f(xw))
        if method == "forward":
            grad[i] = (up - f0) / h
        else:
            xw[i] = old - h
            grad[i] = (up - float(f(xw))) / (2 * h)
        xw[i] = old
    return grad


def numgrad_default_step(f, x, *, h=1e-3, method="centered"):
    _checked(h, method)
    return _numgrad(f, x, h, method)


def numgrad_flat_result(f, x, *, h=1e-5, method="centered"):
    _checked(h, method)
    xw = np.array(x, dtype=np.float64)
    grad = np.zeros(xw.size)  # never reshaped back
    f0 = float(f(xw)) if method == "forward" else 0.0
    for j in range(xw.size):
        old = xw.flat[j]
        xw.flat[j] = old + h
        up = float(f(xw))
        if method == "forward":
            grad[j] = (up - f0) / h
        else:
            xw.flat[j] = old - h
            grad[j] = (up - float(f(xw))) / (2 * h)
        xw.flat[j] = old
    return grad


def numgrad_flat_view(f, x, *, h=1e-5, method="centered"):
    _checked(h, method)
    xw = np.array(x, dtype=np.float64)
    flat = xw.reshape(-1)  # a view: writing it nudges xw
    grad = np.zeros(flat.size)
    f0 = float(f(xw)) if method == "forward" else None
    for j in range(flat.size):
        keep = flat[j]
        flat[j] = keep + h
        up = float(f(xw))
        if f0 is None:
            flat[j] = keep - h
            grad[j] = (up - float(f(xw))) / (2 * h)
        else:
            grad[j] = (up - f0) / h
        flat[j] = keep
    return grad.reshape(xw.shape)


def numgrad_basis_vectors(f, x, *, h=1e-5, method="centered"):
    _checked(h, method)
    x0 = np.array(x, dtype=np.float64)
    grad = np.empty(x0.shape)
    f0 = float(f(x0.copy())) if method == "forward" else 0.0
    for i in np.ndindex(x0.shape):
        e = np.zeros(x0.shape)
        e[i] = 1.0
        up = float(f(x0 + h * e))
        if method == "forward":
            grad[i] = (up - f0) / h
        else:
            grad[i] = (up - float(f(x0 - h * e))) / (2 * h)
    return grad


# ----------------------------------------------------------- relative_error

def _pair(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape}, {b.shape}")
    return a, b


def relerr_floor_added(a, b, *, floor=1e-12):
    a, b = _pair(a, b)
    return np.abs(a - b) / (np.maximum(np.abs(a), np.abs(b)) + floor)


def relerr_one_sided(a, b, *, floor=1e-12):
    a, b = _pair(a, b)
    return np.abs(a - b) / np.maximum(np.abs(a), floor)


def relerr_no_floor(a, b, *, floor=1e-12):
    a, b = _pair(a, b)
    return np.abs(a - b) / np.maximum(np.abs(a), np.abs(b))


def relerr_keeps_float32(a, b, *, floor=1e-12):
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape}, {b.shape}")
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    return np.abs(a - b) / scale


def relerr_maximum_three(a, b, *, floor=1e-12):
    a, b = _pair(a, b)
    # the third positional argument of np.maximum is `out`, not a value
    return np.abs(a - b) / np.maximum(np.abs(a), np.abs(b), floor)


def relerr_stacked(a, b, *, floor=1e-12):
    a, b = _pair(a, b)
    if not floor > 0:
        raise ValueError(f"floor must be > 0, got {floor}")
    candidates = np.stack([np.abs(a), np.abs(b), np.full(a.shape, floor)])
    return np.abs(a - b) / candidates.max(axis=0)


def relerr_fmax(a, b, *, floor=1e-12):
    a, b = _pair(a, b)
    top = np.fmax(np.abs(a), np.abs(b))
    return np.abs(b - a) / np.where(top > floor, top, floor)


# ------------------------------------------------------------- kink_crossed

def kink_one_sided(winner, x, index, *, h=1e-5):
    _check_step(h)
    here = np.array(x, dtype=np.float64)
    i = _as_index(index, here.shape)
    up = here.copy()
    up[i] += h
    return not bool(np.all(winner(here) == winner(up)))


def kink_edits_caller(winner, x, index, *, h=1e-5):
    _check_step(h)
    i = _as_index(index, np.shape(x))
    lo = np.array(x, dtype=np.float64)
    lo[i] -= h
    hi = x  # the caller's array, nudged and left so
    hi[i] += h
    return not bool(np.all(winner(lo) == winner(hi)))


def kink_fortran_order(winner, x, index, *, h=1e-5):
    _check_step(h)
    lo = np.array(x, dtype=np.float64)
    if np.ndim(index) == 0:
        i = tuple(int(k) for k in np.unravel_index(int(index), lo.shape,
                                                   order="F"))
    else:
        i = _as_index(index, lo.shape)
    hi = lo.copy()
    lo[i] -= h
    hi[i] += h
    return not bool(np.all(winner(lo) == winner(hi)))


def kink_returns_array(winner, x, index, *, h=1e-5):
    _check_step(h)
    lo = np.array(x, dtype=np.float64)
    i = _as_index(index, lo.shape)
    hi = lo.copy()
    lo[i] -= h
    hi[i] += h
    return winner(lo) != winner(hi)


def kink_step_ignored(winner, x, index, *, h=1e-5):
    _check_step(h)
    lo = np.array(x, dtype=np.float64)
    i = _as_index(index, lo.shape)
    hi = lo.copy()
    lo[i] -= 1e-5
    hi[i] += 1e-5
    return not bool(np.all(winner(lo) == winner(hi)))


def kink_flat_copy(winner, x, index, *, h=1e-5):
    _check_step(h)
    base = np.array(x, dtype=np.float64)
    j = (int(np.ravel_multi_index(tuple(int(k) for k in index), base.shape,
                                  mode="wrap"))
         if np.ndim(index) else int(index))
    flat = base.ravel()
    lo, hi = flat.copy(), flat.copy()
    lo[j] -= h
    hi[j] += h
    same = winner(lo.reshape(base.shape)) == winner(hi.reshape(base.shape))
    return bool(not np.all(same))


def kink_any_differs(winner, x, index, *, h=1e-5):
    _check_step(h)
    lo = np.array(x, dtype=np.float64)
    i = _as_index(index, lo.shape)
    hi = lo.copy()
    lo[i] = lo[i] - h
    hi[i] = hi[i] + h
    return bool(np.any(np.asarray(winner(lo) != winner(hi))))


# ---------------------------------------------------------------------------

P = "gradcheck."
WRONG = [
    Wrong(P + "numerical_gradient", "centered_over_h", "formula",
          numgrad_centered_over_h,
          "the centered difference is divided by h instead of 2h"),
    Wrong(P + "numerical_gradient", "entry_not_restored", "formula",
          numgrad_not_restored,
          "an entry is left at its nudged value, so the later partials "
          "are taken at a shifted point"),
    Wrong(P + "numerical_gradient", "copy_keeps_dtype", "inputs",
          numgrad_copy_keeps_dtype,
          "the working copy keeps x's dtype, so an integer x cannot be "
          "nudged by h and float32 loses most of the difference"),
    Wrong(P + "numerical_gradient", "result_like_x", "inputs",
          numgrad_result_like_x,
          "the result is np.zeros_like(x), integer for an integer x, so "
          "the gradient is truncated to whole numbers"),
    Wrong(P + "numerical_gradient", "method_ignored", "contract",
          numgrad_method_ignored,
          "the method argument is ignored and the centered difference is "
          "always used"),
    Wrong(P + "numerical_gradient", "default_step_1e-3", "contract",
          numgrad_default_step,
          "the default step is h = 1e-3 instead of 1e-5"),
    Wrong(P + "numerical_gradient", "flat_result", "inputs",
          numgrad_flat_result,
          "the gradient is returned flat, shape (x.size,), which only "
          "differs for an x with two or more axes"),

    Wrong(P + "relative_error", "floor_added", "inputs", relerr_floor_added,
          "the floor is added to the maximum instead of being one of the "
          "values it chooses from, which shows for values near the floor"),
    Wrong(P + "relative_error", "divides_by_a_only", "formula",
          relerr_one_sided,
          "the difference is divided by |a| (floored) only, so the error "
          "is not symmetric"),
    Wrong(P + "relative_error", "no_floor", "inputs", relerr_no_floor,
          "the floor is left out, so two exact zeros give 0/0"),
    Wrong(P + "relative_error", "keeps_float32", "inputs",
          relerr_keeps_float32,
          "the inputs are not converted to float64, so float32 arrays "
          "give a float32 result"),
    Wrong(P + "relative_error", "maximum_out_argument", "formula",
          relerr_maximum_three,
          "np.maximum(|a|, |b|, floor) passes the floor as the out "
          "argument, which raises"),

    Wrong(P + "kink_crossed", "one_sided", "inputs", kink_one_sided,
          "winner(x) is compared with winner(x + h e_i), so a kink in "
          "[x - h, x) is missed"),
    Wrong(P + "kink_crossed", "nudges_caller", "contract",
          kink_edits_caller,
          "the upper point is the caller's x itself, which is left nudged "
          "by +h"),
    Wrong(P + "kink_crossed", "fortran_order", "inputs", kink_fortran_order,
          "a flat index is unravelled in Fortran order instead of C order"),
    Wrong(P + "kink_crossed", "returns_array", "contract",
          kink_returns_array,
          "returns the elementwise comparison instead of a single bool"),
    Wrong(P + "kink_crossed", "step_ignored", "contract", kink_step_ignored,
          "the step h argument is ignored and 1e-5 is always used"),
]

RIGHT = [
    Right(P + "numerical_gradient", "flat_view", numgrad_flat_view),
    Right(P + "numerical_gradient", "basis_vectors", numgrad_basis_vectors),
    Right(P + "relative_error", "stacked_max", relerr_stacked),
    Right(P + "relative_error", "fmax_where", relerr_fmax),
    Right(P + "kink_crossed", "flat_copy", kink_flat_copy),
    Right(P + "kink_crossed", "any_differs", kink_any_differs),
]
