"""The assignments: one spec module per chapter concept, named like it.

Each module defines ``ASSIGNMENT``, an :class:`autograder.assignments.notebook.Assignment`
from which ``python -m autograder.course build`` writes the nbgrader source
notebook ``exercises/<name>/<name>.ipynb``.
"""
from __future__ import annotations

import importlib

CONCEPTS = ["backprop", "gates", "gradcheck", "update_rules", "annealing",
            "regularization", "capstone"]


def load(concept: str):
    """The Assignment of one concept."""
    return importlib.import_module(f"autograder.assignments.{concept}").ASSIGNMENT


def available() -> list[str]:
    """The concepts whose spec module exists."""
    found = []
    for concept in CONCEPTS:
        try:
            importlib.import_module(f"autograder.assignments.{concept}")
        except ModuleNotFoundError as err:
            if err.name != f"autograder.assignments.{concept}":
                raise
            continue
        found.append(concept)
    return found
