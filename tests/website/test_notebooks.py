"""The committed chapters/*.ipynb twins match their .md sources."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_chapter_notebooks_are_in_sync():
    done = subprocess.run([sys.executable, str(ROOT / "_ext" / "pair_notebooks.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_chapter_with_code_has_a_twin():
    for md in (ROOT / "chapters").glob("*.md"):
        if "```{code-cell}" in md.read_text():
            assert md.with_suffix(".ipynb").exists(), f"{md.name} has no .ipynb twin"
