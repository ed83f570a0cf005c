"""Review findings of issue 15: obligations lost when a rule is overridden (RV160)."""

from __future__ import annotations

import datetime as dt

from protocolkit import Severity
from protocolkit.review import review
from review_helpers import load_seeded, seeded

TODAY = dt.date(2030, 1, 1)


#: R1 shares a police summary with a deadline-free record duty; R20 overrides it at red risk and shares,
#: with no duty at all: R1's record_decision survives (semantics section 12), its owner agreement survives
#: too, but R21's duty to tell the family is lost.
OVERRIDE = """
  - id: R20
    title: At red risk the police share the full intelligence
    from: {kinds: [police]}
    to: {partners: [csc]}
    categories: [criminal.intelligence]
    stages: [screening]
    purposes: [safeguarding]
    when: {risk: red}
    outcome: share
    priority: 1
    lawful_bases: [DPA18.s35, DPA18.S8.P4]
    rationale: At red risk the MASH needs everything.
  - id: R21
    title: Police tell the family when they share at screening
    from: {kinds: [police]}
    to: {partners: [csc]}
    categories: [criminal.intelligence]
    stages: [screening]
    purposes: [safeguarding]
    when: {risk: ">= amber"}
    outcome: share_minimum
    minimum: a summary
    obligations: [inform_family]
    lawful_bases: [DPA18.s35, DPA18.S8.P4]
    rationale: Tell the family unless that increases the risk.
"""


def test_an_obligation_lost_to_an_override_is_rv160(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", OVERRIDE)), today=TODAY)
    found = report.by_code("RV160")
    assert [(f.rules, f.severity) for f in found] == [(("R20", "R21"), Severity.WARNING)]
    [finding] = found
    assert "R21's inform_family no longer applies" in finding.message and "R20" in finding.fix
    assert finding.id == "RV160/R20/R21/inform_family"
    # R1's record_decision and owner agreement survive the override: not reported as lost
    assert not any("R1" in f.rules for f in found)


def test_no_rv160_without_an_override(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", "")), today=TODAY)
    assert report.by_code("RV160") == []


# -- retention (RV170) and governance (RV180, RV181) ----------------------------------------------------

RETENTION = """
retention:
  - id: csc_records
    partners: [csc]
    categories: [criminal]
    duration: 6 years
    after: the case closed
    text: Children's social care keeps police information for 6 years after the case closes.
"""

GOVERNANCE = """
governance:
  admits_partners: the partnership board
  partner_list_reviewed: 2029-06-01
"""


def test_a_received_category_with_no_retention_duration_is_rv170(tmp_path):
    bare = review(load_seeded(seeded(tmp_path / "a", "", GOVERNANCE)), today=TODAY)
    # csc and its team mash_team both receive police intelligence (R1 names csc, which covers its teams)
    found = bare.by_code("RV170")
    assert [f.partners for f in found] == [("csc",), ("mash_team",)]
    assert all("criminal.intelligence" in f.categories for f in found)
    covered = review(load_seeded(seeded(tmp_path / "b", "", RETENTION + GOVERNANCE)), today=TODAY)
    assert covered.by_code("RV170") == []
    prose_only = RETENTION.replace("    duration: 6 years\n", "    period: six years or so\n")
    vague = review(load_seeded(seeded(tmp_path / "c", "", prose_only + GOVERNANCE)), today=TODAY)
    assert [f.partners for f in vague.by_code("RV170")] == [("csc",), ("mash_team",)]


def test_the_explanation_says_how_long_the_recipient_keeps_it(tmp_path):
    import protocolkit

    protocol = load_seeded(seeded(tmp_path / "p", "", RETENTION))
    decision = protocolkit.decide(protocol, {"from": "police", "to": "mash_team", "categories": ["criminal.intelligence"],
                                             "stage": "screening", "purpose": "safeguarding", "facts": {"risk": "red"}})
    assert "Retention: MASH decision maker keeps it for 6 years after the case closed (csc_records)." \
        in decision.explanation


def test_a_partner_that_left_but_is_still_in_the_rules_is_rv180(tmp_path):
    folder = seeded(tmp_path / "p", "", GOVERNANCE)
    path = folder / "protocol.yaml"
    path.write_text(path.read_text().replace("    kind: police\n", "    kind: police\n    joined: 2020-01-01\n"
                                             "    left: 2029-12-31\n", 1))
    [finding] = review(load_seeded(folder), today=TODAY).by_code("RV180")
    assert finding.severity is Severity.ERROR and finding.partners == ("police",)
    assert "left the partnership on 2029-12-31" in finding.message and "permitted flows" in finding.message
    assert review(load_seeded(folder), today=TODAY.replace(year=2029)).by_code("RV180") == []


def test_a_partner_list_not_reviewed_within_the_interval_is_rv181(tmp_path):
    assert review(load_seeded(seeded(tmp_path / "a", "", GOVERNANCE)), today=TODAY).by_code("RV181") == []
    [never] = review(load_seeded(seeded(tmp_path / "b")), today=TODAY).by_code("RV181")
    assert "never been recorded as reviewed" in never.message
    [late] = review(load_seeded(seeded(tmp_path / "c", "", GOVERNANCE)), today=TODAY.replace(year=2031)).by_code("RV181")
    assert "last reviewed on 2029-06-01, more than 1 year ago" in late.message


def test_unreadable_durations_and_dates_are_located_errors(tmp_path):
    import protocolkit

    folder = seeded(tmp_path / "p", "", RETENTION.replace("6 years", "six years"))
    [finding] = [f for f in protocolkit.validate(folder) if f.severity is Severity.ERROR]
    assert finding.code == "PK101" and "cannot read the duration 'six years'" in finding.message and finding.line
    path = folder / "protocol.yaml"
    path.write_text(RETENTION.join(path.read_text().split(RETENTION.replace("6 years", "six years")))
                    .replace("    kind: police\n", "    kind: police\n    joined: 2020-01-01\n    left: 2019-01-01\n", 1))
    [finding] = [f for f in protocolkit.validate(folder) if f.severity is Severity.ERROR]
    assert "'left' (2019-01-01) is before 'joined' (2020-01-01)" in finding.message
