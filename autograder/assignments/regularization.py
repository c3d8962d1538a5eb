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
penalty is one number, summed in float64; the gradient has the shape of
`w` (float64 for integer `w`, float32 stays float32).

The grader uses weights with exact zeros and negative entries, small
whole numbers stored as floats, and a float32 array, each with its own
$\lambda$. The visible checks compute one penalty by hand and compare
your gradient with `numerical_gradient` applied to your penalty.
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
drives small weights to exactly 0. Shapes and dtypes as in Part 1.

The grader uses the same weights as in Part 1, zeros included. The
visible checks compute one penalty by hand, compare your gradient with
the slope of your penalty and check the entry at 0.
"""

DROPOUT = r"""
## Part 3: dropout (5 points)

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

Points: 2 for training with a given mask in both modes (float32 input
included; `out` and `dx` must match to rounding), 1 for test time in both
modes, 2 for masks drawn from a seeded `rng` on 20,000 units, where the
grader measures the drop rate, the mean output over the mean input, and
whether `dx` is zero exactly where `out` is. The visible checks do the
same on small and large inputs, and compare your `dx` with `numerical_gradient`
of `sum(out * dout)` for a fixed mask.
"""

STOPPING = r"""
## Part 4: early stopping (5 points)

Early stopping watches the validation loss once per evaluation. The state
is an `EarlyStopping(best, best_step, step, bad_steps)` record;
`early_stopping_init()` returns `best = inf` and zeros. Each call of
`early_stopping_step(state, val_loss, patience=..., min_delta=...)`
returns `(stop, new_state)` without changing `state`:

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
`min_delta` (patience 3 and 1), 2 for curves with `min_delta > 0`, 1 for a
curve with NaN losses. The visible checks
follow short curves you can trace by hand.
"""

ASSIGNMENT = Assignment(
    name="06_regularization",
    cells=[
        Markdown(INTRO),
        Given((helpers.numerical_gradient,),
              header="# Given: the numerical gradient the visible checks use"),
        Markdown(L2),
        Solution((ref.l2_penalty, ref.l2_grad)),
        Tests("regularization.l2", 2, visible=visible.check_l2),
        Markdown(L1),
        Solution((ref.l1_penalty, ref.l1_grad)),
        Tests("regularization.l1", 2, visible=visible.check_l1),
        Markdown(DROPOUT),
        Solution((ref.dropout_forward, ref.dropout_backward)),
        Tests("regularization.dropout", 2, visible=visible.check_dropout_train,
              cases=(0, 1, 4)),
        Tests("regularization.dropout", 1, visible=visible.check_dropout_test, cases=(2, 3)),
        Tests("regularization.dropout", 2, visible=visible.check_dropout_random,
              cases=(5, 6)),
        Markdown(STOPPING),
        Solution((ref.early_stopping_init, ref.early_stopping_step)),
        Tests("regularization.early_stopping", 2, visible=visible.check_stopping_patience,
              cases=(0, 2)),
        Tests("regularization.early_stopping", 2, visible=visible.check_stopping_delta,
              cases=(1, 3)),
        Tests("regularization.early_stopping", 1, visible=visible.check_stopping_nan,
              cases=(4,)),
    ],
)
