"""`check NOTEBOOK`: a learner's own notebook, graded here, nothing recorded."""
from __future__ import annotations

import json

from scratch import cli, code_cell, fill, make_course, notebook, solution_cells

NAME = "04_update_rules"


def test_check_grades_ones_own_notebook_and_records_nothing(tmp_path):
    course = make_course(tmp_path / "course", NAME)
    release = notebook(course, "release", NAME)
    mine = tmp_path / "mine.ipynb"
    mine.write_text(json.dumps(fill(release, solution_cells(course, NAME))))
    before = mine.read_text()
    done = cli(course, "check", str(mine))
    assert "20 / 20 points" in done.stdout and "passed" in done.stdout
    assert mine.read_text() == before
    assert not (course / "course" / "grading").exists()

    empty = tmp_path / "empty.ipynb"
    empty.write_text(json.dumps(release))
    done = cli(course, "check", str(empty))
    assert "0 / 20 points" in done.stdout and "still the skeleton" in done.stdout

    other = tmp_path / "other.ipynb"
    other.write_text(json.dumps({"cells": [code_cell("x = 1")], "metadata": {},
                                 "nbformat": 4, "nbformat_minor": 5}))
    done = cli(course, "check", str(other), ok=False)
    assert done.returncode == 1 and "shares no answer cell" in done.stdout
