"""Checks and known mistakes for the regularizers of chapter 6.

Penalties are graded as pairs ``(penalty, grad)`` on weights with exact
zeros (the L1 kink), negative entries and a non-default lam, once in
float32. Dropout is graded as the pair ``(dropout_forward,
dropout_backward)``: the backward pass gets the student's own cache. With
a fixed mask the outputs are exact, in both modes and at test time; with
a seeded generator the mask is random, so those cases report statistics
(drop rate, mean of the output over the mean of the input, and how often
the backward pass's zeros disagree with the forward pass's). A statistic
within 4 standard errors of its population value is reported AS that
value, so a correct draw by any method matches the reference exactly and
a wrong one shows the measured value next to the expected one. Early
stopping is graded as ``(init, step)`` over scripted validation losses
with exact binary fractions, so ties with best - min_delta are exact.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from autograder.judge.compare import returned
from autograder.judge.core import Case, Graded, Mistake, Outputs
from autograder.judge.feedback import CheckFailure, fmt_shape
from autograder.judge.trajectory import state_fields
from solutions import regularization as ref

# ---------------------------------------------------------------- penalties


def _weights(shape: tuple[int, ...], seed: int, zeros: int,
             dtype=np.float64) -> np.ndarray:
    """Normal weights with ``zeros`` entries set exactly to 0."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    w.flat[rng.choice(w.size, size=zeros, replace=False)] = 0.0
    return w.astype(dtype)


def _penalty_cases() -> list[Case]:
    def case(label: str, w: np.ndarray, lam: float, tol: str = "formula") -> Case:
        def run(impl) -> Outputs:
            penalty, grad = impl
            return {"penalty": penalty(w.copy(), lam), "grad": grad(w.copy(), lam)}
        return Case(label=label, run=run, tol=tol)
    ints = np.array([-3.0, 0.0, 2.0, -1.0, 0.0, 1.0])
    return [case("w of shape (4, 5) with 3 exact zeros, lam=0.3, seed 0",
                 _weights((4, 5), 0, 3), 0.3),
            case("w = [-3, 0, 2, -1, 0, 1], lam=2.5", ints, 2.5),
            case("float32 w of shape (3, 4) with 2 exact zeros, lam=0.05, seed 2",
                 _weights((3, 4), 2, 2, np.float32), 0.05, tol="float32")]


def _pair(penalty: Callable | None = None, grad: Callable | None = None,
          kind: str = "l1") -> tuple[Callable, Callable]:
    """The reference pair of ``kind`` with one of its functions replaced."""
    ref_penalty, ref_grad = getattr(ref, f"{kind}_penalty"), getattr(ref, f"{kind}_grad")
    return (penalty or ref_penalty, grad or ref_grad)


def _f64(w) -> np.ndarray:
    return np.asarray(w, dtype=np.float64)


L1_MISTAKES = [
    Mistake("l1_grad_is_l2", "the gradient is lam * w, which belongs to the L2 "
            "penalty; the L1 gradient is lam * sign(w)",
            _pair(grad=lambda w, lam: lam * w)),
    Mistake("l1_grad_without_lam", "the gradient is sign(w) without the factor "
            "lam", _pair(grad=lambda w, lam: np.sign(w))),
    Mistake("l1_sign_zero_is_one", "a weight of exactly 0 gets gradient +lam "
            "(w >= 0 counted as positive); sign(0) is 0",
            _pair(grad=lambda w, lam: lam * np.where(w >= 0, 1.0, -1.0).astype(w.dtype))),
    Mistake("l1_penalty_halved", "the penalty has a factor 0.5; that belongs to "
            "L2 only: the L1 penalty is lam * sum(|w|)",
            _pair(penalty=lambda w, lam: 0.5 * lam * float(np.sum(np.abs(_f64(w)))))),
    Mistake("l1_penalty_no_abs", "the penalty sums w instead of |w|, so negative "
            "weights lower it", _pair(penalty=lambda w, lam: lam * float(np.sum(_f64(w))))),
]

L2_MISTAKES = [
    Mistake("l2_penalty_no_half", "the penalty is lam * sum(w**2) without the "
            "0.5 that makes its gradient lam * w",
            _pair(penalty=lambda w, lam: lam * float(np.sum(_f64(w) ** 2)), kind="l2")),
    Mistake("l2_grad_doubled", "the gradient is 2 * lam * w; with the penalty "
            "0.5 * lam * sum(w**2) it is lam * w",
            _pair(grad=lambda w, lam: 2 * lam * w, kind="l2")),
    Mistake("l2_grad_no_w", "the gradient is the constant lam; it is "
            "proportional to the weight: lam * w",
            _pair(grad=lambda w, lam: np.full_like(w, lam), kind="l2")),
    Mistake("l2_penalty_is_l1", "the penalty sums |w| (that is L1); L2 sums the "
            "squares: 0.5 * lam * sum(w**2)",
            _pair(penalty=lambda w, lam: lam * float(np.sum(np.abs(_f64(w)))), kind="l2")),
    Mistake("l2_penalty_norm", "the penalty uses the norm ||w|| = sqrt(sum(w**2)); "
            "it is the SQUARED norm: 0.5 * lam * sum(w**2)",
            _pair(penalty=lambda w, lam: 0.5 * lam * float(np.linalg.norm(_f64(w))),
                  kind="l2")),
]

# ---------------------------------------------------------------- dropout

STAT_UNITS = 20_000


def _dropout_fixed(label: str, shape: tuple[int, ...], p: float, seed: int, *,
                   train: bool, mode: str | None, dtype=np.float64) -> Case:
    """One forward and one backward pass on seeded x, dout and (in training)
    a fixed keep mask; ``mode=None`` relies on the default mode."""
    def run(impl) -> Outputs:
        forward, backward = impl
        rng = np.random.default_rng(seed)
        x = rng.normal(size=shape).astype(dtype)
        dout = rng.normal(size=shape).astype(dtype)
        keep = rng.random(shape) >= p
        kwargs = {} if mode is None else {"mode": mode}
        if train:
            kwargs["mask"] = keep.copy()
        out, cache = returned(forward(x.copy(), p, train=train, **kwargs),
                              "dropout_forward", "out, cache", f"({label})")
        # a backward pass that edits its cache in place must not rewrite out
        out = np.array(out, copy=True) if isinstance(out, np.ndarray) else out
        return {"out": out, "dx": backward(dout.copy(), cache)}
    return Case(label=label, run=run, tol="float32" if dtype == np.float32 else "formula")


def _snap(measured: float, expected: float, std_error: float) -> float:
    """The population value when ``measured`` is within 4 standard errors."""
    return expected if abs(measured - expected) <= 4 * std_error else measured


def _dropout_stats(p: float, mode: str, seed: int) -> Case:
    """Drop rate, mean ratio and forward/backward agreement over many units.

    x is a positive constant so that out == 0 means dropped and out / x is
    keep * scale; the standard errors are those of a mean of STAT_UNITS
    independent draws.
    """
    label = (f"{mode} dropout in training with rng=np.random.default_rng({seed}), "
             f"p={p:g}, x of shape ({STAT_UNITS},) all 2.5; a statistic within 4 "
             f"standard errors of its expected value counts as that value")

    def run(impl) -> Outputs:
        forward, backward = impl
        x = np.full(STAT_UNITS, 2.5)
        out, cache = returned(
            forward(x.copy(), p, train=True, rng=np.random.default_rng(seed), mode=mode),
            "dropout_forward", "out, cache", f"({label})")
        out = np.array(out, dtype=np.float64, copy=True)
        dx = np.asarray(backward(np.ones(STAT_UNITS), cache), dtype=np.float64)
        if out.shape != x.shape or dx.shape != x.shape:
            bad, got = ("out", out.shape) if out.shape != x.shape else ("dx", dx.shape)
            raise CheckFailure(f"your {bad} has shape {fmt_shape(got)}, expected "
                               f"{fmt_shape(x.shape)} ({label})")
        scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
        n = STAT_UNITS
        drop_rate = float(np.mean(out == 0))
        mean_ratio = float(np.mean(out) / 2.5)
        mismatch = float(np.mean((dx == 0) != (out == 0)))
        return {
            "drop_rate": _snap(drop_rate, p, math.sqrt(p * (1 - p) / n)),
            "mean_ratio": _snap(mean_ratio, (1 - p) * scale,
                                scale * math.sqrt(p * (1 - p) / n)),
            "backward_zeros_differ": mismatch,
        }
    return Case(label=label, run=run, tol="statistics")


def _dropout_cases() -> list[Case]:
    return [
        _dropout_fixed("inverted (the default mode) in training, fixed mask, x of "
                       "shape (4, 5), p=0.3, seed 0", (4, 5), 0.3, 0,
                       train=True, mode=None),
        _dropout_fixed("classic in training, fixed mask, x of shape (3, 4), p=0.6, "
                       "seed 1", (3, 4), 0.6, 1, train=True, mode="classic"),
        _dropout_fixed("inverted at test time (train=False), x of shape (2, 5), "
                       "p=0.4, seed 2", (2, 5), 0.4, 2, train=False, mode="inverted"),
        _dropout_fixed("classic at test time (train=False), x of shape (5, 2), "
                       "p=0.25, seed 3", (5, 2), 0.25, 3, train=False, mode="classic"),
        _dropout_fixed("inverted in training, fixed mask, float32 x of shape (3, 5), "
                       "p=0.5, seed 4", (3, 5), 0.5, 4, train=True, mode="inverted",
                       dtype=np.float32),
        _dropout_stats(0.3, "inverted", 5),
        _dropout_stats(0.6, "classic", 6),
    ]


def _dropout(*, keep_prob: Callable[[float], float] = lambda p: 1 - p,
             train_scale: Callable[[float, str], float] | None = None,
             test_scale: Callable[[float, str], float] | None = None,
             backward_mask: bool = True, backward_scale: bool = True,
             redraw: bool = False) -> tuple[Callable, Callable]:
    """A dropout pair with one knob turned away from the reference."""
    train_scale = train_scale or (lambda p, mode: 1 / (1 - p) if mode == "inverted" else 1.0)
    test_scale = test_scale or (lambda p, mode: 1.0 if mode == "inverted" else 1 - p)

    def forward(x, p, *, train=True, rng=None, mask=None, mode="inverted"):
        x = np.asarray(x)
        if not train:
            scale = test_scale(p, mode)
            return x * scale, (None, scale, None, p)
        keep = mask.copy() if mask is not None else rng.random(x.shape) < keep_prob(p)
        scale = train_scale(p, mode)
        return x * keep * scale, (keep, scale, rng if redraw else None, p)

    def backward(dout, cache):
        keep, scale, rng, p = cache
        if keep is None:
            return dout * scale
        if rng is not None:  # draws a fresh mask instead of reusing the forward one
            keep = rng.random(dout.shape) >= p
        return dout * (keep if backward_mask else 1.0) * (scale if backward_scale else 1.0)
    return forward, backward


DROPOUT_MISTAKES = [
    Mistake("dropout_not_rescaled", "inverted dropout must divide the kept units "
            "by 1 - p while training, so the expected output equals x",
            _dropout(train_scale=lambda p, mode: 1.0)),
    Mistake("dropout_scale_by_p", "the kept units are divided by p; p is the "
            "probability of DROPPING a unit, so the keep probability is 1 - p",
            _dropout(train_scale=lambda p, mode: 1 / p if mode == "inverted" else 1.0)),
    Mistake("dropout_keeps_with_prob_p", "units are kept with probability p; p is "
            "the probability of dropping one (keep where rng.random(shape) >= p)",
            _dropout(keep_prob=lambda p: p)),
    Mistake("dropout_backward_ignores_mask", "the backward pass does not use the "
            "mask, so dropped units get a gradient; multiply dout by the forward "
            "pass's mask", _dropout(backward_mask=False)),
    Mistake("dropout_backward_redraws_mask", "the backward pass draws a new mask; "
            "it must reuse the one the forward pass drew (keep it in the cache)",
            _dropout(redraw=True)),
    Mistake("dropout_backward_not_scaled", "the backward pass applies the mask but "
            "not the 1 / (1 - p) scale the forward pass applied",
            _dropout(backward_scale=False)),
    Mistake("dropout_inverted_scales_at_test", "inverted dropout leaves the output "
            "unchanged at test time; the (1 - p) factor belongs to classic mode",
            _dropout(test_scale=lambda p, mode: 1 - p)),
    Mistake("dropout_classic_no_test_scaling", "classic dropout must multiply by "
            "1 - p at test time, because its training outputs were not rescaled",
            _dropout(test_scale=lambda p, mode: 1.0)),
]

# ---------------------------------------------------------------- early stopping


def _stopping_case(losses: list[float], patience: int,
                   min_delta: float | None) -> Case:
    text = ", ".join(f"{v:g}" for v in losses)
    delta = "default min_delta" if min_delta is None else f"min_delta={min_delta:g}"
    full = (f"val losses [{text}], patience={patience}, {delta} (step k is the "
            f"(k+1)-th loss)")

    def run(impl) -> Outputs:
        init, step = impl
        kwargs = {"patience": patience}
        if min_delta is not None:
            kwargs["min_delta"] = min_delta
        state, stops, states = init(), [], []
        for k, loss in enumerate(losses):
            stop, state = returned(step(state, loss, **kwargs), "early_stopping_step",
                                   "stop, state", f"at step {k} ({full})")
            if not isinstance(stop, (bool, np.bool_)):
                raise CheckFailure(f"your stop should be True or False, got "
                                   f"{type(stop).__name__} at step {k} ({full})")
            stops.append(float(stop))
            try:
                states.append(state_fields(state))
            except CheckFailure as fail:
                raise CheckFailure(f"{fail.message} at step {k} ({full})") from None
        return {"stop": np.array(stops), "state": _stack(states, full)}
    return Case(label=full, run=run, leading="step")


def _stack(states: list[dict], label: str) -> dict[str, np.ndarray]:
    """One float array per state field, step first.

    Extra fields of a student's own are kept only when they are numbers:
    they are never compared, so they must not stop the check.
    """
    out = {}
    for name in states[0]:
        try:
            out[name] = np.array([float(s[name]) for s in states])
        except (TypeError, ValueError, KeyError):
            if name in ref.EarlyStopping._fields:
                raise CheckFailure(f"your state field {name!r} should hold one number "
                                   f"at every step ({label})") from None
    return out


def _stopping_cases() -> list[Case]:
    noisy = np.random.default_rng(7).normal(size=14)
    curve = [round(1.0 / (1 + 0.3 * k) + 0.03 * e, 4) for k, e in enumerate(noisy)]
    return [
        _stopping_case([1.0, 0.75, 0.75, 0.875, 0.5, 0.5, 0.625, 0.75, 0.375,
                            0.5, 0.5, 0.5, 0.625], patience=3, min_delta=None),
        _stopping_case([1.0, 0.875, 0.75, 0.75, 0.625, 0.5625, 0.5, 0.5, 0.25,
                            0.25, 0.25], patience=2, min_delta=0.125),
        _stopping_case([2.0, 1.5, 1.75, 1.25, 1.25, 1.0], patience=1,
                       min_delta=0.0),
        _stopping_case(curve, patience=4, min_delta=0.01),
        _stopping_case([1.0, float("nan"), 0.875, float("nan"), float("nan"), 0.75],
                       patience=2, min_delta=0.0),
    ]


def _stopping(*, late: bool = False, use_delta: bool = True, reset: bool = True,
              tie_counts: bool = False, first_bad: bool = False,
              best_step_before: bool = False) -> tuple[Callable, Callable]:
    """An early-stopping pair with one knob turned away from the reference."""
    def step(state, val_loss, *, patience, min_delta=0.0):
        delta = min_delta if use_delta else 0.0
        target = state.best - delta
        n = state.step + 1
        improved = val_loss <= target if tie_counts else val_loss < target
        if improved:
            new = ref.EarlyStopping(best=float(val_loss),
                                    best_step=state.step if best_step_before else n,
                                    step=n, bad_steps=0 if reset else state.bad_steps)
        else:
            new = state._replace(step=n, bad_steps=state.bad_steps + 1)
        if first_bad:
            return not improved, new
        return (new.bad_steps > patience) if late else (new.bad_steps >= patience), new
    return ref.early_stopping_init, step


EARLY_STOPPING_MISTAKES = [
    Mistake("stopping_one_late", "training stops when bad_steps > patience, one "
            "step late: stop once bad_steps >= patience", _stopping(late=True)),
    Mistake("stopping_min_delta_ignored", "min_delta is ignored: an improvement "
            "must beat best - min_delta, not just best", _stopping(use_delta=False)),
    Mistake("stopping_bad_steps_not_reset", "bad_steps is not reset to 0 when the "
            "loss improves, so it counts every bad step instead of the ones in a row",
            _stopping(reset=False)),
    Mistake("stopping_tie_improves", "a loss equal to best - min_delta counts as an "
            "improvement (<=); it must be strictly lower (<)", _stopping(tie_counts=True)),
    Mistake("stopping_first_bad_step", "training stops at the first step without "
            "improvement; it should wait for `patience` of them in a row",
            _stopping(first_bad=True)),
    Mistake("stopping_best_step_off_by_one", "best_step records the step count "
            "before this step was counted; steps count from 1, so it is the new "
            "step", _stopping(best_step_before=True)),
]

# ---------------------------------------------------------------- the table

GRADED: dict[str, Graded] = {
    "l1": Graded(name="l1", reference=(ref.l1_penalty, ref.l1_grad),
                 cases=_penalty_cases, mistakes=tuple(L1_MISTAKES), allow_float32=True),
    "l2": Graded(name="l2", reference=(ref.l2_penalty, ref.l2_grad),
                 cases=_penalty_cases, mistakes=tuple(L2_MISTAKES), allow_float32=True),
    "dropout": Graded(name="dropout", reference=(ref.dropout_forward, ref.dropout_backward),
                      cases=_dropout_cases, mistakes=tuple(DROPOUT_MISTAKES),
                      allow_float32=True),
    "early_stopping": Graded(
        name="early_stopping", reference=(ref.early_stopping_init, ref.early_stopping_step),
        cases=_stopping_cases, mistakes=tuple(EARLY_STOPPING_MISTAKES)),
}
