"""Visible checks of assignment 4 (update rules): small cases by hand.

Each also checks that the step left its inputs as they were: the caller's
w, g and the arrays of the state hold the same values after the call."""
import numpy as np


def check_sgd(sgd_init, sgd_step):
    w, g = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    w_next, state = sgd_step(w, g, sgd_init(w), lr=0.1)
    assert np.allclose(w_next, [0.95, -2.05]), (
        f"one SGD step from {w} gives {w_next}, expected [0.95, -2.05]")
    assert np.array_equal(w, [1.0, -2.0]), "sgd_step changed its input w: return a new array"
    assert np.array_equal(g, [0.5, 0.5]), "sgd_step changed its input g: return a new array"
    w32 = np.array([1.0, -2.0], dtype=np.float32)
    w32_next, _ = sgd_step(w32, g.astype(np.float32), sgd_init(w32), lr=0.1)
    assert w32_next.dtype == np.float32, f"float32 w and g gave a {w32_next.dtype} w"


def check_momentum(momentum_init, momentum_step):
    w, g = np.zeros(3), np.array([1.0, -1.0, 2.0])
    state = momentum_init(w)
    for _ in range(2):
        w_before, v_before = w.copy(), state.v.copy()
        w_next, new = momentum_step(w, g, state, lr=0.1, mu=0.5)
        assert np.array_equal(w, w_before) and np.array_equal(state.v, v_before), (
            "momentum_step changed its input w or state.v in place: return new arrays")
        w, state = w_next, new
    # two steps with the same g: v = -(1 + mu) lr g, w = -(2 + mu) lr g
    assert np.allclose(state.v, -1.5 * 0.1 * g), f"velocity after two steps: {state.v}"
    assert np.allclose(w, -2.5 * 0.1 * g), f"weights after two steps: {w}"


def check_nesterov(nesterov_init, nesterov_step):
    w, g = np.array([1.0, 2.0]), np.array([0.2, -0.4])
    w1, s1 = nesterov_step(w, g, nesterov_init(w), lr=0.5, mu=0.9)
    # from rest, the first step is (1 + mu) times an SGD step
    assert np.allclose(w1, w - 1.9 * 0.5 * g), f"first Nesterov step gives {w1}"
    v1 = s1.v.copy()
    nesterov_step(w1, g, s1, lr=0.5, mu=0.9)
    assert np.array_equal(s1.v, v1), "nesterov_step changed state.v in place: return a new state"
    w0, _ = nesterov_step(w, g, nesterov_init(w), lr=0.5, mu=0.0)
    assert np.allclose(w0, w - 0.5 * g), "with mu = 0 Nesterov must be plain SGD"
    assert np.array_equal(w, [1.0, 2.0]), "nesterov_step changed its input w: return a new array"


def check_adagrad(adagrad_init, adagrad_step):
    w, g = np.zeros(3), np.array([4.0, -0.01, 1e3])
    w1, s1 = adagrad_step(w, g, adagrad_init(w), lr=0.1, eps=1e-8)
    # the first step has size lr in every coordinate, whatever the scale of g
    assert np.allclose(w1, -0.1 * np.sign(g), rtol=1e-5), f"first Adagrad step: {w1}"
    assert np.allclose(s1.cache, g**2), f"cache after one step: {s1.cache}"
    cache = s1.cache.copy()
    adagrad_step(w1, g, s1, lr=0.1)
    assert np.array_equal(s1.cache, cache), (
        "adagrad_step changed state.cache in place: return a new state")
    # an integer w gives float64 weights
    w_int, _ = adagrad_step(np.array([1, 2]), np.array([1, -1]), adagrad_init(np.zeros(2)), lr=0.5)
    assert w_int.dtype == np.float64 and np.allclose(w_int, [0.5, 2.5]), (
        f"one step from the integer w [1, 2] gives {w_int!r}")


def check_rmsprop(rmsprop_init, rmsprop_step):
    w, g = np.zeros(2), np.array([2.0, -3.0])
    w1, s1 = rmsprop_step(w, g, rmsprop_init(w), lr=0.01, decay=0.75, eps=0.0)
    assert np.allclose(s1.cache, 0.25 * g**2), f"cache after one step: {s1.cache}"
    assert np.allclose(w1, -0.01 * np.sign(g) / 0.5), f"first RMSprop step: {w1}"
    assert np.array_equal(w, [0.0, 0.0]) and np.array_equal(g, [2.0, -3.0]), (
        "rmsprop_step changed its input w or g: return new arrays")


def check_adam(adam_init, adam_step):
    w, g = np.ones(3), np.array([0.3, -20.0, 1e-3])
    w1, s1 = adam_step(w, g, adam_init(w), lr=0.01, eps=1e-12)
    assert s1.t == 1, f"t after the first step is {s1.t}, expected 1"
    # bias correction makes the first step lr * sign(g) in every coordinate
    assert np.allclose(w1, 1 - 0.01 * np.sign(g), rtol=1e-6), f"first Adam step: {w1}"
    m1, v1 = s1.m.copy(), s1.v.copy()
    adam_step(w1, g, s1, lr=0.01, weight_decay=0.1)
    assert np.array_equal(s1.m, m1) and np.array_equal(s1.v, v1), (
        "adam_step changed state.m or state.v in place: return a new state")
    assert np.array_equal(g, [0.3, -20.0, 1e-3]), "adam_step changed its input g in place"
    w32 = np.ones((2, 2), dtype=np.float32)
    w32_next, s32 = adam_step(w32, w32, adam_init(w32), lr=0.01)
    assert w32_next.dtype == np.float32 and s32.m.dtype == np.float32, (
        f"float32 w and g gave a {w32_next.dtype} w and a {s32.m.dtype} state.m")


def check_adamw(adamw_init, adamw_step):
    w = np.array([2.0, -4.0])
    w1, _ = adamw_step(w, np.zeros(2), adamw_init(w), lr=0.1, weight_decay=0.5)
    # with a zero gradient only the decay acts: w (1 - lr * wd)
    assert np.allclose(w1, w * 0.95), f"AdamW with g = 0 gives {w1}, expected {w * 0.95}"
    assert np.array_equal(w, [2.0, -4.0]), "adamw_step changed its input w: return a new array"
