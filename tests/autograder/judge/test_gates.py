"""The chapter-2 checks (max gate, sigmoid, PReLU, softmax cross-entropy,
hinge loss): every catalogued mistake is caught and named, every correct
alternative passes, failures say where, and malformed answers get a
sentence."""
from __future__ import annotations

import linecache
import math
import re
import time

import numpy as np
import pytest

from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from autograder.judge.gates import GRADED
from solutions import gates as ref

SEEDS = (0, 1, 2)


@pytest.mark.parametrize("seed", SEEDS)
def test_cases_contain_the_ties_and_kinks_they_promise(seed):
    cases = [c for g in GRADED.values() for c in g.cases(seed)]
    labels = [c.label for c in cases]
    counts = [int(n) for label in labels
              for n in re.findall(r"(\d+) (?:entries|zeros|terms exactly|rows whose)", label)]
    assert len(counts) == 9 and min(counts) >= 2, labels
    assert sum("around +-1000" in label or "from -1000 to 1000" in label
               for label in labels) == 6, labels
    prelu = GRADED["prelu"].cases(seed)
    assert (prelu[2].args["a"] > 1).any() and (prelu[2].args["a"] < 0).any()
    ties = GRADED["max_gate"].cases(seed)
    assert (ties[0].args["x"] == ties[0].args["y"]).sum() >= 3
    assert not (ties[1].args["x"] == ties[1].args["y"]).any()
    for case in cases:  # a forgotten dout must show everywhere
        if "dout" in case.args:
            assert not np.isin(case.args["dout"], (0.0, 1.0)).any()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_label_states_the_inputs(seed):
    """A student can rebuild every case from its label alone."""
    for graded in GRADED.values():
        for case in graded.cases(seed):
            for key in ("x", "y", "a", "scores", "dout"):
                if key in case.args and not (key == "y" and graded.name == "max_gate"
                                             and "y = x +" in case.label):
                    values = np.asarray(case.args[key]).tolist()
                    assert _typed(values) in case.label, (graded.name, key, case.label)


def _typed(values) -> str:
    if isinstance(values, list):
        return "[" + ", ".join(_typed(v) for v in values) + "]"
    return f"{float(values):g}" if isinstance(values, float) else str(values)


# ---- correct alternatives: other code, same mathematics


def max_loops_forward(x, y):
    out, x_won = np.empty_like(x), np.zeros(x.shape, dtype=bool)
    for i in np.ndindex(x.shape):
        x_won[i] = x[i] >= y[i]
        out[i] = x[i] if x_won[i] else y[i]
    return out, x_won


def max_loops_backward(dout, x_won):
    dx, dy = np.zeros_like(dout), np.zeros_like(dout)
    for i in np.ndindex(dout.shape):
        if x_won[i]:
            dx[i] = dout[i]
        else:
            dy[i] = dout[i]
    return dx, dy


def max_out_cache_forward(x, y):
    out = np.maximum(x, y)
    return out, (x, out)


def max_out_cache_backward(dout, cache):
    x, out = cache  # x is the winner exactly where it equals the output
    return dout * (x == out), dout * (x != out)


def max_copy_forward(x, y):
    out = x.copy()  # written into, but a copy: the caller's x stays as it was
    lost = y > x
    out[lost] = y[lost]
    return out, ~lost


def max_copy_backward(dout, x_won):
    dx, dy = dout.copy(), dout.copy()
    dx[~x_won] = 0.0
    dy[x_won] = 0.0
    return dx, dy


def sigmoid_masks_forward(x):
    s, pos = np.empty_like(x), x >= 0
    s[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    s[~pos] = e / (1.0 + e)
    return s, s


def sigmoid_backward_in_place(dout, s):
    s *= 1.0 - s  # overwrites the student's cache, which is their output
    s *= dout
    return s


def sigmoid_tanh_forward(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x)), x


def sigmoid_from_x_backward(dout, x):
    e = np.exp(-np.abs(x))
    return dout * e / (1.0 + e) ** 2


def sigmoid_where_forward(x):
    e = np.exp(-np.abs(x))  # keeps x's dtype: float32 stays float32
    s = np.where(x >= 0, 1, e) / (1 + e)
    return s, s


def sigmoid_where_backward(dout, s):
    return dout * s * (1 - s)


def prelu_loops_forward(x, a):
    out = x.copy()
    for i in np.ndindex(x.shape):
        if x[i] <= 0:
            out[i] = x[i] * (a if a.ndim == 0 else a[i[-1]])
    return out, (x, a)


def prelu_loops_backward(dout, cache):
    x, a = cache
    dx, da = dout.copy(), np.zeros_like(a)
    for i in np.ndindex(x.shape):
        if x[i] <= 0:
            j = () if a.ndim == 0 else (i[-1],)
            dx[i] = a[j] * dout[i]
            da[j] += dout[i] * x[i]
    return dx, da


def prelu_min_max_forward(x, a):
    return np.maximum(x, 0) + a * np.minimum(x, 0), (x, a)


def prelu_min_max_backward(dout, cache):
    x, a = cache
    da = (dout * np.minimum(x, 0)).reshape(-1, x.shape[-1]).sum(axis=0)
    return dout * np.where(x > 0, 1.0, a), (da.sum() if a.ndim == 0 else da)


def prelu_copy_backward(dout, cache):
    x, a = cache
    neg = x <= 0
    da = dout * x
    da[~neg] = 0.0
    dx = dout.copy()  # scaled in place, but a copy of dout
    dx[neg] *= np.broadcast_to(a, x.shape)[neg]
    return dx, da.reshape(-1, a.size).sum(axis=0).reshape(a.shape)


def ce_loops(scores, y):
    n = len(y)
    loss, dscores = 0.0, np.zeros(np.shape(scores))
    for i in range(n):
        top = max(scores[i])
        total = sum(math.exp(s - top) for s in scores[i])
        loss += (top + math.log(total) - scores[i, y[i]]) / n
        for j, s in enumerate(scores[i]):
            dscores[i, j] = (math.exp(s - top) / total - (j == y[i])) / n
    return loss, dscores


def ce_one_hot(scores, y):
    n, c = scores.shape
    target = np.eye(c)[y]
    z = scores - scores.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -(target * logp).sum() / n, (np.exp(logp) - target) / n


def ce_in_place(scores, y):
    rows = np.arange(len(y))
    scores = scores.astype(np.float64)  # a float copy, then changed in place
    scores -= scores.max(axis=1, keepdims=True)
    lse = np.log(np.exp(scores).sum(axis=1))
    loss = np.mean(lse - scores[rows, y])
    scores -= lse[:, None]
    np.exp(scores, out=scores)
    scores[rows, y] -= 1
    scores /= len(y)
    return loss, scores


def svm_loops(scores, y, margin=1.0):
    n, c = scores.shape
    loss, dscores = 0.0, np.zeros((n, c))
    for i in range(n):
        for j in range(c):
            if j == y[i]:
                continue
            term = scores[i, j] - scores[i, y[i]] + margin
            if term > 0:
                loss += term / n
                dscores[i, j] += 1 / n
                dscores[i, y[i]] -= 1 / n
    return loss, dscores


def svm_maximum(scores, y, margin=1.0):
    n = len(y)
    rows = np.arange(n)
    margins = np.maximum(0, scores - scores[rows, y][:, None] + margin)
    margins[rows, y] = 0
    grad = (margins > 0).astype(float)
    grad[rows, y] = -grad.sum(axis=1)
    return margins.sum() / n, grad / n


def svm_where(scores, y, margin=1.0):
    n, c = scores.shape
    is_y = np.arange(c) == y[:, None]
    m = np.where(is_y, 0.0, scores - scores[is_y][:, None] + margin)
    active = m > 0
    grad = active - is_y * active.sum(axis=1, keepdims=True)
    return np.where(active, m, 0.0).sum() / n, grad / n


ALTERNATIVES = {
    "max_gate": [(max_loops_forward, max_loops_backward),
                 (max_out_cache_forward, max_out_cache_backward),
                 (max_copy_forward, max_copy_backward)],
    "sigmoid": [(sigmoid_masks_forward, sigmoid_backward_in_place),
                (sigmoid_tanh_forward, sigmoid_from_x_backward),
                (sigmoid_where_forward, sigmoid_where_backward)],
    "prelu": [(prelu_loops_forward, prelu_loops_backward),
              (prelu_min_max_forward, prelu_min_max_backward),
              (prelu_loops_forward, prelu_copy_backward)],
    "softmax_cross_entropy": [ce_loops, ce_one_hot, ce_in_place],
    "svm_loss": [svm_loops, svm_maximum, svm_where],
}
CORRECT = [(name, impl) for name, impls in ALTERNATIVES.items() for impl in impls]


def _id(impl):
    return "+".join(f.__name__ for f in impl) if isinstance(impl, tuple) else impl.__name__


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,impl", CORRECT, ids=[_id(i) for _, i in CORRECT])
def test_correct_alternative_passes(name, impl, seed):
    check(GRADED[name], impl, seed=seed)


def test_every_graded_function_has_three_correct_alternatives():
    # The five mistakes per function are checked for every concept in test_catalogue.py.
    assert set(ALTERNATIVES) == set(GRADED)
    for name, impls in ALTERNATIVES.items():
        assert len(impls) >= 3, name


def test_float64_inputs_give_float64_results_in_every_part():
    def prelu32_forward(x, a):
        x = x.astype(np.float32)
        return np.where(x > 0, x, a.astype(np.float32) * x), (x, a)
    with pytest.raises(CheckFailure, match="out is float32; compute it in float64"):
        check(GRADED["prelu"], (prelu32_forward, ref.prelu_backward))

    def sigmoid32_forward(x):  # float32 precision is accepted for float32 inputs only
        return ref.sigmoid_forward(x.astype(np.float32))
    with pytest.raises(CheckFailure, match="out is float32; compute it in float64"):
        check(GRADED["sigmoid"], (sigmoid32_forward, ref.sigmoid_backward))


# ---- what a failure says


def test_failure_names_case_entry_and_numbers():
    def svm_one_row_off(scores, y, margin=1.0):
        loss, dscores = ref.svm_loss(scores, y, margin)
        dscores[2] *= 1.5
        return loss, dscores
    with pytest.raises(CheckFailure) as err:
        check(GRADED["svm_loss"], svm_one_row_off)
    text = str(err.value)
    assert "at dscores[2, " in text and "yours" in text and "expected" in text
    assert "svm_loss" in text and "margin=1" in text and "kink" in text


def test_failure_names_a_scalar_gradient_and_the_slope_shape():
    def da_doubled(dout, cache):
        dx, da = ref.prelu_backward(dout, cache)
        return dx, 2 * da
    with pytest.raises(CheckFailure) as err:
        check(GRADED["prelu"], (ref.prelu_forward, da_doubled))
    assert "at da: yours" in str(err.value) and "of shape ()" in str(err.value)


def test_an_overflowing_sigmoid_fails_on_its_warning_and_is_named():
    def both_branches(x):  # np.where evaluates both: one of them overflows
        s = np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))
        return s, s
    with pytest.raises(CheckFailure) as err:
        check(GRADED["sigmoid"], (both_branches, sigmoid_backward_in_place))
    message = err.value.message
    assert message.startswith("numpy warned while your sigmoid ran (overflow in "
                              "sigmoid_forward"), message
    assert "-1000 to 1000" in message and "scores 0" in message
    assert "exp overflows" in err.value.diagnosis


def test_a_warning_in_the_backward_is_named_there():
    def backward_from_x(dout, x):  # exp(-x) overflows at x = -1000
        e = np.exp(-x)
        return dout * e / (1 + e) ** 2
    with pytest.raises(CheckFailure) as err:
        check(GRADED["sigmoid"], (sigmoid_tanh_forward, backward_from_x))
    assert "in sigmoid_backward" in err.value.message
    assert "in sigmoid_forward" not in err.value.message


UNKNOWN = {
    "max_gate": (ref.max_forward,
                 lambda d, c: tuple(2 * g for g in ref.max_backward(d, c))),
    "sigmoid": (ref.sigmoid_forward,
                lambda d, c: ref.sigmoid_backward(d, c) * (1 + 1e-4)),
    "prelu": (ref.prelu_forward,
              lambda d, c: (ref.prelu_backward(d, c)[0], -ref.prelu_backward(d, c)[1])),
    "softmax_cross_entropy": lambda s, y: (ref.softmax_cross_entropy(s, y)[0],
                                           -ref.softmax_cross_entropy(s, y)[1]),
    "svm_loss": lambda s, y, margin=1.0: (ref.svm_loss(s, y, margin)[0] ** 2,
                                          ref.svm_loss(s, y, margin)[1]),
}


def _catalogued(name: str) -> set[str]:
    return {m.hint for m in GRADED[name].mistakes}


@pytest.mark.parametrize("name", UNKNOWN)
def test_unknown_mistake_is_caught_without_a_false_diagnosis(name):
    """Caught, and never blamed on a catalogued mistake (a description of
    how the outputs relate to the expected ones is no false diagnosis)."""
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], UNKNOWN[name])
    assert err.value.diagnosis not in _catalogued(name), err.value.diagnosis


def _boom(*args, **options):
    return 1 / 0


def _in_cell(source: str, name: str):
    """A function defined in a notebook cell, as the sandbox sees one."""
    namespace = {"np": np}
    linecache.cache["<cell 3>"] = (len(source), None, source.splitlines(True), "<cell 3>")
    exec(compile(source, "<cell 3>", "exec"), namespace)
    return namespace[name]


_CELL_FORWARD = _in_cell("def prelu_forward(x, a):\n    scale = 1 / 0\n"
                         "    return x, (x, a)\n", "prelu_forward")


class Tensor:  # an object of a kind that cannot cross the wire
    pass


@pytest.mark.parametrize("name,bad,needle", [
    ("max_gate", (lambda x, y: np.maximum(x, y), ref.max_backward),
     "your max_forward should return (out, cache), got ndarray"),
    ("max_gate", (ref.max_forward, lambda d, c: None),
     "your max_backward should return (dx, dy), got None (x = [["),
    ("max_gate", (ref.max_forward, lambda d, c: ref.max_backward(d, c)[:1]),
     "your max_backward should return (dx, dy), got a tuple of 1"),
    ("max_gate", (lambda x, y: [np.maximum(x, y), (x, y), None], ref.max_backward),
     "your max_forward should return (out, cache), got a list of 3"),
    ("sigmoid", (ref.sigmoid_forward, lambda d, c: None),
     "your dx is None: is a return statement missing?"),
    ("sigmoid", (ref.sigmoid_forward, lambda d, c: ref.sigmoid_backward(d, c).tolist()),
     "your dx should be a numpy array of shape (2, 2, 3), got list"),
    ("sigmoid", (lambda x: (Tensor(), x), lambda d, c: d.copy()),
     "your out should be a numpy array of shape (2, 2, 3), got Tensor"),
    ("prelu", (ref.prelu_forward, lambda d, c: (ref.prelu_backward(d, c)[0], d)),
     "your da should be a single number, got an array of shape (3, 4)"),
    ("prelu", (_boom, ref.prelu_backward),
     "your prelu raised ZeroDivisionError: division by zero, in _boom (x = [["),
    ("prelu", (_CELL_FORWARD, ref.prelu_backward),
     "your prelu_forward raised ZeroDivisionError: division by zero, line 2 of its "
     "cell: scale = 1 / 0 (x = [["),
    ("softmax_cross_entropy", lambda s, y: ref.softmax_cross_entropy(s, y)[0],
     "your softmax_cross_entropy should return (loss, dscores), got float"),
    ("softmax_cross_entropy", lambda s, y: (np.array([1.0]), s),
     "your loss should be a single number, got an array of shape (1,)"),
    ("svm_loss", lambda s, y, margin=1.0: (ref.svm_loss(s, y, margin)[0], s.T),
     "your dscores has shape (5, 4), expected (4, 5)"),
    ("svm_loss", _boom, "your svm_loss raised ZeroDivisionError"),
])
def test_malformed_answers_get_a_sentence(name, bad, needle):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], bad)
    assert needle in str(err.value)


@pytest.mark.parametrize("name", GRADED)
def test_each_check_is_well_under_a_second(name):
    graded = GRADED[name]
    start = time.perf_counter()
    for mistake in graded.mistakes:  # a failing check also runs the catalogue
        with pytest.raises(CheckFailure):
            check(graded, mistake.impl)
    assert (time.perf_counter() - start) / len(graded.mistakes) < 0.25


# ---- mistakes outside the catalogue: caught by what they compute, never misnamed

def _max_strict_both_ways(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    return np.maximum(x, y), (x, y)


def _max_backward_strict(dout, cache):
    x, y = cache
    return dout * (x > y), dout * (y > x)


def _prelu_dx_uses_x(dout, cache):
    x, a = cache
    dx, da = ref.prelu_backward(dout, cache)
    return np.where(x > 0, dout, a * x), da


def _ce_mean_over_classes(scores, y):
    loss, d = ref.softmax_cross_entropy(scores, y)
    c = np.shape(scores)[1]
    return loss / c, d / c


def _squared_hinge(scores, y, margin=1.0):
    s = np.asarray(scores, dtype=float)
    n = len(y)
    margins = s - s[np.arange(n), y][:, None] + margin
    margins[np.arange(n), y] = 0.0
    pos = np.maximum(margins, 0.0)
    d = 2 * pos
    d[np.arange(n), y] = -d.sum(axis=1)
    return float(np.sum(pos ** 2) / n), d / n


UNCATALOGUED = [
    ("max_gate", (_max_strict_both_ways, _max_backward_strict)),
    ("prelu", (ref.prelu_forward, _prelu_dx_uses_x)),
    ("softmax_cross_entropy", _ce_mean_over_classes),
    ("svm_loss", _squared_hinge),
]


@pytest.mark.parametrize("name,impl", UNCATALOGUED, ids=[n for n, _ in UNCATALOGUED])
def test_uncatalogued_mistake_is_caught_without_a_false_diagnosis(name, impl):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl)
    assert err.value.diagnosis not in _catalogued(name), err.value.diagnosis
    assert "yours" in err.value.message and "expected" in err.value.message


# ---- once correct alternatives that the text now forbids
#
# These passed when the text said nothing about the caller's arrays, dtypes
# or shapes beyond 2-D. It now says that inputs are left unchanged, that
# float64 stays float64 (and float32 float32), that the losses take integer
# score arrays and that PReLU takes x of any shape: each one breaks one of
# those promises, and fails the test cell that grades it, with a sentence.

def max_in_place_forward(x, y):
    lost = y > x
    x[lost] = y[lost]  # the caller's x
    return x, ~lost


def max_in_place_backward(dout, x_won):
    dy = dout.copy()
    dout[~x_won] = 0.0  # the caller's dout
    dy[x_won] = 0.0
    return dout, dy


def sigmoid_float32_forward(x):
    x = np.asarray(x, dtype=np.float32)  # a float64 x loses its precision
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, np.float32(1), e) / (1 + e)
    return s, s


def sigmoid_float32_backward(dout, s):
    return dout.astype(np.float32) * s * (1 - s)


def prelu_min_max_2d_backward(dout, cache):
    x, a = cache
    da = (dout * np.minimum(x, 0)).sum(axis=0)  # right for a 2-D x only
    return dout * np.where(x > 0, 1.0, a), (da.sum() if a.ndim == 0 else da)


def prelu_in_place_backward(dout, cache):
    x, a = cache
    neg = x <= 0
    da = dout * x
    da[~neg] = 0.0
    dout[neg] *= np.broadcast_to(a, x.shape)[neg]  # the caller's dout
    return dout, da.reshape(-1, a.size).sum(axis=0).reshape(a.shape)


def ce_loops_zeros_like(scores, y):
    n = len(y)
    loss, dscores = 0.0, np.zeros_like(scores)  # integers for integer scores
    for i in range(n):
        top = max(scores[i])
        total = sum(math.exp(s - top) for s in scores[i])
        loss += (top + math.log(total) - scores[i, y[i]]) / n
        for j, s in enumerate(scores[i]):
            dscores[i, j] = (math.exp(s - top) / total - (j == y[i])) / n
    return loss, dscores


def ce_in_place_scores(scores, y):
    rows = np.arange(len(y))
    scores -= scores.max(axis=1, keepdims=True)  # the caller's scores
    lse = np.log(np.exp(scores).sum(axis=1))
    loss = np.mean(lse - scores[rows, y])
    scores -= lse[:, None]
    np.exp(scores, out=scores)
    scores[rows, y] -= 1
    scores /= len(y)
    return loss, scores


def svm_loops_zeros_like(scores, y, margin=1.0):
    n, c = scores.shape
    loss, dscores = 0.0, np.zeros_like(scores)  # integers for integer scores
    for i in range(n):
        for j in range(c):
            if j == y[i]:
                continue
            term = scores[i, j] - scores[i, y[i]] + margin
            if term > 0:
                loss += term / n
                dscores[i, j] += 1 / n
                dscores[i, y[i]] -= 1 / n
    return loss, dscores


FORBIDDEN_BY_THE_TEXT = [
    ("max_gate", (max_in_place_forward, max_in_place_backward),
     "your max_forward changed its input x and max_backward changed its input dout "
     "in place"),
    ("sigmoid", (sigmoid_float32_forward, sigmoid_float32_backward),
     "your out is float32; compute it in float64 like its inputs"),
    ("prelu", (prelu_min_max_forward, prelu_min_max_2d_backward),
     "your da has shape (3, 3), expected (3,)"),
    ("prelu", (prelu_loops_forward, prelu_in_place_backward),
     "your prelu_backward changed its input dout in place"),
    ("softmax_cross_entropy", ce_loops_zeros_like,
     "your dscores has dtype int64, expected floating-point values"),
    ("softmax_cross_entropy", ce_in_place_scores,
     "your softmax_cross_entropy changed its input scores in place"),
    ("svm_loss", svm_loops_zeros_like,
     "your dscores has dtype int64, expected floating-point values"),
]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,impl,words", FORBIDDEN_BY_THE_TEXT,
                         ids=[_id(i) for _, i, _ in FORBIDDEN_BY_THE_TEXT])
def test_what_the_text_forbids_fails_with_its_sentence(name, impl, words, seed):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl, seed=seed)
    assert words in err.value.message, err.value.message
