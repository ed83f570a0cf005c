"""The agreement as Markdown (CommonMark with GitHub tables): for review in a repository.

Text is escaped so that nothing in a protocol is read as Markdown or HTML. Diagrams
are written as PNG files beside the document, in ``<protocol id>-agreement-diagrams/``.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ...model.protocol import Protocol
from .text import clean

_ALWAYS = re.compile(r"([\\`*_\[\]<>|~&{}])")
_LEADING = re.compile(r"^([#+\-=>!:]|\d+[.)])")


def escape(text: str, strip: bool = True) -> str:
    """Markdown-safe text: every character that could start markup is backslash-escaped.

    Examples
    --------
    >>> escape("# <b>Hi</b> | *x*")
    '\\\\# \\\\<b\\\\>Hi\\\\</b\\\\> \\\\| \\\\*x\\\\*'
    """
    text = _ALWAYS.sub(r"\\\1", clean(text, strip))
    return _LEADING.sub(lambda m: "\\" + m.group(0) if not m.group(0)[0].isdigit()
                        else m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


def _runs(runs) -> str:
    out = []
    for text, style in runs:
        t = escape(text, strip=False)
        if not t.strip():
            continue
        lead, core, trail = re.match(r"^(\s*)(.*?)(\s*)$", t).groups()
        if style == "b" and core:
            t = f"{lead}**{core}**{trail}"
        elif style == "i" and core:
            t = f"{lead}*{core}*{trail}"
        elif style == "code" and core:
            t = f"{lead}`{clean(text).strip().replace('`', '')}`{trail}"
        out.append(t)
    return "".join(out)


def render_markdown(blocks: list[dict], context: dict, image_dir: str | None) -> str:
    """The Markdown text of the blocks."""
    from .blocks import headings

    lines: list[str] = []
    stamp = context["stamp"]
    lines += [f"<!-- {clean(stamp.line()).replace('--', '- -').replace('>', ' ')} -->", ""]
    for blk in blocks:
        t = blk["t"]
        if t == "h":
            lines += [f'<a id="{blk["id"]}"></a>', "", "#" * blk["level"] + " " + escape(blk["text"]), ""]
        elif t == "p":
            text = _runs(blk["runs"])
            if blk["style"] == "title":
                text = f"# {text}"
            elif blk["style"] == "subtitle":
                text = f"*{text}*"
            lines += [text, ""]
        elif t == "note":
            lines += ["> " + _runs(blk["runs"]), ""]
        elif t == "ul":
            lines += [f"- {_runs(item)}" for item in blk["items"]] + [""]
        elif t == "table":
            header = blk["header"]
            if not any(header):
                header = ["Item", "Detail"][: len(header)] if len(header) == 2 else [" "] * len(header)
            lines.append("| " + " | ".join(escape(c) or " " for c in header) + " |")
            lines.append("|" + "|".join("---" for _ in header) + "|")
            lines += ["| " + " | ".join(escape(c) or " " for c in row) + " |" for row in blk["rows"]]
            lines.append("")
        elif t == "image":
            caption = escape(blk["caption"])
            if image_dir is None:
                lines += [f"*Diagram: {caption}*", ""]
            else:
                lines += [f"![{caption}]({image_dir}/{blk['name']}.png)", "", f"*{caption}*", ""]
        elif t == "toc":
            lines += ["**Contents**", ""]
            for hd in headings(blocks, 1):
                lines.append(f"- [{escape(hd['text'])}](#{hd['id']})")
            lines.append("")
        elif t in ("pagebreak", "orientation"):
            continue
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(protocol: Protocol, out_dir: Path, *, today: dt.date | None = None, warnings: list | None = None,
                   diagrams: bool = True) -> list[Path]:
    """Write ``<protocol id>-agreement.md`` (and its diagrams as PNG files beside it)."""
    from .render import agreement_blocks, images_for

    blocks, context = agreement_blocks(protocol, today=today, warnings=warnings, diagrams=diagrams)
    base = f"{protocol.metadata.id}-agreement"
    written = []
    image_dir = f"{base}-diagrams" if diagrams else None
    path = Path(out_dir) / f"{base}.md"
    path.write_text(render_markdown(blocks, context, image_dir), encoding="utf-8")
    written.append(path)
    if diagrams:
        folder = Path(out_dir) / image_dir
        folder.mkdir(exist_ok=True)
        for name, data in sorted(images_for(protocol, blocks, context).items()):
            (folder / f"{name}.png").write_bytes(data)
            written.append(folder / f"{name}.png")
    return written
