"""Held-out entries for assignment 4: update rules as pure functions.

Parts ``update_rules.<rule>`` for sgd, momentum, nesterov, adagrad,
rmsprop, adam and adamw; each impl is the pair (<rule>_init, <rule>_step)
of the answer cell. The state records and validation helpers of the
locked cells are imported.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from benchmarks.heldout import Right, Wrong
from solutions.update_rules import (AdagradState, AdamState, MomentumState,
                                    RMSpropState, SGDState, _checked,
                                    _floats, _in_unit, _nonneg)

# ---------------------------------------------------------------------- sgd


def sgd_init(w):
    return SGDState()


def sgd_step(w, g, state, *, lr):
    w, g = _checked(w, g, lr)
    return w - lr * g, state


def sgd_step_in_place(w, g, state, *, lr):
    _checked(w, g, lr)
    w -= lr * g  # the caller's weights move
    return w, state


# ----------------------------------------------------------------- momentum

def momentum_init(w):
    return MomentumState(np.zeros_like(_floats(w)))


def momentum_step(w, g, state, *, lr, mu=0.9):
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = mu * state.v - lr * g
    return w + v, MomentumState(v)


def momentum_step_lr_outside(w, g, state, *, lr, mu=0.9):
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = mu * state.v + g  # torch's buffer, then the current lr
    return w - lr * v, MomentumState(v)


def momentum_step_in_place(w, g, state, *, lr, mu=0.9):
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = state.v
    v *= mu
    v -= lr * g  # the caller's state changes
    return w + v, MomentumState(v)


def momentum_init_float64(w):
    return MomentumState(np.zeros(np.shape(w)))


@dataclass(frozen=True)
class Velocity:
    """The same field as MomentumState in a frozen dataclass."""

    v: np.ndarray


def momentum_init_dataclass(w):
    return Velocity(np.zeros_like(_floats(w)))


def momentum_step_dataclass(w, g, state, *, lr, mu=0.9):
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = mu * state.v - lr * g
    return w + v, Velocity(v)


# ----------------------------------------------------------------- nesterov

def nesterov_init(w):
    return MomentumState(np.zeros_like(_floats(w)))


def nesterov_step(w, g, state, *, lr, mu=0.9):
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = mu * state.v - lr * g
    return w - mu * state.v + (1 + mu) * v, MomentumState(v)


def nesterov_step_plain(w, g, state, *, lr, mu=0.9):
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = mu * state.v - lr * g
    return w + v, MomentumState(v)  # no look-ahead correction


def nesterov_step_torch(w, g, state, *, lr, mu=0.9):
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    b = mu * state.v + g
    return w - lr * (g + mu * b), MomentumState(b)


def nesterov_step_in_place(w, g, state, *, lr, mu=0.9):
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v_prev = state.v.copy()
    state.v[...] = mu * state.v - lr * g  # writes into the given state
    return w - mu * v_prev + (1 + mu) * state.v, MomentumState(state.v)


def nesterov_step_regrouped(w, g, state, *, lr, mu=0.9):
    # -mu v_prev + (1 + mu) v  ==  mu v - lr g  when v = mu v_prev - lr g
    w, g = _checked(w, g, lr, state.v)
    _in_unit("momentum mu", mu)
    v = mu * state.v - lr * g
    return w + mu * v - lr * g, MomentumState(v)


# ------------------------------------------------------------------ adagrad

def adagrad_init(w):
    return AdagradState(np.zeros_like(_floats(w)))


def adagrad_step(w, g, state, *, lr, eps=1e-8):
    w, g = _checked(w, g, lr, state.cache)
    _nonneg("eps", eps)
    cache = state.cache + g * g
    return w - lr * g / (np.sqrt(cache) + eps), AdagradState(cache)


def adagrad_step_eps_inside(w, g, state, *, lr, eps=1e-8):
    w, g = _checked(w, g, lr, state.cache)
    _nonneg("eps", eps)
    cache = state.cache + g * g
    return w - lr * g / np.sqrt(cache + eps), AdagradState(cache)


def adagrad_step_old_cache(w, g, state, *, lr, eps=1e-8):
    w, g = _checked(w, g, lr, state.cache)
    _nonneg("eps", eps)
    w_next = w - lr * g / (np.sqrt(state.cache) + eps)  # before adding g^2
    return w_next, AdagradState(state.cache + g * g)


def adagrad_step_in_place(w, g, state, *, lr, eps=1e-8):
    w, g = _checked(w, g, lr, state.cache)
    _nonneg("eps", eps)
    cache = state.cache
    cache += g * g  # the given state grows too
    return w - lr * g / (np.sqrt(cache) + eps), AdagradState(cache)


# ------------------------------------------------------------------ rmsprop

def rmsprop_init(w):
    return RMSpropState(np.zeros_like(_floats(w)))


def rmsprop_step(w, g, state, *, lr, decay=0.99, eps=1e-8):
    w, g = _checked(w, g, lr, state.cache)
    _in_unit("decay", decay)
    _nonneg("eps", eps)
    cache = decay * state.cache + (1 - decay) * g * g
    return w - lr * g / (np.sqrt(cache) + eps), RMSpropState(cache)


def rmsprop_step_weights_swapped(w, g, state, *, lr, decay=0.99, eps=1e-8):
    w, g = _checked(w, g, lr, state.cache)
    _in_unit("decay", decay)
    _nonneg("eps", eps)
    cache = (1 - decay) * state.cache + decay * g * g
    return w - lr * g / (np.sqrt(cache) + eps), RMSpropState(cache)


def rmsprop_step_fixed_decay(w, g, state, *, lr, decay=0.99, eps=1e-8):
    w, g = _checked(w, g, lr, state.cache)
    _nonneg("eps", eps)
    cache = 0.99 * state.cache + 0.01 * g * g  # decay argument unused
    return w - lr * g / (np.sqrt(cache) + eps), RMSpropState(cache)


def rmsprop_step_in_place(w, g, state, *, lr, decay=0.99, eps=1e-8):
    w, g = _checked(w, g, lr, state.cache)
    _in_unit("decay", decay)
    _nonneg("eps", eps)
    cache = state.cache
    cache *= decay
    cache += (1 - decay) * g * g
    return w - lr * g / (np.sqrt(cache) + eps), RMSpropState(cache)


def rmsprop_step_moving_toward(w, g, state, *, lr, decay=0.99, eps=1e-8):
    # decay c + (1 - decay) g^2  ==  c + (1 - decay) (g^2 - c)
    w, g = _checked(w, g, lr, state.cache)
    _in_unit("decay", decay)
    _nonneg("eps", eps)
    cache = state.cache + (1 - decay) * (g * g - state.cache)
    return w - lr * g / (np.sqrt(cache) + eps), RMSpropState(cache)


# --------------------------------------------------------------------- adam

def adam_init(w):
    z = np.zeros_like(_floats(w))
    return AdamState(0, z, z.copy())


def _adam_checks(weight_decay, b1, b2, eps):
    _nonneg("weight_decay", weight_decay)
    _in_unit("b1", b1)
    _in_unit("b2", b2)
    _nonneg("eps", eps)


def adam_step(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8,
              weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(t, m, v)


def adam_step_t_after(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8,
                      weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    g = g + weight_decay * w
    t = state.t  # incremented only after the correction
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat = m / (1 - b1 ** t)
    v_hat = v / (1 - b2 ** t)
    return (w - lr * m_hat / (np.sqrt(v_hat) + eps),
            AdamState(t + 1, m, v))


def adam_step_uncorrected(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                          eps=1e-8, weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    g = g + weight_decay * w
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), AdamState(state.t + 1, m, v)


def adam_step_b1_for_both(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                          eps=1e-8, weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b1 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(t, m, v)


def adam_step_decoupled(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                        eps=1e-8, weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    step = m_hat / (np.sqrt(v_hat) + eps) + weight_decay * w  # AdamW's rule
    return w - lr * step, AdamState(t, m, v)


def adam_step_in_place(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8,
                       weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    g = g + weight_decay * w
    t = state.t + 1
    m, v = state.m, state.v
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g * g  # both moments of the given state change
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(t, m, v)


_adam_steps_taken = 0


def adam_step_global_counter(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                             eps=1e-8, weight_decay=0.0):
    global _adam_steps_taken
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    g = g + weight_decay * w
    _adam_steps_taken += 1  # counts every call ever made, not this run's
    t = _adam_steps_taken
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), AdamState(t, m, v)


def adam_init_float64(w):
    z = np.zeros(np.shape(w))
    return AdamState(0, z, z.copy())


def adam_step_folded_correction(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                                eps=1e-8, weight_decay=0.0):
    # m_hat / (sqrt(v_hat) + eps) with both corrections folded into the
    # step size: lr sqrt(1 - b2^t) / (1 - b1^t) m / (sqrt(v) + eps')
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    root = math.sqrt(1 - b2 ** t)
    size = lr * root / (1 - b1 ** t)
    return w - size * m / (np.sqrt(v) + eps * root), AdamState(t, m, v)


def adam_step_private_copies(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                             eps=1e-8, weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    if weight_decay:
        g = g + weight_decay * w
    m, v = state.m.copy(), state.v.copy()
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * np.square(g)
    t = state.t + 1
    w_next = w.copy()
    w_next -= lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return w_next, AdamState(t, m, v)


@dataclass(frozen=True)
class Moments:
    """AdamState's fields t, m, v in a frozen dataclass."""

    t: int
    m: np.ndarray
    v: np.ndarray


def adam_init_dataclass(w):
    z = np.zeros_like(_floats(w))
    return Moments(0, z, z.copy())


def adam_step_dataclass(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                        eps=1e-8, weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _adam_checks(weight_decay, b1, b2, eps)
    g = g + weight_decay * w
    t = state.t + 1
    m = b1 * state.m + (1 - b1) * g
    v = b2 * state.v + (1 - b2) * g * g
    m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), Moments(t, m, v)


# -------------------------------------------------------------------- adamw

def adamw_init(w):
    return adam_init(w)


def adamw_step(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8,
               weight_decay=1e-2):
    w, g = _checked(w, g, lr, state.m, state.v)
    _nonneg("weight_decay", weight_decay)
    w_adam, state = adam_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)
    return w_adam - lr * weight_decay * w, state


def adamw_step_decay_after(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                           eps=1e-8, weight_decay=1e-2):
    w, g = _checked(w, g, lr, state.m, state.v)
    _nonneg("weight_decay", weight_decay)
    w_adam, state = adam_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)
    return w_adam - lr * weight_decay * w_adam, state  # decays the new w


def adamw_step_l2(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8,
                  weight_decay=1e-2):
    w, g = _checked(w, g, lr, state.m, state.v)
    _nonneg("weight_decay", weight_decay)
    return adam_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps,
                     weight_decay=weight_decay)


def adamw_step_no_default_decay(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                                eps=1e-8, weight_decay=0.0):
    w, g = _checked(w, g, lr, state.m, state.v)
    _nonneg("weight_decay", weight_decay)
    w_adam, state = adam_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)
    return w_adam - lr * weight_decay * w, state


def adamw_step_shrink_first(w, g, state, *, lr=1e-3, b1=0.9, b2=0.999,
                            eps=1e-8, weight_decay=1e-2):
    w, g = _checked(w, g, lr, state.m, state.v)
    _nonneg("weight_decay", weight_decay)
    w_adam, new_state = adam_step(w, g, state, lr=lr, b1=b1, b2=b2, eps=eps)
    # shrink the old weights first, then add the Adam move (which does not
    # depend on w when Adam's own weight_decay is 0)
    return w * (1 - lr * weight_decay) + (w_adam - w), new_state


# ---------------------------------------------------------------------------

U = "update_rules."
WRONG = [
    Wrong(U + "sgd", "updates_in_place", "contract",
          (sgd_init, sgd_step_in_place),
          "w -= lr * g moves the caller's weights and returns them"),

    Wrong(U + "momentum", "lr_outside_velocity", "formula",
          (momentum_init, momentum_step_lr_outside),
          "the velocity is torch's raw-gradient buffer v = mu v + g with "
          "w -= lr v, which rescales old gradients by the current lr"),
    Wrong(U + "momentum", "velocity_in_place", "contract",
          (momentum_init, momentum_step_in_place),
          "the velocity is updated in place, changing the state passed in"),
    Wrong(U + "momentum", "init_float64", "inputs",
          (momentum_init_float64, momentum_step),
          "the velocity starts as np.zeros(w.shape), float64 whatever w's "
          "dtype, so float32 weights are upcast"),

    Wrong(U + "nesterov", "no_lookahead", "formula",
          (nesterov_init, nesterov_step_plain),
          "the rewrite is left out: w + v is plain momentum"),
    Wrong(U + "nesterov", "torch_buffer", "formula",
          (nesterov_init, nesterov_step_torch),
          "torch's SGD(nesterov=True) with a raw-gradient buffer is used, "
          "which matches only at a constant lr and stores another state"),
    Wrong(U + "nesterov", "velocity_in_place", "contract",
          (nesterov_init, nesterov_step_in_place),
          "the new velocity is written into the given state's array"),

    Wrong(U + "adagrad", "eps_inside_sqrt", "formula",
          (adagrad_init, adagrad_step_eps_inside),
          "eps is added inside the square root instead of outside"),
    Wrong(U + "adagrad", "old_cache", "formula",
          (adagrad_init, adagrad_step_old_cache),
          "the step divides by the cache before this step's g^2 is added"),
    Wrong(U + "adagrad", "cache_in_place", "contract",
          (adagrad_init, adagrad_step_in_place),
          "cache += g * g grows the state passed in"),

    Wrong(U + "rmsprop", "weights_swapped", "formula",
          (rmsprop_init, rmsprop_step_weights_swapped),
          "the leaky average weights the old cache by 1 - decay and g^2 "
          "by decay"),
    Wrong(U + "rmsprop", "decay_ignored", "contract",
          (rmsprop_init, rmsprop_step_fixed_decay),
          "the decay argument is ignored and 0.99 is always used"),
    Wrong(U + "rmsprop", "cache_in_place", "contract",
          (rmsprop_init, rmsprop_step_in_place),
          "the cache is decayed and added to in place"),

    Wrong(U + "adam", "t_after_use", "formula",
          (adam_init, adam_step_t_after),
          "the bias correction uses t before it is incremented: the first "
          "step divides by 1 - b1 ** 0 = 0"),
    Wrong(U + "adam", "no_bias_correction", "formula",
          (adam_init, adam_step_uncorrected),
          "m and v are used without the bias correction"),
    Wrong(U + "adam", "b1_in_both_corrections", "formula",
          (adam_init, adam_step_b1_for_both),
          "v_hat is corrected with 1 - b1 ** t instead of 1 - b2 ** t"),
    Wrong(U + "adam", "decay_decoupled", "formula",
          (adam_init, adam_step_decoupled),
          "weight_decay is applied to the update as in AdamW instead of "
          "being added to the gradient"),
    Wrong(U + "adam", "moments_in_place", "contract",
          (adam_init, adam_step_in_place),
          "m and v are updated in place, changing the state passed in"),
    Wrong(U + "adam", "global_step_counter", "contract",
          (adam_init, adam_step_global_counter),
          "t comes from a module-level counter instead of the state, so a "
          "second run or a mid-run state gets the wrong correction"),
    Wrong(U + "adam", "init_float64", "inputs",
          (adam_init_float64, adam_step),
          "the moments start as float64 zeros, so float32 weights are "
          "upcast"),

    Wrong(U + "adamw", "decays_new_weights", "formula",
          (adamw_init, adamw_step_decay_after),
          "the decay is applied to the weights after the Adam step instead "
          "of the old weights"),
    Wrong(U + "adamw", "decay_in_gradient", "formula",
          (adamw_init, adamw_step_l2),
          "the decay is added to the gradient (Adam's L2) instead of "
          "being decoupled"),
    Wrong(U + "adamw", "default_decay_zero", "contract",
          (adamw_init, adamw_step_no_default_decay),
          "the default weight_decay is 0 instead of 1e-2"),
]

RIGHT = [
    Right(U + "momentum", "dataclass_state",
          (momentum_init_dataclass, momentum_step_dataclass)),
    Right(U + "nesterov", "regrouped",
          (nesterov_init, nesterov_step_regrouped)),
    Right(U + "rmsprop", "moving_toward",
          (rmsprop_init, rmsprop_step_moving_toward)),
    Right(U + "adam", "folded_correction",
          (adam_init, adam_step_folded_correction)),
    Right(U + "adam", "private_copies", (adam_init, adam_step_private_copies)),
    Right(U + "adam", "dataclass_state",
          (adam_init_dataclass, adam_step_dataclass)),
    Right(U + "adamw", "shrink_first", (adamw_init, adamw_step_shrink_first)),
]
