"""Visible checks of assignment 2 (gates, activations, losses): small cases
worked out by hand, properties that must hold, and gradients against
numerical ones.

backward_errors, numerical_gradient and relative_error are the students'
helpers (helpers.py); :func:`loss_errors` is their counterpart for a loss.
A given cell of the notebook defines all four before the first check.
"""
import numpy as np

from autograder.assignments.visible.helpers import (backward_errors, numerical_gradient,
                                                    relative_error)


def loss_errors(loss_fn, scores, *args):
    """Relative error between the dscores of loss_fn(scores, *args) ->
    (loss, dscores) and the numerical gradient of the loss."""
    scores = np.array(scores, dtype=float)
    _, dscores = loss_fn(scores.copy(), *args)
    assert np.shape(dscores) == scores.shape, (
        f"dscores has shape {np.shape(dscores)}, scores have shape {scores.shape}")
    numerical = numerical_gradient(lambda s: float(loss_fn(s.copy(), *args)[0]), scores)
    return relative_error(dscores, numerical)


def check_max(max_forward, max_backward):
    x, y = np.array([[1.0, -4.0], [3.0, 2.5]]), np.array([[2.0, -5.0], [0.0, 7.0]])
    dout = np.array([[10.0, 20.0], [30.0, 40.0]])
    out, cache = max_forward(x, y)
    dx, dy = max_backward(dout, cache)
    assert np.array_equal(x, [[1.0, -4.0], [3.0, 2.5]]) and np.array_equal(
        y, [[2.0, -5.0], [0.0, 7.0]]) and np.array_equal(dout, [[10.0, 20.0], [30.0, 40.0]]), (
        f"your functions changed their inputs: x = {x}, y = {y}, dout = {dout}; "
        f"leave them as they were and return new arrays")
    assert np.array_equal(out, [[2.0, -4.0], [3.0, 7.0]]), f"max_forward gives {out}"
    assert np.array_equal(dx, [[0.0, 20.0], [30.0, 0.0]]) and np.array_equal(
        dy, [[10.0, 0.0], [0.0, 40.0]]), (
        f"max_backward gives dx = {dx}, dy = {dy}: the winner gets dout, the other 0")
    rng = np.random.default_rng(0)
    errors = backward_errors(max_forward, max_backward,
                             [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))])
    assert max(errors) < 1e-5, (
        f"relative errors of (dx, dy) against numerical gradients: {errors}")


def check_max_ties(max_forward, max_backward):
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]])
    y = np.array([[1.0, 0.0, 3.0], [4.0, -1.0, 5.0]])
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    dx, dy = max_backward(dout, max_forward(x, y)[1])
    assert np.array_equal(dx + dy, dout), f"dx + dy should equal dout everywhere, got {dx + dy}"
    tie = x == y
    assert np.array_equal(dx[tie], dout[tie]), (
        f"on a tie x == y all of dout goes to x: dx there is {dx[tie]}")


def check_sigmoid(sigmoid_forward, sigmoid_backward):
    x, dout = np.zeros(3), np.array([1.0, 2.0, -4.0])
    out, cache = sigmoid_forward(x)
    dx = sigmoid_backward(dout, cache)
    assert np.allclose(out, 0.5), f"sigmoid(0) is 1/2, yours {out}"
    assert np.allclose(dx, [0.25, 0.5, -1.0]), (
        f"the slope at 0 is 1/4, so dx = dout/4; yours {dx}")
    assert np.array_equal(x, np.zeros(3)) and np.array_equal(dout, [1.0, 2.0, -4.0]), (
        f"your functions changed their inputs: x = {x}, dout = {dout}; leave them "
        f"as they were and return new arrays")
    x = np.random.default_rng(1).standard_normal((2, 3, 4)) * 3
    error = backward_errors(sigmoid_forward, sigmoid_backward, [x])[0]
    assert error < 1e-5, f"dx differs from the numerical gradient (relative error {error:.1e})"


def check_sigmoid_float32(sigmoid_forward, sigmoid_backward):
    x = np.array([[-3.0, -0.5, 0.0], [0.25, 2.0, 6.0]], dtype=np.float32)
    dout = np.array([[1.0, -2.0, 0.5], [3.0, 1.0, -1.0]], dtype=np.float32)
    out, cache = sigmoid_forward(x)
    dx = sigmoid_backward(dout, cache)
    assert out.dtype == np.float32 and dx.dtype == np.float32, (
        f"a float32 x and dout give float32 s and dx; yours are {out.dtype} and {dx.dtype}")
    s = 1 / (1 + np.exp(-x.astype(np.float64)))
    assert np.allclose(out, s, rtol=1e-4) and np.allclose(dx, dout * s * (1 - s), rtol=1e-4), (
        f"sigmoid of the float32 x gives s = {out}, dx = {dx}")


def check_sigmoid_stable(sigmoid_forward, sigmoid_backward):
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            out, cache = sigmoid_forward(x)
            dx = sigmoid_backward(np.ones(5), cache)
    except FloatingPointError as err:
        raise AssertionError(f"numpy warned at x = {x}: {err}") from None
    assert out[0] == 0.0 and out[-1] == 1.0 and out[2] == 0.5, f"sigmoid({x}) gives {out}"
    assert np.all(np.isfinite(dx)) and dx[0] == 0.0 and dx[-1] == 0.0, f"dx at {x} is {dx}"


def check_prelu(prelu_forward, prelu_backward):
    x, a = np.array([[-2.0, 0.0, 3.0], [1.0, -1.0, 0.5]]), np.array(0.1)
    dout = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out, cache = prelu_forward(x, a)
    dx, da = prelu_backward(dout, cache)
    assert np.array_equal(x, [[-2.0, 0.0, 3.0], [1.0, -1.0, 0.5]]) and np.array_equal(
        dout, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]) and a == 0.1, (
        f"your functions changed their inputs: x = {x}, a = {a}, dout = {dout}; "
        f"leave them as they were and return new arrays")
    assert np.allclose(out, [[-0.2, 0.0, 3.0], [1.0, -0.1, 0.5]]), f"prelu_forward gives {out}"
    assert np.allclose(dx, [[0.1, 0.2, 3.0], [4.0, 0.5, 6.0]]), (
        f"prelu_backward gives dx = {dx}: slope 1 where x > 0, a elsewhere (x == 0 included)")
    assert np.shape(da) == (), f"a has shape (), so da should too, got {np.shape(da)}"
    assert np.isclose(da, -7.0), (
        f"da = sum of dout * x over x <= 0 = -2*1 + 0*2 - 1*5 = -7, yours {da}")


def check_prelu_per_feature(prelu_forward, prelu_backward):
    rng = np.random.default_rng(2)
    x, a = rng.standard_normal((5, 3)), np.array([0.2, 1.5, -0.5])
    errors = backward_errors(prelu_forward, prelu_backward, [x, a])
    assert errors[0] < 1e-5, (
        f"dx differs from the numerical gradient (relative error {errors[0]:.1e})")
    assert errors[1] < 1e-5, (
        f"da differs from the numerical gradient (relative error {errors[1]:.1e})")


def check_prelu_3d(prelu_forward, prelu_backward):
    rng = np.random.default_rng(5)
    x, a = rng.standard_normal((2, 3, 4)), np.array([0.2, 1.5, -0.5, 0.7])
    dx, da = prelu_backward(np.ones(x.shape), prelu_forward(x, a)[1])
    assert np.shape(da) == (4,), (
        f"a has shape (4,), so da should too, got {np.shape(da)}: sum over every "
        f"axis of x but the last")
    errors = backward_errors(prelu_forward, prelu_backward, [x, a])
    assert max(errors) < 1e-5, (
        f"relative errors of (dx, da) against numerical gradients for x of shape "
        f"(2, 3, 4): {errors}")


def check_cross_entropy(softmax_cross_entropy):
    loss, dscores = softmax_cross_entropy(np.zeros((4, 10)), np.array([0, 3, 9, 3]))
    assert np.isclose(loss, np.log(10)), (
        f"with zero scores the loss is ln(10) = 2.302585, yours {loss}")
    rng = np.random.default_rng(3)
    scores, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    saved = scores.copy()
    _, dscores = softmax_cross_entropy(scores, y)
    assert np.array_equal(scores, saved), (
        "your softmax_cross_entropy changed its input scores: leave them as they "
        "were and return new arrays")
    assert np.allclose(dscores.sum(axis=1), 0.0), (
        f"each row of dscores should sum to 0, got {dscores.sum(axis=1)}")
    error = loss_errors(softmax_cross_entropy, scores, y)
    assert error < 1e-5, f"dscores differs from the numerical gradient (relative error {error:.1e})"


def check_cross_entropy_integer(softmax_cross_entropy):
    scores, y = np.array([[3, 1, 2], [0, 2, 1]]), np.array([0, 2])
    loss, dscores = softmax_cross_entropy(scores, y)
    loss_f, dscores_f = softmax_cross_entropy(scores.astype(float), y)
    assert np.asarray(dscores).dtype == np.float64, (
        f"integer scores give float64 dscores, yours are {np.asarray(dscores).dtype}")
    assert np.isclose(loss, loss_f) and np.allclose(dscores, dscores_f), (
        f"integer scores {scores.tolist()} give loss {loss} and dscores {dscores}, "
        f"the same scores as floats give {loss_f} and {dscores_f}")


def check_cross_entropy_large(softmax_cross_entropy):
    scores = np.array([[1000.0, -1000.0, 0.0], [-500.0, 700.0, 699.0],
                       [-1000.0, -999.0, -1000.0]])
    y = np.array([1, 2, 0])
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            loss, dscores = softmax_cross_entropy(scores, y)
    except FloatingPointError as err:
        raise AssertionError(f"numpy warned for scores around 1000: {err}") from None
    assert np.isfinite(loss) and np.all(np.isfinite(dscores)), f"loss {loss}, dscores {dscores}"
    # row 0 (its correct class far below its maximum): -log p = 1000 - (-1000)
    # + log(1 + tiny terms); row 1: 700 - 699 + log(1 + e^-1 + ...); row 2
    # (far below the batch's largest score): -999 - (-1000) + log(1 + 2 e^-1)
    expected = (2000.0 + 1.0 + np.log1p(np.exp(-1.0)) + 1.0 + np.log1p(2 * np.exp(-1.0))) / 3
    assert np.isclose(loss, expected), (
        f"loss for scores {scores.tolist()}, y = {y.tolist()}: yours {loss}, "
        f"expected {expected}")


def check_svm(svm_loss):
    scores, y = np.array([[3.0, 1.0, 2.0], [0.0, 2.0, 1.0]]), np.array([0, 2])
    loss, dscores = svm_loss(scores, y, margin=1.0)
    assert np.array_equal(scores, [[3.0, 1.0, 2.0], [0.0, 2.0, 1.0]]), (
        f"your svm_loss changed its input scores to {scores}: leave them as they "
        f"were and return new arrays")
    # row 0: terms max(0, 1 - 3 + 1) = 0 and max(0, 2 - 3 + 1) = 0 (at the kink)
    # row 1: terms max(0, 0 - 1 + 1) = 0 (at the kink) and max(0, 2 - 1 + 1) = 2
    assert np.isclose(loss, 1.0), f"loss = (0 + 2) / 2 = 1, yours {loss}"
    assert np.allclose(dscores, [[0, 0, 0], [0, 0.5, -0.5]]), (
        f"dscores should be [[0, 0, 0], [0, 0.5, -0.5]] (terms at the kink are "
        f"inactive), yours {dscores}")
    loss2, _ = svm_loss(scores, y, margin=2.0)
    assert np.isclose(loss2, 2.5), (
        f"with margin 2 the terms are 0 and 1 (row 0), 1 and 3 (row 1): loss "
        f"(1 + 1 + 3) / 2 = 2.5, yours {loss2}")


def check_svm_random(svm_loss):
    rng = np.random.default_rng(4)
    scores, y = rng.standard_normal((6, 4)), np.array([0, 1, 2, 3, 0, 1])
    _, dscores = svm_loss(scores, y, 0.5)
    assert np.allclose(dscores.sum(axis=1), 0.0), (
        f"each row of dscores should sum to 0, got {dscores.sum(axis=1)}")
    error = loss_errors(svm_loss, scores, y, 0.5)
    assert error < 1e-5, f"dscores differs from the numerical gradient (relative error {error:.1e})"


def check_svm_default(svm_loss):
    scores, y = np.array([[3.0, 1.0, 2.5], [0.5, 2.0, 1.0]]), np.array([0, 2])
    loss, dscores = svm_loss(scores, y)
    # default margin 1: row 0 terms max(0, 1 - 3 + 1) = 0, max(0, 2.5 - 3 + 1) = 0.5;
    # row 1 terms max(0, 0.5 - 1 + 1) = 0.5, max(0, 2 - 1 + 1) = 2
    assert np.isclose(loss, 1.5), f"with the default margin 1 the loss is 3 / 2 = 1.5, yours {loss}"
    assert np.allclose(dscores, [[-0.5, 0, 0.5], [0.5, 0.5, -1]]), (
        f"dscores with the default margin should be [[-0.5, 0, 0.5], [0.5, 0.5, -1]], "
        f"yours {dscores}")


def check_svm_integer(svm_loss):
    scores, y = np.array([[3, 1, 2], [0, 2, 1]]), np.array([0, 2])
    loss, dscores = svm_loss(scores, y, margin=1.5)
    assert np.asarray(dscores).dtype == np.float64, (
        f"integer scores give float64 dscores, yours are {np.asarray(dscores).dtype}")
    # row 0 terms 0 and 0.5, row 1 terms 0.5 and 2.5: loss 3.5 / 2
    assert np.isclose(loss, 1.75) and np.allclose(dscores, [[-0.5, 0, 0.5], [0.5, 0.5, -1]]), (
        f"integer scores {scores.tolist()} with margin 1.5 give loss 1.75 and dscores "
        f"[[-0.5, 0, 0.5], [0.5, 0.5, -1]], yours {loss} and {dscores}")
