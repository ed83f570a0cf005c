"""The workshop page: what a facilitator puts on the projector, built from the workbench's widgets.

The notebook ``notebooks/workshop.ipynb`` calls :func:`workshop_page`; Voila shows it
without code. Everything on it is a :mod:`protocolkit.ui` widget; this module only
arranges them and keeps the partner graph on the stage and facts the case has reached.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets

from ..model.loading import load
from ..model.protocol import Protocol
from ..ui.graph import PartnerGraph

STYLE = """<style>
.pk-workshop { width: 100%; }
.pk-workshop .pk-workshop-title h1 { font-size: 2.1em; margin: 6px 0 2px 0; color: #17324d; }
.pk-workshop .pk-workshop-title p { font-size: 1.05em; margin: 0 0 8px 0; color: #44525f; }
.pk-workshop .pk-section-title { font-size: 1.35em; font-weight: 700; color: #17324d; margin: 14px 0 4px 0; }
.pk-workshop .pk-card { background: #ffffff; border: 1px solid #d5dbe1; border-radius: 8px; padding: 8px 14px;
  box-shadow: 0 1px 3px rgba(0, 0, 0, 0.06); }
</style>"""


class WorkshopPage(widgets.VBox):
    """The workshop page for one protocol.

    Parameters
    ----------
    protocol : Protocol
    source : path, optional
        The protocol folder, shown on the page and used for the decision log.

    Examples
    --------
    >>> import protocolkit
    >>> page = WorkshopPage(protocolkit.load(protocolkit.example_path("mash")))
    >>> page.graph.stage
    'referral'
    """

    def __init__(self, protocol: Protocol, source: Path | None = None, **kwargs):
        self.protocol = protocol
        meta = protocol.metadata
        title = widgets.HTML(
            f"<div class='pk-workshop-title'><h1>{html.escape(meta.title)}</h1>"
            f"<p>Version {html.escape(str(meta.version))}, {html.escape(str(meta.status))}. "
            f"Who may share what with whom, and why: click a partner or an arrow.</p></div>")
        self.graph = PartnerGraph(protocol, height="620px")
        graph_card = widgets.VBox([widgets.HTML("<div class='pk-section-title'>The partnership</div>"), self.graph])
        graph_card.add_class("pk-card")
        super().__init__([widgets.HTML(STYLE), title, graph_card], **kwargs)
        self.add_class("pk-workshop")


def workshop_page(protocol_path: str | Path, case: str | None = None) -> WorkshopPage:
    """Load a protocol and build its workshop page (what the workshop notebook shows).

    Parameters
    ----------
    protocol_path : path
        The protocol folder or its ``protocol.yaml``.
    case : str, optional
        The sample case to open first.
    """
    source = Path(protocol_path)
    return WorkshopPage(load(source), source=source)
