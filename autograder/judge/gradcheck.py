"""Checks and known mistakes for the gradient-checking tools of chapter 3.

Three functions are graded, each through a call of
autograder.driver.calls.gradcheck. Every case's structure is fixed (which
shapes, dtypes, steps and methods; where the kinks, ties and zeros sit)
and its numbers are drawn from the grading run's seed, one generator per
case.

``numerical_gradient`` differentiates the driver's ``exp_coupled`` test
function, f(x) = sum_i c_i exp(k_i x_i) + (a . x)^2 / 2: every entry has
its own weight and rate and the squared sum couples the entries, so an
entry left perturbed shifts the later ones, a transposed result lands on
the wrong weights, and the centered and forward formulas part visibly
once h is 1e-3 or larger (one rate is always 2, so f''' is large enough
to tell a step of h from one of 2h). With c, k, a > 0 and x >= 0 every
partial derivative is >= 1, and |f| < 500: the result is compared with
the reference's own finite difference (same h, same formula), so only
rounding, below 1e-8 relative, separates a correct answer. Each formula
has its own cases (one of them on an integer x, which a copy that keeps
the dtype truncates), and the defaults have theirs: there the student's
numerical_gradient(f, x) is compared with the student's own explicit
numerical_gradient(f, x, h=1e-5, method="centered"), the points where f
was evaluated and the result, so the point for the defaults never
depends on the formula and the formulas' points never on the defaults.
The caller's x must come back as it went in (to rounding), in every case.
``relative_error`` gets both-zero entries, values below the floor,
opposite signs, a < b, both negative (each way round) and integers, and
must leave a and b as they were. ``kink_crossed`` answers a batch of
queries per case (one flag each), placed at and around ReLU and max kinks
at offsets that are fractions or multiples of h by construction, so that
each wrong variant shows a pattern of its own, and on integer arrays.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from autograder.driver import wire
from autograder.judge.core import Case, Graded, Mistake, Outputs, wire_type
from autograder.judge.compare import relative_errors
from autograder.judge.feedback import CheckFailure, fmt_index, fmt_shape, fmt_values
from solutions import gradcheck as ref


def _rng(seed: int, n: int) -> np.random.Generator:
    """The generator of case ``n`` of a grading run."""
    return np.random.default_rng([seed, n])


def _an_array(out: Outputs, key: str, graded: str, shape: tuple, label: str) -> None:
    """A sentence for a result that could not cross the wire as data."""
    value = out.get(key)
    if isinstance(value, wire.Opaque):
        raise CheckFailure(f"your {key} should be a numpy array of shape "
                           f"{fmt_shape(shape)}, got {wire_type(value)} ({graded}, {label})")


def _untouched(x: np.ndarray, x0: np.ndarray, name: str, label: str, after: str,
               advice: str) -> None:
    """Fail when the caller's array changed by more than rounding.

    An entry nudged and put back by arithmetic (x[i] += h ... x[i] -= h)
    may come back a unit in the last place away; that is harmless, an
    entry left at x[i] - h is not.
    """
    x = np.asarray(x, dtype=np.float64)
    moved = ~np.isclose(x, x0, rtol=1e-12, atol=1e-15)
    if moved.any():
        idx = tuple(int(k) for k in np.argwhere(moved)[0])
        raise CheckFailure(
            f"your {name} changed the caller's x: {fmt_index('x', idx)} is "
            f"{x[idx]:.10g} {after}, was {x0[idx]:.10g} ({label}); {advice}")

# ---------------------------------------------------------------- numerical_gradient

# (shape, method, h, integer x) of each case, in the order of the test cells:
# centered 0-2, forward 3-5, the defaults 6-7
_GRADIENT_PLANS = [((3,), "centered", 1e-2, False), ((2, 3), "centered", 1e-3, False),
                   ((2, 1, 2), "centered", 1e-3, True),
                   ((2, 3), "forward", 1e-3, False), ((3,), "forward", 1e-4, False),
                   ((2, 2), "forward", 1e-3, True),
                   ((2, 3), None, None, False), ((3,), None, None, True)]
DEFAULT_H = 1e-5
_RESTORE_ADVICE = ("nudge a copy, or put each entry back to its exact old value after "
                   "its evaluations")


def _gradient_cases(seed: int) -> list[Case]:
    return [_gradient_case(shape, method, h, integer, _rng(seed, n))
            for n, (shape, method, h, integer) in enumerate(_GRADIENT_PLANS)]


def _gradient_case(shape: tuple[int, ...], method: str | None, h: float | None,
                   integer: bool, rng: np.random.Generator) -> Case:
    """Numbers on a grid of 0.01 (or whole numbers), so that the label
    states them exactly."""
    size = int(np.prod(shape))
    x0 = rng.integers(0, 3, size=shape) if integer else rng.integers(20, 101, size=shape) / 100
    k = rng.integers(100, 201, size=size) / 100
    k[rng.integers(size)] = 2.0
    c = rng.integers(100, 201, size=size) / 100
    a = rng.integers(50, 121, size=size) / 100
    function = {"kind": "exp_coupled", "c": c, "k": k, "a": a}
    what = "integer x" if integer else "x"
    how = (f"{method}, h={h:g}" if method is not None else
           "called as numerical_gradient(f, x) and as numerical_gradient(f, x, "
           "h=1e-5, method='centered')")
    label = (f"f(x) = sum c_i exp(k_i x_i) + (a . x)^2 / 2 over x in C order with "
             f"c = {fmt_values(c)}, k = {fmt_values(k)}, a = {fmt_values(a)}, at {what} of shape "
             f"{fmt_shape(shape)} = {fmt_values(x0)}, {how}")
    if method is None:
        return _defaults_case(function, x0, label)

    def prepare(out: Outputs) -> Outputs:
        _untouched(out["x"], x0, "numerical_gradient", label, "after the call",
                   _RESTORE_ADVICE)
        _an_array(out, "grad", "numerical_gradient", shape, label)
        return {"grad": out["grad"]}
    return Case(label=label, call="gradcheck.numerical_gradient",
                args={"function": function, "x": x0, "h": h, "method": method},
                prepare=prepare)


def _defaults_case(function: dict, x0: np.ndarray, label: str) -> Case:
    """The defaults, graded apart from the formulas: numerical_gradient(f, x)
    must evaluate f where numerical_gradient(f, x, h=1e-5, method="centered")
    does and return what it returns, whether or not that is right (the
    centered cases grade that), and it must use f at all."""
    explicit = "numerical_gradient(f, x, h=1e-5, method='centered')"

    def prepare(out: Outputs) -> Outputs:
        _untouched(out["x"], x0, "numerical_gradient", label,
                   "after numerical_gradient(f, x)", _RESTORE_ADVICE)
        _an_array(out, "grad", "numerical_gradient", x0.shape, label)
        grad, centered = out["grad"], out["centered"]
        if not (isinstance(grad, np.ndarray) and grad.shape == x0.shape
                and grad.dtype.kind == "f"):
            what = (f"an array of shape {fmt_shape(grad.shape)} and dtype {grad.dtype}"
                    if isinstance(grad, np.ndarray) else wire_type(grad))
            raise CheckFailure(f"your numerical_gradient(f, x) should return a float64 "
                               f"array of shape {fmt_shape(x0.shape)}, got {what} ({label})")
        steps, centered_steps = out["steps"], out["centered_steps"]
        if not out.get("evaluations_away"):
            raise CheckFailure(f"your numerical_gradient(f, x) never evaluates f away from "
                               f"x ({label})",
                               diagnosis="a finite difference needs f at x + h e_i")
        if not _same(grad, centered):
            if not isinstance(centered, np.ndarray) or centered.shape != grad.shape:
                what = (f"an array of shape {fmt_shape(centered.shape)}"
                        if isinstance(centered, np.ndarray) else wire_type(centered))
                raise CheckFailure(f"your numerical_gradient(f, x) returns an array of "
                                   f"shape {fmt_shape(grad.shape)}, your {explicit} "
                                   f"{what} ({label})")
            err = relative_errors(grad, centered, 1e-12)
            idx = tuple(int(i) for i in np.unravel_index(int(np.argmax(err)), err.shape))
            raise CheckFailure(
                f"your numerical_gradient(f, x) differs from your {explicit}: relative "
                f"error {err[idx]:.1e} at {fmt_index('grad', idx)}: "
                f"{grad[idx]:.10g} called with the defaults, {centered[idx]:.10g} with "
                f"them given ({label})",
                diagnosis=_defaults_cause(grad, out["forward"], steps, centered_steps))
        if not np.array_equal(steps, centered_steps):
            raise CheckFailure(
                f"your numerical_gradient(f, x) evaluates f with entries moved by "
                f"{fmt_values(steps)}, your {explicit} with entries moved by "
                f"{fmt_values(centered_steps)} ({label})",
                diagnosis=_defaults_cause(grad, out["forward"], steps, centered_steps))
        return {}
    return Case(label=label, call="gradcheck.numerical_gradient",
                args={"function": function, "x": x0, "defaults": True}, prepare=prepare)


def _same(a, b) -> bool:
    """Two results of the same code: equal up to a hair of rounding."""
    return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
            and not (relative_errors(a, b, 1e-12) > 1e-10).any())


def _defaults_cause(grad, forward, steps, centered_steps) -> str | None:
    """Which default is off, when the results say so."""
    if _same(grad, forward):
        return ("called without h and method, your function computes the forward "
                "difference: the default method is 'centered'")
    sizes = sorted({abs(float(s)) for s in np.atleast_1d(steps)})
    if len(sizes) == 1 and sizes != [DEFAULT_H] and centered_steps is not None and (
            sorted({abs(float(s)) for s in np.atleast_1d(centered_steps)}) == [DEFAULT_H]):
        return (f"called without h, your function moves each entry by {sizes[0]:g}: "
                f"the default step is h=1e-5")
    return None


def _numgrad(centered: Callable, *, restore: bool = True, restore_forward: bool = True,
             ignore_method: str | None = None, float_copy: bool = True,
             default_h: float = DEFAULT_H, default_method: str = "centered") -> Callable:
    """A finite-difference loop with the centered formula swapped out.

    ``centered(f, xw, i, old, h)`` returns one partial derivative (the
    forward one is always right); ``restore=False`` leaves each entry
    where the last evaluation put it (``restore_forward=False``: in the
    forward difference only); ``ignore_method`` uses that method whatever
    the caller asks for; ``float_copy=False`` nudges a copy that keeps
    x's dtype; ``default_h`` and ``default_method`` are the defaults.
    """
    def numerical_gradient(f, x, *, h=default_h, method=default_method):
        method = ignore_method or method
        xw = np.array(x, dtype=np.float64) if float_copy else np.array(x)
        grad = np.zeros(xw.shape)
        f0 = float(f(xw)) if method == "forward" else 0.0
        for i in np.ndindex(xw.shape):
            old = xw[i]
            if method == "forward":
                grad[i] = _fwd(f, xw, i, old, h, f0)
                if restore and restore_forward:
                    xw[i] = old
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
    Mistake("numgrad_precedence", "the centered difference is written / 2 * h, which "
            "divides by 2 and then multiplies by h: write / (2 * h)",
            _numgrad(lambda f, xw, i, old, h:
                     (_at(f, xw, i, old + h) - _at(f, xw, i, old - h)) / 2 * h)),
    Mistake("numgrad_forward_when_centered", "the forward difference (f(x + h) - "
            "f(x)) / h is used although method='centered' was asked for",
            _numgrad(_ctr, ignore_method="forward")),
    Mistake("numgrad_always_centered", "the centered difference is used although "
            "method='forward' was asked for", _numgrad(_ctr, ignore_method="centered")),
    Mistake("numgrad_forward_not_restored", "in the forward difference x[i] is not put "
            "back after f(x + h e_i), so every later entry is differentiated at a shifted "
            "point", _numgrad(_ctr, restore_forward=False)),
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
    Mistake("numgrad_integer_copy", "the working copy keeps the integer dtype of an "
            "integer x, so x[i] + h and x[i] - h are cut to whole numbers: copy with "
            "np.array(x, dtype=np.float64)", _numgrad(_ctr, float_copy=False)),
    Mistake("numgrad_default_forward", "called without method, your function uses the "
            "forward difference: the default is method='centered'",
            _numgrad(_ctr, default_method="forward")),
    Mistake("numgrad_default_h_1e-6", "called without h, your function steps by 1e-6 "
            "(the step of torch.autograd.gradcheck): the default here is h=1e-5",
            _numgrad(_ctr, default_h=1e-6)),
]

# ---------------------------------------------------------------- relative_error


def _error_case(label: str, a: np.ndarray, b: np.ndarray) -> Case:
    def prepare(out: Outputs) -> Outputs:
        for name, before in (("a", a), ("b", b)):
            after = out.get(name)
            if not (isinstance(after, np.ndarray) and np.array_equal(after, before)):
                idx = _first_change(after, before)
                raise CheckFailure(
                    f"your relative_error changed its input {name}: "
                    f"{fmt_index(name, idx)} is {_entry(after, idx)} after the call, was "
                    f"{_entry(before, idx)} ({label}); compute into new arrays and leave "
                    f"a and b as they were")
        _an_array(out, "relative_error", "relative_error", a.shape, label)
        return {"relative_error": out["relative_error"]}
    return Case(label=label, call="gradcheck.relative_error", args={"a": a, "b": b},
                prepare=prepare)


def _first_change(after, before: np.ndarray) -> tuple[int, ...]:
    if not isinstance(after, np.ndarray) or after.shape != before.shape:
        return ()
    return tuple(int(k) for k in np.argwhere(after != before)[0])


def _entry(value, idx: tuple[int, ...]) -> str:
    if not idx:
        return (f"an array of shape {fmt_shape(value.shape)}"
                if isinstance(value, np.ndarray) else wire_type(value))
    return f"{value[idx]:g}"


def _error_cases(seed: int) -> list[Case]:
    """Numbers on decimal grids, so that the labels state them exactly."""
    rng = _rng(seed, 0)
    sign = lambda: float(rng.choice([-1.0, 1.0]))  # noqa: E731
    s, v = sign(), rng.integers(5, 31) / 10
    big = rng.integers(10, 21) / 10
    a = np.array([[0.0, 0.0, s * v],
                  [big, rng.integers(1, 10) / 1e13, rng.integers(1, 6) / 10]])
    b = np.array([[0.0, sign() * rng.integers(1, 100) / 1e4, -s * rng.integers(5, 31) / 10],
                  [rng.integers(5, round(big * 10)) / 10, -rng.integers(1, 10) / 1e13,
                   rng.integers(6, 11) / 10]])
    # ordinary values around +-1000, one pair of each kind of signs (both
    # negative twice, the smaller magnitude once on each side), in a drawn order
    rng = _rng(seed, 1)
    pairs = []
    for sa, sb in [(1, 1), (-1, -1), (-1, -1), (1, -1), (-1, 1), (1, 1)]:
        tenths = int(rng.integers(1000, 30001))
        lo, hi = tenths / 10, (tenths + int(rng.integers(100, 2001))) / 10
        first_small = len(pairs) % 2 == 1       # |a| < |b| for pairs 1, 3, 5
        ma, mb = (lo, hi) if first_small else (hi, lo)
        pairs.append((sa * ma, sb * mb))
    order = rng.permutation(len(pairs))
    big_a = np.array([pairs[i][0] for i in order])
    big_b = np.array([pairs[i][1] for i in order])
    both_negative = [int(j) for j in np.flatnonzero((big_a < 0) & (big_b < 0))]
    rng = _rng(seed, 2)
    int_a, int_b = rng.integers(-9, 10, size=5), rng.integers(-9, 10, size=5)
    int_a[0] = int_b[0] = 0
    # the edge cases again, b's side this time, in a drawn order in one axis
    rng = _rng(seed, 3)
    s = float(rng.choice([-1.0, 1.0]))
    t1, t2 = (int(t) for t in rng.choice(np.arange(1, 10), size=2, replace=False))
    edges = [(0.0, 0.0, "both zero"), (s * rng.integers(1, 100) / 1e4, 0.0, "b = 0"),
             (s * rng.integers(5, 31) / 10, -s * rng.integers(5, 31) / 10, "opposite signs"),
             (t1 / 1e13, t2 / 1e13, "both below the floor"),
             (rng.integers(6, 11) / 10, rng.integers(1, 6) / 10, "a > b > 0"),
             (0.0, -rng.integers(1, 10) / 1e13, "a = 0 and b below the floor")]
    edges = [edges[i] for i in rng.permutation(len(edges))]
    edge_a, edge_b = (np.array([e[k] for e in edges]) for k in (0, 1))
    where = ", ".join(f"{e[2]} at [{i}]" for i, e in enumerate(edges))
    return [
        _error_case(f"a = {fmt_values(a)}, b = {fmt_values(b)}: both zero at [0, 0], a = 0 at "
                    f"[0, 1], opposite signs at [0, 2], a > b > 0 at [1, 0], both below "
                    f"the floor with opposite signs at [1, 1], 0 < a < b at [1, 2]", a, b),
        _error_case(f"a = {fmt_values(big_a)}, b = {fmt_values(big_b)}: both negative at "
                    f"{both_negative[0]} and {both_negative[1]}", big_a, big_b),
        _error_case(f"integer arrays a = {fmt_values(int_a)}, b = {fmt_values(int_b)}, both zero "
                    f"at [0]", int_a, int_b),
        _error_case(f"a = {fmt_values(edge_a)}, b = {fmt_values(edge_b)}: {where}", edge_a, edge_b),
    ]


def _rel(denominator: Callable, numerator=lambda a, b: np.abs(a - b)) -> Callable:
    def relative_error(a, b, *, floor=1e-12):
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        return numerator(a, b) / denominator(np.abs(a), np.abs(b), floor)
    return relative_error


def _signed_max(a, b, *, floor=1e-12):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.maximum(a, b), floor)


def _in_place(a, b, *, floor=1e-12):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    a -= b
    np.abs(a, out=a)
    return a / scale


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
    Mistake("relerr_floor_only_at_zero", "the floor replaces the denominator only where "
            "it is exactly 0, so values below the floor are still divided by almost "
            "nothing: take max(|a|, |b|, floor)",
            _rel(lambda aa, bb, floor: np.where(np.maximum(aa, bb) == 0, floor,
                                                np.maximum(aa, bb)))),
    Mistake("relerr_signed_max", "the denominator is the maximum of a and b without "
            "absolute values, so where both are negative it is the floor or a negative "
            "number: take max(|a|, |b|, floor)", _signed_max),
    Mistake("relerr_in_place", "a is changed in place (a -= b, then its absolute "
            "value): compute |a - b| into a new array and leave the inputs as they were",
            _in_place),
]

# ---------------------------------------------------------------- kink_crossed

H = 1e-5


def _kink_case(label: str, winner: str, x: np.ndarray, queries: list,
               h: float | None = None) -> Case:
    def prepare(out: Outputs) -> Outputs:
        for q, after in zip(queries, out["x"]):
            _untouched(after, x, "kink_crossed", label,
                       f"after kink_crossed(winner, x, {q!r})",
                       "nudge copies, or put the entry back to its exact old value")
        return {"crossed": out["crossed"]}
    args = {"winner": winner, "x": x, "queries": list(queries), "h": h}
    return Case(label=label, call="gradcheck.kink_crossed", args=args, prepare=prepare)


def _kink_cases(seed: int) -> list[Case]:
    """Kinks placed by construction (an entry at 0, an exact tie, offsets
    that are fractions or multiples of h); the seed draws the values on
    decimal grids and the order of the entries, and the labels state x."""
    # ReLU: entries at 0, at a fraction of h on either side, farther than h
    # (but within 2h) on either side, a few h and far away
    rng = _rng(seed, 0)
    tenths = lambda lo, hi: rng.integers(lo, hi + 1) / 10  # noqa: E731
    relu_h = rng.permutation([0.0, tenths(2, 8), -tenths(2, 8), tenths(12, 18),
                              -tenths(12, 18), tenths(25, 40),
                              float(rng.integers(1000, 100001)),
                              -float(rng.integers(1000, 100001))])
    # row max: an exact tie, a near-tie closer than h (with a 0 that is no
    # kink), a near-tie farther than h; the rows in a drawn order
    rng = _rng(seed, 1)
    top, w, u = (tenths(30, 60) for _ in range(3))
    near, far = tenths(2, 8), tenths(12, 18)
    x_rows, texts = np.empty((3, 4)), [""] * 3
    order = rng.permutation(3)            # row r of the structure goes to order[r]
    tie = [tenths(-20, 20), top, tenths(-20, 20), top]
    x_rows[order[0]], texts[order[0]] = tie, fmt_values(tie)
    d = tenths(-20, 10)
    x_rows[order[1]] = [w + near * H, 0.0, w, d]
    texts[order[1]] = f"[{w:g} + {near:g}h, 0, {w:g}, {d:g}]"
    e, f = tenths(-20, 20), tenths(-20, 20)
    x_rows[order[2]] = [e, u, u + far * H, f]
    texts[order[2]] = f"[{e:g}, {u:g}, {u:g} + {far:g}h, {f:g}]"
    rows_text = f"x = [{', '.join(texts)}]"
    tuples = [(int(order[r]), c) for r, c in [(0, 1), (0, 3), (1, 0), (1, 2), (2, 2),
                                               (2, 0), (1, 1)]]
    # the same places as flat indices, which a column-major reading moves
    # elsewhere for every order of the rows
    flat = [4 * int(order[r]) + c for r, c in [(0, 1), (0, 3), (1, 0), (1, 1), (1, 2),
                                                (2, 0), (2, 2)]]
    # vector max: two entries farther than h apart, a third a hair below the
    # larger one, and a 0, in a drawn order
    rng = _rng(seed, 3)
    v, gap, hair = tenths(10, 50), tenths(12, 18), rng.integers(1, 100) / 1e12
    entries = [(v, f"{v:g}"), (v + gap * H, f"{v:g} + {gap:g}h"), (0.0, "0"),
               (v + gap * H - hair, f"{v:g} + {gap:g}h - {hair:g}")]
    entries = [entries[i] for i in rng.permutation(4)]
    vec = np.array([e for e, _ in entries])
    vec_text = "x = [" + ", ".join(t for _, t in entries) + "]"
    # ReLU with h = 1e-3: 0, a fraction of h on either side, 1.2-1.8 h, far
    rng = _rng(seed, 4)
    h4 = 1e-3
    relu_2d_h = rng.permutation([0.0, tenths(1, 9), -tenths(1, 9),
                                 float(rng.integers(100, 1001)), tenths(12, 18),
                                 -float(rng.integers(100, 1001))]).reshape(2, 3)
    # whole numbers: ReLU at two zeros, at +-1 and farther; a max with an
    # exact tie in one row and none in the other
    rng = _rng(seed, 5)
    relu_int = rng.permutation([0, 0, 1, -1, int(rng.integers(2, 10)),
                                -int(rng.integers(2, 10))])
    rng = _rng(seed, 6)
    top, low = int(rng.integers(3, 10)), int(rng.integers(-5, 3))
    tie_row = rng.permutation([top, top, low])
    plain_row = rng.permutation(rng.choice(np.arange(-5, 10), size=3, replace=False))
    int_rows = np.array([tie_row, plain_row] if rng.integers(2) else [plain_row, tie_row])
    int_queries = [(r, c) for r in range(2) for c in range(3)]
    return [
        _kink_case(f"ReLU winner z > 0, x = h * {fmt_values(relu_h)}, default h=1e-5, flat "
                   f"index 0 to 7 in turn", "relu", relu_h * H, list(range(8))),
        _kink_case(f"row-max winner argmax(z, axis=1), {rows_text} with h=1e-5 (default "
                   f"h): an exact tie, a near-tie closer than h, a near-tie farther than "
                   f"h; tuple indices {', '.join(map(str, tuples))}",
                   "row_max", x_rows, tuples),
        _kink_case(f"row-max winner, the same x, flat indices "
                   f"{', '.join(map(str, flat))}", "row_max", x_rows, flat),
        _kink_case(f"max winner int(argmax(z)) of a vector, {vec_text} with h=1e-5 "
                   f"(default h), flat indices 0, 1, 2, 3", "vector_max", vec, [0, 1, 2, 3]),
        _kink_case(f"ReLU winner, x = h * {fmt_values(relu_2d_h)} for h=1e-3, tuple indices "
                   f"(0, 0) to (1, 2)", "relu", relu_2d_h * h4,
                   [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)], h=h4),
        _kink_case(f"ReLU winner, integer x = {fmt_values(relu_int)}, default h=1e-5, flat "
                   f"index 0 to 5 in turn", "relu", relu_int, list(range(6))),
        _kink_case(f"row-max winner, integer x = {fmt_values(int_rows)} (an exact tie in one "
                   f"row), default h=1e-5, tuple indices (0, 0) to (1, 2)", "row_max",
                   int_rows, int_queries),
    ]


def _kink(step: float = 1.0, order: str = "C", one_sided: bool = False,
          float_copy: bool = True, fixed_h: float | None = None) -> Callable:
    """kink_crossed with the step scaled, the flat index read in ``order``,
    x - h replaced by x itself, copies that keep x's dtype
    (``float_copy=False``) or one step whatever h is passed (``fixed_h``)."""
    def kink_crossed(winner, x, index, *, h=1e-5):
        h = h if fixed_h is None else fixed_h
        lo = np.array(x, dtype=np.float64) if float_copy else np.array(x)
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
    Mistake("kink_integer_copy", "the copies keep the integer dtype of an integer x, "
            "so x[i] - h and x[i] + h are cut to whole numbers: copy with "
            "np.array(x, dtype=np.float64)", _kink(float_copy=False)),
    Mistake("kink_h_ignored", "the step h passed in is ignored: the two points are "
            "x - h e_i and x + h e_i for the h of the call, 1e-5 only by default",
            _kink(fixed_h=1e-5)),
]

# ---------------------------------------------------------------- the table

GRADED: dict[str, Graded] = {
    "numerical_gradient": Graded(
        name="numerical_gradient", reference=ref.numerical_gradient,
        names=("numerical_gradient",), cases=_gradient_cases,
        mistakes=tuple(NUMERICAL_GRADIENT_MISTAKES)),
    "relative_error": Graded(
        name="relative_error", reference=ref.relative_error,
        names=("relative_error",), cases=_error_cases,
        mistakes=tuple(RELATIVE_ERROR_MISTAKES)),
    "kink_crossed": Graded(
        name="kink_crossed", reference=ref.kink_crossed,
        names=("kink_crossed",), cases=_kink_cases,
        mistakes=tuple(KINK_CROSSED_MISTAKES)),
}
