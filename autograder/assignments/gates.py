"""Assignment 2: gates, activations and losses, each with its gradient."""
from autograder.assignments.notebook import Assignment, Given, Markdown, Solution, Tests
from autograder.assignments.visible import gates as visible, helpers
from solutions import gates as ref

INTRO = r"""
# Assignment 2: patterns of gradient flow

A gate is a pair of functions: `<name>_forward(inputs) -> (out, cache)` and
`<name>_backward(dout, cache) -> gradients`, where `dout` is the upstream
gradient dL/dout and the gradients come back in the order of the forward's
array arguments, each with the shape of its input. What goes in the cache is
up to you. The two losses are single functions returning `(loss, dscores)`.

Three rules hold for every function of this assignment:

* **Inputs are left unchanged.** Do not write into the arrays passed to
  your functions (`x`, `y`, `a`, `dout`, `scores`, the labels): in a network
  the caller uses the same arrays again (an upstream gradient often reaches
  several gates, a layer's output is also in another layer's cache). Return
  new arrays; no `x[...] = ...`, `+=` or `out=` on an argument, and no
  `dx = dout` followed by changes to `dx`. Arrays you made yourself are
  yours to change, in your cache too; an input kept in the cache is still
  the caller's. The first test cell of each part checks this.
* **A float array keeps its dtype**: float64 inputs give float64 results
  (the sigmoid also gets float32 inputs, see Part 2). The losses also take
  integer score arrays, as typed by hand (`np.array([[3, 1, 2]])`), and give
  float64 results for them.
* **No numpy warnings** (overflow, division by zero, invalid value): a test
  cell that prints a warning scores 0, and every hidden check counts a
  warning as wrong.

Under each part, visible checks test small cases you can verify by hand,
properties that must hold, and your gradients against numerical ones
(centered differences $(f(x + h) - f(x - h)) / 2h$ with $h = 10^{-5}$,
computed by `numerical_gradient` in the next cell, which also defines
`relative_error`, `backward_errors` for a gate and `loss_errors` for a
loss). When you submit, the grader compares your code with a reference on
cases of its own, whose numbers are drawn anew at every grading run: exact
ties, inputs exactly at 0, hinge terms exactly at their kink, non-square
and 3-D shapes, inputs or scores around $\pm 1000$, float32 inputs, integer
score arrays and a margin left at its default. Each test cell grades one
thing, said under each part, and a mistake costs the points of the cells
that grade what it gets wrong. A failing check states the case's inputs
and names the entry, your value and the expected one.

Write your code only where it says `raise NotImplementedError()`.
"""

MAX = r"""
## Part 1: the max gate (3 points)

`out = max(x, y)` elementwise (x and y are float arrays of the same shape
here). The max gate **routes**: the whole upstream gradient goes to the
input that won and 0 to the other, so `dx + dy == dout` everywhere. Tie
rule used by the grader: where `x == y`, the first argument x wins and gets
all of `dout` (PyTorch's `torch.maximum` would give half to each).
`max_backward(dout, cache)` returns `(dx, dy)`.

The visible checks: a small case without ties (whose inputs must come back
unchanged), `dx + dy == dout` and the tie rule on an input with ties, and a
numerical check. The first test cell grades a case without ties and checks
that `x`, `y` and `dout` are left unchanged; the second grades cases with
ties (including values around $\pm 1000$ that differ by 1).
"""

SIGMOID = r"""
## Part 2: the sigmoid (3 points)

$s = \sigma(x) = 1 / (1 + e^{-x})$ elementwise, for x of any shape, and
$dx = \text{dout} \cdot s (1 - s)$ (store what the backward pass needs).
The formula as written overflows: `np.exp(1000.0)` is `inf` and numpy warns.
Compute $s$ so that `np.exp` never sees a positive argument (hint:
$e^{-|x|}$ is at most 1, and $\sigma(x) = e^{x} / (1 + e^{x})$ for
$x < 0$).

Activations often run in float32: a float32 x (with a float32 `dout`) gives
float32 `s` and `dx`, and a float64 x float64 ones. Nothing in the formula
needs a conversion; `np.asarray(x, dtype=float)`, `x.astype(float)`,
`np.zeros(x.shape)` and `np.float64` constants all turn float32 into
float64, and `astype(np.float32)` loses float64's precision. For float32
inputs the grader accepts float32 precision.

The visible checks: $\sigma(0) = 1/2$ with slope $1/4$ and a numerical
check on a 3-D x; the dtypes for a float32 x; no warning at $x = \pm 1000$,
where $s$ is exactly 0 and 1. The first test cell grades a 3-D float64 x
and checks that `x` and `dout` are left unchanged, the second a float32 x
(values and dtypes), the third inputs from -1000 to 1000.
"""

PRELU = r"""
## Part 3: Parametric ReLU (4 points)

$\text{out} = x$ where $x > 0$ and $a x$ elsewhere, for x of any shape, with
a learned slope $a$: either one slope shared by every entry (`a` of shape
`()`) or one per feature (`a` of shape `(D,)` with `D = x.shape[-1]`,
broadcast along the LAST axis: `a * x` as it is; PyTorch's `prelu` puts it
on axis 1 instead, which is the same only for a 2-D x).
`prelu_backward(dout, cache)` returns `(dx, da)`:

* $dx = \text{dout}$ where $x > 0$, $a \cdot \text{dout}$ elsewhere
  (at exactly $x = 0$ the negative branch is used, as in PyTorch);
* $da = \sum \text{dout} \cdot x$ over the entries with $x \le 0$ that share
  the slope, so `da` has the shape of `a`: for a per-feature slope, the
  sum runs over every axis of x but the last (axis 0 alone is enough only
  for a 2-D x).

Pick the branch by the sign of x: `max(x, a * x)` is PReLU only while
$0 \le a \le 1$, and the grader uses slopes above 1 and below 0.
The visible checks: a case with a 0 you can verify by hand (shared slope,
inputs left unchanged) and numerical checks of dx and da for a per-feature
slope, on a 2-D and on a 3-D x. The first test cell grades a shared slope
and checks that `x`, `a` and `dout` are left unchanged, the second
per-feature slopes on 2-D x, the third per-feature slopes on 3-D x.
"""

CE = r"""
## Part 4: softmax cross-entropy (4 points)

For scores of shape (N, C) (floats, or an integer array) and integer labels
y of shape (N,), $p_{n} = \text{softmax}(s_{n})$ over the classes of each
row and

$$L = -\frac{1}{N} \sum_n \log p_{n, y_n}, \qquad
\frac{\partial L}{\partial s} = \frac{1}{N}\left(p - \text{onehot}(y)\right).$$

`softmax_cross_entropy(scores, y)` returns `(loss, dscores)` with `loss` a
float and `dscores` a float64 array, for integer scores too. Subtract each
row's OWN maximum before exponentiating (the softmax does not change; the
largest score of the whole batch would not do for a row far below it) and
form $\log p$ as $(s - \max s) - \log \sum e^{s - \max s}$, never as the
log of the softmax (which underflows to 0 for a class far below its row's
maximum), so that scores around $\pm 1000$ give finite, exact results
without a warning.

The visible checks: zero scores give $\ln C$ (2.302585 for C = 10), each row
of dscores sums to 0, the scores are left unchanged, a numerical check,
integer scores give the results of the same scores as floats, and huge
scores stay finite. The first test cell grades small float scores (some
whole numbers, with tied maxima) and checks that `scores` and `y` are left
unchanged, the second integer arrays of scores, the third scores around
$\pm 1000$ (rows far below the batch's largest score, and a correct class
far below its row's maximum).
"""

SVM = r"""
## Part 5: multiclass SVM (hinge) loss (4 points)

For scores (N, C) (floats, or an integer array), labels y (N,) and a
margin $\Delta$ (default 1):

$$L = \frac{1}{N} \sum_n \sum_{j \ne y_n} \max(0,\ s_{n,j} - s_{n,y_n} + \Delta).$$

A term is *active* when it is strictly positive; each active term adds
$+1/N$ to `dscores[n, j]` and $-1/N$ to `dscores[n, y_n]`. A term exactly
at the kink (equal to 0) counts as inactive, like ReLU's slope at 0.
`svm_loss(scores, y, margin=1.0)` returns `(loss, dscores)`, `dscores`
float64 for integer scores too; the grader passes the margin by its name,
`margin=...`, or leaves it at its default.
(PyTorch's `multi_margin_loss` also divides by C; this course does not.)

The visible checks: a case you can verify by hand, with two terms exactly
at the kink (scores left unchanged), each row of dscores summing to 0 and
a numerical check away from kinks with margin 0.5, the default margin, and
integer scores. The first test cell grades integer-valued scores (many
terms at the kink) with margins 1 and 2 and checks that `scores` and `y`
are left unchanged, the second random and huge scores, the third the
margin left at its default, the fourth integer arrays of scores.
"""

ASSIGNMENT = Assignment(
    name="02_gates",
    cells=[
        Markdown(INTRO),
        Given((helpers.numerical_gradient, helpers.relative_error, helpers.backward_errors,
               visible.loss_errors),
              header="# Helpers of the visible checks (run this cell, do not change it)"),
        Markdown(MAX),
        Solution((ref.max_forward, ref.max_backward)),
        Tests("gates.max_gate", 1, visible=visible.check_max, cases=(1,)),
        Tests("gates.max_gate", 2, visible=visible.check_max_ties, cases=(0, 2)),
        Markdown(SIGMOID),
        Solution((ref.sigmoid_forward, ref.sigmoid_backward)),
        Tests("gates.sigmoid", 1, visible=visible.check_sigmoid, cases=(0,)),
        Tests("gates.sigmoid", 1, visible=visible.check_sigmoid_float32, cases=(2,)),
        Tests("gates.sigmoid", 1, visible=visible.check_sigmoid_stable, cases=(1,)),
        Markdown(PRELU),
        Solution((ref.prelu_forward, ref.prelu_backward)),
        Tests("gates.prelu", 1, visible=visible.check_prelu, cases=(0,)),
        Tests("gates.prelu", 2, visible=visible.check_prelu_per_feature, cases=(1, 2)),
        Tests("gates.prelu", 1, visible=visible.check_prelu_3d, cases=(3, 4)),
        Markdown(CE),
        Solution((ref.softmax_cross_entropy,)),
        Tests("gates.softmax_cross_entropy", 1, visible=visible.check_cross_entropy,
              cases=(0, 2)),
        Tests("gates.softmax_cross_entropy", 1,
              visible=visible.check_cross_entropy_integer, cases=(3, 5)),
        Tests("gates.softmax_cross_entropy", 2, visible=visible.check_cross_entropy_large,
              cases=(1, 4)),
        Markdown(SVM),
        Solution((ref.svm_loss,)),
        Tests("gates.svm_loss", 1, visible=visible.check_svm, cases=(0, 1)),
        Tests("gates.svm_loss", 1, visible=visible.check_svm_random, cases=(2, 3)),
        Tests("gates.svm_loss", 1, visible=visible.check_svm_default, cases=(4,)),
        Tests("gates.svm_loss", 1, visible=visible.check_svm_integer, cases=(5, 6)),
    ],
)
