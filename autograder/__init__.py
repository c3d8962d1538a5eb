"""The course's autograder: checks that compare a student's functions with
the reference in ``solutions`` and explain what differs."""
