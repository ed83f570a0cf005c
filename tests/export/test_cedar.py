"""The Cedar export decides exactly as the engine: its schema validates the policies, and the class encoding
recovers the outcome, the deciding rules, the obligations and the lawful bases on every sample case request
and on 10,000 generated requests over the example and over generated protocols."""

from __future__ import annotations

import json
import random

import cedarpy
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import protocolkit
from engine.generated import FEATURES, protocols

#: What the exports encode of tests/engine/generated.py's features (history within a case is not in them yet).
EXPORTED = FEATURES - {"history"}
from policy_eval import comparable, engine_answers, random_requests
from protocolkit.engine import decide, decide_many
from protocolkit.export.cedar import CedarDecider, cedar_policies, write_cedar
from protocolkit.export.rego_tests import sample_requests


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


@pytest.fixture(scope="module")
def mash_cedar(mash):
    return CedarDecider.of(mash)


def single_category(requests: list[dict]) -> list[dict]:
    return [{**r, "categories": r["categories"][:1]} for r in requests]


def test_policies_validate_against_the_schema_and_carry_rule_ids(mash, tmp_path):
    policies, schema, entities = write_cedar(mash, tmp_path)
    result = cedarpy.validate_policies(policies.read_text(encoding="utf-8"), schema.read_text(encoding="utf-8"))
    assert result.validation_passed, result.errors[:3]
    parsed = json.loads(cedarpy.policies_to_json_str(policies.read_text(encoding="utf-8")))["staticPolicies"]
    assert all("id" in p["annotations"] for p in parsed.values())  # every policy names its rule
    assert {p["annotations"]["id"] for p in parsed.values() if p["effect"] == "permit"} == {r.id for r in mash.rules}
    written = json.loads(entities.read_text(encoding="utf-8"))
    assert {e["uid"]["type"] for e in written} == {"Action", "Kind", "Partner", "Category", "Fallback", "Retention"}
    # retention (docs/semantics.md section 18): the statements entity, and @retention on the rules that inherit some
    statements = json.loads(next(e for e in written if e["uid"]["type"] == "Retention")["attrs"]["statements"])
    assert [s["period"]["owner"] for s in statements] == [s.id for s in mash.retention if s.duration]
    annotated = {p["annotations"]["id"]: json.loads(p["annotations"]["retention"]) for p in parsed.values()
                 if "retention" in p["annotations"]}
    assert {d[1][0]["owner"] for held in annotated.values() for g in held["groups"] for d in g["defaults"]} == \
        {d.id for d in mash.defaults if d.retention}
    # one Fallback entity per purpose the example's fallbacks name (docs/semantics.md section 5)
    assert {e["uid"]["id"] for e in written if e["uid"]["type"] == "Fallback"} == \
        {p for f in mash.fallbacks for p in f.purposes}


def test_every_sample_case_request(mash, mash_cedar):
    requests = [r for _, r in sample_requests(mash)]
    assert len(requests) >= 20
    assert any("about" in r for r in requests)  # the sample cases about one person's data (section 16) are in
    engine = [comparable(decide(mash, r).to_dict()) for r in requests]
    assert [comparable(d) for d in mash_cedar.decide_many(requests)] == engine


@pytest.mark.parametrize("size", [pytest.param(1_000, id="default"),
                                  pytest.param(10_000, marks=pytest.mark.large, id="full")])
def test_generated_requests_over_the_example(size, mash, mash_cedar):
    """Single-category requests (a request is decided per category; several categories are covered above
    and below); every partner, category, stage, purpose and fact value, unknown included."""
    requests = single_category(random_requests(mash, size, seed=11))
    engine = engine_answers(mash, requests)
    cedar = [comparable(d) for d in mash_cedar.decide_many(requests)]
    mismatches = [(requests[i], engine[i], cedar[i]) for i in range(len(requests)) if engine[i] != cedar[i]]
    assert not mismatches, mismatches[:3]
    assert {e[0] for e in engine} >= {"gap", "refuse", "share"}
    # whose data (docs/semantics.md section 16): the example's rules for one person's data decide some requests
    assert any("about" in r for r in requests) and any(any("@" in k for k in r["facts"]) for r in requests)
    assert {c[2] for e in engine for c in e[4]} >= {"R-GEN-20", "R-GEN-21"}


def test_multi_category_requests_over_the_example(mash, mash_cedar):
    requests = random_requests(mash, 500, seed=12)
    assert [comparable(d) for d in mash_cedar.decide_many(requests)] == engine_answers(mash, requests)


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(protocol=protocols(EXPORTED), seed=st.integers(0, 2**32))
def test_generated_protocols_ten_thousand_requests(protocol, seed):
    """10 generated protocols x 1,000 requests: priorities, conditions with unknown, kind and team hierarchies,
    fallbacks, fact constraints, parties outside the partnership, who asked, and duty, permission or discretion."""
    requests = random_requests(protocol, 1_000, seed)
    requests = requests[:200] + single_category(requests[200:])
    engine = engine_answers(protocol, requests)
    decider = CedarDecider.of(protocol)
    result = cedarpy.validate_policies(decider.policies, json.dumps(decider.schema))
    assert result.validation_passed, result.errors[:3]
    assert [comparable(d) for d in decider.decide_many(requests)] == engine


def test_generated_protocols_with_data_subject_roles():
    """Whose data (docs/semantics.md section 16) on a generated protocol where rules are limited to roles and read
    one person's consent by role (consent@victim): the policies read the context's facts for the request's subject."""
    from hypothesis import find

    protocol = find(protocols(EXPORTED), lambda p: bool(p.subjects) and any(r.about != "any" for r in p.rules)
                    and any("@" in k for r in p.rules for k in r.when),
                    settings=settings(database=None, derandomize=True, max_examples=2000, phases=[Phase.generate]))
    requests = single_category(random_requests(protocol, 1_000, seed=17))
    decider = CedarDecider.of(protocol)
    result = cedarpy.validate_policies(decider.policies, json.dumps(decider.schema))
    assert result.validation_passed, result.errors[:3]
    engine = engine_answers(protocol, requests)
    assert [comparable(d) for d in decider.decide_many(requests)] == engine
    limited = {r.id for r in protocol.rules if r.about != "any"}
    matched = decide_many(protocol, requests, detail="rules")["rules_matched"]
    assert any(limited & set(m) for m in matched), "a rule limited to roles matches some request"


def test_a_request_about_an_undeclared_role_or_with_two_values_for_its_subject_is_refused_as_bad_input(mash_cedar):
    request = {"from": "da_service", "to": "probation", "categories": ["contact.phone"], "stage": "plan",
               "purpose": "safeguarding", "about": "victm", "facts": {"consent": "given"}}
    with pytest.raises(ValueError, match="unknown data subject role"):
        mash_cedar.decide_many([request])
    with pytest.raises(ValueError, match="two values of consent@victim"):
        mash_cedar.decide_many([{**request, "about": "victim", "facts": {"consent": "given", "consent@victim": "refused"}}])


def test_a_priority_one_share_beats_a_refusal_in_cedar_too():
    """docs/semantics.md section 3: R8 (share, priority 1) beats R7 (refuse, priority 0); Cedar alone would refuse."""
    from rulebook import rule
    from protocolkit.model.protocol import Protocol

    protocol = Protocol.model_validate({
        "metadata": {"id": "priorities", "title": "Priorities", "version": "1", "owner": "a"},
        "partners": [{"id": "a", "name": "A", "kind": "police"}, {"id": "b", "name": "B", "kind": "gp"}],
        "rules": [rule("R7", "refuse", when={"consent": "refused"}),
                  rule("R8", "share", when={"risk": "red"}, priority=1)],
    })
    request = {"from": "a", "to": "b", "categories": ["health"], "stage": "referral", "purpose": "safeguarding",
               "facts": {"consent": "refused", "risk": "red"}}
    (answer,) = CedarDecider.of(protocol).decide_many([request])
    assert (answer["outcome"], answer["rule"]) == ("share", "R8")
    assert "forbid" in cedar_policies(protocol) and '@id("R8")' in cedar_policies(protocol)


def test_a_rule_naming_only_undeclared_outside_kinds_matches_nothing_and_outside_requests_decide():
    """A recipient selector that names outside kinds the protocol does not declare covers nobody: the policy says
    `false` (not an empty list Cedar cannot parse); a duty to answer the data subject, asked by the recipient,
    decides in Cedar as in the engine."""
    from protocolkit.model.protocol import Protocol

    p = Protocol.model_validate({
        "metadata": {"id": "outside_kinds", "title": "Outside", "version": "1", "owner": "a"},
        "partners": [{"id": "a", "name": "A", "kind": "police"}, {"id": "b", "name": "B", "kind": "gp"}],
        "outside": ["data_subject"],
        "rules": [{"id": "R0", "title": "t", "from": "any", "to": {"outside": ["family_member", "organisation"]},
                   "categories": "any", "stages": "any", "purposes": "any", "outcome": "refuse", "rationale": "r"},
                  {"id": "R1", "title": "t", "from": "any", "to": {"outside": ["data_subject"]},
                   "requested_by": ["recipient"], "categories": "any", "stages": "any", "purposes": "any",
                   "outcome": "share", "sharing": "required", "rationale": "r"}]})
    requests = random_requests(p, 300, seed=1)
    decider = CedarDecider.of(p)
    assert cedarpy.validate_policies(decider.policies, json.dumps(decider.schema)).validation_passed
    engine = engine_answers(p, requests)
    assert [comparable(d) for d in decider.decide_many(requests)] == engine
    assert any(e[1] == "R1" for e in engine)   # the duty to the data subject is reached
