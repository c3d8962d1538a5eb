"""Visible checks of assignment 6 (regularization): small cases by hand.

They call ``numerical_gradient``, which the notebook gives in a cell of
its own (imported here only so that the checks run outside a notebook).
"""
import numpy as np

from .helpers import numerical_gradient


def check_l2(l2_penalty, l2_grad):
    w = np.array([[1.0, -2.0], [0.0, 3.0]])
    w_before = w.copy()
    r = l2_penalty(w, 0.5)
    assert np.ndim(r) == 0, f"the penalty should be one number, got shape {np.shape(r)}"
    assert np.isclose(r, 3.5, rtol=1e-12), (
        f"l2_penalty(w, 0.5) = {r}, expected 0.5 * 0.5 * 14 = 3.5")
    g = l2_grad(w, 0.5)
    assert isinstance(g, np.ndarray) and g.shape == w.shape, (
        f"the gradient should be an array of shape {w.shape}, got "
        f"{type(g).__name__} {np.shape(g)}")
    slope = numerical_gradient(lambda v: l2_penalty(v, 0.5), w)
    assert np.allclose(g, slope, rtol=1e-6, atol=1e-8), (
        f"l2_grad(w, 0.5) =\n{g}\nbut the slope of your l2_penalty is\n{slope}")
    assert np.array_equal(w, w_before), "l2_penalty or l2_grad changed w"


def check_l1(l1_penalty, l1_grad):
    w = np.array([-2.0, 0.0, 0.5, 3.0])
    w_before = w.copy()
    r = l1_penalty(w, 0.1)
    assert np.ndim(r) == 0, f"the penalty should be one number, got shape {np.shape(r)}"
    assert np.isclose(r, 0.55, rtol=1e-12), (
        f"l1_penalty({w.tolist()}, 0.1) = {r}, expected 0.1 * 5.5 = 0.55")
    g = l1_grad(w, 0.1)
    assert isinstance(g, np.ndarray) and g.shape == w.shape, (
        f"the gradient should be an array of shape {w.shape}, got "
        f"{type(g).__name__} {np.shape(g)}")
    assert g[1] == 0.0, f"the gradient at w = 0 is {g[1]}; the convention is sign(0) = 0"
    slope = numerical_gradient(lambda v: l1_penalty(v, 0.1), w)
    assert np.allclose(g, slope, rtol=1e-6, atol=1e-8), (
        f"l1_grad(w, 0.1) = {g.tolist()} but the slope of your l1_penalty is "
        f"{slope.tolist()}")
    assert np.array_equal(w, w_before), "l1_penalty or l1_grad changed w"


def check_dropout_train(dropout_forward, dropout_backward):
    x = np.arange(1.0, 9.0).reshape(2, 4)
    x_before = x.copy()
    mask = np.array([[True, False, True, True], [False, True, True, False]])
    out, cache = dropout_forward(x, 0.25, train=True, mask=mask)
    expected = np.where(mask, x / 0.75, 0.0)
    assert np.allclose(out, expected), (
        f"inverted dropout, p=0.25, given mask: out =\n{out}\nexpected\n{expected}")
    out, cache = dropout_forward(x, 0.5, train=True, mask=mask, mode="classic")
    expected = np.where(mask, x, 0.0)
    assert np.allclose(out, expected), (
        f"classic dropout, p=0.5, given mask: out =\n{out}\nexpected\n{expected}")
    dout = np.linspace(-1.0, 1.0, 8).reshape(2, 4)
    for mode, p in [("inverted", 0.25), ("classic", 0.6)]:
        out, cache = dropout_forward(x, p, train=True, mask=mask, mode=mode)
        dx = dropout_backward(dout, cache)

        def loss(v):
            return np.sum(dropout_forward(v, p, train=True, mask=mask, mode=mode)[0] * dout)
        slope = numerical_gradient(loss, x)
        assert np.allclose(dx, slope, rtol=1e-6, atol=1e-8), (
            f"{mode} dropout, p={p}: dx =\n{dx}\nbut the slope of sum(out * dout) is\n{slope}")
    assert np.array_equal(x, x_before), "dropout_forward changed x"


def check_dropout_test(dropout_forward, dropout_backward):
    x = np.array([[1.0, -2.0], [0.5, 4.0]])
    out, cache = dropout_forward(x, 0.25, train=False)
    assert np.allclose(out, x), f"inverted dropout at test time should return x, got\n{out}"
    dx = dropout_backward(np.ones_like(x), cache)
    assert np.allclose(dx, 1.0), (
        f"inverted dropout at test time: dx should equal dout, got\n{dx}")
    out, cache = dropout_forward(x, 0.25, train=False, mode="classic")
    assert np.allclose(out, 0.75 * x), (
        f"classic dropout at test time, p=0.25: got\n{out}\nexpected 0.75 * x")
    dx = dropout_backward(np.ones_like(x), cache)
    assert np.allclose(dx, 0.75), (
        f"classic dropout at test time, p=0.25: dx should be 0.75 * dout, got\n{dx}")


def check_dropout_random(dropout_forward, dropout_backward):
    # 50,000 units of value 2: the drop rate and the mean are within about
    # 5 standard errors of their expected values for any correct draw
    x = np.full(50_000, 2.0)
    for mode, p, mean in [("inverted", 0.3, 2.0), ("classic", 0.3, 1.4)]:
        out, cache = dropout_forward(x, p, train=True, rng=np.random.default_rng(0), mode=mode)
        drop = np.mean(out == 0)
        assert abs(drop - p) < 0.01, (
            f"{mode} dropout with p={p} dropped {drop:.3f} of the units, expected about {p}")
        assert abs(out.mean() - mean) < 0.03, (
            f"{mode} dropout with p={p}: the mean output is {out.mean():.3f}, "
            f"expected about {mean}")
        dx = dropout_backward(np.ones_like(x), cache)
        differ = int(np.sum((dx == 0) != (out == 0)))
        assert differ == 0, (
            f"{mode} dropout: dx is zero where out is not (or the reverse) for {differ} "
            f"units; reuse the forward mask")
    again, _ = dropout_forward(x, 0.3, train=True, rng=np.random.default_rng(0))
    first, _ = dropout_forward(x, 0.3, train=True, rng=np.random.default_rng(0))
    assert np.array_equal(again, first), "two generators with the same seed gave different masks"


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
