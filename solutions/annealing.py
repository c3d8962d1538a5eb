"""Learning-rate schedules and hyperparameter search (chapter 5).

A schedule is a pure closed form of the 0-based step index ``t`` (an int,
``t = 0`` is the first update) returning a Python float; bind its
hyperparameters with ``functools.partial`` to get ``lr(t)``, which can be
called in any order. PyTorch's schedulers instead mutate
``param_groups[0]["lr"]`` one ``step()`` at a time, so their values carry
a little rounding (the tests measure it), and some differ on purpose:
``CosineAnnealingLR`` keeps oscillating past ``T_max`` where ``cosine``
stays at ``lr_min``, ``LinearLR`` refuses ``start_factor = 0`` where
``linear_warmup`` allows it, and ``PolynomialLR`` is not our
``polynomial_decay``. Reduce-on-plateau is a pure ``plateau_step(state,
metric) -> state`` matching ``ReduceLROnPlateau(threshold_mode="rel")``
step for step. The search helpers draw log-scale parameters uniformly in
``log10`` space, treat a lower score as better and sort NaN scores
(diverged runs) last.
"""
from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, NamedTuple, Sequence

import numpy as np

Space = dict[str, tuple[float, float, str]]

# Reductions smaller than this are skipped, as in ReduceLROnPlateau(eps).
_PLATEAU_EPS = 1e-8


# --------------------------------------------------------------- checks

def _check_count(name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")


def _check_step(t: int) -> None:
    _check_count("step t", t, 0)


def _check_range(name: str, value: float, low: float, high: float,
                 closed: str = "[]") -> None:
    lo_ok = value >= low if closed[0] == "[" else value > low
    hi_ok = value <= high if closed[1] == "]" else value < high
    if not (math.isfinite(value) and lo_ok and hi_ok):
        raise ValueError(f"{name} must be finite and in {closed[0]}{low}, "
                         f"{high}{closed[1]}, got {value}")


def _check_lr0(lr0: float) -> None:
    _check_range("lr0", lr0, 0.0, math.inf, "()")


# ------------------------------------------------------------ schedules

def constant(t: int, *, lr0: float) -> float:
    """Constant rate: lr(t) = lr0 for every step t >= 0.

    Scalars in, float out. lr0 > 0 and finite.
    """
    _check_step(t)
    _check_lr0(lr0)
    return float(lr0)


def step_decay(t: int, *, lr0: float, drop: float = 0.5,
               every: int = 5) -> float:
    """Step decay: lr(t) = lr0 * drop ** (t // every).

    The k-th drop happens AT step k*every (steps 0..every-1 use lr0), as
    torch StepLR(step_size=every, gamma=drop). 0 < drop <= 1, every >= 1.
    E.g. halve every 5 epochs (drop=0.5, every=5) or drop=0.1, every=20.
    """
    _check_step(t)
    _check_lr0(lr0)
    _check_range("drop", drop, 0.0, 1.0, "(]")
    _check_count("every", every, 1)
    return float(lr0 * drop ** (t // every))


def exponential_decay(t: int, *, lr0: float, k: float) -> float:
    """Exponential decay: lr(t) = lr0 * exp(-k t), k >= 0.

    Equals torch ExponentialLR with gamma = exp(-k); lr(0) = lr0.
    """
    _check_step(t)
    _check_lr0(lr0)
    _check_range("k", k, 0.0, math.inf, "[)")
    return float(lr0 * math.exp(-k * t))


def inverse_time_decay(t: int, *, lr0: float, k: float) -> float:
    """1/t decay: lr(t) = lr0 / (1 + k t), k >= 0; lr(0) = lr0."""
    _check_step(t)
    _check_lr0(lr0)
    _check_range("k", k, 0.0, math.inf, "[)")
    return float(lr0 / (1.0 + k * t))


def polynomial_decay(t: int, *, lr0: float, alpha: float,
                     beta: float = 1.0) -> float:
    """Polynomial decay: lr(t) = lr0 * (beta t + 1) ** -alpha.

    alpha >= 0, beta >= 0; lr(0) = lr0; alpha = beta = 1 is 1/t decay.
    (Not torch PolynomialLR, which decays to 0 at a fixed total_iters.)
    """
    _check_step(t)
    _check_lr0(lr0)
    _check_range("alpha", alpha, 0.0, math.inf, "[)")
    _check_range("beta", beta, 0.0, math.inf, "[)")
    return float(lr0 * (beta * t + 1.0) ** -alpha)


def piecewise_constant(t: int, *, boundaries: Sequence[int],
                       values: Sequence[float]) -> float:
    """Piecewise constant: lr(t) = values[i] for b[i-1] <= t < b[i].

    With b = boundaries (ints >= 1, strictly increasing), b[-1] = 0 and
    b[len(b)] = infinity, so len(values) == len(boundaries) + 1. The new
    value starts AT its boundary step; torch MultiStepLR(milestones=b,
    gamma) agrees when values[i] = lr0 * gamma**i.
    """
    _check_step(t)
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"need len(values) == len(boundaries) + 1, got "
                         f"{len(values)} values, {len(boundaries)} bounds")
    for b in boundaries:
        _check_count("each boundary", b, 1)
    if any(a >= b for a, b in zip(boundaries, boundaries[1:])):
        raise ValueError(f"boundaries must be strictly increasing, got "
                         f"{list(boundaries)}")
    return float(values[bisect_right(boundaries, t)])


def cosine(t: int, *, lr0: float, total: int, lr_min: float = 0.0) -> float:
    """Cosine annealing from lr0 at t = 0 to lr_min at t = total.

    lr(t) = lr_min + (lr0 - lr_min) * (1 + cos(pi t / total)) / 2 for
    t <= total, and lr_min for t > total (no restarts). torch
    CosineAnnealingLR(T_max=total, eta_min=lr_min) agrees up to t = total
    but then rises again along the cosine, period 2 * total.
    total >= 1, 0 <= lr_min <= lr0.
    """
    _check_step(t)
    _check_lr0(lr0)
    _check_count("total", total, 1)
    _check_range("lr_min", lr_min, 0.0, lr0)
    if t >= total:
        return float(lr_min)
    half_cos = (1 + math.cos(math.pi * t / total)) / 2
    return float(lr_min + (lr0 - lr_min) * half_cos)


def linear_warmup(t: int, *, lr0: float, warmup: int,
                  start_factor: float = 0.0) -> float:
    """Linear warm-up: lr(t) = lr0 * (f + (1 - f) * min(t, W) / W).

    f = start_factor in [0, 1], W = warmup >= 0 steps: lr(0) = f * lr0,
    lr(W) = lr0 and lr0 after; W = 0 means no warm-up. Same shape as torch
    LinearLR(start_factor=f, total_iters=W), which requires f > 0.
    """
    _check_step(t)
    _check_lr0(lr0)
    _check_count("warmup", warmup, 0)
    _check_range("start_factor", start_factor, 0.0, 1.0)
    if t >= warmup:
        return float(lr0)
    return float(lr0 * (start_factor + (1 - start_factor) * t / warmup))


def constant_warmup(t: int, *, lr0: float, warmup: int,
                    factor: float = 0.1) -> float:
    """Constant warm-up: lr(t) = lr0 * factor for t < warmup, else lr0.

    The jump to lr0 happens AT step warmup, as torch ConstantLR(factor,
    total_iters=warmup). factor in [0, 1], warmup >= 0.
    """
    _check_step(t)
    _check_lr0(lr0)
    _check_count("warmup", warmup, 0)
    _check_range("factor", factor, 0.0, 1.0)
    return float(lr0 * factor if t < warmup else lr0)


def with_warmup(schedule: Callable[[int], float], t: int, *, warmup: int,
                start_factor: float = 0.0) -> float:
    """Prepend a linear warm-up of W = warmup steps to ``schedule``.

    lr(t) = s(0) * (f + (1 - f) * t / W) for t < W, else s(t - W), with
    s = schedule and f = start_factor in [0, 1]: the warm-up ends at s(0),
    so lr is continuous at t = W and s then runs on its own clock.
    Bind with partial(with_warmup, s, warmup=W) to get a schedule.
    """
    _check_step(t)
    _check_count("warmup", warmup, 0)
    _check_range("start_factor", start_factor, 0.0, 1.0)
    if not callable(schedule):
        raise TypeError(f"schedule must be callable, got {schedule!r}")
    if t >= warmup:
        return float(schedule(t - warmup))
    return float(schedule(0) * (start_factor
                                + (1 - start_factor) * t / warmup))


def warmup_cosine(t: int, *, lr0: float, warmup: int, total: int,
                  lr_min: float = 0.0) -> float:
    """Linear warm-up from 0 to lr0 over W steps, then cosine to lr_min.

    total counts ALL steps, warm-up included: lr(0) = 0, lr(W) = lr0,
    lr(total) = lr_min and lr_min after; in between
    lr(t) = lr_min + (lr0 - lr_min) (1 + cos(pi (t-W) / (total-W))) / 2.
    0 <= warmup < total.
    """
    _check_count("warmup", warmup, 0)
    _check_count("total", total, 1)
    if warmup >= total:
        raise ValueError(f"warmup must be < total, got warmup={warmup}, "
                         f"total={total}")

    def decay(s: int) -> float:
        return cosine(s, lr0=lr0, total=total - warmup, lr_min=lr_min)
    return with_warmup(decay, t, warmup=warmup)


# ---------------------------------------------------- reduce on plateau

class PlateauState(NamedTuple):
    """State of reduce-on-plateau; best is None before the first metric."""

    lr: float
    best: float | None
    bad_epochs: int
    cooldown_left: int


def plateau_init(lr: float) -> PlateauState:
    """Fresh plateau state: (lr, best=None, bad_epochs=0, cooldown_left=0).

    best = None plays the role of torch's +inf (min) or -inf (max).
    """
    _check_range("lr", lr, 0.0, math.inf, "[)")
    return PlateauState(float(lr), None, 0, 0)


def improves(metric: float, best: float | None, mode: str,
             threshold: float) -> bool:
    """Whether ``metric`` beats ``best`` by the relative ``threshold``.

    mode "min" (a loss): metric < best * (1 - threshold); mode "max" (an
    accuracy): metric > best * (1 + threshold). The first metric (best is
    None) always improves; a nan metric never does.
    """
    if mode == "min":
        ref = math.inf if best is None else best
        return metric < ref * (1 - threshold)
    ref = -math.inf if best is None else best
    return metric > ref * (1 + threshold)


def _check_plateau(mode: str, factor: float, patience: int,
                   threshold: float, cooldown: int, min_lr: float) -> None:
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    _check_range("factor", factor, 0.0, 1.0, "()")
    _check_count("patience", patience, 0)
    _check_count("cooldown", cooldown, 0)
    _check_range("threshold", threshold, 0.0, 1.0, "[)")
    _check_range("min_lr", min_lr, 0.0, math.inf, "[)")


def plateau_step(state: PlateauState, metric: float, *, mode: str = "min",
                 factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, cooldown: int = 0,
                 min_lr: float = 0.0) -> PlateauState:
    """One epoch of reduce-on-plateau, after measuring ``metric``.

    An epoch improves if metric < best * (1 - threshold) (mode "min",
    e.g. validation loss) or metric > best * (1 + threshold) (mode "max",
    e.g. validation accuracy); a first finite metric always does, NaN
    never. Otherwise bad_epochs += 1. While cooldown_left > 0 it counts
    down and bad epochs are forgotten. When bad_epochs > patience:
    lr = max(lr * factor, min_lr) (skipped if it would drop by <= 1e-8),
    bad_epochs = 0, cooldown_left = cooldown. The returned lr is the one
    for the next epoch. The threshold is relative, so it assumes a
    positive metric, as torch ReduceLROnPlateau(threshold_mode="rel").
    """
    _check_plateau(mode, factor, patience, threshold, cooldown, min_lr)
    metric = float(metric)
    lr, best, bad, cool = state
    if improves(metric, best, mode, threshold):
        best, bad = metric, 0
    else:
        bad += 1
    if cool > 0:
        cool, bad = cool - 1, 0
    if bad > patience:
        new_lr = max(lr * factor, min_lr)
        lr = new_lr if lr - new_lr > _PLATEAU_EPS else lr
        bad, cool = 0, cooldown
    return PlateauState(lr, best, bad, cool)


# ---------------------------------------------------------------- search

@dataclass(frozen=True)
class Trial:
    """One evaluated setting: params (name -> value) and its score."""

    params: dict
    score: float


def log_uniform(rng: np.random.Generator, low: float, high: float,
                size: int | tuple[int, ...] | None = None
                ) -> float | np.ndarray:
    """Log-uniform draw: x = 10 ** u, u ~ Uniform(log10 low, log10 high).

    0 < low <= high. size=None gives a float, otherwise an array of that
    shape. Each decade is equally likely, so lr in [1e-6, 10] spends as
    many draws on [1e-6, 1e-5] as on [1, 10]. Values are clipped to
    [low, high] because 10 ** log10(x) can round just past x.
    """
    if not (0 < low <= high) or not math.isfinite(high):
        raise ValueError(f"need 0 < low <= high < inf, got low={low}, "
                         f"high={high}")
    u = rng.uniform(math.log10(low), math.log10(high), size)
    x = np.clip(10.0 ** u, low, high)
    return float(x) if size is None else x


def _check_space(space: Space) -> None:
    if not space:
        raise ValueError(f"space must name at least one parameter, "
                         f"got {space!r}")
    for name, (low, high, scale) in space.items():
        if scale not in ("log", "linear"):
            raise ValueError(f"{name}: scale must be 'log' or 'linear', "
                             f"got {scale!r}")
        if not low < high or scale == "log" and low <= 0:
            raise ValueError(f"{name}: need low < high (and low > 0 for "
                             f"log), got ({low}, {high}, {scale!r})")


def _sample(space: Space, rng: np.random.Generator) -> dict:
    # One rng draw per parameter, in the space's order: reproducible.
    return {name: (log_uniform(rng, low, high) if scale == "log"
                   else float(rng.uniform(low, high)))
            for name, (low, high, scale) in space.items()}


def _ranked(trials: list[Trial]) -> list[Trial]:
    # NaN scores (diverged runs) go last instead of breaking the sort.
    return sorted(trials, key=lambda tr: (math.isnan(tr.score), tr.score))


def _run(objective: Callable[[dict], float], box: Space, n: int,
         rng: np.random.Generator) -> list[Trial]:
    # The objective gets a copy, so it cannot edit the recorded params.
    trials = []
    for _ in range(n):
        params = _sample(box, rng)
        trials.append(Trial(params, float(objective(dict(params)))))
    return _ranked(trials)


def random_search(objective: Callable[[dict], float], space: Space, *,
                  n_trials: int, rng: np.random.Generator) -> list[Trial]:
    """Random search: n_trials independent draws from ``space``.

    space maps name -> (low, high, "log" | "linear"): uniform in
    [low, high] or in [log10 low, log10 high]. Each draw is scored by
    objective(params); returns Trials sorted best (lowest score) first,
    NaN scores last, ties in draw order. Unlike a grid, every trial tries
    a new value of every parameter, which pays off when only a few
    parameters matter (Bergstra and Bengio, 2012).
    """
    _check_space(space)
    _check_count("n_trials", n_trials, 1)
    return _run(objective, space, n_trials, rng)


def _narrow(space: Space, kept: list[Trial]) -> Space:
    # min/max of the kept values is the same box in log and linear space;
    # the scale only changes how the next stage samples inside it.
    return {name: (min(tr.params[name] for tr in kept),
                   max(tr.params[name] for tr in kept), scale)
            for name, (_, _, scale) in space.items()}


def coarse_to_fine(objective: Callable[[dict, int], float], space: Space,
                   *, stages: Sequence[int], rng: np.random.Generator,
                   keep: float = 0.2) -> list[list[Trial]]:
    """Coarse-to-fine search: random search in shrinking boxes.

    Stage s draws stages[s] settings and scores objective(params, s), so
    the caller can train longer in later stages. The box of stage s + 1 is
    spanned by the best max(2, ceil(keep * stages[s])) trials of stage s
    (per parameter, from the smallest to the largest kept value; log
    parameters stay log-uniform inside it). 0 < keep <= 1. Returns one
    best-first list of Trials per stage.
    """
    _check_space(space)
    _check_range("keep", keep, 0.0, 1.0, "(]")
    for n in stages:
        _check_count("each stage's trial count", n, 1)
    history, box = [], space
    for s, n in enumerate(stages):
        history.append(_run(lambda p, s=s: objective(p, s), box, n, rng))
        box = _narrow(box, history[-1][:max(2, math.ceil(keep * n))])
    return history


def on_border(trials: Sequence[Trial], space: Space, *,
              fraction: float = 0.1) -> list[str]:
    """Names whose best value lies within ``fraction`` of a range edge.

    Position u = (x - low) / (high - low), in log10 for log parameters, of
    the best (lowest score) trial; flagged if u <= fraction or
    u >= 1 - fraction, since the true optimum may lie outside the range.
    0 < fraction < 0.5. Names in the space's order.
    """
    _check_space(space)
    _check_range("fraction", fraction, 0.0, 0.5, "()")
    if not trials:
        raise ValueError(f"need at least one trial, got {trials!r}")
    best = _ranked(list(trials))[0].params
    flagged = []
    for name, (low, high, scale) in space.items():
        f = math.log10 if scale == "log" else float
        u = (f(best[name]) - f(low)) / (f(high) - f(low))
        if u <= fraction or u >= 1 - fraction:
            flagged.append(name)
    return flagged
