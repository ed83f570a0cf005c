"""RV190: partners that plausibly share (a profile lists what the other holds) but no rule names them."""

from __future__ import annotations

import datetime as dt

from protocolkit import Severity
from protocolkit.review import review
from protocolkit.review.findings import CODES
from review_helpers import AGREEMENT, load_seeded, seeded

TODAY = dt.date(2030, 1, 1)

#: The school tells children's social care about attendance: the school holds attendance.
SCHOOL_SHARES_ATTENDANCE = """
  - id: R7
    title: School shares attendance with children's social care at screening
    from: {partners: [school]}
    to: {partners: [csc]}
    categories: [education.attendance]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, EA2002.s175]
    rationale: Seeded.
"""

#: The police say they need attendance at strategy discussion; nothing says whether the school may tell them.
POLICE_NEED_ATTENDANCE = """
need_to_know:
  - id: police_strategy
    recipient: {partners: [police]}
    stages: [strategy_discussion]
    purposes: [safeguarding]
    categories: [education]
"""

SCHOOL_TO_POLICE_REFUSED = """
  - id: R8
    title: The school does not give the police attendance
    from: {kinds: [school]}
    to: {kinds: [police]}
    categories: [education.attendance]
    stages: [referral]
    purposes: [safeguarding]
    outcome: refuse
    rationale: Seeded, a decision about the pair at one stage.
"""

CONSENT_DEFAULT_FOR_EVERYONE = """
  - id: R9
    title: Refusals are respected
    from: any
    to: any
    categories: any
    stages: any
    purposes: any
    when: {consent: refused}
    outcome: refuse
    rationale: Seeded, a default written for everyone.
"""


def _rv190(tmp_path, name, rules, sections=POLICE_NEED_ATTENDANCE):
    folder = seeded(tmp_path / name, rules, sections + AGREEMENT)
    return review(load_seeded(folder), today=TODAY).by_code("RV190")


def test_a_need_for_what_another_partner_holds_with_no_rule_between_them_is_rv190(tmp_path):
    [finding] = _rv190(tmp_path, "a", SCHOOL_SHARES_ATTENDANCE)
    assert finding.severity is Severity.WARNING and finding.title == CODES["RV190"][1]
    assert finding.partners == ("police", "school") and finding.categories == ("education.attendance",)
    assert finding.id == "RV190/education>criminal_justice"
    # plain words first, ids in brackets; the fix says what to write
    assert finding.message.startswith("No rule says what education (school) may share with criminal justice agency "
                                      "(police)")
    assert "police_strategy" in finding.message and "education.attendance" in finding.message
    assert finding.fix.startswith("write a rule for this pair")


def test_a_rule_about_the_pair_at_any_stage_answers_it(tmp_path):
    assert _rv190(tmp_path, "a", SCHOOL_SHARES_ATTENDANCE + SCHOOL_TO_POLICE_REFUSED) == []


def test_a_default_written_for_everyone_does_not_answer_it(tmp_path):
    [finding] = _rv190(tmp_path, "a", SCHOOL_SHARES_ATTENDANCE + CONSENT_DEFAULT_FOR_EVERYONE)
    assert finding.partners == ("police", "school")


def test_no_finding_when_the_sender_holds_nothing_the_profile_lists(tmp_path):
    # the school shares nothing, so nothing says it holds attendance
    assert _rv190(tmp_path, "a", "") == []
    # what the school holds for safeguarding is not evidence of what it holds for family support
    family_support = POLICE_NEED_ATTENDANCE.replace("purposes: [safeguarding]", "purposes: [family_support]")
    assert _rv190(tmp_path, "b", SCHOOL_SHARES_ATTENDANCE, family_support) == []


def test_a_team_is_never_paired_with_its_own_organisation(tmp_path):
    team_needs = """
need_to_know:
  - id: csc_needs
    recipient: {partners: [csc]}
    stages: [plan]
    purposes: [safeguarding]
    categories: [criminal.intelligence]
"""
    # the police hold intelligence (R1 sends it to csc), csc already hears from the police: no finding;
    # mash_team is part of csc, so csc and mash_team are never a pair either
    assert _rv190(tmp_path, "a", "", team_needs) == []


def test_the_example_reports_only_pairs_it_has_not_written():
    import protocolkit
    from protocolkit.graph import permitted_flows
    from protocolkit.review.unwritten import unwritten_pairs

    protocol = protocolkit.load(protocolkit.example_path("mash"))
    pairs = unwritten_pairs(protocol, permitted_flows(protocol))
    vocab = protocolkit.model.vocabulary.Vocabulary.of(protocol)
    for row in pairs.itertuples(index=False):
        for sender in row.senders:
            for recipient in row.recipients:
                # no rule names both (a rule for any sender and any recipient does not count)
                assert not any(r.from_ != "any" or r.to != "any"
                               for r in protocol.rules
                               if sender in vocab.partners_in(r.from_) and recipient in vocab.partners_in(r.to))


def test_the_examples_unwritten_pairs_are_each_decided_with_a_reason_from_guidance():
    """Each RV190 pair of the example is marked accepted with why: where the guidance routes the flow instead
    (the MASH, the child's plan meetings, the MARAC, MAPPA) and what a direct request gets. An edit that
    changes a pair's subject reopens its finding."""
    import protocolkit
    from protocolkit.review import review

    found = review(protocolkit.load(protocolkit.example_path("mash")), today=TODAY).by_code("RV190")
    assert {f.id for f in found} == {"RV190/criminal_justice>education", "RV190/criminal_justice>health",
                                     "RV190/criminal_justice>local_authority", "RV190/criminal_justice>voluntary"}
    for f in found:
        assert f.status == "accepted", f.id
        assert "safeguarding_front_door" in f.mark.reason and "domain notes" in f.mark.reason
