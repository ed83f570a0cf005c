"""The agreement as one self-contained HTML file: styles inline, diagrams as data URIs, nothing fetched.

The page comes from the ``agreement.html.j2`` template (autoescaped) with the
``agreement.css`` stylesheet; both can be replaced from the protocol's ``templates/``.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

from ...model.protocol import Protocol
from .text import clean


def render_html(protocol: Protocol, blocks: list[dict], context: dict, images: dict[str, bytes], title: str) -> bytes:
    """The HTML bytes of the blocks, with each named image inlined."""
    from .blocks import headings
    from .templates import environment, read_asset

    env = environment(protocol.folder, autoescape=True)
    env.filters["clean"] = clean
    page = env.get_template("agreement.html.j2").render(
        blocks=blocks, stamp=context["stamp"], title=title, css=read_asset(protocol.folder, "agreement.css"),
        toc=headings(blocks, 1), images={k: base64.b64encode(v).decode("ascii") for k, v in images.items()})
    return page.encode("utf-8")


def write_html(protocol: Protocol, out_dir: Path, *, today: dt.date | None = None, warnings: list | None = None,
               diagrams: bool = True) -> list[Path]:
    """Write ``<protocol id>-agreement.html``."""
    from .render import agreement_blocks, images_for

    blocks, context = agreement_blocks(protocol, today=today, warnings=warnings, diagrams=diagrams)
    images = images_for(protocol, blocks, context) if diagrams else {}
    path = Path(out_dir) / f"{protocol.metadata.id}-agreement.html"
    path.write_bytes(render_html(protocol, blocks, context, images, context["cover"]["title"]))
    return [path]
