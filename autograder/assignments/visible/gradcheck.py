"""Visible checks of assignment 3 (gradient checking): functions whose
finite differences and relative errors can be worked out by hand."""
import numpy as np


def check_numgrad_centered(numerical_gradient):
    x = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.25]])
    x_before = x.copy()
    g = numerical_gradient(lambda z: np.sum(z**3), x, h=0.1, method="centered")
    assert isinstance(g, np.ndarray) and g.shape == x.shape, (
        f"expected an array of shape {x.shape}, got {type(g).__name__} of shape {np.shape(g)}")
    expected = 3 * x**2 + 0.1**2
    assert np.allclose(g, expected, rtol=1e-9, atol=1e-9), (
        f"centered difference of sum(x**3) with h=0.1:\n{g}\nexpected 3 x**2 + h**2:\n{expected}")
    assert np.array_equal(x, x_before), "numerical_gradient changed the caller's x"

    # 0.5 (a . x)**2 is quadratic: its centered difference is exact
    a = np.array([1.0, 2.0, 3.0, 4.0])
    x = np.array([0.5, -0.5, 1.0, 2.0])
    g = numerical_gradient(lambda z: 0.5 * np.dot(a, z) ** 2, x, h=0.1, method="centered")
    expected = a * np.dot(a, x)
    assert np.allclose(g, expected, rtol=1e-9), (
        f"centered difference of 0.5 (a . x)**2: got {g}, expected a (a . x) = {expected}; "
        f"is every entry back at its old value before the next one is nudged?")


def check_numgrad_forward(numerical_gradient):
    x = np.array([0.5, -1.0, 2.0, 0.0])
    x_before = x.copy()
    g = numerical_gradient(lambda z: np.sum(z**3), x, h=0.1, method="forward")
    assert np.array_equal(x, x_before), "numerical_gradient changed the caller's x"
    expected = 3 * x**2 + 3 * x * 0.1 + 0.1**2
    assert isinstance(g, np.ndarray) and g.shape == x.shape, (
        f"expected an array of shape {x.shape}, got {type(g).__name__} of shape {np.shape(g)}")
    assert np.allclose(g, expected, rtol=1e-9, atol=1e-9), (
        f"forward difference of sum(x**3) with h=0.1: got {g}, "
        f"expected 3 x**2 + 3 x h + h**2 = {expected}")
    x = np.array([1, 2, -1])  # integers: the copy must be float64
    g = numerical_gradient(lambda z: np.sum(z**3), x, h=0.1, method="forward")
    expected = 3 * x**2 + 3 * x * 0.1 + 0.1**2
    assert np.allclose(g, expected, rtol=1e-9, atol=1e-9), (
        f"forward difference of sum(x**3) at integer x = {x.tolist()} with h=0.1: got {g}, "
        f"expected {expected}; nudge a float64 copy")

    # at h = 1e-3 on sin: the forward error is about h/2 |sin x|, the
    # centered one about h**2/6 |cos x|
    x = np.linspace(0.3, 1.2, 4)
    err_forward = np.max(np.abs(numerical_gradient(lambda z: np.sum(np.sin(z)), x, h=1e-3,
                                                   method="forward") - np.cos(x)))
    err_centered = np.max(np.abs(numerical_gradient(lambda z: np.sum(np.sin(z)), x, h=1e-3,
                                                    method="centered") - np.cos(x)))
    assert err_forward > 1e-4, f"forward error {err_forward:.1e} on sin is too small for O(h)"
    assert err_centered < 1e-6, (
        f"centered error {err_centered:.1e} on sin is too large for O(h**2)")


def check_numgrad_defaults(numerical_gradient):
    x = np.array([1.0, 2.0, -1.5])
    g = numerical_gradient(lambda z: np.sum(z**3), x)
    # centered with h = 1e-5 gives 3 x**2 + 1e-10; forward would be off by 3 x h
    assert np.allclose(g, 3 * x**2, rtol=1e-8), (
        f"numerical_gradient(f, x) on sum(x**3): got {g}, expected {3 * x**2}; "
        f"the defaults are h=1e-5 and method='centered'")

    x = np.array([[1, 2], [3, 4]])  # integers: the copy must be float64
    g = numerical_gradient(lambda z: np.sum(np.exp(z / 4)), x)
    assert g.dtype == np.float64, f"the result has dtype {g.dtype}, expected float64"
    assert np.allclose(g, np.exp(x / 4) / 4, rtol=1e-7), (
        f"gradient of sum(exp(x / 4)) at integer x = {x.tolist()}: got {g.tolist()}, "
        f"expected exp(x / 4) / 4 = {(np.exp(x / 4) / 4).tolist()}; nudge a float64 copy")


def check_relerr_edges(relative_error):
    a = np.array([0.0, 0.0, 2.0, 1e-13, 0.5])
    b = np.array([0.0, 1e-3, -2.0, -1e-13, 0.75])
    r = relative_error(a, b)
    assert isinstance(r, np.ndarray) and r.shape == a.shape, (
        f"expected an array of shape {a.shape}, got {type(r).__name__} of shape {np.shape(r)}")
    assert np.all(np.isfinite(r)), f"non-finite relative errors {r}: two exact zeros must give 0"
    expected = np.array([0.0, 1.0, 2.0, 0.2, 1 / 3])
    assert np.allclose(r, expected, rtol=1e-12, atol=0), (
        f"relative_error({a.tolist()}, {b.tolist()}) = {r.tolist()}, expected {expected.tolist()}")


def check_relerr_ordinary(relative_error):
    a = np.array([[3.0, -1.0], [10.0, 0.5]])
    b = np.array([[4.0, -1.0], [8.0, 0.25]])
    a_before, b_before = a.copy(), b.copy()
    r = relative_error(a, b)
    r_swapped = relative_error(b, a)
    r_int = relative_error(np.array([0, 3, -4]), np.array([0, 4, 4]))
    expected = np.array([[0.25, 0.0], [0.2, 0.5]])
    assert isinstance(r, np.ndarray) and r.shape == (2, 2), (
        f"expected an array of shape (2, 2), got {type(r).__name__} of shape {np.shape(r)}")
    assert np.allclose(r, expected, rtol=1e-12), (
        f"relative_error(a, b) = {r.tolist()}, expected {expected.tolist()}")
    assert np.allclose(r_swapped, r, rtol=1e-12), (
        f"relative_error(b, a) = {np.asarray(r_swapped).tolist()} differs from "
        f"relative_error(a, b)")
    assert np.array_equal(a, a_before) and np.array_equal(b, b_before), (
        "relative_error changed its inputs")
    assert np.allclose(r_int, [0.0, 0.25, 2.0], rtol=1e-12), (
        f"on integers [0, 3, -4] and [0, 4, 4]: got {r_int}, expected [0, 0.25, 2]")


def check_kink_relu(kink_crossed):
    def relu_on(z):
        return z > 0
    x = np.array([0.0, 1.0, -1.0, 4e-6, -2e-5, 1.5e-5])
    x_before = x.copy()
    flags = [kink_crossed(relu_on, x, i) for i in range(len(x))]
    assert all(isinstance(f, (bool, np.bool_)) for f in flags), (
        f"kink_crossed should return True or False, got {[type(f).__name__ for f in flags]}")
    expected = [True, False, False, True, False, False]
    assert [bool(f) for f in flags] == expected, (
        f"ReLU kinks with h=1e-5 at x = {x.tolist()}: got {[bool(f) for f in flags]}, "
        f"expected {expected}")
    assert np.array_equal(x, x_before), "kink_crossed changed the caller's x"

    x = np.array([[0.5, -0.05], [2e-3, 0.0]])
    got = [bool(kink_crossed(relu_on, x, i, h=1e-2)) for i in [(0, 0), (0, 1), (1, 0), (1, 1)]]
    assert got == [False, False, True, True], (
        f"ReLU kinks with h=1e-2 at x = {x.tolist()}, tuple indices: got {got}, "
        f"expected [False, False, True, True]")

    x = np.array([0, 1, -1, 3])  # integers: the copies must be float64
    got = [bool(kink_crossed(relu_on, x, i)) for i in range(4)]
    assert got == [True, False, False, False], (
        f"ReLU kinks with h=1e-5 at integer x = {x.tolist()}: got {got}, expected "
        f"[True, False, False, False]; nudge float64 copies of x")


def check_kink_max(kink_crossed):
    def row_winner(z):
        return np.argmax(z, axis=1)
    x = np.array([[1.0, 3.0, 3.0 + 4e-6],
                  [5.0, 0.0, -1.0]])
    # row 0: the two largest entries are 4e-6 apart, closer than h = 1e-5
    cases = {(0, 2): True, (0, 1): True, (0, 0): False, (1, 0): False, 1: True, 4: False}
    for index, expected in cases.items():
        got = kink_crossed(row_winner, x, index)
        assert isinstance(got, (bool, np.bool_)), (
            f"kink_crossed should return True or False, got {type(got).__name__} for "
            f"index {index}")
        assert bool(got) == expected, (
            f"row-max kink at index {index} of x = {x.tolist()} with h=1e-5: got {bool(got)}, "
            f"expected {expected} (a flat index counts in C order: 1 is (0, 1), 4 is (1, 1))")
