"""Importing an LMS export: each export's naming lands in nbgrader's
submitted layout with its time, the latest attempt wins, and whatever
cannot be placed (unsafe, too large, not a notebook, ambiguous, already
there) is reported, never written; the zip is only read, a dry run writes
nothing and reports the same."""
from __future__ import annotations

import hashlib
import json
import os
import stat
import struct
import zipfile
from datetime import datetime, timezone

import pytest
from nbgrader.utils import parse_utc

from autograder.course import lms

A = "04_update_rules"
NB = json.dumps({"cells": [{"cell_type": "code", "source": "x = 1", "metadata": {},
                            "outputs": [], "execution_count": None}],
                 "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
WHEN = (2026, 12, 1, 10, 0, 0)


def make_zip(path, entries):
    """``entries``: (name or ZipInfo, data) or (name, data, date_time)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for entry in entries:
            name, data, *when = entry
            info = name if isinstance(name, zipfile.ZipInfo) else \
                zipfile.ZipInfo(name, when[0] if when else WHEN)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path


def tree(root):
    """Every path under root, with the bytes of files."""
    out = {}
    for folder, dirs, files in os.walk(root):
        for d in dirs:
            out[os.path.relpath(os.path.join(folder, d), root)] = None
        for f in files:
            p = os.path.join(folder, f)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


def mark_encrypted(path, name):
    """Set the encrypted bit of an entry's local and central headers."""
    data, raw = bytearray(path.read_bytes()), name.encode()
    for signature, flags, length, at_name in ((b"PK\x03\x04", 6, 26, 30),
                                              (b"PK\x01\x02", 8, 28, 46)):
        at = data.find(signature)
        while at >= 0:
            size = struct.unpack_from("<H", data, at + length)[0]
            if data[at + at_name: at + at_name + size] == raw:
                data[at + flags] |= 0x1
            at = data.find(signature, at + 1)
    path.write_bytes(bytes(data))


def submitted(root, student):
    return root / "course" / "submitted" / student / A


def reasons(report):
    return {s.file: s.reason for s in report.skipped}


def stamp(root, student):
    return (submitted(root, student) / "timestamp.txt").read_text()


# ---------------------------------------------------------------- formats

def test_canvas_export_latest_resubmission_late_flag_and_text_entries(tmp_path):
    z = make_zip(tmp_path / "canvas.zip", [
        ("smithjohn_12345_67890_04_update_rules.ipynb", NB, (2026, 12, 1, 9, 0, 0)),
        ("smithjohn_12345_67891_04_update_rules-1.ipynb", NB, (2026, 12, 1, 10, 0, 0)),
        ("smithjohn_12345_67892_04_update_rules-2.ipynb", NB, (2026, 12, 1, 11, 0, 0)),
        ("doejane_late_222_333_04_update_rules.ipynb", NB, (2026, 12, 3, 8, 30, 0)),
        ("doejane_LATE_222_text.html", "<p>also</p>"),
        ("leeann_444_555_Update Rules.ipynb", NB),
    ])
    report = lms.import_zip(tmp_path, A, z)
    assert report.ok
    assert [(p.student, p.lms) for p in report.placed] == [
        ("doejane", "canvas"), ("leeann", "canvas"), ("smithjohn", "canvas")]
    by = {p.student: p for p in report.placed}
    assert by["smithjohn"].file.endswith("-2.ipynb")
    assert by["doejane"].late and not by["smithjohn"].late
    assert stamp(tmp_path, "smithjohn") == "2026-12-01 11:00:00.000000 UTC"
    assert parse_utc(stamp(tmp_path, "doejane")) == datetime(2026, 12, 3, 8, 30)
    assert (submitted(tmp_path, "leeann") / f"{A}.ipynb").read_text() == NB
    assert sorted(os.listdir(submitted(tmp_path, "smithjohn"))) == [f"{A}.ipynb", "timestamp.txt"]
    why = reasons(report)
    assert "earlier attempt" in why["smithjohn_12345_67890_04_update_rules.ipynb"]
    assert "-2.ipynb is the one chosen" in why["smithjohn_12345_67891_04_update_rules-1.ipynb"]
    assert "not a notebook (.html)" in why["doejane_LATE_222_text.html"]
    assert by["smithjohn"].path == f"course/submitted/smithjohn/{A}/{A}.ipynb"


def test_canvas_anonymous_grading(tmp_path):
    z = make_zip(tmp_path / "anon.zip", [("anon_x7Yz2_late_991_04_update_rules.ipynb", NB)])
    report = lms.import_zip(tmp_path, A, z)
    assert [(p.student, p.late) for p in report.placed] == [("anon_x7yz2", True)]


def test_moodle_flat_and_in_folders_with_blind_marking(tmp_path):
    z = make_zip(tmp_path / "moodle.zip", [
        ("Ana María Núñez_1201_assignsubmission_file_04_update_rules.ipynb", NB),
        ("Ana María Núñez_1201_assignsubmission_onlinetext_onlinetext.html", "<p>hi</p>"),
        ("Bo Li_1202_assignsubmission_file/work/04_update_rules.ipynb", NB),
        ("Bo Li_1202_assignsubmission_file/work/scratch.ipynb", NB, (2026, 12, 2, 0, 0, 0)),
        ("Bo Li_1202_assignsubmission_file/helpers.py", "def f(): pass"),
        ("Participant_1203_assignsubmission_file_/nb.ipynb", NB),
        ("Participant_1204_assignsubmission_file_nb.ipynb", NB),
    ])
    report = lms.import_zip(tmp_path, A, z)
    assert [(p.student, p.lms) for p in report.placed] == [
        ("ana_maria_nunez", "moodle"), ("bo_li", "moodle"), ("participant_1203", "moodle"),
        ("participant_1204", "moodle")]
    by = {p.student: p.file for p in report.placed}
    # one attempt: the notebook named like the assignment beats a newer scratch one
    assert by["bo_li"] == "Bo Li_1202_assignsubmission_file/work/04_update_rules.ipynb"
    why = reasons(report)
    assert "another notebook of the same student" in why[
        "Bo Li_1202_assignsubmission_file/work/scratch.ipynb"]
    assert "not a notebook (.py)" in why["Bo Li_1202_assignsubmission_file/helpers.py"]
    assert "(.html)" in why["Ana María Núñez_1201_assignsubmission_onlinetext_onlinetext.html"]


def test_blackboard_attempt_time_from_the_name_and_receipts_reported(tmp_path):
    late_zip_date = (2027, 1, 5, 0, 0, 0)
    z = make_zip(tmp_path / "bb.zip", [
        ("HW 4_jsmith_attempt_2026-12-01-10-00-00_04_update_rules.ipynb", NB, late_zip_date),
        ("HW 4_jsmith_attempt_2026-12-01-10-00-00.txt", "Name: Jo Smith (jsmith)"),
        ("HW 4_jsmith_attempt_2026-12-02-18-30-05_04_update_rules.ipynb", NB, WHEN),
        ("HW 4_jsmith_attempt_2026-12-02-18-30-05.txt", "Name: Jo Smith (jsmith)"),
        ("HW 4_akim_attempt_2026-11-30-23-59-59_mywork.ipynb", NB),
        ("HW 4_akim_attempt_2026-11-30-23-59-59_notes.pdf", b"%PDF"),
    ])
    report = lms.import_zip(tmp_path, A, z)
    assert [p.student for p in report.placed] == ["akim", "jsmith"]
    assert stamp(tmp_path, "jsmith") == "2026-12-02 18:30:05.000000 UTC"
    assert stamp(tmp_path, "akim") == "2026-11-30 23:59:59.000000 UTC"
    why = reasons(report)
    assert "earlier attempt" in why["HW 4_jsmith_attempt_2026-12-01-10-00-00_04_update_rules.ipynb"]
    assert "Blackboard submission receipt" in why["HW 4_jsmith_attempt_2026-12-01-10-00-00.txt"]
    assert "(.pdf)" in why["HW 4_akim_attempt_2026-11-30-23-59-59_notes.pdf"]
    assert {s.student for s in report.skipped} == {"jsmith", "akim"}


def test_plain_files_and_folders_named_by_student(tmp_path):
    z = make_zip(tmp_path / "plain.zip", [
        ("alice.ipynb", NB),
        ("Bob Stone/whatever.ipynb", NB),
        ("Bob Stone/.ipynb_checkpoints/whatever-checkpoint.ipynb", NB),
        ("carol/deep/04_update_rules.ipynb", NB),
        ("Łukasz Żółć.ipynb", NB),
        ("README.md", "hello"),
    ])
    report = lms.import_zip(tmp_path, A, z)
    assert [(p.student, p.lms) for p in report.placed] == [
        ("alice", "plain"), ("bob_stone", "plain"), ("carol", "plain"), ("lukasz_zolc", "plain")]
    why = reasons(report)
    assert "checkpoint" in why["Bob Stone/.ipynb_checkpoints/whatever-checkpoint.ipynb"]
    assert "not a notebook (.md)" in why["README.md"]


def test_an_export_zipped_again_inside_a_folder_is_read_from_inside(tmp_path):
    z = make_zip(tmp_path / "again.zip", [
        ("submissions/smithjohn_12345_67890_04_update_rules.ipynb", NB),
        ("submissions/doejane_222_333_04_update_rules.ipynb", NB),
        ("__MACOSX/submissions/._smithjohn_12345_67890_04_update_rules.ipynb", b"\0\5"),
        ("submissions/.DS_Store", b"\0"),
    ])
    report = lms.import_zip(tmp_path, A, z)
    assert [p.student for p in report.placed] == ["doejane", "smithjohn"]
    assert any("inside the folder submissions/" in w for w in report.warnings)
    assert all("operating-system metadata" in s.reason for s in report.skipped)
    # several students' plain notebooks in one folder: a wrapper too
    z = make_zip(tmp_path / "plain.zip", [("export/ann.ipynb", NB), ("export/ben.ipynb", NB)])
    assert [p.student for p in lms.import_zip(tmp_path / "b", A, z).placed] == ["ann", "ben"]
    # one student's folder is not a wrapper
    z = make_zip(tmp_path / "one.zip", [("dana/04_update_rules.ipynb", NB),
                                        ("dana/scratch.ipynb", NB)])
    assert [p.student for p in lms.import_zip(tmp_path / "c", A, z).placed] == ["dana"]


@pytest.mark.parametrize("name, lms_name, identity, original, late", [
    ("smithjohn_12345_67890_04_update_rules.ipynb", "canvas", "canvas:12345",
     "04_update_rules.ipynb", False),
    ("o_brien_mary_late_7_8_a_b.ipynb", "canvas", "canvas:7", "a_b.ipynb", True),
    ("smithjohn_12345_67890_04_update_rules-3.ipynb", "canvas", "canvas:12345",
     "04_update_rules.ipynb", False),
    ("Full Name_12345_assignsubmission_file_04_update_rules.ipynb", "moodle", "moodle:12345",
     "04_update_rules.ipynb", False),
    ("Assignment_username_attempt_2026-12-01-10-00-00_file.ipynb", "blackboard",
     "blackboard:username", "file.ipynb", False),
    ("student.ipynb", "plain", "plain:student", "student.ipynb", False),
    ("2026_notes.ipynb", "plain", "plain:2026_notes", "2026_notes.ipynb", False),
])
def test_the_naming_table(name, lms_name, identity, original, late):
    parsed = lms.parse_entry(lms.split_path(name))
    assert (parsed.lms, parsed.identity, parsed.original, parsed.late) == (
        lms_name, identity, original, late)


def test_ids_are_lowercase_ascii():
    assert lms.normalize_id("  José  Núñez-Pérez ") == "jose_nunez-perez"
    assert lms.normalize_id("Straße.Ø") == "strasse_o"
    assert lms.normalize_id("李") is None and lms.normalize_id("...") is None
    assert len(lms.normalize_id("a" * 300)) == 64
    assert lms.roster_key("Smith, John") == "smithjohn"


# ---------------------------------------------------------------- roster

def test_a_roster_maps_lms_ids_and_names_and_lists_who_is_missing(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffCanvas ID,Name,Student ID\n12345,\"Smith, John\",js101\n"
                      ",\"Doe, Jane\",jd202\n999,Never Submitted,ns303\n"
                      "1,Twin,tw1\n2,Twin,tw2\n3,x,../escape\n", encoding="utf-8")
    z = make_zip(tmp_path / "canvas.zip", [
        ("smithjohn_12345_67890_04_update_rules.ipynb", NB),     # by id
        ("doejane_222_333_04_update_rules.ipynb", NB),           # by name
        ("stranger_777_888_04_update_rules.ipynb", NB),          # unknown
        ("twin_55_66_04_update_rules.ipynb", NB),                # ambiguous name, unknown id
    ])
    report = lms.import_zip(tmp_path, A, z, roster=roster)
    assert [p.student for p in report.placed] == ["jd202", "js101"]
    why = reasons(report)
    assert why["stranger_777_888_04_update_rules.ipynb"].startswith("not on the roster")
    assert "777" in why["stranger_777_888_04_update_rules.ipynb"]
    assert why["twin_55_66_04_update_rules.ipynb"].startswith("not on the roster")
    assert any("'twin' names several students" in w for w in report.warnings)
    assert any("not usable as student ids" in w and "'../escape'" in w for w in report.warnings)
    assert report.missing == ["ns303", "tw1", "tw2"]
    assert not (tmp_path / "course" / "escape").exists()
    # a mapping works the same; a roster without an id column is refused
    mapped = lms.import_zip(tmp_path / "m", A, z, roster={"12345": "js101"})
    assert [p.student for p in mapped.placed] == ["js101"]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nx,y\n")
    refused = lms.import_zip(tmp_path / "n", A, z, roster=bad)
    assert not refused.ok and "no column student_id" in refused.error and not refused.placed
    assert not (tmp_path / "n").exists()


# ---------------------------------------------------------------- times

def test_an_extended_timestamp_field_gives_the_time_in_utc(tmp_path):
    ut = zipfile.ZipInfo("alice.ipynb", (2020, 1, 1, 0, 0, 0))
    epoch = int(datetime(2026, 12, 1, 23, 15, 7, tzinfo=timezone.utc).timestamp())
    ut.extra = struct.pack("<HHBI", 0x5455, 5, 1, epoch)
    ntfs = zipfile.ZipInfo("bob.ipynb", (2020, 1, 1, 0, 0, 0))
    ticks = (epoch + 11644473600) * 10**7 + 1234560
    ntfs.extra = struct.pack("<HHIHHQQQ", 0x000A, 32, 0, 1, 24, ticks, ticks, ticks)
    z = make_zip(tmp_path / "t.zip", [(ut, NB), (ntfs, NB),
                                      ("carol.ipynb", NB, (1980, 1, 1, 0, 0, 0))])
    report = lms.import_zip(tmp_path, A, z)
    assert stamp(tmp_path, "alice") == "2026-12-01 23:15:07.000000 UTC"
    assert stamp(tmp_path, "bob") == "2026-12-01 23:15:07.123456 UTC"
    carol = next(p for p in report.placed if p.student == "carol")
    assert carol.timestamp is None and any("no time" in n for n in carol.notes)
    assert not (submitted(tmp_path, "carol") / "timestamp.txt").exists()
    assert (submitted(tmp_path, "carol") / f"{A}.ipynb").is_file()


# ---------------------------------------------------------------- hostile and odd zips

def test_unsafe_entries_are_refused_and_nothing_lands_outside(tmp_path):
    link = zipfile.ZipInfo("mallory.ipynb", WHEN)
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    root = tmp_path / "course_root"
    z = make_zip(tmp_path / "evil.zip", [
        ("../../escaped.ipynb", NB),
        ("alice/../../../escaped2.ipynb", NB),
        ("..\\..\\escaped3.ipynb", NB),
        ("/tmp/absolute.ipynb", NB),
        ("C:\\Users\\x\\drive.ipynb", NB),
        (link, "../../../../etc/passwd"),
        ("trent.ipynb", NB),
        ("eve.zip", make_zip(tmp_path / "inner.zip", [("eve.ipynb", NB)]).read_bytes()),
        ("frank.ipynb.gz", b"\x1f\x8b"),
        ("ok.ipynb", NB),
    ])
    mark_encrypted(z, "trent.ipynb")
    report = lms.import_zip(root, A, z)
    assert [p.student for p in report.placed] == ["ok"]
    why = reasons(report)
    for name in ("../../escaped.ipynb", "alice/../../../escaped2.ipynb", "..\\..\\escaped3.ipynb"):
        assert "leads out of the zip" in why[name]
    assert "absolute path" in why["/tmp/absolute.ipynb"]
    assert "absolute path" in why["C:\\Users\\x\\drive.ipynb"]
    assert "symbolic link" in why["mallory.ipynb"] and "encrypted" in why["trent.ipynb"]
    assert "nested archive" in why["eve.zip"] and "nested archive" in why["frank.ipynb.gz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["course_root", "evil.zip", "inner.zip"]
    assert sorted(tree(root / "course" / "submitted")) == [
        "ok", "ok/04_update_rules", f"ok/{A}/{A}.ipynb", f"ok/{A}/timestamp.txt"]


def test_a_zip_bomb_entry_is_not_read_and_the_others_are_placed(tmp_path):
    z = make_zip(tmp_path / "bomb.zip", [("bomb.ipynb", b"\0" * (40 << 20)), ("fine.ipynb", NB)])
    assert z.stat().st_size < 1 << 20
    report = lms.import_zip(tmp_path, A, z)
    assert [p.student for p in report.placed] == ["fine"]
    assert "40 MiB once unpacked" in reasons(report)["bomb.ipynb"]
    assert not submitted(tmp_path, "bomb").exists()


def test_an_entry_that_lies_about_its_size_is_caught_while_reading(tmp_path):
    big = NB.replace("x = 1", "x = '" + "y" * 5000 + "'")
    z = make_zip(tmp_path / "lie.zip", [("liar.ipynb", big), ("fine.ipynb", NB)])
    data = bytearray(z.read_bytes())
    at = data.find(b"PK\x01\x02")                   # the central directory's first entry
    struct.pack_into("<I", data, at + 24, 100)      # says 100 bytes once unpacked
    z.write_bytes(bytes(data))
    report = lms.import_zip(tmp_path, A, z, limits=lms.Limits(file_bytes=4096))
    assert [p.student for p in report.placed] == ["fine"]
    assert "cannot be unpacked" in reasons(report)["liar.ipynb"]
    # and the streaming count itself stops at the cap
    with zipfile.ZipFile(make_zip(tmp_path / "s.zip", [("s.ipynb", big)])) as zf:
        with pytest.raises(lms._TooLarge):
            lms.read_capped(zf, zf.getinfo("s.ipynb"), 1000)
        assert lms.read_capped(zf, zf.getinfo("s.ipynb"), 10_000) == big.encode()


def test_past_the_total_cap_nothing_is_placed(tmp_path):
    z = make_zip(tmp_path / "many.zip", [(f"s{i}.ipynb", NB) for i in range(5)])
    report = lms.import_zip(tmp_path, A, z, limits=lms.Limits(total_bytes=len(NB) * 3))
    assert not report.ok and "cap of one import" in report.error and report.placed == []
    assert "nothing imported" in report.text()
    assert not (tmp_path / "course").exists()
    many = lms.import_zip(tmp_path, A, z, limits=lms.Limits(entries=4))
    assert not many.ok and "5 entries" in many.error


def test_names_that_come_to_one_id_are_not_merged(tmp_path):
    z = make_zip(tmp_path / "twins.zip", [
        ("Alice.ipynb", NB), ("alice.ipynb", NB),
        ("smithjohn_111_1_04_update_rules.ipynb", NB),
        ("smithjohn_222_2_04_update_rules.ipynb", NB),
        ("José.ipynb", NB), ("jose/04_update_rules.ipynb", NB),
        ("zed.ipynb", NB),
    ])
    report = lms.import_zip(tmp_path, A, z)
    assert [p.student for p in report.placed] == ["zed"]
    assert sum("give a roster" in s.reason for s in report.skipped) == 6
    assert any("come to the student id smithjohn (111, 222)" in w for w in report.warnings)
    assert any("come to the student id alice" in w for w in report.warnings)
    assert any("come to the student id jose" in w for w in report.warnings)


def test_several_entries_of_one_name_in_the_zip(tmp_path):
    with pytest.warns(UserWarning, match="Duplicate name"):
        z = make_zip(tmp_path / "dup.zip", [("alice.ipynb", NB), ("alice.ipynb", "{}")])
    report = lms.import_zip(tmp_path, A, z)
    assert report.placed == []
    assert [s.reason for s in report.skipped] == [
        "the zip holds 2 entries of this name: which one is the submission cannot be told"] * 2


def test_invalid_notebooks_are_placed_and_flagged(tmp_path):
    z = make_zip(tmp_path / "bad.zip", [("alice.ipynb", "{not json"), ("bob.ipynb", "[1, 2]"),
                                        ("carol.ipynb", NB)])
    report = lms.import_zip(tmp_path, A, z)
    assert [p.student for p in report.placed] == ["alice", "bob", "carol"]
    assert [p.student for p in report.flagged] == ["alice", "bob"]
    assert "not valid JSON" in report.flagged[0].notes[0]
    assert "no list of cells" in report.flagged[1].notes[0]
    assert (submitted(tmp_path, "alice") / f"{A}.ipynb").read_text() == "{not json"
    assert "not valid JSON" in report.text()


def test_a_submission_already_there_is_kept_unless_overwrite(tmp_path):
    old = submitted(tmp_path, "alice")
    old.mkdir(parents=True)
    (old / f"{A}.ipynb").write_text("old")
    (old / "timestamp.txt").write_text("2026-11-01 00:00:00.000000 UTC")
    (tmp_path / "course" / "submitted" / "alice" / "02_gates").mkdir()
    z = make_zip(tmp_path / "again.zip", [("alice.ipynb", NB), ("bob.ipynb", NB)])
    report = lms.import_zip(tmp_path, A, z)
    assert [p.student for p in report.placed] == ["bob"]
    assert "already exists: kept" in reasons(report)["alice.ipynb"]
    assert (old / f"{A}.ipynb").read_text() == "old"
    report = lms.import_zip(tmp_path, A, z, overwrite=True)
    assert [p.student for p in report.placed] == ["alice", "bob"]
    assert any("replaces the submission" in n for n in report.placed[0].notes)
    assert (old / f"{A}.ipynb").read_text() == NB
    assert stamp(tmp_path, "alice") == "2026-12-01 10:00:00.000000 UTC"
    assert sorted(os.listdir(old.parent)) == ["02_gates", A]         # nothing left aside
    assert sorted(os.listdir(old.parent.parent)) == ["alice", "bob"]  # no staging left


def test_a_dry_run_writes_nothing_and_reports_the_same(tmp_path):
    root = tmp_path / "root"
    (root / "course" / "submitted" / "carol" / A).mkdir(parents=True)
    z = make_zip(tmp_path / "x.zip", [
        ("smithjohn_1_2_04_update_rules.ipynb", NB), ("smithjohn_1_3_notes.pdf", b"%PDF"),
        ("carol.ipynb", NB), ("../x.ipynb", NB), ("dave.ipynb", "{")])
    before = tree(root)
    dry = lms.import_zip(root, A, z, dry_run=True)
    assert tree(root) == before
    assert "dry run: nothing written" in dry.text()
    real = lms.import_zip(root, A, z)
    assert (dry.placed, dry.skipped, dry.warnings) == (real.placed, real.skipped, real.warnings)
    assert [p.student for p in real.placed] == ["dave", "smithjohn"]
    fresh = tmp_path / "fresh"
    lms.import_zip(fresh, A, z, dry_run=True)
    assert not fresh.exists()


def test_the_zip_is_only_read(tmp_path):
    z = make_zip(tmp_path / "x.zip", [("alice.ipynb", NB), ("bob.txt", "x")])
    os.utime(z, (1_000_000_000, 1_000_000_000))
    digest = hashlib.sha256(z.read_bytes()).hexdigest()
    lms.import_zip(tmp_path, A, z)
    lms.import_zip(tmp_path, A, z, overwrite=True)
    assert hashlib.sha256(z.read_bytes()).hexdigest() == digest
    assert z.stat().st_mtime == 1_000_000_000


def test_what_cannot_be_used_at_all(tmp_path):
    (tmp_path / "notzip.zip").write_text("hello")
    for path in (tmp_path / "notzip.zip", tmp_path / "missing.zip"):
        report = lms.import_zip(tmp_path, A, path)
        assert not report.ok and "cannot be opened as a zip" in report.error
    z = make_zip(tmp_path / "x.zip", [("alice.ipynb", NB)])
    assert "cannot be an assignment" in lms.import_zip(tmp_path, "../up", z).error
    assert not (tmp_path / "course").exists()


def test_the_summary(tmp_path):
    z = make_zip(tmp_path / "sum.zip", [
        ("doejane_late_222_333_04_update_rules.ipynb", NB), ("smithjohn_1_2_x.pdf", b"%"),
        ("alice.ipynb", NB, (1980, 1, 1, 0, 0, 0))])
    text = lms.import_zip(tmp_path, A, z).text()
    lines = text.splitlines()
    assert lines[0] == f"{A} from sum.zip: 2 placed, 1 not placed, 0 warnings"
    assert "doejane  2026-12-01 10:00:00 UTC  doejane_late_222_333_04_update_rules.ipynb" \
           " (late in the LMS)" in text
    assert "! the zip gives no time for it" in text
    assert "  smithjohn_1_2_x.pdf [smithjohn]: not a notebook (.pdf)" in text
