"""Assignment 3: the tools of a gradient check."""
from autograder.assignments.notebook import Assignment, Markdown, Solution, Tests
from autograder.assignments.visible import gradcheck as visible
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
compares your function with the reference on its own cases, whose numbers
are drawn anew at every grading run, and, when an answer is off, reports
the case, where, by how much, and which common mistake produces the same
numbers when it recognises one.
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
`(3,)`, `(2, 3)`, `(2, 2)` and `(2, 1, 2)`, float and integer, and steps `h`
from `1e-4` to `1e-2`, and compares your result with the same formula at
the same `h` (so the truncation error is part of the expected answer); it
also checks that the caller's `x` is unchanged afterwards. Points: 2 for
the centered difference, 2 for the forward one (each on float and integer
`x`), 1 for the defaults: called as
`numerical_gradient(f, x)`, your function must evaluate `f` at the same
points and return the same array as
`numerical_gradient(f, x, h=1e-5, method="centered")`. That point depends
on the defaults alone: a wrong centered difference costs the centered
points, not this one.

The visible checks use $f(x) = \sum_i x_i^3$, for which both formulas can
be worked out exactly: the centered difference is $3x_i^2 + h^2$, the
forward one $3x_i^2 + 3x_i h + h^2$. They also use
$f(x) = \tfrac12 (a \cdot x)^2$, whose centered difference is exact,
$g = a\,(a \cdot x)$, and would be off if an entry stayed shifted.
"""

RELERR = r"""
## Part 2: the relative error (3 points)

$$
\operatorname{rel}(a, b) = \frac{|a - b|}{\max(|a|, |b|, \text{floor})},
\qquad \text{floor} = 10^{-12},
$$

entry by entry: the result is an array of the shape of `a` and `b`, in
float64 (they may hold integers). It is symmetric in `a` and `b`, and
uses their absolute values, so negative entries count by their size. The
floor is one of the values the maximum chooses from (it is not added to
it, and it is not only a stand-in for a zero): two exact zeros give 0
instead of $0/0$, and values below the floor are compared by their
absolute difference divided by the floor. `a` and `b` are not changed.

Points: 2 for the edge cases (both zero, one zero, opposite signs, values
below the floor, $a < b$), 1 for ordinary values (around $\pm 1000$ with
every combination of signs, both negative included, and integer arrays);
both check that `a` and `b` come back as they went in. The visible checks compute a few values by hand:
$\operatorname{rel}(3, 4) = 1/4$, $\operatorname{rel}(2, -2) = 2$,
$\operatorname{rel}(10^{-13}, -10^{-13}) = 2 \cdot 10^{-13} / 10^{-12} = 0.2$.
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
fastest, as `np.unravel_index` does). `x` may hold integers: nudge
float64 copies. Do not change the caller's `x`.

Points: 2 for ReLU kinks (entries at and near 0, including a custom `h`
and an integer `x`), 2 for max kinks (exact ties and near-ties closer and
farther than `h`, with tuple and flat indices, and ties in an integer
`x`). The visible checks, like the grader's, place
entries a known distance from a kink: closer than `h` means crossed,
farther means not.
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
        Markdown(NUMGRAD),
        Solution((ref.numerical_gradient,)),
        Tests("gradcheck.numerical_gradient", 2, visible=visible.check_numgrad_centered,
              cases=(0, 1, 2)),
        Tests("gradcheck.numerical_gradient", 2, visible=visible.check_numgrad_forward,
              cases=(3, 4, 5)),
        Tests("gradcheck.numerical_gradient", 1, visible=visible.check_numgrad_defaults,
              cases=(6, 7)),
        Markdown(RELERR),
        Solution((ref.relative_error,)),
        Tests("gradcheck.relative_error", 2, visible=visible.check_relerr_edges,
              cases=(0, 3)),
        Tests("gradcheck.relative_error", 1, visible=visible.check_relerr_ordinary,
              cases=(1, 2)),
        Markdown(KINK),
        Solution((ref.kink_crossed,)),
        Tests("gradcheck.kink_crossed", 2, visible=visible.check_kink_relu, cases=(0, 4, 5)),
        Tests("gradcheck.kink_crossed", 2, visible=visible.check_kink_max,
              cases=(1, 2, 3, 6)),
        Markdown(CLOSING),
    ],
)
