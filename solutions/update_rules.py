"""Update rules of chapter 4 as pairs of pure functions.

Each first-order rule is ``<rule>_init(w) -> state`` plus
``<rule>_step(w, g, state, *, lr, ...) -> (w_next, state_next)``: ``w`` and
the gradient ``g`` share one shape, the state is a NamedTuple named after
the book's symbols (the step count ``t`` lives there when a rule needs it),
hyperparameters are keywords passed at every step (so a schedule is just
``lr=schedule(t)``), and nothing is modified in place. Outputs keep a float
input dtype, otherwise they are float64. Conventions: ``eps`` is added
outside the square root; Adam's ``t`` is incremented before it is used in
the bias correction; ``momentum_step`` keeps the learning rate inside the
velocity while ``heavy_ball_step`` follows torch.optim.SGD (buffer of raw
gradients, first buffer equal to ``g``, dampening from the second step);
these agree only at a constant learning rate, and so do ``nesterov_step``
and SGD(nesterov=True). Adam's ``weight_decay`` is L2 in the gradient as
in torch.optim.Adam; AdamW decays the old weights before the Adam step as
torch.optim.AdamW. torch's Adam arranges the bias corrections differently
(identical in exact arithmetic); its Adagrad ``lr_decay`` and initial
accumulator, RMSprop's ``momentum``/``centered`` variants and SGD's
special case ``momentum=0`` (no buffer, dampening ignored) are not
modelled. SWATS, Newton's method and the L-BFGS routines are standalone;
torch.optim.LBFGS uses different line searches and stopping rules.
"""
from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np

__all__ = [
    "SGDState", "MomentumState", "HeavyBallState", "AdagradState",
    "RMSpropState", "AdamState", "SwatsState",
    "sgd_init", "sgd_step", "momentum_init", "momentum_step",
    "heavy_ball_init", "heavy_ball_step", "nesterov_init",
    "nesterov_lookahead_step", "nesterov_step", "adagrad_init",
    "adagrad_step", "rmsprop_init", "rmsprop_step", "adam_init",
    "adam_step", "adamw_init", "adamw_step", "swats_init", "swats_step",
    "newton_step", "lbfgs_direction", "lbfgs_minimize", "run",
]


# ---------------------------------------------------------------- helpers

def _floats(x) -> np.ndarray:
    """x as an array, float64 unless it already has a float dtype."""
    x = np.asarray(x)
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(float)


def _checked(w, g, lr, *state_arrays) -> tuple[np.ndarray, np.ndarray]:
    """Validate a step's w, g, lr and state arrays; return float w, g."""
    w, g = _floats(w), _floats(g)
    if g.shape != w.shape:
        raise ValueError(f"gradient shape {g.shape} does not match "
                         f"weight shape {w.shape}")
    for a in state_arrays:
        if np.shape(a) != w.shape:
            raise ValueError(f"state array of shape {np.shape(a)} does "
                             f"not match weight shape {w.shape}")
    if not (np.isfinite(lr) and lr >= 0):
        raise ValueError(f"learning rate lr must be finite and >= 0, "
                         f"got {lr}")
    return w, g


def _in_unit(name: str, x: float, closed: bool = False) -> None:
    """Raise unless 0 <= x < 1 (or 0 <= x <= 1 when closed)."""
    if not (0 <= x < 1 or (closed and x == 1)):
        bound = "]" if closed else ")"
        raise ValueError(f"{name} must be in [0, 1{bound}, got {x}")


def _nonneg(name: str, x: float) -> None:
    """Raise unless x is a finite number >= 0."""
    if not (np.isfinite(x) and x >= 0):
        raise ValueError(f"{name} must be finite and >= 0, got {x}")


# ------------------------------------------------------- SGD and momentum

class SGDState(NamedTuple):
    """Plain SGD keeps no state."""


def sgd_init(w: np.ndarray) -> SGDState:
    """State of plain SGD: empty."""
    return SGDState()


def sgd_step(w: np.ndarray, g: np.ndarray, state: SGDState, *,
             lr: float) -> tuple[np.ndarray, SGDState]:
    """Plain gradient step w_next = w - lr * g (any shape, g like w)."""
    w, g = _checked(w, g, lr)
    return w - lr * g, state


class MomentumState(NamedTuple):
    """Velocity v (shape of w) with the learning rate already inside."""

    v: np.ndarray


def momentum_init(w: np.ndarray) -> MomentumState:
    """Start at rest: v = 0 with the shape of w."""
    return MomentumState(np.zeros_like(_floats(w)))


def momentum_step(w: np.ndarray, g: np.ndarray, state: MomentumState, *,
                  lr: float, mu: float = 0.9
                  ) -> tuple[np.ndarray, MomentumState]:
    """Momentum with lr inside the velocity: v = mu v - lr g; w = w + v.

    The old velocity keeps the learning rates it was built with, so a
    schedule acts only on new gradients (compare heavy_ball_step).
    """
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = mu * state.v - lr * g
    return w + v, MomentumState(v)


class HeavyBallState(NamedTuple):
    """Steps taken t and the raw-gradient buffer b (torch's momentum_buffer).

    t only tells the first step apart, where torch sets b = g.
    """

    t: int
    b: np.ndarray


def heavy_ball_init(w: np.ndarray) -> HeavyBallState:
    """t = 0 and an empty (zero) buffer b with the shape of w."""
    return HeavyBallState(0, np.zeros_like(_floats(w)))


def heavy_ball_step(w: np.ndarray, g: np.ndarray, state: HeavyBallState, *,
                    lr: float, mu: float = 0.9, dampening: float = 0.0
                    ) -> tuple[np.ndarray, HeavyBallState]:
    """torch.optim.SGD momentum: b = mu b + (1 - dampening) g; w -= lr b.

    At t = 0 the buffer is set to b = g without dampening, as torch does.
    At a constant lr, v = -lr b turns this into momentum_step and the
    iterates are identical; under a changing lr they differ, because here
    the whole accumulated buffer is rescaled by the current lr while
    momentum_step's velocity keeps the old lr on old gradients.
    """
    w, g = _checked(w, g, lr, state.b)
    _in_unit("momentum mu", mu)
    _in_unit("dampening", dampening, closed=True)
    if state.t == 0:
        b = g.copy()
    else:
        b = mu * state.b + (1 - dampening) * g
    return w - lr * b, HeavyBallState(state.t + 1, b)


def nesterov_init(w: np.ndarray) -> MomentumState:
    """Start at rest: v = 0 with the shape of w."""
    return momentum_init(w)


def nesterov_lookahead_step(w: np.ndarray,
                            grad_fn: Callable[[np.ndarray], np.ndarray],
                            state: MomentumState, *, lr: float,
                            mu: float = 0.9
                            ) -> tuple[np.ndarray, MomentumState]:
    """Nesterov momentum, gradient taken at the look-ahead point.

    g = grad_fn(w + mu v); v = mu v - lr g; w_next = w + v.
    Needs the gradient as a function because the point where it is
    evaluated is not w; see nesterov_step for the usual rewrite.
    """
    _in_unit("momentum mu", mu)
    w = _floats(w)
    w, g = _checked(w, grad_fn(w + mu * state.v), lr, state.v)
    v = mu * state.v - lr * g
    return w + v, MomentumState(v)


def nesterov_step(w: np.ndarray, g: np.ndarray, state: MomentumState, *,
                  lr: float, mu: float = 0.9
                  ) -> tuple[np.ndarray, MomentumState]:
    """Nesterov momentum rewritten for the stored point (g at that w).

    v_prev = v; v = mu v - lr g; w_next = w - mu v_prev + (1 + mu) v.
    The stored w is the look-ahead point w_la + mu v of
    nesterov_lookahead_step, so both forms give the same iterates when
    started together from v = 0. torch.optim.SGD(nesterov=True), i.e.
    b = mu b + g; w -= lr (g + mu b), equals this at a constant lr only.
    """
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = mu * state.v - lr * g
    return w - mu * state.v + (1 + mu) * v, MomentumState(v)


# ------------------------------------------------------ adaptive methods

class AdagradState(NamedTuple):
    """Running sum of squared gradients (torch's ``sum``)."""

    cache: np.ndarray


def adagrad_init(w: np.ndarray) -> AdagradState:
    """cache = 0 with the shape of w."""
    return AdagradState(np.zeros_like(_floats(w)))


def adagrad_step(w: np.ndarray, g: np.ndarray, state: AdagradState, *,
                 lr: float, eps: float = 1e-8
                 ) -> tuple[np.ndarray, AdagradState]:
    """Adagrad: cache = cache + g^2; w = w - lr g / (sqrt(cache) + eps).

    The per-coordinate step lr / (sqrt(cache) + eps) can only shrink.
    eps (typically 1e-8..1e-4) is added outside the square root.
    """
    w, g = _checked(w, g, lr, state.cache)
    _nonneg("eps", eps)
    cache = state.cache + g * g
    return w - lr * g / (np.sqrt(cache) + eps), AdagradState(cache)


class RMSpropState(NamedTuple):
    """Leaky average of squared gradients (torch's ``square_avg``)."""

    cache: np.ndarray


def rmsprop_init(w: np.ndarray) -> RMSpropState:
    """cache = 0 with the shape of w."""
    return RMSpropState(np.zeros_like(_floats(w)))


def rmsprop_step(w: np.ndarray, g: np.ndarray, state: RMSpropState, *,
                 lr: float, decay: float = 0.99, eps: float = 1e-8
                 ) -> tuple[np.ndarray, RMSpropState]:
    """RMSprop: cache = decay cache + (1 - decay) g^2;
    w = w - lr g / (sqrt(cache) + eps).

    decay is torch.optim.RMSprop's ``alpha`` (usual values 0.9, 0.99,
    0.999); no bias correction, so the first steps are large.
    """
    w, g = _checked(w, g, lr, state.cache)
    _in_unit("decay", decay)
    _nonneg("eps", eps)
    cache = decay * state.cache + (1 - decay) * g * g
    return w - lr * g / (np.sqrt(cache) + eps), RMSpropState(cache)


class AdamState(NamedTuple):
    """Step count t and the moment averages m (of g) and v (of g^2)."""

    t: int
    m: np.ndarray
    v: np.ndarray


def adam_init(w: np.ndarray) -> AdamState:
    """t = 0, m = v = 0 with the shape of w."""
    z = np.zeros_like(_floats(w))
    return AdamState(0, z, z.copy())


def _adam_direction(g, state, b1, b2, eps) -> tuple[np.ndarray, AdamState]:
    """Bias-corrected Adam direction m_hat / (sqrt(v_hat) + eps)."""
    _in_unit("b1", b1)
    _in_unit("b2", b2)
    _nonneg("eps", eps)
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return m_hat / (np.sqrt(v_hat) + eps), AdamState(t, m, v)


def adam_step(w: np.ndarray, g: np.ndarray, state: AdamState, *,
              lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999,
              eps: float = 1e-8, weight_decay: float = 0.0
              ) -> tuple[np.ndarray, AdamState]:
    """Adam with bias correction; t is incremented before use.

    g = g + weight_decay w (L2 in the gradient, as torch.optim.Adam);
    t = t + 1; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    m_hat = m / (1 - b1^t); v_hat = v / (1 - b2^t);
    w = w - lr m_hat / (sqrt(v_hat) + eps).
    """
    w, g = _checked(w, g, lr, state.m, state.v)
    _nonneg("weight_decay", weight_decay)
    _in_unit("b1", b1)
    _in_unit("b2", b2)
    _nonneg("eps", eps)
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(t, m, v)


def adamw_init(w: np.ndarray) -> AdamState:
    """Same state as Adam: t = 0, m = v = 0."""
    return adam_init(w)


def adamw_step(w: np.ndarray, g: np.ndarray, state: AdamState, *,
               lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999,
               eps: float = 1e-8, weight_decay: float = 1e-2
               ) -> tuple[np.ndarray, AdamState]:
    """AdamW: decoupled weight decay, w = w - lr wd w, then Adam on raw g.

    The decay uses the old w and is not rescaled by Adam's denominator,
    unlike L2 in the gradient (adam_step's weight_decay), which large
    v_hat would weaken. Same order as torch.optim.AdamW: the Adam step
    (without L2) moves w by -lr m_hat / (sqrt(v_hat) + eps), and the
    decay -lr wd w of the old w is added to that.
    """
    w, g = _checked(w, g, lr, state.m, state.v)
    _nonneg("weight_decay", weight_decay)
    w_adam, state = adam_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)
    return w_adam - lr * weight_decay * w, state


class SwatsState(NamedTuple):
    """SWATS state.

    t: steps taken; m, v: Adam moments; lam: running (biased) estimate of
    the SGD learning rate; b: SGD momentum buffer; phase: "adam" or "sgd";
    switch_t: step at which the switch happened (0 = not yet); sgd_lr:
    the frozen SGD learning rate lam / (1 - b2^switch_t).
    """

    t: int
    m: np.ndarray
    v: np.ndarray
    lam: float
    b: np.ndarray
    phase: str = "adam"
    switch_t: int = 0
    sgd_lr: float = 0.0


def swats_init(w: np.ndarray) -> SwatsState:
    """Adam phase, t = 0, zero moments, buffer and estimate."""
    z = np.zeros_like(_floats(w))
    return SwatsState(0, z, z.copy(), 0.0, z.copy())


def swats_step(w: np.ndarray, g: np.ndarray, state: SwatsState, *,
               lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999,
               eps: float = 1e-8, switch_tol: float = 1e-9
               ) -> tuple[np.ndarray, SwatsState]:
    """SWATS (Keskar and Socher, 2017): Adam, then SGD with momentum.

    Adam phase: the Adam step p = -lr m_hat / (sqrt(v_hat) + eps); if
    p.g < 0, gamma = p.p / (-p.g) is the SGD rate whose step along -g
    has p as its projection, lam = b2 lam + (1 - b2) gamma, and when
    t > 1 and |lam / (1 - b2^t) - gamma| < switch_tol the rule switches
    for good with sgd_lr = lam / (1 - b2^t); a step with p.g >= 0
    leaves lam unchanged. SGD phase (from the next step): b = b1 b + g;
    w = w - (1 - b1) sgd_lr b, b starting at 0. switch_tol is absolute,
    so it must match the scale of lr: too tight and the switch never
    comes, too loose and it fires at t = 2, before gamma has settled.
    """
    w, g = _checked(w, g, lr, state.m, state.v, state.b)
    _nonneg("switch_tol", switch_tol)
    if state.phase == "sgd":
        b = b1 * state.b + g
        return (w - (1 - b1) * state.sgd_lr * b,
                state._replace(t=state.t + 1, b=b))
    if state.phase != "adam":
        raise ValueError(f"phase must be 'adam' or 'sgd', got {state.phase}")
    d, adam = _adam_direction(g, AdamState(*state[:3]), b1, b2, eps)
    p, t = -lr * d, adam.t
    new = state._replace(t=t, m=adam.m, v=adam.v)
    pg = float(np.vdot(p, g))
    if pg < 0:
        gamma = float(np.vdot(p, p)) / -pg
        lam = b2 * state.lam + (1 - b2) * gamma
        new = new._replace(lam=lam)
        if t > 1 and abs(lam / (1 - b2 ** t) - gamma) < switch_tol:
            new = new._replace(phase="sgd", switch_t=t,
                               sgd_lr=lam / (1 - b2 ** t))
    return w + p, new


# ---------------------------------------------------------- second order

def newton_step(w: np.ndarray, g: np.ndarray, H: np.ndarray, *,
                lr: float = 1.0, absolute: bool = False) -> np.ndarray:
    """Newton step w_next = w - lr H^{-1} g (H of shape (w.size, w.size)).

    Solved with np.linalg.solve, never by forming the inverse. Newton
    jumps to the stationary point of the local quadratic model: a minimum
    when H is positive definite, but a saddle or maximum otherwise.
    absolute=True uses |H| = Q |Lambda| Q^T from the eigendecomposition
    of the symmetric H (saddle-free Newton), which turns directions of
    negative curvature into descent directions. A singular H raises.
    """
    w, g = _checked(w, g, lr)
    H = np.asarray(H, dtype=float)
    if H.shape != (w.size, w.size):
        raise ValueError(f"Hessian must have shape {(w.size, w.size)}, "
                         f"got {H.shape}")
    if absolute:
        lam, q = np.linalg.eigh(H)
        lam = np.abs(lam)
        if lam.min() <= w.size * np.finfo(float).eps * lam.max():
            raise ValueError(f"Hessian is singular, eigenvalues {lam}")
        d = q @ ((q.T @ g.ravel()) / lam)
    else:
        d = np.linalg.solve(H, g.ravel())
    return w - lr * d.reshape(w.shape)


def lbfgs_direction(g: np.ndarray, s_hist: Sequence[np.ndarray],
                    y_hist: Sequence[np.ndarray]) -> np.ndarray:
    """L-BFGS search direction -H_k g by the two-loop recursion.

    s_hist[i] = w_{i+1} - w_i and y_hist[i] = g_{i+1} - g_i, oldest first,
    each with s.y > 0. H_k is the BFGS inverse-Hessian update of
    H_0 = gamma I, gamma = s.y / y.y from the newest pair, by every pair in
    order; with an empty history H_k = I and the result is -g.
    Cost O(memory * n) instead of O(n^2) for the explicit matrix.
    """
    g = _floats(g)
    if len(s_hist) != len(y_hist):
        raise ValueError(f"s_hist and y_hist differ in length: "
                         f"{len(s_hist)} != {len(y_hist)}")
    pairs = [(np.ravel(s), np.ravel(y)) for s, y in zip(s_hist, y_hist)]
    sy = [float(s @ y) for s, y in pairs]
    if any(c <= 0 for c in sy):
        raise ValueError(f"every pair needs s.y > 0, got {sy}")
    q, alphas = g.ravel(), []
    for (s, y), c in zip(reversed(pairs), reversed(sy)):
        alphas.append((s @ q) / c)
        q = q - alphas[-1] * y
    if pairs:
        q = sy[-1] / float(pairs[-1][1] @ pairs[-1][1]) * q
    for (s, y), c, a in zip(pairs, sy, reversed(alphas)):
        q = q + (a - (y @ q) / c) * s
    return -q.reshape(g.shape)


def _armijo(loss, w, f, g, d, c1=1e-4, shrink=0.5, tries=60):
    """Backtrack from step 1 until f(w + a d) <= f + c1 a g.d.

    Returns (a, f(w + a d)), or None when no step is accepted.
    """
    slope, a = float(np.vdot(g, d)), 1.0
    for _ in range(tries):
        f_new = loss(w + a * d)
        if f_new <= f + c1 * a * slope:
            return a, f_new
        a *= shrink
    return None


def lbfgs_minimize(loss: Callable[[np.ndarray], float],
                   grad: Callable[[np.ndarray], np.ndarray],
                   w0: np.ndarray, *, memory: int = 10,
                   max_iter: int = 200, tol: float = 1e-8
                   ) -> tuple[np.ndarray, list[float]]:
    """Minimise with L-BFGS and a backtracking Armijo line search.

    Each iteration: d = lbfgs_direction(g, last ``memory`` pairs),
    w = w + a d with the largest a in {1, 1/2, 1/4, ...} satisfying
    f(w + a d) <= f(w) + 1e-4 a g.d. A pair with s.y <= 0 is skipped so
    that H_k stays positive definite. Stops when ||g|| <= tol, after
    max_iter iterations, or when the line search fails. Returns the last
    w and the losses at every iterate, starting with f(w0).
    """
    if int(memory) != memory or memory < 1:
        raise ValueError(f"memory must be an integer >= 1, got {memory}")
    _nonneg("tol", tol)
    w = _floats(w0)
    f, g = float(loss(w)), _floats(grad(w))
    s_hist, y_hist, history = [], [], [f]
    for _ in range(int(max_iter)):
        if np.linalg.norm(g) <= tol:
            break
        d = lbfgs_direction(g, s_hist, y_hist)
        found = _armijo(loss, w, f, g, d)
        if found is None:
            break
        w_new, f = w + found[0] * d, float(found[1])
        g_new = _floats(grad(w_new))
        s, y = w_new - w, g_new - g
        if np.vdot(s, y) > 0:
            s_hist = (s_hist + [s])[-memory:]
            y_hist = (y_hist + [y])[-memory:]
        w, g = w_new, g_new
        history.append(f)
    return w, history


# ------------------------------------------------------------- utilities

def run(step: Callable, init: Callable, w0: np.ndarray,
        grad_fn: Callable[[np.ndarray], np.ndarray], steps: int,
        **hyper) -> np.ndarray:
    """Iterate a rule: trajectory of shape (steps + 1, *w0.shape).

    Row k is w_k, row 0 is w0. ``lr`` may be a number or a schedule, a
    callable of the step index k = 0, 1, ..., steps - 1 (the k-th call of
    ``step`` uses lr(k)). Other keywords go to ``step`` unchanged.
    """
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps}")
    lr = hyper.pop("lr", None)
    w = _floats(w0)
    state, path = init(w), [w]
    for k in range(int(steps)):
        if lr is not None:
            hyper["lr"] = lr(k) if callable(lr) else lr
        w, state = step(w, grad_fn(w), state, **hyper)
        path.append(w)
    return np.stack(path)
