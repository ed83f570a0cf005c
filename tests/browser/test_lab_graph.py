"""The partner graph in JupyterLab, in chromium: the workshop notebook runs, a click reaches the kernel."""

from __future__ import annotations

import pytest

from browser_support import lab, lab_root, jupyter_env, browser, page_with_log  # noqa: F401 (fixtures)
from browser_support import click_partner, run_all_cells, screenshot_path

GRAPH = ("next(w for w in __import__('ipywidgets').widgets.widget._instances.values() "
         "if type(w).__name__ == 'GraphCanvas')")

pytestmark = pytest.mark.browser


def test_graph_click_in_jupyterlab_reaches_python(lab, page_with_log):
    page, requests = page_with_log
    page.goto(lab.url + "lab/tree/notebooks/workshop.ipynb?reset")
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']")
    run_all_cells(page)
    page.wait_for_selector(".pk-graph[data-laid-out='true']", state="attached")
    assert lab.evaluate(GRAPH + ".selected") == {}
    # A real mouse click where cytoscape drew the node. JupyterLab scrolls the notebook inside its own
    # panel (not the window) to bring the graph into view: the click must be read against where the
    # canvas is now, not where it was before that scroll (it used to land on an arrow).
    click_partner(page, "housing")
    page.locator(".pk-details h3", has_text="Northbridge Council Housing Services").wait_for()
    assert lab.evaluate(GRAPH + ".selected") == {"kind": "partner", "id": "housing"}
    page.locator(".pk-graph-panel").first.screenshot(path=str(screenshot_path("lab-graph.png")))
    assert requests.outside_loopback() == []
