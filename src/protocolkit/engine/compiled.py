"""Compiled rule tables: the one matcher behind every decision.

A protocol compiles to integer codes for every partner, category, stage, purpose
and fact value, and to one bitset of rules per value of each request dimension.
A request's matching rules are the AND of its dimensions' bitsets; its deciding
rule is the lowest set bit, because bits are numbered in decision order
(priority first, then the most protective outcome, then protocol order: see
``docs/semantics.md`` section 3). Single decisions, batches, case runs and the
guarantee checker all go through :meth:`CompiledProtocol.match`.

This module does not explain decisions (see :mod:`protocolkit.engine.explain`)
or read requests from people (see :mod:`protocolkit.engine.requests`).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import NamedTuple

import numpy as np

from ..model.defaults import effective_rules, with_defaults
from ..model.keys import UNKNOWN
from ..model.protocol import Protocol
from ..model.outcomes import DECISION_OUTCOMES, OUTCOMES_MOST_PROTECTIVE_FIRST
from ..model.keys import split_fact_key
from ..model.rules import REQUESTED_BY, UNSTATED_SUBJECT, Fallback, Rule
from ..model.unchanged import model_json, remembered
from ..model.vocabulary import Vocabulary

#: Outcome codes in the compiled tables; GAP means nothing decided.
OUTCOME_CODES: tuple[str, ...] = DECISION_OUTCOMES
GAP = 0

#: Why a fallback decided a category (codes of :meth:`CompiledProtocol.settle`).
FALLBACK_REASONS: tuple[str | None, ...] = (None, "gap", "unknown_fact")

#: Need-to-know codes.
NEED_CODES: tuple[str, ...] = ("no_profile", "not_needed", "needed")

_WORD = 64


class Settled(NamedTuple):
    """Matched rules resolved and the purposes' fallbacks applied, one entry per row (:meth:`CompiledProtocol.settle`)."""

    outcomes: np.ndarray   # outcome codes (:data:`OUTCOME_CODES`)
    deciders: np.ndarray   # the deciding bit, -1 where no rule decides
    fallbacks: np.ndarray  # the fallback index, -1 for none
    reasons: np.ndarray    # the fallback's reason code (:data:`FALLBACK_REASONS`)
    blocking: np.ndarray   # the bits of the rules waiting on an unknown fact


class SettledSpace(NamedTuple):
    """:class:`Settled` for explored states, with their matched rule bits first (:meth:`CompiledProtocol.settle_space`)."""

    bits: np.ndarray
    outcomes: np.ndarray
    deciders: np.ndarray
    fallbacks: np.ndarray
    reasons: np.ndarray
    blocking: np.ndarray


@dataclass(frozen=True)
class Dimension:
    """The values of one request dimension, in a fixed order, with their integer codes."""

    name: str
    values: tuple[str, ...]

    @cached_property
    def index(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.values)}

    @cached_property
    def lookup(self):
        """The values as a pandas Index, for vectorised look-ups."""
        import pandas as pd

        return pd.Index(list(self.values))


@dataclass
class CompiledProtocol:
    """A protocol's rules as bitset tables over integer-coded request dimensions.

    Attributes
    ----------
    partners, categories, stages, purposes : Dimension
        The request dimensions.
    facts : list of Dimension
        One per fact; code 0 is ``unknown``, then the fact's values in order.
    ranked : list of int
        Rule positions (in ``protocol.rules``) in decision order: bit ``i`` stands for
        rule ``ranked[i]``.
    """

    protocol: Protocol
    vocab: Vocabulary
    partners: Dimension
    categories: Dimension
    stages: Dimension
    purposes: Dimension
    facts: list[Dimension]
    ranked: list[int]
    words: int
    from_bits: np.ndarray
    to_bits: np.ndarray
    category_bits: np.ndarray
    stage_bits: np.ndarray
    purpose_bits: np.ndarray
    initiative_bits: np.ndarray      # [who asked code, word]
    fact_bits: list[np.ndarray]
    bit_outcome: np.ndarray          # outcome code of each bit
    bit_class: np.ndarray            # (priority, outcome) class of each bit
    class_masks: np.ndarray          # [class, word]: the bits of each class
    need: np.ndarray                 # [to, stage, purpose, category] -> need code
    fact_index: dict[str, int] = field(default_factory=dict)
    relaxed_fact_bits: list[np.ndarray] = field(default_factory=list)  # row 0 (unknown) = any stated value
    outcome_masks: np.ndarray | None = None    # [outcome code, word]: the bits of rules with that outcome
    before_masks: np.ndarray | None = None     # [decider + 1, word]: bits ranked before it (row 0: every bit)
    needs_known: np.ndarray | None = None      # [fact, word]: rules whose condition on the fact excludes unknown
    fallbacks: list[Fallback] = field(default_factory=list)
    purpose_fallback: np.ndarray | None = None  # [purpose] -> fallback index, -1 for none
    fallback_on: np.ndarray | None = None       # [fallback, reason code] -> applies
    part3_sender: np.ndarray | None = None      # [partner] -> a competent authority (DPA 2018 s30)
    part3_purpose: np.ndarray | None = None     # [purpose] -> a law enforcement purpose (DPA 2018 s31)
    inherited: dict = field(default_factory=dict)  # rule id -> what it inherits from the defaults (section 18)
    source: Protocol | None = None  # the protocol as written (``protocol`` has the inherited lists folded in)
    subjects: Dimension = field(default_factory=lambda: Dimension("about", (UNSTATED_SUBJECT,)))
    about_bits: np.ndarray | None = None        # [about code (0: no subject named), word]
    links: tuple[tuple[int, int, int], ...] = ()  # (subject's-value fact, role code, role-read fact) positions
    #: What has been worked out from these tables that depends only on the rules in effect and the vocabulary
    #: (such as every permitted flow): shared by every compiled tables object of the same rules in effect
    #: (:func:`compile_protocol` pairs them by content, the protocol and ``with_defaults`` of it alike).
    #: Whoever stores here must hand out copies: the entries are shared.
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def regimes(self, senders: np.ndarray, purposes: np.ndarray) -> np.ndarray:
        """The regime of each flow (``docs/semantics.md`` section 4): ``part3`` or ``uk_gdpr``."""
        part3 = self.part3_sender[senders] & self.part3_purpose[purposes]
        return np.where(part3, "part3", "uk_gdpr").astype(object)

    @property
    def uses_requested_by(self) -> bool:
        """Whether some rule looks at who asked (else every value of that dimension decides alike)."""
        return any(rule.requested_by != "any" for rule in self.protocol.rules)

    @property
    def uses_about(self) -> bool:
        """Whether whose data a request is about can change a decision: some rule names roles, or some rule
        reads a per-subject fact for a named role (``docs/semantics.md`` section 16)."""
        return bool(self.links) or any(rule.about != "any" for rule in self.protocol.rules)

    @property
    def waits_on_facts(self) -> bool:
        """Whether some fallback applies when a rule waits on an unknown fact (else no relaxed match is needed)."""
        return bool(self.fallbacks) and bool(self.fallback_on[:, 2].any())

    @property
    def rules(self) -> list[Rule]:
        return self.protocol.rules

    def rule_at_bit(self, bit: int) -> Rule:
        """The rule a bit stands for."""
        return self.protocol.rules[self.ranked[bit]]

    # -- matching ----------------------------------------------------------------------------
    def match(self, sender, recipient, category, stage, purpose, fact_codes, chunk: int = 8192,
              relaxed: bool = False, initiative=None, about=None) -> np.ndarray:
        """Bitsets of matching rules, one row per coded request-category: ``uint64[n, words]``.

        Every argument is an integer array of codes (``fact_codes`` is ``[n, facts]``). Rows
        are matched in cache-sized chunks, gathering each table straight into a scratch buffer.
        With ``relaxed``, an unknown fact satisfies every condition that some stated value
        satisfies: the rules that match or *wait* on unknown facts (``docs/semantics.md`` section 5).
        ``initiative`` holds who asked (codes of :data:`~protocolkit.model.rules.REQUESTED_BY`; default unstated);
        ``about`` whose data it is (codes of :attr:`subjects`; default 0, no subject named).
        """
        n = len(sender)
        if initiative is None:
            initiative = np.zeros(n, dtype=np.int64)
        if about is None:
            about = np.zeros(n, dtype=np.int64)
        out = np.empty((n, self.words), dtype=np.uint64)
        tables = [(self.to_bits, recipient), (self.category_bits, category), (self.stage_bits, stage),
                  (self.purpose_bits, purpose), (self.initiative_bits, initiative), (self.about_bits, about)]
        fact_tables = self.relaxed_fact_bits if relaxed else self.fact_bits
        tables += [(table, fact_codes[:, f]) for f, table in enumerate(fact_tables)]
        scratch = np.empty((min(chunk, max(n, 1)), self.words), dtype=np.uint64)
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            rows, buffer = out[start:stop], scratch[: stop - start]
            np.take(self.from_bits, sender[start:stop], axis=0, out=rows)
            for table, index in tables:
                np.take(table, index[start:stop], axis=0, out=buffer)
                rows &= buffer
        return out

    def resolve(self, bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Outcome codes and deciding bits (-1 for a gap) of matched-rule bitsets."""
        n = bits.shape[0]
        if self.words == 0:
            return np.zeros(n, dtype=np.int8), np.full(n, -1, dtype=np.int64)
        nonzero = bits != 0
        word = nonzero.argmax(axis=1)
        has = nonzero[np.arange(n), word]
        value = bits[np.arange(n), word]
        lowest = value & (~value + np.uint64(1))
        position = np.frexp(lowest.astype(np.float64))[1].astype(np.int64) - 1
        decider = np.where(has, word.astype(np.int64) * _WORD + position, -1)
        outcome = np.where(has, self.bit_outcome[np.maximum(decider, 0)], GAP).astype(np.int8)
        return outcome, decider

    def blocking(self, bits: np.ndarray, relaxed: np.ndarray, outcomes: np.ndarray, deciders: np.ndarray) -> np.ndarray:
        """The rules that wait on an unknown fact and, stated, would outrank the decider with another outcome."""
        if self.words == 0:
            return np.zeros_like(bits)
        return relaxed & ~bits & self.before_masks[deciders + 1] & ~self.outcome_masks[outcomes]

    def settle(self, bits: np.ndarray, relaxed: np.ndarray | None, purposes: np.ndarray | None,
               candidate: np.ndarray | None = None) -> Settled:
        """Resolve matched rules, then apply the purposes' fallbacks (``docs/semantics.md`` section 5).

        Returns outcome codes, deciding bits (-1 where no rule decides), fallback index (-1 for
        none), fallback reason codes (:data:`FALLBACK_REASONS`) and the blocking rules' bits.
        ``relaxed`` may be None when no fallback applies to unknown facts. ``candidate`` (each
        row's purpose fallback index) may be given instead of the purpose codes.
        """
        outcomes, deciders = self.resolve(bits)
        n = len(outcomes)
        fallback = np.full(n, -1, dtype=np.int64)
        reason = np.zeros(n, dtype=np.int8)
        blocking = np.zeros_like(bits)
        if not self.fallbacks:
            return Settled(outcomes, deciders, fallback, reason, blocking)
        if candidate is None:
            candidate = self.purpose_fallback[purposes]
        has = candidate >= 0
        safe = np.maximum(candidate, 0)
        undecided = np.zeros(n, dtype=bool)
        if relaxed is not None and self.waits_on_facts:
            blocking = self.blocking(bits, relaxed, outcomes, deciders)
            undecided = blocking.any(axis=1) if self.words else undecided
        gap = outcomes == GAP
        by_gap = has & gap & self.fallback_on[safe, 1]
        by_fact = has & ~by_gap & undecided & self.fallback_on[safe, 2]
        applies = by_gap | by_fact
        reason[by_gap], reason[by_fact] = 1, 2
        fallback[applies] = candidate[applies]
        codes = np.array([OUTCOME_CODES.index(f.outcome) for f in self.fallbacks], dtype=np.int8)
        outcomes = np.where(applies, codes[safe], outcomes).astype(np.int8)
        deciders = np.where(applies, -1, deciders)
        blocking[~by_fact] = 0
        return Settled(outcomes, deciders, fallback, reason, blocking)

    # -- exploring the whole space (guarantees, graph) -------------------------------------------
    @property
    def space_words(self) -> int:
        """Width of a space state: rule bits, then relaxed bits and fallback bits where fallbacks exist."""
        if not self.fallbacks:
            return self.words
        return self.words * (2 if self.waits_on_facts else 1) + (len(self.fallbacks) + _WORD - 1) // _WORD

    def space_table(self, axis: str, fact: int | None = None) -> np.ndarray:
        """The table of one axis for :func:`~protocolkit.engine.space.explore`: each row is the value's rule
        bits, then (with fallbacks) its relaxed bits and the one-hot bit of its purpose's fallback."""
        table = {"from": self.from_bits, "to": self.to_bits, "category": self.category_bits,
                 "stage": self.stage_bits, "purpose": self.purpose_bits,
                 "requested_by": self.initiative_bits, "about": self.about_bits}.get(axis)
        table = self.fact_bits[fact] if table is None else table
        if not self.fallbacks:
            return table
        parts = [table]
        if self.waits_on_facts:
            parts.append(self.relaxed_fact_bits[fact] if axis == "fact" else table)
        fallback_words = (len(self.fallbacks) + _WORD - 1) // _WORD
        ones = np.iinfo(np.uint64).max
        tail = np.full((len(table), fallback_words), ones, dtype=np.uint64)
        if axis == "purpose":
            tail[:] = 0
            for code, index in enumerate(self.purpose_fallback.tolist()):
                if index >= 0:
                    tail[code, index // _WORD] |= np.uint64(1 << (index % _WORD))
        parts.append(tail)
        return np.ascontiguousarray(np.concatenate(parts, axis=1))

    def settle_space(self, states: np.ndarray) -> SettledSpace:
        """:meth:`settle` for explored states built from :meth:`space_table` rows; also returns the rule bits."""
        bits = np.ascontiguousarray(states[:, :self.words])
        if not self.fallbacks:
            return SettledSpace(bits, *self.settle(bits, None, None))
        relaxed = np.ascontiguousarray(states[:, self.words:2 * self.words]) if self.waits_on_facts else None
        tail = states[:, self.space_words - (len(self.fallbacks) + _WORD - 1) // _WORD:]
        candidate = np.full(len(states), -1, dtype=np.int64)
        for index in range(len(self.fallbacks)):
            on = (tail[:, index // _WORD] >> np.uint64(index % _WORD)) & np.uint64(1)
            candidate[(on == 1) & (candidate < 0)] = index
        return SettledSpace(bits, *self.settle(bits, relaxed, None, candidate=candidate))

    def waiting_on(self, blocking: np.ndarray, fact_codes: np.ndarray) -> list[tuple[str, ...]]:
        """For each row, the unknown facts the blocking rules wait on, in vocabulary order."""
        n = len(blocking)
        if n == 0 or not self.words or not blocking.any():
            return [()] * n
        hits = []
        for f, dimension in enumerate(self.facts):
            hits.append((fact_codes[:, f] == 0) & (blocking & self.needs_known[f]).any(axis=1))
        names = [d.name for d in self.facts]
        matrix = np.column_stack(hits) if hits else np.zeros((n, 0), dtype=bool)
        return [tuple(names[f] for f in np.flatnonzero(row)) for row in matrix]

    def winners(self, bits: np.ndarray, decider: int) -> list[int]:
        """The deciding rules (positions in ``protocol.rules``) of one matched bitset row."""
        if decider < 0:
            return []
        mask = bits & self.class_masks[self.bit_class[decider]]
        return [self.ranked[b] for b in bits_set(mask)]

    def matched(self, bits: np.ndarray) -> list[int]:
        """Every matching rule (positions in ``protocol.rules``), in decision order."""
        return [self.ranked[b] for b in bits_set(bits)]

    def encode_fact(self, fact: str, value: str | None) -> int:
        """The code of a fact value (0 for unknown)."""
        if value is None or value == UNKNOWN:
            return 0
        return self.facts[self.fact_index[fact]].index[value]


def bits_set(row: np.ndarray) -> list[int]:
    """Positions of the set bits of a ``uint64`` word row, lowest first."""
    out = []
    for w, word in enumerate(row.tolist()):
        while word:
            low = word & -word
            out.append(w * _WORD + low.bit_length() - 1)
            word ^= low
    return out


_CACHE: OrderedDict[str, CompiledProtocol] = OrderedDict()
_CACHE_SIZE = 8
_DERIVED: OrderedDict[str, dict] = OrderedDict()   # fingerprint of the rules in effect -> CompiledProtocol.derived


def fingerprint(protocol: Protocol) -> str:
    """A hash of everything that affects decisions; equal protocols share compiled tables.

    Worked out once per scope in which the protocol is promised unchanged (:mod:`protocolkit.model.unchanged`).
    """
    return remembered(protocol, "fingerprint", lambda: hashlib.sha256(model_json(protocol)).hexdigest())


def compile_protocol(protocol: Protocol, *, cache: bool = True) -> CompiledProtocol:
    """Compile (or fetch from a small cache) the tables of a protocol.

    ``cache=False`` compiles without looking in the cache or adding to it, which saves hashing
    the whole protocol: for a caller that keeps the tables with the protocol object itself (the
    workbench, after each edit).

    Examples
    --------
    >>> import protocolkit
    >>> c = compile_protocol(protocolkit.load(protocolkit.example_path("mash")))
    >>> c.words >= 1
    True
    """
    if not cache:
        return _compile(protocol)
    key = fingerprint(protocol)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        if cached.source is not protocol:
            # The tables depend only on the content, which the key says is the same; but the protocol
            # object they were compiled from may since have been edited in place (a widget's session
            # does), so the tables are paired with this caller's protocol and its vocabulary.
            vocab = Vocabulary.of(protocol)
            in_effect = with_defaults(protocol, vocab) if cached.inherited else protocol
            cached = replace(cached, protocol=in_effect, vocab=vocab, source=protocol)
            _CACHE[key] = cached
        return cached
    compiled = _compile(protocol)
    # the protocol and with_defaults(protocol) compile to the same rules in effect: they share what is derived
    in_effect = key if compiled.protocol is protocol else fingerprint(compiled.protocol)
    shared = _DERIVED.pop(in_effect, None)
    compiled.derived = {} if shared is None else shared
    _DERIVED[in_effect] = compiled.derived
    while len(_DERIVED) > _CACHE_SIZE:
        _DERIVED.popitem(last=False)
    _CACHE[key] = compiled
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled


def _rank_key(position: int, rule: Rule) -> tuple:
    return (-rule.priority, OUTCOMES_MOST_PROTECTIVE_FIRST.index(rule.outcome), position)


def _compile(protocol: Protocol) -> CompiledProtocol:
    vocab = Vocabulary.of(protocol)
    # the rules as they decide: with what each inherits from the agreement's defaults (docs/semantics.md section 18)
    source = protocol
    rules_in_effect, inherited = effective_rules(protocol, vocab)
    if any(mine is not theirs for mine, theirs in zip(rules_in_effect, protocol.rules)):   # not only retention
        protocol = protocol.model_copy(update={"rules": rules_in_effect})
    partners = Dimension("partner", (*vocab.partners, *(o for o in vocab.outside if o not in vocab.partners)))
    categories = Dimension("category", tuple(vocab.categories))
    stages = Dimension("stage", tuple(vocab.stage_ids))
    purposes = Dimension("purpose", tuple(vocab.purposes))
    role_read = role_facts(protocol, vocab)
    facts = [Dimension(f, (UNKNOWN, *vocab.facts[f].values)) for f in vocab.facts]
    facts += [Dimension(f, (UNKNOWN, *vocab.fact(f).values)) for f in role_read]
    fact_index = {d.name: i for i, d in enumerate(facts)}
    subjects = Dimension("about", (UNSTATED_SUBJECT, *vocab.subjects))
    links = tuple((fact_index[split_fact_key(f)[0]], subjects.index[split_fact_key(f)[1]], fact_index[f])
                  for f in role_read)

    rules = protocol.rules
    ranked = sorted(range(len(rules)), key=lambda i: _rank_key(i, rules[i]))
    words = (len(rules) + _WORD - 1) // _WORD

    # bitsets are built as Python integers (one per table row), then split into uint64 words
    from_rows, to_rows = [0] * len(partners.values), [0] * len(partners.values)
    category_rows, stage_rows = [0] * len(categories.values), [0] * len(stages.values)
    purpose_rows = [0] * len(purposes.values)
    initiative_rows = [0] * len(REQUESTED_BY)
    about_rows = [0] * len(subjects.values)
    fact_rows = [[0] * len(d.values) for d in facts]
    classes: dict[tuple, int] = {}
    bit_outcome = np.zeros(len(rules), dtype=np.int8)
    bit_class = np.zeros(len(rules), dtype=np.int64)
    class_rows: list[int] = []

    def mark(rows: list[int], indexes, bit: int) -> None:
        flag = 1 << bit
        for i in indexes:
            rows[i] |= flag

    for bit, position in enumerate(ranked):
        rule = rules[position]
        mark(from_rows, (partners.index[p] for p in vocab.partners_in(rule.from_)), bit)
        mark(to_rows, (partners.index[p] for p in vocab.partners_in(rule.to)), bit)
        mark(category_rows, (categories.index[c] for c in vocab.categories_in(rule.categories) if c in categories.index), bit)
        mark(stage_rows, (stages.index[s] for s in vocab.stages_in(rule.stages) if s in stages.index), bit)
        mark(purpose_rows, (purposes.index[u] for u in vocab.purposes_in(rule.purposes) if u in purposes.index), bit)
        mark(initiative_rows, (i for i, who in enumerate(REQUESTED_BY)
                               if rule.requested_by == "any" or who in rule.requested_by), bit)
        mark(about_rows, (i for i, role in enumerate(subjects.values) if rule.about == "any" or role in rule.about), bit)
        conditions = {c.fact: c for c in rule.conditions()}
        for f, dimension in enumerate(facts):
            condition = conditions.get(dimension.name)
            if condition is None:
                allowed = range(len(dimension.values))
            else:
                ok = condition.allowed(vocab.fact(dimension.name))
                allowed = [i for i, v in enumerate(dimension.values) if v in ok]
            mark(fact_rows[f], allowed, bit)
        bit_outcome[bit] = OUTCOME_CODES.index(rule.outcome)
        bit_class[bit] = classes.setdefault((rule.priority, rule.outcome), len(classes))
        if bit_class[bit] == len(class_rows):
            class_rows.append(0)
        class_rows[bit_class[bit]] |= 1 << bit

    def words_of(rows: list[int]) -> np.ndarray:
        mask = (1 << _WORD) - 1
        return np.array([[(r >> (_WORD * w)) & mask for w in range(words)] for r in rows],
                        dtype=np.uint64).reshape(len(rows), words)

    from_bits, to_bits = words_of(from_rows), words_of(to_rows)
    category_bits, stage_bits, purpose_bits = words_of(category_rows), words_of(stage_rows), words_of(purpose_rows)
    initiative_bits = words_of(initiative_rows)
    about_bits = words_of(about_rows)
    fact_bits = [words_of(rows) for rows in fact_rows]
    class_masks = words_of(class_rows or [0])
    relaxed_fact_bits = []
    for table in fact_bits:
        relaxed = table.copy()
        relaxed[0] = np.bitwise_or.reduce(table, axis=0) if len(table) else 0
        relaxed_fact_bits.append(relaxed)
    everything = (1 << len(rules)) - 1
    outcome_rows = [0] * len(OUTCOME_CODES)
    for bit in range(len(rules)):
        outcome_rows[int(bit_outcome[bit])] |= 1 << bit
    outcome_masks = words_of(outcome_rows)
    before_masks = words_of([everything] + [(1 << bit) - 1 for bit in range(len(rules))])
    needs_known = words_of([everything & ~rows[0] for rows in fact_rows]) if fact_rows else np.zeros((0, words), np.uint64)
    fallbacks = list(protocol.fallbacks)
    purpose_fallback = np.full(len(purposes.values), -1, dtype=np.int64)
    for index, fallback in enumerate(fallbacks):
        for purpose in vocab.purposes_in(fallback.purposes):
            if purpose in purposes.index and purpose_fallback[purposes.index[purpose]] < 0:
                purpose_fallback[purposes.index[purpose]] = index
    fallback_on = np.array([[False, "gap" in f.on, "unknown_fact" in f.on] for f in fallbacks], dtype=bool
                           ).reshape(len(fallbacks), 3)

    need = _need_table(vocab, partners, stages, purposes, categories, protocol)
    return CompiledProtocol(
        protocol=protocol, vocab=vocab, partners=partners, categories=categories, stages=stages,
        purposes=purposes, facts=facts, ranked=ranked, words=words, from_bits=from_bits, to_bits=to_bits,
        category_bits=category_bits, stage_bits=stage_bits, purpose_bits=purpose_bits,
        initiative_bits=initiative_bits, fact_bits=fact_bits,
        bit_outcome=bit_outcome, bit_class=bit_class, class_masks=class_masks, need=need, fact_index=fact_index,
        relaxed_fact_bits=relaxed_fact_bits, outcome_masks=outcome_masks, before_masks=before_masks,
        needs_known=needs_known, fallbacks=fallbacks, purpose_fallback=purpose_fallback, fallback_on=fallback_on,
        part3_sender=np.array([p in vocab.partners and vocab.is_competent_authority(p) for p in partners.values],
                              dtype=bool),
        part3_purpose=np.array([vocab.purposes[u].law_enforcement for u in purposes.values], dtype=bool),
        inherited=inherited, source=source,
        subjects=subjects, about_bits=about_bits, links=links,
    )


def role_facts(protocol: Protocol, vocab: Vocabulary) -> list[str]:
    """The role-read facts (``consent@victim``) that rules, guarantees or fact constraints name, in the order of
    the facts, then of the roles (``docs/semantics.md`` section 16). Only these get a column of their own: a
    request's value for any other role is read only when the request is about that role."""
    named: set[str] = set()
    patterns = [r.when for r in protocol.rules] + [g.when for g in protocol.guarantees]
    patterns += [dict(c.if_, **(c.then or c.excludes)) for c in protocol.fact_constraints]
    for pattern in patterns:
        named.update(k for k in pattern if split_fact_key(k)[1] is not None)
    order = {f: i for i, f in enumerate(vocab.facts)}
    roles = {r: i for i, r in enumerate(vocab.subjects or {})}
    valid = [k for k in named if split_fact_key(k)[0] in order and split_fact_key(k)[1] in roles
             and vocab.facts[split_fact_key(k)[0]].per_subject]
    return sorted(valid, key=lambda k: (order[split_fact_key(k)[0]], roles[split_fact_key(k)[1]]))


def _need_table(vocab, partners, stages, purposes, categories, protocol) -> np.ndarray:
    need = np.zeros((len(partners.values), len(stages.values), len(purposes.values), len(categories.values)), dtype=np.int8)
    for profile in protocol.need_to_know:
        who = [partners.index[p] for p in vocab.partners_in(profile.recipient)]
        when = [stages.index[s] for s in vocab.stages_in(profile.stages) if s in stages.index]
        why = [purposes.index[u] for u in vocab.purposes_in(profile.purposes) if u in purposes.index]
        what = [categories.index[c] for c in vocab.categories_in(profile.categories) if c in categories.index]
        for p in who:
            for s in when:
                for u in why:
                    block = need[p, s, u]
                    block[block == 0] = 1
                    block[what] = 2
    return need
