"""Backpropagation is the chain rule: a scalar engine, then the same layers.

Every operation is written once as a *local rule*: its value and the
partial derivative of its output with respect to each input (``_add``,
``_exp``, ...). Reverse mode (``Value``) stores those partials on the graph
and, starting from d(out)/d(out) = 1, pushes each node's gradient to its
parents in reverse topological order, summing whatever arrives; forward
mode (``Dual``) multiplies the same partials by tangents as it computes.
Conventions: ReLU has slope 0 at exactly 0 (as in PyTorch); ``backward``
adds to ``.grad`` (call ``zero_grad`` to start over); ``x ** k`` and
``log`` raise ``ValueError`` where PyTorch would return nan or inf
(negative base with a non-integer exponent, a zero base with an infinite
slope, log of a non-positive number). The vectorized layers follow the
``forward -> (out, cache)``, ``backward(dout, cache) -> grads`` pattern;
an affine layer flattens x of shape (N, d1, ..., dk) to (N, D) and hands
dx back in x's shape, which PyTorch's ``nn.Linear`` does not do (it acts
on the last axis only and stores W as (M, D)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Callable, Iterator, NamedTuple

import numpy as np

# ---------------------------------------------------------------------------
# Local rules: (value, d value / d input, ...) for plain floats.

Rule2 = Callable[[float, float], tuple[float, float, float]]


def _add(a: float, b: float) -> tuple[float, float, float]:
    """Return (a + b, its slope in a, its slope in b)."""
    return a + b, 1.0, 1.0


def _sub(a: float, b: float) -> tuple[float, float, float]:
    """Return (a - b, its slope in a, its slope in b)."""
    return a - b, 1.0, -1.0


def _mul(a: float, b: float) -> tuple[float, float, float]:
    """Return (a * b, its slope in a, its slope in b)."""
    # Each input's slope is the other input: the "swap" of the mul gate.
    return a * b, b, a


def _div(a: float, b: float) -> tuple[float, float, float]:
    """Return (a / b, its slope in a, its slope in b); b must not be 0."""
    if b == 0:
        raise ZeroDivisionError(f"division by zero: {a} / {b}")
    return a / b, 1.0 / b, -a / (b * b)


def _neg(x: float) -> tuple[float, float]:
    return -x, -1.0


def _power(x: float, k: float) -> tuple[float, float]:
    """Return (x ** k, its slope in x) for a plain number k."""
    if x < 0 and k != int(k):
        raise ValueError(f"x ** k needs x >= 0 for non-integer k, got "
                         f"x = {x}, k = {k}")
    if x == 0 and k < 1 and k != 0:
        raise ValueError(f"x ** k has an infinite slope at x = 0 for "
                         f"k = {k}")
    # Written apart so that 0 ** -1 is never evaluated when k == 0.
    slope = 0.0 if k == 0 else k * x ** (k - 1)
    return x ** k, slope


def _exp(x: float) -> tuple[float, float]:
    """Return (exp(x), its slope in x)."""
    y = math.exp(x)
    return y, y


def _log(x: float) -> tuple[float, float]:
    """Return (log(x), its slope in x) for x > 0."""
    if x <= 0:
        raise ValueError(f"log needs data > 0, got {x}")
    return math.log(x), 1.0 / x


def _tanh(x: float) -> tuple[float, float]:
    """Return (tanh(x), its slope in x)."""
    t = math.tanh(x)
    return t, 1.0 - t * t


def _sigmoid(x: float) -> tuple[float, float]:
    """Return (sigmoid(x), its slope in x), without overflow."""
    # Two branches so that exp never overflows for large |x|.
    if x >= 0:
        s = 1.0 / (1.0 + math.exp(-x))
    else:
        z = math.exp(x)
        s = z / (1.0 + z)
    return s, s * (1.0 - s)


def _relu(x: float) -> tuple[float, float]:
    """Return (max(x, 0), its slope in x); the slope at 0 is 0."""
    return (x, 1.0) if x > 0 else (0.0, 0.0)


def _check_exponent(k: object) -> float:
    if not isinstance(k, Real):
        raise TypeError(f"exponent must be a plain number, got {k!r}")
    if not math.isfinite(k):
        raise ValueError(f"exponent must be finite, got {k}")
    return float(k)


# ---------------------------------------------------------------------------
# Reverse mode: a scalar autograd engine.

class Value:
    """A scalar node of a computational graph, for reverse-mode autodiff.

    ``data`` is the number; ``grad`` accumulates d(root)/d(self) over
    ``backward`` calls (starts at 0.0); ``parents`` are the nodes it was
    computed from, ``op`` names the operation ("" for a leaf) and
    ``local_grads[i]`` is d(self)/d(parents[i]) evaluated in the forward
    pass. Operators ``+ - * /`` accept Values or plain numbers on either
    side (a number becomes a leaf); ``** k`` needs a plain number k.
    Nodes compare and hash by identity, so a graph may hold equal numbers.
    """

    def __init__(self, data: float, parents: tuple[Value, ...] = (),
                 op: str = "", local_grads: tuple[float, ...] = (), *,
                 label: str = "") -> None:
        if len(parents) != len(local_grads):
            raise ValueError(f"{len(parents)} parents but "
                             f"{len(local_grads)} local gradients")
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.op = op
        self.local_grads = tuple(float(g) for g in local_grads)
        self.label = label

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.4g}, grad={self.grad:.4g})"

    def _binary(self, other: object, op: str, rule: Rule2,
                swap: bool = False) -> Value:
        if isinstance(other, Real):
            other = Value(other)
        if not isinstance(other, Value):
            return NotImplemented
        a, b = (other, self) if swap else (self, other)
        y, da, db = rule(a.data, b.data)
        return Value(y, (a, b), op, (da, db))

    def _unary(self, op: str, y_and_slope: tuple[float, float]) -> Value:
        y, slope = y_and_slope
        return Value(y, (self,), op, (slope,))

    def __add__(self, other: Value | float) -> Value:
        """c = a + b; dc/da = dc/db = 1."""
        return self._binary(other, "+", _add)

    def __radd__(self, other: float) -> Value:
        return self._binary(other, "+", _add, swap=True)

    def __sub__(self, other: Value | float) -> Value:
        """c = a - b; dc/da = 1, dc/db = -1."""
        return self._binary(other, "-", _sub)

    def __rsub__(self, other: float) -> Value:
        return self._binary(other, "-", _sub, swap=True)

    def __mul__(self, other: Value | float) -> Value:
        """c = a * b; dc/da = b, dc/db = a."""
        return self._binary(other, "*", _mul)

    def __rmul__(self, other: float) -> Value:
        return self._binary(other, "*", _mul, swap=True)

    def __truediv__(self, other: Value | float) -> Value:
        """c = a / b; dc/da = 1/b, dc/db = -a/b^2 (ZeroDivisionError at 0)."""
        return self._binary(other, "/", _div)

    def __rtruediv__(self, other: float) -> Value:
        return self._binary(other, "/", _div, swap=True)

    def __neg__(self) -> Value:
        """y = -x; dy/dx = -1."""
        return self._unary("neg", _neg(self.data))

    def __pow__(self, k: float) -> Value:
        """y = x^k for a plain number k; dy/dx = k x^(k-1) (0 when k = 0).

        x < 0 with non-integer k, and x = 0 with k < 1, k != 0, have no
        real slope (PyTorch returns nan or inf): the reference's rule
        raises ValueError there, and these inputs are not graded.
        """
        k = _check_exponent(k)
        return self._unary("**", _power(self.data, k))

    def exp(self) -> Value:
        """y = e^x; dy/dx = y."""
        return self._unary("exp", _exp(self.data))

    def log(self) -> Value:
        """y = ln x; dy/dx = 1/x, for x > 0 (x <= 0 is not graded; the
        reference raises ValueError, torch gives nan or -inf)."""
        return self._unary("log", _log(self.data))

    def tanh(self) -> Value:
        """y = tanh x; dy/dx = 1 - y^2."""
        return self._unary("tanh", _tanh(self.data))

    def sigmoid(self) -> Value:
        """y = 1 / (1 + e^-x); dy/dx = y (1 - y)."""
        return self._unary("sigmoid", _sigmoid(self.data))

    def relu(self) -> Value:
        """y = max(x, 0); dy/dx = 1 if x > 0 else 0 (0 at the kink x = 0)."""
        return self._unary("relu", _relu(self.data))

    def backward(self) -> None:
        """Reverse accumulation: add d(self)/d(node) to every node's grad.

        Start with d(self)/d(self) = 1 and visit nodes children-first
        (reversed ``topological_order``); each node's total is final when
        visited and is pushed to parent i as total * local_grads[i], where
        contributions from several children are summed (a value used twice
        gets both). Every edge is used once. The result is *added* to the
        ``.grad`` of every node, the root and the intermediate nodes
        included: on a fresh graph (every grad 0.0, as in the graded ones,
        which call backward once) self.grad becomes 1 and node.grad
        becomes d(self)/d(node) for every node.
        """
        totals = {self: 1.0}
        for node in reversed(topological_order(self)):
            total = totals.pop(node, 0.0)
            node.grad += total
            for parent, local in zip(node.parents, node.local_grads):
                totals[parent] = totals.get(parent, 0.0) + local * total

    def zero_grad(self) -> None:
        """Set grad = 0.0 on every node of the graph that ends at self."""
        for node in topological_order(self):
            node.grad = 0.0


def topological_order(root: Value) -> list[Value]:
    """Every node reachable from root, once each, parents before children.

    Iterative depth-first search with an explicit stack (no recursion, so
    a chain of any depth works): a node is emitted after all its parents,
    and root comes last. Shapes: returns a list of len = number of nodes.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents if p not in seen)
    return order


# ---------------------------------------------------------------------------
# Forward (path-sum) differentiation on a named graph.

Partials = dict[tuple[str, str], float]


def _paths(partials: Partials, source: str, target: str
           ) -> Iterator[list[str]]:
    names = {name for edge in partials for name in edge}
    for name in (source, target):
        if name not in names:
            raise ValueError(f"node {name!r} is not in the graph "
                             f"{sorted(names)}")
    children: dict[str, list[str]] = {}
    for parent, child in partials:
        children.setdefault(parent, []).append(child)
    stack = [[source]]
    while stack:
        path = stack.pop()
        if path[-1] == target:
            yield path
            continue
        for child in children.get(path[-1], []):
            if child in path:
                raise ValueError(f"cycle through {child!r}: {path}")
            stack.append(path + [child])


def path_sum_gradient(partials: Partials, source: str, target: str
                      ) -> float:
    """d target / d source as a sum over paths of products of partials.

    d t/d s = sum over every path s -> ... -> t of the product of the local
    partials d child/d parent along its edges; ``partials`` maps
    (parent, child) names to those numbers. Paths are enumerated one by
    one, so a shared sub-path (c -> e) is multiplied again for every path
    that uses it: the repeated work that reverse mode avoids. Conventions:
    source == target gives 1 (the empty path); no path gives 0.0; a name
    not in the graph or a cycle raises ValueError.
    """
    return math.fsum(
        math.prod(partials[edge] for edge in zip(path, path[1:]))
        for path in _paths(partials, source, target))


def count_paths(partials: Partials, source: str, target: str) -> int:
    """Number of paths source -> target (the terms of the path sum)."""
    return sum(1 for _ in _paths(partials, source, target))


# ---------------------------------------------------------------------------
# Forward mode: dual numbers.

@dataclass(frozen=True)
class Dual:
    """A dual number value + tangent * eps with eps^2 = 0 (forward mode).

    For y = f(x1, ..., xn), the tangent of y is sum_i dy/dx_i * tangent_i,
    computed alongside the value with the same local rules as ``Value``.
    Operators ``+ - * /`` accept Duals or plain numbers (tangent 0) on
    either side; ``** k`` needs a plain number k. Same conventions as
    Value: ReLU slope 0 at 0; ValueError for log of x <= 0 and for
    x ** k at a negative base with non-integer k or a zero base with k < 1.
    """

    value: float
    tangent: float = 0.0

    def _binary(self, other: object, rule: Rule2,
                swap: bool = False) -> Dual:
        if isinstance(other, Real):
            other = Dual(float(other))
        if not isinstance(other, Dual):
            return NotImplemented
        a, b = (other, self) if swap else (self, other)
        y, da, db = rule(a.value, b.value)
        return Dual(y, da * a.tangent + db * b.tangent)

    def _unary(self, y_and_slope: tuple[float, float]) -> Dual:
        y, slope = y_and_slope
        return Dual(y, slope * self.tangent)

    def __add__(self, other: Dual | float) -> Dual:
        return self._binary(other, _add)

    def __radd__(self, other: float) -> Dual:
        return self._binary(other, _add, swap=True)

    def __sub__(self, other: Dual | float) -> Dual:
        return self._binary(other, _sub)

    def __rsub__(self, other: float) -> Dual:
        return self._binary(other, _sub, swap=True)

    def __mul__(self, other: Dual | float) -> Dual:
        return self._binary(other, _mul)

    def __rmul__(self, other: float) -> Dual:
        return self._binary(other, _mul, swap=True)

    def __truediv__(self, other: Dual | float) -> Dual:
        return self._binary(other, _div)

    def __rtruediv__(self, other: float) -> Dual:
        return self._binary(other, _div, swap=True)

    def __neg__(self) -> Dual:
        return self._unary(_neg(self.value))

    def __pow__(self, k: float) -> Dual:
        """(a + a'e)^k = a^k + k a^(k-1) a' e for a plain number k."""
        return self._unary(_power(self.value, _check_exponent(k)))

    def exp(self) -> Dual:
        """exp(a + a'e) = e^a + e^a a' e."""
        return self._unary(_exp(self.value))

    def log(self) -> Dual:
        """log(a + a'e) = ln a + (a'/a) e; ValueError for a <= 0."""
        return self._unary(_log(self.value))

    def tanh(self) -> Dual:
        """tanh(a + a'e) = t + (1 - t^2) a' e, t = tanh a."""
        return self._unary(_tanh(self.value))

    def sigmoid(self) -> Dual:
        """sigmoid(a + a'e) = s + s (1 - s) a' e."""
        return self._unary(_sigmoid(self.value))

    def relu(self) -> Dual:
        """relu(a + a'e) = relu(a) + [a > 0] a' e (slope 0 at a = 0)."""
        return self._unary(_relu(self.value))


ScalarFn = Callable[[list], object]


def _as_inputs(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D (n,), got shape {x.shape}")
    return x


def _float_dtype(x: np.ndarray) -> np.dtype:
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.float64


def forward_mode_gradient(f: ScalarFn, x: np.ndarray) -> np.ndarray:
    """Gradient of a scalar f at x by forward mode: one pass per input.

    Pass i evaluates f on Duals with tangent e_i (1 at input i, 0 at the
    others); the output tangent is df/dx_i. f takes a list of n scalars
    and returns one (a plain number counts as a constant: slope 0).
    Shapes: x (n,) -> gradient (n,), x's float dtype (float64 for ints).
    Cost: n evaluations of f, whatever the number of outputs.
    """
    x = _as_inputs(x)
    grad = np.zeros(x.shape, dtype=_float_dtype(x))
    for i in range(x.size):
        out = f([Dual(float(xj), float(j == i)) for j, xj in enumerate(x)])
        grad[i] = out.tangent if isinstance(out, Dual) else 0.0
    return grad


def reverse_mode_gradient(f: ScalarFn, x: np.ndarray) -> np.ndarray:
    """Gradient of a scalar f at x by reverse mode: one pass for all inputs.

    f runs once on leaf Values x0..x(n-1), then ``backward`` gives every
    df/dx_i at once. Same f and shapes as ``forward_mode_gradient``:
    x (n,) -> gradient (n,). Cost: one evaluation of f per output.
    """
    x = _as_inputs(x)
    leaves = [Value(float(xi), label=f"x{i}") for i, xi in enumerate(x)]
    out = f(leaves)
    if isinstance(out, Value):
        out.backward()
    return np.array([v.grad for v in leaves], dtype=_float_dtype(x))


def count_passes(method: Callable[[ScalarFn, np.ndarray], np.ndarray],
                 f: ScalarFn, x: np.ndarray) -> int:
    """How many times ``method(f, x)`` evaluates f (a forward pass each).

    Measures the cost claim: n for ``forward_mode_gradient`` with n
    inputs, 1 for ``reverse_mode_gradient``.
    """
    calls = 0

    def counted(args: list) -> object:
        nonlocal calls
        calls += 1
        return f(args)

    method(counted, x)
    return calls


# ---------------------------------------------------------------------------
# The same chain rule, vectorized: layers with a cache.

class AffineCache(NamedTuple):
    """Inputs of ``affine_forward``, kept for the backward pass."""
    x: np.ndarray
    W: np.ndarray
    b: np.ndarray


class MLPCache(NamedTuple):
    """Caches of the three layers of ``mlp_forward``, in forward order."""
    affine1: AffineCache
    relu: np.ndarray
    affine2: AffineCache


def _as_float(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    return a if np.issubdtype(a.dtype, np.floating) else a.astype(float)


def affine_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray
                   ) -> tuple[np.ndarray, AffineCache]:
    """out = x @ W + b, one row per example.

    Shapes: x (N, D) or (N, d1, ..., dk) with d1 * ... * dk = D, read
    row-major as (N, D); W (D, M); b (M,); out (N, M). x may hold
    integers (W and b are floats): out is float64 then. x, W and b are
    not changed.
    """
    x, W, b = _as_float(x), _as_float(W), _as_float(b)
    if W.ndim != 2 or b.shape != W.shape[1:]:
        raise ValueError(f"need W (D, M) and b (M,), got W {W.shape}, "
                         f"b {b.shape}")
    if x.ndim < 2 or math.prod(x.shape[1:]) != W.shape[0]:
        raise ValueError(f"x {x.shape} does not flatten to (N, "
                         f"{W.shape[0]}) for W {W.shape}")
    out = x.reshape(x.shape[0], W.shape[0]) @ W + b
    return out, AffineCache(x, W, b)


def affine_backward(dout: np.ndarray, cache: AffineCache
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of out = x @ W + b given dout = dL/dout.

    dx = dout @ W^T (reshaped to x's shape), dW = x^T @ dout,
    db = sum of dout over the N rows (b was added to every row).
    Shapes: dout (N, M) -> dx like x, dW (D, M), db (M,); all float64
    for an integer x. dout and the cache are not changed.
    """
    x, W, _ = cache
    dout = _as_float(dout)
    if dout.shape != (x.shape[0], W.shape[1]):
        raise ValueError(f"dout must have shape {(x.shape[0], W.shape[1])},"
                         f" got {dout.shape}")
    dx = (dout @ W.T).reshape(x.shape)
    dW = x.reshape(x.shape[0], W.shape[0]).T @ dout
    return dx, dW, dout.sum(axis=0)


def relu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = max(x, 0) elementwise, in a new array (x is not changed);
    the cache is x. Shapes: any -> same."""
    x = _as_float(x)
    return np.where(x > 0, x, 0.0).astype(x.dtype), x


def relu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx = dout where x > 0, else 0 (0 at the kink x == 0, like torch).

    Shapes: dout and the cached x have the same shape; dx too, a new
    array (dout is not changed).
    """
    dout = _as_float(dout)
    if dout.shape != cache.shape:
        raise ValueError(f"dout shape {dout.shape} != x shape {cache.shape}")
    return np.where(cache > 0, dout, 0.0).astype(dout.dtype)


MLP_KEYS = ("W1", "b1", "W2", "b2")


def mlp_forward(X: np.ndarray, params: dict[str, np.ndarray]
                ) -> tuple[np.ndarray, MLPCache]:
    """Two-layer MLP scores = relu(X @ W1 + b1) @ W2 + b2 (no loss).

    Shapes: X (N, D) or (N, d1, ..., dk) flattened as in affine_forward;
    W1 (D, H), b1 (H,), W2 (H, C), b2 (C,); scores (N, C). X and params
    are not changed.
    """
    missing = [k for k in MLP_KEYS if k not in params]
    if missing:
        raise ValueError(f"params is missing {missing}, has {list(params)}")
    hidden_in, c1 = affine_forward(X, params["W1"], params["b1"])
    hidden, c_relu = relu_forward(hidden_in)
    scores, c2 = affine_forward(hidden, params["W2"], params["b2"])
    return scores, MLPCache(c1, c_relu, c2)


def mlp_backward(dscores: np.ndarray, cache: MLPCache
                 ) -> dict[str, np.ndarray]:
    """Gradients of the MLP parameters given dscores = dL/dscores (N, C).

    Backward through the layers in reverse order; returns a dict with the
    keys and shapes of params, and no other keys: "W1" (D, H), "b1" (H,),
    "W2" (H, C), "b2" (C,). Hidden units at exactly 0 pass no gradient
    (ReLU kink). Each layer's cache goes to that layer's backward as it is.
    """
    dhidden, dW2, db2 = affine_backward(dscores, cache.affine2)
    dhidden_in = relu_backward(dhidden, cache.relu)
    _, dW1, db1 = affine_backward(dhidden_in, cache.affine1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def init_mlp(D: int, H: int, C: int, *, seed: int, scale: float = 1e-2
             ) -> dict[str, np.ndarray]:
    """Parameters for mlp_forward: W ~ scale * N(0, 1), b = 0, float64.

    Draws W1 (D, H) then W2 (H, C) from np.random.default_rng(seed), so a
    seed fixes the network. b1 (H,), b2 (C,) are zeros.
    """
    for name, n in (("D", D), ("H", H), ("C", C)):
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    if not (math.isfinite(scale) and scale >= 0):
        raise ValueError(f"scale must be finite and >= 0, got {scale}")
    rng = np.random.default_rng(seed)
    W1 = scale * rng.standard_normal((D, H))
    W2 = scale * rng.standard_normal((H, C))
    return {"W1": W1, "b1": np.zeros(H), "W2": W2, "b2": np.zeros(C)}
