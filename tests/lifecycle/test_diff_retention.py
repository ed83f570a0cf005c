"""protocolkit diff shows a change of retention (docs/semantics.md section 18) as a change a reviewer sees: a
default's term or a rule's own term, in words, with who keeps what, before and after."""

from __future__ import annotations

import json
import shutil

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.export.changes import _retention_sentence, render_markdown
from protocolkit.model.vocabulary import Vocabulary
from protocolkit.model.retention import Retention

MASH = protocolkit.example_path("mash")


@pytest.fixture
def versions(tmp_path):
    return shutil.copytree(MASH, tmp_path / "old"), shutil.copytree(MASH, tmp_path / "new")


def test_a_shorter_period_in_a_default_is_reported_in_words_and_fails_on_change(versions, tmp_path, capsys):
    old, new = versions
    protocol = protocolkit.load(new)
    default = next(d for d in protocol.defaults if d.id == "marac_retention")
    default.retention[0].duration = "2 years"
    protocolkit.save(protocol)
    out = tmp_path / "report.json"
    assert main(["diff", str(old), str(new), "--fail-on-change", "--format", "json", "--out", str(out)]) == 1
    assert "decisions change only in how long what is shared is kept (retention periods for 1 kind of sharing)" \
        in capsys.readouterr().out
    report = json.loads(out.read_text(encoding="utf-8"))
    # a decision carries its retention (section 18): a shorter period is a change of decisions, said as such
    assert report["decisions_changed"] is True and report["only_retention_changed"] is True
    assert report["space"]["changed"] == 0
    text = render_markdown(report)
    assert "No decision changes" not in text
    assert "**Decisions change only in how long what is shared is kept: 1 kind of sharing.** Every possible request " \
        "gets the same outcome, deciding rule, lawful bases, duties and sharing mode as before" in text
    # the sample cases that share with the MARAC under marac_retention change only in their retention, one by one
    cases = report["cases"]
    assert cases["changed"] > 0 and all(g["changed"] == ["retention"] and g["example"]["to"] == "marac"
                                        for g in report["groups"])
    assert f"Sample cases: {cases['changed']} of {cases['compared']} decisions change (only in their retention)." \
        in text
    assert "still share, but the retention period changes (rule R-" in text
    # those rows are counted by kind of sharing (above), not by request: no count of 0 beside a change
    rows = [x for x in text.splitlines() if x.startswith("| still share")]
    assert rows and all("| see retention above |" in x for x in rows)
    section = text[text.index("### Retention that changes"):]
    line = next(x for x in section.splitlines() if x.startswith("- "))
    assert line.startswith(f"- {protocolkit.load(new).partner('marac').name} (marac) keeps ")
    assert "for 2 years after the last MARAC at which the case was heard (from the default for" in line and "as recipient, marac_retention)" in line
    assert "before this change: 6 years after the last MARAC at which the case was heard" in line
    assert [(c["recipient"], c["old"][0].split(" (")[0], c["new"][0].split(" (")[0]) for c in report["retention"]] == \
        [("marac", "6 years after the last MARAC at which the case was heard",
          "2 years after the last MARAC at which the case was heard")]


def test_a_rules_own_term_shows_against_what_it_inherited(versions):
    old, new = versions
    protocol = protocolkit.load(new)
    rule = protocol.rule("R-REF-09")
    rule.retention = [Retention(duration="P1Y", after="the MARAC", categories=["household.composition"],
                                source="the partnership's choice")]
    protocolkit.save(protocol)
    from protocolkit.engine.retention_impact import retention_changes

    changes = retention_changes(protocolkit.load(old), protocolkit.load(new))
    assert [(c.recipient, c.categories, c.rules) for c in changes] == [("marac", ("household.composition",),
                                                                        ("R-REF-09",))]
    assert changes[0].new == ("1 year after the MARAC (rule R-REF-09's own)",)
    assert changes[0].old[0].startswith("6 years after the last MARAC at which the case was heard (from the default "
                                        "for ")
    words = _retention_sentence(changes[0], Vocabulary.of(protocolkit.load(new)))
    assert "keeps Household composition (shared under rule R-REF-09) for 1 year after the MARAC (rule R-REF-09's own);" \
        " before this change: 6 years after" in words


def test_a_retention_change_beside_other_changes_is_counted_apart_and_fails_on_change(versions, capsys):
    """A change of outcome and a change of period together: the requests decided differently are counted as
    before, and the retention periods are said to change too, counted by kind of sharing."""
    old, new = versions
    protocol = protocolkit.load(new)
    next(d for d in protocol.defaults if d.id == "marac_retention").retention[0].duration = "2 years"
    protocol.rule("R-GEN-01").outcome = "escalate"
    protocol.rule("R-GEN-01").escalate_to = "the DPO"
    protocolkit.save(protocol)
    assert main(["diff", str(old), str(new), "--fail-on-change"]) == 1
    text = capsys.readouterr().out
    assert "possible requests are decided differently.**" in text
    assert "Retention periods also change for 1 kind of sharing (below); those decisions are counted there" in text
