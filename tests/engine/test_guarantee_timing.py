"""Guarantees that require an obligation's timing and deadline (docs/semantics.md section 17), on hand-built
protocols: what meets a requirement, proven and violated verdicts agreeing with brute force, fallbacks and
overridden rules, validation, why-not, and the example's emergency promise.

Expectations are the semantics as section 17 states it: an obligation meets a requirement when it is of the
same type, done at the required time (before / after the disclosure), and carries a deadline from the same
event that is no longer than the required one; a bare type is met by any obligation of that type.
"""

from __future__ import annotations

import pytest

from handbuilt import build, rule
from protocolkit.engine.guarantees import check_guarantee
from protocolkit.model.guarantees import Guarantee, duration_at_most, obligation_meets
from protocolkit.model.rules import Obligation
from test_guarantees_brute_force import brute_force

RECORD_4H_AFTER = {"record_decision": {"timing": "after", "within": "PT4H", "from": "disclosure"}}
SCOPE = {"from": {"partners": ["police"]}, "to": {"partners": ["nhs_trust"]}, "categories": ["health.physical"],
         "stages": ["referral", "screening"], "purposes": ["safeguarding"],
         "when": {"statutory_notice": ["unknown"], "child_competent": ["unknown"], "consent": ["unknown"]}}


def _emergency(*obligations, **fields):
    """Police may tell the hospital at red (a stand-in for danger to life), with these obligations."""
    return rule("EMG", sender={"partners": ["police"]}, to={"partners": ["nhs_trust"]},
                categories=["health.physical"], purposes=["safeguarding"], when={"risk": "red"},
                obligations=list(obligations), lawful_bases=["UKGDPR.6.1.d"], **fields)


def _check(protocol, *required, **fields):
    g = Guarantee.model_validate({"id": "G", "kind": "always", "statement": "Emergency shares are recorded.",
                                  "when_outcome": ["share", "share_minimum"], "obligations": list(required),
                                  **SCOPE, **fields})
    result = check_guarantee(protocol, g)
    proven, first, size = brute_force(protocol, g)
    assert (result.proven, result.space_size) == (proven, size)
    return result


@pytest.mark.parametrize("carried, required, meets", [
    (RECORD_4H_AFTER, {"record_decision": {"timing": "after", "within": "PT24H"}}, True),   # 4 hours is within 24
    (RECORD_4H_AFTER, {"record_decision": {"within": "PT2H"}}, False),                      # 4 hours is not within 2
    (RECORD_4H_AFTER, {"record_decision": {"timing": "before"}}, False),                    # after is not before
    (RECORD_4H_AFTER, "record_decision", True),                                             # a bare type: any timing
    ("record_decision", {"record_decision": {"timing": "after"}}, False),                   # no timing stated
    ({"record_decision": {"within": "PT4H", "from": "request"}},
     {"record_decision": {"within": "PT24H", "from": "disclosure"}}, False),                # another event
    ({"deadline": {"within": "same_working_day", "from": "referral_received"}},
     {"deadline": {"within": "next_working_day", "from": "referral_received"}}, True),
    ({"deadline": {"within": "same_working_day"}}, {"deadline": {"within": "PT24H"}}, False),  # not a fixed length
    (RECORD_4H_AFTER, {"inform_family": {"timing": "after"}}, False),                      # another type
])
def test_what_meets_a_requirement(carried, required, meets):
    assert obligation_meets(Obligation.model_validate(carried), Obligation.model_validate(required)) is meets


def test_durations_compare_part_by_part():
    assert duration_at_most("P1W", "P7D") and duration_at_most("PT90M", "PT2H")
    assert not duration_at_most("P1D", "P1M")   # a month's length varies: not shown to be longer than a day
    assert duration_at_most("P1M", "P1Y") and not duration_at_most("P13M", "P1Y")


def test_a_shorter_deadline_after_the_disclosure_meets_a_longer_one():
    p = build([_emergency(RECORD_4H_AFTER)])
    assert _check(p, {"record_decision": {"timing": "after", "within": "PT24H"}}).proven


def test_a_longer_deadline_is_violated_with_the_emergency_as_counterexample():
    p = build([_emergency(RECORD_4H_AFTER)])
    result = _check(p, {"record_decision": {"timing": "after", "within": "PT2H"}})
    assert not result.proven and result.rule == "EMG"
    assert result.counterexample.facts["risk"] == "red"
    assert "within 4 hours of the disclosure" in result.explanation


def test_a_record_made_at_the_time_does_not_meet_one_required_afterwards_and_the_other_way_round():
    untimed = build([_emergency("record_decision")])
    assert not _check(untimed, {"record_decision": {"timing": "after"}}).proven
    assert _check(untimed, "record_decision").proven        # the type alone still holds
    after = build([_emergency(RECORD_4H_AFTER)])
    assert not _check(after, {"record_decision": {"timing": "before"}}).proven


def test_a_second_sharing_rule_without_the_timing_breaks_the_promise():
    amber = rule("AMB", sender={"partners": ["police"]}, to={"partners": ["nhs_trust"]},
                 categories=["health.physical"], purposes=["safeguarding"], when={"risk": "amber"},
                 obligations=["record_decision"], lawful_bases=["UKGDPR.6.1.e"])
    p = build([_emergency(RECORD_4H_AFTER), amber])
    result = _check(p, {"record_decision": {"timing": "after", "within": "PT24H"}})
    assert not result.proven and result.rule == "AMB" and result.counterexample.facts["risk"] == "amber"


def test_a_fallbacks_timed_obligation_meets_the_requirement():
    front_door = {"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
                  "escalate_to": "MASH team manager",
                  "obligations": [{"deadline": {"within": "same_working_day", "from": "referral_received"}}],
                  "rationale": "A safeguarding concern is never refused for want of a rule."}
    p = build([_emergency(RECORD_4H_AFTER)], fallbacks=[front_door])
    on_time = {"deadline": {"within": "next_working_day", "from": "referral_received"}}
    assert _check(p, on_time, when_outcome=["escalate"]).proven
    too_late = {"deadline": {"within": "PT4H", "from": "referral_received"}}
    assert not _check(p, too_late, when_outcome=["escalate"]).proven


def test_a_timed_record_kept_from_an_overridden_sharing_rule_counts():
    # a higher-priority share_minimum overrides EMG; record_decision survives an override (section 12), so the
    # decision keeps EMG's timed record and the promise holds
    narrow = rule("MIN", "share_minimum", sender={"partners": ["police"]}, to={"partners": ["nhs_trust"]},
                  categories=["health.physical"], purposes=["safeguarding"], when={"risk": "red"}, priority=1,
                  lawful_bases=["UKGDPR.6.1.d"])
    p = build([_emergency(RECORD_4H_AFTER), narrow])
    assert _check(p, {"record_decision": {"timing": "after", "within": "PT24H"}}).proven


def test_a_requirement_with_words_is_a_located_error(tmp_path):
    from protocolkit.errors import ProtocolValidationError
    from protocolkit.model.loading import load

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(
        "metadata: {id: t, title: T, version: '1', owner: police}\n"
        "partners:\n  - {id: police, name: Police, kind: police}\n"
        "guarantees:\n"
        "  - id: G1\n    kind: always\n    statement: Recorded.\n    when_outcome: [share]\n"
        "    obligations:\n      - record_decision: as soon as possible\n")
    with pytest.raises(ProtocolValidationError) as error:
        load(folder)
    text = str(error.value)
    assert "protocol.yaml:10" in text and "as soon as possible" in text and "timing: after" in text
    (folder / "protocol.yaml").write_text((folder / "protocol.yaml").read_text().replace(
        "record_decision: as soon as possible", "record_decision: {timing: afterwards}"))
    with pytest.raises(ProtocolValidationError) as error:
        load(folder)
    assert "protocol.yaml:10" in str(error.value) and "timing: Input should be 'before' or 'after'" in str(error.value)


def test_why_not_says_how_the_candidate_rule_times_its_duties():
    from protocolkit.engine.why_not import why_not

    p = build([_emergency(RECORD_4H_AFTER, {"inform_family": {"timing": "before"}})])
    table = why_not(p, {"from": "police", "to": "nhs_trust", "categories": ["health.physical"],
                        "stage": "referral", "purpose": "safeguarding", "facts": {"risk": "amber"}})
    text = table.iloc[0]["explanation"]
    assert text.startswith("Rule EMG (share) would apply if risk is red (it is amber)")
    assert "Before sharing, they must tell the family" in text
    assert "After the disclosure (sharing does not wait for it), they must record the decision" in text
    assert "within 4 hours of the disclosure" in text


def test_the_examples_emergency_promise_is_proven_and_would_catch_a_slower_record():
    """G14 of the example: the police tell the hospital at once in an emergency and record it afterwards, within
    24 hours (ICO data sharing code, "data sharing in an emergency", recording afterwards [K]; the 24 hours is the
    partnership's own choice in R-EMG-01). A rule edit to a two-day record must break it."""
    import protocolkit

    p = protocolkit.load(protocolkit.example_path("mash"))
    g14 = next(g for g in p.guarantees if g.id == "G14")
    assert check_guarantee(p, g14).proven
    rules = [r.model_dump(by_alias=True) for r in p.rules]
    emergency = next(r for r in rules if r["id"] == "R-EMG-01")
    emergency["obligations"] = [{"record_decision": {"timing": "after", "within": "P2D", "from": "disclosure"}},
                                *emergency["obligations"][1:]]
    slower = p.model_copy(update={"rules": [type(p.rules[0]).model_validate(r) for r in rules]})
    result = check_guarantee(slower, g14)
    assert not result.proven and result.rule == "R-EMG-01"
