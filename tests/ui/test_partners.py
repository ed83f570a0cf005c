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
