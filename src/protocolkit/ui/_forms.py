"""A form that edits one entry of a protocol section, checked as the person types.

Each field is a widget; :meth:`EntryForm.data` turns the widgets into the entry as YAML
would hold it, and every change re-checks that entry against the whole protocol through
:meth:`Session.check_entry` (the codes of ``protocolkit validate``). Applying goes
through :meth:`Session.set_entry`, which refuses an edit that breaks the structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any, Callable

import ipywidgets as widgets

from ..errors import Finding, Severity
from ._text import STYLE, finding_list
from .session import EditRefused, Session

NEW = "__new__"


@dataclass(frozen=True)
class Field:
    """One field of a form: the entry key, the label a person reads, and the widget kind.

    ``kind`` is ``text``, ``textarea``, ``dropdown`` (``choices`` gives ``[(label, value)]``;
    ``None`` means not set), ``checkbox``, ``tags`` (``choices`` gives the allowed ids),
    ``int``, ``lines`` (one item per line) or ``mapping`` (``key: value`` per line).
    """

    key: str
    label: str
    kind: str = "text"
    choices: Callable[[Session], list] | None = None
    default: Any = None
    help: str = ""


def make_widget(field: Field, session: Session) -> widgets.Widget:
    style, layout = {"description_width": "150px"}, widgets.Layout(width="95%")
    if field.kind == "text":
        return widgets.Text(description=field.label, placeholder=field.help, style=style, layout=layout)
    if field.kind in ("textarea", "lines", "mapping"):
        return widgets.Textarea(description=field.label, placeholder=field.help, style=style, layout=layout,
                                rows=3)
    if field.kind == "dropdown":
        return widgets.Dropdown(description=field.label, options=field.choices(session), style=style,
                                value=field.default)
    if field.kind == "checkbox":
        return widgets.Checkbox(description=field.label, value=bool(field.default), indent=False)
    if field.kind == "tags":
        return widgets.TagsInput(allowed_tags=field.choices(session), allow_duplicates=False)
    if field.kind == "int":
        return widgets.IntText(description=field.label, value=field.default or 0, style=style)
    raise ValueError(f"unknown field kind {field.kind!r}")


def read_widget(field: Field, widget: widgets.Widget) -> Any:
    """The widget's value as the entry holds it (None for a field left empty)."""
    value = widget.value
    if field.kind in ("text", "textarea"):
        return value.strip() or None
    if field.kind == "lines":
        return [line.strip(" -\t") for line in value.splitlines() if line.strip(" -\t")] or None
    if field.kind == "mapping":
        return parse_mapping(value) or None
    if field.kind == "tags":
        return list(value) or None
    return value


def write_widget(field: Field, widget: widgets.Widget, value: Any) -> None:
    """Show an entry's value in the widget."""
    if field.kind in ("text", "textarea"):
        widget.value = "" if value is None else str(value)
    elif field.kind == "lines":
        widget.value = "\n".join(_obligation_text(v) for v in value or [])
    elif field.kind == "mapping":
        widget.value = "\n".join(f"{k}: {_condition_text(v)}" for k, v in (value or {}).items())
    elif field.kind == "tags":
        widget.allowed_tags = sorted(set(widget.allowed_tags) | set(value or []))
        widget.value = list(value or [])
    elif field.kind == "dropdown":
        value = field.default if value is None else value
        options = [o[1] if isinstance(o, tuple) else o for o in widget.options]
        if value not in options:
            widget.options = [*widget.options, (str(value), value)]
        widget.value = value
    elif field.kind == "checkbox":
        widget.value = bool(field.default if value is None else value)
    else:
        widget.value = field.default if value is None else value


def _obligation_text(value: Any) -> str:
    if isinstance(value, dict):
        ((kind, detail),) = value.items()
        return f"{kind}: {detail}"
    return str(value)


def _condition_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_condition_text(v) for v in value)
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return str(value)


def parse_mapping(text: str) -> dict[str, Any]:
    """``key: value`` lines; a value with commas is a list.

    Examples
    --------
    >>> parse_mapping("risk: >= amber\\nconsent: given, not_sought")
    {'risk': '>= amber', 'consent': ['given', 'not_sought']}
    """
    out: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        value = value.strip()
        if not sep or not key.strip():
            raise ValueError(f"cannot read {line.strip()!r}: write one 'fact: value' per line, such as 'risk: >= amber'")
        out[key.strip()] = [v.strip() for v in value.split(",") if v.strip()] if "," in value else value
    return out


def parse_obligations(items: list[str] | None) -> list[Any] | None:
    """Obligation lines: ``type`` or ``type: detail``."""
    if not items:
        return None
    out = []
    for item in items:
        kind, sep, detail = item.partition(":")
        out.append({kind.strip(): detail.strip()} if sep and detail.strip() else kind.strip())
    return out


class EntryForm(widgets.VBox):
    """Pick an entry of one section (or a new one), edit it, see its findings as you type, apply.

    Subclasses may override :meth:`to_entry` and :meth:`from_entry` for fields that do
    not map one to one (a rule's ``from`` is a partner list, a kind list or ``any``).
    """

    section: str = ""
    noun: str = "entry"

    def __init__(self, session: Session, fields: list[Field], intro: str = ""):
        self.session = session
        self.fields = fields
        self.inputs = {f.key: make_widget(f, session) for f in fields}
        self.picker = widgets.Dropdown(description=f"{self.noun.capitalize()}", style={"description_width": "150px"},
                                       layout=widgets.Layout(width="95%"))
        self.apply_button = widgets.Button(description="Apply changes", button_style="primary", icon="check")
        self.remove_button = widgets.Button(description=f"Remove this {self.noun}", button_style="danger", icon="trash")
        self.findings_html = widgets.HTML()
        self.status = widgets.HTML()
        self.findings: list[Finding] = []
        self._loading = False
        self._listed: tuple[tuple, str] | None = None  # the findings last listed, and their list
        self.picker.observe(lambda change: self._load_selected(), names="value")
        for widget in self.inputs.values():
            widget.observe(lambda change: self.check(), names="value")
        self.apply_button.on_click(lambda _: self._apply_clicked())
        self.remove_button.on_click(lambda _: self._remove_clicked())
        session.on_change(lambda s, what: self._session_changed(what))
        rows = [widgets.HBox([widgets.Label(f.label, layout=widgets.Layout(width="150px")), self.inputs[f.key]])
                if f.kind == "tags" else self.inputs[f.key] for f in fields]
        super().__init__([widgets.HTML(STYLE + intro), self.picker, *rows,
                          widgets.HBox([self.apply_button, self.remove_button]), self.status, self.findings_html])
        self._refresh_picker()

    # -- entries -------------------------------------------------------------------------------
    def entries(self) -> list:
        return list(getattr(self.session.protocol, self.section))

    def entry_label(self, entry) -> str:
        name = getattr(entry, "name", None) or getattr(entry, "label", None) or getattr(entry, "title", None) or entry.id
        return f"{name} ({entry.id})"

    @property
    def index(self) -> int | None:
        """The position of the entry being edited, or None for a new one."""
        selected = self.picker.value
        if selected in (None, NEW):
            return None
        ids = [e.id for e in self.entries()]
        return ids.index(selected) if selected in ids else None

    def select(self, entry_id: str | None) -> None:
        """Edit the entry with this id (None: start a new one)."""
        self.picker.value = NEW if entry_id is None else entry_id

    # -- converting ----------------------------------------------------------------------------
    def to_entry(self, values: dict[str, Any]) -> dict[str, Any]:
        return values

    def from_entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        return entry

    def data(self) -> dict[str, Any]:
        """The entry as the form holds it now."""
        base = {}
        if self.index is not None:
            base = self.entries()[self.index].model_dump(mode="python", by_alias=True, exclude_defaults=True)
        values = {f.key: read_widget(f, self.inputs[f.key]) for f in self.fields}
        entry = {**base, **self.to_entry(values)}
        return {k: v for k, v in entry.items() if v is not None and v != [] and v != {}}

    # -- checking and applying -----------------------------------------------------------------
    def concerns(self, finding: Finding, data: dict[str, Any]) -> bool:
        """Whether a warning is about the entry in the form (errors are always shown)."""
        return finding.key.startswith(f"{self.section}[{data.get('id', '')}]")

    def check(self) -> list[Finding]:
        """Check the form against the whole protocol; show and return the findings that concern it."""
        if self._loading:
            return self.findings
        try:
            data = self.data()
        except ValueError as exc:
            self.findings = [Finding("PK101", Severity.ERROR, str(exc))]
        else:
            if self.index is None and not data.get("id"):  # a new entry with nothing typed yet
                self.findings = []
                self.findings_html.value = (f"<p class='pk-muted'>Fill in the new {escape(self.noun)}; "
                                            "problems show here as you type.</p>")
                return self.findings
            found = self.session.check_entry(self.section, data, self.index)
            self.findings = [f for f in found if f.severity is Severity.ERROR or self.concerns(f, data)]
        shown = tuple(self.findings)
        if self._listed is None or self._listed[0] != shown:  # after most edits the same findings: keep the list
            self._listed = (shown, finding_list(shown, f"No problems found with this {self.noun}."))
        self.findings_html.value = self._listed[1]
        return self.findings

    def apply(self) -> list[Finding]:
        """Apply the form to the protocol (one undoable edit). Raises :class:`EditRefused`."""
        data = self.data()
        findings = self.session.set_entry(self.section, data, self.index)
        self.picker.value = data["id"]
        self.status.value = f"<p>Applied the change to {escape(self.noun)} {escape(data['id'])}.</p>"
        return findings

    def remove(self) -> None:
        """Remove the selected entry. Raises :class:`EditRefused` while something still names it."""
        entry_id = self.picker.value
        self.session.remove_entry(self.section, entry_id)
        self.status.value = f"<p>Removed {escape(self.noun)} {escape(entry_id)}.</p>"

    def _apply_clicked(self) -> None:
        try:
            self.apply()
        except (EditRefused, ValueError) as exc:
            self.status.value = f"<p class='pk-flag-error'>{escape(str(exc))}</p>"

    def _remove_clicked(self) -> None:
        try:
            self.remove()
        except EditRefused as exc:
            self.status.value = f"<p class='pk-flag-error'>{escape(str(exc))}</p>"

    # -- refreshing ------------------------------------------------------------------------------
    def _session_changed(self, what: str) -> None:
        for f in self.fields:
            if f.choices is not None:
                widget = self.inputs[f.key]
                if f.kind == "tags":
                    widget.allowed_tags = f.choices(self.session)
                else:
                    choices = f.choices(self.session)
                    if _same_options(widget.options, choices):
                        continue  # the choices stand as they were (setting them again resets the widget)
                    self._loading = True
                    value = widget.value
                    widget.options = choices
                    options = [o[1] if isinstance(o, tuple) else o for o in widget.options]
                    widget.value = value if value in options else f.default
                    self._loading = False
        self._refresh_picker()

    def _refresh_picker(self) -> None:
        selected = self.picker.value
        options = [(f"+ New {self.noun}", NEW)] + [(self.entry_label(e), e.id) for e in self.entries()]
        ids = [o[1] for o in options]
        if not _same_options(self.picker.options, options):
            self._loading = True
            self.picker.options = options
            self._loading = False
        self.picker.value = selected if selected in ids else (ids[1] if len(ids) > 1 else NEW)
        self._load_selected()

    def _load_selected(self) -> None:
        if self._loading:
            return
        self._loading = True
        try:
            entry = {} if self.index is None else self.entries()[self.index].model_dump(
                mode="python", by_alias=True, exclude_defaults=True)
            values = self.from_entry(entry)
            for f in self.fields:
                write_widget(f, self.inputs[f.key], values.get(f.key))
            self.remove_button.disabled = self.index is None
        finally:
            self._loading = False
        self.check()


def _same_options(current, wanted) -> bool:
    """Whether a dropdown already offers these options (ipywidgets keeps them as they were given)."""
    def plain(options):
        return tuple(tuple(o) if isinstance(o, list) else o for o in options)

    return not isinstance(wanted, dict) and plain(current) == plain(wanted)
