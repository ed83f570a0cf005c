"""Agreement-level defaults (docs/semantics.md section 18) on hand-built protocols: which rules inherit,
replace / add / none, the explanation naming each inherited item and its default, validation of the
section, the legal checks reading inherited bases, guarantees, the review and the exports."""

from __future__ import annotations

import pytest

from handbuilt import build, rule
from protocolkit.engine import decide, decide_many
from protocolkit.errors import ProtocolValidationError
from protocolkit.model.defaults import effective_rules

SECURITY = {"id": "security", "title": "Secure email for every share", "obligations": ["secure_channel"]}
POLICE = {"id": "police_bases", "senders": {"kinds": ["police"]}, "lawful_bases": ["UKGDPR.6.1.e", "POLICE.common_law"]}
SAFEGUARDING = {"id": "s11", "purposes": ["safeguarding"], "lawful_bases": ["CA2004.s11"]}
TO_HEALTH = {"id": "health_record", "recipients": {"kinds": ["health"]},
             "obligations": [{"record_decision": {"timing": "after", "within": "P1D"}}]}
REQUEST = {"from": "police", "to": "csc", "categories": ["criminal.intelligence"], "stage": "referral",
           "purpose": "safeguarding"}


def police_rule(rule_id="P1", outcome="share", **fields):
    return rule(rule_id, outcome, sender={"partners": ["police"]}, to={"partners": ["csc"]},
                categories=["criminal.intelligence"], purposes=["safeguarding"], **fields)


def _inherited(protocol):
    rules, inherited = effective_rules(protocol)
    return {r.id: (tuple(r.lawful_bases), tuple(str(o) for o in r.obligations)) for r in rules}, inherited


def test_a_rule_inside_every_level_inherits_them_all_in_declared_order():
    p = build([police_rule()], defaults=[SECURITY, POLICE, SAFEGUARDING, TO_HEALTH])
    rules, inherited = _inherited(p)
    assert rules["P1"] == (("UKGDPR.6.1.e", "POLICE.common_law", "CA2004.s11"), ("secure_channel",))
    assert [(i.value, i.default) for i in inherited["P1"]] == [
        ("secure_channel", "security"), ("UKGDPR.6.1.e", "police_bases"), ("POLICE.common_law", "police_bases"),
        ("CA2004.s11", "s11")]


@pytest.mark.parametrize("scope, inherits", [
    (dict(sender="any"), False),                                         # 'any' sender lies inside no partner level
    (dict(sender={"partners": ["police", "school"]}), False),             # part of the scope is not police
    (dict(sender={"kinds": ["police"]}), True),
    (dict(purposes="any"), True),                                         # the police level names no purpose
])
def test_a_rule_inherits_a_partner_level_only_when_its_whole_scope_lies_inside(scope, inherits):
    fields = dict(sender={"partners": ["police"]}, categories=["criminal.intelligence"], to={"partners": ["csc"]},
                  purposes=["safeguarding"])
    fields.update(scope)
    p = build([rule("P1", **fields)], defaults=[POLICE])
    rules, _ = _inherited(p)
    assert (rules["P1"][0] == ("UKGDPR.6.1.e", "POLICE.common_law")) is inherits


def test_replace_add_and_none():
    p = build([police_rule("OWN", lawful_bases=["UKGDPR.6.1.c"]),
               police_rule("ADD", lawful_bases=["UKGDPR.6.1.c"], inherit="add"),
               police_rule("NONE", inherit="none")], defaults=[SECURITY, POLICE])
    rules, _ = _inherited(p)
    assert rules["OWN"] == (("UKGDPR.6.1.c",), ("secure_channel",))   # its own bases replace; obligations inherited
    assert rules["ADD"] == (("UKGDPR.6.1.c", "UKGDPR.6.1.e", "POLICE.common_law"), ("secure_channel",))
    assert rules["NONE"] == ((), ())


def test_defaults_are_for_sharing_rules_unless_they_say_otherwise():
    record_all = {"id": "record_all", "obligations": ["record_decision"],
                  "outcomes": ["share", "share_minimum", "refuse", "escalate", "seek_consent"]}
    p = build([police_rule("NO", "refuse")], defaults=[SECURITY, record_all])
    rules, _ = _inherited(p)
    assert rules["NO"] == ((), ("record_decision",))


def test_decide_and_decide_many_carry_the_inherited_and_say_where_from():
    p = build([police_rule()], defaults=[SECURITY, POLICE, SAFEGUARDING])
    d = decide(p, REQUEST)
    assert d.lawful_bases == ("UKGDPR.6.1.e", "POLICE.common_law", "CA2004.s11")
    assert d.obligations == ("secure_channel",)
    # names first, ids after (the kind police by its name, the purpose by its label)
    assert ("Inherited from the agreement's defaults: secure_channel from the default for the whole protocol "
            "(security); UKGDPR.6.1.e and POLICE.common_law from the default for Police as sender (police_bases); "
            "CA2004.s11 from the default for sharing for safeguarding children and adults at risk (s11).") \
        in d.explanation
    row = decide_many(p, [REQUEST]).iloc[0]
    assert tuple(row["lawful_bases"]) == d.lawful_bases and tuple(row["obligations"]) == d.obligations
    assert row["explanation"] == d.explanation


def test_a_kept_obligation_can_be_an_inherited_one():
    # the overridden rule inherits record_decision (which survives an override); the exception states its own
    record = {"id": "record", "senders": {"kinds": ["police"]}, "obligations": ["record_decision"]}
    p = build([police_rule("EXC", priority=1, obligations=["secure_channel"]),
               rule("BASE", sender={"partners": ["police"]}, to={"partners": ["csc"]}, categories=["criminal"],
                    purposes=["safeguarding"])], defaults=[record])
    d = decide(p, REQUEST)
    assert d.obligations == ("secure_channel", "record_decision")
    assert "Kept from overridden rule BASE: record_decision." in d.explanation


def test_the_defaults_section_is_validated_with_located_errors(tmp_path):
    from protocolkit.model.loading import load

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(
        "metadata: {id: t, title: T, version: '1', owner: police}\n"
        "partners:\n  - {id: police, name: Police, kind: police}\n"
        "defaults:\n"
        "  - id: d1\n    senders: {partners: [polise]}\n    lawful_bases: [UKGDPR.6.1.x]\n"
        "  - id: d2\n    purposes: [safeguardin]\n")
    with pytest.raises(ProtocolValidationError) as error:
        load(folder)
    text = str(error.value)
    assert "protocol.yaml:6" in text and "polise" in text
    assert "protocol.yaml:7" in text and "UKGDPR.6.1.x" in text
    assert "safeguardin" in text and "default d2 gives nothing" in text


def test_legal_checks_read_the_inherited_bases(tmp_path):
    """A sharing rule of criminal offence data with no bases of its own is fine when a default gives them."""
    from protocolkit.model.loading import load_with_findings

    base = ("metadata: {id: t, title: T, version: '1', owner: police, status: agreed}\n"
            "partners:\n  - {id: police, name: Police, kind: police, statutory_powers: [POLICE.common_law]}\n"
            "  - {id: csc, name: CSC, kind: childrens_social_care, statutory_powers: [CA1989.s47]}\n"
            "rules:\n  - id: R1\n    title: One\n    from: {partners: [police]}\n    to: {partners: [csc]}\n"
            "    categories: [household.composition]\n    stages: any\n    purposes: [safeguarding]\n"
            "    outcome: share\n    rationale: r\n")
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(base)
    _, findings = load_with_findings(folder)
    assert "PK206" in {f.code for f in findings}
    (folder / "protocol.yaml").write_text(
        base + "defaults:\n  - id: police_bases\n    senders: {kinds: [police]}\n"
               "    lawful_bases: [UKGDPR.6.1.e, POLICE.common_law, CA2004.s11]\n")
    _, findings = load_with_findings(folder)
    assert "PK206" not in {f.code for f in findings}


def test_guarantees_and_the_review_see_inherited_obligations():
    from protocolkit.engine.guarantees import check_guarantee
    from protocolkit.model.guarantees import Guarantee
    from protocolkit.review import review

    g = Guarantee.model_validate({"id": "G", "kind": "always", "statement": "Police shares go securely.",
                                  "from": {"partners": ["police"]}, "when_outcome": ["share"],
                                  "obligations": ["secure_channel"]})
    without = build([police_rule()])
    with_security = build([police_rule()], defaults=[SECURITY])
    assert not check_guarantee(without, g).proven
    assert check_guarantee(with_security, g).proven
    # RV160: an inherited obligation lost to an override is reported like a stated one
    tell = {"id": "tell", "senders": {"kinds": ["police"]}, "obligations": ["inform_family"]}
    p = build([police_rule("EXC", priority=1, inherit="none"),
               rule("BASE", sender={"partners": ["police"]}, to={"partners": ["csc"]}, categories=["criminal"],
                    purposes=["safeguarding"])], defaults=[tell])
    lost = [f for f in review(p).findings if f.code == "RV160"]
    assert [sorted(f.rules) for f in lost] == [["BASE", "EXC"]] and "inform_family" in lost[0].message


def test_odrl_marks_what_a_rule_inherited():
    from protocolkit.export.odrl import odrl_policy

    policy = odrl_policy(build([police_rule()], defaults=[SECURITY, POLICE]))
    node = next(n for n in policy["odrl:permission"] if n["pk:ruleId"] == "P1")
    assert node["pk:inheritedFrom"] == [{"@id": "pk:default/security"}, {"@id": "pk:default/police_bases"}]
    assert {"@id": "pk:obligation/secure_channel"} in [d["odrl:action"] for d in node["odrl:duty"]]
    assert len(node["pk:lawfulBasis"]) == 2


def test_without_defaults_the_rules_are_the_protocol_s_own():
    p = build([police_rule(lawful_bases=["UKGDPR.6.1.e"])])
    rules, inherited = effective_rules(p)
    assert rules == list(p.rules) and inherited == {}
    assert "defaults" not in p.model_dump(by_alias=True) and "inherit" not in p.model_dump(by_alias=True)["rules"][0]
