"""The regularization checks: every catalogued mistake is caught and named,
every correct alternative passes (including dropout masks drawn another
way), and failures say where and by how much."""
from __future__ import annotations

import math
import re
from types import SimpleNamespace
from typing import NamedTuple

import numpy as np
import pytest

from autograder.judge.core import check, run_local
from autograder.judge.feedback import CheckFailure
from autograder.judge.regularization import GRADED, SCRIPTS
from solutions import regularization as ref


@pytest.mark.parametrize("seed", range(6))
def test_reference_statistics_sit_on_their_population_values(seed):
    # the generator seeds must not put the reference's own draw outside 4
    # standard errors, or a correct mask drawn another way would fail
    graded = GRADED["dropout"]
    for case in graded.cases(seed):
        if case.tol == "statistics":
            raw = run_local(case, graded.reference)
            out = case.prepare(raw)
            p = case.args["p"]
            assert out["backward_zeros_differ"] == 0.0
            assert out["drop_rate"] == p
            assert out["mean_ratio"] in (1.0, 1 - p)


@pytest.mark.parametrize("seed", range(6))
def test_every_seed_keeps_the_structure_of_the_cases(seed):
    """New numbers, same structure: exact zeros and both signs in w, masks
    that keep some units and drop others, and loss scripts whose outcome
    (when to stop, which step was best) does not depend on the seed."""
    for case in GRADED["l1"].cases(seed):
        w = case.args["w"]
        assert (w == 0).sum() >= 2 and (w < 0).any() and (w > 0).any()
    for case in GRADED["dropout"].cases(seed):
        if case.args.get("train") and case.args.get("mask") is not None:
            assert 0 < case.args["mask"].sum() < case.args["mask"].size
    graded = GRADED["early_stopping"]
    scripted = [i for i, (losses, _, _) in enumerate(SCRIPTS) if losses is not None]
    here, first = graded.cases(seed), graded.cases(0)
    for i in scripted:
        a = here[i].prepare(run_local(here[i], graded.reference))
        b = first[i].prepare(run_local(first[i], graded.reference))
        assert np.array_equal(a["stop"], b["stop"])
        for f in ("best_step", "step", "bad_steps"):
            assert np.array_equal(a["state"][f], b["state"][f])


# ---- correct alternatives: penalties


def l1_penalty_norm(w, lam):
    return lam * np.linalg.norm(np.ravel(w).astype(np.float64), 1)


def _grad_dtype(w):
    """What a gradient of w is made of: w's float dtype, else float64."""
    return w.dtype if w.dtype.kind == "f" else np.float64


def l1_grad_where(w, lam):
    return np.where(w > 0, lam, np.where(w < 0, -lam, 0.0)).astype(_grad_dtype(w))


def l1_penalty_loop(w, lam):
    return lam * sum(abs(float(v)) for v in np.ravel(w))


def l1_grad_loop(w, lam):
    g = np.zeros(w.shape, dtype=np.result_type(w, 0.5))  # float32 stays, int -> float64
    for i in np.ndindex(w.shape):
        g[i] = lam if w[i] > 0 else (-lam if w[i] < 0 else 0.0)
    return g


def l1_penalty_sum_float64(w, lam):
    return lam * float(np.abs(w).sum(dtype=np.float64))


def l1_grad_difference(w, lam):
    return lam * ((w > 0).astype(w.dtype) - (w < 0).astype(w.dtype))


def l2_penalty_dot(w, lam):
    v = np.ravel(w).astype(np.float64)
    return 0.5 * lam * float(v @ v)


def l2_grad_in_place(w, lam):
    g = w.astype(_grad_dtype(w))  # a copy, in w's float dtype
    g *= lam
    return g


def l2_penalty_norm_squared(w, lam):
    return lam * np.linalg.norm(w.astype(np.float64)) ** 2 / 2


def l2_grad_loop(w, lam):
    return np.array([lam * v for v in w.ravel()], dtype=_grad_dtype(w)).reshape(w.shape)


def l2_penalty_squares_in_float64(w, lam):
    return 0.5 * lam * np.sum(np.square(w, dtype=np.float64))


def l2_grad_multiply(w, lam):
    return np.multiply(w, lam)


# ---- correct alternatives: dropout (the cache format is the student's own)


def dropout_forward_dict(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    if not train:
        scale = 1.0 if mode == "inverted" else 1 - p
        return x * scale, {"mask": None, "scale": scale}
    keep = mask if mask is not None else rng.random(x.shape) < 1 - p  # another event
    scale = 1 / (1 - p) if mode == "inverted" else 1.0
    return np.where(keep, x * scale, 0.0).astype(x.dtype), {"mask": keep, "scale": scale}


def dropout_backward_dict(dout, cache):
    if cache["mask"] is None:
        return dout * cache["scale"]
    return np.where(cache["mask"], dout * cache["scale"], 0.0).astype(dout.dtype)


def dropout_forward_scaled_mask(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    if not train:
        factor = np.ones_like(x) if mode == "inverted" else np.full_like(x, 1 - p)
        return x * factor, factor
    keep = mask if mask is not None else rng.binomial(1, 1 - p, size=x.shape).astype(bool)
    factor = keep.astype(x.dtype)
    if mode == "inverted":
        factor /= 1 - p
    return x * factor, factor


def dropout_backward_scaled_mask(dout, factor):
    return dout * factor


class DropCache(NamedTuple):
    keep: np.ndarray | None
    p: float
    mode: str


def dropout_forward_on_a_copy(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    out = x.copy()  # masked and scaled in place, on its own copy
    if not train:
        if mode == "classic":
            out *= 1 - p
        return out, DropCache(None, p, mode)
    keep = mask.copy() if mask is not None else rng.random(x.shape) >= p
    out[~keep] = 0
    if mode == "inverted":
        out /= 1 - p
    return out, DropCache(keep, p, mode)


def dropout_backward_on_a_copy(dout, cache):
    if cache.keep is None:
        return dout * (1 - cache.p) if cache.mode == "classic" else dout.copy()
    dx = dout.copy()
    dx[~cache.keep] = 0
    return dx / (1 - cache.p) if cache.mode == "inverted" else dx


# ---- correct alternatives: early stopping


def stopping_dict_init():
    return {"best": math.inf, "best_step": 0, "step": 0, "bad_steps": 0}


def stopping_dict_step(state, val_loss, *, patience, min_delta=0.0):
    state = dict(state, step=state["step"] + 1)
    if state["best"] - val_loss > min_delta:
        state.update(best=val_loss, best_step=state["step"], bad_steps=0)
    else:
        state["bad_steps"] += 1
    return state["bad_steps"] >= patience, state


def stopping_namespace_init():
    return SimpleNamespace(best=float("inf"), best_step=0, step=0, bad_steps=0)


def stopping_namespace_step(state, val_loss, *, patience, min_delta=0.0):
    new = SimpleNamespace(**vars(state))  # a new record; the old one stays
    new.step += 1
    if not val_loss >= new.best - min_delta and not np.isnan(val_loss):
        new.best, new.best_step, new.bad_steps = val_loss, new.step, 0
    else:
        new.bad_steps += 1
    return bool(new.bad_steps >= patience), new


class MyStop(NamedTuple):  # the student's own record, fields in another order
    step: int
    bad_steps: int
    best: float
    best_step: int


def stopping_own_init():
    return MyStop(0, 0, np.inf, 0)


def stopping_own_step(state, val_loss, *, patience, min_delta=0.0):
    step = state.step + 1
    improved = val_loss + min_delta < state.best
    if improved:
        state = MyStop(step, 0, val_loss, step)
    else:
        state = state._replace(step=step, bad_steps=state.bad_steps + 1)
    return np.bool_(state.bad_steps >= patience), state


ALTERNATIVES = {
    "l1": [(l1_penalty_norm, l1_grad_where), (l1_penalty_loop, l1_grad_loop),
           (l1_penalty_sum_float64, l1_grad_difference)],
    "l2": [(l2_penalty_dot, l2_grad_in_place), (l2_penalty_norm_squared, l2_grad_loop),
           (l2_penalty_squares_in_float64, l2_grad_multiply)],
    "dropout": [(dropout_forward_dict, dropout_backward_dict),
                (dropout_forward_scaled_mask, dropout_backward_scaled_mask),
                (dropout_forward_on_a_copy, dropout_backward_on_a_copy)],
    "early_stopping": [(stopping_dict_init, stopping_dict_step),
                       (stopping_namespace_init, stopping_namespace_step),
                       (stopping_own_init, stopping_own_step)],
}
CORRECT = [(name, pair) for name, pairs in ALTERNATIVES.items() for pair in pairs]


# ---- once correct alternatives, now wrong variants: each breaks a promise of
# the text that no case used to test, and is caught on the case that does,
# with the catalogued mistake it amounts to (or the sentence of its message)


def l1_grad_where_like_w(w, lam):
    # .astype(w.dtype) cuts +-lam to whole numbers on an integer w
    return np.where(w > 0, lam, np.where(w < 0, -lam, 0.0)).astype(w.dtype)


def l1_grad_loop_zeros_like(w, lam):
    # np.zeros_like(w) keeps an integer w's dtype
    g = np.zeros_like(w)
    for i in np.ndindex(w.shape):
        g[i] = lam if w[i] > 0 else (-lam if w[i] < 0 else 0.0)
    return g


def l1_penalty_float32(w, lam):
    # "summed in float64": a float32 w gave a float32 sum, which used to be allowed
    return lam * np.abs(w).sum()


def l2_grad_copy_scaled(w, lam):
    # w.copy() keeps an integer dtype, and g *= 0.75 cannot be cast back
    g = w.copy()
    g *= lam
    return g


def l2_grad_loop_like_w(w, lam):
    return np.array([lam * v for v in w.ravel()], dtype=w.dtype).reshape(w.shape)


def l2_penalty_float32(w, lam):
    return 0.5 * lam * np.sum(w ** 2)


def dropout_forward_in_place(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    # masks the caller's x itself: "neither pass changes its inputs"
    if not train:
        if mode == "classic":
            x *= 1 - p
        return x, DropCache(None, p, mode)
    keep = mask.copy() if mask is not None else rng.random(x.shape) >= p
    x[~keep] = 0
    if mode == "inverted":
        x /= 1 - p
    return x, DropCache(keep, p, mode)


def stopping_mutable_init():
    return SimpleNamespace(best=float("inf"), best_step=0, step=0, bad_steps=0)


def stopping_mutable_step(state, val_loss, *, patience, min_delta=0.0):
    # writes into the state it was given: "without changing state"
    state.step += 1
    if not val_loss >= state.best - min_delta and not np.isnan(val_loss):
        state.best, state.best_step, state.bad_steps = val_loss, state.step, 0
    else:
        state.bad_steps += 1
    return bool(state.bad_steps >= patience), state


NOW_WRONG = [
    ("l1", (l1_penalty_norm, l1_grad_where_like_w), "l1_grad_zeros_like"),
    ("l1", (l1_penalty_loop, l1_grad_loop_zeros_like), "l1_grad_zeros_like"),
    ("l1", (l1_penalty_float32, l1_grad_difference), "l1_penalty_float32_sum"),
    ("l2", (l2_penalty_dot, l2_grad_copy_scaled), "raised UFuncTypeError"),
    ("l2", (l2_penalty_norm_squared, l2_grad_loop_like_w), "l2_grad_zeros_like"),
    ("l2", (l2_penalty_float32, l2_grad_multiply), "l2_penalty_float32_sum"),
    ("dropout", (dropout_forward_in_place, dropout_backward_on_a_copy),
     "dropout_masks_x_in_place"),
    ("early_stopping", (stopping_mutable_init, stopping_mutable_step),
     "stopping_state_in_place"),
]


@pytest.mark.parametrize("name,pair,why", NOW_WRONG, ids=[p[1].__name__ for _, p, _ in NOW_WRONG])
def test_variants_that_break_a_promise_are_caught(name, pair, why):
    hints = {m.name: m.hint for m in GRADED[name].mistakes}
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], pair)
    if why in hints:
        assert err.value.diagnosis == hints[why], err.value
    else:
        assert why in err.value.message, err.value


@pytest.mark.parametrize("name,pair", CORRECT, ids=[p[1].__name__ for _, p in CORRECT])
def test_correct_alternative_passes(name, pair):
    check(GRADED[name], pair)


def test_every_graded_function_has_three_correct_alternatives():
    # The five mistakes per function are checked for every concept in test_catalogue.py.
    assert set(ALTERNATIVES) == set(GRADED)
    for name, impls in ALTERNATIVES.items():
        assert len(impls) >= 3, name


# ---- failure messages

# a mistake outside the catalogue may get a description of what its outputs
# show, never the hint of a catalogued mistake it does not make
_HINTS = {name: {m.hint for m in g.mistakes} for name, g in GRADED.items()}


def test_failure_names_entry_case_and_numbers():
    def grad_off_at_one_entry(w, lam):
        g = ref.l2_grad(w, lam)
        if g.ndim == 2:
            g[1, 2] += 0.01
        return g
    with pytest.raises(CheckFailure) as err:
        check(GRADED["l2"], (ref.l2_penalty, grad_off_at_one_entry))
    text = str(err.value)
    assert "at grad[1, 2]" in text and "yours" in text and "expected" in text
    assert "lam=" in text and "shape (4, 5)" in text and "w = np.array([[" in text


def test_early_stopping_failure_names_the_step():
    def forgets_best_step(state, val_loss, *, patience, min_delta=0.0):
        stop, new = ref.early_stopping_step(state, val_loss, patience=patience,
                                            min_delta=min_delta)
        return stop, new._replace(best_step=1)
    with pytest.raises(CheckFailure) as err:
        check(GRADED["early_stopping"], (ref.early_stopping_init, forgets_best_step))
    text = str(err.value)
    assert "at step 1, state.best_step: yours 1, expected 2" in text
    assert "patience=3" in text


def test_a_wrong_drop_rate_shows_the_measured_value():
    def keeps_half(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
        if train and mask is None:
            mask = rng.random(x.shape) >= 0.5
        return ref.dropout_forward(x, p, train=train, mask=mask, mode=mode)
    with pytest.raises(CheckFailure) as err:
        check(GRADED["dropout"], (keeps_half, ref.dropout_backward))
    text = str(err.value)
    assert re.search(r"drop_rate: yours 0\.(49|50)\d*, expected 0\.3", text), text
    assert "4 standard errors" in text and "rng=np.random.default_rng(" in text


def stopping_relative_delta(state, val_loss, *, patience, min_delta=0.0):
    # torch's ReduceLROnPlateau threshold: relative, not absolute
    step = state.step + 1
    if val_loss < state.best * (1 - min_delta):
        state = ref.EarlyStopping(val_loss, step, step, 0)
    else:
        state = state._replace(step=step, bad_steps=state.bad_steps + 1)
    return state.bad_steps >= patience, state


@pytest.mark.parametrize("name,impl", [
    ("l1", (ref.l1_penalty, lambda w, lam: lam * np.sign(w) + 1e-3 * w)),
    ("l2", (lambda w, lam: 0.5 * lam * np.sum(w ** 2) / w.size, ref.l2_grad)),
    ("dropout", (lambda x, p, *, train=True, rng=None, mask=None, mode="inverted":
                 ref.dropout_forward(x, p / 2, train=train, rng=rng, mask=mask, mode=mode),
                 ref.dropout_backward)),
    ("early_stopping", (ref.early_stopping_init, stopping_relative_delta)),
])
def test_unknown_mistake_is_caught_without_a_false_diagnosis(name, impl):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl)
    assert err.value.diagnosis not in _HINTS[name]


class Opaque:
    """Something that cannot cross the wire (a tensor, say)."""


def _list_out_when_drawn(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    out, cache = ref.dropout_forward(x, p, train=train, rng=rng, mask=mask, mode=mode)
    return (out.tolist() if rng is not None else out), cache


def _short_out_when_drawn(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    out, cache = ref.dropout_forward(x, p, train=train, rng=rng, mask=mask, mode=mode)
    return (out[:10] if rng is not None else out), cache


@pytest.mark.parametrize("name,bad,needle", [
    ("l1", (lambda w, lam: None, ref.l1_grad), "your penalty is None"),
    ("l1", (ref.l1_penalty, lambda w, lam: list(lam * np.sign(w))),
     "your grad should be a numpy array of shape (4, 5), got list"),
    ("l2", (lambda w, lam: 0.5 * lam * w ** 2, ref.l2_grad),
     "your penalty should be a single number, got an array of shape (4, 5)"),
    ("l2", (ref.l2_penalty, lambda w, lam: lam * w.ravel()),
     "your grad has shape (20,), expected (4, 5)"),
    ("l2", (ref.l2_penalty, lambda w, lam: np.round(lam * w).astype(int)),
     "dtype int64, expected floating-point"),
    ("dropout", (lambda x, p, **kw: ref.dropout_forward(x, p, **kw)[0], ref.dropout_backward),
     "your dropout_forward should return (out, cache), got ndarray"),
    ("dropout", (ref.dropout_forward, lambda dout, cache: 1 / 0),
     "raised ZeroDivisionError"),
    ("early_stopping", (ref.early_stopping_init,
                        lambda s, v, *, patience, min_delta=0.0: False),
     "should return (stop, state), got bool at step 0"),
    ("early_stopping", (ref.early_stopping_init,
                        lambda s, v, *, patience, min_delta=0.0: (None, s)),
     "your stop should be True or False, got NoneType at step 0"),
    ("early_stopping", (lambda: {"best": None}, ref.early_stopping_step),
     "raised AttributeError at step 0"),
    ("early_stopping", (ref.early_stopping_init,
                        lambda s, v, *, patience, min_delta=0.0: (False, s._replace(best=None))),
     "your state field 'best' should hold one number at every step, got NoneType at step 0"),
    ("early_stopping", (lambda: (math.inf, 0, 0, 0),
                        lambda s, v, *, patience, min_delta=0.0: (False, s)),
     "your state should be a NamedTuple (as in the skeleton), got tuple at step 0"),
    ("early_stopping", (lambda: {"best": math.inf, "step": 0},
                        lambda s, v, *, patience, min_delta=0.0: (False, s)),
     "your state has no field 'best_step' at step 0"),
    ("l2", (lambda w, lam: Opaque(), ref.l2_grad),
     "your penalty should be a single number, got Opaque"),
    ("dropout", (_list_out_when_drawn, ref.dropout_backward),
     "your out should be a numpy array of shape (20000,), got list"),
    ("dropout", (_short_out_when_drawn, ref.dropout_backward),
     "your out has shape (10,), expected (20000,)"),
])
def test_malformed_returns_get_a_sentence(name, bad, needle):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], bad)
    assert needle in str(err.value)
    assert "Traceback" not in str(err.value)


# ---- mistakes outside the catalogue: caught by what they compute, never misnamed

def _l2_grad_halved(w, lam):
    return 0.5 * ref.l2_grad(w, lam)


def _dropout_multiplies_keep_prob(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
    """Inverted dropout that multiplies by 1 - p where it should divide."""
    out, cache = ref.dropout_forward(x, p, train=train, rng=rng, mask=mask, mode=mode)
    if not train or mode != "inverted":
        return out, cache
    factor = (1 - p) ** 2  # undo the reference's 1 / (1 - p), apply (1 - p)
    return out * factor, cache._replace(scale=cache.scale * factor)


def _stopping_tracks_last_loss(state, val_loss, *, patience, min_delta=0.0):
    stop, new = ref.early_stopping_step(state, val_loss, patience=patience,
                                        min_delta=min_delta)
    return stop, new._replace(best=float(val_loss))


UNCATALOGUED = [
    ("l2", (ref.l2_penalty, _l2_grad_halved)),
    ("dropout", (_dropout_multiplies_keep_prob, ref.dropout_backward)),
    ("early_stopping", (ref.early_stopping_init, _stopping_tracks_last_loss)),
]


@pytest.mark.parametrize("name,pair", UNCATALOGUED, ids=[n for n, _ in UNCATALOGUED])
def test_uncatalogued_mistake_is_caught_without_a_false_diagnosis(name, pair):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], pair)
    assert err.value.diagnosis not in _HINTS[name], err.value.diagnosis
    assert "yours" in err.value.message and "expected" in err.value.message
