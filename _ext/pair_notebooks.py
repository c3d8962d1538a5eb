"""Write (or check) the .ipynb twin of every chapter.

The launch buttons open a chapter on Binder, Colab or a JupyterHub from
the repository; those services need a notebook, so each chapters/X.md has a
committed chapters/X.ipynb made from it: the open edition's page notebook
(page_notebooks.py: how to run it, the reference code printed in full), no
outputs, stable cell ids (so regenerating an unchanged chapter changes
nothing). A twin changes when its chapter, the reference code it prints or
the launch targets of _config.yml change.
    python _ext/pair_notebooks.py          # write
    python _ext/pair_notebooks.py --check  # exit 1 if any twin is stale
"""
from __future__ import annotations

import pathlib
import sys

import jupytext
import nbformat
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import launch  # noqa: E402
import page_notebooks  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"


def twin(md: pathlib.Path, targets: launch.Targets) -> str:
    """The notebook text for one MyST markdown chapter."""
    nb = jupytext.read(md)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"{md.stem.replace('_', '-')}-{i:03d}"
    nb = page_notebooks.page_notebook(nb, md, "open", targets, ROOT)
    return nbformat.writes(nb) + "\n"


def chapters() -> list[pathlib.Path]:
    """Chapters that are notebooks (they have code cells), not plain pages."""
    return sorted(p for p in CHAPTERS.glob("*.md") if "```{code-cell}" in p.read_text())


def main(argv: list[str]) -> int:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    targets = launch.Targets.from_config_yml(config)
    stale = []
    for md in chapters():
        path, text = md.with_suffix(".ipynb"), twin(md, targets)
        if not path.exists() or path.read_text() != text:
            stale.append(path.name)
            if "--check" not in argv:
                path.write_text(text)
    if stale:
        verb = "stale (run `make notebooks`)" if "--check" in argv else "written"
        print(f"{verb}: {', '.join(stale)}")
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
