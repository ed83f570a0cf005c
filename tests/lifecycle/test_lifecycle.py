"""Sign-off bound to the content: sign, agree, publish, edit, and the signatures no longer count."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.errors import ProtocolError
from protocolkit.lifecycle import lifecycle, lifecycle_findings, load_approvals, set_status, sharing_partners, sign
from protocolkit.model.readiness import NotReadyForSignatureError

TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def folder(tmp_path):
    return shutil.copytree(protocolkit.example_path("mash"), tmp_path / "p")


def sign_all(folder, partners):
    protocol = protocolkit.load(folder)
    for partner in partners:
        sign(protocol, name=f"Signatory {partner}", role="Information governance lead",
             organisation=partner, today=TODAY)


def top_level(protocol):
    """The organisations (partners that are part of no other)."""
    return [p.id for p in protocol.partners if p.part_of is None]


def test_signing_every_organisation_covers_its_teams_and_allows_agreement(folder):
    protocol = protocolkit.load(folder)
    sign_all(folder, top_level(protocol))
    report = lifecycle(protocolkit.load(folder), today=TODAY)
    assert report.unsigned == []
    assert report.fully_signed
    assert set_status(protocolkit.load(folder), "agreed", today=TODAY).status == "agreed"
    assert protocolkit.load(folder).metadata.status == "agreed"
    assert "status: agreed" in (folder / "protocol.yaml").read_text(encoding="utf-8")
    assert set_status(protocolkit.load(folder), "published", today=TODAY).status == "published"


def test_agreement_is_refused_while_a_sharing_partner_has_not_signed(folder):
    protocol = protocolkit.load(folder)
    sign_all(folder, top_level(protocol)[:-1])
    missing = top_level(protocol)[-1]
    with pytest.raises(ProtocolError, match=missing):
        set_status(protocolkit.load(folder), "agreed", today=TODAY)
    assert protocolkit.load(folder).metadata.status == "draft"


def test_a_draft_cannot_jump_to_published(folder):
    with pytest.raises(ProtocolError, match="cannot become published"):
        set_status(protocolkit.load(folder), "published", today=TODAY)


def test_an_edit_after_signing_supersedes_every_approval_and_is_an_error_once_agreed(folder, capsys):
    protocol = protocolkit.load(folder)
    sign_all(folder, top_level(protocol))
    set_status(protocolkit.load(folder), "agreed", today=TODAY)
    edited = protocolkit.load(folder)
    edited.rules[0].rationale = (edited.rules[0].rationale or "") + " Tightened at review."
    protocolkit.save(edited)

    report = lifecycle(protocolkit.load(folder), today=TODAY)
    assert report.current == [] and len(report.superseded) == len(top_level(protocol))
    assert report.edited_since_signed
    codes = [f.code for f in lifecycle_findings(protocolkit.load(folder), today=TODAY)]
    assert "PK401" in codes
    assert main(["validate", str(folder)]) == 1
    assert "PK401" in capsys.readouterr().out
    assert main(["status", str(folder)]) == 1
    assert "changed after it was signed" in capsys.readouterr().out
    # back to draft as a new version: the error goes, the old approvals stay on record
    draft = protocolkit.load(folder)
    draft.metadata.status = "draft"
    draft.metadata.version = "1.1"
    protocolkit.save(draft)
    assert "PK401" not in [f.code for f in lifecycle_findings(protocolkit.load(folder), today=TODAY)]
    assert len(load_approvals(folder)) == len(top_level(protocol))


def test_agreeing_or_publishing_does_not_change_the_content_hash(folder):
    from protocolkit.export.canonical import content_hash

    before = content_hash(protocolkit.load(folder))
    sign_all(folder, top_level(protocolkit.load(folder)))
    set_status(protocolkit.load(folder), "agreed", today=TODAY)
    assert content_hash(protocolkit.load(folder)) == before


def test_a_draft_with_a_legal_sense_error_can_be_tested_but_not_signed(tmp_path):
    from pathlib import Path

    fixture = Path(__file__).parents[1] / "fixtures" / "invalid" / "pk201_special_without_art9.yaml"
    (tmp_path / "protocol.yaml").write_text(fixture.read_text(encoding="utf-8"), encoding="utf-8")
    protocol = protocolkit.load(tmp_path)  # a draft with a legal-sense error loads, to be tested
    partner = protocol.partners[0].id
    with pytest.raises(NotReadyForSignatureError) as exc:
        sign(protocol, name="A", role="B", organisation=partner, today=TODAY)
    assert "PK201" in [f.code for f in exc.value.findings]
    assert load_approvals(tmp_path) == []


def test_sign_names_an_unknown_organisation_and_its_closest_match(folder, capsys):
    code = main(["sign", str(folder), "--name", "A", "--role", "B", "--organisation", "polise"])
    assert code == 2
    err = capsys.readouterr().err
    assert "'polise' is not a partner" in err and "police" in err
    assert not (folder / "approvals.yaml").exists()


def test_sign_command_says_what_was_approved(folder, capsys):
    code = main(["sign", str(folder), "--name", "A. Example", "--role", "Head of IG", "--organisation", "police",
                 "--date", "2026-11-27"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("A. Example (Head of IG) approved version 1.0 for Northbridge Constabulary on 2026-11-27.")


def test_review_date_within_sixty_days_is_flagged_and_located(folder):
    protocol = protocolkit.load(folder)
    found = lifecycle_findings(protocol, today=protocol.metadata.review_date - dt.timedelta(days=59))
    assert [(f.code, f.key) for f in found] == [("PK402", "metadata.review_date")]
    assert found[0].file.endswith("protocol.yaml") and found[0].line
    assert lifecycle_findings(protocol, today=protocol.metadata.review_date - dt.timedelta(days=61)) == []


def test_sharing_partners_are_those_in_permitted_flows(folder):
    from protocolkit.graph import permitted_flows

    protocol = protocolkit.load(folder)
    flows = permitted_flows(protocol)
    assert set(sharing_partners(protocol)) == set(flows["from"]) | set(flows["to"])
