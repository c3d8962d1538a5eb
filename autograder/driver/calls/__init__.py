"""How a case calls the student's functions: one small function per kind.

A call is ``fn(impl, **args) -> outputs``: ``impl`` is what the graded
names hold (one object, or a tuple when a part grades several, such as
``(adam_init, adam_step)``), ``args`` the case's inputs as plain data, and
``outputs`` a dict of plain data. The same call runs the student's code in
the sandbox and, on the judge's side, the reference and the catalogued
mistakes, so the three are compared on exactly the same footing. A call
hands every function copies of its inputs, and raises
:class:`~autograder.driver.errors.Refusal` when a result cannot be used
further (no cache to pass on, a state without its fields).

Calls live in one module per concept, each with a ``CALLS`` dict; a call's
name is ``"<concept>.<name>"``.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable

from ..errors import Refusal

__all__ = ["lookup", "run", "Refusal", "returned", "copied", "state_fields"]


def lookup(name: str) -> Callable[..., dict]:
    """The call named ``"update_rules.trajectory"``."""
    concept, _, fn = name.partition(".")
    if not concept.isidentifier() or not fn:
        raise KeyError(f"no call named {name!r}")
    module = importlib.import_module(f".{concept}", __name__)
    try:
        return module.CALLS[fn]
    except KeyError:
        raise KeyError(f"no call {fn!r} in {concept}; there are "
                       f"{sorted(module.CALLS)}") from None


def run(name: str, impl: Any, args: dict) -> dict:
    """Run one call; its outputs, or the exception it raised."""
    return lookup(name)(impl, **args)


def returned(result: Any, name: str, parts: str, where: str = "") -> tuple:
    """``result`` when it is a tuple of as many values as ``parts`` names
    (e.g. "out, cache"), else a Refusal saying what came back instead.

    The one policy for a function that returns several values: a tuple
    (what ``return a, b`` makes); a list of the same length is accepted
    too, since it unpacks the same way."""
    n = len(parts.split(","))
    if isinstance(result, (tuple, list)) and len(result) == n:
        return tuple(result)
    if isinstance(result, (tuple, list)):
        got = f"a {type(result).__name__} of {len(result)}"
    else:
        got = "None" if result is None else type(result).__name__
    raise Refusal(f"your {name} should return ({parts}), got {got}"
                  + (f" {where}" if where else ""))


def copied(value: Any) -> Any:
    """A deep copy of plain data (arrays, numbers, tuples, lists, dicts),
    so a function that changes its inputs cannot change the case."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copied(v) for v in value]
    if hasattr(value, "_replace"):
        return type(value)(*(copied(v) for v in value))
    if isinstance(value, tuple):
        return tuple(copied(v) for v in value)
    return value


def state_fields(state: Any, name: str = "state") -> dict[str, Any]:
    """A state as ``{field: value}``: NamedTuple, dict or plain object."""
    if hasattr(state, "_asdict"):
        return dict(state._asdict())
    if isinstance(state, dict):
        return dict(state)
    if hasattr(state, "__dict__") and not callable(state):
        return dict(vars(state))
    raise Refusal(f"your {name} should be a NamedTuple (as in the skeleton), "
                  f"got {type(state).__name__}")
