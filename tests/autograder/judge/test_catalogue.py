"""What every concept's catalogue must satisfy, checked for all at once.

The reference passes its own checks; every catalogued mistake fails and is
diagnosed by its own hint, for the cases of several grading seeds (the
hidden inputs are drawn anew at every grading run, so no seed may let a
mistake through); each graded function has at least five distinct
mistakes, no two with the same outputs on every case; hints are one
sentence. The concept test files add the correct alternatives and the
checks that are specific to their functions.
"""
from __future__ import annotations

import importlib
import itertools

import pytest

from autograder.judge import CONCEPTS
from autograder.judge.core import Raised, check, matches, run_local
from autograder.judge.feedback import CheckFailure

SEEDS = (0, 1, 2)
MODULES = {c: importlib.import_module(f"autograder.judge.{c}") for c in CONCEPTS}
GRADED = [(f"{c}.{name}", g) for c, m in MODULES.items() for name, g in m.GRADED.items()]
MUTANTS = [(key, g, m) for key, g in GRADED for m in g.mistakes]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("key,graded", GRADED, ids=[k for k, _ in GRADED])
def test_reference_passes(key, graded, seed):
    check(graded, graded.reference, seed=seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("key,graded,mistake", MUTANTS,
                         ids=[f"{k}:{m.name}" for k, _, m in MUTANTS])
def test_every_catalogued_mistake_is_caught_and_named(key, graded, mistake, seed):
    with pytest.raises(CheckFailure) as err:
        check(graded, mistake.impl, seed=seed)
    assert err.value.diagnosis == mistake.hint, (
        f"{key}: {mistake.name} was caught but diagnosed as {err.value.diagnosis!r} "
        f"(seed {seed})")


@pytest.mark.parametrize("key,graded", GRADED, ids=[k for k, _ in GRADED])
def test_names_are_the_graded_objects(key, graded):
    """A part names what the student defines, and the reference has it all."""
    assert graded.names, f"{key}: no names"
    ref = graded.reference if isinstance(graded.reference, tuple) else (graded.reference,)
    assert len(ref) == len(graded.names)
    for obj, name in zip(ref, graded.names):
        assert getattr(obj, "__name__", name) == name, (key, name, obj)


@pytest.mark.parametrize("key,graded", GRADED, ids=[k for k, _ in GRADED])
def test_five_distinct_mistakes_with_one_sentence_hints(key, graded):
    names = [m.name for m in graded.mistakes]
    assert len(names) >= 5 and len(set(names)) == len(names), names
    for m in graded.mistakes:
        text = m.hint.replace("e.g.", "eg").replace("i.e.", "ie").rstrip(".")
        assert text.strip() and ". " not in text, f"{m.name}: not one sentence: {m.hint!r}"
    cases = list(graded.cases(0))
    outputs = {m.name: [run_local(case, m.impl) for case in cases] for m in graded.mistakes}
    for a, b in itertools.combinations(outputs, 2):
        same = all(not isinstance(x, Raised) and not isinstance(y, Raised) and matches(x, y, c)
                   for x, y, c in zip(outputs[a], outputs[b], cases))
        assert not same, f"{key}: mistakes {a} and {b} give the same outputs on every case"


@pytest.mark.parametrize("key,graded", GRADED, ids=[k for k, _ in GRADED])
def test_the_seed_draws_new_inputs(key, graded):
    """Cases differ between seeds (so outputs cannot be precomputed) and are
    the same for the same seed (so a re-grade reproduces every score)."""
    from autograder.driver import wire
    a, b, again = (list(graded.cases(s)) for s in (0, 1, 0))
    enc = lambda cases: [wire.dumps(wire.encode(c.args)) for c in cases]  # noqa: E731
    assert enc(a) == enc(again), f"{key}: seed 0 gives different cases twice"
    assert enc(a) != enc(b), f"{key}: seeds 0 and 1 give the same inputs"


def test_the_course_catalogue_is_large_enough():
    assert len(MUTANTS) >= 80, len(MUTANTS)
