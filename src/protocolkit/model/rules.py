"""Sharing rules: scope, conditions on facts, outcome, obligations, lawful bases, rationale.

A rule is declared data. What it *means* (which requests it matches, how it
combines with other rules) is defined once, in ``docs/semantics.md``, and
implemented once, in :mod:`protocolkit.engine`.

Conditions are written as the YAML value of a fact key in ``when``::

    when:
      risk: ">= amber"          # ordered comparison (the fact must be ordered)
      consent: [given, not_sought]   # any of these values
      statutory_notice: yes     # exactly this value (YAML 'yes' is read as the text 'yes')
      child_competent: "!= yes"

A condition is satisfied only by a value the case states. A fact the case does
not state is ``unknown`` and satisfies a condition only when the condition lists
``unknown`` explicitly (``consent: [refused, unknown]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, WithJsonSchema, model_serializer, model_validator
from typing_extensions import Annotated

from .deadlines import NAMED_DURATIONS, TIMINGS, TRIGGERS, WORKING_TIME_PATTERN, check_duration, describe_deadline
from .keys import ANY, UNKNOWN, BasisId, DottedKey, FactKey, Key, Model, RuleId, quiet_defaults
from .entities import Fact, Selector
from .history import History, HistoryCondition
from .retention import Retention
from .outcomes import (  # noqa: F401  (re-exported: the outcome list lives in outcomes.py)
    FallbackOutcome, OUTCOMES_MOST_PROTECTIVE_FIRST, Outcome, RuleOutcomeName, SHARING_OUTCOMES,
)

Timing = Literal["before", "after"]
Inherit = Literal["replace", "add", "none"]
Trigger = Literal["disclosure", "request", "referral_received", "decision", "incident", "notice"]
DURATION_PATTERN = ("^(" + "|".join(NAMED_DURATIONS) + "|" + WORKING_TIME_PATTERN + r"|P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?)$")

RequestedBy = Literal["unstated", "proactive", "recipient", "third_party"]

#: Who asked, relative to the flow (``docs/semantics.md`` section 1): nobody said; the holder discloses
#: on its own initiative; the recipient asked; someone else (a third partner, an outside party) asked.
#: Codes in the compiled tables follow this order.
REQUESTED_BY: tuple[str, ...] = ("unstated", "proactive", "recipient", "third_party")

_REQUESTED_BY_WORDS = {
    "unstated": "nobody has said who asked", "proactive": "the holder shares on its own initiative",
    "recipient": "the recipient asked", "third_party": "someone other than the holder and the recipient asked",
}


#: What a request that names no data subject reads as, in a rule's ``about`` list.
UNSTATED_SUBJECT = "unstated"


def describe_about(values: list[str] | str, labels: dict[str, str] | None = None) -> str:
    """Plain English for a rule's ``about``: ``about the victim or the child``."""
    if values == "any":
        return "about anyone"
    labels = labels or {}
    words = ["about nobody in particular" if v == UNSTATED_SUBJECT else f"about {_the(labels.get(v, v))}"
             for v in values]
    return " or ".join(words)


def _the(label: str) -> str:
    """A role's label read after 'about': 'the victim' (a label starting 'The' or 'A' keeps its article)."""
    low = label[:1].lower() + label[1:]
    if low.split(" ", 1)[0] in ("the", "a", "an", "another"):
        return low
    return f"the {low.replace('_', ' ')}"


def describe_requested_by(values: list[str] | str) -> str:
    """Plain English for a rule's ``requested_by``: ``the recipient asked or ...``."""
    return " or ".join(_REQUESTED_BY_WORDS[v] for v in values) if values != "any" else "anyone asked"


SharingMode = Literal["required", "permitted", "discretion"]

#: Whether a sharing outcome is a duty, a permission, or a permission on a named person's judgement
#: (``docs/semantics.md`` section 4), strongest first: among the deciding rules the strongest applies.
SHARING_MODES: tuple[str, ...] = ("required", "discretion", "permitted")


def describe_sharing(mode: str | None, decided_by: str | None = None) -> str:
    """Plain English for a sharing mode: ``must share``, ``may share``, ``may share if ... judges it appropriate``.

    Examples
    --------
    >>> describe_sharing("required")
    'must share'
    >>> describe_sharing("discretion", "the school's designated safeguarding lead")
    "may share if the school's designated safeguarding lead judges it appropriate"
    """
    if mode == "required":
        return "must share"
    if mode == "discretion":
        return f"may share if {decided_by or 'the named decision-maker'} judges it appropriate"
    return "may share"


_OPERATORS = (">=", "<=", "!=", "==", ">", "<")
_COMPARISON = re.compile(r"^\s*(>=|<=|!=|==|>|<)?\s*([A-Za-z0-9_]+)\s*$")


@dataclass(frozen=True)
class Condition:
    """A parsed condition on one fact: an operator and the values it names.

    Examples
    --------
    >>> from protocolkit.model.entities import Fact
    >>> risk = Fact(id="risk", label="Risk rating", values=["blue", "green", "amber", "red"], ordered=True)
    >>> sorted(Condition.parse("risk", ">= amber").allowed(risk))
    ['amber', 'red']
    >>> sorted(Condition.parse("risk", ["green", "unknown"]).allowed(risk))
    ['green', 'unknown']
    """

    fact: str
    operator: str  # one of >=, <=, !=, ==, >, <, in
    values: tuple[str, ...]

    @classmethod
    def parse(cls, fact: str, raw: object) -> "Condition":
        """Read a condition as written in YAML; raise ``ValueError`` with the fix."""
        if isinstance(raw, bool):  # YAML 1.1 readers turn yes/no into booleans
            raw = "yes" if raw else "no"
        if isinstance(raw, list):
            if not raw:
                raise ValueError(f"condition on '{fact}' lists no values")
            values = tuple("yes" if v is True else "no" if v is False else str(v) for v in raw)
            return cls(fact, "in", values)
        if isinstance(raw, (str, int)):
            match = _COMPARISON.match(str(raw))
            if not match:
                raise ValueError(
                    f"cannot read condition {raw!r} on '{fact}': write a value, a list of values, "
                    f"or an operator and a value such as '>= amber' (operators: {', '.join(_OPERATORS)})"
                )
            op, value = match.group(1) or "==", match.group(2)
            return cls(fact, op, (value,))
        raise ValueError(f"condition on '{fact}' must be a value, a list of values or a comparison such as '>= amber'")

    def allowed(self, fact: Fact) -> frozenset[str]:
        """The set of values (``unknown`` included where named) that satisfy the condition.

        Raises ``ValueError`` naming the bad value when the condition names a value the
        fact does not have, or compares an unordered fact.
        """
        domain = list(fact.values)
        for value in self.values:
            if value not in domain and value != UNKNOWN:
                raise ValueError(
                    f"'{value}' is not a value of fact '{fact.id}' (allowed: {', '.join(domain)}, or {UNKNOWN})"
                )
        if self.operator == "in":
            return frozenset(self.values)
        (value,) = self.values
        if self.operator == "==":
            return frozenset({value})
        if self.operator == "!=":
            return frozenset(v for v in domain if v != value)
        if not fact.ordered:
            raise ValueError(f"'{self.operator}' needs an ordered fact, and '{fact.id}' is not ordered")
        if value == UNKNOWN:
            raise ValueError(f"'{self.operator} {UNKNOWN}' is not a comparison: unknown has no place in the order")
        rank = domain.index(value)
        keep = {
            ">=": lambda i: i >= rank, ">": lambda i: i > rank,
            "<=": lambda i: i <= rank, "<": lambda i: i < rank,
        }[self.operator]
        return frozenset(v for i, v in enumerate(domain) if keep(i))

    def describe(self) -> str:
        """Plain English, such as ``risk is amber or higher``."""
        fact, _, role = self.fact.partition("@")
        name = fact.replace("_", " ").replace(".", " ") + (f" of the {role.replace('_', ' ')}" if role else "")
        if self.operator == "in":
            return f"{name} is {' or '.join(self.values)}"
        words = {"==": "is", "!=": "is not", ">=": "is {} or higher", ">": "is higher than {}",
                 "<=": "is {} or lower", "<": "is lower than {}"}[self.operator]
        value = self.values[0]
        return f"{name} {words.format(value)}" if "{}" in words else f"{name} {words} {value}"


@dataclass(frozen=True)
class HistoryFactCondition(Condition):
    """A rule's condition on a history fact (``docs/semantics.md`` section 15): ``yes``, or ``no`` under ``not``.

    Examples
    --------
    >>> from protocolkit.model.history import HistoryCondition
    >>> c = HistoryCondition("received", category="police.intelligence")
    >>> HistoryFactCondition(c.fact_id, "==", ("yes",), meaning=c).describe()
    'the sender already received police intelligence earlier in the case'
    """

    meaning: "HistoryCondition | None" = None

    def describe(self) -> str:
        return self.meaning.describe(self.values == ("yes",))


ConditionValue = Annotated[
    str | bool | int | list[str | bool | int],
    WithJsonSchema({
        "description": "A value, a list of values, or a comparison such as '>= amber'.",
        "anyOf": [{"type": "string"}, {"type": "boolean"}, {"type": "array", "items": {"type": ["string", "boolean"]}}],
    }),
]


class Obligation(Model):
    """An obligation attached to a decision: a type from the vocabulary and, where it needs them, a detail,
    a timing and a deadline (``docs/semantics.md`` section 17).

    In YAML an obligation is its type (``record_decision``), a one-key mapping from the type to
    its detail (``deadline: within 4 working hours``, free text, as older protocols write it), or
    a one-key mapping from the type to a mapping of ``detail``, ``timing`` (``before`` or
    ``after`` the disclosure) and a deadline as data: ``within`` (an ISO 8601 duration such as
    ``PT24H``; working time such as ``4_working_hours`` or ``1_working_day``; or ``same_working_day``,
    ``next_working_day``, ``next_school_day``, ``date_set``) ``from`` an event (``disclosure``,
    ``request``, ``referral_received``, ``decision``, ``incident``, ``notice``; ``disclosure`` when not said).

    Examples
    --------
    >>> Obligation.model_validate("record_decision").type
    'record_decision'
    >>> Obligation.model_validate({"deadline": "within 4 working hours"}).model_dump()
    {'deadline': 'within 4 working hours'}
    >>> after = Obligation.model_validate({"record_decision": {"timing": "after", "within": "PT24H"}})
    >>> str(after)
    'record_decision: after the disclosure, within 24 hours of the disclosure'
    >>> after.model_dump()
    {'record_decision': {'timing': 'after', 'within': 'PT24H', 'from': 'disclosure'}}
    >>> str(Obligation.model_validate({"deadline": {"within": "4_working_hours", "from": "request"}}))
    'deadline: within 4 working hours of the request'
    """

    type: Key
    detail: str | None = None
    timing: Timing | None = Field(None, description="before or after the disclosure (unstated: with it).")
    within: str | None = Field(None, description="The deadline's duration: ISO 8601 (PT24H, P1D), working time "
                                                 "(4_working_hours, 1_working_day), or same_working_day, "
                                                 "next_working_day, next_school_day, date_set.")
    from_: Trigger | None = Field(None, alias="from", description="The event the deadline runs from.")

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, data: object) -> object:
        if isinstance(data, str):
            return {"type": data}
        if isinstance(data, dict) and "type" not in data:
            if len(data) != 1:
                raise ValueError("write an obligation as its type, or as one 'type: detail' pair")
            ((kind, detail),) = data.items()
            if isinstance(detail, dict):
                unknown = sorted(set(detail) - {"detail", "timing", "within", "from"})
                if unknown:
                    raise ValueError(f"an obligation's mapping has no key {', '.join(map(repr, unknown))}: "
                                     "use detail, timing, within and from")
                return {"type": kind, **{k: None if v is None else str(v) for k, v in detail.items()}}
            return {"type": kind, "detail": None if detail is None else str(detail)}
        return data

    @model_validator(mode="after")
    def _deadline_complete(self) -> "Obligation":
        if self.within is not None:
            check_duration(self.within)
            if self.from_ is None:
                self.from_ = "disclosure"
            if self.within == "date_set" and self.from_ not in ("notice", "request"):
                raise ValueError(f"'within: date_set' means by the date a notice or request sets, not "
                                 f"'{self.from_}': write 'from: notice' (or 'from: request')")
        elif self.from_ is not None:
            raise ValueError(f"'from: {self.from_}' needs 'within': how long after it (such as PT24H)")
        return self

    @property
    def structured(self) -> bool:
        """Whether the obligation says more than a type and a free-text detail."""
        return self.timing is not None or self.within is not None

    @model_serializer
    def _to_yaml(self) -> str | dict:
        if not self.structured:
            return self.type if self.detail is None else {self.type: self.detail}
        body = {"detail": self.detail, "timing": self.timing, "within": self.within, "from": self.from_}
        return {self.type: {k: v for k, v in body.items() if v is not None}}

    def words(self) -> str:
        """What the obligation says beyond its type, in plain English (empty for a bare type)."""
        when = [TIMINGS[self.timing]] if self.timing else []
        if self.within is not None:
            when.append(describe_deadline(self.within, self.from_ or "disclosure"))
        return "; ".join(x for x in (self.detail, ", ".join(when)) if x)

    def __str__(self) -> str:
        words = self.words()
        return f"{self.type}: {words}" if words else self.type


ObligationValue = Annotated[
    Obligation,
    WithJsonSchema({
        "description": "An obligation type, a one-key mapping from the type to its detail, or a one-key mapping "
                       "from the type to its detail, timing (before or after the disclosure) and deadline "
                       "(within: an ISO 8601 duration, working time such as 4_working_hours or 1_working_day, or "
                       "same_working_day / next_working_day / next_school_day / date_set; from: the event).",
        "anyOf": [{"type": "string"},
                  {"type": "object", "minProperties": 1, "maxProperties": 1,
                   "additionalProperties": {"anyOf": [
                       {"type": "string"},
                       {"type": "object", "additionalProperties": False, "properties": {
                           "detail": {"type": "string"},
                           "timing": {"enum": ["before", "after"]},
                           "within": {"type": "string", "pattern": DURATION_PATTERN},
                           "from": {"enum": list(TRIGGERS)}}}]}}],
    }),
]


class Rule(Model):
    """A sharing rule: who may share what with whom, when, on which basis, and with what duties."""

    id: RuleId = Field(description="Stable identifier, cited in decisions, cases and the agreement.")
    title: str = Field(description="One line a practitioner reads in the rule table.")
    from_: Selector | Literal["any"] = Field(alias="from", description="Who shares: partners, kinds, or 'any'.")
    to: Selector | Literal["any"] = Field(description="Who receives: partners, kinds, or 'any'.")
    categories: list[DottedKey] | Literal["any"] = Field(
        description="Data categories (a category covers its children), or 'any'."
    )
    stages: list[Key] | Literal["any"] = Field(description="Stages the rule applies at, or 'any'.")
    purposes: list[Key] | Literal["any"] = Field(description="Purposes it applies to, or 'any'.")
    when: dict[FactKey, ConditionValue] = Field(
        default_factory=dict, description="Conditions on facts, all of which must hold; a per-subject fact reads "
                                          "the value for the request's subject, or names a role (consent@victim)."
    )
    about: list[Key] | Literal["any"] = Field(
        "any", description="Whose data: the data subject roles the rule covers ('unstated' for a request that "
                           "names none); 'any' (the default) whoever it is about, or nobody said.")
    requested_by: list[RequestedBy] | Literal["any"] = Field(
        "any", description="Who asked: proactive (the holder's own initiative), recipient, third_party, or "
                           "unstated; 'any' (the default) whoever asked or nobody said.")
    history: History | None = Field(
        None, description="What must (or, under 'not', must not) have happened earlier in the case: received, "
                          "shared, decided, count (docs/semantics.md section 15).")
    _quiet = quiet_defaults('requested_by', 'about', 'history', 'inherit', 'sharing', 'decided_by', 'retention')

    outcome: RuleOutcomeName = Field(
        description="share, share_minimum, seek_consent, escalate, refuse or neither_confirm_nor_deny.")
    minimum: str | None = Field(None, description="For share_minimum: what may go (fields or a summary).")
    escalate_to: str | None = Field(None, description="For escalate: the named role that decides.")
    sharing: SharingMode = Field(
        "permitted", description="For share and share_minimum: required (a duty: the sender must share), permitted "
                                 "(the default: the sender may share) or discretion (the sender may share on the "
                                 "judgement of the role named in decided_by, who records the decision).")
    decided_by: str | None = Field(
        None, description="For sharing: discretion: the named role whose judgement decides, such as "
                          "'the school's designated safeguarding lead'.")
    obligations: list[ObligationValue] = Field(default_factory=list, description="Duties attached to the outcome.")
    lawful_bases: list[BasisId] = Field(default_factory=list, description="Lawful bases and conditions relied on.")
    rationale: str = Field(description="Why the partnership agreed this rule, in plain English.")
    priority: int = Field(
        0, description="Higher priority rules decide before lower ones; within a priority the most protective outcome wins."
    )
    inherit: Inherit = Field(
        "replace", description="What the rule does with the agreement's defaults (docs/semantics.md section 18): "
                               "replace (each list it states replaces the inherited one), add (its own, then the "
                               "inherited ones) or none (nothing inherited).")
    retention: list[Retention] = Field(
        default_factory=list, description="How long the recipients keep what the rule shares: a duration per "
                                          "category, overriding the defaults' for the categories it covers "
                                          "(docs/semantics.md section 18).")

    def conditions(self) -> list[Condition]:
        """The rule's conditions, parsed, in the order written (``ValueError`` for one that cannot be read;
        the validator reports those as PK115 before any rule is used)."""
        out = [Condition.parse(fact, raw) for fact, raw in self.when.items()]
        if self.history is not None:
            out += [HistoryFactCondition(c.fact_id, "==", (value,), meaning=c) for c, value in self.history.conditions()]
        return out


FallbackTrigger = Literal["gap", "unknown_fact"]


class Fallback(Model):
    """What a purpose's requests get when no rule decides them (``docs/semantics.md`` section 5).

    ``on: [gap]`` applies it where no rule covers a category; ``on: [unknown_fact]`` where a
    rule that would outrank the deciding rule waits on a fact the case has not stated. A
    fallback never shares: it refuses, escalates to a named role, seeks consent, or neither
    confirms nor denies.

    Examples
    --------
    >>> f = Fallback.model_validate({"id": "front_door", "purposes": ["safeguarding"], "outcome": "escalate",
    ...     "escalate_to": "MASH team manager", "obligations": [{"deadline": "same working day"}],
    ...     "rationale": "A concern is never refused for want of a rule."})
    >>> f.on
    ['gap', 'unknown_fact']
    """

    id: Key = Field(description="Stable identifier, cited in decisions when the fallback decides.")
    title: str | None = Field(None, description="One line a practitioner reads.")
    purposes: list[Key] | Literal["any"] = Field(description="The purposes whose requests it decides, or 'any'.")
    on: list[FallbackTrigger] = Field(
        default_factory=lambda: ["gap", "unknown_fact"],
        description="gap: no rule covers the category; unknown_fact: a rule that would outrank the deciding "
                    "rule waits on a fact nobody has stated.")
    outcome: FallbackOutcome = Field(description="refuse, escalate, seek_consent or neither_confirm_nor_deny (never a share).")
    escalate_to: str | None = Field(None, description="For escalate: the named role that decides.")
    obligations: list[ObligationValue] = Field(default_factory=list, description="Duties attached (a deadline, a record).")
    rationale: str = Field(description="Why the partnership chose this fallback, in plain English.")


def is_any(value: object) -> bool:
    """True where a scope value is the literal ``any``."""
    return value == ANY
