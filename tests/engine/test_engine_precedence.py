"""docs/semantics.md sections 3 and 4: which rule decides, and what the decision carries."""

from __future__ import annotations

import itertools

import pytest

from handbuilt import build, one, rule

MOST_PROTECTIVE_FIRST = ["refuse", "escalate", "seek_consent", "share_minimum", "share"]


@pytest.mark.parametrize("stronger, weaker", list(itertools.combinations(MOST_PROTECTIVE_FIRST, 2)))
@pytest.mark.parametrize("stronger_first", [True, False])
def test_most_protective_outcome_wins_whatever_the_order(stronger, weaker, stronger_first):
    rules = [rule("S", stronger), rule("W", weaker)]
    decision = one(build(rules if stronger_first else rules[::-1]))
    assert (decision.outcome, decision.rule, decision.deciding_rules) == (stronger, "S", ("S",))
    assert set(decision.rules_matched) == {"S", "W"}


def test_all_five_outcomes_matching_gives_refuse():
    protocol = build([rule(f"R_{o}", o) for o in reversed(MOST_PROTECTIVE_FIRST)])
    decision = one(protocol)
    assert (decision.outcome, decision.rule) == ("refuse", "R_refuse")
    assert len(decision.rules_matched) == 5


def test_priority_beats_protectiveness_worked_example_r7_r8():
    protocol = build([
        rule("R7", "refuse", when={"consent": "refused"}, stages=["referral"]),
        rule("R8", "share", priority=1, when={"risk": "red"}, stages=["referral"],
             sender={"kinds": ["health"]}, to={"partners": ["csc"]}),
    ])
    decision = one(protocol, sender="gp_surgery", recipient="csc", stage="referral", consent="refused", risk="red")
    assert (decision.outcome, decision.rule, decision.deciding_rules) == ("share", "R8", ("R8",))
    assert set(decision.rules_matched) == {"R7", "R8"}
    assert "overridden" in decision.explanation and "R7" in decision.explanation
    # without the red risk the exception does not match and the refusal stands
    amber = one(protocol, sender="gp_surgery", recipient="csc", stage="referral", consent="refused", risk="amber")
    assert (amber.outcome, amber.rule) == ("refuse", "R7")


def test_negative_priority_loses_to_the_default():
    decision = one(build([rule("LOW", "refuse", priority=-1), rule("NORMAL", "share")]))
    assert (decision.outcome, decision.rule) == ("share", "NORMAL")


def test_highest_priority_decides_even_when_listed_last():
    protocol = build([rule("A", "refuse"), rule("B", "escalate", priority=2), rule("C", "share", priority=1)])
    decision = one(protocol)
    assert (decision.outcome, decision.rule, decision.deciding_rules) == ("escalate", "B", ("B",))


def test_deciding_rules_are_all_rules_at_the_winning_priority_and_outcome():
    protocol = build([
        rule("Z_first", "share", priority=1),
        rule("A_overridden", "share"),           # same outcome, lower priority: overridden
        rule("M_second", "share", priority=1),
        rule("B_weaker", "share_minimum"),       # more protective, but lower priority: overridden
        rule("Y_third", "share", priority=1),
    ])
    decision = one(protocol)
    assert decision.outcome == "share"
    assert decision.rule == "Z_first"  # the first in protocol order, not by id or anything else
    assert decision.deciding_rules == ("Z_first", "M_second", "Y_third")
    assert set(decision.rules_matched) == {"Z_first", "A_overridden", "M_second", "B_weaker", "Y_third"}


def test_the_deciding_rule_is_the_first_in_protocol_order_not_the_lowest_id():
    protocol = build([rule("R9", "refuse"), rule("R1", "refuse")])
    decision = one(protocol)
    assert decision.rule == "R9"
    assert decision.deciding_rules == ("R9", "R1")


def test_lawful_bases_and_obligations_are_the_union_of_deciding_rules_only():
    protocol = build([
        rule("OVERRIDDEN", "refuse", obligations=["inform_family"], lawful_bases=["UKGDPR.6.1.a"]),
        rule("FIRST", "share", priority=1, obligations=["record_decision", "secure_channel"],
             lawful_bases=["UKGDPR.6.1.e", "UKGDPR.9.2.g"]),
        rule("SECOND", "share", priority=1,
             obligations=["record_decision", {"deadline": "within 4 working hours"}],
             lawful_bases=["UKGDPR.6.1.e", "DPA18.S1.P18"]),
    ])
    decision = one(protocol)
    assert decision.deciding_rules == ("FIRST", "SECOND")
    assert decision.lawful_bases == ("UKGDPR.6.1.e", "UKGDPR.9.2.g", "DPA18.S1.P18")
    assert decision.obligations == ("record_decision", "secure_channel", "deadline: within 4 working hours")
    assert "inform_family" not in decision.obligations
    assert "UKGDPR.6.1.a" not in decision.lawful_bases


def test_obligations_of_a_higher_priority_rule_of_the_same_outcome_only():
    protocol = build([rule("P0", "share", obligations=["inform_family"]),
                      rule("P1", "share", priority=1, obligations=["record_decision"])])
    decision = one(protocol)
    assert decision.deciding_rules == ("P1",)
    assert decision.obligations == ("record_decision",)


def test_handling_duties_of_an_overridden_sharing_rule_survive_when_the_winner_shares():
    # docs/semantics.md section 12: record_decision and a deadline survive; telling the family is the winner's call
    protocol = build([rule("ROUTINE", "share", obligations=["record_decision", {"deadline": "within 4 working hours"},
                                                            "inform_family"]),
                      rule("URGENT", "share_minimum", priority=1, obligations=[{"do_not_inform_family": "investigation"}])])
    decision = one(protocol)
    assert decision.deciding_rules == ("URGENT",)
    assert decision.obligations == ("do_not_inform_family: investigation", "record_decision",
                                    "deadline: within 4 working hours")
    assert "Kept from overridden rule ROUTINE: record_decision, deadline: within 4 working hours." in decision.explanation


def test_nothing_survives_when_the_winner_does_not_share_or_the_overridden_rule_did_not():
    refusal_wins = build([rule("ROUTINE", "share", obligations=["record_decision"]),
                          rule("STOP", "refuse", priority=1)])
    assert one(refusal_wins).obligations == ()
    exception_wins = build([rule("NO", "refuse", obligations=["record_decision"]),
                            rule("YES", "share", priority=1)])
    assert one(exception_wins).obligations == ()


def test_minimum_comes_from_the_deciding_rule():
    protocol = build([
        rule("LOWER", "share_minimum", minimum="everything"),
        rule("FIRST", "share_minimum", priority=1, minimum="name and date of birth only"),
        rule("SECOND", "share_minimum", priority=1, minimum="a summary"),
    ])
    decision = one(protocol)
    assert (decision.outcome, decision.rule, decision.minimum) == ("share_minimum", "FIRST", "name and date of birth only")
    assert decision.escalate_to is None


def test_escalate_to_comes_from_the_deciding_rule():
    protocol = build([
        rule("MIN", "share_minimum", minimum="summary"),
        rule("ESC", "escalate", escalate_to="Caldicott guardian"),
        rule("ESC2", "escalate", escalate_to="team manager"),
    ])
    decision = one(protocol)
    assert (decision.outcome, decision.rule, decision.escalate_to) == ("escalate", "ESC", "Caldicott guardian")
    assert decision.minimum is None  # the overridden share_minimum's minimum does not leak
    assert "Caldicott guardian" in decision.explanation


def test_many_rules_across_several_bitset_words():
    # 150 rules: the winner sits beyond the first 64 and the second 64 positions
    rules = [rule(f"S{i:03d}", "share", stages=["closure"]) for i in range(150)]
    rules[140] = rule("REF", "refuse", stages=["referral"], categories=["health"])
    rules.append(rule("MIN", "share_minimum", stages=["referral"]))
    protocol = build(rules)
    health = one(protocol, categories="health.physical", stage="referral")
    assert (health.outcome, health.rule, set(health.rules_matched)) == ("refuse", "REF", {"REF", "MIN"})
    education = one(protocol, categories="education", stage="referral")
    assert (education.outcome, education.rule, education.rules_matched) == ("share_minimum", "MIN", ("MIN",))
    closure = one(protocol, stage="closure")
    assert closure.rule == "S000" and len(closure.deciding_rules) == 149
