"""Tests of solutions.regularization: torch and statistics as oracles."""
import math

import numpy as np
import pytest
import torch

from solutions import regularization as reg
from oracle import rel_err

SHAPES = [(1,), (7,), (3, 4), (2, 3, 5)]


# ---------------------------------------------------------------- penalties

PENALTIES = [
    (reg.l2_penalty, reg.l2_grad, lambda t, lam: 0.5 * lam * (t ** 2).sum()),
    (reg.l1_penalty, reg.l1_grad, lambda t, lam: lam * t.abs().sum()),
]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("lam", [0.0, 1e-3, 0.7])
@pytest.mark.parametrize("pen, grad, torch_pen", PENALTIES,
                         ids=["l2", "l1"])
def test_penalty_and_gradient_match_torch(rng, shape, lam, pen, grad,
                                          torch_pen):
    w = rng.normal(size=shape)
    w.flat[::2] = 0.0  # exact zeros: the L1 kink, sign(0) = 0
    copy = w.copy()
    wt = torch.tensor(w, requires_grad=True)
    value = torch_pen(wt, lam)
    value.backward()
    got_v, got_g = pen(w, lam), grad(w, lam)
    assert isinstance(got_v, float)
    assert abs(got_v - value.item()) <= 1e-12 * max(1.0, abs(got_v)), (
        f"{pen.__name__}: expected {value.item()}, got {got_v}")
    err = rel_err(got_g, wt.grad.numpy())
    assert err <= 1e-9, f"{grad.__name__}: rel err {err:.2e} vs torch"
    assert np.array_equal(w, copy), "penalty changed w"


def test_l1_grad_is_zero_at_zero_and_keeps_dtype():
    w = np.array([-2.0, 0.0, 3.0], dtype=np.float32)
    g = reg.l1_grad(w, 0.5)
    assert g.dtype == np.float32, f"dtype {g.dtype}"
    assert np.array_equal(g, [-0.5, 0.0, 0.5]), f"got {g}"
    assert reg.l2_grad(np.array([1, 2]), 2.0).dtype == np.float64


@pytest.mark.parametrize("fn", [reg.l2_penalty, reg.l2_grad,
                                reg.l1_penalty, reg.l1_grad])
def test_penalty_rejects_bad_lam(fn):
    with pytest.raises(ValueError, match="-0.1"):
        fn(np.ones(2), -0.1)


# ---------------------------------------------------------------- dropout

def torch_dropout(x, keep, p, dout, mode):
    """Forward/backward of the textbook formula written in torch."""
    xt = torch.tensor(x, requires_grad=True)
    kt = torch.tensor(keep, dtype=torch.float64)
    out = xt * kt / (1 - p) if mode == "inverted" else xt * kt
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("mode", ["inverted", "classic"])
def test_dropout_fixed_mask_matches_torch(rng, shape, p, mode):
    x, dout = rng.normal(size=(2,) + shape)
    keep = rng.random(shape) >= p
    x_copy, keep_copy = x.copy(), keep.copy()
    out, cache = reg.dropout_forward(x, p, mask=keep, mode=mode)
    dx = reg.dropout_backward(dout, cache)
    ref_out, ref_dx = torch_dropout(x, keep, p, dout, mode)
    assert rel_err(out, ref_out) <= 1e-9, f"{mode} p={p}: forward differs"
    err = rel_err(dx, ref_dx)
    assert err <= 1e-9, f"{mode} p={p}: backward rel err {err:.2e}"
    assert np.array_equal(x, x_copy) and np.array_equal(keep, keep_copy)


@pytest.mark.parametrize("p", [0.2, 0.5, 0.75])
def test_dropout_matches_torch_functional(p):
    # torch draws its own mask; read it off the output and replay it.
    torch.manual_seed(0)
    x = torch.rand(6, 50, dtype=torch.float64) + 0.5  # no zeros in x
    x.requires_grad_(True)
    y = torch.nn.functional.dropout(x, p, training=True)
    dout = torch.linspace(-1, 1, 300, dtype=torch.float64).reshape(6, 50)
    y.backward(dout)
    keep = (y != 0).numpy()
    out, cache = reg.dropout_forward(x.detach().numpy(), p, mask=keep)
    assert rel_err(out, y.detach().numpy()) <= 1e-9, "p means drop prob"
    dx = reg.dropout_backward(dout.numpy(), cache)
    assert rel_err(dx, x.grad.numpy()) <= 1e-9, "backward vs F.dropout"
    test_out, _ = reg.dropout_forward(x.detach().numpy(), p, train=False)
    ref = torch.nn.functional.dropout(x, p, training=False)
    assert np.array_equal(test_out, ref.detach().numpy())


@pytest.mark.parametrize("p", [0.0, 0.4])
def test_dropout_test_time(rng, p):
    x = rng.normal(size=(3, 4))
    out_i, cache_i = reg.dropout_forward(x, p, train=False)
    out_c, cache_c = reg.dropout_forward(x, p, train=False, mode="classic")
    assert np.array_equal(out_i, x), "inverted test output must be x"
    assert not np.shares_memory(out_i, x), "output aliases the input"
    assert np.allclose(out_c, x * (1 - p), rtol=1e-15, atol=0)
    dout = rng.normal(size=(3, 4))
    assert np.array_equal(reg.dropout_backward(dout, cache_i), dout)
    assert np.allclose(reg.dropout_backward(dout, cache_c), dout * (1 - p))


def test_dropout_p_zero_is_identity(rng):
    x = rng.normal(size=(4, 5))
    out, _ = reg.dropout_forward(x, 0.0, rng=np.random.default_rng(1))
    assert np.array_equal(out, x)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    n = 1_000_000
    x = np.random.default_rng(1).normal(loc=1.0, size=n)
    out, cache = reg.dropout_forward(x, p, rng=np.random.default_rng(2))
    zeros = np.mean(out == 0)
    se_p = math.sqrt(p * (1 - p) / n)
    assert abs(zeros - p) < 4 * se_p, (
        f"fraction dropped {zeros:.5f}, expected {p} +- {4 * se_p:.5f}")
    # Given x, out_i - x_i has mean 0 and variance x_i^2 p / (1 - p).
    se_m = math.sqrt(np.sum(x ** 2) * p / (1 - p)) / n
    diff = out.mean() - x.mean()
    assert abs(diff) < 4 * se_m, f"inverted mean off by {diff:.2e}"
    assert np.array_equal(cache.keep, out != 0)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_classic_train_expectation_is_test_output(p):
    n = 1_000_000
    x = np.random.default_rng(3).normal(loc=1.0, size=n)
    train, _ = reg.dropout_forward(x, p, rng=np.random.default_rng(4),
                                   mode="classic")
    test, _ = reg.dropout_forward(x, p, train=False, mode="classic")
    se = math.sqrt(np.sum(x ** 2) * p * (1 - p)) / n
    diff = train.mean() - test.mean()
    assert abs(diff) < 4 * se, f"classic: E[train] - test = {diff:.2e}"


def test_dropout_implicit_ensemble_on_linear_layer(rng):
    # Averaging y = dropout(x) W over many masks approaches x W.
    p, k = 0.5, 20_000
    x = rng.normal(size=(4, 20))
    w = rng.normal(size=(20, 5))
    drop, _ = reg.dropout_forward(np.broadcast_to(x, (k, 4, 20)), p,
                                  rng=np.random.default_rng(5))
    y = drop @ w
    test, _ = reg.dropout_forward(x, p, train=False)
    se = np.sqrt((x ** 2 @ w ** 2) * p / (1 - p) / k)
    dev_many = np.abs(y.mean(axis=0) - test @ w)
    dev_few = np.abs(y[:50].mean(axis=0) - test @ w)
    worst = np.max(dev_many / se)
    assert worst < 5, f"ensemble mean off by {worst:.1f} standard errors"
    assert dev_many.mean() < dev_few.mean() / 4, "more masks must help"


@pytest.mark.parametrize("kwargs, exc, match", [
    ({}, ValueError, "neither"),
    ({"rng": np.random.default_rng(0), "mask": np.ones((2, 3), bool)},
     ValueError, "both"),
    ({"mask": np.ones((3, 2), bool)}, ValueError, r"\(2, 3\).*\(3, 2\)"),
    ({"mask": np.ones((2, 3))}, ValueError, "float64"),
    ({"rng": np.random.RandomState(0)}, TypeError, "RandomState"),
    ({"rng": np.random.default_rng(0), "mode": "gaussian"}, ValueError,
     "gaussian"),
])
def test_dropout_argument_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        reg.dropout_forward(np.ones((2, 3)), 0.5, **kwargs)


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5, float("nan")])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        reg.dropout_forward(np.ones(3), p, rng=np.random.default_rng(0))


def test_dropout_cache_owns_its_mask(rng):
    x = rng.normal(size=5)
    keep = np.array([True, False, True, True, False])
    _, cache = reg.dropout_forward(x, 0.5, mask=keep)
    keep[:] = False
    dx = reg.dropout_backward(np.ones(5), cache)
    assert np.array_equal(dx, [2.0, 0.0, 2.0, 2.0, 0.0]), f"got {dx}"
    with pytest.raises(ValueError, match=r"\(4,\).*\(5,\)"):
        reg.dropout_backward(np.ones(4), cache)


def test_dropout_keeps_float32():
    x = np.ones(4, dtype=np.float32)
    out, cache = reg.dropout_forward(x, 0.5, rng=np.random.default_rng(0))
    assert out.dtype == np.float32, f"dtype {out.dtype}"
    assert reg.dropout_backward(x, cache).dtype == np.float32


# ---------------------------------------------------------- early stopping

def run_early_stopping(losses, **kw):
    state = reg.early_stopping_init()
    for loss in losses:
        stop, state = reg.early_stopping_step(state, loss, **kw)
        if stop:
            return True, state
    return False, state


def test_early_stopping_init():
    s = reg.early_stopping_init()
    assert s == reg.EarlyStopping(math.inf, 0, 0, 0), f"got {s}"


def test_early_stopping_scripted_sequence():
    losses = [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.76, 0.74, 0.1]
    stop, s = run_early_stopping(losses, patience=3)
    assert stop and s.step == 8, f"expected stop at step 8, got {s}"
    assert (s.best, s.best_step, s.bad_steps) == (0.7, 5, 3), f"got {s}"


def test_early_stopping_step_by_step():
    s = reg.early_stopping_init()
    expected = [(False, 1.0, 1, 0), (False, 1.0, 1, 1), (True, 1.0, 1, 2)]
    for k, (loss, exp) in enumerate(zip([1.0, 1.0, 2.0], expected), 1):
        stop, s = reg.early_stopping_step(s, loss, patience=2)
        got = (stop, s.best, s.best_step, s.bad_steps)
        assert got == exp and s.step == k, (
            f"step {k}: expected {exp}, got {got}")


def test_early_stopping_min_delta():
    losses = [1.0, 0.95, 0.85, 0.8, 0.78]
    stop, s = run_early_stopping(losses, patience=2, min_delta=0.1)
    assert stop and s.step == 5 and s.best_step == 3 and s.best == 0.85, (
        f"min_delta=0.1: got {s}")
    stop0, s0 = run_early_stopping(losses, patience=2)
    assert not stop0 and s0.best_step == 5, f"min_delta=0: got {s0}"
    # Exactly min_delta better is not an improvement (strict <).
    _, s1 = run_early_stopping([1.0, 0.75], patience=5, min_delta=0.25)
    assert s1.best_step == 1 and s1.bad_steps == 1, f"got {s1}"


def test_early_stopping_nan_is_not_improvement():
    _, s = run_early_stopping([1.0, float("nan")], patience=5)
    assert s.best == 1.0 and s.bad_steps == 1, f"got {s}"


def test_early_stopping_is_pure():
    s = reg.early_stopping_init()
    _, s2 = reg.early_stopping_step(s, 0.5, patience=1)
    assert s == reg.early_stopping_init() and s2 is not s


@pytest.mark.parametrize("kwargs, match", [
    ({"patience": 0}, "patience"),
    ({"patience": 2, "min_delta": -0.1}, "-0.1")])
def test_early_stopping_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        reg.early_stopping_step(reg.early_stopping_init(), 1.0, **kwargs)


# ---------------------------------------------------------------- ensembles

def test_ensemble_of_identical_members(rng):
    p = rng.dirichlet(np.ones(4), size=6)
    avg = reg.ensemble_average([p, p, p])
    assert np.allclose(avg, p, rtol=1e-15, atol=0)
    assert np.array_equal(reg.ensemble_predict([p, p]), p.argmax(axis=1))


def test_ensemble_average_matches_torch(rng):
    members = [rng.dirichlet(np.ones(5), size=8) for _ in range(3)]
    copies = [m.copy() for m in members]
    ref = torch.stack([torch.tensor(m) for m in members]).mean(0)
    assert rel_err(reg.ensemble_average(members), ref.numpy()) <= 1e-12
    assert all(np.array_equal(m, c) for m, c in zip(members, copies))


def test_ensemble_predict_is_not_a_vote():
    a = np.array([[0.9, 0.1], [0.5, 0.5]])
    b = np.array([[0.4, 0.6], [0.5, 0.5]])
    assert np.allclose(reg.ensemble_average([a, b]),
                       [[0.65, 0.35], [0.5, 0.5]])
    # Two hesitant members vote 1, the confident one wins the average.
    pred = reg.ensemble_predict([a, b, b])
    assert np.array_equal(pred, [0, 0]), f"got {pred} (tie -> class 0)"


def test_ensemble_validates():
    with pytest.raises(ValueError, match="at least one"):
        reg.ensemble_average([])
    with pytest.raises(ValueError, match=r"member 1.*\(2, 3\).*\(2, 2\)"):
        reg.ensemble_average([np.ones((2, 2)), np.ones((2, 3))])
