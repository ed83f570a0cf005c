"""why_not: for a category that may not go, the sharing rules that could allow it and what they need."""

from __future__ import annotations

import pytest

from protocolkit.engine import decide, why_not
from protocolkit.engine.why_not import WHY_NOT_COLUMNS

from handbuilt import build, request, rule

PROTOCOL = build([
    rule("R-REFUSE", "refuse", categories=["health"], when={"consent": ["refused", "unknown"]}),
    rule("R-AMBER", "share", sender={"kinds": ["health"]}, to={"partners": ["csc"]}, categories=["health"],
         when={"risk": ">= amber"}),
    rule("R-RED", "share", priority=1, categories=["health"], when={"risk": "red"}),
    rule("R-ASSESS", "share_minimum", stages=["assessment"], categories=["health"]),
    rule("R-ESC", "escalate", categories=["health"], when={"risk": "blue"}),  # not a sharing rule
    rule("R-EDU", "share", sender={"kinds": ["education"]}, stages=["plan"], categories=["education"],
         when={"consent": "given"}),
])

REFUSED = request("gp_surgery", "csc", "health.physical", "screening", consent="refused", risk="green")


def _rows(table):
    return {row["rule"]: row for row in table.to_dict("records")}


def test_a_refusal_lists_the_sharing_rules_that_could_allow_it():
    assert decide(PROTOCOL, REFUSED).outcome == "refuse"
    table = why_not(PROTOCOL, REFUSED)
    assert list(table.columns) == WHY_NOT_COLUMNS
    rows = _rows(table)
    # only share / share_minimum rules are candidates; refuse and escalate rules are not
    assert set(rows) == {"R-AMBER", "R-RED", "R-ASSESS", "R-EDU"}
    assert set(table["category"]) == {"health.physical"}
    assert set(table["outcome"]) == {"refuse"}
    assert rows["R-ASSESS"]["rule_outcome"] == "share_minimum"


def test_fact_changes_alone_and_what_then_happens():
    rows = _rows(why_not(PROTOCOL, REFUSED))
    amber, red = rows["R-AMBER"], rows["R-RED"]
    assert amber["scope_changes"] == [] and red["scope_changes"] == []
    assert len(amber["fact_changes"]) == 1 and "amber or higher" in amber["fact_changes"][0]
    assert "green" in amber["fact_changes"][0]  # says what the fact is now
    assert len(red["fact_changes"]) == 1 and "red" in red["fact_changes"][0]
    # at amber the priority-0 share is still overridden by the refusal; at red the priority-1 rule decides
    assert amber["then"] == "overridden by R-REFUSE (refuse)"
    assert red["then"] == "decides"
    assert "R-RED" in red["explanation"] and "would decide" in red["explanation"]


def test_scope_changes_need_a_rule_edit():
    rows = _rows(why_not(PROTOCOL, REFUSED))
    assess = rows["R-ASSESS"]
    assert assess["fact_changes"] == []
    assert len(assess["scope_changes"]) == 1 and "assessment" in assess["scope_changes"][0]
    assert assess["then"] == "needs a rule edit"
    edu = rows["R-EDU"]
    # sender, category and stage are all outside R-EDU's scope, and consent is not given
    assert len(edu["scope_changes"]) == 3
    assert any("education" in change for change in edu["scope_changes"])
    assert len(edu["fact_changes"]) == 1 and "consent" in edu["fact_changes"][0]
    assert edu["then"] == "needs a rule edit"


def test_rows_are_ordered_smallest_change_that_lets_it_go_first():
    # R-AMBER needs one fact changed too, but would then still be overridden by R-REFUSE: it comes last;
    # R-EDU needs four parts changed (sender, category, stage, facts), so it comes after the one-part changes
    table = why_not(PROTOCOL, REFUSED)
    assert table["rule"].tolist() == ["R-RED", "R-ASSESS", "R-EDU", "R-AMBER"]
    assert table["size"].tolist() == [1, 1, 4, 1]
    assert table["must_change"].tolist() == [("facts",), ("stage",), ("sender", "category", "stage", "facts"),
                                             ("facts",)]


def test_a_matching_but_overridden_sharing_rule_is_reported_as_such():
    req = request("gp_surgery", "csc", "health.physical", "screening", consent="refused", risk="amber")
    row = _rows(why_not(PROTOCOL, req))["R-AMBER"]
    assert row["scope_changes"] == [] and row["fact_changes"] == []
    assert row["then"] == "overridden by R-REFUSE (refuse)"
    assert "already covers" in row["explanation"]


def test_a_gap_lists_candidate_rules_too():
    req = request("police", "csc", "education.attendance", "screening", consent="given")
    assert decide(PROTOCOL, req).outcome == "gap"
    table = why_not(PROTOCOL, req)
    assert set(table["outcome"]) == {"gap"}
    edu = _rows(table)["R-EDU"]
    assert len(edu["scope_changes"]) == 2  # the sender and the stage
    assert any("plan" in change for change in edu["scope_changes"])
    assert edu["fact_changes"] == []  # consent is already given
    assert edu["then"] == "needs a rule edit"
    # a rule on health is a candidate, but needs the category added
    red = _rows(table)["R-RED"]
    assert any("education.attendance" in change for change in red["scope_changes"])


def test_an_unknown_fact_is_reported_as_unknown():
    req = request("gp_surgery", "csc", "health.physical", "screening", consent="refused")
    amber = _rows(why_not(PROTOCOL, req))["R-AMBER"]
    assert "unknown" in amber["fact_changes"][0]
    assert amber["then"] == "overridden by R-REFUSE (refuse)"


def test_only_the_categories_that_may_not_go_are_listed():
    req = request("gp_surgery", "csc", ["health.physical", "education.attendance"], "screening",
                  consent="given", risk="red")
    decision = decide(PROTOCOL, req)
    assert [c.outcome for c in decision.categories] == ["share", "gap"]
    table = why_not(PROTOCOL, req)
    assert set(table["category"]) == {"education.attendance"}


@pytest.mark.parametrize("facts", [{"consent": "given", "risk": "red"}, {"consent": "given", "risk": "amber"}])
def test_empty_when_everything_may_go(facts):
    req = request("gp_surgery", "csc", "health.physical", "screening", **facts)
    assert decide(PROTOCOL, req).may_not_share == ()
    table = why_not(PROTOCOL, req)
    assert table.empty
    assert list(table.columns) == WHY_NOT_COLUMNS


def test_no_rows_when_the_protocol_has_no_sharing_rule():
    protocol = build([rule("NO", "refuse")])
    table = why_not(protocol, request())
    assert table.empty and list(table.columns) == WHY_NOT_COLUMNS
