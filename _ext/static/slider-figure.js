/* Slider figures: the page's own renderer, no server and no library.
 *
 * Every <div class="slider-figure"> holds its data in a
 * <script type="application/json" class="slider-figure-data"> written by
 * book/slider_figure.py when the chapter was executed: sliders (lists of
 * values), contour lines, markers and, for every path, one variant per
 * combination of the sliders it uses. This script draws the data as SVG,
 * adds one range input per slider and swaps the variants when they move.
 */
(function () {
  "use strict";
  const SVG = "http://www.w3.org/2000/svg";
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

  /* About n round tick values between lo and hi. */
  function ticks(lo, hi, n) {
    const raw = (hi - lo) / n;
    const power = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map(m => m * power).find(s => s >= raw);
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return out;
  }

  function format(value) {
    return Math.abs(value) >= 1e-3 || value === 0 ? String(+value.toPrecision(4))
      : value.toExponential(1);
  }

  function draw(root) {
    const data = JSON.parse(root.querySelector(".slider-figure-data").textContent);
    const id = "slider-figure-" + (++figureCount);
    const [x0, x1] = data.xlim, [y0, y1] = data.ylim;
    const width = 560, left = 46, right = 12, top = data.title ? 26 : 10, bottom = 40;
    const plotW = width - left - right;
    const natural = data.equalAspect ? plotW * (y1 - y0) / (x1 - x0) : plotW * 0.7;
    const plotH = Math.min(Math.max(natural, 180), 520);
    const height = top + plotH + bottom;
    const sx = x => left + (x - x0) / (x1 - x0) * plotW;
    const sy = y => top + (1 - (y - y0) / (y1 - y0)) * plotH;
    const points = flat => {
      const out = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        out.push(sx(flat[i]).toFixed(1) + "," + sy(flat[i + 1]).toFixed(1));
      }
      return out.join(" ");
    };

    const svg = svgEl("svg", {viewBox: `0 0 ${width} ${height}`, class: "slider-figure-svg",
                              role: "img", "aria-label": data.title || "figure"});
    const clip = svgEl("clipPath", {id: id + "-clip"}, svgEl("defs", {}, svg));
    svgEl("rect", {x: left, y: top, width: plotW, height: plotH}, clip);
    const plot = svgEl("g", {"clip-path": `url(#${id}-clip)`}, svg);
    for (const line of data.contours) {
      svgEl("polyline", {points: points(line), class: "contour"}, plot);
    }
    const lines = data.paths.map(p => svgEl("polyline", {
      class: "path", stroke: p.color, "data-label": p.label}, plot));
    for (const m of data.markers) {
      const [cx, cy] = [sx(m.x), sy(m.y)];
      const mark = m.shape === "star"
        ? svgEl("path", {d: star(cx, cy, 7), class: "marker"}, plot)
        : svgEl("circle", {cx: cx, cy: cy, r: 4, class: "marker"}, plot);
      if (m.label) svgEl("title", {}, mark).textContent = m.label;
    }

    svgEl("rect", {x: left, y: top, width: plotW, height: plotH, class: "frame"}, svg);
    for (const t of ticks(x0, x1, 6)) {
      svgEl("line", {x1: sx(t), x2: sx(t), y1: top + plotH, y2: top + plotH + 4, class: "tick"}, svg);
      svgEl("text", {x: sx(t), y: top + plotH + 16, class: "tick-label", "text-anchor": "middle"},
            svg).textContent = format(t);
    }
    for (const t of ticks(y0, y1, 5)) {
      svgEl("line", {x1: left - 4, x2: left, y1: sy(t), y2: sy(t), class: "tick"}, svg);
      svgEl("text", {x: left - 6, y: sy(t) + 4, class: "tick-label", "text-anchor": "end"},
            svg).textContent = format(t);
    }
    if (data.title) {
      svgEl("text", {x: left + plotW / 2, y: 17, class: "title", "text-anchor": "middle"},
            svg).textContent = data.title;
    }
    if (data.xlabel) {
      svgEl("text", {x: left + plotW / 2, y: height - 6, class: "axis-label",
                     "text-anchor": "middle"}, svg).textContent = data.xlabel;
    }

    const legend = htmlEl("ul", {class: "slider-figure-legend"});
    const notes = data.paths.map(p => {
      const item = htmlEl("li", {}, legend);
      htmlEl("span", {class: "swatch", style: `background:${p.color}`}, item);
      htmlEl("span", {class: "label"}, item, p.label);
      return htmlEl("span", {class: "note"}, item, "");
    });

    const controls = htmlEl("div", {class: "slider-figure-controls"});
    const index = {};
    const outputs = {};
    for (const s of data.sliders) {
      index[s.name] = s.default;
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

    function update() {
      data.paths.forEach((p, k) => {
        const key = p.uses.map(u => index[u]).join(",");
        lines[k].setAttribute("points", points(p.variants[key] || []));
        notes[k].textContent = p.notes[key] ? " " + p.notes[key] : "";
      });
    }

    for (const old of root.querySelectorAll(".slider-figure-still, .slider-figure-hint")) old.remove();
    root.appendChild(svg);
    root.appendChild(legend);
    root.appendChild(controls);
    root.classList.add("slider-figure--live");
    update();
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

  function drawAll() {
    document.querySelectorAll(".slider-figure:not(.slider-figure--live)").forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
