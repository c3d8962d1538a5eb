"""The pages of the site and how a test opens one (shared by the browser tests)."""
from __future__ import annotations

import pathlib

import yaml
from selenium.webdriver.support.ui import WebDriverWait

ROOT = pathlib.Path(__file__).resolve().parents[2]


def toc_pages() -> list[str]:
    """Every page of _toc.yml as its path under the site, e.g. chapters/x.html."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    files += [c["file"] for c in toc.get("chapters", [])]
    return [f + ".html" for f in files]


PAGES = toc_pages()

WAIT_FOR_MATH_JS = """
const done = arguments[arguments.length - 1];
if (!document.querySelector('script[src*="mathjax"]')) { done('no math'); return; }
const start = Date.now();
(function poll() {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    MathJax.startup.promise.then(() => done('typeset'), e => done('error: ' + e));
  } else if (Date.now() - start > 20000) { done('MathJax never started');
  } else { setTimeout(poll, 50); }
})();
"""

WAIT_FOR_IMAGES_JS = """
const done = arguments[arguments.length - 1];
Promise.all([...document.images].map(i => i.complete ? null
  : new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })))
  .then(() => requestAnimationFrame(() => done('loaded')));
"""


def open_page(browser, url: str) -> str:
    """Load ``url``, wait for MathJax and the images, return MathJax's verdict."""
    browser.get(url)
    WebDriverWait(browser, 30).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    browser.set_script_timeout(40)
    verdict = browser.execute_async_script(WAIT_FOR_MATH_JS)
    browser.execute_async_script(WAIT_FOR_IMAGES_JS)
    return verdict
