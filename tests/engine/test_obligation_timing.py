"""Obligations with a timing (before or after the disclosure) and deadlines as data (docs/semantics.md
section 17), on hand-built protocols: the model and its errors, the PK125 hint, decide and decide_many with
their explanations, case expectations, impact, canonical JSON and schema, ODRL, Rego and Cedar."""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import ValidationError

from handbuilt import build, rule
from protocolkit.engine import decide, decide_many
from protocolkit.engine.impact import space_impact
from protocolkit.model.rules import Obligation

RECORD_AFTER = {"record_decision": {"timing": "after", "within": "PT24H", "from": "disclosure"}}
SAME_DAY = {"deadline": {"within": "same_working_day", "from": "referral_received"}}
TELL_BEFORE = {"inform_family": {"timing": "before", "detail": "by telephone"}}
REQUEST = {"from": "police", "to": "csc", "categories": ["criminal.intelligence"], "stage": "referral",
           "purpose": "safeguarding"}


def _emergency(obligations=(RECORD_AFTER, SAME_DAY, "secure_channel")):
    return build([rule("EMG", sender={"partners": ["police"]}, to={"partners": ["csc"]},
                       categories=["criminal.intelligence"], obligations=list(obligations),
                       lawful_bases=["UKGDPR.6.1.d"])])


# -- the model -----------------------------------------------------------------------------------------------

def test_an_obligation_reads_its_timing_and_deadline_and_writes_them_back():
    o = Obligation.model_validate(RECORD_AFTER)
    assert (o.type, o.timing, o.within, o.from_, o.detail) == ("record_decision", "after", "PT24H", "disclosure", None)
    assert o.model_dump() == RECORD_AFTER
    assert str(o) == "record_decision: after the disclosure, within 24 hours of the disclosure"
    assert str(Obligation.model_validate(SAME_DAY)) == "deadline: on the same working day as receipt of the referral"
    assert str(Obligation.model_validate(TELL_BEFORE)) == "inform_family: by telephone; before the disclosure"


def test_the_event_defaults_to_the_disclosure():
    o = Obligation.model_validate({"deadline": {"within": "P1D"}})
    assert o.from_ == "disclosure" and str(o) == "deadline: within 1 day of the disclosure"


def test_old_free_text_deadlines_still_load_as_text():
    o = Obligation.model_validate({"deadline": "within 4 working hours"})
    assert (o.detail, o.within, o.timing) == ("within 4 working hours", None, None)
    assert o.model_dump() == {"deadline": "within 4 working hours"} and str(o) == "deadline: within 4 working hours"


@pytest.mark.parametrize("bad, words", [
    ({"deadline": {"within": "24 hours"}}, "is not a duration"),
    ({"deadline": {"from": "disclosure"}}, "needs 'within'"),
    ({"record_decision": {"timing": "later"}}, "timing"),
    ({"record_decision": {"when": "after"}}, "has no key 'when'"),
    ({"deadline": {"within": "PT4H", "from": "the incident"}}, "from"),
])
def test_a_malformed_timing_or_deadline_is_refused_with_the_fix(bad, words):
    with pytest.raises(ValidationError) as error:
        Obligation.model_validate(bad)
    assert words in str(error.value)


def test_a_free_text_deadline_gets_a_located_hint_and_data_does_not(tmp_path):
    from protocolkit.model.loading import load_with_findings

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(
        "metadata: {id: t, title: T, version: '1', owner: police}\n"
        "partners:\n  - {id: police, name: Police, kind: police}\n  - {id: csc, name: CSC, kind: childrens_social_care}\n"
        "rules:\n"
        "  - id: R1\n    title: One\n    from: any\n    to: any\n    categories: [identity]\n    stages: any\n"
        "    purposes: any\n    outcome: share\n    lawful_bases: [UKGDPR.6.1.e, CA2004.s11]\n    rationale: r\n"
        "    obligations:\n      - deadline: within 24 hours of the incident\n"
        "      - deadline: {within: PT4H, from: referral_received}\n")
    protocol, findings = load_with_findings(folder)
    hints = [f for f in findings if f.code == "PK125"]
    assert protocol is not None and len(hints) == 1
    assert hints[0].severity.value == "info" and hints[0].line == 17
    assert "{within: PT24H, from: incident}" in hints[0].fix


# -- decide, decide_many, the explanation --------------------------------------------------------------------

def test_decide_carries_the_timing_and_the_explanation_says_sharing_does_not_wait():
    d = decide(_emergency(), REQUEST)
    assert d.outcome == "share"
    assert d.obligations == ("record_decision: after the disclosure, within 24 hours of the disclosure",
                             "deadline: on the same working day as receipt of the referral", "secure_channel")
    assert ("They must act on the same working day as receipt of the referral and use a secure channel. "
            "After the disclosure (sharing does not wait for it), they must record the decision and the reasons "
            "for it within 24 hours of the disclosure.") in d.explanation


def test_an_obligation_before_the_disclosure_is_said_first():
    d = decide(_emergency([TELL_BEFORE, "secure_channel"]), REQUEST)
    assert "Before sharing, they must tell the family what was shared and why (by telephone). " \
           "They must use a secure channel." in d.explanation


def test_decide_many_gives_the_same_obligations_and_explanation():
    p = _emergency()
    table = decide_many(p, [REQUEST])
    d = decide(p, REQUEST)
    assert tuple(table["obligations"].iat[0]) == d.obligations
    assert table["explanation"].iat[0] == d.categories[0].explanation


def test_a_kept_obligation_keeps_its_timing():
    # EMG at priority 1 overrides R2, whose after-the-disclosure record survives the override (section 12)
    p = build([rule("EMG", sender={"partners": ["police"]}, to={"partners": ["csc"]}, priority=1,
                    categories=["criminal.intelligence"], obligations=["secure_channel"]),
               rule("R2", sender={"partners": ["police"]}, to={"partners": ["csc"]}, categories=["criminal"],
                    obligations=[RECORD_AFTER])])
    d = decide(p, REQUEST)
    assert d.obligations == ("secure_channel", "record_decision: after the disclosure, within 24 hours of the disclosure")
    assert "Kept from overridden rule R2: record_decision: after the disclosure" in d.explanation


# -- cases, impact -------------------------------------------------------------------------------------------

def _case(expect):
    from protocolkit.model.cases import Case

    return Case.model_validate({"id": "c", "title": "C", "steps": [{"id": "s", "stage": "referral", "requests": [
        {"from": "police", "to": "csc", "categories": ["criminal.intelligence"], "purpose": "safeguarding",
         "expect": expect}]}]})


@pytest.mark.parametrize("obligations, passed, problem", [
    ([RECORD_AFTER], True, None),
    (["record_decision"], False, "not done after the disclosure: record_decision (present, but not timed after"),
    (["secure_channel"], False, "not done after the disclosure: record_decision"),
])
def test_a_case_can_ask_for_an_obligation_done_after_the_disclosure(obligations, passed, problem):
    from protocolkit.engine.cases import run_cases

    results = run_cases(_emergency(obligations), [_case({"outcome": "share", "after_disclosure": ["record_decision"]})])
    row = results.expectations.iloc[0]
    assert bool(row["passed"]) is passed
    if problem:
        assert problem in " ".join(row["problems"])


def test_moving_an_obligation_after_the_disclosure_shows_in_the_impact():
    old = _emergency(["record_decision", "secure_channel"])
    new = _emergency([RECORD_AFTER, "secure_channel"])
    impact = space_impact(old, new)
    assert impact.changed > 0
    assert set(impact.groups["old_rule"]) == set(impact.groups["new_rule"]) == {"EMG"}
    assert {str(c) for c in impact.groups["changed"]} == {"obligations"} or all(
        "obligations" in c for c in impact.groups["changed"])
    assert space_impact(new, new).changed == 0


# -- exports --------------------------------------------------------------------------------------------------

def test_canonical_json_holds_the_data_and_the_schema_checks_it():
    from protocolkit.export.canonical import canonical_dict, canonical_schema

    data = canonical_dict(_emergency())
    rule_entry = next(r for r in data["rules"] if r["id"] == "EMG")
    assert RECORD_AFTER in rule_entry["obligations"] and SAME_DAY in rule_entry["obligations"]
    validator = jsonschema.Draft202012Validator(canonical_schema())
    validator.validate(data)
    rule_entry["obligations"][0] = {"record_decision": {"timing": "after", "within": "24 hours"}}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
    rule_entry["obligations"][0] = {"record_decision": {"timing": "later"}}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


def test_odrl_duties_carry_the_timing_and_the_deadline_as_constraints():
    from protocolkit.export.odrl import odrl_policy

    policy = odrl_policy(_emergency())
    text = json.dumps(policy)
    rule_node = next(n for n in policy["odrl:permission"] if n["pk:ruleId"] == "EMG")
    record, deadline, _ = rule_node["odrl:duty"]
    timing, within = record["odrl:constraint"]
    assert (timing["odrl:leftOperand"], timing["odrl:operator"], timing["odrl:rightOperand"]) == (
        {"@id": "odrl:event"}, {"@id": "odrl:gt"}, {"@id": "pk:event/disclosure"})
    assert (within["odrl:leftOperand"], within["odrl:operator"], within["odrl:rightOperand"], within["pk:from"]) == (
        {"@id": "odrl:elapsedTime"}, {"@id": "odrl:lteq"}, {"@value": "PT24H", "@type": "xsd:duration"},
        {"@id": "pk:event/disclosure"})
    (same_day,) = deadline["odrl:constraint"]
    assert same_day["odrl:rightOperand"] == {"@id": "pk:duration/same_working_day"}
    assert same_day["pk:from"] == {"@id": "pk:event/referral_received"}
    assert "odrl:constraint" not in rule_node["odrl:duty"][2] and "secure_channel" in text
