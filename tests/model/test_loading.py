"""Loading a protocol folder: every problem at once, includes, located findings, the error type."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import pytest

import protocolkit
from protocolkit.errors import Finding, ProtocolError, ProtocolValidationError, SaveRefusedError, Severity
from protocolkit.model import Protocol, load_with_findings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SMALL = FIXTURES / "small"
TODAY = dt.date(2025, 6, 1)

HEADER = """metadata:
  id: split
  title: A protocol split over several files
  version: "0.1"
  owner: csc
"""

RULE = """  - id: {id}
    title: Rule {id}
    from: {{partners: [{sender}]}}
    to: {{partners: [csc]}}
    categories: [education.attendance]
    stages: any
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e]
    rationale: For the tests.
"""


def small_text() -> str:
    return (SMALL / "protocol.yaml").read_text(encoding="utf-8")


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return folder


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    hits = [i for i, line in enumerate(text.splitlines(), 1) if marker in line]
    return hits[occurrence - 1]


# -- the small fixture ------------------------------------------------------------------------

def test_small_fixture_validates_without_findings():
    assert protocolkit.validate(SMALL, today=TODAY) == []


def test_small_fixture_loads():
    protocol = protocolkit.load(SMALL, today=TODAY)
    assert isinstance(protocol, Protocol)
    assert protocol.metadata.id == "small"
    assert [p.id for p in protocol.partners] == ["police", "csc", "mash_team", "school"]
    assert [r.id for r in protocol.rules] == ["R1", "R2"]
    assert protocol.rule("R1").from_.kinds == ["police"]
    assert protocol.rule("R2").to.kinds == ["school"]
    assert protocol.rule("R1").when == {"risk": ">= amber"}
    assert protocol.metadata.review_date == dt.date(2099, 1, 1)
    assert protocol.folder == SMALL


@pytest.mark.parametrize("how", [str(SMALL), SMALL, SMALL / "protocol.yaml", str(SMALL / "protocol.yaml")],
                         ids=["str-folder", "path-folder", "path-file", "str-file"])
def test_load_accepts_folder_or_file_as_str_or_path(how):
    assert protocolkit.load(how, today=TODAY).metadata.id == "small"


def test_validate_returns_warnings_and_load_does_not_raise_for_them():
    """Only errors block loading: the small fixture's review date passes in 2100."""
    later = dt.date(2100, 1, 1)
    findings = protocolkit.validate(SMALL, today=later)
    assert [(f.code, f.severity, f.line) for f in findings] == [("PK205", Severity.WARNING, 8)]
    assert protocolkit.load(SMALL, today=later).metadata.id == "small"


def test_load_with_findings_returns_both():
    protocol, findings = load_with_findings(SMALL, today=dt.date(2100, 1, 1))
    assert protocol is not None and [f.code for f in findings] == ["PK205"]
    protocol, findings = load_with_findings(FIXTURES / "invalid" / "bad_status.yaml")
    assert protocol is None and [f.code for f in findings] == ["PK101"]


# -- every problem at once --------------------------------------------------------------------

def test_three_independent_reference_errors_give_three_findings(tmp_path):
    text = (small_text()
            .replace("    kind: police\n", "    kind: polise\n")
            .replace("    stages: [referral, screening]", "    stages: [referral, screenning]")
            .replace("    purposes: [safeguarding]", "    purposes: [safegaurding]"))
    write(tmp_path, {"protocol.yaml": text})
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(tmp_path, today=TODAY)
    err = caught.value
    assert [(f.code, f.line) for f in err.findings] == [
        ("PK110", line_of(text, "kind: polise")),
        ("PK110", line_of(text, "[safegaurding]")),
        ("PK110", line_of(text, "screenning")),
    ]
    assert str(err).startswith("3 problems found:\n")
    assert len(str(err).splitlines()) == 4


def test_three_independent_structure_errors_give_three_findings(tmp_path):
    text = (small_text()
            .replace("  status: draft", "  status: final")
            .replace("  - id: school\n", "  - id: Primary-School\n")
            .replace("    outcome: refuse\n", "    outcome: refuse\n    priority: high\n"))
    write(tmp_path, {"protocol.yaml": text})
    findings = protocolkit.validate(tmp_path, today=TODAY)
    assert [(f.code, f.line) for f in findings] == [
        ("PK101", line_of(text, "status: final")),
        ("PK101", line_of(text, "Primary-School")),
        ("PK101", line_of(text, "priority: high")),
    ]
    assert [f.key for f in findings] == ["metadata.status", "partners[Primary-School].id", "rules[R2].priority"]


def test_errors_in_several_files_are_all_reported(tmp_path):
    write(tmp_path, {
        "protocol.yaml": small_text().replace("    kind: police\n", "    kind: polise\n")
        + "include: [a.yaml, b.yaml]\n",
        "a.yaml": "rules:\n" + RULE.format(id="R3", sender="polise"),
        "b.yaml": "rules:\n" + RULE.format(id="R4", sender="scool"),
    })
    findings = protocolkit.validate(tmp_path, today=TODAY)
    where = [(Path(f.file).name, f.line, f.code) for f in findings]
    assert where == [("a.yaml", 4, "PK110"), ("b.yaml", 4, "PK110"), ("protocol.yaml", 13, "PK110")]


def test_findings_are_in_file_order(tmp_path):
    text = (small_text()
            .replace("    purposes: any", "    purposes: [safegaurding]")
            .replace("    kind: school\n", "    kind: scool\n"))
    write(tmp_path, {"protocol.yaml": text})
    lines = [f.line for f in protocolkit.validate(tmp_path, today=TODAY)]
    assert lines == sorted(lines) and len(lines) == 2


# -- includes ---------------------------------------------------------------------------------

def test_includes_merge_list_sections_in_order(tmp_path):
    write(tmp_path, {
        "protocol.yaml": small_text() + "include:\n  - more/partners.yaml\n  - more/rules.yaml\n",
        "more/partners.yaml": "partners:\n  - id: gp_practice\n    name: Riverside GP\n    kind: gp\n"
                              "    statutory_powers: [NHSA2006.Pt4]\n",
        "more/rules.yaml": "rules:\n" + RULE.format(id="R3", sender="gp_practice") + RULE.format(id="R4", sender="school"),
    })
    protocol = protocolkit.load(tmp_path, today=TODAY)
    assert [p.id for p in protocol.partners] == ["police", "csc", "mash_team", "school", "gp_practice"]
    assert [r.id for r in protocol.rules] == ["R1", "R2", "R3", "R4"]
    assert protocol.include == ["more/partners.yaml", "more/rules.yaml"]


def test_include_glob_takes_matching_files_in_sorted_order(tmp_path):
    write(tmp_path, {
        "protocol.yaml": small_text() + 'include: ["rules/*.yaml"]\n',
        "rules/20_second.yaml": "rules:\n" + RULE.format(id="R20", sender="school"),
        "rules/10_first.yaml": "rules:\n" + RULE.format(id="R10", sender="police"),
        "rules/notes.txt": "not yaml: [",
        "rules/old/99_ignored.yaml": "rules:\n" + RULE.format(id="R99", sender="nobody"),
    })
    protocol = protocolkit.load(tmp_path, today=TODAY)
    assert [r.id for r in protocol.rules] == ["R1", "R2", "R10", "R20"]


def test_an_included_file_may_add_several_sections(tmp_path):
    write(tmp_path, {
        "protocol.yaml": small_text() + "include: [extra.yaml]\n",
        "extra.yaml": "categories:\n  - {id: local, label: Local data}\n  - {id: local.notes, label: Local notes}\n"
                      "rules:\n" + RULE.format(id="R3", sender="school").replace("education.attendance", "local.notes"),
    })
    protocol = protocolkit.load(tmp_path, today=TODAY)
    assert [c.id for c in protocol.categories] == ["local", "local.notes"]
    assert protocol.rule("R3").categories == ["local.notes"]


def test_an_empty_included_file_adds_nothing(tmp_path):
    write(tmp_path, {"protocol.yaml": small_text() + "include: [empty.yaml]\n", "empty.yaml": "# nothing yet\n"})
    assert [r.id for r in protocolkit.load(tmp_path, today=TODAY).rules] == ["R1", "R2"]


def test_finding_in_included_file_names_that_file_and_line(tmp_path):
    included = "# more rules\nrules:\n" + RULE.format(id="R3", sender="school") + RULE.format(id="R4", sender="polise")
    write(tmp_path, {"protocol.yaml": small_text() + "include: [rules.yaml]\n", "rules.yaml": included})
    (finding,) = protocolkit.validate(tmp_path, today=TODAY)
    assert Path(finding.file).name == "rules.yaml"
    assert finding.line == line_of(included, "[polise]")
    assert finding.column == line_of_column(included, "polise")
    assert finding.key == "rules[R4].from.partners[0]"
    assert finding.fix == "did you mean 'police'?"


def line_of_column(text: str, marker: str) -> int:
    line = next(line for line in text.splitlines() if marker in line)
    return line.index(marker) + 1


def test_structure_error_in_included_file_names_that_file(tmp_path):
    included = "rules:\n" + RULE.format(id="R3", sender="school").replace("    outcome: share\n", "    outcome: shared\n")
    write(tmp_path, {"protocol.yaml": small_text() + "include: [rules.yaml]\n", "rules.yaml": included})
    (finding,) = protocolkit.validate(tmp_path, today=TODAY)
    assert (Path(finding.file).name, finding.line, finding.code) == ("rules.yaml", line_of(included, "shared"), "PK101")


def test_missing_include_is_pk114_at_the_include_line(tmp_path):
    text = small_text() + "include:\n  - there.yaml\n  - not_there.yaml\n"
    write(tmp_path, {"protocol.yaml": text, "there.yaml": "rules: []\n"})
    (finding,) = protocolkit.validate(tmp_path, today=TODAY)
    assert (finding.code, finding.line, Path(finding.file).name) == ("PK114", line_of(text, "not_there"), "protocol.yaml")
    assert "not_there.yaml" in finding.message


def test_include_that_is_not_a_list_is_a_structure_error(tmp_path):
    text = small_text() + "include: more.yaml\n"
    write(tmp_path, {"protocol.yaml": text, "more.yaml": "rules: []\n"})
    (finding,) = protocolkit.validate(tmp_path, today=TODAY)
    assert (finding.code, finding.line) == ("PK101", line_of(text, "include:"))


def test_included_file_that_is_not_a_mapping(tmp_path):
    write(tmp_path, {"protocol.yaml": small_text() + "include: [more.yaml]\n", "more.yaml": "- id: R3\n"})
    (finding,) = protocolkit.validate(tmp_path, today=TODAY)
    assert (finding.code, Path(finding.file).name, finding.line) == ("PK101", "more.yaml", 1)


def test_included_section_that_is_not_a_list(tmp_path):
    write(tmp_path, {"protocol.yaml": small_text() + "include: [more.yaml]\n",
                     "more.yaml": "# note\nrules:\n  id: R3\n"})
    (finding,) = protocolkit.validate(tmp_path, today=TODAY)
    assert (finding.code, Path(finding.file).name, finding.line) == ("PK101", "more.yaml", 2)


def test_metadata_cannot_come_from_an_included_file(tmp_path):
    write(tmp_path, {"protocol.yaml": small_text() + "include: [more.yaml]\n",
                     "more.yaml": "metadata:\n  id: other\n"})
    (finding,) = protocolkit.validate(tmp_path, today=TODAY)
    assert (finding.code, Path(finding.file).name, finding.line) == ("PK102", "more.yaml", 1)


def test_duplicate_id_across_files_points_at_the_second(tmp_path):
    included = "rules:\n" + RULE.format(id="R2", sender="school")
    write(tmp_path, {"protocol.yaml": small_text() + "include: [more.yaml]\n", "more.yaml": included})
    (finding,) = protocolkit.validate(tmp_path, today=TODAY)
    assert (finding.code, Path(finding.file).name, finding.line) == ("PK111", "more.yaml", 2)
    assert "R2" in finding.message


# -- files that are not protocols -------------------------------------------------------------

def test_missing_folder_is_pk114(tmp_path):
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(tmp_path / "nowhere")
    assert [f.code for f in caught.value.findings] == ["PK114"]


@pytest.mark.parametrize("text", ["", "# only a comment\n", "just text\n", "42\n", "- a\n- b\n", "null\n"])
def test_documents_that_are_not_a_mapping(tmp_path, text):
    write(tmp_path, {"protocol.yaml": text})
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.load(tmp_path)
    assert [(f.code, f.line) for f in caught.value.findings] == [("PK101", 1)]


def test_not_utf8(tmp_path):
    (tmp_path / "protocol.yaml").write_bytes(small_text().encode("utf-8").replace(b"Testshire", b"Test\xe9shire", 1))
    (finding,) = protocolkit.validate(tmp_path)
    assert finding.code == "PK100" and "UTF-8" in finding.message and finding.fix


def test_syntax_error_has_line_and_column(tmp_path):
    text = small_text().replace("    title: Schools never", "    title: Schools: never")
    write(tmp_path, {"protocol.yaml": text})
    (finding,) = protocolkit.validate(tmp_path)
    column = "    title: Schools: never".index(": never") + 1  # the second colon, 1-based
    assert (finding.code, finding.line, finding.column) == ("PK100", line_of(text, "Schools: never"), column)


def test_missing_metadata(tmp_path):
    text = small_text()
    write(tmp_path, {"protocol.yaml": text[text.index("partners:"):]})
    (finding,) = protocolkit.validate(tmp_path)
    assert (finding.code, finding.line) == ("PK103", 1)
    assert "metadata" in finding.message


def test_unknown_top_level_key_suggests_the_section(tmp_path):
    text = small_text().replace("rules:\n", "rulez:\n")
    write(tmp_path, {"protocol.yaml": text})
    (finding,) = protocolkit.validate(tmp_path)
    assert (finding.code, finding.line, finding.column) == ("PK102", line_of(text, "rulez:"), 1)
    assert finding.fix == "did you mean 'rules'?"


def test_unknown_key_without_close_match_lists_the_allowed_keys(tmp_path):
    text = small_text().replace("  owner: csc\n", "  owner: csc\n  zzzzzz: 1\n")
    write(tmp_path, {"protocol.yaml": text})
    (finding,) = protocolkit.validate(tmp_path)
    assert finding.code == "PK102" and "allowed keys here" in finding.fix and "review_date" in finding.fix


# -- findings and errors ----------------------------------------------------------------------

FORMAT = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>PK\d{3}) (?P<sev>error|warning): (?P<msg>.+?)"
                    r"(?: \((?P<fix>.+)\))?$", re.S)


def test_finding_format_shape():
    finding = Finding("PK110", Severity.ERROR, "unknown partner 'polise'", "did you mean 'police'?",
                      "protocol.yaml", 12, 9, "rules[R1].from.partners[0]")
    assert finding.format() == "protocol.yaml:12:9: PK110 error: unknown partner 'polise' (did you mean 'police'?)"
    match = FORMAT.match(finding.format())
    assert match.group("file", "line", "col", "code", "sev", "fix") == (
        "protocol.yaml", "12", "9", "PK110", "error", "did you mean 'police'?")


def test_finding_format_without_fix_column_line_or_file():
    assert Finding("PK205", Severity.WARNING, "late", file="p.yaml", line=3).format() == "p.yaml:3:1: PK205 warning: late"
    assert Finding("PK100", Severity.ERROR, "bad", "fix it", file="p.yaml").format() == "p.yaml: PK100 error: bad (fix it)"
    assert Finding("PK201", Severity.ERROR, "m").format() == "<protocol>: PK201 error: m"


def test_finding_as_dict():
    finding = Finding("PK110", Severity.ERROR, "m", "f", "p.yaml", 2, 3, "rules[R1]")
    assert finding.as_dict() == {"code": "PK110", "severity": "error", "message": "m", "fix": "f",
                                 "file": "p.yaml", "line": 2, "column": 3, "key": "rules[R1]", "rules": []}
    about = Finding("PK110", Severity.ERROR, "m", "f", "p.yaml", 2, 3, "rules[R1]", ("R1",))
    assert about.as_dict()["rules"] == ["R1"]


def test_real_findings_follow_the_format(tmp_path):
    text = small_text().replace("    kind: police\n", "    kind: polise\n")
    write(tmp_path, {"protocol.yaml": text})
    (finding,) = protocolkit.validate(tmp_path)
    match = FORMAT.match(finding.format())
    assert match and match["file"] == finding.file and match["code"] == "PK110"
    assert (int(match["line"]), int(match["col"])) == (line_of(text, "polise"), 11)


def test_file_is_named_relative_to_the_working_directory(tmp_path, monkeypatch):
    write(tmp_path, {"protocol.yaml": small_text().replace("    kind: police\n", "    kind: polise\n")})
    monkeypatch.chdir(tmp_path)
    (finding,) = protocolkit.validate(tmp_path)
    assert finding.file == "protocol.yaml"
    assert finding.format().startswith("protocol.yaml:13:11: PK110 error: ")


def test_error_hierarchy():
    assert issubclass(ProtocolValidationError, ProtocolError)
    assert issubclass(SaveRefusedError, ProtocolError)
    assert issubclass(protocolkit.UnknownValueError, ProtocolError)
    assert issubclass(ProtocolError, Exception)


def test_validation_error_message_lists_errors_not_warnings():
    findings = [Finding("PK205", Severity.WARNING, "late", file="p.yaml", line=8),
                Finding("PK110", Severity.ERROR, "unknown", "did you mean 'x'?", file="p.yaml", line=3, column=5)]
    err = ProtocolValidationError(findings)
    assert err.findings == findings and err.errors == [findings[1]]
    assert str(err) == "1 problem found:\np.yaml:3:5: PK110 error: unknown (did you mean 'x'?)"


def test_validation_error_from_load_carries_warnings_too(tmp_path):
    text = (small_text().replace("  review_date: 2099-01-01", "  review_date: 2020-01-01")
            .replace("    kind: school\n    statutory_powers: [EA2002.s175]\n", "    kind: school\n"))
    write(tmp_path, {"protocol.yaml": text})
    assert {f.code for f in protocolkit.validate(tmp_path, today=TODAY)} == {"PK203", "PK205"}
    protocolkit.load(tmp_path, today=TODAY)  # warnings only


def test_copy_of_small_fixture_loads_identically(tmp_path):
    shutil.copytree(SMALL, tmp_path / "copy")
    a = protocolkit.load(SMALL, today=TODAY).model_dump()
    b = protocolkit.load(tmp_path / "copy", today=TODAY).model_dump()
    assert a == b


def test_a_warning_does_not_switch_off_the_legal_checks(tmp_path):
    text = (small_text().replace('    when: {risk: ">= amber"}', '    when: {risk: "> red"}')
            .replace("  review_date: 2099-01-01", "  review_date: 2020-01-01"))
    write(tmp_path, {"protocol.yaml": text})
    assert {f.code for f in protocolkit.validate(tmp_path, today=TODAY)} == {"PK117", "PK205"}


def test_a_finding_inside_a_rule_carries_the_rule_id_as_data(tmp_path):
    text = small_text()
    assert "    from: {kinds: [police]}\n" in text
    write(tmp_path, {"protocol.yaml": text.replace("    from: {kinds: [police]}\n", "    from: {kinds: [polise]}\n", 1)})
    (finding,) = protocolkit.validate(tmp_path)
    assert finding.code == "PK110" and finding.rules == ("R1",)
    assert "R1" in finding.key  # the same rule the key points into, without reading the message
