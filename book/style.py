"""One look for every figure of the book.

Every chapter calls, once, in its first hidden cell::

    from book import style
    style.use()

After that, plain matplotlib code gets the book's look: figures drawn for
the width of the text column, fonts that stay readable there, a
colour-blind-safe palette in which successive lines also differ in their
dash pattern (paths that overlap stay visible), light grids, and SVG
output in the page (``style.use(("retina",))`` for PNG at twice the
resolution where SVG is not wanted).

A numbered figure is computed in a code cell and *glued*, then placed
with myst-nb's ``{glue:figure}`` where the text needs it::

    ```{code-cell} ipython3
    :tags: [hide-input, remove-output]

    fig, ax = plt.subplots(figsize=style.size(rows=1))
    ...
    style.glue_figure("ch-fig-name", fig)
    ```

    ```{glue:figure} ch-fig-name
    :name: ch-fig-name
    :alt: What the figure shows, in a sentence.

    **Title.** Caption, with glued numbers.
    ```

and cited from the text with ``{numref}`ch-fig-name```. The cell's tags
keep its source one click away and its (duplicate) output out of the page;
in a downloaded notebook the figure shows in the cell as usual.

Sizes: ``WIDTH`` is the width of the column in inches at which fonts
are meant to be read (a figure is never drawn wider: more panels means
more rows, see ``size``). Colours: ``COLORS`` (an ordered palette),
``LINESTYLES`` and ``MARKERS`` (for series that must be told apart
without colour).
"""
from __future__ import annotations

from cycler import cycler

# Okabe and Ito's colour-blind-safe palette (yellow left out: too pale on
# white), then two greys.
COLORS = ["#0072B2",  # blue
          "#E69F00",  # orange
          "#009E73",  # bluish green
          "#D55E00",  # vermillion
          "#CC79A7",  # reddish purple
          "#56B4E9",  # sky blue
          "#000000",  # black
          "#888888"]  # grey
# Eight distinct dash patterns: solid, dashed, dash-dot, dotted, then
# dash-dot-dot, long dash, dense dots, dash-dash-dot.
LINESTYLES = ["-", "--", "-.", ":", (0, (6, 1.5, 1, 1.5, 1, 1.5)), (0, (10, 3)),
              (0, (1, 1)), (0, (5, 1.5, 5, 1.5, 1, 1.5))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

WIDTH = 6.4        # inches; the column width the fonts are sized for
ROW_HEIGHT = 3.0   # inches per row of panels
DPI = 200          # for PNG files: fig.savefig(path, dpi=style.DPI)

RC = {
    "figure.figsize": (WIDTH, ROW_HEIGHT + 0.6),
    "figure.dpi": 100,
    # savefig at the figure's own dpi (what IPython uses for PNG output;
    # "retina" doubles it), so incidental PNGs stay small.
    "savefig.dpi": "figure",
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 11,
    "axes.titlesize": 11,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 9.5,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "#cccccc",
    "axes.prop_cycle": cycler(color=COLORS) + cycler(linestyle=LINESTYLES),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.titlepad": 5,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "scatter.marker": "o",
    "image.cmap": "viridis",
    "contour.linewidth": 0.7,
    # Text as outlines: the SVG looks the same without the fonts, and
    # stable ids: rebuilding a page gives the same file.
    "svg.fonttype": "path",
    "svg.hashsalt": "how-networks-learn",
}


def use(formats: tuple[str, ...] = ("svg",)) -> None:
    """Apply the book's matplotlib style; in IPython, show figures as ``formats``.

    Call it once, at the top of a chapter (after ``%load_ext book``).
    ``formats`` are those of IPython's inline backend: "svg" (the
    default), "png" or "retina" (PNG at twice the resolution).
    """
    import matplotlib
    import matplotlib.pyplot as plt  # noqa: F401  (activates the backend first)

    matplotlib.rcParams.update(RC)
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    if get_ipython() is not None:
        set_matplotlib_formats(*formats)


def size(rows: int = 1, *, width: float = WIDTH, row_height: float = ROW_HEIGHT) -> tuple[float, float]:
    """A figsize for ``rows`` rows of panels at the column width (inches)."""
    return (width, rows * row_height + 0.6)


def glue_figure(name: str, fig) -> None:
    """Glue ``fig`` under ``name`` for a ``{glue:figure}`` and close it.

    ``fig`` is a matplotlib figure or anything else that displays itself,
    such as a ``book.slider_figure.SliderFigure`` (numbered and captioned
    the same way).

    The figure is displayed once (so a downloaded notebook shows it in
    its cell) and closed, so the inline backend does not show it again;
    tag the cell ``remove-output`` so the page shows it only where the
    ``{glue:figure}`` directive puts it.
    """
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from book import glue

    glue(name, fig, display=True)
    if isinstance(fig, Figure):  # a SliderFigure (or other object) has nothing to close
        plt.close(fig)


__all__ = ["COLORS", "LINESTYLES", "MARKERS", "WIDTH", "ROW_HEIGHT", "DPI", "RC",
           "use", "size", "glue_figure"]
