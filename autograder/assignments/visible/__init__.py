"""What students run in their own notebook: visible checks and helpers.

numpy only, and no import of the course's packages: each function's
source is written into the notebook (a test cell holds its part's check
function and the call of it; a given cell holds the helpers), so the
notebook runs where the course is not installed. Being real functions,
they are tested like the rest (tests/autograder/assignments/).
"""
