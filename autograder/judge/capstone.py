"""Checks and known mistakes for the capstone (chapter 7).

``network_loss`` is graded on fixed dropout masks, so every output is
exact: random parameters with non-zero biases (an L2 penalty that reaches
them shows), shapes N, D, H, C all different, p_drop 0 and 0.5, lam 0 and
1e-2, and a test-time call (train=False) that is handed an rng it must not
use. ``predict`` is graded with ``accuracy`` as the pair
``(predict, accuracy)`` on networks whose hidden biases matter and whose
output biases push many scores below zero. ``train`` is graded on what it
achieves, not on how: it trains on generated spirals with the student's
own defaults and must reach THRESHOLD validation accuracy, measured here
with the reference ``accuracy``, within BUDGET seconds; a run that takes
longer is stopped. A failure reports the accuracy reached and the time
taken. Its mistakes are whole training loops that do not learn; one is
named only when the student's parameters equal that mistake's to rounding,
since two loops that both fail can fail in many ways.
"""
from __future__ import annotations

import signal
import threading
import time
from typing import Any, Callable

import numpy as np

from autograder.judge.compare import relative_errors, returned
from autograder.judge.core import Case, Graded, Mistake, Outputs
from autograder.judge.feedback import CheckFailure, fmt_shape
from autograder.judge.tolerances import tolerance
from solutions import capstone as ref
from solutions.annealing import warmup_cosine
from solutions.gates import softmax_cross_entropy
from solutions.problems import spirals
from solutions.update_rules import adam_init, adam_step

KEYS = ("W1", "b1", "W2", "b2")

# ---------------------------------------------------------------- network_loss


def _network(seed: int, N: int, D: int, H: int, C: int) -> tuple:
    """Random params with non-zero biases, inputs X (N, D), labels (N,)."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H),
              "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C)}
    X = rng.normal(size=(N, D))
    y = rng.permutation(np.arange(N) % C)  # every class present
    return params, X, y, rng


def _loss_case(seed: int, shape: tuple[int, int, int, int], p: float, lam: float, *,
               train: bool = True) -> Case:
    N, D, H, C = shape
    params, X, y, rng = _network(seed, N, D, H, C)
    keep = rng.random((N, H)) >= p
    if train and p > 0:
        drop = (f"p_drop={p:g} with the fixed mask masks=(keep,), keep of shape "
                f"({N}, {H}) keeping {int(keep.sum())} of {keep.size} units")
    elif train:
        drop = "p_drop=0 (no dropout), masks=None"
    else:
        drop = (f"train=False with p_drop={p:g} and an rng passed in: no dropout at "
                f"test time")
    label = (f"X of shape ({N}, {D}), W1 ({D}, {H}), W2 ({H}, {C}), {drop}, "
             f"lam={lam:g}, seed {seed}")

    def run(impl) -> Outputs:
        kwargs = {"p_drop": p, "lam": lam}
        if train and p > 0:
            kwargs["masks"] = (keep.copy(),)
        if not train:
            kwargs.update(train=False, rng=np.random.default_rng(seed))
        copies = {k: v.copy() for k, v in params.items()}
        loss, grads = returned(impl(copies, X.copy(), y.copy(), **kwargs),
                               "network_loss", "loss, grads", f"({label})")
        return {"loss": loss, "grads": grads}
    return Case(label=label, run=run)


def _loss_cases() -> list[Case]:
    return [
        _loss_case(0, (6, 4, 5, 3), 0.0, 0.0),
        _loss_case(1, (7, 3, 6, 4), 0.0, 1e-2),
        _loss_case(2, (6, 4, 5, 3), 0.5, 0.0),
        _loss_case(3, (8, 2, 7, 3), 0.5, 1e-2),
        _loss_case(4, (5, 4, 6, 3), 0.5, 1e-2, train=False),
    ]


def _loss(*, rescale: bool = True, backward_mask: bool = True, biases: bool = False,
          grad_factor: float = 1.0, loss_penalty: bool = True, grad_penalty: bool = True,
          dW2_before_dropout: bool = False, mask_drops: bool = False,
          dropout_at_test: bool = False, classic_test: bool = False,
          per_example: bool = False) -> Callable:
    """A network_loss with one knob turned away from the reference."""
    def network_loss(params, X, y, *, p_drop, lam, rng=None, masks=None, train=True):
        W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64) for k in KEYS)
        z = X @ W1 + b1
        h = np.maximum(z, 0.0)
        factor = np.ones_like(h)  # what dropout multiplied each unit by
        if p_drop > 0 and (train or dropout_at_test):
            if masks is not None:
                keep = ~masks[0] if mask_drops else masks[0]
            else:
                keep = rng.random(h.shape) >= p_drop
            factor = keep / (1 - p_drop) if rescale else keep * 1.0
        elif p_drop > 0 and classic_test:
            factor = factor * (1 - p_drop)
        hd = h * factor
        loss, dscores = softmax_cross_entropy(hd @ W2 + b2, y)
        dW2 = (h if dW2_before_dropout else hd).T @ dscores
        dh = dscores @ W2.T
        dz = (dh * factor if backward_mask else dh) * (z > 0)
        grads = {"W1": X.T @ dz, "b1": dz.sum(axis=0), "W2": dW2,
                 "b2": dscores.sum(axis=0)}
        strength = lam / len(y) if per_example else lam
        for k in (KEYS if biases else ref.WEIGHTS):
            w = np.asarray(params[k], dtype=np.float64)
            if loss_penalty:
                loss += 0.5 * strength * float(np.sum(w * w))
            if grad_penalty:
                grads[k] = grads[k] + grad_factor * strength * w
        return loss, grads
    return network_loss


LOSS_MISTAKES = [
    Mistake("dropout_not_rescaled", "the kept units are not divided by 1 - p_drop; "
            "inverted dropout scales them while training so that nothing changes at "
            "test time", _loss(rescale=False)),
    Mistake("dropout_skipped_in_backward", "the backward pass skips dropout: the "
            "gradient reaching the ReLU must be multiplied by the same mask and "
            "1 / (1 - p_drop) as the forward pass (dropout_backward with its cache)",
            _loss(backward_mask=False)),
    Mistake("l2_on_biases", "the biases are penalised too; the L2 penalty and its "
            "gradient apply to W1 and W2 only", _loss(biases=True)),
    Mistake("l2_grad_doubled", "the gradient of the penalty is 2 * lam * W; with the "
            "penalty 0.5 * lam * sum(W**2) it is lam * W", _loss(grad_factor=2.0)),
    Mistake("loss_without_penalty", "the returned loss is the data loss alone; add "
            "the penalty 0.5 * lam * (sum(W1**2) + sum(W2**2)) to it",
            _loss(loss_penalty=False)),
    Mistake("grad_without_penalty", "the penalty is in the loss but its gradient "
            "lam * W is missing from dW1 and dW2", _loss(grad_penalty=False)),
    Mistake("dW2_before_dropout", "dW2 is computed from the hidden activations "
            "before dropout; the second layer saw the dropped and rescaled ones",
            _loss(dW2_before_dropout=True)),
    Mistake("mask_read_as_dropped", "masks[0] is True for the units to KEEP; "
            "yours drops them instead", _loss(mask_drops=True)),
    Mistake("dropout_at_test_time", "dropout is applied with train=False; at test "
            "time the network uses every unit and draws nothing from rng",
            _loss(dropout_at_test=True)),
    Mistake("test_time_scaled", "with train=False the hidden units are multiplied "
            "by 1 - p_drop; that belongs to classic dropout, while inverted dropout "
            "changes nothing at test time", _loss(classic_test=True)),
    Mistake("penalty_per_example", "the penalty is divided by the number of "
            "examples; it is 0.5 * lam * (sum(W1**2) + sum(W2**2)), not averaged "
            "like the data loss", _loss(per_example=True)),
]

# ---------------------------------------------------------------- predict


def _predict_case(seed: int, N: int, H: int, C: int, out_bias: float) -> Case:
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(2, H)), "b1": rng.normal(size=H),
              "W2": rng.normal(size=(H, C)),
              "b2": rng.normal(size=C) + out_bias}
    X = rng.uniform(-1.5, 1.5, size=(N, 2))
    y = rng.integers(0, C, size=N)
    label = (f"{N} points in the plane, W1 (2, {H}), W2 ({H}, {C}), biases "
             f"b2 ~ N({out_bias:g}, 1), seed {seed}")

    def run(impl) -> Outputs:
        predict, accuracy = impl
        copies = {k: v.copy() for k, v in params.items()}
        labels = predict(copies, X.copy())
        return {"predict(params, X)": labels,
                "accuracy(params, X, y)": accuracy(copies, X.copy(), y.copy())}
    return Case(label=label, run=run)


def _predict_cases() -> list[Case]:
    return [_predict_case(0, 30, 6, 3, 0.0), _predict_case(1, 40, 5, 4, -2.0)]


def _predict(*, relu: bool = True, hidden_bias: bool = True, relu_scores: bool = False,
             pick: Callable = np.argmax) -> Callable:
    def predict(params, X):
        z = X @ params["W1"] + (params["b1"] if hidden_bias else 0.0)
        scores = (np.maximum(z, 0.0) if relu else z) @ params["W2"] + params["b2"]
        return pick(np.maximum(scores, 0.0) if relu_scores else scores, axis=1)
    return predict


def _pair(predict: Callable = ref.predict,
          score: Callable[[np.ndarray], float] = lambda right: float(np.mean(right))):
    def accuracy(params, X, y):
        return score(predict(params, X) == y)
    return predict, accuracy


PREDICT_MISTAKES = [
    Mistake("predict_without_relu", "the hidden layer's ReLU is missing in predict, "
            "so it scores with a linear network", _pair(_predict(relu=False))),
    Mistake("predict_without_hidden_bias", "predict leaves out b1; the hidden layer "
            "is relu(X W1 + b1)", _pair(_predict(hidden_bias=False))),
    Mistake("predict_relu_on_scores", "a ReLU is applied to the output scores; they "
            "are X -> relu(X W1 + b1) W2 + b2, negative values included",
            _pair(_predict(relu_scores=True))),
    Mistake("predict_argmin", "predict takes the class with the LOWEST score; the "
            "label is the argmax", _pair(_predict(pick=np.argmin))),
    Mistake("accuracy_is_error_rate", "accuracy returns the fraction of WRONG "
            "labels; it is the fraction predict gets right",
            _pair(score=lambda right: float(1.0 - np.mean(right)))),
    Mistake("accuracy_is_a_count", "accuracy returns how many labels are right; "
            "divide by the number of examples for a fraction in [0, 1]",
            _pair(score=lambda right: float(np.sum(right)))),
]

# ---------------------------------------------------------------- train

THRESHOLD = 0.9   # validation accuracy the reference reaches (0.97-0.99)
BUDGET = 60.0     # seconds; the reference takes about half a second
N_PER_CLASS = 200
PROMISE = f"validation accuracy >= {THRESHOLD:g} within {BUDGET:g} s"


class _OutOfTime(BaseException):
    """Raised by the alarm; a BaseException so `except Exception` in student
    code cannot swallow it."""


def _call_within(fn: Callable[[], Any], budget: float) -> tuple[Any, float, bool]:
    """(result, seconds, finished): stop fn after ``budget`` seconds where a
    timer signal is available (the main thread on Unix), else only measure."""
    alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    previous = None
    if alarm:
        def stop(signum, frame):
            raise _OutOfTime
        previous = signal.signal(signal.SIGALRM, stop)
        signal.setitimer(signal.ITIMER_REAL, budget)
    start = time.perf_counter()
    try:
        result = fn()
        return result, time.perf_counter() - start, True
    except _OutOfTime:
        return None, time.perf_counter() - start, False
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _data(seed: int) -> tuple[np.ndarray, ...]:
    X, y = spirals(N_PER_CLASS, seed=seed)
    return ref.train_val_split(X, y, seed=seed)


def _params_of(result: Any, D: int, C: int, label: str) -> dict[str, np.ndarray]:
    """The params dict of train's result, or a sentence saying what is off."""
    params, _ = returned(result, "train", "params, history", f"({label})")
    if not isinstance(params, dict):
        raise CheckFailure(f"your train should return params as a dict with keys "
                           f"{list(KEYS)}, got {type(params).__name__} ({label})")
    missing = [k for k in KEYS if k not in params]
    if missing:
        raise CheckFailure(f"your params has no {missing} (it has {sorted(params)}) "
                           f"({label})")
    arrays = {k: np.asarray(params[k], dtype=np.float64) for k in KEYS}
    H = arrays["b1"].shape[0] if arrays["b1"].ndim == 1 else -1
    for k, shape in (("W1", (D, H)), ("b1", (H,)), ("W2", (H, C)), ("b2", (C,))):
        if arrays[k].shape != shape:
            raise CheckFailure(f"your params[{k!r}] has shape {fmt_shape(arrays[k].shape)}"
                               f", expected {fmt_shape(shape)} for {D} inputs and {C} "
                               f"classes ({label})")
        if not np.all(np.isfinite(arrays[k])):
            raise CheckFailure(f"your params[{k!r}] holds nan or inf after training: "
                               f"the run diverged (a learning rate far too large, or "
                               f"an update that climbs the loss) ({label})")
    return arrays


def _same_params(a: dict[str, np.ndarray], b: Any) -> bool:
    tol = tolerance("formula")
    try:
        other = {k: np.asarray(b[k], dtype=np.float64) for k in KEYS}
    except (TypeError, KeyError, IndexError, ValueError):
        return False
    return all(a[k].shape == other[k].shape
               and not (relative_errors(a[k], other[k], tol.floor) > tol.rtol).any()
               for k in KEYS)


def _diagnose_train(params: dict[str, np.ndarray], data: tuple) -> str | None:
    """The hint of the catalogued loop whose parameters equal the student's."""
    for mistake in TRAIN_MISTAKES:
        try:
            theirs, _ = mistake.impl(*(a.copy() for a in data))
        except Exception:
            continue
        if _same_params(params, theirs):
            return mistake.hint
    return None


def _train_case(seed: int) -> Case:
    n = 3 * N_PER_CLASS
    label = (f"spirals({N_PER_CLASS}, seed={seed}) split by train_val_split(X, y, "
             f"seed={seed}): {n - n // 5} training and {n // 5} validation points; "
             f"train(X_train, y_train, X_val, y_val) with its default hyperparameters")

    def run(impl) -> Outputs:
        data = _data(seed)
        result, took, finished = _call_within(
            lambda: impl(*(a.copy() for a in data)), BUDGET)
        if not finished:
            raise CheckFailure(f"your train was stopped after {took:.1f} s: it must "
                               f"finish within {BUDGET:g} s ({label}); fewer steps, a "
                               f"smaller network or vectorized code will help")
        params = _params_of(result, data[0].shape[1], 3, label)
        acc = ref.accuracy(params, data[2], data[3])
        if acc < THRESHOLD or took > BUDGET:
            raise CheckFailure(
                f"your train reached validation accuracy {acc:.3f} in {took:.1f} s; it "
                f"must reach at least {THRESHOLD:g} within {BUDGET:g} s ({label}; the "
                f"accuracy is measured with the course's predict)",
                diagnosis=_diagnose_train(params, data))
        return {PROMISE: 1.0}
    return Case(label=label, run=run, expected={PROMISE: 1.0})


def _train_cases() -> list[Case]:
    return [_train_case(1), _train_case(2)]


def _train(*, update: bool = True, sign: float = 1.0, aligned: bool = True,
           init_scale: float = 1.0, recompute: bool = True) -> Callable:
    """The reference training loop with one knob turned."""
    def train(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2, p_drop=0.1,
              lam=1e-4, batch_size=64, warmup=50, eval_every=50, seed=0):
        rng = np.random.default_rng(seed)
        C = int(max(y.max(), y_val.max())) + 1
        params = {k: init_scale * w for k, w in
                  ref.init_params(X.shape[1], hidden, C, rng=rng).items()}
        states = {k: adam_init(w) for k, w in params.items()}
        order, labels, grads = np.empty(0, dtype=int), np.empty(0, dtype=int), None
        for t in range(steps):
            if len(order) < batch_size:
                order = rng.permutation(len(y))
                labels = order if aligned else rng.permutation(len(y))
            batch, order = order[:batch_size], order[batch_size:]
            targets, labels = labels[:batch_size], labels[batch_size:]
            if recompute or grads is None:
                _, grads = ref.network_loss(params, X[batch], y[targets], p_drop=p_drop,
                                            lam=lam, rng=rng)
            rate = warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)
            for k, w in params.items():
                new, states[k] = adam_step(w, sign * grads[k], states[k], lr=rate)
                if update:
                    params[k] = new
        return params, {}
    return train


TRAIN_MISTAKES = [
    Mistake("train_update_discarded", "the parameters never change: adam_step "
            "RETURNS the new weights and state (it modifies nothing), so assign both",
            _train(update=False)),
    Mistake("train_gradient_negated", "the gradient passed to adam_step is negated, "
            "so every step climbs the loss; adam_step already subtracts",
            _train(sign=-1.0)),
    Mistake("train_labels_shuffled_apart", "X and y are shuffled with two different "
            "permutations, so the labels no longer belong to their points; index "
            "both with the same batch indices", _train(aligned=False)),
    Mistake("train_zero_init", "the weights start at zero: every hidden unit "
            "computes the same thing and, at the ReLU's kink, gets no gradient; "
            "start from small random weights (init_params)", _train(init_scale=0.0)),
    Mistake("train_gradient_computed_once", "the gradient is computed once, before "
            "the steps; call network_loss at every step, on that step's batch and "
            "the current parameters", _train(recompute=False)),
]

# ---------------------------------------------------------------- the table

GRADED: dict[str, Graded] = {
    "network_loss": Graded(name="network_loss", reference=ref.network_loss,
                           cases=_loss_cases, mistakes=tuple(LOSS_MISTAKES)),
    "predict": Graded(name="predict", reference=(ref.predict, ref.accuracy),
                      cases=_predict_cases, mistakes=tuple(PREDICT_MISTAKES)),
    "train": Graded(name="train", reference=ref.train, cases=_train_cases,
                    mistakes=tuple(TRAIN_MISTAKES)),
}
