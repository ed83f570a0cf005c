"""The review patterns a validator can see (PK222-PK228, protocolkit.model.patterns), each on a small protocol
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
- PK228: as PK223, golden rule 5: whether a victim's whereabouts go turns on the risk to her, not on how the
  child's case is rated (the legal review's finding on the charity's address rule).
- PK225 and PK226 read declared data (a kind's or partner's ``meeting`` flag, a partner's ``legal_entity``);
  PK227 is their word-matching fallback, a warning that asks for the data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import protocolkit
from protocolkit.model.loading import load_with_findings

BASE = """\
metadata: {id: t, title: T, version: '1', owner: council, status: draft, review_date: 2099-01-01}
partner_kinds:
  - {id: multi_agency_meeting, label: Multi-agency risk meeting, public_body: false, meeting: true}
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
  - {id: child, label: The child, facts: [risk]}
  - {id: victim, label: The adult victim, facts: [dash_risk]}
  - {id: alleged_perpetrator, label: The alleged perpetrator}
facts:
  - {id: consent, label: Consent?, values: [given, refused, not_sought, unsafe_to_seek], per_subject: true}
  - {id: young_person_consent, label: The young person's decision?, values: [given, refused, not_sought]}
  - {id: family_moved_area, label: Moved?, values: ["no", "yes"]}
  - {id: dash_risk, label: What is the DASH risk?, values: [standard, medium, high], ordered: true}
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


PATTERN_CODES = {"PK222", "PK223", "PK224", "PK225", "PK226", "PK227", "PK228"}


def _findings(tmp_path: Path, rules: str, marac_role: str = "not_a_controller", text: str | None = None):
    folder = tmp_path / "p"
    folder.mkdir(exist_ok=True)
    body = (text or BASE).replace("MARAC_ROLE", marac_role).replace("RULES\n", rules or "  []\n")
    if not rules:
        body = body.replace("rules:\n  []\n", "rules: []\n")
    (folder / "protocol.yaml").write_text(body, encoding="utf-8")
    protocol, found = load_with_findings(folder)
    assert protocol is not None, [f.format() for f in found]
    return [f for f in found if f.code in PATTERN_CODES]


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


def test_pk225_reads_the_meeting_flag_not_the_words(tmp_path):
    """A meeting named without any of the words (a 'risk panel') is still reported when its kind says meeting."""
    text = BASE.replace("name: Testshire MARAC", "name: Testshire high-risk panel")
    assert [f.code for f in _findings(tmp_path, "", marac_role="controller", text=text)] == ["PK225"]
    flagged_partner = BASE.replace(", meeting: true}", "}").replace(
        "controller_role: MARAC_ROLE}", "controller_role: MARAC_ROLE, meeting: true}").replace(
        "name: Testshire MARAC", "name: Testshire high-risk panel")
    assert [f.code for f in _findings(tmp_path, "", marac_role="controller", text=flagged_partner)] == ["PK225"]


def test_a_meeting_known_only_by_its_words_gets_the_fallback_warning(tmp_path):
    unflagged = BASE.replace(", meeting: true}", "}")
    found = _findings(tmp_path, "", marac_role="joint_controller", text=unflagged)
    assert [(f.code, f.severity.value) for f in found] == [("PK227", "warning")]
    assert "Testshire MARAC" in found[0].message and "meeting: true" in found[0].fix and found[0].line == 10
    # the partnership says it is an organisation after all: the words no longer count
    organisation = unflagged.replace("controller_role: MARAC_ROLE}", "controller_role: MARAC_ROLE, meeting: false}")
    assert _findings(tmp_path, "", marac_role="joint_controller", text=organisation) == []


SEPARATE = (
    "  - {id: csc, name: CSC_NAME, kind: childrens_social_care,\n"
    "     statutory_powers: [CA1989.s17]CSC_ENTITY}\n"
    "  - {id: housing, name: HOUSING_NAME, kind: housing, statutory_powers: [CA1989.s17]HOUSING_ENTITY}")


def _separate(csc_name="Testshire Council Children's Social Care", housing_name="Testshire Council Housing",
              csc_entity="", housing_entity=""):
    part = (SEPARATE.replace("CSC_NAME", csc_name).replace("HOUSING_NAME", housing_name)
            .replace("CSC_ENTITY", csc_entity).replace("HOUSING_ENTITY", housing_entity))
    return BASE.replace(
        "  - {id: csc, name: Testshire Council Children's Social Care, kind: childrens_social_care, part_of: council}",
        part)


def test_services_declaring_one_legal_entity_as_separate_controllers_are_reported(tmp_path):
    # names that say nothing of a council: only the declared legal entity tells
    text = _separate("Testshire Children's Services", "Testshire Homes",
                     ", legal_entity: testshire_council", ", legal_entity: testshire_council")
    found = _findings(tmp_path, COUNCIL, text=text)
    assert [f.code for f in found] == ["PK226"]
    assert "testshire_council" in found[0].message and "one controller" in found[0].message
    assert "part_of" in found[0].fix


def test_services_of_different_legal_entities_are_not(tmp_path):
    text = _separate(csc_entity=", legal_entity: testshire_council", housing_entity=", legal_entity: testshire_homes_ltd")
    assert _findings(tmp_path, COUNCIL, text=text) == []


def test_council_services_known_only_by_their_names_get_the_fallback_warning(tmp_path):
    found = _findings(tmp_path, COUNCIL, text=_separate())
    assert [(f.code, f.severity.value) for f in found] == [("PK227", "warning")]
    assert "Testshire Council" in found[0].message and "one controller" in found[0].message
    assert "part_of" in found[0].fix and "legal_entity: testshire_council" in found[0].fix


def test_the_same_services_as_parts_of_the_council_are_not(tmp_path):
    parts = BASE.replace(
        "  - {id: marac,",
        "  - {id: housing, name: Testshire Council Housing, kind: housing, part_of: council}\n  - {id: marac,")
    assert _findings(tmp_path, COUNCIL, text=parts) == []


@pytest.mark.parametrize("entity, words", [
    (", legal_entity: police", "write 'part_of: police' instead"),         # a partner: part_of says it
    (", part_of: council, legal_entity: testshire_council", "a team has the legal entity"),
    (", legal_entity: Testshire Council", "legal_entity"),                 # not an id
])
def test_a_bad_legal_entity_is_a_located_error(tmp_path, entity, words):
    folder = tmp_path / "p"
    folder.mkdir()
    text = _separate(housing_entity=entity).replace("RULES\n", COUNCIL).replace("MARAC_ROLE", "not_a_controller")
    (folder / "protocol.yaml").write_text(text, encoding="utf-8")
    protocol, found = load_with_findings(folder)
    errors = [f for f in found if f.severity.value == "error"]
    assert errors and all(f.line == 8 for f in errors)   # the housing partner's line, [f.format() for f in errors]
    assert any(words in f.format() for f in errors), [f.format() for f in errors]


RATED = """
  - id: X5
    title: The victim's new address goes to the police for a marker
    from: {partners: [csc]}
    to: {partners: [police]}
    categories: [contact.address]
    stages: any
    purposes: [safeguarding]
    about: ABOUT
    when: WHEN
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA1989.s17]
    rationale: r
"""


def test_a_victims_address_gated_on_the_childs_rating_is_reported(tmp_path):
    found = _findings(tmp_path, RATED.replace("ABOUT", "[victim]").replace("WHEN", '{risk: ">= amber"}'))
    assert [(f.code, f.severity.value) for f in found] == [("PK228", "warning")]
    f = found[0]
    assert f.line == 32 and f.key.endswith("when.risk")   # located on the condition
    assert "rule X5" in f.message and "rates the child, not the adult victim" in f.message
    assert "golden rule 5" in f.message and "'dash_risk'" in f.fix and "'child' to 'about'" in f.fix


@pytest.mark.parametrize("about, when", [
    ("[victim]", '{dash_risk: ">= medium"}'),                       # her own risk
    ("[victim]", '{dash_risk: high, risk: ">= amber"}'),            # her own risk, narrowed by the child's
    ("[victim]", '{consent: given, risk: ">= amber"}'),             # her own consent (per subject, read for her)
    ("[child, victim]", '{risk: ">= amber"}'),                      # for the child's sake too: the child lives there
    ("[child]", '{risk: ">= amber"}'),                              # the child's address on the child's rating
])
def test_the_persons_own_rating_or_the_child_in_about_is_not(tmp_path, about, when):
    assert _findings(tmp_path, RATED.replace("ABOUT", about).replace("WHEN", when)) == []


def test_pk223_and_pk228_do_not_overlap(tmp_path):
    """A per-subject fact read for another role is PK223's; a fact that rates another role is PK228's."""
    both = RATED.replace("ABOUT", "[victim]").replace("WHEN", '{consent@alleged_perpetrator: given, risk: red}')
    assert sorted(f.code for f in _findings(tmp_path, both)) == ["PK223", "PK228"]
    assert [f.code for f in _findings(tmp_path, RATED.replace("ABOUT", "[victim]").replace(
        "WHEN", "{consent@alleged_perpetrator: given}"))] == ["PK223"]


@pytest.mark.parametrize("facts, words", [
    ("[consent]", "is per subject"),              # consent is each person's own
    ("[no_such_fact]", "unknown fact"),
    ("[risk]", "both 'child' and 'victim'"),     # one rating, two people
])
def test_a_bad_subject_fact_is_a_located_error(tmp_path, facts, words):
    folder = tmp_path / "p"
    folder.mkdir()
    text = (BASE.replace("  - {id: victim, label: The adult victim, facts: [dash_risk]}",
                         f"  - {{id: victim, label: The adult victim, facts: {facts}}}")
            .replace("MARAC_ROLE", "not_a_controller").replace("rules:\nRULES\n", "rules: []\n"))
    (folder / "protocol.yaml").write_text(text, encoding="utf-8")
    protocol, found = load_with_findings(folder)
    errors = [f for f in found if f.severity.value == "error"]
    assert errors and all(f.line == 15 for f in errors), [f.format() for f in errors]
    assert any(words in f.format() for f in errors), [f.format() for f in errors]


def test_the_example_shows_none_of_them():
    protocol, found = load_with_findings(protocolkit.example_path("mash"))
    assert protocol is not None
    assert [f.format() for f in found if f.code in PATTERN_CODES] == []
