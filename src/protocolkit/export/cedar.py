"""The protocol as Cedar policies, a Cedar schema and an entities file; and how to read Cedar's answers.

Cedar answers only *allow* or *deny*, with default deny and "any satisfied forbid overrides
every permit". The engine has five outcomes, priorities and gaps. The encoding recovers the
engine's decision exactly by asking Cedar one question per *decision class*:

- a decision class is a (priority, outcome) pair that some rule has, ordered as the engine
  decides (highest priority first, then the most protective outcome); each class is a Cedar
  action, such as ``Action::"p0.refuse"``;
- every rule becomes a ``permit`` on its own class's action and a ``forbid`` on the action of
  every *lower* class, both with the rule's scope as their condition and annotated with
  ``@id("<rule id>")`` (and, on the permit, the rule's position, outcome, obligations, lawful
  bases, minimum and escalation, as annotations);
- so Cedar allows class *k* for a category exactly when some rule of class *k* matches and no
  rule of a higher class does: class *k* is the class of the engine's deciding rules. At most
  one class is allowed; none means no rule matches: a **gap**. The reasons Cedar gives for
  the allowed class are the deciding rules, and the first of them in protocol order is the
  deciding rule. Obligations and lawful bases are those of the deciding rules, read from the
  permits' annotations.

The scope of a rule: the sender is the principal (``Partner``), the category the resource
(``Category``), the recipient ``context.to`` (``Partner``); partners are members of the partner
they are part of and of their kind, kinds of their broader kind, categories of their parent,
so ``in`` gives the hierarchies of ``docs/semantics.md`` section 2. Stage, purpose and facts
are context strings; a fact the request does not state is ``"unknown"``. Whose data
(``docs/semantics.md`` section 16): ``context.about`` is the request's data subject role
(``"unstated"`` for none), people's own values are ``context.facts["consent@victim"]``, and each
condition on a per-subject fact reads it for the request's subject. The scopes are
generated from the engine's compiled tables and checked against the entity hierarchy: where
the hierarchy would cover other partners or categories than the engine, the policy lists
them one by one instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from ..model.keys import ANY, UNKNOWN
from ..model.outcomes import OUTCOMES_MOST_PROTECTIVE_FIRST, SHARING_OUTCOMES
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary
from .canonical import Stamp, dumps_canonical, ensure_exportable, stamp
from .tables import REQUESTED_BY, SHARING_MODES, RuleTable, Tables, rule_tables
from .retention_tables import RetentionTables, retention_tables
from .text import cedar_string, comment_safe


#: The action every rule permits where it matches, whatever its class: "which rules match?".
MATCH = "match"

#: The action every rule permits where it matches or waits on an unknown fact (only with such fallbacks).
WAIT = "match_or_wait"


def class_action(priority: int, outcome: str) -> str:
    """The Cedar action id of a decision class.

    Examples
    --------
    >>> class_action(1, "share")
    'p1.share'
    """
    return f"p{priority}.{outcome}"


def _ref(kind: str, value: str) -> str:
    return f"{kind}::{cedar_string(value)}"


def _strings(values) -> str:
    return "[" + ", ".join(cedar_string(v) for v in values) + "]"


@dataclass(frozen=True)
class _Hierarchy:
    """Which partners and categories Cedar's ``in`` puts under each entity, computed from the entities we write."""

    partner_ancestors: dict[str, set[tuple[str, str]]]
    category_ancestors: dict[str, set[str]]

    @classmethod
    def of(cls, vocab: Vocabulary, tables: Tables) -> "_Hierarchy":
        partners = {}
        for p in tables.partners:
            seen: set[tuple[str, str]] = set()
            stack = [("Partner", p)]
            while stack:
                node = stack.pop()
                if node in seen:
                    continue
                seen.add(node)
                stack.extend(_parents(vocab, *node))
            partners[p] = seen
        categories = {c: set(vocab.category_ancestors(c)) & set(tables.categories) | {c} for c in tables.categories}
        return cls(partners, categories)


def _parents(vocab: Vocabulary, kind: str, value: str) -> list[tuple[str, str]]:
    if kind == "Partner":
        entry = vocab.partners.get(value)
        if entry is None:  # a party outside the partnership: no kind or organisation above it
            return []
        out = [("Kind", entry.kind)] if entry.kind in vocab.kinds else []
        return out + ([("Partner", entry.part_of)] if entry.part_of in vocab.partners else [])
    kind_entry = vocab.kinds.get(value)
    return [("Kind", kind_entry.parent)] if kind_entry and kind_entry.parent in vocab.kinds else []


def _partner_condition(expr: str, selector, covered: tuple[str, ...], tables: Tables, tree: _Hierarchy) -> str | None:
    if set(covered) == set(tables.partners):
        return None
    if not covered:   # e.g. a selector naming only outside kinds the protocol does not declare
        return "false"
    if selector != ANY:
        refs = [("Partner", p) for p in selector.partners] + [("Kind", k) for k in selector.kinds]
        by_hierarchy = {p for p, ancestors in tree.partner_ancestors.items() if ancestors & set(refs)}
        if by_hierarchy == set(covered):
            groups = [f"{expr} in [{', '.join(_ref(k, v) for k, v in refs if k == t)}]" for t in ("Partner", "Kind")
                      if any(k == t for k, _ in refs)]
            return groups[0] if len(groups) == 1 else "(" + " || ".join(groups) + ")"
    if not covered:
        return "false"
    return f"{expr} in [{', '.join(_ref('Partner', p) for p in covered)}]"


def _category_condition(rule_categories, covered: tuple[str, ...], tables: Tables, tree: _Hierarchy) -> str | None:
    if set(covered) == set(tables.categories):
        return None
    if rule_categories != ANY:
        named = set(rule_categories)
        by_hierarchy = {c for c, ancestors in tree.category_ancestors.items() if ancestors & named}
        if by_hierarchy == set(covered):
            return f"resource in [{', '.join(_ref('Category', c) for c in rule_categories)}]"
    if not covered:
        return "false"
    return f"resource in [{', '.join(_ref('Category', c) for c in covered)}]"


def _fact_test(fact: str, allowed, tables: Tables) -> str:
    """A Cedar test that a fact, as the engine reads it, is one of ``allowed`` (``docs/semantics.md`` section 16).

    The context's facts are the request's as given (``"unknown"`` where not given), people's own values as
    ``fact@role``. A per-subject fact read plainly is the value for the request's subject: the plain value when
    given, else the subject's own ``fact@role``. ``fact@role`` is that person's value: given plainly when the
    request is about them.
    """
    def holds(expr: str) -> str:
        return f"{_strings(allowed)}.contains({expr})" if allowed else "false"

    def given(key: str) -> str:
        return f"context.facts[{cedar_string(key)}]"

    name, _, role = fact.partition("@")
    if name not in tables.per_subject or len(tables.subjects) < 2:
        return holds(given(fact))
    if role:
        return (f"(if context.about == {cedar_string(role)} && {given(name)} != \"unknown\" then {holds(given(name))} "
                f"else {holds(given(fact))})")
    branches = f"if {given(name)} != \"unknown\" then {holds(given(name))}"
    for subject in tables.subjects[1:]:
        branches += f" else if context.about == {cedar_string(subject)} then {holds(given(f'{name}@{subject}'))}"
    return f"({branches} else {'true' if UNKNOWN in allowed else 'false'})"


def _conditions(rule, table: RuleTable, tables: Tables, tree: _Hierarchy) -> list[str]:
    out = [
        _partner_condition("principal", rule.from_, table.senders, tables, tree),
        _partner_condition("context.to", rule.to, table.recipients, tables, tree),
        _category_condition(rule.categories, table.categories, tables, tree),
    ]
    for values, everything, expr in ((table.stages, tables.stages, "context.stage"),
                                     (table.purposes, tables.purposes, "context.purpose")):
        if set(values) != set(everything):
            out.append(f"{_strings(values)}.contains({expr})" if values else "false")
    if set(table.requested_by) != set(REQUESTED_BY):
        out.append(f"{_strings(table.requested_by)}.contains(context.requested_by)" if table.requested_by else "false")
    if tables.uses_about and set(table.about) != set(tables.subjects):  # whose data (docs/semantics.md section 16)
        out.append(f"{_strings(table.about)}.contains(context.about)" if table.about else "false")
    for fact, allowed in table.facts:
        out.append(_fact_test(fact, allowed, tables))
    return [c for c in out if c]


def cedar_policies(protocol: Protocol, tables: Tables | None = None, the_stamp: Stamp | None = None) -> str:
    """The Cedar policy text of a protocol (see the module docstring).

    Examples
    --------
    >>> import protocolkit
    >>> text = cedar_policies(protocolkit.load(protocolkit.example_path("mash")))
    >>> text.count("permit (") == len(protocolkit.load(protocolkit.example_path("mash")).rules)
    True
    """
    tables = tables or rule_tables(protocol)
    the_stamp = the_stamp or stamp(protocol)
    tree = _Hierarchy.of(tables.compiled.vocab, tables)
    classes = tables.classes()
    held = retention_tables(tables)
    out = [
        f"// Cedar policies of the information sharing protocol {the_stamp.protocol}.",
        f"// Generated by protocolkit from {the_stamp.line()}.",
        "// Do not edit: regenerate them from the protocol. Each decision class (priority, outcome) is an action;",
        "// Cedar allows the class that decides, and denies every other (docs/exports.md, 'Cedar').",
        "// Decision classes, the deciding class first: " + ", ".join(class_action(*c) for c in classes),
        "",
    ]
    for rule, table in zip(tables.compiled.rules, tables.rules):
        conditions = _conditions(rule, table, tables, tree)
        when = (" when {\n  " + " &&\n  ".join(conditions) + "\n}") if conditions else ""
        own = classes.index((table.priority, table.outcome))
        annotations = [
            f"@id({cedar_string(table.id)})",
            f"@title({cedar_string(table.title)})",
            f"@position({cedar_string(str(table.position))})",
            f"@outcome({cedar_string(table.outcome)})",
            f"@priority({cedar_string(str(table.priority))})",
            f"@obligations({cedar_string(json.dumps(list(table.obligations), ensure_ascii=False))})",
            f"@lawful_bases({cedar_string(json.dumps(list(table.lawful_bases), ensure_ascii=False))})",
            f"@survivable({cedar_string(json.dumps(list(table.survivable), ensure_ascii=False))})",
        ]
        if table.minimum is not None:
            annotations.append(f"@minimum({cedar_string(table.minimum)})")
        if table.escalate_to is not None:
            annotations.append(f"@escalate_to({cedar_string(table.escalate_to)})")
        if table.outcome in SHARING_OUTCOMES:
            annotations.append(f"@sharing({cedar_string(table.sharing)})")
            if table.decided_by is not None:
                annotations.append(f"@decided_by({cedar_string(table.decided_by)})")
            if table.position in held.by_rule:
                annotations.append(f"@retention({cedar_string(_retention_annotation(held, table.position))})")
        out.append(f"// rule {comment_safe(table.id)}: {table.outcome} at priority {table.priority}")
        out += annotations
        own_action = _ref("Action", class_action(*classes[own]))
        out.append(f"permit (principal, action in [{own_action}, {_ref('Action', MATCH)}], resource){when};")
        out.append("")
        if tables.waits_on_facts:
            relaxed_table = replace(table, facts=table.relaxed_facts)
            relaxed = _conditions(rule, relaxed_table, tables, tree)
            relaxed_when = (" when {\n  " + " &&\n  ".join(relaxed) + "\n}") if relaxed else ""
            out.append(f"// rule {comment_safe(table.id)} matches, or waits on an unknown fact")
            out.append(f"@id({cedar_string(table.id)})")
            out.append(f"permit (principal, action == {_ref('Action', WAIT)}, resource){relaxed_when};")
            out.append("")
        lower = classes[own + 1:]
        if lower:
            actions = ", ".join(_ref("Action", class_action(*c)) for c in lower)
            out.append(f"// rule {comment_safe(table.id)} overrides every lower class where it matches")
            out.append(f"@id({cedar_string(table.id)})")
            out.append(f"forbid (principal, action in [{actions}], resource){when};")
            out.append("")
    every = ", ".join(_ref("Action", a) for a in [*(class_action(*c) for c in classes), MATCH])
    for constraint, cube in tables.impossible:
        condition = " &&\n  ".join(_fact_test(f, v, tables) for f, v in cube)
        out.append(f"// fact constraint {comment_safe(constraint)}: no case has these facts; such a request is bad input")
        out.append(f"@id({cedar_string(constraint)})")
        out.append('@constraint("impossible facts")')
        out.append(f"forbid (principal, action in [{every}], resource) when {{\n  {condition}\n}};")
        out.append("")
    if len(tables.subjects) > 1:  # whose data (docs/semantics.md section 16): what a request may not say
        roles = _strings(tables.subjects)
        out.append("// a request about a data subject role the protocol does not declare is bad input")
        out.append('@id("unknown data subject role")')
        out.append('@constraint("unknown data subject role")')
        out.append(f"forbid (principal, action in [{every}], resource) when {{\n  !{roles}.contains(context.about)\n}};")
        out.append("")
        for key, fact, role in tables.role_keys:
            plain, own = f"context.facts[{cedar_string(fact)}]", f"context.facts[{cedar_string(key)}]"
            out.append(f"// a request about the {comment_safe(role)} that gives {comment_safe(fact)} two values is bad input")
            out.append(f"@id({cedar_string(f'two values of {key}')})")
            out.append('@constraint("two values for the subject")')
            out.append(f"forbid (principal, action in [{every}], resource) when {{\n  context.about == {cedar_string(role)} && "
                       f"{plain} != \"unknown\" && {own} != \"unknown\" && {plain} != {own}\n}};")
            out.append("")
    return "\n".join(out)


def cedar_schema(protocol: Protocol, tables: Tables | None = None) -> dict:
    """The Cedar schema (JSON form): partners, kinds and categories as hierarchies, one action per class.

    Examples
    --------
    >>> import protocolkit
    >>> schema = cedar_schema(protocolkit.load(protocolkit.example_path("mash")))
    >>> schema[""]["entityTypes"]["Partner"]["memberOfTypes"], "p0.refuse" in schema[""]["actions"]
    (['Partner', 'Kind'], True)
    """
    tables = tables or rule_tables(protocol)
    context = {"type": "Record", "attributes": {
        "to": {"type": "Entity", "name": "Partner"},
        "stage": {"type": "String"},
        "purpose": {"type": "String"},
        "requested_by": {"type": "String"},
        "facts": {"type": "Record", "attributes": {f: {"type": "String"} for f in _context_facts(tables)}},
    }}
    if len(tables.subjects) > 1:  # whose data: a data subject role, "unstated" when the request names none
        context["attributes"]["about"] = {"type": "String"}
    label = {"type": "Record", "attributes": {"name": {"type": "String"}}}
    party = {"type": "Record", "attributes": {"name": {"type": "String"},
                                              "outside": {"type": "Boolean", "required": False}}}
    fallback = {"type": "Record", "attributes": {
        "fallback": {"type": "String"}, "outcome": {"type": "String"}, "escalate_to": {"type": "String"},
        "obligations": {"type": "String"}, "on_gap": {"type": "Boolean"}, "on_unknown_fact": {"type": "Boolean"}}}
    actions = [*(class_action(*c) for c in tables.classes()), MATCH] + ([WAIT] if tables.waits_on_facts else [])
    return {"": {
        "entityTypes": {
            "Partner": {"memberOfTypes": ["Partner", "Kind"], "shape": party},
            "Kind": {"memberOfTypes": ["Kind"], "shape": label},
            "Category": {"memberOfTypes": ["Category"], "shape": label},
            "Fallback": {"memberOfTypes": [], "shape": fallback},
            "Retention": {"memberOfTypes": [], "shape": {"type": "Record", "attributes": {
                "statements": {"type": "String"}}}},
        },
        "actions": {a: {"appliesTo": {"principalTypes": ["Partner"], "resourceTypes": ["Category"],
                                      "context": context}} for a in actions},
    }}


def _retention_annotation(held: RetentionTables, position: int) -> str:
    """A rule's retention terms per group of categories (docs/semantics.md section 18), as the JSON of its
    ``@retention`` annotation: ``{"add", "groups": [{"categories", "own": [period], "defaults": [[holders,
    [period]]]}]}``; a period is ``{"period", "origin", "owner", "source"}``."""
    groups = held.by_rule[position]
    return json.dumps({"add": groups[0]["add"], "groups": [
        {"categories": sorted(g["categories"]), "own": [held.terms[t] for t in g["own"]],
         "defaults": [[sorted(held.holders[h]), [held.terms[t] for t in found]] for h, found in g["defaults"]]}
        for g in groups]}, ensure_ascii=False, sort_keys=True)


def _context_facts(tables: Tables) -> list[str]:
    """The facts a Cedar request's context carries: every fact column, then every person's own value
    (``fact@role``) of a per-subject fact that is not a column."""
    columns = [f for f, _ in tables.facts]
    return columns + [key for key, _, _ in tables.role_keys if key not in set(columns)]


def cedar_entities(protocol: Protocol, tables: Tables | None = None) -> list[dict]:
    """The Cedar entities (JSON form): kinds, partners and categories with their parents, and the actions.

    Examples
    --------
    >>> import protocolkit
    >>> entities = cedar_entities(protocolkit.load(protocolkit.example_path("mash")))
    >>> next(e["parents"] for e in entities if e["uid"] == {"type": "Category", "id": "health.mental_health"})
    [{'type': 'Category', 'id': 'health'}]
    """
    tables = tables or rule_tables(protocol)
    vocab = tables.compiled.vocab
    actions = [*(class_action(*c) for c in tables.classes()), MATCH] + ([WAIT] if tables.waits_on_facts else [])
    out = [{"uid": {"type": "Action", "id": a}, "attrs": {}, "parents": []} for a in actions]
    # each purpose's fallback (docs/semantics.md section 5), read by CedarDecider; one entity per purpose that has one
    for purpose, k in tables.purpose_fallback:
        if k < 0:
            continue
        f = tables.fallbacks[k]
        out.append({"uid": {"type": "Fallback", "id": purpose}, "parents": [], "attrs": {
            "fallback": f.id, "outcome": f.outcome, "escalate_to": f.escalate_to or "",
            "obligations": json.dumps(list(f.obligations), ensure_ascii=False),
            "on_gap": f.on_gap, "on_unknown_fact": f.on_unknown_fact}})
    # the protocol's retention statements with a duration (docs/semantics.md sections 13, 18), read by CedarDecider
    held = retention_tables(tables)
    out.append({"uid": {"type": "Retention", "id": "statements"}, "parents": [], "attrs": {"statements": json.dumps(
        [{"holders": sorted(s["holders"]), "categories": sorted(s["categories"]), "period": held.terms[s["term"]]}
         for s in held.statements], ensure_ascii=False, sort_keys=True)}})
    for kind in vocab.kinds.values():
        out.append({"uid": {"type": "Kind", "id": kind.id}, "attrs": {"name": kind.label},
                    "parents": [{"type": t, "id": v} for t, v in _parents(vocab, "Kind", kind.id)]})
    for partner in tables.partners:
        if partner in vocab.partners:
            attrs = {"name": vocab.partners[partner].name}
        else:  # a party outside the partnership (docs/semantics.md section 1): matched only where a rule names it
            attrs = {"name": vocab.label("partners", partner), "outside": True}
        out.append({"uid": {"type": "Partner", "id": partner}, "attrs": attrs,
                    "parents": [{"type": t, "id": v} for t, v in _parents(vocab, "Partner", partner)]})
    for category in tables.categories:
        parent = vocab.category_parent(category)
        out.append({"uid": {"type": "Category", "id": category}, "attrs": {"name": vocab.label("categories", category)},
                    "parents": [{"type": "Category", "id": parent}] if parent in vocab.categories else []})
    return out


def write_cedar(protocol: Protocol, out_dir) -> list[Path]:
    """Write ``<id>.cedar`` (policies), ``<id>.cedarschema.json`` and ``<id>.entities.json``.

    Refuses a protocol with errors. Returns the paths written.
    """
    ensure_exportable(protocol)
    out = Path(out_dir)
    tables = rule_tables(protocol)
    pid = protocol.metadata.id
    policies, schema, entities = out / f"{pid}.cedar", out / f"{pid}.cedarschema.json", out / f"{pid}.entities.json"
    policies.write_text(cedar_policies(protocol, tables), encoding="utf-8", newline="\n")
    schema.write_bytes(dumps_canonical(cedar_schema(protocol, tables)))
    entities.write_bytes(dumps_canonical(cedar_entities(protocol, tables)))
    return [policies, schema, entities]


# -- reading Cedar's answers back as the engine's decisions -------------------------------------------

@dataclass
class CedarDecider:
    """Decide requests with Cedar (``cedarpy``) from the three exported files' contents, as the engine would.

    Everything it needs is in the export: the decision classes are the actions of the schema, the
    rules' positions, outcomes, obligations and bases are the permits' annotations.
    """

    policies: str
    schema: dict
    entities: list[dict]

    def __post_init__(self):
        import cedarpy

        self._cedarpy = cedarpy
        self.policy_set = cedarpy.PolicySet.from_str(self.policies)
        self.entity_set = cedarpy.Entities.from_json_str(json.dumps(self.entities))
        actions = [a for a in self.schema[""]["actions"] if a not in (MATCH, WAIT)]
        self.waits = WAIT in self.schema[""]["actions"]
        self.fallbacks = {e["uid"]["id"]: e["attrs"] for e in self.entities if e["uid"]["type"] == "Fallback"}
        self.classes = sorted(actions, key=_class_order)
        context = self.schema[""]["actions"][MATCH]["appliesTo"]["context"]["attributes"]
        self.facts = list(context["facts"]["attributes"])
        self.with_about = "about" in context
        parsed = json.loads(cedarpy.policies_to_json_str(self.policies))["staticPolicies"]
        self.rules = {}
        self.constraints = {p["annotations"]["id"]: p["annotations"]["constraint"] for p in parsed.values()
                            if "constraint" in p["annotations"]}
        for policy in parsed.values():
            a = policy["annotations"]
            if policy["effect"] == "permit" and "position" in a:
                self.rules[a["id"]] = {"position": int(a["position"]), "outcome": a["outcome"],
                                       "priority": int(a["priority"]),
                                       "obligations": json.loads(a["obligations"]),
                                       "lawful_bases": json.loads(a["lawful_bases"]),
                                       "survivable": json.loads(a.get("survivable", "[]")),
                                       "minimum": a.get("minimum"), "escalate_to": a.get("escalate_to"),
                                       "sharing": a.get("sharing"), "decided_by": a.get("decided_by"),
                                       "retention": _read_retention(a.get("retention"))}
        self.statements = [{"holders": set(s["holders"]), "categories": set(s["categories"]), "period": s["period"]}
                           for e in self.entities if e["uid"] == {"type": "Retention", "id": "statements"}
                           for s in json.loads(e["attrs"]["statements"])]

    @classmethod
    def of(cls, protocol: Protocol) -> "CedarDecider":
        """Export a protocol and load the export (for tests and the benchmark)."""
        tables = rule_tables(protocol)
        return cls(cedar_policies(protocol, tables), cedar_schema(protocol, tables), cedar_entities(protocol, tables))

    def cedar_request(self, request: dict, category: str, action: str) -> dict:
        """The Cedar request asking ``action`` about one category of a sharing request."""
        facts = {f: str(request.get("facts", {}).get(f, UNKNOWN)) for f in self.facts}
        context = {"to": {"__entity": {"type": "Partner", "id": request["to"]}}, "stage": request["stage"],
                   "purpose": request["purpose"], "requested_by": who_asked(request), "facts": facts}
        about = request.get("about")
        if about == "unstated":
            raise ValueError("unknown data subject role unstated: leave 'about' out when the request names no one")
        if self.with_about:
            context["about"] = about or "unstated"
        elif about:
            raise ValueError(f"unknown data subject role {about}: the protocol declares none")
        return {"principal": {"type": "Partner", "id": request["from"]}, "action": {"type": "Action", "id": action},
                "resource": {"type": "Category", "id": category}, "context": context}

    def _ask(self, batch: list[dict]) -> list:
        answers = self._cedarpy.is_authorized_batch(batch, self.policy_set, self.entity_set) if batch else []
        for question, answer in zip(batch, answers):
            if answer.diagnostics.errors:
                raise ValueError(f"Cedar could not evaluate {question}: {answer.diagnostics.errors[:3]}")
        return answers

    def decide_many(self, requests: list[dict]) -> list[dict]:
        """Decisions shaped as :meth:`protocolkit.engine.Decision.to_dict` (the fields Cedar can recover).

        Two rounds of Cedar questions: ``match`` for every category (denied: a gap; allowed: its
        reasons are the matching rules), then, for the categories some rule matches, the decision
        class of each matching rule. Exactly one of those classes must be allowed: it decides, and
        its reasons are the deciding rules.
        """
        items = [(request, category) for request in requests for category in request["categories"]]
        probes = self._ask([self.cedar_request(r, c, MATCH) for r, c in items])
        questions, owners = [], []
        for k, ((request, category), probe) in enumerate(zip(items, probes)):
            broken = set(probe.diagnostics.id_annotations_by_reason.values()) & set(self.constraints)
            if broken:
                what = sorted(broken)
                if any(self.constraints[c] == "impossible facts" for c in what):
                    raise ValueError(f"these facts cannot all be true under the fact constraint {', '.join(what)}: "
                                     f"{request.get('facts', {})}")
                raise ValueError(f"bad request ({', '.join(what)}): about {request.get('about')!r}, "
                                 f"facts {request.get('facts', {})}")
            if probe.allowed:
                matched = set(probe.diagnostics.id_annotations_by_reason.values())
                candidates = sorted({class_action(int(self.rules[i]["priority"]), self.rules[i]["outcome"])
                                     for i in matched}, key=_class_order)
                for action in candidates:
                    questions.append(self.cedar_request(request, category, action))
                    owners.append(k)
        answers = self._ask(questions)
        winners: dict[int, list] = {}
        for k, answer in zip(owners, answers):
            if answer.allowed:
                if k in winners:
                    raise ValueError(f"Cedar allowed two decision classes for {items[k]}")
                winners[k] = sorted(set(answer.diagnostics.id_annotations_by_reason.values()),
                                    key=lambda i: self.rules[i]["position"])
        matched = {k: set(p.diagnostics.id_annotations_by_reason.values()) if p.allowed else set()
                   for k, p in enumerate(probes)}
        relaxed: dict[int, set] = {}
        if self.waits:
            asked = [k for k, (r, _) in enumerate(items)
                     if self.fallbacks.get(r["purpose"], {}).get("on_unknown_fact")]
            for k, answer in zip(asked, self._ask([self.cedar_request(*items[k], WAIT) for k in asked])):
                relaxed[k] = set(answer.diagnostics.id_annotations_by_reason.values()) if answer.allowed else set()
        out, k = [], 0
        for request in requests:
            categories = []
            for category in request["categories"]:
                if probes[k].allowed and k not in winners:
                    raise ValueError(f"Cedar allowed no decision class for {category} although rules match")
                deciding = winners.get(k, [])
                fallback = self._fallback(request["purpose"], matched[k], deciding, relaxed.get(k, set()))
                if fallback is not None:
                    categories.append(fallback | {"category": category})
                else:
                    entry = _category(category, [(i, self.rules[i]) for i in deciding])
                    entry["obligations"] = _unique([*entry["obligations"], *self._kept(matched[k], deciding)])
                    entry["retention"] = self._retention(deciding, request["to"], category)
                    categories.append(entry)
                k += 1
            out.append(_request_decision(categories))
        return out

    def _retention(self, deciding: list, recipient: str, category: str) -> list[dict]:
        """The retention in effect (docs/semantics.md section 18) from the deciding permits' ``@retention`` and the
        statements entity: the rules' own terms, else their inherited terms the recipient keeps, else the
        statements; none when nothing is shared."""
        if not deciding or self.rules[deciding[0]]["outcome"] not in SHARING_OUTCOMES:
            return []
        own: list[dict] = []
        inherited: list[dict] = []
        for rule_id in deciding:
            held = self.rules[rule_id]["retention"]
            group = next((g for g in held["groups"] if category in g["categories"]), {"own": [], "defaults": []})
            kept = [t for holders, terms in group["defaults"] if recipient in holders for t in terms]
            if group["own"]:
                own += group["own"] + (kept if held["add"] else [])
            else:
                inherited += kept
        found = own or inherited or [s["period"] for s in self.statements
                                     if recipient in s["holders"] and category in s["categories"]]
        return list({json.dumps(t, sort_keys=True): t for t in found}.values())

    def _rank(self, rule_id: str) -> tuple:
        r = self.rules[rule_id]
        return (-r["priority"], OUTCOMES_MOST_PROTECTIVE_FIRST.index(r["outcome"]), r["position"])

    def _kept(self, matched: set, deciding: list) -> list:
        """Obligations of overridden sharing rules that survive an override, when the deciding rules share."""
        if not deciding or self.rules[deciding[0]]["outcome"] not in SHARING_OUTCOMES:
            return []
        own = {o for i in deciding for o in self.rules[i]["obligations"]}
        return [o for i in sorted(matched - set(deciding), key=self._rank)
                if self.rules[i]["outcome"] in SHARING_OUTCOMES for o in self.rules[i]["survivable"] if o not in own]

    def _fallback(self, purpose: str, matched: set, deciding: list, relaxed: set) -> dict | None:
        """The purpose's fallback decision where it applies (section 5), else None."""
        fallback = self.fallbacks.get(purpose)
        if fallback is None:
            return None
        if fallback["on_gap"] and not matched:
            reason = "gap"
        else:
            top = self._rank(deciding[0])[:2] if deciding else None
            current = self.rules[deciding[0]]["outcome"] if deciding else "gap"
            blocking = [i for i in relaxed - matched if top is None or (
                self._rank(i)[:2] < top and self.rules[i]["outcome"] != current)]
            if not (fallback["on_unknown_fact"] and blocking):
                return None
            reason = "unknown_fact"
        return {"outcome": fallback["outcome"], "rule": None, "deciding_rules": [], "lawful_bases": [],
                "obligations": json.loads(fallback["obligations"]), "minimum": None,
                "escalate_to": fallback["escalate_to"] or None, "fallback": fallback["fallback"],
                "fallback_reason": reason, "sharing": None, "decided_by": None, "retention": []}


def _read_retention(annotation: str | None) -> dict:
    """A permit's ``@retention`` annotation, read with sets for the lookups."""
    if annotation is None:
        return {"add": False, "groups": []}
    held = json.loads(annotation)
    return {"add": held["add"], "groups": [
        {"categories": set(g["categories"]), "own": g["own"],
         "defaults": [(set(holders), terms) for holders, terms in g["defaults"]]} for g in held["groups"]]}


def who_asked(request: dict) -> str:
    """Who asked, relative to the flow (``docs/semantics.md`` section 1), from a request mapping."""
    requester = request.get("requester")
    if requester is None:
        return request.get("requested_by") or "unstated"
    if requester == request["from"]:
        return "proactive"
    return "recipient" if requester == request["to"] else "third_party"


def _class_order(action: str) -> tuple:
    priority, _, outcome = action[1:].partition(".")
    return (-int(priority), OUTCOMES_MOST_PROTECTIVE_FIRST.index(outcome))


def _unique(items) -> list:
    return list(dict.fromkeys(items))


def _category(category: str, deciding: list[tuple[str, dict]]) -> dict:
    if not deciding:
        return {"category": category, "outcome": "gap", "rule": None, "deciding_rules": [], "obligations": [],
                "lawful_bases": [], "minimum": None, "escalate_to": None, "sharing": None, "decided_by": None,
                "retention": []}
    first = deciding[0][1]
    mode = decided_by = None
    if first["outcome"] in SHARING_OUTCOMES:  # the strongest mode of the deciding rules (docs/semantics.md section 4)
        mode = min((r["sharing"] for _, r in deciding), key=SHARING_MODES.index)
        if mode == "discretion":
            decided_by = next((r["decided_by"] for _, r in deciding if r["sharing"] == mode and r["decided_by"]), None)
    return {"category": category, "outcome": first["outcome"], "rule": deciding[0][0],
            "deciding_rules": [i for i, _ in deciding],
            "obligations": _unique(o for _, r in deciding for o in r["obligations"]),
            "lawful_bases": _unique(b for _, r in deciding for b in r["lawful_bases"]),
            "minimum": first["minimum"], "escalate_to": first["escalate_to"], "sharing": mode, "decided_by": decided_by}


def _request_decision(categories: list[dict]) -> dict:
    from .tables import SHARING, SUMMARY_ORDER

    overall = min((c["outcome"] for c in categories), key=SUMMARY_ORDER.index)
    return {
        "outcome": overall,
        "rule": next(c["rule"] for c in categories if c["outcome"] == overall),
        "categories": categories,
        "lawful_bases": _unique(b for c in categories if c["outcome"] in SHARING or c["outcome"] == overall
                                for b in c["lawful_bases"]),
        "obligations": _unique(o for c in categories if c["outcome"] != "gap" for o in c["obligations"]),
    }
