"""Compare one value of a student's with the expected one.

The checks run in a fixed order, so a student hears about the first thing
that is wrong and not its consequences: the type, then the shape, the
dtype, finiteness, and last the size of the error at the worst entry.
"""
from __future__ import annotations

import numbers

import numpy as np

from autograder.driver import wire
from autograder.judge.feedback import CheckFailure, fmt_index, fmt_number, fmt_shape
from autograder.judge.tolerances import Tolerance, tolerance


def relative_errors(yours: np.ndarray, expected: np.ndarray,
                    floor: float) -> np.ndarray:
    """|y - e| / max(|y|, |e|, floor), entry by entry.

    0 where both are equal (including both nan or the same infinity), inf
    where only one side is nan.
    """
    y = np.asarray(yours, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(y - e)
        same = (y == e) | (np.isnan(y) & np.isnan(e))
        scale = np.maximum(np.maximum(np.abs(y), np.abs(e)), floor)
        err = np.where(same, 0.0, diff / scale)
    return np.where(np.isnan(err), np.inf, err)  # nan on one side only


def wire_type(value) -> str:
    """The type name a student would recognise, for values from the wire
    (a value that could not cross arrives as Opaque with its type's name)."""
    return value.type_name if isinstance(value, wire.Opaque) else type(value).__name__


def _as_array(yours, expected, name: str) -> np.ndarray:
    """Reject values of the wrong kind with a sentence that names them."""
    if yours is None:
        raise CheckFailure(f"your {name} is None: is a return statement missing?")
    if isinstance(expected, np.ndarray) and expected.ndim > 0:
        if not isinstance(yours, np.ndarray):
            raise CheckFailure(
                f"your {name} should be a numpy array of shape "
                f"{fmt_shape(expected.shape)}, got {wire_type(yours)}")
        return yours
    ok = isinstance(yours, (numbers.Real, np.generic)) or (
        isinstance(yours, np.ndarray) and yours.ndim == 0)
    if not ok or isinstance(yours, (bool, np.bool_)):
        what = (f"an array of shape {fmt_shape(yours.shape)}"
                if isinstance(yours, np.ndarray) else wire_type(yours))
        raise CheckFailure(f"your {name} should be a single number, got {what}")
    return np.asarray(yours)


def check_value(yours, expected, *, name: str, tol: Tolerance | str = "formula",
                allow_float32: bool = False, leading: str | None = None,
                context: str = "") -> None:
    """Raise CheckFailure unless ``yours`` matches ``expected``.

    ``leading`` names the first axis (for example "step") of a stacked
    trajectory: the failure then reports the FIRST index along it that is
    off, and the worst entry within it, instead of the worst overall.
    """
    tol = tolerance(tol) if isinstance(tol, str) else tol
    where = f" ({context})" if context else ""
    y = _as_array(yours, expected, name)
    e = np.asarray(expected)
    if y.shape != e.shape:
        raise CheckFailure(f"your {name} has shape {fmt_shape(y.shape)}, "
                           f"expected {fmt_shape(e.shape)}{where}")
    if e.dtype.kind == "f":
        if y.dtype.kind not in "f":
            raise CheckFailure(
                f"your {name} has dtype {y.dtype}, expected floating-point "
                f"values{where}: did you start from an integer array?")
        if y.dtype == np.float32 and e.dtype == np.float64:
            if not allow_float32:
                raise CheckFailure(f"your {name} is float32; compute it in "
                                   f"float64 like its inputs{where}")
            tol = tolerance("float32")
    bad = ~np.isfinite(y.astype(np.float64)) & np.isfinite(e.astype(np.float64))
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        raise CheckFailure(
            f"your {name} has {int(bad.sum())} non-finite entries (first: "
            f"{fmt_index(name, idx)} = {fmt_number(y[idx])}, expected "
            f"{fmt_number(e[idx])}){where}: look for an overflow or a "
            f"division by zero")
    err = relative_errors(y, e, tol.floor)
    if not (err > tol.rtol).any():
        return
    if leading is not None and err.ndim > 0:
        first = int(np.argmax((err > tol.rtol).reshape(len(err), -1).any(axis=1)))
        inner = np.unravel_index(int(np.argmax(err[first])), err[first].shape)
        idx = (first,) + tuple(int(i) for i in inner)
        place = f"at {leading} {first}, " + fmt_index(name, idx[1:])
    else:
        idx = np.unravel_index(int(np.argmax(err)), err.shape)
        place = "at " + fmt_index(name, idx)
    raise CheckFailure(
        f"relative error {err[idx]:.1e} {place}: yours {fmt_number(y[idx])}, "
        f"expected {fmt_number(e[idx])}{where}")


def returned(result, name: str, parts: str, where: str) -> tuple:
    """``result`` when it is a tuple of as many values as ``parts`` names
    (e.g. "w, state"); otherwise a sentence saying what came back instead:
    "your {name} should return ({parts}), got a tuple of 3 {where}"."""
    n = len(parts.split(","))
    if isinstance(result, tuple) and len(result) == n:
        return result
    got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
    raise CheckFailure(f"your {name} should return ({parts}), got {got} {where}")


def check_same_int(yours, expected: int, *, name: str, context: str = "") -> None:
    """Exact comparison for counters such as a step count ``t``."""
    where = f" ({context})" if context else ""
    ok = isinstance(yours, (numbers.Integral, np.integer)) and not isinstance(yours, bool)
    if not ok or int(yours) != expected:
        raise CheckFailure(f"your {name} is {yours!r}, expected {expected}{where}")
