"""Held-out entries for assignment 6: penalties, dropout, early stopping.

Parts (the pairs of the answer cells): ``regularization.l2`` (l2_penalty,
l2_grad), ``regularization.l1`` (l1_penalty, l1_grad),
``regularization.dropout`` (dropout_forward, dropout_backward) and
``regularization.early_stopping`` (early_stopping_init,
early_stopping_step). The locked helpers and records are imported.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from benchmarks.heldout import Right, Wrong
from solutions.regularization import (_MODES, DropoutCache, EarlyStopping,
                                      _as_float, _check_lam, _keep_mask)

# ----------------------------------------------------------------------- L2


def l2_penalty(w, lam):
    _check_lam(lam)
    w = np.asarray(w, dtype=np.float64)
    return 0.5 * lam * float(np.sum(w * w))


def l2_grad(w, lam):
    _check_lam(lam)
    return lam * _as_float(w)


def l2_penalty_no_half(w, lam):
    _check_lam(lam)
    w = np.asarray(w, dtype=np.float64)
    return lam * float(np.sum(w * w))


def l2_grad_float64(w, lam):
    _check_lam(lam)
    return lam * np.asarray(w, dtype=np.float64)


def l2_grad_in_place(w, lam):
    _check_lam(lam)
    g = _as_float(w)
    g *= lam  # g is the caller's w when w is already float
    return g


def l2_penalty_dot(w, lam):
    _check_lam(lam)
    flat = np.asarray(w, dtype=np.float64).ravel()
    return float(0.5 * lam * np.dot(flat, flat))


def l2_grad_multiply(w, lam):
    _check_lam(lam)
    return np.multiply(_as_float(w), lam)


# ----------------------------------------------------------------------- L1

def l1_penalty(w, lam):
    _check_lam(lam)
    return lam * float(np.sum(np.abs(np.asarray(w, dtype=np.float64))))


def l1_grad(w, lam):
    _check_lam(lam)
    return lam * np.sign(_as_float(w))


def l1_grad_zero_positive(w, lam):
    _check_lam(lam)
    w = _as_float(w)
    return lam * np.where(w >= 0, 1.0, -1.0).astype(w.dtype)


def l1_grad_divide_by_size(w, lam):
    _check_lam(lam)
    w = _as_float(w)
    return lam * w / np.abs(w)  # 0 / 0 at w = 0


def l1_penalty_no_abs(w, lam):
    _check_lam(lam)
    return lam * float(np.sum(np.asarray(w, dtype=np.float64)))


def l1_penalty_loop(w, lam):
    _check_lam(lam)
    total = 0.0
    for value in np.asarray(w, dtype=np.float64).flat:
        total += abs(float(value))
    return lam * total


def l1_grad_compare(w, lam):
    _check_lam(lam)
    w = _as_float(w)
    sign = (w > 0).astype(w.dtype) - (w < 0).astype(w.dtype)
    return lam * sign


# ------------------------------------------------------------------ dropout

def _dropout_args(x, p, mode):
    x = _as_float(x)
    if not 0 <= p < 1:
        raise ValueError(f"dropout p must be in [0, 1), got {p}")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    return x


def dropout_forward(x, p, *, train=True, rng=None, mask=None,
                    mode="inverted"):
    x = _dropout_args(x, p, mode)
    if not train:
        scale = 1.0 if mode == "inverted" else 1.0 - p
        return x * scale, DropoutCache(None, scale)
    keep = _keep_mask(x.shape, p, rng, mask)
    scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
    return x * keep * scale, DropoutCache(keep, scale)


def dropout_backward(dout, cache):
    dout = _as_float(dout)
    if cache.keep is None:
        return dout * cache.scale
    if dout.shape != cache.keep.shape:
        raise ValueError(f"dout {dout.shape} vs mask {cache.keep.shape}")
    return dout * cache.keep * cache.scale


def dropout_forward_p_as_keep(x, p, *, train=True, rng=None, mask=None,
                              mode="inverted"):
    x = _dropout_args(x, p, mode)
    if not train:
        scale = 1.0 if mode == "inverted" else p
        return x * scale, DropoutCache(None, scale)
    if mask is None:
        keep = rng.random(x.shape) < p  # p read as the keep probability
    else:
        keep = np.asarray(mask).copy()
    scale = 1.0 / p if mode == "inverted" else 1.0
    return x * keep * scale, DropoutCache(keep, scale)


def dropout_forward_unscaled(x, p, *, train=True, rng=None, mask=None,
                             mode="inverted"):
    x = _dropout_args(x, p, mode)
    if not train:
        scale = 1.0 if mode == "inverted" else 1.0 - p
        return x * scale, DropoutCache(None, scale)
    keep = _keep_mask(x.shape, p, rng, mask)
    return x * keep, DropoutCache(keep, 1.0)  # inverted never rescales


def dropout_backward_no_mask(dout, cache):
    return _as_float(dout) * cache.scale  # every unit gets a gradient


_masks_by_shape: dict = {}


def dropout_forward_reuses_mask(x, p, *, train=True, rng=None, mask=None,
                                mode="inverted"):
    x = _dropout_args(x, p, mode)
    if not train:
        scale = 1.0 if mode == "inverted" else 1.0 - p
        return x * scale, DropoutCache(None, scale)
    if mask is None:
        if x.shape not in _masks_by_shape:  # drawn once per shape
            _masks_by_shape[x.shape] = _keep_mask(x.shape, p, rng, None)
        keep = _masks_by_shape[x.shape]
    else:
        keep = _keep_mask(x.shape, p, None, mask)
    scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
    return x * keep * scale, DropoutCache(keep, scale)


def dropout_forward_in_place(x, p, *, train=True, rng=None, mask=None,
                             mode="inverted"):
    x = _dropout_args(x, p, mode)
    if not train:
        scale = 1.0 if mode == "inverted" else 1.0 - p
        return x * scale, DropoutCache(None, scale)
    keep = _keep_mask(x.shape, p, rng, mask)
    scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
    x *= keep
    x *= scale  # the caller's x is dropped too
    return x, DropoutCache(keep, scale)


def dropout_forward_returns_input(x, p, *, train=True, rng=None, mask=None,
                                  mode="inverted"):
    x = _dropout_args(x, p, mode)
    if not train:
        if mode == "inverted":
            return x, DropoutCache(None, 1.0)  # the same array as x
        return x * (1.0 - p), DropoutCache(None, 1.0 - p)
    keep = _keep_mask(x.shape, p, rng, mask)
    scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
    return x * keep * scale, DropoutCache(keep, scale)


def dropout_forward_float64_mask(x, p, *, train=True, rng=None, mask=None,
                                 mode="inverted"):
    x = _dropout_args(x, p, mode)
    if not train:
        scale = 1.0 if mode == "inverted" else 1.0 - p
        return x * scale, DropoutCache(None, scale)
    keep = _keep_mask(x.shape, p, rng, mask)
    scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
    factor = keep.astype(np.float64) * scale  # float64 factors
    return x * factor, DropoutCache(keep, scale)


def dropout_forward_where(x, p, *, train=True, rng=None, mask=None,
                          mode="inverted"):
    x = _dropout_args(x, p, mode)
    if not train:
        return x * (1.0 if mode == "inverted" else 1.0 - p), \
            DropoutCache(None, 1.0 if mode == "inverted" else 1.0 - p)
    if mask is not None:
        keep = _keep_mask(x.shape, p, None, mask)
    else:
        if rng is None:
            raise ValueError("training dropout needs rng or mask")
        keep = rng.random(x.shape) < 1.0 - p  # P(keep) = 1 - p as well
    scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
    return np.where(keep, x * scale, 0.0), DropoutCache(keep, scale)


def dropout_backward_where(dout, cache):
    dout = _as_float(dout)
    if cache.keep is None:
        return dout * cache.scale
    return np.where(cache.keep, dout * cache.scale, 0.0)


# ----------------------------------------------------------- early stopping

def early_stopping_init():
    return EarlyStopping(best=math.inf, best_step=0, step=0, bad_steps=0)


def _es_checks(patience, min_delta):
    patience = operator.index(patience)
    if patience < 1:
        raise ValueError(f"patience must be >= 1, got {patience}")
    if not (np.isfinite(min_delta) and min_delta >= 0):
        raise ValueError(f"min_delta must be finite and >= 0, got {min_delta}")
    return patience


def _es(state, val_loss, patience, min_delta, *, better, late=False,
        best_step_lag=0):
    patience = _es_checks(patience, min_delta)
    step = state.step + 1
    loss = float(val_loss)
    if better(loss, state.best, min_delta):
        new = EarlyStopping(best=loss, best_step=step - best_step_lag,
                            step=step, bad_steps=0)
    else:
        new = EarlyStopping(state.best, state.best_step, step,
                            state.bad_steps + 1)
    stop = new.bad_steps > patience if late else new.bad_steps >= patience
    return stop, new


def early_stopping_step(state, val_loss, *, patience, min_delta=0.0):
    return _es(state, val_loss, patience, min_delta,
               better=lambda loss, best, d: loss < best - d)


def early_stopping_step_ties(state, val_loss, *, patience, min_delta=0.0):
    return _es(state, val_loss, patience, min_delta,
               better=lambda loss, best, d: loss <= best - d)


def early_stopping_step_late(state, val_loss, *, patience, min_delta=0.0):
    return _es(state, val_loss, patience, min_delta,
               better=lambda loss, best, d: loss < best - d, late=True)


def early_stopping_step_not_worse(state, val_loss, *, patience,
                                  min_delta=0.0):
    return _es(state, val_loss, patience, min_delta,
               better=lambda loss, best, d: not loss >= best - d)


def early_stopping_step_zero_based(state, val_loss, *, patience,
                                   min_delta=0.0):
    return _es(state, val_loss, patience, min_delta,
               better=lambda loss, best, d: loss < best - d, best_step_lag=1)


def early_stopping_step_spelled_out(state, val_loss, *, patience,
                                    min_delta=0.0):
    patience = _es_checks(patience, min_delta)
    loss = float(val_loss)
    improved = (not math.isnan(loss)) and loss < state.best - min_delta
    if improved:
        step = state.step + 1
        return False, EarlyStopping(loss, step, step, 0)
    bad = state.bad_steps + 1
    return bool(bad >= patience), EarlyStopping(state.best, state.best_step,
                                                state.step + 1, bad)


# ---------------------------------------------------------------------------

R = "regularization."
DROPOUT = (dropout_forward, dropout_backward)

WRONG = [
    Wrong(R + "l2", "penalty_without_half", "formula",
          (l2_penalty_no_half, l2_grad),
          "the penalty is lam * sum(w ** 2), without the 1/2 that makes "
          "its gradient lam * w"),
    Wrong(R + "l2", "gradient_upcast", "inputs",
          (l2_penalty, l2_grad_float64),
          "the gradient converts w to float64, so float32 does not stay "
          "float32"),
    Wrong(R + "l2", "gradient_in_place", "contract",
          (l2_penalty, l2_grad_in_place),
          "the gradient is computed by scaling w in place, which changes "
          "the caller's weights"),

    Wrong(R + "l1", "sign_of_zero_positive", "inputs",
          (l1_penalty, l1_grad_zero_positive),
          "the sign is taken as w >= 0, so the gradient at w = 0 is lam "
          "instead of 0"),
    Wrong(R + "l1", "w_over_abs_w", "inputs",
          (l1_penalty, l1_grad_divide_by_size),
          "sign(w) is computed as w / |w|, which is 0 / 0 at w = 0"),
    Wrong(R + "l1", "penalty_without_abs", "formula",
          (l1_penalty_no_abs, l1_grad),
          "the penalty sums w instead of |w|, so negative weights lower it"),

    Wrong(R + "dropout", "p_as_keep_probability", "formula",
          (dropout_forward_p_as_keep, dropout_backward),
          "p is read as the probability of keeping a unit: kept units are "
          "scaled by 1 / p and a drawn mask keeps a fraction p"),
    Wrong(R + "dropout", "inverted_not_rescaled", "formula",
          (dropout_forward_unscaled, dropout_backward),
          "inverted dropout does not divide the kept units by 1 - p"),
    Wrong(R + "dropout", "backward_without_mask", "formula",
          (dropout_forward, dropout_backward_no_mask),
          "the backward pass scales dout but forgets the mask, so dropped "
          "units get a gradient"),
    Wrong(R + "dropout", "mask_reused", "contract",
          (dropout_forward_reuses_mask, dropout_backward),
          "the first mask drawn for a shape is kept and reused in later "
          "calls instead of drawing from rng each time"),
    Wrong(R + "dropout", "drops_in_place", "contract",
          (dropout_forward_in_place, dropout_backward),
          "the kept units are scaled and the dropped ones zeroed in the "
          "caller's x"),
    Wrong(R + "dropout", "test_returns_x", "contract",
          (dropout_forward_returns_input, dropout_backward),
          "inverted dropout at test time returns x itself, so out shares "
          "memory with x"),
    Wrong(R + "dropout", "float64_factors", "inputs",
          (dropout_forward_float64_mask, dropout_backward),
          "the mask is turned into float64 factors, so a float32 x gives "
          "a float64 out"),

    Wrong(R + "early_stopping", "tie_improves", "inputs",
          (early_stopping_init, early_stopping_step_ties),
          "<= instead of <: a loss exactly min_delta below the best counts "
          "as an improvement"),
    Wrong(R + "early_stopping", "stops_one_late", "formula",
          (early_stopping_init, early_stopping_step_late),
          "stop is bad_steps > patience, one evaluation too late"),
    Wrong(R + "early_stopping", "nan_improves", "inputs",
          (early_stopping_init, early_stopping_step_not_worse),
          "the test is 'not worse', which counts a NaN loss as an "
          "improvement"),
    Wrong(R + "early_stopping", "best_step_zero_based", "formula",
          (early_stopping_init, early_stopping_step_zero_based),
          "best_step records the 0-based index of the evaluation instead "
          "of the 1-based step"),
]

RIGHT = [
    Right(R + "l2", "dot_product", (l2_penalty_dot, l2_grad_multiply)),
    Right(R + "l1", "loop_and_comparisons",
          (l1_penalty_loop, l1_grad_compare)),
    Right(R + "dropout", "where_and_own_draw",
          (dropout_forward_where, dropout_backward_where)),
    Right(R + "early_stopping", "spelled_out",
          (early_stopping_init, early_stopping_step_spelled_out)),
]
