"""The workshop page in Voila, in chromium: the graph renders, a click reaches Python, nothing leaves the machine."""

from __future__ import annotations

from conftest import screenshot_path

from protocolkit.workshop.server import start


def click_partner(page, partner: str) -> None:
    """Click a partner's node where cytoscape drew it (a real mouse click on the canvas)."""
    x, y = page.evaluate("""(id) => {
        const box = document.querySelector('.pk-graph-canvas');
        const node = box._pkCy.getElementById(id);
        const p = node.renderedPosition(), r = box.getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""", partner)
    page.mouse.click(x, y)


def test_workshop_page_graph_click_and_offline(page_with_log, jupyter_env, protocol_copy, tmp_path):
    page, requests = page_with_log
    with start(protocol_copy, env=jupyter_env, directory=tmp_path / "serve", cull_idle_timeout=60) as server:
        page.goto(server.url)
        page.wait_for_selector(".pk-graph[data-laid-out='true'] canvas")
        heading = page.locator(".pk-workshop-title h1")
        assert heading.inner_text() == "Northbridge Multi-Agency Safeguarding Hub Information Sharing Protocol"
        nodes = page.evaluate("document.querySelector('.pk-graph-canvas')._pkCy.nodes().length")
        assert nodes == 17

        click_partner(page, "police")
        details = page.locator(".pk-details-box .pk-details")
        details.locator("h3", has_text="Northbridge Constabulary").wait_for()
        # the details are written by Python from the permitted flows: the click reached the kernel
        assert "Sends" in details.inner_text()
        assert "At referral, for every purpose, whatever the facts of the case" in details.inner_text()
        page.screenshot(path=str(screenshot_path("workshop-voila.png")))

        assert requests.urls, "the request log is empty"
        assert requests.outside_loopback() == []
