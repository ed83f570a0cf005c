"""The protocol as an ODRL 2.2 policy in JSON-LD, with W3C DPV terms, conforming to the W3C ODRL SHACL shapes.

**One ``odrl:Set`` for the whole agreement**, not one ``odrl:Agreement`` per partner pair: the
protocol is one multi-party agreement that every partner signs, and its rules name partners and
kinds of partner on either side (``from: {kinds: [health]}``). An ``odrl:Agreement`` is bilateral
(exactly one assigner and one assignee), so it would split each rule into one copy per pair of
partners it covers, and the copies would no longer read as the rule the partnership agreed. In the
``Set`` each rule is one ODRL rule whose assigner and assignee are ``odrl:PartyCollection`` nodes
listing the partners and kinds of the rule (left out where the rule says ``any``).

Rules map as follows: ``refuse`` is an ``odrl:Prohibition``; ``share``, ``share_minimum``,
``seek_consent`` and ``escalate`` are ``odrl:Permission`` of the action ``dpv:Share``, the last two
with a duty to fulfil first (``pk:seekConsent``, ``pk:escalate``), ``share_minimum`` with
``pk:minimum``. The target is an ``odrl:AssetCollection`` of the rule's data categories (DPV
personal-data IRIs where the taxonomy has one, the project's namespace otherwise). Stages,
purposes (DPV where mapped) and conditions on facts are ``odrl:Constraint`` with ``odrl:isAnyOf``.
Whose data (``docs/semantics.md`` section 16): a rule limited to data subject roles has a
``pk:dataSubject`` constraint; a condition on a fact with a value per person names whose value it
reads in ``pk:factOf``: the role it names (``consent@victim`` is the fact ``consent`` of the
victim), or ``pk:requestDataSubject`` (the person the request is about) when it names none. A
role is its DPV data subject term where the vocabulary maps one (``dpv:Child``), else the
project's term, defined in ``pk:subjectDefinition`` as a ``rdfs:subClassOf`` ``dpv:DataSubject``.
Lawful bases are ``pk:lawfulBasis`` (DPV GDPR IRIs where they exist). Obligations are
``odrl:duty``; a duty's timing is an ``odrl:event`` constraint (after or before the disclosure) and
its deadline an ``odrl:elapsedTime`` constraint with the event it runs from in ``pk:from``. Whether sharing is a
duty (``docs/semantics.md`` section 4): a rule with ``sharing:
required`` ("police must notify the school") is not a permission but an ``odrl:obligation`` of the
policy, a ``odrl:Duty`` of the sender to perform ``dpv:Share`` on the target (its own handling
obligations, which ODRL cannot attach to a duty, are ``pk:obligation``); a rule with ``sharing:
discretion`` is a permission with a duty to fulfil first, ``pk:exerciseJudgement`` with
``pk:decidedBy`` the named role; every sharing rule says ``pk:sharing``. ODRL has no priorities: each rule carries ``pk:priority`` and ``pk:outcome``, and
the policy says how they combine (``pk:decisionOrder``). The ODRL form describes the agreement
for exchange; the enforceable forms, proven equivalent to the engine, are Rego and Cedar.

Retention (``docs/semantics.md`` section 18): each sharing rule's retention terms are
``dpv:hasStorageCondition`` nodes typed ``dpv:StorageDuration``, the duration as ``rdf:value`` (an
``xsd:duration`` such as ``P6Y``), with the project's ``pk:period`` (in words, with the event it runs
from), ``pk:category`` (the categories it covers, hierarchies expanded), ``pk:keptBy`` (for an inherited
term, the recipients that keep it), ``pk:statedIn`` (the rule or default) and ``dcterms:source``; the
protocol's retention statements with a duration are ``pk:retentionStatement`` nodes of the same shape,
and ``pk:retentionOrder`` says how the layers combine. DPV has no term for the event a period runs from
or for who keeps it, hence the project's.

The project's own terms (safeguarding purposes, Art 10, UK gateways, stages, facts) live under
:data:`PK`.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from ..model.deadlines import is_iso_duration
from ..model.keys import ANY, split_fact_key
from ..model.outcomes import SHARING_OUTCOMES
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary
from .canonical import dumps_canonical, ensure_exportable, stamp
from .tables import rule_tables

PK = "https://protocolkit.invalid/vocab#"

CONTEXT = {
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "dpv": "https://w3id.org/dpv#",
    "pd": "https://w3id.org/dpv/pd#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "dcterms": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "pk": PK,
}

_DUTY_BEFORE = {"seek_consent": "pk:seekConsent", "escalate": "pk:escalate"}


def _duty_constraints(obligation, node_id: str) -> list[dict]:
    """A duty's timing and deadline as ODRL constraints (``docs/semantics.md`` section 17): ``odrl:event``
    after (``odrl:gt``) or before (``odrl:lt``) the disclosure, and ``odrl:elapsedTime`` at most the duration
    (an ``xsd:duration``, or the project's term for a named one) from the event in ``pk:from``."""
    out = []
    if obligation.timing is not None:
        out.append({"@id": f"{node_id}-timing", "@type": "odrl:Constraint", "odrl:leftOperand": {"@id": "odrl:event"},
                    "odrl:operator": {"@id": "odrl:gt" if obligation.timing == "after" else "odrl:lt"},
                    "odrl:rightOperand": {"@id": _term("event", "disclosure")}})
    if obligation.within is not None:
        within = ({"@value": obligation.within, "@type": "xsd:duration"} if is_iso_duration(obligation.within)
                  else _duration_term(obligation.within))   # working time and named points: the project's terms
        out.append({"@id": f"{node_id}-deadline", "@type": "odrl:Constraint",
                    "odrl:leftOperand": {"@id": "odrl:elapsedTime"}, "odrl:operator": {"@id": "odrl:lteq"},
                    "odrl:rightOperand": within, "pk:from": {"@id": _term("event", obligation.from_ or "disclosure")}})
    return out


def _duration_term(name: str) -> dict:
    return {"@id": _term("duration", name)}


def _term(kind: str, key: str) -> str:
    return f"pk:{kind}/{quote(key, safe='')}"


def _iri(dpv: str | None, kind: str, key: str) -> dict:
    return {"@id": dpv if dpv else _term(kind, key)}


def odrl_policy(protocol: Protocol) -> dict:
    """The ODRL 2.2 JSON-LD document of a protocol (plain data; see the module docstring).

    Examples
    --------
    >>> import protocolkit
    >>> doc = odrl_policy(protocolkit.load(protocolkit.example_path("mash")))
    >>> doc["@type"], len(doc["odrl:permission"]) + len(doc["odrl:prohibition"]) >= 60
    (['odrl:Set', 'odrl:Policy'], True)
    """
    from .retention_tables import retention_tables

    vocab = Vocabulary.of(protocol)
    tables = rule_tables(protocol)
    the_stamp = stamp(protocol)
    held = retention_tables(tables)
    rule_position = {r.id: r.position for r in tables.rules}
    base = f"https://protocolkit.invalid/protocol/{quote(protocol.metadata.id, safe='')}"
    policy_id = f"{base}/{quote(protocol.metadata.version, safe='')}"

    def parties(selector, node_id: str) -> dict | None:
        if selector == ANY:
            return None
        return {"@id": node_id, "@type": "odrl:PartyCollection",
                "pk:partner": [{"@id": _term("partner", p)} for p in selector.partners],
                "pk:kind": [{"@id": _term("kind", k)} for k in selector.kinds]}

    def category_iri(c: str) -> dict:
        return _iri(vocab.categories[c].dpv if c in vocab.categories else None, "category", c)

    def purpose_iri(u: str) -> dict:
        return _iri(vocab.purposes[u].dpv if u in vocab.purposes else None, "purpose", u)

    subjects = vocab.subjects or {}
    per_person = {f for f, entry in vocab.facts.items() if getattr(entry, "per_subject", False)}
    roles_named: dict[str, None] = {}

    def subject_iri(role: str) -> dict:
        roles_named[role] = None
        return _iri(subjects[role].dpv if role in subjects else None, "subject", role)

    def basis_iri(b: str) -> dict:
        return _iri(vocab.lawful_bases[b].dpv if b in vocab.lawful_bases else None, "basis", b)

    permissions, prohibitions, obligations = [], [], []
    # the rules as they decide, with what they inherit from the agreement's defaults (docs/semantics.md section 18)
    for rule, table in zip(tables.compiled.rules, tables.rules):
        rid = f"{policy_id}#rule-{quote(rule.id, safe='')}"
        constraints = []
        if rule.stages != ANY:
            constraints.append({"@id": f"{rid}-stage", "@type": "odrl:Constraint", "odrl:leftOperand": {"@id": "pk:stage"},
                                "odrl:operator": {"@id": "odrl:isAnyOf"},
                                "odrl:rightOperand": [{"@id": _term("stage", s)} for s in rule.stages]})
        if rule.purposes != ANY:
            constraints.append({"@id": f"{rid}-purpose", "@type": "odrl:Constraint",
                                "odrl:leftOperand": {"@id": "odrl:purpose"}, "odrl:operator": {"@id": "odrl:isAnyOf"},
                                "odrl:rightOperand": [purpose_iri(u) for u in rule.purposes]})
        if getattr(rule, "about", ANY) != ANY:  # whose data (docs/semantics.md section 16)
            constraints.append({"@id": f"{rid}-about", "@type": "odrl:Constraint",
                                "odrl:leftOperand": {"@id": "pk:dataSubject"}, "odrl:operator": {"@id": "odrl:isAnyOf"},
                                "odrl:rightOperand": [subject_iri(r) for r in rule.about]})
        for fact, values in table.facts:
            name, role = split_fact_key(fact)
            constraint = {"@id": f"{rid}-fact-{quote(fact, safe='')}", "@type": "odrl:Constraint",
                          "odrl:leftOperand": {"@id": _term("fact", name)}, "odrl:operator": {"@id": "odrl:isAnyOf"},
                          "odrl:rightOperand": list(values) if values else ["pk:none"]}
            if role is not None:     # one person's own value: consent@victim is the victim's consent
                constraint["pk:factOf"] = subject_iri(role)
            elif name in per_person:  # read for the person the request is about
                constraint["pk:factOf"] = {"@id": "pk:requestDataSubject"}
            constraints.append(constraint)
        duties = []
        sharing = rule.outcome in SHARING_OUTCOMES
        if sharing and rule.sharing == "discretion":
            duties.append({"@type": ["odrl:Duty", "odrl:Rule"], "odrl:action": {"@id": "pk:exerciseJudgement"},
                           "pk:decidedBy": rule.decided_by})
        if rule.outcome in _DUTY_BEFORE:
            duty = {"@type": ["odrl:Duty", "odrl:Rule"], "odrl:action": {"@id": _DUTY_BEFORE[rule.outcome]}}
            if rule.escalate_to and rule.outcome == "escalate":
                duty["pk:decidedBy"] = rule.escalate_to
            duties.append(duty)
        for k, obligation in enumerate(rule.obligations):
            duty = {"@type": ["odrl:Duty", "odrl:Rule"], "odrl:action": {"@id": _term("obligation", obligation.type)}}
            if obligation.detail is not None:
                duty["pk:detail"] = obligation.detail
            timing = _duty_constraints(obligation, f"{rid}-duty{k}")
            if timing:
                duty["odrl:constraint"] = timing
            duties.append(duty)
        if rule.categories == ANY:
            assets = [{"@id": "pk:anyCategory"}]
        else:
            assets = [category_iri(c) for c in rule.categories]
        duty_to_share = sharing and rule.sharing == "required"
        node = {
            "@id": rid,
            "@type": ["odrl:Prohibition" if rule.outcome == "refuse" else "odrl:Duty" if duty_to_share
                      else "odrl:Permission", "odrl:Rule"],
            "odrl:action": {"@id": "dpv:Share"},
            "odrl:target": {"@id": f"{rid}-data", "@type": "odrl:AssetCollection", "pk:category": assets},
            "pk:ruleId": rule.id,
            "dcterms:title": rule.title,
            "pk:rationale": rule.rationale,
            "pk:outcome": rule.outcome,
            "pk:priority": rule.priority,
            "pk:lawfulBasis": [basis_iri(b) for b in rule.lawful_bases],
        }
        for key, selector in (("odrl:assigner", rule.from_), ("odrl:assignee", rule.to)):
            party = parties(selector, f"{rid}-{key.split(':')[1]}")
            if party is not None:
                node[key] = party
        if constraints:
            node["odrl:constraint"] = constraints
        if sharing:
            node["pk:sharing"] = rule.sharing
        if duties and rule.outcome != "refuse" and not duty_to_share:
            node["odrl:duty"] = duties
        elif duties:
            node["pk:obligation"] = duties  # a prohibition or a duty has no duties in ODRL; they are noted here
        if rule.outcome == "share_minimum" and rule.minimum:
            node["pk:minimum"] = rule.minimum
        if sharing and rule_position[rule.id] in held.by_rule:
            node["dpv:hasStorageCondition"] = _storage_conditions(held, rule_position[rule.id], rid)
        inherited = tables.compiled.inherited.get(rule.id, ())
        if inherited:
            node["pk:inheritedFrom"] = [{"@id": _term("default", d)} for d in dict.fromkeys(i.default for i in inherited)]
        (prohibitions if rule.outcome == "refuse" else obligations if duty_to_share else permissions).append(node)

    definitions = []
    for c in sorted({c for r in protocol.rules if r.categories != ANY for c in r.categories}):
        entry = vocab.categories.get(c)
        definitions.append({"@id": category_iri(c)["@id"], "pk:id": c,
                            "dcterms:title": vocab.label("categories", c),
                            "pk:specialCategory": vocab.is_special(c), "pk:criminalOffenceData": vocab.is_criminal(c),
                            **({"pk:dpv": {"@id": entry.dpv}} if entry is not None and entry.dpv else {})})
    subject_definitions = []
    for role in [r for r in subjects if r in roles_named] + sorted(r for r in roles_named if r not in subjects):
        entry = subjects.get(role)
        subject_definitions.append({
            "@id": subject_iri(role)["@id"], "pk:id": role,
            "dcterms:title": entry.label if entry is not None else role,
            # a DPV term is defined by DPV; the project's own are kinds of dpv:DataSubject
            **({} if entry is not None and entry.dpv else {"rdfs:subClassOf": {"@id": "dpv:DataSubject"}})})
    return {
        "@context": CONTEXT,
        "@id": policy_id,
        "@type": ["odrl:Set", "odrl:Policy"],  # typed explicitly: validators need not infer Set < Policy
        "odrl:uid": {"@id": policy_id},
        "odrl:profile": {"@id": "https://protocolkit.invalid/odrl-profile"},
        "dcterms:title": protocol.metadata.title,
        "dcterms:identifier": protocol.metadata.id,
        "pk:version": protocol.metadata.version,
        "pk:status": protocol.metadata.status,
        "pk:sha256": the_stamp.sha256,
        "pk:stamp": the_stamp.line(),
        "pk:decisionOrder": ("Among the rules that match a request, those of the highest pk:priority decide; "
                             "among them the most protective pk:outcome (refuse, escalate, seek_consent, "
                             "share_minimum, share); no matching rule is a gap: nothing is shared. A sharing "
                             "rule that is an odrl:obligation (pk:sharing required) decides as a permission "
                             "would, and makes sharing a duty of the sender; pk:sharing discretion leaves it "
                             "to pk:decidedBy, who records the decision."),
        "pk:retentionOrder": ("What a recipient receives under a sharing rule is kept for the periods of the "
                              "rule's own dpv:StorageDuration terms that cover the category (with pk:inherit add, "
                              "also the inherited ones), else those it inherits from the defaults (pk:statedIn) "
                              "kept by that recipient (pk:keptBy), else the pk:retentionStatement terms that cover "
                              "the recipient and the category; of one rule's or one default's terms, those naming "
                              "the category most nearly (docs/semantics.md section 18)."),
        **({"pk:retentionStatement": [_storage_node(held.terms[st["term"]], f"{policy_id}#retention-statement{k}",
                                                    st["categories"], st["holders"])
                                      for k, st in enumerate(held.statements)]} if held.statements else {}),
        "odrl:permission": permissions,
        "odrl:prohibition": prohibitions,
        **({"odrl:obligation": obligations} if obligations else {}),
        "pk:categoryDefinition": definitions,
        **({"pk:subjectDefinition": subject_definitions} if subject_definitions else {}),
    }


def _storage_conditions(held, position: int, rid: str) -> list[dict]:
    """A sharing rule's retention terms (docs/semantics.md section 18) as DPV storage durations, per group of the
    categories they cover: the rule's own (kept by every recipient), then per default the inherited ones with the
    recipients that keep them."""
    out = []
    for g, group in enumerate(held.by_rule[position]):
        for k, t in enumerate(group["own"]):
            out.append(_storage_node(held.terms[t], f"{rid}-retention{g}-own{k}", group["categories"], None,
                                     inherit="add" if group["add"] else None))
        for d, (holder, found) in enumerate(group["defaults"]):
            for k, t in enumerate(found):
                out.append(_storage_node(held.terms[t], f"{rid}-retention{g}-default{d}-{k}", group["categories"],
                                         held.holders[holder]))
    return out


def _storage_node(term: dict, node_id: str, categories, kept_by, inherit: str | None = None) -> dict:
    """One retention period as a ``dpv:StorageDuration``: the duration (``xsd:duration`` where it has an ISO 8601
    form), the event it runs from, the categories it covers, who keeps it, where it was stated and its source."""
    node = {"@id": node_id, "@type": ["dpv:StorageDuration", "dpv:StorageCondition"],
            "rdf:value": _iso_duration(term["period"]), "pk:period": term["period"],
            "pk:origin": term["origin"], "pk:statedIn": {"@id": _term(term["origin"], term["owner"])},
            "pk:category": [{"@id": _term("category", c)} for c in sorted(categories)]}
    if kept_by is not None:
        node["pk:keptBy"] = [{"@id": _term("partner", p)} for p in sorted(kept_by)]
    if term.get("source"):
        node["dcterms:source"] = term["source"]
    if inherit:
        node["pk:inherit"] = inherit
    return node


def _iso_duration(period: str):
    """The duration of a period in words (``6 years after the contact closed``) as an ``xsd:duration`` literal
    (``P6Y``), or the words where it has no ISO 8601 form."""
    import re

    match = re.match(r"^(\d+) (year|month|week|day)s?\b", period)
    if not match:
        return period
    return {"@value": f"P{match.group(1)}{match.group(2)[0].upper()}", "@type": "xsd:duration"}


def write_odrl(protocol: Protocol, out_dir) -> list[Path]:
    """Write ``<id>.jsonld``. Refuses a protocol with errors."""
    ensure_exportable(protocol)
    path = Path(out_dir) / f"{protocol.metadata.id}.jsonld"
    path.write_bytes(dumps_canonical(odrl_policy(protocol)))
    return [path]


def odrl_json(protocol: Protocol) -> str:
    """The JSON-LD text."""
    return json.dumps(odrl_policy(protocol), sort_keys=True, ensure_ascii=False, indent=2) + "\n"
