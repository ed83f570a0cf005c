"""The browser tests' fixtures and helpers: chromium, servers on loopback, request log, screenshots, clicks.

Debian's chromium is driven by Playwright; the project installs it (scripts/system-deps.sh),
so a missing browser is a failure, not a skip. Every server gets its own temporary Jupyter
config, data and runtime folders and a kernelspec that runs this Python, so the user's
Jupyter set-up plays no part. Test modules import the fixtures they use from here (a
conftest.py here would clash with the other test folders' under ``--doctest-modules``).
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
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "out" / "screenshots"


class RequestLog:
    """Every URL the page asked for."""

    def __init__(self, page):
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda socket: self.urls.append(socket.url))

    def outside_loopback(self) -> list[str]:
        return [u for u in self.urls
                if urlparse(u).scheme not in ("data", "blob", "about") and urlparse(u).hostname != "127.0.0.1"]


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


# -- JupyterLab on loopback ---------------------------------------------------------------------

class LabServer:
    """A JupyterLab started for one test: no token (loopback only), temporary Jupyter folders."""

    def __init__(self, root: Path, env: dict[str, str], log: Path):
        import subprocess

        from protocolkit.workshop.server import free_port

        self.root, self.env, self.log = root, env, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        labconfig = Path(env["JUPYTER_CONFIG_DIR"]) / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(
            '{"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": true}}')
        with open(log, "wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                 "--allow-root", "--IdentityProvider.token=", "--ServerApp.password=", f"--ServerApp.root_dir={root}",
                 "--LabApp.extension_manager=readonly", "--ServerApp.open_browser=False"],
                cwd=root, env=env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait()

    def _wait(self, timeout: float = 90) -> None:
        import time
        import urllib.request

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"JupyterLab stopped: {self.log.read_text()[-2000:]}"
            try:
                with urllib.request.urlopen(self.url + "api/status", timeout=2):
                    return
            except OSError:
                time.sleep(0.25)
        raise AssertionError(f"JupyterLab did not answer within {timeout} s: {self.log.read_text()[-2000:]}")

    def kernel_client(self):
        """A client on the (single) running kernel, through its connection file in the runtime folder."""
        from jupyter_client import BlockingKernelClient

        files = sorted(Path(self.env["JUPYTER_RUNTIME_DIR"]).glob("kernel-*.json"))
        assert len(files) == 1, f"expected one running kernel, found {[f.name for f in files]}"
        client = BlockingKernelClient(connection_file=str(files[0]))
        client.load_connection_file()
        client.start_channels()
        client.wait_for_ready(timeout=30)
        return client

    def evaluate(self, expression: str):
        """The value of a Python expression in the notebook's kernel (through ``repr`` and ``literal_eval``)."""
        import ast

        outputs: list[dict] = []
        client = self.kernel_client()
        try:
            reply = client.execute_interactive(f"print(repr({expression}))", timeout=60, store_history=False,
                                               output_hook=lambda msg: outputs.append(msg))
        finally:
            client.stop_channels()
        assert reply["content"]["status"] == "ok", reply["content"]
        text = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        return ast.literal_eval(text.strip())

    def stop(self) -> None:
        import subprocess

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def run_all_cells(page) -> None:
    """Run All Cells from the Run menu once the kernel is connected, then wait for it to be idle again.

    JupyterLab can report "idle" before the kernel's session is connected, and a Run All
    then does nothing: wait for the status bar's kernel status, and try once more if no
    cell ran.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").first.wait_for()
    for attempt in range(2):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            page.locator(".jp-OutputArea-output").first.wait_for(state="attached", timeout=20_000)
            break
        except PlaywrightTimeout:
            if attempt:
                page.screenshot(path=str(screenshot_path("lab-run-all-failed.png")))
                raise
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    page.wait_for_function("![...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('[*]'))")


def click_partner(page, partner: str) -> None:
    """Click a partner's node where cytoscape drew it (a real mouse click on the canvas)."""
    page.locator(".pk-graph-canvas").first.scroll_into_view_if_needed()
    x, y = page.evaluate("""(id) => {
        const box = document.querySelector('.pk-graph-canvas');
        const node = box._pkCy.getElementById(id);
        const p = node.renderedPosition(), r = box.getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""", partner)
    page.mouse.click(x, y)


# -- fixtures -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    """Chromium, one per test module (each module imports this fixture, so a session scope would
    start a second Playwright while the first still runs)."""
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


@pytest.fixture
def page_with_log(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(60_000)
    log = RequestLog(page)
    yield page, log
    context.close()


@pytest.fixture
def lab_root(tmp_path) -> Path:
    """The notebooks and the examples, copied so runs write nothing into the source tree."""
    import protocolkit

    root = tmp_path / "lab"
    shutil.copytree(REPO / "notebooks", root / "notebooks")
    shutil.copytree(protocolkit.example_path("mash").parent, root / "examples")
    return root


@pytest.fixture
def lab(lab_root, jupyter_env, tmp_path):
    server = LabServer(lab_root, jupyter_env, tmp_path / "lab.log")
    yield server
    server.stop()


