"""The cell magic ``%%requires MODULE ...``: run a cell only where it can run.

    %%requires torch
    import torch
    ...

The cell runs unchanged when every named module can be imported; when one
cannot, the cell is skipped and says which package to install. Load it
with ``%load_ext book``.
"""
from __future__ import annotations

import importlib.util


def missing(modules: list[str]) -> list[str]:
    """The modules of the list that cannot be imported here."""
    return [m for m in modules if importlib.util.find_spec(m) is None]


def requires(line: str, cell: str):
    """Run the cell if the modules named on the magic's line are importable."""
    from IPython import get_ipython

    modules = line.split()
    if not modules:
        raise ValueError("%%requires needs at least one module name, e.g. %%requires torch")
    absent = missing(modules)
    if absent:
        names = " ".join(absent)
        print(f"Skipped: this cell needs {names}, which is not installed here "
              f"(`pip install {names}` to run it).")
        return None
    result = get_ipython().run_cell(cell)
    result.raise_error()  # an error inside the cell stops "run all" as usual
    return None


def load_ipython_extension(ipython) -> None:
    ipython.register_magic_function(requires, magic_kind="cell")
