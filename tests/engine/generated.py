"""Shared hypothesis strategies and a brute-force oracle of docs/semantics.md, for the engine tests.

The oracle re-implements the semantics in the plainest way (loops over rules,
parents walked by hand) and shares no code with the compiled tables.
"""

from __future__ import annotations

from hypothesis import strategies as st

from protocolkit.engine import Request
from protocolkit.model.protocol import Protocol

KINDS = {  # kind -> parent, a subset of the shipped kinds with their real parents
    "police": "criminal_justice", "probation": "criminal_justice", "criminal_justice": None,
    "health": None, "gp": "health", "health_visiting": "health",
    "school": "education", "education": None,
    "local_authority": None, "childrens_social_care": "local_authority", "early_help": "local_authority",
}
LEAF_KINDS = ["police", "probation", "gp", "health_visiting", "school", "childrens_social_care", "early_help"]
CATEGORIES = ["health", "health.mental_health", "health.physical", "criminal", "criminal.intelligence",
              "criminal.convictions", "household", "household.composition", "education", "education.attendance"]
STAGES = ["referral", "screening", "strategy_discussion", "assessment", "plan", "review", "closure"]
PURPOSES = ["safeguarding", "family_support", "benefit_administration"]
FACTS = {"consent": ["given", "refused", "not_sought", "unsafe_to_seek"], "risk": ["blue", "green", "amber", "red"]}
OUTCOMES = ["neither_confirm_nor_deny", "refuse", "escalate", "seek_consent", "share_minimum", "share"]
FALLBACK_OUTCOMES = ["neither_confirm_nor_deny", "refuse", "escalate", "seek_consent"]
OBLIGATIONS = ["record_decision", "inform_family", "secure_channel", "owner_agreement_before_onward_disclosure",
               "record_afterwards", "deadline_same_day", "inform_afterwards", "deadline_working_hours",
               "deadline_one_working_day"]
#: Obligations with a timing and a deadline as data (docs/semantics.md section 17), drawn by name.
TIMED = {
    "record_afterwards": {"record_decision": {"timing": "after", "within": "PT24H", "from": "disclosure"}},
    "deadline_same_day": {"deadline": {"within": "same_working_day", "from": "referral_received"}},
    "inform_afterwards": {"inform_family": {"timing": "after", "detail": "unless it puts the child at risk"}},
    # working time (section 17): counted in the partnership's working hours and days, not the clock
    "deadline_working_hours": {"deadline": {"within": "4_working_hours", "from": "request"}},
    "deadline_one_working_day": {"deadline": {"within": "1_working_day", "from": "referral_received"}},
}


#: The obligation types rules and fallbacks draw (what a guarantee can ask for).
OBLIGATION_TYPES = ["record_decision", "inform_family", "secure_channel", "owner_agreement_before_onward_disclosure",
                    "deadline"]


def obligations_of(names: list[str]) -> list:
    """The obligations a list of drawn names stands for."""
    return [TIMED.get(name, name) for name in names]
#: Obligation types that survive an override, as docs/semantics.md section 12 lists them.
SURVIVES_OVERRIDE = {"record_decision", "deadline", "secure_channel", "owner_agreement_before_onward_disclosure",
                     "verify_requester", "return_or_delete", "dpia_required"}
BASES = ["UKGDPR.6.1.e", "UKGDPR.9.2.g", "DPA18.S1.P18", "UKGDPR.10", "CA1989.s47"]
OUTSIDE_KINDS = ["organisation", "data_subject", "family_member", "public"]
OUTSIDE = ["data_subject", "public", {"id": "landlord", "kind": "organisation", "label": "A private landlord"},
           {"id": "grandparent", "kind": "family_member", "label": "A grandparent"}]
REQUESTED_BY = ["unstated", "proactive", "recipient", "third_party"]
#: Data subject roles (docs/semantics.md section 16); under the "subjects" feature consent is per subject.
SUBJECTS = ["child", "victim", "alleged_perpetrator"]
ROLE_FACTS = ["consent@victim", "consent@alleged_perpetrator"]


#: The dimensions of docs/semantics.md a generated protocol can use beyond the core (rules, priorities, conditions,
#: hierarchies, need-to-know). The engine's own tests use them all; an export's equivalence test
#: asks for the ones the export encodes, and widens the set as it learns the rest.
FEATURES = frozenset({"fallbacks", "outside", "requested_by", "neither_confirm_nor_deny", "fact_constraints", "history",
                      "subjects", "sharing", "retention"})
#: Sharing modes, strongest first (docs/semantics.md section 4a).
SHARING_MODES = ["required", "discretion", "permitted"]
DECISION_MAKERS = ["the designated safeguarding lead", "the MASH team manager"]
CORE = frozenset()
#: Retention (docs/semantics.md sections 13 and 18), under the "retention" feature: each duration a term or statement
#: draws, with the words the engine must print for it (read from the section, not from the engine).
DURATIONS = {"6 years": "6 years", "P18M": "18 months", "P30D": "30 days", "P1Y": "1 year", "P12W": "12 weeks"}
EVENTS = [None, "the case closed", "the contact closed"]
SOURCES = [None, "the partnership's choice"]
#: The categories a retention term names: 'any', a parent, its child, or both beside each other (so a category can
#: fall under two terms of one rule or default, and the most specific must win).
TERM_CATEGORIES = ["any", ["health"], ["health.mental_health"], ["criminal"], ["criminal.intelligence", "household"],
                   ["health", "criminal.convictions"]]


def retention_terms(draw, max_size: int = 3) -> list[dict]:
    """One to ``max_size`` retention terms (docs/semantics.md section 18): a duration, sometimes the event it runs
    from and a source, and the categories it covers."""
    terms = []
    for _ in range(draw(st.integers(1, max_size))):
        term = {"duration": draw(st.sampled_from(sorted(DURATIONS)))}
        after, source = draw(st.sampled_from(EVENTS)), draw(st.sampled_from(SOURCES))
        categories = draw(st.sampled_from(TERM_CATEGORIES))
        terms.append({**term, **({"after": after} if after else {}), **({"source": source} if source else {}),
                      **({"categories": categories} if categories != "any" else {})})
    return terms


@st.composite
def protocols(draw, features: frozenset = CORE):
    n = draw(st.integers(2, 5))
    partners = []
    for i in range(n):
        part_of = draw(st.sampled_from([None] + [p["id"] for p in partners])) if partners else None
        partners.append({"id": f"p{i}", "name": f"Partner {i}", "kind": draw(st.sampled_from(LEAF_KINDS)),
                         **({"part_of": part_of} if part_of else {})})
    ids = [p["id"] for p in partners]
    outside = draw(st.lists(st.sampled_from(OUTSIDE), max_size=3, unique_by=lambda o: o if isinstance(o, str) else o["id"])
                   ) if "outside" in features else []
    outside_names = sorted({o if isinstance(o, str) else o["id"] for o in outside} | set(OUTSIDE_KINDS))

    def selector():
        return draw(st.one_of(
            st.just("any"),
            st.builds(lambda ps, ks, os: {"partners": ps, "kinds": ks, "outside": os} if ps or ks or os else "any",
                      st.lists(st.sampled_from(ids), max_size=2, unique=True),
                      st.lists(st.sampled_from(sorted(KINDS)), max_size=2, unique=True),
                      st.lists(st.sampled_from(outside_names), max_size=2, unique=True) if outside else st.just([])),
        ))

    def scope(values):
        return draw(st.one_of(st.just("any"), st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True)))

    def condition(fact):
        fact = fact.partition("@")[0]
        values = FACTS.get(fact, ["yes", "no"])
        options = [st.sampled_from(values), st.lists(st.sampled_from([*values, "unknown"]), min_size=1, max_size=3, unique=True),
                   st.sampled_from(values).map(lambda v: f"!= {v}")]
        if fact == "risk":
            options.append(st.tuples(st.sampled_from([">=", ">", "<=", "<"]), st.sampled_from(values))
                           .map(lambda t: f"{t[0]} {t[1]}"))
        return draw(st.one_of(*options))

    # history within a case (section 15): at most two history facts per protocol, to keep brute force small
    pool = [{"received": draw(st.sampled_from(CATEGORIES))},
            draw(st.sampled_from([{"shared": {"to": draw(st.sampled_from(ids))}},
                                  {"decided": {"outcome": draw(st.sampled_from(OUTCOMES[1:])),
                                               "at_stage": draw(st.sampled_from(STAGES))}},
                                  {"count": {"of": {"shared": {"category": draw(st.sampled_from(CATEGORIES))}},
                                             "at_least": draw(st.integers(1, 3))}}]))]

    def history():
        if "history" not in features:
            return None
        return draw(st.sampled_from([None, None, pool[0], pool[1], {"not": pool[0]}, {"not": pool[1]},
                                     {**pool[0], "not": pool[1]}]))

    rules = []
    for i in range(draw(st.integers(0, 12))):
        outcome = draw(st.sampled_from(OUTCOMES if "neither_confirm_nor_deny" in features else OUTCOMES[1:]))
        facts = draw(st.lists(st.sampled_from(sorted(FACTS) + (ROLE_FACTS if "subjects" in features else [])),
                              max_size=2, unique=True))
        rules.append({
            "id": f"R{i}", "title": f"Rule {i}", "from": selector(), "to": selector(),
            "categories": scope(CATEGORIES), "stages": scope(STAGES), "purposes": scope(PURPOSES),
            "when": {f: condition(f) for f in facts}, "outcome": outcome,
            "minimum": "a summary" if outcome == "share_minimum" else None,
            "escalate_to": "the IG lead" if outcome == "escalate" else None,
            "obligations": obligations_of(draw(st.lists(st.sampled_from(OBLIGATIONS), max_size=2, unique=True))),
            "lawful_bases": draw(st.lists(st.sampled_from(BASES), max_size=3, unique=True)),
            "rationale": "generated", "priority": draw(st.sampled_from([0, 0, 0, 1, 2])),
            "requested_by": draw(st.one_of(st.just("any"), st.lists(st.sampled_from(REQUESTED_BY), min_size=1,
                                                                    max_size=2, unique=True)))
            if "requested_by" in features else "any",
            "about": draw(st.one_of(st.just("any"), st.lists(st.sampled_from(["unstated", *SUBJECTS]), min_size=1,
                                                             max_size=2, unique=True)))
            if "subjects" in features else "any",
            "history": history(),
        })
        if "sharing" in features and outcome in ("share", "share_minimum"):
            mode = draw(st.sampled_from(SHARING_MODES))
            rules[-1]["sharing"] = mode
            if mode == "discretion":
                rules[-1]["decided_by"] = draw(st.sampled_from(DECISION_MAKERS))
        if "retention" in features and outcome in ("share", "share_minimum") and draw(st.booleans()):
            rules[-1]["retention"] = retention_terms(draw)   # a rule's own terms (section 18)
    profiles = [{
        "id": f"n{i}", "recipient": draw(st.sampled_from([{"partners": [draw(st.sampled_from(ids))]},
                                                          {"kinds": [draw(st.sampled_from(sorted(KINDS)))]}])),
        "stages": scope(STAGES), "purposes": scope(PURPOSES),
        "categories": draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True)),
    } for i in range(draw(st.integers(0, 3)))]
    fallbacks, free = [], list(PURPOSES)
    for i in range(draw(st.integers(0, 2)) if "fallbacks" in features else 0):
        purposes = draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True)) if free else []
        if not purposes:
            break
        free = [p for p in free if p not in purposes]
        outcome = draw(st.sampled_from(FALLBACK_OUTCOMES if "neither_confirm_nor_deny" in features
                                       else FALLBACK_OUTCOMES[1:]))
        fallbacks.append({
            "id": f"fallback_{i}", "purposes": purposes, "outcome": outcome,
            "on": draw(st.sampled_from([["gap"], ["unknown_fact"], ["gap", "unknown_fact"]])),
            "escalate_to": "the duty manager" if outcome == "escalate" else None,
            "obligations": obligations_of(draw(st.lists(st.sampled_from(OBLIGATIONS), max_size=2, unique=True))),
            "rationale": "generated",
        })
    constraints = []
    for i in range(draw(st.sampled_from([0, 0, 1, 2])) if "fact_constraints" in features else 0):
        first, second = draw(st.sampled_from([("risk", "consent"), ("consent", "risk"), ("risk", "child_competent"),
                                              ("child_competent", "consent")]))
        constraints.append({"id": f"c{i}", "if": {first: condition(first)},
                            draw(st.sampled_from(["then", "excludes"])): {second: condition(second)}})
    # agreement-level defaults (docs/semantics.md section 18): drawn always, since every export encodes them
    defaults = []
    for i in range(draw(st.sampled_from([0, 0, 1, 2, 3]))):
        default = {"id": f"d{i}",
                   "obligations": obligations_of(draw(st.lists(st.sampled_from(OBLIGATIONS), max_size=2, unique=True))),
                   "lawful_bases": draw(st.lists(st.sampled_from(BASES), max_size=2, unique=True))}
        if "retention" in features and draw(st.booleans()):   # kept by the recipients the default names
            default["retention"] = retention_terms(draw)
            if draw(st.booleans()):   # a default that gives only retention
                default["obligations"], default["lawful_bases"] = [], []
        if not default["obligations"] and not default["lawful_bases"] and not default.get("retention"):
            default["obligations"] = ["record_decision"]
        side = draw(st.sampled_from(["protocol", "senders", "recipients", "purposes", "flow"]))
        if side in ("senders", "flow"):
            default["senders"] = selector()
        if side == "recipients":
            default["recipients"] = selector()
        if side in ("purposes", "flow"):
            default["purposes"] = draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=2, unique=True))
        if draw(st.booleans()):
            default["outcomes"] = draw(st.lists(st.sampled_from(OUTCOMES[1:]), min_size=1, max_size=3, unique=True))
        defaults.append(default)
    for i in range(draw(st.integers(1, 3)) if "retention" in features else 0):
        # retention-only defaults (section 18), kept by a recipient (a partner with its teams, a kind with its
        # sub-kinds, an outside party), or for a purpose, or for the whole protocol
        organisations = sorted({p["part_of"] for p in partners if "part_of" in p})   # partners with teams
        side = draw(st.sampled_from(["protocol", "recipients", "recipients", "purposes"]
                                    + (["organisation"] if organisations else [])))
        defaults.append({"id": f"keep{i}", "retention": retention_terms(draw),
                         **({"recipients": selector()} if side == "recipients" else {}),
                         **({"recipients": {"partners": [draw(st.sampled_from(organisations))]}}
                            if side == "organisation" else {}),
                         **({"purposes": draw(st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=2, unique=True))}
                            if side == "purposes" else {})})
    for rule in rules:   # (a rule with its own retention adds the inherited terms half the time)
        rule["inherit"] = draw(st.sampled_from(["replace", "add"] if rule.get("retention")
                                               else ["replace", "replace", "add", "none"]))
    statements = []   # the protocol's retention statements (section 13): with a duration, or only in words
    for i in range(draw(st.integers(0, 3)) if "retention" in features else 0):
        statement = {"id": f"s{i}", "text": "Kept, then deleted.",
                     "partners": draw(st.one_of(st.just("any"), st.lists(st.sampled_from(ids), min_size=1, max_size=2,
                                                                         unique=True))),
                     "categories": draw(st.sampled_from(TERM_CATEGORIES))}
        if draw(st.integers(0, 3)):
            statement["duration"] = draw(st.sampled_from(sorted(DURATIONS)))
            if after := draw(st.sampled_from(EVENTS)):
                statement["after"] = after
        else:
            statement["period"] = "until it is no longer needed"
        statements.append(statement)
    protocol = Protocol.model_validate({
        "metadata": {"id": "generated", "title": "Generated", "version": "1", "owner": "p0"},
        "partners": partners, "purposes": [], "rules": rules, "need_to_know": profiles, "fallbacks": fallbacks,
        "defaults": defaults,
        "outside": outside,
        **({"retention": statements} if statements else {}),
        "fact_constraints": constraints,
        **({"subjects": [{"id": r, "label": f"The {r.replace('_', ' ')}"} for r in SUBJECTS],
            "facts": [{"id": "consent", "label": "Consent?", "values": FACTS["consent"], "per_subject": True}]}
           if "subjects" in features else {}),
    })
    return protocol


@st.composite
def requests(draw, protocol: Protocol):
    ids = [p.id for p in protocol.partners] + [o.id for o in protocol.outside]
    facts = {f: draw(st.one_of(st.none(), st.sampled_from(v))) for f, v in FACTS.items()}  # unknown half the time
    if any("child_competent" in {*c.if_, *c.then, *c.excludes} for c in protocol.fact_constraints):
        facts["child_competent"] = draw(st.sampled_from(["yes", "no", None]))
    about = None
    if protocol.subjects:
        about = draw(st.sampled_from([None, *(r.id for r in protocol.subjects)]))
        for role in protocol.subjects:  # each person's own consent, some of the time
            value = draw(st.one_of(st.none(), st.sampled_from(FACTS["consent"])))
            if value is not None and not (role.id == about and facts.get("consent") not in (None, value)):
                facts[f"consent@{role.id}"] = value
    for fact in history_ids(protocol):  # told, or unknown
        facts[fact] = draw(st.sampled_from(["yes", "no", None]))
    sender, recipient = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
    uses_asking = any(r.requested_by != "any" for r in protocol.rules)
    requester, requested_by = draw(st.sampled_from([
        (None, None), (sender, None), (recipient, None), (draw(st.sampled_from(ids)), None),
        (None, draw(st.sampled_from(REQUESTED_BY)))])) if uses_asking else (None, None)
    return Request(sender, recipient,
                   tuple(draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3, unique=True))),
                   draw(st.sampled_from(STAGES)), draw(st.sampled_from(PURPOSES)),
                   {k: v for k, v in facts.items() if v is not None}, requester, requested_by, about)


# -- the oracle: docs/semantics.md, read literally -------------------------------------------------

def _up(node, parent_of):
    while node is not None:
        yield node
        node = parent_of(node)


def _partner_matches(protocol, selector, partner_id) -> bool:
    outside = {o.id: o for o in protocol.outside}
    if partner_id in outside:  # reached only when named under 'outside', by id or kind; 'any' is partners only
        return selector != "any" and bool({partner_id, outside[partner_id].kind} & set(selector.outside))
    if selector == "any":
        return True
    partners = {p.id: p for p in protocol.partners}
    orgs = list(_up(partner_id, lambda p: partners[p].part_of))
    kinds = {k for org in orgs for k in _up(partners[org].kind, KINDS.get)}
    return bool(set(selector.partners) & set(orgs)) or bool(set(selector.kinds) & kinds)


def _category_parent(category):
    head, sep, _ = category.rpartition(".")
    return head if sep else None


def _covers(scope, value, hierarchical=False) -> bool:
    if scope == "any":
        return True
    if hierarchical:
        return any(a in scope for a in _up(value, _category_parent))
    return value in scope


def _condition_holds(fact, raw, value) -> bool:
    values = FACTS.get(fact.partition("@")[0], [])  # only ordered comparisons need the order
    if isinstance(raw, list):
        return value in raw
    raw = str(raw)
    for op in (">=", "<=", "!=", ">", "<"):
        if raw.startswith(op):
            target = raw[len(op):].strip()
            if op == "!=":
                return value != "unknown" and value != target
            if value == "unknown":
                return False
            i, j = values.index(value), values.index(target)
            return {">=": i >= j, "<=": i <= j, ">": i > j, "<": i < j}[op]
    return value == raw.removeprefix("==").strip()


def _could_hold(fact, raw, value) -> bool:
    """The condition holds, or the fact is unknown and some stated value would make it hold."""
    if _condition_holds(fact, raw, value):
        return True
    return value == "unknown" and any(_condition_holds(fact, raw, v) for v in FACTS.get(fact.partition("@")[0], ["no", "yes"]))


def _who_asked(request: Request) -> str:
    if request.requester is None:
        return request.requested_by or "unstated"
    if request.requester == request.sender:
        return "proactive"
    return "recipient" if request.requester == request.recipient else "third_party"


def _within(protocol, rule_side, default_side) -> bool:
    """A rule's side of a scope lies inside a default's (docs/semantics.md section 18), read literally."""
    if default_side == "any":
        return True
    if rule_side == "any":
        return False
    everyone = [p.id for p in protocol.partners] + [o.id for o in protocol.outside]
    mine = {p for p in everyone if _partner_matches(protocol, rule_side, p)} if not isinstance(rule_side, list) \
        else set(rule_side)
    theirs = {p for p in everyone if _partner_matches(protocol, default_side, p)} if not isinstance(default_side, list) \
        else set(default_side)
    return bool(mine) and mine <= theirs


def inherited_rules(protocol: Protocol) -> list:
    """The rules with what they inherit from the defaults: own lists first, then the defaults' in order;
    a list the rule states replaces the inherited one unless it says ``inherit: add``; ``none`` inherits nothing."""
    out = []
    for rule in protocol.rules:
        bases, obligations = [], []
        for d in protocol.defaults:
            if rule.outcome in d.outcomes and _within(protocol, rule.from_, d.senders) \
                    and _within(protocol, rule.to, d.recipients) and _within(protocol, rule.purposes, d.purposes):
                bases += [b for b in d.lawful_bases if b not in bases]
                obligations += [o for o in d.obligations if str(o) not in map(str, obligations)]
        if rule.inherit == "none":
            bases, obligations = [], []
        own_b, own_o = list(rule.lawful_bases), list(rule.obligations)
        if own_b and rule.inherit != "add":
            bases = []
        if own_o and rule.inherit != "add":
            obligations = []
        out.append(rule.model_copy(update={
            "lawful_bases": own_b + [b for b in bases if b not in own_b],
            "obligations": own_o + [o for o in obligations if str(o) not in map(str, own_o)]}))
    return out
def read_fact(protocol: Protocol, request: Request, key: str) -> str:
    """The value a condition on ``key`` reads, as docs/semantics.md section 16 says: a per-subject fact read plainly
    is the value for the request's subject; ``fact@role`` is that person's value (the subject's, if it is them)."""
    fact, _, role = key.partition("@")
    per_subject = any(f.id == fact and f.per_subject for f in protocol.facts)
    if not per_subject:
        return request.facts.get(key, "unknown")
    if role and role != request.about:
        return request.facts.get(key, "unknown")
    if request.about is None:
        return request.facts.get(fact, "unknown")
    return request.facts.get(fact, request.facts.get(f"{fact}@{request.about}", "unknown"))


def history_ids(protocol: Protocol) -> list[str]:
    """The history facts of the rules, in the order the rules first use them (section 15)."""
    out = []
    for rule in protocol.rules:
        for condition, _ in (rule.history.conditions() if rule.history else []):
            if condition.fact_id not in out:
                out.append(condition.fact_id)
    return out


def _conditions(rule) -> list[tuple[str, object]]:
    """A rule's conditions as (fact, raw condition): its ``when``, then each history fact at yes (no under not)."""
    history = [(c.fact_id, value) for c, value in rule.history.conditions()] if rule.history else []
    return [*rule.when.items(), *history]


def oracle(protocol: Protocol, request: Request, category: str) -> dict:
    matched, waiting = [], []
    for rule in inherited_rules(protocol):
        if rule.requested_by != "any" and _who_asked(request) not in rule.requested_by:
            continue
        if rule.about != "any" and (request.about or "unstated") not in rule.about:
            continue
        if not (_partner_matches(protocol, rule.from_, request.sender)
                and _partner_matches(protocol, rule.to, request.recipient)
                and _covers(rule.categories, category, hierarchical=True)
                and _covers(rule.stages, request.stage) and _covers(rule.purposes, request.purpose)):
            continue
        if all(_condition_holds(f, raw, read_fact(protocol, request, f)) for f, raw in _conditions(rule)):
            matched.append(rule)
        elif all(_could_hold(f, raw, read_fact(protocol, request, f)) for f, raw in _conditions(rule)):
            waiting.append(rule)
    need = "no_profile"
    for profile in protocol.need_to_know:
        if (_partner_matches(protocol, profile.recipient, request.recipient)
                and _covers(profile.stages, request.stage) and _covers(profile.purposes, request.purpose)):
            if any(a in profile.categories for a in _up(category, _category_parent)):
                need = "needed"
            elif need != "needed":
                need = "not_needed"
    union = lambda lists: tuple(dict.fromkeys(x for lst in lists for x in lst))  # noqa: E731
    if not matched:
        result = {"outcome": "gap", "rule": None, "deciding": (), "matched": frozenset(), "bases": (),
                  "obligations": (), "need": need, "sharing": None, "decided_by": None}
        blocking = list(waiting)
    else:
        top = max(r.priority for r in matched)
        best = min(OUTCOMES.index(r.outcome) for r in matched if r.priority == top)
        deciding = [r for r in matched if r.priority == top and OUTCOMES.index(r.outcome) == best]
        result = {
            "outcome": OUTCOMES[best], "rule": deciding[0].id, "deciding": tuple(r.id for r in deciding),
            "matched": frozenset(r.id for r in matched), "bases": union(r.lawful_bases for r in deciding),
            "obligations": union([str(o) for o in r.obligations] for r in deciding), "need": need,
            "sharing": None, "decided_by": None,
        }
        if OUTCOMES[best] in ("share", "share_minimum"):  # section 4: a duty beats discretion beats a permission
            modes = {r.sharing for r in deciding}
            result["sharing"] = next(m for m in SHARING_MODES if m in modes)
            if result["sharing"] == "discretion":
                result["decided_by"] = next(r.decided_by for r in deciding if r.sharing == "discretion")
        if OUTCOMES[best] in ("share", "share_minimum"):  # section 12: handling duties of overridden sharing rules
            result["obligations"] += tuple(dict.fromkeys(
                str(o) for r in matched if r not in deciding and r.outcome in ("share", "share_minimum")
                for o in r.obligations if o.type in SURVIVES_OVERRIDE and str(o) not in result["obligations"]))
        # a waiting rule blocks when, stated, it would outrank the deciding rule with another outcome
        blocking = [r for r in waiting if r.outcome != OUTCOMES[best]
                    and (r.priority > top or (r.priority == top and OUTCOMES.index(r.outcome) < best))]
    result.update({"fallback": None, "fallback_reason": None, "waiting_rules": frozenset(), "waiting_on": ()})
    result["retention"] = retention_oracle(protocol, [r for r in protocol.rules if r.id in result["deciding"]],
                                           request.recipient, category) \
        if result["outcome"] in ("share", "share_minimum") else ()
    fallback = next((f for f in protocol.fallbacks if f.purposes == "any" or request.purpose in f.purposes), None)
    if fallback is None:
        return result
    if result["outcome"] == "gap" and "gap" in fallback.on:
        reason = "gap"
    elif blocking and "unknown_fact" in fallback.on:
        reason = "unknown_fact"
    else:
        return result
    waiting_on = ()
    if reason == "unknown_fact":
        names = [f for f in [*FACTS, *history_ids(protocol), *ROLE_FACTS] if read_fact(protocol, request, f) == "unknown"
                 and any(f in dict(_conditions(r)) and not _condition_holds(f, dict(_conditions(r))[f], "unknown")
                         for r in blocking)]
        waiting_on = tuple(names)
    result.update({
        "outcome": fallback.outcome, "rule": None, "deciding": (), "bases": (), "sharing": None, "decided_by": None,
        "retention": (),
        "obligations": union([[str(o) for o in fallback.obligations]]), "fallback": fallback.id,
        "fallback_reason": reason, "waiting_rules": frozenset(r.id for r in blocking) if reason == "unknown_fact"
        else frozenset(), "waiting_on": waiting_on,
    })
    return result


def _nearest_terms(terms, category) -> list:
    """Of one rule's or one default's terms, those that name the category most nearly ('any' is the farthest)."""
    def distance(term):
        if term.categories == "any":
            return 99
        chain = list(_up(category, _category_parent))
        named = [chain.index(c) for c in term.categories if c in chain]
        return min(named) if named else None
    covering = [(distance(t), t) for t in terms if distance(t) is not None]
    best = min((d for d, _ in covering), default=None)
    return [t for d, t in covering if d == best]


def _period(term, origin: str, owner: str, source=None) -> dict:
    words = DURATIONS[term.duration] + (f" after {term.after}" if term.after else "")
    return {"period": words, "origin": origin, "owner": owner, "source": source}


def retention_oracle(protocol: Protocol, deciding: list, recipient: str, category: str) -> tuple:
    """The retention periods in effect when ``recipient`` receives ``category`` under the deciding rules (protocol
    order), read literally from docs/semantics.md section 18: the rules' own nearest terms (with ``inherit: add``
    also the inherited ones the recipient keeps), else the inherited terms the recipient keeps (defaults in declared
    order; ``inherit: none`` inherits none), else the statements with a duration that cover the recipient (or an
    organisation it is part of) and the category; without repeats."""
    partners = {p.id: p for p in protocol.partners}
    own, inherited = [], []
    for rule in deciding:
        mine = [_period(t, "rule", rule.id, t.source) for t in _nearest_terms(rule.retention, category)]
        kept = []
        for d in protocol.defaults if rule.inherit != "none" else []:
            if rule.outcome not in d.outcomes or not _within(protocol, rule.from_, d.senders) \
                    or not _within(protocol, rule.purposes, d.purposes):
                continue
            if d.recipients != "any" and not _partner_matches(protocol, d.recipients, recipient):
                continue
            kept += [_period(t, "default", d.id, t.source) for t in _nearest_terms(d.retention, category)]
        if mine:
            own += mine + (kept if rule.inherit == "add" else [])
        else:
            inherited += kept
    found = own or inherited
    if not found:
        holders = set(_up(recipient, lambda p: partners[p].part_of if p in partners else None))
        chain = set(_up(category, _category_parent))
        found = [{"period": DURATIONS[s.duration] + (f" after {s.after}" if s.after else ""), "origin": "statement",
                  "owner": s.id, "source": None} for s in protocol.retention if s.duration
                 and (s.partners == "any" or holders & set(s.partners))
                 and (s.categories == "any" or chain & set(s.categories))]
    out = []
    for period in found:
        if period not in out:
            out.append(period)
    return tuple(out)


def possible_facts(protocol: Protocol, facts: dict | Request) -> bool:
    """Whether a fact state (fact -> value, ``unknown`` where not stated; or a request, whose per-subject facts
    are read for its subject) breaks no fact constraint, read literally from docs/semantics.md section 11."""
    def value(f):
        return read_fact(protocol, facts, f) if isinstance(facts, Request) else facts.get(f, "unknown")

    def holds(pattern):
        return all(_condition_holds(f, raw, value(f)) for f, raw in pattern.items())

    for constraint in protocol.fact_constraints:
        if not holds(constraint.if_):
            continue
        if constraint.then and not holds(constraint.then):
            return False
        if constraint.excludes and holds(constraint.excludes):
            return False
    return True
