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



class GraphvizFailed(ProtocolError):
    """Graphviz ended with an error (not a timeout), such as its edge router's assertion on some arrangements."""


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
        raise GraphvizFailed(f"Graphviz 'dot' failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def graphviz_boxes(text: str, curved: bool = True) -> dict[str, Box]:
    """Node centres and sizes (inches) of Graphviz's own layout of a DOT text.

    With ``curved=False`` Graphviz draws the edges straight: routing curves round every box
    is most of its work (nine tenths of the time), and only the nodes are read here. The
    node positions are the same but for the odd node (neato's overlap removal sees the
    routing's margins), so the two layouts are different drawings, each deterministic.
    """
    out = {}
    args = ["-Tplain", "-Gsize="] + ([] if curved else ["-Gsplines=line"])
    for line in _run_dot(args, text).decode("utf-8").splitlines():
        parts = line.split(" ", 6)
        if parts[0] == "node":
            out[parts[1].strip('"')] = Box(float(parts[2]), float(parts[3]), float(parts[4]), float(parts[5]))
    return out


def _render_graphviz(sc: Scene, path: Path, fmt: str) -> Path:
    """Lay out, arrange, and draw with the curves routed round the boxes.

    The first layout is taken with straight edges (cheap); Graphviz 2.43's spline router
    aborts on some arrangements (an assertion in its triangulation, ``remove_intersected_edge``),
    and when the final drawing fails so, it is drawn again with the centres nudged a little
    further (``_NUDGES``), and when every nudge fails, from the layout with curved edges (which
    gives other positions), nudged the same ways; when the router fails on all of them, the
    lines are drawn as plain curves (``splines=curved``, not routed round the boxes). Each way
    is deterministic, so the same protocol still gives the same bytes.
    """
    args = ["-n", "-Tpng:cairo" if fmt == "png" else "-Tsvg", "-Gdpi=200" if fmt == "png" else "-Gdpi=72"]
    text = _dot(sc)
    for curved in (False, True):
        placed = arrange(sc, graphviz_boxes(text, curved=curved))
        for nudge in _NUDGES:   # the first nearly always draws; the next move the corners out of line again
            try:
                path.write_bytes(_run_dot(args, _placed_dot(sc, placed, nudge)))
                return path
            except GraphvizFailed:
                pass
    # the router failed every way: curves drawn without routing round the boxes
    path.write_bytes(_run_dot(args + ["-Gsplines=curved"], _placed_dot(sc, placed)))
    return path


# A hair (a tenth of a point at most four tenths: about one pixel at 200 dpi) added to each
# centre in turn, so that no two labels' corners sit exactly in line: exactly collinear corners
# are what trips Graphviz 2.43's router (the failure above); the same nudge on every run.
_NUDGE = 0.1 / 72
_NUDGES = (_NUDGE, 2 * _NUDGE, 3 * _NUDGE)   # tried in turn when the router still aborts (at most ~2 px)


def _placed_dot(sc: Scene, placed: dict[str, Box], nudge: float = _NUDGE) -> str:
    """DOT text with the arranged centres, each nudged by a hair (see ``_NUDGE``)."""
    return _dot(sc, {k: (b.x + nudge * (i % 5), b.y + nudge * (i % 3)) for i, (k, b) in enumerate(placed.items())})

