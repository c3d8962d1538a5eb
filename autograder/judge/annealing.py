"""Checks and known mistakes for the learning-rate schedules of chapter 5.

A schedule is graded as the student's function ``f(t, *, hyper)``. Each
case evaluates it at every step t = 0, 1, ..., end of a short range that
holds each boundary and its neighbours (the drops of a step decay, the end
of the warm-up, ``total``, steps past the end), for one set of non-default
hyperparameters, and returns the rates as one array ``lr`` whose leading
axis is t, so a failure names the first wrong t. Because the range starts
at 0 and has no gaps, the index along that axis IS the step t.

Inside each case two properties are checked before the values:

- purity: the range is evaluated again in reverse and in shuffled order;
  a schedule that keeps a counter between calls (or any other state)
  answers differently and is told so in a sentence of its own;
- shape: a decay never rises, and a warm-up never falls before its end.
  When a student's rates break that rule while staying plausible (finite,
  between 0 and the peak rate), the sentence says where they rise; the
  first wrong t and the known mistake that reproduces them, if any, follow.
  A failure found here is raised by the case itself, so its diagnosis is
  computed here too, from the raw rates of the catalogue.

Reduce-on-plateau is graded as the pair ``(plateau_init, plateau_step)``
fed a scripted metric sequence; the case stacks the lr and every state
field after each epoch (leading axis "step"), so a wrong counter shows even
on an epoch where the lr happens to be right.
"""
from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from autograder.judge.compare import check_value, relative_errors
from autograder.judge.core import Case, Graded, Mistake, Outputs
from autograder.judge.feedback import CheckFailure, fmt_number
from autograder.judge.tolerances import tolerance
from solutions import annealing as ref

TOL = "schedule"
PLATEAU_FIELDS = ("lr", "best", "bad_epochs", "cooldown_left")


# ------------------------------------------------- evaluating a schedule

@dataclass(frozen=True)
class Grid:
    """One set of hyperparameters and the steps t = 0..end to evaluate."""
    hyper: dict
    end: int
    note: str = ""  # where the boundaries are, for the label

    @property
    def ts(self) -> list[int]:
        return list(range(self.end + 1))

    def label(self) -> str:
        hyper = ", ".join(f"{k}={v:g}" for k, v in self.hyper.items())
        return f"t = 0..{self.end}, {hyper}" + (f"; {self.note}" if self.note else "")


def _number(value: Any, name: str, t: int, where: str) -> float:
    """A schedule's return value as a float, or a sentence saying what it is."""
    at = f"at t={t} ({where})"
    if value is None:
        raise CheckFailure(f"your {name} returned None {at}: is a return "
                           f"statement missing?")
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (numbers.Real, np.integer, np.floating)):
        what = (f"an array of shape {value.shape}" if isinstance(value, np.ndarray)
                else type(value).__name__)
        raise CheckFailure(f"your {name} should return a single number, got "
                           f"{what} {at}")
    if isinstance(value, np.floating) and value.dtype != np.float64:
        raise CheckFailure(f"your {name} returned a {value.dtype} {at}; "
                           f"return a Python float (computed in float64)")
    return float(value)


def _evaluate(fn: Callable, grid: Grid, ts: Sequence[int], name: str,
             where: str) -> dict[int, float]:
    """``{t: fn(t, **hyper)}`` in the order of ``ts``; errors become sentences."""
    values = {}
    for t in ts:
        try:
            out = fn(t, **dict(grid.hyper))  # a fresh dict: fn may edit it
        except CheckFailure:
            raise
        except Exception as err:  # the student's code may raise anything
            raise CheckFailure(f"your {name} raised {type(err).__name__}: "
                               f"{err} at t={t} ({where})") from None
        values[t] = _number(out, name, t, where)
    return values


def _check_pure(first: dict[int, float], again: dict[int, float], how: str,
                name: str, where: str) -> None:
    """A pure schedule gives the same rate for a t whatever came before."""
    tol = tolerance(TOL)
    for t in sorted(first):
        a, b = first[t], again[t]
        if relative_errors(np.float64(a), np.float64(b), tol.floor) > tol.rtol:
            raise CheckFailure(
                f"your {name} is not a pure function of t: at t={t} it "
                f"returned {fmt_number(a)} when called for t = 0, 1, 2, ... "
                f"in turn and {fmt_number(b)} when called again in {how} "
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


def _matching(mistakes: Sequence[Mistake], grid: Grid, lr: np.ndarray) -> Mistake | None:
    """The first catalogued schedule whose rates on ``grid`` equal ``lr``."""
    tol = tolerance(TOL)
    for mistake in mistakes:
        try:
            with np.errstate(all="ignore"):
                out = np.array([float(mistake.impl(t, **dict(grid.hyper)))
                                for t in grid.ts])
        except Exception:
            continue
        if not (relative_errors(lr, out, tol.floor) > tol.rtol).any():
            return mistake
    return None


def _check_shape(lr: np.ndarray, expected: np.ndarray, peak_at: int,
                 mistakes: Sequence[Mistake], grid: Grid, name: str,
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
    mistake = _matching(mistakes, grid, lr)
    raise CheckFailure(
        f"your {name} is {what}: it {how} from {fmt_number(lr[t])} at t={t} "
        f"to {fmt_number(lr[t + 1])} at t={t + 1}, and {rule} ({where}){first}",
        diagnosis=mistake.hint if mistake else None)


def _schedule_case(name: str, reference: Callable, grid: Grid, seed: int,
                   peak_at: Callable[[dict], int],
                   mistakes: Sequence[Mistake]) -> Case:
    label = grid.label()
    where = f"{name}, {label}"

    def run(impl) -> Outputs:
        if not callable(impl):
            raise CheckFailure(f"your {name} should be a function of t, got "
                               f"{type(impl).__name__}")
        first = _evaluate(impl, grid, grid.ts, name, where)
        backward = _evaluate(impl, grid, grid.ts[::-1], name, where)
        _check_pure(first, backward, "reverse", name, where)
        order = np.random.default_rng(seed).permutation(grid.end + 1)
        shuffled = _evaluate(impl, grid, [int(t) for t in order], name, where)
        _check_pure(first, shuffled, "shuffled", name, where)
        lr = np.array([first[t] for t in grid.ts])
        if impl is not reference:
            expected = np.array([float(reference(t, **grid.hyper)) for t in grid.ts])
            _check_shape(lr, expected, peak_at(grid.hyper), mistakes, grid, name, where)
        return {"lr": lr}
    return Case(label=label, run=run, tol=TOL, leading="t")


def _schedule(name: str, grids: Sequence[Grid], mistakes: list[Mistake],
              peak_at: Callable[[dict], int] = lambda hyper: 0) -> Graded:
    """A graded schedule: one case per grid, the reference from solutions."""
    reference = getattr(ref, name)
    return Graded(
        name=name, reference=reference,
        cases=lambda: [_schedule_case(name, reference, g, seed, peak_at, mistakes)
                       for seed, g in enumerate(grids)],
        mistakes=tuple(mistakes))


# ============================================================ step decay

STEP_GRIDS = [
    Grid(dict(lr0=0.3, drop=0.5, every=5), 16, "drops due at t = 5, 10, 15"),
    Grid(dict(lr0=0.8, drop=0.1, every=3), 10, "drops due at t = 3, 6, 9"),
    Grid(dict(lr0=0.05, drop=0.6, every=4), 13, "drops due at t = 4, 8, 12"),
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

EXP_GRIDS = [
    Grid(dict(lr0=0.5, k=0.1), 12),
    Grid(dict(lr0=2.0, k=0.35), 10),
    Grid(dict(lr0=0.01, k=0.02), 15),
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

INV_GRIDS = [
    Grid(dict(lr0=0.5, k=0.5), 12),
    Grid(dict(lr0=1.0, k=2.0), 8),
    Grid(dict(lr0=0.1, k=0.05), 24, "1 - k t reaches 0 at t = 20"),
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

COS_GRIDS = [
    Grid(dict(lr0=0.1, total=10, lr_min=0.001), 13, "lr_min from t = 10"),
    Grid(dict(lr0=1.0, total=7, lr_min=0.2), 10, "lr_min from t = 7"),
    Grid(dict(lr0=0.5, total=25, lr_min=0.0), 28, "lr_min from t = 25"),
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


# ==================================================== warm-up then cosine

WARM_GRIDS = [
    Grid(dict(lr0=0.1, warmup=4, total=12, lr_min=0.001), 15,
         "warm-up ends at t = 4, lr_min from t = 12"),
    Grid(dict(lr0=1.0, warmup=3, total=8, lr_min=0.1), 11,
         "warm-up ends at t = 3, lr_min from t = 8"),
    Grid(dict(lr0=0.5, warmup=6, total=20, lr_min=0.0), 23,
         "warm-up ends at t = 6, lr_min from t = 20"),
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


WARM_MISTAKES = [
    Mistake("warm_reaches_peak_early", "the warm-up reaches lr0 at t = "
            "warmup - 1 (t + 1 is used); it starts at 0 at t = 0 and reaches "
            "lr0 AT t = warmup",
            _warm(ramp=lambda t, w, n, lr0: lr0 * (t + 1) / w)),
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
    """A scripted run of reduce-on-plateau: start rate, metrics, hyperparameters."""
    lr0: float
    metrics: tuple[float, ...]
    hyper: dict
    what: str  # what the metric is, for the label

    def label(self) -> str:
        hyper = ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v:g}"
                          for k, v in self.hyper.items())
        metrics = ", ".join(f"{m:g}" for m in self.metrics)
        return (f"{len(self.metrics)} epochs of a scripted {self.what}, "
                f"lr0={self.lr0:g}, {hyper}; metrics {metrics}")


# Each script mixes clear improvements, improvements smaller than the
# relative threshold (some larger than the same threshold taken as an
# absolute one) and runs of bad epochs long enough for several reductions,
# down to min_lr. Metrics of a few units make the relative threshold
# (0.01 * 3 = 0.03) and an absolute one (0.01) differ.
PLATEAU_SCRIPTS = [
    Script(0.2, (5.0, 4.0, 3.98, 3.97, 3.99, 4.1, 3.0, 2.995, 2.98, 3.1, 3.2,
                 3.3, 2.9, 2.95, 3.0, 3.05, 3.1, 3.2, 3.3, 3.4),
           dict(mode="min", factor=0.5, patience=2, threshold=0.01,
                cooldown=1, min_lr=0.03), "validation loss"),
    Script(1.0, (0.5, 0.6, 0.61, 0.605, 0.62, 0.59, 0.6, 0.7, 0.69, 0.71,
                 0.7, 0.68, 0.69, 0.7, 0.65, 0.66, 0.7, 0.71, 0.72),
           dict(mode="max", factor=0.3, patience=3, threshold=0.02,
                cooldown=1, min_lr=0.05), "validation accuracy"),
    Script(0.5, (1.0, 0.9, 0.9, 0.95, 0.91, 0.899, 0.9, 0.91, 0.92, 0.8,
                 0.85, 0.86, 0.87, 0.88, 0.9),
           dict(mode="min", factor=0.1, patience=2, threshold=1e-3,
                cooldown=0, min_lr=1e-3), "validation loss"),
]


def _call(fn: Callable, name: str, where: str, *args, **kwargs) -> Any:
    """``fn(*args, **kwargs)``; an exception becomes a sentence naming fn."""
    try:
        return fn(*args, **kwargs)
    except CheckFailure:
        raise
    except Exception as err:  # the student's code may raise anything
        raise CheckFailure(f"your {name} raised {type(err).__name__}: {err} "
                           f"{where}") from None


def _field(state: Any, field: str) -> Any:
    """A field of the student's state: NamedTuple, object, dict or 4-tuple."""
    if isinstance(state, dict):
        return state.get(field, _MISSING)
    if hasattr(state, field):
        return getattr(state, field)
    if isinstance(state, (tuple, list)) and not hasattr(state, "_fields") \
            and len(state) == len(PLATEAU_FIELDS):
        return state[PLATEAU_FIELDS.index(field)]  # in the skeleton's order
    return _MISSING


_MISSING = object()


def _state_row(state: Any, who: str, where: str) -> list[float]:
    """The lr and counters of a state as floats, or a sentence on what is off."""
    if state is None:
        raise CheckFailure(f"your {who} returned None {where}: is a return "
                           f"statement missing?")
    row = []
    for field in PLATEAU_FIELDS:
        value = _field(state, field)
        if value is _MISSING:
            raise CheckFailure(
                f"your {who} returned a state without the field {field!r} "
                f"{where}; the state holds {', '.join(PLATEAU_FIELDS)}")
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value[()]
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (numbers.Real, np.integer, np.floating)):
            raise CheckFailure(f"the {field} of the state from your {who} is "
                               f"{value!r} {where}; it should be a number")
        row.append(float(value))
    return row


def _plateau_case(script: Script) -> Case:
    label = script.label()
    where = f"(plateau_step, {label})"

    def run(impl) -> Outputs:
        if not (isinstance(impl, (tuple, list)) and len(impl) == 2
                and all(callable(f) for f in impl)):
            raise CheckFailure("plateau is graded as the pair (plateau_init, "
                               "plateau_step) of your two functions")
        init, step = impl
        state = _call(init, "plateau_init", where, script.lr0)
        rows = []
        for i, metric in enumerate(script.metrics):
            at = f"at step {i} {where}"
            state = _call(step, "plateau_step", at, state, metric,
                          **dict(script.hyper))
            rows.append(_state_row(state, "plateau_step", at))
        table = np.array(rows, dtype=np.float64)
        return {field: table[:, j] for j, field in enumerate(PLATEAU_FIELDS)}
    return Case(label=label, run=run, tol=TOL, leading="step")


def _better(metric: float, best: float | None, mode: str, threshold: float,
            rule: str) -> bool:
    """Whether ``metric`` improves on ``best`` under one improvement rule."""
    if rule == "as_min":
        mode, rule = "min", "relative"
    if best is None:
        return not math.isnan(metric)
    sign = 1.0 if mode == "min" else -1.0
    margin = {"relative": threshold * abs(best), "absolute": threshold,
              "none": 0.0}[rule]
    return sign * metric < sign * best - margin


def _plateau(*, improves: str = "relative", reduce_when=lambda bad, p: bad > p,
             reset: bool = True, clamp: bool = True, use_cooldown: bool = True,
             forget_in_cooldown: bool = True, against_last: bool = False):
    """A plateau step with one rule turned away from the reference."""
    def step(state, metric, *, mode="min", factor=0.1, patience=10,
             threshold=1e-4, cooldown=0, min_lr=0.0):
        metric = float(metric)
        lr, best, bad, cool = state
        if _better(metric, best, mode, threshold, improves):
            best, bad = metric, 0
        else:
            bad += 1
            best = metric if against_last else best
        cooling = cool > 0
        if cooling:
            cool -= 1
            bad = 0 if forget_in_cooldown else bad
        if reduce_when(bad, patience) and (forget_in_cooldown or not cooling):
            new_lr = max(lr * factor, min_lr) if clamp else lr * factor
            lr = new_lr if lr - new_lr > 1e-8 else lr
            bad = 0 if reset else bad
            cool = cooldown if use_cooldown else 0
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
    Mistake("plateau_counter_not_reset", "bad_epochs is not reset to 0 "
            "when the rate is cut, so the next cut comes too soon",
            _plateau(reset=False)),
    Mistake("plateau_max_as_min", "mode 'max' is treated like 'min': with "
            "mode='max' a higher metric (e.g. an accuracy) is the better one",
            _plateau(improves="as_min")),
    Mistake("plateau_min_lr_ignored", "the rate is cut below min_lr; it "
            "should never go below min_lr: max(lr * factor, min_lr)",
            _plateau(clamp=False)),
    Mistake("plateau_cooldown_ignored", "cooldown is ignored: after a cut, "
            "set cooldown_left = cooldown; while it is above 0, each epoch "
            "counts it down by 1 and forgets the bad epochs",
            _plateau(use_cooldown=False)),
    Mistake("plateau_cooldown_keeps_count", "during the cooldown the bad "
            "epochs keep being counted; they are forgotten (bad_epochs = 0) "
            "while cooldown_left > 0",
            _plateau(forget_in_cooldown=False)),
    Mistake("plateau_against_last", "each epoch is compared with the "
            "previous epoch's metric; it must beat the best metric so far",
            _plateau(against_last=True)),
]


# ================================================================ graded

def _warmup_of(hyper: dict) -> int:
    return hyper["warmup"]


GRADED: dict[str, Graded] = {
    "step_decay": _schedule("step_decay", STEP_GRIDS, STEP_MISTAKES),
    "exponential_decay": _schedule("exponential_decay", EXP_GRIDS, EXP_MISTAKES),
    "inverse_time_decay": _schedule("inverse_time_decay", INV_GRIDS, INV_MISTAKES),
    "cosine": _schedule("cosine", COS_GRIDS, COS_MISTAKES),
    "warmup_cosine": _schedule("warmup_cosine", WARM_GRIDS, WARM_MISTAKES,
                               peak_at=_warmup_of),
    "plateau": Graded(
        name="plateau_step",
        reference=(ref.plateau_init, ref.plateau_step),
        cases=lambda: [_plateau_case(s) for s in PLATEAU_SCRIPTS],
        mistakes=tuple(Mistake(m.name, m.hint, (ref.plateau_init, m.impl))
                       for m in PLATEAU_MISTAKES)),
}
