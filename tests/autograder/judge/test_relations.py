"""What the student's outputs have in common with the expected ones.

Two halves: wrong implementations of the course's own parts, none of them
in a catalogue, each caught and told the relation its outputs show (one
per relation); then :func:`relations.explain` on made-up outputs, for the
relations no course part exercises on its own and for what must NOT be
said (too few entries, outside the tolerance, plain noise)."""
from __future__ import annotations

import re

import numpy as np
import pytest

from autograder.judge import graded, relations
from autograder.judge.backprop import _Engine
from autograder.judge.core import Case, check, matches, run_local
from autograder.judge.feedback import CheckFailure
from solutions import annealing as an
from solutions import backprop as bp
from solutions import capstone as cp
from solutions import gates as gt
from solutions import gradcheck as gc
from solutions import regularization as rg
from solutions import update_rules as ur


def _failure(key: str, impl, **kw) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(graded(key), impl, **kw)
    return err.value


# ---------------------------------------------------------------- wrong implementations

def _affine(change):
    """affine_backward with its three results passed through ``change``."""
    return bp.affine_forward, lambda dout, cache: change(*bp.affine_backward(dout, cache))


def _dropout_keeps_out(x, p, *, train=True, mask=None, mode="inverted"):
    out, cache = rg.dropout_forward(x, p, train=train, mask=mask, mode=mode)
    return out, (cache, out)


def _adam_stuck(w, g, state, **hyper):
    return w.copy(), ur.adam_step(w, g, state, **hyper)[1]


def _adam_t_from_zero(w, g, state, **hyper):
    return ur.adam_step(w, g, state._replace(t=0), **hyper)


def _gradient_rolled(f, x, *, h=1e-5, method="centered"):
    g = gc.numerical_gradient(f, x, h=h, method=method)
    return np.roll(g.ravel(), -1).reshape(g.shape)


def _transposed_w1(dscores, cache):
    grads = bp.mlp_backward(dscores, cache)
    return {**grads, "W1": grads["W1"].T.copy()}


class _NoBackward(_Engine):
    def backward(self):  # the root's own gradient only
        self.grad += 1.0


class _BackwardTwice(_Engine):
    def backward(self):
        bp.Value.backward(self)
        bp.Value.backward(self)


def _momentum_default_mu(w, g, state, *, lr, mu=0.9):
    return ur.momentum_step(w, g, state, lr=lr)  # mu not passed on


def _momentum_no_mu(w, g, state, *, lr, mu=0.9):
    return ur.momentum_step(w, g, state, lr=lr, mu=0.0)


WRONG = {
    "zeros": ("backprop.affine", _affine(lambda dx, dW, db: (dx, dW, np.zeros_like(db))), {},
              "your db is 0 everywhere, where the expected one is not: the gradient never "
              "reaches it"),
    "another output": ("regularization.dropout", (_dropout_keeps_out, lambda d, c: c[1]), {},
                       "your dx is exactly the expected out: are two outputs returned in "
                       "each other's place?"),
    "an input unchanged": ("gates.sigmoid", (gt.sigmoid_forward, lambda d, c: d.copy()), {},
                           "your dx is the input dout, unchanged"),
    "never moves": ("update_rules.adam", (ur.adam_init, _adam_stuck), {},
                    "your w never moves: it equals its start, the input w0, at every step"),
    "the same at every step": ("update_rules.adam", (ur.adam_init, _adam_t_from_zero), {},
                               "your state.t does not change from one step to the next (it "
                               "stays 1), while the expected one does"),
    "one number everywhere": ("gradcheck.kink_crossed", lambda winner, x, index, *, h=1e-5: True,
                              {}, "your crossed is 1 at every entry, where the expected "
                              "entries differ"),
    "a factor": ("backprop.affine", _affine(lambda dx, dW, db: (dx, 0.5 * dW, db)), {},
                 "your dW is exactly 0.5 times the expected one, everywhere: a factor 1/2 "
                 "too many, or 2 missing"),
    "the sign flipped": ("backprop.affine", _affine(lambda dx, dW, db: (-dx, dW, db)), {},
                         "your dx is exactly -1 times the expected one, everywhere: the sign "
                         "is flipped"),
    "a factor that is a size": ("backprop.relu", (bp.relu_forward, lambda d, c: bp.relu_backward(
        d, c) / len(d)), {}, "your dx is exactly 0.25 times the expected one, everywhere: a "
        "factor 1/4 too many, or 4 missing (an average over 4 where a sum is due?)"),
    "a factor passed in": ("regularization.l2", (rg.l2_penalty, lambda w, lam: lam * rg.l2_grad(
        w, lam)), {}, "your grad is exactly 0.22 times the expected one, everywhere: that is "
        "lam for the lam = 0.22 passed in"),
    "an input as a factor": ("regularization.dropout", (rg.dropout_forward, lambda d, c:
                             rg.dropout_backward(np.ones_like(d), c)), {},
                             "your dx times the input dout is the expected one, entry by "
                             "entry: the factor dout is missing"),
    "a constant term": ("backprop.affine", _affine(lambda dx, dW, db: (dx, dW, db + 0.5)), {},
                        "your db is the expected one plus 0.5 at every entry"),
    "a transpose": ("backprop.mlp", (bp.mlp_forward, _transposed_w1), {},
                    "your grads.W1 is the transpose of the expected one (shape (6, 5) "
                    "instead of (5, 6))"),
    "another shape": ("backprop.relu", (bp.relu_forward, lambda d, c: bp.relu_backward(
        d, c).ravel()), {}, "your dx holds the expected values in the expected order, with "
        "shape (20,) instead of (4, 5)"),
    "a sum missing": ("regularization.l1", (lambda w, lam: lam * np.abs(w), rg.l1_grad), {},
                      "your penalty has shape (4, 5) instead of (), and summed over all its "
                      "entries it is the expected one"),
    "a step behind": ("annealing.exponential_decay", lambda t, *, lr0, k: an.exponential_decay(
        max(t - 1, 0), lr0=lr0, k=k), {}, "your lr lags one t behind: your t k is the "
        "expected t k-1"),
    "an index off by one": ("gradcheck.numerical_gradient", _gradient_rolled, {},
                            "your grad is shifted by one index: your entry i is the expected "
                            "entry i+1"),
    "whole numbers": ("backprop.affine", _affine(lambda dx, dW, db: (np.trunc(dx), dW, db)), {},
                      "your dx holds whole numbers only: the expected ones with the "
                      "fractions cut off"),
    "a mask": ("regularization.dropout", (rg.dropout_forward, lambda d, c: rg.dropout_backward(
        np.ones_like(d), c) > 0), {}, "your dx holds only 0s and 1s, where the expected one "
        "does not: a mask"),
    "float32 precision": ("annealing.exponential_decay", lambda t, *, lr0, k: float(np.float32(
        an.exponential_decay(t, lr0=lr0, k=k))), {}, "your lr agrees with the expected one "
        "only to float32 precision"),
    "rows in another order": ("gates.softmax_cross_entropy", lambda s, y: (
        gt.softmax_cross_entropy(s, y)[0], gt.softmax_cross_entropy(s, y)[1][::-1].copy()), {},
        "your dscores holds the expected rows, in another order"),
    "all but the last row": ("backprop.affine", _affine(lambda dx, dW, db: (
        dx, np.vstack([dW[:-1], 0 * dW[-1:]]), db)), {},
        "your dW agrees with the expected one everywhere except in its last row"),
    "a hyperparameter at its default": ("update_rules.momentum", (ur.momentum_init,
                                        _momentum_default_mu), {},
                                        "your outputs are exactly what a correct "
                                        "implementation gives with mu = 0.9 (its default) "
                                        "instead of the mu = 0.8 passed in"),
    "a hyperparameter at 0": ("update_rules.momentum", (ur.momentum_init, _momentum_no_mu), {},
                              "your outputs are exactly what a correct implementation gives "
                              "with mu = 0 instead of 0.8: is mu left out of the formula?"),
    "a hyperparameter at 1": ("annealing.inverse_time_decay", lambda t, *, lr0, k:
                              an.inverse_time_decay(t, lr0=lr0, k=1.0), {},
                              "your outputs are exactly what a correct implementation gives "
                              "with k = 1 instead of 0.33"),
    "two hyperparameters swapped": ("annealing.exponential_decay", lambda t, *, lr0, k:
                                    an.exponential_decay(t, lr0=k, k=lr0), {},
                                    "your outputs are exactly what a correct implementation "
                                    "gives with lr0 and k swapped (lr0 = 0.19, k = 0.52)"),
    "several numbers with one factor": ("backprop.value", _BackwardTwice, {"only": [1]},
                                        re.compile(r"your (\w+\.grad, )*\w+\.grad and \w+\.grad "
                                                   r"are exactly 2 times the expected ones, "
                                                   r"everywhere")),
    "zeros on every case": ("backprop.value", _NoBackward, {},
                            re.compile(r"your x\.grad is 0, and so is every wrong output of "
                                       r"yours on the \d+ other failing cases \(\d+ numbers in "
                                       r"all\), where the expected values are not")),
    "a count of each case": ("gates.softmax_cross_entropy", lambda s, y: (
        gt.softmax_cross_entropy(s, y)[0] * len(y), gt.softmax_cross_entropy(s, y)[1]), {},
        re.compile(r"your loss is exactly \d+ times the expected one, and on each of the \d+ "
                   r"other failing cases? yours is that case's number of examples times the "
                   r"expected \([\d, ]+\): a sum over the examples where an average is due\?")),
    "wrong on one sign of an input": ("gates.sigmoid", (lambda x: (1 / (1 + np.exp(-np.abs(x))),
                                      x), lambda d, c: gt.sigmoid_backward(d, gt.sigmoid_forward(
                                          c)[1])), {},
                                      "your out agrees with the expected one everywhere "
                                      "except at the 6 entries where the input x is negative"),
    "one factor on every case": ("regularization.l1", (lambda w, lam: 3 * rg.l1_penalty(w, lam),
                                                       rg.l1_grad), {},
                                 re.compile(r"your penalty is exactly 3 times the expected one, "
                                            r"and so is every wrong output of yours on the \d+ "
                                            r"other failing cases? \(\d+ numbers in all\): a "
                                            r"factor 3 too many, or 1/3 missing")),
}


@pytest.mark.parametrize("relation", list(WRONG))
def test_an_unlisted_mistake_is_caught_and_told_its_relation(relation):
    key, impl, kw, sentence = WRONG[relation]
    fail = _failure(key, impl, **kw)
    pattern = sentence if isinstance(sentence, re.Pattern) else re.compile(re.escape(sentence))
    assert fail.diagnosis is not None and pattern.match(fail.diagnosis), fail.diagnosis
    assert not any(fail.diagnosis == m.hint for m in graded(key).mistakes)
    assert f"Likely cause: {fail.diagnosis}" in str(fail)


def test_an_all_zero_gradient_is_not_blamed_on_the_traversal_order():
    # the reported case: on some graphs (e = (a + b)*(b + 1), say) visiting
    # the nodes in forward order also leaves every leaf gradient at 0 ...
    g = graded("backprop.value")
    cases = g.cases(0)
    order = next(m for m in g.mistakes if m.name == "value_order_not_reversed")
    same = [matches(run_local(c, _NoBackward), run_local(c, order.impl), c) for c in cases]
    alike, unlike = same.index(True), same.index(False)  # ... but not on every graph
    fail = _failure("backprop.value", _NoBackward, only=[alike, unlike])
    assert cases[alike].label in fail.message  # it fails first where the two agree
    assert fail.diagnosis != order.hint
    assert re.match(r"your (\w+\.grad, )*\w+\.grad( and \w+\.grad)? (is|are all) 0",
                    fail.diagnosis), fail.diagnosis


def test_a_relation_never_replaces_a_confirmed_catalogued_cause():
    g = graded("regularization.l2")
    for m in g.mistakes:
        assert _failure("regularization.l2", m.impl).diagnosis == m.hint


def test_a_right_answer_gets_no_sentence():
    check(graded("backprop.affine"), (bp.affine_forward, bp.affine_backward))
    check(graded("capstone.network_loss"), cp.network_loss)


# ---------------------------------------------------------------- explain on made-up outputs

def _case(tol="formula", leading=None, **args) -> Case:
    return Case("made up", "none.none", args, tol=tol, leading=leading)


RNG = np.random.default_rng(5)
E = RNG.normal(size=(4, 5))


def _explain(got, expected, case=None, **kw):
    return relations.explain(got, expected, case or _case(), **kw)


def test_nothing_is_said_about_noise_or_a_right_answer():
    assert _explain({"y": E + RNG.normal(size=E.shape)}, {"y": E}) is None
    assert _explain({"y": E.copy()}, {"y": E}) is None


def test_a_relation_must_hold_within_the_tolerance():
    almost = 2 * E * (1 + 1e-5 * RNG.normal(size=E.shape))
    assert _explain({"y": almost}, {"y": E}) is None
    assert _explain({"y": almost}, {"y": E}, _case(tol="statistics")).startswith(
        "your y is exactly 2 times the expected one")


def test_one_number_alone_proves_nothing():
    assert _explain({"loss": 0.0}, {"loss": 1.7}) is None        # a 0 that may be chance
    assert _explain({"loss": 3.4}, {"loss": 1.7}) is None        # a ratio of two numbers
    assert _explain({"loss": 3.4, "g": 1.0}, {"loss": 1.7, "g": 0.5}).startswith(
        "your loss and g are exactly 2 times the expected ones")


def test_across_cases_needs_the_other_cases_to_agree():
    def elsewhere():
        yield {"loss": 5.0}, {"loss": 2.5}
    assert _explain({"loss": 3.4}, {"loss": 1.7}, elsewhere=elsewhere).startswith(
        "your loss is exactly 2 times the expected one, and so is every wrong output of "
        "yours on the 1 other failing case (2 numbers in all)")

    def disagree():
        yield {"loss": 5.0}, {"loss": 1.0}
    assert _explain({"loss": 3.4}, {"loss": 1.7}, elsewhere=disagree) is None


@pytest.mark.parametrize("args,got,needle", [
    ({"x": np.array([[1.0, 0.0, -2.0], [0.0, 3.0, 1.0]])},
     np.array([[1.0, 9.0, -2.0], [9.0, 3.0, 1.0]]),
     "everywhere except at the 2 entries where the input x is 0: the convention at exactly 0"),
    ({"x": np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
      "y": np.array([[1.0, 0.0, 3.0], [0.0, 5.0, 0.0]])},
     np.array([[9.0, 2.0, 9.0], [4.0, 9.0, 1.0]]),
     "everywhere except at the 3 entries where x equals y: which input gets the gradient "
     "at a tie?"),
])
def test_a_few_wrong_entries_of_one_kind(args, got, needle):
    expected = np.array([[1.0, 2.0, -2.0], [4.0, 3.0, 1.0]])
    assert needle in _explain({"dx": got}, {"dx": expected}, _case(**args))


def test_wrong_on_a_whole_class_of_entries():
    x = np.array([-2.0, -1.0, -0.5, -3.0, 1.0, 2.0, -1.5, 0.5])
    expected = np.tanh(x)
    got = np.where(x < 0, 0.0, expected)  # more than half wrong, exactly the negatives
    assert _explain({"out": got}, {"out": expected}, _case(x=x)).startswith(
        "your out is wrong exactly at the 5 entries where the input x is negative and right "
        "everywhere else")
    got[4] = 0.0  # a positive entry wrong too: not that class any more, nothing is said
    assert _explain({"out": got}, {"out": expected}, _case(x=x)) is None


def test_wrong_where_the_expected_value_is_0():
    expected = np.array([1.0, 0.0, 2.0, 3.0, 0.0, 4.0])
    got = np.array([1.0, 0.5, 2.0, 3.0, 0.5, 4.0])
    assert _explain({"dx": got}, {"dx": expected}).startswith(
        "your dx agrees with the expected one everywhere except at the 2 entries where "
        "the expected value is 0")


def test_wrong_where_an_input_is_largest():
    x = np.arange(1.0, 13.0) * np.array([1, -1] * 6)
    x[[3, 8]] = [-1000.0, 900.0]
    expected = np.tanh(x / 50)
    got = expected.copy()
    got[[3, 8]] = 0.0
    assert "at the 2 entries where the input x is largest in magnitude" in _explain(
        {"out": got}, {"out": expected}, _case(x=x))


def test_a_few_wrong_entries_are_listed_and_a_first_step_is_named():
    got = E.copy()
    got[1, 2] += 1
    assert _explain({"dW": got}, {"dW": E}) == (
        "your dW agrees with the expected one everywhere except at dW[1, 2]")
    traj = np.cumsum(RNG.normal(size=(6, 2)), axis=0)
    first = traj.copy()
    first[0] += 1
    assert _explain({"w": first}, {"w": traj}, _case(leading="step")).startswith(
        "your w agrees with the expected one everywhere except at step 0: the first one is "
        "handled differently")


def test_one_step_ahead_and_a_square_transpose():
    traj = np.cumsum(RNG.normal(size=(6, 2)), axis=0)
    ahead = np.vstack([traj[1:], traj[-1:] + 1])
    assert _explain({"w": ahead}, {"w": traj}, _case(leading="step")).startswith(
        "your w is one step ahead: your step k is the expected step k+1")
    square = RNG.normal(size=(3, 3))
    assert _explain({"dW": square.T.copy()}, {"dW": square}).startswith(
        "your dW is the transpose of the expected one: are the factors of a product")


def test_one_minus_the_expected_and_a_factor_with_a_constant():
    p = RNG.uniform(0.1, 0.9, size=6)
    assert _explain({"out": 1 - p}, {"out": p}).startswith(
        "your out is 1 minus the expected one, at every entry")
    assert _explain({"out": 3 * p + 0.25}, {"out": p}) == (
        "your out is exactly 3 times the expected one plus 0.25, at every entry")


def test_rounded_values_and_float32_numbers():
    expected = np.array([0.4, 1.6, 2.5, -1.7])
    assert "the expected ones rounded" in _explain({"y": np.array([0.0, 2.0, 2.0, -2.0])},
                                                    {"y": expected})
    exact = RNG.normal(size=8)
    single = exact.astype(np.float32).astype(np.float64)
    assert _explain({"y": single}, {"y": exact}, _case(tol="schedule")).startswith(
        "your y agrees with the expected one only to float32 precision")


def test_values_and_columns_in_another_order():
    shuffled = E.ravel()[RNG.permutation(E.size)].reshape(E.shape)
    assert _explain({"dW": shuffled}, {"dW": E}).startswith(
        "your dW holds exactly the expected values, in another order")
    assert _explain({"dW": E[:, ::-1].copy()}, {"dW": E}).startswith(
        "your dW holds the expected columns, in another order")
    counts = np.array([0.0, 1, 2, 0, 1, 0, 0, 1])  # a counter: reordered by chance
    assert _explain({"n": counts[::-1].copy()}, {"n": counts}, _case(leading="step")) is None


def test_a_constant_learning_rate_is_a_number_passed_in():
    lrs = [0.02] * 5
    v = RNG.normal(size=(5, 2))
    assert _explain({"v": -v / 0.02}, {"v": v}, _case(leading="step", lrs=lrs)).startswith(
        "your v is exactly -50 times the expected one, everywhere: that is -1/lrs[k] for "
        "the lrs[k] = 0.02 passed in")


def test_hyperparameters_are_tried_within_a_budget():
    runs = []

    def rerun(args):
        runs.append(args["hyper"])
        return {"y": 2 * np.arange(3.0)} if args["hyper"]["b"] == 0 else {"y": np.ones(3)}
    hyper = {"a": 0.3, "b": 0.7, "c": 2.0, "d": 5.0, "e": 0.1, "mode": "min"}
    case = _case(hyper=hyper)
    found = _explain({"y": 2 * np.arange(3.0) + [0, 0, 1]}, {"y": np.arange(3.0) + 7},
                     case, raw={"y": 2 * np.arange(3.0)}, rerun=rerun,
                     defaults={"a": 0.5})
    assert found == ("your outputs are exactly what a correct implementation gives with "
                     "b = 0 instead of 0.7: is b left out of the formula?")
    assert runs[0] == {**hyper, "a": 0.5}  # the default first, then the zeros
    assert all(r["mode"] == "min" for r in runs)
    runs.clear()
    _explain({"y": np.array([5.0, -3.0, 8.0])}, {"y": np.arange(3.0) + 7}, case,
             raw={"y": np.array([5.0, -3.0, 8.0])}, rerun=lambda a: runs.append(a) or None)
    assert len(runs) == relations.MAX_RERUNS


def test_hyperparameters_only_where_the_case_names_them():
    def rerun(args):
        raise AssertionError("no rerun without hyperparameters")
    assert _explain({"y": np.array([5.0, -3.0, 8.0])}, {"y": np.arange(3.0) + 7},
                    _case(mu=0.9), raw={"y": 1}, rerun=rerun) is None
    called = []
    found = _explain({"y": np.array([5.0, -3.0, 8.0])}, {"y": np.arange(3.0) + 7},
                     _case(params={"mu": 0.9}), raw={"y": np.array([5.0, -3.0, 8.0])},
                     rerun=lambda a: called.append(a) or {"y": np.array([5.0, -3.0, 8.0])},
                     hyper_key="params")
    assert called == [{"params": {"mu": 0.0}}]
    assert found.startswith("your outputs are exactly what a correct implementation gives "
                            "with mu = 0 instead of 0.9")
