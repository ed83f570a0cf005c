"""The agreement's sign-off block and change history come from the approvals recorded with protocolkit sign."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

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
