"""The stage-by-stage view: partners as lanes (rows), stages as columns.

Each cell says what that partner may receive from other partners at that stage: how many
data categories, and which top-level categories they fall under (the numbers are
:func:`protocolkit.graph.receiving.lane_table`). Cells are shaded by that
number, so the widening from referral to strategy discussion and assessment, and the
narrowing again at closure, show at a glance. The header of each column counts the
partner-category pairs the stage opens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..graph.receiving import lane_table as table  # noqa: F401  (the numbers behind the view; old import path)
from ..graph.receiving import stages_up_to as _stages
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary
from ._common import (
    FAMILY_FILL, FAMILY_HEADINGS, FAMILY_LINE, SHARE_COLOUR, Labels, common_prefix_word, fit_line, fit_lines,
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


@dataclass(frozen=True)
class Cell:
    """One partner at one stage: how many categories (0: none), how many as a minimum, the group lines."""

    count: int
    minimum: int
    lines: tuple[str, ...]
    fill: str
    ink: str


@dataclass
class Sheet:
    """Everything the lanes view shows, laid out in inches on an A4 landscape page (both renderers draw it)."""

    title: str
    subtitle: str
    stages: list[tuple[str, str]]          # (label lines, "N partners receive\nM partner-categories")
    partners: list[tuple[str, str]]        # (family, name lines)
    cells: list[list[Cell]]                # [partner][stage]
    families: list[str]
    key: list[tuple[int, str, str]]        # (count, fill, ink) of the shading key
    font: float                            # cell text size (the count line), whole points
    name_font: float                       # whole points
    left: float = 2.2
    right: float = PAGE[0] - 0.25
    bottom: float = 0.5
    top: float = PAGE[1] - 0.75
    header: float = 0.62

    @property
    def group_font(self) -> float:
        """Size of the group lines in a cell (whole points)."""
        return whole_points(self.font * 0.95)

    @property
    def minimum_font(self) -> float:
        """Size of a cell's "N min." (whole points)."""
        return whole_points(self.font * 0.9)

    @property
    def column(self) -> float:
        return (self.right - self.left) / max(1, len(self.stages))

    @property
    def row(self) -> float:
        return (self.top - self.header - self.bottom) / max(1, len(self.partners))


# Text sizes in whole points: Graphviz's HTML-like labels take a whole POINT-SIZE (2.43 reads
# "4.85" as 4), so the sheet measures its lines at the sizes both renderers draw.
STAGE_FONT, COUNTS_FONT, KEY_FONT, NOTE_FONT = 8.0, 6.0, 7.0, 6.0


def whole_points(size: float) -> float:
    """A text size rounded down to whole points, at least one.

    Examples
    --------
    >>> whole_points(6.857), whole_points(0.4)
    (6.0, 1.0)
    """
    return float(max(1, math.floor(size)))


NOTE = ("Counts are of data categories a partner may receive from other partners at the stage, from any sender for "
        "any purpose, listed by top-level category; \"min.\": how many of them only as a minimum (summary or "
        "redacted).")


def _hex(rgba) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgba[:3])


def _luminance(colour: str) -> float:
    """Relative luminance of ``#rrggbb`` (WCAG 2)."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _ink(fill: str) -> str:
    """White or black text, whichever contrasts more with the fill (never below WCAG AA's 4.5:1)."""
    light = _luminance(fill)
    return "white" if 1.05 / (light + 0.05) > (light + 0.05) / 0.05 else "#000000"


def _shade(fraction: float) -> str:
    """The fill for a share of the most categories any cell has: white, pale blue, then the share colour."""
    stops = [(0.0, "#ffffff"), (0.5, "#cfe3f1"), (1.0, SHARE_COLOUR)]
    for (a, ca), (b, cb) in zip(stops, stops[1:]):
        if fraction <= b:
            t = 0.0 if b == a else (fraction - a) / (b - a)
            mix = [int(ca[i:i + 2], 16) * (1 - t) + int(cb[i:i + 2], 16) * t for i in (1, 3, 5)]
            return "#" + "".join(f"{round(c):02x}" for c in mix)
    return SHARE_COLOUR


def sheet(protocol: Protocol, stage: str | None = None, purpose: str | None = None,
          facts: Mapping[str, str] | None = None, flows=None) -> Sheet:
    """What the lanes view shows: the numbers of :func:`table`, with every text fitted to its place.

    Parameters
    ----------
    protocol : Protocol
    stage : str, optional
        The stages up to this one (by default every stage).
    purpose : str, optional
        One purpose only.
    facts : mapping, optional
        Fixed facts; by default a flow counts when some facts permit it.
    flows : DataFrame, optional
        ``permitted_flows(protocol, purpose=purpose, facts=facts)`` when already worked out.

    Returns
    -------
    Sheet
        Texts, fills and ink colours in the order they are drawn: a column per stage, a lane per partner.

    Examples
    --------
    >>> import protocolkit
    >>> sh = sheet(protocolkit.load(protocolkit.example_path("mash")), stage="referral")
    >>> sh.stages[0]
    ('Referral', '16 partners receive\\n230 partner-categories')
    >>> sh.partners[0], sh.cells[0][0].count, sh.cells[0][0].minimum
    (('justice', 'Northbridge Constabulary'), 6, 2)
    """
    v = Vocabulary.of(protocol)
    labels = Labels(v)
    data = table(protocol, stage, purpose, facts, flows=flows)
    stages = _stages(v, stage)
    partners = partners_by_family(protocol, labels)
    drop = common_prefix_word([p.name for p in partners])
    most = max(1, int(data["categories"].max()) if len(data) else 1)
    info = {"title": protocol.metadata.title, "purpose": purpose, "facts": facts}
    scope = f"stages up to {labels.stage_label(stage)}" if stage else "stage by stage"
    title, subtitle = title_of(info, labels, scope).split("\n", 1)
    width = (PAGE[0] - 0.5) * 72   # a title longer than the page is cut at a word, not drawn off it
    out = Sheet(fit_line(title, width, 13, bold=True),
                fit_line(subtitle + ": what each partner may receive from the others", width, 10),
                [], [], [], [], [], 0.0, 0.0)
    out.stages = [("", "")] * len(stages)
    out.partners = [("", "")] * len(partners)
    column, row = out.column, out.row
    out.font = whole_points(min(7.0, row * 72 / 4.3))       # a count line and two lines of names fit a row
    out.name_font = whole_points(min(8.0, row * 72 / 3.2))
    by_cell = {(r.partner, r.stage): r for r in data.itertuples(index=False)}
    out.stages = []
    for s in stages:
        cells = [by_cell[(p.id, s)] for p in partners if (p.id, s) in by_cell]
        pairs = sum(int(c.categories) for c in cells)
        receivers = sum(1 for c in cells if c.categories > 0)
        out.stages.append(("\n".join(wrap(labels.stage_label(s), int(column * 72 / 5.6), lines=2)),
                           f"{receivers} partners receive\n{pairs} partner-categories"))
    out.partners = []
    for partner in partners:
        out.partners.append((labels.family(partner.kind),
                             "\n".join(fit_lines(partner.name, (out.left - 0.45) * 72, out.name_font, 2, drop))))
        line = []
        for s in stages:
            cell = by_cell[(partner.id, s)]
            n = int(cell.categories)
            if not n:
                line.append(Cell(0, 0, (), "#ffffff", "#aaaaaa"))
                continue
            fill = _shade(n / most)
            groups = [f"{labels.top_label(t, short=True)} {k}" for t, k in cell.groups.items()]
            line.append(Cell(n, int(cell.minimum), tuple(_fit(groups, (column - 0.14) * 72, 2, out.group_font)),
                             fill, _ink(fill)))
        out.cells.append(line)
    for family, _ in out.partners:
        if family not in out.families:
            out.families.append(family)
    for k in range(6):
        n = round(most * k / 5)
        fill = _shade(n / most) if n else "#ffffff"
        out.key.append((n, fill, _ink(fill)))
    return out


def render(protocol: Protocol, path: str | Path, stage: str | None = None, purpose: str | None = None,
           facts: Mapping[str, str] | None = None, engine: str | None = None, flows=None) -> Path:
    """Write the stage-by-stage view as ``.svg`` or ``.png`` (A4 landscape).

    Drawn by Graphviz when its ``dot`` is installed (a tenth of the time matplotlib takes to
    set this much text), else by matplotlib; ``engine`` (``"graphviz"`` or ``"matplotlib"``)
    chooses. Both draw the same :func:`sheet`.
    """
    from .dataflow.graphviz import dot_available

    path = Path(path)
    content = sheet(protocol, stage, purpose, facts, flows)
    if engine is None:
        engine = "graphviz" if dot_available() else "matplotlib"
    if engine == "graphviz":
        from .lanes_graphviz import render_graphviz

        return render_graphviz(content, path)
    if engine == "matplotlib":
        return _render_matplotlib(content, path)
    raise ValueError(f"unknown engine {engine!r}: use 'graphviz' or 'matplotlib'")


def _render_matplotlib(sh: Sheet, path: Path) -> Path:
    from matplotlib.patches import Rectangle

    plt = pyplot()
    figure = plt.figure(figsize=PAGE)
    figure.text(0.5, 0.98, sh.title, ha="center", va="top", fontsize=13, fontweight="bold")
    figure.text(0.5, 0.953, sh.subtitle, ha="center", va="top", fontsize=10)
    left, top, header, column, row, font = sh.left, sh.top, sh.header, sh.column, sh.row, sh.font
    ax = figure.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, PAGE[0])
    ax.set_ylim(0, PAGE[1])
    ax.axis("off")
    for j, (label, counts) in enumerate(sh.stages):
        x = left + j * column
        ax.text(x + column / 2, top - 0.02, label, ha="center", va="top", fontsize=STAGE_FONT, fontweight="bold",
                linespacing=1.05)
        ax.text(x + column / 2, top - header + 0.04, counts, ha="center", va="bottom", fontsize=COUNTS_FONT, color="#444444",
                linespacing=1.1)
    for i, (family, name) in enumerate(sh.partners):
        y = top - header - (i + 1) * row
        ax.add_patch(Rectangle((0.22, y + 0.02), 0.07, row - 0.04, fc=FAMILY_FILL[family], ec=FAMILY_LINE[family],
                               lw=0.6))
        ax.text(0.36, y + row / 2, name, ha="left", va="center", fontsize=sh.name_font, linespacing=1.05)
        for j, cell in enumerate(sh.cells[i]):
            x = left + j * column
            ax.add_patch(Rectangle((x + 0.02, y + 0.015), column - 0.04, row - 0.03, fc=cell.fill,
                                   ec="#bbbbbb" if cell.count else "#e2e2e2", lw=0.5))
            if not cell.count:
                ax.text(x + column / 2, y + row / 2, "–", ha="center", va="center", fontsize=font, color=cell.ink)
                continue
            count = f"{cell.count} categor{'y' if cell.count == 1 else 'ies'}"
            ax.text(x + 0.07, y + row - 0.04, count, ha="left", va="top", fontsize=font, fontweight="bold",
                    color=cell.ink)
            if cell.minimum:
                ax.text(x + column - 0.07, y + row - 0.045, f"{cell.minimum} min.", ha="right", va="top",
                        fontsize=sh.minimum_font, style="italic", color=cell.ink)
            ax.text(x + 0.07, y + row - 0.04 - font * 1.3 / 72, "\n".join(cell.lines), ha="left", va="top",
                    fontsize=sh.group_font, color=cell.ink, linespacing=1.1)
    # family key and shading key along the bottom
    x = 0.25
    for family in sh.families:
        ax.add_patch(Rectangle((x, 0.2), 0.18, 0.13, fc=FAMILY_FILL[family], ec=FAMILY_LINE[family], lw=0.6))
        ax.text(x + 0.24, 0.265, FAMILY_HEADINGS[family], va="center", fontsize=KEY_FONT)
        x += 0.4 + len(FAMILY_HEADINGS[family]) * 0.055
    x = max(x + 0.3, PAGE[0] - 4.6)
    ax.text(x, 0.265, "categories received:", va="center", ha="right", fontsize=KEY_FONT)
    for k, (n, fill, ink) in enumerate(sh.key):
        ax.add_patch(Rectangle((x + 0.1 + k * 0.55, 0.2), 0.5, 0.13, fc=fill, ec="#bbbbbb", lw=0.5))
        ax.text(x + 0.35 + k * 0.55, 0.265, str(n), ha="center", va="center", fontsize=COUNTS_FONT, color=ink)
    ax.text(PAGE[0] - 0.25, 0.06, NOTE, ha="right", va="bottom", fontsize=NOTE_FONT, color="#444444")
    return save_figure(figure, path)
