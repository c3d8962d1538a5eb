"""What the capstone's text promises, each held by the hidden cases.

The mistakes here are written apart from the catalogue (other code for the
same slip, or slips the catalogue does not hold), one group per way a
wrong answer used to pass: an input the cases never held (ties in
predict, the last history entry, the epoch boundaries), a contract the text
states that no case tested (inputs unchanged, rng untouched at test time,
train's options honoured), train graded on its accuracy alone (loops that
reach 0.9 with one fixed batch, no schedule, a reset optimizer or the
validation accuracy taken on the training data), and points lost in a cell
that grades something else.
"""
from __future__ import annotations

import functools
import time

import numpy as np
import pytest

from autograder.assignments import load
from autograder.assignments import notebook
from autograder.judge import capstone
from autograder.judge.capstone import GRADED, STEPS_WATCHES
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from solutions import capstone as ref
from solutions.annealing import warmup_cosine
from solutions.capstone import accuracy, init_params, network_loss
from solutions.update_rules import adam_init, adam_step

STEPS = GRADED["train_steps"]
HINT = {m.name: m.hint for g in GRADED.values() for m in g.mistakes}


def cells(key: str) -> list:
    return [c for c in load("capstone").cells if isinstance(c, notebook.Tests) and c.key == key]


def failing_cells(key: str, impl, seed: int = 0) -> list[tuple[int, ...]]:
    """The test cells of ``key`` (by their cases) that ``impl`` loses."""
    lost = []
    for cell in cells(key):
        try:
            check(GRADED[key.partition(".")[2]], impl, only=cell.cases, seed=seed)
        except CheckFailure:
            lost.append(cell.cases)
    return lost


def failure(key: str, impl, cases=None, seed: int = 0) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(GRADED[key], impl, only=cases, seed=seed)
    return err.value


def watch_case(watch: str) -> tuple[int, ...]:
    return (STEPS_WATCHES.index(watch),)


def loop(*, batch=None, rate=None, reset_each_epoch=False, val_on_fit=False,
         record_steps=None, before_update=False, fixed=None):
    """A training loop written as a student would (an epoch loop around a
    batch loop), with one part replaced: batch(perm, X, y, batch_size) ->
    (Xb, yb), rate(t, lr, warmup, steps) -> lr, the Adam states reset at
    every epoch, val_acc on the training data, record_steps(t, every,
    steps) -> bool, the accuracies taken before the update, or some
    hyperparameters kept at values of its own (``fixed``)."""
    def train(X, y, X_val, y_val, *, hidden=64, steps=1000, lr=1e-2, p_drop=0.1,
              lam=1e-4, batch_size=64, warmup=50, eval_every=50, seed=0):
        own = fixed or {}
        batch_size, p_drop = own.get("batch_size", batch_size), own.get("p_drop", p_drop)
        lam, eval_every = own.get("lam", lam), own.get("eval_every", eval_every)
        rng = np.random.default_rng(seed)
        C = int(max(y.max(), y_val.max())) + 1
        params = init_params(X.shape[1], hidden, C, rng=rng)
        states = {k: adam_init(w) for k, w in params.items()}
        history = {"step": [], "train_acc": [], "val_acc": []}
        t = 0
        while t < steps:
            if reset_each_epoch:
                states = {k: adam_init(w) for k, w in params.items()}
            perm = rng.permutation(len(y))
            for i in range(len(y) // batch_size):
                if t == steps:
                    break
                if batch is None:
                    idx = perm[i * batch_size:(i + 1) * batch_size]
                    Xb, yb = X[idx], y[idx]
                else:
                    Xb, yb = batch(perm, X, y, batch_size)
                _, grads = network_loss(params, Xb, yb, p_drop=p_drop, lam=lam, rng=rng)
                lr_t = (warmup_cosine(t, lr0=lr, warmup=warmup, total=steps) if rate is None
                        else rate(t, lr, warmup, steps))
                seen = dict(params)
                for k in params:
                    params[k], states[k] = adam_step(params[k], grads[k], states[k], lr=lr_t)
                seen = seen if before_update else params
                t += 1
                due = (t % eval_every == 0 or t == steps) if record_steps is None \
                    else record_steps(t, eval_every, steps)
                if due:
                    history["step"].append(t)
                    history["train_acc"].append(accuracy(seen, X, y))
                    history["val_acc"].append(accuracy(seen, X, y) if val_on_fit
                                              else accuracy(seen, X_val, y_val))
        return params, history
    return train


# ---------------------------------------------------------------- class 1

def predict_loop_ties_last(params, X):
    """Scores by hand, the best class kept with >=: a tie goes to the later."""
    s = np.maximum(X @ params["W1"] + params["b1"], 0) @ params["W2"] + params["b2"]
    labels = []
    for row in s:
        best = 0
        for c in range(1, len(row)):
            if row[c] >= row[best]:
                best = c
        labels.append(best)
    return np.array(labels)


def test_ties_in_predict_are_met_and_named():
    def accuracy_of_mine(params, X, y):
        return float(np.mean(predict_loop_ties_last(params, X) == y))
    err = failure("predict", (predict_loop_ties_last, accuracy_of_mine))
    assert "predict(params, X)" in str(err) and "tie on every row" in str(err)
    assert err.diagnosis == HINT["predict_ties_to_last"]


def test_the_last_history_entry_and_the_epoch_boundaries_are_reached():
    only_multiples = loop(record_steps=lambda t, every, steps: t % every == 0)
    err = failure("train_steps", only_multiples, watch_case("history"))
    assert "your history[\"step\"] is [" in str(err) and ", 11]" in str(err)
    assert err.diagnosis == HINT["train_history_misses_last_step"]
    reset = loop(reset_each_epoch=True)
    err = failure("train_steps", reset, watch_case("state"))
    assert "is a fresh one, not the state it returned at step" in str(err)
    assert err.diagnosis == HINT["train_adam_reset_every_epoch"]


def test_the_first_update_uses_lr_zero():
    late = loop(rate=lambda t, lr, warmup, steps: warmup_cosine(t + 1, lr0=lr, warmup=warmup,
                                                                total=steps))
    err = failure("train_steps", late, watch_case("lr"))
    assert "at step 0 is" in str(err) and "= 0.0" in str(err)
    assert err.diagnosis == HINT["train_schedule_one_step_late"]


# ---------------------------------------------------------------- class 2

def loss_clobbers_params(params, X, y, **kw):
    """Right loss and gradients; the weights are rescaled in place after."""
    loss, grads = ref.network_loss(params, X, y, **kw)
    params["W2"] *= 0.5
    return loss, grads


def loss_draws_always(params, X, y, *, p_drop, lam, rng=None, masks=None, train=True):
    """Draws a mask from rng whether or not it is used."""
    if rng is not None:
        rng.random((len(y), params["W1"].shape[1]))
    return ref.network_loss(params, X, y, p_drop=p_drop, lam=lam, rng=rng, masks=masks,
                            train=train)


def test_inputs_of_network_loss_stay_unchanged():
    err = failure("network_loss", loss_clobbers_params)
    assert "your network_loss changed its input params['W2'] in place" in str(err)
    assert "leave the inputs as they were" in str(err)
    err = failure("network_loss", capstone._loss_aliasing)
    assert err.diagnosis == HINT["grads_alias_params"]


def test_rng_is_not_touched_at_test_time():
    err = failure("network_loss", loss_draws_always)
    assert "drew from rng with train=False" in str(err)
    assert failing_cells("capstone.network_loss", loss_draws_always) == [(2, 3, 4)]


def test_predict_and_accuracy_leave_their_inputs():
    def predict_clips(params, X):
        np.clip(X, -1.0, 1.0, out=X)  # "keep the inputs in range", in place
        return ref.predict(params, X)
    err = failure("predict", (predict_clips, ref.accuracy))
    assert "your predict changed its input X in place" in str(err)


@pytest.mark.parametrize("ignored,watch,needle", [
    ("batch_size", "batches", "asks for"),
    ("p_drop", "loss", "train was called with p_drop="),
    ("lam", "loss", "train was called with lam="),
    ("eval_every", "history", "with steps=11 and eval_every="),
])
def test_train_honours_its_options(ignored, watch, needle):
    """A loop that keeps one hyperparameter at its own value loses the cell
    that watches it."""
    fixed = {"batch_size": 8, "p_drop": 0.1, "lam": 1e-4, "eval_every": 5}[ignored]
    err = failure("train_steps", loop(fixed={ignored: fixed}), watch_case(watch))
    assert needle in str(err)


def test_a_wrapped_train_is_watched_and_an_unwatchable_one_is_told_why():
    @functools.wraps(ref.train)
    def logged(*args, **kwargs):
        return ref.train(*args, **kwargs)
    check(STEPS, logged)
    check(STEPS, functools.partial(ref.train))
    namespace = {"np": np}
    exec("def train(X, y, X_val, y_val, **kw):\n    return {}, {}\n", namespace)
    err = failure("train_steps", namespace["train"], watch_case("batches"))
    assert "could not be watched" in str(err) and "network_loss and adam_step" in str(err)


# ---------------------------------------------------------------- class 3

def one_fixed_batch(perm, X, y, batch_size):
    return X[:batch_size], y[:batch_size]


LEARN_BUT_TRAIN_OTHERWISE = [
    ("the same batch every step", loop(batch=one_fixed_batch), "batches",
     "every step trained on the rows of step 0's batch", "train_one_fixed_batch"),
    ("no schedule", loop(rate=lambda t, lr, warmup, steps: lr), "lr",
     "the lr adam_step got for W1 at step 0 is", "train_constant_lr"),
    ("Adam reset every epoch", loop(reset_each_epoch=True), "state",
     "is a fresh one", "train_adam_reset_every_epoch"),
    ("val_acc on the training data", loop(val_on_fit=True), "history",
     "it is the accuracy on X_val, y_val", "train_val_acc_on_training_data"),
]


@pytest.mark.parametrize("what,train,watch,needle,mistake", LEARN_BUT_TRAIN_OTHERWISE,
                         ids=[w for w, *_ in LEARN_BUT_TRAIN_OTHERWISE])
def test_a_loop_that_reaches_the_accuracy_is_still_held_to_its_mechanics(
        what, train, watch, needle, mistake):
    for seed in (0, 1, 2):
        err = failure("train_steps", train, watch_case(watch), seed=seed)
        assert needle in str(err) and err.diagnosis == HINT[mistake], (seed, str(err))


@pytest.mark.parametrize("what,train", [(w, t) for w, t, *_ in LEARN_BUT_TRAIN_OTHERWISE[:2]],
                         ids=[w for w, *_ in LEARN_BUT_TRAIN_OTHERWISE[:2]])
def test_those_loops_do_reach_the_accuracy(what, train):
    """What slipped through before: the accuracy alone lets them pass."""
    check(GRADED["train"], train, only=[0])


def test_validation_is_evaluated_on_the_validation_split_and_after_the_update():
    err = failure("train_steps", loop(before_update=True), watch_case("history"))
    assert err.diagnosis == HINT["train_evaluated_before_update"]
    assert "of the params after" in str(err)


def test_mechanics_are_checked_within_two_seconds():
    start = time.perf_counter()
    check(STEPS, ref.train, seed=5)
    assert time.perf_counter() - start < 2.0
    for mistake in (capstone.STEPS_MISTAKES[0], capstone.STEPS_MISTAKES[-1]):
        start = time.perf_counter()
        with pytest.raises(CheckFailure) as err:
            check(STEPS, mistake.impl, seed=5)
        took = time.perf_counter() - start
        assert err.value.diagnosis == mistake.hint and took < 2.0, (mistake.name, took)


# ---------------------------------------------------------------- class 4

# the watches a catalogued mistake breaks: its own, and for three of them a
# second that it breaks as surely (one gradient for every step takes every
# step's batch from step 0; steps read as epochs make more updates, and
# history entries, than steps asks for)
ALSO = {"train_gradient_computed_once": {"batches", "loss"},
        "train_steps_counted_as_epochs": {"batches", "history"}}
WATCH_OF = {
    "batches": ("train_one_fixed_batch", "train_batches_with_replacement",
                "train_batches_drawn_one_by_one", "train_shuffled_once",
                "train_never_shuffled", "train_full_batch", "train_labels_shuffled_apart"),
    "loss": ("train_without_dropout", "train_lam_not_passed", "train_same_mask_every_step",
             "train_gradient_negated", "train_weight_decay_twice"),
    "lr": ("train_constant_lr", "train_lr_not_passed", "train_schedule_one_step_late",
           "train_schedule_per_epoch"),
    "state": ("train_update_discarded", "train_fresh_adam_state",
              "train_adam_reset_every_epoch"),
    "history": ("train_val_acc_on_training_data", "train_evaluated_before_update",
                "train_history_step_is_index", "train_history_misses_last_step",
                "train_acc_on_last_batch"),
}


def test_each_mechanics_cell_grades_one_watch_and_every_mistake_has_its_cell():
    steps_cells = cells("capstone.train_steps")
    assert [c.cases for c in steps_cells] == [(i,) for i in range(len(STEPS_WATCHES))]
    assert sum(c.points for c in steps_cells) == len(STEPS_WATCHES)
    named = {n for names in WATCH_OF.values() for n in names} | set(ALSO)
    assert named == {m.name for m in capstone.STEPS_MISTAKES}


@pytest.mark.parametrize("mistake", capstone.STEPS_MISTAKES, ids=lambda m: m.name)
def test_a_mechanics_mistake_costs_its_own_cells_only(mistake):
    watches = ALSO.get(mistake.name) or {w for w, names in WATCH_OF.items()
                                        if mistake.name in names}
    lost = failing_cells("capstone.train_steps", mistake.impl, seed=1)
    assert lost == [watch_case(w) for w in STEPS_WATCHES if w in watches], mistake.name


def test_a_slip_in_the_schedule_costs_no_accuracy_point_and_no_other_cell():
    no_schedule = loop(rate=lambda t, lr, warmup, steps: 3e-3)
    assert failing_cells("capstone.train_steps", no_schedule) == [watch_case("lr")]
    assert not failing_cells("capstone.train", no_schedule)


def test_the_visible_check_of_each_cell_catches_its_own_mistakes():
    from autograder.assignments.visible import capstone as visible
    checks = {"batches": visible.check_batches, "loss": visible.check_step_loss,
              "lr": visible.check_schedule, "state": visible.check_carried,
              "history": visible.check_history}
    assert [c.visible for c in cells("capstone.train_steps")] == [checks[w]
                                                                  for w in STEPS_WATCHES]
    by_name = {m.name: m for m in capstone.STEPS_MISTAKES}
    for watch, names in WATCH_OF.items():
        checks[watch](ref.train)
        for name in names:
            with pytest.raises(AssertionError):
                with np.errstate(all="ignore"):
                    checks[watch](by_name[name].impl)
