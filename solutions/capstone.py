"""The capstone: a small MLP trained end to end with the course's pieces.

The network is scores = dropout(relu(X W1 + b1)) W2 + b2 with inverted
dropout (p = probability of DROPPING a hidden unit, no scaling at test
time) and an L2 penalty 0.5 * lam * (||W1||^2 + ||W2||^2) on the weights
only, never on the biases. ``network_loss`` returns the mean softmax
cross-entropy plus that penalty, and the gradient of the sum; it is pure
(an rng is only drawn from when units are dropped) and takes fixed masks,
so a gradient check or a comparison with PyTorch can reproduce a step.
``train`` minimises it with Adam, one state per parameter, under a linear
warm-up + cosine schedule evaluated at the 0-based step index (the first
update uses lr = 0, as torch's LambdaLR with the same function). A step
is one mini-batch; batches come from a new permutation every epoch and
the last incomplete batch of an epoch is skipped. The update-to-weight
ratio recorded is ||W_new - W_old|| / ||W_old|| of the actual Adam step
(for plain SGD it would be ||lr dW|| / ||W||). Everything random comes
from one np.random.default_rng(seed), in a fixed order: the initial
weights, then per step the batch permutation (when an epoch starts) and
the dropout mask.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from solutions.annealing import warmup_cosine
from solutions.backprop import (affine_backward, affine_forward,
                                mlp_forward, relu_backward, relu_forward)
from solutions.gates import softmax_cross_entropy
from solutions.regularization import (dropout_backward, dropout_forward,
                                      l2_grad, l2_penalty)
from solutions.update_rules import adam_init, adam_step

__all__ = ["init_params", "train_val_split", "network_loss", "predict",
           "accuracy", "train"]

WEIGHTS = ("W1", "W2")  # the penalised parameters; b1 and b2 are not


def init_params(D: int, H: int, C: int, *,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """He initialisation: W ~ N(0, 2 / fan_in), b = 0, float64.

    Draws W1 (D, H) then W2 (H, C) from rng; b1 (H,), b2 (C,) are zeros.
    The variance 2 / fan_in keeps the scale of ReLU activations steady
    from layer to layer.
    """
    W1 = rng.standard_normal((D, H)) * np.sqrt(2.0 / D)
    W2 = rng.standard_normal((H, C)) * np.sqrt(2.0 / H)
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}


def train_val_split(X: np.ndarray, y: np.ndarray, *, val: float = 0.2,
                    seed: int = 0) -> tuple[np.ndarray, ...]:
    """Shuffle with default_rng(seed), keep round(val * N) for validation.

    Returns (X_train, y_train, X_val, y_val); X (N, D), y (N,).
    """
    order = np.random.default_rng(seed).permutation(len(y))
    n_val = int(round(val * len(y)))
    fit, held = order[n_val:], order[:n_val]
    return X[fit], y[fit], X[held], y[held]


def network_loss(params: dict[str, np.ndarray], X: np.ndarray,
                 y: np.ndarray, *, p_drop: float, lam: float,
                 rng: np.random.Generator | None = None,
                 masks: Sequence[np.ndarray] | None = None,
                 train: bool = True) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of the 1-hidden-layer MLP with dropout and L2.

    scores = dropout(relu(X W1 + b1)) W2 + b2 (inverted dropout, only when
    train and p_drop > 0); loss = softmax cross-entropy (mean over N)
    + 0.5 lam (sum W1^2 + sum W2^2). The biases are not penalised.
    Shapes: X (N, D), y (N,) ints in [0, C); params "W1" (D, H), "b1"
    (H,), "W2" (H, C), "b2" (C,). masks = (keep,) with keep a bool
    (N, H) array fixes the dropout mask; otherwise it is drawn from rng.
    Returns (loss, grads), grads a dict with the keys and shapes of
    params. Nothing is modified in place.
    """
    mask = None if masks is None else masks[0]
    z, aff1 = affine_forward(X, params["W1"], params["b1"])
    h, relu = relu_forward(z)
    h, drop = dropout_forward(h, p_drop, train=train and p_drop > 0,
                              rng=rng, mask=mask)
    scores, aff2 = affine_forward(h, params["W2"], params["b2"])
    loss, dscores = softmax_cross_entropy(scores, y)
    dh, dW2, db2 = affine_backward(dscores, aff2)
    dz = relu_backward(dropout_backward(dh, drop), relu)
    _, dW1, db1 = affine_backward(dz, aff1)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    for name in WEIGHTS:
        loss += l2_penalty(params[name], lam)
        grads[name] = grads[name] + l2_grad(params[name], lam)
    return loss, grads


def predict(params: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Class labels argmax(relu(X W1 + b1) W2 + b2), shape (N,).

    No dropout at test time: inverted dropout already scaled the kept
    units while training. Ties go to the lowest class index.
    """
    scores, _ = mlp_forward(X, params)
    return np.argmax(scores, axis=1)


def accuracy(params: dict[str, np.ndarray], X: np.ndarray,
             y: np.ndarray) -> float:
    """Fraction of rows of X whose predicted label equals y, in [0, 1]."""
    return float(np.mean(predict(params, X) == y))


def train(X: np.ndarray, y: np.ndarray, X_val: np.ndarray,
          y_val: np.ndarray, *, hidden: int = 64, steps: int = 1000,
          lr: float = 1e-2, p_drop: float = 0.1, lam: float = 1e-4,
          batch_size: int = 64, warmup: int = 50, eval_every: int = 50,
          seed: int = 0) -> tuple[dict[str, np.ndarray], dict]:
    """Adam + warm-up cosine on network_loss; returns (params, history).

    Step t = 0, ..., steps - 1 takes the next batch_size rows of the
    epoch's permutation, computes network_loss (dropout on) and moves
    every parameter with adam_step at lr = warmup_cosine(t, lr0=lr,
    warmup=warmup, total=steps). After every eval_every-th step and the
    last, history gains one entry in each of its arrays: "step" (updates
    done), "loss" (mean batch loss since the previous entry), "train_acc",
    "val_acc", and "ratio_W1", "ratio_W2" (the last step's
    ||W_new - W_old|| / ||W_old||). X (N, D), y (N,) ints in [0, C).
    """
    rng = np.random.default_rng(seed)  # init, batches, masks: one stream
    C = int(max(y.max(), y_val.max())) + 1
    params = init_params(X.shape[1], hidden, C, rng=rng)
    states = {name: adam_init(w) for name, w in params.items()}
    log = {key: [] for key in ("step", "loss", "train_acc", "val_acc")
           + tuple(f"ratio_{name}" for name in WEIGHTS)}
    order, losses = np.empty(0, dtype=int), []
    for t in range(steps):
        if len(order) < batch_size:  # a new epoch: reshuffle
            order = rng.permutation(len(y))
        batch, order = order[:batch_size], order[batch_size:]
        loss, grads = network_loss(params, X[batch], y[batch], p_drop=p_drop,
                                   lam=lam, rng=rng)
        rate = warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)
        old, losses = params, losses + [loss]
        params = {}
        for name, w in old.items():
            params[name], states[name] = adam_step(w, grads[name],
                                                   states[name], lr=rate)
        if (t + 1) % eval_every == 0 or t == steps - 1:
            log["step"].append(t + 1)
            log["loss"].append(np.mean(losses))
            log["train_acc"].append(accuracy(params, X, y))
            log["val_acc"].append(accuracy(params, X_val, y_val))
            for name in WEIGHTS:
                change = np.linalg.norm(params[name] - old[name])
                log[f"ratio_{name}"].append(change / np.linalg.norm(old[name]))
            losses = []
    return params, {key: np.array(values) for key, values in log.items()}
