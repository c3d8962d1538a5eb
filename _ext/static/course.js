/* Figures of several panels side by side (a wide PNG from matplotlib) get
   a scroll box, so that on a narrow screen they keep a readable size
   instead of shrinking to the width of the phone (see course.css). */
(function () {
  "use strict";
  const WIDE = 1.9;  // width / height above which a figure has several panels

  function mark(img) {
    if (img.naturalHeight && img.naturalWidth / img.naturalHeight > WIDE &&
        !img.parentElement.classList.contains("figure-scroll")) {
      const box = document.createElement("div");
      box.className = "figure-scroll";
      img.parentElement.insertBefore(box, img);
      box.appendChild(img);
      img.classList.add("wide-figure");
    }
  }

  function markAll() {
    for (const img of document.querySelectorAll(".cell_output img")) {
      if (img.complete) mark(img); else img.addEventListener("load", () => mark(img));
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", markAll);
  } else {
    markAll();
  }
})();
