"""Calls for the gates, activations and losses of chapter 2.

- :func:`gate` runs a pair ``(forward, backward)``: the forward on copies
  of the inputs, then the backward on a copy of ``dout`` and the cache the
  student's forward returned (any cache format works), and returns the
  output and each gradient by name. With ``watch`` it also reports
  whether numpy raised a floating-point warning in either function, and
  which: a sigmoid that overflows ``exp`` can still return the right
  values, so the warning is the only evidence.
- :func:`loss` calls a loss ``(scores, y[, margin]) -> (loss, dscores)``.

What each gate takes and gives back is the small table :data:`GATES`;
nothing here knows what the results should be.
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

# loss: its inputs in order (all passed positionally)
LOSSES: dict[str, tuple[str, ...]] = {
    "softmax_cross_entropy": ("scores", "y"),
    "svm_loss": ("scores", "y", "margin"),
}

# Output names of a watched gate: 1 if numpy warned (whatever the kind, so
# every overflowing form reads alike), and what it said, in words.
WARNED = "floating-point warnings"
WARNINGS_TEXT = "numpy warnings"


def gate(pair, *, gate: str, dout, watch: bool = False, **inputs: Any) -> dict:
    """``forward(*inputs) -> (out, cache)``, then ``backward(dout, cache)``.

    Outputs: ``out`` (copied before the backward runs, which may reuse it
    in place), then each gradient by name (``dx``, or ``dx, dy``...); with
    ``watch``, :data:`WARNED` (0 or 1) and :data:`WARNINGS_TEXT`."""
    forward, backward = pair
    order, grads = GATES[gate]
    fwd, bwd = f"{gate}_forward", f"{gate}_backward"
    args = [copied(inputs[name]) for name in order]
    heard: list[str] = []
    running = [fwd]

    def note(kind: str, _flag: int) -> None:
        said = f"{kind} in {running[0]}"
        if said not in heard:
            heard.append(said)
    watching = (np.errstate(over="call", divide="call", invalid="call", call=note)
                if watch else contextlib.nullcontext())
    with watching:
        out, cache = returned(forward(*args), fwd, "out, cache")
        out = copied(out)
        running[0] = bwd
        result = backward(copied(dout), cache)
    outputs: dict[str, Any] = {"out": out}
    if len(grads) == 1:
        outputs[grads[0]] = copied(result)
    else:
        outputs.update(zip(grads, (copied(g) for g in
                                   returned(result, bwd, ", ".join(grads)))))
    if watch:
        outputs[WARNED] = int(bool(heard))
        outputs[WARNINGS_TEXT] = "; ".join(heard)
    return outputs


def loss(impl, *, loss: str, **inputs: Any) -> dict:
    """``impl(*inputs) -> (loss, dscores)`` on copies of the inputs."""
    args = [copied(inputs[name]) for name in LOSSES[loss]]
    value, dscores = returned(impl(*args), loss, "loss, dscores")
    return {"loss": copied(value), "dscores": copied(dscores)}


CALLS = {"gate": gate, "loss": loss}
