"""Diagrams of a protocol: data flows, stage by stage lanes, an exposure heatmap, and graph files.

Every view is drawn from :mod:`protocolkit.graph` (so from the decision engine) and
written to the format its file name ends in:

========== ============================================ =========================
view       shows                                        formats
========== ============================================ =========================
dataflow   partners and what may flow between them      .svg .png .dot .graphml .gexf
lanes      what each partner may receive, stage by stage .svg .png
heatmap    partners by data categories, a panel a stage .svg .png
========== ============================================ =========================

The same protocol always gives the same bytes. The data flows and the lanes are drawn
by Graphviz when its ``dot`` program is installed (Debian package ``graphviz``) and by
networkx and matplotlib otherwise; the heatmap by matplotlib. matplotlib is imported only
when it draws; text is measured with Pillow in the DejaVu Sans files matplotlib ships.

Nothing in :mod:`protocolkit` imports this package except the command line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..errors import ProtocolError
from ..model.protocol import Protocol

VIEWS = ("dataflow", "lanes", "heatmap")
FORMATS = {
    "dataflow": (".svg", ".png", ".dot", ".graphml", ".gexf"),
    "lanes": (".svg", ".png"),
    "heatmap": (".svg", ".png"),
}


def write(protocol: Protocol, path: str | Path, stage: str | None = None, facts: Mapping[str, str] | None = None,
          view: str = "dataflow", purpose: str | None = None, engine: str | None = None,
          every_stage=None) -> Path:
    """Write one view of a protocol to ``path``, in the format its extension names.

    Parameters
    ----------
    protocol : Protocol
    path : str or Path
        ``.svg``, ``.png`` (every view), ``.dot``, ``.graphml``, ``.gexf`` (the data flows).
    stage, purpose : str, optional
        One stage or purpose only (for ``lanes``, ``stage`` shows the stages up to it).
    facts : mapping, optional
        Fixed facts ("consent refused"); by default a flow counts when some facts permit it.
    view : str
        ``dataflow`` (default), ``lanes`` or ``heatmap``.
    engine : str, optional
        For the data-flow drawing: ``graphviz`` or ``matplotlib``; by default Graphviz when installed
        (the lanes follow the same default).
    every_stage : DataFrame, optional
        ``protocolkit.graph.permitted_flows(protocol, purpose=purpose, facts=facts)`` when already
        worked out, so that drawing several views does not work it out again (data flows and lanes).

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    ProtocolError
        An unknown view, or an extension the view cannot be written as.

    Examples
    --------
    >>> import protocolkit, tempfile, pathlib
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> out = write(p, pathlib.Path(tempfile.mkdtemp()) / "closure.dot", stage="closure")
    >>> out.read_text().startswith("digraph")
    True
    """
    path = Path(path)
    if view not in VIEWS:
        raise ProtocolError(f"unknown view {view!r}: use one of {', '.join(VIEWS)}")
    suffix = path.suffix.lower()
    if suffix not in FORMATS[view]:
        raise ProtocolError(f"cannot write the {view} view as {suffix or 'a file without an extension'!r}: "
                            f"use {', '.join(FORMATS[view])}")
    if view == "lanes":
        from . import lanes

        return lanes.render(protocol, path, stage=stage, purpose=purpose, facts=facts, flows=every_stage)
    if view == "heatmap":
        from . import heatmap

        return heatmap.render(protocol, path, stage=stage, purpose=purpose, facts=facts)

    from ..graph import build
    from ..model.vocabulary import Vocabulary

    graph = build(protocol, stage=stage, purpose=purpose, facts=facts, every_stage=every_stage)
    if suffix == ".graphml":
        from .formats import write_graphml

        return write_graphml(graph, path)
    if suffix == ".gexf":
        from .formats import write_gexf

        return write_gexf(graph, path)
    from .dataflow import render

    return render(graph, path, Vocabulary.of(protocol), engine=engine)


__all__ = ["FORMATS", "VIEWS", "write"]
