"""The update-rule checks: every catalogued mistake is caught and named,
every correct alternative passes, and failures say where."""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pytest

from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from autograder.judge.update_rules import GRADED
from solutions import update_rules as ref

MUTANTS = [(rule, m) for rule, g in GRADED.items() for m in g.mistakes]
HINTS = {m.hint for _, m in MUTANTS}


# ---- correct alternatives: other code, same mathematics. Each holds to the
# text's contracts too: the inputs are left as they were, w may be a matrix,
# float32 stays float32 and integer inputs give float64 results.


class MyAdam(NamedTuple):  # a student's own state class with the same fields
    t: int
    m: np.ndarray
    v: np.ndarray


def _float_copy(w):
    """A float copy of w, float32 kept (a student's version of _floats(w).copy())."""
    return np.array(w, dtype=np.result_type(w, 1.0))


def adam_on_copies(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    # in place, but only on its own copies
    t, m, v = state
    g = g + weight_decay * w
    m, v, w = m.copy(), v.copy(), _float_copy(w)
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g**2
    t += 1
    w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return w, MyAdam(t, m, v)


def adam_step_size_form(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    # PyTorch's arrangement: lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps); math.sqrt
    # of the Python number keeps float32 (np.sqrt would make it a numpy float64)
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    return (w - (lr / bc1) * m / (np.sqrt(v) / math.sqrt(bc2) + eps),
            state._replace(t=t, m=m, v=v))


def adam_loop(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    # entry by entry, for any shape
    t = state.t + 1
    w, m, v = _float_copy(w), state.m.copy(), state.v.copy()
    for i in np.ndindex(w.shape):
        gi = g[i] + weight_decay * w[i]
        m[i] = b1 * m[i] + (1 - b1) * gi
        v[i] = b2 * v[i] + (1 - b2) * gi * gi
        w[i] -= lr * m[i] / (1 - b1**t) / (np.sqrt(v[i] / (1 - b2**t)) + eps)
    return w, type(state)(t, m, v)


def adamw_on_copies(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
    w = _float_copy(w)
    w *= 1 - lr * weight_decay
    return adam_on_copies(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)


def adamw_loop(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
    return adam_loop(w - lr * weight_decay * w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)


def adamw_step_size_form(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
    return adam_step_size_form(w * (1 - lr * weight_decay), g, state, lr=lr, b1=b1, b2=b2, eps=eps)


def sgd_on_a_copy(w, g, state, *, lr):
    w = _float_copy(w)
    w -= lr * g
    return w, state


def sgd_loop(w, g, state, *, lr):
    return np.array([wi - lr * gi for wi, gi in zip(w, g)]), state


def sgd_negated(w, g, state, *, lr):
    return -(lr * g - w), state


def momentum_on_copies(w, g, state, *, lr, mu=0.9):
    v = state.v.copy()
    v *= mu
    v -= lr * g
    return w + v, state._replace(v=v)


def momentum_list(w, g, state, *, lr, mu=0.9):
    v = np.array([mu * vi - lr * gi for vi, gi in zip(state.v, g)])
    return w + v, state._replace(v=v)


def momentum_expanded(w, g, state, *, lr, mu=0.9):
    return w + mu * state.v - lr * g, state._replace(v=mu * state.v - lr * g)


def nesterov_expanded(w, g, state, *, lr, mu=0.9):
    v = mu * state.v - lr * g
    return w + v + mu * (v - state.v), state._replace(v=v)


def nesterov_on_copies(w, g, state, *, lr, mu=0.9):
    v = state.v * mu
    v -= lr * g
    w_next = w - mu * state.v
    w_next += (1 + mu) * v
    return w_next, state._replace(v=v)


def nesterov_gradient_form(w, g, state, *, lr, mu=0.9):
    # w_next = w - mu^2 v_prev... written as the look-ahead of the new velocity
    v = mu * state.v - lr * g
    return w + mu * mu * state.v - (1 + mu) * lr * g, state._replace(v=v)


def adagrad_on_copies(w, g, state, *, lr, eps=1e-8):
    cache = state.cache.copy()
    cache += g * g
    return w - lr * g / (np.sqrt(cache) + eps), state._replace(cache=cache)


def adagrad_power(w, g, state, *, lr, eps=1e-8):
    cache = state.cache + np.square(g)
    return w - lr * g / (cache**0.5 + eps), state._replace(cache=cache)


def adagrad_loop(w, g, state, *, lr, eps=1e-8):
    cache, w = state.cache.copy(), _float_copy(w)
    for i in np.ndindex(w.shape):
        cache[i] += g[i] ** 2
        w[i] -= lr * g[i] / (cache[i] ** 0.5 + eps)
    return w, state._replace(cache=cache)


def rmsprop_lerp(w, g, state, *, lr, decay=0.99, eps=1e-8):
    cache = state.cache + (1 - decay) * (g * g - state.cache)
    return w - lr * g / (np.sqrt(cache) + eps), state._replace(cache=cache)


def rmsprop_on_copies(w, g, state, *, lr, decay=0.99, eps=1e-8):
    cache = decay * state.cache
    cache += (1 - decay) * g**2
    return w - lr * g / (np.sqrt(cache) + eps), state._replace(cache=cache)


def rmsprop_loop(w, g, state, *, lr, decay=0.99, eps=1e-8):
    cache = np.array([decay * c + (1 - decay) * gi * gi for c, gi in zip(state.cache, g)])
    return w - lr * g / (np.sqrt(cache) + eps), state._replace(cache=cache)


def _my_adam_init(w):
    z = np.zeros(np.shape(w), dtype=np.result_type(w, 1.0))
    return MyAdam(0, z, z.copy())


ALTERNATIVES = {
    "sgd": [sgd_on_a_copy, sgd_loop, sgd_negated],
    "momentum": [momentum_on_copies, momentum_list, momentum_expanded],
    "nesterov": [nesterov_expanded, nesterov_on_copies, nesterov_gradient_form],
    "adagrad": [adagrad_on_copies, adagrad_power, adagrad_loop],
    "rmsprop": [rmsprop_lerp, rmsprop_on_copies, rmsprop_loop],
    "adam": [adam_on_copies, adam_step_size_form, adam_loop],
    "adamw": [adamw_on_copies, adamw_loop, adamw_step_size_form],
}
CORRECT = [(rule, f) for rule, fs in ALTERNATIVES.items() for f in fs]


# ---- alternatives that were counted correct before the checks held rules to
# the text's contracts, and the contract each breaks: moved here from the
# correct ones (the text says "without changing its inputs", w of any shape,
# integer inputs allowed, float32 kept).

def _ruled_out_in_place(rule):
    # w and the state's arrays updated in place: the caller's arrays change
    return next(m.impl[1] for m in GRADED[rule].mistakes if m.name == f"{rule}_in_place")


def _adagrad_loop_flat(w, g, state, *, lr, eps=1e-8):
    # w[i] for i < w.size: an IndexError for a matrix w; w.copy() of an integer
    # w keeps its dtype and cuts the step to a whole number
    cache, w = state.cache.copy(), w.copy()
    for i in range(w.size):
        cache[i] += g[i] ** 2
        w[i] -= lr * g[i] / (cache[i] ** 0.5 + eps)
    return w, state._replace(cache=cache)


def _adam_loop_flat(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    # the same two faults as _adagrad_loop_flat
    t = state.t + 1
    w, m, v = w.copy(), state.m.copy(), state.v.copy()
    for i in range(w.size):
        gi = g[i] + weight_decay * w[i]
        m[i] = b1 * m[i] + (1 - b1) * gi
        v[i] = b2 * v[i] + (1 - b2) * gi * gi
        w[i] -= lr * m[i] / (1 - b1**t) / (np.sqrt(v[i] / (1 - b2**t)) + eps)
    return w, type(state)(t, m, v)


def _adamw_loop_flat(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
    return _adam_loop_flat(w - lr * weight_decay * w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)


def _adam_step_size_np_sqrt(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8,
                            weight_decay=0.0):
    # np.sqrt of a Python number is a numpy float64: float32 w comes back float64
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    return (w - (lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps),
            state._replace(t=t, m=m, v=v))


RULED_OUT = [(rule, _ruled_out_in_place(rule), "in place") for rule in ALTERNATIVES] + [
    ("adagrad", _adagrad_loop_flat, "raised IndexError at step 0"),
    ("adam", _adam_loop_flat, "raised IndexError at step 0"),
    ("adamw", _adamw_loop_flat, "raised IndexError at step 0"),
    ("adam", _adam_step_size_np_sqrt, "returned w as float64 at step 0"),
]


@pytest.mark.parametrize("rule,step,needle", RULED_OUT,
                         ids=[f"{r}:{f.__name__}" for r, f, _ in RULED_OUT])
def test_alternatives_the_contracts_rule_out_fail(rule, step, needle):
    init = _my_adam_init if rule.startswith("adam") else getattr(ref, f"{rule}_init")
    with pytest.raises(CheckFailure) as err:
        check(GRADED[rule], (init, step))
    assert needle in err.value.message, err.value.message


@pytest.mark.parametrize("rule,step", CORRECT, ids=[f.__name__ for _, f in CORRECT])
def test_correct_alternative_passes(rule, step):
    init = _my_adam_init if rule.startswith("adam") else getattr(ref, f"{rule}_init")
    check(GRADED[rule], (init, step))


def test_every_graded_function_has_three_correct_alternatives():
    # The five mistakes per function are checked for every concept in test_catalogue.py.
    assert set(ALTERNATIVES) == set(GRADED)
    for name, impls in ALTERNATIVES.items():
        assert len(impls) >= 3, name


def test_failure_names_step_entry_and_numbers():
    def late_bug(w, g, state, *, lr, mu=0.9):  # right until the velocity is large
        w, state = ref.momentum_step(w, g, state, lr=lr, mu=mu)
        return (w + 1e-3 if np.linalg.norm(g) < 1.0 else w), state
    with pytest.raises(CheckFailure) as err:
        check(GRADED["momentum"], (ref.momentum_init, late_bug))
    text = str(err.value)
    assert "at step " in text and "yours" in text and "expected" in text
    assert "momentum_step" in text and "mu=" in text


def test_unknown_mistake_is_caught_without_a_false_diagnosis():
    def off_by_a_bit(w, g, state, *, lr, decay=0.99, eps=1e-8):
        w, state = ref.rmsprop_step(w, g, state, lr=lr, decay=decay, eps=eps)
        return w * (1 + 1e-4), state
    with pytest.raises(CheckFailure) as err:
        check(GRADED["rmsprop"], (ref.rmsprop_init, off_by_a_bit))
    assert err.value.diagnosis not in HINTS


@pytest.mark.parametrize("bad,needle", [
    (lambda w, g, s, *, lr: w - lr * g, "should return (w, state)"),
    (lambda w, g, s, *, lr: (list(w - lr * g), s), "returned w of list"),
    (lambda w, g, s, *, lr: ((w - lr * g)[:1], s), "returned w of (1,)"),
    (lambda w, g, s, *, lr: 1 / 0, "raised ZeroDivisionError at step 0"),
])
def test_malformed_steps_get_a_sentence(bad, needle):
    with pytest.raises(CheckFailure, match=None) as err:
        check(GRADED["sgd"], (ref.sgd_init, bad))
    assert needle in str(err.value)


def test_state_is_checked_not_only_w():
    def forgets_state(w, g, state, *, lr, eps=1e-8):
        w, new = ref.adagrad_step(w, g, state, lr=lr, eps=eps)
        return w, state._replace(cache=new.cache * 2)  # w right on step 0 only
    with pytest.raises(CheckFailure, match="state.cache"):
        check(GRADED["adagrad"], (ref.adagrad_init, forgets_state))


# ---- mistakes outside the catalogue: caught by what they compute, never misnamed

def _adagrad_cache_starts_at_one(w):
    return ref.AdagradState(np.ones(np.shape(w)))


def _adam_t_twice(w, g, state, **hyper):
    """Bias correction with t + 1: the step counter runs one ahead."""
    w, new = ref.adam_step(w, g, state._replace(t=state.t + 1), **hyper)
    return w, new._replace(t=new.t - 1)


def _rmsprop_state_not_returned(w, g, state, **hyper):
    w, _ = ref.rmsprop_step(w, g, state, **hyper)
    return w, state


def _momentum_velocity_clipped(w, g, state, *, lr, mu=0.9):
    w_next, new = ref.momentum_step(w, g, state, lr=lr, mu=mu)
    v = np.clip(new.v, -0.05, 0.05)
    return w + v, new._replace(v=v)


UNCATALOGUED = [
    ("adagrad", (_adagrad_cache_starts_at_one, ref.adagrad_step)),
    ("adam", (ref.adam_init, _adam_t_twice)),
    ("rmsprop", (ref.rmsprop_init, _rmsprop_state_not_returned)),
    ("momentum", (ref.momentum_init, _momentum_velocity_clipped)),
]


@pytest.mark.parametrize("rule,pair", UNCATALOGUED, ids=[r for r, _ in UNCATALOGUED])
def test_uncatalogued_mistake_is_caught_without_a_false_diagnosis(rule, pair):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[rule], pair)
    # a description of what the outputs have in common with the expected ones
    # may come; a catalogued mistake's name may not
    assert err.value.diagnosis not in HINTS, err.value.diagnosis
    assert "yours" in err.value.message and "expected" in err.value.message


def test_a_dataclass_state_with_the_skeletons_fields_is_accepted():
    """A student's own record (a dataclass) instead of the NamedTuple works
    too, mid-run starts included."""
    import dataclasses

    @dataclasses.dataclass(frozen=True)
    class Velocity:
        v: np.ndarray

    def init(w):
        return Velocity(np.zeros_like(w))

    def step(w, g, state, *, lr, mu=0.9):
        v = mu * state.v - lr * g
        return w + v, Velocity(v)
    check(GRADED["momentum"], (init, step))
