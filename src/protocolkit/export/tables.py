"""The engine's compiled rule tables, read back as plain sets: what the rule exporters generate from.

Rego and Cedar are generated from these tables, not from a second reading of the
rule files, so they encode exactly what the engine matches (hierarchies, ``any``,
conditions on facts with ``unknown``): :func:`rule_tables` reads, for every rule,
the partners, categories, stages, purposes and fact values whose bitset row in
:class:`~protocolkit.engine.compiled.CompiledProtocol` has the rule's bit set.
The rule order, priorities and outcome ranks are the engine's too.

This module does not write any format.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.compiled import CompiledProtocol, compile_protocol
from ..model.protocol import Protocol
from ..model.rules import OUTCOMES_MOST_PROTECTIVE_FIRST

#: The overall outcome of a request: the most protective of its categories', a gap counting above refuse.
SUMMARY_ORDER: tuple[str, ...] = ("gap", *OUTCOMES_MOST_PROTECTIVE_FIRST)

#: Outcomes under which information travels.
SHARING: tuple[str, ...] = ("share", "share_minimum")


@dataclass(frozen=True)
class RuleTable:
    """One rule as the engine matches it: the values of every request dimension it covers.

    ``facts`` holds only the facts the rule restricts (a fact whose every value, ``unknown``
    included, matches is left out); a value set includes ``unknown`` only where the rule's
    condition lists it.
    """

    position: int
    id: str
    title: str
    priority: int
    outcome: str
    protect: int  # 0 = refuse (most protective) ... 4 = share
    senders: tuple[str, ...]
    recipients: tuple[str, ...]
    categories: tuple[str, ...]
    stages: tuple[str, ...]
    purposes: tuple[str, ...]
    facts: tuple[tuple[str, tuple[str, ...]], ...]
    obligations: tuple[str, ...]
    lawful_bases: tuple[str, ...]
    minimum: str | None
    escalate_to: str | None


@dataclass(frozen=True)
class Tables:
    """Every rule's table plus the dimension values, in the engine's order."""

    compiled: CompiledProtocol
    rules: tuple[RuleTable, ...]
    partners: tuple[str, ...]
    categories: tuple[str, ...]
    stages: tuple[str, ...]
    purposes: tuple[str, ...]
    facts: tuple[tuple[str, tuple[str, ...]], ...]  # fact -> values, "unknown" first

    def classes(self) -> list[tuple[int, str]]:
        """The (priority, outcome) classes that occur, in decision order (the winning class first)."""
        seen = {(r.priority, r.outcome) for r in self.rules}
        return sorted(seen, key=lambda c: (-c[0], OUTCOMES_MOST_PROTECTIVE_FIRST.index(c[1])))


def _members(table: np.ndarray, values: tuple[str, ...], bit: int) -> tuple[str, ...]:
    word, flag = divmod(bit, 64)
    column = (table[:, word] >> np.uint64(flag)) & np.uint64(1)
    return tuple(v for v, on in zip(values, column.tolist()) if on)


def rule_tables(protocol: Protocol | CompiledProtocol) -> Tables:
    """Read every rule's scope back from the compiled tables, in protocol order.

    Examples
    --------
    >>> import protocolkit
    >>> t = rule_tables(protocolkit.load(protocolkit.example_path("mash")))
    >>> r = next(r for r in t.rules if r.id == "R-SCR-01")
    >>> r.senders, r.outcome, dict(r.facts)["risk"]
    (('police', 'police_mash_researcher'), 'share_minimum', ('amber', 'red'))
    """
    compiled = protocol if isinstance(protocol, CompiledProtocol) else compile_protocol(protocol)
    bit_of = {position: bit for bit, position in enumerate(compiled.ranked)}
    out = []
    for position, rule in enumerate(compiled.rules):
        bit = bit_of[position]
        facts = []
        for dimension, table in zip(compiled.facts, compiled.fact_bits):
            allowed = _members(table, dimension.values, bit)
            if len(allowed) != len(dimension.values):
                facts.append((dimension.name, allowed))
        out.append(RuleTable(
            position=position, id=rule.id, title=rule.title, priority=rule.priority, outcome=rule.outcome,
            protect=OUTCOMES_MOST_PROTECTIVE_FIRST.index(rule.outcome),
            senders=_members(compiled.from_bits, compiled.partners.values, bit),
            recipients=_members(compiled.to_bits, compiled.partners.values, bit),
            categories=_members(compiled.category_bits, compiled.categories.values, bit),
            stages=_members(compiled.stage_bits, compiled.stages.values, bit),
            purposes=_members(compiled.purpose_bits, compiled.purposes.values, bit),
            facts=tuple(facts),
            obligations=_unique(str(o) for o in rule.obligations),
            lawful_bases=_unique(rule.lawful_bases),
            minimum=rule.minimum if rule.outcome == "share_minimum" else None,
            escalate_to=rule.escalate_to if rule.outcome == "escalate" else None,
        ))
    return Tables(
        compiled=compiled, rules=tuple(out), partners=compiled.partners.values,
        categories=compiled.categories.values, stages=compiled.stages.values, purposes=compiled.purposes.values,
        facts=tuple((d.name, d.values) for d in compiled.facts),
    )


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
