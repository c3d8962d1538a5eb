"""Slider figures work in the browser with what the site ships, and nothing else.

Every chapter of _toc.yml (not the introduction, not the references) has
at least one slider figure. On every page that has one, each figure is
drawn by the site's script: its axis labels are there, each path has the
colour and dash pattern its data gives it and the legend shows the same,
and moving a slider (with the keyboard, as a reader would) redraws the
paths that depend on it and leaves the others alone, without console
errors. Every page loads its scripts, styles and fonts from the site
itself (no CDN, so the site reads offline).
"""
from __future__ import annotations

import re

import pytest
import yaml
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from website.conftest import HTML
from website.pages import PAGES, ROOT, open_page


def chapter_pages() -> list[str]:
    """The chapters of _toc.yml: every page but the root (the introduction)
    and the references."""
    root = yaml.safe_load((ROOT / "_toc.yml").read_text())["root"] + ".html"
    return [p for p in PAGES if p != root and p.rsplit("/", 1)[-1] != "references.html"]


CHAPTERS = chapter_pages()

STATE_JS = """
return [...document.querySelectorAll('.slider-figure')].map(f => {
  const data = JSON.parse(f.querySelector('.slider-figure-data').textContent);
  const svg = f.querySelector('svg.slider-figure-svg');
  const text = sel => [...f.querySelectorAll(sel)].map(t => t.textContent).join(' ');
  return {
    live: f.classList.contains('slider-figure--live'),
    sliders: [...f.querySelectorAll('input[type=range]')].map(i => [i.dataset.slider, i.value,
              i.max, i.parentElement.querySelector('output').textContent]),
    paths: [...f.querySelectorAll('polyline.path')].map(p => [p.dataset.label,
            p.getAttribute('points')]),
    strokes: [...f.querySelectorAll('polyline.path')].map(p => [p.dataset.label,
              p.getAttribute('stroke'), p.getAttribute('stroke-dasharray'),
              +p.getAttribute('stroke-width')]),
    legend: [...f.querySelectorAll('.slider-figure-legend li')].map(li => {
      const line = li.querySelector('.swatch line');
      return [li.querySelector('.label').textContent, line && line.getAttribute('stroke'),
              line && line.getAttribute('stroke-dasharray')];
    }),
    data: {title: data.title, xlabel: data.xlabel, ylabel: data.ylabel,
           paths: data.paths.map(p => ({label: p.label, uses: p.uses, color: p.color,
                                        dashes: p.dashes}))},
    drawn: {title: text('svg text.title'), xlabel: text('svg text.x-label'),
            ylabel: text('svg text.y-label'),
            ylabelTurned: [...f.querySelectorAll('svg text.y-label')].every(t =>
              /^rotate\\(-90[ ,]/.test(t.getAttribute('transform') || ''))},
  };
});
"""


def _state(browser):
    return browser.execute_script(STATE_JS)


def _words(text: str) -> list[str]:
    return text.split()


def _dash_array(dashes, width):
    """What slider-figure.js writes for a path's pattern at line width `width`."""
    return " ".join(f"{d * width:.2f}" for d in dashes) if dashes else "none"


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_chapter_has_a_slider_figure(page):
    built = HTML / page
    if not built.exists():
        pytest.fail(f"no built page {built}: run `make book` first")
    count = len(re.findall(r'<div class="slider-figure"', built.read_text()))
    assert count >= 1, f"{page}: no slider figure (book/slider_figure.py; README, \"Writing chapters\")"


def _check_drawing(page, k, figure):
    assert figure["live"], f"{page}: figure {k} was not drawn by slider-figure.js"
    empty = [label for label, points in figure["paths"] if not points]
    assert not empty, f"{page}: figure {k} draws no points for {empty}"
    data, drawn = figure["data"], figure["drawn"]
    for part in ("title", "xlabel", "ylabel"):
        # a long title or label may be wrapped onto several lines
        assert _words(drawn[part]) == _words(data[part] or ""), (
            f"{page}: figure {k} draws its {part} as {drawn[part]!r}, not {data[part]!r}")
    assert drawn["ylabelTurned"], f"{page}: figure {k}: the y label is not drawn upright"
    for (label, stroke, dasharray, width), path in zip(figure["strokes"], data["paths"]):
        assert isinstance(path.get("dashes"), list), (
            f"{page}: figure {k}: {label} has no dash pattern in its data (a page executed "
            f"with an older book/slider_figure.py?)")
        assert stroke == path["color"], f"{page}: figure {k}: {label} drawn in {stroke}"
        assert dasharray == _dash_array(path["dashes"], width), (
            f"{page}: figure {k}: {label} drawn with dashes {dasharray!r}, its data says "
            f"{path['dashes']} line widths")
    strokes = [(label, stroke, dashes) for label, stroke, dashes, _ in figure["strokes"]]
    assert figure["legend"] == [list(s) for s in strokes], (
        f"{page}: figure {k}: the legend's swatches do not match the paths:\n"
        f"  legend {figure['legend']}\n  paths  {strokes}")


VARIANTS_JS = """
return [...document.querySelectorAll('.slider-figure-data')]
  .map(d => JSON.parse(d.textContent).paths.map(p => p.variants));
"""


def _moves(value: int, top: int) -> list[str]:
    """Keys that take a slider from value to its top, down to 0, and back."""
    return ([Keys.ARROW_RIGHT] * (top - value) + [Keys.ARROW_LEFT] * top
            + [Keys.ARROW_RIGHT] * value)


@pytest.mark.parametrize("page", PAGES)
def test_moving_a_slider_redraws_what_depends_on_it(browser, site_url, page):
    """Every slider is swept over all its values: after each step every path
    shows its variant for the new setting (changed where that variant
    differs, untouched where the path does not use the slider), and each
    slider changes the drawing somewhere on its way. Pages without a slider
    figure have nothing to check here (see the test above)."""
    browser.get_log("browser")
    open_page(browser, site_url + page)
    figures = _state(browser)
    variants = browser.execute_script(VARIANTS_JS)
    for k, figure in enumerate(figures):
        _check_drawing(page, k, figure)
        paths = figure["data"]["paths"]
        inputs = browser.find_elements(By.CSS_SELECTOR, ".slider-figure")[k] \
            .find_elements(By.CSS_SELECTOR, "input[type=range]")
        assert len(inputs) == len(figure["sliders"]) >= 1, f"{page}: figure {k} has no sliders"
        index = {name: int(value) for name, value, _, _ in figure["sliders"]}

        def variant(n):
            return variants[k][n][",".join(str(index[u]) for u in paths[n]["uses"])]

        for n, (label, points) in enumerate(figure["paths"]):
            assert len(points.split()) == len(variant(n)) // 2, (
                f"{page}: figure {k}: {label} does not draw its default variant")
        for i, (name, value, top, _) in enumerate(figure["sliders"]):
            changed_somewhere = False
            for key in _moves(int(value), int(top)):
                before, old = dict(figure["paths"]), [variant(n) for n in range(len(paths))]
                shown = figure["sliders"][i][3]
                inputs[i].send_keys(key)
                index[name] += 1 if key == Keys.ARROW_RIGHT else -1
                figure = _state(browser)[k]
                new_value, new_shown = figure["sliders"][i][1], figure["sliders"][i][3]
                assert int(new_value) == index[name], (
                    f"{page}: slider {name} is at {new_value}, not {index[name]}")
                assert new_shown != shown, f"{page}: slider {name} still shows {shown}"
                for n, (label, points) in enumerate(figure["paths"]):
                    differs = variant(n) != old[n]
                    if name not in paths[n]["uses"]:
                        assert points == before[label], (
                            f"{page}: moving {name} changed the path of {label}, which does "
                            f"not depend on it (it uses {paths[n]['uses']})")
                    elif differs:
                        assert points != before[label], (
                            f"{page}: moving {name} from {shown} to {new_shown} did not "
                            f"redraw the path of {label}")
                        assert len(points.split()) == len(variant(n)) // 2, (
                            f"{page}: {name} = {new_shown}: {label} does not draw its variant")
                    else:
                        assert points == before[label], (
                            f"{page}: {label} is the same at {name} = {shown} and {new_shown} "
                            f"but was drawn differently")
                    changed_somewhere |= points != before[label]
            assert changed_somewhere, f"{page}: figure {k}: slider {name} never changes the drawing"
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
