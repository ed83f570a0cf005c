"""The decision log: recorded from the widget, stored as YAML in the protocol folder, read back."""

import pytest

from protocolkit.errors import ProtocolValidationError
from protocolkit.model.decision_log import load_decision_log, record_decision
from protocolkit.ui import DecisionLogEditor


def test_recording_writes_decisions_yaml_and_reads_it_back(session, small):
    log = DecisionLogEditor(session)
    log.question.value = "Does the school hear about a police call-out at referral?"
    log.options.value = "Always\n- Only when the risk is amber or above\n"
    log.agreed.value = "Only when the risk is amber or above"
    log.present.value = "Designated safeguarding lead, Testshire Primary\nDI, Testshire Police"
    log.rule_changes.value = ["R1"]
    log.record_button.click()
    assert "Recorded decision D1" in log.status.value
    text = (small / "decisions.yaml").read_text()
    assert "Only when the risk is amber or above" in text and "R1" in text
    [decision] = load_decision_log(small)
    assert decision.options == ["Always", "Only when the risk is amber or above"]
    assert decision.present == ["Designated safeguarding lead, Testshire Primary", "DI, Testshire Police"]
    assert decision.rule_changes == ["R1"]
    assert log.question.value == "" and "Only when the risk" in log.log_html.value


def test_an_incomplete_decision_is_not_recorded(session, small):
    log = DecisionLogEditor(session)
    log.question.value = "Who tells the family?"
    log.record_button.click()
    assert "not recorded" in log.status.value
    assert not (small / "decisions.yaml").exists()


def test_comments_in_the_log_survive_a_new_record(small):
    (small / "decisions.yaml").write_text("# kept by the partnership\ndecisions:\n  - id: D1\n    date: 2026-01-05\n"
                                          "    question: First?\n    agreed: Yes  # unanimous\n")
    record_decision(small, question="Second?", agreed="No", date="2026-02-01")
    text = (small / "decisions.yaml").read_text()
    assert "# kept by the partnership" in text and "# unanimous" in text
    assert [d.id for d in load_decision_log(small)] == ["D1", "D2"]


def test_a_broken_log_is_reported_with_its_place(small):
    (small / "decisions.yaml").write_text("decisions:\n  - id: D1\n    question: First?\n")
    with pytest.raises(ProtocolValidationError) as error:
        load_decision_log(small)
    assert "decisions.yaml" in str(error.value) and "agreed" in str(error.value)
