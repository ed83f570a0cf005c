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
