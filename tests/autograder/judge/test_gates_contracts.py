"""What the text of assignment 2 (gates, activations, losses) promises, each
promise met by a mistake a student could make, and the sentence the
student then reads.

Four kinds of promise, one section each: inputs the hidden cases must
contain (per-feature slopes on 3-D x, rows far below the batch's largest
score and a correct class far below its row's maximum, float32
activations, integer score arrays, the margin given by name and left at
its default); contracts on how the functions behave (inputs left as they
were, float32 stays float32 and float64 stays float64, integer scores give
float64 results, no numpy warning); that a mistake costs the points of the
test cells that grade what it gets wrong and of no other, for every
grading seed and on the notebook itself; and how long a check takes.

The mistakes here are written for these tests, not taken from the
catalogue: where one computes what a catalogued mistake computes, the
catalogue's hint must name it.
"""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from autograder.assignments import load
from autograder.assignments.notebook import Tests as Cell
from autograder.course.cli import notebook_path
from autograder.driver.calls import gates as calls
from autograder.judge.core import check, run_local
from autograder.judge.feedback import CheckFailure
from autograder.judge.gates import GRADED, IN_PLACE, UPCAST
from autograder.judge.local import hidden_check
from solutions import gates as ref

SEEDS = (0, 1, 2)
ASSIGNMENT = load("gates")
SPEC = [cell for cell in ASSIGNMENT.cells if isinstance(cell, Cell)]
# per part, the cases of each of its test cells, in the notebook's order
CELLS = {name: [cell.cases for cell in SPEC if cell.key == f"gates.{name}"]
         for name in GRADED}


def hint(name: str, mistake: str) -> str:
    return next(m.hint for m in GRADED[name].mistakes if m.name == mistake)


def failure(name: str, impl, *, cell: int | None = None, seed: int = 0) -> CheckFailure:
    """The failure a student reads: in one test cell (its cases alone, as
    the grader judges a cell), or on all the part's cases."""
    only = None if cell is None else CELLS[name][cell]
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl, only=only, seed=seed)
    return err.value


def failing_cells(name: str, impl, seed: int = 0) -> list[int]:
    """The test cells of the part (0 = its first) that ``impl`` fails."""
    lost = []
    for i, cases in enumerate(CELLS[name]):
        try:
            check(GRADED[name], impl, only=cases, seed=seed)
        except CheckFailure:
            lost.append(i)
    return lost


def cases(name: str, cell: int, seed: int) -> list:
    every = GRADED[name].cases(seed)
    return [every[i] for i in CELLS[name][cell]]


# ---------------------------------------------------------------------------
# 1. The inputs the text talks about occur in the hidden cases.

@pytest.mark.parametrize("seed", SEEDS)
def test_prelu_per_feature_slopes_meet_3d_inputs(seed):
    for case in cases("prelu", 2, seed):
        x, a = case.args["x"], case.args["a"]
        assert x.ndim == 3 and a.shape == (x.shape[-1],), case.label
        # axis 1 as long as the last: a slope on axis 1 gives other values
        assert x.shape[1] == x.shape[-1] and len(set(a.tolist())) == a.size
        assert (x == 0).any() and all((x[..., j] < 0).any() for j in range(a.size))
        assert "of shape (" in case.label and "last axis" in case.label


@pytest.mark.parametrize("seed", SEEDS)
def test_huge_scores_have_rows_far_below_the_batch_and_a_class_far_below_its_row(seed):
    for case in cases("softmax_cross_entropy", 2, seed):
        s, y = case.args["scores"], case.args["y"]
        rows = np.arange(len(y))
        with np.errstate(under="ignore"):
            # exp underflows to 0 for the whole row when shifted by the batch max
            assert (np.exp(s.max(axis=1) - s.max()) == 0).any(), case.label
            # and for the correct class of some row when shifted by that row's max
            assert (np.exp(s[rows, y] - s.max(axis=1)) == 0).any(), case.label
        assert "far below" in case.label


@pytest.mark.parametrize("seed", SEEDS)
def test_activations_meet_float32_and_any_shape(seed):
    (x3d,) = cases("sigmoid", 0, seed)
    assert x3d.args["x"].ndim == 3 and x3d.args["x"].dtype == np.float64
    (f32,) = cases("sigmoid", 1, seed)
    assert f32.args["x"].dtype == np.float32 and f32.args["dout"].dtype == np.float32
    assert f32.label.startswith("float32 x")


@pytest.mark.parametrize("seed", SEEDS)
def test_losses_meet_integer_score_arrays(seed):
    for name, cell in (("softmax_cross_entropy", 1), ("svm_loss", 3)):
        for case in cases(name, cell, seed):
            assert case.args["scores"].dtype.kind == "i", case.label
            assert "an integer array" in case.label and "np.array(" in case.label \
                or name == "svm_loss"
    for case in cases("svm_loss", 3, seed):  # nothing at the kink: integers only
        s, y = case.args["scores"], case.args["y"]
        terms = s - s[np.arange(len(y)), y][:, None] + case.args["margin"]
        terms[np.arange(len(y)), y] = np.nan
        assert np.nanmin(np.abs(terms)) >= 1


@pytest.mark.parametrize("seed", SEEDS)
def test_the_margin_is_given_by_name_or_left_at_its_default(seed):
    seen: list[dict] = []

    def recording(scores, y, **options):
        seen.append(options)
        return ref.svm_loss(scores, y, **options)
    for case in GRADED["svm_loss"].cases(seed):
        run_local(case, recording)
    defaults = [i for i, options in enumerate(seen) if not options]
    assert defaults == list(CELLS["svm_loss"][2])
    assert all(set(options) == {"margin"} for options in seen if options)
    (case,) = cases("svm_loss", 2, seed)
    assert "margin left at its default" in case.label


def test_every_case_watches_warnings_and_the_first_cells_the_inputs():
    for name, graded in GRADED.items():
        every = graded.cases(0)
        first = set(CELLS[name][0])
        for i, case in enumerate(every):
            assert case.args["watch"] is True, (name, i)
            judged = calls.CHANGED not in case.measured
            assert judged == (i in first), (name, i, case.measured)


# ---------------------------------------------------------------------------
# 2. Mistakes on those inputs, and on the contracts of the text.

def _prelu_da_axis0_backward(dout, cache):  # written for a 2-D x
    x, a = cache
    neg = x <= 0
    g = np.where(neg, dout * x, 0.0)
    return np.where(neg, a * dout, dout), (g.sum() if np.ndim(a) == 0 else g.sum(axis=0))


def _torch_channels(a, x):
    shape = [1] * x.ndim
    shape[1] = -1
    return a if np.ndim(a) == 0 else a.reshape(shape)


def _prelu_torch_forward(x, a):
    return np.where(x > 0, x, _torch_channels(a, x) * x), (x, a)


def _prelu_torch_backward(dout, cache):
    x, a = cache
    neg = x <= 0
    g = np.where(neg, dout * x, 0.0)
    axes = tuple(i for i in range(x.ndim) if i != 1)
    da = g.sum() if np.ndim(a) == 0 else g.sum(axis=axes)
    return np.where(neg, _torch_channels(a, x) * dout, dout), da


def _ce_log_probabilities(scores, y):  # shifted, then log of the softmax
    rows = np.arange(len(y))
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[rows, y]))
    d = p.copy()
    d[rows, y] -= 1
    return float(loss), d / len(y)


def _ce_batch_max(scores, y):  # one shift for the whole batch
    rows = np.arange(len(y))
    z = scores - np.max(scores)
    lse = np.log(np.sum(np.exp(z), axis=1))
    d = np.exp(z - lse[:, None])
    d[rows, y] -= 1
    return float(np.mean(lse - z[rows, y])), d / len(y)


def _ce_float_steps_in_place(scores, y):  # a new array, then float steps in place
    rows = np.arange(len(y))
    z = scores - scores.max(axis=1, keepdims=True)  # integer for integer scores
    z -= np.log(np.exp(z).sum(axis=1, keepdims=True))
    d = np.exp(z)
    d[rows, y] -= 1
    return float(-z[rows, y].mean()), d / len(y)


def _sigmoid_masks_float64_forward(x):  # np.zeros is float64 whatever x is
    s = np.zeros(x.shape)
    pos = x >= 0
    s[pos] = 1 / (1 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    s[~pos] = e / (1 + e)
    return s, s


def _sigmoid_backward(dout, s):
    return dout * s * (1 - s)


def _sigmoid_float32_forward(x):  # float32 for everything
    return ref.sigmoid_forward(x.astype(np.float32))


def _svm_loops_zeros_like(scores, y, margin=1.0):
    n, c = scores.shape
    loss, d = 0.0, np.zeros_like(scores)  # int64 for integer scores
    for i in range(n):
        for j in range(c):
            term = scores[i, j] - scores[i, y[i]] + margin
            if j != y[i] and term > 0:
                loss += term / n
                d[i, j] += 1 / n  # truncated: d holds integers
                d[i, y[i]] -= 1 / n
    return loss, d


def _svm_no_default(scores, y, margin):  # the margin has no default
    return ref.svm_loss(scores, y, margin)


def _svm_delta(scores, y, delta=1.0):  # the option renamed
    return ref.svm_loss(scores, y, delta)


def _max_out_x(x, y):  # np.maximum written into x
    cache = (x.copy(), y)
    return np.maximum(x, y, out=x), cache


def _max_backward(dout, cache):
    x, y = cache
    return np.where(x >= y, dout, 0.0), np.where(x >= y, 0.0, dout)


def _max_forward(x, y):
    return np.where(x >= y, x, y), (x, y)


def _max_alias_dout(dout, cache):  # dx is dout itself, then zeroed where x lost
    x, y = cache
    dy = np.where(x >= y, 0.0, dout)
    dx = dout
    dx[x < y] = 0.0
    return dx, dy


def _sigmoid_out_dout(dout, cache):
    (s,) = cache  # the reference's forward caches (s,)
    return np.multiply(dout, s * (1 - s), out=dout)


def _prelu_clobber_cache(dout, cache):  # the cached x (the caller's) reused
    x, a = cache
    dx = np.where(x > 0, dout, a * dout)
    x[x > 0] = 0.0  # "only x <= 0 counts for da"
    g = dout * x
    return dx, g.sum() if np.ndim(a) == 0 else g.reshape(-1, a.size).sum(axis=0)


def _prelu_scale_x(x, a):  # the negative entries scaled in the caller's x
    cache = (x.copy(), a)
    np.multiply(x, a, out=x, where=x <= 0)
    return x, cache


def _ce_shift_in_place(scores, y):
    scores -= scores.max(axis=1, keepdims=True)
    return ref.softmax_cross_entropy(scores, y)


def _svm_hide_correct(scores, y, margin=1.0):  # the correct class set to -inf
    n = len(y)
    rows = np.arange(n)
    correct = scores[rows, y].copy()
    scores[rows, y] = -np.inf  # so that j == y never counts
    m = np.maximum(0.0, scores - correct[:, None] + margin)
    d = (m > 0).astype(float)
    d[rows, y] = -d.sum(axis=1)
    return float(m.sum() / n), d / n


# (part, implementation, test cells it fails, words of its message, the
# catalogued mistake the whole part's cases name, or the cause a cell gives)
MISTAKES = {
    # class 1: inputs that the cases did not contain before
    "prelu da summed over axis 0 (2-D only)": (
        "prelu", (ref.prelu_forward, _prelu_da_axis0_backward), [2],
        "your da has shape (3, 3), expected (3,)", "prelu_da_sums_axis_0_only"),
    "prelu slope on axis 1 (torch's rule)": (
        "prelu", (_prelu_torch_forward, _prelu_torch_backward), [2],
        "relative error", "prelu_slope_on_axis_1"),
    "cross-entropy from the log of the softmax": (
        "softmax_cross_entropy", _ce_log_probabilities, [2],
        "numpy warned while your softmax_cross_entropy ran (divide by zero",
        "ce_log_of_softmax"),
    "cross-entropy shifted by the batch's maximum": (
        "softmax_cross_entropy", _ce_batch_max, [2],
        "numpy warned while your softmax_cross_entropy ran (divide by zero", None),
    "sigmoid built in np.zeros(x.shape)": (
        "sigmoid", (_sigmoid_masks_float64_forward, _sigmoid_backward), [1],
        "your out is float64, but the inputs are float32", "sigmoid_float32_upcast"),
    "sigmoid computed in float32": (
        "sigmoid", (_sigmoid_float32_forward, ref.sigmoid_backward), [0, 2],
        "your out is float32; compute it in float64 like its inputs",
        "sigmoid_computes_in_float32"),
    # class 2: contracts of the text
    "cross-entropy with float steps in place on integers": (
        "softmax_cross_entropy", _ce_float_steps_in_place, [1],
        "your softmax_cross_entropy raised UFuncTypeError", None),
    "hinge loops into np.zeros_like": (
        "svm_loss", _svm_loops_zeros_like, [3],
        "your dscores has dtype int64, expected floating-point values",
        "svm_zeros_like_integer_scores"),
    "hinge loss whose margin has no default": (
        "svm_loss", _svm_no_default, [2],
        "missing 1 required positional argument: 'margin'", None),
    "hinge loss whose option is called delta": (
        "svm_loss", _svm_delta, [0, 1, 3],
        "got an unexpected keyword argument 'margin'", None),
    "max_forward writing into x": (
        "max_gate", (_max_out_x, _max_backward), [0],
        "your max_forward changed its input x in place", "max_forward_overwrites_x"),
    "max_backward zeroing dout": (
        "max_gate", (_max_forward, _max_alias_dout), [0],
        "your max_backward changed its input dout in place",
        "max_backward_overwrites_dout"),
    "sigmoid_backward multiplying into dout": (
        "sigmoid", (ref.sigmoid_forward, _sigmoid_out_dout), [0],
        "your sigmoid_backward changed its input dout in place",
        "sigmoid_backward_overwrites_dout"),
    "prelu_backward changing the cached x": (
        "prelu", (ref.prelu_forward, _prelu_clobber_cache), [0],
        "your prelu_backward changed x (an input of prelu_forward, kept in your "
        "cache) in place", None),
    "prelu_forward scaling x": (
        "prelu", (_prelu_scale_x, ref.prelu_backward), [0],
        "your prelu_forward changed its input x in place", None),
    "cross-entropy shifting the caller's scores": (
        "softmax_cross_entropy", _ce_shift_in_place, [0],
        "your softmax_cross_entropy changed its input scores in place",
        "ce_overwrites_scores"),
    "hinge loss hiding the correct class in scores": (
        "svm_loss", _svm_hide_correct, [0, 3],  # -inf cannot go into integers
        "your svm_loss changed its input scores in place", None),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("what", list(MISTAKES))
def test_a_mistake_costs_the_cells_that_grade_it_and_no_other(what, seed):
    name, impl, cells, _, _ = MISTAKES[what]
    assert failing_cells(name, impl, seed) == cells


@pytest.mark.parametrize("what", list(MISTAKES))
def test_what_the_student_reads(what):
    name, impl, cells, words, cause = MISTAKES[what]
    for seed in SEEDS:
        assert words in str(failure(name, impl, cell=cells[0], seed=seed))
        if cause is not None:  # named on the part's cases, as a local check does
            assert failure(name, impl, seed=seed).diagnosis == hint(name, cause), seed


def test_an_in_place_mistake_gets_its_cause_in_its_own_cell():
    fail = failure("max_gate", (_max_out_x, _max_backward), cell=0)
    assert "leave the arrays passed to your functions as they were" in fail.message
    assert fail.diagnosis in (IN_PLACE, hint("max_gate", "max_forward_overwrites_x"))
    fail = failure("prelu", (ref.prelu_forward, _prelu_clobber_cache), cell=0)
    assert fail.diagnosis == IN_PLACE


def test_an_upcast_gets_its_cause_in_its_own_cell():
    fail = failure("sigmoid", (_sigmoid_masks_float64_forward, _sigmoid_backward), cell=1)
    assert fail.diagnosis in (UPCAST, hint("sigmoid", "sigmoid_float32_upcast"))
    assert "float32 inputs give float32 results" in fail.message


def test_in_place_work_on_ones_own_arrays_is_fine():
    def max_into_copy(x, y):
        out = x.copy()
        np.maximum(out, y, out=out)
        return out, (x, y)

    def sigmoid_forward(x):
        s = ref.sigmoid_forward(x)[0]
        return s, s.copy()

    def sigmoid_into_cache(dout, s):  # the cache is the student's own
        s *= 1 - s
        s *= dout
        return s

    def ce_into_float_copy(scores, y):
        s = scores.astype(float)
        s -= s.max(axis=1, keepdims=True)
        return ref.softmax_cross_entropy(s, y)
    for seed in SEEDS:
        check(GRADED["max_gate"], (max_into_copy, _max_backward), seed=seed)
        check(GRADED["sigmoid"], (sigmoid_forward, sigmoid_into_cache), seed=seed)
        check(GRADED["softmax_cross_entropy"], ce_into_float_copy, seed=seed)


def test_the_changed_arrays_are_reported_by_the_call():
    x, y, dout = np.array([1.0, -2.0]), np.array([0.0, 3.0]), np.array([0.5, 0.25])
    out = calls.gate((_max_out_x, _max_alias_dout), gate="max", dout=dout, x=x, y=y)
    assert out[calls.CHANGED] == ("max_forward changed its input x and max_backward "
                                  "changed its input dout")
    assert np.array_equal(x, [1.0, -2.0]) and np.array_equal(dout, [0.5, 0.25])
    out = calls.gate((ref.max_forward, ref.max_backward), gate="max", dout=dout, x=x, y=y)
    assert out[calls.CHANGED] == "" and out[calls.DTYPES] == "out float64, dx float64, " \
                                                            "dy float64"
    out = calls.loss(_svm_hide_correct, loss="svm_loss", scores=np.eye(2), y=np.arange(2))
    assert out[calls.CHANGED] == "svm_loss changed its input scores"


# ---------------------------------------------------------------------------
# 3. Every catalogued mistake costs the same cells under every seed, and
#    those cells only; on the notebook itself, a mistake costs its cells.

@pytest.mark.parametrize("name", list(GRADED))
def test_a_catalogued_mistake_costs_the_same_cells_under_every_seed(name):
    for mistake in GRADED[name].mistakes:
        lost = [failing_cells(name, mistake.impl, seed) for seed in SEEDS]
        assert lost[0] and lost.count(lost[0]) == len(SEEDS), (mistake.name, lost)


EXPECTED_CELLS = {  # catalogued mistakes of one option or input kind
    ("max_gate", "max_tie_to_y"): [1],
    ("max_gate", "max_forward_overwrites_x"): [0],
    ("sigmoid", "sigmoid_naive_overflow"): [2],
    ("sigmoid", "sigmoid_float32_upcast"): [1],
    ("sigmoid", "sigmoid_backward_overwrites_dout"): [0],
    ("prelu", "prelu_forward_as_max"): [1],
    ("prelu", "prelu_da_sums_axis_0_only"): [2],
    ("prelu", "prelu_slope_on_axis_1"): [2],
    ("prelu", "prelu_backward_overwrites_dout"): [0],
    ("softmax_cross_entropy", "ce_no_max_shift"): [2],
    ("softmax_cross_entropy", "ce_shift_by_batch_max"): [2],
    ("softmax_cross_entropy", "ce_log_of_softmax"): [2],
    ("softmax_cross_entropy", "ce_log_plus_epsilon"): [2],
    ("softmax_cross_entropy", "ce_zeros_like_integer_scores"): [1],
    ("softmax_cross_entropy", "ce_overwrites_scores"): [0],
    ("svm_loss", "svm_kink_counted_active"): [0],
    ("svm_loss", "svm_margin_ignored"): [0, 1],
    ("svm_loss", "svm_gradient_ignores_margin"): [0, 1],
    ("svm_loss", "svm_zeros_like_integer_scores"): [3],
}


@pytest.mark.parametrize("key", list(EXPECTED_CELLS), ids=[m for _, m in EXPECTED_CELLS])
def test_a_catalogued_mistake_of_one_option_costs_that_options_cells(key):
    name, mistake = key
    impl = next(m.impl for m in GRADED[name].mistakes if m.name == mistake)
    assert failing_cells(name, impl) == EXPECTED_CELLS[key]


def _cell_ids() -> list[str]:
    nb = json.loads(notebook_path(ASSIGNMENT).read_text())
    return [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade")]


def notebook_namespace() -> dict:
    """What the notebook's given and solution cells define, run in order."""
    nb = json.loads(notebook_path(ASSIGNMENT).read_text())
    namespace: dict = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and not meta.get("grade"):
            exec(compile("".join(cell["source"]), meta.get("grade_id", "?"), "exec"), namespace)
    return namespace


def notebook_failing_cells(namespace: dict) -> list[str]:
    lost = []
    for grade_id, cell in zip(_cell_ids(), SPEC):
        try:
            hidden_check(cell.key, namespace, cases=cell.cases)
        except CheckFailure:
            lost.append(grade_id)
    return lost


NOTEBOOK_CHANGES = {
    "max_forward writing into x": ({"max_forward": _max_out_x, "max_backward": _max_backward},
                                   ["test-max_gate-1"]),
    "a float64 sigmoid": ({"sigmoid_forward": _sigmoid_masks_float64_forward,
                           "sigmoid_backward": _sigmoid_backward}, ["test-sigmoid-2"]),
    "a 2-D prelu_backward": ({"prelu_backward": _prelu_da_axis0_backward},
                             ["test-prelu-3"]),
    "log of the softmax": ({"softmax_cross_entropy": _ce_log_probabilities},
                           ["test-softmax_cross_entropy-3"]),
    "hinge loops into zeros_like": ({"svm_loss": _svm_loops_zeros_like},
                                    ["test-svm_loss-4"]),
    "a margin without default": ({"svm_loss": _svm_no_default}, ["test-svm_loss-3"]),
}


def test_the_notebook_itself_passes_every_cell():
    assert notebook_failing_cells(notebook_namespace()) == []


@pytest.mark.parametrize("change", list(NOTEBOOK_CHANGES))
def test_on_the_notebook_a_mistake_costs_its_own_cells(change):
    replaced, lost = NOTEBOOK_CHANGES[change]
    namespace = notebook_namespace()
    namespace.update(replaced)
    assert notebook_failing_cells(namespace) == lost


# ---------------------------------------------------------------------------
# 4. A part's check, passing or failing with its diagnosis, is quick.

@pytest.mark.parametrize("name", list(GRADED))
def test_every_check_of_the_part_takes_under_a_fifth_of_a_second(name):
    graded = GRADED[name]
    check(graded, graded.reference)  # warm up
    start = time.perf_counter()
    check(graded, graded.reference)
    slowest = time.perf_counter() - start
    for mistake in graded.mistakes:
        start = time.perf_counter()
        with pytest.raises(CheckFailure):
            check(graded, mistake.impl)
        slowest = max(slowest, time.perf_counter() - start)
    assert slowest < 0.2, slowest
