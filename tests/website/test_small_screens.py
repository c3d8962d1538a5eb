"""Every page on a 390x844 phone, and the equation numbers on a desktop.

Nothing may be wider than the phone's screen, nothing may be cut off
where the reader cannot scroll to it (display math, tables, images, code,
figures), figure images keep the width they were drawn for (they scroll
in their box), the text of slider figures stays readable and clear of
the rest of the drawing on a phone and on a desktop, and an equation's
number never covers its formula.
"""
from __future__ import annotations

import pytest

from website.conftest import PHONE
from website.pages import PAGES, open_page

# For each element that can be too wide: is any part of it cut off by an
# ancestor that hides overflow, with no scroll box in between? A scroll
# box is itself checked in the same way, up to the page.
CLIPPED_JS = """
const kinds = 'mjx-container[display="true"] mjx-math, table, img, pre, svg, .slider-figure';
const describe = e => {
  const box = e.closest('div.math, table, .cell_output, .highlight, .slider-figure') || e;
  const text = (box.id ? '#' + box.id + ' ' : '') + (e.currentSrc || box.textContent || '');
  return e.tagName.toLowerCase() + ' ' + text.replace(/\\s+/g, ' ').trim().slice(0, 70);
};
const visible = e => { const s = getComputedStyle(e); return s.display !== 'none' &&
  s.visibility !== 'hidden' && e.getClientRects().length > 0; };
const out = [];
for (const target of document.querySelectorAll(kinds)) {
  // the article's content only: not the navigation and its icons
  if (!visible(target) || !target.closest('article.bd-article') ||
      target.closest('.prev-next-area, .headerlink, i, .fa-solid')) continue;
  let e = target, r = target.getBoundingClientRect();
  for (let a = target.parentElement; a && a !== document.documentElement; a = a.parentElement) {
    const ox = getComputedStyle(a).overflowX;
    if (ox === 'auto' || ox === 'scroll') { e = a; r = a.getBoundingClientRect(); continue; }
    if (ox === 'hidden' || ox === 'clip') {
      const ar = a.getBoundingClientRect();
      const cut = Math.max(ar.left - r.left, r.right - ar.right);
      if (cut > 1) { out.push([describe(target), Math.round(cut), a.tagName.toLowerCase()
                               + '.' + [...a.classList].join('.')]); break; }
    }
  }
}
return out;
"""

# Boxes of the article whose content is wider than they are: how tall is
# their scroll bar? (A phone's overlay scroll bar takes no room: 0.)
SCROLL_BARS_JS = """
const describe = e => e.tagName.toLowerCase() + '.' + [...e.classList].join('.') + ' '
  + (e.closest('[id]') ? '#' + e.closest('[id]').id : '');
return [...document.querySelectorAll('article.bd-article *')].filter(e => {
  const s = getComputedStyle(e);
  return (s.overflowX === 'auto' || s.overflowX === 'scroll') && e.scrollWidth > e.clientWidth + 1
    && e.getClientRects().length > 0;
}).map(e => [describe(e), e.scrollWidth - e.clientWidth,
             e.offsetHeight - e.clientHeight - parseFloat(getComputedStyle(e).borderTopWidth)
             - parseFloat(getComputedStyle(e).borderBottomWidth)]);
"""
SCROLL_BAR = 3  # px: the least height of a scroll bar a reader can see

WIDTH_JS = "return [document.documentElement.scrollWidth, window.innerWidth];"

# Numbered display equations: does the number overlap the formula's box,
# and is a formula that would fit the column scrolled to make room for it?
EQNO_JS = """
const out = [];
for (const m of document.querySelectorAll('div.math')) {
  const no = m.querySelector('span.eqno'), c = m.querySelector('mjx-container');
  if (!no || !c) continue;
  const label = no.textContent.replace('#', '').trim();
  const a = no.getBoundingClientRect(), b = c.getBoundingClientRect();
  const overlap = Math.min(a.right, b.right) - Math.max(a.left, b.left);
  if (overlap > 1 && Math.min(a.bottom, b.bottom) > Math.max(a.top, b.top))
    out.push([m.id, label, `the number covers ${Math.round(overlap)}px of it`]);
  const hidden = c.scrollWidth - c.clientWidth;
  if (hidden > 1 && c.scrollWidth <= m.clientWidth)
    out.push([m.id, label, `${hidden}px of it hidden beside the number, though it fits the `
              + `${m.clientWidth}px column`]);
}
return out;
"""

# Figure images: the width they were drawn for (a width attribute, else
# their own size, in CSS pixels) and the width they are shown at.
FIGURES_JS = """
return [...document.querySelectorAll('article.bd-article figure img, '
                                     + 'article.bd-article .cell_output img')]
  .filter(i => !i.closest('.slider-figure') && i.getClientRects().length > 0)
  .map(i => { const a = (i.getAttribute('width') || '').trim();
    return [i.currentSrc.split('/').pop().slice(0, 16),
            /^\\d+(\\.\\d+)?(px)?$/.test(a) ? parseFloat(a) : i.naturalWidth,
            Math.round(i.getBoundingClientRect().width)]; });
"""
# px: a figure is not shown narrower than this (or than it was drawn): the
# book's figures are drawn 6.4 in wide (about 615 px) with 10 pt (13.3 px)
# tick labels, which stay above 13 px at this width
READABLE = 600

# Slider figures: every text of the drawing at its size on the screen, its
# box, and the drawing's box.
SLIDER_TEXT_JS = """
return [...document.querySelectorAll('.slider-figure svg.slider-figure-svg')].map((svg, k) => {
  const box = svg.getBoundingClientRect();
  const scale = box.width / (svg.viewBox.baseVal.width || box.width);
  return {figure: k, box: [box.left, box.top, box.right, box.bottom],
          texts: [...svg.querySelectorAll('text')].map(t => {
            const r = t.getBoundingClientRect();
            return {kind: t.getAttribute('class'), text: t.textContent,
                    px: parseFloat(getComputedStyle(t).fontSize) * scale,
                    box: [r.left, r.top, r.right, r.bottom]}; })};
});
"""
SMALLEST_TEXT = 11  # px on the screen


def _overlap(a, b) -> float:
    """How far two boxes (left, top, right, bottom) overlap, 0 if they do not."""
    return max(0.0, min(min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])))


@pytest.mark.parametrize("page", PAGES)
def test_nothing_is_wider_than_a_phone(phone, site_url, page):
    open_page(phone, site_url + page)
    scroll_width, viewport = phone.execute_script(WIDTH_JS)
    assert viewport == PHONE[0], f"{page}: the phone's viewport is {viewport}px, not {PHONE[0]}"
    assert scroll_width <= viewport, (
        f"{page}: the page is {scroll_width}px wide on a {viewport}px screen "
        f"({scroll_width - viewport}px scroll sideways)")


@pytest.mark.parametrize("page", PAGES)
def test_nothing_is_cut_off_on_a_phone(phone, site_url, page):
    open_page(phone, site_url + page)
    clipped = phone.execute_script(CLIPPED_JS)
    assert not clipped, f"{page} at {PHONE[0]}x{PHONE[1]}: cut off without a scroll box:\n" + \
        "\n".join(f"  {what}: {px}px hidden by {by}" for what, px, by in clipped)


@pytest.mark.parametrize("page", PAGES)
def test_what_scrolls_shows_a_scroll_bar_on_a_phone(phone, site_url, page):
    open_page(phone, site_url + page)
    hidden = [b for b in phone.execute_script(SCROLL_BARS_JS) if b[2] < SCROLL_BAR]
    assert not hidden, f"{page}: boxes that scroll sideways with no visible scroll bar:\n" + \
        "\n".join(f"  {what}: {more}px to scroll, scroll bar {bar:.0f}px"
                  for what, more, bar in hidden)


@pytest.mark.parametrize("page", PAGES)
def test_figures_keep_the_width_they_were_drawn_for_on_a_phone(phone, site_url, page):
    open_page(phone, site_url + page)
    shrunk = [f for f in phone.execute_script(FIGURES_JS) if f[2] < min(READABLE, f[1]) - 1]
    assert not shrunk, f"{page}: figures shrunk below {READABLE}px (or their drawn width):\n" + \
        "\n".join(f"  {name}: drawn {drawn:.0f}px wide, shown at {shown}px"
                  for name, drawn, shown in shrunk)


NARROW = (320, 700)  # the narrowest phones still in use


@pytest.fixture
def narrow_phone(phone):
    """The phone's browser as a 320 px phone, for one test."""
    def metrics(width, height):
        phone.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 3, "mobile": True})
    metrics(*NARROW)
    yield phone
    metrics(*PHONE)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("screen", ["narrow_phone", "phone", "browser"])
def test_slider_figure_text_is_readable_and_clear(request, site_url, page, screen):
    driver = request.getfixturevalue(screen)
    open_page(driver, site_url + page)
    problems = []
    for figure in driver.execute_script(SLIDER_TEXT_JS):
        k, texts, (left, top, right, bottom) = figure["figure"], figure["texts"], figure["box"]
        for t in texts:
            what = f"figure {k}, {t['kind']} {t['text']!r}"
            if t["px"] < SMALLEST_TEXT:
                problems.append(f"{what}: {t['px']:.1f}px on the screen")
            l, tp, r, b = t["box"]
            if l < left - 1 or r > right + 1 or tp < top - 1 or b > bottom + 1:
                problems.append(f"{what}: outside the drawing")
        for i, a in enumerate(texts):
            for b in texts[i + 1:]:
                if _overlap(a["box"], b["box"]) > 1:
                    problems.append(f"figure {k}: {a['kind']} {a['text']!r} overlaps "
                                    f"{b['kind']} {b['text']!r}")
    assert not problems, f"{page} ({screen}): slider figure text:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("screen", ["phone", "browser"])
def test_equation_numbers_never_cover_math(request, site_url, page, screen):
    driver = request.getfixturevalue(screen)
    open_page(driver, site_url + page)
    covered = driver.execute_script(EQNO_JS)
    assert not covered, f"{page} ({screen}): equation numbers in the way of their formula:\n" + \
        "\n".join(f"  {eq} ({no}): {why}" for eq, no, why in covered)
