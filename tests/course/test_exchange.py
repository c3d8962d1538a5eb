"""nbgrader's own exchange, end to end, and stock nbgrader in a fresh clone.

One instructor and three students share one machine, each with a HOME of
their own; the exchange is a folder of the test, named to the instructor
by $NBGRADER_EXCHANGE (as on a JupyterHub) and to the students by a
minimal ``~/.jupyter/nbgrader_config.py``. Every step is a real nbgrader
command in a subprocess, run by its user from where that user would run
it (the instructor in the course folder, students in their home):

instructor ``release_assignment``; students ``list``, ``fetch_assignment``,
edit and ``submit`` (alice: every answer, on time; bob: nothing, then two
answers, on time; carol: nothing, after the deadline); instructor
``db assignment add --duedate``, ``list --inbound``, ``collect``; the
course's ``grade`` and ``feedback``; ``release_feedback``; students
``fetch_feedback``. Then what nbgrader's own tools read from what ``grade``
wrote: ``export``, ``db student list``, the formgrader's API.

The deadline is set right after the on-time submissions, before carol's:
a deadline fixed before any of them would make the test depend on how fast
they run.
"""
from __future__ import annotations

import contextlib
import csv
import datetime
import json
import os
import pathlib
import re
import shutil
import sqlite3
import stat
import subprocess
import textwrap

import pytest

from scratch import PYTHON, ROOT, cli, fill, make_course, solution_cells

NAME = "04_update_rules"
COURSE_ID = "how-networks-learn"
NBGRADER = os.path.join(os.path.dirname(PYTHON), "nbgrader")
STUDENTS = ("alice", "bob", "carol")
FULL = 20.0                      # the points of the assignment
BOB = ("sgd_init", "momentum_init")  # bob's second submission answers these
BOB_POINTS = 5.0


def clean_env(home: pathlib.Path, **extra: str) -> dict[str, str]:
    """The environment of one user: their HOME, none of the caller's
    Jupyter or XDG folders, no exchange unless given."""
    out = {k: v for k, v in os.environ.items()
           if not k.startswith(("JUPYTER", "XDG_", "NBGRADER", "IPYTHON"))}
    out["HOME"] = str(home)
    out.update(extra)
    return out


def run(cmd: list[str], cwd: pathlib.Path, env: dict[str, str], ok: bool = True
        ) -> subprocess.CompletedProcess:
    """One command; nbgrader logs (``list`` included) to stderr."""
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0 or not ok, (
        f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
        f"{done.stderr[-3000:]}")
    return done


class Class:
    """The course folder, the exchange and the users' homes of one class."""

    def __init__(self, tmp: pathlib.Path):
        self.tmp = tmp
        self.exchange = tmp / "exchange"
        self.homes = {user: tmp / "home" / user for user in ("instructor", *STUDENTS)}
        for user, home in self.homes.items():
            home.mkdir(parents=True)
            if user != "instructor":
                (home / ".jupyter").mkdir()
                (home / ".jupyter" / "nbgrader_config.py").write_text(textwrap.dedent(f"""\
                    c = get_config()
                    c.CourseDirectory.course_id = {COURSE_ID!r}
                    c.Exchange.root = {str(self.exchange)!r}
                    # One login plays every student here; on a hub leave this
                    # out and nbgrader uses the login name.
                    c.CourseDirectory.student_id = {user!r}
                    """))
        self.course = make_course(tmp / "course", NAME)

    def instructor(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
        return run([NBGRADER, *args], self.course,
                   clean_env(self.homes["instructor"], NBGRADER_EXCHANGE=str(self.exchange)), ok)

    def student(self, who: str, *args: str) -> subprocess.CompletedProcess:
        return run([NBGRADER, *args], self.homes[who], clean_env(self.homes[who]))

    def notebook(self, who: str) -> pathlib.Path:
        return self.homes[who] / NAME / f"{NAME}.ipynb"

    def answer(self, who: str, grade_ids) -> None:
        """Fill ``grade_ids``' answer cells of ``who``'s fetched notebook
        with the reference's, as the student would type them."""
        path = self.notebook(who)
        reference = solution_cells(self.course, NAME)
        nb = fill(json.loads(path.read_text()), {g: reference[g] for g in grade_ids})
        path.write_text(json.dumps(nb, indent=1))


def utc(text: str) -> datetime.datetime:
    from nbgrader.utils import parse_utc
    return parse_utc(text)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    k = Class(tmp_path_factory.mktemp("exchange"))
    out: dict = {"class": k}

    out["release"] = k.instructor("release_assignment", NAME)
    out["list"] = k.student("alice", "list").stderr
    for who in STUDENTS:
        k.student(who, "fetch_assignment", NAME)

    k.answer("alice", solution_cells(k.course, NAME))
    k.student("alice", "submit", NAME)
    k.student("bob", "submit", NAME)          # the notebook as fetched
    k.answer("bob", BOB)
    k.student("bob", "submit", NAME)          # again, two parts answered

    due = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    out["due"] = due  # naive UTC, as nbgrader keeps times
    k.instructor("db", "assignment", "add", NAME,
                 f"--duedate={due.strftime('%Y-%m-%d %H:%M:%S.%f')} UTC")
    k.student("carol", "submit", NAME)        # empty, and late

    out["inbound"] = k.instructor("list", "--inbound").stderr
    # Every submission here is owned by the same login: collect's check
    # that the owner is the student would only warn.
    out["collect"] = k.instructor("collect", NAME, "--ExchangeCollect.check_owner=False")
    out["grade"] = cli(k.course, "grade", NAME, "--workers", "1")
    out["feedback"] = cli(k.course, "feedback", NAME)
    out["release_feedback"] = k.instructor("release_feedback", NAME)
    out["cached-before"] = k.student("bob", "list", "--cached").stderr
    for who in STUDENTS:
        k.student(who, "fetch_feedback", NAME)
    out["cached-after"] = k.student("bob", "list", "--cached").stderr
    return out


def cached_timestamps(k: Class, who: str) -> list[str]:
    """The timestamps of ``who``'s submissions, from their own cache."""
    cache = k.homes[who] / ".local" / "share" / "jupyter" / "nbgrader_cache" / COURSE_ID
    return sorted((p / "timestamp.txt").read_text() for p in cache.iterdir())


def test_the_exchange_has_nbgraders_layout_and_permissions(round_trip):
    k = round_trip["class"]
    root = k.exchange
    mode = lambda p: stat.S_IMODE(p.stat().st_mode)  # noqa: E731
    assert mode(root) == 0o777
    assert mode(root / COURSE_ID) == 0o755
    assert mode(root / COURSE_ID / "outbound") == 0o755
    assert mode(root / COURSE_ID / "inbound") == 0o2733  # write-only for students
    assert mode(root / COURSE_ID / "feedback") == 0o711  # files readable by their hash only
    assert (root / COURSE_ID / "outbound" / NAME / f"{NAME}.ipynb").is_file()
    # nothing went to the course-local default: the variable won
    assert not (k.course / "course" / "exchange").exists()


def test_students_list_fetch_and_submit_from_their_homes(round_trip):
    k = round_trip["class"]
    assert f"{COURSE_ID} {NAME}" in round_trip["list"]
    for who in STUDENTS:
        assert k.notebook(who).is_file()
    released = json.loads((k.course / "release" / NAME / f"{NAME}.ipynb").read_text())
    fetched = json.loads(k.notebook("carol").read_text())
    assert fetched["cells"] == released["cells"]
    assert len(cached_timestamps(k, "bob")) == 2
    inbound = round_trip["inbound"]
    for who, times in (("alice", 1), ("bob", 2), ("carol", 1)):
        assert len(re.findall(rf"^.*{COURSE_ID} {who} {NAME} ", inbound, re.M)) == times, inbound


def test_collect_takes_the_latest_submission_of_each_student(round_trip):
    k = round_trip["class"]
    submitted = k.course / "course" / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == sorted(STUDENTS)
    for who in STUDENTS:
        stamp = (submitted / who / NAME / "timestamp.txt").read_text()
        assert stamp == cached_timestamps(k, who)[-1]
        assert (submitted / who / NAME / "submission_secret.txt").is_file()
    due = round_trip["due"]
    assert utc((submitted / "bob" / NAME / "timestamp.txt").read_text()) < due
    assert utc((submitted / "carol" / NAME / "timestamp.txt").read_text()) > due


def gradebook(k: Class):
    from nbgrader.api import Gradebook
    return Gradebook(f"sqlite:///{k.course / 'course' / 'gradebook.db'}", COURSE_ID)


def test_grade_records_scores_and_lateness_in_nbgraders_gradebook(round_trip):
    k = round_trip["class"]
    expected = {"alice": FULL, "bob": BOB_POINTS, "carol": 0.0}
    with gradebook(k) as gb:
        for who, points in expected.items():
            sub = gb.find_submission(NAME, who)
            assert sub.score == pytest.approx(points), who
            assert sub.max_score == pytest.approx(FULL)
            assert sub.timestamp == utc(
                (k.course / "course" / "submitted" / who / NAME / "timestamp.txt").read_text())
        assert gb.find_submission(NAME, "alice").total_seconds_late == 0
        assert gb.find_submission(NAME, "bob").total_seconds_late == 0
        assert gb.find_submission(NAME, "carol").total_seconds_late > 0
    for who in STUDENTS:
        assert (k.course / "course" / "autograded" / who / NAME / f"{NAME}.ipynb").is_file()


def test_students_fetch_feedback_with_their_score(round_trip):
    k = round_trip["class"]
    expected = {"alice": FULL, "bob": BOB_POINTS, "carol": 0.0}
    # bob's cache holds both his submissions; only the collected one has feedback
    before, after = round_trip["cached-before"], round_trip["cached-after"]
    assert before.count("feedback ready to be fetched") == 1, before
    assert before.count("no feedback available") == 1, before
    assert after.count("feedback already fetched") == 1, after
    for who, points in expected.items():
        folders = list((k.homes[who] / NAME / "feedback").iterdir())
        # one folder, named by the submission that was graded (for bob the
        # second one; his first has no feedback)
        assert [f.name for f in folders] == [cached_timestamps(k, who)[-1]]
        html = (folders[0] / f"{NAME}.html").read_text()
        assert f"{NAME} (Score: {points} / {FULL})" in html, who
        assert "BEGIN HIDDEN TESTS" not in html


def test_nbgraders_export_shows_scores_and_lateness(round_trip):
    k = round_trip["class"]
    out = k.tmp / "nbgrader_grades.csv"
    k.instructor("export", f"--to={out}")
    rows = {r["student_id"]: r for r in csv.DictReader(out.open())}
    assert sorted(rows) == sorted(STUDENTS)
    due = round_trip["due"]
    for who, points in {"alice": FULL, "bob": BOB_POINTS, "carol": 0.0}.items():
        row = rows[who]
        assert row["assignment"] == NAME
        assert float(row["raw_score"]) == pytest.approx(points)
        assert float(row["max_score"]) == pytest.approx(FULL)
        assert abs(utc(row["duedate"]) - due) < datetime.timedelta(milliseconds=1)
        late = utc(row["timestamp"]) > utc(row["duedate"])
        assert late == (who == "carol"), row
    ours = k.tmp / "grades.csv"
    cli(k.course, "export", NAME, "--to", str(ours))
    late = {r["student"]: float(r["late_seconds"]) for r in csv.DictReader(ours.open())}
    assert late["carol"] > 0 and late["alice"] == late["bob"] == 0


def test_nbgraders_db_and_formgrader_read_what_grade_wrote(round_trip):
    k = round_trip["class"]
    # from the instructor's home (where a hub starts their server, and the
    # formgrader with it), through a ~/.jupyter config that loads the course's
    home = k.homes["instructor"]
    (home / ".jupyter").mkdir(exist_ok=True)
    (home / ".jupyter" / "nbgrader_config.py").write_text(
        f"c = get_config()\nload_subconfig({str(k.course / 'nbgrader_config.py')!r})\n")
    students = run([NBGRADER, "db", "student", "list"], home, clean_env(home)).stdout
    for who in STUDENTS:
        assert re.search(rf"^{who} \(", students, re.M), students
    script = textwrap.dedent(f"""\
        import json
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config.loader import PyFileConfigLoader
        cfg = PyFileConfigLoader("nbgrader_config.py", path=".").load_config()
        api = NbGraderAPI(CourseDirectory(config=cfg), config=cfg)
        print(json.dumps({{
            "functional": bool(api.exchange_is_functional),
            "assignment": api.get_assignment({NAME!r}),
            "submissions": api.get_submissions({NAME!r}),
            "notebooks": api.get_notebook_submissions({NAME!r}, {NAME!r}),
        }}, default=str))
        """)
    done = run([PYTHON, "-c", script], k.course,
               clean_env(k.homes["instructor"], NBGRADER_EXCHANGE=str(k.exchange)))
    api = json.loads(done.stdout.strip().splitlines()[-1])
    assert api["functional"]
    assert api["assignment"]["num_submissions"] == 3
    assert api["assignment"]["status"] == "released"
    subs = {s["student"]: s for s in api["submissions"]}
    assert sorted(subs) == sorted(STUDENTS)
    for who, points in {"alice": FULL, "bob": BOB_POINTS, "carol": 0.0}.items():
        assert subs[who]["autograded"] and subs[who]["submitted"], subs[who]
        assert subs[who]["score"] == pytest.approx(points)
        assert not subs[who]["needs_manual_grade"]
    notebooks = {n["student"]: n for n in api["notebooks"]}
    assert notebooks["carol"]["score"] == 0 and notebooks["alice"]["score"] == FULL


def test_stock_nbgrader_works_in_a_fresh_clone_without_the_venv_on_path(tmp_path):
    """``.venv/bin/nbgrader generate_assignment`` from the root of a fresh
    clone (no course/ folder, no gradebook), the venv not active."""
    clone = tmp_path / "clone"
    (clone / "exercises").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", clone)
    shutil.copytree(ROOT / "exercises" / NAME, clone / "exercises" / NAME)
    venv_bin = os.path.dirname(PYTHON)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                           if p and os.path.abspath(p) != os.path.abspath(venv_bin)
                           and shutil.which("alembic", path=p) is None)
    assert shutil.which("alembic", path=path) is None
    env = {k: v for k, v in clean_env(tmp_path / "home").items() if k != "VIRTUAL_ENV"}
    env["PATH"] = path
    (tmp_path / "home").mkdir()
    done = run([NBGRADER, "generate_assignment", NAME, "--force"], clone, env, ok=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (clone / "release" / NAME / f"{NAME}.ipynb").is_file()
    assert (clone / "course" / "gradebook.db").is_file()
    # a complete gradebook: alembic gave it its version
    with contextlib.closing(sqlite3.connect(clone / "course" / "gradebook.db")) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    # with no $NBGRADER_EXCHANGE, the exchange is the course-local folder
    run([NBGRADER, "release_assignment", NAME], clone, env)
    assert (clone / "course" / "exchange" / COURSE_ID / "outbound" / NAME
            / f"{NAME}.ipynb").is_file()
