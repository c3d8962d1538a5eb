"""Checks and known mistakes for the capstone (chapter 7).

Each part runs through a call of autograder.driver.calls.capstone. The
structure of every case is fixed and its numbers are drawn from the
grading run's seed, one generator per case.

``network_loss`` is graded on fixed dropout masks, so every output is
exact: random parameters with non-zero biases (an L2 penalty that reaches
them shows), shapes N, D, H, C all different, no dropout and dropout with
a mask that keeps some units and drops others, lam 0 and lam > 0, and a
test-time call (train=False) that is handed an rng it must not use (the
call says whether it drew from it). On every case the call also says
which inputs (params, X, y, the mask) the function changed in place: the
text promises none.
``predict`` is graded with ``accuracy`` as the pair ``(predict,
accuracy)`` on random networks drawn until each catalogued wrong predict
changes some labels and no two change the same ones (the hidden biases,
the ReLU and the scores' signs all matter), in one case with output
biases that push many scores below zero, in another with two classes
whose scores tie on every row (the tie goes to the lower index); the
labels are drawn so that the accuracy is neither 0 nor 1/2 (where a count
or an error rate would pass for it), and neither function may change its
inputs.
``train`` is graded twice. On what it achieves (``GRADED["train"]``):
it trains with the student's own defaults on spirals drawn from the seed,
and must reach THRESHOLD validation accuracy within BUDGET seconds. The
accuracy is measured here, with the reference ``accuracy``, from the
parameters that came back; the call only reports the parameters and the
time. A run longer than the part's time limit is stopped outside the
sandbox. Those mistakes are whole training loops that do not learn; one
is named only when the student's parameters equal that mistake's to
rounding, since two loops that both fail can fail in many ways (the time
is a measured output, which diagnosis ignores, and the history is not
sent, so only the parameters count).
And on how it trains (``GRADED["train_steps"]``): the call runs train
with small settings of the case on random points and watches its calls of
network_loss and adam_step; one case per thing watched (the batches, the
loss of each step, the lr of each step, what is carried from step to
step, the history), each in a test cell of its own, so a slip in one
costs that cell's point only. The call reports facts that do not depend
on the run's random draws (the sizes, coverage and order of the batches,
the lr and state each update got, whether the history's accuracies are
those of the right split); ``prepare`` turns the first broken rule into a
sentence, and names the mistake whose pattern it is.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from autograder.driver import wire
from autograder.judge.core import Case, Graded, Mistake, Outputs, wire_type
from autograder.judge.feedback import CheckFailure, fmt_number, fmt_shape
from solutions import capstone as ref
from solutions.annealing import warmup_cosine
from solutions.capstone import accuracy, init_params, network_loss
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
    wire (a tensor, say), and an input changed in place or an rng drawn
    from at test time; the loss and the gradients are compared as they are."""
    def prepare(out: Outputs) -> Outputs:
        _opaque(out.get("loss"), "loss", "a single number", label)
        grads = out.get("grads")
        _opaque(grads, "grads", f"a dict with the keys {', '.join(KEYS)}", label)
        if isinstance(grads, dict):
            for k, shape in shapes.items():
                _opaque(grads.get(k), f"grads[{k!r}]",
                        f"a numpy array of shape {fmt_shape(shape)}", label)
        _unchanged(out, "network_loss", label)
        if out.get("rng_drawn"):
            raise CheckFailure(f"your network_loss drew from rng with train=False ({label}): "
                               f"at test time nothing is dropped and rng is left as it was")
        return {k: v for k, v in out.items() if k not in ("changed", "rng_drawn")}
    return prepare


def _unchanged(out: Outputs, name: str, label: str) -> None:
    """A sentence for inputs the call saw changed in place."""
    changed = out.get("changed")
    if isinstance(changed, (list, tuple)) and changed:
        raise CheckFailure(f"your {name} changed its input {', '.join(map(str, changed))} "
                           f"in place ({label}): leave the inputs as they were and compute "
                           f"on new arrays")


def _loss_cases(seed: int) -> list[Case]:
    return [_loss_case(_rng(seed, n), *plan) for n, plan in enumerate(_LOSS_PLANS)]


def _loss(*, rescale: bool = True, backward_mask: bool = True, biases: bool = False,
          grad_factor: float = 1.0, loss_penalty: bool = True, grad_penalty: bool = True,
          dW2_before_dropout: bool = False, mask_drops: bool = False,
          dropout_at_test: bool = False, classic_test: bool = False,
          per_example: bool = False, draw_at_test: bool = False) -> Callable:
    """A network_loss with one knob turned away from the reference."""
    def network_loss(params, X, y, *, p_drop, lam, rng=None, masks=None, train=True):
        W1, b1, W2, b2 = (np.asarray(params[k], dtype=np.float64) for k in KEYS)
        z = X @ W1 + b1
        h = np.maximum(z, 0.0)
        factor = np.ones_like(h)  # what dropout multiplied each unit by
        if draw_at_test and rng is not None and masks is None:
            drawn = rng.random(h.shape) >= p_drop  # drawn before looking at train
        if p_drop > 0 and (train or dropout_at_test):
            if masks is not None:
                keep = ~masks[0] if mask_drops else masks[0]
            elif draw_at_test and rng is not None:
                keep = drawn
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


def _loss_aliasing(params, X, y, *, p_drop, lam, rng=None, masks=None, train=True):
    """The right loss and gradients, the penalty's gradient added in the
    weights' own arrays (``g = params[name]`` is no copy)."""
    loss, grads = ref.network_loss(params, X, y, p_drop=p_drop, lam=0.0, rng=rng,
                                   masks=masks, train=train)
    for k in ref.WEIGHTS:
        w = params[k]
        loss += 0.5 * lam * float(np.sum(w * w))
        g = w
        g *= lam
        g += grads[k]
        grads[k] = g
    return loss, grads


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
    Mistake("grads_alias_params", "a gradient is built in the array of its weight "
            "(g = params[name], then g *= lam, g += ...), which changes params in place; "
            "start from a new array, e.g. grads[name] + lam * params[name]",
            _loss_aliasing),
    Mistake("test_time_draws_from_rng", "with train=False a mask is still drawn from rng "
            "(and not used); at test time network_loss leaves rng as it was",
            _loss(draw_at_test=True)),
]


# ---------------------------------------------------------------- predict

# (N, H, C, mean of b2, ties): the second case's negative output biases push
# many scores below zero, where a ReLU on the scores changes the label; in the
# third, classes 0 and 1 have the same scores on every row (equal columns of W2
# and entries of b2), so wherever they lead the label is the lower index, 0
_PREDICT_PLANS = [(30, 6, 3, 0.0, False), (40, 5, 4, -2.0, False), (24, 5, 3, 0.0, True)]


def _predict_case(rng: np.random.Generator, N: int, H: int, C: int,
                  out_bias: float, ties: bool) -> Case:
    while True:
        params = {"W1": rng.normal(size=(2, H)), "b1": rng.normal(size=H),
                  "W2": rng.normal(size=(H, C)), "b2": rng.normal(size=C) + out_bias}
        if ties:
            params["W2"][:, 1] = params["W2"][:, 0]
            params["b2"][1] = params["b2"][0]
        X = rng.uniform(-1.5, 1.5, size=(N, 2))
        enough = out_bias >= 0 or np.sum(_negative_best(params, X)) >= 3
        if ties:
            enough = np.sum(ref.predict(params, X) == 0) >= 3
        if enough and _told_apart(params, X, ties):
            break
    y = rng.integers(0, C, size=N)
    while ref.accuracy(params, X, y) in (0.0, 0.5):
        y = rng.integers(0, C, size=N)
    tied = (f"; classes 0 and 1 tie on every row (equal columns of W2 and entries of "
            f"b2), {int(np.sum(ref.predict(params, X) == 0))} rows where they lead"
            if ties else "")
    label = (f"{N} points in the plane, W1 (2, {H}), W2 ({H}, {C}), normal params "
             f"with b2 ~ N({out_bias:g}, 1){tied}, labels y drawn at random "
             f"({int(np.sum(ref.predict(params, X) == y))} of {N} predicted right)")
    return Case(label=label, call="capstone.predict_accuracy",
                args={"params": params, "X": X, "y": y},
                prepare=_predict_readable(label, N))


def _negative_best(params: dict, X: np.ndarray) -> np.ndarray:
    """Rows whose highest score is below 0 and whose label is not 0: there a
    ReLU on the scores changes the label."""
    scores, _ = ref.mlp_forward(X, params)
    return (scores.max(axis=1) < 0) & (np.argmax(scores, axis=1) != 0)


def _told_apart(params: dict, X: np.ndarray, ties: bool) -> bool:
    """Whether every catalogued predict changes some label, and each changes
    different ones, so that a wrong predict is caught on every case and
    named for what it does (labels are discrete: two slips may agree on a
    few points). A tie-break shows only where scores tie."""
    right = ref.predict(params, X)
    wrong = [m.impl[0](params, X) for m in PREDICT_MISTAKES if m.impl[0] is not ref.predict
             and (ties or m.name not in TIES_ONLY)]
    return all(not np.array_equal(labels, right) for labels in wrong) and all(
        not np.array_equal(a, b) for i, a in enumerate(wrong) for b in wrong[:i])


def _predict_readable(label: str, N: int) -> Callable[[Outputs], Outputs]:
    def prepare(out: Outputs) -> Outputs:
        _opaque(out.get("predict(params, X)"), "predict(params, X)",
                f"a numpy array of shape ({N},)", label)
        _opaque(out.get("accuracy(params, X, y)"), "accuracy(params, X, y)",
                "a single number", label)
        changed = out.get("changed")
        if isinstance(changed, (list, tuple)) and changed:
            fn, _, name = str(changed[0]).partition(": ")
            raise CheckFailure(f"your {fn} changed its input {name} in place ({label}): "
                               f"leave params, X and y as they were")
        return {k: v for k, v in out.items() if k != "changed"}
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
    Mistake("predict_ties_to_last", "where two classes tie for the highest score "
            "predict takes the later one (a >= in a loop over the classes); a tie goes "
            "to the lowest class index, as np.argmax does",
            _pair(_predict(pick=lambda s, axis: s.shape[axis] - 1
                           - np.argmax(np.flip(s, axis=axis), axis=axis)))),
]
TIES_ONLY = ("predict_ties_to_last",)

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
           init_scale: float = 1.0, recompute: bool = True, batches: str = "epochs",
           steps_are_epochs: bool = False, p_drop_used: float | None = None,
           lam_used: float | None = None, mask_restarts: bool = False,
           decay: bool = False, schedule: str = "warmup_cosine", state: str = "carried",
           val_on: str = "val", evaluate: str = "after", step_label: str = "updates",
           last: bool = True, train_acc_on: str = "all") -> Callable:
    """The reference training loop with one knob turned.

    batches: "epochs" (a new permutation each epoch), "fixed" (one batch
    for every step), "replacement" (rows drawn with replacement at each
    step), "independent" (each batch drawn without replacement on its
    own), "once" (one permutation before the loop), "stored" (X's order),
    "full" (all rows at every step). schedule: "warmup_cosine",
    "constant" (lr), "none" (no lr passed), "late" (at t + 1),
    "per_epoch" (at the epoch's number). state: "carried", "fresh" (a
    new one at every step), "epoch" (reset at every epoch). The history
    knobs: val_acc measured on "val" or "fit" (the training data),
    accuracies measured "after" or "before" the step's update, "step"
    recorded as the updates done or the 0-based index, an entry after the
    last step or not, train_acc on "all" of X or the last "batch".
    """
    def train(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2, p_drop=0.1,
              lam=1e-4, batch_size=64, warmup=50, eval_every=50, seed=0):
        rng = np.random.default_rng(seed)
        N, C = len(y), int(max(y.max(), y_val.max())) + 1
        params = {k: init_scale * w for k, w in
                  init_params(X.shape[1], hidden, C, rng=rng).items()}
        states = {k: adam_init(w) for k, w in params.items()}
        per_epoch = max(N // batch_size, 1)
        updates = steps * per_epoch if steps_are_epochs else steps
        order, labels, grads = np.empty(0, dtype=int), np.empty(0, dtype=int), None
        fixed = rng.permutation(N)[:batch_size] if batches == "fixed" else None
        once = rng.permutation(N) if batches == "once" else None
        log = {key: [] for key in ("step", "loss", "train_acc", "val_acc")}
        losses = []
        for t in range(updates):
            if batches in ("epochs", "once", "stored"):
                if len(order) < batch_size:  # a new epoch
                    order = {"epochs": lambda: rng.permutation(N), "once": lambda: once,
                             "stored": lambda: np.arange(N)}[batches]()
                    labels = order if aligned else rng.permutation(N)
                    if state == "epoch":
                        states = {k: adam_init(w) for k, w in params.items()}
                batch, order = order[:batch_size], order[batch_size:]
                targets, labels = labels[:batch_size], labels[batch_size:]
            else:
                batch = {"fixed": lambda: fixed, "full": lambda: np.arange(N),
                         "replacement": lambda: rng.integers(0, N, size=batch_size),
                         "independent": lambda: rng.choice(N, size=batch_size,
                                                           replace=False)}[batches]()
                targets = batch
            if recompute or grads is None:
                loss, grads = network_loss(
                    params, X[batch], y[targets],
                    p_drop=p_drop if p_drop_used is None else p_drop_used,
                    lam=lam if lam_used is None else lam_used,
                    rng=np.random.default_rng(seed) if mask_restarts else rng)
                losses.append(loss)
            at = {"late": t + 1, "per_epoch": t // per_epoch}.get(schedule, t)
            options = {"lr": lr if schedule == "constant" else
                       warmup_cosine(at, lr0=lr, warmup=warmup, total=steps)}
            if schedule == "none":
                options = {}
            if decay:
                options["weight_decay"] = lam
            old, params = params, {}
            for k, w in old.items():
                new, states[k] = adam_step(w, sign * grads[k],
                                           adam_init(w) if state == "fresh" else states[k],
                                           **options)
                params[k] = new if update else w
            if (t + 1) % eval_every == 0 or (last and t == updates - 1):
                seen = params if evaluate == "after" else old
                log["step"].append(t + 1 if step_label == "updates" else t)
                log["loss"].append(float(np.mean(losses)))
                log["train_acc"].append(accuracy(seen, X[batch], y[batch])
                                        if train_acc_on == "batch" else accuracy(seen, X, y))
                log["val_acc"].append(accuracy(seen, X, y) if val_on == "fit"
                                      else accuracy(seen, X_val, y_val))
                losses = []
        return params, {key: np.array(values) for key, values in log.items()}
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
_BY_NAME = {m.name: m for m in TRAIN_MISTAKES}

# ---------------------------------------------------------------- train: how it trains

# What each case watches, and its settings: batch sizes to draw from, steps
# per epoch (the training set is batch_size * per_epoch rows, so batches
# fill every epoch exactly, whether or not a loop keeps a last short one),
# steps, warm-ups, the validation size. The history's case has its own
# sizes: 24 training rows, batches of 7 and 1009 validation rows, all prime
# to one another, so an accuracy on one set of rows cannot pass for one on
# another (k / 24 = j / 1009 only at 0 and 1), and rates of 0.1 to 0.3 on
# many validation rows: large enough that the accuracy moves from one update
# to the next (an evaluation one update early shows: in 1000 draws it always
# did), small enough not to silence every ReLU (which freezes it).
STEPS_WATCHES = ("batches", "loss", "lr", "state", "history")
_STEPS_PLANS = {
    "batches": dict(batch=(4, 5, 6), per_epoch=4, steps=(12,), warmup=(2,), val=(7,)),
    "loss": dict(batch=(4, 5), per_epoch=3, steps=(6,), warmup=(2,), val=(7,)),
    "lr": dict(batch=(4,), per_epoch=3, steps=(9, 10, 11, 12), warmup=(2, 3, 4), val=(7,)),
    "state": dict(batch=(4, 5), per_epoch=3, steps=(7,), warmup=(2,), val=(7,)),
    "history": dict(batch=(7,), train=24, steps=(11,), warmup=(2,), val=(1009,),
                    eval_every=(3, 4), lr=(0.1, 0.3)),
}
STEPS_PROMISES = {
    "batches": "one new batch of training rows per step, every epoch a new order",
    "loss": "network_loss with dropout and L2 at the current weights, its gradient "
            "to adam_step",
    "lr": "lr = warmup_cosine(t, lr0=lr, warmup=warmup, total=steps) at step t",
    "state": "the weights and Adam state adam_step returned, carried to the next step",
    "history": "history entries after the right steps, accuracies of the right splits",
}


def _steps_case(rng: np.random.Generator, watch: str) -> Case:
    plan = _STEPS_PLANS[watch]
    B = int(rng.choice(plan["batch"]))
    N, M = plan.get("train") or B * plan["per_epoch"], int(rng.choice(plan["val"]))
    steps = int(rng.choice(plan["steps"]))
    options = {"hidden": int(rng.choice((4, 5, 6))), "steps": steps,
               "lr": round(float(rng.uniform(*plan.get("lr", (0.01, 0.1)))), 4),
               "p_drop": round(float(rng.uniform(0.2, 0.5)), 2),
               "lam": round(float(rng.uniform(0.001, 0.02)), 4), "batch_size": B,
               "warmup": int(rng.choice(plan["warmup"])),
               "eval_every": int(rng.choice(plan.get("eval_every", (steps,)))),
               "seed": int(rng.integers(2**31))}
    X, X_val = rng.normal(size=(N, 2)), rng.normal(size=(M, 2))
    y, y_val = rng.permutation(np.arange(N) % 3), rng.permutation(np.arange(M) % 3)
    settings = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in options.items())
    label = (f"train(X, y, X_val, y_val, {settings}) on {N} training and {M} validation "
             f"points (2 inputs, 3 classes, normal X, every class in y and y_val), its "
             f"calls of network_loss and adam_step watched")
    return Case(label=label, call="capstone.train_steps",
                args={"X": X, "y": y, "X_val": X_val, "y_val": y_val,
                      "options": options, "watch": watch},
                expected={STEPS_PROMISES[watch]: 1.0},
                measured=("seen",) if watch == "history" else (),
                prepare=_watched(watch, label, options, N))


def _steps_cases(seed: int) -> list[Case]:
    return [_steps_case(_rng(seed, 10 + n), watch) for n, watch in enumerate(STEPS_WATCHES)]


def _watched(watch: str, label: str, options: dict, N: int) -> Callable[[Outputs], Outputs]:
    """The rules of one watch, applied to the facts the call saw: the
    promise kept, or the first rule broken as a sentence, with the hint of
    the catalogued mistake whose pattern it is (when it is one)."""
    rules = {"batches": _batch_rules, "loss": _loss_rules, "lr": _lr_rules,
             "state": _state_rules, "history": _history_rules}[watch]

    def prepare(out: Outputs) -> Outputs:
        if not isinstance(out, dict):
            raise CheckFailure(f"the outputs of your train could not be read ({label})")
        if not out.get("updates"):
            raise CheckFailure(
                f"your train made no update with adam_step ({label}): move every "
                f"parameter with adam_step (the given one, called by that name) at "
                f"every step")
        rules(out, _Say(label), options, N)
        return {STEPS_PROMISES[watch]: 1.0}
    return prepare


class _Say:
    """Raises the sentence of a broken rule, with the case's label."""

    def __init__(self, label: str):
        self.label = label

    def __call__(self, sentence: str, mistake: str | None = None) -> None:
        hint = _hint(mistake) if mistake else None
        raise CheckFailure(f"{sentence} ({self.label})", diagnosis=hint)


def _hint(name: str) -> str:
    return {m.name: m for m in (*TRAIN_MISTAKES, *STEPS_MISTAKES)}[name].hint


def _batch_rules(f: Outputs, say: _Say, o: dict, N: int) -> None:
    n, steps, B = f["updates"], o["steps"], o["batch_size"]
    calls = f.get("loss_calls") or 0
    if calls == 0:
        say("your train never called network_loss (with train on): compute each "
            "step's loss and gradient with network_loss, called by that name")
    if n != steps:
        say(f"your train made {n} updates of W1 with adam_step for steps={steps}; a step "
            f"is one mini-batch and one update of every parameter",
            "train_steps_counted_as_epochs" if n == steps * (N // B) else None)
    if calls == 1 and n > 1:
        say(f"your train called network_loss once for {n} steps",
            "train_gradient_computed_once")
    for k in range(n):
        size, outside, val = f["size"][k], f["outside"][k], f["from_val"][k]
        if size != B:
            say(f"at step {k} network_loss got {size} rows; batch_size={B} asks for {B}",
                "train_full_batch" if size == N else None)
        if val:
            say(f"at step {k} network_loss got {val} rows of the validation split "
                f"X_val; train on X, y only")
        if outside:
            say(f"at step {k} network_loss got {outside} rows that are not rows of X: pass "
                f"it rows of X as they are (the grader recognises them by their values)")
        if f["distinct"][k] < size:
            say(f"the batch of step {k} holds {size} rows but only {f['distinct'][k]} "
                f"different ones: a row is drawn more than once",
                "train_batches_with_replacement")
        if not f["aligned"][k]:
            say(f"at step {k} the labels network_loss got are not those of its rows of X",
                "train_labels_shuffled_apart")
    if n > 1 and all(f["as_step_0"]):
        say(f"every step trained on the rows of step 0's batch", "train_one_fixed_batch")
    per_epoch = N // B
    for e, covers in enumerate(f["epoch_covers"]):
        if not covers:
            say(f"the batches of epoch {e} (steps {e * per_epoch} to {(e + 1) * per_epoch - 1})"
                f" do not take each of the {N} training rows once: an epoch is one pass "
                f"over a permutation of the rows, cut into batches",
                "train_batches_drawn_one_by_one")
    for e, stored in enumerate(f["epoch_in_stored_order"]):
        if stored:
            say(f"epoch {e} takes the rows in their stored order 0, 1, ..., {N - 1}: each "
                f"epoch visits them in a new random order",
                "train_never_shuffled" if all(f["epoch_in_stored_order"]) else None)
    for e, repeats in enumerate(f["epoch_repeats_previous"]):
        if repeats:
            say(f"epoch {e} visits the rows in the same order as epoch {e - 1}: draw a new "
                f"permutation at the start of every epoch", "train_shuffled_once")


def _loss_rules(f: Outputs, say: _Say, o: dict, N: int) -> None:
    for k in range(f["updates"]):
        if not f["called"][k]:
            say(f"adam_step at step {k} came before any network_loss call (with train on)")
        if not f["train"][k]:
            say(f"network_loss at step {k} was called with train=False: the training "
                f"step uses dropout", "train_without_dropout")
        if f["p_drop"][k] is None or f["p_drop"][k] != o["p_drop"]:
            got = "no p_drop" if f["p_drop"][k] is None else f"p_drop={f['p_drop'][k]:g}"
            say(f"network_loss at step {k} got {got}; train was called with "
                f"p_drop={o['p_drop']:g}",
                "train_without_dropout" if f["p_drop"][k] == 0 else None)
        if f["lam"][k] is None or f["lam"][k] != o["lam"]:
            got = "no lam" if f["lam"][k] is None else f"lam={f['lam'][k]:g}"
            say(f"network_loss at step {k} got {got}; train was called with "
                f"lam={o['lam']:g}", "train_lam_not_passed" if f["lam"][k] == 0 else None)
        if not f["random"][k]:
            say(f"network_loss at step {k} got neither an rng nor masks to drop units with")
        if not f["new_randomness"][k]:
            say(f"the dropout randomness of step {k} is an earlier step's (the generator "
                f"passed is in the same state): every such step drops the same units",
                "train_same_mask_every_step")
        if not f["current_weights"][k]:
            say(f"network_loss at step {k} got other weights than the ones adam_step then "
                f"moved: the gradient of each step is taken at the current weights")
        if f["gradient"][k] != 1:
            say(f"adam_step at step {k} got "
                + ("the negated gradients" if f["gradient"][k] == -1 else
                   "other gradients than the ones") + " network_loss returned",
                "train_gradient_negated" if f["gradient"][k] == -1 else None)
        if f["weight_decay"][k]:
            say(f"adam_step at step {k} got weight_decay={f['weight_decay'][k]:g}, on top of "
                f"the lam network_loss already puts in the gradient", "train_weight_decay_twice")


def _lr_rules(f: Outputs, say: _Say, o: dict, N: int) -> None:
    steps, lr, warmup = o["steps"], o["lr"], o["warmup"]

    def schedule(t: int) -> float:
        return warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)
    per_epoch = N // o["batch_size"]
    patterns = {"train_constant_lr": lambda t: lr, "train_lr_not_passed": lambda t: 1e-3,
                "train_schedule_one_step_late": lambda t: schedule(t + 1),
                "train_schedule_per_epoch": lambda t: schedule(t // per_epoch)}
    for name in KEYS:
        got = f["lr"].get(name, [])[:steps]
        for t, rate in enumerate(got):
            if rate is None or not _close(rate, schedule(t)):
                mistake = next((m for m, rule in patterns.items()
                                if all(r is not None and _close(r, rule(s))
                                       for s, r in enumerate(got))), None)
                shown = "no number" if rate is None else fmt_number(rate)
                say(f"the lr adam_step got for {name} at step {t} is {shown}; it is "
                    f"warmup_cosine({t}, lr0={lr:g}, warmup={warmup}, total={steps}) = "
                    f"{fmt_number(schedule(t))}", mistake)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b)) + 1e-15


def _state_rules(f: Outputs, say: _Say, o: dict, N: int) -> None:
    n, per_epoch = f["updates"], N // o["batch_size"]
    for name in KEYS:
        if name not in f["state"]:
            say(f"your train never moved {name} with adam_step (it moved "
                f"{', '.join(sorted(f['state']))}): every parameter has its own update "
                f"and Adam state")
        if len(f["state"][name]) != n:
            say(f"your train moved {name} {len(f['state'][name])} times and W1 {n} times: "
                f"each step moves every parameter once")
    for name in KEYS:
        for k, code in enumerate(f["weights"][name]):
            if code != 1:
                say(f"at step {k} adam_step got {name} "
                    + ("as it was before any update" if code == 0 else
                       "other than the weights it returned at the step before")
                    + ": keep the new weights adam_step returns",
                    "train_update_discarded" if code == 0 else None)
    for name in KEYS:
        codes = f["state"][name]
        if codes and codes[0] != 0:
            say(f"the Adam state adam_step got for {name} at step 0 is not a fresh one "
                f"(adam_init: t = 0, m = v = 0)")
        for k, code in enumerate(codes[1:], start=1):
            if code == 1:
                continue
            if code == 0:
                resets = [j for j, c in enumerate(codes) if c == 0 and j]
                every = resets == list(range(1, len(codes)))
                at_epochs = resets == [j for j in range(1, len(codes)) if j % per_epoch == 0]
                say(f"the Adam state adam_step got for {name} at step {k} is a fresh one, "
                    f"not the state it returned at step {k - 1}",
                    "train_fresh_adam_state" if every else
                    "train_adam_reset_every_epoch" if at_epochs else None)
            say(f"the Adam state adam_step got for {name} at step {k} is "
                + ("the one it returned for another parameter" if code == 3 else
                   "not the state it returned for it at step " + str(k - 1))
                + ": each parameter has its own state, passed on from step to step")


def _history_rules(f: Outputs, say: _Say, o: dict, N: int) -> None:
    steps, every = o["steps"], o["eval_every"]
    if f["kind"] not in ("dict", "records"):
        say(f"your train's history should be a dict of arrays (\"step\", \"train_acc\", "
            f"\"val_acc\", ... as in the docstring), got {f['kind']}")
    if f["step"] is None:
        say("your history has no \"step\": record the number of updates done at each entry")
    expected = list(range(every, steps + 1, every)) + ([steps] if steps % every else [])
    if f["step"] != expected:
        mistake = ("train_history_step_is_index" if f["step"] == [s - 1 for s in expected]
                   else "train_history_misses_last_step" if f["step"] == expected[:-1]
                   else None)
        say(f"your history[\"step\"] is {f['step']}; with steps={steps} and "
            f"eval_every={every} it is {expected} (an entry after every eval_every-th step "
            f"and after the last, counting the updates done)", mistake)
    entries = f["entries"]
    for key, count in (("val_acc", entries[1]), ("train_acc", entries[2])):
        if count is None:
            say(f"your history has no \"{key}\"")
        if count != len(expected):
            say(f"your history[\"{key}\"] has {count} entries and history[\"step\"] "
                f"{len(expected)}: one of each per entry")
    seen = f.get("seen") or {}
    values = seen.get("accuracy", {})
    for key, split, others in (
            ("val_acc", "X_val, y_val", (("all of X, y", "train_val_acc_on_training_data"),
                                         ("the params one update earlier",
                                          "train_evaluated_before_update"))),
            ("train_acc", "all of X, y", (("the last batch", "train_acc_on_last_batch"),
                                          ("X_val, y_val", None),
                                          ("the params one update earlier",
                                           "train_evaluated_before_update")))):
        for i, ok in enumerate(f[key]):
            if ok:
                continue
            also = (seen.get(f"{key}_on") or [[]])[i] if i < len(seen.get(f"{key}_on") or []) \
                else []
            mistake = next((m for (_, m), hit in zip(others, also) if hit), None)
            recorded = (seen.get(key) or [None] * (i + 1))[i]
            right = values.get(str(i), {}).get("val" if key == "val_acc" else "fit")
            shown = "not a number" if recorded is None else fmt_number(recorded)
            exp = "" if right is None else f" ({fmt_number(right)})"
            say(f"your history[\"{key}\"][{i}] is {shown}; it is the accuracy on {split} of "
                f"the params after {expected[i]} updates{exp}, without dropout", mistake)


STEPS_MISTAKES = [
    Mistake("train_one_fixed_batch", "every step trains on the same batch; take the next "
            "batch_size rows of the epoch's permutation at each step",
            _train(batches="fixed")),
    Mistake("train_batches_with_replacement", "the rows of a batch are drawn with "
            "replacement (rng.integers, or rng.choice with its default replace=True), so "
            "rows repeat and others are missed; cut each epoch's permutation into batches",
            _train(batches="replacement")),
    Mistake("train_batches_drawn_one_by_one", "each batch is drawn on its own (rng.choice "
            "without replacement at every step), so an epoch repeats some rows and misses "
            "others; cut one permutation per epoch into consecutive batches",
            _train(batches="independent")),
    Mistake("train_shuffled_once", "the rows are shuffled once, before the loop, so every "
            "epoch visits them in the same order; draw a new permutation at the start of "
            "each epoch", _train(batches="once")),
    Mistake("train_never_shuffled", "the batches are taken in the stored order of X, "
            "never shuffled; each epoch visits the rows in a new random permutation",
            _train(batches="stored")),
    Mistake("train_full_batch", "every step uses the whole training set; a step is one "
            "mini-batch of batch_size rows", _train(batches="full")),
    _BY_NAME["train_labels_shuffled_apart"],
    _BY_NAME["train_gradient_computed_once"],
    Mistake("train_steps_counted_as_epochs", "steps is read as a number of epochs; it "
            "counts updates, one per mini-batch", _train(steps_are_epochs=True)),
    Mistake("train_without_dropout", "the training step calls network_loss without "
            "dropout; pass p_drop and the rng on to it", _train(p_drop_used=0.0)),
    Mistake("train_lam_not_passed", "the penalty strength is not passed on to "
            "network_loss (lam=0 in the step); pass lam=lam", _train(lam_used=0.0)),
    Mistake("train_same_mask_every_step", "a new generator is made from seed at every "
            "step, so every step drops the same units; create the generator once, before "
            "the loop, and pass that one", _train(mask_restarts=True)),
    _BY_NAME["train_gradient_negated"],
    Mistake("train_weight_decay_twice", "adam_step also gets weight_decay=lam, so the "
            "penalty counts twice: network_loss already puts lam * W in the gradient",
            _train(decay=True)),
    Mistake("train_constant_lr", "the learning rate is the same at every step; pass "
            "lr=warmup_cosine(t, lr0=lr, warmup=warmup, total=steps) to adam_step",
            _train(schedule="constant")),
    Mistake("train_lr_not_passed", "adam_step gets no lr, so it moves with its default "
            "1e-3; pass lr=warmup_cosine(t, lr0=lr, warmup=warmup, total=steps)",
            _train(schedule="none")),
    Mistake("train_schedule_one_step_late", "the schedule is evaluated at t + 1: the "
            "update of step t (counted from 0) uses warmup_cosine(t, lr0=lr, "
            "warmup=warmup, total=steps), so the first one uses lr = 0",
            _train(schedule="late")),
    Mistake("train_schedule_per_epoch", "the schedule is evaluated at the epoch's number; "
            "t counts the steps (mini-batches), 0 to steps - 1",
            _train(schedule="per_epoch")),
    _BY_NAME["train_update_discarded"],
    Mistake("train_fresh_adam_state", "the Adam state given to adam_step is a fresh one "
            "at every step, so its moments never build up; keep the state adam_step "
            "returns and pass it on at the next step", _train(state="fresh")),
    Mistake("train_adam_reset_every_epoch", "the Adam state is reset with adam_init at "
            "every epoch; make it once, before the loop, and carry it through",
            _train(state="epoch")),
    Mistake("train_val_acc_on_training_data", "val_acc is measured on the training data; "
            "it is the accuracy on X_val, y_val", _train(val_on="fit")),
    Mistake("train_evaluated_before_update", "the accuracies are measured before the "
            "step's update; record them after adam_step, with the params the step made",
            _train(evaluate="before")),
    Mistake("train_history_step_is_index", "history[\"step\"] records t, the 0-based "
            "index of the step; it counts the updates done, t + 1",
            _train(step_label="index")),
    Mistake("train_history_misses_last_step", "there is no entry after the last step "
            "when steps is not a multiple of eval_every; add one after the last step too",
            _train(last=False)),
    Mistake("train_acc_on_last_batch", "train_acc is measured on the last batch; it is "
            "the accuracy on all of X, y", _train(train_acc_on="batch")),
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
                    cases=_train_cases, mistakes=tuple(TRAIN_MISTAKES), uses=TRAIN_PIECES,
                    rerun_in_notebook=False),  # two whole trainings: not repeated there
    "train_steps": Graded(name="train", reference=ref.train, names=("train",),
                          cases=_steps_cases, mistakes=tuple(STEPS_MISTAKES),
                          uses=TRAIN_PIECES),
}
