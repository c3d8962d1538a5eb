"""The built website, served on loopback and opened in Debian's chromium.

The site is built by the README's build command (``make book``; ``make
test`` builds it first). These fixtures never build it themselves and never
skip: a missing build is a failure with the command that makes it.
"""
from __future__ import annotations

import functools
import http.server
import os
import pathlib
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
