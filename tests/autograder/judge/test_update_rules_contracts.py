"""The update rules are held to every contract their text states, not only
to their formulas.

The text (assignment 4's introduction and the skeleton's docstrings)
promises: a step returns new weights and a new state "without changing its
inputs"; w may have any shape; an integer w or g gives float64 results and
float32 w and g give float32 weights and state; a hyperparameter that is
not passed takes the default of the signature; a step works from a mid-run
state. Each test below writes a realistic mistake against one of these
(most of them not in the catalogue), and checks that the hidden cases catch
it with a sentence that says what is wrong, and, for Adam's three test
cells, that only the cell grading what is wrong loses its points.
"""
from __future__ import annotations

import numpy as np
import pytest

from autograder.assignments import load
from autograder.assignments import notebook
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from autograder.judge.update_rules import GRADED
from solutions import update_rules as ref

HINTS = {m.hint for g in GRADED.values() for m in g.mistakes}


def failure(rule: str, impl, *, only=None, seed: int = 0) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(GRADED[rule], impl, only=only, seed=seed)
    return err.value


def catalogued(rule: str, name: str):
    return next(m for m in GRADED[rule].mistakes if m.name == name)


# ---- class 1: inputs the cases used to leave out ------------------------------
# float32 w and g (an upcast passed), an integer w (the float path only), a
# matrix w (vectors only), and no hyperparameter left to its default.

def _momentum_np_lr(w, g, state, *, lr, mu=0.9):
    lr = np.float64(lr)  # a numpy float64 number: float32 arrays become float64
    v = mu * state.v - lr * g
    return w + v, ref.MomentumState(v)


def _rmsprop_astype(w, g, state, *, lr, decay=0.99, eps=1e-8):
    w, g = w.astype(float), g.astype(float)
    cache = decay * state.cache + (1 - decay) * g * g
    return w - lr * g / (np.sqrt(cache) + eps), ref.RMSpropState(cache)


def _adam_np_power(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - np.power(b1, t)), v / (1 - np.power(b2, t))
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), ref.AdamState(t, m, v)


@pytest.mark.parametrize("rule,step", [("momentum", _momentum_np_lr),
                                       ("rmsprop", _rmsprop_astype),
                                       ("adam", _adam_np_power)])
def test_a_step_that_turns_float32_into_float64_is_caught(rule, step):
    err = failure(rule, (getattr(ref, f"{rule}_init"), step))
    assert f"your {rule}_step returned w as float64 at step 0" in err.message
    assert "float32 w and g give float32 weights and state" in err.message
    # the init is the reference's: the cause names the step, not the init
    assert "numpy float64" in err.diagnosis and "_init makes" not in err.diagnosis


def test_an_init_that_makes_float64_zeros_is_named():
    def adagrad_init(w):
        return ref.AdagradState(np.zeros(w.shape))  # float64 whatever w is
    err = failure("adagrad", (adagrad_init, ref.adagrad_step))
    assert "returned w as float64" in err.message
    assert err.diagnosis == catalogued("adagrad", "adagrad_init_float64").hint


def test_an_integer_w_written_into_an_integer_array_is_caught():
    def adagrad_loop(w, g, state, *, lr, eps=1e-8):  # any shape, but w.copy() stays int64
        cache, w = state.cache.copy(), w.copy()
        for i in np.ndindex(w.shape):
            cache[i] += g[i] ** 2
            w[i] -= lr * g[i] / (cache[i] ** 0.5 + eps)
        return w, ref.AdagradState(cache)
    err = failure("adagrad", (ref.adagrad_init, adagrad_loop))
    assert "your adagrad_step returned w as int64 at step 0" in err.message
    assert "integer (int64) w" in err.message and "_floats" in err.diagnosis


def test_an_integer_w_updated_on_a_copy_in_place_raises_with_the_case():
    def sgd_step(w, g, state, *, lr):
        w = w.copy()
        w -= lr * g  # an int64 copy cannot hold the float step
        return w, state
    err = failure("sgd", (ref.sgd_init, sgd_step))
    assert "raised UFuncTypeError at step 0" in err.message
    assert "integer (int64) w" in err.message


def test_an_integer_w_is_named_when_catalogued():
    mistake = catalogued("sgd", "sgd_into_zeros_like")
    assert failure("sgd", mistake.impl).diagnosis == mistake.hint


def test_an_integer_w_with_an_integer_zero_state_is_accepted():
    # np.zeros_like of an integer w makes integer zeros; a step that builds
    # new arrays turns them into floats at once: nothing the text rules out
    def momentum_init(w):
        return ref.MomentumState(np.zeros_like(w))
    check(GRADED["momentum"], (momentum_init, ref.momentum_step))


@pytest.mark.parametrize("size", [len, np.size], ids=["len", "size"])
def test_a_state_sized_by_len_or_size_fails_on_a_matrix_w(size):
    def momentum_init(w):
        return ref.MomentumState(np.zeros(size(w)))  # (4,) or (12,) for a (4, 3) w

    def momentum_step(w, g, state, *, lr, mu=0.9):  # no shape check of its own
        v = mu * state.v - lr * g
        return w + v, ref.MomentumState(v)
    err = failure("momentum", (momentum_init, momentum_step))
    assert "raised ValueError at step 0: operands could not be broadcast" in err.message
    assert "w of shape (4, 3)" in err.message


def test_a_loop_over_w_size_fails_on_a_matrix_w():
    def sgd_step(w, g, state, *, lr):
        out = np.empty(w.shape, dtype=np.result_type(w, 1.0))
        for i in range(w.size):
            out[i] = w[i] - lr * g[i]
        return out, state
    err = failure("sgd", (ref.sgd_init, sgd_step))
    assert "raised IndexError at step 0" in err.message and "(4, 3)" in err.message


def _with_defaults(rule: str, **wrong):
    """The reference step with other defaults for the hyperparameters ``wrong``."""
    step = getattr(ref, f"{rule}_step")

    def changed(w, g, state, **passed):
        return step(w, g, state, **{**wrong, **passed})
    return changed


WRONG_DEFAULTS = [("momentum", dict(mu=0.99)), ("nesterov", dict(mu=0.95)),
                  ("adagrad", dict(eps=0.0)), ("adagrad", dict(eps=1e-7)),
                  ("rmsprop", dict(eps=1e-10)), ("rmsprop", dict(decay=0.999)),
                  ("adam", dict(lr=1e-2)), ("adam", dict(b1=0.95)), ("adam", dict(b2=0.99)),
                  ("adam", dict(eps=0.0)), ("adam", dict(eps=1e-6)),
                  ("adam", dict(weight_decay=1e-2)),
                  ("adamw", dict(lr=3e-4)), ("adamw", dict(eps=1e-10)),
                  ("adamw", dict(weight_decay=1e-3))]


@pytest.mark.parametrize("seed", (0, 1, 2))
@pytest.mark.parametrize("rule,wrong", WRONG_DEFAULTS,
                         ids=[f"{r}:{next(iter(w))}={next(iter(w.values()))}"
                              for r, w in WRONG_DEFAULTS])
def test_a_wrong_default_is_caught(rule, wrong, seed):
    err = failure(rule, (getattr(ref, f"{rule}_init"), _with_defaults(rule, **wrong)), seed=seed)
    assert "at its default" in err.message, err.message
    assert err.diagnosis not in HINTS


@pytest.mark.parametrize("rule,name", [("adagrad", "adagrad_torch_eps"),
                                       ("rmsprop", "rmsprop_keras_decay"),
                                       ("adam", "adam_keras_eps"),
                                       ("adamw", "adamw_default_no_decay")])
def test_a_default_copied_from_another_library_is_named(rule, name):
    mistake = catalogued(rule, name)
    err = failure(rule, mistake.impl)
    assert "at its default" in err.message and err.diagnosis == mistake.hint


# ---- class 2: contracts the text states -----------------------------------------
# "returns the next weights and the next state without changing its inputs":
# the caller's w, g and state are compared after every step, from init and
# from a mid-run state.

def _w_in_place(rule):
    step = getattr(ref, f"{rule}_step")

    def in_place(w, g, state, **hyper):
        w_next, state = step(w, g, state, **hyper)
        w[...] = w_next  # right values, written into the caller's w
        return w, state
    return in_place


@pytest.mark.parametrize("rule", sorted(GRADED))
def test_changing_the_callers_w_is_caught(rule):
    err = failure(rule, (getattr(ref, f"{rule}_init"), _w_in_place(rule)))
    assert (f"your {rule}_step changed its input w in place at step 0" in err.message
            and "return new arrays and leave the inputs as they were" in err.message)
    assert "w -= " in err.diagnosis  # the catalogued hint, or the sentence of the contract


def test_changing_the_callers_g_is_caught():
    def momentum_step(w, g, state, *, lr, mu=0.9):
        g *= lr  # the caller's gradient is now lr * g
        v = mu * state.v - g
        return w + v, ref.MomentumState(v)
    err = failure("momentum", (ref.momentum_init, momentum_step))
    assert "your momentum_step changed its input g in place at step 0" in err.message
    assert "g *= ..." in err.diagnosis


def test_l2_added_into_g_is_named_where_weight_decay_is_graded():
    mistake = catalogued("adam", "adam_l2_into_g")
    err = failure("adam", mistake.impl, only=ADAM_CELLS["weight_decay"])
    assert "changed its input g in place" in err.message and err.diagnosis == mistake.hint


@pytest.mark.parametrize("rule,field", [("momentum", "v"), ("nesterov", "v"),
                                        ("adagrad", "cache"), ("rmsprop", "cache"),
                                        ("adam", "m"), ("adamw", "v")])
def test_changing_the_callers_state_is_caught(rule, field):
    step = getattr(ref, f"{rule}_step")

    def in_place(w, g, state, **hyper):
        w_next, new = step(w, g, state, **hyper)
        getattr(state, field)[...] = getattr(new, field)
        return w_next, new
    err = failure(rule, (getattr(ref, f"{rule}_init"), in_place))
    assert (f"your {rule}_step changed state.{field} of the state it was given in place "
            f"at step 0") in err.message
    assert f"state.{field} *= ..." in err.diagnosis


def test_a_state_changed_only_once_it_is_not_zero_is_caught_from_a_mid_run_state():
    def momentum_step(w, g, state, *, lr, mu=0.9):
        np.multiply(state.v, mu, out=state.v)  # 0 * mu is 0: invisible at step 0 from init
        v = state.v - lr * g
        return w + v, ref.MomentumState(v)
    impl = (ref.momentum_init, momentum_step)
    assert "changed state.v of the state it was given in place at step 1" in failure(
        "momentum", impl).message
    mid_run = [i for i, c in enumerate(GRADED["momentum"].cases(0)) if c.args["start"]]
    err = failure("momentum", impl, only=mid_run)
    assert "state.v of the state it was given in place at step 0" in err.message
    assert "from the state after 20 steps" in err.message


def test_a_catalogued_in_place_rule_is_named():
    for rule in GRADED:
        mistake = catalogued(rule, f"{rule}_in_place")
        err = failure(rule, mistake.impl)
        assert "in place" in err.message and err.diagnosis == mistake.hint, rule


def test_the_reference_leaves_every_input_and_keeps_every_dtype():
    from autograder.judge.core import run_local
    for rule, graded in GRADED.items():
        for case in graded.cases(0):
            out = run_local(case, graded.reference)
            assert all(k == -1 for k in out["changed"].values()), (rule, case.label)
            want = "float32" if case.args["dtype"] == "float32" else "float64"
            assert {d for runs in out["dtypes"].values() for d, _ in runs} == {want}


# ---- class 4: a mistake costs the points of the cell that grades it, only ------
# Adam's part has three test cells (the only part with more than one): a
# fresh start at a constant lr with the contracts' inputs, a changing lr and
# a mid-run state, and weight_decay > 0.

def _adam_cells() -> dict[str, tuple[int, ...]]:
    cells = [c for c in load("update_rules").cells
             if isinstance(c, notebook.Tests) and c.key == "update_rules.adam"]
    assert [c.points for c in cells] == [1, 1, 2]
    return dict(zip(("fresh", "schedule", "weight_decay"), (c.cases for c in cells)))


ADAM_CELLS = _adam_cells()


def test_adams_cells_share_no_case_and_leave_none_out():
    every = [i for cases in ADAM_CELLS.values() for i in cases]
    assert sorted(every) == list(range(len(GRADED["adam"].cases(0))))
    cases = GRADED["adam"].cases(0)
    assert all(cases[i].args["hyper"].get("weight_decay", 0) == 0
               for i in ADAM_CELLS["fresh"] + ADAM_CELLS["schedule"])
    assert all(cases[i].args["hyper"]["weight_decay"] > 0 for i in ADAM_CELLS["weight_decay"])
    assert all(len(set(cases[i].args["lrs"])) == 1
               for i in ADAM_CELLS["fresh"] + ADAM_CELLS["weight_decay"])
    assert all(not cases[i].args["start"]
               for i in ADAM_CELLS["fresh"] + ADAM_CELLS["weight_decay"])


def cells_failed(impl, seed: int = 0) -> set[str]:
    failed = set()
    for cell, cases in ADAM_CELLS.items():
        try:
            check(GRADED["adam"], impl, only=cases, seed=seed)
        except CheckFailure:
            failed.add(cell)
    return failed


_FIRST_LR: dict[str, float] = {}


def _adam_first_lr(w, g, state, **hyper):
    # keeps the lr of the first step: right while the lr is constant
    if state.t == 0:
        _FIRST_LR["lr"] = hyper.get("lr", 1e-3)
    return ref.adam_step(w, g, state, **{**hyper, "lr": _FIRST_LR.get("lr", 1e-3)})


_MEMORY: dict[str, np.ndarray] = {}


def _adam_memory_init(w):
    state = ref.adam_init(w)
    _MEMORY.update(m=state.m.copy(), v=state.v.copy())
    return state


def _adam_memory_step(w, g, state, **hyper):
    # the moments kept beside the state since init: right from a fresh start only
    state = state._replace(m=_MEMORY["m"], v=_MEMORY["v"])
    w, new = ref.adam_step(w, g, state, **hyper)
    _MEMORY.update(m=new.m.copy(), v=new.v.copy())
    return w, new


def _adam_decoupled(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    # AdamW's decay in Adam: right without weight decay
    return ref.adamw_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)


@pytest.mark.parametrize("seed", (0, 1))
@pytest.mark.parametrize("impl,cells", [
    ((ref.adam_init, _adam_first_lr), {"schedule"}),
    ((_adam_memory_init, _adam_memory_step), {"schedule"}),
    ((ref.adam_init, _adam_decoupled), {"weight_decay"}),
    (catalogued("adam", "adam_weight_decay_ignored").impl, {"weight_decay"}),
    (catalogued("adam", "adam_init_float64").impl, {"fresh"}),
    (catalogued("adam", "adam_numpy_float64_scalar").impl, {"fresh"}),
    (catalogued("adam", "adam_keras_eps").impl, {"fresh"}),
    ((ref.adam_init, _adam_np_power), {"fresh"}),
    # g += weight_decay * w: changes g where weight_decay > 0, and cannot add a
    # float to an integer g: both are contracts, of two cells
    (catalogued("adam", "adam_l2_into_g").impl, {"fresh", "weight_decay"}),
], ids=["first-lr", "moments-beside-state", "decoupled", "decay-ignored", "init-float64",
        "np-sqrt", "keras-eps", "np-power", "l2-into-g"])
def test_a_mistake_costs_only_the_cells_that_grade_it(impl, cells, seed):
    assert cells_failed(impl, seed) == cells


def test_a_mistake_in_the_formula_costs_every_cell():
    impl = catalogued("adam", "adam_no_bias_correction").impl
    assert cells_failed(impl) == set(ADAM_CELLS)


def test_a_fresh_cell_failure_is_named_within_the_cell():
    # grading confirms a catalogued mistake on the other cases of the same cell
    mistake = catalogued("adam", "adam_init_float64")
    err = failure("adam", mistake.impl, only=ADAM_CELLS["fresh"])
    assert err.diagnosis == mistake.hint
