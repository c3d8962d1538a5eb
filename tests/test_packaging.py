"""A plain (non-editable) install ships every package of the tree."""
from __future__ import annotations

import pathlib
import shutil
import subprocess
import sys
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_wheel_holds_every_subpackage_and_module(tmp_path):
    src = tmp_path / "src"  # a copy: building writes build/ beside the sources
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for top in ("autograder", "solutions"):
        shutil.copytree(ROOT / top, src / top, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {str(p.relative_to(ROOT)) for top in ("autograder", "solutions")
              for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts}
    missing = sorted(wanted - names)
    assert not missing, f"not in {wheel.name}: {missing}"
    assert not any(n.startswith(("tests/", "exercises/", "chapters/")) for n in names)
