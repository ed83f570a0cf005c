"""Running sample cases: every request of every step, decided in one batch and checked.

:func:`run_cases` returns a :class:`CaseResults` whose tables answer the
workshop's questions: did each expectation hold (and why not), which rules were
exercised, who knows what about the family after each step, where the protocol
over- or under-shares at each stage, and which gaps the cases hit.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from xml.etree import ElementTree as ET

import pandas as pd

from ..errors import Finding, ImpossibleFactsError, ProtocolError, ProtocolValidationError, UnknownValueError
from ..model import codes
from ..model.cases import Case
from ..model.keys import UNKNOWN
from ..model.protocol import Protocol
from ..model.rules import SHARING_OUTCOMES
from .compiled import CompiledProtocol
from .decisions import CategoryDecision, Decision, as_compiled, decide_many, summary_outcome
from .explain import explain_request
from .requests import Request, check_value, encode_facts

EXPECTATION_COLUMNS = [
    "case", "step", "step_index", "stage", "request", "from", "to", "categories", "purpose", "facts",
    "expected", "actual", "passed", "problems", "rule", "rules_matched", "obligations", "explanation", "note",
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
    """

    expectations: pd.DataFrame
    decisions: pd.DataFrame
    coverage: pd.DataFrame
    knowledge: pd.DataFrame
    stage_order: list[str] = field(default_factory=list)

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

    @property
    def over_sharing(self) -> pd.DataFrame:
        """Decisions that share a category the recipient's need-to-know profile does not list."""
        d = self.decisions
        return d[d["outcome"].isin(SHARING_OUTCOMES) & (d["need_to_know"] == "not_needed")]

    @property
    def under_sharing(self) -> pd.DataFrame:
        """Decisions that withhold a category the recipient's profile says it needs."""
        d = self.decisions
        return d[~d["outcome"].isin(SHARING_OUTCOMES) & (d["need_to_know"] == "needed")]

    @property
    def gaps(self) -> pd.DataFrame:
        """Decisions no rule covered, including those a fallback then decided (its ``fallback`` column says which)."""
        return self.decisions[self.decisions["rules_matched"].map(len) == 0]

    def sharing_by_stage(self) -> pd.DataFrame:
        """Per stage: categories requested, shared, over-shared, under-shared and gaps."""
        d = self.decisions.assign(
            shared=self.decisions["outcome"].isin(SHARING_OUTCOMES),
            over=lambda t: t["shared"] & (t["need_to_know"] == "not_needed"),
            under=lambda t: ~t["shared"] & (t["need_to_know"] == "needed"),
            gap=self.decisions["rules_matched"].map(len) == 0,
        )
        table = d.groupby("stage", observed=True).agg(
            requested=("category", "size"), shared=("shared", "sum"), over_shared=("over", "sum"),
            under_shared=("under", "sum"), gaps=("gap", "sum"))
        order = [s for s in self.stage_order if s in table.index]
        return table.reindex(order).astype(int)

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
            "gaps": int(len(self.gaps)),
            "over_shared": int(len(self.over_sharing)),
            "under_shared": int(len(self.under_sharing)),
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
                check(case, (*where, "facts"), lambda: encode_facts(compiled, req.facts))
                for c, category in enumerate(req.categories):
                    check(case, (*where, "categories", c), lambda: check_value(category, compiled.categories, "category"))
                if req.expect:
                    for category in req.expect.categories:
                        check(case, (*where, "expect", "categories", category),
                              lambda: check_value(category, compiled.categories, "category"))
                    for kind in (*req.expect.obligations, *req.expect.absent_obligations):
                        check(case, (*where, "expect"), lambda: _check_obligation_type(compiled, kind))
    if findings:
        raise ProtocolValidationError(findings)


def _check_expectation_references(compiled: CompiledProtocol, cases: list[Case]) -> None:
    """The references that deciding does not check itself: expected categories and obligation types."""
    known_categories, known_obligations = compiled.categories.index, compiled.vocab.obligation_types
    for case in cases:
        for step in case.steps:
            for req in step.requests:
                expect = req.expect
                if expect is not None and (
                        any(c not in known_categories for c in expect.categories)
                        or any(o not in known_obligations for o in (*expect.obligations, *expect.absent_obligations))):
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
    columns: dict[str, list] = {"from": [], "to": [], "categories": [], "stage": [], "purpose": [], "requester": [],
                                "requested_by": []}
    fact_columns: dict[str, list] = {}
    meta = []
    for case in cases:
        facts = dict(case.facts)
        step_ids = case.step_ids()
        for s, step in enumerate(case.steps):
            facts.update(step.learn)
            for r, req in enumerate(step.requests):
                request_facts = {k: v for k, v in {**facts, **req.facts}.items() if v != UNKNOWN}
                for name, value in (("from", req.from_), ("to", req.to), ("categories", list(req.categories)),
                                    ("stage", step.stage), ("purpose", req.purpose), ("requester", req.requester),
                                    ("requested_by", req.requested_by)):
                    columns[name].append(value)
                for fact, value in request_facts.items():
                    fact_columns.setdefault(fact, [None] * len(meta)).append(value)
                meta.append((case, step_ids[s], s, step, req.id or f"request_{r + 1}", req, request_facts))
                for values in fact_columns.values():
                    if len(values) < len(meta):
                        values.append(None)
    frame = pd.DataFrame({**columns, **{f: pd.Series(v, dtype=object) for f, v in fact_columns.items()}})
    try:
        table = decide_many(compiled, frame, detail="full" if explain else "rules")
    except UnknownValueError:
        check_case_references(compiled, cases)  # says where, in which case file and line
        raise
    except ImpossibleFactsError as exc:
        case, _, s, _, _, req, _ = meta[exc.row]
        path = ("steps", s, "requests", _request_index(case, s, req))
        file, line, column = case.locate(path)
        raise ProtocolValidationError([codes.CASE_IMPOSSIBLE_FACTS.finding(
            f"case '{case.id}': {str(exc).split(': ', 1)[1]}",
            "correct the case's facts (its starting facts, what earlier steps learn, or the request's own facts)",
            file=file, line=line, column=column, key=".".join(map(str, path)))]) from exc
    labels = pd.DataFrame([{"case": m[0].id, "step": m[1], "step_index": m[2]} for m in meta],
                          columns=["case", "step", "step_index"])
    decisions = table.join(labels, on="request")
    return CaseResults(
        expectations=_expectations(compiled, meta, decisions, explain),
        decisions=decisions,
        coverage=_coverage(protocol, decisions),
        knowledge=_knowledge(cases, meta, decisions),
        stage_order=list(compiled.vocab.stage_ids),
    )


def _request_index(case: Case, step: int, request) -> int:
    """The position of a request in its step."""
    return next(i for i, r in enumerate(case.steps[step].requests) if r is request)


def _category_decisions(decisions: pd.DataFrame) -> dict[int, list[CategoryDecision]]:
    """The decisions table read once, as each request's category decisions."""
    names = [f for f in CategoryDecision.__dataclass_fields__ if f != "explanation"]
    columns = {name: decisions[name].tolist() for name in names}
    columns["outcome"] = decisions["outcome"].astype(str).tolist()
    columns["need_to_know"] = decisions["need_to_know"].astype(str).tolist()
    texts = decisions["explanation"].tolist() if "explanation" in decisions.columns else None
    out: dict[int, list[CategoryDecision]] = {}
    for i, request in enumerate(decisions["request"].tolist()):
        values = {name: columns[name][i] for name in names}
        for name in ("rule", "minimum", "escalate_to", "fallback", "fallback_reason", "sharing", "decided_by"):  # pandas may give NaN for None
            values[name] = values[name] if isinstance(values[name], str) else None
        out.setdefault(request, []).append(CategoryDecision(**values, explanation=texts[i] if texts else ""))
    return out


def _expectations(compiled: CompiledProtocol, meta: list, decisions: pd.DataFrame, explain: bool) -> pd.DataFrame:
    by_request = _category_decisions(decisions)
    out = []
    for index, (case, step_id, step_index, step, request_id, req, facts) in enumerate(meta):
        if req.expect is None:
            continue
        request = Request(req.from_, req.to, tuple(req.categories), step.stage, req.purpose, facts, req.requester,
                          req.requested_by)
        categories = tuple(by_request[index])
        overall = summary_outcome(c.outcome for c in categories)
        decision = Decision(request, overall, categories, "")
        problems = _problems(req.expect, decision)
        # explanations are words for people; the fast form leaves them to decide(), on demand
        text = explain_request(compiled, request, categories, overall) if explain else ""
        out.append({
            "case": case.id, "step": step_id, "step_index": step_index, "stage": step.stage,
            "request": request_id, "from": req.from_, "to": req.to, "categories": list(req.categories),
            "purpose": req.purpose, "facts": facts, "expected": _expected_text(req.expect), "actual": overall,
            "passed": not problems, "problems": problems, "rule": decision.rule,
            "rules_matched": list(decision.rules_matched), "obligations": list(decision.obligations),
            "explanation": text, "note": req.note,
        })
    frame = pd.DataFrame(out, columns=EXPECTATION_COLUMNS).astype({"passed": bool})
    for column in ("rule", "note"):  # keep None as None: pandas would turn it into NaN in a text column
        frame[column] = pd.Series([row[column] for row in out], dtype=object, index=frame.index)
    return frame


def _expected_text(expect) -> str:
    """An expectation's outcomes as one line for tables: ``share or share_minimum``, ``not share``."""
    parts = [" or ".join(expect.outcomes())] if expect.outcomes() else []
    if expect.not_:
        parts.append("not " + " or ".join(expect.not_))
    return "; ".join(parts) or "as listed per category"


def _problems(expect, decision: Decision) -> list[str]:
    problems = []
    by = (f" (decided by {decision.rule})" if decision.rule else
          f" (fallback {decision.fallbacks[0]})" if decision.fallbacks else " (no rule covers it)")
    wanted = expect.outcomes()
    if wanted and decision.outcome not in wanted:
        problems.append(f"expected {' or '.join(wanted)}, got {decision.outcome}{by}")
    if decision.outcome in expect.not_:
        problems.append(f"expected anything but {' or '.join(expect.not_)}, got {decision.outcome}{by}")
    if expect.escalate_to is not None:
        roles = [c.escalate_to for c in decision.categories if c.escalate_to]
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
    by_category = {c.category: c for c in decision.categories}
    for category, outcome in expect.categories.items():
        actual = by_category.get(category)
        if actual is None:
            problems.append(f"{category} was expected to be {outcome} but is not in the request")
        elif actual.outcome != outcome:
            problems.append(f"{category}: expected {outcome}, got {actual.outcome}"
                            + (f" (decided by {actual.rule})" if actual.rule else ""))
    present = {o.partition(": ")[0] for o in decision.obligations}
    missing = [o for o in expect.obligations if o not in present]
    if missing:
        problems.append(f"missing obligation{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
    unwanted = [o for o in expect.absent_obligations if o in present]
    if unwanted:
        problems.append(f"unexpected obligation{'s' if len(unwanted) > 1 else ''}: {', '.join(unwanted)}")
    return problems


def _coverage(protocol: Protocol, decisions: pd.DataFrame) -> pd.DataFrame:
    decided: dict[str, int] = {r.id: 0 for r in protocol.rules}
    matched: dict[str, int] = {r.id: 0 for r in protocol.rules}
    if len(decisions):
        for rules in decisions["deciding_rules"]:
            for rule in rules:
                decided[rule] += 1
        for rules in decisions["rules_matched"]:
            for rule in rules:
                matched[rule] += 1
    return pd.DataFrame({
        "rule": [r.id for r in protocol.rules],
        "outcome": [r.outcome for r in protocol.rules],
        "decided": [decided[r.id] for r in protocol.rules],
        "matched": [matched[r.id] for r in protocol.rules],
    }).assign(exercised=lambda t: t["decided"] > 0)


def _knowledge(cases: list[Case], meta: list, decisions: pd.DataFrame) -> pd.DataFrame:
    columns = ["case", "step", "step_index", "stage", "partner", "category", "since_step", "since_stage", "new"]
    if not len(decisions):
        return pd.DataFrame(columns=columns)
    shared = decisions[decisions["outcome"].isin(SHARING_OUTCOMES)]
    received: dict[tuple, list] = {}
    for row in shared.itertuples(index=False):
        received.setdefault((row.case, row.step_index), []).append((row.to, row.category))
    out = []
    for case in cases:
        held: dict[tuple, tuple] = {}
        for s, step_id in enumerate(case.step_ids()):
            stage = case.steps[s].stage
            for partner, category in received.get((case.id, s), []):
                held.setdefault((partner, category), (step_id, stage, s))
            for (partner, category), (since_step, since_stage, since_index) in sorted(held.items()):
                out.append((case.id, step_id, s, stage, partner, category, since_step, since_stage, since_index == s))
    return pd.DataFrame(out, columns=columns)


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
