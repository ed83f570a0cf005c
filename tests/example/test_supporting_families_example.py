"""The second shipped example, a Supporting Families data-matching partnership: valid, sourced, passing, and
sensitive to the edits that would break its promises."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import protocolkit
from protocolkit.engine.guarantees import check_guarantees
from protocolkit.model.vocabulary import Vocabulary
from protocolkit.review import review

EXAMPLE = protocolkit.example_path("supporting_families")
SOURCES = re.compile(r"domain\.md|domain notes|HMG|ICO|Working Together|UK GDPR|DPA 2018|DEA 2017|Caldicott|Act 20\d\d|"
                     r"SSAA|programme guidance")


@pytest.fixture
def work(tmp_path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "supporting_families"))


def test_validates_without_errors_or_warnings():
    assert [f.format() for f in protocolkit.validate(EXAMPLE)] == []


def test_is_a_different_partnership_from_the_mash():
    p, mash = protocolkit.load(EXAMPLE), protocolkit.load(protocolkit.example_path("mash"))
    kinds = {partner.kind for partner in p.partners}
    assert {"dwp", "police", "school", "housing", "youth_justice", "early_help", "childrens_social_care"} <= kinds
    assert [s.id for s in Vocabulary.of(p).stages][0] == "identification"  # its own stages
    assert not {r.id for r in p.rules} & {r.id for r in mash.rules}
    assert len(p.guarantees) >= 5


def test_every_expectation_cites_its_source_and_passes():
    p = protocolkit.load(EXAMPLE)
    cases = protocolkit.load_cases(EXAMPLE)
    assert len(cases) >= 6
    for case in cases:
        assert case.scenario and SOURCES.search(case.scenario), case.id
        for step in case.steps:
            for request in step.requests:
                assert request.expect is not None and request.note and SOURCES.search(request.note), \
                    (case.id, request.id)
    results = protocolkit.run_cases(p, cases)
    assert results.failed == 0, results.failures[["case", "step", "request", "problems"]].to_string()
    assert {"share", "share_minimum", "seek_consent", "escalate", "refuse", "gap"} <= set(results.expectations["expected"])


def test_guarantees_hold_and_review_has_no_blocking_finding():
    p = protocolkit.load(EXAMPLE)
    report = check_guarantees(p)
    assert report.ok and len(report.results) >= 5
    assert review(p).ok


def test_sharing_a_raw_record_for_matching_breaks_a_guarantee_and_a_case(work):
    p = protocolkit.load(work)
    rule = p.rule("SF-ID-02")
    rule.categories = [*rule.categories, "criminal.domestic_abuse_incidents"]  # the incident logs, not the flag
    protocolkit.save(p)
    edited = protocolkit.load(work)
    broken = {r.guarantee.id for r in check_guarantees(edited).results if not r.proven}
    assert "G2" in broken
    failures = protocolkit.run_cases(edited, protocolkit.load_cases(work)).failures
    assert "incident_logs" in set(failures["request"])


def test_dropping_the_sign_off_condition_breaks_the_dpia_guarantee(work):
    p = protocolkit.load(work)
    p.rule("SF-ID-01").when = {}
    protocolkit.save(p)
    edited = protocolkit.load(work)
    assert [r.guarantee.id for r in check_guarantees(edited).results if not r.proven] == ["G4"]
    failures = protocolkit.run_cases(edited, protocolkit.load_cases(work)).failures
    assert set(failures["request"]) == {"dwp_flags_early"}


def test_sample_data_is_synthetic():
    text = "\n".join(path.read_text() for path in EXAMPLE.rglob("*.yaml"))
    assert "synthetic" in text.lower()
    assert not re.search(r"\b\d{3}\s?\d{3}\s?\d{4}\b", text)  # nothing shaped like an NHS number
    emails = re.findall(r"[\w.]+@([\w.]+)", text)
    assert emails and all(domain.endswith(".example") for domain in emails)
