"""Whose data a request is about (docs/semantics.md section 16): roles, rules limited to them, facts per person."""

from __future__ import annotations

import pytest

from protocolkit.engine import Request, decide, decide_many
from protocolkit.engine.guarantees import check_guarantee
from protocolkit.errors import ProtocolError, UnknownValueError
from protocolkit.model.checks import check_protocol
from protocolkit.model.guarantees import Guarantee
from protocolkit.model.protocol import Protocol

CONSENT = ["given", "refused", "not_sought", "unsafe_to_seek"]


def protocol(rules, **extra) -> Protocol:
    return Protocol.model_validate({
        "metadata": {"id": "subjects", "title": "Whose data", "version": "1", "owner": "police"},
        "partners": [{"id": "police", "name": "Police", "kind": "police"},
                     {"id": "idva", "name": "IDVA service", "kind": "early_help"},
                     {"id": "probation", "name": "Probation", "kind": "probation"}],
        "subjects": [{"id": "victim", "label": "The victim"},
                     {"id": "alleged_perpetrator", "label": "The alleged perpetrator"}],
        "facts": [{"id": "consent", "label": "Consent?", "values": CONSENT, "per_subject": True}],
        "rules": rules, **extra})


def rule(rule_id, outcome, **scope):
    return {"id": rule_id, "title": rule_id, "from": "any", "to": "any", "categories": "any", "stages": "any",
            "purposes": "any", "outcome": outcome, "rationale": "test", **scope}


ASK = {"from": "police", "to": "idva", "categories": ["criminal.domestic_abuse_incidents"], "stage": "plan",
       "purpose": "safeguarding"}


@pytest.fixture
def apart():
    """His record goes whatever his consent; her details never go to probation; refusal respected otherwise."""
    return protocol([
        rule("HIS", "share", about=["alleged_perpetrator"], priority=1),
        rule("HERS", "refuse", about=["victim"], to={"partners": ["probation"]}, priority=2),
        rule("REFUSED", "refuse", when={"consent": "refused"}),
        rule("VICTIM-AGREED", "share", when={"consent@victim": "given"}),
    ])


def test_a_rule_limited_to_a_role_matches_only_requests_about_it(apart):
    his = decide(apart, {**ASK, "about": "alleged_perpetrator", "facts": {"consent": "refused"}})
    assert (his.outcome, his.rule) == ("share", "HIS")
    assert "about the alleged perpetrator" in his.explanation
    assert "the request is about the alleged perpetrator" in his.explanation
    nobody = decide(apart, {**ASK, "facts": {"consent": "refused"}})
    assert (nobody.outcome, nobody.rule) == ("refuse", "REFUSED")  # no role named: the old reading


def test_a_plain_condition_reads_the_subjects_own_value(apart):
    # her consent is given, his refused: a request about her reads hers, about nobody reads the plain value
    facts = {"consent": {"victim": "given", "alleged_perpetrator": "refused"}}
    about_her = decide(apart, {**ASK, "about": "victim", "facts": facts})
    assert (about_her.outcome, about_her.rule) == ("share", "VICTIM-AGREED")
    to_probation = decide(apart, {**ASK, "to": "probation", "about": "victim", "facts": facts})
    assert (to_probation.outcome, to_probation.rule) == ("refuse", "HERS")
    flat = decide(apart, {**ASK, "about": "victim", "facts": {"consent@victim": "refused"}})
    assert flat.rule == "REFUSED"  # consent@victim about the victim is her consent, read by the plain condition


def test_a_named_role_is_read_whoever_the_request_is_about(apart):
    about_him = decide(apart, {**ASK, "about": "alleged_perpetrator", "facts": {"consent@victim": "given"}})
    assert set(about_him.categories[0].rules_matched) == {"HIS", "VICTIM-AGREED"}


def test_two_values_for_the_subject_and_unknown_roles_are_bad_input(apart):
    with pytest.raises(ProtocolError, match="two values"):
        decide(apart, {**ASK, "about": "victim", "facts": {"consent": "given", "consent@victim": "refused"}})
    with pytest.raises(UnknownValueError, match="victm"):
        decide(apart, {**ASK, "about": "victm"})
    with pytest.raises(ProtocolError, match="not per subject"):
        decide(apart, {**ASK, "facts": {"risk@victim": "red"}})


def test_decide_many_reads_roles_and_per_person_facts_as_decide_does(apart):
    requests = [Request("police", target, ("criminal.domestic_abuse_incidents",), "plan", "safeguarding", facts, about=role)
                for target in ("idva", "probation") for role in (None, "victim", "alleged_perpetrator")
                for facts in ({}, {"consent": "refused"}, {"consent": {"victim": "given"}})]
    table = decide_many(apart, requests)
    assert table["outcome"].astype(str).tolist() == [decide(apart, r).outcome for r in requests]
    assert table["explanation"].tolist() == [decide(apart, r).explanation for r in requests]


def test_a_guarantee_about_a_role_is_checked_over_every_request_about_it(apart):
    kept = Guarantee.model_validate({"id": "G", "kind": "never", "statement": "Nothing about her reaches probation.",
                                     "to": {"partners": ["probation"]}, "about": ["victim"]})
    result = check_guarantee(apart, kept)
    assert result.proven
    broken = Guarantee.model_validate({"id": "H", "kind": "never", "statement": "Nothing reaches probation.",
                                       "to": {"partners": ["probation"]}})
    result = check_guarantee(apart, broken)
    assert not result.proven and result.counterexample.about in (None, "alleged_perpetrator")
    assert result.decision.outcome == "share"


def test_located_errors_for_roles_and_per_subject_facts():
    bad = Protocol.model_validate({
        "metadata": {"id": "bad", "title": "Bad", "version": "1", "owner": "police"},
        "partners": [{"id": "police", "name": "Police", "kind": "police"}],
        "facts": [{"id": "consent", "label": "Consent?", "values": CONSENT, "per_subject": True}],
        "rules": [rule("R1", "refuse", about=["victim"], when={"consent@victim": "refused"})]})
    findings = {(f.code, f.key) for f in check_protocol(bad)}
    assert ("PK110", "facts[consent].per_subject") in findings
    assert ("PK110", "rules[R1].about[0]") in findings
    assert ("PK110", "rules[R1].when.consent@victim") in findings


def test_the_old_format_reads_as_before():
    old = protocol([rule("REFUSED", "refuse", when={"consent": "refused"})])
    old = Protocol.model_validate({**old.model_dump(by_alias=True, exclude_none=True), "subjects": [],
                                   "facts": []})
    assert decide(old, {**ASK, "facts": {"consent": "refused"}}).rule == "REFUSED"
    assert "subjects" not in old.model_dump(by_alias=True, exclude_none=True)
