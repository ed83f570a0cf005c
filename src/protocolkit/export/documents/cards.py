"""Quick-reference cards: one page per partner, "what I must share, what I may share, with whom, at
which stage, what I must do and record", read from the permitted flows the engine derives. A flow
that is a duty (``sharing: required``) is listed under "what I must share", apart from the flows
the partner may share; a flow left to a named person's judgement says whose.

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


def _group(v: Vocabulary, category: str, memo: dict | None = None) -> str:
    """The name of the top-level group of a category (``memo``: groups already named for one set of cards)."""
    if memo is not None and category in memo:
        return memo[category]
    top = v.category_ancestors(category)[-1]
    from .context import plain

    group = plain(v.label("categories", top))
    if memo is not None:
        memo[category] = group
    return group


def _few(ids: list[str], n: int = 4) -> str:
    """``R1, R2, R3, R4 and 3 more``: a card is one page.

    Examples
    --------
    >>> _few(["R1", "R2", "R3", "R4", "R5", "R6"])
    'R1, R2, R3, R4 and 2 more'
    """
    return ", ".join(ids) if len(ids) <= n else f"{', '.join(ids[:n])} and {len(ids) - n} more"


def stage_span(stages: list[str], order: list[str], names) -> str:
    """The stages of a card row, short: ``every stage``; a run of three or more as ``Referral to Review``.

    Examples
    --------
    >>> class Names:
    ...     def stage(self, s): return s.title()
    >>> order = ["referral", "screening", "assessment", "plan", "closure"]
    >>> stage_span(order, order, Names()), stage_span(["screening", "assessment", "plan"], order, Names())
    ('every stage', 'Screening to Plan')
    >>> stage_span(["referral", "screening", "plan", "closure"], order, Names())
    'Referral, Screening, Plan, Closure'
    >>> stage_span(["referral", "assessment", "plan", "closure"], order, Names())
    'Referral; Assessment to Closure'
    """
    positions = sorted(order.index(s) for s in stages)
    if len(positions) == len(order):
        return "every stage"
    runs: list[list[int]] = []
    for p in positions:
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    if all(len(run) < 3 for run in runs):
        return ", ".join(names.stage(order[p]) for p in positions)
    return "; ".join(f"{names.stage(order[r[0]])} to {names.stage(order[r[-1]])}" if len(r) >= 3
                     else ", ".join(names.stage(order[p]) for p in r) for r in runs)


def _table(rows: "OrderedDict[str, dict]", v: Vocabulary, names, when=None) -> list[dict]:
    """Card rows from per-recipient rows: a team that receives just what its organisation receives is
    left out, and recipients that get the same at the same stages share one row. ``when`` (rule id -> its
    conditions in words): a row whose every rule has conditions says them after its stages (a duty that holds
    only in some cases must not read as one that always holds)."""
    for to, row in list(rows.items()):
        parent = v.partners[to].part_of if to in v.partners else None   # an outside party has no parent
        if parent in rows and (rows[parent]["groups"], rows[parent]["stages"]) == (row["groups"], row["stages"]):
            del rows[to]
    order = list(v.stage_ids)
    merged: "OrderedDict[tuple, dict]" = OrderedDict()
    for row in sorted(rows.values(), key=lambda r: r["to"]):
        what = [g + ("" if outcomes == {"share"} else " (minimum)" if outcomes == {"share_minimum"}
                     else " (partly minimum)") for g, outcomes in sorted(row["groups"].items())]
        stages = stage_span(row["stages"], order, names)
        entry = merged.setdefault((tuple(what), stages), {"to": [], "what": "; ".join(what), "stages": stages,
                                                          "rules": set()})
        entry["to"].append(row["to"])
        entry["rules"] |= set(row["rules"])
    out = []
    for e in merged.values():
        conditions = sorted({when(r) for r in e["rules"]}) if when is not None else [""]
        stages = e["stages"] if "" in conditions else f"{e['stages']}, only when {' or '.join(conditions)}"
        out.append({**e, "to": "; ".join(e["to"]), "stages": stages, "rules": _few(sorted(e["rules"]), 1)})
    return out


def _keeping(protocol: Protocol, v: Vocabulary, received: set, partner: str, inherited,
             groups: dict | None = None) -> list[dict]:
    """How long the partner keeps what it receives: each period in effect (docs/semantics.md sections 13 and 18)
    with the groups of data it covers, most data first; nothing when the protocol states no retention.

    ``received``: the (rule, category) pairs of the permitted flows to the partner; ``groups``: categories'
    group names already worked out for this set of cards."""
    from ...model.retention import retention_in_effect, states_retention
    from .context import plain

    if not states_retention(protocol) or not received:
        return []
    groups = {} if groups is None else groups
    periods: "OrderedDict[str, OrderedDict[str, None]]" = OrderedDict()
    for rule, category in sorted(received):
        found = retention_in_effect(protocol, v, [protocol.rule(rule)], inherited, partner, category)
        words = " or ".join(dict.fromkeys(plain(r.words) for r in found))   # "": no period agreed
        periods.setdefault(words, OrderedDict())[category] = None
    if not periods:
        return []
    # the period that covers the most is said last, as "everything" (or "everything else"); the others name
    # their groups of data, or the categories themselves where a group is kept for different periods
    rest = max(periods, key=lambda w: (len(periods[w]), w))
    words_of_group: dict[str, set[str]] = {}
    for w, cats in periods.items():
        for c in cats:
            words_of_group.setdefault(_group(v, c, groups), set()).add(w)
    split = {g for g, words in words_of_group.items() if len(words) > 1}
    rows = []
    for words, cats in sorted(periods.items()):
        if words == rest:
            continue
        what = OrderedDict()
        for c in cats:
            what[plain(v.label("categories", c)) if _group(v, c, groups) in split else _group(v, c, groups)] = None
        rows.append({"period": words, "what": ", ".join(what)})
    return rows + [{"period": rest, "what": "everything else" if rows else "everything"}]


def _titled(rule, protocol: Protocol) -> str:
    """A rule's title, and whose data it is limited to when it is (``... (only information about the victim)``)."""
    from .context import plain, whose

    limited = whose(rule.about, protocol)
    return plain(rule.title) + (f" ({limited})" if limited else "")


def partner_cards(protocol: Protocol, names, v: Vocabulary) -> list[dict]:
    """One card per partner: what it must share and what it may share (by recipient), its duties, what it never
    shares, who decides.

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
    from .context import OUTCOME_WORDS, _when, plain, whose

    from ...model.defaults import effective_rules

    flows = permitted_flows(protocol)
    inherited = effective_rules(protocol, v)[1] if protocol.defaults else {}
    stage_order = {s: i for i, s in enumerate(v.stage_ids)}
    groups: dict[str, str] = {}   # category -> its group's name, for every card
    limits: dict[str, str] = {}   # rule -> whose data it is limited to ("" when it is not)
    # the flows' columns read once as lists, and each partner's rows as senders and as recipients
    columns = {name: flows[name].tolist() for name in ("from", "to", "stage", "sharing", "decided_by", "rule",
                                                       "category", "outcome", "obligations")} if len(flows) else {}
    sent: dict[str, list[int]] = {}
    received: dict[str, set[tuple[str, str]]] = {}
    for k, (sender, recipient) in enumerate(zip(columns.get("from", []), columns.get("to", []))):
        sent.setdefault(sender, []).append(k)
        received.setdefault(recipient, set()).add((columns["rule"][k], columns["category"][k]))
    late = len(stage_order)   # a stage outside the order sorts last, as pandas puts a missing key
    cards = []
    for partner in protocol.partners:
        rows: "OrderedDict[str, dict]" = OrderedDict()
        must_rows: "OrderedDict[str, dict]" = OrderedDict()
        duties: "OrderedDict[str, None]" = OrderedDict()
        judged: "OrderedDict[str, OrderedDict]" = OrderedDict()
        mine = sorted(sent.get(partner.id, []),   # by recipient, then stage in order; ties as the flows list them
                      key=lambda k: (columns["to"][k], stage_order.get(columns["stage"][k], late)))
        for k in mine:
            to, stage, rule, sharing = columns["to"][k], columns["stage"][k], columns["rule"][k], columns["sharing"][k]
            into = must_rows if sharing == "required" else rows
            row = into.setdefault(to, {"to": names.partner(to), "groups": OrderedDict(), "stages": [],
                                       "rules": OrderedDict()})
            if sharing == "discretion":
                judged.setdefault(plain(columns["decided_by"][k]), OrderedDict())[rule] = None
            group = _group(v, columns["category"][k], groups)
            limited = limits.get(rule)
            if limited is None:   # whose data (docs/semantics.md s. 16)
                limited = limits[rule] = whose(protocol.rule(rule).about, protocol)
            if limited:
                group += f" ({limited})"
            row["groups"].setdefault(group, set()).add(columns["outcome"][k])
            if stage not in row["stages"]:
                row["stages"].append(stage)
            row["rules"][rule] = None
            for obligation in columns["obligations"][k]:   # the duty, not each rule's detail: the card is one page
                duties[names.obligation(str(obligation).partition(": ")[0])] = None
        table = _table(rows, v, names)
        must = _table(must_rows, v, names, when=lambda rule: plain(_when(protocol.rule(rule))))
        covered = lambda scope: partner.id in v.partners_in(scope)  # noqa: E731
        # refusals written for this partner (or its kind) are spelt out; those that bind every partner alike
        # (from: any) are the same on every card, so the card names them and the agreement says them
        never = [{"rule": r.id, "title": _titled(r, protocol)} for r in protocol.rules
                 if r.outcome == "refuse" and r.from_ != "any" and covered(r.from_)]
        everyone = [r for r in protocol.rules if r.outcome == "refuse" and r.from_ == "any"]
        if len(never) + len(everyone) <= 5:   # few enough to spell out: the card says them all in words
            never += [{"rule": r.id, "title": _titled(r, protocol)} for r in everyone]
            everyone = []
        never_everyone = [r.id for r in everyone]
        roles: "OrderedDict[str, list[str]]" = OrderedDict()
        for r in protocol.rules:
            if r.outcome == "escalate" and covered(r.from_):
                roles.setdefault(plain(r.escalate_to), []).append(r.id)
        decides = [{"role": role, "rules": ids} for role, ids in roles.items()]
        consent = [{"rule": r.id, "title": _titled(r, protocol)} for r in protocol.rules
                   if r.outcome == "seek_consent" and covered(r.from_)]
        keep = _keeping(protocol, v, received.get(partner.id, set()), partner.id, inherited, groups)
        contact = partner.contacts.single_point_of_contact or partner.contacts.dpo
        cards.append({
            "id": partner.id, "name": plain(partner.name), "kind": names.kind(partner.kind),
            "part_of": names.partner(partner.part_of) if partner.part_of else "",
            "never_everyone": never_everyone, "shares": table, "must": must, "duties": list(duties), "never": never, "decides": decides,
            "consent": consent, "keep": keep, "judged": [{"role": role, "rules": list(ids)} for role, ids in judged.items()],
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
