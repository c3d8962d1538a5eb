"""The assignment notebooks are generated from the reference, and stay so."""
from __future__ import annotations

import ast
import json
import textwrap

import pytest

from autograder.assignments import notebook
from autograder.assignments import available, load
from autograder.course.cli import ROOT, notebook_path

CONCEPTS = available()


@pytest.mark.parametrize("concept", CONCEPTS)
def test_committed_notebook_is_the_generated_one(concept):
    assignment = load(concept)
    path = notebook_path(assignment)
    assert path.exists(), f"{path} missing: run `python -m autograder.course build`"
    assert path.read_text() == notebook.dumps(notebook.build(assignment)), (
        f"{path.relative_to(ROOT)} differs from its spec or the reference: "
        f"run `python -m autograder.course build` and commit the result")


@pytest.mark.parametrize("concept", CONCEPTS)
def test_notebook_hygiene(concept):
    nb = json.loads(notebook_path(load(concept)).read_text())
    for cell in nb["cells"]:
        meta = cell["metadata"]["nbgrader"]
        if cell["cell_type"] != "code":
            continue
        assert not cell["outputs"] and cell["execution_count"] is None
        tree = ast.parse("".join(cell["source"]))
        if meta["grade"]:
            last = tree.body[-1]
            assert not isinstance(last, ast.Expr), (
                f"{meta['grade_id']}: a test cell must end with a statement; nbgrader "
                f"would score its last expression's value")
            assert meta["points"] > 0


@pytest.mark.parametrize("concept", CONCEPTS)
def test_every_part_has_points_and_at_least_three_parts(concept):
    assignment = load(concept)
    tests = [c for c in assignment.cells if isinstance(c, notebook.Tests)]
    solutions = [c for c in assignment.cells if isinstance(c, notebook.Solution)]
    assert len(solutions) >= 3 and all(t.points > 0 for t in tests)


def test_solution_body_is_the_reference_body():
    def sample(a, b=2):
        """Add."""
        c = a + b
        return c
    text = notebook.function_with_markers(sample)
    lines = [ln.strip() for ln in text.splitlines()]
    assert lines[:2] == ["def sample(a, b=2):", '"""Add."""']
    assert lines[2:] == [notebook.BEGIN, "c = a + b", "return c", notebook.END]
    namespace: dict = {}
    exec(textwrap.dedent(text), namespace)  # the markers are comments: it runs as is
    assert namespace["sample"](1) == 3


def test_helpers_are_found_transitively():
    from solutions import update_rules as ref
    found = notebook.helpers_for(ref, [ref.adam_step], given=set())
    names = {ast.parse(src).body[0].name for src in found}
    assert {"AdamState", "_checked", "_floats"} <= names
    assert "adam_step" not in names
