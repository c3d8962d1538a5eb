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


def penalty(pair, *, w, lam, which: str = "both") -> dict:
    """``penalty(w, lam)`` and/or ``grad(w, lam)`` (``which``: "penalty",
    "grad" or "both"), each on its own copy of w, with the dtype of what
    came back and that copy of w as the function left it."""
    fn, grad = pair
    out: dict[str, Any] = {}
    for name, function in (("penalty", fn), ("grad", grad)):
        if which in (name, "both"):
            mine = copied(w)
            out[name] = copied(function(mine, lam))
            out[f"{name}_dtype"] = _dtype(out[name])
            out[f"w_after_{name}"] = mine
    return out


def _dtype(value: Any) -> str:
    """The dtype a value has or would get: "float32", "float64", "int64",
    or its type's name when it is no number or array."""
    if isinstance(value, (np.ndarray, np.generic)):
        return str(value.dtype)
    if isinstance(value, (bool, int, float)):
        return str(np.asarray(value).dtype)
    return type(value).__name__


def dropout_pass(pair, *, x, dout, p, train, mode=None, mask=None) -> dict:
    """One forward pass (``mask`` given in training; ``mode=None`` leaves the
    default mode) and one backward pass of ``dout`` through its cache; with
    the dtypes of out and dx, x and dout as the two passes left them, and
    whether out is (a view of) the x that was passed in."""
    forward, backward = pair
    kwargs: dict[str, Any] = {} if mode is None else {"mode": mode}
    if train:
        kwargs["mask"] = copied(mask)
    x_in = copied(x)
    out, cache = returned(forward(x_in, p, train=train, **kwargs),
                          "dropout_forward", "out, cache")
    shares = isinstance(out, np.ndarray) and bool(np.shares_memory(out, x_in))
    out = copied(out)  # a backward pass that edits the cache must not rewrite out
    x_after = copied(x_in)
    dout_in = copied(dout)
    dx = copied(backward(dout_in, cache))
    return {"out": out, "dx": dx, "out_dtype": _dtype(out), "dx_dtype": _dtype(dx),
            "x_after": x_after, "dout_after": dout_in, "out_is_x": float(shares)}


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
    changes its state in place cannot rewrite the record; ``changed`` is
    the first step that changed the state it was given (its step, field,
    value before and after), or None."""
    init, step = pair
    kwargs: dict[str, Any] = {"patience": patience}
    if min_delta is not None:
        kwargs["min_delta"] = min_delta
    state = init()
    stops: list[Any] = []
    record: dict[str, list[Any]] = {f: [] for f in fields}
    changed = None
    for k, loss in enumerate(losses):
        before = _fields_of(state, k)
        try:
            result = step(state, loss, **kwargs)
        except Exception as err:
            err.add_note(f"at step {k}")
            raise
        if changed is None:
            changed = _first_change(before, _fields_of(state, k), k)
        stop, state = returned(result, "early_stopping_step", "stop, state", f"at step {k}")
        stops.append(bool(stop) if isinstance(stop, (bool, np.bool_)) else copied(stop))
        values = _fields_of(state, k)
        for f in fields:
            if f not in values:
                raise Refusal(f"your state has no field {f!r} at step {k}; the "
                              f"skeleton's state has {', '.join(fields)}")
            record[f].append(values[f])
    return {"stop": stops, "state": record, "changed": changed}


def _fields_of(state: Any, k: int) -> dict[str, Any]:
    """A state's fields as numbers (floats) or copies, read now."""
    try:
        return {f: _number(v) for f, v in state_fields(state).items()}
    except Refusal as err:
        raise Refusal(f"{err} at step {k}") from None


def _first_change(before: dict, after: dict, k: int) -> dict | None:
    """The first field of a given state that a step changed, or None."""
    for f, old in before.items():
        new = after.get(f)
        same = (isinstance(old, float) and isinstance(new, float)
                and (old == new or (old != old and new != new)))
        if not same and not (type(old) is type(new) and _equal(old, new)):
            return {"step": k, "field": f, "before": old, "after": new}
    return None


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(np.all(a == b))
    except Exception:  # noqa: BLE001 - things that cannot be compared differ
        return False


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
