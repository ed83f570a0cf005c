"""Hand-built protocols with known violations: the checker finds exactly those counterexamples."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import protocolkit
from protocolkit.cli.main import main
from protocolkit.engine.guarantees import check_guarantee, check_guarantees
from protocolkit.model.guarantees import Guarantee
from test_guarantees_brute_force import brute_force

SMALL = Path(__file__).parents[1] / "fixtures" / "small"


@pytest.fixture
def small():
    return protocolkit.load(SMALL)


#: Keeps every scope small enough to list in full: two facts pinned to unknown, two stages, two purposes.
NARROW = {"stages": ["referral", "screening"], "purposes": ["safeguarding", "family_support"],
          "categories": ["criminal", "household", "health"]}
PINNED = {"statutory_notice": ["unknown"], "child_competent": ["unknown"]}


def _check(protocol, **data):
    data = {**NARROW, **data, "when": {**PINNED, **data.get("when", {})}}
    guarantee = Guarantee.model_validate({"id": "G", "statement": "The promise.", **data})
    result = check_guarantee(protocol, guarantee)
    proven, first, size = brute_force(protocol, guarantee)
    assert (result.proven, result.space_size) == (proven, size)
    return result, first


def small_vocabulary_categories(root):
    from protocolkit.model.vocabulary import Vocabulary

    return Vocabulary.of(protocolkit.load(SMALL)).category_descendants(root)


def test_never_violated_gives_the_smallest_counterexample(small):
    result, first = _check(small, kind="never", **{"from": {"kinds": ["police"]}}, categories=["criminal"])
    assert not result.proven
    c = result.counterexample
    # the first request in order: police -> csc (csc precedes mash_team), the first category that R1 covers,
    # screening, safeguarding, and the lowest risk that satisfies '>= amber', every other fact unknown
    assert (c.sender, c.recipient, c.categories, c.stage, c.purpose) == (
        "police", "csc", ("criminal.intelligence",), "screening", "safeguarding")
    assert dict(c.facts) == {"risk": "amber"}
    assert result.rule == "R1" and result.decision.outcome == "share_minimum"
    assert first["to"] == "csc" and first["risk"] == "amber"
    assert "Counterexample" in result.explanation and "R1" in result.explanation


def test_never_proven_reports_the_space_checked(small):
    result, _ = _check(small, kind="never", to={"kinds": ["school"]}, categories=["criminal"],
                       stages=["referral", "screening"])
    assert result.proven and result.counterexample is None
    # (senders x schools, less the school sending to itself) x the criminal tree x stages x purposes
    # x consent x risk (two facts pinned)
    criminal = len(small_vocabulary_categories("criminal"))
    assert result.space_size == (4 * 1 - 1) * criminal * 2 * 2 * 5 * 5
    assert "Checked over" in result.explanation


def test_always_outcome_at_red_is_proven_and_at_green_violated_by_a_gap(small):
    scope = {"from": {"kinds": ["police"]}, "to": {"partners": ["csc"]}, "categories": ["criminal.intelligence"],
             "stages": ["screening"], "purposes": ["safeguarding"]}
    red, _ = _check(small, kind="always", outcomes=["share", "share_minimum"], when={"risk": "red"}, **scope)
    assert red.proven
    green, _ = _check(small, kind="always", outcomes=["share", "share_minimum"], when={"risk": "green"}, **scope)
    assert not green.proven and green.decision.outcome == "gap"
    assert green.counterexample.recipient == "csc"


def test_always_obligation_violated_when_a_deciding_rule_lacks_it(small):
    small.rules[0].obligations = [o for o in small.rules[0].obligations if o.type != "record_decision"]
    result, first = _check(small, kind="always", obligations=["record_decision"], when_outcome=["share", "share_minimum"])
    assert not result.proven and result.rule == "R1"
    assert first["from"] == "police"


def test_only_via_needs_the_sender_or_the_owner_agreement(small):
    held, _ = _check(small, kind="only_via", categories=["criminal"], via={"partners": ["csc"]})
    assert held.proven  # R1 carries the owning agency's agreement
    small.rules[0].obligations = [o for o in small.rules[0].obligations
                                  if o.type != "owner_agreement_before_onward_disclosure"]
    broken, first = _check(small, kind="only_via", categories=["criminal"], via={"partners": ["csc"]})
    assert not broken.proven and broken.counterexample.sender == "police"
    via_police, _ = _check(small, kind="only_via", categories=["criminal"], via={"kinds": ["police"]})
    assert via_police.proven


def test_need_to_know_counts_profiles_and_strictness(small):
    loose, _ = _check(small, kind="need_to_know")
    assert loose.proven  # no profiles at all: nothing is beyond a profile
    strict, _ = _check(small, kind="need_to_know", strict=True)
    assert not strict.proven and strict.counterexample.recipient == "csc"
    small.need_to_know = [protocolkit.model.NeedToKnow.model_validate({
        "id": "csc_screening", "recipient": {"partners": ["csc"]}, "stages": ["screening"], "purposes": "any",
        "categories": ["household"]})]
    profiled, first = _check(small, kind="need_to_know")
    assert not profiled.proven
    assert (profiled.counterexample.recipient, profiled.counterexample.categories[0]) == ("csc", "criminal.intelligence")


def test_report_and_command_line_on_an_edited_copy(tmp_path, capsys):
    folder = shutil.copytree(SMALL, tmp_path / "small")
    text = (folder / "protocol.yaml").read_text()
    text += """
guarantees:
  - id: G-SCHOOLS
    kind: never
    statement: Police intelligence never reaches a school at referral or screening.
    to: {kinds: [school]}
    categories: [criminal.intelligence]
    stages: [referral, screening]
  - id: G-POLICE
    kind: never
    statement: Police never share criminal offence data.
    from: {kinds: [police]}
    categories: [criminal]
"""
    (folder / "protocol.yaml").write_text(text)
    report = check_guarantees(protocolkit.load(folder))
    assert (report.passed, report.failed) == (1, 1)
    assert list(report.to_frame()["proven"]) == [True, False]
    code = main(["prove", str(folder)])
    out = capsys.readouterr().out.strip().splitlines()
    assert code == 1
    assert out[-1] == "1 passed, 1 failed"
    assert any(line.startswith("VIOLATED G-POLICE") for line in out)
    assert any("police" in line and "R1" in line for line in out)
