"""Calls for backpropagation: a scalar autograd class, then layer pairs.

A class and an expression cannot cross the wire as objects, so a ``Value``
case is described as data: the leaves (name -> number) and the steps that
build the graph from them, each ``(name, expression)`` with the expression
written in Python over the names bound so far (``"t*t + 3*t"``). The call
makes the leaves with the student's class, evaluates the steps in a
namespace that holds those nodes and nothing else (no builtins), calls
``backward()`` once on the last one and reads back numbers. A long chain
is the same step repeated.

A layer pair ``(forward, backward)`` is graded as a whole: the student's
backward gets the student's own cache, so any cache format works.
"""
from __future__ import annotations

from typing import Any

from ..errors import Refusal
from . import copied, returned

_NOTHING = {"__builtins__": {}}


def value(V, *, leaves: dict, steps: list) -> dict:
    """Build the graph of ``steps`` on leaves ``V(x)`` and call backward() on
    its last node: ``{"<root>.data": ..., "<leaf>.grad": ... for each leaf}``."""
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


def affine(pair, *, x, W, b, dout) -> dict:
    """``affine_forward(x, W, b)``, then ``affine_backward(dout, cache)``."""
    forward, backward = pair
    out, cache = returned(forward(x, W, b), "affine_forward", "out, cache")
    out = copied(out)  # a backward that reuses out's buffer cannot rewrite it
    dx, dW, db = returned(backward(dout, cache), "affine_backward", "dx, dW, db")
    return {"out": out, "dx": dx, "dW": dW, "db": db}


def relu(pair, *, x, dout) -> dict:
    """``relu_forward(x)``, then ``relu_backward(dout, cache)``."""
    forward, backward = pair
    out, cache = returned(forward(x), "relu_forward", "out, cache")
    out = copied(out)
    return {"out": out, "dx": backward(dout, cache)}


def mlp(pair, *, X, params: dict, dscores) -> dict:
    """``mlp_forward(X, params)``, then ``mlp_backward(dscores, cache)``."""
    forward, backward = pair
    scores, cache = returned(forward(X, params), "mlp_forward", "scores, cache")
    scores = copied(scores)
    return {"scores": scores, "grads": backward(dscores, cache)}


CALLS = {"value": value, "affine": affine, "relu": relu, "mlp": mlp}
