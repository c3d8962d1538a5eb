"""What judges: runs only where student code cannot reach.

- the engine: :mod:`.core` (cases, judging, diagnosis), :mod:`.compare`
  (one value against another), :mod:`.tolerances`, :mod:`.feedback` (the
  sentences a student reads);
- one module per concept (backprop, gates, gradcheck, update_rules,
  annealing, regularization, capstone) with its ``GRADED`` records: the
  reference, the hidden cases drawn from a seed, the catalogue of known
  mistakes;
- :mod:`.local`: the same checks run inside one's own notebook process, for
  checking one's own work (never a grade: code in that process can fake it).
"""
from __future__ import annotations

import importlib

from autograder.judge.core import Graded

CONCEPTS = ("backprop", "gates", "gradcheck", "update_rules", "annealing",
            "regularization", "capstone")


def graded(key: str) -> Graded:
    """``"update_rules.adam"`` -> the Graded record in judge/update_rules.py."""
    concept, _, name = key.partition(".")
    if concept not in CONCEPTS:
        raise KeyError(f"no concept {concept!r} in {key!r}; concepts: {list(CONCEPTS)}")
    module = importlib.import_module(f"autograder.judge.{concept}")
    try:
        return module.GRADED[name]
    except KeyError:
        raise KeyError(f"autograder.judge.{concept} grades no {name!r}; it grades "
                       f"{sorted(module.GRADED)}") from None
