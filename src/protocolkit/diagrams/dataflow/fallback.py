"""The pure-Python fallback: the same scene drawn with networkx's layout and matplotlib, when Graphviz is missing."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx

from .._common import FAMILIES, FAMILY_FILL, FAMILY_LINE, wrap
from .._placement import Box, extent
from .scene import LEGEND, NAME_PT, SMALL_PT, TEAM_WRAP, Member, OrgBox, Scene, _colour, _width, arrange


def _text_size(lines: list[str], size: float, bold_lines: int = 0) -> tuple[float, float]:
    """Rough width and height (inches) of lines of DejaVu Sans text at ``size`` points."""
    widths = [len(x) * size * (0.66 if i < bold_lines else 0.58) / 72 for i, x in enumerate(lines)]
    return max(widths, default=0.0), len(lines) * size * 1.25 / 72


def _member_size(m: Member) -> tuple[float, float]:
    w1, h1 = _text_size(list(m.lines), NAME_PT, bold_lines=len(m.lines))
    w2, h2 = _text_size([m.kind], SMALL_PT) if m.kind else (0.0, 0.0)
    return max(w1, w2) + 0.12, h1 + h2 + 0.08


def _box_layout(box: OrgBox) -> tuple[float, float, list[tuple[float, float, float, float]], list[float]]:
    """Size of an organisation box, its member rows (dx, dy, w, h from the centre) and internal-line heights."""
    sizes = [_member_size(m) for m in box.members]
    notes = [_text_size(wrap(text, TEAM_WRAP), SMALL_PT) for text, _ in box.internal]
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

    from .._common import FAMILY_HEADINGS, pyplot, save_figure

    plt = pyplot()
    sizes = {b.id: _box_layout(b)[:2] for b in sc.boxes}
    for tag in sc.tags:
        w, h = _text_size(list(tag.lines), SMALL_PT)
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
    figure.legend(handles=handles, loc="upper center", ncol=4, fontsize=SMALL_PT, frameon=False,
                  bbox_to_anchor=(0.5, 0.93))
    # the key's notes run together, as in the Graphviz drawing (dot._heading_html)
    notes = wrap(".  ".join(note.rstrip(".") for note in sc.notes) + ".", 150) if sc.notes else []
    if sc.codes:
        notes[:0] = wrap("   ".join(f"{c}\u00a0{n.replace(' ', chr(0xa0))}" for c, n in sc.codes), 150)
    figure.text(0.5, 0.87, "\n".join(notes), ha="center", va="top", fontsize=SMALL_PT, color="#333333", linespacing=1.25)
    if not placed:
        figure.text(0.5, 0.5, "No partners", ha="center")
        return save_figure(figure, path)

    left, bottom, right, top = extent(placed)
    area = (0.03, 0.02, 0.94, 0.74)   # figure fraction: x, y, w, h
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
                    fontsize=NAME_PT * scale, fontweight="bold", zorder=5, linespacing=1.1)
            if m.kind:
                ax.text(cx, cy - h / 2 + 0.07, m.kind, ha="center", va="bottom", fontsize=SMALL_PT * scale, zorder=5)
        y = b.y - height / 2 + 0.06 + sum(note_heights)
        for (text, colour), h in zip(box.internal, note_heights):
            ax.text(b.x, y - h / 2, "\n".join(wrap(text, TEAM_WRAP)), ha="center", va="center", fontsize=SMALL_PT * scale,
                    color=colour, zorder=5)
            y -= h + 0.06
    for tag in sc.tags:
        b = placed[tag.id]
        rects[tag.id] = (b.x, b.y, b.w, b.h)
        colour = _colour(tag.arrow)
        ax.text(b.x, b.y, "\n".join(tag.lines), ha="center", va="center", fontsize=SMALL_PT * scale, color=colour,
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
