"""A held-out set of student mistakes and correct alternatives.

One module per concept (``backprop``, ``gates``, ``gradcheck``,
``update_rules``, ``annealing``, ``regularization``, ``capstone``), each
with two lists:

- ``WRONG``: ``Wrong(part, name, cls, impl, why)``, an implementation of a
  graded part with one realistic mistake;
- ``RIGHT``: ``Right(part, name, impl)``, a correct implementation written
  differently from the reference.

``part`` is the key of the hidden check (``"update_rules.adam"``); ``impl``
has the shape of what that part grades: one function, a tuple of functions
in the order of the answer cell, or the class ``Value`` for
``backprop.value``. ``cls`` says where the mistake shows:

- ``"inputs"``: only on inputs with some property (ties, exact zeros,
  equality at a threshold, a clamp reached, 3-D arrays, float32, ints);
- ``"contract"``: a stated contract is broken (inputs left unchanged,
  integer inputs allowed, an option the text asks for, purity);
- ``"mechanics"``: the mechanics of the capstone's training loop;
- ``"formula"``: a plain wrong formula.

The concept modules import this package, so it imports none of them;
``load`` and ``entries`` do that on demand.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

CONCEPTS = ("backprop", "gates", "gradcheck", "update_rules", "annealing",
            "regularization", "capstone")
CLASSES = ("inputs", "contract", "mechanics", "formula")


@dataclass(frozen=True)
class Wrong:
    """One graded part implemented with one mistake."""

    part: str
    name: str
    cls: str
    impl: Any
    why: str

    def __post_init__(self) -> None:
        if self.cls not in CLASSES:
            raise ValueError(f"{self.name}: class {self.cls!r} is not one "
                             f"of {CLASSES}")
        if self.part.split(".")[0] not in CONCEPTS:
            raise ValueError(f"{self.name}: part {self.part!r} names no "
                             f"concept")


@dataclass(frozen=True)
class Right:
    """One graded part implemented correctly, another way."""

    part: str
    name: str
    impl: Any

    def __post_init__(self) -> None:
        if self.part.split(".")[0] not in CONCEPTS:
            raise ValueError(f"{self.name}: part {self.part!r} names no "
                             f"concept")


def load(concept: str):
    """The module of one concept, imported on first use."""
    if concept not in CONCEPTS:
        raise ValueError(f"unknown concept {concept!r}, expected one of "
                         f"{CONCEPTS}")
    return importlib.import_module(f"{__name__}.{concept}")


def entries(concepts: tuple[str, ...] = CONCEPTS
            ) -> tuple[list[Wrong], list[Right]]:
    """Every WRONG and RIGHT entry of the given concepts, in order."""
    wrong: list[Wrong] = []
    right: list[Right] = []
    for concept in concepts:
        module = load(concept)
        wrong.extend(module.WRONG)
        right.extend(module.RIGHT)
    return wrong, right
