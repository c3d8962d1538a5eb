"""Gates, activations and losses: each one's forward pass and local gradient.

Every gate is a pair ``<name>_forward(...) -> (out, cache)`` and
``<name>_backward(dout, cache) -> grads``; the cache is opaque and the
gradients come back in the order of the forward's array arguments. Three
patterns explain most of backpropagation: the add gate *distributes* the
upstream gradient unchanged to every input, the max gate *routes* all of it
to the larger input and 0 to the other, and the mul gate *swaps* (the
gradient of x is y * dout and of y is x * dout). The swap has a practical
consequence: multiply the data x by 1000 and the gradient of the weight it
meets grows by the same factor 1000, so a learning rate tuned for one
scaling of the data is wrong for another, which is one reason to preprocess
inputs. Conventions at the points where the derivative does not exist:
``max`` gives the whole gradient to its FIRST argument on a tie x == y, so
the two gradients always sum to dout (``torch.maximum`` splits a tie
0.5/0.5); ``maxout`` gives it to the lowest piece index (as ``np.argmax``
and ``torch.max(dim=...)``); ReLU has slope 0 at 0, leaky ReLU, PReLU and
ELU use their negative branch at 0, and a hinge term exactly at its kink is
inactive, all as in PyTorch. ``add``, ``mul`` and ``max`` broadcast and sum
the gradient back to each input's shape. PReLU broadcasts its slope ``a``
along the LAST axis, where ``torch.nn.functional.prelu`` uses axis 1 (the
same for 2-D inputs). Cross-entropy and the hinge loss average over the N
examples; ``torch.nn.functional.multi_margin_loss`` also divides by the
number of classes C. Integer inputs are computed in float64, float inputs
keep their dtype (float32 stays float32), and no function changes the
arrays passed to it: every result is a new array.
"""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "add_forward", "add_backward", "mul_forward", "mul_backward",
    "max_forward", "max_backward", "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward", "relu_forward", "relu_backward",
    "leaky_relu_forward", "leaky_relu_backward", "prelu_forward",
    "prelu_backward", "elu_forward", "elu_backward", "maxout_forward",
    "maxout_backward", "softmax", "softmax_cross_entropy", "svm_loss",
]

Grads2 = tuple[np.ndarray, np.ndarray]


# ---------------------------------------------------------------- helpers
def _float(a: ArrayLike) -> np.ndarray:
    """Return ``a`` as an array, cast to float64 unless already float."""
    a = np.asarray(a)
    if np.issubdtype(a.dtype, np.floating):
        return a
    return a.astype(np.float64)


def _scalar(value: float, name: str) -> float:
    """A finite real hyperparameter, or a ValueError naming it."""
    try:
        ok = np.ndim(value) == 0 and bool(np.isfinite(value))
    except TypeError:  # None, strings and other non-numbers
        ok = False
    if not ok:
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _dout(dout: ArrayLike, shape: tuple, gate: str) -> np.ndarray:
    """The upstream gradient, checked to have the forward output's shape."""
    dout = _float(dout)
    if dout.shape != shape:
        raise ValueError(f"{gate}_backward: dout has shape {dout.shape}, "
                         f"the forward output had shape {shape}")
    return dout


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added to reach ``shape``.

    A value used by several outputs receives the sum of their gradients.
    Always returns a new array, so two gradients never alias ``dout``.
    """
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1)
    return np.asarray(g.sum(axis=stretched, keepdims=True))


# ---------------------------------------------------------- binary gates
def add_forward(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, tuple]:
    """Add gate: ``out = x + y`` (broadcasting).

    Shapes: x and y broadcast to the shape of out.
    Cache: (x.shape, y.shape, out.shape).
    """
    x, y = _float(x), _float(y)
    out = x + y
    return out, (x.shape, y.shape, out.shape)


def add_backward(dout: ArrayLike, cache: tuple) -> Grads2:
    """Add gate distributes: ``dx = dout``, ``dy = dout``.

    Both local derivatives are 1, so each input gets the upstream gradient
    unchanged (summed over broadcast axes back to its own shape).
    Returns (dx, dy) with the shapes of x and y.
    """
    x_shape, y_shape, out_shape = cache
    dout = _dout(dout, out_shape, "add")
    return _unbroadcast(dout, x_shape), _unbroadcast(dout, y_shape)


def mul_forward(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, tuple]:
    """Mul gate: ``out = x * y`` elementwise (broadcasting).

    Shapes: x and y broadcast to the shape of out. Cache: (x, y).
    """
    x, y = _float(x), _float(y)
    return x * y, (x, y)


def mul_backward(dout: ArrayLike, cache: tuple) -> Grads2:
    """Mul gate swaps: ``dx = y * dout``, ``dy = x * dout``.

    Each input's local gradient is the other input, so scaling x by c
    scales dy by c. Returns (dx, dy) with the shapes of x and y.
    """
    x, y = cache
    dout = _dout(dout, np.broadcast_shapes(x.shape, y.shape), "mul")
    return _unbroadcast(y * dout, x.shape), _unbroadcast(x * dout, y.shape)


def max_forward(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, tuple]:
    """Max gate: ``out = x if x >= y else y`` elementwise (broadcasting).

    Tie rule: where x == y the first argument x is the winner.
    Cache: (x_won, x.shape, y.shape), x_won a boolean array of out's shape.
    """
    x, y = _float(x), _float(y)
    x_won = x >= y
    return np.where(x_won, x, y), (x_won, x.shape, y.shape)


def max_backward(dout: ArrayLike, cache: tuple) -> Grads2:
    """Max gate routes: ``dx = dout * [x >= y]``, ``dy = dout * [x < y]``.

    The whole gradient goes to the winner and 0 to the loser; on a tie
    x == y it all goes to x, so dx + dy == dout always (torch.maximum
    would give 0.5 * dout to each). Returns (dx, dy), shapes of x and y.
    """
    x_won, x_shape, y_shape = cache
    dout = _dout(dout, x_won.shape, "max")
    dx, dy = np.where(x_won, dout, 0.0), np.where(x_won, 0.0, dout)
    return _unbroadcast(dx, x_shape), _unbroadcast(dy, y_shape)


# ----------------------------------------------------------- activations
def sigmoid_forward(x: ArrayLike) -> tuple[np.ndarray, tuple]:
    """Logistic sigmoid: ``s = 1 / (1 + exp(-x))``, any shape.

    Computed from ``e = exp(-|x|)`` as 1/(1+e) for x >= 0 and e/(1+e) for
    x < 0, so exp never overflows: s(-1000) = 0 and s(1000) = 1 exactly,
    with no warning. A float32 x gives a float32 s. Cache: (s,).
    """
    x = _float(x)
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1.0, e) / (1.0 + e)
    return s, (s,)


def sigmoid_backward(dout: ArrayLike, cache: tuple) -> np.ndarray:
    """``dx = dout * s * (1 - s)``; at most dout/4 (at x = 0).

    The local gradient vanishes where the unit saturates (s near 0 or 1),
    which is why gradients fade through a stack of sigmoid layers.
    """
    (s,) = cache
    dout = _dout(dout, s.shape, "sigmoid")
    return dout * (1.0 - s) * s


def tanh_forward(x: ArrayLike) -> tuple[np.ndarray, tuple]:
    """Hyperbolic tangent: ``t = tanh(x)`` elementwise. Cache: (t,)."""
    t = np.tanh(_float(x))
    return t, (t,)


def tanh_backward(dout: ArrayLike, cache: tuple) -> np.ndarray:
    """``dx = dout * (1 - t**2)``; at most dout (at x = 0), saturates."""
    (t,) = cache
    dout = _dout(dout, t.shape, "tanh")
    return dout * (1.0 - t * t)


def relu_forward(x: ArrayLike) -> tuple[np.ndarray, tuple]:
    """ReLU: ``out = max(0, x)`` elementwise. Cache: (x > 0,)."""
    x = _float(x)
    on = x > 0
    return np.where(on, x, 0.0), (on,)


def relu_backward(dout: ArrayLike, cache: tuple) -> np.ndarray:
    """``dx = dout * [x > 0]``: slope 0 at x == 0, as in PyTorch.

    A unit whose input is never positive gets no gradient at all ("dead").
    """
    (on,) = cache
    dout = _dout(dout, on.shape, "relu")
    return np.where(on, dout, 0.0)


def leaky_relu_forward(x: ArrayLike,
                       slope: float = 0.01) -> tuple[np.ndarray, tuple]:
    """Leaky ReLU: ``out = x if x > 0 else slope * x``, any shape.

    Cache: (x > 0, slope).
    """
    slope = _scalar(slope, "leaky_relu slope")
    x = _float(x)
    on = x > 0
    return np.where(on, x, slope * x), (on, slope)


def leaky_relu_backward(dout: ArrayLike, cache: tuple) -> np.ndarray:
    """``dx = dout if x > 0 else slope * dout``; slope at x == 0 (torch)."""
    on, slope = cache
    dout = _dout(dout, on.shape, "leaky_relu")
    return np.where(on, dout, slope * dout)


def prelu_forward(x: ArrayLike, a: ArrayLike) -> tuple[np.ndarray, tuple]:
    """Parametric ReLU: ``out = x if x > 0 else a * x`` with a learned a.

    Shapes: x any shape; a has shape () (one slope shared by all units) or
    (D,) with D = x.shape[-1] (one slope per feature, broadcast along the
    last axis; torch.nn.functional.prelu uses axis 1 instead).
    Cache: (x, a).
    """
    x, a = _float(x), _float(a)
    if a.ndim > 1 or (a.ndim == 1 and a.shape != x.shape[-1:]):
        raise ValueError(f"prelu slope a must have shape () or (D,) with "
                         f"D = x.shape[-1]; x has shape {x.shape}, a has "
                         f"shape {a.shape}")
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout: ArrayLike, cache: tuple) -> Grads2:
    """``dx = dout if x > 0 else a * dout``, ``da = sum(dout * x [x <= 0])``.

    At x == 0 the negative branch is used (dx = a * dout), as in PyTorch;
    its da contribution is 0 either way. da is summed over every position
    that shares a slope (for a per-feature slope, over every axis of x but
    the last), so it has the shape of a. Returns (dx, da).
    """
    x, a = cache
    dout = _dout(dout, x.shape, "prelu")
    on = x > 0
    dx = np.where(on, dout, a * dout)
    # every position that shares a slope adds its share: one row per slope
    da = np.where(on, 0.0, dout * x).reshape(-1, a.size).sum(axis=0).reshape(a.shape)
    return dx, da


def elu_forward(x: ArrayLike,
                alpha: float = 1.0) -> tuple[np.ndarray, tuple]:
    """ELU: ``out = x if x > 0 else alpha * (exp(x) - 1)``, any shape.

    The exponential only sees min(x, 0) so large positive x cannot
    overflow; expm1 keeps precision for small negative x.
    Cache: (x, alpha).
    """
    alpha = _scalar(alpha, "elu alpha")
    x = _float(x)
    neg = alpha * np.expm1(np.minimum(x, 0.0))
    return np.where(x > 0, x, neg), (x, alpha)


def elu_backward(dout: ArrayLike, cache: tuple) -> np.ndarray:
    """``dx = dout if x > 0 else dout * alpha * exp(x)``.

    At x == 0 the negative branch is used (slope alpha), as in PyTorch;
    the two branches agree there only when alpha == 1.
    """
    x, alpha = cache
    dout = _dout(dout, x.shape, "elu")
    slope = alpha * np.exp(np.minimum(x, 0.0))
    return np.where(x > 0, dout, dout * slope)


def maxout_forward(x: ArrayLike, W: ArrayLike,
                   b: ArrayLike) -> tuple[np.ndarray, tuple]:
    """Maxout: ``out[n, m] = max_j (x @ W[j] + b[j])[n, m]``.

    Shapes: x (N, D), W (k, D, M), b (k, M) -> out (N, M); k linear pieces
    whose maximum is a learned convex piecewise-linear function. Tie rule:
    the lowest piece index j wins (np.argmax; torch.max(dim=0) agrees).
    Cache: (x, W, win) with win (N, M) the winning piece indices.
    """
    x, W, b = _float(x), _float(W), _float(b)
    if x.ndim != 2 or W.ndim != 3 or W.shape[1] != x.shape[1] \
            or b.shape != (W.shape[0], W.shape[2]):
        raise ValueError(f"maxout needs x (N, D), W (k, D, M), b (k, M); "
                         f"got x {x.shape}, W {W.shape}, b {b.shape}")
    z = x @ W + b[:, None, :]  # (k, N, M): every piece for every unit
    win = np.argmax(z, axis=0)
    out = np.take_along_axis(z, win[None], axis=0)[0]
    return out, (x, W, win)


def maxout_backward(dout: ArrayLike, cache: tuple) -> tuple[np.ndarray, ...]:
    """Route dout to the winning piece, then backprop its affine map.

    With dz[j] = dout * [win == j] (k, N, M): ``dx = sum_j dz[j] @ W[j].T``,
    ``dW[j] = x.T @ dz[j]``, ``db[j] = sum_n dz[j]``. Losing pieces get
    zero gradient. Returns (dx, dW, db) with the shapes of x, W, b.
    """
    x, W, win = cache
    dout = _dout(dout, win.shape, "maxout")
    pieces = np.arange(W.shape[0])[:, None, None]
    dz = np.where(win[None] == pieces, dout[None], 0.0)
    dx = (dz @ W.transpose(0, 2, 1)).sum(axis=0)
    return dx, x.T @ dz, dz.sum(axis=1)


# ---------------------------------------------------------------- losses
def softmax(x: ArrayLike) -> np.ndarray:
    """``p_i = exp(x_i - max x) / sum_j exp(x_j - max x)``, last axis.

    Subtracting the row maximum changes nothing mathematically but keeps
    every exponent <= 0, so no overflow for huge scores. Shape of x.
    """
    x = _float(x)
    if x.ndim == 0 or x.shape[-1] == 0:
        raise ValueError(f"softmax needs a non-empty last axis, "
                         f"got shape {x.shape}")
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _check_labels(scores: ArrayLike, y: ArrayLike, loss: str):
    """Scores (N, C) with N, C >= 1 and integer labels y (N,) in [0, C)."""
    scores, y = _float(scores), np.asarray(y)
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(f"{loss}: scores must be (N, C) with N, C >= 1, "
                         f"got shape {scores.shape}")
    n, c = scores.shape
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{loss}: y must be integers of shape ({n},), "
                         f"got {y.dtype} of shape {y.shape}")
    bad = (y < 0) | (y >= c)
    if bad.any():
        raise ValueError(f"{loss}: labels must be in [0, {c}), got "
                         f"y[{np.flatnonzero(bad)[0]}] = {y[bad][0]}")
    return scores, y


def softmax_cross_entropy(scores: ArrayLike,
                          y: ArrayLike) -> tuple[float, np.ndarray]:
    """Mean softmax cross-entropy and its gradient with respect to scores.

    ``L = -(1/N) sum_n log softmax(scores[n])[y[n]]`` and
    ``dscores = (softmax(scores) - onehot(y)) / N``. Shapes: scores (N, C),
    y (N,) integers in [0, C). log-softmax is formed as
    ``(s - max s) - log sum exp(s - max s)``: finite even for scores ~1e4.
    With small random scores L is about ln(C) (2.302 for C = 10).
    """
    scores, y = _check_labels(scores, y, "softmax_cross_entropy")
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    dscores = np.exp(logp)
    dscores[rows, y] -= 1.0
    return float(-logp[rows, y].mean()), dscores / n


def svm_loss(scores: ArrayLike, y: ArrayLike,
             margin: float = 1.0) -> tuple[float, np.ndarray]:
    """Multiclass hinge loss and its gradient with respect to scores.

    ``L = (1/N) sum_n sum_{j != y_n} max(0, s[n, j] - s[n, y_n] + margin)``.
    Each active term (strictly positive) adds +1/N to dscores[n, j] and
    -1/N to dscores[n, y_n]; a term exactly at the kink (== 0) counts as
    inactive, like the derivative of torch.relu at 0. Shapes: scores
    (N, C), floats or integers (then dscores is float64), y (N,) integers
    in [0, C); margin defaults to 1. torch's multi_margin_loss also
    divides by C.
    """
    margin = _scalar(margin, "svm_loss margin")
    scores, y = _check_labels(scores, y, "svm_loss")
    n = scores.shape[0]
    rows = np.arange(n)
    m = scores - scores[rows, y][:, None] + margin
    m[rows, y] = 0.0  # the correct class is not compared with itself
    active = m > 0
    dscores = active.astype(scores.dtype)
    dscores[rows, y] = -active.sum(axis=1)
    return float(m[active].sum() / n), dscores / n
