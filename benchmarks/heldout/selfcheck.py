"""Self-check of the held-out set: is every WRONG wrong, every RIGHT right?

For each graded part there is a list of cases, inputs the assignment text
allows, plus random cases drawn from a few seeds. A case runs an impl and
returns its outputs together with what it did to its inputs (changed in
place, shared memory, advanced an rng); the same case run with the
reference (``solutions``) gives the expected outputs. An entry differs on
a case when an array has another shape or dtype, a value is off by more
than 1e-6 relative (1e-4 for float32), a bool or label differs, or one of
the two raised and the other did not. Every case runs with numpy's
overflow, divide and invalid warnings turned into errors, since the
assignments count a warning as a failure.

- A WRONG passes when at least one case differs; the first such case is
  its witness. An entry of class "inputs" must also match the reference
  on at least one case, or its mistake is not tied to a property of the
  inputs.
- A RIGHT passes when no case differs, random ones included.

Run from the repository root:

    .venv/bin/python benchmarks/heldout/selfcheck.py [-v] [CONCEPT ...]

-v prints every entry with its witness. The exit status is 1 when an
entry fails. The end of the run also trains every capstone ``train``
entry with its defaults on two draws of the spirals and prints the
validation accuracy, for reference (the grader's bar is 0.9).
"""
from __future__ import annotations

import argparse
import dataclasses
import math
import pathlib
import sys
import warnings
from collections import Counter
from functools import partial
from typing import Any, Callable

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.heldout import CLASSES, CONCEPTS, load  # noqa: E402
from solutions import annealing as ref_annealing  # noqa: E402
from solutions import backprop as ref_backprop  # noqa: E402
from solutions import capstone as ref_capstone  # noqa: E402
from solutions import gates as ref_gates  # noqa: E402
from solutions import gradcheck as ref_gradcheck  # noqa: E402
from solutions import regularization as ref_reg  # noqa: E402
from solutions import update_rules as ref_rules  # noqa: E402
from solutions.problems import quadratic, spirals  # noqa: E402

RTOL, RTOL32, ATOL = 1e-6, 1e-4, 1e-12
SEEDS = range(6)


# ------------------------------------------------------------------ outputs

class Raised:
    """An exception in place of an output."""

    def __init__(self, exc: BaseException) -> None:
        self.kind = type(exc).__name__
        self.text = str(exc).splitlines()[0][:70] if str(exc) else ""

    def __repr__(self) -> str:
        return f"raised {self.kind}({self.text})"


def guarded(fn: Callable[[], Any]) -> Any:
    """fn() with numpy warnings as errors; an exception becomes Raised."""
    try:
        with np.errstate(over="raise", divide="raise", invalid="raise"), \
                warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            return fn()
    except Exception as exc:  # noqa: BLE001 - any failure is an output
        return Raised(exc)


def num(v: Any) -> Any:
    """A scalar output as a float, or a description of what it is."""
    if isinstance(v, (bool, np.bool_)):
        return ("bool", bool(v))
    if np.ndim(v) == 0 and isinstance(v, (int, float, np.number,
                                          np.ndarray)):
        return float(v)
    return ("not a number", type(v).__name__, np.shape(v))


def typed(v: Any, kind: type) -> Any:
    """(kind name, value) when v is an instance of kind, else its type."""
    if isinstance(v, Raised):
        return v
    if isinstance(v, kind) or (kind is bool and isinstance(v, np.bool_)):
        return (kind.__name__, v if kind is not float else float(v))
    return ("type", type(v).__name__)


def fields(state: Any) -> Any:
    """A state record as a dict of its fields (NamedTuple or dataclass)."""
    if hasattr(state, "_asdict"):
        return dict(state._asdict())
    if dataclasses.is_dataclass(state):
        return {f.name: getattr(state, f.name)
                for f in dataclasses.fields(state)}
    return ("not a record", type(state).__name__)


def snap(obj: Any) -> Any:
    """A deep copy of the arrays in obj, for spotting in-place changes."""
    if isinstance(obj, np.ndarray):
        return ("array", obj.shape, obj.dtype.str, obj.copy())
    if isinstance(obj, dict):
        return {k: snap(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return tuple(snap(v) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return tuple(snap(getattr(obj, f.name))
                     for f in dataclasses.fields(obj))
    return obj


def frozen(obj: Any) -> Any:
    """obj with every array copied, so later in-place edits cannot reach
    an output that was already recorded."""
    if isinstance(obj, np.ndarray):
        return obj.copy()
    if isinstance(obj, dict):
        return {k: frozen(v) for k, v in obj.items()}
    if isinstance(obj, tuple) and not hasattr(obj, "_asdict"):
        return tuple(frozen(v) for v in obj)
    if isinstance(obj, list):
        return [frozen(v) for v in obj]
    return obj


def same(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and a and a[0] == "array":
        return (isinstance(b, tuple) and len(b) == 4 and a[1:3] == b[1:3]
                and np.array_equal(a[3], b[3], equal_nan=a[3].dtype.kind
                                   in "fc"))
    if isinstance(a, dict):
        return (isinstance(b, dict) and a.keys() == b.keys()
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, tuple):
        return (isinstance(b, tuple) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    rtol = RTOL32 if np.float32 in (a.dtype, b.dtype) else RTOL
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    nan_a, nan_b = np.isnan(a64), np.isnan(b64)
    if not np.array_equal(nan_a, nan_b):
        return False
    inf = np.isinf(a64) | np.isinf(b64)
    if not np.array_equal(a64[inf], b64[inf]):
        return False
    ok = ~(nan_a | inf)
    x, y = a64[ok], b64[ok]
    return bool(np.all(np.abs(x - y)
                       <= ATOL + rtol * np.maximum(np.abs(x), np.abs(y))))


def diff(ref: Any, got: Any, where: str = "out") -> str | None:
    """None when got matches ref, else a short description."""
    if isinstance(ref, Raised) or isinstance(got, Raised):
        if isinstance(ref, Raised) and isinstance(got, Raised) \
                and ref.kind == got.kind:
            return None
        said = {id(ref): "", id(got): ""}
        for v in (ref, got):
            said[id(v)] = repr(v) if isinstance(v, Raised) else "a result"
        return f"{where}: {said[id(got)]}, reference {said[id(ref)]}"
    # a numpy scalar and a 0-d array are the same output
    if isinstance(ref, np.generic) and not isinstance(ref, np.bool_):
        ref = np.asarray(ref)
    if isinstance(got, np.generic) and not isinstance(got, np.bool_):
        got = np.asarray(got)
    if isinstance(ref, np.ndarray) and ref.ndim == 0 \
            and isinstance(got, (int, float)) and not isinstance(got, bool):
        got = np.asarray(got, dtype=ref.dtype)
    if isinstance(got, np.ndarray) and got.ndim == 0 \
            and isinstance(ref, (int, float)) and not isinstance(ref, bool):
        ref = np.asarray(ref, dtype=got.dtype)
    if isinstance(ref, np.ndarray) or isinstance(got, np.ndarray):
        if not (isinstance(ref, np.ndarray) and isinstance(got, np.ndarray)):
            return (f"{where}: {type(got).__name__} {np.shape(got)}, "
                    f"reference {type(ref).__name__} {np.shape(ref)}")
        if ref.shape != got.shape:
            return f"{where}: shape {got.shape}, reference {ref.shape}"
        if ref.dtype != got.dtype:
            return f"{where}: dtype {got.dtype}, reference {ref.dtype}"
        if ref.dtype.kind in "fc":
            ok = _close(ref, got)
        else:
            ok = np.array_equal(ref, got)
        if ok:
            return None
        bad = np.argwhere(~np.isclose(ref.astype(float), got.astype(float),
                                      rtol=RTOL, atol=ATOL, equal_nan=True))
        at = tuple(int(k) for k in bad[0]) if len(bad) else ()
        return (f"{where}{list(at)}: {got[at] if at else got}, reference "
                f"{ref[at] if at else ref}")
    if isinstance(ref, dict) or isinstance(got, dict):
        if not (isinstance(ref, dict) and isinstance(got, dict)):
            return f"{where}: {type(got).__name__}, reference dict"
        if set(ref) != set(got):
            return f"{where}: keys {sorted(got)}, reference {sorted(ref)}"
        for k in ref:
            d = diff(ref[k], got[k], f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(ref, (tuple, list)) or isinstance(got, (tuple, list)):
        if not (isinstance(ref, (tuple, list))
                and isinstance(got, (tuple, list))):
            return f"{where}: {got!r}, reference {ref!r}"
        if len(ref) != len(got):
            return f"{where}: {len(got)} items, reference {len(ref)}"
        for i, (r, g) in enumerate(zip(ref, got)):
            d = diff(r, g, f"{where}[{i}]")
            if d:
                return d
        return None
    flags = (bool, np.bool_)
    if isinstance(ref, flags) or isinstance(got, flags):
        if isinstance(ref, flags) and isinstance(got, flags) \
                and bool(ref) == bool(got):
            return None
        return f"{where}: {got!r}, reference {ref!r}"
    numbers = (int, float, np.number)
    if isinstance(ref, numbers) and isinstance(got, numbers):
        return diff(np.array(float(ref)), np.array(float(got)), where)
    if ref is None or got is None:
        return None if ref is got else f"{where}: {got!r}, reference {ref!r}"
    return None if ref == got else f"{where}: {got!r}, reference {ref!r}"


# -------------------------------------------------------------- part cases

Case = tuple[str, Callable[[Any], Any]]   # (label, run(impl) -> outputs)


def arr(rng: np.random.Generator, *shape: int, scale: float = 1.0
        ) -> np.ndarray:
    return scale * rng.standard_normal(shape)


def ints(rng: np.random.Generator, *shape: int, low: int = -2,
         high: int = 3) -> np.ndarray:
    return rng.integers(low, high, size=shape).astype(np.float64)


# .................................................................. backprop

def _value_case(expr: Callable, point: tuple) -> Callable:
    def run(V):
        leaves = [V(float(p)) for p in point]
        root = expr(*leaves)
        root.backward()
        return (float(root.data), float(root.grad),
                [float(leaf.grad) for leaf in leaves])
    return run


def _chain(x):
    y = x
    for _ in range(200):
        y = (y * 0.97 + 0.05).tanh()
    return y


def _chain_reuse(x):
    y = x
    for _ in range(200):
        y = y + x
    return y


def _all_ops(a, b, c):
    return ((a * b).tanh() + c ** 3 / b - (a.exp() + b.log()).sigmoid()
            + (c - a).relu() + 2.5 * b ** -0.5)


VALUE_EXPRS = {
    "chapter": (lambda a, b: (a + b) * (b + 1), (2.0, 1.0)),
    "square": (lambda x: x * x, (3.0,)),
    "used_four_times": (lambda a, b: ((a * b + 1) * (a * b + 1)
                                      + 3 * (a * b + 1)) * (a * b + 1) + a,
                        (0.5, -1.5)),
    "shared_node": (lambda a, b: (lambda t: (t * t + 3 * t) * t + a)(
        a * b + 1), (0.5, -1.5)),
    "chain_200": (_chain, (0.7,)),
    "chain_reuse_200": (_chain_reuse, (0.3,)),
    "all_ops": (_all_ops, (0.3, 1.7, 1.2)),
    "relu_at_zero": (lambda z: z.relu(), (0.0,)),
    "relu_of_difference": (lambda a, b: (a - a).relu() * b + (b - a).relu(),
                           (1.25, 2.0)),
    "power_zero_exponent": (lambda x: x ** 0 + x, (0.0,)),
    "power_negative_base": (lambda x: x ** 3 + x ** 2 + x ** -2, (-1.5,)),
    "numbers_on_the_left": (lambda x: (2 - x) * (3 / x) + (2 + x) - 2 * x,
                            (1.5,)),
    "neg_and_div": (lambda a, b: -(a / b) + a / (b * b), (1.3, -0.7)),
    "sigmoid_far": (lambda x: (x * 50).sigmoid() + (x * -50).sigmoid(),
                    (1.0,)),
    "exp_log": (lambda a, b: (a.exp() * b).log(), (0.2, 3.0)),
    "mul_distinct": (lambda a, b: a * b, (2.0, 5.0)),
    "tanh_steep": (lambda a: (a * 3).tanh(), (0.8,)),
}


def value_cases(seed: int | None) -> list[Case]:
    if seed is None:
        return [(k, _value_case(e, p)) for k, (e, p) in VALUE_EXPRS.items()]
    rng = np.random.default_rng(seed)
    a, c = rng.uniform(-1, 1, 2)
    b = rng.uniform(0.5, 2.0)
    return [("all_ops_random", _value_case(_all_ops, (a, b, c))),
            ("shared_random", _value_case(VALUE_EXPRS["shared_node"][0],
                                          (a, c)))]


def _layer_run(inputs: Callable[[], tuple], n_in: int) -> Callable:
    """forward(*inputs[:n_in]) then backward(inputs[-1], cache)."""
    def run(impl):
        fwd, bwd = impl
        values = inputs()
        before = snap(values)
        out, cache = fwd(*values[:n_in])
        grads = bwd(values[-1], cache)
        return out, grads, same(before, snap(values))
    return run


def affine_cases(seed: int | None) -> list[Case]:
    def make(shape_x, M, dtype=np.float64, integer=False, s=0):
        def inputs():
            r = np.random.default_rng(s)
            D = math.prod(shape_x[1:])
            if integer:
                x = r.integers(-3, 4, size=shape_x)
                W = r.integers(-3, 4, size=(D, M))
                b = r.integers(-3, 4, size=M)
                dout = r.integers(-3, 4, size=(shape_x[0], M))
            else:
                x = r.standard_normal(shape_x).astype(dtype)
                W = r.standard_normal((D, M)).astype(dtype)
                b = r.standard_normal(M).astype(dtype)
                dout = r.standard_normal((shape_x[0], M)).astype(dtype)
            return x, W, b, dout
        return _layer_run(inputs, 3)
    if seed is not None:
        r = np.random.default_rng(100 + seed)
        shape = tuple(int(k) for k in r.integers(1, 5, size=r.integers(2, 5)))
        return [(f"random_{shape}", make(shape, int(r.integers(1, 5)),
                                         s=seed))]
    return [("2d", make((3, 4), 2)), ("square_W", make((5, 3), 3, s=1)),
            ("3d", make((2, 3, 2), 4, s=2)),
            ("4d", make((2, 2, 3, 2), 3, s=3)),
            ("integers", make((3, 4), 2, integer=True, s=4)),
            ("float32", make((3, 2, 2), 3, dtype=np.float32, s=5))]


def relu_cases(seed: int | None) -> list[Case]:
    def make(build):
        return _layer_run(build, 1)

    def whole(shape, s, dtype=np.float64, as_int=False):
        def build():
            r = np.random.default_rng(s)
            x = r.integers(-2, 3, size=shape)
            x = x if as_int else x.astype(dtype)
            return x, r.standard_normal(shape).astype(
                np.float64 if as_int else dtype)
        return build
    if seed is not None:
        def build():
            r = np.random.default_rng(200 + seed)
            return arr(r, 3, 4), arr(r, 3, 4)
        return [("random", make(build))]
    return [("zeros_2d", make(whole((2, 3), 0))),
            ("zeros_3d", make(whole((2, 3, 4), 1))),
            ("int_dtype", make(whole((3, 3), 2, as_int=True))),
            ("float32", make(whole((4, 2), 3, dtype=np.float32)))]


def mlp_cases(seed: int | None) -> list[Case]:
    def make(shape_x, H, C, s, integer=False):
        def run(impl):
            fwd, bwd = impl
            r = np.random.default_rng(s)
            D = math.prod(shape_x[1:])
            draw = (lambda *sh: r.integers(-2, 3, size=sh).astype(float)) \
                if integer else (lambda *sh: r.standard_normal(sh))
            X = draw(*shape_x)
            params = {"W1": draw(D, H), "b1": draw(H), "W2": draw(H, C),
                      "b2": draw(C)}
            dscores = r.standard_normal((shape_x[0], C))
            before = snap((X, params, dscores))
            scores, cache = fwd(X, params)
            grads = bwd(dscores, cache)
            return scores, grads, same(before, snap((X, params, dscores)))
        return run
    if seed is not None:
        return [("random", make((5, 3), 4, 2, 300 + seed))]
    return [("2d", make((4, 3), 5, 2, 0)),
            ("3d_input", make((4, 2, 3), 5, 3, 1)),
            ("square", make((5, 4), 4, 4, 2)),
            ("integer_valued", make((6, 3), 4, 3, 3, integer=True))]


# ..................................................................... gates

def _gate_run(build: Callable[[], tuple], n_in: int) -> Callable:
    def run(impl):
        fwd, bwd = impl
        values = build()
        before = snap(values)
        out, cache = fwd(*values[:n_in])
        grads = bwd(values[-1], cache)
        shared = any(isinstance(g, np.ndarray) and np.shares_memory(g, v)
                     for g in (grads if isinstance(grads, tuple) else (grads,))
                     for v in values)
        return out, grads, same(before, snap(values)), shared
    return run


def max_cases(seed: int | None) -> list[Case]:
    def fixed(x, y):
        def build():
            x_, y_ = np.array(x, dtype=float), np.array(y, dtype=float)
            return x_, y_, np.arange(1.0, 1.0 + x_.size).reshape(x_.shape)
        return _gate_run(build, 2)

    def rand(s, ties=False, big=False):
        def build():
            r = np.random.default_rng(s)
            if ties:
                x, y = ints(r, 3, 4), ints(r, 3, 4)
            else:
                x, y = arr(r, 3, 4), arr(r, 3, 4)
            if big:
                x, y = 1000 * np.sign(x) + np.round(x), 1000 * np.sign(x) + \
                    np.round(x) + r.integers(-1, 2, size=x.shape)
            return x, y, arr(r, 3, 4)
        return _gate_run(build, 2)
    if seed is not None:
        return [("random", rand(400 + seed)), ("random_ties",
                                               rand(500 + seed, ties=True))]
    return [("no_ties", fixed([[1.0, -4.0], [3.0, 2.5]], [[2.0, -5.0],
                                                         [0.0, 7.0]])),
            ("ties", fixed([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]],
                           [[1.0, 0.0, 3.0], [4.0, -1.0, 5.0]])),
            ("integer_ties", rand(1, ties=True)),
            ("around_1000", rand(2, big=True))]


def sigmoid_cases(seed: int | None) -> list[Case]:
    def make(x_fn):
        def build():
            x = x_fn()
            r = np.random.default_rng(7)
            return x, r.standard_normal(np.shape(x)).astype(
                x.dtype if x.dtype.kind == "f" else np.float64)
        return _gate_run(build, 1)
    if seed is not None:
        return [("random", make(lambda: 3 * np.random.default_rng(
            600 + seed).standard_normal((3, 4))))]
    return [("zeros", make(lambda: np.zeros(3))),
            ("random_3", make(lambda: 3 * np.random.default_rng(1)
                              .standard_normal((3, 4)))),
            ("extremes", make(lambda: np.array([-1000.0, -40.0, 0.0, 40.0,
                                                1000.0]))),
            ("wide_range", make(lambda: np.linspace(-1000, 1000, 41))),
            ("float32", make(lambda: np.random.default_rng(2)
                             .standard_normal((4, 3)).astype(np.float32) * 4)),
            ("float32_extremes", make(lambda: np.array(
                [-1000, -50, 0, 50, 1000], dtype=np.float32))),
            ("integers", make(lambda: np.array([[-3, 0, 2], [5, -1, 1]]))),
            ("3d", make(lambda: np.random.default_rng(3)
                        .standard_normal((2, 3, 2))))]


def prelu_cases(seed: int | None) -> list[Case]:
    def make(x_fn, a):
        def build():
            x = x_fn()
            r = np.random.default_rng(8)
            return x, np.array(a, dtype=float), r.standard_normal(x.shape)
        return _gate_run(build, 2)
    if seed is not None:
        r = np.random.default_rng(700 + seed)
        a = r.uniform(-1, 2, size=3)
        return [("random_per_feature", make(
            lambda: np.random.default_rng(seed).standard_normal((4, 3)), a))]
    visible = lambda: np.array([[-2.0, 0.0, 3.0], [1.0, -1.0, 0.5]])  # noqa
    zeros = lambda: ints(np.random.default_rng(1), 4, 3)  # noqa: E731
    return [("shared_visible", make(visible, 0.1)),
            ("per_feature", make(lambda: np.random.default_rng(2)
                                 .standard_normal((5, 3)), [0.2, 1.5, -0.5])),
            ("shared_above_one", make(zeros, 1.7)),
            ("shared_negative", make(zeros, -0.4)),
            ("zeros_per_feature", make(zeros, [0.3, 0.6, 0.9])),
            ("3d_per_feature", make(lambda: np.random.default_rng(3)
                                    .standard_normal((2, 3, 4)),
                                    [0.1, 2.0, -1.0, 0.5]))]


def _loss_case(build: Callable[[], tuple]) -> Callable:
    def run(fn):
        scores, *rest = build()
        before = snap(scores)
        loss, d = fn(scores, *rest)
        return num(loss), d, same(before, snap(scores))
    return run


def ce_cases(seed: int | None) -> list[Case]:
    def fixed(scores, y):
        return _loss_case(lambda: (np.array(scores, dtype=float),
                                   np.array(y)))
    if seed is not None:
        def build():
            r = np.random.default_rng(800 + seed)
            n, c = (int(k) for k in r.integers(1, 6, size=2))
            return arr(r, n, c, scale=3.0), r.integers(0, c, size=n)
        return [("random", _loss_case(build))]
    return [("zeros", fixed(np.zeros((4, 10)), [0, 3, 9, 3])),
            ("random", _loss_case(lambda: (arr(np.random.default_rng(3), 5, 4),
                                           np.array([0, 3, 1, 1, 2])))),
            ("huge", fixed([[1000.0, -1000.0, 0.0], [-500.0, 700.0, 699.0]],
                           [1, 2])),
            ("rows_far_apart", fixed([[1000.0, 999.0, 998.0],
                                      [-1000.0, -1001.0, -999.0]], [0, 2])),
            ("ties", fixed([[2.0, 2.0, 1.0], [0.0, 0.0, 0.0]], [1, 2])),
            ("one_class", fixed([[0.5], [-2.0]], [0, 0])),
            ("one_row", fixed([[0.3, -0.2, 0.9, 0.0]], [3]))]


def svm_cases(seed: int | None) -> list[Case]:
    def fixed(scores, y, *margin):
        return _loss_case(lambda: (np.array(scores, dtype=float),
                                   np.array(y), *margin))
    if seed is not None:
        def build():
            r = np.random.default_rng(900 + seed)
            n, c = (int(k) for k in r.integers(2, 6, size=2))
            return (arr(r, n, c), r.integers(0, c, size=n),
                    float(r.uniform(0.2, 2.0)))
        return [("random", _loss_case(build))]
    visible = [[3.0, 1.0, 2.0], [0.0, 2.0, 1.0]]
    return [("visible_kinks", fixed(visible, [0, 2])),
            ("margin_2", fixed(visible, [0, 2], 2.0)),
            ("integer_kinks", _loss_case(lambda: (
                ints(np.random.default_rng(1), 6, 4),
                np.array([0, 1, 2, 3, 0, 1])))),
            ("random_margin_half", _loss_case(lambda: (
                arr(np.random.default_rng(4), 6, 4),
                np.array([0, 1, 2, 3, 0, 1]), 0.5))),
            ("huge", _loss_case(lambda: (
                1000 * np.sign(arr(np.random.default_rng(5), 3, 5)),
                np.array([4, 0, 2])))),
            ("wide", _loss_case(lambda: (arr(np.random.default_rng(6), 3, 5),
                                         np.array([4, 0, 2])))),
            ("square_counts", fixed([[1.0, 0.0, 0.5], [0.2, 0.1, 0.0],
                                     [0.0, 0.3, 0.4]], [1, 1, 1]))]


# ................................................................. gradcheck

def _coupled(shape: tuple) -> Callable:
    c = np.linspace(0.5, 1.5, math.prod(shape)).reshape(shape)
    d = np.linspace(-1.0, 1.0, math.prod(shape)).reshape(shape)

    def f(z):
        return float(np.sum(np.sin(z) * c) + 0.5 * np.sum(z * d) ** 2
                     + np.sum(np.exp(0.5 * z)))
    return f


def numgrad_cases(seed: int | None) -> list[Case]:
    def make(x_fn, f, **kw):
        def run(fn):
            x = x_fn()
            before = snap(x)
            g = fn(f, x, **kw)
            return g, same(before, snap(x))
        return run
    x3 = lambda: np.array([0.5, -1.0, 2.0])  # noqa: E731
    x23 = lambda: np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.25]])  # noqa
    steep = lambda z: float(np.sum(np.exp(8 * z)))  # noqa: E731
    if seed is not None:
        r = np.random.default_rng(1000 + seed)
        shape = (2, 3) if seed % 2 else (3,)
        x = r.standard_normal(shape)
        h = float(10 ** r.uniform(-4, -2))
        method = ("centered", "forward")[seed % 2]
        return [("random", make(lambda: x.copy(), _coupled(shape), h=h,
                                method=method))]
    cases = []
    for h in (1e-4, 1e-3, 1e-2):
        for method in ("centered", "forward"):
            cases.append((f"1d_{method}_h{h:g}", make(x3, _coupled((3,)),
                                                      h=h, method=method)))
            cases.append((f"2d_{method}_h{h:g}", make(x23, _coupled((2, 3)),
                                                      h=h, method=method)))
    cases += [("defaults_steep", make(lambda: np.array([0.1, 0.3, -0.2]),
                                      steep)),
              ("defaults_2d", make(x23, _coupled((2, 3)))),
              ("integers", make(lambda: np.array([[1, 2], [3, 4]]),
                                lambda z: float(np.sum(np.exp(z / 4))))),
              ("float32", make(lambda: np.array([0.5, -1.0, 2.0],
                                                dtype=np.float32),
                               _coupled((3,)))),
              ("3d", make(lambda: np.random.default_rng(5)
                          .standard_normal((2, 2, 2)), _coupled((2, 2, 2)),
                          h=1e-3))]
    return cases


def relerr_cases(seed: int | None) -> list[Case]:
    def make(a_fn, b_fn, **kw):
        def run(fn):
            a, b = a_fn(), b_fn()
            before = snap((a, b))
            r = fn(a, b, **kw)
            return r, same(before, snap((a, b)))
        return run

    def fixed(a, b, dtype=float, **kw):
        return make(lambda: np.array(a, dtype=dtype),
                    lambda: np.array(b, dtype=dtype), **kw)
    if seed is not None:
        r = np.random.default_rng(1100 + seed)
        a, b = arr(r, 3, 2, scale=100), arr(r, 3, 2, scale=100)
        return [("random", make(lambda: a.copy(), lambda: b.copy()))]
    return [("edges", fixed([0.0, 0.0, 2.0, 1e-13, 0.5],
                            [0.0, 1e-3, -2.0, -1e-13, 0.75])),
            ("ordinary_2d", fixed([[3.0, -1.0], [10.0, 0.5]],
                                  [[4.0, -1.0], [8.0, 0.25]])),
            ("a_below_b", fixed([1.0, -3.0, 0.1], [2.0, 3.0, 0.3])),
            ("integers", fixed([0, 3, -4], [0, 4, 4], dtype=int)),
            ("float32", fixed([1.5, -2.0, 0.0], [1.25, -2.5, 0.0],
                              dtype=np.float32)),
            ("around_1000", fixed([1000.0, -999.5, 1000.25],
                                  [999.0, -1000.0, -1000.25])),
            ("below_floor", fixed([3e-13, 0.0], [1e-13, 5e-13])),
            ("custom_floor", fixed([1e-4, 2.0], [3e-4, 2.5], floor=1e-3))]


def kink_cases(seed: int | None) -> list[Case]:
    relu_on = lambda z: z > 0  # noqa: E731
    row_winner = lambda z: np.argmax(z, axis=1)  # noqa: E731

    def make(winner, x_fn, indices, **kw):
        def run(fn):
            x = x_fn()
            before = snap(x)
            got = [typed(fn(winner, x, i, **kw), bool) for i in indices]
            return got, same(before, snap(x))
        return run
    if seed is not None:
        r = np.random.default_rng(1200 + seed)
        x = r.uniform(-3e-5, 3e-5, size=(2, 3))
        idx = [(i, j) for i in range(2) for j in range(3)] + list(range(6))
        return [("random_relu", make(relu_on, lambda: x.copy(), idx)),
                ("random_max", make(row_winner, lambda: x.copy(), idx))]
    near = np.array([[1.0, 3.0, 3.0 + 4e-6], [5.0, 0.0, -1.0]])
    return [("relu_1d", make(relu_on, lambda: np.array(
                [0.0, 1.0, -1.0, 4e-6, -2e-5, 1.5e-5, 7e-6, -7e-6]),
                range(8))),
            ("relu_custom_h", make(relu_on, lambda: np.array(
                [[0.5, -0.05], [2e-3, 0.0]]), [(0, 0), (0, 1), (1, 0),
                                                (1, 1)], h=1e-2)),
            ("relu_flat_2d", make(relu_on, lambda: np.array(
                [[1.0, 2.0, 3.0], [4e-6, 1.0, 2.0]]), [0, 3, 4, -1 + 6])),
            ("max_tuple_and_flat", make(row_winner, lambda: near.copy(),
                                        [(0, 2), (0, 1), (0, 0), (1, 0), 1,
                                         4, 2, 5, (-1, -1)])),
            ("max_far_tie", make(row_winner, lambda: np.array(
                [[2.0, 2.0 + 3e-5, 0.0], [1.0, 1.0, 1.0]]),
                [(0, 0), (0, 1), (1, 0), (1, 2), 3, 5])),
            ("relu_integers", make(relu_on, lambda: np.array([0, 1, -1, 0]),
                                   range(4)))]


# .............................................................. update rules

RULE_HYPER = {
    "sgd": [{}],
    "momentum": [{"mu": 0.9}, {"mu": 0.5}, {}],
    "nesterov": [{"mu": 0.9}, {"mu": 0.0}, {}],
    "adagrad": [{"eps": 1e-8}, {"eps": 1e-4}, {}],
    "rmsprop": [{"decay": 0.9, "eps": 1e-8}, {"decay": 0.75, "eps": 1e-4},
                {}],
    "adam": [{"b1": 0.9, "b2": 0.999, "eps": 1e-8},
             {"b1": 0.8, "b2": 0.99, "eps": 1e-6, "weight_decay": 0.05},
             {}],
    "adamw": [{"b1": 0.9, "b2": 0.999, "eps": 1e-8, "weight_decay": 0.5},
              {"b1": 0.7, "b2": 0.95, "eps": 1e-6, "weight_decay": 0.01},
              {}],
}

REF_RULES = {
    "sgd": (ref_rules.sgd_init, ref_rules.sgd_step),
    "momentum": (ref_rules.momentum_init, ref_rules.momentum_step),
    "nesterov": (ref_rules.nesterov_init, ref_rules.nesterov_step),
    "adagrad": (ref_rules.adagrad_init, ref_rules.adagrad_step),
    "rmsprop": (ref_rules.rmsprop_init, ref_rules.rmsprop_step),
    "adam": (ref_rules.adam_init, ref_rules.adam_step),
    "adamw": (ref_rules.adamw_init, ref_rules.adamw_step),
}


def _mid_state(rule: str, shape: tuple, dtype, r: np.random.Generator):
    def pos():
        return (r.uniform(0.1, 2.0, size=shape)).astype(dtype)
    if rule == "sgd":
        return ref_rules.SGDState()
    if rule in ("momentum", "nesterov"):
        return ref_rules.MomentumState(r.normal(0, 0.1, shape).astype(dtype))
    if rule == "adagrad":
        return ref_rules.AdagradState(pos())
    if rule == "rmsprop":
        return ref_rules.RMSpropState(pos())
    return ref_rules.AdamState(7, r.normal(0, 0.5, shape).astype(dtype),
                               pos())


def _rule_run(rule: str, w0_fn, grad_fn, steps: int, lr_fn, hyper: dict,
              mid: int | None = None) -> Callable:
    def run(impl):
        init, step = impl
        w = w0_fn()
        out = []
        if mid is None:
            state = init(w)
            out.append(("init", frozen(fields(state))))
        else:
            r = np.random.default_rng(mid)
            state = _mid_state(rule, w.shape, w.dtype, r)
        for k in range(steps):
            g = grad_fn(w, k)
            before = snap((w, g, state))
            kw = dict(hyper)
            if lr_fn is not None:
                kw["lr"] = lr_fn(k)
            w_next, state_next = step(w, g, state, **kw)
            out.append((frozen(w_next), frozen(fields(state_next)),
                        same(before, snap((w, g, state)))))
            w, state = w_next, state_next
        return out
    return run


def rule_cases(rule: str, seed: int | None) -> list[Case]:
    quad = quadratic(condition=20.0)
    noise = np.random.default_rng(11).standard_normal((40, 3, 2))
    wavy = lambda k: 0.05 * (1.0 + 0.6 * math.sin(1.7 * k))  # noqa: E731

    def noisy(scale):
        return lambda w, k: (0.5 * w + noise[k]).astype(w.dtype) * scale
    cases = []
    if seed is not None:
        r = np.random.default_rng(1300 + seed)
        w0 = r.standard_normal((3, 2))
        hyper = RULE_HYPER[rule][seed % len(RULE_HYPER[rule])]
        base = float(10 ** r.uniform(-3, -1))
        return [("random", _rule_run(rule, lambda: w0.copy(), noisy(1.0), 25,
                                     lambda k: base * (1 + 0.5 * math.cos(k)),
                                     hyper)),
                ("random_mid_run", _rule_run(rule, lambda: w0.copy(),
                                             noisy(1.0), 10,
                                             lambda k: base, hyper,
                                             mid=seed))]
    for i, hyper in enumerate(RULE_HYPER[rule]):
        cases += [
            (f"quadratic_schedule_h{i}", _rule_run(
                rule, lambda: quad.x0.copy(), lambda w, k: quad.grad(w), 30,
                wavy, hyper)),
            (f"noisy_schedule_h{i}", _rule_run(
                rule, lambda: np.ones((3, 2)), noisy(1.0), 30, wavy, hyper)),
            (f"small_gradients_h{i}", _rule_run(
                rule, lambda: np.ones((3, 2)), noisy(1e-4), 20,
                lambda k: 1e-3, hyper)),
            (f"float32_h{i}", _rule_run(
                rule, lambda: np.ones((3, 2), dtype=np.float32), noisy(1.0),
                15, wavy, hyper)),
            (f"mid_run_h{i}", _rule_run(
                rule, lambda: np.full((3, 2), 0.5), noisy(1.0), 15, wavy,
                hyper, mid=i)),
            (f"integer_start_h{i}", _rule_run(
                rule, lambda: np.array([[1, -2], [3, 0], [2, 1]]),
                lambda w, k: (0.5 * w + noise[k]), 5, wavy, hyper)),
        ]
    return cases


# ................................................................. annealing

def _schedule_run(hyper: dict, ts: list[int]) -> Callable:
    """Rates at ts asked for in order, in reverse and shuffled."""
    def run(fn):
        out = {}
        orders = [list(ts), list(reversed(ts)),
                  list(np.random.default_rng(3).permutation(ts))]
        for name, order in zip(("forward", "reverse", "shuffled"), orders):
            got = {int(t): typed(guarded(partial(fn, int(t), **hyper)), float)
                   for t in order}
            out[name] = [got[t] for t in ts]
        return out
    return run


SCHEDULES = {
    "step_decay": ([dict(lr0=1.0, drop=0.5, every=4),
                    dict(lr0=0.3, drop=0.1, every=20),
                    dict(lr0=0.05, drop=0.9, every=1),
                    dict(lr0=0.2, drop=1.0, every=3), dict(lr0=0.1)],
                   lambda h: max(4 * h.get("every", 5), 12)),
    "exponential_decay": ([dict(lr0=0.8, k=math.log(2) / 5),
                           dict(lr0=0.1, k=0.0), dict(lr0=0.3, k=0.05),
                           dict(lr0=1.0, k=2.5)], lambda h: 30),
    "inverse_time_decay": ([dict(lr0=0.6, k=0.25), dict(lr0=0.1, k=0.0),
                            dict(lr0=2.0, k=3.0)], lambda h: 30),
    "cosine": ([dict(lr0=0.5, total=10, lr_min=0.1), dict(lr0=2.0, total=6),
                dict(lr0=0.3, total=1, lr_min=0.0),
                dict(lr0=1.0, total=7, lr_min=1.0),
                dict(lr0=0.05, total=25, lr_min=0.001)],
               lambda h: h["total"] + 6),
}


def schedule_cases(name: str, seed: int | None) -> list[Case]:
    sets, span = SCHEDULES[name]
    if seed is not None:
        r = np.random.default_rng(1400 + seed)
        hyper = dict(sets[seed % len(sets)])
        if "lr0" in hyper:
            hyper["lr0"] = float(r.uniform(0.01, 2.0))
        if "lr_min" in hyper:
            hyper["lr_min"] = min(hyper["lr_min"], hyper["lr0"])
        return [("random", _schedule_run(hyper, list(range(span(hyper)))))]
    cases = [(f"set{i}", _schedule_run(h, list(range(span(h)))))
             for i, h in enumerate(sets)]
    far = [1000, 5000, 10_000]
    cases.append(("far_steps", _schedule_run(sets[0], far)))
    return cases


def warmup_cases(seed: int | None) -> list[Case]:
    def ramp(schedule, warmup, f, ts):
        def run(impl):
            with_warmup = impl[0]
            return [typed(guarded(lambda t=t: with_warmup(
                schedule, t, warmup=warmup, start_factor=f)), float)
                for t in ts]
        return run

    def curve(hyper, ts):
        def run(impl):
            return _schedule_run(hyper, ts)(impl[1])
        return run
    schedules = {"halving": lambda s: 0.8 * 0.5 ** s,
                 "constant": lambda s: 0.3,
                 "harmonic": lambda s: 1.0 / (1.0 + s)}
    if seed is not None:
        r = np.random.default_rng(1500 + seed)
        W = int(r.integers(0, 8))
        total = W + int(r.integers(1, 20))
        hyper = dict(lr0=float(r.uniform(0.01, 1.0)), warmup=W, total=total,
                     lr_min=0.0)
        return [("random_curve", curve(hyper, list(range(total + 5)))),
                ("random_ramp", ramp(schedules["harmonic"], W,
                                     float(r.uniform(0, 1)),
                                     list(range(W + 5))))]
    cases = []
    for sname, s in schedules.items():
        for W in (0, 1, 4):
            for f in (0.0, 0.5, 0.25):
                cases.append((f"ramp_{sname}_W{W}_f{f}",
                              ramp(s, W, f, list(range(W + 6)))))
    for i, hyper in enumerate([dict(lr0=0.2, warmup=4, total=12, lr_min=0.02),
                               dict(lr0=1.0, warmup=0, total=5),
                               dict(lr0=0.5, warmup=3, total=4, lr_min=0.1),
                               dict(lr0=0.1, warmup=10, total=30)]):
        cases.append((f"curve{i}", curve(hyper,
                                         list(range(hyper["total"] + 5)))))
    return cases


PLATEAU_RUNS = [
    ("visible_min", 0.1, dict(mode="min", factor=0.5, patience=1,
                              threshold=0.1, cooldown=0, min_lr=0.0),
     [2.0, 1.9, 1.7, 1.7, 1.7, 1.7]),
    ("visible_max", 1.0, dict(mode="max", factor=0.1, patience=0,
                              threshold=0.0, cooldown=1, min_lr=0.05),
     [0.5, 0.6, 0.6, 0.55, 0.58, 0.7]),
    ("long_min_cooldown", 0.1, dict(mode="min", factor=0.5, patience=2,
                                    threshold=1e-2, cooldown=2, min_lr=0.01),
     [1.0, 0.9, 0.85, 0.85, 0.86, 0.84, 0.845, 0.85, 0.8, 0.8, 0.8, 0.8,
      0.8, 0.79, 0.79, 0.79, 0.79, 0.79]),
    ("equal_at_threshold", 0.4, dict(mode="min", factor=0.5, patience=1,
                                     threshold=0.5, cooldown=0, min_lr=0.0),
     [2.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25, 0.1, 0.1, 0.1, 0.1, 0.1,
      0.1, 0.1]),
    ("equal_no_threshold", 0.4, dict(mode="min", factor=0.5, patience=1,
                                     threshold=0.0, cooldown=0, min_lr=0.0),
     [1.0] * 8 + [0.5] * 8),
    ("max_from_zero", 0.2, dict(mode="max", factor=0.5, patience=1,
                                threshold=0.0, cooldown=0, min_lr=0.0),
     [0.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75, 0.75,
      0.875, 0.875, 0.875, 0.875]),
    ("min_zero_loss", 0.2, dict(mode="min", factor=0.5, patience=1,
                                threshold=1e-4, cooldown=0, min_lr=0.0),
     [0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
      0.0]),
    ("nan_metrics", 0.3, dict(mode="min", factor=0.5, patience=1,
                              threshold=1e-4, cooldown=1, min_lr=0.0),
     [float("nan"), 1.0, float("nan"), float("nan"), 0.5, float("nan"), 0.4,
      0.4, 0.4, float("nan"), 0.3, 0.3, 0.3, 0.3, 0.3]),
    ("tiny_rate", 1e-8, dict(mode="min", factor=0.5, patience=0,
                             threshold=1e-4, cooldown=0, min_lr=0.0),
     [1.0] * 15),
    ("floor_reached", 1.0, dict(mode="min", factor=0.1, patience=0,
                                threshold=1e-4, cooldown=0, min_lr=0.05),
     [1.0, 1.1, 1.2, 1.05, 1.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2,
      1.3, 1.4]),
    ("max_slightly_lower", 0.5, dict(mode="max", factor=0.5, patience=1,
                                     threshold=0.01, cooldown=0, min_lr=0.0),
     [0.8, 0.795, 0.795, 0.79, 0.79, 0.9, 0.899, 0.898, 0.897, 0.9, 0.9,
      0.95, 0.95, 0.95, 0.95]),
    ("defaults", 0.1, {}, [1.0] * 14 + [0.5] * 6),
]


def _plateau_run(lr0: float, hyper: dict, metrics: list[float]) -> Callable:
    def run(impl):
        _, init, step = impl
        state = init(lr0)
        out = [fields(state)]
        for m in metrics:
            state = step(state, m, **hyper)
            out.append(fields(state))
        return out
    return run


def _improves_grid(impl):
    improves = impl[0]
    grid = []
    for mode in ("min", "max"):
        for best in (None, 2.0, 0.0, -1.0):
            for metric in (1.0, 2.0, 1.8, 2.2, 0.0, float("nan")):
                for th in (0.0, 0.1):
                    grid.append(typed(guarded(partial(
                        improves, metric, best, mode, th)), bool))
    return grid


def plateau_cases(seed: int | None) -> list[Case]:
    if seed is not None:
        r = np.random.default_rng(1600 + seed)
        metrics = list(np.round(r.uniform(0.5, 1.0, 18), 2))
        hyper = dict(mode=("min", "max")[seed % 2], factor=0.5,
                     patience=int(r.integers(0, 3)), threshold=0.01,
                     cooldown=int(r.integers(0, 3)), min_lr=0.01)
        return [("random_run", _plateau_run(0.1, hyper, metrics))]
    return ([(name, _plateau_run(lr0, hyper, metrics))
             for name, lr0, hyper, metrics in PLATEAU_RUNS]
            + [("improves_grid", _improves_grid)])


# ............................................................ regularization

def penalty_cases(seed: int | None) -> list[Case]:
    def make(w_fn, lam):
        def run(impl):
            penalty, grad = impl
            w = w_fn()
            before = snap(w)
            r = num(penalty(w, lam))
            g = grad(w, lam)
            return r, g, same(before, snap(w))
        return run
    if seed is not None:
        r = np.random.default_rng(1700 + seed)
        w = arr(r, 3, 4)
        lam = float(r.uniform(0, 2))
        return [("random", make(lambda: w.copy(), lam))]
    return [("zeros_negatives", make(lambda: np.array([[1.0, -2.0],
                                                       [0.0, 3.0]]), 0.5)),
            ("whole_numbers", make(lambda: ints(np.random.default_rng(1),
                                                3, 4, low=-3, high=4), 0.1)),
            ("float32", make(lambda: np.random.default_rng(2).standard_normal(
                (3, 4)).astype(np.float32), 2.0)),
            ("integers", make(lambda: np.array([-2, 0, 1, 3]), 0.25)),
            ("3d", make(lambda: np.random.default_rng(3)
                        .standard_normal((2, 2, 3)), 1e-3)),
            ("float32_large", make(lambda: np.array([3e19, -2e19, 1.0],
                                                    dtype=np.float32), 1e-3)),
            ("lam_zero", make(lambda: np.array([1.0, -1.0]), 0.0))]


def dropout_cases(seed: int | None) -> list[Case]:
    visible_mask = np.array([[True, False, True, True],
                             [False, True, True, False]])

    def masked(x_fn, p, mode, mask):
        def run(impl):
            fwd, bwd = impl
            x, m = x_fn(), mask.copy()
            dout = np.linspace(-1.0, 1.0, x.size).reshape(x.shape).astype(
                x.dtype if x.dtype.kind == "f" else np.float64)
            before = snap((x, m, dout))
            out, cache = fwd(x, p, train=True, mask=m, mode=mode)
            dx = bwd(dout, cache)
            return (out, dx, same(before, snap((x, m, dout))),
                    bool(np.shares_memory(out, x)))
        return run

    def test_time(x_fn, p, mode):
        def run(impl):
            fwd, bwd = impl
            x = x_fn()
            dout = np.ones_like(x, dtype=float)
            before = snap(x)
            out, cache = fwd(x, p, train=False, mode=mode)
            dx = bwd(dout, cache)
            return out, dx, same(before, snap(x)), bool(
                np.shares_memory(out, x))
        return run

    def drawn(calls):
        """Properties of masks drawn from seeded rngs: drop rate, mean
        ratio, dx zero exactly where out is, kept values scaled, and the
        same draw for the same seed."""
        def run(impl):
            fwd, bwd = impl
            props = []
            for seed_, p, mode in calls:
                x = np.random.default_rng(99).uniform(1.0, 3.0, 20_000)
                out, cache = fwd(x, p, train=True,
                                 rng=np.random.default_rng(seed_), mode=mode)
                again, _ = fwd(x, p, train=True,
                               rng=np.random.default_rng(seed_), mode=mode)
                dout = np.full_like(x, 0.5)
                dx = bwd(dout, cache)
                scale = 1.0 / (1.0 - p) if mode == "inverted" else 1.0
                kept = out != 0
                props.append((
                    abs(1.0 - kept.mean() - p) < 0.015,
                    abs(out.mean() / x.mean() - (1.0 if mode == "inverted"
                                                 else 1.0 - p)) < 0.03,
                    bool(np.array_equal(dx != 0, kept)),
                    bool(np.allclose(out[kept], x[kept] * scale)),
                    bool(np.allclose(dx[kept], 0.5 * scale)),
                    bool(np.array_equal(out, again))))
            return props
        return run
    x24 = lambda: np.arange(1.0, 9.0).reshape(2, 4)  # noqa: E731
    if seed is not None:
        r = np.random.default_rng(1800 + seed)
        mask = r.random((3, 5)) >= 0.4
        x = r.standard_normal((3, 5))
        p = float(r.uniform(0, 0.9))
        mode = ("inverted", "classic")[seed % 2]
        return [("random_mask", masked(lambda: x.copy(), p, mode, mask)),
                ("random_test", test_time(lambda: x.copy(), p, mode))]
    return [("mask_inverted", masked(x24, 0.25, "inverted", visible_mask)),
            ("mask_classic", masked(x24, 0.5, "classic", visible_mask)),
            ("mask_classic_06", masked(x24, 0.6, "classic", visible_mask)),
            ("mask_float32", masked(lambda: x24().astype(np.float32), 0.3,
                                    "inverted", visible_mask)),
            ("mask_integers", masked(lambda: np.arange(1, 9).reshape(2, 4),
                                     0.5, "inverted", visible_mask)),
            ("mask_p_zero", masked(x24, 0.0, "inverted", visible_mask)),
            ("test_inverted", test_time(lambda: np.array([[1.0, -2.0],
                                                          [0.5, 4.0]]),
                                        0.25, "inverted")),
            ("test_classic", test_time(lambda: np.array([[1.0, -2.0],
                                                         [0.5, 4.0]]),
                                       0.25, "classic")),
            ("test_float32", test_time(lambda: np.ones((2, 2), np.float32),
                                       0.4, "classic")),
            ("drawn", drawn([(0, 0.3, "inverted"), (0, 0.3, "classic"),
                             (1, 0.0, "inverted"), (2, 0.7, "inverted"),
                             (3, 0.55, "classic")]))]


ES_CURVES = [
    ("patience_3", [1.0, 0.8, 0.9, 0.85, 0.7, 0.75, 0.75, 0.75], 3, 0.0),
    ("patience_1", [1.0, 0.5, 0.5, 0.25, 0.375, 0.125, 0.125], 1, 0.0),
    ("delta_tie", [1.0, 0.875, 0.75, 0.5, 0.375, 0.25, 0.25, 0.0], 2, 0.25),
    ("delta_small", [2.0, 1.875, 1.5, 1.5, 1.4375, 1.0, 1.0, 1.0, 1.0],
     3, 0.0625),
    ("nan_losses", [float("nan"), 1.0, float("nan"), 0.5, float("nan"),
                    float("nan"), 0.25], 2, 0.0),
    ("ties_no_delta", [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25], 2, 0.0),
]


def es_cases(seed: int | None) -> list[Case]:
    def make(losses, patience, min_delta):
        def run(impl):
            init, step = impl
            state = init()
            out = [fields(state)]
            for loss in losses:
                before = snap(fields(state))
                stop, new = step(state, loss, patience=patience,
                                 min_delta=min_delta)
                out.append((typed(stop, bool), fields(new),
                            same(before, snap(fields(state)))))
                state = new
            return out
        return run
    if seed is not None:
        r = np.random.default_rng(1900 + seed)
        losses = list(np.round(r.uniform(0, 4, 12)) / 4)
        return [("random", make(losses, int(r.integers(1, 4)),
                                float(r.choice([0.0, 0.25, 0.5]))))]
    return [(name, make(*rest)) for name, *rest in ES_CURVES]


# ................................................................. capstone

def _net(D, H, C, s):
    r = np.random.default_rng(s)
    return {"W1": r.normal(size=(D, H)), "b1": r.normal(size=H),
            "W2": r.normal(size=(H, C)), "b2": r.normal(size=C)}


def loss_cases(seed: int | None) -> list[Case]:
    def make(D, H, C, N, s, *, p_drop, lam, train=True, mask=False,
             with_rng=False):
        def run(fn):
            params = _net(D, H, C, s)
            r = np.random.default_rng(s + 1)
            X, y = r.normal(size=(N, D)), np.arange(N) % C
            kw = dict(p_drop=p_drop, lam=lam, train=train)
            if mask:
                kw["masks"] = (r.random((N, H)) >= 0.5,)
            rng = np.random.default_rng(5) if with_rng else None
            if with_rng:
                kw["rng"] = rng
            before = snap((params, X))
            loss, grads = fn(params, X, y, **kw)
            touched = (rng.bit_generator.state
                       != np.random.default_rng(5).bit_generator.state
                       if with_rng else False)
            return num(loss), grads, same(before, snap((params, X))), touched
        return run
    if seed is not None:
        r = np.random.default_rng(2000 + seed)
        D, H, C, N = (int(k) for k in r.integers(2, 7, size=4))
        lam = float(r.uniform(0, 0.5))
        return [("random_plain", make(D, H, C, N, seed, p_drop=0.0, lam=lam)),
                ("random_mask", make(D, H, C, N, seed, p_drop=0.4, lam=lam,
                                     mask=True))]
    return [("plain", make(4, 5, 3, 6, 0, p_drop=0.0, lam=0.1)),
            ("no_penalty", make(4, 5, 3, 6, 0, p_drop=0.0, lam=0.0)),
            ("fixed_mask", make(4, 5, 3, 6, 1, p_drop=0.5, lam=0.1,
                                mask=True)),
            ("fixed_mask_other_shape", make(3, 7, 4, 9, 2, p_drop=0.25,
                                            lam=0.3, mask=True)),
            ("test_time_with_rng", make(4, 5, 3, 6, 1, p_drop=0.5, lam=0.1,
                                        train=False, with_rng=True)),
            ("test_time_with_mask", make(4, 5, 3, 6, 1, p_drop=0.5, lam=0.1,
                                         train=False, mask=True)),
            ("test_time_alone", make(4, 5, 3, 6, 1, p_drop=0.5, lam=0.1,
                                     train=False)),
            ("p_zero_with_rng", make(4, 5, 3, 6, 3, p_drop=0.0, lam=0.1,
                                     with_rng=True)),
            ("drawn_mask", make(4, 5, 3, 6, 4, p_drop=0.3, lam=0.05,
                                with_rng=True))]


def predict_cases(seed: int | None) -> list[Case]:
    def make(params_fn, X_fn, y_fn):
        def run(impl):
            predict, accuracy = impl
            params, X, y = params_fn(), X_fn(), y_fn()
            labels = predict(params, X)
            return labels, typed(accuracy(params, X, y), float)
        return run

    def tied():
        p = _net(2, 6, 3, 7)
        p["W2"][:, 2] = p["W2"][:, 0]
        p["b2"][2] = p["b2"][0]
        return p
    visible = lambda: {"W1": np.eye(2), "b1": np.zeros(2),  # noqa: E731
                       "W2": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]),
                       "b2": np.array([0.0, 0.0, 0.5])}
    if seed is not None:
        r = np.random.default_rng(2100 + seed)
        X, y = r.normal(size=(25, 2)), r.integers(0, 3, 25)
        return [("random", make(lambda: _net(2, 8, 3, seed), lambda: X,
                                lambda: y))]
    X = np.random.default_rng(8).normal(size=(30, 2))
    return [("visible", make(visible, lambda: np.array(
                [[2.0, 0.0], [0.0, 3.0], [-1.0, -1.0], [1.0, 0.2]]),
                lambda: np.array([0, 1, 1, 0]))),
            ("random_net", make(lambda: _net(2, 6, 3, 1), lambda: X,
                                lambda: np.arange(30) % 3)),
            ("ties", make(tied, lambda: X, lambda: np.arange(30) % 3)),
            ("square", make(lambda: _net(3, 4, 3, 2),
                            lambda: np.random.default_rng(9).normal(
                                size=(3, 3)), lambda: np.array([0, 1, 2])))]


def _split(n_per_class: int, seed: int):
    X, y = spirals(n_per_class, seed=seed)
    return ref_capstone.train_val_split(X, y, seed=seed)


def train_cases(seed: int | None) -> list[Case]:
    def make(data_fn, **kw):
        def run(fn):
            params, history = fn(*data_fn(), **kw)
            return params, history
        return run
    small = partial(_split, 40, 3)
    short = dict(hidden=16, steps=60, eval_every=10, warmup=10)
    if seed is not None:
        return [("random_short", make(partial(_split, 30, 10 + seed),
                                      hidden=8, steps=30, eval_every=7,
                                      warmup=5, batch_size=16, seed=seed))]

    def overfit():
        y20 = np.arange(20) % 3
        angle = np.linspace(0.0, 2 * np.pi, 20, endpoint=False)
        radius = 0.3 + 0.35 * y20
        X20 = np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)
        return X20, y20, X20, y20
    return [("full_batches", make(small, batch_size=32, **short)),
            ("partial_batch", make(small, batch_size=40, **short)),
            ("fewer_rows_than_batch", make(small, batch_size=200, **short)),
            ("overfit_20", make(overfit, p_drop=0.0, lam=0.0, steps=300,
                                lr=5e-2, batch_size=20)),
            ("defaults", make(partial(_split, 200, 0)))]


# ------------------------------------------------------------------- parts

PARTS: dict[str, tuple[Any, Callable]] = {
    "backprop.value": (ref_backprop.Value, value_cases),
    "backprop.affine": ((ref_backprop.affine_forward,
                         ref_backprop.affine_backward), affine_cases),
    "backprop.relu": ((ref_backprop.relu_forward,
                       ref_backprop.relu_backward), relu_cases),
    "backprop.mlp": ((ref_backprop.mlp_forward, ref_backprop.mlp_backward),
                     mlp_cases),
    "gates.max_gate": ((ref_gates.max_forward, ref_gates.max_backward),
                       max_cases),
    "gates.sigmoid": ((ref_gates.sigmoid_forward, ref_gates.sigmoid_backward),
                      sigmoid_cases),
    "gates.prelu": ((ref_gates.prelu_forward, ref_gates.prelu_backward),
                    prelu_cases),
    "gates.softmax_cross_entropy": (ref_gates.softmax_cross_entropy,
                                    ce_cases),
    "gates.svm_loss": (ref_gates.svm_loss, svm_cases),
    "gradcheck.numerical_gradient": (ref_gradcheck.numerical_gradient,
                                     numgrad_cases),
    "gradcheck.relative_error": (ref_gradcheck.relative_error, relerr_cases),
    "gradcheck.kink_crossed": (ref_gradcheck.kink_crossed, kink_cases),
    **{f"update_rules.{rule}": (impl, partial(rule_cases, rule))
       for rule, impl in REF_RULES.items()},
    **{f"annealing.{name}": (getattr(ref_annealing, name),
                             partial(schedule_cases, name))
       for name in SCHEDULES},
    "annealing.warmup_cosine": ((ref_annealing.with_warmup,
                                 ref_annealing.warmup_cosine), warmup_cases),
    "annealing.plateau": ((ref_annealing.improves, ref_annealing.plateau_init,
                           ref_annealing.plateau_step), plateau_cases),
    "regularization.l2": ((ref_reg.l2_penalty, ref_reg.l2_grad),
                          penalty_cases),
    "regularization.l1": ((ref_reg.l1_penalty, ref_reg.l1_grad),
                          penalty_cases),
    "regularization.dropout": ((ref_reg.dropout_forward,
                                ref_reg.dropout_backward), dropout_cases),
    "regularization.early_stopping": ((ref_reg.early_stopping_init,
                                       ref_reg.early_stopping_step),
                                      es_cases),
    "capstone.network_loss": (ref_capstone.network_loss, loss_cases),
    "capstone.predict": ((ref_capstone.predict, ref_capstone.accuracy),
                         predict_cases),
    "capstone.train": (ref_capstone.train, train_cases),
}


class Checker:
    """Runs a part's cases, with the reference's outputs computed once."""

    def __init__(self) -> None:
        self._expected: dict[tuple[str, str], Any] = {}

    def cases(self, part: str) -> list[tuple[str, Callable]]:
        _, make = PARTS[part]
        out = list(make(None))
        for seed in SEEDS:
            out += [(f"{label}@seed{seed}", run)
                    for label, run in make(seed)]
        return out

    def expected(self, part: str, label: str, run: Callable) -> Any:
        key = (part, label)
        if key not in self._expected:
            self._expected[key] = guarded(lambda: run(PARTS[part][0]))
        return self._expected[key]

    def witnesses(self, part: str, impl: Any, first_only: bool
                  ) -> list[tuple[str, str]]:
        found = []
        for label, run in self.cases(part):
            ref = self.expected(part, label, run)
            got = guarded(lambda: run(impl))
            d = diff(ref, got)
            if d:
                found.append((label, d))
                if first_only:
                    break
        return found


def reference_sanity(checker: Checker, parts: list[str]) -> list[str]:
    """The reference must not raise on any case: every case is allowed."""
    bad = []
    for part in parts:
        for label, run in checker.cases(part):
            out = checker.expected(part, label, run)
            if isinstance(out, Raised):
                bad.append(f"{part} / {label}: reference {out!r}")
    return bad


def train_accuracies(module) -> list[tuple[str, float, float]]:
    """Validation accuracy of each train entry at its defaults."""
    rows = []
    entries = [(w.name, w.impl) for w in module.WRONG
               if w.part == "capstone.train"]
    entries += [(f"RIGHT {r.name}", r.impl) for r in module.RIGHT
                if r.part == "capstone.train"]
    entries.insert(0, ("reference", ref_capstone.train))
    splits = [_split(200, 101), _split(200, 202)]
    for name, fn in entries:
        accs = []
        for Xt, yt, Xv, yv in splits:
            params, _ = fn(Xt, yt, Xv, yv)
            accs.append(ref_capstone.accuracy(params, Xv, yv))
        rows.append((name, *accs))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("concepts", nargs="*", default=list(CONCEPTS))
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--no-accuracy", action="store_true",
                        help="skip the capstone accuracy table")
    args = parser.parse_args(argv)
    checker = Checker()
    failures: list[str] = []
    counts: dict[str, Counter] = {}
    right_counts: Counter = Counter()
    for concept in args.concepts:
        module = load(concept)
        counts[concept] = Counter(w.cls for w in module.WRONG)
        right_counts[concept] = len(module.RIGHT)
        parts = sorted({e.part for e in module.WRONG + module.RIGHT})
        unknown = [p for p in parts if p not in PARTS]
        failures += [f"{concept}: no harness for part {p}" for p in unknown]
        failures += reference_sanity(checker, [p for p in parts
                                               if p in PARTS])
        for w in module.WRONG:
            if w.part not in PARTS:
                continue
            found = checker.witnesses(w.part, w.impl, first_only=False)
            n = len(checker.cases(w.part))
            if not found:
                failures.append(f"WRONG {w.part} / {w.name}: matches the "
                                f"reference on every case")
                continue
            if w.cls == "inputs" and len(found) == n:
                failures.append(f"WRONG {w.part} / {w.name}: class 'inputs' "
                                f"but it differs on all {n} cases")
            if args.verbose:
                label, d = found[0]
                where = ", ".join(lb for lb, _ in found[:4])
                more = f", +{len(found) - 4}" if len(found) > 4 else ""
                print(f"  caught  {w.part:30s} {w.name:28s} [{w.cls}] "
                      f"{len(found)}/{n} cases ({where}{more})\n"
                      f"          first: {label}: {d}")
        for r in module.RIGHT:
            if r.part not in PARTS:
                continue
            found = checker.witnesses(r.part, r.impl, first_only=False)
            if found:
                label, d = found[0]
                failures.append(f"RIGHT {r.part} / {r.name}: differs on "
                                f"{len(found)} case(s), first {label}: {d}")
            elif args.verbose:
                n = len(checker.cases(r.part))
                print(f"  matches {r.part:32s} {r.name:30s} on {n} cases")

    print()
    header = f"{'concept':16s}" + "".join(f"{c:>11s}" for c in CLASSES)
    print(header + f"{'WRONG':>8s}{'RIGHT':>8s}")
    total = Counter()
    for concept, c in counts.items():
        total.update(c)
        print(f"{concept:16s}" + "".join(f"{c[k]:11d}" for k in CLASSES)
              + f"{sum(c.values()):8d}{right_counts[concept]:8d}")
    print(f"{'total':16s}" + "".join(f"{total[k]:11d}" for k in CLASSES)
          + f"{sum(total.values()):8d}{sum(right_counts.values()):8d}")

    if "capstone" in args.concepts and not args.no_accuracy:
        print("\nvalidation accuracy of train at its defaults "
              "(spirals, seeds 101 and 202; the grader's bar is 0.9):")
        for name, a, b in train_accuracies(load("capstone")):
            print(f"  {name:32s} {a:6.3f} {b:6.3f}")

    print()
    if failures:
        print(f"{len(failures)} problem(s):")
        for f in failures:
            print("  " + f)
        return 1
    print("every WRONG differs from the reference on some allowed case; "
          "every RIGHT matches it on all cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
