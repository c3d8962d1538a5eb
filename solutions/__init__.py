"""Reference implementation of the course, numpy only.

One module per chapter concept: ``backprop``, ``gates``, ``gradcheck``,
``update_rules``, ``annealing``, ``regularization``; ``problems`` holds the
deterministic test problems that the chapters, the tests and the grader
share. Nothing here imports torch or any other package of this project.
"""
