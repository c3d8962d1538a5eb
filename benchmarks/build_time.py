"""Build times of the two editions, side by side.

Run from the repository root after `make env` (and `make release`):
    .venv/bin/python benchmarks/build_time.py
Every build uses the Makefile's flags (SPHINX_FLAGS, which include --all,
so a rebuild re-reads every page and takes every notebook's outputs from
the executed-notebook cache). In order:

1. open, clean: _build removed (cache included), every notebook executed;
2. open, no change: the same command again;
3. class, clean output: _build/class removed, the cache the open edition
   filled is reused (how `make test` builds it);
4. class, no change: the same command again;
5. class, from nothing: _build removed, so the class edition executes
   every notebook itself.

Goals: a clean build within 3 minutes, a no-change rebuild within 15 s.
The class edition uses stand-in launch targets (it refuses placeholders).
"""
from __future__ import annotations

import pathlib
import shutil
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import build_editions  # noqa: E402

CLEAN_GOAL, REBUILD_GOAL = 180.0, 15.0


def timed(edition: str, config: pathlib.Path | None) -> float:
    start = time.perf_counter()
    done = build_editions.build(edition, config=config)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{edition} edition: the build failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return elapsed


def main() -> None:
    config = build_editions.config_with_targets(pathlib.Path(tempfile.mkdtemp()),
                                                build_editions.STAND_IN_TARGETS)
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    open_clean = timed("open", None)
    open_again = timed("open", None)
    shutil.rmtree(build_editions.OUTPUT["class"], ignore_errors=True)
    class_clean = timed("class", config)
    class_again = timed("class", config)
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    class_alone = timed("class", config)
    timed("open", None)  # leave both editions built, as `make test` expects

    def verdict(seconds: float, goal: float) -> str:
        return "ok" if seconds <= goal else f"over the {goal:.0f} s goal"

    print(f"{'':>30} {'open':>8} {'class':>8}")
    print(f"{'clean build':>30} {open_clean:7.1f}s {class_alone:7.1f}s   "
          f"open {verdict(open_clean, CLEAN_GOAL)}, class {verdict(class_alone, CLEAN_GOAL)}")
    print(f"{'clean output, cache warm':>30} {'':>8} {class_clean:7.1f}s   "
          f"(the class edition after the open one)")
    print(f"{'no-change rebuild':>30} {open_again:7.1f}s {class_again:7.1f}s   "
          f"open {verdict(open_again, REBUILD_GOAL)}, class {verdict(class_again, REBUILD_GOAL)}")


if __name__ == "__main__":
    main()
