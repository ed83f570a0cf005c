"""A rule edit recomputes only what it can change, and the answers equal a recomputation from scratch.

Each check compares what the workbench session holds after edits (cases re-run only where
the edited rules can decide, flows recomputed only inside their scope) with the engine run
afresh on the edited protocol.
"""

import pandas as pd
import pytest

from protocolkit.engine import run_cases
from protocolkit.graph import permitted_flows
from protocolkit.graph.analysis import exposure_by_stage, over_sharing, under_sharing
from protocolkit.ui import Session
from protocolkit.ui._incremental import edit_scope, rule_delta
from protocolkit.ui.graph import edge_figures


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return a.astype(str).reset_index(drop=True).equals(b.astype(str).reset_index(drop=True))


def assert_as_from_scratch(session: Session) -> None:
    p = session.protocol
    fresh = run_cases(p, session.cases, explain=False)
    held = session.case_results()
    for table in ("expectations", "decisions", "knowledge", "coverage"):
        assert same_rows(getattr(held, table), getattr(fresh, table)), table
    parts = session.flow_parts()
    flows = permitted_flows(p)
    assert same_rows(parts.view(), flows)
    assert same_rows(parts.view("screening"), permitted_flows(p, stage="screening"))
    assert same_rows(parts.edges("screening").sort_values(["from", "to"]),
                     edge_figures(permitted_flows(p, stage="screening")))
    assert parts.exposure().equals(exposure_by_stage(p, flows))
    count, first = parts.over_sharing()
    over = over_sharing(p, flows)
    assert count == len(over)
    assert same_rows(first, over.drop_duplicates(["from", "to", "category", "stage"]).head(20))
    assert under_sharing(p, parts.served()).equals(under_sharing(p, flows))


@pytest.fixture
def warm(mash_session):
    mash_session.case_results()
    mash_session.flow_parts().ensure()
    return mash_session


def rule_data(session, rule_id):
    return session.protocol.rule(rule_id).model_dump(mode="python", by_alias=True, exclude_defaults=True)


def test_changing_adding_and_removing_rules_then_undo(warm):
    s = warm
    deciding = s.case_results().expectations["rule"].dropna().iloc[0]
    index = [r.id for r in s.protocol.rules].index(deciding)
    s.set_entry("rules", {**rule_data(s, deciding), "outcome": "refuse", "lawful_bases": []}, index=index)
    assert s._rules_changed == {deciding}
    assert_as_from_scratch(s)

    s.set_entry("rules", {"id": "R-NEW", "title": "Police tell the school about a domestic abuse incident",
                          "from": {"kinds": ["police"]}, "to": {"kinds": ["school"]},
                          "categories": ["household"], "stages": ["referral"], "purposes": ["safeguarding"],
                          "outcome": "share", "lawful_bases": ["UKGDPR.6.1.e"], "rationale": "A test rule."})
    assert s._rules_changed == {"R-NEW"}
    assert_as_from_scratch(s)

    s.remove_entry("rules", s.protocol.rules[3].id)
    assert_as_from_scratch(s)
    s.undo()
    s.undo()
    assert_as_from_scratch(s)


def test_an_edit_outside_the_rules_recomputes_everything(warm):
    s = warm
    s.edit("rename a partner", lambda p: setattr(p.partners[0], "name", "Renamed partner"))
    assert s._rules_changed is None
    assert_as_from_scratch(s)


def test_the_scope_of_an_edit_covers_both_versions_of_the_rule(mash_session):
    before = mash_session.protocol
    rule = before.rules[0]
    after = before.model_copy(deep=True)
    after.rules[0].stages = ["closure"]
    scope = edit_scope(before, after, rule_delta(before, after))
    assert "closure" in scope.stages
    assert set(rule.stages if rule.stages != "any" else []) <= scope.stages
