"""Slider figures work in the browser with what the site ships, and nothing else.

Moving a slider (with the keyboard, as a reader would) must redraw the
paths that depend on it and leave the others alone, without console
errors; every page loads its scripts, styles and fonts from the site
itself (no CDN, so the site reads offline).
"""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from website.pages import PAGES, open_page

# chapter -> at least this many slider figures (the mechanism's proof)
EXPECTED = {"chapters/04_update_rules.html": 1}

STATE_JS = """
return [...document.querySelectorAll('.slider-figure')].map(f => ({
  live: f.classList.contains('slider-figure--live'),
  sliders: [...f.querySelectorAll('input[type=range]')].map(i => [i.dataset.slider, i.value,
            i.max, i.parentElement.querySelector('output').textContent]),
  paths: [...f.querySelectorAll('polyline.path')].map(p => [p.dataset.label,
          p.getAttribute('points')]),
  uses: JSON.parse(f.querySelector('.slider-figure-data').textContent).paths
          .map(p => [p.label, p.uses]),
}));
"""


def _state(browser):
    return browser.execute_script(STATE_JS)


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_moving_a_slider_redraws_what_depends_on_it(browser, site_url, page):
    browser.get_log("browser")
    open_page(browser, site_url + page)
    figures = _state(browser)
    assert len(figures) >= EXPECTED[page], f"{page}: {len(figures)} slider figures"
    for k, figure in enumerate(figures):
        assert figure["live"], f"{page}: figure {k} was not drawn by slider-figure.js"
        empty = [label for label, points in figure["paths"] if not points]
        assert not empty, f"{page}: figure {k} draws no points for {empty}"
        uses = dict(figure["uses"])
        inputs = browser.find_elements(By.CSS_SELECTOR, ".slider-figure")[k] \
            .find_elements(By.CSS_SELECTOR, "input[type=range]")
        for i, (name, value, top, shown) in enumerate(figure["sliders"]):
            before = dict(figure["paths"])
            key = Keys.ARROW_LEFT if value == top else Keys.ARROW_RIGHT
            inputs[i].send_keys(key)
            after_state = _state(browser)[k]
            after = dict(after_state["paths"])
            new_value, new_shown = after_state["sliders"][i][1], after_state["sliders"][i][3]
            assert new_value != value, f"{page}: slider {name} did not move from {value}"
            assert new_shown != shown, f"{page}: slider {name} still shows {shown}"
            for label, points in after.items():
                if name in uses[label]:
                    assert points != before[label], (
                        f"{page}: moving {name} from {shown} to {new_shown} did not change "
                        f"the path of {label}")
                else:
                    assert points == before[label], (
                        f"{page}: moving {name} changed the path of {label}, which does "
                        f"not depend on it (it uses {uses[label]})")
            figure = after_state
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"{page}: console errors:\n" + "\n".join(errors)


RESOURCES_JS = """
return performance.getEntriesByType('resource').map(r => r.name)
  .concat([...document.querySelectorAll('script[src], link[href][rel=stylesheet]')]
          .map(e => e.src || e.href));
"""


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_nothing_from_elsewhere(browser, site_url, page):
    open_page(browser, site_url + page)
    foreign = sorted({u for u in browser.execute_script(RESOURCES_JS)
                      if not u.startswith((site_url, "data:"))})
    assert not foreign, f"{page}: loads from outside the site (breaks offline): {foreign}"
