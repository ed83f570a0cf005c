"""The case stepper, driven as a person would: pick a case, step, flip a fact, ask why not."""

import pytest

import protocolkit
from protocolkit.ui import CaseStepper, Session

CASE = "school_low_level_consent_refused"  # MASH case 08: the father refuses consent, then the risk rises


@pytest.fixture(scope="module")
def stepper():
    return CaseStepper(Session(protocolkit.example_path("mash")), case=CASE)


@pytest.fixture(autouse=True)
def fresh(stepper):
    stepper.case_picker.value = CASE
    stepper.reset_facts()
    stepper.go_to(0)


def test_each_request_shows_the_engine_decision_and_its_explanation(stepper):
    session = stepper.session
    case = session.case(CASE)
    step = case.steps[0]
    assert len(stepper.decisions) == len(step.requests)
    for request, decision in zip(step.requests, stepper.decisions):
        facts = {**case.facts, **step.learn, **request.facts}
        direct = protocolkit.decide(session.protocol, {"from": request.from_, "to": request.to,
                                                       "categories": request.categories, "stage": step.stage,
                                                       "purpose": request.purpose, "facts": facts})
        assert decision.outcome == direct.outcome
    html = stepper.requests_html.value
    assert "Riverside Academy" in html and "Do not share" in html and "Why" in html
    assert "as the partnership expected" in html


def test_flipping_consent_changes_the_decisions_and_the_display(stepper):
    assert stepper.decisions[0].outcome == "refuse"
    before_html = stepper.requests_html.value
    stepper._fact_widgets["consent"].value = "given"
    assert stepper.overrides == {"consent": "given"}
    assert stepper.decisions[0].outcome != "refuse"
    assert stepper.decisions[0].may_share  # the attendance may now go to early help
    assert stepper.requests_html.value != before_html
    assert "Supposing" in stepper.heading.value
    assert "early_help" in stepper.knowledge.index
    stepper.reset_facts()
    assert stepper.decisions[0].outcome == "refuse" and stepper.knowledge.empty


def test_stepping_forward_applies_what_was_learnt(stepper):
    stepper.next_button.click()
    assert stepper.step_index == 1
    assert stepper._fact_widgets["risk"].value == "amber"
    assert "Step 2 of" in stepper.heading.value
    stepper.next_button.click()
    assert stepper.step_index == len(stepper.case.steps) - 1 or stepper.step_index == 2


def test_why_not_lists_the_rules_that_would_allow_a_refusal(stepper):
    assert [index for _, index in stepper.why_not_picker.options][:2] == [0, 1]
    stepper.why_not_picker.value = 0
    stepper.why_not_button.click()
    html = stepper.why_not_html.value
    assert "would apply if consent is given" in html
    table = stepper.explain_why_not(0)
    assert set(table["category"]) <= set(stepper.decisions[0].request.categories)


def test_the_knowledge_matrix_says_who_holds_what_after_the_step(stepper):
    stepper.go_to(len(stepper.case.steps) - 1)
    assert not stepper.knowledge.empty
    assert "first received" in stepper.knowledge_html.value
    for partner in stepper.knowledge.index:
        assert stepper.session.label("partners", partner) in stepper.knowledge_html.value.replace("&#x27;", "'")


def test_an_edit_to_the_protocol_refreshes_the_stepper(mash_session):
    stepper = CaseStepper(mash_session, case=CASE)
    first = stepper.decisions[0]
    deciding = first.categories[0].rule
    mash_session.remove_entry("rules", deciding)
    assert stepper.decisions[0] is not first
    assert stepper.decisions[0].categories[0].rule != deciding
    mash_session.undo()
    assert stepper.decisions[0].categories[0].rule == deciding


def test_an_unknown_fact_value_is_refused_with_the_allowed_values(stepper):
    with pytest.raises(ValueError, match="given"):
        stepper.set_fact("consent", "perhaps")


def test_a_fallback_decision_says_so():
    session = Session(protocolkit.example_path("supporting_families"))
    stepper = CaseStepper(session, case="other_adult_in_household")
    stepper.go_to(1)
    fallback = [d for d in stepper.decisions if any(c.fallback for c in d.categories)]
    assert fallback and fallback[0].outcome == "escalate"
    assert "the protocol&#x27;s fallback decided, not a rule: no rule covers this" in stepper.requests_html.value \
        or "the protocol's fallback decided, not a rule: no rule covers this" in stepper.requests_html.value
    assert "Eastmoor MASH team manager to decide" in stepper.requests_html.value


def test_the_step_slider_counts_steps_as_the_heading_does(stepper):
    steps = len(stepper.case.steps)
    assert (stepper.step_slider.min, stepper.step_slider.max) == (1, steps)
    assert stepper.step_slider.value == 1 and f"Step 1 of {steps}" in stepper.heading.value
    stepper.next_button.click()
    assert stepper.step_slider.value == 2 and stepper.step_index == 1 and f"Step 2 of {steps}" in stepper.heading.value
    stepper.step_slider.value = steps  # dragging the slider to its end shows the last step
    assert stepper.step_index == steps - 1 and f"Step {steps} of {steps}" in stepper.heading.value
    assert stepper.next_button.disabled


# MASH case 48 (R-SCR-14: the MASH forwards only what the police shared with it, domain notes 6.4)
# and case 47 (R-REF-08B: a third police-attended incident within twelve months goes to the MARAC,
# whatever the DASH score): both rules read the case's history (docs/semantics.md section 15).
HISTORY_CASES = ["mash_forwards_what_it_received", "repeat_incidents_marac"]


def _category_rows(decisions) -> list[tuple]:
    return [(c.category, c.outcome, c.rule) for d in decisions for c in d.categories]


@pytest.mark.parametrize("case_id", HISTORY_CASES)
def test_every_step_decides_as_the_case_run_does_with_the_earlier_steps_history(stepper, case_id):
    session = stepper.session
    run = protocolkit.run_cases(session.protocol, [session.case(case_id)])
    assert run.ok  # the case's expectations, written from the guidance, hold in the run
    stepper.case_picker.value = case_id
    for index in range(len(session.case(case_id).steps)):
        stepper.go_to(index)
        rows = run.decisions[run.decisions["step_index"] == index]
        assert _category_rows(stepper.decisions) == [
            (c, str(o), r if isinstance(r, str) else None) for c, o, r in zip(rows["category"], rows["outcome"], rows["rule"])]
        expected = run.expectations[run.expectations["step_index"] == index]
        for decision, actual in zip(stepper.decisions, expected["actual"]):
            assert decision.outcome == actual


def test_a_history_rule_decides_the_same_in_the_stepper_and_in_the_case_run(stepper):
    case_id = HISTORY_CASES[0]
    run = protocolkit.run_cases(stepper.session.protocol, [stepper.session.case(case_id)])
    in_run = run.expectations.set_index(["step", "request"])
    stepper.case_picker.value = case_id
    stepper.go_to(0)  # asked before the police shared anything with the MASH: nothing to forward
    assert stepper.decisions[0].outcome == in_run.loc[("asked_too_early", "forward_before_received"), "actual"] == "refuse"
    stepper.go_to(2)  # the police shared the incidents with the MASH at step 2: R-SCR-14 forwards a summary
    forward = stepper.decisions[0]
    assert forward.outcome == in_run.loc[("step_down", "forward_what_was_received"), "actual"] == "share_minimum"
    assert forward.rule == in_run.loc[("step_down", "forward_what_was_received"), "rule"] == "R-SCR-14"
    assert forward.request.facts["history.received.criminal.domestic_abuse_incidents"] == "yes"
    html = stepper.requests_html.value
    assert "Earlier in this case:" in html and "police_research" in html
    # the stepper's own check against the case file says so too
    assert "as the partnership expected" in html and "not what the partnership expected" not in html


def test_what_the_partnership_did_not_expect_reads_as_a_sentence_with_the_ids_after(stepper):
    stepper._fact_widgets["consent"].value = "given"  # the father's refusal flipped: the case's refusal no longer holds
    html = stepper.requests_html.value
    assert "not what the partnership expected" in html
    said = html.split("not what the partnership expected", 1)[1]
    sentence = said.split("<li>", 1)[1].split("</li>", 1)[0]
    assert sentence.startswith("Expected Riverside Academy")  # the partner's name leads, not an id
    assert "but the protocol" in sentence
    assert "expected refuse, got" not in html  # the engine's short wording is not what a person reads
    stepper.reset_facts()
