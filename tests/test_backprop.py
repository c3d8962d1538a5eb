"""Tests of solutions/backprop.py, with torch.autograd (float64) as oracle.

Scalar expressions are written once against the shared operator interface
(+ - * / ** exp log tanh sigmoid relu), so the very same source runs on
Value, Dual and torch tensors.
"""
import math
import sys

import numpy as np
import pytest
import torch

from solutions.backprop import (
    Dual, Value, affine_backward, affine_forward, count_passes, count_paths,
    forward_mode_gradient, init_mlp, mlp_backward, mlp_forward,
    path_sum_gradient, relu_backward, relu_forward, reverse_mode_gradient,
    topological_order)
from oracle import rel_err

TOL = 1e-9


def assert_close(what, ours, expected, tol=TOL):
    ours, expected = np.asarray(ours), np.asarray(expected)
    assert ours.shape == expected.shape, (
        f"{what}: shape {ours.shape}, expected {expected.shape}")
    err = rel_err(ours, expected)
    assert err <= tol, (
        f"{what}: relative error {err:.3e} > {tol:.0e}\n"
        f"ours     {ours.ravel()[:6]}\nexpected {expected.ravel()[:6]}")


def torch_grad(f, x):
    """Value and gradient of a scalar expression f(list) by torch."""
    leaves = [torch.tensor(float(v), requires_grad=True) for v in x]
    out = f(leaves)
    out.backward()
    # torch leaves .grad as None for an input that f does not use.
    return out.item(), np.array([0.0 if v.grad is None else v.grad.item()
                                 for v in leaves])


# ---------------------------------------------------------------------------
# Scalar expressions that every engine can run.

def worked_example(v):
    a, b = v
    return (a + b) * (b + 1)


def every_op(v):
    """Each operator at least once, number on both sides, reuse of a."""
    a, b, c = v
    d = a * b + c / a - 2.0                # / by a Value
    e = 3.0 - d * c                        # __rsub__
    f = 1.5 / (b * b + 1.0)                # __rtruediv__
    g = (a * a + 0.5) ** -1.5 + (c * c + 1.0) ** 0.7 + b ** 3
    h = (-e).tanh() + f.sigmoid() + (d - 0.3).relu() + 2 * (c - d).relu()
    i = (a * a + 1.0).log() + (0.1 * c).exp() - b / 4
    return h * g + i * d + a


# Bounded building blocks so that random programs stay finite.
RANDOM_OPS = [
    ("add", 2, lambda x, y: x + y),
    ("sub", 2, lambda x, y: x - y),
    ("mul", 2, lambda x, y: (x * y).tanh() * 2.0),
    ("div", 2, lambda x, y: x / (y * y + 0.5)),
    ("radd", 1, lambda x: 1.5 + x),
    ("rsub", 1, lambda x: 0.5 - x),
    ("rmul", 1, lambda x: -0.7 * x),
    ("rdiv", 1, lambda x: 2.0 / (x * x + 1.0)),
    ("neg", 1, lambda x: -x),
    ("pow_neg_frac", 1, lambda x: (x * x + 0.3) ** -1.5),
    ("pow_frac", 1, lambda x: (x * x + 0.3) ** 0.5),
    ("pow_int", 1, lambda x: x ** 3 * 0.1),
    ("exp", 1, lambda x: x.tanh().exp()),
    ("log", 1, lambda x: (x * x + 0.1).log()),
    ("tanh", 1, lambda x: x.tanh()),
    ("sigmoid", 1, lambda x: (3.0 * x).sigmoid()),
    ("relu", 1, lambda x: x.relu()),
]


def random_program(seed, n_inputs=4):
    """A random expression f(list) using every op twice, with reuse."""
    rng = np.random.default_rng(seed)
    steps = [RANDOM_OPS[i] for _ in range(2)
             for i in rng.permutation(len(RANDOM_OPS))]
    picks = [rng.integers(0, n_inputs + k, size=2)
             for k in range(len(steps))]
    for k in range(n_inputs):           # every input is used at least once
        picks[k][0] = k

    def f(v):
        pool = list(v)
        for (_, arity, op), (i, j) in zip(steps, picks):
            pool.append(op(pool[i]) if arity == 1 else op(pool[i], pool[j]))
        out = pool[-1]
        for x in pool[-6:-1]:
            out = out + x
        return out
    return f


def value_grad(f, x):
    leaves = [Value(float(v)) for v in x]
    out = f(leaves)
    out.backward()
    return out.data, np.array([v.grad for v in leaves])


@pytest.mark.parametrize("seed", range(12))
def test_value_random_programs_match_torch(seed):
    f = random_program(seed)
    x = np.random.default_rng(100 + seed).normal(size=4)
    y, g = value_grad(f, x)
    y_t, g_t = torch_grad(f, x)
    assert_close(f"program {seed} value", y, y_t)
    assert_close(f"program {seed} gradient at x={x}", g, g_t)


@pytest.mark.parametrize("draw", range(5))
def test_value_every_op_matches_torch(rng, draw):
    x = rng.normal(size=(draw + 1, 3))[-1] + np.array([1.5, 0.0, 0.0])
    y, g = value_grad(every_op, x)
    y_t, g_t = torch_grad(every_op, x)
    assert_close("every_op value", y, y_t)
    assert_close(f"every_op gradient at {x}", g, g_t)


def test_value_records_graph():
    a, b = Value(2.0, label="a"), Value(-3.0)
    c = a * b
    assert c.parents == (a, b) and c.op == "*", (c.parents, c.op)
    assert c.local_grads == (-3.0, 2.0), c.local_grads
    d = 4.0 / a
    assert d.parents[1] is a and d.parents[0].data == 4.0, d.parents
    assert a.grad == 0.0 and a.label == "a" and b.label == ""
    assert "a" in repr(a) and len(repr(a)) < 60, repr(a)


@pytest.mark.parametrize("expr", [
    lambda x: x.relu(),
    lambda x: (x - x).relu() * 3.0 + x,    # kink reached by computation
])
def test_relu_kink_is_zero_like_torch(expr):
    x = Value(0.0)
    out = expr(x)
    out.backward()
    xt = torch.tensor(0.0, requires_grad=True)
    expr(xt).backward()
    assert x.grad == xt.grad.item(), (
        f"relu slope at 0: ours {x.grad}, torch {xt.grad.item()}")
    dual = expr(Dual(0.0, 1.0)).tangent
    assert dual == xt.grad.item(), f"Dual relu slope at 0: {dual}"


def test_worked_example_value_and_path_sum():
    a, b = Value(2.0), Value(1.0)
    e = worked_example([a, b])
    e.backward()
    assert (e.data, a.grad, b.grad) == (6.0, 2.0, 5.0), (
        f"expected e=6, de/da=2, de/db=5; got {e.data}, {a.grad}, {b.grad}")
    c, d = 2.0 + 1.0, 1.0 + 1.0
    partials = {("a", "c"): 1.0, ("b", "c"): 1.0, ("b", "d"): 1.0,
                ("c", "e"): d, ("d", "e"): c}
    de_da = path_sum_gradient(partials, "a", "e")
    de_db = path_sum_gradient(partials, "b", "e")
    assert (de_da, de_db) == (2.0, 5.0), f"path sum gave {de_da}, {de_db}"
    assert count_paths(partials, "b", "e") == 2
    assert count_paths(partials, "a", "e") == 1


def _named_partials(root):
    """The graph of a Value as {(parent, child): d child / d parent}."""
    names = {node: f"n{i}" for i, node in enumerate(topological_order(root))}
    partials = {}
    for node in names:
        for parent, local in zip(node.parents, node.local_grads):
            key = (names[parent], names[node])
            partials[key] = partials.get(key, 0.0) + local   # x * x
    return partials, names


@pytest.mark.parametrize("seed", range(4))
def test_path_sum_agrees_with_reverse_mode(seed):
    f = random_program(seed, n_inputs=3)
    leaves = [Value(v) for v in np.random.default_rng(seed).normal(size=3)]
    out = f(leaves)
    out.backward()
    partials, names = _named_partials(out)
    for i, leaf in enumerate(leaves):
        if leaf not in names:
            continue
        ps = path_sum_gradient(partials, names[leaf], names[out])
        assert_close(f"path sum vs backward, program {seed}, input {i}",
                     ps, leaf.grad)


def test_path_count_grows_exponentially_on_diamonds():
    partials = {}
    for k in range(10):   # x_k -> (u_k, w_k) -> x_{k+1}
        for mid in (f"u{k}", f"w{k}"):
            partials[(f"x{k}", mid)] = 1.0
            partials[(mid, f"x{k + 1}")] = 0.5 + k
    n = count_paths(partials, "x0", "x10")
    assert n == 2 ** 10, f"expected 1024 paths through 10 diamonds, got {n}"
    expected = math.prod(2 * (0.5 + k) for k in range(10))
    assert_close("diamond path sum", path_sum_gradient(partials, "x0",
                                                       "x10"), expected)
    assert path_sum_gradient(partials, "x3", "x3") == 1.0
    assert path_sum_gradient(partials, "x5", "x2") == 0.0


def test_path_sum_rejects_bad_graphs():
    with pytest.raises(ValueError, match="'z'"):
        path_sum_gradient({("a", "b"): 1.0}, "z", "b")
    cyclic = {("a", "b"): 1.0, ("b", "c"): 1.0, ("c", "b"): 1.0,
              ("c", "d"): 1.0}
    with pytest.raises(ValueError, match="cycle"):
        path_sum_gradient(cyclic, "a", "d")


def _reuse_three_times():
    a, b = Value(0.7), Value(-1.3)
    x = a * b                         # used three times below
    out = x * x + x.exp()
    at = torch.tensor(0.7, requires_grad=True)
    bt = torch.tensor(-1.3, requires_grad=True)
    xt = at * bt
    xt.retain_grad()
    out_t = xt * xt + xt.exp()
    out_t.retain_grad()
    return (a, b, x, out), (at, bt, xt, out_t)


def test_backward_accumulates_over_reuse_and_calls():
    ours, theirs = _reuse_three_times()
    theirs[-1].backward(retain_graph=True)
    expected = np.array([t.grad.item() for t in theirs])
    names = ["a", "b", "x (used 3 times)", "out"]
    ours[-1].backward()
    for name, v, e in zip(names, ours, expected):
        assert_close(f"first backward, d out/d {name}", v.grad, e)
    ours[-1].backward()
    theirs[-1].backward()
    for name, v, t in zip(names, ours, theirs):
        assert_close(f"second backward (accumulated), {name}", v.grad,
                     t.grad.item())
        assert_close(f"second backward is twice the first, {name}",
                     v.grad, 2 * expected[names.index(name)])
    ours[-1].zero_grad()
    assert all(v.grad == 0.0 for v in topological_order(ours[-1]))
    ours[-1].backward()
    assert_close("after zero_grad", [v.grad for v in ours], expected)


def test_topological_order_on_deep_chain():
    depth = 2000
    assert depth > sys.getrecursionlimit() // 2
    x0 = Value(0.4)
    v = x0
    for _ in range(depth):
        v = 0.9 * v + 0.1 * v.tanh()           # reuses v
    order = topological_order(v)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    reachable, stack = set(), [v]
    while stack:
        node = stack.pop()
        if node not in reachable:
            reachable.add(node)
            stack.extend(node.parents)
    assert set(order) == reachable, (
        f"{len(order)} nodes in order, {len(reachable)} reachable")
    assert order[-1] is v and len(order) > 5 * depth
    for node in order:
        for p in node.parents:
            assert position[p] < position[node], (
                f"parent {p} after child {node}")
    v.backward()
    xt = torch.tensor(0.4, requires_grad=True)
    vt = xt
    for _ in range(depth):
        vt = 0.9 * vt + 0.1 * vt.tanh()
    vt.backward()
    assert_close("d chain / d x0", x0.grad, xt.grad.item())


def test_value_rejects_invalid_inputs():
    with pytest.raises(ValueError, match="-2.5"):
        Value(-2.5).log()
    with pytest.raises(ValueError, match="0.0"):
        Value(0.0).log()
    with pytest.raises(ValueError, match="-4.0"):
        Value(-4.0) ** 0.5
    with pytest.raises(ValueError, match="infinite slope"):
        Value(0.0) ** -1
    with pytest.raises(TypeError):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / Value(0.0)
    with pytest.raises(ValueError, match="-1.0"):
        Dual(-1.0, 1.0).log()


@pytest.mark.parametrize("x, k", [(-2.0, 3), (-1.5, -2), (0.0, 0),
                                  (0.0, 1), (0.0, 2.5), (3.0, -0.5)])
def test_power_edge_cases_match_torch(x, k):
    v = Value(x)
    (v ** k).backward()
    xt = torch.tensor(x, requires_grad=True)
    yt = xt ** k
    yt.backward()
    assert_close(f"{x} ** {k} value", (Value(x) ** k).data, yt.item())
    assert_close(f"d({x} ** {k})/dx", v.grad, xt.grad.item())


# ---------------------------------------------------------------------------
# Forward vs reverse mode.

def six_inputs(v):
    a, b, c, d, e, f = v
    u = a * b - c / (d * d + 1.0)
    w = (e * e + 0.2) ** 0.75 + (f - a).relu() + (0.5 * b).exp()
    return (u * w).tanh() + (w + 1.0).log() * f.sigmoid() - 2.0 / (1.0 + u * u)


@pytest.mark.parametrize("seed", range(3))
def test_forward_equals_reverse_equals_torch(seed):
    x = np.random.default_rng(seed).normal(size=6)
    fwd = forward_mode_gradient(six_inputs, x)
    rev = reverse_mode_gradient(six_inputs, x)
    _, ref = torch_grad(six_inputs, x)
    assert fwd.shape == rev.shape == (6,) and fwd.dtype == np.float64
    assert_close("forward mode vs torch", fwd, ref)
    assert_close("reverse mode vs torch", rev, ref)


@pytest.mark.parametrize("seed", range(6))
def test_forward_mode_on_random_programs(seed):
    f = random_program(seed)
    x = np.random.default_rng(200 + seed).normal(size=4)
    _, ref = torch_grad(f, x)
    assert_close(f"Dual on program {seed}", forward_mode_gradient(f, x), ref)


@pytest.mark.parametrize("n", [1, 6, 13])
def test_pass_counts(n):
    def f(v):
        out = v[0]
        for x in v[1:]:
            out = out * 0.5 + x.tanh()
        return out

    calls = []

    def counted(v):
        calls.append(len(v))
        return f(v)

    x = np.linspace(-1.0, 1.0, n)
    forward_mode_gradient(counted, x)
    assert calls == [n] * n, f"forward mode: {len(calls)} passes, want {n}"
    calls.clear()
    reverse_mode_gradient(counted, x)
    assert calls == [n], f"reverse mode: {len(calls)} passes, want 1"
    assert count_passes(forward_mode_gradient, f, x) == n
    assert count_passes(reverse_mode_gradient, f, x) == 1


def test_mode_gradients_conventions():
    x = np.array([1, 2, 3])
    const = forward_mode_gradient(lambda v: 5.0, x)
    assert const.dtype == np.float64 and not const.any(), const
    assert not reverse_mode_gradient(lambda v: 5.0, x).any()
    x32 = np.array([0.5, -1.0], dtype=np.float32)
    assert forward_mode_gradient(lambda v: v[0] * v[1], x32).dtype \
        == np.float32
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        reverse_mode_gradient(lambda v: v[0], np.ones((2, 2)))
    with pytest.raises(TypeError):
        Dual(1.0) + Value(1.0)


# ---------------------------------------------------------------------------
# Vectorized layers.

def t(a, grad=True):
    return torch.tensor(a, requires_grad=grad)


AFFINE_SHAPES = [((1, 3), 2), ((4, 5), 3), ((7, 1), 1), ((2, 3, 4), 5),
                 ((1, 2, 2, 2), 3), ((6, 10), 4)]


@pytest.mark.parametrize("x_shape, M", AFFINE_SHAPES)
def test_affine_matches_torch(rng, x_shape, M):
    D = math.prod(x_shape[1:])
    x, W = rng.normal(size=x_shape), rng.normal(size=(D, M))
    b, dout = rng.normal(size=M), rng.normal(size=(x_shape[0], M))
    copies = [a.copy() for a in (x, W, b, dout)]
    out, cache = affine_forward(x, W, b)
    dx, dW, db = affine_backward(dout, cache)
    xt, Wt, bt = t(x), t(W), t(b)
    out_t = xt.reshape(x_shape[0], -1) @ Wt + bt
    (out_t * t(dout, False)).sum().backward()
    assert_close(f"affine out {x_shape}", out, out_t.detach().numpy())
    for name, ours, ref in [("dx", dx, xt), ("dW", dW, Wt), ("db", db, bt)]:
        assert_close(f"affine {name}, x {x_shape}, M {M}", ours,
                     ref.grad.numpy())
    for before, after in zip(copies, (x, W, b, dout)):
        assert np.array_equal(before, after), "an input was mutated"


def test_affine_dtype_and_validation():
    out, _ = affine_forward(np.ones((2, 3), int), np.ones((3, 1), int),
                            np.zeros(1, int))
    assert out.dtype == np.float64, out.dtype
    f32 = np.float32
    out, cache = affine_forward(np.ones((2, 3), f32), np.ones((3, 4), f32),
                                np.zeros(4, f32))
    assert out.dtype == f32 and affine_backward(out, cache)[0].dtype == f32
    with pytest.raises(ValueError, match=r"\(2, 4\)"):
        affine_forward(np.ones((2, 4)), np.ones((3, 1)), np.zeros(1))
    with pytest.raises(ValueError, match=r"b \(2,\)"):
        affine_forward(np.ones((2, 3)), np.ones((3, 1)), np.zeros(2))
    _, cache = affine_forward(np.ones((2, 3)), np.ones((3, 1)), np.zeros(1))
    with pytest.raises(ValueError, match=r"\(3, 1\)"):
        affine_backward(np.ones((3, 1)), cache)


@pytest.mark.parametrize("shape", [(1, 1), (5, 4), (2, 3, 4)])
def test_relu_matches_torch_with_kinks(rng, shape):
    x = rng.normal(size=shape)
    x.flat[::3] = 0.0                       # exact kinks
    dout = rng.normal(size=shape)
    out, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    xt = t(x)
    out_t = torch.relu(xt)
    (out_t * t(dout, False)).sum().backward()
    assert_close(f"relu out {shape}", out, out_t.detach().numpy())
    assert_close(f"relu dx {shape}", dx, xt.grad.numpy())
    assert np.all(dx[x == 0] == 0.0), "gradient at x == 0 must be 0"
    assert np.all(dx[x > 0] == dout[x > 0]), "gradient must pass where x>0"
    with pytest.raises(ValueError, match="shape"):
        relu_backward(dout.ravel(), cache)


def torch_mlp(X, params, dscores):
    p = {k: t(v) for k, v in params.items()}
    h = torch.relu(t(X, False).reshape(X.shape[0], -1) @ p["W1"] + p["b1"])
    scores = h @ p["W2"] + p["b2"]
    (scores * t(dscores, False)).sum().backward()
    return scores.detach().numpy(), {k: v.grad.numpy() for k, v in p.items()}


@pytest.mark.parametrize("x_shape, H, C", [((1, 4), 3, 2), ((8, 5), 7, 3),
                                           ((3, 2, 3), 4, 5),
                                           ((2, 1), 1, 1)])
def test_mlp_matches_torch(rng, x_shape, H, C):
    D = math.prod(x_shape[1:])
    params = init_mlp(D, H, C, seed=3, scale=1.0)
    params["b1"] = rng.normal(size=H)
    params["b2"] = rng.normal(size=C)
    params["W1"][:, 0] = 0.0                # unit 0 sits exactly on the kink
    params["b1"][0] = 0.0
    X = rng.normal(size=x_shape)
    dscores = rng.normal(size=(x_shape[0], C))
    scores, cache = mlp_forward(X, params)
    grads = mlp_backward(dscores, cache)
    scores_t, grads_t = torch_mlp(X, params, dscores)
    assert_close(f"mlp scores {x_shape}", scores, scores_t)
    assert set(grads) == {"W1", "b1", "W2", "b2"}, sorted(grads)
    for k in grads:
        assert_close(f"mlp d{k}, X {x_shape}, H {H}, C {C}", grads[k],
                     grads_t[k])
    assert not grads["W1"][:, 0].any() and grads["b1"][0] == 0.0


def test_mlp_rejects_missing_params():
    params = init_mlp(3, 2, 2, seed=0)
    del params["b2"]
    with pytest.raises(ValueError, match="b2"):
        mlp_forward(np.ones((1, 3)), params)


def test_init_mlp():
    p = init_mlp(20, 30, 4, seed=7, scale=0.5)
    shapes = {k: v.shape for k, v in p.items()}
    assert shapes == {"W1": (20, 30), "b1": (30,), "W2": (30, 4),
                      "b2": (4,)}, shapes
    assert not p["b1"].any() and not p["b2"].any()
    rng = np.random.default_rng(7)
    assert_close("W1 draw", p["W1"], 0.5 * rng.standard_normal((20, 30)))
    assert_close("W2 draw", p["W2"], 0.5 * rng.standard_normal((30, 4)))
    again = init_mlp(20, 30, 4, seed=7, scale=0.5)
    assert all(np.array_equal(p[k], again[k]) for k in p)
    assert not np.array_equal(p["W1"], init_mlp(20, 30, 4, seed=8)["W1"])
    assert abs(init_mlp(200, 300, 1, seed=0)["W1"].std() - 1e-2) < 1e-3
    with pytest.raises(ValueError, match="H must be a positive int, got 0"):
        init_mlp(3, 0, 2, seed=0)
    with pytest.raises(ValueError, match="-1"):
        init_mlp(3, 2, 2, seed=0, scale=-1.0)
