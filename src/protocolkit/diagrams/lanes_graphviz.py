"""The stage-by-stage view drawn by Graphviz: the lanes :class:`~protocolkit.diagrams.lanes.Sheet` as one table.

Graphviz sets text through Pango, which keeps the glyphs it has drawn, so a page of some
four hundred short texts takes a tenth of a second where matplotlib takes a second or
more. The table's cells have the sizes the sheet gives in inches, so the page has the
same grid, text sizes and colours as matplotlib's drawing (the fallback without Graphviz).
The text is DejaVu Sans, the font the sheet measured its lines in.
"""

from __future__ import annotations

from pathlib import Path

from ._common import FAMILY_FILL, FAMILY_HEADINGS, FAMILY_LINE
from .dataflow.dot import _html
from .dataflow.graphviz import _run_dot
from .lanes import COUNTS_FONT, KEY_FONT, NOTE, NOTE_FONT, PAGE, STAGE_FONT, Cell, Sheet

FONT = "DejaVu Sans"


def _pt(inches: float) -> str:
    return f"{inches * 72:.1f}"


def _text(text: str, size: float, colour: str = "#1a1a1a", bold: bool = False, italic: bool = False) -> str:
    body = "<BR/>".join(_html(x) for x in text.split("\n"))
    if bold:
        body = f"<B>{body}</B>"
    if italic:
        body = f"<I>{body}</I>"
    return f'<FONT POINT-SIZE="{int(size)}" COLOR="{colour}">{body}</FONT>'   # whole points (see lanes.whole_points)


def _box(width: float, height: float, extra: str = "") -> str:
    """Attributes of a cell of a fixed size (points)."""
    return f'WIDTH="{width:.1f}" HEIGHT="{height:.1f}" FIXEDSIZE="TRUE"{extra}'


def _cell(cell: Cell, width: float, height: float, sh: Sheet) -> str:
    """One partner at one stage: the count and "N min." on the first line, the groups below (sizes in inches)."""
    font = sh.font
    w, h = width * 72 - 2, height * 72 - 2          # inside the border
    frame = (f'{_box(width * 72, height * 72)} BGCOLOR="{cell.fill}" COLOR="{"#bbbbbb" if cell.count else "#e2e2e2"}" '
             'BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0"')
    if not cell.count:
        return f'<TABLE {frame}><TR><TD {_box(w, h)}>{_text("–", font, cell.ink)}</TD></TR></TABLE>'
    count = f"{cell.count} categor{'y' if cell.count == 1 else 'ies'}"
    minimum = _text(f"{cell.minimum} min.", sh.minimum_font, cell.ink, italic=True) if cell.minimum else " "
    side, top = 0.05 * 72 - 1, font * 1.3 + 1.5    # the margins matplotlib's drawing leaves, and the count line
    inner = w - 2 * side
    return (f'<TABLE {frame}>'
            f'<TR><TD {_box(side, top)}></TD>'
            f'<TD {_box(inner * 0.7, top)} ALIGN="LEFT" VALIGN="BOTTOM">{_text(count, font, cell.ink, bold=True)}</TD>'
            f'<TD {_box(inner * 0.3, top)} ALIGN="RIGHT" VALIGN="BOTTOM">{minimum}</TD>'
            f'<TD {_box(side, top)}></TD></TR>'
            f'<TR><TD {_box(side, h - top)}></TD>'
            f'<TD COLSPAN="2" {_box(inner, h - top)} ALIGN="LEFT" BALIGN="LEFT" VALIGN="TOP">'
            f'{_text(chr(10).join(cell.lines), sh.group_font, cell.ink)}</TD>'
            f'<TD {_box(side, h - top)}></TD></TR></TABLE>')


def to_dot(sh: Sheet) -> str:
    """The sheet as DOT text: one node, an HTML-like table with the sheet's grid."""
    columns = len(sh.stages)
    span = columns + 1
    left, column, row = sh.left, sh.column, sh.row
    rows = [
        f'<TR><TD COLSPAN="{span}" HEIGHT="{_pt(0.3)}" VALIGN="BOTTOM">'
        f'{_text(sh.title, 13, "#000000", bold=True)}</TD></TR>',
        f'<TR><TD COLSPAN="{span}" HEIGHT="{_pt(0.2)}" VALIGN="TOP">{_text(sh.subtitle, 10, "#000000")}</TD></TR>',
        f'<TR><TD COLSPAN="{span}" HEIGHT="{_pt(PAGE[1] - sh.top - 0.5)}"></TD></TR>',
    ]
    header = [f'<TD WIDTH="{_pt(left)}" HEIGHT="{_pt(sh.header)}" FIXEDSIZE="TRUE"></TD>']
    for label, counts in sh.stages:
        header.append(f'<TD WIDTH="{_pt(column)}" HEIGHT="{_pt(sh.header)}" FIXEDSIZE="TRUE">'
                      f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0">'
                      f'<TR><TD HEIGHT="{_pt(sh.header * 0.55)}" VALIGN="TOP">'
                      f'{_text(label, STAGE_FONT, "#000000", bold=True)}</TD></TR>'
                      f'<TR><TD HEIGHT="{_pt(sh.header * 0.45)}" VALIGN="BOTTOM">'
                      f'{_text(counts, COUNTS_FONT, "#444444")}</TD></TR>'
                      f"</TABLE></TD>")
    rows.append("<TR>" + "".join(header) + "</TR>")
    for (family, name), cells in zip(sh.partners, sh.cells):
        lane = (f'<TD WIDTH="{_pt(left)}" HEIGHT="{_pt(row)}" FIXEDSIZE="TRUE" ALIGN="LEFT">'
                f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR>'
                f'<TD {_box(0.22 * 72, 2)}></TD>'
                f'<TD WIDTH="{_pt(0.07)}" HEIGHT="{_pt(row - 0.04)}" FIXEDSIZE="TRUE" BGCOLOR="{FAMILY_FILL[family]}" '
                f'COLOR="{FAMILY_LINE[family]}" BORDER="1"></TD>'
                f'<TD {_box(0.07 * 72, 2)}></TD>'
                f'<TD WIDTH="{_pt(left - 0.36)}" HEIGHT="{_pt(row)}" FIXEDSIZE="TRUE" ALIGN="LEFT" BALIGN="LEFT">'
                f"{_text(name, sh.name_font)}</TD></TR></TABLE></TD>")
        for cell in cells:
            lane += (f'<TD WIDTH="{_pt(column)}" HEIGHT="{_pt(row)}" FIXEDSIZE="TRUE">'
                     f"{_cell(cell, column - 0.04, row - 0.03, sh)}</TD>")
        rows.append(f"<TR>{lane}</TR>")
    key = []
    for family in sh.families:
        key.append(f'<TD WIDTH="{_pt(0.18)}" HEIGHT="{_pt(0.13)}" FIXEDSIZE="TRUE" BGCOLOR="{FAMILY_FILL[family]}" '
                   f'COLOR="{FAMILY_LINE[family]}" BORDER="1"></TD>'
                   f'<TD ALIGN="LEFT" CELLPADDING="4">{_text(FAMILY_HEADINGS[family], KEY_FONT)}</TD><TD WIDTH="14"></TD>')
    key.append(f'<TD WIDTH="20"></TD><TD ALIGN="RIGHT" CELLPADDING="4">{_text("categories received:", KEY_FONT)}</TD>')
    for n, fill, ink in sh.key:
        key.append(f'<TD WIDTH="{_pt(0.5)}" HEIGHT="{_pt(0.13)}" FIXEDSIZE="TRUE" BGCOLOR="{fill}" COLOR="#bbbbbb" '
                   f'BORDER="1">{_text(str(n), COUNTS_FONT, ink)}</TD><TD WIDTH="{_pt(0.05)}"></TD>')
    rows.append(f'<TR><TD COLSPAN="{span}" HEIGHT="{_pt(0.3)}" ALIGN="LEFT" VALIGN="BOTTOM">'
                f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="0"><TR><TD WIDTH="{_pt(0.22)}"></TD>'
                f'{"".join(key)}</TR></TABLE></TD></TR>')
    rows.append(f'<TR><TD COLSPAN="{span}" ALIGN="RIGHT" HEIGHT="{_pt(0.16)}">{_text(NOTE, NOTE_FONT, "#444444")}</TD></TR>')
    table = (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{"".join(rows)}</TABLE>')
    return (f'digraph lanes {{\n  graph [bgcolor=white, pad="0.1,0.05", margin=0];\n'
            f'  node [shape=plaintext, margin=0, fontname="{FONT}"];\n  sheet [label=<{table}>];\n}}\n')


def render_graphviz(sh: Sheet, path: Path) -> Path:
    """Write the sheet as ``.png`` (200 dpi) or ``.svg`` with Graphviz."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise ValueError(f"the lanes view is written as .svg or .png, not {path.suffix!r}")
    args = ["-Tpng:cairo", "-Gdpi=200"] if fmt == "png" else ["-Tsvg", "-Gdpi=72"]
    path.write_bytes(_run_dot(args, to_dot(sh)))
    return path
