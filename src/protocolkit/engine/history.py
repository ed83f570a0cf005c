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

    def value(self, condition: HistoryCondition, sender: str, date: dt.date | None,
              events: "list[Event] | CaseLog") -> HistoryValue:
        """The value of a history fact for a request from ``sender`` on ``date``, after ``events``.

        ``events`` is a plain list of the case's earlier events, or a :class:`CaseLog` that keeps
        them indexed (a case run asks once per request, so a plain list would be read again each time).
        """
        log = events if isinstance(events, CaseLog) else CaseLog.of(self, events)
        return log.value(condition, sender, date)

    def _count_value(self, condition: HistoryCondition, requests: list[Event], date: dt.date | None) -> HistoryValue:
        """A count condition's value from the earlier requests it counts (each request's first event)."""
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


class CaseLog:
    """A case's earlier events, indexed as they are added so that each history fact is answered
    without reading the whole case again (a case of many steps stays linear, not quadratic).

    The answers are exactly :meth:`HistoryReader.value`'s over the same list of events: the first
    event found is the earliest in the case's order, and counts see each earlier request once.
    """

    def __init__(self, reader: HistoryReader):
        self.reader = reader
        self.events: list[Event] = []
        self._received: dict[tuple[str, str], tuple[int, Event]] = {}  # (recipient, category) -> first share
        self._first: dict[tuple[HistoryCondition, str], Event | None] = {}  # shared/decided: first event found
        self._seen: dict[tuple[HistoryCondition, str], int] = {}  # how many events a condition's index has read
        self._counted: dict[HistoryCondition, dict[int, Event]] = {}  # count: each request's first event
        self._answers: dict[tuple, HistoryValue] = {}  # count answers, until the next event is added

    @classmethod
    def of(cls, reader: HistoryReader, events: list[Event]) -> "CaseLog":
        log = cls(reader)
        for event in events:
            log.add(event)
        return log

    def add(self, event: Event) -> None:
        if event.outcome in SHARING_OUTCOMES:
            self._received.setdefault((event.recipient, event.category), (len(self.events), event))
        self.events.append(event)
        self._answers.clear()

    def _catch_up(self, condition: HistoryCondition, kind: str) -> None:
        """Read the events added since this condition was last asked about."""
        key = (condition, kind)
        seen = self._seen.get(key, 0)
        if kind == "counted":
            counted = self._counted.setdefault(condition, {})
            for event in self.events[seen:]:
                if self.reader.concerns(condition, condition.counted, event):
                    counted.setdefault(event.request, event)
        elif self._first.get(key) is None:
            for event in self.events[seen:]:
                if self.reader.concerns(condition, kind, event):
                    self._first[key] = event
                    break
        self._seen[key] = len(self.events)

    def value(self, condition: HistoryCondition, sender: str, date: dt.date | None) -> HistoryValue:
        if condition.kind == "received":
            held = self.reader.vocab.category_ancestors(condition.category)
            found = [self._received[(sender, c)] for c in held if (sender, c) in self._received]
            return HistoryValue("yes", (min(found, key=lambda pair: pair[0])[1],)) if found else HistoryValue("no")
        if condition.kind in ("shared", "decided"):
            self._catch_up(condition, condition.kind)
            first = self._first.get((condition, condition.kind))
            return HistoryValue("yes", (first,)) if first is not None else HistoryValue("no")
        key = (condition, date)
        if key not in self._answers:
            self._catch_up(condition, "counted")
            self._answers[key] = self.reader._count_value(condition, list(self._counted[condition].values()), date)
        return self._answers[key]


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


def decide_in_steps(compiled, cases: list, steps, detail: str) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Decide a case run's requests one step position at a time, filling in their history facts.

    ``steps`` lists every request of the cases in order (``requests``, ``case_at``, ``step_at``,
    ``step_id``, ``stage``, ``facts``, as :func:`~protocolkit.engine.cases.run_cases` builds it). The
    history facts worked out for each request are added to its ``facts`` mapping (so explanations
    see them). Returns the decisions (``request`` numbering the requests, in order) and, per request,
    the lines of evidence for the history facts of the rules that matched it or waited on them.
    """
    from .decisions import decide_many

    conditions = case_conditions(compiled)
    _refuse_stated_history(cases, steps)
    reader = HistoryReader(compiled)
    labels = _labels(compiled)
    events: dict[int, CaseLog] = {}
    tables, notes = [], {}
    position = np.array(steps.step_at, dtype=np.int64)
    frame = steps.frame()
    for fact_id in conditions:
        frame[fact_id] = pd.Series([None] * len(frame), dtype=object)
    columns = {fact_id: frame.columns.get_loc(fact_id) for fact_id in conditions}
    facts_of_rule: dict[str, set[str]] = {}

    def history_facts(rule_id: str) -> set[str]:
        """The history facts a rule's conditions name (worked out once per rule)."""
        found = facts_of_rule.get(rule_id)
        if found is None:
            found = facts_of_rule[rule_id] = {c.fact for c in compiled.protocol.rule(rule_id).conditions()
                                              if c.fact.startswith(PREFIX + ".")}
        return found

    for s in sorted(set(position.tolist())):
        rows = np.flatnonzero(position == s)
        values: dict[int, dict[str, HistoryValue]] = {}
        for row in rows:
            case, req = cases[steps.case_at[row]], steps.requests[row]
            date = case.steps[s].date
            earlier = events.setdefault(steps.case_at[row], CaseLog(reader))
            values[row] = {f: reader.value(c, req.from_, date, earlier) for f, c in conditions.items()}
            for fact_id, value in values[row].items():
                if value.value != "unknown":
                    frame.iat[row, columns[fact_id]] = value.value
                    steps.facts[row][fact_id] = value.value
        part = frame.iloc[rows].reset_index(drop=True)
        try:
            table = decide_many(compiled, part, detail=detail)
        except ImpossibleFactsError as exc:
            if exc.row is not None:
                exc.row = int(rows[exc.row])
            raise
        table["request"] = rows[table["request"].to_numpy()]
        tables.append(table)
        # each request's rows, in first-seen order (as groupby(sort=False) gives them), read as plain lists
        requests = table["request"].tolist()
        categories = table["category"].tolist()
        outcomes = [str(o) for o in table["outcome"].tolist()]
        has_fallback = table["fallback"].notna().tolist()
        rule_lists = [table[column].tolist() for column in ("rules_matched", "waiting_rules") if column in table]
        grouped: dict[int, list[int]] = {}
        for position_in_table, row in enumerate(requests):
            grouped.setdefault(row, []).append(position_in_table)
        for row, members in grouped.items():
            case, req = cases[steps.case_at[row]], steps.requests[row]
            used = set()
            for lists in rule_lists:
                for k in members:
                    for r in lists[k]:
                        used |= history_facts(r)
            if any(outcomes[k] == "gap" or has_fallback[k] for k in members):
                used |= {f for f, v in values[row].items() if v.value == "unknown"}  # it may be why nothing decides
            if used:
                notes[int(row)] = [evidence_text(conditions[f], values[row][f], labels) for f in conditions if f in used]
            log = events.setdefault(steps.case_at[row], CaseLog(reader))
            for k in members:
                log.add(Event(s, steps.step_id[row], int(row), case.steps[s].date, req.from_, req.to, categories[k],
                              steps.stage[row], outcomes[k]))
    if not tables:
        return decide_many(compiled, frame, detail=detail), notes
    dtype = tables[0]["outcome"].dtype
    decisions = pd.concat(tables, ignore_index=True)
    decisions["outcome"] = decisions["outcome"].astype(dtype)
    order = np.argsort(decisions["request"].to_numpy(), kind="stable")
    return decisions.iloc[order].reset_index(drop=True), notes


def add_history_notes(expectations: pd.DataFrame, steps, notes: dict[int, list[str]]) -> pd.DataFrame:
    """Append to each expectation's explanation what earlier in the case settled its history facts."""
    if not notes or not len(expectations) or not expectations["explanation"].map(bool).any():
        return expectations
    expecting = [i for i, req in enumerate(steps.requests) if req.expect is not None]
    texts = expectations["explanation"].tolist()
    for k, i in enumerate(expecting):
        if i in notes:
            texts[k] += "\nEarlier in this case: " + " ".join(notes[i])
    expectations["explanation"] = pd.Series(texts, dtype=object, index=expectations.index)
    return expectations


def _labels(compiled):
    vocab = compiled.vocab

    def label(partner: str) -> str:
        entry = vocab.partners.get(partner)
        return getattr(entry, "name", None) or partner

    return label


def _refuse_stated_history(cases: list, steps) -> None:
    """A case never states a history fact: the run works it out from the case's steps."""
    findings, seen = [], set()
    for c, case in enumerate(cases):
        places = [(("facts",), case.facts)]
        for s, step in enumerate(case.steps):
            places.append((("steps", s, "learn"), step.learn))
            places += [(("steps", s, "requests", r, "facts"), req.facts) for r, req in enumerate(step.requests)]
        for path, facts in places:
            for fact in facts:
                if fact.startswith(PREFIX + ".") and (c, path, fact) not in seen:
                    seen.add((c, path, fact))
                    file, line, column = case.locate((*path, fact))
                    findings.append(codes.CASE_STRUCTURE.finding(
                        f"case '{case.id}' states the history fact '{fact}', which a case run works out from the "
                        "case's earlier steps", "remove it, and add the earlier step that shares or decides it",
                        file=file, line=line, column=column, key=".".join(map(str, (*path, fact)))))
    if findings:
        raise ProtocolValidationError(findings)
