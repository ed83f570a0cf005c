"""Saving: round trips keep what people wrote, writes are atomic, invalid models are never written."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import shutil
import stat
from pathlib import Path

import pytest

import protocolkit
from protocolkit.errors import SaveRefusedError
from protocolkit.model import Obligation, Partner, Protocol, Rule, Selector
from protocolkit.model.saving import atomic_write

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SMALL = FIXTURES / "small"
TODAY = dt.date(2025, 6, 1)

NEW_RULE = {
    "id": "R3", "title": "Children's social care tells the school about attendance concerns",
    "from": {"partners": ["csc"]}, "to": {"partners": ["school"]},
    "categories": ["education.attendance"], "stages": "any", "purposes": ["safeguarding"],
    "outcome": "share", "lawful_bases": ["UKGDPR.6.1.e"], "rationale": "The school needs to know.",
}


@pytest.fixture
def work(tmp_path) -> Path:
    """A private copy of the small fixture."""
    return Path(shutil.copytree(SMALL, tmp_path / "small"))


def text_of(folder: Path, name: str = "protocol.yaml") -> str:
    return (folder / name).read_text(encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below a folder, with its bytes (temporary files included, so leftovers show)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def changed_lines(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    a, b = before.splitlines(), after.splitlines()
    return [(tag, a[i1:i2], b[j1:j2])
            for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes() if tag != "equal"]


# -- round trip -------------------------------------------------------------------------------

def test_edit_title_and_condition_changes_only_those_lines(work):
    before = text_of(work)
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").title = "Police share a risk summary with the MASH"
    protocol.rule("R1").when = {"risk": ">= red"}
    written = protocolkit.save(protocol)
    after = text_of(work)

    assert written == [work / "protocol.yaml"]
    assert changed_lines(before, after) == [
        ("replace", ["    title: Police share a summary of intelligence with the MASH at screening"],
                    ["    title: Police share a risk summary with the MASH"]),
        ("replace", ['    when: {risk: ">= amber"}'], ['    when: {risk: ">= red"}']),
    ]
    reloaded = protocolkit.load(work, today=TODAY)
    assert reloaded.rule("R1").title == "Police share a risk summary with the MASH"
    assert reloaded.rule("R1").when == {"risk": ">= red"}
    assert reloaded.model_dump() == protocol.model_dump()


def test_comments_survive_byte_for_byte(work):
    before = text_of(work)
    comments = [line for line in before.splitlines() if "#" in line]
    assert len(comments) == 2  # the title comment and the inline comment on R1
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").title = "Another title"
    protocol.rule("R2").rationale = "Too much, far too early."
    protocolkit.save(protocol)
    after = text_of(work)
    assert [line for line in after.splitlines() if "#" in line] == comments
    assert after.startswith(before.splitlines(keepends=True)[0])


def test_key_order_and_flow_style_are_kept(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").minimum = "risk summary only"
    protocol.rule("R1").lawful_bases.append("POLICE.common_law")
    protocol.rule("R1").priority = 3  # a key the rule did not have goes last
    protocol.metadata.version = "1.1"
    protocolkit.save(protocol)
    after = text_of(work)
    r1 = after[after.index("  - id: R1"):after.index("  - id: R2")]
    keys = [line.strip().split(":")[0] for line in r1.splitlines() if line.startswith("    ")]
    assert keys == ["title", "from", "to", "categories", "stages", "purposes", "when", "outcome", "minimum",
                    "obligations", "lawful_bases", "rationale", "priority"]
    assert "    from: {kinds: [police]}\n" in r1  # untouched flow mappings stay flow
    assert "    lawful_bases: [UKGDPR.6.1.e, UKGDPR.10, DPA18.s36.4, CA2004.s11, POLICE.common_law]\n" in r1
    metadata_keys = [line.split(":")[0].strip() for line in after.splitlines()[1:8]]
    assert metadata_keys == ["metadata", "id", "title", "version", "status", "owner", "review_date"]
    assert '  version: "1.1"\n' in after or "  version: '1.1'\n" in after
    assert protocolkit.load(work, today=TODAY).metadata.version == "1.1"


def test_a_changed_flow_list_stays_flow(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").obligations.append(Obligation(type="secure_channel"))
    protocolkit.save(protocol)
    assert "    obligations: [record_decision, owner_agreement_before_onward_disclosure, secure_channel]\n" in text_of(work)


def test_saving_an_unchanged_protocol_writes_nothing(work):
    before = snapshot(work)
    mtime = (work / "protocol.yaml").stat().st_mtime_ns
    assert protocolkit.save(protocolkit.load(work, today=TODAY)) == []
    assert snapshot(work) == before
    assert (work / "protocol.yaml").stat().st_mtime_ns == mtime


def test_two_saves_in_a_row(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").title = "First edit"
    protocolkit.save(protocol)
    protocol.rule("R2").title = "Second edit"
    assert protocolkit.save(protocol) == [work / "protocol.yaml"]
    reloaded = protocolkit.load(work, today=TODAY)
    assert (reloaded.rule("R1").title, reloaded.rule("R2").title) == ("First edit", "Second edit")


def test_setting_a_field_back_to_its_default_removes_the_key(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R2").priority = 5
    protocolkit.save(protocol)
    assert "    priority: 5\n" in text_of(work)
    protocol.rule("R2").priority = 0
    protocolkit.save(protocol)
    assert "priority" not in text_of(work)
    assert text_of(work) == text_of(SMALL)


def test_metadata_edit(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.metadata.review_date = dt.date(2030, 4, 1)
    protocol.metadata.summary = "What the partnership shares, and why."
    protocolkit.save(protocol)
    reloaded = protocolkit.load(work, today=TODAY)
    assert reloaded.metadata.review_date == dt.date(2030, 4, 1)
    assert reloaded.metadata.summary == "What the partnership shares, and why."
    assert "  review_date: 2030-04-01\n" in text_of(work)


# -- adding, deleting, reordering ---------------------------------------------------------------

def test_adding_a_rule_appends_it_and_keeps_the_rest(work):
    before = text_of(work)
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rules.append(Rule.model_validate(NEW_RULE))
    protocolkit.save(protocol)
    after = text_of(work)
    assert after.startswith(before)  # R2 was last: everything before stays byte for byte
    reloaded = protocolkit.load(work, today=TODAY)
    assert [r.id for r in reloaded.rules] == ["R1", "R2", "R3"]
    assert reloaded.rule("R3").model_dump() == Rule.model_validate(NEW_RULE).model_dump()


def test_deleting_a_rule_removes_only_its_lines(work):
    before = text_of(work)
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rules = [r for r in protocol.rules if r.id != "R1"]
    protocolkit.save(protocol)
    after = text_of(work)
    changes = changed_lines(before, after)
    assert [tag for tag, _, _ in changes] == ["delete"]
    removed = changes[0][1]
    assert removed[0] == "  - id: R1  # police summary to the MASH at screening"
    assert removed[-1] == "    rationale: Share only what is relevant (golden rule 6)."
    assert len(removed) == 13
    assert [r.id for r in protocolkit.load(work, today=TODAY).rules] == ["R2"]


def test_deleting_a_partner_in_the_middle(work):
    before = text_of(work)
    protocol = protocolkit.load(work, today=TODAY)
    protocol.partners = [p for p in protocol.partners if p.id != "mash_team"]
    protocolkit.save(protocol)
    assert [tag for tag, _, _ in changed_lines(before, text_of(work))] == ["delete"]
    assert [p.id for p in protocolkit.load(work, today=TODAY).partners] == ["police", "csc", "school"]


def test_add_and_delete_in_one_save(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rules = [r for r in protocol.rules if r.id != "R2"] + [Rule.model_validate(NEW_RULE)]
    protocolkit.save(protocol)
    after = text_of(work)
    assert "R2" not in after and "  - id: R3\n" in after
    assert "  - id: R1  # police summary to the MASH at screening\n" in after
    assert [r.id for r in protocolkit.load(work, today=TODAY).rules] == ["R1", "R3"]


def test_reordering_rules_keeps_each_rules_comment(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rules = list(reversed(protocol.rules))
    protocolkit.save(protocol)
    after = text_of(work)
    assert after.index("  - id: R2") < after.index("  - id: R1  # police summary to the MASH at screening")
    assert [r.id for r in protocolkit.load(work, today=TODAY).rules] == ["R2", "R1"]


def test_adding_a_partner_used_by_a_new_rule(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.partners.append(Partner(id="gp_practice", name="Riverside GP", kind="gp", statutory_powers=["NHSA2006.Pt4"]))
    rule = dict(NEW_RULE, id="R9", to={"partners": ["gp_practice"]})
    protocol.rules.append(Rule.model_validate(rule))
    protocolkit.save(protocol)
    reloaded = protocolkit.load(work, today=TODAY)
    assert reloaded.partner("gp_practice").kind == "gp"
    assert reloaded.rule("R9").to.partners == ["gp_practice"]


def test_appended_partner_goes_before_the_blank_line_that_ends_the_section(work):
    before = text_of(work)
    protocol = protocolkit.load(work, today=TODAY)
    protocol.partners.append(Partner(id="gp_practice", name="Riverside GP", kind="gp", statutory_powers=["NHSA2006.Pt4"]))
    protocolkit.save(protocol)
    after = text_of(work)
    assert changed_lines(before, after) == [("insert", [], [
        "  - id: gp_practice", "    name: Riverside GP", "    kind: gp", "    statutory_powers: [NHSA2006.Pt4]"])]
    assert "    statutory_powers: [NHSA2006.Pt4]\n\nrules:\n" in after


# -- refusing to save ---------------------------------------------------------------------------

def test_invalid_edit_is_refused_and_the_file_is_unchanged(work):
    before = snapshot(work)
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").to = Selector(partners=["polise"])
    with pytest.raises(SaveRefusedError) as caught:
        protocolkit.save(protocol)
    assert "polise" in str(caught.value) and "PK110" in str(caught.value)
    assert snapshot(work) == before


@pytest.mark.parametrize("breakage", ["duplicate_id", "unknown_category", "cycle", "bypassed_validation"])
def test_other_invalid_models_are_never_written(work, breakage):
    before = snapshot(work)
    protocol = protocolkit.load(work, today=TODAY)
    if breakage == "duplicate_id":
        protocol.rules.append(protocol.rule("R2").model_copy(deep=True))
    elif breakage == "unknown_category":
        protocol.rule("R2").categories.append("criminal.convictons")  # in-place: no assignment validation
    elif breakage == "cycle":
        protocol.partner("csc").part_of = "mash_team"  # mash_team is part of csc
    else:  # a value pydantic would refuse, forced past assignment validation
        protocol.rule("R1").__dict__["minimum"] = None
    with pytest.raises(SaveRefusedError):
        protocolkit.save(protocol)
    assert snapshot(work) == before


def test_a_refused_save_leaves_the_protocol_saveable_once_fixed(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").to = Selector(partners=["polise"])
    with pytest.raises(SaveRefusedError):
        protocolkit.save(protocol)
    protocol.rule("R1").to = Selector(partners=["police"])
    protocolkit.save(protocol)
    assert "    to: {partners: [police]}\n" in text_of(work)


def test_file_changed_on_disk_since_load_is_not_overwritten(work):
    protocol = protocolkit.load(work, today=TODAY)
    edited_elsewhere = text_of(work).replace("Too much, too early.", "Edited in another window.")
    (work / "protocol.yaml").write_text(edited_elsewhere, encoding="utf-8")
    before = snapshot(work)
    protocol.rule("R1").title = "My edit"
    with pytest.raises(SaveRefusedError) as caught:
        protocolkit.save(protocol)
    assert "changed on disk" in str(caught.value)
    assert snapshot(work) == before


def test_file_changed_on_disk_after_a_save_is_detected_too(work):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").title = "First"
    protocolkit.save(protocol)
    (work / "protocol.yaml").write_text(text_of(work) + "# a note added by hand\n", encoding="utf-8")
    before = snapshot(work)
    protocol.rule("R1").title = "Second"
    with pytest.raises(SaveRefusedError):
        protocolkit.save(protocol)
    assert snapshot(work) == before


def test_deleted_file_is_not_recreated(work):
    protocol = protocolkit.load(work, today=TODAY)
    (work / "protocol.yaml").unlink()
    protocol.rule("R1").title = "My edit"
    with pytest.raises(SaveRefusedError):
        protocolkit.save(protocol)
    assert not (work / "protocol.yaml").exists()


def test_loaded_protocol_does_not_save_elsewhere(work, tmp_path):
    protocol = protocolkit.load(work, today=TODAY)
    with pytest.raises(SaveRefusedError):
        protocolkit.save(protocol, tmp_path / "elsewhere")
    assert not (tmp_path / "elsewhere").exists()


# -- protocols split over files -----------------------------------------------------------------

SPLIT_MAIN = """# The main file
metadata:
  id: split
  title: Split protocol
  version: "0.1"
  owner: csc
include: [rules/*.yaml]  # every rules file
partners:
  - {id: csc, name: Children's social care, kind: childrens_social_care, statutory_powers: [CA1989.s47]}
  - {id: school, name: Testshire Primary, kind: school, statutory_powers: [EA2002.s175]}
rules:
  - id: M1
    title: Main rule
    from: {partners: [csc]}
    to: {partners: [school]}
    categories: [education.attendance]
    stages: any
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e]
    rationale: Kept in the main file.
"""

SPLIT_RULE = """  - id: {id}  # {comment}
    title: {title}
    from: {{partners: [csc]}}
    to: {{partners: [school]}}
    categories: [education.attendance]
    stages: any
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e]
    rationale: Kept in {file}.
"""


@pytest.fixture
def split(tmp_path) -> Path:
    folder = tmp_path / "split"
    (folder / "rules").mkdir(parents=True)
    (folder / "protocol.yaml").write_text(SPLIT_MAIN, encoding="utf-8")
    (folder / "rules" / "a.yaml").write_text(
        "# rules from file a\nrules:\n" + SPLIT_RULE.format(id="A1", comment="first of a", title="Rule A1", file="a")
        + SPLIT_RULE.format(id="A2", comment="second of a", title="Rule A2", file="a"), encoding="utf-8")
    (folder / "rules" / "b.yaml").write_text(
        "# rules from file b\nrules:\n" + SPLIT_RULE.format(id="B1", comment="only b", title="Rule B1", file="b"),
        encoding="utf-8")
    return folder


def test_split_protocol_loads_in_file_order(split):
    assert [r.id for r in protocolkit.load(split, today=TODAY).rules] == ["M1", "A1", "A2", "B1"]


def test_each_entry_is_saved_to_the_file_it_came_from(split):
    before = snapshot(split)
    protocol = protocolkit.load(split, today=TODAY)
    protocol.rule("A2").title = "Rule A2, edited"
    protocol.rule("B1").rationale = "Edited in b."
    written = protocolkit.save(protocol)
    assert sorted(written) == [split / "rules" / "a.yaml", split / "rules" / "b.yaml"]
    after = snapshot(split)
    assert after["protocol.yaml"] == before["protocol.yaml"]
    a_changes = changed_lines(before["rules/a.yaml"].decode(), after["rules/a.yaml"].decode())
    assert a_changes == [("replace", ["    title: Rule A2"], ["    title: Rule A2, edited"])]
    b_changes = changed_lines(before["rules/b.yaml"].decode(), after["rules/b.yaml"].decode())
    assert b_changes == [("replace", ["    rationale: Kept in b."], ["    rationale: Edited in b."])]
    reloaded = protocolkit.load(split, today=TODAY)
    assert [r.id for r in reloaded.rules] == ["M1", "A1", "A2", "B1"]
    assert reloaded.rule("A2").title == "Rule A2, edited"


def test_edit_in_main_file_of_split_protocol_touches_only_main(split):
    before = snapshot(split)
    protocol = protocolkit.load(split, today=TODAY)
    protocol.rule("M1").title = "Main rule, edited"
    assert protocolkit.save(protocol) == [split / "protocol.yaml"]
    after = snapshot(split)
    assert {k for k in after if after[k] != before.get(k)} == {"protocol.yaml"}
    assert "include: [rules/*.yaml]  # every rules file\n" in after["protocol.yaml"].decode()


def test_deleting_an_entry_from_an_included_file(split):
    protocol = protocolkit.load(split, today=TODAY)
    protocol.rules = [r for r in protocol.rules if r.id != "A1"]
    assert protocolkit.save(protocol) == [split / "rules" / "a.yaml"]
    a = text_of(split, "rules/a.yaml")
    assert "A1" not in a and "  - id: A2  # second of a\n" in a and a.startswith("# rules from file a\n")
    assert [r.id for r in protocolkit.load(split, today=TODAY).rules] == ["M1", "A2", "B1"]


def test_new_entry_goes_to_the_file_of_the_sections_last_entry(split):
    protocol = protocolkit.load(split, today=TODAY)
    protocol.rules.append(Rule.model_validate(dict(NEW_RULE, id="N1")))
    assert protocolkit.save(protocol) == [split / "rules" / "b.yaml"]
    assert "  - id: N1\n" in text_of(split, "rules/b.yaml")
    assert [r.id for r in protocolkit.load(split, today=TODAY).rules] == ["M1", "A1", "A2", "B1", "N1"]


def test_included_file_changed_on_disk_blocks_the_whole_save(split):
    protocol = protocolkit.load(split, today=TODAY)
    (split / "rules" / "b.yaml").write_text(text_of(split, "rules/b.yaml") + "# hand edit\n", encoding="utf-8")
    before = snapshot(split)
    protocol.rule("M1").title = "Edit in the main file only"
    with pytest.raises(SaveRefusedError):
        protocolkit.save(protocol)
    assert snapshot(split) == before


# -- protocols built in memory ------------------------------------------------------------------

def in_memory() -> Protocol:
    return Protocol.model_validate({
        "metadata": {"id": "memory", "title": "Built in memory", "version": "1", "owner": "csc",
                     "review_date": "2099-01-01"},
        "partners": [
            {"id": "csc", "name": "Children's social care", "kind": "childrens_social_care",
             "statutory_powers": ["CA1989.s47"]},
            {"id": "school", "name": "Testshire Primary", "kind": "school", "statutory_powers": ["EA2002.s175"]},
        ],
        "rules": [NEW_RULE],
    })


def test_save_in_memory_protocol_to_a_new_folder(tmp_path):
    protocol = in_memory()
    assert protocol.folder is None
    folder = tmp_path / "new" / "protocol"
    assert protocolkit.save(protocol, folder) == [folder / "protocol.yaml"]
    assert snapshot(folder).keys() == {"protocol.yaml"}
    reloaded = protocolkit.load(folder, today=TODAY)
    assert reloaded.model_dump() == protocol.model_dump()
    assert protocol.folder == folder
    # the protocol is now bound to its files: further edits save there
    protocol.rules[0].title = "Edited after the first save"
    assert protocolkit.save(protocol) == [folder / "protocol.yaml"]
    assert protocolkit.load(folder, today=TODAY).rules[0].title == "Edited after the first save"


def test_in_memory_protocol_needs_a_folder():
    with pytest.raises(SaveRefusedError):
        protocolkit.save(in_memory())


def test_in_memory_protocol_does_not_overwrite_an_existing_file(tmp_path):
    (tmp_path / "protocol.yaml").write_text("# someone's work\n", encoding="utf-8")
    with pytest.raises(SaveRefusedError):
        protocolkit.save(in_memory(), tmp_path)
    assert text_of(tmp_path) == "# someone's work\n"


def test_invalid_in_memory_protocol_is_not_written(tmp_path):
    protocol = in_memory()
    protocol.rules[0].to = Selector(partners=["nobody"])
    with pytest.raises(SaveRefusedError):
        protocolkit.save(protocol, tmp_path / "out")
    assert not (tmp_path / "out" / "protocol.yaml").exists()


def test_new_file_gets_the_usual_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        protocolkit.save(in_memory(), tmp_path / "out")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out" / "protocol.yaml").stat().st_mode) == 0o644


# -- atomic writes ------------------------------------------------------------------------------

def test_atomic_write_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "protocol.yaml"
    target.write_text("old\n", encoding="utf-8")
    atomic_write(target, "new: text\n")
    assert target.read_text(encoding="utf-8") == "new: text\n"
    assert [p.name for p in tmp_path.iterdir()] == ["protocol.yaml"]


def test_atomic_write_keeps_the_file_mode(tmp_path):
    target = tmp_path / "protocol.yaml"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    atomic_write(target, "new\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_atomic_write_failure_leaves_the_old_file_and_no_temp_files(tmp_path):
    target = tmp_path / "protocol.yaml"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(target, "a lone surrogate \udc80 cannot be written as UTF-8")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["protocol.yaml"]


def test_atomic_write_writes_through_a_rename(tmp_path, monkeypatch):
    """The target is replaced by os.replace from a temporary file in the same folder."""
    target = tmp_path / "protocol.yaml"
    target.write_text("old\n", encoding="utf-8")
    calls = []
    real_replace = os.replace

    def spy(src, dst):
        calls.append((Path(src), Path(dst)))
        assert Path(src).parent == tmp_path and Path(src).read_text(encoding="utf-8") == "new\n"
        assert target.read_text(encoding="utf-8") == "old\n"  # untouched until the rename
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write(target, "new\n")
    assert len(calls) == 1 and calls[0][1] == target


def test_saves_leave_no_temp_files(work, split):
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R1").title = "Edited"
    protocolkit.save(protocol)
    other = protocolkit.load(split, today=TODAY)
    other.rule("A1").title = "Edited"
    other.rule("M1").title = "Edited"
    protocolkit.save(other)
    assert snapshot(work).keys() == {"protocol.yaml"}
    assert snapshot(split).keys() == {"protocol.yaml", "rules/a.yaml", "rules/b.yaml"}


def test_untouched_single_pair_flow_mapping_keeps_its_braces(work):
    text = text_of(work).replace(
        "    obligations: [record_decision, owner_agreement_before_onward_disclosure]",
        "    obligations: [record_decision, {deadline: the same working day}]")
    (work / "protocol.yaml").write_text(text, encoding="utf-8")
    protocol = protocolkit.load(work, today=TODAY)
    protocol.rule("R2").title = "An edit elsewhere in the file"
    protocolkit.save(protocol)
    assert "    obligations: [record_decision, {deadline: the same working day}]\n" in text_of(work)


# -- short entries and comments over several saves --------------------------------------------

OUTSIDE_SHORT = """
# Parties outside the partnership: the first three written short, by kind alone.
outside:
  - data_subject   # the person the information is about
  # a family member asking about a relative
  - family_member
  - public
  - id: landlord
    kind: organisation
    label: A private landlord
"""


@pytest.fixture
def short_outside(work) -> Path:
    (work / "protocol.yaml").write_text(text_of(work) + OUTSIDE_SHORT, encoding="utf-8")
    return work


def test_short_outside_entries_survive_an_edit_elsewhere(short_outside):
    before = text_of(short_outside)
    protocol = protocolkit.load(short_outside, today=TODAY)
    assert [p.id for p in protocol.outside] == ["data_subject", "family_member", "public", "landlord"]
    protocol.rule("R1").title = "An edit elsewhere in the file"
    protocolkit.save(protocol)
    assert changed_lines(before, text_of(short_outside)) == [
        ("replace", ["    title: Police share a summary of intelligence with the MASH at screening"],
         ["    title: An edit elsewhere in the file"])]


def test_editing_one_outside_party_leaves_the_short_ones_short(short_outside):
    before = text_of(short_outside)
    protocol = protocolkit.load(short_outside, today=TODAY)
    protocol.outside[3].label = "A private landlord or letting agent"
    protocolkit.save(protocol)
    assert changed_lines(before, text_of(short_outside)) == [
        ("replace", ["    label: A private landlord"], ["    label: A private landlord or letting agent"])]


def test_a_short_outside_entry_given_its_own_label_is_written_in_full(short_outside):
    protocol = protocolkit.load(short_outside, today=TODAY)
    protocol.outside[2].label = "A member of the public (a Clare's Law applicant)"
    protocolkit.save(protocol)
    after = text_of(short_outside)
    assert "  - data_subject   # the person the information is about\n" in after
    assert "  # a family member asking about a relative\n  - family_member\n" in after
    assert "label: A member of the public (a Clare's Law applicant)" in after
    assert protocolkit.load(short_outside, today=TODAY).outside[2].label == "A member of the public (a Clare's Law applicant)"


def test_short_outside_entries_and_comments_survive_several_saves_in_one_session(short_outside):
    text = text_of(short_outside).replace("rules:\n", "rules:\n\n  # --- screening ---\n  # the police rule first\n\n", 1)
    (short_outside / "protocol.yaml").write_text(text, encoding="utf-8")
    protocol = protocolkit.load(short_outside, today=TODAY)
    for n in range(3):  # each save writes the document the previous one left in memory
        protocol.rule("R2").title = f"Edit number {n}"
        assert protocolkit.save(protocol) == [short_outside / "protocol.yaml"]
    protocol.outside[3].label = "A letting agent"
    protocolkit.save(protocol)
    after = text_of(short_outside)
    assert changed_lines(text, after) == [
        ("replace", [line for line in text.splitlines() if line.startswith("    title: ") and "R2" not in line][1:2],
         ["    title: Edit number 2"]),
        ("replace", ["    label: A private landlord"], ["    label: A letting agent"])]
    assert "rules:\n\n  # --- screening ---\n  # the police rule first\n\n  - id: R1" in after
    assert [p.id for p in protocolkit.load(short_outside, today=TODAY).outside][:3] == ["data_subject", "family_member", "public"]
