"""Retention (docs/semantics.md sections 13 and 18): on generated protocols that state retention everywhere it can
be stated, every permitted flow is decided with the periods the brute-force reading of section 18 gives
(tests/engine/generated.py ``retention_oracle``), in ``decide`` and in ``decide_many``.

Uniform requests seldom reach a share (a refusal usually decides first), so this test asks for the protocols'
permitted flows, with the facts that let each go: every one shares, and its periods are compared. It is not
vacuous: over the generated protocols the periods come from each origin, and from a rule's own terms with the
inherited ones added.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from generated import FEATURES, oracle, possible_facts, protocols
from protocolkit.engine import Request, decide, decide_many
from protocolkit.graph import permitted_flows


def test_every_permitted_flow_carries_the_periods_section_18_gives():
    origins: set[frozenset] = set()

    @settings(max_examples=25, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(protocol=protocols(FEATURES - {"history"}))
    def check(protocol):
        flows = permitted_flows(protocol).to_dict("records")[:60]
        requests = [Request(f["from"], f["to"], (f["category"],), f["stage"], f["purpose"], dict(f["facts"]),
                            None, f["requested_by"] if isinstance(f["requested_by"], str) else None,
                            f["about"] if isinstance(f["about"], str) else None) for f in flows]
        requests = [r for r in requests if possible_facts(protocol, r)]   # (a flow's smallest facts may break one)
        if not requests:
            return
        table = decide_many(protocol, requests, detail="rules")
        for request, row in zip(requests, table.to_dict("records")):
            want = oracle(protocol, request, request.categories[0])
            got = decide(protocol, request).categories[0]
            assert list(got.retention) == list(want["retention"]) == list(row["retention"]), (request, want)
            origins.add(frozenset(p["origin"] for p in want["retention"]))

    check()
    assert {frozenset({"rule"}), frozenset({"default"}), frozenset({"statement"}),
            frozenset({"rule", "default"})} <= origins, origins
