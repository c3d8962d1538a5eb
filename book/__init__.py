"""What the chapters need at run time, in the book and in a downloaded notebook.

The website executes every chapter when it is built; a reader can also
download a chapter as a notebook and run it anywhere after the install
line printed at its top. This package makes the same cells work in both
places:

- ``glue`` is myst-nb's glue while the book is built and a stand-in that
  shows the value (or nothing, for ``display=False``) elsewhere;
- ``%load_ext book`` adds the cell magic ``%%requires torch``: the cell
  runs when the package can be imported and is skipped with a note when
  it cannot (PyTorch is an optional companion of the chapters);
- ``book.slider_figure`` builds figures whose variants are computed in
  the notebook and switched by sliders in the page (see its docstring).
"""
from __future__ import annotations

from book.requires import load_ipython_extension

try:  # only present where the book is built
    from myst_nb import glue
except ImportError:
    def glue(name: str, variable, display: bool = True) -> None:
        """Outside the book a glued value is not pasted anywhere: show it or not."""
        if display:
            from IPython.display import display as show
            show(variable)

__all__ = ["glue", "load_ipython_extension"]
