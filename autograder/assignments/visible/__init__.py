"""What students run in their own notebook: visible checks and helpers.

numpy only, and no import of the course's packages: each function's
source is written into the notebook (a test cell holds its part's check
function and the call of it; a given cell holds the helpers), so the
notebook runs where the course is not installed. Being real functions,
they are tested like the rest (tests/autograder/assignments/).
"""
import inspect

from autograder.assignments.visible import helpers

# Sources for the specs that still paste helpers into a provided cell.
NUMERICAL_GRADIENT = "\n" + inspect.getsource(helpers.numerical_gradient)
GRADIENT_HELPERS = "\n\n\n".join(inspect.getsource(f) for f in (
    helpers.numerical_gradient, helpers.relative_error, helpers.backward_errors))
