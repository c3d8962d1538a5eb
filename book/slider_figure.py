"""Figures with sliders that need no server: every variant is computed now.

A chapter cell describes the sliders (each a short list of values), the
background (contour lines) and the paths, given as functions of the
sliders they depend on. Every combination is evaluated when the cell runs,
at build time, and the figure's last line displays it. In the website the
page's own script (``_ext/static/slider-figure.js``, shipped with the site)
draws the data as SVG and switches variants as the sliders move: no
kernel, no network. Elsewhere (a downloaded notebook in Jupyter) the
output shows a still image of the default setting.

How to add one (a chapter cell)::

    from book.slider_figure import SliderFigure

    fig = SliderFigure(sliders={"lr": [0.01, 0.02, 0.04], "mu": [0.0, 0.5, 0.9]},
                       defaults={"lr": 0.02, "mu": 0.5},
                       xlim=(-1, 4), ylim=(-1.5, 2), title="momentum")
    fig.contours(xs, ys, z)                      # z[i, j] at (xs[j], ys[i])
    fig.path("momentum", lambda lr, mu: run(lr=lr, mu=mu))  # (steps, 2) array
    fig.marker(*minimum, label="minimum")
    fig                                          # last line: display it

A path function names, as its parameters, the sliders it depends on; it
is called once per combination of those sliders only, and returns the
path as an array of (x, y) points. Keep the data small (a few hundred
points per path, a few dozen variants): it is written into the page.
"""
from __future__ import annotations

import base64
import dataclasses
import html
import inspect
import io
import itertools
import json
import math
from typing import Callable, Sequence

import numpy as np

DIGITS = 4  # significant digits kept in the page data
CLIP = 1e6  # coordinates beyond this are cut (a diverging run)
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
          "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


@dataclasses.dataclass
class _Path:
    label: str
    uses: tuple[str, ...]
    variants: dict[str, list[float]]
    color: str
    notes: dict[str, str]


class SliderFigure:
    """A 2-D figure whose paths change with sliders; display it as the cell's last line."""

    def __init__(self, sliders: dict[str, Sequence[float]], *, xlim: tuple[float, float],
                 ylim: tuple[float, float], defaults: dict[str, float] | None = None,
                 labels: dict[str, str] | None = None, title: str = "",
                 xlabel: str = "", ylabel: str = "", equal_aspect: bool = True):
        if not sliders:
            raise ValueError("a SliderFigure needs at least one slider")
        self.sliders = {name: [float(v) for v in values] for name, values in sliders.items()}
        for name, values in self.sliders.items():
            if not values:
                raise ValueError(f"slider {name!r} has no values")
        defaults = defaults or {}
        unknown = set(defaults) - set(self.sliders)
        if unknown:
            raise ValueError(f"defaults for unknown sliders {sorted(unknown)}; "
                             f"sliders are {list(self.sliders)}")
        self.defaults = {}
        for name, values in self.sliders.items():
            value = defaults.get(name, values[len(values) // 2])
            if float(value) not in values:
                raise ValueError(f"default {name}={value} is not one of its values {values}")
            self.defaults[name] = values.index(float(value))
        self.labels = {name: (labels or {}).get(name, name) for name in self.sliders}
        self.xlim, self.ylim = tuple(map(float, xlim)), tuple(map(float, ylim))
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.equal_aspect = equal_aspect
        self._contours: list[list[float]] = []
        self._paths: list[_Path] = []
        self._markers: list[dict] = []

    def contours(self, xs, ys, z, levels: int | Sequence[float] = 20) -> None:
        """Contour lines of z (shape (len(ys), len(xs))) as the background."""
        import contourpy

        z = np.asarray(z, dtype=float)
        if z.shape != (len(ys), len(xs)):
            raise ValueError(f"z has shape {z.shape}, expected (len(ys), len(xs)) = "
                             f"{(len(ys), len(xs))}")
        if isinstance(levels, int):
            levels = np.linspace(np.nanmin(z), np.nanmax(z), levels + 2)[1:-1]
        generator = contourpy.contour_generator(np.asarray(xs, float), np.asarray(ys, float), z)
        for level in levels:
            for line in generator.lines(float(level)):
                self._contours.append(_flat(line))

    def marker(self, x: float, y: float, label: str = "", shape: str = "star") -> None:
        """A fixed point (a minimum, a start) drawn as a star or a dot."""
        if shape not in ("star", "dot"):
            raise ValueError(f"marker shape must be 'star' or 'dot', got {shape!r}")
        self._markers.append({"x": _round(x), "y": _round(y), "label": label, "shape": shape})

    def path(self, label: str, fn: Callable[..., np.ndarray], *, color: str | None = None,
             note: Callable[[np.ndarray], str] | None = None) -> None:
        """A path computed by fn for every combination of the sliders it names.

        fn's parameter names must be slider names; it returns an array of
        shape (steps, 2). note, if given, turns a path into a short text
        shown next to its label (e.g. the final loss).
        """
        uses = tuple(inspect.signature(fn).parameters)
        unknown = [u for u in uses if u not in self.sliders]
        if unknown:
            raise ValueError(f"path {label!r}: parameters {unknown} are not sliders "
                             f"(sliders: {list(self.sliders)})")
        variants, notes = {}, {}
        for combo in itertools.product(*(range(len(self.sliders[u])) for u in uses)):
            values = {u: self.sliders[u][i] for u, i in zip(uses, combo)}
            points = np.asarray(fn(**values), dtype=float)
            if points.ndim != 2 or points.shape[1] != 2:
                raise ValueError(f"path {label!r} at {values}: expected an array of shape "
                                 f"(steps, 2), got {points.shape}")
            key = ",".join(map(str, combo))
            variants[key] = _flat(_until_divergence(points))
            if note is not None:
                notes[key] = note(points)
        color = color or COLORS[len(self._paths) % len(COLORS)]
        self._paths.append(_Path(label, uses, variants, color, notes))

    # ------------------------------------------------------------ output

    def data(self) -> dict:
        """Everything the page's script needs, as plain JSON data."""
        return {
            "title": self.title, "xlabel": self.xlabel, "ylabel": self.ylabel,
            "xlim": self.xlim, "ylim": self.ylim, "equalAspect": self.equal_aspect,
            "sliders": [{"name": n, "label": self.labels[n], "values": v,
                         "default": self.defaults[n]} for n, v in self.sliders.items()],
            "contours": self._contours,
            "markers": self._markers,
            "paths": [dataclasses.asdict(p) for p in self._paths],
        }

    def _repr_html_(self) -> str:
        payload = json.dumps(self.data(), separators=(",", ":"), allow_nan=False)
        # "</" must not end the script element early
        payload = payload.replace("</", "<\\/")
        still = base64.b64encode(self._still_png()).decode()
        alt = html.escape(f"{self.title}: default setting "
                          + ", ".join(f"{self.labels[n]} = {v[self.defaults[n]]:g}"
                                      for n, v in self.sliders.items()))
        return (
            '<div class="slider-figure">'
            f'<script type="application/json" class="slider-figure-data">{payload}</script>'
            f'<img class="slider-figure-still" alt="{alt}" src="data:image/png;base64,{still}">'
            '<p class="slider-figure-hint">A still of the default setting: on the course '
            'website this figure has sliders.</p>'
            '</div>')

    def _still_png(self) -> bytes:
        """The default setting drawn by matplotlib, for places without the page script."""
        import matplotlib
        import matplotlib.pyplot as plt

        with matplotlib.rc_context({"figure.dpi": 80}):
            fig, ax = plt.subplots(figsize=(6, 4.5))
        for line in self._contours:
            ax.plot(line[0::2], line[1::2], color="#bbbbbb", lw=0.6)
        for p in self._paths:
            key = ",".join(str(self.defaults[u]) for u in p.uses)
            pts = p.variants[key]
            ax.plot(pts[0::2], pts[1::2], color=p.color, lw=1.4, label=p.label)
        for m in self._markers:
            ax.plot(m["x"], m["y"], "k*" if m["shape"] == "star" else "ko", ms=8)
        ax.set(xlim=self.xlim, ylim=self.ylim, title=self.title, xlabel=self.xlabel,
               ylabel=self.ylabel)
        if self.equal_aspect:
            ax.set_aspect("equal")
        ax.legend(fontsize=8, loc="lower right")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", bbox_inches="tight")
        plt.close(fig)
        return buffer.getvalue()


def _round(x: float) -> float:
    if x == 0 or not math.isfinite(x):
        return 0.0
    return round(float(x), DIGITS - 1 - int(math.floor(math.log10(abs(x)))))


def _flat(points: np.ndarray) -> list[float]:
    """[x0, y0, x1, y1, ...] rounded to DIGITS significant digits."""
    return [_round(v) for v in np.asarray(points, float).reshape(-1)]


def _until_divergence(points: np.ndarray) -> np.ndarray:
    """The path up to (and including) its first point beyond CLIP or not finite."""
    bad = ~np.all(np.isfinite(points) & (np.abs(points) < CLIP), axis=1)
    if bad.any():
        first = int(np.argmax(bad))
        points = np.clip(np.nan_to_num(points[:first + 1], nan=CLIP, posinf=CLIP,
                                       neginf=-CLIP), -CLIP, CLIP)
    return points
