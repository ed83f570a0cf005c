"""Partners and data: typed values are checked with the codes of `protocolkit validate`, then applied."""

import protocolkit
from protocolkit.ui import PartnersEditor


def test_typing_an_unknown_kind_parent_shows_the_validate_finding(session):
    editor = PartnersEditor(session)
    form = editor.partners
    form.select("police")
    assert form.findings == []
    form.inputs["part_of"].value = "school"
    form.inputs["name"].value = ""
    codes = [f.code for f in form.findings]
    assert "PK103" in codes and "name" in form.findings_html.value


def test_a_new_partner_is_added_and_saved(session, small):
    form = PartnersEditor(session).partners
    form.select(None)
    form.inputs["id"].value = "youth_offending"
    form.inputs["name"].value = "Testshire Youth Justice Service"
    form.inputs["kind"].value = "youth_justice"
    assert [f.code for f in form.findings] == ["PK203"]  # a public body with no statutory power: a warning
    assert "statutory power" in form.findings_html.value
    form.inputs["statutory_powers"].value = ["CDA1998.s115"]
    assert form.findings == []
    form.apply_button.click()
    assert session.protocol.partner("youth_offending").kind == "youth_justice"
    assert form.picker.value == "youth_offending" and session.history == ["add partner youth_offending"]
    assert session.save().status == "saved"
    assert protocolkit.load(small).partner("youth_offending").name == "Testshire Youth Justice Service"


def test_a_rename_that_breaks_rules_is_refused_and_says_why(session):
    form = PartnersEditor(session).partners
    form.select("csc")
    form.inputs["id"].value = "social_care"
    assert any(f.code == "PK110" and "csc" in f.message for f in form.findings)
    form.apply_button.click()
    assert "not made" in form.status.value and "PK110" in form.status.value
    assert [p.id for p in session.protocol.partners].count("csc") == 1


def test_removing_a_partner_in_use_is_refused(session):
    form = PartnersEditor(session).partners
    form.select("csc")
    form.remove_button.click()
    assert "still in use" in form.status.value
    assert session.protocol.partner("csc")


def test_kinds_and_categories_are_edited_the_same_way(session):
    editor = PartnersEditor(session)
    editor.kinds.select(None)
    editor.kinds.inputs["id"].value = "family_hub"
    editor.kinds.inputs["label"].value = "Family hub"
    editor.kinds.inputs["parent"].value = "local_authority"
    editor.kinds.apply()
    assert editor.partners.inputs["kind"].options[0]  # the new kind is offered to partners
    assert "family_hub" in [o[1] for o in editor.partners.inputs["kind"].options]
    cats = editor.categories
    cats.select(None)
    cats.inputs["id"].value = "health.sleep"
    cats.inputs["label"].value = "Sleep"
    cats.inputs["special_category"].value = True
    cats.apply()
    assert session.vocabulary.is_special("health.sleep")
    assert session.history == ["add partner kind family_hub", "add data category health.sleep"]


def test_a_partner_declared_a_meeting_is_checked_as_typed_and_saved_with_comments_kept(session, small):
    form = PartnersEditor(session).partners
    form.select("school")
    assert form.inputs["meeting"].value is None and form.inputs["legal_entity"].value == ""
    form.inputs["meeting"].value = True  # a meeting recorded as a controller: PK225, as validate says
    assert [f.code for f in form.findings] == ["PK225"]
    assert "no legal personality" in form.findings_html.value and "PK225" in form.findings_html.value
    form.inputs["controller_role"].value = "not_a_controller"
    assert form.findings == []
    form.apply_button.click()
    assert session.protocol.partner("school").meeting is True
    assert session.save().status == "saved"
    text = (small / "protocol.yaml").read_text()
    assert "meeting: true" in text and "controller_role: not_a_controller" in text
    assert "# police summary to the MASH at screening" in text  # the file's comments survive
    saved = protocolkit.load(small).partner("school")
    assert saved.meeting is True and saved.controller_role == "not_a_controller"
    form.select("school")
    assert form.inputs["meeting"].value is True  # read back from the entry
    form.inputs["meeting"].value = None  # back to what its kind says: the key goes
    form.inputs["controller_role"].value = "controller"
    form.apply()
    assert session.protocol.partner("school").meeting is None
    session.save()
    assert "meeting:" not in (small / "protocol.yaml").read_text()


def test_a_legal_entity_is_checked_as_typed_refused_when_it_contradicts_and_saved(session, small):
    editor = PartnersEditor(session)
    form = editor.partners
    form.select("police")
    form.inputs["legal_entity"].value = "csc"  # a partner: part_of says that, so validate refuses it
    assert any(f.code.startswith("PK1") and f.key == "partners[police].legal_entity" for f in form.findings)
    assert "part_of: csc" in form.findings_html.value
    form.apply_button.click()
    assert "not made" in form.status.value and session.protocol.partner("police").legal_entity is None
    form.inputs["legal_entity"].value = "Testshire Council"  # not an id
    assert [f.code for f in form.findings] == ["PK101"] and "legal_entity" in form.findings_html.value
    form.select("mash_team")  # a team has the legal entity of what it is part of
    form.inputs["legal_entity"].value = "testshire_council"
    assert any(f.key == "partners[mash_team].legal_entity" and f.code.startswith("PK1") for f in form.findings)

    form.select("csc")
    form.inputs["legal_entity"].value = "testshire_council"
    assert form.findings == []
    form.apply()
    form.select("police")  # two services of one council recorded as controllers, with rule R1 between them
    form.inputs["legal_entity"].value = "testshire_council"
    assert [f.code for f in form.findings] == ["PK226"]
    assert "services of testshire_council" in form.findings_html.value
    form.apply()
    assert session.save().status == "saved"
    validated = [f for f in protocolkit.validate(small) if f.code == "PK226"]  # what the command line says
    assert validated and validated[0].message == form.findings[0].message
    text = (small / "protocol.yaml").read_text()
    assert text.count("legal_entity: testshire_council") == 2 and "# police summary to the MASH at screening" in text
    assert {p.id for p in protocolkit.load(small).partners if p.legal_entity == "testshire_council"} == {"police", "csc"}


def test_a_partner_kind_declared_a_meeting_makes_its_partners_meetings(session, small):
    editor = PartnersEditor(session)
    kinds = editor.kinds
    kinds.select(None)
    kinds.inputs["id"].value = "risk_conference"
    kinds.inputs["label"].value = "Multi-agency risk conference"
    kinds.inputs["meeting"].value = True
    assert kinds.findings == []
    kinds.apply()
    assert session.protocol.partner_kinds[-1].meeting is True
    form = editor.partners
    form.select(None)
    form.inputs["id"].value = "marac"
    form.inputs["name"].value = "Testshire MARAC"
    form.inputs["kind"].value = "risk_conference"
    assert "PK225" in [f.code for f in form.findings]  # the kind says meeting; the role says controller
    form.inputs["controller_role"].value = "not_a_controller"
    assert "PK225" not in [f.code for f in form.findings]
    form.apply()
    session.save()
    saved = protocolkit.load(small)
    assert [k.meeting for k in saved.partner_kinds if k.id == "risk_conference"] == [True]
    assert "meeting: true" in (small / "protocol.yaml").read_text()
    kinds.select("risk_conference")
    assert kinds.inputs["meeting"].value is True
    kinds.inputs["meeting"].value = False  # unticked: not a meeting is the default, so the key goes
    kinds.apply()
    assert session.protocol.partner_kinds[-1].meeting is False
    session.save()
    assert "meeting:" not in (small / "protocol.yaml").read_text()
