"""The built website, served on loopback and opened in Debian's chromium.

The open edition is built by the README's build command (``make book``;
``make test`` builds it first): these fixtures never build it themselves
and never skip, a missing build is a failure with the command that makes
it. The class edition is built here, once per test run (``class_build``),
from the open edition's executed notebooks.
"""
from __future__ import annotations

import dataclasses
import fcntl
import functools
import http.server
import os
import pathlib
import sys
import tempfile
import threading

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def site_url():
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built site at {HTML}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output readable
        pass


def _chromium(width: int, height: int, phone: bool = False):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.path.exists(path):
            pytest.fail(f"{path} is missing: `make env` installs chromium and chromium-driver")
    os.environ["SE_OFFLINE"] = "true"  # never let selenium fetch a browser
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    if phone:  # a phone's viewport and touch layout, not just a narrow window
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 3, "mobile": True})
    return driver


@pytest.fixture(scope="session")
def browser():
    driver = _chromium(1280, 900)
    yield driver
    driver.quit()


PHONE = (390, 844)


@pytest.fixture(scope="session")
def phone():
    """Chromium as a 390x844 phone."""
    driver = _chromium(*PHONE, phone=True)
    yield driver
    driver.quit()


# ------------------------------------------------------------ class edition

sys.path.insert(0, str(ROOT / "_ext"))
import build_editions as build  # noqa: E402  (shared with the benchmarks)

CLASS_OUT = build.OUTPUT["class"]
CLASS_HTML = build.html("class")
CLASS_TARGETS = build.STAND_IN_TARGETS  # the class edition refuses placeholders


@dataclasses.dataclass
class ClassBuild:
    returncode: int
    log: str
    html: pathlib.Path


def once_per_test_run(folder: pathlib.Path, make) -> int:
    """Run make(), which fills folder, once per test run; return its result code.

    Both test workers may ask: a lock lets the first one make it and the
    other reuse it. A folder made by an earlier run is made again.
    """
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"single-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / "made-by-test-run"
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.read_text().split()[0] != run:
            code = make()
            stamp.write_text(f"{run} {code}\n")
        return int(stamp.read_text().split()[1])


@pytest.fixture(scope="session")
def class_build(tmp_path_factory) -> ClassBuild:
    """The class edition, built once per test run into _build/class.

    It reuses the open edition's executed notebooks (the shared cache).
    """
    log = CLASS_OUT / "build.log"

    def make() -> int:
        config = build.config_with_targets(tmp_path_factory.mktemp("class-config"),
                                           CLASS_TARGETS)
        done = build.build("class", config=config)
        log.write_text(done.stdout + done.stderr)
        return done.returncode

    returncode = once_per_test_run(CLASS_OUT, make)
    return ClassBuild(returncode, log.read_text(), CLASS_HTML)
