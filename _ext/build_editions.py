"""How scripts build the book: the Makefile's command, for either edition.

The tests and benchmarks/build_time.py build the class edition without
the Makefile, so they need what it would run: the flags (read from the
Makefile's SPHINX_FLAGS line, so there is one source), the output folder
of each edition and the switch. A class edition needs real launch targets;
``config_with_targets`` writes a copy of _config.yml with stand-ins.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The edition's --path-output, as in the Makefile; the site lands in <it>/_build/html.
OUTPUT = {"open": ROOT, "class": ROOT / "_build" / "class"}
# Stand-ins for the placeholders of _config.yml, for builds that are not published.
STAND_IN_TARGETS = {"https://github.com/example-org/how-networks-learn":
                    "https://github.com/fall-course/networks",
                    "https://hub.example.edu": "https://hub.fall-course.test"}


def sphinx_flags() -> list[str]:
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("SPHINX_FLAGS :="):
            return line.split(":=", 1)[1].split()
    raise RuntimeError("no SPHINX_FLAGS line in the Makefile")


def html(edition: str) -> pathlib.Path:
    return OUTPUT[edition] / "_build" / "html"


def config_with_targets(folder: pathlib.Path, targets: dict[str, str]) -> pathlib.Path:
    """_config.yml with launch targets replaced, written into folder.

    Jupyter Book resolves local_extensions relative to the config file, so
    that path is made absolute.
    """
    text = (ROOT / "_config.yml").read_text()
    for old, new in targets.items():
        if old not in text:
            raise RuntimeError(f"_config.yml no longer contains {old}: update the stand-ins")
        text = text.replace(old, new)
    text = text.replace("course_site: _ext", f"course_site: {ROOT / '_ext'}")
    path = folder / "_config.yml"
    path.write_text(text)
    return path


def build(edition: str, *, config: pathlib.Path | None = None,
          out: pathlib.Path | None = None, flags: list[str] | None = None
          ) -> subprocess.CompletedProcess:
    """Run jupyter-book as `make site EDITION=<edition>` does."""
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    cmd = [str(jupyter_book), "build", *(sphinx_flags() if flags is None else flags),
           "--path-output", str(out or OUTPUT[edition])]
    if config is not None:
        cmd += ["--config", str(config)]
    env = dict(os.environ, COURSE_EDITION=edition, OPENBLAS_NUM_THREADS="1",
               OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.run(cmd + [str(ROOT)], cwd=ROOT, env=env, capture_output=True, text=True)
