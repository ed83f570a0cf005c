"""The shipped example's fact constraints remove states no Northbridge case can be in."""

from __future__ import annotations

import pytest

import protocolkit
from protocolkit.engine.guarantees import check_guarantees
from protocolkit.errors import ImpossibleFactsError


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


def test_the_example_declares_its_constraints(mash):
    assert {c.id for c in mash.fact_constraints} >= {"risk_indicators_need_an_adult",
                                                     "young_person_decides_only_when_competent"}


def test_a_risk_answer_about_an_adult_nobody_has_seen_is_refused(mash):
    request = {"from": "early_help_keyworker", "to": "childrens_social_care", "categories": ["household.composition"],
               "stage": "plan", "purpose": "safeguarding", "facts": {"household.adult_risk_indicators": "yes"}}
    with pytest.raises(ImpossibleFactsError) as caught:
        protocolkit.decide(mash, request)
    assert "risk_indicators_need_an_adult" in str(caught.value)
    request["facts"]["household.other_adult_present"] = "yes"
    assert protocolkit.decide(mash, request).outcome != "gap"


def test_the_guarantees_are_proven_over_fewer_requests_than_without_constraints(mash):
    with_constraints = check_guarantees(mash)
    free = mash.model_copy(update={"fact_constraints": []})
    without = check_guarantees(free)
    assert with_constraints.ok
    for a, b in zip(with_constraints.results, without.results):
        assert a.space_size < b.space_size
