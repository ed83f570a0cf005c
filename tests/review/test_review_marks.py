"""Marks on review findings: review.yaml, statuses, reopening, bad ids and broken files."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from ruamel.yaml import YAML

import protocolkit
from protocolkit import ProtocolError, ProtocolValidationError
from protocolkit.review import MARKS_FILE, load_marks, mark_finding, review
from review_helpers import CHAIN, NO_ART9, SHADOWED, SMALL, load_seeded, seeded

TODAY = dt.date(2030, 1, 1)
ON = dt.date(2025, 3, 4)
BY = "A. Example, Data Protection Officer"


@pytest.fixture
def art9(tmp_path):
    """A folder with one error finding (RV101 on R9) and two warnings (RV120 on R2 and R3, RV121 on R3)."""
    return seeded(tmp_path / "p", NO_ART9 + SHADOWED)


def only(report, code):
    [finding] = report.by_code(code)
    return finding


def edit(folder, old, new):
    path = folder / "protocol.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


# -- writing a mark -----------------------------------------------------------------------------------

def test_mark_writes_review_yaml_and_the_finding_is_accepted(art9):
    p = load_seeded(art9)
    before = review(p, today=TODAY)
    finding = only(before, "RV101")
    assert finding.status == "open" and finding.blocking and not before.ok

    mark = mark_finding(p, finding.id, "accepted", BY, "Known gap; R9 is rewritten in version 2.", date=ON)
    assert (mark.finding, mark.status, mark.by, mark.date, mark.subject) == (finding.id, "accepted", BY, ON,
                                                                              finding.subject)
    path = art9 / MARKS_FILE
    assert path.exists()
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert data == {"marks": [{"finding": finding.id, "status": "accepted", "by": BY, "date": ON,
                               "reason": "Known gap; R9 is rewritten in version 2.", "subject": finding.subject}]}
    assert path.read_text(encoding="utf-8").startswith("#")   # a commented header explains the file
    assert load_marks(art9) == [mark]

    after = review(load_seeded(art9), today=TODAY)
    accepted = only(after, "RV101")
    assert accepted.status == "accepted" and not accepted.blocking
    assert accepted.mark == mark
    row = after.to_frame().set_index("id").loc[finding.id]
    assert (row["status"], row["marked_by"], row["marked_on"], row["mark_reason"]) == (
        "accepted", BY, "2025-03-04", "Known gap; R9 is rewritten in version 2.")
    assert after.ok   # the only error is accepted


def test_mitigated_also_unblocks(art9):
    p = load_seeded(art9)
    mark_finding(p, only(review(p), "RV101").id, "mitigated", BY, "Sent only under a DPIA.", date=ON)
    report = review(load_seeded(art9), today=TODAY)
    assert only(report, "RV101").status == "mitigated" and report.ok


def test_the_same_review_object_sees_the_mark_without_reloading(art9):
    p = load_seeded(art9)
    mark_finding(p, only(review(p), "RV101").id, "accepted", BY, "ok", date=ON)
    assert only(review(p, today=TODAY), "RV101").status == "accepted"


def test_marks_on_other_findings_do_not_unblock(art9):
    p = load_seeded(art9)
    mark_finding(p, "RV121/R3", "accepted", BY, "R3 documents the police position.", date=ON)
    report = review(load_seeded(art9), today=TODAY)
    assert only(report, "RV121").status == "accepted"
    assert only(report, "RV101").status == "open" and not report.ok


def test_second_mark_keeps_comments_and_the_first_mark(art9):
    p = load_seeded(art9)
    first = mark_finding(p, only(review(p), "RV101").id, "accepted", BY, "First decision.", date=ON)
    path = art9 / MARKS_FILE
    text = path.read_text(encoding="utf-8")
    text = text.replace("marks:\n", "# Agreed at the partnership board of 3 March 2025.\nmarks:\n")
    text = text.replace("    status: accepted\n", "    status: accepted  # board minute 7\n")
    path.write_text(text, encoding="utf-8")

    second = mark_finding(p, "RV121/R3", "mitigated", "B. Example, MASH manager", "School joins in June.", date=ON)
    text = path.read_text(encoding="utf-8")
    assert "# Agreed at the partnership board of 3 March 2025." in text
    assert "# board minute 7" in text
    assert text.startswith("# Review marks")
    assert load_marks(art9) == [first, second]


def test_marking_again_replaces_the_mark(art9):
    p = load_seeded(art9)
    fid = only(review(p), "RV101").id
    mark_finding(p, fid, "accepted", BY, "First.", date=ON)
    again = mark_finding(p, fid, "mitigated", BY, "Second.", date=dt.date(2025, 4, 1))
    assert load_marks(art9) == [again]
    assert only(review(load_seeded(art9), today=TODAY), "RV101").status == "mitigated"


def test_marking_again_updates_the_mark_where_it_stands_with_its_comments(art9):
    p = load_seeded(art9)
    fid = only(review(p), "RV101").id
    mark_finding(p, fid, "accepted", BY, "First.", date=ON)
    other = mark_finding(p, "RV121/R3", "mitigated", BY, "School joins in June.", date=ON)
    path = art9 / MARKS_FILE
    text = path.read_text(encoding="utf-8")
    text = text.replace("    status: accepted\n", "    status: accepted  # board minute 7\n")
    text = text.replace(f"  - finding: {fid}\n", f"  # decided at the March board\n  - finding: {fid}\n")
    path.write_text(text, encoding="utf-8")

    again = mark_finding(p, fid, "mitigated", BY, "Second.", date=dt.date(2025, 4, 1))
    text = path.read_text(encoding="utf-8")
    assert load_marks(art9) == [again, other]   # in its place, not moved to the end
    assert "# decided at the March board" in text and "# board minute 7" in text
    assert "status: mitigated" in text and "First." not in text


def test_writing_a_mark_is_atomic(art9, monkeypatch):
    p = load_seeded(art9)
    mark_finding(p, "RV121/R3", "accepted", BY, "First.", date=ON)
    path = art9 / MARKS_FILE
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        mark_finding(p, only(review(p), "RV101").id, "accepted", BY, "Second.", date=ON)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(f.name for f in art9.iterdir()) == ["protocol.yaml", MARKS_FILE]   # no temporary file left


def test_an_invalid_status_writes_nothing(art9):
    p = load_seeded(art9)
    with pytest.raises(ValueError):
        mark_finding(p, "RV121/R3", "ignored", BY, "No.", date=ON)
    assert not (art9 / MARKS_FILE).exists()


# -- reopening ----------------------------------------------------------------------------------------------

NARROWER = ("categories: [health]\n    stages: [screening]", "categories: [health.mental_health]\n    stages: [screening]")


def _accept_rv101(folder):
    p = load_seeded(folder)
    finding = only(review(p), "RV101")
    mark_finding(p, finding.id, "accepted", BY, "Accepted for now.", date=ON)
    assert only(review(load_seeded(folder), today=TODAY), "RV101").status == "accepted"
    return finding


def test_editing_the_subject_rule_reopens_the_finding(art9):
    finding = _accept_rv101(art9)
    edit(art9, "    lawful_bases: [UKGDPR.6.1.e]\n", "    lawful_bases: [UKGDPR.6.1.e, CLDC]\n")
    report = review(load_seeded(art9), today=TODAY)
    reopened = only(report, "RV101")
    assert reopened.id == finding.id
    assert reopened.subject != finding.subject
    assert reopened.status == "reopened" and reopened.blocking and not report.ok
    assert reopened.mark is not None and reopened.mark.by == BY


def test_editing_the_subject_rules_title_reopens_it(art9):
    _accept_rv101(art9)
    edit(art9, "title: School shares health with children's social care",
         "title: School shares health with the MASH")
    assert only(review(load_seeded(art9), today=TODAY), "RV101").status == "reopened"


def test_editing_the_subject_rules_categories_reopens_it(art9):
    _accept_rv101(art9)
    edit(art9, *NARROWER)
    report = review(load_seeded(art9), today=TODAY)
    assert only(report, "RV101").status == "reopened"


def test_editing_the_subject_rules_categories_never_leaves_it_accepted(art9):
    """Whatever its id, the edited finding blocks again (the safe half of the requirement)."""
    _accept_rv101(art9)
    edit(art9, *NARROWER)
    report = review(load_seeded(art9), today=TODAY)
    finding = only(report, "RV101")
    assert finding.status in ("open", "reopened") and finding.blocking and not report.ok


def test_editing_another_rule_does_not_reopen(art9):
    _accept_rv101(art9)
    edit(art9, "    rationale: Too much, too early.", "    rationale: Too much, too early (board, 2025).")
    assert only(review(load_seeded(art9), today=TODAY), "RV101").status == "accepted"


def test_a_shadowed_rule_reopens_when_the_shadowing_changes(tmp_path):
    """RV121's subject is the shadowed rule: editing it reopens the finding."""
    folder = seeded(tmp_path / "p", SHADOWED)
    p = load_seeded(folder)
    mark_finding(p, "RV121/R3", "accepted", BY, "Kept as documentation.", date=ON)
    assert only(review(load_seeded(folder), today=TODAY), "RV121").status == "accepted"
    edit(folder, "    title: Police tell schools about convictions at referral",
         "    title: Police tell schools about convictions at referral (kept)")
    assert only(review(load_seeded(folder), today=TODAY), "RV121").status == "reopened"


def test_a_finding_that_goes_away_leaves_its_mark_harmless(tmp_path):
    folder = seeded(tmp_path / "p", CHAIN)
    p = load_seeded(folder)
    mark_finding(p, "RV130/school>csc", "accepted", BY, "Police need it at strategy.", date=ON)
    assert only(review(load_seeded(folder), today=TODAY), "RV130").status == "accepted"
    edit(folder, "    rationale: Seeded, no owner's agreement before onward disclosure.",
         "    obligations: [owner_agreement_before_onward_disclosure]\n    rationale: Seeded, now guarded.")
    edit(folder, "    rationale: Seeded.\n  - id: R8",
         "    obligations: [owner_agreement_before_onward_disclosure]\n    rationale: Seeded.\n  - id: R8")
    report = review(load_seeded(folder), today=TODAY)
    assert not report.by_code("RV130") and report.ok


# -- bad ids and broken files ----------------------------------------------------------------------------------

def test_unknown_finding_id_is_refused_with_a_suggestion(art9):
    p = load_seeded(art9)
    with pytest.raises(ProtocolValidationError) as err:
        mark_finding(p, "RV121/R33", "accepted", BY, "typo", date=ON)
    [finding] = err.value.findings
    assert "RV121/R33" in finding.message
    assert "did you mean" in finding.fix and "RV121/R3" in finding.fix
    assert not (art9 / MARKS_FILE).exists()


def test_unknown_finding_id_without_close_match(art9):
    p = load_seeded(art9)
    with pytest.raises(ProtocolValidationError) as err:
        mark_finding(p, "nothing-like-it", "accepted", BY, "?", date=ON)
    assert "protocolkit review" in err.value.findings[0].fix


BAD_STATUS = """\
# marks
marks:
  - finding: RV121/R3
    status: ignored
    by: someone
    date: 2025-01-01
    reason: because
    subject: abc
"""


def test_malformed_marks_give_a_located_error(art9):
    (art9 / MARKS_FILE).write_text(BAD_STATUS, encoding="utf-8")
    with pytest.raises(ProtocolValidationError) as err:
        load_marks(art9)
    [finding] = err.value.findings
    assert finding.file.endswith(MARKS_FILE)
    assert finding.line == 4
    assert "status" in (finding.key or "") + finding.message
    with pytest.raises(ProtocolValidationError):   # the review refuses it too, rather than ignoring the marks
        review(load_seeded(art9), today=TODAY)


def test_missing_field_gives_a_located_error(art9):
    (art9 / MARKS_FILE).write_text("marks:\n  - finding: RV121/R3\n    status: accepted\n", encoding="utf-8")
    with pytest.raises(ProtocolValidationError) as err:
        load_marks(art9)
    assert all(f.file.endswith(MARKS_FILE) and f.line for f in err.value.findings)
    named = " ".join(f"{f.key} {f.message}" for f in err.value.findings)
    assert all(field in named for field in ("by", "date", "reason", "subject"))


def test_yaml_syntax_error_gives_a_located_error(art9):
    (art9 / MARKS_FILE).write_text("marks:\n  - finding: [RV121/R3\n    status: accepted\n", encoding="utf-8")
    with pytest.raises(ProtocolValidationError) as err:
        load_marks(art9)
    assert err.value.findings[0].file.endswith(MARKS_FILE) and err.value.findings[0].line


def test_marking_refuses_to_touch_a_broken_file(art9):
    (art9 / MARKS_FILE).write_text(BAD_STATUS, encoding="utf-8")
    with pytest.raises(ProtocolValidationError):
        mark_finding(load_seeded(art9), "RV121/R3", "accepted", BY, "ok", date=ON)
    assert (art9 / MARKS_FILE).read_text(encoding="utf-8") == BAD_STATUS


def test_empty_marks_file_means_no_marks(art9):
    (art9 / MARKS_FILE).write_text("# nothing decided yet\n", encoding="utf-8")
    assert load_marks(art9) == []
    mark_finding(load_seeded(art9), "RV121/R3", "accepted", BY, "ok", date=ON)
    assert [m.finding for m in load_marks(art9)] == ["RV121/R3"]


def test_example_marks_all_apply_to_current_findings():
    """The example's review.yaml documents decisions on findings that exist, none of them reopened."""
    from protocolkit.review import review

    marks = load_marks(protocolkit.example_path("mash"))
    assert marks and all(m.by and m.reason for m in marks)
    findings = {f.id: f for f in review(protocolkit.load(protocolkit.example_path("mash"))).findings}
    for mark in marks:
        assert findings[mark.finding].status == mark.status


def test_marking_a_protocol_without_a_folder_is_a_protocol_error():
    p = protocolkit.Protocol.model_validate(protocolkit.load(SMALL).model_dump(by_alias=True))
    assert p.folder is None
    with pytest.raises(ProtocolError):
        mark_finding(p, "RV140/school", "accepted", BY, "ok", date=ON)
