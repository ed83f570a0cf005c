"""Drafts that can be tested: a first draft with no lawful bases loads, decides, tests and proves;
its legal-sense errors still block agreement, publication and export for signature."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.errors import ProtocolValidationError
from protocolkit.model.readiness import (
    NotReadyForSignatureError, draft_only_errors, require_ready_for_signature, signature_blockers,
)

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small"

GUARANTEE = """
guarantees:
  - id: G-SCHOOLS
    kind: never
    statement: Police intelligence never reaches a school.
    to: {kinds: [school]}
    categories: [criminal.intelligence]
    stages: [referral, screening]
"""


@pytest.fixture
def first_draft(tmp_path) -> Path:
    """The small protocol before its lawyer has added any lawful basis."""
    folder = shutil.copytree(SMALL, tmp_path / "draft")
    text = (folder / "protocol.yaml").read_text()
    text = text.replace("    lawful_bases: [UKGDPR.6.1.e, UKGDPR.10, DPA18.s36.4, CA2004.s11]\n", "")
    (folder / "protocol.yaml").write_text(text + GUARANTEE)
    return folder


def _set_status(folder: Path, status: str) -> None:
    path = folder / "protocol.yaml"
    path.write_text(path.read_text().replace("  status: draft\n", f"  status: {status}\n"))


def test_a_first_draft_loads_and_decides_with_its_legal_errors_reported(first_draft):
    findings = protocolkit.validate(first_draft)
    assert {f.code for f in findings if f.severity == "error"} == {"PK202", "PK206"}
    protocol = protocolkit.load(first_draft)
    decision = protocolkit.decide(protocol, {"from": "police", "to": "csc", "categories": ["criminal.intelligence"],
                                             "stage": "screening", "purpose": "safeguarding", "facts": {"risk": "red"}})
    assert decision.outcome == "share_minimum" and decision.lawful_bases == ()
    assert [f.code for f in draft_only_errors(findings, "draft")] == ["PK202", "PK206"]


def test_the_same_draft_cannot_be_signed(first_draft):
    protocol = protocolkit.load(first_draft)
    blockers = signature_blockers(protocol)
    assert {f.code for f in blockers} == {"PK202", "PK206"}
    assert all(f.file and f.file.endswith("protocol.yaml") and f.line for f in blockers)
    with pytest.raises(NotReadyForSignatureError) as caught:
        require_ready_for_signature(protocol)
    assert "PK206 error" in str(caught.value) and "R1" in str(caught.value)


@pytest.mark.parametrize("status", ["agreed", "published"])
def test_agreed_or_published_with_legal_errors_does_not_load(first_draft, status):
    _set_status(first_draft, status)
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(first_draft)
    assert {f.code for f in caught.value.errors} == {"PK202", "PK206"}


def test_structural_errors_still_block_a_draft(first_draft):
    path = first_draft / "protocol.yaml"
    path.write_text(path.read_text().replace("to: {partners: [csc]}", "to: {partners: [cs]}"))
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(first_draft)
    assert [f.code for f in caught.value.errors] == ["PK110"]


def test_test_and_prove_run_on_the_draft_and_say_what_blocks_signature(first_draft, capsys):
    assert main(["test", str(first_draft)]) == 0
    out = capsys.readouterr().out
    assert "This draft has 2 legal-sense errors" in out and out.strip().endswith("1 passed, 0 failed")
    assert main(["prove", str(first_draft)]) == 0
    assert "not agreed, published or exported for signature" in capsys.readouterr().out
    _set_status(first_draft, "agreed")
    assert main(["prove", str(first_draft)]) == 1  # a protocol with errors: 1, for every command


def test_validate_still_exits_1_on_the_draft_and_lists_the_errors(first_draft, capsys):
    assert main(["validate", str(first_draft)]) == 1
    out = capsys.readouterr().out
    assert "PK206 error" in out and "PK202 error" in out


def test_a_draft_with_legal_errors_can_be_saved(first_draft):
    protocol = protocolkit.load(first_draft)
    protocol.rules[0].title = "Police share a short summary with the MASH at screening"
    protocolkit.save(protocol)
    assert protocolkit.load(first_draft).rules[0].title.startswith("Police share a short summary")
