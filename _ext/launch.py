"""Where readers run the chapters: the launch targets and the install line.

One place sets them, ``_config.yml``: ``repository.url`` and
``repository.branch`` (the launch buttons open ``chapters/<page>.ipynb``
of that repository on Binder and Colab, and the install line installs the
course from it) and ``launch_buttons.jupyterhub_url`` (the JupyterHub
button; in the class edition also where students fetch assignments).

A target is a placeholder while its address names an ``example`` host or
owner (``https://hub.example.edu``, ``github.com/example-org/...``). The
open edition drops the buttons that would lead nowhere; the class edition
refuses to build (see editions.py).
"""
from __future__ import annotations

import dataclasses
import pathlib
import re
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
_PLACEHOLDER = re.compile(r"\bexample\b", re.IGNORECASE)
CHECK_COMMAND = ".venv/bin/python -m autograder.course check PATH/TO/NOTEBOOK.ipynb"


@dataclasses.dataclass(frozen=True)
class Targets:
    repository: str
    branch: str
    hub: str

    @classmethod
    def from_theme_options(cls, options: dict) -> "Targets":
        """From the html_theme_options Jupyter Book makes of _config.yml."""
        buttons = options.get("launch_buttons") or {}
        return cls(options.get("repository_url", "") or "",
                   options.get("repository_branch", "") or "main",
                   buttons.get("jupyterhub_url", "") or "")

    @classmethod
    def from_config_yml(cls, config: dict) -> "Targets":
        """From _config.yml itself (for scripts that run outside Sphinx)."""
        repository = config.get("repository") or {}
        buttons = config.get("launch_buttons") or {}
        return cls(repository.get("url", "") or "", repository.get("branch", "") or "main",
                   buttons.get("jupyterhub_url", "") or "")

    @property
    def repository_is_set(self) -> bool:
        return bool(self.repository) and not _PLACEHOLDER.search(self.repository)

    @property
    def hub_is_set(self) -> bool:
        return bool(self.hub) and not _PLACEHOLDER.search(self.hub)

    def placeholders(self) -> list[str]:
        """The settings of _config.yml that still hold a placeholder (or nothing)."""
        out = []
        if not self.repository_is_set:
            out.append(f"repository.url = {self.repository!r}")
        if not self.hub_is_set:
            out.append(f"launch_buttons.jupyterhub_url = {self.hub!r}")
        return out


def package_name(root: pathlib.Path = ROOT) -> str:
    """The course's distribution name, from pyproject.toml."""
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["name"]


# What a chapter notebook needs besides the course itself (and Jupyter).
NOTEBOOK_PACKAGES = ("numpy", "matplotlib")


def install_line(targets: Targets, root: pathlib.Path = ROOT) -> str:
    """The one command that prepares a fresh environment for any chapter notebook."""
    if targets.repository_is_set:
        source = f'"{package_name(root)} @ git+{targets.repository}@{targets.branch}"'
    else:  # no public repository configured: install from a clone
        source = CLONE
    return f"pip install {' '.join(NOTEBOOK_PACKAGES)} {source}"


CLONE = "PATH/TO/CLONE"


def how_to_run(targets: Targets, edition: str, root: pathlib.Path = ROOT) -> str:
    """Markdown telling a reader how to run a chapter notebook outside the book."""
    line = install_line(targets, root)
    where = ("" if targets.repository_is_set else
             f" ({CLONE} is a clone of the course's repository)")
    text = [
        "**Running the chapter notebooks.** Each one runs in any fresh Python 3.11+ "
        f"environment prepared with one line{where}:",
        "",
        f"    {line}",
        "",
        "PyTorch is optional: cells marked `%%requires torch` compare with it when it "
        "is installed (`pip install torch`) and are skipped otherwise.",
    ]
    if edition == "open":
        text += ["", check_paragraph()]
    return "\n".join(text)


def check_paragraph() -> str:
    """How a self-learner runs the full hidden checks on their own notebook."""
    return ("**Checking your assignment yourself.** The checks under each part of an "
            "assignment are a first test. The full hidden checks that grade it run on "
            "your own machine too: in a clone of the course's repository, run "
            "`make env` once, then\n\n"
            f"    {CHECK_COMMAND}\n")


if __name__ == "__main__":  # `python _ext/launch.py packages`, for the Makefile
    import sys

    if sys.argv[1:] != ["packages"]:
        sys.exit("usage: python _ext/launch.py packages")
    print(" ".join(NOTEBOOK_PACKAGES))
