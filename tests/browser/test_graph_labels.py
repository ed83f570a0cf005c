"""The partner graph's ring in chromium at several widths: no two partner labels overlap, none is cut off.

The widget's own ES module (the vendored cytoscape bundle and graph.js) is rendered into a
page with a plain stand-in for the widget model, at the width of a narrow JupyterLab
column, a wide notebook and a projector; no Jupyter server is needed. Screenshots are saved.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import protocolkit
from browser_support import browser, page_with_log  # noqa: F401 (fixtures)
from browser_support import screenshot_path
from protocolkit.ui.graph import graph_elements, widget_module

pytestmark = pytest.mark.browser

NO_EDGES = pd.DataFrame(columns=["from", "to", "kinds", "sensitive", "minimum_only"])

PAGE = """<!doctype html><html><body style="margin:0">
<div id="host" style="width:{width}px"></div>
<script type="module">
{module}
const values = {{ elements: {elements}, selected: {{}}, layout_name: "ring", height: "{height}px" }};
const model = {{ get: (name) => values[name], set: (name, value) => {{ values[name] = value; }},
                save_changes: () => {{}}, on: () => {{}} }};
pkRender({{ model, el: document.getElementById("host") }});
</script></body></html>"""

OVERLAPS = """() => {
  const cy = document.querySelector('.pk-graph-canvas')._pkCy;
  const boxes = cy.nodes().map((n) => [n.id(), n.boundingBox({ includeNodes: false, includeEdges: false,
                                                              includeLabels: true })]);
  const out = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [p, a] = boxes[i], [q, b] = boxes[j];
    if (a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2) out.push(p + ' / ' + q);
  }
  const rect = document.querySelector('.pk-graph-canvas').getBoundingClientRect();
  cy.nodes().forEach((n) => {  // inside the canvas, as drawn (rendered coordinates)
    const b = n.renderedBoundingBox({ includeLabels: true, includeEdges: false });
    if (b.x1 < 0 || b.y1 < 0 || b.x2 > rect.width || b.y2 > rect.height) out.push(n.id() + ' outside the canvas');
  });
  return out;
}"""


@pytest.fixture(scope="module")
def elements():
    return graph_elements(protocolkit.load(protocolkit.example_path("mash")), pd.DataFrame(), edges=NO_EDGES)


# the smallest type each width must keep: a narrow JupyterLab column may go down to 9px; the
# workshop page's graph panel (about 1140 x 600 on a 1920-wide projector) and a wide notebook
# must stay readable from the back of a room; a projector-wide canvas keeps the full 18px
@pytest.mark.parametrize("width, height, smallest", [(560, 560, 9), (880, 600, 14), (1140, 600, 14),
                                                     (1400, 760, 18)])
def test_ring_labels_do_not_overlap_at_any_width(page_with_log, elements, width, height, smallest):
    page, requests = page_with_log
    page.set_content(PAGE.format(width=width, height=height, module=widget_module(),
                                 elements=json.dumps(elements)))
    page.wait_for_selector(".pk-graph[data-laid-out='true']", state="attached")
    assert page.evaluate(OVERLAPS) == []
    font = int(page.get_attribute(".pk-graph", "data-label-font"))
    assert smallest <= font <= 18
    page.locator("#host").screenshot(path=str(screenshot_path(f"graph-ring-{width}.png")))
    assert requests.outside_loopback() == []
