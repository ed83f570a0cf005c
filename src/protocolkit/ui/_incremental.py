"""Recomputing only what a rule edit can change.

A rule decides only requests inside its scope: its senders, recipients, categories,
stages and purposes (its ``when`` conditions narrow that further, so the scope is a safe
over-estimate). A request outside the scope of a rule both before and after an edit
matches exactly the same rules, in the same relative order, so its decision cannot
change. The workbench uses this to keep everything the engine said about the rest of the
protocol and re-ask the engine only inside the edited rules' scope:

- sample cases: only the cases with a request in the scope are run again
  (:func:`affected_cases`, :func:`merge_case_results`);
- permitted flows (graph, exposure): the flows are kept in parts per stage and purpose
  (:class:`FlowParts`), and only the part of the space in the scope is recomputed.

Anything other than rules changed (partners, categories, facts, profiles, fallbacks...)
means everything is recomputed. Every answer still comes from the one engine
(:func:`~protocolkit.engine.run_cases`, :func:`~protocolkit.graph.permitted_flows`); the
tests check that the incremental results equal a recomputation from scratch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from itertools import chain
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..graph.flows import FLOW_COLUMNS, permitted_flows
from ..model.cases import Case
from ..model.outcomes import Outcome
from ..model.protocol import Protocol
from ..model.rules import Rule
from ..model.vocabulary import Vocabulary


def rule_delta(before: Protocol, after: Protocol) -> set[str] | None:
    """The ids of the rules an edit added, removed or changed; None when it changed anything else.

    Also None when the edit moved rules relative to each other (the order of rules breaks ties).

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> q = p.model_copy(deep=True)
    >>> q.rules[0].title = "A clearer title"
    >>> rule_delta(p, q) == {p.rules[0].id}
    True
    >>> q.metadata.title = "Another title"
    >>> rule_delta(p, q) is None
    True
    """
    for name in type(before).model_fields:
        if name != "rules" and getattr(before, name) != getattr(after, name):
            return None
    old = {r.id: r for r in before.rules}
    new = {r.id: r for r in after.rules}
    if len(old) != len(before.rules) or len(new) != len(after.rules):
        return None
    if [r.id for r in before.rules if r.id in new] != [r.id for r in after.rules if r.id in old]:
        return None
    return {rule for rule in old.keys() | new.keys() if old.get(rule) != new.get(rule)}


@dataclass(frozen=True)
class Scope:
    """The requests some rules can decide: ids of senders, recipients, categories, stages and purposes."""

    senders: frozenset[str]
    recipients: frozenset[str]
    categories: frozenset[str]
    stages: frozenset[str]
    purposes: frozenset[str]

    @classmethod
    def of(cls, rules: Iterable[Rule], vocabulary: Vocabulary) -> "Scope":
        """The smallest box holding every request any of these rules can match."""
        parts: dict[str, set[str]] = {k: set() for k in ("senders", "recipients", "categories", "stages", "purposes")}
        for rule in rules:
            parts["senders"] |= set(vocabulary.partners_in(rule.from_))
            parts["recipients"] |= set(vocabulary.partners_in(rule.to))
            parts["categories"] |= set(vocabulary.categories_in(rule.categories))
            parts["stages"] |= set(vocabulary.stages_in(rule.stages))
            parts["purposes"] |= set(vocabulary.purposes_in(rule.purposes))
        return cls(**{k: frozenset(v) for k, v in parts.items()})

    @property
    def empty(self) -> bool:
        return not (self.senders and self.recipients and self.categories and self.stages and self.purposes)

    def holds(self, sender: str, recipient: str, categories: Iterable[str], stage: str, purpose: str) -> bool:
        """Whether a request (any of its categories) is inside the box."""
        return (sender in self.senders and recipient in self.recipients and stage in self.stages
                and purpose in self.purposes and any(c in self.categories for c in categories))


def edit_scope(before: Protocol, after: Protocol, rules: set[str]) -> Scope:
    """The box of requests whose decisions an edit of these rules can change (both versions of each rule)."""
    touched = [r for r in before.rules if r.id in rules] + [r for r in after.rules if r.id in rules]
    return Scope.of(touched, Vocabulary.of(after))


# -- sample cases -------------------------------------------------------------------------------------

def affected_cases(cases: list[Case], scope: Scope) -> list[Case]:
    """The cases with at least one request inside the scope, in their order."""
    out = []
    for case in cases:
        if any(scope.holds(request.from_, request.to, request.categories, step.stage, request.purpose)
               for step in case.steps for request in step.requests):
            out.append(case)
    return out


class CaseIndex:
    """The requests of some cases as integer codes, one row per (request, category), to find
    the cases a scope touches without walking every case (what :func:`affected_cases` answers).

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> cases = protocolkit.load_cases(protocolkit.example_path("mash"))
    >>> scope = edit_scope(p, p, {"R-GEN-04"})
    >>> [case.id for case in CaseIndex(cases).affected(scope)][:2]
    ['police_intelligence_screening', 'strategy_discussion_s47']
    """

    def __init__(self, cases: list[Case]):
        self.cases = list(cases)
        self._ids = tuple(id(c) for c in self.cases)
        codes: dict[str, int] = {}
        rows = []
        for at, case in enumerate(self.cases):
            for step in case.steps:
                stage = codes.setdefault(step.stage, len(codes))
                for request in step.requests:
                    head = (at, codes.setdefault(request.from_, len(codes)), codes.setdefault(request.to, len(codes)),
                            stage, codes.setdefault(request.purpose, len(codes)))
                    rows += [(*head, codes.setdefault(c, len(codes))) for c in request.categories]
        self._codes = codes
        self._rows = np.array(rows, dtype=np.int64).reshape(-1, 6)

    def describes(self, cases: list[Case]) -> bool:
        """Whether this index was made from these very case objects."""
        return len(cases) == len(self._ids) and all(id(c) == i for c, i in zip(cases, self._ids))

    def affected(self, scope: Scope) -> list[Case]:
        """The cases with at least one request inside the scope, in their order."""
        def flags(ids: frozenset[str]) -> np.ndarray:
            out = np.zeros(len(self._codes) + 1, dtype=bool)
            out[[self._codes[i] for i in ids if i in self._codes]] = True
            return out

        t = self._rows
        inside = (flags(scope.senders)[t[:, 1]] & flags(scope.recipients)[t[:, 2]] & flags(scope.stages)[t[:, 3]]
                  & flags(scope.purposes)[t[:, 4]] & flags(scope.categories)[t[:, 5]])
        return [self.cases[at] for at in np.unique(t[inside, 0]).tolist()]


def merge_case_results(previous, fresh, rerun: set[str], cases: list[Case], protocol: Protocol):
    """Results for every case: ``fresh`` for the cases run again, ``previous`` for the others.

    Tables keep the cases' order; request numbers are renumbered in that order; the rule
    coverage is counted again: the previous counts, less the decisions of the cases run
    again as they were, plus their fresh decisions.
    """
    order = pd.Index([case.id for case in cases])

    def merged(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
        old_at = order.get_indexer(old["case"])
        new_at = order.get_indexer(new["case"])
        rerun_at = np.isin(old_at, order.get_indexer(sorted(rerun)))
        positions = np.concatenate([np.where(rerun_at, -1, old_at), new_at])
        keep = np.flatnonzero(positions >= 0)
        keep = keep[np.argsort(positions[keep], kind="stable")]
        if not len(new):
            return old.take(keep).reset_index(drop=True)
        table = pd.concat([old, new], ignore_index=True) if len(old) else new
        return table.take(keep).reset_index(drop=True)

    decisions = merged(previous.decisions, fresh.decisions)
    if len(decisions):
        # one number per request, in case order (a request's categories share it)
        key = order.get_indexer(decisions["case"]).astype("int64") * 1_000_000 \
            + decisions["request"].to_numpy(dtype="int64")
        decisions["request"] = np.cumsum(np.r_[True, key[1:] != key[:-1]]) - 1
    old = previous.decisions
    dropped = old[old["case"].isin(rerun)] if len(old) else old
    return replace(fresh, expectations=merged(previous.expectations, fresh.expectations), decisions=decisions,
                   coverage=updated_coverage(protocol, previous.coverage, dropped, fresh.decisions),
                   knowledge=merged(previous.knowledge, fresh.knowledge),
                   requests=merged(previous.requests, fresh.requests))


def _counts(decisions: pd.DataFrame, column: str) -> Counter:
    return Counter(chain.from_iterable(decisions[column].tolist())) if len(decisions) else Counter()


def coverage(protocol: Protocol, decisions: pd.DataFrame) -> pd.DataFrame:
    """Per rule: how often it decided and matched in these decisions (the coverage table of a case run)."""
    return _coverage_table(protocol, _counts(decisions, "deciding_rules"), _counts(decisions, "rules_matched"))


def updated_coverage(protocol: Protocol, before: pd.DataFrame, dropped: pd.DataFrame,
                     added: pd.DataFrame) -> pd.DataFrame:
    """The coverage table ``before``, less the decisions ``dropped``, plus the decisions ``added``.

    A rule the edit removed can only have matched requests inside the edit's scope, whose
    cases were all run again, so what is left of its counts is zero.
    """
    out = []
    for column, table_column in (("deciding_rules", "decided"), ("rules_matched", "matched")):
        counts = Counter(dict(zip(before["rule"].tolist(), before[table_column].tolist())))
        counts.subtract(_counts(dropped, column))
        counts.update(_counts(added, column))
        out.append(counts)
    return _coverage_table(protocol, *out)


def _coverage_table(protocol: Protocol, decided: Counter, matched: Counter) -> pd.DataFrame:
    ids = [r.id for r in protocol.rules]
    return pd.DataFrame({
        "rule": ids, "outcome": [r.outcome for r in protocol.rules],
        "decided": np.array([decided.get(i, 0) for i in ids], dtype=int),
        "matched": np.array([matched.get(i, 0) for i in ids], dtype=int),
    }).assign(exercised=lambda t: t["decided"] > 0)


# -- permitted flows, in parts ------------------------------------------------------------------------

FactsKey = tuple[tuple[str, str], ...] | None


def facts_key(facts: Mapping[str, str] | None) -> FactsKey:
    """A hashable form of a graph's fixed facts (None: whatever the facts)."""
    return None if facts is None else tuple(sorted(facts.items()))


class _Part:
    """One (stage, purpose) part of the permitted flows, as rows taken from one or more flow tables.

    After an edit a part is the rows of the part before it that the edit cannot change plus
    the rows the engine gave afresh, so it is kept as (table, row) positions rather than
    copied: the views read the integer codes of its rows (sender, recipient, category, beyond
    a minimum, beyond the need to know) and only the rows they show are taken from the tables.
    """

    __slots__ = ("sources", "source", "row", "sender", "recipient", "category", "beyond", "over", "_frame")

    def __init__(self, sources, source, row, sender, recipient, category, beyond, over, frame=None):
        self.sources: list[pd.DataFrame] = sources
        self.source, self.row = source, row
        self.sender, self.recipient, self.category = sender, recipient, category
        self.beyond, self.over = beyond, over
        self._frame = frame

    @classmethod
    def of(cls, compiled, flows: pd.DataFrame) -> "_Part":
        """A part made of every row of ``flows`` (in their order)."""
        n = len(flows)
        codes = _flow_codes(compiled, flows)
        return cls([flows], np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64), *codes, frame=flows)

    def __len__(self) -> int:
        return len(self.row)

    def key(self, n_partners: int, n_categories: int) -> np.ndarray:
        """The order of :func:`permitted_flows` inside one part: sender, recipient, category."""
        return (self.sender * n_partners + self.recipient) * n_categories + self.category

    def frame(self) -> pd.DataFrame:
        """The part as a flow table."""
        if self._frame is None:
            self._frame = self.take(np.arange(len(self), dtype=np.int64))
            self.sources, self.source, self.row = [self._frame], np.zeros(len(self), dtype=np.int64), \
                np.arange(len(self), dtype=np.int64)
        return self._frame

    def take(self, positions: np.ndarray) -> pd.DataFrame:
        """The rows at these positions, as a flow table."""
        if self._frame is not None:
            return self._frame.iloc[positions].reset_index(drop=True)
        source, row = self.source[positions], self.row[positions]
        pieces, where, offset = [], np.empty(len(positions), dtype=np.int64), 0
        for s in np.unique(source).tolist():
            at = np.flatnonzero(source == s)
            pieces.append(self.sources[s].iloc[row[at]])
            where[at] = offset + np.arange(len(at))
            offset += len(at)
        if not pieces:
            return self.sources[0].iloc[0:0].reset_index(drop=True)
        joined = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0].reset_index(drop=True)
        return joined.take(where).reset_index(drop=True)

    def merged(self, kept: np.ndarray, fresh: pd.DataFrame, rows: np.ndarray, codes: tuple,
               n_partners: int, n_categories: int) -> "_Part":
        """The rows ``kept`` of this part and ``rows`` of ``fresh`` (with their ``codes``), in flow order.

        A kept row and a fresh row never share a (sender, recipient, category): the fresh rows
        are those inside the edit's box, the kept ones outside it, so the order is exact.
        """
        sources = list(self.sources)
        if len(rows):
            if not any(f is fresh for f in sources):
                sources.append(fresh)
            fresh_at = next(i for i, f in enumerate(sources) if f is fresh)
        else:
            fresh_at = 0
        parts = [(self.source[kept], self.row[kept], self.sender[kept], self.recipient[kept], self.category[kept],
                  self.beyond[kept], self.over[kept]),
                 (np.full(len(rows), fresh_at, dtype=np.int64), rows, *(c[rows] for c in codes))]
        columns = [np.concatenate(pair) for pair in zip(*parts)]
        source, row, sender, recipient, category, beyond, over = columns
        order = np.argsort((sender * n_partners + recipient) * n_categories + category, kind="stable")
        source, row = source[order], row[order]
        used = np.unique(source)
        if len(used) < len(sources):  # drop the tables no row comes from any more
            remap = np.zeros(len(sources), dtype=np.int64)
            remap[used] = np.arange(len(used))
            sources, source = [sources[i] for i in used.tolist()], remap[source]
        return _Part(sources or [fresh], source, row, sender[order], recipient[order], category[order],
                     beyond[order], over[order])


def _flow_codes(compiled, flows: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Sender, recipient and category codes of each flow, and whether it goes beyond a minimum
    or beyond the recipient's need to know."""
    c = compiled
    if not len(flows):
        none = np.zeros(0, dtype=np.int64)
        return none, none, none, np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    return (c.partners.lookup.get_indexer(flows["from"]).astype(np.int64),
            c.partners.lookup.get_indexer(flows["to"]).astype(np.int64),
            c.categories.lookup.get_indexer(flows["category"]).astype(np.int64),
            flows["outcome"].to_numpy(dtype=object) != Outcome.SHARE_MINIMUM.value,  # object arrays compare fastest
            flows["need_to_know"].to_numpy(dtype=object) == "not_needed")


class FlowParts:
    """The permitted flows of one protocol under one set of facts, kept per (stage, purpose).

    Parts are computed when a view first needs them. :meth:`after_edit` gives the parts of
    an edited protocol, recomputing only the requests inside the edit's scope.
    """

    def __init__(self, compiled, facts: Mapping[str, str] | None = None):
        self.compiled = compiled
        self.facts = None if facts is None else dict(facts)
        self.parts: dict[tuple[str, str], _Part] = {}
        self._summaries: dict[tuple[str, str], PartSummary] = {}
        self._empty = pd.DataFrame(columns=FLOW_COLUMNS)

    @property
    def stages(self) -> list[str]:
        return list(self.compiled.stages.values)

    @property
    def purposes(self) -> list[str]:
        return list(self.compiled.purposes.values)

    def _keys(self, stage: str | None, purpose: str | None) -> list[tuple[str, str]]:
        return [(s, u) for s in ([stage] if stage else self.stages) for u in ([purpose] if purpose else self.purposes)]

    def ensure(self, stage: str | None = None, purpose: str | None = None) -> None:
        """Compute the parts a view of this stage and purpose needs (None: every one)."""
        missing = [k for k in self._keys(stage, purpose) if k not in self.parts]
        if not missing:
            return
        flows = permitted_flows(self.compiled, facts=self.facts, stages=sorted({s for s, _ in missing}),
                                purposes=sorted({u for _, u in missing}))
        groups = _by_part(flows)
        for key in missing:
            part = groups.get(key)
            self.parts[key] = _Part.of(self.compiled, self._empty if part is None else part.reset_index(drop=True))

    def view(self, stage: str | None = None, purpose: str | None = None, partners: tuple[str, ...] = ()) -> pd.DataFrame:
        """The permitted flows at a stage and purpose (None: every one), as :func:`permitted_flows` lists them.

        ``partners``: only the flows a partner sends or receives (one id), or those from one partner
        to another (two ids).
        """
        self.ensure(stage, purpose)
        frames = [self._involving(self.parts[k], partners) for k in self._keys(stage, purpose) if len(self.parts[k])]
        frames = [f for f in frames if len(f)]
        if not frames:
            return self._empty.copy()
        flows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        if len(frames) > 1:  # the order permitted_flows gives
            flows = flows.iloc[_order(self.compiled, flows)]
        return flows.reset_index(drop=True)

    def _involving(self, part: _Part, partners: tuple[str, ...]) -> pd.DataFrame:
        if not partners:
            return part.frame()
        codes = [self.compiled.partners.lookup.get_indexer([p])[0] for p in partners]
        if len(codes) == 1:
            chosen = (part.sender == codes[0]) | (part.recipient == codes[0])
        else:
            chosen = (part.sender == codes[0]) & (part.recipient == codes[1])
        return part.take(np.flatnonzero(chosen))

    def after_edit(self, compiled, scope: Scope) -> "FlowParts":
        """The parts for an edited protocol: outside ``scope`` kept, inside it asked of the engine again."""
        new = FlowParts(compiled, self.facts)
        if not all(getattr(compiled, d).values == getattr(self.compiled, d).values
                   for d in ("partners", "categories", "stages", "purposes")):
            return new  # the codes moved (not after a rule edit): every part is computed afresh
        inside = [k for k in self.parts if k[0] in scope.stages and k[1] in scope.purposes]
        new.parts = {k: v for k, v in self.parts.items() if k not in inside}
        new._summaries = {k: v for k, v in self._summaries.items() if k not in inside}
        if not inside or scope.empty:
            new.parts.update({k: self.parts[k] for k in inside})
            new._summaries.update({k: self._summaries[k] for k in inside if k in self._summaries})
            return new
        fresh = permitted_flows(compiled, facts=self.facts, stages=sorted({s for s, _ in inside}),
                                purposes=sorted({u for _, u in inside}), senders=sorted(scope.senders),
                                recipients=sorted(scope.recipients), categories=sorted(scope.categories))
        codes = _flow_codes(compiled, fresh)
        n_partners, n_categories = len(compiled.partners.values), len(compiled.categories.values)
        in_box = [np.zeros(len(d.values), dtype=bool) for d in (compiled.partners, compiled.partners,
                                                                compiled.categories)]
        for flags, ids, dimension in zip(in_box, (scope.senders, scope.recipients, scope.categories),
                                         (compiled.partners, compiled.partners, compiled.categories)):
            at = dimension.lookup.get_indexer(sorted(ids))
            flags[at[at >= 0]] = True
        if len(fresh):
            part_of = compiled.stages.lookup.get_indexer(fresh["stage"]).astype(np.int64) \
                * len(compiled.purposes.values) + compiled.purposes.lookup.get_indexer(fresh["purpose"])
            order = np.argsort(part_of, kind="stable")
            starts = np.flatnonzero(np.r_[True, part_of[order][1:] != part_of[order][:-1]])
            rows_of = dict(zip(part_of[order][starts].tolist(), np.split(order, starts[1:])))
        else:
            rows_of = {}
        for key in inside:
            old = self.parts[key]
            box = in_box[0][old.sender] & in_box[1][old.recipient] & in_box[2][old.category]
            code = compiled.stages.lookup.get_loc(key[0]) * len(compiled.purposes.values) \
                + compiled.purposes.lookup.get_loc(key[1])
            rows = rows_of.get(code, np.zeros(0, dtype=np.int64))
            if not box.any() and not len(rows):
                new.parts[key] = old
                if key in self._summaries:
                    new._summaries[key] = self._summaries[key]
                continue
            new.parts[key] = old.merged(np.flatnonzero(~box), fresh, rows, codes, n_partners, n_categories)
        return new


    # -- what the views show, from small summaries of each part --------------------------------------
    def summary(self, key: tuple[str, str]) -> "PartSummary":
        if key not in self._summaries:
            self.ensure(*key)
            self._summaries[key] = PartSummary.of(self.compiled, self.parts[key])
        return self._summaries[key]

    def edges(self, stage: str | None = None, purpose: str | None = None) -> pd.DataFrame:
        """One row per sender and recipient with some flow: ``from``, ``to``, ``kinds`` (categories),
        ``sensitive`` (some special category or criminal offence data), ``minimum_only``.

        The same figures :func:`protocolkit.ui.graph.graph_elements` reads from the flows.
        """
        c = self.compiled
        summaries = [self.summary(k) for k in self._keys(stage, purpose)]
        pairs = np.concatenate([x.pair for x in summaries])
        if not len(pairs):
            return pd.DataFrame(columns=["from", "to", "kinds", "sensitive", "minimum_only"])
        keys, categories = _reduce(pairs, np.concatenate([x.pair_categories for x in summaries]))
        _, beyond = _reduce(pairs, np.concatenate([x.pair_beyond_minimum for x in summaries]))
        sensitive_mask = _mask_of(np.flatnonzero([c.vocab.is_special(x) or c.vocab.is_criminal(x)
                                                 for x in c.categories.values]), len(c.categories.values))
        n = len(c.partners.values)
        partners = np.array(c.partners.values, dtype=object)
        return pd.DataFrame({
            "from": partners[keys // n], "to": partners[keys % n],
            "kinds": np.bitwise_count(categories).sum(axis=1).astype(int),
            "sensitive": (categories & sensitive_mask).any(axis=1),
            "minimum_only": ~beyond.any(axis=1),
        })

    def exposure(self, purpose: str | None = None) -> pd.DataFrame:
        """Partners that may receive each category at each stage, as
        :func:`protocolkit.graph.analysis.exposure_by_stage` counts them."""
        c = self.compiled
        columns = {}
        for stage in self.stages:
            summaries = [self.summary(k) for k in self._keys(stage, purpose)]
            categories = np.concatenate([x.category for x in summaries])
            if not len(categories):
                continue
            keys, recipients = _reduce(categories, np.concatenate([x.category_recipients for x in summaries]))
            columns[stage] = pd.Series(np.bitwise_count(recipients).sum(axis=1).astype(int),
                                       index=np.array(c.categories.values, dtype=object)[keys])
        if not columns:
            return pd.DataFrame(columns=self.stages, dtype=int)
        table = pd.DataFrame(columns).fillna(0)
        return table.reindex(columns=self.stages, fill_value=0).astype(int).sort_index()

    def over_sharing(self, purpose: str | None = None, head: int = 20) -> tuple[int, pd.DataFrame]:
        """How many permitted flows go beyond the recipient's need to know, and the first ``head``
        distinct (sender, recipient, category, stage) of them in the order of the flows."""
        c = self.compiled
        keys = self._keys(None, purpose)
        summaries = [self.summary(k) for k in keys]
        count = sum(x.over_count for x in summaries)
        held = [(i, x) for i, x in enumerate(summaries) if len(x.over_at)]
        if not held:
            return count, self._empty.copy()
        # each part's first rows of each (sender, recipient, category); across parts, in the order of
        # the flows (sender, recipient, stage, purpose, category), the first of each (..., stage)
        which = np.concatenate([np.full(len(x.over_at), i) for i, x in held])
        row = np.concatenate([np.arange(len(x.over_at)) for _, x in held])
        codes = np.concatenate([x.over_codes for _, x in held])
        stage = np.array([c.stages.lookup.get_loc(keys[i][0]) for i in which.tolist()], dtype=np.int64)
        purpose_code = np.array([c.purposes.lookup.get_loc(keys[i][1]) for i in which.tolist()], dtype=np.int64)
        order = np.lexsort((codes[:, 2], purpose_code, stage, codes[:, 1], codes[:, 0]))
        distinct = ((codes[order, 0] * len(c.partners.values) + codes[order, 1]) * len(c.categories.values)
                    + codes[order, 2]) * len(c.stages.values) + stage[order]
        first = order[_first_of(distinct)][:head]
        pieces = {i: summaries[i].over_rows(row[first][which[first] == i]) for i in np.unique(which[first]).tolist()}
        position = {i: 0 for i in pieces}
        out = []
        for i in which[first].tolist():
            out.append(position[i])
            position[i] += 1
        starts, offset = {}, 0
        for i, piece in pieces.items():
            starts[i], offset = offset, offset + len(piece)
        joined = pd.concat(list(pieces.values()), ignore_index=True) if len(pieces) > 1 else \
            next(iter(pieces.values())).reset_index(drop=True)
        at = [starts[i] + k for i, k in zip(which[first].tolist(), out)]
        return count, joined.take(at).reset_index(drop=True)

    def served(self, purpose: str | None = None) -> pd.DataFrame:
        """Distinct (recipient, category, stage, purpose) rows that some flow brings: what
        :func:`protocolkit.graph.analysis.under_sharing` reads from the flows."""
        frames = [self.summary(k).served for k in self._keys(None, purpose)]
        frames = [f for f in frames if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else self._empty[["to", "category", "stage", "purpose"]]


class PartSummary:
    """The figures the graph and the exposure views need from one (stage, purpose) part of the flows.

    Reduced as far as the part allows: one row per sender and recipient pair, one per category;
    worked out from the codes of the part's rows (the rows themselves are taken only for the
    first over-sharing flows, and for the needs served when those are asked for).
    """

    def __init__(self, part: _Part, pair, pair_categories, pair_beyond_minimum, category, category_recipients,
                 over_count, over_at, over_codes, served_at):
        self.pair: np.ndarray = pair                                  # distinct sender code * partners + recipient code
        self.pair_categories: np.ndarray = pair_categories            # [pair, words]: the categories the pair may share
        self.pair_beyond_minimum: np.ndarray = pair_beyond_minimum    # [pair, words]: those shared beyond a minimum
        self.category: np.ndarray = category                          # distinct category code
        self.category_recipients: np.ndarray = category_recipients    # [category, words]: partners that may receive it
        self.over_count: int = over_count
        self.over_at: np.ndarray = over_at        # rows of the first flow of each over-shared (sender, recipient, category)
        self.over_codes: np.ndarray = over_codes  # [row, 3]: their sender, recipient and category codes
        self._part, self._served_at, self._served = part, served_at, None

    def over_rows(self, which: np.ndarray) -> pd.DataFrame:
        """Some of the first over-shared flows (positions in ``over_at``), as a flow table."""
        return self._part.take(self.over_at[which])

    @property
    def over_head(self) -> pd.DataFrame:
        """The first flow of each over-shared (sender, recipient, category), in the part's order."""
        return self.over_rows(np.arange(len(self.over_at)))

    @property
    def served(self) -> pd.DataFrame:
        """The first flow of each distinct (recipient, category): ``to``, ``category``, ``stage``, ``purpose``."""
        if self._served is None:
            self._served = self._part.take(self._served_at)[["to", "category", "stage", "purpose"]]
        return self._served

    @classmethod
    def of(cls, compiled, part: _Part, head: int = 20) -> "PartSummary":
        c = compiled
        n_partners, n_categories = len(c.partners.values), len(c.categories.values)
        senders, recipients, categories = part.sender, part.recipient, part.category
        if not len(part):
            none = np.zeros(0, dtype=np.int64)
            return cls(part, none, _bits(none, n_categories), _bits(none, n_categories), none,
                       _bits(none, n_partners), 0, none, np.zeros((0, 3), dtype=np.int64), none)
        pair = senders * n_partners + recipients
        category_bits = _bits(categories, n_categories)
        pairs, pair_categories = _reduce(pair, category_bits)
        _, pair_beyond = _reduce(pair, np.where(part.beyond[:, None], category_bits, np.uint64(0)))
        distinct_categories, category_recipients = _reduce(categories, _bits(recipients, n_partners))
        over = np.flatnonzero(part.over)
        over_first = _first_of(pair[over] * n_categories + categories[over])[:head]
        over_at = over[over_first]
        return cls(part, pairs, pair_categories, pair_beyond, distinct_categories, category_recipients,
                   len(over), over_at, np.stack([senders[over_at], recipients[over_at], categories[over_at]], axis=1),
                   _first_of(recipients * n_categories + categories))


def _first_of(keys: np.ndarray) -> np.ndarray:
    """Positions of the first row of each distinct key, in the order of the rows (as ``drop_duplicates`` keeps)."""
    if not len(keys):
        return np.zeros(0, dtype=np.int64)
    _, first = np.unique(keys, return_index=True)
    return np.sort(first)


def _words(n: int) -> int:
    return max(1, (n + 63) // 64)


def _bits(codes: np.ndarray, n: int) -> np.ndarray:
    """One row per code with that code's bit set, over ``n`` possible codes."""
    out = np.zeros((len(codes), _words(n)), dtype=np.uint64)
    out[np.arange(len(codes)), codes // 64] = np.left_shift(np.uint64(1), (codes % 64).astype(np.uint64))
    return out


def _mask_of(codes: np.ndarray, n: int) -> np.ndarray:
    return np.bitwise_or.reduce(_bits(np.asarray(codes, dtype=np.int64), n), axis=0) if len(codes) \
        else np.zeros(_words(n), dtype=np.uint64)


def _reduce(keys: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct keys, and for each the OR of its rows' masks."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return sorted_keys[starts], np.bitwise_or.reduceat(masks[order], starts, axis=0)


def _by_part(flows: pd.DataFrame) -> dict[tuple[str, str], pd.DataFrame]:
    if not len(flows):
        return {}
    return {key: part for key, part in flows.groupby(["stage", "purpose"], sort=False)}


def _order(compiled, flows: pd.DataFrame):
    """Positions that put flows in the order :func:`permitted_flows` gives (stable within a key)."""
    c = compiled
    keys = [dimension.lookup.get_indexer(flows[column]) for column, dimension in
            (("from", c.partners), ("to", c.partners), ("stage", c.stages), ("purpose", c.purposes),
             ("category", c.categories))]
    return np.lexsort(keys[::-1])
