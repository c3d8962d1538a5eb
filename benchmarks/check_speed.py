"""How long the checking core takes per graded function.

For every graded function of every concept: the time to pass the
reference (all cases) and the time to reject its first catalogued mistake
and diagnose it (the slowest path: the whole catalogue may be tried).
Printed next to the one-second budget per assignment part.
    .venv/bin/python benchmarks/check_speed.py
"""
from __future__ import annotations

import importlib
import time

from autograder.assignments import CONCEPTS
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure

BUDGET = 1.0


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def reject(graded) -> None:
    try:
        check(graded, graded.mistakes[0].impl)
    except CheckFailure:
        return
    raise AssertionError(f"{graded.name}: first mistake passed")


def main() -> None:
    print(f"{'graded function':<38}{'pass (s)':>10}{'reject+diagnose (s)':>22}{'of budget':>11}")
    worst = 0.0
    for concept in CONCEPTS:
        try:
            module = importlib.import_module(f"autograder.judge.{concept}")
        except ModuleNotFoundError:
            continue
        for name, graded in module.GRADED.items():
            ok = timed(lambda: check(graded, graded.reference))
            bad = timed(lambda: reject(graded)) if graded.mistakes else float("nan")
            worst = max(worst, ok, bad)
            print(f"{concept + '.' + name:<38}{ok:>10.3f}{bad:>22.3f}{max(ok, bad) / BUDGET:>10.0%}")
    print(f"slowest check: {worst:.3f} s = {worst / BUDGET:.0%} of the {BUDGET:.0f} s budget")


if __name__ == "__main__":
    main()
