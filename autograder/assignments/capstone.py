"""Assignment 7: the capstone, a small MLP trained end to end.

The pieces of assignments 1-6 that the capstone composes (layers, loss,
dropout, L2, Adam, the schedule) and the data generator are given in
locked cells whose code is taken from the reference modules at build
time, so the notebook never holds a hand-made copy. The graded parts are
the network's loss with dropout and L2, predict/accuracy and the
training loop; while a part is graded, the pieces it calls are the
course's (``Graded.uses`` in autograder/judge/capstone.py), so a slip in
one part costs points there only.
"""
from __future__ import annotations

from autograder.assignments.notebook import Assignment, Given, Markdown, Solution, Tests
from autograder.assignments.visible import capstone as visible, helpers
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
spirals, made anew at every grading run (the feedback names their seeds).
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

PREDICT = r"""
## Part 2: predict and accuracy (2 points)

`predict(params, X)` returns the label with the highest score for each
row, shape (N,): the network without dropout (inverted dropout already
scaled the kept units while training). `accuracy(params, X, y)` is the
fraction of rows whose predicted label equals `y`, a float in [0, 1].

The visible check is a network you can evaluate by hand; the grader
compares labels and accuracy with the reference on random networks.
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
`train(X_train, y_train, X_val, y_val)` with your defaults on two fresh
draws of the spirals and measures the validation accuracy of the returned
`params` itself, with the course's `predict`. Each run that reaches **0.9
within 60 seconds** earns its points (3 + 2). The first visible check
does the same on three noisy rings that it draws itself (train on
`X_train` above to see how you do on the spirals); the second runs the
last sanity check of chapter 3: without regularization the network must
overfit 20 examples to a loss near 0.
"""

GIVEN = _pieces_cells()

ASSIGNMENT = Assignment(
    name="07_capstone",
    cells=[
        Markdown(INTRO),
        *GIVEN[:-1],
        Markdown(PIECES_NOTE),
        GIVEN[-1],
        Markdown(LOSS),
        Given((helpers.numerical_gradient, helpers.relative_error),
              header="# Helpers of the visible checks (run this cell, do not change it)"),
        Solution((ref.network_loss,)),
        Tests("capstone.network_loss", 2, visible=visible.check_loss_plain, cases=(0, 1)),
        Tests("capstone.network_loss", 3, visible=visible.check_loss_dropout, cases=(2, 3, 4)),
        Markdown(PREDICT),
        Solution((ref.predict, ref.accuracy)),
        Tests("capstone.predict", 2, visible=visible.check_predict),
        Markdown(TRAIN),
        Solution((ref.train,)),
        Tests("capstone.train", 3, visible=visible.check_train, cases=(0,)),
        Tests("capstone.train", 2, visible=visible.check_overfit, cases=(1,)),
    ],
)
