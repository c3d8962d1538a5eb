"""What the text of assignment 3 promises, each promise met by a hidden case.

For every statement about inputs, outputs, dtypes, shapes, options and side
effects there is a mistake that breaks only that statement; each is caught
on every seed, with a sentence that says what is wrong, and costs the
points of the test cells that grade that statement and no others:

1. inputs the cases must contain: x of three dimensions, both-negative
   pairs for relative_error, ties in an integer array;
2. contracts: an integer x, the caller's x (and a, b) left as they were,
   the defaults graded as an option of their own;
4. points: the centered, forward and default variants (and ReLU and max
   kinks) are separate cells, and a mistake in one costs only that one.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.assignments import load
from autograder.assignments.notebook import Tests
from autograder.judge import graded
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from solutions import gradcheck as ref

SEEDS = (0, 1, 2)
CELLS = [c for c in load("gradcheck").cells if isinstance(c, Tests)]


def _cells(name: str) -> dict[str, Tests]:
    """The test cells of one part, by the name of their visible check."""
    return {c.visible.__name__: c for c in CELLS if c.key == f"gradcheck.{name}"}


def _failing_cells(name: str, impl, seed: int) -> set[str]:
    """The cells of ``name`` whose hidden cases ``impl`` fails, as graded
    (each cell judges its own cases, as the course's grading does)."""
    failing = set()
    for cell_name, cell in _cells(name).items():
        try:
            check(graded(cell.key), impl, only=cell.cases, seed=seed)
        except CheckFailure:
            failing.add(cell_name)
    return failing


def _failure(name: str, impl, seed: int = 0, only=None) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(graded(f"gradcheck.{name}"), impl, seed=seed, only=only)
    return err.value


def _hint(name: str, mistake: str) -> str:
    return {m.name: m.hint for m in graded(f"gradcheck.{name}").mistakes}[mistake]


def _mistake(name: str, mistake: str):
    return {m.name: m.impl for m in graded(f"gradcheck.{name}").mistakes}[mistake]


# ---------------------------------------------------------------- the cells


def test_each_variant_has_its_own_cells_and_points():
    numgrad, relerr, kink = _cells("numerical_gradient"), _cells("relative_error"), \
        _cells("kink_crossed")
    assert [c.points for c in numgrad.values()] == [2, 2, 1]
    assert [c.points for c in relerr.values()] == [2, 1]
    assert [c.points for c in kink.values()] == [2, 2]
    cases = graded("gradcheck.numerical_gradient").cases(0)
    for cell, method in [("check_numgrad_centered", "centered"),
                         ("check_numgrad_forward", "forward")]:
        assert {cases[i].args.get("method") for i in numgrad[cell].cases} == {method}
    assert all(cases[i].args.get("defaults") for i in numgrad["check_numgrad_defaults"].cases)
    for key in ("numerical_gradient", "relative_error", "kink_crossed"):
        used = [i for c in _cells(key).values() for i in c.cases]
        assert sorted(used) == list(range(len(graded(f"gradcheck.{key}").cases(0)))), key


# ---------------------------------------------------------------- class 1: inputs


def _loops_over_two_axes(f, x, *, h=1e-5, method="centered"):
    """Two nested loops over rows and columns: right for x of one or two
    axes; on three, x[r, c] is a whole slice and moves together."""
    xw = np.array(x, dtype=np.float64)
    grid = xw.reshape(1, -1) if xw.ndim == 1 else xw  # a view of xw
    grad = np.zeros(grid.shape)
    f0 = float(f(xw))
    for r in range(grid.shape[0]):
        for c in range(grid.shape[1]):
            old = np.copy(grid[r, c])
            grid[r, c] = old + h
            plus = float(f(xw))
            if method == "forward":
                grad[r, c] = (plus - f0) / h
            else:
                grid[r, c] = old - h
                grad[r, c] = (plus - float(f(xw))) / (2 * h)
            grid[r, c] = old
    return grad.reshape(xw.shape)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_three_axis_x_is_graded(seed):
    err = _failure("numerical_gradient", _loops_over_two_axes, seed)
    assert "shape (2, 1, 2)" in err.message
    assert _failing_cells("numerical_gradient", _loops_over_two_axes, seed) == {
        "check_numgrad_centered"}


@pytest.mark.parametrize("seed", SEEDS)
def test_both_negative_pairs_are_always_there(seed):
    signed = _mistake("relative_error", "relerr_signed_max")
    case = graded("gradcheck.relative_error").cases(seed)[1]
    a, b = case.args["a"], case.args["b"]
    both = (a < 0) & (b < 0)
    assert both.sum() == 2 and len({bool(x) for x in np.abs(a[both]) < np.abs(b[both])}) == 2
    err = _failure("relative_error", signed, seed, only=(1, 2))
    assert err.diagnosis == _hint("relative_error", "relerr_signed_max")
    assert "check_relerr_ordinary" in _failing_cells("relative_error", signed, seed)


def _floor_where_zero(a, b, *, floor=1e-12):
    """The floor only where both are exactly 0, written with a mask."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denominator = np.maximum(np.abs(a), np.abs(b))
    denominator[denominator == 0] = floor
    return np.abs(a - b) / denominator


@pytest.mark.parametrize("seed", SEEDS)
def test_values_below_the_floor_are_graded_in_the_edge_cell(seed):
    err = _failure("relative_error", _floor_where_zero, seed)
    assert "at relative_error[1, 1]" in err.message
    assert err.diagnosis == _hint("relative_error", "relerr_floor_only_at_zero")
    assert _failing_cells("relative_error", _floor_where_zero, seed) == {"check_relerr_edges"}


@pytest.mark.parametrize("seed", SEEDS)
def test_ties_of_whole_numbers_are_graded(seed):
    case = graded("gradcheck.kink_crossed").cases(seed)[6]
    x = case.args["x"]
    assert x.dtype.kind == "i"
    assert sum(int(np.sum(row == row.max())) == 2 for row in x) == 1  # one row has a tie
    answers = [ref.kink_crossed(lambda z: np.argmax(z, axis=1), x, q)
               for q in case.args["queries"]]
    assert sum(answers) == 2  # the two tied entries, and nothing else


# ---------------------------------------------------------------- class 2: contracts


def _astype_like_x(f, x, *, h=1e-5, method="centered"):
    """x.copy() keeps an integer dtype: every nudge is truncated."""
    xw = x.copy()
    grad = np.zeros(x.shape)
    f0 = f(xw)
    for i in np.ndindex(x.shape):
        old = xw[i]
        xw[i] = old + h
        plus = f(xw)
        if method == "forward":
            grad[i] = (plus - f0) / h
        else:
            xw[i] = old - h
            grad[i] = (plus - f(xw)) / (2 * h)
        xw[i] = old
    return grad


@pytest.mark.parametrize("seed", SEEDS)
def test_integer_x_is_graded_in_both_formulas(seed):
    err = _failure("numerical_gradient", _astype_like_x, seed)
    assert "integer x" in err.message and "relative error" in err.message
    assert err.diagnosis == _hint("numerical_gradient", "numgrad_integer_copy")
    # both formulas promise integer x; the defaults compare the student with himself
    assert _failing_cells("numerical_gradient", _astype_like_x, seed) == {
        "check_numgrad_centered", "check_numgrad_forward"}


def _result_dtype_of_x(f, x, *, h=1e-5, method="centered"):
    g = ref.numerical_gradient(f, x, h=h, method=method)
    return g.astype(np.asarray(x).dtype)


def test_an_integer_result_for_an_integer_x_is_named():
    err = _failure("numerical_gradient", _result_dtype_of_x)
    assert "dtype int64, expected floating-point" in err.message
    assert "integer x" in err.message


def _forward_in_place(f, x, *, h=1e-5, method="centered"):
    """Forward difference on the caller's array, never put back."""
    if method == "centered":
        return ref.numerical_gradient(f, x, h=h)
    grad = np.zeros(x.shape)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - f0) / h
    return grad


@pytest.mark.parametrize("seed", SEEDS)
def test_the_callers_x_is_checked_in_the_cell_of_the_variant_that_changes_it(seed):
    err = _failure("numerical_gradient", _forward_in_place, seed)
    assert "your numerical_gradient changed the caller's x" in err.message
    assert "forward" in err.message
    assert _failing_cells("numerical_gradient", _forward_in_place, seed) == {
        "check_numgrad_forward"}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("default_h,cause", [(1e-4, "moves each entry by 0.0001"),
                                             (1e-7, "moves each entry by 1e-07")])
def test_a_wrong_default_step_is_named_with_its_size(seed, default_h, cause):
    def wrong_default(f, x, *, h=default_h, method="centered"):
        return ref.numerical_gradient(f, x, h=h, method=method)
    err = _failure("numerical_gradient", wrong_default, seed)
    assert "your numerical_gradient(f, x) differs from your numerical_gradient(f, x, " \
           "h=1e-5, method='centered')" in err.message
    assert cause in err.diagnosis and "the default step is h=1e-5" in err.diagnosis
    assert _failing_cells("numerical_gradient", wrong_default, seed) == {
        "check_numgrad_defaults"}


def _default_method_none(f, x, *, h=1e-5, method=None):
    """method=None falls through to the forward branch."""
    return ref.numerical_gradient(f, x, h=h, method="centered" if method == "centered"
                                  else "forward")


@pytest.mark.parametrize("seed", SEEDS)
def test_a_wrong_default_method_is_named(seed):
    err = _failure("numerical_gradient", _default_method_none, seed)
    assert err.diagnosis == _hint("numerical_gradient", "numgrad_default_forward")
    assert _failing_cells("numerical_gradient", _default_method_none, seed) == {
        "check_numgrad_defaults"}


def test_a_function_that_never_calls_f_earns_no_point_for_its_defaults():
    def zeros(f, x, *, h=1e-5, method="centered"):
        return np.zeros(np.shape(x))
    err = _failure("numerical_gradient", zeros, only=(6, 7))
    assert "never evaluates f away from x" in err.message
    assert _failing_cells("numerical_gradient", zeros, 0) == set(_cells("numerical_gradient"))


def _abs_into_a(a, b, *, floor=1e-12):
    """|a - b| computed into the caller's a."""
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    np.subtract(a, b, out=a, casting="unsafe")
    np.abs(a, out=a)
    return a / scale


@pytest.mark.parametrize("seed", SEEDS)
def test_relative_error_must_leave_its_inputs_as_they_were(seed):
    err = _failure("relative_error", _abs_into_a, seed)
    assert err.message.startswith("your relative_error changed its input a: a[")
    assert "leave a and b as they were" in err.message
    assert err.diagnosis == _hint("relative_error", "relerr_in_place")
    # both cells look at a and b after the call
    assert _failing_cells("relative_error", _abs_into_a, seed) == set(_cells("relative_error"))


def _kink_on_a_copy_of_x(winner, x, index, *, h=1e-5):
    """np.copy keeps an integer dtype: the nudges are cut to whole numbers."""
    lo, hi = np.copy(x), np.copy(x)
    i = np.unravel_index(index, x.shape) if np.ndim(index) == 0 else tuple(index)
    lo[i] = lo[i] - h
    hi[i] = hi[i] + h
    return bool(np.any(winner(lo) != winner(hi)))


@pytest.mark.parametrize("seed", SEEDS)
def test_integer_x_is_graded_for_kinks(seed):
    err = _failure("kink_crossed", _kink_on_a_copy_of_x, seed)
    assert "integer x" in err.message
    assert err.diagnosis == _hint("kink_crossed", "kink_integer_copy")
    assert _failing_cells("kink_crossed", _kink_on_a_copy_of_x, seed) == set(
        _cells("kink_crossed"))


# ---------------------------------------------------------------- class 4: points


NUMGRAD_CELLS = {
    # the formulas' mistakes cost their formula's cells, never the defaults
    "numgrad_centered_over_h": {"check_numgrad_centered"},
    "numgrad_precedence": {"check_numgrad_centered"},
    "numgrad_double_step": {"check_numgrad_centered"},
    "numgrad_forward_when_centered": {"check_numgrad_centered"},
    "numgrad_always_centered": {"check_numgrad_forward"},
    "numgrad_forward_not_restored": {"check_numgrad_forward"},
    "numgrad_not_restored": {"check_numgrad_centered", "check_numgrad_forward"},
    "numgrad_all_at_once": {"check_numgrad_centered", "check_numgrad_forward"},
    "numgrad_integer_copy": {"check_numgrad_centered", "check_numgrad_forward"},
    # and the defaults' mistakes cost the defaults alone
    "numgrad_default_forward": {"check_numgrad_defaults"},
    "numgrad_default_h_1e-6": {"check_numgrad_defaults"},
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mistake", sorted(NUMGRAD_CELLS))
def test_a_mistake_costs_only_the_cells_of_what_it_breaks(mistake, seed):
    impl = _mistake("numerical_gradient", mistake)
    assert _failing_cells("numerical_gradient", impl, seed) == NUMGRAD_CELLS[mistake]


def _backward_when_forward(f, x, *, h=1e-5, method="centered"):
    """Asked for "forward", takes the backward difference (f(x) - f(x - h)) / h."""
    if method == "centered":
        return ref.numerical_gradient(f, x, h=h)
    xw, grad = np.array(x, dtype=np.float64), np.zeros(np.shape(x))
    f0 = float(f(xw))
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old - h
        grad[i] = (f0 - float(f(xw))) / h
        xw[i] = old
    return grad


def _centered_with_one_f0(f, x, *, h=1e-5, method="centered"):
    """Centered: (f(x + h) - f(x - h)) / 2h, but taken around f(x) as
    (f(x + h) - f(x)) / h + (f(x) - f(x - h)) / h, without the 1/2."""
    if method == "forward":
        return ref.numerical_gradient(f, x, h=h, method="forward")
    return 2 * ref.numerical_gradient(f, x, h=h)


@pytest.mark.parametrize("seed", SEEDS)
def test_uncatalogued_mistakes_of_one_formula_cost_only_its_cells(seed):
    assert _failing_cells("numerical_gradient", _backward_when_forward, seed) == {
        "check_numgrad_forward"}
    assert _failing_cells("numerical_gradient", _centered_with_one_f0, seed) == {
        "check_numgrad_centered"}


@pytest.mark.parametrize("seed", SEEDS)
def test_kink_mistakes_cost_the_cell_of_their_winner(seed):
    assert _failing_cells("kink_crossed", _mistake("kink_crossed", "kink_h_ignored"),
                          seed) == {"check_kink_relu"}
    for mistake in ("kink_flat_index_column_major", "kink_sign_of_x"):
        assert _failing_cells("kink_crossed", _mistake("kink_crossed", mistake),
                              seed) == {"check_kink_max"}, mistake


@pytest.mark.parametrize("seed", SEEDS)
def test_a_wrong_floor_costs_the_edge_cell_only(seed):
    for mistake in ("relerr_floor_added", "relerr_floor_only_at_zero"):
        assert _failing_cells("relative_error", _mistake("relative_error", mistake),
                              seed) == {"check_relerr_edges"}, mistake


# ---------------------------------------------------------------- correct code still passes


def _defaults_by_none(f, x, *, h=None, method=None):
    """Defaults filled in inside: the same points, the same result."""
    return ref.numerical_gradient(f, x, h=1e-5 if h is None else h,
                                  method=method or "centered")


def _extra_evaluations(f, x, *, h=1e-5, method="centered"):
    """f(x) evaluated a few more times (and f of a list): no step of its own."""
    for _ in range(3):
        f(np.array(x, dtype=float).tolist())
    return ref.numerical_gradient(f, x, h=h, method=method)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("impl", [_defaults_by_none, _extra_evaluations])
def test_defaults_written_otherwise_pass(impl, seed):
    check(graded("gradcheck.numerical_gradient"), impl, seed=seed)
