"""Held-out entries for assignment 5: schedules and reduce-on-plateau.

Parts: ``annealing.step_decay``, ``annealing.exponential_decay``,
``annealing.inverse_time_decay`` and ``annealing.cosine`` (single
functions of the step t), ``annealing.warmup_cosine`` (with_warmup,
warmup_cosine) and ``annealing.plateau`` (improves, plateau_init,
plateau_step). The locked helpers are imported.
"""
from __future__ import annotations

import math

from benchmarks.heldout import Right, Wrong
from solutions.annealing import (_PLATEAU_EPS, PlateauState, _check_count,
                                 _check_lr0, _check_plateau, _check_range,
                                 _check_step)

# --------------------------------------------------------------- step decay


def _step_checks(t, lr0, drop, every):
    _check_step(t)
    _check_lr0(lr0)
    _check_range("drop", drop, 0.0, 1.0, "(]")
    _check_count("every", every, 1)


def step_decay_early(t, *, lr0, drop=0.5, every=5):
    _step_checks(t, lr0, drop, every)
    return float(lr0 * drop ** ((t + 1) // every))  # drops at every - 1


def step_decay_smooth(t, *, lr0, drop=0.5, every=5):
    _step_checks(t, lr0, drop, every)
    return float(lr0 * drop ** (t / every))


_current_rate: dict = {}


def step_decay_remembers(t, *, lr0, drop=0.5, every=5):
    # keeps the rate between calls like a torch scheduler's step()
    _step_checks(t, lr0, drop, every)
    key = (lr0, drop, every)
    rate = _current_rate.get(key, lr0)
    if t > 0 and t % every == 0:
        rate *= drop
    _current_rate[key] = rate
    return float(rate)


def step_decay_loop(t, *, lr0, drop=0.5, every=5):
    _step_checks(t, lr0, drop, every)
    rate = float(lr0)
    for _ in range(every, t + 1, every):
        rate *= drop
    return rate


# ------------------------------------------------------- exponential decay

def _exp_checks(t, lr0, k):
    _check_step(t)
    _check_lr0(lr0)
    _check_range("k", k, 0.0, math.inf, "[)")


def exponential_decay_shifted(t, *, lr0, k):
    _exp_checks(t, lr0, k)
    return float(lr0 * math.exp(-k * (t + 1)))


def exponential_decay_k_as_gamma(t, *, lr0, k):
    _check_step(t)
    _check_lr0(lr0)
    return float(lr0 * k ** t)  # k read as torch's gamma


def exponential_decay_recursive(t, *, lr0, k):
    _exp_checks(t, lr0, k)
    if t == 0:
        return float(lr0)
    return exponential_decay_recursive(t - 1, lr0=lr0, k=k) * math.exp(-k)


def exponential_decay_gamma_power(t, *, lr0, k):
    _exp_checks(t, lr0, k)
    return float(lr0 * math.exp(-k) ** t)


# ------------------------------------------------------- inverse time decay

def inverse_time_decay_no_one(t, *, lr0, k):
    _exp_checks(t, lr0, k)
    return float(lr0 / (k * t))


def inverse_time_decay_precedence(t, *, lr0, k):
    _exp_checks(t, lr0, k)
    return float(lr0 / 1 + k * t)


# ------------------------------------------------------------------ cosine

def _cos_checks(t, lr0, total, lr_min):
    _check_step(t)
    _check_lr0(lr0)
    _check_count("total", total, 1)
    _check_range("lr_min", lr_min, 0.0, lr0)


def cosine(t, *, lr0, total, lr_min=0.0):
    _cos_checks(t, lr0, total, lr_min)
    if t >= total:
        return float(lr_min)
    return float(lr_min + (lr0 - lr_min)
                 * (1 + math.cos(math.pi * t / total)) / 2)


def cosine_no_half(t, *, lr0, total, lr_min=0.0):
    _cos_checks(t, lr0, total, lr_min)
    if t >= total:
        return float(lr_min)
    return float(lr_min + (lr0 - lr_min) * math.cos(math.pi * t / total))


def cosine_no_clamp(t, *, lr0, total, lr_min=0.0):
    _cos_checks(t, lr0, total, lr_min)
    return float(lr_min + (lr0 - lr_min)
                 * (1 + math.cos(math.pi * t / total)) / 2)


def cosine_floor_ignored(t, *, lr0, total, lr_min=0.0):
    _cos_checks(t, lr0, total, lr_min)
    if t >= total:
        return 0.0
    return float(lr0 * (1 + math.cos(math.pi * t / total)) / 2)


def cosine_zero_past_total(t, *, lr0, total, lr_min=0.0):
    _cos_checks(t, lr0, total, lr_min)
    if t > total:
        return 0.0  # the floor is forgotten after the end
    return float(lr_min + (lr0 - lr_min)
                 * (1 + math.cos(math.pi * t / total)) / 2)


def cosine_inclusive(t, *, lr0, total, lr_min=0.0):
    _cos_checks(t, lr0, total, lr_min)
    if t <= total:  # cos(pi) = -1 lands exactly on lr_min
        half = 0.5 + 0.5 * math.cos(math.pi * t / total)
        return float(lr_min + (lr0 - lr_min) * half)
    return float(lr_min)


# --------------------------------------------------------------- warm-up

def _ramp_checks(schedule, t, warmup, start_factor):
    _check_step(t)
    _check_count("warmup", warmup, 0)
    _check_range("start_factor", start_factor, 0.0, 1.0)
    if not callable(schedule):
        raise TypeError(f"schedule must be callable, got {schedule!r}")


def with_warmup(schedule, t, *, warmup, start_factor=0.0):
    _ramp_checks(schedule, t, warmup, start_factor)
    if t >= warmup:
        return float(schedule(t - warmup))
    f = start_factor
    return float(schedule(0) * (f + (1 - f) * t / warmup))


def _wc_checks(warmup, total):
    _check_count("warmup", warmup, 0)
    _check_count("total", total, 1)
    if warmup >= total:
        raise ValueError(f"warmup {warmup} must be < total {total}")


def warmup_cosine(t, *, lr0, warmup, total, lr_min=0.0):
    _wc_checks(warmup, total)
    return with_warmup(lambda s: cosine(s, lr0=lr0, total=total - warmup,
                                        lr_min=lr_min), t, warmup=warmup)


def with_warmup_short_ramp(schedule, t, *, warmup, start_factor=0.0):
    _ramp_checks(schedule, t, warmup, start_factor)
    if t >= warmup:
        return float(schedule(t - warmup))
    f = start_factor
    frac = t / (warmup - 1) if warmup > 1 else 1.0  # reaches 1 at W - 1
    return float(schedule(0) * (f + (1 - f) * frac))


def warmup_cosine_short_ramp(t, *, lr0, warmup, total, lr_min=0.0):
    _wc_checks(warmup, total)
    return with_warmup_short_ramp(
        lambda s: cosine(s, lr0=lr0, total=total - warmup, lr_min=lr_min),
        t, warmup=warmup)


def with_warmup_global_clock(schedule, t, *, warmup, start_factor=0.0):
    _ramp_checks(schedule, t, warmup, start_factor)
    if t >= warmup:
        return float(schedule(t))  # not shifted by the warm-up
    f = start_factor
    return float(schedule(0) * (f + (1 - f) * t / warmup))


def warmup_cosine_global_clock(t, *, lr0, warmup, total, lr_min=0.0):
    _wc_checks(warmup, total)
    return with_warmup_global_clock(
        lambda s: cosine(s, lr0=lr0, total=total - warmup, lr_min=lr_min),
        t, warmup=warmup)


def warmup_cosine_full_total(t, *, lr0, warmup, total, lr_min=0.0):
    _wc_checks(warmup, total)
    return with_warmup(lambda s: cosine(s, lr0=lr0, total=total,
                                        lr_min=lr_min), t, warmup=warmup)


def with_warmup_from_zero(schedule, t, *, warmup, start_factor=0.0):
    _ramp_checks(schedule, t, warmup, start_factor)
    if t >= warmup:
        return float(schedule(t - warmup))
    return float(schedule(0) * t / warmup)  # start_factor never used


def with_warmup_min_fraction(schedule, t, *, warmup, start_factor=0.0):
    _ramp_checks(schedule, t, warmup, start_factor)
    frac = min(t / warmup, 1.0)  # divides by zero when warmup == 0
    if frac < 1.0:
        f = start_factor
        return float(schedule(0) * (f + (1 - f) * frac))
    return float(schedule(t - warmup))


def warmup_cosine_min_fraction(t, *, lr0, warmup, total, lr_min=0.0):
    _wc_checks(warmup, total)
    return with_warmup_min_fraction(
        lambda s: cosine(s, lr0=lr0, total=total - warmup, lr_min=lr_min),
        t, warmup=warmup)


def warmup_cosine_closed_form(t, *, lr0, warmup, total, lr_min=0.0):
    _wc_checks(warmup, total)
    _check_step(t)
    if t < warmup:
        return float(lr0 * t / warmup)
    if t >= total:
        return float(lr_min)
    phase = math.pi * (t - warmup) / (total - warmup)
    return float(lr_min + (lr0 - lr_min) * (1 + math.cos(phase)) / 2)


# --------------------------------------------------------- reduce on plateau

def improves(metric, best, mode, threshold):
    if mode == "min":
        return metric < (math.inf if best is None else best) * (1 - threshold)
    return metric > (-math.inf if best is None else best) * (1 + threshold)


def plateau_init(lr):
    _check_range("lr", lr, 0.0, math.inf, "[)")
    return PlateauState(float(lr), None, 0, 0)


def _plateau(better, state, metric, mode, factor, patience, threshold,
             cooldown, min_lr, *, reduce=None, cooldown_first=False):
    """One epoch with the comparison ``better``; the keywords let a
    variant change one rule of the ordered steps."""
    _check_plateau(mode, factor, patience, threshold, cooldown, min_lr)
    metric = float(metric)
    lr, best, bad, cool = state
    if cooldown_first and cool > 0:
        cool, bad = cool - 1, 0
    if better(metric, best, mode, threshold):
        best, bad = metric, 0
    else:
        bad += 1
    if not cooldown_first and cool > 0:
        cool, bad = cool - 1, 0
    if bad > patience:
        lr = (reduce or _reduce)(lr, factor, min_lr)
        bad, cool = 0, cooldown
    return PlateauState(lr, best, bad, cool)


def _reduce(lr, factor, min_lr):
    new = max(lr * factor, min_lr)
    return new if lr - new > _PLATEAU_EPS else lr


def plateau_step(state, metric, *, mode="min", factor=0.1, patience=10,
                 threshold=1e-4, cooldown=0, min_lr=0.0):
    return _plateau(improves, state, metric, mode, factor, patience,
                    threshold, cooldown, min_lr)


def improves_or_equal(metric, best, mode, threshold):
    if mode == "min":
        return metric <= (math.inf if best is None else best) * (1 - threshold)
    return metric >= (-math.inf if best is None else best) * (1 + threshold)


def plateau_step_or_equal(state, metric, *, mode="min", factor=0.1,
                          patience=10, threshold=1e-4, cooldown=0,
                          min_lr=0.0):
    return _plateau(improves_or_equal, state, metric, mode, factor,
                    patience, threshold, cooldown, min_lr)


def plateau_step_patience_reached(state, metric, *, mode="min", factor=0.1,
                                  patience=10, threshold=1e-4, cooldown=0,
                                  min_lr=0.0):
    _check_plateau(mode, factor, patience, threshold, cooldown, min_lr)
    metric = float(metric)
    lr, best, bad, cool = state
    if improves(metric, best, mode, threshold):
        best, bad = metric, 0
    else:
        bad += 1
    if cool > 0:
        cool, bad = cool - 1, 0
    if bad >= patience:  # one epoch too early
        lr = _reduce(lr, factor, min_lr)
        bad, cool = 0, cooldown
    return PlateauState(lr, best, bad, cool)


def plateau_step_cooldown_first(state, metric, *, mode="min", factor=0.1,
                                patience=10, threshold=1e-4, cooldown=0,
                                min_lr=0.0):
    return _plateau(improves, state, metric, mode, factor, patience,
                    threshold, cooldown, min_lr, cooldown_first=True)


def plateau_step_no_floor(state, metric, *, mode="min", factor=0.1,
                          patience=10, threshold=1e-4, cooldown=0,
                          min_lr=0.0):
    def reduce(lr, factor, min_lr):
        new = lr * factor  # min_lr never applied
        return new if lr - new > _PLATEAU_EPS else lr
    return _plateau(improves, state, metric, mode, factor, patience,
                    threshold, cooldown, min_lr, reduce=reduce)


def improves_or_default(metric, best, mode, threshold):
    if mode == "min":
        return metric < (best or math.inf) * (1 - threshold)  # 0.0 is falsy
    return metric > (best or -math.inf) * (1 + threshold)


def plateau_step_or_default(state, metric, *, mode="min", factor=0.1,
                            patience=10, threshold=1e-4, cooldown=0,
                            min_lr=0.0):
    return _plateau(improves_or_default, state, metric, mode, factor,
                    patience, threshold, cooldown, min_lr)


def improves_not_worse(metric, best, mode, threshold):
    if best is None:
        return True
    if mode == "min":
        return not metric >= best * (1 - threshold)  # True for a NaN
    return not metric <= best * (1 + threshold)


def plateau_step_not_worse(state, metric, *, mode="min", factor=0.1,
                           patience=10, threshold=1e-4, cooldown=0,
                           min_lr=0.0):
    return _plateau(improves_not_worse, state, metric, mode, factor,
                    patience, threshold, cooldown, min_lr)


def plateau_init_infinite(lr):
    _check_range("lr", lr, 0.0, math.inf, "[)")
    return PlateauState(float(lr), math.inf, 0, 0)


def improves_signed(metric, best, mode, threshold):
    # a "max" metric is a "min" metric with its sign flipped
    sign = 1.0 if mode == "min" else -1.0
    ref = sign * math.inf if best is None else best
    scale = (1 - threshold) if mode == "min" else (1 + threshold)
    return sign * metric < sign * ref * scale


def plateau_step_signed(state, metric, *, mode="min", factor=0.1,
                        patience=10, threshold=1e-4, cooldown=0, min_lr=0.0):
    return _plateau(improves_signed, state, metric, mode, factor, patience,
                    threshold, cooldown, min_lr)


def plateau_step_spelled_out(state, metric, *, mode="min", factor=0.1,
                             patience=10, threshold=1e-4, cooldown=0,
                             min_lr=0.0):
    _check_plateau(mode, factor, patience, threshold, cooldown, min_lr)
    metric = float(metric)
    if improves(metric, state.best, mode, threshold):
        new = state._replace(best=metric, bad_epochs=0)
    else:
        new = state._replace(bad_epochs=state.bad_epochs + 1)
    if new.cooldown_left > 0:
        new = new._replace(cooldown_left=new.cooldown_left - 1,
                           bad_epochs=0)
    if new.bad_epochs > patience:
        target = max(new.lr * factor, min_lr)
        if new.lr - target > _PLATEAU_EPS:
            new = new._replace(lr=target)
        new = new._replace(bad_epochs=0, cooldown_left=cooldown)
    return new


# ---------------------------------------------------------------------------

A = "annealing."
PLATEAU = (improves, plateau_init, plateau_step)
WARMUP = (with_warmup, warmup_cosine)

WRONG = [
    Wrong(A + "step_decay", "drops_one_step_early", "formula",
          step_decay_early,
          "the exponent is (t + 1) // every, so each drop comes at step "
          "k * every - 1"),
    Wrong(A + "step_decay", "smooth_exponent", "formula", step_decay_smooth,
          "t / every instead of t // every gives a smooth exponential, not "
          "steps"),
    Wrong(A + "step_decay", "remembers_rate", "contract",
          step_decay_remembers,
          "the rate is kept between calls and multiplied at each boundary, "
          "so the value depends on which steps were asked for before"),

    Wrong(A + "exponential_decay", "shifted_by_one", "formula",
          exponential_decay_shifted,
          "exp(-k (t + 1)) makes the first step already decayed"),
    Wrong(A + "exponential_decay", "k_as_gamma", "formula",
          exponential_decay_k_as_gamma,
          "k is used as the per-step factor gamma (lr0 k ** t) instead of "
          "gamma = exp(-k)"),
    Wrong(A + "exponential_decay", "recursive", "inputs",
          exponential_decay_recursive,
          "the rate is computed recursively from lr(t - 1), which exceeds "
          "the recursion limit for large t"),

    Wrong(A + "inverse_time_decay", "no_one", "formula",
          inverse_time_decay_no_one,
          "lr0 / (k t) leaves out the 1 and divides by zero at t = 0"),
    Wrong(A + "inverse_time_decay", "precedence", "formula",
          inverse_time_decay_precedence,
          "lr0 / 1 + k * t: the missing parentheses make the rate grow"),

    Wrong(A + "cosine", "no_half_cosine", "formula", cosine_no_half,
          "cos(pi t / T) is used instead of (1 + cos(pi t / T)) / 2, so the "
          "rate goes below lr_min"),
    Wrong(A + "cosine", "no_clamp", "inputs", cosine_no_clamp,
          "no branch for t > total, so the rate climbs back up along the "
          "cosine as in torch's CosineAnnealingLR"),
    Wrong(A + "cosine", "floor_ignored", "contract", cosine_floor_ignored,
          "the lr_min argument is ignored and the rate anneals to 0"),
    Wrong(A + "cosine", "zero_past_total", "inputs", cosine_zero_past_total,
          "after t = total the rate is 0 instead of lr_min"),

    Wrong(A + "warmup_cosine", "ramp_too_short", "formula",
          (with_warmup_short_ramp, warmup_cosine_short_ramp),
          "the ramp is t / (W - 1), reaching s(0) one step before t = W"),
    Wrong(A + "warmup_cosine", "global_clock", "formula",
          (with_warmup_global_clock, warmup_cosine_global_clock),
          "after the warm-up the schedule is called at t instead of "
          "t - W, so it does not run on its own clock"),
    Wrong(A + "warmup_cosine", "cosine_over_total", "formula",
          (with_warmup, warmup_cosine_full_total),
          "the cosine is given total steps instead of total - warmup, so "
          "it has not reached lr_min at t = total"),
    Wrong(A + "warmup_cosine", "start_factor_ignored", "contract",
          (with_warmup_from_zero, warmup_cosine),
          "with_warmup ignores start_factor and always ramps from 0"),
    Wrong(A + "warmup_cosine", "zero_warmup_divides", "inputs",
          (with_warmup_min_fraction, warmup_cosine_min_fraction),
          "the ramp fraction t / warmup is computed before the branch, so "
          "warmup = 0 raises ZeroDivisionError"),

    Wrong(A + "plateau", "equal_improves", "inputs",
          (improves_or_equal, plateau_init, plateau_step_or_equal),
          "<= instead of <: a metric exactly at best * (1 - threshold) "
          "counts as an improvement"),
    Wrong(A + "plateau", "patience_reached", "formula",
          (improves, plateau_init, plateau_step_patience_reached),
          "the rate drops when bad_epochs reaches patience instead of "
          "exceeding it"),
    Wrong(A + "plateau", "cooldown_before_count", "formula",
          (improves, plateau_init, plateau_step_cooldown_first),
          "the cooldown is counted down before the epoch is judged, so a "
          "bad epoch during cooldown still counts"),
    Wrong(A + "plateau", "min_lr_ignored", "inputs",
          (improves, plateau_init, plateau_step_no_floor),
          "lr * factor is not clamped at min_lr, which shows once the "
          "floor is reached"),
    Wrong(A + "plateau", "best_or_default", "inputs",
          (improves_or_default, plateau_init, plateau_step_or_default),
          "best or inf treats a best of exactly 0.0 as no best yet"),
    Wrong(A + "plateau", "nan_improves", "inputs",
          (improves_not_worse, plateau_init, plateau_step_not_worse),
          "the test is 'not worse' (not metric >= ...), which is True for "
          "a NaN metric"),
    Wrong(A + "plateau", "init_best_infinite", "contract",
          (improves, plateau_init_infinite, plateau_step),
          "plateau_init stores best = inf instead of None, which is also "
          "never beaten in mode 'max'"),
]

RIGHT = [
    Right(A + "step_decay", "multiply_per_drop", step_decay_loop),
    Right(A + "exponential_decay", "gamma_power",
          exponential_decay_gamma_power),
    Right(A + "cosine", "inclusive_branch", cosine_inclusive),
    Right(A + "warmup_cosine", "closed_form",
          (with_warmup, warmup_cosine_closed_form)),
    Right(A + "plateau", "sign_flip",
          (improves_signed, plateau_init, plateau_step_signed)),
    Right(A + "plateau", "spelled_out",
          (improves, plateau_init, plateau_step_spelled_out)),
]
