"""Run one graded part's cases on the student's objects: data in, data out.

Used in both places student code runs at grading: the per-part worker
(:mod:`.worker`) and the notebook's own kernel (:mod:`.kernel`). Each case
is ``{"call": name, "args": encoded inputs}``; each result is
``{"ok": encoded outputs}`` or ``{"error": what went wrong}``. Nothing here
decides anything.
"""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from . import calls, errors, wire


def resolve(namespace: dict, names: Sequence[str]) -> Any:
    """The student's objects for ``names``, a tuple when there are several."""
    missing = [n for n in names if n not in namespace]
    if missing:
        raise errors.Refusal(f"name {missing[0]!r} is not defined: run the cell that "
                             f"defines it (and keep its name as in the skeleton)")
    objects = tuple(namespace[n] for n in names)
    return objects[0] if len(objects) == 1 else objects


def run_case(impl: Any, case: dict) -> dict:
    """One case's result as plain data; never raises for the student's code."""
    try:
        args = wire.decode(case["args"])
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            out = calls.run(case["call"], impl, args)
        return {"ok": wire.encode(out)}
    except errors.Refusal as err:
        return {"error": errors.refusal(err)}
    except wire.WireError as err:
        return {"error": {"kind": "refused",
                          "message": f"your outputs could not be sent to the grader: {err}"}}
    except (Exception, SystemExit) as err:  # sys.exit() in a function too
        return {"error": errors.describe(err)}


def run_part(namespace: dict, names: Sequence[str], cases: Sequence[dict]) -> list[dict]:
    """Every case of one part, in order."""
    try:
        impl = resolve(namespace, names)
    except errors.Refusal as err:
        return [{"error": errors.refusal(err)} for _ in cases]
    return [run_case(impl, case) for case in cases]
