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
    assert "no decision changes, retention changes" in capsys.readouterr().out
    report = json.loads(out.read_text(encoding="utf-8"))
    text = render_markdown(report)
    assert "No decision changes" in text and "Retention changes for 1 kind of sharing" in text
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
