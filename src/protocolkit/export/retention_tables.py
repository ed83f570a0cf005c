"""Retention (``docs/semantics.md`` section 18) as tables the policy exports carry: settled by the model per rule
and category (:func:`~protocolkit.model.retention.rule_terms`) so that Rego and Cedar give the same periods as
the engine for every shared category.

Examples
--------
>>> import protocolkit
>>> from protocolkit.export.tables import rule_tables
>>> held = retention_tables(rule_tables(protocolkit.load(protocolkit.example_path("mash"))))
>>> sorted({(t["origin"], t["owner"]) for t in held.terms})[:4]
[('default', 'csc_retention'), ('default', 'marac_retention'), ('default', 'matching_retention'), ('statement', 'partner_extracts')]
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from .tables import Tables


@dataclass(frozen=True)
class RetentionTables:
    """``terms``: every period stated (``{"period", "origin", "owner", "source"}``), each once; ``holders``: sets of
    recipients that keep a default's terms; ``by_rule``: per rule position, groups of categories with the rule's own
    terms (``own``, positions in ``terms``), per default the holders and terms (``defaults``: ``[holder, [term]]``)
    and ``add`` (the rule adds inherited terms to its own); ``statements``: the protocol's retention statements
    with a duration, in protocol order, each with the recipients and categories it covers and its term."""

    terms: list[dict]
    holders: list[frozenset]
    by_rule: dict[int, list[dict]]
    statements: list[dict]


def retention_tables(tables: Tables) -> RetentionTables:
    """The retention of a protocol's rules and statements, expanded over the export's partners and categories.

    Worked out once per compiled tables while the protocol is promised unchanged (an export: Rego, Cedar and ODRL
    each ask); each caller gets its own copy.
    """
    from ..model.unchanged import memo_of

    memo = memo_of(tables.compiled.source)
    if memo is None:
        return _retention_tables(tables)
    kept = memo.setdefault("retention_tables", {})   # id(compiled) -> (compiled, tables), the tables kept alive
    found = kept.get(id(tables.compiled))
    if found is None or found[0] is not tables.compiled:
        found = kept[id(tables.compiled)] = (tables.compiled, _retention_tables(tables))
    return copy.deepcopy(found[1])


def _retention_tables(tables: Tables) -> RetentionTables:
    from ..model.retention import recipient_keeps, rule_terms, statement_term

    compiled = tables.compiled
    protocol, vocab = compiled.protocol, compiled.vocab
    terms: dict = {}
    holders: dict = {}

    def term(entry) -> int:
        return terms.setdefault(entry, len(terms))

    def holder(recipients) -> int:
        key = frozenset(p for p in tables.partners if recipient_keeps(recipients, p, vocab))
        return holders.setdefault(key, len(holders))

    by_rule: dict[int, list[dict]] = {}
    for r in tables.rules:
        rule = protocol.rule(r.id)
        groups: dict = {}
        for category in r.categories:
            own, by_default = rule_terms(rule, compiled.inherited, category, vocab)
            if not own and not by_default:
                continue
            key = (tuple(term(t) for t in own),
                   tuple((holder(recipients), tuple(term(t) for t in found)) for recipients, found in by_default))
            groups.setdefault(key, []).append(category)
        if groups:
            by_rule[r.position] = [{"categories": set(categories), "own": list(own),
                                    "defaults": [[h, list(found)] for h, found in defaults],
                                    "add": rule.inherit == "add"}
                                   for (own, defaults), categories in groups.items()]
    statements = []
    for statement in protocol.retention:
        if not statement.duration:
            continue
        kept_by = {p for p in tables.partners if statement.partners == "any"
                   or set(vocab.partner_ancestors(p)) & set(statement.partners)}
        covered = {c for c in tables.categories if statement.categories == "any"
                   or set(vocab.category_ancestors(c)) & set(statement.categories)}
        statements.append({"holders": kept_by, "categories": covered, "term": term(statement_term(statement))})
    return RetentionTables([t.to_dict() for t in terms], list(holders), by_rule, statements)


__all__ = ["RetentionTables", "retention_tables"]
