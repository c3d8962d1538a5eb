"""The gradient-checking checks: every catalogued mistake is caught and named,
every correct alternative passes, and failures say where and by how much."""
from __future__ import annotations


import numpy as np
import pytest

from autograder.judge.core import check
from autograder.judge.feedback import CheckFailure
from autograder.judge.gradcheck import GRADED
from solutions import gradcheck as ref

MUTANTS = [(name, m) for name, g in GRADED.items() for m in g.mistakes]


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
    # restores by arithmetic (+h, -2h, +h): may leave an entry one ulp away
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


ALTERNATIVES = {
    "numerical_gradient": [numgrad_basis, numgrad_in_place, numgrad_arithmetic_restore,
                           numgrad_halves],
    "relative_error": [relerr_loop, relerr_stack, relerr_fmax],
    "kink_crossed": [kink_basis, kink_in_place, kink_divmod],
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


# ---- failure messages


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
    assert err.value.diagnosis is None


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
     "should return True or False, got NoneType"),
    ("kink_crossed", lambda winner, x, index, *, h=1e-5: winner(x) != winner(x),
     "should return True or False, got an array of shape (8,)"),
    ("kink_crossed", lambda winner, x, index, *, h=1e-5: bool(winner(x)[100]),
     "raised IndexError"),
])
def test_malformed_returns_get_a_sentence(name, bad, needle):
    with pytest.raises(CheckFailure) as err:
        check(GRADED[name], bad)
    assert needle in str(err.value)
    assert "Traceback" not in str(err.value)


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
    assert err.value.diagnosis is None, err.value.diagnosis
    assert "yours" in err.value.message and "expected" in err.value.message
