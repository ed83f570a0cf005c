"""``protocolkit review PATH``: exit codes, the summary line, --json, --mark and --all."""

from __future__ import annotations

import json
import re

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.review import MARKS_FILE, load_marks
from review_helpers import AGREEMENT, GUARANTEE, NO_ART9, seeded

SUMMARY = re.compile(r"^(\d+) findings? \((none|\d+ \w+(, \d+ \w+)*)\): (\d+) open, (\d+) accepted or mitigated; "
                     r"(\d+) blocking sign-off \(an open error\)\.$")


def run(capsys, *argv):
    code = main(["review", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def summary(lines):
    """(findings, severities, open, accepted or mitigated, blocking) from the summary line."""
    line = next(line for line in reversed(lines) if SUMMARY.match(line))
    match = SUMMARY.match(line)
    return int(match.group(1)), match.group(2), int(match.group(4)), int(match.group(5)), int(match.group(6))


MARKS_BEFORE = (protocolkit.example_path("mash") / MARKS_FILE).read_bytes()


def test_example_exits_0_and_ends_with_the_summary(capsys, tmp_path, mash_report):
    target = tmp_path / "findings.json"
    code, lines, err = run(capsys, protocolkit.example_path("mash"), "--json", target)
    assert code == 0, err
    total, counts, opened, closed, blocking = summary(lines)
    assert blocking == 0 and total == len(mash_report.findings)
    assert "error" not in counts
    # each open finding is printed once under its code's heading, with its id; the
    # partnership's accepted ones (review.yaml) are left out unless --all is given
    for finding in mash_report.findings:
        shown = f"    id: {finding.id}" in lines
        assert shown == (finding.status == "open")
    assert opened == sum(f.status == "open" for f in mash_report.findings) and opened + closed == total
    assert any(line.startswith("RV160 warning: An obligation is lost when a rule is overridden (") for line in lines)
    records = json.loads(target.read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == [f.id for f in mash_report.findings]
    assert {r["severity"] for r in records} <= {"warning", "info"}
    assert set(records[0]) == {"id", "code", "severity", "title", "message", "fix", "partners", "rules", "categories",
                               "subject", "status", "marked_by", "marked_on", "mark_reason"}
    marks = protocolkit.example_path("mash") / MARKS_FILE
    assert marks.read_bytes() == MARKS_BEFORE   # reviewing writes nothing


def test_seeded_error_exits_1(capsys, tmp_path):
    folder = seeded(tmp_path / "p", NO_ART9, AGREEMENT)
    code, lines, _ = run(capsys, folder)
    assert code == 1
    total, counts, opened, closed, blocking = summary(lines)
    assert (total, counts, blocking) == (1, "1 error", 1)
    assert lines[0] == "Open findings (1):"
    assert lines[2] == "RV101 error: Special category data flows without an Art 9 condition (1)"
    assert lines[3].startswith("  Fix: Add an Art 9(2) condition")
    assert lines[4].startswith("  - Rule R9 lets special category data flow")
    assert "    id: RV101/R9" in lines


def test_mark_then_review_exits_0(capsys, tmp_path):
    folder = seeded(tmp_path / "p", sections=GUARANTEE + AGREEMENT)
    code, lines, _ = run(capsys, folder)
    assert code == 1 and summary(lines) == (2, "1 error, 1 info", 2, 0, 1)

    code, lines, err = run(capsys, folder, "--mark", "RV150/R1/G1", "--status", "accepted",
                           "--by", "A. Example, DPO", "--reason", "G1 is being rewritten")
    assert code == 0, err
    assert lines == [f"marked RV150/R1/G1 as accepted in {folder / MARKS_FILE}"]
    [mark] = load_marks(folder)
    assert (mark.finding, mark.status, mark.by, mark.reason) == ("RV150/R1/G1", "accepted", "A. Example, DPO",
                                                                "G1 is being rewritten")

    code, lines, _ = run(capsys, folder)
    assert code == 0
    assert summary(lines) == (2, "1 error, 1 info", 1, 1, 0)
    assert not any(line.startswith("RV150") for line in lines)   # accepted findings are not listed in full
    assert "1 accepted or mitigated finding is not shown: add --all to see who accepted each one, when and why." \
        in lines

    code, lines, _ = run(capsys, folder, "--all")
    assert code == 0
    accepted = lines.index("Accepted or mitigated (1):")
    assert lines[accepted + 2] == "RV150 error: A guarantee is violated (1)"
    assert any(line.startswith("    Accepted by A. Example, DPO on ") and line.endswith(". Why: G1 is being rewritten")
               for line in lines[accepted:])


def test_json_carries_the_mark(capsys, tmp_path):
    folder = seeded(tmp_path / "p", sections=GUARANTEE + AGREEMENT)
    run(capsys, folder, "--mark", "RV150/R1/G1", "--status", "mitigated", "--by", "B", "--reason", "R")
    target = tmp_path / "out.json"
    code, _, _ = run(capsys, folder, "--json", target)
    assert code == 0
    [record] = [r for r in json.loads(target.read_text(encoding="utf-8")) if r["id"] == "RV150/R1/G1"]
    assert (record["status"], record["marked_by"], record["mark_reason"]) == ("mitigated", "B", "R")


def test_reopened_finding_is_shown_and_blocks(capsys, tmp_path):
    folder = seeded(tmp_path / "p", sections=GUARANTEE + AGREEMENT)
    run(capsys, folder, "--mark", "RV150/R1/G1", "--status", "accepted", "--by", "B", "--reason", "R")
    path = folder / "protocol.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("at screening.\n", "at the screening stage.\n"),
                    encoding="utf-8")
    code, lines, _ = run(capsys, folder)
    assert code == 1
    assert "RV150 error: A guarantee is violated (1)" in lines and "    id: RV150/R1/G1" in lines
    assert any(line.startswith("    Reopened: it was marked by B on ") and "what it is about has changed since" in line
               for line in lines)
    assert summary(lines) == (2, "1 error, 1 info", 2, 0, 1)


@pytest.mark.parametrize("missing", ["--status", "--by", "--reason"])
def test_mark_needs_status_by_and_reason(capsys, tmp_path, missing):
    folder = seeded(tmp_path / "p", sections=GUARANTEE + AGREEMENT)
    options = {"--status": "accepted", "--by": "B", "--reason": "R"}
    del options[missing]
    code, _, err = run(capsys, folder, "--mark", "RV150/R1/G1", *[x for kv in options.items() for x in kv])
    assert code == 2
    assert missing in err
    assert not (folder / MARKS_FILE).exists()


def test_mark_unknown_finding_exits_2_with_a_suggestion(capsys, tmp_path):
    folder = seeded(tmp_path / "p", sections=GUARANTEE + AGREEMENT)
    code, _, err = run(capsys, folder, "--mark", "RV150/R1/G2", "--status", "accepted", "--by", "B", "--reason", "R")
    assert code == 2
    assert "RV150/R1/G2" in err and "did you mean RV150/R1/G1" in err


def test_broken_review_yaml_exits_2_with_its_location(capsys, tmp_path):
    folder = seeded(tmp_path / "p", sections=GUARANTEE + AGREEMENT)
    (folder / MARKS_FILE).write_text("marks:\n  - finding: RV150/R1/G1\n    status: maybe\n    by: B\n"
                                     "    date: 2025-01-01\n    reason: R\n    subject: x\n", encoding="utf-8")
    code, _, err = run(capsys, folder)
    assert code == 1  # an error in the protocol's files: 1, as for every command
    assert re.search(rf"{MARKS_FILE}:3:\d+: PK\d+ error", err), err


def test_structural_error_exits_1(capsys, tmp_path):
    folder = seeded(tmp_path / "p")
    path = folder / "protocol.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("from: {kinds: [police]}", "from: {partners: [polise]}"),
                    encoding="utf-8")
    code, lines, err = run(capsys, folder)
    assert code == 1 and "polise" in err and lines == []
