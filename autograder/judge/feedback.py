"""What a student reads when a check fails.

Every failure is a :class:`CheckFailure` whose text says where (function,
case, step, entry), by how much (yours vs expected, relative error) and,
when a known mistake reproduces the student's output, why. A test cell that
lets a CheckFailure escape shows exactly that text and nothing else: no
reference code and no test source.
"""
from __future__ import annotations

import numpy as np


class CheckFailure(AssertionError):
    """A check failed; ``str(err)`` is the whole message for the student."""

    def __init__(self, message: str, *, diagnosis: str | None = None):
        self.message = message
        self.diagnosis = diagnosis
        text = message if diagnosis is None else f"{message}\nLikely cause: {diagnosis}"
        super().__init__(text)

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback: the message alone.

        A test cell's source (hidden tests included) never reaches the
        student's screen or the feedback through a failed check.
        """
        return [f"{type(self).__name__}: {line}" if i == 0 else line
                for i, line in enumerate(str(self).splitlines())]


def fmt_index(name: str, index: tuple[int, ...]) -> str:
    """``dW[2, 1]`` for an array entry, ``loss`` for a scalar."""
    if not index:
        return name
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


def fmt_number(x) -> str:
    """A number short enough for a sentence, exact enough to compare."""
    x = float(x)
    if x == 0.0 or np.isnan(x) or np.isinf(x):
        return str(x)
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.6g}"
    return f"{x:.4e}"


def fmt_shape(shape: tuple[int, ...]) -> str:
    """``(5, 3)``, and ``()`` for a scalar."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def fmt_values(values) -> str:
    """Numbers as a student would type them: [[0.25, -1], [3, 1000]]."""
    def one(v):
        if isinstance(v, list):
            return "[" + ", ".join(one(u) for u in v) + "]"
        return f"{v:g}" if isinstance(v, float) else str(v)
    return one(np.asarray(values).tolist())
