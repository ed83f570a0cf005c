"""What is worked out from compiled tables once (every permitted flow) is shared by the tables of the same rules in
effect: a protocol and ``with_defaults`` of it alike, never a protocol whose rules differ."""

from __future__ import annotations

from handbuilt import build, rule
from protocolkit.engine.compiled import compile_protocol
from protocolkit.engine import decide
from protocolkit.graph.flows import permitted_flows
from protocolkit.model.defaults import with_defaults

POLICE = {"id": "police_bases", "senders": {"kinds": ["police"]}, "lawful_bases": ["UKGDPR.6.1.e", "POLICE.common_law"]}
SECURITY = {"id": "security", "title": "Secure email for every share", "obligations": ["secure_channel"]}


def _protocol(bases=("UKGDPR.6.1.e",)):
    return build([rule("P1", "share", sender={"partners": ["police"]}, to={"partners": ["csc"]},
                       categories=["criminal.intelligence"], purposes=["safeguarding"], inherit="add",
                       lawful_bases=list(bases)),
                  rule("S1", "share", sender={"partners": ["school"]}, to={"partners": ["csc"]},
                       categories=["education.attendance"], purposes=["safeguarding"])],
                 defaults=[SECURITY, POLICE])


def test_a_protocol_and_with_defaults_of_it_share_their_flows_but_keep_their_own_tables():
    protocol = _protocol()
    folded = with_defaults(protocol)
    assert folded is not protocol   # the defaults fold bases and obligations into the rules
    mine, theirs = compile_protocol(protocol), compile_protocol(folded)
    assert mine.derived is theirs.derived
    flows = permitted_flows(protocol)
    assert "graph.flows.permitted_flows" in theirs.derived
    assert permitted_flows(folded).equals(flows)
    uncached = permitted_flows(compile_protocol(folded, cache=False))
    assert uncached.equals(flows)
    assert set(flows.loc[flows["rule"] == "P1", "obligations"]) == {("secure_channel",)}
    # the tables of each are their own: an explanation still names what the protocol's rule inherits
    assert mine.inherited != theirs.inherited
    request = {"from": "police", "to": "csc", "categories": ["criminal.intelligence"], "stage": "referral",
               "purpose": "safeguarding"}
    assert "Inherited from the agreement's defaults" in decide(protocol, request).explanation


def test_protocols_whose_rules_in_effect_differ_do_not_share():
    one, other = _protocol(), _protocol(bases=("UKGDPR.6.1.c",))
    assert compile_protocol(one).derived is not compile_protocol(other).derived
    flows = permitted_flows(other)
    assert set(flows.loc[flows["rule"] == "P1", "lawful_bases"]) == {
        ("UKGDPR.6.1.c", "UKGDPR.6.1.e", "POLICE.common_law")}
    assert set(permitted_flows(one).loc[lambda f: f["rule"] == "P1", "lawful_bases"]) == {
        ("UKGDPR.6.1.e", "POLICE.common_law")}
