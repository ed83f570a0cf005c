"""Quick-reference cards: one page per partner, "what I may share, with whom, at which stage,
what I must do and record", read from the permitted flows the engine derives.

:func:`partner_cards` builds the cards' data (used by the agreement's annex);
:func:`write_cards` writes each card alone, one self-contained HTML page per partner,
for the ``cards`` export format.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from pathlib import Path

from ...model.protocol import Protocol
from ...model.vocabulary import Vocabulary


def _group(v: Vocabulary, category: str) -> str:
    top = v.category_ancestors(category)[-1]
    from .context import plain

    return plain(v.label("categories", top))


def partner_cards(protocol: Protocol, names, v: Vocabulary) -> list[dict]:
    """One card per partner: what it may share (by recipient), its duties, what it never shares, who decides.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.export.documents.context import _Names
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> v = Vocabulary.of(p)
    >>> cards = partner_cards(p, _Names(p, v), v)
    >>> len(cards) == len(p.partners), cards[0]["name"]
    (True, 'Northbridge Constabulary')
    """
    from ...graph import permitted_flows
    from .context import OUTCOME_WORDS, plain

    flows = permitted_flows(protocol)
    stage_order = {s: i for i, s in enumerate(v.stage_ids)}
    cards = []
    for partner in protocol.partners:
        mine = flows[flows["from"] == partner.id] if len(flows) else flows
        rows: "OrderedDict[str, dict]" = OrderedDict()
        duties: "OrderedDict[str, None]" = OrderedDict()
        for flow in mine.sort_values(["to", "stage"], key=lambda s: s.map(stage_order) if s.name == "stage" else s,
                                     kind="stable").itertuples(index=False) if len(mine) else []:
            row = rows.setdefault(flow.to, {"to": names.partner(flow.to), "groups": OrderedDict(), "stages": [],
                                            "rules": OrderedDict()})
            group = _group(v, flow.category) + (" (minimum only)" if flow.outcome == "share_minimum" else "")
            row["groups"][group] = None
            if flow.stage not in row["stages"]:
                row["stages"].append(flow.stage)
            row["rules"][flow.rule] = None
            for obligation in flow.obligations:
                duties[names.obligation(obligation)] = None
        table = []
        for to, row in list(rows.items()):   # a team that receives just what its organisation receives adds nothing
            parent = v.partners[to].part_of
            if parent in rows and (rows[parent]["groups"], rows[parent]["stages"]) == (row["groups"], row["stages"]):
                del rows[to]
        for row in sorted(rows.values(), key=lambda r: r["to"]):
            stages = sorted(row["stages"], key=stage_order.get)
            table.append({"to": row["to"], "what": "; ".join(sorted(row["groups"])),
                          "stages": ", ".join(names.stage(s) for s in stages),
                          "rules": ", ".join(sorted(row["rules"]))})
        covered = lambda scope: partner.id in v.partners_in(scope)  # noqa: E731
        never = [{"rule": r.id, "title": plain(r.title)} for r in protocol.rules
                 if r.outcome == "refuse" and covered(r.from_)]
        decides = [{"rule": r.id, "title": plain(r.title), "role": plain(r.escalate_to)} for r in protocol.rules
                   if r.outcome == "escalate" and covered(r.from_)]
        consent = [{"rule": r.id, "title": plain(r.title)} for r in protocol.rules
                   if r.outcome == "seek_consent" and covered(r.from_)]
        contact = partner.contacts.single_point_of_contact or partner.contacts.dpo
        cards.append({
            "id": partner.id, "name": plain(partner.name), "kind": names.kind(partner.kind),
            "part_of": names.partner(partner.part_of) if partner.part_of else "",
            "shares": table, "duties": list(duties), "never": never, "decides": decides, "consent": consent,
            "contact": "" if contact is None else ", ".join(x for x in (plain(contact.name), plain(contact.email),
                                                                         plain(contact.phone)) if x),
            "outcome_words": OUTCOME_WORDS,
        })
    return cards


def write_cards(protocol: Protocol, out_dir: Path, *, partner: str | None = None, today: dt.date | None = None,
                warnings: list | None = None) -> list[Path]:
    """Write one quick-reference card per partner (or only ``partner``'s) as a self-contained HTML page.

    Files are named ``<protocol id>-card-<partner id>.html``.
    """
    from .html import render_html
    from .render import card_blocks

    ids = [p.id for p in protocol.partners] if partner is None else [protocol.partner(partner).id]
    written = []
    for pid in ids:
        blocks, context = card_blocks(protocol, pid, today=today, warnings=warnings)
        path = Path(out_dir) / f"{protocol.metadata.id}-card-{pid}.html"
        path.write_bytes(render_html(protocol, blocks, context, images={}, title=context["card"]["name"]))
        written.append(path)
    return written
