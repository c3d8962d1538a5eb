"""Every assignment through real nbgrader and the course's sandboxed grading.

For each assignment: release it in a scratch course with nbgrader, then
grade, with the course's CLI, submissions made from the release: the
solution filled in (full marks), the untouched release (zero, nothing left
for manual grading), the first answer cell left as the skeleton (points
lost in the parts that cell defines, and only there: the other parts that
call those functions are served the reference), a known mistake typed into
its answer cell (points lost there, its cause named in the feedback), a
cell that stops Python (that cell's parts only), and the test cells
deleted (restored and graded). The feedback shows messages and never
hidden test code; the release holds no solution; the visible checks run
where the course's packages are absent.
"""
from __future__ import annotations

import json
import pathlib

import pytest

from autograder.assignments import available, load
from autograder.assignments.notebook import (BEGIN, END, Solution, class_with_markers,
                                             function_with_markers)
from scratch import (ROOT, cli, feedback_html, fill, hidden_lines, make_course, notebook,
                     page_text, result, scores, solution_cells, submit)

CONCEPTS = available()

# A mistake typed into an answer cell, per assignment: (cell, text, typed
# instead, words of the cause the feedback must name).
TYPED = {
    "backprop": ("relu_forward", "np.where(cache > 0, dout, 0.0)", "np.where(cache >= 0, dout, 0.0)",
                 "ReLU's slope at 0 is taken to be 0"),
    "gates": ("max_forward", "x_won = x >= y", "x_won = x > y", "the gradient goes to y"),
    "gradcheck": ("numerical_gradient", "/ (2 * h)", "/ h", "divide by 2h"),
    "update_rules": ("adam_init", "    g = g + weight_decay * w\n", "    g = g  # (no decay)\n",
                     "weight_decay is ignored"),
    "annealing": ("step_decay", "drop ** (t // every)", "drop ** ((t + 1) // every)",
                  "the drops come one step early"),
    "regularization": ("l2_penalty", "return 0.5 * lam * float(np.sum(w64 * w64))",
                       "return lam * float(np.sum(w64 * w64))", "without the"),
    "capstone": ("predict", "np.argmax(scores, axis=1)", "np.argmin(scores, axis=1)",
                 "the class with the LOWEST score"),
}


def part_cells(release: dict) -> dict[str, str]:
    """test cell grade_id -> the answer cell (grade_id) above it."""
    owner, current = {}, None
    for cell in release["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("solution"):
            current = meta["grade_id"]
        elif meta.get("grade"):
            owner[meta["grade_id"]] = current
    return owner


@pytest.fixture(scope="module", params=CONCEPTS)
def graded_course(request, tmp_path_factory):
    concept = request.param
    name = load(concept).name
    course = make_course(tmp_path_factory.mktemp(name), name)
    release = notebook(course, "release", name)
    sol = solution_cells(course, name)
    first = next(iter(sol))
    skeleton = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
                for c in release["cells"] if c["metadata"].get("nbgrader", {}).get("solution")}
    submissions = {
        "solution": fill(release, sol),
        "untouched": release,
        "first-skeleton": fill(release, dict(sol, **{first: skeleton[first]})),
        "kernel-dies": fill(release, dict(sol, **{first: "import os\nos._exit(1)\n"})),
        "tests-deleted": dict(fill(release, sol), cells=[
            c for c in fill(release, sol)["cells"]
            if not c["metadata"].get("nbgrader", {}).get("grade")]),
    }
    cell, old, new, _ = TYPED[concept]
    assert old in sol[cell], f"{concept}: {old!r} is not in the reference's {cell}"
    submissions["typed-mistake"] = fill(release, dict(sol, **{cell: sol[cell].replace(old, new)}))
    for student, nb in submissions.items():
        submit(course, student, name, nb)
    crash_text = (course / "course" / "submitted" / "kernel-dies" / name / f"{name}.ipynb").read_text()
    cli(course, "grade", name)
    cli(course, "feedback", name)
    return {"course": course, "name": name, "concept": concept, "release": release,
            "first": first, "owner": part_cells(release), "crash_text": crash_text}


def test_solution_gets_full_marks(graded_course):
    got = scores(graded_course["course"], graded_course["name"], "solution")
    lost = {g: s for g, s in got.items() if s[0] != s[1]}
    assert not lost, f"the reference solution lost points: {lost}"
    outcome = result(graded_course["course"], graded_course["name"], "solution")["outcomes"][0]
    assert not any(p["flag"] for p in outcome["parts"]), outcome["parts"]


def test_untouched_release_gets_zero_and_needs_no_manual_grading(graded_course):
    got = scores(graded_course["course"], graded_course["name"], "untouched")
    assert all(s[0] == 0 for s in got.values()), f"points for an empty notebook: {got}"
    assert not any(s[2] for s in got.values()), f"left for manual grading: {got}"


def _only_first_part_lost(c, student):
    got = scores(c["course"], c["name"], student)
    for grade_id, (score, max_score, manual) in got.items():
        assert not manual, f"{student}: {grade_id} left for manual grading"
        if c["owner"][grade_id] == c["first"]:
            assert score == 0, f"{student}: {grade_id} scored {score} for a broken part"
        else:
            assert score == max_score, (
                f"{student}: {grade_id} lost points, but its part {c['owner'][grade_id]} is right")


def test_a_broken_part_costs_its_own_points_only(graded_course):
    _only_first_part_lost(graded_course, "first-skeleton")
    text = feedback_html(graded_course["course"], graded_course["name"], "first-skeleton")
    assert "it is still the skeleton" in text


def test_a_cell_that_stops_python_costs_only_its_parts(graded_course):
    c = graded_course
    _only_first_part_lost(c, "kernel-dies")
    path = c["course"] / "course" / "submitted" / "kernel-dies" / c["name"] / f"{c['name']}.ipynb"
    assert path.read_text() == c["crash_text"], "the submission itself was modified"


def test_a_typed_mistake_is_caught_and_named(graded_course):
    c = graded_course
    cell, _, _, cause = TYPED[c["concept"]]
    got = scores(c["course"], c["name"], "typed-mistake")
    lost = {g for g, s in got.items() if s[0] < s[1]}
    assert lost and {c["owner"][g] for g in lost} == {cell}, lost
    assert cause in feedback_html(c["course"], c["name"], "typed-mistake")


def test_deleted_test_cells_are_restored_and_graded(graded_course):
    got = scores(graded_course["course"], graded_course["name"], "tests-deleted")
    assert got and all(s[0] == s[1] and not s[2] for s in got.values()), got


def test_feedback_shows_messages_never_hidden_test_code(graded_course):
    c = graded_course
    hidden = hidden_lines(c["course"], c["name"])
    assert hidden
    for folder in (c["course"] / "course" / "feedback").iterdir():
        text = page_text((folder / c["name"] / f"{c['name']}.html").read_text())
        for secret in ["BEGIN HIDDEN TESTS", "END HIDDEN TESTS", *hidden]:
            assert secret not in text, f"{folder.name}: feedback contains {secret!r}"


def test_release_holds_no_solution_and_no_hidden_tests(graded_course):
    c = graded_course
    text = json.dumps(c["release"])
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden_check"):
        assert marker not in text, f"{marker!r} in the released {c['name']}"
    for cell in load(c["concept"]).cells:
        if isinstance(cell, Solution):
            for obj in cell.objects:
                for line in _body_lines(obj, cell.methods):
                    assert line not in text, f"reference line {line!r} of {obj.__name__} released"


def _body_lines(obj, methods) -> list[str]:
    """Distinctive lines of the reference's solution body (between the markers)."""
    text = class_with_markers(obj, methods) if isinstance(obj, type) else function_with_markers(obj)
    inside, lines = False, []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in (BEGIN, END):
            inside = stripped == BEGIN
        elif inside and len(stripped) > 20 and not stripped.startswith("#"):
            lines.append(stripped)
    return lines


BLOCK_COURSE_PACKAGES = (
    "import sys\n"
    "# as on a student's machine: neither the reference nor the grader exists\n"
    "sys.modules['solutions'] = None\n"
    "sys.modules['autograder'] = None\n")


@pytest.mark.parametrize("concept", CONCEPTS)
def test_visible_checks_run_without_the_course_packages(concept, tmp_path):
    """The release with the solution filled in runs top to bottom, visible
    checks included, in a kernel that cannot import solutions or autograder;
    the untouched release fails its visible checks with NotImplementedError,
    never with an ImportError."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

    assignment = load(concept)
    source = nbformat.read(ROOT / "exercises" / assignment.name / f"{assignment.name}.ipynb",
                           as_version=4)
    filled = nbformat.from_dict(json.loads(json.dumps(source)))
    ClearHiddenTests().preprocess(filled, {})
    filled.cells.insert(0, nbformat.v4.new_code_cell(BLOCK_COURSE_PACKAGES))
    NotebookClient(filled, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    empty = nbformat.from_dict(json.loads(json.dumps(filled)))
    ClearSolutions().preprocess(empty, {})
    with pytest.raises(CellExecutionError) as err:
        NotebookClient(empty, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert "NotImplementedError" in str(err.value), str(err.value)[-2000:]
