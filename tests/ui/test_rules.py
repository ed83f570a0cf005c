"""Rules: the table flags problems, the form edits one rule, and every edit re-runs cases and guarantees."""

import pytest

from protocolkit.ui import RulesEditor


def test_the_form_shows_a_rule_and_checks_a_typed_condition(session):
    editor = RulesEditor(session)
    form = editor.form
    form.select("R1")
    assert form.inputs["from_kinds"].value == ["police"]
    assert form.inputs["when"].value == "risk: >= amber"
    form.inputs["when"].value = "risk: >= purple"
    assert any(f.code.startswith("PK") and "purple" in f.message for f in form.findings)
    form.inputs["when"].value = "risk >= amber"
    assert "write one 'fact: value' per line" in form.findings[0].message


def test_a_special_category_rule_without_an_art9_condition_is_flagged(session):
    editor = RulesEditor(session)
    form = editor.form
    form.select(None)
    form.inputs["id"].value = "R9"
    form.inputs["title"].value = "The school tells children's social care about a child's mental health"
    form.inputs["from_partners"].value = ["school"]
    form.inputs["to_partners"].value = ["csc"]
    form.inputs["categories"].value = ["health.mental_health"]
    form.inputs["stages"].value = ["referral"]
    form.inputs["purposes"].value = ["safeguarding"]
    form.inputs["outcome"].value = "share"
    form.inputs["lawful_bases"].value = ["UKGDPR.6.1.e"]
    form.inputs["rationale"].value = "Testing the flags."
    form.apply_button.click()
    assert session.protocol.rule("R9").categories == ["health.mental_health"]
    assert editor.flags is None and "Checking for conflicts" in editor.table_html.value  # never an old result
    editor.wait(timeout=120)
    assert any("Art 9" in flag for flag in editor.flags["R9"])
    assert "R9" in editor.table_html.value and "Art 9" in editor.table_html.value


def test_edits_change_case_results_and_guarantees_and_undo_restores_them(mash_session):
    editor = RulesEditor(mash_session)
    editor.wait(timeout=120)
    assert "Every expectation holds" in editor.results_html.value
    results = mash_session.case_results()
    deciding = results.expectations.loc[results.expectations["actual"] == "refuse", "rule"].iloc[0]
    editor.form.select(deciding)
    editor.form.inputs["outcome"].value = "share"
    editor.form.apply()
    assert "no longer hold" in editor.results_html.value
    assert mash_session.case_results().failed > 0
    mash_session.undo()
    assert "Every expectation holds" in editor.results_html.value

    # breaking a guarantee shows once the guarantees are checked again
    editor.wait(timeout=120)
    assert "Broken" not in editor.guarantees_html.value and "hold over every possible" in editor.guarantees_html.value
    guarantee = mash_session.protocol.guarantees[0]  # G1: nothing is ever shared with DWP
    assert "DWP" in guarantee.statement
    form = editor.form
    form.select(None)
    for key, value in {"id": "R-TEST", "title": "Everything to DWP", "from_any": True, "to_partners": ["dwp"],
                       "categories_any": True, "stages_any": True, "purposes_any": True, "outcome": "share",
                       "lawful_bases": ["UKGDPR.6.1.e"], "rationale": "A deliberately bad rule.",
                       "priority": 99}.items():
        form.inputs[key].value = value
    form.apply()
    assert "Checking the guarantees" in editor.guarantees_html.value
    editor.wait(timeout=120)
    assert "Broken" in editor.guarantees_html.value and guarantee.id in editor.guarantees_html.value


def test_an_incomplete_rule_is_refused(session):
    editor = RulesEditor(session)
    editor.form.select(None)
    editor.form.inputs["id"].value = "R10"
    editor.form.apply_button.click()
    assert "not made" in editor.form.status.value
    with pytest.raises(KeyError):
        session.protocol.rule("R10")
