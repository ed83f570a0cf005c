"""Serve the workshop notebook with Voila on this computer only, offline.

:func:`start` writes the workshop notebook with its parameters into a working folder,
with a kernelspec that runs this Python (so the page uses the same protocolkit), and
starts Voila on 127.0.0.1 with the offline template shipped in this package (found
through ``JUPYTER_PATH``) and kernel culling, so closed pages do not leave kernels
running. Nothing here prints; the ``workshop`` command does.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from ..errors import ProtocolError

TEMPLATE = "protocolkit-workshop"
JUPYTER_DIR = Path(__file__).with_name("jupyter")
NOTEBOOK_NAME = "workshop.ipynb"
KERNEL_NAME = "python3"


def workshop_notebook() -> Path:
    """The workshop notebook: in the installed package's ``notebooks/``, else the source tree's.

    Examples
    --------
    >>> workshop_notebook().name
    'workshop.ipynb'
    """
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "notebooks" / NOTEBOOK_NAME, here.parents[2] / "notebooks" / NOTEBOOK_NAME):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("the workshop notebook is missing from this installation of protocolkit")


def template_directory() -> Path:
    """The offline Voila template's folder (under ``JUPYTER_PATH``'s ``voila/templates``).

    Examples
    --------
    >>> sorted(p.name for p in template_directory().iterdir())
    ['conf.json', 'index.html.j2']
    """
    return JUPYTER_DIR / "voila" / "templates" / TEMPLATE


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(directory: Path, parameters: Mapping[str, object]) -> Path:
    """Write the parameterised workshop notebook and a kernelspec for this Python into ``directory``.

    The parameters are injected in a cell after the one tagged ``parameters``, as papermill does
    (values written with ``repr``: strings, numbers, None).
    Returns the notebook's path.
    """
    import nbformat

    directory.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.read(workshop_notebook(), as_version=4)
    tagged = [i for i, cell in enumerate(notebook.cells) if "parameters" in cell.metadata.get("tags", [])]
    if not tagged:
        raise ProtocolError(f"{workshop_notebook()}: no cell is tagged 'parameters'; tag the first code cell")
    source = "# Injected parameters\n" + "".join(f"{name} = {value!r}\n" for name, value in parameters.items())
    injected = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"],
                                                           "jupyter": {"source_hidden": True}})
    injected.id = "injected-parameters"
    notebook.cells.insert(tagged[0] + 1, injected)
    target = directory / NOTEBOOK_NAME
    nbformat.write(notebook, target)
    write_kernelspec(directory / "jupyter")
    return target


def write_kernelspec(data_dir: Path, name: str = KERNEL_NAME) -> Path:
    """A kernelspec under ``data_dir/kernels/name`` that runs this Python's ipykernel."""
    spec_dir = data_dir / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (protocolkit)", "language": "python",
            "env": {"PYTHONPATH": _pythonpath()}}
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return spec_dir


def _pythonpath() -> str:
    """PYTHONPATH with the folder this protocolkit was imported from first."""
    here = str(Path(__file__).resolve().parents[2])
    rest = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != here]
    return os.pathsep.join([here, *rest])


def environment(directory: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The server's environment: the working folder's and the package's Jupyter data on ``JUPYTER_PATH``."""
    env = dict(os.environ if base is None else base)
    extra = [str(directory / "jupyter"), str(JUPYTER_DIR)]
    env["JUPYTER_PATH"] = os.pathsep.join(extra + [p for p in env.get("JUPYTER_PATH", "").split(os.pathsep) if p])
    env["PYTHONPATH"] = _pythonpath()
    return env


def voila_command(notebook: Path, port: int, cull_idle_timeout: int = 600) -> list[str]:
    """The Voila command line: loopback only, the offline template, idle kernels culled."""
    return [sys.executable, "-m", "voila", str(notebook), "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
            f"--template={TEMPLATE}", "--theme=light", "--strip_sources=True",
            f"--MappingKernelManager.cull_idle_timeout={cull_idle_timeout}",
            "--MappingKernelManager.cull_interval=10", f"--MappingKernelManager.default_kernel_name={KERNEL_NAME}"]


@dataclass
class WorkshopServer:
    """A running Voila server; stop it with :meth:`stop` (or use it as a context manager)."""

    url: str
    process: subprocess.Popen
    directory: Path
    log: Path
    owns_directory: bool = field(default=False)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s) and remove a working folder it made."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def wait(self) -> int:
        """Wait until the server ends; returns its exit code."""
        return self.process.wait()

    def __enter__(self) -> "WorkshopServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start(protocol_path: str | Path, port: int | None = None, parameters: Mapping[str, object] | None = None,
          directory: str | Path | None = None, env: Mapping[str, str] | None = None,
          cull_idle_timeout: int = 600, timeout: float = 90) -> WorkshopServer:
    """Start Voila on the workshop notebook for a protocol and wait until it answers.

    Parameters
    ----------
    protocol_path : path
        The protocol folder (or its ``protocol.yaml``), passed to the notebook.
    port : int, optional
        By default a free one.
    parameters : mapping, optional
        More notebook parameters (``case``: the sample case to open first).
    directory : path, optional
        The working folder (notebook, kernelspec, server log); by default a temporary one,
        removed when the server stops.
    env : mapping, optional
        The environment to start from (by default this process's).
    cull_idle_timeout : int
        Seconds after which an idle kernel with no page open is shut down.
    """
    protocol_path = Path(protocol_path).resolve()
    if not protocol_path.exists():
        raise ProtocolError(f"{protocol_path}: no such protocol folder or file; give the folder holding protocol.yaml")
    owns = directory is None
    work = Path(tempfile.mkdtemp(prefix="protocolkit-workshop-")) if owns else Path(directory)
    port = port or free_port()
    log = work / "voila.log"
    try:
        notebook = prepare(work, {"protocol_path": str(protocol_path), **(parameters or {})})
        with open(log, "wb") as sink:
            process = subprocess.Popen(voila_command(notebook, port, cull_idle_timeout), cwd=work,
                                       env=environment(work, env), stdout=sink, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
    except BaseException:
        if owns:
            shutil.rmtree(work, ignore_errors=True)
        raise
    server = WorkshopServer(f"http://127.0.0.1:{port}/", process, work, log, owns)
    try:
        wait_until_ready(server.url, process, timeout, log)
    except BaseException:
        server.stop()
        raise
    return server


def wait_until_ready(url: str, process: subprocess.Popen, timeout: float, log: Path) -> None:
    """Wait until the server listens at ``url``; a clear error (with the server's log) if it ends or never answers."""
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ProtocolError(f"the workshop server stopped (exit code {process.returncode}) before it was ready; "
                                f"its log, {log}, ends:\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return  # listening; a GET would start a kernel, so do not send one
        except OSError:
            time.sleep(0.25)
    raise ProtocolError(f"the workshop server did not answer at {url} within {timeout:.0f} s; its log, {log}, "
                        f"ends:\n{_tail(log)}")


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
