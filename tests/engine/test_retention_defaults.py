"""Retention stated once (docs/semantics.md section 18): terms in defaults at protocol, recipient and purpose
level and on rules, the layer that applies per category (rule, then defaults, then statements), the
explanation saying where each period was stated, validation, PK218, the register, the agreement and the cards."""

from __future__ import annotations

import pytest

from handbuilt import build, rule
from protocolkit.engine import decide
from protocolkit.errors import ProtocolValidationError
from protocolkit.model.defaults import effective_rules
from protocolkit.model.retention import retention_in_effect
from protocolkit.model.vocabulary import Vocabulary

EVERYWHERE = {"id": "keep_all", "retention": [{"duration": "P1Y", "after": "the case closed"}]}
CSC_KEEPS = {"id": "csc_keeps", "recipients": {"partners": ["csc"]},
             "retention": [{"duration": "6 years", "after": "the contact closed", "categories": ["criminal"],
                            "source": "the partnership's choice"}]}
MATCHING = {"id": "matching", "purposes": ["programme_identification"],
            "retention": [{"duration": "3 months", "after": "each matching run"}]}
OWN = [{"duration": "P30D", "after": "the MASH outcome", "categories": ["criminal.intelligence"]}]


def to_csc(rule_id="R1", categories=("criminal.intelligence", "education.attendance"), **fields):
    fields.setdefault("purposes", ["safeguarding"])
    return rule(rule_id, sender={"partners": ["police"]}, to={"partners": ["csc", "school"]},
                categories=list(categories), **fields)


def periods(protocol, rule_id, recipient, category):
    v = Vocabulary.of(protocol)
    _, inherited = effective_rules(protocol, v)
    return [(r.words, r.cite()) for r in retention_in_effect(protocol, v, [protocol.rule(rule_id)], inherited,
                                                             recipient, category)]


def test_a_recipient_level_default_reaches_that_recipient_only_and_beats_the_protocol_level():
    p = build([to_csc()], defaults=[EVERYWHERE, CSC_KEEPS])
    assert periods(p, "R1", "csc", "criminal.intelligence") == [
        ("1 year after the case closed", "from the default for the whole protocol, keep_all"),
        ("6 years after the contact closed", "from the default for Children's Social Care as recipient, csc_keeps")]
    # the MASH team is part of children's social care: the recipient level covers its teams
    assert ("6 years after the contact closed", "from the default for Children's Social Care as recipient, csc_keeps") in \
        periods(p, "R1", "mash", "criminal.intelligence")
    assert periods(p, "R1", "school", "criminal.intelligence") == [
        ("1 year after the case closed", "from the default for the whole protocol, keep_all")]
    assert periods(p, "R1", "csc", "education.attendance") == [
        ("1 year after the case closed", "from the default for the whole protocol, keep_all")]


def test_a_purpose_level_default_reaches_only_rules_inside_that_purpose():
    p = build([to_csc(), to_csc("R2", purposes=["programme_identification"])], defaults=[MATCHING])
    assert periods(p, "R1", "csc", "education.attendance") == []
    assert periods(p, "R2", "csc", "education.attendance") == [
        ("3 months after each matching run", "from the default for sharing for identifying households for a "
                                             "programme such as supporting families, matching")]


def test_a_rule_s_own_term_overrides_the_defaults_for_the_categories_it_covers_only():
    p = build([to_csc(retention=OWN), to_csc("ADD", retention=OWN, inherit="add"),
               to_csc("NONE", inherit="none")], defaults=[CSC_KEEPS],
              retention=[{"id": "extracts", "text": "Deleted.", "duration": "30 days", "after": "the outcome"}])
    assert periods(p, "R1", "csc", "criminal.intelligence") == [("30 days after the MASH outcome", "rule R1's own")]
    assert periods(p, "R1", "csc", "criminal") == [("6 years after the contact closed",
                                                    "from the default for Children's Social Care as recipient, csc_keeps")]
    assert periods(p, "ADD", "csc", "criminal.intelligence") == [
        ("30 days after the MASH outcome", "rule ADD's own"),
        ("6 years after the contact closed", "from the default for Children's Social Care as recipient, csc_keeps")]
    # inherit: none -> no default; the protocol's statements still apply
    assert periods(p, "NONE", "csc", "criminal.intelligence") == [("30 days after the outcome", "extracts")]
    # the rule's term holds for every recipient of the rule
    assert periods(p, "R1", "school", "criminal.intelligence") == [("30 days after the MASH outcome", "rule R1's own")]


def test_every_explanation_of_a_share_says_the_period_and_where_it_was_stated():
    p = build([to_csc(retention=OWN)], defaults=[CSC_KEEPS])
    request = {"from": "police", "to": "csc", "stage": "referral", "purpose": "safeguarding"}
    own = decide(p, {**request, "categories": ["criminal.intelligence"]})
    assert ("Retention: Children's Social Care keeps it for 30 days after the MASH outcome (rule R1's own)."
            in own.explanation)
    p = build([to_csc(categories=["criminal"])], defaults=[CSC_KEEPS])
    inherited = decide(p, {**request, "categories": ["criminal.intelligence"]})
    assert ("Retention: Children's Social Care keeps it for 6 years after the contact closed (from the default for "
            "what it receives, csc_keeps).") in inherited.explanation
    # retention is said once, with the period: not again among the inherited bases and duties
    assert "Inherited from the agreement's defaults" not in inherited.explanation
    # a share no period covers, in a protocol that states retention, says so
    p = build([to_csc(categories=["education.attendance"])], defaults=[CSC_KEEPS])
    uncovered = decide(p, {**request, "categories": ["education.attendance"]})
    assert "No retention period is agreed for Children's Social Care keeping this." in uncovered.explanation


def test_pk218_counts_terms_from_defaults_and_rules():
    from protocolkit.model.checks import check_protocol

    def codes(protocol):
        return [f.code for f in check_protocol(protocol)]

    assert "PK218" in codes(build([to_csc()], defaults=[CSC_KEEPS]))   # education.attendance; school
    covered = build([to_csc(retention=[{"duration": "1 year"}])])
    assert "PK218" not in codes(covered)


def test_terms_are_validated_with_located_errors(tmp_path):
    from protocolkit.model.loading import load

    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "protocol.yaml").write_text(
        "metadata: {id: t, title: T, version: '1', owner: police}\n"
        "partners:\n  - {id: police, name: Police, kind: police}\n"
        "defaults:\n"
        "  - id: d1\n    retention:\n      - {duration: 6 years, categories: [criminl]}\n"
        "rules:\n  - id: R1\n    title: One\n    from: any\n    to: any\n    categories: any\n    stages: any\n"
        "    purposes: any\n    outcome: refuse\n    rationale: r\n    retention:\n      - {duration: 6 years}\n")
    with pytest.raises(ProtocolValidationError) as error:
        load(folder)
    text = str(error.value)
    assert "protocol.yaml:7" in text and "criminl" in text
    assert "protocol.yaml:18" in text and "shares nothing" in text
    assert "gives nothing" not in text    # a default that gives only retention gives something
    (folder / "protocol.yaml").write_text(
        "metadata: {id: t, title: T, version: '1', owner: police}\n"
        "partners:\n  - {id: police, name: Police, kind: police}\n"
        "defaults:\n  - id: d1\n    retention:\n      - {duration: six years}\n")
    with pytest.raises(ProtocolValidationError) as error:
        load(folder)
    assert "protocol.yaml:7" in str(error.value) and "P6Y" in str(error.value)


def test_old_protocols_keep_their_canonical_form_and_the_schema_has_the_terms():
    from protocolkit.model.schema import protocol_schema

    p = build([to_csc()], defaults=[{"id": "s", "obligations": ["secure_channel"]}])
    dumped = p.model_dump(by_alias=True)
    assert "retention" not in dumped["rules"][0] and "retention" not in dumped["defaults"][0]
    with_terms = build([to_csc(retention=OWN)], defaults=[CSC_KEEPS]).model_dump(by_alias=True, mode="json")
    assert with_terms["rules"][0]["retention"] == [{"duration": "P30D", "after": "the MASH outcome",
                                                    "categories": ["criminal.intelligence"], "source": None}]
    schema = str(protocol_schema())
    assert "Retention" in schema and "The event the duration runs from" in schema


def test_the_register_agreement_and_cards_say_the_period_and_its_origin():
    from protocolkit.export.documents.cards import partner_cards
    from protocolkit.export.documents.context import _Names, agreement_context
    from protocolkit.export.register import register_rows

    p = build([to_csc(retention=OWN, categories=["criminal.intelligence", "criminal"])], defaults=[CSC_KEEPS])
    rows = {r["recipient"]: r for r in register_rows(p)}
    cell = rows["csc"]["retention"]
    assert cell.endswith("; criminal.intelligence: 30 days after the MASH outcome (rule R1's own)")
    assert cell.startswith("criminal, criminal.convictions, ") and \
        ": 6 years after the contact closed (from the default for Children's Social Care as recipient, csc_keeps); " in cell
    ctx = agreement_context(p)
    terms = {r["id"]: r for r in ctx["retention"]}
    assert terms["csc_keeps"]["period"] == "6 years after the contact closed"
    assert "Source of the period: the partnership's choice." in terms["csc_keeps"]["text"]
    assert terms["R1"]["period"] == "30 days after the MASH outcome"
    v = Vocabulary.of(p)
    card = next(c for c in partner_cards(p, _Names(p, v), v) if c["id"] == "csc")
    intelligence = v.label("categories", "criminal.intelligence")
    assert card["keep"] == [{"period": "30 days after the MASH outcome", "what": intelligence},
                            {"period": "6 years after the contact closed", "what": "everything else"}]


def test_the_term_naming_a_category_most_nearly_wins_within_one_default():
    both = {"id": "csc_keeps", "recipients": {"partners": ["csc"]},
            "retention": [{"duration": "35 years", "categories": ["criminal.intelligence"]}, {"duration": "6 years"}]}
    p = build([to_csc(categories=["criminal.intelligence", "education"])], defaults=[both])
    assert periods(p, "R1", "csc", "criminal.intelligence") == [("35 years", "from the default for Children's Social Care as recipient, csc_keeps")]
    assert periods(p, "R1", "csc", "education.attendance") == [("6 years", "from the default for Children's Social Care as recipient, csc_keeps")]
    from protocolkit.export.documents.cards import partner_cards
    from protocolkit.export.documents.context import _Names

    v = Vocabulary.of(p)
    card = next(c for c in partner_cards(p, _Names(p, v), v) if c["id"] == "csc")
    assert card["keep"] == [{"period": "35 years", "what": "Criminal offence data"},
                            {"period": "6 years", "what": "everything else"}]
    only = build([to_csc(categories=["education"])], defaults=[both])
    card = next(c for c in partner_cards(only, _Names(only, v), v) if c["id"] == "csc")
    assert card["keep"] == [{"period": "6 years", "what": "everything"}]
