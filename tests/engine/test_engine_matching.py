"""docs/semantics.md section 2: when a rule matches one category of a request.

Each test builds a protocol with a single `share` rule M whose scope is `any`
except for the part under test, and asks whether a request gets `share` (M
matched) or `gap` (it did not). Every row of the matching table is covered.
"""

from __future__ import annotations

import pytest

from handbuilt import ALL_PARTNERS, build, one, rule


def matches(rule_fields: dict, **req) -> bool:
    decision = one(build([rule("M", **rule_fields)]), **req)
    assert decision.outcome in {"share", "gap"}
    if decision.outcome == "share":
        assert decision.rule == "M"
        return True
    assert decision.rule is None and decision.rules_matched == ()
    return False


def senders_matched(selector) -> set[str]:
    return {p for p in ALL_PARTNERS if matches({"sender": selector}, sender=p)}


def recipients_matched(selector) -> set[str]:
    return {p for p in ALL_PARTNERS if matches({"to": selector}, recipient=p)}


# -- from / to: any ---------------------------------------------------------------------------

def test_from_any_and_to_any_match_every_partner():
    assert senders_matched("any") == set(ALL_PARTNERS)
    assert recipients_matched("any") == set(ALL_PARTNERS)


# -- partners, with part_of teams at any depth ------------------------------------------------

def test_partner_selector_covers_the_partner_and_its_teams_two_levels_down():
    assert senders_matched({"partners": ["csc"]}) == {"csc", "mash", "mash_health"}


def test_partner_selector_on_a_team_covers_its_own_team_but_not_its_parent():
    assert senders_matched({"partners": ["mash"]}) == {"mash", "mash_health"}
    assert senders_matched({"partners": ["mash_health"]}) == {"mash_health"}


def test_partner_selector_on_the_recipient_side_covers_teams_too():
    assert recipients_matched({"partners": ["csc"]}) == {"csc", "mash", "mash_health"}
    assert recipients_matched({"partners": ["school", "dwp"]}) == {"school", "dwp"}


# -- kinds, with sub-kinds, and a team counting as the kinds of what it is part of ------------

def test_kind_selector_covers_sub_kinds():
    # gp and health_visiting are kinds below health; mash_health is itself of kind health
    assert senders_matched({"kinds": ["health"]}) == {"nhs_trust", "gp_surgery", "hv_team", "mash_health"}


def test_kind_selector_on_a_sub_kind_does_not_cover_the_broader_kind():
    assert senders_matched({"kinds": ["gp"]}) == {"gp_surgery"}


def test_team_counts_as_the_kinds_of_the_organisations_it_is_part_of():
    # mash_health is of kind health, but part of mash, part of csc (childrens_social_care)
    assert senders_matched({"kinds": ["childrens_social_care"]}) == {"csc", "mash", "mash_health"}
    # ... and so also of local_authority, the kind above childrens_social_care; keyworker is early_help
    assert senders_matched({"kinds": ["local_authority"]}) == {"csc", "mash", "mash_health", "keyworker"}


def test_an_organisation_does_not_take_the_kinds_of_its_teams():
    # csc contains a health desk, but csc itself is not a health partner
    assert "csc" not in senders_matched({"kinds": ["health"]})
    assert "mash" not in recipients_matched({"kinds": ["health"]})


def test_kind_selector_on_the_recipient_side():
    assert recipients_matched({"kinds": ["education"]}) == {"school"}
    assert recipients_matched({"kinds": ["central_government"]}) == {"dwp"}


def test_partners_and_kinds_in_one_selector_match_either():
    assert senders_matched({"partners": ["police"], "kinds": ["gp"]}) == {"police", "gp_surgery"}
    assert senders_matched({"partners": ["mash"], "kinds": ["school"]}) == {"mash", "mash_health", "school"}


# -- categories: hierarchy downward only --------------------------------------------------------

@pytest.mark.parametrize("category, expected", [
    ("health", True),
    ("health.mental_health", True),
    ("health.physical", True),
    ("health.mental_health.camhs", True),  # two levels below
    ("camhs_letters", True),               # explicit parent health.mental_health
    ("education", False),
    ("education.attendance", False),
])
def test_rule_on_a_category_covers_it_and_everything_below(category, expected):
    assert matches({"categories": ["health"]}, categories=category) is expected


@pytest.mark.parametrize("category, expected", [
    ("health.mental_health", True),
    ("health.mental_health.camhs", True),
    ("camhs_letters", True),
    ("health", False),            # downward only: not the parent
    ("health.physical", False),   # nor a sibling
])
def test_rule_on_a_sub_category_does_not_cover_its_parent(category, expected):
    assert matches({"categories": ["health.mental_health"]}, categories=category) is expected


def test_rule_on_each_part_still_does_not_cover_the_whole():
    # semantics: to share `health` as a whole you need a rule on `health` itself
    protocol = build([rule("M", categories=["health.mental_health", "health.physical"])])
    assert one(protocol, categories="health").outcome == "gap"
    assert one(protocol, categories="health.physical").outcome == "share"


def test_category_list_matches_any_member():
    fields = {"categories": ["criminal.intelligence", "housing"]}
    assert matches(fields, categories="criminal.intelligence")
    assert matches(fields, categories="housing.arrears")
    assert not matches(fields, categories="criminal.convictions")


def test_categories_any_matches_every_category_including_protocol_ones():
    for category in ("health", "camhs_letters", "health.mental_health.camhs", "probation.supervision"):
        assert matches({"categories": "any"}, categories=category)


# -- stages and purposes ------------------------------------------------------------------------

@pytest.mark.parametrize("stage, expected", [
    ("screening", True), ("strategy_discussion", True), ("referral", False), ("assessment", False),
])
def test_stage_list_matches_only_its_stages(stage, expected):
    assert matches({"stages": ["screening", "strategy_discussion"]}, stage=stage) is expected


@pytest.mark.parametrize("purpose, expected", [
    ("safeguarding", True), ("crime_prevention", True), ("benefit_administration", False),
])
def test_purpose_list_matches_only_its_purposes(purpose, expected):
    assert matches({"purposes": ["safeguarding", "crime_prevention"]}, purpose=purpose) is expected


def test_stages_any_and_purposes_any_match_everything():
    for stage in ("referral", "closure"):
        for purpose in ("safeguarding", "service_planning"):
            assert matches({"stages": "any", "purposes": "any"}, stage=stage, purpose=purpose)


def test_protocol_with_its_own_stages_matches_on_them():
    stages = [{"id": "intake", "label": "Intake"}, {"id": "triage", "label": "Triage"}]
    protocol = build([rule("M", stages=["triage"])], stages=stages)
    assert one(protocol, stage="triage").outcome == "share"
    assert one(protocol, stage="intake").outcome == "gap"


def test_protocol_purpose_added_to_shipped_ones():
    purposes = [{"id": "audit", "label": "Audit"}]
    protocol = build([rule("M", purposes=["audit"])], purposes=purposes)
    assert one(protocol, purpose="audit").outcome == "share"
    assert one(protocol, purpose="safeguarding").outcome == "gap"


# -- every part of the scope must hold (AND) ----------------------------------------------------

def test_all_parts_of_the_scope_must_hold():
    fields = {"sender": {"kinds": ["police"]}, "to": {"partners": ["csc"]}, "categories": ["criminal"],
              "stages": ["screening"], "purposes": ["safeguarding"], "when": {"risk": "red"}}
    good = dict(sender="police", recipient="mash", categories="criminal.intelligence",
                stage="screening", purpose="safeguarding", risk="red")
    assert matches(fields, **good)
    for change in ({"sender": "gp_surgery"}, {"recipient": "school"}, {"categories": "health"},
                   {"stage": "referral"}, {"purpose": "crime_prevention"}, {"risk": "amber"}):
        assert not matches(fields, **{**good, **change}), change
