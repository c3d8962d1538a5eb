"""Calls for the gates, activations and losses of chapter 2.

- :func:`gate` runs a pair ``(forward, backward)``: the forward on copies
  of the inputs, then the backward on a copy of ``dout`` and the cache the
  student's forward returned (any cache format works), and returns the
  output and each gradient by name.
- :func:`loss` calls a loss ``(scores, y[, margin=...]) -> (loss,
  dscores)``; an option the case leaves out is left at the function's
  default, one it gives is passed by its name.

Both also report what the judge needs beyond the values, as outputs of
their own:

- :data:`CHANGED`: which of the arrays handed to the student's functions
  came back changed (a forward's inputs after the forward and again after
  the backward, which may reach them through its cache; ``dout`` after the
  backward; a loss's scores and labels), in words, "" when none did;
- :data:`DTYPES`: the dtype of every array output, in words;
- with ``watch``, :data:`WARNED` (0 or 1) and :data:`WARNINGS_TEXT`:
  whether numpy raised a floating-point warning, and which and where (a
  sigmoid that overflows ``exp`` can still return the right values, so the
  warning is the only evidence).

What each function takes and gives back is the small tables :data:`GATES`
and :data:`LOSSES`; nothing here knows what the results should be.
"""
from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from . import copied, returned

# gate: (its forward's inputs in order, its backward's gradients in order)
GATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "max": (("x", "y"), ("dx", "dy")),
    "sigmoid": (("x",), ("dx",)),
    "prelu": (("x", "a"), ("dx", "da")),
}

# loss: (its inputs passed by position, its options passed by name when a
# case gives them)
LOSSES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "softmax_cross_entropy": (("scores", "y"), ()),
    "svm_loss": (("scores", "y"), ("margin",)),
}

# Output names of a watched call: 1 if numpy warned (whatever the kind, so
# every overflowing form reads alike), and what it said, in words.
WARNED = "floating-point warnings"
WARNINGS_TEXT = "numpy warnings"
# Output names of every call: the inputs that came back changed, and the
# dtypes of the array outputs, in words.
CHANGED = "inputs changed"
DTYPES = "dtypes"


def _changed(now: Any, before: Any) -> bool:
    """True when an array handed to the student differs from the original."""
    if not isinstance(before, np.ndarray):
        return False
    if not isinstance(now, np.ndarray) or now.shape != before.shape \
            or now.dtype != before.dtype:
        return True
    return not np.array_equal(now, before)


class _Watch:
    """numpy's floating-point warnings while the student's code runs, each
    named with the function that was running."""

    def __init__(self, on: bool, first: str):
        self.on, self.running, self.heard = on, first, []

    def note(self, kind: str, _flag: int) -> None:
        said = f"{kind} in {self.running}"
        if said not in self.heard:
            self.heard.append(said)

    def context(self):
        if not self.on:
            return contextlib.nullcontext()
        return np.errstate(over="call", divide="call", invalid="call", call=self.note)

    def outputs(self) -> dict:
        if not self.on:
            return {}
        return {WARNED: int(bool(self.heard)), WARNINGS_TEXT: "; ".join(self.heard)}


def _dtypes(outputs: dict) -> str:
    """"out float64, dx float64": the dtype of each array output."""
    return ", ".join(f"{k} {v.dtype}" for k, v in outputs.items()
                     if isinstance(v, np.ndarray))


def gate(pair, *, gate: str, dout, watch: bool = False, **inputs: Any) -> dict:
    """``forward(*inputs) -> (out, cache)``, then ``backward(dout, cache)``.

    Outputs: ``out`` (copied before the backward runs, which may reuse it
    in place), then each gradient by name (``dx``, or ``dx, dy``...), then
    :data:`CHANGED` and :data:`DTYPES`; with ``watch``, :data:`WARNED` and
    :data:`WARNINGS_TEXT`."""
    forward, backward = pair
    order, grads = GATES[gate]
    fwd, bwd = f"{gate}_forward", f"{gate}_backward"
    args = [copied(inputs[name]) for name in order]
    given_dout = copied(dout)
    watching = _Watch(watch, fwd)
    with watching.context():
        out, cache = returned(forward(*args), fwd, "out, cache")
        out = copied(out)
        by_forward = [name for name, arg in zip(order, args) if _changed(arg, inputs[name])]
        watching.running = bwd
        result = backward(given_dout, cache)
    changed = [f"{fwd} changed its input {name}" for name in by_forward]
    changed += [f"{bwd} changed {name} (an input of {fwd}, kept in your cache)"
                for name, arg in zip(order, args)
                if name not in by_forward and _changed(arg, inputs[name])]
    if _changed(given_dout, dout):
        changed.append(f"{bwd} changed its input dout")
    outputs: dict[str, Any] = {"out": out}
    if len(grads) == 1:
        outputs[grads[0]] = copied(result)
    else:
        outputs.update(zip(grads, (copied(g) for g in
                                   returned(result, bwd, ", ".join(grads)))))
    outputs[DTYPES] = _dtypes(outputs)
    outputs[CHANGED] = " and ".join(changed)
    outputs.update(watching.outputs())
    return outputs


def loss(impl, *, loss: str, watch: bool = False, **inputs: Any) -> dict:
    """``impl(*inputs, **options) -> (loss, dscores)`` on copies of the
    inputs. Outputs: ``loss``, ``dscores``, :data:`CHANGED` and
    :data:`DTYPES`; with ``watch``, :data:`WARNED` and :data:`WARNINGS_TEXT`."""
    positional, options = LOSSES[loss]
    args = [copied(inputs[name]) for name in positional]
    kwargs = {name: copied(inputs[name]) for name in options if name in inputs}
    watching = _Watch(watch, loss)
    with watching.context():
        value, dscores = returned(impl(*args, **kwargs), loss, "loss, dscores")
    outputs: dict[str, Any] = {"loss": copied(value), "dscores": copied(dscores)}
    outputs[DTYPES] = _dtypes(outputs)
    outputs[CHANGED] = " and ".join(f"{loss} changed its input {name}"
                                    for name, arg in zip(positional, args)
                                    if _changed(arg, inputs[name]))
    outputs.update(watching.outputs())
    return outputs


CALLS = {"gate": gate, "loss": loss}
