"""Checks and known mistakes for the gates, activations and losses of chapter 2.

A gate is graded as the student's own pair ``(forward, backward)`` through
the call ``gates.gate`` (autograder.driver.calls.gates): the forward runs
on copies of the case's inputs, then the backward with the case's upstream
gradient and the cache the student's forward returned, so any cache
format is fine. The two losses are single functions returning
``(loss, dscores)``, through ``gates.loss``.

Every case's structure is fixed and its numbers are drawn from the grading
run's seed (one generator per case, ``default_rng([seed, case])``), on
decimal grids so that the label states the inputs exactly. The structure
shows every convention and every promise of the text: exact ties for the
max gate and exact zeros for PReLU (integer-valued data, with a few placed
by construction), hinge terms exactly at their kink (placed too), the
margin given by name and left at its default, slopes a > 1 and a < 0, a
per-feature slope on a 3-D x, non-square shapes (a transposed axis changes
the shape or the values), inputs or scores around +-1000 (rows far below
the batch's largest score, and a correct class far below its row's
maximum), where a formula that exponentiates without care overflows or
underflows, float32 activations (which stay float32) and integer score
arrays (whose loss and gradient are float64). Upstream gradients are never
0 or all ones, so a forgotten ``dout`` shows.

Beyond the values, every case fails on any numpy floating-point warning
(the text: a test cell that prints one scores 0), and the cases of each
part's FIRST test cell fail when the student's functions changed an array
passed to them (the text: inputs are left unchanged). Each test cell
grades one thing, so a mistake costs the points of the cells that grade
what it gets wrong and no others: see the Tests(..., cases=...) of
autograder.assignments.gates.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from autograder.driver.calls.gates import CHANGED, DTYPES, WARNED, WARNINGS_TEXT
from autograder.judge.core import Case, Graded, Mistake, Outputs
from autograder.judge.feedback import CheckFailure, fmt_shape, fmt_values
from solutions import gates as ref


def _rng(seed: int, n: int) -> np.random.Generator:
    """The generator of case ``n`` of a grading run."""
    return np.random.default_rng([seed, n])


def _ints(rng, low: int, high: int, shape: tuple) -> np.ndarray:
    """Integer-valued floats in [low, high]: ties and kinks are then exact."""
    return rng.integers(low, high + 1, size=shape).astype(np.float64)


def _tenths(rng, low: int, high: int, shape: tuple) -> np.ndarray:
    """Multiples of 0.1 from low/10 to high/10."""
    return rng.integers(low, high + 1, size=shape) / 10


def _around_1000(rng, shape: tuple) -> np.ndarray:
    """Integer-valued floats from 500 to 1000 in size, of either sign."""
    return rng.choice([-1.0, 1.0], size=shape) * _ints(rng, 500, 1000, shape)


def _dout(rng, shape: tuple, dtype=np.float64) -> np.ndarray:
    """An upstream gradient with no entry 0 or 1: +-0.1 to +-2.0 by tenths,
    never 1.0, so that a forgotten factor dout always shows."""
    size = int(np.prod(shape))
    magnitude = rng.choice([k for k in range(1, 21) if k != 10], size=size) / 10
    sign = rng.choice([-1.0, 1.0], size=size)
    return (sign * magnitude).reshape(shape).astype(dtype)


def _places(rng, shape: tuple, k: int) -> tuple[np.ndarray, ...]:
    """``k`` distinct entries of an array of ``shape``, as an index."""
    flat = rng.choice(int(np.prod(shape)), size=k, replace=False)
    return np.unravel_index(flat, shape)


# What a case reports beyond its values (see autograder.driver.calls.gates).
_REPORTS = (WARNED, WARNINGS_TEXT, CHANGED, DTYPES)

IN_PLACE = ("an in-place operation on an argument (x[...] = ..., +=, *=, out=...) "
            "or a name bound to the argument itself (dx = dout) instead of a new "
            "array (dout.copy(), np.where(...)); in a network the caller uses the "
            "same arrays again")
UPCAST = ("a float64 step on the way: np.asarray(x, dtype=float), x.astype(float), "
          "np.zeros(x.shape) or np.empty(x.shape) (float64 by default) or a "
          "np.float64 constant; work on x itself, or use np.zeros_like(x)")


def _prepare(label: str, part: str, *, unchanged: bool, keep: str | None,
             results: tuple[str, ...]) -> Callable[[Outputs], Outputs]:
    """The judge's rules for one case, before its values are compared: no
    floating-point warning; with ``unchanged``, no argument changed in
    place; with ``keep``, every result of that dtype. Returns the results
    alone."""
    def prepare(out: Outputs) -> Outputs:
        if out.get(WARNED):
            raise CheckFailure(
                f"numpy warned while your {part} ran ({out.get(WARNINGS_TEXT)}) "
                f"({label}): a test cell that prints a warning scores 0")
        if unchanged and out.get(CHANGED):
            raise CheckFailure(
                f"your {out[CHANGED]} in place ({label}): leave the arrays passed "
                f"to your functions as they were and return new arrays",
                diagnosis=IN_PLACE)
        if keep:
            for name in results:
                value = out.get(name)
                if isinstance(value, np.ndarray) and value.dtype.kind == "f" \
                        and value.dtype != np.dtype(keep):
                    raise CheckFailure(
                        f"your {name} is {value.dtype}, but the inputs are {keep} "
                        f"({label}): {keep} inputs give {keep} results",
                        diagnosis=UPCAST)
        return {k: v for k, v in out.items() if k not in _REPORTS}
    return prepare


def _case(label: str, call: str, part: str, args: dict, results: tuple[str, ...], *,
          tol: str = "formula", unchanged: bool = False, keep: str | None = None,
          dtypes: bool = False) -> Case:
    """A watched case. What a diagnosis compares besides the values: which
    arguments changed where the case grades that (``unchanged``), the
    dtypes where the part grades them (``dtypes``)."""
    measured = (WARNINGS_TEXT,) + (() if unchanged else (CHANGED,)) \
        + (() if dtypes else (DTYPES,))
    return Case(label=label, call=call, args={**args, "watch": True}, tol=tol,
                prepare=_prepare(label, part, unchanged=unchanged, keep=keep,
                                 results=results),
                measured=measured)


_GRADS = {"max": ("dx", "dy"), "sigmoid": ("dx",), "prelu": ("dx", "da")}


def _gate_case(label: str, gate: str, dout: np.ndarray, *, tol: str = "formula",
               unchanged: bool = False, keep: str | None = None, **inputs) -> Case:
    """A case for a pair ``(<gate>_forward, <gate>_backward)``."""
    return _case(label, "gates.gate", gate, {"gate": gate, "dout": dout, **inputs},
                 ("out",) + _GRADS[gate], tol=tol, unchanged=unchanged, keep=keep,
                 dtypes=gate == "sigmoid")


def _loss_case(label: str, loss: str, *, unchanged: bool = False, **inputs) -> Case:
    """A case for a loss returning (loss, dscores); an option left out of
    ``inputs`` is left at the function's default."""
    return _case(label, "gates.loss", loss, {"loss": loss, **inputs}, ("loss", "dscores"),
                 unchanged=unchanged)


# ================================================================ max gate

def _max_cases(seed: int) -> list[Case]:
    # integer values in [-2, 2] with at least three ties placed
    rng = _rng(seed, 0)
    x1, y1 = _ints(rng, -2, 2, (3, 4)), _ints(rng, -2, 2, (3, 4))
    tie = _places(rng, x1.shape, 3)
    y1[tie] = x1[tie]
    d1 = _dout(rng, x1.shape)
    # tenths, y never equal to x
    rng = _rng(seed, 1)
    kx = rng.integers(-30, 31, size=(4, 3))
    ky = kx + rng.choice([k for k in range(-20, 21) if k != 0], size=kx.shape)
    x2, y2, d2 = kx / 10, ky / 10, _dout(rng, kx.shape)
    # around +-1000: y equal to x at three entries and 1 away elsewhere
    rng = _rng(seed, 2)
    x3 = _around_1000(rng, (3, 2))
    offset = np.array([[0.0, 1.0], [-1.0, 0.0], [0.0, 1.0]])
    y3, d3 = x3 + offset, _dout(rng, x3.shape)

    def ties(x, y):
        return int((x == y).sum())
    return [
        _gate_case(f"x = {fmt_values(x1)}, y = {fmt_values(y1)} (integer values, ties x == y "
                   f"at {ties(x1, y1)} entries), dout = {fmt_values(d1)}",
                   "max", d1, x=x1, y=y1),
        _gate_case(f"x = {fmt_values(x2)}, y = {fmt_values(y2)} (no ties), dout = {fmt_values(d2)}",
                   "max", d2, unchanged=True, x=x2, y=y2),
        _gate_case(f"x = {fmt_values(x3)} (around +-1000), y = x + {fmt_values(offset)} "
                   f"(equal to x at {ties(x3, y3)} entries and 1 away elsewhere), "
                   f"dout = {fmt_values(d3)}", "max", d3, x=x3, y=y3),
    ]


def _max_pair(route: Callable) -> tuple[Callable, Callable]:
    """A max gate with a right forward and ``route(x, y, dout) -> (dx, dy)``."""
    def forward(x, y):
        return np.where(x >= y, x, y), (x, y)

    def backward(dout, cache):
        return route(*cache, dout)
    return forward, backward


def _max_forward_into_x(x, y):
    """The maximum written into x: right values, the caller's x overwritten."""
    lost = y > x
    x[lost] = y[lost]
    return x, ~lost


def _max_backward_into_dout(dout, x_won):
    """dx made by zeroing dout where x lost: the caller's dout overwritten."""
    dy = np.where(x_won, 0.0, dout)
    dout[~x_won] = 0.0
    return dout, dy


def _max_mask_forward(x, y):
    x_won = x >= y
    return np.where(x_won, x, y), x_won


def _max_mask_backward(dout, x_won):
    return np.where(x_won, dout, 0.0), np.where(x_won, 0.0, dout)


MAX_MISTAKES = [
    Mistake("max_tie_split", "on a tie x == y the gradient is split half and "
            "half (torch.maximum's rule); this course gives all of it to x, "
            "the first argument",
            _max_pair(lambda x, y, d: (d * ((x > y) + 0.5 * (x == y)),
                                       d * ((x < y) + 0.5 * (x == y))))),
    Mistake("max_tie_to_y", "on a tie x == y the gradient goes to y; the "
            "rule is that x, the first argument, wins a tie",
            _max_pair(lambda x, y, d: (d * (x > y), d * (x <= y)))),
    Mistake("max_tie_to_both", "on a tie x == y both inputs get the whole "
            "gradient, so dx + dy is 2 * dout there; only x should get it",
            _max_pair(lambda x, y, d: (d * (x >= y), d * (y >= x)))),
    Mistake("max_routes_to_smaller", "the gradient goes to the smaller input; "
            "the max gate routes it to the larger one (the winner)",
            _max_pair(lambda x, y, d: (d * (x < y), d * (x >= y)))),
    Mistake("max_no_dout", "the gradients are the 0/1 masks of the winner, "
            "not multiplied by the upstream gradient dout",
            _max_pair(lambda x, y, d: ((x >= y) * 1.0, (x < y) * 1.0))),
    Mistake("max_distributes", "both inputs get dout unchanged, as in the add "
            "gate; the max gate routes it to the winner and 0 to the other",
            _max_pair(lambda x, y, d: (d.copy(), d.copy()))),
    Mistake("max_forward_overwrites_x", "max_forward writes the maximum into its "
            "input x (x[y > x] = y[y > x]) and returns it, so the caller's x is "
            "changed; build the output as a new array, np.where(x >= y, x, y)",
            (_max_forward_into_x, _max_mask_backward)),
    Mistake("max_backward_overwrites_dout", "max_backward zeroes dout where x "
            "lost and returns it as dx, which changes the caller's dout (the "
            "same array may reach other gates); make dx a new array, "
            "np.where(x_won, dout, 0)",
            (_max_mask_forward, _max_backward_into_dout)),
]


# ================================================================= sigmoid

def _sigmoid_cases(seed: int) -> list[Case]:
    # a 3-D x (the sigmoid takes any shape)
    rng = _rng(seed, 0)
    x1 = _tenths(rng, -60, 60, (2, 2, 3))
    d1 = _dout(rng, x1.shape)
    # -1000, 0 and 1000 always, large and small entries of both signs. No
    # |x| in (16, 38): there the reference's 1 - s keeps only a few digits
    # of a derivative below 1e-7, so a more accurate answer would differ by
    # more than the tolerance. Elsewhere both are exact to rounding.
    rng = _rng(seed, 1)
    big = rng.integers(40, 701, size=4).astype(np.float64)
    small = rng.integers(1, 33, size=5) / 4
    x2 = np.concatenate([[-1000.0, 1000.0, 0.0], -big[:2], big[2:], -small[:2],
                         small[2:]])
    x2 = rng.permutation(x2).reshape(2, 6)
    d2 = _dout(rng, x2.shape)
    # float32 x and dout: s and dx stay float32
    rng = _rng(seed, 2)
    x3 = (rng.integers(-32, 33, size=(3, 4)) / 4).astype(np.float32)
    d3 = _dout(rng, x3.shape, np.float32)
    return [
        _gate_case(f"x of shape (2, 2, 3) = {fmt_values(x1)}, dout = {fmt_values(d1)}", "sigmoid",
                   d1, unchanged=True, x=x1),
        _gate_case(f"x of shape (2, 6) with entries from -1000 to 1000 and 0: "
                   f"x = {fmt_values(x2)}, dout = {fmt_values(d2)}", "sigmoid", d2, x=x2),
        _gate_case(f"float32 x = {fmt_values(x3)}, float32 dout = {fmt_values(d3)}", "sigmoid",
                   d3, x=x3, tol="float32", keep="float32"),
    ]


def _stable_sigmoid(x):
    return ref.sigmoid_forward(x)[0]


def _naive_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _sigmoid_into_dout(s, x, dout):
    dout *= s * (1 - s)
    return dout


def _sigmoid_pair(local: Callable, forward: Callable = _stable_sigmoid):
    """A sigmoid computed by ``forward`` with ``dx = local(s, x, dout)``."""
    def fwd(x):
        s = forward(x)
        return s, (s, x)

    def bwd(dout, cache):
        return local(*cache, dout)
    return fwd, bwd


SIGMOID_MISTAKES = [
    Mistake("sigmoid_naive_overflow", "exp overflows at x ~ +-1000 and numpy "
            "warns (a warning in a test cell costs its points) even when the "
            "value comes out right, as with 1/(1 + exp(-x)) at x = -1000 or an "
            "np.where that evaluates both branches; build s from exp(-|x|), "
            "whose exponent is never positive",
            _sigmoid_pair(lambda s, x, d: d * s * (1 - s), _naive_sigmoid)),
    Mistake("sigmoid_derivative_s", "the local derivative is s; the "
            "derivative of the sigmoid is s * (1 - s)",
            _sigmoid_pair(lambda s, x, d: d * s)),
    Mistake("sigmoid_derivative_one_minus_s_squared", "the local derivative "
            "is (1 - s)**2; the derivative of the sigmoid is s * (1 - s)",
            _sigmoid_pair(lambda s, x, d: d * (1 - s) ** 2)),
    Mistake("sigmoid_derivative_of_tanh", "the local derivative is 1 - s**2, "
            "the rule of tanh; the sigmoid's is s * (1 - s)",
            _sigmoid_pair(lambda s, x, d: d * (1 - s * s))),
    Mistake("sigmoid_derivative_of_x", "the local derivative uses the input x "
            "in place of the output s: it is s * (1 - s) with s = sigmoid(x)",
            _sigmoid_pair(lambda s, x, d: d * x * (1 - x))),
    Mistake("sigmoid_no_dout", "dx is the local derivative s * (1 - s) alone, "
            "not multiplied by the upstream gradient dout",
            _sigmoid_pair(lambda s, x, d: s * (1 - s))),
    Mistake("sigmoid_sign_flipped", "the forward computes 1/(1 + exp(x)), "
            "the sigmoid of -x; the exponent is -x",
            _sigmoid_pair(lambda s, x, d: d * s * (1 - s),
                          lambda x: _stable_sigmoid(-x))),
    Mistake("sigmoid_backward_overwrites_dout", "sigmoid_backward multiplies "
            "dout in place (dout *= s * (1 - s)) and returns it, which changes "
            "the caller's dout; return a new array, dout * s * (1 - s)",
            _sigmoid_pair(_sigmoid_into_dout)),
    Mistake("sigmoid_float32_upcast", "a float32 x comes back float64: the "
            "input is converted with np.asarray(x, dtype=float) (or astype(float)) "
            "first, where float32 inputs should give float32 s and dx",
            _sigmoid_pair(lambda s, x, d: d * s * (1 - s),
                          lambda x: _stable_sigmoid(np.asarray(x, dtype=np.float64)))),
    Mistake("sigmoid_computes_in_float32", "the forward converts x to float32 "
            "(x.astype(np.float32)), so a float64 x loses precision; keep the "
            "dtype of the input: float64 stays float64 and float32 stays float32",
            _sigmoid_pair(lambda s, x, d: d * s * (1 - s),
                          lambda x: _stable_sigmoid(x.astype(np.float32)))),
]


# =================================================================== PReLU

def _prelu_cases(seed: int) -> list[Case]:
    # integer values in [-2, 2] with at least two zeros placed; one slope
    rng = _rng(seed, 0)
    x1 = _ints(rng, -2, 2, (3, 4))
    x1[_places(rng, x1.shape, 2)] = 0.0
    a1 = np.array(rng.integers(1, 11) / 20)
    d1 = _dout(rng, x1.shape)
    # around +-1000, a slope per feature in [0.05, 0.5]
    rng = _rng(seed, 1)
    x2 = _around_1000(rng, (4, 3))
    a2 = rng.integers(1, 11, size=3) / 20
    d2 = _dout(rng, x2.shape)
    # integer values with zeros; per-feature slopes, one above 1, one below 0
    rng = _rng(seed, 2)
    x3 = _ints(rng, -2, 2, (3, 4))
    x3[_places(rng, x3.shape, 2)] = 0.0
    a3 = rng.permutation(np.concatenate([rng.integers(1, 10, size=2),
                                         rng.integers(11, 21, size=1),
                                         -rng.integers(1, 10, size=1)]) / 10)
    d3 = _dout(rng, x3.shape)
    # 3-D x (2, 3, 3) and (3, 2, 2), integer values with zeros, different
    # slopes in (0, 1), one per entry of the last axis: the middle axis has
    # the same length, so a slope put on axis 1 (torch's rule) gives other
    # values rather than an error
    rng = _rng(seed, 3)
    x4, a4 = _three_d(rng, (2, 3, 3), 3)
    d4 = _dout(rng, x4.shape)
    rng = _rng(seed, 4)
    x5, a5 = _three_d(rng, (3, 2, 2), 2)
    d5 = _dout(rng, x5.shape)

    def zeros(x):
        return int((x == 0).sum())

    def three_d(x, a, d):
        return _gate_case(f"x of shape {fmt_shape(x.shape)} = {fmt_values(x)} (integer values, "
                          f"{zeros(x)} zeros), a = {fmt_values(a)} of shape {fmt_shape(a.shape)} "
                          f"(one slope per entry of the last axis), dout = {fmt_values(d)}",
                          "prelu", d, x=x, a=a)
    return [
        _gate_case(f"x = {fmt_values(x1)} (integer values, {zeros(x1)} zeros), a = "
                   f"{fmt_values(a1)} of shape (), dout = {fmt_values(d1)}", "prelu", d1,
                   unchanged=True, x=x1, a=a1),
        _gate_case(f"x = {fmt_values(x2)} (around +-1000), a = {fmt_values(a2)} of shape (3,), "
                   f"dout = {fmt_values(d2)}", "prelu", d2, x=x2, a=a2),
        _gate_case(f"x = {fmt_values(x3)} (integer values, {zeros(x3)} zeros), a = "
                   f"{fmt_values(a3)} of shape (4,) (a slope above 1 and one below 0), "
                   f"dout = {fmt_values(d3)}", "prelu", d3, x=x3, a=a3),
        three_d(x4, a4, d4),
        three_d(x5, a5, d5),
    ]


def _three_d(rng, shape: tuple, zeros: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer values in [-2, 2] with ``zeros`` zeros placed and a negative
    entry under every slope, and different slopes in (0, 1)."""
    x = _ints(rng, -2, 2, shape)
    x[_places(rng, shape, zeros)] = 0.0
    for j in range(shape[-1]):
        column = x[..., j]  # a view: every entry that shares slope j
        if not (column < 0).any():
            column[np.unravel_index(rng.choice(column.size), column.shape)] = -1.0
    return x, rng.choice(np.arange(1, 10), size=shape[-1], replace=False) / 10


def _shared(g: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Sum g over the positions that share each slope: da has a's shape
    (every axis but the last for a per-feature slope)."""
    return np.asarray(g.sum() if a.ndim == 0 else g.sum(axis=tuple(range(g.ndim - 1))))


def _on_axis_1(a: np.ndarray, ndim: int) -> np.ndarray:
    """A per-feature slope placed on axis 1, as torch.nn.functional.prelu does."""
    return a if a.ndim == 0 else a.reshape((1, -1) + (1,) * (ndim - 2))


def _prelu_into_dout(dout, cache):
    """dx made by scaling dout in place where x <= 0."""
    x, a = cache
    neg = x <= 0
    da = _shared(np.where(neg, dout * x, 0.0), a)
    dout[neg] *= np.broadcast_to(a, x.shape)[neg]
    return dout, da


def _dx(x, a, d):
    return np.where(x > 0, d, a * d)


def _da(x, a, d):
    return _shared(np.where(x > 0, 0.0, d * x), a)


def _prelu_pair(dx: Callable = _dx, da: Callable = _da,
                forward: Callable = lambda x, a: np.where(x > 0, x, a * x)):
    """A PReLU with one of ``forward``, ``dx`` or ``da`` changed."""
    def fwd(x, a):
        return forward(x, a), (x, a)

    def bwd(dout, cache):
        return dx(*cache, dout), da(*cache, dout)
    return fwd, bwd


PRELU_MISTAKES = [
    Mistake("prelu_da_not_summed", "da is kept per position (the shape of x); "
            "every position that shares a slope adds its contribution, so da "
            "has the shape of a",
            _prelu_pair(da=lambda x, a, d: np.where(x > 0, 0.0, d * x))),
    Mistake("prelu_da_uses_positive_x", "da also collects dout * x where x > "
            "0; there the output is x itself and does not depend on a",
            _prelu_pair(da=lambda x, a, d: _shared(d * x, a))),
    Mistake("prelu_dx_slope_one", "dx is dout everywhere; where x <= 0 the "
            "output is a * x, so the slope there is a",
            _prelu_pair(dx=lambda x, a, d: d.copy())),
    Mistake("prelu_da_wrong_axis", "for a per-feature slope a of shape (D,), "
            "da is summed over the features (axis 1) instead of over the "
            "examples (axis 0)",
            _prelu_pair(da=lambda x, a, d: np.asarray(
                np.where(x > 0, 0.0, d * x).sum(axis=None if a.ndim == 0 else 1)))),
    Mistake("prelu_da_sums_axis_0_only", "for a per-feature slope da is summed "
            "over axis 0 only, which is right for a 2-D x alone; for x of any "
            "shape sum over every axis but the last (g.reshape(-1, D).sum(axis=0))",
            _prelu_pair(da=lambda x, a, d: np.asarray(
                np.where(x > 0, 0.0, d * x).sum(axis=None if a.ndim == 0 else 0)))),
    Mistake("prelu_scalar_a_per_feature", "for a single slope a of shape (), "
            "da is summed over the examples only; every entry of x shares "
            "that slope, so sum over all of them",
            _prelu_pair(da=lambda x, a, d: np.where(x > 0, 0.0, d * x).sum(axis=0))),
    Mistake("prelu_zero_uses_positive_branch", "at x == 0 dx uses slope 1; "
            "the convention here (as in PyTorch) is the negative branch, "
            "slope a",
            _prelu_pair(dx=lambda x, a, d: np.where(x >= 0, d, a * d))),
    Mistake("prelu_dx_no_dout", "dx is the local slope (1 or a) alone, not "
            "multiplied by the upstream gradient dout",
            _prelu_pair(dx=lambda x, a, d: np.where(x > 0, 1.0, a * np.ones_like(x)))),
    Mistake("prelu_da_no_dout", "da sums x over the non-positive entries "
            "without multiplying by the upstream gradient dout",
            _prelu_pair(da=lambda x, a, d: _shared(np.where(x > 0, 0.0, x), a))),
    Mistake("prelu_forward_as_max", "the forward is max(x, a * x), which is "
            "PReLU only while 0 <= a <= 1; pick the branch by the sign of x",
            _prelu_pair(forward=lambda x, a: np.maximum(x, a * x))),
    Mistake("prelu_slope_on_axis_1", "the per-feature slope is put on axis 1 "
            "(torch.nn.functional.prelu's rule), which is the last axis only for "
            "a 2-D x; here a broadcasts along the LAST axis, a * x as it is",
            _prelu_pair(
                forward=lambda x, a: np.where(x > 0, x, _on_axis_1(a, x.ndim) * x),
                dx=lambda x, a, d: np.where(x > 0, d, _on_axis_1(a, x.ndim) * d),
                da=lambda x, a, d: np.asarray(np.where(x > 0, 0.0, d * x).sum(
                    axis=None if a.ndim == 0 else
                    tuple(i for i in range(x.ndim) if i != 1))))),
    Mistake("prelu_backward_overwrites_dout", "prelu_backward scales dout in "
            "place where x <= 0 (dout[x <= 0] *= a) and returns it as dx, which "
            "changes the caller's dout; make dx a new array, "
            "np.where(x > 0, dout, a * dout)",
            (lambda x, a: (np.where(x > 0, x, a * x), (x, a)), _prelu_into_dout)),
]


# =================================================== softmax cross-entropy

def _huge_scores(rng, n: int, c: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Scores around +1000 and -1000, spread by halves: at least one row of
    each sign (a row around -1000 is far below the batch's largest score,
    whose exp underflows), and one row around +1000 whose correct class is
    around -1000, far below its row's maximum (where the softmax is 0).
    Returns the scores, the labels and that row's index."""
    signs = np.concatenate([[1.0, -1.0, 1.0], rng.choice([-1.0, 1.0], size=n - 3)])
    centre = signs * rng.integers(700, 1001, size=n)
    s = centre[:, None] + rng.integers(-4, 5, size=(n, c)) / 2
    y = rng.integers(0, c, size=n)
    s[2, y[2]] = -rng.integers(700, 1001) + rng.integers(-4, 5) / 2
    order = rng.permutation(n)
    return s[order], y[order], int(np.flatnonzero(order == 2)[0])


def _ce_cases(seed: int) -> list[Case]:
    rng = _rng(seed, 0)
    s1, y1 = _tenths(rng, -30, 30, (4, 5)), rng.integers(0, 5, size=4)
    rng = _rng(seed, 1)
    s2, y2, far2 = _huge_scores(rng, 4, 4)
    # integer values in [-1, 1] (as floats); at least two rows whose maximum is tied
    rng = _rng(seed, 2)
    s3, y3 = _ints(rng, -1, 1, (6, 3)), rng.integers(0, 3, size=6)
    for n in rng.choice(6, size=2, replace=False):
        j, k = rng.choice(3, size=2, replace=False)
        s3[n, k] = s3[n, j] = s3[n].max()
    tied = int(sum((row == row.max()).sum() > 1 for row in s3))
    # integer arrays, as typed by hand
    rng = _rng(seed, 3)
    s4, y4 = rng.integers(-3, 4, size=(3, 4)), rng.integers(0, 4, size=3)
    rng = _rng(seed, 4)
    s5, y5, far5 = _huge_scores(rng, 3, 5)
    rng = _rng(seed, 5)
    s6, y6 = rng.integers(-5, 6, size=(2, 5)), rng.integers(0, 5, size=2)
    loss = "softmax_cross_entropy"

    def huge(s, y, far):
        return _loss_case(f"scores around +-1000 of shape {fmt_shape(s.shape)} = "
                          f"{fmt_values(s)} (rows far below the largest score of the batch, "
                          f"and in row {far} the correct class far below the row's "
                          f"maximum), y = {fmt_values(y)}", loss, scores=s, y=y)

    def integers(s, y):
        return _loss_case(f"scores = np.array({fmt_values(s)}) (an integer array), y = "
                          f"{fmt_values(y)}", loss, scores=s, y=y)
    return [
        _loss_case(f"scores = {fmt_values(s1)}, y = {fmt_values(y1)}", loss, unchanged=True,
                   scores=s1, y=y1),
        huge(s2, y2, far2),
        _loss_case(f"scores = {fmt_values(s3)} (integer values, {tied} rows whose maximum "
                   f"is tied), y = {fmt_values(y3)}", loss, unchanged=True, scores=s3, y=y3),
        integers(s4, y4),
        huge(s5, y5, far5),
        integers(s6, y6),
    ]


def _softmax_ce(*, axis: int = 1, shift: str = "row", reduce: str = "mean",
                target: str = "label", divide: bool = True, sign: float = -1.0,
                log: str = "lse", start: str = "softmax", in_place: bool = False):
    """Softmax cross-entropy with one convention turned away from the rule:
    ``shift`` "row", "batch" (the largest score of all) or "none"; ``log``
    "lse" ((s - max) - log sum exp), "of_p" (np.log of the softmax) or
    "eps" (np.log(p + 1e-12)); ``start`` "softmax" (dscores starts as a
    float copy) or "zeros_like" (written into np.zeros_like(scores));
    ``in_place`` subtracts the maximum from the caller's scores."""
    def loss_and_grad(scores, y):
        n = scores.shape[0]
        rows = np.arange(n)
        if shift == "none":
            z = scores
        elif shift == "batch":
            z = scores - scores.max()
        elif in_place:
            scores -= scores.max(axis=axis, keepdims=True)
            z = scores
        else:
            z = scores - scores.max(axis=axis, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=axis, keepdims=True)
        # Without the shift, write log p as naive code does, so its nan and
        # inf land where a student's would.
        if shift == "none" or log == "of_p":
            logp = np.log(p)
        elif log == "eps":
            logp = np.log(p + 1e-12)
        else:
            logp = z - np.log(e.sum(axis=axis, keepdims=True))
        picked = sign * logp[rows, y]
        loss = picked.sum() if reduce == "sum" else picked.mean()
        if start == "zeros_like":  # each entry written, and truncated for integers
            d = np.zeros_like(scores)
            d[...] = (p - np.eye(scores.shape[1])[y]) / n
            return float(loss), d
        d = p.copy()
        if target == "label":
            d[rows, y] -= 1
        elif target == "all":
            d -= 1
        return float(loss), d / n if divide else d
    return loss_and_grad


CE_MISTAKES = [
    Mistake("ce_sum_not_mean", "the loss and its gradient are summed over the "
            "N examples; the loss is their mean, so divide both by N",
            _softmax_ce(reduce="sum", divide=False)),
    Mistake("ce_no_max_shift", "exp of the raw scores overflows to inf for "
            "scores near 1000, which turns the softmax into nan and 0; "
            "subtract each row's maximum first, which leaves it unchanged",
            _softmax_ce(shift="none")),
    Mistake("ce_no_minus_one", "dscores is the softmax alone; 1 must be "
            "subtracted at each example's correct class",
            _softmax_ce(target="none")),
    Mistake("ce_minus_one_everywhere", "1 is subtracted from every class; "
            "only the correct class (the one-hot target) gets -1",
            _softmax_ce(target="all")),
    Mistake("ce_grad_not_divided", "the loss is the mean over N but dscores "
            "is not divided by N",
            _softmax_ce(divide=False)),
    Mistake("ce_softmax_wrong_axis", "the softmax normalizes over the "
            "examples (axis 0); each row's scores over its classes (the last "
            "axis) must sum to 1",
            _softmax_ce(axis=0)),
    Mistake("ce_missing_minus", "the loss is the mean log-probability of the "
            "correct class without the minus sign, so it is negative",
            _softmax_ce(sign=1.0)),
    Mistake("ce_shift_by_batch_max", "the scores are shifted by the largest "
            "score of the whole batch, so every exp of a row far below it "
            "underflows to 0 and its softmax is 0/0; subtract each row's own "
            "maximum (axis=1, keepdims=True)", _softmax_ce(shift="batch")),
    Mistake("ce_log_of_softmax", "log p is taken of the softmax itself, which "
            "underflows to 0 (and its log to -inf) for a class far below its "
            "row's maximum; form log p as (s - max s) - log(sum(exp(s - max s)))",
            _softmax_ce(log="of_p")),
    Mistake("ce_log_plus_epsilon", "log p is computed as log(p + eps), which "
            "caps the loss of a class whose probability is below eps (a correct "
            "class far below its row's maximum); with log p = (s - max s) - "
            "log(sum(exp(s - max s))) no eps is needed", _softmax_ce(log="eps")),
    Mistake("ce_zeros_like_integer_scores", "dscores is written into "
            "np.zeros_like(scores), an integer array when the scores are "
            "integers, so every probability is truncated to 0; start from a "
            "float array (np.zeros(scores.shape), or the softmax itself)",
            _softmax_ce(start="zeros_like")),
    Mistake("ce_overwrites_scores", "the row maximum is subtracted in place "
            "(scores -= scores.max(axis=1, keepdims=True)), which changes the "
            "caller's scores; write scores - scores.max(axis=1, keepdims=True)",
            _softmax_ce(in_place=True)),
]


# ============================================================== hinge loss

def _terms(s: np.ndarray, y: np.ndarray, margin: float) -> np.ndarray:
    """Every hinge term s[n, j] - s[n, y_n] + margin; nan where j == y_n."""
    rows = np.arange(len(y))
    m = s - s[rows, y][:, None] + margin
    m[rows, y] = np.nan
    return m


def _kinks(s, y, margin) -> int:
    return int((_terms(s, y, margin) == 0).sum())


def _with_kinks(rng, low: int, high: int, shape: tuple, margin: float, k: int):
    """Integer scores and labels with at least ``k`` terms exactly at the
    kink, placed in distinct rows: s[n, j] = s[n, y_n] - margin."""
    s, y = _ints(rng, low, high, shape), rng.integers(0, shape[1], size=shape[0])
    for n in rng.choice(shape[0], size=k, replace=False):
        j = rng.choice([c for c in range(shape[1]) if c != y[n]])
        s[n, j] = s[n, y[n]] - margin
    return s, y


def _away_from_kinks(draw: Callable[[], tuple], margin: float, gap: float):
    """Scores and labels from ``draw()`` whose terms are all at least
    ``gap`` from the kink (drawn again until they are): rounding then
    cannot decide which terms are active."""
    while True:
        s, y = draw()
        terms = _terms(s, y, margin)
        if np.nanmin(np.abs(terms)) >= gap:
            return s, y


def _svm_cases(seed: int) -> list[Case]:
    rng = _rng(seed, 0)
    s1, y1 = _with_kinks(rng, -2, 2, (4, 5), 1.0, 2)
    rng = _rng(seed, 1)
    s2, y2 = _with_kinks(rng, -3, 3, (6, 4), 2.0, 3)
    # and a term equal to 1, active with margin 2 and at the kink with 1
    n, j = next((n, j) for n, j in zip(*np.nonzero(_terms(s2, y2, 2.0) != 0))
                if not np.isnan(_terms(s2, y2, 2.0)[n, j]))
    s2[n, j] = s2[n, y2[n]] - 1.0
    rng = _rng(seed, 2)
    s3, y3 = _away_from_kinks(lambda: (rng.integers(-200, 201, size=(5, 3)) / 100,
                                       rng.integers(0, 3, size=5)), 0.5, 1e-3)
    rng = _rng(seed, 3)
    s4, y4 = _away_from_kinks(lambda: (_around_1000(rng, (3, 4)),
                                       rng.integers(0, 4, size=3)), 1.0, 0.5)
    # the margin left at its default (1), hundredths away from the kinks
    rng = _rng(seed, 4)
    s5, y5 = _away_from_kinks(lambda: (rng.integers(-200, 201, size=(4, 3)) / 100,
                                       rng.integers(0, 3, size=4)), 1.0, 1e-3)
    # integer arrays, as typed by hand, no term at the kink
    rng = _rng(seed, 5)
    s6, y6 = _away_from_kinks(lambda: (rng.integers(-3, 4, size=(5, 3)),
                                       rng.integers(0, 3, size=5)), 1.0, 1.0)
    rng = _rng(seed, 6)
    s7, y7 = _away_from_kinks(lambda: (rng.integers(-4, 5, size=(3, 4)),
                                       rng.integers(0, 4, size=3)), 1.0, 1.0)

    def case(s, y, margin, note, kinks=False, unchanged=False):
        at = f", {_kinks(s, y, margin)} terms exactly at the kink" if kinks else ""
        return _loss_case(f"scores = {fmt_values(s)}{note}, y = {fmt_values(y)}, margin={margin:g}"
                          f"{at}", "svm_loss", unchanged=unchanged, scores=s, y=y,
                          margin=margin)
    return [
        case(s1, y1, 1.0, " (integer values)", kinks=True, unchanged=True),
        case(s2, y2, 2.0, " (integer values)", kinks=True, unchanged=True),
        case(s3, y3, 0.5, ""),
        case(s4, y4, 1.0, " (around +-1000)"),
        _loss_case(f"scores = {fmt_values(s5)}, y = {fmt_values(y5)}, margin left at its "
                   f"default", "svm_loss", scores=s5, y=y5),
        case(s6, y6, 1.0, " (an integer array)"),
        case(s7, y7, 1.0, " (an integer array)"),
    ]


def _svm(*, count_self: bool = False, kink_active: bool = False,
         label: str = "count", use_margin: bool = True, reduce: str = "mean",
         divide: bool = True, grad_margin: bool = True, start: str = "float",
         in_place: bool = False):
    """Hinge loss with one convention turned away from the rule:
    ``grad_margin`` False finds the active terms with margin 1 whatever the
    margin; ``start`` "zeros_like" writes dscores into
    np.zeros_like(scores); ``in_place`` builds the margins in the caller's
    scores."""
    def loss_and_grad(scores, y, margin=1.0):
        margin = margin if use_margin else 1.0
        n, c = scores.shape
        rows = np.arange(n)
        correct = scores[rows, y][:, None]
        if in_place:
            m = scores
            m -= correct
            m += margin
        else:
            m = scores - correct + margin
        if not count_self:
            m[rows, y] = 0.0
        terms = m if grad_margin else m - margin + 1.0
        active = terms >= 0 if kink_active else terms > 0
        if not count_self:
            active[rows, y] = False
        loss = m[m > 0].sum() if not grad_margin else m[active].sum()
        g = active.astype(np.float64)
        if label == "count":
            g[rows, y] = -active.sum(axis=1)
        elif label == "minus_one":
            g[rows, y] = -1.0 * active.any(axis=1)
        scale = {"mean": n, "sum": 1, "classes": n * c}[reduce]
        g = g / scale if divide else g
        if start == "zeros_like":  # loops adding 1/N, each sum truncated for integers
            d = np.zeros_like(scores)
            for i, j in zip(*np.nonzero(active)):
                d[i, j] += 1 / scale
                d[i, y[i]] -= 1 / scale
            g = d
        return float(loss / scale), g
    return loss_and_grad


SVM_MISTAKES = [
    Mistake("svm_counts_correct_class", "the correct class is compared with "
            "itself, adding a term equal to the margin to each example's "
            "loss; skip j == y", _svm(count_self=True)),
    Mistake("svm_kink_counted_active", "a term exactly at the kink (margin "
            "term == 0) is counted as active in the gradient; the convention "
            "here (like ReLU's slope at 0) is inactive, so use a strict > 0",
            _svm(kink_active=True)),
    Mistake("svm_no_mean", "the loss and its gradient are summed over the N "
            "examples; the loss is their mean, so divide both by N",
            _svm(reduce="sum")),
    Mistake("svm_label_gradient_missing", "dscores at the correct class is "
            "0; it is minus the number of active terms in that row (each "
            "active term pushes the correct score up)", _svm(label="zero")),
    Mistake("svm_label_gradient_minus_one", "dscores at the correct class is "
            "-1 whenever some term is active; it is minus the NUMBER of "
            "active terms in that row", _svm(label="minus_one")),
    Mistake("svm_margin_ignored", "the margin passed in is ignored (1 is "
            "used); use the margin argument in every term",
            _svm(use_margin=False)),
    Mistake("svm_grad_not_divided", "the loss is the mean over N but dscores "
            "is not divided by N", _svm(divide=False)),
    Mistake("svm_mean_over_classes", "the loss and gradient are divided by "
            "N * C, as torch's multi_margin_loss does; the loss here is the "
            "mean over the N examples of each example's sum over classes",
            _svm(reduce="classes")),
    Mistake("svm_gradient_ignores_margin", "the loss uses the margin passed in, "
            "but the gradient finds the active terms with a margin of 1; a term "
            "is active when s[n, j] - s[n, y_n] + margin > 0, with the same "
            "margin", _svm(grad_margin=False)),
    Mistake("svm_zeros_like_integer_scores", "dscores is written into "
            "np.zeros_like(scores), an integer array when the scores are "
            "integers, so every 1/N is truncated to 0; start from a float array "
            "(np.zeros(scores.shape))", _svm(start="zeros_like")),
    Mistake("svm_overwrites_scores", "the margins are built in place in the "
            "scores array (m = scores; m -= ...), which changes the caller's "
            "scores; write m = scores - correct[:, None] + margin",
            _svm(in_place=True)),
]


GRADED: dict[str, Graded] = {
    "max_gate": Graded(
        "max_gate", (ref.max_forward, ref.max_backward), _max_cases,
        names=("max_forward", "max_backward"), mistakes=tuple(MAX_MISTAKES)),
    "sigmoid": Graded(
        "sigmoid", (ref.sigmoid_forward, ref.sigmoid_backward), _sigmoid_cases,
        names=("sigmoid_forward", "sigmoid_backward"), mistakes=tuple(SIGMOID_MISTAKES)),
    "prelu": Graded(
        "prelu", (ref.prelu_forward, ref.prelu_backward), _prelu_cases,
        names=("prelu_forward", "prelu_backward"), mistakes=tuple(PRELU_MISTAKES)),
    "softmax_cross_entropy": Graded(
        "softmax_cross_entropy", ref.softmax_cross_entropy, _ce_cases,
        names=("softmax_cross_entropy",), mistakes=tuple(CE_MISTAKES)),
    "svm_loss": Graded(
        "svm_loss", ref.svm_loss, _svm_cases, names=("svm_loss",),
        mistakes=tuple(SVM_MISTAKES)),
}
