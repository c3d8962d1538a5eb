"""Assignment 3: the tools of a gradient check."""
from autograder.assignments.notebook import Assignment, Markdown, Provided, Solution, Tests
from solutions import gradcheck as ref

INTRO = r"""
# Assignment 3: gradient checking

A gradient check compares the gradient your backward pass computes with
one estimated from the function values alone. You write the three tools it
is built from:

1. `numerical_gradient`: the finite-difference estimate, one entry at a
   time;
2. `relative_error`: how far apart two gradients are, entry by entry;
3. `kink_crossed`: whether a finite difference straddled a point where the
   function is not differentiable (a ReLU at 0, a tie in a max), so that
   its error says nothing about your code.

Everything is computed in float64. Small validation helpers that the
functions may call (`_check_step`, `_as_index`) are given in locked cells
just before the part that uses them. The visible checks under each part
use functions whose derivatives you know in closed form; the grader then
compares your function with the reference on its own cases and, when an
answer is off, reports where, by how much, and which common mistake
produces the same numbers when it recognises one.
"""

GIVEN = r"""
import contextlib
import warnings

import numpy as np


@contextlib.contextmanager
def quietly():
    # A warning printed by a test cell costs that cell its points, even when
    # the values are right, so the checks run with warnings silenced.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield
"""

NUMGRAD = r"""
## Part 1: the numerical gradient (5 points)

For every entry $i$ of `x`, with $e_i$ the array that is 1 at $i$ and 0
elsewhere:

- centered (the default): $g_i = \dfrac{f(x + h e_i) - f(x - h e_i)}{2h}$,
  error $O(h^2)$, two evaluations of $f$ per entry;
- forward: $g_i = \dfrac{f(x + h e_i) - f(x)}{h}$, error $O(h)$, one
  evaluation per entry plus $f(x)$ once.

Work on a float64 copy of `x` (it may hold integers), change one entry at
a time and put it back to its exact old value before moving on: every
partial derivative must be taken at the original point. The result has
the shape of `x`; the caller's `x` must be unchanged.

The grader uses a smooth function that couples all entries, `x` of shapes
`(3,)` and `(2, 3)` and steps `h` from `1e-4` to `1e-2`, and compares your
result with the same formula at the same `h` (so the truncation error is
part of the expected answer). Points: 2 for the centered difference, 2 for
the forward one, 1 for the defaults (`h=1e-5`, centered).

The visible checks use $f(x) = \sum_i x_i^3$, for which both formulas can
be worked out exactly: the centered difference is $3x_i^2 + h^2$, the
forward one $3x_i^2 + 3x_i h + h^2$. They also use
$f(x) = \tfrac12 (a \cdot x)^2$, whose centered difference is exact,
$g = a\,(a \cdot x)$, and would be off if an entry stayed shifted.
"""

NUMGRAD_CENTERED = r"""
x = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.25]])
x_before = x.copy()
g = numerical_gradient(lambda z: np.sum(z**3), x, h=0.1, method="centered")
assert isinstance(g, np.ndarray) and g.shape == x.shape, (
    f"expected an array of shape {x.shape}, got {type(g).__name__} of shape {np.shape(g)}")
expected = 3 * x**2 + 0.1**2
assert np.allclose(g, expected, rtol=1e-9, atol=1e-9), (
    f"centered difference of sum(x**3) with h=0.1:\n{g}\nexpected 3 x**2 + h**2:\n{expected}")
assert np.array_equal(x, x_before), "numerical_gradient changed the caller's x"

a = np.array([1.0, 2.0, 3.0, 4.0])
x = np.array([0.5, -0.5, 1.0, 2.0])
g = numerical_gradient(lambda z: 0.5 * np.dot(a, z) ** 2, x, h=0.1, method="centered")
expected = a * np.dot(a, x)
assert np.allclose(g, expected, rtol=1e-9), (
    f"centered difference of 0.5 (a . x)**2: got {g}, expected a (a . x) = {expected}; "
    f"is every entry back at its old value before the next one is nudged?")
"""

NUMGRAD_FORWARD = r"""
x = np.array([0.5, -1.0, 2.0, 0.0])
g = numerical_gradient(lambda z: np.sum(z**3), x, h=0.1, method="forward")
expected = 3 * x**2 + 3 * x * 0.1 + 0.1**2
assert isinstance(g, np.ndarray) and g.shape == x.shape, (
    f"expected an array of shape {x.shape}, got {type(g).__name__} of shape {np.shape(g)}")
assert np.allclose(g, expected, rtol=1e-9, atol=1e-9), (
    f"forward difference of sum(x**3) with h=0.1: got {g}, "
    f"expected 3 x**2 + 3 x h + h**2 = {expected}")

# at h = 1e-3 on sin: the forward error is about h/2 |sin x|, the centered
# one about h**2/6 |cos x|
x = np.linspace(0.3, 1.2, 4)
err_forward = np.max(np.abs(numerical_gradient(lambda z: np.sum(np.sin(z)), x, h=1e-3,
                                               method="forward") - np.cos(x)))
err_centered = np.max(np.abs(numerical_gradient(lambda z: np.sum(np.sin(z)), x, h=1e-3,
                                                method="centered") - np.cos(x)))
assert err_forward > 1e-4, f"forward error {err_forward:.1e} on sin is too small for O(h)"
assert err_centered < 1e-6, f"centered error {err_centered:.1e} on sin is too large for O(h**2)"
"""

NUMGRAD_DEFAULTS = r"""
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
"""

RELERR = r"""
## Part 2: the relative error (3 points)

$$
\operatorname{rel}(a, b) = \frac{|a - b|}{\max(|a|, |b|, \text{floor})},
\qquad \text{floor} = 10^{-12},
$$

entry by entry: the result is an array of the shape of `a` and `b`, in
float64 (they may hold integers). It is symmetric in `a` and `b`. The
floor is one of the values the maximum chooses from (it is not added to
it): two exact zeros give 0 instead of $0/0$, and values below the floor
are compared by their absolute difference divided by the floor.

Points: 2 for the edge cases (both zero, one zero, opposite signs, values
below the floor, $a < b$), 1 for ordinary values (around $\pm 1000$, and
integer arrays). The visible checks compute a few values by hand:
$\operatorname{rel}(3, 4) = 1/4$, $\operatorname{rel}(2, -2) = 2$,
$\operatorname{rel}(10^{-13}, -10^{-13}) = 2 \cdot 10^{-13} / 10^{-12} = 0.2$.
"""

RELERR_EDGES = r"""
a = np.array([0.0, 0.0, 2.0, 1e-13, 0.5])
b = np.array([0.0, 1e-3, -2.0, -1e-13, 0.75])
with quietly():
    r = relative_error(a, b)
assert isinstance(r, np.ndarray) and r.shape == a.shape, (
    f"expected an array of shape {a.shape}, got {type(r).__name__} of shape {np.shape(r)}")
assert np.all(np.isfinite(r)), f"non-finite relative errors {r}: two exact zeros must give 0"
expected = np.array([0.0, 1.0, 2.0, 0.2, 1 / 3])
assert np.allclose(r, expected, rtol=1e-12, atol=0), (
    f"relative_error({a.tolist()}, {b.tolist()}) = {r.tolist()}, expected {expected.tolist()}")
"""

RELERR_ORDINARY = r"""
a = np.array([[3.0, -1.0], [10.0, 0.5]])
b = np.array([[4.0, -1.0], [8.0, 0.25]])
a_before, b_before = a.copy(), b.copy()
with quietly():
    r = relative_error(a, b)
    r_swapped = relative_error(b, a)
    r_int = relative_error(np.array([0, 3, -4]), np.array([0, 4, 4]))
expected = np.array([[0.25, 0.0], [0.2, 0.5]])
assert isinstance(r, np.ndarray) and r.shape == (2, 2), (
    f"expected an array of shape (2, 2), got {type(r).__name__} of shape {np.shape(r)}")
assert np.allclose(r, expected, rtol=1e-12), f"relative_error(a, b) = {r.tolist()}, expected {expected.tolist()}"
assert np.allclose(r_swapped, r, rtol=1e-12), f"relative_error(b, a) = {r_swapped.tolist()} differs from relative_error(a, b)"
assert np.array_equal(a, a_before) and np.array_equal(b, b_before), "relative_error changed its inputs"
assert np.allclose(r_int, [0.0, 0.25, 2.0], rtol=1e-12), (
    f"on integers [0, 3, -4] and [0, 4, 4]: got {r_int}, expected [0, 0.25, 2]")
"""

KINK = r"""
## Part 3: did the difference cross a kink? (4 points)

A centered difference at entry $i$ looks at $x - h e_i$ and $x + h e_i$.
`winner(z)` reports which input "won" at each non-differentiable point of
the function at `z`: for a ReLU, `z > 0` (which units are on); for a max
over each row, `np.argmax(z, axis=1)`. Return `True` when the winner at
$x - h e_i$ differs from the winner at $x + h e_i$ in any entry (compare
the two results with `==`; they may be arrays or single numbers), and
`False` otherwise, as a single bool. `index` is a tuple with one integer
per axis of `x`, or one flat integer counted in C order (last axis
fastest, as `np.unravel_index` does). Do not change the caller's `x`.

Points: 2 for ReLU kinks (entries at and near 0, including a custom `h`),
2 for max kinks (exact ties and near-ties closer and farther than `h`,
with tuple and flat indices). The visible checks place entries a known
distance from a kink: closer than `h` means crossed, farther means not.
"""

KINK_RELU = r"""
relu_on = lambda z: z > 0
x = np.array([0.0, 1.0, -1.0, 4e-6, -2e-5, 1.5e-5])
x_before = x.copy()
flags = [kink_crossed(relu_on, x, i) for i in range(len(x))]
assert all(isinstance(f, (bool, np.bool_)) for f in flags), (
    f"kink_crossed should return True or False, got {[type(f).__name__ for f in flags]}")
expected = [True, False, False, True, False, False]
assert [bool(f) for f in flags] == expected, (
    f"ReLU kinks with h=1e-5 at x = {x.tolist()}: got {[bool(f) for f in flags]}, expected {expected}")
assert np.array_equal(x, x_before), "kink_crossed changed the caller's x"

x = np.array([[0.5, -0.05], [2e-3, 0.0]])
got = [bool(kink_crossed(relu_on, x, i, h=1e-2)) for i in [(0, 0), (0, 1), (1, 0), (1, 1)]]
assert got == [False, False, True, True], (
    f"ReLU kinks with h=1e-2 at x = {x.tolist()}, tuple indices: got {got}, "
    f"expected [False, False, True, True]")
"""

KINK_MAX = r"""
row_winner = lambda z: np.argmax(z, axis=1)
x = np.array([[1.0, 3.0, 3.0 + 4e-6],
              [5.0, 0.0, -1.0]])
# row 0: the two largest entries are 4e-6 apart, closer than h = 1e-5
cases = {(0, 2): True, (0, 1): True, (0, 0): False, (1, 0): False, 1: True, 4: False}
for index, expected in cases.items():
    got = kink_crossed(row_winner, x, index)
    assert isinstance(got, (bool, np.bool_)), (
        f"kink_crossed should return True or False, got {type(got).__name__} for index {index}")
    assert bool(got) == expected, (
        f"row-max kink at index {index} of x = {x.tolist()} with h=1e-5: got {bool(got)}, "
        f"expected {expected} (a flat index counts in C order: 1 is (0, 1), 4 is (1, 1))")
"""

CLOSING = r"""
## Putting them together

The three tools make a gradient check. For a function with kinks, skip
the entries whose difference straddles one and judge the rest:

```python
num = numerical_gradient(loss_of_x, x)
err = relative_error(analytic, num)
crossed = np.array([kink_crossed(winner, x, i) for i in range(x.size)]).reshape(x.shape)
worst = err[~crossed].max()   # < 1e-7 good, > 1e-2 probably wrong
```
"""

ASSIGNMENT = Assignment(
    name="03_gradcheck",
    cells=[
        Markdown(INTRO),
        Provided(GIVEN),
        Markdown(NUMGRAD),
        Solution((ref.numerical_gradient,)),
        Tests("gradcheck.numerical_gradient", "numerical_gradient", 2, NUMGRAD_CENTERED,
              cases=(0, 1)),
        Tests("gradcheck.numerical_gradient", "numerical_gradient", 2, NUMGRAD_FORWARD,
              cases=(2, 3)),
        Tests("gradcheck.numerical_gradient", "numerical_gradient", 1, NUMGRAD_DEFAULTS,
              cases=(4,)),
        Markdown(RELERR),
        Solution((ref.relative_error,)),
        Tests("gradcheck.relative_error", "relative_error", 2, RELERR_EDGES, cases=(0,)),
        Tests("gradcheck.relative_error", "relative_error", 1, RELERR_ORDINARY,
              cases=(1, 2)),
        Markdown(KINK),
        Solution((ref.kink_crossed,)),
        Tests("gradcheck.kink_crossed", "kink_crossed", 2, KINK_RELU, cases=(0, 4)),
        Tests("gradcheck.kink_crossed", "kink_crossed", 2, KINK_MAX, cases=(1, 2, 3)),
        Markdown(CLOSING),
    ],
)
