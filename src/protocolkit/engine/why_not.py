""""What would make this lawful?": the rules that could let a refused or uncovered request go.

For each category of a request that may not go, :func:`why_not` lists every rule
that shares (``share`` or ``share_minimum``) and says what stands between it and
this request: the scope it does not cover (a rule edit) or the facts it needs
(new information in the case), and, where only facts are missing, whether that
rule would then decide or still be overridden. It uses the same compiled
matcher as every decision.
"""

from __future__ import annotations

from typing import Mapping

import pandas as pd

from ..model.keys import ANY, UNKNOWN
from ..model.protocol import Protocol
from ..model.rules import SHARING_OUTCOMES, UNSTATED_SUBJECT, describe_about, describe_requested_by
from .compiled import CompiledProtocol, compile_protocol
from .constraints import compiled_constraints, possible
from .decisions import decide
from .requests import Request

#: ``then`` of a rule that no possible case lets apply.
IMPOSSIBLE = "impossible under the fact constraints"

from .results import WHY_NOT_COLUMNS  # noqa: E402  (defined with the other result types; kept importable here)

#: The parts of a request or rule a change can touch, in the order a reader is told about them.
DIMENSIONS = ("sender", "recipient", "category", "stage", "purpose", "requested_by", "about", "facts")


def why_not(protocol: Protocol, request: Request | Mapping) -> pd.DataFrame:
    """For each category that may not go, the sharing rules that could allow it and what they need.

    Parameters
    ----------
    protocol : Protocol
    request : Request or mapping

    Returns
    -------
    DataFrame
        One row per (category, candidate rule), smallest change first, with columns
        ``category``, ``outcome`` (the category's current outcome), ``rule``, ``rule_outcome``,
        ``scope_changes`` and ``fact_changes`` (lists of plain-English changes),
        ``then`` (what would happen with the fact changes alone: ``decides``,
        ``overridden by RULE``, or ``needs a rule edit``), ``explanation``, ``size`` (how many
        parts of the request or rule must change: one beats three) and ``must_change`` (those
        parts, a tuple drawn from :data:`DIMENSIONS`). Candidates that would then decide come
        before those that would still be overridden, and impossible ones last.
        Empty when every category may go.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> table = protocolkit.why_not(p, {"from": "police", "to": "mash_decision_maker",
    ...     "categories": ["criminal.intelligence"], "stage": "screening", "purpose": "safeguarding",
    ...     "facts": {"risk": "blue"}})
    >>> first = table.iloc[0]
    >>> first["rule"], int(first["size"]), first["must_change"], first["then"]
    ('R-SCR-01', 1, ('facts',), 'decides')
    >>> first["fact_changes"]
    ['risk is amber or higher (it is blue)']
    """
    if not isinstance(request, Request):
        request = Request.from_mapping(request)
    compiled = compile_protocol(protocol)
    decision = decide(protocol, request)
    rows = []
    for category_decision in decision.categories:
        if category_decision.shared:
            continue
        for position, rule in enumerate(protocol.rules):
            if rule.outcome not in SHARING_OUTCOMES:
                continue
            tagged = _scope_changes(compiled, rule, request, category_decision.category)
            scope = [text for _, text in tagged]
            facts, wanted = _fact_changes(compiled, rule, request)
            dimensions = tuple(d for d in DIMENSIONS if d in {t for t, _ in tagged} or (d == "facts" and facts))
            if wanted is None:  # the fact constraints rule out every case that meets the rule's conditions
                rows.append({
                    "category": category_decision.category, "outcome": category_decision.outcome, "rule": rule.id,
                    "rule_outcome": rule.outcome, "scope_changes": scope, "fact_changes": facts, "then": IMPOSSIBLE,
                    "explanation": f"Rule {rule.id} ({rule.outcome.replace('_', ' ')}) can never apply: the protocol's "
                                   "fact constraints rule out every case that meets its conditions.",
                    "size": len(dimensions), "must_change": dimensions,
                    "_order": (2, len(dimensions), len(scope), len(facts), position),
                })
                continue
            then = "needs a rule edit" if scope else _then(protocol, request, category_decision.category, rule, wanted)
            changes = scope + facts
            if not changes:
                what = f"Rule {rule.id} already covers this request but is overridden ({then})."
            else:
                what = f"Rule {rule.id} ({_rule_words(rule)}) would apply if " + "; ".join(changes) + "."
                if not scope:
                    what += f" With those facts it {then if then != 'decides' else 'would decide'}."
            what += _timing_words(compiled, rule)
            rows.append({
                "category": category_decision.category, "outcome": category_decision.outcome, "rule": rule.id,
                "rule_outcome": rule.outcome, "scope_changes": scope, "fact_changes": facts, "then": then,
                "explanation": what, "size": len(dimensions), "must_change": dimensions,
                "_order": (0 if scope or then == "decides" else 1, len(dimensions), len(scope), len(facts), position),
            })
    rows.sort(key=lambda r: (r["category"], r["_order"]))
    return pd.DataFrame([{k: v for k, v in r.items() if k != "_order"} for r in rows], columns=WHY_NOT_COLUMNS)


def _rule_words(rule) -> str:
    """A sharing rule's outcome with its mode (``docs/semantics.md`` section 4a): ``share, a duty``,
    ``share, if the DSL judges it appropriate``, or the outcome alone for a plain permission."""
    words = rule.outcome.replace("_", " ")
    if rule.sharing == "required":
        return f"{words}, a duty"
    if rule.sharing == "discretion":
        return f"{words}, if {rule.decided_by} judges it appropriate"
    return words


def _timing_words(compiled: CompiledProtocol, rule) -> str:
    """What a candidate rule's timed obligations would change in how the sharing happens (``docs/semantics.md``
    section 17): under it the disclosure may not wait for a record made afterwards, or must wait for a step
    done first. Empty when the rule's obligations say no timing or deadline.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> rule = next(r for r in p.rules if r.id == "R-EMG-01")
    >>> print(_timing_words(compile_protocol(p), rule)[:99])
     After the disclosure (sharing does not wait for it), they must record the decision and the reasons
    """
    from .explain import _duties

    timed = [str(o) for o in rule.obligations if o.structured]
    if not timed:
        return ""
    return " " + " ".join(_duties(compiled, timed))


def _describe_selector(compiled: CompiledProtocol, selector) -> str:
    if selector == ANY:
        return "anyone"
    names = [compiled.vocab.label("partners", p) for p in selector.partners]
    names += [f"any {compiled.vocab.label('kinds', k)}" for k in selector.kinds]
    return " or ".join(names)


def _scope_changes(compiled: CompiledProtocol, rule, request: Request, category: str) -> list[tuple[str, str]]:
    """The parts of the rule's scope the request is outside, each as (dimension, plain-English change)."""
    v, out = compiled.vocab, []
    if request.sender not in v.partners_in(rule.from_):
        out.append(("sender", f"the sender were {_describe_selector(compiled, rule.from_)}"))
    if request.recipient not in v.partners_in(rule.to):
        out.append(("recipient", f"the recipient were {_describe_selector(compiled, rule.to)}"))
    if category not in v.categories_in(rule.categories):
        out.append(("category", f"it covered {category} (it covers {', '.join(rule.categories)})"))
    if request.stage not in v.stages_in(rule.stages):
        out.append(("stage", f"the stage were {' or '.join(rule.stages)}"))
    if request.purpose not in v.purposes_in(rule.purposes):
        out.append(("purpose", f"the purpose were {' or '.join(rule.purposes)}"))
    if rule.requested_by != ANY and request.initiative not in rule.requested_by:
        out.append(("requested_by", f"{describe_requested_by(rule.requested_by)} "
                                    f"(now: {describe_requested_by([request.initiative])})"))
    about = request.about or UNSTATED_SUBJECT
    if getattr(rule, "about", ANY) != ANY and about not in rule.about:  # whose data (docs/semantics.md section 16)
        labels = {k: e.label for k, e in (v.subjects or {}).items()}
        out.append(("about", f"the request were {describe_about(rule.about, labels)} "
                             f"(now: {describe_about([about], labels)})"))
    return out


def _as_read(compiled: CompiledProtocol, request: Request) -> dict[str, str]:
    """The request's facts as the rules read them: per-subject facts for its subject (section 16)."""
    from .requests import subject_facts

    return subject_facts(compiled, request.facts, request.about)


def _fact_changes(compiled: CompiledProtocol, rule, request: Request) -> tuple[list[str], dict[str, str] | None]:
    """The fact changes a rule needs, and the facts to try; never a state the fact constraints rule out.

    Where the values the rule's conditions need break a constraint, other facts tied to them change
    too (as few as possible); where no possible state meets the conditions, the facts to try are None.
    """
    out, wanted, required = [], {}, {}
    read = _as_read(compiled, request)
    for condition in rule.conditions():
        fact = compiled.vocab.fact(condition.fact)
        allowed = condition.allowed(fact)
        required[condition.fact] = allowed
        current = read.get(condition.fact, UNKNOWN)
        if current not in allowed:
            choices = [value for value in (*fact.values, UNKNOWN) if value in allowed]
            out.append(f"{condition.describe()} (it is {current})")
            wanted[condition.fact] = choices[0]
    target = {**read, **wanted}
    if possible(compiled, target):
        return out, wanted
    completed = _possible_completion(compiled, target, required)
    if completed is None:
        return out, None
    for fact, value in completed.items():
        if fact not in wanted and value != read.get(fact, UNKNOWN):
            out.append(f"{fact.replace('_', ' ').replace('.', ' ')} is {value}, as the fact constraints require "
                       f"(it is {read.get(fact, UNKNOWN)})")
    wanted.update(completed)
    return out, {k: v for k, v in wanted.items()}


def _possible_completion(compiled: CompiledProtocol, target: dict[str, str],
                         required: dict[str, frozenset]) -> dict[str, str] | None:
    """For each group of tied facts, the possible state that meets ``required`` and differs least from ``target``."""
    constraints = compiled_constraints(compiled)
    changes: dict[str, str] = {}
    for group, states in zip(constraints.groups, constraints.states):
        names = [compiled.facts[p].name for p in group]
        best, best_cost = None, None
        for codes in states.tolist():
            values = [compiled.facts[p].values[c] for p, c in zip(group, codes)]
            if any(name in required and value not in required[name] for name, value in zip(names, values)):
                continue
            cost = sum(value != target.get(name, UNKNOWN) for name, value in zip(names, values))
            if best_cost is None or cost < best_cost:
                best, best_cost = values, cost
        if best is None:
            return None
        changes.update({name: value for name, value in zip(names, best) if value != target.get(name, UNKNOWN)})
    return {**{k: v for k, v in target.items() if k in required}, **changes}


def _then(protocol: Protocol, request: Request, category: str, rule, wanted: dict[str, str]) -> str:
    facts = {**_as_read(compile_protocol(protocol), request), **wanted}
    if request.about:  # about the victim, consent@victim is the victim's consent: said once, as consent
        for key in [k for k in facts if k.endswith(f"@{request.about}")]:
            plain = key.partition("@")[0]
            facts[plain] = wanted.get(key, wanted.get(plain, facts[key]))
            del facts[key]
    facts = {k: v for k, v in facts.items() if v != UNKNOWN}
    trial = Request(request.sender, request.recipient, (category,), request.stage, request.purpose, facts,
                    request.requester, request.requested_by, request.about)
    result = decide(protocol, trial).categories[0]
    if rule.id in result.deciding_rules:
        return "decides"
    return f"overridden by {result.rule} ({result.outcome.replace('_', ' ')})" if result.rule else "no longer matches"


def promised_refusals(protocol: Protocol, request: Request | Mapping, category: str) -> list:
    """The guarantees that promise a category of a request does not go: its refusal is intended.

    A ``never`` guarantee whose scope (senders, recipients, categories, stages, purposes and
    fact pattern, an unstated fact read as ``unknown``) holds the request and forbids sharing;
    an ``only_via`` guarantee on the category whose allowed senders exclude the request's sender.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> request = {"from": "school", "to": "police", "categories": ["criminal.intelligence"],
    ...            "stage": "referral", "purpose": "safeguarding"}
    >>> [g.id for g in promised_refusals(p, request, "criminal.intelligence")]
    ['G3']
    """
    from ..model.rules import Condition

    if not isinstance(request, Request):
        request = Request.from_mapping(request)
    compiled = compile_protocol(protocol)
    v = compiled.vocab
    read = _as_read(compiled, request)
    out = []
    for g in protocol.guarantees:
        if getattr(g, "about", ANY) != ANY and (request.about or UNSTATED_SUBJECT) not in g.about:
            continue
        if category not in v.categories_in(g.categories) or request.stage not in v.stages_in(g.stages) \
                or request.purpose not in v.purposes_in(g.purposes):
            continue
        if request.sender not in v.partners_in(g.from_) or request.recipient not in v.partners_in(g.to):
            continue
        if any(read.get(fact, UNKNOWN) not in Condition.parse(fact, raw).allowed(v.fact(fact))
               for fact, raw in g.when.items() if v.fact(fact) is not None):
            continue
        if g.kind == "never" and set(g.forbidden_outcomes()) & set(SHARING_OUTCOMES):
            out.append(g)
        elif g.kind == "only_via" and g.via is not None and request.sender not in v.partners_in(g.via):
            out.append(g)
    return out


__all__ = ["DIMENSIONS", "WHY_NOT_COLUMNS", "promised_refusals", "why_not"]
