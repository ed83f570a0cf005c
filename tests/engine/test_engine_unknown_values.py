"""docs/semantics.md section 1: a request naming something the protocol lacks is bad input.

It raises UnknownValueError naming the value and the closest matches, in decide,
decide_many (every input shape) and why_not, and is never quietly decided as a gap.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from protocolkit import ProtocolError, UnknownValueError
from protocolkit.engine import decide, decide_many, why_not

from handbuilt import build, rule

PROTOCOL = build([rule("ALL", "share")])

GOOD = {"from": "police", "to": "csc", "categories": ["health.mental_health"], "stage": "screening",
        "purpose": "safeguarding", "facts": {"risk": "amber"}}

# (change to the good request, what the error names, the bad value, a suggestion it must offer)
BAD = [
    ({"from": "polise"}, "partner", "polise", "police"),
    ({"to": "cs"}, "partner", "cs", "csc"),
    ({"to": "mash_helth"}, "partner", "mash_helth", "mash_health"),
    ({"categories": ["health.mental_helth"]}, "category", "health.mental_helth", "health.mental_health"),
    ({"categories": ["health", "educaton"]}, "category", "educaton", "education"),
    ({"stage": "screenin"}, "stage", "screenin", "screening"),
    ({"purpose": "safegaurding"}, "purpose", "safegaurding", "safeguarding"),
    ({"facts": {"rsik": "amber"}}, "fact", "rsik", "risk"),
    ({"facts": {"risk": "ambre"}}, "value of fact 'risk'", "ambre", "amber"),
    ({"facts": {"consent": "refsued"}}, "value of fact 'consent'", "refsued", "refused"),
]
IDS = [f"{what}:{value}" for _, what, value, _ in BAD]


def _check(exc: UnknownValueError, what: str, value: str, suggestion: str) -> None:
    assert isinstance(exc, ProtocolError) and isinstance(exc, ValueError)
    assert exc.what == what
    assert exc.value == value
    assert suggestion in exc.suggestions
    assert repr(value) in str(exc) and repr(suggestion) in str(exc)


@pytest.mark.parametrize("change, what, value, suggestion", BAD, ids=IDS)
def test_decide_refuses_unknown_names_with_suggestions(change, what, value, suggestion):
    with pytest.raises(UnknownValueError) as info:
        decide(PROTOCOL, {**GOOD, **change})
    _check(info.value, what, value, suggestion)


@pytest.mark.parametrize("change, what, value, suggestion", BAD, ids=IDS)
def test_decide_many_refuses_unknown_names_in_a_list_of_requests(change, what, value, suggestion):
    with pytest.raises(UnknownValueError) as info:
        decide_many(PROTOCOL, [GOOD, {**GOOD, **change}, GOOD])
    _check(info.value, what, value, suggestion)


@pytest.mark.parametrize("change, what, value, suggestion", BAD, ids=IDS)
@pytest.mark.parametrize("detail", ["full", "outcome"])
def test_decide_many_refuses_unknown_names_in_a_dataframe(change, what, value, suggestion, detail):
    frame = pd.DataFrame([GOOD, {**GOOD, **change}])
    with pytest.raises(UnknownValueError) as info:
        decide_many(PROTOCOL, frame, detail=detail)
    _check(info.value, what, value, suggestion)


def test_decide_many_refuses_an_unknown_value_in_a_fact_column():
    frame = pd.DataFrame({"from": ["police"] * 2, "to": ["csc"] * 2, "category": ["health"] * 2,
                          "stage": ["screening"] * 2, "purpose": ["safeguarding"] * 2, "risk": ["amber", "rde"]})
    with pytest.raises(UnknownValueError) as info:
        decide_many(PROTOCOL, frame)
    _check(info.value, "value of fact 'risk'", "rde", "red")


def test_decide_many_refuses_an_unknown_category_in_a_single_category_column():
    frame = pd.DataFrame({"from": ["police"], "to": ["csc"], "category": ["helth"], "stage": ["screening"],
                          "purpose": ["safeguarding"]})
    with pytest.raises(UnknownValueError) as info:
        decide_many(PROTOCOL, frame)
    _check(info.value, "category", "helth", "health")


@pytest.mark.parametrize("change, what, value, suggestion", BAD[:3] + BAD[7:9], ids=IDS[:3] + IDS[7:9])
def test_why_not_refuses_unknown_names(change, what, value, suggestion):
    with pytest.raises(UnknownValueError) as info:
        why_not(PROTOCOL, {**GOOD, **change})
    _check(info.value, what, value, suggestion)


def test_an_unknown_value_is_refused_even_where_a_gap_would_follow():
    empty = build([])
    assert decide(empty, GOOD).outcome == "gap"
    with pytest.raises(UnknownValueError):
        decide(empty, {**GOOD, "categories": ["no_such_category"]})


def test_a_value_of_another_fact_is_not_accepted():
    # "given" is a value of consent, not of risk
    with pytest.raises(UnknownValueError) as info:
        decide(PROTOCOL, {**GOOD, "facts": {"risk": "given"}})
    assert info.value.value == "given"


def test_unknown_as_a_stated_value_is_accepted():
    assert decide(PROTOCOL, {**GOOD, "facts": {"risk": "unknown", "consent": "unknown"}}).outcome == "share"


def test_decide_many_refuses_a_misspelt_fact_column():
    protocol = build([rule("AMBER", "share", when={"risk": ">= amber"})])
    frame = pd.DataFrame({"from": ["police"], "to": ["csc"], "category": ["health"], "stage": ["screening"],
                          "purpose": ["safeguarding"], "rsik": ["red"]})
    with pytest.raises(UnknownValueError) as info:
        decide_many(protocol, frame)
    assert "risk" in info.value.suggestions


def test_decide_many_meets_unknown_names_without_deprecated_pandas_behaviour():
    frame = pd.DataFrame([GOOD, {**GOOD, "from": "polise"}])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(UnknownValueError):
            decide_many(PROTOCOL, frame)
    assert [w.category.__name__ for w in caught if issubclass(w.category, DeprecationWarning)] == []
