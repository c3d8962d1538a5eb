"""Gradients of the shared test problems, from their description as data.

A case that runs an update rule for many steps needs the gradient at
whatever point the student's rule reached, so the gradient is computed
beside the student's code. The problems are described by their numbers
(the judge builds the description from ``solutions.problems``); nothing
here is graded.
"""
from __future__ import annotations

from typing import Callable

import numpy as np


def gradient(problem: dict) -> Callable[[np.ndarray], np.ndarray]:
    """grad(w) of ``{"kind": "quadratic", "A", "c"}``: A (w - c), or of
    ``{"kind": "rosenbrock", "a", "b"}``:
    (-2 (a - x) - 4 b x (y - x^2), 2 b (y - x^2))."""
    kind = problem["kind"]
    if kind == "quadratic":
        A, c = np.asarray(problem["A"], float), np.asarray(problem["c"], float)
        return lambda w: A @ (np.asarray(w, dtype=float) - c)
    if kind == "rosenbrock":
        a, b = float(problem["a"]), float(problem["b"])

        def grad(w):
            x, y = np.asarray(w, dtype=float)
            r = y - x * x
            return np.array([-2.0 * (a - x) - 4.0 * b * x * r, 2.0 * b * r])
        return grad
    raise ValueError(f"no test problem of kind {kind!r}")
