"""decide_many: the table form gives exactly what decide gives, in every accepted input shape."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from protocolkit.engine import DECISION_COLUMNS, decide, decide_many

from handbuilt import build, request, rule

PROTOCOL = build(
    [
        rule("R-REF", "refuse", categories=["criminal"], to={"kinds": ["education"]}),
        rule("R-MIN", "share_minimum", sender={"kinds": ["police"]}, categories=["criminal"],
             when={"risk": ">= amber"}, obligations=["record_decision"], lawful_bases=["UKGDPR.6.1.e", "UKGDPR.10"]),
        rule("R-CONSENT", "seek_consent", categories=["health"], when={"consent": ["not_sought", "unknown"]}),
        rule("R-HEALTH", "share", sender={"kinds": ["health"]}, to={"partners": ["csc"]}, categories=["health"],
             obligations=[{"deadline": "within a day"}], lawful_bases=["UKGDPR.6.1.e", "UKGDPR.9.2.g"]),
        rule("R-RED", "share", priority=1, categories=["health"], when={"risk": "red"},
             obligations=["inform_family"], lawful_bases=["UKGDPR.6.1.e"]),
        rule("R-ESC", "escalate", stages=["referral"], categories=["education"]),
    ],
    need_to_know=[{"id": "csc_health", "recipient": {"partners": ["csc"]}, "stages": "any", "purposes": "any",
                   "categories": ["health"]}],
)

SENDERS = ["police", "gp_surgery", "mash_health"]
RECIPIENTS = ["csc", "school"]
CATEGORY_SETS = [("criminal.intelligence",), ("health.physical", "education.attendance")]
FACT_SETS = [{}, {"risk": "red"}, {"risk": "amber", "consent": "given"}, {"consent": "not_sought"}]
STAGES = ["referral", "screening"]

REQUESTS = [request(s, r, c, stage, **facts)
            for s, r, c, facts, stage in itertools.product(SENDERS, RECIPIENTS, CATEGORY_SETS, FACT_SETS, STAGES)]


def _expected_rows(requests):
    rows = []
    for position, req in enumerate(requests):
        for c in decide(PROTOCOL, req).categories:
            rows.append((position, c.category, c.outcome, c.rule, c.deciding_rules, c.rules_matched, c.lawful_bases,
                         c.obligations, c.minimum, c.escalate_to, c.need_to_know, c.explanation))
    return rows


def _text(value):
    """A missing text cell: pandas may hold None as NaN."""
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _actual_rows(table):
    return [(int(r["request"]), r["category"], str(r["outcome"]), _text(r["rule"]),
             tuple(r["deciding_rules"]), tuple(r["rules_matched"]), tuple(r["lawful_bases"]), tuple(r["obligations"]),
             _text(r["minimum"]), _text(r["escalate_to"]), str(r["need_to_know"]), r["explanation"])
            for r in table.to_dict("records")]


def test_grid_covers_every_outcome():
    outcomes = {c.outcome for req in REQUESTS for c in decide(PROTOCOL, req).categories}
    assert outcomes == {"gap", "refuse", "escalate", "seek_consent", "share_minimum", "share"}
    assert len(REQUESTS) >= 48


def test_decide_many_matches_decide_on_every_request_and_category():
    table = decide_many(PROTOCOL, REQUESTS)
    assert list(table.columns) == DECISION_COLUMNS
    assert _actual_rows(table) == _expected_rows(REQUESTS)


def test_decide_many_accepts_mappings_as_well_as_requests():
    mappings = [{"from": r.sender, "to": r.recipient, "categories": list(r.categories), "stage": r.stage,
                 "purpose": r.purpose, "facts": dict(r.facts)} for r in REQUESTS]
    assert _actual_rows(decide_many(PROTOCOL, mappings)) == _expected_rows(REQUESTS)


def _frame(requests, facts_as):
    data = {"from": [r.sender for r in requests], "to": [r.recipient for r in requests],
            "categories": [list(r.categories) for r in requests], "stage": [r.stage for r in requests],
            "purpose": [r.purpose for r in requests]}
    if facts_as == "dicts":
        data["facts"] = [dict(r.facts) for r in requests]
    else:
        for fact in ("risk", "consent"):
            data[fact] = [r.facts.get(fact, np.nan) for r in requests]  # NaN: the request does not state it
    return pd.DataFrame(data)


@pytest.mark.parametrize("facts_as", ["dicts", "columns"])
def test_dataframe_with_a_facts_column_or_one_column_per_fact(facts_as):
    table = decide_many(PROTOCOL, _frame(REQUESTS, facts_as))
    assert _actual_rows(table) == _expected_rows(REQUESTS)


def test_nan_and_none_in_a_fact_column_mean_unknown():
    base = {"from": ["gp_surgery"] * 3, "to": ["csc"] * 3, "category": ["health.physical"] * 3,
            "stage": ["screening"] * 3, "purpose": ["safeguarding"] * 3}
    table = decide_many(PROTOCOL, pd.DataFrame({**base, "consent": [np.nan, None, "given"]}))
    # consent unknown satisfies R-CONSENT's [not_sought, unknown]: seek_consent beats R-HEALTH's share
    assert list(table["outcome"].astype(str)) == ["seek_consent", "seek_consent", "share"]
    assert list(table["rule"]) == ["R-CONSENT", "R-CONSENT", "R-HEALTH"]


def test_single_category_column():
    frame = pd.DataFrame({"from": ["police", "police"], "to": ["school", "csc"],
                          "category": ["criminal.intelligence", "criminal.intelligence"],
                          "stage": ["screening", "screening"], "purpose": ["safeguarding", "safeguarding"],
                          "risk": ["red", "red"]})
    table = decide_many(PROTOCOL, frame)
    assert list(table["request"]) == [0, 1]
    assert list(table["outcome"].astype(str)) == ["refuse", "share_minimum"]
    assert list(table["rule"]) == ["R-REF", "R-MIN"]
    assert [_text(v) for v in table["minimum"]] == [None, "minimum of R-MIN"]


def test_several_categories_make_one_row_each_with_the_request_position():
    table = decide_many(PROTOCOL, REQUESTS[:4])
    expected = [(i, c) for i, r in enumerate(REQUESTS[:4]) for c in r.categories]
    assert list(zip(table["request"], table["category"])) == expected


def test_detail_outcome_gives_only_the_outcome_columns_with_the_same_answers():
    table = decide_many(PROTOCOL, REQUESTS, detail="outcome")
    assert list(table.columns) == ["request", "from", "to", "category", "stage", "purpose", "outcome", "rule",
                                   "need_to_know", "fallback"]
    full = decide_many(PROTOCOL, REQUESTS)
    assert list(table["outcome"].astype(str)) == list(full["outcome"].astype(str))
    assert [_text(v) for v in table["rule"]] == [_text(v) for v in full["rule"]]
    assert list(table["need_to_know"].astype(str)) == list(full["need_to_know"].astype(str))


@pytest.mark.parametrize("empty", [[], pd.DataFrame(columns=["from", "to", "categories", "stage", "purpose"])])
@pytest.mark.parametrize("detail", ["full", "outcome"])
def test_empty_table_gives_an_empty_result(empty, detail):
    table = decide_many(PROTOCOL, empty, detail=detail)
    assert len(table) == 0
    assert {"request", "category", "outcome", "rule", "need_to_know"} <= set(table.columns)
    if detail == "full":
        assert list(table.columns) == DECISION_COLUMNS


def test_repeated_requests_are_decided_identically():
    req = request("gp_surgery", "csc", ["health.physical"], "screening", risk="red")
    table = decide_many(PROTOCOL, [req] * 5)
    assert table["rule"].tolist() == ["R-RED"] * 5
    # R-RED overrides R-HEALTH, which shares too: its deadline survives the override (semantics section 12)
    assert table["obligations"].map(tuple).tolist() == [("inform_family", "deadline: within a day")] * 5


def test_boolean_fact_column_reads_like_the_facts_column():
    protocol = build([rule("NOTICE", "share", when={"statutory_notice": "yes"})])
    base = {"from": ["police"], "to": ["csc"], "category": ["health"], "stage": ["screening"],
            "purpose": ["safeguarding"]}
    as_dicts = decide_many(protocol, pd.DataFrame({**base, "facts": [{"statutory_notice": True}]}))
    assert str(as_dicts["outcome"].iat[0]) == "share"
    as_column = decide_many(protocol, pd.DataFrame({**base, "statutory_notice": [True]}))
    assert str(as_column["outcome"].iat[0]) == "share"
