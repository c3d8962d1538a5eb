"""Every page's notebook, downloaded from the site, runs in a fresh environment.

The environment is made once per test run with nothing but what the
install line printed at the top of every page notebook installs (and
ipykernel, which Jupyter brings): a new venv, the line's packages from the
wheels `make env` downloaded (offline), the course from this working tree
in place of its repository. PyTorch is not installed, so the cells that
compare with it must skip themselves with a note.
"""
from __future__ import annotations

import json
import pathlib
import shlex
import shutil
import subprocess
import sys
import tomllib
import urllib.request

import nbformat
import pytest
import yaml

from website.conftest import ROOT, once_per_test_run
from website.pages import PAGES, open_page

sys.path.insert(0, str(ROOT / "_ext"))
import launch  # noqa: E402

FRESH = ROOT / "_build" / "fresh-env"
WHEELS = ROOT / ".venv" / "notebook-wheels"
KERNEL = "course-fresh-env"
NOTEBOOK_PAGES = [p for p in PAGES if (ROOT / p.replace(".html", ".md")).exists()
                  and "```{code-cell}" in (ROOT / p.replace(".html", ".md")).read_text()]
TARGETS = launch.Targets.from_config_yml(yaml.safe_load((ROOT / "_config.yml").read_text()))


def _course_copy(dest: pathlib.Path) -> pathlib.Path:
    """What a clone of the repository holds for installing the course."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for name in ["pyproject.toml", pyproject["project"]["readme"]]:
        shutil.copy2(ROOT / name, dest / name)
    patterns = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    for package in sorted({p.rstrip("*") for p in patterns}):  # "autograder*" -> autograder
        shutil.copytree(ROOT / package, dest / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _make_fresh_env() -> int:
    shutil.rmtree(FRESH / "venv", ignore_errors=True)
    shutil.rmtree(FRESH / "course", ignore_errors=True)
    if not (WHEELS / ".done").exists():
        (FRESH / "setup.log").write_text(f"no wheels in {WHEELS}: run `make env`")
        return 1
    subprocess.run([sys._base_executable, "-m", "venv", str(FRESH / "venv")], check=True)
    words = shlex.split(launch.install_line(TARGETS))
    assert words[:2] == ["pip", "install"], words
    (FRESH / "course").mkdir(parents=True)
    packages = words[2:-1] + [str(_course_copy(FRESH / "course"))]  # the course: this tree
    python = FRESH / "venv" / "bin" / "python"
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-compile", "--no-index", "--find-links", str(WHEELS), *packages, "ipykernel"],
        capture_output=True, text=True)
    (FRESH / "setup.log").write_text(" ".join(packages) + "\n" + done.stdout + done.stderr)
    spec = FRESH / "kernels" / KERNEL
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh environment", "language": "python",
        "env": {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}}))
    return done.returncode


@pytest.fixture(scope="session")
def fresh_env() -> pathlib.Path:
    code = once_per_test_run(FRESH, _make_fresh_env)
    log = (FRESH / "setup.log").read_text()
    assert code == 0, f"could not make the fresh environment:\n{log[-3000:]}"
    return FRESH


def test_the_fresh_environment_has_only_the_install_line(fresh_env):
    python = fresh_env / "venv" / "bin" / "python"
    probe = ("import importlib.util as u; print(' '.join(m for m in "
             "('torch', 'myst_nb', 'sphinx', 'nbgrader', 'jupyter_book') if u.find_spec(m)))")
    found = subprocess.run([str(python), "-c", probe], capture_output=True, text=True)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == "", f"the fresh environment has {found.stdout.strip()}"


def _download(browser, site_url: str, page: str) -> nbformat.NotebookNode:
    """The notebook behind the page's .ipynb download button."""
    open_page(browser, site_url + page)
    wanted = "/_sources/" + page.removesuffix(".html") + ".ipynb"
    links = browser.execute_script(
        "return [...document.querySelectorAll('a.dropdown-item, a.btn')].map(a => a.href);")
    ours = [h for h in links if h.endswith(wanted)]
    assert ours, f"{page}: no .ipynb download button (links: {links})"
    with urllib.request.urlopen(ours[0], timeout=30) as response:
        return nbformat.reads(response.read().decode(), as_version=4)


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_page_notebook_runs_in_a_fresh_environment(browser, site_url, fresh_env, page,
                                                    tmp_path):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = _download(browser, site_url, page)
    how = next((c.source for c in nb.cells if "Running the chapter notebooks" in c.source), "")
    first = [c.source[:80] for c in nb.cells[:3]]
    assert launch.install_line(TARGETS) in how, (
        f"{page}: the notebook does not print the install line "
        f"{launch.install_line(TARGETS)!r} (its first cells: {first})")
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    specs = KernelSpecManager(kernel_dirs=[str(fresh_env / "kernels")])
    client = NotebookClient(nb, km=KernelManager(kernel_name=KERNEL, kernel_spec_manager=specs),
                            timeout=300, resources={"metadata": {"path": str(tmp_path)}})
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"{page}: a cell failed in the fresh environment:\n{str(err)[-3000:]}")
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("%%requires torch"):
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert "Skipped: this cell needs torch" in text, (
                f"{page}: a cell that needs torch ran or failed without it: {text[:300]!r}")
