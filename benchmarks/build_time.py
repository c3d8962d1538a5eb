"""Clean build of the website vs a rebuild with nothing changed.

Run from the repository root after `make env`:
    .venv/bin/python benchmarks/build_time.py
The clean build removes _build (executed-notebook cache included) and
builds with the CI flags; the rebuild runs the same command again, when
every notebook's execution comes from the cache and Sphinx has nothing new
to read. Both are timed in this one run and printed side by side.
"""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
FLAGS = ["-W", "-n", "--keep-going"]


def build(*extra: str) -> float:
    cmd = [str(pathlib.Path(sys.executable).parent / "jupyter-book"), "build", *FLAGS,
           *extra, str(ROOT)]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    clean = build("--all")
    rebuild = build()
    print(f"{'clean build':>22}: {clean:7.1f} s")
    print(f"{'no-change rebuild':>22}: {rebuild:7.1f} s")
    print(f"{'clean / rebuild':>22}: {clean / rebuild:7.1f} x")


if __name__ == "__main__":
    main()
