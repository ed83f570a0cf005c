"""Saving: all files of one save land together or none do, outside edits are never overwritten,
and a file keeps its form (line endings, byte order mark, symbolic links, folded paragraphs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import protocolkit
from protocolkit.errors import ProtocolError, SaveRefusedError
from protocolkit.model import saving

from helpers import FileAudit, add_include, outside, rules_file, small_copy


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def split(tmp_path) -> Path:
    """The small protocol with rules in two more files, a.yaml and b.yaml."""
    folder = small_copy(tmp_path)
    (folder / "a.yaml").write_text(rules_file("RA"), encoding="utf-8")
    (folder / "b.yaml").write_text(rules_file("RB"), encoding="utf-8")
    add_include(folder, "a.yaml", "b.yaml")
    return folder


def edit_every_file(protocol) -> None:
    for rule_id in ("R1", "RA", "RB"):
        protocol.rule(rule_id).title = f"Edited title of {rule_id}"


def test_a_failed_write_leaves_every_file_as_it_was_and_names_the_file(split, monkeypatch):
    before = snapshot(split)
    protocol = protocolkit.load(split)
    edit_every_file(protocol)
    real_replace = os.replace
    calls = []

    def failing_replace(src, dst):
        calls.append(dst)
        if len(calls) == 3:
            raise PermissionError(13, "Permission denied", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(SaveRefusedError) as caught:
        protocolkit.save(protocol)
    message = str(caught.value)
    assert Path(calls[2]).name in message and "Permission denied" in message and "nothing was saved" in message
    monkeypatch.setattr(os, "replace", real_replace)
    assert snapshot(split) == before  # rolled back, and no temporary files left
    written = protocolkit.save(protocol)  # the retry is not mistaken for an outside change
    assert sorted(p.name for p in written) == ["a.yaml", "b.yaml", "protocol.yaml"]
    assert protocolkit.load(split).rule("RB").title == "Edited title of RB"


def test_a_failure_writing_a_temporary_file_changes_nothing(split, monkeypatch):
    before = snapshot(split)
    protocol = protocolkit.load(split)
    edit_every_file(protocol)
    real_fsync = os.fsync
    count = []

    def failing_fsync(fd):
        count.append(fd)
        if len(count) == 2:
            raise OSError(28, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(SaveRefusedError, match="No space left on device"):
        protocolkit.save(protocol)
    assert snapshot(split) == before


def test_an_edit_made_on_disk_during_the_save_is_not_overwritten(split, monkeypatch):
    protocol = protocolkit.load(split)
    protocol.rule("RA").title = "Edited in the notebook"
    real_load = saving.load_with_findings

    def load_while_someone_edits(*args, **kwargs):
        result = real_load(*args, **kwargs)
        path = split / "a.yaml"
        path.write_text(path.read_text().replace("A rule from an included file", "Edited by hand"), encoding="utf-8")
        return result

    monkeypatch.setattr(saving, "load_with_findings", load_while_someone_edits)
    with pytest.raises(SaveRefusedError, match="a.yaml changed on disk"):
        protocolkit.save(protocol)
    assert "Edited by hand" in (split / "a.yaml").read_text()
    assert "Edited in the notebook" not in "".join(snapshot(split).keys()) + (split / "a.yaml").read_text()


def test_the_read_back_check_writes_nothing_outside_the_protocol_folder(tmp_path):
    """Regression: the check copied each file to TMPDIR/<folder>/<include as written>, so an include
    spelt with '..' put files outside the temporary folder (and could rewrite real ones)."""
    folder = small_copy(tmp_path)
    (folder / "parts").mkdir()
    (folder / "parts" / "rules.yaml").write_text(rules_file("R9"), encoding="utf-8")
    add_include(folder, "parts/../parts/rules.yaml")
    protocol = protocolkit.load(folder)
    protocol.rule("R9").title = "Edited"
    with FileAudit() as audit:
        protocolkit.save(protocol)
    assert outside(audit.writes, folder) == []
    assert protocolkit.load(folder).rule("R9").title == "Edited"


def test_crlf_line_endings_and_the_byte_order_mark_are_kept(tmp_path):
    folder = small_copy(tmp_path)
    path = folder / "protocol.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    protocol = protocolkit.load(folder)
    protocol.rule("R1").title = "A new title"
    protocol.rules.append(protocol.rule("R2").model_copy(update={"id": "R3"}))
    protocolkit.save(protocol)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    assert raw.count(b"\n") == raw.count(b"\r\n") and b"A new title\r\n" in raw
    assert protocolkit.load(folder).rule("R3")


def test_a_symlinked_include_stays_a_link_and_its_target_is_written(tmp_path):
    folder = small_copy(tmp_path)
    (folder / "parts").mkdir()
    (folder / "parts" / "rules.yaml").write_text(rules_file("R9"), encoding="utf-8")
    (folder / "rules.yaml").symlink_to(Path("parts") / "rules.yaml")
    add_include(folder, "rules.yaml")
    protocol = protocolkit.load(folder)
    protocol.rule("R9").title = "Edited through the link"
    protocolkit.save(protocol)
    assert (folder / "rules.yaml").is_symlink()
    assert "Edited through the link" in (folder / "parts" / "rules.yaml").read_text()


def test_a_folded_paragraph_stays_folded(tmp_path):
    folder = small_copy(tmp_path)
    path = folder / "protocol.yaml"
    path.write_text(path.read_text().replace(
        "    rationale: Too much, too early.\n",
        "    rationale: >-\n      Too much, too early: the school does not need police intelligence\n"
        "      before the referral has been screened.\n"), encoding="utf-8")
    protocol = protocolkit.load(folder)
    protocol.rule("R2").rationale = ("Too much, too early: the school does not need police intelligence before "
                                     "the referral has been screened, and the MASH decides what goes on.")
    protocolkit.save(protocol)
    text = path.read_text()
    assert "    rationale: >-\n      Too much" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert protocolkit.load(folder).rule("R2").rationale.endswith("what goes on.")


def test_a_literal_block_stays_literal(tmp_path):
    folder = small_copy(tmp_path)
    path = folder / "protocol.yaml"
    path.write_text(path.read_text().replace(
        "    rationale: Too much, too early.\n", "    rationale: |\n      Too much.\n      Too early.\n"),
        encoding="utf-8")
    protocol = protocolkit.load(folder)
    protocol.rule("R2").rationale = "Too much.\nToo early.\nAnd not needed.\n"
    protocolkit.save(protocol)
    assert "    rationale: |\n      Too much.\n      Too early.\n      And not needed.\n" in path.read_text()


def test_editing_a_shared_anchor_is_refused_with_the_reason(tmp_path):
    folder = small_copy(tmp_path)
    path = folder / "protocol.yaml"
    text = path.read_text()
    text = text.replace("    from: {kinds: [police]}\n", "    from: &police_only {kinds: [police]}\n", 1)
    text = text.replace("    from: any\n", "    from: *police_only\n", 1)
    path.write_text(text, encoding="utf-8")
    before = path.read_bytes()
    protocol = protocolkit.load(folder)
    protocol.rule("R2").from_ = {"partners": ["csc"]}
    with pytest.raises(SaveRefusedError) as caught:
        protocolkit.save(protocol)
    message = str(caught.value)
    assert "anchor" in message and "police_only" in message and "R2" in message
    assert path.read_bytes() == before


def test_save_errors_are_project_errors(split, monkeypatch):
    protocol = protocolkit.load(split)
    protocol.rule("RA").title = "x"
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(30, "Read-only file system")))
    with pytest.raises(ProtocolError, match="Read-only file system"):
        protocolkit.save(protocol)
