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


# -- random edits: the incremental path equals a full re-run, whatever the edit -----------------------

SWAPPABLE = (("from",), ("to",), ("categories",), ("stages",), ("purposes",), ("when",), ("priority",),
             ("outcome", "lawful_bases", "escalate_to", "minimum", "sharing", "decided_by"))


def random_rule_edit(session, rng):
    """One rule edit as a person might make it: a rule takes another rule's senders, recipients,
    categories, stages, purposes, conditions, priority or outcome; or a rule is copied under a new
    id with such a change; or a rule is removed. Returns a description of the edit."""
    rules = session.protocol.rules
    target, donor = rng.choice(rules), rng.choice(rules)
    fields = rng.choice(SWAPPABLE)
    data = rule_data(session, target.id)
    given = rule_data(session, donor.id)
    for name in fields:
        data.pop(name, None)
        if name in given:
            data[name] = given[name]
    action = rng.choice(["change", "change", "add", "remove"])
    if action == "remove":
        session.remove_entry("rules", target.id)
    elif action == "add":
        data["id"] = f"R-RANDOM-{len(session.history)}"
        session.set_entry("rules", data)
    else:
        session.set_entry("rules", data, index=[r.id for r in rules].index(target.id))
    return f"{action} {target.id}: {fields} from {donor.id}"


def test_random_rule_edits_equal_a_full_rerun(warm):
    import random

    from protocolkit.ui.session import EditRefused

    rng = random.Random(20261128)
    s, done = warm, []
    while len(done) < 6:
        try:
            done.append(random_rule_edit(s, rng))
        except EditRefused:
            continue  # an edit the workbench refuses changes nothing: draw another
        assert s._rules_changed is not None, done[-1]
        p = s.protocol
        fresh, held = run_cases(p, s.cases, explain=False), s.case_results()
        for table in ("expectations", "decisions", "knowledge", "coverage", "requests"):
            assert same_rows(getattr(held, table), getattr(fresh, table)), (table, done)
        assert held.sharing_by_stage().equals(fresh.sharing_by_stage()), done
        parts = s.flow_parts()
        flows = permitted_flows(p)
        assert same_rows(parts.view(), flows), done
        assert parts.exposure().equals(exposure_by_stage(p, flows)), done
        count, first = parts.over_sharing()
        over = over_sharing(p, flows)
        assert count == len(over), done
        assert same_rows(first, over.drop_duplicates(["from", "to", "category", "stage"]).head(20)), done
        assert under_sharing(p, parts.served()).equals(under_sharing(p, flows)), done
        assert same_rows(parts.edges().sort_values(["from", "to"]), edge_figures(flows)), done


@pytest.fixture(params=["mash", "supporting_families"])
def warm_example(request, tmp_path):
    import shutil

    import protocolkit

    s = Session(shutil.copytree(protocolkit.example_path(request.param), tmp_path / request.param))
    s.case_results()
    s.flow_parts().ensure()
    return s


def test_flows_kept_across_many_edits_without_reading_them_equal_a_full_rerun(warm_example):
    """Edits one after another, each read only as the workbench reads it after Apply (graph edges,
    heatmap, over-sharing: figures from the codes of the rows kept and the rows given afresh); the
    rows themselves (first over-sharing flows, needs served, every flow) are read at the end, when
    each part is made of rows of several versions' tables. On both shipped examples."""
    import random

    from protocolkit.ui.session import EditRefused

    rng = random.Random(20261129)
    s, done = warm_example, []
    s.flow_parts().over_sharing()
    while len(done) < 8:
        try:
            done.append(random_rule_edit(s, rng))
        except EditRefused:
            continue
        parts = s.flow_parts()
        parts.edges(parts.stages[0]), parts.exposure(), parts.over_sharing()
    assert any(len(part.sources) > 1 for part in s.flow_parts().parts.values()), "no part kept rows of two versions"
    p, parts = s.protocol, s.flow_parts()
    flows = permitted_flows(p)
    count, first = parts.over_sharing()
    over = over_sharing(p, flows)
    assert count == len(over), done
    assert same_rows(first, over.drop_duplicates(["from", "to", "category", "stage"]).head(20)), done
    assert under_sharing(p, parts.served()).equals(under_sharing(p, flows)), done
    held, fresh = s.case_results(), run_cases(p, s.cases, explain=False)
    for table in ("expectations", "decisions", "knowledge", "coverage", "requests"):
        assert same_rows(getattr(held, table), getattr(fresh, table)), (table, done)
    for partner in [x.id for x in p.partners][:2]:
        assert same_rows(parts.view(partners=(partner,)),
                         flows[(flows["from"] == partner) | (flows["to"] == partner)]), (partner, done)
    for stage, purpose in parts.parts:  # each part on its own, in the order permitted_flows gives
        assert same_rows(parts.view(stage, purpose),
                         flows[(flows["stage"] == stage) & (flows["purpose"] == purpose)]), (stage, purpose, done)
    assert same_rows(parts.view(), flows), done
    assert parts.exposure().equals(exposure_by_stage(p, flows)), done
    assert same_rows(parts.edges().sort_values(["from", "to"]), edge_figures(flows)), done


def test_the_case_index_finds_the_cases_each_rule_can_touch_as_the_case_walk_does(mash_session):
    from protocolkit.ui._incremental import CaseIndex, Scope, affected_cases

    p, cases = mash_session.protocol, mash_session.cases
    index = CaseIndex(cases)
    sizes = set()
    for rule in p.rules:
        scope = edit_scope(p, p, {rule.id})
        found = index.affected(scope)
        assert found == affected_cases(cases, scope), rule.id
        sizes.add(len(found))
    assert len(sizes) > 3  # rules that touch a few cases, and rules that touch many
    nothing = Scope(*(frozenset() for _ in range(5)))
    assert index.affected(nothing) == [] and index.describes(cases) and not index.describes(cases[1:])


def test_the_case_stepper_after_rule_edits_shows_what_a_fresh_stepper_shows(warm):
    """The stepper keeps its display when an edit cannot reach any request of its case, and
    redraws otherwise; either way it shows what a stepper opened afresh on the edited protocol shows."""
    import random

    from protocolkit.ui import CaseStepper
    from protocolkit.ui.session import EditRefused

    s = warm
    shown = CaseStepper(s, case="school_low_level_consent_refused")
    shown.go_to(1)
    shown._fact_widgets["consent"].value = "given"  # with a fact changed, too
    rng = random.Random(20261130)
    kept = redrawn = 0
    while kept < 2 or redrawn < 3:
        try:
            if not s.history:  # first an edit of a rule that decides a request shown: the display changes
                deciding = next(c.rule for d in shown.decisions for c in d.categories if c.rule)
                index = [r.id for r in s.protocol.rules].index(deciding)
                outcome = "refuse" if s.protocol.rules[index].outcome != "refuse" else "seek_consent"
                before = shown.requests_html.value
                s.set_entry("rules", {**rule_data(s, deciding), "outcome": outcome, "lawful_bases": []}, index=index)
                assert shown.requests_html.value != before
            else:
                random_rule_edit(s, rng)
        except EditRefused:
            continue
        if s.unchanged_by_last_change(shown.case):
            kept += 1
        else:
            redrawn += 1
        fresh = CaseStepper(s, case=shown.case_id)
        fresh.go_to(1)
        fresh._fact_widgets["consent"].value = "given"
        for part in ("heading", "requests_html", "knowledge_html"):
            assert getattr(shown, part).value == getattr(fresh, part).value, (part, s.history)
        assert [d.outcome for d in shown.decisions] == [d.outcome for d in fresh.decisions]
        assert list(shown.why_not_picker.options) == list(fresh.why_not_picker.options)
    assert len(s.history) < 40
