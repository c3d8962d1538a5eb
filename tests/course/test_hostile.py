"""Hostile submissions, graded through the real CLI in one batch with honest ones.

Each attack starts from the untouched release of assignment 4 (a student
who wrote nothing), or from a correct solution where the attack is meant
to hurt grading rather than fake it, and adds the cells or files of the
attack. For each: the points it gets (zero for faked parts), whether it is
flagged, the honest students' scores (equal to those of the same honest
students graded alone with the same seed), nothing of the course, the
installed packages or other submissions changed, no process left alive,
and every submission graded within its time caps. A re-grade with the
recorded seed gives the same gradebook.
"""
from __future__ import annotations

import json
import pathlib
import re
import socket
import threading
import time

import pytest

from autograder.course.sandbox import leftovers
from scratch import (ROOT, cli, code_cell, feedback_html, fill, hidden_lines, make_course,
                     notebook, page_text, result, scores, solution_cells, submit, tree_digest)

NAME = "04_update_rules"
FULL = 20.0
SECRET = "s3cr3t-grader-token-4711"
CAPS = ["--cell-seconds", "8", "--part-seconds", "8", "--submission-seconds", "40"]
SEED = "20261202"


def _source_edit(sources: dict[str, str], grade_id: str, old: str, new: str) -> dict[str, str]:
    assert old in sources[grade_id], (grade_id, old)
    return dict(sources, **{grade_id: sources[grade_id].replace(old, new)})


def honest(course: pathlib.Path) -> dict[str, dict]:
    release = notebook(course, "release", NAME)
    sol = solution_cells(course, NAME)
    partial = {k: v for k, v in sol.items() if k.split("_")[0] in ("sgd", "momentum", "adam")}
    no_decay = _source_edit(sol, "adam_init", "    g = g + weight_decay * w\n",
                            "    g = g  # (no decay)\n")
    slow = _source_edit(sol, "sgd_init", "    return w - lr * g, state",
                        "    import time\n    time.sleep(0.5)\n    return w - lr * g, state")
    copied = fill(release, sol)
    imports = next(c for c in release["cells"] if c["metadata"].get("nbgrader", {}).get("locked")
                   and c["cell_type"] == "code")
    copied["cells"].insert(5, json.loads(json.dumps(imports)))
    return {"honest-full": fill(release, sol), "honest-partial": fill(release, partial),
            "honest-no-decay": fill(release, no_decay), "honest-slow": fill(release, slow),
            "honest-copied-given": copied}


# attack name -> (what the notebook becomes, points expected, flagged expected)
def attacks(course: pathlib.Path, port: int) -> dict[str, tuple]:
    release = notebook(course, "release", NAME)
    sol = solution_cells(course, NAME)
    solved = fill(release, sol)
    root = str(ROOT)

    def with_cells(base: dict, *sources: str, at: int = 2) -> dict:
        nb = json.loads(json.dumps(base))
        for i, src in enumerate(sources):
            nb["cells"].insert(at + i, code_cell(src))
        return nb

    out = {
        "patch-kernel-check": (with_cells(release, "import autograder.driver.kernel as k\n"
                                          "k.hidden_check = lambda *a, **kw: None"), 0, True),
        "fake-module": (with_cells(release, "import sys, types\n"
                                   "m = types.ModuleType('autograder.driver.kernel')\n"
                                   "m.hidden_check = lambda *a, **kw: None\n"
                                   "sys.modules['autograder.driver.kernel'] = m"), 0, True),
        "wrapped-import": (with_cells(release, "import builtins, types\n"
                                      "real = builtins.__import__\n"
                                      "fake = types.SimpleNamespace(hidden_check=lambda *a, **k: None)\n"
                                      "def imp(name, *a, **k):\n"
                                      "    if name == 'autograder.driver.kernel':\n"
                                      "        return fake\n"
                                      "    return real(name, *a, **k)\n"
                                      "builtins.__import__ = imp"), 0, True),
        "input-transformer": (with_cells(release, "get_ipython().input_transformers_cleanup.append(\n"
                                         "    lambda lines: [l for l in lines if 'hidden_check' not in l])"),
                              0, True),
        "import-reference": (with_cells(release, "import sys\n"
                                        f"sys.path[:0] = [{root!r}, '/work/main', '.']\n"
                                        "from solutions.update_rules import *"), 0, False),
        "judge-records": (with_cells(release, "from autograder.judge import graded\n"
                                     "adam_step = graded('update_rules.adam').reference[1]"), 0, False),
        "patch-numpy": (with_cells(release, "import numpy as np\n"
                                   "np.allclose = lambda *a, **k: True\n"
                                   "np.where = lambda *a, **k: True\n"
                                   "np.isfinite = lambda *a, **k: True"), 0, False),
        "sqlite-gradebook": (with_cells(release, "import sqlite3, glob\n"
                                        f"for p in glob.glob({str(course)!r} + '/course/*.db') + ['/work/main/course/gradebook.db']:\n"
                                        "    try:\n"
                                        "        db = sqlite3.connect(p)\n"
                                        "        db.execute('update grade set manual_score = 99')\n"
                                        "        db.commit()\n"
                                        "    except Exception as e:\n"
                                        "        print('no', e)"), 0, False),
        "overwrite-other": (with_cells(release, "import glob\n"
                                       f"for p in glob.glob({str(course)!r} + '/course/submitted/*/*/*.ipynb'):\n"
                                       "    open(p, 'w').write('{}')"), 0, False),
        "edit-package": (with_cells(release, "import glob\n"
                                    f"for p in glob.glob({root!r} + '/autograder/**/*.py', recursive=True):\n"
                                    "    open(p, 'a').write('\\nraise SystemExit')"), 0, False),
        "sigstop-parent": (with_cells(release, "import os, signal\n"
                                      "for pid in (os.getppid(), 1):\n"
                                      "    try:\n        os.kill(pid, signal.SIGSTOP)\n"
                                      "    except OSError:\n        pass"), 0, False),
        "setsid-orphan": (with_cells(release, "import subprocess\n"
                                     "subprocess.Popen(['sleep', '4242'], start_new_session=True)"),
                          0, False),
        "sleep-everywhere": (fill(release, {g: s.replace("raise NotImplementedError()",
                                                         "import time; time.sleep(1000)")
                                            for g, s in skeletons(release).items()}), 0, False),
        "huge-html": (with_cells(solved, "from IPython.display import HTML, display\n"
                                 "display(HTML('<b>' + 'x' * 60_000_000 + '</b>'))"), FULL, False),
        "huge-line": (with_cells(solved, "print('y' * 200_000_000)"), FULL, False),
        "big-output": (with_cells(solved, "for i in range(1_000_000):\n    print('z' * 100)"),
                       FULL, False),
        "read-exercises": (with_cells(release, "import os\n"
                                      "for top in ['/', " + repr(str(course)) + ", " + repr(root) + "]:\n"
                                      "    for d, _, files in os.walk(top):\n"
                                      "        for f in files:\n"
                                      "            if f.endswith(('.ipynb', '.py')):\n"
                                      "                try:\n"
                                      "                    t = open(os.path.join(d, f)).read()\n"
                                      "                except Exception:\n"
                                      "                    continue\n"
                                      "                if ('BEGIN ' + 'SOLUTION') in t or ('hidden' + '_check(') in t:\n"
                                      "                    print(t)"), 0, False),
        "env-vars": (with_cells(release, "import os\nprint(dict(os.environ))"), 0, False),
        "network": (with_cells(release, "import socket\n"
                               "for host in ('127.0.0.1', '10.0.2.2', '1.1.1.1'):\n"
                               "    try:\n"
                               f"        socket.create_connection((host, {port}), timeout=2)\n"
                               "        print('connected', host)\n"
                               "    except OSError as e:\n"
                               "        print('no network', host, e)"), 0, False),
        "html-everywhere": (fill(with_cells(release,
                                            "from IPython.display import HTML, SVG, Markdown, display\n"
                                            "display(HTML('<script>alert(\"html\")</script>'))\n"
                                            "display(Markdown('<script>alert(\"md\")</script>'))\n"
                                            "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(\"svg\")</script></svg>'))"),
                                 {"sgd_init": sol["sgd_init"].replace(
                                     '    return w - lr * g, state',
                                     '    raise ValueError("<script>alert(\'msg\')</script><img src=x onerror=alert(1)>")')}),
                            0, False),
        "infinite-loop": (with_cells(solved, "while True:\n    pass", at=4), FULL, False),
        "os-exit": (with_cells(solved, "import os\nos._exit(1)", at=8), FULL, False),
        "segfault": (with_cells(solved, "import ctypes\nctypes.string_at(0)", at=8), FULL, False),
        "memory-bomb": (with_cells(solved, "x = bytearray(64 * 2**30)",
                                   "chunks = []\nwhile True:\n    chunks.append(bytearray(10**8))"),
                        FULL, False),
        "fork-bomb": (with_cells(solved, "import os\nwhile True:\n    try:\n        os.fork()\n"
                                 "    except OSError:\n        pass", at=8), None, False),
        "edited-nbformat": (dict(solved, nbformat=99, nbformat_minor="x",
                                 metadata={"kernelspec": {"name": "evil"}}), FULL, False),
        "duplicated-test-cell": (_duplicate_test(solved), FULL, False),
        "retyped-test-cell": (_retype_test(solved), FULL, False),
        "deleted-test-cells": (dict(solved, cells=[c for c in solved["cells"] if not c["metadata"]
                                                   .get("nbgrader", {}).get("grade")]), FULL, False),
        "edited-test-cell": (_edit_test(solved), FULL, False),
        "renamed-functions": (fill(release, dict(sol, adam_init=sol["adam_init"].replace(
            "def adam_step(", "def my_adam_step("))), FULL - 4, False),
    }
    return out


def skeletons(release: dict) -> dict[str, str]:
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in release["cells"]
            if c["metadata"].get("nbgrader", {}).get("solution")}


def _duplicate_test(nb: dict) -> dict:
    nb = json.loads(json.dumps(nb))
    i = next(k for k, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade"))
    nb["cells"].insert(i + 1, json.loads(json.dumps(nb["cells"][i])))
    return nb


def _retype_test(nb: dict) -> dict:
    nb = json.loads(json.dumps(nb))
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade"))
    cell["cell_type"] = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)
    return nb


def _edit_test(nb: dict) -> dict:
    nb = json.loads(json.dumps(nb))
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade"):
            cell["source"] = "pass  # no checks here"
            cell["metadata"]["nbgrader"]["points"] = 100
    return nb


FAILED = {"invalid-json": b"{not a notebook", "empty-folder": None,
          "wrong-assignment": {"cells": [code_cell("print('hello')")], "metadata": {},
                               "nbformat": 4, "nbformat_minor": 5}}


class _Listener:
    """A TCP server on the grader's loopback: no sandbox may reach it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
                self.connections += 1
                conn.close()
            except OSError:
                continue

    def close(self):
        self.running = False
        self.sock.close()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    alone = make_course(tmp_path_factory.mktemp("alone"), NAME)
    course = make_course(tmp_path_factory.mktemp("hostile"), NAME)
    listener = _Listener()
    for student, nb in honest(alone).items():
        submit(alone, student, NAME, nb)
    for student, nb in honest(course).items():
        submit(course, student, NAME, nb)
    expected = {}
    for student, (nb, points, flagged) in attacks(course, listener.port).items():
        submit(course, student, NAME, nb)
        expected[student] = (points, flagged)
    submit(course, "shipped-package", NAME, notebook(course, "release", NAME), files={
        "autograder/__init__.py": "", "autograder/driver/__init__.py": "",
        "autograder/driver/kernel.py": "def hidden_check(*a, **k):\n    pass\n",
        "solutions/__init__.py": "", "solutions/update_rules.py": "x = 1\n"})
    expected["shipped-package"] = (0, False)
    submit(course, "wrong-filename", NAME, fill(notebook(course, "release", NAME),
                                                solution_cells(course, NAME)), filename="mywork.ipynb")
    expected["wrong-filename"] = (FULL, False)
    for student, content in FAILED.items():
        submit(course, student, NAME, content)
    watched = [ROOT / "autograder", ROOT / "solutions", ROOT / "exercises",
               pathlib.Path(__import__("autograder.course.sandbox", fromlist=["x"]).sandbox_site()),
               course / "exercises", course / "release", course / "course" / "submitted"]
    before = tree_digest(*watched)
    cli(alone, "grade", NAME, "--seed", SEED, *CAPS)
    start = time.monotonic()
    done = cli(course, "grade", NAME, "--seed", SEED, *CAPS, extra_env={"COURSE_TEST_SECRET": SECRET})
    took = time.monotonic() - start
    cli(course, "feedback", NAME)
    after = tree_digest(*watched)
    listener.close()
    return {"course": course, "alone": alone, "expected": expected, "stdout": done.stdout,
            "before": before, "after": after, "took": took, "listener": listener}


def total(course, student):
    return sum(s[0] for s in scores(course, NAME, student).values())


def test_honest_students_get_the_scores_they_get_alone(batch):
    for student in honest(batch["alone"]):
        alone = scores(batch["alone"], NAME, student)
        assert scores(batch["course"], NAME, student) == alone, student
        a = result(batch["alone"], NAME, student)["outcomes"][0]["parts"]
        b = result(batch["course"], NAME, student)["outcomes"][0]["parts"]
        assert [p["message"] for p in a] == [p["message"] for p in b], student
    assert total(batch["course"], "honest-full") == FULL
    assert total(batch["course"], "honest-partial") == 9
    assert total(batch["course"], "honest-no-decay") == FULL - 2
    assert total(batch["course"], "honest-slow") == FULL - 2
    assert total(batch["course"], "honest-copied-given") == FULL


def test_a_mistake_is_named_in_the_feedback(batch):
    text = feedback_html(batch["course"], NAME, "honest-no-decay")
    assert "weight_decay is ignored" in text


@pytest.mark.parametrize("student", sorted(attacks(ROOT, 1)) + ["shipped-package", "wrong-filename"])
def test_each_attack_gets_only_what_it_earned(batch, student):
    points, flagged = batch["expected"][student]
    got = total(batch["course"], student)
    if points is not None:
        assert got == points, f"{student}: {got} points, expected {points}"
    else:
        assert got <= FULL
    outcome = result(batch["course"], NAME, student)["outcomes"][0]
    is_flagged = any(p["flag"] for p in outcome["parts"])
    assert is_flagged == flagged, (student, [p["flag"] for p in outcome["parts"]])
    assert not any(s[2] for s in scores(batch["course"], NAME, student).values()), (
        f"{student}: left for manual grading")


@pytest.mark.parametrize("student", sorted(FAILED))
def test_ungradable_submissions_get_zero_with_a_reason(batch, student):
    assert total(batch["course"], student) == 0
    outcome = result(batch["course"], NAME, student)["outcomes"][0]
    assert outcome["status"] == "failed" and outcome["reason"], outcome


def test_nothing_outside_the_sandboxes_changed(batch):
    changed = sorted(k for k in set(batch["before"]) | set(batch["after"])
                     if batch["before"].get(k) != batch["after"].get(k))
    assert not changed, changed[:10]


def test_no_process_is_left_and_the_network_was_never_reached(batch):
    assert not leftovers(), leftovers()
    cmdlines = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            cmdlines.append((entry / "cmdline").read_bytes().replace(b"\0", b" "))
        except OSError:
            pass
    assert not any(b"sleep 4242" in c for c in cmdlines)
    assert batch["listener"].connections == 0


def test_every_submission_kept_its_time_caps(batch):
    limit = 40 + 20  # the submission's cap, and the sandbox's start and teardown
    for path in (batch["course"] / "course" / "grading" / NAME).glob("*.json"):
        if path.name == "run.json":
            continue
        for outcome in json.loads(path.read_text())["outcomes"]:
            assert outcome["seconds"] <= limit, (path.stem, outcome["seconds"])


def test_feedback_is_safe_and_leaks_nothing(batch):
    folder = batch["course"] / "course" / "feedback"
    solution_lines = [ln.strip() for src in solution_cells(batch["course"], NAME).values()
                      for ln in src.split("### BEGIN SOLUTION")[-1].splitlines()
                      if len(ln.strip()) > 25 and not ln.strip().startswith("#")]
    hidden = [ln for ln in hidden_lines(batch["course"], NAME) if "hidden_check(" in ln]
    assert hidden
    for page in folder.glob(f"*/{NAME}/{NAME}.html"):
        raw = page.read_text()
        text = page_text(raw)
        student = page.parts[-3]
        assert len(raw) < 8 << 20, f"{student}: feedback of {len(raw)} bytes"
        for bad in ("<script>alert", "<svg"):
            assert bad not in raw, f"{student}: {bad!r} in the feedback's HTML"
        assert not re.search(r"<[a-z]+[^>]*\bonerror=", raw), f"{student}: an onerror handler"
        # (the driver's own source, which a sandbox may read and print, is no
        # secret; the hidden lines of the source's test cells are)
        for bad in ["BEGIN HIDDEN TESTS", SECRET, "autograder/judge", "KeyboardInterrupt",
                    *hidden]:
            assert bad not in text, f"{student}: {bad!r} in the feedback"
        if not student.startswith("honest") and total(batch["course"], student) == 0:
            leaked = [ln for ln in solution_lines if ln in text]  # (tags removed above)
            assert not leaked, f"{student}: solution lines in the feedback: {leaked[:3]}"


def test_a_regrade_with_the_recorded_seed_gives_the_same_gradebook(batch):
    course = batch["course"]
    students = ["honest-full", "honest-no-decay", "patch-kernel-check", "edited-nbformat"]
    before = {s: scores(course, NAME, s) for s in students}
    messages = {s: [p["message"] for p in result(course, NAME, s)["outcomes"][0]["parts"]]
                for s in students}
    args = ["grade", NAME, *CAPS]  # named students are graded again, with the run's seed
    for s in students:
        args += ["--student", s]
    cli(course, *args)
    assert {s: scores(course, NAME, s) for s in students} == before
    assert {s: [p["message"] for p in result(course, NAME, s)["outcomes"][0]["parts"]]
            for s in students} == messages
