"""Calls for the regularizers of chapter 6: penalties, dropout, early stopping.

- :func:`penalty` evaluates a pair ``(penalty, grad)`` on one ``w``;
- :func:`dropout_pass` runs ``dropout_forward`` once (with a given mask, or
  at test time) and ``dropout_backward`` on the student's own cache;
- :func:`dropout_stats` lets ``dropout_forward`` draw its mask from a
  generator built here from a seed, over many units of one constant
  value, and measures the drop rate, the mean output over that value and
  how often the backward pass's zeros differ from the forward pass's
  (statistics, so a mask drawn another way can be compared);
- :func:`early_stopping` feeds a scripted list of validation losses to
  ``(init, step)`` and records ``stop`` and the state's fields after every
  step, as they were returned (numbers as floats).

The outputs are what the student's functions returned (copied), or
measurements of them; nothing here knows what they should be.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import Refusal
from . import copied, returned, state_fields


def penalty(pair, *, w, lam) -> dict:
    """``penalty(w, lam)`` and ``grad(w, lam)``, each on its own copy of w."""
    fn, grad = pair
    return {"penalty": fn(copied(w), lam), "grad": grad(copied(w), lam)}


def dropout_pass(pair, *, x, dout, p, train, mode=None, mask=None) -> dict:
    """One forward pass (``mask`` given in training; ``mode=None`` leaves the
    default mode) and one backward pass of ``dout`` through its cache."""
    forward, backward = pair
    kwargs: dict[str, Any] = {} if mode is None else {"mode": mode}
    if train:
        kwargs["mask"] = copied(mask)
    out, cache = returned(forward(copied(x), p, train=train, **kwargs),
                          "dropout_forward", "out, cache")
    out = copied(out)  # a backward pass that edits the cache must not rewrite out
    return {"out": out, "dx": backward(copied(dout), cache)}


def dropout_stats(pair, *, p, mode, rng_seed, units, value) -> dict:
    """Statistics of one training pass over ``units`` entries all equal to
    ``value``, the mask drawn from ``np.random.default_rng(rng_seed)``, and
    of the backward pass of ones through the same cache.

    With a positive constant input, out == 0 means dropped and
    out / value is keep * scale."""
    forward, backward = pair
    x = np.full(units, float(value))
    out, cache = returned(
        forward(x.copy(), p, train=True, rng=np.random.default_rng(rng_seed), mode=mode),
        "dropout_forward", "out, cache")
    out = _floats(out, "out", x.shape)
    dx = _floats(backward(np.ones(units), cache), "dx", x.shape)
    return {"drop_rate": float(np.mean(out == 0)),
            "mean_ratio": float(np.mean(out) / value),
            "backward_zeros_differ": float(np.mean((dx == 0) != (out == 0)))}


def _floats(value: Any, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A copy of ``value`` as float64, or a Refusal that says why not."""
    if not isinstance(value, np.ndarray):
        raise Refusal(f"your {name} should be a numpy array of shape {_shape(shape)}, "
                      f"got {type(value).__name__}")
    if value.shape != shape:
        raise Refusal(f"your {name} has shape {_shape(value.shape)}, expected "
                      f"{_shape(shape)}")
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Refusal(f"your {name} should hold numbers, got an array of dtype "
                      f"{value.dtype}") from None


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def early_stopping(pair, *, losses, patience, min_delta=None, fields=()) -> dict:
    """``stop`` and the state's ``fields`` after each step, as returned: row
    k is the step that saw ``losses[k]``; ``min_delta=None`` leaves the
    default. A state is read the moment it is returned, so a step that
    changes its state in place cannot rewrite the record."""
    init, step = pair
    kwargs: dict[str, Any] = {"patience": patience}
    if min_delta is not None:
        kwargs["min_delta"] = min_delta
    state = init()
    stops: list[Any] = []
    record: dict[str, list[Any]] = {f: [] for f in fields}
    for k, loss in enumerate(losses):
        try:
            result = step(state, loss, **kwargs)
        except Exception as err:
            err.add_note(f"at step {k}")
            raise
        stop, state = returned(result, "early_stopping_step", "stop, state", f"at step {k}")
        stops.append(bool(stop) if isinstance(stop, (bool, np.bool_)) else copied(stop))
        try:
            values = state_fields(state)
        except Refusal as err:
            raise Refusal(f"{err} at step {k}") from None
        for f in fields:
            if f not in values:
                raise Refusal(f"your state has no field {f!r} at step {k}; the "
                              f"skeleton's state has {', '.join(fields)}")
            record[f].append(_number(values[f]))
    return {"stop": stops, "state": record}


def _number(value: Any) -> Any:
    """A real number as a float (whatever its int, float or numpy type), so
    that records compare alike; anything else as it is, for the judge to
    name."""
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)) or (
            isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "biuf"):
        return float(value)
    return copied(value)


CALLS = {"penalty": penalty, "dropout_pass": dropout_pass,
         "dropout_stats": dropout_stats, "early_stopping": early_stopping}
