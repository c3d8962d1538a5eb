"""Calls for backpropagation: local rules, a scalar autograd class, then
layer pairs.

A local rule (``_add``, ``_power``, ...) is a function of plain floats: the
call evaluates it at the case's points and reads back its value and its
slopes, one dict per point.

A class and an expression cannot cross the wire as objects, so a ``Value``
case is described as data: the leaves (name -> number) and the steps that
build the graph from them, each ``(name, expression)`` with the expression
written in Python over the names bound so far (``"t*t + 3*t"``). The call
makes the leaves with the student's class, evaluates the steps in a
namespace that holds those nodes and nothing else (no builtins), calls
``backward()`` once on the last one and reads back numbers: the root's data,
every leaf's grad, the grad of every other named node and the root's own.
A long chain is the same step repeated.

A layer pair ``(forward, backward)`` is graded as a whole: the student's
backward gets the student's own cache, so any cache format works. Each
layer call also says which of the caller's arrays the pair wrote into
(``"changed"``: 0 untouched, 1 changed by the forward pass, 2 by the
backward pass); the judge turns that into a sentence.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import Refusal
from . import copied, returned

_NOTHING = {"__builtins__": {}}

# The local rules, in the order the judge names them (the order of impl).
RULES = ("_add", "_mul", "_power", "_exp", "_log", "_tanh", "_relu")
BINARY = ("_add", "_mul")
FORWARD, BACKWARD = 1, 2  # which pass changed a caller's array


def point_name(rule: str, point) -> str:
    """``_power(0, 0)``: how a point of a rule is named in the outputs."""
    return f"{rule}({', '.join(f'{float(v):g}' for v in point)})"


def rules(fns, *, rule: str, points: list) -> dict:
    """``fns[rule](*point)`` for every point: ``{"_add(1.5, -2)": {"y": ...,
    "dy/da": ..., "dy/db": ...}, ...}`` (``"dy/dx"`` for a unary rule)."""
    fn = fns[RULES.index(rule)] if isinstance(fns, tuple) else fns
    slopes = ("dy/da", "dy/db") if rule in BINARY else ("dy/dx",)
    parts = ", ".join(("y",) + slopes)
    out = {}
    for point in points:
        args = [float(v) for v in point]
        name = point_name(rule, args)
        got = returned(fn(*args), rule, parts, f"for {name}")
        out[name] = {key: _float(v, name, key) for key, v in zip(("y",) + slopes, got)}
    return out


def _float(v: Any, name: str, key: str) -> float:
    """A rule's number as a float (an int, a bool or a numpy number are
    numbers too), or a Refusal that says what was there instead."""
    if v is None:
        raise Refusal(f"your {name} returned None as {key}, expected a number")
    try:
        return float(v)
    except (TypeError, ValueError):
        raise Refusal(f"your {name} returned a {type(v).__name__} as {key}, "
                      f"expected a number") from None


def value(V, *, leaves: dict, steps: list) -> dict:
    """Build the graph of ``steps`` on leaves ``V(x)`` and call backward() on
    its last node: ``{"<root>.data", "<leaf>.grad" for each leaf, "<node>.grad"
    for each other named node, "<root>.grad"}``."""
    if not steps:
        raise ValueError("a Value case needs at least one step")
    nodes = {name: V(float(x)) for name, x in leaves.items()}
    scope = dict(nodes)
    code: dict[str, Any] = {}
    for name, expression in steps:
        if expression not in code:
            code[expression] = compile(expression, "<expression>", "eval")
        scope[name] = eval(code[expression], _NOTHING, scope)
    root_name = steps[-1][0]
    root = scope[root_name]
    root.backward()
    out = {f"{root_name}.data": _number(root, "data", root_name)}
    for name, leaf in nodes.items():
        out[f"{name}.grad"] = _number(leaf, "grad", name)
    inner = [name for name in dict.fromkeys(n for n, _ in steps) if name != root_name
             and not any(scope[name] is leaf for leaf in nodes.values())]
    for name in inner:  # the node the name holds at the end
        out[f"{name}.grad"] = _number(scope[name], "grad", name)
    out[f"{root_name}.grad"] = _number(root, "grad", root_name)
    return out


def _number(node: Any, attribute: str, name: str) -> float:
    """A node's .data or .grad as a float (a class may keep ints or numpy
    numbers), or a Refusal that says what was there instead."""
    if not hasattr(node, attribute):
        after = " after backward()" if attribute == "grad" else ""
        raise Refusal(f"your Value has no attribute {attribute}{after}")
    number = getattr(node, attribute)
    if number is None:
        raise Refusal(f"your {name}.{attribute} is None, expected a number")
    try:
        return float(number)
    except (TypeError, ValueError):
        raise Refusal(f"your {name}.{attribute} should be a number, got "
                      f"{type(number).__name__}") from None


# ---------------------------------------------------------------- layers

class _Watch:
    """Copies of the caller's arrays, to tell afterwards which ones a
    function wrote into (values, shape or dtype); a dict is watched for its
    keys and for which objects it holds."""

    def __init__(self, arrays: dict[str, Any]):
        self.arrays = arrays
        self.kept = {name: dict(a) if isinstance(a, dict) else copied(a)
                     for name, a in arrays.items()}
        self.changed = {name: 0 for name in arrays}

    def after(self, phase: int) -> None:
        for name, a in self.arrays.items():
            if not self.changed[name] and _moved(a, self.kept[name]):
                self.changed[name] = phase


def _moved(now: Any, before: Any) -> bool:
    if isinstance(before, dict):
        return list(now) != list(before) or any(now[k] is not before[k] for k in before)
    if isinstance(before, np.ndarray):
        return not (isinstance(now, np.ndarray) and now.shape == before.shape
                    and now.dtype == before.dtype and np.array_equal(now, before))
    return False


def affine(pair, *, x, W, b, dout) -> dict:
    """``affine_forward(x, W, b)``, then ``affine_backward(dout, cache)``."""
    forward, backward = pair
    watch = _Watch({"x": x, "W": W, "b": b, "dout": dout})
    out, cache = returned(forward(x, W, b), "affine_forward", "out, cache")
    out = copied(out)  # a backward that reuses out's buffer cannot rewrite it
    watch.after(FORWARD)
    dx, dW, db = returned(backward(dout, cache), "affine_backward", "dx, dW, db")
    watch.after(BACKWARD)
    return {"out": out, "dx": dx, "dW": dW, "db": db, "changed": watch.changed}


def relu(pair, *, x, dout) -> dict:
    """``relu_forward(x)``, then ``relu_backward(dout, cache)``."""
    forward, backward = pair
    watch = _Watch({"x": x, "dout": dout})
    out, cache = returned(forward(x), "relu_forward", "out, cache")
    out = copied(out)
    watch.after(FORWARD)
    dx = backward(dout, cache)
    watch.after(BACKWARD)
    return {"out": out, "dx": dx, "changed": watch.changed}


def mlp(pair, *, X, params: dict, dscores) -> dict:
    """``mlp_forward(X, params)``, then ``mlp_backward(dscores, cache)``."""
    forward, backward = pair
    watch = _Watch({"X": X, **{f"params[{k!r}]": v for k, v in params.items()},
                    "params": params, "dscores": dscores})
    scores, cache = returned(forward(X, params), "mlp_forward", "scores, cache")
    scores = copied(scores)
    watch.after(FORWARD)
    grads = backward(dscores, cache)
    watch.after(BACKWARD)
    return {"scores": scores, "grads": grads, "changed": watch.changed}


CALLS = {"rules": rules, "value": value, "affine": affine, "relu": relu, "mlp": mlp}
