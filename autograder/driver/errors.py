"""What went wrong while a call ran the student's code, as plain data.

A call stops in one of two ways, both turned into a dict that crosses the
wire and becomes the student's sentence on the judge's side:

- :class:`Refusal`: the student's function returned something the call
  cannot go on with (``forward`` returned no cache, a state without its
  fields); the call says so in words.
- an exception raised by the student's code: :func:`describe` names its
  type and message, the function it was raised in and, when that
  function was defined in a notebook cell, the line of the cell.
"""
from __future__ import annotations

import os
import traceback
from typing import Any

import numpy as np

CELL_PREFIX = "<cell "   # filename of code compiled from a notebook cell
# the autograder package (in a sandbox, only its driver): never the student's code
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LIBRARIES = tuple(os.path.dirname(os.path.abspath(m.__file__)) for m in (os, np))
MAX_MESSAGE = 500


class Refusal(Exception):
    """The call cannot go on: ``str(err)`` says why, in a student's words."""


def refusal(err: Refusal, where: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": "refused", "message": _clip(str(err)), **(where or {})}


def describe(err: BaseException, where: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"kind": "raised", "type", "message", "function", "line", "text"}``
    for an exception raised inside student code."""
    out: dict[str, Any] = {"kind": "raised", "type": type(err).__name__[:100],
                           "message": _clip(_message(err)), **(where or {})}
    notes = getattr(err, "__notes__", None)  # a call adds "at step 3"
    if isinstance(notes, list) and notes:
        out["at"] = _clip(" ".join(str(n) for n in notes[-2:]))
    frames = traceback.extract_tb(err.__traceback__)
    mine = [f for f in frames if f.filename.startswith(CELL_PREFIX)]
    if mine:
        last = mine[-1]
        out.update(function=last.name[:100], line=last.lineno or 0,
                   text=_clip((last.line or "").strip()), cell=last.filename[len(CELL_PREFIX):-1])
    else:  # code not from a cell (a kernel's own files, a module): name its function
        theirs = [f for f in frames if not f.filename.startswith((_HERE, *_LIBRARIES))
                  and not f.name.startswith(("<", "__"))]
        if theirs:
            out.update(function=theirs[-1].name[:100])
    return out


def _message(err: BaseException) -> str:
    try:
        return str(err)
    except Exception:  # a student's exception whose __str__ raises
        return "(its message could not be read)"


def _clip(text: str) -> str:
    text = str(text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + " ..."
