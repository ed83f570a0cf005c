"""The review's whole-space analyses (live, shadowed and dead rules; conflicts RV120; lost
obligations RV160) look only at possible requests, settled as the engine decides them: fact
states the fact constraints rule out and self-flows are not requests (docs/semantics.md
section 11), and where a purpose's fallback decides (section 5) no rule does.

Each protocol is hand-built so the answer is known without running the engine; each test
also checks the answer against decide on the request that shows it."""

from __future__ import annotations

from graph_protocols import net, rule, to
from protocolkit.engine import decide
from protocolkit.graph import analysis
from protocolkit.review import review

HARM = {
    "facts": [
        {"id": "immediate_harm", "label": "Is the child at immediate risk of harm?", "values": ["no", "yes"]},
        {"id": "significant_harm", "label": "Is significant harm suspected?", "values": ["no", "yes"]},
    ],
    "fact_constraints": [{
        "id": "immediate_is_significant",
        "statement": "A child at immediate risk is always suspected of suffering significant harm.",
        "if": {"immediate_harm": "yes"}, "then": {"significant_harm": "yes"}}],
}
CAT = ["criminal.intelligence"]


def _harm(rules):
    return net(rules, **HARM)


def _without_constraints(rules):
    return net(rules, facts=HARM["facts"])


def test_rules_that_overlap_only_in_an_impossible_state_do_not_conflict():
    # A shares when the child is at immediate risk; B refuses when no significant harm is suspected.
    # Both apply only to immediate_harm=yes with significant_harm=no, which the constraint rules out.
    rules = [to("police", "csc", "A", CAT, when={"immediate_harm": "yes"}),
             to("police", "csc", "B", CAT, "refuse", when={"significant_harm": "no"})]
    assert analysis.rule_conflicts(_harm(rules)).empty
    assert "RV120" not in {f.code for f in review(_harm(rules)).findings}
    # without the constraint the overlap is a real request, and is reported
    conflicts = analysis.rule_conflicts(_without_constraints(rules))
    assert conflicts[["rule", "other", "winner"]].values.tolist() == [["A", "B", "B"]]
    assert "immediate_harm yes, significant_harm no" in conflicts["example"].iat[0]


def test_a_rule_whose_conditions_only_an_impossible_state_meets_is_dead():
    rules = [to("police", "csc", "A", CAT, when={"immediate_harm": "yes", "significant_harm": "no"}),
             to("police", "csc", "B", CAT, when={"significant_harm": "yes"})]
    effect = analysis.rule_effect(_harm(rules)).set_index("rule")
    assert effect["status"].to_dict() == {"A": "dead", "B": "live"}
    assert [list(f.rules) for f in review(_harm(rules)).findings if f.code == "RV122"] == [["A"]]
    assert analysis.rule_effect(_without_constraints(rules)).set_index("rule")["status"].to_dict() == {
        "A": "live", "B": "live"}


def test_a_rule_that_names_only_a_partner_sending_to_itself_is_dead():
    rules = [to("school", "school", "SELF", ["education.attendance"]),
             to("school", "csc", "OK", ["education.attendance"])]
    effect = analysis.rule_effect(net(rules)).set_index("rule")
    assert effect["status"].to_dict() == {"SELF": "dead", "OK": "live"}


def test_a_rule_always_displaced_by_the_fallback_is_shadowed_by_it():
    # G shares only while risk is unknown; X (priority 1) refuses at red risk. With risk unknown X waits
    # on the fact and would outrank G with another outcome, so the safeguarding fallback decides
    # (section 5): G never decides anything.
    fallback = {"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
                "escalate_to": "MASH team manager", "rationale": "A concern is never refused for want of a rule."}
    rules = [to("school", "csc", "G", ["education.attendance"], purposes=["safeguarding"], when={"risk": ["unknown"]}),
             to("school", "csc", "X", ["education.attendance"], "refuse", purposes=["safeguarding"],
                when={"risk": "red"}, priority=1)]
    p = net(rules, fallbacks=[fallback])
    effect = analysis.rule_effect(p).set_index("rule")
    assert effect["status"].to_dict() == {"G": "shadowed", "X": "live"}
    assert effect.loc["G", "overridden_by"] == ("fallback front_door",)
    d = decide(p, {"from": "school", "to": "csc", "categories": ["education.attendance"], "stage": "referral",
                   "purpose": "safeguarding"})
    assert (d.outcome, d.fallbacks, d.rules_matched) == ("escalate", ("front_door",), ("G",))
    finding = next(f for f in review(p).findings if f.code == "RV121")
    assert "fallback front_door" in finding.message
    # without the fallback the same request is decided by G, which is live
    assert analysis.rule_effect(net(rules)).set_index("rule").loc["G", "status"] == "live"


def test_a_conflict_where_the_fallback_always_decides_is_not_reported():
    # A and B overlap only while risk is unknown, and there H (priority 1, escalate) waits on risk and would
    # outrank B's refusal with another outcome: the fallback decides.
    fallback = {"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
                "escalate_to": "MASH team manager", "rationale": "A concern is never refused for want of a rule."}
    scope = dict(purposes=["safeguarding"])
    rules = [to("school", "csc", "A", ["education.attendance"], when={"risk": ["unknown"]}, **scope),
             to("school", "csc", "B", ["education.attendance"], "refuse", when={"risk": ["unknown"]}, **scope),
             to("school", "csc", "H", ["education.attendance"], "escalate", when={"risk": "red"}, priority=1,
                **scope)]
    assert analysis.rule_conflicts(net(rules, fallbacks=[fallback])).empty
    assert analysis.rule_conflicts(net(rules))[["rule", "other"]].values.tolist() == [["A", "B"]]


def test_an_obligation_lost_only_in_an_impossible_state_is_not_reported():
    # W2 shares with inform_family (which does not survive an override) when no significant harm is
    # suspected; W1 outranks it when the child is at immediate risk. Both apply only in an impossible state.
    rules = [to("police", "csc", "W1", CAT, when={"immediate_harm": "yes"}, priority=1),
             to("police", "csc", "W2", CAT, when={"significant_harm": "no"}, obligations=["inform_family"])]
    assert "RV160" not in {f.code for f in review(_harm(rules)).findings}
    lost = [f for f in review(_without_constraints(rules)).findings if f.code == "RV160"]
    assert [list(f.rules) for f in lost] == [["W1", "W2"]]
    assert "immediate_harm yes, significant_harm no" in lost[0].message


def test_an_obligation_where_the_fallback_decides_is_not_reported_lost():
    fallback = {"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
                "escalate_to": "MASH team manager", "rationale": "A concern is never refused for want of a rule."}
    scope = dict(purposes=["safeguarding"])
    # W1 outranks W2 only while risk is unknown, and there H (priority 2) waits on risk: the fallback decides.
    rules = [to("police", "csc", "W1", CAT, when={"risk": ["unknown"]}, priority=1, **scope),
             to("police", "csc", "W2", CAT, obligations=["inform_family"], when={"risk": ["unknown"]}, **scope),
             to("police", "csc", "H", CAT, "refuse", when={"risk": "red"}, priority=2, **scope)]
    assert "RV160" not in {f.code for f in review(net(rules, fallbacks=[fallback])).findings}
    assert [list(f.rules) for f in review(net(rules)).findings if f.code == "RV160"] == [["W1", "W2"]]
