"""History within a case: rule conditions on what the case has already shared or decided.

A rule's ``history`` names things that must (or, under ``not``, must not) have happened
earlier in the case ("forward only what you received", "after the referral has been made",
"before level 3 support is requested", "three notifications in three months")::

    history:
      received: police.intelligence          # the sender already holds it: it was shared with the sender
      shared: {to: childrens_social_care, at_stage: referral}
      not: {decided: {outcome: escalate, at_stage: level_3}}
      count: {of: {shared: {category: domestic_abuse, to: school}}, at_least: 3, within: P90D}

Each condition is one *history fact*: a derived yes/no fact with a stable id
(:attr:`HistoryCondition.fact_id`, such as ``history.received.police.intelligence``). A rule's
history conditions are conditions on those facts (``yes``, or ``no`` under ``not``), so the one
engine decides, explains, proves and exports them as it does every fact: a single decision takes
them as given facts (unknown when not given, never assumed); a case run computes them from the
case's earlier steps (:mod:`protocolkit.engine.history`). What they mean is ``docs/semantics.md``
section 15.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .keys import DottedKey, Key, Model, quiet_defaults
from .outcomes import OutcomeOrGap

#: The prefix of every history fact's id.
PREFIX = "history"

_DURATION = re.compile(r"^\s*P(\d+)([DWMY])\s*$", re.IGNORECASE)
_WORDS = re.compile(r"^\s*(\d+)\s*(day|week|month|year)s?\s*$", re.IGNORECASE)
_UNIT_WORDS = {"D": "day", "W": "week", "M": "month", "Y": "year"}


def parse_window(text: str) -> tuple[int, str]:
    """A window as (number, unit letter D/W/M/Y): ``P90D``, ``P3M``, ``90 days``, ``3 months``.

    Examples
    --------
    >>> parse_window("P90D"), parse_window("3 months")
    ((90, 'D'), (3, 'M'))
    """
    match = _DURATION.match(str(text))
    if match:
        return int(match.group(1)), match.group(2).upper()
    match = _WORDS.match(str(text))
    if match:
        return int(match.group(1)), match.group(2)[0].upper()
    raise ValueError(f"cannot read the window {text!r}: write it as an ISO 8601 period such as 'P90D' or 'P3M', "
                     "or as '90 days' / '3 months'")


def window_words(window: tuple[int, str]) -> str:
    """``(3, 'M')`` -> ``3 months``."""
    number, unit = window
    return f"{number} {_UNIT_WORDS[unit]}{'s' if number != 1 else ''}"


class HistoryEvent(Model):
    """Which earlier sharing or decision counts: every key given must hold (any value where left out)."""

    category: DottedKey | None = Field(
        None, description="A category: some of it (it, a category within it, or one containing it) was concerned.")
    from_: Key | None = Field(None, alias="from", description="The sender (a partner; its teams count).")
    to: Key | None = Field(None, description="The recipient (a partner; its teams count).")
    at_stage: Key | None = Field(None, description="The stage it happened at.")
    outcome: OutcomeOrGap | list[OutcomeOrGap] | None = Field(
        None, description="For 'decided': the outcome (or list of outcomes) a category of it got.")

    def outcomes(self) -> tuple[str, ...]:
        return () if self.outcome is None else (self.outcome,) if isinstance(self.outcome, str) else tuple(self.outcome)

    def _slug(self) -> str:
        parts = [*self.outcomes()] if self.outcome is not None else []
        if self.category:
            parts.append(self.category)
        for word, value in (("from", self.from_), ("to", self.to), ("at", self.at_stage)):
            if value:
                parts += [word, value]
        return ".".join(parts) or "anything"

    def _words(self, shared: bool, happened: bool = True) -> str:
        what = self.category.replace("_", " ").replace(".", " ") if self.category else "information"
        where = "".join(f" {word} {value.replace('_', ' ')}" for word, value in (
            ("by" if shared else "from", self.from_), ("with" if shared else "to", self.to), ("at", self.at_stage))
            if value)
        no = "" if happened else "no "
        if shared:
            return f"{no}{what} was shared{where}"
        outcomes = " or ".join(o.replace("_", " ") for o in self.outcomes())
        return f"{no or 'a '}request for {what}{where} was decided {outcomes}"


class HistoryCount(Model):
    """At least ``at_least`` earlier requests that shared (or were decided) as ``of`` says, within ``within``."""

    of: dict[Literal["shared", "decided"], HistoryEvent] = Field(
        description="What is counted: {shared: {...}} or {decided: {...}}, one earlier request each.")
    at_least: int = Field(ge=1, description="How many earlier requests it takes.")
    within: str | None = Field(
        None, description="The window ending on the request's date: an ISO 8601 period (P90D, P3M) or '90 days'.")

    @field_validator("of")
    @classmethod
    def _one(cls, value: dict) -> dict:
        if len(value) != 1:
            raise ValueError("count 'of' names one thing: {shared: {...}} or {decided: {...}}")
        return value

    @field_validator("within")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if value is not None:
            parse_window(value)
        return value


class History(Model):
    """A rule's conditions on what happened earlier in the case (``docs/semantics.md`` section 15).

    Examples
    --------
    >>> h = History.model_validate({"received": "police.intelligence",
    ...                             "not": {"shared": {"to": "csc", "at_stage": "referral"}}})
    >>> [(c.fact_id, value) for c, value in h.conditions()]
    [('history.received.police.intelligence', 'yes'), ('history.shared.to.csc.at.referral', 'no')]
    """

    received: DottedKey | list[DottedKey] | None = Field(
        None, description="Categories the sender already holds: each was shared with the sender earlier in the case.")
    shared: HistoryEvent | list[HistoryEvent] | None = Field(
        None, description="Sharing that happened earlier in the case (each one listed).")
    decided: HistoryEvent | list[HistoryEvent] | None = Field(
        None, description="Decisions taken earlier in the case, each with its 'outcome'.")
    count: HistoryCount | list[HistoryCount] | None = Field(
        None, description="Counts over earlier requests, with 'at_least' and an optional window 'within'.")
    not_: "History | None" = Field(
        None, alias="not", description="Conditions none of which may have happened (each one, on its own).")
    _quiet = quiet_defaults("received", "shared", "decided", "count", "not_")

    @model_validator(mode="after")
    def _checks(self) -> "History":
        if self.not_ is not None and self.not_.not_ is not None:
            raise ValueError("'not' inside 'not' cannot be read: write the condition without both")
        for event in _listed(self.decided):
            if not event.outcomes():
                raise ValueError("a 'decided' condition names the 'outcome' it looks for")
        for event in _listed(self.shared):
            if event.outcome is not None:
                raise ValueError("a 'shared' condition has no 'outcome' (it means a share): use 'decided' instead")
        for count in _listed(self.count):
            ((kind, event),) = count.of.items()
            if kind == "decided" and not event.outcomes():
                raise ValueError("a counted 'decided' names the 'outcome' it counts")
            if kind == "shared" and event.outcome is not None:
                raise ValueError("a counted 'shared' has no 'outcome': count 'decided' instead")
        if not self.conditions():
            raise ValueError("history names nothing: give received, shared, decided, count or not")
        return self

    def conditions(self) -> list[tuple["HistoryCondition", str]]:
        """Each condition with the value its history fact must have (``yes``; ``no`` under ``not``)."""
        out = [(c, "yes") for c in _atoms(self)]
        if self.not_ is not None:
            out += [(c, "no") for c in _atoms(self.not_)]
        return out


def _listed(value) -> list:
    return [] if value is None else list(value) if isinstance(value, list) else [value]


def _atoms(history: History) -> list["HistoryCondition"]:
    out = [HistoryCondition("received", category=c) for c in _listed(history.received)]
    out += [HistoryCondition("shared", event=e) for e in _listed(history.shared)]
    out += [HistoryCondition("decided", event=e) for e in _listed(history.decided)]
    for count in _listed(history.count):
        ((kind, event),) = count.of.items()
        out.append(HistoryCondition("count", event=event, counted=kind, at_least=count.at_least,
                                    window=parse_window(count.within) if count.within else None))
    return out


@dataclass(frozen=True)
class HistoryCondition:
    """One thing that did or did not happen earlier in a case: the meaning of one history fact."""

    kind: Literal["received", "shared", "decided", "count"]
    category: str | None = None
    event: HistoryEvent | None = None
    counted: str | None = None      # for count: shared or decided
    at_least: int = 1
    window: tuple[int, str] | None = None

    def __hash__(self) -> int:
        return hash(self.fact_id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HistoryCondition) and other.fact_id == self.fact_id

    @property
    def fact_id(self) -> str:
        """The history fact's id: ``history.received.<category>``, ``history.shared.<...>``, ..."""
        if self.kind == "received":
            return f"{PREFIX}.received.{self.category}"
        if self.kind == "count":
            window = f".within_p{self.window[0]}{self.window[1].lower()}" if self.window else ""
            return f"{PREFIX}.count.{self.counted}.{self.event._slug()}.at_least_{self.at_least}{window}"
        return f"{PREFIX}.{self.kind}.{self.event._slug()}"

    def describe(self, happened: bool = True) -> str:
        """Plain English: ``the sender already received police intelligence earlier in the case``."""
        if self.kind == "received":
            what = self.category.replace("_", " ").replace(".", " ")
            return (f"the sender already received {what} earlier in the case" if happened else
                    f"the sender has not received {what} earlier in the case")
        if self.kind == "count":
            thing = self.event._words(self.counted == "shared")
            window = f" within {window_words(self.window)}" if self.window else ""
            times = f"at least {self.at_least} time{'s' if self.at_least != 1 else ''}" if happened else \
                f"fewer than {self.at_least} time{'s' if self.at_least != 1 else ''}"
            return f"earlier in the case, {thing} {times}{window}"
        return f"earlier in the case, {self.event._words(self.kind == 'shared', happened)}"

    def question(self) -> str:
        """The history fact's label: the question it answers."""
        if self.kind == "received":
            return f"Has the sender already received {self.category.replace('_', ' ').replace('.', ' ')} in this case?"
        return "Earlier in the case: " + self.describe().replace("earlier in the case, ", "", 1) + "?"

    def references(self) -> list[tuple[tuple, str, str]]:
        """(path inside the condition, value, section) of every name it uses, for validation."""
        if self.kind == "received":
            return [((), self.category, "categories")]
        event = self.event
        out = []
        if event.category:
            out.append((("category",), event.category, "categories"))
        for key, value in (("from", event.from_), ("to", event.to)):
            if value:
                out.append(((key,), value, "partners"))
        if event.at_stage:
            out.append((("at_stage",), event.at_stage, "stages"))
        return out


History.model_rebuild()


def history_conditions(rules) -> dict[str, HistoryCondition]:
    """Every history condition the rules use, by fact id, in the order the rules first use them."""
    out: dict[str, HistoryCondition] = {}
    for rule in rules:
        if getattr(rule, "history", None) is not None:
            for condition, _ in rule.history.conditions():
                out.setdefault(condition.fact_id, condition)
    return out


def history_facts(rules) -> dict:
    """The derived yes/no facts of the rules' history conditions (:class:`~protocolkit.model.entities.Fact`)."""
    from .entities import Fact

    return {fact_id: Fact(id=fact_id, label=condition.question(), values=["no", "yes"],
                          description="Derived from the case's history: a case run works it out from the earlier "
                                      "steps; a single decision is told it (unknown when not told).")
            for fact_id, condition in history_conditions(rules).items()}


def read_history_option(text: str) -> tuple[str, str]:
    """A history fact told on the command line (``decide --history``), as (fact id, value).

    ``received=CATEGORY`` says the sender already holds the category (``received=CATEGORY=no``: it does not);
    any other history fact is given by
    its id (with or without the ``history.`` prefix), alone for ``yes`` or with ``=yes`` / ``=no``.

    Examples
    --------
    >>> read_history_option("received=police.intelligence")
    ('history.received.police.intelligence', 'yes')
    >>> read_history_option("received=police.intelligence=no")
    ('history.received.police.intelligence', 'no')
    >>> read_history_option("shared.to.csc.at.referral=no")
    ('history.shared.to.csc.at.referral', 'no')
    """
    key, sep, value = (part.strip() for part in str(text).partition("="))
    if key == "received" and sep and value:
        category, _, said = value.partition("=")
        if said.strip() not in ("", "yes", "no"):
            raise ValueError(f"cannot read --history {text!r}: write received=CATEGORY, or received=CATEGORY=no")
        return f"{PREFIX}.received.{category.strip()}", said.strip() or "yes"
    if sep and value not in ("yes", "no"):
        raise ValueError(f"cannot read --history {text!r}: write received=CATEGORY, or a history fact's id alone "
                         "(yes) or with =yes or =no, such as --history shared.to.csc.at.referral=no")
    fact = key if key.startswith(PREFIX + ".") else f"{PREFIX}.{key}"
    return fact, value if sep else "yes"
