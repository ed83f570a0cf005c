"""Deadlines counted in working time, and the named points working practice uses (docs/semantics.md section 17):
``4_working_hours``, ``1_working_day``, ``next_school_day``, ``date_set`` from a notice. On hand-built protocols:
the model and its located errors, the PK125 hint, decide's explanation, the guarantee checker's comparisons,
the canonical JSON and its schema, ODRL, the agreement's notes, and the example's deadlines.

The expectations come from the practice they encode, written before the code ran: a working-hours timescale
(Surrey police MASH, domain notes 9: 4 working hours at high risk, 24 at medium) is not a clock duration, so it
never meets a clock-time requirement; "within one working day" (Working Together 2023, a referral decided within
one working day, domain notes [V]) is no later than the end of the next working day and no earlier than the
same working day; Operation Encompass notifies "before the start of the next school day" (statutory guidance,
domain notes [V]); a DWP notice under SSAA 1992 s109B sets its own date.
"""

from __future__ import annotations

import json

import jsonschema
import pytest
from pydantic import ValidationError

import protocolkit
from handbuilt import build, rule
from protocolkit.engine import decide
from protocolkit.engine.guarantees import check_guarantee
from protocolkit.model.guarantees import Guarantee, duration_at_most, obligation_meets
from protocolkit.model.rules import Obligation
from test_guarantees_brute_force import brute_force

WORKING_HOURS = {"deadline": {"within": "4_working_hours", "from": "request"}}
ONE_DAY = {"deadline": {"within": "1_working_day", "from": "referral_received"}}
SCHOOL_DAY = {"deadline": {"within": "next_school_day", "from": "incident"}}
NOTICE = {"deadline": {"within": "date_set", "from": "notice"}}
REQUEST = {"from": "police", "to": "csc", "categories": ["criminal.intelligence"], "stage": "referral",
           "purpose": "safeguarding"}


def _protocol(obligations):
    return build([rule("R", sender={"partners": ["police"]}, to={"partners": ["csc"]},
                       categories=["criminal.intelligence"], obligations=list(obligations))])


# -- the model -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, words", [
    (WORKING_HOURS, "deadline: within 4 working hours of the request"),
    (ONE_DAY, "deadline: within 1 working day of receipt of the referral"),
    ({"deadline": {"within": "5_working_days", "from": "decision"}}, "deadline: within 5 working days of the decision"),
    (SCHOOL_DAY, "deadline: before the start of the next school day after the incident"),
    (NOTICE, "deadline: by the date the notice sets"),
])
def test_working_time_reads_in_words_and_writes_back_as_data(data, words):
    o = Obligation.model_validate(data)
    assert str(o) == words
    assert o.model_dump() == data


@pytest.mark.parametrize("bad, words", [
    ({"deadline": {"within": "0_working_days"}}, "is not a duration"),        # a count of at least one
    ({"deadline": {"within": "4 working hours"}}, "4_working_hours"),        # words: the fix shows the data form
    ({"deadline": {"within": "4_working_weeks"}}, "is not a duration"),       # hours and days only
    ({"deadline": {"within": "date_set"}}, "from: notice"),                   # a date set by... the disclosure?
    ({"deadline": {"within": "date_set", "from": "incident"}}, "from: notice"),
])
def test_a_malformed_working_time_deadline_is_refused_with_the_fix(bad, words):
    with pytest.raises(ValidationError) as error:
        Obligation.model_validate(bad)
    assert words in str(error.value)


def test_a_bad_deadline_in_a_protocol_file_is_located(tmp_path):
    from protocolkit.model.loading import load_with_findings

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(
        "metadata: {id: t, title: T, version: '1', owner: police}\n"
        "partners:\n  - {id: police, name: Police, kind: police}\n  - {id: csc, name: CSC, kind: childrens_social_care}\n"
        "rules:\n"
        "  - id: R1\n    title: One\n    from: any\n    to: any\n    categories: [identity]\n    stages: any\n"
        "    purposes: any\n    outcome: share\n    lawful_bases: [UKGDPR.6.1.e, CA2004.s11]\n    rationale: r\n"
        "    obligations:\n      - deadline: {within: date_set, from: disclosure}\n")
    protocol, findings = load_with_findings(folder)
    errors = [f for f in findings if f.severity.value == "error"]
    assert protocol is None and [f.line for f in errors] == [17], [f.format() for f in errors]
    assert "from: notice" in errors[0].format()


@pytest.mark.parametrize("text, data", [
    ("within 4 working hours", "{within: 4_working_hours, from: referral_received}"),
    ("within 24 working hours of the request", "{within: 24_working_hours, from: request}"),
    ("before the start of the next school day", "{within: next_school_day, from: referral_received}"),
    ("by the date the notice sets", "{within: date_set, from: notice}"),
    ("within one working day of the referral", "{within: 1_working_day, from: referral_received}"),
])
def test_the_free_text_hint_suggests_the_working_time_form(tmp_path, text, data):
    from protocolkit.model.loading import load_with_findings

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(
        "metadata: {id: t, title: T, version: '1', owner: police}\n"
        "partners:\n  - {id: police, name: Police, kind: police}\n  - {id: csc, name: CSC, kind: childrens_social_care}\n"
        "rules:\n"
        "  - id: R1\n    title: One\n    from: any\n    to: any\n    categories: [identity]\n    stages: any\n"
        "    purposes: any\n    outcome: share\n    lawful_bases: [UKGDPR.6.1.e, CA2004.s11]\n    rationale: r\n"
        f"    obligations:\n      - deadline: {text}\n")
    protocol, findings = load_with_findings(folder)
    (hint,) = [f for f in findings if f.code == "PK125"]
    assert hint.line == 17 and f"deadline: {data}" in hint.fix


# -- decide and its explanation ---------------------------------------------------------------------------------

def test_decide_says_the_working_time_deadline_in_words():
    d = decide(_protocol([WORKING_HOURS, "secure_channel"]), REQUEST)
    assert d.obligations == ("deadline: within 4 working hours of the request", "secure_channel")
    assert "within 4 working hours of the request" in d.explanation


# -- what meets what (the guarantee checker) ---------------------------------------------------------------------

@pytest.mark.parametrize("duration, limit, at_most", [
    ("same_working_day", "1_working_day", True),        # the same day ends before a working day has run
    ("1_working_day", "next_working_day", True),         # ... which ends before the next day closes
    ("next_working_day", "1_working_day", False),
    ("next_working_day", "2_working_days", True),
    ("2_working_days", "next_working_day", False),
    ("1_working_day", "5_working_days", True),
    ("5_working_days", "1_working_day", False),
    ("4_working_hours", "24_working_hours", True),
    ("24_working_hours", "4_working_hours", False),
    ("4_working_hours", "1_working_day", False),         # how many hours a working day has is local
    ("4_working_hours", "PT24H", False),                 # working time never meets clock time ...
    ("PT4H", "4_working_hours", False),                  # ... either way (a weekend is not worked)
    ("1_working_day", "P1D", False),
    ("next_school_day", "next_working_day", False),      # the school's timetable, not the office's
    ("next_school_day", "next_school_day", True),
    ("date_set", "P1M", False),                          # the notice's date is the notice's
])
def test_working_time_compares_only_with_working_time_of_its_unit(duration, limit, at_most):
    assert duration_at_most(duration, limit) is at_most


def test_a_requirement_in_working_days_is_met_by_a_shorter_one_from_the_same_event():
    need = Obligation.model_validate({"deadline": {"within": "next_working_day", "from": "referral_received"}})
    assert obligation_meets(Obligation.model_validate(ONE_DAY), need)
    assert not obligation_meets(Obligation.model_validate(
        {"deadline": {"within": "1_working_day", "from": "request"}}), need)          # another event


@pytest.mark.parametrize("carried, proven", [
    ([ONE_DAY], True),
    ([{"deadline": {"within": "same_working_day", "from": "referral_received"}}], True),
    ([{"deadline": {"within": "2_working_days", "from": "referral_received"}}], False),
    ([{"deadline": {"within": "PT8H", "from": "referral_received"}}], False),   # clock hours are not a working day
])
def test_a_guarantee_on_a_working_day_deadline_is_checked_over_the_space(carried, proven):
    g = Guarantee.model_validate({
        "id": "G1", "statement": "Whatever police tell children's social care is acted on within a working day",
        "kind": "always", "from": {"partners": ["police"]}, "to": {"partners": ["csc"]},
        "categories": ["criminal.intelligence"], "when_outcome": ["share"],
        "obligations": [{"deadline": {"within": "1_working_day", "from": "referral_received"}}]})
    p = _protocol(carried)
    result = check_guarantee(p, g)
    assert result.proven is proven
    assert (result.proven, result.space_size) == brute_force(p, g)[::2]   # the oracle's own reading agrees


# -- exports ------------------------------------------------------------------------------------------------------

def test_canonical_json_holds_working_time_and_the_schema_checks_it():
    from protocolkit.export.canonical import canonical_dict, canonical_schema

    data = canonical_dict(_protocol([WORKING_HOURS, SCHOOL_DAY, NOTICE]))
    entry = next(r for r in data["rules"] if r["id"] == "R")
    assert [WORKING_HOURS, SCHOOL_DAY, NOTICE] == entry["obligations"]
    validator = jsonschema.Draft202012Validator(canonical_schema())
    validator.validate(data)
    entry["obligations"][0] = {"deadline": {"within": "4 working hours", "from": "request"}}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
    entry["obligations"][0] = {"deadline": {"within": "4_working_hours", "from": "the request"}}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


def test_odrl_gives_working_time_the_projects_term_not_an_xsd_duration():
    from protocolkit.export.odrl import odrl_policy

    policy = odrl_policy(_protocol([WORKING_HOURS, NOTICE]))
    node = next(n for n in policy["odrl:permission"] if n["pk:ruleId"] == "R")
    hours, notice = (duty["odrl:constraint"][0] for duty in node["odrl:duty"])
    assert hours["odrl:rightOperand"] == {"@id": "pk:duration/4_working_hours"}
    assert hours["pk:from"] == {"@id": "pk:event/request"}
    assert notice["odrl:rightOperand"] == {"@id": "pk:duration/date_set"}
    assert "xsd:duration" not in json.dumps(node)


def test_the_agreement_explains_only_the_kinds_of_deadline_the_rules_use():
    from protocolkit.export.documents.context import deadline_notes

    assert deadline_notes(_protocol(["record_decision"])) == []
    notes = deadline_notes(_protocol([WORKING_HOURS]))
    assert len(notes) == 1 and "stops overnight, at weekends and on public holidays" in notes[0]
    assert [n.split()[0] for n in deadline_notes(_protocol([ONE_DAY, NOTICE]))] == ["A", "Where"]


# -- the example ----------------------------------------------------------------------------------------------------

def test_the_example_writes_its_working_time_deadlines_as_data():
    p = protocolkit.load(protocolkit.example_path("mash"))
    by_rule = {r.id: [str(o) for o in r.obligations if o.type == "deadline"] for r in p.rules}
    assert by_rule["R-SCR-03"] == ["deadline: within 4 working hours of the request"]
    assert any("next school day after the incident" in o for r in by_rule.values() for o in r)
    assert any(o.startswith("deadline: by the date the notice sets") for r in by_rule.values() for o in r)
    # what stays in words depends on the rating or the plan the rule matches, and says so
    words = sorted({o for r in by_rule.values() for o in r if "working" in o and " of " not in o
                    and "after" not in o and "as " not in o})
    assert words == ["deadline: the same working day for a child protection plan; within 5 working days otherwise",
                     "deadline: within 4 working hours at red, 24 working hours at amber"]
