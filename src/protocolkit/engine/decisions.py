"""Deciding requests: one at a time (:func:`decide`) or a table at a time (:func:`decide_many`).

Both run the same compiled matcher (:mod:`protocolkit.engine.compiled`) and the
same resolution of matched rules into an outcome; :func:`decide` is
:func:`decide_many` on one request, read back into a :class:`Decision`.
The semantics are those of ``docs/semantics.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Iterable, Literal, Mapping

import numpy as np
import pandas as pd

from ..model.protocol import Protocol
from ..model.rules import SHARING_OUTCOMES
from .compiled import NEED_CODES, OUTCOME_CODES, CompiledProtocol, compile_protocol
from .explain import explain_category, explain_request
from .requests import Request, encode_facts, encode_frame, expand_requests, check_value

#: Outcome of a request with several categories: the most protective, a gap counting above refuse.
SUMMARY_ORDER: tuple[str, ...] = ("gap", "refuse", "escalate", "seek_consent", "share_minimum", "share")

DECISION_COLUMNS = [
    "request", "from", "to", "category", "stage", "purpose", "outcome", "rule", "deciding_rules",
    "rules_matched", "lawful_bases", "obligations", "minimum", "escalate_to", "need_to_know", "explanation",
]


@dataclass(frozen=True)
class CategoryDecision:
    """The decision for one category of a request."""

    category: str
    outcome: str
    rule: str | None
    deciding_rules: tuple[str, ...]
    rules_matched: tuple[str, ...]
    lawful_bases: tuple[str, ...]
    obligations: tuple[str, ...]
    minimum: str | None
    escalate_to: str | None
    need_to_know: str
    explanation: str

    @property
    def shared(self) -> bool:
        """Whether the category goes to the recipient (share or share_minimum)."""
        return self.outcome in SHARING_OUTCOMES

    @property
    def gap(self) -> bool:
        """Whether no rule covers the category."""
        return self.outcome == "gap"


@dataclass(frozen=True)
class Decision:
    """The decision on a request: overall outcome, per-category decisions, and why.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> d = protocolkit.decide(p, protocolkit.Request("school", "dwp", ["education.attendance"],
    ...                         "plan", "benefit_administration"))
    >>> d.outcome in {"gap", "refuse"}
    True
    """

    request: Request
    outcome: str
    categories: tuple[CategoryDecision, ...]
    explanation: str

    @property
    def rule(self) -> str | None:
        """The deciding rule of the category that set the overall outcome."""
        for c in self.categories:
            if c.outcome == self.outcome:
                return c.rule
        return None

    @property
    def rules_matched(self) -> tuple[str, ...]:
        return _union(c.rules_matched for c in self.categories)

    @property
    def lawful_bases(self) -> tuple[str, ...]:
        return _union(c.lawful_bases for c in self.categories if c.shared or c.outcome == self.outcome)

    @property
    def obligations(self) -> tuple[str, ...]:
        return _union(c.obligations for c in self.categories if c.outcome != "gap")

    @property
    def may_share(self) -> tuple[str, ...]:
        """Categories that may go."""
        return tuple(c.category for c in self.categories if c.shared)

    @property
    def may_not_share(self) -> tuple[str, ...]:
        """Categories that may not go (refused, pending consent or escalation, or gaps)."""
        return tuple(c.category for c in self.categories if not c.shared)

    def to_dict(self) -> dict:
        """Plain data, as ``protocolkit decide --json`` prints it."""
        return {
            "request": {"from": self.request.sender, "to": self.request.recipient,
                        "categories": list(self.request.categories), "stage": self.request.stage,
                        "purpose": self.request.purpose, "facts": dict(self.request.facts)},
            "outcome": self.outcome,
            "rule": self.rule,
            "categories": [{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(c).items()}
                           for c in self.categories],
            "may_share": list(self.may_share),
            "may_not_share": list(self.may_not_share),
            "rules_matched": list(self.rules_matched),
            "lawful_bases": list(self.lawful_bases),
            "obligations": list(self.obligations),
            "explanation": self.explanation,
        }


def _union(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for group in groups:
        for item in group:
            out[item] = None
    return tuple(out)


def summary_outcome(outcomes: Iterable[str]) -> str:
    """The overall outcome of several categories: the most protective, gap first."""
    outcomes = list(outcomes)
    return min(outcomes, key=SUMMARY_ORDER.index) if outcomes else "gap"


def decide(protocol: Protocol, request: Request | Mapping) -> Decision:
    """Decide one sharing request.

    Parameters
    ----------
    protocol : Protocol
    request : Request or mapping
        A mapping needs ``from``, ``to``, ``categories``, ``stage``, ``purpose`` and may have ``facts``.

    Returns
    -------
    Decision

    Raises
    ------
    UnknownValueError
        When the request names a partner, category, stage, purpose, fact or value the protocol lacks.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> d = protocolkit.decide(p, {"from": "police", "to": "mash_decision_maker",
    ...     "categories": ["criminal.intelligence"], "stage": "screening", "purpose": "safeguarding",
    ...     "facts": {"risk": "amber"}})
    >>> d.outcome
    'share_minimum'
    >>> "because" in d.explanation
    True
    """
    if not isinstance(request, Request):
        request = Request.from_mapping(request)
    compiled = compile_protocol(protocol)
    n = len(request.categories)
    sender = check_value(request.sender, compiled.partners, "partner")
    recipient = check_value(request.recipient, compiled.partners, "partner")
    stage = check_value(request.stage, compiled.stages, "stage")
    purpose = check_value(request.purpose, compiled.purposes, "purpose")
    categories = np.array([check_value(c, compiled.categories, "category") for c in request.categories], dtype=np.int64)
    facts = np.tile(encode_facts(compiled, request.facts), (n, 1))
    full = lambda code: np.full(n, code, dtype=np.int64)  # noqa: E731
    bits = compiled.match(full(sender), full(recipient), categories, full(stage), full(purpose), facts)
    outcomes, deciders = compiled.resolve(bits)
    need = compiled.need[recipient, stage, purpose, categories]
    decisions = tuple(
        _category_decision(compiled, request, category, bits[i], int(deciders[i]), int(need[i]))
        for i, category in enumerate(request.categories)
    )
    overall = summary_outcome(d.outcome for d in decisions)
    return Decision(request, overall, decisions, explain_request(compiled, request, decisions, overall))


def _category_decision(compiled: CompiledProtocol, request: Request, category: str, bits: np.ndarray,
                       decider: int, need: int) -> CategoryDecision:
    rules = compiled.rules
    winners = [rules[i] for i in compiled.winners(bits, decider)]
    matched = [rules[i] for i in compiled.matched(bits)]
    first = winners[0] if winners else None
    outcome = first.outcome if first else "gap"
    obligations = _union([str(o) for o in r.obligations] for r in winners)
    decision = CategoryDecision(
        category=category,
        outcome=outcome,
        rule=first.id if first else None,
        deciding_rules=tuple(r.id for r in winners),
        rules_matched=tuple(r.id for r in matched),
        lawful_bases=_union(r.lawful_bases for r in winners),
        obligations=obligations,
        minimum=first.minimum if first and outcome == "share_minimum" else None,
        escalate_to=first.escalate_to if first and outcome == "escalate" else None,
        need_to_know=NEED_CODES[need],
        explanation="",
    )
    text = explain_category(compiled, request, decision, winners, [r for r in matched if r not in winners])
    return CategoryDecision(**{**asdict(decision), "explanation": text})


Detail = Literal["full", "outcome"]


def decide_many(protocol: Protocol, requests: pd.DataFrame | Iterable[Request | Mapping], *,
                detail: Detail = "full") -> pd.DataFrame:
    """Decide a table of requests at once: one row per request and category.

    Parameters
    ----------
    protocol : Protocol
    requests : DataFrame or iterable of Request or mappings
        Columns ``from``, ``to``, ``categories`` (list, or ``category``: one id), ``stage``,
        ``purpose``, and a ``facts`` column of mappings or one column per fact id
        (missing or NaN means unknown). One column per fact is the fast form.
    detail : {"full", "outcome"}
        ``full`` gives every column of a :class:`Decision` (deciding and matched rules,
        lawful bases, obligations, need-to-know, explanation), computed once per distinct
        request scope and set of matched rules. ``outcome`` gives only ``outcome``, ``rule`` and ``need_to_know``,
        fully vectorised, for very large tables.

    Returns
    -------
    DataFrame
        Columns :data:`DECISION_COLUMNS` (or the ``outcome`` subset).

    Examples
    --------
    >>> import pandas as pd, protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> table = pd.DataFrame({"from": ["police"], "to": ["mash_decision_maker"],
    ...     "categories": [["criminal.intelligence", "health.mental_health"]],
    ...     "stage": ["screening"], "purpose": ["safeguarding"], "risk": ["amber"]})
    >>> protocolkit.decide_many(p, table)[["category", "outcome"]].shape
    (2, 2)
    """
    compiled = compile_protocol(protocol)
    frame = expand_requests(requests)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in (DECISION_COLUMNS if detail == "full" else
                             ["request", "from", "to", "category", "stage", "purpose", "outcome", "rule", "need_to_know"])})
    codes = encode_frame(compiled, frame)
    bits = compiled.match(codes["from"], codes["to"], codes["category"], codes["stage"], codes["purpose"], codes["facts"])
    outcomes, deciders = compiled.resolve(bits)
    need = compiled.need[codes["to"], codes["stage"], codes["purpose"], codes["category"]]
    rule_ids = np.array([None] + [compiled.rule_at_bit(b).id for b in range(len(compiled.rules))], dtype=object)
    base = pd.DataFrame({
        "request": frame["request"].to_numpy(),
        "from": frame["from"].to_numpy(), "to": frame["to"].to_numpy(),
        "category": frame["category"].to_numpy(), "stage": frame["stage"].to_numpy(),
        "purpose": frame["purpose"].to_numpy(),
        "outcome": pd.Categorical.from_codes(outcomes, categories=list(OUTCOME_CODES)),
        "rule": pd.Series(rule_ids[deciders + 1], dtype=object),
        "need_to_know": pd.Categorical.from_codes(need, categories=list(NEED_CODES)),
    })
    if detail == "outcome":
        return base
    return _add_detail(compiled, frame, codes, bits, deciders, base)


def _add_detail(compiled: CompiledProtocol, frame: pd.DataFrame, codes: dict, bits: np.ndarray,
                deciders: np.ndarray, base: pd.DataFrame) -> pd.DataFrame:
    # the details depend on the request's scope and its matched rules, never on the facts themselves
    key = np.column_stack([codes["from"], codes["to"], codes["category"], codes["stage"], codes["purpose"],
                           bits.view(np.int64)]) if len(base) else np.zeros((0, 1), dtype=np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    details = []
    for row in first:
        request = Request(frame["from"].iat[row], frame["to"].iat[row], (frame["category"].iat[row],),
                          frame["stage"].iat[row], frame["purpose"].iat[row])
        need = int(compiled.need[codes["to"][row], codes["stage"][row], codes["purpose"][row], codes["category"][row]])
        details.append(_category_decision(compiled, request, request.categories[0], bits[row], int(deciders[row]), need))
    columns = {
        "deciding_rules": [d.deciding_rules for d in details],
        "rules_matched": [d.rules_matched for d in details],
        "lawful_bases": [d.lawful_bases for d in details],
        "obligations": [d.obligations for d in details],
        "minimum": [d.minimum for d in details],
        "escalate_to": [d.escalate_to for d in details],
        "explanation": [d.explanation for d in details],
    }
    for name, values in columns.items():
        array = np.empty(len(values), dtype=object)
        array[:] = values
        base[name] = pd.Series(array[inverse] if len(base) else array, dtype=object)
    return base[DECISION_COLUMNS]

