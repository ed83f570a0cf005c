"""protocolkit diff: the edits, and exactly the decisions a change makes different."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.engine.impact import case_impact

MASH = protocolkit.example_path("mash")


@pytest.fixture
def versions(tmp_path):
    old = shutil.copytree(MASH, tmp_path / "old")
    new = shutil.copytree(MASH, tmp_path / "new")
    return old, new


def tighten_first_share_rule(folder):
    """Turn the first 'share' rule of the referral file into 'refuse'; return its id."""
    protocol = protocolkit.load(folder)
    rule = next(r for r in protocol.rules if r.outcome == "share" and "referral" in (r.stages or []))
    rule.outcome = "refuse"
    protocolkit.save(protocol)
    return rule.id


def test_tightening_one_rule_lists_exactly_the_decisions_that_changed(versions, tmp_path, capsys):
    old, new = versions
    rule_id = tighten_first_share_rule(new)
    out = tmp_path / "impact.json"
    assert main(["diff", str(old), str(new), "--format", "json", "--out", str(out)]) == 0
    assert "decisions change" in capsys.readouterr().out
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["decisions_changed"] is True
    assert [(e["id"], e["change"]) for e in report["edits"]["entries"]] == [(rule_id, "changed")]
    assert {(g["old_outcome"], g["new_outcome"]) for g in report["groups"] if g["requests"]} == {("share", "refuse")}
    assert all(rule_id in (g["old_rule"], g["new_rule"]) for g in report["groups"])
    # the sample-case part is exactly the requests whose decision differs when both versions run the cases
    cases = protocolkit.load_cases(new)
    expected = case_impact(protocolkit.load(old), protocolkit.load(new), cases).changes
    assert report["cases"]["changed"] == len(expected) > 0
    assert sum(g["sample_requests"] for g in report["groups"]) == len(expected)


def test_markdown_leads_with_a_sentence_and_fails_on_change_when_asked(versions, capsys):
    old, new = versions
    tighten_first_share_rule(new)
    assert main(["diff", str(old), str(new), "--fail-on-change"]) == 1
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith("## What this change does")
    assert "possible requests are decided differently" in text
    assert "share becomes refuse" in text


def test_no_change_says_so_and_exits_0_even_with_fail_on_change(versions, capsys):
    old, new = versions
    assert main(["diff", str(old), str(new), "--fail-on-change"]) == 0
    assert "No decision changes" in capsys.readouterr().out


def test_renaming_a_rules_file_is_not_a_change(versions, capsys):
    old, new = versions
    (new / "rules" / "closure.yaml").rename(new / "rules" / "case_closure.yaml")
    text = (new / "protocol.yaml").read_text(encoding="utf-8")
    assert "  - rules/closure.yaml\n" in text
    (new / "protocol.yaml").write_text(text.replace("  - rules/closure.yaml\n", "  - rules/case_closure.yaml\n"),
                                       encoding="utf-8")
    assert main(["diff", str(old), str(new), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["decisions_changed"] is False and report["edits"]["entries"] == []


def test_git_mode_compares_a_revision_with_the_working_copy(tmp_path, capsys):
    repo = shutil.copytree(MASH, tmp_path / "repo")

    def git(*argv):
        subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.name=Test", "-c", "user.email=test@example.invalid", "add", "-A")
    git("-c", "user.name=Test", "-c", "user.email=test@example.invalid", "commit", "-q", "-m", "first version")
    assert main(["diff", "--git", "HEAD", str(repo), "--fail-on-change"]) == 0
    capsys.readouterr()
    tighten_first_share_rule(repo)
    assert main(["diff", "--git", "HEAD", str(repo), "--fail-on-change"]) == 1
    assert "share becomes refuse" in capsys.readouterr().out


def test_git_mode_outside_a_repository_is_a_one_line_error(tmp_path, capsys):
    folder = shutil.copytree(MASH, tmp_path / "p")
    assert main(["diff", "--git", "HEAD", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: git could not") and err.count("\n") == 1
