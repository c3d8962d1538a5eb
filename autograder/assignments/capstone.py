"""Assignment 7: the capstone, a small MLP trained end to end.

The pieces of assignments 1-6 that the capstone composes (layers, loss,
dropout, L2, Adam, the schedule) and the data generator are given in
locked cells whose code is taken from the reference modules at build
time, so the notebook never holds a hand-made copy. The graded parts are
the network's loss with dropout and L2, predict/accuracy and the
training loop; each part's hidden check swaps the course's pieces in for
the names it calls, so a slip in one part costs points there only.
"""
from __future__ import annotations

from autograder.assignments.notebook import Assignment, Given, Markdown, Provided, Solution, Tests
from solutions import (annealing, backprop, capstone as ref, gates, problems,
                       regularization, update_rules)

# (module, names) in the order the chapters introduced them
PIECES = [
    (backprop, ("affine_forward", "affine_backward", "relu_forward",
                "relu_backward", "mlp_forward")),
    (gates, ("softmax_cross_entropy",)),
    (update_rules, ("adam_init", "adam_step")),
    (annealing, ("warmup_cosine",)),
    (regularization, ("l2_penalty", "l2_grad", "dropout_forward",
                      "dropout_backward")),
]


def _pieces_cells() -> list[Given]:
    cells = [Given(tuple(getattr(module, n) for n in names),
                   header=f"# From {module.__name__.rpartition('.')[2]} (the course's "
                          f"version; run this cell, do not change it)")
             for module, names in PIECES]
    cells.append(Given(
        (problems.spirals, ref.train_val_split),
        header="# The data: three interleaved spiral arms, generated (nothing to download)",
        footer="X, y = spirals(200, seed=0)\n"
               "X_train, y_train, X_val, y_val = train_val_split(X, y, seed=0)\n"
               "print(f'{len(y_train)} training and {len(y_val)} validation points, "
               "{X.shape[1]} inputs, {y.max() + 1} classes')"))
    return cells


INTRO = r"""
# Assignment 7: the capstone

You will train a small network end to end with the pieces you built in
assignments 1-6: scores $= \mathrm{dropout}(\mathrm{relu}(X W_1 + b_1)) W_2
+ b_2$, trained with Adam under a warm-up + cosine schedule, with inverted
dropout and an L2 penalty, on points in the plane that belong to three
interleaved spiral arms.

The next cells hold those pieces: `affine_forward/backward`,
`relu_forward/backward`, `mlp_forward`, `softmax_cross_entropy`,
`adam_init/adam_step`, `warmup_cosine`, `l2_penalty/l2_grad` and
`dropout_forward/backward`, in the course's versions. Run them. If you
would rather train with your own, paste them into a new cell after these
ones (same names, same conventions): your training then uses them. The
grader checks each part below with the course's pieces, so a slip in an
earlier assignment does not cost points here.
"""

PIECES_NOTE = r"""
The data: 600 points, 200 per class, split once into 480 for training and
120 for validation. The grader trains on two other draws of the same
spirals (seeds 1 and 2).
"""

LOSS = r"""
## Part 1: the loss of the network, with dropout and L2 (5 points)

`network_loss(params, X, y, *, p_drop, lam, rng=None, masks=None,
train=True)` returns `(loss, grads)`:

- forward: $z = X W_1 + b_1$, $h = \mathrm{relu}(z)$, then inverted
  dropout on $h$ (each unit dropped with probability `p_drop`, the kept
  ones divided by $1 - p$), scores $= h W_2 + b_2$;
- loss: mean softmax cross-entropy
  $+\ \tfrac{1}{2}\lambda\,(\lVert W_1\rVert^2 + \lVert W_2\rVert^2)$.
  The biases are **not** penalised;
- `grads`: a dict with the keys and shapes of `params`
  (`W1` (D, H), `b1` (H,), `W2` (H, C), `b2` (C,)).

Dropout happens only when `train` is True and `p_drop > 0`. With
`masks=(keep,)`, `keep` a boolean (N, H) array that is True for the units
to KEEP, that mask is used, so the result is exactly reproducible (this is
how you check gradients with dropout); otherwise the mask is drawn from
`rng`. With `train=False` nothing is dropped, nothing is rescaled and
`rng` is not touched. Do not modify `params` or `X`.

The visible checks compare your gradients with centered differences, once
without dropout (2 points) and once with a fixed mask (3 points), and run
the sanity checks of chapter 3: with tiny weights the loss is about
$\ln 3$, and it rises with $\lambda$. The grader compares loss and
gradients with the reference on other shapes, masks and values of
$\lambda$, and calls your function with `train=False`.
"""

HELPERS = r"""
import numpy as np


def numerical_gradient(f, x, h=1e-5):
    # Centered differences of f() with respect to every entry of x, which
    # is nudged in place and restored.
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        up = f()
        x[i] = old - h
        down = f()
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def rel_error(a, b):
    # Largest |a - b| / max(|a|, |b|), entries near 0 judged absolutely.
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b)))))


def small_network(seed=0, N=6, D=4, H=5, C=3):
    # Random parameters (non-zero biases), inputs and labels with every class.
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H),
              "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C)}
    return params, rng.normal(size=(N, D)), np.arange(N) % C


def earlier_parts_work():
    # The visible checks of train need network_loss (Part 1) and predict and
    # accuracy (Part 2); train calls them.
    try:
        params, X, y = small_network(seed=2)
        keep = np.random.default_rng(2).random((6, 5)) >= 0.5
        loss, grads = network_loss(params, X, y, p_drop=0.5, lam=0.1, masks=(keep,))
        for name in params:
            num = numerical_gradient(
                lambda: network_loss(params, X, y, p_drop=0.5, lam=0.1, masks=(keep,))[0],
                params[name])
            if rel_error(grads[name], num) > 1e-6:
                return False
        labels = predict(params, X)
        return np.shape(labels) == (6,) and np.isclose(accuracy(params, X, labels), 1.0)
    except Exception:
        return False
"""

LOSS_CHECK_PLAIN = r"""
params, X, y = small_network(seed=0)
loss, grads = network_loss(params, X, y, p_drop=0.0, lam=0.1)
assert sorted(grads) == ["W1", "W2", "b1", "b2"], f"grads has keys {sorted(grads)}"
for name in params:
    num = numerical_gradient(lambda: network_loss(params, X, y, p_drop=0.0, lam=0.1)[0],
                             params[name])
    err = rel_error(grads[name], num)
    assert err < 1e-6, f"d{name} differs from the numerical gradient: relative error {err:.1e}"
# sanity check: with tiny weights every class is equally likely, loss = ln 3
tiny = {k: 1e-4 * v for k, v in params.items()}
loss0 = network_loss(tiny, X, y, p_drop=0.0, lam=0.0)[0]
assert abs(loss0 - np.log(3)) < 1e-3, f"loss with tiny weights is {loss0:.4f}, expected about ln 3 = {np.log(3):.4f}"
# sanity check: more regularization, higher loss
losses = [network_loss(params, X, y, p_drop=0.0, lam=lam)[0] for lam in (0.0, 0.01, 0.1, 1.0)]
assert all(a < b for a, b in zip(losses, losses[1:])), f"loss does not rise with lam: {losses}"
"""

LOSS_CHECK_DROPOUT = r"""
params, X, y = small_network(seed=1)
keep = np.random.default_rng(1).random((6, 5)) >= 0.5
loss, grads = network_loss(params, X, y, p_drop=0.5, lam=0.1, masks=(keep,))
for name in params:
    num = numerical_gradient(
        lambda: network_loss(params, X, y, p_drop=0.5, lam=0.1, masks=(keep,))[0], params[name])
    err = rel_error(grads[name], num)
    assert err < 1e-6, f"with a fixed mask, d{name} differs from the numerical gradient: relative error {err:.1e}"
# at test time nothing is dropped: the same loss as with p_drop = 0
at_test = network_loss(params, X, y, p_drop=0.5, lam=0.1, train=False)[0]
no_drop = network_loss(params, X, y, p_drop=0.0, lam=0.1)[0]
assert np.isclose(at_test, no_drop), f"train=False gives loss {at_test}, without dropout it is {no_drop}"
"""

PREDICT = r"""
## Part 2: predict and accuracy (2 points)

`predict(params, X)` returns the label with the highest score for each
row, shape (N,): the network without dropout (inverted dropout already
scaled the kept units while training). `accuracy(params, X, y)` is the
fraction of rows whose predicted label equals `y`, a float in [0, 1].

The visible check is a network you can evaluate by hand; the grader
compares labels and accuracy with the reference on random networks.
"""

PREDICT_CHECK = r"""
params = {"W1": np.eye(2), "b1": np.zeros(2),
          "W2": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), "b2": np.array([0.0, 0.0, 0.5])}
X_hand = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, -1.0], [1.0, 0.2]])
labels = predict(params, X_hand)
assert np.shape(labels) == (4,), f"predict returned shape {np.shape(labels)}, expected (4,)"
# scores by hand: (2, 0, .5), (0, 3, .5), (0, 0, .5) after the ReLU, (1, .2, .5)
assert list(labels) == [0, 1, 2, 0], f"predict gives {list(labels)}, expected [0, 1, 2, 0]"
acc = accuracy(params, X_hand, np.array([0, 1, 1, 0]))
assert np.isclose(acc, 0.75), f"accuracy is {acc}, expected 3 right out of 4 = 0.75"
"""

TRAIN = r"""
## Part 3: the training loop (5 points)

`train(X, y, X_val, y_val, ...)` returns `(params, history)`. The
reference initialises with `init_params` (given just below), then at every
step takes the next mini-batch of a per-epoch permutation, computes
`network_loss` with dropout, and moves each parameter with its own Adam
state at the rate `warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)`
for step `t = 0, 1, ...`. Remember that `adam_step` returns the new
weights and state: it changes nothing in place. Every `eval_every` steps
it records the mean batch loss, the training and validation accuracy and
the update-to-weight ratio $\lVert W_{new} - W_{old}\rVert / \lVert
W_{old}\rVert$ of each weight matrix (about $10^{-3}$ is healthy); plot
them to see your run.

The hyperparameters are yours: the grader calls
`train(X_train, y_train, X_val, y_val)` with your defaults on two other
draws of the spirals and measures the validation accuracy of the returned
`params` with the course's `predict`. Each run that reaches **0.9 within
60 seconds** earns its points (3 + 2). The visible checks do the same on
the data above and run the last sanity check of chapter 3: without
regularization the network must overfit 20 examples to a loss near 0.
"""

TRAIN_CHECK = r"""
import time
if not earlier_parts_work():
    print("The visible checks of train need network_loss, predict and accuracy: "
          "fix the checks of Parts 1 and 2 first.")
else:
    start = time.perf_counter()
    params, history = train(X_train, y_train, X_val, y_val)
    took = time.perf_counter() - start
    val_scores = np.maximum(X_val @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
    val_acc = float(np.mean(np.argmax(val_scores, axis=1) == y_val))
    print(f"validation accuracy {val_acc:.3f} after {took:.1f} s of training")
    assert took < 60, f"training took {took:.1f} s; it must finish within 60 s"
    assert val_acc >= 0.9, f"validation accuracy {val_acc:.3f}; it must reach 0.9"
"""

OVERFIT_CHECK = r"""
if not earlier_parts_work():
    print("The visible checks of train need network_loss, predict and accuracy: "
          "fix the checks of Parts 1 and 2 first.")
else:
    # sanity check: no dropout, no penalty, 20 examples -> the loss goes to ~0
    few = np.arange(20) * (len(y_train) // 20)
    X20, y20 = X_train[few], y_train[few]
    params20, _ = train(X20, y20, X20, y20, p_drop=0.0, lam=0.0, steps=300, lr=5e-2,
                        batch_size=20)
    s = np.maximum(X20 @ params20["W1"] + params20["b1"], 0) @ params20["W2"] + params20["b2"]
    s = s - s.max(axis=1, keepdims=True)
    loss20 = float(np.mean(np.log(np.exp(s).sum(axis=1)) - s[np.arange(20), y20]))
    print(f"loss on 20 training examples after 300 steps without regularization: {loss20:.2e}")
    assert loss20 < 0.05, f"the network does not overfit 20 examples: loss {loss20:.3f}"
"""

LOSS_PIECES = ("affine_forward", "affine_backward", "relu_forward", "relu_backward",
               "softmax_cross_entropy", "dropout_forward", "dropout_backward",
               "l2_penalty", "l2_grad")
GIVEN = _pieces_cells()
TRAIN_PIECES = ("network_loss", "predict", "accuracy", "init_params", "adam_init",
                "adam_step", "warmup_cosine")

ASSIGNMENT = Assignment(
    name="07_capstone",
    cells=[
        Markdown(INTRO),
        *GIVEN[:-1],
        Markdown(PIECES_NOTE),
        GIVEN[-1],
        Markdown(LOSS),
        Provided(HELPERS),
        Solution((ref.network_loss,)),
        Tests("capstone.network_loss", "network_loss", 2, LOSS_CHECK_PLAIN, cases=(0, 1),
              uses=LOSS_PIECES),
        Tests("capstone.network_loss", "network_loss", 3, LOSS_CHECK_DROPOUT,
              cases=(2, 3, 4), uses=LOSS_PIECES),
        Markdown(PREDICT),
        Solution((ref.predict, ref.accuracy)),
        Tests("capstone.predict", "(predict, accuracy)", 2, PREDICT_CHECK,
              uses=("mlp_forward",)),
        Markdown(TRAIN),
        Solution((ref.train,)),
        Tests("capstone.train", "train", 3, TRAIN_CHECK, cases=(0,), uses=TRAIN_PIECES),
        Tests("capstone.train", "train", 2, OVERFIT_CHECK, cases=(1,), uses=TRAIN_PIECES),
    ],
)
