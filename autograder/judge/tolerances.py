"""The one table of tolerances, each with the reason for its size.

An entry's relative error is |yours - expected| / max(|yours|, |expected|,
floor): relative where the numbers are large, absolute below ``floor``,
so entries that should be zero are judged on a scale that makes sense.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    floor: float
    reason: str


TOLERANCES: dict[str, Tolerance] = {
    "formula": Tolerance(
        1e-7, 1e-10,
        "float64 evaluation of the same formula in another order: rounding "
        "differs by ~1e-16 per operation; a wrong formula is off by 1e-3 or "
        "more, so 1e-7 separates them with room on both sides"),
    "float32": Tolerance(
        1e-4, 1e-6,
        "float32 arithmetic is allowed here: 1.2e-7 rounding per operation, "
        "compounded over a few hundred operations"),
    "trajectory": Tolerance(
        1e-6, 1e-9,
        "an update rule run for many steps: rounding compounds (more so on "
        "Rosenbrock, whose gradient amplifies differences), while a "
        "convention error moves the iterate by 1e-3 or more within a few "
        "steps"),
    "schedule": Tolerance(
        1e-9, 1e-15,
        "a learning rate is a closed form of the step: only rounding "
        "differs between algebraically equal forms"),
    "numerical": Tolerance(
        1e-5, 1e-8,
        "a centered difference with h = 1e-5 has truncation error O(h^2) "
        "and cancellation error ~1e-16/h: about 1e-10 relative on smooth "
        "functions; 1e-5 leaves room for ill-conditioned entries"),
    "statistics": Tolerance(
        5e-2, 1e-3,
        "an average over random draws: 4 standard errors at the sample "
        "sizes used by the checks"),
}


def tolerance(kind: str) -> Tolerance:
    """The tolerance of one kind; a KeyError names the kinds there are."""
    try:
        return TOLERANCES[kind]
    except KeyError:
        raise KeyError(f"no tolerance {kind!r}; kinds: {sorted(TOLERANCES)}") from None
