"""The scene of the data-flow diagram: what both renderers draw, with ids that are the same on every run,
and where it goes on an A4 landscape page (:func:`arrange`).

Organisations are boxes with a row per team and, under the rows, one line per team that its own
teams may send to; labels are small boxes of their own that the lines pass through, and the key
explains line styles and colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx

from .._common import (
    ORDINARY_COLOUR, SENSITIVE_COLOUR, Labels, common_prefix_word, partner_rows, short_name, title_of,
)
from .._placement import Box, beside, compact, landscape, separate
from .plan import Arrow, Plan, TeamFlows, codes_used, node_label, organisations, plan

# A4 landscape inside 12 mm margins, inches, but no taller than the agreement prints it: a landscape
# page's 25.7 x 15 cm (export/documents/docx.py), so that the whole width is used in print
PAGE = (11.2, 6.55)

# Point sizes, the same in both renderers. The agreement prints the drawing at about nine tenths
# of its size when it fills the page, so no text is smaller than SMALL_PT there when it fits.
NAME_PT = 10     # a partner's name (bold)
SMALL_PT = 9     # its kind, the lines inside an outline, the labels on the lines
TEAM_WRAP = 32   # characters a line inside an outline wraps at


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
        internal = [_team_line(graph, org, target, found, len(orgs[org]), drop)
                    for target, found in _by_target(drawing, org).items()]
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


def _by_target(drawing: Plan, org: str) -> dict[str, list[TeamFlows]]:
    out: dict[str, list[TeamFlows]] = {}
    for flow in drawing.teams:
        if flow.organisation == org:
            out.setdefault(flow.target, []).append(flow)
    return out


def _team_line(graph: nx.MultiDiGraph, org: str, target: str, found: list[TeamFlows], members: int,
               drop: str | None) -> tuple[str, str]:
    """One line inside an outline for a team that receives from its own organisation's teams.

    It names the team and how many of its organisation's teams may send it something; what
    each may send is in the table under the diagram (:func:`team_flow_rows`). Red when any of
    it is special category or criminal offence data; "(minimum)" when all of it is a minimum only.
    """
    to = short_name(str(graph.nodes[target].get("name") or target), 30, drop)
    senders = {s for f in found for s in f.sources}
    who = ("every other team" if len(senders) == members - 1 and members > 2
           else f"{len(senders)} teams" if len(senders) > 1
           else short_name(str(graph.nodes[next(iter(senders))].get("name") or ""), 30, drop))
    how = "" if any(f.arrow.share for f in found) else " (minimum)"
    colour = SENSITIVE_COLOUR if any(f.arrow.sensitive for f in found) else ORDINARY_COLOUR
    return f"to {to}: from {who}{how}", colour


def legend_notes(p: Plan, teams: bool) -> list[str]:
    notes = ["Labels: top-level data category " + ("code, then" if p.compact else "and (in brackets)")
             + " how many of its categories go"]
    if p.junctions:
        notes.append("Lines that meet at a label all carry the data it names")
    if teams:
        notes.append("A line to or from a partner's own row is for that team; to or from the outline, for every row")
    if p.teams:
        notes.append("Inside an outline: each team its own organisation's teams may send to, and how many may;"
                     " the agreement lists what each may send under the diagram")
    return notes



def _colour(arrow: Arrow) -> str:
    return SENSITIVE_COLOUR if arrow.sensitive else ORDINARY_COLOUR


def _width(arrow: Arrow) -> float:
    return 0.8 + min(1.6, math.log2(1 + len(arrow.categories)) / 2.5)



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
    # once more with the labels in place: they take room the first pass did not count. The first
    # pass has settled the width, so only squeezing up and down is tried (on both examples a
    # sideways squeeze never won here, and trying them cost a third of the drawing's time)
    placed = compact(placed, page, GAP, squeeze_across=False)
    return placed


