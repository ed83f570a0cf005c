"""The data-flow diagram: partners as boxes grouped by family, one arrow per sender and recipient.

Each arrow stands for every permitted flow between two partners in the view (one stage,
or the whole protocol) and is labelled with the data it may carry, collapsed to top-level
categories ("Health (3), Criminal offence (2)") so the diagram stays readable on a printed
A4 page. An arrow is solid when some of the data may be shared in full and dashed when all
of it goes as a minimum only; it is red when it carries special category (UK GDPR Art 9)
or criminal offence (Art 10) data.

The layout comes from Graphviz's ``dot`` when it is installed (the Debian package
``graphviz``; ``scripts/system-deps.sh`` installs it), else from networkx drawn with
matplotlib. Both write the same file for the same protocol, every time.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from ..errors import ProtocolError
from ..model.vocabulary import Vocabulary
from ._common import (
    FAMILIES, FAMILY_FILL, FAMILY_LINE, FONT, ORDINARY_COLOUR, SENSITIVE_COLOUR, Labels, common_prefix_word,
    edge_frame, labels_for, partner_rows, short_name, title_of, wrap,
)

DOT_TIMEOUT = 120  # seconds
MAX_GROUPS = 6     # top-level groups named on one arrow before "+N more"
COMPACT_ABOVE = 24  # with more arrows than this, arrows are labelled with category codes


@dataclass(frozen=True)
class Arrow:
    """Every permitted flow from one partner to another, collapsed."""

    source: str
    target: str
    categories: tuple[str, ...]
    groups: tuple[tuple[str, str, str, int], ...]   # (top-level id, short label, code, categories), most first
    share: bool                                     # some data may go in full (else minimum only)
    sensitive: bool                                 # special category or criminal offence data

    def label(self, compact: bool = False, per_line: int | None = None) -> str:
        """"Health (3), Criminal offence (2)", or with ``compact`` "HLT 3 · CRIM 2" (codes in the key)."""
        named = [f"{code} {n}" if compact else f"{name} ({n})" for _, name, code, n in self.groups]
        limit = MAX_GROUPS + 2 if compact else MAX_GROUPS
        if len(named) > limit:
            rest = sum(g[3] for g in self.groups[limit - 1:])
            named = named[:limit - 1] + [f"+{len(self.groups) - limit + 1} more ({rest})"]
        per_line = per_line or (3 if compact else 2)
        joiner = " · " if compact else ", "
        return "\n".join(joiner.join(named[i:i + per_line]) for i in range(0, len(named), per_line))


def arrows(graph: nx.MultiDiGraph, labels: Labels) -> list[Arrow]:
    """The aggregated arrows of a graph, in partner order of sender then recipient.

    A partner's flows to itself (a rule whose senders and recipients both cover it)
    are not drawn: they move nothing between partners.
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


def node_label(graph: nx.MultiDiGraph, node: str, labels: Labels, drop: str | None = None) -> tuple[list[str], str]:
    """The lines of a partner's name (wrapped) and its kind label."""
    data = graph.nodes[node]
    name = short_name(str(data.get("name") or node), 60, drop)
    return wrap(name, 24, lines=3), labels.kind_label(data.get("kind"))


# -- DOT ------------------------------------------------------------------------------------------

def _q(text: str) -> str:
    """A DOT double-quoted string; newlines become centred line breaks."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n") + '"'


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def to_dot(graph: nx.MultiDiGraph, vocabulary: Vocabulary | None = None) -> str:
    """The data-flow diagram as Graphviz DOT text; the same graph gives the same text.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        From :func:`protocolkit.graph.build`.
    vocabulary : Vocabulary, optional
        The protocol's vocabulary, for kind families and category groups it adds to the
        shipped ones; by default the shipped vocabulary.

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
    labels = labels_for(vocabulary)
    names = [str(graph.nodes[n].get("name") or n) for n in graph.nodes]
    drop = common_prefix_word(names)
    flows = arrows(graph, labels)
    compact = len(flows) > COMPACT_ABOVE
    ids = {n: f"p{i}" for i, n in enumerate(graph.nodes)}
    title = title_of(graph, labels)
    lines = [
        f"digraph {_q(graph.graph.get('protocol') or 'protocol')} {{",
        f"  graph [label={_q(title)}, labelloc=t, labeljust=c, fontname={_q(FONT)}, fontsize=16,",
        '         rankdir=LR, newrank=true, splines=true, nodesep=0.3, ranksep=1.1, compound=true,',
        '         size="7.7,11.2", pad=0.15, margin=0, outputorder=edgesfirst, bgcolor=white];',
        f'  node [shape=box, style="rounded,filled", fontname={_q(FONT)}, fontsize=11, penwidth=1.2,',
        '        margin="0.12,0.05"];',
        f"  edge [fontname={_q(FONT)}, fontsize=8, arrowsize=0.7];",
    ]
    members: dict[str, list[str]] = {key: [] for key, *_ in FAMILIES}
    for node in partner_rows(graph, labels):
        members[labels.family(graph.nodes[node].get("kind"))].append(node)
    for key, heading, _, fill, line in FAMILIES:
        if not members[key]:
            continue
        lines += [f"  subgraph cluster_{key} {{",
                  f'    graph [label={_q(heading)}, fontsize=12, style="rounded,filled", fillcolor={_q(_lighter(fill))}, '
                  f"color={_q(line)}, fontcolor={_q(line)}];"]
        for node in members[key]:
            name_lines, kind = node_label(graph, node, labels, drop)
            html = "<BR/>".join(f"<B>{_html(x)}</B>" for x in name_lines)
            if kind:
                html += f'<BR/><FONT POINT-SIZE="9">{_html(kind)}</FONT>'
            lines.append(f"    {ids[node]} [label=<{html}>, fillcolor={_q(fill)}, color={_q(line)}, "
                         f"tooltip={_q(node)}];")
        lines.append("  }")
    for arrow in flows:
        colour = SENSITIVE_COLOUR if arrow.sensitive else ORDINARY_COLOUR
        width = 0.8 + min(2.2, math.log2(1 + len(arrow.categories)) / 2)
        style = "solid" if arrow.share else "dashed"
        lines.append(f"  {ids[arrow.source]} -> {ids[arrow.target]} [label={_q(arrow.label(compact))}, "
                     f"color={_q(colour)}, "
                     f"fontcolor={_q(colour)}, style={style}, penwidth={width:.2f}, "
                     f"tooltip={_q(f'{arrow.source} -> {arrow.target}: ' + ', '.join(arrow.categories))}];")
    lines += _legend_dot(_codes_used(flows) if compact else [])
    lines.append("}")
    return "\n".join(lines) + "\n"


def _lighter(colour: str) -> str:
    """A paler shade of a #rrggbb colour, for cluster backgrounds."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(255 - (255 - c) * 0.35):02x}" for c in rgb)


LEGEND = (
    ("solid", ORDINARY_COLOUR, "may be shared"),
    ("dashed", ORDINARY_COLOUR, "a minimum only (summary or redacted)"),
    ("solid", SENSITIVE_COLOUR, "includes special category or criminal offence data"),
)
LEGEND_NOTE = "Labels: top-level data category (number of categories under it)"
LEGEND_NOTE_CODES = "Labels: top-level data category code, number of categories under it"


def _codes_used(flows: list[Arrow]) -> list[tuple[str, str]]:
    """(code, label) of every top-level category on some arrow, in code order."""
    used = {code: name for a in flows for _, name, code, _ in a.groups}
    return sorted(used.items())


def _legend_dot(codes: list[tuple[str, str]]) -> list[str]:
    lines = ["  subgraph cluster_legend {",
             f'    graph [label="Key", fontsize=11, style="rounded", color="#999999", fontcolor="#333333"];',
             '    node [shape=point, width=0.05, style=invis, label=""];']
    for i, (style, colour, text) in enumerate(LEGEND):
        lines += [f"    k{i}a; k{i}b;",
                  f"    k{i}a -> k{i}b [label={_q(text)}, style={style}, color={_q(colour)}, fontcolor={_q(colour)}, "
                  "fontsize=9, penwidth=1.6, minlen=2];"]
    note = LEGEND_NOTE_CODES if codes else LEGEND_NOTE
    lines.append(f'    knote [shape=plaintext, style="", width=0, label={_q(note)}, fontsize=9];')
    if codes:
        rows = "".join(f'<TR><TD ALIGN="LEFT"><B>{_html(code)}</B></TD><TD ALIGN="LEFT">{_html(name)}</TD></TR>'
                       for code, name in codes)
        lines.append(f'    kcodes [shape=plaintext, style="", width=0, fontsize=9, '
                     f'label=<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>>];')
    lines.append("  }")
    return lines
    return lines


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
        raise ProtocolError(f"the data-flow diagram is written as .svg, .png or .dot, not {path.suffix or 'no extension'!r}")
    if engine is None:
        engine = "graphviz" if dot_available() else "matplotlib"
    if engine == "graphviz":
        return _render_graphviz(to_dot(graph, vocabulary), path, fmt)
    if engine == "matplotlib":
        return _render_matplotlib(graph, path, labels_for(vocabulary))
    raise ValueError(f"unknown engine {engine!r}: use 'graphviz' or 'matplotlib'")


def _render_graphviz(text: str, path: Path, fmt: str) -> Path:
    executable = shutil.which("dot")
    if executable is None:
        raise ProtocolError("Graphviz 'dot' is not installed (Debian: apt-get install graphviz)")
    args = [executable, f"-T{fmt}" + (":cairo" if fmt == "png" else ""), "-Gdpi=200" if fmt == "png" else "-Gdpi=72"]
    try:
        done = subprocess.run(args, input=text.encode("utf-8"), capture_output=True, timeout=DOT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise ProtocolError(f"Graphviz 'dot' took longer than {DOT_TIMEOUT} s; try one --stage") from exc
    if done.returncode != 0 or not done.stdout:
        raise ProtocolError(f"Graphviz 'dot' failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    path.write_bytes(done.stdout)
    return path


# -- pure-Python fallback -------------------------------------------------------------------------

def layout(graph: nx.MultiDiGraph, labels: Labels) -> dict[str, tuple[float, float]]:
    """Positions for the fallback: partners round a circle, families together, from the top clockwise."""
    nodes = partner_rows(graph, labels)
    if not nodes:
        return {}
    ring = nx.circular_layout(nx.path_graph(len(nodes)), scale=1.0)
    # start at the top and go clockwise, so the first family reads first
    positions = {}
    for i, node in enumerate(nodes):
        angle = math.pi / 2 - 2 * math.pi * i / len(nodes)
        positions[node] = (round(math.cos(angle), 6), round(math.sin(angle), 6))
    del ring
    return positions


def _render_matplotlib(graph: nx.MultiDiGraph, path: Path, labels: Labels) -> Path:
    from matplotlib.lines import Line2D
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

    from ._common import pyplot, save_figure

    plt = pyplot()
    positions = layout(graph, labels)
    flows = arrows(graph, labels)
    names = [str(graph.nodes[n].get("name") or n) for n in graph.nodes]
    drop = common_prefix_word(names)
    show_labels = len(flows) <= 40
    figure = plt.figure(figsize=(8.27, 11.69))
    ax = figure.add_axes((0.04, 0.14, 0.92, 0.76))
    ax.set_xlim(-1.45, 1.45)
    ax.set_ylim(-1.45, 1.45)
    ax.set_aspect("equal")
    ax.axis("off")
    figure.text(0.5, 0.965, title_of(graph, labels), ha="center", va="top", fontsize=12, fontweight="bold")

    radius = 0.11  # how far short of a box's centre arrows stop
    for arrow in flows:
        (x1, y1), (x2, y2) = positions[arrow.source], positions[arrow.target]
        colour = SENSITIVE_COLOUR if arrow.sensitive else ORDINARY_COLOUR
        width = 0.5 + min(2.0, math.log2(1 + len(arrow.categories)) / 2.5)
        patch = FancyArrowPatch((x1, y1), (x2, y2), connectionstyle="arc3,rad=0.12", arrowstyle="-|>",
                                mutation_scale=8, linewidth=width, color=colour, alpha=0.75,
                                linestyle="-" if arrow.share else (0, (4, 2)), shrinkA=0, shrinkB=0, zorder=1)
        patch.set_positions(_shorten((x1, y1), (x2, y2), radius), _shorten((x2, y2), (x1, y1), radius))
        ax.add_patch(patch)
        if show_labels:
            mx, my = (x1 + x2) / 2, (y1 + y2) / 2
            dx, dy = x2 - x1, y2 - y1
            # the arc bends to the right of the direction of travel; put the label on its bulge
            lx, ly = mx + 0.12 * dy * 0.5, my - 0.12 * dx * 0.5
            ax.text(lx, ly, arrow.label(per_line=1), fontsize=6, color=colour, ha="center", va="center",
                    zorder=3, bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))

    for node, (x, y) in positions.items():
        family = labels.family(graph.nodes[node].get("kind"))
        name_lines, kind = node_label(graph, node, labels, drop)
        text = "\n".join(wrap(" ".join(name_lines), 22, lines=3)) + ("\n" + kind if kind else "")
        box = ax.text(x * 1.08, y * 1.08, text, fontsize=7, ha="center", va="center", zorder=4,
                      bbox=dict(boxstyle="round,pad=0.35", fc=FAMILY_FILL[family], ec=FAMILY_LINE[family], lw=1))
        del box

    handles = [Patch(facecolor=FAMILY_FILL[k], edgecolor=FAMILY_LINE[k], label=h)
               for k, h, *_ in FAMILIES if any(labels.family(graph.nodes[n].get("kind")) == k for n in graph.nodes)]
    handles += [Line2D([0], [0], color=c, linestyle="-" if s == "solid" else (0, (4, 2)), lw=1.6, label=t)
                for s, c, t in LEGEND]
    figure.legend(handles=handles, loc="lower center", ncol=2, fontsize=8, frameon=True, title="Key",
                  title_fontsize=9, bbox_to_anchor=(0.5, 0.015))
    note = LEGEND_NOTE if show_labels else (f"{len(flows)} partner-to-partner flows: too many to label here; "
                                            "see the exposure heatmap, or draw one stage (--stage)")
    figure.text(0.5, 0.125, note, ha="center", fontsize=8, color="#333333")
    del FancyBboxPatch
    return save_figure(figure, path)


def _shorten(start, end, by: float):
    (x1, y1), (x2, y2) = start, end
    length = math.hypot(x2 - x1, y2 - y1) or 1.0
    return (x1 + (x2 - x1) * by / length * 1.0, y1 + (y2 - y1) * by / length * 1.0)
