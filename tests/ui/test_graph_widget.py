"""The partner graph widget without a browser: set traitlets and filters, read elements and details.

Expectations are read from :func:`protocolkit.graph.permitted_flows` (the one semantics)
or from the example's rules, never from the widget itself.
"""

from __future__ import annotations

import re

import pytest

import protocolkit
from protocolkit.graph import permitted_flows
from protocolkit.ui import graph as graph_module
from protocolkit.ui.graph import CYTOSCAPE_VERSION, STATIC, PartnerGraph, graph_elements, widget_module


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


def edges_of(elements):
    return {(e["data"]["source"], e["data"]["target"]) for e in elements if e["group"] == "edges"}


def test_vendored_cytoscape_is_the_pinned_version_with_its_licence():
    bundle = (STATIC / "cytoscape.esm.min.mjs").read_text(encoding="utf-8")
    assert f'.version="{CYTOSCAPE_VERSION}"' in bundle
    assert "Cytoscape Consortium" in (STATIC / "cytoscape-LICENSE").read_text(encoding="utf-8")
    assert CYTOSCAPE_VERSION in (STATIC / "README.md").read_text(encoding="utf-8")
    module = widget_module()
    # one module, no import of anything outside it (it is loaded from a string: offline)
    assert not re.search(r"\bimport\s*(?:[\w*{][^;'\"]*?\bfrom\s*)?['\"]", module)  # import x from "..."
    assert not re.search(r"\bimport\s*\(", module)  # dynamic import(...)
    assert "http://" not in module.split("const __pkCytoscape")[1] and "https://" not in module.split(
        "const __pkCytoscape")[1]
    assert module.count("export default") == 1 and not re.search(r"export\s*\{\s*\w+\s+as\s+default", module)


def test_the_bundle_is_rejected_when_its_export_is_not_where_the_widget_expects(tmp_path, monkeypatch):
    (tmp_path / "cytoscape.esm.min.mjs").write_text("var lf=1;export{lf as default};export{lf as other};")
    (tmp_path / "graph.js").write_text("")
    monkeypatch.setattr(graph_module, "STATIC", tmp_path)
    graph_module.widget_module.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="update the vendored bundle"):
            graph_module.widget_module()
    finally:
        monkeypatch.undo()
        graph_module.widget_module.cache_clear()


def test_every_partner_is_drawn_and_every_arrow_is_a_permitted_flow(mash):
    flows = permitted_flows(mash, stage="strategy_discussion", facts={"consent": "refused", "risk": "amber"})
    elements = graph_elements(mash, flows)
    nodes = [e for e in elements if e["group"] == "nodes"]
    assert sorted(n["data"]["id"] for n in nodes) == sorted(p.id for p in mash.partners)
    assert all(set(n["position"]) == {"x", "y"} for n in nodes)  # preset positions: no size needed
    assert edges_of(elements) == set(zip(flows["from"], flows["to"]))


def test_arrow_colour_marks_special_category_and_criminal_offence_data(mash):
    flows = permitted_flows(mash, stage="referral")
    for edge in (e for e in graph_elements(mash, flows) if e["group"] == "edges"):
        rows = flows[(flows["from"] == edge["data"]["source"]) & (flows["to"] == edge["data"]["target"])]
        sensitive = bool(rows["special"].any() or rows["criminal"].any())
        assert (edge["data"]["colour"] == graph_module.SENSITIVE_COLOUR) == sensitive
        assert edge["data"]["kinds"] == rows["category"].nunique()


def test_filters_redraw_from_the_permitted_flows(mash):
    graph = PartnerGraph(mash)
    assert graph.stage == "referral" and graph.purpose is None and graph.facts is None
    assert edges_of(graph.canvas.elements) == set(zip(*[permitted_flows(mash, stage="referral")[c]
                                                        for c in ("from", "to")]))
    graph.stage_picker.value = "assessment"
    graph.purpose_picker.value = "safeguarding"
    expected = permitted_flows(mash, stage="assessment", purpose="safeguarding")
    assert edges_of(graph.canvas.elements) == set(zip(expected["from"], expected["to"]))
    graph.facts_mode.value = "fixed"
    graph.fact_pickers["consent"].value = "refused"
    expected = permitted_flows(mash, stage="assessment", purpose="safeguarding", facts={"consent": "refused"})
    assert graph.facts == {"consent": "refused"}
    assert len(graph.flows) == len(expected)
    assert edges_of(graph.canvas.elements) == set(zip(expected["from"], expected["to"]))


def test_fact_pickers_ask_the_protocols_question_with_the_id_after(mash):
    graph = PartnerGraph(mash)
    graph.facts_mode.value = "fixed"
    questions = {box.children[1]: box.children[0].value for box in graph.fact_box.children}
    consent = questions[graph.fact_pickers["consent"]]
    assert consent.index("What is the position on consent to share?") < consent.index(">consent</span>")
    harm = questions[graph.fact_pickers["significant_harm_suspected"]]
    assert "Is there reasonable cause to suspect the child is suffering" in harm
    assert harm.index("significant harm?") < harm.index("significant_harm_suspected")
    assert all(picker.description == "" for picker in graph.fact_pickers.values())
    assert [o[0] for o in graph.fact_pickers["consent"].options] == [
        "not known", "given", "refused", "not sought", "unsafe to seek"]


def test_consent_refused_at_low_level_need_closes_the_arrows_to_early_help(mash):
    # HMG Information sharing advice (2024), golden rule 4: at low-level need (risk green),
    # share with consent and respect a refusal; early help works by consent.
    graph = PartnerGraph(mash)
    graph.show(stage="referral", facts={"consent": "given", "risk": "green"})
    given = edges_of(graph.canvas.elements)
    graph.show(stage="referral", facts={"consent": "refused", "risk": "green"})
    refused = edges_of(graph.canvas.elements)
    assert refused < given
    assert ("school", "early_help") in given and ("school", "early_help") not in refused
    assert graph.scope == "At referral, for every purpose, with consent refused, risk green (other facts not known)"


def test_a_click_on_a_partner_shows_what_it_sends_and_receives(mash):
    graph = PartnerGraph(mash, stage="referral", facts={"consent": "refused"})
    graph.canvas.selected = {"kind": "partner", "id": "police"}  # what a tap in the browser sets
    text = graph.details.value
    assert "<h3>Northbridge Constabulary</h3>" in text
    assert "At referral, for every purpose, with consent refused (other facts not known)" in text
    flows = permitted_flows(mash, stage="referral", facts={"consent": "refused"})
    sent = flows[flows["from"] == "police"]
    for recipient in set(sent["to"]):
        assert mash_partner_name(mash, recipient) in text.replace("&#x27;", "'")
    for rule in set(sent["rule"]):
        assert f"rule {rule}" in text
    # the lawful basis is named in words first, its id after
    from protocolkit.model.vocabulary import Vocabulary

    basis = next(b for bases in sent["lawful_bases"] for b in bases)
    label = Vocabulary.of(mash).label("lawful_bases", basis)
    assert label in text.replace("&#x27;", "'") and basis in text
    assert text.replace("&#x27;", "'").index(label) < text.index(basis)
    graph.canvas.selected = {}
    assert "Click a partner or an arrow" in graph.details.value


def test_a_click_on_an_arrow_shows_what_goes_along_it(mash):
    graph = PartnerGraph(mash, stage="referral", facts={"consent": "refused"})
    graph.select_flow("police", "school")
    text = graph.details.value
    assert "Northbridge Constabulary &rarr; Riverside Academy" in text
    row = permitted_flows(mash, stage="referral", facts={"consent": "refused"})
    row = row[(row["from"] == "police") & (row["to"] == "school")]
    assert f"rule {row['rule'].iat[0]}" in text
    graph.select_flow("school", "dwp")
    assert "Nothing may go this way in this view." in graph.details.value


def test_selection_survives_a_filter_change_and_details_follow_it(mash):
    graph = PartnerGraph(mash)
    graph.select_partner("school")
    graph.stage_picker.value = "strategy_discussion"
    assert "At strategy discussion" in graph.details.value


def test_unknown_fact_is_named(mash):
    graph = PartnerGraph(mash)
    with pytest.raises(KeyError, match="no fact 'weather'"):
        graph.show(facts={"weather": "rain"})


def mash_partner_name(protocol, partner_id):
    return next(p.name for p in protocol.partners if p.id == partner_id)
