"""Facts that constrain each other (docs/semantics.md section 11), on hand-built protocols:
validation, decide, decide_many, case runs, why-not and the guarantee checker; and self-flows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.engine.guarantees import check_guarantee
from protocolkit.engine.why_not import IMPOSSIBLE
from protocolkit.errors import ImpossibleFactsError, ProtocolValidationError
from protocolkit.model.guarantees import Guarantee
from test_guarantees_brute_force import brute_force

SMALL = Path(__file__).parents[1] / "fixtures" / "small"

HARM = """
facts:
  - id: immediate_harm
    label: Is the child at immediate risk of harm?
    values: ["no", "yes"]
  - id: significant_harm
    label: Is significant harm suspected?
    values: ["no", "yes"]
fact_constraints:
  - id: immediate_is_significant
    statement: A child at immediate risk is always suspected of suffering significant harm.
    if: {immediate_harm: "yes"}
    then: {significant_harm: "yes"}
"""

STRATEGY_RULE = """
  - id: R3
    title: Police share intelligence with children's social care when significant harm is suspected
    from: {kinds: [police]}
    to: {partners: [csc]}
    categories: [criminal.intelligence]
    stages: [screening]
    purposes: [safeguarding]
    when: {significant_harm: "yes"}
    outcome: share
    lawful_bases: [DPA18.s35, DPA18.S8.P4]
    rationale: Section 47 enquiries need what the police know.
"""


def _folder(tmp_path, extra: str = HARM, rules: str = "") -> Path:
    folder = shutil.copytree(SMALL, tmp_path / "p")
    text = (folder / "protocol.yaml").read_text()
    text = text.replace("\nrules:\n", "\nrules:\n" + rules.lstrip("\n"), 1) if rules else text
    (folder / "protocol.yaml").write_text(text + extra)
    return folder


def _request(**facts):
    return {"from": "police", "to": "csc", "categories": ["criminal.intelligence"], "stage": "screening",
            "purpose": "safeguarding", "facts": facts}


# -- validation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("pattern, code, words", [
    ('then: {significant_harms: "yes"}', "PK110", "unknown fact 'significant_harms'"),
    ('then: {significant_harm: "maybe"}', "PK113", "'maybe' is not a value of fact 'significant_harm'"),
    ('then: {significant_harm: "yes"}\n    excludes: {significant_harm: "no"}', "PK101", "either 'then'"),
])
def test_a_broken_constraint_is_a_located_error(tmp_path, pattern, code, words):
    folder = _folder(tmp_path, HARM.replace('then: {significant_harm: "yes"}', pattern))
    findings = [f for f in protocolkit.validate(folder) if f.severity == "error"]
    assert [f.code for f in findings] == [code]
    assert words in findings[0].message and findings[0].line and findings[0].file.endswith("protocol.yaml")
    assert findings[0].key.startswith("fact_constraints")


def test_contradictory_constraints_are_an_error_naming_the_impossible_value(tmp_path):
    folder = _folder(tmp_path, HARM + """  - id: immediate_is_never_significant
    if: {immediate_harm: "yes"}
    excludes: {significant_harm: "yes"}
""")
    findings = [f for f in protocolkit.validate(folder) if f.severity == "error"]
    assert [f.code for f in findings] == ["PK118"]
    assert "no possible case where immediate_harm is yes" in findings[0].message
    assert findings[0].key == "fact_constraints[immediate_is_significant]"
    with pytest.raises(ProtocolValidationError):
        protocolkit.load(folder)


def test_the_old_format_without_constraints_still_loads():
    assert protocolkit.load(SMALL).fact_constraints == []


# -- deciding ---------------------------------------------------------------------------------------

def test_decide_refuses_facts_the_constraints_rule_out(tmp_path):
    protocol = protocolkit.load(_folder(tmp_path, rules=STRATEGY_RULE))
    with pytest.raises(ImpossibleFactsError) as caught:
        protocolkit.decide(protocol, _request(immediate_harm="yes", significant_harm="no"))
    text = str(caught.value)
    assert "cannot all be true: immediate_harm is yes, significant_harm is no" in text
    assert "immediate_is_significant" in text and "always suspected of suffering significant harm" in text
    # not stating significant harm is not enough either: unknown is never assumed
    with pytest.raises(ImpossibleFactsError):
        protocolkit.decide(protocol, _request(immediate_harm="yes"))
    decision = protocolkit.decide(protocol, _request(immediate_harm="yes", significant_harm="yes"))
    assert (decision.outcome, decision.rule) == ("share", "R3")


def test_decide_many_names_the_first_impossible_request(tmp_path):
    protocol = protocolkit.load(_folder(tmp_path, rules=STRATEGY_RULE))
    table = pd.DataFrame([_request(significant_harm="yes"), _request(immediate_harm="yes", significant_harm="no")])
    with pytest.raises(ImpossibleFactsError) as caught:
        protocolkit.decide_many(protocol, table)
    assert caught.value.row == 1 and str(caught.value).startswith("request 1:")


def test_the_command_line_reports_impossible_facts_as_bad_input(tmp_path, capsys):
    folder = _folder(tmp_path, rules=STRATEGY_RULE)
    code = main(["decide", str(folder), "--from", "police", "--to", "csc", "--data", "criminal.intelligence",
                 "--stage", "screening", "--purpose", "safeguarding", "--fact", "immediate_harm=yes",
                 "--fact", "significant_harm=no"])
    assert code == 2
    assert "cannot all be true" in capsys.readouterr().err


def test_a_case_with_impossible_facts_is_a_located_error(tmp_path):
    folder = _folder(tmp_path, rules=STRATEGY_RULE)
    (folder / "cases").mkdir()
    (folder / "cases" / "harm.yaml").write_text("""id: harm
title: Immediate harm learnt at screening
facts: {significant_harm: "no"}
steps:
  - stage: screening
    learn: {immediate_harm: "yes"}
    requests:
      - from: police
        to: csc
        categories: [criminal.intelligence]
        purpose: safeguarding
        expect: {outcome: share}
""")
    protocol = protocolkit.load(folder)
    with pytest.raises(ProtocolValidationError) as caught:
        protocolkit.run_cases(protocol, protocolkit.load_cases(folder))
    [finding] = caught.value.findings
    assert finding.code == "PK303" and finding.file.endswith("harm.yaml") and finding.line == 8
    assert "immediate_is_significant" in finding.message


# -- why not ----------------------------------------------------------------------------------------

def test_why_not_never_suggests_an_impossible_state(tmp_path):
    # R4 needs immediate harm; the request says significant harm is not suspected, so making the harm
    # immediate alone would break the constraint: why-not must also change significant harm
    rule = STRATEGY_RULE.replace("R3", "R4").replace('{significant_harm: "yes"}', '{immediate_harm: "yes"}')
    protocol = protocolkit.load(_folder(tmp_path, rules=rule))
    table = protocolkit.why_not(protocol, _request(significant_harm="no"))
    row = table[table["rule"] == "R4"].iloc[0]
    assert row["then"] == "decides"
    assert any("significant harm is yes, as the fact constraints require (it is no)" in c for c in row["fact_changes"])


def test_why_not_says_when_no_possible_case_lets_a_rule_apply(tmp_path):
    rule = STRATEGY_RULE.replace("R3", "R5").replace('{significant_harm: "yes"}',
                                                     '{immediate_harm: "yes", significant_harm: "no"}')
    protocol = protocolkit.load(_folder(tmp_path, rules=rule))
    table = protocolkit.why_not(protocol, _request())
    row = table[table["rule"] == "R5"].iloc[0]
    assert row["then"] == IMPOSSIBLE and "can never apply" in row["explanation"]


# -- guarantees ---------------------------------------------------------------------------------------

REFUSE_IMMEDIATE_WITHOUT_SIGNIFICANT = """
  - id: R6
    title: Police share intelligence with the school when harm is immediate but not significant
    from: {kinds: [police]}
    to: {kinds: [school]}
    categories: [criminal.intelligence]
    stages: [screening]
    purposes: [safeguarding]
    when: {immediate_harm: "yes", significant_harm: ["no", "unknown"]}
    outcome: share
    lawful_bases: [DPA18.s35, DPA18.S8.P4]
    rationale: A rule whose conditions no possible case meets.
    priority: 1
"""

NEVER_SCHOOL = {"id": "G", "kind": "never", "statement": "Police intelligence never reaches a school.",
                "to": {"kinds": ["school"]}, "categories": ["criminal.intelligence"], "stages": ["screening"],
                "purposes": ["safeguarding"], "when": {"statutory_notice": "unknown", "child_competent": "unknown"}}


def test_a_counterexample_that_cannot_happen_is_no_counterexample(tmp_path):
    with_constraint = protocolkit.load(_folder(tmp_path / "a", rules=REFUSE_IMMEDIATE_WITHOUT_SIGNIFICANT))
    guarantee = Guarantee.model_validate(NEVER_SCHOOL)
    result = check_guarantee(with_constraint, guarantee)
    assert result.proven
    assert (result.proven, result.space_size) == brute_force(with_constraint, guarantee)[::2]
    # immediate x significant: 3 x 3 states, less the 2 the constraint rules out
    assert result.space_size == 3 * 1 * 1 * 1 * 1 * 5 * 5 * (9 - 2)
    without = protocolkit.load(_folder(tmp_path / "b", extra=HARM.split("fact_constraints:")[0],
                                       rules=REFUSE_IMMEDIATE_WITHOUT_SIGNIFICANT))
    broken = check_guarantee(without, guarantee)
    assert not broken.proven
    assert dict(broken.counterexample.facts) == {"immediate_harm": "yes"}


def test_tied_facts_are_explored_together_and_counterexamples_are_possible(tmp_path):
    protocol = protocolkit.load(_folder(tmp_path, rules=STRATEGY_RULE))
    guarantee = Guarantee.model_validate({**NEVER_SCHOOL, "to": {"partners": ["csc"]}})
    result = check_guarantee(protocol, guarantee)
    proven, first, size = brute_force(protocol, guarantee)
    # csc covers its team mash_team: 4 senders x 2 recipients less 2 self-flows; 7 possible harm states
    assert (result.proven, result.space_size) == (proven, size) == (False, (4 * 2 - 2) * 5 * 5 * 7)
    facts = dict(result.counterexample.facts)
    # the smallest possible state with significant harm: immediate harm unknown, significant harm yes
    assert facts == {"significant_harm": "yes"} and first["significant_harm"] == "yes"
    assert first["immediate_harm"] is None


def test_a_partner_sending_to_itself_is_left_out_of_the_space(tmp_path):
    rule = """
  - id: R7
    title: The MASH team keeps its own records
    from: {partners: [mash_team]}
    to: {partners: [mash_team]}
    categories: [household]
    stages: any
    purposes: any
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA1989.s47]
    rationale: Its own records.
"""
    protocol = protocolkit.load(_folder(tmp_path, extra="", rules=rule))
    guarantee = Guarantee.model_validate({"id": "G", "kind": "never", "statement": "Nobody shares household data.",
                                          "categories": ["household.composition"], "stages": ["screening"],
                                          "purposes": ["safeguarding"],
                                          "when": {"statutory_notice": "unknown", "child_competent": "unknown",
                                                   "consent": "unknown", "risk": "unknown"}})
    result = check_guarantee(protocol, guarantee)
    assert result.proven and result.space_size == 4 * 4 - 4  # every pair of partners but the 4 self-flows
    assert brute_force(protocol, guarantee)[0] is True
