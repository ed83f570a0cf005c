"""Calling Graphviz: its layout of a DOT text, and the final drawing with the positions :func:`arrange` chose."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ...errors import ProtocolError
from .._placement import Box
from .dot import _dot
from .scene import Scene, arrange

DOT_TIMEOUT = 120   # seconds


def dot_available() -> bool:
    """Whether Graphviz's ``dot`` is on PATH."""
    return shutil.which("dot") is not None



def _run_dot(args: list[str], text: str) -> bytes:
    executable = shutil.which("dot")
    if executable is None:
        raise ProtocolError("Graphviz 'dot' is not installed (Debian: apt-get install graphviz)")
    try:
        done = subprocess.run([executable, *args], input=text.encode("utf-8"), capture_output=True,
                              timeout=DOT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ProtocolError(f"Graphviz 'dot' took longer than {DOT_TIMEOUT} s; try one --stage") from exc
    if done.returncode != 0 or not done.stdout:
        raise ProtocolError(f"Graphviz 'dot' failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def graphviz_boxes(text: str) -> dict[str, Box]:
    """Node centres and sizes (inches) of Graphviz's own layout of a DOT text."""
    out = {}
    for line in _run_dot(["-Tplain", "-Gsize="], text).decode("utf-8").splitlines():
        parts = line.split(" ", 6)
        if parts[0] == "node":
            out[parts[1].strip('"')] = Box(float(parts[2]), float(parts[3]), float(parts[4]), float(parts[5]))
    return out


def _render_graphviz(sc: Scene, path: Path, fmt: str) -> Path:
    placed = arrange(sc, graphviz_boxes(_dot(sc)))
    text = _dot(sc, {k: (b.x, b.y) for k, b in placed.items()})
    args = ["-n", "-Tpng:cairo" if fmt == "png" else "-Tsvg", "-Gdpi=200" if fmt == "png" else "-Gdpi=72"]
    path.write_bytes(_run_dot(args, text))
    return path

