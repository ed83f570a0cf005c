"""permitted_flows and build: known flows of hand-built protocols, views, keys, and agreement with the engine.

The answers of ``flows_protocol`` are worked out by hand in ``graph_protocols``; the
agreement tests decide every flow's witness with the engine, and brute-force a small
protocol's whole request space with ``decide_many``.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

import protocolkit
from protocolkit.model.vocabulary import Vocabulary
from graph_protocols import ALL, EDUCATION, TINY_PARTNERS, flows_protocol, protocol, rule, tiny_protocol
from protocolkit import UnknownValueError
from protocolkit.engine import Request, decide, decide_many
from protocolkit.engine.compiled import compile_protocol
from protocolkit.graph import FLOW_COLUMNS, build, permitted_flows

SHARED = {"share", "share_minimum"}
SCOPE = ["from", "to", "category", "stage", "purpose"]


def scopes(flows: pd.DataFrame, with_rule: bool = False) -> set[tuple]:
    columns = SCOPE + (["rule"] if with_rule else [])
    return set(flows[columns].itertuples(index=False, name=None))


def expected_flows_protocol_flows() -> set[tuple]:
    """(from, to, category, stage, purpose, rule) of flows_protocol, by hand."""
    expected = set()
    for to in ("csc", "mash"):
        expected.add(("police", to, "criminal.intelligence", "screening", "safeguarding", "S1"))
        for category in EDUCATION:
            for stage in ("referral", "screening", "plan"):
                expected.add(("school", to, category, stage, "safeguarding", "S2"))
        for stage in ("screening", "plan"):
            expected.add(("gp", to, "health.mental_health", stage, "safeguarding", "S3"))
    return expected


@pytest.fixture(scope="module")
def fp():
    return flows_protocol()


@pytest.fixture(scope="module")
def tiny():
    return tiny_protocol()


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


# -- permitted_flows: known answers ---------------------------------------------------------------

def test_flows_protocol_has_exactly_the_flows_worked_out_by_hand(fp):
    flows = permitted_flows(fp)
    assert list(flows.columns) == FLOW_COLUMNS
    assert len(flows) == 42
    assert scopes(flows, with_rule=True) == expected_flows_protocol_flows()


def test_flow_attributes_come_from_the_deciding_rule(fp):
    flows = permitted_flows(fp).set_index(SCOPE)
    s1 = flows.loc[("police", "csc", "criminal.intelligence", "screening", "safeguarding")]
    assert s1["outcome"] == "share_minimum"
    assert s1["rules"] == ("S1",)
    assert s1["lawful_bases"] == ("DPA18.s35",)
    assert s1["obligations"] == ("owner_agreement_before_onward_disclosure",)
    assert bool(s1["guarded"]) and bool(s1["criminal"]) and not bool(s1["special"])
    assert s1["facts"] == {"risk": "amber"}  # the smallest value that satisfies '>= amber'
    assert "amber" in s1["conditions"]

    s2 = flows.loc[("school", "mash", "education.attendance", "referral", "safeguarding")]
    assert s2["outcome"] == "share" and s2["rule"] == "S2"
    assert s2["facts"] == {}
    assert not bool(s2["guarded"]) and not bool(s2["special"]) and not bool(s2["criminal"])
    assert s2["conditions"] == ""

    s3 = flows.loc[("gp", "csc", "health.mental_health", "plan", "safeguarding")]
    assert s3["facts"] == {"consent": "given"}
    assert bool(s3["special"]) and not bool(s3["criminal"])


def test_no_rules_gives_an_empty_table_with_the_columns():
    flows = permitted_flows(protocol([]))
    assert flows.empty and list(flows.columns) == FLOW_COLUMNS


def test_withholding_rules_only_give_no_flows():
    p = protocol([rule("W1", "refuse"), rule("W2", "seek_consent", categories=["health"]),
                  rule("W3", "escalate", to={"kinds": ["school"]})])
    assert permitted_flows(p).empty


# -- views: facts, stage, purpose -----------------------------------------------------------------

@pytest.mark.parametrize("facts, rules, count", [
    (None, {"S1", "S2", "S3"}, 42),                                   # some facts
    ({"risk": "red", "consent": "given"}, {"S1", "S2", "S3"}, 42),
    ({"risk": "amber", "consent": "refused"}, {"S1", "S2"}, 38),
    ({"risk": "green", "consent": "given"}, {"S2", "S3"}, 40),
    ({"risk": "green"}, {"S2"}, 36),
    ({}, {"S2"}, 36),                                                 # nothing stated: unknown is never assumed
])
def test_facts_views(fp, facts, rules, count):
    flows = permitted_flows(fp, facts=facts)
    assert len(flows) == count
    assert set(flows["rule"]) == rules
    if facts is not None:
        # with fixed facts the witness is those facts
        assert all(f == facts for f in flows["facts"])


def test_fixed_facts_view_is_part_of_the_some_facts_view(fp):
    some = scopes(permitted_flows(fp), with_rule=True)
    for facts in ({"risk": "red"}, {"consent": "given"}, {"risk": "amber", "consent": "given"}, {}):
        assert scopes(permitted_flows(fp, facts=facts), with_rule=True) <= some


def test_union_of_every_fixed_facts_view_is_the_some_facts_view(tiny):
    compiled = compile_protocol(tiny)
    union = set()
    for combo in itertools.product(*[d.values for d in compiled.facts]):
        facts = {d.name: value for d, value in zip(compiled.facts, combo) if value != "unknown"}
        union |= scopes(permitted_flows(tiny, facts=facts), with_rule=True)
    assert union == scopes(permitted_flows(tiny), with_rule=True)


def test_stage_view(fp):
    flows = permitted_flows(fp, stage="referral")
    assert set(flows["stage"]) == {"referral"}
    assert len(flows) == 12  # S2 only: 6 education categories to csc and mash
    assert scopes(flows, True) == {f for f in expected_flows_protocol_flows() if f[3] == "referral"}


def test_purpose_view_and_empty_purpose_view(fp):
    assert len(permitted_flows(fp, purpose="safeguarding")) == 42
    empty = permitted_flows(fp, purpose="family_support")
    assert empty.empty and list(empty.columns) == FLOW_COLUMNS


def test_stage_purpose_and_facts_views_combine(fp):
    flows = permitted_flows(fp, stage="screening", purpose="safeguarding", facts={"risk": "red"})
    assert scopes(flows, True) == {f for f in expected_flows_protocol_flows() if f[3] == "screening" and f[5] != "S3"}


@pytest.mark.parametrize("kwargs", [{"stage": "screenin"}, {"purpose": "safeguard"}, {"facts": {"risk": "purple"}},
                                    {"facts": {"rsk": "red"}}])
def test_unknown_view_values_are_bad_input(fp, kwargs):
    with pytest.raises(UnknownValueError):
        permitted_flows(fp, **kwargs)


# -- build: nodes, edges, keys ---------------------------------------------------------------------

VIEWS = [
    {}, {"stage": "referral"}, {"stage": "plan"}, {"purpose": "family_support"}, {"purpose": "safeguarding"},
    {"facts": {}}, {"facts": {"risk": "red", "consent": "given"}}, {"facts": {"consent": "refused"}},
    {"stage": "screening", "purpose": "crime_prevention", "facts": {"risk": "blue"}},
]


@pytest.mark.parametrize("view", VIEWS, ids=[str(v) for v in VIEWS])
def test_every_partner_is_a_node_in_every_view(fp, view):
    graph = build(fp, **view)
    assert list(graph.nodes) == ALL
    flows = permitted_flows(fp, **view)
    assert graph.number_of_edges() == len(flows)
    assert graph.graph["stage"] == view.get("stage")
    assert graph.graph["purpose"] == view.get("purpose")
    assert graph.graph["facts"] == view.get("facts")
    assert graph.graph["stages"] == ["referral", "screening", "plan"]


def test_isolated_partner_is_still_a_node(fp):
    graph = build(fp)
    assert graph.degree("gp") > 0 and graph.in_degree("gp") == 0
    graph = build(fp, facts={"risk": "green"})  # S3 needs consent, S1 risk amber: only the school sends
    assert "gp" in graph and graph.degree("gp") == 0 and graph.degree("police") == 0


def test_edge_keys_and_attributes(fp):
    graph = build(fp)
    keys = {(u, v, k) for u, v, k in graph.edges(keys=True)}
    assert ("police", "csc", "criminal.intelligence@screening/safeguarding#S1") in keys
    assert ("gp", "mash", "health.mental_health@plan/safeguarding#S3") in keys
    assert ("school", "csc", "education.send@referral/safeguarding#S2") in keys
    expected = {(f, t, f"{c}@{s}/{p}#{r}") for f, t, c, s, p, r in expected_flows_protocol_flows()}
    assert keys == expected
    for u, v, key, data in graph.edges(keys=True, data=True):
        assert key == f"{data['category']}@{data['stage']}/{data['purpose']}#{data['rule']}"
        assert set(data) == (set(FLOW_COLUMNS) - {"from", "to"}) | {"category_label"}
    data = graph.edges["police", "csc", "criminal.intelligence@screening/safeguarding#S1"]
    assert data["category_label"] == "Police intelligence"
    assert data["outcome"] == "share_minimum" and data["guarded"]


def test_node_attributes(fp):
    graph = build(fp)
    assert graph.nodes["mash"]["part_of"] == "csc"
    assert graph.nodes["mash"]["kind"] == "childrens_social_care"
    assert graph.nodes["police"]["name"] == "Testshire Police"
    assert graph.nodes["gp"]["public_body"] is True
    assert graph.graph["protocol"] == "graphtest"


def test_two_ways_of_one_flow_are_two_edges(tiny):
    """police -> mash criminal.intelligence goes by T1 (consent given, risk amber) or T3 (risk red, priority 1)."""
    graph = build(tiny, stage="screening", purpose="safeguarding")
    keys = set(graph["police"]["mash"])
    assert {"criminal.intelligence@screening/safeguarding#T1",
            "criminal.intelligence@screening/safeguarding#T3"} <= keys
    red = build(tiny, stage="screening", purpose="safeguarding", facts={"risk": "red"})
    assert "criminal.intelligence@screening/safeguarding#T3" in set(red["police"]["mash"])
    assert "criminal.intelligence@screening/safeguarding#T1" not in set(red["police"]["mash"])  # T2: consent unknown


def test_views_compare_node_for_node(fp):
    a, b = build(fp, stage="referral"), build(fp, stage="screening")
    assert list(a.nodes) == list(b.nodes)
    # screening adds police and gp flows to the referral picture
    assert {u for u, _ in a.edges()} == {"school"}
    assert {u for u, _ in b.edges()} == {"school", "police", "gp"}


# -- agreement with the engine ---------------------------------------------------------------------

def _decide_witnesses(protocol_, flows):
    for row in flows.itertuples(index=False):
        request = Request(getattr(row, "_0"), row.to, (row.category,), row.stage, row.purpose, dict(row.facts))
        yield row, decide(protocol_, request).categories[0]


@pytest.mark.parametrize("which", ["fp", "tiny"])
def test_every_flow_is_a_share_decided_by_its_rule(request, which):
    p = request.getfixturevalue(which)
    flows = permitted_flows(p)
    assert len(flows)
    for row, decision in _decide_witnesses(p, flows):
        assert decision.outcome in SHARED
        assert decision.outcome == row.outcome
        assert decision.rule == row.rule
        assert decision.deciding_rules == row.rules
        assert decision.lawful_bases == row.lawful_bases
        assert tuple(decision.obligations) == row.obligations
        assert decision.need_to_know == row.need_to_know


def test_every_fixed_facts_flow_is_a_share_decided_by_its_rule(tiny):
    for facts in ({"risk": "red"}, {"consent": "given", "risk": "amber"}, {"consent": "not_sought"},
                  {"child_competent": "yes", "statutory_notice": "yes"}):
        for row, decision in _decide_witnesses(tiny, permitted_flows(tiny, facts=facts)):
            assert dict(row.facts) == facts
            assert decision.outcome == row.outcome and decision.rule == row.rule


def test_example_flows_agree_with_decide_many(mash):
    flows = permitted_flows(mash)
    table = flows[SCOPE + ["requested_by", "about"]].copy()
    for fact in {k for facts in flows["facts"] for k in facts}:
        table[fact] = flows["facts"].map(lambda facts: facts.get(fact))
    assert flows["about"].notna().any()  # the example has rules only for a named subject's data
    decided = decide_many(mash, table, detail="outcome")
    assert decided["outcome"].astype(str).isin(SHARED).all()
    assert (decided["rule"].to_numpy() == flows["rule"].to_numpy()).all()
    assert (decided["outcome"].astype(str).to_numpy() == flows["outcome"].to_numpy()).all()


def _all_requests(p, categories=None, facts=True) -> pd.DataFrame:
    """Every request of a protocol's space (with ``facts``, all fact combinations, unknown included)."""
    c = compile_protocol(p)
    names = SCOPE + ([d.name for d in c.facts] if facts else [])
    dims = [c.partners.values, c.partners.values, categories or c.categories.values, c.stages.values,
            c.purposes.values] + ([d.values for d in c.facts] if facts else [])
    grid = np.indices([len(d) for d in dims]).reshape(len(dims), -1)
    return pd.DataFrame({n: pd.Categorical.from_codes(g, categories=list(d)) for n, d, g in zip(names, dims, grid)})


def _brute_categories(p):
    """The subtrees the tiny protocol's rules touch, and a few categories outside them (the whole
    75-category space times 225 fact combinations takes too long for a quick test)."""
    v = compile_protocol(p).vocab
    chosen = []
    for root in ("criminal", "health", "education", "household"):
        chosen += v.category_descendants(root)
    return chosen + ["identity.name", "finance", "risk.rag_rating"]


def test_brute_force_flows_are_exactly_what_the_engine_shares(tiny):
    """Over every request (all partners, stages, purposes and fact combinations, and the categories
    the rules touch plus some they do not): a scope is shared under some facts iff it is a flow, and
    each (scope, deciding rule) that shares is one row of the flows."""
    categories = _brute_categories(tiny)
    table = _all_requests(tiny, categories)
    n_scopes = 16 * len(categories) * 2 * len(Vocabulary.of(tiny).purposes)
    assert len(table) == n_scopes * 225
    decided = decide_many(tiny, table, detail="outcome")
    assert (decided["request"].to_numpy() == np.arange(len(table))).all()
    # a partner passing information to itself is not a flow
    is_shared = (decided["outcome"].astype(str).isin(SHARED) & (decided["from"] != decided["to"])).to_numpy()
    shared = decided[is_shared]
    brute = set(zip(*(shared[k].astype(str) for k in SCOPE), shared["rule"]))
    flows = permitted_flows(tiny)
    flows = flows[flows["category"].isin(categories)]
    assert scopes(flows, with_rule=True) == brute
    # and so every scope that is not a flow is never shared, whatever the facts (the fact
    # axes vary fastest in the table, so each scope is one row of 225 fact combinations)
    ever = is_shared.reshape(n_scopes, 225).any(axis=1)  # self-shares count as never: not flows
    scope_table = table.iloc[::225][SCOPE].astype(str)
    never = set(scope_table[~ever].itertuples(index=False, name=None))
    assert len(never) == n_scopes - len(scopes(flows))
    assert never.isdisjoint(scopes(flows))


@pytest.mark.parametrize("facts", [{}, {"risk": "red"}, {"consent": "refused", "risk": "red"},
                                   {"consent": "not_sought", "child_competent": "yes"},
                                   {"consent": "given", "risk": "amber", "statutory_notice": "yes"}])
def test_brute_force_fixed_facts_view(tiny, facts):
    table = _all_requests(tiny, facts=False)  # every scope, all 75 categories
    for name, value in facts.items():
        table[name] = value
    decided = decide_many(tiny, table, detail="outcome")
    shared = decided[decided["outcome"].astype(str).isin(SHARED) & (decided["from"] != decided["to"])]
    brute = set(zip(*(shared[k].astype(str) for k in SCOPE), shared["rule"]))
    assert scopes(permitted_flows(tiny, facts=facts), with_rule=True) == brute


def test_tiny_protocol_known_answers(tiny):
    flows = permitted_flows(tiny)
    by_rule = flows.groupby("rule").size().to_dict()
    # T1: police -> csc and mash, 8 criminal categories x 2 stages x every purpose each;
    # T3: police -> mash criminal.intelligence at 2 stages x every purpose; T4: school -> the 3 other partners
    # x 2 purposes (not to itself: that is no flow); T8: mash -> police household (6) at screening for
    # crime prevention; T2, T5, T6, T7 never share
    purposes = len(Vocabulary.of(tiny).purposes)
    assert by_rule == {"T1": 2 * 8 * 2 * purposes, "T3": 2 * purposes, "T4": 6, "T8": 6}
    t8 = flows[flows["rule"] == "T8"]
    assert set(t8["category"]) == {"household", "household.composition", "household.members",
                                   "household.parental_responsibility", "household.other_adults",
                                   "household.relationships"}
    assert {p["id"] for p in TINY_PARTNERS} - {"school"} == set(flows[flows["rule"] == "T4"]["to"])
    assert all(f == {"child_competent": "yes"} for f in flows[flows["rule"] == "T4"]["facts"])


# -- the example --------------------------------------------------------------------------------------

def test_example_views_have_every_partner(mash):
    partners = [p.id for p in mash.partners]
    for view in ({}, {"stage": "referral"}, {"purpose": "benefit_administration"},
                 {"stage": "referral", "facts": {"consent": "refused", "risk": "amber"}}):
        graph = build(mash, **view)
        assert list(graph.nodes) == partners
        assert graph.number_of_edges() == len(permitted_flows(mash, **view))


def test_stage_graphs_from_one_table_of_every_stage_are_the_graphs_of_each_stage(mash):
    """build(every_stage=...) (the export draws seven stages from one table) gives the same graph."""
    from protocolkit.graph.receiving import lane_table

    every_stage = permitted_flows(mash)
    for stage in Vocabulary.of(mash).stage_ids:
        alone, shared = build(mash, stage=stage), build(mash, stage=stage, every_stage=every_stage)
        assert alone.graph == shared.graph and list(alone.nodes(data=True)) == list(shared.nodes(data=True))
        assert list(alone.edges(keys=True, data=True)) == list(shared.edges(keys=True, data=True))
        assert alone.number_of_edges() > 0
    assert list(build(mash, every_stage=every_stage).edges(keys=True)) == list(build(mash).edges(keys=True))
    assert lane_table(mash, flows=every_stage).equals(lane_table(mash))
