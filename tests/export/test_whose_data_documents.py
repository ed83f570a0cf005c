"""The agreement and the partner cards say whose data a rule is limited to (docs/semantics.md section 16):
"only information about the alleged perpetrator", in the lawful-bases table, the rule tables and the cards."""

from __future__ import annotations

import protocolkit
from protocolkit.export.documents.cards import partner_cards
from protocolkit.export.documents.context import _Names, agreement_context, whose
from protocolkit.export.documents.filters import flow_rows, rule_rows
from protocolkit.model.protocol import Protocol
from protocolkit.model.vocabulary import Vocabulary

SUBJECTS = [{"id": "victim", "label": "The victim"}, {"id": "child", "label": "The child"}]
PARTNERS = [{"id": "police", "name": "Police", "kind": "police"},
            {"id": "csc", "name": "CSC", "kind": "childrens_social_care"},
            {"id": "probation", "name": "Probation", "kind": "probation"}]


def _rule(rule_id, outcome, to, about, **extra):
    return {"id": rule_id, "title": f"Rule {rule_id}", "from": {"partners": ["police"]}, "to": {"partners": [to]},
            "categories": ["contact.address"], "stages": "any", "purposes": "any", "about": about,
            "outcome": outcome, "rationale": "r", **extra}


def protocol():
    return Protocol.model_validate({
        "metadata": {"id": "w", "title": "W", "version": "1", "owner": "police"},
        "partners": PARTNERS, "subjects": SUBJECTS,
        "rules": [_rule("SHARE", "share", "csc", ["victim", "child"]), _rule("NEVER", "refuse", "probation", ["victim"]),
                  _rule("ANYONE", "share", "csc", "any", categories=["identity.name"])]})


def test_whose_words():
    p = protocol()
    assert whose(["victim"], p) == "only information about the victim"
    assert whose(["victim", "child"], p) == "only information about the victim or about the child"
    assert whose(["unstated"], p) == "only information about nobody in particular"
    assert whose("any", p) == ""


def test_the_lawful_bases_table_and_rule_tables_say_whose_data():
    p = protocol()
    ctx = agreement_context(p)
    rows = {r[0].split(":")[0]: r[1] for r in flow_rows(ctx["flows"])}
    assert "Address, only information about the victim or about the child (" in rows["SHARE"]
    assert "only information" not in rows["ANYONE"]
    line = {"rule": "NEVER", "title": "Rule NEVER", "from": "Police", "to": "Probation", "stages": "every stage",
            "when": "always", "whose": whose(["victim"], p)}
    assert rule_rows([line])[0][1] == "Rule NEVER (Police to Probation; every stage; only information about the victim)"


def test_the_cards_say_whose_data_in_what_may_go_and_in_never():
    p = protocol()
    v = Vocabulary.of(p)
    card = next(c for c in partner_cards(p, _Names(p, v), v) if c["id"] == "police")
    whats = [row["what"] for row in card["shares"]]
    assert any("(only information about the victim or about the child)" in w for w in whats), whats
    assert {"rule": "NEVER", "title": "Rule NEVER (only information about the victim)"} in card["never"]


def test_the_example_agreement_says_whose_data_r_gen_21_is_about():
    mash = protocolkit.load(protocolkit.example_path("mash"))
    v = Vocabulary.of(mash)
    police = next(c for c in partner_cards(mash, _Names(mash, v), v) if c["id"] == "police")
    assert any("(only information about the alleged perpetrator)" in row["what"] for row in police["shares"])
