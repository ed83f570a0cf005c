"""The exposure heatmap: partners by data categories, one panel per stage.

A cell is dark when the partner may receive that data from another partner at that stage,
light when only a minimum (a summary, redacted), and empty when not at all. With many
categories the columns are the top-level categories and a cell counts how many of the
categories under it the partner may receive; with few (or one stage) every category has a
column, grouped under its top-level label (the numbers are
:func:`protocolkit.graph.receiving.exposure_matrix`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

from ..graph.receiving import LEAVES_OTHERWISE as OTHERWISE, LEAVES_UP_TO  # noqa: F401  (old names)
from ..graph.receiving import exposure_matrix as matrix  # noqa: F401  (the numbers behind the view; old import path)
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary
from ._common import (
    FAMILY_FILL, FAMILY_HEADINGS, FAMILY_LINE, MINIMUM_COLOUR, SHARE_COLOUR, Labels, common_prefix_word, fit_line,
    fit_lines, partners_by_family, pyplot, save_figure, text_width, title_of, wrap,
)

PAGE = (11.69, 8.27)          # A4 landscape, inches


def render(protocol: Protocol, path: str | Path, stage: str | None = None, purpose: str | None = None,
           facts: Mapping[str, str] | None = None) -> Path:
    """Write the exposure heatmap as ``.svg`` or ``.png`` (A4 landscape)."""
    from matplotlib.patches import Rectangle

    plt = pyplot()
    v = Vocabulary.of(protocol)
    labels = Labels(v)
    data = matrix(protocol, stage, purpose, facts)
    stages = [stage] if stage else list(v.stage_ids)
    partners = partners_by_family(protocol, labels)
    drop = common_prefix_word([p.name for p in partners])
    columns = list(dict.fromkeys(data["column"])) if len(data) else []
    leaves = bool(data.attrs.get("leaves", True))
    grouped = not leaves

    figure = plt.figure(figsize=PAGE)
    info = {"title": protocol.metadata.title, "purpose": purpose, "facts": facts, "stage": stage}
    title, subtitle = title_of(info, labels).split("\n", 1)
    figure.text(0.5, 0.98, title, ha="center", va="top", fontsize=13, fontweight="bold")
    figure.text(0.5, 0.953, subtitle + ": which partner may receive which data from the others", ha="center",
                va="top", fontsize=10)
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, PAGE[0])
    ax.set_ylim(0, PAGE[1])
    ax.axis("off")

    panels = len(stages)
    across = 1 if panels == 1 else 2 if panels <= 4 else 4
    down = math.ceil(panels / across)
    bands = math.ceil(down / 2)          # column labels between each pair of panel rows
    names_width = 2.0
    label_height = _column_label_height(columns, labels, leaves, 7.0)
    group_height = 0.3 if leaves else 0.0
    title_height = 0.0 if panels == 1 else 0.24
    key_height = 0.0 if panels > 1 and panels % across else 0.45
    left, right, bottom, top = 0.25 + names_width, PAGE[0] - 0.2, 0.15 + key_height, PAGE[1] - 0.7
    gap_x = 0.15
    panel_w = (right - left - gap_x * (across - 1)) / across
    cell_w = min(0.45, panel_w / max(1, len(columns)))
    free = top - bottom - down * (title_height + group_height) - bands * label_height - (down - 1) * 0.1
    cell_h = max(0.05, min(0.3, free / (down * max(1, len(partners)))))
    font = max(4.5, min(7.5, cell_h * 72 * 0.6))
    col_font = max(4.5, min(7.0, cell_w * 72 * 0.8))

    y_top_of = []
    y = top
    for r in range(down):
        y -= title_height + group_height
        y_top_of.append(y)
        y -= len(partners) * cell_h
        if r % 2 == 0 and (r + 1 < down or True):
            y -= label_height
        y -= 0.1
    for index, s in enumerate(stages):
        r, c = divmod(index, across)
        x0 = left + c * (panel_w + gap_x)
        y_top = y_top_of[r]
        if panels > 1:
            ax.text(x0 + len(columns) * cell_w / 2, y_top + group_height + 0.05, labels.stage_label(s), ha="center",
                    va="bottom",
                    fontsize=9, fontweight="bold")
        panel = data[data["stage"] == s]
        cells = {(row.partner, row.column): row for row in panel.itertuples(index=False)}
        for i, partner in enumerate(partners):
            y = y_top - (i + 1) * cell_h
            if c == 0:
                family = labels.family(partner.kind)
                ax.add_patch(Rectangle((0.22, y + 0.01), 0.06, cell_h - 0.02, fc=FAMILY_FILL[family],
                                       ec=FAMILY_LINE[family], lw=0.5))
                room = 2 if cell_h * 72 >= 2.3 * font else 1
                name = "\n".join(fit_lines(partner.name, (names_width - 0.15) * 72, font, room, drop))
                ax.text(0.34, y + cell_h / 2, name, ha="left", va="center", fontsize=font, linespacing=1.0)
            for j, col in enumerate(columns):
                cell = cells[(partner.id, col)]
                colour = SHARE_COLOUR if cell.level == 2 else MINIMUM_COLOUR if cell.level == 1 else "#ffffff"
                ax.add_patch(Rectangle((x0 + j * cell_w, y), cell_w, cell_h, fc=colour, ec="#d5d5d5", lw=0.3))
                if grouped and cell.received:
                    ax.text(x0 + (j + 0.5) * cell_w, y + cell_h / 2, str(cell.received), ha="center", va="center",
                            fontsize=min(font, col_font), color="white" if cell.level == 2 else "#1a1a1a")
        y_cells = y_top - len(partners) * cell_h
        previous = None
        for j, col in enumerate(columns):
            group = labels.top(col)
            if leaves and previous is not None and group != previous:
                ax.plot([x0 + j * cell_w] * 2, [y_cells, y_top + group_height], color="#555555", lw=0.6)
            previous = group
            if r % 2 == 0:   # labels below even rows serve the row under them too
                text = fit_line(_column_label(col, labels, leaves), (label_height - 0.1) * 72, col_font)
                ax.text(x0 + (j + 0.5) * cell_w, y_cells - 0.04, text, rotation=90, ha="center", va="top",
                        fontsize=col_font)
        if leaves:
            _group_labels(ax, columns, labels, x0, cell_w, y_top, min(font, 7.0))
        ax.add_patch(Rectangle((x0, y_cells), len(columns) * cell_w, len(partners) * cell_h, fill=False,
                               ec="#555555", lw=0.6))

    _key(ax, labels, partners, grouped, panels, across, left, panel_w, gap_x, y_top_of)
    return save_figure(figure, path)


def _column_label(col: str, labels: Labels, leaves: bool) -> str:
    if leaves:
        return labels.vocab.label("categories", col) if labels.top(col) != col else \
            labels.vocab.label("categories", col) + " (other)"
    return labels.top_label(col, short=True)


def _column_label_height(columns: list[str], labels: Labels, leaves: bool, size: float) -> float:
    longest = max((text_width(_column_label(c, labels, leaves), size) for c in columns), default=0.0)
    return min(1.5, 0.16 + longest / 72)


def _group_labels(ax, columns: list[str], labels: Labels, x0: float, cell_w: float, y: float, font: float) -> None:
    """Top-level names over runs of leaf columns (in a leaf view)."""
    start = 0
    for j in range(1, len(columns) + 1):
        if j == len(columns) or labels.top(columns[j]) != labels.top(columns[start]):
            width = (j - start) * cell_w
            name = labels.top_label(columns[start], short=True)
            text = "\n".join(wrap(name, max(3, int(width * 72 / (font * 0.6))), lines=2))
            ax.text(x0 + start * cell_w + width / 2, y + 0.02, text, ha="center", va="bottom", fontsize=font * 0.9,
                    color="#333333", linespacing=1.0)
            start = j


def _key(ax, labels: Labels, partners, grouped: bool, panels: int, across: int, left: float, panel_w: float,
         gap_x: float, y_top_of: list[float]) -> None:
    from matplotlib.patches import Rectangle

    entries = [(SHARE_COLOUR, "may receive (in full)"), (MINIMUM_COLOUR, "a minimum only (summary)"),
               ("#ffffff", "may not receive")]
    notes = ["From any other partner, for any purpose."]
    if grouped:
        notes.append("Columns are top-level categories; a number is how many of the categories under it "
                     "may be received.")
    families = []
    for p in partners:
        if labels.family(p.kind) not in families:
            families.append(labels.family(p.kind))
    if panels > 1 and panels % across:   # the empty slot after the last panel
        r, c = divmod(panels, across)
        x, y = left + c * (panel_w + gap_x) + 0.15, y_top_of[r] - 0.05
        for k, (colour, text) in enumerate(entries):
            ax.add_patch(Rectangle((x, y - k * 0.22 - 0.07), 0.22, 0.14, fc=colour, ec="#999999", lw=0.5))
            ax.text(x + 0.3, y - k * 0.22, text, va="center", fontsize=7.5)
        y -= 0.75
        for note in notes:
            lines = wrap(note, int((panel_w - 0.2) * 72 / 4.2))
            ax.text(x, y, "\n".join(lines), va="top", fontsize=7, color="#444444")
            y -= 0.14 * len(lines) + 0.1
        y -= 0.05
        for k, family in enumerate(families):
            ax.add_patch(Rectangle((x, y - k * 0.2 - 0.06), 0.12, 0.12, fc=FAMILY_FILL[family],
                                   ec=FAMILY_LINE[family], lw=0.5))
            ax.text(x + 0.2, y - k * 0.2, FAMILY_HEADINGS[family], va="center", fontsize=7)
        return
    x, y = 0.25, 0.3
    for colour, text in entries:
        ax.add_patch(Rectangle((x, y - 0.07), 0.22, 0.14, fc=colour, ec="#999999", lw=0.5))
        ax.text(x + 0.3, y, text, va="center", fontsize=7.5)
        x += 0.5 + len(text) * 0.06
    ax.text(x + 0.2, y, " ".join(notes), va="center", fontsize=7, color="#444444")
