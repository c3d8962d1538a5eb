"""The schedule and reduce-on-plateau checks: every catalogued mistake is
caught and named, every correct alternative passes, failures say where,
and impure or non-monotone schedules get a sentence of their own."""
from __future__ import annotations

import functools
import itertools
import math
import operator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

from autograder.judge import annealing as A
from autograder.judge.compare import relative_errors
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from autograder.judge.annealing import GRADED
from solutions import annealing as ref

SCHEDULES = ["step_decay", "exponential_decay", "inverse_time_decay", "cosine",
             "warmup_cosine"]
GRIDS = {"step_decay": A.STEP_GRIDS, "exponential_decay": A.EXP_GRIDS,
         "inverse_time_decay": A.INV_GRIDS, "cosine": A.COS_GRIDS,
         "warmup_cosine": A.WARM_GRIDS}
MUTANTS = [(name, m) for name, g in GRADED.items() for m in g.mistakes]


# ---- the catalogue itself: mutants far from the reference and from each other

def _outputs(name, impl) -> list[np.ndarray]:
    """Raw outputs of ``impl`` on every case, bypassing the case's own checks."""
    if name in GRIDS:
        return [np.array([float(impl(t, **g.hyper)) for t in g.ts]) for g in GRIDS[name]]
    return [np.concatenate(list(case.run(impl).values())) for case in GRADED[name].cases()]


def _largest_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(relative_errors(x, y, 1e-12).max()) for x, y in zip(a, b))


@pytest.mark.parametrize("name", list(GRADED))
def test_mutants_differ_from_reference_and_each_other(name):
    graded = GRADED[name]
    expected = _outputs(name, graded.reference)
    outs = {m.name: _outputs(name, m.impl) for m in graded.mistakes}
    for m, out in outs.items():
        assert _largest_difference(out, expected) > 1e-3, m
    for (m1, o1), (m2, o2) in itertools.combinations(outs.items(), 2):
        assert _largest_difference(o1, o2) > 1e-3, (m1, m2)


def test_every_graded_function_has_three_correct_alternatives():
    # The five mistakes per function are checked for every concept in test_catalogue.py.
    assert set(ALTERNATIVES) == set(GRADED)
    for name, impls in ALTERNATIVES.items():
        assert len(impls) >= 3, name


def test_grids_hold_every_boundary_and_its_neighbours():
    for g in A.STEP_GRIDS:
        every = g.hyper["every"]
        assert {0, every - 1, every, every + 1, 2 * every} <= set(g.ts)
    for g in A.COS_GRIDS:
        total = g.hyper["total"]
        assert {0, total - 1, total, total + 1, total + 2} <= set(g.ts)
    for g in A.WARM_GRIDS:
        w, total = g.hyper["warmup"], g.hyper["total"]
        assert {0, w - 1, w, w + 1, total - 1, total, total + 1} <= set(g.ts)
    for name in SCHEDULES:
        for g in GRIDS[name]:
            assert g.ts == list(range(len(g.ts)))  # the index along "t" is t


# ---- correct alternatives: other code, same mathematics

def step_numpy(t, *, lr0, drop, every):
    return lr0 * np.power(drop, np.floor(t / every))


def step_loop(t, *, lr0, drop, every):
    lr = lr0
    for s in range(1, t + 1):
        if s % every == 0:
            lr *= drop
    return lr


def _blocks(t, *, lr0, drop, every, count):
    return lr0 * drop ** count(t, every)


step_partial = functools.partial(_blocks, count=operator.floordiv)


def step_exp_log(t, *, lr0, drop, every):
    return lr0 * math.exp(t // every * math.log(drop))


def exp_numpy(t, *, lr0, k):
    return np.exp(-k * t) * lr0


def exp_power(t, *, lr0, k):
    return lr0 * math.exp(-k) ** t


def exp_loop(t, *, lr0, k):
    lr = lr0
    for _ in range(t):
        lr *= math.exp(-k)
    return lr


def _base_decay(t, *, lr0, k, base):
    return lr0 * base ** (-k * t)


exp_partial = functools.partial(_base_decay, base=math.e)


def inv_reciprocal(t, *, lr0, k):
    return lr0 * (1.0 / (1.0 + k * t))


def _polynomial(t, *, lr0, k, alpha):
    return lr0 * (k * t + 1) ** -alpha


inv_partial = functools.partial(_polynomial, alpha=1.0)


def inv_numpy(t, *, lr0, k):
    return np.divide(lr0, np.add(1, np.multiply(k, t)))


def inv_fraction(t, *, lr0, k):
    return lr0 / k / (1 / k + t)


def cos_sin_squared(t, *, lr0, total, lr_min=0.0):
    return lr_min + (lr0 - lr_min) * (1 - math.sin(math.pi * min(t, total) / (2 * total)) ** 2)


def cos_numpy_clip(t, *, lr0, total, lr_min=0.0):
    phase = np.pi * np.clip(t, 0, total) / total
    return lr_min + 0.5 * (lr0 - lr_min) * (1 + np.cos(phase))


def cos_table(t, *, lr0, total, lr_min=0.0):
    table = []
    for s in range(total + 1):
        table.append(lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * s / total)) / 2)
    return table[min(t, total)]


def _warm_then_cosine(t, *, lr0, total, lr_min=0.0, warmup):
    if t < warmup:
        return lr0 * t / warmup
    s, n = min(t, total) - warmup, total - warmup
    return lr_min + (lr0 - lr_min) * math.cos(math.pi * s / (2 * n)) ** 2


cos_partial = functools.partial(_warm_then_cosine, warmup=0)


def warm_piecewise(t, *, lr0, warmup, total, lr_min=0.0):
    if t < warmup:
        return lr0 * t / warmup
    if t >= total:
        return lr_min
    return lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * (t - warmup) / (total - warmup))) / 2


def warm_product(t, *, lr0, warmup, total, lr_min=0.0):
    # (cosine factor) * (warm-up factor): the first is 1 during the warm-up,
    # the second is 1 after it.
    progress = min(max((t - warmup) / (total - warmup), 0.0), 1.0)
    decay = lr_min + (lr0 - lr_min) * (1 + math.cos(math.pi * progress)) / 2
    return decay * min(1.0, t / warmup)


def warm_interp(t, *, lr0, warmup, total, lr_min=0.0):
    if t <= warmup:
        return float(np.interp(t, [0, warmup], [0.0, lr0]))
    return cos_sin_squared(t - warmup, lr0=lr0, total=total - warmup, lr_min=lr_min)


def _ramp_then(t, *, lr0, warmup, total, lr_min=0.0, decay):
    if t < warmup:
        return lr0 * (t / warmup)
    return decay(t - warmup, lr0=lr0, total=total - warmup, lr_min=lr_min)


warm_partial = functools.partial(_ramp_then, decay=cos_numpy_clip)


# plateau: three state formats, one rule

def plateau_dict_init(lr):
    return {"lr": lr, "best": None, "bad_epochs": 0, "cooldown_left": 0}


def plateau_dict_step(state, metric, *, mode="min", factor=0.1, patience=10,
                      threshold=1e-4, cooldown=0, min_lr=0.0):
    s = dict(state)
    best = s["best"]
    if best is None:
        better = True
    elif mode == "min":
        better = metric < best - best * threshold
    else:
        better = metric > best + best * threshold
    s["best"], s["bad_epochs"] = (metric, 0) if better else (best, s["bad_epochs"] + 1)
    if s["cooldown_left"]:
        s["cooldown_left"] -= 1
        s["bad_epochs"] = 0
    if s["bad_epochs"] > patience:
        new = max(s["lr"] * factor, min_lr)
        if s["lr"] - new > 1e-8:
            s["lr"] = new
        s["bad_epochs"], s["cooldown_left"] = 0, cooldown
    return s


@dataclass
class Plateau:  # a mutable state updated in place
    lr: float
    best: float
    bad_epochs: int = 0
    cooldown_left: int = 0


def plateau_inplace_init(lr):
    return Plateau(lr, math.nan)  # nan: nothing seen yet


def plateau_inplace_step(state, metric, *, mode="min", factor=0.1, patience=10,
                         threshold=1e-4, cooldown=0, min_lr=0.0):
    sign = 1 if mode == "min" else -1
    scale = 1 - sign * threshold
    if math.isnan(state.best) or sign * metric < sign * state.best * scale:
        state.best, state.bad_epochs = metric, 0
    else:
        state.bad_epochs += 1
    if state.cooldown_left > 0:
        state.cooldown_left -= 1
        state.bad_epochs = 0
    if state.bad_epochs > patience:
        lower = max(state.lr * factor, min_lr)
        state.lr = lower if state.lr - lower > 1e-8 else state.lr
        state.bad_epochs, state.cooldown_left = 0, cooldown
    return state


class MyPlateau(NamedTuple):  # a student's own NamedTuple, fields reordered
    best: float | None
    lr: float
    cooldown_left: int
    bad_epochs: int


def plateau_tuple_init(lr):
    return MyPlateau(None, lr, 0, 0)


def plateau_tuple_step(state, metric, **hyper):
    lr, best, bad, cool = ref.plateau_step(
        ref.PlateauState(state.lr, state.best, state.bad_epochs, state.cooldown_left),
        metric, **hyper)
    return MyPlateau(best, lr, cool, bad)


def plateau_positional_step(state, metric, **hyper):
    return tuple(ref.plateau_step(ref.PlateauState(*state), metric, **hyper))


ALTERNATIVES = {
    "step_decay": [step_numpy, step_loop, step_partial, step_exp_log],
    "exponential_decay": [exp_numpy, exp_power, exp_loop, exp_partial],
    "inverse_time_decay": [inv_reciprocal, inv_partial, inv_numpy, inv_fraction],
    "cosine": [cos_sin_squared, cos_numpy_clip, cos_table, cos_partial],
    "warmup_cosine": [warm_piecewise, warm_product, warm_interp, warm_partial],
    "plateau": [(plateau_dict_init, plateau_dict_step),
                (plateau_inplace_init, plateau_inplace_step),
                (plateau_tuple_init, plateau_tuple_step),
                (lambda lr: (lr, None, 0, 0), plateau_positional_step)],
}
CORRECT = [(name, f) for name, fs in ALTERNATIVES.items() for f in fs]


def _id(f) -> str:
    f = f[1] if isinstance(f, tuple) else f
    return getattr(f, "__name__", None) or f.func.__name__ + "_partial"


@pytest.mark.parametrize("name,impl", CORRECT, ids=[_id(f) for _, f in CORRECT])
def test_correct_alternative_passes(name, impl):
    check(GRADED[name], impl)


# ---- what a failure says

def _failure(name, impl) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl)
    return err.value


def test_failure_names_t_and_numbers():
    def late_drop(t, *, lr0, drop, every):  # right until the second drop
        return lr0 * drop ** min(t // every, 1)
    text = str(_failure("step_decay", late_drop))
    assert "at t 10, lr: yours 0.15, expected 0.075" in text
    assert "relative error 5.0e-01" in text
    assert "step_decay, t = 0..16, lr0=0.3, drop=0.5, every=5" in text


def test_plateau_failure_names_step_field_and_numbers():
    def forgets_best(state, metric, **hyper):  # lr right, best wrong
        new = ref.plateau_step(state, metric, **hyper)
        return new._replace(best=metric)
    fail = _failure("plateau", (ref.plateau_init, forgets_best))
    assert "at step 2, best: yours 3.98, expected 4" in fail.message
    assert "plateau_step" in fail.message and "patience=2" in fail.message


def test_uncatalogued_mistake_is_caught_without_a_false_diagnosis():
    def slightly_low(t, *, lr0, total, lr_min=0.0):
        return 0.999 * ref.cosine(t, lr0=lr0, total=total, lr_min=lr_min)
    fail = _failure("cosine", slightly_low)
    assert fail.diagnosis is None and "at t 0" in fail.message

    def factor_squared(state, metric, *, factor=0.1, **hyper):
        return ref.plateau_step(state, metric, factor=factor**2, **hyper)
    fail = _failure("plateau", (ref.plateau_init, factor_squared))
    assert fail.diagnosis is None and "at step " in fail.message


# ---- purity and shape

def test_a_schedule_with_a_counter_is_not_pure():
    calls = itertools.count()

    def counting(t, *, lr0, drop, every):  # right when called for 0, 1, 2, ...
        return lr0 * drop ** (next(calls) // every)
    fail = _failure("step_decay", counting)
    assert fail.message.startswith("your step_decay is not a pure function of t: ")
    assert "reverse order" in fail.message and "counter" in fail.message


def test_a_recursive_schedule_like_torch_is_not_pure():
    memory = {}

    def recursive(t, *, lr0, k):  # multiplies the last rate, as a scheduler does
        lr = memory.get("lr", lr0) * (math.exp(-k) if memory else 1.0)
        memory["lr"] = lr
        return lr
    assert "is not a pure function of t" in _failure("exponential_decay", recursive).message


def test_a_memoized_schedule_is_pure():
    check(GRADED["cosine"], functools.lru_cache(maxsize=None)(ref.cosine))


def test_a_rising_decay_gets_its_own_sentence():
    def resets_at_7(t, *, lr0, drop, every):  # plausible values, wrong order
        return lr0 if t == 7 else ref.step_decay(t, lr0=lr0, drop=drop, every=every)
    fail = _failure("step_decay", resets_at_7)
    assert fail.message.startswith(
        "your step_decay is not non-increasing: it rises from 0.15 at t=6 to 0.3 "
        "at t=7, and a decaying rate never rises")
    assert "first wrong value: relative error 5.0e-01 at t 7" in fail.message
    assert fail.diagnosis is None


def test_a_falling_warmup_gets_its_own_sentence():
    def dips(t, *, lr0, warmup, total, lr_min=0.0):
        lr = ref.warmup_cosine(t, lr0=lr0, warmup=warmup, total=total, lr_min=lr_min)
        return 0.0 if t == 2 else lr
    fail = _failure("warmup_cosine", dips)
    assert "is not non-decreasing during the warm-up: it falls from 0.025 at t=1" in fail.message


def test_the_unclamped_cosine_gets_the_sentence_and_the_diagnosis():
    mistake = next(m for m in GRADED["cosine"].mistakes if m.name == "cos_not_clamped")
    fail = _failure("cosine", mistake.impl)
    assert "rises from 0.001 at t=10" in fail.message
    assert fail.diagnosis == mistake.hint


def test_implausible_rates_are_compared_not_called_rising():
    fail = _failure("exponential_decay", lambda t, *, lr0, k: lr0 * math.exp(k * t))
    assert fail.message.startswith("relative error") and "at t 1" in fail.message


# ---- malformed answers get a sentence, not a traceback

@pytest.mark.parametrize("bad,needle", [
    (lambda t, *, lr0, k: None, "returned None at t=0"),
    (lambda t, *, lr0, k: [lr0], "should return a single number, got list at t=0"),
    (lambda t, *, lr0, k: np.full(2, lr0), "got an array of shape (2,) at t=0"),
    (lambda t, *, lr0, k: np.float32(lr0), "returned a float32 at t=0"),
    (lambda t, *, lr0, k: lr0 / (k * t), "raised ZeroDivisionError: float division "
                                         "by zero at t=0"),
    (lambda t, *, lr0, rate: lr0, "raised TypeError"),
    (None, "should be a function of t, got NoneType"),
])
def test_malformed_schedules_get_a_sentence(bad, needle):
    fail = _failure("exponential_decay", bad)
    assert needle in str(fail)
    assert "Traceback" not in str(fail)


def test_a_zero_dimensional_array_is_a_number():
    check(GRADED["inverse_time_decay"], lambda t, *, lr0, k: np.array(lr0 / (1 + k * t)))


@pytest.mark.parametrize("impl,needle", [
    (ref.plateau_step, "graded as the pair (plateau_init, plateau_step)"),
    ((ref.plateau_init, lambda s, m, **h: None), "plateau_step returned None at step 0"),
    ((ref.plateau_init, lambda s, m, **h: {"lr": s.lr}),
     "without the field 'best' at step 0"),
    ((ref.plateau_init, lambda s, m, **h: s), "best of the state from your "
                                              "plateau_step is None at step 0"),
    ((lambda lr: 1 / 0, ref.plateau_step), "plateau_init raised ZeroDivisionError"),
    ((ref.plateau_init, lambda s, m, mode: s), "plateau_step raised TypeError"),
])
def test_malformed_plateau_gets_a_sentence(impl, needle):
    assert needle in str(_failure("plateau", impl))


def test_plateau_state_is_checked_not_only_lr():
    def cooldown_off_by_one(state, metric, **hyper):
        new = ref.plateau_step(state, metric, **hyper)
        return new._replace(cooldown_left=new.cooldown_left * 2)
    fail = _failure("plateau", (ref.plateau_init, cooldown_off_by_one))
    assert "cooldown_left" in fail.message
