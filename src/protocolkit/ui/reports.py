"""Static views of the workbench, for a notebook run headless and for its HTML rendering.

Every widget of the workbench also offers a ``text/html`` rendering of what it shows (see
:class:`Snapshot`): JupyterLab shows the live widget, while papermill's executed notebook
and its HTML page (the evidence pack) show the same tables and words without JavaScript.
The functions here give the overviews a notebook shows before its widgets.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from ._text import STYLE, badge, finding_list, ident, named, table
from .session import Session


def snapshot_html(widget: widgets.Widget) -> str:
    """The HTML a widget shows, read from its HTML parts (inputs are left out)."""
    parts: list[str] = []

    def walk(w: widgets.Widget) -> None:
        if isinstance(w, (widgets.HTML, widgets.HTMLMath)):
            parts.append(f"<div>{w.value}</div>")
        elif isinstance(w, widgets.Dropdown) and w.description and w.label is not None:
            parts.append(f"<div>{escape(w.description)}: <b>{escape(str(w.label))}</b></div>")
        elif isinstance(w, widgets.Tab):
            for i, child in enumerate(w.children):
                parts.append(f"<h3>{escape(w.get_title(i) or '')}</h3>")
                walk(child)
        elif isinstance(w, widgets.Box):
            if getattr(w.layout, "display", None) == "none":
                return
            for child in w.children:
                walk(child)

    walk(widget)
    return STYLE + "".join(parts)


class Snapshot:
    """Mixin: the widget's bundle also carries its static HTML, for renderers without widgets."""

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if isinstance(data, dict):
            data["text/html"] = snapshot_html(self)
        return data


class HTMLReport:
    """An HTML fragment a notebook displays (``_repr_html_``); ``html`` holds the text."""

    def __init__(self, html: str):
        self.html = STYLE + html

    def _repr_html_(self) -> str:
        return self.html


def overview(session: Session) -> HTMLReport:
    """What the protocol is and holds: its cover details, partners and what was found wrong with it.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.ui.session import Session
    >>> "Northbridge" in overview(Session(protocolkit.example_path("mash"))).html
    True
    """
    p, v = session.protocol, session.vocabulary
    m = p.metadata
    head = (f"<h3>{escape(m.title)}</h3><p>Version {escape(m.version)}, {escape(m.status)}; owned by "
            f"{escape(session.label('partners', m.owner))}; review by {m.review_date or 'no date set'}. "
            f"{len(p.partners)} partners, {len(p.rules)} rules, {len(session.cases)} sample cases, "
            f"{len(p.guarantees)} guarantees, {len(v.stages)} stages.</p>")
    rows = [[named(x.name, x.id), escape(v.label("kinds", x.kind)), escape(x.controller_role.replace("_", " ")),
             escape(", ".join(x.statutory_powers)) or "<span class='pk-flag-warning'>none named</span>"]
            for x in p.partners]
    partners = table(["Partner", "Kind", "Role under UK GDPR", "Statutory powers"], rows, raw=True)
    return HTMLReport(head + partners + "<h4>Checks (the same as protocolkit validate)</h4>" + findings_html(session))


def findings_html(session: Session) -> str:
    """The validation findings of the protocol as it is now."""
    return finding_list(session.findings(), "No problems found: no errors and no warnings.")


def case_results_html(session: Session) -> str:
    """Did each sample case get what the partnership expected: counts, then what no longer holds."""
    if not session.cases:
        return "<p class='pk-muted'>This protocol has no sample cases yet.</p>"
    results = session.case_results()
    s = results.summary()
    verdict = ("<b>Every expectation holds.</b>" if results.ok else
               f"<b class='pk-flag-error'>{results.failed} expectation{'s' if results.failed != 1 else ''} "
               f"no longer hold{'s' if results.failed == 1 else ''}.</b>")
    lines = [f"<p>{verdict} {s['passed']} of {s['expectations']} hold across {s['cases']} cases; "
             f"{s['rules_exercised']} of {s['rules']} rules decided something; {s['gaps']} gaps, "
             f"{s['over_shared']} over-shared and {s['under_shared']} under-shared categories.</p>"]
    failures = results.failures.head(10)
    if len(failures):
        titles = {case.id: case.title for case in session.cases}
        rows = [[escape(titles[case]), "<br>".join(escape(w) for w in words) or escape("; ".join(problems)),
                 ident(f"{case} / {step} / {request}")]
                for case, step, request, words, problems in zip(*(failures[c].tolist() for c in (
                    "case", "step", "request", "in_words", "problems")))]
        lines.append(table(["Case", "What no longer holds", "Where"], rows, raw=True))
    return "".join(lines)


def cases_overview(session: Session) -> HTMLReport:
    """Every sample case: its title, where it comes from, and whether its expectations hold."""
    results = session.case_results()
    rows = []
    for case in session.cases:
        mine = results.expectations[results.expectations["case"] == case.id]
        failed = int((~mine["passed"].astype(bool)).sum())
        state = ("<b class='pk-flag-error'>" + f"{failed} of {len(mine)} fail</b>") if failed else f"{len(mine)} hold"
        rows.append([f"{escape(case.title)} {ident(case.id)}", escape(case.scenario or ""), str(len(case.steps)), state])
    return HTMLReport(case_results_html(session)
                      + table(["Case", "Source", "Steps", "Expectations"], rows, raw=True))


def guarantees_html(session: Session, protocol=None) -> str:
    """Each guarantee, and whether it holds over every possible request."""
    report = session.guarantees(protocol)
    if not report.results:
        return "<p class='pk-muted'>This protocol states no guarantees.</p>"
    items = []
    for result in report.results:
        g = result.guarantee
        mark = "Holds" if result.proven else "<b class='pk-flag-error'>Broken</b>"
        detail = "" if result.proven else f"<br><span class='pk-muted'>{escape(result.explanation)}</span>"
        items.append(f"<li>{mark}: {escape(g.statement)} {ident(g.id)}{detail}</li>")
    return (f"<p>{report.passed} of {len(report.results)} guarantees hold over every possible request.</p>"
            f"<ul>{''.join(items)}</ul>")


def guarantees(session: Session) -> HTMLReport:
    """The guarantees as a report."""
    return HTMLReport(guarantees_html(session))


def review_report(session: Session) -> HTMLReport:
    """The review before sign-off: blocking findings first, each in plain English with its fix."""
    report = session.review()
    order = {"error": 0, "warning": 1, "info": 2}
    findings = sorted(report.findings, key=lambda f: (f.status not in ("open", "reopened"), order[f.severity.value]))
    blocking = sum(f.blocking for f in report.findings)
    to_resolve = f"{blocking} finding{'s' if blocking != 1 else ''} must be resolved before sign-off."
    head = (f"<p><b>{'Ready for sign-off: no blocking finding.' if report.ok else to_resolve}"
            f"</b> {len(report.findings)} findings in all.</p>")
    rows = []
    for f in findings:
        status = {"open": "open", "reopened": "reopened: its subject changed since it was marked",
                  "accepted": "accepted", "mitigated": "mitigated"}[f.status]
        who = f" by {escape(f.mark.by)}" if f.mark and f.status in ("accepted", "mitigated") else ""
        rows.append([f"<span class='pk-flag-{f.severity.value}'>{escape(f.severity.value.capitalize())}</span>",
                     f"{escape(f.message)}<br><i>{escape(f.fix)}</i>", escape(status) + who, ident(f.id)])
    return HTMLReport(head + table(["", "Finding", "Status", "Id"], rows, raw=True))


__all__ = ["HTMLReport", "Snapshot", "case_results_html", "cases_overview", "findings_html", "guarantees",
           "guarantees_html", "overview", "review_report", "snapshot_html"]
