"""Checks and known mistakes for the gates, activations and losses of chapter 2.

A gate is graded as the student's own pair ``(forward, backward)``: each
case calls the forward on copies of seeded inputs, then the backward with a
fixed upstream gradient and the cache the student's forward returned, so
any cache format is fine. The two losses are single functions returning
``(loss, dscores)``. The cases are chosen so every convention shows: exact
ties for the max gate (integer-valued data), exact zeros for PReLU, terms
exactly at the hinge's kink, a non-default margin, slopes a > 1, non-square
shapes (a transposed axis changes the shape or the values) and scores or
inputs around +-1000, where a formula that exponentiates without care
overflows. Upstream gradients are never all ones, so a forgotten ``dout``
shows.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Sequence

import numpy as np

from autograder.judge.core import Case, Graded, Mistake, Outputs
from autograder.judge.feedback import CheckFailure
from solutions import gates as ref

# Name of the output that is 1 if numpy raised a floating-point warning, else
# 0. The reference sigmoid promises none; a naive one overflows exp at
# x = -1000 and still returns the right value, so the warning is the only
# evidence.
WARNINGS = "floating-point warnings"


# ---- running a student's code: copies in, copies out, sentences on errors

def _fresh(value: Any) -> Any:
    """A copy of an array, so in-place code cannot change inputs or records."""
    return value.copy() if isinstance(value, np.ndarray) else value


def _call(fn: Callable, name: str, where: str, *args) -> Any:
    """``fn(*args)`` on copies; an exception becomes a sentence naming fn."""
    try:
        return fn(*(_fresh(a) for a in args))
    except CheckFailure:
        raise
    except Exception as err:  # the student's code may raise anything
        raise CheckFailure(f"your {name} raised {type(err).__name__}: {err} "
                           f"({where})") from None


def _unpack(result: Any, name: str, parts: Sequence[str], where: str) -> tuple:
    """``result`` as a tuple of ``len(parts)`` copies, or a sentence."""
    if isinstance(result, (tuple, list)) and len(result) == len(parts):
        return tuple(_fresh(r) for r in result)
    got = (f"{len(result)} values" if isinstance(result, (tuple, list))
           else type(result).__name__)
    raise CheckFailure(f"your {name} should return ({', '.join(parts)}), "
                       f"got {got} ({where})")


def _pair_case(graded: str, label: str, names: tuple[str, str],
               grads: Sequence[str], inputs: Sequence[np.ndarray],
               dout: np.ndarray, *, tol: str = "formula",
               watch: bool = False) -> Case:
    """A case for a gate graded as its pair ``(forward, backward)``.

    Outputs: ``out``, then each gradient by name; with ``watch``, also the
    count 1 if numpy raised any floating-point warning in the pair, else 0
    (1 whatever the kinds, so every overflowing form is diagnosed alike).
    """
    where = f"{graded}, {label}"
    fwd, bwd = names

    def run(impl) -> Outputs:
        forward, backward = impl
        kinds: list[str] = []
        fp = (np.errstate(over="call", divide="call", invalid="call",
                          call=lambda kind, flag: kinds.append(kind))
              if watch else contextlib.nullcontext())
        with fp:
            out, cache = _unpack(_call(forward, fwd, where, *inputs), fwd,
                                 ("out", "cache"), where)
            result = _call(backward, bwd, where, dout, cache)
        outputs: Outputs = {"out": out}
        if len(grads) == 1:
            outputs[grads[0]] = _fresh(result)
        else:
            outputs.update(zip(grads, _unpack(result, bwd, grads, where)))
        if watch:
            outputs[WARNINGS] = int(bool(kinds))
        return outputs
    return Case(label=label, run=run, tol=tol)


def _loss_case(graded: str, label: str, inputs: Sequence[Any]) -> Case:
    """A case for a loss graded as one function returning (loss, dscores)."""
    where = f"{graded}, {label}"

    def run(impl) -> Outputs:
        loss, dscores = _unpack(_call(impl, graded, where, *inputs), graded,
                                ("loss", "dscores"), where)
        return {"loss": loss, "dscores": dscores}
    return Case(label=label, run=run)


def _ints(rng, low: int, high: int, shape: tuple) -> np.ndarray:
    """Integer-valued floats in [low, high]: ties and kinks are then exact."""
    return rng.integers(low, high + 1, size=shape).astype(np.float64)


# ================================================================ max gate

def _max_cases() -> list[Case]:
    rng = np.random.default_rng(0)
    x1, y1 = _ints(rng, -2, 2, (4, 5)), _ints(rng, -2, 2, (4, 5))
    d1 = rng.normal(size=(4, 5))
    rng = np.random.default_rng(1)
    x2, y2, d2 = (rng.normal(size=(3, 4)) for _ in range(3))
    # Large values where y equals x at some entries and is 1 away elsewhere.
    rng = np.random.default_rng(2)
    x3 = np.round(rng.normal(size=(3, 2)) * 1000)
    y3 = x3 + np.array([[0, 1], [-1, 0], [0, 1]])
    d3 = rng.normal(size=(3, 2))

    def case(label, x, y, dout):
        return _pair_case("max_gate", label, ("max_forward", "max_backward"),
                          ("dx", "dy"), (x, y), dout)
    return [
        case(f"x, y of shape (4, 5) with integer values in [-2, 2], ties at "
             f"{int((x1 == y1).sum())} entries, seed 0", x1, y1, d1),
        case("x, y of shape (3, 4), no ties, seed 1", x2, y2, d2),
        case(f"x ~ +-1000 of shape (3, 2), y equal to x at "
             f"{int((x3 == y3).sum())} entries and 1 away elsewhere, seed 2",
             x3, y3, d3),
    ]


def _max_pair(route: Callable) -> tuple[Callable, Callable]:
    """A max gate with a right forward and ``route(x, y, dout) -> (dx, dy)``."""
    def forward(x, y):
        return np.where(x >= y, x, y), (x, y)

    def backward(dout, cache):
        return route(*cache, dout)
    return forward, backward


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
]


# ================================================================= sigmoid

def _sigmoid_cases() -> list[Case]:
    rng = np.random.default_rng(0)
    x1, d1 = rng.normal(size=(4, 5)) * 3, rng.normal(size=(4, 5))
    # No |x| in (20, 25): there the reference's 1 - s keeps only a few
    # digits of a derivative ~1e-10, so a more accurate answer would differ
    # by more than the tolerance. Elsewhere both are exact to rounding.
    x2 = np.array([[-1000.0, -500, -40, -5, -1, 0],
                   [1000, 500, 40, 5, 1, 0.5]])
    d2 = np.random.default_rng(1).normal(size=x2.shape)
    rng = np.random.default_rng(2)
    x3 = (rng.normal(size=(3, 4)) * 3).astype(np.float32)
    d3 = rng.normal(size=(3, 4)).astype(np.float32)

    def case(label, x, dout, tol="formula"):
        return _pair_case("sigmoid", label, ("sigmoid_forward", "sigmoid_backward"),
                          ("dx",), (x,), dout, tol=tol, watch=True)
    return [
        case("x of shape (4, 5), seed 0", x1, d1),
        case("x of shape (2, 6) with entries from -1000 to 1000 and 0", x2, d2),
        case("float32 x of shape (3, 4), seed 2", x3, d3, tol="float32"),
    ]


def _stable_sigmoid(x):
    return ref.sigmoid_forward(x)[0]


def _naive_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


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
]


# =================================================================== PReLU

def _prelu_cases() -> list[Case]:
    rng = np.random.default_rng(0)
    x1, d1 = _ints(rng, -2, 2, (4, 5)), rng.normal(size=(4, 5))
    rng = np.random.default_rng(1)
    x2, d2 = rng.normal(size=(4, 5)) * 1000, rng.normal(size=(4, 5))
    a2 = rng.uniform(0.05, 0.5, size=5)
    rng = np.random.default_rng(2)
    x3, d3 = _ints(rng, -2, 2, (3, 4)), rng.normal(size=(3, 4))
    a3 = np.array([0.1, 1.5, -0.5, 0.3])  # a slope may exceed 1 or be < 0

    def case(label, x, a, dout):
        return _pair_case("prelu", label, ("prelu_forward", "prelu_backward"),
                          ("dx", "da"), (x, a), dout)
    return [
        case(f"x of shape (4, 5) with integer values in [-2, 2] "
             f"({int((x1 == 0).sum())} zeros), a = 0.25 of shape (), seed 0",
             x1, np.array(0.25), d1),
        case("x ~ +-1000 of shape (4, 5), a of shape (5,) in [0.05, 0.5], "
             "seed 1", x2, a2, d2),
        case(f"x of shape (3, 4) with integer values in [-2, 2] "
             f"({int((x3 == 0).sum())} zeros), a = {a3.tolist()} of shape "
             f"(4,), seed 2", x3, a3, d3),
    ]


def _shared(g: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Sum g over the positions that share each slope: da has a's shape."""
    return np.asarray(g.sum() if a.ndim == 0 else g.sum(axis=0))


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
]


# =================================================== softmax cross-entropy

def _ce_cases() -> list[Case]:
    rng = np.random.default_rng(0)
    s1, y1 = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)
    rng = np.random.default_rng(1)
    s2, y2 = rng.normal(size=(3, 4)) * 1000, rng.integers(0, 4, size=3)
    rng = np.random.default_rng(2)
    s3, y3 = _ints(rng, -1, 1, (6, 3)), rng.integers(0, 3, size=6)

    def case(label, s, y):
        return _loss_case("softmax_cross_entropy", label, (s, y))
    return [
        case("scores of shape (4, 5), seed 0", s1, y1),
        case("scores ~ +-1000 of shape (3, 4), seed 1", s2, y2),
        case("scores of shape (6, 3) with integer values in [-1, 1] (ties "
             "within rows), seed 2", s3, y3),
    ]


def _softmax_ce(*, axis: int = 1, shift: bool = True, reduce: str = "mean",
                target: str = "label", divide: bool = True, sign: float = -1.0):
    """Softmax cross-entropy with one convention turned away from the rule."""
    def loss_and_grad(scores, y):
        n = scores.shape[0]
        rows = np.arange(n)
        z = scores - scores.max(axis=axis, keepdims=True) if shift else scores
        e = np.exp(z)
        p = e / e.sum(axis=axis, keepdims=True)
        # Without the shift, write log p as naive code does, so its nan and
        # inf land where a student's would.
        logp = np.log(p) if not shift else z - np.log(e.sum(axis=axis, keepdims=True))
        picked = sign * logp[rows, y]
        loss = picked.sum() if reduce == "sum" else picked.mean()
        d = p.copy()
        if target == "label":
            d[rows, y] -= 1.0
        elif target == "all":
            d -= 1.0
        return float(loss), d / n if divide else d
    return loss_and_grad


CE_MISTAKES = [
    Mistake("ce_sum_not_mean", "the loss and its gradient are summed over the "
            "N examples; the loss is their mean, so divide both by N",
            _softmax_ce(reduce="sum", divide=False)),
    Mistake("ce_no_max_shift", "exp of the raw scores overflows to inf for "
            "scores near 1000, which turns the softmax into nan and 0; "
            "subtract each row's maximum first, which leaves it unchanged",
            _softmax_ce(shift=False)),
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
]


# ============================================================== hinge loss

def _svm_cases() -> list[Case]:
    def kinks(s, y, margin):
        rows = np.arange(len(y))
        m = s - s[rows, y][:, None] + margin
        m[rows, y] = 1.0  # not a term of the loss
        return int((m == 0).sum())

    rng = np.random.default_rng(0)
    s1, y1 = _ints(rng, -2, 2, (4, 5)), rng.integers(0, 5, size=4)
    rng = np.random.default_rng(2)
    s2, y2 = _ints(rng, -3, 3, (6, 4)), rng.integers(0, 4, size=6)
    rng = np.random.default_rng(1)
    s3, y3 = rng.normal(size=(5, 3)), rng.integers(0, 3, size=5)
    rng = np.random.default_rng(3)
    s4, y4 = rng.normal(size=(3, 4)) * 1000, rng.integers(0, 4, size=3)

    def case(label, s, y, margin):
        return _loss_case("svm_loss", label, (s, y, margin))
    return [
        case(f"scores of shape (4, 5) with integer values in [-2, 2], margin "
             f"1, {kinks(s1, y1, 1.0)} terms exactly at the kink, seed 0",
             s1, y1, 1.0),
        case(f"scores of shape (6, 4) with integer values in [-3, 3], margin "
             f"2, {kinks(s2, y2, 2.0)} terms exactly at the kink, seed 2",
             s2, y2, 2.0),
        case("scores of shape (5, 3), margin 0.5, seed 1", s3, y3, 0.5),
        case("scores ~ +-1000 of shape (3, 4), margin 1, seed 3", s4, y4, 1.0),
    ]


def _svm(*, count_self: bool = False, kink_active: bool = False,
         label: str = "count", use_margin: bool = True, reduce: str = "mean",
         divide: bool = True):
    """Hinge loss with one convention turned away from the rule."""
    def loss_and_grad(scores, y, margin=1.0):
        margin = margin if use_margin else 1.0
        n, c = scores.shape
        rows = np.arange(n)
        m = scores - scores[rows, y][:, None] + margin
        if not count_self:
            m[rows, y] = 0.0
        active = m >= 0 if kink_active else m > 0
        if not count_self:
            active[rows, y] = False
        loss = m[active].sum()
        d = active.astype(np.float64)
        if label == "count":
            d[rows, y] = -active.sum(axis=1)
        elif label == "minus_one":
            d[rows, y] = -1.0 * active.any(axis=1)
        scale = {"mean": n, "sum": 1, "classes": n * c}[reduce]
        return float(loss / scale), d / scale if divide else d
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
]


GRADED: dict[str, Graded] = {
    "max_gate": Graded("max_gate", (ref.max_forward, ref.max_backward),
                       _max_cases, tuple(MAX_MISTAKES)),
    "sigmoid": Graded("sigmoid", (ref.sigmoid_forward, ref.sigmoid_backward),
                      _sigmoid_cases, tuple(SIGMOID_MISTAKES),
                      allow_float32=True),  # activations are often float32
    "prelu": Graded("prelu", (ref.prelu_forward, ref.prelu_backward),
                    _prelu_cases, tuple(PRELU_MISTAKES)),
    "softmax_cross_entropy": Graded("softmax_cross_entropy",
                                    ref.softmax_cross_entropy, _ce_cases,
                                    tuple(CE_MISTAKES)),
    "svm_loss": Graded("svm_loss", ref.svm_loss, _svm_cases, tuple(SVM_MISTAKES)),
}
