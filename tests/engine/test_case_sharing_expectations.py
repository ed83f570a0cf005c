"""Case expectations on the sharing mode (docs/semantics.md sections 4a and 7): ``sharing: required | permitted |
discretion`` and ``decided_by``, checked like outcome, role, regime and fallback, in both ways the case runner
checks expectations (with and without explanations); wrong values are located errors."""

from __future__ import annotations

import pytest

from handbuilt import build, rule
from protocolkit.engine import run_cases
from protocolkit.errors import ProtocolValidationError
from protocolkit.model.cases import Case

DSL = "the school's designated safeguarding lead"
PROTOCOL = build([
    rule("DUTY", "share", sender={"kinds": ["police"]}, to={"kinds": ["school"]}, sharing="required"),
    rule("JUDGED", "share", sender={"kinds": ["school"]}, to={"partners": ["keyworker"]}, sharing="discretion",
         decided_by=DSL),
    rule("MAY", "share", sender={"kinds": ["police"]}, to={"partners": ["csc"]}),
    rule("NO", "refuse", sender={"kinds": ["police"]}, to={"partners": ["dwp"]}),
])


def _case(sender, recipient, expect):
    return Case.model_validate({"id": "c", "title": "t", "steps": [{"stage": "referral", "requests": [{
        "from": sender, "to": recipient, "categories": ["education.attendance"], "purpose": "safeguarding",
        "expect": expect}]}]})


def _problems(case, explain):
    return [p for ps in run_cases(PROTOCOL, [case], explain=explain).expectations["problems"] for p in ps]


@pytest.mark.parametrize("explain", [True, False])
def test_the_mode_and_the_decision_maker_pass_when_right(explain):
    assert _problems(_case("police", "school", {"outcome": "share", "sharing": "required"}), explain) == []
    assert _problems(_case("police", "csc", {"outcome": "share", "sharing": "permitted"}), explain) == []
    assert _problems(_case("school", "keyworker", {"outcome": "share", "sharing": "discretion", "decided_by": DSL}),
                     explain) == []


@pytest.mark.parametrize("explain", [True, False])
def test_a_wrong_mode_is_a_mismatch_in_plain_words(explain):
    assert _problems(_case("police", "csc", {"outcome": "share", "sharing": "required"}), explain) == [
        "expected a duty to share (sharing: required), got a permission to share (sharing: permitted)"]
    assert _problems(_case("police", "school", {"outcome": "share", "sharing": "discretion"}), explain) == [
        "expected sharing on someone's judgement (sharing: discretion), got a duty to share (sharing: required)"]
    assert _problems(_case("school", "keyworker", {"outcome": "share", "decided_by": "the head teacher"}), explain) == [
        f"expected the judgement of the head teacher to decide, got {DSL}"]
    # nothing shared: the outcome's own problem, and the mode's
    assert _problems(_case("police", "dwp", {"outcome": "share", "sharing": "required"}), explain) == [
        "expected share, got refuse (decided by NO)", "expected a duty to share (sharing: required), but nothing "
                                                      "is shared"]


def _sentences(case):
    return [w for ws in run_cases(PROTOCOL, [case]).expectations["in_words"] for w in ws]


def test_a_wrong_mode_is_said_as_a_sentence_first():
    """The sentences the case stepper and ``protocolkit test`` lead with, before the short problem wording."""
    assert _sentences(_case("police", "csc", {"outcome": "share", "sharing": "required"})) == [
        "Expected Testshire Police to share attendance with Children's Social Care at referral for safeguarding "
        "children and adults at risk as a duty, but the protocol shares it as a permission (sharing: permitted)."]
    assert _sentences(_case("school", "keyworker", {"outcome": "share", "decided_by": "the head teacher"})) == [
        "Expected Testshire Primary to share attendance with Early help keyworker at referral for safeguarding "
        f"children and adults at risk on the judgement of the head teacher, but the judgement of {DSL} decides."]
    said = _sentences(_case("police", "dwp", {"outcome": "share", "sharing": "required"}))
    assert said[-1] == ("Expected Testshire Police to share attendance with Department for Work and Pensions at "
                        "referral for safeguarding children and adults at risk as a duty, but nothing is shared.")


def test_an_expectation_without_a_mode_is_unchanged():
    assert "sharing" not in _case("police", "csc", {"outcome": "share"}).model_dump(by_alias=True)["steps"][0][
        "requests"][0]["expect"]


@pytest.mark.parametrize("expect, words", [
    ({"outcome": "share", "sharing": "mandatory"}, "required"),
    ({"outcome": "refuse", "sharing": "required"}, "shares nothing"),
    ({"outcome": "share", "sharing": "required", "decided_by": DSL}, "only a discretion has"),
])
def test_wrong_values_are_located_errors(tmp_path, expect, words):
    import yaml

    from protocolkit.model.cases import load_cases

    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "01.yaml").write_text(yaml.safe_dump({"id": "c", "title": "t", "steps": [{"stage": "referral",
        "requests": [{"from": "police", "to": "csc", "categories": ["education"], "purpose": "safeguarding",
                      "expect": expect}]}]}, sort_keys=False))
    with pytest.raises(ProtocolValidationError) as error:
        load_cases(folder)
    text = str(error.value)
    assert "01.yaml:" in text and words in text and "expect" in text


def test_protocolkit_test_reports_a_wrong_mode_in_plain_words(tmp_path, capsys):
    """An Encompass expectation written as a permission fails, and the CLI says why in words."""
    import shutil

    import protocolkit
    from protocolkit.cli.main import main

    folder = tmp_path / "mash"
    shutil.copytree(protocolkit.example_path("mash"), folder)
    case = folder / "cases" / "45_operation_encompass_duty.yaml"
    text = case.read_text(encoding="utf-8")
    assert "          sharing: required\n" in text
    case.write_text(text.replace("          sharing: required\n", "          sharing: permitted\n"), encoding="utf-8")
    code = main(["test", str(folder)])
    out = capsys.readouterr().out
    assert code == 1
    assert ("expected a permission to share (sharing: permitted), got a duty to share (sharing: required)"
            in " ".join(out.split()))
