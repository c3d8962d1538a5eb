"""Read a submitted notebook against its source: what will be graded.

A submission is read as JSON, never trusted to be a valid notebook: cells
of unknown kinds, edited ``nbformat`` fields, edited or duplicated nbgrader
metadata, cells changed to markdown, deleted cells. The graded notebook is
the source notebook's cells in the source's order, each given, locked and
test cell exactly as in the source, each solution cell as the student
wrote it (the release's skeleton where the student deleted it), and every
cell the student added kept after the cell it followed. Whatever was
repaired is said in a note. The submission itself is never modified.

A notebook that shares no graded cell with the source (another
assignment's, or not a notebook) is refused with a reason.
"""
from __future__ import annotations

import ast
import copy
import json
import pathlib
from dataclasses import dataclass, field
from typing import Any

from autograder.assignments.notebook import BEGIN, END, HIDDEN_BEGIN, HIDDEN_END

MAX_NOTEBOOK_BYTES = 32 << 20
MAX_CELL_CHARS = 1 << 20


class NotGradable(Exception):
    """The submission cannot be graded; the message says why, in a sentence."""


@dataclass(frozen=True)
class Part:
    """A graded test cell: its hidden check and its points."""
    grade_id: str
    key: str
    cases: tuple[int, ...] | None
    points: float
    index: int           # position of the cell in the graded notebook


@dataclass
class Graded:
    """The notebook to grade, built from the source and a submission."""
    cells: list[dict]
    metadata: dict
    parts: list[Part]
    notes: list[str] = field(default_factory=list)

    def code_cells(self) -> list[tuple[int, str]]:
        """(index, source) of every code cell that is not a test cell."""
        return [(i, c["source"]) for i, c in enumerate(self.cells)
                if c["cell_type"] == "code" and not _meta(c).get("grade")]

    def notebook(self) -> dict:
        return {"cells": self.cells, "metadata": self.metadata,
                "nbformat": 4, "nbformat_minor": 5}


def _meta(cell: dict) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nb = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nb if isinstance(nb, dict) else {}


def _text(source: Any) -> str | None:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return None


def read_submission(path: pathlib.Path) -> dict:
    """The submission's JSON, or NotGradable with the reason."""
    try:
        size = path.stat().st_size
    except OSError as err:
        raise NotGradable(f"{path.name} cannot be read: {err.strerror}") from None
    if size > MAX_NOTEBOOK_BYTES:
        raise NotGradable(_too_large(path.name, size))
    return parse_submission(path.read_bytes(), path.name)


def _too_large(name: str, size: int) -> str:
    return (f"{name} has {size >> 20} MiB; a notebook of this assignment is far "
            f"smaller (at most {MAX_NOTEBOOK_BYTES >> 20} MiB)")


def parse_submission(data: bytes, name: str) -> dict:
    """A submitted notebook's JSON from its bytes, or NotGradable."""
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise NotGradable(_too_large(name, len(data)))
    try:
        notebook = json.loads(data)
    except (ValueError, RecursionError) as err:
        raise NotGradable(f"{name} is not valid JSON ({str(err)[:120]}): "
                          f"it is not a notebook, or it was damaged") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise NotGradable(f"{name} is JSON but not a notebook (no list of cells)")
    return notebook


def parts_of(source: dict) -> list[Part]:
    """The graded test cells of a source notebook, in order."""
    found = []
    for index, cell in enumerate(source["cells"]):
        meta = _meta(cell)
        if meta.get("grade") and cell["cell_type"] == "code":
            key, cases = hidden_call(_text(cell["source"]) or "")
            found.append(Part(meta["grade_id"], key, cases, float(meta.get("points", 0)), index))
    return found


def hidden_call(source: str) -> tuple[str, tuple[int, ...] | None]:
    """``("update_rules.adam", (0,))`` from a source test cell's hidden block."""
    start, end = source.find(HIDDEN_BEGIN), source.find(HIDDEN_END)
    if start < 0 or end < 0:
        raise ValueError("a test cell without a hidden block")
    for node in ast.walk(ast.parse(source[start:end])):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "hidden_check":
            key = ast.literal_eval(node.args[0])
            cases = next((ast.literal_eval(k.value) for k in node.keywords
                          if k.arg == "cases"), None)
            return key, (tuple(cases) if cases is not None else None)
    raise ValueError("a hidden block without a hidden_check call")


def build(source: dict, submission: dict) -> Graded:
    """The graded notebook (see the module docstring)."""
    notes: list[str] = []
    known = {_meta(c).get("grade_id"): c for c in source["cells"] if _meta(c).get("grade_id")}
    matched: dict[str, dict] = {}
    after: dict[str | None, list[dict]] = {}
    previous: str | None = None
    for number, cell in enumerate(submission["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            notes.append(f"cell {number} of the submission is not a notebook cell: left out")
            continue
        text = _text(cell.get("source"))
        if text is None:
            notes.append(f"cell {number} of the submission has no readable source: left out")
            continue
        if len(text) > MAX_CELL_CHARS:
            notes.append(f"cell {number} of the submission has {len(text)} characters: left out")
            continue
        gid = _meta(cell).get("grade_id")
        if isinstance(gid, str) and gid in known and gid not in matched:
            matched[gid] = {"cell_type": cell["cell_type"], "source": text}
            previous = gid
            continue
        if isinstance(gid, str) and gid in known:
            notes.append(f"cell {number} repeats the cell {gid!r}: kept as a cell of your own")
        kind = cell["cell_type"] if cell["cell_type"] != "raw" else "markdown"
        after.setdefault(previous, []).append(_own(kind, text))
    if not any(gid in matched for gid in known if _meta(known[gid]).get("solution")):
        raise NotGradable("this notebook has none of the assignment's answer cells: is it "
                          "the notebook of another assignment, or was it made from scratch?")
    cells = [*after.get(None, [])]
    for cell in source["cells"]:
        meta = _meta(cell)
        gid = meta.get("grade_id")
        theirs = matched.get(gid)
        if meta.get("solution"):
            if theirs is None:
                notes.append(f"the answer cell {gid!r} was deleted: graded as the "
                             f"release's skeleton")
                text = skeleton(_text(cell["source"]) or "")
            else:
                text = theirs["source"]
                if theirs["cell_type"] != cell["cell_type"]:
                    notes.append(f"the answer cell {gid!r} was made a "
                                 f"{theirs['cell_type']} cell: graded as code")
            cells.append(_from_source(cell, text))
        else:
            if gid and theirs is None and (meta.get("locked") or meta.get("grade")):
                notes.append(f"the cell {gid!r} was deleted: restored from the assignment")
            elif theirs is not None and (
                    theirs["source"].strip() != released(_text(cell["source"]) or "").strip()
                    or theirs["cell_type"] != cell["cell_type"]):
                notes.append(f"the locked cell {gid!r} was changed: restored from the "
                             f"assignment")
            cells.append(_from_source(cell, _text(cell["source"])))
        cells.extend(after.get(gid, []) if gid else [])
    seen: set[str] = set()
    for number, cell in enumerate(cells):
        if cell.get("id") in seen or not cell.get("id"):
            cell["id"] = f"cell-{number}"
        seen.add(cell["id"])
    graded = Graded(cells=cells, metadata=copy.deepcopy(source.get("metadata", {})),
                    parts=[], notes=notes)
    graded.parts = parts_of(graded.notebook())
    return graded


def released(text: str) -> str:
    """A source cell as the release shows it: hidden tests removed."""
    out, inside = [], False
    for line in text.splitlines():
        if line.strip() == HIDDEN_BEGIN:
            inside = True
        elif line.strip() == HIDDEN_END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def skeleton(text: str) -> str:
    """A source answer cell as the release has it: each solution region
    replaced by ``raise NotImplementedError()`` (what nbgrader writes)."""
    out, inside = [], False
    for line in text.splitlines():
        if line.strip() == BEGIN:
            inside = True
            pad = line[:len(line) - len(line.lstrip())]
            out += [pad + "# YOUR CODE HERE", pad + "raise NotImplementedError()"]
        elif line.strip() == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _from_source(cell: dict, text: str) -> dict:
    out = {"cell_type": cell["cell_type"], "metadata": copy.deepcopy(cell.get("metadata", {})),
           "source": text}
    if "id" in cell:
        out["id"] = cell["id"]
    if cell["cell_type"] == "code":
        out.update(outputs=[], execution_count=None)
    return out


def _own(kind: str, text: str) -> dict:
    out = {"cell_type": kind, "metadata": {}, "source": text}
    if kind == "code":
        out.update(outputs=[], execution_count=None)
    return out
