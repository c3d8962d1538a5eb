"""What the text of assignment 5 promises, each promise exercised by the
hidden cases: realistic mistakes of each kind, caught, with the sentence
or the catalogue's hint a student reads, and only in the test cell that
grades what is wrong.

1. inputs that must occur: the threshold met with equality, a NaN
   metric, min_lr reached and cut at again, a cut of at most 1e-8, a
   cooldown of two epochs, k = 0, warmup = 0, hyperparameters left at
   their defaults;
2. contracts: plateau_step is pure (leaves the state it is given as it was,
   and gives the same state for the same state and metric); the options
   of with_warmup (start_factor) are graded, not only their default;
3. the mechanics, not an outcome: the state carried from epoch to epoch is
   compared at every epoch (the capstone's loop is graded elsewhere);
4. points: a mistake costs the cell that grades it and no other (the
   start factor, mode "max", the parts of the rule only mode "min" runs
   use, a default, warmup_cosine apart from with_warmup).
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import time
import warnings

import numpy as np
import pytest

from autograder.assignments.annealing import ASSIGNMENT
from autograder.assignments.notebook import Tests
from autograder.judge import graded
from autograder.judge.annealing import GRADED
from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from solutions import annealing as ref

SEEDS = (0, 1, 2)
CELLS = [c for c in ASSIGNMENT.cells if isinstance(c, Tests)]
HINT = {m.name: m.hint for g in GRADED.values() for m in g.mistakes}


def _cell(key: str, n: int = 0) -> Tests:
    """The n-th test cell of ``annealing.<key>``."""
    return [c for c in CELLS if c.key == f"annealing.{key}"][n]


def _failure(key, impl, *, seed=0, only=None) -> CheckFailure:
    with pytest.raises(CheckFailure) as err:
        check(GRADED[key], impl, seed=seed, only=only)
    return err.value


def _passes(key, impl, *, seed=0, only=None) -> bool:
    try:
        check(GRADED[key], impl, seed=seed, only=only)
    except CheckFailure:
        return False
    return True


# ---- a notebook: the reference's names, some replaced by a student's

def _warmup_cosine_on(with_warmup):
    """The reference's warmup_cosine written on ``with_warmup``, as in the
    student's notebook, where warmup_cosine calls the student's with_warmup."""
    def warmup_cosine(t, *, lr0, warmup, total, lr_min=0.0):
        def decay(s):
            return ref.cosine(s, lr0=lr0, total=total - warmup, lr_min=lr_min)
        return with_warmup(decay, t, warmup=warmup)
    return warmup_cosine


def _notebook(**student) -> dict:
    names = {n: getattr(ref, n) for g in GRADED.values() for n in g.names}
    names.update(student)
    if "with_warmup" in student and "warmup_cosine" not in student:
        names["warmup_cosine"] = _warmup_cosine_on(student["with_warmup"])
    return names


def _lost(namespace: dict, seed: int = 0) -> set[str]:
    """The test cells that lose their points: hidden check or visible check
    fails. A cell is named ``key:cases`` (all cases: ``key:all``)."""
    lost = set()
    for cell in CELLS:
        record = graded(cell.key)
        objects = tuple(namespace[n] for n in record.names)
        impl = objects[0] if len(objects) == 1 else objects
        name = f"{cell.key.split('.')[1]}:{'all' if cell.cases is None else cell.cases}"
        try:
            check(record, impl, only=cell.cases, seed=seed)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                params = inspect.signature(cell.visible).parameters
                cell.visible(**{p: namespace[p] for p in params})
        except (CheckFailure, AssertionError, ArithmeticError, TypeError, ValueError):
            lost.add(name)
    return lost


def test_the_reference_notebook_loses_nothing():
    for seed in SEEDS:
        assert _lost(_notebook(), seed) == set()


# ---- plateau_step written as a student might: one rule changed

def _plateau_rule(*, min_cmp=lambda m, b: m < b, max_cmp=lambda m, b: m > b,
                  max_bound=lambda best, th: best * (1 + th), tiny_cut=True, better=None):
    """A student's plateau_step with one comparison changed (or the whole
    test ``better(metric, best, threshold, mode)``); the rest as the text
    says (and written on a dict of the fields, then a PlateauState)."""
    def plateau_step(state, metric, *, mode="min", factor=0.1, patience=10,
                     threshold=1e-4, cooldown=0, min_lr=0.0):
        s = state._asdict()
        if s["best"] is None:
            better_ = not math.isnan(metric)
        elif better is not None:
            better_ = better(metric, s["best"], threshold, mode)
        elif mode == "min":
            better_ = min_cmp(metric, s["best"] * (1 - threshold))
        else:
            better_ = max_cmp(metric, max_bound(s["best"], threshold))
        s["best"], s["bad_epochs"] = ((metric, 0) if better_
                                      else (s["best"], s["bad_epochs"] + 1))
        if s["cooldown_left"] > 0:
            s["cooldown_left"] -= 1
            s["bad_epochs"] = 0
        if s["bad_epochs"] > patience:
            new = max(s["lr"] * factor, min_lr)
            if s["lr"] - new > 1e-8 or not tiny_cut:
                s["lr"] = new
            s["bad_epochs"], s["cooldown_left"] = 0, cooldown
        return ref.PlateauState(**s)
    return plateau_step


def test_a_student_plateau_rule_written_as_the_text_says_passes():
    for seed in SEEDS:
        check(GRADED["plateau"], (ref.plateau_init, _plateau_rule()), seed=seed)


# ================================================ 1. inputs that must occur

@pytest.mark.parametrize("seed", SEEDS)
def test_the_threshold_met_with_equality_is_a_bad_epoch(seed):
    """"<=" instead of "<" in mode "min", ">=" instead of ">" in mode "max":
    each caught by the run that meets the threshold exactly (cases 3 and 4,
    which the earlier runs 0-2 lacked), and named."""
    le = _plateau_rule(min_cmp=lambda m, b: m <= b)
    ge = _plateau_rule(max_cmp=lambda m, b: m >= b)
    for step, new_case, cell in ((le, 3, _cell("plateau", 0)), (ge, 4, _cell("plateau", 1))):
        impl = (ref.plateau_init, step)
        assert _passes("plateau", impl, seed=seed, only=(0, 1, 2))
        assert not _passes("plateau", impl, seed=seed, only=(new_case,))
        fail = _failure("plateau", impl, seed=seed, only=cell.cases)
        assert fail.diagnosis == HINT["plateau_improves_at_equality"]
        assert "at step 1, " in fail.message and "exactly best * (1 " in fail.message


@pytest.mark.parametrize("seed", SEEDS)
def test_the_equality_holds_however_the_rule_is_written(seed):
    """The metric at equality is the same number for best * (1 - th),
    best - best * th, metric / best and (best - metric) / best: four ways
    of writing the right rule all pass."""
    forms = [lambda m, b, th, s: s * m < s * b * (1 - s * th),
             lambda m, b, th, s: s * m < s * (b - s * b * th),
             lambda m, b, th, s: s * m / b < s * (1 - s * th),
             lambda m, b, th, s: s * (b - m) / b > th,
             lambda m, b, th, s: s * m + b * th < s * b]
    for form in forms:
        def better(metric, best, threshold, mode, form=form):
            return form(metric, best, threshold, 1 if mode == "min" else -1)
        check(GRADED["plateau"], (ref.plateau_init, _plateau_rule(better=better)), seed=seed)
    for case in GRADED["plateau"].cases(seed)[3:]:
        h, m = case.args["hyper"], case.args["metrics"]
        sign = 1 if h["mode"] == "min" else -1
        best, at = m[0], m[1]
        assert at == best * (1 - sign * h["threshold"]) == best - sign * best * h["threshold"]
        assert at / best == 1 - sign * h["threshold"]


def test_a_nan_metric_is_a_bad_epoch():
    """The test written as not (metric >= best * (1 - threshold)) lets a NaN
    through as an improvement; the run with a NaN (case 3) names it."""
    inverted = _plateau_rule(min_cmp=lambda m, b: not m >= b)
    fail = _failure("plateau", (ref.plateau_init, inverted), only=_cell("plateau").cases)
    assert fail.diagnosis == HINT["plateau_nan_improves"]
    assert fail.message.startswith("your plateau_step took the NaN metric of epoch 3 for an "
                                   "improvement: best is nan after step 3")


def test_min_lr_is_reached_and_cut_at_again():
    """A cut that would go below min_lr is skipped instead of clamped; a cut
    at min_lr that leaves the counters as they were: both named."""
    skip = next(m for m in GRADED["plateau"].mistakes if m.name == "plateau_cut_skipped_at_floor")
    fail = _failure("plateau", skip.impl)
    case = GRADED["plateau"].cases(0)[0]
    assert fail.diagnosis == skip.hint
    assert f"expected {case.args['hyper']['min_lr']:g}" in fail.message
    kept = next(m for m in GRADED["plateau"].mistakes if m.name == "plateau_kept_without_reset")
    assert _failure("plateau", kept.impl, only=_cell("plateau").cases).diagnosis == kept.hint


def test_a_cut_of_at_most_1e_8_is_skipped():
    """The eps rule only engages at tiny rates (case 3): a rule without it
    passes every other run and fails there, named."""
    no_eps = (ref.plateau_init, _plateau_rule(tiny_cut=False))
    assert _passes("plateau", no_eps, only=(0, 1, 2, 4))
    assert not _passes("plateau", no_eps, only=(3,))
    fail = _failure("plateau", no_eps, only=_cell("plateau").cases)
    assert fail.diagnosis == HINT["plateau_tiny_cut_made"] and "at step 12, lr" in fail.message


def test_a_cooldown_of_two_epochs_tells_an_off_by_one_from_no_cooldown():
    """With cooldown = 1 a cooldown that starts counting at the cut looks
    like no cooldown at all; the run with cooldown = 2 (case 3) tells them
    apart and names the right one."""
    mistakes = {m.name: m for m in GRADED["plateau"].mistakes}
    for name in ("plateau_cooldown_from_the_cut", "plateau_cooldown_ignored",
                 "plateau_cooldown_before_count", "plateau_cooldown_skips_epoch"):
        fail = _failure("plateau", mistakes[name].impl, only=_cell("plateau").cases)
        assert fail.diagnosis == mistakes[name].hint, name


def test_k_zero_is_graded():
    """k >= 0: a half-life ln 2 / k divides by zero at k = 0, and so does
    lr0 / k / (1 / k + t); the sentence names the case."""
    def half_life(t, *, lr0, k):
        return lr0 * 0.5 ** (t / (math.log(2) / k))

    def fraction(t, *, lr0, k):
        return lr0 / k / (1 / k + t)
    for key, impl in (("exponential_decay", half_life), ("inverse_time_decay", fraction)):
        assert _passes(key, impl, only=(0, 1, 2))
        text = str(_failure(key, impl))
        assert "raised ZeroDivisionError at t=0" in text and "k=0" in text, text


def test_warmup_zero_is_graded():
    """warmup = 0 means no warm-up: dividing by warmup before the branch
    raises there, and the sentence says where."""
    def divides_first(schedule, t, *, warmup, start_factor=0.0):
        done = t / warmup
        if t < warmup:
            return schedule(0) * (start_factor + (1 - start_factor) * done)
        return schedule(t - warmup)
    text = str(_failure("with_warmup", divides_first))
    assert "your with_warmup raised ZeroDivisionError at t=0" in text
    assert "warmup=0: no warm-up" in text


def test_defaults_are_graded():
    """cosine's lr_min and with_warmup's start_factor are left at their
    defaults by one case each; a wrong default fails that case only."""
    def cosine_floor(t, *, lr0, total, lr_min=1e-3):
        return ref.cosine(t, lr0=lr0, total=total, lr_min=lr_min)

    def ramp_from_tenth(schedule, t, *, warmup, start_factor=0.1):
        return ref.with_warmup(schedule, t, warmup=warmup, start_factor=start_factor)
    assert _passes("cosine", cosine_floor, only=(0, 1))
    assert "lr_min left at its default" in _failure("cosine", cosine_floor).message
    assert _passes("with_warmup", ramp_from_tenth, only=(1, 2, 3))
    assert "start_factor left at its default" in _failure("with_warmup", ramp_from_tenth).message


# ================================================ 2. contracts of the text

@dataclasses.dataclass
class _Mutable:
    lr: float
    best: float | None
    bad_epochs: int
    cooldown_left: int


def _in_place(state, metric, **hyper):
    """The right rule, written into the state it is given."""
    new = ref.plateau_step(ref.PlateauState(state.lr, state.best, state.bad_epochs,
                                            state.cooldown_left), metric, **hyper)
    state.lr, state.best, state.bad_epochs, state.cooldown_left = new
    return state


def test_a_plateau_step_that_changes_its_state_in_place_is_told_so():
    fail = _failure("plateau", (lambda lr: _Mutable(lr, None, 0, 0), _in_place))
    first = GRADED["plateau"].cases(0)[0].args["metrics"][0]
    assert fail.message.startswith(
        f"your plateau_step changed the state it was given: at step 0 its best was None "
        f"before the call and {first:g} after it")
    assert "leave the one it is given as it was" in fail.message


def test_a_dict_or_list_state_changed_in_place_is_told_so():
    fields = ref.PlateauState._fields

    def dict_step(state, metric, **hyper):
        state.update(ref.plateau_step(ref.PlateauState(**state), metric, **hyper)._asdict())
        return state

    def list_step(state, metric, **hyper):
        state[:] = ref.plateau_step(ref.PlateauState(*state), metric, **hyper)
        return state
    for impl in ((lambda lr: dict(zip(fields, (lr, None, 0, 0))), dict_step),
                 (lambda lr: [lr, None, 0, 0], list_step)):
        assert "changed the state it was given: at step 0" in _failure("plateau", impl).message


def test_the_same_rule_on_a_copy_passes():
    def copy_step(state, metric, **hyper):
        return _in_place(dataclasses.replace(state), metric, **hyper)
    for seed in SEEDS:
        check(GRADED["plateau"], (lambda lr: _Mutable(lr, None, 0, 0), copy_step), seed=seed)


def test_a_plateau_step_that_keeps_a_global_is_not_pure():
    kept = {}

    def init(lr):
        kept["best"] = None
        return ref.plateau_init(lr)

    def step(state, metric, **hyper):  # best from a global, not from the state
        new = ref.plateau_step(state._replace(best=kept["best"]), metric, **hyper)
        kept["best"] = new.best
        return new
    fail = _failure("plateau", (init, step))
    assert fail.message.startswith(
        "your plateau_step is not a pure function of its arguments: at step 0, called a "
        "second time with the same state and metric, it returned bad_epochs = 1 where "
        "the first call returned 0")


def test_the_start_factor_is_graded_beyond_its_default():
    """Four ways to get start_factor wrong, all right with the default: each
    passes cases 0-1 and fails 2-3, named."""
    wrong = [("ramp_start_factor_ignored", lambda s, t, w, f: s(0) * t / w),
             ("ramp_start_factor_added", lambda s, t, w, f: s(0) * (f + t / w)),
             ("ramp_start_factor_as_rate", lambda s, t, w, f: f + (s(0) - f) * t / w)]
    for name, ramp in wrong:
        def with_warmup(schedule, t, *, warmup, start_factor=0.0, ramp=ramp):
            if t >= warmup:
                return schedule(t - warmup)
            return ramp(schedule, t, warmup, start_factor)
        assert _passes("with_warmup", with_warmup, only=(0, 1)), name
        fail = _failure("with_warmup", with_warmup, only=(2, 3))
        assert fail.diagnosis == HINT[name], name
        assert "start_factor=" in fail.message


# ================================================ 3. mechanics, not an outcome

def test_the_state_carried_between_epochs_is_compared_at_every_epoch():
    """A plateau_step that starts its count afresh at every call (the state
    is not carried) ends at a plausible rate only by luck; it is caught at
    the first epoch whose count differs, and named."""
    def fresh(state, metric, **hyper):
        return ref.plateau_step(state._replace(bad_epochs=0), metric, **hyper)
    fail = _failure("plateau", (ref.plateau_init, fresh))
    assert fail.diagnosis == HINT["plateau_count_not_carried"]
    assert "at step 3, " in fail.message  # the second bad epoch in a row


def test_a_schedule_is_graded_at_every_step_not_at_its_ends():
    """Right at t = 0 and from `total` on, wrong in between: caught at the
    first wrong t."""
    def linear(t, *, lr0, total, lr_min=0.0):
        return lr_min + (lr0 - lr_min) * max(0.0, 1 - t / total)
    assert "at t 1, lr" in _failure("cosine", linear).message


# ================================================ 4. each cell loses its own points

def _mistake(key, name):
    return next(m.impl for m in GRADED[key].mistakes if m.name == name)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_start_factor_mistake_costs_the_start_factor_cell_only(seed):
    impl = _mistake("with_warmup", "ramp_start_factor_ignored")
    assert _lost(_notebook(with_warmup=impl), seed) == {"with_warmup:(2, 3)"}


@pytest.mark.parametrize("seed", SEEDS)
def test_warmup_zero_costs_the_default_cell_only(seed):
    def divides_first(schedule, t, *, warmup, start_factor=0.0):
        done = t / warmup
        if t < warmup:
            return schedule(0) * (start_factor + (1 - start_factor) * done)
        return schedule(t - warmup)
    assert _lost(_notebook(with_warmup=divides_first), seed) == {"with_warmup:(0, 1)"}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_warmup_cosine_mistake_costs_warmup_cosine_only(seed):
    impl = _mistake("warmup_cosine", "warm_total_after_warmup")[1]
    assert _lost(_notebook(warmup_cosine=impl), seed) == {"warmup_cosine:all"}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_wrong_default_floor_costs_the_second_cosine_cell_only(seed):
    def cosine_floor(t, *, lr0, total, lr_min=1e-3):
        return ref.cosine(t, lr0=lr0, total=total, lr_min=lr_min)
    assert _lost(_notebook(cosine=cosine_floor), seed) == {"cosine:(1, 2)"}


MAX_ONLY = {
    "ge at equality": _plateau_rule(max_cmp=lambda m, b: m >= b),
    "threshold below best": _plateau_rule(max_bound=lambda best, th: best * (1 - th)),
    "max as min": _plateau_rule(max_cmp=lambda m, b: m < b, max_bound=lambda b, th: b * (1 - th)),
}
MIN_ONLY = {
    "le at equality": _plateau_rule(min_cmp=lambda m, b: m <= b),
    "nan improves": _plateau_rule(min_cmp=lambda m, b: not m >= b),
    "tiny cut made": _plateau_rule(tiny_cut=False),
    **{name: _mistake("plateau", name)[1] for name in (
        "plateau_min_lr_ignored", "plateau_cut_skipped_at_floor", "plateau_kept_without_reset",
        "plateau_cooldown_ignored", "plateau_cooldown_from_the_cut",
        "plateau_cooldown_before_count", "plateau_cooldown_skips_epoch",
        "plateau_cooldown_keeps_count")},
}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(MAX_ONLY))
def test_a_mode_max_mistake_costs_the_max_cell_only(name, seed):
    assert _lost(_notebook(plateau_step=MAX_ONLY[name]), seed) == {"plateau:(1, 4)"}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", list(MIN_ONLY))
def test_cooldown_floor_tiny_cuts_and_nan_cost_the_min_cell_only(name, seed):
    """The max runs have no cooldown, never reach min_lr, use no tiny rates
    and no NaN: a mistake there costs the min cell only."""
    assert _lost(_notebook(plateau_step=MIN_ONLY[name]), seed) == {"plateau:(0, 2, 3)"}


# ---- timings: every cell's check, the reference and a failing mistake

def _seconds(fn, repeat=3) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            fn()
        except CheckFailure:
            pass
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("cell", CELLS, ids=[f"{c.key}:{c.cases}" for c in CELLS])
def test_every_cell_is_checked_in_under_0_2_s(cell):
    record = graded(cell.key)
    assert _seconds(lambda: check(record, record.reference, only=cell.cases)) < 0.2
    slowest = max(_seconds(lambda m=m: check(record, m.impl, only=cell.cases), repeat=2)
                  for m in record.mistakes)
    assert slowest < 0.2, slowest
