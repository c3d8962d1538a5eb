"""The gradient-checking checks: every catalogued mistake is caught and named,
every correct alternative passes, and failures say where and by how much."""
from __future__ import annotations

import ast

import numpy as np
import pytest

from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from autograder.judge.feedback import fmt_shape as shape_text
from autograder.judge.gradcheck import GRADED
from solutions import gradcheck as ref


# ---- correct alternatives: other code, same mathematics


def numgrad_basis(f, x, *, h=1e-5, method="centered"):
    x = np.asarray(x, dtype=np.float64)
    grad = np.empty_like(x)
    fx = f(x)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        e = e.reshape(x.shape)
        if method == "centered":
            grad.flat[i] = (f(x + e) - f(x - e)) / (2 * h)
        else:
            grad.flat[i] = (f(x + e) - fx) / h
    return grad


def numgrad_flat_view(f, x, *, h=1e-5, method="centered"):
    # a float64 copy walked through a flat view, put back exactly
    xw = x.astype(np.float64)
    flat = xw.reshape(-1)
    grad = np.zeros(flat.size)
    f0 = f(xw)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f(xw)
        if method == "centered":
            flat[i] = old - h
            grad[i] = (plus - f(xw)) / (2 * h)
        else:
            grad[i] = (plus - f0) / h
        flat[i] = old
    return grad.reshape(x.shape)


def numgrad_arithmetic_restore_copy(f, x, *, h=1e-5, method="centered"):
    # restores by arithmetic (+h, -2h, +h) on a float copy: may leave an
    # entry one ulp away, which is harmless
    xw = np.array(x, dtype=float)
    flat = xw.reshape(-1)
    grad = np.zeros(flat.size)
    f0 = f(xw)
    for i in range(flat.size):
        flat[i] += h
        plus = f(xw)
        if method == "centered":
            flat[i] -= 2 * h
            grad[i] = (plus - f(xw)) / (2 * h)
            flat[i] += h
        else:
            flat[i] -= h
            grad[i] = (plus - f0) / h
    return grad.reshape(x.shape)


def numgrad_halves(f, x, *, h=1e-5, method="centered"):
    xw = x.astype(np.float64)
    out = np.zeros_like(xw)
    for i in np.ndindex(*xw.shape):
        up, down = xw.copy(), xw.copy()
        up[i] += h
        if method == "forward":
            out[i] = f(up) / h - f(xw) / h
        else:
            down[i] -= h
            out[i] = f(up) / (2 * h) - f(down) / (2 * h)
    return out


def relerr_loop(a, b, *, floor=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    out = np.zeros(a.shape)
    for i in np.ndindex(a.shape):
        out[i] = abs(a[i] - b[i]) / max(abs(a[i]), abs(b[i]), floor)
    return out


def relerr_stack(a, b, *, floor=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    scale = np.max(np.stack([np.abs(a), np.abs(b), np.full(a.shape, floor)]), axis=0)
    return np.abs(b - a) / scale


def relerr_fmax(a, b, *, floor=1e-12):
    a, b = np.asarray(a) * 1.0, np.asarray(b) * 1.0
    return np.divide(np.abs(a - b), np.fmax(floor, np.fmax(np.abs(a), np.abs(b))))


def kink_basis(winner, x, index, *, h=1e-5):
    x = np.asarray(x, dtype=float)
    e = np.zeros_like(x)
    e[np.unravel_index(index, x.shape) if np.isscalar(index) else tuple(index)] = h
    return not np.array_equal(winner(x - e), winner(x + e))


def kink_divmod(winner, x, index, *, h=1e-5):
    if isinstance(index, (int, np.integer)):
        idx = []
        for n in reversed(x.shape):  # C order: the last axis counts fastest
            index, r = divmod(int(index), n)
            idx.append(r)
        index = tuple(reversed(idx))
    lo, hi = x.astype(float), x.astype(float)
    lo[index] -= h
    hi[index] += h
    return not (np.asarray(winner(lo)) == np.asarray(winner(hi))).all()


def kink_one_copy(winner, x, index, *, h=1e-5):
    # one float64 copy, nudged to each side in turn and put back
    z = np.array(x, dtype=np.float64)
    i = np.unravel_index(index, z.shape) if np.ndim(index) == 0 else tuple(index)
    old = z[i]
    z[i] = old - h
    left = np.copy(winner(z))
    z[i] = old + h
    right = np.copy(winner(z))
    z[i] = old
    return bool(np.any(left != right))


ALTERNATIVES = {
    "numerical_gradient": [numgrad_basis, numgrad_flat_view, numgrad_arithmetic_restore_copy,
                           numgrad_halves],
    "relative_error": [relerr_loop, relerr_stack, relerr_fmax],
    "kink_crossed": [kink_basis, kink_divmod, kink_one_copy],
}
CORRECT = [(name, f) for name, fs in ALTERNATIVES.items() for f in fs]


@pytest.mark.parametrize("name,impl", CORRECT, ids=[f.__name__ for _, f in CORRECT])
def test_correct_alternative_passes(name, impl):
    check(GRADED[name], impl)


def test_every_graded_function_has_three_correct_alternatives():
    # The five mistakes per function are checked for every concept in test_catalogue.py.
    assert set(ALTERNATIVES) == set(GRADED)
    for name, impls in ALTERNATIVES.items():
        assert len(impls) >= 3, name


# ---- nudging the caller's own array: right on float x, wrong on integer x
#
# These were correct alternatives while every x was float. The text asks for
# a float64 copy ("it may hold integers"): on an integer x these nudges are
# cut back to whole numbers, so they are wrong variants now, caught on the
# integer cases alone and named as the copy that keeps the dtype.


def numgrad_in_place(f, x, *, h=1e-5, method="centered"):
    # nudges the caller's own array and puts every entry back exactly
    grad = np.zeros(x.shape)
    base = f(x) if method == "forward" else None
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = f(x)
        if method == "forward":
            grad[i] = (plus - base) / h
        else:
            x[i] = old - h
            grad[i] = (plus - f(x)) / (2 * h)
        x[i] = old
        it.iternext()
    return grad


def numgrad_arithmetic_restore(f, x, *, h=1e-5, method="centered"):
    # restores by arithmetic (+h, -2h, +h) on the caller's array
    flat = x.reshape(-1)
    grad = np.zeros(flat.size)
    f0 = f(x)
    for i in range(flat.size):
        flat[i] += h
        plus = f(x)
        if method == "centered":
            flat[i] -= 2 * h
            grad[i] = (plus - f(x)) / (2 * h)
            flat[i] += h
        else:
            flat[i] -= h
            grad[i] = (plus - f0) / h
    return grad.reshape(x.shape)


def kink_in_place(winner, x, index, *, h=1e-5):
    flat = index if isinstance(index, int) else int(np.ravel_multi_index(index, x.shape))
    view = x.reshape(-1)
    old = view[flat]
    view[flat] = old - h
    left = np.copy(winner(x))
    view[flat] = old + h
    right = np.copy(winner(x))
    view[flat] = old
    return bool(np.any(left != right))


# (part, variant, the catalogued mistake it is named as, or a sentence of its
# message): +h -2h +h on an integer 2 ends at 1, so that one shows as a
# changed x
IN_PLACE = [("numerical_gradient", numgrad_in_place, "numgrad_integer_copy"),
            ("numerical_gradient", numgrad_arithmetic_restore, "changed the caller's x"),
            ("kink_crossed", kink_in_place, "kink_integer_copy")]


def _integer_cases(name):
    return [i for i, c in enumerate(GRADED[name].cases(0)) if "integer x" in c.label]


@pytest.mark.parametrize("name,impl,mistake", IN_PLACE, ids=[f.__name__ for _, f, _ in IN_PLACE])
def test_in_place_nudges_pass_on_float_x_and_fail_on_integer_x(name, impl, mistake):
    integer = _integer_cases(name)
    floats = [i for i in range(len(GRADED[name].cases(0))) if i not in integer]
    assert integer and floats
    check(GRADED[name], impl, only=floats)  # an ulp off after +h -2h +h is harmless
    hints = {m.name: m.hint for m in GRADED[name].mistakes}
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl)
    assert "integer x" in err.value.message
    if mistake in hints:
        assert err.value.diagnosis == hints[mistake]
    else:
        assert mistake in err.value.message and err.value.diagnosis not in hints.values()


# ---- failure messages

# a mistake outside the catalogue may get a description of what its outputs
# show, never the hint of a catalogued mistake it does not make
_HINTS = {name: {m.hint for m in g.mistakes} for name, g in GRADED.items()}


def test_failure_names_entry_case_and_numbers():
    def wrong_last_entry(f, x, *, h=1e-5, method="centered"):
        g = ref.numerical_gradient(f, x, h=h, method=method)
        g[(-1,) * g.ndim] += 0.5
        return g
    with pytest.raises(CheckFailure) as err:
        check(GRADED["numerical_gradient"], wrong_last_entry)
    text = str(err.value)
    assert "at grad[2]" in text and "yours" in text and "expected" in text
    assert "numerical_gradient" in text and "h=0.01" in text and "shape (3,)" in text


def test_mutating_the_callers_x_is_named():
    def leaves_x_nudged(f, x, *, h=1e-5, method="centered"):
        g = ref.numerical_gradient(f, x, h=h, method=method)
        x[0] += h  # as if the last restore were forgotten
        return g
    with pytest.raises(CheckFailure) as err:
        check(GRADED["numerical_gradient"], leaves_x_nudged)
    assert "changed the caller's x" in str(err.value)
    assert "x[0] is" in str(err.value)


def test_unrestored_entries_on_the_callers_x_are_named():
    def no_restore_in_place(f, x, *, h=1e-5, method="centered"):
        g = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            x[i] += h
            plus = f(x)
            x[i] -= 2 * h
            g[i] = (plus - f(x)) / (2 * h)
        return g
    with pytest.raises(CheckFailure, match="changed the caller's x"):
        check(GRADED["numerical_gradient"], no_restore_in_place)


@pytest.mark.parametrize("name,impl", [
    ("numerical_gradient",
     lambda f, x, *, h=1e-5, method="centered":
     ref.numerical_gradient(f, x, h=h, method=method) * (1 + 1e-4)),
    ("relative_error",
     lambda a, b, *, floor=1e-12:
     np.abs(a - b) / np.maximum((np.abs(a) + np.abs(b)) / 2, floor)),
    ("kink_crossed", lambda winner, x, index, *, h=1e-5: True),
])
def test_unknown_mistake_is_caught_without_a_false_diagnosis(name, impl):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl)
    assert err.value.diagnosis not in _HINTS[name]


class _Unsendable:
    """A result that cannot cross the wire: only its type name does."""


@pytest.mark.parametrize("name,bad,needle", [
    ("numerical_gradient", lambda f, x, *, h=1e-5, method="centered": None, "is None"),
    ("numerical_gradient", lambda f, x, *, h=1e-5, method="centered": [0.0] * x.size,
     "should be a numpy array of shape (3,), got list"),
    ("numerical_gradient",
     lambda f, x, *, h=1e-5, method="centered": ref.numerical_gradient(f, x).ravel()[:2],
     "has shape (2,), expected (3,)"),
    ("numerical_gradient", lambda f, x, h=1e-5: 0, "raised TypeError"),
    ("relative_error", lambda a, b: None, "is None"),
    ("relative_error", lambda a, b: 1 / 0, "raised ZeroDivisionError"),
    ("kink_crossed", lambda winner, x, index, *, h=1e-5: None,
     "should return True or False, got None for index 0"),
    ("kink_crossed", lambda winner, x, index, *, h=1e-5: winner(x) != winner(x),
     "should return True or False, got an array of shape (8,)"),
    ("kink_crossed", lambda winner, x, index, *, h=1e-5: bool(winner(x)[100]),
     "raised IndexError"),
    ("numerical_gradient", lambda f, x, *, h=1e-5, method="centered": _Unsendable(),
     "your grad should be a numpy array of shape (3,), got _Unsendable"),
    ("relative_error", lambda a, b: {0.5},
     "your relative_error should be a numpy array of shape (2, 3), got set"),
])
def test_malformed_returns_get_a_sentence(name, bad, needle):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], bad)
    assert needle in str(err.value)
    assert "Traceback" not in str(err.value)


def test_kink_crossed_changing_the_callers_x_is_named():
    def leaves_entry_low(winner, x, index, *, h=1e-5):
        answer = ref.kink_crossed(winner, x, index, h=h)
        x[np.unravel_index(index, x.shape) if np.ndim(index) == 0 else index] -= h
        return answer
    with pytest.raises(CheckFailure) as err:
        check(GRADED["kink_crossed"], leaves_entry_low)
    assert "changed the caller's x" in str(err.value)
    assert "after kink_crossed(winner, x, 0)" in str(err.value)


def test_the_test_function_may_be_called_on_the_callers_array_many_times():
    def evaluates_often(f, x, *, h=1e-5, method="centered"):
        for _ in range(3):
            f(x), f(x.tolist()), f(x.astype(np.float32).astype(np.float64))
        return numgrad_flat_view(f, x, h=h, method=method)
    check(GRADED["numerical_gradient"], evaluates_often)


# ---- the seed: new numbers, the same structure, labels that rebuild the case

SEEDS = range(6)


def _value(label: str, name: str):
    """The literal that follows ``name = `` in a label."""
    assert f"{name} = " in label, (name, label)
    text = label.split(f"{name} = ", 1)[1]
    depth = 0
    for end, ch in enumerate(text):
        depth += ch == "["
        depth -= ch == "]"
        if depth == 0:
            return np.array(ast.literal_eval(text[:end + 1]), dtype=float)
    raise AssertionError(label)


@pytest.mark.parametrize("seed", SEEDS)
def test_labels_state_the_inputs(seed):
    for case in GRADED["numerical_gradient"].cases(seed):
        shape = case.args["x"].shape
        np.testing.assert_array_equal(_value(case.label, f"shape {shape_text(shape)}"),
                                      case.args["x"])
        for key in "cka":
            np.testing.assert_array_equal(_value(case.label, key), case.args["function"][key])
    for case in GRADED["relative_error"].cases(seed):
        np.testing.assert_array_equal(_value(case.label, "a"), case.args["a"])
        np.testing.assert_array_equal(_value(case.label, "b"), case.args["b"])
    kinks = GRADED["kink_crossed"].cases(seed)
    for case, h in [(kinks[0], 1e-5), (kinks[4], 1e-3)]:  # "x = h * [...]"
        in_h = _value(case.label.replace("x = h * ", "x_over_h = "), "x_over_h")
        np.testing.assert_array_equal(in_h * h, case.args["x"])
    for case in kinks[5:]:
        np.testing.assert_array_equal(_value(case.label, "integer x"), case.args["x"])
        assert case.args["x"].dtype.kind == "i"


@pytest.mark.parametrize("seed", SEEDS)
def test_kinks_stay_structural(seed):
    cases = GRADED["kink_crossed"].cases(seed)
    relu = cases[0].args["x"] / 1e-5
    assert np.sum(relu == 0) == 1
    levels = sorted(np.floor(np.abs(relu[relu != 0])))  # in units of h
    assert levels[:4] == [0, 0, 1, 1] and levels[4] >= 2 and levels[5] >= 1000
    rows = cases[1].args["x"]
    tops = np.sort(rows, axis=1)[:, -2:]
    gaps = sorted((tops[:, 1] - tops[:, 0]) / 1e-5)
    assert gaps[0] == 0 and 0 < gaps[1] < 1 < gaps[2] < 2, gaps
    assert np.sum(rows == 0) >= 1
    answers = [ref.kink_crossed(lambda z: np.argmax(z, axis=1), rows, q)
               for q in cases[1].args["queries"]]
    assert answers == [True, True, True, True, False, False, False]
    edge = GRADED["relative_error"].cases(seed)[0]
    a, b = edge.args["a"], edge.args["b"]
    assert a[0, 0] == b[0, 0] == 0 and a[0, 1] == 0 and a[0, 2] * b[0, 2] < 0
    assert max(abs(a[1, 1]), abs(b[1, 1])) < 1e-12 and 0 < a[1, 2] < b[1, 2]


def test_seeds_change_the_kink_answers():
    """With the entries in a drawn order, no fixed list of flags passes."""
    flags = set()
    for seed in SEEDS:
        case = GRADED["kink_crossed"].cases(seed)[0]
        flags.add(tuple(bool(ref.kink_crossed(lambda z: z > 0, case.args["x"], i))
                        for i in case.args["queries"]))
    assert len(flags) > 1


# ---- mistakes outside the catalogue: caught by what they compute, never misnamed

def _backward_difference(f, x, *, h=1e-5, method="centered"):
    """Asked for "forward", takes (f(x) - f(x - h)) / h instead."""
    if method == "centered":
        return ref.numerical_gradient(f, x, h=h)
    xw, grad = np.array(x, dtype=np.float64), np.zeros(np.shape(x))
    f0 = float(f(xw))
    for i in np.ndindex(xw.shape):
        old = xw[i]
        xw[i] = old - h
        grad[i] = (f0 - float(f(xw))) / h
        xw[i] = old
    return grad


def _relerr_min_denominator(a, b, *, floor=1e-12):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.minimum(np.abs(a), np.abs(b)), floor)


def _kink_moves_every_entry(winner, x, index, *, h=1e-5):
    """Shifts all of x by -h and +h, not just the entry at index."""
    x = np.asarray(x, dtype=np.float64)
    return not bool(np.all(winner(x - h) == winner(x + h)))


UNCATALOGUED = [
    ("numerical_gradient", _backward_difference),
    ("relative_error", _relerr_min_denominator),
    ("kink_crossed", _kink_moves_every_entry),
]


@pytest.mark.parametrize("name,impl", UNCATALOGUED, ids=[n for n, _ in UNCATALOGUED])
def test_uncatalogued_mistake_is_caught_without_a_false_diagnosis(name, impl):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], impl)
    assert err.value.diagnosis not in _HINTS[name], err.value.diagnosis
    assert "yours" in err.value.message and "expected" in err.value.message
