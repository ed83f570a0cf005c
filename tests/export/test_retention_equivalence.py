"""Retention (docs/semantics.md sections 13 and 18) in Rego, Cedar and ODRL gives the engine's periods over generated
protocols that use every retention feature: a rule's own terms (for some categories or all), defaults' terms kept by
a recipient named as a partner, a kind or an organisation its team is part of, defaults for a purpose and for the
whole protocol, nested categories (the most specific term wins), ``inherit: add``, statements with and without a
duration, and categories that fall under two terms.

The set is not vacuous: over the generated protocols the requests reach shared categories whose periods come from
each origin (a rule's own, a default, a statement, and a rule's own with the inherited ones added), and each way of
naming who keeps a default's terms; the test fails if the generator stops producing any of them.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.generated import FEATURES, protocols
from policy_eval import Regopy, Regorus, comparable, engine_answers, random_requests
from test_retention_exports import odrl_retention
from protocolkit.engine.compiled import compile_protocol
from protocolkit.export.cedar import CedarDecider
from protocolkit.export.odrl import odrl_policy
from protocolkit.model.outcomes import SHARING_OUTCOMES
from protocolkit.model.retention import retention_in_effect

#: What the exports encode of tests/engine/generated.py's features (history within a case is not in them yet).
EXPORTED = FEATURES - {"history"}

#: Every retention feature the generated requests must reach (see :func:`reached`).
EVERY_FEATURE = {"own", "default", "statement", "added", "nearest wins", "two terms", "kept by a partner",
                 "kept by a kind", "kept by an organisation's team", "kept by every recipient", "for a purpose",
                 "statement without a duration passed over"}


def reached(protocol, requests: list[dict], answers: list[tuple]) -> set[str]:
    """The retention features the engine's answers use: the origins of the periods, a rule's own with inherited
    ones added (``inherit: add``), a term beaten by a nearer one of the same owner, a category kept for two periods,
    how a default names who keeps its terms, and a statement without a duration covering a shared category."""
    compiled = compile_protocol(protocol)
    vocab = compiled.vocab
    owners = {**{r.id: r.retention for r in protocol.rules}, **{d.id: d.retention for d in protocol.defaults}}
    defaults = {d.id: d for d in protocol.defaults}
    out = set()
    for request, answer in zip(requests, answers):
        recipient = request["to"]
        for category_answer in answer[4]:
            category, periods = category_answer[0], [dict(p) for p in category_answer[-1]]
            origins = {p["origin"] for p in periods}
            out |= {{"rule": "own"}.get(o, o) for o in origins}
            if {"rule", "default"} <= origins:
                out.add("added")
            if len(periods) > 1:
                out.add("two terms")
            for p in periods:
                terms = owners.get(p["owner"], []) if p["origin"] != "statement" else []
                if len([t for t in terms if t.covers(category, vocab)]) > \
                        len([q for q in periods if q["owner"] == p["owner"]]):
                    out.add("nearest wins")
                if p["origin"] == "default":
                    out |= _kept_by(defaults[p["owner"]], recipient, vocab)
            if category_answer[1] in SHARING_OUTCOMES and any(
                    not s.duration and (s.partners == "any" or set(vocab.partner_ancestors(recipient)) & set(s.partners))
                    and (s.categories == "any" or set(vocab.category_ancestors(category)) & set(s.categories))
                    for s in protocol.retention):
                out.add("statement without a duration passed over")
    return out


def _kept_by(default, recipient: str, vocab) -> set[str]:
    """How a default that gave a recipient a period names it: every recipient, the partner itself, an organisation
    the partner is part of, or a kind; and whether it is a default for a purpose."""
    out = {"for a purpose"} if default.purposes != "any" else set()
    if default.recipients == "any":
        return out | {"kept by every recipient"}
    ancestors = vocab.partner_ancestors(recipient)
    if recipient in default.recipients.partners:
        out.add("kept by a partner")
    if set(ancestors[1:]) & set(default.recipients.partners):
        out.add("kept by an organisation's team")
    if recipient in vocab.partners and vocab.partner_kinds(recipient) & set(default.recipients.kinds):
        out.add("kept by a kind")
    return out


def odrl_disagreements(protocol) -> list:
    """Every sharing rule x recipient x category where the ODRL document's storage durations, read back, do not give
    the engine's periods under that rule."""
    doc = odrl_policy(protocol)
    compiled = compile_protocol(protocol)
    v = compiled.vocab
    out = []
    for rule in protocol.rules:
        if rule.outcome not in SHARING_OUTCOMES:
            continue
        for recipient in sorted(v.partners_in(rule.to)):
            for category in sorted(v.categories_in(rule.categories)):
                engine = [r.to_dict() for r in retention_in_effect(protocol, v, [rule], compiled.inherited, recipient,
                                                                   category)]
                got = odrl_retention(doc, rule.id, recipient, category)
                if got != engine:
                    out.append((rule.id, recipient, category, engine, got))
    return out


def test_rego_cedar_and_odrl_give_the_engines_retention_over_generated_protocols():
    """12 generated protocols x 600 requests in regorus and Cedar (Cedar one category a request past the first 100),
    every sharing rule x recipient x category read back from ODRL, a slice in regopy; then the features reached."""
    seen: set[str] = set()

    @settings(max_examples=12, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(protocol=protocols(EXPORTED), seed=st.integers(0, 2**32))
    def check(protocol, seed):
        requests = random_requests(protocol, 600, seed)
        requests = requests[:100] + [{**r, "categories": r["categories"][:1]} for r in requests[100:]]
        engine = engine_answers(protocol, requests)
        rego = [comparable(d) for d in Regorus(protocol).decide_many(requests)]
        assert [(r, e, g) for r, e, g in zip(requests, engine, rego) if e != g][:2] == []
        cedar = [comparable(d) for d in CedarDecider.of(protocol).decide_many(requests)]
        assert [(r, e, g) for r, e, g in zip(requests, engine, cedar) if e != g][:2] == []
        assert odrl_disagreements(protocol)[:2] == []
        kept = [i for i, e in enumerate(engine) if any(c[-1] for c in e[4])][:4]   # regopy is slow: a slice
        assert [comparable(d) for d in Regopy(protocol).decide_many([requests[i] for i in kept])] == \
            [engine[i] for i in kept]
        seen.update(reached(protocol, requests, engine))

    check()
    assert EVERY_FEATURE <= seen, sorted(EVERY_FEATURE - seen)
