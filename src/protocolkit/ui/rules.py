"""Rules: the rule table, a form to edit one rule, and what every edit changes.

The table lists each rule in plain English with its flags: rules that conflict with
another, rules that never decide anything (shadowed or dead), and legal warnings (a
special category flow without an Art 9 condition, consent as the only basis, ...), as
the review finds them; findings the partnership accepted in ``review.yaml`` are not flagged.
After every applied edit the flags, the sample-case results and the guarantees are
recomputed by the one decision engine, so the room sees at once what the change did.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from ..model.rules import OUTCOMES_MOST_PROTECTIVE_FIRST
from ._forms import EntryForm, Field, parse_obligations
from ._text import STYLE, badge, ident, outcome_words, table
from .reports import Snapshot, case_results_html, guarantees_html
from .session import Session

#: Review codes the rule table flags, and the words it uses.
RULE_FLAGS = {
    "RV101": "special category data without an Art 9 condition",
    "RV102": "criminal offence data without an Art 10 condition",
    "RV103": "no lawful basis",
    "RV104": "rests only on consent",
    "RV110": "shares beyond the recipient's need to know",
    "RV120": "conflicts with another rule",
    "RV121": "never decides anything (shadowed)",
    "RV122": "matches no possible request (dead)",
    "RV130": "lets sensitive data travel on without the owner's agreement",
}


def _ids(section: str):
    def choices(session: Session) -> list[str]:
        v = session.vocabulary
        table = {"partners": v.partners, "kinds": v.kinds, "categories": v.categories, "purposes": v.purposes,
                 "stages": {s.id: s for s in v.stages}, "lawful_bases": v.lawful_bases}[section]
        return list(table)
    return choices


def _outcomes(session: Session) -> list:
    return [(outcome_words(o), o) for o in reversed(OUTCOMES_MOST_PROTECTIVE_FIRST)]


class RuleForm(EntryForm):
    section, noun = "rules", "rule"

    def __init__(self, session: Session):
        super().__init__(session, [
            Field("id", "Rule id", help="such as R-REF-12"),
            Field("title", "Title", help="One line a practitioner reads"),
            Field("from_any", "Anyone may send", "checkbox"),
            Field("from_partners", "From partners", "tags", _ids("partners")),
            Field("from_kinds", "From kinds of partner", "tags", _ids("kinds")),
            Field("to_any", "Anyone may receive", "checkbox"),
            Field("to_partners", "To partners", "tags", _ids("partners")),
            Field("to_kinds", "To kinds of partner", "tags", _ids("kinds")),
            Field("categories_any", "Any data", "checkbox"),
            Field("categories", "Data categories", "tags", _ids("categories")),
            Field("stages_any", "Any stage", "checkbox"),
            Field("stages", "Stages", "tags", _ids("stages")),
            Field("purposes_any", "Any purpose", "checkbox"),
            Field("purposes", "Purposes", "tags", _ids("purposes")),
            Field("when", "Only when", "mapping", help="one condition a line, such as  risk: >= amber"),
            Field("outcome", "Outcome", "dropdown", _outcomes, default="share"),
            Field("minimum", "Minimum to share", help="For 'share a minimum': what may go"),
            Field("escalate_to", "Escalate to", help="For 'escalate': the role that decides"),
            Field("obligations", "Duties", "lines", help="one a line: record_decision, or deadline: within 4 hours"),
            Field("lawful_bases", "Lawful bases", "tags", _ids("lawful_bases")),
            Field("rationale", "Why", "textarea", help="Why the partnership agreed this rule"),
            Field("priority", "Priority", "int", default=0),
        ], intro="<p>Edit one rule; problems show as you type; <b>Apply changes</b> re-runs every case.</p>")

    def entry_label(self, entry) -> str:
        return f"{entry.id}: {entry.title}"

    def to_entry(self, values):
        out = {k: values[k] for k in ("id", "title", "when", "outcome", "minimum", "escalate_to",
                                       "lawful_bases", "rationale")}
        for side in ("from", "to"):
            if values[f"{side}_any"]:
                out[side] = "any"
            else:
                selector = {k: values[f"{side}_{k}"] for k in ("partners", "kinds") if values[f"{side}_{k}"]}
                out[side] = selector or None
        for dim in ("categories", "stages", "purposes"):
            out[dim] = "any" if values[f"{dim}_any"] else values[dim]
        out["obligations"] = parse_obligations(values["obligations"])
        out["priority"] = values["priority"] or None
        return out

    def from_entry(self, entry):
        out = dict(entry)
        for side in ("from", "to"):
            selector = entry.get(side)
            out[f"{side}_any"] = selector == "any"
            for k in ("partners", "kinds"):
                out[f"{side}_{k}"] = selector.get(k, []) if isinstance(selector, dict) else []
        for dim in ("categories", "stages", "purposes"):
            out[f"{dim}_any"] = entry.get(dim) == "any"
            out[dim] = [] if entry.get(dim) == "any" else entry.get(dim, [])
        return out


class RulesEditor(Snapshot, widgets.VBox):
    """The rule table with live flags, a form to edit one rule, and the cases and guarantees after each edit.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.ui import Session, RulesEditor
    >>> editor = RulesEditor(Session(protocolkit.example_path("mash")))
    >>> editor.form.select("R-REF-01")
    >>> editor.form.inputs["outcome"].value
    'share'
    """

    def __init__(self, session: Session):
        self.session = session
        self.form = RuleForm(session)
        self.table_html = widgets.HTML()
        self.results_html = widgets.HTML()
        self.guarantees_html = widgets.HTML()
        self.flags: dict[str, list[str]] | None = None  # None while the review is still checking
        self._rows: dict[int, tuple] = {}  # the table's rows as last written, by rule object
        session.on_change(lambda s, what: self.refresh())
        super().__init__([
            widgets.HTML(STYLE + "<h3>Rules</h3>"), self.table_html, widgets.HTML("<h4>Edit a rule</h4>"), self.form,
            widgets.HTML("<h4>Sample cases</h4>"), self.results_html,
            widgets.HTML("<h4>Guarantees</h4>"), self.guarantees_html])
        self.add_class("pk-rules")
        self.refresh()

    def refresh(self) -> None:
        """Show what the edit changed: the case results at once, then the slow whole-protocol checks.

        The rule table and the sample-case results update before this returns (the cases are
        re-run only where the edited rule can decide). The review's flags (conflicts, rules
        that never decide, legal warnings) and the guarantees, checked over every possible
        request, follow when ready; until then they say "checking", never an earlier result.
        """
        self.flags = None
        self.table_html.value = self._table()
        self.results_html.value = self._results()
        self.guarantees_html.value = ("<p class='pk-checking'>Checking the guarantees over every possible "
                                      "request&hellip;</p>")
        session = self.session
        session.later(lambda p: self._flags(p), self._show_flags, self._failed)
        session.later(lambda p: guarantees_html(session, p), self._show_guarantees, self._failed)

    def wait(self, timeout: float | None = None) -> None:
        """Wait for the checks still running (review flags and guarantees)."""
        self.session.wait(timeout)

    def _show_flags(self, flags: dict[str, list[str]]) -> None:
        self.flags = flags
        self.table_html.value = self._table()

    def _show_guarantees(self, html: str) -> None:
        self.guarantees_html.value = html

    def _failed(self, exc: Exception) -> None:
        self.guarantees_html.value = f"<p class='pk-flag-error'>The checks could not finish: {escape(str(exc))}</p>"

    def _flags(self, protocol=None) -> dict[str, list[str]]:
        flags: dict[str, list[str]] = {}
        for finding in self.session.review(protocol).findings:
            if finding.code in RULE_FLAGS and finding.status in ("open", "reopened"):
                for rule in finding.rules:
                    flags.setdefault(rule, []).append(f"{RULE_FLAGS[finding.code]} [{finding.code}]")
        for finding in self.session.findings(protocol):
            if finding.key.startswith("rules["):
                rule = finding.key[len("rules["):].split("]", 1)[0]
                flags.setdefault(rule, []).append(f"{finding.message} [{finding.code}]")
        return {rule: list(dict.fromkeys(items)) for rule, items in flags.items()}

    def _table(self) -> str:
        s = self.session
        flags = self.flags or {}
        rows = []
        # an edit changes one rule (the others are the same objects): the other rows are written once
        seen, self._rows = self._rows, {}
        stage_names = tuple(s.label("stages", x) for x in s.vocabulary.stage_ids)
        for rule in s.protocol.rules:
            key = (stage_names, tuple(flags.get(rule.id, ())))
            held = seen.get(id(rule))
            if held is None or held[0] is not rule or held[1] != key:
                stages = "any stage" if rule.stages == "any" else ", ".join(s.label("stages", x) for x in rule.stages)
                found = "".join(f"<div class='pk-flag-warning'>{escape(f)}</div>" for f in flags.get(rule.id, []))
                held = (rule, key, [f"{escape(rule.title)} {ident(rule.id)}", badge(rule.outcome), escape(stages),
                                    found or ""])
            self._rows[id(rule)] = held
            rows.append(held[2])
        if self.flags is None:
            head = (f"<p>{len(s.protocol.rules)} rules. <span class='pk-checking'>Checking for conflicts, rules "
                    "that never decide anything and legal warnings&hellip;</span></p>")
        else:
            flagged = sum(1 for r in s.protocol.rules if r.id in flags)
            head = f"<p>{len(s.protocol.rules)} rules; {flagged} flagged for a look.</p>"
        return head + ("<div style='max-height:420px;overflow:auto'>"
                       + table(["Rule", "Outcome", "Stages", "Flags"], rows, raw=True) + "</div>")

    def _results(self) -> str:
        return case_results_html(self.session)



__all__ = ["RulesEditor"]
