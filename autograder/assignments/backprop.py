"""Assignment 1: backpropagation, a scalar engine and then the same layers.

The student writes the local rules of the scalar engine (value and local
partials of +, *, powers, exp, log, tanh, relu) and ``Value.backward``;
the rest of ``Value`` is given, and so is ``topological_order``: the
chapter's subject is reverse accumulation, and with the order given, a
wrong backward is named by its own mistake instead of showing up as a
puzzling traversal bug. Then the vectorized pairs: affine, ReLU, and a
two-layer network built from them.
"""
from autograder.assignments.visible import GRADIENT_HELPERS
from autograder.assignments.notebook import Assignment, Markdown, Provided, Solution, Tests
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
own: values used several times, a long chain, ReLU inputs at exactly 0 and
shapes where a missing transpose shows. A failing check names the case,
the entry, your value and the expected one.

Write your code only where it says `raise NotImplementedError()`.
"""

HELPERS = r'''
import math

import numpy as np


''' + GRADIENT_HELPERS + r'''

def value_gradients(expression, point):
    """Build expression(*leaves) from Values at point and call backward.
    Returns (root, your leaf gradients, numerical gradients of root.data,
    their relative error)."""
    leaves = [Value(float(t)) for t in point]
    root = expression(*leaves)
    root.backward()
    yours = np.array([leaf.grad for leaf in leaves])
    numerical = numerical_gradient(
        lambda v: expression(*(Value(float(t)) for t in v)).data,
        np.array(point, dtype=float))
    return root, yours, numerical, relative_error(yours, numerical)
'''

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

VALUE_BACKWARD_CHECK = r"""
a, b = Value(2.0), Value(1.0)
e = (a + b) * (b + 1)
e.backward()
assert e.data == 6.0, f"e = (a + b)*(b + 1) at a = 2, b = 1 is 6, your e.data is {e.data}"
assert (a.grad, b.grad) == (2.0, 5.0), (
    f"de/da = 2 and de/db = 5 (two paths into b), yours: {a.grad}, {b.grad}")
x = Value(3.0)
y = x * x
y.backward()
assert x.grad == 6.0, f"y = x*x at x = 3: dy/dx = 2x = 6, your x.grad is {x.grad}"


def shared(a, b):
    t = a * b + 1  # t is used four times, twice by the same node
    u = t * t + 3 * t
    return u * t + a


point = np.array([0.5, -1.5])
_, yours, numerical, error = value_gradients(shared, point)
assert error < 1e-5, (
    f"y = u*t + a with u = t*t + 3*t, t = a*b + 1 at a = 0.5, b = -1.5: your gradients of a, b "
    f"are {yours}, numerical {numerical} (relative error {error:.1e})")
"""

VALUE_OPS_CHECK = r"""
def expression(a, b, c):
    return ((a * b).tanh() + c ** 3 / b - (a.exp() + b.log()).sigmoid()
            + (c - a).relu() + 2.5 * b ** -0.5)

point = np.array([0.3, 1.7, 1.2])
root, yours, numerical, error = value_gradients(expression, point)
a, b, c = point
expected = (math.tanh(a * b) + c ** 3 / b - 1 / (1 + math.exp(-(math.exp(a) + math.log(b))))
            + max(c - a, 0.0) + 2.5 * b ** -0.5)
assert abs(root.data - expected) < 1e-12, f"the expression's value: yours {root.data}, expected {expected}"
assert error < 1e-5, (
    f"gradients of a, b, c: yours {yours}, numerical {numerical} "
    f"(relative error {error:.1e})")
z = Value(0.0)
r = z.relu()
r.backward()
assert r.data == 0.0 and z.grad == 0.0, (
    f"relu at exactly 0: value 0 and slope 0, yours {r.data} and {z.grad}")
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

AFFINE_CHECK = r"""
rng = np.random.default_rng(1)
x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
out, _ = affine_forward(x, W, b)
assert np.shape(out) == (3, 2), f"out has shape {np.shape(out)}, expected (3, 2)"
errors = backward_errors(affine_forward, affine_backward, [x, W, b])
for name, i in (("dx", 0), ("dW", 1), ("db", 2)):
    assert errors[i] < 1e-5, f"{name} differs from the numerical gradient (relative error {errors[i]:.1e})"
"""

AFFINE_3D_CHECK = r"""
rng = np.random.default_rng(2)
x, W, b = rng.standard_normal((2, 3, 2)), rng.standard_normal((6, 4)), rng.standard_normal(4)
kept = x.copy(), W.copy(), b.copy()
out, cache = affine_forward(x, W, b)
assert np.shape(out) == (2, 4), f"x (2, 3, 2) is read as (2, 6): out should be (2, 4), got {np.shape(out)}"
affine_backward(np.ones((2, 4)), cache)
assert all(np.array_equal(u, v) for u, v in zip((x, W, b), kept)), "your affine layer changed x, W or b"
errors = backward_errors(affine_forward, affine_backward, [x, W, b])
for name, i in (("dx", 0), ("dW", 1), ("db", 2)):
    assert errors[i] < 1e-5, f"{name} differs from the numerical gradient (relative error {errors[i]:.1e})"
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

RELU_CHECK = r"""
x = np.array([[-1.5, 0.0, 2.0], [3.0, -0.5, 0.0]])
dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
out, cache = relu_forward(x)
dx = relu_backward(dout, cache)
assert np.array_equal(out, [[0, 0, 2], [3, 0, 0]]), f"relu_forward gives {out}"
assert np.array_equal(dx, [[0, 0, 3], [4, 0, 0]]), (
    f"relu_backward gives {dx}: dout passes where x > 0 only (not at x == 0)")
error = backward_errors(relu_forward, relu_backward, [np.random.default_rng(3).standard_normal((3, 4))])[0]
assert error < 1e-5, f"dx differs from the numerical gradient (relative error {error:.1e})"
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
(otherwise they say so and stop). The second test cell uses integer data, so some hidden
pre-activations are exactly 0.
"""

MLP_CHECK = r"""
def _layers_pass():
    try:
        rng = np.random.default_rng(4)
        errors = [*backward_errors(affine_forward, affine_backward,
                                   [rng.standard_normal((3, 4)), rng.standard_normal((4, 5)),
                                    rng.standard_normal(5)]),
                  *backward_errors(relu_forward, relu_backward, [rng.standard_normal((3, 5))])]
    except Exception:
        return False
    return max(errors) < 1e-5


if not _layers_pass():
    print("The visible checks of mlp_forward/mlp_backward need working layers: "
          "fix the checks of Parts 2 and 3 first.")
else:
    # by hand: hidden pre-activations [3, -3, 0], after ReLU [3, 0, 0], score 3 - 5
    X = np.array([[1.0, 2.0]])
    params = {"W1": np.array([[1.0, -1.0, 1.0], [1.0, -1.0, -0.5]]), "b1": np.zeros(3),
              "W2": np.ones((3, 1)), "b2": np.array([-5.0])}
    scores, cache = mlp_forward(X, params)
    assert np.allclose(scores, [[-2.0]]), f"scores should be [[-2.0]], yours {scores}"
    grads = mlp_backward(np.array([[1.0]]), cache)
    assert np.allclose(grads["b1"], [1.0, 0.0, 0.0]), (
        f"grads['b1'] should be [1, 0, 0]: no gradient through units at or below 0, yours {grads['b1']}")
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 2, 3))
    params = {"W1": rng.standard_normal((6, 5)), "b1": rng.standard_normal(5),
              "W2": rng.standard_normal((5, 3)), "b2": rng.standard_normal(3)}
    scores, cache = mlp_forward(X, params)
    assert np.shape(scores) == (4, 3), f"scores should be (N, C) = (4, 3), got {np.shape(scores)}"
    dscores = rng.standard_normal((4, 3))
    grads = mlp_backward(dscores, cache)
    assert isinstance(grads, dict) and set(grads) == set(params), (
        f"mlp_backward should return a dict with keys {sorted(params)}")
    for key in params:
        def loss(_, key=key):
            return float(np.sum(mlp_forward(X, params)[0] * dscores))
        numerical = numerical_gradient(loss, params[key])
        assert np.shape(grads[key]) == params[key].shape, (
            f"grads[{key!r}] has shape {np.shape(grads[key])}, expected {params[key].shape}")
        error = relative_error(grads[key], numerical)
        assert error < 1e-5, f"grads[{key!r}] differs from the numerical gradient (relative error {error:.1e})"
"""

LAYERS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward")

ASSIGNMENT = Assignment(
    name="01_backprop",
    cells=[
        Markdown(INTRO),
        Provided(HELPERS),
        Markdown(VALUE),
        Solution((ref._add, ref._mul, ref._power, ref._exp, ref._log, ref._tanh,
                  ref._relu, ref.Value), methods=("backward",)),
        Tests("backprop.value", "Value", 4, VALUE_BACKWARD_CHECK, cases=(0, 1, 2, 9)),
        Tests("backprop.value", "Value", 4, VALUE_OPS_CHECK, cases=(3, 4, 5, 6, 7, 8)),
        Markdown(AFFINE),
        Solution((ref.affine_forward, ref.affine_backward)),
        Tests("backprop.affine", "(affine_forward, affine_backward)", 2, AFFINE_CHECK,
              cases=(0, 1)),
        Tests("backprop.affine", "(affine_forward, affine_backward)", 2, AFFINE_3D_CHECK,
              cases=(2,)),
        Markdown(RELU),
        Solution((ref.relu_forward, ref.relu_backward)),
        Tests("backprop.relu", "(relu_forward, relu_backward)", 2, RELU_CHECK),
        Markdown(MLP),
        Solution((ref.mlp_forward, ref.mlp_backward)),
        Tests("backprop.mlp", "(mlp_forward, mlp_backward)", 2, MLP_CHECK,
              cases=(0, 1), uses=LAYERS),
        Tests("backprop.mlp", "(mlp_forward, mlp_backward)", 2, cases=(2,), uses=LAYERS),
    ],
)
