"""The graded code of the course, and a detector for it in any text.

The nbgrader source notebooks ``exercises/*/*.ipynb`` are the one place
that says what students write: every code cell whose metadata has
``nbgrader.solution == true`` holds graded code, and the lines between
``### BEGIN SOLUTION`` and ``### END SOLUTION`` are a graded body. The
function (or method, e.g. ``Value.backward``) that encloses a body is a
graded function. Nothing here keeps its own list.

The detector compares code lines, normalized so that layout does not
matter (whitespace and comments removed). A body's *distinctive* lines are
the ones that are neither trivial (``return x``, ``pass``, ``else:``, lone
brackets: shorter than ``MIN_LINE`` characters once normalized) nor shown
anyway: present in the code the students of that assignment are given (all
of its source notebook outside the solution and hidden-test markers) or in
a function of ``solutions/`` that is not graded (the class edition prints
those in full, e.g. a validation line shared by many functions). A body
counts as leaked from a text when a run of ``RUN`` of its distinctive lines
(all of them if it has fewer) appears there in order, at most ``GAP``
other non-trivial lines apart; a line counts when it contains the graded
line (so a line of code inside a string of a script is found too).
"""
from __future__ import annotations

import ast
import bisect
import dataclasses
import html
import itertools
import json
import pathlib
import re
import textwrap
from typing import Iterable

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
MIN_LINE = 12
RUN = 2
GAP = 3

ROOT = pathlib.Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class GradedBody:
    """One graded body: where it is graded, its function and its text."""

    assignment: str  # e.g. "04_update_rules"
    qualname: str  # e.g. "adam_step" or "Value.backward"
    text: str  # the lines between the markers, dedented
    distinctive: tuple[str, ...]  # normalized lines that give it away

    @property
    def detectable(self) -> bool:
        return bool(self.distinctive)


def normalize(line: str) -> str:
    """A code line without comments and without any whitespace."""
    return "".join(_COMMENT.sub("", line).split())


_COMMENT = re.compile(r"(^|\s)#.*$")


def is_trivial(normalized: str) -> bool:
    return len(normalized) < MIN_LINE


def source_notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    found = sorted((root / "exercises").glob("*/*.ipynb"))
    if not found:
        raise FileNotFoundError(f"no nbgrader source notebooks under {root / 'exercises'}")
    return found


def _solution_cells(notebook: pathlib.Path) -> Iterable[tuple[bool, str]]:
    """(is a solution cell, source) for every code cell of a notebook."""
    for cell in json.loads(notebook.read_text())["cells"]:
        if cell["cell_type"] == "code":
            meta = cell.get("metadata", {}).get("nbgrader", {})
            yield bool(meta.get("solution")), "".join(cell["source"])


def _marked_spans(lines: list[str], begin: str, end: str) -> list[tuple[int, int]]:
    """0-based (first, last) line numbers of every marker pair, markers included."""
    spans, start = [], None
    for i, line in enumerate(lines):
        if line.strip() == begin:
            start = i
        elif line.strip() == end and start is not None:
            spans.append((start, i))
            start = None
    return spans


def _enclosing_functions(source: str) -> list[tuple[int, int, str]]:
    """(first, last, qualname) of every function and method, 0-based lines."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                found.append((child.lineno - 1, child.end_lineno - 1, name))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(ast.parse(source), "")
    return found


def graded_bodies(root: pathlib.Path = ROOT) -> list[GradedBody]:
    """Every graded body of every source notebook, in notebook order."""
    found_all = []
    for notebook in source_notebooks(root):
        found, public = [], set()
        for is_solution, source in _solution_cells(notebook):
            lines = source.splitlines()
            solutions = _marked_spans(lines, BEGIN, END) if is_solution else []
            hidden = _marked_spans(lines, HIDDEN_BEGIN, HIDDEN_END)
            secret = {i for a, b in solutions + hidden for i in range(a, b + 1)}
            public.update(normalize(l) for i, l in enumerate(lines) if i not in secret)
            functions = _enclosing_functions(source) if solutions else []
            for first, last in solutions:
                # the END marker follows the last statement, outside the AST's span
                inside = [f for f in functions if f[0] < first <= f[1]]
                if not inside:
                    raise ValueError(f"{notebook}: a solution block at line {first + 1} "
                                     "is not inside a function")
                qualname = max(inside, key=lambda f: f[0])[2]  # the innermost
                found.append((qualname, textwrap.dedent("\n".join(lines[first + 1:last]))))
        found_all.append((notebook.parent.name, found, public))
    graded = {qualname for _, found, _ in found_all for qualname, _ in found}
    shown = _ungraded_reference_lines(root, graded)
    bodies = []
    for assignment, found, public in found_all:
        for qualname, text in found:
            lines = [normalize(l) for l in text.splitlines()]
            distinctive = tuple(l for l in lines if not is_trivial(l)
                                and l not in public and l not in shown)
            bodies.append(GradedBody(assignment, qualname, text, distinctive))
    return bodies


def _ungraded_reference_lines(root: pathlib.Path, graded: set[str]) -> set[str]:
    """Normalized lines of every function of solutions/ that is not graded."""
    shown = set()
    for module in sorted((root / "solutions").glob("*.py")):
        source = module.read_text()
        lines = source.splitlines()
        for first, last, qualname in _enclosing_functions(source):
            if qualname not in graded:
                shown.update(normalize(l) for l in lines[first:last + 1])
    return shown


def graded_names(bodies: Iterable[GradedBody]) -> dict[str, str]:
    """qualname -> assignment for every graded function."""
    return {b.qualname: b.assignment for b in bodies}


# ------------------------------------------------------------- detection

def text_lines(path: pathlib.Path) -> list[str] | None:
    """The lines of a file as a reader would see them, or None if binary.

    HTML loses its tags and entities (highlighted code is split into
    spans); JSON (notebooks) and JavaScript strings have their escaped
    newlines turned into real ones.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    if path.suffix in (".html", ".htm", ".xml", ".svg"):
        text = html.unescape(re.sub(r"<[^>]*>", "", text))
    if path.suffix == ".ipynb":
        try:
            text = "\n".join(_strings(json.loads(text)))
        except json.JSONDecodeError:
            pass
    text = text.replace("\\n", "\n")
    return text.splitlines()


def _strings(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        # a notebook stores a cell's source as a list of lines: join them
        if value and all(isinstance(v, str) for v in value):
            yield "".join(value)
        else:
            for v in value:
                yield from _strings(v)


@dataclasses.dataclass(frozen=True)
class Leak:
    body: GradedBody
    where: str  # file (and line) where the run starts
    lines: tuple[str, ...]  # the matched normalized lines

    def __str__(self) -> str:
        shown = " | ".join(self.lines)
        return (f"{self.where}: graded body of {self.body.qualname} "
                f"({self.body.assignment}) appears: {shown}")


class Detector:
    """Finds runs of graded lines in texts."""

    def __init__(self, bodies: Iterable[GradedBody]):
        self.bodies = [b for b in bodies if b.detectable]
        self.undetectable = [b for b in bodies if not b.detectable]
        self._wanted = {l for b in self.bodies for l in b.distinctive}

    def leaks_in_lines(self, lines: Iterable[str], where: str) -> list[Leak]:
        seq = []  # (original line number, normalized) of non-trivial lines
        for number, line in enumerate(lines, 1):
            n = normalize(line)
            if not is_trivial(n):
                seq.append((number, n))
        # a graded line may sit inside a longer one (a string in a script):
        # look for each as a substring of the joined lines, then map back
        joined = "\n".join(n for _, n in seq)
        starts = list(itertools.accumulate((len(n) + 1 for _, n in seq), initial=0))
        positions: dict[str, list[int]] = {}
        for wanted in self._wanted:
            i = joined.find(wanted)
            while i != -1:
                positions.setdefault(wanted, []).append(bisect.bisect_right(starts, i) - 1)
                i = joined.find(wanted, i + 1)
        if not positions:
            return []
        seq_sets = {}
        for wanted, ks in positions.items():
            for k in ks:
                seq_sets.setdefault(k, set()).add(wanted)
        leaks = []
        for body in self.bodies:
            run = min(RUN, len(body.distinctive))
            hit = self._find_run(body.distinctive, run, seq_sets, positions)
            if hit is not None:
                start, matched = hit
                leaks.append(Leak(body, f"{where}:{seq[start][0]}", matched))
        return leaks

    @staticmethod
    def _find_run(distinctive, run, seq_sets, positions):
        """(start, lines) of the first run of distinctive lines found, or None.

        seq_sets maps a non-trivial line's index to the graded lines it
        contains; consecutive lines of the run may be up to GAP lines apart.
        """
        for i in range(len(distinctive) - run + 1):
            window = distinctive[i:i + run]
            for start in positions.get(window[0], []):
                k, ok = start, True
                for wanted in window[1:]:
                    ahead = [j for j in range(k + 1, k + 2 + GAP)
                             if wanted in seq_sets.get(j, ())]
                    if not ahead:
                        ok = False
                        break
                    k = ahead[0]
                if ok:
                    return start, tuple(window)
        return None

    def leaks_in_text(self, text: str, where: str) -> list[Leak]:
        return self.leaks_in_lines(text.replace("\\n", "\n").splitlines(), where)

    def leaks_in_tree(self, folder: pathlib.Path) -> list[Leak]:
        """Leaks in every text file under folder (binary files are skipped)."""
        leaks = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            lines = text_lines(path)
            if lines is not None:
                leaks += self.leaks_in_lines(lines, str(path.relative_to(folder)))
        return leaks


def stub(source: str, note: str) -> str:
    """A function's signature and docstring, its body replaced by ``...``.

    source is the text of one function or method (any indentation), as
    printed by literalinclude :pyobject:; note becomes a comment on the
    ``...`` line.
    """
    lines = source.splitlines()
    indent = len(lines[0]) - len(lines[0].lstrip())
    tree = ast.parse(textwrap.dedent(source))
    fn = tree.body[0]
    if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ValueError(f"not a function: {lines[0].strip()!r}")
    first = fn.body[0]
    has_doc = (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
               and isinstance(first.value.value, str))
    keep = first.end_lineno if has_doc else fn.body[0].lineno - 1
    body_indent = " " * (indent + first.col_offset)
    return "\n".join(lines[:keep] + [f"{body_indent}...  # {note}"]) + "\n"
