"""The workshop page without a browser: the graph follows the case, decisions are written to the folder."""

from __future__ import annotations

import pytest

from protocolkit.graph import permitted_flows
from protocolkit.ui import Session
from protocolkit.workshop.page import WorkshopPage, workshop_page

CASE = "school_low_level_consent_refused"  # MASH case 08: consent refused at green, then the risk rises


def arrows(page):
    return {(e["data"]["source"], e["data"]["target"]) for e in page.graph.canvas.elements if e["group"] == "edges"}


def expected_arrows(protocol, stage, facts):
    flows = permitted_flows(protocol, stage=stage, facts=facts)
    return set(zip(flows["from"], flows["to"]))


@pytest.fixture
def page(mash):
    return workshop_page(mash, case=CASE)


def test_the_graph_shows_the_stage_and_facts_the_case_has_reached(page):
    case = page.session.case(CASE)
    assert page.graph.stage == case.steps[0].stage
    assert page.graph.facts == {"consent": "refused", "risk": "green", "significant_harm_suspected": "no",
                                "telling_family": "safe"}
    assert arrows(page) == expected_arrows(page.session.protocol, case.steps[0].stage, page.graph.facts)
    assert ("school", "early_help") not in arrows(page)  # the father's refusal is respected at green
    last = len(case.steps) - 1
    page.stepper.go_to(last)
    assert page.graph.stage == case.steps[last].stage
    assert page.graph.facts == {k: v for k, v in page.stepper.facts_at().items() if v != "unknown"}
    assert "At " + page.session.label("stages", case.steps[last].stage).lower() in page.following.value


def test_flipping_consent_in_the_case_redraws_the_graph(page):
    page.stepper.set_fact("consent", "given")
    assert page.graph.facts["consent"] == "given"
    assert ("school", "early_help") in arrows(page)  # with consent, early help may be told (HMG 2024 rule 4)
    assert arrows(page) == expected_arrows(page.session.protocol, page.graph.stage, page.graph.facts)


def test_a_decision_recorded_on_the_page_is_written_to_the_protocol_folder(page, mash):
    assert page.decision_log.case.value == CASE  # the decision log offers the case on screen
    page.decision_log.question.value = "Does the school tell early help when a father refuses at green?"
    page.decision_log.agreed.value = "No: record the refusal and revisit if the risk rises"
    page.decision_log.present.value = "Designated safeguarding lead, Riverside Academy"
    page.decision_log.record()
    text = (mash / "decisions.yaml").read_text(encoding="utf-8")
    assert "Does the school tell early help when a father refuses at green?" in text
    assert CASE in text


def test_an_edit_in_the_session_redraws_the_graph(mash):
    session = Session(mash)
    page = WorkshopPage(session, case=CASE)
    page.stepper.set_fact("consent", "given")
    assert ("school", "early_help") in arrows(page)
    flows = permitted_flows(session.protocol, stage="referral", facts={"consent": "given", "risk": "green"})
    opening = set(flows[(flows["from"] == "school") & (flows["to"] == "early_help")]["rule"])
    session.edit("drop every rule that lets the school share with early help",
                 lambda p: setattr(p, "rules", [r for r in p.rules if r.id not in opening]))
    assert arrows(page) == expected_arrows(session.protocol, page.graph.stage, page.graph.facts)
    assert ("school", "early_help") not in arrows(page)

