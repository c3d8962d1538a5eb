"""Visible checks of assignment 7 (the capstone): gradients against
centered differences, a network evaluated by hand, and training runs on
data the checks draw themselves.

numerical_gradient and relative_error are the students' helpers, given to
them in a locked cell of the notebook.
"""
import numpy as np

from .helpers import numerical_gradient, relative_error


def check_loss_plain(network_loss):
    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    X, y = rng.normal(size=(6, 4)), np.arange(6) % 3
    loss, grads = network_loss(params, X, y, p_drop=0.0, lam=0.1)
    assert sorted(grads) == ["W1", "W2", "b1", "b2"], f"grads has keys {sorted(grads)}"
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
