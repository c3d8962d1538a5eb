"""One grading run's hidden cases, and the verdicts on what students sent.

A run draws its cases from its seed (chosen and recorded by the grader),
so every submission of the run meets the same inputs, a student cannot
know them in advance, and a re-grade with the recorded seed reproduces
every score. The reference's outputs are computed once per case and run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from autograder.driver import wire
from autograder.judge import graded
from autograder.judge.core import Case, OtherCase, Raised, judge_case, reference_outputs
from autograder.judge.feedback import CheckFailure


@dataclass(frozen=True)
class Verdict:
    """A part's verdict: passed, or the sentence (and cause) a student reads."""
    passed: bool
    message: str | None = None
    diagnosis: str | None = None

    def text(self) -> str:
        if self.passed:
            return ""
        return self.message + (f"\nLikely cause: {self.diagnosis}" if self.diagnosis else "")


class Session:
    def __init__(self, seed: int):
        self.seed = seed
        self._cases: dict[str, list[Case]] = {}
        self._expected: dict[tuple[str, int], Any] = {}

    def cases(self, key: str) -> list[Case]:
        if key not in self._cases:
            self._cases[key] = list(graded(key).cases(self.seed))
        return self._cases[key]

    def selected(self, key: str, only: Sequence[int] | None) -> list[int]:
        n = len(self.cases(key))
        return list(range(n)) if only is None else list(only)

    def expected(self, key: str, index: int) -> Any:
        if (key, index) not in self._expected:
            self._expected[key, index] = reference_outputs(graded(key), self.cases(key)[index])
        return self._expected[key, index]

    def plan(self, key: str, only: Sequence[int] | None) -> list[dict]:
        """The cases of one test cell as the driver takes them: plain data."""
        return [{"call": self.cases(key)[i].call, "args": wire.encode(self.cases(key)[i].args)}
                for i in self.selected(key, only)]

    def verdict(self, key: str, only: Sequence[int] | None,
                results: Sequence[dict] | None, failure: str | None = None) -> Verdict:
        """Judge the results the driver sent for one test cell's cases."""
        record = graded(key)
        indices = self.selected(key, only)
        if results is None or len(results) != len(indices):
            return Verdict(False, f"your {record.name} could not be checked: "
                                  f"{failure or 'no results came back'}")
        cases = self.cases(key)
        decoded = [_decoded(result) for result in results]
        for pos, (i, got) in enumerate(zip(indices, decoded)):
            # the part's other cases confirm (or not) a catalogued mistake
            others = [OtherCase(cases[j], decoded[q], lambda j=j: self.expected(key, j))
                      for q, j in enumerate(indices) if q != pos]
            try:
                judge_case(record, cases[i], got, self.expected(key, i), others)
            except CheckFailure as fail:
                return Verdict(False, fail.message, fail.diagnosis)
        return Verdict(True)


def _decoded(result: Any) -> Any:
    if not isinstance(result, dict):
        return Raised({"kind": "refused", "message": "an unreadable result"})
    if "error" in result:
        info = result["error"] if isinstance(result["error"], dict) else {}
        return Raised({k: str(v)[:600] if not isinstance(v, int) else v
                       for k, v in info.items() if isinstance(k, str)})
    try:
        return wire.decode(result.get("ok"))
    except wire.WireError as err:
        return Raised({"kind": "refused", "message": f"your outputs could not be read ({err})"})
