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
from ..model.rules import SHARING_OUTCOMES
from .compiled import CompiledProtocol, compile_protocol
from .decisions import decide
from .requests import Request

WHY_NOT_COLUMNS = ["category", "outcome", "rule", "rule_outcome", "scope_changes", "fact_changes",
                   "then", "explanation"]


def why_not(protocol: Protocol, request: Request | Mapping) -> pd.DataFrame:
    """For each category that may not go, the sharing rules that could allow it and what they need.

    Parameters
    ----------
    protocol : Protocol
    request : Request or mapping

    Returns
    -------
    DataFrame
        One row per (category, candidate rule), fewest changes first, with columns
        ``category``, ``outcome`` (the category's current outcome), ``rule``, ``rule_outcome``,
        ``scope_changes`` and ``fact_changes`` (lists of plain-English changes),
        ``then`` (what would happen with the fact changes alone: ``decides``,
        ``overridden by RULE``, or ``needs a rule edit``) and ``explanation``.
        Empty when every category may go.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> table = protocolkit.why_not(p, {"from": "police", "to": "mash_decision_maker",
    ...     "categories": ["criminal.intelligence"], "stage": "screening", "purpose": "safeguarding",
    ...     "facts": {"risk": "blue"}})
    >>> bool((table["then"] == "decides").any())
    True
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
            scope = _scope_changes(compiled, rule, request, category_decision.category)
            facts, wanted = _fact_changes(compiled, rule, request)
            then = "needs a rule edit" if scope else _then(protocol, request, category_decision.category, rule, wanted)
            changes = scope + facts
            if not changes:
                what = f"Rule {rule.id} already covers this request but is overridden ({then})."
            else:
                what = f"Rule {rule.id} ({rule.outcome.replace('_', ' ')}) would apply if " + "; ".join(changes) + "."
                if not scope:
                    what += f" With those facts it {then if then != 'decides' else 'would decide'}."
            rows.append({
                "category": category_decision.category, "outcome": category_decision.outcome, "rule": rule.id,
                "rule_outcome": rule.outcome, "scope_changes": scope, "fact_changes": facts, "then": then,
                "explanation": what, "_order": (len(scope), len(facts), position),
            })
    rows.sort(key=lambda r: (r["category"], r["_order"]))
    return pd.DataFrame([{k: v for k, v in r.items() if k != "_order"} for r in rows], columns=WHY_NOT_COLUMNS)


def _describe_selector(compiled: CompiledProtocol, selector) -> str:
    if selector == ANY:
        return "anyone"
    names = [compiled.vocab.label("partners", p) for p in selector.partners]
    names += [f"any {compiled.vocab.label('kinds', k)}" for k in selector.kinds]
    return " or ".join(names)


def _scope_changes(compiled: CompiledProtocol, rule, request: Request, category: str) -> list[str]:
    v, out = compiled.vocab, []
    if request.sender not in v.partners_in(rule.from_):
        out.append(f"the sender were {_describe_selector(compiled, rule.from_)}")
    if request.recipient not in v.partners_in(rule.to):
        out.append(f"the recipient were {_describe_selector(compiled, rule.to)}")
    if category not in v.categories_in(rule.categories):
        out.append(f"it covered {category} (it covers {', '.join(rule.categories)})")
    if request.stage not in v.stages_in(rule.stages):
        out.append(f"the stage were {' or '.join(rule.stages)}")
    if request.purpose not in v.purposes_in(rule.purposes):
        out.append(f"the purpose were {' or '.join(rule.purposes)}")
    return out


def _fact_changes(compiled: CompiledProtocol, rule, request: Request) -> tuple[list[str], dict[str, str]]:
    out, wanted = [], {}
    for condition in rule.conditions():
        fact = compiled.vocab.facts[condition.fact]
        allowed = condition.allowed(fact)
        current = request.facts.get(condition.fact, UNKNOWN)
        if current not in allowed:
            choices = [value for value in (*fact.values, UNKNOWN) if value in allowed]
            out.append(f"{condition.describe()} (it is {current})")
            wanted[condition.fact] = choices[0]
    return out, wanted


def _then(protocol: Protocol, request: Request, category: str, rule, wanted: dict[str, str]) -> str:
    facts = {k: v for k, v in {**request.facts, **wanted}.items() if v != UNKNOWN}
    trial = Request(request.sender, request.recipient, (category,), request.stage, request.purpose, facts)
    result = decide(protocol, trial).categories[0]
    if rule.id in result.deciding_rules:
        return "decides"
    return f"overridden by {result.rule} ({result.outcome.replace('_', ' ')})" if result.rule else "no longer matches"


__all__ = ["why_not", "WHY_NOT_COLUMNS"]
