"""Conditions on facts (parse, allowed, describe) and the vocabulary's hierarchy helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

import protocolkit
from protocolkit.model import Condition, Fact, Protocol, Rule, Selector, Vocabulary
from protocolkit.model.keys import UNKNOWN, dotted_parent

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small"

RISK = Fact(id="risk", label="RAG rating", values=["blue", "green", "amber", "red"], ordered=True)
CONSENT = Fact(id="consent", label="Consent", values=["given", "refused", "not_sought", "unsafe_to_seek"])
NOTICE = Fact(id="statutory_notice", label="Notice served?", values=["no", "yes"])


# -- Condition.parse ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw, operator, values", [
    (">= amber", ">=", ("amber",)),
    ("> amber", ">", ("amber",)),
    ("<= green", "<=", ("green",)),
    ("< green", "<", ("green",)),
    ("!= red", "!=", ("red",)),
    ("== red", "==", ("red",)),
    ("red", "==", ("red",)),
    (">=amber", ">=", ("amber",)),
    ("  <=   green  ", "<=", ("green",)),
    ("unknown", "==", ("unknown",)),
    (["green", "unknown"], "in", ("green", "unknown")),
    (["red"], "in", ("red",)),
    (True, "==", ("yes",)),
    (False, "==", ("no",)),
    ([True, False], "in", ("yes", "no")),
    (7, "==", ("7",)),
    ([1, "x"], "in", ("1", "x")),
])
def test_parse(raw, operator, values):
    condition = Condition.parse("risk", raw)
    assert (condition.fact, condition.operator, condition.values) == ("risk", operator, values)


@pytest.mark.parametrize("raw, words", [
    ([], "lists no values"),
    (">>= amber", "cannot read condition"),
    ("=> amber", "cannot read condition"),
    (">= ", "cannot read condition"),
    ("", "cannot read condition"),
    ("amber red", "cannot read condition"),
    (">= amber-ish", "cannot read condition"),
    ("~ amber", "cannot read condition"),
    (None, "must be a value"),
    (1.5, "must be a value"),
    ({"amber": 1}, "must be a value"),
])
def test_parse_errors(raw, words):
    with pytest.raises(ValueError) as caught:
        Condition.parse("risk", raw)
    assert words in str(caught.value)
    assert "'risk'" in str(caught.value)


def test_parse_error_lists_the_operators():
    with pytest.raises(ValueError, match=r"operators: >=, <=, !=, ==, >, <"):
        Condition.parse("risk", "=< amber")


# -- Condition.allowed --------------------------------------------------------------------------

@pytest.mark.parametrize("raw, allowed", [
    (">= amber", {"amber", "red"}),
    ("> amber", {"red"}),
    ("<= green", {"blue", "green"}),
    ("< green", {"blue"}),
    (">= blue", {"blue", "green", "amber", "red"}),
    ("> red", set()),
    ("< blue", set()),
    ("!= red", {"blue", "green", "amber"}),  # unknown satisfies only when named
    ("== red", {"red"}),
    ("amber", {"amber"}),
    ("unknown", {UNKNOWN}),
    ("!= unknown", {"blue", "green", "amber", "red"}),
    (["green", "unknown"], {"green", UNKNOWN}),
    (["red", "red"], {"red"}),
])
def test_allowed_on_an_ordered_fact(raw, allowed):
    assert Condition.parse("risk", raw).allowed(RISK) == frozenset(allowed)


@pytest.mark.parametrize("raw, allowed", [
    ("given", {"given"}),
    ("!= refused", {"given", "not_sought", "unsafe_to_seek"}),
    (["refused", "unknown"], {"refused", UNKNOWN}),
])
def test_allowed_on_an_unordered_fact(raw, allowed):
    assert Condition.parse("consent", raw).allowed(CONSENT) == frozenset(allowed)


@pytest.mark.parametrize("op", [">=", ">", "<=", "<"])
def test_ordered_comparison_on_an_unordered_fact_is_an_error(op):
    with pytest.raises(ValueError, match="needs an ordered fact") as caught:
        Condition.parse("consent", f"{op} given").allowed(CONSENT)
    assert "'consent'" in str(caught.value)


@pytest.mark.parametrize("op", [">=", ">", "<=", "<"])
def test_ordered_comparison_with_unknown_is_an_error(op):
    with pytest.raises(ValueError, match="unknown has no place in the order"):
        Condition.parse("risk", f"{op} unknown").allowed(RISK)


@pytest.mark.parametrize("raw", [">= orange", "orange", "!= orange", ["green", "orange"], "RED", ">= Amber"])
def test_value_outside_the_fact_is_an_error_naming_the_allowed_values(raw):
    with pytest.raises(ValueError) as caught:
        Condition.parse("risk", raw).allowed(RISK)
    message = str(caught.value)
    assert "is not a value of fact 'risk'" in message
    assert "blue, green, amber, red, or unknown" in message


def test_yaml_booleans_read_as_yes_and_no():
    assert Condition.parse("statutory_notice", True).allowed(NOTICE) == {"yes"}
    assert Condition.parse("statutory_notice", False).allowed(NOTICE) == {"no"}
    assert Condition.parse("statutory_notice", "yes").allowed(NOTICE) == {"yes"}
    assert Condition.parse("statutory_notice", [True, "unknown"]).allowed(NOTICE) == {"yes", UNKNOWN}
    assert Condition.parse("statutory_notice", "!= yes").allowed(NOTICE) == {"no"}


@pytest.mark.parametrize("raw, text", [
    (">= amber", "risk is amber or higher"),
    ("> amber", "risk is higher than amber"),
    ("<= green", "risk is green or lower"),
    ("< green", "risk is lower than green"),
    ("!= red", "risk is not red"),
    ("red", "risk is red"),
    (["green", "unknown"], "risk is green or unknown"),
])
def test_describe(raw, text):
    assert Condition.parse("risk", raw).describe() == text


def test_describe_dotted_fact():
    assert Condition.parse("household.other_adult_present", "yes").describe() == "household other adult present is yes"


def test_rule_conditions_are_parsed_in_order():
    rule = protocolkit.load(SMALL).rule("R1")
    assert rule.conditions() == [Condition("risk", ">=", ("amber",))]
    multi = rule.model_copy(update={"when": {"risk": "red", "consent": ["given", "unknown"]}})
    assert [c.fact for c in multi.conditions()] == ["risk", "consent"]


def test_an_unreadable_condition_is_a_pk115_finding_and_cannot_be_used():
    from protocolkit.model.checks import check_protocol

    p = protocolkit.load(SMALL)
    p.rules[0] = Rule.model_validate({**p.rules[0].model_dump(by_alias=True), "when": {"risk": "=> amber"}})
    assert [f.code for f in check_protocol(p)] == ["PK115"]
    with pytest.raises(ValueError, match="cannot read condition"):
        p.rules[0].conditions()


# -- Vocabulary: defaults and the protocol's own entries ----------------------------------------

def protocol(**sections) -> Protocol:
    base = {"metadata": {"id": "v", "title": "Vocabulary tests", "version": "1", "owner": "x"}}
    return Protocol.model_validate({**base, **sections})


PARTNERS = [
    {"id": "police", "name": "Police", "kind": "police"},
    {"id": "csc", "name": "Children's social care", "kind": "childrens_social_care"},
    {"id": "mash_team", "name": "MASH team", "kind": "childrens_social_care", "part_of": "csc"},
    {"id": "mash_health", "name": "MASH health desk", "kind": "health", "part_of": "mash_team"},
    {"id": "school", "name": "Primary school", "kind": "school"},
    {"id": "charity", "name": "Family charity", "kind": "voluntary"},
    {"id": "trust_school", "name": "Academy trust", "kind": "school", "public_body": False},
    {"id": "gp", "name": "GP surgery", "kind": "gp"},
]


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary.of(protocol(
        partners=PARTNERS,
        partner_kinds=[{"id": "virtual_school", "label": "Virtual school", "parent": "school"}],
        categories=[
            {"id": "local", "label": "Local data"},
            {"id": "local.sensitive", "label": "Sensitive local data", "special_category": True},
            {"id": "local.sensitive.detail", "label": "Detail"},
            {"id": "adopted", "label": "Adopted under health", "parent": "health"},
            {"id": "adopted.child", "label": "Child of the adopted category"},
            {"id": "criminal.local_intel", "label": "Local intelligence"},
        ],
    ))


def test_defaults_are_merged_with_the_protocols_entries(vocab):
    assert "police" in vocab.kinds and "virtual_school" in vocab.kinds
    assert "health.mental_health" in vocab.categories and "local.sensitive" in vocab.categories
    assert "safeguarding" in vocab.purposes
    assert "risk" in vocab.facts and vocab.facts["risk"].ordered
    assert "deadline" in vocab.obligation_types and vocab.obligation_types["deadline"].needs_detail
    assert "UKGDPR.6.1.e" in vocab.lawful_bases
    assert vocab.stage_ids[:2] == ["referral", "screening"]


def test_an_entry_with_a_shipped_id_replaces_the_default():
    v = Vocabulary.of(protocol(facts=[{"id": "risk", "label": "Local risk", "values": ["low", "high"], "ordered": True}]))
    assert v.facts["risk"].values == ["low", "high"]
    assert list(v.facts).count("risk") == 1


def test_stages_given_replace_the_defaults_in_their_order():
    v = Vocabulary.of(protocol(stages=[{"id": "intake", "label": "Intake"}, {"id": "decision", "label": "Decision"}]))
    assert v.stage_ids == ["intake", "decision"]
    assert v.stages_in("any") == {"intake", "decision"}
    assert v.stages_in(["intake"]) == {"intake"}


# -- categories ---------------------------------------------------------------------------------

def test_category_parent_dotted_and_explicit(vocab):
    assert vocab.category_parent("health.mental_health") == "health"
    assert vocab.category_parent("health") is None
    assert vocab.category_parent("adopted") == "health"  # explicit parent wins
    assert vocab.category_parent("adopted.child") == "adopted"
    assert dotted_parent("a.b.c") == "a.b"


def test_category_ancestors_nearest_first(vocab):
    assert vocab.category_ancestors("local.sensitive.detail") == ["local.sensitive.detail", "local.sensitive", "local"]
    assert vocab.category_ancestors("adopted.child") == ["adopted.child", "adopted", "health"]


def test_category_descendants(vocab):
    assert vocab.category_descendants("local") == ["local", "local.sensitive", "local.sensitive.detail"]
    assert vocab.category_descendants("local.sensitive.detail") == ["local.sensitive.detail"]
    health = vocab.category_descendants("health")
    assert health[0] == "health"
    assert {"health.mental_health", "health.gp_records", "adopted", "adopted.child"} <= set(health)
    assert health.index("adopted") < health.index("adopted.child")
    assert "criminal.local_intel" in vocab.category_descendants("criminal")
    assert "education.attendance" not in health


def test_categories_in(vocab):
    assert vocab.categories_in("any") == set(vocab.categories)
    assert vocab.categories_in(["local.sensitive", "criminal.convictions"]) == {
        "local.sensitive", "local.sensitive.detail", "criminal.convictions"}
    assert vocab.categories_in([]) == set()


def test_is_special_inherits_down_the_tree(vocab):
    assert vocab.is_special("health")
    assert vocab.is_special("health.mental_health")  # flag on the shipped parent only
    assert vocab.is_special("adopted.child")  # through an explicit parent
    assert vocab.is_special("local.sensitive") and vocab.is_special("local.sensitive.detail")
    assert not vocab.is_special("local")  # flags do not travel up
    assert not vocab.is_special("education.attendance")
    assert vocab.is_special("education.send")  # flagged itself, parent is not
    assert not vocab.is_special("education")


def test_is_criminal_inherits_down_the_tree(vocab):
    assert vocab.is_criminal("criminal") and vocab.is_criminal("criminal.local_intel")
    assert not vocab.is_criminal("health.mental_health")
    assert not vocab.is_special("criminal.convictions")


def test_category_walks_stop_at_a_cycle():
    v = Vocabulary.of(protocol(categories=[
        {"id": "loop_a", "label": "A", "parent": "loop_b"},
        {"id": "loop_b", "label": "B", "parent": "loop_a"},
    ]))
    assert v.category_ancestors("loop_a") == ["loop_a", "loop_b"]
    assert set(v.category_descendants("loop_a")) == {"loop_a", "loop_b"}
    assert v.is_special("loop_a") is False


# -- partners -----------------------------------------------------------------------------------

def test_kind_ancestors(vocab):
    assert vocab.kind_ancestors("police") == ["police", "criminal_justice"]
    assert vocab.kind_ancestors("virtual_school") == ["virtual_school", "school", "education"]
    assert vocab.kind_ancestors("gp") == ["gp", "health"]


def test_partner_ancestors_and_kinds(vocab):
    assert vocab.partner_ancestors("mash_health") == ["mash_health", "mash_team", "csc"]
    # a team counts as its own kind and as the kinds of what it is part of
    assert vocab.partner_kinds("mash_health") == {"health", "childrens_social_care", "local_authority"}
    assert vocab.partner_kinds("police") == {"police", "criminal_justice"}


@pytest.mark.parametrize("selector, expected", [
    ("any", {p["id"] for p in PARTNERS}),
    ({"partners": ["csc"]}, {"csc", "mash_team", "mash_health"}),  # a partner covers its teams
    ({"partners": ["mash_team"]}, {"mash_team", "mash_health"}),
    ({"partners": ["mash_health"]}, {"mash_health"}),
    ({"kinds": ["police"]}, {"police"}),
    ({"kinds": ["criminal_justice"]}, {"police"}),  # a kind covers its sub-kinds
    ({"kinds": ["local_authority"]}, {"csc", "mash_team", "mash_health"}),
    ({"kinds": ["health"]}, {"mash_health", "gp"}),
    ({"kinds": ["education"]}, {"school", "trust_school"}),
    ({"kinds": ["gp"]}, {"gp"}),
    ({"kinds": ["virtual_school"]}, set()),
    ({"partners": ["police"], "kinds": ["school"]}, {"police", "school", "trust_school"}),
    ({"partners": ["nobody"]}, set()),
])
def test_partners_in(vocab, selector, expected):
    scope = selector if selector == "any" else Selector.model_validate(selector)
    assert vocab.partners_in(scope) == expected


def test_is_public_body(vocab):
    assert vocab.is_public_body("police")
    assert vocab.is_public_body("school")
    assert not vocab.is_public_body("charity")  # the kind says so
    assert not vocab.is_public_body("trust_school")  # the partner overrides its kind


def test_partner_walks_stop_at_a_cycle():
    v = Vocabulary.of(protocol(partners=[
        {"id": "a", "name": "A", "kind": "police", "part_of": "b"},
        {"id": "b", "name": "B", "kind": "school", "part_of": "a"},
    ]))
    assert v.partner_ancestors("a") == ["a", "b"]
    assert v.partner_kinds("a") == {"police", "criminal_justice", "school", "education"}
    assert v.partners_in(Selector(partners=["a"])) == {"a", "b"}


# -- labels, purposes ---------------------------------------------------------------------------

def test_labels(vocab):
    assert vocab.label("partners", "csc") == "Children's social care"
    assert vocab.label("stages", "screening") == "Screening and triage"
    assert vocab.label("kinds", "gp") == "General practice"
    assert vocab.label("categories", "local.sensitive") == "Sensitive local data"
    assert vocab.label("categories", "no.such.category") == "no.such.category"


def test_purposes_in(vocab):
    assert vocab.purposes_in("any") == set(vocab.purposes)
    assert vocab.purposes_in(["safeguarding"]) == {"safeguarding"}


def test_selector_must_name_something():
    with pytest.raises(ValueError, match="name at least one partner or kind"):
        Selector()


def test_small_fixture_vocabulary():
    v = Vocabulary.of(protocolkit.load(SMALL))
    r1, r2 = protocolkit.load(SMALL).rules
    assert v.partners_in(r1.from_) == {"police"}
    assert v.partners_in(r1.to) == {"csc", "mash_team"}
    assert v.partners_in(r2.from_) == {"police", "csc", "mash_team", "school"}
    assert v.categories_in(r2.categories) >= {"criminal", "criminal.intelligence", "criminal.convictions"}
    assert all(v.is_criminal(c) for c in v.categories_in(r2.categories))
