"""History within a case (docs/semantics.md section 15) in the exports: canonical JSON and its schema, Rego,
Cedar and ODRL carry history conditions as facts of the request, and decide exactly as the engine does.

Expectations are section 15's worked example (forward only what was received), written before running it."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.generated import protocols
from policy_eval import Regorus, comparable, engine_answers, random_requests
from protocolkit.engine import decide
from protocolkit.export.cedar import CedarDecider
from protocolkit.export.odrl import odrl_policy
from protocolkit.model.protocol import Protocol
from protocolkit.model.schema import protocol_schema
from rulebook import rule

RECEIVED = "history.received.criminal.domestic_abuse_incidents"
PARTNERS = [{"id": "police", "name": "Police", "kind": "police"},
            {"id": "mash", "name": "MASH", "kind": "childrens_social_care"},
            {"id": "early_help", "name": "Early help", "kind": "early_help"}]
FORWARD = Protocol.model_validate({
    "metadata": {"id": "forward", "title": "Forward", "version": "1", "owner": "mash"},
    "partners": PARTNERS,
    "rules": [rule("R-SCR-13", "refuse", sender={"partners": ["mash"]}, stages=["screening"]),
              rule("R-SCR-14", "share_minimum", sender={"partners": ["mash"]}, to={"kinds": ["early_help"]},
                   categories=["criminal.domestic_abuse_incidents"], stages=["screening"], priority=1,
                   history={"received": "criminal.domestic_abuse_incidents"})],
    "fallbacks": [{"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
                   "escalate_to": "MASH team manager", "rationale": "Never refused for want of a rule or a rating."}],
})


def ask(**facts) -> dict:
    return {"from": "mash", "to": "early_help", "categories": ["criminal.domestic_abuse_incidents"],
            "stage": "screening", "purpose": "safeguarding", "facts": facts}


@pytest.mark.parametrize("facts, outcome, rule_id", [
    ({RECEIVED: "yes"}, "share_minimum", "R-SCR-14"),   # the MASH holds it: the summary goes
    ({RECEIVED: "no"}, "refuse", "R-SCR-13"),           # nothing received, nothing to forward
    ({}, "escalate", None),                              # not told: unknown, the fallback decides
])
def test_engine_rego_and_cedar_decide_history_alike(facts, outcome, rule_id):
    request = ask(**facts)
    engine = decide(FORWARD, request).to_dict()
    rego = Regorus(FORWARD).decide(request)
    (cedar,) = CedarDecider.of(FORWARD).decide_many([request])
    assert comparable(rego) == comparable(engine) == comparable(cedar)
    assert (engine["outcome"], engine["rule"]) == (outcome, rule_id)


def test_canonical_json_keeps_the_history_and_validates_against_the_schema():
    data = json.loads(FORWARD.model_dump_json(by_alias=True, exclude_none=True))
    assert data["rules"][1]["history"] == {"received": "criminal.domestic_abuse_incidents"}
    assert "history" not in data["rules"][0]  # a rule without history is written as before
    jsonschema.validate(data, protocol_schema())
    broken = {**data, "rules": [data["rules"][0], {**data["rules"][1], "history": {"recieved": "x"}}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, protocol_schema())


def test_odrl_constrains_the_rule_on_its_history_fact():
    doc = odrl_policy(FORWARD)
    rules = doc["odrl:permission"] + doc.get("odrl:prohibition", [])
    forward = next(r for r in rules if r["@id"].endswith("rule-R-SCR-14"))
    constraint = next(c for c in forward["odrl:constraint"] if RECEIVED in c["odrl:leftOperand"]["@id"])
    assert constraint["odrl:rightOperand"] == ["yes"]


@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(protocol=protocols(frozenset({"history", "fallbacks"})), seed=st.integers(0, 2**32))
def test_generated_protocols_with_history_decide_alike_in_rego_and_cedar(protocol, seed):
    requests = random_requests(protocol, 300, seed)
    engine = engine_answers(protocol, requests)
    assert [comparable(d) for d in Regorus(protocol).decide_many(requests)] == engine
    assert [comparable(d) for d in CedarDecider.of(protocol).decide_many(requests)] == engine
