"""Checks and known mistakes for the regularizers of chapter 6.

Penalties are graded as pairs ``(penalty, grad)``, each function in cases
of its own (the penalty first, then the gradient, on the same weights), so
a mistake in one costs only its test cell: weights with exact zeros (the
L1 kink), negative entries and a non-default lam, once in float32 and
once as integers (with a lam that is no whole number). A gradient must
keep w's float dtype (float32 stays float32, float64 for integer w), a
penalty is a float64 number, and neither may change the caller's w.
Dropout is graded as the pair ``(dropout_forward, dropout_backward)``: the
backward pass gets the student's own cache. With a given mask the outputs
are exact, in both modes and at test time, each mode in cases of its own
and each with a float32 input; out and dx must keep x's dtype, x and dout
must come back unchanged and out must be a new array. With a seeded
generator the mask is random, so those cases compare statistics (drop
rate, mean of the output over the mean of the input, and how often the
backward pass's zeros disagree with the forward pass's). A statistic
within 4 standard errors of its population value is read AS that value,
so a correct draw by any method matches the reference exactly and a wrong
one shows the measured value next to the expected one. Early stopping is
graded as ``(init, step)`` over scripted validation losses with exact
binary fractions, so ties with best - min_delta are exact; the state a
step was given is read again after the step and must not have changed.

Every grading seed draws new numbers with the same structure: weights and
lam, dropout inputs and masks, the generators' seeds, a rescaling and
shift of the loss scripts by exact binary fractions (which keeps every
comparison, ties included, as it was) and a noisy loss curve.
"""
from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Callable

import numpy as np

from autograder.driver import wire
from autograder.judge.core import Case, Graded, Mistake, Outputs, wire_type
from autograder.judge.feedback import CheckFailure, fmt_index, fmt_shape
from solutions import regularization as ref


def _readable(label: str, what: dict[str, str]) -> Callable[[Outputs], Outputs]:
    """A prepare that names what came back where a value could not cross
    the wire (a tensor, say): ``what`` says what each output should be."""
    def prepare(out: Outputs) -> Outputs:
        for key, description in what.items():
            value = out.get(key) if isinstance(out, dict) else None
            if isinstance(value, wire.Opaque):
                raise CheckFailure(f"your {key} should be {description}, got "
                                   f"{wire_type(value)} ({label})")
        return out
    return prepare


# ---------------------------------------------------------------- penalties


def _signed(rng: np.random.Generator, shape: tuple[int, ...], zeros: int) -> np.ndarray:
    """Weights with 2 decimals, 0.1 <= |w| <= 2.5, both signs present, and
    ``zeros`` entries set exactly to 0."""
    w = np.round(rng.uniform(0.1, 2.5, size=shape), 2)
    sign = rng.permutation(np.resize([-1.0, 1.0], w.size)).reshape(shape)
    w = w * sign
    w.flat[rng.choice(w.size, size=zeros, replace=False)] = 0.0
    return w


def _whole(rng: np.random.Generator) -> np.ndarray:
    """Six small whole numbers as floats: two zeros, two of each sign."""
    values = np.concatenate([[0.0, 0.0], -rng.integers(1, 4, size=2),
                             rng.integers(1, 4, size=2)]).astype(np.float64)
    return rng.permutation(values)


def _float_dtype(w: np.ndarray) -> np.dtype:
    """The dtype a gradient of w has: w's own when it is float, else float64."""
    return w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)


def _penalty_case(kind: str, which: str, label: str, w: np.ndarray, lam: float,
                  tol: str = "formula") -> Case:
    """One function of a pair (``which``: "penalty" or "grad") on one w:
    the caller's w must come back as it was, a gradient has w's float dtype
    (float64 for integer w) and a penalty is a float64 number."""
    fn = f"{kind}_{which}"
    what = ("a single number" if which == "penalty"
            else f"a numpy array of shape {fmt_shape(w.shape)}")
    readable = _readable(label, {which: what})
    want = _float_dtype(w)

    def prepare(out: Outputs) -> Outputs:
        after = out.get(f"w_after_{which}")
        if isinstance(after, np.ndarray) and after.shape == w.shape and not np.array_equal(
                after, w):
            idx = tuple(int(k) for k in np.argwhere(after != w)[0])
            raise CheckFailure(
                f"your {fn} changed its input w in place: {fmt_index('w', idx)} is "
                f"{after[idx]:g} after the call, was {w[idx]:g} ({label}); return a new "
                f"array and leave w as it was")
        readable(out)
        value, dtype = out.get(which), out.get(f"{which}_dtype")
        if which == "grad" and isinstance(value, np.ndarray) and value.dtype.kind == "f" \
                and value.dtype != want:
            raise CheckFailure(
                f"your {fn} returned {value.dtype} for {w.dtype} w, expected {want} "
                f"({label}): " + ("float32 weights keep a float32 gradient (multiply "
                                  "by lam without converting w)" if want == np.float32
                                  else f"compute it in {want}"))
        if which == "penalty" and dtype == "float32":
            raise CheckFailure(
                f"your {fn} returned a float32 number ({label}): the penalty is summed "
                f"in float64, also for float32 w (np.asarray(w, dtype=np.float64))")
        return {which: value}
    return Case(label=label, call="regularization.penalty",
                args={"w": w, "lam": lam, "which": which}, tol=tol, prepare=prepare)


def _penalty_cases_of(kind: str) -> Callable[[int], list[Case]]:
    """The cases of ``kind`` ("l1" or "l2"): the penalty on four kinds of
    weights (normal-sized with zeros, whole numbers as floats, float32,
    integer), then the gradient on the same four."""
    def cases(seed: int) -> list[Case]:
        rng = [np.random.default_rng([seed, k]) for k in range(4)]
        w0 = _signed(rng[0], (4, 5), 3)
        lam0 = round(float(rng[0].uniform(0.1, 0.5)), 2)
        w1 = _whole(rng[1])
        lam1 = int(rng[1].integers(4, 13)) / 4
        w2 = _signed(rng[2], (3, 4), 2)
        lam2 = round(float(rng[2].uniform(0.02, 0.1)), 3)
        w3 = _whole(rng[3]).astype(np.int64).reshape(2, 3)
        lam3 = (2 * int(rng[3].integers(0, 6)) + 1) / 4  # never a whole number
        whole = ", ".join(str(int(v)) for v in w1)
        inputs = [
            (f"w of shape (4, 5) with 3 exact zeros, lam={lam0:g}: "
             f"w = np.array({w0.tolist()})", w0, lam0, "formula"),
            (f"w = [{whole}] as floats, lam={lam1:g}", w1, lam1, "formula"),
            (f"float32 w of shape (3, 4) with 2 exact zeros, lam={lam2:g}: "
             f"w = np.array({w2.tolist()}, dtype=np.float32)", w2.astype(np.float32), lam2,
             "float32"),
            (f"integer w = np.array({w3.tolist()}) (dtype int64), lam={lam3:g}", w3, lam3,
             "formula"),
        ]
        return [_penalty_case(kind, which, f"{kind}_{which} of {label}", w, lam, tol)
                for which in ("penalty", "grad") for label, w, lam, tol in inputs]
    return cases


def _pair(penalty: Callable | None = None, grad: Callable | None = None,
          kind: str = "l1") -> tuple[Callable, Callable]:
    """The reference pair of ``kind`` with one of its functions replaced."""
    ref_penalty, ref_grad = getattr(ref, f"{kind}_penalty"), getattr(ref, f"{kind}_grad")
    return (penalty or ref_penalty, grad or ref_grad)


def _f64(w) -> np.ndarray:
    return np.asarray(w, dtype=np.float64)


def _l1_into_zeros_like(w, lam):
    g = np.zeros_like(w)
    g[w > 0] = lam
    g[w < 0] = -lam
    return g


def _l1_into_w(w, lam):
    np.sign(w, out=w, casting="unsafe")
    w *= lam
    return w


def _l2_into_zeros_like(w, lam):
    g = np.zeros_like(w)
    g[...] = lam * w
    return g


def _l2_into_w(w, lam):
    w *= lam
    return w


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
    Mistake("l1_grad_where_float64", "the gradient is built by np.where from Python "
            "numbers, which makes it float64 whatever w's dtype: float32 weights keep a "
            "float32 gradient (lam * np.sign(w))",
            _pair(grad=lambda w, lam: np.where(w > 0, lam, np.where(w < 0, -lam, 0.0)))),
    Mistake("l1_grad_zeros_like", "the gradient keeps an integer w's dtype "
            "(np.zeros_like(w), or .astype(w.dtype)), which cuts +-lam to whole numbers: "
            "integer weights get a float64 gradient", _pair(grad=_l1_into_zeros_like)),
    Mistake("l1_penalty_float32_sum", "the penalty of float32 weights is summed in "
            "float32: convert w to float64 before summing",
            _pair(penalty=lambda w, lam: lam * np.sum(np.abs(w)))),
    Mistake("l1_grad_in_place", "the gradient is computed into w itself (np.sign(w, "
            "out=w)), which changes the caller's weights: return a new array",
            _pair(grad=_l1_into_w)),
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
    Mistake("l2_grad_float64", "the gradient is computed in float64 whatever w's dtype "
            "(np.asarray(w, dtype=float)): float32 weights keep a float32 gradient",
            _pair(grad=lambda w, lam: lam * np.asarray(w, dtype=np.float64), kind="l2")),
    Mistake("l2_grad_zeros_like", "the gradient keeps an integer w's dtype "
            "(np.zeros_like(w), or dtype=w.dtype), which cuts lam * w to whole numbers: "
            "integer weights get a float64 gradient", _pair(grad=_l2_into_zeros_like, kind="l2")),
    Mistake("l2_penalty_float32_sum", "the penalty of float32 weights is summed in "
            "float32: convert w to float64 before summing",
            _pair(penalty=lambda w, lam: 0.5 * lam * np.sum(w * w), kind="l2")),
    Mistake("l2_grad_in_place", "the gradient is computed into w itself (w *= lam), "
            "which changes the caller's weights: return lam * w as a new array",
            _pair(grad=_l2_into_w, kind="l2")),
]


# ---------------------------------------------------------------- dropout

STAT_UNITS, STAT_VALUE = 20_000, 2.5


def _dropout_fixed(seed: int, k: int, shape: tuple[int, ...], p: float, *,
                   train: bool, mode: str | None, dtype=np.float64) -> Case:
    """One forward and one backward pass on normal x and dout and, in
    training, a given keep mask that keeps some units and drops others;
    ``mode=None`` relies on the default mode. x and dout must come back as
    they went in, out must be a new array (not x itself), and out and dx
    keep the dtype of x (float32 stays float32)."""
    rng = np.random.default_rng([seed, k])
    x = rng.normal(size=shape).astype(dtype)
    dout = rng.normal(size=shape).astype(dtype)
    keep = rng.random(shape) >= p
    while train and not 0 < keep.sum() < keep.size:
        keep = rng.random(shape) >= p
    name = f"{mode or 'inverted'}" + (" (the default mode)" if mode is None else "")
    where = (f"in training with a given mask keeping {int(keep.sum())} of {keep.size} "
             f"units" if train else "at test time (train=False)")
    kind = "float32 " if dtype == np.float32 else ""
    label = f"{name} {where}, {kind}normal x and dout of shape {fmt_shape(shape)}, p={p:g}"
    args = {"x": x, "dout": dout, "p": p, "train": train, "mode": mode,
            "mask": keep if train else None}
    array = f"a numpy array of shape {fmt_shape(shape)}"
    readable = _readable(label, {"out": array, "dx": array})
    want = np.dtype(dtype).name

    def prepare(out: Outputs) -> Outputs:
        for fn, key, before in (("dropout_forward", "x", x),
                                ("dropout_backward", "dout", dout)):
            after = out.get(f"{key}_after")
            if isinstance(after, np.ndarray) and not np.array_equal(after, before):
                idx = tuple(int(i) for i in np.argwhere(after != before)[0])
                raise CheckFailure(
                    f"your {fn} changed its input {key} in place: {fmt_index(key, idx)} "
                    f"is {after[idx]:.6g} after the call, was {before[idx]:.6g} "
                    f"({label}); compute into a new array and leave {key} as it was")
        if out.get("out_is_x"):
            raise CheckFailure(
                f"your dropout_forward returned x itself (or a view of it) as out "
                f"({label}): out is a new array, so that changing it later cannot "
                f"change x (x * scale makes one)")
        readable(out)
        for key in ("out", "dx"):
            got = out.get(f"{key}_dtype")
            if got in ("float16", "float32", "float64") and got != want:
                raise CheckFailure(
                    f"your {key} is {got} for {want} x and dout ({label}): out and dx "
                    f"keep the dtype of x" + (", float32 stays float32 (a float64 mask "
                                              "or scale array upcasts)"
                                              if want == "float32" else ""))
        return {"out": out["out"], "dx": out["dx"]}
    return Case(label=label, call="regularization.dropout_pass", args=args,
                tol="float32" if dtype == np.float32 else "formula", prepare=prepare)


def _snap(measured: float, expected: float, std_error: float) -> float:
    """The population value when ``measured`` is within 4 standard errors."""
    return expected if abs(measured - expected) <= 4 * std_error else measured


def _population(p: float, mode: str) -> tuple[dict[str, float], dict[str, float]]:
    """Population values of the statistics and their standard errors for
    means of STAT_UNITS independent draws."""
    scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
    se = math.sqrt(p * (1 - p) / STAT_UNITS)
    return ({"drop_rate": p, "mean_ratio": (1 - p) * scale},
            {"drop_rate": se, "mean_ratio": scale * se})


def _statistics(label: str, p: float, mode: str) -> Callable[[Outputs], Outputs]:
    """A prepare that reads each statistic within 4 standard errors of its
    population value as that value."""
    value, se = _population(p, mode)

    def prepare(out: Outputs) -> Outputs:
        names = (*value, "backward_zeros_differ")
        if not isinstance(out, dict) or not all(
                isinstance(out.get(n), (int, float)) for n in names):
            raise CheckFailure(f"the outputs of your dropout could not be read ({label})")
        snapped = {n: _snap(float(out[n]), value[n], se[n]) for n in value}
        return {**snapped, "backward_zeros_differ": float(out["backward_zeros_differ"])}
    return prepare


def _typical_seed(rng: np.random.Generator, p: float, mode: str) -> int:
    """A generator seed on which the reference's own draw lies within 3
    standard errors of the population values, so that a correct mask drawn
    the same way or another way both read as those values."""
    value, se = _population(p, mode)
    x = np.full(STAT_UNITS, STAT_VALUE)
    while True:
        seed = int(rng.integers(2**31))
        out, _ = ref.dropout_forward(x, p, train=True, rng=np.random.default_rng(seed),
                                     mode=mode)
        if abs(np.mean(out == 0) - value["drop_rate"]) <= 3 * se["drop_rate"]:
            return seed


def _dropout_stats(seed: int, k: int, p: float, mode: str) -> Case:
    """Drop rate, mean ratio and forward/backward agreement over many units."""
    rng_seed = _typical_seed(np.random.default_rng([seed, k]), p, mode)
    label = (f"{mode} dropout in training with rng=np.random.default_rng({rng_seed}), "
             f"p={p:g}, x of shape ({STAT_UNITS},) all {STAT_VALUE:g}; a statistic "
             f"within 4 standard errors of its expected value counts as that value")
    args = {"p": p, "mode": mode, "rng_seed": rng_seed, "units": STAT_UNITS,
            "value": STAT_VALUE}
    return Case(label=label, call="regularization.dropout_stats", args=args,
                tol="statistics", prepare=_statistics(label, p, mode))


# The cases in the order of the test cells: training with a given mask
# (inverted 0-1, classic 2-3), test time (inverted 4-5, classic 6-7), masks
# drawn from a generator (inverted 8-9, classic 10-11); each mode has a
# float32 case in the first two kinds, the default mode one of each.
def _dropout_cases(seed: int) -> list[Case]:
    f32 = np.float32
    return [
        _dropout_fixed(seed, 0, (4, 5), 0.3, train=True, mode=None),
        _dropout_fixed(seed, 1, (3, 5), 0.5, train=True, mode="inverted", dtype=f32),
        _dropout_fixed(seed, 2, (3, 4), 0.6, train=True, mode="classic"),
        _dropout_fixed(seed, 3, (2, 4), 0.25, train=True, mode="classic", dtype=f32),
        _dropout_fixed(seed, 4, (2, 5), 0.4, train=False, mode="inverted"),
        _dropout_fixed(seed, 5, (2, 3), 0.5, train=False, mode=None, dtype=f32),
        _dropout_fixed(seed, 6, (5, 2), 0.25, train=False, mode="classic"),
        _dropout_fixed(seed, 7, (3, 3), 0.6, train=False, mode="classic", dtype=f32),
        _dropout_stats(seed, 8, 0.3, "inverted"),
        _dropout_stats(seed, 9, 0.5, "inverted"),
        _dropout_stats(seed, 10, 0.6, "classic"),
        _dropout_stats(seed, 11, 0.2, "classic"),
    ]


def _dropout(*, keep_prob: Callable[[float], float] = lambda p: 1 - p,
             train_scale: Callable[[float, str], float] | None = None,
             test_scale: Callable[[float, str], float] | None = None,
             backward_mask: bool = True, backward_scale: bool = True,
             redraw: bool = False, default_mode: str = "inverted",
             float64_mask: bool = False, test_returns_x: bool = False,
             forward_in_place: bool = False,
             backward_in_place: bool = False) -> tuple[Callable, Callable]:
    """A dropout pair with one knob turned away from the reference."""
    train_scale = train_scale or (lambda p, mode: 1 / (1 - p) if mode == "inverted" else 1.0)
    test_scale = test_scale or (lambda p, mode: 1.0 if mode == "inverted" else 1 - p)

    def forward(x, p, *, train=True, rng=None, mask=None, mode=default_mode):
        x = np.asarray(x)
        if not train:
            scale = test_scale(p, mode)
            if test_returns_x and scale == 1.0:
                return x, (None, scale, None, p)
            return x * scale, (None, scale, None, p)
        keep = mask.copy() if mask is not None else rng.random(x.shape) < keep_prob(p)
        if float64_mask:
            keep = keep.astype(np.float64)
        scale = train_scale(p, mode)
        cache = (keep, scale, rng if redraw else None, p)
        if forward_in_place:
            x[keep == 0] = 0
            x *= scale
            return x, cache
        return x * keep * scale, cache

    def backward(dout, cache):
        keep, scale, rng, p = cache
        if keep is None:
            return dout * scale
        if rng is not None:  # draws a fresh mask instead of reusing the forward one
            keep = rng.random(dout.shape) >= p
        if backward_in_place:
            dout[keep == 0] = 0
            dout *= scale
            return dout
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
    Mistake("dropout_default_classic", "called without mode, your dropout works in "
            "classic mode: the default is mode='inverted'", _dropout(default_mode="classic")),
    Mistake("dropout_float64_mask", "the mask is a float64 array (mask.astype(float)), "
            "which turns a float32 x into a float64 out and dx: multiply by the boolean "
            "mask, or cast it to the dtype of x", _dropout(float64_mask=True)),
    Mistake("dropout_test_returns_x", "at test time inverted dropout returns x itself: "
            "return a new array (x * 1.0, or x.copy()) so that changing out cannot change "
            "x", _dropout(test_returns_x=True)),
    Mistake("dropout_masks_x_in_place", "the forward pass masks x in place (x[~keep] = "
            "0), which changes the caller's x: compute out = x * keep * scale as a new "
            "array", _dropout(forward_in_place=True)),
    Mistake("dropout_backward_in_place", "the backward pass masks dout in place, which "
            "changes the caller's dout: compute dx = dout * keep * scale as a new array",
            _dropout(backward_in_place=True)),
]


# ---------------------------------------------------------------- early stopping

NAN = float("nan")
# (losses, patience, min_delta): plateaus that tie with best (min_delta 0),
# a loss exactly min_delta below best, patience 1, NaN losses (the last
# script starts with one, so best stays inf; neither has a tie, which the
# first two cells grade); None is the noisy curve drawn from the seed. All values are exact binary fractions. The test cells:
# patience and the default min_delta 0 and 2, min_delta > 0 1 and 3, NaN 4
# and 5.
SCRIPTS: list[tuple[list[float] | None, int, float | None]] = [
    ([1.0, 0.75, 0.75, 0.875, 0.5, 0.5, 0.625, 0.75, 0.375, 0.5, 0.5, 0.5, 0.625], 3, None),
    ([1.0, 0.875, 0.75, 0.75, 0.625, 0.5625, 0.5, 0.5, 0.25, 0.25, 0.25], 2, 0.125),
    ([2.0, 1.5, 1.75, 1.25, 1.25, 1.0], 1, 0.0),
    (None, 4, 0.01),
    ([1.0, NAN, 0.875, NAN, NAN, 0.75], 2, 0.0),
    ([NAN, 1.0, NAN, 0.875, 1.0, NAN], 2, 0.0),
]


def _stopping_prepare(label: str) -> Callable[[Outputs], Outputs]:
    """``stop`` must be a bool and each state field a number at every step;
    both become float arrays, step first."""
    def prepare(out: Outputs) -> Outputs:
        stops = out.get("stop") if isinstance(out, dict) else None
        fields = out.get("state") if isinstance(out, dict) else None
        if not isinstance(stops, list) or not isinstance(fields, dict):
            raise CheckFailure(f"the outputs of your early stopping could not be read ({label})")
        for k, stop in enumerate(stops):
            if not isinstance(stop, (bool, np.bool_)):
                raise CheckFailure(f"your stop should be True or False, got "
                                   f"{wire_type(stop)} at step {k} ({label})")
        changed = out.get("changed")
        if isinstance(changed, dict):
            raise CheckFailure(
                f"your early_stopping_step changed the state it was given at step "
                f"{changed.get('step')}: its field {changed.get('field')!r} went from "
                f"{changed.get('before')!r} to {changed.get('after')!r} ({label}); return "
                f"a new state (state._replace(...)) and leave the old one as it was")
        state = {}
        for name, values in fields.items():
            for k, value in enumerate(values if isinstance(values, list) else [values]):
                if not isinstance(value, float):
                    raise CheckFailure(f"your state field {name!r} should hold one number "
                                       f"at every step, got {wire_type(value)} at step {k} "
                                       f"({label})")
            state[name] = np.array(values, dtype=np.float64)
        return {"stop": np.array(stops, dtype=np.float64), "state": state}
    return prepare


def _number(v: float) -> str:
    return repr(float(v))


def _stopping_case(losses: list[float], patience: int, min_delta: float | None) -> Case:
    text = ", ".join(_number(v) for v in losses)
    delta = "default min_delta" if min_delta is None else f"min_delta={_number(min_delta)}"
    label = (f"val losses [{text}], patience={patience}, {delta} (step k is the "
             f"(k+1)-th loss)")
    args = {"losses": list(losses), "patience": patience, "min_delta": min_delta,
            "fields": ref.EarlyStopping._fields}
    return Case(label=label, call="regularization.early_stopping", args=args,
                leading="step", prepare=_stopping_prepare(label))


def _noisy_curve(rng: np.random.Generator, min_delta: float) -> list[float]:
    """14 losses of 4 decimals decaying like 1 / (1 + rate t), with noise; no
    two of them differ by min_delta up to rounding, so that every correct way
    of writing the test (loss < best - d, best - loss > d, ...) agrees."""
    while True:
        rate, noise = rng.uniform(0.2, 0.4), rng.normal(size=14)
        losses = np.round(1.0 / (1 + rate * np.arange(14)) + 0.03 * noise, 4)
        gaps = np.abs(np.subtract.outer(losses, losses) - min_delta)
        if gaps.min() > 1e-7:
            return [float(v) for v in losses]


def _stopping_cases(seed: int) -> list[Case]:
    """The scripts, each rescaled by a/4 and shifted by b/8 (exact, so every
    comparison and tie stays), and a noisy decreasing curve."""
    cases = []
    for k, (losses, patience, min_delta) in enumerate(SCRIPTS):
        rng = np.random.default_rng([seed, k])
        if losses is None:
            losses = _noisy_curve(rng, min_delta)
        else:
            a, b = int(rng.integers(3, 11)) / 4, int(rng.integers(0, 17)) / 8
            losses = [a * v + b for v in losses]
            min_delta = None if min_delta is None else a * min_delta
        cases.append(_stopping_case(losses, patience, min_delta))
    return cases


def _stopping(*, late: bool = False, use_delta: bool = True, reset: bool = True,
              tie_counts: bool = False, first_bad: bool = False,
              best_step_before: bool = False, delta_sign: float = -1.0,
              best_is_minimum: bool = False, nan: str = "bad") -> tuple[Callable, Callable]:
    """An early-stopping pair with one knob turned away from the reference;
    ``nan`` is what a NaN loss does: "bad" (a step without improvement, as
    it should), "improves", "stops" (at once) or "skipped" (not counted)."""
    def step(state, val_loss, *, patience, min_delta=0.0):
        delta = min_delta if use_delta else 0.0
        target = state.best + delta_sign * delta
        n = state.step + 1
        if math.isnan(val_loss) and nan == "skipped":
            return False, state
        if math.isnan(val_loss) and nan == "stops":
            return True, state._replace(step=n, bad_steps=state.bad_steps + 1)
        if nan == "improves":
            improved = not val_loss >= target
        else:
            improved = val_loss <= target if tie_counts else val_loss < target
        if improved:
            new = ref.EarlyStopping(best=float(val_loss),
                                    best_step=state.step if best_step_before else n,
                                    step=n, bad_steps=0 if reset else state.bad_steps)
        else:
            best = min(state.best, float(val_loss)) if best_is_minimum else state.best
            new = state._replace(best=best, step=n, bad_steps=state.bad_steps + 1)
        if first_bad:
            return not improved, new
        return (new.bad_steps > patience) if late else (new.bad_steps >= patience), new
    return ref.early_stopping_init, step


def _mutable_init():
    return SimpleNamespace(best=math.inf, best_step=0, step=0, bad_steps=0)


def _mutable_step(state, val_loss, *, patience, min_delta=0.0):
    """The reference's rule, written into the state it was given."""
    stop, new = ref.early_stopping_step(ref.EarlyStopping(**vars(state)), val_loss,
                                        patience=patience, min_delta=min_delta)
    vars(state).update(new._asdict())
    return stop, state


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
    Mistake("stopping_delta_added", "the test is val_loss < best + min_delta; an "
            "improvement must be below best - min_delta", _stopping(delta_sign=1.0)),
    Mistake("stopping_best_is_minimum", "best follows every loss below it, also one "
            "that misses best - min_delta: best and best_step change only on an "
            "improvement", _stopping(best_is_minimum=True)),
    Mistake("stopping_nan_improves", "a NaN loss counts as an improvement (not loss >= "
            "best - min_delta is True for NaN): NaN never improves",
            _stopping(nan="improves")),
    Mistake("stopping_nan_stops", "a NaN loss stops training at once; it is one more "
            "step without improvement, and stop waits for patience of them",
            _stopping(nan="stops")),
    Mistake("stopping_nan_skipped", "a NaN loss is skipped (the step is not counted); "
            "it is a step like the others, one without improvement",
            _stopping(nan="skipped")),
    Mistake("stopping_state_in_place", "the step changes the state it was given in "
            "place: return a new state (state._replace(...)) and leave the old one as "
            "it was", (_mutable_init, _mutable_step)),
]


# ---------------------------------------------------------------- the table

GRADED: dict[str, Graded] = {
    "l1": Graded(name="l1", reference=(ref.l1_penalty, ref.l1_grad),
                 names=("l1_penalty", "l1_grad"), cases=_penalty_cases_of("l1"),
                 mistakes=tuple(L1_MISTAKES), allow_float32=True),
    "l2": Graded(name="l2", reference=(ref.l2_penalty, ref.l2_grad),
                 names=("l2_penalty", "l2_grad"), cases=_penalty_cases_of("l2"),
                 mistakes=tuple(L2_MISTAKES), allow_float32=True),
    "dropout": Graded(name="dropout", reference=(ref.dropout_forward, ref.dropout_backward),
                      names=("dropout_forward", "dropout_backward"), cases=_dropout_cases,
                      mistakes=tuple(DROPOUT_MISTAKES), allow_float32=True),
    "early_stopping": Graded(
        name="early_stopping", reference=(ref.early_stopping_init, ref.early_stopping_step),
        names=("early_stopping_init", "early_stopping_step"), cases=_stopping_cases,
        mistakes=tuple(EARLY_STOPPING_MISTAKES)),
}
