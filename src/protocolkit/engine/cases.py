"""Running sample cases: every request of every step, decided in one batch and checked.

:func:`run_cases` returns a :class:`CaseResults` whose tables answer the
workshop's questions: did each expectation hold (and why not), which rules were
exercised, who knows what about the family after each step, where the protocol
over- or under-shares at each stage, and which gaps the cases hit.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Iterable
from xml.etree import ElementTree as ET

import numpy as np
import pandas as pd

from ..errors import Finding, ImpossibleFactsError, ProtocolError, ProtocolValidationError, UnknownValueError
from ..model import codes
from ..model.deadlines import TIMINGS
from ..model.cases import Case
from ..model.keys import UNKNOWN
from ..model.protocol import Protocol
from ..model.outcomes import GAP, SUMMARY_ORDER
from ..model.rules import SHARING_OUTCOMES
from .compiled import CompiledProtocol
from .decisions import CategoryDecision, Decision, _union, as_compiled, decide_many
from .explain import explain_request
from .cases_words import Phrasebook, problem_sentences, shared_mode
from .history import add_history_notes, case_conditions, decide_in_steps
from .requests import Request, check_about, check_value, encode_facts

REQUEST_COLUMNS = [
    "case", "step", "step_index", "stage", "request", "from", "to", "categories", "purpose", "requester",
    "requested_by", "about", "facts", "history",
]
EXPECTATION_COLUMNS = [
    "case", "step", "step_index", "stage", "request", "from", "to", "categories", "purpose", "facts",
    "expected", "actual", "passed", "problems", "rule", "rules_matched", "obligations", "explanation", "note",
    "in_words",
]


@dataclass
class CaseResults:
    """Everything a case run found, as tables.

    Attributes
    ----------
    expectations : DataFrame
        One row per expectation (:data:`EXPECTATION_COLUMNS`): expected and actual outcome,
        ``passed``, the ``problems`` found, deciding rule and explanation.
    decisions : DataFrame
        One row per request and category of every step (expected or not), with ``case``,
        ``step``, ``step_index`` and the columns of :func:`~protocolkit.engine.decide_many`.
    coverage : DataFrame
        One row per rule: ``rule``, ``outcome``, ``decided`` (times it was a deciding rule),
        ``matched`` (times it matched), ``exercised`` (decided at least once).
    knowledge : DataFrame
        One row per case, step and (partner, category) the partner holds after that step,
        cumulatively: ``case``, ``step``, ``step_index``, ``stage``, ``partner``, ``category``,
        ``since_step``, ``since_stage``, ``new``.
    requests : DataFrame
        One row per request of every step, in order (:data:`REQUEST_COLUMNS`), as the run decided
        it: its ``facts`` include the history facts worked out from the case's earlier steps
        (``docs/semantics.md`` section 15), ``history`` the sentences saying what earlier in the
        case settled them. :meth:`requests_at` gives them as :class:`~protocolkit.engine.Request`.
    """

    expectations: pd.DataFrame
    decisions: pd.DataFrame
    coverage: pd.DataFrame
    knowledge: pd.DataFrame
    stage_order: list[str] = field(default_factory=list)
    requests: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REQUEST_COLUMNS))
    _marks_of: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def requests_at(self, case: str, step_index: int) -> list[Request]:
        """The requests of one step of a case, with the facts the run decided them on.

        Deciding one of them with :func:`~protocolkit.engine.decide` gives the decision the
        case run made, history within the case included.

        Examples
        --------
        >>> import protocolkit
        >>> p = protocolkit.load(protocolkit.example_path("mash"))
        >>> cases = [c for c in protocolkit.load_cases(protocolkit.example_path("mash"))
        ...          if c.id == "mash_forwards_what_it_received"]
        >>> request = protocolkit.run_cases(p, cases, explain=False).requests_at(cases[0].id, 2)[0]
        >>> request.facts["history.received.criminal.domestic_abuse_incidents"]
        'yes'
        >>> protocolkit.decide(p, request).outcome
        'share_minimum'
        """
        rows = self.requests[(self.requests["case"] == case) & (self.requests["step_index"] == step_index)]
        def given(value):
            return value if isinstance(value, str) else None

        return [Request(r["from"], r["to"], tuple(r["categories"]), r["stage"], r["purpose"], dict(r["facts"]),
                        given(r["requester"]), given(r["requested_by"]), given(r["about"]))
                for r in rows.to_dict("records")]

    @property
    def passed(self) -> int:
        """Number of expectations that held."""
        return int(self.expectations["passed"].sum())

    @property
    def failed(self) -> int:
        """Number of expectations that did not hold."""
        return int((~self.expectations["passed"].astype(bool)).sum())

    @property
    def ok(self) -> bool:
        """True when every expectation held."""
        return self.failed == 0

    @property
    def failures(self) -> pd.DataFrame:
        """The expectations that did not hold."""
        return self.expectations[~self.expectations["passed"].astype(bool)]

    @property
    def rules_never_exercised(self) -> list[str]:
        """Rules no case made decide anything."""
        return self.coverage.loc[~self.coverage["exercised"], "rule"].tolist()

    def _marks(self) -> dict[str, np.ndarray]:
        """Per decision row: ``shared``, ``over``, ``under`` and ``gap`` (no rule matched), worked out once.

        Kept with the decisions table they were read from, so a results object whose table was
        replaced never reads stale marks.
        """
        d = self.decisions
        held = self._marks_of
        if held is not None and held[0] is d and held[1] == len(d):
            return held[2]
        outcome = d["outcome"]
        if isinstance(outcome.dtype, pd.CategoricalDtype):
            sharing = np.isin(np.asarray(outcome.cat.categories, dtype=object), list(SHARING_OUTCOMES))
            codes = outcome.cat.codes.to_numpy()
            shared = np.append(sharing, False)[codes]  # code -1 (no outcome) is not shared
        else:
            shared = outcome.isin(SHARING_OUTCOMES).to_numpy(dtype=bool)
        need = d["need_to_know"].to_numpy(dtype=object)
        marks = {
            "shared": shared,
            "over": shared & (need == "not_needed"),
            "under": ~shared & (need == "needed"),
            "gap": np.fromiter((not m for m in d["rules_matched"]), dtype=bool, count=len(d)),
        }
        self._marks_of = (d, len(d), marks)
        return marks

    @property
    def over_sharing(self) -> pd.DataFrame:
        """Decisions that share a category the recipient's need-to-know profile does not list."""
        return self.decisions[self._marks()["over"]]

    @property
    def under_sharing(self) -> pd.DataFrame:
        """Decisions that withhold a category the recipient's profile says it needs."""
        return self.decisions[self._marks()["under"]]

    @property
    def gaps(self) -> pd.DataFrame:
        """Decisions no rule covered, including those a fallback then decided (its ``fallback`` column says which)."""
        return self.decisions[self._marks()["gap"]]

    def sharing_by_stage(self) -> pd.DataFrame:
        """Per stage: categories requested, shared, over-shared, under-shared and gaps."""
        d, marks = self.decisions, self._marks()
        order = list(self.stage_order)
        at = pd.Index(order, dtype=object).get_indexer(d["stage"].to_numpy(dtype=object))
        known, n = at >= 0, len(order)  # a stage the order does not list is not counted
        counts = {"requested": np.bincount(at[known], minlength=n)}
        for column, mark in (("shared", "shared"), ("over_shared", "over"), ("under_shared", "under"),
                             ("gaps", "gap")):
            counts[column] = np.bincount(at[known], weights=marks[mark][known], minlength=n)
        table = pd.DataFrame(counts, index=pd.Index(order, name="stage", dtype="str")).astype(np.int64)
        return table[table["requested"] > 0]

    def knowledge_at(self, case: str, step: str | None = None) -> pd.DataFrame:
        """Partners by categories after a step (default: the last): the stage each was first received."""
        k = self.knowledge[self.knowledge["case"] == case]
        if k.empty:
            return pd.DataFrame()
        step_index = k["step_index"].max() if step is None else int(k.loc[k["step"] == step, "step_index"].max())
        at = k[k["step_index"] == step_index]
        return at.pivot(index="partner", columns="category", values="since_stage").fillna("")

    def summary(self) -> dict:
        """Counts for a report or a badge."""
        return {
            "cases": int(self.expectations["case"].nunique()) if len(self.expectations) else 0,
            "expectations": int(len(self.expectations)),
            "passed": self.passed,
            "failed": self.failed,
            "rules": int(len(self.coverage)),
            "rules_exercised": int(self.coverage["exercised"].sum()),
            # counted from the marks, without copying the rows out of the decisions table
            **{name: int(self._marks()[mark].sum()) if len(self.decisions) else 0
               for name, mark in (("gaps", "gap"), ("over_shared", "over"), ("under_shared", "under"))},
        }

    def to_json(self) -> dict:
        """Plain data for ``protocolkit test --json``."""
        def records(frame: pd.DataFrame) -> list[dict]:
            return json.loads(frame.to_json(orient="records", default_handler=str))

        return {
            "summary": self.summary(),
            "expectations": records(self.expectations),
            "coverage": records(self.coverage),
            "rules_never_exercised": self.rules_never_exercised,
            "sharing_by_stage": records(self.sharing_by_stage().reset_index()),
            "over_sharing": records(self.over_sharing[["case", "step", "from", "to", "category", "stage", "outcome", "rule"]]),
            "under_sharing": records(self.under_sharing[["case", "step", "from", "to", "category", "stage", "outcome", "rule"]]),
            "gaps": records(self.gaps[["case", "step", "from", "to", "category", "stage", "purpose", "outcome",
                                       "fallback"]]),
        }

    def to_junit(self, path: str | Path, name: str = "protocolkit", guarantees=None) -> None:
        """Write JUnit XML: a test suite per case, a test case per expectation; guarantees as one more suite."""
        extra = guarantees.results if guarantees is not None else []
        suites = ET.Element("testsuites", name=name, tests=str(len(self.expectations) + len(extra)),
                            failures=str(self.failed + sum(not r.proven for r in extra)))
        for case, rows in self.expectations.groupby("case", sort=False):
            suite = ET.SubElement(suites, "testsuite", name=str(case), tests=str(len(rows)),
                                  failures=str(int((~rows["passed"].astype(bool)).sum())))
            for row in rows.itertuples(index=False):
                test = ET.SubElement(suite, "testcase", classname=f"{case}.{row.step}", name=str(row.request))
                if not row.passed:
                    failure = ET.SubElement(test, "failure", message="; ".join(row.problems))
                    failure.text = row.explanation
        if extra:
            suite = ET.SubElement(suites, "testsuite", name="guarantees", tests=str(len(extra)),
                                  failures=str(sum(not r.proven for r in extra)))
            for result in extra:
                test = ET.SubElement(suite, "testcase", classname="guarantees", name=result.guarantee.id)
                if not result.proven:
                    failure = ET.SubElement(test, "failure", message=result.guarantee.statement)
                    failure.text = result.explanation
        tree = ET.ElementTree(suites)
        ET.indent(tree)
        tree.write(path, encoding="utf-8", xml_declaration=True)


def check_case_references(compiled: CompiledProtocol, cases: Iterable[Case]) -> None:
    """Raise one error listing every partner, category, stage, purpose or fact a case names that the protocol lacks."""
    findings = []

    def check(case: Case, path: tuple, action) -> None:
        try:
            action()
        except UnknownValueError as exc:
            file, line, column = case.locate(path)
            hint = f"did you mean {' or '.join(repr(s) for s in exc.suggestions)}?" if exc.suggestions else \
                "define it in the protocol or correct the name"
            findings.append(codes.CASE_UNKNOWN_REFERENCE.finding(
                f"case '{case.id}': unknown {exc.what} {exc.value!r}", hint,
                file=file, line=line, column=column, key=".".join(map(str, path))))

    for case in cases:
        check(case, ("facts",), lambda: encode_facts(compiled, case.facts))
        for s, step in enumerate(case.steps):
            check(case, ("steps", s, "stage"), lambda: check_value(step.stage, compiled.stages, "stage"))
            check(case, ("steps", s, "learn"), lambda: encode_facts(compiled, step.learn))
            for r, req in enumerate(step.requests):
                where = ("steps", s, "requests", r)
                check(case, (*where, "from"), lambda: check_value(req.from_, compiled.partners, "partner"))
                check(case, (*where, "to"), lambda: check_value(req.to, compiled.partners, "partner"))
                if req.requester is not None:
                    check(case, (*where, "requester"), lambda: check_value(req.requester, compiled.partners, "partner"))
                check(case, (*where, "purpose"), lambda: check_value(req.purpose, compiled.purposes, "purpose"))
                check(case, (*where, "about"), lambda: check_about(compiled, req.about))
                check(case, (*where, "facts"), lambda: encode_facts(compiled, req.facts))
                for c, category in enumerate(req.categories):
                    check(case, (*where, "categories", c), lambda: check_value(category, compiled.categories, "category"))
                if req.expect:
                    for category in req.expect.categories:
                        check(case, (*where, "expect", "categories", category),
                              lambda: check_value(category, compiled.categories, "category"))
                    for kind in (*req.expect.obligations, *req.expect.absent_obligations, *req.expect.after_disclosure):
                        check(case, (*where, "expect"), lambda: _check_obligation_type(compiled, kind))
    if findings:
        raise ProtocolValidationError(findings)


def _check_expectation_references(compiled: CompiledProtocol, cases: list[Case]) -> None:
    """The references that deciding does not check itself: expected categories and obligation types."""
    known_categories, known_obligations = compiled.categories.index, compiled.vocab.obligation_types
    expects = [req.expect for case in cases for step in case.steps for req in step.requests if req.expect is not None]
    categories = {c for e in expects if e.categories for c in e.categories}
    obligations = {o for e in expects if e.obligations or e.absent_obligations or e.after_disclosure
                   for o in (*e.obligations, *e.absent_obligations, *e.after_disclosure)}
    if all(c in known_categories for c in categories) and all(o in known_obligations for o in obligations):
        return
    for case in cases:  # name the first case with an unknown reference, with file and line
        for step in case.steps:
            for req in step.requests:
                expect = req.expect
                if expect is not None and (
                        any(c not in known_categories for c in expect.categories)
                        or any(o not in known_obligations for o in (*expect.obligations, *expect.absent_obligations,
                                                                 *expect.after_disclosure))):
                    check_case_references(compiled, [case])


def _check_obligation_type(compiled: CompiledProtocol, kind: str) -> None:
    known = compiled.vocab.obligation_types
    if kind not in known:
        from difflib import get_close_matches

        raise UnknownValueError("obligation type", kind, get_close_matches(kind, list(known), n=3))


def run_cases(protocol: Protocol | CompiledProtocol, cases: Iterable[Case], *, explain: bool = True) -> CaseResults:
    """Run sample cases against a protocol.

    Parameters
    ----------
    protocol : Protocol or CompiledProtocol
    cases : iterable of Case
        From :func:`protocolkit.load_cases`.
    explain : bool
        Explain every decision (the default). With False, nothing is explained (the
        ``explanation`` columns are empty or absent) and everything else is the same: the fast
        form for re-running every case on each edit in a workshop, where the one decision a
        person looks at is explained on demand with :func:`~protocolkit.engine.decide`.

    Returns
    -------
    CaseResults

    Raises
    ------
    ProtocolValidationError
        When a case names something the protocol lacks (every such problem, with file and line).

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> results = protocolkit.run_cases(p, protocolkit.load_cases(protocolkit.example_path("mash")))
    >>> results.failed
    0
    """
    cases = list(cases)
    compiled = as_compiled(protocol)
    protocol = compiled.protocol
    _check_expectation_references(compiled, cases)
    steps = _CaseRequests.of(cases)
    history_notes: dict[int, list[str]] = {}
    try:
        if case_conditions(compiled):  # history within a case: decided step by step (semantics section 15)
            table, history_notes = decide_in_steps(compiled, cases, steps, "full" if explain else "rules")
        else:
            table = decide_many(compiled, steps.frame(), detail="full" if explain else "rules")
    except UnknownValueError:
        check_case_references(compiled, cases)  # says where, in which case file and line
        raise
    except ImpossibleFactsError as exc:
        case, s, req = cases[steps.case_at[exc.row]], steps.step_at[exc.row], steps.requests[exc.row]
        path = ("steps", s, "requests", _request_index(case, s, req))
        file, line, column = case.locate(path)
        raise ProtocolValidationError([codes.CASE_IMPOSSIBLE_FACTS.finding(
            f"case '{case.id}': {str(exc).split(': ', 1)[1]}",
            "correct the case's facts (its starting facts, what earlier steps learn, or the request's own facts)",
            file=file, line=line, column=column, key=".".join(map(str, path)))]) from exc
    labels = pd.DataFrame({"case": [cases[c].id for c in steps.case_at], "step": steps.step_id,
                           "step_index": steps.step_at} if steps.requests else [],
                          columns=["case", "step", "step_index"])
    decisions = table.join(labels, on="request")
    return CaseResults(
        expectations=add_history_notes(_expectations(compiled, cases, steps, decisions, explain), steps, history_notes),
        decisions=decisions,
        coverage=_coverage(protocol, decisions),
        knowledge=_knowledge(cases, decisions),
        stage_order=list(compiled.vocab.stage_ids),
        requests=_request_frame(cases, steps, history_notes),
    )


@dataclass
class _CaseRequests:
    """Every request of every step of some cases, flat, in order: what each is and where it comes from."""

    requests: list = field(default_factory=list)      # the CaseRequest
    case_at: list[int] = field(default_factory=list)  # position of its case
    step_at: list[int] = field(default_factory=list)  # position of its step in the case
    step_id: list[str] = field(default_factory=list)
    stage: list[str] = field(default_factory=list)
    request_id: list[str] = field(default_factory=list)
    facts: list[dict] = field(default_factory=list)   # the facts it is decided on (unknown ones left out)

    @classmethod
    def of(cls, cases: list[Case]) -> "_CaseRequests":
        out = cls()
        for c, case in enumerate(cases):
            facts = dict(case.facts)
            for s, (step, step_id) in enumerate(zip(case.steps, case.step_ids())):
                facts.update(step.learn)
                requests = step.requests
                if not requests:
                    continue
                n = len(requests)
                known = {k: v for k, v in facts.items() if v != UNKNOWN}
                out.requests += requests
                out.case_at += [c] * n
                out.step_at += [s] * n
                out.step_id += [step_id] * n
                out.stage += [step.stage] * n
                out.request_id += [req.id or f"request_{r + 1}" for r, req in enumerate(requests)]
                out.facts += [{k: v for k, v in {**facts, **req.facts}.items() if v != UNKNOWN} if req.facts
                              else dict(known) for req in requests]
        return out

    def frame(self) -> pd.DataFrame:
        """The requests as a table for :func:`~protocolkit.engine.decide_many`: one column per fact."""
        requests = self.requests
        names = dict.fromkeys(name for facts in self.facts for name in facts)  # in order of first mention
        return pd.DataFrame({
            "from": [r.from_ for r in requests], "to": [r.to for r in requests],
            "categories": [list(r.categories) for r in requests], "stage": self.stage,
            "purpose": [r.purpose for r in requests], "requester": [r.requester for r in requests],
            "requested_by": [r.requested_by for r in requests],
            "about": [r.about for r in requests],
            **{name: pd.Series([facts.get(name) for facts in self.facts], dtype=object) for name in names},
        })


def _request_frame(cases: list[Case], steps: _CaseRequests, notes: dict[int, list[str]]) -> pd.DataFrame:
    """Every request of the run as decided (:data:`REQUEST_COLUMNS`), history facts included."""
    requests = steps.requests
    return pd.DataFrame({
        "case": [cases[c].id for c in steps.case_at], "step": steps.step_id, "step_index": steps.step_at,
        "stage": steps.stage, "request": steps.request_id,
        "from": [r.from_ for r in requests], "to": [r.to for r in requests],
        "categories": [list(r.categories) for r in requests], "purpose": [r.purpose for r in requests],
        # kept as objects: None stays None (a text column would turn it into NaN)
        "requester": pd.Series([r.requester for r in requests], dtype=object),
        "requested_by": pd.Series([r.requested_by for r in requests], dtype=object),
        "about": pd.Series([r.about for r in requests], dtype=object), "facts": steps.facts,
        "history": [notes.get(i, []) for i in range(len(requests))],
    }, columns=REQUEST_COLUMNS)


def _request_index(case: Case, step: int, request) -> int:
    """The position of a request in its step."""
    return next(i for i, r in enumerate(case.steps[step].requests) if r is request)


def _category_decisions(decisions: pd.DataFrame, rows: Iterable[int]) -> list[CategoryDecision]:
    """Some rows of the decisions table read back as category decisions."""
    names = [f for f in CategoryDecision.__dataclass_fields__ if f != "explanation"]
    rows = list(rows)
    columns = {name: decisions[name].to_numpy()[rows].tolist() for name in names}
    columns["outcome"] = decisions["outcome"].astype(str).to_numpy()[rows].tolist()
    columns["need_to_know"] = decisions["need_to_know"].astype(str).to_numpy()[rows].tolist()
    texts = decisions["explanation"].to_numpy()[rows].tolist() if "explanation" in decisions.columns else None
    out = []
    for i in range(len(rows)):
        values = {name: columns[name][i] for name in names}
        for name in ("rule", "minimum", "escalate_to", "fallback", "fallback_reason", "sharing", "decided_by"):  # pandas may give NaN for None
            values[name] = values[name] if isinstance(values[name], str) else None
        out.append(CategoryDecision(**values, explanation=texts[i] if texts else ""))
    return out


class _RequestDecision:
    """What the expectation checks read of one request's decision: its rows ``start:stop`` of the
    decisions table (as lists), summarised as :class:`~protocolkit.engine.Decision` does, read when asked."""

    __slots__ = ("outcome", "rule", "regime", "_start", "_stop", "_columns")

    def __init__(self, outcome: str, rule: str | None, regime: str, start: int, stop: int, columns: dict):
        self.outcome, self.rule, self.regime = outcome, rule, regime
        self._start, self._stop, self._columns = start, stop, columns

    def _values(self, name: str) -> list:
        return self._columns[name][self._start:self._stop]

    @property
    def fallbacks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f for f in self._values("fallback") if isinstance(f, str) and f))

    @property
    def escalations(self) -> list[str]:
        return [e for e in self._values("escalate_to") if isinstance(e, str) and e]

    @property
    def by_category(self) -> dict:
        rules = [r if isinstance(r, str) else None for r in self._values("rule")]
        return {c: (o, r) for c, o, r in zip(self._values("category"), self._values("outcome"), rules)}

    @property
    def obligations(self) -> tuple[str, ...]:
        return _union(o for o, outcome in zip(self._values("obligations"), self._values("outcome")) if outcome != GAP)

    @property
    def rules_matched(self) -> tuple[str, ...]:
        return _union(self._values("rules_matched"))

    @property
    def sharing_modes(self) -> list[tuple[str, str | None]]:
        """(mode, decided_by) of each category that is shared (read only when an expectation asks)."""
        return [(m, d if isinstance(d, str) else None)
                for m, d in zip(self._values("sharing"), self._values("decided_by")) if isinstance(m, str) and m]


def _expectations(compiled: CompiledProtocol, cases: list[Case], steps: _CaseRequests, decisions: pd.DataFrame,
                  explain: bool) -> pd.DataFrame:
    """One row per expectation: what was expected, what was decided, and the problems found.

    The decisions are summarised per request in bulk (the overall outcome is the most
    protective of its categories, its rule that of the first category with that outcome);
    only a request's own expectations are checked one by one.
    """
    expecting = [i for i, req in enumerate(steps.requests) if req.expect is not None]
    if not expecting:
        return _expectation_frame({name: [] for name in EXPECTATION_COLUMNS})
    request_of_row = decisions["request"].to_numpy()
    starts = np.searchsorted(request_of_row, np.arange(len(steps.requests)))
    stops = np.append(starts[1:], len(request_of_row))
    outcome_names = list(decisions["outcome"].cat.categories)
    rank = np.array([SUMMARY_ORDER.index(o) for o in outcome_names], dtype=np.int64)[
        decisions["outcome"].cat.codes.to_numpy()]
    overall = np.minimum.reduceat(rank, starts)
    # the first row of each request whose outcome is the request's overall outcome
    at_overall = np.where(rank == overall[request_of_row], np.arange(len(rank)), len(rank))
    deciding_row = np.minimum.reduceat(at_overall, starts)
    columns = {name: decisions[name].tolist()
               for name in ("rule", "regime", "rules_matched", "obligations", "category", "fallback", "escalate_to")}
    columns["outcome"] = [outcome_names[c] for c in decisions["outcome"].cat.codes.tolist()]
    if any(steps.requests[i].expect.sharing is not None or steps.requests[i].expect.decided_by is not None
           for i in expecting):   # the sharing mode (docs/semantics.md section 7), read only when a case asks
        columns["sharing"], columns["decided_by"] = decisions["sharing"].tolist(), decisions["decided_by"].tolist()
    summary = [SUMMARY_ORDER[r] for r in overall.tolist()]
    first_row, last_row, decider = starts.tolist(), stops.tolist(), deciding_row.tolist()
    rule_column, regime_column = columns["rule"], columns["regime"]
    matched_column, obligations_column, outcome_column = columns["rules_matched"], columns["obligations"], \
        columns["outcome"]
    requests = [steps.requests[i] for i in expecting]
    rules = [rule_column[decider[i]] for i in expecting]
    rules = [r if isinstance(r, str) else None for r in rules]
    # the first fallback that decided a category of each request (a problem's words name it)
    fallback_values = decisions["fallback"].to_numpy(dtype=object)
    by_fallback = np.where(pd.notna(fallback_values) & (fallback_values != ""), np.arange(len(rank)), len(rank))
    first_fallback = np.append(fallback_values, None)[np.minimum.reduceat(by_fallback, starts)].tolist()
    matched, obligations, problems, expected = [], [], [], []
    texts: dict = {}   # expected outcomes, as text, per distinct expectation of outcomes
    found: dict = {}   # problems, per distinct expectation of outcomes and decision that settles it
    for i, req, rule in zip(expecting, requests, rules):
        start, stop = first_row[i], last_row[i]
        if stop - start == 1:
            matched.append(list(matched_column[start]))
            held = list(obligations_column[start]) if outcome_column[start] != GAP else []
        else:
            matched.append(list(_union(matched_column[start:stop])))
            held = list(_union(o for o, outcome in zip(obligations_column[start:stop], outcome_column[start:stop])
                               if outcome != GAP))
        obligations.append(held)
        expect = req.expect
        outcome = expect.outcome
        outcomes = (outcome if outcome is None or isinstance(outcome, str) else tuple(outcome), tuple(expect.not_))
        text = texts.get(outcomes)
        if text is None:
            text = texts[outcomes] = _expected_text(expect)
        expected.append(text)
        if (expect.escalate_to is None and expect.regime is None and expect.fallback is None
                and not expect.categories and not expect.obligations and not expect.absent_obligations
                and not expect.after_disclosure and expect.sharing is None and expect.decided_by is None):
            # only outcomes are expected: the problems follow from the outcome, the rule and the fallback
            key = (outcomes, summary[i], rule, first_fallback[i])
            said = found.get(key)
            if said is None:
                said = found[key] = tuple(_problems(expect, _RequestDecision(
                    summary[i], rule, regime_column[start], start, stop, columns)))
            problems.append(list(said))
        else:
            problems.append(_problems(expect, _RequestDecision(summary[i], rule, regime_column[start], start, stop,
                                                               columns), held))
    # what does not hold, in sentences for people (plain words first, ids after): failures only
    book = Phrasebook(compiled.vocab, compiled.source if compiled.source is not None else compiled.protocol)
    in_words = [[] if not said else problem_sentences(
        book, book.protocol, sender=req.from_,
        recipient=req.to, categories=req.categories, stage=steps.stage[i], purpose=req.purpose, expect=req.expect,
        decision=_RequestDecision(summary[i], rule, regime_column[first_row[i]], first_row[i], last_row[i], columns),
        obligations=held) for i, req, rule, said, held in zip(expecting, requests, rules, problems, obligations)]
    case_ids = [case.id for case in cases]
    out = {
        "case": [case_ids[steps.case_at[i]] for i in expecting],
        "step": [steps.step_id[i] for i in expecting],
        "step_index": [steps.step_at[i] for i in expecting],
        "stage": [steps.stage[i] for i in expecting],
        "request": [steps.request_id[i] for i in expecting],
        "from": [req.from_ for req in requests],
        "to": [req.to for req in requests],
        "categories": [list(req.categories) for req in requests],
        "purpose": [req.purpose for req in requests],
        "facts": [steps.facts[i] for i in expecting],
        "expected": expected,
        "actual": [summary[i] for i in expecting],
        "passed": [not p for p in problems],
        "problems": problems,
        "rule": rules,
        "rules_matched": matched,
        "obligations": obligations,
        "note": [req.note for req in requests],
        "in_words": in_words,
    }
    if explain:
        # explanations are words for people; the fast form leaves them to decide(), on demand
        out["explanation"] = [_explain(compiled, steps, decisions, i, first_row[i], last_row[i], summary[i])
                              for i in expecting]
    else:
        out["explanation"] = [""] * len(expecting)
    return _expectation_frame(out)


def _expectation_frame(columns: dict[str, list]) -> pd.DataFrame:
    if columns["case"]:
        frame = pd.DataFrame({name: columns[name] for name in EXPECTATION_COLUMNS}, columns=EXPECTATION_COLUMNS)
    else:
        frame = pd.DataFrame([], columns=EXPECTATION_COLUMNS)
    frame = frame.astype({"passed": bool})
    for column in ("rule", "note"):  # keep None as None: pandas would turn it into NaN in a text column
        frame[column] = pd.Series(columns[column], dtype=object, index=frame.index)
    return frame


def _explain(compiled: CompiledProtocol, steps: _CaseRequests, decisions: pd.DataFrame, i: int, start: int, stop: int,
             overall: str) -> str:
    """The plain-English explanation of request ``i`` of a case run."""
    req = steps.requests[i]
    request = Request(req.from_, req.to, tuple(req.categories), steps.stage[i], req.purpose, steps.facts[i],
                      req.requester, req.requested_by, req.about)
    return explain_request(compiled, request, tuple(_category_decisions(decisions, range(start, stop))), overall)


def _expected_text(expect) -> str:
    """An expectation's outcomes as one line for tables: ``share or share_minimum``, ``not share``."""
    parts = [" or ".join(expect.outcomes())] if expect.outcomes() else []
    if expect.not_:
        parts.append("not " + " or ".join(expect.not_))
    return "; ".join(parts) or "as listed per category"


def _problems(expect, decision: Decision | _RequestDecision, obligations: Iterable[str] | None = None) -> list[str]:
    """What does not hold of an expectation, in words (empty when it holds)."""
    problems = []
    by = None
    wanted = expect.outcomes()
    if wanted and decision.outcome not in wanted:
        by = _decided_by(decision)
        problems.append(f"expected {' or '.join(wanted)}, got {decision.outcome}{by}")
    if decision.outcome in expect.not_:
        by = by or _decided_by(decision)
        problems.append(f"expected anything but {' or '.join(expect.not_)}, got {decision.outcome}{by}")
    if expect.escalate_to is not None:
        roles = decision.escalations if isinstance(decision, _RequestDecision) else \
            [c.escalate_to for c in decision.categories if c.escalate_to]
        if expect.escalate_to not in roles:
            problems.append(f"expected escalation to {expect.escalate_to}, got "
                            + (", ".join(dict.fromkeys(roles)) if roles else "no escalation"))
    if expect.regime is not None and decision.regime != expect.regime:
        problems.append(f"expected the {expect.regime} regime, got {decision.regime}")
    if expect.fallback is not None:
        used = decision.fallbacks
        if expect.fallback is True and not used:
            problems.append("expected a fallback to decide, but rules decided")
        elif expect.fallback is False and used:
            problems.append(f"expected the rules to decide, but fallback {used[0]} decided")
        elif isinstance(expect.fallback, str) and expect.fallback not in used:
            problems.append(f"expected fallback {expect.fallback} to decide, got "
                            + (f"fallback {used[0]}" if used else "a decision by the rules"))
    if expect.sharing is not None or expect.decided_by is not None:
        problems += _sharing_problems(expect, decision)
    if expect.categories:
        by_category = decision.by_category if isinstance(decision, _RequestDecision) else \
            {c.category: (c.outcome, c.rule) for c in decision.categories}
        for category, outcome in expect.categories.items():
            actual = by_category.get(category)
            if actual is None:
                problems.append(f"{category} was expected to be {outcome} but is not in the request")
            elif actual[0] != outcome:
                problems.append(f"{category}: expected {outcome}, got {actual[0]}"
                                + (f" (decided by {actual[1]})" if actual[1] else ""))
    if expect.obligations or expect.absent_obligations:
        present = {o.partition(": ")[0] for o in (decision.obligations if obligations is None else obligations)}
        missing = [o for o in expect.obligations if o not in present]
        if missing:
            problems.append(f"missing obligation{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
        unwanted = [o for o in expect.absent_obligations if o in present]
        if unwanted:
            problems.append(f"unexpected obligation{'s' if len(unwanted) > 1 else ''}: {', '.join(unwanted)}")
    if expect.after_disclosure:
        listed = decision.obligations if obligations is None else obligations
        present = {o.partition(": ")[0] for o in listed}
        afterwards = {o.partition(": ")[0] for o in listed if TIMINGS["after"] in o.partition(": ")[2]}
        not_after = [o for o in expect.after_disclosure if o not in afterwards]
        if not_after:
            problems.append(f"not done after the disclosure: {', '.join(not_after)}"
                            + (" (present, but not timed after the disclosure)" if set(not_after) & present else ""))
    return problems


_MODE_WORDS = {"required": "a duty to share (sharing: required)", "permitted": "a permission to share (sharing: "
               "permitted)", "discretion": "sharing on someone's judgement (sharing: discretion)"}


def _sharing_problems(expect, decision: Decision | _RequestDecision) -> list[str]:
    """Whether the request is shared as a duty, a permission or on someone's judgement as expected, and on whose
    judgement (:func:`~protocolkit.engine.cases_words.shared_mode`)."""
    mode, judges = shared_mode(decision)
    if mode is None:
        wanted = _MODE_WORDS[expect.sharing] if expect.sharing else f"{expect.decided_by}'s judgement"
        return [f"expected {wanted}, but nothing is shared"]
    problems = []
    if expect.sharing is not None and mode != expect.sharing:
        problems.append(f"expected {_MODE_WORDS[expect.sharing]}, got {_MODE_WORDS[mode]}")
    if expect.decided_by is not None and expect.decided_by not in judges:
        problems.append(f"expected the judgement of {expect.decided_by} to decide, got "
                        + (", ".join(judges) if judges else "nobody's judgement"))
    return problems


def _decided_by(decision) -> str:
    """What decided a request, as the end of a problem: ``(decided by R1)``, ``(fallback F)``, ``(no rule covers it)``."""
    if decision.rule:
        return f" (decided by {decision.rule})"
    fallbacks = decision.fallbacks
    return f" (fallback {fallbacks[0]})" if fallbacks else " (no rule covers it)"


def _coverage(protocol: Protocol, decisions: pd.DataFrame) -> pd.DataFrame:
    decided = Counter(chain.from_iterable(decisions["deciding_rules"])) if len(decisions) else Counter()
    matched = Counter(chain.from_iterable(decisions["rules_matched"])) if len(decisions) else Counter()
    ids = [r.id for r in protocol.rules]
    return pd.DataFrame({
        "rule": ids,
        "outcome": [r.outcome for r in protocol.rules],
        "decided": [decided.get(i, 0) for i in ids],
        "matched": [matched.get(i, 0) for i in ids],
    }).assign(exercised=lambda t: t["decided"] > 0)


KNOWLEDGE_COLUMNS = ["case", "step", "step_index", "stage", "partner", "category", "since_step", "since_stage", "new"]


def _knowledge(cases: list[Case], decisions: pd.DataFrame) -> pd.DataFrame:
    """Who holds what after each step, cumulatively: every (partner, category) a sharing decision sent,
    from the step it was first received, repeated at every later step of its case."""
    if not len(decisions):
        return pd.DataFrame(columns=KNOWLEDGE_COLUMNS)
    shared = decisions[decisions["outcome"].isin(SHARING_OUTCOMES)]
    position = {case.id: c for c, case in enumerate(cases)}
    # first receipt of each (case, partner, category)
    received = pd.DataFrame({
        "case": shared["case"].map(position).to_numpy(dtype=np.int64),
        "partner": shared["to"].to_numpy(dtype=object), "category": shared["category"].to_numpy(dtype=object),
        "since": shared["step_index"].to_numpy(dtype=np.int64),
    })
    first = received.groupby(["case", "partner", "category"], sort=False)["since"].min()
    case_at = first.index.get_level_values("case").to_numpy(dtype=np.int64)
    since = first.to_numpy(dtype=np.int64)
    n_steps = np.array([len(case.steps) for case in cases], dtype=np.int64)
    # each held pair at its step of first receipt and every later step
    repeats = np.maximum(n_steps[case_at] - since, 0)
    pair = np.repeat(np.arange(len(first)), repeats)
    step = since[pair] + (np.arange(len(pair)) - np.repeat(np.cumsum(repeats) - repeats, repeats))
    partners = first.index.get_level_values("partner").to_numpy(dtype=object)
    categories = first.index.get_level_values("category").to_numpy(dtype=object)
    _, partner_rank = np.unique(partners, return_inverse=True)
    _, category_rank = np.unique(categories, return_inverse=True)
    order = np.lexsort((category_rank.reshape(-1)[pair], partner_rank.reshape(-1)[pair], step, case_at[pair]))
    pair, step = pair[order], step[order]
    case_of = case_at[pair]
    step_ids = [case.step_ids() for case in cases]
    stages = [[s.stage for s in case.steps] for case in cases]
    case_list, step_list, since_list = case_of.tolist(), step.tolist(), since[pair].tolist()
    return pd.DataFrame({
        "case": [cases[c].id for c in case_list],
        "step": [step_ids[c][s] for c, s in zip(case_list, step_list)],
        "step_index": step.astype(np.int64),
        "stage": [stages[c][s] for c, s in zip(case_list, step_list)],
        "partner": partners[pair], "category": categories[pair],
        "since_step": [step_ids[c][s] for c, s in zip(case_list, since_list)],
        "since_stage": [stages[c][s] for c, s in zip(case_list, since_list)],
        "new": step == since[pair],
    }, columns=KNOWLEDGE_COLUMNS)


#: Finding codes that say a file or folder could not be read at all (as opposed to a case written wrongly).
_FILE_ACCESS_CODES = frozenset({codes.MISSING_FILE.code})


def runnable_cases(protocol: Protocol | CompiledProtocol, path: str | Path) -> tuple[list[Case], list[Finding]]:
    """The cases of a folder that can run on a protocol, and the located findings of those that cannot.

    One faulty case file (bad YAML, a wrong shape, a name the protocol lacks, impossible facts)
    never stops the others: its findings are returned, with their file and line, and every
    other case is returned to run.

    Examples
    --------
    >>> import protocolkit
    >>> cases, problems = runnable_cases(protocolkit.load(protocolkit.example_path("mash")),
    ...                                  protocolkit.example_path("mash") / "cases")
    >>> len(cases) == len(protocolkit.load_cases(protocolkit.example_path("mash"))), problems
    (True, [])
    """
    from ..model.cases import load_cases

    compiled = as_compiled(protocol)
    path = Path(path)
    try:
        candidates = load_cases(path)
        problems: list[Finding] = []
    except ProtocolValidationError as exc:
        # a file the tool may not read (a loop, a device, outside the folder, too large) or a folder it
        # cannot list is not a faulty case: the folder itself needs fixing, so the error stands
        if not path.is_dir() or any(f.code in _FILE_ACCESS_CODES for f in exc.findings):
            raise
        try:
            names = os.listdir(path)
        except OSError:
            raise exc from None
        candidates, problems = [], []
        files = sorted(path / n for n in names if n.endswith((".yaml", ".yml")) and not n.startswith("."))
        for file in files:
            try:
                candidates += load_cases(file)
            except ProtocolValidationError as broken:
                problems += broken.findings
    cases = []
    for case in candidates:
        try:
            check_case_references(compiled, [case])
            run_cases(compiled, [case], explain=False)
        except ProtocolValidationError as exc:
            problems += exc.findings
        except ProtocolError as exc:  # e.g. facts that break a fact constraint
            problems.append(codes.CASE_UNKNOWN_REFERENCE.finding(
                f"case '{case.id}' cannot run: {exc}", "correct the case so it names what the protocol defines",
                file=case.file))
        else:
            cases.append(case)
    return cases, problems
