/* Figure images keep a readable size on narrow screens.
 *
 * The book's figures are drawn for the text column (book/style.py: 6.4 in,
 * about 615 CSS pixels, with 10-11 pt text). Shrunk to a phone's width
 * their text would be 7-8 px, so every figure image gets a box that
 * scrolls sideways and a min-width of the width it was drawn at (at most
 * MAX_MIN_WIDTH): where the column is wide enough nothing changes, where
 * it is not the figure keeps its size and scrolls in its box; the page
 * itself never gets wider than the screen (course.css).
 */
(function () {
  "use strict";
  const MAX_MIN_WIDTH = 640;  // px: never asks for more than the column of the desktop site
  const FIGURES = "article.bd-article figure img, article.bd-article .cell_output img";

  /* The width in CSS pixels the image was drawn for: its width attribute
     if it has one (a PNG at twice the resolution), else its own size. */
  function drawnWidth(img) {
    const attribute = (img.getAttribute("width") || "").trim();
    return /^\d+(\.\d+)?(px)?$/.test(attribute) ? parseFloat(attribute) : img.naturalWidth;
  }

  function box(img) {
    if (img.parentElement.classList.contains("figure-scroll")) return;
    const scroller = document.createElement("div");
    scroller.className = "figure-scroll";
    img.parentElement.insertBefore(scroller, img);
    scroller.appendChild(img);
  }

  function size(img) {
    const width = drawnWidth(img);
    if (width > 0) img.style.minWidth = Math.min(width, MAX_MIN_WIDTH) + "px";
  }

  function markAll() {
    for (const img of document.querySelectorAll(FIGURES)) {
      // a slider figure's still image is sized by the slider figure's box
      if (img.closest(".slider-figure")) continue;
      box(img);
      if (img.complete) size(img); else img.addEventListener("load", () => size(img));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markAll);
  } else {
    markAll();
  }
})();
