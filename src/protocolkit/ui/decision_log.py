"""The decision log widget: record what a workshop agreed, as it is agreed.

Each record (the question, the options, what was agreed, who was present, the rules it
changed) is written at once to ``decisions.yaml`` in the protocol folder through
:func:`protocolkit.model.decision_log.record_decision` (atomic, comments kept), and the
list below the form is read back from that file.
"""

from __future__ import annotations

from html import escape

import ipywidgets as widgets
from pydantic import ValidationError

from ..errors import ProtocolError
from ..model.decision_log import DecisionRecord, decision_log_path, load_decision_log, record_decision
from ._text import STYLE, ident
from .session import Session
from .reports import Snapshot


def _lines(text: str) -> list[str]:
    return [line.strip(" -\t") for line in text.splitlines() if line.strip(" -\t")]


class DecisionLogEditor(Snapshot, widgets.VBox):
    """A form that records one decision in ``decisions.yaml``, and the log so far.

    Examples
    --------
    >>> import shutil, tempfile, protocolkit
    >>> from protocolkit.ui import Session, DecisionLogEditor
    >>> work = shutil.copytree(protocolkit.example_path("mash"), tempfile.mkdtemp() + "/mash")
    >>> log = DecisionLogEditor(Session(work))
    >>> log.question.value = "Does the school hear about a police call-out at referral?"
    >>> log.agreed.value = "Only when the risk is amber or above"
    >>> log.present.value = "Designated safeguarding lead, Northbridge Primary"
    >>> log.record().id
    'D1'
    >>> [d.agreed for d in log.decisions]
    ['Only when the risk is amber or above']
    """

    def __init__(self, session: Session):
        self.session = session
        wide = widgets.Layout(width="95%")
        self.question = widgets.Textarea(description="Question", placeholder="What did the room need to decide?",
                                         layout=wide)
        self.options = widgets.Textarea(description="Options", placeholder="One option per line", layout=wide)
        self.agreed = widgets.Textarea(description="Agreed", placeholder="What the partnership agreed", layout=wide)
        self.rationale = widgets.Textarea(description="Why", placeholder="The reason, in a sentence or two", layout=wide)
        self.present = widgets.Textarea(description="Present", placeholder="One person per line: name or role, partner",
                                        layout=wide)
        self.rule_changes = widgets.TagsInput(allowed_tags=[r.id for r in session.protocol.rules],
                                              allow_duplicates=False)
        self.case = widgets.Dropdown(description="Case", options=[("(none)", None)] + [(c.title, c.id) for c in session.cases])
        self.record_button = widgets.Button(description="Record the decision", button_style="primary", icon="check")
        self.status = widgets.HTML()
        self.log_html = widgets.HTML()
        self.decisions: list[DecisionRecord] = []
        self.record_button.on_click(lambda _: self._record_clicked())
        session.on_change(lambda s, what: self._refresh_choices())
        super().__init__([
            widgets.HTML(STYLE + "<b>Record a decision</b>"), self.question, self.options, self.agreed, self.rationale,
            self.present, widgets.HBox([widgets.Label("Rules changed"), self.rule_changes]), self.case,
            self.record_button, self.status, widgets.HTML("<b>Decisions recorded</b>"), self.log_html])
        self.add_class("pk-decision-log")
        self.refresh()

    @property
    def path(self):
        """The ``decisions.yaml`` this widget writes."""
        return decision_log_path(self.session.folder)

    def record(self) -> DecisionRecord:
        """Record the form as a decision; clears the form. Raises ``ValueError`` for an incomplete form."""
        try:
            record = record_decision(
                self.session.folder, question=self.question.value.strip(), agreed=self.agreed.value.strip(),
                options=_lines(self.options.value), present=_lines(self.present.value),
                rule_changes=list(self.rule_changes.value), rationale=self.rationale.value.strip() or None,
                case=self.case.value)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
            raise ValueError(f"the decision was not recorded: {problems}") from None
        for field in (self.question, self.options, self.agreed, self.rationale):
            field.value = ""
        self.rule_changes.value = []
        self.refresh()
        self.status.value = (f"<p>Recorded decision {escape(record.id)} in {escape(self.path.name)}.</p>")
        return record

    def refresh(self) -> None:
        """Read the log back from its file."""
        try:
            self.decisions = load_decision_log(self.session.folder)
        except ProtocolError as exc:
            self.decisions = []
            self.log_html.value = f"<p class='pk-flag-error'>{escape(str(exc))}</p>"
            return
        self.log_html.value = self._log_html()

    def _record_clicked(self) -> None:
        try:
            self.record()
        except (ValueError, ProtocolError) as exc:
            self.status.value = f"<p class='pk-flag-error'>{escape(str(exc))}</p>"

    def _refresh_choices(self) -> None:
        self.rule_changes.allowed_tags = [r.id for r in self.session.protocol.rules]

    def _log_html(self) -> str:
        if not self.decisions:
            return "<p class='pk-muted'>No decisions recorded yet.</p>"
        items = []
        for d in reversed(self.decisions):
            rules = f" Rules changed: {', '.join(escape(r) for r in d.rule_changes)}." if d.rule_changes else ""
            present = f" Present: {escape('; '.join(d.present))}." if d.present else ""
            options = f" Options: {escape('; '.join(d.options))}." if d.options else ""
            why = f" Why: {escape(d.rationale)}" if d.rationale else ""
            items.append(f"<li><b>{escape(d.question)}</b> Agreed: {escape(d.agreed)}.{why}{options}{present}{rules} "
                         f"{ident(d.id + ', ' + d.date.isoformat())}</li>")
        return "<ul>" + "".join(items) + "</ul>"


__all__ = ["DecisionLogEditor"]
