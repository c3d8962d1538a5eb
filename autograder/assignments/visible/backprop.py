"""Visible checks of assignment 1 (backpropagation): the chapter's worked
example, gradients against numerical ones, and small cases by hand.

numerical_gradient, relative_error and backward_errors are the students'
helpers (helpers.py); :func:`value_gradients` is their counterpart for a
``Value`` expression, :func:`rule_slopes` and :func:`assert_rule` for a
local rule, and :func:`assert_unchanged` says whether a layer wrote into
its inputs. A given cell of the notebook defines them all before the
first part.
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


def rule_slopes(rule, *point):
    """Call a local rule at point. Returns (its value, your slopes, the
    numerical slopes of its value in its inputs, their relative error);
    the exponent k of _power is a constant, not an input."""
    y, *slopes = rule(*point)
    n = len(slopes)
    numerical = numerical_gradient(lambda p: rule(*p, *point[n:])[0],
                                   np.array(point[:n], dtype=float))
    return y, np.array(slopes, dtype=float), numerical, relative_error(slopes, numerical)


def assert_rule(rule, name, point, value):
    """Assert that rule(*point) has the value ``value`` first and slopes
    that match the numerical ones."""
    y, yours, numerical, error = rule_slopes(rule, *point)
    at = f"{name}({', '.join(f'{v:g}' for v in point)})"
    assert abs(y - value) <= 1e-12 * max(1.0, abs(value)), (
        f"{at}: the value is {value}, yours {y} (a rule returns the value first)")
    assert error < 1e-5, (
        f"{at}: your slopes {yours}, numerical {numerical} (relative error {error:.1e})")


def check_add(_add):
    for a, b in [(2.0, -3.0), (-0.5, 1.25)]:
        assert_rule(_add, "_add", (a, b), a + b)


def check_mul(_mul):
    for a, b in [(2.0, -3.0), (0.0, 1.5)]:
        assert_rule(_mul, "_mul", (a, b), a * b)


def check_power(_power):
    for x, k in [(1.5, 3.0), (2.0, 0.5), (0.8, -2.0), (-1.5, 3.0)]:
        assert_rule(_power, "_power", (x, k), x ** k)
    for x, k, expected in [(0.0, 0.0, (1.0, 0.0)), (0.0, 1.0, (0.0, 1.0)),
                           (0.0, 2.0, (0.0, 0.0)), (3.0, 0.0, (1.0, 0.0))]:
        got = tuple(_power(x, k))
        assert got == expected, (
            f"_power({x:g}, {k:g}) should be {expected} (value, slope), yours {got}")


def check_exp(_exp):
    for x in (0.7, -1.2, 0.0):
        assert_rule(_exp, "_exp", (x,), math.exp(x))


def check_log(_log):
    for x in (0.5, 2.0, 1.0):
        assert_rule(_log, "_log", (x,), math.log(x))


def check_tanh(_tanh):
    for x in (0.8, -1.1, 0.0):
        assert_rule(_tanh, "_tanh", (x,), math.tanh(x))


def check_relu_rule(_relu):
    for x, expected in [(1.5, (1.5, 1.0)), (-0.5, (0.0, 0.0)), (0.0, (0.0, 0.0))]:
        got = tuple(_relu(x))
        assert got == expected, (
            f"_relu({x:g}) should be {expected} (value, slope; slope 0 at exactly 0), "
            f"yours {got}")


def check_value_backward(Value):
    a, b = Value(2.0), Value(1.0)
    c, d = a + b, b + 1
    e = c * d
    e.backward()
    assert e.data == 6.0, f"e = (a + b)*(b + 1) at a = 2, b = 1 is 6, your e.data is {e.data}"
    assert (a.grad, b.grad) == (2.0, 5.0), (
        f"de/da = 2 and de/db = 5 (two paths into b), yours: {a.grad}, {b.grad}")
    assert (e.grad, c.grad, d.grad) == (1.0, 2.0, 3.0), (
        f"every node keeps its gradient: de/de = 1, de/dc = d = 2 and de/dd = c = 3 "
        f"for c = a + b, d = b + 1; yours: {e.grad}, {c.grad}, {d.grad}")
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

    def every_op(a, b, c):  # needs your local rules too
        return ((a * b).tanh() + c ** 3 / b - (a.exp() + b.log()).sigmoid()
                + (c - a).relu() + 2.5 * b ** -0.5)

    _, yours, numerical, error = value_gradients(Value, every_op, [0.3, 1.7, 1.2])
    assert error < 1e-5, (
        f"an expression with every operation: gradients of a, b, c are {yours}, numerical "
        f"{numerical} (relative error {error:.1e}); if the checks of every rule pass, "
        f"look at backward")


def assert_unchanged(arrays, kept, what):
    """Assert that each array equals its copy in ``kept`` (``what`` names
    them, "x, dout")."""
    for name, now, before in zip(what.split(", "), arrays, kept):
        assert now.shape == before.shape and np.array_equal(now, before), (
            f"your layer changed the caller's {name}: leave the inputs as they were "
            f"(x.reshape(N, D) makes a new view, x.shape = ... reshapes x itself)")


def check_affine(affine_forward, affine_backward):
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal(2)
    out, _ = affine_forward(x, W, b)
    assert np.shape(out) == (3, 2), f"out has shape {np.shape(out)}, expected (3, 2)"
    errors = backward_errors(affine_forward, affine_backward, [x, W, b])
    for name, error in zip(("dx", "dW", "db"), errors):
        assert error < 1e-5, (
            f"{name} differs from the numerical gradient (relative error {error:.1e})")


def check_affine_flattened(affine_forward, affine_backward):
    rng = np.random.default_rng(2)
    for shape in [(2, 3, 2), (2, 2, 1, 3)]:
        x, W, b = rng.standard_normal(shape), rng.standard_normal((6, 4)), rng.standard_normal(4)
        kept = x.copy(), W.copy(), b.copy()
        out, cache = affine_forward(x, W, b)
        assert np.shape(out) == (2, 4), (
            f"x {shape} is read as (2, 6): out should be (2, 4), got {np.shape(out)}")
        dout = np.ones((2, 4))
        dx, _, _ = affine_backward(dout, cache)
        assert_unchanged((x, W, b, dout), kept + (np.ones((2, 4)),), "x, W, b, dout")
        assert np.shape(dx) == shape, f"dx should have x's shape {shape}, got {np.shape(dx)}"
        errors = backward_errors(affine_forward, affine_backward, [x, W, b])
        for name, error in zip(("dx", "dW", "db"), errors):
            assert error < 1e-5, (
                f"x {shape}: {name} differs from the numerical gradient (relative error "
                f"{error:.1e})")


def check_affine_integer(affine_forward, affine_backward):
    rng = np.random.default_rng(6)
    x = rng.integers(0, 256, size=(3, 4), dtype=np.uint8)
    W, b, dout = rng.standard_normal((4, 2)), rng.standard_normal(2), rng.standard_normal((3, 2))
    out, cache = affine_forward(x, W, b)
    grads = affine_backward(dout, cache)
    out_f, cache_f = affine_forward(x.astype(float), W, b)
    for name, yours, expected in zip(("out", "dx", "dW", "db"), (out, *grads),
                                     (out_f, *affine_backward(dout, cache_f))):
        assert np.asarray(yours).dtype == np.float64, (
            f"with an integer x, {name} should be float64, yours is {np.asarray(yours).dtype}")
        assert relative_error(yours, expected) < 1e-12, (
            f"with an integer x, {name} should be what x.astype(float) gives")


def check_relu(relu_forward, relu_backward):
    x = np.array([[-1.5, 0.0, 2.0], [3.0, -0.5, 0.0]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    kept = x.copy(), dout.copy()
    out, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    assert np.array_equal(out, [[0, 0, 2], [3, 0, 0]]), f"relu_forward gives {out}"
    assert np.array_equal(dx, [[0, 0, 3], [4, 0, 0]]), (
        f"relu_backward gives {dx}: dout passes where x > 0 only (not at x == 0)")
    assert_unchanged((x, dout), kept, "x, dout")
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
    kept = [X.copy()] + [params[k].copy() for k in ("W1", "b1", "W2", "b2")]
    scores, cache = mlp_forward(X, params)
    assert np.shape(scores) == (4, 3), (
        f"scores should be (N, C) = (4, 3), got {np.shape(scores)}")
    dscores = rng.standard_normal((4, 3))
    grads = mlp_backward(dscores, cache)
    assert isinstance(grads, dict) and set(grads) == set(params), (
        f"mlp_backward should return a dict with keys {sorted(params)}")
    assert_unchanged([X] + [params[k] for k in ("W1", "b1", "W2", "b2")], kept,
                     "X, W1, b1, W2, b2")
    for key in params:
        def loss(_):
            return float(np.sum(mlp_forward(X, params)[0] * dscores))
        numerical = numerical_gradient(loss, params[key])
        assert np.shape(grads[key]) == params[key].shape, (
            f"grads[{key!r}] has shape {np.shape(grads[key])}, expected {params[key].shape}")
        error = relative_error(grads[key], numerical)
        assert error < 1e-5, (
            f"grads[{key!r}] differs from the numerical gradient (relative error {error:.1e})")
