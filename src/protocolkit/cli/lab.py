"""``protocolkit lab [PATH]``: open JupyterLab on the guided notebooks, set up for one protocol.

The guided notebooks are copied into a working folder with ``PATH`` written into each one's
parameters (papermill's ``prepare_only``: nothing is run), so a newcomer opens
``01_model_partners`` and runs it as it is. A notebook already in the working folder is
kept as it is (it may hold someone's work) unless ``--fresh`` is given.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from .notebooks import GUIDED, notebooks_folder, parameters_for


def register(subparsers) -> None:
    """Add the ``lab`` command."""
    p = subparsers.add_parser("lab", help="open JupyterLab on the guided notebooks (01 to 05) for a protocol")
    p.add_argument("path", nargs="?", help="protocol folder or protocol.yaml (default: the shipped MASH example)")
    p.add_argument("--dir", metavar="DIR", help="working folder for the notebooks (default: ./protocolkit-lab/NAME)")
    p.add_argument("--fresh", action="store_true", help="replace notebooks already in the working folder")
    p.add_argument("--port", type=int, help="port for JupyterLab")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--prepare-only", action="store_true", help="write the notebooks and print the command, do not start")
    p.set_defaults(handler=run)


def prepare_notebooks(protocol_path: str | Path, work_dir: str | Path, fresh: bool = False) -> list[Path]:
    """Write the guided notebooks into ``work_dir`` with ``protocol_path`` as their parameter; returns them."""
    import papermill

    from ..model.loading import protocol_file

    protocol_dir = protocol_file(protocol_path).parent.resolve()
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    source = notebooks_folder()
    written = []
    for name in GUIDED:
        target = work / f"{name}.ipynb"
        if target.exists() and not fresh:
            written.append(target)
            continue
        papermill.execute_notebook(str(source / f"{name}.ipynb"), str(target), prepare_only=True,
                                   parameters=parameters_for(name, protocol_dir, work / "output"), progress_bar=False)
        written.append(target)
    return written


def lab_command(work_dir: Path, port: int | None = None, no_browser: bool = False) -> list[str]:
    """The command that starts JupyterLab on the working folder, opening the first notebook."""
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={work_dir}",
               f"--LabApp.default_url=/lab/tree/{GUIDED[0]}.ipynb"]
    if port:
        command.append(f"--port={port}")
    if no_browser:
        command.append("--no-browser")
    return command


def run(args: argparse.Namespace) -> int:
    """Prepare the notebooks, then start JupyterLab (until it is stopped)."""
    from .. import example_path
    from ..model.loading import load

    path = Path(args.path) if args.path else example_path("mash")
    protocol = load(path)  # a broken protocol is reported here, with file and line
    work = Path(args.dir) if args.dir else Path.cwd() / "protocolkit-lab" / protocol.folder.name
    notebooks = prepare_notebooks(path, work, fresh=args.fresh)
    print(f"The guided notebooks for {protocol.metadata.title} are in {work.resolve()}:")
    for notebook in notebooks:
        print(f"  {notebook.name}")
    command = lab_command(work.resolve(), args.port, args.no_browser)
    if args.prepare_only:
        print("Start JupyterLab with: " + " ".join(command))
        return 0
    print("Starting JupyterLab; open 01_model_partners first. Press Ctrl+C to stop.", flush=True)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0
