"""Property test: decide, decide_many and a brute-force reading of docs/semantics.md agree.

The oracle (tests/engine/generated.py) re-implements the semantics in the plainest
way (loops over rules, parents walked by hand), sharing no code with the compiled tables. For
generated protocols and requests, every category's outcome, deciding rule,
deciding and matched rules, lawful bases, obligations and need-to-know must be
the same three ways.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generated import FEATURES, FACTS, history_ids, oracle, possible_facts, protocols, requests
from protocolkit.engine import decide, decide_many
from protocolkit.errors import ImpossibleFactsError


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_decide_and_decide_many_agree_with_the_semantics(data):
    protocol = data.draw(protocols(FEATURES))
    drawn = [data.draw(requests(protocol)) for _ in range(data.draw(st.integers(1, 6)))]
    # a request whose facts break a fact constraint is bad input, refused by both, naming the first such request
    impossible = [i for i, r in enumerate(drawn) if not possible_facts(protocol, r)]
    event("some request impossible" if impossible else "every request possible")
    for index in impossible:
        with pytest.raises(ImpossibleFactsError):
            decide(protocol, drawn[index])
    if impossible:
        with pytest.raises(ImpossibleFactsError) as caught:
            decide_many(protocol, drawn)
        assert caught.value.row == impossible[0]
    batch = [r for i, r in enumerate(drawn) if i not in impossible]
    if not batch:
        return
    table = decide_many(protocol, batch)
    for index, request in enumerate(batch):
        decision = decide(protocol, request)
        rows = table[table["request"] == index].reset_index(drop=True)
        assert list(rows["category"]) == list(request.categories)
        for row, got in zip(rows.to_dict("records"), decision.categories):
            want = oracle(protocol, request, got.category)
            event(f"outcome {want['outcome']}")
            event(f"{len(want['matched'])} rules matched" if len(want["matched"]) < 3 else "3+ rules matched")
            assert got.outcome == want["outcome"] == str(row["outcome"]), (request, got.category)
            assert got.rule == want["rule"] == (row["rule"] if isinstance(row["rule"], str) else None)
            assert set(got.deciding_rules) == set(want["deciding"]) == set(row["deciding_rules"])
            assert frozenset(got.rules_matched) == want["matched"] == frozenset(row["rules_matched"])
            assert set(got.lawful_bases) == set(want["bases"]) == set(row["lawful_bases"])
            assert set(got.obligations) == set(want["obligations"]) == set(row["obligations"])
            assert got.need_to_know == want["need"] == str(row["need_to_know"])
            event(f"sharing {want['sharing']}")
            assert got.sharing == want["sharing"] == (row["sharing"] if isinstance(row["sharing"], str) else None)
            assert got.decided_by == want["decided_by"] == (row["decided_by"] if isinstance(row["decided_by"], str)
                                                             else None)
            event(f"fallback {want['fallback_reason']}")
            assert got.fallback == want["fallback"] == (row["fallback"] if isinstance(row["fallback"], str) else None)
            assert got.fallback_reason == want["fallback_reason"] == row["fallback_reason"]
            assert frozenset(got.waiting_rules) == want["waiting_rules"] == frozenset(row["waiting_rules"])
            assert tuple(got.waiting_on) == want["waiting_on"] == tuple(row["waiting_on"])
            assert got.gap == (not want["matched"])
            # retention (section 18): the periods in effect, in order, from the layer that says anything
            event(f"retention from {sorted({p['origin'] for p in want['retention']})}")
            assert list(got.retention) == list(want["retention"]) == list(row["retention"]), (request, got.category)
            assert got.explanation == row["explanation"]


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_one_column_per_fact_gives_the_same_answers_as_a_facts_column(data):
    protocol = data.draw(protocols(FEATURES))
    batch = [r for r in (data.draw(requests(protocol)) for _ in range(5)) if possible_facts(protocol, r)]
    if not batch:
        return
    with_dicts = decide_many(protocol, batch, detail="outcome")
    flat = pd.DataFrame([{"from": r.sender, "to": r.recipient, "categories": list(r.categories), "stage": r.stage,
                          "purpose": r.purpose, "requester": r.requester, "requested_by": r.requested_by,
                          "about": r.about,
                          **{f: r.facts.get(f) for f in sorted({*FACTS, "child_competent", *history_ids(protocol),
                                                                *(k for b in batch for k in b.facts)})}}
                         for r in batch])
    with_columns = decide_many(protocol, flat, detail="outcome")
    assert with_dicts["outcome"].astype(str).tolist() == with_columns["outcome"].astype(str).tolist()
    assert with_dicts["rule"].tolist() == with_columns["rule"].tolist()
