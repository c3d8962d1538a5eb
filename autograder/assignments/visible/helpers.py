"""Helpers given to students for their visible checks: numpy only.

The specs put these functions into a given (locked) cell, source and all,
so a notebook's visible checks run where neither the reference nor the
grader is installed. There is one numerical gradient and one relative
error for every notebook.
"""
from __future__ import annotations

import numpy as np


def numerical_gradient(f, x, h=1e-5):
    """Centered differences (f(x + h e_i) - f(x - h e_i)) / (2h) for every
    entry i of the float array x; f(x) returns a number. x is changed in
    place while f runs, and restored."""
    grad = np.zeros(x.shape)
    for i in np.ndindex(*x.shape):
        old = x[i]
        x[i] = old + h
        up = f(x)
        x[i] = old - h
        down = f(x)
        x[i] = old
        grad[i] = (up - down) / (2 * h)
    return grad


def relative_error(a, b):
    """Largest |a - b| / max(|a|, |b|, 1e-8) over the entries."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), 1e-8)
    return float(np.max(np.abs(a - b) / scale, initial=0.0))


def backward_errors(forward, backward, inputs, seed=0):
    """Check a pair forward(*inputs) -> (out, cache), backward(dout, cache)
    -> one gradient per input (a single array when there is one input).

    Uses the scalar L = sum(out * dout) with a fixed random dout, whose
    gradient with respect to out is dout. Returns a list: for each input,
    the relative error between your gradient and the numerical one;
    raises AssertionError if a gradient does not have its input's shape.
    """
    inputs = [np.array(v, dtype=float) for v in inputs]
    out, cache = forward(*[v.copy() for v in inputs])
    dout = np.random.default_rng(seed).standard_normal(np.shape(out))
    grads = backward(dout.copy(), cache)
    if len(inputs) == 1:
        grads = (grads,)
    assert len(grads) == len(inputs), (
        f"backward returned {len(grads)} gradients for {len(inputs)} inputs")
    errors = []
    for i, (v, g) in enumerate(zip(inputs, grads)):
        assert np.shape(g) == v.shape, (
            f"gradient {i} has shape {np.shape(g)}, its input has shape {v.shape}")

        def loss(_):
            return float(np.sum(forward(*inputs)[0] * dout))
        errors.append(relative_error(g, numerical_gradient(loss, inputs[i])))
    return errors
