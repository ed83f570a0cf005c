"""Request tables with text columns decide exactly as with categorical ones (issue 14, "Batches and big inputs").

Text and object columns are dictionary-encoded (each distinct object looked up once); these tests pin that
the codes are those of a look-up per row whatever the column holds: equal strings that are different
objects, missing cells of every kind, booleans beside numbers, a new object in every row, unknown values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import protocolkit
from protocolkit.engine import decide, decide_many
from protocolkit.engine.requests import MANY_OBJECTS, _distinct_objects
from protocolkit.errors import BadRequestsError

PARTNERS = ["police", "childrens_social_care", "school", "health_visiting", "probation", "early_help"]
CATEGORIES = ["identity.name", "criminal.intelligence", "health.injury_observations", "criminal.cautions",
              "education.attendance", "social_care"]
FACTS = {"risk": ["red", "amber", "green"], "consent": ["given", "refused"], "statutory_notice": ["yes", "no"]}


@pytest.fixture(scope="module")
def small():   # the shipped example: enough rules and facts to reach every outcome
    return protocolkit.load(protocolkit.example_path("mash"))


def requests(small, n: int, seed: int = 3) -> pd.DataFrame:
    """Random requests over the example, as object columns, a quarter of fact cells missing."""
    rng = np.random.default_rng(seed)
    from protocolkit.model.vocabulary import Vocabulary

    v = Vocabulary.of(small)
    columns = {"from": PARTNERS, "to": PARTNERS, "category": CATEGORIES,
               "stage": list(v.stage_ids), "purpose": ["safeguarding", "family_support", "crime_prevention"]}
    frame = pd.DataFrame({k: np.array(values, dtype=object)[rng.integers(0, len(values), n)]
                          for k, values in columns.items()}, dtype=object)
    for fact, values in FACTS.items():
        cells = np.array(values, dtype=object)[rng.integers(0, len(values), n)]
        cells[rng.random(n) < 0.25] = None
        frame[fact] = pd.Series(cells, dtype=object)
    assert (frame.dtypes == object).all()
    return frame


def outcomes(small, frame: pd.DataFrame) -> list:
    table = decide_many(small, frame, detail="outcome")
    return list(zip(table["outcome"].astype(str), table["rule"]))


def test_text_object_string_and_categorical_columns_decide_alike(small):
    frame = requests(small, 3_000)
    expected = outcomes(small, frame)
    assert len(set(o for o, _ in expected)) >= 3   # the sample reaches several outcomes
    assert outcomes(small, frame.astype({c: "str" for c in frame.columns})) == expected
    assert outcomes(small, frame.astype({c: "string" for c in frame.columns})) == expected
    assert outcomes(small, frame.astype({c: "category" for c in frame.columns})) == expected
    # and one request at a time
    for i in range(0, 3_000, 300):
        row = frame.iloc[i]
        d = decide(small, {"from": row["from"], "to": row["to"], "categories": [row["category"]],
                           "stage": row["stage"], "purpose": row["purpose"],
                           "facts": {f: row[f] for f in FACTS if pd.notna(row[f])}})
        assert (d.outcome, d.rule) == expected[i]


def test_equal_strings_made_row_by_row_and_missing_cells_of_every_kind(small):
    frame = requests(small, 2_000)
    expected = outcomes(small, frame)
    copied = frame.copy()
    for column in copied.columns:   # a new object in every row: text made row by row
        copied[column] = [None if v is None else "".join(list(v)) for v in frame[column]]
    assert outcomes(small, copied) == expected
    mixed = frame.copy()
    missing = mixed["risk"].isna().to_numpy()
    mixed.loc[missing, "risk"] = [[None, np.nan, pd.NA][k % 3] for k in range(int(missing.sum()))]
    assert outcomes(small, mixed) == expected


def test_more_distinct_objects_than_the_identity_grouping_takes(small):
    n = MANY_OBJECTS * 2 + 10
    frame = requests(small, n)
    expected = outcomes(small, frame)
    copied = frame.assign(stage=["".join(list(v)) for v in frame["stage"]])
    assert _distinct_objects(copied["stage"].to_numpy(dtype=object)) is None   # read by value instead
    assert outcomes(small, copied) == expected


def test_a_boolean_reads_as_yes_or_no_and_a_number_as_its_text(small):
    """YAML 1.1 and spreadsheets give True for "yes": it reads as "yes"; the number 1 is not "yes"."""
    frame = requests(small, 12).assign(statutory_notice=[True, "yes", False, "no", 1, None] * 2)
    with pytest.raises(BadRequestsError) as caught:
        decide_many(small, frame, detail="outcome")
    assert caught.value.rows == [4, 10]   # only the number 1
    table = decide_many(small, frame, detail="outcome", errors="gap")
    by_text = decide_many(small, frame.assign(statutory_notice=["yes", "yes", "no", "no", None, None] * 2),
                          detail="outcome")
    keep = [i for i in range(12) if i not in (4, 10)]
    assert table["outcome"].astype(str)[keep].tolist() == by_text["outcome"].astype(str)[keep].tolist()


@pytest.mark.parametrize("dtype", [object, "str", "category"])
def test_every_bad_row_of_a_text_column_is_located(small, dtype):
    frame = requests(small, 5_000)
    frame.loc[[7, 2_500, 4_999], "to"] = "csk"
    frame.loc[[8, 2_500], "risk"] = "purple"
    frame = frame.astype({c: dtype for c in frame.columns})
    with pytest.raises(BadRequestsError) as caught:
        decide_many(small, frame, detail="outcome")
    assert caught.value.rows == [7, 8, 2_500, 4_999]
    assert "request 7: unknown partner 'csk'" in str(caught.value)
    marked = decide_many(small, frame, detail="outcome", errors="gap")
    assert marked["problem"].notna().to_numpy().nonzero()[0].tolist() == [7, 8, 2_500, 4_999]
    good = [i for i in range(5_000) if i not in (7, 8, 2_500, 4_999)]
    assert outcomes(small, frame.iloc[good]) == [tuple(x) for x in zip(marked["outcome"].astype(str).iloc[good],
                                                                        marked["rule"].iloc[good])]
