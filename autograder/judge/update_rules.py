"""Checks and known mistakes for the update rules of chapter 4.

Each rule is checked as a pair ``(init, step)`` by running it side by side
with the reference for many steps. The cases are chosen so that every
convention shows: a constant learning rate (where lr inside or outside the
velocity agree), a learning rate that changes at every step (where they do
not), non-default eps (inside or outside the square root), a start from a
mid-run state (t > 0, non-zero moments) and three problems with different
curvature. The state returned at every step is compared as well as w.

So does every contract the text states (see ``_cases``): a matrix w with
nothing but what has no default passed (the defaults of the signature,
with gradients small enough for eps to show), float32 w and g (float32
must stay float32), an integer w and g (float64 results), and at every
step of every case, the w, g and state the rule was handed must hold what
they held before the call. Adam's weight decay has cases, and a test cell,
of its own. The catalogue names the usual ways of breaking these too
(updates in place, float64 zeros in an init, defaults of other libraries).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from autograder.judge.core import Case, Graded, Mistake
from autograder.judge.feedback import CheckFailure
from solutions import problems, update_rules as ref

STEPS, MID = 60, 20
SHORT = 20        # steps of the float32 case
F32_CURVATURE = [1.0, 2.0, 4.0]
DEFAULT_STEPS = 40  # steps of the matrix case with the default hyperparameters
INT_STEPS = 10    # steps of the integer case (integers only matter at step 0)

# The case with the default hyperparameters: a (4, 3) matrix w on a bowl whose
# rows have curvatures from 1 down to 1e-6, so that some gradients are far
# below 1e-4 and a default eps other than 1e-8 moves w by more than the
# tolerance. lr: the rule's own default when None (Adam, AdamW).
DEFAULT_SHAPE = (4, 3)
DEFAULT_LR = {"sgd": 0.5, "momentum": 0.1, "nesterov": 0.1, "adagrad": 0.1,
              "rmsprop": 0.01, "adam": None, "adamw": None}
# A symmetric positive definite matrix of whole numbers: at an integer w the
# gradient A (w - c) is an integer array too.
INT_A = [[4, 1, 0], [1, 3, 1], [0, 1, 2]]


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


def _cases(name: str, hyper: list[dict], lr0: dict[str, float],
           decay: tuple[dict, ...] = ()) -> Callable[[int], list[Case]]:
    """The cases of one rule, in this order (the spec's cells refer to them):

    0-2: fresh/constant, fresh/decaying, mid-run/decaying on three problems;
    3: a (4, 3) matrix w, only lr passed (Adam and AdamW: nothing), so
       every other hyperparameter is the signature's default;
    4: float32 w and g (compared at float32 precision: the dtype is the
       point, see the case's prepare);
    then one fresh/constant case per entry of ``decay`` (Adam's
    weight_decay > 0, a test cell of its own); last: an integer w0 with
    integer gradients at step 0 (last, because much code that writes into
    its inputs raises there and a raise names no mistake).

    The run's seed moves the start points, scales the learning rates by
    0.8-1.2 and draws the rotation and centre of the 8-dimensional bowl,
    the matrix problem and the integer start: the conventions each case
    exposes stay, the numbers are new. Every case checks, at every step,
    that the rule left the w, g and state it was given unchanged and that
    its outputs have the promised dtype (see _contract)."""
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
        cases = [_case(name, *plan) for plan in plans]
        more = rng.uniform(0.8, 1.2, size=3 + len(decay))
        cases.append(_defaults_case(name, rng, DEFAULT_LR[name], more[0]))
        cases.append(_float32_case(name, rng, lr0["quadratic"] * more[1], hyper[0]))
        for i, h in enumerate(decay):
            problem = (quad, quad8)[i % 2]
            x0 = problem.x0 + rng.normal(scale=0.2, size=problem.x0.shape)
            cases.append(_case(name, problem, x0, lr0["quadratic"] * more[3 + i], False, h,
                               "constant"))
        cases.append(_integer_case(name, rng, lr0["quadratic"] * more[2], hyper[0]))
        return cases
    return build


def _hyper_text(hyper: dict) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in hyper.items())


def _case(name, problem, x0, lr, mid_run, hyper, lr_kind) -> Case:
    lr_text = f"lr={lr:.4g}" if not callable(lr) else f"{lr_kind} lr from {lr(0):.4g}"
    start_text = f"from the state after {MID} steps" if mid_run else "from init"
    label = (f"{STEPS} steps on {problem.name} {start_text}, {lr_text}"
             + (f", {_hyper_text(hyper)}" if hyper else ""))
    w0, start, shift = x0, None, 0
    if mid_run:
        w0, state = _mid_run(name, problem, x0, lr, hyper)
        start, shift = state._asdict(), MID
    lrs = [float(lr(t + shift)) if callable(lr) else float(lr) for t in range(STEPS)]
    return _trajectory_case(name, label, problem_data(problem), np.asarray(w0, dtype=float),
                            lrs, hyper, start=start)


def _defaults_case(name: str, rng: np.random.Generator, lr: float | None,
                   scale: float) -> Case:
    """A matrix w with only what has no default passed (see DEFAULT_LR)."""
    curvature = rng.permutation(np.geomspace(1.0, 1e-6, DEFAULT_SHAPE[0]))
    c = rng.normal(size=DEFAULT_SHAPE)
    w0 = c + rng.choice([-1.0, 1.0], size=DEFAULT_SHAPE) * rng.uniform(0.5, 1.5, DEFAULT_SHAPE)
    data = {"kind": "quadratic", "A": np.diag(curvature), "c": c}
    if lr is None:
        lrs, passed = [None] * DEFAULT_STEPS, "nothing passed: lr and every other " \
            "hyperparameter at its default"
    else:
        lrs = [float(lr * scale)] * DEFAULT_STEPS
        passed = f"lr={lr * scale:.4g}, every other hyperparameter at its default"
    label = (f"{DEFAULT_STEPS} steps on a quadratic bowl with w of shape {DEFAULT_SHAPE} "
             f"(row curvatures 1 down to 1e-6) from init, {passed}")
    return _trajectory_case(name, label, data, w0, lrs, {})


def _float32_case(name: str, rng: np.random.Generator, lr: float, hyper: dict) -> Case:
    """float32 w and g on a mild bowl whose iterates stay far from 0, so that
    float32 rounding stays well inside the float32 tolerance."""
    curvature = np.array(F32_CURVATURE)
    c = 4.0 + rng.uniform(0.0, 1.0, size=3)
    w0 = c + rng.choice([-1.0, 1.0], size=3) * rng.uniform(1.0, 2.0, size=3)
    data = {"kind": "quadratic", "A": np.diag(curvature), "c": c}
    label = (f"{SHORT} steps on a bowl of curvatures {F32_CURVATURE} from init, with "
             f"float32 w and g, lr={lr:.4g}" + (f", {_hyper_text(hyper)}" if hyper else ""))
    return _trajectory_case(name, label, data, w0, [float(lr)] * SHORT, hyper,
                            dtype="float32")


def _integer_case(name: str, rng: np.random.Generator, lr: float, hyper: dict) -> Case:
    """An int64 w0 on a bowl of whole numbers: g is an int64 array at step 0."""
    c = rng.integers(-3, 4, size=3)
    w0 = c + rng.integers(1, 4, size=3) * rng.choice([-1, 1], size=3)
    data = {"kind": "quadratic", "A": np.array(INT_A, dtype=float), "c": c.astype(float)}
    label = (f"{INT_STEPS} steps on the bowl A = {INT_A}, c = {c.tolist()} from init, with "
             f"the integer (int64) w = {w0.tolist()} and an integer g at step 0, lr={lr:.4g}"
             + (f", {_hyper_text(hyper)}" if hyper else ""))
    return _trajectory_case(name, label, data, w0.astype(np.int64), [float(lr)] * INT_STEPS,
                            hyper, dtype="int64")


def _trajectory_case(name, label, data, w0, lrs, hyper, *, start=None, dtype=None) -> Case:
    args = {"problem": data, "w0": w0, "lrs": lrs, "hyper": dict(hyper), "start": start,
            "name": f"{name}_step", "dtype": dtype}
    return Case(label=label, call="update_rules.trajectory", args=args,
                tol="float32" if dtype == "float32" else "trajectory", leading="step",
                prepare=_contract(f"{name}_step", label, dtype))


def _mid_run(name, problem, x0, lr, hyper):
    """The reference's own (w, state) after MID steps: a mid-run start."""
    init, step = getattr(ref, f"{name}_init"), getattr(ref, f"{name}_step")
    w, state = x0.copy(), init(x0.copy())
    for t in range(MID):
        w, state = step(w, problem.grad(w), state, lr=lr(t) if callable(lr) else lr, **hyper)
    return w, state


# ---- the contracts every case holds a rule to, before its values

def _contract(step: str, label: str, dtype: str | None) -> Callable[[dict], dict]:
    """The case's prepare: the inputs were left as they were, and every
    array returned has the promised dtype (float32 from float32 inputs,
    float64 from float64 or integer ones); then what is compared."""
    promised = "float32" if dtype == "float32" else "float64"
    # At float32 the velocities and moments pass through 0, where rounding
    # is large next to them: there only w (kept far from 0) is compared, and
    # the state's dtype; the float64 cases compare every field.
    compared = ("w",) if dtype == "float32" else ("w", "state")

    def prepare(out: dict) -> dict:
        _inputs_unchanged(out.get("changed") or {}, step, label)
        _dtypes_kept(out.get("dtypes") or {}, out.get("init_dtypes") or {}, step, label,
                     promised, dtype)
        return {k: out[k] for k in compared if k in out}
    return prepare


def _inputs_unchanged(changed: dict, step: str, label: str) -> None:
    order = list(changed)
    hits = sorted((k, order.index(key), key) for key, k in changed.items()
                  if isinstance(k, (int, np.integer)) and k >= 0)
    if not hits:
        return
    k, _, key = hits[0]
    rest = "return new arrays and leave the inputs as they were"
    if key in ("w", "g"):
        message = f"your {step} changed its input {key} in place at step {k} ({label}): {rest}"
        cause = (f"{key} -= ..., {key} += ..., {key} *= ... or {key}[...] = ... write into "
                 f"the caller's array: compute a new one ({key} = {key} - ..., "
                 f"np.subtract, or on a copy)")
    else:
        field = key.partition(".")[2]
        message = (f"your {step} changed {key} of the state it was given in place at step "
                   f"{k} ({label}): {rest}")
        cause = (f"{key} *= ..., {key}[...] = ..., or {field} = {key} followed by "
                 f"{field} *= ..., write into the caller's state: compute a new array "
                 f"from {key} and return it in a new state")
    raise CheckFailure(message, diagnosis=cause)


def _dtypes_kept(dtypes: dict, made: dict, step: str, label: str, promised: str,
                 given: str | None) -> None:
    for key, runs in dtypes.items():
        for run in runs if isinstance(runs, (list, tuple)) else ():
            found, k = (list(run) + [None, None])[:2]
            if found == promised:
                continue
            init = step.replace("_step", "_init")
            if promised == "float32":
                rule = "float32 w and g give float32 weights and state"
                wide = sorted(f for f, d in made.items() if d == "float64")
                if wide:
                    cause = (f"your {init} makes {', '.join(wide)} float64 from a float32 w "
                             f"(np.zeros(w.shape) does; np.zeros_like(_floats(w)) keeps "
                             f"float32)")
                else:
                    cause = ("a float64 array or number enters the step: "
                             "np.asarray(w, dtype=float) or astype(float), or a numpy "
                             "float64 number such as np.float64(lr), np.sqrt(1 - b2**t) or "
                             "np.power(b1, t) (math.sqrt and ** keep float32)")
            elif given == "int64":
                rule = "an integer w or g gives float64 weights and state"
                cause = ("the result is written into an array made from the integer w "
                         "(w.copy(), np.zeros_like(w), np.empty_like(w)), which keeps its "
                         "integer dtype and cuts off the fractions: start from _floats(w), "
                         "the given helper, or compute the new w as a new array")
            else:
                rule, cause = "float64 w and g give float64 weights and state", None
            raise CheckFailure(f"your {step} returned {key} as {found} at step {k} "
                               f"({label}): {rule}", diagnosis=cause)


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


# ---- mistakes against the contracts of the text, not the formulas: inputs
# changed in place, float32 or integer inputs, defaults. A mistake given as
# a pair (init, step) brings its own init.

def _zeros64(record):
    """An init that makes float64 zeros whatever w's dtype (np.zeros(w.shape))."""
    def init(w):
        shape = np.shape(w)
        arrays = [np.zeros(shape) for f in record._fields if f != "t"]
        return record(0, *arrays) if "t" in record._fields else record(*arrays)
    return init


def _sgd_in_place(w, g, state, *, lr):
    w -= lr * g
    return w, state


def _sgd_float64(w, g, state, *, lr):
    w = np.asarray(w, dtype=float)
    return w - lr * g, state


def _sgd_into_zeros_like(w, g, state, *, lr):
    w_next = np.zeros_like(w)
    for i in range(len(w)):
        w_next[i] = w[i] - lr * g[i]
    return w_next, state


def _momentum_in_place(w, g, state, *, lr, mu=0.9):
    v = state.v
    v *= mu
    v -= lr * g
    w += v
    return w, state


def _nesterov_in_place(w, g, state, *, lr, mu=0.9):
    v_prev = state.v.copy()
    state.v[...] = mu * state.v - lr * g
    w += -mu * v_prev + (1 + mu) * state.v
    return w, state


def _adagrad_in_place(w, g, state, *, lr, eps=1e-8):
    state.cache[...] += g * g
    w -= lr * g / (np.sqrt(state.cache) + eps)
    return w, state


def _adagrad_torch_eps(w, g, state, *, lr, eps=1e-10):
    return ref.adagrad_step(w, g, state, lr=lr, eps=eps)


def _rmsprop_in_place(w, g, state, *, lr, decay=0.99, eps=1e-8):
    state.cache[...] = decay * state.cache + (1 - decay) * g**2
    w -= lr * g / (np.sqrt(state.cache) + eps)
    return w, state


def _rmsprop_keras_decay(w, g, state, *, lr, decay=0.9, eps=1e-8):
    return ref.rmsprop_step(w, g, state, lr=lr, decay=decay, eps=eps)


def _adam_in_place(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    t, m, v = state
    g = g + weight_decay * w
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g**2
    t += 1
    w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return w, state._replace(t=t, m=m, v=v)


def _adam_l2_into_g(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    g += weight_decay * w
    return ref.adam_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)


def _adam_np_sqrt_scalar(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8,
                         weight_decay=0.0):
    # PyTorch's arrangement, with np.sqrt of a Python number: a numpy float64
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    bc1, bc2 = 1 - b1**t, 1 - b2**t
    w_next = w - (lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps)
    return w_next, state._replace(t=t, m=m, v=v)


def _adam_keras_eps(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7, weight_decay=0.0):
    return ref.adam_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)


def _adamw_in_place(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=1e-2):
    w *= 1 - lr * weight_decay
    return _adam_in_place(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)


def _adamw_adam_default(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, weight_decay=0.0):
    return ref.adamw_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps, weight_decay=weight_decay)


def _init64(name: str) -> Mistake:
    record = {"momentum": ref.MomentumState, "nesterov": ref.MomentumState,
              "adagrad": ref.AdagradState, "rmsprop": ref.RMSpropState,
              "adam": ref.AdamState, "adamw": ref.AdamState}[name]
    return Mistake(f"{name}_init_float64", f"{name}_init makes float64 zeros "
                   f"(np.zeros(w.shape)) whatever the dtype of w, so a float32 w comes back "
                   f"float64: zeros like w (np.zeros_like(_floats(w))) keep float32",
                   (_zeros64(record), getattr(ref, f"{name}_step")))


def _in_place(name: str, what: str, impl) -> Mistake:
    return Mistake(f"{name}_in_place", f"{what} in place, which changes the caller's "
                   f"arrays (at an integer w it even raises): compute new arrays and "
                   f"return them", impl)


SGD_MISTAKES += [
    _in_place("sgd", "w is updated (w -= lr * g)", _sgd_in_place),
    Mistake("sgd_float64_cast", "w is converted to float64 (np.asarray(w, dtype=float) "
            "or astype(float)), so a float32 w comes back float64: the given _floats "
            "converts integer arrays only", _sgd_float64),
    Mistake("sgd_into_zeros_like", "the new w is written into np.zeros_like(w), which "
            "keeps an integer w's dtype and cuts off the fractions: start from _floats(w) "
            "or compute w - lr * g as a new array", _sgd_into_zeros_like),
]
MOMENTUM_MISTAKES += [
    _in_place("momentum", "the velocity and w are updated (v *= mu; v -= lr * g; "
              "w += v)", _momentum_in_place),
    _init64("momentum"),
]
NESTEROV_MISTAKES += [
    _in_place("nesterov", "the velocity and w are updated (state.v[...] = ...; "
              "w += ...)", _nesterov_in_place),
    _init64("nesterov"),
]
ADAGRAD_MISTAKES += [
    _in_place("adagrad", "the cache and w are updated (state.cache += g**2; "
              "w -= ...)", _adagrad_in_place),
    _init64("adagrad"),
    Mistake("adagrad_torch_eps", "eps defaults to 1e-10 (PyTorch's Adagrad) instead of "
            "the 1e-8 of the signature", _adagrad_torch_eps),
]
RMSPROP_MISTAKES += [
    _in_place("rmsprop", "the cache and w are updated (state.cache[...] = ...; "
              "w -= ...)", _rmsprop_in_place),
    _init64("rmsprop"),
    Mistake("rmsprop_keras_decay", "decay defaults to 0.9 (Keras's rho) instead of the "
            "0.99 of the signature", _rmsprop_keras_decay),
]
ADAM_MISTAKES += [
    _in_place("adam", "m, v and w are updated (m *= b1; ...; w -= ...)", _adam_in_place),
    Mistake("adam_l2_into_g", "g += weight_decay * w changes the caller's gradient in "
            "place (and raises for an integer g): write g = g + weight_decay * w",
            _adam_l2_into_g),
    _init64("adam"),
    Mistake("adam_numpy_float64_scalar", "np.sqrt(1 - b2**t) of a Python number is a "
            "numpy float64, which turns float32 arrays into float64: use math.sqrt or "
            "(1 - b2**t) ** 0.5", _adam_np_sqrt_scalar),
    Mistake("adam_keras_eps", "eps defaults to 1e-7 (Keras's Adam) instead of the 1e-8 "
            "of the signature", _adam_keras_eps),
]
ADAMW_MISTAKES += [
    _in_place("adamw", "w, m and v are updated (w *= 1 - lr * weight_decay; m *= b1; "
              "...)", _adamw_in_place),
    _init64("adamw"),
    Mistake("adamw_default_no_decay", "weight_decay defaults to 0 as in adam_step; "
            "AdamW's signature gives 1e-2, so a call without it must still decay w",
            _adamw_adam_default),
]


def _graded(name: str, mistakes: list[Mistake], hyper: list[dict],
            lr0: dict[str, float], uses: tuple[str, ...] = (),
            decay: tuple[dict, ...] = ()) -> Graded:
    init = getattr(ref, f"{name}_init")
    return Graded(
        name=f"{name}_step", reference=(init, getattr(ref, f"{name}_step")),
        names=(f"{name}_init", f"{name}_step"), uses=uses,
        cases=_cases(name, hyper, lr0, decay),
        mistakes=tuple(Mistake(m.name, m.hint, m.impl if isinstance(m.impl, tuple)
                               else (init, m.impl)) for m in mistakes))


# weight_decay = 0 is passed explicitly: only the case of the defaults
# relies on its default, and only the cases of ADAM_DECAY (a test cell of
# their own) on a weight decay > 0.
_ADAM_HYPER = [dict(b1=0.8, b2=0.99, eps=1e-3, weight_decay=0.0),
               dict(b1=0.85, b2=0.995, eps=1e-4, weight_decay=0.0),
               dict(b1=0.9, b2=0.999, eps=1e-3, weight_decay=0.0)]
ADAM_DECAY = (dict(b1=0.8, b2=0.99, eps=1e-3, weight_decay=0.05),
              dict(b1=0.9, b2=0.999, eps=1e-4, weight_decay=0.02))

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
                    {"quadratic": 0.1, "rosenbrock": 0.02}, decay=ADAM_DECAY),
    "adamw": _graded("adamw", ADAMW_MISTAKES,
                     [dict(h, weight_decay=wd) for h, wd in zip(_ADAM_HYPER, (0.05, 0.1, 0.02))],
                     {"quadratic": 0.1, "rosenbrock": 0.02},
                     # the reference's adamw_init is adam_init(w), and its step
                     # is Adam's step from the decayed weights
                     uses=("adam_init", "adam_step")),
}
