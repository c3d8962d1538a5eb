"""The only part of the autograder that runs beside student code.

It is mounted alone, read-only, in every sandbox that runs a submission,
and needs nothing but the standard library and numpy. It takes a case's
inputs, calls the student's functions on them and sends back what they
returned, as plain data (:mod:`.wire`). It holds no reference
implementation, no known mistakes and no expected outputs: a process it
cannot reach (``autograder.judge``) compares and decides the points.
Every import inside this package is relative, so it works under any name.
"""
