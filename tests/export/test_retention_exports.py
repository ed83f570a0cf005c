"""Retention (docs/semantics.md section 18) in the ODRL export: each sharing rule's DPV storage durations, read
back as the pk:retentionOrder says, give the engine's periods for every recipient and category the rule covers."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

import protocolkit
from protocolkit.engine.compiled import compile_protocol
from protocolkit.export.odrl import odrl_policy
from protocolkit.model.outcomes import SHARING_OUTCOMES
from protocolkit.model.retention import retention_in_effect


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


def _ids(nodes, kind: str) -> set[str]:
    prefix = f"pk:{kind}/"
    return {unquote(n["@id"][len(prefix):]) for n in nodes}


def _read(node) -> dict:
    return {"period": node["pk:period"], "origin": node["pk:origin"],
            "owner": unquote(node["pk:statedIn"]["@id"].split("/", 1)[1]), "source": node.get("dcterms:source")}


def odrl_retention(doc: dict, rule_id: str, recipient: str, category: str) -> list[dict]:
    """The periods in effect under one rule, read from the ODRL document alone."""
    rule = next(r for r in doc["odrl:permission"] + doc.get("odrl:obligation", []) if r["pk:ruleId"] == rule_id)
    terms = [t for t in rule.get("dpv:hasStorageCondition", []) if category in _ids(t["pk:category"], "category")]
    own = [t for t in terms if "pk:keptBy" not in t]
    kept = [t for t in terms if "pk:keptBy" in t and recipient in _ids(t["pk:keptBy"], "partner")]
    found = own + (kept if any(t.get("pk:inherit") == "add" for t in own) else []) if own else kept
    if not found:
        found = [t for t in doc.get("pk:retentionStatement", []) if recipient in _ids(t["pk:keptBy"], "partner")
                 and category in _ids(t["pk:category"], "category")]
    return list({tuple(sorted(_read(t).items())): _read(t) for t in found}.values())


def test_odrl_storage_durations_give_the_engines_retention(mash):
    doc = odrl_policy(mash)
    compiled = compile_protocol(mash)
    v = compiled.vocab
    compared = set()
    for rule in mash.rules:
        if rule.outcome not in SHARING_OUTCOMES:
            continue
        for recipient in sorted(v.partners_in(rule.to)):
            for category in sorted(v.categories_in(rule.categories)):
                engine = [r.to_dict() for r in retention_in_effect(mash, v, [rule], compiled.inherited, recipient,
                                                                   category)]
                assert odrl_retention(doc, rule.id, recipient, category) == engine, (rule.id, recipient, category)
                compared |= {(p["origin"], p["owner"]) for p in engine}
    # every layer is reached: defaults kept by a recipient, a purpose's default, and the statements
    assert {("default", "csc_retention"), ("default", "marac_retention"), ("default", "matching_retention"),
            ("statement", "partner_extracts")} <= compared


def test_a_duration_is_an_xsd_duration_and_the_event_stays_in_words(mash):
    doc = odrl_policy(mash)
    terms = [t for r in doc["odrl:permission"] for t in r.get("dpv:hasStorageCondition", [])]
    assert terms and all("dpv:StorageDuration" in t["@type"] for t in terms)
    csc = next(t for t in terms if t["pk:statedIn"]["@id"] == "pk:default/csc_retention"
               and t["pk:period"] == "6 years after the contact closed")
    assert csc["rdf:value"] == {"@value": "P6Y", "@type": "xsd:duration"}
    assert "childrens_social_care" in _ids(csc["pk:keptBy"], "partner")
    assert "police" not in _ids(csc["pk:keptBy"], "partner")
