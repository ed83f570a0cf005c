"""The newer semantics, worked examples from docs/semantics.md, decided the same by the engine, Rego and Cedar:
fallbacks per purpose (section 5), fact constraints (section 11), obligations kept through an override (section 12).

Expectations are the documented worked examples, written before running them."""

from __future__ import annotations

import pytest

from policy_eval import Regorus, comparable
from protocolkit.engine import decide
from protocolkit.errors import ProtocolError
from protocolkit.export.cedar import CedarDecider
from protocolkit.model.protocol import Protocol
from rulebook import rule

PARTNERS = [{"id": "school", "name": "School", "kind": "school"},
            {"id": "csc", "name": "Children's social care", "kind": "childrens_social_care"},
            {"id": "gp", "name": "GP", "kind": "gp"}]


def protocol(**sections) -> Protocol:
    return Protocol.model_validate({"metadata": {"id": "worked", "title": "Worked", "version": "1", "owner": "csc"},
                                    "partners": PARTNERS, **sections})


def all_three(p: Protocol, request: dict) -> list[dict]:
    engine = decide(p, request).to_dict()
    rego = Regorus(p).decide(request)
    (cedar,) = CedarDecider.of(p).decide_many([request])
    assert comparable(rego) == comparable(engine) == comparable(cedar)
    return [engine, rego, cedar]


FRONT_DOOR = protocol(
    rules=[rule("R-CON", "refuse", categories=["education"], when={"consent": "refused"}),
           rule("R-RISK", "share", categories=["education"], when={"risk": ">= amber"}, priority=1)],
    fallbacks=[{"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
                "escalate_to": "MASH team manager", "obligations": ["record_decision", {"deadline": "same working day"}],
                "rationale": "A safeguarding concern is never refused for want of a rule or a rating."},
               {"id": "family_support_default", "purposes": ["family_support"], "outcome": "seek_consent",
                "rationale": "Early help works with the family's agreement."}],
)


def ask(category: str, purpose: str, **facts) -> dict:
    return {"from": "school", "to": "csc", "categories": [category], "stage": "referral", "purpose": purpose,
            "facts": facts}


@pytest.mark.parametrize("purpose, outcome, fallback", [("safeguarding", "escalate", "front_door"),
                                                        ("family_support", "seek_consent", "family_support_default")])
def test_front_door_unknown_risk_falls_back(purpose, outcome, fallback):
    """Section 5, worked example (front door): consent refused, no risk rating: R-RISK waits on risk."""
    for answer in all_three(FRONT_DOOR, ask("education.attendance", purpose, consent="refused")):
        (category,) = answer["categories"]
        assert (answer["outcome"], category.get("fallback"), category.get("fallback_reason")) == \
            (outcome, fallback, "unknown_fact")
    engine = decide(FRONT_DOOR, ask("education.attendance", "safeguarding", consent="refused")).to_dict()
    assert engine["categories"][0]["escalate_to"] == "MASH team manager"
    assert engine["obligations"] == ["record_decision", "deadline: same working day"]


@pytest.mark.parametrize("risk, outcome, rule_id", [("green", "refuse", "R-CON"), ("red", "share", "R-RISK")])
def test_front_door_with_risk_stated_the_rules_decide(risk, outcome, rule_id):
    for answer in all_three(FRONT_DOOR, ask("education.attendance", "safeguarding", consent="refused", risk=risk)):
        assert (answer["outcome"], answer["rule"]) == (outcome, rule_id)


@pytest.mark.parametrize("purpose, outcome", [("safeguarding", "escalate"), ("family_support", "seek_consent"),
                                              ("benefit_administration", "gap")])
def test_a_gap_falls_back_per_purpose(purpose, outcome):
    """Section 5, worked example (gap): health.physical, which no rule covers."""
    for answer in all_three(FRONT_DOOR, ask("health.physical", purpose)):
        assert answer["outcome"] == outcome


def test_handling_duties_survive_an_override_but_family_telling_does_not():
    """Section 12: the deciding rule shares; an overridden sharing rule's record_decision and secure_channel are
    kept, its inform_family is not; a refusal's duties are never kept."""
    p = protocol(rules=[
        rule("R-LOW", "share", categories=["health"], obligations=["record_decision", "secure_channel", "inform_family"]),
        rule("R-HIGH", "share_minimum", categories=["health"], when={"risk": "red"}, priority=1,
             obligations=[{"deadline": "within 4 hours"}]),
        rule("R-NO", "refuse", categories=["health"], when={"consent": "refused"}, obligations=["dpia_required"]),
    ])
    request = {"from": "gp", "to": "csc", "categories": ["health.mental_health"], "stage": "referral",
               "purpose": "safeguarding", "facts": {"risk": "red", "consent": "refused"}}
    for answer in all_three(p, request):
        assert answer["rule"] == "R-HIGH"
        assert answer["obligations"] == ["deadline: within 4 hours", "record_decision", "secure_channel"]


def test_impossible_facts_are_bad_input_everywhere():
    """Section 11: a request whose facts break a constraint is refused as bad input, never decided."""
    p = protocol(rules=[rule("R1", "share")], fact_constraints=[
        {"id": "red_is_rated_after_asking", "if": {"risk": "red"}, "excludes": {"consent": "not_sought"}}])
    request = {"from": "school", "to": "csc", "categories": ["health"], "stage": "referral", "purpose": "safeguarding",
               "facts": {"risk": "red", "consent": "not_sought"}}
    with pytest.raises(ProtocolError):
        decide(p, request)
    answer = Regorus(p).decide(request)
    assert set(answer) == {"error"} and "red_is_rated_after_asking" in answer["error"]
    with pytest.raises(ValueError, match="red_is_rated_after_asking"):
        CedarDecider.of(p).decide_many([request])
    fine = {**request, "facts": {"risk": "red", "consent": "given"}}
    assert all_three(p, fine)[0]["outcome"] == "share"
