"""Visible checks of assignment 5 (learning-rate annealing): rates worked
out by hand, shapes, purity, and two plateau runs traced epoch by epoch.

rates, is_pure and check_plateau_run are the students' helpers, given to them
in a locked cell of the notebook.
"""
import numpy as np


def rates(schedule, ts, **hyper):
    """The schedule's rates at the steps ts, as a float64 array."""
    return np.array([float(schedule(t, **hyper)) for t in ts])


def is_pure(schedule, ts, **hyper):
    """Same rates when the steps are asked for in reverse order?"""
    ts = list(ts)
    forward = rates(schedule, ts, **hyper)
    backward = rates(schedule, ts[::-1], **hyper)[::-1]
    return np.allclose(forward, backward, rtol=1e-12, atol=0.0)


def check_plateau_run(plateau_step, state, metrics, want, **hyper):
    """Feed plateau_step the metrics one epoch at a time from state; after
    each epoch, every field named in want must equal its listed value."""
    got = {name: [] for name in want}
    for metric in metrics:
        state = plateau_step(state, metric, **hyper)
        for name in want:
            got[name].append(getattr(state, name))
    for name in want:
        assert np.allclose(np.array(got[name], dtype=float), want[name], rtol=1e-12,
                           atol=0.0), (
            f"{name} after each epoch of metrics {metrics} ({hyper}): got "
            f"{got[name]}, expected {want[name]}")


def check_step_decay(step_decay):
    assert isinstance(step_decay(0, lr0=1.0, drop=0.5, every=4), float), \
        "step_decay should return a Python float"
    lr = rates(step_decay, range(13), lr0=1.0, drop=0.5, every=4)
    assert lr[0] == 1.0, f"step_decay at t=0 is {lr[0]}, expected lr0 = 1.0"
    assert lr[3] == 1.0 and lr[4] == 0.5, (
        f"with every=4 the first drop is due AT t=4: got {lr[3]} at t=3 and "
        f"{lr[4]} at t=4, expected 1.0 and 0.5")
    assert lr[8] == 0.25 and lr[12] == 0.125, (
        f"got {lr[8]} at t=8 and {lr[12]} at t=12, expected 0.25 and 0.125")
    assert np.all(np.diff(lr) <= 0), f"a step decay never rises, got {lr}"
    assert is_pure(step_decay, range(13), lr0=1.0, drop=0.5, every=4), \
        "step_decay gives other rates when the steps come in reverse order"


def check_step_decay_long_blocks(step_decay):
    got = rates(step_decay, [0, 19, 20, 39, 40], lr0=0.3, drop=0.1, every=20)
    want = [0.3, 0.3, 0.03, 0.03, 0.003]
    assert np.allclose(got, want, rtol=1e-12), (
        f"x0.1 every 20 steps from 0.3 at t = 0, 19, 20, 39, 40: got {got}, "
        f"expected {want}")


def check_exponential_decay(exponential_decay):
    k = np.log(2) / 5
    lr = rates(exponential_decay, range(16), lr0=0.8, k=k)
    assert lr[0] == 0.8, f"exponential_decay at t=0 is {lr[0]}, expected lr0 = 0.8"
    assert np.allclose(lr[[5, 10, 15]], [0.4, 0.2, 0.1], rtol=1e-12), (
        f"with k = ln(2)/5 the rate halves every 5 steps: got {lr[[5, 10, 15]]} "
        f"at t = 5, 10, 15, expected [0.4, 0.2, 0.1]")
    assert np.all(np.diff(lr) < 0), f"with k > 0 the rate falls at every step, got {lr}"
    flat = rates(exponential_decay, range(5), lr0=0.8, k=0.0)
    assert np.all(flat == 0.8), f"with k = 0 the rate stays at lr0, got {flat}"
    assert is_pure(exponential_decay, range(16), lr0=0.8, k=k), \
        "exponential_decay gives other rates when the steps come in reverse order"


def check_inverse_time_decay(inverse_time_decay):
    lr = rates(inverse_time_decay, range(13), lr0=0.6, k=0.25)
    assert lr[0] == 0.6, f"inverse_time_decay at t=0 is {lr[0]}, expected lr0 = 0.6"
    assert np.allclose(lr[[4, 8, 12]], [0.3, 0.2, 0.15], rtol=1e-12), (
        f"with k = 0.25 the rate is lr0/2, lr0/3, lr0/4 at t = 4, 8, 12: got "
        f"{lr[[4, 8, 12]]}, expected [0.3, 0.2, 0.15]")
    assert np.all(np.diff(lr) < 0), f"with k > 0 the rate falls at every step, got {lr}"
    far = inverse_time_decay(10_000, lr0=0.6, k=0.25)
    assert 0 < far < 1e-3, f"at t = 10000 the rate should be small and positive, got {far}"
    assert is_pure(inverse_time_decay, range(13), lr0=0.6, k=0.25), \
        "inverse_time_decay gives other rates when the steps come in reverse order"


def check_cosine(cosine):
    lr = rates(cosine, range(21), lr0=0.5, total=10, lr_min=0.1)
    assert lr[0] == 0.5, f"cosine at t=0 is {lr[0]}, expected lr0 = 0.5"
    assert np.isclose(lr[5], 0.3, rtol=1e-12), \
        f"cosine at t = total/2 = 5 is {lr[5]}, expected (lr0 + lr_min)/2 = 0.3"
    assert np.isclose(lr[10], 0.1, rtol=1e-12), \
        f"cosine at t = total = 10 is {lr[10]}, expected lr_min = 0.1"
    assert np.all(lr[10:] == lr[10]), f"past t = total the rate stays at lr_min, got {lr[10:]}"
    assert np.all(np.diff(lr) <= 1e-15), f"cosine annealing never rises, got {lr}"
    assert is_pure(cosine, range(21), lr0=0.5, total=10, lr_min=0.1), \
        "cosine gives other rates when the steps come in reverse order"


def check_cosine_default_floor(cosine):
    got = rates(cosine, [0, 2, 3, 6], lr0=2.0, total=6)
    want = [2.0, 1.5, 1.0, 0.0]
    assert np.allclose(got, want, rtol=1e-12, atol=1e-15), (
        f"cosine with lr0=2, total=6 and the default lr_min=0 at t = 0, 2, 3, 6: "
        f"got {got}, expected {want} (cos(pi/3) = 1/2)")


def check_with_warmup(with_warmup):
    def halving(s):
        return 0.8 * 0.5 ** s
    got = rates(lambda t: with_warmup(halving, t, warmup=4), range(7))
    want = [0.0, 0.2, 0.4, 0.6, 0.8, 0.4, 0.2]
    assert np.allclose(got, want, rtol=1e-12, atol=1e-15), (
        f"with_warmup(halving, t, warmup=4) with halving(s) = 0.8 * 0.5**s at "
        f"t = 0..6: got {got}, expected {want} (the ramp ends at halving(0) AT "
        f"t = 4, then halving runs on its own clock from s = 0)")
    got = rates(lambda t: with_warmup(halving, t, warmup=0), range(3))
    assert np.allclose(got, [0.8, 0.4, 0.2], rtol=1e-12), \
        f"warmup=0 means no warm-up: expected halving(t), got {got}"


def check_with_warmup_start_factor(with_warmup):
    def halving(s):
        return 0.8 * 0.5 ** s
    got = rates(lambda t: with_warmup(halving, t, warmup=4, start_factor=0.5), range(6))
    want = [0.4, 0.5, 0.6, 0.7, 0.8, 0.4]
    assert np.allclose(got, want, rtol=1e-12), (
        f"with start_factor=0.5 the ramp runs from 0.5 * halving(0) at t = 0 "
        f"to halving(0) at t = 4: got {got}, expected {want}")
    got = rates(lambda t: with_warmup(halving, t, warmup=2, start_factor=1.0), range(4))
    want = [0.8, 0.8, 0.8, 0.4]
    assert np.allclose(got, want, rtol=1e-12), (
        f"with start_factor=1 the ramp is flat at halving(0): got {got}, expected {want}")


def check_warmup_cosine(warmup_cosine):
    hyper = dict(lr0=0.2, warmup=4, total=12, lr_min=0.02)
    lr = rates(warmup_cosine, range(16), **hyper)
    assert lr[0] == 0.0, f"warmup_cosine at t=0 is {lr[0]}, expected 0"
    # The ramp is linear: at t = 1, 2, 3 the rate is 1/4, 2/4, 3/4 of lr(4).
    ratio = lr[1:4] / lr[4]
    assert np.allclose(ratio, [0.25, 0.5, 0.75], rtol=1e-12), (
        f"warmup=4: lr(1), lr(2), lr(3) should be 1/4, 2/4, 3/4 of lr(4); "
        f"got ratios {ratio}")
    assert np.all(np.diff(lr[:5]) > 0), f"the warm-up only raises the rate, got {lr[:5]}"
    assert is_pure(warmup_cosine, range(16), **hyper), \
        "warmup_cosine gives other rates when the steps come in reverse order"


def check_plateau_min(plateau_init, plateau_step):
    hyper = dict(mode="min", factor=0.5, patience=1, threshold=0.1, cooldown=0, min_lr=0.0)
    state = plateau_init(0.1)
    assert tuple(state) == (0.1, None, 0, 0), f"plateau_init(0.1) gives {state}"
    again = plateau_step(state, 2.0, **hyper)
    assert tuple(plateau_step(state, 2.0, **hyper)) == tuple(again), \
        "plateau_step gives two answers for the same state and metric"
    assert tuple(state) == (0.1, None, 0, 0), "plateau_step changed the state it was given"
    # 1.9 is only 5% below 2.0 (threshold 10%): a bad epoch; 1.7 improves.
    metrics = [2.0, 1.9, 1.7, 1.7, 1.7, 1.7]
    want = {"lr": [0.1, 0.1, 0.1, 0.1, 0.05, 0.05], "best": [2.0, 2.0, 1.7, 1.7, 1.7, 1.7],
            "bad_epochs": [0, 1, 0, 1, 0, 1], "cooldown_left": [0, 0, 0, 0, 0, 0]}
    check_plateau_run(plateau_step, state, metrics, want, **hyper)
    # 1.5 is exactly 25% below 2.0: not strictly below, a bad epoch; so is a NaN.
    hyper = dict(mode="min", factor=0.5, patience=1, threshold=0.25, cooldown=0, min_lr=0.0)
    want = {"lr": [0.1, 0.1, 0.05, 0.05], "best": [2.0, 2.0, 2.0, 1.0],
            "bad_epochs": [0, 1, 0, 0], "cooldown_left": [0, 0, 0, 0]}
    check_plateau_run(plateau_step, plateau_init(0.1), [2.0, 1.5, float("nan"), 1.0], want,
                      **hyper)
    # a cooldown of 2 epochs after each cut; the third cut stops at min_lr
    hyper = dict(mode="min", factor=0.5, patience=0, threshold=0.0, cooldown=2, min_lr=0.02)
    metrics = [1.0, 1.0, 1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 1.0]
    want = {"lr": [0.1, 0.05, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.02],
            "best": [1.0, 1.0, 1.0, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9],
            "bad_epochs": [0, 0, 0, 0, 0, 0, 0, 0, 0],
            "cooldown_left": [0, 2, 1, 0, 0, 2, 1, 0, 2]}
    check_plateau_run(plateau_step, plateau_init(0.1), metrics, want, **hyper)
    # 1e-7 -> 1e-8 is a cut; 1e-8 -> 1e-9 would lower the rate by 9e-9 <= 1e-8: kept
    hyper = dict(mode="min", factor=0.1, patience=0, threshold=0.0, cooldown=0, min_lr=0.0)
    want = {"lr": [1e-7, 1e-8, 1e-8], "bad_epochs": [0, 0, 0]}
    check_plateau_run(plateau_step, plateau_init(1e-7), [1.0, 1.0, 1.0], want, **hyper)


def check_plateau_max(plateau_init, plateau_step):
    hyper = dict(mode="max", factor=0.1, patience=0, threshold=0.0, cooldown=0, min_lr=0.0)
    # accuracies: a higher one is better
    metrics = [0.5, 0.6, 0.6, 0.55, 0.58, 0.7]
    want = {"lr": [1.0, 1.0, 0.1, 0.01, 0.001, 0.001], "best": [0.5, 0.6, 0.6, 0.6, 0.6, 0.7],
            "bad_epochs": [0, 0, 0, 0, 0, 0], "cooldown_left": [0, 0, 0, 0, 0, 0]}
    check_plateau_run(plateau_step, plateau_init(1.0), metrics, want, **hyper)
    # 0.625 is exactly 25% above 0.5: not strictly above, a bad epoch
    hyper = dict(hyper, threshold=0.25)
    want = {"lr": [1.0, 0.1, 0.1, 0.01], "best": [0.5, 0.5, 0.8, 0.8]}
    check_plateau_run(plateau_step, plateau_init(1.0), [0.5, 0.625, 0.8, 0.7], want, **hyper)
