"""The class edition: built from the same source, it shows no graded body.

The build (conftest.class_build) uses test launch targets, since the class
edition refuses placeholders. Its output is searched file by file (pages,
_sources, the search index, page notebooks, anything else) for the graded
bodies of the nbgrader source notebooks (_ext/graded.py). The same search
run over the open edition must find the reference code the chapters print:
otherwise a clean result would prove nothing.
"""
from __future__ import annotations

import pathlib
import re
import sys

import pytest

from website.conftest import CLASS_TARGETS, HTML, ROOT, build

sys.path.insert(0, str(ROOT / "_ext"))
import graded  # noqa: E402

BODIES = graded.graded_bodies(ROOT)
NAMES = graded.graded_names(BODIES)
INCLUDE = re.compile(r"```\{literalinclude\}[^\n]*\n(?::[\w-]+:.*\n)*?:pyobject:\s*(\S+)")


def printed_graded_functions() -> dict[str, list[str]]:
    """chapter stem -> the graded functions it prints by literalinclude."""
    out = {}
    for md in sorted((ROOT / "chapters").glob("*.md")):
        names = [n for n in INCLUDE.findall(md.read_text()) if n in NAMES]
        if names:
            out[md.stem] = names
    return out


PRINTED = printed_graded_functions()


def _tail(log: str, lines: int = 40) -> str:
    kept = [l for l in log.splitlines() if "Location '" not in l]
    return "\n".join(kept[-lines:])


def test_class_edition_builds_clean(class_build):
    assert class_build.returncode == 0, (
        f"the class edition did not build with the Makefile's flags:\n{_tail(class_build.log)}")


def test_class_edition_shows_no_graded_body(class_build):
    # searched even when the build failed: its guard stops it after writing
    html = class_build.html
    # the places a graded body could reach, all of which must be searched
    must_exist = ["searchindex.js", *(f"chapters/{c}.html" for c in PRINTED),
                  *(f"_sources/chapters/{c}.md" for c in PRINTED),
                  *(f"_sources/chapters/{c}.ipynb" for c in PRINTED)]
    missing = [p for p in must_exist if not (html / p).is_file()]
    assert not missing, f"{html}: expected outputs missing, so not searched: {missing}"
    leaks = graded.Detector(BODIES).leaks_in_tree(html)
    assert not leaks, (f"{len(leaks)} graded bodies in the class edition ({html}):\n"
                       + "\n".join(f"  {leak}" for leak in leaks[:30]))


@pytest.mark.parametrize("chapter", sorted(PRINTED))
def test_the_search_finds_the_reference_in_the_open_edition(chapter):
    """What the class edition hides is really there in the open edition, and found."""
    detector = graded.Detector(BODIES)
    for path in (HTML / "chapters" / f"{chapter}.html",
                 HTML / "_sources" / "chapters" / f"{chapter}.ipynb"):
        if not path.exists():
            pytest.fail(f"no {path}: run `make book` first")
        found = {leak.body.qualname for leak in
                 detector.leaks_in_lines(graded.text_lines(path), str(path))}
        missed = [n for n in PRINTED[chapter] if n not in found]
        assert not missed, (f"{path}: the chapter prints {missed} in full, but the search "
                            f"does not find them (found {sorted(found)})")


@pytest.mark.parametrize("chapter", sorted(PRINTED))
def test_graded_functions_are_stubs_with_a_note(class_build, chapter):
    """Each graded function the chapter prints: its signature, the stub line, the note."""
    for where in (f"chapters/{chapter}.html", f"_sources/chapters/{chapter}.ipynb"):
        text = "\n".join(graded.text_lines(class_build.html / where))
        for name in PRINTED[chapter]:
            short = name.split(".")[-1]
            assert re.search(rf"^\s*def {short}\(", text, re.M), (
                f"class edition, {where}: the signature of {name} is missing")
            assert re.search(r"You write `?" + re.escape(name) + r"`? in assignment", text), (
                f"class edition, {where}: no note that {name}'s reference is published "
                "after the deadline")
        stubs = len(re.findall(r"^\s*\.\.\.  # the reference is published after the deadline",
                               text, re.M))
        assert stubs >= len(PRINTED[chapter]), (
            f"class edition, {where}: {stubs} stub bodies for {len(PRINTED[chapter])} "
            "graded functions printed")


def test_class_edition_executes_no_notebook(class_build):
    executed = [l for l in class_build.log.splitlines() if "Executing notebook" in l]
    assert not executed, ("the class edition executed notebooks instead of reusing the open "
                          "edition's cache (build the open edition first: `make book`):\n"
                          + "\n".join(executed))


def test_class_edition_serves_no_assignment_notebook(class_build):
    downloads = sorted(p.name for p in (class_build.html / "_downloads").rglob("*.ipynb"))
    assert not downloads, (f"the class edition offers released notebooks {downloads}; "
                           "in a class they come from the course's JupyterHub")
    hub = CLASS_TARGETS["https://hub.example.edu"]
    for chapter in PRINTED:
        page = (class_build.html / "chapters" / f"{chapter}.html").read_text()
        assert f'href="{hub}"' in page, f"class edition, {chapter}: Try it does not link {hub}"


def test_class_edition_refuses_placeholder_launch_targets(tmp_path):
    config = build.config_with_targets(tmp_path, {})  # the committed targets: placeholders
    done = build.build("class", config=config, out=tmp_path / "out")
    output = done.stdout + done.stderr
    assert done.returncode != 0, "a class edition with placeholder launch targets was built"
    assert "still placeholders" in output and "repository.url" in output, _tail(output)


@pytest.mark.parametrize("edition", ["open", "class"])
def test_no_page_sends_readers_to_the_instructor_sources(class_build, edition):
    """exercises/ holds the solutions: pages name and link only the released notebooks."""
    html = HTML if edition == "open" else class_build.html
    naming = {}
    for page in sorted((html / "chapters").glob("*.html")):
        text = "\n".join(graded.text_lines(page))
        hits = re.findall(r".{0,40}exercises/.{0,40}", text)
        links = re.findall(r'href="[^"]*exercises/[^"]*"', page.read_text())
        if hits or links:
            naming[page.name] = hits[:2] + links[:2]
    assert not naming, f"{edition} edition: pages that point at exercises/: {naming}"


def _prose(page: pathlib.Path) -> list[str]:
    """A chapter's article without what the editions may differ in.

    Removed: code blocks, the class edition's notes on graded functions,
    the "Try it" directive's text and the page header's buttons.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(), "html.parser")
    article = soup.select_one("article.bd-article")
    for node in article.select("div.highlight, div.try-it, script, style"):
        node.decompose()
    for note in article.select("div.admonition.note"):
        if "published after the deadline" in note.get_text():
            note.decompose()
    return [line.strip() for line in article.get_text("\n").splitlines() if line.strip()]


@pytest.mark.parametrize("chapter", sorted(PRINTED))
def test_nothing_else_changes_in_the_class_edition(class_build, chapter):
    import difflib

    open_text = _prose(HTML / "chapters" / f"{chapter}.html")
    class_text = _prose(class_build.html / "chapters" / f"{chapter}.html")
    diff = [l for l in difflib.unified_diff(open_text, class_text, "open", "class", n=0,
                                            lineterm="") if l[:1] in "+-"]
    assert not diff, f"{chapter}: the editions differ outside the graded code:\n" + \
        "\n".join(diff[:20])
