"""What the text of assignment 6 promises, each promise met by a hidden case.

For every statement about inputs, outputs, dtypes, options and side
effects there is a mistake that breaks only that statement; each is caught
on every seed, with a sentence that says what is wrong, and costs the
points of the test cells that grade that statement and no others:

1. inputs the cases must contain: integer weights with a lam that is no
   whole number, float32 weights, float32 dropout inputs in both modes and
   at test time, a loss curve that starts with NaN, a loss exactly
   min_delta below the best;
2. contracts: w, x, dout and the early-stopping state left as they were,
   out a new array, float32 kept float32, the penalty a float64 number,
   the default mode;
4. points: penalty and gradient, and each dropout mode, have cells of
   their own, and a mistake in one costs only its cells.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.assignments import load
from autograder.assignments.notebook import Tests
from autograder.judge import graded
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from solutions import regularization as ref

SEEDS = (0, 1, 2)
CELLS = [c for c in load("regularization").cells if isinstance(c, Tests)]


def _cells(name: str) -> dict[str, Tests]:
    """The test cells of one part, by the name of their visible check."""
    return {c.visible.__name__: c for c in CELLS if c.key == f"regularization.{name}"}


def _failing_cells(name: str, impl, seed: int) -> set[str]:
    """The cells of ``name`` whose hidden cases ``impl`` fails, each cell
    judged on its own cases as the course's grading does."""
    failing = set()
    for cell_name, cell in _cells(name).items():
        try:
            check(graded(cell.key), impl, only=cell.cases, seed=seed)
        except CheckFailure:
            failing.add(cell_name)
    return failing


def _failure(name: str, impl, seed: int = 0, only=None) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(graded(f"regularization.{name}"), impl, seed=seed, only=only)
    return err.value


def _mistakes(name: str) -> dict:
    return {m.name: m for m in graded(f"regularization.{name}").mistakes}


# ---------------------------------------------------------------- the cells


def test_every_variant_has_cells_of_its_own():
    for kind in ("l1", "l2"):
        cells = _cells(kind)
        assert [c.points for c in cells.values()] == [1, 1]
        cases = graded(f"regularization.{kind}").cases(0)
        assert {cases[i].args["which"] for i in cells[f"check_{kind}_penalty"].cases} == {
            "penalty"}
        assert {cases[i].args["which"] for i in cells[f"check_{kind}_grad"].cases} == {"grad"}
    cases = graded("regularization.dropout").cases(0)
    for cell_name, cell in _cells("dropout").items():
        assert cell.points == 1 and len(cell.cases) == 2, cell_name
        mode = "classic" if cell_name.endswith("classic") else "inverted"
        assert {cases[i].args["mode"] or "inverted" for i in cell.cases} == {mode}, cell_name
    for key in ("l1", "l2", "dropout", "early_stopping"):
        used = sorted(i for c in _cells(key).values() for i in c.cases)
        assert used == list(range(len(graded(f"regularization.{key}").cases(0)))), key


# ---------------------------------------------------------------- class 1: inputs


def _l2_grad_into_like_w(w, lam):
    """np.multiply into an array like w: truncates on an integer w."""
    g = np.empty_like(w)
    np.multiply(w, lam, out=g, casting="unsafe")
    return g


@pytest.mark.parametrize("seed", SEEDS)
def test_integer_weights_with_a_fractional_lam_are_graded(seed):
    case = graded("regularization.l2").cases(seed)[7]
    assert case.args["w"].dtype.kind == "i" and case.args["lam"] % 1 != 0
    pair = (ref.l2_penalty, _l2_grad_into_like_w)
    err = _failure("l2", pair, seed)
    assert "integer w" in err.message
    assert err.diagnosis == _mistakes("l2")["l2_grad_zeros_like"].hint
    assert _failing_cells("l2", pair, seed) == {"check_l2_grad"}


def _l1_grad_as_float(w, lam):
    return lam * np.sign(w).astype(float)


@pytest.mark.parametrize("seed", SEEDS)
def test_float32_stays_float32_in_the_gradient(seed):
    pair = (ref.l1_penalty, _l1_grad_as_float)
    err = _failure("l1", pair, seed)
    assert "your l1_grad returned float64 for float32 w, expected float32" in err.message
    assert _failing_cells("l1", pair, seed) == {"check_l1_grad"}


def _classic_test_scale_float64(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    """At test time classic mode multiplies by a numpy float64 1 - p, which
    turns float32 x into float64 (numpy's promotion of a numpy scalar)."""
    if not train and mode == "classic":
        scale = np.float64(1.0) - p
        return x * scale, ref.DropoutCache(None, float(scale))
    return ref.dropout_forward(x, p, train=train, rng=rng, mask=mask, mode=mode)


@pytest.mark.parametrize("seed", SEEDS)
def test_float32_is_graded_in_each_mode_and_at_test_time(seed):
    pair = (_classic_test_scale_float64, ref.dropout_backward)
    err = _failure("dropout", pair, seed)
    assert "your out is float64 for float32 x and dout" in err.message
    assert "classic at test time" in err.message
    assert _failing_cells("dropout", pair, seed) == {"check_dropout_test_classic"}


def _init_best_large():
    return ref.EarlyStopping(best=1e9, best_step=0, step=0, bad_steps=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_curve_that_starts_with_nan_shows_the_initial_best(seed):
    pair = (_init_best_large, ref.early_stopping_step)
    err = _failure("early_stopping", pair, seed)
    assert "state.best" in err.message and "expected inf" in err.message
    assert _failing_cells("early_stopping", pair, seed) == {"check_stopping_nan"}


def _tie_by_difference(state, val_loss, *, patience, min_delta=0.0):
    """best - loss >= min_delta: a loss exactly min_delta below counts."""
    step = state.step + 1
    if state.best - val_loss >= min_delta:
        state = ref.EarlyStopping(float(val_loss), step, step, 0)
    else:
        state = state._replace(step=step, bad_steps=state.bad_steps + 1)
    return state.bad_steps >= patience, state


@pytest.mark.parametrize("seed", SEEDS)
def test_a_loss_exactly_min_delta_below_the_best_is_graded(seed):
    pair = (ref.early_stopping_init, _tie_by_difference)
    cases = graded("regularization.early_stopping").cases(seed)
    losses, delta = cases[1].args["losses"], cases[1].args["min_delta"]
    assert losses[1] == losses[0] - delta  # the tie survives the seed's rescaling
    err = _failure("early_stopping", pair, seed, only=(1, 3))
    assert err.diagnosis == _mistakes("early_stopping")["stopping_tie_improves"].hint
    # ties are graded with and without min_delta, never in the NaN curves
    assert _failing_cells("early_stopping", pair, seed) == {
        "check_stopping_patience", "check_stopping_delta"}


# ---------------------------------------------------------------- class 2: contracts


def _l1_penalty_abs_into_w(w, lam):
    np.abs(w, out=w)
    return lam * float(np.sum(w, dtype=np.float64))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_penalty_must_leave_w_as_it_was(seed):
    pair = (_l1_penalty_abs_into_w, ref.l1_grad)
    err = _failure("l1", pair, seed)
    assert err.message.startswith("your l1_penalty changed its input w in place: w[")
    assert "leave w as it was" in err.message
    assert _failing_cells("l1", pair, seed) == {"check_l1_penalty"}


def _l2_grad_into_w(w, lam):
    np.multiply(w, lam, out=w, casting="unsafe")
    return w


@pytest.mark.parametrize("seed", SEEDS)
def test_the_gradient_must_leave_w_as_it_was(seed):
    pair = (ref.l2_penalty, _l2_grad_into_w)
    err = _failure("l2", pair, seed)
    assert err.message.startswith("your l2_grad changed its input w in place")
    assert err.diagnosis == _mistakes("l2")["l2_grad_in_place"].hint
    assert _failing_cells("l2", pair, seed) == {"check_l2_grad"}


def _l2_penalty_float32(w, lam):
    return 0.5 * lam * np.sum(w * w)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_penalty_is_a_float64_number(seed):
    pair = (_l2_penalty_float32, ref.l2_grad)
    err = _failure("l2", pair, seed)
    assert "your l2_penalty returned a float32 number" in err.message
    assert err.diagnosis == _mistakes("l2")["l2_penalty_float32_sum"].hint
    assert _failing_cells("l2", pair, seed) == {"check_l2_penalty"}


def _forward_scales_x(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    out, cache = ref.dropout_forward(x, p, train=train, rng=rng, mask=mask, mode=mode)
    if train:
        x *= cache.keep
    return out, cache


def _backward_masks_dout(dout, cache):
    dx = ref.dropout_backward(dout, cache)
    if cache.keep is not None:
        dout[~cache.keep] = 0
    return dx


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("pair,needle", [
    ((_forward_scales_x, ref.dropout_backward), "your dropout_forward changed its input x"),
    ((ref.dropout_forward, _backward_masks_dout), "your dropout_backward changed its input"
                                                   " dout"),
])
def test_dropout_must_leave_its_inputs_as_they_were(seed, pair, needle):
    err = _failure("dropout", pair, seed)
    assert needle in err.message and "as it was" in err.message
    cells = _failing_cells("dropout", pair, seed)
    assert {"check_dropout_train_inverted", "check_dropout_train_classic"} <= cells
    assert not cells & {"check_dropout_random_inverted", "check_dropout_random_classic"}


def _test_time_returns_x(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    if not train and mode == "inverted":
        return x, ref.DropoutCache(None, 1.0)
    return ref.dropout_forward(x, p, train=train, rng=rng, mask=mask, mode=mode)


@pytest.mark.parametrize("seed", SEEDS)
def test_out_is_a_new_array_at_test_time_too(seed):
    pair = (_test_time_returns_x, ref.dropout_backward)
    err = _failure("dropout", pair, seed)
    assert "your dropout_forward returned x itself" in err.message
    assert err.diagnosis == _mistakes("dropout")["dropout_test_returns_x"].hint
    assert _failing_cells("dropout", pair, seed) == {"check_dropout_test_inverted"}


def _forward_default_classic(x, p, *, train=True, rng=None, mask=None, mode="classic"):
    return ref.dropout_forward(x, p, train=train, rng=rng, mask=mask, mode=mode)


@pytest.mark.parametrize("seed", SEEDS)
def test_the_default_mode_is_graded(seed):
    pair = (_forward_default_classic, ref.dropout_backward)
    err = _failure("dropout", pair, seed)
    assert "the default mode" in err.message
    assert err.diagnosis == _mistakes("dropout")["dropout_default_classic"].hint
    assert _failing_cells("dropout", pair, seed) == {"check_dropout_train_inverted",
                                                     "check_dropout_test_inverted"}


def _dict_init():
    return {"best": math.inf, "best_step": 0, "step": 0, "bad_steps": 0}


def _dict_step_in_place(state, val_loss, *, patience, min_delta=0.0):
    state["step"] += 1
    if val_loss < state["best"] - min_delta:
        state.update(best=val_loss, best_step=state["step"], bad_steps=0)
    else:
        state["bad_steps"] += 1
    return state["bad_steps"] >= patience, state


@pytest.mark.parametrize("seed", SEEDS)
def test_the_state_a_step_was_given_must_not_change(seed):
    pair = (_dict_init, _dict_step_in_place)
    err = _failure("early_stopping", pair, seed)
    assert ("your early_stopping_step changed the state it was given at step 0: its "
            "field 'best' went from inf to ") in err.message
    assert err.diagnosis == _mistakes("early_stopping")["stopping_state_in_place"].hint
    assert _failing_cells("early_stopping", pair, seed) == set(_cells("early_stopping"))


# ---------------------------------------------------------------- class 4: points

# every catalogued mistake, and the cells it may cost
PENALTY_CELLS = {
    **{m: {"check_l1_penalty"} for m in ("l1_penalty_halved", "l1_penalty_no_abs",
                                         "l1_penalty_float32_sum")},
    **{m: {"check_l1_grad"} for m in ("l1_grad_is_l2", "l1_grad_without_lam",
                                      "l1_sign_zero_is_one", "l1_grad_where_float64",
                                      "l1_grad_zeros_like", "l1_grad_in_place")},
    **{m: {"check_l2_penalty"} for m in ("l2_penalty_no_half", "l2_penalty_is_l1",
                                         "l2_penalty_norm", "l2_penalty_float32_sum")},
    **{m: {"check_l2_grad"} for m in ("l2_grad_doubled", "l2_grad_no_w", "l2_grad_float64",
                                      "l2_grad_zeros_like", "l2_grad_in_place")},
}
TRAIN_I, TRAIN_C = "check_dropout_train_inverted", "check_dropout_train_classic"
TEST_I, TEST_C = "check_dropout_test_inverted", "check_dropout_test_classic"
RANDOM_I, RANDOM_C = "check_dropout_random_inverted", "check_dropout_random_classic"
DROPOUT_CELLS = {
    # inverted mode's own mistakes cost inverted cells only, classic's classic only
    "dropout_not_rescaled": {TRAIN_I, RANDOM_I},
    "dropout_scale_by_p": {TRAIN_I, RANDOM_I},
    "dropout_backward_not_scaled": {TRAIN_I},
    "dropout_inverted_scales_at_test": {TEST_I},
    "dropout_test_returns_x": {TEST_I},
    "dropout_default_classic": {TRAIN_I, TEST_I},
    "dropout_classic_no_test_scaling": {TEST_C},
    # the mask is shared by both modes: its mistakes cost both, never test time
    "dropout_keeps_with_prob_p": {RANDOM_I, RANDOM_C},
    "dropout_backward_ignores_mask": {TRAIN_I, TRAIN_C, RANDOM_I, RANDOM_C},
    "dropout_backward_redraws_mask": {RANDOM_I, RANDOM_C},
    "dropout_float64_mask": {TRAIN_I, TRAIN_C},
    "dropout_masks_x_in_place": {TRAIN_I, TRAIN_C},
    "dropout_backward_in_place": {TRAIN_I, TRAIN_C},
}
ALL_STOPPING = {"check_stopping_patience", "check_stopping_delta", "check_stopping_nan"}
STOPPING_CELLS = {
    "stopping_min_delta_ignored": {"check_stopping_delta"},
    "stopping_delta_added": {"check_stopping_delta"},
    "stopping_best_is_minimum": {"check_stopping_delta"},
    "stopping_nan_improves": {"check_stopping_nan"},
    "stopping_nan_stops": {"check_stopping_nan"},
    "stopping_nan_skipped": {"check_stopping_nan"},
    "stopping_tie_improves": {"check_stopping_patience", "check_stopping_delta"},
    # the rules every curve follows
    "stopping_one_late": ALL_STOPPING,
    "stopping_bad_steps_not_reset": ALL_STOPPING,
    "stopping_first_bad_step": ALL_STOPPING,
    "stopping_best_step_off_by_one": ALL_STOPPING,
    "stopping_state_in_place": ALL_STOPPING,
}
EXPECTED = [(kind, name, cells) for kind, table in
            [("l1", PENALTY_CELLS), ("l2", PENALTY_CELLS), ("dropout", DROPOUT_CELLS),
             ("early_stopping", STOPPING_CELLS)]
            for name, cells in table.items() if name in _mistakes(kind)]


def test_the_table_covers_every_catalogued_mistake():
    for kind in ("l1", "l2", "dropout", "early_stopping"):
        listed = {name for k, name, _ in EXPECTED if k == kind}
        assert listed == set(_mistakes(kind)), kind


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind,mistake,cells", EXPECTED, ids=[m for _, m, _ in EXPECTED])
def test_a_mistake_costs_only_the_cells_of_what_it_breaks(kind, mistake, cells, seed):
    impl = _mistakes(kind)[mistake].impl
    assert _failing_cells(kind, impl, seed) == cells


@pytest.mark.parametrize("seed", SEEDS)
def test_each_cell_names_its_mistakes_on_its_own_cases(seed):
    """A cell's cases confirm a catalogued mistake among themselves, so the
    feedback of a cell names it even though the other cells are not run."""
    for kind, mistake, cells in EXPECTED:
        m = _mistakes(kind)[mistake]
        for cell in cells:
            with pytest.raises(CheckFailure) as err:
                check(graded(f"regularization.{kind}"), m.impl, seed=seed,
                      only=_cells(kind)[cell].cases)
            assert err.value.diagnosis == m.hint, (kind, mistake, cell, err.value.diagnosis)
