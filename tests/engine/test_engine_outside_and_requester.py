"""Parties outside the partnership and who asked (docs/semantics.md sections 1 and 2).

Expectations from the domain notes: a subject access request is the person's right (UK GDPR
Art 15) and is handled by the data protection officer, not by a caseworker's sharing decision
(ICO data sharing code, 1.2/1.6); the police neither confirm nor deny to a member of the public
whether a family is known to them (DPA 2018 Part 3 / FOIA practice, [K]); a landlord is an
organisation outside the partnership and gets nothing without a rule (default deny). Proactive
reporting and answering a formal request are different situations (issue 8): a rule may say so.
"""

from __future__ import annotations

import pandas as pd
import pytest

from handbuilt import build, one, request, rule
from protocolkit import UnknownValueError
from protocolkit.engine import decide, decide_many, run_cases, why_not
from protocolkit.model.cases import Case

OUTSIDE = ["data_subject", "family_member", "public",
           {"id": "landlord", "kind": "organisation", "label": "A private landlord"}]
RULES = [
    rule("R-SAR", "escalate", sender={"partners": ["csc"]}, to={"outside": ["data_subject"]},
         escalate_to="Data protection officer", obligations=["record_decision"]),
    rule("R-NCND", "neither_confirm_nor_deny", sender={"kinds": ["police"]}, to={"outside": ["public"]}),
    rule("R-ORG", "refuse", to={"outside": ["organisation"]}),
    rule("R-ASKED", "share", sender={"partners": ["school"]}, to={"partners": ["csc"]}, requested_by=["recipient"]),
    rule("R-OWN", "share_minimum", sender={"partners": ["school"]}, to={"partners": ["csc"]},
         requested_by=["proactive"]),
    rule("R-ANY", "share", sender="any", to="any", categories=["education.attendance"]),
]
PROTOCOL = build(RULES, outside=OUTSIDE)


def test_a_subject_access_request_goes_to_the_dpo_and_is_recorded():
    got = one(PROTOCOL, "csc", "data_subject", "health.physical", requester="data_subject")
    assert (got.outcome, got.escalate_to, got.rule) == ("escalate", "Data protection officer", "R-SAR")
    assert "record_decision" in got.obligations
    assert "The person the information is about" in got.explanation


def test_police_neither_confirm_nor_deny_to_the_public():
    got = one(PROTOCOL, "police", "public", "criminal.intelligence")
    assert (got.outcome, got.rule) == ("neither_confirm_nor_deny", "R-NCND")
    assert "neither confirms nor denies" in got.explanation


def test_a_named_outside_organisation_is_reached_by_its_kind():
    assert one(PROTOCOL, "keyworker", "landlord", "household.composition").rule == "R-ORG"


def test_any_never_reaches_outside_the_partnership():
    # R-ANY shares attendance from any partner to any partner; a family member is neither
    got = one(PROTOCOL, "school", "family_member", "education.attendance")
    assert (got.outcome, got.rules_matched) == ("gap", ())
    assert one(PROTOCOL, "school", "csc", "education.attendance").outcome == "share"


def test_an_undeclared_outside_kind_is_an_error_that_says_how_to_declare_it():
    with pytest.raises(UnknownValueError) as info:
        decide(build(RULES[:1]), request("csc", "data_subject", "health.physical"))
    assert "outside: [data_subject]" in str(info.value)
    with pytest.raises(UnknownValueError) as info:
        decide(PROTOCOL, request("csc", "landlrd", "health.physical"))
    assert info.value.suggestions == ["landlord"] and "declare someone outside the partnership" in str(info.value)


def test_an_outside_party_that_is_also_a_partner_is_an_error():
    from protocolkit.model.checks import check_protocol

    protocol = build([], outside=[{"id": "school", "kind": "organisation", "label": "x"}])
    assert any(f.code == "PK111" and "outside" in f.key for f in check_protocol(protocol))


@pytest.mark.parametrize("requester, requested_by, outcome, rule_id", [
    ("csc", None, "share", "R-ASKED"),           # the recipient asked
    ("school", None, "share_minimum", "R-OWN"),  # the school reports on its own initiative
    ("police", None, "gap", None),               # a third partner asked: no rule says
    (None, None, "gap", None),                   # nobody said who asked: unknown is never assumed
    (None, "recipient", "share", "R-ASKED"),     # the relation given without a name
])
def test_rules_can_condition_on_who_asked(requester, requested_by, outcome, rule_id):
    req = request("school", "csc", "education.exclusions", requester=requester, requested_by=requested_by)
    got = decide(PROTOCOL, req).categories[0]
    assert (got.outcome, got.rule) == (outcome, rule_id)
    table = decide_many(PROTOCOL, [req])
    assert (str(table["outcome"][0]), table["rule"][0] if isinstance(table["rule"][0], str) else None) == (outcome, rule_id)


def test_a_requester_that_contradicts_requested_by_is_an_error():
    with pytest.raises(Exception, match="give one of them"):
        request("school", "csc", "education", requester="csc", requested_by="proactive")


def test_decide_many_reads_requester_columns_and_checks_the_names():
    table = pd.DataFrame({"from": ["school", "school"], "to": ["csc", "csc"], "category": ["education.exclusions"] * 2,
                          "stage": ["referral"] * 2, "purpose": ["safeguarding"] * 2, "requester": ["csc", "school"]})
    assert decide_many(PROTOCOL, table)["rule"].tolist() == ["R-ASKED", "R-OWN"]
    with pytest.raises(UnknownValueError):
        decide_many(PROTOCOL, table.assign(requester=["csk", "school"]))


def test_why_not_names_who_would_have_to_ask():
    rows = why_not(PROTOCOL, request("school", "csc", "education.exclusions", requester="police"))
    asked = rows[rows["rule"] == "R-ASKED"].iloc[0]
    assert "the recipient asked" in " ".join(asked["scope_changes"])


def test_a_case_run_decides_and_records_a_request_to_an_outside_party():
    case = Case.model_validate({"id": "sar", "title": "A mother asks for her records", "steps": [{
        "stage": "closure", "requests": [{"from": "csc", "to": "data_subject", "categories": ["health.physical"],
                                          "purpose": "safeguarding", "requester": "data_subject",
                                          "expect": {"outcome": "escalate"}}]}]})
    results = run_cases(PROTOCOL, [case])
    assert results.ok
    row = results.decisions.iloc[0]
    assert (row["to"], row["rule"], row["escalate_to"]) == ("data_subject", "R-SAR", "Data protection officer")
