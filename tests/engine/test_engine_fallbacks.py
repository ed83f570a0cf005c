"""Fallbacks per purpose (docs/semantics.md section 5): gaps and rules waiting on unknown facts.

The protocol below is worked out by hand. Golden rule 1 and CA 1989 s47 (domain notes 2.2, 2.7):
a practitioner with a safeguarding concern must never be told to stay silent because nobody has
rated the risk yet; the partnership's front door escalates such a request to a named manager the
same working day. Family support (early help) is consensual, so there the fallback seeks consent.
"""

from __future__ import annotations

import pytest

from handbuilt import build, one, request, rule
from protocolkit.engine import decide, decide_many, run_cases
from protocolkit.model.cases import Case

FRONT_DOOR = {
    "id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
    "escalate_to": "MASH team manager", "obligations": ["record_decision", {"deadline": "same working day"}],
    "rationale": "A safeguarding concern is never refused for want of a rule or a rating.",
}
FAMILY = {"id": "family_support_default", "purposes": ["family_support"], "outcome": "seek_consent",
          "on": ["gap", "unknown_fact"], "rationale": "Early help works with the family's agreement."}

RULES = [
    # refuse when the parents object ...
    rule("R-CON", "refuse", categories=["education"], when={"consent": "refused"}),
    # ... unless a child is at risk (amber or red), which overrides the refusal
    rule("R-RISK", "share", categories=["education"], priority=1, when={"risk": ">= amber"},
         lawful_bases=["UKGDPR.6.1.e"]),
]
PROTOCOL = build(RULES, fallbacks=[FRONT_DOOR, FAMILY])
WITHOUT_FALLBACKS = build(RULES)


def test_a_safeguarding_request_no_rule_covers_escalates_under_the_fallback_and_stays_a_gap():
    got = one(PROTOCOL, categories="health.physical", purpose="safeguarding")
    assert (got.outcome, got.escalate_to, got.fallback, got.fallback_reason) == (
        "escalate", "MASH team manager", "front_door", "gap")
    assert got.gap and got.rule is None and got.rules_matched == ()
    assert got.obligations == ("record_decision", "deadline: same working day")
    assert got.explanation.startswith("No rule covers Testshire Police sharing physical health")
    assert "fallback front_door" in got.explanation and "MASH team manager decides" in got.explanation


def test_the_same_gap_for_family_support_follows_that_purposes_fallback():
    got = one(PROTOCOL, categories="health.physical", purpose="family_support")
    assert (got.outcome, got.fallback, got.fallback_reason, got.escalate_to) == (
        "seek_consent", "family_support_default", "gap", None)
    assert "consent is sought" in got.explanation


def test_a_purpose_without_a_fallback_keeps_the_plain_gap():
    got = one(PROTOCOL, categories="health.physical", purpose="benefit_administration")
    assert (got.outcome, got.fallback) == ("gap", None)


def test_a_sharing_rule_waiting_on_an_unknown_threshold_fact_escalates_instead_of_the_refusal():
    # the front-door case: consent refused, nobody has rated the risk yet
    got = one(PROTOCOL, categories="education.attendance", consent="refused")
    assert (got.outcome, got.fallback, got.fallback_reason) == ("escalate", "front_door", "unknown_fact")
    assert got.waiting_on == ("risk",) and got.waiting_rules == ("R-RISK",)
    assert got.rules_matched == ("R-CON",) and got.rule is None and not got.gap
    assert "depends on a fact nobody has stated yet (risk)" in got.explanation
    assert "R-CON (refuse)" in got.explanation
    # without fallbacks, the old reading: the refusal decides
    assert one(WITHOUT_FALLBACKS, categories="education.attendance", consent="refused").outcome == "refuse"


def test_once_the_fact_is_stated_the_rules_decide_again():
    assert one(PROTOCOL, categories="education.attendance", consent="refused", risk="green").rule == "R-CON"
    assert one(PROTOCOL, categories="education.attendance", consent="refused", risk="red").rule == "R-RISK"


def test_a_waiting_rule_that_would_not_outrank_the_decider_changes_nothing():
    protocol = build([rule("R-SHARE", "share", priority=2), rule("R-LOW", "refuse", when={"risk": "red"})],
                     fallbacks=[FRONT_DOOR])
    got = one(protocol)
    assert (got.outcome, got.rule, got.fallback) == ("share", "R-SHARE", None)


def test_a_waiting_rule_with_the_deciding_outcome_changes_nothing():
    protocol = build([rule("R-A", "refuse"), rule("R-B", "refuse", priority=1, when={"risk": "red"})],
                     fallbacks=[FRONT_DOOR])
    assert one(protocol).rule == "R-A"


def test_a_fallback_only_on_gaps_leaves_waiting_rules_alone():
    protocol = build(RULES, fallbacks=[{**FRONT_DOOR, "on": ["gap"]}])
    assert one(protocol, categories="education.attendance", consent="refused").outcome == "refuse"
    assert one(protocol, categories="health").fallback_reason == "gap"


def test_a_condition_that_lists_unknown_does_not_wait():
    protocol = build([rule("R-CON", "refuse", when={"consent": "refused"}),
                      rule("R-RISK", "share", priority=1, when={"risk": ["red", "unknown"]})],
                     fallbacks=[FRONT_DOOR])
    got = one(protocol, consent="refused")
    assert (got.outcome, got.rule) == ("share", "R-RISK")


def test_overall_outcome_and_decide_many_carry_the_fallback():
    req = request(categories=("education.attendance", "health.physical"), consent="refused", risk="red")
    decision = decide(PROTOCOL, req)
    assert [c.outcome for c in decision.categories] == ["share", "escalate"]
    assert decision.outcome == "escalate" and decision.gaps == ("health.physical",)
    assert decision.fallbacks == ("front_door",)
    assert decision.to_dict()["gaps"] == ["health.physical"]
    table = decide_many(PROTOCOL, [req])
    assert table["fallback"].tolist() == [None, "front_door"]
    assert table["fallback_reason"].tolist() == [None, "gap"]
    assert table["explanation"].tolist() == [c.explanation for c in decision.categories]


@pytest.mark.parametrize("purpose, outcome", [("safeguarding", "escalate"), ("family_support", "seek_consent")])
def test_a_case_run_records_the_fallback_and_still_counts_the_gap(purpose, outcome):
    case = Case.model_validate({"id": "front_door", "title": "A concern nobody has rated", "steps": [{
        "stage": "referral", "requests": [{"from": "school", "to": "csc", "categories": ["health.physical"],
                                           "purpose": purpose, "expect": {"outcome": outcome}}]}]})
    results = run_cases(PROTOCOL, [case])
    assert results.ok
    assert results.gaps["category"].tolist() == ["health.physical"]
    assert results.gaps["fallback"].notna().all()
    assert results.summary()["gaps"] == 1
