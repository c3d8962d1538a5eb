"""Assignment 2: gates, activations and losses, each with its gradient."""
from autograder.assignments.visible import GRADIENT_HELPERS
from autograder.assignments.notebook import Assignment, Markdown, Provided, Solution, Tests
from solutions import gates as ref

INTRO = r"""
# Assignment 2: patterns of gradient flow

A gate is a pair of functions: `<name>_forward(inputs) -> (out, cache)` and
`<name>_backward(dout, cache) -> gradients`, where `dout` is the upstream
gradient dL/dout and the gradients come back in the order of the forward's
array arguments, each with the shape of its input. What goes in the cache is
up to you. The two losses are single functions returning `(loss, dscores)`.

Under each part, visible checks test small cases you can verify by hand,
properties that must hold, and your gradients against numerical ones
(centered differences $(f(x + h) - f(x - h)) / 2h$ with $h = 10^{-5}$,
computed by `numerical_gradient` in the next cell). When you submit, the
grader compares your code with a reference on cases of its own: exact ties,
inputs exactly at 0, hinge terms exactly at their kink, non-square shapes
and inputs or scores around $\pm 1000$. A failing check names the case,
the entry, your value and the expected one.

Write your code only where it says `raise NotImplementedError()`. Do not
let numpy warn (overflow, division by zero, invalid value): a test cell
that prints a warning scores 0.
"""

HELPERS = r'''
import numpy as np


''' + GRADIENT_HELPERS + r'''


def loss_errors(loss_fn, scores, *args):
    """Relative error between the dscores of loss_fn(scores, *args) ->
    (loss, dscores) and the numerical gradient of the loss."""
    scores = np.array(scores, dtype=float)
    _, dscores = loss_fn(scores.copy(), *args)
    assert np.shape(dscores) == scores.shape, (
        f"dscores has shape {np.shape(dscores)}, scores have shape {scores.shape}")
    numerical = numerical_gradient(lambda s: float(loss_fn(s.copy(), *args)[0]), scores)
    return relative_error(dscores, numerical)
'''

MAX = r"""
## Part 1: the max gate (3 points)

`out = max(x, y)` elementwise (x and y have the same shape here). The max
gate **routes**: the whole upstream gradient goes to the input that won and
0 to the other, so `dx + dy == dout` everywhere. Tie rule used by the
grader: where `x == y`, the first argument x wins and gets all of `dout`
(PyTorch's `torch.maximum` would give half to each).
`max_backward(dout, cache)` returns `(dx, dy)`.

The visible checks: a small case without ties, `dx + dy == dout` and the
tie rule on an input with ties, and a numerical check. The first test cell
grades a case without ties, the second cases with ties (including values
around $\pm 1000$ that differ by 1).
"""

MAX_CHECK = r"""
x, y = np.array([[1.0, -4.0], [3.0, 2.5]]), np.array([[2.0, -5.0], [0.0, 7.0]])
dout = np.array([[10.0, 20.0], [30.0, 40.0]])
out, cache = max_forward(x, y)
dx, dy = max_backward(dout, cache)
assert np.array_equal(out, [[2.0, -4.0], [3.0, 7.0]]), f"max_forward gives {out}"
assert np.array_equal(dx, [[0.0, 20.0], [30.0, 0.0]]) and np.array_equal(dy, [[10.0, 0.0], [0.0, 40.0]]), (
    f"max_backward gives dx = {dx}, dy = {dy}: the winner gets dout, the other 0")
rng = np.random.default_rng(0)
errors = backward_errors(max_forward, max_backward, [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))])
assert max(errors) < 1e-5, f"relative errors of (dx, dy) against numerical gradients: {errors}"
"""

MAX_TIES_CHECK = r"""
x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
y = np.array([[1.0, 0.0, 3.0], [4.0, -1.0, 5.0]])
dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
dx, dy = max_backward(dout, max_forward(x, y)[1])
assert np.array_equal(dx + dy, dout), f"dx + dy should equal dout everywhere, got {dx + dy}"
tie = x == y
assert np.array_equal(dx[tie], dout[tie]), f"on a tie x == y all of dout goes to x: dx there is {dx[tie]}"
"""

SIGMOID = r"""
## Part 2: the sigmoid (3 points)

$s = \sigma(x) = 1 / (1 + e^{-x})$ elementwise, any shape, and
$dx = \text{dout} \cdot s (1 - s)$ (store what the backward pass needs).
The formula as written overflows: `np.exp(1000.0)` is `inf` and numpy warns.
Compute $s$ so that `np.exp` never sees a positive argument (hint:
$e^{-|x|}$ is at most 1, and $\sigma(x) = e^{x} / (1 + e^{x})$ for
$x < 0$). The grader also tries a float32 x and accepts float32 precision
there.

The visible checks: $\sigma(0) = 1/2$ with slope $1/4$, a numerical check,
and no warning at $x = \pm 1000$, where $s$ is exactly 0 and 1. The second
test cell grades inputs from -1000 to 1000 and counts any floating-point
warning as wrong.
"""

SIGMOID_CHECK = r"""
out, cache = sigmoid_forward(np.zeros(3))
dx = sigmoid_backward(np.array([1.0, 2.0, -4.0]), cache)
assert np.allclose(out, 0.5), f"sigmoid(0) is 1/2, yours {out}"
assert np.allclose(dx, [0.25, 0.5, -1.0]), f"the slope at 0 is 1/4, so dx = dout/4; yours {dx}"
error = backward_errors(sigmoid_forward, sigmoid_backward, [np.random.default_rng(1).standard_normal((3, 4)) * 3])[0]
assert error < 1e-5, f"dx differs from the numerical gradient (relative error {error:.1e})"
"""

SIGMOID_STABLE_CHECK = r"""
x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
try:
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out, cache = sigmoid_forward(x)
        dx = sigmoid_backward(np.ones(5), cache)
except FloatingPointError as err:
    raise AssertionError(f"numpy warned at x = {x}: {err}") from None
assert out[0] == 0.0 and out[-1] == 1.0 and out[2] == 0.5, f"sigmoid({x}) gives {out}"
assert np.all(np.isfinite(dx)) and dx[0] == 0.0 and dx[-1] == 0.0, f"dx at {x} is {dx}"
"""

PRELU = r"""
## Part 3: Parametric ReLU (4 points)

$\text{out} = x$ where $x > 0$ and $a x$ elsewhere, with a learned slope
$a$: either one slope shared by every entry (`a` of shape `()`) or one per
feature (`a` of shape `(D,)` with `D = x.shape[-1]`, broadcast along the
last axis). `prelu_backward(dout, cache)` returns `(dx, da)`:

* $dx = \text{dout}$ where $x > 0$, $a \cdot \text{dout}$ elsewhere
  (at exactly $x = 0$ the negative branch is used, as in PyTorch);
* $da = \sum \text{dout} \cdot x$ over the entries with $x \le 0$ that share
  the slope, so `da` has the shape of `a`.

Pick the branch by the sign of x: `max(x, a * x)` is PReLU only while
$0 \le a \le 1$, and the grader uses slopes above 1 and below 0.
The visible checks: a case with a 0 you can verify by hand (shared slope)
and numerical checks of dx and da for a per-feature slope. The first test
cell grades a shared slope, the second per-feature slopes.
"""

PRELU_CHECK = r"""
x, a = np.array([[-2.0, 0.0, 3.0], [1.0, -1.0, 0.5]]), np.array(0.1)
dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
out, cache = prelu_forward(x, a)
dx, da = prelu_backward(dout, cache)
assert np.allclose(out, [[-0.2, 0.0, 3.0], [1.0, -0.1, 0.5]]), f"prelu_forward gives {out}"
assert np.allclose(dx, [[0.1, 0.2, 3.0], [4.0, 0.5, 6.0]]), (
    f"prelu_backward gives dx = {dx}: slope 1 where x > 0, a elsewhere (x == 0 included)")
assert np.shape(da) == (), f"a has shape (), so da should too, got {np.shape(da)}"
assert np.isclose(da, -7.0), f"da = sum of dout * x over x <= 0 = -2*1 + 0*2 - 1*5 = -7, yours {da}"
"""

PRELU_FEATURE_CHECK = r"""
rng = np.random.default_rng(2)
x, a = rng.standard_normal((5, 3)), np.array([0.2, 1.5, -0.5])
errors = backward_errors(prelu_forward, prelu_backward, [x, a])
assert errors[0] < 1e-5, f"dx differs from the numerical gradient (relative error {errors[0]:.1e})"
assert errors[1] < 1e-5, f"da differs from the numerical gradient (relative error {errors[1]:.1e})"
"""

CE = r"""
## Part 4: softmax cross-entropy (4 points)

For scores of shape (N, C) and integer labels y of shape (N,),
$p_{n} = \text{softmax}(s_{n})$ over the classes of each row and

$$L = -\frac{1}{N} \sum_n \log p_{n, y_n}, \qquad
\frac{\partial L}{\partial s} = \frac{1}{N}\left(p - \text{onehot}(y)\right).$$

`softmax_cross_entropy(scores, y)` returns `(loss, dscores)` with `loss` a
float. Subtract each row's maximum before exponentiating (the softmax does
not change) and form $\log p$ as $(s - \max s) - \log \sum e^{s - \max s}$,
so that scores around $\pm 1000$ give finite results without a warning.

The visible checks: zero scores give $\ln C$ (2.302585 for C = 10), each row
of dscores sums to 0, a numerical check, and huge scores stay finite. The
second test cell grades scores around $\pm 1000$.
"""

CE_CHECK = r"""
loss, dscores = softmax_cross_entropy(np.zeros((4, 10)), np.array([0, 3, 9, 3]))
assert np.isclose(loss, np.log(10)), f"with zero scores the loss is ln(10) = 2.302585, yours {loss}"
rng = np.random.default_rng(3)
scores, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
_, dscores = softmax_cross_entropy(scores, y)
assert np.allclose(dscores.sum(axis=1), 0.0), f"each row of dscores should sum to 0, got {dscores.sum(axis=1)}"
error = loss_errors(softmax_cross_entropy, scores, y)
assert error < 1e-5, f"dscores differs from the numerical gradient (relative error {error:.1e})"
"""

CE_LARGE_CHECK = r"""
scores, y = np.array([[1000.0, -1000.0, 0.0], [-500.0, 700.0, 699.0]]), np.array([1, 2])
try:
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, dscores = softmax_cross_entropy(scores, y)
except FloatingPointError as err:
    raise AssertionError(f"numpy warned for scores around 1000: {err}") from None
assert np.isfinite(loss) and np.all(np.isfinite(dscores)), f"loss {loss}, dscores {dscores}"
# row 0: -log p = 1000 - (-1000) + log(1 + tiny terms); row 1: 700 - 699 + log(1 + e^-1 + ...)
expected = (2000.0 + 1.0 + np.log1p(np.exp(-1.0))) / 2
assert np.isclose(loss, expected), f"loss for scores {scores.tolist()}, y = {y.tolist()}: yours {loss}, expected {expected}"
"""

SVM = r"""
## Part 5: multiclass SVM (hinge) loss (4 points)

For scores (N, C), labels y (N,) and a margin $\Delta$ (default 1):

$$L = \frac{1}{N} \sum_n \sum_{j \ne y_n} \max(0,\ s_{n,j} - s_{n,y_n} + \Delta).$$

A term is *active* when it is strictly positive; each active term adds
$+1/N$ to `dscores[n, j]` and $-1/N$ to `dscores[n, y_n]`. A term exactly
at the kink (equal to 0) counts as inactive, like ReLU's slope at 0.
`svm_loss(scores, y, margin=1.0)` returns `(loss, dscores)`.
(PyTorch's `multi_margin_loss` also divides by C; this course does not.)

The visible checks: a case you can verify by hand, with two terms exactly
at the kink, each row of dscores summing to 0, and a numerical check away
from kinks with margin 0.5. The first test cell grades integer-valued
scores (many terms at the kink) and a margin of 2, the second random and
huge scores.
"""

SVM_CHECK = r"""
scores, y = np.array([[3.0, 1.0, 2.0], [0.0, 2.0, 1.0]]), np.array([0, 2])
loss, dscores = svm_loss(scores, y)
# row 0: terms max(0, 1 - 3 + 1) = 0 and max(0, 2 - 3 + 1) = 0 (at the kink)
# row 1: terms max(0, 0 - 1 + 1) = 0 (at the kink) and max(0, 2 - 1 + 1) = 2
assert np.isclose(loss, 1.0), f"loss = (0 + 2) / 2 = 1, yours {loss}"
assert np.allclose(dscores, [[0, 0, 0], [0, 0.5, -0.5]]), (
    f"dscores should be [[0, 0, 0], [0, 0.5, -0.5]] (terms at the kink are inactive), yours {dscores}")
loss2, _ = svm_loss(scores, y, margin=2.0)
assert np.isclose(loss2, 2.5), (
    f"with margin 2 the terms are 0 and 1 (row 0), 1 and 3 (row 1): loss (1 + 1 + 3) / 2 = 2.5, yours {loss2}")
"""

SVM_RANDOM_CHECK = r"""
rng = np.random.default_rng(4)
scores, y = rng.standard_normal((6, 4)), np.array([0, 1, 2, 3, 0, 1])
_, dscores = svm_loss(scores, y, 0.5)
assert np.allclose(dscores.sum(axis=1), 0.0), f"each row of dscores should sum to 0, got {dscores.sum(axis=1)}"
error = loss_errors(svm_loss, scores, y, 0.5)
assert error < 1e-5, f"dscores differs from the numerical gradient (relative error {error:.1e})"
"""

ASSIGNMENT = Assignment(
    name="02_gates",
    cells=[
        Markdown(INTRO),
        Provided(HELPERS),
        Markdown(MAX),
        Solution((ref.max_forward, ref.max_backward)),
        Tests("gates.max_gate", "(max_forward, max_backward)", 1, MAX_CHECK, cases=(1,)),
        Tests("gates.max_gate", "(max_forward, max_backward)", 2, MAX_TIES_CHECK,
              cases=(0, 2)),
        Markdown(SIGMOID),
        Solution((ref.sigmoid_forward, ref.sigmoid_backward)),
        Tests("gates.sigmoid", "(sigmoid_forward, sigmoid_backward)", 2, SIGMOID_CHECK,
              cases=(0, 2)),
        Tests("gates.sigmoid", "(sigmoid_forward, sigmoid_backward)", 1,
              SIGMOID_STABLE_CHECK, cases=(1,)),
        Markdown(PRELU),
        Solution((ref.prelu_forward, ref.prelu_backward)),
        Tests("gates.prelu", "(prelu_forward, prelu_backward)", 2, PRELU_CHECK, cases=(0,)),
        Tests("gates.prelu", "(prelu_forward, prelu_backward)", 2, PRELU_FEATURE_CHECK,
              cases=(1, 2)),
        Markdown(CE),
        Solution((ref.softmax_cross_entropy,)),
        Tests("gates.softmax_cross_entropy", "softmax_cross_entropy", 2, CE_CHECK,
              cases=(0, 2)),
        Tests("gates.softmax_cross_entropy", "softmax_cross_entropy", 2, CE_LARGE_CHECK,
              cases=(1,)),
        Markdown(SVM),
        Solution((ref.svm_loss,)),
        Tests("gates.svm_loss", "svm_loss", 2, SVM_CHECK, cases=(0, 1)),
        Tests("gates.svm_loss", "svm_loss", 2, SVM_RANDOM_CHECK, cases=(2, 3)),
    ],
)
