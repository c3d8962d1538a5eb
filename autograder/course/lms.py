"""Import a learning-management system's zip of notebooks into nbgrader's
submitted layout: ``course/submitted/<student>/<assignment>/<assignment>.ipynb``
with ``timestamp.txt`` beside it (nbgrader's format,
``2026-12-01 10:00:00.000000 UTC``).

Exports this reads (the first naming of :data:`NAMINGS` that fits an entry
wins; anything else is the plain layout):

- Canvas, "Download Submissions": top-level files
  ``<sortable name>[_late]_<user id>_<file id>_<file as uploaded>``, the
  name lowercased and cut to word characters (``smithjohn``); with
  anonymous grading ``anon_<anonymous id>[_late]_<file id>_<file>``. A file
  uploaded again under the same name is ``<stem>-1``, ``<stem>-2``: a later
  attempt. Text entries and links come as ``..._<user id>_text.html`` and
  ``..._link.html``.
- Moodle, "Download all submissions": flat
  ``<Full Name>_<participant id>_assignsubmission_file_<file>``, or, when
  downloaded in folders, ``<Full Name>_<participant id>_assignsubmission_file/``
  holding the files as uploaded (subfolders kept). With blind marking the
  name is ``Participant`` (read as ``participant_<id>``). The participant id
  belongs to the assignment, not to the user; a roster keys Moodle students
  by name.
- Blackboard, "Assignment File Download":
  ``<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file>``, and a
  ``.txt`` receipt per attempt without the ``_<file>``. The attempt time is
  the submission time (the export gives no zone: read as UTC). A username
  is one ``_``-free token, the one before ``_attempt_``.
- Plain: ``<student>.ipynb``, or ``<student>/<any path>.ipynb``.

A zip that holds everything inside one folder (an export unpacked and
zipped again) is read from inside that folder when what it holds is named
as above, or is several students' notebooks; a warning says so.

Who: with a roster (a CSV with a ``student_id`` column, every other column
a key for it, see :meth:`Roster.from_csv`; or a mapping of keys to student
ids), the student id is the roster's for
the first of the entry's keys it knows, most specific first (Canvas user id,
Moodle participant id, Blackboard username, then the name); keys are
compared lowercased and cut to ASCII letters and digits, so ``Smith, John``
is Canvas's ``smithjohn``. An entry the roster does not know is not placed.
Without a roster, the id is the name normalized by :func:`normalize_id`
(lowercase ASCII, ``[a-z0-9_-]``); when two different people of the zip
(two Canvas user ids, two spellings of a plain name) come to the same id,
neither is placed, and the reason says to give a roster.

When: the time a name carries (Blackboard), else the entry's own time in
the zip: the UTC time of its extended-timestamp or NTFS field when it has
one, else ``ZipInfo.date_time`` read as UTC. A zip's 1980-01-01 00:00
placeholder is no time: that submission gets no ``timestamp.txt`` (nbgrader
then grades it as on time) and says so.

Which: of a student's notebooks, the latest attempt is placed (Blackboard:
the attempt time; Canvas: the ``-N`` resubmission number; Moodle exports
hold one attempt), then the one named like the assignment, then the newest
entry; every other one is reported as not placed, with the one that was.

Everything that is not a notebook is reported and not placed, the
student's extra files too: grading reads the one notebook, and a second
notebook in the folder would make it guess. Unsafe entries are refused:
absolute paths, paths that climb out (``..``), symbolic links, encrypted
entries, several entries of one name, nested archives (never opened). Sizes
are checked against :class:`Limits` before reading (the declared size) and
while reading (what actually comes out): a notebook over the per-file cap
is not placed; a zip whose notebooks pass the total cap places nothing.

A notebook that is not valid JSON is placed all the same (grading reports
it) and flagged. A submission already in course/submitted is kept unless
``overwrite=True``. The zip is only read. Everything is written into a
staging folder first and each student's folder moved into place with one
rename; ``dry_run`` reads the same way, writes nothing, and reports the same.
"""
from __future__ import annotations

import csv
import io
import json
import os
import pathlib
import re
import secrets
import shutil
import stat
import struct
import tempfile
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

UTC = timezone.utc
TIMESTAMP = "timestamp.txt"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"       # nbgrader's, in UTC


@dataclass(frozen=True)
class Limits:
    """Caps on what one import reads."""
    file_bytes: int = 32 << 20     # one notebook (what grading's intake accepts)
    total_bytes: int = 1 << 30     # every notebook read from one zip
    entries: int = 20_000          # entries in the zip


# ---------------------------------------------------------------- namings

@dataclass(frozen=True)
class Naming:
    """One way an export names what it holds.

    ``where`` is ``"file"`` (the pattern is matched against a top-level
    entry's whole name) or ``"folder"`` (against the first folder of the
    entry's path; the rest of the path is the file as uploaded). Groups:
    ``id`` (the LMS's own key of the person), ``name`` (a name to read an id
    from when there is no roster), ``file`` (the file as uploaded), ``late``
    (the export marks the submission late), ``when`` (an attempt time,
    ``YYYY-MM-DD-HH-MM-SS``), ``receipt`` (the entry is a receipt, not a
    submitted file)."""
    lms: str
    where: str
    pattern: re.Pattern
    about: str


_LATE = r"(?:_(?P<late>[Ll][Aa][Tt][Ee]))?"

NAMINGS: tuple[Naming, ...] = (
    Naming("blackboard", "file", re.compile(
        r"(?P<label>.+)_(?P<id>[^_/]+)_attempt_(?P<when>\d{4}(?:-\d\d){5})"
        r"(?:_(?P<file>.+)|(?P<receipt>\.txt))"),
        "Assignment_username_attempt_2026-12-01-10-00-00_file.ipynb, and its .txt receipt"),
    Naming("moodle", "folder", re.compile(
        r"(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_?"),
        "Full Name_12345_assignsubmission_file/<files as uploaded>"),
    Naming("moodle", "file", re.compile(
        r"(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)_(?P<file>.+)"),
        "Full Name_12345_assignsubmission_file_<file>"),
    Naming("canvas", "file", re.compile(
        r"(?P<name>anon_(?P<id>[A-Za-z0-9]+))" + _LATE + r"_(?P<file_id>\d+)_(?P<file>.+)"),
        "anon_<anonymous id>[_late]_<file id>_<file> (anonymous grading)"),
    Naming("canvas", "file", re.compile(
        r"(?P<name>.+?)" + _LATE + r"_(?P<id>\d+)_(?P<file>text\.html|link\.html)"),
        "lastnamefirstname[_late]_<user id>_text.html / _link.html"),
    Naming("canvas", "file", re.compile(
        r"(?P<name>.+?)" + _LATE + r"_(?P<id>\d+)_(?P<file_id>\d+)_(?P<file>.+)"),
        "lastnamefirstname[_late]_<user id>_<file id>_<file>[-N for a resubmission]"),
)

_RESUBMISSION = re.compile(r"(?P<stem>.+)-(?P<n>\d{1,3})")   # Canvas's <stem>-N.<ext>


@dataclass(frozen=True)
class Parsed:
    """What an entry's path says about it."""
    lms: str                   # canvas, moodle, blackboard or plain
    identity: str              # the person within this zip
    name: str                  # read into a student id when there is no roster
    keys: tuple[str, ...]      # roster keys, most specific first
    original: str              # the file's name as uploaded
    attempt: float = 0.0       # a later attempt is larger
    sequence: int = 0          # order within an attempt (Canvas file id)
    when: datetime | None = None   # a time the name carries
    late: bool = False
    receipt: bool = False


def split_path(name: str) -> tuple[str, ...]:
    """An entry's path as parts (``/`` or ``\\``; empty and ``.`` parts dropped)."""
    return tuple(p for p in re.split(r"[/\\]", name) if p not in ("", "."))


def _match(where: str, text: str) -> tuple[Naming, re.Match] | None:
    for naming in NAMINGS:
        if naming.where == where:
            found = naming.pattern.fullmatch(text)
            if found:
                return naming, found
    return None


def parse_entry(parts: tuple[str, ...]) -> Parsed:
    """Who and what an entry is, from its path (already without a wrapper folder)."""
    hit = _match("folder", parts[0]) if len(parts) > 1 else None
    if hit is None and len(parts) == 1:
        hit = _match("file", parts[0])
    if hit is None:
        if len(parts) == 1:
            stem, _ = os.path.splitext(parts[0])
            raw = stem
        else:
            raw = parts[0]
        raw = unicodedata.normalize("NFC", raw)
        return Parsed("plain", f"plain:{raw}", raw, (raw,), parts[-1])
    naming, found = hit
    groups = found.groupdict()
    person = groups.get("id") or ""
    name = groups.get("name") or person
    original = groups.get("file") or parts[-1]
    if naming.where == "folder":
        original = parts[-1]
    keys = tuple(k for k in (person, groups.get("name")) if k)
    attempt, sequence, when = 0.0, int(groups.get("file_id") or 0), None
    if naming.lms == "canvas":
        stem, ext = os.path.splitext(original)
        again = _RESUBMISSION.fullmatch(stem)
        if again:
            attempt, original = float(again["n"]), again["stem"] + ext
    if groups.get("when"):
        try:
            when = datetime.strptime(groups["when"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)
            attempt = when.timestamp()
        except ValueError:
            when = None
    if naming.lms == "moodle" and name.casefold() == "participant":
        name = f"{name}_{person}"          # blind marking: every name is "Participant"
    identity = person.casefold() if naming.lms == "blackboard" else person
    return Parsed(naming.lms, f"{naming.lms}:{identity}", name, keys, original,
                  attempt, sequence, when, bool(groups.get("late")),
                  bool(groups.get("receipt")))


# ---------------------------------------------------------------- names and ids

_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
                       "œ": "oe", "ı": "i", "ß": "ss", "ŀ": "l", "ħ": "h"})
ROSTER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}")
MAX_ID = 64


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return text.encode("ascii", "ignore").decode("ascii")


def normalize_id(text: str) -> str | None:
    """A student id from a name: lowercase ASCII, runs of anything outside
    ``[a-z0-9_-]`` as one ``_``, at most 64 characters; None if nothing is left."""
    out = re.sub(r"[^a-z0-9_-]+", "_", _ascii(text))
    out = re.sub(r"_{2,}", "_", out).strip("_-")[:MAX_ID].strip("_-")
    return out or None


def roster_key(text: str) -> str:
    """How roster keys and an entry's keys are compared: ASCII letters and digits."""
    return re.sub(r"[^a-z0-9]", "", _ascii(text))


def safe_id(text: str) -> bool:
    """Whether ``text`` can be a folder under course/submitted."""
    return bool(ROSTER_ID.fullmatch(text)) and ".." not in text


def names_assignment(original: str, assignment: str) -> bool:
    """Whether a file's name carries the assignment's (``04_update_rules (1).ipynb``)."""
    mine, theirs = normalize_id(os.path.splitext(original)[0]), normalize_id(assignment)
    return bool(mine and theirs and theirs in mine)


class RosterError(ValueError):
    """The roster cannot be used; the message says why."""


STUDENT_COLUMNS = ("student_id", "nbgrader_id", "nbgrader")


@dataclass
class Roster:
    """LMS keys (ids, usernames, names, e-mails) to nbgrader student ids."""
    keys: dict[str, str] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)
    students: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_pairs(cls, pairs) -> Roster:
        roster, unusable = cls(), []
        for key, student in pairs:
            key, student = str(key).strip(), str(student).strip()
            if not student:
                continue
            if not safe_id(student):
                if student not in unusable:
                    unusable.append(student)
                continue
            roster.students.add(student)
            for k in {roster_key(key), roster_key(student)} - {""}:
                if roster.keys.get(k, student) != student:
                    roster.ambiguous.add(k)
                roster.keys.setdefault(k, student)
        if unusable:
            roster.warnings.append(
                "roster: not usable as student ids (letters, digits, _ . @ + - only), "
                "their rows ignored: "
                + ", ".join(map(repr, unusable[:5])) + (", ..." if len(unusable) > 5 else ""))
        for k in sorted(roster.ambiguous):
            del roster.keys[k]
            roster.warnings.append(f"roster: {k!r} names several students: not used")
        return roster

    @classmethod
    def from_csv(cls, path: os.PathLike | str) -> Roster:
        """A CSV with a header: a column ``student_id`` (or ``nbgrader_id``,
        ``nbgrader``; case, spaces and hyphens aside) holds the nbgrader id;
        every other column's values (LMS id, username, name, e-mail) are keys
        for it."""
        try:
            text = pathlib.Path(path).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise RosterError(f"the roster {path} cannot be read: {err}") from None
        rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
        if not rows:
            raise RosterError(f"the roster {path} is empty")
        header = [re.sub(r"[\s-]+", "_", h.strip().casefold()) for h in rows[0]]
        column = next((header.index(c) for c in STUDENT_COLUMNS if c in header), None)
        if column is None:
            raise RosterError(f"the roster {path} has no column {STUDENT_COLUMNS[0]} "
                              f"(its header: {', '.join(rows[0])})")
        pairs = [(row[i], row[column]) for row in rows[1:] if len(row) > column
                 for i in range(len(row)) if i != column]
        return cls.from_pairs(pairs)

    def lookup(self, keys: tuple[str, ...]) -> str | None:
        for key in keys:
            student = self.keys.get(roster_key(key))
            if student:
                return student
        return None


def load_roster(roster) -> Roster | None:
    if roster is None or isinstance(roster, Roster):
        return roster
    if isinstance(roster, Mapping):
        return Roster.from_pairs(roster.items())
    return Roster.from_csv(roster)


# ---------------------------------------------------------------- entries

_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
_ARCHIVES = (".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".jar", ".whl")
_NO_TIME = (1980, 1, 1, 0, 0, 0)


def unsafe(info: zipfile.ZipInfo) -> str | None:
    """Why an entry is refused outright, or None."""
    name = info.filename
    if name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        return "an absolute path: refused"
    if ".." in re.split(r"[/\\]", name):
        return "a path that leads out of the zip (..): refused"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "a symbolic link: refused"
    if info.flag_bits & 0x1:
        return "encrypted: cannot be read"
    return None


def junk(parts: tuple[str, ...]) -> bool:
    """Files an operating system adds to a zip (``__MACOSX/``, ``.DS_Store``)."""
    return (parts[0] == "__MACOSX" or parts[-1].casefold() in _JUNK_NAMES
            or parts[-1].startswith("._"))


def is_notebook(name: str) -> bool:
    return name.casefold().endswith(".ipynb")


def wrapper_of(paths: list[tuple[str, ...]], assignment: str) -> str | None:
    """The one folder everything is in, when it wraps an export rather than
    being one student's folder; None otherwise."""
    if not paths or any(len(p) < 2 for p in paths) or len({p[0] for p in paths}) != 1:
        return None
    top = paths[0][0]
    if _match("folder", top):
        return None
    inside = [p[1:] for p in paths]
    if any((_match("folder", p[0]) and len(p) > 1) or (len(p) == 1 and _match("file", p[0]))
           for p in inside):
        return top
    holders = {p[0] for p in inside if is_notebook(p[-1])}
    named = any(len(p) == 1 and is_notebook(p[0]) and names_assignment(p[0], assignment)
                for p in inside)
    return top if len(holders) >= 2 and not named else None


def _extra_time(extra: bytes) -> datetime | None:
    """The UTC modification time of an extended-timestamp (0x5455) or NTFS
    (0x000a) extra field, if the entry has one."""
    at = 0
    while at + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, at)
        body = extra[at + 4: at + 4 + size]
        at += 4 + size
        try:
            if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
                return datetime.fromtimestamp(struct.unpack_from("<I", body, 1)[0], UTC)
            if tag == 0x000A and len(body) >= 32:
                inner = 4
                while inner + 4 <= len(body):
                    attr, length = struct.unpack_from("<HH", body, inner)
                    if attr == 1 and length >= 24:
                        ticks = struct.unpack_from("<Q", body, inner + 4)[0]
                        return datetime(1601, 1, 1, tzinfo=UTC) + timedelta(microseconds=ticks // 10)
                    inner += 4 + length
        except (OverflowError, OSError, ValueError, struct.error):
            return None
    return None


def entry_time(info: zipfile.ZipInfo) -> datetime | None:
    """When the zip says the entry was written, in UTC; None if it does not say."""
    found = _extra_time(info.extra)
    if found:
        return found
    if tuple(info.date_time) == _NO_TIME:
        return None
    try:
        return datetime(*info.date_time, tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def format_timestamp(when: datetime) -> str:
    """nbgrader's timestamp.txt text: ``2026-12-01 10:00:00.000000 UTC``."""
    return when.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def notebook_problem(data: bytes) -> str | None:
    """Why these bytes are not a notebook, or None."""
    try:
        nb = json.loads(data)
    except (ValueError, RecursionError) as err:
        return f"not valid JSON ({str(err)[:80]}): placed, grading will report it"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return "JSON but not a notebook (no list of cells): placed, grading will report it"
    return None


class _TooLarge(Exception):
    pass


def read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """The entry's bytes, counted while they come out; _TooLarge past ``cap``."""
    out, size = [], 0
    with zf.open(info) as stream:
        while True:
            chunk = stream.read(1 << 16)
            if not chunk:
                return b"".join(out)
            size += len(chunk)
            if size > cap:
                raise _TooLarge(size)
            out.append(chunk)


# ---------------------------------------------------------------- report

@dataclass(frozen=True)
class Placed:
    student: str
    file: str                    # the entry in the zip
    timestamp: datetime | None   # written to timestamp.txt (UTC); None: not written
    lms: str
    path: str                    # where, relative to the course root
    late: bool = False           # the export marks it late (Canvas)
    notes: tuple[str, ...] = ()  # flags: not a valid notebook, replaced, no time


@dataclass(frozen=True)
class Skipped:
    file: str                    # the entry in the zip ("" for the zip itself)
    reason: str
    student: str | None = None


@dataclass
class Report:
    """What an import placed, what it did not and why, and what to know."""
    assignment: str
    zip: str
    dry_run: bool = False
    placed: list[Placed] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)   # on the roster, nothing placed
    error: str | None = None     # the zip (or roster) could not be used: nothing placed

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def flagged(self) -> list[Placed]:
        return [p for p in self.placed if p.notes]

    def text(self) -> str:
        """A short summary for a terminal."""
        head = f"{self.assignment} from {pathlib.Path(self.zip).name}"
        tail = " (dry run: nothing written)" if self.dry_run else ""
        if self.error:
            return f"{head}: nothing imported: {self.error}{tail}"
        lines = [f"{head}: {len(self.placed)} placed, {len(self.skipped)} not placed, "
                 f"{len(self.warnings)} warning{'s' * (len(self.warnings) != 1)}{tail}"]
        if self.placed:
            lines.append("placed:")
            width = max(len(p.student) for p in self.placed)
            for p in self.placed:
                when = (p.timestamp.strftime("%Y-%m-%d %H:%M:%S UTC") if p.timestamp
                        else "no time".ljust(23))
                extra = (" (late in the LMS)" if p.late else "") + "".join(
                    f"\n    ! {n}" for n in p.notes)
                lines.append(f"  {p.student.ljust(width)}  {when}  {p.file}{extra}")
        if self.skipped:
            lines.append("not placed:")
            for s in self.skipped:
                who = f" [{s.student}]" if s.student else ""
                lines.append(f"  {s.file}{who}: {s.reason}")
        if self.warnings:
            lines.append("warnings:")
            lines += [f"  {w}" for w in self.warnings]
        if self.missing:
            lines.append(f"on the roster, nothing placed ({len(self.missing)}): "
                         + ", ".join(self.missing))
        return "\n".join(lines)


# ---------------------------------------------------------------- import

@dataclass
class _Candidate:
    info: zipfile.ZipInfo
    parsed: Parsed
    student: str
    when: datetime | None

    def rank(self, assignment: str):
        return (self.parsed.attempt, names_assignment(self.parsed.original, assignment),
                self.when or datetime.min.replace(tzinfo=UTC), self.parsed.sequence,
                self.info.filename)


def _refuse(report: Report, reason: str) -> Report:
    report.error = reason
    report.placed.clear()
    report.missing.clear()
    return report


def import_zip(course_root, assignment: str, zip_path, *, roster=None, dry_run: bool = False,
               overwrite: bool = False, limits: Limits | None = None) -> Report:
    """Place the notebooks of an LMS export ``zip_path`` into
    ``course_root/course/submitted/<student>/<assignment>/``; see the module's
    docstring for what is read, placed and refused. ``roster``: a CSV path, a
    mapping of LMS keys to student ids, or None. Never raises for a bad zip or
    roster: the report's ``error`` says why nothing was imported."""
    limits = limits or Limits()
    report = Report(assignment, str(zip_path), dry_run)
    if not safe_id(assignment):
        return _refuse(report, f"{assignment!r} cannot be an assignment name")
    try:
        table = load_roster(roster)
    except RosterError as err:
        return _refuse(report, str(err))
    if table:
        report.warnings += table.warnings
    try:
        zf = zipfile.ZipFile(zip_path, "r")
    except (OSError, zipfile.BadZipFile, ValueError) as err:
        return _refuse(report, f"{zip_path} cannot be opened as a zip: {err}")
    with zf:
        infos = zf.infolist()
        if len(infos) > limits.entries:
            return _refuse(report, f"the zip has {len(infos)} entries, more than the "
                                   f"{limits.entries} an export of one assignment needs")
        candidates = _sort_out(infos, assignment, table, report)
        submitted = pathlib.Path(course_root) / "course" / "submitted"
        chosen = _choose(candidates, assignment, submitted, overwrite, report)
        declared = sum(c.info.file_size for c in chosen if c.info.file_size <= limits.file_bytes)
        if declared > limits.total_bytes:
            return _refuse(report, f"its notebooks hold {declared >> 20} MiB, more than the "
                                   f"{limits.total_bytes >> 20} MiB cap of one import")
        _read_and_place(zf, chosen, assignment, submitted, dry_run, overwrite, limits, report)
    if report.error:
        return report
    if table:
        have = {p.student for p in report.placed}
        report.missing = sorted(table.students - have)
    report.placed.sort(key=lambda p: p.student)
    report.skipped.sort(key=lambda s: (s.file.casefold(), s.file, s.reason))
    return report


def _sort_out(infos, assignment, table: Roster | None, report: Report) -> list[_Candidate]:
    """Every entry refused, set aside or resolved to a student; the notebooks returned."""
    counts: dict[str, int] = {}
    for info in infos:
        counts[info.filename] = counts.get(info.filename, 0) + 1
    kept: list[tuple[zipfile.ZipInfo, tuple[str, ...]]] = []
    for info in infos:
        if info.is_dir() and not info.file_size:
            continue
        reason = unsafe(info)
        parts = split_path(info.filename)
        if reason is None and not parts:
            reason = "an entry without a name"
        if reason is None and junk(parts):
            reason = "operating-system metadata (__MACOSX, .DS_Store): ignored"
        if reason is None and counts[info.filename] > 1:
            reason = (f"the zip holds {counts[info.filename]} entries of this name: "
                      "which one is the submission cannot be told")
        if reason:
            report.skipped.append(Skipped(info.filename, reason))
        else:
            kept.append((info, parts))
    top = wrapper_of([parts for _, parts in kept], assignment)
    if top:
        report.warnings.append(f"everything is inside the folder {top}/: read from inside it")
        kept = [(info, parts[1:]) for info, parts in kept]

    resolved: list[tuple[zipfile.ZipInfo, Parsed, str]] = []
    for info, parts in kept:
        parsed = parse_entry(parts)
        if table is not None:
            student = table.lookup(parsed.keys)
            if student is None:
                report.skipped.append(Skipped(info.filename, "not on the roster (looked up: "
                                              + ", ".join(parsed.keys) + ")"))
                continue
        else:
            student = normalize_id(parsed.name)
            if student is None:
                report.skipped.append(Skipped(info.filename, "no student id can be read "
                                              f"from its name {parsed.name!r}"))
                continue
        resolved.append((info, parsed, student))

    clash: dict[str, set[str]] = {}
    if table is None:
        for _, parsed, student in resolved:
            clash.setdefault(student, set()).add(parsed.identity)
        for student, who in sorted(clash.items()):
            if len(who) > 1:
                report.warnings.append(
                    f"{len(who)} different people come to the student id {student} "
                    f"({', '.join(sorted(w.split(':', 1)[1] for w in who))}): none of them "
                    "placed; give a roster")
    candidates = []
    for info, parsed, student in resolved:
        reason = None
        if ".ipynb_checkpoints" in split_path(info.filename):
            reason = "a Jupyter checkpoint copy, not the submission"
        elif parsed.receipt:
            reason = "a Blackboard submission receipt, not a submitted file"
        elif info.filename.casefold().endswith(_ARCHIVES):
            reason = "a nested archive: not opened (unpack it and import what it holds)"
        elif not is_notebook(parsed.original):
            kind = os.path.splitext(parsed.original)[1] or "no extension"
            reason = f"not a notebook ({kind}): only the notebook is placed"
        elif len(clash.get(student, ())) > 1:
            reason = (f"another person of this zip also comes to the id {student}: "
                      "not placed; give a roster")
        if reason:
            report.skipped.append(Skipped(info.filename, reason, student))
            continue
        when = parsed.when or entry_time(info)
        candidates.append(_Candidate(info, parsed, student, when))
    return candidates


def _choose(candidates, assignment, submitted: pathlib.Path, overwrite: bool,
            report: Report) -> list[_Candidate]:
    """One notebook per student: the latest attempt; the others reported."""
    by_student: dict[str, list[_Candidate]] = {}
    for c in candidates:
        by_student.setdefault(c.student, []).append(c)
    chosen = []
    for student, mine in sorted(by_student.items()):
        mine.sort(key=lambda c: c.rank(assignment), reverse=True)
        best = mine[0]
        for other in mine[1:]:
            why = ("an earlier attempt" if other.parsed.attempt < best.parsed.attempt
                   else "another notebook of the same student")
            report.skipped.append(Skipped(other.info.filename,
                                          f"{why}: {best.info.filename} is the one chosen",
                                          student))
        target = submitted / student / assignment
        if (target.exists() or target.is_symlink()) and not overwrite:
            report.skipped.append(Skipped(
                best.info.filename, f"course/submitted/{student}/{assignment}/ already exists: "
                "kept as it is (overwrite replaces it)", student))
            continue
        chosen.append(best)
    return chosen


def _read_and_place(zf, chosen, assignment, submitted: pathlib.Path, dry_run: bool,
                    overwrite: bool, limits: Limits, report: Report) -> None:
    stage: pathlib.Path | None = None
    staged: list[tuple[Placed, pathlib.Path | None]] = []
    total = 0
    try:
        for c in chosen:
            name = c.info.filename
            if c.info.file_size > limits.file_bytes:
                report.skipped.append(Skipped(name, f"{c.info.file_size >> 20} MiB once unpacked, "
                                              f"more than a notebook's {limits.file_bytes >> 20} "
                                              "MiB cap", c.student))
                continue
            try:
                data = read_capped(zf, c.info, limits.file_bytes)
            except _TooLarge:
                report.skipped.append(Skipped(name, "unpacks to more than it declares and than "
                                              f"the {limits.file_bytes >> 20} MiB cap: damaged "
                                              "or hostile", c.student))
                continue
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
                    NotImplementedError, RuntimeError, ValueError) as err:
                report.skipped.append(Skipped(name, f"cannot be unpacked ({str(err)[:100]})",
                                              c.student))
                continue
            total += len(data)
            if total > limits.total_bytes:
                _refuse(report, f"its notebooks unpack to more than the "
                                f"{limits.total_bytes >> 20} MiB cap of one import")
                return
            notes = []
            problem = notebook_problem(data)
            if problem:
                notes.append(problem)
            if c.when is None:
                notes.append("the zip gives no time for it: no timestamp.txt written")
            target = submitted / c.student / assignment
            if target.exists() or target.is_symlink():
                notes.append(f"replaces the submission that was in course/submitted/"
                             f"{c.student}/{assignment}/")
            placed = Placed(c.student, name, c.when, c.parsed.lms,
                            f"course/submitted/{c.student}/{assignment}/{assignment}.ipynb",
                            c.parsed.late, tuple(notes))
            folder = None
            if not dry_run:
                if stage is None:
                    submitted.mkdir(parents=True, exist_ok=True)
                    stage = pathlib.Path(tempfile.mkdtemp(prefix=".lms-import-", dir=submitted))
                folder = stage / c.student
                folder.mkdir()
                (folder / f"{assignment}.ipynb").write_bytes(data)
                if c.when is not None:
                    (folder / TIMESTAMP).write_text(format_timestamp(c.when))
            staged.append((placed, folder))
        for placed, folder in staged:
            try:
                moved = folder is None or _move_in(folder, submitted / placed.student / assignment,
                                                   overwrite)
            except OSError as err:
                report.skipped.append(Skipped(placed.file, "cannot be moved into course/submitted/"
                                              f"{placed.student}/ ({err.strerror or err})",
                                              placed.student))
                continue
            if moved:
                report.placed.append(placed)
            else:
                report.skipped.append(Skipped(placed.file, f"course/submitted/{placed.student}/"
                                              f"{assignment}/ appeared during the import: kept",
                                              placed.student))
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)


def _move_in(folder: pathlib.Path, target: pathlib.Path, overwrite: bool) -> bool:
    """Rename a staged folder into place; an existing one (when replaced) is
    renamed aside first and removed after. False if the place was taken."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists() or target.is_symlink():
        if not overwrite:
            return False
        old = target.parent / f".{target.name}.replaced-{secrets.token_hex(4)}"
        os.rename(target, old)
    try:
        os.rename(folder, target)
    except OSError:
        if old is not None:
            os.rename(old, target)
        return False
    if old is not None:
        if old.is_symlink() or old.is_file():
            old.unlink()
        else:
            shutil.rmtree(old, ignore_errors=True)
    return True
