"""The exporters' fast row reader gives exactly the dicts ``DataFrame.to_dict("records")`` gives."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

import protocolkit
from protocolkit.engine.cases import run_cases
from protocolkit.export.records import records
from protocolkit.graph.flows import permitted_flows
from protocolkit.model.cases import load_cases


def _same_cell(a, b) -> bool:
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    if a is pd.NaT:
        return b is pd.NaT
    return type(a) is type(b) and a == b


def _assert_same(frame: pd.DataFrame) -> None:
    expected = frame.to_dict("records")
    got = records(frame)
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected):
        assert list(mine) == list(theirs)
        bad = {k: (mine[k], theirs[k]) for k in theirs if not _same_cell(mine[k], theirs[k])}
        assert not bad, bad


def test_records_read_the_permitted_flows_and_case_results_as_to_dict_does():
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    flows = permitted_flows(protocol)
    assert len(flows) > 1000
    _assert_same(flows)
    _assert_same(run_cases(protocol, load_cases(protocol.folder / "cases")).expectations)


def test_records_keep_missing_values_numbers_and_objects_as_to_dict_does():
    frame = pd.DataFrame({
        "rule": pd.array(["R-1", None, "R-3"], dtype="string"),
        "plain": ["a", None, float("nan")],
        "n": [1, 2, 3], "x": [0.5, float("nan"), 2.0], "ok": [True, False, True],
        "bases": [("a", "b"), (), ("c",)], "boxed": [np.int64(3), "b", np.float64(0.5)], "when": pd.to_datetime(["2026-01-01", None, "2026-03-01"]),
    })
    _assert_same(frame)
    _assert_same(frame.iloc[0:0])
    _assert_same(frame.drop(columns=["rule", "when"]))   # every column plain: read column by column
