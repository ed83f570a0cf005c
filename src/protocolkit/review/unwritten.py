"""Pairs of partners nobody wrote a rule for, although one plausibly needs what the other holds.

A need-to-know profile says what a recipient needs for a purpose. If another partner holds
that information (it already shares it with someone for that same purpose) but no rule at any
stage speaks of the two of them, the agreement is silent on a flow the partnership has itself
said is needed: every request between them falls to a default (a consent rule written for
everyone, a fallback, or a gap). Review reports it as RV190, one finding per pair of top-level
partner kinds (criminal justice to health, say), so that a partnership of many schools or GP
practices gets one finding, not dozens.

"Speaks of the pair" means a rule whose sender and recipient both cover the two partners and
that names at least one of them (by partner or kind): a rule written for ``any`` sender and
``any`` recipient, such as a consent default, is not a decision about this pair.
"""

from __future__ import annotations

import pandas as pd

from ..model.protocol import Protocol
from ..model.rules import ANY
from ..model.vocabulary import Vocabulary

#: Columns of :func:`unwritten_pairs`.
UNWRITTEN_COLUMNS = ["sender_kind", "recipient_kind", "senders", "recipients", "categories", "purposes", "profiles"]


def _top_kind(v: Vocabulary, kind: str) -> str:
    seen = set()
    while kind in v.kinds and v.kinds[kind].parent and kind not in seen:
        seen.add(kind)
        kind = v.kinds[kind].parent
    return kind


def _pair_is_written(protocol: Protocol, v: Vocabulary, sender: str, recipient: str) -> bool:
    for rule in protocol.rules:
        if rule.from_ == ANY and rule.to == ANY:
            continue
        if sender in v.partners_in(rule.from_) and recipient in v.partners_in(rule.to):
            return True
    return False


def unwritten_pairs(protocol: Protocol, flows: pd.DataFrame) -> pd.DataFrame:
    """Top-level partner-kind pairs where a recipient's profile lists what a sender holds, and no rule
    names the two partners.

    Parameters
    ----------
    protocol : Protocol
    flows : DataFrame
        :func:`protocolkit.graph.permitted_flows` of the protocol: what each partner holds is
        what it shares with anyone, per purpose.

    Returns
    -------
    DataFrame
        Columns :data:`UNWRITTEN_COLUMNS`, one row per (sender kind, recipient kind), sorted; the
        list columns are sorted tuples.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.graph import permitted_flows
    >>> from protocolkit.review.unwritten import unwritten_pairs
    >>> protocol = protocolkit.load(protocolkit.example_path("mash"))
    >>> pairs = unwritten_pairs(protocol, permitted_flows(protocol))
    >>> list(pairs.columns)
    ['sender_kind', 'recipient_kind', 'senders', 'recipients', 'categories', 'purposes', 'profiles']
    """
    v = Vocabulary.of(protocol)
    held: dict[tuple[str, str], set[str]] = {}
    for sender, purpose, category in zip(flows["from"], flows["purpose"], flows["category"]):
        held.setdefault((sender, purpose), set()).add(category)
    talking = set(zip(flows["from"], flows["to"]))
    written: dict[tuple[str, str], bool] = {}
    found: dict[tuple[str, str], dict[str, set[str]]] = {}
    partners = [p for p in v.partners if not v.is_outside(p)]
    for profile in protocol.need_to_know:
        recipients = sorted(p for p in partners if p in v.partners_in(profile.recipient))
        for purpose in sorted(v.purposes_in(profile.purposes)):
            needs: dict[str, set[str]] = {}   # per sender: it does not depend on the recipient
            for recipient in recipients:
                family = set(v.partner_ancestors(recipient)) | {recipient}
                for sender in partners:
                    if sender in family or recipient in v.partner_ancestors(sender) or (sender, recipient) in talking:
                        continue
                    needed = needs.get(sender)
                    if needed is None:
                        holds = held.get((sender, purpose), set())
                        # the more specific of what is needed and what is held
                        needed = {h for c in profile.categories for h in holds if h in v.category_descendants(c)}
                        needed |= {c for c in profile.categories for h in holds if h in v.category_ancestors(c)}
                        needs[sender] = needed
                    if not needed:
                        continue
                    key = (sender, recipient)
                    if key not in written:
                        written[key] = _pair_is_written(protocol, v, sender, recipient)
                    if written[key]:
                        continue
                    kinds = (_top_kind(v, v.partners[sender].kind), _top_kind(v, v.partners[recipient].kind))
                    entry = found.setdefault(kinds, {"senders": set(), "recipients": set(), "categories": set(),
                                                     "purposes": set(), "profiles": set()})
                    entry["senders"].add(sender)
                    entry["recipients"].add(recipient)
                    entry["categories"] |= needed
                    entry["purposes"].add(purpose)
                    entry["profiles"].add(profile.id)
    rows = [{"sender_kind": s, "recipient_kind": r, **{k: tuple(sorted(val)) for k, val in entry.items()}}
            for (s, r), entry in sorted(found.items())]
    return pd.DataFrame(rows, columns=UNWRITTEN_COLUMNS)
