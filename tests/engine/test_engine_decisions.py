"""docs/semantics.md sections 4-6: gaps, several categories, need-to-know and explanations."""

from __future__ import annotations

import pytest

from handbuilt import ask, build, one, rule

# -- gaps vs refusals (section 5) ---------------------------------------------------------------


def test_no_matching_rule_is_a_gap_not_a_refusal():
    protocol = build([rule("R1", "refuse", categories=["criminal"])])
    gap = one(protocol, categories="health")
    assert gap.outcome == "gap" and gap.gap and not gap.shared
    assert gap.rule is None and gap.deciding_rules == () and gap.rules_matched == ()
    assert gap.lawful_bases == () and gap.obligations == ()
    assert "gap" in gap.explanation and "No rule covers" in gap.explanation
    refused = one(protocol, categories="criminal.convictions")
    assert refused.outcome == "refuse" and not refused.gap and not refused.shared
    assert refused.rule == "R1"
    assert "gap" not in refused.explanation


def test_empty_protocol_gives_gaps_everywhere():
    decision = ask(build([]), categories=["health", "education"])
    assert decision.outcome == "gap"
    assert [c.outcome for c in decision.categories] == ["gap", "gap"]
    assert decision.may_share == ()


# -- several categories (section 6) ---------------------------------------------------------------

def _per_category_protocol():
    """Each top-level category gets its own outcome."""
    return build([
        rule("SHARE", "share", categories=["education"]),
        rule("MIN", "share_minimum", categories=["contact"]),
        rule("CONSENT", "seek_consent", categories=["health"]),
        rule("ESC", "escalate", categories=["social_care"]),
        rule("REF", "refuse", categories=["criminal"]),
    ])


CATEGORY_OF = {"share": "education.attendance", "share_minimum": "contact.address", "seek_consent": "health.physical",
               "escalate": "social_care.assessment", "refuse": "criminal.cautions", "gap": "housing.tenancy"}
OVERALL_ORDER = ["gap", "refuse", "escalate", "seek_consent", "share_minimum", "share"]


@pytest.mark.parametrize("first, second", [(a, b) for i, a in enumerate(OVERALL_ORDER) for b in OVERALL_ORDER[i + 1:]])
def test_overall_outcome_is_the_most_protective_with_gap_above_refuse(first, second):
    protocol = _per_category_protocol()
    for pair in ([first, second], [second, first]):
        decision = ask(protocol, categories=[CATEGORY_OF[o] for o in pair])
        assert [c.outcome for c in decision.categories] == pair
        assert decision.outcome == first


def test_may_share_and_may_not_share_split_the_categories():
    protocol = _per_category_protocol()
    categories = [CATEGORY_OF[o] for o in OVERALL_ORDER]
    decision = ask(protocol, categories=categories)
    assert decision.outcome == "gap"
    assert decision.may_share == ("contact.address", "education.attendance")
    assert set(decision.may_not_share) == {"housing.tenancy", "criminal.cautions", "social_care.assessment",
                                           "health.physical"}
    assert [c.category for c in decision.categories] == categories  # in request order


def test_each_category_is_decided_on_its_own():
    protocol = _per_category_protocol()
    decision = ask(protocol, categories=["education.attendance", "criminal.cautions"])
    education, criminal = decision.categories
    assert (education.outcome, education.rule, education.rules_matched) == ("share", "SHARE", ("SHARE",))
    assert (criminal.outcome, criminal.rule, criminal.rules_matched) == ("refuse", "REF", ("REF",))


def test_worked_example_dwp_gap_and_refusal():
    protocol = build([rule("R31", "refuse", sender={"kinds": ["early_help"]}, to={"partners": ["dwp"]},
                           categories=["household.composition"], purposes=["benefit_administration"])])
    decision = ask(protocol, sender="keyworker", recipient="dwp", stage="plan", purpose="benefit_administration",
                   categories=["household.composition", "health.mental_health"])
    assert decision.outcome == "gap"
    assert [(c.outcome, c.rule) for c in decision.categories] == [("refuse", "R31"), ("gap", None)]
    assert decision.may_share == ()
    assert decision.may_not_share == ("household.composition", "health.mental_health")


def test_same_category_twice_is_decided_twice_the_same_way():
    decision = ask(_per_category_protocol(), categories=["education", "education"])
    assert [c.outcome for c in decision.categories] == ["share", "share"]


# -- need-to-know (section 4) -------------------------------------------------------------------

def _need_protocol():
    return build(
        [rule("ALL", "share")],
        need_to_know=[
            {"id": "csc_screening", "recipient": {"partners": ["csc"]}, "stages": ["screening"],
             "purposes": ["safeguarding"], "categories": ["health", "criminal.intelligence"]},
            {"id": "csc_screening_more", "recipient": {"partners": ["csc"]}, "stages": ["screening"],
             "purposes": ["safeguarding"], "categories": ["education.attendance"]},
            {"id": "schools", "recipient": {"kinds": ["education"]}, "stages": "any", "purposes": "any",
             "categories": ["health.mental_health"]},
        ],
    )


@pytest.mark.parametrize("recipient, category, stage, purpose, expected", [
    ("csc", "health", "screening", "safeguarding", "needed"),
    ("csc", "health.mental_health.camhs", "screening", "safeguarding", "needed"),   # ancestor listed
    ("mash_health", "camhs_letters", "screening", "safeguarding", "needed"),        # team of csc, explicit parent
    ("mash", "education.attendance", "screening", "safeguarding", "needed"),        # from a second profile
    ("csc", "criminal.intelligence", "screening", "safeguarding", "needed"),
    ("csc", "criminal", "screening", "safeguarding", "not_needed"),                 # downward only
    ("csc", "criminal.convictions", "screening", "safeguarding", "not_needed"),
    ("csc", "education", "screening", "safeguarding", "not_needed"),
    ("csc", "health", "assessment", "safeguarding", "no_profile"),                  # other stage
    ("csc", "health", "screening", "family_support", "no_profile"),                 # other purpose
    ("police", "health", "screening", "safeguarding", "no_profile"),                # other recipient
    ("school", "health.mental_health.camhs", "closure", "service_planning", "needed"),  # by kind, any/any
    ("school", "health", "referral", "safeguarding", "not_needed"),
    ("school", "health.physical", "referral", "safeguarding", "not_needed"),
])
def test_need_to_know(recipient, category, stage, purpose, expected):
    decision = one(_need_protocol(), recipient=recipient, categories=category, stage=stage, purpose=purpose)
    assert decision.need_to_know == expected


def test_need_to_know_does_not_depend_on_the_outcome():
    protocol = build([], need_to_know=[{"id": "n", "recipient": {"partners": ["csc"]}, "stages": "any",
                                         "purposes": "any", "categories": ["health"]}])
    decision = ask(protocol, categories=["health", "education"])
    assert [(c.outcome, c.need_to_know) for c in decision.categories] == [("gap", "needed"), ("gap", "not_needed")]


# -- explanations -------------------------------------------------------------------------------

def test_explanation_names_the_rule_the_lawful_basis_and_the_obligations_in_words():
    protocol = build([rule("R-HEALTH-7", "share", title="Health shares with social care",
                           lawful_bases=["UKGDPR.6.1.e", "UKGDPR.9.2.g"],
                           obligations=["record_decision", {"deadline": "within 4 working hours"},
                                        {"do_not_inform_family": "while the strategy discussion is pending"}],
                           rationale="Working Together says so.")])
    text = one(protocol, sender="gp_surgery").explanation
    assert "R-HEALTH-7" in text and "Health shares with social care" in text
    assert "Public task" in text and "UKGDPR.6.1.e" in text and "Substantial public interest" in text
    assert "record the decision and the reasons for it" in text
    assert "within 4 working hours" in text
    assert "not told yet" in text and "while the strategy discussion is pending" in text
    assert "Working Together says so." in text
    assert "Riverside Surgery" in text and "Children's Social Care" in text


def test_explanation_lists_overridden_rules_with_their_outcomes():
    protocol = build([rule("BASE", "refuse"), rule("EXC", "share", priority=1), rule("OTHER", "seek_consent")])
    text = one(protocol).explanation
    assert "EXC" in text
    overridden = text.split("overridden:", 1)[1]
    assert "BASE (refuse)" in overridden and "OTHER (seek consent)" in overridden
    assert "EXC" not in overridden


def test_explanation_names_co_deciding_rules_but_no_overridden_list_when_none():
    text = one(build([rule("A", "share"), rule("B", "share")])).explanation
    assert "A" in text and "B" in text
    assert "overridden" not in text


def test_explanation_of_a_minimum_and_an_escalation():
    minimum = one(build([rule("M", "share_minimum", minimum="dates of contact only")])).explanation
    assert "dates of contact only" in minimum and "minimum" in minimum
    escalation = one(build([rule("E", "escalate", escalate_to="MASH manager")])).explanation
    assert "MASH manager" in escalation


def test_explanation_notes_over_sharing_and_under_sharing():
    need = [{"id": "n", "recipient": {"partners": ["csc"]}, "stages": "any", "purposes": "any",
             "categories": ["health"]}]
    protocol = build([rule("GIVE", "share", categories=["education"]), rule("KEEP", "refuse", categories=["health"])],
                     need_to_know=need)
    over = one(protocol, categories="education.attendance")
    assert over.shared and over.need_to_know == "not_needed"
    assert "over-sharing" in over.explanation
    under = one(protocol, categories="health.physical")
    assert not under.shared and under.need_to_know == "needed"
    assert "under-sharing" in under.explanation
    # a share the recipient needs carries neither note
    fine = one(build([rule("GIVE", "share")], need_to_know=need), categories="health")
    assert "over-sharing" not in fine.explanation and "under-sharing" not in fine.explanation


def test_explanation_of_a_request_with_several_categories_lists_what_goes_and_what_does_not():
    protocol = build([rule("SHARE", "share", categories=["education"]), rule("REF", "refuse", categories=["criminal"])])
    decision = ask(protocol, categories=["education.attendance", "criminal.cautions", "housing"])
    text = decision.explanation
    assert text.startswith("Overall: gap.")
    assert "May go:" in text and "May not go:" in text
    for category in decision.categories:
        assert category.explanation in text
    assert "REF" in text and "gap" in text


def test_a_protocol_edited_in_place_after_compiling_does_not_corrupt_an_equal_protocol():
    """The compile cache pairs tables with content: editing the first object must not leak into the second."""
    import protocolkit
    from protocolkit.engine import compiled as compiled_module

    folder = protocolkit.example_path("mash")
    compiled_module._CACHE.clear()
    fresh = compiled_module.compile_protocol(protocolkit.load(folder))
    expected = [fresh.rule_at_bit(bit).id for bit in range(len(fresh.ranked))]
    compiled_module._CACHE.clear()
    first = protocolkit.load(folder)
    compiled_module.compile_protocol(first)
    del first.rules[0]  # edited in place after compiling, as a widget's session does
    second = protocolkit.load(folder)
    compiled = compiled_module.compile_protocol(second)
    assert compiled.protocol is second
    assert [compiled.rule_at_bit(bit).id for bit in range(len(compiled.ranked))] == expected
