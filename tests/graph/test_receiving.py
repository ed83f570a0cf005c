"""What each partner may receive: the tables behind the lane and heatmap views, and partner families."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import protocolkit
from protocolkit.errors import UnknownValueError
from protocolkit.graph.receiving import exposure_matrix, lane_table, received, stages_up_to
from protocolkit.model.families import FAMILY_ORDER, Groups, partners_by_family
from protocolkit.model.vocabulary import Vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small():
    return protocolkit.load(ROOT / "tests" / "fixtures" / "small")


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(ROOT / "examples" / "mash")


def test_lane_table_counts_what_each_partner_may_receive(small):
    t = lane_table(small)
    screening = t[(t["stage"] == "screening")].set_index("partner")
    assert screening.loc["csc", "categories"] == 1 and screening.loc["csc", "minimum"] == 1
    assert screening.loc["csc", "groups"] == {"criminal": 1}
    assert screening.loc["police", "categories"] == 0
    assert set(t["stage"]) == set(Vocabulary.of(small).stage_ids)
    assert list(lane_table(small, stage="screening")["stage"].unique()) == ["referral", "screening"]


def test_lanes_show_the_widening_in_the_example(mash):
    totals = lane_table(mash).groupby("stage", sort=False)["categories"].sum()
    assert totals.max() > totals.iloc[0]


def test_exposure_matrix_levels(small):
    m = exposure_matrix(small)
    got = m[m["level"] > 0]
    assert set(zip(got["stage"], got["partner"])) == {("screening", "csc"), ("screening", "mash_team")}
    assert set(got["level"]) == {1}   # a minimum only
    assert m.attrs["leaves"]


def test_exposure_matrix_groups_many_categories(mash):
    whole = exposure_matrix(mash)
    assert not whole.attrs["leaves"]
    assert (whole["column"] == whole["group"]).all()
    one = exposure_matrix(mash, stage="strategy_discussion", purpose="safeguarding")  # few categories
    assert one.attrs["leaves"] and set(one["stage"]) == {"strategy_discussion"}


def test_received_keeps_the_best_outcome_and_leaves_out_a_partner_to_itself():
    flows = pd.DataFrame({"from": ["a", "b", "c", "c"], "to": ["c", "c", "c", "a"], "stage": "s",
                          "category": ["x", "x", "y", "x"],
                          "outcome": ["share_minimum", "share", "share", "share_minimum"]})
    got = {(r.to, r.category): r.outcome for r in received(flows).itertuples()}
    assert got == {("c", "x"): "share", ("a", "x"): "share_minimum"}


def test_an_unknown_stage_is_named_with_the_closest(small, mash):
    with pytest.raises(UnknownValueError, match="did you mean 'screening'"):
        lane_table(mash, stage="screenig")
    with pytest.raises(UnknownValueError, match="screenig"):
        exposure_matrix(mash, stage="screenig")
    assert stages_up_to(Vocabulary.of(mash), None) == list(Vocabulary.of(mash).stage_ids)


def test_partners_come_family_by_family_in_protocol_order_within_one(mash):
    groups = Groups(Vocabulary.of(mash))
    ordered = partners_by_family(mash, groups)
    families = [groups.family(p.kind) for p in ordered]
    assert families == sorted(families, key=FAMILY_ORDER.index)
    for family in set(families):
        mine = [p.id for p in mash.partners if groups.family(p.kind) == family]
        assert [p.id for p in ordered if groups.family(p.kind) == family] == mine
    assert lane_table(mash, stage="referral")["partner"].tolist() == [p.id for p in ordered]
