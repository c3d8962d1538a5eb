"""Checks and known mistakes for backpropagation (chapter 1).

Five things are graded: the local rules of the scalar engine (``_add``,
``_mul``, ``_power``, ``_exp``, ``_log``, ``_tanh``, ``_relu``), the
reverse accumulation of the class ``Value`` (its ``backward``) and three
vectorized forward/backward pairs (affine, ReLU, a two-layer MLP), each
through a call of autograder.driver.calls.backprop. A rule is called on
plain floats and its value and slopes are read back. A Value case is data:
leaf names and numbers, and the steps (name, Python expression) that build
the graph; the call builds it with the student's class and reads back the
root's data and every node's grad. A pair is graded as a whole: the call
runs the student's forward, then the student's backward on the student's
own cache, so any cache format works, and says which of the caller's
arrays the pair wrote into (every layer leaves its inputs as they were).

A part costs points only for its own mistakes: each rule has its own test
cell (two cases: ordinary points, then the boundaries the text names),
``backward`` is judged with the reference's rules in place of the
student's (``Graded.uses``), and the MLP with the reference's layers.

Every case's structure is fixed and its numbers are drawn from the grading
run's seed, one generator per case, so that every convention shows:

- Rules: every slope at points where a wrong rule cannot hide (no x = 1
  under log or a power, no tanh input near 0 on the ordinary points), then
  the boundaries: ``_power`` at x = 0 with k = 0 (slope 0, no 0.0 ** -1),
  1 and 2 and at a negative base with whole k, ``_relu`` at exactly 0,
  ``_tanh`` at 0, ``_log`` at 1, ``_mul`` with a zero factor.
- Value: a value used several times (the chain rule sums over uses),
  internal nodes used three times, once twice by the same node (a backward
  that is not run in reverse topological order counts them wrongly, and
  the two recursive forms differ there), every operation with a number on
  either side, a chain of 200 nodes (deep graphs must not hit a limit), and
  the gradient of every node read back: the root's own (1) and the named
  intermediate nodes', not only the leaves'. Leaf values lie on a grid of
  0.01 (the labels state them exactly), in ranges where no rule can hide:
  no base of 1 under a power, no tanh or relu input near 0 except the one
  placed at exactly 0.
- Layers: shapes with N, D and M all different (a transpose cannot hide),
  an x of 3 and of 4 axes that the affine layer flattens, integer x (int64
  and uint8: the results are float64), integer-valued data that puts ReLU
  inputs at exactly 0, and a square W where a missing transpose still
  returns an array of the right shape, so the mistake can be named; every
  call checks that the caller's arrays are unchanged. Their arrays come
  from a data seed drawn from the run's seed, which the label names with
  the order of the draws, so a student can rebuild them.
"""
from __future__ import annotations

import math
from collections import deque
from numbers import Real
from typing import Callable

import numpy as np

from autograder.driver.calls.backprop import BACKWARD, FORWARD, RULES, point_name
from autograder.judge.core import Case, Graded, Mistake, Outputs
from autograder.judge.feedback import CheckFailure
from solutions import backprop as ref

# The names a student reads in every message about each graded function.
VALUE, AFFINE = "Value", "affine_forward/affine_backward"
RELU, MLP = "relu_forward/relu_backward", "mlp_forward/mlp_backward"
LAYERS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward")


PARTS = ("value", "affine", "relu", "mlp", "rules")


def _rng(seed: int, part: str, n: int) -> np.random.Generator:
    """The generator of case ``n`` of one part in a grading run."""
    return np.random.default_rng([seed, PARTS.index(part), n])


def _draw(rng: np.random.Generator, lo: float, hi: float, signed: bool = False) -> float:
    """A number of [lo, hi] on a grid of 0.01 (of either sign when
    ``signed``), so that a label states it exactly."""
    x = round(float(rng.uniform(lo, hi)), 2)
    return -x if signed and rng.random() < 0.5 else x


# ---------------------------------------------------------------------------
# Local rules: each is called at the points of its two cases, ordinary
# points first, then the boundaries the text names. Case 2i and 2i + 1 are
# rule RULES[i]'s, graded by that rule's own test cell.

def _distinct(draw: Callable[[], float], n: int, avoid=()) -> list[float]:
    """n different numbers from ``draw``, none in ``avoid`` (nor their
    negatives: a rule must show its sign)."""
    out: list[float] = []
    while len(out) < n:
        x = draw()
        if abs(x) not in {abs(v) for v in (*out, *avoid)}:
            out.append(x)
    return out


def _signs(rng, values: list[float]) -> list[float]:
    """``values`` with alternating signs, starting with a random one."""
    first = 1.0 if rng.random() < 0.5 else -1.0
    return [v * first * (-1) ** i for i, v in enumerate(values)]


def _add_points(rng):
    a = _signs(rng, _distinct(lambda: _draw(rng, 0.1, 3.0), 3))
    b = _signs(rng, _distinct(lambda: _draw(rng, 0.1, 3.0), 3, a))
    x = _draw(rng, 0.1, 3.0)
    return ([[u, v] for u, v in zip(a, b)], "ordinary points",
            [[0.0, x], [x, -x], [-x, 0.0]], "a zero input and opposite inputs")


def _mul_points(rng):
    a = _signs(rng, _distinct(lambda: _draw(rng, 0.2, 3.0), 3))
    b = _signs(rng, _distinct(lambda: _draw(rng, 0.2, 3.0), 3, a))
    x, y = _distinct(lambda: _draw(rng, 0.2, 3.0), 2)
    return ([[u, v] for u, v in zip(a, b)], "ordinary points",
            [[0.0, x], [-y, 0.0], [x, -x]],
            "a zero factor (its slope is the other factor) and opposite factors")


def _power_points(rng):
    xs = _distinct(lambda: _draw(rng, 0.3, 2.5), 4, (1.0,))
    ordinary = [[xs[0], 3.0], [xs[1], 0.5], [xs[2], -1.0], [xs[3], 2.5]]
    x, y, z = _distinct(lambda: _draw(rng, 0.3, 2.5), 3, (1.0,))
    edges = [[0.0, 0.0], [x, 0.0], [0.0, 1.0], [0.0, 2.0], [-y, 3.0], [-z, -2.0]]
    return (ordinary, "k = 3, 0.5, -1 and 2.5",
            edges, "k = 0 (slope 0: do not evaluate 0.0 ** -1), x = 0 with k = 1 "
                   "and 2, and a negative base with whole k")


def _exp_points(rng):
    xs = _signs(rng, _distinct(lambda: _draw(rng, 0.2, 2.0), 3, (1.0,)))
    return ([[v] for v in xs], "ordinary points",
            [[0.0], [1.0], [-_draw(rng, 2.0, 4.0)]], "x = 0, x = 1 and a negative x")


def _log_points(rng):
    xs = _distinct(lambda: _draw(rng, 0.2, 3.0), 3, (1.0,))
    return ([[v] for v in xs], "ordinary points",
            [[1.0], [_draw(rng, 0.02, 0.09)], [_draw(rng, 20.0, 50.0)]],
            "x = 1, a small x and a large x")


def _tanh_points(rng):
    xs = _signs(rng, _distinct(lambda: _draw(rng, 0.3, 2.0), 3))
    return ([[v] for v in xs], "ordinary points",
            [[0.0], [_draw(rng, 3.0, 4.0)], [-_draw(rng, 3.0, 4.0)]],
            "x = 0 and far from 0 on both sides")


def _relu_points(rng):
    xs = _signs(rng, _distinct(lambda: _draw(rng, 0.1, 3.0), 4))
    return ([[v] for v in xs], "both signs",
            [[0.0], [-_draw(rng, 0.1, 3.0)], [_draw(rng, 0.1, 3.0)]],
            "x = 0 exactly (value 0, slope 0), and either side")


_RULE_POINTS = {"_add": _add_points, "_mul": _mul_points, "_power": _power_points,
                "_exp": _exp_points, "_log": _log_points, "_tanh": _tanh_points,
                "_relu": _relu_points}


def _rule_cases(seed: int) -> list[Case]:
    cases = []
    for i, rule in enumerate(RULES):
        ordinary, why, edges, why_edges = _RULE_POINTS[rule](_rng(seed, "rules", i))
        for points, note in ((ordinary, why), (edges, why_edges)):
            at = ", ".join(point_name(rule, p) for p in points)
            cases.append(Case(label=f"{at}: {note}", call="backprop.rules",
                              args={"rule": rule, "points": points}))
    return cases


def _rules(**replaced) -> tuple:
    """The reference's rules with some replaced (``_power=...``)."""
    return tuple(replaced.get(name, getattr(ref, name)) for name in RULES)


def _guarded_power(slope: Callable[[float, float], float]) -> Callable:
    """A power rule with another slope, written with the guard the text
    asks for (slope 0 when k = 0)."""
    def _power(x, k):
        return x ** k, (0.0 if k == 0 else slope(x, k))
    return _power


def _power_zero_at_origin(x, k):
    if x == 0 or k == 0:
        return x ** k, 0.0
    return x ** k, k * x ** (k - 1)


def _relu_unclamped(x):
    return (x, 1.0) if x > 0 else (x, 0.0)


def _relu_slope_is_value(x):
    y = max(x, 0.0)
    return y, y


RULE_MISTAKES = [
    Mistake("add_slopes_swapped", "the slopes of a + b are 1 and 1 whatever a and b "
            "are; (b, a) is the mul rule's swap",
            _rules(_add=lambda a, b: (a + b, b, a))),
    Mistake("mul_no_swap", "the mul rule gives each input its own value as slope; "
            "d(a*b)/da is b and d(a*b)/db is a", _rules(_mul=lambda a, b: (a * b, a, b))),
    Mistake("mul_slopes_one", "the mul rule has the add rule's slopes (1, 1); "
            "d(a*b)/da is b and d(a*b)/db is a", _rules(_mul=lambda a, b: (a * b, 1.0, 1.0))),
    Mistake("power_missing_k", "the power rule is missing the exponent factor: "
            "d(x**k)/dx is k*x**(k-1)", _rules(_power=_guarded_power(lambda x, k: x ** (k - 1)))),
    Mistake("power_k_x_k", "the power rule keeps the exponent k instead of lowering "
            "it: d(x**k)/dx is k*x**(k-1)", _rules(_power=_guarded_power(lambda x, k: k * x ** k))),
    Mistake("power_order_swapped", "_power returns (slope, value); a rule returns "
            "(y, dy/dx), value first", _rules(_power=lambda x, k: (
                0.0 if k == 0 else k * x ** (k - 1), x ** k))),
    Mistake("power_zero_slope_at_x0", "the slope at x = 0 is set to 0 for every k; "
            "k*x**(k-1) is 1 there for k = 1 (it is 0 only for k = 0 or k > 1)",
            _rules(_power=_power_zero_at_origin)),
    Mistake("exp_slope_one", "the slope of exp is exp(x) itself, not 1",
            _rules(_exp=lambda x: (math.exp(x), 1.0))),
    Mistake("exp_power_rule", "the power rule does not apply to e**x (the exponent is "
            "the variable): d(e**x)/dx is e**x, not x*e**(x-1)",
            _rules(_exp=lambda x: (math.exp(x), x * math.exp(x - 1)))),
    Mistake("log_base_10", "this is the logarithm in base 10 (math.log10); the "
            "natural logarithm is math.log, with slope 1/x",
            _rules(_log=lambda x: (math.log10(x), 1.0 / (x * math.log(10))))),
    Mistake("log_slope_is_value", "the slope of log is 1/x, not log(x) itself (only "
            "exp is its own derivative)", _rules(_log=lambda x: (math.log(x), math.log(x)))),
    Mistake("tanh_not_squared", "the slope of tanh is 1 - t**2 with t = tanh(x); the "
            "square is missing", _rules(_tanh=lambda x: (math.tanh(x), 1.0 - math.tanh(x)))),
    Mistake("tanh_slope_from_x", "the slope of tanh is 1 - t**2 with t = tanh(x), the "
            "output, not 1 - x**2", _rules(_tanh=lambda x: (math.tanh(x), 1.0 - x * x))),
    Mistake("tanh_order_swapped", "_tanh returns (slope, value); a rule returns "
            "(y, dy/dx), value first",
            _rules(_tanh=lambda x: (1.0 - math.tanh(x) ** 2, math.tanh(x)))),
    Mistake("relu_rule_slope_at_zero", "_relu has slope 1 at x == 0; its slope there "
            "is taken to be 0 (as in PyTorch), so test x > 0",
            _rules(_relu=lambda x: (max(x, 0.0), 1.0 if x >= 0 else 0.0))),
    Mistake("relu_rule_passes_negative", "_relu has slope 1 for every input; it is 0 "
            "where x <= 0", _rules(_relu=lambda x: (max(x, 0.0), 1.0))),
    Mistake("relu_rule_not_clamped", "_relu returns x itself for negative x; its value "
            "is max(x, 0)", _rules(_relu=_relu_unclamped)),
    Mistake("relu_rule_slope_is_value", "_relu's slope is its value max(x, 0); it is 1 "
            "where x > 0 and 0 elsewhere", _rules(_relu=_relu_slope_is_value)),
]


# ---------------------------------------------------------------------------
# Value: cases. Each builds a graph from leaves with the student's class,
# calls backward() on its last node once, and compares the root's data,
# every leaf's grad, the grad of every other named node and the root's own
# (outputs named like "a.grad", "t.grad", "y.grad").

def _value_case(label: str, leaves: dict[str, float],
                steps: list[tuple[str, str]]) -> Case:
    return Case(label=label, call="backprop.value",
                args={"leaves": dict(leaves), "steps": list(steps)})


def _show(values: dict[str, float]) -> str:
    return ", ".join(f"{k} = {v:g}" for k, v in values.items())


def _reuse(rng) -> Case:
    v = {"x": _draw(rng, 1.1, 1.9)}
    return _value_case(f"y = x*x*x + x at {_show(v)} (x used 4 times)", v,
                       [("y", "x*x*x + x")])


def _worked(rng) -> Case:
    v = {"a": _draw(rng, 1.5, 3.0), "b": _draw(rng, 0.2, 0.9)}
    return _value_case(f"e = (a + b)*(b + 1) at {_show(v)} (b used twice)", v,
                       [("e", "(a + b)*(b + 1)")])


def _shared(rng) -> Case:
    v = {"a": _draw(rng, 0.3, 0.9), "b": _draw(rng, -2.0, -1.1)}
    return _value_case(f"y = t*t + 3*t with t = a*b + 1 (t used 3 times, twice by "
                       f"one node) at {_show(v)}", v,
                       [("t", "a*b + 1"), ("y", "t*t + 3*t")])


POWERS = "a**3*b + 2*b**0.5 - a**2"


def _powers(rng) -> Case:
    v = {"a": _draw(rng, 1.1, 1.9), "b": _draw(rng, 0.3, 0.9)}
    return _value_case(f"y = {POWERS} at {_show(v)}", v, [("y", POWERS)])


def _cross_entropy(rng) -> Case:
    v = {f"s{i}": _draw(rng, 0.1, 2.0, signed=True) for i in range(3)}
    steps = [("e0", "s0.exp()"), ("e1", "s1.exp()"), ("e2", "s2.exp()"),
             ("Z", "e0 + e1 + e2"),
             ("L", "-1*(0.2*(e0/Z).log() + 0.5*(e1/Z).log() + 0.3*(e2/Z).log())")]
    return _value_case("L = -(0.2*log(e0/Z) + 0.5*log(e1/Z) + 0.3*log(e2/Z)), "
                       "e_i = s_i.exp(), Z = e0 + e1 + e2 used 3 times, at "
                       + _show(v), v, steps)


def _neuron(rng) -> Case:
    while True:  # a pre-activation away from 0, where tanh' = 1 - t would hide
        v = {"w0": _draw(rng, 0.1, 1.0, True), "w1": _draw(rng, 0.1, 1.0, True),
             "x0": _draw(rng, 0.1, 2.0, True), "x1": _draw(rng, 0.1, 2.0, True),
             "bias": _draw(rng, 0.1, 1.0, True)}
        if abs(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["bias"]) > 0.2:
            break
    return _value_case(f"y = (w0*x0 + w1*x1 + bias).tanh() at {_show(v)}", v,
                       [("y", "(w0*x0 + w1*x1 + bias).tanh()")])


EVERY_OP = ("(a.exp() + 2*b.log()) / (1 + c**2) - a.tanh()*b.sigmoid() "
            "+ 3*c**0.5 - 1/b + (a - 1).relu() + (2.5 - b).relu()*c")


def _every_op(rng) -> Case:
    v = {"a": _draw(rng, 0.2, 0.9, signed=True), "b": _draw(rng, 1.1, 2.0),
         "c": _draw(rng, 1.1, 1.9)}
    return _value_case(f"y = {EVERY_OP} at {_show(v)}", v, [("y", EVERY_OP)])


def _kinks(rng) -> Case:
    a = _draw(rng, 1.1, 1.9)
    v = {"a": a, "b": a}
    return _value_case(
        f"y = (a - b).relu()*3 + (a - 2).relu()*5 + (a*b).relu() at a = b = {a:g}: "
        f"relu at exactly 0, at {a - 2:g} and at {a * a:g}", v,
        [("y", "(a - b).relu()*3 + (a - 2).relu()*5 + (a*b).relu()")])


CHAIN_STEPS = 100


def _chain(rng) -> Case:
    v = {"a": _draw(rng, 0.2, 0.8), "b": _draw(rng, 0.05, 0.2), "c": _draw(rng, 0.95, 0.99)}
    return _value_case(f"a chain of {2 * CHAIN_STEPS} nodes: x = a, then x = x*c + b "
                       f"{CHAIN_STEPS} times, at {_show(v)}", v,
                       [("x", "a")] + [("x", "x*c + b")] * CHAIN_STEPS)


NORM = "(a**2 + b**2)**0.5 + a**-2*b**3"


def _norm(rng) -> Case:
    v = {"a": _draw(rng, 1.1, 1.9), "b": _draw(rng, 0.3, 0.9, signed=True)}
    return _value_case(f"y = {NORM} at {_show(v)} (powers only)", v, [("y", NORM)])


QUOTIENTS = "a/b + (a + 1)/(b*b) - 2/a"


def _quotients(rng) -> Case:
    v = {"a": _draw(rng, 0.5, 1.5, signed=True), "b": _draw(rng, 1.1, 2.0)}
    return _value_case(f"y = {QUOTIENTS} at {_show(v)} (divisions only)", v,
                       [("y", QUOTIENTS)])


# Two graphs of one operation each come last: a class that builds - or /
# from powers shows a power-rule mistake by itself there.
_VALUE_PLANS = [_reuse, _worked, _shared, _powers, _cross_entropy, _neuron,
                _every_op, _every_op, _kinks, _chain, _norm, _quotients]


def _value_cases(seed: int) -> list[Case]:
    return [plan(_rng(seed, "value", n)) for n, plan in enumerate(_VALUE_PLANS)]


# ---- Value: known mistakes. Each is the reference class with one method
# replaced. _Engine makes every node an operation creates an instance of
# the mutant's own class, so the replaced method is used throughout the
# graph, not only on the leaves.

class _Engine(ref.Value):
    def _binary(self, other, op, rule, swap=False):
        if isinstance(other, Real):
            other = type(self)(other)
        if not isinstance(other, ref.Value):
            return NotImplemented
        a, b = (other, self) if swap else (self, other)
        y, da, db = rule(a.data, b.data)
        return type(self)(y, (a, b), op, (da, db))

    def _unary(self, op, y_and_slope):
        y, slope = y_and_slope
        return type(self)(y, (self,), op, (slope,))


def _rebind(name: str, rule, bases=(_Engine,)) -> type:
    """A mutant whose binary operator ``name`` (and its mirror) use ``rule``."""
    def fwd(self, other):
        return self._binary(other, name, rule)

    def mirror(self, other):
        return self._binary(other, name, rule, swap=True)
    return type(f"Value_{name}", bases, {f"__{name}__": fwd, f"__r{name}__": mirror})


def _unary_mutant(method: str, rule: Callable[[float], tuple[float, float]]) -> type:
    def op(self):
        return self._unary(method, rule(self.data))
    return type(f"Value_{method}", (_Engine,), {method: op})


# Backward passes written as many students write them: gradients live on
# the nodes, the root starts at 1 and each node pushes to its parents.

def _push(node, assign=False):
    for parent, local in zip(node.parents, node.local_grads):
        if assign:
            parent.grad = local * node.grad
        else:
            parent.grad += local * node.grad


class _GradAssigned(_Engine):
    def backward(self):
        self.grad = 1.0
        for node in reversed(ref.topological_order(self)):
            _push(node, assign=True)


class _NotReversed(_Engine):
    def backward(self):
        self.grad = 1.0
        for node in ref.topological_order(self):
            _push(node)


class _RecursivePerUse(_Engine):
    """The tutorial form: push to every parent, then recurse into each."""

    def backward(self):
        self.grad = 1.0
        self._recurse()

    def _recurse(self):
        _push(self)
        for parent in self.parents:
            parent._recurse()


class _RecursivePerEdge(_Engine):
    """Push to one parent, recurse into it, then the next parent."""

    def backward(self):
        self.grad = 1.0
        self._recurse()

    def _recurse(self):
        for parent, local in zip(self.parents, self.local_grads):
            parent.grad += local * self.grad
            parent._recurse()


class _RootGradUnset(_Engine):
    """Starts from 1 for the root but never stores it in root.grad."""

    def backward(self):
        for node in reversed(ref.topological_order(self)):
            g = 1.0 if node is self else node.grad
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * g


class _BreadthFirst(_Engine):
    def backward(self):
        self.grad = 1.0
        queue, seen = deque([self]), {self}
        while queue:
            node = queue.popleft()
            _push(node)
            for parent in node.parents:
                if parent not in seen:
                    seen.add(parent)
                    queue.append(parent)


def _pow_mutant(slope: Callable[[float, float], float]) -> type:
    def power(self, k):
        return self._unary("**", (self.data ** k, slope(self.data, k)))
    return type("Value_pow", (_Engine,), {"__pow__": power})


def _tanh_one_minus(x):
    t = math.tanh(x)
    return t, 1.0 - t


def _sigmoid_slope_s(x):
    s, _ = ref._sigmoid(x)
    return s, s


VALUE_MISTAKES = [
    Mistake("value_grad_assigned", "backward assigns each gradient (grad = "
            "...) instead of adding to it (grad += ...), so a value used more "
            "than once keeps only the last contribution", _GradAssigned),
    Mistake("value_order_not_reversed", "backward visits the nodes in "
            "topological order (inputs first); it must go in reverse, from "
            "the output back to the inputs, so that a node's gradient is "
            "complete before it is passed on", _NotReversed),
    Mistake("value_recursive_per_use", "backward recurses into a node's "
            "parents every time the node is reached, passing its gradient on "
            "before all its uses have contributed and then again; visit each "
            "node once, in reverse topological order", _RecursivePerUse),
    Mistake("value_recursive_per_edge", "backward recurses into each parent "
            "as soon as it has pushed to it, so a node used more than once "
            "passes on a partial gradient and then the larger total again; "
            "visit each node once, in reverse topological order",
            _RecursivePerEdge),
    Mistake("value_breadth_first", "backward visits nodes breadth-first "
            "from the output, which is not a topological order: a node reached "
            "by a short and a long path passes its gradient on before the long "
            "path has contributed", _BreadthFirst),
    Mistake("value_grads_only_on_leaves", "backward leaves the .grad of the root or "
            "of the intermediate nodes at 0; every node gets d root / d node in its "
            ".grad, the root 1, not only the leaves", _RootGradUnset),
    Mistake("value_mul_no_swap", "the mul gate gives each input its own "
            "value as local gradient; d(a*b)/da is b and d(a*b)/db is a",
            _rebind("mul", lambda a, b: (a * b, a, b))),
    Mistake("value_sub_sign", "subtraction passes +1 to its second input; "
            "d(a - b)/db is -1", _rebind("sub", lambda a, b: (a - b, 1.0, 1.0))),
    Mistake("value_div_sign", "the derivative of a/b with respect to b has "
            "the wrong sign: it is -a/b**2",
            _rebind("truediv", lambda a, b: (a / b, 1.0 / b, a / (b * b)))),
    Mistake("value_pow_missing_k", "the power rule is missing the exponent "
            "factor: d(x**k)/dx is k*x**(k-1)",
            _pow_mutant(lambda x, k: x ** (k - 1))),
    Mistake("value_pow_k_x_k", "the power rule keeps the exponent k "
            "instead of lowering it: d(x**k)/dx is k*x**(k-1)",
            _pow_mutant(lambda x, k: k * x ** k)),
    Mistake("value_tanh_not_squared", "the derivative of tanh is 1 - t**2 "
            "with t = tanh(x); the square is missing",
            _unary_mutant("tanh", _tanh_one_minus)),
    Mistake("value_sigmoid_slope", "the derivative of the sigmoid is s*(1 - "
            "s), not s", _unary_mutant("sigmoid", _sigmoid_slope_s)),
    Mistake("value_relu_slope_at_zero", "relu passes the gradient at x == 0; "
            "its slope there is taken to be 0 (as in PyTorch), so use x > 0",
            _unary_mutant("relu", lambda x: (max(x, 0.0), 1.0 if x >= 0 else 0.0))),
    Mistake("value_relu_passes_negative", "relu passes the gradient for every "
            "input; its slope is 0 where x <= 0",
            _unary_mutant("relu", lambda x: (max(x, 0.0), 1.0))),
]

# ---------------------------------------------------------------------------
# Layers: each case's arrays come from np.random.default_rng(data seed),
# the data seed drawn from the case's generator (and drawn again while the
# data lacks what the case is there for, such as inputs at exactly 0).

def _data(rng: np.random.Generator, draw: Callable[[np.random.Generator], dict],
          ok: Callable[[dict], bool] = lambda data: True) -> tuple[int, dict]:
    while True:
        data_seed = int(rng.integers(1, 10**6))
        data = draw(np.random.default_rng(data_seed))
        if ok(data):
            return data_seed, data


_PASS = {FORWARD: 0, BACKWARD: 1}
UNCHANGED = ("a layer leaves the arrays it is given as they were: build its results in "
             "new arrays (x.reshape(N, D) and np.where(...) do; x.shape = ..., x[...] = "
             "..., x += ... and out=x write into the caller's array)")


def _untouched(functions: tuple[str, str], label: str,
               then: Callable[[Outputs], None] | None = None) -> Callable[[Outputs], Outputs]:
    """A case's prepare: fail when the pair wrote into one of the caller's
    arrays (the call's ``"changed"``), then compare the other outputs."""
    def prepare(out: Outputs) -> Outputs:
        changed = out.get("changed")
        if isinstance(changed, dict):
            for name, phase in changed.items():
                if phase in _PASS:
                    raise CheckFailure(
                        f"your {functions[_PASS[phase]]} changed the caller's {name} in "
                        f"place ({label})", diagnosis=UNCHANGED)
        if then is not None:
            then(out)
        return {k: v for k, v in out.items() if k != "changed"}
    return prepare


# (x's shape, M, x's kind, note); x of kind "int64" or "uint8" holds integers.
_AFFINE_PLANS = [((4, 3), 3, "float", "a square W"), ((4, 5), 3, "float", ""),
                 ((3, 2, 5), 4, "float", "x read as (3, 10)"),
                 ((2, 3, 2, 2), 3, "float", "x read as (2, 12)"),
                 ((5, 4), 3, "int64", "integer x, so every result is float64"),
                 ((3, 6), 2, "uint8", "integer x, so every result is float64")]
_INTEGERS = {"int64": ("rng.integers(-3, 4, size={shape})",
                       lambda g, shape: g.integers(-3, 4, size=shape)),
             "uint8": ("rng.integers(0, 256, size={shape}, dtype=np.uint8)",
                       lambda g, shape: g.integers(0, 256, size=shape, dtype=np.uint8))}


def _affine_case(rng: np.random.Generator, x_shape: tuple[int, ...], M: int, kind: str,
                 note: str) -> Case:
    N, D = x_shape[0], math.prod(x_shape[1:])
    first = (lambda g: g.standard_normal(x_shape)) if kind == "float" else (
        lambda g: _INTEGERS[kind][1](g, x_shape))

    def draw(g):
        return {"x": first(g), "W": g.standard_normal((D, M)),
                "b": g.standard_normal(M), "dout": g.standard_normal((N, M))}
    data_seed, args = _data(rng, draw)
    if kind == "float":
        label = (f"x of shape {x_shape}, W ({D}, {M}), b ({M},) and dout ({N}, {M}) "
                 f"drawn in that order by np.random.default_rng({data_seed}).standard_normal")
    else:
        label = (f"x = {_INTEGERS[kind][0].format(shape=x_shape)} ({kind}), then W ({D}, "
                 f"{M}), b ({M},) and dout ({N}, {M}) = rng.standard_normal(...) in that "
                 f"order, with rng = np.random.default_rng({data_seed})")
    label += f": {note}" if note else ""
    return Case(label=label, call="backprop.affine", args=args,
                prepare=_untouched(("affine_forward", "affine_backward"), label))


def _affine_cases(seed: int) -> list[Case]:
    return [_affine_case(_rng(seed, "affine", n), *plan) for n, plan in enumerate(_AFFINE_PLANS)]


def _affine(out=lambda x2, W, b: x2 @ W + b,
            dx=lambda dout, x, W: (dout @ W.T).reshape(x.shape),
            dW=lambda dout, x, x2: x2.T @ dout,
            db=lambda dout: dout.sum(axis=0)) -> tuple[Callable, Callable]:
    """An affine pair with one formula replaced; its cache is (x, W)."""
    def forward(x, W, b):
        return out(x.reshape(x.shape[0], -1), W, b), (x, W)

    def backward(dout, cache):
        x, W = cache
        return dx(dout, x, W), dW(dout, x, x.reshape(x.shape[0], -1)), db(dout)
    return forward, backward


def _affine_forward_sets_shape(x, W, b):
    x.shape = (x.shape[0], -1)  # the caller's own array is reshaped
    return x @ W + b, (x, W)


def _affine_backward_flat(dout, cache):
    x, W = cache
    return (dout @ W.T).reshape(x.shape), x.T @ dout, dout.sum(axis=0)


AFFINE_MISTAKES = [
    Mistake("affine_out_missing_b", "the bias b is not added to x @ W in "
            "the forward pass", _affine(out=lambda x2, W, b: x2 @ W)),
    Mistake("affine_dx_not_reshaped", "dx keeps the flattened shape (N, D); "
            "reshape it back to the shape of x",
            _affine(dx=lambda dout, x, W: dout @ W.T)),
    Mistake("affine_dx_W_not_transposed", "dx multiplies dout by W; it "
            "needs W transposed, dx = dout @ W.T, to go from M back to D",
            _affine(dx=lambda dout, x, W: (dout @ W).reshape(x.shape))),
    Mistake("affine_dW_factors_swapped", "dW has its factors in the wrong "
            "order (dout.T @ x, shape (M, D)); it is x.T @ dout, of W's shape "
            "(D, M)", _affine(dW=lambda dout, x, x2: dout.T @ x2)),
    Mistake("affine_dW_reshape_not_transpose", "x was reshaped to (D, N) "
            "instead of flattened to (N, D) and transposed: reshape keeps "
            "numpy's order and mixes entries of different examples",
            _affine(dW=lambda dout, x, x2: x.reshape(x2.shape[1], -1) @ dout)),
    Mistake("affine_dW_unflattened_x", "dW uses x as it came in; flatten it "
            "to (N, D) first, as in the forward pass",
            _affine(dW=lambda dout, x, x2: x.T @ dout)),
    Mistake("affine_dW_averaged", "dW is divided by N; a layer's gradient is "
            "a plain sum over examples (any averaging belongs to the loss)",
            _affine(dW=lambda dout, x, x2: x2.T @ dout / len(x))),
    Mistake("affine_db_mean", "db averages dout over the examples; b is added "
            "to every row, so its gradient is the sum", _affine(db=lambda d: d.mean(0))),
    Mistake("affine_db_first_row", "db is the first row of dout; it is the "
            "sum over all N rows", _affine(db=lambda d: d[0])),
    Mistake("affine_db_not_summed", "db is dout itself, shape (N, M); sum it "
            "over the examples to get b's shape (M,)", _affine(db=lambda d: d)),
    Mistake("affine_dx_in_x_dtype", "dx takes the dtype of an integer x (np.zeros_like(x) "
            "or .astype(x.dtype)), which truncates it; gradients are float64 whatever "
            "x holds", _affine(dx=lambda dout, x, W: (dout @ W.T).reshape(x.shape).astype(
                x.dtype))),
    Mistake("affine_sets_x_shape", "affine_forward sets x.shape, which reshapes the "
            "caller's own array; x.reshape(N, D) gives a new view and leaves x as it was",
            (_affine_forward_sets_shape, _affine_backward_flat)),
]


def _integers(shape: tuple[int, ...]) -> tuple[Callable, str]:
    def draw(g):
        return g.integers(-2, 3, size=shape).astype(float)
    return draw, f"x = rng.integers(-2, 3, size={shape}) as floats"


def _with_zeros(shape: tuple[int, ...], zeros: int) -> tuple[Callable, str]:
    size = math.prod(shape)

    def draw(g):
        x = g.standard_normal(shape)
        x.flat[g.choice(size, zeros, replace=False)] = 0.0
        return x
    return draw, (f"x = rng.standard_normal({shape}), then "
                  f"x.flat[rng.choice({size}, {zeros}, replace=False)] = 0")


def _relu_case(rng: np.random.Generator, make_x: tuple[Callable, str]) -> Case:
    draw_x, how = make_x

    def draw(g):
        x = draw_x(g)
        return {"x": x, "dout": g.standard_normal(x.shape)}

    def ok(data):  # both sides of the kink, and at least two inputs on it
        x = data["x"]
        return (x == 0).sum() >= 2 and (x > 0).any() and (x < 0).any()
    data_seed, args = _data(rng, draw, ok)
    zeros = int((args["x"] == 0).sum())
    label = (f"{how} ({zeros} entries exactly 0), then dout = rng.standard_normal"
             f"({args['x'].shape}), with rng = np.random.default_rng({data_seed})")
    return Case(label=label, call="backprop.relu", args=args,
                prepare=_untouched(("relu_forward", "relu_backward"), label))


_RELU_PLANS = [_integers((4, 5)), _with_zeros((2, 3, 4), 5), _integers((6,))]


def _relu_cases(seed: int) -> list[Case]:
    return [_relu_case(_rng(seed, "relu", n), plan) for n, plan in enumerate(_RELU_PLANS)]


def _relu(out=lambda x: np.where(x > 0, x, 0.0),
          dx=lambda dout, x: np.where(x > 0, dout, 0.0)) -> tuple[Callable, Callable]:
    """A ReLU pair with one formula replaced; its cache is x."""
    return (lambda x: (out(x), x)), (lambda dout, x: dx(dout, x))


def _relu_forward_in_place(x):
    off = x <= 0
    x[off] = 0.0  # writes into the caller's x
    return x, off


def _relu_backward_from_off(dout, off):
    return np.where(off, 0.0, dout)


def _relu_backward_in_place(dout, x):
    dout[x <= 0] = 0.0  # writes into the caller's dout
    return dout


RELU_MISTAKES = [
    Mistake("relu_slope_at_zero", "the gradient passes where x == 0 (mask x "
            ">= 0); ReLU's slope at 0 is taken to be 0, as in PyTorch: use x > 0",
            _relu(dx=lambda dout, x: np.where(x >= 0, dout, 0.0))),
    Mistake("relu_mask_from_dout", "the mask is taken from dout > 0; it must "
            "come from the forward input, x > 0",
            _relu(dx=lambda dout, x: np.where(dout > 0, dout, 0.0))),
    Mistake("relu_returns_mask", "backward returns the mask itself; multiply "
            "it by dout", _relu(dx=lambda dout, x: (x > 0).astype(float))),
    Mistake("relu_passes_everything", "backward passes dout through "
            "unchanged (a mask like out >= 0 is true everywhere); zero it "
            "where x <= 0", _relu(dx=lambda dout, x: dout.copy())),
    Mistake("relu_mask_inverted", "the mask is inverted: the gradient passes "
            "where x <= 0 and is zeroed where x > 0",
            _relu(dx=lambda dout, x: np.where(x > 0, 0.0, dout))),
    Mistake("relu_leaky", "this is a leaky ReLU (slope 0.01 for negative "
            "x); plain ReLU outputs 0 and passes no gradient there",
            _relu(out=lambda x: np.where(x > 0, x, 0.01 * x),
                  dx=lambda dout, x: np.where(x > 0, dout, 0.01 * dout))),
    Mistake("relu_forward_writes_x", "relu_forward writes into x (x[x <= 0] = 0), "
            "the caller's array; compute out as a new array, np.maximum(x, 0), and "
            "leave x as it was", (_relu_forward_in_place, _relu_backward_from_off)),
    Mistake("relu_backward_writes_dout", "relu_backward writes into dout (dout[x <= 0] "
            "= 0), the caller's array; build dx as a new array, np.where(x > 0, dout, "
            "0.0), and leave dout as it was", (ref.relu_forward, _relu_backward_in_place)),
]
# ---- MLP

# (X's shape, H, C, integer-valued X, W1 and b1)
_MLP_PLANS = [((4, 5), 6, 3, False), ((3, 2, 4), 5, 2, False), ((6, 4), 7, 3, True),
              ((5, 3), 6, 2, True)]


def _hidden(data: dict) -> np.ndarray:
    """The hidden pre-activations X @ W1 + b1."""
    X, p = data["X"], data["params"]
    return X.reshape(len(X), -1) @ p["W1"] + p["b1"]


def _kinks_of(data: dict) -> int:
    """Hidden pre-activations at exactly 0."""
    return int((_hidden(data) == 0).sum())


def _telling(data: dict) -> bool:
    """Hidden units on both sides of the kink, and a negative score of the
    network without ReLU (else a ReLU moved onto the scores changes
    nothing there and looks like no ReLU at all)."""
    h, p = _hidden(data), data["params"]
    return bool((h > 0).any() and (h < 0).any() and (h @ p["W2"] + p["b2"] < 0).any())


def _only_param_keys(label: str) -> Callable[[Outputs], None]:
    def check(out: Outputs) -> None:
        grads = out.get("grads")
        if isinstance(grads, dict) and set(grads) - set(ref.MLP_KEYS):
            raise CheckFailure(
                f"your mlp_backward returned the keys {list(grads)}; it returns the "
                f"keys of params and only those, {list(ref.MLP_KEYS)} ({label})")
    return check


def _mlp_case(rng: np.random.Generator, x_shape: tuple[int, ...], H: int, C: int,
              integer: bool) -> Case:
    N, D = x_shape[0], math.prod(x_shape[1:])

    def draw(g):
        if integer:  # integer data puts hidden pre-activations at exactly 0
            first = lambda shape: g.integers(-2, 3, size=shape).astype(float)  # noqa: E731
        else:
            first = g.standard_normal
        X, W1, b1 = first(x_shape), first((D, H)), first(H)
        params = {"W1": W1, "b1": b1, "W2": g.standard_normal((H, C)),
                  "b2": g.standard_normal(C)}
        return {"X": X, "params": params, "dscores": g.standard_normal((N, C))}
    data_seed, args = _data(rng, draw, lambda d: _telling(d) and (
        _kinks_of(d) >= 2 or not integer))
    label = f"X of shape {x_shape}" + (f" read as ({N}, {D})" if len(x_shape) > 2 else "")
    label += f", H = {H}, C = {C}: "
    if integer:
        label += (f"X, W1 and b1 = rng.integers(-2, 3, size=...) as floats "
                  f"({_kinks_of(args)} hidden pre-activations exactly 0), then W2, b2 "
                  f"and dscores = rng.standard_normal(...)")
    else:
        label += "X, W1, b1, W2, b2 and dscores = rng.standard_normal(...)"
    label += f" in that order, with rng = np.random.default_rng({data_seed})"
    return Case(label=label, call="backprop.mlp", args=args,
                prepare=_untouched(("mlp_forward", "mlp_backward"), label,
                                   then=_only_param_keys(label)))


def _mlp_cases(seed: int) -> list[Case]:
    return [_mlp_case(_rng(seed, "mlp", n), *plan) for n, plan in enumerate(_MLP_PLANS)]


def _mlp(*, hidden_relu=True, score_relu=False, backprop_relu=True,
         mask=lambda h: h > 0, dW1_from_h=False, dW2_from_h=False,
         db1_before_relu=False, sum_db2=True, average=False, dW1_from_X=False,
         set_shape=False) -> tuple[Callable, Callable]:
    """An MLP pair with one knob turned away from the reference."""
    def forward(X, p):
        if set_shape:
            X.shape = (X.shape[0], -1)  # the caller's own array is reshaped
        X2 = X.reshape(X.shape[0], -1)
        h = X2 @ p["W1"] + p["b1"]
        a = np.maximum(h, 0.0) if hidden_relu else h
        s = a @ p["W2"] + p["b2"]
        return (np.maximum(s, 0.0) if score_relu else s), (X, X2, h, a, s, p)

    def backward(ds, cache):
        X, X2, h, a, s, p = cache
        ds = ds / len(ds) if average else ds
        if score_relu:
            ds = ds * (s > 0)
        dW2 = (h if dW2_from_h else a).T @ ds
        db2 = ds.sum(axis=0) if sum_db2 else ds
        da = ds @ p["W2"].T
        dh = da * mask(h) if hidden_relu and backprop_relu else da
        dW1 = (h if dW1_from_h else X if dW1_from_X else X2).T @ dh
        db1 = (da if db1_before_relu else dh).sum(axis=0)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    return forward, backward


MLP_MISTAKES = [
    Mistake("mlp_no_relu", "there is no ReLU between the layers: the network "
            "is linear; apply it to the hidden pre-activations",
            _mlp(hidden_relu=False)),
    Mistake("mlp_relu_after_W2", "the ReLU is applied after the second layer "
            "(to the scores) instead of to the hidden layer",
            _mlp(hidden_relu=False, score_relu=True)),
    Mistake("mlp_backward_skips_relu", "backward does not go through the "
            "ReLU: multiply the hidden gradient by the mask (hidden "
            "pre-activation > 0) before the first layer", _mlp(backprop_relu=False)),
    Mistake("mlp_relu_slope_at_zero", "the ReLU mask passes the gradient "
            "where the hidden pre-activation is exactly 0; use > 0, as PyTorch "
            "does", _mlp(mask=lambda h: h >= 0)),
    Mistake("mlp_dW1_from_hidden", "dW1 multiplies by the hidden "
            "pre-activations; the first layer's input is X, so dW1 = X.T @ "
            "(its upstream gradient)", _mlp(dW1_from_h=True)),
    Mistake("mlp_dW2_from_pre_relu", "dW2 uses the hidden values before the "
            "ReLU; the second layer's input is the ReLU output",
            _mlp(dW2_from_h=True)),
    Mistake("mlp_db1_before_relu", "db1 sums the hidden gradient before the "
            "ReLU mask; b1 sits before the ReLU, so mask first",
            _mlp(db1_before_relu=True)),
    Mistake("mlp_db2_not_summed", "the gradient of b2 is dscores itself, "
            "shape (N, C); sum it over the examples", _mlp(sum_db2=False)),
    Mistake("mlp_grads_divided_by_N", "every gradient is divided by N; dscores is "
            "already dL/dscores, so no averaging belongs here (that is the loss's job)",
            _mlp(average=True)),
    Mistake("mlp_dW1_unflattened_X", "dW1 uses X as it came in; flatten it to (N, D) "
            "first, as the forward pass does", _mlp(dW1_from_X=True)),
    Mistake("mlp_sets_X_shape", "mlp_forward sets X.shape, which reshapes the caller's "
            "own array; X.reshape(N, D) gives a new view and leaves X as it was",
            _mlp(set_shape=True)),
]

# ---------------------------------------------------------------------------

GRADED: dict[str, Graded] = {
    "rules": Graded(name="local rules", reference=_rules(), cases=_rule_cases,
                    names=RULES, mistakes=tuple(RULE_MISTAKES)),
    # backward is judged with the reference's rules in place of the
    # student's, so a wrong rule costs points in its own cell only.
    "value": Graded(name=VALUE, reference=ref.Value, cases=_value_cases,
                    names=("Value",), mistakes=tuple(VALUE_MISTAKES), uses=RULES),
    "affine": Graded(name=AFFINE,
                     reference=(ref.affine_forward, ref.affine_backward),
                     cases=_affine_cases, names=("affine_forward", "affine_backward"),
                     mistakes=tuple(AFFINE_MISTAKES)),
    "relu": Graded(name=RELU,
                   reference=(ref.relu_forward, ref.relu_backward),
                   cases=_relu_cases, names=("relu_forward", "relu_backward"),
                   mistakes=tuple(RELU_MISTAKES)),
    # mlp_forward calls the layers: while it is judged they are the
    # reference's, so a mistake in a layer costs points in its own part only.
    "mlp": Graded(name=MLP,
                  reference=(ref.mlp_forward, ref.mlp_backward),
                  cases=_mlp_cases, names=("mlp_forward", "mlp_backward"),
                  mistakes=tuple(MLP_MISTAKES), uses=LAYERS),
}
