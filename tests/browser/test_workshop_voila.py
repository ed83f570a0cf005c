"""The workshop page in Voila, in chromium: the graph renders, a click reaches Python, a decision is written,
and nothing is fetched from outside the machine."""

from __future__ import annotations

import protocolkit

import pytest

from browser_support import browser, jupyter_env, page_with_log, protocol_copy  # noqa: F401 (fixtures)
from browser_support import click_partner, screenshot_path

from protocolkit.workshop.server import start

CASE = "school_low_level_consent_refused"
QUESTION = "Does the school tell early help when a father refuses consent at green?"

pytestmark = pytest.mark.browser


def test_workshop_page_graph_click_decision_and_offline(page_with_log, jupyter_env, protocol_copy, tmp_path):
    page, requests = page_with_log
    with start(protocol_copy, parameters={"case": CASE}, env=jupyter_env, directory=tmp_path / "serve",
               cull_idle_timeout=60) as server:
        page.goto(server.url)
        page.wait_for_selector(".pk-graph[data-laid-out='true'] canvas")
        assert page.locator(".pk-workshop-title h1").inner_text() == (
            "Northbridge Multi-Agency Safeguarding Hub Information Sharing Protocol")
        partners = len(protocolkit.load(protocol_copy).partners)
        assert page.evaluate("document.querySelector('.pk-graph-canvas')._pkCy.nodes().length") == partners
        assert "with consent refused, risk green" in page.locator(".pk-following").inner_text()
        assert page.locator(".jp-InputArea").count() == 0  # no code on the projector

        click_partner(page, "school")
        details = page.locator(".pk-details-box .pk-details")
        details.locator("h3", has_text="Riverside Academy").wait_for()
        # written by Python from the permitted flows: the click reached the kernel and came back
        assert "At referral, for every purpose, with consent refused" in details.inner_text()
        page.locator(".pk-workshop-title").scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_path("workshop-voila.png")))

        page.get_by_placeholder("What did the room need to decide?").fill(QUESTION)
        page.get_by_placeholder("What the partnership agreed").fill("No: record the refusal; revisit if risk rises")
        page.get_by_placeholder("One person per line: name or role, partner").fill("DSL, Riverside Academy")
        page.get_by_role("button", name="Record the decision").click()
        page.locator(".pk-decision-log", has_text="Recorded decision D1").wait_for()
        text = (protocol_copy / "decisions.yaml").read_text(encoding="utf-8")
        assert QUESTION in text and CASE in text
        page.locator(".pk-decision-log").screenshot(path=str(screenshot_path("workshop-voila-decision.png")))

    assert requests.urls, "the request log is empty"
    assert requests.outside_loopback() == []
