"""The agreement's sign-off block and change history come from the approvals recorded with protocolkit sign."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml

import protocolkit
from protocolkit.export.documents.markdown import write_markdown
from protocolkit.lifecycle import sign

SMALL = Path(__file__).parents[1] / "export" / "fixtures" / "agreement_small"
TODAY = dt.date(2026, 11, 27)


def agreement_text(folder: Path, out: Path) -> str:
    out.mkdir(parents=True, exist_ok=True)
    written = write_markdown(protocolkit.load(folder), out, today=TODAY, diagrams=False)
    return Path(written[0]).read_text(encoding="utf-8")


def test_approvals_fill_the_sign_off_block_and_the_change_history(tmp_path):
    folder = shutil.copytree(SMALL, tmp_path / "p")
    protocol = protocolkit.load(folder)
    partner = protocol.partners[0]
    before = agreement_text(folder, tmp_path / "before")
    assert "Signed for this text" not in before and "Not yet recorded." in before

    sign(protocol, name="Alex Example", role="Head of Information Governance", organisation=partner.id, today=TODAY)
    after = agreement_text(folder, tmp_path / "after")
    signed = after[after.index("Signed for this text"):]
    assert "Alex Example" in signed and "Head of Information Governance" in signed and "2026-11-27" in signed
    history = after[after.index("# 14\\. Change history"):after.index("# 15\\. The seven")]
    assert "Not yet recorded." not in history and "| yes |" in history.replace("  ", " ")

    edited = protocolkit.load(folder)
    edited.rules[0].rationale = (edited.rules[0].rationale or "") + " Reworded at review."
    protocolkit.save(edited)
    changed = agreement_text(folder, tmp_path / "changed")
    assert "Signed for this text" not in changed  # the signature no longer covers the text
    history = changed[changed.index("# 14\\. Change history"):changed.index("# 15\\. The seven")]
    assert "the text has changed since" in history and "Alex Example" in history


def _with_review_date(folder: Path, date: dt.date) -> None:
    protocol = protocolkit.load(folder)
    protocol.metadata.review_date = date
    protocolkit.save(protocol)


def _front_matter(text: str) -> str:
    start = text.index("Points to resolve before signature")
    return text[start:text.index("\n#", start + 40)]


def test_a_review_date_within_60_days_is_flagged_in_the_agreement_front_matter(tmp_path):
    folder = shutil.copytree(SMALL, tmp_path / "p")
    _with_review_date(folder, TODAY + dt.timedelta(days=30))
    front = _front_matter(agreement_text(folder, tmp_path / "near"))
    assert "PK402" in front and "30 days away" in front and "book the partnership's review meeting" in front

    _with_review_date(folder, TODAY + dt.timedelta(days=400))
    assert "PK402" not in agreement_text(folder, tmp_path / "far")


def test_an_agreed_version_not_signed_by_every_sharing_partner_is_flagged_in_the_agreement(tmp_path):
    from protocolkit.lifecycle import set_status, sharing_partners

    folder = shutil.copytree(SMALL, tmp_path / "p")
    _with_review_date(folder, TODAY + dt.timedelta(days=400))
    protocol = protocolkit.load(folder)
    sharing = sharing_partners(protocol)
    assert len(sharing) >= 2
    for partner in sharing:
        sign(protocolkit.load(folder), name=f"Signer {partner}", role="Caldicott Guardian", organisation=partner,
             today=TODAY)
    set_status(protocolkit.load(folder), "agreed", today=TODAY)
    assert "PK403" not in agreement_text(folder, tmp_path / "all-signed")

    # one partner's approval is withdrawn from the record: the agreed version no longer covers it
    approvals = folder / "approvals.yaml"
    record = yaml.safe_load(approvals.read_text(encoding="utf-8"))
    record["approvals"] = [a for a in record["approvals"] if a["organisation"] != sharing[-1]]
    approvals.write_text(yaml.safe_dump(record, sort_keys=False), encoding="utf-8")
    front = _front_matter(agreement_text(folder, tmp_path / "one-missing"))
    assert "PK403" in front and sharing[-1] in front and "protocolkit sign" in front


def test_an_agreed_protocol_edited_after_signing_is_not_exported_as_an_agreement(tmp_path):
    from protocolkit.errors import ProtocolValidationError
    from protocolkit.lifecycle import set_status, sharing_partners

    folder = shutil.copytree(SMALL, tmp_path / "p")
    _with_review_date(folder, TODAY + dt.timedelta(days=400))
    for partner in sharing_partners(protocolkit.load(folder)):
        sign(protocolkit.load(folder), name="A Signer", role="DPO", organisation=partner, today=TODAY)
    set_status(protocolkit.load(folder), "agreed", today=TODAY)
    edited = protocolkit.load(folder)
    edited.rules[0].rationale = (edited.rules[0].rationale or "") + " Changed after signing."
    protocolkit.save(edited)
    try:
        agreement_text(folder, tmp_path / "edited")
    except ProtocolValidationError as exc:
        assert [f.code for f in exc.findings] == ["PK401"]
    else:
        raise AssertionError("an agreed protocol edited after signing was exported as an agreement")
