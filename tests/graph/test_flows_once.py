"""The whole protocol's permitted flows are worked out once per content and handed out as copies: a caller's
changes never reach the next caller, and a protocol edited in place (the workbench does) gets its new flows."""

from __future__ import annotations

import protocolkit
from protocolkit.engine.compiled import compile_protocol
from protocolkit.graph.flows import _permitted_flows, permitted_flows


def _fresh(protocol):
    """The flows worked out from scratch: tables compiled anew, no memo read."""
    return _permitted_flows(compile_protocol(protocol, cache=False), None, None, None, senders=None,
                            recipients=None, categories=None, stages=None, purposes=None)


def test_each_caller_gets_its_own_copy():
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    first = permitted_flows(protocol)
    expected = _fresh(protocol)
    assert first.equals(expected)
    with_facts = first.index[first["facts"].map(bool)][0]
    first.loc[0, "rule"] = "CHANGED"
    first["facts"][with_facts]["invented"] = "yes"   # a dict in a cell, changed where it lies
    first.loc[1, "lawful_bases"] = ()
    second = permitted_flows(protocol)
    assert second.equals(expected)
    assert "invented" not in second.loc[with_facts, "facts"]
    assert second is not permitted_flows(protocol)


def test_a_protocol_edited_in_place_gets_the_flows_of_its_new_rules():
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    before = permitted_flows(protocol)
    sharing = next(i for i, r in enumerate(protocol.rules) if r.outcome == "share" and (before["rule"] == r.id).any())
    rule_id = protocol.rules[sharing].id
    protocol.rules[sharing] = protocol.rules[sharing].model_copy(update={"outcome": "refuse"})   # in place
    after = permitted_flows(protocol)
    assert not (after["rule"] == rule_id).any()
    assert after.equals(_fresh(protocol))
    assert not after.equals(before)
