"""Held-out entries for assignment 1: the Value engine and the layers.

Parts: ``backprop.value`` (the class Value), ``backprop.affine``
(affine_forward, affine_backward), ``backprop.relu`` (relu_forward,
relu_backward) and ``backprop.mlp`` (mlp_forward, mlp_backward). The
helpers of the locked cells (the cache records, ``_as_float``,
``topological_order`` and the given local rules) are imported; everything
an answer cell holds is written here.
"""
from __future__ import annotations

import math
from collections import defaultdict
from numbers import Real

import numpy as np

from benchmarks.heldout import Right, Wrong
from solutions.backprop import (MLP_KEYS, AffineCache, MLPCache, _as_float,
                                _check_exponent, _div, _neg, _sigmoid, _sub,
                                topological_order)

# ---------------------------------------------------------------------------
# A correct engine. Variants subclass it and replace one piece; new nodes
# are made with type(self), so a variant's rules apply to the whole graph.


def _add(a, b):
    return a + b, 1.0, 1.0


def _mul(a, b):
    return a * b, b, a


def _power(x, k):
    if x < 0 and k != int(k):
        raise ValueError(f"negative base {x} with non-integer exponent {k}")
    if x == 0 and k < 1 and k != 0:
        raise ValueError(f"infinite slope of x ** {k} at x = 0")
    if k == 0:
        return x ** k, 0.0
    return x ** k, k * x ** (k - 1)


def _exp(x):
    e = math.exp(x)
    return e, e


def _log(x):
    if x <= 0:
        raise ValueError(f"log of {x}")
    return math.log(x), 1.0 / x


def _tanh(x):
    t = math.tanh(x)
    return t, 1.0 - t * t


def _relu(x):
    if x > 0:
        return x, 1.0
    return 0.0, 0.0


class Value:
    """A scalar node; grad accumulates d(root)/d(node) over backward."""

    def __init__(self, data, parents=(), op="", local_grads=(), *, label=""):
        if len(parents) != len(local_grads):
            raise ValueError("one local gradient per parent")
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self.local_grads = tuple(float(g) for g in local_grads)
        self.label = label

    def __repr__(self):
        return f"Value({self.data:.4g}, grad={self.grad:.4g})"

    def _lift(self, other):
        if isinstance(other, Value):
            return other
        if isinstance(other, Real):
            return type(self)(other)
        return None

    def _binary(self, other, op, rule, swap=False):
        other = self._lift(other)
        if other is None:
            return NotImplemented
        a, b = (other, self) if swap else (self, other)
        y, da, db = rule(a.data, b.data)
        return type(self)(y, (a, b), op, (da, db))

    def _unary(self, op, pair):
        y, slope = pair
        return type(self)(y, (self,), op, (slope,))

    def __add__(self, other):
        return self._binary(other, "+", _add)

    def __radd__(self, other):
        return self._binary(other, "+", _add, swap=True)

    def __sub__(self, other):
        return self._binary(other, "-", _sub)

    def __rsub__(self, other):
        return self._binary(other, "-", _sub, swap=True)

    def __mul__(self, other):
        return self._binary(other, "*", _mul)

    def __rmul__(self, other):
        return self._binary(other, "*", _mul, swap=True)

    def __truediv__(self, other):
        return self._binary(other, "/", _div)

    def __rtruediv__(self, other):
        return self._binary(other, "/", _div, swap=True)

    def __neg__(self):
        return self._unary("neg", _neg(self.data))

    def __pow__(self, k):
        k = _check_exponent(k)
        return self._unary("**", _power(self.data, k))

    def exp(self):
        return self._unary("exp", _exp(self.data))

    def log(self):
        return self._unary("log", _log(self.data))

    def tanh(self):
        return self._unary("tanh", _tanh(self.data))

    def sigmoid(self):
        return self._unary("sigmoid", _sigmoid(self.data))

    def relu(self):
        return self._unary("relu", _relu(self.data))

    def backward(self):
        pending = {self: 1.0}
        for node in reversed(topological_order(self)):
            g = pending.pop(node, 0.0)
            node.grad += g
            for parent, local in zip(node.parents, node.local_grads):
                pending[parent] = pending.get(parent, 0.0) + local * g

    def zero_grad(self):
        for node in topological_order(self):
            node.grad = 0.0


# ------------------------------------------------------------ Value: wrong

class ValueOverwrite(Value):
    def backward(self):
        pending = {self: 1.0}
        for node in reversed(topological_order(self)):
            g = pending.pop(node, 0.0)
            node.grad += g
            for parent, local in zip(node.parents, node.local_grads):
                pending[parent] = local * g  # the last child wins


class ValueParentsFirst(Value):
    def backward(self):
        pending = {self: 1.0}
        for node in topological_order(self):  # parents before children
            g = pending.pop(node, 0.0)
            node.grad += g
            for parent, local in zip(node.parents, node.local_grads):
                pending[parent] = pending.get(parent, 0.0) + local * g


class ValueRootLeftOut(Value):
    def backward(self):
        upstream = {self: 1.0}
        for node in reversed(topological_order(self)):
            g = upstream.get(node, 0.0)
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * g
                upstream[parent] = upstream.get(parent, 0.0) + local * g


class ValueReluKinkOne(Value):
    def relu(self):
        x = self.data
        return self._unary("relu", (x, 1.0) if x >= 0 else (0.0, 0.0))


class ValuePowerZeroExponent(Value):
    def __pow__(self, k):
        k = _check_exponent(k)
        x = self.data
        if x < 0 and k != int(k):
            raise ValueError("negative base, non-integer exponent")
        if x == 0 and k < 1 and k != 0:
            raise ValueError("infinite slope at 0")
        return self._unary("**", (x ** k, k * x ** (k - 1)))


class ValueTanhOfInput(Value):
    def tanh(self):
        x = self.data
        return self._unary("tanh", (math.tanh(x), 1.0 - x * x))


class ValueRsubNotSwapped(Value):
    def __rsub__(self, other):
        return self._binary(other, "-", _sub)  # 2 - x becomes x - 2


# ------------------------------------------------------------ Value: right

class ValueDefaultdict(Value):
    def relu(self):
        x = self.data
        return self._unary("relu", (max(x, 0.0), float(x > 0)))

    def backward(self):
        totals = defaultdict(float)
        totals[id(self)] = 1.0
        for node in topological_order(self)[::-1]:
            node.grad += totals[id(node)]
            for parent, local in zip(node.parents, node.local_grads):
                totals[id(parent)] += totals[id(node)] * local


class ValuePushIntoGrad(Value):
    # Right under the assignment's rule that every graph starts from
    # grad = 0 and calls backward once: gradients are summed in .grad.
    def backward(self):
        self.grad += 1.0
        for node in reversed(topological_order(self)):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad


# ---------------------------------------------------------------------------
# A correct affine layer and ReLU, used by the MLP entries as well.

def affine_forward(x, W, b):
    x, W, b = _as_float(x), _as_float(W), _as_float(b)
    if W.ndim != 2 or b.shape != W.shape[1:]:
        raise ValueError(f"W {W.shape}, b {b.shape}")
    if x.ndim < 2 or math.prod(x.shape[1:]) != W.shape[0]:
        raise ValueError(f"x {x.shape} does not fit W {W.shape}")
    out = x.reshape(x.shape[0], -1) @ W + b
    return out, AffineCache(x, W, b)


def affine_backward(dout, cache):
    x, W, _ = cache
    dout = _as_float(dout)
    if dout.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"dout {dout.shape}")
    flat = x.reshape(x.shape[0], -1)
    return (dout @ W.T).reshape(x.shape), flat.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    x = _as_float(x)
    return np.where(x > 0, x, 0.0).astype(x.dtype), x


def relu_backward(dout, cache):
    dout = _as_float(dout)
    if dout.shape != cache.shape:
        raise ValueError(f"dout {dout.shape} vs x {cache.shape}")
    return np.where(cache > 0, dout, 0.0).astype(dout.dtype)


# ----------------------------------------------------------- affine: wrong

def affine_backward_dW_transposed(dout, cache):
    x, W, _ = cache
    dout = _as_float(dout)
    flat = x.reshape(x.shape[0], -1)
    return (dout @ W.T).reshape(x.shape), dout.T @ flat, dout.sum(axis=0)


def affine_backward_db_mean(dout, cache):
    x, W, _ = cache
    dout = _as_float(dout)
    flat = x.reshape(x.shape[0], -1)
    return (dout @ W.T).reshape(x.shape), flat.T @ dout, dout.mean(axis=0)


def affine_backward_dx_flat(dout, cache):
    x, W, _ = cache
    dout = _as_float(dout)
    flat = x.reshape(x.shape[0], -1)
    return dout @ W.T, flat.T @ dout, dout.sum(axis=0)


def affine_forward_int(x, W, b):
    x, W, b = np.asarray(x), np.asarray(W), np.asarray(b)
    out = x.reshape(x.shape[0], -1) @ W + b
    return out, AffineCache(x, W, b)


def affine_forward_float64(x, W, b):
    x = np.asarray(x, dtype=np.float64)
    W = np.asarray(W, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    out = x.reshape(x.shape[0], -1) @ W + b
    return out, AffineCache(x, W, b)


# ----------------------------------------------------------- affine: right

def affine_backward_loops(dout, cache):
    x, W, _ = cache
    dout = _as_float(dout)
    n = x.shape[0]
    flat = x.reshape(n, -1)
    dW = np.zeros(W.shape, dtype=np.result_type(flat, dout))
    db = np.zeros(W.shape[1], dtype=dout.dtype)
    for i in range(n):
        dW += np.outer(flat[i], dout[i])
        db += dout[i]
    dx = np.stack([W @ dout[i] for i in range(n)]).reshape(x.shape)
    return dx, dW, db


# ------------------------------------------------------------- relu: wrong

def relu_backward_kink_one(dout, cache):
    dout = _as_float(dout)
    return np.where(cache >= 0, dout, 0.0).astype(dout.dtype)


def relu_forward_in_place(x):
    x = _as_float(x)
    x[x < 0] = 0.0
    return x, x


def relu_backward_in_place(dout, cache):
    dout = _as_float(dout)
    dout[cache <= 0] = 0.0
    return dout


# ------------------------------------------------------------- relu: right

def relu_forward_mask(x):
    x = _as_float(x)
    return x * (x > 0), x


def relu_backward_mask(dout, cache):
    return _as_float(dout) * (cache > 0)


# -------------------------------------------------------------- mlp: wrong

def mlp_forward(X, params):
    missing = [k for k in MLP_KEYS if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing}")
    z, c1 = affine_forward(X, params["W1"], params["b1"])
    h, c_relu = relu_forward(z)
    scores, c2 = affine_forward(h, params["W2"], params["b2"])
    return scores, MLPCache(c1, c_relu, c2)


def mlp_backward(dscores, cache):
    dh, dW2, db2 = affine_backward(dscores, cache.affine2)
    dz = relu_backward(dh, cache.relu)
    _, dW1, db1 = affine_backward(dz, cache.affine1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def mlp_backward_skips_relu(dscores, cache):
    dh, dW2, db2 = affine_backward(dscores, cache.affine2)
    _, dW1, db1 = affine_backward(dh, cache.affine1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def mlp_backward_caches_swapped(dscores, cache):
    dh, dW2, db2 = affine_backward(dscores, cache.affine1)
    dz = relu_backward(dh, cache.relu)
    _, dW1, db1 = affine_backward(dz, cache.affine2)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


# -------------------------------------------------------------- mlp: right

def mlp_backward_hidden_as_mask(dscores, cache):
    # the ReLU's output is positive exactly where its input is
    dh, dW2, db2 = affine_backward(dscores, cache.affine2)
    dz = relu_backward(dh, cache.affine2.x)
    _, dW1, db1 = affine_backward(dz, cache.affine1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


# ---------------------------------------------------------------------------

AFFINE = (affine_forward, affine_backward)
RELU = (relu_forward, relu_backward)

WRONG = [
    Wrong("backprop.value", "backward_overwrites", "inputs", ValueOverwrite,
          "backward stores each child's contribution over the previous one "
          "instead of adding, so a value used twice keeps only one path"),
    Wrong("backprop.value", "backward_parents_first", "formula",
          ValueParentsFirst,
          "backward walks the topological order forwards, so nodes pass on "
          "their gradient before their children have sent theirs"),
    Wrong("backprop.value", "root_grad_left_at_zero", "contract",
          ValueRootLeftOut,
          "backward pushes gradients into the parents only and never adds "
          "the root's own 1 to root.grad"),
    Wrong("backprop.value", "relu_slope_one_at_zero", "inputs",
          ValueReluKinkOne,
          "the ReLU rule tests x >= 0, so the slope at exactly 0 is 1 "
          "instead of 0"),
    Wrong("backprop.value", "power_zero_exponent", "inputs",
          ValuePowerZeroExponent,
          "the slope k * x ** (k - 1) is evaluated even for k = 0, which "
          "raises ZeroDivisionError at x = 0"),
    Wrong("backprop.value", "tanh_slope_of_input", "formula",
          ValueTanhOfInput,
          "the tanh slope is computed as 1 - x ** 2 from the input "
          "instead of 1 - tanh(x) ** 2"),
    Wrong("backprop.value", "rsub_not_swapped", "inputs",
          ValueRsubNotSwapped,
          "__rsub__ forgets to swap the operands, so 2 - x is computed as "
          "x - 2 whenever a plain number is on the left"),

    Wrong("backprop.affine", "dW_transposed", "formula",
          (affine_forward, affine_backward_dW_transposed),
          "dW is computed as dout^T x, the transpose of x^T dout; with a "
          "square W the shape is still right"),
    Wrong("backprop.affine", "db_mean", "formula",
          (affine_forward, affine_backward_db_mean),
          "db averages dout over the rows instead of summing it"),
    Wrong("backprop.affine", "dx_not_reshaped", "inputs",
          (affine_forward, affine_backward_dx_flat),
          "dx is returned as (N, D) and not reshaped to x's shape, which "
          "only shows for a 3-D x"),
    Wrong("backprop.affine", "integer_output", "contract",
          (affine_forward_int, affine_backward),
          "integer x, W and b are not converted, so out comes back as an "
          "integer array instead of float64"),
    Wrong("backprop.affine", "upcasts_float32", "inputs",
          (affine_forward_float64, affine_backward),
          "every input is converted to float64, so float32 inputs give a "
          "float64 output"),

    Wrong("backprop.relu", "slope_one_at_zero", "inputs",
          (relu_forward, relu_backward_kink_one),
          "the backward mask is x >= 0, so dout passes at exactly x = 0"),
    Wrong("backprop.relu", "forward_in_place", "contract",
          (relu_forward_in_place, relu_backward),
          "the forward pass zeroes the negative entries of the caller's x "
          "in place"),
    Wrong("backprop.relu", "backward_in_place", "contract",
          (relu_forward, relu_backward_in_place),
          "the backward pass zeroes entries of the caller's dout in place "
          "and returns it"),

    Wrong("backprop.mlp", "backward_skips_relu", "formula",
          (mlp_forward, mlp_backward_skips_relu),
          "the backward pass goes from the second affine layer straight "
          "to the first, without the ReLU mask"),
    Wrong("backprop.mlp", "caches_swapped", "formula",
          (mlp_forward, mlp_backward_caches_swapped),
          "the backward pass hands the first layer's cache to the second "
          "layer and the other way round"),
]

RIGHT = [
    Right("backprop.value", "defaultdict_totals", ValueDefaultdict),
    Right("backprop.value", "push_into_grad", ValuePushIntoGrad),
    Right("backprop.affine", "loops_over_rows",
          (affine_forward, affine_backward_loops)),
    Right("backprop.relu", "mask_product",
          (relu_forward_mask, relu_backward_mask)),
    Right("backprop.mlp", "hidden_output_as_mask",
          (mlp_forward, mlp_backward_hidden_as_mask)),
]
