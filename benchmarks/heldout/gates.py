"""Held-out entries for assignment 2: gates, activations and losses.

Parts: ``gates.max_gate`` (max_forward, max_backward), ``gates.sigmoid``
(sigmoid_forward, sigmoid_backward), ``gates.prelu`` (prelu_forward,
prelu_backward), ``gates.softmax_cross_entropy`` and ``gates.svm_loss``
(single functions). The locked helpers (``_float``, ``_dout``,
``_unbroadcast``, ``_check_labels``, ``_scalar``) are imported.
"""
from __future__ import annotations

import numpy as np

from benchmarks.heldout import Right, Wrong
from solutions.gates import _check_labels, _dout, _float, _scalar, _unbroadcast

# ------------------------------------------------------------------ max gate


def max_forward(x, y):
    x, y = _float(x), _float(y)
    won = x >= y
    return np.where(won, x, y), (won, x.shape, y.shape)


def max_backward(dout, cache):
    won, xs, ys = cache
    dout = _dout(dout, won.shape, "max")
    return (_unbroadcast(np.where(won, dout, 0.0), xs),
            _unbroadcast(np.where(won, 0.0, dout), ys))


def max_forward_strict(x, y):
    x, y = _float(x), _float(y)
    won = x > y  # a tie goes to y
    return np.where(won, x, y), (won, x.shape, y.shape)


def max_forward_values(x, y):
    x, y = _float(x), _float(y)
    return np.maximum(x, y), (x, y)


def max_backward_split_ties(dout, cache):
    x, y = cache
    dout = _float(dout)
    share = np.where(x == y, 0.5, 1.0)
    return dout * (x >= y) * share, dout * (y >= x) * share


def max_backward_reuses_dout(dout, cache):
    won, xs, ys = cache
    dout = _dout(dout, won.shape, "max")
    dy = np.where(won, 0.0, dout)
    dx = dout
    dx[~won] = 0.0  # zeroes the caller's array
    return dx, dy


def max_backward_difference(dout, cache):
    won, xs, ys = cache
    dout = _dout(dout, won.shape, "max")
    dx = np.where(won, dout, 0.0)
    return dx, dout - dx


# ------------------------------------------------------------------- sigmoid

def sigmoid_forward(x):
    x = _float(x)
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1.0, e) / (1.0 + e)
    return s, (s,)


def sigmoid_backward(dout, cache):
    (s,) = cache
    dout = _dout(dout, s.shape, "sigmoid")
    return dout * s * (1.0 - s)


def sigmoid_forward_naive(x):
    x = _float(x)
    s = 1.0 / (1.0 + np.exp(-x))
    return s, (s,)


def sigmoid_forward_both_branches(x):
    x = _float(x)
    s = np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)),
                 np.exp(x) / (1.0 + np.exp(x)))
    return s, (s,)


def sigmoid_forward_float64(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1.0, e) / (1.0 + e)
    return s, (s,)


def sigmoid_forward_one_branch(x):
    x = _float(x)
    e = np.exp(-np.abs(x))
    s = 1.0 / (1.0 + e)  # right for x >= 0 only
    return s, (s,)


def sigmoid_forward_masked(x):
    x = _float(x)
    s = np.empty_like(x)
    pos = x >= 0
    s[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    z = np.exp(x[~pos])
    s[~pos] = z / (1.0 + z)
    return s, (s,)


# --------------------------------------------------------------------- prelu

def prelu_forward(x, a):
    x, a = _float(x), _float(a)
    if a.ndim > 1 or (a.ndim == 1 and a.shape != x.shape[-1:]):
        raise ValueError(f"a {a.shape} for x {x.shape}")
    return np.where(x > 0, x, a * x), (x, a)


def prelu_backward(dout, cache):
    x, a = cache
    dout = _dout(dout, x.shape, "prelu")
    neg = x <= 0
    dx = np.where(neg, a * dout, dout)
    per_unit = np.where(neg, dout * x, 0.0)
    if a.ndim == 0:
        return dx, per_unit.sum().reshape(())
    return dx, per_unit.reshape(-1, a.shape[0]).sum(axis=0)


def prelu_forward_maximum(x, a):
    x, a = _float(x), _float(a)
    return np.maximum(x, a * x), (x, a)


def prelu_backward_maximum(dout, cache):
    x, a = cache
    dout = _float(dout)
    pos = x > a * x  # the branch max(x, a x) picked
    dx = np.where(pos, dout, a * dout)
    per_unit = np.where(pos, 0.0, dout * x)
    if a.ndim == 0:
        return dx, per_unit.sum().reshape(())
    return dx, per_unit.reshape(-1, a.shape[0]).sum(axis=0)


def prelu_backward_zero_positive(dout, cache):
    x, a = cache
    dout = _float(dout)
    pos = x >= 0
    dx = np.where(pos, dout, a * dout)
    per_unit = np.where(pos, 0.0, dout * x)
    if a.ndim == 0:
        return dx, per_unit.sum().reshape(())
    return dx, per_unit.reshape(-1, a.shape[0]).sum(axis=0)


def prelu_backward_da_total(dout, cache):
    x, a = cache
    dout = _float(dout)
    neg = x <= 0
    dx = np.where(neg, a * dout, dout)
    return dx, np.sum(np.where(neg, dout * x, 0.0))  # one number for any a


def prelu_backward_da_axis0(dout, cache):
    x, a = cache
    dout = _float(dout)
    neg = x <= 0
    dx = np.where(neg, a * dout, dout)
    per_unit = np.where(neg, dout * x, 0.0)
    if a.ndim == 0:
        return dx, per_unit.sum().reshape(())
    return dx, per_unit.sum(axis=0)  # (D,) for 2-D x only


def prelu_backward_unbroadcast(dout, cache):
    x, a = cache
    dout = _dout(dout, x.shape, "prelu")
    on = x > 0
    dx = dout * on + a * dout * ~on
    return dx, _unbroadcast(dout * x * ~on, a.shape)


# ------------------------------------------------------------------- softmax

def softmax_cross_entropy_global_max(scores, y):
    scores, y = _check_labels(scores, y, "softmax_cross_entropy")
    n = len(y)
    shifted = scores - scores.max()  # one maximum for the whole batch
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    return float(-logp[np.arange(n), y].mean()), d / n


def softmax_cross_entropy_no_shift(scores, y):
    scores, y = _check_labels(scores, y, "softmax_cross_entropy")
    n = len(y)
    e = np.exp(scores)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    d = p.copy()
    d[np.arange(n), y] -= 1.0
    return float(loss), d / n


def softmax_cross_entropy_in_place(scores, y):
    scores, y = _check_labels(scores, y, "softmax_cross_entropy")
    n = len(y)
    scores -= scores.max(axis=1, keepdims=True)  # edits the caller's scores
    logp = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    return float(-logp[np.arange(n), y].mean()), d / n


def softmax_cross_entropy_column_max(scores, y):
    scores, y = _check_labels(scores, y, "softmax_cross_entropy")
    n = len(y)
    shifted = scores - scores.max(axis=0, keepdims=True)  # wrong axis
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(logp)
    d[np.arange(n), y] -= 1.0
    return float(-logp[np.arange(n), y].mean()), d / n


def softmax_cross_entropy_loop(scores, y):
    scores, y = _check_labels(scores, y, "softmax_cross_entropy")
    n, c = scores.shape
    total = 0.0
    d = np.zeros_like(scores)
    for i in range(n):
        row = scores[i] - scores[i].max()
        lse = np.log(np.sum(np.exp(row)))
        total += lse - row[y[i]]
        d[i] = np.exp(row - lse)
        d[i, y[i]] -= 1.0
    return float(total / n), d / n


def softmax_cross_entropy_logsumexp(scores, y):
    scores, y = _check_labels(scores, y, "softmax_cross_entropy")
    n = len(y)
    m = scores.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(scores - m).sum(axis=1, keepdims=True))
    onehot = np.zeros_like(scores)
    onehot[np.arange(n), y] = 1.0
    loss = np.mean(lse[:, 0] - scores[np.arange(n), y])
    return float(loss), (np.exp(scores - lse) - onehot) / n


# ----------------------------------------------------------------------- svm

def svm_loss_kink_active(scores, y, margin=1.0):
    margin = _scalar(margin, "svm_loss margin")
    scores, y = _check_labels(scores, y, "svm_loss")
    n = len(y)
    rows = np.arange(n)
    m = scores - scores[rows, y][:, None] + margin
    m[rows, y] = 0.0
    active = m >= 0  # terms exactly at the kink count
    active[rows, y] = False
    d = active.astype(scores.dtype)
    d[rows, y] = -active.sum(axis=1)
    return float(np.maximum(m, 0.0).sum() / n), d / n


def svm_loss_fixed_margin(scores, y, margin=1.0):
    scores, y = _check_labels(scores, y, "svm_loss")
    n = len(y)
    rows = np.arange(n)
    m = scores - scores[rows, y][:, None] + 1.0  # the argument is ignored
    m[rows, y] = 0.0
    active = m > 0
    d = active.astype(scores.dtype)
    d[rows, y] = -active.sum(axis=1)
    return float(m[active].sum() / n), d / n


def svm_loss_over_classes(scores, y, margin=1.0):
    margin = _scalar(margin, "svm_loss margin")
    scores, y = _check_labels(scores, y, "svm_loss")
    n, c = scores.shape
    rows = np.arange(n)
    m = scores - scores[rows, y][:, None] + margin
    m[rows, y] = 0.0
    active = m > 0
    d = active.astype(scores.dtype)
    d[rows, y] = -active.sum(axis=1)
    return float(m[active].sum() / (n * c)), d / (n * c)


def svm_loss_in_place(scores, y, margin=1.0):
    margin = _scalar(margin, "svm_loss margin")
    scores, y = _check_labels(scores, y, "svm_loss")
    n = len(y)
    rows = np.arange(n)
    scores -= scores[rows, y][:, None] - margin  # edits the caller's scores
    scores[rows, y] = 0.0
    active = scores > 0
    d = active.astype(scores.dtype)
    d[rows, y] = -active.sum(axis=1)
    return float(scores[active].sum() / n), d / n


def svm_loss_loops(scores, y, margin=1.0):
    margin = _scalar(margin, "svm_loss margin")
    scores, y = _check_labels(scores, y, "svm_loss")
    n, c = scores.shape
    loss = 0.0
    d = np.zeros_like(scores)
    for i in range(n):
        for j in range(c):
            if j == y[i]:
                continue
            term = scores[i, j] - scores[i, y[i]] + margin
            if term > 0:
                loss += term
                d[i, j] += 1.0
                d[i, y[i]] -= 1.0
    return float(loss / n), d / n


# ---------------------------------------------------------------------------

MAX = (max_forward, max_backward)
SIGMOID = (sigmoid_forward, sigmoid_backward)
PRELU = (prelu_forward, prelu_backward)

WRONG = [
    Wrong("gates.max_gate", "tie_goes_to_y", "inputs",
          (max_forward_strict, max_backward),
          "the winner is x > y, so on a tie the whole gradient goes to y "
          "instead of the first argument"),
    Wrong("gates.max_gate", "ties_split", "inputs",
          (max_forward_values, max_backward_split_ties),
          "ties split the gradient half and half as torch.maximum does, "
          "instead of giving all of it to x"),
    Wrong("gates.max_gate", "zeroes_dout_in_place", "contract",
          (max_forward, max_backward_reuses_dout),
          "dx is dout itself with the losing entries set to 0, which "
          "changes the caller's dout"),

    Wrong("gates.sigmoid", "naive_overflows", "inputs",
          (sigmoid_forward_naive, sigmoid_backward),
          "s = 1 / (1 + exp(-x)) overflows with a warning for large "
          "negative x"),
    Wrong("gates.sigmoid", "where_evaluates_both", "inputs",
          (sigmoid_forward_both_branches, sigmoid_backward),
          "np.where computes both branches everywhere, so exp overflows "
          "for large |x| although the chosen branch is safe"),
    Wrong("gates.sigmoid", "upcasts_float32", "inputs",
          (sigmoid_forward_float64, sigmoid_backward),
          "x is converted to float64, so a float32 input gives float64 s "
          "and dx"),
    Wrong("gates.sigmoid", "one_branch_only", "formula",
          (sigmoid_forward_one_branch, sigmoid_backward),
          "s = 1 / (1 + exp(-|x|)) is used for every x, which is "
          "sigma(|x|) instead of sigma(x) for negative x"),

    Wrong("gates.prelu", "maximum_of_branches", "inputs",
          (prelu_forward_maximum, prelu_backward_maximum),
          "out = max(x, a x) is PReLU only for a <= 1; a slope above 1 "
          "picks the wrong branch on both sides of 0"),
    Wrong("gates.prelu", "zero_takes_positive_branch", "inputs",
          (prelu_forward, prelu_backward_zero_positive),
          "the backward pass uses the positive branch at x == 0, so dx "
          "there is dout instead of a * dout"),
    Wrong("gates.prelu", "da_summed_over_everything", "inputs",
          (prelu_forward, prelu_backward_da_total),
          "da is one total even for a per-feature slope of shape (D,)"),
    Wrong("gates.prelu", "da_sums_first_axis", "inputs",
          (prelu_forward, prelu_backward_da_axis0),
          "da sums over axis 0 only, which is right for 2-D x but leaves "
          "a (T, D) array for x of shape (N, T, D)"),

    Wrong("gates.softmax_cross_entropy", "batch_max", "inputs",
          softmax_cross_entropy_global_max,
          "the maximum of the whole batch is subtracted instead of each "
          "row's, so a row far below the others underflows to log(0)"),
    Wrong("gates.softmax_cross_entropy", "no_shift", "inputs",
          softmax_cross_entropy_no_shift,
          "exp is applied to the raw scores, which overflows for scores "
          "around 1000"),
    Wrong("gates.softmax_cross_entropy", "shifts_in_place", "contract",
          softmax_cross_entropy_in_place,
          "the row maximum is subtracted in place, changing the caller's "
          "scores"),
    Wrong("gates.softmax_cross_entropy", "column_max", "formula",
          softmax_cross_entropy_column_max,
          "the maximum is taken over axis 0, a different constant in each "
          "column of a row, which changes the softmax"),

    Wrong("gates.svm_loss", "kink_counts_as_active", "inputs",
          svm_loss_kink_active,
          "a term exactly at the kink (== 0) is counted as active in the "
          "gradient"),
    Wrong("gates.svm_loss", "margin_ignored", "contract",
          svm_loss_fixed_margin,
          "the margin argument is ignored and 1 is always used"),
    Wrong("gates.svm_loss", "divides_by_classes", "formula",
          svm_loss_over_classes,
          "the loss and gradient are divided by N * C as in torch's "
          "multi_margin_loss instead of by N"),
    Wrong("gates.svm_loss", "margins_in_place", "contract",
          svm_loss_in_place,
          "the margins are computed in the caller's scores array"),
]

RIGHT = [
    Right("gates.max_gate", "dy_as_remainder",
          (max_forward, max_backward_difference)),
    Right("gates.sigmoid", "boolean_indexing",
          (sigmoid_forward_masked, sigmoid_backward)),
    Right("gates.prelu", "unbroadcast_da",
          (prelu_forward, prelu_backward_unbroadcast)),
    Right("gates.softmax_cross_entropy", "loop_over_rows",
          softmax_cross_entropy_loop),
    Right("gates.softmax_cross_entropy", "logsumexp_onehot",
          softmax_cross_entropy_logsumexp),
    Right("gates.svm_loss", "loops", svm_loss_loops),
]
