"""What instructors run: the command line, and the grading pipeline behind it."""
