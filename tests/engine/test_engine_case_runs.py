"""run_cases and CaseResults (docs/semantics.md section 7), on small case files written here."""

from __future__ import annotations

import json
import textwrap
from xml.etree import ElementTree as ET

import pandas as pd
import pytest

import protocolkit
from protocolkit import ProtocolValidationError
from protocolkit.engine import run_cases

from handbuilt import build, rule

PROTOCOL = build(
    [
        rule("R-POLICE-MIN", "share_minimum", sender={"kinds": ["police"]}, to={"partners": ["csc"]},
             categories=["criminal.intelligence"], stages=["screening", "strategy_discussion"],
             when={"risk": ">= amber"}, minimum="a summary",
             obligations=["record_decision", {"deadline": "within 4 working hours"}]),
        rule("R-SCHOOL-REF", "refuse", to={"kinds": ["education"]}, categories=["criminal"],
             obligations=["record_decision"]),
        rule("R-HEALTH-CONSENT", "seek_consent", categories=["health"], when={"consent": ["not_sought", "unknown"]},
             obligations=["inform_family"]),
        rule("R-HEALTH-SHARE", "share", sender={"kinds": ["health"]}, to={"partners": ["csc"]}, categories=["health"],
             when={"consent": "given"}, obligations=["secure_channel"]),
        rule("R-EDU", "share", categories=["education"]),
        rule("R-NEVER", "share", stages=["closure"], categories=["housing"]),
    ],
    need_to_know=[
        {"id": "csc_screening", "recipient": {"partners": ["csc"]}, "stages": ["screening"],
         "purposes": ["safeguarding"], "categories": ["criminal.intelligence", "health"]},
        {"id": "school_plan", "recipient": {"kinds": ["education"]}, "stages": ["plan"], "purposes": "any",
         "categories": ["criminal"]},
    ],
)

FAMILY_A = """\
id: family_a
title: Family A, everything as the partnership expects
facts: {consent: not_sought}
steps:
  - id: referral_call
    stage: referral
    learn: {risk: green}
    requests:
      - id: edu_to_csc
        from: school
        to: csc
        categories: [education.attendance]
        purpose: safeguarding
        expect: {outcome: share}
  - id: screen
    stage: screening
    learn: {risk: amber}
    requests:
      - id: police_intel
        from: police
        to: mash
        categories: [criminal.intelligence]
        purpose: safeguarding
        expect: {outcome: share_minimum, obligations: [record_decision, deadline], absent_obligations: [inform_family]}
      - id: police_intel_if_green
        from: police
        to: mash
        categories: [criminal.intelligence]
        purpose: safeguarding
        facts: {risk: green}
        expect: {outcome: gap}
      - id: gp_health
        from: gp_surgery
        to: csc
        categories: [health.physical, education.attendance]
        purpose: safeguarding
        expect:
          outcome: seek_consent
          categories: {health.physical: seek_consent, education.attendance: share}
          obligations: [inform_family]
  - id: strategy
    stage: strategy_discussion
    learn: {consent: given}
    requests:
      - id: police_intel_again
        from: police
        to: mash
        categories: [criminal.intelligence]
        purpose: safeguarding
        expect: {outcome: share_minimum}
      - id: gp_health_again
        from: gp_surgery
        to: csc
        categories: [health.physical, education.attendance]
        purpose: safeguarding
        expect: {outcome: share, obligations: [secure_channel], absent_obligations: [inform_family]}
  - id: plan
    stage: plan
    requests:
      - id: police_to_school
        from: police
        to: school
        categories: [criminal.convictions]
        purpose: safeguarding
        expect: {outcome: refuse, obligations: [record_decision]}
"""

FAMILY_B = """\
id: family_b
title: Family B, where the partnership expects the wrong things
steps:
  - stage: referral
    requests:
      - from: police
        to: csc
        categories: [criminal.intelligence]
        purpose: safeguarding
        expect: {outcome: share}
      - from: keyworker
        to: dwp
        categories: [housing.tenancy]
        purpose: benefit_administration
  - stage: screening
    learn: {consent: given}
    requests:
      - id: health_expectations
        from: gp_surgery
        to: csc
        categories: [health.physical]
        purpose: safeguarding
        expect:
          outcome: share
          categories: {health.physical: refuse}
          obligations: [inform_family]
          absent_obligations: [secure_channel]
"""


def write_cases(folder, **files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    return write_cases(tmp_path_factory.mktemp("run") / "cases", a_family=FAMILY_A, b_family=FAMILY_B)


@pytest.fixture(scope="module")
def results(case_dir):
    return run_cases(PROTOCOL, protocolkit.load_cases(case_dir))


def expectation(results, case, request):
    rows = results.expectations
    row = rows[(rows["case"] == case) & (rows["request"] == request)]
    assert len(row) == 1, (case, request)
    return row.iloc[0]


# -- facts across steps, and expectations ---------------------------------------------------------

def test_counts(results):
    assert (results.passed, results.failed, results.ok) == (7, 2, False)
    assert len(results.expectations) == 9
    assert results.summary()["cases"] == 2


def test_learned_facts_carry_over_to_later_steps(results):
    screen = expectation(results, "family_a", "police_intel")
    assert screen["facts"] == {"consent": "not_sought", "risk": "amber"}
    later = expectation(results, "family_a", "police_intel_again")
    assert later["facts"] == {"consent": "given", "risk": "amber"}  # risk learned two steps before
    assert (later["actual"], later["rule"]) == ("share_minimum", "R-POLICE-MIN")


def test_request_facts_apply_to_that_request_only(results):
    green = expectation(results, "family_a", "police_intel_if_green")
    assert green["facts"]["risk"] == "green"
    assert green["actual"] == "gap" and green["passed"]
    # the next request of the same step is back on the step's facts
    assert expectation(results, "family_a", "gp_health")["facts"]["risk"] == "amber"


def test_later_learning_replaces_earlier_facts(results):
    assert expectation(results, "family_a", "gp_health")["actual"] == "seek_consent"
    assert expectation(results, "family_a", "gp_health_again")["actual"] == "share"


def test_every_expectation_of_family_a_holds(results):
    rows = results.expectations[results.expectations["case"] == "family_a"]
    assert rows["passed"].all()
    assert rows["problems"].map(len).sum() == 0
    assert rows["request"].tolist() == ["edu_to_csc", "police_intel", "police_intel_if_green", "gp_health",
                                        "police_intel_again", "gp_health_again", "police_to_school"]
    assert rows["step"].tolist() == ["referral_call", "screen", "screen", "screen", "strategy", "strategy", "plan"]


def test_a_wrong_outcome_fails_with_a_readable_problem(results):
    row = expectation(results, "family_b", "request_1")  # default ids: step_N and request_N
    assert row["step"] == "step_1"
    assert (row["expected"], row["actual"], bool(row["passed"])) == ("share", "gap", False)
    assert len(row["problems"]) == 1 and row["problems"][0].startswith("expected share, got gap")
    assert "gap" in row["explanation"]


def test_a_gap_is_reported_as_no_rule_not_as_nan(results, tmp_path):
    row = expectation(results, "family_b", "request_1")
    assert row["problems"] == ["expected share, got gap (no rule covers it)"]
    assert row["rule"] is None
    multi = expectation(results, "family_a", "gp_health")  # not a gap; its explanation lists both categories
    assert "nan" not in multi["explanation"]
    protocol = build([rule("E", "share", categories=["education"])])
    case = """\
    id: mixed
    title: One category goes, one is a gap
    steps:
      - stage: screening
        requests:
          - {from: police, to: csc, categories: [education, housing], purpose: safeguarding, expect: {outcome: gap}}
    """
    mixed = run_cases(protocol, protocolkit.load_cases(write_cases(tmp_path, mixed=case)))
    explanation = mixed.expectations["explanation"].iat[0]
    assert "Housing (gap)" in explanation and "nan" not in explanation


def test_category_and_obligation_expectations_fail_with_readable_problems(results):
    row = expectation(results, "family_b", "health_expectations")
    assert (row["expected"], row["actual"], row["rule"]) == ("share", "share", "R-HEALTH-SHARE")
    assert not row["passed"]
    assert row["problems"] == [
        "health.physical: expected refuse, got share (decided by R-HEALTH-SHARE)",
        "missing obligation: inform_family",
        "unexpected obligation: secure_channel",
    ]
    assert row["obligations"] == ["secure_channel"]


def test_failures_table(results):
    failures = results.failures
    assert failures["request"].tolist() == ["request_1", "health_expectations"]
    assert set(failures["case"]) == {"family_b"}


def test_decisions_hold_every_request_and_category_expected_or_not(results):
    d = results.decisions
    assert len(d) == 12  # 9 expectations, two of two categories, and one request without expect
    dwp = d[d["to"] == "dwp"]
    assert len(dwp) == 1 and str(dwp["outcome"].iat[0]) == "gap"
    assert {"case", "step", "step_index"} <= set(d.columns)


# -- coverage -------------------------------------------------------------------------------------

def test_coverage_counts_decided_and_matched(results):
    coverage = results.coverage.set_index("rule")
    assert coverage.index.tolist() == ["R-POLICE-MIN", "R-SCHOOL-REF", "R-HEALTH-CONSENT", "R-HEALTH-SHARE",
                                       "R-EDU", "R-NEVER"]
    assert coverage.loc["R-POLICE-MIN", ["decided", "matched"]].tolist() == [2, 2]
    assert coverage.loc["R-SCHOOL-REF", ["decided", "matched"]].tolist() == [1, 1]
    assert coverage.loc["R-HEALTH-CONSENT", ["decided", "matched"]].tolist() == [1, 1]
    assert coverage.loc["R-HEALTH-SHARE", ["decided", "matched"]].tolist() == [2, 2]
    assert coverage.loc["R-EDU", ["decided", "matched"]].tolist() == [3, 3]
    assert coverage.loc["R-NEVER", ["decided", "matched", "exercised"]].tolist() == [0, 0, False]
    assert coverage["exercised"].sum() == 5
    assert results.rules_never_exercised == ["R-NEVER"]
    assert coverage.loc["R-SCHOOL-REF", "outcome"] == "refuse"


def test_overridden_rules_count_as_matched_not_decided(tmp_path):
    protocol = build([rule("BASE", "share"), rule("STOP", "refuse", categories=["criminal"])])
    case = """\
    id: override
    title: Override
    steps:
      - stage: screening
        requests:
          - {from: police, to: csc, categories: [criminal.intelligence], purpose: safeguarding,
             expect: {outcome: refuse}}
    """
    results = run_cases(protocol, protocolkit.load_cases(write_cases(tmp_path, override=case)))
    coverage = results.coverage.set_index("rule")
    assert coverage.loc["BASE", ["decided", "matched", "exercised"]].tolist() == [0, 1, False]
    assert coverage.loc["STOP", ["decided", "matched", "exercised"]].tolist() == [1, 1, True]
    assert results.rules_never_exercised == ["BASE"]


# -- knowledge ------------------------------------------------------------------------------------

def _held(results, case, step):
    k = results.knowledge
    rows = k[(k["case"] == case) & (k["step"] == step)]
    return {(r.partner, r.category): (r.since_step, bool(r.new)) for r in rows.itertuples()}


def test_knowledge_is_cumulative_and_new_marks_first_receipt(results):
    assert _held(results, "family_a", "referral_call") == {("csc", "education.attendance"): ("referral_call", True)}
    assert _held(results, "family_a", "screen") == {
        ("csc", "education.attendance"): ("referral_call", False),   # shared again, but held since step 1
        ("mash", "criminal.intelligence"): ("screen", True),         # share_minimum counts as shared
    }
    assert _held(results, "family_a", "strategy") == {
        ("csc", "education.attendance"): ("referral_call", False),
        ("csc", "health.physical"): ("strategy", True),               # seek_consent at screening did not share it
        ("mash", "criminal.intelligence"): ("screen", False),
    }
    assert _held(results, "family_a", "plan") == {key: (since, False) for key, (since, _) in
                                                  _held(results, "family_a", "strategy").items()}


def test_knowledge_of_refused_and_gaps_is_empty(results):
    # family_b shared only health.physical with csc, at its second step
    assert _held(results, "family_b", "step_1") == {}
    assert _held(results, "family_b", "step_2") == {("csc", "health.physical"): ("step_2", True)}
    k = results.knowledge
    assert "school" not in set(k["partner"]) and "dwp" not in set(k["partner"])


def test_knowledge_at_pivots_partners_by_categories(results):
    last = results.knowledge_at("family_a")
    assert sorted(last.index) == ["csc", "mash"]
    assert last.loc["csc", "education.attendance"] == "referral"
    assert last.loc["csc", "health.physical"] == "strategy_discussion"
    assert last.loc["mash", "criminal.intelligence"] == "screening"
    assert last.loc["mash", "health.physical"] == ""
    first = results.knowledge_at("family_a", "referral_call")
    assert first.index.tolist() == ["csc"] and first.columns.tolist() == ["education.attendance"]
    assert results.knowledge_at("no_such_case").empty


# -- over-sharing, under-sharing, gaps, by stage --------------------------------------------------

def test_over_sharing(results):
    over = results.over_sharing
    assert [(r.case, r.step, r.to, r.category) for r in over.itertuples()] == [
        ("family_a", "screen", "csc", "education.attendance")]


def test_under_sharing(results):
    under = results.under_sharing
    assert sorted((r.case, r.step, r.to, r.category, str(r.outcome)) for r in under.itertuples()) == [
        ("family_a", "plan", "school", "criminal.convictions", "refuse"),
        ("family_a", "screen", "csc", "health.physical", "seek_consent"),
        ("family_a", "screen", "mash", "criminal.intelligence", "gap"),
    ]


def test_gaps(results):
    gaps = results.gaps
    assert sorted((r.case, r.step, r.category) for r in gaps.itertuples()) == [
        ("family_a", "screen", "criminal.intelligence"),
        ("family_b", "step_1", "criminal.intelligence"),
        ("family_b", "step_1", "housing.tenancy"),
    ]


def test_summary_counts(results):
    assert results.summary() == {"cases": 2, "expectations": 9, "passed": 7, "failed": 2, "rules": 6,
                                 "rules_exercised": 5, "gaps": 3, "over_shared": 1, "under_shared": 3}


def test_sharing_by_stage_follows_the_stage_order(results):
    table = results.sharing_by_stage()
    assert table.index.tolist() == ["referral", "screening", "strategy_discussion", "plan"]
    assert table.loc["referral"].to_dict() == {"requested": 3, "shared": 1, "over_shared": 0, "under_shared": 0,
                                               "gaps": 2}
    assert table.loc["screening"].to_dict() == {"requested": 5, "shared": 3, "over_shared": 1, "under_shared": 2,
                                                "gaps": 1}
    assert table.loc["strategy_discussion"].to_dict() == {"requested": 3, "shared": 3, "over_shared": 0,
                                                          "under_shared": 0, "gaps": 0}
    assert table.loc["plan"].to_dict() == {"requested": 1, "shared": 0, "over_shared": 0, "under_shared": 1,
                                           "gaps": 0}


# -- reports --------------------------------------------------------------------------------------

def test_to_junit_writes_valid_xml_with_failures(results, tmp_path):
    path = tmp_path / "junit.xml"
    results.to_junit(path)
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures")) == ("9", "2")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"family_a", "family_b"}
    assert (suites["family_a"].get("tests"), suites["family_a"].get("failures")) == ("7", "0")
    assert (suites["family_b"].get("tests"), suites["family_b"].get("failures")) == ("2", "2")
    failures = root.findall(".//failure")
    assert len(failures) == 2
    messages = " | ".join(f.get("message") for f in failures)
    assert "expected share, got gap" in messages and "missing obligation: inform_family" in messages
    assert all(f.text for f in failures)  # the explanation
    assert len(root.findall(".//testcase")) == 9


def test_to_json_is_json_serialisable(results):
    data = json.loads(json.dumps(results.to_json()))
    assert data["summary"]["failed"] == 2
    assert len(data["expectations"]) == 9
    assert data["rules_never_exercised"] == ["R-NEVER"]
    assert [row["stage"] for row in data["sharing_by_stage"]] == ["referral", "screening", "strategy_discussion", "plan"]
    assert len(data["gaps"]) == 3 and len(data["over_sharing"]) == 1 and len(data["under_sharing"]) == 3


# -- cases that name what the protocol lacks ------------------------------------------------------

BAD_CASE = """\
id: bad
title: A case with typos
facts: {risk: amber}
steps:
  - stage: screening
    requests:
      - from: police
        to: mash_tema
        categories: [criminal.intelligence]
        purpose: safeguarding
        expect: {outcome: share}
  - stage: screenin
    learn: {consnet: given}
    requests:
      - from: police
        to: csc
        categories: [criminal.inteligence]
        purpose: safeguarding
"""


def _line_of(text, needle):
    """The 1-based line of ``text`` that ends with ``needle``."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if line.rstrip().endswith(needle))


def test_a_case_naming_an_unknown_partner_is_refused_with_located_pk302(tmp_path):
    folder = write_cases(tmp_path / "cases", bad=BAD_CASE)
    cases = protocolkit.load_cases(folder)  # the case file itself is well formed
    with pytest.raises(ProtocolValidationError) as info:
        run_cases(PROTOCOL, cases)
    findings = info.value.findings
    assert {f.code for f in findings} == {"PK302"}
    assert all(f.severity.value == "error" for f in findings)
    by_value = {next(v for v in ("mash_tema", "screenin", "consnet", "criminal.inteligence") if v in f.message): f
                for f in findings}
    assert set(by_value) == {"mash_tema", "screenin", "consnet", "criminal.inteligence"}
    partner = by_value["mash_tema"]
    assert partner.file.endswith("bad.yaml")
    assert partner.line == _line_of(BAD_CASE, "to: mash_tema")
    assert "partner" in partner.message and "'mash'" in partner.fix
    assert by_value["screenin"].line == _line_of(BAD_CASE, "stage: screenin")
    assert by_value["criminal.inteligence"].line == _line_of(BAD_CASE, "[criminal.inteligence]")
    assert "criminal.intelligence" in by_value["criminal.inteligence"].fix
    assert by_value["consnet"].line == _line_of(BAD_CASE, "{consnet: given}")
    assert partner.format().startswith(f"{partner.file}:{partner.line}:")


def test_expectations_are_checked_against_the_vocabulary_too(tmp_path):
    case = """\
    id: bad_expect
    title: Expects an obligation type that does not exist
    steps:
      - stage: screening
        requests:
          - from: police
            to: csc
            categories: [education]
            purpose: safeguarding
            expect: {outcome: share, obligations: [record_decisions]}
    """
    folder = write_cases(tmp_path / "cases", bad_expect=case)
    with pytest.raises(ProtocolValidationError) as info:
        run_cases(PROTOCOL, protocolkit.load_cases(folder))
    assert [f.code for f in info.value.findings] == ["PK302"]
    assert "record_decisions" in info.value.findings[0].message


def test_no_cases_give_empty_results_without_error():
    results = run_cases(PROTOCOL, [])
    assert (results.passed, results.failed, results.ok) == (0, 0, True)
    assert results.rules_never_exercised == [r.id for r in PROTOCOL.rules]


def test_no_cases_give_an_empty_summary_and_reports():
    results = run_cases(PROTOCOL, [])
    assert results.summary()["expectations"] == 0
    assert results.sharing_by_stage().empty
    assert json.loads(json.dumps(results.to_json()))["summary"]["failed"] == 0
    assert isinstance(results.over_sharing, pd.DataFrame) and results.over_sharing.empty


def test_what_does_not_hold_is_said_in_plain_sentences_with_the_ids_after(results):
    gap = expectation(results, "family_b", "request_1")
    assert len(gap["in_words"]) == 1
    sentence = gap["in_words"][0]
    assert sentence.startswith("Expected ") and "but no rule covers this request" in sentence
    assert "got gap" not in sentence and "_" not in sentence.split(":")[0]  # names, not ids, lead
    row = expectation(results, "family_b", "health_expectations")
    words = row["in_words"]
    assert len(words) == len(row["problems"]) == 3
    assert "but the protocol lets it be shared" in words[0] and words[0].endswith("health.physical).")
    assert "R-HEALTH-SHARE" in words[0]
    assert "carry the duty to" in words[1] and words[1].endswith("(inform_family).")
    assert words[2].startswith("Expected no duty to") and words[2].endswith("(secure_channel).")
    held = expectation(results, "family_a", "gp_health")
    assert held["passed"] and held["in_words"] == []
