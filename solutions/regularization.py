"""Weight penalties, dropout, early stopping and ensembles (chapter 6).

The L2 penalty is 0.5 * lam * ||w||^2, so its gradient is lam * w, the
"weight decay" that torch optimizers add to the gradient with their
``weight_decay`` argument; the L1 gradient is lam * sign(w) with
sign(0) = 0, which is also what torch's autograd gives for abs at 0.
Dropout's p is the probability of DROPPING a unit, as in torch; the kept
units form a boolean mask that the backward pass reuses. "inverted"
dropout (torch's ``F.dropout``) scales by 1 / (1 - p) while training and
does nothing at test time; "classic" dropout keeps training outputs
unscaled and multiplies by (1 - p) at test time. Unlike torch, the mask
comes from an explicit Generator or is given, so a run (and a gradient
check) can fix it, and p = 1 is rejected (nothing would be left to
scale). Early stopping is a pure step function on a small state record;
steps count from 1 and an improvement must beat the best loss by more
than an absolute min_delta (torch's ``ReduceLROnPlateau`` defaults to a
relative threshold instead). Ensembles average class probabilities.
"""
from __future__ import annotations

import math
import operator
from typing import NamedTuple, Sequence

import numpy as np

_MODES = ("inverted", "classic")


def _as_float(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.floating):
        return a
    return a.astype(np.float64)


def _check_lam(lam: float) -> None:
    if not (np.isfinite(lam) and lam >= 0):
        raise ValueError(f"penalty strength lam must be finite and >= 0, "
                         f"got {lam}")


def l2_penalty(w: np.ndarray, lam: float) -> float:
    """L2 penalty R = 0.5 * lam * sum(w**2), summed in float64.

    w has any shape. The 0.5 makes the gradient lam * w without a 2.
    """
    _check_lam(lam)
    w64 = np.asarray(w, dtype=np.float64)
    return 0.5 * lam * float(np.sum(w64 * w64))


def l2_grad(w: np.ndarray, lam: float) -> np.ndarray:
    """Gradient of l2_penalty: dR/dw = lam * w, shape of w.

    The pull is proportional to w: strong on large weights, vanishing
    near zero, so weights shrink but rarely become exactly 0.
    """
    _check_lam(lam)
    return lam * _as_float(w)


def l1_penalty(w: np.ndarray, lam: float) -> float:
    """L1 penalty R = lam * sum(|w|), summed in float64; w any shape."""
    _check_lam(lam)
    return lam * float(np.sum(np.abs(np.asarray(w, dtype=np.float64))))


def l1_grad(w: np.ndarray, lam: float) -> np.ndarray:
    """(Sub)gradient of l1_penalty: dR/dw = lam * sign(w), shape of w.

    At the kink w = 0 we take sign(0) = 0 (torch's choice for abs too).
    The pull has the same size for every nonzero weight, which drives
    small weights to exactly 0 and leaves a few large ones: sparsity.
    """
    _check_lam(lam)
    return lam * np.sign(_as_float(w))


class DropoutCache(NamedTuple):
    """What dropout_backward needs: the keep mask (None at test time)
    and the scale applied to kept units."""

    keep: np.ndarray | None
    scale: float


def _keep_mask(shape: tuple[int, ...], p: float,
               rng: np.random.Generator | None,
               mask: np.ndarray | None) -> np.ndarray:
    if (rng is None) == (mask is None):
        given = "both" if rng is not None else "neither"
        raise ValueError(f"training dropout needs exactly one of rng or "
                         f"mask, got {given}")
    if mask is None:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy Generator, got "
                            f"{type(rng).__name__}")
        return rng.random(shape) >= p  # P(keep) = 1 - p
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ or mask.shape != shape:
        raise ValueError(f"mask must be a bool array of shape {shape}, got "
                         f"{mask.dtype} of shape {mask.shape}")
    return mask.copy()  # the cache must not follow later edits


def dropout_forward(x: np.ndarray, p: float, *, train: bool = True,
                    rng: np.random.Generator | None = None,
                    mask: np.ndarray | None = None,
                    mode: str = "inverted") -> tuple[np.ndarray,
                                                     DropoutCache]:
    """Dropout with p = probability of dropping each unit, 0 <= p < 1.

    inverted: train out = x * keep / (1 - p);  test out = x.
    classic:  train out = x * keep;            test out = x * (1 - p).
    Either way the test output equals the expected training output.
    keep (bool, x's shape) is `mask` if given, else rng.random(x.shape)
    >= p; in training exactly one of rng / mask is required. At test time
    both are ignored. p = 0 with an rng keeps every unit (identity). out
    has x's shape and float dtype (float64 for integer x) and never
    shares memory with x.
    """
    x = _as_float(x)
    if not 0 <= p < 1:
        raise ValueError(f"dropout p must be in [0, 1), got {p}")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if not train:
        scale = 1.0 if mode == "inverted" else 1.0 - p
        return x * scale, DropoutCache(None, scale)
    keep = _keep_mask(x.shape, p, rng, mask)
    scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
    return x * keep * scale, DropoutCache(keep, scale)


def dropout_backward(dout: np.ndarray, cache: DropoutCache) -> np.ndarray:
    """dx = dout * keep * scale with the forward pass's mask and scale.

    At test time (keep is None) dx = dout * scale. dout has the forward
    output's shape; dx has it too.
    """
    dout = _as_float(dout)
    if cache.keep is None:
        return dout * cache.scale
    if dout.shape != cache.keep.shape:
        raise ValueError(f"dout has shape {dout.shape}, the mask has "
                         f"{cache.keep.shape}")
    return dout * cache.keep * cache.scale


class EarlyStopping(NamedTuple):
    """State of early stopping: best loss so far, the step it was seen
    at (1-based, 0 before any), steps seen, and steps since the best."""

    best: float
    best_step: int
    step: int
    bad_steps: int


def early_stopping_init() -> EarlyStopping:
    """Fresh state: best = inf, best_step = step = bad_steps = 0."""
    return EarlyStopping(best=math.inf, best_step=0, step=0, bad_steps=0)


def early_stopping_step(state: EarlyStopping, val_loss: float, *,
                        patience: int, min_delta: float = 0.0
                        ) -> tuple[bool, EarlyStopping]:
    """Record one validation loss; return (stop, new state).

    step <- step + 1. Improvement iff val_loss < best - min_delta (strict,
    so a loss exactly min_delta below best does not count; NaN never
    counts): best <- val_loss, best_step <- step, bad_steps <- 0.
    Otherwise bad_steps <- bad_steps + 1. stop = bad_steps >= patience,
    i.e. training stops after `patience` steps in a row without
    improvement; restore the weights saved at best_step.
    """
    patience = operator.index(patience)
    if patience < 1:
        raise ValueError(f"patience must be >= 1, got {patience}")
    if not (np.isfinite(min_delta) and min_delta >= 0):
        raise ValueError(f"min_delta must be finite and >= 0, "
                         f"got {min_delta}")
    step = state.step + 1
    loss = float(val_loss)
    if loss < state.best - min_delta:
        new = EarlyStopping(best=loss, best_step=step, step=step,
                            bad_steps=0)
    else:
        new = state._replace(step=step, bad_steps=state.bad_steps + 1)
    return new.bad_steps >= patience, new


def ensemble_average(probs: Sequence[np.ndarray]) -> np.ndarray:
    """Mean of the members' class probabilities: (1/K) sum_k P_k.

    Each member has the same shape, e.g. (N, C); so does the result.
    """
    members = [_as_float(p) for p in probs]
    if not members:
        raise ValueError("an ensemble needs at least one member, got 0")
    for k, m in enumerate(members):
        if m.shape != members[0].shape:
            raise ValueError(f"member {k} has shape {m.shape}, member 0 "
                             f"has {members[0].shape}")
    return np.mean(np.stack(members), axis=0)


def ensemble_predict(probs: Sequence[np.ndarray]) -> np.ndarray:
    """Predicted class: argmax over the last axis of ensemble_average.

    Shape (N, C) -> (N,). Ties go to the lowest class index (as argmax in
    numpy and torch). This is not a majority vote: one confident member
    can outweigh two hesitant ones.
    """
    return np.argmax(ensemble_average(probs), axis=-1)
