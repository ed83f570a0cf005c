"""A protocol as Cedar policies and entities, for the Cedar comparison of ``run.py``.

The translation is the benchmark's own (protocolkit ships no Cedar export yet) and covers
what the engine decides for *allow / deny* when every rule has priority 0:

- a rule whose outcome is ``share`` or ``share_minimum`` becomes a ``permit``; ``refuse``,
  ``escalate`` and ``seek_consent`` become a ``forbid`` (nothing goes while the family is
  asked or a named role decides), annotated ``@id("<rule id>")``;
- the sender is the principal (``Partner``), the category the resource (``Category``), the
  action ``Action::"share"``; the recipient is an entity in the context (``context.to``);
- ``Partner`` entities have their ``Kind`` and the partner they are ``part_of`` as parents,
  ``Kind`` entities their broader kind, ``Category`` entities their parent category, so
  Cedar's ``in`` gives exactly the hierarchy of ``docs/semantics.md`` section 2;
- stage, purpose and every fact are context strings; a fact the request does not state is
  the string ``"unknown"``, and a condition becomes the set of values it allows
  (``unknown`` only where the condition lists it), so "unknown is never assumed" holds.

Cedar's default deny and "any forbid overrides every permit" then equal the engine's
"most protective matching rule wins" for allow (outcome in share, share_minimum) versus
deny (any other outcome, or a gap). With priorities other than 0 they would not: a
priority-1 ``share`` beats a priority-0 ``refuse`` in the engine, never in Cedar.
"""

from __future__ import annotations

import json

from protocolkit.model.keys import ANY, UNKNOWN
from protocolkit.model.protocol import Protocol
from protocolkit.model.rules import SHARING_OUTCOMES
from protocolkit.model.vocabulary import Vocabulary


def _q(value: str) -> str:
    return json.dumps(value)


def fact_attribute(fact: str) -> str:
    """The context attribute of a fact (Cedar attribute names cannot hold dots)."""
    return "fact_" + fact.replace(".", "__")


def _selector(expr: str, selector) -> str | None:
    if selector == ANY:
        return None
    refs = [f'Partner::{_q(p)}' for p in selector.partners] + [f'Kind::{_q(k)}' for k in selector.kinds]
    return f"{expr} in [{', '.join(refs)}]"


def _contains(values, expr: str) -> str:
    return f"[{', '.join(_q(v) for v in sorted(values))}].contains({expr})"


def policies(protocol: Protocol) -> str:
    """The Cedar policy text of a protocol (see the module docstring)."""
    vocab = Vocabulary.of(protocol)
    out = []
    for rule in protocol.rules:
        if rule.priority != 0:
            raise ValueError(f"rule {rule.id} has priority {rule.priority}: Cedar has no priorities, "
                             "so the translation holds only for protocols whose rules all have priority 0")
        effect = "permit" if rule.outcome in SHARING_OUTCOMES else "forbid"
        conditions = [c for c in (_selector("principal", rule.from_), _selector("context.to", rule.to)) if c]
        if rule.categories != ANY:
            conditions.append(f"resource in [{', '.join(f'Category::{_q(c)}' for c in rule.categories)}]")
        if rule.stages != ANY:
            conditions.append(_contains(rule.stages, "context.stage"))
        if rule.purposes != ANY:
            conditions.append(_contains(rule.purposes, "context.purpose"))
        for condition in rule.conditions():
            allowed = condition.allowed(vocab.facts[condition.fact])
            conditions.append(_contains(allowed, f"context.{fact_attribute(condition.fact)}"))
        joined = " &&\n  ".join(conditions)
        when = f"\nwhen {{\n  {joined}\n}}" if conditions else ""
        out.append(f'@id({_q(rule.id)})\n{effect} (principal, action == Action::"share", resource){when};')
    return "\n\n".join(out) + "\n"


def entities(protocol: Protocol) -> list[dict]:
    """Cedar entities (JSON form): partner kinds, partners, categories and the action."""
    vocab = Vocabulary.of(protocol)
    out = [{"uid": {"type": "Action", "id": "share"}, "attrs": {}, "parents": []}]
    for kind in vocab.kinds.values():
        parents = [{"type": "Kind", "id": kind.parent}] if kind.parent else []
        out.append({"uid": {"type": "Kind", "id": kind.id}, "attrs": {}, "parents": parents})
    for partner in vocab.partners.values():
        parents = [{"type": "Kind", "id": partner.kind}]
        if partner.part_of:
            parents.append({"type": "Partner", "id": partner.part_of})
        out.append({"uid": {"type": "Partner", "id": partner.id}, "attrs": {}, "parents": parents})
    for category in vocab.categories:
        parent = vocab.category_parent(category)
        parents = [{"type": "Category", "id": parent}] if parent in vocab.categories else []
        out.append({"uid": {"type": "Category", "id": category}, "attrs": {}, "parents": parents})
    return out


def requests(protocol: Protocol, table) -> list[dict]:
    """Cedar requests for the rows of a request table (``from, to, category, stage, purpose`` and facts)."""
    facts = list(Vocabulary.of(protocol).facts)
    present = [f for f in facts if f in table.columns]
    out = []
    for row in table.to_dict("records"):
        context = {"to": {"__entity": {"type": "Partner", "id": row["to"]}},
                   "stage": row["stage"], "purpose": row["purpose"]}
        for fact in facts:
            value = row.get(fact) if fact in present else None
            context[fact_attribute(fact)] = value if isinstance(value, str) else UNKNOWN
        out.append({"principal": {"type": "Partner", "id": row["from"]},
                    "action": {"type": "Action", "id": "share"},
                    "resource": {"type": "Category", "id": row["category"]},
                    "context": context})
    return out
