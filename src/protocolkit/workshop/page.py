"""The workshop page: what a facilitator puts on the projector, built from the workbench's widgets.

The notebook ``notebooks/workshop.ipynb`` calls :func:`workshop_page`; Voila shows it
without code. Everything on it is a :mod:`protocolkit.ui` widget (case stepper, partner
graph, decision log); this module only arranges them and keeps the partner graph on the
stage and facts the case has reached, so the room sees who may share with whom *now*.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets

from ..model.keys import UNKNOWN
from ..ui.decision_log import DecisionLogEditor
from ..ui.graph import PartnerGraph
from ..ui.session import Session
from ..ui.status_banner import StatusBanner
from ..ui.stepper import CaseStepper

STYLE = """<style>
.pk-workshop { width: 100%; }
.pk-workshop .pk-workshop-title h1 { font-size: 2.1em; margin: 6px 0 2px 0; color: #17324d; line-height: 1.2; }
.pk-workshop .pk-workshop-title p { font-size: 1.05em; margin: 0 0 8px 0; color: #44525f; }
.pk-workshop .pk-section-title { font-size: 1.35em; font-weight: 700; color: #17324d; margin: 4px 0 6px 0; }
.pk-workshop .pk-card { background: #ffffff; border: 1px solid #d5dbe1; border-radius: 8px; padding: 8px 14px;
  box-shadow: 0 1px 3px rgba(0, 0, 0, 0.06); margin: 0 6px 12px 0; }
.pk-workshop .pk-case-stepper .widget-html-content { white-space: normal; line-height: 1.35; }
.pk-workshop .pk-decision-log .widget-html-content { white-space: normal; line-height: 1.35; }
.pk-workshop .pk-following { color: #44525f; margin: 0 0 4px 0; }
/* projector type is large: let buttons, pickers and long questions take the room they need */
.pk-workshop .widget-button { width: auto; min-width: 120px; padding: 0 16px; }
.pk-workshop .pk-decision-log .widget-dropdown { width: 70%; }
.pk-workshop .pk-case-stepper .widget-dropdown { width: 100%; max-width: 100%; height: auto; flex-wrap: wrap; }
.pk-workshop .pk-case-stepper .widget-dropdown > label { white-space: normal; max-width: none; width: auto;
  line-height: 1.3; }
.pk-workshop .pk-case-stepper .widget-dropdown > select { max-width: 260px; }
.pk-workshop .pk-case-stepper .widget-dropdown > label { overflow: visible; text-overflow: clip; max-width: 100%; text-align: left;
  height: auto; min-height: var(--jp-widgets-inline-height, 28px); margin-bottom: 2px; }
.pk-workshop .pk-case-stepper .pk-case-picker > select { max-width: none; flex: 1 1 auto; }
</style>"""


class WorkshopPage(widgets.VBox):
    """The workshop page for one protocol folder: the case and the partner graph side by side, the decision log below.

    The graph follows the case: at each step it shows the flows permitted at that
    step's stage with the case's facts then (changed facts included).

    Parameters
    ----------
    session : Session
        The protocol folder open in the workbench; decisions go to its ``decisions.yaml``.
    case : str, optional
        The sample case to open first.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.ui import Session
    >>> page = WorkshopPage(Session(protocolkit.example_path("mash")), case="school_low_level_consent_refused")
    >>> page.graph.stage, page.graph.facts["consent"]
    ('referral', 'refused')
    """

    def __init__(self, session: Session, case: str | None = None, **kwargs):
        self.session = session
        meta = session.protocol.metadata
        title = widgets.HTML(
            f"<div class='pk-workshop-title'><h1>{html.escape(meta.title)}</h1>"
            f"<p>Version {html.escape(str(meta.version))}, {html.escape(str(meta.status))}. Step through a case; "
            f"the graph shows who may share what with whom at that point. Click a partner or an arrow.</p></div>")
        self.banner = StatusBanner(session)
        self.stepper = CaseStepper(session, case=case)
        self.graph = PartnerGraph(session, height="600px", details_below=True, fact_controls=False)
        self.following = widgets.HTML()
        self.following.add_class("pk-following")
        self.decision_log = DecisionLogEditor(session)
        case_card = _card("The case", self.stepper, flex="4 1 0%")
        graph_card = _card("Who may share with whom now", widgets.VBox([self.following, self.graph]), flex="7 1 0%")
        middle = widgets.HBox([case_card, graph_card], layout=widgets.Layout(width="100%", align_items="flex-start"))
        log_card = _card("Decisions of this workshop", self.decision_log)
        super().__init__([widgets.HTML(STYLE), title, self.banner, middle, log_card], **kwargs)
        self.add_class("pk-workshop")
        # The stepper rewrites its heading on every change of case, step or fact: follow it.
        self.stepper.heading.observe(lambda change: self.follow_case(), names="value")
        self.follow_case()

    def follow_case(self) -> None:
        """Show the graph at the case's current stage with its facts, and offer the case to the decision log."""
        step = self.stepper.variant().steps[self.stepper.step_index]
        facts = {fact: value for fact, value in self.stepper.facts_at().items()
                 if value != UNKNOWN and fact in self.graph.fact_pickers}
        self.graph.show(stage=step.stage, facts=facts)
        self.following.value = f"<p>{html.escape(self.graph.scope)}.</p>"
        if self.stepper.case_id in dict(self.decision_log.case.options).values():
            self.decision_log.case.value = self.stepper.case_id


def _card(heading: str, body: widgets.Widget, flex: str | None = None) -> widgets.VBox:
    card = widgets.VBox([widgets.HTML(f"<div class='pk-section-title'>{html.escape(heading)}</div>"), body],
                        layout=widgets.Layout(flex=flex) if flex else widgets.Layout())
    card.add_class("pk-card")
    return card


def workshop_page(protocol_path: str | Path, case: str | None = None) -> WorkshopPage:
    """Open a protocol folder and build its workshop page (what the workshop notebook shows).

    Parameters
    ----------
    protocol_path : path
        The protocol folder or its ``protocol.yaml``; decisions are recorded in its ``decisions.yaml``.
    case : str, optional
        The sample case to open first.
    """
    return WorkshopPage(Session(Path(protocol_path)), case=case)
