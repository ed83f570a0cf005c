"""History within a case: the values of history facts, worked out from a case's earlier steps.

A rule's ``history`` conditions are conditions on derived yes/no facts
(:mod:`protocolkit.model.history`). A single decision is told them (unknown when not);
a case run works them out here, step by step, from the decisions of the case's earlier
steps (``docs/semantics.md`` section 15): what each partner received (the knowledge of
section 7), what was shared or decided, by whom, to whom, at which stage and on which date.

This module does not decide anything itself: :func:`decide_in_steps` calls
:func:`~protocolkit.engine.decisions.decide_many` once per step position, with the
history facts of each request filled in.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ImpossibleFactsError, ProtocolValidationError
from ..model import codes
from ..model.entities import Selector
from ..model.history import PREFIX, HistoryCondition, history_conditions, window_words
from ..model.outcomes import SHARING_OUTCOMES


@dataclass(frozen=True)
class Event:
    """One category decision of an earlier step of the case."""

    step: int
    step_id: str
    request: int
    date: dt.date | None
    sender: str
    recipient: str
    category: str
    stage: str
    outcome: str


@dataclass(frozen=True)
class HistoryValue:
    """A history fact's value for one request, and the earlier events that make it so."""

    value: str                     # yes, no or unknown
    evidence: tuple[Event, ...] = ()


def case_conditions(compiled) -> dict[str, HistoryCondition]:
    """The history conditions the protocol's rules use, by fact id."""
    return history_conditions(compiled.protocol.rules)


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the last day of a shorter month).

    Examples
    --------
    >>> months_before(dt.date(2026, 5, 31), 3)
    datetime.date(2026, 2, 28)
    """
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def window_start(day: dt.date, window: tuple[int, str]) -> dt.date:
    """The first day inside a window that ends on ``day`` (both ends count)."""
    number, unit = window
    if unit == "D":
        return day - dt.timedelta(days=number)
    if unit == "W":
        return day - dt.timedelta(weeks=number)
    return months_before(day, number * (12 if unit == "Y" else 1))


class HistoryReader:
    """Answers history conditions over a case's earlier events, with the protocol's hierarchies."""

    def __init__(self, compiled):
        self.vocab = compiled.vocab
        self._partners: dict[str, set[str]] = {}
        self._related: dict[str, set[str]] = {}

    def partners(self, partner: str) -> set[str]:
        if partner not in self._partners:
            self._partners[partner] = self.vocab.partners_in(Selector(partners=[partner])) | {partner}
        return self._partners[partner]

    def related(self, category: str) -> set[str]:
        """The category, the categories within it and those containing it: sharing any of them shares some of it."""
        if category not in self._related:
            self._related[category] = {*self.vocab.category_descendants(category), *self.vocab.category_ancestors(category)}
        return self._related[category]

    def concerns(self, condition: HistoryCondition, kind: str, event: Event) -> bool:
        """Whether an earlier event is one the condition looks for (``kind``: shared or decided)."""
        e = condition.event
        if kind == "shared" and event.outcome not in SHARING_OUTCOMES:
            return False
        if kind == "decided" and event.outcome not in e.outcomes():
            return False
        return ((e.category is None or event.category in self.related(e.category))
                and (e.from_ is None or event.sender in self.partners(e.from_))
                and (e.to is None or event.recipient in self.partners(e.to))
                and (e.at_stage is None or event.stage == e.at_stage))

    def value(self, condition: HistoryCondition, sender: str, date: dt.date | None, events: list[Event]) -> HistoryValue:
        """The value of a history fact for a request from ``sender`` on ``date``, after ``events``."""
        if condition.kind == "received":
            held = set(self.vocab.category_ancestors(condition.category))
            found = tuple(e for e in events if e.outcome in SHARING_OUTCOMES and e.recipient == sender
                          and e.category in held)
            return HistoryValue("yes" if found else "no", found[:1])
        if condition.kind in ("shared", "decided"):
            found = tuple(e for e in events if self.concerns(condition, condition.kind, e))
            return HistoryValue("yes" if found else "no", found[:1])
        matching = [e for e in events if self.concerns(condition, condition.counted, e)]
        by_request: dict[int, Event] = {}
        for e in matching:
            by_request.setdefault(e.request, e)
        requests = list(by_request.values())
        if condition.window is None:
            return HistoryValue("yes" if len(requests) >= condition.at_least else "no",
                                tuple(requests) if len(requests) >= condition.at_least else ())
        if date is None:
            # without the request's date, only "too few in all" is certain
            return HistoryValue("no") if len(requests) < condition.at_least else HistoryValue("unknown")
        start = window_start(date, condition.window)
        inside = [e for e in requests if e.date is not None and start <= e.date <= date]
        undated = [e for e in requests if e.date is None]
        if len(inside) >= condition.at_least:
            return HistoryValue("yes", tuple(inside))
        if len(inside) + len(undated) >= condition.at_least:
            return HistoryValue("unknown")   # an undated earlier step may or may not fall in the window
        return HistoryValue("no", tuple(inside))


def evidence_text(condition: HistoryCondition, value: HistoryValue, labels) -> str:
    """One line saying what earlier in the case made a history fact yes (or no)."""
    def one(e: Event) -> str:
        when = f" on {e.date.isoformat()}" if e.date else ""
        return (f"{labels(e.sender)} -> {labels(e.recipient)}: {e.category.replace('_', ' ').replace('.', ' ')} "
                f"({e.outcome.replace('_', ' ')}) at step '{e.step_id}', {e.stage.replace('_', ' ')}{when}")

    if value.value == "unknown":
        return (f"Not known whether {condition.describe().replace('earlier in the case, ', '', 1)}: an earlier step "
                "has no date, so it cannot be placed in the window.")
    if condition.kind == "received" and value.value == "yes":
        e = value.evidence[0]
        return (f"The sender already received {condition.category.replace('_', ' ').replace('.', ' ')}: "
                f"{labels(e.recipient)} received it from {labels(e.sender)} at {e.stage.replace('_', ' ')} "
                f"(step '{e.step_id}').")
    text = condition.describe(value.value == "yes")
    text = text[0].upper() + text[1:]
    if value.evidence:
        text += ": " + "; ".join(one(e) for e in value.evidence)
    elif condition.kind == "count" and condition.window:
        text += f" (none within {window_words(condition.window)})"
    return text + "."


def decide_in_steps(compiled, frame: pd.DataFrame, meta: list, detail: str) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Decide a case run's requests one step position at a time, filling in their history facts.

    ``frame`` has one row per request (as :func:`~protocolkit.engine.cases.run_cases` builds it) and
    ``meta`` one tuple per row: ``(case, step id, step index, step, request id, request, facts)``. The
    history facts worked out for each request are added to its ``facts`` mapping (so explanations
    see them). Returns the decisions (``request`` numbering the rows of ``frame``) and, per row, the
    lines of evidence for the history facts of the rules that matched it.
    """
    from .decisions import decide_many

    conditions = case_conditions(compiled)
    _refuse_stated_history(meta)
    reader = HistoryReader(compiled)
    labels = _labels(compiled)
    events: dict[str, list[Event]] = {}
    tables, notes = [], {}
    steps = np.array([m[2] for m in meta], dtype=np.int64)
    frame = frame.copy()
    for fact_id in conditions:
        frame[fact_id] = pd.Series([None] * len(frame), dtype=object)
    for s in sorted(set(steps.tolist())):
        rows = np.flatnonzero(steps == s)
        values: dict[int, dict[str, HistoryValue]] = {}
        for row in rows:
            case, _, _, step, _, req, facts = meta[row]
            earlier = events.get(case.id, [])
            values[row] = {f: reader.value(c, req.from_, step.date, earlier) for f, c in conditions.items()}
            for fact_id, value in values[row].items():
                if value.value != "unknown":
                    frame.at[row, fact_id] = value.value
                    facts[fact_id] = value.value
        part = frame.iloc[rows].reset_index(drop=True)
        try:
            table = decide_many(compiled, part, detail=detail)
        except ImpossibleFactsError as exc:
            if exc.row is not None:
                exc.row = int(rows[exc.row])
            raise
        table["request"] = rows[table["request"].to_numpy()]
        tables.append(table)
        for row, group in table.groupby("request", sort=False):
            case, step_id, step_index, step, _, req, _ = meta[row]
            used = set()
            for column in ("rules_matched", "waiting_rules"):
                if column in group:
                    used |= {c.fact for rules in group[column] for r in rules
                             for c in compiled.protocol.rule(r).conditions() if c.fact.startswith(PREFIX + ".")}
            if (group["outcome"].astype(str) == "gap").any() or group["fallback"].notna().any():
                used |= {f for f, v in values[row].items() if v.value == "unknown"}  # it may be why nothing decides
            if used:
                notes[row] = [evidence_text(conditions[f], values[row][f], labels) for f in conditions if f in used]
            for item in group.itertuples(index=False):
                events.setdefault(case.id, []).append(Event(
                    step_index, step_id, int(row), step.date, req.from_, req.to, item.category, step.stage,
                    str(item.outcome)))
    decisions = pd.concat(tables, ignore_index=True) if tables else decide_many(compiled, frame, detail=detail)
    order = np.argsort(decisions["request"].to_numpy(), kind="stable")
    return decisions.iloc[order].reset_index(drop=True), notes


def _labels(compiled):
    vocab = compiled.vocab

    def label(partner: str) -> str:
        entry = vocab.partners.get(partner)
        return getattr(entry, "name", None) or partner

    return label


def _refuse_stated_history(meta: list) -> None:
    """A case never states a history fact: the run works it out from the case's steps."""
    findings, seen = [], set()
    for case, _, s, step, _, req, _ in meta:
        r = next(i for i, x in enumerate(case.steps[s].requests) if x is req)
        places = [(("facts",), case.facts), (("steps", s, "learn"), step.learn),
                  (("steps", s, "requests", r, "facts"), req.facts)]
        for path, facts in places:
            for fact in facts:
                if fact.startswith(PREFIX + ".") and (case.id, path, fact) not in seen:
                    seen.add((case.id, path, fact))
                    file, line, column = case.locate((*path, fact))
                    findings.append(codes.CASE_STRUCTURE.finding(
                        f"case '{case.id}' states the history fact '{fact}', which a case run works out from the "
                        "case's earlier steps", "remove it, and add the earlier step that shares or decides it",
                        file=file, line=line, column=column, key=".".join(map(str, (*path, fact)))))
    if findings:
        raise ProtocolValidationError(findings)
