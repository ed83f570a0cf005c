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
from ..model.keys import ROLE_MARK
from ..model.protocol import Protocol
from ..model.outcomes import OUTCOMES_MOST_PROTECTIVE_FIRST, SHARING_OUTCOMES, SUMMARY_ORDER  # noqa: F401
from ..model.rules import REQUESTED_BY, SHARING_MODES  # noqa: F401

#: Outcomes under which information travels.
SHARING: tuple[str, ...] = tuple(sorted(SHARING_OUTCOMES))


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
    relaxed_facts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Like ``facts``, read from the relaxed tables: ``unknown`` also where some stated value satisfies the
    condition, so a rule that matches relaxed but not strictly *waits* on an unknown fact (section 5)."""
    survivable: tuple[str, ...] = ()
    """The obligations of types that survive an override (section 12)."""
    requested_by: tuple[str, ...] = REQUESTED_BY
    """Who asked, as the rule matches it (every value of :data:`~protocolkit.model.rules.REQUESTED_BY` for 'any')."""
    sharing: str = "permitted"
    """For a sharing outcome: required (a duty), permitted or discretion (``docs/semantics.md`` section 4)."""
    decided_by: str | None = None
    """For ``sharing: discretion``: the role whose judgement decides."""
    about: tuple[str, ...] = ("unstated",)
    """Whose data (docs/semantics.md section 16): the data subject roles the rule covers, ``unstated`` for a request
    that names none."""


@dataclass(frozen=True)
class FallbackTable:
    """A purpose's fallback (``docs/semantics.md`` section 5): what an undecided category becomes."""

    index: int
    id: str
    outcome: str
    escalate_to: str | None
    obligations: tuple[str, ...]
    on_gap: bool
    on_unknown_fact: bool


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
    impossible: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = ()
    fallbacks: tuple[FallbackTable, ...] = ()
    purpose_fallback: tuple[tuple[str, int], ...] = ()  # purpose -> fallback index, -1 for none
    waits_on_facts: bool = False
    uses_requested_by: bool = False
    """Whether some rule looks at who asked (``docs/semantics.md`` section 1)."""
    outside: tuple[str, ...] = ()
    """The parties outside the partnership the protocol declares (ids; they are in ``partners`` too, last)."""
    subjects: tuple[str, ...] = ("unstated",)
    """Whose data (``docs/semantics.md`` section 16): ``unstated`` (the request names no one), then the data
    subject roles the protocol declares."""
    uses_about: bool = False
    """Whether some rule is limited to data subject roles, so whose data a request is about can change which
    rules match."""
    per_subject: tuple[str, ...] = ()
    """The facts with a value per person: a request's plain value is the value for the request's subject."""
    role_keys: tuple[tuple[str, str, str], ...] = ()
    """Every ``fact@role`` key a request may give (key, fact, role), per-subject fact by declared role. Those that
    some rule, guarantee or fact constraint reads are fact columns too (in ``facts``); the others are read only
    when the request is about that role."""
    """Forbidden fact states (``docs/semantics.md`` section 11): (constraint id, fact -> values), one per cube."""

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
    waits = bool(getattr(compiled, "waits_on_facts", False))
    types = compiled.vocab.obligation_types
    for position, rule in enumerate(compiled.rules):
        bit = bit_of[position]
        facts, relaxed = [], []
        for dimension, table in zip(compiled.facts, compiled.fact_bits):
            allowed = _members(table, dimension.values, bit)
            if len(allowed) != len(dimension.values):
                facts.append((dimension.name, allowed))
        if waits:
            for dimension, table in zip(compiled.facts, compiled.relaxed_fact_bits):
                allowed = _members(table, dimension.values, bit)
                if len(allowed) != len(dimension.values):
                    relaxed.append((dimension.name, allowed))
        out.append(RuleTable(
            position=position, id=rule.id, title=rule.title, priority=rule.priority, outcome=rule.outcome,
            protect=OUTCOMES_MOST_PROTECTIVE_FIRST.index(rule.outcome),
            about=_members(compiled.about_bits, compiled.subjects.values, bit) if compiled.about_bits is not None
            else ("unstated",),
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
            relaxed_facts=tuple(relaxed),
            survivable=_unique(str(o) for o in rule.obligations
                               if getattr(types.get(o.type), "survives_override", False)),
            requested_by=_members(compiled.initiative_bits, REQUESTED_BY, bit),
            sharing=rule.sharing, decided_by=rule.decided_by if rule.sharing == "discretion" else None,
        ))
    fallbacks = tuple(
        FallbackTable(index=k, id=f.id, outcome=f.outcome, escalate_to=f.escalate_to if f.outcome == "escalate" else None,
                      obligations=_unique(str(o) for o in f.obligations),
                      on_gap=bool(compiled.fallback_on[k, 1]), on_unknown_fact=bool(compiled.fallback_on[k, 2]))
        for k, f in enumerate(getattr(compiled, "fallbacks", []) or []))
    purpose_fallback = tuple(
        (u, int(compiled.purpose_fallback[i]) if fallbacks else -1) for i, u in enumerate(compiled.purposes.values))
    return Tables(
        compiled=compiled, rules=tuple(out), partners=compiled.partners.values,
        categories=compiled.categories.values, stages=compiled.stages.values, purposes=compiled.purposes.values,
        facts=tuple((d.name, d.values) for d in compiled.facts),
        impossible=_impossible(compiled), fallbacks=fallbacks, purpose_fallback=purpose_fallback, waits_on_facts=waits,
        uses_requested_by=compiled.uses_requested_by,
        outside=tuple(p for p in compiled.partners.values if p not in compiled.vocab.partners),
        **_subject_tables(compiled, out),
    )


def _subject_tables(compiled: CompiledProtocol, rules: list[RuleTable]) -> dict:
    """Whose data a request is about, and how per-subject facts are read (``docs/semantics.md`` section 16)."""
    vocab = compiled.vocab
    per_subject = tuple(f for f, entry in vocab.facts.items() if getattr(entry, "per_subject", False))
    roles = tuple(vocab.subjects or {})
    return {"subjects": compiled.subjects.values, "per_subject": per_subject,
            "uses_about": any(set(r.about) != set(compiled.subjects.values) for r in rules),
            "role_keys": tuple((f"{f}{ROLE_MARK}{role}", f, role) for f in per_subject for role in roles)}


def _impossible(compiled: CompiledProtocol) -> tuple:
    """The fact constraints' forbidden cubes, values in the fact's order."""
    if not getattr(compiled.protocol, "fact_constraints", None):
        return ()
    from ..engine.constraints import compiled_constraints

    order = {d.name: d.values for d in compiled.facts}
    return tuple((cube.constraint, tuple((f, tuple(v for v in order[f] if v in allowed))
                                         for f, allowed in cube.values.items()))
                 for cube in compiled_constraints(compiled).cubes)


def _unique(items) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
