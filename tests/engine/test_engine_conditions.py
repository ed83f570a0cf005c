"""docs/semantics.md section 2, "Conditions on facts": comparisons, lists and `unknown`.

Shipped facts used: risk (ordered: blue < green < amber < red), consent (given,
refused, not_sought, unsafe_to_seek), statutory_notice (no, yes).
"""

from __future__ import annotations

import pytest

from handbuilt import build, one, rule

RISKS = ["blue", "green", "amber", "red", None]  # None: the request does not state risk
CONSENTS = ["given", "refused", "not_sought", "unsafe_to_seek", None]


def satisfied(when: dict, **facts) -> bool:
    decision = one(build([rule("C", when=when)]), **{k: v for k, v in facts.items() if v is not None})
    return decision.outcome == "share"


def satisfying(when: dict, fact: str, values: list) -> set:
    return {v for v in values if satisfied(when, **{fact: v})}


@pytest.mark.parametrize("condition, expected", [
    (">= amber", {"amber", "red"}),
    ("> amber", {"red"}),
    ("<= green", {"blue", "green"}),
    ("< green", {"blue"}),
    (">= blue", {"blue", "green", "amber", "red"}),  # every stated value, still not unknown
    ("> red", set()),
])
def test_ordered_comparisons_never_match_unknown(condition, expected):
    assert satisfying({"risk": condition}, "risk", RISKS) == expected


@pytest.mark.parametrize("condition", ["given", "== given"])
def test_equality_matches_only_that_value(condition):
    assert satisfying({"consent": condition}, "consent", CONSENTS) == {"given"}


def test_not_equal_matches_every_stated_value_except_that_one():
    assert satisfying({"consent": "!= refused"}, "consent", CONSENTS) == {"given", "not_sought", "unsafe_to_seek"}


def test_list_matches_any_member():
    assert satisfying({"consent": ["given", "not_sought"]}, "consent", CONSENTS) == {"given", "not_sought"}


def test_list_with_unknown_matches_an_unstated_fact():
    assert satisfying({"consent": ["refused", "unknown"]}, "consent", CONSENTS) == {"refused", None}


def test_unknown_stated_explicitly_is_the_same_as_not_stating_it():
    assert satisfied({"consent": ["refused", "unknown"]}, consent="unknown")
    assert not satisfied({"consent": "!= refused"}, consent="unknown")
    assert not satisfied({"risk": ">= blue"}, risk="unknown")


def test_worked_example_r12_amber_or_above():
    protocol = build([rule("R12", "share_minimum", sender={"kinds": ["police"]}, to={"partners": ["csc"]},
                           categories=["criminal.intelligence"], stages=["screening"], when={"risk": ">= amber"})])
    req = dict(sender="police", recipient="mash", categories="criminal.intelligence", stage="screening")
    assert one(protocol, **req, risk="green").outcome == "gap"
    assert one(protocol, **req).outcome == "gap"  # nobody has rated the risk
    red = one(protocol, **req, risk="red")
    assert (red.outcome, red.rule) == ("share_minimum", "R12")


def test_refusal_when_consent_refused_does_not_refuse_when_nobody_asked():
    protocol = build([rule("NO", "refuse", when={"consent": "refused"}), rule("YES", "share")])
    assert one(protocol, consent="refused").outcome == "refuse"
    unasked = one(protocol)
    assert (unasked.outcome, unasked.rule) == ("share", "YES")
    assert unasked.rules_matched == ("YES",)


def test_several_conditions_must_all_hold():
    when = {"risk": ">= amber", "consent": ["refused", "unknown"]}
    assert satisfied(when, risk="red", consent="refused")
    assert satisfied(when, risk="amber")
    assert not satisfied(when, risk="red", consent="given")
    assert not satisfied(when, risk="green", consent="refused")
    assert not satisfied(when, consent="refused")


def test_a_fact_the_rule_does_not_mention_does_not_matter():
    for consent in CONSENTS:
        assert satisfied({"risk": "red"}, risk="red", consent=consent)


def test_yes_no_facts_accept_booleans_in_rules_and_requests():
    # YAML 1.1 readers turn `yes` into True; both sides must read it as the value "yes"
    assert satisfied({"statutory_notice": True}, statutory_notice="yes")
    assert satisfied({"statutory_notice": "yes"}, statutory_notice=True)
    assert not satisfied({"statutory_notice": True}, statutory_notice=False)
    assert not satisfied({"statutory_notice": True})


def test_protocol_fact_with_its_own_ordered_values():
    facts = [{"id": "neglect_level", "label": "How severe is the neglect?", "values": ["low", "medium", "high"],
              "ordered": True}]
    protocol = build([rule("N", when={"neglect_level": "> low"})], facts=facts)
    assert one(protocol, neglect_level="low").outcome == "gap"
    assert one(protocol, neglect_level="medium").outcome == "share"
    assert one(protocol, neglect_level="high").outcome == "share"
    assert one(protocol).outcome == "gap"
