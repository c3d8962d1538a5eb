"""Every assignment through the real nbgrader, end to end.

For each assignment: generate the release in a scratch course, then grade
submissions made from it: the solution filled in (full marks), the
untouched release (zero, nothing left for manual grading), the catalogued
mistakes pasted into their parts (points lost there only, diagnosis in the
feedback), a notebook whose kernel dies, and one with a test cell deleted.
"""
from __future__ import annotations

import html
import json
import os
import pathlib
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.assignments import available, load
from autograder.course import cli as course_cli
from autograder.judge.local import graded
from autograder.assignments.notebook import (BEGIN, END, Solution, class_with_markers,
                                 function_with_markers)
from autograder.assignments import notebook as spec

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONCEPTS = available()


def nbgrader(course: pathlib.Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env["PATH"]
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                          env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0 or not ok, f"nbgrader {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done


def parts(assignment) -> dict[str, list[tuple[str, str]]]:
    """Solution cell grade_id -> the (key, impl) of the tests that follow it."""
    out: dict[str, list[tuple[str, str]]] = {}
    current = None
    for cell in assignment.cells:
        if isinstance(cell, Solution):
            current = cell.objects[0].__name__
            out[current] = []
        elif isinstance(cell, spec.Tests):
            if (cell.key, cell.impl) not in out[current]:
                out[current].append((cell.key, cell.impl))
    return out


def mutant_source(key: str, impl: str, index: int) -> str:
    """A solution cell that defines the graded names as catalogued mistake #index."""
    return (f"from autograder.judge.local import graded as _graded\n"
            f"{impl} = _graded({key!r}).mistakes[{index}].impl\n")


def fill(release: nbformat.NotebookNode, sources: dict[str, str]) -> nbformat.NotebookNode:
    """The release with some solution cells (by grade_id) replaced."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in sources:
            cell.source = sources[gid]
    return nb


@pytest.fixture(scope="module", params=CONCEPTS)
def graded_course(request, tmp_path_factory):
    """A scratch course with the assignment released, submitted and graded."""
    assignment = load(request.param)
    name = assignment.name
    course = tmp_path_factory.mktemp(name)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "exercises" / name, course / "exercises" / name)
    (course / "course").mkdir()
    nbgrader(course, "generate_assignment", name, "--force")
    release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    source = nbformat.read(course / "exercises" / name / f"{name}.ipynb", as_version=4)
    solution_cells = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                      if c.metadata.get("nbgrader", {}).get("solution")}
    part_map = parts(assignment)
    most = max(len(graded(k).mistakes) for tests in part_map.values() for k, _ in tests)
    submissions = {"solution": fill(release, solution_cells), "untouched": release}
    mutated: dict[str, dict[str, tuple[str, int]]] = {}
    for k in range(most):
        sources, record = dict(solution_cells), {}
        for gid, tests in part_map.items():
            key, impl = tests[0]
            if k < len(graded(key).mistakes):
                sources[gid] = mutant_source(key, impl, k)
                record[gid] = (key, k)
        submissions[f"mutants-{k}"] = fill(release, sources)
        mutated[f"mutants-{k}"] = record
    first_gid, first_tests = next(iter(part_map.items()))
    only = dict(solution_cells, **{first_gid: mutant_source(*first_tests[0], 0)})
    submissions["one-part"] = fill(release, only)
    mutated["one-part"] = {first_gid: (first_tests[0][0], 0)}
    crash = dict(solution_cells, **{first_gid: "import os\nos._exit(1)\n"})
    submissions["kernel-dies"] = fill(release, crash)
    deleted = fill(release, solution_cells)
    deleted.cells = [c for c in deleted.cells if not c.metadata.get("nbgrader", {}).get("grade")]
    submissions["tests-deleted"] = deleted
    for student, nb in submissions.items():
        folder = course / "course" / "submitted" / student / name
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
    recovered = course_cli.autograde(name, course)
    nbgrader(course, "generate_feedback", name, "--force")
    return {"course": course, "assignment": assignment, "name": name,
            "parts": part_map, "mutated": mutated, "release": release,
            "recovered": recovered, "first_part": first_gid,
            "submitted_crash": nbformat.writes(submissions["kernel-dies"])}


def scores(course: pathlib.Path, name: str, student: str) -> dict[str, tuple[float, float, bool]]:
    """grade_id -> (score, max_score, needs_manual_grade) from the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'course' / 'gradebook.db'}") as gb:
        nb = gb.find_submission_notebook(name, name, student)
        return {g.name: (g.score, g.max_score, g.needs_manual_grade) for g in nb.grades}


def part_of(grade_id: str, parts_map, assignment) -> str:
    """The solution cell (part) a test cell grades."""
    current, owner = None, {}
    counters: dict[str, int] = {}
    for cell in assignment.cells:
        if isinstance(cell, Solution):
            current = cell.objects[0].__name__
        elif isinstance(cell, spec.Tests):
            short = cell.key.partition(".")[2]
            counters[short] = counters.get(short, 0) + 1
            owner[f"test-{short}-{counters[short]}"] = current
    return owner[grade_id]


def test_solution_gets_full_marks(graded_course):
    got = scores(graded_course["course"], graded_course["name"], "solution")
    lost = {g: s for g, s in got.items() if s[0] != s[1]}
    assert not lost, f"the reference solution lost points: {lost}"


def test_untouched_release_gets_zero_and_needs_no_manual_grading(graded_course):
    got = scores(graded_course["course"], graded_course["name"], "untouched")
    assert all(s[0] == 0 for s in got.values()), f"points for an empty notebook: {got}"
    assert not any(s[2] for s in got.values()), f"left for manual grading: {got}"


def test_each_mistake_costs_points_in_its_part_only_and_is_explained(graded_course):
    c = graded_course
    for student, record in c["mutated"].items():
        got = scores(c["course"], c["name"], student)
        feedback = (c["course"] / "course" / "feedback" / student / c["name"]
                    / f"{c['name']}.html").read_text()
        for grade_id, (score, max_score, manual) in got.items():
            part = part_of(grade_id, c["parts"], c["assignment"])
            assert not manual, f"{student}: {grade_id} left for manual grading"
            if part not in record:
                assert score == max_score, (
                    f"{student}: {grade_id} lost points but its part {part} is correct")
        for part, (key, index) in record.items():
            cells = {g: s for g, s in got.items() if part_of(g, c["parts"], c["assignment"]) == part}
            assert sum(s[0] for s in cells.values()) < sum(s[1] for s in cells.values()), (
                f"{student}: mistake {graded(key).mistakes[index].name} in {part} lost no points")
            hint = graded(key).mistakes[index].hint
            assert html.escape(hint, quote=False) in feedback or hint in feedback, (
                f"{student}: the diagnosis of {graded(key).mistakes[index].name} is not in the feedback")


def test_a_dying_kernel_costs_only_the_part_that_killed_it(graded_course):
    c = graded_course
    assert c["recovered"] == {"kernel-dies": [c["first_part"]]}, c["recovered"]
    got = scores(c["course"], c["name"], "kernel-dies")
    for grade_id, (score, max_score, manual) in got.items():
        assert not manual, f"{grade_id} left for manual grading"
        part = part_of(grade_id, c["parts"], c["assignment"])
        if part == c["first_part"]:
            assert score == 0, f"{grade_id}: points for the part whose cell killed the kernel"
        else:
            assert score == max_score, f"{grade_id}: lost points though its part is right"
    path = c["course"] / "course" / "submitted" / "kernel-dies" / c["name"] / f"{c['name']}.ipynb"
    assert nbformat.writes(nbformat.read(path, as_version=4)) == c["submitted_crash"], (
        "the submission itself was modified")


def test_deleted_test_cells_are_restored_and_graded(graded_course):
    got = scores(graded_course["course"], graded_course["name"], "tests-deleted")
    assert got and all(s[0] == s[1] and not s[2] for s in got.values()), got


def test_feedback_shows_messages_never_hidden_test_code(graded_course):
    c = graded_course
    for folder in (c["course"] / "course" / "feedback").iterdir():
        text = (folder / c["name"] / f"{c['name']}.html").read_text()
        for secret in ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "hidden_check("):
            assert secret not in text, f"{folder.name}: feedback contains {secret!r}"
    text = (c["course"] / "course" / "feedback" / "untouched" / c["name"]
            / f"{c['name']}.html").read_text()
    assert "NotImplementedError" in text


def test_release_holds_no_solution_and_no_hidden_tests(graded_course):
    c = graded_course
    text = json.dumps(c["release"])
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "hidden_check"):
        assert marker not in text, f"{marker!r} in the released {c['name']}"
    for cell in c["assignment"].cells:
        if isinstance(cell, Solution):
            for obj in cell.objects:
                for line in _body_lines(obj):
                    assert line not in text, f"reference line {line!r} of {obj.__name__} released"


def _body_lines(obj) -> list[str]:
    """Distinctive lines of the reference's solution body (between the markers)."""
    text = (class_with_markers(obj, _methods(obj)) if isinstance(obj, type)
            else function_with_markers(obj))
    inside, lines = False, []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in (BEGIN, END):
            inside = stripped == BEGIN
        elif inside and len(stripped) > 20 and not stripped.startswith("#"):
            lines.append(stripped)
    return lines


def _methods(cls) -> tuple[str, ...]:
    for cell in (c for a in map(load, CONCEPTS) for c in a.cells):
        if isinstance(cell, Solution) and cls in cell.objects:
            return cell.methods
    return ()


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
