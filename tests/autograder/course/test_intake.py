"""Reading a submission against its source: whatever the student did to
the notebook, the graded notebook is the source's cells with the
student's answers, every repair is noted, and the submission is untouched."""
from __future__ import annotations

import copy
import json
import pathlib

import pytest

from autograder.course import intake

ROOT = pathlib.Path(__file__).resolve().parents[3]
NAME = "04_update_rules"
SOURCE = json.loads((ROOT / "exercises" / NAME / f"{NAME}.ipynb").read_text())


def release() -> dict:
    nb = copy.deepcopy(SOURCE)
    for cell in nb["cells"]:
        meta = cell["metadata"]["nbgrader"]
        text = "".join(cell["source"])
        if meta.get("solution"):
            cell["source"] = intake.skeleton(text)
        elif meta.get("grade"):
            cell["source"] = intake.released(text)
    return nb


def answers(nb: dict) -> dict[str, str]:
    return {c["metadata"]["nbgrader"]["grade_id"]: c["source"] for c in nb["cells"]
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")}


def test_an_untouched_release_gives_the_source_with_skeletons_and_no_notes():
    graded = intake.build(SOURCE, release())
    assert graded.notes == []
    assert [c["metadata"] for c in graded.cells] == [c["metadata"] for c in SOURCE["cells"]]
    assert all("raise NotImplementedError()" in s for s in answers(graded.notebook()).values())
    assert [p.key for p in graded.parts][:2] == ["update_rules.sgd", "update_rules.momentum"]


def test_the_skeleton_of_a_source_answer_is_the_release():
    text = "def f(x):\n    '''Doc.'''\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n"
    assert intake.skeleton(text) == ("def f(x):\n    '''Doc.'''\n    # YOUR CODE HERE\n"
                                     "    raise NotImplementedError()")


def test_edited_locked_cells_and_tests_come_back_from_the_source():
    nb = release()
    for cell in nb["cells"]:
        if cell["metadata"]["nbgrader"].get("grade") or cell["cell_type"] == "markdown":
            cell["source"] = "pass"
    graded = intake.build(SOURCE, nb)
    texts = [c["source"] for c in graded.cells if c["metadata"]["nbgrader"].get("grade")]
    assert all("hidden_check" in t for t in texts)
    assert any("was changed: restored" in n for n in graded.notes)


def test_deleted_answer_cells_become_the_skeleton_never_the_solution():
    nb = release()
    nb["cells"] = [c for c in nb["cells"] if c["metadata"]["nbgrader"].get("grade_id") != "adam_init"]
    graded = intake.build(SOURCE, nb)
    text = answers(graded.notebook())["adam_init"]
    assert "BEGIN SOLUTION" not in text and "raise NotImplementedError()" in text
    assert any("'adam_init' was deleted" in n for n in graded.notes)


def test_duplicates_retyped_cells_and_added_cells():
    nb = release()
    first_test = next(i for i, c in enumerate(nb["cells"]) if c["metadata"]["nbgrader"].get("grade"))
    nb["cells"].insert(first_test + 1, copy.deepcopy(nb["cells"][first_test]))
    nb["cells"][first_test]["cell_type"] = "markdown"
    nb["cells"].insert(3, {"cell_type": "code", "metadata": {}, "source": "helper = 1",
                           "outputs": [], "execution_count": None})
    nb["cells"].insert(3, {"cell_type": "markdown", "metadata": {}, "source": "<b>mine</b>"})
    graded = intake.build(SOURCE, nb)
    sources = [c["source"] for c in graded.cells]
    assert "helper = 1" in sources and "<b>mine</b>" in sources
    assert any("repeats the cell" in n for n in graded.notes)
    tests = [c for c in graded.cells if c["metadata"].get("nbgrader", {}).get("grade")]
    assert len(tests) == len([c for c in SOURCE["cells"] if c["metadata"]["nbgrader"].get("grade")])
    assert all(c["cell_type"] == "code" for c in tests)
    assert len({c["id"] for c in graded.cells}) == len(graded.cells)


@pytest.mark.parametrize("change", ["nbformat", "metadata", "cells"])
def test_edited_notebook_fields_do_not_matter(change):
    nb = release()
    if change == "nbformat":
        nb["nbformat"], nb["nbformat_minor"] = 99, "x"
    elif change == "metadata":
        nb["metadata"] = {"kernelspec": {"name": "evil", "argv": ["rm", "-rf", "/"]}}
    else:
        nb["cells"].insert(0, {"cell_type": "widget", "source": 3})
        nb["cells"].insert(0, "not a cell")
    graded = intake.build(SOURCE, nb)
    assert graded.metadata == SOURCE["metadata"]
    assert len(graded.parts) == sum(bool(c["metadata"]["nbgrader"].get("grade"))
                                    for c in SOURCE["cells"])


def test_answer_metadata_pointing_elsewhere_is_not_trusted():
    nb = release()
    for cell in nb["cells"]:
        meta = cell["metadata"]["nbgrader"]
        if meta.get("grade"):
            meta["points"] = 1000
    graded = intake.build(SOURCE, nb)
    assert sum(p.points for p in graded.parts) == 20


@pytest.mark.parametrize("data,words", [
    (b"{not json", "not valid JSON"), (b"[1, 2]", "not a notebook"),
    (json.dumps({"cells": []}).encode(), None),
])
def test_what_cannot_be_a_submission_is_refused_with_a_reason(data, words):
    if words is None:
        with pytest.raises(intake.NotGradable, match="another assignment"):
            intake.build(SOURCE, intake.parse_submission(data, "x.ipynb"))
    else:
        with pytest.raises(intake.NotGradable, match=words):
            intake.parse_submission(data, "x.ipynb")


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.ipynb"
    with open(path, "wb") as f:
        f.truncate(intake.MAX_NOTEBOOK_BYTES + 1)
    with pytest.raises(intake.NotGradable, match="MiB"):
        intake.read_submission(path)
