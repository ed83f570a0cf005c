"""The review: the example is clean of errors, and each seeded flaw is found with the right code."""

from __future__ import annotations

import datetime as dt

import pytest

import protocolkit
from protocolkit import Severity
from protocolkit.review import CODES, ReviewReport, review
from review_helpers import (
    CHAIN, CONFLICT, DEAD, GUARANTEE, NO_ART9, OVER, SHADOWED, SMALL, UNSERVED, load_seeded, seeded,
)

TODAY = dt.date(2030, 1, 1)


def codes(report: ReviewReport) -> set[str]:
    return {f.code for f in report.findings}


# -- the example and the small fixture -------------------------------------------------------------

def test_example_has_no_error_findings(mash_report):
    assert mash_report.ok
    errors = [f for f in mash_report.findings if f.severity is Severity.ERROR]
    assert errors == [], [f"{f.id}: {f.message}" for f in errors]
    assert not any(f.blocking for f in mash_report.findings)


def test_example_findings_are_well_formed(mash_report):
    frame = mash_report.to_frame()
    assert list(frame.columns) == ["id", "code", "severity", "title", "message", "fix", "partners", "rules",
                                   "categories", "subject", "status", "marked_by", "marked_on", "mark_reason"]
    assert frame["id"].is_unique
    for f in mash_report.findings:
        assert f.code in CODES or f.code.startswith("PK")
        if f.code in CODES:
            assert f.severity is CODES[f.code][0] and f.title == CODES[f.code][1]
        assert f.id.startswith(f.code)
        assert len(f.subject) == 16 and f.message and f.fix
        # the example's review.yaml records the partnership's decisions; none is stale
        assert (f.status, f.mark is None) in {("open", True), ("accepted", False), ("mitigated", False)}
    # the validation findings replaced by flow-level ones never appear
    assert not codes(mash_report) & {"PK201", "PK202", "PK206"}


def test_small_fixture_only_reports_the_isolated_school_and_its_missing_agreement_sections():
    # the small fixture states no retention and no partner-list review (docs/semantics.md sections 13, 14)
    report = review(protocolkit.load(SMALL), today=TODAY)
    assert [(f.id, f.code, f.severity) for f in report.findings] == [
        ("RV140/school", "RV140", Severity.INFO), ("RV170/csc", "RV170", Severity.WARNING),
        ("RV170/mash_team", "RV170", Severity.WARNING), ("RV181/partner_list", "RV181", Severity.WARNING)]
    assert report.ok


# -- seeded flaws ---------------------------------------------------------------------------------------

def test_special_category_flow_without_art9_is_rv101(tmp_path):
    folder = seeded(tmp_path / "p", NO_ART9)
    # the validator reports it; a draft still loads so it can be tested (docs/semantics.md section 10)
    assert "PK201" in {f.code for f in protocolkit.validate(folder) if f.severity is Severity.ERROR}
    assert protocolkit.load(folder).metadata.status == "draft"
    report = review(load_seeded(folder), today=TODAY)
    [finding] = report.by_code("RV101")
    assert finding.severity is Severity.ERROR and finding.blocking
    assert finding.rules == ("R9",)
    assert {"health", "health.mental_health"} <= set(finding.categories)
    assert set(finding.partners) == {"school", "csc", "mash_team"}
    assert "R9" in finding.message and finding.fix
    assert "PK201" not in codes(report)        # replaced by the flow-level finding
    assert not report.ok


def test_shadowed_rule_is_rv121_and_its_overlap_rv120(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", SHADOWED)), today=TODAY)
    [shadowed] = report.by_code("RV121")
    assert shadowed.id == "RV121/R3" and shadowed.rules == ("R3",)
    assert "R2" in shadowed.message and shadowed.severity is Severity.WARNING
    [conflict] = report.by_code("RV120")
    assert conflict.rules == ("R2", "R3")
    assert report.ok   # warnings do not block


def test_dead_rule_is_rv122(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", DEAD)), today=TODAY)
    [dead] = report.by_code("RV122")
    assert dead.id == "RV122/R4" and dead.rules == ("R4",)
    assert not report.by_code("RV121")


def test_sharing_and_withholding_overlap_is_rv120(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", CONFLICT)), today=TODAY)
    [conflict] = report.by_code("RV120")
    assert conflict.id == "RV120/R5/R6" and conflict.rules == ("R5", "R6")
    assert "R6 wins" in conflict.message
    assert not report.by_code("RV121") and not report.by_code("RV122")   # both still decide something
    assert report.ok


def test_withholding_versus_withholding_overlap_is_not_rv120(tmp_path):
    rule = """
  - id: R3
    title: Escalate criminal data to schools at referral
    from: any
    to: {kinds: [school]}
    categories: [criminal.convictions]
    stages: [referral]
    purposes: any
    outcome: escalate
    escalate_to: designated safeguarding lead
    rationale: Seeded.
"""
    report = review(load_seeded(seeded(tmp_path / "p", rule)), today=TODAY)
    assert not report.by_code("RV120")
    assert [f.id for f in report.by_code("RV121")] == ["RV121/R3"]   # refuse always wins over escalate


def test_unserved_need_is_rv111(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", sections=UNSERVED)), today=TODAY)
    [need] = report.by_code("RV111")
    assert need.id == "RV111/school_plan:school"
    assert need.partners == ("school",) and need.categories == ("education.attendance",)
    assert "plan" in need.message


def test_over_sharing_is_rv110(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", sections=OVER)), today=TODAY)
    over = report.by_code("RV110")
    assert sorted(f.id for f in over) == ["RV110/R1/csc", "RV110/R1/mash_team"]
    assert all(f.rules == ("R1",) and f.categories == ("criminal.intelligence",) for f in over)


def test_unguarded_chain_is_rv130(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", CHAIN)), today=TODAY)
    chains = report.by_code("RV130")
    assert [f.id for f in chains] == ["RV130/school>csc"]
    [chain] = chains
    assert "school -> csc -> police" in chain.message
    assert set(chain.partners) == {"school", "csc", "police"}
    assert chain.categories == ("health.injury_observations",)


def test_guarded_chain_is_not_rv130(tmp_path):
    guarded = CHAIN.replace("    rationale: Seeded.\n  - id: R8",
                            "    obligations: [owner_agreement_before_onward_disclosure]\n"
                            "    rationale: Seeded.\n  - id: R8")
    assert guarded != CHAIN
    report = review(load_seeded(seeded(tmp_path / "p", guarded)), today=TODAY)
    assert not report.by_code("RV130")


def test_isolated_partner_is_rv140(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p")), today=TODAY)
    [isolated] = report.by_code("RV140")
    assert isolated.id == "RV140/school" and isolated.severity is Severity.INFO and not isolated.blocking


def test_violated_guarantee_is_rv150(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", sections=GUARANTEE)), today=TODAY)
    [violated] = report.by_code("RV150")
    assert violated.id == "RV150/R1/G1"
    assert violated.severity is Severity.ERROR and violated.blocking and not report.ok
    assert violated.rules == ("R1",) and violated.categories == ("criminal.intelligence",)
    assert set(violated.partners) == {"police", "csc"}
    assert "G1" in violated.message


def test_kept_guarantee_is_not_a_finding(tmp_path):
    kept = GUARANTEE.replace("stages: [screening]", "stages: [referral]")
    report = review(load_seeded(seeded(tmp_path / "p", sections=kept)), today=TODAY)
    assert not report.by_code("RV150") and report.ok


def test_weak_bases_are_rv103_and_rv104(tmp_path):
    rules = """
  - id: R3
    title: School shares attendance with no basis
    from: {partners: [school]}
    to: {partners: [csc]}
    categories: [education.attendance]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    rationale: Seeded.
  - id: R4
    title: School shares exclusions on consent
    from: {partners: [school]}
    to: {partners: [csc]}
    categories: [education.exclusions]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.a]
    rationale: Seeded.
"""
    report = review(load_seeded(seeded(tmp_path / "p", rules)), today=TODAY)
    assert [f.rules for f in report.by_code("RV103")] == [("R3",)]
    assert [f.rules for f in report.by_code("RV104")] == [("R4",)]
    assert not report.ok   # RV103 is an error


def test_all_seeded_flaws_at_once(tmp_path):
    folder = seeded(tmp_path / "p", NO_ART9 + SHADOWED + DEAD + CHAIN, sections=UNSERVED + GUARANTEE)
    report = review(load_seeded(folder), today=TODAY)
    assert {"RV101", "RV111", "RV120", "RV121", "RV122", "RV130", "RV150"} <= codes(report)
    assert {f.id for f in report.findings if f.blocking} == {
        f.id for f in report.by_code("RV101") + report.by_code("RV150")}


# -- protocols without sensitive flows -------------------------------------------------------------------

NOT_SENSITIVE_R1 = ("    categories: [criminal.intelligence]\n    stages: [screening]",
                    "    categories: [education.attendance]\n    stages: [screening]")


def test_review_of_a_protocol_whose_flows_are_not_sensitive(tmp_path):
    folder = seeded(tmp_path / "p")
    text = (folder / "protocol.yaml").read_text(encoding="utf-8")
    (folder / "protocol.yaml").write_text(text.replace(*NOT_SENSITIVE_R1), encoding="utf-8")
    report = review(load_seeded(folder), today=TODAY)
    assert report.ok and not report.by_code("RV101")


def test_review_of_a_protocol_that_permits_nothing(tmp_path):
    folder = seeded(tmp_path / "p")
    text = (folder / "protocol.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: R1")
    end = text.index("  - id: R2")
    (folder / "protocol.yaml").write_text(text[:start] + text[end:], encoding="utf-8")
    report = review(load_seeded(folder), today=TODAY)
    assert {f.code for f in report.findings} >= {"RV140"}
    assert len(report.by_code("RV140")) == 4   # every partner is isolated


# -- onward reach in the review does not depend on the order partners are listed in ------------------------

def _route(rule_id, sender, recipient, guarded=False):
    return f"""
  - id: {rule_id}
    title: {sender} shares injury observations with {recipient}
    from: {{partners: [{sender}]}}
    to: {{partners: [{recipient}]}}
    categories: [health.injury_observations]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    obligations: [{"owner_agreement_before_onward_disclosure" if guarded else "record_decision"}]
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.h, DPA18.S1.P2]
    rationale: Seeded.
"""


#: school -> police (guarded) -> csc, and school -> mash_team (unguarded) -> csc: two chains of two hops.
TWO_ROUTES = (_route("R3", "school", "police", guarded=True) + _route("R4", "police", "csc")
              + _route("R5", "school", "mash_team") + _route("R6", "mash_team", "csc"))


def test_rv130_finds_the_unguarded_route_when_it_is_met_first(tmp_path):
    folder = seeded(tmp_path / "p", TWO_ROUTES)
    text = (folder / "protocol.yaml").read_text(encoding="utf-8")
    police = text[text.index("  - id: police"):text.index("  - id: csc")]
    text = text.replace(police, "").replace("  - id: school\n", police + "  - id: school\n")
    (folder / "protocol.yaml").write_text(text, encoding="utf-8")
    report = review(load_seeded(folder), today=TODAY)
    assert [p.id for p in load_seeded(folder).partners] == ["csc", "mash_team", "police", "school"]
    assert [f.id for f in report.by_code("RV130")] == ["RV130/school>mash_team"]


def test_rv130_finds_the_unguarded_route_whatever_the_partner_order(tmp_path):
    report = review(load_seeded(seeded(tmp_path / "p", TWO_ROUTES)), today=TODAY)
    assert [f.id for f in report.by_code("RV130")] == ["RV130/school>mash_team"]
