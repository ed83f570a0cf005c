"""The case stepper: walk a sample case stage by stage, flip a fact, ask "why not?".

At each step the stepper shows every sharing request made at that point with its decision
and the engine's plain-English explanation, what the partnership expected, and the
knowledge matrix: who holds what about this family after the step. Changing a fact
("what if consent had been refused?") applies to the whole case and every view updates.

State for code and tests: :attr:`CaseStepper.case_id`, :attr:`~CaseStepper.step_index`,
:attr:`~CaseStepper.overrides`, :attr:`~CaseStepper.decisions`, :attr:`~CaseStepper.knowledge`.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets
import pandas as pd

from ..engine.cases import run_cases
from ..engine.decisions import Decision, decide
from ..engine.why_not import why_not
from ..model.cases import Case
from ..model.keys import UNKNOWN
from ..model.naming import with_detail
from ._text import STYLE, badge, ident, named, outcome_words, paragraphs, table
from .session import Session
from .reports import Snapshot

NOT_STATED = "(not stated)"


class CaseStepper(Snapshot, widgets.VBox):
    """Step through a sample case; each request shows its decision and why.

    Parameters
    ----------
    session : Session
    case : str, optional
        The case to open first (default: the first case).

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.ui import Session, CaseStepper
    >>> stepper = CaseStepper(Session(protocolkit.example_path("mash")))
    >>> stepper.step_index
    0
    """

    def __init__(self, session: Session, case: str | None = None):
        self.session = session
        if not session.cases:
            raise ValueError(f"{session.cases_path} holds no sample cases: add a case file to step through")
        self.case_picker = widgets.Dropdown(
            options=[(c.title, c.id) for c in session.cases], value=case or session.cases[0].id,
            description="Case", layout=widgets.Layout(width="98%"), style={"description_width": "initial"})
        self.case_picker.add_class("pk-case-picker")
        self.previous_button = widgets.Button(description="Previous step", icon="arrow-left")
        self.next_button = widgets.Button(description="Next step", icon="arrow-right")
        # the slider counts steps as the heading does, from 1 ("Step 1 of 3"); step_index stays 0-based
        self.step_slider = widgets.IntSlider(min=1, max=1, value=1, description="Step", continuous_update=False)
        self.reset_button = widgets.Button(description="Undo fact changes", tooltip="Put every fact back as the case states it")
        self.heading = widgets.HTML()
        self.facts_box = widgets.VBox()
        self.requests_html = widgets.HTML()
        self.why_not_picker = widgets.Dropdown(description="Why not?", options=[], layout=widgets.Layout(width="70%"))
        self.why_not_button = widgets.Button(description="Explain what would allow it")
        self.why_not_html = widgets.HTML()
        self.knowledge_html = widgets.HTML()
        self.overrides: dict[str, str] = {}
        self.decisions: list[Decision] = []
        self.knowledge: pd.DataFrame = pd.DataFrame()
        self._fact_widgets: dict[str, widgets.Dropdown] = {}
        self._busy = False

        self.case_picker.observe(lambda change: self._open_case(), names="value")
        self.step_slider.observe(lambda change: self._refresh(), names="value")
        self.previous_button.on_click(lambda _: self.go_to(self.step_index - 1))
        self.next_button.on_click(lambda _: self.go_to(self.step_index + 1))
        self.reset_button.on_click(lambda _: self.reset_facts())
        self.why_not_button.on_click(lambda _: self.explain_why_not())
        session.on_change(lambda s, what: self._session_changed())

        super().__init__([
            widgets.HTML(STYLE), self.case_picker,
            widgets.HBox([self.previous_button, self.step_slider, self.next_button]),
            self.heading,
            widgets.HTML("<b>Facts of the case</b> <span class='pk-muted'>(change one to see what would happen)</span>"),
            self.facts_box, self.reset_button,
            widgets.HTML("<b>Sharing requests at this step</b>"), self.requests_html,
            widgets.HBox([self.why_not_picker, self.why_not_button]), self.why_not_html,
            widgets.HTML("<b>Who knows what about this family now</b>"), self.knowledge_html,
        ])
        self.add_class("pk-case-stepper")
        self._open_case()

    # -- state ---------------------------------------------------------------------------------
    @property
    def case(self) -> Case:
        """The case shown, as its file states it (without the fact changes)."""
        return self.session.case(self.case_picker.value)

    @property
    def case_id(self) -> str:
        return self.case_picker.value

    @property
    def step_index(self) -> int:
        """The step shown, 0-based (the slider and the heading count from 1)."""
        return self.step_slider.value - 1

    # -- actions -------------------------------------------------------------------------------
    def go_to(self, step: int) -> None:
        """Show step ``step`` (0-based), kept within the case."""
        self.step_slider.value = max(0, min(step, len(self.case.steps) - 1)) + 1

    def set_fact(self, fact: str, value: str | None) -> None:
        """Suppose a fact had this value throughout the case (``None``: as the case states it)."""
        if value is None:
            self.overrides.pop(fact, None)
        else:
            allowed = self.session.vocabulary.facts[fact].values
            if value not in allowed and value != UNKNOWN:
                raise ValueError(f"{value!r} is not a value of {fact}: use one of {', '.join(allowed)}")
            self.overrides[fact] = value
        self._refresh()

    def reset_facts(self) -> None:
        """Put every fact back as the case states it."""
        self.overrides.clear()
        self._refresh()

    def explain_why_not(self, request_index: int | None = None) -> pd.DataFrame:
        """For a request at this step that does not fully go: what would allow it (and show it)."""
        index = self.why_not_picker.value if request_index is None else request_index
        if index is None:
            self.why_not_html.value = "<p class='pk-muted'>Every request at this step goes as asked.</p>"
            return pd.DataFrame()
        decision = self.decisions[index]
        answer = why_not(self.session.protocol, decision.request)
        self.why_not_html.value = self._why_not_html(decision, answer)
        return answer

    # -- computing -----------------------------------------------------------------------------
    def variant(self) -> Case:
        """The case with the fact changes applied to every step."""
        case = self.case.model_copy(deep=True)
        if not self.overrides:
            return case
        case.facts.update(self.overrides)
        for step in case.steps:
            for fact, value in self.overrides.items():
                if fact in step.learn:
                    step.learn[fact] = value
                for request in step.requests:
                    if fact in request.facts:
                        request.facts[fact] = value
        return case

    def facts_at(self, step: int | None = None) -> dict[str, str]:
        """The case's facts at a step (default: the one shown), fact changes included."""
        step = self.step_index if step is None else step
        case = self.variant()
        facts = dict(case.facts)
        for s in case.steps[: step + 1]:
            facts.update(s.learn)
        return facts

    def _open_case(self) -> None:
        self.overrides.clear()
        self._busy = True
        self.step_slider.value = 1
        self.step_slider.max = len(self.case.steps)
        self._busy = False
        self._build_fact_widgets()
        self._refresh()

    def _case_facts(self) -> list[str]:
        case, known = self.case, self.session.vocabulary.facts
        names = list(case.facts)
        for step in case.steps:
            names += list(step.learn)
            for request in step.requests:
                names += list(request.facts)
        return [n for n in dict.fromkeys(names) if n in known]

    def _build_fact_widgets(self) -> None:
        self._fact_widgets = {}
        for fact in self._case_facts():
            spec = self.session.vocabulary.facts[fact]
            dropdown = widgets.Dropdown(options=[NOT_STATED, *spec.values], description=spec.label,
                                        style={"description_width": "initial"}, layout=widgets.Layout(width="auto"))
            dropdown.observe(lambda change, fact=fact: self._fact_changed(fact, change["new"]), names="value")
            self._fact_widgets[fact] = dropdown
        self.facts_box.children = list(self._fact_widgets.values())

    def _fact_changed(self, fact: str, value: str) -> None:
        if self._busy:
            return
        stated = self._stated_facts().get(fact, NOT_STATED)
        if value == stated:
            self.overrides.pop(fact, None)
        else:
            self.overrides[fact] = UNKNOWN if value == NOT_STATED else value
        self._refresh()

    def _stated_facts(self) -> dict[str, str]:
        facts = dict(self.case.facts)
        for s in self.case.steps[: self.step_index + 1]:
            facts.update(s.learn)
        return facts

    def _session_changed(self) -> None:
        if self.session.unchanged_by_last_change(self.case):
            # a rule edit none of this case's requests can reach: every decision, explanation and what
            # each partner knows stays as shown; a "why not?" answer may name the edited rule, so it goes
            self.why_not_html.value = ""
            return
        self._refresh()

    def _refresh(self) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            self._show()
        finally:
            self._busy = False

    def _show(self) -> None:
        session, case, index = self.session, self.variant(), self.step_index
        step = case.steps[index]
        self.previous_button.disabled = index == 0
        self.next_button.disabled = index == len(case.steps) - 1
        facts = self.facts_at(index)
        for fact, dropdown in self._fact_widgets.items():
            dropdown.value = facts.get(fact, NOT_STATED) if facts.get(fact, UNKNOWN) != UNKNOWN else NOT_STATED
        changed = ", ".join(f"{session.label('facts', f)}: {v}" for f, v in self.overrides.items())
        step_ids = case.step_ids()
        self.heading.value = (
            f"<h3>{escape(case.title)}</h3>"
            + (f"<p>{escape(case.description)}</p>" if case.description and index == 0 else "")
            + f"<p><b>Step {index + 1} of {len(case.steps)}: {escape(session.label('stages', step.stage))}</b>"
            + (f" &ndash; {escape(step.title)}" if step.title else "") + f" {ident(step_ids[index])}</p>"
            + (f"<p><b>Supposing</b> {escape(changed)} (the case file itself is unchanged).</p>" if changed else ""))

        # The case run decides each step after the earlier ones, working out the history facts
        # (what was received, shared, decided, counted: docs/semantics.md section 15); each request
        # here is decided on the very facts the run used, so the stepper and the run agree.
        # Without changed facts the session's run of every case holds this case as it is (kept across
        # edits, re-run only where an edit can change a decision): no need to run it again here.
        results = run_cases(session.compiled, [case], explain=False) if self.overrides else session.case_results()
        at_step = _at_step(results.requests, case.id, index)
        checked = _at_step(results.expectations, case.id, index)
        verdicts = dict(zip(checked["request"], zip(checked["passed"], checked["in_words"])))
        self.decisions = []
        rows = []
        for r, (request, decided, request_id, history) in enumerate(zip(
                step.requests, results.requests_at(case.id, index), at_step["request"], at_step["history"])):
            decision = decide(session.compiled, decided)
            self.decisions.append(decision)
            rows.append(self._request_html(r, request, decision, list(history), verdicts.get(request_id)))
        self.requests_html.value = "".join(rows) or "<p class='pk-muted'>No sharing requests at this step.</p>"
        self.why_not_picker.options = [
            (f"{r + 1}. {session.label('partners', d.request.sender)} to {session.label('partners', d.request.recipient)}"
             f": {outcome_words(d.outcome)}", r)
            for r, d in enumerate(self.decisions) if d.may_not_share]
        self.why_not_html.value = ""

        at = _at_step(results.knowledge, case.id, index)
        self.knowledge = (at.pivot(index="partner", columns="category", values="since_stage").fillna("")
                          if len(at) else pd.DataFrame())
        new = at[at["new"]]
        self.knowledge_html.value = self._knowledge_html(set(zip(new["partner"], new["category"])))

    # -- rendering ------------------------------------------------------------------------------
    def _request_html(self, number: int, request, decision: Decision, history: list[str] = (),
                      verdict: tuple[bool, list[str]] | None = None) -> str:
        s = self.session
        sentence = (f"<b>{number + 1}. {named(s.label('partners', request.from_), request.from_)}</b> asks to share with "
                    f"<b>{named(s.label('partners', request.to), request.to)}</b> for "
                    f"{escape(s.label('purposes', request.purpose))}")
        lines = []
        for c in decision.categories:
            detail = ""
            if c.minimum:
                detail = f" &ndash; only: {escape(c.minimum)}"
            elif c.escalate_to:
                detail = f" &ndash; for {escape(c.escalate_to)} to decide"
            rule = f" {ident('rule ' + c.rule)}" if c.rule else ""
            need = ""
            if c.shared and c.need_to_know == "not_needed":
                need = " <span class='pk-flag-warning'>beyond what they need to know</span>"
            elif not c.shared and c.need_to_know == "needed":
                need = " <span class='pk-flag-warning'>they need this, and it is withheld</span>"
            rule += _fallback_note(s, c)
            lines.append(f"<li>{named(s.label('categories', c.category), c.category)}: {badge(c.outcome)}{detail}{rule}{need}</li>")
        expected = ""
        if request.expect is not None and verdict is not None:
            # the case run's own check of the expectation (outcomes, categories, duties)
            held, problems = verdict
            said = ("as the partnership expected" if held else
                    "<b class='pk-flag-error'>not what the partnership expected</b>"
                    + (" (the facts were changed)" if self.overrides else ""))
            why = "" if held else "".join(f"<li>{escape(p)}</li>" for p in problems)
            expected = (f"<p>Expected: {escape(_expected_words(request.expect))}, {said}.</p>"
                        + (f"<ul>{why}</ul>" if why else ""))
        note = f"<p class='pk-muted'>{escape(request.note)}</p>" if request.note else ""
        earlier = (f"<p><b>Earlier in this case:</b> {escape(' '.join(history))}</p>" if history else "")
        duties = [_duty(s, o) for o in decision.obligations]
        obligations = f"<p>Duties: {'; '.join(duties)}</p>" if duties else ""
        return (f"<div class='pk-request' style='border-left:4px solid #ccc;padding-left:8px;margin:8px 0'>"
                f"<p>{sentence}: {badge(decision.outcome)}</p><ul>{''.join(lines)}</ul>{expected}{obligations}"
                f"<details><summary>Why</summary><p>{paragraphs(decision.explanation)}</p>{earlier}</details>{note}</div>")

    def _knowledge_html(self, new: set[tuple[str, str]]) -> str:
        k, s = self.knowledge, self.session
        if k.empty:
            return "<p class='pk-muted'>Nobody has received anything about this family yet.</p>"
        headers = ["Partner", *[s.label("categories", c) for c in k.columns]]
        rows = []
        for partner, row in k.iterrows():
            cells = [named(s.label("partners", partner), partner)]
            for category, since in row.items():
                text = escape(s.label("stages", since)) if since else ""
                cells.append(f"<span class='pk-new'>{text} (new)</span>" if (partner, category) in new else text)
            rows.append(cells)
        return (table(headers, rows, raw=True)
                + "<p class='pk-muted'>Each cell shows the stage at which the partner first received it.</p>")

    def _why_not_html(self, decision: Decision, answer: pd.DataFrame) -> str:
        s = self.session
        head = (f"<p><b>{escape(s.label('partners', decision.request.sender))} to "
                f"{escape(s.label('partners', decision.request.recipient))}</b>: {badge(decision.outcome)}</p>")
        if answer.empty:
            return head + "<p>No sharing rule could allow this request: the protocol would need a new rule.</p>"
        parts = [head]
        for category, rows in answer.groupby("category", sort=False):
            items = "".join(f"<li>{escape(e)}</li>" for e in rows["explanation"].head(5))
            more = f"<li class='pk-muted'>and {len(rows) - 5} more rules</li>" if len(rows) > 5 else ""
            parts.append(f"<p>{named(s.label('categories', category), category)} "
                         f"({escape(outcome_words(rows['outcome'].iat[0]))}):</p><ul>{items}{more}</ul>")
        return "".join(parts)


def _at_step(table: pd.DataFrame, case: str, step_index: int) -> pd.DataFrame:
    """The rows of a case run's table for one step of one case."""
    return table[(table["step_index"].to_numpy() == step_index) & (table["case"].to_numpy() == case)]


def _expected_words(expect) -> str:
    """What a case expects, in words: "share or share the minimum", "anything but share"."""
    def words(outcomes) -> str:
        return " or ".join(outcome_words(o)[:1].lower() + outcome_words(o)[1:] for o in outcomes)

    parts = [words(expect.outcomes())] if expect.outcomes() else []
    if expect.not_:
        parts.append("anything but " + words(expect.not_))
    text = "; ".join(parts) or "as listed per category"
    return text[:1].upper() + text[1:]


def _fallback_note(session: Session, decision) -> str:
    """Say so when the protocol's fallback decided rather than a rule, and which unknown facts a rule waits on."""
    note = ""
    if getattr(decision, "fallback", None):
        reason = getattr(decision, "fallback_reason", None)
        words = {"gap": "no rule covers this", "unknown_fact": "a rule waits on a fact nobody has stated yet"}
        note += (" <span class='pk-flag-warning'>the protocol's fallback decided, not a rule"
                 + (f": {escape(words.get(str(reason), str(reason)))}" if reason else "") + "</span>")
    waiting = getattr(decision, "waiting_on", ())
    if waiting:
        facts = ", ".join(session.label("facts", f) for f in waiting)
        note += f" <span class='pk-muted'>a rule would decide once these are known: {escape(facts)}</span>"
    return note


def _duty(session: Session, obligation: str) -> str:
    kind, _, detail = obligation.partition(": ")
    words = session.label("obligation_types", kind)
    return escape(with_detail(words, detail)) + " " + ident(kind)


__all__ = ["CaseStepper"]
