"""Assignment 1: backpropagation, a scalar engine and then the same layers.

The student writes the local rules of the scalar engine (value and local
partials of +, *, powers, exp, log, tanh, relu) and ``Value.backward``;
the rest of ``Value`` is given, and so is ``topological_order``: the
chapter's subject is reverse accumulation, and with the order given, a
wrong backward is named by its own mistake instead of showing up as a
puzzling traversal bug. Then the vectorized pairs: affine, ReLU, and a
two-layer network built from them.

Each test cell grades one thing, so that a mistake costs the points of
the cells where it is made: one cell per local rule; ``backward`` judged
with correct rules; the affine layer's 2-D, flattened and integer inputs
apart; the network judged with correct layers.
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
times, a long chain, inputs at exactly 0 where a rule has a convention,
integer inputs and shapes where a missing transpose shows. A failing check
names the case (with its inputs), the entry, your value and the expected
one, and the likely cause when it recognises a common mistake.

Each test cell grades one thing (one local rule, `backward`, one kind of
input of a layer), so a mistake costs the points of the cells where it is
made and no others. Your functions leave their inputs as they were: they
return new arrays and never write into the ones they are given (the
grader checks).

Write your code only where it says `raise NotImplementedError()`.
"""

RULES = r"""
## Part 1: a scalar autograd engine (11 points)

A `Value` holds a number `data`, the nodes it was computed from (`parents`)
and the local partial derivatives of itself with respect to each parent
(`local_grads`), filled in when the node is created. Every operation is
written once as a **local rule** on plain floats, returning the value
first, then the local partials:

* binary: `_add(a, b)` and `_mul(a, b)` return `(y, dy/da, dy/db)`;
* unary: `_power(x, k)`, `_exp(x)`, `_log(x)`, `_tanh(x)`, `_relu(x)`
  return `(y, dy/dx)`; for `_power` the exponent $k$ is a plain number
  (a float), not a node.

Any kind of number will do in the results (a float, an int, a bool, a
numpy number). `_sub`, `_div`, `_neg` and `_sigmoid`, in the given cell
just below, show the pattern. Conventions the grader uses: `_relu` has
value 0 and slope 0 at exactly $x = 0$ (as in PyTorch); the slope of $x^k$
is $k x^{k-1}$, which is 1 at $x = 0$ for $k = 1$, and 0 when $k = 0$, at
$x = 0$ too (do not evaluate `0.0 ** -1` there); a negative base with a
whole exponent ($(-1.5)^3$, $(-0.5)^{-2}$) is allowed; `_log` is the
natural logarithm. Inputs without a real slope (a negative base with a
non-integer $k$, $x = 0$ with $k < 1$ other than 0, `_log` of $x \le 0$)
are not graded. Use the `math` module (`math.exp`, ...).

Each rule has its own test cell (1 point each), in the order of the list
above. Its hidden cases are ordinary points, then the boundaries just
named: `_mul` with a zero factor, `_power` at $x = 0$ with $k = 0, 1, 2$
and at negative bases, `_exp` at 0 and 1, `_log` at 1 and far from it,
`_tanh` at 0 and far from it, `_relu` at exactly 0. The visible checks
compare your slopes with numerical ones (`rule_slopes`, in the first
given cell) and check the conventions.
"""

BACKWARD = r"""
### Part 1, continued: reverse accumulation

Then write `Value.backward`, **reverse accumulation**: the root's gradient
is $\partial \text{root} / \partial \text{root} = 1$; visit the nodes in
reverse topological order, output first (`topological_order(root)` is
given in the cell just below: parents before children, root last); when a node
is visited its gradient is complete, and it passes
`node_gradient * local_grads[i]` on to `parents[i]`, where contributions
from several children **add up** (a value used twice receives both). Each
node is visited once. `backward` adds its result to the `.grad` of every
node of the graph: the root's own (1) and the intermediate nodes' as well
as the leaves' (every graph here starts from `grad = 0.0` and calls
`backward` once).

The test cell (4 points) checks `backward` on graphs with values used
several times, a node used twice by the same node, every operation with a
number on either side, and a chain of 200 nodes; it reads the gradient of
every node it named, the root included. It is graded on its own: while it
is checked, the grader uses correct local rules in place of yours, so a
wrong rule costs the point of its own cell only. Its visible checks are
the worked example of the chapter, $e = (a + b)(b + 1)$ at $a = 2, b = 1$
(with the gradients of $a + b$, $b + 1$ and $e$ itself), then
$y = x \cdot x$, a numerical check on a graph where one value is used four
times, and one on an expression with every operation (that one needs your
rules too).
"""

AFFINE = r"""
## Part 2: the affine layer (4 points)

`out = x @ W + b` with one example per row: x is (N, D), W is (D, M), b is
(M,). An x of shape (N, d1, ..., dk), with any number of axes from 2 on,
is first read row-major as (N, D) with D = d1 * ... * dk
(`x.reshape(N, D)`). Given `dout` = dL/dout of shape (N, M), the backward
pass returns `(dx, dW, db)`:

$$dx = \text{dout}\, W^\top, \qquad dW = x^\top \text{dout}, \qquad
db = \textstyle\sum_n \text{dout}_{n,:},$$

with dx reshaped back to the shape of x. Each gradient has the shape of its
variable. x may hold integers (an int64 or a uint8 array, say; W, b and
dout are float arrays): out and every gradient are float64 all the same,
computed from x's exact values (dx does not take x's dtype). `affine_forward`
returns `(out, cache)`; the cache is read by your `affine_backward` only, so
its form is yours (the `AffineCache` record given just below is one).
Neither function changes the arrays it is given: `x.reshape(N, D)` is a new
view, while `x.shape = ...` would reshape the caller's x.

The visible checks compare your gradients with numerical ones for a 2-D x,
then for an x of 3 and of 4 axes (checking that your inputs are not
changed), then compare an integer x with the same numbers as floats. The
test cells: two 2-D cases, one with a square W, where a missing transpose
keeps the right shape (2 points); an x of 3 and of 4 axes (1 point); an
integer x, int64 and uint8 (1 point).
"""

RELU = r"""
## Part 3: the ReLU layer (2 points)

`out = max(x, 0)` elementwise, for a float array x of any shape; the cache
is what the backward pass needs, in the form you choose.
`relu_backward(dout, cache)` returns dx: `dout` where x > 0 and 0
elsewhere. At exactly x = 0 the slope is taken to be 0, as in PyTorch.
Neither function writes into x or dout: `x[x < 0] = 0` would change the
caller's array, `np.maximum(x, 0)` makes a new one. The visible checks: a
small case with a 0 you can verify by hand (and your inputs unchanged
after it), and a numerical check away from 0. The grader's x have 1, 2
and 3 axes, some with integer values (as floats), so many entries are
exactly 0.
"""

MLP = r"""
## Part 4: a two-layer network (4 points)

`mlp_forward(X, params)` computes the scores
`relu(X @ W1 + b1) @ W2 + b2` (no loss) with your `affine_forward` and
`relu_forward`, and returns `(scores, cache)`; the cache is for your
`mlp_backward` (the `MLPCache` record given just below holds the three
layers' caches, in forward order). Shapes: X (N, D) or (N, d1, ..., dk)
flattened as in Part 2, W1 (D, H), b1 (H,), W2 (H, C), b2 (C,), scores
(N, C). `mlp_backward(dscores, cache)` goes through the layers in reverse
order and returns a dict with the keys and shapes of `params`, and no
other keys: `"W1"`, `"b1"`, `"W2"`, `"b2"`. Neither function changes X,
params (its arrays or its keys) or dscores.

This part is graded on its own: while it is checked, the grader uses
correct layers in place of yours, so a mistake in Part 2 or 3 costs no
points here. Pass each layer's cache to that layer's backward as it is,
without reading inside it: the correct layers' caches are theirs. The
visible checks: a small case you can verify by hand (one hidden
pre-activation is exactly 0), then every gradient against a numerical one
(and your inputs unchanged). They run only once your layers pass their
own checks (otherwise they say so and stop). The first test cell uses
random data, with a 2-D and a 3-D X; the second integer-valued data (as
floats), so some hidden pre-activations are exactly 0.
"""

_RULE_CHECKS = (visible.check_add, visible.check_mul, visible.check_power,
                visible.check_exp, visible.check_log, visible.check_tanh,
                visible.check_relu_rule)

ASSIGNMENT = Assignment(
    name="01_backprop",
    cells=[
        Markdown(INTRO),
        Given((helpers.numerical_gradient, helpers.relative_error, helpers.backward_errors,
               visible.value_gradients, visible.rule_slopes, visible.assert_rule,
               visible.assert_unchanged),
              header="# Helpers of the visible checks (run this cell, do not change it)"),
        Markdown(RULES),
        Given((ref._sub, ref._div, ref._neg, ref._sigmoid),
              header="# Rules given as examples (run this cell, do not change it)"),
        Solution((ref._add, ref._mul, ref._power, ref._exp, ref._log, ref._tanh, ref._relu)),
        *(Tests("backprop.rules", 1, visible=check, cases=(2 * i, 2 * i + 1))
          for i, check in enumerate(_RULE_CHECKS)),
        Markdown(BACKWARD),
        Solution((ref.Value,), methods=("backward",)),
        Tests("backprop.value", 4, visible=visible.check_value_backward),
        Markdown(AFFINE),
        Solution((ref.affine_forward, ref.affine_backward)),
        Tests("backprop.affine", 2, visible=visible.check_affine, cases=(0, 1)),
        Tests("backprop.affine", 1, visible=visible.check_affine_flattened, cases=(2, 3)),
        Tests("backprop.affine", 1, visible=visible.check_affine_integer, cases=(4, 5)),
        Markdown(RELU),
        Solution((ref.relu_forward, ref.relu_backward)),
        Tests("backprop.relu", 2, visible=visible.check_relu),
        Markdown(MLP),
        Solution((ref.mlp_forward, ref.mlp_backward)),
        Tests("backprop.mlp", 2, visible=visible.check_mlp, cases=(0, 1)),
        Tests("backprop.mlp", 2, cases=(2, 3)),
    ],
)
