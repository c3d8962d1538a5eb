"""Tests of solutions.capstone: torch as the oracle for the loss, its
gradients and a few training steps; the sanity checks of chapter 3; the
accuracy the capstone promises on the spirals."""
import math

import numpy as np
import pytest
import torch

from solutions import capstone as cap
from solutions.annealing import warmup_cosine
from solutions.problems import spirals
from oracle import rel_err

# The promise of the capstone, also the grader's threshold (see
# autograder/capstone.py): this validation accuracy on spirals(200, seed)
# split 80/20 by train_val_split(seed=seed). It takes about half a second
# on one core; the grader allows 60 s.
THRESHOLD = 0.9


def problem(rng, N=7, D=4, H=5, C=3):
    """Random params (biases non-zero), inputs and labels; N, D, H, C all
    different so that a transposed product cannot go unnoticed."""
    params = {"W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H),
              "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C)}
    return params, rng.normal(size=(N, D)), rng.integers(0, C, size=N)


def torch_loss(params, X, y, keep, p, lam, train=True):
    """The same network written with torch ops; keep is the float mask."""
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    h = torch.relu(torch.tensor(X) @ t["W1"] + t["b1"])
    if train and p > 0:
        h = h * torch.tensor(keep, dtype=torch.float64) / (1 - p)
    scores = h @ t["W2"] + t["b2"]
    loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y))
    loss = loss + 0.5 * lam * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in t.items()}


# ---------------------------------------------------------- network_loss

@pytest.mark.parametrize("p", [0.0, 0.3, 0.5])
@pytest.mark.parametrize("lam", [0.0, 1e-2, 0.7])
@pytest.mark.parametrize("train", [True, False])
def test_loss_and_gradients_match_torch_with_fixed_masks(rng, p, lam, train):
    params, X, y = problem(rng)
    keep = rng.random((X.shape[0], 5)) >= p
    copies = {k: v.copy() for k, v in params.items()}, X.copy(), keep.copy()
    loss, grads = cap.network_loss(params, X, y, p_drop=p, lam=lam,
                                   masks=(keep,), train=train)
    t_loss, t_grads = torch_loss(params, X, y, keep, p, lam, train)
    assert isinstance(loss, float)
    assert abs(loss - t_loss) <= 1e-12 * abs(t_loss), (loss, t_loss)
    assert grads.keys() == params.keys()
    for k in params:
        err = rel_err(grads[k], t_grads[k])
        assert err <= 1e-9, f"d{k}: rel err {err:.1e} vs torch"
    for k in params:  # pure: nothing modified in place
        assert np.array_equal(params[k], copies[0][k]), k
    assert np.array_equal(X, copies[1]) and np.array_equal(keep, copies[2])


def test_rng_mask_is_keep_where_uniform_at_least_p(rng):
    params, X, y = problem(rng, N=50, H=5)
    drawn = np.random.default_rng(3).random((50, 5)) >= 0.4
    with_rng = cap.network_loss(params, X, y, p_drop=0.4, lam=0.1,
                                rng=np.random.default_rng(3))
    with_mask = cap.network_loss(params, X, y, p_drop=0.4, lam=0.1,
                                 masks=(drawn,))
    assert with_rng[0] == with_mask[0]
    for k in params:
        assert np.array_equal(with_rng[1][k], with_mask[1][k]), k


def test_no_dropout_draws_nothing_and_needs_no_rng(rng):
    params, X, y = problem(rng)
    gen = np.random.default_rng(1)
    before = gen.bit_generator.state
    off = cap.network_loss(params, X, y, p_drop=0.5, lam=0.1, rng=gen,
                           train=False)
    zero = cap.network_loss(params, X, y, p_drop=0.0, lam=0.1)
    assert gen.bit_generator.state == before, "the rng was drawn from"
    assert off[0] == zero[0]
    with pytest.raises(ValueError, match="rng or mask"):
        cap.network_loss(params, X, y, p_drop=0.5, lam=0.1)


def test_biases_are_not_penalised(rng):
    params, X, y = problem(rng)
    base = cap.network_loss(params, X, y, p_drop=0.0, lam=0.0)
    pen = cap.network_loss(params, X, y, p_drop=0.0, lam=2.0)
    expected = sum((params[k] ** 2).sum() for k in ("W1", "W2"))
    assert pen[0] - base[0] == pytest.approx(expected, rel=1e-12)
    for k in ("b1", "b2"):
        assert np.array_equal(pen[1][k], base[1][k]), k


# ------------------------------------------------------------- predict

def test_predict_is_the_argmax_of_the_scores_and_accuracy_a_fraction(rng):
    params, X, y = problem(rng, N=40)
    t = {k: torch.tensor(v) for k, v in params.items()}
    scores = torch.relu(torch.tensor(X) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    labels = cap.predict(params, X)
    assert labels.shape == (40,) and labels.dtype.kind == "i"
    assert np.array_equal(labels, scores.argmax(dim=1).numpy())
    acc = cap.accuracy(params, X, y)
    assert isinstance(acc, float) and acc == np.mean(labels == y)


def test_train_val_split_is_a_partition(rng):
    X, y = spirals(10, seed=1)
    Xt, yt, Xv, yv = cap.train_val_split(X, y, val=0.2, seed=4)
    assert len(yv) == 6 and len(yt) == 24
    rows = np.concatenate([Xt, Xv])
    assert sorted(map(tuple, rows)) == sorted(map(tuple, X))
    again = cap.train_val_split(X, y, val=0.2, seed=4)
    assert all(np.array_equal(a, b) for a, b in zip((Xt, yt, Xv, yv), again))


# ------------------------------------------------------------ training

def torch_training(X, y, *, hidden, steps, lr, p, lam, batch, warmup, seed):
    """train() re-done with torch.optim.Adam + LambdaLR, drawing the same
    random numbers in the same order (init, permutations, masks)."""
    rng = np.random.default_rng(seed)
    init = cap.init_params(X.shape[1], hidden, int(y.max()) + 1, rng=rng)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
    opt = torch.optim.Adam(list(t.values()), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: warmup_cosine(s, lr0=lr, warmup=warmup, total=steps) / lr)
    order, losses, ratios = np.empty(0, dtype=int), [], []
    for _ in range(steps):
        old = {k: t[k].detach().clone() for k in ("W1", "W2")}
        if len(order) < batch:
            order = rng.permutation(len(y))
        idx, order = order[:batch], order[batch:]
        keep = rng.random((len(idx), hidden)) >= p
        opt.zero_grad()
        h = torch.relu(torch.tensor(X[idx]) @ t["W1"] + t["b1"])
        h = h * torch.tensor(keep, dtype=torch.float64) / (1 - p)
        scores = h @ t["W2"] + t["b2"]
        loss = torch.nn.functional.cross_entropy(scores, torch.tensor(y[idx]))
        loss = loss + 0.5 * lam * ((t["W1"] ** 2).sum() + (t["W2"] ** 2).sum())
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        ratios.append([((t[k].detach() - old[k]).norm() / old[k].norm()).item()
                       for k in ("W1", "W2")])
    return (np.array(losses), np.array(ratios),
            {k: v.detach().numpy() for k, v in t.items()})


def test_training_steps_match_torch_adam_with_lambda_lr():
    X, y = spirals(15, seed=2)  # 45 points, batches of 16: the last 13
    kw = dict(hidden=6, steps=30, lr=5e-2, lam=1e-2, warmup=5, seed=7)
    params, hist = cap.train(X, y, X, y, p_drop=0.3, batch_size=16,
                             eval_every=1, **kw)  # of each epoch are skipped
    losses, ratios, t_params = torch_training(X, y, p=0.3, batch=16, **kw)
    assert hist["step"].tolist() == list(range(1, 31))
    err = rel_err(hist["loss"], losses)
    assert err <= 1e-10, f"per-step losses: rel err {err:.1e} vs torch"
    assert hist["ratio_W1"][0] == hist["ratio_W2"][0] == 0.0  # lr(0) = 0
    for i, k in enumerate(("W1", "W2")):
        err = rel_err(hist[f"ratio_{k}"][1:], ratios[1:, i])
        assert err <= 1e-6, f"update-to-weight ratio of {k}: rel err {err:.1e}"
    for k in params:
        err = rel_err(params[k], t_params[k])
        assert err <= 1e-9, f"{k} after 30 steps: rel err {err:.1e} vs torch"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_train_reaches_the_promised_accuracy(seed):
    X, y = spirals(200, seed=seed)
    Xt, yt, Xv, yv = cap.train_val_split(X, y, seed=seed)
    params, hist = cap.train(Xt, yt, Xv, yv, seed=seed)
    acc = cap.accuracy(params, Xv, yv)
    assert acc >= THRESHOLD, f"validation accuracy {acc:.3f} < {THRESHOLD}"
    assert hist["val_acc"][-1] == acc


def test_train_is_deterministic_from_the_seed_and_records_its_history():
    X, y = spirals(30, seed=0)
    Xt, yt, Xv, yv = cap.train_val_split(X, y)
    kw = dict(steps=120, eval_every=50)
    a, ha = cap.train(Xt, yt, Xv, yv, seed=3, **kw)
    b, hb = cap.train(Xt, yt, Xv, yv, seed=3, **kw)
    c, _ = cap.train(Xt, yt, Xv, yv, seed=4, **kw)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert all(np.array_equal(ha[k], hb[k]) for k in ha)
    assert not np.array_equal(a["W1"], c["W1"])
    assert sorted(ha) == sorted(["step", "loss", "train_acc", "val_acc",
                                 "ratio_W1", "ratio_W2"])
    assert ha["step"].tolist() == [50, 100, 120]
    assert all(len(v) == 3 for v in ha.values())
    assert np.all(ha["ratio_W1"] > 0) and np.all(ha["ratio_W2"] > 0)


# ------------------------------------------------- sanity checks (ch. 3)

def test_initial_loss_is_ln_C_with_small_weights():
    X, y = spirals(100, seed=0)
    params = cap.init_params(2, 64, 3, rng=np.random.default_rng(0))
    small = {k: 1e-3 * v for k, v in params.items()}
    loss, _ = cap.network_loss(small, X, y, p_drop=0.0, lam=0.0)
    assert abs(loss - math.log(3)) < 1e-5, f"{loss} vs ln 3 = {math.log(3)}"


def test_loss_rises_with_regularization():
    X, y = spirals(100, seed=0)
    params = cap.init_params(2, 64, 3, rng=np.random.default_rng(0))
    losses = [cap.network_loss(params, X, y, p_drop=0.0, lam=lam)[0]
              for lam in (0.0, 1e-3, 1e-2, 1e-1, 1.0)]
    assert np.all(np.diff(losses) > 0), losses


def test_overfits_twenty_examples_without_regularization():
    X, y = spirals(100, seed=0)
    pick = np.random.default_rng(0).choice(len(y), size=20, replace=False)
    params, hist = cap.train(X[pick], y[pick], X[pick], y[pick], p_drop=0.0,
                             lam=0.0, steps=300, lr=5e-2, batch_size=20,
                             seed=0)
    loss, _ = cap.network_loss(params, X[pick], y[pick], p_drop=0.0, lam=0.0)
    assert loss < 1e-2, f"loss on the 20 examples is {loss:.3g}"
    assert hist["train_acc"][-1] == 1.0
