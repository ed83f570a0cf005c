"""From a protocol to the agreement's blocks: check it may be exported, gather the context, render the content template.

Each document writer (:mod:`.markdown`, :mod:`.html`, :mod:`.docx`) calls
:func:`agreement_blocks` and renders the blocks its own way. The context of one
protocol is gathered once per process and reused by the next writer (``--format all``).
"""

from __future__ import annotations

import datetime as dt

from ...model.protocol import Protocol

_CONTEXT: dict[tuple, dict] = {}


def agreement_context_for(protocol: Protocol, *, today: dt.date | None = None, warnings: list | None = None,
                          cases: list | None = None) -> dict:
    """Check the protocol (errors refuse the export), then its context, cached for the next format."""
    from .context import agreement_context
    from .stamping import check_for_signature, stamp_of

    found = check_for_signature(protocol, today=today)
    warnings = found if warnings is None else warnings
    key = (stamp_of(protocol).sha256, today, id(cases), tuple(w.format() for w in warnings), _sidecars(protocol))
    if key not in _CONTEXT:
        _CONTEXT.clear()
        _CONTEXT[key] = agreement_context(protocol, warnings=warnings, today=today, cases=cases)
    return _CONTEXT[key]


def _sidecars(protocol: Protocol) -> tuple:
    """The state of the files beside the protocol that the agreement also reads (approvals, review marks,
    decision log, sample cases): the same content with other approvals or cases is another document."""
    folder = protocol.folder
    if folder is None:
        return ()
    paths = [folder / name for name in ("approvals.yaml", "review.yaml", "decisions.yaml")]
    cases = folder / "cases"
    if cases.is_dir():
        paths += sorted(cases.iterdir())
    state = []
    for path in paths:
        try:
            info = path.stat()
        except OSError:
            continue
        state.append((str(path), info.st_mtime_ns, info.st_size))
    return (str(folder), *state)


def start_diagrams(protocol: Protocol, *, today=None) -> None:
    """Start drawing the shipped template's diagrams in the background, once the protocol is exportable.

    Raises the same error as the export itself for a protocol that must not be exported.
    """
    from .images import default_names, prefetch
    from .stamping import check_for_signature, stamp_of

    check_for_signature(protocol, today=today)
    prefetch(protocol, default_names(protocol), stamp_of(protocol).sha256)


def agreement_blocks(protocol: Protocol, *, diagrams: bool = False, **options) -> tuple[list[dict], dict]:
    """The agreement's blocks and the context they were rendered from.

    With ``diagrams``, the shipped template's diagrams start drawing in the background
    first (once the protocol is known to be exportable), so the drawing overlaps with
    gathering the context.
    """
    from .blocks import render_content

    if diagrams:
        start_diagrams(protocol, today=options.get("today"))
    context = agreement_context_for(protocol, **options)
    return render_content(protocol.folder, "agreement.j2", context), context


def card_blocks(protocol: Protocol, partner_id: str, **options) -> tuple[list[dict], dict]:
    """One partner's quick-reference card as blocks, and its context."""
    from .blocks import render_content

    context = agreement_context_for(protocol, **options)
    card = next(c for c in context["cards"] if c["id"] == partner_id)
    local = {**context, "card": card}
    return render_content(protocol.folder, "card.j2", local), local


def image_names(blocks: list[dict]) -> list[str]:
    """The diagrams a list of blocks embeds."""
    return [blk["name"] for blk in blocks if blk["t"] == "image"]


def images_for(protocol: Protocol, blocks: list[dict], context: dict) -> dict[str, bytes]:
    """The PNG bytes of every diagram the blocks embed."""
    from .images import diagrams

    return diagrams(protocol, image_names(blocks), context["stamp"].sha256)
