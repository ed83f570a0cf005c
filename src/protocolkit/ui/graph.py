"""The partner graph widget: who may send what to whom, filtered by stage, purpose and facts.

Every arrow and every line of the details comes from
:func:`protocolkit.graph.permitted_flows`, which the decision engine answers, so the
graph can never disagree with a decision. The drawing is cytoscape.js, vendored in
``_static/`` (see its README) and run by anywidget: nothing is fetched at run time.

A tap on a partner or an arrow in the browser sets :attr:`GraphCanvas.selected`; the
Python side answers with the details (what is sent and received, how, on which basis).
The same happens when code sets ``selected``, which is how the tests drive it.
"""

from __future__ import annotations

import html
import math
import re
from functools import lru_cache
from pathlib import Path
from typing import Mapping

import anywidget
import ipywidgets as widgets
import pandas as pd
import traitlets

from ..diagrams._common import FAMILY_FILL, FAMILY_LINE, ORDINARY_COLOUR, SENSITIVE_COLOUR, Labels, common_prefix_word, \
    partners_by_family, short_name, wrap
from ..graph import permitted_flows
from ..model.outcomes import Outcome
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary
from ._text import named

CYTOSCAPE_VERSION = "3.35.0"
STATIC = Path(__file__).with_name("_static")
EVERY = ""  # the dropdown value meaning "every stage" / "every purpose"
UNKNOWN = "unknown"
MAX_ROWS = 40

_EXPORT = re.compile(r"export\s*\{\s*([A-Za-z_$][\w$]*)\s+as\s+default\s*\}\s*;?\s*$")


@lru_cache(maxsize=1)
def widget_module() -> str:
    """The widget's ES module: the vendored cytoscape bundle followed by the widget code.

    anywidget loads one module from a string, so the bundle's default export becomes a
    constant the widget code uses.

    Examples
    --------
    >>> source = widget_module()
    >>> 'lf.version="3.35.0"' in source, source.rstrip().endswith("export default { render: pkRender };")
    (True, True)
    """
    bundle = (STATIC / "cytoscape.esm.min.mjs").read_text(encoding="utf-8")
    found = list(_EXPORT.finditer(bundle))
    if len(found) != 1:
        raise RuntimeError(f"{STATIC / 'cytoscape.esm.min.mjs'}: expected one 'export{{... as default}}' at the end; "
                           "update the vendored bundle as _static/README.md says")
    end = found[0]
    return (bundle[:end.start()] + f"const __pkCytoscape = {end.group(1)};\n"
            + (STATIC / "graph.js").read_text(encoding="utf-8"))


class GraphCanvas(anywidget.AnyWidget):
    """The drawing: cytoscape elements in, the tapped partner or arrow out."""

    _esm = widget_module()
    _css = (STATIC / "graph.css").read_text(encoding="utf-8")
    elements = traitlets.List(help="cytoscape elements: partners (with preset positions) and arrows").tag(sync=True)
    selected = traitlets.Dict(help="the tapped partner {'kind': 'partner', 'id'} or arrow "
                                   "{'kind': 'flow', 'from', 'to'}; empty for none").tag(sync=True)
    layout_name = traitlets.Unicode("ring", help="'ring' (partners round the canvas at their real size) or a "
                                             "cytoscape layout, run once the canvas has a size").tag(sync=True)
    height = traitlets.Unicode("560px", help="the canvas height (cytoscape needs an explicit one)").tag(sync=True)


# -- what the graph shows ------------------------------------------------------------------------

def graph_elements(protocol: Protocol, flows: pd.DataFrame, vocabulary: Vocabulary | None = None,
                   edges: pd.DataFrame | None = None) -> list[dict]:
    """Cytoscape elements for a set of permitted flows: every partner, one arrow per sender and recipient.

    Partners sit on a circle, grouped by family (police and justice, local authority,
    health, education, others), with their positions preset. An arrow's width grows
    with the number of kinds of information it carries; it is red when any of them is
    special category or criminal offence data, dashed when only the minimum necessary goes.
    ``edges`` may give those figures already counted per sender and recipient (columns
    ``from``, ``to``, ``kinds``, ``sensitive``, ``minimum_only``), as the workbench keeps them.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.graph import permitted_flows
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> elements = graph_elements(p, permitted_flows(p, stage="referral", purpose="safeguarding",
    ...                                              facts={"consent": "refused"}))
    >>> sum(e["group"] == "nodes" for e in elements) == len(p.partners)
    True
    >>> sorted(e["data"]["id"] for e in elements if e["group"] == "edges")[:2]
    ['police->childrens_social_care', 'police->mash_decision_maker']
    """
    vocab = vocabulary or Vocabulary.of(protocol)
    labels = Labels(vocab)
    partners = partners_by_family(protocol, labels)
    drop = common_prefix_word([p.name for p in partners])
    elements: list[dict] = []
    radius = max(240.0, 46.0 * len(partners))
    for order, partner in enumerate(partners):
        angle = 2 * math.pi * order / max(len(partners), 1) - math.pi / 2
        family = labels.family(partner.kind)
        elements.append({
            "group": "nodes",
            "data": {"id": partner.id, "label": node_label(partner.name, drop), "name": partner.name,
                     "textWidth": "170px",
                     "order": order, "fill": FAMILY_FILL[family], "line": FAMILY_LINE[family],
                     "size": 36 if partner.part_of else 48, "fontSize": "18px",
                     "halign": "center", "valign": "bottom", "mx": 0, "my": 6},
            "position": {"x": round(radius * math.cos(angle), 1), "y": round(radius * math.sin(angle), 1)},
            "classes": "team" if partner.part_of else "",
        })
    if edges is None:
        edges = edge_figures(flows)
    for sender, recipient, kinds, sensitive, minimum_only in sorted(zip(
            edges["from"], edges["to"], edges["kinds"], edges["sensitive"], edges["minimum_only"])):
        elements.append({
            "group": "edges",
            "data": {"id": f"{sender}->{recipient}", "source": sender, "target": recipient, "kinds": int(kinds),
                     "width": round(2 + 1.6 * math.sqrt(kinds), 1),
                     "colour": SENSITIVE_COLOUR if sensitive else ORDINARY_COLOUR},
            "classes": "minimum" if minimum_only else "",
        })
    return elements


def edge_figures(flows: pd.DataFrame) -> pd.DataFrame:
    """Per sender and recipient: kinds of information, any of it sensitive, only the minimum necessary."""
    if flows.empty:
        return pd.DataFrame(columns=["from", "to", "kinds", "sensitive", "minimum_only"])
    table = flows.assign(sensitive=flows["special"] | flows["criminal"],
                         minimum=flows["outcome"] == Outcome.SHARE_MINIMUM.value)
    figures = table.groupby(["from", "to"], sort=True).agg(
        kinds=("category", "nunique"), sensitive=("sensitive", "any"), minimum_only=("minimum", "all"))
    return figures.reset_index()


def node_label(name: str, drop: str | None = None) -> str:
    """A partner's name as a node label: brackets and the shared locality dropped, two short lines.

    Examples
    --------
    >>> print(node_label("Riverside Academy (designated safeguarding lead)"))
    Riverside Academy
    >>> print(node_label("Northbridge Council Children's Social Care", drop="Northbridge"))
    Council Children's
    Social Care
    """
    plain = re.sub(r"\s*\([^)]*\)", "", name).strip() or name
    return "\n".join(wrap(short_name(plain, 36, drop), 18, lines=2))


def scope_text(vocabulary: Vocabulary, stage: str | None, purpose: str | None,
               facts: Mapping[str, str] | None) -> str:
    """The view in words: "At referral, for every purpose, whatever the facts of the case".

    Examples
    --------
    >>> import protocolkit
    >>> v = Vocabulary.of(protocolkit.load(protocolkit.example_path("mash")))
    >>> scope_text(v, "referral", None, {"consent": "refused"})
    'At referral, for every purpose, with consent refused (other facts not known)'
    """
    where = f"At {vocabulary.label('stages', stage).lower()}" if stage else "At every stage"
    why = f"for {vocabulary.label('purposes', purpose).lower()}" if purpose else "for every purpose"
    if facts is None:
        given = "whatever the facts of the case"
    else:
        known = [f"{fact.replace('.', ' ').replace('_', ' ')} {value.replace('_', ' ')}"
                 for fact, value in facts.items() if value != UNKNOWN]
        given = ("with " + ", ".join(known) + " (other facts not known)") if known else "with no fact known"
    return f"{where}, {why}, {given}"


_OUTCOME_TEXT = {Outcome.SHARE.value: "shared", Outcome.SHARE_MINIMUM.value: "minimum necessary only"}


def _ways_table(vocab: Vocabulary, rows: pd.DataFrame, counterpart: str | None, heading: str,
                show_stage: bool, show_purpose: bool) -> str:
    """One table row per way information goes (counterpart, outcome, deciding rules, bases)."""
    labels = Labels(vocab)
    keys = ([counterpart] if counterpart else []) + ["outcome", "rules", "lawful_bases", "conditions"]
    groups = []
    for key, group in rows.groupby(keys, sort=False):
        key = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        categories = sorted(set(group["category"]), key=labels.category_key)
        groups.append((key, categories, list(dict.fromkeys(group["stage"])), list(dict.fromkeys(group["purpose"])),
                       bool(group["special"].any() or group["criminal"].any())))
    if counterpart:
        order = {p.id: i for i, p in enumerate(vocab.partners.values())}
        groups.sort(key=lambda g: (order.get(g[0][counterpart], 0), -len(g[1])))
    head = ([f"<th>{'To' if counterpart == 'to' else 'From'}</th>"] if counterpart else []) + [
        "<th>What</th>", "<th>How</th>", "<th>On which basis</th>", "<th>When</th>"]
    body = []
    for key, categories, stages, purposes, sensitive in groups[:MAX_ROWS]:
        cells = []
        if counterpart:
            cells.append(f"<td class='pk-who'>{_e(vocab.label('partners', key[counterpart]))}</td>")
        what = ", ".join(vocab.label("categories", c) for c in categories)
        mark = " <span class='pk-sensitive' title='special category or criminal offence data'>sensitive</span>" \
            if sensitive else ""
        cells.append(f"<td>{_e(what)}{mark}</td>")
        rules = ", ".join(key["rules"])
        cells.append(f"<td>{_OUTCOME_TEXT.get(key['outcome'], key['outcome'])}"
                     f"<div class='pk-id'>rule {_e(rules)}</div></td>")
        bases = "; ".join(vocab.label("lawful_bases", b) for b in key["lawful_bases"]) or "none stated"
        cells.append(f"<td>{_e(bases)}<div class='pk-id'>{_e(', '.join(key['lawful_bases']))}</div></td>")
        when = []
        if show_stage:
            when.append(", ".join(vocab.label("stages", s) for s in stages))
        if show_purpose:
            when.append("for " + ", ".join(vocab.label("purposes", p).lower() for p in purposes))
        when.append(f"when {key['conditions']}" if key["conditions"] else "always")
        cells.append(f"<td>{_e('; '.join(when))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = len(groups) - MAX_ROWS
    tail = (f"<p class='pk-more'>and {more} more ways; choose a stage or a purpose to see them.</p>"
            if more > 0 else "")
    return (f"<h4>{heading}</h4><table class='pk-flows'><thead><tr>{''.join(head)}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>{tail}")


def partner_details(protocol: Protocol, flows: pd.DataFrame, partner: str, scope: str = "",
                    vocabulary: Vocabulary | None = None, *, show_stage: bool | None = None,
                    show_purpose: bool | None = None) -> str:
    """What a partner sends and receives in a set of permitted flows, how and on which basis, as HTML.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.graph import permitted_flows
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> text = partner_details(p, permitted_flows(p, stage="referral", purpose="safeguarding",
    ...                                          facts={"consent": "refused"}), "police")
    >>> print(re.search(r"<p class='pk-lead'>(.*?)</p>", text).group(1))
    Sends 3 kinds of information to 3 partners; receives nothing.
    """
    vocab = vocabulary or Vocabulary.of(protocol)
    if partner not in vocab.partners:
        raise KeyError(f"no partner {partner!r} in protocol {protocol.metadata.id!r}")
    sends, receives = flows[flows["from"] == partner], flows[flows["to"] == partner]
    lead = f"{_count_phrase('Sends', sends, 'to', 'to')}; {_count_phrase('receives', receives, 'from', 'from')}."
    parts = [f"<h3>{_e(vocab.label('partners', partner))}</h3>",
             f"<p class='pk-scope'>{_e(scope)}</p>" if scope else "", f"<p class='pk-lead'>{lead}</p>"]
    show_stage = flows["stage"].nunique() > 1 if show_stage is None else show_stage
    show_purpose = flows["purpose"].nunique() > 1 if show_purpose is None else show_purpose
    if not sends.empty:
        parts.append(_ways_table(vocab, sends, "to", "Sends", show_stage, show_purpose))
    if not receives.empty:
        parts.append(_ways_table(vocab, receives, "from", "Receives", show_stage, show_purpose))
    return "<div class='pk-details'>" + "".join(parts) + "</div>"


def flow_details(protocol: Protocol, flows: pd.DataFrame, sender: str, recipient: str, scope: str = "",
                 vocabulary: Vocabulary | None = None, *, show_stage: bool | None = None,
                 show_purpose: bool | None = None) -> str:
    """What goes along one arrow, how and on which basis, as HTML.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.graph import permitted_flows
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> flows = permitted_flows(p, stage="referral", facts={"consent": "refused"})
    >>> text = flow_details(p, flows, "police", "childrens_social_care")
    >>> print(re.search(r"<p class='pk-lead'>(.*?)</p>", text).group(1))
    2 kinds of information may go this way.
    """
    vocab = vocabulary or Vocabulary.of(protocol)
    rows = flows[(flows["from"] == sender) & (flows["to"] == recipient)]
    title = f"{_e(vocab.label('partners', sender))} &rarr; {_e(vocab.label('partners', recipient))}"
    kinds = rows["category"].nunique()
    lead = (f"{kinds} kind{'s' if kinds != 1 else ''} of information may go this way." if kinds
            else "Nothing may go this way in this view.")
    parts = [f"<h3>{title}</h3>", f"<p class='pk-scope'>{_e(scope)}</p>" if scope else "",
             f"<p class='pk-lead'>{lead}</p>"]
    if kinds:
        parts.append(_ways_table(vocab, rows, None, "What goes, how and on which basis",
                                 flows["stage"].nunique() > 1 if show_stage is None else show_stage,
                                 flows["purpose"].nunique() > 1 if show_purpose is None else show_purpose))
    return "<div class='pk-details'>" + "".join(parts) + "</div>"


def _count_phrase(verb: str, rows: pd.DataFrame, column_word: str, direction: str) -> str:
    if rows.empty:
        return f"{verb} nothing"
    kinds = rows["category"].nunique()
    others = rows["to" if direction == "to" else "from"].nunique()
    return (f"{verb} {kinds} kind{'s' if kinds != 1 else ''} of information {column_word} "
            f"{others} partner{'s' if others != 1 else ''}")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


_HINT = ("<div class='pk-details pk-hint'><h3>Click a partner or an arrow</h3>"
         "<p>to see what it sends and receives, how, and on which lawful basis.</p></div>")

LEGEND = ("<div class='pk-legend'><span class='pk-swatch' style='background:{ordinary}'></span> information may go "
          "<span class='pk-swatch' style='background:{sensitive}'></span> includes special category or criminal "
          "offence data &nbsp; <span class='pk-dash'></span> minimum necessary only &nbsp; thicker arrows carry more "
          "kinds of information</div>").format(ordinary=ORDINARY_COLOUR, sensitive=SENSITIVE_COLOUR)

STYLE = """<style>
.pk-graph-panel .pk-details h3 { margin: 0 0 4px 0; font-size: 1.25em; }
.pk-graph-panel .pk-details h4 { margin: 10px 0 4px 0; }
.pk-graph-panel .pk-scope { color: #4a5866; margin: 0 0 4px 0; }
.pk-graph-panel .pk-lead { font-weight: 600; margin: 0 0 6px 0; }
.pk-graph-panel .pk-details-box { max-height: var(--pk-graph-height, 620px); overflow-y: auto; overflow-x: auto;
  padding: 4px 10px; }
.pk-graph-panel .pk-details-box .widget-html-content { white-space: normal; line-height: 1.35; overflow: visible; }
.pk-graph-panel .pk-details { line-height: 1.35; }
.pk-graph-panel table.pk-flows { font-size: 0.82em; }
.pk-graph-panel table.pk-flows { border-collapse: collapse; width: 100%; }
.pk-graph-panel table.pk-flows th { text-align: left; background: #eef2f5; padding: 4px 6px; }
.pk-graph-panel table.pk-flows td { vertical-align: top; border-top: 1px solid #dde3e8; padding: 4px 6px;
  line-height: 1.3; }
.pk-graph-panel .pk-who { font-weight: 600; }
.pk-graph-panel .pk-id { color: #6b7885; font-size: 0.8em; }
.pk-graph-panel .pk-sensitive { color: #fff; background: #c0392b; border-radius: 3px; padding: 0 4px;
  font-size: 0.8em; }
.pk-graph-panel .pk-legend { color: #33414e; margin: 4px 0; }
.pk-graph-panel .pk-fact-question { display: block; white-space: normal; line-height: 1.3; }
.pk-graph-panel .pk-swatch { display: inline-block; width: 26px; height: 5px; vertical-align: middle; }
.pk-graph-panel .pk-dash { display: inline-block; width: 26px; border-top: 3px dashed #3b4a5a;
  vertical-align: middle; }
</style>"""


class PartnerGraph(widgets.VBox):
    """The interactive partner graph with its filters and a details panel.

    Parameters
    ----------
    source : Protocol or protocolkit.ui.session.Session
        The protocol; with a workbench session the graph redraws after every edit.
    stage, purpose : str, optional
        The first view; by default the first stage and every purpose.
    facts : mapping, optional
        Fixed facts (others not known); by default whatever the facts of the case.
    height : str
        Height of the drawing, a CSS length.
    details_below : bool
        Put the details under the drawing rather than beside it (for a narrow column).
    fact_controls : bool
        Offer the fact pickers; without them the facts are set by :meth:`show` only
        (the workshop page, where the case sets them).

    Examples
    --------
    >>> import protocolkit
    >>> graph = PartnerGraph(protocolkit.load(protocolkit.example_path("mash")), purpose="safeguarding",
    ...                      facts={"consent": "refused"})
    >>> graph.stage, len(graph.flows)
    ('referral', 10)
    >>> graph.canvas.selected = {"kind": "partner", "id": "police"}
    >>> "Sends 3 kinds of information to 3 partners" in graph.details.value
    True
    """

    def __init__(self, source, stage: str | None = EVERY, purpose: str | None = None,
                 facts: Mapping[str, str] | None = None, height: str = "560px", details_below: bool = False,
                 fact_controls: bool = True, **kwargs):
        session = source if hasattr(source, "on_change") else None
        self.session = session
        self.protocol: Protocol = session.protocol if session is not None else source
        self.vocabulary = Vocabulary.of(self.protocol)
        v = self.vocabulary
        self._updating = False
        self.canvas = GraphCanvas(height=height, layout=widgets.Layout(flex="11 1 0%", min_width="360px"))
        self.stage_picker = widgets.Dropdown(
            description="Stage", options=[("Every stage", EVERY)] + [(v.label("stages", s), s) for s in v.stage_ids],
            value=v.stage_ids[0] if stage == EVERY and v.stage_ids else (stage or EVERY))
        self.purpose_picker = widgets.Dropdown(
            description="Purpose", options=[("Every purpose", EVERY)] + [(v.label("purposes", p), p)
                                                                         for p in v.purposes],
            value=purpose or EVERY, layout=widgets.Layout(width="430px"))
        self.facts_mode = widgets.ToggleButtons(
            options=[("Whatever the facts", "any"), ("These facts", "fixed")],
            value="any" if facts is None else "fixed", description="Facts", style={"button_width": "auto"})
        # Each fact is asked as the protocol words it (its label, the id after), above its answers.
        self.fact_pickers = {
            fact.id: widgets.Dropdown(options=[("not known", UNKNOWN)] + [(x.replace("_", " "), x) for x in fact.values],
                                      value=(facts or {}).get(fact.id, UNKNOWN), tooltip=fact.label,
                                      layout=widgets.Layout(width="100%"))
            for fact in v.facts.values()}
        self.fact_box = widgets.GridBox(
            [widgets.VBox([widgets.HTML(f'<span class="pk-fact-question">{named(v.facts[fact].label, fact)}</span>'),
                           picker], layout=widgets.Layout(width="380px"))
             for fact, picker in self.fact_pickers.items()],
            layout=widgets.Layout(
            grid_template_columns="repeat(auto-fill, 390px)",
            display="" if facts is not None and fact_controls else "none"))
        self.legend = widgets.HTML(LEGEND)
        self.details = widgets.HTML(_HINT, layout=widgets.Layout(flex="9 1 0%", min_width="320px",
                                                                 max_height="none" if details_below else height))
        self.details.add_class("pk-details-box")
        self._flows: pd.DataFrame | None = None
        self.fact_controls = fact_controls
        controls = widgets.HBox([self.stage_picker, self.purpose_picker] + ([self.facts_mode] if fact_controls else []),
                                layout=widgets.Layout(flex_flow="row wrap"))
        if details_below:  # a column: each takes its own height
            self.canvas.layout.flex = self.details.layout.flex = "0 0 auto"
        body = (widgets.VBox if details_below else widgets.HBox)([self.canvas, self.details],
                                                                 layout=widgets.Layout(width="100%"))
        super().__init__([widgets.HTML(STYLE), controls, self.fact_box, body, self.legend], **kwargs)
        self.add_class("pk-graph-panel")
        for picker in [self.stage_picker, self.purpose_picker, self.facts_mode, *self.fact_pickers.values()]:
            picker.observe(self._filters_changed, names="value")
        self.canvas.observe(self._selection_changed, names="selected")
        if session is not None:
            session.on_change(lambda changed, what: self.use_protocol(changed.protocol))
        self._refresh()

    # -- the current view ---------------------------------------------------------------------
    @property
    def stage(self) -> str | None:
        """The stage shown, or None for every stage."""
        return self.stage_picker.value or None

    @property
    def purpose(self) -> str | None:
        """The purpose shown, or None for every purpose."""
        return self.purpose_picker.value or None

    @property
    def facts(self) -> dict[str, str] | None:
        """The fixed facts, or None for whatever the facts."""
        if self.facts_mode.value == "any":
            return None
        return {fact: picker.value for fact, picker in self.fact_pickers.items() if picker.value != UNKNOWN}

    @property
    def scope(self) -> str:
        """The view in words."""
        return scope_text(self.vocabulary, self.stage, self.purpose, self.facts)

    def show(self, stage: str | None = None, purpose: str | None = None,
             facts: Mapping[str, str] | None = None) -> None:
        """Show one view: a stage (None for every stage), a purpose, and fixed facts (None for any).

        Facts not named are not known. The graph is redrawn once.
        """
        unknown = sorted(set(facts or {}) - set(self.fact_pickers))
        if unknown:
            raise KeyError(f"no fact {unknown[0]!r} in this protocol; its facts are {sorted(self.fact_pickers)}")
        self._updating = True
        try:
            self.stage_picker.value = stage or EVERY
            self.purpose_picker.value = purpose or EVERY
            self.facts_mode.value = "any" if facts is None else "fixed"
            for fact, picker in self.fact_pickers.items():
                picker.value = (facts or {}).get(fact, UNKNOWN)
        finally:
            self._updating = False
        self._refresh()

    def use_protocol(self, protocol: Protocol) -> None:
        """Redraw for an edited protocol, keeping the view and the selection."""
        self.protocol = protocol
        self.vocabulary = Vocabulary.of(protocol)
        self._refresh()

    def select_partner(self, partner: str) -> None:
        """Select a partner, as a click on it does."""
        self.canvas.selected = {"kind": "partner", "id": partner}

    def select_flow(self, sender: str, recipient: str) -> None:
        """Select the arrow from one partner to another, as a click on it does."""
        self.canvas.selected = {"kind": "flow", "from": sender, "to": recipient}

    # -- keeping the drawing and the details in step -------------------------------------------
    def _filters_changed(self, change) -> None:
        self.fact_box.layout.display = "" if self.facts_mode.value == "fixed" and self.fact_controls else "none"
        if not self._updating:
            self._refresh()

    @property
    def flows(self) -> pd.DataFrame:
        """The permitted flows the graph shows (its stage, purpose and facts)."""
        if self._flows is None:
            if self.session is not None:
                self._flows = self.session.flow_parts(self.facts).view(self.stage, self.purpose)
            else:
                self._flows = permitted_flows(self.protocol, stage=self.stage, purpose=self.purpose, facts=self.facts)
        return self._flows

    def _flows_of(self, *partners: str) -> pd.DataFrame:
        """The flows shown that involve these partners (one: sent or received; two: from the first to the second)."""
        if self._flows is None and self.session is not None:
            return self.session.flow_parts(self.facts).view(self.stage, self.purpose, partners=partners)
        f = self.flows
        if len(partners) == 1:
            return f[(f["from"] == partners[0]) | (f["to"] == partners[0])]
        return f[(f["from"] == partners[0]) & (f["to"] == partners[1])]

    def _refresh(self) -> None:
        self._flows = None
        if self.session is not None:  # from the session's flows, kept per stage and purpose across edits
            edges = self.session.flow_parts(self.facts).edges(self.stage, self.purpose)
            self.canvas.elements = graph_elements(self.protocol, pd.DataFrame(), self.vocabulary, edges=edges)
        else:
            self.canvas.elements = graph_elements(self.protocol, self.flows, self.vocabulary)
        self._describe_selection()

    def _selection_changed(self, change) -> None:
        self._describe_selection()

    def _describe_selection(self) -> None:
        chosen = self.canvas.selected or {}
        shown = {"show_stage": self.stage is None, "show_purpose": self.purpose is None}
        if chosen.get("kind") == "partner" and chosen.get("id") in self.vocabulary.partners:
            self.details.value = partner_details(self.protocol, self._flows_of(chosen["id"]), chosen["id"], self.scope,
                                                 self.vocabulary, **shown)
        elif chosen.get("kind") == "flow" and {chosen.get("from"), chosen.get("to")} <= set(self.vocabulary.partners):
            self.details.value = flow_details(self.protocol, self._flows_of(chosen["from"], chosen["to"]),
                                              chosen["from"], chosen["to"], self.scope, self.vocabulary, **shown)
        else:
            self.details.value = _HINT
