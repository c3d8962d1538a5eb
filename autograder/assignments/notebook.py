"""Build an assignment's nbgrader source notebook from its spec.

An assignment is a list of cells (:class:`Markdown`, :class:`Provided`,
:class:`Solution`, :class:`Tests`). Solution cells are generated from the
reference in ``solutions``: the signature and docstring stay visible and
the body goes between nbgrader's solution markers, so the notebook's
solution IS the reference, never a copy to keep in step by hand. The
module-level helpers and imports that the reference needs are written into
a provided cell before the first solution.
"""
from __future__ import annotations

import ast
import inspect
import json
import textwrap
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Callable, Sequence

import nbformat

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


@dataclass(frozen=True)
class Markdown:
    text: str


@dataclass(frozen=True)
class Provided:
    """Code given to the student, locked (restored at grading)."""
    code: str


@dataclass(frozen=True)
class Given:
    """Reference code given whole and locked (for example the pieces of
    earlier assignments that a capstone composes), with the imports and
    helpers it needs; ``header`` and ``footer`` are code around it."""
    objects: tuple[Any, ...]
    header: str = ""
    footer: str = ""


@dataclass(frozen=True)
class Solution:
    """Reference objects (functions, or classes with the methods to write)."""
    objects: tuple[Any, ...]
    methods: tuple[str, ...] = ()  # for classes: which bodies the student writes


@dataclass(frozen=True)
class Tests:
    """A graded test cell: the hidden check of ``key`` (the cases with
    indices ``cases``, all when None), then the visible check ``visible``,
    a function of the student's names whose source is written into the
    cell and called there. The names come from the graded record."""
    __test__ = False  # not a test class, whatever pytest thinks of its name
    key: str
    points: int
    visible: Callable | None = None
    cases: tuple[int, ...] | None = None

    def __post_init__(self):
        if self.points <= 0:
            raise ValueError(f"{self.key}: a test cell needs points > 0")

    @property
    def names(self) -> tuple[str, ...]:
        from autograder.judge import graded
        return graded(self.key).names

    @property
    def impl(self) -> str:
        from autograder.judge import graded
        return graded(self.key).impl


@dataclass(frozen=True)
class Assignment:
    name: str            # e.g. "04_update_rules"
    cells: Sequence[Any]
    solutions: ModuleType | None = None  # where the reference lives
    extra_modules: tuple[ModuleType, ...] = field(default_factory=tuple)


# ---- sources of the reference

def _node_source(source: str, node: ast.AST) -> str:
    lines = source.splitlines()
    start = node.lineno - 1
    if getattr(node, "decorator_list", None):
        start = node.decorator_list[0].lineno - 1
    return "\n".join(lines[start:node.end_lineno])


def function_with_markers(fn: Callable) -> str:
    """``def`` line(s) and docstring as they are; the body between markers."""
    return source_with_markers(inspect.getsource(fn))


def class_with_markers(cls: type, methods: Sequence[str]) -> str:
    """The class as it is, with the bodies of ``methods`` between markers."""
    src = textwrap.dedent(inspect.getsource(cls))
    tree = ast.parse(src).body[0]
    lines = src.splitlines()
    wanted = {m: n for n in tree.body if isinstance(n, ast.FunctionDef)
              for m in methods if n.name == m}
    missing = set(methods) - set(wanted)
    if missing:
        raise ValueError(f"{cls.__name__} has no methods {sorted(missing)}")
    out, i = [], 0
    for node in sorted(wanted.values(), key=lambda n: n.lineno):
        start = (node.decorator_list[0].lineno if node.decorator_list else node.lineno) - 1
        out += lines[i:start]
        method = "\n".join(lines[start:node.end_lineno])
        out += source_with_markers(method).splitlines()
        i = node.end_lineno
    out += lines[i:]
    return "\n".join(out)


def source_with_markers(src: str) -> str:
    """A function's source (possibly an indented method) with its body,
    after the docstring, between nbgrader's solution markers."""
    indent = len(src) - len(src.lstrip())
    code = textwrap.dedent(src)
    node = ast.parse(code).body[0]
    lines, body = code.splitlines(), node.body
    has_doc = (isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
               and isinstance(body[0].value.value, str))
    first = body[1] if has_doc and len(body) > 1 else body[0]
    pad = " " * first.col_offset
    text = "\n".join(lines[:first.lineno - 1] + [pad + BEGIN]
                     + lines[first.lineno - 1:node.end_lineno] + [pad + END])
    return textwrap.indent(text, " " * indent)


def helpers_for(module: ModuleType, objects: Sequence[Any], given: set[str]) -> list[str]:
    """Module-level definitions the objects use (transitively), in file order,
    leaving out those already in the notebook (``given``)."""
    source = inspect.getsource(module)
    tree = ast.parse(source)
    defs = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    defs[t.id] = node
    todo = [o.__name__ for o in objects]
    needed: set[str] = set()
    while todo:
        name = todo.pop()
        for sub in ast.walk(defs[name]):
            if isinstance(sub, ast.Name) and sub.id in defs and sub.id not in needed \
                    and sub.id not in given and sub.id != name:
                needed.add(sub.id)
                todo.append(sub.id)
    nodes = sorted((defs[n] for n in needed), key=lambda n: n.lineno)
    unique = list(dict.fromkeys(id(n) for n in nodes))
    by_id = {id(n): n for n in nodes}
    return [_node_source(source, by_id[i]) for i in unique]


def imports_of(module: ModuleType) -> list[str]:
    """The module's top-level imports, ``from __future__`` first, except
    relative ones and those of the course's own packages (``solutions``,
    ``autograder``): in a notebook, those names are defined by cells of
    their own and the course packages are absent."""
    source = inspect.getsource(module)
    tree = ast.parse(source)

    def ours(node) -> bool:
        if isinstance(node, ast.ImportFrom):
            return node.level > 0 or (node.module or "").split(".")[0] in _COURSE_PACKAGES
        return any(a.name.split(".")[0] in _COURSE_PACKAGES for a in node.names)
    return [_node_source(source, n) for n in tree.body
            if isinstance(n, (ast.Import, ast.ImportFrom)) and not ours(n)]


_COURSE_PACKAGES = ("solutions", "autograder")


# ---- cells

def _meta(kind: str, grade_id: str, points: int = 0) -> dict:
    flags = {"markdown": (False, False, True), "provided": (False, False, True),
             "solution": (False, True, False), "tests": (True, False, True)}[kind]
    meta = {"grade": flags[0], "solution": flags[1], "locked": flags[2],
            "grade_id": grade_id, "schema_version": 3, "task": False}
    if flags[0]:
        meta["points"] = points
    return {"nbgrader": meta}


def test_source(cell: Tests) -> str:
    """The hidden check, then the visible checks; ends with a statement.

    The hidden check comes first so that, at grading, a wrong answer is
    explained by its diagnosis rather than by the first visible assert. Its
    call is an assignment, not an expression: nbgrader would score a cell's
    trailing expression by its value.
    """
    args = [repr(cell.key)] + ([f"cases={list(cell.cases)!r}"] if cell.cases is not None else [])
    hidden = "\n".join([HIDDEN_BEGIN, "from autograder.driver.kernel import hidden_check",
                        f"_ = hidden_check({', '.join(args)})", HIDDEN_END])
    note = "# The grader's hidden checks of this part run in this cell too."
    if cell.visible is None:
        return "\n".join([hidden, note])
    fn = cell.visible
    params = list(inspect.signature(fn).parameters)
    # nbgrader gives 0 points to a test cell that writes to stderr, as a
    # warning from a correct answer would
    call = ["import warnings", "with warnings.catch_warnings():",
            "    warnings.simplefilter('ignore')",
            f"    {fn.__name__}({', '.join(params)})"]
    return "\n".join([hidden, note, "", textwrap.dedent(inspect.getsource(fn)).strip(), "", ""]
                     + call)


def build(assignment: Assignment) -> nbformat.NotebookNode:
    """The nbgrader source notebook of ``assignment``, without outputs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    given: set[str] = set()
    imported: set[str] = set()
    counters: dict[str, int] = {}

    def gid(prefix: str) -> str:
        counters[prefix] = counters.get(prefix, 0) + 1
        return f"{prefix}-{counters[prefix]}"

    for cell in assignment.cells:
        if isinstance(cell, Markdown):
            nb.cells.append(nbformat.v4.new_markdown_cell(
                textwrap.dedent(cell.text).strip(), metadata=_meta("markdown", gid("md"))))
        elif isinstance(cell, Provided):
            nb.cells.append(nbformat.v4.new_code_cell(
                textwrap.dedent(cell.code).strip(), metadata=_meta("provided", gid("given"))))
        elif isinstance(cell, Solution):
            module = inspect.getmodule(cell.objects[0])
            if module.__name__ not in imported:
                imported.add(module.__name__)
                nb.cells.append(nbformat.v4.new_code_cell(
                    "\n".join(imports_of(module)), metadata=_meta("provided", gid("imports"))))
            helpers = helpers_for(module, cell.objects, given | _notebook_names(assignment))
            if helpers:
                nb.cells.append(nbformat.v4.new_code_cell(
                    "# Helpers the reference uses: run this cell, do not change it.\n\n"
                    + "\n\n\n".join(helpers), metadata=_meta("provided", gid("helpers"))))
                given |= defined_names(helpers)
            code = [class_with_markers(o, cell.methods) if isinstance(o, type)
                    else function_with_markers(o) for o in cell.objects]
            nb.cells.append(nbformat.v4.new_code_cell(
                "\n\n\n".join(code), metadata=_meta("solution", cell.objects[0].__name__)))
            given |= {o.__name__ for o in cell.objects}
        elif isinstance(cell, Given):
            code = given_source(cell, given | _notebook_names(assignment))
            given |= defined_names([code])
            nb.cells.append(nbformat.v4.new_code_cell(
                code, metadata=_meta("provided", gid("given"))))
        elif isinstance(cell, Tests):
            name = cell.key.partition(".")[2]
            nb.cells.append(nbformat.v4.new_code_cell(
                test_source(cell), metadata=_meta("tests", gid(f"test-{name}"), cell.points)))
        else:
            raise TypeError(f"unknown cell {cell!r}")
    for i, c in enumerate(nb.cells):
        c["id"] = f"{assignment.name.replace('_', '-')}-{i:02d}"
    return nb


def _notebook_names(assignment: Assignment) -> set[str]:
    """Names the notebook's solution cells define (never repeated as helpers)."""
    return {o.__name__ for c in assignment.cells if isinstance(c, Solution) for o in c.objects}


def given_source(cell: Given, given: set[str]) -> str:
    """The code of a Given cell: header, each module's imports, the helpers
    not yet defined in the notebook, the objects' sources, footer."""
    imports: list[str] = []
    bodies: list[str] = []
    for obj in cell.objects:
        module = inspect.getmodule(obj)
        imports += [i for i in imports_of(module) if i not in imports]
        helpers = helpers_for(module, [obj], given | {o.__name__ for o in cell.objects})
        bodies += [h for h in helpers if h not in bodies]
        given = given | defined_names(helpers)
        bodies.append(inspect.getsource(obj).rstrip())
    header = textwrap.dedent(cell.header).strip()
    parts = ["\n".join(([header] if header else []) + imports),
             "\n\n\n".join(bodies), textwrap.dedent(cell.footer).strip()]
    return "\n\n\n".join(p for p in parts if p)


def defined_names(sources: Sequence[str]) -> set[str]:
    """Names that top-level definitions and assignments in ``sources`` bind."""
    names = set()
    for src in sources:
        for node in ast.parse(src).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def dumps(nb: nbformat.NotebookNode) -> str:
    """Stable JSON text: what is written to exercises/ and compared by tests."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
