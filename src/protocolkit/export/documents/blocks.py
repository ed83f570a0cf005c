"""The blocks an agreement is made of, and the functions its content templates call to emit them.

A content template calls ``h(1, "Purpose")``, ``p("text")``, ``table([...], rows)`` and so
on; each call returns one line of JSON. :func:`parse_blocks` reads those lines back.
Text is never interpreted as markup: each renderer escapes it for its own format.

A paragraph is a list of runs ``[text, style]`` where style is ``""``, ``"b"`` (bold),
``"i"`` (italic) or ``"code"``. Use :func:`b` and :func:`i` inside ``p``:
``p(b("Proven. "), statement)``.

Examples
--------
>>> line = h(2, "Parties")
>>> parse_blocks(line + p(b("Note: "), "<none>"))[1]["runs"]
[['Note: ', 'b'], ['<none>', '']]
"""

from __future__ import annotations

import json
import re

from ...errors import ProtocolError

_ANCHOR = re.compile(r"[^a-z0-9]+")


def _line(block: dict) -> str:
    return json.dumps(block, ensure_ascii=False, sort_keys=True) + "\n"


def _runs(parts) -> list[list[str]]:
    runs = []
    for part in parts:
        if isinstance(part, list) and len(part) == 2 and part[1] in ("", "b", "i", "code"):
            runs.append([str(part[0]), part[1]])
        elif part is not None and str(part) != "":
            runs.append([str(part), ""])
    return runs


def b(text) -> list:
    """A bold run."""
    return [str(text), "b"]


def i(text) -> list:
    """An italic run."""
    return [str(text), "i"]


def code(text) -> list:
    """An identifier run (rule ids, hashes)."""
    return [str(text), "code"]


def anchor(text: str) -> str:
    """A stable anchor for a heading.

    Examples
    --------
    >>> anchor("3. Parties and controller roles")
    'parties-and-controller-roles'
    """
    return _ANCHOR.sub("-", re.sub(r"^[\d.\s]+", "", text.lower())).strip("-")[:60] or "section"


def h(level: int, text, id: str = "") -> str:
    """A heading (levels 1 to 3); ``id`` sets its anchor."""
    return _line({"t": "h", "level": int(level), "text": str(text), "id": id or anchor(str(text))})


def p(*parts, style: str = "") -> str:
    """A paragraph of runs; ``style`` is ``""``, ``"lead"`` (larger), ``"small"``, ``"card"`` (a quick-reference
    card's dense text, one A4 page per partner) or ``"caption"``."""
    return _line({"t": "p", "runs": _runs(parts), "style": style})


def note(*parts, kind: str = "missing") -> str:
    """A boxed note: ``missing`` (not yet agreed), ``warning`` or ``info``."""
    return _line({"t": "note", "runs": _runs(parts), "kind": kind})


def ul(items) -> str:
    """A bulleted list; each item is text or a list of runs."""
    out = []
    for item in items:
        is_run = isinstance(item, list) and len(item) == 2 and item[1] in ("b", "i", "code") and isinstance(item[0], str)
        out.append(_runs(item if isinstance(item, list) and not is_run else [item]))
    return _line({"t": "ul", "items": out})


def table(header, rows, widths=None, style: str = "") -> str:
    """A table: a header row and rows of cells (text); ``widths`` are relative column widths."""
    header = [str(x) for x in header]
    body = [["" if c is None else str(c) for c in row] for row in rows]
    for row in body:
        if len(row) != len(header):
            raise ProtocolError(f"a table row has {len(row)} cells, the header {len(header)}")
    return _line({"t": "table", "header": header, "rows": body, "widths": list(widths or []), "style": style})


def image(name: str, caption: str = "") -> str:
    """A diagram by name (``lanes``, ``dataflow-<stage>``), drawn from the protocol."""
    return _line({"t": "image", "name": str(name), "caption": str(caption)})


def toc() -> str:
    """The table of contents."""
    return _line({"t": "toc"})


def pagebreak() -> str:
    """A new page (Word and print)."""
    return _line({"t": "pagebreak"})


def landscape(on: bool = True, margin: float | None = None) -> str:
    """Start a landscape (or, with ``False``, portrait) part on a new page: wide tables in Word and print.

    ``margin``: the part's page margins in centimetres, where they differ from the document's (the
    quick-reference cards, each one A4 page, have narrower margins)."""
    block = {"t": "orientation", "landscape": bool(on)}
    if margin is not None:
        block["margin"] = float(margin)
    return _line(block)


BLOCK_FUNCTIONS = {"landscape": landscape, "h": h, "p": p, "note": note, "ul": ul, "table": table, "image": image, "toc": toc,
                   "pagebreak": pagebreak, "b": b, "i": i, "code": code}


def parse_blocks(text: str, template: str = "agreement.j2") -> list[dict]:
    """The blocks a rendered content template holds, in order.

    Raises
    ------
    ProtocolError
        Naming the template and the line when it printed text outside a block function.
    """
    blocks = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            block = json.loads(line)
        except json.JSONDecodeError:
            block = None
        if not isinstance(block, dict) or "t" not in block:
            raise ProtocolError(f"template {template} printed text outside a block on output line {number}: "
                                f"{line.strip()[:80]!r}; wrap text in p(...)")
        blocks.append(block)
    return blocks


def render_content(protocol_folder, name: str, context: dict) -> list[dict]:
    """Render a content template (``agreement.j2``, ``card.j2``) to blocks."""
    from .templates import environment

    from .filters import FILTERS

    env = environment(protocol_folder)
    env.globals.update(BLOCK_FUNCTIONS)
    env.filters.update(FILTERS)
    return parse_blocks(env.get_template(name).render(**context), name)


def headings(blocks: list[dict], max_level: int = 2) -> list[dict]:
    """The headings a table of contents lists."""
    return [blk for blk in blocks if blk["t"] == "h" and blk["level"] <= max_level]
