"""The whole path a partnership walks, on a temporary repository, through the commands it would type.

init -> validate -> test -> notebooks -> export -> edit a rule -> diff shows exactly the
changed decisions -> sign -> edit -> the signature no longer covers the text.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess

import protocolkit
from protocolkit.cli.main import main
from protocolkit.lifecycle import lifecycle

TODAY = dt.date(2026, 11, 27)


def git(folder, *argv):
    subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-C", str(folder), *argv],
                   check=True, capture_output=True)


def last_line(capsys) -> str:
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_init_to_signature_invalidated(tmp_path, capsys):
    repo = tmp_path / "our-protocol"
    assert main(["init", str(repo), "--title", "Our partnership"]) == 0
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first version")
    capsys.readouterr()

    assert main(["validate", str(repo)]) == 0 and last_line(capsys).startswith("0 errors")
    assert main(["test", str(repo)]) == 0 and last_line(capsys).endswith(" 0 failed")
    assert main(["notebooks", str(repo), "--out", str(tmp_path / "evidence"), "--only", "03"]) == 0
    assert any((tmp_path / "evidence").rglob("03_*.ipynb"))
    assert main(["export", str(repo), "--format", "md", "--out", str(tmp_path / "v1")]) == 0
    capsys.readouterr()

    # tighten one rule: the school no longer sends the address at referral
    protocol = protocolkit.load(repo)
    (rule,) = [r for r in protocol.rules if r.id == "R-001"]
    rule.categories = [c for c in rule.categories if c != "contact.address"]
    protocolkit.save(protocol)
    report = tmp_path / "diff.json"
    assert main(["diff", "--git", "HEAD", str(repo), "--format", "json", "--out", str(report)]) == 0
    diff = json.loads(report.read_text(encoding="utf-8"))
    assert diff["decisions_changed"] is True
    (group,) = diff["groups"]
    assert (group["old_outcome"], group["new_outcome"], group["old_rule"]) == ("share", "gap", "R-001")
    example = group["example"]
    assert (example["from"], example["to"], example["category"], example["stage"]) == (
        "example_school", "lead_partner", "contact.address", "referral")
    assert diff["space"]["changed"] == group["requests"] > 0
    # what the diff says agrees with the engine on the two versions
    new = protocolkit.load(repo)
    request = {"from": "example_school", "to": "lead_partner", "stage": "referral", "purpose": "safeguarding"}
    assert protocolkit.decide(new, {**request, "categories": ["contact.address"]}).outcome == "gap"
    assert protocolkit.decide(new, {**request, "categories": ["identity.name"]}).outcome == "share"
    assert main(["diff", "--git", "HEAD", str(repo), "--fail-on-change"]) == 1
    capsys.readouterr()

    # sign the new version, then edit it: the signature stops covering the text
    assert main(["sign", str(repo), "--name", "Alex Example", "--role", "Data Protection Officer",
                 "--organisation", "lead_partner"]) == 0
    assert [a.name for a in lifecycle(protocolkit.load(repo), today=TODAY).current] == ["Alex Example"]
    edited = protocolkit.load(repo)
    edited.rules[0].rationale = (edited.rules[0].rationale or "") + " Reworded after signing."
    protocolkit.save(edited)
    state = lifecycle(protocolkit.load(repo), today=TODAY)
    assert state.current == [] and [a.name for a in state.superseded] == ["Alex Example"]
    assert main(["export", str(repo), "--format", "md", "--out", str(tmp_path / "v2")]) == 0
    (agreement,) = (tmp_path / "v2").glob("*.md")
    history = agreement.read_text(encoding="utf-8")
    assert "Alex Example" in history and "the text has changed since" in history
