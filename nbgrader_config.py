"""nbgrader settings for the course: sources in exercises/, everything that
nbgrader writes (release, submissions, grades, feedback) outside them."""
import os
import shutil
import sys
import sysconfig

c = get_config()  # noqa: F821 (injected by traitlets when nbgrader loads it)

here = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = here
c.CourseDirectory.course_id = "how-networks-learn"
c.CourseDirectory.source_directory = "exercises"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = os.path.join("course", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("course", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("course", "feedback")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(here, "course", "gradebook.db")
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__"]

# nbgrader's exchange (release_assignment, fetch_assignment, submit,
# collect, release_feedback, fetch_feedback): the folder named by
# $NBGRADER_EXCHANGE when set (on a JupyterHub, the shared exchange every
# user can reach, e.g. /srv/nbgrader/exchange), else course/exchange here,
# for a class on one machine. Students' configs name the same folder.
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE") or os.path.join(here, "course", "exchange")

# Stock nbgrader commands in a fresh clone: sqlite needs the gradebook's
# folder, and a new gradebook runs `alembic` by name, which is missing from
# PATH when .venv/bin/nbgrader is called without the venv active.
try:
    os.makedirs(os.path.join(here, "course"), exist_ok=True)
except OSError:
    pass  # a read-only checkout: commands that need the gradebook say so
if shutil.which("alembic") is None:
    for scripts in (sysconfig.get_path("scripts"), os.path.dirname(os.path.abspath(sys.executable))):
        if shutil.which("alembic", path=scripts):
            os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")
            break

# Grading: a cell gets two minutes; a deleted test cell comes back (it
# would otherwise wait for manual grading forever).
c.Execute.timeout = 120
c.Execute.interrupt_on_timeout = True
c.OverwriteCells.add_missing_cells = True

# Feedback shows each check's message, never the hidden test code.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
