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
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..model.keys import UNKNOWN
from ..model.protocol import Protocol
from ..model.rules import OUTCOMES_MOST_PROTECTIVE_FIRST, Rule
from ..model.vocabulary import Vocabulary

#: Outcome codes in the compiled tables; GAP means no rule matched.
OUTCOME_CODES: tuple[str, ...] = ("gap", *OUTCOMES_MOST_PROTECTIVE_FIRST)
GAP = 0

#: Need-to-know codes.
NEED_CODES: tuple[str, ...] = ("no_profile", "not_needed", "needed")

_WORD = 64


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
    fact_bits: list[np.ndarray]
    bit_outcome: np.ndarray          # outcome code of each bit
    bit_class: np.ndarray            # (priority, outcome) class of each bit
    class_masks: np.ndarray          # [class, word]: the bits of each class
    need: np.ndarray                 # [to, stage, purpose, category] -> need code
    fact_index: dict[str, int] = field(default_factory=dict)

    @property
    def rules(self) -> list[Rule]:
        return self.protocol.rules

    def rule_at_bit(self, bit: int) -> Rule:
        """The rule a bit stands for."""
        return self.protocol.rules[self.ranked[bit]]

    # -- matching ----------------------------------------------------------------------------
    def match(self, sender, recipient, category, stage, purpose, fact_codes, chunk: int = 8192) -> np.ndarray:
        """Bitsets of matching rules, one row per coded request-category: ``uint64[n, words]``.

        Every argument is an integer array of codes (``fact_codes`` is ``[n, facts]``). Rows
        are matched in cache-sized chunks, gathering each table straight into a scratch buffer.
        """
        n = len(sender)
        out = np.empty((n, self.words), dtype=np.uint64)
        tables = [(self.to_bits, recipient), (self.category_bits, category), (self.stage_bits, stage),
                  (self.purpose_bits, purpose)]
        tables += [(table, fact_codes[:, f]) for f, table in enumerate(self.fact_bits)]
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


def fingerprint(protocol: Protocol) -> str:
    """A hash of everything that affects decisions; equal protocols share compiled tables."""
    return hashlib.sha256(protocol.model_dump_json(by_alias=True).encode()).hexdigest()


def compile_protocol(protocol: Protocol) -> CompiledProtocol:
    """Compile (or fetch from a small cache) the tables of a protocol.

    Examples
    --------
    >>> import protocolkit
    >>> c = compile_protocol(protocolkit.load(protocolkit.example_path("mash")))
    >>> c.words >= 1
    True
    """
    key = fingerprint(protocol)
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    compiled = _compile(protocol)
    _CACHE[key] = compiled
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return compiled


def _rank_key(position: int, rule: Rule) -> tuple:
    return (-rule.priority, OUTCOMES_MOST_PROTECTIVE_FIRST.index(rule.outcome), position)


def _compile(protocol: Protocol) -> CompiledProtocol:
    vocab = Vocabulary.of(protocol)
    partners = Dimension("partner", tuple(vocab.partners))
    categories = Dimension("category", tuple(vocab.categories))
    stages = Dimension("stage", tuple(vocab.stage_ids))
    purposes = Dimension("purpose", tuple(vocab.purposes))
    facts = [Dimension(f, (UNKNOWN, *vocab.facts[f].values)) for f in vocab.facts]
    fact_index = {d.name: i for i, d in enumerate(facts)}

    rules = protocol.rules
    ranked = sorted(range(len(rules)), key=lambda i: _rank_key(i, rules[i]))
    words = (len(rules) + _WORD - 1) // _WORD

    # bitsets are built as Python integers (one per table row), then split into uint64 words
    from_rows, to_rows = [0] * len(partners.values), [0] * len(partners.values)
    category_rows, stage_rows = [0] * len(categories.values), [0] * len(stages.values)
    purpose_rows = [0] * len(purposes.values)
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
        conditions = {c.fact: c for c in rule.conditions()}
        for f, dimension in enumerate(facts):
            condition = conditions.get(dimension.name)
            if condition is None:
                allowed = range(len(dimension.values))
            else:
                ok = condition.allowed(vocab.facts[dimension.name])
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
    fact_bits = [words_of(rows) for rows in fact_rows]
    class_masks = words_of(class_rows or [0])

    need = _need_table(vocab, partners, stages, purposes, categories, protocol)
    return CompiledProtocol(
        protocol=protocol, vocab=vocab, partners=partners, categories=categories, stages=stages,
        purposes=purposes, facts=facts, ranked=ranked, words=words, from_bits=from_bits, to_bits=to_bits,
        category_bits=category_bits, stage_bits=stage_bits, purpose_bits=purpose_bits, fact_bits=fact_bits,
        bit_outcome=bit_outcome, bit_class=bit_class, class_masks=class_masks, need=need, fact_index=fact_index,
    )


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
