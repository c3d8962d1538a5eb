"""Tests of solutions.update_rules against torch.optim trajectories.

Both sides see the same gradient function: the numpy gradient of a problem
from solutions.problems, copied into ``p.grad`` before each torch step, so
any difference comes from the update rule alone. Everything runs in float64
with non-default hyperparameters, for a constant and for a learning rate
that changes every step, from a fresh and from a mid-run state.
"""
from __future__ import annotations

import copy
import math
import re
from typing import Callable, NamedTuple

import numpy as np
import pytest
import torch

from solutions import update_rules as ur
from solutions.problems import quadratic, rosenbrock, saddle
from oracle import rel_err

TOL = 1e-9
FIRST, SECOND = 20, 30  # steps before and after the mid-run hand-over


def assert_close(ours, ref, what, tol=TOL):
    e = rel_err(ours, ref)
    assert e <= tol, f"{what}: ours {ours}, expected {ref}, rel err {e:.2e}"


# ------------------------------------------------------------- problems
# (problem, learning rate for the plain-gradient rules); adaptive rules
# use ADAPTIVE_LR everywhere since their steps are scale free.
PROBLEMS = {
    "quad2": (quadratic(50.0), 0.01),
    "rosenbrock": (rosenbrock(), 2e-4),
    "saddle": (saddle(), 0.05),
    "quad8": (quadratic(100.0, dim=8, seed=1), 0.005),
}
ADAPTIVE_LR = 0.05


def schedule(kind: str, lr0: float, start: int, n: int) -> list[float]:
    """Learning rates for steps start..start+n-1."""
    if kind == "constant":
        return [lr0] * n
    # changes every step, up and down, and decays overall
    return [lr0 * 0.97 ** k * (1 + 0.3 * math.sin(k))
            for k in range(start, start + n)]


# ---------------------------------------------------------------- cases

class Case(NamedTuple):
    """One of our rules next to the torch optimizer it should equal.

    to_torch(state, lr, k) maps our state after k steps (taken with a
    last learning rate lr) to torch's per-parameter state entries.
    """

    torch_cls: type
    torch_kw: dict
    init: Callable
    step: Callable
    kw: dict
    adaptive: bool
    to_torch: Callable
    any_lr: bool = True  # False: equal to torch at a constant lr only


def _no_state(state, lr, k):
    return {}


def _buffer(state, lr, k):
    return {"momentum_buffer": state.b} if state.t else {}


def _velocity_as_buffer(state, lr, k):
    # valid at a constant lr: v = -lr b
    return {"momentum_buffer": -state.v / lr} if k else {}


def _cache_as(key):
    return lambda state, lr, k: {key: state.cache, "step": float(k)}


def _adam_state(state, lr, k):
    return {"exp_avg": state.m, "exp_avg_sq": state.v,
            "step": float(state.t)}


BETAS = {"b1": 0.8, "b2": 0.95, "eps": 1e-3}
TORCH_BETAS = {"betas": (0.8, 0.95), "eps": 1e-3}
CASES = {
    "sgd": Case(torch.optim.SGD, {}, ur.sgd_init, ur.sgd_step, {}, False,
                _no_state),
    "heavy_ball": Case(torch.optim.SGD, {"momentum": 0.7},
                       ur.heavy_ball_init, ur.heavy_ball_step, {"mu": 0.7},
                       False, _buffer),
    "heavy_ball_dampening": Case(
        torch.optim.SGD, {"momentum": 0.7, "dampening": 0.3},
        ur.heavy_ball_init, ur.heavy_ball_step,
        {"mu": 0.7, "dampening": 0.3}, False, _buffer),
    "momentum": Case(torch.optim.SGD, {"momentum": 0.7}, ur.momentum_init,
                     ur.momentum_step, {"mu": 0.7}, False,
                     _velocity_as_buffer, any_lr=False),
    "nesterov": Case(torch.optim.SGD, {"momentum": 0.7, "nesterov": True},
                     ur.nesterov_init, ur.nesterov_step, {"mu": 0.7}, False,
                     _velocity_as_buffer, any_lr=False),
    "adagrad": Case(torch.optim.Adagrad, {"eps": 1e-3}, ur.adagrad_init,
                    ur.adagrad_step, {"eps": 1e-3}, True, _cache_as("sum")),
    "rmsprop": Case(torch.optim.RMSprop, {"alpha": 0.95, "eps": 1e-3},
                    ur.rmsprop_init, ur.rmsprop_step,
                    {"decay": 0.95, "eps": 1e-3}, True,
                    _cache_as("square_avg")),
    "adam": Case(torch.optim.Adam, TORCH_BETAS, ur.adam_init, ur.adam_step,
                 BETAS, True, _adam_state),
    "adam_l2": Case(torch.optim.Adam, {**TORCH_BETAS, "weight_decay": 0.1},
                    ur.adam_init, ur.adam_step,
                    {**BETAS, "weight_decay": 0.1}, True, _adam_state),
    "adamw": Case(torch.optim.AdamW, {**TORCH_BETAS, "weight_decay": 0.1},
                  ur.adamw_init, ur.adamw_step,
                  {**BETAS, "weight_decay": 0.1}, True, _adam_state),
}


def base_lr(case: Case, problem_name: str) -> float:
    return ADAPTIVE_LR if case.adaptive else PROBLEMS[problem_name][1]


# --------------------------------------------------------------- runners

def ours(case, problem, w, state, lrs):
    """Our iterates w_1..w_n (one row each) and the final state."""
    path = []
    for lr in lrs:
        w, state = case.step(w, problem.grad(w), state, lr=lr, **case.kw)
        path.append(w)
    return np.array(path), state


class TorchRun:
    """A torch parameter and optimizer fed with the problem's gradient."""

    def __init__(self, case, problem, w, state=None):
        self.problem = problem
        self.p = torch.tensor(w, requires_grad=True)
        self.opt = case.torch_cls([self.p], lr=1.0, **case.torch_kw)
        if state:
            sd = self.opt.state_dict()
            sd["state"] = {0: {k: torch.tensor(v) for k, v in state.items()}}
            self.opt.load_state_dict(sd)

    def steps(self, lrs):
        path = []
        for lr in lrs:
            self.opt.param_groups[0]["lr"] = lr
            g = self.problem.grad(self.p.detach().numpy())
            self.p.grad = torch.tensor(g)
            self.opt.step()
            path.append(self.p.detach().numpy().copy())
        return np.array(path)

    def state(self):
        return {k: (v.numpy() if v.dim() else v.item())
                for k, v in self.opt.state[self.p].items()
                if v is not None}


def compare_paths(mine, theirs, what, first_step=1):
    for k, (a, b) in enumerate(zip(mine, theirs), start=first_step):
        e = rel_err(a, b)
        assert e <= TOL, (f"{what}, step {k}: ours {a}, torch {b}, "
                          f"rel err {e:.2e}")


def compare_states(case, state, lr, k, run, what):
    expected = run.state()
    mine = case.to_torch(state, lr, k)
    assert set(mine) <= set(expected), (
        f"{what}: torch state keys {sorted(expected)}, ours {sorted(mine)}")
    for key, value in mine.items():
        e = rel_err(value, expected[key])
        assert e <= TOL, (f"{what}, state '{key}' after step {k}: ours "
                          f"{value}, torch {expected[key]}, rel err {e:.2e}")


TRAJECTORY_CASES = [
    (c, p, s) for c in CASES for p in PROBLEMS
    for s in (("constant", "changing") if CASES[c].any_lr else ("constant",))
]


@pytest.mark.parametrize("case_name, problem_name, kind", TRAJECTORY_CASES)
def test_trajectory_matches_torch(case_name, problem_name, kind):
    """Fresh start for FIRST steps, then SECOND more from the state each
    side returned (our state record, the same torch optimizer object)."""
    case, problem = CASES[case_name], PROBLEMS[problem_name][0]
    lrs = schedule(kind, base_lr(case, problem_name), 0, FIRST + SECOND)
    what = f"{case_name} on {problem_name}, {kind} lr"
    run = TorchRun(case, problem, problem.x0)
    w0 = problem.x0.copy()
    path1, state = ours(case, problem, w0, case.init(w0), lrs[:FIRST])
    compare_paths(path1, run.steps(lrs[:FIRST]), what)
    compare_states(case, state, lrs[FIRST - 1], FIRST, run, what)
    path2, state = ours(case, problem, path1[-1], state, lrs[FIRST:])
    compare_paths(path2, run.steps(lrs[FIRST:]), what, FIRST + 1)
    compare_states(case, state, lrs[-1], FIRST + SECOND, run, what)
    assert rel_err(path2[-1], problem.x0) > 1e-3, f"{what}: did not move"


@pytest.mark.parametrize("case_name, problem_name", [
    (c, p) for c in CASES for p in PROBLEMS])
def test_state_converts_to_a_fresh_torch_optimizer(case_name, problem_name):
    """Our state after FIRST steps, written into torch's state-dict keys
    and loaded into a new optimizer, continues exactly as ours does."""
    case, problem = CASES[case_name], PROBLEMS[problem_name][0]
    kind = "changing" if case.any_lr else "constant"
    lr0 = base_lr(case, problem_name)
    lrs1 = schedule(kind, lr0, 0, FIRST)
    lrs2 = schedule(kind, lr0, FIRST, SECOND)
    w0 = problem.x0.copy()
    path1, state = ours(case, problem, w0, case.init(w0), lrs1)
    converted = case.to_torch(state, lrs1[-1], FIRST)
    run = TorchRun(case, problem, path1[-1], converted)
    path2, state = ours(case, problem, path1[-1], state, lrs2)
    what = f"{case_name} on {problem_name} after loading our state"
    compare_paths(path2, run.steps(lrs2), what, FIRST + 1)
    compare_states(case, state, lrs2[-1], FIRST + SECOND, run, what)


# -------------------------------------------------- conventions compared

def _run_pair(step_a, init_a, step_b, init_b, problem, lrs, **kw):
    wa = wb = problem.x0
    sa, sb = init_a(wa), init_b(wb)
    diffs = []
    for lr in lrs:
        wa, sa = step_a(wa, problem.grad(wa), sa, lr=lr, **kw)
        wb, sb = step_b(wb, problem.grad(wb), sb, lr=lr, **kw)
        diffs.append(rel_err(wa, wb))
    return diffs


@pytest.mark.parametrize("problem_name", PROBLEMS)
def test_momentum_and_heavy_ball_identical_at_constant_lr(problem_name):
    problem, lr = PROBLEMS[problem_name]
    diffs = _run_pair(ur.momentum_step, ur.momentum_init,
                      ur.heavy_ball_step, ur.heavy_ball_init,
                      problem, [lr] * 50, mu=0.8)
    k = int(np.argmax(diffs))
    assert diffs[k] <= TOL, (f"{problem_name}: momentum vs heavy ball "
                             f"differ by {diffs[k]:.2e} at step {k + 1}")


@pytest.mark.parametrize("problem_name", PROBLEMS)
def test_momentum_and_heavy_ball_differ_under_decaying_lr(problem_name):
    """lr inside the velocity keeps old gradients at their old lr; the
    torch buffer rescales all of them by the current, smaller lr."""
    problem, lr = PROBLEMS[problem_name]
    lrs = [lr * 0.9 ** k for k in range(50)]
    diffs = _run_pair(ur.momentum_step, ur.momentum_init,
                      ur.heavy_ball_step, ur.heavy_ball_init,
                      problem, lrs, mu=0.8)
    assert max(diffs) > 1e-3, (
        f"{problem_name}: the two momentum conventions should disagree "
        f"under a decaying lr, max rel diff only {max(diffs):.2e}")


@pytest.mark.parametrize("problem_name", PROBLEMS)
def test_nesterov_step_differs_from_torch_under_decaying_lr(problem_name):
    """nesterov_step equals SGD(nesterov=True) at a constant lr only."""
    problem, lr = PROBLEMS[problem_name]
    case = CASES["nesterov"]
    lrs = [lr * 0.9 ** k for k in range(50)]
    mine, _ = ours(case, problem, problem.x0, ur.nesterov_init(problem.x0),
                   lrs)
    theirs = TorchRun(case, problem, problem.x0).steps(lrs)
    e = max(rel_err(a, b) for a, b in zip(mine, theirs))
    assert e > 1e-3, f"{problem_name}: only {e:.2e} apart under a schedule"


@pytest.mark.parametrize("problem_name", PROBLEMS)
@pytest.mark.parametrize("kind", ["constant", "changing"])
def test_nesterov_forms_agree(problem_name, kind):
    """Started together from v = 0, the rewrite stores w_la + mu v."""
    problem, lr0 = PROBLEMS[problem_name]
    mu = 0.75
    w_la = w = problem.x0
    s_la = s = ur.nesterov_init(w)
    for k, lr in enumerate(schedule(kind, lr0, 0, 50), start=1):
        w_la, s_la = ur.nesterov_lookahead_step(w_la, problem.grad, s_la,
                                                lr=lr, mu=mu)
        w, s = ur.nesterov_step(w, problem.grad(w), s, lr=lr, mu=mu)
        assert_close(w, w_la + mu * s_la.v,
                     f"{problem_name} step {k}: stored w vs w_la + mu v")
        assert_close(s.v, s_la.v, f"{problem_name} step {k}: velocity")


@pytest.mark.parametrize("problem_name", PROBLEMS)
def test_adam_l2_and_adamw_differ(problem_name):
    problem = PROBLEMS[problem_name][0]
    diffs = _run_pair(ur.adam_step, ur.adam_init, ur.adamw_step,
                      ur.adamw_init, problem, [0.05] * 50, weight_decay=0.1)
    assert max(diffs) > 1e-3, (
        f"{problem_name}: L2 in the gradient and decoupled decay agree to "
        f"{max(diffs):.2e}; the decay is not being applied differently")


@pytest.mark.parametrize("problem_name", PROBLEMS)
def test_adagrad_effective_step_never_grows(problem_name):
    """The realised step |dw| / |g| per coordinate is non-increasing."""
    problem = PROBLEMS[problem_name][0]
    w, state, eff = problem.x0, ur.adagrad_init(problem.x0), []
    for _ in range(60):
        g = problem.grad(w)
        w_next, state = ur.adagrad_step(w, g, state, lr=0.1, eps=1e-4)
        eff.append((w - w_next) / g)
        w = w_next
    eff = np.array(eff)
    assert (eff > 0).all(), "Adagrad moved against the gradient"
    growth = np.diff(eff, axis=0) / eff[:-1]
    k, i = np.unravel_index(np.argmax(growth), growth.shape)
    assert growth[k, i] <= 1e-12, (
        f"{problem_name}: effective step of coordinate {i} grew from "
        f"{eff[k, i]} to {eff[k + 1, i]} at step {k + 2}")


# ----------------------------------------------------------------- SWATS

def test_swats_switches_on_quadratic_and_keeps_decreasing():
    """Adam phase equals torch Adam, the switch criterion holds where the
    switch happened, and the SGD phase equals torch SGD with momentum b1
    and lr (1 - b1) sgd_lr; the loss keeps going down after the switch."""
    problem, hyper = quadratic(50.0), {"lr": 0.1, "switch_tol": 1e-3}
    w, state, path, states = problem.x0, ur.swats_init(problem.x0), [], []
    for _ in range(400):
        w, state = ur.swats_step(w, problem.grad(w), state, **hyper)
        path.append(w)
        states.append(state)
    ts = state.switch_t
    assert state.phase == "sgd" and 1 < ts < 400, (
        f"SWATS did not switch: phase {state.phase}, switch_t {ts}")
    phases = [s.phase for s in states]  # states[k] is after step k + 1
    assert phases == ["adam"] * (ts - 1) + ["sgd"] * (401 - ts), phases
    adam = TorchRun(CASES["adam"]._replace(torch_kw={}), problem,
                    problem.x0).steps([0.1] * ts)
    compare_paths(path[:ts], adam, "SWATS Adam phase vs torch Adam")
    # the switch criterion, recomputed from the iterates
    p, g = path[ts - 1] - path[ts - 2], problem.grad(path[ts - 2])
    gamma = p @ p / -(p @ g)
    assert abs(state.sgd_lr - gamma) < 1e-3, (
        f"switched with sgd_lr {state.sgd_lr} but gamma {gamma}")
    sgd = CASES["heavy_ball"]._replace(torch_kw={"momentum": 0.9})
    theirs = TorchRun(sgd, problem, path[ts - 1]).steps(
        [0.1 * state.sgd_lr] * (400 - ts))
    compare_paths(path[ts:], theirs, "SWATS SGD phase vs torch SGD", ts + 1)
    before, after = problem.loss(path[ts - 1]), problem.loss(path[-1])
    assert after < 1e-3 * before, (
        f"loss {before:.3e} at the switch, {after:.3e} 300+ steps later")


def test_swats_default_tolerance_stays_adam_while_estimate_moves():
    problem = quadratic(50.0)
    w, state = problem.x0, ur.swats_init(problem.x0)
    for _ in range(50):
        w, state = ur.swats_step(w, problem.grad(w), state, lr=0.1)
    assert state.phase == "adam" and state.switch_t == 0, state.phase
    assert state.lam > 0, f"lam not updated: {state.lam}"


# ---------------------------------------------------------- second order

@pytest.mark.parametrize("condition, dim, seed", [
    (50.0, 2, 0), (100.0, 8, 1), (1e4, 6, 2)])
def test_newton_minimises_quadratic_in_one_step(condition, dim, seed):
    problem = quadratic(condition, dim, seed)
    w0 = problem.x0
    w1 = ur.newton_step(w0, problem.grad(w0), problem.hessian(w0))
    assert_close(w1, problem.minimum, "one Newton step vs the minimum")
    half = ur.newton_step(w0, problem.grad(w0), problem.hessian(w0),
                          lr=0.5)
    assert_close(half, 0.5 * (w0 + problem.minimum), "Newton with lr 0.5")


def test_newton_matches_torch_solve_and_eigh(rng):
    problem = rosenbrock()
    for w in [problem.x0, np.array([0.3, -0.4]), rng.normal(size=2)]:
        g, h = problem.grad(w), problem.hessian(w)
        gt, ht = torch.tensor(g), torch.tensor(h)
        plain = w - torch.linalg.solve(ht, gt).numpy()
        lam, q = torch.linalg.eigh(ht)
        absolute = w - (q @ ((q.T @ gt) / lam.abs())).numpy()
        assert_close(ur.newton_step(w, g, h), plain, f"Newton at {w}")
        assert_close(ur.newton_step(w, g, h, absolute=True), absolute,
                     f"saddle-free Newton at {w}")


@pytest.mark.parametrize("x0", [[1.0, 0.05], [0.1, 0.3], [-0.5, -0.2]])
def test_newton_is_attracted_by_the_saddle(x0):
    problem, w = saddle(), np.array(x0)
    losses = [problem.loss(w)]
    for _ in range(6):
        w = ur.newton_step(w, problem.grad(w), problem.hessian(w))
        losses.append(problem.loss(w))
    assert np.abs(w).max() < 1e-12, f"Newton ended at {w}, not the saddle"
    if losses[0] < 0:  # started below the saddle's level
        assert losses[-1] > losses[0], f"loss did not go up: {losses}"


@pytest.mark.parametrize("x0", [[1.0, 0.05], [0.1, 0.3], [-0.5, -0.2]])
def test_saddle_free_newton_escapes(x0):
    problem, w = saddle(), np.array(x0)
    w1 = ur.newton_step(w, problem.grad(w), problem.hessian(w),
                        absolute=True)
    assert abs(w1[1]) > abs(w[1]), f"first step {w} -> {w1} not away"
    for _ in range(15):
        w = ur.newton_step(w, problem.grad(w), problem.hessian(w),
                           absolute=True)
    target = np.array([0.0, np.sign(x0[1]) * np.sqrt(2)])
    assert_close(w, target, f"saddle-free Newton from {x0}")
    assert problem.loss(w) < problem.loss(np.array(x0)) - 0.5


def bfgs_inverse(s_hist, y_hist, n):
    """Explicit BFGS inverse Hessian from H0 = gamma I, newest gamma."""
    if not s_hist:
        return np.eye(n)
    s, y = s_hist[-1], y_hist[-1]
    h = (s @ y) / (y @ y) * np.eye(n)
    for s, y in zip(s_hist, y_hist):
        rho = 1.0 / (s @ y)
        left = np.eye(n) - rho * np.outer(s, y)
        h = left @ h @ left.T + rho * np.outer(s, s)
    return h


@pytest.mark.parametrize("pairs", [0, 1, 2, 5])
def test_lbfgs_direction_equals_explicit_bfgs(pairs, rng):
    n = 5
    m = rng.normal(size=(n, n))
    b = m @ m.T + 0.5 * np.eye(n)  # positive definite: s.y > 0
    s_hist = [rng.normal(size=n) for _ in range(pairs)]
    # a different curvature per pair, as along a real trajectory
    y_hist = [(b + k * np.diag(rng.uniform(0, 1, n))) @ s
              for k, s in enumerate(s_hist)]
    g = rng.normal(size=n)
    expected = -bfgs_inverse(s_hist, y_hist, n) @ g
    assert_close(ur.lbfgs_direction(g, s_hist, y_hist), expected,
                 f"two-loop direction with {pairs} pairs")


def test_lbfgs_direction_rejects_negative_curvature():
    s, y = np.array([1.0, 0.0]), np.array([-1.0, 0.0])
    with pytest.raises(ValueError, match="s.y > 0"):
        ur.lbfgs_direction(np.ones(2), [s], [y])


@pytest.mark.parametrize("problem", [rosenbrock(), quadratic(100.0, 8, 1)],
                         ids=["rosenbrock", "quad8"])
def test_lbfgs_minimize_reaches_minimum(problem):
    w, history = ur.lbfgs_minimize(problem.loss, problem.grad, problem.x0)
    err = np.abs(w - problem.minimum).max()
    assert err <= 1e-6, f"L-BFGS ended at {w}, {err:.2e} from the minimum"
    assert history[0] == problem.loss(problem.x0)
    assert all(b < a for a, b in zip(history, history[1:])), (
        "Armijo steps must decrease the loss every iteration")
    assert len(history) < 200, f"took {len(history) - 1} iterations"


# ------------------------------------------------- purity, dtypes, input

def _all_rules():
    rules = [(c.init, c.step, dict(c.kw, lr=0.01)) for c in CASES.values()]
    rules.append((ur.swats_init, ur.swats_step, {"lr": 0.01}))
    return rules


def _arrays(state):
    return [a for a in state if isinstance(a, np.ndarray)]


@pytest.mark.parametrize("init, step, kw", _all_rules())
def test_step_mutates_nothing(init, step, kw, rng):
    w = rng.normal(size=(3, 2))
    state = init(w)
    for _ in range(3):  # a non-trivial state
        w, state = step(w, np.sin(w) + 0.1, state, **kw)
    g = rng.normal(size=w.shape)
    before = copy.deepcopy((w, g, state))
    w_next, state_next = step(w, g, state, **kw)
    assert np.array_equal(w, before[0]), "w was modified"
    assert np.array_equal(g, before[1]), "g was modified"
    for a, b in zip(_arrays(state), _arrays(before[2])):
        assert np.array_equal(a, b), "a state array was modified"
    for out in [w_next] + _arrays(state_next):
        for inp in [w, g]:
            assert not np.shares_memory(out, inp), "output aliases input"


def test_other_steps_mutate_nothing(rng):
    w, g = rng.normal(size=4), rng.normal(size=4)
    h = np.diag([2.0, -1.0, 3.0, 0.5])
    s_hist = [rng.normal(size=4)]
    y_hist = [2 * s_hist[0]]
    before = copy.deepcopy((w, g, h, s_hist, y_hist))
    ur.newton_step(w, g, h)
    ur.newton_step(w, g, h, absolute=True)
    d = ur.lbfgs_direction(g, s_hist, y_hist)
    v = ur.nesterov_init(w)._replace(v=rng.normal(size=4))
    v_before = v.v.copy()
    ur.nesterov_lookahead_step(w, lambda x: 2 * x, v, lr=0.1)
    for a, b in zip((w, g, h, *s_hist, *y_hist),
                    (before[0], before[1], before[2], *before[3],
                     *before[4])):
        assert np.array_equal(a, b), "an input was modified"
    assert np.array_equal(v.v, v_before), "the velocity was modified"
    assert not np.shares_memory(d, g)


@pytest.mark.parametrize("init, step, kw", _all_rules())
def test_dtype_is_kept(init, step, kw):
    w32 = np.linspace(-1, 1, 4, dtype=np.float32)
    w, state = w32, init(w32)
    for _ in range(2):
        w, state = step(w, np.float32(2) * w + np.float32(1), state, **kw)
    assert w.dtype == np.float32, f"float32 in, {w.dtype} out"
    w_int = np.arange(4)
    w, _ = step(w_int, np.ones(4, dtype=int), init(w_int), **kw)
    assert w.dtype == np.float64, f"int in, {w.dtype} out"


@pytest.mark.parametrize("call, fragment", [
    (lambda: ur.sgd_step(np.ones(2), np.ones(3), ur.SGDState(), lr=0.1),
     "(3,)"),
    (lambda: ur.sgd_step(np.ones(2), np.ones(2), ur.SGDState(), lr=-0.5),
     "-0.5"),
    (lambda: ur.momentum_step(np.ones(2), np.ones(2),
                              ur.momentum_init(np.ones(2)), lr=0.1, mu=1.0),
     "1.0"),
    (lambda: ur.momentum_step(np.ones(2), np.ones(2),
                              ur.momentum_init(np.ones(5)), lr=0.1),
     "(5,)"),
    (lambda: ur.heavy_ball_step(np.ones(2), np.ones(2),
                                ur.heavy_ball_init(np.ones(2)), lr=0.1,
                                dampening=1.5), "1.5"),
    (lambda: ur.rmsprop_step(np.ones(2), np.ones(2),
                             ur.rmsprop_init(np.ones(2)), lr=0.1,
                             decay=1.2), "1.2"),
    (lambda: ur.adam_step(np.ones(2), np.ones(2), ur.adam_init(np.ones(2)),
                          b2=-0.1), "-0.1"),
    (lambda: ur.adagrad_step(np.ones(2), np.ones(2),
                             ur.adagrad_init(np.ones(2)), lr=0.1,
                             eps=-1e-8), "-1e-08"),
    (lambda: ur.adamw_step(np.ones(2), np.ones(2), ur.adam_init(np.ones(2)),
                           weight_decay=-0.01), "-0.01"),
    (lambda: ur.newton_step(np.ones(2), np.ones(2), np.eye(3)), "(3, 3)"),
    (lambda: ur.newton_step(np.ones(2), np.ones(2), np.diag([1.0, 0.0]),
                            absolute=True), "singular"),
    (lambda: ur.lbfgs_direction(np.ones(2), [np.ones(2)], []), "1 != 0"),
    (lambda: ur.lbfgs_minimize(sum, np.sign, np.ones(2), memory=0),
     "got 0"),
    (lambda: ur.run(ur.sgd_step, ur.sgd_init, np.ones(2), np.sign, -1,
                    lr=0.1), "got -1"),
])
def test_bad_arguments_name_the_value(call, fragment):
    with pytest.raises(ValueError, match=re.escape(fragment)):
        call()


def test_run_with_schedule_matches_torch_sgd():
    problem = quadratic(50.0)
    lrs = schedule("changing", 0.01, 0, 25)
    path = ur.run(ur.heavy_ball_step, ur.heavy_ball_init, problem.x0,
                  problem.grad, 25, lr=lambda k: lrs[k], mu=0.7)
    assert path.shape == (26, 2), f"trajectory shape {path.shape}"
    assert np.array_equal(path[0], problem.x0), "row 0 must be w0"
    theirs = TorchRun(CASES["heavy_ball"], problem, problem.x0).steps(lrs)
    compare_paths(path[1:], theirs, "run(heavy_ball) with a schedule")


@pytest.mark.parametrize("init, step, kw", _all_rules())
def test_zero_gradient_at_step_one_stays_put(init, step, kw):
    """Boundary: with g = 0 and zero moments every rule divides 0 by eps
    (or multiplies 0), so w must not move and nothing may become NaN."""
    if "weight_decay" in kw:  # decay moves w without any gradient
        kw = dict(kw, weight_decay=0.0)
    w = np.array([0.5, -2.0])
    w1, state = step(w, np.zeros(2), init(w), **kw)
    assert np.array_equal(w1, w), f"moved to {w1} with a zero gradient"
    for a in _arrays(state):
        assert np.isfinite(a).all(), f"state became {a}"
