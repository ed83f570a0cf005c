"""Each network analysis on a hand-built protocol with a known answer, and on the shipped example."""

from __future__ import annotations

import pandas as pd
import pytest

import protocolkit
from graph_protocols import (
    ART9, GUARD, NET_PARTNERS, PUBLIC_TASK, chain_protocol, flows_protocol, net, protocol, rule, to,
)
from protocolkit.graph import analysis, permitted_flows
from protocolkit.model.vocabulary import Vocabulary


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


# -- exposure ----------------------------------------------------------------------------------------

def test_exposure_by_stage_known_counts():
    table = analysis.exposure_by_stage(flows_protocol())
    assert list(table.columns) == ["referral", "screening", "plan"]
    expected = {"criminal.intelligence": [0, 2, 0], "health.mental_health": [0, 2, 2]}
    for category in ("education", "education.attainment", "education.attendance", "education.dsl_records",
                     "education.exclusions", "education.send"):
        expected[category] = [2, 2, 2]
    assert table.to_dict("index") == {
        c: dict(zip(["referral", "screening", "plan"], counts)) for c, counts in expected.items()}
    assert list(table.index) == sorted(expected)


def test_exposure_counts_distinct_recipients_not_senders():
    p = net([
        to("police", "csc", "A", ["household.composition"], stages=["referral"]),
        to("school", "csc", "B", ["household.composition"], stages=["referral"]),   # same recipient
        to("csc", "gp", "C", ["household.composition"], stages=["referral", "plan"]),
    ])
    table = analysis.exposure_by_stage(p)
    assert table.loc["household.composition"].to_dict() == {"referral": 2, "screening": 0, "plan": 1}


def test_exposure_of_a_protocol_without_flows_is_empty_with_stage_columns():
    table = analysis.exposure_by_stage(net([rule("X", "refuse")]))
    assert table.empty and list(table.columns) == ["referral", "screening", "plan"]


# -- onward reach -------------------------------------------------------------------------------------

def _reach_rows(table: pd.DataFrame) -> set[tuple]:
    columns = ["category", "origin", "recipient", "hops", "chain", "guarded"]
    return set(table[columns].itertuples(index=False, name=None))


def test_onward_reach_three_hop_chain_unguarded():
    table = analysis.onward_reach(chain_protocol(first_hop_guarded=False))
    assert list(table.columns) == ["category", "origin", "recipient", "hops", "chain", "guarded"]
    c = "health.mental_health"
    assert _reach_rows(table) == {
        (c, "gp", "school", 2, ("gp", "csc", "school"), False),
        (c, "gp", "police", 3, ("gp", "csc", "school", "police"), False),
        (c, "csc", "police", 2, ("csc", "school", "police"), False),
    }


def test_onward_reach_guarded_first_hop():
    table = analysis.onward_reach(chain_protocol(first_hop_guarded=True))
    c = "health.mental_health"
    assert _reach_rows(table) == {
        (c, "gp", "school", 2, ("gp", "csc", "school"), True),
        (c, "gp", "police", 3, ("gp", "csc", "school", "police"), True),
        (c, "csc", "police", 2, ("csc", "school", "police"), False),   # csc's own first hop is unguarded
    }


def test_a_hop_is_guarded_only_when_every_way_of_it_is():
    base = dict(purposes=["safeguarding"], lawful_bases=ART9)
    p = net([
        to("gp", "csc", "H1", ["health.mental_health"], stages=["screening"], obligations=GUARD, **base),
        to("gp", "csc", "H1b", ["health.mental_health"], stages=["plan"], **base),   # same hop, no guard
        to("csc", "school", "H2", ["health.mental_health"], **base),
    ])
    table = analysis.onward_reach(p)
    assert _reach_rows(table) == {("health.mental_health", "gp", "school", 2, ("gp", "csc", "school"), False)}


def test_onward_reach_is_per_category_and_filters():
    p = chain_protocol(first_hop_guarded=False)
    assert analysis.onward_reach(p, categories=["education"]).empty
    assert len(analysis.onward_reach(p, categories=["health.mental_health"])) == 3
    # a chain of two different categories is not a chain
    q = net([to("gp", "csc", "A", ["health.mental_health"]), to("csc", "school", "B", ["health.physical"])])
    assert analysis.onward_reach(q).empty


# -- legal basis ---------------------------------------------------------------------------------------

LEGAL_CATEGORIES = [
    {"id": "criminal.sexual_health", "label": "Sexual health in offence records", "special_category": True},
]


def legal_protocol():
    return net([
        to("gp", "csc", "P1", ["health.mental_health"], lawful_bases=["UKGDPR.6.1.e"]),
        to("police", "csc", "P2", ["criminal.convictions"], lawful_bases=["UKGDPR.6.1.e"]),
        to("gp", "school", "P3", ["health.physical"], lawful_bases=ART9),
        to("police", "school", "P4", ["criminal.cautions"], lawful_bases=["UKGDPR.6.1.e", "UKGDPR.10"]),
        to("police", "gp", "P5", ["criminal.intelligence"], lawful_bases=["DPA18.s35"]),
        to("school", "csc", "P6", ["education.attendance"], lawful_bases=["UKGDPR.6.1.e"]),
        to("police", "dwp", "P7", ["criminal.sexual_health"], lawful_bases=["UKGDPR.6.1.e"]),
        to("police", "csc", "P8", ["criminal.bail_conditions"], lawful_bases=["UKGDPR.6.1.e", "DPA18.S1.P10"]),
    ], categories=LEGAL_CATEGORIES)


def test_special_flows_missing_conditions():
    p = legal_protocol()
    table = analysis.special_flows(p)
    by_rule = {rule_id: group for rule_id, group in table.groupby("rule")}
    assert set(by_rule) == {"P1", "P2", "P3", "P4", "P5", "P7", "P8"}   # P6 is neither special nor criminal
    missing = {r: set(g["missing"]) for r, g in by_rule.items()}
    assert missing == {"P1": {"art9"}, "P2": {"art10"}, "P3": {""}, "P4": {""}, "P5": {""},
                       "P7": {"art9 and art10"}, "P8": {""}}
    first = {r: g.iloc[0] for r, g in by_rule.items()}
    assert first["P3"]["art9_conditions"] == ("UKGDPR.9.2.g",)
    assert first["P4"]["art10_conditions"] == ("UKGDPR.10",)
    assert first["P5"]["art9_conditions"] == ("DPA18.s35",) and first["P5"]["art10_conditions"] == ("DPA18.s35",)
    assert first["P8"]["art10_conditions"] == ("DPA18.S1.P10",)
    assert bool(first["P7"]["special"]) and bool(first["P7"]["criminal"])
    assert len(table) == len(permitted_flows(p)) - len(permitted_flows(p).query("rule == 'P6'"))


def test_weak_basis_flows():
    p = net([
        to("school", "csc", "W1", ["education.attendance"]),                                   # no basis at all
        to("school", "gp", "W2", ["education.attendance"], lawful_bases=["UKGDPR.6.1.a"]),     # consent only
        to("csc", "school", "W3", ["household.composition"], lawful_bases=["UKGDPR.6.1.a", "UKGDPR.6.1.e"]),
        to("police", "csc", "W4", ["criminal.intelligence"], lawful_bases=["DPA18.s35"]),     # Part 3
        to("gp", "csc", "W5", ["health.physical"], lawful_bases=["UKGDPR.9.2.g"]),            # no Art 6
        to("gp", "school", "W6", ["health.physical"], lawful_bases=["UKGDPR.6.1.a", "UKGDPR.9.2.a"]),
        to("csc", "gp", "W7", ["household.members"], "refuse"),                                 # withholds: no flow
    ])
    table = analysis.weak_basis_flows(p)
    assert dict(table.groupby("rule")["weakness"].agg(lambda s: set(s))) == {
        "W1": {"no lawful basis"}, "W2": {"consent only"}, "W5": {"no lawful basis"}, "W6": {"consent only"}}
    assert len(table[table["rule"] == "W1"]) == 3 * 7   # every stage and purpose (seven shipped purposes)


# -- need to know ------------------------------------------------------------------------------------------

def need_protocol():
    return net([
        to("school", "csc", "N-EDU", ["education"], stages=["screening"], purposes=["safeguarding"],
           lawful_bases=PUBLIC_TASK),
        to("gp", "csc", "N-HEALTH", ["health.mental_health"], stages=["screening"], purposes=["safeguarding"],
           lawful_bases=ART9),
        to("police", "dwp", "N-DWP", ["household.composition"], stages=["screening"], purposes=["safeguarding"],
           lawful_bases=PUBLIC_TASK),
    ], need_to_know=[
        {"id": "csc_needs", "recipient": {"partners": ["csc"]}, "stages": ["screening", "plan"],
         "purposes": ["safeguarding"], "categories": ["education.attendance", "health"]},
        {"id": "police_needs", "recipient": {"kinds": ["police"]}, "stages": ["screening"],
         "purposes": ["safeguarding", "crime_prevention"], "categories": ["household.composition"]},
    ])


def test_over_sharing_against_profiles():
    p = need_protocol()
    flows = permitted_flows(p)
    assert dict(zip(flows["category"], flows["need_to_know"])) == {
        "education": "not_needed", "education.attainment": "not_needed", "education.attendance": "needed",
        "education.dsl_records": "not_needed", "education.exclusions": "not_needed", "education.send": "not_needed",
        "health.mental_health": "needed",                     # its ancestor health is listed
        "household.composition": "no_profile"}                # dwp has no profile: not over-sharing
    over = analysis.over_sharing(p, flows)
    assert set(over["category"]) == {"education", "education.attainment", "education.dsl_records",
                                     "education.exclusions", "education.send"}
    assert set(over["rule"]) == {"N-EDU"} and set(over["to"]) == {"csc"}


def test_under_sharing_against_profiles():
    table = analysis.under_sharing(need_protocol())
    assert list(table.columns) == ["profile", "recipient", "stage", "purpose", "category"]
    assert set(table.itertuples(index=False, name=None)) == {
        ("csc_needs", "csc", "plan", "safeguarding", "education.attendance"),   # served at screening only
        ("csc_needs", "csc", "plan", "safeguarding", "health"),
        ("police_needs", "police", "screening", "safeguarding", "household.composition"),
        ("police_needs", "police", "screening", "crime_prevention", "household.composition"),
    }


def test_a_need_served_under_some_facts_only_is_served():
    p = net([to("gp", "csc", "C1", ["health"], when={"consent": "given"}, lawful_bases=ART9)],
            need_to_know=[{"id": "n", "recipient": {"partners": ["csc"]}, "stages": "any", "purposes": "any",
                           "categories": ["health.physical"]}])
    assert analysis.under_sharing(p).empty
    assert not analysis.over_sharing(p).empty   # health and its other parts go beyond the profile


# -- rules over the whole space ------------------------------------------------------------------------------

def rules_protocol():
    return net([
        to("school", "csc", "E1", ["education.attendance"]),                                # live
        to("gp", "csc", "E2", ["health.mental_health"]),                                    # shadowed by E3 (and E9)
        rule("E3", "refuse", to={"partners": ["csc"]}, categories=["health"]),              # live: refuses
        rule("E4", sender={"kinds": ["probation"]}, categories=["criminal"]),               # dead: no probation partner
        rule("E7", sender={"partners": ["gp"]}, to={"partners": ["csc", "school"]}, categories=["health.physical"]),
        rule("E8", "refuse", to={"partners": ["school"]}, categories=["health"]),            # with E3 shadows E7
        to("gp", "csc", "E9", ["health.mental_health"], when={"risk": "red"}, priority=1),   # the exception: live
    ])


def test_rule_effect_live_shadowed_dead():
    table = analysis.rule_effect(rules_protocol()).set_index("rule")
    assert list(table.columns) == ["outcome", "matches", "decides", "status", "overridden_by"]
    assert table["status"].to_dict() == {"E1": "live", "E2": "shadowed", "E3": "live", "E4": "dead",
                                         "E7": "shadowed", "E8": "live", "E9": "live"}
    assert table.loc["E2", "overridden_by"] == ("E3", "E9")
    assert table.loc["E7", "overridden_by"] == ("E3", "E8")
    assert table.loc["E4", "overridden_by"] == () and not table.loc["E4", "matches"]
    assert table.loc["E1", "overridden_by"] == ()
    assert bool(table.loc["E2", "matches"]) and not bool(table.loc["E2", "decides"])


def test_rule_effect_without_the_exception():
    rules = [r for r in rules_protocol().model_dump(by_alias=True)["rules"] if r["id"] != "E9"]
    table = analysis.rule_effect(net(rules)).set_index("rule")
    assert table.loc["E2", "overridden_by"] == ("E3",)


def test_rule_conflicts_pairs_winners_and_examples():
    table = analysis.rule_conflicts(rules_protocol())
    assert list(table.columns) == ["rule", "other", "outcome", "other_outcome", "winner", "example"]
    pairs = {(r.rule, r.other): (r.outcome, r.other_outcome, r.winner) for r in table.itertuples(index=False)}
    assert pairs == {
        ("E2", "E3"): ("share", "refuse", "E3"),
        ("E3", "E7"): ("refuse", "share", "E3"),
        ("E7", "E8"): ("share", "refuse", "E8"),
    }   # E9 is at priority 1 and so no conflict; E3 and E8 never overlap
    example = table.set_index(["rule", "other"]).loc[("E2", "E3"), "example"]
    assert example == ("Riverside Surgery sharing health.mental_health with Children's Social Care at referral "
                       "for safeguarding (no facts stated)")
    example = table.set_index(["rule", "other"]).loc[("E7", "E8"), "example"]
    assert "Testshire Primary" in example and "health.physical" in example


def test_rule_conflict_between_two_withholding_outcomes_is_listed():
    p = net([rule("X1", "escalate", to={"kinds": ["school"]}, categories=["criminal"]),
             rule("X2", "refuse", to={"kinds": ["school"]}, categories=["criminal.intelligence"])])
    table = analysis.rule_conflicts(p)
    assert table[["rule", "other", "winner"]].values.tolist() == [["X1", "X2", "X2"]]


def test_no_conflicts_when_outcomes_agree_or_scopes_are_apart():
    p = net([to("school", "csc", "A", ["education"]), to("school", "csc", "B", ["education.attendance"]),
             to("school", "gp", "C", ["education"], "refuse")])
    assert analysis.rule_conflicts(p).empty
    assert set(analysis.rule_effect(p)["status"]) == {"live"}


# -- centrality ------------------------------------------------------------------------------------------------

def test_centrality_hub_and_isolated_partner():
    p = net([
        to("police", "csc", "C1", ["criminal.intelligence"], stages=["screening"], purposes=["safeguarding"]),
        to("school", "csc", "C2", ["education.attendance"], stages=["screening"], purposes=["safeguarding"]),
        to("csc", "gp", "C3", ["household.composition"], stages=["screening", "plan"], purposes=["safeguarding"]),
    ])
    table = analysis.centrality(p).set_index("partner")
    assert list(table.index) == ["police", "csc", "school", "gp", "dwp"]
    assert table["role"].to_dict() == {"police": "", "csc": "hub", "school": "", "gp": "", "dwp": "isolated"}
    # csc lies on the shortest paths police -> gp and school -> gp: 2 of (5 - 1) x (5 - 2) ordered pairs
    assert table.loc["csc", "betweenness"] == round(2 / 12, 4)
    assert table.loc["police", "betweenness"] == 0
    assert table.loc["csc"][["sends_to", "receives_from", "flows_out", "flows_in"]].tolist() == [1, 2, 2, 2]
    assert table.loc["dwp"][["sends_to", "receives_from", "flows_out", "flows_in"]].tolist() == [0, 0, 0, 0]


def test_centrality_without_flows_everyone_isolated():
    table = analysis.centrality(net([]))
    assert set(table["role"]) == {"isolated"} and len(table) == 5


# -- the example --------------------------------------------------------------------------------------------

FLOW_ANALYSES = [analysis.exposure_by_stage, analysis.onward_reach, analysis.special_flows,
                 analysis.weak_basis_flows, analysis.over_sharing, analysis.under_sharing, analysis.centrality]


@pytest.fixture(scope="module")
def mash_flows(mash):
    return permitted_flows(mash)


@pytest.mark.parametrize("function", FLOW_ANALYSES, ids=lambda f: f.__name__)
def test_each_flow_analysis_runs_on_the_example(mash, mash_flows, function):
    table = function(mash, mash_flows)
    assert isinstance(table, pd.DataFrame)
    # passing the flows in or not gives the same answer
    pd.testing.assert_frame_equal(table, function(mash))


@pytest.mark.parametrize("function", [analysis.rule_effect, analysis.rule_conflicts], ids=lambda f: f.__name__)
def test_each_rule_analysis_runs_on_the_example(mash, function):
    table = function(mash)
    assert isinstance(table, pd.DataFrame)


def test_example_facts(mash, mash_flows):
    """Facts of the example that its review relies on."""
    assert analysis.weak_basis_flows(mash, mash_flows).empty
    assert not analysis.special_flows(mash, mash_flows)["missing"].astype(bool).any()
    effect = analysis.rule_effect(mash)
    # rules for parties outside the partnership (a subject access request, a landlord) are not explored
    assert set(effect["status"]) == {"live", "outside"}
    assert set(effect.loc[effect["status"] == "outside", "rule"]) == {"R-GEN-12", "R-GEN-13", "R-GEN-14"}
    centrality = analysis.centrality(mash, mash_flows)
    assert len(centrality) == len(mash.partners)
    exposure = analysis.exposure_by_stage(mash, mash_flows)
    assert list(exposure.columns) == list(Vocabulary.of(mash).stage_ids)
    assert (exposure.to_numpy() >= 0).all() and exposure.to_numpy().sum() > 0


# -- onward reach: a guarded shortest chain must not hide an unguarded one -----------------------------------

def _two_routes(partner_order):
    """gp -> csc (guarded) -> police, and gp -> school (unguarded) -> police: two chains of two hops."""
    c = ["health.mental_health"]
    rules = [to("gp", "csc", "A", c, obligations=GUARD, lawful_bases=ART9),
             to("csc", "police", "B", c, lawful_bases=ART9),
             to("gp", "school", "C", c, lawful_bases=ART9),
             to("school", "police", "D", c, lawful_bases=ART9)]
    by_id = {p["id"]: p for p in NET_PARTNERS}
    return protocol(rules, partners=[by_id[i] for i in partner_order])


def test_onward_reach_reports_the_unguarded_route_when_school_is_listed_first():
    table = analysis.onward_reach(_two_routes(["police", "school", "csc", "gp", "dwp"]))
    row = table[(table["origin"] == "gp") & (table["recipient"] == "police")]
    assert row["guarded"].tolist() == [False] and row["chain"].tolist() == [("gp", "school", "police")]


def test_onward_reach_does_not_hide_an_unguarded_route_behind_a_guarded_one():
    for order in (["police", "csc", "school", "gp", "dwp"], ["police", "school", "csc", "gp", "dwp"]):
        table = analysis.onward_reach(_two_routes(order))
        row = table[(table["origin"] == "gp") & (table["recipient"] == "police")]
        assert not row["guarded"].all(), f"partner order {order}: gp -> school -> police needs no owner's agreement"


def test_onward_reach_does_not_hide_a_longer_unguarded_route():
    c = ["health.mental_health"]
    p = net([to("gp", "csc", "A", c, obligations=GUARD), to("csc", "police", "B", c),
             to("gp", "school", "C", c), to("school", "dwp", "D", c), to("dwp", "police", "E", c)])
    table = analysis.onward_reach(p)
    row = table[(table["origin"] == "gp") & (table["recipient"] == "police")]
    assert not row["guarded"].all()   # gp -> school -> dwp -> police needs no owner's agreement
