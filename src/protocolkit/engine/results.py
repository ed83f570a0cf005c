"""What the engine answers, as named types: a decision on a request, each category's decision, and the
columns of the tables that batches (:func:`~protocolkit.engine.decisions.decide_many`) and "why not?"
(:func:`~protocolkit.engine.why_not.why_not`) return, with a named row for the latter.

Every outcome is an :class:`~protocolkit.model.outcomes.Outcome`. These types were defined in
:mod:`protocolkit.engine.decisions`, which still exports them.

Examples
--------
>>> import protocolkit
>>> p = protocolkit.load(protocolkit.example_path("mash"))
>>> d = protocolkit.decide(p, {"from": "school", "to": "police", "categories": ["criminal.intelligence"],
...                            "stage": "referral", "purpose": "safeguarding"})
>>> type(d).__name__, d.outcome, d.outcome is Outcome.REFUSE
('Decision', 'refuse', True)
>>> d.categories[0].outcome.words
'refuse'
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable

import pandas as pd

from ..model.outcomes import GAP, SHARING_OUTCOMES, SUMMARY_ORDER, Outcome
from .requests import Request

DECISION_COLUMNS = [
    "request", "from", "to", "category", "stage", "purpose", "outcome", "rule", "deciding_rules",
    "rules_matched", "lawful_bases", "obligations", "minimum", "escalate_to", "need_to_know",
    "fallback", "fallback_reason", "waiting_on", "waiting_rules", "regime", "sharing", "decided_by", "retention",
    "explanation",
]


@dataclass(frozen=True)
class CategoryDecision:
    """The decision for one category of a request."""

    category: str
    outcome: Outcome
    rule: str | None
    deciding_rules: tuple[str, ...]
    rules_matched: tuple[str, ...]
    lawful_bases: tuple[str, ...]
    obligations: tuple[str, ...]
    minimum: str | None
    escalate_to: str | None
    need_to_know: str
    fallback: str | None = None
    fallback_reason: str | None = None
    waiting_on: tuple[str, ...] = ()
    waiting_rules: tuple[str, ...] = ()
    regime: str = "uk_gdpr"
    sharing: str | None = None
    """For a category that is shared: ``required`` (a duty), ``permitted`` or ``discretion`` (section 4)."""
    decided_by: str | None = None
    """For ``sharing: discretion``: the named role whose judgement decides, and who records it."""
    retention: tuple[dict, ...] = ()
    """For a category that is shared: the retention periods in effect, each ``{"period", "origin", "owner",
    "source"}`` (:func:`~protocolkit.engine.retention.retention_of`, ``docs/semantics.md`` section 18)."""
    explanation: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", Outcome(self.outcome))

    @property
    def must_share(self) -> bool:
        """Whether sharing the category is a duty (``sharing: required``), not only a permission."""
        return self.sharing == "required"

    @property
    def shared(self) -> bool:
        """Whether the category goes to the recipient (share or share_minimum)."""
        return self.outcome in SHARING_OUTCOMES

    @property
    def gap(self) -> bool:
        """Whether no rule covers the category (a gap stays a gap when a fallback decides it)."""
        return not self.rules_matched

    @property
    def by_fallback(self) -> bool:
        """Whether the purpose's fallback decided, not a rule."""
        return self.fallback is not None


@dataclass(frozen=True)
class Decision:
    """The decision on a request: overall outcome, per-category decisions, and why.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> d = protocolkit.decide(p, protocolkit.Request("school", "dwp", ["education.attendance"],
    ...                         "plan", "benefit_administration"))
    >>> d.outcome, d.rule
    ('refuse', 'R-GEN-01')
    """

    request: Request
    outcome: Outcome
    categories: tuple[CategoryDecision, ...]
    explanation: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "outcome", Outcome(self.outcome))

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
        return _union(c.obligations for c in self.categories if c.outcome != GAP)

    @property
    def regime(self) -> str:
        """The data protection regime of the flow: ``uk_gdpr``, or ``part3`` (DPA 2018 Part 3)."""
        return self.categories[0].regime if self.categories else "uk_gdpr"

    @property
    def gaps(self) -> tuple[str, ...]:
        """Categories no rule covers, whether or not a fallback decided them."""
        return tuple(c.category for c in self.categories if c.gap)

    @property
    def fallbacks(self) -> tuple[str, ...]:
        """The fallbacks that decided some category."""
        return _union([c.fallback] for c in self.categories if c.fallback)

    @property
    def may_share(self) -> tuple[str, ...]:
        """Categories that may go."""
        return tuple(c.category for c in self.categories if c.shared)

    @property
    def must_share(self) -> tuple[str, ...]:
        """Categories the sender has a duty to share (``sharing: required``)."""
        return tuple(c.category for c in self.categories if c.must_share)

    @property
    def may_not_share(self) -> tuple[str, ...]:
        """Categories that may not go (refused, pending consent or escalation, or gaps)."""
        return tuple(c.category for c in self.categories if not c.shared)

    def to_dict(self) -> dict:
        """Plain data, as ``protocolkit decide --json`` prints it."""
        return {
            "request": {"from": self.request.sender, "to": self.request.recipient,
                        "categories": list(self.request.categories), "stage": self.request.stage,
                        "purpose": self.request.purpose, "facts": dict(self.request.facts),
                        "requester": self.request.requester, "requested_by": self.request.initiative,
                        **({"about": self.request.about} if self.request.about else {})},
            "outcome": self.outcome,
            "rule": self.rule,
            "categories": [{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(c).items()}
                           for c in self.categories],
            "may_share": list(self.may_share),
            "must_share": list(self.must_share),
            "may_not_share": list(self.may_not_share),
            "rules_matched": list(self.rules_matched),
            "lawful_bases": list(self.lawful_bases),
            "obligations": list(self.obligations),
            "gaps": list(self.gaps),
            "fallbacks": list(self.fallbacks),
            "regime": self.regime,
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
    return min(outcomes, key=SUMMARY_ORDER.index) if outcomes else GAP


#: The columns of the table :func:`~protocolkit.engine.why_not.why_not` returns, one row a :class:`WhyNotCandidate`.
WHY_NOT_COLUMNS = ["category", "outcome", "rule", "rule_outcome", "scope_changes", "fact_changes",
                   "then", "explanation", "size", "must_change"]


@dataclass(frozen=True)
class WhyNotCandidate:
    """One row of a "why not?" table: a sharing rule that could let a category go, and what must change.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> table = protocolkit.why_not(p, {"from": "police", "to": "mash_decision_maker",
    ...     "categories": ["criminal.intelligence"], "stage": "screening", "purpose": "safeguarding",
    ...     "facts": {"risk": "blue"}})
    >>> first = WhyNotCandidate.rows(table)[0]
    >>> first.rule, first.rule_outcome, first.size, first.must_change
    ('R-SCR-01', 'share_minimum', 1, ('facts',))
    """

    category: str
    outcome: Outcome
    rule: str
    rule_outcome: Outcome
    scope_changes: tuple[str, ...]
    fact_changes: tuple[str, ...]
    then: str
    explanation: str
    size: int
    must_change: tuple[str, ...]

    @classmethod
    def rows(cls, table: pd.DataFrame) -> list["WhyNotCandidate"]:
        """The rows of a why-not table, in its order."""
        return [cls(category=r["category"], outcome=Outcome(r["outcome"]), rule=r["rule"],
                    rule_outcome=Outcome(r["rule_outcome"]), scope_changes=tuple(r["scope_changes"]),
                    fact_changes=tuple(r["fact_changes"]), then=r["then"], explanation=r["explanation"],
                    size=int(r["size"]), must_change=tuple(r["must_change"]))
                for r in table.to_dict("records")]


__all__ = ["DECISION_COLUMNS", "WHY_NOT_COLUMNS", "CategoryDecision", "Decision", "WhyNotCandidate",
           "summary_outcome"]
