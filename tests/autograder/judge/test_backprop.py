"""The backprop checks: correct alternatives pass (other Value classes,
other layer code) for several grading seeds, mistakes written in the
tutorial style get the catalogue's diagnosis, the labels rebuild their
cases, and failures say where and by how much, in a sentence. That every
catalogued mistake is caught and named is tests/autograder/judge/
test_catalogue.py's."""
from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

from autograder.driver import calls
from autograder.judge.backprop import GRADED
from autograder.judge.core import check, run_local
from autograder.judge.feedback import CheckFailure
from autograder.judge.local import hidden_check
from solutions import backprop as ref

SEEDS = (0, 1, 2)


# ---------------------------------------------------------------------------
# Correct Value classes written in other ways. Each supports the graded
# interface: + - * / with numbers on either side, ** number, exp, log, tanh,
# sigmoid, relu, backward(), .data, .grad.

class MicroValue:
    """The tutorial style: a closure _backward per node, children in a set,
    a recursive topological sort, and - / and sigmoid built from other ops.
    New nodes take the class of self, so a subclass that changes one method
    (below, to make a known mistake) changes it in the whole graph."""

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    def _lift(self, other):
        return other if isinstance(other, MicroValue) else type(self)(other)

    def __add__(self, other):
        other = self._lift(other)
        out = type(self)(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = type(self)(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        assert isinstance(k, (int, float))
        return self._unary(self.data ** k, k * self.data ** (k - 1), f"**{k}")

    def _unary(self, y, slope, op):
        out = type(self)(y, (self,), op)

        def _backward():
            self.grad += slope * out.grad
        out._backward = _backward
        return out

    def exp(self):
        return self._unary(math.exp(self.data), math.exp(self.data), "exp")

    def log(self):
        return self._unary(math.log(self.data), 1 / self.data, "log")

    def tanh(self):
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        return self._unary(t, 1 - t ** 2, "tanh")

    def relu(self):
        out = type(self)(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        return 1 / (1 + (-self).exp())

    def _topo(self):
        topo, visited = [], set()

        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        return topo

    def backward(self):
        topo = self._topo()
        self.grad = 1
        for v in reversed(topo):
            v._backward()

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1


class KahnValue:
    """Edges hold (parent, local slope); backward is Kahn's algorithm: a node
    is processed once every node that uses it has been."""

    def __init__(self, data, edges=()):
        self.data = float(data)
        self.grad = 0.0
        self.edges = edges

    @staticmethod
    def _lift(x):
        return x if isinstance(x, KahnValue) else KahnValue(x)

    def __add__(self, o):
        o = self._lift(o)
        return KahnValue(self.data + o.data, ((self, 1.0), (o, 1.0)))

    __radd__ = __add__

    def __sub__(self, o):
        o = self._lift(o)
        return KahnValue(self.data - o.data, ((self, 1.0), (o, -1.0)))

    def __rsub__(self, o):
        return self._lift(o) - self

    def __mul__(self, o):
        o = self._lift(o)
        return KahnValue(self.data * o.data, ((self, o.data), (o, self.data)))

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = self._lift(o)
        q = self.data / o.data
        return KahnValue(q, ((self, 1 / o.data), (o, -q / o.data)))

    def __rtruediv__(self, o):
        return self._lift(o) / self

    def __pow__(self, k):
        return KahnValue(self.data ** k, ((self, k * self.data ** (k - 1)),))

    def exp(self):
        y = math.exp(self.data)
        return KahnValue(y, ((self, y),))

    def log(self):
        return KahnValue(math.log(self.data), ((self, 1 / self.data),))

    def tanh(self):
        t = math.tanh(self.data)
        return KahnValue(t, ((self, (1 - t) * (1 + t)),))

    def sigmoid(self):
        s = 0.5 * (1 + math.tanh(self.data / 2))
        return KahnValue(s, ((self, s - s * s),))

    def relu(self):
        return KahnValue(max(self.data, 0.0), ((self, float(self.data > 0)),))

    def backward(self):
        users, stack, seen = {}, [self], {id(self)}
        while stack:
            node = stack.pop()
            for parent, _ in node.edges:
                users[id(parent)] = users.get(id(parent), 0) + 1
                if id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
        self.grad += 1.0
        ready = [self]
        while ready:
            node = ready.pop()
            for parent, slope in node.edges:
                parent.grad += slope * node.grad
                users[id(parent)] -= 1
                if users[id(parent)] == 0:
                    ready.append(parent)


class TapeValue(ref.Value):
    """The reference's operations with another backward: nodes are numbered
    as they are created, and a node is always created after its parents, so
    sorting by number, newest first, is a reverse topological order."""
    counter = itertools.count()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.number = next(TapeValue.counter)

    def _binary(self, other, op, rule, swap=False):
        other = other if isinstance(other, ref.Value) else type(self)(other)
        a, b = (other, self) if swap else (self, other)
        y, da, db = rule(a.data, b.data)
        return type(self)(y, (a, b), op, (da, db))

    def _unary(self, op, y_and_slope):
        return type(self)(y_and_slope[0], (self,), op, (y_and_slope[1],))

    def backward(self):
        nodes, stack = {}, [self]
        while stack:
            node = stack.pop()
            if node.number not in nodes:
                nodes[node.number] = node
                stack.extend(node.parents)
        self.grad = 1.0
        for number in sorted(nodes, reverse=True):
            node = nodes[number]
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad


class PathSumValue(TapeValue):
    """Recursion without a topological sort is correct when each call passes
    on only the gradient that arrived along its own path (a path sum): it
    repeats work on shared sub-paths but adds every path exactly once."""

    def backward(self, incoming=1.0):
        self.grad += incoming
        for parent, local in zip(self.parents, self.local_grads):
            parent.backward(incoming * local)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cls", [MicroValue, KahnValue, TapeValue, PathSumValue])
def test_other_value_classes_pass(cls, seed):
    check(GRADED["value"], cls, seed=seed)


# ---- The catalogue names mistakes made in the tutorial style too, where
# the result does not depend on the order of a set.

def _binary_closure(combine, slopes, assign=False):
    """A MicroValue operator whose closure uses ``slopes(a, b) -> (da, db)``."""
    def op(self, other):
        other = self._lift(other)
        out = type(self)(combine(self.data, other.data), (self, other))

        def _backward():
            da, db = slopes(self.data, other.data)
            if assign:
                self.grad = da * out.grad
                other.grad = db * out.grad
            else:
                self.grad += da * out.grad
                other.grad += db * out.grad
        out._backward = _backward
        return out
    return op


def _reflected(op):
    return lambda self, other: op(self._lift(other), self)


def _tutorial(name, **methods):
    return type(name, (MicroValue,), methods)


def _forward_order(self):
    topo = self._topo()
    self.grad = 1
    for v in topo:
        v._backward()


_ADD_ASSIGN = _binary_closure(lambda a, b: a + b, lambda a, b: (1, 1), assign=True)
_MUL_ASSIGN = _binary_closure(lambda a, b: a * b, lambda a, b: (b, a), assign=True)
_MUL_OWN = _binary_closure(lambda a, b: a * b, lambda a, b: (a, b))
_SUB_PLUS = _binary_closure(lambda a, b: a - b, lambda a, b: (1, 1))
_DIV_SIGN = _binary_closure(lambda a, b: a / b, lambda a, b: (1 / b, a / b ** 2))

TUTORIAL_MISTAKES = {
    "value_grad_assigned": _tutorial(
        "AssignValue", __add__=_ADD_ASSIGN, __radd__=_ADD_ASSIGN,
        __mul__=_MUL_ASSIGN, __rmul__=_MUL_ASSIGN),
    "value_order_not_reversed": _tutorial("ForwardValue", backward=_forward_order),
    "value_mul_no_swap": _tutorial("OwnValue", __mul__=_MUL_OWN, __rmul__=_MUL_OWN),
    "value_sub_sign": _tutorial("SubValue", __sub__=_SUB_PLUS,
                                __rsub__=_reflected(_SUB_PLUS)),
    "value_div_sign": _tutorial("DivValue", __truediv__=_DIV_SIGN,
                                __rtruediv__=_reflected(_DIV_SIGN)),
    "value_pow_missing_k": _tutorial(
        "PowValue", __pow__=lambda self, k: self._unary(
            self.data ** k, self.data ** (k - 1), "**")),
    "value_pow_k_x_k": _tutorial(
        "PowKValue", __pow__=lambda self, k: self._unary(
            self.data ** k, k * self.data ** k, "**")),
    "value_tanh_not_squared": _tutorial(
        "TanhValue", tanh=lambda self: self._unary(
            math.tanh(self.data), 1 - math.tanh(self.data), "tanh")),
    "value_sigmoid_slope": _tutorial(
        "SigmoidValue", sigmoid=lambda self: self._unary(
            1 / (1 + math.exp(-self.data)), 1 / (1 + math.exp(-self.data)), "sigmoid")),
    "value_relu_slope_at_zero": _tutorial(
        "KinkValue", relu=lambda self: self._unary(
            max(self.data, 0), float(self.data >= 0), "relu")),
    "value_relu_passes_negative": _tutorial(
        "LeakValue", relu=lambda self: self._unary(max(self.data, 0), 1, "relu")),
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(TUTORIAL_MISTAKES))
def test_tutorial_style_mistakes_get_the_same_diagnosis(name, seed):
    hint = {m.name: m.hint for m in GRADED["value"].mistakes}[name]
    with pytest.raises(CheckFailure) as err:
        check(GRADED["value"], TUTORIAL_MISTAKES[name], seed=seed)
    assert err.value.diagnosis == hint


def _recurse_per_use(self):
    # Children sit in a set, so the order of the recursion, and with it the
    # wrong numbers, change from run to run: only the failure is certain.
    self.grad = 1

    def go(v):
        v._backward()
        for child in v._prev:
            go(child)
    go(self)


def test_tutorial_recursion_without_topological_sort_fails():
    with pytest.raises(CheckFailure) as err:
        check(GRADED["value"], _tutorial("RecurseValue", backward=_recurse_per_use))
    assert "t used 3 times" in str(err.value)


# ---------------------------------------------------------------------------
# Correct layer code written in other ways.

def affine_forward_einsum(x, W, b):
    x2 = x.reshape(len(x), -1)
    return np.einsum("nd,dm->nm", x2, W) + b, {"x": x, "W": W}


def affine_backward_einsum(dout, cache):
    x, W = cache["x"], cache["W"]
    dx = np.einsum("nm,dm->nd", dout, W).reshape(x.shape)
    dW = np.einsum("nd,nm->dm", x.reshape(len(x), -1), dout)
    return dx, dW, np.einsum("nm->m", dout)


def affine_forward_loops(x, W, b):
    N, (D, M) = x.shape[0], W.shape
    flat = x.reshape(N, D)
    out = np.zeros((N, M))
    for n in range(N):
        for m in range(M):
            out[n, m] = sum(flat[n, d] * W[d, m] for d in range(D)) + b[m]
    return out, (x, W, b)


def affine_backward_loops(dout, cache):
    x, W, b = cache
    N, (D, M) = x.shape[0], W.shape
    flat = x.reshape(N, D)
    dx, dW, db = np.zeros((N, D)), np.zeros((D, M)), np.zeros(M)
    for n in range(N):
        for m in range(M):
            db[m] += dout[n, m]
            for d in range(D):
                dx[n, d] += dout[n, m] * W[d, m]
                dW[d, m] += flat[n, d] * dout[n, m]
    return dx.reshape(x.shape), dW, db


def affine_forward_inplace(x, W, b):
    out = np.dot(x.reshape(x.shape[0], W.shape[0]), W)
    out += b
    return out, (x.shape, x.reshape(x.shape[0], -1), W)


def affine_backward_transposed(dout, cache):
    shape, x2, W = cache
    dx = (W @ dout.T).T  # the transpose of W^T-free form: same numbers
    dW = (dout.T @ x2).T
    return np.reshape(dx, shape), dW, np.ones(len(dout)) @ dout


def relu_forward_maximum(x):
    return np.maximum(x, 0), x > 0


def relu_backward_mask(dout, mask):
    return dout * mask


def relu_forward_copy(x):
    out = x.copy()  # written into, but it is the layer's own array
    mask = out <= 0
    out[mask] = 0.0
    return out, mask


def relu_backward_copy(dout, mask):
    dx = np.array(dout, dtype=float)
    dx[mask] = 0.0
    return dx


# Once listed here as correct: the text says the layers leave their inputs
# as they were, so writing into x or dout is now a mistake (the catalogue's
# relu_forward_writes_x and relu_backward_writes_dout).
def relu_forward_inplace(x):
    mask = x <= 0
    x[mask] = 0.0
    return x, mask


def relu_backward_inplace(dout, mask):
    dout[mask] = 0.0
    return dout


def relu_forward_loop(x):
    flat = [v if v > 0 else 0.0 for v in x.ravel()]
    out = np.array(flat).reshape(x.shape)
    return out, out  # out > 0 exactly where x > 0


def relu_backward_from_out(dout, out):
    dx = np.zeros_like(dout)
    for i in np.ndindex(dout.shape):
        if out[i] > 0:
            dx[i] = dout[i]
    return dx


def mlp_forward_composed(X, params):
    h, c1 = affine_forward_einsum(X, params["W1"], params["b1"])
    a, c2 = relu_forward_maximum(h)
    s, c3 = affine_forward_einsum(a, params["W2"], params["b2"])
    return s, (c1, c2, c3)


def mlp_backward_composed(dscores, cache):
    c1, c2, c3 = cache
    da, dW2, db2 = affine_backward_einsum(dscores, c3)
    _, dW1, db1 = affine_backward_einsum(relu_backward_mask(da, c2), c1)
    return dict(W1=dW1, b1=db1, W2=dW2, b2=db2)


def mlp_forward_inline(X, params):
    X2 = X.reshape(X.shape[0], -1)
    hidden = X2 @ params["W1"] + params["b1"]
    hidden[hidden < 0] = 0.0
    return hidden @ params["W2"] + params["b2"], {"X": X2, "hidden": hidden,
                                                   "W2": params["W2"]}


def mlp_backward_inline(dscores, cache):
    dhidden = dscores @ cache["W2"].T
    dhidden *= cache["hidden"] > 0  # relu output > 0 iff its input > 0
    return {"W2": cache["hidden"].T @ dscores, "b2": dscores.sum(0),
            "W1": cache["X"].T @ dhidden, "b1": dhidden.sum(0)}


def mlp_forward_per_example(X, params):
    rows, cache = [], []
    for x in X.reshape(len(X), -1):
        h = x @ params["W1"] + params["b1"]
        a = np.where(h > 0, h, 0.0)
        rows.append(a @ params["W2"] + params["b2"])
        cache.append((x, h, a))
    return np.stack(rows), (cache, params)


def mlp_backward_per_example(dscores, cache):
    rows, params = cache
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    for (x, h, a), ds in zip(rows, dscores):
        grads["W2"] += np.outer(a, ds)
        grads["b2"] += ds
        dh = (params["W2"] @ ds) * (h > 0)
        grads["W1"] += np.outer(x, dh)
        grads["b1"] += dh
    return grads


ALTERNATIVES = {
    "affine": [(affine_forward_einsum, affine_backward_einsum),
               (affine_forward_loops, affine_backward_loops),
               (affine_forward_inplace, affine_backward_transposed)],
    "relu": [(relu_forward_maximum, relu_backward_mask),
             (relu_forward_copy, relu_backward_copy),
             (relu_forward_loop, relu_backward_from_out)],
    "mlp": [(mlp_forward_composed, mlp_backward_composed),
            (mlp_forward_inline, mlp_backward_inline),
            (mlp_forward_per_example, mlp_backward_per_example)],
}
CORRECT = [(key, pair) for key, pairs in ALTERNATIVES.items() for pair in pairs]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("key,pair", CORRECT, ids=[p[0].__name__ for _, p in CORRECT])
def test_correct_layer_alternatives_pass(key, pair, seed):
    check(GRADED[key], pair, seed=seed)


@pytest.mark.parametrize("pair,fn,name", [
    ((relu_forward_inplace, relu_backward_copy), "relu_forward", "x"),
    ((relu_forward_copy, relu_backward_inplace), "relu_backward", "dout"),
])
def test_layers_that_write_into_their_inputs_fail(pair, fn, name):
    with pytest.raises(CheckFailure) as err:
        check(GRADED["relu"], pair)
    assert f"your {fn} changed the caller's {name} in place" in str(err.value)


# ---------------------------------------------------------------------------
# Correct local rules written in other ways: numpy numbers, a bool slope,
# math.pow, tanh from exponentials, slopes from the output.

def _power_pow(x, k):
    if k == 0:
        return 1.0, 0
    return math.pow(x, k), k * math.pow(x, k - 1)


def _tanh_exp(x):
    e = math.exp(-2 * abs(x))
    t = math.copysign((1 - e) / (1 + e), x)
    return t, (1 - t) * (1 + t)


OTHER_RULES = (lambda a, b: (np.float64(a) + b, 1, 1),
               lambda a, b: (a * b, np.float64(b), a),
               _power_pow,
               lambda x: (np.exp(x), np.exp(x)),
               lambda x: (np.log(x), x ** -1),
               _tanh_exp,
               lambda x: (x if x > 0 else 0, x > 0))


@pytest.mark.parametrize("seed", SEEDS)
def test_other_rules_pass(seed):
    check(GRADED["rules"], OTHER_RULES, seed=seed)


# ---------------------------------------------------------------------------
# What a student reads.

def _catalogued(graded, diagnosis) -> bool:
    """Is ``diagnosis`` one of the catalogue's hints? (Another sentence,
    about what the outputs have in common with the expected ones, may
    come instead of none.)"""
    return any(diagnosis == m.hint for m in graded.mistakes)


def test_value_failure_names_leaf_expression_and_numbers():
    class ExpSlopeOne(TapeValue):  # not catalogued: d(e^x)/dx taken as 1
        def exp(self):
            return self._unary("exp", (math.exp(self.data), 1.0))
    with pytest.raises(CheckFailure) as err:
        check(GRADED["value"], ExpSlopeOne)
    text = str(err.value)
    s0 = GRADED["value"].cases(0)[4].args["leaves"]["s0"]
    assert not _catalogued(GRADED["value"], err.value.diagnosis)
    assert "at s0.grad: yours" in text and "expected" in text
    assert "Value, L = " in text and f"s0 = {s0:g}" in text


def test_layer_failures_name_entry_case_and_numbers():
    def half_dW(dout, cache):
        dx, dW, db = ref.affine_backward(dout, cache)
        return dx, dW * (1 + 1e-3), db  # off by far less than any mistake
    with pytest.raises(CheckFailure) as err:
        check(GRADED["affine"], (ref.affine_forward, half_dW))
    text = str(err.value)
    assert not _catalogued(GRADED["affine"], err.value.diagnosis)
    assert "relative error 1.0e-03 at dW[" in text and "yours" in text
    assert "x of shape (4, 3), W (3, 3)" in text


def test_uncatalogued_wrong_variants_fail_without_false_diagnosis():
    def relu_half(dout, x):
        return np.where(x > 0, dout / 2, 0.0)

    def mlp_b1_doubled(dscores, cache):
        grads = ref.mlp_backward(dscores, cache)
        return {**grads, "b1": 2 * grads["b1"]}
    for key, impl in (("relu", (ref.relu_forward, relu_half)),
                      ("mlp", (ref.mlp_forward, mlp_b1_doubled))):
        with pytest.raises(CheckFailure) as err:
            check(GRADED[key], impl)
        assert not _catalogued(GRADED[key], err.value.diagnosis), key


def test_relu_kink_failure_points_at_a_zero_input():
    with pytest.raises(CheckFailure) as err:
        check(GRADED["relu"], GRADED["relu"].mistakes[0].impl)
    assert "expected 0.0" in str(err.value) and "entries exactly 0" in str(err.value)


class NoGradValue(TapeValue):  # backward() never fills grad in
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.grad = None

    def backward(self):
        pass


class GradlessValue(TapeValue):  # keeps its gradients under another name
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.grad

    def backward(self):
        pass


class NoSigmoidValue(TapeValue):
    """Behaves as if sigmoid had never been written."""

    def __getattribute__(self, name):
        if name == "sigmoid":
            raise AttributeError("'NoSigmoidValue' object has no attribute 'sigmoid'")
        return super().__getattribute__(name)


@pytest.mark.parametrize("cls,needle", [
    (NoGradValue, "your x.grad is None, expected a number (y = x*x*x"),
    (GradlessValue, "your Value has no attribute grad after backward()"),
    (NoSigmoidValue, "your Value raised AttributeError: 'NoSigmoidValue' object "
     "has no attribute 'sigmoid'"),
])
def test_malformed_value_classes_get_a_sentence(cls, needle):
    with pytest.raises(CheckFailure) as err:
        check(GRADED["value"], cls)
    assert needle in str(err.value)
    assert str(err.value).endswith(")") and " (y = " in str(err.value)  # the case


def _affine_fwd_ok(x, W, b):
    return ref.affine_forward(x, W, b)


@pytest.mark.parametrize("key,pair,needle", [
    ("affine", (lambda x, W, b: x.reshape(len(x), -1) @ W + b, ref.affine_backward),
     "your affine_forward should return (out, cache), got ndarray (x of shape (4, 3)"),
    ("affine", (_affine_fwd_ok, lambda d, c: ref.affine_backward(d, c)[:2]),
     "your affine_backward should return (dx, dW, db), got a tuple of 2"),
    ("affine", (_affine_fwd_ok, lambda d, c: None),
     "your affine_backward should return (dx, dW, db), got None"),
    ("affine", (_affine_fwd_ok, lambda d, c: (None, *ref.affine_backward(d, c)[1:])),
     "your dx is None: is a return statement missing?"),
    ("affine", (_affine_fwd_ok, lambda d, c: [g.tolist() for g in ref.affine_backward(d, c)]),
     "your dx should be a numpy array of shape (4, 3), got list"),
    ("affine", (_affine_fwd_ok, lambda d, c: tuple(
        g.astype(np.float32) for g in ref.affine_backward(d, c))),
     "your dx is float32"),
    ("relu", (ref.relu_forward, lambda d, c: 1 / 0), "raised ZeroDivisionError"),
    ("relu", (ref.relu_forward, lambda d, c: None), "your dx is None"),
    ("relu", (ref.relu_forward, lambda d, c: d.ravel()),
     "your dx has shape (20,), expected (4, 5)"),
    ("relu", (lambda x: np.maximum(x, 0), ref.relu_backward),
     "your relu_forward should return (out, cache), got ndarray"),
    ("relu", (ref.relu_forward, lambda d, c: object()),
     "your dx should be a numpy array of shape (4, 5), got object"),
    ("mlp", (ref.mlp_forward, lambda d, c: tuple(ref.mlp_backward(d, c).values())),
     "your grads has no field 'W1'"),
    ("mlp", (ref.mlp_forward, lambda d, c: {**ref.mlp_backward(d, c), "b2": [0.0] * 3}),
     "your grads.b2 should be a numpy array of shape (3,), got list"),
    ("mlp", (lambda X, p: ref.mlp_forward(X, p)[0], ref.mlp_backward),
     "your mlp_forward should return (scores, cache), got ndarray"),
    ("mlp", (lambda X, p: ref.mlp_forward(X, {k: v for k, v in p.items() if k != "b2"}),
             ref.mlp_backward), "raised ValueError: params is missing ['b2']"),
])
def test_malformed_returns_get_a_sentence(key, pair, needle):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[key], pair)
    assert needle in str(err.value)
    assert "Traceback" not in str(err.value)


# ---------------------------------------------------------------------------
# The cases: labels that rebuild them, a Value call that evaluates data.

def _label_rng(label: str) -> np.random.Generator:
    return np.random.default_rng(int(re.search(r"default_rng\((\d+)\)", label).group(1)))


def _rebuilt(key: str, case) -> dict:
    """The inputs as a student rebuilds them from the label alone."""
    label, args = case.label, case.args
    if key == "value":
        for name, v in args["leaves"].items():
            assert round(v, 2) == v and f"{v:g}" in label and name in label, (name, label)
        return args
    if key == "rules":  # the label lists the calls: _power(0, 0), _power(2.18, 0), ...
        calls_in_label = re.findall(r"(_[a-z]+)\(([-\d., ]+)\)", label.partition(":")[0])
        assert {rule for rule, _ in calls_in_label} == {args["rule"]}, label
        return {"rule": args["rule"],
                "points": [[float(v) for v in at.split(",")] for _, at in calls_in_label]}
    rng = _label_rng(label)
    if key == "affine":
        shapes = [tuple(int(n) for n in m.split(",") if n.strip()) for m in
                  re.findall(r"\(([\d, ]+)\)", label.replace("size=", ""))[:4]]
        if "rng.integers(-3, 4" in label:
            x = rng.integers(-3, 4, size=shapes[0])
        elif "rng.integers(0, 256" in label:
            x = rng.integers(0, 256, size=shapes[0], dtype=np.uint8)
        else:
            x = rng.standard_normal(shapes[0])
        W, b, dout = (rng.standard_normal(s) for s in shapes[1:])
        return {"x": x, "W": W, "b": b, "dout": dout}
    if key == "relu":
        shape = args["x"].shape
        if "rng.integers" in label:
            x = rng.integers(-2, 3, size=shape).astype(float)
        else:
            x = rng.standard_normal(shape)
            zeros = int(re.search(r"replace=False\)\] = 0 \((\d+) entries", label).group(1))
            x.flat[rng.choice(x.size, zeros, replace=False)] = 0.0
        return {"x": x, "dout": rng.standard_normal(shape)}
    X, p = args["X"], args["params"]
    shapes = [X.shape, p["W1"].shape, p["b1"].shape]
    if "rng.integers" in label:
        first = [rng.integers(-2, 3, size=s).astype(float) for s in shapes]
    else:
        first = [rng.standard_normal(s) for s in shapes]
    rest = [rng.standard_normal(s) for s in (p["W2"].shape, p["b2"].shape,
                                             args["dscores"].shape)]
    return {"X": first[0], "params": dict(W1=first[1], b1=first[2], W2=rest[0], b2=rest[1]),
            "dscores": rest[2]}


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, str):
        return a == b
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and np.array_equal(a, b)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("key", list(GRADED))
def test_labels_rebuild_their_cases(key, seed):
    for case in GRADED[key].cases(seed):
        rebuilt = _rebuilt(key, case)
        assert _same(rebuilt, {k: case.args[k] for k in rebuilt}), case.label


@pytest.mark.parametrize("seed", SEEDS)
def test_cases_keep_their_structure(seed):
    cases = {key: GRADED[key].cases(seed) for key in GRADED}
    kinks = cases["value"][8].args["leaves"]
    assert kinks["a"] == kinks["b"]  # relu at exactly 0
    for case in cases["relu"]:
        x = case.args["x"]
        assert (x == 0).sum() >= 2 and (x > 0).any() and (x < 0).any()
    square = cases["affine"][0].args["W"]
    assert square.shape[0] == square.shape[1]
    integer = cases["mlp"][2].args
    hidden = integer["X"] @ integer["params"]["W1"] + integer["params"]["b1"]
    assert (hidden == 0).sum() >= 2


class CountedValue(ref.Value):
    made = 0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        CountedValue.made += 1

    def _binary(self, other, op, rule, swap=False):
        other = other if isinstance(other, ref.Value) else CountedValue(other)
        a, b = (other, self) if swap else (self, other)
        y, da, db = rule(a.data, b.data)
        return CountedValue(y, (a, b), op, (da, db))


def test_the_chain_has_200_nodes():
    chain = GRADED["value"].cases(0)[9]
    CountedValue.made = 0
    out = run_local(chain, CountedValue)
    assert isinstance(out, dict) and set(out) == {"x.data", "a.grad", "b.grad", "c.grad",
                                                  "x.grad"}
    assert CountedValue.made == 3 + 200


def test_value_expressions_see_only_the_nodes():
    with pytest.raises(NameError):
        calls.run("backprop.value", ref.Value,
                  {"leaves": {"a": 2.0}, "steps": [("y", "abs(a) + a")]})
    out = calls.run("backprop.value", ref.Value,
                    {"leaves": {"a": 2.0, "b": 3.0}, "steps": [("t", "a*b"), ("y", "t*t + a")]})
    assert out == {"y.data": 38.0, "a.grad": 37.0, "b.grad": 24.0, "t.grad": 12.0,
                   "y.grad": 1.0}


class ListDataValue(TapeValue):  # backward wraps the root's data in a list
    def backward(self):
        super().backward()
        self.data = [self.data]


def test_a_root_without_a_number_gets_a_sentence():
    with pytest.raises(CheckFailure) as err:
        check(GRADED["value"], ListDataValue)
    assert "your y.data should be a number, got list (y = x*x*x + x" in str(err.value)


def test_mlp_is_judged_with_the_reference_layers():
    """A wrong layer costs points in its own part only: mlp's hidden check
    serves the reference's layers (Graded.uses) and puts the student's back."""
    import inspect
    namespace = {"np": np, "MLPCache": ref.MLPCache, "MLP_KEYS": ref.MLP_KEYS}
    exec(inspect.getsource(ref.mlp_forward) + "\n" + inspect.getsource(ref.mlp_backward),
         namespace)

    def affine_forward_no_bias(x, W, b):
        return ref.affine_forward(x, W, 0 * b)
    namespace.update(affine_forward=affine_forward_no_bias,
                     affine_backward=ref.affine_backward, relu_forward=ref.relu_forward,
                     relu_backward=ref.relu_backward)
    student = (namespace["mlp_forward"], namespace["mlp_backward"])
    with pytest.raises(CheckFailure):
        check(GRADED["mlp"], student)  # judged with the student's own layers
    hidden_check("backprop.mlp", namespace)
    assert namespace["affine_forward"] is affine_forward_no_bias
