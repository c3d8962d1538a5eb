"""Every page on a 390x844 phone, and the equation numbers on a desktop.

Nothing may be wider than the phone's screen, nothing may be cut off
where the reader cannot scroll to it (display math, tables, images, code,
figures), figures of several panels keep a readable size, and an
equation's number never covers its formula.
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

# Images of several side-by-side panels and the width they are shown at.
WIDE_FIGURES_JS = """
return [...document.querySelectorAll('.cell_output img')]
  .filter(i => i.naturalHeight && i.naturalWidth / i.naturalHeight > arguments[0])
  .map(i => [i.currentSrc.split('/').pop().slice(0, 16), i.naturalWidth,
             Math.round(i.getBoundingClientRect().width)]);
"""
WIDE = 1.9  # the aspect ratio above which _ext/static/course.js gives a figure a scroll box
READABLE = 600  # px: a figure of several panels is not shown narrower than this


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
def test_figures_of_several_panels_stay_readable_on_a_phone(phone, site_url, page):
    open_page(phone, site_url + page)
    shrunk = [f for f in phone.execute_script(WIDE_FIGURES_JS, WIDE)
              if f[2] < min(READABLE, f[1])]
    assert not shrunk, f"{page}: figures of several panels shrunk below {READABLE}px:\n" + \
        "\n".join(f"  {name}: {natural}px wide, shown at {shown}px"
                  for name, natural, shown in shrunk)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("screen", ["phone", "browser"])
def test_equation_numbers_never_cover_math(request, site_url, page, screen):
    driver = request.getfixturevalue(screen)
    open_page(driver, site_url + page)
    covered = driver.execute_script(EQNO_JS)
    assert not covered, f"{page} ({screen}): equation numbers in the way of their formula:\n" + \
        "\n".join(f"  {eq} ({no}): {why}" for eq, no, why in covered)
