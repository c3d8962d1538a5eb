"""The visible checks students run are real functions: each passes on the
reference and fails on at least one catalogued mistake of its part (so
none is vacuous), and runs with numpy alone."""
from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

from autograder.assignments import available, load
from autograder.assignments.notebook import Tests
from autograder.judge import graded

CELLS = [(concept, cell) for concept in available() for cell in load(concept).cells
         if isinstance(cell, Tests) and callable(cell.visible)]
IDS = [f"{concept}:{cell.visible.__name__}" for concept, cell in CELLS]


def call(check, impl, names):
    objects = impl if isinstance(impl, tuple) else (impl,)
    bound = dict(zip(names, objects))
    params = inspect.signature(check).parameters
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        check(**{p: bound[p] for p in params})


@pytest.mark.parametrize("concept,cell", CELLS, ids=IDS)
def test_passes_on_the_reference(concept, cell):
    record = graded(cell.key)
    assert set(inspect.signature(cell.visible).parameters) <= set(record.names), (
        f"{cell.visible.__name__} takes names the part does not grade")
    call(cell.visible, record.reference, record.names)


@pytest.mark.parametrize("concept,cell", CELLS, ids=IDS)
def test_fails_on_some_catalogued_mistake(concept, cell):
    record = graded(cell.key)
    caught = []
    for mistake in record.mistakes:
        try:
            call(cell.visible, mistake.impl, record.names)
        except Exception:
            caught.append(mistake.name)
    assert caught, f"{cell.visible.__name__} passes every catalogued mistake of {cell.key}"
