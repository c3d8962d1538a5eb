"""How well the hidden checks judge mistakes, known and unknown, per concept.

For each concept it reports, on the hidden cases of several grading seeds:

- catalogued mistakes (autograder/judge/<concept>.py): caught, and named by
  their own hint;
- the held-out set (benchmarks/heldout/, written apart from the checks and
  never used to tune them): mistakes caught on every seed, and those given a
  cause (a catalogued hint or a relation between the student's outputs and
  the expected ones); correct variants accepted;
- the time of one check: the slowest part, the reference and a failing
  mistake with its diagnosis.

Whether a named cause is the right one needs a reader: ``--causes FILE``
writes every held-out mistake with the cause it was given, beside what the
mistake really is, for review.
    .venv/bin/python benchmarks/mutations.py [--seeds 0 1 2] [--causes causes.md] [CONCEPT ...]
"""
from __future__ import annotations

import argparse
import pathlib
import sys
import time
import warnings

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import heldout  # noqa: E402

from autograder.judge import CONCEPTS, graded  # noqa: E402
from autograder.judge.core import check  # noqa: E402
from autograder.judge.feedback import CheckFailure  # noqa: E402


def as_graded(record, impl):
    """The held-out impl in the shape the part grades (its names, in order);
    a name the entry does not define is the reference's."""
    if len(record.names) == 1:
        return impl
    given = impl if isinstance(impl, tuple) else (impl,)
    by_name = {getattr(f, "__name__", ""): f for f in given}
    refs = record.reference
    if len(given) == len(record.names) and not set(record.names) <= set(by_name):
        return tuple(given)
    return tuple(by_name.get(n, r) for n, r in zip(record.names, refs))


def verdict(record, impl, seed):
    """None when the check passes, else the CheckFailure."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            check(record, impl, seed=seed)
        except CheckFailure as err:
            return err
        except Exception as err:  # the check itself broke on this entry
            return CheckFailure(f"the check failed to run: {type(err).__name__}: {err}")
    return None


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("concepts", nargs="*", default=list(CONCEPTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--causes", type=pathlib.Path)
    args = parser.parse_args()
    rows, review = [], []
    head = (f"{'concept':<15}{'catalogued':>12}{'named':>7}{'held-out':>10}{'caught':>8}"
            f"{'given a cause':>15}{'right':>7}{'accepted':>10}{'slowest check (s)':>19}")
    for concept in args.concepts:
        module = __import__(f"autograder.judge.{concept}", fromlist=["GRADED"])
        records = module.GRADED
        cat = [(r, m) for r in records.values() for m in r.mistakes]
        named = sum(all((e := verdict(r, m.impl, s)) is not None and e.diagnosis == m.hint
                        for s in args.seeds) for r, m in cat)
        wrong = [w for w in heldout.load(concept).WRONG]
        right = [r for r in heldout.load(concept).RIGHT]
        caught = cause = 0
        for w in wrong:
            record = graded(w.part)
            results = [verdict(record, as_graded(record, w.impl), s) for s in args.seeds]
            if all(r is not None for r in results):
                caught += 1
                first = results[0]
                cause += bool(first.diagnosis)
                review.append((concept, w, first))
            else:
                review.append((concept, w, None))
        accepted = sum(all(verdict(graded(r.part), as_graded(graded(r.part), r.impl), s) is None
                           for s in args.seeds) for r in right)
        slowest = 0.0
        for record in records.values():
            slowest = max(slowest, timed(lambda: verdict(record, record.reference, 0)))
            for m in record.mistakes[:3]:
                slowest = max(slowest, timed(lambda: verdict(record, m.impl, 0)))
        rows.append((concept, len(cat), named, len(wrong), caught, cause, len(right), accepted,
                     slowest))
    print(head)
    for c, n_cat, named, n_w, caught, cause, n_r, acc, slow in rows:
        print(f"{c:<15}{n_cat:>12}{named:>7}{n_w:>10}{caught:>8}{cause:>15}{n_r:>7}{acc:>10}"
              f"{slow:>19.3f}")
    t = [sum(r[i] for r in rows) for i in range(1, 8)]
    print(f"{'all':<15}{t[0]:>12}{t[1]:>7}{t[2]:>10}{t[3]:>8}{t[4]:>15}{t[5]:>7}{t[6]:>10}")
    if t[2]:
        print(f"held-out caught on every seed: {t[3] / t[2]:.0%}; of those, given a cause: "
              f"{t[4] / max(t[3], 1):.0%}; correct variants accepted: {t[6] / max(t[5], 1):.0%}")
    missed = [(c, w) for c, w, e in review if e is None]
    for c, w in missed:
        print(f"  missed: {c} {w.part} {w.name} ({w.cls}): {w.why}")
    if args.causes:
        lines = ["| part | mistake | what it is | cause given |", "|---|---|---|---|"]
        for c, w, e in review:
            given = "(not caught)" if e is None else (e.diagnosis or "(none)")
            lines.append(f"| {w.part} | {w.name} | {w.why} | {given.replace('|', '/')} |")
        args.causes.write_text("\n".join(lines) + "\n")
        print(f"wrote {args.causes}")


if __name__ == "__main__":
    main()
