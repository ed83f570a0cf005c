"""Duty, permission or discretion (docs/semantics.md section 4a): the worked example, written from the section
before running it; located errors; the old format; guarantees that promise a duty; diff and why-not."""

from __future__ import annotations

import pytest

import protocolkit
from protocolkit.engine import decide
from protocolkit.engine.guarantees import check_guarantee
from protocolkit.engine.impact import space_impact
from protocolkit.errors import ProtocolValidationError
from protocolkit.export.canonical import canonical_json
from protocolkit.model.protocol import Protocol
from protocolkit.model.checks import check_protocol

ENCOMPASS = {"from": "police", "to": "school", "categories": ["criminal.encompass_notification"],
             "stage": "referral", "purpose": "safeguarding"}
EARLY_HELP = {"from": "school", "to": "early_help", "categories": ["education.attendance"], "stage": "referral",
              "purpose": "family_support", "facts": {"consent": "given", "risk": "green"}}
DSL = "the referring agency's safeguarding lead (a school's designated safeguarding lead)"


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


def base(**rule) -> Protocol:
    return Protocol.model_validate({
        "metadata": {"id": "modes", "title": "Modes", "version": "1", "owner": "a"},
        "partners": [{"id": "a", "name": "Police", "kind": "police"}, {"id": "b", "name": "School", "kind": "school"}],
        "rules": [{"id": "R1", "title": "t", "from": "any", "to": "any", "categories": ["education"],
                   "stages": "any", "purposes": "any", "outcome": "share", "lawful_bases": ["UKGDPR.6.1.e"],
                   "rationale": "r", **rule}]})


def test_operation_encompass_is_a_duty(mash):
    """Worked example: R-REF-06 (DAA 2021 s49A, an unverified legal point) decides share, as a duty."""
    d = decide(mash, ENCOMPASS)
    (category,) = d.categories
    assert (d.outcome, d.rule, category.sharing, category.decided_by) == ("share", "R-REF-06", "required", None)
    assert d.must_share == ("criminal.encompass_notification",)
    assert "Northbridge Constabulary must share" in d.explanation and "a duty, not only a permission" in d.explanation


def test_referral_to_early_help_is_the_dsls_judgement(mash):
    """Worked example: R-REF-11 shares with sharing: discretion, decided by the referrer's safeguarding lead."""
    d = decide(mash, EARLY_HELP)
    (category,) = d.categories
    assert (d.outcome, d.rule, category.sharing, category.decided_by) == ("share", "R-REF-11", "discretion", DSL)
    assert d.must_share == ()
    assert f"may share attendance with Northbridge Early Help and Supporting Families Service at referral for " \
           f"early help and family support if {DSL} judges it appropriate" in d.explanation
    assert "record who made it, and why" in d.explanation


def test_a_decision_that_does_not_share_has_no_mode(mash):
    d = decide(mash, {**ENCOMPASS, "categories": ["criminal.intelligence"]})   # R-REF-07 refuses beyond Encompass
    assert d.outcome == "refuse" and d.categories[0].sharing is None


def test_old_format_loads_as_permitted_and_keeps_its_canonical_bytes():
    old = base()
    assert old.rules[0].sharing == "permitted" and old.rules[0].decided_by is None
    import json

    (rule,) = json.loads(canonical_json(old))["rules"]
    assert "sharing" not in rule and "decided_by" not in rule   # the old canonical form, and its hash, unchanged
    made = json.loads(canonical_json(base(sharing="required")))["rules"][0]
    assert made["sharing"] == "required"
    assert decide(old, {"from": "a", "to": "b", "categories": ["education"], "stage": "referral",
                        "purpose": "safeguarding"}).categories[0].sharing == "permitted"


@pytest.mark.parametrize("rule, key, words", [
    ({"sharing": "discretion"}, "sharing", "does not say whose"),
    ({"decided_by": "the DSL"}, "decided_by", "nobody's judgement is needed"),
    ({"outcome": "refuse", "sharing": "required"}, "sharing", "shares nothing"),
])
def test_malformed_modes_are_located_errors(rule, key, words):
    findings = [f for f in check_protocol(base(**rule)) if f.code == "PK116"]
    assert findings and words in findings[0].message and key in findings[0].key


def test_a_guarantee_can_promise_a_duty(mash):
    """G5 promises Operation Encompass as a duty: proven; with R-REF-06 made a permission it fails."""
    g5 = next(g for g in mash.guarantees if g.id == "G5")
    assert g5.sharing == ["required"] and check_guarantee(mash, g5).proven
    weaker = mash.model_copy(deep=True)
    weaker.rule("R-REF-06").sharing = "permitted"
    result = check_guarantee(weaker, g5)
    assert not result.proven and result.decision.categories[0].sharing == "permitted"


def test_a_duty_becoming_a_permission_is_a_changed_decision(mash):
    weaker = mash.model_copy(deep=True)
    weaker.rule("R-REF-06").sharing = "permitted"
    impact = space_impact(mash, weaker)
    assert impact.changed > 0
    assert all(c == ["sharing"] for c in impact.groups["changed"])
    assert set(impact.groups["old_outcome"]) == {"share"} and set(impact.groups["new_rule"]) == {"R-REF-06"}


def test_why_not_names_the_mode_of_the_rule_that_could_share(mash):
    table = protocolkit.why_not(mash, {**EARLY_HELP, "facts": {"consent": "refused", "risk": "green"}})
    text = next(e for e in table["explanation"] if e.startswith("Rule R-REF-11"))
    assert text.startswith(f"Rule R-REF-11 (share, if {DSL} judges it appropriate) would apply if consent is given")


def test_guarantee_sharing_belongs_to_always():
    with pytest.raises(ValueError, match="belongs to 'always'"):
        from protocolkit.model.guarantees import Guarantee

        Guarantee.model_validate({"id": "G", "kind": "never", "statement": "s", "sharing": ["required"]})


def test_a_protocol_with_a_malformed_mode_is_not_exported():
    from protocolkit.export.canonical import ensure_exportable

    with pytest.raises(ProtocolValidationError, match="does not say whose"):
        ensure_exportable(base(sharing="discretion"))
