import sys

from autograder.course.cli import main

sys.exit(main())
