"""The command line: exit codes, line formats and outputs of every command.

Commands run in-process through ``protocolkit.cli.main.main([...])``; one test runs
the installed console script. The protocol is tests/fixtures/engine/cli_protocol
(valid, no warnings, three passing expectations); broken variants are written to tmp_path.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from ruamel.yaml import YAML

import protocolkit
from protocolkit.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "engine" / "cli_protocol"
SMALL = ROOT / "tests" / "fixtures" / "small"
MASH = protocolkit.example_path("mash")

FINDING_LINE = re.compile(
    r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>PK\d{3}) (?P<severity>error|warning): "
    r"(?P<message>.+) \((?P<fix>.+)\)$")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def copy_protocol(tmp_path, text=None, cases=None):
    """A protocol folder in tmp_path: the fixture's protocol (or ``text``) and these case files."""
    folder = tmp_path / "protocol"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(text or (FIXTURE / "protocol.yaml").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    if cases:
        (folder / "cases").mkdir()
        for name, case in cases.items():
            (folder / "cases" / f"{name}.yaml").write_text(textwrap.dedent(case), encoding="utf-8")
    return folder


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


DECIDE = ["--from", "police", "--to", "mash", "--data", "criminal.intelligence", "--stage", "screening",
          "--purpose", "safeguarding"]

# -- validate -----------------------------------------------------------------------------------


def test_validate_a_valid_protocol_exits_0(capsys):
    code, out, err = run(capsys, "validate", FIXTURE)
    assert code == 0
    assert out.splitlines() == ["0 errors, 0 warnings"]


def test_validate_reports_errors_one_line_each_and_exits_1(tmp_path, capsys):
    text = (FIXTURE / "protocol.yaml").read_text(encoding="utf-8")
    text = text.replace("from: {kinds: [police]}", "from: {partners: [polise]}")
    text = text.replace("categories: [criminal]\n", "categories: [criminnal]\n")
    folder = copy_protocol(tmp_path, text)
    code, out, err = run(capsys, "validate", folder)
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "2 errors, 0 warnings"
    findings = [FINDING_LINE.match(line) for line in lines[:-1]]
    assert len(findings) == 2 and all(findings), lines
    partner = next(m for m in findings if "polise" in m["message"])
    assert partner["code"] == "PK110" and partner["severity"] == "error"
    assert partner["file"].endswith("protocol.yaml")
    assert int(partner["line"]) == line_of(text, "partners: [polise]")
    assert int(partner["col"]) == text.splitlines()[int(partner["line"]) - 1].index("polise") + 1
    assert "'police'" in partner["fix"]
    category = next(m for m in findings if "criminnal" in m["message"])
    assert int(category["line"]) == line_of(text, "[criminnal]")
    assert "'criminal'" in category["fix"]


def test_validate_with_only_warnings_exits_0(tmp_path, capsys):
    text = (FIXTURE / "protocol.yaml").read_text(encoding="utf-8").replace("2099-01-01", "2001-01-01")
    code, out, err = run(capsys, "validate", copy_protocol(tmp_path, text))
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == "0 errors, 1 warning"
    match = FINDING_LINE.match(lines[0])
    assert match and (match["code"], match["severity"]) == ("PK205", "warning")
    assert int(match["line"]) == line_of(text, "review_date")


def test_validate_reports_unknown_names_in_cases_with_their_line(tmp_path, capsys):
    case = """\
    id: typo
    title: A case with a typo
    steps:
      - stage: screening
        requests:
          - from: police
            to: mash_tema
            categories: [criminal.intelligence]
            purpose: safeguarding
    """
    folder = copy_protocol(tmp_path, cases={"typo": case})
    code, out, err = run(capsys, "validate", folder)
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "1 error, 0 warnings"
    match = FINDING_LINE.match(lines[0])
    assert match and match["code"] == "PK302"
    assert match["file"].endswith("typo.yaml")
    assert int(match["line"]) == line_of(textwrap.dedent(case), "to: mash_tema")
    assert "'mash'" in match["fix"]


def test_validate_reports_bad_yaml_and_exits_1(tmp_path, capsys):
    folder = copy_protocol(tmp_path, "metadata:\n  id: x\n  title: [unclosed\n")
    code, out, err = run(capsys, "validate", folder)
    assert code == 1
    assert "PK100 error" in out
    assert out.splitlines()[-1] == "1 error, 0 warnings"


# -- decide ---------------------------------------------------------------------------------------

def test_decide_leads_with_a_sentence_then_duties_bases_and_rule_ids(capsys):
    code, out, err = run(capsys, "decide", FIXTURE, *DECIDE, "--fact", "risk=amber")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == ("Testshire Police may share only a minimum of police intelligence with MASH team "
                        "at screening and triage for safeguarding children and adults at risk.")
    assert lines[1] == "What may go, and no more: risk-relevant summary"
    assert out.count("risk-relevant summary") == 1  # the minimum is said once
    duties, bases = lines.index("Duties:"), lines.index("Lawful bases:")
    assert duties < bases
    assert lines[duties + 1] == "  - record the decision and the reasons for it"
    assert "  - Public task: UK GDPR Article 6(1)(e) (UKGDPR.6.1.e)" in lines[bases:]
    assert "  - Duty to safeguard and promote welfare: Children Act 2004 section 11 (CA2004.s11)" in lines[bases:]
    assert lines[-1] == "Rules: share minimum: criminal.intelligence (decided by R1)"


def test_decide_says_an_unverified_point_in_words_never_k(tmp_path, capsys):
    text = (FIXTURE / "protocol.yaml").read_text(encoding="utf-8")
    assert "Share only what is relevant." in text
    folder = copy_protocol(tmp_path, text.replace("Share only what is relevant.",
                                                  "Share only what is relevant; whether suspicion counts is [K]."))
    code, out, err = run(capsys, "decide", folder, *DECIDE, "--fact", "risk=amber")
    assert code == 0
    assert "[K]" not in out
    assert "whether suspicion counts is (unverified legal point: check with your legal adviser)" in out


def test_decide_on_a_parent_category_lists_its_sub_categories_instead_of_a_gap(capsys):
    code, out, err = run(capsys, "decide", MASH, "--from", "police", "--to", "mash_decision_maker", "--data",
                         "criminal", "--stage", "screening", "--purpose", "safeguarding")
    assert code == 0
    assert out.startswith("Criminal offence data (criminal) is a group of categories: the rules decide its "
                          "sub-categories one by one")
    assert "  criminal.intelligence" in out and "  criminal.convictions" in out
    assert "gap" not in out


LEADS = {"refuse": "Testshire Police should not share police intelligence with",
         "gap": "No rule says whether Testshire Police may share police intelligence with",
         "share_minimum": "Testshire Police may share only a minimum of police intelligence with"}


@pytest.mark.parametrize("argv, outcome", [
    (["--to", "school", "--fact", "risk=red"], "refuse"),
    (["--stage", "referral", "--fact", "risk=red"], "gap"),
    (["--fact", "risk=green"], "gap"),
    (["--fact", "risk=red"], "share_minimum"),
])
def test_decide_exits_0_whatever_the_outcome(capsys, argv, outcome):
    options = dict(zip(DECIDE[::2], DECIDE[1::2]))
    extra = []
    for key, value in zip(argv[::2], argv[1::2]):
        if key in options:
            options[key] = value
        else:
            extra += [key, value]
    code, out, err = run(capsys, "decide", FIXTURE, *[x for kv in options.items() for x in kv], *extra)
    assert code == 0
    assert out.splitlines()[0].startswith(LEADS[outcome])


def test_decide_json(capsys):
    code, out, err = run(capsys, "decide", FIXTURE, "--from", "gp_surgery", "--to", "mash",
                         "--data", "health.physical, criminal.intelligence", "--stage", "screening",
                         "--purpose", "safeguarding", "--fact", "consent=given", "--fact", "risk=red", "--json", "-")
    assert code == 0
    data = json.loads(out)
    assert {"outcome", "categories", "rules_matched", "lawful_bases", "obligations", "explanation"} <= set(data)
    assert data["outcome"] == "gap"
    assert [{k: c[k] for k in ("category", "outcome", "rule")} for c in data["categories"]] == [
        {"category": "health.physical", "outcome": "share", "rule": "R3"},
        {"category": "criminal.intelligence", "outcome": "gap", "rule": None},
    ]
    assert data["rules_matched"] == ["R3"]
    assert data["lawful_bases"] == ["UKGDPR.6.1.e", "UKGDPR.9.2.h", "DPA18.S1.P2"]
    assert data["obligations"] == ["secure_channel"]
    assert data["may_share"] == ["health.physical"] and data["may_not_share"] == ["criminal.intelligence"]
    assert data["request"]["facts"] == {"consent": "given", "risk": "red"}
    assert "gap" in data["explanation"]


@pytest.mark.parametrize("change, message", [
    (["--from", "polise"], "unknown partner 'polise'; did you mean 'police'?"),
    (["--to", "mash_team"], "unknown partner 'mash_team'"),
    (["--data", "criminal.inteligence"], "unknown category 'criminal.inteligence'"),
    (["--stage", "screenin"], "unknown stage 'screenin'"),
    (["--purpose", "safegaurding"], "unknown purpose 'safegaurding'"),
    (["--fact", "rsik=red"], "unknown fact 'rsik'; did you mean 'risk'?"),
    (["--fact", "risk=rde"], "unknown value of fact 'risk' 'rde'"),
    (["--fact", "risk"], "cannot read --fact 'risk'"),
    (["--fact", "=red"], "cannot read --fact '=red'"),
    (["--fact", "risk="], "cannot read --fact 'risk='"),
])
@pytest.mark.parametrize("command", ["decide", "why-not"])
def test_bad_input_exits_2_with_a_message(capsys, change, message, command):
    options = dict(zip(DECIDE[::2], DECIDE[1::2]))
    facts = []
    if change[0] == "--fact":
        facts = change
    else:
        options[change[0]] = change[1]
    code, out, err = run(capsys, command, FIXTURE, *[x for kv in options.items() for x in kv], *facts)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and message in err


def test_decide_on_an_invalid_protocol_exits_1_with_the_findings(tmp_path, capsys):
    text = (FIXTURE / "protocol.yaml").read_text(encoding="utf-8").replace("kind: police", "kind: polise")
    code, out, err = run(capsys, "decide", copy_protocol(tmp_path, text), *DECIDE)
    assert code == 1
    assert out == ""
    assert any(FINDING_LINE.match(line) and "PK110" in line for line in err.splitlines())


# -- why-not --------------------------------------------------------------------------------------

def test_why_not_lists_what_would_allow_a_gap(capsys):
    code, out, err = run(capsys, "why-not", FIXTURE, *DECIDE, "--fact", "risk=green")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("Testshire Police may not share police intelligence with MASH team at screening and triage "
                        "for safeguarding children and adults at risk, because no rule covers it: this is a gap in "
                        "the protocol, so nothing goes (criminal.intelligence).")
    assert lines[1] == "The smallest changes that would let it go, 2 of 2:"
    assert lines[2] == "  Needs different facts of the case:"
    assert "Rule R1" in lines[3] and "risk is amber or higher (it is green)" in lines[3] and "would decide" in lines[3]
    assert lines[4] == ("  Needs a different sender, a rule edit so a rule covers this category and different facts "
                        "of the case:")
    assert "Rule R3" in lines[5]


def test_why_not_shows_the_three_smallest_changes_and_all_with_all(capsys):
    argv = ["why-not", MASH, "--from", "police", "--to", "mash_decision_maker", "--data", "criminal.intelligence",
            "--stage", "screening", "--purpose", "safeguarding", "--fact", "risk=blue"]
    code, out, err = run(capsys, *argv)
    assert code == 0
    shown = [line for line in out.splitlines() if line.startswith("    - Rule ")]
    assert len(shown) == 3
    assert shown[0].startswith("    - Rule R-SCR-01 (share minimum) would apply if risk is amber or higher (it is blue)")
    assert "add --all to list them" in out
    code, out, err = run(capsys, *argv, "--all")
    every = [line for line in out.splitlines() if line.startswith("    - Rule ")]
    assert len(every) > 10 and every[:1] == shown[:1]
    assert "--all" not in out


def test_why_not_says_when_a_refusal_is_intended_and_which_guarantee_promises_it(capsys):
    code, out, err = run(capsys, "why-not", MASH, "--from", "school", "--to", "police", "--data",
                         "criminal.intelligence", "--stage", "referral", "--purpose", "safeguarding")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == ("Riverside Academy (designated safeguarding lead) may not share police intelligence with "
                        "Northbridge Constabulary at referral for safeguarding children and adults at risk, because "
                        "the rule \"Police intelligence is never passed on by another partner\" refuses it "
                        "(criminal.intelligence, rule R-GEN-04).")
    assert lines[1].startswith("This is intended: rule R-GEN-04 withholds it, and guarantee G3 promises that: "
                               "\"Police intelligence is shared only by the police themselves")


@pytest.mark.parametrize("argv, opening", [
    # a fallback decides a gap: who decides, then the ids
    (["--from", "police", "--to", "childrens_social_care", "--data", "criminal.domestic_abuse_incidents",
      "--stage", "referral", "--purpose", "crime_prevention"],
     "Northbridge Constabulary may not share domestic abuse incidents with Northbridge Council Children's Social "
     "Care at referral for preventing and detecting crime, because no rule covers it (a gap in the protocol); "
     "until one does, the partnership's fallback applies: IG lead / DPO decides "
     "(criminal.domestic_abuse_incidents, fallback crime_prevention_ig_lead)."),
    # a rule escalates: who decides, by the rule's title, then the ids
    (["--from", "school", "--to", "childrens_social_care", "--data", "identity.name", "--stage", "referral",
      "--purpose", "safeguarding"],
     "Riverside Academy (designated safeguarding lead) may not share name with Northbridge Council Children's "
     "Social Care at referral for safeguarding children and adults at risk, because the rule \"Unrated concern "
     "and nobody has judged the harm yet - the MASH team manager decides the same day\" leaves the decision to "
     "MASH team manager (consultation line), the same working day (identity.name, rule R-REF-17)."),
])
def test_why_not_opens_with_a_plain_sentence_then_the_ids(capsys, argv, opening):
    code, out, err = run(capsys, "why-not", MASH, *argv)
    assert code == 0
    assert out.splitlines()[0] == opening


def test_why_not_json(capsys):
    code, out, err = run(capsys, "why-not", FIXTURE, *DECIDE, "--fact", "risk=green", "--json", "-")
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["rule"] == "R1" and rows[0]["then"] == "decides"
    assert rows[0]["scope_changes"] == [] and len(rows[0]["fact_changes"]) == 1
    assert {row["rule"] for row in rows} == {"R1", "R3"}


def test_why_not_when_everything_may_go(capsys):
    code, out, err = run(capsys, "why-not", FIXTURE, *DECIDE, "--fact", "risk=red")
    assert code == 0
    assert out.strip() == "Every category of this request may already go."
    code, out, err = run(capsys, "why-not", FIXTURE, *DECIDE, "--fact", "risk=red", "--json", "-")
    assert code == 0 and json.loads(out) == []


# -- test -----------------------------------------------------------------------------------------

FAILING_CASE = """\
id: failing
title: Expectations that do not hold
steps:
  - stage: screening
    learn: {risk: green}
    requests:
      - id: wrong_outcome
        from: police
        to: mash
        categories: [criminal.intelligence]
        purpose: safeguarding
        expect: {outcome: share_minimum}
      - id: right_outcome
        from: police
        to: school
        categories: [criminal.convictions]
        purpose: safeguarding
        expect: {outcome: refuse}
      - id: wrong_obligation
        from: gp_surgery
        to: csc
        categories: [health.physical]
        purpose: safeguarding
        facts: {consent: given}
        expect: {outcome: share, absent_obligations: [secure_channel]}
"""


def test_test_passing_cases_exits_0_and_ends_with_the_counts(capsys):
    code, out, err = run(capsys, "test", FIXTURE)
    assert code == 0
    lines = out.splitlines()
    assert lines[-3:] == ["Expectations: 3 passed, 0 failed.", "Guarantees: 0 passed, 0 failed.", "3 passed, 0 failed"]
    assert lines[0].startswith("Sample cases (") and "1 case, 3 expectations." in lines[0]
    text = " ".join(out.split())
    assert "under-shared: the recipient's profile says it needs a category, and it did not go." in text
    assert "so it is not a failure" in text  # each section says what it means and whether it is a problem
    assert not any(line.startswith("FAIL") for line in lines)
    assert "never exercised: R2" in out


def test_test_with_a_failed_expectation_exits_1_and_writes_junit_and_json(tmp_path, capsys):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "failing.yaml").write_text(FAILING_CASE, encoding="utf-8")
    junit, report = tmp_path / "out" / "junit.xml", tmp_path / "report.json"
    junit.parent.mkdir()
    code, out, err = run(capsys, "test", FIXTURE, "--cases", cases, "--junit", junit, "--json", report)
    assert code == 1
    lines = out.splitlines()
    assert lines[-1] == "1 passed, 2 failed"
    fails = [line for line in lines if line.startswith("FAIL")]
    assert len(fails) == 2
    assert fails[0].startswith("FAIL failing / step_1 / wrong_outcome: police -> mash criminal.intelligence")
    assert "expected share_minimum, got gap" in out
    assert "unexpected obligation: secure_channel" in out
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    assert len(root.findall(".//failure")) == 2
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["summary"]["passed"] == 1 and data["summary"]["failed"] == 2
    assert [e["request"] for e in data["expectations"] if not e["passed"]] == ["wrong_outcome", "wrong_obligation"]


def test_test_with_unknown_names_in_a_case_reports_it_as_a_failed_case_file(tmp_path, capsys):
    """A faulty case file is a failure with its location, and never stops the run (issue 8)."""
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "bad.yaml").write_text(FAILING_CASE.replace("to: school", "to: scool"), encoding="utf-8")
    code, out, err = run(capsys, "test", FIXTURE, "--cases", cases)
    assert code == 1
    assert out.splitlines()[-1].endswith(", 1 failed")
    failing = [line.removeprefix("FAIL ") for line in out.splitlines() if line.startswith("FAIL ") and "PK3" in line]
    match = FINDING_LINE.match(failing[0])
    assert match and match["code"] == "PK302"
    assert int(match["line"]) == line_of(FAILING_CASE, "to: school")


def test_test_without_cases_reports_zero_and_exits_0(tmp_path, capsys):
    code, out, err = run(capsys, "test", copy_protocol(tmp_path))
    assert code == 0
    assert out.splitlines()[-1] == "0 passed, 0 failed"


# -- schema ---------------------------------------------------------------------------------------

def _yaml_as_json(path):
    """A YAML file as JSON data (dates as ISO text, as an editor's YAML language server sees them)."""
    data = YAML(typ="safe").load(Path(path).read_text(encoding="utf-8"))
    return json.loads(json.dumps(data, default=lambda value: value.isoformat()))


def test_schema_prints_a_json_schema_the_fixtures_validate_against(capsys):
    code, out, err = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in (SMALL / "protocol.yaml", FIXTURE / "protocol.yaml"):
        assert [e.message for e in validator.iter_errors(_yaml_as_json(path))] == []
    broken = _yaml_as_json(SMALL / "protocol.yaml")
    broken["rules"][0]["colour"] = "red"
    assert not validator.is_valid(broken)


def test_schema_of_case_files(capsys, tmp_path):
    out_file = tmp_path / "case.schema.json"
    code, out, err = run(capsys, "schema", "--cases", "--out", out_file)
    assert code == 0 and out == ""
    schema = json.loads(out_file.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    assert validator.is_valid(_yaml_as_json(FIXTURE / "cases" / "family.yaml"))
    assert not validator.is_valid({"id": "x", "title": "no steps"})


# -- summary, help, version -----------------------------------------------------------------------

def test_summary_prints_partners_and_rule_counts(capsys):
    code, out, err = run(capsys, "summary", FIXTURE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "CLI test protocol (version 2.0, draft)"
    assert lines[2].startswith("5 partners, 4 rules, ")
    assert "1 need-to-know profiles" in lines[2]
    partner_lines = lines[lines.index("partners:") + 1: lines.index("partners:") + 6]
    assert [line.split()[0] for line in partner_lines] == ["police", "csc", "mash", "gp_surgery", "school"]
    assert "[childrens_social_care]" in partner_lines[2]
    by_stage = {line.split()[0]: line.split(None, 1)[1] for line in lines[lines.index(partner_lines[-1]) + 2:]}
    heading = "rules by stage (share / minimum / consent / escalate / refuse / neither confirm nor deny):"
    assert lines[lines.index(partner_lines[-1]) + 1] == heading
    assert by_stage["screening"] == "1 / 1 / 1 / 0 / 1 / 0"
    assert by_stage["referral"] == "1 / 0 / 1 / 0 / 1 / 0"
    assert by_stage["assessment"] == "1 / 0 / 1 / 0 / 1 / 0"


def test_summary_counts_every_rule_of_a_stage_whatever_its_outcome(capsys):
    # the example's R-GEN-12 decides neither_confirm_nor_deny: it was left out of the counts
    from protocolkit.model.vocabulary import Vocabulary

    mash = protocolkit.load(protocolkit.example_path("mash"))
    v = Vocabulary.of(mash)
    code, out, err = run(capsys, "summary", protocolkit.example_path("mash"))
    assert code == 0
    lines = out.splitlines()
    by_stage = lines[lines.index(next(x for x in lines if x.startswith("rules by stage"))) + 1:]
    for line in by_stage:
        stage, counts = line.split(None, 1)
        assert sum(int(n) for n in counts.split(" / ")) == sum(stage in v.stages_in(r.stages) for r in mash.rules)


def test_no_command_prints_help_and_exits_2(capsys):
    code, out, err = run(capsys)
    assert code == 2
    assert "usage: protocolkit" in out


def test_missing_protocol_folder_exits_2(tmp_path, capsys):
    code, out, err = run(capsys, "summary", tmp_path / "nowhere")
    assert code == 2
    assert err == f"error: {tmp_path / 'nowhere'} does not exist: name a protocol folder (the one holding " \
                  "protocol.yaml) or its protocol.yaml\n"


def test_installed_console_script_prints_the_version():
    script = ROOT / ".venv" / "bin" / "protocolkit"
    if not script.exists():  # a different environment: the script sits next to this interpreter
        script = Path(sys.executable).parent / "protocolkit"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"protocolkit {protocolkit.__version__}"
