"""Checks and known mistakes for the update rules of chapter 4.

Each rule is checked as a pair ``(init, step)`` by running it side by side
with the reference for many steps. The cases are chosen so that every
convention shows: a constant learning rate (where lr inside or outside the
velocity agree), a learning rate that changes at every step (where they do
not), non-default eps (inside or outside the square root), a start from a
mid-run state (t > 0, non-zero moments) and three problems with different
curvature. The state returned at every step is compared as well as w.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from autograder.judge.core import Case, Graded, Mistake
from solutions import problems, update_rules as ref

STEPS, MID = 60, 20


def _decaying(lr0: float) -> Callable[[int], float]:
    """An lr that changes every step: cosine from lr0 to lr0/10 over STEPS."""
    return lambda t: lr0 * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t / STEPS)))


def problem_data(problem: problems.Problem) -> dict:
    """A shared test problem as the data the driver computes gradients from."""
    if problem.name.startswith("quadratic"):
        return {"kind": "quadratic", "A": problem.hessian(problem.x0),
                "c": problem.minimum}
    if problem.name.startswith("rosenbrock"):
        a = float(problem.minimum[0])
        b = float(problem.hessian(problem.x0)[1, 1]) / 2
        return {"kind": "rosenbrock", "a": a, "b": b}
    raise ValueError(f"no data form for {problem.name}")


def _cases(name: str, hyper: list[dict], lr0: dict[str, float]) -> Callable[[int], list[Case]]:
    """Fresh/constant, fresh/decaying, mid-run/decaying on three problems.

    The run's seed moves the start points, scales the learning rates by
    0.8-1.2 and draws the rotation and centre of the 8-dimensional bowl:
    the conventions each case exposes stay, the numbers are new."""
    def build(seed: int) -> list[Case]:
        rng = np.random.default_rng([seed, 4])
        quad = problems.quadratic(condition=50.0)
        quad8 = problems.quadratic(condition=100.0, dim=8, seed=int(rng.integers(1 << 30)))
        rosen = problems.rosenbrock()
        starts = [quad.x0 + rng.normal(scale=0.2, size=2),
                  rosen.x0 + rng.normal(scale=0.05, size=2), quad8.x0]
        scale = rng.uniform(0.8, 1.2, size=3)
        plans = [(quad, starts[0], lr0["quadratic"] * scale[0], False, hyper[0], "constant"),
                 (rosen, starts[1], _decaying(lr0["rosenbrock"] * scale[1]), False,
                  hyper[1 % len(hyper)], "cosine-decaying"),
                 (quad8, starts[2], _decaying(lr0["quadratic"] * scale[2]), True, hyper[-1],
                  "cosine-decaying")]
        return [_case(name, *plan) for plan in plans]
    return build


def _case(name, problem, x0, lr, mid_run, hyper, lr_kind) -> Case:
    lr_text = f"lr={lr:.4g}" if not callable(lr) else f"{lr_kind} lr from {lr(0):.4g}"
    hyper_text = ", ".join(f"{k}={v:g}" for k, v in hyper.items())
    start_text = f"from the state after {MID} steps" if mid_run else "from init"
    label = (f"{STEPS} steps on {problem.name} {start_text}, {lr_text}"
             + (f", {hyper_text}" if hyper_text else ""))
    w0, start, shift = x0, None, 0
    if mid_run:
        w0, state = _mid_run(name, problem, x0, lr, hyper)
        start, shift = state._asdict(), MID
    lrs = [float(lr(t + shift)) if callable(lr) else float(lr) for t in range(STEPS)]
    args = {"problem": problem_data(problem), "w0": np.asarray(w0, dtype=float),
            "lrs": lrs, "hyper": dict(hyper), "start": start, "name": f"{name}_step"}
    return Case(label=label, call="update_rules.trajectory", args=args,
                tol="trajectory", leading="step")


def _mid_run(name, problem, x0, lr, hyper):
    """The reference's own (w, state) after MID steps: a mid-run start."""
    init, step = getattr(ref, f"{name}_init"), getattr(ref, f"{name}_step")
    w, state = x0.copy(), init(x0.copy())
    for t in range(MID):
        w, state = step(w, problem.grad(w), state, lr=lr(t) if callable(lr) else lr, **hyper)
    return w, state


# ---- known mistakes: each is a whole wrong step with the graded signature.
# Helpers build a step from the few lines that differ, keeping the state's
# own type so a mistake's state compares field by field with the student's.

def _plain(update):
    """SGD-like step from ``update(w, g, lr) -> w``."""
    def step(w, g, state, *, lr):
        return update(w, g, lr), state
    return step


SGD_MISTAKES = [
    Mistake("sgd_ascent", "the step adds lr * g: it climbs the loss instead "
            "of descending it", _plain(lambda w, g, lr: w + lr * g)),
    Mistake("sgd_no_lr", "the learning rate is missing: the step is the raw "
            "gradient", _plain(lambda w, g, lr: w - g)),
    Mistake("sgd_fixed_lr", "a fixed learning rate is used instead of the lr "
            "passed in, so a schedule has no effect",
            _plain(lambda w, g, lr: w - 1e-3 * g)),
    Mistake("sgd_no_update", "w is returned unchanged",
            _plain(lambda w, g, lr: w.copy())),
    Mistake("sgd_normalized", "the gradient is divided by its norm; plain "
            "SGD uses it as it is",
            _plain(lambda w, g, lr: w - lr * g / np.linalg.norm(g))),
]


def _velocity(update):
    """Momentum-like step from ``update(w, g, v, lr, mu) -> (w, v)``."""
    def step(w, g, state, *, lr, mu=0.9):
        w_next, v = update(w, g, state.v, lr, mu)
        return w_next, state._replace(v=v)
    return step


def _v_then_w(new_v):
    """w + v_new, with ``new_v(g, v, lr, mu)``."""
    return _velocity(lambda w, g, v, lr, mu: (w + new_v(g, v, lr, mu), new_v(g, v, lr, mu)))


MOMENTUM_MISTAKES = [
    Mistake("momentum_sign_flipped", "the velocity adds lr * g instead of "
            "subtracting it, so the steps climb the loss",
            _v_then_w(lambda g, v, lr, mu: mu * v + lr * g)),
    Mistake("momentum_lr_outside", "the learning rate multiplies the whole "
            "velocity (v = mu*v + g; w = w - lr*v, PyTorch's form) instead "
            "of the new gradient only (v = mu*v - lr*g; w = w + v): the two "
            "agree at a constant lr, not under a schedule, and store "
            "different velocities",
            _velocity(lambda w, g, v, lr, mu: (w - lr * (mu * v + g), mu * v + g))),
    Mistake("momentum_old_velocity", "w moves with the old velocity; update "
            "v first, then w = w + v",
            _velocity(lambda w, g, v, lr, mu: (w + v, mu * v - lr * g))),
    Mistake("momentum_no_friction", "the old velocity is not multiplied by "
            "mu", _v_then_w(lambda g, v, lr, mu: v - lr * g)),
    Mistake("momentum_dampened", "the gradient is scaled by (1 - mu); the "
            "rule taught here uses v = mu*v - lr*g",
            _v_then_w(lambda g, v, lr, mu: mu * v - (1 - mu) * lr * g)),
    Mistake("momentum_mu_on_gradient", "mu multiplies the new gradient as "
            "well as the old velocity",
            _v_then_w(lambda g, v, lr, mu: mu * (v - lr * g))),
]


def _nesterov_mix(mix):
    """Nesterov-like step: v = mu*v - lr*g, then w from ``mix(w, v_prev, v, mu)``."""
    return _velocity(lambda w, g, v, lr, mu: (mix(w, v, mu * v - lr * g, mu), mu * v - lr * g))


NESTEROV_MISTAKES = [
    Mistake("nesterov_plain_momentum", "this is classical momentum (w = w + "
            "v): Nesterov's rewrite moves w by -mu*v_prev + (1 + mu)*v to "
            "account for the look-ahead",
            _nesterov_mix(lambda w, vp, v, mu: w + v)),
    Mistake("nesterov_signs_swapped", "the signs of the two terms are "
            "swapped: w = w - mu*v_prev + (1 + mu)*v",
            _nesterov_mix(lambda w, vp, v, mu: w + mu * vp - (1 + mu) * v)),
    Mistake("nesterov_no_mu_on_v_prev", "v_prev is subtracted without its "
            "factor mu", _nesterov_mix(lambda w, vp, v, mu: w - vp + (1 + mu) * v)),
    Mistake("nesterov_missing_v_prev", "the -mu*v_prev term is missing",
            _nesterov_mix(lambda w, vp, v, mu: w + (1 + mu) * v)),
    Mistake("nesterov_v_roles_swapped", "v and v_prev are used in each "
            "other's place", _nesterov_mix(lambda w, vp, v, mu: w - mu * v + (1 + mu) * vp)),
    Mistake("nesterov_lr_outside", "the learning rate multiplies the whole "
            "buffer (PyTorch's form: b = mu*b + g; w -= lr*(g + mu*b)); it "
            "matches the rule taught only at a constant lr",
            _velocity(lambda w, g, v, lr, mu: (w - lr * (g + mu * (mu * v + g)), mu * v + g))),
]


def _cache_rule(update):
    """Adagrad/RMSprop-like step from ``update(w, g, cache, lr, **h)``."""
    def step(w, g, state, *, lr, **hyper):
        w_next, cache = update(w, g, state.cache, lr, **hyper)
        return w_next, state._replace(cache=cache)
    return step


ADAGRAD_MISTAKES = [
    Mistake("adagrad_eps_inside_sqrt", "eps is added inside the square root; "
            "the rule divides by sqrt(cache) + eps",
            _cache_rule(lambda w, g, c, lr, eps=1e-8: (
                w - lr * g / np.sqrt(c + g * g + eps), c + g * g))),
    Mistake("adagrad_no_sqrt", "the square root of the cache is missing",
            _cache_rule(lambda w, g, c, lr, eps=1e-8: (
                w - lr * g / (c + g * g + eps), c + g * g))),
    Mistake("adagrad_cache_not_accumulated", "the cache holds only the "
            "current g**2; Adagrad sums the squares of all gradients so far",
            _cache_rule(lambda w, g, c, lr, eps=1e-8: (
                w - lr * g / (np.abs(g) + eps), g * g))),
    Mistake("adagrad_cache_after_use", "the cache is updated after it is "
            "used: add g**2 first, then divide",
            _cache_rule(lambda w, g, c, lr, eps=1e-8: (
                w - lr * g / (np.sqrt(c) + eps), c + g * g))),
    Mistake("adagrad_grad_not_squared", "the cache accumulates g instead of "
            "g**2", _cache_rule(lambda w, g, c, lr, eps=1e-8: (
                w - lr * g / (np.sqrt(c + g) + eps), c + g))),
]


def _rms(new_cache, denom=lambda c, eps: np.sqrt(c) + eps):
    """RMSprop-like step from ``new_cache(c, g, decay)`` and a denominator."""
    def update(w, g, c, lr, decay=0.99, eps=1e-8):
        c = new_cache(c, g, decay)
        return w - lr * g / denom(c, eps), c
    return _cache_rule(update)


RMSPROP_MISTAKES = [
    Mistake("rmsprop_decay_swapped", "decay and 1 - decay are swapped: the "
            "old cache gets weight decay, the new g**2 weight 1 - decay",
            _rms(lambda c, g, d: (1 - d) * c + d * g * g)),
    Mistake("rmsprop_eps_inside_sqrt", "eps is added inside the square root; "
            "the rule divides by sqrt(cache) + eps",
            _rms(lambda c, g, d: d * c + (1 - d) * g * g, lambda c, eps: np.sqrt(c + eps))),
    Mistake("rmsprop_no_one_minus_decay", "the new g**2 is not scaled by "
            "(1 - decay)", _rms(lambda c, g, d: d * c + g * g)),
    Mistake("rmsprop_adagrad_sum", "the cache sums g**2 like Adagrad instead "
            "of a leaky average", _rms(lambda c, g, d: c + g * g)),
    Mistake("rmsprop_no_sqrt", "the square root of the cache is missing",
            _rms(lambda c, g, d: d * c + (1 - d) * g * g, lambda c, eps: c + eps)),
    Mistake("rmsprop_grad_not_squared", "the cache averages |g| instead of "
            "g**2", _rms(lambda c, g, d: d * c + (1 - d) * np.abs(g),
                         lambda c, eps: c + eps)),
]


def _adam(t_used=lambda t: t, correct_m=True, correct_v=True, eps_inside=False,
          square=lambda g: g * g, swap=False, decoupled=None, l2=True):
    """An Adam step with one knob turned away from the reference."""
    def step(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
        b1, b2 = (b2, b1) if swap else (b1, b2)
        t = state.t + 1
        if decoupled == "before":
            w = w - lr * weight_decay * w
        elif l2 and decoupled is None:
            g = g + weight_decay * w
        m = b1 * state.m + (1 - b1) * g
        v = b2 * state.v + (1 - b2) * square(g)
        tu = t_used(t)
        m_hat = m / (1 - b1 ** tu) if correct_m else m
        v_hat = v / (1 - b2 ** tu) if correct_v else v
        den = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
        w_next = w - lr * m_hat / den
        if decoupled == "after":
            w_next = w_next - lr * weight_decay * w_next
        elif decoupled == "no_lr":
            w_next = w_next - weight_decay * w
        return w_next, state._replace(t=t, m=m, v=v)
    return step


ADAM_MISTAKES = [
    Mistake("adam_no_bias_correction", "m and v are not bias-corrected: "
            "divide by 1 - b1**t and 1 - b2**t", _adam(correct_m=False, correct_v=False)),
    Mistake("adam_t_after_use", "t is incremented after it is used in the "
            "bias correction (the first step must use t = 1)",
            _adam(t_used=lambda t: t - 1)),
    Mistake("adam_eps_inside_sqrt", "eps is added inside the square root; "
            "Adam divides by sqrt(v_hat) + eps", _adam(eps_inside=True)),
    Mistake("adam_only_m_corrected", "only m is bias-corrected; v needs its "
            "own correction 1 - b2**t", _adam(correct_v=False)),
    Mistake("adam_only_v_corrected", "only v is bias-corrected; m needs its "
            "own correction 1 - b1**t", _adam(correct_m=False)),
    Mistake("adam_betas_swapped", "b1 and b2 are used in each other's place",
            _adam(swap=True)),
    Mistake("adam_abs_not_square", "v averages |g| instead of g**2",
            _adam(square=np.abs)),
    Mistake("adam_weight_decay_ignored", "weight_decay is ignored; in Adam "
            "it is L2 added to the gradient: g = g + weight_decay * w",
            _adam(l2=False)),
]

ADAMW_MISTAKES = [
    Mistake("adamw_coupled_l2", "the decay is added to the gradient (Adam "
            "with L2); AdamW decays w directly, w = w - lr*wd*w, outside "
            "the adaptive step", _adam()),
    Mistake("adamw_decay_after_step", "the decay is applied to the new w "
            "after the Adam step; AdamW decays the old w",
            _adam(decoupled="after")),
    Mistake("adamw_decay_without_lr", "the decay is not scaled by the "
            "learning rate: w = w - lr*wd*w", _adam(decoupled="no_lr")),
    Mistake("adamw_no_decay", "weight_decay is ignored", _adam(l2=False)),
    Mistake("adamw_no_bias_correction", "m and v are not bias-corrected",
            _adam(decoupled="before", correct_m=False, correct_v=False)),
    Mistake("adamw_eps_inside_sqrt", "eps is added inside the square root",
            _adam(decoupled="before", eps_inside=True)),
]


def _graded(name: str, mistakes: list[Mistake], hyper: list[dict],
            lr0: dict[str, float], uses: tuple[str, ...] = ()) -> Graded:
    init = getattr(ref, f"{name}_init")
    return Graded(
        name=f"{name}_step", reference=(init, getattr(ref, f"{name}_step")),
        names=(f"{name}_init", f"{name}_step"), uses=uses,
        cases=_cases(name, hyper, lr0),
        mistakes=tuple(Mistake(m.name, m.hint, (init, m.impl)) for m in mistakes))


_ADAM_HYPER = [dict(b1=0.8, b2=0.99, eps=1e-3, weight_decay=0.0),
               dict(b1=0.85, b2=0.995, eps=1e-4, weight_decay=0.01),
               dict(b1=0.9, b2=0.999, eps=1e-3, weight_decay=0.05)]

GRADED: dict[str, Graded] = {
    "sgd": _graded("sgd", SGD_MISTAKES, [{}],
                   {"quadratic": 0.02, "rosenbrock": 5e-4}),
    "momentum": _graded("momentum", MOMENTUM_MISTAKES,
                        [dict(mu=0.8), dict(mu=0.7), dict(mu=0.85)],
                        {"quadratic": 0.01, "rosenbrock": 2e-4}),
    "nesterov": _graded("nesterov", NESTEROV_MISTAKES,
                        [dict(mu=0.8), dict(mu=0.7), dict(mu=0.85)],
                        {"quadratic": 0.01, "rosenbrock": 2e-4}),
    "adagrad": _graded("adagrad", ADAGRAD_MISTAKES,
                       [dict(eps=1e-3), dict(eps=1e-2), dict(eps=1e-3)],
                       {"quadratic": 0.5, "rosenbrock": 0.1}),
    "rmsprop": _graded("rmsprop", RMSPROP_MISTAKES,
                       [dict(decay=0.95, eps=1e-3), dict(decay=0.9, eps=1e-2),
                        dict(decay=0.99, eps=1e-3)],
                       {"quadratic": 0.05, "rosenbrock": 0.01}),
    "adam": _graded("adam", ADAM_MISTAKES, _ADAM_HYPER,
                    {"quadratic": 0.1, "rosenbrock": 0.02}),
    "adamw": _graded("adamw", ADAMW_MISTAKES,
                     [dict(h, weight_decay=wd) for h, wd in zip(_ADAM_HYPER, (0.05, 0.1, 0.02))],
                     {"quadratic": 0.1, "rosenbrock": 0.02},
                     # the reference's adamw_init is adam_init(w), and its step
                     # is Adam's step from the decayed weights
                     uses=("adam_init", "adam_step")),
}
