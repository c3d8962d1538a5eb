"""The schedule and reduce-on-plateau checks: every catalogued mistake is
caught and named, every correct alternative passes, failures say where,
and impure or non-monotone schedules get a sentence of their own. Cases
are drawn from a seed: the tests read each case's numbers from its args."""
from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import operator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pytest

from autograder.driver import calls
from autograder.judge.annealing import GRADED, PLATEAU_FIELDS, PLATEAU_SCRIPTS
from autograder.judge.compare import relative_errors
from autograder.judge.core import Raised, check, run_local
from autograder.judge.feedback import CheckFailure, fmt_number
from solutions import annealing as ref

SEEDS = (0, 1, 2)
SCHEDULES = ["step_decay", "exponential_decay", "inverse_time_decay", "cosine",
             "with_warmup", "warmup_cosine"]
HINTS = {m.hint for g in GRADED.values() for m in g.mistakes}


def _hyper(name, n=0, seed=0) -> dict:
    return GRADED[name].cases(seed)[n].args["hyper"]


# ---- the catalogue itself: mutants far from the reference and from each other

def _outputs(name, impl, seed) -> list[np.ndarray]:
    """Raw outputs of ``impl`` on every case, before the cases' own rules (a
    case on which it raises, such as k = 0 for a half-life, as NaN)."""
    out = []
    for case in GRADED[name].cases(seed):
        raw = run_local(case, impl)
        if isinstance(raw, Raised):
            out.append(np.array([np.nan]))
            continue
        out.append(np.concatenate([np.asarray(v, dtype=float) for k, v in raw.items()
                                   if k not in case.measured]))
    return out


def _largest_difference(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return max(float(relative_errors(x, y, 1e-12).max()) for x, y in zip(a, b))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(GRADED))
def test_mutants_differ_from_reference_and_each_other(name, seed):
    graded = GRADED[name]
    expected = _outputs(name, graded.reference, seed)
    outs = {m.name: _outputs(name, m.impl, seed) for m in graded.mistakes}
    for m, out in outs.items():
        assert _largest_difference(out, expected) > 1e-3, m
    for (m1, o1), (m2, o2) in itertools.combinations(outs.items(), 2):
        assert _largest_difference(o1, o2) > 1e-3, (m1, m2)


def test_every_graded_function_has_three_correct_alternatives():
    # The five mistakes per function are checked for every concept in test_catalogue.py.
    assert set(ALTERNATIVES) == set(GRADED)
    for name, impls in ALTERNATIVES.items():
        assert len(impls) >= 3, name


# ---- cases: fixed boundaries, numbers from the seed

def _structure(name, seed):
    """What each case fixes: its range and boundaries, and the shuffle's set."""
    out = []
    for case in GRADED[name].cases(seed):
        a = case.args
        fixed = {k: v for k, v in a["hyper"].items()
                 if k in ("every", "total", "warmup")}
        out.append((a["end"], fixed, sorted(a["shuffled"])))
    return out


@pytest.mark.parametrize("seed", SEEDS)
def test_cases_hold_every_boundary_and_its_neighbours(seed):
    for case in GRADED["step_decay"].cases(seed):
        every, ts = case.args["hyper"]["every"], set(range(case.args["end"] + 1))
        assert {0, every - 1, every, every + 1, 2 * every, 3 * every} <= ts
    for case in GRADED["cosine"].cases(seed):
        total, ts = case.args["hyper"]["total"], set(range(case.args["end"] + 1))
        assert {0, total - 1, total, total + 1, total + 2} <= ts
    for case in GRADED["warmup_cosine"].cases(seed):
        h, ts = case.args["hyper"], set(range(case.args["end"] + 1))
        w, total = h["warmup"], h["total"]
        assert {0, w - 1, w, w + 1, total - 1, total, total + 1} <= ts
    for case in GRADED["inverse_time_decay"].cases(seed)[2:3]:
        assert case.args["hyper"]["k"] * case.args["end"] > 1  # 1 - k t turns negative
    for name in ("exponential_decay", "inverse_time_decay"):  # the edge k = 0
        assert [c.args["hyper"]["k"] for c in GRADED[name].cases(seed)][-1] == 0.0
    for case in GRADED["with_warmup"].cases(seed):
        w, ts = case.args["hyper"]["warmup"], set(range(case.args["end"] + 1))
        assert {0, w, w + 1, w + 2} <= ts and (w == 0 or w - 1 in ts)
    for name in SCHEDULES:
        for case in GRADED[name].cases(seed):
            assert sorted(case.args["shuffled"]) == list(range(case.args["end"] + 1))
            assert case.args["shuffled"] != sorted(case.args["shuffled"])


def test_the_seed_draws_numbers_and_keeps_boundaries():
    for name in SCHEDULES:
        assert _structure(name, 1) == _structure(name, 0) == _structure(name, 2)
        drawn = [[c.args["hyper"] for c in GRADED[name].cases(s)] for s in SEEDS]
        assert drawn[0] != drawn[1] != drawn[2]
    plateau = [[c.args for c in GRADED["plateau"].cases(s)] for s in SEEDS]
    for a, b in itertools.combinations(plateau, 2):
        for x, y in zip(a, b):
            assert x != y and len(x["metrics"]) == len(y["metrics"])
            assert {k: v for k, v in x["hyper"].items() if k not in ("factor", "min_lr")} \
                == {k: v for k, v in y["hyper"].items() if k not in ("factor", "min_lr")}


@pytest.mark.parametrize("seed", SEEDS)
def test_plateau_scripts_keep_their_shape(seed):
    """Whatever the seed: the same epochs improve and the same epochs cut
    the rate, and a cut meets min_lr in the scripts in mode "min"."""
    base = [run_local(c, GRADED["plateau"].reference) for c in GRADED["plateau"].cases(0)]
    for case, want, script in zip(GRADED["plateau"].cases(seed), base, PLATEAU_SCRIPTS):
        got = run_local(case, GRADED["plateau"].reference)
        assert got["bad_epochs"] == want["bad_epochs"]
        assert got["cooldown_left"] == want["cooldown_left"]
        lr, min_lr = np.array(got["lr"]), case.args["hyper"]["min_lr"]
        if script.clamped_at:
            assert case.args["hyper"]["mode"] == "min"
            assert lr[-1] == min_lr and np.sum(lr == min_lr) >= 2
        else:
            assert lr.min() > min_lr


def test_labels_state_the_numbers():
    for name in SCHEDULES:
        for case in GRADED[name].cases(0):
            for k, v in case.args["hyper"].items():
                assert f"{k}={v:g}" in case.label and float(f"{v:g}") == v
    for case in GRADED["plateau"].cases(0):
        listed = case.label.split("; metrics ", 1)[1].split(";")[0].split(", ")
        assert len(listed) == len(case.args["metrics"])
        for shown, metric in zip(listed, case.args["metrics"]):
            assert float(shown) == metric or math.isnan(metric) and shown == "nan"
        assert f"min_lr={case.args['hyper']['min_lr']:g}" in case.label


# ---- the call: plain data out, the orders it is given

def test_the_schedule_call_asks_in_the_three_orders():
    asked = []

    def recording(t, *, lr0, k):
        asked.append(t)
        return ref.exponential_decay(t, lr0=lr0, k=k)
    case = GRADED["exponential_decay"].cases(0)[0]
    out = calls.run(case.call, recording, calls.copied(case.args))
    ts = list(range(case.args["end"] + 1))
    assert asked == ts + ts[::-1] + case.args["shuffled"]
    assert out["lr"] == out["lr_reversed"] == out["lr_shuffled"]
    assert all(type(v) is float for v in out["lr"])


def test_answers_that_are_not_floats_cross_as_they_are():
    case = GRADED["exponential_decay"].cases(0)[0]
    for answer, kind in [(np.float32(0.5), np.float32),
                         (np.array(0.5, dtype=np.float32), np.float32), ([0.5], list),
                         (None, type(None)), (True, bool), (np.array(0.5), float),
                         (np.int64(2), float)]:
        out = run_local(case, lambda t, *, lr0, k, a=answer: a)
        assert type(out["lr"][0]) is kind, (answer, out["lr"][0])


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


def inv_negative_power(t, *, lr0, k):
    return lr0 * (1 + k * t) ** -1


# Not an alternative any more: it divides by k, and k = 0 is allowed (the
# grader tries it); see test_annealing_contracts.py.
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
class Plateau:  # a mutable state: updated in place it breaks the contract (see below)
    lr: float
    best: float
    bad_epochs: int = 0
    cooldown_left: int = 0


def plateau_inplace_init(lr):
    return Plateau(lr, math.nan)  # nan: nothing seen yet


# Not an alternative any more: the text says plateau_step is pure and leaves
# the state it is given as it was; the grader now tells it so (see
# test_annealing_contracts.py). The same rule on a copy is right:
# plateau_copy_step.
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


def plateau_copy_step(state, metric, **hyper):
    return plateau_inplace_step(dataclasses.replace(state), metric, **hyper)


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


def with_warmup_numpy(schedule, t, *, warmup, start_factor=0.0):
    # one interpolation for the ramp, then the schedule on its own clock
    if t >= warmup:
        return float(schedule(t - warmup))
    return float(np.interp(t, [0, warmup], [start_factor * schedule(0), schedule(0)]))


def with_warmup_lerp(schedule, t, *, warmup, start_factor=0.0):
    if t < warmup:
        start = start_factor * schedule(0)
        return start + (schedule(0) - start) * t / warmup
    return schedule(t - warmup)


def with_warmup_product(schedule, t, *, warmup, start_factor=0.0):
    # the ramp factor is 1 from t = warmup on, and the schedule waits at step 0
    if warmup == 0:
        return schedule(t)
    ramp = start_factor + (1 - start_factor) * min(t, warmup) / warmup
    return schedule(max(t - warmup, 0)) * ramp


def with_warmup_table(schedule, t, *, warmup, start_factor=0.0):
    ramp = list(np.linspace(start_factor * schedule(0), schedule(0), warmup + 1))[:-1]
    return float(ramp[t]) if t < warmup else float(schedule(t - warmup))


def warmup_cosine_on_numpy(t, *, lr0, warmup, total, lr_min=0.0):
    return with_warmup_numpy(
        functools.partial(ref.cosine, lr0=lr0, total=total - warmup, lr_min=lr_min),
        t, warmup=warmup)


ALTERNATIVES = {
    "step_decay": [step_numpy, step_loop, step_partial, step_exp_log],
    "exponential_decay": [exp_numpy, exp_power, exp_loop, exp_partial],
    "inverse_time_decay": [inv_reciprocal, inv_partial, inv_numpy, inv_negative_power],
    "cosine": [cos_sin_squared, cos_numpy_clip, cos_table, cos_partial],
    "with_warmup": [with_warmup_numpy, with_warmup_lerp, with_warmup_product,
                    with_warmup_table],
    "warmup_cosine": [(ref.with_warmup, warm_piecewise), (ref.with_warmup, warm_product),
                      (ref.with_warmup, warm_interp), (ref.with_warmup, warm_partial),
                      (with_warmup_numpy, warmup_cosine_on_numpy)],
    "plateau": [(plateau_dict_init, plateau_dict_step),
                (plateau_inplace_init, plateau_copy_step),
                (plateau_tuple_init, plateau_tuple_step),
                (lambda lr: (lr, None, 0, 0), plateau_positional_step)],
}
CORRECT = [(name, f) for name, fs in ALTERNATIVES.items() for f in fs]


def _id(f) -> str:
    f = f[1] if isinstance(f, tuple) else f
    return getattr(f, "__name__", None) or f.func.__name__ + "_partial"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name,impl", CORRECT, ids=[_id(f) for _, f in CORRECT])
def test_correct_alternative_passes(name, impl, seed):
    check(GRADED[name], impl, seed=seed)


# ---- what a failure says

def _failure(name, impl, seed=0) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl, seed=seed)
    return err.value


def test_failure_names_t_and_numbers():
    def late_drop(t, *, lr0, drop, every):  # right until the second drop
        return lr0 * drop ** min(t // every, 1)
    case = GRADED["step_decay"].cases(0)[0]
    h = case.args["hyper"]
    text = str(_failure("step_decay", late_drop))
    at = 2 * h["every"]
    assert (f"at t {at}, lr: yours {fmt_number(h['lr0'] * h['drop'])}, expected "
            f"{fmt_number(h['lr0'] * h['drop'] ** 2)}") in text
    assert f"relative error {1 - h['drop']:.1e}" in text
    assert (f"step_decay, t = 0..{case.args['end']}, lr0={h['lr0']:g}, drop={h['drop']:g}, "
            f"every={h['every']}") in text


def test_plateau_failure_names_step_field_and_numbers():
    def forgets_best(state, metric, **hyper):  # lr right, best wrong
        new = ref.plateau_step(state, metric, **hyper)
        return new._replace(best=metric)
    case = GRADED["plateau"].cases(0)[0]
    metrics = case.args["metrics"]
    fail = _failure("plateau", (ref.plateau_init, forgets_best))
    assert (f"at step 2, best: yours {fmt_number(metrics[2])}, expected "
            f"{fmt_number(metrics[1])}") in fail.message
    assert "plateau_step" in fail.message and "patience=2" in fail.message


def test_uncatalogued_mistake_is_caught_without_a_false_diagnosis():
    def slightly_low(t, *, lr0, total, lr_min=0.0):
        return 0.999 * ref.cosine(t, lr0=lr0, total=total, lr_min=lr_min)
    fail = _failure("cosine", slightly_low)
    assert fail.diagnosis not in HINTS and "at t 0" in fail.message

    def factor_squared(state, metric, *, factor=0.1, **hyper):
        return ref.plateau_step(state, metric, factor=factor**2, **hyper)
    fail = _failure("plateau", (ref.plateau_init, factor_squared))
    assert fail.diagnosis not in HINTS and "at step " in fail.message


# ---- purity and shape

def test_a_schedule_with_a_counter_is_not_pure():
    counter = itertools.count()

    def counting(t, *, lr0, drop, every):  # right when called for 0, 1, 2, ...
        return lr0 * drop ** (next(counter) // every)
    fail = _failure("step_decay", counting)
    assert fail.message.startswith("your step_decay is not a pure function of t: ")
    assert "reverse order" in fail.message and "counter" in fail.message
    assert fail.diagnosis is None


def test_a_schedule_right_in_order_and_reverse_is_caught_shuffled():
    calls_made = itertools.count()
    first_pass = 2 * (GRADED["exponential_decay"].cases(0)[0].args["end"] + 1)

    def third_pass_differs(t, *, lr0, k):  # in order and reversed it is right
        late = next(calls_made) >= first_pass
        return ref.exponential_decay(t, lr0=lr0, k=k) * (0.5 if late and t == 3 else 1.0)
    fail = _failure("exponential_decay", third_pass_differs)
    assert "not a pure function of t: at t=3" in fail.message
    assert "shuffled order" in fail.message


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
    h = _hyper("step_decay")
    assert h["every"] == 5
    fail = _failure("step_decay", resets_at_7)
    assert fail.message.startswith(
        f"your step_decay is not non-increasing: it rises from {fmt_number(h['lr0'] * h['drop'])} "
        f"at t=6 to {fmt_number(h['lr0'])} at t=7, and a decaying rate never rises")
    assert f"first wrong value: relative error {1 - h['drop']:.1e} at t 7" in fail.message
    assert fail.diagnosis not in HINTS


def test_a_falling_warmup_gets_its_own_sentence():
    def dips(t, *, lr0, warmup, total, lr_min=0.0):
        lr = ref.warmup_cosine(t, lr0=lr0, warmup=warmup, total=total, lr_min=lr_min)
        return 0.0 if t == 2 else lr
    h = _hyper("warmup_cosine")
    fail = _failure("warmup_cosine", (ref.with_warmup, dips))
    assert (f"is not non-decreasing during the warm-up: it falls from "
            f"{fmt_number(h['lr0'] / h['warmup'])} at t=1") in fail.message


def test_the_unclamped_cosine_gets_the_sentence_and_the_diagnosis():
    mistake = next(m for m in GRADED["cosine"].mistakes if m.name == "cos_not_clamped")
    h = _hyper("cosine")
    fail = _failure("cosine", mistake.impl)
    assert f"rises from {fmt_number(h['lr_min'])} at t={h['total']}" in fail.message
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
    (lambda t, *, lr0, k: np.array(lr0, dtype=np.float32), "returned a float32 at t=0"),
    (lambda t, *, lr0, k: "0.1", "should return a single number, got str at t=0"),
    (lambda t, *, lr0, k: object(), "should return a single number, got object at t=0"),
    (lambda t, *, lr0, k: lr0 / (k * t), "raised ZeroDivisionError at t=0: float "
                                         "division by zero"),
    (lambda t, *, lr0, rate: lr0, "raised TypeError at t=0"),
    (None, "should be a function of t, got NoneType"),
])
def test_malformed_schedules_get_a_sentence(bad, needle):
    fail = _failure("exponential_decay", bad)
    assert needle in str(fail)
    assert "Traceback" not in str(fail)


def test_a_zero_dimensional_array_is_a_number():
    check(GRADED["inverse_time_decay"], lambda t, *, lr0, k: np.array(lr0 / (1 + k * t)))


def test_an_exception_in_shuffled_order_says_so():
    asked = []

    def fails_late(t, *, lr0, k):
        asked.append(t)
        if len(asked) > 2 * 13 + 1:
            raise RuntimeError("boom")
        return ref.exponential_decay(t, lr0=lr0, k=k)
    text = str(_failure("exponential_decay", fails_late))
    assert "raised RuntimeError at t=" in text and "asked for in shuffled order: boom" in text


@pytest.mark.parametrize("impl,needle", [
    (ref.plateau_step, "graded as the pair (plateau_init, plateau_step)"),
    ((ref.plateau_init, None), "your plateau_step should be a function, got NoneType"),
    ((ref.plateau_init, lambda s, m, **h: None), "plateau_step returned None at step 0"),
    ((ref.plateau_init, lambda s, m, **h: {"lr": s.lr}),
     "without the field 'best' at step 0"),
    ((ref.plateau_init, lambda s, m, **h: s), "best of the state from your "
                                              "plateau_step is None at step 0"),
    ((ref.plateau_init, lambda s, m, **h: s._replace(best="x")), "best of the state from "
                                                                 "your plateau_step is a str"),
    ((lambda lr: 1 / 0, ref.plateau_step), "raised ZeroDivisionError in plateau_init("),
    ((ref.plateau_init, lambda s, m, mode: s), "plateau_step raised TypeError at step 0"),
])
def test_malformed_plateau_gets_a_sentence(impl, needle):
    assert needle in str(_failure("plateau", impl))


def test_plateau_state_is_checked_not_only_lr():
    def cooldown_doubled(state, metric, **hyper):
        new = ref.plateau_step(state, metric, **hyper)
        return new._replace(cooldown_left=new.cooldown_left * 2)
    fail = _failure("plateau", (ref.plateau_init, cooldown_doubled))
    assert "cooldown_left" in fail.message


def test_a_state_changed_in_place_is_recorded_epoch_by_epoch():
    # Its fields are read right after each step, so the values are the
    # reference's; what fails is the contract (the sentence is tested in
    # test_annealing_contracts.py).
    case = GRADED["plateau"].cases(0)[0]
    out = run_local(case, (plateau_inplace_init, plateau_inplace_step))
    want = run_local(case, GRADED["plateau"].reference)
    assert {k: out[k] for k in PLATEAU_FIELDS} == {k: want[k] for k in PLATEAU_FIELDS}
    metrics = case.args["metrics"]
    changed = out["changed"]  # its best was nan (nothing seen yet), then the first metric
    assert (changed["step"], changed["field"], changed["after"]) == (0, "best", metrics[0])
    assert math.isnan(changed["before"])
    assert want["changed"] is None and want["repeated"] is None
