"""The stage-by-stage view: partners as lanes (rows), stages as columns.

Each cell says what that partner may receive from other partners at that stage: how many
data categories, and which top-level categories they fall under (the numbers are
:func:`protocolkit.graph.receiving.lane_table`). Cells are shaded by that
number, so the widening from referral to strategy discussion and assessment, and the
narrowing again at closure, show at a glance. The header of each column counts the
partner-category pairs the stage opens.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from ..graph.receiving import lane_table as table  # noqa: F401  (the numbers behind the view; old import path)
from ..graph.receiving import stages_up_to as _stages
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary
from ._common import (
    FAMILY_FILL, FAMILY_HEADINGS, FAMILY_LINE, SHARE_COLOUR, Labels, common_prefix_word, fit_lines,
    partners_by_family, pyplot, save_figure, title_of, wrap,
)

PAGE = (11.69, 8.27)   # A4 landscape, inches


def _fit(groups: list[str], width: float, lines: int, size: float) -> list[str]:
    """Group names on at most ``lines`` lines no wider than ``width`` points, the rest counted as "+N more".

    A name ("Health 10") is never split across lines.
    """
    from ._common import text_width

    def pack(names: list[str]) -> list[str]:
        out: list[str] = []
        for name in names:
            if out and text_width(out[-1] + ", " + name, size) <= width:
                out[-1] += ", " + name
            else:
                if out:
                    out[-1] += ","
                out.append(name)
        return out

    for shown in range(len(groups), -1, -1):
        packed = pack(groups[:shown] + ([f"+{len(groups) - shown} more"] if shown < len(groups) else []))
        if len(packed) <= lines and all(text_width(x, size) <= width for x in packed):
            return packed
    return []


def render(protocol: Protocol, path: str | Path, stage: str | None = None, purpose: str | None = None,
           facts: Mapping[str, str] | None = None) -> Path:
    """Write the stage-by-stage view as ``.svg`` or ``.png`` (A4 landscape)."""
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Rectangle

    plt = pyplot()
    v = Vocabulary.of(protocol)
    labels = Labels(v)
    data = table(protocol, stage, purpose, facts)
    stages = _stages(v, stage)
    partners = partners_by_family(protocol, labels)
    drop = common_prefix_word([p.name for p in partners])
    most = max(1, int(data["categories"].max()) if len(data) else 1)
    shade = LinearSegmentedColormap.from_list("volume", ["#ffffff", "#cfe3f1", SHARE_COLOUR])

    figure = plt.figure(figsize=PAGE)
    info = {"title": protocol.metadata.title, "purpose": purpose, "facts": facts}
    scope = f"stages up to {labels.stage_label(stage)}" if stage else "stage by stage"
    title, subtitle = title_of(info, labels, scope).split("\n", 1)
    figure.text(0.5, 0.98, title, ha="center", va="top", fontsize=13, fontweight="bold")
    figure.text(0.5, 0.953, subtitle + ": what each partner may receive from the others",
                ha="center", va="top", fontsize=10)

    # the grid, in inches from the bottom left of the page
    left, right, bottom, top = 2.2, PAGE[0] - 0.25, 0.5, PAGE[1] - 0.75
    header = 0.62
    column = (right - left) / max(1, len(stages))
    row = (top - header - bottom) / max(1, len(partners))
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, PAGE[0])
    ax.set_ylim(0, PAGE[1])
    ax.axis("off")
    font = min(7.0, row * 72 / 4.3)           # a count line and two lines of names fit a row
    name_font = min(8.0, row * 72 / 3.2)

    for j, s in enumerate(stages):
        x = left + j * column
        cells = data[data["stage"] == s]
        pairs = int(cells["categories"].sum())
        receivers = int((cells["categories"] > 0).sum())
        ax.text(x + column / 2, top - 0.02, "\n".join(wrap(labels.stage_label(s), int(column * 72 / 5.6), lines=2)),
                ha="center", va="top", fontsize=8.5, fontweight="bold", linespacing=1.05)
        ax.text(x + column / 2, top - header + 0.04, f"{receivers} partners receive\n{pairs} partner-categories",
                ha="center", va="bottom", fontsize=6.5, color="#444444", linespacing=1.1)
    for i, partner in enumerate(partners):
        y = top - header - (i + 1) * row
        family = labels.family(partner.kind)
        ax.add_patch(Rectangle((0.22, y + 0.02), 0.07, row - 0.04, fc=FAMILY_FILL[family], ec=FAMILY_LINE[family],
                               lw=0.6))
        name = fit_lines(partner.name, (left - 0.45) * 72, name_font, 2, drop)
        ax.text(0.36, y + row / 2, "\n".join(name), ha="left", va="center", fontsize=name_font, linespacing=1.05)
        mine = data[data["partner"] == partner.id]
        for j, s in enumerate(stages):
            x = left + j * column
            cell = mine[mine["stage"] == s].iloc[0]
            n = int(cell["categories"])
            colour = shade(n / most) if n else "#ffffff"
            ax.add_patch(Rectangle((x + 0.02, y + 0.015), column - 0.04, row - 0.03, fc=colour,
                                   ec="#bbbbbb" if n else "#e2e2e2", lw=0.5))
            if not n:
                ax.text(x + column / 2, y + row / 2, "–", ha="center", va="center", fontsize=font, color="#aaaaaa")
                continue
            dark = n / most > 0.55
            ink = "white" if dark else "#1a1a1a"
            minimum = int(cell["minimum"])
            count = f"{n} categor{'y' if n == 1 else 'ies'}"
            groups = [f"{labels.top_label(t, short=True)} {k}" for t, k in cell["groups"].items()]
            text = _fit(groups, (column - 0.14) * 72, 2, font * 0.95)
            ax.text(x + 0.07, y + row - 0.04, count, ha="left", va="top", fontsize=font, fontweight="bold", color=ink)
            if minimum:
                ax.text(x + column - 0.07, y + row - 0.045, f"{minimum} min.", ha="right", va="top",
                        fontsize=font * 0.9, style="italic", color=ink)
            ax.text(x + 0.07, y + row - 0.04 - font * 1.3 / 72, "\n".join(text), ha="left", va="top",
                    fontsize=font * 0.95, color=ink, linespacing=1.1)
    # family key and shading key along the bottom
    families = []
    for p in partners:
        if labels.family(p.kind) not in families:
            families.append(labels.family(p.kind))
    x = 0.25
    for family in families:
        ax.add_patch(Rectangle((x, 0.2), 0.18, 0.13, fc=FAMILY_FILL[family], ec=FAMILY_LINE[family], lw=0.6))
        ax.text(x + 0.24, 0.265, FAMILY_HEADINGS[family], va="center", fontsize=7)
        x += 0.4 + len(FAMILY_HEADINGS[family]) * 0.055
    steps = 5
    x = max(x + 0.3, PAGE[0] - 4.6)
    ax.text(x, 0.265, "categories received:", va="center", ha="right", fontsize=7)
    for k in range(steps + 1):
        n = round(most * k / steps)
        ax.add_patch(Rectangle((x + 0.1 + k * 0.55, 0.2), 0.5, 0.13, fc=shade(n / most) if n else "#ffffff",
                               ec="#bbbbbb", lw=0.5))
        ax.text(x + 0.35 + k * 0.55, 0.265, str(n), ha="center", va="center", fontsize=6.5,
                color="white" if n / most > 0.55 else "#1a1a1a")
    ax.text(PAGE[0] - 0.25, 0.06, "Counts are of data categories a partner may receive from other partners at the "
            "stage, from any sender for any purpose, listed by top-level category; \"min.\": how many of them only "
            "as a minimum (summary or redacted).", ha="right", va="bottom", fontsize=6.5, color="#444444")
    return save_figure(figure, path)
