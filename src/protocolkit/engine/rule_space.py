"""Rules over the whole request space: which rules ever match or decide, and which overlap.

These analyses use no graph: they explore every possible request exactly with
:mod:`protocolkit.engine.space`, settled as the engine decides it (fallbacks, fact
constraints), and report; the review judges what the findings mean.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.guarantees import Guarantee
from ..model.keys import ANY
from ..model.protocol import Protocol
from .compiled import CompiledProtocol, compile_protocol, fingerprint
from .guarantees import describe_request, layout, request_of
from .requests import Request
from .space import explore


# -- rules over the whole space ----------------------------------------------------------------------------

_SPACES: OrderedDict[str, "RuleSpace"] = OrderedDict()


@dataclass
class RuleSpace:
    """Every possible state of the whole request space, settled as the engine decides it.

    The space is the guarantee checker's (:func:`~protocolkit.engine.guarantees.layout`):
    sender and recipient as pairs without self-flows, facts tied by fact constraints only in
    their possible states (``docs/semantics.md`` section 11), and each state settled with the
    purposes' fallbacks (section 5). ``bits`` are the matched rules; ``deciders`` is -1 where no
    rule decides (a gap, or a fallback); ``fallbacks`` is the fallback index, -1 for none.
    """

    bits: np.ndarray
    outcomes: np.ndarray
    deciders: np.ndarray
    fallbacks: np.ndarray
    witness: np.ndarray
    plan: object

    def request(self, compiled: CompiledProtocol, row: int) -> Request:
        """The smallest request that reaches state ``row``."""
        return request_of(compiled, self.plan.decode(self.witness[row]))


def _space(protocol: Protocol) -> tuple[CompiledProtocol, RuleSpace]:
    """Every distinct possible state of the whole request space (cached per protocol)."""
    compiled = compile_protocol(protocol)
    key = fingerprint(protocol)
    if key not in _SPACES:
        plan = layout(compiled, Guarantee.model_validate(
            {"id": "WHOLE-SPACE", "kind": "never", "statement": "Every request.", "outcomes": ["share"]}))
        space = explore(plan.axes, compiled.space_words)
        settled = compiled.settle_space(space.bits)
        bits, outcomes, deciders, fallbacks = settled.bits, settled.outcomes, settled.deciders, settled.fallbacks
        _SPACES[key] = RuleSpace(bits, outcomes, deciders, fallbacks, space.witness, plan)
        while len(_SPACES) > 4:
            _SPACES.popitem(last=False)
    return compiled, _SPACES[key]


def rule_effect(protocol: Protocol) -> pd.DataFrame:
    """For every rule: does it ever match, ever decide, and if only overridden, by what.

    ``status`` is ``live`` (decides some request), ``shadowed`` (matches, but other rules, or a
    purpose's fallback, always decide), ``dead`` (matches no possible request) or ``outside``
    (matches no request between partners, and names a party outside the partnership, such as a
    subject access request: this analysis explores requests between partners only). Checked over
    every possible request: self-flows and fact states the fact constraints rule out are not
    requests, and where a fallback decides (section 5) no rule does.

    Examples
    --------
    >>> import protocolkit
    >>> effect = rule_effect(protocolkit.load(protocolkit.example_path("mash")))
    >>> effect.set_index("rule").loc["R-REF-06", ["outcome", "status"]].tolist()
    ['share', 'live']
    """
    compiled, space = _space(protocol)
    n = len(protocol.rules)
    matches = np.zeros(n, dtype=bool)
    decides = np.zeros(n, dtype=bool)
    shadowers: dict[int, set[str]] = {}
    if len(space.bits) and n:
        for row, decider, fallback in zip(space.bits, space.deciders.tolist(), space.fallbacks.tolist()):
            matched = compiled.matched(row)
            winners = compiled.winners(row, decider)
            matches[matched] = True
            decides[winners] = True
            deciding = ({f"fallback {compiled.fallbacks[fallback].id}"} if fallback >= 0
                        else {protocol.rules[w].id for w in winners})
            for position in matched:
                if position not in winners:
                    shadowers.setdefault(position, set()).update(deciding)
    status = np.where(decides, "live", np.where(matches, "shadowed", "dead")).astype(object)
    for i, rule in enumerate(protocol.rules):
        if status[i] == "dead" and any(sel != ANY and sel.outside for sel in (rule.from_, rule.to)):
            status[i] = "outside"
    return pd.DataFrame({
        "rule": [r.id for r in protocol.rules], "outcome": [r.outcome for r in protocol.rules],
        "matches": matches, "decides": decides, "status": status,
        "overridden_by": [tuple(sorted(shadowers.get(i, ()))) if status[i] == "shadowed" else () for i in range(n)],
    })


def rule_conflicts(protocol: Protocol) -> pd.DataFrame:
    """Pairs of rules at the same priority with different outcomes that some possible request matches both,
    where a rule (not a fallback) decides it.

    The more protective one wins (``docs/semantics.md`` section 3); this lists every such
    overlap with the smallest request showing it, so the partnership can confirm it meant it.
    Returns columns ``rule``, ``other``, ``outcome``, ``other_outcome``, ``winner``, ``example``.

    Examples
    --------
    >>> import protocolkit
    >>> list(rule_conflicts(protocolkit.load(protocolkit.example_path("mash"))).columns)
    ['rule', 'other', 'outcome', 'other_outcome', 'winner', 'example']
    """
    compiled, space = _space(protocol)
    rules = protocol.rules
    seen: dict[tuple[int, int], int] = {}
    for state, (row, fallback) in enumerate(zip(space.bits, space.fallbacks.tolist())):
        if fallback >= 0:
            continue  # the purpose's fallback decides: the overlap decides nothing here
        matched = compiled.matched(row)
        for i, a in enumerate(matched):
            for b in matched[i + 1:]:
                ra, rb = rules[a], rules[b]
                if ra.priority == rb.priority and ra.outcome != rb.outcome:
                    key = (min(a, b), max(a, b))
                    if key not in seen:
                        seen[key] = state
    out = []
    for (a, b), state in sorted(seen.items()):
        ra, rb = rules[a], rules[b]
        winner = ra if compiled.ranked.index(a) < compiled.ranked.index(b) else rb
        out.append({"rule": ra.id, "other": rb.id, "outcome": ra.outcome, "other_outcome": rb.outcome,
                    "winner": winner.id, "example": describe_request(compiled, space.request(compiled, state))})
    return pd.DataFrame(out, columns=["rule", "other", "outcome", "other_outcome", "winner", "example"])


__all__ = ["RuleSpace", "rule_conflicts", "rule_effect"]
