"""The data-flow diagram: partners as boxes grouped by family, one arrow per sender and recipient.

Each arrow stands for every permitted flow from one partner to another in the view (one
stage, or the whole protocol) and is labelled with the data it may carry, collapsed to
top-level categories: "Health (3), Criminal offence (2)", or in a crowded view the codes
of the key ("HLT 3 · CRIM 2"). An arrow is solid when some of the data may be shared in
full and dashed when all of it goes as a minimum only; it is red when it carries special
category (UK GDPR Art 9) or criminal offence (Art 10) data.

So that a printed A4 page stays readable, arrows that carry exactly the same data are
drawn together, without losing any: arrows from an organisation and all its teams to the
same recipient start at the organisation's dashed outline, and arrows from several
partners to one recipient (or from one partner to several) meet at a dot that carries the
label once.

Flows between an organisation's own teams are not drawn as lines (an organisation with seven
teams can have thirty of them at one stage). Inside the organisation's outline, under its team
rows, one line for each team that its own teams may send to says from how many, in red when
any of it is special category or criminal offence data and "(minimum)" when all of it is a
minimum only. What each team may send is listed, with every category, in the table the
agreement prints under the diagram (:mod:`protocolkit.export.documents.team_flows`, grouped
by :func:`.plan.team_flows` as here). Every flow between partners is so accounted for: drawn,
bundled, or summarised in an outline and listed in full under it.

The drawing is sized for the page the agreement prints it on (a landscape page of its own), and
its smallest text is :data:`.scene.SMALL_PT` points before it is scaled to fit.

The layout comes from Graphviz when ``dot`` is installed (the Debian package ``graphviz``;
``scripts/system-deps.sh`` installs it), else from networkx drawn with matplotlib. Both
write the same bytes for the same protocol every time.

The work is split by job: :mod:`.plan` (flows to arrows, bundles and dots), :mod:`.scene`
(what is drawn, and where on the page), :mod:`.dot` (DOT text), :mod:`.graphviz` (calling
Graphviz) and :mod:`.fallback` (matplotlib); this module chooses between the renderers.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from ...errors import ProtocolError
from ...model.vocabulary import Vocabulary
from .._common import SENSITIVE_COLOUR, ORDINARY_COLOUR, labels_for  # noqa: F401  (re-exported)
from .dot import LAYOUT_ATTRIBUTES, _dot, to_dot  # noqa: F401
from .fallback import _render_matplotlib
from .graphviz import DOT_TIMEOUT, _render_graphviz, _run_dot, dot_available, graphviz_boxes  # noqa: F401
from .plan import COMPACT_ABOVE, MAX_GROUPS, Arrow, Bundle, Plan, TeamFlows, arrows, bundles, codes_used, node_label, organisations, plan, team_flows  # noqa: F401,E501
from .scene import GAP, HEADING_HEIGHT, LEGEND, NAME_PT, PAGE, SMALL_PT, Edge, Member, OrgBox, Scene, Tag, arrange, legend_notes, scene  # noqa: F401,E501


def render(graph: nx.MultiDiGraph, path: str | Path, vocabulary: Vocabulary | None = None,
           engine: str | None = None) -> Path:
    """Write the data-flow diagram as ``.svg`` or ``.png`` (or ``.dot`` text).

    ``engine`` is ``"graphviz"``, ``"matplotlib"`` or None (Graphviz when ``dot`` is on PATH).
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt == "dot":
        path.write_text(to_dot(graph, vocabulary), encoding="utf-8")
        return path
    if fmt not in ("svg", "png"):
        raise ProtocolError("the data-flow diagram is written as .svg, .png or .dot, "
                            f"not {path.suffix or 'a file without an extension'!r}")
    if engine is None:
        engine = "graphviz" if dot_available() else "matplotlib"
    sc = scene(graph, labels_for(vocabulary))
    if engine == "graphviz":
        return _render_graphviz(sc, path, fmt)
    if engine == "matplotlib":
        return _render_matplotlib(sc, path)
    raise ValueError(f"unknown engine {engine!r}: use 'graphviz' or 'matplotlib'")

