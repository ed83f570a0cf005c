"""The review patterns a validator can see (PK222-PK226, protocolkit.model.patterns), each on a small protocol
that shows it, the near miss that does not, and the shipped example staying clean.

Each expectation comes from the guidance the check cites, written before the check ran:
- PK222: a Gillick-competent young person's consent or refusal is the one that counts for their own
  information, even against a parent's view (Hertfordshire consent exceptions, domain notes 2.6 [V]); a risk
  of significant harm overrides it (HMG 2024 golden rule 3 [V]).
- PK223: both sender and recipient protect the identities of anyone who could be harmed if an abuser learned
  of them (HMG 2024 golden rule 5 [V]); whose consent counts is the person's whose data it is.
- PK224: a case with a plan transfers to the authority the family moves to (Working Together 2023, [K]).
- PK225: a controller is a person, public authority, agency or other body (UK GDPR Art 4(7), [K]); a MARAC is a
  meeting with no legal personality (and not a s115 relevant authority, domain corrections [K]).
- PK226: the ICO data sharing code covers sharing between controllers, not inside one organisation (domain
  notes 1.1 [V]).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import protocolkit
from protocolkit.model.loading import load_with_findings

BASE = """\
metadata: {id: t, title: T, version: '1', owner: council, status: draft, review_date: 2099-01-01}
partner_kinds:
  - {id: multi_agency_meeting, label: Multi-agency risk meeting, public_body: false}
partners:
  - {id: council, name: Testshire Council, kind: local_authority, statutory_powers: [CA1989.s17]}
  - {id: csc, name: Testshire Council Children's Social Care, kind: childrens_social_care, part_of: council}
  - {id: other_csc, name: Another authority's children's social care, kind: childrens_social_care,
     statutory_powers: [CA1989.s17, CA1989.s47]}
  - {id: police, name: Testshire Police, kind: police, statutory_powers: [POLICE.common_law]}
  - {id: marac, name: Testshire MARAC, kind: multi_agency_meeting, controller_role: MARAC_ROLE}
outside:
  - {id: relative, kind: family_member, label: A relative}
subjects:
  - {id: child, label: The child}
  - {id: victim, label: The adult victim}
  - {id: alleged_perpetrator, label: The alleged perpetrator}
facts:
  - {id: consent, label: Consent?, values: [given, refused, not_sought, unsafe_to_seek], per_subject: true}
  - {id: young_person_consent, label: The young person's decision?, values: [given, refused, not_sought]}
  - {id: family_moved_area, label: Moved?, values: ["no", "yes"]}
rules:
RULES
"""

GILLICK = """
  - id: X1
    title: The school nurse's notes go to the family
    from: {partners: [csc]}
    to: {outside: [relative]}
    categories: [health.mental_health]
    stages: any
    purposes: [safeguarding]
    WHEN
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.g, DPA18.S1.P18]
    rationale: r
"""

ADDRESS = """
  - id: X2
    title: The victim's new address goes to the police when the perpetrator agrees
    from: {partners: [csc]}
    to: {partners: [police]}
    categories: [contact.address]
    stages: any
    purposes: [safeguarding]
    about: [victim]
    when: {WHOSE: given}
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA1989.s17]
    rationale: r
"""

CLOSURE = """
  - id: X3
    title: Nothing leaves a closed case
    from: any
    to: any
    categories: any
    stages: [closure]
    purposes: any
    outcome: refuse
    priority: PRIORITY
    rationale: r
  - id: X3T
    title: A family with a plan moves away - the case transfers
    from: {partners: [csc]}
    to: {partners: [other_csc]}
    categories: [social_care]
    stages: [closure]
    purposes: [safeguarding]
    when: {family_moved_area: "yes"}
    outcome: share
    priority: 1
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.g, DPA18.S1.P18, CA1989.s17]
    rationale: r
  - id: X3I
    title: A family with a plan moves in - the plan and history come here (at intake, not at closure)
    from: {partners: [other_csc]}
    to: {partners: [csc]}
    categories: [social_care]
    stages: [assessment]
    purposes: [safeguarding]
    when: {family_moved_area: "yes"}
    outcome: share
    priority: 1
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.g, DPA18.S1.P18, CA1989.s17]
    rationale: r
"""

COUNCIL = """
  - id: X4
    title: Housing tells children's social care about the tenancy
    from: {partners: [housing]}
    to: {partners: [csc]}
    categories: [household.composition]
    stages: any
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA1989.s17]
    rationale: r
"""


def _findings(tmp_path: Path, rules: str, marac_role: str = "not_a_controller", text: str | None = None):
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    body = (text or BASE).replace("MARAC_ROLE", marac_role).replace("RULES\n", rules or "  []\n")
    if not rules:
        body = body.replace("rules:\n  []\n", "rules: []\n")
    (folder / "protocol.yaml").write_text(body, encoding="utf-8")
    protocol, found = load_with_findings(folder)
    assert protocol is not None, [f.format() for f in found]
    return [f for f in found if f.code in {"PK222", "PK223", "PK224", "PK225", "PK226"}]


def test_a_competent_young_persons_refusal_overridden_for_a_relative_is_reported(tmp_path):
    found = _findings(tmp_path, GILLICK.replace("WHEN", "when: {}"))
    assert [f.code for f in found] == ["PK222"]
    f = found[0]
    assert f.file and f.line   # located
    assert "rule X1" in f.message and "Gillick-competent" in f.message and "Hertfordshire" in f.message
    assert "young_person_consent: [given, not_sought]" in f.fix


@pytest.mark.parametrize("when", [
    'when: {young_person_consent: [given, not_sought]}',   # the young person agreed or was not asked
    'when: {child_competent: "no"}',                       # not competent: a parent decides
    'when: {risk: ">= amber"}',                            # risk of significant harm overrides (golden rule 3)
])
def test_a_rule_that_respects_the_refusal_or_needs_a_risk_is_not(tmp_path, when):
    assert _findings(tmp_path, GILLICK.replace("WHEN", when)) == []


def test_a_victims_address_gated_on_the_perpetrators_consent_is_reported(tmp_path):
    found = _findings(tmp_path, ADDRESS.replace("WHOSE", "consent@alleged_perpetrator"))
    assert [f.code for f in found] == ["PK223"]
    assert "rule X2" in found[0].message and "alleged perpetrator" in found[0].message
    assert "golden rule 5" in found[0].message and "consent@victim" in found[0].fix
    assert found[0].file and found[0].line   # located


@pytest.mark.parametrize("whose", ["consent@victim", "consent"])
def test_the_victims_address_on_the_victims_own_consent_is_not(tmp_path, whose):
    assert _findings(tmp_path, ADDRESS.replace("WHOSE", whose)) == []


def test_a_closure_refusal_that_outranks_the_transfer_is_reported(tmp_path):
    found = _findings(tmp_path, CLOSURE.replace("PRIORITY", "1"))   # equal priority: the refusal wins
    assert [(f.code, "rule X3" in f.message) for f in found] == [("PK224", True)]
    assert "X3T" in found[0].message and "Working Together 2023" in found[0].message
    assert "unverified legal point" in found[0].message


def test_a_closure_refusal_below_the_transfer_is_not(tmp_path):
    assert _findings(tmp_path, CLOSURE.replace("PRIORITY", "-1")) == []


def test_a_closure_refusal_with_no_transfer_rule_at_all_is_reported(tmp_path):
    only_refusal = CLOSURE.replace("PRIORITY", "-1").split("  - id: X3T")[0]   # no transfer out or in
    found = _findings(tmp_path, only_refusal)
    assert [f.code for f in found] == ["PK224"] and "at any stage" in found[0].message


@pytest.mark.parametrize("role, reported", [("controller", True), ("joint_controller", True),
                                            ("not_a_controller", False)])
def test_a_marac_recorded_as_a_controller_is_reported(tmp_path, role, reported):
    found = _findings(tmp_path, "", marac_role=role)
    assert [f.code for f in found] == (["PK225"] if reported else [])
    if reported:
        assert "Testshire MARAC" in found[0].message and "no legal personality" in found[0].message
        assert "not_a_controller" in found[0].fix and found[0].line == 10


def test_council_services_recorded_as_separate_controllers_are_reported(tmp_path):
    separate = BASE.replace(
        "  - {id: csc, name: Testshire Council Children's Social Care, kind: childrens_social_care, part_of: council}",
        "  - {id: csc, name: Testshire Council Children's Social Care, kind: childrens_social_care,\n"
        "     statutory_powers: [CA1989.s17]}\n"
        "  - {id: housing, name: Testshire Council Housing, kind: housing, statutory_powers: [CA1989.s17]}")
    found = _findings(tmp_path, COUNCIL, text=separate)
    assert [f.code for f in found] == ["PK226"]
    assert "Testshire Council" in found[0].message and "one controller" in found[0].message
    assert "part_of" in found[0].fix


def test_the_same_services_as_parts_of_the_council_are_not(tmp_path):
    parts = BASE.replace(
        "  - {id: marac,",
        "  - {id: housing, name: Testshire Council Housing, kind: housing, part_of: council}\n  - {id: marac,")
    assert _findings(tmp_path, COUNCIL, text=parts) == []


def test_the_example_shows_none_of_them():
    protocol, found = load_with_findings(protocolkit.example_path("mash"))
    assert protocol is not None
    assert [f.format() for f in found if f.code in {"PK222", "PK223", "PK224", "PK225", "PK226"}] == []
