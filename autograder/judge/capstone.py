"""Checks and known mistakes for the capstone (chapter 7).

Each part runs through a call of autograder.driver.calls.capstone. The
structure of every case is fixed and its numbers are drawn from the
grading run's seed, one generator per case.

``network_loss`` is graded on fixed dropout masks, so every output is
exact: random parameters with non-zero biases (an L2 penalty that reaches
them shows), shapes N, D, H, C all different, no dropout and dropout with
a mask that keeps some units and drops others, lam 0 and lam > 0, and a
test-time call (train=False) that is handed an rng it must not use.
``predict`` is graded with ``accuracy`` as the pair ``(predict,
accuracy)`` on random networks drawn until each catalogued wrong predict
changes some labels and no two change the same ones (the hidden biases,
the ReLU and the scores' signs all matter), in one case with output
biases that push many scores below zero; the labels are drawn so that
the accuracy is neither 0 nor 1/2 (where a count or an error rate would
pass for it). ``train`` is graded on what it achieves, not on how:
it trains with the student's own defaults on spirals drawn from the seed,
and must reach THRESHOLD validation accuracy within BUDGET seconds. The
accuracy is measured here, with the reference ``accuracy``, from the
parameters that came back; the call only reports the parameters and the
time. A run longer than the part's time limit is stopped outside the
sandbox. Train's mistakes are whole training loops that do not learn; one
is named only when the student's parameters equal that mistake's to
rounding, since two loops that both fail can fail in many ways (the time
is a measured output, which diagnosis ignores, and the history is not
sent, so only the parameters count).
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from autograder.driver import wire
from autograder.judge.core import Case, Graded, Mistake, Outputs, wire_type
from autograder.judge.feedback import CheckFailure, fmt_shape
from solutions import capstone as ref
from solutions.annealing import warmup_cosine
from solutions.gates import softmax_cross_entropy
from solutions.problems import spirals
from solutions.update_rules import adam_init, adam_step

KEYS = ("W1", "b1", "W2", "b2")


def _rng(seed: int, n: int) -> np.random.Generator:
    """The generator of case ``n`` of a grading run."""
    return np.random.default_rng([seed, n])


def _opaque(value: Any, name: str, should: str, label: str) -> None:
    """A sentence for a value that could not cross the wire as data."""
    if isinstance(value, wire.Opaque):
        raise CheckFailure(f"your {name} should be {should}, got {wire_type(value)} "
                           f"({label})")


# ---------------------------------------------------------------- network_loss

# (N, D, H, C), dropout in training, lam > 0, train
_LOSS_PLANS = [((6, 4, 5, 3), False, False, True),
               ((7, 3, 6, 4), False, True, True),
               ((6, 4, 5, 3), True, False, True),
               ((8, 2, 7, 3), True, True, True),
               ((5, 4, 6, 3), True, True, False)]


def _network(rng: np.random.Generator, N: int, D: int, H: int, C: int) -> tuple:
    """Normal params with non-zero biases, inputs X (N, D), labels (N,)
    with every class present."""
    params = {"W1": rng.normal(size=(D, H)), "b1": rng.normal(size=H),
              "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C)}
    X = rng.normal(size=(N, D))
    y = rng.permutation(np.arange(N) % C)
    return params, X, y


def _loss_case(rng: np.random.Generator, shape: tuple[int, int, int, int],
               dropout: bool, regularized: bool, train: bool) -> Case:
    N, D, H, C = shape
    params, X, y = _network(rng, N, D, H, C)
    p = round(float(rng.uniform(0.3, 0.6)), 2) if dropout else 0.0
    lam = round(float(rng.uniform(0.005, 0.05)), 3) if regularized else 0.0
    args: dict[str, Any] = {"params": params, "X": X, "y": y, "p_drop": p, "lam": lam}
    if train and dropout:
        keep = rng.random((N, H)) >= p
        while not 0 < keep.sum() < keep.size:
            keep = rng.random((N, H)) >= p
        args["mask"] = keep
        drop = (f"p_drop={p:g} with the fixed mask masks=(keep,), keep of shape "
                f"({N}, {H}) keeping {int(keep.sum())} of {keep.size} units")
    elif train:
        drop = "p_drop=0 (no dropout), masks=None"
    else:
        args.update(train=False, rng_seed=int(rng.integers(2**31)))
        drop = (f"train=False with p_drop={p:g} and an rng passed in: no dropout at "
                f"test time")
    label = (f"X of shape ({N}, {D}), W1 ({D}, {H}), W2 ({H}, {C}), {drop}, "
             f"lam={lam:g}; normal params (biases too) and X, every class in y")
    return Case(label=label, call="capstone.network_loss", args=args,
                prepare=_loss_readable(label, {"W1": (D, H), "b1": (H,), "W2": (H, C),
                                               "b2": (C,)}))


def _loss_readable(label: str, shapes: dict[str, tuple]) -> Callable[[Outputs], Outputs]:
    """Names what came back where a loss or a gradient could not cross the
    wire (a tensor, say); everything else is compared as it is."""
    def prepare(out: Outputs) -> Outputs:
        _opaque(out.get("loss"), "loss", "a single number", label)
        grads = out.get("grads")
        _opaque(grads, "grads", f"a dict with the keys {', '.join(KEYS)}", label)
        if isinstance(grads, dict):
            for k, shape in shapes.items():
                _opaque(grads.get(k), f"grads[{k!r}]",
                        f"a numpy array of shape {fmt_shape(shape)}", label)
        return out
    return prepare


def _loss_cases(seed: int) -> list[Case]:
    return [_loss_case(_rng(seed, n), *plan) for n, plan in enumerate(_LOSS_PLANS)]


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

# (N, H, C, mean of b2): the second case's negative output biases push many
# scores below zero, where a ReLU on the scores changes the label
_PREDICT_PLANS = [(30, 6, 3, 0.0), (40, 5, 4, -2.0)]


def _predict_case(rng: np.random.Generator, N: int, H: int, C: int,
                  out_bias: float) -> Case:
    while True:
        params = {"W1": rng.normal(size=(2, H)), "b1": rng.normal(size=H),
                  "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C) + out_bias}
        X = rng.uniform(-1.5, 1.5, size=(N, 2))
        enough = out_bias >= 0 or np.sum(_negative_best(params, X)) >= 3
        if enough and _told_apart(params, X):
            break
    y = rng.integers(0, C, size=N)
    while ref.accuracy(params, X, y) in (0.0, 0.5):
        y = rng.integers(0, C, size=N)
    label = (f"{N} points in the plane, W1 (2, {H}), W2 ({H}, {C}), normal params "
             f"with b2 ~ N({out_bias:g}, 1), labels y drawn at random "
             f"({int(np.sum(ref.predict(params, X) == y))} of {N} predicted right)")
    return Case(label=label, call="capstone.predict_accuracy",
                args={"params": params, "X": X, "y": y},
                prepare=_predict_readable(label, N))


def _negative_best(params: dict, X: np.ndarray) -> np.ndarray:
    """Rows whose highest score is below 0 and whose label is not 0: there a
    ReLU on the scores changes the label."""
    scores, _ = ref.mlp_forward(X, params)
    return (scores.max(axis=1) < 0) & (np.argmax(scores, axis=1) != 0)


def _told_apart(params: dict, X: np.ndarray) -> bool:
    """Whether every catalogued predict changes some label, and each changes
    different ones, so that a wrong predict is caught on every case and
    named for what it does (labels are discrete: two slips may agree on a
    few points)."""
    right = ref.predict(params, X)
    wrong = [m.impl[0](params, X) for m in PREDICT_MISTAKES if m.impl[0] is not ref.predict]
    return all(not np.array_equal(labels, right) for labels in wrong) and all(
        not np.array_equal(a, b) for i, a in enumerate(wrong) for b in wrong[:i])


def _predict_readable(label: str, N: int) -> Callable[[Outputs], Outputs]:
    def prepare(out: Outputs) -> Outputs:
        _opaque(out.get("predict(params, X)"), "predict(params, X)",
                f"a numpy array of shape ({N},)", label)
        _opaque(out.get("accuracy(params, X, y)"), "accuracy(params, X, y)",
                "a single number", label)
        return out
    return prepare


def _predict_cases(seed: int) -> list[Case]:
    return [_predict_case(_rng(seed, n), *plan) for n, plan in enumerate(_PREDICT_PLANS)]


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

THRESHOLD = 0.9   # validation accuracy the reference reaches (0.96-1.0)
BUDGET = 60.0     # seconds; the reference takes well under a second
N_PER_CLASS = 200
PROMISE = f"validation accuracy >= {THRESHOLD:g} within {BUDGET:g} s"


def _train_case(rng: np.random.Generator) -> Case:
    data_seed = int(rng.integers(1, 10**6))
    X, y = spirals(N_PER_CLASS, seed=data_seed)
    X_train, y_train, X_val, y_val = ref.train_val_split(X, y, seed=data_seed)
    label = (f"spirals({N_PER_CLASS}, seed={data_seed}) split by train_val_split(X, y, "
             f"seed={data_seed}): {len(y_train)} training and {len(y_val)} validation "
             f"points; train(X_train, y_train, X_val, y_val) with its default "
             f"hyperparameters")
    return Case(label=label, call="capstone.train",
                args={"X": X_train, "y": y_train, "X_val": X_val, "y_val": y_val},
                expected={PROMISE: 1.0}, measured=("seconds",),
                prepare=_achieved(label, X_val, y_val, X.shape[1], int(y.max()) + 1))


def _achieved(label: str, X_val: np.ndarray, y_val: np.ndarray, D: int,
              C: int) -> Callable[[Outputs], Outputs]:
    """The promise kept, or a sentence with the accuracy reached (measured
    here, with the reference's accuracy) and the time taken."""
    def prepare(out: Outputs) -> Outputs:
        if not isinstance(out, dict):
            raise CheckFailure(f"the outputs of your train could not be read ({label})")
        params = _params_of(out.get("params"), D, C, label)
        took = _seconds(out.get("seconds"), label)
        acc = ref.accuracy(params, X_val, y_val)
        if took > BUDGET:
            raise CheckFailure(
                f"your train took {took:.1f} s (validation accuracy {acc:.3f}); it must "
                f"finish within {BUDGET:g} s ({label}); fewer steps, a smaller network "
                f"or vectorized code will help")
        if acc < THRESHOLD:
            raise CheckFailure(
                f"your train reached validation accuracy {acc:.3f} in {took:.1f} s; it "
                f"must reach at least {THRESHOLD:g} within {BUDGET:g} s ({label}; the "
                f"accuracy is measured with the course's predict)")
        return {PROMISE: 1.0}
    return prepare


def _seconds(took: Any, label: str) -> float:
    """How long the run took, as the call measured it."""
    if isinstance(took, bool) or not isinstance(took, (int, float)) \
            or not math.isfinite(took) or took < 0:
        raise CheckFailure(f"the time your train took could not be read ({label})")
    return float(took)


def _params_of(params: Any, D: int, C: int, label: str) -> dict[str, np.ndarray]:
    """The params of train's result as float arrays, or a sentence saying
    what is off with them."""
    if not isinstance(params, dict):
        raise CheckFailure(f"your train should return params as a dict with keys "
                           f"{list(KEYS)}, got {wire_type(params)} ({label})")
    missing = [k for k in KEYS if k not in params]
    if missing:
        raise CheckFailure(f"your params has no {missing} (it has "
                           f"{sorted(params, key=str)}) ({label})")
    arrays = {}
    for k in KEYS:
        try:
            if isinstance(params[k], wire.Opaque):
                raise TypeError
            arrays[k] = np.asarray(params[k], dtype=np.float64)
        except (TypeError, ValueError):
            raise CheckFailure(f"your params[{k!r}] should be a numpy array of floats, "
                               f"got {wire_type(params[k])} ({label})") from None
    W1, b1 = arrays["W1"], arrays["b1"]
    H = b1.shape[0] if b1.ndim == 1 else W1.shape[1] if W1.ndim == 2 else "H"
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


def _train_cases(seed: int) -> list[Case]:
    return [_train_case(_rng(seed, n)) for n in range(2)]


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

# The given pieces each part calls: served by the course's versions while
# the part is judged, so a slip in an earlier assignment costs points there.
LOSS_PIECES = ("affine_forward", "affine_backward", "relu_forward", "relu_backward",
               "softmax_cross_entropy", "dropout_forward", "dropout_backward",
               "l2_penalty", "l2_grad")
PREDICT_PIECES = ("mlp_forward",)
TRAIN_PIECES = ("network_loss", "predict", "accuracy", "init_params", "adam_init",
                "adam_step", "warmup_cosine")

GRADED: dict[str, Graded] = {
    "network_loss": Graded(name="network_loss", reference=ref.network_loss,
                           names=("network_loss",), cases=_loss_cases,
                           mistakes=tuple(LOSS_MISTAKES), uses=LOSS_PIECES),
    "predict": Graded(name="predict", reference=(ref.predict, ref.accuracy),
                      names=("predict", "accuracy"), cases=_predict_cases,
                      mistakes=tuple(PREDICT_MISTAKES), uses=PREDICT_PIECES),
    "train": Graded(name="train", reference=ref.train, names=("train",),
                    cases=_train_cases, mistakes=tuple(TRAIN_MISTAKES), uses=TRAIN_PIECES),
}
