"""Tests of solutions.gradcheck: closed forms and torch.autograd as oracles."""
import numpy as np
import pytest
import torch

from solutions import gradcheck as gc
from oracle import rel_err

SHAPES = [(1,), (5,), (3, 4), (2, 3, 2)]


def f_np(x):
    return float(np.sum(np.sin(x) * x ** 2))


def torch_grad(fn, x):
    """Gradient of the torch scalar fn at numpy x, as numpy."""
    xt = torch.tensor(x, requires_grad=True)
    fn(xt).backward()
    return xt.grad.numpy()


def f_torch(xt):
    return torch.sum(torch.sin(xt) * xt ** 2)


# ---------------------------------------------------------------- gradients

@pytest.mark.parametrize("shape", SHAPES)
def test_centered_matches_torch(rng, shape):
    x = rng.normal(size=shape) * 2
    num = gc.numerical_gradient(f_np, x)
    ref = torch_grad(f_torch, x)
    err = rel_err(num, ref)
    assert err < 1e-8, f"centered vs torch: rel err {err:.2e} >= 1e-8"
    assert num.shape == x.shape and num.dtype == np.float64


def test_forward_on_quadratic_is_off_by_h(rng):
    # f = sum(x^2): forward gives 2x + h exactly, centered gives 2x.
    x = rng.normal(size=7)
    h = 1e-3
    fwd = gc.numerical_gradient(lambda z: np.sum(z ** 2), x, h=h,
                                method="forward")
    cen = gc.numerical_gradient(lambda z: np.sum(z ** 2), x, h=h)
    assert np.allclose(fwd - 2 * x, h, rtol=0, atol=1e-9), (
        f"forward bias should be h={h}, got {fwd - 2 * x}")
    assert np.allclose(cen, 2 * x, rtol=0, atol=1e-9), (
        f"centered should be exact, off by {np.max(np.abs(cen - 2 * x))}")


@pytest.mark.parametrize("method, slope", [("centered", 2.0),
                                           ("forward", 1.0)])
def test_error_order_in_h(rng, method, slope):
    x = rng.uniform(-1, 1, size=6)
    ref = torch_grad(lambda t: torch.sum(torch.exp(t) * torch.sin(t)), x)
    hs = np.logspace(-2, -4, 5)
    errs = [np.max(np.abs(gc.numerical_gradient(
        lambda z: np.sum(np.exp(z) * np.sin(z)), x, h=h, method=method)
        - ref)) for h in hs]
    fit = np.polyfit(np.log(hs), np.log(errs), 1)[0]
    assert abs(fit - slope) < 0.3, (
        f"{method}: error ~ h^{fit:.2f}, expected h^{slope}; errs={errs}")


def test_tiny_h_loses_to_cancellation(rng):
    x = rng.normal(size=(3, 4))
    ref = torch_grad(f_torch, x)
    e_good = rel_err(gc.numerical_gradient(f_np, x, h=1e-6), ref)
    e_tiny = rel_err(gc.numerical_gradient(f_np, x, h=1e-12), ref)
    assert e_tiny > 100 * e_good, (
        f"h=1e-12 should be far worse than h=1e-6: {e_tiny:.1e} vs "
        f"{e_good:.1e}")
    assert e_tiny > 1e-6, f"cancellation error unexpectedly small {e_tiny}"


@pytest.mark.parametrize("n, d, m", [(1, 1, 1), (4, 3, 2), (2, 5, 6)])
def test_array_gradient_matches_torch_vjp(rng, n, d, m):
    w = rng.normal(size=(d, m))
    x = rng.normal(size=(n, d))
    dout = rng.normal(size=(n, m))
    num = gc.numerical_gradient_array(lambda z: np.tanh(z @ w) * z.sum(),
                                      x, dout)
    xt = torch.tensor(x, requires_grad=True)
    (torch.tanh(xt @ torch.tensor(w)) * xt.sum()).backward(
        torch.tensor(dout))
    err = rel_err(num, xt.grad.numpy())
    assert err < 1e-8, f"VJP vs torch: rel err {err:.2e}"


def _cs231n_rel_error(x, y):
    """The measure behind the course values quoted for layer checks:
    max |x - y| / max(1e-8, |x| + |y|), entry by entry."""
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def _affine_case(rng):
    x, w = rng.normal(size=(10, 2, 3)), rng.normal(size=(6, 5))
    b, dout = rng.normal(size=5), rng.normal(size=(10, 5))
    xt, wt, bt = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    (xt.reshape(10, -1) @ wt + bt).backward(torch.tensor(dout))
    return x, w, b, dout, xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def _summed_first(f, x, dout, h=1e-5):
    """The old way: the difference of two scalar sums, entry by entry."""
    return gc.numerical_gradient(lambda z: np.sum(f(z) * dout), x, h=h)


@pytest.mark.parametrize("seed", range(5))
def test_affine_backward_check_reaches_the_published_precision(seed):
    rng = np.random.default_rng(seed)
    x, w, b, dout, dx, dw, db = _affine_case(rng)
    errors = {
        "dx": _cs231n_rel_error(gc.numerical_gradient_array(
            lambda z: z.reshape(10, -1) @ w + b, x, dout), dx),
        "dw": _cs231n_rel_error(gc.numerical_gradient_array(
            lambda z: x.reshape(10, -1) @ z + b, w, dout), dw),
        "db": _cs231n_rel_error(gc.numerical_gradient_array(
            lambda z: x.reshape(10, -1) @ w + z, b, dout), db),
    }
    # "around 1e-10" for the layer checks of the CS231n assignment
    assert all(e < 5e-9 for e in errors.values()), errors
    assert np.median(list(errors.values())) < 1e-9, errors


@pytest.mark.parametrize("seed", range(5))
def test_relu_backward_check_reaches_the_published_precision(seed):
    rng = np.random.default_rng(seed)
    x, dout = rng.normal(size=(10, 10)), rng.normal(size=(10, 10))
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).backward(torch.tensor(dout))
    num = gc.numerical_gradient_array(lambda z: np.maximum(z, 0), x, dout)
    err = _cs231n_rel_error(num, xt.grad.numpy())
    assert err < 1e-10, f"relu backward: rel err {err:.1e}"


def test_subtracting_outputs_first_beats_subtracting_sums():
    # the rounding of a whole sum no longer lands on every entry
    ratios = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        x, dout = rng.normal(size=(10, 10)), rng.normal(size=(10, 10))
        xt = torch.tensor(x, requires_grad=True)
        torch.relu(xt).backward(torch.tensor(dout))
        exact = xt.grad.numpy()

        def relu(z):
            return np.maximum(z, 0)
        new = _cs231n_rel_error(gc.numerical_gradient_array(relu, x, dout), exact)
        old = _cs231n_rel_error(_summed_first(relu, x, dout), exact)
        ratios.append(old / max(new, 1e-16))
    assert np.median(ratios) > 20, ratios


def test_array_gradient_copies_what_f_returns(rng):
    # f returning (a view of) its own working input must not fool the
    # difference: the perturbed outputs are copied before z changes again
    x = rng.normal(size=(2, 3))
    dout = rng.normal(size=(2, 3))
    num = gc.numerical_gradient_array(lambda z: z, x, dout)
    assert np.allclose(num, dout, rtol=0, atol=1e-9), num
    num = gc.numerical_gradient_array(lambda z: z[:, ::-1], x, dout[:, ::-1])
    assert np.allclose(num, dout, rtol=0, atol=1e-9), num


@pytest.mark.parametrize("h", [0.0, -1e-5, float("nan")])
def test_array_gradient_validates_h(rng, h):
    with pytest.raises(ValueError, match="step h"):
        gc.numerical_gradient_array(np.tanh, rng.normal(size=3), np.ones(3), h=h)


def test_array_gradient_rejects_wrong_dout(rng):
    x = rng.normal(size=(2, 3))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        gc.numerical_gradient_array(np.tanh, x, np.ones((3, 2)))


def test_f_sees_one_entry_moved_at_a_time(rng):
    # Restoration: every evaluated point differs from x in one entry by h.
    x = rng.normal(size=(2, 3))
    seen = []
    gc.numerical_gradient(lambda z: seen.append(z.copy()) or 0.0, x, h=1e-3)
    assert len(seen) == 2 * x.size, f"expected {2 * x.size} calls"
    for k, z in enumerate(seen):
        diff = np.abs(z - x)
        assert np.count_nonzero(diff) == 1, f"call {k} moved {diff}"
        assert np.isclose(diff.max(), 1e-3), f"call {k} step {diff.max()}"


@pytest.mark.parametrize("method", ["centered", "forward"])
def test_numerical_gradient_does_not_mutate(rng, method):
    x = rng.normal(size=(3, 2))
    copy = x.copy()
    gc.numerical_gradient(f_np, x, method=method)
    assert np.array_equal(x, copy), "numerical_gradient changed x"


def test_caller_array_is_never_written(rng):
    # A read-only x would raise on any write; f never sees x itself.
    x = rng.normal(size=(2, 2))
    x.flags.writeable = False

    def f(z):
        assert not np.shares_memory(z, x), "f was handed the caller's x"
        return f_np(z)

    for method in ("centered", "forward"):
        gc.numerical_gradient(f, x, method=method)
    gc.numerical_gradient_array(lambda z: f(z) * z, x, np.ones((2, 2)))
    gc.kink_crossed(lambda z: f(z) > 0, x, (1, 1))
    gc.directional_check(f, np.ones((2, 2)), x)


def test_integer_input_is_promoted():
    x = np.array([1, 2, 3])
    num = gc.numerical_gradient(lambda z: np.sum(z ** 2), x)
    assert np.allclose(num, [2, 4, 6], atol=1e-8), f"got {num}"
    assert x.dtype.kind == "i", "input dtype changed"


@pytest.mark.parametrize("kwargs, match", [
    ({"method": "backward"}, "backward"), ({"h": 0.0}, "0.0"),
    ({"h": -1e-5}, "-1e-05"), ({"h": float("nan")}, "nan")])
def test_numerical_gradient_validates(kwargs, match):
    with pytest.raises(ValueError, match=match):
        gc.numerical_gradient(np.sum, np.ones(3), **kwargs)


# ------------------------------------------------------------ relative error

def test_relative_error_closed_forms():
    a = np.array([0.0, 1.0, -2.0, 1e-15, 3.0])
    b = np.array([0.0, 1.01, 2.0, 0.0, 3.0])
    expected = np.array([0.0, 0.01 / 1.01, 2.0, 1e-3, 0.0])
    got = gc.relative_error(a, b)
    assert np.allclose(got, expected, rtol=1e-12, atol=0), (
        f"expected {expected}, got {got}")
    assert got[0] == 0.0, "both zero must give exactly 0"


def test_relative_error_floor_and_symmetry(rng):
    a, b = rng.normal(size=(2, 4, 5))
    assert np.array_equal(gc.relative_error(a, b), gc.relative_error(b, a))
    got = gc.relative_error(1e-14, 3e-14, floor=1e-10)
    assert np.isclose(got, 2e-4), f"floor not used: got {got}"


def test_relative_error_shape_mismatch():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        gc.relative_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="floor"):
        gc.relative_error(1.0, 1.0, floor=0.0)


@pytest.mark.parametrize("err, verdict", [
    (0.5, "probably wrong"), (1.0001e-2, "probably wrong"),
    (float("nan"), "probably wrong"), (1e-2, "uncomfortable"),
    (1e-3, "uncomfortable"), (1e-4, "uncomfortable"),
    (9.99e-5, "fine with kinks, too high without"),
    (1.0001e-7, "fine with kinks, too high without"),
    (1e-7, "good"), (9.99e-8, "good"), (0.0, "good")])
def test_judge_relative_error(err, verdict):
    got = gc.judge_relative_error(err)
    assert got == verdict, f"err={err}: expected {verdict!r}, got {got!r}"


def test_judge_counts_1e_7_itself_as_good():
    # the rule's wording is "1e-7 and less": the boundary belongs to "good"
    assert gc.judge_relative_error(1e-7) == "good"
    assert gc.judge_relative_error(np.nextafter(1e-7, 1.0)) == (
        "fine with kinks, too high without")
    # the other two boundaries stay where they were: both "uncomfortable"
    assert gc.judge_relative_error(1e-4) == gc.judge_relative_error(1e-2) == "uncomfortable"


def test_judge_rejects_negative():
    with pytest.raises(ValueError, match="-0.1"):
        gc.judge_relative_error(-0.1)


# ------------------------------------------------------------ check_gradients

def make_net(rng):
    params = {"W1": rng.normal(size=(4, 3)), "b1": rng.normal(size=3),
              "W2": rng.normal(size=(3, 3)), "b2": rng.normal(size=3)}
    x = rng.normal(size=(5, 4))
    y = np.array([0, 2, 1, 1, 0])

    def loss_np(p):
        z = np.tanh(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        return float(-logp[np.arange(len(y)), y].mean())

    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    z = torch.tanh(torch.tensor(x) @ tp["W1"] + tp["b1"]) @ tp["W2"] \
        + tp["b2"]
    torch.nn.functional.cross_entropy(z, torch.tensor(y)).backward()
    grads = {k: t.grad.numpy().copy() for k, t in tp.items()}
    return params, grads, loss_np


def test_check_gradients_passes_right_gradient(rng):
    params, grads, loss = make_net(rng)
    before = {k: v.copy() for k, v in params.items()}
    report = gc.check_gradients(loss, params, grads)
    assert [r.name for r in report] == list(params), "not every parameter"
    for r in report:
        assert r.rel_error < 1e-7, f"{r.name}: rel err {r.rel_error:.2e}"
        assert r.num_checked == min(10, params[r.name].size), r
        assert r.analytic == grads[r.name][r.worst_index], r
        assert abs(r.numeric - r.analytic) < 1e-8, r
    for k in params:
        assert np.array_equal(params[k], before[k]), f"{k} was mutated"


@pytest.mark.parametrize("name, index", [("W1", (2, 1)), ("b2", (2,)),
                                         ("W2", (0, 2))])
def test_check_gradients_flags_scaled_entry(rng, name, index):
    params, grads, loss = make_net(rng)
    bad = {k: v.copy() for k, v in grads.items()}
    bad[name][index] *= 1.01
    report = {r.name: r for r in gc.check_gradients(loss, params, bad,
                                                    num_samples=100)}
    assert report[name].worst_index == index, (
        f"expected worst entry {index} of {name}, got {report[name]}")
    assert 5e-3 < report[name].rel_error < 2e-2, report[name]
    for k, r in report.items():
        if k != name:
            assert r.rel_error < 1e-7, f"{k} flagged wrongly: {r}"


def test_check_gradients_flags_transposed_gradient(rng):
    params, grads, loss = make_net(rng)
    bad = dict(grads, W2=grads["W2"].T.copy())
    report = {r.name: r for r in gc.check_gradients(loss, params, bad,
                                                    num_samples=9)}
    r = report["W2"]
    assert r.rel_error > 1e-2 and r.worst_index[0] != r.worst_index[1], (
        f"a transposed W2 gradient should fail off the diagonal, got {r}")
    assert gc.judge_relative_error(r.rel_error) == "probably wrong"
    assert all(report[k].rel_error < 1e-7 for k in ("W1", "b1", "b2"))


def test_check_gradients_samples_without_replacement(rng):
    # Record which entry each evaluation moved: every sampled entry is
    # distinct, evaluated twice, and every parameter is visited.
    params, grads, loss = make_net(rng)
    base = {k: v.copy() for k, v in params.items()}
    moved = []

    def spy(p):
        moved.extend((k, tuple(np.argwhere(p[k] != base[k])[0]))
                     for k in p if not np.array_equal(p[k], base[k]))
        return loss(p)

    report = gc.check_gradients(spy, params, grads, num_samples=9)
    sizes = {k: v.size for k, v in params.items()}
    assert [r.num_checked for r in report] == [9, 3, 9, 3], report
    assert len(moved) == 2 * 24, f"{len(moved)} evaluations, expected 48"
    for k in params:
        entries = {e for name, e in moved if name == k}
        assert len(entries) == min(9, sizes[k]), f"{k}: {sorted(entries)}"


def test_check_gradients_leaves_params_dict_alone(rng):
    params, grads, loss = make_net(rng)
    for v in params.values():
        v.flags.writeable = False
    objects = dict(params)
    gc.check_gradients(loss, params, grads)
    assert all(params[k] is objects[k] for k in objects), "dict was edited"
    assert list(params) == list(objects)


def test_check_gradients_sampling_is_seeded(rng):
    params, grads, loss = make_net(rng)
    bad = {k: v * 1.5 for k, v in grads.items()}  # every entry differs
    a = gc.check_gradients(loss, params, bad, num_samples=3, seed=7)
    b = gc.check_gradients(loss, params, bad, num_samples=3, seed=7)
    assert a == b, "same seed must give the same report"
    assert [r.num_checked for r in a] == [3, 3, 3, 3]
    c = gc.check_gradients(loss, params, bad, num_samples=3, seed=8)
    assert [r.worst_index for r in a] != [r.worst_index for r in c]


def test_check_gradients_validates(rng):
    params, grads, loss = make_net(rng)
    with pytest.raises(ValueError, match="b2"):
        gc.check_gradients(loss, params, {k: grads[k] for k in
                                          ("W1", "b1", "W2")})
    with pytest.raises(ValueError, match=r"'b1'.*\(3,\).*\(4,\)"):
        gc.check_gradients(loss, params, dict(grads, b1=np.ones(4)))
    with pytest.raises(ValueError, match="num_samples"):
        gc.check_gradients(loss, params, grads, num_samples=0)


def test_param_check_is_frozen():
    r = gc.ParamCheck("w", (0,), 1.0, 1.0, 0.0, 1)
    with pytest.raises(AttributeError):
        r.rel_error = 1.0


# ---------------------------------------------------------------- kinks

def test_relu_kink_detected_and_explains_wrong_gradient():
    x = np.array([1e-7, 0.5, -0.3, 2.0])
    relu_sum = lambda z: float(np.sum(np.maximum(z, 0.0)))
    num = gc.numerical_gradient(relu_sum, x, h=1e-5)
    xt = torch.tensor(x, requires_grad=True)
    torch.relu(xt).sum().backward()
    ref = xt.grad.numpy()
    # Straddling the kink gives (1e-5 + 1e-7) / 2e-5 = 0.505, neither slope.
    assert np.isclose(num[0], 0.505, atol=1e-9), f"got {num[0]}"
    assert abs(num[0] - ref[0]) > 0.4, "kink should spoil entry 0"
    assert rel_err(num[1:], ref[1:]) < 1e-9, "away from the kink it agrees"
    crossed = [gc.kink_crossed(lambda z: z > 0, x, i, h=1e-5)
               for i in range(4)]
    assert crossed == [True, False, False, False], f"got {crossed}"


def test_kink_not_crossed_with_smaller_step():
    x = np.array([1e-7, 0.5])
    assert not gc.kink_crossed(lambda z: z > 0, x, (0,), h=1e-8)


def test_max_kink_detected_at_near_tie():
    x = np.array([[1.0, 1.0 + 1e-7, -1.0], [0.0, 3.0, 1.0]])
    win = lambda z: z.argmax(axis=1)
    assert gc.kink_crossed(win, x, (0, 0))
    assert gc.kink_crossed(win, x, 1)  # flat index 1 is (0, 1)
    assert not gc.kink_crossed(win, x, (1, 2))
    assert not gc.kink_crossed(win, x, (0, 2))


def test_kink_crossed_does_not_mutate_and_validates():
    x = np.array([[1e-7, 0.5]])
    copy = x.copy()
    gc.kink_crossed(lambda z: z > 0, x, (0, 0))
    assert np.array_equal(x, copy), "kink_crossed changed x"
    with pytest.raises(ValueError, match=r"\(0,\)"):
        gc.kink_crossed(lambda z: z > 0, x, (0,))


# ------------------------------------------------------------ directional

@pytest.mark.parametrize("shape", SHAPES)
def test_directional_check(rng, shape):
    x = rng.normal(size=shape)
    copy = x.copy()
    g = torch_grad(f_torch, x)
    a, n, e = gc.directional_check(f_np, g, x)
    assert e < 1e-8, f"right gradient: analytic {a} vs numeric {n}, err {e}"
    assert np.array_equal(x, copy), "directional_check changed x"
    _, _, e_bad = gc.directional_check(f_np, 1.1 * g + 0.05, x)
    assert e_bad > 1e-3, f"wrong gradient passed with err {e_bad:.1e}"


def test_directional_check_closed_form(rng):
    # f linear: numeric = c . u exactly; analytic with the right c agrees,
    # and |c . u| <= ||c|| because u has unit length.
    c = rng.normal(size=(4, 3))
    a, n, e = gc.directional_check(lambda z: float(np.sum(c * z)), c,
                                   np.zeros((4, 3)), seed=3)
    assert abs(a) <= np.linalg.norm(c) + 1e-12
    assert e < 1e-9, f"linear f: {a} vs {n}"
    a2, _, _ = gc.directional_check(lambda z: 0.0, c, np.zeros((4, 3)),
                                    seed=3)
    assert a == a2, "same seed must give the same direction"


def test_directional_check_validates():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        gc.directional_check(np.sum, np.ones(2), np.ones(3))
