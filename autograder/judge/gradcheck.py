"""Checks and known mistakes for the gradient-checking tools of chapter 3.

Three functions are graded. ``numerical_gradient`` runs on a smooth test
function whose every entry has its own weight and rate and which couples
the entries through a squared sum, so an entry left perturbed shifts the
later ones, a transposed result lands on the wrong weights, and the
centered and forward formulas part visibly once h is 1e-3 or larger. The
result is compared with the reference's own finite difference (same h,
same formula), so only rounding separates a correct answer: with |f| < 50,
|g| >= 1 and h >= 1e-5 that is below 1e-9, far inside the "formula"
tolerance. ``relative_error`` gets both-zero entries, values below the
floor, opposite signs and a < b. ``kink_crossed`` answers a batch of
queries per case (one flag each), placed at and around ReLU and max
kinks, so that each wrong variant shows a pattern of its own.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograder.judge.core import Case, Graded, Mistake, Outputs
from autograder.judge.feedback import CheckFailure, fmt_index, fmt_shape
from solutions import gradcheck as ref

# ---------------------------------------------------------------- numerical_gradient


def _smooth(size: int) -> Callable[[np.ndarray], float]:
    """f(x) = sum_i c_i exp(k_i x_i) + 0.5 (a . x)^2 over x in C order.

    Positive c, k, a and x > 0 keep every partial derivative >= 1, so a
    relative error is never taken on a value near zero. The rates k go
    up to 2 so f''' is large enough to tell a step of h from one of 2h.
    """
    i = np.arange(size)
    c, k, a = 1.0 + 0.25 * i, 1.0 + 0.5 * (i % 3), 0.5 + 0.1 * i

    def f(x: np.ndarray) -> float:
        z = np.ravel(np.asarray(x, dtype=np.float64))
        return float(np.sum(c * np.exp(k * z)) + 0.5 * np.dot(a, z) ** 2)
    return f


def _gradient_case(shape: tuple[int, ...], method: str | None, h: float | None,
                   seed: int) -> Case:
    how = (f"{method}, h={h:g}" if method is not None else
           "default h and method (called as numerical_gradient(f, x))")
    label = f"x of shape {fmt_shape(shape)}, {how}, seed {seed}"

    def run(impl) -> Outputs:
        x0 = np.random.default_rng(seed).uniform(0.2, 1.0, size=shape)
        x = x0.copy()
        kwargs = {} if method is None else {"h": h, "method": method}
        grad = impl(_smooth(x0.size), x, **kwargs)
        _check_untouched(x, x0, "numerical_gradient", label)
        return {"grad": grad}
    return Case(label=label, run=run)


def _check_untouched(x: np.ndarray, x0: np.ndarray, name: str, label: str) -> None:
    """Fail when the caller's array changed by more than rounding.

    An entry nudged and put back by arithmetic (x[i] += h ... x[i] -= h)
    may come back a unit in the last place away; that is harmless, an
    entry left at x[i] - h is not.
    """
    moved = ~np.isclose(x, x0, rtol=1e-12, atol=0.0)
    if moved.any():
        idx = tuple(int(k) for k in np.argwhere(moved)[0])
        raise CheckFailure(
            f"your {name} changed the caller's x: {fmt_index('x', idx)} is "
            f"{x[idx]:.10g} after the call, was {x0[idx]:.10g} ({label}); nudge a "
            f"copy, or put each entry back to its exact old value after its "
            f"evaluations")


def _numgrad(centered: Callable, forward: Callable | None = None, *, restore: bool = True,
             ignore_method: str | None = None) -> Callable:
    """A finite-difference loop with the difference formula swapped out.

    ``centered(f, xw, i, old, h)`` and ``forward(f, xw, i, old, h, f0)``
    return one partial derivative; ``restore=False`` leaves each entry
    where the last evaluation put it; ``ignore_method`` uses that method
    whatever the caller asks for.
    """
    forward = forward or _fwd

    def numerical_gradient(f, x, *, h=1e-5, method="centered"):
        method = ignore_method or method
        xw = np.array(x, dtype=np.float64)
        grad = np.zeros_like(xw)
        f0 = float(f(xw)) if method == "forward" else 0.0
        for i in np.ndindex(xw.shape):
            old = xw[i]
            if method == "forward":
                grad[i] = forward(f, xw, i, old, h, f0)
            else:
                grad[i] = centered(f, xw, i, old, h)
            if restore:
                xw[i] = old
        return grad
    return numerical_gradient


def _at(f, xw, i, value) -> float:
    xw[i] = value
    return float(f(xw))


def _ctr(f, xw, i, old, h):
    return (_at(f, xw, i, old + h) - _at(f, xw, i, old - h)) / (2 * h)


def _fwd(f, xw, i, old, h, f0):
    return (_at(f, xw, i, old + h) - f0) / h


def _all_at_once(f, x, *, h=1e-5, method="centered"):
    xw = np.array(x, dtype=np.float64)
    if method == "forward":
        value = (float(f(xw + h)) - float(f(xw))) / h
    else:
        value = (float(f(xw + h)) - float(f(xw - h))) / (2 * h)
    return np.full_like(xw, value)


NUMERICAL_GRADIENT_MISTAKES = [
    Mistake("numgrad_centered_over_h", "the centered difference is divided by h; "
            "its two points are 2h apart, so divide by 2h",
            _numgrad(lambda f, xw, i, old, h:
                     (_at(f, xw, i, old + h) - _at(f, xw, i, old - h)) / h)),
    Mistake("numgrad_forward_when_centered", "the forward difference (f(x + h) - "
            "f(x)) / h is used although method='centered' was asked for",
            _numgrad(_ctr, ignore_method="forward")),
    Mistake("numgrad_always_centered", "the centered difference is used although "
            "method='forward' was asked for", _numgrad(_ctr, ignore_method="centered")),
    Mistake("numgrad_not_restored", "x[i] is not put back after its evaluations, "
            "so every later entry is differentiated at a shifted point",
            _numgrad(_ctr, restore=False)),
    Mistake("numgrad_double_step", "each side moves by 2h (x +- 2h) while the "
            "difference is divided by 2h: move by h on each side",
            _numgrad(lambda f, xw, i, old, h:
                     (_at(f, xw, i, old + 2 * h) - _at(f, xw, i, old - 2 * h)) / (2 * h))),
    Mistake("numgrad_all_at_once", "every entry of x is perturbed at once, which "
            "gives the sum of all partial derivatives in every entry: nudge one "
            "entry at a time", _all_at_once),
]

# ---------------------------------------------------------------- relative_error


def _error_case(label: str, a: np.ndarray, b: np.ndarray) -> Case:
    def run(impl) -> Outputs:
        return {"relative_error": impl(a.copy(), b.copy())}
    return Case(label=label, run=run)


def _error_cases() -> list[Case]:
    rng = np.random.default_rng(1)
    big_a, big_b = rng.normal(size=4) * 1e3, rng.normal(size=4) * 1e3
    return [
        _error_case("a, b of shape (2, 3): both zero at [0, 0], a = 0 at [0, 1], "
                    "opposite signs at [0, 2], both below the floor at [1, 1], "
                    "a < b at [1, 2]",
                    np.array([[0.0, 0.0, 2.0], [1.5, 3e-13, 0.3]]),
                    np.array([[0.0, 1e-3, -2.0], [1.2, -1e-13, 0.7]])),
        _error_case("a, b of shape (4,) ~ +-1000, seed 1", big_a, big_b),
        _error_case("integer arrays of shape (5,), both zero at [0]",
                    np.array([0, 3, -4, 7, 1]), np.array([0, 5, 4, 7, -2])),
    ]


def _rel(denominator: Callable, numerator=lambda a, b: np.abs(a - b)) -> Callable:
    def relative_error(a, b, *, floor=1e-12):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return numerator(a, b) / denominator(np.abs(a), np.abs(b), floor)
    return relative_error


def _max3(aa, bb, floor):
    return np.maximum(np.maximum(aa, bb), floor)


RELATIVE_ERROR_MISTAKES = [
    Mistake("relerr_no_floor", "the denominator has no floor, so two exact zeros "
            "give 0/0 = nan (and tiny values divide by almost nothing): take "
            "max(|a|, |b|, floor)", _rel(lambda aa, bb, floor: np.maximum(aa, bb))),
    Mistake("relerr_sum_denominator", "the denominator is |a| + |b|; the relative "
            "error here divides by max(|a|, |b|, floor)",
            _rel(lambda aa, bb, floor: np.maximum(aa + bb, floor))),
    Mistake("relerr_b_only", "the denominator uses |b| alone; it must be symmetric "
            "in a and b: max(|a|, |b|, floor)",
            _rel(lambda aa, bb, floor: np.maximum(bb, floor))),
    Mistake("relerr_no_abs", "the numerator is a - b without the absolute value, "
            "so the error is negative where a < b", _rel(_max3, lambda a, b: a - b)),
    Mistake("relerr_single_max", "a single number (the largest error) is returned; "
            "the function returns the error of every entry, in an array of a's "
            "shape", lambda a, b, *, floor=1e-12: float(np.max(ref.relative_error(a, b)))),
    Mistake("relerr_floor_added", "the floor is added to the denominator instead of "
            "being one of the values max() chooses from, which changes the result "
            "for values near or below the floor",
            _rel(lambda aa, bb, floor: np.maximum(aa, bb) + floor)),
]

# ---------------------------------------------------------------- kink_crossed

H = 1e-5


def _relu(z):
    return z > 0


def _row_max(z):
    return np.argmax(z, axis=1)


def _vector_max(z):
    return int(np.argmax(z))


def _as_flag(value: Any, label: str) -> float:
    """A student's answer as 0.0 / 1.0, or a sentence if it is not a bool."""
    if isinstance(value, (bool, np.bool_)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype == np.bool_:
        return float(value)
    what = (f"an array of shape {fmt_shape(value.shape)}" if isinstance(value, np.ndarray)
            else type(value).__name__)
    raise CheckFailure(f"your kink_crossed should return True or False, got {what} "
                       f"({label}): reduce the comparison of the two winners to one "
                       f"bool")


def _kink_case(label: str, winner: Callable, x: np.ndarray, queries: list,
               h: float | None = None) -> Case:
    def run(impl) -> Outputs:
        kwargs = {} if h is None else {"h": h}
        flags = [_as_flag(impl(winner, x.copy(), q, **kwargs), label) for q in queries]
        return {"crossed": np.array(flags)}
    return Case(label=label, run=run)


def _kink_cases() -> list[Case]:
    relu_x = np.array([0.0, 0.5, -0.5, 1.5, -1.5, 3.0, 3e4, -2e4]) * H
    rows = np.array([[1.0, 5.0, 2.0, 5.0],                        # exact tie
                     [4.0 + 0.5 * H, 0.0, 4.0, -1.0],           # 0.5h apart
                     [2.0, 7.0, 7.0 + 1.5 * H, 3.0]])           # 1.5h apart
    vec = np.array([3.0, 3.0 + 1.5 * H, 0.0, 3.0 + 1.5 * H - 1e-12])
    relu_2d = np.array([[0.0, 2e-4, -5e-4], [0.7, 1.5e-3, -0.3]])
    near = "entries at 0, +-0.5h, +-1.5h, 3h and far from 0"
    return [
        _kink_case(f"ReLU winner z > 0, x of shape (8,) with {near}, default h, "
                   f"flat index 0 to 7 in turn", _relu, relu_x, list(range(8))),
        _kink_case("row-max winner argmax(z, axis=1), x of shape (3, 4) with an exact "
                   "tie in row 0, near-ties 0.5h and 1.5h apart in rows 1 and 2 and a 0 at "
                   "[1, 1], tuple indices (0, 1), (0, 3), (1, 0), (1, 2), (2, 2), (2, 0), "
                   "(1, 1)", _row_max, rows,
                   [(0, 1), (0, 3), (1, 0), (1, 2), (2, 2), (2, 0), (1, 1)]),
        _kink_case("row-max winner, the same x of shape (3, 4), flat indices 1, 3, 4, "
                   "5, 6, 8, 10", _row_max, rows, [1, 3, 4, 5, 6, 8, 10]),
        _kink_case("max winner int(argmax(z)) of a vector of shape (4,) with entries "
                   "1.5h apart and a 0, flat indices 0, 1, 2, 3", _vector_max, vec, [0, 1, 2, 3]),
        _kink_case("ReLU winner, x of shape (2, 3) with entries at 0, 0.2h and -0.5h "
                   "for h=1e-3, tuple indices", _relu, relu_2d,
                   [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], h=1e-3),
    ]


def _kink(step: float = 1.0, order: str = "C", one_sided: bool = False) -> Callable:
    """kink_crossed with the step scaled, the flat index read in ``order``,
    or x - h replaced by x itself."""
    def kink_crossed(winner, x, index, *, h=1e-5):
        lo = np.array(x, dtype=np.float64)
        if np.ndim(index) == 0:
            i = tuple(int(k) for k in np.unravel_index(int(index), lo.shape, order=order))
        else:
            i = tuple(int(k) for k in index)
        hi = lo.copy()
        if not one_sided:
            lo[i] -= step * h
        hi[i] += step * h
        return not bool(np.all(winner(lo) == winner(hi)))
    return kink_crossed


def _sign_of_x(winner, x, index, *, h=1e-5):
    x = np.asarray(x, dtype=np.float64)
    i = np.unravel_index(int(index), x.shape) if np.ndim(index) == 0 else tuple(index)
    return bool((x[i] - h > 0) != (x[i] + h > 0))


KINK_CROSSED_MISTAKES = [
    Mistake("kink_one_sided", "x is compared with x + h only; the centered "
            "difference spans [x - h, x + h], so compare winner(x - h e_i) with "
            "winner(x + h e_i)", _kink(one_sided=True)),
    Mistake("kink_always_false", "the function always answers False",
            lambda winner, x, index, *, h=1e-5: False),
    Mistake("kink_sign_of_x", "the answer looks at whether x[index] itself crosses "
            "zero instead of comparing what winner returns on the two sides; a max "
            "has its kink where two entries tie, not at zero", _sign_of_x),
    Mistake("kink_double_step", "the two points are x - 2h and x + 2h; the "
            "centered difference only looks at x - h and x + h", _kink(step=2.0)),
    Mistake("kink_flat_index_column_major", "a flat index is read in column-major "
            "order; it counts in C order, last axis fastest "
            "(np.unravel_index(index, x.shape))", _kink(order="F")),
]

# ---------------------------------------------------------------- the table

GRADED: dict[str, Graded] = {
    "numerical_gradient": Graded(
        name="numerical_gradient", reference=ref.numerical_gradient,
        cases=lambda: [_gradient_case((3,), "centered", 1e-2, 0),
                       _gradient_case((2, 3), "centered", 1e-3, 1),
                       _gradient_case((2, 3), "forward", 1e-3, 2),
                       _gradient_case((3,), "forward", 1e-4, 3),
                       _gradient_case((2, 3), None, None, 4)],
        mistakes=tuple(NUMERICAL_GRADIENT_MISTAKES)),
    "relative_error": Graded(
        name="relative_error", reference=ref.relative_error, cases=_error_cases,
        mistakes=tuple(RELATIVE_ERROR_MISTAKES)),
    "kink_crossed": Graded(
        name="kink_crossed", reference=ref.kink_crossed, cases=_kink_cases,
        mistakes=tuple(KINK_CROSSED_MISTAKES)),
}
