"""Checks and known mistakes for the learning-rate schedules of chapter 5.

A schedule is graded as the student's function ``f(t, **hyper)`` through
the call ``annealing.schedule`` (autograder/driver/calls/annealing.py),
which asks it for every step t = 0..end of a short range three times: in
order, in reverse order and in a shuffled order given as data. The range
holds each boundary and its neighbours (the drops of a step decay, the
end of the warm-up, ``total``, steps past the end); those are fixed, and
the hyperparameters (rates, factors, floors) are drawn from the grading
run's seed, one generator per case, on a grid of round numbers so that
the label states them exactly. The rates compared are one array ``lr``
whose leading axis is t: the range starts at 0 and has no gaps, so the
index along that axis IS the step t, and a failure names the first wrong t.

Before the values, each case's ``prepare`` applies two rules to the raw
answers:

- purity: the rates asked for in reverse and in shuffled order must be
  those asked for in order; a schedule that keeps a counter between calls
  (or any other state) answers differently and is told so in a sentence
  of its own;
- shape: a decay never rises, and a warm-up never falls before its end.
  When a student's rates break that rule while staying plausible (finite,
  between 0 and the peak rate), the sentence says where they rise, then
  gives the first wrong t; the known mistake that reproduces the raw
  answers, if any, is named by core.diagnose.

The cases hold the edges the text allows (k = 0, warmup = 0) and leave a
hyperparameter at its default where the signature has one (lr_min of
cosine and warmup_cosine, start_factor of with_warmup). ``with_warmup``
is graded on its own (``annealing.ramp``) on a geometric schedule of the
grader's, s(n) = base * ratio**n: cases 0-1 with the default start factor,
2-3 with drawn ones, in cells of their own.

Reduce-on-plateau is graded as the pair ``(plateau_init, plateau_step)``
fed a scripted metric sequence (``annealing.plateau``); the lr and every
state field after each epoch are stacked (leading axis "step"), so a wrong
counter shows even on an epoch where the lr happens to be right. A script
is fixed in shape (which epochs improve, when the rate is cut, which cut
meets min_lr); the seed scales its metrics and draws the starting rate and
the factor, with min_lr placed between the last two rates it separates.
The scripts meet the threshold with equality, hold a NaN epoch, cut again
at min_lr, skip a cut of at most 1e-8 and run cooldowns of two epochs
(see PLATEAU_SCRIPTS). Before the values, ``prepare`` applies the
contract the text states: plateau_step is pure, so it must leave the
state it is given as it was, and give the same state when called again
on a copy of it with the same metric (the call records both).
"""
from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from autograder.driver.calls.annealing import geometric
from autograder.judge.compare import check_value, relative_errors, wire_type
from autograder.judge.core import Case, Graded, Mistake, Outputs
from autograder.judge.feedback import CheckFailure, fmt_number, fmt_shape
from autograder.judge.tolerances import tolerance
from solutions import annealing as ref

TOL = "schedule"
PLATEAU_FIELDS = ("lr", "best", "bad_epochs", "cooldown_left")


def _rng(seed: int, part: int, n: int) -> np.random.Generator:
    """The generator of case ``n`` of one graded part in a grading run."""
    return np.random.default_rng([seed, part, n])


def _grid(rng: np.random.Generator, low: int, high: int, unit: float) -> float:
    """A number drawn from low*unit, (low + 1)*unit, ..., high*unit, written
    as a division so that it is the round number its label shows."""
    return int(rng.integers(low, high + 1)) / round(1 / unit)


def _sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to a few significant digits (a number a label states)."""
    return float(f"{x:.{digits}g}")


def _text(hyper: dict) -> str:
    return ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v:g}"
                     for k, v in hyper.items())


# ------------------------------------------------- rules on a schedule's rates

def _number(value: Any, name: str, t: int, where: str) -> float:
    """A schedule's answer as a float, or a sentence saying what it is."""
    at = f"at t={t} ({where})"
    if value is None:
        raise CheckFailure(f"your {name} returned None {at}: is a return "
                           f"statement missing?")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (numbers.Real, np.integer, np.floating)):
        what = (f"an array of shape {fmt_shape(value.shape)}"
                if isinstance(value, np.ndarray) else wire_type(value))
        raise CheckFailure(f"your {name} should return a single number, got "
                           f"{what} {at}")
    if isinstance(value, np.floating) and value.dtype != np.float64:
        raise CheckFailure(f"your {name} returned a {value.dtype} {at}; "
                           f"return a Python float (computed in float64)")
    return float(value)


def _answers(out: Outputs, key: str, n: int, name: str, where: str) -> np.ndarray:
    """The answers for t = 0..n-1 under ``key`` as floats."""
    values = out.get(key) if isinstance(out, dict) else None
    if not isinstance(values, list) or len(values) != n:
        raise CheckFailure(f"the answers of your {name} could not be read ({where})")
    return np.array([_number(v, name, t, where) for t, v in enumerate(values)])


def _check_pure(first: np.ndarray, again: np.ndarray, how: str, name: str,
                where: str) -> None:
    """A pure schedule gives the same rate for a t whatever came before."""
    tol = tolerance(TOL)
    off = np.flatnonzero(relative_errors(first, again, tol.floor) > tol.rtol)
    if off.size:
        t = int(off[0])
        raise CheckFailure(
            f"your {name} is not a pure function of t: at t={t} it "
            f"returned {fmt_number(first[t])} when called for t = 0, 1, 2, ... "
            f"in turn and {fmt_number(again[t])} when called again in {how} "
            f"order ({where}); compute the rate from t and the "
            f"hyperparameters alone, keeping no counter or other value "
            f"between calls")


def _first_violation(lr: np.ndarray, peak_at: int) -> tuple[int, str] | None:
    """First t where lr moves the wrong way: up after ``peak_at``, down before."""
    tol = tolerance(TOL)
    for t in range(len(lr) - 1):
        a, b = lr[t], lr[t + 1]
        if relative_errors(np.float64(a), np.float64(b), tol.floor) <= tol.rtol:
            continue
        if t >= peak_at and b > a:
            return t, "rises"
        if t < peak_at and b < a:
            return t, "falls"
    return None


def _check_shape(lr: np.ndarray, expected: np.ndarray, peak_at: int, name: str,
                 where: str) -> None:
    """Say so when plausible rates rise during a decay or fall in a warm-up.

    Plausible: finite and between 0 and the highest expected rate. Rates
    outside that range are wrong in a way the value comparison explains
    better (a sign, an overflow), so they are left to it.
    """
    tol = tolerance(TOL)
    if not (relative_errors(lr, expected, tol.floor) > tol.rtol).any():
        return
    plausible = (np.isfinite(lr).all() and lr.min() >= 0.0
                 and lr.max() <= expected.max() * (1 + tol.rtol))
    found = _first_violation(lr, peak_at) if plausible else None
    if found is None:
        return
    t, how = found
    if how == "rises":
        rule = ("a decaying rate never rises" if peak_at == 0 else
                f"after the warm-up (t >= {peak_at}) the rate only falls")
        what = "not non-increasing" if peak_at == 0 else "not non-increasing after the warm-up"
    else:
        rule = f"the warm-up only raises the rate, up to t = {peak_at}"
        what = "not non-decreasing during the warm-up"
    try:
        check_value(lr, expected, name="lr", tol=TOL, leading="t")
        first = ""
    except CheckFailure as fail:
        first = f"; first wrong value: {fail.message}"
    raise CheckFailure(
        f"your {name} is {what}: it {how} from {fmt_number(lr[t])} at t={t} "
        f"to {fmt_number(lr[t + 1])} at t={t + 1}, and {rule} ({where}){first}")


# ------------------------------------------------- a schedule's cases

@dataclass(frozen=True)
class Plan:
    """The fixed structure of one schedule case: the last step ``end``, the
    boundaries (``fixed`` hyperparameters) and how the others are drawn."""
    end: int
    fixed: dict
    draw: Callable[[np.random.Generator], dict]
    note: Callable[[dict], str] = lambda hyper: ""


def _schedule_case(name: str, call: str, args: dict, label: str, expected: np.ndarray,
                   peak_at: int) -> Case:
    """A case that asks ``call`` for the rates at t = 0..args["end"] in three
    orders; ``expected`` are the reference's (for the shape rule)."""
    end = args["end"]
    where = f"{name}, {label}"

    def prepare(out: Outputs) -> Outputs:
        lr = _answers(out, "lr", end + 1, name, where)
        _check_pure(lr, _answers(out, "lr_reversed", end + 1, name, where),
                    "reverse", name, where)
        _check_pure(lr, _answers(out, "lr_shuffled", end + 1, name, where),
                    "shuffled", name, where)
        _check_shape(lr, expected, peak_at, name, where)
        return {"lr": lr}
    return Case(label=label, call=call, args=args, tol=TOL, leading="t", prepare=prepare)


def _schedule_cases(name: str, part: int, plans: list[Plan], call: str = "annealing.schedule",
                    peak_at: Callable[[dict], int] = lambda hyper: 0
                    ) -> Callable[[int], list[Case]]:
    """One case per plan: its boundaries, hyperparameters drawn from the seed,
    and a shuffled order of the steps drawn from the same generator. A
    hyperparameter a plan neither fixes nor draws is left at its default."""
    order = list(inspect.signature(getattr(ref, name)).parameters)

    def build(seed: int) -> list[Case]:
        cases = []
        for n, plan in enumerate(plans):
            rng = _rng(seed, part, n)
            drawn = {**plan.draw(rng), **plan.fixed}
            hyper = {k: drawn[k] for k in order if k in drawn}  # as in the signature
            shuffled = [int(t) for t in rng.permutation(plan.end + 1)]
            note = plan.note(hyper)
            label = f"t = 0..{plan.end}, {_text(hyper)}" + (f"; {note}" if note else "")
            expected = np.array([float(getattr(ref, name)(t, **hyper))
                                 for t in range(plan.end + 1)])
            cases.append(_schedule_case(
                name, call, {"name": name, "hyper": hyper, "end": plan.end,
                             "shuffled": shuffled}, label, expected, peak_at(hyper)))
        return cases
    return build


# ============================================================ step decay

def _drops(hyper: dict) -> str:
    every = hyper["every"]
    return f"drops due at t = {every}, {2 * every}, {3 * every}"


STEP_PLANS = [
    Plan(16, dict(every=5), lambda r: dict(lr0=_grid(r, 10, 90, 0.01),
                                           drop=_grid(r, 30, 70, 0.01)), _drops),
    Plan(10, dict(every=3), lambda r: dict(lr0=_grid(r, 50, 150, 0.01),
                                           drop=_grid(r, 5, 20, 0.01)), _drops),
    Plan(13, dict(every=4), lambda r: dict(lr0=_grid(r, 10, 90, 0.001),
                                           drop=_grid(r, 40, 80, 0.01)), _drops),
]


STEP_MISTAKES = [
    Mistake("step_off_by_one", "the drops come one step early: the k-th drop "
            "is due AT step k*every, so steps 0..every-1 use lr0 (t counts "
            "from 0, do not add 1 to it)",
            lambda t, *, lr0, drop, every: lr0 * drop ** ((t + 1) // every)),
    Mistake("step_no_floor", "the exponent t / every is not rounded down, so "
            "the rate decays a little at every step instead of in steps; use "
            "the number of completed blocks, t // every",
            lambda t, *, lr0, drop, every: lr0 * drop ** (t / every)),
    Mistake("step_drop_every_step", "drop is applied at every step (exponent "
            "t); it should be applied once per block of every steps",
            lambda t, *, lr0, drop, every: lr0 * drop ** t),
    Mistake("step_round", "t / every is rounded to the nearest integer, so "
            "each drop comes half a block early; round down instead",
            lambda t, *, lr0, drop, every: lr0 * drop ** round(t / every)),
    Mistake("step_drop_to_the_every", "each drop multiplies the rate by "
            "drop**every: the exponent is the number of drops, t // every, "
            "not t rounded down to a multiple of every",
            lambda t, *, lr0, drop, every: lr0 * drop ** (t - t % every)),
    Mistake("step_modulo", "the exponent is t % every, which restarts at 0 "
            "every block (a sawtooth); the number of drops so far is "
            "t // every",
            lambda t, *, lr0, drop, every: lr0 * drop ** (t % every)),
]




# ===================================================== exponential decay

def _flat(hyper: dict) -> str:
    """k = 0 is allowed (k >= 0): the rate stays at lr0."""
    return "the edge k = 0 (allowed): the rate stays at lr0"


# The last plan is the edge k = 0 the text allows (a half-life ln 2 / k
# divides by it).
EXP_PLANS = [
    Plan(12, {}, lambda r: dict(lr0=_grid(r, 10, 90, 0.01), k=_grid(r, 5, 20, 0.01))),
    Plan(10, {}, lambda r: dict(lr0=_grid(r, 100, 300, 0.01), k=_grid(r, 25, 45, 0.01))),
    Plan(15, {}, lambda r: dict(lr0=_grid(r, 5, 50, 0.001), k=_grid(r, 20, 50, 0.001))),
    Plan(5, dict(k=0.0), lambda r: dict(lr0=_grid(r, 10, 90, 0.01)), _flat),
]

EXP_MISTAKES = [
    Mistake("exp_parentheses", "exp(-k) is multiplied by t; the exponent "
            "is the product -k * t, inside the exp",
            lambda t, *, lr0, k: lr0 * math.exp(-k) * t),
    Mistake("exp_sign", "the exponent is +k*t, so the rate grows; it is "
            "-k*t",
            lambda t, *, lr0, k: lr0 * math.exp(k * t)),
    Mistake("exp_k_as_gamma", "k is used as the factor per step (k**t); "
            "the factor per step is exp(-k)",
            lambda t, *, lr0, k: lr0 * k ** t),
    Mistake("exp_t_plus_one", "the exponent uses t + 1, so the first step "
            "already decays; at t = 0 the rate is lr0",
            lambda t, *, lr0, k: lr0 * math.exp(-k * (t + 1))),
    Mistake("exp_one_minus_k", "(1 - k)**t only approximates exp(-k t) for "
            "small k; use the exponential itself",
            lambda t, *, lr0, k: lr0 * (1 - k) ** t),
    Mistake("exp_k_as_time", "the exponent is -t / k (k as a time "
            "constant); here k is a rate: exp(-k * t)",
            lambda t, *, lr0, k: lr0 * math.exp(-t / k)),
]




# ==================================================== inverse time decay

def _past_one(hyper: dict) -> str:
    """Where k t passes 1 (a linear decay 1 - k t turns negative there)."""
    return f"k t > 1 from t = {math.floor(1 / hyper['k']) + 1}"


INV_PLANS = [
    Plan(12, {}, lambda r: dict(lr0=_grid(r, 10, 90, 0.01), k=_grid(r, 30, 70, 0.01))),
    Plan(8, {}, lambda r: dict(lr0=_grid(r, 50, 150, 0.01), k=_grid(r, 150, 300, 0.01))),
    Plan(24, {}, lambda r: dict(lr0=_grid(r, 5, 50, 0.001), k=_grid(r, 5, 8, 0.01)),
         _past_one),
    Plan(5, dict(k=0.0), lambda r: dict(lr0=_grid(r, 10, 90, 0.01)), _flat),
]

INV_MISTAKES = [
    Mistake("inv_times_t", "lr0 / (1 + k) is multiplied by t; t belongs in "
            "the denominator: lr0 / (1 + k t)",
            lambda t, *, lr0, k: lr0 / (1 + k) * t),
    Mistake("inv_no_one", "the 1 is missing from the denominator (lr0 / (k "
            "t), with lr0 at t = 0 to avoid dividing by 0); the rate is "
            "lr0 / (1 + k t)",
            lambda t, *, lr0, k: lr0 if t == 0 else lr0 / (k * t)),
    Mistake("inv_squared", "the denominator is squared; 1/t decay divides "
            "lr0 by 1 + k t once",
            lambda t, *, lr0, k: lr0 / (1 + k * t) ** 2),
    Mistake("inv_t_plus_one", "the denominator uses t + 1, so the first "
            "step already decays; at t = 0 the rate is lr0",
            lambda t, *, lr0, k: lr0 / (1 + k * (t + 1))),
    Mistake("inv_linear", "lr0 * (1 - k t) is a linear decay, which "
            "reaches 0 and then goes negative; divide: lr0 / (1 + k t)",
            lambda t, *, lr0, k: lr0 * (1 - k * t)),
    Mistake("inv_geometric", "dividing by (1 + k) at every step makes the "
            "decay exponential; 1/t decay divides lr0 once by 1 + k t",
            lambda t, *, lr0, k: lr0 / (1 + k) ** t),
]



# ================================================================ cosine

def _floor_from(hyper: dict) -> str:
    default = "" if "lr_min" in hyper else " (lr_min left at its default, 0)"
    return f"lr_min from t = {hyper['total']}{default}"


COS_PLANS = [
    Plan(13, dict(total=10), lambda r: dict(lr0=_grid(r, 5, 20, 0.01),
                                            lr_min=_grid(r, 1, 9, 0.001)), _floor_from),
    Plan(10, dict(total=7), lambda r: dict(lr0=_grid(r, 50, 150, 0.01),
                                           lr_min=_grid(r, 10, 40, 0.01)), _floor_from),
    Plan(28, dict(total=25), lambda r: dict(lr0=_grid(r, 20, 80, 0.01)), _floor_from),
]

def _cosine_with(phase: Callable[[int, int], float] = lambda t, n: math.pi * min(t, n) / n,
                 half: Callable[[float], float] = lambda c: (1 + c) / 2,
                 floor: bool = True) -> Callable:
    """A cosine schedule with its phase, its half-cosine or lr_min changed."""
    def schedule(t, *, lr0, total, lr_min=0.0):
        low = lr_min if floor else 0.0
        return low + (lr0 - low) * half(math.cos(phase(t, total)))
    return schedule


COS_MISTAKES = [
    Mistake("cos_no_pi", "the cosine's argument lacks pi: it should run "
            "from 0 to pi as t goes from 0 to total",
            lambda t, *, lr0, total, lr_min=0.0: (
                lr_min if t >= total else
                lr_min + (lr0 - lr_min) * (1 + math.cos(t / total)) / 2)),
    Mistake("cos_total_minus_one", "the phase is divided by total - 1, so "
            "lr_min is reached one step early; lr_min is reached AT "
            "t = total",
            _cosine_with(phase=lambda t, n: math.pi * min(t, n - 1) / (n - 1))),
    Mistake("cos_no_lr_min", "lr_min is ignored: the cosine should run from "
            "lr0 down to lr_min, not down to 0",
            _cosine_with(floor=False)),
    Mistake("cos_rising", "(1 - cos)/2 rises from 0 to 1; the factor that "
            "falls from 1 at t = 0 to 0 at t = total is (1 + cos)/2",
            _cosine_with(half=lambda c: (1 - c) / 2)),
    Mistake("cos_not_clamped", "past t = total the rate should stay at "
            "lr_min, but it climbs back along the cosine (as torch's "
            "CosineAnnealingLR does); clamp t at total",
            _cosine_with(phase=lambda t, n: math.pi * t / n)),
]




# ========================================================= with_warmup alone

@dataclass(frozen=True)
class Ramp:
    """One case of with_warmup on the grader's schedule s(n) = base *
    ratio**n: the last step ``end``, the warm-up length and the grid the
    start factor is drawn on (None: left at its default, 0)."""
    end: int
    warmup: int
    start_factors: tuple[int, int, float] | None = None


# Cases 0 and 1 leave start_factor at its default (a warm-up from 0, and
# warmup = 0: no warm-up at all); cases 2 and 3 draw it. They are graded in
# cells of their own, so a start factor that is ignored costs those only.
RAMP_PLANS = [
    Ramp(9, 4), Ramp(5, 0),
    Ramp(9, 5, (10, 60, 0.01)), Ramp(6, 2, (30, 90, 0.01)),
]


def _ramp_note(warmup: int, hyper: dict) -> str:
    default = "" if "start_factor" in hyper else "start_factor left at its default, 0; "
    if warmup == 0:
        return f"{default}warmup=0: no warm-up, the rates are s(t)"
    return f"{default}the ramp ends at t = {warmup}"


def _ramp_cases(seed: int) -> list[Case]:
    cases = []
    for n, plan in enumerate(RAMP_PLANS):
        rng = _rng(seed, 6, n)
        base, ratio = _grid(rng, 20, 90, 0.01), _grid(rng, 60, 90, 0.01)
        hyper: dict[str, Any] = {"warmup": plan.warmup}
        if plan.start_factors:
            hyper["start_factor"] = _grid(rng, *plan.start_factors)
        shuffled = [int(t) for t in rng.permutation(plan.end + 1)]
        s = geometric(base, ratio)
        label = (f"with_warmup(s, t, {_text(hyper)}) for t = 0..{plan.end}, with "
                 f"s(n) = {base:g} * {ratio:g}**n; {_ramp_note(plan.warmup, hyper)}")
        expected = np.array([ref.with_warmup(s, t, **hyper) for t in range(plan.end + 1)])
        cases.append(_schedule_case(
            "with_warmup", "annealing.ramp",
            {"base": base, "ratio": ratio, "hyper": hyper, "end": plan.end,
             "shuffled": shuffled}, label, expected, plan.warmup))
    return cases


def _ramp_with(ramp: Callable[..., float] | None = None,
               after: Callable[..., float] | None = None) -> Callable:
    """with_warmup with its ramp ``ramp(s, t, warmup, f)`` (t < warmup) or
    the schedule's part ``after(s, t, warmup)`` (t >= warmup) changed."""
    def with_warmup(schedule, t, *, warmup, start_factor=0.0):
        if t >= warmup:
            return float(after(schedule, t, warmup) if after else schedule(t - warmup))
        f = start_factor
        if ramp:
            return float(ramp(schedule, t, warmup, f))
        return float(schedule(0) * (f + (1 - f) * t / warmup))
    return with_warmup


RAMP_MISTAKES = [
    Mistake("ramp_peak_early", "the ramp reaches s(0) one step early (t + 1 is "
            "used): it starts at start_factor * s(0) at t = 0 and reaches s(0) AT "
            "t = warmup",
            _ramp_with(ramp=lambda s, t, w, f: s(0) * (f + (1 - f) * (t + 1) / w))),
    Mistake("ramp_over_warmup_minus_one", "the ramp divides t by warmup - 1, so "
            "it reaches s(0) at t = warmup - 1; divide by warmup, so that it "
            "reaches s(0) AT t = warmup",
            _ramp_with(ramp=lambda s, t, w, f: s(0) * (f + (1 - f) * t / (w - 1)))),
    Mistake("ramp_global_clock", "after the warm-up the schedule is asked for "
            "step t; it runs on its own clock, so the global step t is its step "
            "t - warmup (its step 0 is the global step warmup)",
            _ramp_with(after=lambda s, t, w: s(t))),
    Mistake("ramp_to_one", "the ramp climbs to 1 instead of to s(0): multiply "
            "it by s(0), the rate the schedule starts with",
            _ramp_with(ramp=lambda s, t, w, f: f + (1 - f) * t / w)),
    Mistake("ramp_times_schedule", "the ramp multiplies the schedule's rate at "
            "t and the schedule never waits for the warm-up; the ramp climbs to "
            "s(0), and from t = warmup on the rate is s(t - warmup)",
            _ramp_with(ramp=lambda s, t, w, f: s(t) * (f + (1 - f) * t / w),
                       after=lambda s, t, w: s(t))),
    Mistake("ramp_start_factor_ignored", "start_factor is ignored: the ramp "
            "starts at start_factor * s(0), not at 0, and climbs to s(0) at "
            "t = warmup",
            _ramp_with(ramp=lambda s, t, w, f: s(0) * t / w)),
    Mistake("ramp_start_factor_added", "start_factor is added to t / warmup, so "
            "the ramp overshoots s(0); the fraction of s(0) at step t is "
            "start_factor + (1 - start_factor) * t / warmup",
            _ramp_with(ramp=lambda s, t, w, f: s(0) * (f + t / w))),
    Mistake("ramp_start_factor_as_rate", "start_factor is used as a rate (the "
            "ramp starts at start_factor itself); it is a factor: the ramp starts "
            "at start_factor * s(0)",
            _ramp_with(ramp=lambda s, t, w, f: f + (s(0) - f) * t / w)),
]


# ==================================================== warm-up then cosine

def _warm_ends(hyper: dict) -> str:
    default = "" if "lr_min" in hyper else " (lr_min left at its default, 0)"
    return (f"warm-up ends at t = {hyper['warmup']}, lr_min from t = "
            f"{hyper['total']}{default}")


WARM_PLANS = [
    Plan(15, dict(warmup=4, total=12), lambda r: dict(lr0=_grid(r, 5, 20, 0.01),
                                                      lr_min=_grid(r, 1, 9, 0.001)),
         _warm_ends),
    Plan(11, dict(warmup=3, total=8), lambda r: dict(lr0=_grid(r, 50, 150, 0.01),
                                                     lr_min=_grid(r, 5, 30, 0.01)),
         _warm_ends),
    Plan(23, dict(warmup=6, total=20), lambda r: dict(lr0=_grid(r, 20, 80, 0.01)),
         _warm_ends),
]

def _warm(ramp: Callable[..., float] | None = None,
          decay: Callable[..., float] | None = None) -> Callable:
    """Warm-up then cosine with the ramp ``ramp(t, warmup, total, lr0)``
    (t < warmup) or the decay ``decay(t, lr0, warmup, total, lr_min)``
    (t >= warmup) changed."""
    def schedule(t, *, lr0, warmup, total, lr_min=0.0):
        if t < warmup:
            return ramp(t, warmup, total, lr0) if ramp else lr0 * t / warmup
        if decay:
            return decay(t, lr0, warmup, total, lr_min)
        return ref.cosine(t - warmup, lr0=lr0, total=total - warmup, lr_min=lr_min)
    return schedule


def _ramp_from_t_plus_one(schedule, t, *, warmup, start_factor=0.0):
    """with_warmup whose ramp uses t + 1, so it ends one step early."""
    if t >= warmup:
        return float(schedule(t - warmup))
    return float(schedule(0) * (start_factor + (1 - start_factor) * (t + 1) / warmup))


def _warmup_cosine_on(with_warmup: Callable) -> Callable:
    """The reference's warmup_cosine, written on the given with_warmup."""
    def warmup_cosine(t, *, lr0, warmup, total, lr_min=0.0):
        def decay(s):
            return ref.cosine(s, lr0=lr0, total=total - warmup, lr_min=lr_min)
        return with_warmup(decay, t, warmup=warmup)
    return warmup_cosine


# A mistake is a warmup_cosine on the reference's with_warmup, or a pair
# (with_warmup, warmup_cosine) when the mistake is in with_warmup itself.
WARM_MISTAKES = [
    Mistake("warm_reaches_peak_early", "the warm-up reaches lr0 at t = "
            "warmup - 1 (t + 1 is used); it starts at 0 at t = 0 and reaches "
            "lr0 AT t = warmup",
            (_ramp_from_t_plus_one, _warmup_cosine_on(_ramp_from_t_plus_one))),
    Mistake("warm_reaches_peak_late", "the warm-up lasts warmup + 1 steps "
            "and reaches lr0 at t = warmup + 1; it reaches lr0 AT t = warmup",
            lambda t, *, lr0, warmup, total, lr_min=0.0: ref.warmup_cosine(
                t, lr0=lr0, warmup=warmup + 1, total=total, lr_min=lr_min)),
    Mistake("warm_start_factor", "the warm-up starts at lr0 / warmup (as "
            "torch's LinearLR(start_factor=1/warmup)); here it starts at 0",
            lambda t, *, lr0, warmup, total, lr_min=0.0: ref.with_warmup(
                functools.partial(ref.cosine, lr0=lr0, total=total - warmup,
                                  lr_min=lr_min),
                t, warmup=warmup, start_factor=1 / warmup)),
    Mistake("warm_cosine_from_t", "after the warm-up the cosine is evaluated "
            "at t over total; it starts afresh at the end of the warm-up: "
            "step t - warmup of total - warmup",
            _warm(decay=lambda t, lr0, warmup, total, lr_min: ref.cosine(
                t, lr0=lr0, total=total, lr_min=lr_min))),
    Mistake("warm_constant", "the warm-up holds a constant low rate; it "
            "should climb linearly from 0 at t = 0 to lr0 at t = warmup",
            _warm(ramp=lambda t, w, n, lr0: 0.1 * lr0)),
    Mistake("warm_jump", "the warm-up divides t by total instead of by "
            "warmup, so it climbs only to lr0 * warmup / total and the rate "
            "jumps to lr0 at t = warmup",
            _warm(ramp=lambda t, w, n, lr0: lr0 * t / n)),
    Mistake("warm_total_after_warmup", "total counts all the steps, warm-up "
            "included: the cosine lasts total - warmup steps and reaches "
            "lr_min AT t = total",
            _warm(decay=lambda t, lr0, warmup, total, lr_min: ref.cosine(
                t - warmup, lr0=lr0, total=total, lr_min=lr_min))),
]


# ===================================================== reduce on plateau

@dataclass(frozen=True)
class Script:
    """A scripted run of reduce-on-plateau: base metrics and the fixed
    hyperparameters (mode, patience, threshold, cooldown). The seed draws
    lr0, factor and a scale of the metrics, each on a grid ``(low, high,
    unit)``; min_lr is placed halfway (in log scale) between the rates after
    cuts ``clamped_at - 1`` and ``clamped_at``, so that cut ``clamped_at``
    is clamped at min_lr (0: min_lr stays below every rate of the run).

    ``equal_at`` holds pairs ``(epoch, of)``: the metric of ``epoch`` (None
    in ``metrics``) is exactly best * (1 - threshold) (mode "min") or best *
    (1 + threshold) (mode "max") with best the metric of epoch ``of``: the
    threshold met with equality, which is not an improvement. It is exact
    in every way of writing the rule (best - best * threshold, metric /
    best, ...) because the threshold is a power of 2 and the scale a
    multiple of 1/64, so that best has few binary digits."""
    metrics: tuple[float | None, ...]
    fixed: dict
    lr0s: tuple[int, int, float]
    factors: tuple[int, int, float]
    scales: tuple[int, int, float]
    clamped_at: int
    what: str  # what the metric is, for the label
    equal_at: tuple[tuple[int, int], ...] = ()

    def draw(self, rng: np.random.Generator) -> tuple[float, list[float], dict]:
        lr0, factor = _grid(rng, *self.lr0s), _grid(rng, *self.factors)
        scale = _grid(rng, *self.scales)
        metrics = [math.nan if m is None else round(m * scale, 8) for m in self.metrics]
        for epoch, of in self.equal_at:
            metrics[epoch] = _met_exactly(metrics[of], self.fixed["mode"],
                                          self.fixed["threshold"])
        cut = self.clamped_at
        min_lr = _sig(lr0 * factor ** (cut - 0.5)) if cut else _sig(lr0 * factor ** 4)
        hyper = dict(mode=self.fixed["mode"], factor=factor,
                     **{k: v for k, v in self.fixed.items() if k != "mode"},
                     min_lr=min_lr)
        return lr0, metrics, hyper


def _met_exactly(best: float, mode: str, threshold: float) -> float:
    """The metric that meets the threshold with equality, checked to be the
    same number however a student writes the rule."""
    sign = 1.0 if mode == "min" else -1.0
    metric = best * (1 - sign * threshold)
    assert metric == best - sign * best * threshold and metric / best == 1 - sign * threshold \
        and (best - metric) / best == sign * threshold, (best, threshold)
    return metric


# Each script mixes clear improvements, improvements smaller than the
# relative threshold (some larger than the same threshold taken as an
# absolute one) and runs of bad epochs long enough for several reductions.
# Metrics of a few units make the relative threshold (0.01 * 3 = 0.03) and
# an absolute one (0.01) differ; the scales drawn (below 1 where an
# absolute threshold would otherwise agree) keep that.
#
# In mode "min" (cases 0, 2, 3): cut 3 of runs 0 and 2 meets min_lr, and
# run 0 cuts again at min_lr; run 3 has a cooldown of 2 epochs with an
# improvement inside it, the threshold met with equality, a NaN epoch (a
# diverged run) and rates so small that the third cut lowers the rate by
# less than 1e-8 and is skipped. In mode "max" (cases 1, 4) there is no
# cooldown and min_lr is never reached, so that those two cells grade what
# mode "max" changes (the direction, the threshold above best, met with
# equality in run 4) and the rule both modes share, nothing else.
PLATEAU_SCRIPTS = [
    Script((5.0, 4.0, 3.98, 3.97, 3.99, 4.1, 3.0, 2.995, 2.98, 3.1, 3.2,
            3.3, 2.9, 2.95, 3.0, 3.05, 3.1, 3.2, 3.3, 3.4),
           dict(mode="min", patience=2, threshold=0.01, cooldown=1),
           lr0s=(10, 50, 0.01), factors=(40, 60, 0.01), scales=(80, 125, 0.01),
           clamped_at=3, what="validation loss"),
    Script((0.5, 0.6, 0.61, 0.605, 0.62, 0.59, 0.6, 0.7, 0.69, 0.71,
            0.7, 0.68, 0.69, 0.7, 0.65, 0.66, 0.7, 0.71, 0.72),
           dict(mode="max", patience=3, threshold=0.02, cooldown=0),
           lr0s=(50, 200, 0.01), factors=(20, 40, 0.01), scales=(160, 194, 0.005),
           clamped_at=0, what="validation accuracy"),
    Script((1.0, 0.9, 0.9, 0.95, 0.91, 0.899, 0.9, 0.91, 0.92, 0.8,
            0.85, 0.86, 0.87, 0.88, 0.9),
           dict(mode="min", patience=2, threshold=1e-3, cooldown=0),
           lr0s=(20, 80, 0.01), factors=(5, 20, 0.01), scales=(160, 194, 0.005),
           clamped_at=3, what="validation loss"),
    Script((2.0, None, 1.9, None, 1.95, 2.1, 1.5, None, 1.48, 1.6, 1.6, 1.6,
            1.6, 1.7, 1.3, 1.35),
           dict(mode="min", patience=1, threshold=1 / 32, cooldown=2),
           lr0s=(30, 100, 1e-8), factors=(5, 10, 0.01), scales=(48, 96, 1 / 64),
           clamped_at=0, what="validation loss with a NaN at epoch 3",
           equal_at=((1, 0), (7, 6))),
    Script((0.5, None, 0.52, 0.49, 0.6, 0.55, 0.58, 0.7, 0.7, 0.71),
           dict(mode="max", patience=1, threshold=1 / 16, cooldown=0),
           lr0s=(50, 200, 0.01), factors=(20, 50, 0.01), scales=(48, 60, 1 / 64),
           clamped_at=0, what="validation accuracy", equal_at=((1, 0),)),
]
# What each one puts in the label: the epochs where the threshold is met.
_EQUAL_NOTE = {3: "the metrics of epochs 1 and 7 are exactly best * (1 - threshold)",
               4: "the metric of epoch 1 is exactly best * (1 + threshold)"}


def _plateau_label(lr0: float, metrics: list[float], hyper: dict, what: str,
                   note: str = "") -> str:
    return (f"{len(metrics)} epochs of a scripted {what}, lr0={lr0:g}, {_text(hyper)}; "
            f"metrics {', '.join(repr(m) for m in metrics)}" + (f"; {note}" if note else ""))


def _state_value(value: Any, field: str, step: int, where: str) -> float:
    """A field of the student's state as a float, or a sentence on what it is."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if value is None or isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (numbers.Real, np.integer, np.floating)):
        what = (f"an array of shape {fmt_shape(value.shape)}"
                if isinstance(value, np.ndarray) else
                "None" if value is None else f"a {wire_type(value)}")
        raise CheckFailure(f"the {field} of the state from your plateau_step is "
                           f"{what} at step {step} ({where}); it should be a number")
    return float(value)


def _shown(value: Any) -> str:
    """A field's value in a sentence: a count as a whole number."""
    if isinstance(value, (numbers.Real, np.number)) and not isinstance(value, bool):
        x = float(value)
        return str(int(x)) if x.is_integer() and abs(x) < 1e6 else fmt_number(x)
    return "None" if value is None else wire_type(value)


def _check_plateau_pure(out: Outputs, where: str) -> None:
    """plateau_step is pure: it leaves the state it is given as it was, and
    gives the same state for the same state and metric."""
    changed = out.get("changed") if isinstance(out, dict) else None
    if isinstance(changed, dict):
        raise CheckFailure(
            f"your plateau_step changed the state it was given: at step "
            f"{changed.get('step')} its {changed.get('field')} was "
            f"{_shown(changed.get('before'))} before the call and "
            f"{_shown(changed.get('after'))} after it ({where}); plateau_step is "
            f"pure: return a new state (PlateauState(...) or state._replace(...)) "
            f"and leave the one it is given as it was")
    repeated = out.get("repeated") if isinstance(out, dict) else None
    if isinstance(repeated, dict):
        raise CheckFailure(
            f"your plateau_step is not a pure function of its arguments: at step "
            f"{repeated.get('step')}, called a second time with the same state and "
            f"metric, it returned {repeated.get('field')} = "
            f"{_shown(repeated.get('again'))} where the first call returned "
            f"{_shown(repeated.get('first'))} ({where}); compute the new state "
            f"from the state, the metric and the hyperparameters alone, keeping "
            f"nothing between calls (no global variable or function attribute)")


def _plateau_cases(seed: int) -> list[Case]:
    return [_plateau_case(script, _rng(seed, 5, n), _EQUAL_NOTE.get(n, ""))
            for n, script in enumerate(PLATEAU_SCRIPTS)]


def _check_nan_taken(table: np.ndarray, expected: np.ndarray, metrics: list[float],
                     where: str) -> None:
    """Say so when the first wrong epoch is a NaN metric taken as the best."""
    tol = tolerance(TOL)
    off = np.flatnonzero((relative_errors(table, expected, tol.floor) > tol.rtol).any(axis=1))
    if off.size and math.isnan(metrics[off[0]]) and math.isnan(table[off[0], 1]):
        i = int(off[0])
        raise CheckFailure(
            f"your plateau_step took the NaN metric of epoch {i} for an improvement: "
            f"best is nan after step {i}, expected {fmt_number(expected[i, 1])} "
            f"({where}); a NaN metric (a run that diverged) never improves, it is a "
            f"bad epoch")


def _plateau_case(script: Script, rng: np.random.Generator, note: str = "") -> Case:
    lr0, metrics, hyper = script.draw(rng)
    label = _plateau_label(lr0, metrics, hyper, script.what, note)
    where = f"plateau_step, {label}"
    state, rows = ref.plateau_init(lr0), []
    for metric in metrics:
        state = ref.plateau_step(state, metric, **hyper)
        rows.append([float(v) for v in state])
    expected = np.array(rows)

    def prepare(out: Outputs) -> Outputs:
        _check_plateau_pure(out, where)
        columns = [out.get(field) if isinstance(out, dict) else None for field in PLATEAU_FIELDS]
        if not all(isinstance(c, list) and len(c) == len(metrics) for c in columns):
            raise CheckFailure(f"the states of your plateau_step could not be read ({where})")
        table = np.array([[_state_value(c[i], field, i, where)  # step by step, as it ran
                           for field, c in zip(PLATEAU_FIELDS, columns)]
                          for i in range(len(metrics))]).reshape(len(metrics), -1)
        _check_nan_taken(table, expected, metrics, where)
        return {field: table[:, j] for j, field in enumerate(PLATEAU_FIELDS)}
    return Case(label=label, call="annealing.plateau",
                args={"lr0": lr0, "metrics": metrics, "hyper": hyper},
                tol=TOL, leading="step", prepare=prepare, measured=("changed", "repeated"))


def _better(metric: float, best: float | None, mode: str, threshold: float,
            rule: str, strict: bool = True, inverted: bool = False) -> bool:
    """Whether ``metric`` improves on ``best`` under one improvement rule:
    the value to beat is best moved by the threshold as ``rule`` says, beaten
    strictly or not, and the test written as itself or as the negation of
    its opposite (``inverted``, which a NaN passes)."""
    if rule == "as_min":
        mode, rule = "min", "relative"
    if best is None:
        return inverted or not math.isnan(metric)
    sign = 1.0 if mode == "min" else -1.0
    margin = {"relative": threshold * abs(best), "absolute": threshold,
              "none": 0.0, "downwards": sign * threshold * abs(best)}[rule]
    bound = sign * best - margin
    if inverted:
        return not sign * metric >= bound
    return sign * metric < bound if strict else sign * metric <= bound


def _plateau(*, improves: str = "relative", strict: bool = True, inverted: bool = False,
             first_bad: bool = False, best_follows: bool = False,
             reduce_when=lambda bad, p: bad > p, reset: bool = True, clamp: str = "max",
             eps: bool = True, reset_when_kept: bool = True, divide: bool = False,
             use_cooldown: bool = True, forget_in_cooldown: bool = True,
             order: str = "count, cooldown, cut", cooldown_skips: bool = False,
             against_last: bool = False):
    """A plateau step with one rule turned away from the reference."""
    def step(state, metric, *, mode="min", factor=0.1, patience=10,
             threshold=1e-4, cooldown=0, min_lr=0.0):
        metric = float(metric)
        lr, best, bad, cool = state
        sign = 1.0 if mode == "min" else -1.0
        if cooldown_skips and cool > 0:
            return ref.PlateauState(lr, best, 0, cool - 1)
        cooling = cool > 0

        def count():
            nonlocal best, bad
            if first_bad and best is None:
                best = metric
            if _better(metric, best, mode, threshold, improves, strict, inverted):
                best, bad = metric, 0
            else:
                bad += 1
                if against_last:
                    best = metric
                elif best_follows and sign * metric < sign * best:
                    best = metric

        def cool_down():
            nonlocal bad, cool
            if cool > 0:
                cool -= 1
                bad = 0 if forget_in_cooldown else bad

        def cut():
            nonlocal lr, bad, cool
            if not (reduce_when(bad, patience) and (forget_in_cooldown or not cooling)):
                return
            lower = lr / factor if divide else lr * factor
            new_lr = {"max": max(lower, min_lr), "none": lower, "min": min(lower, min_lr),
                      "skip": lower if lower >= min_lr else lr}[clamp]
            kept = eps and not lr - new_lr > 1e-8
            if kept and not reset_when_kept:
                return
            lr = lr if kept else new_lr
            bad = 0 if reset else bad
            cool = cooldown if use_cooldown else 0

        steps = {"count": count, "cooldown": cool_down, "cut": cut}
        for name in order.split(", "):
            steps[name]()
        return ref.PlateauState(lr, best, bad, cool)
    return step


PLATEAU_MISTAKES = [
    Mistake("plateau_reduce_at_patience", "the rate is cut when bad_epochs "
            "reaches patience; it is cut only when bad_epochs exceeds "
            "patience (patience bad epochs are tolerated)",
            _plateau(reduce_when=lambda bad, p: bad >= p)),
    Mistake("plateau_no_threshold", "any improvement, however small, resets "
            "the count; an epoch improves only if it beats best by the "
            "relative threshold (best * (1 - threshold) in mode 'min')",
            _plateau(improves="none")),
    Mistake("plateau_absolute_threshold", "the threshold is used as an "
            "absolute margin (best - threshold); it is relative: the metric "
            "must beat best * (1 - threshold) in mode 'min', best * (1 + "
            "threshold) in mode 'max'",
            _plateau(improves="absolute")),
    Mistake("plateau_improves_at_equality", "a metric exactly at best * (1 - "
            "threshold) counts as an improvement; the comparison is strict: the "
            "metric must be below best * (1 - threshold) in mode 'min' (above "
            "best * (1 + threshold) in mode 'max')",
            _plateau(strict=False)),
    Mistake("plateau_max_threshold_downwards", "in mode 'max' the threshold "
            "is applied below best (best * (1 - threshold)), so a slightly lower "
            "accuracy counts as an improvement; in mode 'max' the metric must "
            "beat best * (1 + threshold)",
            _plateau(improves="downwards")),
    Mistake("plateau_nan_improves", "a NaN metric counts as an improvement "
            "(the test is written as not (metric >= best * (1 - threshold)), "
            "which holds for NaN); a NaN epoch is a bad epoch, so test metric < "
            "best * (1 - threshold) as it is",
            _plateau(inverted=True)),
    Mistake("plateau_first_epoch_bad", "the first epoch is counted as a bad "
            "one (best is set to its metric, which is then compared with "
            "itself); the first metric always improves: best = metric, "
            "bad_epochs = 0",
            _plateau(first_bad=True)),
    Mistake("plateau_best_follows_every_drop", "best follows every lower "
            "metric, even one that is not lower by the threshold; best changes "
            "only in an epoch that improves",
            _plateau(best_follows=True)),
    Mistake("plateau_counter_not_reset", "bad_epochs is not reset to 0 "
            "when the rate is cut, so the next cut comes too soon",
            _plateau(reset=False)),
    Mistake("plateau_max_as_min", "mode 'max' is treated like 'min': with "
            "mode='max' a higher metric (e.g. an accuracy) is the better one",
            _plateau(improves="as_min")),
    Mistake("plateau_min_lr_ignored", "the rate is cut below min_lr; it "
            "should never go below min_lr: max(lr * factor, min_lr)",
            _plateau(clamp="none")),
    Mistake("plateau_cut_skipped_at_floor", "a cut that would take the rate "
            "below min_lr is skipped; it is clamped instead: lr = max(lr * "
            "factor, min_lr)",
            _plateau(clamp="skip")),
    Mistake("plateau_min_instead_of_max", "min(lr * factor, min_lr) sends the "
            "rate straight to min_lr; the rate after a cut is max(lr * factor, "
            "min_lr)",
            _plateau(clamp="min")),
    Mistake("plateau_tiny_cut_made", "a cut that lowers the rate by at most "
            "1e-8 is made anyway; the rate is kept as it is when lr - "
            "max(lr * factor, min_lr) <= 1e-8",
            _plateau(eps=False)),
    Mistake("plateau_kept_without_reset", "when the rate is kept (at min_lr, "
            "or a cut of at most 1e-8), bad_epochs and cooldown_left are left as "
            "they were; whenever bad_epochs exceeds patience they are reset "
            "(bad_epochs = 0, cooldown_left = cooldown), cut or not",
            _plateau(reset_when_kept=False)),
    Mistake("plateau_divides_by_factor", "the rate is divided by factor, so "
            "it grows; factor is below 1 and multiplies it: lr * factor",
            _plateau(divide=True, eps=False)),
    Mistake("plateau_cooldown_ignored", "cooldown is ignored: after a cut, "
            "set cooldown_left = cooldown; while it is above 0, each epoch "
            "counts it down by 1 and forgets the bad epochs",
            _plateau(use_cooldown=False)),
    Mistake("plateau_cooldown_keeps_count", "during the cooldown the bad "
            "epochs keep being counted; they are forgotten (bad_epochs = 0) "
            "while cooldown_left > 0",
            _plateau(forget_in_cooldown=False)),
    Mistake("plateau_cooldown_from_the_cut", "the cooldown already counts "
            "down in the epoch of the cut, so it lasts one epoch less; the cut "
            "(step 3) comes after the countdown (step 2), so cooldown_left = "
            "cooldown after the epoch of the cut",
            _plateau(order="count, cut, cooldown")),
    Mistake("plateau_cooldown_before_count", "the cooldown forgets the bad "
            "epochs before the epoch is counted, so a bad epoch during the "
            "cooldown still counts; count the epoch first (step 1), then let "
            "the cooldown forget it (step 2)",
            _plateau(order="cooldown, count, cut")),
    Mistake("plateau_cooldown_skips_epoch", "during the cooldown the metric "
            "is not compared at all, so an improvement there is lost; step 1 "
            "(best and bad_epochs) runs in every epoch, the cooldown only "
            "forgets the bad epochs",
            _plateau(cooldown_skips=True)),
    Mistake("plateau_against_last", "each epoch is compared with the "
            "previous epoch's metric; it must beat the best metric so far",
            _plateau(against_last=True)),
    Mistake("plateau_count_not_carried", "bad_epochs is not carried from one "
            "epoch to the next (each call counts from 0 again), so the rate is "
            "only cut when patience is 0; add to the bad_epochs of the state "
            "you are given",
            lambda state, metric, **hyper: ref.plateau_step(
                state._replace(bad_epochs=0), metric, **hyper)),
]


# ================================================================ graded

def _schedule(name: str, part: int, plans: list[Plan], mistakes: list[Mistake]) -> Graded:
    """A graded schedule: one case per plan, the reference from solutions."""
    return Graded(name=name, reference=getattr(ref, name), names=(name,),
                  cases=_schedule_cases(name, part, plans), mistakes=tuple(mistakes))


def _pair(impl: Any) -> tuple:
    return impl if isinstance(impl, tuple) else (ref.with_warmup, impl)


GRADED: dict[str, Graded] = {
    "step_decay": _schedule("step_decay", 0, STEP_PLANS, STEP_MISTAKES),
    "exponential_decay": _schedule("exponential_decay", 1, EXP_PLANS, EXP_MISTAKES),
    "inverse_time_decay": _schedule("inverse_time_decay", 2, INV_PLANS, INV_MISTAKES),
    "cosine": _schedule("cosine", 3, COS_PLANS, COS_MISTAKES),
    # with_warmup alone, on a schedule of the grader's: cases 0-1 with the
    # default start factor, 2-3 with start factors drawn (one cell each)
    "with_warmup": Graded(
        name="with_warmup", reference=ref.with_warmup, names=("with_warmup",),
        cases=_ramp_cases, mistakes=tuple(RAMP_MISTAKES)),
    # warmup_cosine is written on with_warmup (both the student's: a function
    # cannot be sent to the grader, so the reference's cannot be served in
    # its place) and calls cosine, which the reference serves while this
    # part is judged
    "warmup_cosine": Graded(
        name="warmup_cosine", reference=(ref.with_warmup, ref.warmup_cosine),
        names=("with_warmup", "warmup_cosine"), uses=("cosine",),
        cases=_schedule_cases("warmup_cosine", 4, WARM_PLANS, "annealing.warmup_schedule",
                              peak_at=lambda hyper: hyper["warmup"]),
        mistakes=tuple(Mistake(m.name, m.hint, _pair(m.impl)) for m in WARM_MISTAKES)),
    "plateau": Graded(
        name="plateau_step", reference=(ref.plateau_init, ref.plateau_step),
        names=("plateau_init", "plateau_step"), cases=_plateau_cases,
        mistakes=tuple(Mistake(m.name, m.hint, (ref.plateau_init, m.impl))
                       for m in PLATEAU_MISTAKES)),
}
