"""The data-flow diagram as Graphviz DOT text: the same graph gives the same text."""

from __future__ import annotations

import networkx as nx

from ...model.text import visible
from ...model.vocabulary import Vocabulary
from .._common import FAMILIES, FAMILY_FILL, FAMILY_LINE, FONT, labels_for, wrap
from .scene import LEGEND, NAME_PT, PAGE, SMALL_PT, TEAM_WRAP, OrgBox, Scene, _colour, _width, scene


def _q(text: str) -> str:
    r"""A DOT double-quoted string; newlines become centred line breaks.

    Graphviz reads ``\\`` in a quoted string as one backslash and then expands escapes such as
    ``\N`` (the node's name), so each backslash of the text is written as four to stay literal.
    """
    escaped = visible(str(text), keep="\n").replace("\\", "\\\\\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    r"""Text for a Graphviz HTML label: markup escaped, backslashes doubled so ``\N`` stays literal."""
    text = visible(str(text)).replace("\\", "\\\\")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


# neato: a force-directed layout; each label is a node, so labels never overlap boxes or each other
LAYOUT_ATTRIBUTES = 'layout=neato, start=7, mode=major, overlap=prism, sep="+14", splines=true'


def to_dot(graph: nx.MultiDiGraph, vocabulary: Vocabulary | None = None,
           positions: dict[str, tuple[float, float]] | None = None) -> str:
    """The data-flow diagram as Graphviz DOT text; the same graph gives the same text.

    Each organisation is one box with a row for it and for each of its teams: a line to a
    row is a flow to that partner, a line to the outline a flow to every row. Labels are
    small boxes of their own that the lines pass through.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        From :func:`protocolkit.graph.build`.
    vocabulary : Vocabulary, optional
        The protocol's vocabulary, for kind families and category groups it adds to the
        shipped ones; by default the shipped vocabulary.
    positions : dict, optional
        Node centres in inches (what :func:`render` computes); without them the text
        carries no positions and Graphviz's ``neato`` lays it out.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.graph import build
    >>> from protocolkit.model.vocabulary import Vocabulary
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> text = to_dot(build(p, stage="closure"), Vocabulary.of(p))
    >>> text.splitlines()[0]
    'digraph "northbridge_mash" {'
    """
    return _dot(scene(graph, labels_for(vocabulary)), positions)


def _dot(sc: Scene, positions: dict[str, tuple[float, float]] | None = None) -> str:
    layout = ("layout=neato, splines=true, overlap=true" if positions is not None else LAYOUT_ATTRIBUTES)
    lines = [
        f"digraph {_q(sc.protocol)} {{",
        f'  graph [{layout}, size="{PAGE[0]},{PAGE[1]}", pad=0.15, margin=0, outputorder=edgesfirst,',
        f"         bgcolor=white, labelloc=t, labeljust=c, fontname={_q(FONT)}, fontsize={SMALL_PT},",
        f"         label=<{_heading_html(sc)}>];",
        f"  node [shape=plaintext, fontname={_q(FONT)}, fontsize={NAME_PT}, margin=0];",
        f"  edge [fontname={_q(FONT)}, fontsize={SMALL_PT}, arrowsize=0.7];",
    ]

    def pos(node: str) -> str:
        if positions is None:
            return ""
        x, y = positions[node]
        return f', pos="{x * 72:.1f},{y * 72:.1f}"'

    for box in sc.boxes:
        tip = " + ".join(m.partner for m in box.members)
        lines.append(f"  {box.id} [label=<{_box_html(box)}>, tooltip={_q(tip)}{pos(box.id)}];")
    for tag in sc.tags:
        colour = _colour(tag.arrow)
        text = "<BR/>".join(_html(x) for x in tag.lines)
        lines.append(f'  {tag.id} [shape=box, style="rounded{"" if tag.arrow.share else ",dashed"}", '
                     f'color={_q(colour)}, fontcolor={_q(colour)}, fontsize={SMALL_PT}, margin="0.05,0.02", width=0, height=0, '
                     f"label=<{text}>, tooltip={_q(', '.join(tag.arrow.categories))}{pos(tag.id)}];")
    short = {tag.id: tag.anchor for tag in sc.tags if tag.anchor}
    for edge in sc.edges:
        arrow = edge.arrow
        attributes = [f"color={_q(_colour(arrow))}", f"style={'solid' if arrow.share else 'dashed'}",
                      f"penwidth={_width(arrow):.2f}"]
        if positions is None and (short.get(edge.tail) == edge.head or short.get(edge.head) == edge.tail):
            attributes += ["len=0.9", "weight=10"]   # a shared label stays near the partner it speaks for
        if not edge.arrowhead:
            attributes.append("arrowhead=none")
        lines.append(f"  {edge.tail} -> {edge.head} [{', '.join(attributes)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"



def _box_html(box: OrgBox) -> str:
    rows = []
    for m in box.members:
        text = "<BR/>".join(f"<B>{_html(x)}</B>" for x in m.lines)
        if m.kind:
            text += f'<BR/><FONT POINT-SIZE="{SMALL_PT}">{_html(m.kind)}</FONT>'
        rows.append(f'<TR><TD PORT="{m.port}" STYLE="rounded" BGCOLOR="{FAMILY_FILL[m.family]}" '
                    f'COLOR="{FAMILY_LINE[m.family]}" CELLPADDING="3">{text}</TD></TR>')
    for text, colour in box.internal:
        wrapped = "<BR/>".join(_html(x) for x in wrap(text, TEAM_WRAP))
        rows.append(f'<TR><TD BORDER="0" CELLPADDING="1"><FONT POINT-SIZE="{SMALL_PT}" COLOR="{colour}">{wrapped}</FONT>'
                    "</TD></TR>")
    if not box.outlined:
        return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">{rows[0]}</TABLE>'
    return (f'<TABLE BORDER="1" STYLE="rounded" COLOR="{FAMILY_LINE[box.family]}" CELLBORDER="1" CELLSPACING="4" '
            f'CELLPADDING="2">{"".join(rows)}</TABLE>')


CODES_PER_ROW = 7   # the key's category codes, this many a row
NOTE_WIDTH = 150    # characters a line of the key's notes


def _heading_html(sc: Scene) -> str:
    """The title and the key, as one Graphviz HTML-like table above the drawing, in as few rows as read well.

    The drawing is wider than tall, so the key runs across: families and line styles on one
    row, the category codes in rows of :data:`CODES_PER_ROW`, the notes run together.
    """
    cells = []
    families = sorted({m.family for b in sc.boxes for m in b.members}, key=[k for k, *_ in FAMILIES].index)
    for k, heading, *_ in FAMILIES:
        if k in families:
            cells.append(f'<TD ALIGN="LEFT"><FONT COLOR="{FAMILY_LINE[k]}" POINT-SIZE="13">■</FONT> {_html(heading)}</TD>')
    for style, colour, text in LEGEND:
        sample = "━━━" if style == "solid" else "╍╍╍"
        cells.append(f'<TD ALIGN="LEFT"><FONT COLOR="{colour}">{sample}</FONT> {_html(text)}</TD>')
    rows = [f'<TR><TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>{"".join(cells)}</TR></TABLE></TD></TR>']
    if sc.codes:   # in rows of a few, so that the key is no wider than the drawing
        cells = [f'<TD ALIGN="LEFT"><B>{_html(c)}</B> {_html(n)}</TD>' for c, n in sc.codes]
        grid = "".join("<TR>" + "".join(cells[i:i + CODES_PER_ROW]) + "</TR>"
                       for i in range(0, len(cells), CODES_PER_ROW))
        rows.append(f'<TR><TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{grid}</TABLE></TD></TR>')
    if sc.notes:
        notes = wrap(".  ".join(note.rstrip(".") for note in sc.notes) + ".", NOTE_WIDTH)
        rows.append(f"<TR><TD>{'<BR/>'.join(_html(x) for x in notes)}</TD></TR>")
    return (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            f'<TR><TD><FONT POINT-SIZE="14"><B>{_html(sc.title)}</B></FONT>   '
            f'<FONT POINT-SIZE="12">{_html(sc.scope)}</FONT></TD></TR>'
            f'{"".join(rows)}</TABLE>')

