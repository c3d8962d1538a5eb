"""Visible checks of assignment 7 (the capstone): gradients against
centered differences, a network evaluated by hand, and training runs on
data the checks draw themselves, watched (which rows each step sees, the
lr, state and gradient of each update, the history) with ``watch_train``.

numerical_gradient and relative_error are the students' helpers, given to
them in a locked cell of the notebook; small_problem and watch_train are
given in another, before the checks of how train trains.
"""
import copy

import numpy as np

from .helpers import numerical_gradient, relative_error


def check_loss_plain(network_loss):
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(6, 4)), np.arange(6) % 3
    before = {k: v.copy() for k, v in params.items()}
    loss, grads = network_loss(params, X, y, p_drop=0.0, lam=0.1)
    assert sorted(grads) == ["W1", "W2", "b1", "b2"], f"grads has keys {sorted(grads)}"
    changed = [k for k in params if not np.array_equal(params[k], before[k])]
    assert not changed, f"network_loss changed params{changed} in place"
    for name in params:
        # numerical_gradient nudges params[name] in place; the loss reads it there
        num = numerical_gradient(lambda _: network_loss(params, X, y, p_drop=0.0, lam=0.1)[0],
                                 params[name])
        err = relative_error(grads[name], num)
        assert err < 1e-6, f"d{name} differs from the numerical gradient: relative error {err:.1e}"
    # sanity check: with tiny weights every class is equally likely, loss = ln 3
    tiny = {k: 1e-4 * v for k, v in params.items()}
    loss0 = network_loss(tiny, X, y, p_drop=0.0, lam=0.0)[0]
    assert abs(loss0 - np.log(3)) < 1e-3, (
        f"loss with tiny weights is {loss0:.4f}, expected about ln 3 = {np.log(3):.4f}")
    # sanity check: more regularization, higher loss
    losses = [network_loss(params, X, y, p_drop=0.0, lam=lam)[0] for lam in (0.0, 0.01, 0.1, 1.0)]
    assert all(a < b for a, b in zip(losses, losses[1:])), f"loss does not rise with lam: {losses}"


def check_loss_dropout(network_loss):
    rng = np.random.default_rng(1)
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(6, 4)), np.arange(6) % 3
    keep = rng.random((6, 5)) >= 0.5  # True: the unit is kept
    loss, grads = network_loss(params, X, y, p_drop=0.5, lam=0.1, masks=(keep,))
    for name in params:
        num = numerical_gradient(
            lambda _: network_loss(params, X, y, p_drop=0.5, lam=0.1, masks=(keep,))[0],
            params[name])
        err = relative_error(grads[name], num)
        assert err < 1e-6, (f"with a fixed mask, d{name} differs from the numerical gradient: "
                            f"relative error {err:.1e}")
    # at test time nothing is dropped: the same loss as with p_drop = 0
    at_test = network_loss(params, X, y, p_drop=0.5, lam=0.1, train=False)[0]
    no_drop = network_loss(params, X, y, p_drop=0.0, lam=0.1)[0]
    assert np.isclose(at_test, no_drop), (
        f"train=False gives loss {at_test}, without dropout it is {no_drop}")


def check_predict(predict, accuracy):
    params = {"W1": np.eye(2), "b1": np.zeros(2),
              "W2": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), "b2": np.array([0.0, 0.0, 0.5])}
    X = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, -1.0], [1.0, 0.2]])
    labels = predict(params, X)
    assert np.shape(labels) == (4,), f"predict returned shape {np.shape(labels)}, expected (4,)"
    # scores by hand: (2, 0, .5), (0, 3, .5), (0, 0, .5) after the ReLU, (1, .2, .5)
    assert list(labels) == [0, 1, 2, 0], f"predict gives {list(labels)}, expected [0, 1, 2, 0]"
    acc = accuracy(params, X, np.array([0, 1, 1, 0]))
    assert np.isclose(acc, 0.75), f"accuracy is {acc}, expected 3 right out of 4 = 0.75"


def check_train(train):
    import time
    # three noisy rings around the origin, one per class: no line separates them
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 200)
    radius = 0.3 + 0.35 * y + rng.normal(scale=0.05, size=600)
    angle = rng.uniform(0.0, 2 * np.pi, size=600)
    X = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    held, fit = np.split(rng.permutation(600), [120])
    start = time.perf_counter()
    params, history = train(X[fit], y[fit], X[held], y[held])
    took = time.perf_counter() - start
    scores = np.maximum(X[held] @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
    val_acc = float(np.mean(np.argmax(scores, axis=1) == y[held]))
    print(f"three rings: validation accuracy {val_acc:.3f} after {took:.1f} s of training")
    assert took < 60, f"training took {took:.1f} s; it must finish within 60 s"
    assert val_acc >= 0.9, (
        f"validation accuracy {val_acc:.3f} on three rings; it must reach 0.9 (train calls "
        f"your network_loss, predict and accuracy: make their checks pass first)")


def check_overfit(train):
    # sanity check: no dropout, no penalty, 20 examples -> the loss goes to ~0
    y20 = np.arange(20) % 3  # 20 points around the circle, on the three rings
    angle, radius = np.linspace(0.0, 2 * np.pi, 20, endpoint=False), 0.3 + 0.35 * y20
    X20 = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    params, _ = train(X20, y20, X20, y20, p_drop=0.0, lam=0.0, steps=300, lr=5e-2,
                      batch_size=20)
    s = np.maximum(X20 @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
    s = s - s.max(axis=1, keepdims=True)
    loss20 = float(np.mean(np.log(np.exp(s).sum(axis=1)) - s[np.arange(20), y20]))
    print(f"loss on 20 training examples after 300 steps without regularization: {loss20:.2e}")
    assert loss20 < 0.05, f"the network does not overfit 20 examples: loss {loss20:.3f}"


# ---- how train trains: its calls of network_loss and adam_step, watched

def small_problem(n_train, n_val, seed):
    """Random points in the plane with labels 0, 1, 2 (every class in
    both splits): (X, y, X_val, y_val)."""
    rng = np.random.default_rng(seed)
    X, X_val = rng.normal(size=(n_train, 2)), rng.normal(size=(n_val, 2))
    y, y_val = rng.permutation(np.arange(n_train) % 3), rng.permutation(np.arange(n_val) % 3)
    return X, y, X_val, y_val


def watch_train(train, X, y, X_val, y_val, **options):
    """Run train(X, y, X_val, y_val, **options) and record the calls it makes
    of network_loss and adam_step (wrapped, for the run, where train finds
    them). Returns (params, history, losses, updates):

    - losses: per network_loss call, a dict with "rows" (the index in X of
      each row it got, -1 for a row that is not in X), "labels", "p_drop",
      "lam", "train", "rng_state" (the generator's state before the call)
      and copies of the "params" it got and the "grads" it returned;
    - updates: per adam_step call, a dict with "name" (the parameter, told
      by its shape), "lr", "weight_decay", copies of the "w", "g" and
      "state" it got and of the "new_w", "new_state" it returned, and
      "loss", the index in losses of the last network_loss call before it.
    """
    names = train.__globals__
    real_loss, real_step = names["network_loss"], names["adam_step"]
    index = {row.tobytes(): i for i, row in enumerate(np.asarray(X, dtype=float))}
    H, C = options.get("hidden"), int(max(np.max(y), np.max(y_val))) + 1
    shapes = {(X.shape[1], H): "W1", (H,): "b1", (H, C): "W2", (C,): "b2"}
    losses, updates = [], []

    def network_loss(params, X_batch, y_batch, **kw):
        rng = kw.get("rng")
        rows = [index.get(np.asarray(r, dtype=float).tobytes(), -1) for r in X_batch]
        record = {"rows": rows, "labels": np.array(y_batch), "p_drop": kw.get("p_drop"),
                  "lam": kw.get("lam"), "train": kw.get("train", True),
                  "rng_state": None if rng is None else str(rng.bit_generator.state),
                  "params": copy.deepcopy(params)}
        loss, grads = real_loss(params, X_batch, y_batch, **kw)
        record["grads"] = copy.deepcopy(grads)
        losses.append(record)
        return loss, grads

    def adam_step(w, g, state, **kw):
        record = {"name": shapes.get(np.shape(w)), "lr": kw.get("lr"),
                  "weight_decay": kw.get("weight_decay", 0.0), "w": np.array(w),
                  "g": np.array(g), "state": copy.deepcopy(state), "loss": len(losses) - 1}
        new_w, new_state = real_step(w, g, state, **kw)
        record.update(new_w=np.array(new_w), new_state=copy.deepcopy(new_state))
        updates.append(record)
        return new_w, new_state

    names["network_loss"], names["adam_step"] = network_loss, adam_step
    try:
        params, history = train(X, y, X_val, y_val, **options)
    finally:
        names["network_loss"], names["adam_step"] = real_loss, real_step
    return params, history, losses, updates


def check_batches(train):
    # 24 rows, batches of 6: every epoch is 4 steps that visit each row once
    X, y, X_val, y_val = small_problem(24, 7, seed=1)
    _, _, losses, updates = watch_train(train, X, y, X_val, y_val, hidden=5, steps=12,
                                        batch_size=6, lr=0.05, warmup=2, p_drop=0.3,
                                        lam=1e-3, eval_every=12, seed=0)
    steps = [u for u in updates if u["name"] == "W1"]
    assert len(steps) == 12, f"{len(steps)} updates of W1 for steps=12: one per step"
    batches = []
    for t, u in enumerate(steps):
        call = losses[u["loss"]]
        rows = call["rows"]
        assert len(rows) == 6 and len(set(rows)) == 6 and -1 not in rows, (
            f"step {t}: network_loss got the rows {rows} of X; batch_size=6 distinct rows")
        assert np.array_equal(call["labels"], y[rows]), f"step {t}: the labels are not the rows'"
        batches.append(rows)
    epochs = [sum(batches[e * 4:(e + 1) * 4], []) for e in range(3)]
    for e, order in enumerate(epochs):
        assert sorted(order) == list(range(24)), f"epoch {e} does not visit each row once: {order}"
        assert order != list(range(24)), f"epoch {e} visits the rows in their stored order"
    assert epochs[0] != epochs[1] and epochs[1] != epochs[2], (
        "two epochs visit the rows in the same order: draw a new permutation every epoch")


def check_step_loss(train):
    X, y, X_val, y_val = small_problem(12, 7, seed=2)
    _, _, losses, updates = watch_train(train, X, y, X_val, y_val, hidden=5, steps=6,
                                        batch_size=4, lr=0.05, warmup=2, p_drop=0.3,
                                        lam=0.01, eval_every=6, seed=0)
    states = []
    for t, u in enumerate(u for u in updates if u["name"] == "W1"):
        call = losses[u["loss"]]
        assert call["train"] and call["p_drop"] == 0.3 and call["lam"] == 0.01, (
            f"step {t}: network_loss got p_drop={call['p_drop']}, lam={call['lam']}, "
            f"train={call['train']}; train was called with p_drop=0.3, lam=0.01")
        assert call["rng_state"] is not None and call["rng_state"] not in states, (
            f"step {t}: no rng, or one in the state of an earlier step (the same mask)")
        states.append(call["rng_state"])
    for u in updates:
        call = losses[u["loss"]]
        assert np.array_equal(u["w"], call["params"][u["name"]]), (
            f"{u['name']}: network_loss got other weights than adam_step then moved")
        assert np.array_equal(u["g"], call["grads"][u["name"]]), (
            f"{u['name']}: adam_step got another gradient than network_loss returned")
        assert not u["weight_decay"], "weight_decay: lam is already in the gradient"


def check_schedule(train):
    X, y, X_val, y_val = small_problem(12, 7, seed=3)
    _, _, _, updates = watch_train(train, X, y, X_val, y_val, hidden=5, steps=10,
                                   batch_size=4, lr=0.1, warmup=3, p_drop=0.3, lam=1e-3,
                                   eval_every=10, seed=0)
    # warm-up from 0 over 3 steps, then a cosine from 0.1 to 0 over the 7 others
    t = np.arange(10)
    expected = np.where(t < 3, 0.1 * t / 3, 0.05 * (1 + np.cos(np.pi * (t - 3) / 7)))
    for name in ("W1", "b1", "W2", "b2"):
        lrs = [u["lr"] for u in updates if u["name"] == name]
        assert len(lrs) == 10 and None not in lrs and np.allclose(lrs, expected), (
            f"the lr of {name} at steps 0..9: {lrs}; expected {np.round(expected, 4).tolist()}")


def check_carried(train):
    X, y, X_val, y_val = small_problem(12, 7, seed=4)  # 3 steps per epoch
    _, _, _, updates = watch_train(train, X, y, X_val, y_val, hidden=5, steps=8,
                                   batch_size=4, lr=0.05, warmup=2, p_drop=0.3, lam=1e-3,
                                   eval_every=8, seed=0)
    for name in ("W1", "b1", "W2", "b2"):
        mine = [u for u in updates if u["name"] == name]
        assert len(mine) == 8, f"{name} was moved {len(mine)} times in 8 steps"
        assert all(not np.any(v) for v in mine[0]["state"]), (
            f"the first Adam state of {name} is not a fresh one (adam_init)")
        for k in range(1, 8):
            assert np.array_equal(mine[k]["w"], mine[k - 1]["new_w"]), (
                f"step {k}: adam_step got {name} other than it returned at step {k - 1}")
            same = all(np.array_equal(a, b) for a, b in
                       zip(mine[k]["state"], mine[k - 1]["new_state"]))
            assert same, (f"step {k}: the Adam state of {name} is not the one adam_step "
                          f"returned at step {k - 1}")


def check_history(train):
    X, y, X_val, y_val = small_problem(24, 101, seed=5)
    params, history, _, updates = watch_train(train, X, y, X_val, y_val, hidden=5, steps=11,
                                              batch_size=7, lr=0.3, warmup=2, p_drop=0.3,
                                              lam=1e-3, eval_every=4, seed=0)
    assert list(history["step"]) == [4, 8, 11], (
        f"history['step'] is {list(history['step'])}; with steps=11 and eval_every=4 it is "
        f"[4, 8, 11]")

    def acc(p, X, y):
        s = np.maximum(X @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]
        return float(np.mean(np.argmax(s, axis=1) == y))
    by_name = {n: [u for u in updates if u["name"] == n] for n in ("W1", "b1", "W2", "b2")}
    for i, s in enumerate((4, 8, 11)):
        # the params after s updates: those update s starts from (the returned ones at the end)
        at = params if s == 11 else {n: mine[s]["w"] for n, mine in by_name.items()}
        for key, (Xs, ys) in (("val_acc", (X_val, y_val)), ("train_acc", (X, y))):
            assert abs(history[key][i] - acc(at, Xs, ys)) < 5e-4, (
                f"history['{key}'][{i}] is {history[key][i]}; the accuracy after {s} updates "
                f"on {'X_val, y_val' if key == 'val_acc' else 'X, y'} is {acc(at, Xs, ys)}")
