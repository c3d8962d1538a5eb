/* Slider figures: the page's own renderer, no server and no library.
 *
 * Every <div class="slider-figure"> holds its data in a
 * <script type="application/json" class="slider-figure-data"> written by
 * book/slider_figure.py when the chapter was executed: sliders (lists of
 * values), contour lines, markers and, for every path, its colour, its
 * dash pattern and one variant per combination of the sliders it uses.
 * This script draws the data as SVG, adds one range input per slider and
 * swaps the variants when they move.
 *
 * The drawing is laid out for the width it is shown at, one SVG unit to
 * one CSS pixel, and again whenever that width changes: its text keeps the
 * sizes of the book's static figures (book/style.py: 10 pt tick labels,
 * 11 pt axis labels and title) on a phone as on a desktop, and the margins
 * are measured from the text, so a title or a label that does not fit
 * wraps instead of running into the ticks.
 */
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
  const PT = 96 / 72;  // CSS pixels per point
  // book/style.py, in CSS pixels
  const TICK_SIZE = 10 * PT, LABEL_SIZE = 11 * PT, TITLE_SIZE = 11 * PT;
  const LINE = 1.2;                   // line height, in font sizes
  const TICK_LENGTH = 3.5 * PT;       // matplotlib's major tick length
  const TICK_PAD = 3.5 * PT;          // tick to its label
  const LABEL_PAD = 4 * PT;           // tick labels to the axis label
  const TITLE_PAD = 5 * PT;           // axes.titlepad
  const EDGE = 4;                     // free space at the drawing's edges
  const FALLBACK_WIDTH = 560;         // while the figure is not laid out (hidden)
  let figureCount = 0;

  function svgEl(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (parent) parent.appendChild(node);
    return node;
  }

  function htmlEl(name, attrs, parent, text) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  /* The values of [lo, hi] that are multiples of step. */
  function ticks(lo, hi, step) {
    const out = [];
    for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
      out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return out;
  }

  function format(value) {
    return Math.abs(value) >= 1e-3 || value === 0 ? String(+value.toPrecision(4))
      : value.toExponential(1);
  }

  /* The CSS dash array of a path: its pattern (in line widths) at width lw. */
  function dashArray(dashes, lw) {
    return dashes && dashes.length ? dashes.map(d => (d * lw).toFixed(2)).join(" ") : "none";
  }

  /* Width of text in a class of the drawing, measured in the page (an
     estimate where the figure is not rendered, e.g. inside a closed box). */
  function measurer(svg) {
    const probe = svgEl("text", {x: -1000, y: -1000, "aria-hidden": "true"}, svg);
    const sizes = {"tick-label": TICK_SIZE, "axis-label": LABEL_SIZE, title: TITLE_SIZE};
    const cache = new Map();
    const measure = (text, kind) => {
      const key = kind + "\u0000" + text;
      if (!cache.has(key)) {
        probe.setAttribute("class", kind);
        probe.textContent = text;
        let width = 0;
        try { width = probe.getComputedTextLength(); } catch (e) { width = 0; }
        if (!(width > 0) && text) width = text.length * sizes[kind] * 0.6;
        cache.set(key, width);
      }
      return cache.get(key);
    };
    measure.done = () => probe.remove();
    return measure;
  }

  /* text broken at spaces into lines no wider than width (a single word
     longer than that stays whole). */
  function wrap(text, width, kind, measure) {
    const lines = [];
    let line = "";
    for (const word of text.split(/\s+/).filter(Boolean)) {
      const longer = line ? line + " " + word : word;
      if (line && measure(longer, kind) > width) {
        lines.push(line);
        line = word;
      } else {
        line = longer;
      }
    }
    if (line) lines.push(line);
    return lines;
  }

  /* Ticks along an axis of `length` pixels, as matplotlib's default
     locator places them: at most one interval per three (x) or two (y)
     tick label heights, and never more than nine; the finest step of 1,
     2, 2.5 or 5 times a power of ten that gives no more intervals than
     that and labels that do not touch. */
  function axisTicks(lo, hi, length, horizontal, measure) {
    if (!(hi > lo)) return {values: [], labels: [], widths: []};
    const intervals = Math.min(9, Math.max(1, Math.floor(length / ((horizontal ? 3 : 2) * TICK_SIZE))));
    let power = Math.pow(10, Math.floor(Math.log10((hi - lo) / intervals)));
    let best = null;
    for (let tries = 0; tries < 6; tries++, power *= 10) {
      for (const m of [1, 2, 2.5, 5]) {
        const step = m * power;
        if (step < (hi - lo) / intervals * (1 - 1e-9)) continue;
        const values = ticks(lo, hi, step);
        const labels = values.map(format);
        const widths = labels.map(l => measure(l, "tick-label"));
        best = {values, labels, widths};
        const spacing = step / (hi - lo) * length;
        const room = horizontal ? Math.max(0, ...widths) + 0.8 * TICK_SIZE : 1.4 * TICK_SIZE;
        if (spacing >= room) return best;
      }
    }
    return best || {values: [], labels: [], widths: []};
  }

  function star(cx, cy, r) {
    const corners = [];
    for (let i = 0; i < 10; i++) {
      const radius = i % 2 ? r * 0.45 : r;
      const angle = Math.PI / 5 * i - Math.PI / 2;
      corners.push((cx + radius * Math.cos(angle)).toFixed(1) + "," +
                   (cy + radius * Math.sin(angle)).toFixed(1));
    }
    return "M" + corners.join("L") + "Z";
  }

  function draw(root) {
    const data = JSON.parse(root.querySelector(".slider-figure-data").textContent);
    const id = "slider-figure-" + (++figureCount);
    const [x0, x1] = data.xlim, [y0, y1] = data.ylim;
    const lw = +((data.lineWidth || 1.6) * PT).toFixed(2);  // px
    const index = {};
    for (const s of data.sliders) index[s.name] = s.default;

    const canvas = htmlEl("div", {class: "slider-figure-canvas"});
    const svg = svgEl("svg", {class: "slider-figure-svg", role: "img",
                              "aria-label": data.title || "figure"}, canvas);
    let lines = [];      // the path polylines of the current layout
    let drawnWidth = 0;

    /* Everything inside the SVG, for a drawing `width` CSS pixels wide. */
    function layout(width) {
      while (svg.firstChild) svg.removeChild(svg.firstChild);
      const measure = measurer(svg);
      let left = 40, right = 10, L = null;
      for (let pass = 0; pass < 5; pass++) {
        const plotW = Math.max(width - left - right, 60);
        const natural = data.equalAspect ? plotW * (y1 - y0) / (x1 - x0) : plotW * 0.62;
        const plotH = Math.min(Math.max(natural, 170), 520);
        const xt = axisTicks(x0, x1, plotW, true, measure);
        const yt = axisTicks(y0, y1, plotH, false, measure);
        const ylabel = data.ylabel ? wrap(data.ylabel, plotH, "axis-label", measure) : [];
        const needLeft = EDGE + ylabel.length * LINE * LABEL_SIZE
          + (ylabel.length ? LABEL_PAD : 0) + Math.max(0, ...yt.widths) + TICK_PAD + TICK_LENGTH;
        // the last x tick label, centred on its tick, may reach past the plot
        let needRight = EDGE + 4;
        xt.values.forEach((t, i) => {
          const past = xt.widths[i] / 2 - (x1 - t) / (x1 - x0) * plotW;
          needRight = Math.max(needRight, EDGE + past);
        });
        L = {plotW, plotH, xt, yt, ylabel, left, right};
        if (Math.abs(needLeft - left) < 0.5 && Math.abs(needRight - right) < 0.5) break;
        left = needLeft;
        right = needRight;
      }
      const {plotW, plotH, xt, yt, ylabel} = L;
      left = L.left;
      const title = data.title ? wrap(data.title, width - 2 * EDGE, "title", measure) : [];
      const xlabel = data.xlabel ? wrap(data.xlabel, plotW, "axis-label", measure) : [];
      // the title, then room for half the top tick label above the plot
      const top = EDGE + title.length * LINE * TITLE_SIZE + (title.length ? TITLE_PAD : 0)
        + 0.6 * TICK_SIZE;
      const tickLabelTop = top + plotH + TICK_LENGTH + TICK_PAD;
      const xlabelTop = tickLabelTop + LINE * TICK_SIZE + LABEL_PAD;
      const height = Math.ceil((xlabel.length ? xlabelTop + xlabel.length * LINE * LABEL_SIZE
                                                : tickLabelTop + LINE * TICK_SIZE) + EDGE);
      svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
      svg.setAttribute("width", width);
      svg.setAttribute("height", height);

      const sx = x => left + (x - x0) / (x1 - x0) * plotW;
      const sy = y => top + (1 - (y - y0) / (y1 - y0)) * plotH;
      const points = flat => {
        const out = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          out.push(sx(flat[i]).toFixed(1) + "," + sy(flat[i + 1]).toFixed(1));
        }
        return out.join(" ");
      };

      const clip = svgEl("clipPath", {id: id + "-clip"}, svgEl("defs", {}, svg));
      svgEl("rect", {x: left, y: top, width: plotW, height: plotH}, clip);
      const plot = svgEl("g", {"clip-path": `url(#${id}-clip)`}, svg);
      for (const t of xt.values) {
        svgEl("line", {x1: sx(t), x2: sx(t), y1: top, y2: top + plotH, class: "grid"}, plot);
      }
      for (const t of yt.values) {
        svgEl("line", {x1: left, x2: left + plotW, y1: sy(t), y2: sy(t), class: "grid"}, plot);
      }
      for (const line of data.contours) {
        svgEl("polyline", {points: points(line), class: "contour"}, plot);
      }
      lines = data.paths.map(p => svgEl("polyline", {
        class: "path", stroke: p.color, "stroke-width": lw,
        "stroke-dasharray": dashArray(p.dashes, lw), "data-label": p.label}, plot));
      for (const m of data.markers) {
        const [cx, cy] = [sx(m.x), sy(m.y)];
        const mark = m.shape === "star"
          ? svgEl("path", {d: star(cx, cy, 7), class: "marker"}, plot)
          : svgEl("circle", {cx: cx, cy: cy, r: 4, class: "marker"}, plot);
        if (m.label) svgEl("title", {}, mark).textContent = m.label;
      }

      // the left and bottom spines, as in book/style.py
      svgEl("line", {x1: left, x2: left, y1: top, y2: top + plotH, class: "spine"}, svg);
      svgEl("line", {x1: left, x2: left + plotW, y1: top + plotH, y2: top + plotH,
                     class: "spine"}, svg);
      xt.values.forEach((t, i) => {
        svgEl("line", {x1: sx(t), x2: sx(t), y1: top + plotH, y2: top + plotH + TICK_LENGTH,
                       class: "tick"}, svg);
        svgEl("text", {x: sx(t), y: tickLabelTop, dy: "0.76em", class: "tick-label",
                       "text-anchor": "middle"}, svg).textContent = xt.labels[i];
      });
      yt.values.forEach((t, i) => {
        svgEl("line", {x1: left - TICK_LENGTH, x2: left, y1: sy(t), y2: sy(t), class: "tick"}, svg);
        svgEl("text", {x: left - TICK_LENGTH - TICK_PAD, y: sy(t), dy: "0.36em",
                       class: "tick-label", "text-anchor": "end"}, svg).textContent = yt.labels[i];
      });
      // the title centred over the plot where it fits there, else over the drawing
      const titleWidth = Math.max(0, ...title.map(t => measure(t, "title")));
      const titleX = titleWidth <= plotW ? left + plotW / 2
        : Math.min(Math.max(left + plotW / 2, EDGE + titleWidth / 2), width - EDGE - titleWidth / 2);
      title.forEach((text, i) => {
        svgEl("text", {x: titleX, y: EDGE + (i + 0.9) * LINE * TITLE_SIZE - 0.2 * TITLE_SIZE,
                       class: "title", "text-anchor": "middle"}, svg).textContent = text;
      });
      xlabel.forEach((text, i) => {
        svgEl("text", {x: left + plotW / 2, y: xlabelTop + (i + 0.9) * LINE * LABEL_SIZE
                       - 0.2 * LABEL_SIZE, class: "axis-label x-label",
                       "text-anchor": "middle"}, svg).textContent = text;
      });
      ylabel.forEach((text, i) => {
        const x = EDGE + (i + 0.9) * LINE * LABEL_SIZE - 0.2 * LABEL_SIZE;
        const y = top + plotH / 2;
        svgEl("text", {x: x, y: y, transform: `rotate(-90 ${x.toFixed(1)} ${y.toFixed(1)})`,
                       class: "axis-label y-label", "text-anchor": "middle"}, svg)
          .textContent = text;
      });
      measure.done();
      drawnWidth = width;
      return points;
    }

    const legend = htmlEl("ul", {class: "slider-figure-legend"});
    const notes = data.paths.map(p => {
      const item = htmlEl("li", {}, legend);
      const swatch = svgEl("svg", {class: "swatch", width: 36, height: 10, viewBox: "0 0 36 10",
                                   "aria-hidden": "true"}, item);
      svgEl("line", {x1: 0, x2: 36, y1: 5, y2: 5, stroke: p.color,
                     "stroke-width": lw, "stroke-dasharray": dashArray(p.dashes, lw)},
            swatch);
      htmlEl("span", {class: "label"}, item, p.label);
      return htmlEl("span", {class: "note"}, item, "");
    });

    const controls = htmlEl("div", {class: "slider-figure-controls"});
    const outputs = {};
    for (const s of data.sliders) {
      const row = htmlEl("label", {class: "slider"}, controls);
      htmlEl("span", {class: "slider-name"}, row, s.label);
      const input = htmlEl("input", {type: "range", min: 0, max: s.values.length - 1, step: 1,
                                     value: s.default, "data-slider": s.name,
                                     "aria-label": s.label}, row);
      outputs[s.name] = htmlEl("output", {}, row, format(s.values[s.default]));
      input.addEventListener("input", () => {
        index[s.name] = Number(input.value);
        outputs[s.name].textContent = format(s.values[index[s.name]]);
        update();
      });
    }

    let points = null;
    function update() {
      data.paths.forEach((p, k) => {
        const key = p.uses.map(u => index[u]).join(",");
        lines[k].setAttribute("points", points(p.variants[key] || []));
        notes[k].textContent = p.notes[key] ? " " + p.notes[key] : "";
      });
    }

    function render(force) {
      const width = Math.floor(canvas.clientWidth) || FALLBACK_WIDTH;
      if (!force && width === drawnWidth) return;
      points = layout(width);
      update();
    }

    for (const old of root.querySelectorAll(".slider-figure-still, .slider-figure-hint")) old.remove();
    root.appendChild(canvas);
    root.appendChild(legend);
    root.appendChild(controls);
    root.classList.add("slider-figure--live");
    render(true);
    if (window.ResizeObserver) {
      let pending = false;
      new ResizeObserver(() => {
        if (pending) return;
        pending = true;
        requestAnimationFrame(() => { pending = false; render(false); });
      }).observe(canvas);
    } else {
      window.addEventListener("resize", () => render(false));
    }
    // text measured before the page's fonts arrived is measured again
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(() => render(true));
  }

  function drawAll() {
    document.querySelectorAll(".slider-figure:not(.slider-figure--live)").forEach(root => {
      try {
        draw(root);
      } catch (error) {
        console.error("slider figure not drawn:", error);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
