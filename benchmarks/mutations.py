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

from autograder.judge import CONCEPTS  # noqa: E402
from autograder.judge.core import check  # noqa: E402
from autograder.judge.feedback import CheckFailure  # noqa: E402


def _module(concept: str):
    return __import__(f"autograder.judge.{concept}", fromlist=["GRADED"])


def references(concept: str) -> dict[str, object]:
    """Every graded name of the concept -> the reference's object."""
    names = {}
    for record in _module(concept).GRADED.values():
        refs = record.reference if isinstance(record.reference, tuple) else (record.reference,)
        names.update(zip(record.names, refs))
    return names


def submission(concept: str, impl, part: str) -> dict[str, object]:
    """A held-out entry as a student's notebook would hold it: every graded
    name of the concept, the entry's own functions in place of the
    reference's (matched by name: ``plateau_step_no_floor`` is its
    ``plateau_step``; a function whose name matches none takes the place
    of the entry's part's own, ``gradcheck.numerical_gradient``)."""
    names = references(concept)
    space = dict(names)
    for f in impl if isinstance(impl, tuple) else (impl,):
        own = getattr(f, "__name__", "")
        match = max((n for n in names if own.startswith(n)), key=len, default=None)
        if match is None and not isinstance(impl, tuple):
            match = part.split(".", 1)[1]
            match = match if match in names else _module(concept).GRADED[match].names[0]
        if match is not None:
            space[match] = f
    return space


def parts_of(concept: str, space: dict):
    """The graded records that use any of the entry's functions (the names
    of ``space`` that are not the reference's), with the implementation
    each grades."""
    refs = references(concept)
    changed = {n for n, f in space.items() if f is not refs[n]}
    for record in _module(concept).GRADED.values():
        if changed & set(record.names):
            objs = tuple(space[n] for n in record.names)
            yield record, objs[0] if len(objs) == 1 else objs


def judge_entry(concept: str, entry, seeds) -> tuple[bool, CheckFailure | None, bool]:
    """(caught on every seed by some part, the first failure, all parts pass
    on every seed); an entry that no graded part takes is an error, never a
    silent miss."""
    parts = list(parts_of(concept, submission(concept, entry.impl, entry.part)))
    if not parts:
        raise SystemExit(f"{concept}: held-out entry {entry.name} ({entry.part}) replaces no "
                         f"graded function")
    caught_every, first, clean = True, None, True
    for seed in seeds:
        failures = [e for record, objs in parts if (e := verdict(record, objs, seed)) is not None]
        if failures:
            clean = False
            first = first or failures[0]
        else:
            caught_every = False
    return caught_every, first, clean


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
        module = _module(concept)
        records = module.GRADED
        cat = [(r, m) for r in records.values() for m in r.mistakes]
        named = sum(all((e := verdict(r, m.impl, s)) is not None and e.diagnosis == m.hint
                        for s in args.seeds) for r, m in cat)
        wrong = [w for w in heldout.load(concept).WRONG]
        right = [r for r in heldout.load(concept).RIGHT]
        caught = cause = 0
        for w in wrong:
            ok, first, _ = judge_entry(concept, w, args.seeds)
            if ok:
                caught += 1
                cause += bool(first.diagnosis)
            review.append((concept, w, first if ok else None))
        accepted = sum(judge_entry(concept, r, args.seeds)[2] for r in right)
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
