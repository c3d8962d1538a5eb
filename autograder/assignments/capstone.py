"""Assignment 7: the capstone, a small MLP trained end to end.

The pieces of assignments 1-6 that the capstone composes (layers, loss,
dropout, L2, Adam, the schedule) and the data generator are given in
locked cells whose code is taken from the reference modules at build
time, so the notebook never holds a hand-made copy. The graded parts are
the network's loss with dropout and L2, predict/accuracy and the
training loop; while a part is graded, the pieces it calls are the
course's (``Graded.uses`` in autograder/judge/capstone.py), so a slip in
one part costs points there only. The training loop is graded on what it
reaches (two cells) and on how it trains (five cells of one point, one per
thing the grader watches: the batches, the loss of each step, the lr, what
is carried between steps, the history), with a given helper, watch_train,
for the visible checks of the latter.
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
`rng` is not touched (nothing is drawn from it). None of the inputs
changes: `params`, `X`, `y` and the mask are as they were after the call
(careful with `g = params["W1"]` followed by `g += ...`: that is no copy).

The visible checks compare your gradients with centered differences, once
without dropout (2 points) and once with a fixed mask (3 points), and run
the sanity checks of chapter 3: with tiny weights the loss is about
$\ln 3$, and it rises with $\lambda$. The grader compares loss and
gradients with the reference on other shapes, masks and values of
$\lambda$, calls your function with `train=False` and an `rng` it checks
afterwards, and checks on every call that your inputs are unchanged.
"""

PREDICT = r"""
## Part 2: predict and accuracy (2 points)

`predict(params, X)` returns the label with the highest score for each
row, shape (N,): the network without dropout (inverted dropout already
scaled the kept units while training). Where several classes share the
highest score, the label is the lowest of them (as `np.argmax` picks).
`accuracy(params, X, y)` is the fraction of rows whose predicted label
equals `y`, a float in [0, 1]. Neither changes its inputs.

The visible check is a network you can evaluate by hand; the grader
compares labels and accuracy with the reference on random networks, one
of them with two classes whose scores tie on every row.
"""

TRAIN = r"""
## Part 3: the training loop (10 points)

`train(X, y, X_val, y_val, ...)` returns `(params, history)`. It
initialises with `init_params` (given just below), drawing from one
`rng = np.random.default_rng(seed)`, then for each step
`t = 0, 1, ..., steps - 1`:

- it takes the next `batch_size` rows of a permutation of the training
  rows, a new permutation at the start of every epoch (an epoch is one
  pass over `X`; when fewer than `batch_size` rows are left, the next
  epoch starts), with the labels of the same rows;
- it computes `network_loss` on that batch at the current weights, with
  dropout (`p_drop` and the one `rng`, so each step drops other units) and
  the penalty `lam`;
- it moves each of `W1`, `b1`, `W2`, `b2` with `adam_step` at the rate
  `warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)` (so the first
  update has lr = 0), passing the gradient as `network_loss` returned it
  (the L2 term is already in it: no `weight_decay`). Each parameter has
  its own Adam state, made once by `adam_init` before the loop.
  Remember that `adam_step` returns the new weights and state: it changes
  nothing in place, so keep both for the next step.

After every `eval_every`-th step and after the last one, `history` (a dict
of arrays) gains one entry in each of its arrays: `"step"` (the number of
updates done), `"loss"` (the mean batch loss since the previous entry),
`"train_acc"` and `"val_acc"` (the accuracy of the params at that point,
without dropout, on all of `X, y` and on `X_val, y_val`), and
`"ratio_W1"`, `"ratio_W2"`, the update-to-weight ratio
$\lVert W_{new} - W_{old}\rVert / \lVert W_{old}\rVert$ of each weight
matrix (about $10^{-3}$ is healthy); plot them to see your run.

The hyperparameters are yours: the grader calls
`train(X_train, y_train, X_val, y_val)` with your defaults on two fresh
draws of the spirals and measures the validation accuracy of the returned
`params` itself, with the course's `predict`. Each run that reaches **0.9
within 60 seconds** earns its points (3 + 2). The first visible check
does the same on three noisy rings that it draws itself (train on
`X_train` above to see how you do on the spirals); the second runs the
last sanity check of chapter 3: without regularization the network must
overfit 20 examples to a loss near 0.

Reaching the accuracy is not all: the next five cells (1 point each)
check how `train` trains. The grader calls it with small settings of its
own (a dozen steps, batches of a few rows, `hidden` of 4 to 6) on random
points, and watches every call it makes of `network_loss` and `adam_step`
(it looks them up where `train` finds them, so call them by those names,
in `train` or in helpers of yours, and give `network_loss` rows of `X` as
they are). Each cell checks one thing: the rows each step trains on; the
loss of each step (dropout and `lam` as given, the current weights, the
gradient passed on unchanged); the lr of each step; what is carried from
step to step (the weights and each parameter's Adam state that
`adam_step` returned); and the entries of `history` (`"step"`,
`"train_acc"` and `"val_acc"`; the loss and the ratios are for your plots
and are not graded). The visible checks of these cells do the same on
data of their own.
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
        Given((visible.small_problem, visible.watch_train),
              header="# Helper of the visible checks below (run this cell, do not change it)"),
        Tests("capstone.train_steps", 1, visible=visible.check_batches, cases=(0,)),
        Tests("capstone.train_steps", 1, visible=visible.check_step_loss, cases=(1,)),
        Tests("capstone.train_steps", 1, visible=visible.check_schedule, cases=(2,)),
        Tests("capstone.train_steps", 1, visible=visible.check_carried, cases=(3,)),
        Tests("capstone.train_steps", 1, visible=visible.check_history, cases=(4,)),
    ],
)
