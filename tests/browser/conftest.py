"""Real-browser tests: Debian's chromium driven by Playwright against servers started on loopback.

The project installs chromium (scripts/system-deps.sh); a missing browser is a failure,
not a skip. Every server gets its own temporary Jupyter config, data and runtime folders
and a kernelspec that runs this Python, so the user's Jupyter set-up plays no part.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), (f"{CHROMIUM} is missing: the browser tests need Debian's chromium; "
                               "run `make test` as root (scripts/system-deps.sh installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def jupyter_env(tmp_path) -> dict[str, str]:
    """Environment for a Jupyter server with temporary Jupyter folders and this Python as its kernel."""
    from protocolkit.workshop.server import write_kernelspec

    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        folder = tmp_path / "jupyter-home" / name.lower()
        folder.mkdir(parents=True)
        env[name] = str(folder)
    write_kernelspec(Path(env["JUPYTER_DATA_DIR"]))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO / "src"), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                                                                if p]])
    env.pop("JUPYTER_PATH", None)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    return env


@pytest.fixture
def protocol_copy(tmp_path) -> Path:
    """A copy of the shipped example, so what the page records lands in a temporary folder."""
    import protocolkit

    target = tmp_path / "mash"
    shutil.copytree(protocolkit.example_path("mash"), target)
    return target


class RequestLog:
    """Every URL the page asked for."""

    def __init__(self, page):
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda socket: self.urls.append(socket.url))

    def outside_loopback(self) -> list[str]:
        return [u for u in self.urls
                if urlparse(u).scheme not in ("data", "blob", "about") and urlparse(u).hostname != "127.0.0.1"]


@pytest.fixture
def page_with_log(browser):
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = RequestLog(page)
    yield page, log
    context.close()


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name
