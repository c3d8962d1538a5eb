"""What the backprop text promises, each promise met by a mistake a student
could make, and the sentence the student then reads.

Four kinds of promise, one section each: inputs the hidden cases must
contain (boundaries of the rules, x of 4 axes, integer x, the gradient of
every node); contracts on how the functions behave (inputs left as they
were, exactly the keys of params); and that a mistake costs the points of
its own test cell only, checked on the notebook itself: its given and
solution cells run into one namespace, one function replaced, then every
test cell's hidden check.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from autograder.assignments import load
from autograder.assignments.notebook import Tests
from autograder.course.cli import notebook_path
from autograder.judge.backprop import GRADED, _Engine
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from autograder.judge.local import hidden_check
from solutions import backprop as ref

SEEDS = (0, 1, 2)
RULES = ("_add", "_mul", "_power", "_exp", "_log", "_tanh", "_relu")


def rules(**replaced):
    return tuple(replaced.get(name, getattr(ref, name)) for name in RULES)


def hint(key: str, name: str) -> str:
    return next(m.hint for m in GRADED[key].mistakes if m.name == name)


def failure(key: str, impl, seed: int = 0) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(GRADED[key], impl, seed=seed)
    return err.value


# ---------------------------------------------------------------------------
# 1. Inputs the cases must contain.

def _unguarded():
    def _power(x, k):  # evaluates 0.0 ** -1 when k == 0 at x == 0
        return x ** k, k * x ** (k - 1)
    return _power


def _by_logs():
    def _power(x, k):  # x ** k as exp(k log x): no negative base
        if x == 0:
            return 0.0 ** k, (0.0 if k == 0 else k * 0.0 ** (k - 1))
        y = math.exp(k * math.log(x))
        return y, (0.0 if k == 0 else k * y / x)
    return _power


_power_unguarded, _power_by_logs = _unguarded(), _by_logs()


@pytest.mark.parametrize("seed", SEEDS)
def test_power_at_zero_with_k_zero_is_reached(seed):
    fail = failure("rules", rules(_power=_power_unguarded), seed)
    assert "your _power raised ZeroDivisionError" in str(fail)
    assert "_power(0, 0)" in str(fail) and "do not evaluate 0.0 ** -1" in str(fail)


@pytest.mark.parametrize("seed", SEEDS)
def test_power_at_a_negative_base_is_reached(seed):
    fail = failure("rules", rules(_power=_power_by_logs), seed)
    assert "your _power raised ValueError: math domain error" in str(fail)
    assert "a negative base with whole k" in str(fail)


@pytest.mark.parametrize("name", ["power_zero_slope_at_x0", "relu_rule_slope_at_zero",
                                  "mul_no_swap"])
def test_boundary_mistakes_of_the_rules_are_named(name):
    mistake = next(m for m in GRADED["rules"].mistakes if m.name == name)
    for seed in SEEDS:
        assert failure("rules", mistake.impl, seed).diagnosis == mistake.hint


def _affine_forward_three_axes(x, W, b):
    x2 = x.reshape(x.shape[0], x.shape[1] * x.shape[2]) if x.ndim == 3 else x
    return x2 @ W + b, (x, W)


def _affine_backward_three_axes(dout, cache):
    x, W = cache
    x2 = x.reshape(x.shape[0], -1)
    return (dout @ W.T).reshape(x.shape), x2.T @ dout, dout.sum(axis=0)


@pytest.mark.parametrize("seed", SEEDS)
def test_an_x_of_four_axes_is_reached(seed):
    pair = (_affine_forward_three_axes, _affine_backward_three_axes)
    check(GRADED["affine"], pair, only=[0, 1, 2], seed=seed)  # 2 and 3 axes pass
    fail = failure("affine", pair, seed)
    assert " raised ValueError: matmul" in str(fail)  # named affine_forward in a notebook
    assert "x of shape (2, 3, 2, 2)" in str(fail)


def affine_backward_loops(dout, cache):
    """Loops into arrays shaped like their variables: np.zeros_like(x)
    takes an integer x's dtype and truncates dx."""
    x, W = cache
    x2 = x.reshape(len(x), -1)
    dx, dW, db = np.zeros_like(x2), np.zeros_like(W), np.zeros_like(dout[0])
    for n in range(len(x)):
        dx[n] = W @ dout[n]
        dW += np.outer(x2[n], dout[n])
        db += dout[n]
    return dx.reshape(x.shape), dW, db


@pytest.mark.parametrize("seed", SEEDS)
def test_integer_x_is_reached(seed):
    pair = (lambda x, W, b: (x.reshape(len(x), -1) @ W + b, (x, W)), affine_backward_loops)
    check(GRADED["affine"], pair, only=[0, 1, 2, 3], seed=seed)  # float x: right
    fail = failure("affine", pair, seed)
    assert "your dx has dtype int64" in str(fail) and "(int64)" in str(fail)
    assert fail.diagnosis == hint("affine", "affine_dx_in_x_dtype")


class LeavesOnly(_Engine):  # _Engine: every node is of the class itself
    """Totals in a dict, written to the leaves only."""

    def backward(self):
        totals = {self: 1.0}
        order = ref.topological_order(self)
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads):
                totals[parent] = totals.get(parent, 0.0) + local * totals.get(node, 0.0)
        for node in order:
            if not node.parents:
                node.grad += totals.get(node, 0.0)


class RootUnset(_Engine):
    """Starts the root at 1 without storing it."""

    def backward(self):
        for node in reversed(ref.topological_order(self)):
            g = 1.0 if node is self else node.grad
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * g


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("cls", [LeavesOnly, RootUnset])
def test_every_node_gradient_is_read(cls, seed):
    # right on every leaf: only the root's and the inner nodes' grads tell
    fail = failure("value", cls, seed)
    assert fail.diagnosis == hint("value", "value_grads_only_on_leaves")
    assert ".grad: yours 0.0, expected" in str(fail)


# ---------------------------------------------------------------------------
# 2. Contracts the text states: inputs left as they were, the keys of params.

def relu_forward_in_place(x):
    np.maximum(x, 0, out=x)  # writes into the caller's x
    return x, x > 0


def relu_backward_in_place(dout, mask):
    dout *= mask  # writes into the caller's dout
    return dout


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("pair,fn,name,key", [
    ((relu_forward_in_place, lambda d, m: np.where(m, d, 0.0)), "relu_forward", "x",
     "relu_forward_writes_x"),
    ((ref.relu_forward, lambda d, x: relu_backward_in_place(d, x > 0)), "relu_backward",
     "dout", "relu_backward_writes_dout"),
])
def test_a_layer_that_writes_into_its_inputs_is_told(pair, fn, name, key, seed):
    fail = failure("relu", pair, seed)
    assert str(fail).startswith(f"your {fn} changed the caller's {name} in place (")
    assert fail.diagnosis == hint("relu", key)


def affine_forward_flattens_x(x, W, b):
    x.shape = (len(x), -1)
    return x @ W + b, (x, W)


@pytest.mark.parametrize("seed", SEEDS)
def test_setting_x_shape_is_told(seed):
    pair = (affine_forward_flattens_x, lambda d, c: (d @ c[1].T, c[0].T @ d, d.sum(0)))
    check(GRADED["affine"], pair, only=[0, 1, 4, 5], seed=seed)  # 2-D x: shape unchanged
    fail = failure("affine", pair, seed)
    assert str(fail).startswith("your affine_forward changed the caller's x in place (x of "
                                "shape (3, 2, 5)")
    assert fail.diagnosis == hint("affine", "affine_sets_x_shape")


def mlp_forward_caches_in_params(X, params):
    scores, cache = ref.mlp_forward(X, params)
    params["cache"] = cache  # a new key in the caller's dict
    return scores, params


def mlp_backward_from_params(dscores, params):
    return ref.mlp_backward(dscores, params["cache"])


def test_a_key_added_to_params_is_told():
    fail = failure("mlp", (mlp_forward_caches_in_params, mlp_backward_from_params))
    assert str(fail).startswith("your mlp_forward changed the caller's params in place (")
    assert "build its results in new arrays" in fail.diagnosis


def test_a_weight_updated_in_place_is_told():
    def mlp_backward_steps(dscores, cache):
        grads = ref.mlp_backward(dscores, cache)
        W2 = cache.affine2.W
        W2 -= 0.1 * grads["W2"]  # a training step inside backward
        return grads
    fail = failure("mlp", (ref.mlp_forward, mlp_backward_steps))
    assert str(fail).startswith("your mlp_backward changed the caller's params['W2'] in place")


def test_grads_with_more_keys_than_params_are_told():
    def mlp_backward_with_dX(dscores, cache):
        dh, dW2, db2 = ref.affine_backward(dscores, cache.affine2)
        dX, dW1, db1 = ref.affine_backward(ref.relu_backward(dh, cache.relu), cache.affine1)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "X": dX}
    fail = failure("mlp", (ref.mlp_forward, mlp_backward_with_dX))
    assert "your mlp_backward returned the keys ['W1', 'b1', 'W2', 'b2', 'X']; it returns " \
           "the keys of params and only those" in str(fail)


def test_rules_may_return_any_kind_of_number_but_not_two_values():
    check(GRADED["rules"], rules(_relu=lambda x: (max(x, 0), x > 0)))  # an int, a bool
    fail = failure("rules", rules(_add=lambda a, b: (a + b, 1.0)))
    assert "your _add should return (y, dy/da, dy/db), got a tuple of 2 for _add(" in str(fail)
    fail = failure("rules", rules(_exp=lambda x: (math.exp(x), None)))
    assert "your _exp(" in str(fail) and "returned None as dy/dx, expected a number" in str(fail)


# ---------------------------------------------------------------------------
# 4. A mistake costs the points of its own test cell only: the notebook's
#    given and solution cells (the reference), one name replaced, then the
#    hidden check of every test cell as the notebook runs it.

ASSIGNMENT = load("backprop")
CELLS = [cell for cell in ASSIGNMENT.cells if isinstance(cell, Tests)]


def _cell_ids() -> list[str]:
    nb = json.loads(notebook_path(ASSIGNMENT).read_text())
    return [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade")]


def notebook_namespace() -> dict:
    """What the notebook's given and solution cells define, run in order."""
    nb = json.loads(notebook_path(ASSIGNMENT).read_text())
    namespace: dict = {}
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and not meta.get("grade"):
            exec(compile("".join(cell["source"]), meta.get("grade_id", "?"), "exec"), namespace)
    return namespace


def failing_cells(namespace: dict) -> list[str]:
    ids, lost = _cell_ids(), []
    for grade_id, cell in zip(ids, CELLS):
        try:
            hidden_check(cell.key, namespace, cases=cell.cases)
        except CheckFailure:
            lost.append(grade_id)
    return lost


def _subclass_value(namespace: dict, backward) -> None:
    """The notebook's Value with another backward (its nodes take the
    subclass, as the given operators build ``Value(...)`` by name)."""
    namespace["Value"] = type("Value", (namespace["Value"],), {"backward": backward})


def _forward_order(self):
    self.grad = 1.0
    for node in ref.topological_order(self):  # inputs first: the wrong way round
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad


def _mlp_kink_inline(namespace):
    def mlp_backward(dscores, cache):
        grads = ref.mlp_backward(dscores, cache)
        h = cache.affine1.x.reshape(len(cache.affine1.x), -1) @ cache.affine1.W \
            + cache.affine1.b
        dh = (dscores @ cache.affine2.W.T) * (h >= 0)  # lets the kink through
        return {**grads, "W1": cache.affine1.x.reshape(len(h), -1).T @ dh, "b1": dh.sum(0)}
    namespace["mlp_backward"] = mlp_backward


CHANGES = {
    "a wrong _mul": (lambda ns: ns.update(_mul=lambda a, b: (a * b, a, b)), ["test-rules-2"]),
    "_power evaluating 0.0 ** -1": (lambda ns: ns.update(_power=_power_unguarded),
                                   ["test-rules-3"]),
    "a _relu with slope 1 at 0": (lambda ns: ns.update(
        _relu=lambda x: (max(x, 0.0), float(x >= 0))), ["test-rules-7"]),
    "a backward in forward order": (lambda ns: _subclass_value(ns, _forward_order),
                                    ["test-value-1"]),
    "an affine layer for 3 axes at most": (lambda ns: ns.update(
        affine_forward=lambda x, W, b: ref.affine_forward(
            x.reshape(x.shape[0], x.shape[1] * x.shape[2]) if x.ndim == 3 else x, W, b)),
        ["test-affine-2"]),
    "dx in x's dtype": (lambda ns: ns.update(zip(("affine_forward", "affine_backward"), next(
        m.impl for m in GRADED["affine"].mistakes if m.name == "affine_dx_in_x_dtype"))),
        ["test-affine-3"]),
    "a ReLU with slope 1 at 0": (lambda ns: ns.update(
        relu_backward=lambda d, x: np.where(x >= 0, d, 0.0)), ["test-relu-1"]),
    "an MLP that lets the kink through": (_mlp_kink_inline, ["test-mlp-2"]),
}


def test_the_notebook_itself_passes_every_cell():
    assert failing_cells(notebook_namespace()) == []


@pytest.mark.parametrize("change", list(CHANGES))
def test_a_mistake_costs_its_own_cell_only(change):
    apply, cells = CHANGES[change]
    namespace = notebook_namespace()
    apply(namespace)
    assert failing_cells(namespace) == cells


def test_each_rule_cell_grades_its_rule_only():
    cases = GRADED["rules"].cases(0)
    rule_cells = [cell for cell in CELLS if cell.key == "backprop.rules"]
    assert [{cases[i].args["rule"] for i in cell.cases} for cell in rule_cells] == \
        [{rule} for rule in RULES]


def test_the_affine_cells_grade_one_kind_of_x_each():
    cases = GRADED["affine"].cases(0)
    kinds = [{(cases[i].args["x"].ndim, cases[i].args["x"].dtype.kind) for i in cell.cases}
             for cell in CELLS if cell.key == "backprop.affine"]
    assert kinds == [{(2, "f")}, {(3, "f"), (4, "f")}, {(2, "i"), (2, "u")}]
