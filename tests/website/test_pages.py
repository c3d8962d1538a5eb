"""Every page of the table of contents, opened in a real browser.

A page passes when it loads without console errors, its math is typeset
(no TeX left as text), every image has loaded, and every internal link
reaches a page that has the anchor it names.
"""
from __future__ import annotations

import functools
import html.parser
import json
import pathlib
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from website.pages import PAGES, open_page

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"


# TeX that survived typesetting: delimiters or common commands in prose.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\[|\\begin\{|\\(frac|sum|sqrt|mathbf|nabla|partial"
                     r"|alpha|beta|lambda|eta|mu|left|right|hat|cdot)\b")

VISIBLE_TEXT_JS = """
const root = (document.querySelector('main') || document.body).cloneNode(true);
root.querySelectorAll('pre, code, script, style, mjx-container, .highlight, '
  + 'mjx-assistive-mml, textarea').forEach(e => e.remove());
return root.textContent;
"""

@pytest.mark.parametrize("page", PAGES)
def test_page_loads_without_console_errors(browser, site_url, page):
    browser.get_log("browser")  # drop what earlier pages left
    open_page(browser, site_url + page)
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors:\n" + "\n".join(errors)


@pytest.mark.parametrize("page", PAGES)
def test_math_is_typeset(browser, site_url, page):
    verdict = open_page(browser, site_url + page)
    assert verdict in ("typeset", "no math"), f"{page}: {verdict}"
    untypeset = browser.execute_script(
        "return [...document.querySelectorAll('.math')]"
        ".filter(e => !e.querySelector('mjx-container')).map(e => e.textContent.slice(0, 80));")
    assert not untypeset, f"{page}: math elements left as text: {untypeset[:5]}"
    text = browser.execute_script(VISIBLE_TEXT_JS)
    raw = [text[max(m.start() - 40, 0):m.end() + 40] for m in RAW_TEX.finditer(text)]
    assert not raw, f"{page}: raw TeX in the page text: {raw[:5]}"


@pytest.mark.parametrize("page", PAGES)
def test_every_image_has_loaded(browser, site_url, page):
    open_page(browser, site_url + page)
    images = browser.execute_script(
        "return [...document.images].map(i => [i.currentSrc || i.src, i.complete, "
        "i.naturalWidth, i.naturalHeight]);")
    broken = [src for src, complete, w, h in images if not (complete and w > 0 and h > 0)]
    assert not broken, f"{page}: images that did not load: {broken}"


@pytest.mark.parametrize("page", PAGES)
def test_internal_links_and_anchors_resolve(browser, site_url, page):
    open_page(browser, site_url + page)
    hrefs = browser.execute_script(
        "return [...document.querySelectorAll('a[href]')].map(a => a.href);")
    internal = sorted({h for h in hrefs if h.startswith(site_url)})
    assert internal, f"{page}: no internal links at all (navigation missing?)"
    problems = [p for h in internal if (p := _link_problem(h))]
    assert not problems, f"{page}: broken internal links:\n" + "\n".join(problems)


def _link_problem(href: str) -> str | None:
    url, _, anchor = href.partition("#")
    try:
        body = _fetch(url)
    except urllib.error.HTTPError as err:
        return f"{href}: HTTP {err.code}"
    if anchor and url.endswith((".html", "/")):
        if urllib.parse.unquote(anchor) not in _ids(body):
            return f"{href}: no element with id {anchor!r} in {url}"
    return None


@functools.lru_cache(maxsize=None)
def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read()


class _IdCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)


@functools.lru_cache(maxsize=None)
def _ids(body: bytes) -> frozenset[str]:
    parser = _IdCollector()
    parser.feed(body.decode("utf-8", "replace"))
    return frozenset(parser.ids)


def test_search_finds_a_term(browser, site_url):
    browser.get(site_url + "search.html?q=backpropagation")
    WebDriverWait(browser, 40).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results ul.search li"))
    results = browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")
    targets = [r.get_attribute("href") for r in results]
    assert any("01_backprop" in t for t in targets), f"search results: {targets}"


ASSIGNMENT_PAGES = [p for p in PAGES if re.match(r"chapters/0[1-7]_", p)]


@pytest.mark.parametrize("page", ASSIGNMENT_PAGES)
def test_assignment_download_is_a_notebook_without_solutions(browser, site_url, page):
    open_page(browser, site_url + page)
    links = browser.execute_script(
        "return [...document.querySelectorAll('a.download, a[download]')]"
        ".map(a => a.href).filter(h => h.endsWith('.ipynb'));")
    stem = page.split("/")[-1].removesuffix(".html")
    ours = [h for h in links if h.endswith(f"/{stem}.ipynb")]
    assert ours, f"{page}: no download of {stem}.ipynb (links: {links})"
    notebook = json.loads(_fetch(ours[0]))
    text = json.dumps(notebook)
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "hidden_check"):
        assert marker not in text, f"{ours[0]}: contains {marker!r}"
    stubs = sum("raise NotImplementedError" in "".join(c["source"]) for c in notebook["cells"])
    assert stubs >= 3, f"{ours[0]}: {stubs} parts to write; expected a released assignment"


def test_no_empty_index_page():
    """The book has no index entries, so it has no Index page and no link to one."""
    assert not (HTML / "genindex.html").exists(), "an (empty) genindex.html is built"
    linking = [p for p in PAGES if "genindex" in (HTML / p).read_text()]
    assert not linking, f"pages that link an index page: {linking}"


@pytest.mark.parametrize("page", ["chapters/intro.html", "chapters/04_update_rules.html"])
def test_one_search_field_on_a_desktop(browser, site_url, page):
    open_page(browser, site_url + page)
    shown = browser.execute_script(
        "return [...document.querySelectorAll('.search-button-field, .search-button')]"
        ".filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')"
        ".map(e => (e.closest('[class]').parentElement.className || '').slice(0, 40));")
    assert len(shown) == 1, f"{page}: {len(shown)} visible search fields, in {shown}"


# A formula that ends in a relation, then a glued number outside it.
GLUE_AFTER_FORMULA = re.compile(
    r"(=|&lt;|&gt;|\\approx|\\le|\\ge|\\times)\s*\\\)</span>\s*<span class=\"pasted-text\">")


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("chapters/0")])
def test_glued_numbers_that_end_a_formula_are_part_of_it(page):
    text = (HTML / page).read_text()
    stray = [text[m.start() - 60:m.end() + 20] for m in GLUE_AFTER_FORMULA.finditer(text)]
    assert not stray, f"{page}: glued numbers typeset outside their formula: {stray[:3]}"


def test_a_glued_number_is_typeset_inside_its_formula():
    text = (HTML / "chapters" / "04_update_rules.html").read_text()
    assert r"\kappa = \lambda_{\max}/\lambda_{\min} = 50\)" in text, (
        "chapter 4: the condition number is not typeset inside its formula")
