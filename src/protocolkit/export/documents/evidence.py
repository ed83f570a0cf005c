"""The agreement's evidence annexes: the sample cases with the engine's results, and the review
findings with the partnership's marks on them."""

from __future__ import annotations

import datetime as dt

from ...model.protocol import Protocol


def case_evidence(protocol: Protocol, cases: list | None, names) -> dict:
    """The sample cases, each request with the outcome expected, the outcome the engine gave and why.

    ``cases`` defaults to the protocol folder's ``cases/``; none gives an empty list.
    """
    from .context import OUTCOME_WORDS, plain

    if cases is None:
        folder = protocol.folder / "cases" if protocol.folder is not None else None
        if folder is None or not folder.is_dir():
            cases = []
        else:
            from ...model.cases import load_cases

            cases = load_cases(folder)
    if not cases:
        return {"cases": [], "passed": 0, "failed": 0, "requests": 0}
    from ...engine.cases import run_cases
    from ..records import records

    results = run_cases(protocol, cases)
    rows = results.expectations
    by_case: dict[str, list[dict]] = {}   # the rows read once, in their order, per case and per (case, step)
    by_step: dict[tuple, list[dict]] = {}
    for r in records(rows):
        by_case.setdefault(r["case"], []).append(r)
        by_step.setdefault((r["case"], r["step"]), []).append(r)
    out = []
    for case in cases:
        mine = by_case.get(case.id, [])
        steps = []
        for step in case.steps:
            requests = []
            for r in by_step.get((case.id, step.id), ()):
                requests.append({
                    "id": r["request"], "from": names.partner(r["from"]), "to": names.partner(r["to"]),
                    "data": "; ".join(names.category(c) for c in r["categories"]),
                    "purpose": names.purpose(r["purpose"]),
                    "expected": OUTCOME_WORDS.get(r["expected"], r["expected"]),
                    "actual": r["actual"], "actual_words": OUTCOME_WORDS.get(r["actual"], r["actual"]),
                    "passed": bool(r["passed"]), "rule": r["rule"] if isinstance(r["rule"], str) else "",
                    "note": plain(r["note"]), "problems": [plain(x) for x in r["problems"]],
                    "obligations": [names.obligation(o) for o in r["obligations"]],
                })
            steps.append({"id": step.id, "title": plain(step.title), "stage": names.stage(step.stage),
                          "requests": requests})
        out.append({"id": case.id, "title": plain(case.title), "scenario": plain(case.scenario),
                    "description": plain(case.description), "steps": steps,
                    "passed": sum(bool(r["passed"]) for r in mine), "total": len(mine)})
    return {"cases": out, "passed": results.passed, "failed": results.failed, "requests": len(rows)}


def review_evidence(protocol: Protocol, today: dt.date | None) -> dict:
    """The review findings with their status and the partnership's marks."""
    from ...review import review
    from .context import plain

    report = review(protocol, today=today)
    findings = []
    for f in report.findings:
        findings.append({
            "id": f.id, "code": f.code, "severity": f.severity.value, "title": plain(f.title),
            "message": plain(f.message), "fix": plain(f.fix), "status": f.status,
            "mark": None if f.mark is None else {"by": plain(f.mark.by), "date": f.mark.date.strftime("%-d %B %Y"),
                                                 "reason": plain(f.mark.reason), "status": f.mark.status},
        })
    blocking = sum(f.blocking for f in report.findings)
    return {"findings": findings, "blocking": blocking, "open": sum(f["status"] in ("open", "reopened") for f in findings)}
