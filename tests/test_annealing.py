"""Tests for solutions.annealing: schedules against torch.optim.lr_scheduler.

Every schedule torch has is stepped 60+ times on a dummy float64 parameter
and compared at every step (t = 0 included). The rest are compared with
LambdaLR driven by a lambda written here from the syllabus formula.
Measured worst relative error against torch's recursive forms over 80
steps: 4e-15 (ExponentialLR), under 1e-15 for the others; the tolerance
is 1e-12 everywhere.
"""
import copy
import functools
import math

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as sched

from solutions import annealing as A
from oracle import rel_err

TOL = 1e-12
LR0 = 0.3


def torch_lrs(make, n, lr0=LR0):
    """lr that torch uses at steps t = 0..n-1 for the scheduler make(opt)."""
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr0)
    scheduler = make(opt)
    lrs = []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()  # before scheduler.step(), as torch expects
        scheduler.step()
    return lrs


def assert_schedule(name, ours, expected, tol=TOL, hint=""):
    """Per-step relative comparison; the message names the worst step."""
    errs = [rel_err(o, e) for o, e in zip(ours, expected)]
    t = int(np.argmax(errs))
    assert len(ours) == len(expected) and errs[t] <= tol, (
        f"{name}: expected {expected[t]!r}, got {ours[t]!r} at step t={t} "
        f"(relative error {errs[t]:.2e} > {tol:.0e}). {hint}")


# ------------------------------------------------- torch has the schedule

TORCH_CASES = [
    ("step_halve_every_5", lambda o: sched.StepLR(o, 5, gamma=0.5),
     functools.partial(A.step_decay, lr0=LR0, drop=0.5, every=5), 80),
    ("step_x0.1_every_20", lambda o: sched.StepLR(o, 20, gamma=0.1),
     functools.partial(A.step_decay, lr0=LR0, drop=0.1, every=20), 80),
    ("step_every_1", lambda o: sched.StepLR(o, 1, gamma=0.9),
     functools.partial(A.step_decay, lr0=LR0, drop=0.9, every=1), 80),
    ("exponential_k0.07",
     lambda o: sched.ExponentialLR(o, gamma=math.exp(-0.07)),
     functools.partial(A.exponential_decay, lr0=LR0, k=0.07), 80),
    ("exponential_k0", lambda o: sched.ExponentialLR(o, gamma=1.0),
     functools.partial(A.exponential_decay, lr0=LR0, k=0.0), 80),
    ("linear_warmup_17",
     lambda o: sched.LinearLR(o, start_factor=0.1, total_iters=17),
     functools.partial(A.linear_warmup, lr0=LR0, warmup=17,
                       start_factor=0.1), 80),
    ("linear_warmup_1",
     lambda o: sched.LinearLR(o, start_factor=0.25, total_iters=1),
     functools.partial(A.linear_warmup, lr0=LR0, warmup=1,
                       start_factor=0.25), 80),
    ("constant_warmup_7",
     lambda o: sched.ConstantLR(o, factor=0.1, total_iters=7),
     functools.partial(A.constant_warmup, lr0=LR0, warmup=7, factor=0.1),
     80),
    ("constant_warmup_1",
     lambda o: sched.ConstantLR(o, factor=0.5, total_iters=1),
     functools.partial(A.constant_warmup, lr0=LR0, warmup=1, factor=0.5),
     80),
    ("cosine_60", lambda o: sched.CosineAnnealingLR(o, T_max=60),
     functools.partial(A.cosine, lr0=LR0, total=60), 61),
    ("cosine_64_min",
     lambda o: sched.CosineAnnealingLR(o, T_max=64, eta_min=0.01),
     functools.partial(A.cosine, lr0=LR0, total=64, lr_min=0.01), 65),
    ("cosine_1", lambda o: sched.CosineAnnealingLR(o, T_max=1),
     functools.partial(A.cosine, lr0=LR0, total=1), 2),
    ("piecewise_3_10_30",
     lambda o: sched.MultiStepLR(o, [3, 10, 30], gamma=0.1),
     functools.partial(A.piecewise_constant, boundaries=[3, 10, 30],
                       values=[LR0 * 0.1 ** i for i in range(4)]), 80),
    ("piecewise_1_2", lambda o: sched.MultiStepLR(o, [1, 2], gamma=0.5),
     functools.partial(A.piecewise_constant, boundaries=[1, 2],
                       values=[LR0, LR0 / 2, LR0 / 4]), 80),
]


@pytest.mark.parametrize("name, make, ours, n", TORCH_CASES,
                         ids=[c[0] for c in TORCH_CASES])
def test_matches_torch_scheduler(name, make, ours, n):
    assert_schedule(name, [ours(t) for t in range(n)], torch_lrs(make, n))


# Hand-checked boundary values; the hint names the usual off-by-one.
BOUNDARIES = [
    (functools.partial(A.step_decay, lr0=1.0, drop=0.5, every=5),
     {0: 1.0, 4: 1.0, 5: 0.5, 6: 0.5, 10: 0.25},
     "the k-th drop happens AT step k*every"),
    (functools.partial(A.piecewise_constant, boundaries=[3, 10],
                       values=[1.0, 0.1, 0.01]),
     {0: 1.0, 2: 1.0, 3: 0.1, 9: 0.1, 10: 0.01, 99: 0.01},
     "the new value starts AT its boundary step"),
    (functools.partial(A.linear_warmup, lr0=1.0, warmup=4),
     {0: 0.0, 1: 0.25, 3: 0.75, 4: 1.0, 5: 1.0},
     "lr(0) = start_factor*lr0 and lr(warmup) = lr0"),
    (functools.partial(A.linear_warmup, lr0=1.0, warmup=0),
     {0: 1.0, 3: 1.0}, "warmup=0 means no warm-up"),
    (functools.partial(A.constant_warmup, lr0=1.0, warmup=3, factor=0.1),
     {0: 0.1, 2: 0.1, 3: 1.0}, "the jump happens AT step warmup"),
    (functools.partial(A.cosine, lr0=1.0, total=4, lr_min=0.2),
     {0: 1.0, 2: 0.6, 4: 0.2, 5: 0.2, 100: 0.2},
     "lr_min at t = total and after (no restart)"),
    (functools.partial(A.warmup_cosine, lr0=1.0, warmup=2, total=6),
     {0: 0.0, 1: 0.5, 2: 1.0, 4: 0.5, 6: 0.0, 7: 0.0},
     "total counts the warm-up steps too"),
    (functools.partial(A.inverse_time_decay, lr0=1.0, k=0.5),
     {0: 1.0, 2: 0.5, 6: 0.25}, "lr0 / (1 + k t)"),
    (functools.partial(A.polynomial_decay, lr0=1.0, alpha=2.0, beta=0.5),
     {0: 1.0, 2: 0.25, 6: 1 / 16}, "lr0 * (beta t + 1) ** -alpha"),
]


@pytest.mark.parametrize("schedule, values, hint", BOUNDARIES,
                         ids=[b[0].func.__name__ for b in BOUNDARIES])
def test_boundary_values(schedule, values, hint):
    for t, expected in values.items():
        got = schedule(t)
        assert abs(got - expected) <= 1e-15, (
            f"{schedule.func.__name__}{schedule.keywords}: expected "
            f"{expected} at t={t}, got {got}; hint: {hint}")


def test_cosine_differs_from_torch_past_total():
    total, lr_min = 10, 0.01
    theirs = torch_lrs(
        lambda o: sched.CosineAnnealingLR(o, T_max=total, eta_min=lr_min),
        3 * total + 1)
    ours = [A.cosine(t, lr0=LR0, total=total, lr_min=lr_min)
            for t in range(3 * total + 1)]
    assert_schedule("cosine up to total", ours[:total + 1],
                    theirs[:total + 1])
    assert all(lr == lr_min for lr in ours[total:]), (
        f"cosine must stay at lr_min={lr_min} past total, got "
        f"{ours[total:]}")
    # torch climbs back to lr0 at 2*total: the documented difference.
    assert abs(theirs[2 * total] - LR0) < 1e-9, theirs[2 * total]


# ------------------------------------- torch lacks it: LambdaLR + formula

def lambda_cases():
    k, alpha, beta, W, T, lo = 0.1, 0.5, 2.0, 8, 50, 0.01

    def warm_exp(t):  # linear from 0.2 * s(0) to s(0), then s(t - W)
        return 0.2 + 0.8 * t / W if t < W else math.exp(-k * (t - W))

    def warm_cos(t):
        if t < W:
            return t / W
        s = min(t, T) - W
        return (lo + (LR0 - lo) * (1 + math.cos(math.pi * s / (T - W))) / 2
                ) / LR0

    exp_decay = functools.partial(A.exponential_decay, lr0=LR0, k=k)
    inv_decay = functools.partial(A.inverse_time_decay, lr0=LR0, k=k)
    return [
        ("inverse_time", lambda t: 1 / (1 + k * t), inv_decay),
        ("inverse_time_k2", lambda t: 1 / (1 + 2.0 * t),
         functools.partial(A.inverse_time_decay, lr0=LR0, k=2.0)),
        ("polynomial", lambda t: (beta * t + 1) ** -alpha,
         functools.partial(A.polynomial_decay, lr0=LR0, alpha=alpha,
                           beta=beta)),
        ("polynomial_defaults", lambda t: (t + 1) ** -2.0,
         functools.partial(A.polynomial_decay, lr0=LR0, alpha=2.0)),
        ("with_warmup_exponential", warm_exp,
         functools.partial(A.with_warmup, exp_decay, warmup=W,
                           start_factor=0.2)),
        ("with_warmup_inverse_time",
         lambda t: t / W if t < W else 1 / (1 + k * (t - W)),
         functools.partial(A.with_warmup, inv_decay, warmup=W)),
        ("warmup_cosine", warm_cos,
         functools.partial(A.warmup_cosine, lr0=LR0, warmup=W, total=T,
                           lr_min=lo)),
    ]


@pytest.mark.parametrize("name, factor, ours", lambda_cases(),
                         ids=[c[0] for c in lambda_cases()])
def test_matches_lambda_lr(name, factor, ours):
    n = 70
    theirs = torch_lrs(lambda o: sched.LambdaLR(o, factor), n)
    assert_schedule(name, [ours(t) for t in range(n)], theirs)


# ------------------------------------------------- purity, shape of curve

SCHEDULES = {
    "constant": functools.partial(A.constant, lr0=LR0),
    "step_decay": functools.partial(A.step_decay, lr0=LR0),
    "exponential": functools.partial(A.exponential_decay, lr0=LR0, k=0.05),
    "inverse_time": functools.partial(A.inverse_time_decay, lr0=LR0, k=0.1),
    "polynomial": functools.partial(A.polynomial_decay, lr0=LR0, alpha=0.5),
    "piecewise": functools.partial(A.piecewise_constant, boundaries=[5, 9],
                                   values=[3.0, 2.0, 1.0]),
    "cosine": functools.partial(A.cosine, lr0=LR0, total=30),
    "linear_warmup": functools.partial(A.linear_warmup, lr0=LR0, warmup=9),
    "constant_warmup": functools.partial(A.constant_warmup, lr0=LR0,
                                         warmup=9),
    "warmup_cosine": functools.partial(A.warmup_cosine, lr0=LR0, warmup=5,
                                       total=30),
}
DECREASING = ["step_decay", "exponential", "inverse_time", "polynomial",
              "piecewise", "cosine"]
INCREASING = ["linear_warmup", "constant_warmup"]


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_is_pure(name):
    lr = SCHEDULES[name]
    ts = list(range(60))
    in_order = [lr(t) for t in ts]
    shuffled = np.random.default_rng(1).permutation(ts)
    out_of_order = {int(t): lr(int(t)) for t in shuffled}
    for t in ts:
        assert lr(t) == in_order[t] == out_of_order[t], (
            f"{name}: lr({t}) depends on call history: in order "
            f"{in_order[t]}, shuffled {out_of_order[t]}, again {lr(t)}")
        assert isinstance(in_order[t], float), type(in_order[t])


@pytest.mark.parametrize("name", DECREASING)
def test_decay_is_non_increasing(name):
    lrs = np.array([SCHEDULES[name](t) for t in range(200)])
    rises = np.flatnonzero(np.diff(lrs) > 0)
    assert rises.size == 0, (
        f"{name}: lr rises at t={rises[:5] + 1}: {lrs[rises[:5] + 1]}")
    assert lrs[-1] < lrs[0], f"{name}: no decay at all: {lrs[[0, -1]]}"


@pytest.mark.parametrize("name", INCREASING)
def test_warmup_is_non_decreasing(name):
    lrs = np.array([SCHEDULES[name](t) for t in range(30)])
    drops = np.flatnonzero(np.diff(lrs) < 0)
    assert drops.size == 0, f"{name}: lr drops at t={drops + 1}"
    assert lrs[0] < lrs[-1] == LR0, f"{name}: {lrs[0]} -> {lrs[-1]}"


def test_warmup_cosine_rises_then_falls():
    lrs = np.array([SCHEDULES["warmup_cosine"](t) for t in range(40)])
    assert np.all(np.diff(lrs[:6]) > 0), f"warm-up not rising: {lrs[:6]}"
    assert np.all(np.diff(lrs[5:31]) < 0), f"cosine not falling: {lrs[5:31]}"
    assert lrs[5] == LR0 and np.all(lrs[30:] == 0.0), (lrs[5], lrs[30:])


# ------------------------------------------------------ reduce on plateau

def _plateau_sequences():
    losses = [1.0, 0.8, 0.8, 0.79995, 0.8, 0.81, 0.7, 0.7, 0.7, 0.7, 0.69,
              0.9, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
              0.49996, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49, 0.49]
    accs = [0.1, 0.3, 0.5, 0.5, 0.50003, 0.49, 0.6, 0.6, 0.6, 0.6, 0.6,
            0.61, 0.55, 0.55, 0.55, 0.55, 0.62, 0.62, 0.62, 0.62, 0.62,
            0.62, 0.62, 0.62, 0.62, 0.62, 0.62, 0.62]
    r = np.random.default_rng(7)
    noisy_loss = list(1 / np.sqrt(np.arange(1, 81)) + 0.05 * r.random(80))
    noisy_acc = list(np.minimum(0.5, 0.01 * np.arange(80))
                     + 0.02 * r.random(80))
    return losses, accs, noisy_loss, noisy_acc


LOSSES, ACCS, NOISY_LOSS, NOISY_ACC = _plateau_sequences()
PLATEAU_CASES = [
    ("min_defaults", LR0, LOSSES * 3, {}),
    ("min_patience2", LR0, LOSSES, dict(patience=2)),
    ("min_patience0", LR0, LOSSES, dict(patience=0, factor=0.5)),
    ("min_cooldown", LR0, LOSSES, dict(patience=1, cooldown=3)),
    ("min_min_lr", 1.0, LOSSES, dict(patience=0, factor=0.5, min_lr=0.3)),
    ("min_threshold", LR0, LOSSES, dict(patience=1, threshold=0.05)),
    # Large metrics tell a relative threshold from an absolute one.
    ("min_rel_not_abs", LR0, [1000 * m for m in LOSSES], dict(patience=1)),
    ("max_percent", LR0, [100 * a for a in ACCS],
     dict(mode="max", patience=1)),
    ("min_tiny_lr_eps", 1e-7, LOSSES, dict(patience=0)),
    ("max_patience2", LR0, ACCS, dict(mode="max", patience=2)),
    ("max_cooldown_min_lr", LR0, ACCS,
     dict(mode="max", patience=1, cooldown=2, factor=0.5, min_lr=0.05)),
    ("min_noisy", LR0, NOISY_LOSS, dict(patience=3, factor=0.3)),
    ("max_noisy", LR0, NOISY_ACC,
     dict(mode="max", patience=4, cooldown=1, threshold=1e-3)),
    ("min_nan", LR0, [1.0, float("nan"), 1.0, float("nan"), 0.5, 0.6],
     dict(patience=1)),
]


@pytest.mark.parametrize("name, lr0, metrics, hyper", PLATEAU_CASES,
                         ids=[c[0] for c in PLATEAU_CASES])
def test_plateau_matches_torch(name, lr0, metrics, hyper):
    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=lr0)
    theirs = sched.ReduceLROnPlateau(opt, threshold_mode="rel", **hyper)
    state = A.plateau_init(lr0)
    for epoch, metric in enumerate(metrics):
        state = A.plateau_step(state, metric, **hyper)
        theirs.step(metric)
        worse = math.inf if hyper.get("mode", "min") == "min" else -math.inf
        expected = (opt.param_groups[0]["lr"], theirs.best,
                    theirs.num_bad_epochs, theirs.cooldown_counter)
        got = (state.lr, worse if state.best is None else state.best,
               state.bad_epochs, state.cooldown_left)
        assert got == expected, (
            f"{name} {hyper}: after epoch {epoch} (metric {metric}) "
            f"expected (lr, best, bad_epochs, cooldown_left) = {expected}, "
            f"got {got}")
    assert state.lr < lr0 or name == "min_nan", f"{name}: never reduced"


def test_plateau_reduces_after_patience_is_exceeded():
    state, lrs = A.plateau_init(1.0), []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
        state = A.plateau_step(state, metric, patience=2, factor=0.5)
        lrs.append(state.lr)
    expected = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert lrs == expected, (
        f"expected lr {expected}, got {lrs}; hint: reduce when bad epochs "
        f"> patience (not >=), then count from zero again")


def test_plateau_step_is_pure():
    state = A.plateau_step(A.plateau_init(0.1), 1.0)
    before = tuple(state)
    a = A.plateau_step(state, 2.0, patience=0)
    b = A.plateau_step(state, 2.0, patience=0)
    assert a == b and tuple(state) == before, (a, b, state, before)
    assert a.lr == pytest.approx(0.01) and state.lr == 0.1, (a, state)


# ----------------------------------------------------------------- errors

def _call(f, *args, **kwargs):
    return lambda: f(*args, **kwargs)


ERRORS = [
    (_call(A.constant, -1, lr0=0.1), ValueError, "-1"),
    (_call(A.constant, 1.5, lr0=0.1), TypeError, "1.5"),
    (_call(A.constant, True, lr0=0.1), TypeError, "True"),
    (_call(A.constant, 0, lr0=0.0), ValueError, "lr0.*0.0"),
    (_call(A.constant, 0, lr0=float("nan")), ValueError, "lr0.*nan"),
    (_call(A.step_decay, 0, lr0=0.1, drop=1.5), ValueError, "drop.*1.5"),
    (_call(A.step_decay, 0, lr0=0.1, drop=0.0), ValueError, "drop.*0.0"),
    (_call(A.step_decay, 0, lr0=0.1, every=0), ValueError, "every.*0"),
    (_call(A.exponential_decay, 0, lr0=0.1, k=-0.5), ValueError, "-0.5"),
    (_call(A.inverse_time_decay, 3, lr0=0.1, k=-2.0), ValueError, "-2.0"),
    (_call(A.polynomial_decay, 0, lr0=0.1, alpha=-1.0), ValueError,
     "alpha.*-1.0"),
    (_call(A.polynomial_decay, 0, lr0=0.1, alpha=1.0, beta=-3.0),
     ValueError, "beta.*-3.0"),
    (_call(A.piecewise_constant, 0, boundaries=[5], values=[1.0]),
     ValueError, "1 values"),
    (_call(A.piecewise_constant, 0, boundaries=[5, 5], values=[1, 2, 3]),
     ValueError, r"\[5, 5\]"),
    (_call(A.piecewise_constant, 0, boundaries=[0, 5], values=[1, 2, 3]),
     ValueError, "boundary.*0"),
    (_call(A.cosine, 0, lr0=0.1, total=0), ValueError, "total.*0"),
    (_call(A.cosine, 0, lr0=0.1, total=5, lr_min=0.2), ValueError,
     "lr_min.*0.2"),
    (_call(A.linear_warmup, 0, lr0=0.1, warmup=-2), ValueError, "-2"),
    (_call(A.linear_warmup, 0, lr0=0.1, warmup=3, start_factor=1.2),
     ValueError, "start_factor.*1.2"),
    (_call(A.constant_warmup, 0, lr0=0.1, warmup=3, factor=-0.1),
     ValueError, "factor.*-0.1"),
    (_call(A.with_warmup, 0.1, 0, warmup=3), TypeError, "0.1"),
    (_call(A.warmup_cosine, 0, lr0=0.1, warmup=10, total=10), ValueError,
     "warmup=10"),
    (_call(A.plateau_init, -0.1), ValueError, "-0.1"),
    (_call(A.plateau_step, A.plateau_init(0.1), 1.0, mode="avg"),
     ValueError, "avg"),
    (_call(A.plateau_step, A.plateau_init(0.1), 1.0, factor=1.0),
     ValueError, "factor.*1.0"),
    (_call(A.plateau_step, A.plateau_init(0.1), 1.0, patience=-1),
     ValueError, "patience.*-1"),
    (_call(A.plateau_step, A.plateau_init(0.1), 1.0, cooldown=-1),
     ValueError, "cooldown.*-1"),
    (_call(A.plateau_step, A.plateau_init(0.1), 1.0, min_lr=-1e-3),
     ValueError, "min_lr.*-0.001"),
    (_call(A.log_uniform, np.random.default_rng(0), 0.0, 1.0), ValueError,
     "low=0.0"),
    (_call(A.log_uniform, np.random.default_rng(0), 1.0, 0.1), ValueError,
     "high=0.1"),
    (_call(A.random_search, len, {"x": (0, 1, "ln")}, n_trials=3,
           rng=np.random.default_rng(0)), ValueError, "ln"),
    (_call(A.random_search, len, {"x": (0, 1, "log")}, n_trials=3,
           rng=np.random.default_rng(0)), ValueError, r"\(0, 1, 'log'\)"),
    (_call(A.random_search, len, {"x": (0, 1, "linear")}, n_trials=0,
           rng=np.random.default_rng(0)), ValueError, "n_trials.*0"),
    (_call(A.coarse_to_fine, len, {"x": (0, 1, "linear")}, stages=[3],
           rng=np.random.default_rng(0), keep=0.0), ValueError, "keep.*0"),
    (_call(A.on_border, [A.Trial({"x": 0.5}, 1.0)], {"x": (0, 1, "linear")},
           fraction=0.5), ValueError, "fraction.*0.5"),
    (_call(A.on_border, [], {"x": (0, 1, "linear")}), ValueError, "trial"),
]


@pytest.mark.parametrize("call, error, match", ERRORS,
                         ids=[f"{i}-{e[2]}" for i, e in enumerate(ERRORS)])
def test_bad_arguments_are_rejected(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ----------------------------------------------------------------- search

def test_log_uniform_is_uniform_in_log10(rng):
    n, lo, hi = 20000, -6.0, 1.0
    x = A.log_uniform(rng, 10 ** lo, 10 ** hi, size=n)
    assert x.shape == (n,) and x.min() >= 1e-6 and x.max() <= 10.0, (
        f"samples outside [1e-6, 10]: min {x.min()}, max {x.max()}")
    u = np.sort(np.log10(x))
    cdf = (u - lo) / (hi - lo)
    ks = max(np.max(np.arange(1, n + 1) / n - cdf),
             np.max(cdf - np.arange(n) / n))
    assert ks < 1.63 / math.sqrt(n), f"KS distance {ks:.4f} to uniform"
    assert abs(u.mean() + 2.5) < 0.05, f"mean log10 {u.mean()}, want -2.5"
    per_decade = np.histogram(u, bins=7, range=(lo, hi))[0] / n
    assert np.all(np.abs(per_decade - 1 / 7) < 0.01), (
        f"share per decade {per_decade}, want 1/7 each; a linear draw "
        f"would put ~90% in the top decade")


def test_log_uniform_scalar_and_draw(rng):
    x = A.log_uniform(rng, 1e-3, 1e-1)
    u = np.random.default_rng(0).uniform(-3, -1)
    assert isinstance(x, float) and abs(x - 10 ** u) <= 1e-15 * x, (x, u)
    assert A.log_uniform(rng, 1e-2, 1e-2) == 1e-2
    assert A.log_uniform(rng, 1e-4, 1.0, size=(2, 3)).shape == (2, 3)


def _one_parameter_matters(params):
    return (params["x"] - 0.37) ** 2  # y has no effect at all


def test_random_search_beats_grid_when_one_parameter_matters(rng):
    space = {"x": (0.0, 1.0, "linear"), "y": (0.0, 1.0, "linear")}
    trials = A.random_search(_one_parameter_matters, space, n_trials=9,
                             rng=rng)
    grid = [{"x": x, "y": y} for x in (0, 0.5, 1) for y in (0, 0.5, 1)]
    grid_best = min(_one_parameter_matters(p) for p in grid)
    xs = {tr.params["x"] for tr in trials}
    assert len(trials) == 9 and len(xs) == 9, (
        f"9 random trials should try 9 values of x, got {len(xs)}")
    assert len({p["x"] for p in grid}) == 3
    wins = sum(A.random_search(_one_parameter_matters, space, n_trials=9,
                               rng=np.random.default_rng(s))[0].score
               < grid_best for s in range(50))
    # A seed misses (no x within 0.13 of 0.37) with chance 0.74**9 = 0.07.
    assert wins >= 40, f"random search beat the grid in {wins}/50 seeds"


def test_random_search_finds_known_minimum_sorted(rng):
    space = {"lr": (1e-6, 10.0, "log"), "reg": (0.0, 1.0, "linear")}

    def f(p):
        return (math.log10(p["lr"]) + 3) ** 2 + (p["reg"] - 0.3) ** 2

    trials = A.random_search(f, space, n_trials=300, rng=rng)
    scores = [tr.score for tr in trials]
    assert scores == sorted(scores), "trials must be sorted best first"
    assert all(f(tr.params) == tr.score for tr in trials[:5])
    best = trials[0].params
    assert abs(math.log10(best["lr"]) + 3) < 0.25, best
    assert abs(best["reg"] - 0.3) < 0.15, best
    assert all(1e-6 <= tr.params["lr"] <= 10 and 0 <= tr.params["reg"] <= 1
               for tr in trials)


def test_random_search_nan_last_and_no_mutation(rng):
    space = {"x": (-1.0, 1.0, "linear")}
    before = copy.deepcopy(space)

    def f(p):
        score = math.nan if p["x"] > 0 else -p["x"]
        p["x"] = 123.0  # a careless objective must not corrupt the record
        return score

    trials = A.random_search(f, space, n_trials=20, rng=rng)
    nan = [math.isnan(tr.score) for tr in trials]
    assert nan == sorted(nan) and 0 < sum(nan) < 20, nan
    assert all(-1 <= tr.params["x"] <= 1 for tr in trials), trials
    assert space == before, f"space changed: {space}"


def _span(trials, name, scale):
    v = np.array([tr.params[name] for tr in trials])
    v = np.log10(v) if scale == "log" else v
    return v.min(), v.max()


def test_coarse_to_fine_narrows_each_stage(rng):
    space = {"lr": (1e-6, 10.0, "log"), "reg": (0.0, 1.0, "linear")}
    stages, seen = [40, 30, 30], []

    def f(p, stage):
        seen.append(stage)
        return (math.log10(p["lr"]) + 3) ** 2 + (p["reg"] - 0.3) ** 2

    history = A.coarse_to_fine(f, space, stages=stages, rng=rng, keep=0.2)
    assert [len(h) for h in history] == stages
    assert seen == [0] * 40 + [1] * 30 + [2] * 30, "objective(params, s)"
    widths = {"lr": [7.0], "reg": [1.0]}
    for s in range(1, len(stages)):
        kept = history[s - 1][:math.ceil(0.2 * stages[s - 1])]
        for name, (_, _, scale) in space.items():
            lo, hi = _span(kept, name, scale)
            got_lo, got_hi = _span(history[s], name, scale)
            assert lo <= got_lo and got_hi <= hi, (
                f"stage {s} {name}: samples in [{got_lo}, {got_hi}], "
                f"outside the box [{lo}, {hi}] of the best kept trials")
            widths[name].append(hi - lo)
    for name, w in widths.items():
        assert all(b < a for a, b in zip(w, w[1:])), f"{name} box {w}"
    assert history[-1][0].score <= history[0][0].score


def test_on_border_flags_best_value_near_edge():
    space = {"lr": (1e-6, 10.0, "log"), "reg": (0.0, 1.0, "linear"),
             "mom": (0.5, 0.99, "linear")}
    trials = [A.Trial({"lr": 1e-2, "reg": 0.5, "mom": 0.7}, 3.0),
              A.Trial({"lr": 1.5e-6, "reg": 0.95, "mom": 0.7}, 1.0),
              A.Trial({"lr": 1e-3, "reg": 0.02, "mom": 0.6}, 2.0)]
    assert A.on_border(trials, space) == ["lr", "reg"], (
        "best trial (score 1.0) has lr at the bottom decade, reg at 0.95")
    # 1e-5 is 1/7 of the way up in log10 but at 1e-6 of it linearly.
    inside = [A.Trial({"lr": 1e-5, "reg": 0.5, "mom": 0.745}, 0.0)]
    assert A.on_border(inside, space) == [], (
        "1e-5 in [1e-6, 10] is not on the border in log space")
    assert A.on_border(inside, space, fraction=0.2) == ["lr"]
