"""Big inputs: every bad request in a batch named by its position; long files of plain entries read."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import protocolkit
from protocolkit.engine import decide, decide_many
from protocolkit.engine.requests import Request
from protocolkit.errors import BadRequestsError, UnknownValueError
from protocolkit.model import source as source_module

from helpers import SMALL


@pytest.fixture(scope="module")
def small():
    return protocolkit.load(SMALL)


def table(n: int) -> pd.DataFrame:
    return pd.DataFrame({"from": ["police"] * n, "to": ["csc"] * n, "category": ["criminal.intelligence"] * n,
                         "stage": ["screening"] * n, "purpose": ["safeguarding"] * n, "risk": ["amber"] * n})


def test_every_bad_row_is_named_by_its_index(small):
    frame = table(20_000)
    frame.loc[3, "to"] = "csk"
    frame.loc[5_000, "category"] = "criminal.intelligense"
    frame.loc[19_999, "risk"] = "purple"
    with pytest.raises(BadRequestsError) as caught:
        decide_many(small, frame, detail="outcome")
    error = caught.value
    assert error.rows == [3, 5_000, 19_999]
    text = str(error)
    assert "request 3: unknown partner 'csk'" in text and "did you mean 'csc'" in text
    assert "request 5000: unknown category 'criminal.intelligense'" in text
    assert "request 19999: unknown value of fact 'risk' 'purple'" in text
    assert isinstance(error, UnknownValueError)  # callers catching the old error still catch it


def test_the_list_form_names_the_right_request(small):
    good = Request("police", "csc", ["criminal.intelligence", "criminal"], "screening", "safeguarding")
    bad = Request("police", "csc", ["criminal.intelligence"], "screening", "safeguardin")
    with pytest.raises(BadRequestsError) as caught:
        decide_many(small, [good, good, bad, good])
    assert caught.value.rows == [2]


def test_many_bad_rows_are_all_counted_and_a_few_shown(small):
    frame = table(5_000)
    frame.loc[frame.index % 5 == 0, "stage"] = "screenin"
    with pytest.raises(BadRequestsError) as caught:
        decide_many(small, frame, detail="outcome")
    assert caught.value.rows == list(range(0, 5_000, 5))
    lines = str(caught.value).splitlines()
    assert lines[0] == "1,000 requests cannot be decided:"
    assert len(lines) == 2 + BadRequestsError.SHOWN and "980 more" in lines[-1]


@pytest.mark.parametrize("detail", ["outcome", "rules", "full"])
def test_errors_gap_decides_the_rest_and_marks_the_bad_rows(small, detail):
    frame = table(50)
    frame.loc[7, "from"] = "polise"
    frame.loc[8, "risk"] = "purple"
    result = decide_many(small, frame, detail=detail, errors="gap")
    assert len(result) == 50
    assert list(result.loc[[7, 8], "outcome"]) == ["gap", "gap"]
    assert "unknown partner 'polise'" in result.loc[7, "problem"]
    assert result["problem"].isna().sum() == 48
    expected = decide_many(small, table(50), detail=detail)
    good = [i for i in range(50) if i not in (7, 8)]
    assert list(result.loc[good, "outcome"]) == list(expected.loc[good, "outcome"])
    assert result.loc[7, "rule"] is None


def test_every_unknown_fact_of_a_mapping_is_reported(small):
    request = Request("police", "csc", ["criminal.intelligence"], "screening", "safeguarding",
                      {"rsk": "amber", "consent": "maybe", "risk": "purple"})
    with pytest.raises(UnknownValueError) as caught:
        decide(small, request)
    text = str(caught.value)
    assert "'rsk'" in text and "'purple'" in text


def test_the_alias_guard_counts_expansion_not_size():
    plain = {"steps": [{"requests": [{"from": "police", "to": "csc", "categories": ["x"], "purpose": "p"}
                                     for _ in range(60_000)]}]}
    assert len(source_module.to_plain(plain)["steps"][0]["requests"]) == 60_000  # 300,000 values, no alias
    shared = [1] * 1_000
    with pytest.raises(source_module.TooLarge):
        source_module.to_plain([shared] * 1_000)  # 1,000,000 values through 999 repeats
