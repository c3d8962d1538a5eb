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
    out, cache = sigmoid_forward(np.zeros(3))
    dx = sigmoid_backward(np.array([1.0, 2.0, -4.0]), cache)
    assert np.allclose(out, 0.5), f"sigmoid(0) is 1/2, yours {out}"
    assert np.allclose(dx, [0.25, 0.5, -1.0]), (
        f"the slope at 0 is 1/4, so dx = dout/4; yours {dx}")
    x = np.random.default_rng(1).standard_normal((3, 4)) * 3
    error = backward_errors(sigmoid_forward, sigmoid_backward, [x])[0]
    assert error < 1e-5, f"dx differs from the numerical gradient (relative error {error:.1e})"


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


def check_cross_entropy(softmax_cross_entropy):
    loss, dscores = softmax_cross_entropy(np.zeros((4, 10)), np.array([0, 3, 9, 3]))
    assert np.isclose(loss, np.log(10)), (
        f"with zero scores the loss is ln(10) = 2.302585, yours {loss}")
    rng = np.random.default_rng(3)
    scores, y = rng.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])
    _, dscores = softmax_cross_entropy(scores, y)
    assert np.allclose(dscores.sum(axis=1), 0.0), (
        f"each row of dscores should sum to 0, got {dscores.sum(axis=1)}")
    error = loss_errors(softmax_cross_entropy, scores, y)
    assert error < 1e-5, f"dscores differs from the numerical gradient (relative error {error:.1e})"


def check_cross_entropy_large(softmax_cross_entropy):
    scores, y = np.array([[1000.0, -1000.0, 0.0], [-500.0, 700.0, 699.0]]), np.array([1, 2])
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            loss, dscores = softmax_cross_entropy(scores, y)
    except FloatingPointError as err:
        raise AssertionError(f"numpy warned for scores around 1000: {err}") from None
    assert np.isfinite(loss) and np.all(np.isfinite(dscores)), f"loss {loss}, dscores {dscores}"
    # row 0: -log p = 1000 - (-1000) + log(1 + tiny terms);
    # row 1: 700 - 699 + log(1 + e^-1 + ...)
    expected = (2000.0 + 1.0 + np.log1p(np.exp(-1.0))) / 2
    assert np.isclose(loss, expected), (
        f"loss for scores {scores.tolist()}, y = {y.tolist()}: yours {loss}, "
        f"expected {expected}")


def check_svm(svm_loss):
    scores, y = np.array([[3.0, 1.0, 2.0], [0.0, 2.0, 1.0]]), np.array([0, 2])
    loss, dscores = svm_loss(scores, y)
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
