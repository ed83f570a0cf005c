"""The regime of each flow (docs/semantics.md section 4) and the richer case expectations (section 7).

Domain notes 3.6 and the 2026-11-27 corrections: DPA 2018 Part 3 covers a competent authority's law
enforcement purposes only; police sharing for safeguarding is UK GDPR processing (Art 6/9/10),
authorised under s36(4) [K].
"""

from __future__ import annotations

from handbuilt import build, one, rule
from protocolkit.engine import decide_many, run_cases
from protocolkit.model.cases import Case
from protocolkit.model.checks import check_protocol

RULES = [rule("R-ALL", "share"), rule("R-ESC", "escalate", categories=["health"], escalate_to="IG lead")]
PROTOCOL = build(RULES)


def test_police_sharing_for_crime_prevention_is_part3_and_for_safeguarding_uk_gdpr():
    assert one(PROTOCOL, "police", "csc", purpose="crime_prevention").regime == "part3"
    assert one(PROTOCOL, "police", "csc", purpose="safeguarding").regime == "uk_gdpr"
    assert one(PROTOCOL, "school", "police", purpose="crime_prevention").regime == "uk_gdpr"
    table = decide_many(PROTOCOL, [{"from": "police", "to": "csc", "categories": ["education"],
                                    "stage": "screening", "purpose": "crime_prevention"}])
    assert table["regime"].tolist() == ["part3"]
    assert "DPA 2018 Part 3" in table["explanation"][0]


def test_validation_flags_part3_bases_on_a_uk_gdpr_flow():
    # a school is no competent authority: even for crime prevention its disclosures are UK GDPR processing
    protocol = build([rule("R-S35", "share", sender={"kinds": ["school"]}, purposes=["crime_prevention"],
                           lawful_bases=["DPA18.s35"])])
    found = [f for f in check_protocol(protocol) if f.code == "PK208"]
    assert len(found) == 1 and "UK GDPR processing" in found[0].message
    fine = build([rule("R-S35", "share", sender={"kinds": ["police"]}, purposes=["crime_prevention"],
                       lawful_bases=["DPA18.s35"])])
    assert not [f for f in check_protocol(fine) if f.code == "PK208"]


def _case(expect, categories=("education.attendance",), purpose="safeguarding"):
    return Case.model_validate({"id": "c", "title": "t", "steps": [{"stage": "referral", "requests": [{
        "from": "police", "to": "csc", "categories": list(categories), "purpose": purpose, "expect": expect}]}]})


def test_expectations_accept_one_of_several_outcomes_and_forbid_others():
    assert run_cases(PROTOCOL, [_case({"outcome": ["share", "share_minimum"]})]).ok
    assert run_cases(PROTOCOL, [_case({"not": ["refuse", "gap"]})]).ok
    failed = run_cases(PROTOCOL, [_case({"not": ["share"]})])
    assert not failed.ok and "anything but share" in failed.failures["problems"].iloc[0][0]


def test_expectations_check_escalation_role_regime_and_fallback():
    assert run_cases(PROTOCOL, [_case({"outcome": "escalate", "escalate_to": "IG lead", "fallback": False},
                                      categories=["health"])]).ok
    wrong = run_cases(PROTOCOL, [_case({"outcome": "escalate", "escalate_to": "DPO"}, categories=["health"])])
    assert "expected escalation to DPO, got IG lead" in wrong.failures["problems"].iloc[0]
    assert run_cases(PROTOCOL, [_case({"outcome": "share", "regime": "part3"}, purpose="crime_prevention")]).ok
    assert not run_cases(PROTOCOL, [_case({"outcome": "share", "regime": "part3"})]).ok
    with_fallback = build([], fallbacks=[{"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
                                          "escalate_to": "MASH manager", "rationale": "r"}])
    assert run_cases(with_fallback, [_case({"outcome": "escalate", "fallback": "front_door"})]).ok
    assert not run_cases(with_fallback, [_case({"outcome": "escalate", "fallback": False})]).ok
