"""Tests for solutions.gates: every gradient against torch.autograd (float64).

Kinks and ties are tested at exact points under the conventions stated in
the module docstring; where torch's convention differs (maximum on ties,
multi_margin_loss dividing by C) the difference itself is tested.
"""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from solutions import gates
from oracle import rel_err

TOL = 1e-9


# ---------------------------------------------------------------- helpers
def check(what, ours, ref, tol=TOL):
    """Assert same shape and relative error <= tol, saying by how much."""
    if torch.is_tensor(ref):
        ref = ref.detach().numpy()
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, \
        f"{what}: shape {ours.shape}, expected {ref.shape}"
    err = rel_err(ours, ref)
    assert err <= tol, (f"{what}: relative error {err:.3e} > {tol:.0e}; "
                        f"ours {ours.ravel()[:4]}..., expected "
                        f"{ref.ravel()[:4]}...")


def torch_run(fn, arrays, dout):
    """Output of fn on tensors of arrays and the gradients for dout."""
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), [t.grad.numpy() for t in ts]


def with_zeros(rng, shape, scale=3.0):
    """Random normal values with exact zeros at every third position."""
    x = rng.normal(scale=scale, size=shape)
    x.reshape(-1)[::3] = 0.0
    return x


def no_warnings(fn, *args):
    """Call fn with every warning turned into an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args)


SHAPES = [(), (7,), (3, 4), (2, 3, 5)]
PAIR_SHAPES = [((), ()), ((6,), (6,)), ((3, 4), (3, 4)),
               ((4, 1, 3), (5, 3)), ((2, 3), ()), ((3, 1), (1, 4))]


# ---------------------------------------------------------- binary gates
def torch_max_first(x, y):
    return torch.where(x >= y, x, y)


BINARY = {"add": torch.add, "mul": torch.mul, "max": torch_max_first}


@pytest.mark.parametrize("gate", sorted(BINARY))
@pytest.mark.parametrize("xs, ys", PAIR_SHAPES)
def test_binary_gate_matches_torch(rng, gate, xs, ys):
    x, y = rng.normal(size=xs), rng.normal(size=ys)
    out, cache = getattr(gates, f"{gate}_forward")(x, y)
    dout = rng.normal(size=out.shape)
    dx, dy = getattr(gates, f"{gate}_backward")(dout, cache)
    t_out, (t_dx, t_dy) = torch_run(BINARY[gate], [x, y], dout)
    check(f"{gate} out {xs}x{ys}", out, t_out)
    check(f"{gate} dx {xs}x{ys}", dx, t_dx)
    check(f"{gate} dy {xs}x{ys}", dy, t_dy)


@pytest.mark.parametrize("shape", SHAPES[1:])
def test_max_without_ties_matches_torch_maximum(rng, shape):
    x, y = rng.normal(size=shape), rng.normal(size=shape)
    assert not np.any(x == y)
    out, cache = gates.max_forward(x, y)
    dout = rng.normal(size=shape)
    dx, dy = gates.max_backward(dout, cache)
    t_out, (t_dx, t_dy) = torch_run(torch.maximum, [x, y], dout)
    check("max out", out, t_out)
    check("max dx", dx, t_dx)
    check("max dy", dy, t_dy)


def test_max_ties_go_to_first_argument_unlike_torch_maximum(rng):
    x = rng.integers(-2, 3, size=(6, 5)).astype(float)
    y = rng.integers(-2, 3, size=(6, 5)).astype(float)
    tie = x == y
    assert tie.sum() >= 3, "the test needs exact ties"
    dout = rng.normal(size=x.shape)
    dx, dy = gates.max_backward(dout, gates.max_forward(x, y)[1])
    _, (w_dx, w_dy) = torch_run(torch_max_first, [x, y], dout)
    check("max dx vs torch.where(x >= y) with ties", dx, w_dx)
    check("max dy vs torch.where(x >= y) with ties", dy, w_dy)
    np.testing.assert_array_equal(dx[tie], dout[tie],
                                  err_msg="on a tie x must get all of dout")
    np.testing.assert_array_equal(dy[tie], 0.0,
                                  err_msg="on a tie y must get 0")
    _, (m_dx, m_dy) = torch_run(torch.maximum, [x, y], dout)
    # torch.maximum splits a tie evenly; everywhere else it agrees with us
    check("torch.maximum dx on ties", m_dx[tie], 0.5 * dout[tie])
    check("torch.maximum dy on ties", m_dy[tie], 0.5 * dout[tie])
    check("max dx off ties", dx[~tie], m_dx[~tie])
    check("max dy off ties", dy[~tie], m_dy[~tie])


@pytest.mark.parametrize("n_inputs", [2, 3])
def test_add_gradients_sum_to_dout_times_inputs(rng, n_inputs):
    xs = [rng.normal(size=(4, 3)) for _ in range(n_inputs)]
    out, caches = xs[0], []
    for x in xs[1:]:  # a chain of binary adds is one n-input add
        out, cache = gates.add_forward(out, x)
        caches.append(cache)
    dout = rng.normal(size=out.shape)
    grads, up = [], dout
    for cache in reversed(caches):
        up, dx = gates.add_backward(up, cache)
        grads.append(dx)
    grads.append(up)
    for i, g in enumerate(grads):
        np.testing.assert_array_equal(g, dout, err_msg=f"input {i}")
    total = np.sum(grads, axis=0)
    err = np.abs(total - n_inputs * dout).max()
    assert err <= 1e-15, f"sum of add grads is off n*dout by {err:.2e}"


def test_max_gradients_always_sum_to_dout(rng):
    x = rng.integers(-1, 2, size=(50,)).astype(float)  # many ties
    y = rng.integers(-1, 2, size=(50,)).astype(float)
    dout = rng.normal(size=50)
    dx, dy = gates.max_backward(dout, gates.max_forward(x, y)[1])
    bad = np.flatnonzero(dx + dy != dout)
    assert bad.size == 0, f"dx + dy != dout at {bad} (x {x[bad]}, y {y[bad]})"
    assert np.all((dx == 0) | (dy == 0)), "max must route, not split"


def test_scaling_input_by_1000_scales_mul_weight_gradient(rng):
    x = rng.integers(-9, 10, size=(5, 4)).astype(float)  # exact products
    w = rng.integers(-9, 10, size=(5, 4)).astype(float)
    dout = rng.integers(-9, 10, size=(5, 4)).astype(float)
    dx, dw = gates.mul_backward(dout, gates.mul_forward(x, w)[1])
    dx_big, dw_big = gates.mul_backward(
        dout, gates.mul_forward(1000 * x, w)[1])
    np.testing.assert_array_equal(dw_big, 1000 * dw,
                                  err_msg="dW did not scale by exactly 1000")
    np.testing.assert_array_equal(dx_big, dx,
                                  err_msg="dx must not depend on x's scale")
    xr, dr = rng.normal(size=8), rng.normal(size=8)
    _, dw_r = gates.mul_backward(dr, gates.mul_forward(xr, 0.5)[1])
    _, dw_rb = gates.mul_backward(dr, gates.mul_forward(1000 * xr, 0.5)[1])
    check("dw(1000 x) vs 1000 dw(x), random x", dw_rb, 1000 * dw_r, 1e-15)


# ----------------------------------------------------------- activations
ACTIVATIONS = [
    ("sigmoid", {}, torch.sigmoid),
    ("tanh", {}, torch.tanh),
    ("relu", {}, torch.relu),
    ("leaky_relu", {}, lambda t: F.leaky_relu(t, 0.01)),
    ("leaky_relu", {"slope": 0.3}, lambda t: F.leaky_relu(t, 0.3)),
    ("elu", {}, F.elu),
    ("elu", {"alpha": 0.5}, lambda t: F.elu(t, alpha=0.5)),
    ("elu", {"alpha": 2.0}, lambda t: F.elu(t, alpha=2.0)),
]
ACT_IDS = [f"{n}{kw}" for n, kw, _ in ACTIVATIONS]


def activation(name, x, dout, **kw):
    out, cache = getattr(gates, f"{name}_forward")(x, **kw)
    return out, getattr(gates, f"{name}_backward")(dout, cache)


@pytest.mark.parametrize("name, kw, torch_fn", ACTIVATIONS, ids=ACT_IDS)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_matches_torch(rng, name, kw, torch_fn, shape):
    x, dout = with_zeros(rng, shape), rng.normal(size=shape)
    out, dx = activation(name, x, dout, **kw)
    t_out, (t_dx,) = torch_run(torch_fn, [x], dout)
    check(f"{name}{kw} out {shape}", out, t_out)
    check(f"{name}{kw} dx {shape}", dx, t_dx)


@pytest.mark.parametrize("name, kw, expected", [
    ("relu", {}, [0.0, 0.0, 0.0, 1.0]),
    ("leaky_relu", {}, [0.01, 0.01, 0.01, 1.0]),
    ("leaky_relu", {"slope": 0.3}, [0.3, 0.3, 0.3, 1.0]),
    ("elu", {}, [math.exp(-2.0), 1.0, 1.0, 1.0]),
    ("elu", {"alpha": 0.5}, [0.5 * math.exp(-2.0), 0.5, 0.5, 1.0]),
    ("sigmoid", {}, [None, 0.25, 0.25, None]),
    ("tanh", {}, [None, 1.0, 1.0, None]),
])
def test_local_slope_at_zero(name, kw, expected):
    x = np.array([-2.0, -0.0, 0.0, 3.0])
    _, dx = activation(name, x, np.ones(4), **kw)
    torch_fn = dict((n + str(k), f) for n, k, f in ACTIVATIONS)[name + str(kw)]
    _, (t_dx,) = torch_run(torch_fn, [x], np.ones(4))
    check(f"{name}{kw} slopes at {x}", dx, t_dx)
    for i, e in enumerate(expected):
        if e is not None:
            assert abs(dx[i] - e) <= 1e-15, \
                f"{name}{kw}: slope at x = {x[i]} is {dx[i]}, expected {e}"


def test_sigmoid_and_elu_are_stable_for_huge_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    s, cache = no_warnings(gates.sigmoid_forward, x)
    ds = no_warnings(gates.sigmoid_backward, np.ones(5), cache)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[2] == 0.5, f"sigmoid {s}"
    assert np.all(np.isfinite(ds)), f"sigmoid grad {ds}"
    _, (t_ds,) = torch_run(torch.sigmoid, [x], np.ones(5))
    check("sigmoid grad at +-1000", ds, t_ds)
    s32, _ = no_warnings(gates.sigmoid_forward, np.float32([-100, 100]))
    assert s32.dtype == np.float32 and np.all(np.isfinite(s32)), s32
    e, cache = no_warnings(gates.elu_forward, x)
    de = no_warnings(gates.elu_backward, np.ones(5), cache)
    assert e[0] == -1.0 and e[-1] == 1000.0, f"elu {e}"
    _, (t_de,) = torch_run(F.elu, [x], np.ones(5))
    check("elu grad at +-1000", de, t_de)


@pytest.mark.parametrize("dtype, expected", [
    (np.float32, np.float32), (np.float64, np.float64),
    (np.int64, np.float64)])
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "leaky_relu",
                                  "elu"])
def test_activation_dtype(name, dtype, expected):
    x = np.array([-2, 0, 3], dtype=dtype)
    out, dx = activation(name, x, np.ones(3, dtype=expected))
    assert out.dtype == expected and dx.dtype == expected, \
        f"{name}({dtype.__name__}): out {out.dtype}, dx {dx.dtype}"


# ------------------------------------------------------------------ PReLU
def torch_prelu(x, a):
    """torch's prelu puts channels on axis 1; ours on the last axis."""
    d = a.numel()
    rows = x.reshape(-1, d) if a.dim() else x.reshape(1, -1)
    return F.prelu(rows, a.reshape(-1)).reshape(x.shape)


@pytest.mark.parametrize("x_shape, a_shape", [
    ((5, 4), (4,)), ((2, 3, 4), (4,)), ((6,), (6,)), ((3, 4), ()),
    ((2, 3, 4), ()), ((), ())])
def test_prelu_matches_torch(rng, x_shape, a_shape):
    x, dout = with_zeros(rng, x_shape), rng.normal(size=x_shape)
    a = rng.uniform(-0.5, 0.5, size=a_shape)
    out, cache = gates.prelu_forward(x, a)
    dx, da = gates.prelu_backward(dout, cache)
    t_out, (t_dx, t_da) = torch_run(torch_prelu, [x, a], dout)
    check(f"prelu out {x_shape}", out, t_out)
    check(f"prelu dx {x_shape}", dx, t_dx)
    check(f"prelu da {x_shape} a{a_shape}", da, t_da)


def test_prelu_at_zero_uses_slope_a():
    x, a, dout = np.zeros((2, 2)), np.array([0.25, -0.5]), np.ones((2, 2))
    dx, da = gates.prelu_backward(dout, gates.prelu_forward(x, a)[1])
    np.testing.assert_array_equal(dx, [[0.25, -0.5]] * 2,
                                  err_msg="prelu dx at x == 0 must be a")
    np.testing.assert_array_equal(da, [0.0, 0.0],
                                  err_msg="prelu da at x == 0 must be 0")


# ----------------------------------------------------------------- maxout
def torch_maxout(x, W, b):
    pieces = torch.stack([x @ W[j] + b[j] for j in range(W.shape[0])])
    return pieces.max(dim=0).values


@pytest.mark.parametrize("n, d, k, m", [(4, 3, 2, 5), (1, 1, 1, 1),
                                        (6, 5, 4, 3), (3, 2, 5, 1)])
def test_maxout_matches_torch(rng, n, d, k, m):
    x, W = rng.normal(size=(n, d)), rng.normal(size=(k, d, m))
    b, dout = rng.normal(size=(k, m)), rng.normal(size=(n, m))
    out, cache = gates.maxout_forward(x, W, b)
    dx, dW, db = gates.maxout_backward(dout, cache)
    t_out, (t_dx, t_dW, t_db) = torch_run(torch_maxout, [x, W, b], dout)
    for what, ours, ref in [("out", out, t_out), ("dx", dx, t_dx),
                            ("dW", dW, t_dW), ("db", db, t_db)]:
        check(f"maxout {what} N={n} D={d} k={k} M={m}", ours, ref)


@pytest.mark.parametrize("tied_columns", [[0], [0, 1, 2]])
def test_maxout_ties_go_to_lowest_piece(rng, tied_columns):
    # integer data: every piece is computed exactly, so ties are exact
    x = rng.integers(-3, 4, size=(5, 4)).astype(float)
    W = rng.integers(-3, 4, size=(3, 4, 3)).astype(float)
    b = rng.integers(-3, 4, size=(3, 3)).astype(float)
    W[1][:, tied_columns] = W[0][:, tied_columns]
    b[1, tied_columns] = b[0, tied_columns]
    W[2][:, tied_columns] = W[0][:, tied_columns]
    b[2, tied_columns] = b[0, tied_columns] - 100.0  # piece 2 always loses
    dout = rng.normal(size=(5, 3))
    out, cache = gates.maxout_forward(x, W, b)
    dx, dW, db = gates.maxout_backward(dout, cache)
    t_out, (t_dx, t_dW, t_db) = torch_run(torch_maxout, [x, W, b], dout)
    for what, ours, ref in [("out", out, t_out), ("dx", dx, t_dx),
                            ("dW", dW, t_dW), ("db", db, t_db)]:
        check(f"maxout {what} with ties in columns {tied_columns}",
              ours, ref)
    assert np.all(dW[1:, :, tied_columns] == 0), \
        f"a tied piece j > 0 got gradient {dW[1:, :, tied_columns]}"
    check("maxout db of piece 0 on tied columns",
          db[0, tied_columns], dout[:, tied_columns].sum(axis=0))


# ----------------------------------------------------------------- losses
@pytest.mark.parametrize("shape", [(5,), (4, 10), (2, 3, 7)])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_softmax_matches_torch_and_is_stable(rng, shape, scale):
    x = scale * rng.normal(size=shape)
    p = no_warnings(gates.softmax, x)
    check(f"softmax {shape} scale {scale}", p,
          torch.softmax(torch.tensor(x), dim=-1))
    check("softmax rows sum to 1", p.sum(axis=-1), np.ones(shape[:-1]),
          1e-14)


def torch_ce(scores, y):
    return F.cross_entropy(scores, torch.tensor(y))


@pytest.mark.parametrize("n, c", [(1, 2), (5, 3), (16, 10), (7, 1)])
@pytest.mark.parametrize("scale", [1.0, 1000.0, 1e4])
def test_cross_entropy_matches_torch(rng, n, c, scale):
    scores, y = scale * rng.normal(size=(n, c)), rng.integers(0, c, size=n)
    loss, ds = no_warnings(gates.softmax_cross_entropy, scores, y)
    assert np.isfinite(loss) and np.all(np.isfinite(ds)), (loss, ds)
    t_loss, (t_ds,) = torch_run(lambda s: torch_ce(s, y), [scores], 1.0)
    check(f"cross-entropy loss N={n} C={c} scale {scale}", loss, t_loss)
    check(f"cross-entropy dscores N={n} C={c} scale {scale}", ds, t_ds)


def test_initial_softmax_loss_is_ln_c(rng):
    scores = 1e-3 * rng.normal(size=(200, 10))
    loss, _ = gates.softmax_cross_entropy(scores, rng.integers(0, 10, 200))
    assert abs(loss - math.log(10)) < 1e-2, \
        f"initial loss {loss:.4f}, expected ln(10) = {math.log(10):.4f}"


@pytest.mark.parametrize("loss_fn", [gates.softmax_cross_entropy,
                                     gates.svm_loss])
@pytest.mark.parametrize("scores, y, match", [
    (np.zeros((2, 3)), [0, 3], r"\[0, 3\).*y\[1\] = 3"),
    (np.zeros((2, 3)), [-1, 0], r"y\[0\] = -1"),
    (np.zeros((2, 3)), [0.0, 1.0], "integers.*float64"),
    (np.zeros((2, 3)), [0, 1, 2], r"shape \(2,\).*shape \(3,\)"),
    (np.zeros(3), [0], r"\(N, C\).*\(3,\)"),
    (np.zeros((0, 3)), np.zeros(0, int), r"\(0, 3\)"),
])
def test_loss_validates_labels_and_shapes(loss_fn, scores, y, match):
    with pytest.raises(ValueError, match=match):
        loss_fn(scores, y)


def torch_svm(s, y, margin):
    n = s.shape[0]
    rows = torch.arange(n)
    others = torch.ones_like(s)
    others[rows, y] = 0.0
    return (torch.relu(s - s[rows, y][:, None] + margin) * others).sum() / n


@pytest.mark.parametrize("n, c", [(1, 2), (6, 4), (20, 10)])
@pytest.mark.parametrize("margin", [1.0, 0.3, 2.5])
def test_svm_loss_matches_torch(rng, n, c, margin):
    scores, y = rng.normal(size=(n, c)), rng.integers(0, c, size=n)
    loss, ds = gates.svm_loss(scores, y, margin)
    t_loss, (t_ds,) = torch_run(lambda s: torch_svm(s, y, margin),
                                [scores], 1.0)
    check(f"svm loss N={n} C={c} margin {margin}", loss, t_loss)
    check(f"svm dscores N={n} C={c} margin {margin}", ds, t_ds)
    # torch's own multiclass hinge also averages over the C classes
    mm = F.multi_margin_loss(torch.tensor(scores), torch.tensor(y),
                             margin=margin)
    check("svm loss vs multi_margin_loss * C", loss, c * mm.item())


def test_svm_kink_is_inactive():
    # row 0: j=1 sits exactly on the kink (1.5 - 2.5 + 1 == 0), j=3 active
    scores = np.array([[2.5, 1.5, 0.0, 3.0], [0.0, -1.0, -1.0, -2.0]])
    y = np.array([0, 0])  # row 1: two terms exactly at the kink
    loss, ds = gates.svm_loss(scores, y)
    t_loss, (t_ds,) = torch_run(lambda s: torch_svm(s, y, 1.0),
                                [scores], 1.0)
    check("svm loss at the kink", loss, t_loss)
    check("svm dscores at the kink", ds, t_ds)
    expected = np.array([[-1, 0, 0, 1], [0, 0, 0, 0]]) / 2
    np.testing.assert_array_equal(ds, expected,
                                  err_msg="a term at the kink must be 0")
    assert loss == 0.75, f"svm loss {loss}, expected 1.5 / 2"


# ------------------------------------------------- purity and validation
def gate_calls(rng):
    """(name, forward args, backward) for every gate, on fresh arrays."""
    v = lambda *s: rng.normal(size=s)  # noqa: E731
    return [
        ("add", (v(3, 4), v(4)), gates.add_backward),
        ("mul", (v(3, 4), v(3, 4)), gates.mul_backward),
        ("max", (v(3, 4), v(3, 4)), gates.max_backward),
        ("sigmoid", (v(3, 4),), gates.sigmoid_backward),
        ("tanh", (v(3, 4),), gates.tanh_backward),
        ("relu", (v(3, 4),), gates.relu_backward),
        ("leaky_relu", (v(3, 4),), gates.leaky_relu_backward),
        ("elu", (v(3, 4),), gates.elu_backward),
        ("prelu", (v(3, 4), v(4)), gates.prelu_backward),
        ("maxout", (v(3, 4), v(2, 4, 5), v(2, 5)), gates.maxout_backward),
    ]


def test_nothing_mutates_its_inputs(rng):
    for name, args, backward in gate_calls(rng):
        saved = [a.copy() for a in args]
        out, cache = getattr(gates, f"{name}_forward")(*args)
        dout = rng.normal(size=out.shape)
        dout_saved = dout.copy()
        grads = backward(dout, cache)
        for g in grads if isinstance(grads, tuple) else (grads,):
            g[...] = 7.0  # a caller may write into a returned gradient
        for i, (a, s) in enumerate(zip(args, saved)):
            np.testing.assert_array_equal(a, s, err_msg=f"{name} arg {i}")
        np.testing.assert_array_equal(dout, dout_saved, err_msg=name)
    scores, y = rng.normal(size=(4, 3)), np.array([0, 2, 1, 1])
    saved = scores.copy()
    gates.softmax_cross_entropy(scores, y)
    gates.svm_loss(scores, y)
    gates.softmax(scores)
    np.testing.assert_array_equal(scores, saved, err_msg="loss mutated")


def test_backward_rejects_wrong_dout_shape(rng):
    for name, args, backward in gate_calls(rng):
        out, cache = getattr(gates, f"{name}_forward")(*args)
        with pytest.raises(ValueError, match=rf"{name}_backward.*\(3, 9\)"):
            backward(np.ones((3, 9)), cache)


@pytest.mark.parametrize("call, match", [
    (lambda: gates.prelu_forward(np.ones((2, 3)), np.ones(4)),
     r"x has shape \(2, 3\), a has shape \(4,\)"),
    (lambda: gates.prelu_forward(np.ones((2, 3)), np.ones((1, 3))),
     r"a has shape \(1, 3\)"),
    (lambda: gates.maxout_forward(np.ones((2, 3)), np.ones((2, 4, 5)),
                                  np.ones((2, 5))), r"W \(2, 4, 5\)"),
    (lambda: gates.maxout_forward(np.ones((2, 3)), np.ones((2, 3, 5)),
                                  np.ones(5)), r"b \(5,\)"),
    (lambda: gates.leaky_relu_forward(np.ones(2), float("nan")), "nan"),
    (lambda: gates.elu_forward(np.ones(2), float("inf")), "inf"),
    (lambda: gates.svm_loss(np.ones((2, 2)), [0, 1], None), "None"),
    (lambda: gates.softmax(np.ones((2, 0))), r"\(2, 0\)"),
])
def test_forward_validates_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
