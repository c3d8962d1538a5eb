"""Assignment 6: weight penalties, dropout and early stopping."""
from autograder.assignments.visible import NUMERICAL_GRADIENT
from autograder.assignments.notebook import Assignment, Markdown, Provided, Solution, Tests
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
each part with the reference on its own cases and, when an answer is off,
reports where, by how much, and which common mistake produces the same
numbers when it recognises one.
"""

GIVEN = r"""
import numpy as np

""" + NUMERICAL_GRADIENT

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

L2_CHECK = r"""
w = np.array([[1.0, -2.0], [0.0, 3.0]])
w_before = w.copy()
r = l2_penalty(w, 0.5)
assert np.ndim(r) == 0, f"the penalty should be one number, got shape {np.shape(r)}"
assert np.isclose(r, 3.5, rtol=1e-12), f"l2_penalty(w, 0.5) = {r}, expected 0.5 * 0.5 * 14 = 3.5"
g = l2_grad(w, 0.5)
assert isinstance(g, np.ndarray) and g.shape == w.shape, (
    f"the gradient should be an array of shape {w.shape}, got {type(g).__name__} {np.shape(g)}")
slope = numerical_gradient(lambda v: l2_penalty(v, 0.5), w)
assert np.allclose(g, slope, rtol=1e-6, atol=1e-8), (
    f"l2_grad(w, 0.5) =\n{g}\nbut the slope of your l2_penalty is\n{slope}")
assert np.array_equal(w, w_before), "l2_penalty or l2_grad changed w"
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

L1_CHECK = r"""
w = np.array([-2.0, 0.0, 0.5, 3.0])
w_before = w.copy()
r = l1_penalty(w, 0.1)
assert np.ndim(r) == 0, f"the penalty should be one number, got shape {np.shape(r)}"
assert np.isclose(r, 0.55, rtol=1e-12), f"l1_penalty({w.tolist()}, 0.1) = {r}, expected 0.1 * 5.5 = 0.55"
g = l1_grad(w, 0.1)
assert isinstance(g, np.ndarray) and g.shape == w.shape, (
    f"the gradient should be an array of shape {w.shape}, got {type(g).__name__} {np.shape(g)}")
assert g[1] == 0.0, f"the gradient at w = 0 is {g[1]}; the convention is sign(0) = 0"
slope = numerical_gradient(lambda v: l1_penalty(v, 0.1), w)
assert np.allclose(g, slope, rtol=1e-6, atol=1e-8), (
    f"l1_grad(w, 0.1) = {g.tolist()} but the slope of your l1_penalty is {slope.tolist()}")
assert np.array_equal(w, w_before), "l1_penalty or l1_grad changed w"
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

DROPOUT_TRAIN = r"""
x = np.arange(1.0, 9.0).reshape(2, 4)
x_before = x.copy()
mask = np.array([[True, False, True, True], [False, True, True, False]])
out, cache = dropout_forward(x, 0.25, train=True, mask=mask)
expected = np.where(mask, x / 0.75, 0.0)
assert np.allclose(out, expected), f"inverted dropout, p=0.25, given mask: out =\n{out}\nexpected\n{expected}"
out, cache = dropout_forward(x, 0.5, train=True, mask=mask, mode="classic")
expected = np.where(mask, x, 0.0)
assert np.allclose(out, expected), f"classic dropout, p=0.5, given mask: out =\n{out}\nexpected\n{expected}"

dout = np.linspace(-1.0, 1.0, 8).reshape(2, 4)
for mode, p in [("inverted", 0.25), ("classic", 0.6)]:
    out, cache = dropout_forward(x, p, train=True, mask=mask, mode=mode)
    dx = dropout_backward(dout, cache)
    slope = numerical_gradient(lambda v: np.sum(dropout_forward(v, p, train=True, mask=mask, mode=mode)[0] * dout), x)
    assert np.allclose(dx, slope, rtol=1e-6, atol=1e-8), (
        f"{mode} dropout, p={p}: dx =\n{dx}\nbut the slope of sum(out * dout) is\n{slope}")
assert np.array_equal(x, x_before), "dropout_forward changed x"
"""

DROPOUT_TEST = r"""
x = np.array([[1.0, -2.0], [0.5, 4.0]])
out, cache = dropout_forward(x, 0.25, train=False)
assert np.allclose(out, x), f"inverted dropout at test time should return x, got\n{out}"
dx = dropout_backward(np.ones_like(x), cache)
assert np.allclose(dx, 1.0), f"inverted dropout at test time: dx should equal dout, got\n{dx}"
out, cache = dropout_forward(x, 0.25, train=False, mode="classic")
assert np.allclose(out, 0.75 * x), f"classic dropout at test time, p=0.25: got\n{out}\nexpected 0.75 * x"
dx = dropout_backward(np.ones_like(x), cache)
assert np.allclose(dx, 0.75), f"classic dropout at test time, p=0.25: dx should be 0.75 * dout, got\n{dx}"
"""

DROPOUT_RANDOM = r"""
# 50,000 units of value 2: the drop rate and the mean are within about 5
# standard errors of their expected values for any correct draw
x = np.full(50_000, 2.0)
for mode, p, mean in [("inverted", 0.3, 2.0), ("classic", 0.3, 1.4)]:
    out, cache = dropout_forward(x, p, train=True, rng=np.random.default_rng(0), mode=mode)
    drop = np.mean(out == 0)
    assert abs(drop - p) < 0.01, f"{mode} dropout with p={p} dropped {drop:.3f} of the units, expected about {p}"
    assert abs(out.mean() - mean) < 0.03, (
        f"{mode} dropout with p={p}: the mean output is {out.mean():.3f}, expected about {mean}")
    dx = dropout_backward(np.ones_like(x), cache)
    differ = int(np.sum((dx == 0) != (out == 0)))
    assert differ == 0, f"{mode} dropout: dx is zero where out is not (or the reverse) for {differ} units; reuse the forward mask"
again, _ = dropout_forward(x, 0.3, train=True, rng=np.random.default_rng(0))
first, _ = dropout_forward(x, 0.3, train=True, rng=np.random.default_rng(0))
assert np.array_equal(again, first), "two generators with the same seed gave different masks"
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
fractions, so a loss exactly `min_delta` below the best is a real tie, and
compares `stop` and every field of the state after every step. Points: 2
for curves with the default `min_delta` (patience 3 and 1), 2 for curves
with `min_delta > 0`, 1 for a curve with NaN losses. The visible checks
follow short curves you can trace by hand.
"""

STOPPING_PATIENCE = r"""
state = early_stopping_init()
assert state.best == float("inf") and state.best_step == state.step == state.bad_steps == 0, (
    f"the initial state is {state}, expected best=inf and zeros")
losses = [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.75, 0.75]
stops = []
for loss in losses:
    stop, state = early_stopping_step(state, loss, patience=3)
    assert isinstance(stop, (bool, np.bool_)), f"stop should be True or False, got {type(stop).__name__}"
    stops.append(bool(stop))
expected = [False] * 7 + [True]
assert stops == expected, f"losses {losses} with patience=3: stop = {stops}, expected {expected}"
got = (state.best, state.best_step, state.step, state.bad_steps)
assert got == (0.7, 5, 8, 3), f"final (best, best_step, step, bad_steps) = {got}, expected (0.7, 5, 8, 3)"
"""

STOPPING_DELTA = r"""
state = early_stopping_init()
losses = [1.0, 0.875, 0.75, 0.5, 0.375]
stops, trace = [], []
for loss in losses:
    stop, state = early_stopping_step(state, loss, patience=2, min_delta=0.25)
    stops.append(bool(stop))
    trace.append((state.best, state.best_step, state.bad_steps))
# 0.75 is exactly best - min_delta = 1.0 - 0.25: a tie, not an improvement
expected = [(1.0, 1, 0), (1.0, 1, 1), (1.0, 1, 2), (0.5, 4, 0), (0.5, 4, 1)]
assert trace == expected, (
    f"losses {losses}, min_delta=0.25: (best, best_step, bad_steps) after each step = {trace}, expected {expected}")
assert stops == [False, False, True, False, False], (
    f"losses {losses}, min_delta=0.25, patience=2: stop = {stops}, expected [False, False, True, False, False]")
"""

STOPPING_NAN = r"""
state = early_stopping_init()
stop, state = early_stopping_step(state, float("nan"), patience=2)
assert (state.best == float("inf") and state.bad_steps == 1 and not stop), (
    f"a first loss of NaN: state {state}, stop {stop}; expected best=inf, bad_steps=1, no stop")
stop, state = early_stopping_step(state, 1.0, patience=2)
stop, state = early_stopping_step(state, float("nan"), patience=2)
got = (state.best, state.best_step, state.step, state.bad_steps, bool(stop))
assert got == (1.0, 2, 3, 1, False), (
    f"losses [nan, 1.0, nan]: (best, best_step, step, bad_steps, stop) = {got}, expected (1.0, 2, 3, 1, False)")
"""

ASSIGNMENT = Assignment(
    name="06_regularization",
    cells=[
        Markdown(INTRO),
        Provided(GIVEN),
        Markdown(L2),
        Solution((ref.l2_penalty, ref.l2_grad)),
        Tests("regularization.l2", "(l2_penalty, l2_grad)", 2, L2_CHECK),
        Markdown(L1),
        Solution((ref.l1_penalty, ref.l1_grad)),
        Tests("regularization.l1", "(l1_penalty, l1_grad)", 2, L1_CHECK),
        Markdown(DROPOUT),
        Solution((ref.dropout_forward, ref.dropout_backward)),
        Tests("regularization.dropout", "(dropout_forward, dropout_backward)", 2,
              DROPOUT_TRAIN, cases=(0, 1, 4)),
        Tests("regularization.dropout", "(dropout_forward, dropout_backward)", 1,
              DROPOUT_TEST, cases=(2, 3)),
        Tests("regularization.dropout", "(dropout_forward, dropout_backward)", 2,
              DROPOUT_RANDOM, cases=(5, 6)),
        Markdown(STOPPING),
        Solution((ref.early_stopping_init, ref.early_stopping_step)),
        Tests("regularization.early_stopping", "(early_stopping_init, early_stopping_step)",
              2, STOPPING_PATIENCE, cases=(0, 2)),
        Tests("regularization.early_stopping", "(early_stopping_init, early_stopping_step)",
              2, STOPPING_DELTA, cases=(1, 3)),
        Tests("regularization.early_stopping", "(early_stopping_init, early_stopping_step)",
              1, STOPPING_NAN, cases=(4,)),
    ],
)
