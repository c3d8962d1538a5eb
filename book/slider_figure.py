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
path as an array of (x, y) points.

Paths are drawn like the book's other figures (``book.style``): the k-th
path gets the k-th colour and dash pattern of the book's cycle. A path
given a colour of the palette (``style.COLORS[j]``) gets that colour's
dash pattern (``style.LINESTYLES[j]``), as matplotlib's cycle pairs them;
``linestyle=`` (any matplotlib line style) overrides it, e.g. to match a
static figure of the chapter. The legend shows each path's colour and
dashes. Keep the data small (a few hundred
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

from book import style

DIGITS = 4  # significant digits kept in the page data
CLIP = 1e6  # coordinates beyond this are cut (a diverging run)
COLORS = style.COLORS          # the k-th path's colour and dashes, unless given
LINESTYLES = style.LINESTYLES
LINEWIDTH = 1.6               # points, as lines.linewidth in book.style


@dataclasses.dataclass
class _Path:
    label: str
    uses: tuple[str, ...]
    variants: dict[str, list[float]]
    color: str
    notes: dict[str, str]
    # the dash pattern in multiples of the line width (matplotlib's
    # lengths for the style); [] for a solid line
    dashes: list[float] = dataclasses.field(default_factory=list)


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
             note: Callable[[np.ndarray], str] | None = None,
             linestyle: str | tuple | None = None) -> None:
        """A path computed by fn for every combination of the sliders it names.

        fn's parameter names must be slider names; it returns an array of
        shape (steps, 2). note, if given, turns a path into a short text
        shown next to its label (e.g. the final loss). color and linestyle
        default to the book's cycle (see the module's docstring).
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
        k = len(self._paths)
        color = color or COLORS[k % len(COLORS)]
        if linestyle is None:
            palette = [c.lower() for c in COLORS]
            j = palette.index(color.lower()) if color.lower() in palette else k
            linestyle = LINESTYLES[j % len(LINESTYLES)]
        self._paths.append(_Path(label, uses, variants, color, notes, _dashes(linestyle)))

    # ------------------------------------------------------------ output

    def data(self) -> dict:
        """Everything the page's script needs, as plain JSON data."""
        return {
            "title": self.title, "xlabel": self.xlabel, "ylabel": self.ylabel,
            "xlim": self.xlim, "ylim": self.ylim, "equalAspect": self.equal_aspect,
            "lineWidth": LINEWIDTH,
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
            ax.plot(pts[0::2], pts[1::2], color=p.color, lw=LINEWIDTH, label=p.label,
                    ls=(0, p.dashes) if p.dashes else "-")
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


def _dashes(linestyle) -> list[float]:
    """A matplotlib line style as on-off lengths in multiples of the line width.

    Named styles take matplotlib's lengths (rcParams ``lines.*_pattern``),
    which matplotlib itself scales by the line width; so are the lengths of
    an (offset, on-off sequence) tuple. [] is a solid line.
    """
    import matplotlib

    names = {"-": "solid", "--": "dashed", "-.": "dashdot", ":": "dotted"}
    if isinstance(linestyle, str):
        name = names.get(linestyle, linestyle)
        if name in ("solid", "None", "none", "", " "):
            return []
        if name not in ("dashed", "dashdot", "dotted"):
            raise ValueError(f"unknown line style {linestyle!r}")
        return [float(v) for v in matplotlib.rcParams[f"lines.{name}_pattern"]]
    try:
        _offset, sequence = linestyle
        sequence = [float(v) for v in sequence or []]
    except (TypeError, ValueError):
        raise ValueError(f"a line style is a name or (offset, on-off sequence), "
                         f"got {linestyle!r}") from None
    if len(sequence) % 2 or any(v < 0 for v in sequence):
        raise ValueError(f"an on-off sequence has an even number of lengths >= 0, "
                         f"got {linestyle!r}")
    return sequence


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
