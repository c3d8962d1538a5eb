"""Held-out entries for assignment 7: the network trained end to end.

Parts: ``capstone.network_loss`` (single function), ``capstone.predict``
(predict, accuracy) and ``capstone.train`` (single function). The
course's pieces that the notebook gives in its first cells (layers,
softmax cross-entropy, Adam, warmup_cosine, L2 and dropout) and its helper
``init_params`` are imported; the answer cells are written here.

The training loops share one body, ``_loop``; each wrong ``train`` turns on
exactly one of its switches, each a mistake of the loop's mechanics.
"""
from __future__ import annotations

import numpy as np

from benchmarks.heldout import Right, Wrong
from solutions.annealing import warmup_cosine
from solutions.backprop import (affine_backward, affine_forward, mlp_forward,
                                relu_backward, relu_forward)
from solutions.capstone import WEIGHTS, init_params
from solutions.gates import softmax_cross_entropy
from solutions.regularization import (dropout_backward, dropout_forward,
                                      l2_grad, l2_penalty)
from solutions.update_rules import adam_init, adam_step

# ------------------------------------------------------------- network_loss


def network_loss(params, X, y, *, p_drop, lam, rng=None, masks=None,
                 train=True):
    keep = None if masks is None else masks[0]
    z, c1 = affine_forward(X, params["W1"], params["b1"])
    h, c_relu = relu_forward(z)
    h, c_drop = dropout_forward(h, p_drop, train=train and p_drop > 0,
                                rng=rng, mask=keep)
    scores, c2 = affine_forward(h, params["W2"], params["b2"])
    loss, dscores = softmax_cross_entropy(scores, y)
    dh, dW2, db2 = affine_backward(dscores, c2)
    dz = relu_backward(dropout_backward(dh, c_drop), c_relu)
    _, dW1, db1 = affine_backward(dz, c1)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    for name in WEIGHTS:
        loss += l2_penalty(params[name], lam)
        grads[name] = grads[name] + l2_grad(params[name], lam)
    return loss, grads


def _loss_with(params, X, y, *, p_drop, lam, rng, masks, train,
               penalised=WEIGHTS, mode="inverted", use_train=True,
               through_dropout=True, always_dropout=False):
    """The same network with one rule changed by a keyword."""
    keep = None if masks is None else masks[0]
    z, c1 = affine_forward(X, params["W1"], params["b1"])
    h, c_relu = relu_forward(z)
    on = (train if use_train else True) and (always_dropout or p_drop > 0)
    h, c_drop = dropout_forward(h, p_drop, train=on, rng=rng, mask=keep,
                                mode=mode)
    scores, c2 = affine_forward(h, params["W2"], params["b2"])
    loss, dscores = softmax_cross_entropy(scores, y)
    dh, dW2, db2 = affine_backward(dscores, c2)
    if through_dropout:
        dh = dropout_backward(dh, c_drop)
    _, dW1, db1 = affine_backward(relu_backward(dh, c_relu), c1)
    grads = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    for name in penalised:
        loss += l2_penalty(params[name], lam)
        grads[name] = grads[name] + l2_grad(params[name], lam)
    return loss, grads


def network_loss_biases_penalised(params, X, y, *, p_drop, lam, rng=None,
                                  masks=None, train=True):
    return _loss_with(params, X, y, p_drop=p_drop, lam=lam, rng=rng,
                      masks=masks, train=train,
                      penalised=("W1", "b1", "W2", "b2"))


def network_loss_classic_dropout(params, X, y, *, p_drop, lam, rng=None,
                                 masks=None, train=True):
    return _loss_with(params, X, y, p_drop=p_drop, lam=lam, rng=rng,
                      masks=masks, train=train, mode="classic")


def network_loss_drops_at_test(params, X, y, *, p_drop, lam, rng=None,
                               masks=None, train=True):
    return _loss_with(params, X, y, p_drop=p_drop, lam=lam, rng=rng,
                      masks=masks, train=train, use_train=False)


def network_loss_skips_dropout_backward(params, X, y, *, p_drop, lam,
                                        rng=None, masks=None, train=True):
    return _loss_with(params, X, y, p_drop=p_drop, lam=lam, rng=rng,
                      masks=masks, train=train, through_dropout=False)


def network_loss_dropout_always_called(params, X, y, *, p_drop, lam,
                                       rng=None, masks=None, train=True):
    return _loss_with(params, X, y, p_drop=p_drop, lam=lam, rng=rng,
                      masks=masks, train=train, always_dropout=True)


def network_loss_draws_always(params, X, y, *, p_drop, lam, rng=None,
                              masks=None, train=True):
    if masks is not None:
        keep = np.asarray(masks[0])
    elif rng is not None:
        h_shape = (len(X), params["W1"].shape[1])
        keep = rng.random(h_shape) >= p_drop  # drawn even when not used
    else:
        keep = None
    return _loss_with(params, X, y, p_drop=p_drop, lam=lam, rng=None,
                      masks=None if keep is None else (keep,), train=train)


def network_loss_by_hand(params, X, y, *, p_drop, lam, rng=None, masks=None,
                         train=True):
    X = np.asarray(X, dtype=float)
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    n = len(y)
    z = X @ W1 + b1
    h = np.where(z > 0, z, 0.0)
    if train and p_drop > 0:
        keep = (np.asarray(masks[0]) if masks is not None
                else rng.random(h.shape) >= p_drop)
        scale = keep / (1.0 - p_drop)
    else:
        scale = np.ones_like(h)
    hd = h * scale
    scores = hd @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -logp[np.arange(n), y].mean()
    loss += 0.5 * lam * (np.sum(W1 * W1) + np.sum(W2 * W2))
    ds = np.exp(logp)
    ds[np.arange(n), y] -= 1.0
    ds /= n
    dz = (ds @ W2.T) * scale * (z > 0)
    return float(loss), {"W1": X.T @ dz + lam * W1, "b1": dz.sum(axis=0),
                         "W2": hd.T @ ds + lam * W2, "b2": ds.sum(axis=0)}


def network_loss_one_penalty(params, X, y, *, p_drop, lam, rng=None,
                             masks=None, train=True):
    # 0.5 lam (|W1|^2 + |W2|^2) as one L2 penalty of both, concatenated
    loss, grads = _loss_with(params, X, y, p_drop=p_drop, lam=lam, rng=rng,
                             masks=masks, train=train, penalised=())
    both = np.concatenate([params[k].ravel() for k in WEIGHTS])
    loss += l2_penalty(both, lam)
    for k in WEIGHTS:
        grads[k] = grads[k] + lam * params[k]
    return loss, grads


# ----------------------------------------------------------------- predict

def predict(params, X):
    scores, _ = mlp_forward(X, params)
    return np.argmax(scores, axis=1)


def accuracy(params, X, y):
    return float(np.mean(predict(params, X) == y))


def accuracy_count(params, X, y):
    return float(np.sum(predict(params, X) == y))  # a count, not a fraction


def predict_argsort(params, X):
    scores, _ = mlp_forward(X, params)
    return np.argsort(scores, axis=1)[:, -1]  # ties go to the last class


def accuracy_argsort(params, X, y):
    return float(np.mean(predict_argsort(params, X) == y))


def predict_by_hand(params, X):
    X = np.asarray(X, dtype=float)
    hidden = np.maximum(X @ params["W1"] + params["b1"], 0.0)
    return (hidden @ params["W2"] + params["b2"]).argmax(axis=1)


def accuracy_count_nonzero(params, X, y):
    labels = predict_by_hand(params, X)
    return np.count_nonzero(labels == np.asarray(y)) / len(labels)


# ------------------------------------------------------------------- train

_DEFAULTS = dict(hidden=64, steps=1000, lr=1e-2, p_drop=0.1, lam=1e-4,
                 batch_size=64, warmup=50, eval_every=50, seed=0)


def _loop(X, y, X_val, y_val, *, hidden, steps, lr, p_drop, lam, batch_size,
          warmup, eval_every, seed, mistake=None):
    """Adam + warm-up cosine on network_loss; ``mistake`` names one slip
    of the loop's mechanics (None: the loop as the text describes it)."""
    rng = np.random.default_rng(seed)
    C = int(max(y.max(), y_val.max())) + 1
    params = init_params(X.shape[1], hidden, C, rng=rng)
    states = {k: adam_init(w) for k, w in params.items()}
    log = {k: [] for k in ("step", "loss", "train_acc", "val_acc",
                           "ratio_W1", "ratio_W2")}
    order, losses = np.empty(0, dtype=int), []
    fixed = None
    for t in range(steps):
        if mistake == "shuffle_every_step":
            order = rng.permutation(len(y))
        elif mistake == "keep_partial_batch":
            if len(order) == 0:
                order = rng.permutation(len(y))
        elif len(order) < batch_size:
            order = rng.permutation(len(y))
            if mistake == "reset_state_each_epoch":
                states = {k: adam_init(w) for k, w in params.items()}
        batch, order = order[:batch_size], order[batch_size:]
        if mistake == "one_fixed_batch":
            fixed = batch if fixed is None else fixed
            batch = fixed
        drop = 0.0 if mistake == "dropout_off" else p_drop
        loss, grads = network_loss(params, X[batch], y[batch], p_drop=drop,
                                   lam=lam, rng=rng)
        if mistake == "constant_rate":
            rate = lr
        elif mistake == "schedule_from_one":
            rate = warmup_cosine(t + 1, lr0=lr, warmup=warmup, total=steps)
        else:
            rate = warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)
        old, losses = params, losses + [loss]
        params = {}
        for k, w in old.items():
            w_new, s_new = adam_step(w, grads[k], states[k], lr=rate)
            params[k] = w if mistake == "update_discarded" else w_new
            if mistake != "state_not_stored":
                states[k] = s_new
        if (t + 1) % eval_every == 0 or t == steps - 1:
            log["step"].append(t + 1)
            log["loss"].append(np.mean(losses))
            log["train_acc"].append(accuracy(params, X, y))
            if mistake == "validation_on_train":
                log["val_acc"].append(accuracy(params, X, y))
            else:
                log["val_acc"].append(accuracy(params, X_val, y_val))
            for k in WEIGHTS:
                if mistake == "ratio_of_gradient":
                    change = rate * np.linalg.norm(grads[k])
                else:
                    change = np.linalg.norm(params[k] - old[k])
                log[f"ratio_{k}"].append(change / np.linalg.norm(old[k]))
            losses = []
    return params, {k: np.array(v) for k, v in log.items()}


def _train_with(mistake):
    def train(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2,
              p_drop=0.1, lam=1e-4, batch_size=64, warmup=50, eval_every=50,
              seed=0):
        return _loop(X, y, X_val, y_val, hidden=hidden, steps=steps, lr=lr,
                     p_drop=p_drop, lam=lam, batch_size=batch_size,
                     warmup=warmup, eval_every=eval_every, seed=seed,
                     mistake=mistake)
    train.__name__ = f"train_{mistake}"
    return train


def train_epochs(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2,
                 p_drop=0.1, lam=1e-4, batch_size=64, warmup=50,
                 eval_every=50, seed=0):
    """The loop written with an epoch permutation and a read position."""
    rng = np.random.default_rng(seed)
    n_classes = int(max(y.max(), y_val.max())) + 1
    params = init_params(X.shape[1], hidden, n_classes, rng=rng)
    names = list(params)
    states = [adam_init(params[k]) for k in names]
    rates = [warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)
             for t in range(steps)]
    history = {k: [] for k in ("step", "loss", "train_acc", "val_acc",
                               "ratio_W1", "ratio_W2")}
    perm, pos, since = None, 0, []
    for t in range(steps):
        if perm is None or pos + batch_size > len(perm):
            perm, pos = rng.permutation(len(y)), 0
        rows = perm[pos:pos + batch_size]
        pos += batch_size
        loss, grads = network_loss(params, X[rows], y[rows], p_drop=p_drop,
                                   lam=lam, rng=rng)
        since.append(loss)
        before = dict(params)
        for i, k in enumerate(names):
            params[k], states[i] = adam_step(params[k], grads[k], states[i],
                                             lr=rates[t])
        done = t + 1
        if done % eval_every == 0 or done == steps:
            history["step"].append(done)
            history["loss"].append(np.mean(since))
            history["train_acc"].append(accuracy(params, X, y))
            history["val_acc"].append(accuracy(params, X_val, y_val))
            for k in WEIGHTS:
                history[f"ratio_{k}"].append(
                    np.linalg.norm(params[k] - before[k])
                    / np.linalg.norm(before[k]))
            since = []
    return params, {k: np.array(v) for k, v in history.items()}


def train_nested(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2,
                 p_drop=0.1, lam=1e-4, batch_size=64, warmup=50,
                 eval_every=50, seed=0):
    """The loop written as epochs of full batches (one batch of every row
    when there are fewer rows than batch_size)."""
    rng = np.random.default_rng(seed)
    C = int(max(y.max(), y_val.max())) + 1
    params = init_params(X.shape[1], hidden, C, rng=rng)
    states = {k: adam_init(w) for k, w in params.items()}
    log = {k: [] for k in ("step", "loss", "train_acc", "val_acc",
                           "ratio_W1", "ratio_W2")}
    n = len(y)
    starts = list(range(0, n - batch_size + 1, batch_size)) or [0]
    t, losses = 0, []
    while t < steps:
        perm = rng.permutation(n)
        for start in starts:
            if t == steps:
                break
            rows = perm[start:start + batch_size]
            loss, grads = network_loss(params, X[rows], y[rows],
                                       p_drop=p_drop, lam=lam, rng=rng)
            losses.append(loss)
            rate = warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)
            new = {}
            for k in params:
                new[k], states[k] = adam_step(params[k], grads[k],
                                              states[k], lr=rate)
            old, params = params, new
            t += 1
            if t % eval_every == 0 or t == steps:
                log["step"].append(t)
                log["loss"].append(np.mean(losses))
                log["train_acc"].append(accuracy(params, X, y))
                log["val_acc"].append(accuracy(params, X_val, y_val))
                for k in WEIGHTS:
                    log[f"ratio_{k}"].append(np.linalg.norm(params[k] - old[k])
                                             / np.linalg.norm(old[k]))
                losses = []
    return params, {k: np.array(v) for k, v in log.items()}


train = _train_with(None)
train.__name__ = "train"

MECHANICS = {
    "reset_state_each_epoch": "the Adam states are re-initialised at the "
    "start of every epoch, so the moments and t restart",
    "schedule_from_one": "the schedule is evaluated at t + 1, one step "
    "ahead, so the first update does not use lr = 0",
    "constant_rate": "the schedule is ignored and every step uses lr",
    "one_fixed_batch": "the first mini-batch is reused at every step "
    "instead of taking the next rows of the permutation",
    "shuffle_every_step": "a new permutation is drawn at every step, so "
    "an epoch does not visit every example once",
    "keep_partial_batch": "the last incomplete batch of an epoch is used "
    "instead of skipped",
    "update_discarded": "adam_step's new weights are thrown away, as if it "
    "updated the parameters in place",
    "state_not_stored": "adam_step's new state is not stored, so every "
    "step starts from t = 0 with zero moments",
    "dropout_off": "network_loss is called with p_drop = 0 during "
    "training, so dropout never acts",
    "validation_on_train": "the history's val_acc is measured on the "
    "training split",
    "ratio_of_gradient": "the update ratio is lr * ||dW|| / ||W||, the SGD "
    "formula, not the size of the actual Adam step",
}

# ---------------------------------------------------------------------------

C = "capstone."
WRONG = [
    Wrong(C + "network_loss", "biases_penalised", "formula",
          network_loss_biases_penalised,
          "the L2 penalty and its gradient include b1 and b2"),
    Wrong(C + "network_loss", "classic_dropout", "formula",
          network_loss_classic_dropout,
          "dropout runs in classic mode: kept units are not divided by "
          "1 - p while training"),
    Wrong(C + "network_loss", "drops_at_test", "contract",
          network_loss_drops_at_test,
          "the train argument is not passed on, so train=False still "
          "drops units with the mask or rng"),
    Wrong(C + "network_loss", "backward_skips_dropout", "formula",
          network_loss_skips_dropout_backward,
          "the backward pass goes from dh to the ReLU without the dropout "
          "mask and scale"),
    Wrong(C + "network_loss", "dropout_always_called", "inputs",
          network_loss_dropout_always_called,
          "dropout is applied whenever train is True, also for p_drop = 0, "
          "where it needs an rng or mask that is not given"),
    Wrong(C + "network_loss", "rng_drawn_at_test", "contract",
          network_loss_draws_always,
          "a mask is drawn from rng before train is looked at, so rng "
          "advances at test time and for p_drop = 0"),

    Wrong(C + "predict", "accuracy_counts", "formula",
          (predict, accuracy_count),
          "accuracy returns the number of correct rows, not the fraction"),
    Wrong(C + "predict", "ties_to_last_class", "inputs",
          (predict_argsort, accuracy_argsort),
          "the label is the last column of argsort, so a tie goes to the "
          "highest class index"),
] + [
    Wrong(C + "train", name, "mechanics", _train_with(name), why)
    for name, why in MECHANICS.items()
]

RIGHT = [
    Right(C + "network_loss", "by_hand", network_loss_by_hand),
    Right(C + "network_loss", "one_penalty", network_loss_one_penalty),
    Right(C + "predict", "by_hand", (predict_by_hand, accuracy_count_nonzero)),
    Right(C + "train", "epochs_and_positions", train_epochs),
    Right(C + "train", "nested_epochs", train_nested),
]
