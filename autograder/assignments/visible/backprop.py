"""Visible checks of assignment 1 (backpropagation): the chapter's worked
example, gradients against numerical ones, and small cases by hand.

numerical_gradient, relative_error and backward_errors are the students'
helpers (helpers.py); :func:`value_gradients` is their counterpart for a
``Value`` expression. A given cell of the notebook defines all four before
the first part.
"""
import math

import numpy as np

# Imported only when this runs as a module: a given cell copies the
# top-level imports of the module of what it gives (value_gradients), and
# in the notebook these names come from that same cell.
if __package__:
    from .helpers import backward_errors, numerical_gradient, relative_error


def value_gradients(Value, expression, point):
    """Build expression(*leaves) from Values at point and call backward.
    Returns (root, your leaf gradients, numerical gradients of root.data,
    their relative error)."""
    leaves = [Value(float(t)) for t in point]
    root = expression(*leaves)
    root.backward()
    yours = np.array([leaf.grad for leaf in leaves], dtype=float)
    numerical = numerical_gradient(
        lambda v: expression(*(Value(float(t)) for t in v)).data,
        np.array(point, dtype=float))
    return root, yours, numerical, relative_error(yours, numerical)


def check_value_backward(Value):
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

    _, yours, numerical, error = value_gradients(Value, shared, [0.5, -1.5])
    assert error < 1e-5, (
        f"y = u*t + a with u = t*t + 3*t, t = a*b + 1 at a = 0.5, b = -1.5: your gradients "
        f"of a, b are {yours}, numerical {numerical} (relative error {error:.1e})")


def check_value_ops(Value):
    def expression(a, b, c):
        return ((a * b).tanh() + c ** 3 / b - (a.exp() + b.log()).sigmoid()
                + (c - a).relu() + 2.5 * b ** -0.5)

    point = [0.3, 1.7, 1.2]
    root, yours, numerical, error = value_gradients(Value, expression, point)
    a, b, c = point
    expected = (math.tanh(a * b) + c ** 3 / b
                - 1 / (1 + math.exp(-(math.exp(a) + math.log(b))))
                + max(c - a, 0.0) + 2.5 * b ** -0.5)
    assert abs(root.data - expected) < 1e-12, (
        f"the expression's value: yours {root.data}, expected {expected}")
    assert error < 1e-5, (
        f"gradients of a, b, c: yours {yours}, numerical {numerical} "
        f"(relative error {error:.1e})")
    z = Value(0.0)
    r = z.relu()
    r.backward()
    assert r.data == 0.0 and z.grad == 0.0, (
        f"relu at exactly 0: value 0 and slope 0, yours {r.data} and {z.grad}")


def check_affine(affine_forward, affine_backward):
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    out, _ = affine_forward(x, W, b)
    assert np.shape(out) == (3, 2), f"out has shape {np.shape(out)}, expected (3, 2)"
    errors = backward_errors(affine_forward, affine_backward, [x, W, b])
    for name, error in zip(("dx", "dW", "db"), errors):
        assert error < 1e-5, (
            f"{name} differs from the numerical gradient (relative error {error:.1e})")


def check_affine_3d(affine_forward, affine_backward):
    rng = np.random.default_rng(2)
    x, W, b = rng.standard_normal((2, 3, 2)), rng.standard_normal((6, 4)), rng.standard_normal(4)
    kept = x.copy(), W.copy(), b.copy()
    out, cache = affine_forward(x, W, b)
    assert np.shape(out) == (2, 4), (
        f"x (2, 3, 2) is read as (2, 6): out should be (2, 4), got {np.shape(out)}")
    affine_backward(np.ones((2, 4)), cache)
    assert all(np.array_equal(u, v) for u, v in zip((x, W, b), kept)), (
        "your affine layer changed x, W or b")
    errors = backward_errors(affine_forward, affine_backward, [x, W, b])
    for name, error in zip(("dx", "dW", "db"), errors):
        assert error < 1e-5, (
            f"{name} differs from the numerical gradient (relative error {error:.1e})")


def check_relu(relu_forward, relu_backward):
    x = np.array([[-1.5, 0.0, 2.0], [3.0, -0.5, 0.0]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out, cache = relu_forward(x.copy())
    dx = relu_backward(dout.copy(), cache)
    assert np.array_equal(out, [[0, 0, 2], [3, 0, 0]]), f"relu_forward gives {out}"
    assert np.array_equal(dx, [[0, 0, 3], [4, 0, 0]]), (
        f"relu_backward gives {dx}: dout passes where x > 0 only (not at x == 0)")
    x = np.random.default_rng(3).standard_normal((3, 4))
    error = backward_errors(relu_forward, relu_backward, [x])[0]
    assert error < 1e-5, f"dx differs from the numerical gradient (relative error {error:.1e})"


def check_mlp(mlp_forward, mlp_backward):
    # Your mlp_forward calls your layers: check them first (they are the
    # notebook's affine_forward, ..., relu_backward, when it defines them).
    layers = [globals().get(name) for name in
              ("affine_forward", "affine_backward", "relu_forward", "relu_backward")]
    if all(callable(f) for f in layers):
        rng = np.random.default_rng(4)
        try:
            errors = [*backward_errors(layers[0], layers[1],
                                       [rng.standard_normal((3, 4)), rng.standard_normal((4, 5)),
                                        rng.standard_normal(5)]),
                      *backward_errors(layers[2], layers[3], [rng.standard_normal((3, 5))])]
        except Exception:
            errors = [math.inf]
        if max(errors) >= 1e-5:
            print("The visible checks of mlp_forward/mlp_backward need working layers: "
                  "fix the checks of Parts 2 and 3 first.")
            return

    # by hand: hidden pre-activations [3, -3, 0], after ReLU [3, 0, 0], score 3 - 5
    X = np.array([[1.0, 2.0]])
    params = {"W1": np.array([[1.0, -1.0, 1.0], [1.0, -1.0, -0.5]]), "b1": np.zeros(3),
              "W2": np.ones((3, 1)), "b2": np.array([-5.0])}
    scores, cache = mlp_forward(X, params)
    assert np.allclose(scores, [[-2.0]]), f"scores should be [[-2.0]], yours {scores}"
    grads = mlp_backward(np.array([[1.0]]), cache)
    assert np.allclose(grads["b1"], [1.0, 0.0, 0.0]), (
        f"grads['b1'] should be [1, 0, 0]: no gradient through units at or below 0, "
        f"yours {grads['b1']}")

    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 2, 3))
    params = {"W1": rng.standard_normal((6, 5)), "b1": rng.standard_normal(5),
              "W2": rng.standard_normal((5, 3)), "b2": rng.standard_normal(3)}
    scores, cache = mlp_forward(X, params)
    assert np.shape(scores) == (4, 3), (
        f"scores should be (N, C) = (4, 3), got {np.shape(scores)}")
    dscores = rng.standard_normal((4, 3))
    grads = mlp_backward(dscores, cache)
    assert isinstance(grads, dict) and set(grads) == set(params), (
        f"mlp_backward should return a dict with keys {sorted(params)}")
    for key in params:
        def loss(_):
            return float(np.sum(mlp_forward(X, params)[0] * dscores))
        numerical = numerical_gradient(loss, params[key])
        assert np.shape(grads[key]) == params[key].shape, (
            f"grads[{key!r}] has shape {np.shape(grads[key])}, expected {params[key].shape}")
        error = relative_error(grads[key], numerical)
        assert error < 1e-5, (
            f"grads[{key!r}] differs from the numerical gradient (relative error {error:.1e})")
