"""The workbench session: edits checked as made, undo, save through the round-trip writer, conflicts on disk."""

import pytest

import protocolkit
from protocolkit.ui.session import EditRefused, Session


def test_edit_and_undo_restore_the_protocol(session):
    original = session.protocol.rules[0].title
    session.edit("retitle", lambda p: setattr(p.rules[0], "title", "New title"))
    assert session.protocol.rules[0].title == "New title"
    assert session.dirty and session.history == ["retitle"]
    assert session.undo() == "retitle"
    assert session.protocol.rules[0].title == original
    assert not session.dirty and session.undo() is None


def test_listeners_hear_every_edit_and_derived_results_are_recomputed(session):
    heard = []
    session.on_change(lambda s, what: heard.append(what))
    before = session.findings()
    rule = session.protocol.rules[0].model_dump(mode="python", by_alias=True, exclude_defaults=True)
    session.set_entry("rules", {**rule, "title": "Changed"}, index=0)
    session.undo()
    assert heard == ["edit", "undo"]
    assert session.findings() is not before


def test_a_structural_error_is_refused_with_the_validate_code(session):
    partner = session.protocol.partners[0]
    data = partner.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    findings = session.check_entry("partners", {**data, "kind": "polise"}, index=0)
    assert any(f.code == "PK110" and "polise" in f.message for f in findings)
    with pytest.raises(EditRefused) as refused:
        session.set_entry("partners", {**data, "kind": "polise"}, index=0)
    assert "PK110" in str(refused.value)
    assert session.protocol.partners[0].kind == partner.kind and not session.history


def test_a_bad_value_gives_a_located_finding_not_an_exception(session):
    data = session.protocol.partners[0].model_dump(mode="python", by_alias=True, exclude_defaults=True)
    findings = session.check_entry("partners", {**data, "id": "Not An Id"}, index=0)
    assert findings and findings[0].code.startswith("PK1") and "partners" in findings[0].key


def test_save_keeps_comments_and_reloads_equal(session, small):
    comments = [line for line in (small / "protocol.yaml").read_text().splitlines() if "#" in line]
    rule = session.protocol.rules[0]
    session.set_entry("rules", {**rule.model_dump(mode="python", by_alias=True, exclude_defaults=True),
                                "title": "A clearer title"}, index=0)
    result = session.save()
    assert result.status == "saved" and result.files
    text_after = (small / "protocol.yaml").read_text()
    assert comments and all(c in text_after for c in comments)
    assert protocolkit.load(small).rule(rule.id).title == "A clearer title"
    assert not session.dirty


def _touch_rule_file(session):
    path = next(iter(session.protocol._source.files.values())).path
    path.write_text(path.read_text() + "\n# edited by someone else\n")
    return path


def test_a_file_changed_on_disk_is_not_overwritten_without_a_choice(session):
    session.edit("retitle", lambda p: setattr(p.rules[0], "title", "Mine"))
    changed = _touch_rule_file(session)
    disk = changed.read_text()
    result = session.save()
    assert result.status == "conflict" and changed in result.files
    assert "changed on disk" in result.message
    assert changed.read_text() == disk


def test_overwrite_writes_mine_and_keeps_their_comment(session, small):
    rule_id = session.protocol.rules[0].id
    session.edit("retitle", lambda p: setattr(p.rules[0], "title", "Mine"))
    changed = _touch_rule_file(session)
    result = session.save(on_conflict="overwrite")
    assert result.status == "saved"
    assert "# edited by someone else" in changed.read_text()
    assert protocolkit.load(small).rule(rule_id).title == "Mine"


def test_reload_drops_my_edits(session):
    title = session.protocol.rules[0].title
    session.edit("retitle", lambda p: setattr(p.rules[0], "title", "Mine"))
    _touch_rule_file(session)
    result = session.save(on_conflict="reload")
    assert result.status == "reloaded"
    assert session.protocol.rules[0].title == title and not session.history
    assert session.changed_on_disk() == []


def test_removing_a_partner_still_named_by_rules_is_refused(session):
    partner = session.protocol.rules[0].to.partners[0]  # csc receives under R1
    with pytest.raises(EditRefused) as refused:
        session.remove_entry("partners", partner)
    assert "still in use" in str(refused.value)
    assert any(p.id == partner for p in session.protocol.partners)


def test_an_edit_never_changes_a_protocol_the_engine_has_cached(session, tmp_path):
    import shutil
    from pathlib import Path

    small = Path(__file__).parents[1] / "fixtures" / "small"
    compiled = session.compiled  # the engine caches these tables with the protocol object they came from
    before = session.protocol
    session.remove_entry("rules", "R1")
    assert "R1" in [r.id for r in before.rules] and "R1" not in [r.id for r in session.protocol.rules]
    assert len(compiled.protocol.rules) == len(compiled.rules)
    twin = Session(shutil.copytree(small, tmp_path / "twin"))  # same content: the cache answers
    assert [r.id for r in twin.compiled.protocol.rules] == [r.id for r in twin.protocol.rules]
    assert twin.review().findings is not None


def test_saving_keeps_what_the_engine_said_and_an_edit_recomputes_it(session):
    session.edit("retitle", lambda p: setattr(p.rules[0], "title", "Mine"))
    review = session.review()
    assert session.save().status == "saved"
    assert session.review() is review
    session.edit("retitle again", lambda p: setattr(p.rules[0], "title", "Mine again"))
    assert session.review() is not review
