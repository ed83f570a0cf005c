"""The shipped example partnership: valid, its cases pass, its guarantees hold, and edits are caught."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.engine.guarantees import check_guarantees
from protocolkit.model.rules import Rule
from protocolkit.review import review

EXAMPLE = protocolkit.example_path("mash")
SCENARIOS = {"1", "2", "4", "5", "7", "8", "9", "11", "12", "20"}  # domain notes, section 7


@pytest.fixture
def work(tmp_path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "mash"))


def test_validates_without_errors_or_warnings():
    # hints (severity info, such as PK125 for a deadline still in free text) inform and are not counted
    assert [f.format() for f in protocolkit.validate(EXAMPLE) if f.severity.value != "info"] == []


def test_is_a_credible_partnership():
    p = protocolkit.load(EXAMPLE)
    from protocolkit.model.vocabulary import Vocabulary

    v = Vocabulary.of(p)
    used = {c for r in p.rules if r.categories != "any" for c in r.categories}
    used |= {c for n in p.need_to_know for c in n.categories}
    assert len(p.partners) >= 10
    assert len(used) >= 30
    assert [s.id for s in v.stages] == ["referral", "screening", "strategy_discussion", "assessment", "plan",
                                        "review", "closure"]
    assert len(p.guarantees) >= 8
    # need-to-know profiles for every recipient at every stage
    recipients = {partner for r in p.rules if r.outcome in ("share", "share_minimum") for partner in v.partners_in(r.to)}
    for recipient in recipients:
        for stage in v.stage_ids:
            assert any(recipient in v.partners_in(n.recipient) and stage in v.stages_in(n.stages) for n in p.need_to_know), \
                (recipient, stage)


def test_every_scenario_is_a_case_and_every_expectation_passes():
    p = protocolkit.load(EXAMPLE)
    cases = protocolkit.load_cases(EXAMPLE)
    scenarios = {m for c in cases for m in re.findall(r"scenario (\d+)", c.scenario or "")}
    assert SCENARIOS <= scenarios
    assert any("own" in (c.scenario or "").lower() for c in cases)
    results = protocolkit.run_cases(p, cases)
    assert len(results.expectations) >= 40
    assert results.failed == 0, results.failures[["case", "step", "request", "problems"]].to_string()
    assert set(results.expectations["stage"]) == set(protocolkit.model.Vocabulary.of(p).stage_ids)


def test_guarantees_hold_and_review_has_no_errors():
    p = protocolkit.load(EXAMPLE)
    report = check_guarantees(p)
    assert report.ok and len(report.results) >= 8
    assert review(p).ok


def test_a_broken_rule_fails_the_right_expectation_with_a_readable_explanation(work):
    p = protocolkit.load(work)
    results = protocolkit.run_cases(p, protocolkit.load_cases(work))
    target = results.expectations[results.expectations["actual"] == "share_minimum"].iloc[0]
    rule = p.rule(target["rule"])
    rule.outcome = "share"  # the deliberate mistake: the whole record instead of a summary
    rule.minimum = None
    protocolkit.save(p)
    broken = protocolkit.run_cases(protocolkit.load(work), protocolkit.load_cases(work))
    failed = broken.failures
    row = failed[(failed["case"] == target["case"]) & (failed["step"] == target["step"])
                 & (failed["request"] == target["request"])].iloc[0]
    assert f"expected share_minimum, got share (decided by {rule.id})" in row["problems"]
    assert rule.id in row["explanation"] and "may share" in row["explanation"]
    code = main(["test", str(work)])
    assert code == 1


def test_a_rule_edit_that_breaks_a_guarantee_is_caught_in_prove_and_review(work, capsys):
    p = protocolkit.load(work)
    never = next(g for g in p.guarantees if g.kind == "never")
    recipient = sorted(protocolkit.model.Vocabulary.of(p).partners_in(never.to))[0]
    category = "any" if never.categories == "any" else never.categories[0]
    p.rules.append(Rule.model_validate({
        # Lawful on its face (the legal checks pass it), yet it breaks a promise.
        "id": "R-BROKEN", "title": "A careless new rule", "from": {"kinds": ["police"]},
        "to": {"partners": [recipient]}, "categories": "any" if category == "any" else [category],
        "stages": "any", "purposes": "any", "outcome": "share",
        "lawful_bases": ["UKGDPR.6.1.e", "UKGDPR.9.2.g", "DPA18.S1.P6", "UKGDPR.10", "POLICE.common_law"],
        "rationale": "Added in a hurry.", "priority": 9}))
    protocolkit.save(p)
    assert main(["prove", str(work)]) == 1
    out = capsys.readouterr().out
    assert f"VIOLATED {never.id}" in out and "R-BROKEN" in out and "Counterexample" in out
    found = review(protocolkit.load(work)).by_code("RV150")
    assert any(never.id in f.id and "R-BROKEN" in f.rules for f in found)


def test_the_core_import_is_light():
    code = ("import sys, protocolkit; heavy = {'jupyterlab', 'voila', 'ipywidgets', 'docx', 'rdflib', 'pyshacl', "
            "'cedarpy', 'regopy', 'matplotlib', 'jinja2', 'networkx'}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
