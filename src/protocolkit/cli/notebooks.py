"""``protocolkit notebooks PATH --out DIR``: run the guided notebooks headless and keep them as evidence.

Each guided notebook (``01_model_partners`` to ``05_export_agreement``) runs through
papermill with ``PATH`` as its ``protocol_path``, on a kernel that runs this Python (so
the notebooks use this protocolkit). ``DIR`` receives each executed notebook, its HTML
rendering (static: it loads nothing from the internet) and, in ``DIR/files``, what the
notebooks wrote (the agreement and the rules).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

#: The guided notebooks, in the order a newcomer walks them.
GUIDED = ("01_model_partners", "02_draft_rules", "03_test_cases", "04_review", "05_export_agreement")


def register(subparsers) -> None:
    """Add the ``notebooks`` command."""
    p = subparsers.add_parser(
        "notebooks", help="run the guided notebooks headless on a protocol and write an evidence pack "
                          "(executed notebooks, their HTML pages and the documents they produce)")
    p.add_argument("path", help="protocol folder or protocol.yaml")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder for the evidence pack")
    p.add_argument("--only", action="append", default=[], metavar="NAME",
                   help="run only this notebook (its name or number, such as 03); repeat for more")
    p.add_argument("--formats", default="all", metavar="NAME[,NAME...]",
                   help="what 05_export_agreement writes (default: all)")
    p.set_defaults(handler=run)


def notebooks_folder() -> Path:
    """The folder of the shipped guided notebooks."""
    from ..lifecycle.repository import notebooks_dir

    return notebooks_dir()


def select_notebooks(only: list[str] | None = None) -> list[str]:
    """The guided notebooks to run: all, or those named (by name or number prefix)."""
    if not only:
        return list(GUIDED)
    chosen = [name for name in GUIDED if any(name == o or name.startswith(o) for o in only)]
    unknown = [o for o in only if not any(name == o or name.startswith(o) for name in GUIDED)]
    if unknown:
        from ..errors import ProtocolError

        raise ProtocolError(f"no guided notebook {', '.join(map(repr, unknown))}: use {', '.join(GUIDED)}")
    return chosen


def parameters_for(name: str, protocol_path: Path, output_dir: Path, formats: str | list[str] = "all") -> dict:
    """The papermill parameters of one guided notebook."""
    params = {"protocol_path": str(protocol_path), "output_dir": str(output_dir)}
    if name.startswith("05"):
        params["formats"] = formats
    return params


@contextmanager
def this_python_kernel() -> Iterator[str]:
    """A kernelspec that runs this Python, found through ``JUPYTER_PATH`` while the block runs; yields its name."""
    from ..workshop.server import KERNEL_NAME, write_kernelspec

    saved = os.environ.get("JUPYTER_PATH")
    with tempfile.TemporaryDirectory(prefix="protocolkit-kernel-") as tmp:
        write_kernelspec(Path(tmp))
        os.environ["JUPYTER_PATH"] = os.pathsep.join([tmp, *([saved] if saved else [])])
        try:
            yield KERNEL_NAME
        finally:
            if saved is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = saved


def run_notebooks(protocol_path: str | Path, out_dir: str | Path, only: list[str] | None = None,
                  formats: str | list[str] = "all") -> list[Path]:
    """Run the guided notebooks on a protocol; returns the files written (notebooks and HTML pages).

    Raises papermill's ``PapermillExecutionError`` when a cell fails; the executed notebook
    (with the error in place) is still written.
    """
    import papermill

    from ..model.loading import load, protocol_file

    protocol_dir = protocol_file(protocol_path).parent.resolve()
    load(protocol_dir)  # a broken protocol is reported with file and line before any notebook starts
    out = Path(out_dir).resolve()
    files = out / "files"
    files.mkdir(parents=True, exist_ok=True)
    source = notebooks_folder()
    written = []
    with this_python_kernel() as kernel:
        for name in select_notebooks(only):
            target = out / f"{name}.ipynb"
            try:
                papermill.execute_notebook(
                    str(source / f"{name}.ipynb"), str(target), kernel_name=kernel, cwd=str(out), progress_bar=False,
                    parameters=parameters_for(name, protocol_dir, files, formats))
            finally:
                if target.exists():
                    written += [target, write_html(target)]
    return written


def write_html(notebook: Path) -> Path:
    """A static HTML page of an executed notebook, beside it; widgets show as their HTML snapshot."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    nb.metadata.pop("widgets", None)  # no widget state: outputs fall back to their static HTML
    exporter = HTMLExporter(template_name="lab")
    exporter.mathjax_url = ""
    exporter.require_js_url = ""
    html, _ = exporter.from_notebook_node(nb)
    html = _offline(html)
    path = notebook.with_suffix(".html")
    path.write_text(html, encoding="utf-8")
    return path


def _offline(html: str) -> str:
    """Drop the script tags nbconvert's template points at a CDN (the page needs none of them)."""
    import re

    return re.sub(r'<script[^>]*src="https?://[^"]*"[^>]*>\s*</script>', "", html)


def run(args: argparse.Namespace) -> int:
    """Run the notebooks and say where the evidence pack is."""
    formats: str | list[str] = args.formats if args.formats == "all" else [
        f.strip() for f in args.formats.split(",") if f.strip()]
    print(f"Running the guided notebooks on {args.path} ...", flush=True)
    written = run_notebooks(args.path, args.out, only=args.only, formats=formats)
    for path in written:
        print(f"  {path}")
    print(f"The evidence pack is in {Path(args.out).resolve()}: each notebook as run, its HTML page, and in "
          f"files/ what the notebooks produced.")
    return 0
