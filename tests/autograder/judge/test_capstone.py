"""The capstone checks: correct alternatives pass, and failures say where,
by how much and how long. That every catalogued mistake is caught and
named is checked for all concepts at once in test_catalogue.py."""
from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest

from autograder.judge import capstone
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from autograder.judge.capstone import GRADED
from solutions import capstone as ref
from solutions.annealing import cosine, warmup_cosine
from solutions.capstone import accuracy, init_params, network_loss, predict
from solutions.update_rules import adam_init, adam_step, momentum_init, momentum_step


class Unsendable:
    """A value that cannot cross the wire as data (as a torch tensor would)."""


def test_three_correct_alternatives_per_function():
    assert len(LOSS_ALTERNATIVES) >= 3 and len(PREDICT_ALTERNATIVES) >= 3
    assert len(TRAIN_ALTERNATIVES) >= 3


# ---- network_loss: correct alternatives


def loss_plain_numpy(params, X, y, *, p_drop, lam, rng=None, masks=None, train=True):
    """Everything inline: no pieces, a log-sum-exp softmax, np.where masks."""
    z = X @ params["W1"] + params["b1"]
    h = np.where(z > 0, z, 0.0)
    scale = np.ones_like(h)
    if train and p_drop > 0:
        keep = masks[0] if masks is not None else rng.random(h.shape) >= p_drop
        scale = np.where(keep, 1.0 / (1.0 - p_drop), 0.0)
    s = (h * scale) @ params["W2"] + params["b2"]
    m = s.max(axis=1, keepdims=True)
    logp = s - m - np.log(np.exp(s - m).sum(axis=1, keepdims=True))
    n = len(y)
    loss = -logp[np.arange(n), y].mean()
    loss += lam / 2 * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    ds = np.exp(logp)
    ds[np.arange(n), y] -= 1
    ds /= n
    dh = ds @ params["W2"].T * scale
    dz = np.where(z > 0, dh, 0.0)
    return loss, {"W1": X.T @ dz + lam * params["W1"], "b1": dz.sum(0),
                  "W2": (h * scale).T @ ds + lam * params["W2"], "b2": ds.sum(0)}


def loss_in_place(params, X, y, *, p_drop, lam, rng=None, masks=None, train=True):
    """In-place arithmetic on its own arrays (never on the inputs: the text
    says they are unchanged; a version that also clobbers params is among
    the wrong variants of test_capstone_contracts.py)."""
    h = X @ params["W1"]
    h += params["b1"]
    np.maximum(h, 0, out=h)
    on = h > 0
    if train and p_drop > 0:
        mask = (masks[0] if masks is not None else rng.random(h.shape) >= p_drop)
        mask = mask.astype(float) / (1 - p_drop)
        h *= mask
    else:
        mask = 1.0
    scores = h @ params["W2"] + params["b2"]
    scores -= scores.max(axis=1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=1, keepdims=True)
    loss = float(-np.mean(np.log(p[np.arange(len(y)), y])))
    p[np.arange(len(y)), y] -= 1
    p /= len(y)
    grads = {"b2": p.sum(axis=0), "W2": h.T @ p}
    dh = p @ params["W2"].T
    dh *= mask
    dh *= on
    grads["W1"], grads["b1"] = X.T @ dh, dh.sum(axis=0)
    for name in ("W1", "W2"):
        w = params[name]
        loss += 0.5 * lam * float(np.vdot(w, w))
        grads[name] += lam * w
    return loss, grads


def loss_with_pieces_reordered(params, X, y, *, p_drop, lam, rng=None, masks=None,
                               train=True):
    """The course's pieces, dropout written by hand, penalties summed first."""
    from solutions.backprop import affine_backward, affine_forward
    from solutions.gates import softmax_cross_entropy
    penalty = sum(0.5 * lam * np.sum(params[k] ** 2) for k in ("W1", "W2"))
    z, c1 = affine_forward(X, params["W1"], params["b1"])
    h = np.maximum(z, 0)
    if train and p_drop > 0:
        keep = list(masks)[0] if masks is not None else rng.random(h.shape) >= p_drop
        factor = keep * (1 / (1 - p_drop))
    else:
        factor = np.ones_like(h)
    scores, c2 = affine_forward(h * factor, params["W2"], params["b2"])
    data, dscores = softmax_cross_entropy(scores, y)
    dhd, dW2, db2 = affine_backward(dscores, c2)
    _, dW1, db1 = affine_backward(dhd * factor * (z > 0), c1)
    return penalty + data, {"W1": dW1 + lam * params["W1"], "b1": db1,
                            "W2": dW2 + lam * params["W2"], "b2": db2}


LOSS_ALTERNATIVES = [loss_plain_numpy, loss_in_place, loss_with_pieces_reordered]


@pytest.mark.parametrize("impl", LOSS_ALTERNATIVES, ids=lambda f: f.__name__)
def test_correct_network_loss_passes(impl):
    check(GRADED["network_loss"], impl)


# ---- predict: correct alternatives


def predict_softmax(params, X):
    s = np.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).argmax(axis=1)


def predict_loop(params, X):
    out = []
    for x in X:
        h = np.maximum(x @ params["W1"] + params["b1"], 0)
        out.append(int(np.argmax(h @ params["W2"] + params["b2"])))
    return np.array(out)


def predict_via_loss(params, X):
    """Scores through the course's layers, as network_loss computes them."""
    from solutions.backprop import mlp_forward
    return mlp_forward(X, params)[0].argmax(axis=-1)


def _accuracy_with(predict):
    def accuracy(params, X, y):
        labels = predict(params, X)
        return sum(int(a == b) for a, b in zip(labels, y)) / len(y)
    return accuracy


PREDICT_ALTERNATIVES = [predict_softmax, predict_loop, predict_via_loss]


@pytest.mark.parametrize("predict", PREDICT_ALTERNATIVES, ids=lambda f: f.__name__)
def test_correct_predict_passes(predict):
    check(GRADED["predict"], (predict, _accuracy_with(predict)))


# ---- train: loops that learn and train as the text says pass both records
# (the accuracy, and how they train); after them, loops that learn but train
# otherwise: they keep the accuracy points and lose those of the mechanics


def train_epoch_loops(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2, p_drop=0.1,
                      lam=1e-4, batch_size=64, warmup=50, eval_every=50, seed=0):
    """An epoch loop around a batch loop, its own init, history as lists."""
    rng = np.random.default_rng(seed)
    N, C = len(y), int(max(y.max(), y_val.max())) + 1
    params = {"W1": rng.normal(scale=0.5, size=(X.shape[1], hidden)), "b1": np.zeros(hidden),
              "W2": rng.normal(scale=0.3, size=(hidden, C)), "b2": np.zeros(C)}
    states = {k: adam_init(w) for k, w in params.items()}
    history = {"step": [], "loss": [], "train_acc": [], "val_acc": []}
    t, losses = 0, []
    while t < steps:
        perm = rng.permutation(N)
        for start in range(0, N - batch_size + 1, batch_size):
            if t == steps:
                break
            idx = perm[start:start + batch_size]
            loss, grads = network_loss(params, X[idx], y[idx], p_drop=p_drop, lam=lam, rng=rng)
            losses.append(loss)
            rate = warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)
            for k in params:
                params[k], states[k] = adam_step(params[k], grads[k], states[k], lr=rate)
            t += 1
            if t % eval_every == 0 or t == steps:
                history["step"].append(t)
                history["loss"].append(np.mean(losses))
                history["train_acc"].append(accuracy(params, X, y))
                history["val_acc"].append(accuracy(params, X_val, y_val))
                losses = []
    return params, history


def _adam_all(params, grads, states, rate):
    """A helper of the student's that moves every parameter."""
    new = {}
    for k in params:
        new[k], states[k] = adam_step(params[k], grads[k], states[k], lr=rate)
    return new


def train_shuffled_copies(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2, p_drop=0.1,
                          lam=1e-4, batch_size=64, warmup=50, eval_every=50, seed=0):
    """Shuffled copies of X and y sliced in order (a short last batch kept),
    masks drawn by hand from a second generator, the schedule written out,
    the updates in a helper, accuracies through predict."""
    rng, masks = np.random.default_rng(seed), np.random.default_rng(seed + 1)
    C = int(max(y.max(), y_val.max())) + 1
    params = init_params(X.shape[1], hidden, C, rng=rng)
    states = {k: adam_init(w) for k, w in params.items()}
    history = {k: [] for k in ("step", "loss", "train_acc", "val_acc")}
    Xs, ys, pos, losses = X[:0], y[:0], 0, []
    for t in range(steps):
        if pos >= len(ys):
            perm = rng.permutation(len(y))
            Xs, ys, pos = X[perm], y[perm], 0
        xb, yb = Xs[pos:pos + batch_size], ys[pos:pos + batch_size]
        pos += batch_size
        keep = masks.random((len(yb), hidden)) >= p_drop
        loss, grads = network_loss(params, xb, yb, p_drop=p_drop, lam=lam, masks=(keep,))
        losses.append(loss)
        if t < warmup:
            rate = lr * t / warmup
        else:
            rate = 0.5 * lr * (1 + math.cos(math.pi * (t - warmup) / (steps - warmup)))
        params = _adam_all(params, grads, states, rate)
        if (t + 1) % eval_every == 0 or t + 1 == steps:
            history["step"].append(t + 1)
            history["loss"].append(sum(losses) / len(losses))
            history["train_acc"].append(float(np.mean(predict(params, X) == y)))
            history["val_acc"].append(float(np.mean(predict(params, X_val) == y_val)))
            losses = []
    return params, {k: np.asarray(v) for k, v in history.items()}


def train_generator_of_batches(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2,
                               p_drop=0.1, lam=1e-4, batch_size=64, warmup=50,
                               eval_every=50, seed=0):
    """Batches from a generator function, a list of states, evaluation with
    network_loss at test time besides accuracy, history as float32 arrays."""
    rng = np.random.default_rng(seed)
    C = int(max(y.max(), y_val.max())) + 1
    params = init_params(X.shape[1], hidden, C, rng=rng)
    names = list(params)
    states = [adam_init(params[k]) for k in names]

    def batches():
        while True:
            order = rng.permutation(len(y))
            for i in range(len(y) // batch_size):
                yield order[i * batch_size:(i + 1) * batch_size]
    feed, log, window = batches(), [], []
    for t in range(steps):
        idx = next(feed)
        loss, grads = network_loss(params, X[idx], y[idx], p_drop=p_drop, lam=lam, rng=rng)
        window.append(loss)
        rate = warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)
        for j, k in enumerate(names):
            params[k], states[j] = adam_step(params[k], grads[k], states[j], lr=rate)
        if (t + 1) % eval_every == 0 or t == steps - 1:
            val_loss, _ = network_loss(params, X_val, y_val, p_drop=p_drop, lam=lam,
                                       train=False)
            log.append((t + 1, np.mean(window), accuracy(params, X, y),
                        accuracy(params, X_val, y_val), val_loss))
            window = []
    columns = zip(*log)
    return params, {k: np.asarray(c, dtype=np.float32) for k, c in
                    zip(("step", "loss", "train_acc", "val_acc", "val_loss"), columns)}


TRAIN_ALTERNATIVES = [train_epoch_loops, train_shuffled_copies, train_generator_of_batches]


@pytest.mark.parametrize("train", TRAIN_ALTERNATIVES, ids=lambda f: f.__name__)
def test_correct_train_passes(train):
    check(GRADED["train"], train)


@pytest.mark.parametrize("seed", (0, 1, 2))
@pytest.mark.parametrize("train", TRAIN_ALTERNATIVES, ids=lambda f: f.__name__)
def test_correct_train_trains_as_the_text_says(train, seed):
    check(GRADED["train_steps"], train, seed=seed)


def train_constant_lr(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2, p_drop=0.1,
                      lam=1e-4, batch_size=64, warmup=50, eval_every=50, seed=0):
    """No schedule at all, batches drawn one by one: it learns, but does not
    train as the text says."""
    rng = np.random.default_rng(seed)
    params = ref.init_params(X.shape[1], hidden, 3, rng=rng)
    states = {k: adam_init(w) for k, w in params.items()}
    for t in range(steps):
        batch = rng.choice(len(y), size=batch_size, replace=False)
        _, grads = ref.network_loss(params, X[batch], y[batch], p_drop=p_drop, lam=lam,
                                    rng=rng)
        for k in params:
            params[k], states[k] = adam_step(params[k], grads[k], states[k], lr=3e-3)
    return params, {}


def train_full_batch_momentum(X, y, X_val, y_val, *, hidden=64, steps=1500, lr=0.2,
                              p_drop=0.0, lam=0.0, seed=0, **unused):
    """Full-batch gradient descent with momentum and a cosine decay."""
    rng = np.random.default_rng(seed)
    params = ref.init_params(X.shape[1], hidden, 3, rng=rng)
    states = {k: momentum_init(w) for k, w in params.items()}
    for t in range(steps):
        _, grads = ref.network_loss(params, X, y, p_drop=p_drop, lam=lam)
        rate = cosine(t, lr0=lr, total=steps)
        for k in params:
            params[k], states[k] = momentum_step(params[k], grads[k], states[k], lr=rate,
                                                 mu=0.9)
    return params, {"note": "no history kept"}


def train_fresh_adam_state(X, y, X_val, y_val, **kw):
    """A fresh Adam state at every step is sign descent, and still learns."""
    from solutions.annealing import warmup_cosine
    rng = np.random.default_rng(0)
    params = ref.init_params(2, 32, 3, rng=rng)
    for t in range(800):
        batch = rng.permutation(len(y))[:64]
        _, grads = ref.network_loss(params, X[batch], y[batch], p_drop=0.0, lam=0.0)
        rate = warmup_cosine(t, lr0=1e-2, warmup=20, total=800)
        params = {k: adam_step(w, grads[k], adam_init(w), lr=rate)[0]
                  for k, w in params.items()}
    return params, None


# these reached the accuracy before the mechanics were graded, and still do
LEARNS_OTHERWISE = [train_constant_lr, train_full_batch_momentum, train_fresh_adam_state]


@pytest.mark.parametrize("train", LEARNS_OTHERWISE, ids=lambda f: f.__name__)
def test_a_loop_that_learns_otherwise_keeps_the_accuracy_points(train):
    check(GRADED["train"], train)
    with pytest.raises(CheckFailure):
        check(GRADED["train_steps"], train)


# ---- failure messages


def _catalogued(diagnosis) -> bool:
    """Whether a diagnosis names a catalogued mistake (a description of what
    the outputs have in common with the expected ones is not one)."""
    return diagnosis in {m.hint for g in GRADED.values() for m in g.mistakes}


def test_loss_failure_names_entry_and_numbers():
    def off_in_b1(params, X, y, **kw):
        loss, grads = ref.network_loss(params, X, y, **kw)
        grads["b1"] = grads["b1"] + 1e-3
        return loss, grads
    with pytest.raises(CheckFailure) as err:
        check(GRADED["network_loss"], off_in_b1)
    text = str(err.value)
    assert "grads.b1[" in text and "yours" in text and "expected" in text
    assert "X of shape (6, 4)" in text and not _catalogued(err.value.diagnosis)


def test_uncatalogued_wrong_loss_fails_without_a_false_diagnosis():
    def sum_not_mean(params, X, y, **kw):
        loss, grads = ref.network_loss(params, X, y, **kw)
        return loss * len(y), {k: g * len(y) for k, g in grads.items()}
    with pytest.raises(CheckFailure) as err:
        check(GRADED["network_loss"], sum_not_mean)
    assert not _catalogued(err.value.diagnosis)


@pytest.mark.parametrize("bad,needle", [
    (lambda params, X, y, **kw: None, "should return (loss, grads), got None"),
    (lambda params, X, y, **kw: (1.0,), "should return (loss, grads), got a tuple of 1"),
    (lambda params, X, y, **kw: (1.0, [1, 2]), "has no field 'W1'"),
    (lambda params, X, y, **kw: (np.ones(3), ref.network_loss(params, X, y, **kw)[1]),
     "loss should be a single number"),
    (lambda params, X, y, **kw: (Unsendable(), ref.network_loss(params, X, y, **kw)[1]),
     "your loss should be a single number, got Unsendable"),
    (lambda params, X, y, **kw: (1.0, {**ref.network_loss(params, X, y, **kw)[1],
                                       "W1": Unsendable()}),
     "your grads['W1'] should be a numpy array of shape (4, 5), got Unsendable"),
    (lambda params, X, y, **kw: 1 / 0, "raised ZeroDivisionError"),
    (lambda params, X, y, *, p_drop, lam: ref.network_loss(params, X, y, p_drop=p_drop,
                                                          lam=lam),
     "raised TypeError"),
])
def test_malformed_network_loss_gets_a_sentence(bad, needle):
    with pytest.raises(CheckFailure) as err:
        check(GRADED["network_loss"], bad)
    assert needle in str(err.value)


def test_malformed_predict_gets_a_sentence():
    def scores_not_labels(params, X):
        return np.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"]
    with pytest.raises(CheckFailure, match=r"predict\(params, X\) has shape \(30, 3\), "
                       r"expected \(30,\)"):
        check(GRADED["predict"], (scores_not_labels, ref.accuracy))


def test_train_failure_says_accuracy_and_time():
    def too_short(X, y, X_val, y_val, **kw):
        return ref.train(X, y, X_val, y_val, steps=3, warmup=1)
    with pytest.raises(CheckFailure) as err:
        check(GRADED["train"], too_short)
    text = str(err.value)
    assert "validation accuracy 0." in text and " s; it must reach at least 0.9 " in text
    assert "within 60 s" in text and not _catalogued(err.value.diagnosis)
    assert re.search(r"spirals\(200, seed=\d+\) split by train_val_split\(X, y, "
                     r"seed=\d+\)", text)


def test_accuracy_is_measured_by_the_judge_not_reported():
    def boasts(X, y, X_val, y_val, **kw):
        params, _ = ref.train(X, y, X_val, y_val, steps=3, warmup=1)
        return params, {"val_acc": np.ones(1), "accuracy": 1.0}
    with pytest.raises(CheckFailure, match=r"reached validation accuracy 0\.\d+ in"):
        check(GRADED["train"], boasts)


@pytest.mark.parametrize("bad,needle", [
    (lambda *a, **k: None, "should return (params, history), got None"),
    (lambda *a, **k: ([1], {}), "params as a dict with keys ['W1', 'b1', 'W2', 'b2'], got list"),
    (lambda *a, **k: (Unsendable(), {}), "params as a dict with keys ['W1', 'b1', 'W2', "
                                         "'b2'], got Unsendable"),
    (lambda *a, **k: ({"W1": np.zeros((2, 4))}, {}), "has no ['b1', 'W2', 'b2']"),
    (lambda *a, **k: ({"W1": Unsendable(), "b1": np.zeros(4), "W2": np.zeros((4, 3)),
                       "b2": np.zeros(3)}, {}),
     "params['W1'] should be a numpy array of floats, got Unsendable"),
    (lambda *a, **k: ({"W1": np.zeros((4, 2)), "b1": np.zeros(4), "W2": np.zeros((4, 3)),
                       "b2": np.zeros(3)}, {}), "params['W1'] has shape (4, 2), expected (2, 4)"),
    (lambda *a, **k: ({"W1": np.full((2, 4), np.nan), "b1": np.zeros(4),
                       "W2": np.zeros((4, 3)), "b2": np.zeros(3)}, {}), "nan or inf"),
    (lambda *a, **k: 1 / 0, "raised ZeroDivisionError"),
])
def test_malformed_train_gets_a_sentence(bad, needle):
    with pytest.raises(CheckFailure) as err:
        check(GRADED["train"], bad)
    assert needle in str(err.value)


def test_slow_train_fails_with_its_time(monkeypatch):
    """The run is stopped outside the sandbox at the part's time limit;
    one that ends within it but over the budget fails with its time."""
    monkeypatch.setattr(capstone, "BUDGET", 0.3)

    def slow(X, y, X_val, y_val, **kw):
        time.sleep(0.4)
        return ref.train(X, y, X_val, y_val)
    with pytest.raises(CheckFailure, match=r"your train took \d\.\d s \(validation "
                       r"accuracy 0\.9\d+\); it must finish within 0\.3 s"):
        check(GRADED["train"], slow)


def test_train_gets_copies_of_the_data():
    seen = []

    def scribbles(X, y, X_val, y_val, **kw):
        out = ref.train(X, y, X_val, y_val)
        X_val[:] = 0.0  # must not change what the check measures with
        y_val[:] = 0
        seen.append(1)
        return out
    check(GRADED["train"], scribbles)
    assert seen


def test_train_mistake_named_from_its_parameters_whatever_its_history():
    """The diagnosis matches the trained parameters alone: not the time the
    run took, nor the history the student chose to keep."""
    mistake = capstone.TRAIN_MISTAKES[0]

    def keeps_a_history(*data):
        time.sleep(0.2)
        params, _ = mistake.impl(*data)
        return params, {"loss": np.ones(20), "note": "mine"}
    with pytest.raises(CheckFailure) as err:
        check(GRADED["train"], keeps_a_history)
    assert err.value.diagnosis == mistake.hint
