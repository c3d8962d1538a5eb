"""Assignment 1: backpropagation, a scalar engine and then the same layers.

The student writes the local rules of the scalar engine (value and local
partials of +, *, powers, exp, log, tanh, relu) and ``Value.backward``;
the rest of ``Value`` is given, and so is ``topological_order``: the
chapter's subject is reverse accumulation, and with the order given, a
wrong backward is named by its own mistake instead of showing up as a
puzzling traversal bug. Then the vectorized pairs: affine, ReLU, and a
two-layer network built from them.
"""
from autograder.assignments.notebook import Assignment, Given, Markdown, Solution, Tests
from autograder.assignments.visible import backprop as visible, helpers
from solutions import backprop as ref

INTRO = r"""
# Assignment 1: backpropagation

Backpropagation is the chain rule applied in the right order. You build it
twice: first as a scalar autograd engine, where every number is a node of a
graph, then for whole layers, where the same rules act on arrays.

Every graded part has visible checks below it that you can run as often as
you like. Most compare your backward pass with a *numerical gradient*:
the centered difference $(f(x + h) - f(x - h)) / 2h$ for each input, with
$h = 10^{-5}$, computed by `numerical_gradient` in the next cell. When you
submit, the grader also compares your code with a reference on cases of its
own, whose numbers are drawn anew at every grading run: values used several
times, a long chain, ReLU inputs at exactly 0 and shapes where a missing
transpose shows. A failing check names the case (with its inputs), the
entry, your value and the expected one, and the likely cause when it
recognises a common mistake.

Write your code only where it says `raise NotImplementedError()`.
"""

VALUE = r"""
## Part 1: a scalar autograd engine (8 points)

A `Value` holds a number `data`, the nodes it was computed from (`parents`)
and the local partial derivatives of itself with respect to each parent
(`local_grads`), filled in when the node is created. Every operation is
written once as a **local rule** on plain floats, returning the value and
the local partials:

* binary: `_add(a, b)` and `_mul(a, b)` return `(y, dy/da, dy/db)`;
* unary: `_power(x, k)`, `_exp(x)`, `_log(x)`, `_tanh(x)`, `_relu(x)`
  return `(y, dy/dx)`; for `_power` the exponent $k$ is a plain number,
  not a node.

`_sub`, `_div`, `_neg` and `_sigmoid`, in the given cell just below, show
the pattern. Conventions the grader uses: `_relu` has slope 0 at exactly $x = 0$ (as in
PyTorch); the slope of $x^k$ is $k x^{k-1}$, and 0 when $k = 0$ (do not
evaluate `0.0 ** -1` there). Use the `math` module (`math.exp`, ...).

Then write `Value.backward`, **reverse accumulation**: the root's gradient
is $\partial \text{root} / \partial \text{root} = 1$; visit the nodes in
reverse topological order, output first (`topological_order(root)` is
given in the same cell: parents before children, root last); when a node
is visited its gradient is complete, and it passes
`node_gradient * local_grads[i]` on to `parents[i]`, where contributions
from several children **add up** (a value used twice receives both). Each
node is visited once. `backward` adds its result to `.grad` (every graph
here starts from `grad = 0.0` and calls `backward` once).

The first test cell checks `backward` (values used several times, a chain
of 200 nodes); its visible checks are the worked example of the chapter,
$e = (a + b)(b + 1)$ at $a = 2, b = 1$, then $y = x \cdot x$, then a
numerical check on a graph where one value is used four times. The second
checks every operation; its visible checks compare your gradients with
numerical ones on an expression that uses them all, and ReLU at 0.
"""

AFFINE = r"""
## Part 2: the affine layer (4 points)

`out = x @ W + b` with one example per row: x is (N, D), W is (D, M), b is
(M,). An x of shape (N, d1, ..., dk) is first read row-major as (N, D) with
D = d1 * ... * dk (`x.reshape(N, D)`). Given `dout` = dL/dout of shape
(N, M), the backward pass returns `(dx, dW, db)`:

$$dx = \text{dout}\, W^\top, \qquad dW = x^\top \text{dout}, \qquad
db = \textstyle\sum_n \text{dout}_{n,:},$$

with dx reshaped back to the shape of x. Each gradient has the shape of its
variable. `affine_forward` returns `(out, cache)` with the `AffineCache`
record given just below. The visible checks compare your gradients with
numerical ones for a 2-D and a 3-D x and check that your inputs are not
changed. The first test cell grades two 2-D cases (one with a square W,
where a missing transpose keeps the right shape), the second a 3-D x.
"""

RELU = r"""
## Part 3: the ReLU layer (2 points)

`out = max(x, 0)` elementwise, for x of any shape; the cache is what the
backward pass needs. `relu_backward(dout, cache)` returns dx: `dout` where
x > 0 and 0 elsewhere. At exactly x = 0 the slope is taken to be 0, as in
PyTorch. The visible checks: a small case with a 0 you can verify by hand,
and a numerical check away from 0. The grader uses integer-valued inputs,
so many entries are exactly 0.
"""

MLP = r"""
## Part 4: a two-layer network (4 points)

`mlp_forward(X, params)` computes the scores
`relu(X @ W1 + b1) @ W2 + b2` (no loss) with your `affine_forward` and
`relu_forward`, and returns `(scores, cache)` with the `MLPCache` record
given just below (the three layers' caches, in forward order). Shapes: X (N, D)
or (N, d1, ..., dk) flattened as in Part 2, W1 (D, H), b1 (H,), W2 (H, C),
b2 (C,), scores (N, C). `mlp_backward(dscores, cache)` goes through the
layers in reverse order and returns a dict with the keys and shapes of
`params`: `"W1"`, `"b1"`, `"W2"`, `"b2"`.

This part is graded on its own: while it is checked, the grader uses
correct layers in place of yours, so a mistake in Part 2 or 3 costs no
points here. The visible checks: a small case you can verify by hand (one
hidden pre-activation is exactly 0), then every gradient against a
numerical one. They run only once your layers pass their own checks
(otherwise they say so and stop). The second test cell uses integer data,
so some hidden pre-activations are exactly 0.
"""

ASSIGNMENT = Assignment(
    name="01_backprop",
    cells=[
        Markdown(INTRO),
        Given((helpers.numerical_gradient, helpers.relative_error, helpers.backward_errors,
               visible.value_gradients),
              header="# Helpers of the visible checks (run this cell, do not change it)"),
        Markdown(VALUE),
        Solution((ref._add, ref._mul, ref._power, ref._exp, ref._log, ref._tanh,
                  ref._relu, ref.Value), methods=("backward",)),
        Tests("backprop.value", 4, visible=visible.check_value_backward, cases=(0, 1, 2, 9)),
        Tests("backprop.value", 4, visible=visible.check_value_ops, cases=(3, 4, 5, 6, 7, 8)),
        Markdown(AFFINE),
        Solution((ref.affine_forward, ref.affine_backward)),
        Tests("backprop.affine", 2, visible=visible.check_affine, cases=(0, 1)),
        Tests("backprop.affine", 2, visible=visible.check_affine_3d, cases=(2,)),
        Markdown(RELU),
        Solution((ref.relu_forward, ref.relu_backward)),
        Tests("backprop.relu", 2, visible=visible.check_relu),
        Markdown(MLP),
        Solution((ref.mlp_forward, ref.mlp_backward)),
        Tests("backprop.mlp", 2, visible=visible.check_mlp, cases=(0, 1)),
        Tests("backprop.mlp", 2, cases=(2,)),
    ],
)
