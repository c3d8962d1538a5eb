"""The graded code is read from the nbgrader source notebooks, and found anywhere.

These tests build small source notebooks of their own: the set of graded
functions must follow what the notebooks say, never a list kept elsewhere,
and the search must see a body through HTML highlighting, notebook JSON
and re-indentation while leaving signatures and docstrings alone.
"""
from __future__ import annotations

import json
import pathlib
import sys

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "_ext"))
import graded  # noqa: E402

SOLUTION_CELL = '''\
class Box:
    def __init__(self, x):
        self.x = x

    def scale(self, k):
        """Multiply x by k; return self."""
        ### BEGIN SOLUTION
        self.x = self.x * k  # scaled in place
        self.history.append(("scale", k))
        return self
        ### END SOLUTION


def clipped_mean(values, low, high):
    """Mean of the values clipped to [low, high]."""
    ### BEGIN SOLUTION
    kept = [min(max(v, low), high) for v in values]
    return sum(kept) / len(kept)
    ### END SOLUTION
'''


def _course(tmp: pathlib.Path, cells: list[tuple[bool, str]]) -> pathlib.Path:
    """A course tree with one source notebook made of (is solution, source) cells."""
    folder = tmp / "exercises" / "09_boxes"
    folder.mkdir(parents=True)
    (tmp / "solutions").mkdir()
    notebook = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"solution": solution}},
         "source": source.splitlines(keepends=True), "outputs": [], "execution_count": None}
        for solution, source in cells]}
    (folder / "09_boxes.ipynb").write_text(json.dumps(notebook))
    return tmp


def test_graded_functions_are_what_the_source_notebooks_mark(tmp_path):
    root = _course(tmp_path, [(True, SOLUTION_CELL), (False, "def given():\n    return 1\n")])
    bodies = graded.graded_bodies(root)
    assert [(b.assignment, b.qualname) for b in bodies] == [
        ("09_boxes", "Box.scale"), ("09_boxes", "clipped_mean")]
    assert bodies[1].text == ("kept = [min(max(v, low), high) for v in values]\n"
                              "return sum(kept) / len(kept)")


def test_markers_outside_a_solution_cell_grade_nothing(tmp_path):
    root = _course(tmp_path, [(False, SOLUTION_CELL)])
    assert graded.graded_bodies(root) == []


def test_given_and_trivial_lines_do_not_count(tmp_path):
    given = "def helper(values):\n    kept = [min(max(v, low), high) for v in values]\n"
    root = _course(tmp_path, [(True, SOLUTION_CELL), (False, given)])
    scale, mean = graded.graded_bodies(root)
    assert scale.distinctive == ("self.x=self.x*k", 'self.history.append(("scale",k))')
    # its first line is given to the student elsewhere; "return self" is trivial
    assert mean.distinctive == ("returnsum(kept)/len(kept)",)


def test_a_body_is_found_in_highlighted_html(tmp_path):
    root = _course(tmp_path, [(True, SOLUTION_CELL)])
    detector = graded.Detector(graded.graded_bodies(root))
    code = "    def scale(self, k):\n        self.x = self.x*k\n" \
           "        self.history.append( ('scale', k) )\n".replace("'", '"')
    page = tmp_path / "page.html"
    page.write_text("<html><body>" + highlight(code, PythonLexer(), HtmlFormatter())
                    + "</body></html>")
    leaks = detector.leaks_in_lines(graded.text_lines(page), "page.html")
    assert [leak.body.qualname for leak in leaks] == ["Box.scale"]


def test_a_body_is_found_in_a_notebook_and_in_an_escaped_string(tmp_path):
    root = _course(tmp_path, [(True, SOLUTION_CELL)])
    detector = graded.Detector(graded.graded_bodies(root))
    body = "kept = [min(max(v, low), high) for v in values]\nreturn sum(kept) / len(kept)\n"
    nb = tmp_path / "page.ipynb"
    nb.write_text(json.dumps({"cells": [{"cell_type": "code", "source":
                                         body.splitlines(keepends=True)}]}))
    script = tmp_path / "index.js"
    script.write_text("Search.setIndex(" + json.dumps({"text": body}) + ")")
    for path in (nb, script):
        leaks = detector.leaks_in_lines(graded.text_lines(path), path.name)
        assert [leak.body.qualname for leak in leaks] == ["clipped_mean"], path.name


def test_a_stub_is_not_a_leak(tmp_path):
    root = _course(tmp_path, [(True, SOLUTION_CELL)])
    detector = graded.Detector(graded.graded_bodies(root))
    source = ('def clipped_mean(values, low, high):\n    """Mean of the values clipped to '
              '[low, high]."""\n    kept = [min(max(v, low), high) for v in values]\n'
              '    return sum(kept) / len(kept)\n')
    stub = graded.stub(source, "published later")
    assert stub == ('def clipped_mean(values, low, high):\n    """Mean of the values clipped '
                    'to [low, high]."""\n    ...  # published later\n')
    assert detector.leaks_in_text(stub, "stub") == []
    assert [leak.body.qualname for leak in detector.leaks_in_text(source, "full")] == [
        "clipped_mean"]


def test_every_graded_body_of_the_course_can_be_found():
    bodies = graded.graded_bodies(ROOT)
    assert len(bodies) >= 7, f"only {len(bodies)} graded bodies in exercises/*/*.ipynb"
    blind = [f"{b.assignment}: {b.qualname}" for b in bodies if not b.detectable]
    assert not blind, ("graded bodies whose every line is trivial or given elsewhere, so no "
                       f"search could tell them apart: {blind}")
