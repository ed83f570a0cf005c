"""The exact whole-space impact of a change, against brute force on small protocols.

The shipped vocabulary is narrowed for these tests (a few categories, stages, purposes and
facts) so that every request of the joint space can be listed and decided by the engine on
both versions. Changes tried: a changed outcome, a renamed rule, reordered rules, a new
category under an existing one, a new value of a fact, a new partner, a new fact constraint.
"""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import protocolkit.engine.compiled as compiled_module
import protocolkit.model.vocabulary as vocabulary_module
from generated import CATEGORIES, FACTS, PURPOSES, possible_facts, protocols
from protocolkit.engine import decide_many
from protocolkit.engine.impact import COMPARED, space_impact
from protocolkit.model.compare import compare_protocols
from protocolkit.model.protocol import Protocol

STAGES = ["referral", "screening", "closure"]
SMALL_FACTS = {*FACTS, "child_competent"}
ORIGINAL_SHIPPED = vocabulary_module.shipped


def narrowed(section: str) -> tuple:
    entries = ORIGINAL_SHIPPED(section)
    keep = {"categories": lambda e: e.id in CATEGORIES, "stages": lambda e: e.id in STAGES,
            "purposes": lambda e: e.id in PURPOSES, "facts": lambda e: e.id in SMALL_FACTS}.get(section)
    return tuple(e for e in entries if keep(e)) if keep else entries


@pytest.fixture(autouse=True)
def small_vocabulary(monkeypatch):
    compiled_module._CACHE.clear()
    monkeypatch.setattr(vocabulary_module, "shipped", narrowed)
    yield
    compiled_module._CACHE.clear()


def mutate(protocol: Protocol, how: str, data) -> Protocol:
    raw = protocol.model_dump(mode="json", by_alias=True, exclude_none=True)
    rules = raw["rules"]
    if how == "outcome" and rules:
        rule = rules[data.draw(st.integers(0, len(rules) - 1))]
        rule["outcome"] = data.draw(st.sampled_from(["refuse", "share", "seek_consent"]))
        rule.pop("minimum", None), rule.pop("escalate_to", None)
    elif how == "rename" and rules:
        rules[data.draw(st.integers(0, len(rules) - 1))]["id"] = "RENAMED"
    elif how == "reorder" and rules:
        raw["rules"] = list(reversed(rules))
    elif how == "category":
        raw.setdefault("categories", []).append({"id": "health.dental", "label": "Dental"})
    elif how == "fact_value":
        raw.setdefault("facts", []).append({"id": "consent", "label": "Consent", "values": [
            "given", "refused", "not_sought", "unsafe_to_seek", "withdrawn"]})
    elif how == "partner":
        raw["partners"].append({"id": "newcomer", "name": "Newcomer", "kind": "school"})
    elif how == "sharing" and rules:  # a duty becomes a permission or a discretion, or the reverse (section 4a)
        for rule in rules:
            if rule["outcome"] in ("share", "share_minimum"):
                mode = data.draw(st.sampled_from(["required", "permitted", "discretion"]))
                rule["sharing"] = mode
                rule.pop("decided_by", None)
                if mode == "discretion":
                    rule["decided_by"] = data.draw(st.sampled_from(["the DSL", "the MASH team manager"]))
    elif how == "history" and rules:  # a rule now waits for what the case already shared (section 15)
        rules[data.draw(st.integers(0, len(rules) - 1))]["history"] = {"received": "criminal.intelligence"}
    elif how == "constraint":
        raw.setdefault("fact_constraints", []).append({"id": "cx", "if": {"risk": "red"}, "excludes": {"consent": "given"}})
    return Protocol.model_validate(raw)


def brute_force(old: Protocol, new: Protocol, renames: dict[str, str]):
    """(changed, only_old, only_new, set of (old, new) outcome pairs) by listing every request."""
    va, vb = vocabulary_module.Vocabulary.of(old), vocabulary_module.Vocabulary.of(new)
    partners = list(dict.fromkeys([*va.partners, *vb.partners]))
    categories = list(dict.fromkeys([*va.categories, *vb.categories]))
    stages = list(dict.fromkeys([*va.stage_ids, *vb.stage_ids]))
    purposes = list(dict.fromkeys([*va.purposes, *vb.purposes]))
    facts = list(dict.fromkeys([*va.facts, *vb.facts]))
    domains = [list(dict.fromkeys(["unknown", *(va.facts[f].values if f in va.facts else []),
                                   *(vb.facts[f].values if f in vb.facts else [])])) for f in facts]
    states = [dict(zip(facts, combo)) for combo in itertools.product(*domains)]

    def state_ok(v, p, state):
        return (all(val == "unknown" or (f in v.facts and val in v.facts[f].values) for f, val in state.items())
                and possible_facts(p, state))

    ok_a = [state_ok(va, old, s) for s in states]
    ok_b = [state_ok(vb, new, s) for s in states]
    scope = pd.DataFrame([(s, r, c, g, u) for s, r in itertools.product(partners, partners) if s != r
                          for c, g, u in itertools.product(categories, stages, purposes)],
                         columns=["from", "to", "category", "stage", "purpose"])

    def scope_ok(v):
        return (scope["from"].isin(list(v.partners)) & scope["to"].isin(list(v.partners))
                & scope["category"].isin(list(v.categories)) & scope["stage"].isin(v.stage_ids)
                & scope["purpose"].isin(list(v.purposes))).to_numpy()

    sa, sb = scope_ok(va), scope_ok(vb)
    changed, pairs, only_old, only_new = 0, set(), 0, 0
    for state, a_ok, b_ok in zip(states, ok_a, ok_b):
        in_a, in_b = sa & a_ok, sb & b_ok
        only_old += int((in_a & ~in_b).sum())
        only_new += int((in_b & ~in_a).sum())
        rows = scope[in_a & in_b]
        if rows.empty:
            continue

        def decide(protocol, vocab):
            frame = rows.rename(columns={"category": "categories"}).reset_index(drop=True)
            frame["categories"] = frame["categories"].map(lambda c: [c])
            for f in vocab.facts:
                frame[f] = pd.Series([None if state[f] == "unknown" else state[f]] * len(frame), dtype=object)
            return decide_many(protocol, frame, detail="rules")

        before, after = decide(old, va), decide(new, vb)
        key = lambda v: tuple(sorted(map(str, v)))  # noqa: E731
        old_rule = before["rule"].map(lambda r: renames.get(r, r) if isinstance(r, str) else "")
        new_rule = after["rule"].map(lambda r: r if isinstance(r, str) else "")
        differs = ((before["outcome"].astype(str) != after["outcome"].astype(str)) | (old_rule != new_rule)
                   | (before["obligations"].map(key) != after["obligations"].map(key))
                   | (before["lawful_bases"].map(key) != after["lawful_bases"].map(key))
                   | (before["sharing"].map(str) != after["sharing"].map(str))
                   | (before["decided_by"].map(str) != after["decided_by"].map(str)))
        changed += int(differs.sum())
        pairs |= set(zip(before["outcome"][differs].astype(str), after["outcome"][differs].astype(str)))
    return changed, only_old, only_new, pairs


@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
@pytest.mark.parametrize("how", ["outcome", "rename", "reorder", "category", "fact_value", "partner", "constraint",
                                 "sharing", "history"])
def test_space_impact_agrees_with_brute_force(how, data):
    old = data.draw(protocols())
    new = mutate(old, how, data)
    renames = {e.old_id: e.id for e in compare_protocols(old, new).in_section("rules") if e.change == "renamed"}
    impact = space_impact(old, new, renames)
    changed, only_old, only_new, pairs = brute_force(old, new, renames)
    assert (impact.changed, impact.only_old, impact.only_new) == (changed, only_old, only_new)
    assert set(zip(impact.groups["old_outcome"], impact.groups["new_outcome"])) == pairs
    assert int(impact.groups["requests"].sum()) == changed
    if how == "rename":
        assert impact.changed == 0  # a rule only renamed decides as before


def test_a_renamed_rule_changes_no_decision():
    old = Protocol.model_validate({
        "metadata": {"id": "t", "title": "T", "version": "1", "owner": "a"},
        "partners": [{"id": "a", "name": "A", "kind": "school"}, {"id": "b", "name": "B", "kind": "police"}],
        "rules": [{"id": "R1", "title": "share", "from": "any", "to": "any", "categories": ["education"],
                   "stages": "any", "purposes": "any", "outcome": "share", "lawful_bases": ["UKGDPR.6.1.e"],
                   "rationale": "a test"}]})
    raw = old.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["rules"][0]["id"] = "R1-renamed"
    new = Protocol.model_validate(raw)
    changes = compare_protocols(old, new)
    assert [(e.id, e.change, e.old_id) for e in changes.entries] == [("R1-renamed", "renamed", "R1")]
    assert space_impact(old, new, {"R1": "R1-renamed"}).changed == 0
    assert space_impact(old, new).changed > 0  # without the rename table the deciding rule differs
