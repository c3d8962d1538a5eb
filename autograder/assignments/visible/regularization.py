"""Visible checks of assignment 6 (regularization): small cases by hand.

They call ``numerical_gradient``, which the notebook gives in a cell of
its own (imported here only so that the checks run outside a notebook).
"""
import numpy as np

from .helpers import numerical_gradient


def check_l2_penalty(l2_penalty):
    w = np.array([[1.0, -2.0], [0.0, 3.0]])
    w_before = w.copy()
    r = l2_penalty(w, 0.5)
    assert np.ndim(r) == 0, f"the penalty should be one number, got shape {np.shape(r)}"
    assert np.isclose(r, 3.5, rtol=1e-12), (
        f"l2_penalty(w, 0.5) = {r}, expected 0.5 * 0.5 * 14 = 3.5")
    assert np.array_equal(w, w_before), "l2_penalty changed w"
    r32 = l2_penalty(w.astype(np.float32), 0.5)
    assert np.asarray(r32).dtype == np.float64, (
        f"l2_penalty of a float32 w returned a {np.asarray(r32).dtype} number; sum in float64")
    r_int = l2_penalty(np.array([1, -2, 3]), 0.25)
    assert np.isclose(r_int, 1.75, rtol=1e-12), (
        f"l2_penalty([1, -2, 3], 0.25) = {r_int}, expected 0.5 * 0.25 * 14 = 1.75")


def check_l2_grad(l2_grad):
    w = np.array([[1.0, -2.0], [0.0, 3.0]])
    w_before = w.copy()
    g = l2_grad(w, 0.5)
    assert isinstance(g, np.ndarray) and g.shape == w.shape, (
        f"the gradient should be an array of shape {w.shape}, got "
        f"{type(g).__name__} {np.shape(g)}")
    assert np.allclose(g, 0.5 * w, rtol=1e-12), f"l2_grad(w, 0.5) =\n{g}\nexpected 0.5 * w"
    assert np.array_equal(w, w_before), "l2_grad changed w"
    g32 = l2_grad(np.array([0.5, -1.5, 0.0], dtype=np.float32), 0.75)
    assert getattr(g32, "dtype", None) == np.float32, (
        f"l2_grad of a float32 w returned {getattr(g32, 'dtype', type(g32).__name__)}; "
        f"float32 stays float32")
    g_int = l2_grad(np.array([2, 0, -1]), 0.75)
    assert getattr(g_int, "dtype", None) == np.float64, (
        f"l2_grad of an integer w returned {getattr(g_int, 'dtype', type(g_int).__name__)}, "
        f"expected float64")
    assert np.allclose(g_int, [1.5, 0.0, -0.75], rtol=1e-12), (
        f"l2_grad([2, 0, -1], 0.75) = {g_int}, expected [1.5, 0, -0.75]")


def check_l1_penalty(l1_penalty):
    w = np.array([-2.0, 0.0, 0.5, 3.0])
    w_before = w.copy()
    r = l1_penalty(w, 0.1)
    assert np.ndim(r) == 0, f"the penalty should be one number, got shape {np.shape(r)}"
    assert np.isclose(r, 0.55, rtol=1e-12), (
        f"l1_penalty({w.tolist()}, 0.1) = {r}, expected 0.1 * 5.5 = 0.55")
    assert np.array_equal(w, w_before), "l1_penalty changed w"
    r32 = l1_penalty(w.astype(np.float32), 0.1)
    assert np.asarray(r32).dtype == np.float64, (
        f"l1_penalty of a float32 w returned a {np.asarray(r32).dtype} number; sum in float64")


def check_l1_grad(l1_grad):
    w = np.array([-2.0, 0.0, 0.5, 3.0])
    w_before = w.copy()
    g = l1_grad(w, 0.1)
    assert isinstance(g, np.ndarray) and g.shape == w.shape, (
        f"the gradient should be an array of shape {w.shape}, got "
        f"{type(g).__name__} {np.shape(g)}")
    assert g[1] == 0.0, f"the gradient at w = 0 is {g[1]}; the convention is sign(0) = 0"
    assert np.allclose(g, [-0.1, 0.0, 0.1, 0.1], rtol=1e-12), (
        f"l1_grad({w.tolist()}, 0.1) = {g.tolist()}, expected [-0.1, 0, 0.1, 0.1]")
    assert np.array_equal(w, w_before), "l1_grad changed w"
    g32 = l1_grad(np.array([0.5, -1.5, 0.0], dtype=np.float32), 0.75)
    assert getattr(g32, "dtype", None) == np.float32, (
        f"l1_grad of a float32 w returned {getattr(g32, 'dtype', type(g32).__name__)}; "
        f"float32 stays float32")
    g_int = l1_grad(np.array([2, 0, -1]), 0.75)
    assert getattr(g_int, "dtype", None) == np.float64, (
        f"l1_grad of an integer w returned {getattr(g_int, 'dtype', type(g_int).__name__)}, "
        f"expected float64")
    assert np.allclose(g_int, [0.75, 0.0, -0.75], rtol=1e-12), (
        f"l1_grad([2, 0, -1], 0.75) = {g_int}, expected [0.75, 0, -0.75]")


def check_dropout_train_inverted(dropout_forward, dropout_backward):
    x0 = np.arange(1.0, 9.0).reshape(2, 4)
    mask = np.array([[True, False, True, True], [False, True, True, False]])
    dout0 = np.linspace(-1.0, 1.0, 8).reshape(2, 4)
    for kwargs, p in [({}, 0.25), ({"mode": "inverted"}, 0.5)]:
        name = "inverted dropout" + ("" if kwargs else " (the default mode)")
        x, dout = x0.copy(), dout0.copy()
        out, cache = dropout_forward(x, p, train=True, mask=mask.copy(), **kwargs)
        expected = np.where(mask, x0 / (1 - p), 0.0)
        assert np.allclose(out, expected), (
            f"{name}, p={p}, given mask: out =\n{out}\nexpected\n{expected}")
        dx = dropout_backward(dout, cache)

        def loss(v):
            return np.sum(dropout_forward(v, p, train=True, mask=mask.copy(), **kwargs)[0]
                          * dout0)
        slope = numerical_gradient(loss, x0.copy())
        assert np.allclose(dx, slope, rtol=1e-6, atol=1e-8), (
            f"{name}, p={p}: dx =\n{dx}\nbut the slope of sum(out * dout) is\n{slope}")
        assert np.array_equal(x, x0), "dropout_forward changed x"
        assert np.array_equal(dout, dout0), "dropout_backward changed dout"
        out32, cache32 = dropout_forward(x0.astype(np.float32), p, train=True,
                                         mask=mask.copy(), **kwargs)
        dx32 = dropout_backward(dout0.astype(np.float32), cache32)
        assert out32.dtype == np.float32 and dx32.dtype == np.float32, (
            f"{name} of float32 x and dout gave out {out32.dtype} and dx {dx32.dtype}; "
            f"float32 stays float32")


def check_dropout_train_classic(dropout_forward, dropout_backward):
    x0 = np.arange(1.0, 9.0).reshape(2, 4)
    mask = np.array([[True, False, True, True], [False, True, True, False]])
    dout0 = np.linspace(-1.0, 1.0, 8).reshape(2, 4)
    for p in (0.5, 0.6):
        x, dout = x0.copy(), dout0.copy()
        out, cache = dropout_forward(x, p, train=True, mask=mask.copy(), mode="classic")
        expected = np.where(mask, x0, 0.0)
        assert np.allclose(out, expected), (
            f"classic dropout, p={p}, given mask: out =\n{out}\nexpected\n{expected}")
        dx = dropout_backward(dout, cache)

        def loss(v):
            return np.sum(dropout_forward(v, p, train=True, mask=mask.copy(),
                                          mode="classic")[0] * dout0)
        slope = numerical_gradient(loss, x0.copy())
        assert np.allclose(dx, slope, rtol=1e-6, atol=1e-8), (
            f"classic dropout, p={p}: dx =\n{dx}\nbut the slope of sum(out * dout) is\n{slope}")
        assert np.array_equal(x, x0), "dropout_forward changed x"
        assert np.array_equal(dout, dout0), "dropout_backward changed dout"
        out32, cache32 = dropout_forward(x0.astype(np.float32), p, train=True,
                                         mask=mask.copy(), mode="classic")
        dx32 = dropout_backward(dout0.astype(np.float32), cache32)
        assert out32.dtype == np.float32 and dx32.dtype == np.float32, (
            f"classic dropout of float32 x and dout gave out {out32.dtype} and dx "
            f"{dx32.dtype}; float32 stays float32")


def check_dropout_test_inverted(dropout_forward, dropout_backward):
    x = np.array([[1.0, -2.0], [0.5, 4.0]])
    for kwargs in ({}, {"mode": "inverted"}):
        out, cache = dropout_forward(x, 0.25, train=False, **kwargs)
        assert np.allclose(out, x), f"inverted dropout at test time should return x, got\n{out}"
        assert not np.shares_memory(out, x), (
            "inverted dropout at test time returned x itself; return a new array")
        dx = dropout_backward(np.ones_like(x), cache)
        assert np.allclose(dx, 1.0), (
            f"inverted dropout at test time: dx should equal dout, got\n{dx}")
        out32, _ = dropout_forward(x.astype(np.float32), 0.25, train=False, **kwargs)
        assert out32.dtype == np.float32, (
            f"inverted dropout at test time turned float32 x into {out32.dtype}")


def check_dropout_test_classic(dropout_forward, dropout_backward):
    x = np.array([[1.0, -2.0], [0.5, 4.0]])
    out, cache = dropout_forward(x, 0.25, train=False, mode="classic")
    assert np.allclose(out, 0.75 * x), (
        f"classic dropout at test time, p=0.25: got\n{out}\nexpected 0.75 * x")
    dx = dropout_backward(np.ones_like(x), cache)
    assert np.allclose(dx, 0.75), (
        f"classic dropout at test time, p=0.25: dx should be 0.75 * dout, got\n{dx}")
    out32, _ = dropout_forward(x.astype(np.float32), 0.25, train=False, mode="classic")
    assert out32.dtype == np.float32, (
        f"classic dropout at test time turned float32 x into {out32.dtype}")


def check_dropout_random_inverted(dropout_forward, dropout_backward):
    # 50,000 units of value 2: the drop rate and the mean are within about
    # 5 standard errors of their expected values for any correct draw
    x = np.full(50_000, 2.0)
    out, cache = dropout_forward(x, 0.3, train=True, rng=np.random.default_rng(0))
    drop = np.mean(out == 0)
    assert abs(drop - 0.3) < 0.01, (
        f"inverted dropout with p=0.3 dropped {drop:.3f} of the units, expected about 0.3")
    assert abs(out.mean() - 2.0) < 0.03, (
        f"inverted dropout with p=0.3: the mean output is {out.mean():.3f}, expected about 2")
    dx = dropout_backward(np.ones_like(x), cache)
    differ = int(np.sum((dx == 0) != (out == 0)))
    assert differ == 0, (
        f"inverted dropout: dx is zero where out is not (or the reverse) for {differ} "
        f"units; reuse the forward mask")
    again, _ = dropout_forward(x, 0.3, train=True, rng=np.random.default_rng(0))
    assert np.array_equal(again, out), "two generators with the same seed gave different masks"


def check_dropout_random_classic(dropout_forward, dropout_backward):
    x = np.full(50_000, 2.0)
    out, cache = dropout_forward(x, 0.3, train=True, rng=np.random.default_rng(0),
                                 mode="classic")
    drop = np.mean(out == 0)
    assert abs(drop - 0.3) < 0.01, (
        f"classic dropout with p=0.3 dropped {drop:.3f} of the units, expected about 0.3")
    assert abs(out.mean() - 1.4) < 0.03, (
        f"classic dropout with p=0.3: the mean output is {out.mean():.3f}, expected about 1.4")
    dx = dropout_backward(np.ones_like(x), cache)
    differ = int(np.sum((dx == 0) != (out == 0)))
    assert differ == 0, (
        f"classic dropout: dx is zero where out is not (or the reverse) for {differ} "
        f"units; reuse the forward mask")


def check_stopping_patience(early_stopping_init, early_stopping_step):
    state = early_stopping_init()
    assert state.best == float("inf") and state.best_step == state.step == state.bad_steps == 0, (
        f"the initial state is {state}, expected best=inf and zeros")
    losses = [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.75, 0.75]
    stops = []
    for loss in losses:
        stop, state = early_stopping_step(state, loss, patience=3)
        assert isinstance(stop, (bool, np.bool_)), (
            f"stop should be True or False, got {type(stop).__name__}")
        stops.append(bool(stop))
    expected = [False] * 7 + [True]
    assert stops == expected, (
        f"losses {losses} with patience=3: stop = {stops}, expected {expected}")
    got = (state.best, state.best_step, state.step, state.bad_steps)
    assert got == (0.7, 5, 8, 3), (
        f"final (best, best_step, step, bad_steps) = {got}, expected (0.7, 5, 8, 3)")


def check_stopping_delta(early_stopping_init, early_stopping_step):
    state = early_stopping_init()
    losses = [1.0, 0.875, 0.75, 0.5, 0.375]
    stops, trace = [], []
    for loss in losses:
        stop, state = early_stopping_step(state, loss, patience=2, min_delta=0.25)
        stops.append(bool(stop))
        trace.append((state.best, state.best_step, state.bad_steps))
    # 0.75 is exactly best - min_delta = 1.0 - 0.25: a tie, not an improvement
    expected = [(1.0, 1, 0), (1.0, 1, 1), (1.0, 1, 2), (0.5, 4, 0), (0.5, 4, 1)]
    assert trace == expected, (
        f"losses {losses}, min_delta=0.25: (best, best_step, bad_steps) after each step "
        f"= {trace}, expected {expected}")
    assert stops == [False, False, True, False, False], (
        f"losses {losses}, min_delta=0.25, patience=2: stop = {stops}, expected "
        f"[False, False, True, False, False]")


def check_stopping_nan(early_stopping_init, early_stopping_step):
    state = early_stopping_init()
    stop, state = early_stopping_step(state, float("nan"), patience=2)
    assert state.best == float("inf") and state.bad_steps == 1 and not stop, (
        f"a first loss of NaN: state {state}, stop {stop}; expected best=inf, "
        f"bad_steps=1, no stop")
    stop, state = early_stopping_step(state, 1.0, patience=2)
    stop, state = early_stopping_step(state, float("nan"), patience=2)
    got = (state.best, state.best_step, state.step, state.bad_steps, bool(stop))
    assert got == (1.0, 2, 3, 1, False), (
        f"losses [nan, 1.0, nan]: (best, best_step, step, bad_steps, stop) = {got}, "
        f"expected (1.0, 2, 3, 1, False)")
