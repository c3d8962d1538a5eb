"""No cell given to students computes the core of a graded part.

A given (locked) cell may hold records (NamedTuples), validation and data
helpers, and (in the capstone) the pieces graded in earlier assignments. A
helper that a part's answer calls and that computes something (a value it
returns comes out of arithmetic on its inputs: operators, or numpy's
math) must not be what the part is graded on: with that helper replaced by
one that hands back its first argument unchanged, the reference's answer
must fail the part's hidden check... unless the part does not depend on
it at all, in which case the reference still passes and the helper is
plumbing the hidden cases never exercise (the max gate's sum over
broadcast axes, on cases without broadcasting). Otherwise an answer that
only called the helper would pass.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import json
import re

import pytest

from autograder.assignments import available, load
from autograder.assignments.notebook import BEGIN, END
from autograder.course.cli import notebook_path
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure

CONCEPTS = available()
MATH = {"sqrt", "exp", "log", "sum", "mean", "dot", "matmul", "maximum", "minimum", "where",
        "tanh", "abs", "clip", "power", "outer", "einsum", "cumsum", "prod", "sign"}


def _cells(concept):
    nb = json.loads(notebook_path(load(concept)).read_text())
    given, answers = {}, []
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] != "code":
            continue
        text = "".join(cell["source"])
        if meta.get("solution"):
            answers.append(text)
        elif meta.get("locked") and not meta.get("grade"):
            for node in ast.parse(text).body:
                if isinstance(node, ast.FunctionDef):
                    given[node.name] = node
    return given, answers


def _solution_regions(text: str) -> str:
    out, inside = [], False
    for line in text.splitlines():
        if line.strip() == BEGIN:
            inside = True
        elif line.strip() == END:
            inside = False
        elif inside:
            out.append(line.strip())
    return "\n".join(out)


def _computes(fn: ast.FunctionDef) -> bool:
    """Does any returned value come out of arithmetic?"""
    for node in ast.walk(fn):
        if isinstance(node, ast.Return) and node.value is not None:
            for sub in ast.walk(node.value):
                if isinstance(sub, ast.BinOp) and not isinstance(sub.op, ast.Mod):
                    return True
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) \
                        and sub.func.attr in MATH:
                    return True
    return False


def _graded_elsewhere(concept: str) -> set[str]:
    """Names graded by the other assignments (the capstone gives those)."""
    return {n for c in CONCEPTS if c != concept
            for record in importlib.import_module(f"autograder.judge.{c}").GRADED.values()
            for n in record.names}


def _parts_calling(concept: str, helper: str) -> list:
    """The graded records whose reference's answer calls ``helper``."""
    records = importlib.import_module(f"autograder.judge.{concept}").GRADED.values()
    out = []
    for record in records:
        objects = record.reference if isinstance(record.reference, tuple) else (record.reference,)
        text = "\n".join(inspect.getsource(o) for o in objects)
        if re.search(rf"\b{re.escape(helper)}\s*\(", text):
            out.append(record)
    return out


@pytest.mark.parametrize("concept", CONCEPTS)
def test_helpers_the_answers_call_compute_nothing_graded(concept):
    given, answers = _cells(concept)
    called = set()
    for text in answers:  # names called on the lines of the answers' solution regions
        called |= set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", _solution_regions(text)))
    suspects = sorted(name for name in called & set(given) - _graded_elsewhere(concept)
                      if _computes(given[name]))
    module = importlib.import_module(f"solutions.{concept}")
    doing_the_work = []
    for name in suspects:
        real = getattr(module, name)
        for record in _parts_calling(concept, name):
            setattr(module, name, lambda first, *args, **kwargs: first)
            try:
                check(record, record.reference)
            except CheckFailure:  # the part needs what the helper computes
                doing_the_work.append(f"{name} (in {record.name})")
            finally:
                setattr(module, name, real)
    assert not doing_the_work, (f"{concept}: the given helpers {doing_the_work} compute what "
                                f"the parts that call them are graded on")


def test_the_rule_would_catch_a_helper_that_does_the_math():
    tree = ast.parse("def _direction(m, v, eps):\n    return m / (np.sqrt(v) + eps)\n"
                     "def _checked(w):\n    w = np.asarray(w)\n    return w\n")
    fns = {f.name: f for f in tree.body}
    assert _computes(fns["_direction"]) and not _computes(fns["_checked"])
