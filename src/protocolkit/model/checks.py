"""Whole-protocol checks: duplicate ids, references, cycles, fact values and legal sense.

Each check returns findings; none raises. The legal-sense checks encode the
points of the project's domain notes (section 3). They flag what an
information governance lead would want to see before sign-off; they are not
legal advice, and a warning is an invitation to record the reasoning.

Points resting on items the domain notes tag [K] (unverified) say so in their message.
"""

from __future__ import annotations

import datetime as dt
from difflib import get_close_matches
from typing import Callable, Iterable

from . import codes
from .entities import OUTSIDE_KIND_LABELS, Selector
from .constraints import cubes, fact_components, possible_states
from .keys import ANY, UNKNOWN, dotted_parent
from .defaults import with_defaults
from .legal import check_legal_entries
from .protocol import Protocol
from .source import path_text
from .rules import SHARING_OUTCOMES, UNSTATED_SUBJECT, Condition
from .vocabulary import Vocabulary
from ..errors import Finding, Severity

Locate = Callable[[tuple], tuple]

CONSENT_BASES = frozenset({"UKGDPR.6.1.a", "UKGDPR.9.2.a", "DPA18.S1.P29"})
PART3 = frozenset({"dpa_part3", "dpa_sch8"})


def check_protocol(protocol: Protocol, *, locate: Locate | None = None, today: dt.date | None = None) -> list[Finding]:
    """Every whole-protocol finding, structural first, then legal sense.

    Legal-sense checks run only when the structure is sound, since they rely on references resolving.
    Inside a scope that promises the protocol unchanged (:mod:`protocolkit.model.unchanged`, an export) the
    findings are worked out once per locator and day.
    """
    from .unchanged import memo_of

    memo = memo_of(protocol)
    if memo is None:
        return _check_protocol(protocol, locate, today)
    where = getattr(locate, "__self__", locate)   # a bound method is made anew at each attribute access
    memo.setdefault("check_protocol locators", []).append(where)   # kept alive, so its id names it in the scope
    key = ("check_protocol", id(where), getattr(locate, "__func__", None), today or dt.date.today())
    if key not in memo:
        memo[key] = _check_protocol(protocol, locate, today)
    return list(memo[key])


def _check_protocol(protocol: Protocol, locate: Locate | None, today: dt.date | None) -> list[Finding]:
    locate = locate or (lambda path: (None, None, None))
    vocab = Vocabulary.of(protocol)
    ctx = _Context(protocol, vocab, locate)
    ctx.duplicate_ids()
    ctx.cycles()
    ctx.references()
    if not any(f.severity is Severity.ERROR for f in ctx.findings):
        ctx.legal_sense(today or dt.date.today())
    return ctx.findings


class _Context:
    def __init__(self, protocol: Protocol, vocab: Vocabulary, locate: Locate):
        self.p, self.v, self.locate, self.findings = protocol, vocab, locate, []

    def add(self, code: codes.Code, path: tuple, message: str, fix: str = "", rules: tuple[str, ...] = ()) -> None:
        """Record a finding at ``path``; it is about the rule at ``path`` (if any) and ``rules``."""
        file, line, column = self.locate(path)
        about = [*_rule_at(path, self.p), *rules]
        self.findings.append(code.finding(message, fix, file=file, line=line, column=column, key=_key(path, self.p),
                                          rules=tuple(dict.fromkeys(about))))

    # -- structure ------------------------------------------------------------------------------
    def duplicate_ids(self) -> None:
        for section in ("partner_kinds", "partners", "outside", "categories", "stages", "purposes", "facts",
                        "fact_constraints",
                        "obligation_types", "lawful_bases", "rules", "fallbacks", "need_to_know", "retention", "security",
                        "guarantees"):
            first: dict[str, int] = {}
            for i, item in enumerate(getattr(self.p, section)):
                if item.id in first:
                    self.add(codes.DUPLICATE_ID, (section, i, "id"),
                             f"duplicate {section[:-1] if section.endswith('s') else section} id '{item.id}' "
                             f"(first used by entry {first[item.id] + 1})",
                             "give each entry its own id")
                else:
                    first[item.id] = i

    def _legal_entity(self, i: int, partner) -> None:
        """A partner's declared legal entity: a body that is not a partner, and the same as its organisation's."""
        if partner.legal_entity is None:
            return
        if partner.legal_entity in self.v.partners:
            self.add(codes.STRUCTURE, ("partners", i, "legal_entity"),
                     f"partner '{partner.id}' names '{partner.legal_entity}' as its legal entity, which is a partner "
                     "of the protocol",
                     f"write 'part_of: {partner.legal_entity}' instead (rules on '{partner.legal_entity}' then cover "
                     f"it too), or name a body that is not a partner" if partner.legal_entity != partner.id else
                     "remove 'legal_entity': a partner that is its own legal person needs none")
            return
        if partner.part_of:
            self.add(codes.STRUCTURE, ("partners", i, "legal_entity"),
                     f"partner '{partner.id}' is part of '{partner.part_of}' and also names a legal entity, "
                     f"'{partner.legal_entity}': a team has the legal entity of what it is part of",
                     f"remove 'legal_entity' from '{partner.id}' (declare it on the top partner it belongs to, "
                     f"if that is not itself a legal person)")

    def cycles(self) -> None:
        trees = [
            ("categories", self.p.categories, self.v.category_parent, "category"),
            ("partner_kinds", self.p.partner_kinds, lambda k: self.v.kinds[k].parent if k in self.v.kinds else None, "partner kind"),
            ("partners", self.p.partners, lambda p: self.v.partners[p].part_of if p in self.v.partners else None, "partner"),
        ]
        for section, entries, parent_of, what in trees:
            reported: set[str] = set()
            for i, entry in enumerate(entries):
                chain, node = [], entry.id
                while node is not None and node not in chain:
                    chain.append(node)
                    node = parent_of(node)
                if node == entry.id and entry.id not in reported:
                    reported.update(chain)
                    self.add(codes.CATEGORY_CYCLE, (section, i, "id"),
                             f"{what} '{entry.id}' is its own ancestor: {' -> '.join([*chain, node])}",
                             "break the cycle by changing one parent")

    def references(self) -> None:
        v = self.v
        for i, kind in enumerate(self.p.partner_kinds):
            if kind.parent:
                self._ref((("partner_kinds", i, "parent")), kind.parent, v.kinds, "partner kind")
        for i, partner in enumerate(self.p.partners):
            self._ref(("partners", i, "kind"), partner.kind, v.kinds, "partner kind")
            if partner.part_of:
                self._ref(("partners", i, "part_of"), partner.part_of, v.partners, "partner")
            for j, basis in enumerate(partner.statutory_powers):
                self._ref(("partners", i, "statutory_powers", j), basis, v.lawful_bases, "lawful basis")
            self._legal_entity(i, partner)
        for i, category in enumerate(self.p.categories):
            if category.parent:
                self._ref(("categories", i, "parent"), category.parent, v.categories, "category")
            elif dotted_parent(category.id) and dotted_parent(category.id) not in v.categories:
                self.add(codes.UNKNOWN_REFERENCE, ("categories", i, "id"),
                         f"category '{category.id}' sits under '{dotted_parent(category.id)}', which is not defined",
                         f"add the category '{dotted_parent(category.id)}' or give '{category.id}' an explicit parent")
        for i, basis in enumerate(self.p.lawful_bases):
            if basis.parent:
                self._ref(("lawful_bases", i, "parent"), basis.parent, v.lawful_bases, "lawful basis")
        for i, rule in enumerate(self.p.rules):
            self._scope_refs(("rules", i), rule)
            if rule.history is not None:
                self._history(("rules", i, "history"), rule.history)
            if rule.outcome == "share_minimum" and not rule.minimum:
                self.add(codes.RULE_SHAPE, ("rules", i), f"share_minimum rule {rule.id} does not say what the minimum is",
                         "add 'minimum:' with the fields or summary that may go")
            if rule.outcome == "escalate" and not rule.escalate_to:
                self.add(codes.RULE_SHAPE, ("rules", i), f"escalate rule {rule.id} names nobody to decide",
                         "add 'escalate_to:' with the role that decides, such as 'MASH team manager'")
            self._sharing_shape(i, rule)
            for j, basis in enumerate(rule.lawful_bases):
                self._ref(("rules", i, "lawful_bases", j), basis, v.lawful_bases, "lawful basis")
            self._obligations(("rules", i), rule.obligations)
            for j, term in enumerate(rule.retention):
                self._list(("rules", i, "retention", j, "categories"), term.categories, v.categories, "category")
            if rule.retention and rule.outcome not in SHARING_OUTCOMES:
                self.add(codes.RULE_SHAPE, ("rules", i, "retention"),
                         f"rule {rule.id} states how long its recipients keep the data, but it shares nothing",
                         "remove 'retention' from this rule, or give it a sharing outcome")
        self._fallbacks()
        for i, default in enumerate(self.p.defaults):
            self._selector(("defaults", i, "senders"), default.senders)
            self._selector(("defaults", i, "recipients"), default.recipients)
            self._list(("defaults", i, "purposes"), default.purposes, v.purposes, "purpose")
            for j, basis in enumerate(default.lawful_bases):
                self._ref(("defaults", i, "lawful_bases", j), basis, v.lawful_bases, "lawful basis")
            self._obligations(("defaults", i), default.obligations)
            for j, term in enumerate(default.retention):
                self._list(("defaults", i, "retention", j, "categories"), term.categories, v.categories, "category")
            if not default.lawful_bases and not default.obligations and not default.retention:
                self.add(codes.RULE_SHAPE, ("defaults", i), f"default {default.id} gives nothing",
                         "add the 'lawful_bases', 'obligations' or 'retention' the rules inside it inherit, "
                         "or remove it")
        for i, fact in enumerate(self.p.facts):
            if fact.per_subject and not self.p.subjects:
                self.add(codes.UNKNOWN_REFERENCE, ("facts", i, "per_subject"),
                         f"fact '{fact.id}' is per subject, but the protocol declares no data subject roles",
                         "declare the roles under 'subjects' (such as child, parent, victim), or remove 'per_subject'")
        claimed: dict[str, str] = {}
        for i, role in enumerate(self.p.subjects):
            if role.id == UNSTATED_SUBJECT:
                self.add(codes.STRUCTURE, ("subjects", i, "id"),
                         f"'{UNSTATED_SUBJECT}' is reserved for a request that names no data subject",
                         "give the role another id")
            for j, fact in enumerate(role.facts):
                where = ("subjects", i, "facts", j)
                if fact not in v.facts:
                    self._ref(where, fact, v.facts, "fact")
                elif v.facts[fact].per_subject:
                    self.add(codes.STRUCTURE, where,
                             f"fact '{fact}' is per subject (each person has their own value), so it does not "
                             f"describe the {role.id.replace('_', ' ')} alone",
                             f"remove '{fact}' from the facts of '{role.id}'; a rule reads another person's value "
                             f"as '{fact}@ROLE'")
                elif fact in claimed:
                    self.add(codes.STRUCTURE, where,
                             f"fact '{fact}' is listed as describing both '{claimed[fact]}' and '{role.id}'",
                             "list each fact under the one person whose situation it describes")
                else:
                    claimed[fact] = role.id
        for i, party in enumerate(self.p.outside):
            if party.id in self.v.partners:
                self.add(codes.DUPLICATE_ID, ("outside", i, "id"),
                         f"'{party.id}' is both a partner and an outside party", "give the outside party another id")
        for i, profile in enumerate(self.p.need_to_know):
            self._selector(("need_to_know", i, "recipient"), profile.recipient)
            self._list(("need_to_know", i, "stages"), profile.stages, v.stage_ids, "stage")
            self._list(("need_to_know", i, "purposes"), profile.purposes, v.purposes, "purpose")
            self._list(("need_to_know", i, "categories"), profile.categories, v.categories, "category")
        for i, guarantee in enumerate(self.p.guarantees):
            self._scope_refs(("guarantees", i), guarantee)
            if guarantee.via is not None:
                self._selector(("guarantees", i, "via"), guarantee.via)
            for j, required in enumerate(guarantee.obligations):
                self._ref(("guarantees", i, "obligations", j), required.type, v.obligation_types, "obligation type")
                if required.detail is not None:  # a guarantee requires a type, a timing and a deadline, never words
                    self.add(codes.RULE_SHAPE, ("guarantees", i, "obligations", j),
                             f"a guarantee cannot require the words '{required.detail}' of obligation "
                             f"'{required.type}': no tool can check them",
                             f"require the type alone ('{required.type}'), or its timing and deadline as data "
                             f"('{required.type}: {{timing: after, within: PT24H, from: disclosure}}')")
            self._ref(("guarantees", i, "unless_obligation"), guarantee.unless_obligation, v.obligation_types,
                      "obligation type")
        self._fact_constraints()
        for section in ("retention", "security"):
            for i, statement in enumerate(getattr(self.p, section)):
                self._list((section, i, "partners"), statement.partners, v.partners, "partner")
                self._list((section, i, "categories"), statement.categories, v.categories, "category")

    def _obligations(self, where: tuple, obligations) -> None:
        """Obligation types exist, a type that needs a detail has one (or a deadline as data), and a
        free-text deadline gets a hint to write it as data (``docs/semantics.md`` section 17)."""
        from .deadlines import suggest_deadline

        for j, obligation in enumerate(obligations):
            path = (*where, "obligations", j)
            kind = self.v.obligation_types.get(obligation.type)
            if kind is None:
                self._ref(path, obligation.type, self.v.obligation_types, "obligation type")
            elif kind.needs_detail and not obligation.detail and obligation.within is None:
                self.add(codes.RULE_SHAPE, path, f"obligation '{obligation.type}' needs a detail",
                         f"write it as '{obligation.type}: <detail>' (a deadline, or the reason)")
            if obligation.type == "deadline" and obligation.detail and obligation.within is None:
                guess = suggest_deadline(obligation.detail)
                data = (f"{{within: {guess[0]}, from: {guess[1] or 'referral_received'}}}" if guess
                        else "{within: PT24H, from: disclosure}")
                self.add(codes.FREE_TEXT_DEADLINE, path,
                         f"the deadline '{obligation.detail}' is free text, so no tool can check or time it",
                         f"write it as data, such as 'deadline: {data}' (from: disclosure, request, referral_received, "
                         "decision or incident); keep the words under 'detail' where they say more")

    def _fallbacks(self) -> None:
        """A fallback names known purposes and obligation types, escalates to someone, and no purpose has two."""
        claimed: dict[str, str] = {}
        for i, fallback in enumerate(self.p.fallbacks):
            self._list(("fallbacks", i, "purposes"), fallback.purposes, self.v.purposes, "purpose")
            if fallback.outcome == "escalate" and not fallback.escalate_to:
                self.add(codes.RULE_SHAPE, ("fallbacks", i), f"fallback {fallback.id} escalates to nobody",
                         "add 'escalate_to:' with the role that decides, such as 'MASH team manager'")
            self._obligations(("fallbacks", i), fallback.obligations)
            for purpose in sorted(self.v.purposes_in(fallback.purposes)):
                if purpose in claimed:
                    self.add(codes.RULE_SHAPE, ("fallbacks", i, "purposes"),
                             f"purpose '{purpose}' has two fallbacks, {claimed[purpose]} and {fallback.id}",
                             "give each purpose at most one fallback")
                    break
                claimed[purpose] = fallback.id

    def _sharing_shape(self, i: int, rule) -> None:
        """``sharing`` and ``decided_by`` belong to sharing outcomes; discretion names who decides (section 4)."""
        if rule.outcome not in SHARING_OUTCOMES:
            if rule.sharing != "permitted":
                self.add(codes.RULE_SHAPE, ("rules", i, "sharing"),
                         f"rule {rule.id} says 'sharing: {rule.sharing}', but its outcome {rule.outcome} shares nothing",
                         "remove 'sharing:', or make the outcome share or share_minimum")
            if rule.decided_by:
                self.add(codes.RULE_SHAPE, ("rules", i, "decided_by"),
                         f"rule {rule.id} names 'decided_by', but its outcome {rule.outcome} shares nothing",
                         "remove 'decided_by:' (for escalate, name the role in 'escalate_to:')")
            return
        if rule.sharing == "discretion" and not (rule.decided_by or "").strip():
            self.add(codes.RULE_SHAPE, ("rules", i, "sharing"),
                     f"rule {rule.id} leaves sharing to someone's discretion but does not say whose",
                     "add 'decided_by:' with the role that judges, such as \"the school's designated safeguarding lead\"")
        elif rule.sharing != "discretion" and rule.decided_by:
            self.add(codes.RULE_SHAPE, ("rules", i, "decided_by"),
                     f"rule {rule.id} names 'decided_by' but says 'sharing: {rule.sharing}': nobody's judgement is needed",
                     "write 'sharing: discretion', or remove 'decided_by:'")

    def _scope_refs(self, where: tuple, item) -> None:
        """References of a rule's or guarantee's scope and fact conditions."""
        v = self.v
        self._selector((*where, "from"), item.from_)
        self._selector((*where, "to"), item.to)
        self._list((*where, "categories"), item.categories, v.categories, "category")
        self._list((*where, "stages"), item.stages, v.stage_ids, "stage")
        self._list((*where, "purposes"), item.purposes, v.purposes, "purpose")
        self._conditions((*where, "when"), item.when, item.id)
        about = getattr(item, "about", ANY)
        if about != ANY:
            self._list((*where, "about"), about, [*(v.subjects or {}), UNSTATED_SUBJECT],
                       "data subject role (declare it under 'subjects')")

    def _history(self, where: tuple, history) -> None:
        """References of a rule's history conditions (``docs/semantics.md`` section 15), each located."""
        v = self.v

        def listed(path, value):
            return [((*path, k), item) for k, item in enumerate(value)] if isinstance(value, list) else \
                [] if value is None else [(path, value)]

        def event(path, e):
            if e.category:
                self._ref((*path, "category"), e.category, v.categories, "category")
            for key, value in (("from", e.from_), ("to", e.to)):
                if value:
                    self._ref((*path, key), value, v.partners, "partner")
            if e.at_stage:
                self._ref((*path, "at_stage"), e.at_stage, v.stage_ids, "stage")

        for path, category in listed((*where, "received"), history.received):
            self._ref(path, category, v.categories, "category")
        for kind in ("shared", "decided"):
            for path, e in listed((*where, kind), getattr(history, kind)):
                event(path, e)
        for path, count in listed((*where, "count"), history.count):
            ((kind, e),) = count.of.items()
            event((*path, "of", kind), e)
        if history.not_ is not None:
            self._history((*where, "not"), history.not_)
        declared = {f.id for f in self.p.facts}
        for condition, _ in history.conditions():
            if condition.fact_id in declared:
                self.add(codes.DUPLICATE_ID, where, f"the protocol declares a fact '{condition.fact_id}', which is the "
                         "id of a history condition", "rename the declared fact (ids starting 'history.' are reserved)")

    def _conditions(self, where: tuple, pattern: dict, owner: str) -> bool:
        """Check a fact pattern (a rule's ``when``, a constraint's ``if``); True when every condition is sound."""
        v, sound = self.v, True
        for fact_id, raw in pattern.items():
            path = (*where, fact_id)
            try:
                fact = v.fact(fact_id)
            except ValueError as exc:
                self.add(codes.UNKNOWN_REFERENCE, path, str(exc),
                         "declare the role under 'subjects' and 'per_subject: true' on the fact")
                sound = False
                continue
            if fact is None:
                self._ref(path, fact_id.partition("@")[0], v.facts, "fact")
                sound = False
                continue
            try:
                condition = Condition.parse(fact_id, raw)
            except ValueError as exc:
                self.add(codes.BAD_CONDITION, path, str(exc), "write a value, a list of values, or '>= value'")
                sound = False
                continue
            try:
                allowed = condition.allowed(fact)
            except ValueError as exc:
                self.add(codes.FACT_VALUE, path, str(exc), "use one of the fact's values")
                sound = False
                continue
            if not allowed:
                self.add(codes.EMPTY_SCOPE, path, f"no value of '{fact_id}' satisfies {raw!r}: {owner} never applies",
                         "widen the condition")
        return sound

    def _fact_constraints(self) -> None:
        """References of every constraint, then whether together they leave some fact value impossible."""
        v, all_cubes, owners = self.v, [], {}
        sound = True
        for i, constraint in enumerate(self.p.fact_constraints):
            second = "then" if constraint.then else "excludes"
            ok = self._conditions(("fact_constraints", i, "if"), constraint.if_, constraint.id)
            ok &= self._conditions(("fact_constraints", i, second), getattr(constraint, second), constraint.id)
            sound &= ok
            if ok:
                for cube in cubes(constraint, v.condition_facts):
                    all_cubes.append(cube)
                    for fact in cube.values:
                        owners.setdefault(fact, i)
        if not sound or not all_cubes:
            return
        order = list(v.facts) + sorted({f for cube in all_cubes for f in cube.values if f not in v.facts})
        for group in fact_components(all_cubes, order):
            domains = {f: [UNKNOWN, *v.fact(f).values] for f in group}
            try:
                states = possible_states(group, domains, all_cubes)
            except ValueError as exc:
                self.add(codes.CONTRADICTORY_CONSTRAINTS, ("fact_constraints", owners[group[0]]), str(exc),
                         "constrain fewer facts together")
                continue
            if not states:
                self.add(codes.CONTRADICTORY_CONSTRAINTS, ("fact_constraints", owners[group[0]]),
                         f"the fact constraints on {', '.join(group)} contradict each other: no case is possible at all",
                         "remove or correct one of the constraints")
                continue
            for k, fact in enumerate(group):
                seen = {state[k] for state in states}
                for value in v.fact(fact).values:
                    if value not in seen:
                        self.add(codes.CONTRADICTORY_CONSTRAINTS, ("fact_constraints", owners[fact]),
                                 f"the fact constraints leave no possible case where {fact} is {value}, "
                                 f"though '{value}' is one of its values",
                                 "correct the constraints, or remove the value from the fact")

    def _selector(self, path: tuple, selector: Selector | str) -> None:
        if selector == ANY:
            return
        self._list((*path, "partners"), selector.partners, self.v.partners, "partner")
        self._list((*path, "kinds"), selector.kinds, self.v.kinds, "partner kind")
        self._list((*path, "outside"), selector.outside, [*self.v.outside, *OUTSIDE_KIND_LABELS],
                   "outside party or kind (declare it under 'outside')")

    def _list(self, path: tuple, values: list[str] | str, known: Iterable[str], what: str) -> None:
        if values == ANY:
            return
        known = list(known)
        for j, value in enumerate(values):
            self._ref((*path, j), value, known, what)

    def _ref(self, path: tuple, value: str, known: Iterable[str], what: str) -> None:
        known = list(known)
        if value in known:
            return
        close = get_close_matches(value, known, n=3, cutoff=0.6)
        fix = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else f"define the {what} first, or correct the name"
        self.add(codes.UNKNOWN_REFERENCE, path, f"unknown {what} '{value}'", fix)

    # -- legal sense -----------------------------------------------------------------------------
    def legal_sense(self, today: dt.date) -> None:
        # the rules as they decide: with the bases and obligations they inherit (docs/semantics.md section 18)
        v, p = self.v, with_defaults(self.p, self.v)
        if p.metadata.review_date and p.metadata.review_date < today:
            self.add(codes.REVIEW_DATE_PAST, ("metadata", "review_date"),
                     f"the review date {p.metadata.review_date.isoformat()} has passed",
                     "review the agreement with the partners and set the next review date")
        for i, partner in enumerate(p.partners):
            if v.is_public_body(partner.id) and not partner.statutory_powers and not partner.part_of:
                self.add(codes.PUBLIC_BODY_NO_POWER, ("partners", i, "id"),
                         f"{partner.name} is a public body but names no statutory power to share",
                         "list the gateways it relies on under 'statutory_powers' (for example CA2004.s11)")
        for i, rule in enumerate(p.rules):
            if rule.outcome in SHARING_OUTCOMES:
                self._rule_bases(i, rule)
                self._regime(i, rule)
            # The power imbalance that makes consent a poor basis is an authority's; a charity may rely
            # on explicit consent where a family agrees (ICO safeguarding FAQs).
            public_senders = any(v.is_public_body(s) for s in v.partners_in(rule.from_))
            if rule.lawful_bases and public_senders and (rule.purposes == ANY or "safeguarding" in rule.purposes):
                consent = sorted(CONSENT_BASES.intersection(rule.lawful_bases))
                if consent:
                    self.add(codes.CONSENT_FOR_SAFEGUARDING, ("rules", i, "lawful_bases"),
                             f"rule {rule.id} relies on consent ({', '.join(consent)}) for safeguarding sharing; "
                             "the ICO and HM Government advice say consent is usually not the right basis there",
                             "rely on public task (UKGDPR.6.1.e) with a statutory gateway, and keep consent as good practice")
        check_legal_entries(p, v, self.add)

    def _regime(self, i: int, rule) -> None:
        """docs/semantics.md section 4: a flow is DPA 2018 Part 3 processing only when a competent authority
        shares for a law enforcement purpose; flag Part 3 bases on a rule none of whose flows is under Part 3."""
        v = self.v
        regimes = {v.regime(s, u) for s in v.partners_in(rule.from_) for u in v.purposes_in(rule.purposes)}
        if not regimes:
            return
        bases = [v.lawful_bases[b] for b in rule.lawful_bases if b in v.lawful_bases]
        part3 = [b.id for b in bases if b.kind in PART3]
        path = ("rules", i, "lawful_bases")
        # a purpose outside law enforcement is PK214's (the basis does not serve it); this one is about the sender
        enforcing = any(v.purposes[u].law_enforcement for u in v.purposes_in(rule.purposes) if u in v.purposes)
        if part3 and enforcing and "part3" not in regimes:
            self.add(codes.OTHER_REGIME, path,
                     f"rule {rule.id} relies on DPA 2018 Part 3 ({', '.join(part3)}), but none of its flows is law "
                     "enforcement processing by a competent authority: they are UK GDPR processing",
                     "rely on Art 6 (and Art 9 / Art 10 where needed); a competent authority sharing for safeguarding "
                     "does so under the UK GDPR, authorised by DPA 2018 s36(4) [K]")

    def _rule_bases(self, i: int, rule) -> None:
        v = self.v
        # A heading (UKGDPR.6.1, DPA18.S8) satisfies nothing: only specific entries count.
        bases = [v.lawful_bases[b] for b in rule.lawful_bases if b in v.lawful_bases and not v.lawful_bases[b].group]
        kinds = {b.kind for b in bases}
        path = ("rules", i, "lawful_bases") if rule.lawful_bases else ("rules", i, "id")
        if not kinds & ({"art6"} | PART3):
            self.add(codes.NO_ART6_BASIS, path,
                     f"rule {rule.id} lets data flow with no Article 6 lawful basis (nor DPA 2018 Part 3)",
                     "add the Art 6 basis relied on, usually UKGDPR.6.1.e (public task) or UKGDPR.6.1.c")
        categories = v.categories_in(rule.categories)
        special = sorted(c for c in categories if v.is_special(c))
        if special and not kinds & ({"art9"} | PART3):
            self.add(codes.SPECIAL_WITHOUT_ART9, path,
                     f"rule {rule.id} lets special category data flow ({few_names(special)}) without an Art 9 condition",
                     "add an Art 9(2) condition, such as UKGDPR.9.2.g with DPA18.S1.P18 (safeguarding)")
        criminal = sorted(c for c in categories if v.is_criminal(c))
        art10 = "art10" in kinds or kinds & PART3 or any(b.kind == "dpa_sch1" and b.art10_condition for b in bases)
        if criminal and not art10:
            self.add(codes.CRIMINAL_WITHOUT_ART10, path,
                     f"rule {rule.id} lets criminal offence data flow ({few_names(criminal)}) without an Art 10 condition",
                     "add UKGDPR.10 with the official authority relied on, or a DPA 2018 Sch 1 condition such as DPA18.S1.P18")
        senders = v.partners_in(rule.from_)
        public = sorted(s for s in senders if v.is_public_body(s))
        restricted = [b.id for b in bases if not b.public_authority_may_rely]
        if public and restricted:
            self.add(codes.LEGITIMATE_INTERESTS_PUBLIC_BODY, path,
                     f"rule {rule.id} relies on {', '.join(restricted)}, which a public body performing its tasks "
                     f"cannot use ({few_names(public)})",
                     "use public task (UKGDPR.6.1.e) for public bodies, or narrow 'from' to non-public partners")


def few_names(items: list[str], n: int = 3) -> str:
    """The first ``n`` names and how many more, for messages: ``a, b, c and 4 more``."""
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _rule_at(path: tuple, protocol: Protocol) -> tuple[str, ...]:
    """The id of the rule a path points into, as a 0- or 1-tuple."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int) and path[1] < len(protocol.rules):
        return (protocol.rules[path[1]].id,)
    return ()


def _key(path: tuple, protocol: Protocol) -> str:
    def entry_id(section: str, index: int) -> str | None:
        entries = getattr(protocol, section, None)
        if isinstance(entries, list) and index < len(entries):
            return getattr(entries[index], "id", None)
        return None

    return path_text(path, entry_id)
