"""Assignment 6: weight penalties, dropout and early stopping."""
from autograder.assignments.notebook import Assignment, Given, Markdown, Solution, Tests
from autograder.assignments.visible import helpers
from autograder.assignments.visible import regularization as visible
from solutions import regularization as ref

INTRO = r"""
# Assignment 6: regularization

You write the pieces that keep a network from fitting its training set too
well: the L2 and L1 weight penalties with their gradients, dropout
(forward and backward, in its two conventions) and early stopping as a
pure step function.

Small helpers the reference uses (input validation, the `DropoutCache` and
`EarlyStopping` records, and `_keep_mask`, which draws or checks the keep
mask) are given in locked cells just before the part that needs them; use
them and keep their field names. The cell below gives `numerical_gradient`, a
plain centered difference that the visible checks use to compare your
gradients with the slope of your own function. The grader then compares
each part with the reference on its own cases, whose numbers are drawn
anew at every grading run, and, when an answer is off, reports where, by
how much, and which common mistake produces the same numbers when it
recognises one.
"""

L2 = r"""
## Part 1: the L2 penalty (2 points)

$$
R(w) = \tfrac12 \lambda \sum_i w_i^2, \qquad
\frac{\partial R}{\partial w} = \lambda w .
$$

The $\tfrac12$ is there so that the gradient has no factor 2. Adding
$\lambda w$ to the gradient is what optimizers call weight decay. The
penalty is one number, summed in float64 (a float, also for float32 `w`);
the gradient has the shape of `w` and its dtype when that is a float one
(float32 stays float32, float64 for integer `w`). Neither function changes
`w`: the gradient is a new array.

Points: 1 for the penalty, 1 for the gradient, each graded on its own on
weights with exact zeros and negative entries, small whole numbers stored
as floats, a float32 array and an integer array, each with its own
$\lambda$ (not a whole number for the integers). The visible checks
compute a penalty and a gradient by hand and look at their dtypes.
"""

L1 = r"""
## Part 2: the L1 penalty (2 points)

$$
R(w) = \lambda \sum_i |w_i|, \qquad
\frac{\partial R}{\partial w} = \lambda \operatorname{sign}(w),
$$

with no $\tfrac12$. At the kink $w_i = 0$ the convention is
$\operatorname{sign}(0) = 0$ (what `np.sign` and PyTorch's autograd give).
Unlike L2, the pull has the same size for every nonzero weight, which
drives small weights to exactly 0. Shapes, dtypes and the rule that `w`
is not changed as in Part 1.

Points: 1 for the penalty, 1 for the gradient, on the same weights as in
Part 1, zeros included. The visible checks compute a penalty and a
gradient by hand, check the entry at 0 and look at the dtypes.
"""

DROPOUT = r"""
## Part 3: dropout (6 points)

`p` is the probability of **dropping** a unit. While training, a boolean
mask `keep` (True = kept, each with probability $1 - p$) is either given
(`mask=`) or drawn from the generator `rng` (`_keep_mask` does both).

| mode | training | test (`train=False`) |
|---|---|---|
| `"inverted"` (default) | `x * keep / (1 - p)` | `x` |
| `"classic"` | `x * keep` | `x * (1 - p)` |

Either way the test output equals the expected training output. The
backward pass reuses the forward pass's mask and scale, kept in the
`DropoutCache`: `dx = dout * keep * scale`, or `dout * scale` at test time
(`keep` is None). It must not draw a new mask.

`out` and `dx` have the shape and the dtype of `x` (float32 stays float32:
multiply by the boolean mask, not by a float64 copy of it). `out` is always
a new array, at test time too (never `x` itself, so that changing `out`
cannot change `x`), and neither pass changes its inputs `x` and `dout`.

Points, one mode at a time so that a mistake in one mode costs only its
cells: 1 for each mode in training with a given mask (a float32 input
included; `out` and `dx` must match to rounding), 1 for each mode at test
time (float32 included), 1 for each mode with masks drawn from a seeded
`rng` on 20,000 units, where the grader measures the drop rate, the mean
output over the mean input, and whether `dx` is zero exactly where `out`
is. The inverted cells also call without `mode` (the default). Every case
with a given mask or at test time checks the dtypes and that `x` and
`dout` come back as they went in. The visible
checks do the same on small and large inputs, and compare your `dx` with
`numerical_gradient` of `sum(out * dout)` for a fixed mask.
"""

STOPPING = r"""
## Part 4: early stopping (5 points)

Early stopping watches the validation loss once per evaluation. The state
is an `EarlyStopping(best, best_step, step, bad_steps)` record;
`early_stopping_init()` returns `best = inf` and zeros. Each call of
`early_stopping_step(state, val_loss, patience=..., min_delta=...)`
returns `(stop, new_state)` without changing `state` (the grader reads the
old state again after each step):

1. `step` goes up by 1 (steps count from 1);
2. the loss is an improvement only if `val_loss < best - min_delta`
   (strictly lower; a NaN loss never is): then `best = val_loss`,
   `best_step = step`, `bad_steps = 0`;
3. otherwise `bad_steps` goes up by 1;
4. `stop = bad_steps >= patience`, a bool: training stops after
   `patience` evaluations in a row without improvement (and the weights
   saved at `best_step` are restored).

The grader feeds scripted loss curves whose values are exact binary
fractions, so a loss exactly `min_delta` below the best is a real tie
(each grading run rescales and shifts them), and compares `stop` and every
field of the state after every step. Points: 2 for curves with the default
`min_delta` (patience 3 and 1), 2 for curves with `min_delta > 0` (one of
them with a loss exactly `min_delta` below the best), 1 for curves with
NaN losses (one of them starts with NaN, so `best` is still `inf` after
it). The visible checks follow short curves you can trace by hand.
"""

ASSIGNMENT = Assignment(
    name="06_regularization",
    cells=[
        Markdown(INTRO),
        Given((helpers.numerical_gradient,),
              header="# Given: the numerical gradient the visible checks use"),
        Markdown(L2),
        Solution((ref.l2_penalty, ref.l2_grad)),
        Tests("regularization.l2", 1, visible=visible.check_l2_penalty, cases=(0, 1, 2, 3)),
        Tests("regularization.l2", 1, visible=visible.check_l2_grad, cases=(4, 5, 6, 7)),
        Markdown(L1),
        Solution((ref.l1_penalty, ref.l1_grad)),
        Tests("regularization.l1", 1, visible=visible.check_l1_penalty, cases=(0, 1, 2, 3)),
        Tests("regularization.l1", 1, visible=visible.check_l1_grad, cases=(4, 5, 6, 7)),
        Markdown(DROPOUT),
        Solution((ref.dropout_forward, ref.dropout_backward)),
        Tests("regularization.dropout", 1, visible=visible.check_dropout_train_inverted,
              cases=(0, 1)),
        Tests("regularization.dropout", 1, visible=visible.check_dropout_train_classic,
              cases=(2, 3)),
        Tests("regularization.dropout", 1, visible=visible.check_dropout_test_inverted,
              cases=(4, 5)),
        Tests("regularization.dropout", 1, visible=visible.check_dropout_test_classic,
              cases=(6, 7)),
        Tests("regularization.dropout", 1, visible=visible.check_dropout_random_inverted,
              cases=(8, 9)),
        Tests("regularization.dropout", 1, visible=visible.check_dropout_random_classic,
              cases=(10, 11)),
        Markdown(STOPPING),
        Solution((ref.early_stopping_init, ref.early_stopping_step)),
        Tests("regularization.early_stopping", 2, visible=visible.check_stopping_patience,
              cases=(0, 2)),
        Tests("regularization.early_stopping", 2, visible=visible.check_stopping_delta,
              cases=(1, 3)),
        Tests("regularization.early_stopping", 1, visible=visible.check_stopping_nan,
              cases=(4, 5)),
    ],
)
