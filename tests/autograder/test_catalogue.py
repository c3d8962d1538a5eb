"""What every concept's catalogue must satisfy, checked for all at once.

The reference passes its own checks; every catalogued mistake fails and is
diagnosed by its own hint; each graded function has at least five
distinct mistakes, no two with the same outputs on every case; hints are
one sentence. The concept test files add the correct alternatives and the
checks that are specific to their functions.
"""
from __future__ import annotations

import importlib
import itertools

import pytest

from autograder.assignments import CONCEPTS
from autograder.judge.core import check, matches, run_impl
from autograder.judge.feedback import CheckFailure

MODULES = {c: importlib.import_module(f"autograder.judge.{c}") for c in CONCEPTS}
GRADED = [(f"{c}.{name}", g) for c, m in MODULES.items() for name, g in m.GRADED.items()]
MUTANTS = [(key, g, m) for key, g in GRADED for m in g.mistakes]


@pytest.mark.parametrize("key,graded", GRADED, ids=[k for k, _ in GRADED])
def test_reference_passes(key, graded):
    check(graded, graded.reference)


@pytest.mark.parametrize("key,graded,mistake", MUTANTS,
                         ids=[f"{k}:{m.name}" for k, _, m in MUTANTS])
def test_every_catalogued_mistake_is_caught_and_named(key, graded, mistake):
    with pytest.raises(CheckFailure) as err:
        check(graded, mistake.impl)
    assert err.value.diagnosis == mistake.hint, (
        f"{key}: {mistake.name} was caught but diagnosed as {err.value.diagnosis!r}")


@pytest.mark.parametrize("key,graded", GRADED, ids=[k for k, _ in GRADED])
def test_five_distinct_mistakes_with_one_sentence_hints(key, graded):
    names = [m.name for m in graded.mistakes]
    assert len(names) >= 5 and len(set(names)) == len(names), names
    for m in graded.mistakes:
        text = m.hint.replace("e.g.", "eg").replace("i.e.", "ie").rstrip(".")
        assert text.strip() and ". " not in text, f"{m.name}: not one sentence: {m.hint!r}"
    cases = list(graded.cases())
    outputs = {}
    for m in graded.mistakes:
        outputs[m.name] = []
        for case in cases:
            try:
                outputs[m.name].append(run_impl(graded, case, m.impl, whose="mistake"))
            except Exception:
                outputs[m.name].append(None)
    for a, b in itertools.combinations(outputs, 2):
        same = all(x is not None and y is not None and matches(x, y, c)
                   for x, y, c in zip(outputs[a], outputs[b], cases))
        assert not same, f"{key}: mistakes {a} and {b} give the same outputs on every case"


def test_the_course_catalogue_is_large_enough():
    assert len(MUTANTS) >= 80, len(MUTANTS)
