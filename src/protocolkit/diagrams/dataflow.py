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

The layout comes from Graphviz when ``dot`` is installed (the Debian package ``graphviz``;
``scripts/system-deps.sh`` installs it), else from networkx drawn with matplotlib. Both
write the same bytes for the same protocol every time.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from ..errors import ProtocolError
from ..model.text import visible
from ..model.vocabulary import Vocabulary
from ._common import (
    FAMILIES, FAMILY_FILL, FAMILY_LINE, FONT, ORDINARY_COLOUR, SENSITIVE_COLOUR, Labels, common_prefix_word,
    edge_frame, labels_for, partner_rows, short_name, title_of, wrap,
)
from ._placement import Box, beside, compact, extent, landscape, separate

DOT_TIMEOUT = 120   # seconds
MAX_GROUPS = 6      # top-level groups named on one arrow before "+N more"
COMPACT_ABOVE = 16  # with more labels than this, arrows are labelled with the key's category codes


# -- what is drawn -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Arrow:
    """Every permitted flow from one partner to another, collapsed."""

    source: str
    target: str
    categories: tuple[str, ...]
    groups: tuple[tuple[str, str, str, int], ...]   # (top-level id, short label, code, categories), most first
    share: bool                                     # some data may go in full (else minimum only)
    sensitive: bool                                 # special category or criminal offence data

    @property
    def data(self) -> tuple:
        """What the arrow carries and how: arrows with equal ``data`` may be drawn together."""
        return (self.categories, self.share, self.sensitive)

    def label(self, compact: bool = False, per_line: int | None = None) -> str:
        """"Health (3), Criminal offence (2)", or with ``compact`` "HLT 3 · CRIM 2" (codes in the key)."""
        named = [f"{code} {n}" if compact else f"{name} ({n})" for _, name, code, n in self.groups]
        if len(named) > MAX_GROUPS:
            rest = sum(g[3] for g in self.groups[MAX_GROUPS - 1:])
            named = named[:MAX_GROUPS - 1] + [f"+{len(self.groups) - MAX_GROUPS + 1} more ({rest})"]
        per_line = per_line or (3 if compact else 2)
        joiner = " · " if compact else ", "
        return "\n".join(joiner.join(named[i:i + per_line]) for i in range(0, len(named), per_line))


def arrows(graph: nx.MultiDiGraph, labels: Labels) -> list[Arrow]:
    """The aggregated arrows of a graph, in partner order of sender then recipient.

    A partner's flows to itself (a rule whose senders and recipients both cover it) are
    not drawn: they move nothing between partners.
    """
    frame = edge_frame(graph)
    if frame.empty:
        return []
    frame = frame[frame["from"] != frame["to"]]
    position = {n: i for i, n in enumerate(graph.nodes)}
    out = []
    for (source, target), rows in frame.groupby(["from", "to"], sort=False):
        categories = tuple(sorted(set(rows["category"]), key=labels.category_key))
        counts = Counter(labels.top(c) for c in categories)
        tops = sorted(counts, key=lambda t: (-counts[t], labels.category_key(t)))
        groups = tuple((t, labels.top_label(t, short=True), labels.code(t), counts[t]) for t in tops)
        out.append(Arrow(source, target, categories, groups, bool((rows["outcome"] == "share").any()),
                         bool(rows["special"].astype(bool).any() or rows["criminal"].astype(bool).any())))
    return sorted(out, key=lambda a: (position[a.source], position[a.target]))


def organisations(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Each organisation (a partner that is part of no other in the graph) with its teams, itself first."""
    def root(node: str) -> str:
        seen = {node}
        while (parent := graph.nodes[node].get("part_of")) in graph.nodes and parent not in seen:
            node = parent
            seen.add(node)
        return node

    out: dict[str, list[str]] = {}
    for node in graph.nodes:
        out.setdefault(root(node), []).append(node)
    for org, members in out.items():
        members.sort(key=lambda n: n != org)
    return out


@dataclass(frozen=True)
class Bundle:
    """Arrows with the same data from (or to) every member of an organisation, drawn as one."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    arrow: Arrow          # one of them; all carry the same data

    @property
    def tail(self) -> str:
        """The drawn start: a partner, or ``org:<id>`` for a whole organisation."""
        return f"org:{self.sources[0]}" if len(self.sources) > 1 else self.sources[0]

    @property
    def head(self) -> str:
        return f"org:{self.targets[0]}" if len(self.targets) > 1 else self.targets[0]


def bundles(graph: nx.MultiDiGraph, flows: list[Arrow], by_organisation: bool = True) -> list[Bundle]:
    """Arrows grouped where an organisation and all its teams send (or receive) exactly the same data.

    Lossless: a bundle from an organisation stands for one identical arrow from each of its
    members. Everything that does not bundle stays a single arrow.
    """
    position = {n: i for i, n in enumerate(graph.nodes)}
    remaining = {(a.source, a.target): a for a in flows}
    out: list[Bundle] = []

    def take(sources: list[str], targets: list[str]) -> bool:
        found = [remaining.get((s, t)) for s in sources for t in targets]
        if any(a is None for a in found) or any(a.data != found[0].data for a in found):
            return False
        out.append(Bundle(tuple(sources), tuple(targets), found[0]))
        for s in sources:
            for t in targets:
                del remaining[(s, t)]
        return True

    orgs = organisations(graph) if by_organisation else {}
    for sorg, smembers in orgs.items():
        for torg, tmembers in orgs.items():
            if sorg == torg or (len(smembers) == 1 and len(tmembers) == 1) or take(smembers, tmembers):
                continue
            if len(smembers) > 1:
                for t in tmembers:
                    take(smembers, [t])
            if len(tmembers) > 1:
                for s in smembers:
                    take([s], tmembers)
    out += [Bundle((a.source,), (a.target,), a) for a in remaining.values()]
    return sorted(out, key=lambda b: (position[b.sources[0]], position[b.targets[0]], len(b.sources), len(b.targets)))


@dataclass
class Plan:
    """The drawing, engine-neutral: ends (partners, ``org:`` outlines, ``j<n>`` dots) and segments."""

    bundles: list[Bundle]
    junctions: dict[str, tuple[str, str, Arrow]] = field(default_factory=dict)   # id -> ("in"|"out", end, arrow)
    segments: list[tuple[str, str, Arrow, bool, bool]] = field(default_factory=list)  # tail, head, arrow, label?, head?
    compact: bool = False
    internal: list[Arrow] = field(default_factory=list)   # between an organisation and its own teams

    @property
    def labelled(self) -> list[tuple[str, str, Arrow, bool, bool]]:
        return [s for s in self.segments if s[3]]


def plan(graph: nx.MultiDiGraph, labels: Labels, by_organisation: bool = True) -> Plan:
    """Bundle arrows, then join arrows with the same data into (or out of) one end at a dot."""
    every = arrows(graph, labels)
    root = {m: org for org, members in organisations(graph).items() for m in members}
    internal = [a for a in every if by_organisation and root[a.source] == root[a.target]]
    flows = bundles(graph, [a for a in every if a not in internal], by_organisation)
    result = Plan(flows, internal=internal)
    left = list(range(len(flows)))
    while True:
        groups: dict[tuple, list[int]] = {}
        for i in left:
            b = flows[i]
            groups.setdefault(("in", b.head, b.arrow.data), []).append(i)
            groups.setdefault(("out", b.tail, b.arrow.data), []).append(i)
        best = max(groups.items(), key=lambda kv: len(kv[1]), default=None)  # first of the largest: stable
        if best is None or len(best[1]) < 2:
            break
        (direction, end, _), members = best
        junction = f"_j{len(result.junctions)}"
        arrow = flows[members[0]].arrow
        result.junctions[junction] = (direction, end, arrow)
        if direction == "in":
            result.segments += [(flows[i].tail, junction, arrow, False, False) for i in members]
            result.segments.append((junction, end, arrow, True, True))
        else:
            result.segments.append((end, junction, arrow, True, False))
            result.segments += [(junction, flows[i].head, arrow, False, True) for i in members]
        left = [i for i in left if i not in members]
    result.segments += [(flows[i].tail, flows[i].head, flows[i].arrow, True, True) for i in left]
    result.compact = len(result.labelled) + len(internal) > COMPACT_ABOVE
    return result


def codes_used(p: Plan) -> list[tuple[str, str]]:
    """(code, label) of every top-level category on some arrow, in code order."""
    return sorted({code: name for _, _, a, *_ in p.segments for _, name, code, _ in a.groups}.items())


def node_label(graph: nx.MultiDiGraph, node: str, labels: Labels, drop: str | None = None) -> tuple[list[str], str]:
    """The lines of a partner's name (wrapped) and its kind label."""
    data = graph.nodes[node]
    name = short_name(str(data.get("name") or node), 66, drop)
    return wrap(name, 22, lines=3), labels.kind_label(data.get("kind"))


LEGEND = (
    ("solid", ORDINARY_COLOUR, "may be shared"),
    ("dashed", ORDINARY_COLOUR, "a minimum only (summary or redacted)"),
    ("solid", SENSITIVE_COLOUR, "includes special category or criminal offence data"),
)


# -- the scene: what both renderers draw ---------------------------------------------------------

@dataclass(frozen=True)
class Member:
    partner: str
    port: str
    lines: tuple[str, ...]
    kind: str
    family: str


@dataclass(frozen=True)
class OrgBox:
    """One organisation: a row per member (a Graphviz port), and lines for flows between its members."""

    id: str
    members: tuple[Member, ...]
    internal: tuple[tuple[str, str], ...]   # (text, colour)
    family: str

    @property
    def outlined(self) -> bool:
        return len(self.members) > 1 or bool(self.internal)


@dataclass(frozen=True)
class Tag:
    """A label as a small box of its own; lines pass through it. ``anchor`` is the end it sits beside."""

    id: str
    arrow: Arrow
    lines: tuple[str, ...]
    anchor: str | None


@dataclass(frozen=True)
class Edge:
    tail: str      # "o3", "o3:p1" (a member's row) or a tag id
    head: str
    arrow: Arrow
    arrowhead: bool


@dataclass
class Scene:
    title: str
    scope: str
    boxes: list[OrgBox]
    tags: list[Tag]
    edges: list[Edge]
    compact: bool
    notes: list[str]
    codes: list[tuple[str, str]]
    protocol: str


def scene(graph: nx.MultiDiGraph, labels: Labels) -> Scene:
    """Everything the data-flow diagram shows, with ids that are the same on every run."""
    drop = common_prefix_word([str(graph.nodes[n].get("name") or n) for n in graph.nodes])
    drawing = plan(graph, labels)
    orgs = organisations(graph)
    rows = partner_rows(graph, labels)
    ordered = sorted(orgs, key=rows.index)
    box_of = {m: f"o{i}" for i, org in enumerate(ordered) for m in orgs[org]}
    port_of = {m: f"p{j}" for members in orgs.values() for j, m in enumerate(members)}
    root = {m: org for org, members in orgs.items() for m in members}

    boxes = []
    for org in ordered:
        members = []
        for node in orgs[org]:
            name_lines, kind = node_label(graph, node, labels, drop)
            members.append(Member(node, port_of[node], tuple(name_lines), kind,
                                  labels.family(graph.nodes[node].get("kind"))))
        internal = []
        for arrow in drawing.internal:
            if root[arrow.source] == org:
                to = short_name(str(graph.nodes[arrow.target].get("name") or arrow.target), 30, drop)
                how = "" if arrow.share else " (minimum)"
                text = f"→ {to}{how}: " + arrow.label(drawing.compact).replace(
                    "\n", " · " if drawing.compact else ", ")
                internal.append((text, SENSITIVE_COLOUR if arrow.sensitive else ORDINARY_COLOUR))
        boxes.append(OrgBox(box_of[org], tuple(members), tuple(internal), labels.family(graph.nodes[org].get("kind"))))

    def ref(name: str) -> str:
        if name.startswith("org:"):
            return box_of[name[4:]]
        return f"{box_of[name]}:{port_of[name]}" if len(orgs[root[name]]) > 1 else box_of[name]

    tags: list[Tag] = []
    edges: list[Edge] = []
    tag_of: dict[str, str] = {}
    for junction, (_, end, arrow) in drawing.junctions.items():
        tag_of[junction] = f"_t{len(tags)}"
        tags.append(Tag(tag_of[junction], arrow, tuple(arrow.label(drawing.compact).split("\n")), ref(end)))
    for tail, head, arrow, labelled, arrowhead in drawing.segments:
        t = tag_of.get(tail) or ref(tail)
        h = tag_of.get(head) or ref(head)
        if labelled and tail not in tag_of and head not in tag_of:
            tag = Tag(f"_t{len(tags)}", arrow, tuple(arrow.label(drawing.compact).split("\n")), None)
            tags.append(tag)
            edges += [Edge(t, tag.id, arrow, False), Edge(tag.id, h, arrow, True)]
        else:
            edges.append(Edge(t, h, arrow, arrowhead))
    title, scope = title_of(graph.graph, labels).split("\n", 1)
    return Scene(title, scope, boxes, tags, edges, drawing.compact,
                 legend_notes(drawing, any(b.outlined for b in boxes)), codes_used(drawing) if drawing.compact else [],
                 str(graph.graph.get("protocol") or "protocol"))


def legend_notes(p: Plan, teams: bool) -> list[str]:
    notes = ["Labels: top-level data category " + ("code, then" if p.compact else "and (in brackets)")
             + " how many of its categories go"]
    if p.junctions:
        notes.append("Lines that meet at a label all carry the data it names")
    if teams:
        notes.append("A line to or from a partner's own row is for that team; to or from the outline, for every row")
    return notes


# -- DOT ------------------------------------------------------------------------------------------

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
PAGE = (11.2, 7.7)   # A4 landscape, inside 12 mm margins, inches


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
    >>> text.startswith("digraph")
    True
    """
    return _dot(scene(graph, labels_for(vocabulary)), positions)


def _dot(sc: Scene, positions: dict[str, tuple[float, float]] | None = None) -> str:
    layout = ("layout=neato, splines=true, overlap=true" if positions is not None else LAYOUT_ATTRIBUTES)
    lines = [
        f"digraph {_q(sc.protocol)} {{",
        f'  graph [{layout}, size="{PAGE[0]},{PAGE[1]}", pad=0.15, margin=0, outputorder=edgesfirst,',
        f"         bgcolor=white, labelloc=t, labeljust=c, fontname={_q(FONT)}, fontsize=10,",
        f"         label=<{_heading_html(sc)}>];",
        f"  node [shape=plaintext, fontname={_q(FONT)}, fontsize=10, margin=0];",
        f"  edge [fontname={_q(FONT)}, fontsize=9, arrowsize=0.7];",
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
                     f'color={_q(colour)}, fontcolor={_q(colour)}, fontsize=9, margin="0.05,0.02", width=0, height=0, '
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


def _colour(arrow: Arrow) -> str:
    return SENSITIVE_COLOUR if arrow.sensitive else ORDINARY_COLOUR


def _width(arrow: Arrow) -> float:
    return 0.8 + min(1.6, math.log2(1 + len(arrow.categories)) / 2.5)


def _box_html(box: OrgBox) -> str:
    rows = []
    for m in box.members:
        text = "<BR/>".join(f"<B>{_html(x)}</B>" for x in m.lines)
        if m.kind:
            text += f'<BR/><FONT POINT-SIZE="8">{_html(m.kind)}</FONT>'
        rows.append(f'<TR><TD PORT="{m.port}" STYLE="rounded" BGCOLOR="{FAMILY_FILL[m.family]}" '
                    f'COLOR="{FAMILY_LINE[m.family]}" CELLPADDING="3">{text}</TD></TR>')
    for text, colour in box.internal:
        wrapped = "<BR/>".join(_html(x) for x in wrap(text, 34))
        rows.append(f'<TR><TD BORDER="0" CELLPADDING="1"><FONT POINT-SIZE="8" COLOR="{colour}">{wrapped}</FONT>'
                    "</TD></TR>")
    if not box.outlined:
        return f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0">{rows[0]}</TABLE>'
    return (f'<TABLE BORDER="1" STYLE="rounded" COLOR="{FAMILY_LINE[box.family]}" CELLBORDER="1" CELLSPACING="4" '
            f'CELLPADDING="2">{"".join(rows)}</TABLE>')


def _heading_html(sc: Scene) -> str:
    """The title and the key, as one Graphviz HTML-like table above the drawing."""
    cells = []
    for style, colour, text in LEGEND:
        sample = "━━━" if style == "solid" else "╍╍╍"
        cells.append(f'<TD ALIGN="LEFT"><FONT COLOR="{colour}">{sample}</FONT> {_html(text)}</TD>')
    families = sorted({m.family for b in sc.boxes for m in b.members}, key=[k for k, *_ in FAMILIES].index)
    swatches = "     ".join(f'<FONT COLOR="{FAMILY_LINE[k]}" POINT-SIZE="13">■</FONT> {_html(h)}'
                             for k, h, *_ in FAMILIES if k in families)
    rows = [f"<TR><TD>{swatches}</TD></TR>",
            f'<TR><TD><TABLE BORDER="0" CELLSPACING="0" CELLPADDING="2"><TR>{"".join(cells)}</TR></TABLE></TD></TR>']
    if sc.codes:
        codes = "   ".join(f"<B>{_html(c)}</B> {_html(n)}" for c, n in sc.codes)
        rows.append(f"<TR><TD>{codes}</TD></TR>")
    rows += [f"<TR><TD>{_html(note)}</TD></TR>" for note in sc.notes]
    return (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            f'<TR><TD><FONT POINT-SIZE="15"><B>{_html(sc.title)}</B></FONT></TD></TR>'
            f'<TR><TD><FONT POINT-SIZE="12">{_html(sc.scope)}</FONT></TD></TR>'
            f'{"".join(rows)}</TABLE>')


# -- arranging: a first layout, then labels beside their partners and the page filled ------------

HEADING_HEIGHT = 1.35   # inches the title and key take above the drawing
GAP = 0.12              # inches between boxes


def arrange(sc: Scene, first: dict[str, Box]) -> dict[str, Box]:
    """Final positions from a first layout (Graphviz's or networkx's), deterministic.

    Boxes and free labels are drawn together until the drawing fills an A4 landscape page
    at the largest scale; then each shared label goes beside its partner, on the side its
    lines leave from, and overlaps are pushed apart.
    """
    if not first:
        return {}
    anchored = {t.id: t for t in sc.tags if t.anchor}
    core = {k: Box(b.x, b.y, b.w, b.h, 1.0) for k, b in first.items() if k not in anchored}
    page = (PAGE[0], PAGE[1] - HEADING_HEIGHT)
    placed = compact(landscape(core), page, GAP) if core else {}
    others: dict[str, list[str]] = {t: [] for t in anchored}
    for edge in sc.edges:
        if edge.tail in anchored and edge.head.split(":")[0] != anchored[edge.tail].anchor.split(":")[0]:
            others[edge.tail].append(edge.head.split(":")[0])
        if edge.head in anchored and edge.tail.split(":")[0] != anchored[edge.head].anchor.split(":")[0]:
            others[edge.head].append(edge.tail.split(":")[0])
    for tag_id, tag in anchored.items():
        anchor = placed[tag.anchor.split(":")[0]]
        ends = [placed[o] for o in others[tag_id] if o in placed] or [anchor]
        towards = (sum(b.x for b in ends) / len(ends), sum(b.y for b in ends) / len(ends))
        box = Box(0.0, 0.0, first[tag_id].w, first[tag_id].h, 1.0)
        box.x, box.y = beside(anchor, box, towards, GAP)
        placed[tag_id] = box
    for key, box in placed.items():
        box.mobility = 1.0 if key.startswith("_t") else 0.25
    separate(placed, GAP)
    # once more with the labels in place: they take room the first pass did not count
    placed = compact(placed, page, GAP)
    return placed


# -- rendering ------------------------------------------------------------------------------------

def dot_available() -> bool:
    """Whether Graphviz's ``dot`` is on PATH."""
    return shutil.which("dot") is not None


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


# -- pure-Python fallback -------------------------------------------------------------------------

def _text_size(lines: list[str], size: float, bold_lines: int = 0) -> tuple[float, float]:
    """Rough width and height (inches) of lines of DejaVu Sans text at ``size`` points."""
    widths = [len(x) * size * (0.66 if i < bold_lines else 0.58) / 72 for i, x in enumerate(lines)]
    return max(widths, default=0.0), len(lines) * size * 1.25 / 72


def _member_size(m: Member) -> tuple[float, float]:
    w1, h1 = _text_size(list(m.lines), 10, bold_lines=len(m.lines))
    w2, h2 = _text_size([m.kind], 8) if m.kind else (0.0, 0.0)
    return max(w1, w2) + 0.12, h1 + h2 + 0.08


def _box_layout(box: OrgBox) -> tuple[float, float, list[tuple[float, float, float, float]], list[float]]:
    """Size of an organisation box, its member rows (dx, dy, w, h from the centre) and internal-line heights."""
    sizes = [_member_size(m) for m in box.members]
    notes = [_text_size(wrap(text, 34), 8) for text, _ in box.internal]
    pad = 0.06 if box.outlined else 0.0
    width = max([w for w, _ in sizes] + [w for w, _ in notes]) + 2 * pad
    height = sum(h for _, h in sizes) + sum(h for _, h in notes) + pad * (len(sizes) + len(notes) + 1)
    rows, top = [], height / 2 - pad
    for w, h in sizes:
        rows.append((0.0, top - h / 2, width - 2 * pad, h))
        top -= h + pad
    return width, height, rows, [h for _, h in notes]


def _render_matplotlib(sc: Scene, path: Path) -> Path:
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

    from ._common import FAMILY_HEADINGS, pyplot, save_figure

    plt = pyplot()
    sizes = {b.id: _box_layout(b)[:2] for b in sc.boxes}
    for tag in sc.tags:
        w, h = _text_size(list(tag.lines), 9)
        sizes[tag.id] = (w + 0.1, h + 0.06)
    helper = nx.Graph()
    helper.add_nodes_from(sorted(sizes))
    for edge in sc.edges:
        helper.add_edge(edge.tail.split(":")[0], edge.head.split(":")[0])
    start = nx.circular_layout(sorted(sizes))
    first_layout = nx.spring_layout(helper, pos=start, seed=7, iterations=200, k=1.2 / math.sqrt(max(1, len(sizes))))
    spread = 3.2 + 0.25 * len(sc.boxes)
    first = {k: Box(round(float(first_layout[k][0]) * spread, 4), round(float(first_layout[k][1]) * spread, 4),
                    *sizes[k]) for k in sorted(sizes)}
    placed = arrange(sc, first)

    figure = plt.figure(figsize=(11.69, 8.27))
    figure.text(0.5, 0.975, sc.title, ha="center", va="top", fontsize=14, fontweight="bold")
    figure.text(0.5, 0.945, sc.scope, ha="center", va="top", fontsize=11)
    handles = [Patch(facecolor=FAMILY_FILL[k], edgecolor=FAMILY_LINE[k], label=FAMILY_HEADINGS[k])
               for k, *_ in FAMILIES if any(m.family == k for b in sc.boxes for m in b.members)]
    handles += [Line2D([0], [0], color=c, linestyle="-" if s == "solid" else (0, (4, 2)), lw=1.6, label=t)
                for s, c, t in LEGEND]
    figure.legend(handles=handles, loc="upper center", ncol=4, fontsize=7.5, frameon=False,
                  bbox_to_anchor=(0.5, 0.925))
    notes = list(sc.notes)
    if sc.codes:
        notes[:0] = wrap("   ".join(f"{c}\u00a0{n.replace(' ', chr(0xa0))}" for c, n in sc.codes), 150)
    figure.text(0.5, 0.875, "\n".join(notes), ha="center", va="top", fontsize=7.5, color="#333333", linespacing=1.3)
    if not placed:
        figure.text(0.5, 0.5, "No partners", ha="center")
        return save_figure(figure, path)

    left, bottom, right, top = extent(placed)
    area = (0.03, 0.02, 0.94, 0.77)   # figure fraction: x, y, w, h
    scale = min(area[2] * 11.69 / (right - left), area[3] * 8.27 / (top - bottom), 1.0)
    ax = figure.add_axes(area)
    ax.set_xlim((left + right) / 2 - area[2] * 11.69 / scale / 2, (left + right) / 2 + area[2] * 11.69 / scale / 2)
    ax.set_ylim((bottom + top) / 2 - area[3] * 8.27 / scale / 2, (bottom + top) / 2 + area[3] * 8.27 / scale / 2)
    ax.axis("off")

    rects: dict[str, tuple[float, float, float, float]] = {}   # ref -> (x, y, w, h), centre and size
    for box in sc.boxes:
        b = placed[box.id]
        width, height, rows, note_heights = _box_layout(box)
        rects[box.id] = (b.x, b.y, width, height)
        if box.outlined:
            ax.add_patch(FancyBboxPatch((b.x - width / 2, b.y - height / 2), width, height,
                                        boxstyle="round,pad=0,rounding_size=0.06", fc="white",
                                        ec=FAMILY_LINE[box.family], lw=0.9, zorder=3))
        for m, (dx, dy, w, h) in zip(box.members, rows):
            cx, cy = b.x + dx, b.y + dy
            rects[f"{box.id}:{m.port}"] = (cx, cy, w, h)
            ax.add_patch(FancyBboxPatch((cx - w / 2, cy - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.05",
                                        fc=FAMILY_FILL[m.family], ec=FAMILY_LINE[m.family], lw=1.0, zorder=4))
            ax.text(cx, cy + (0.05 if m.kind else 0), "\n".join(m.lines), ha="center", va="center",
                    fontsize=10 * scale, fontweight="bold", zorder=5, linespacing=1.1)
            if m.kind:
                ax.text(cx, cy - h / 2 + 0.07, m.kind, ha="center", va="bottom", fontsize=8 * scale, zorder=5)
        y = b.y - height / 2 + 0.06 + sum(note_heights)
        for (text, colour), h in zip(box.internal, note_heights):
            ax.text(b.x, y - h / 2, "\n".join(wrap(text, 34)), ha="center", va="center", fontsize=8 * scale,
                    color=colour, zorder=5)
            y -= h + 0.06
    for tag in sc.tags:
        b = placed[tag.id]
        rects[tag.id] = (b.x, b.y, b.w, b.h)
        colour = _colour(tag.arrow)
        ax.text(b.x, b.y, "\n".join(tag.lines), ha="center", va="center", fontsize=9 * scale, color=colour,
                zorder=6, linespacing=1.1,
                bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "lw": 0.8,
                      "ls": "-" if tag.arrow.share else (0, (3, 2))})
    for edge in sc.edges:
        tail = rects.get(edge.tail) or rects[edge.tail.split(":")[0]]
        head = rects.get(edge.head) or rects[edge.head.split(":")[0]]
        start_point = _clip(tail, head[:2])
        end_point = _clip(head, tail[:2])
        ax.add_patch(FancyArrowPatch(start_point, end_point, arrowstyle="-|>" if edge.arrowhead else "-",
                                     connectionstyle="arc3,rad=0.06",
                                     mutation_scale=9 * scale, linewidth=_width(edge.arrow) * scale,
                                     color=_colour(edge.arrow), linestyle="-" if edge.arrow.share else (0, (4, 2)),
                                     shrinkA=0, shrinkB=0, zorder=2))
    return save_figure(figure, path)


def _clip(rect: tuple[float, float, float, float], towards: tuple[float, float]) -> tuple[float, float]:
    """Where the line from a box's centre towards a point leaves the box."""
    x, y, w, h = rect
    dx, dy = towards[0] - x, towards[1] - y
    if abs(dx) < 1e-9 and abs(dy) < 1e-9:
        return x, y
    t = min(w / 2 / abs(dx) if abs(dx) > 1e-9 else math.inf, h / 2 / abs(dy) if abs(dy) > 1e-9 else math.inf)
    return x + dx * t, y + dy * t
