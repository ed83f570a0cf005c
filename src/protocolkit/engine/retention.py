"""The retention in effect for one category a decision shares (``docs/semantics.md`` section 18), as the
engine answers it: in every explanation, in :class:`~protocolkit.engine.results.CategoryDecision`'s
``retention``, in ``decide_many``'s ``retention`` column, and as the Rego export's ``retention``.

A category that is not shared (refused, escalated, a gap, a fallback's answer) has no retention in effect:
nothing reaches the recipient to keep. For one that is shared, the periods are settled by
:func:`protocolkit.model.retention.retention_in_effect` from the deciding rules: their own terms, else what
they inherit from the defaults for that recipient, else the protocol's retention statements.

Examples
--------
>>> import protocolkit
>>> p = protocolkit.load(protocolkit.example_path("mash"))
>>> d = protocolkit.decide(p, {"from": "police_mash_researcher", "to": "marac", "stage": "review",
...     "categories": ["risk.dash_risk_assessment"], "purpose": "safeguarding",
...     "facts": {"history.count.shared.criminal.encompass_notification.from.police.at_least_2.within_p12m": "yes"}})
>>> d.outcome, [(r["period"], r["origin"], r["owner"]) for r in d.categories[0].retention]
('share', [('6 years after the last MARAC at which the case was heard', 'default', 'marac_retention')])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..model.outcomes import SHARING_OUTCOMES

if TYPE_CHECKING:
    from ..model.rules import Rule
    from .compiled import CompiledProtocol


def retention_of(compiled: "CompiledProtocol", recipient: str, category: str, outcome: str,
                 deciding: Sequence["Rule | str"]) -> tuple[dict, ...]:
    """The retention periods in effect when ``recipient`` receives ``category`` under the deciding rules (rules or
    their ids), each as ``{"period", "origin", "owner", "source"}``; none when the outcome shares nothing.

    ``origin`` says where the period was stated: ``rule`` (the deciding rule ``owner``'s own term),
    ``default`` (inherited from the default ``owner``) or ``statement`` (the protocol's retention statement
    ``owner``).
    """
    from ..model.retention import retention_in_effect

    if outcome not in SHARING_OUTCOMES or not deciding:
        return ()
    protocol = compiled.protocol
    rules = [protocol.rule(r) if isinstance(r, str) else r for r in deciding]
    return tuple(r.to_dict() for r in retention_in_effect(protocol, compiled.vocab, rules, compiled.inherited,
                                                          recipient, category))


__all__ = ["retention_of"]
