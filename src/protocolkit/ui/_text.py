"""Plain-English wording and small HTML pieces shared by the widgets (practitioner first, ids after)."""

from __future__ import annotations

from html import escape
from typing import Iterable

OUTCOME_WORDS = {
    "share": "Share",
    "share_minimum": "Share a minimum only",
    "seek_consent": "Seek consent first",
    "escalate": "Escalate for a decision",
    "refuse": "Do not share",
    "gap": "Not covered by any rule (a gap)",
}

OUTCOME_COLOURS = {  # readable on a projector; share green, withhold red, gap amber
    "share": "#1b7837", "share_minimum": "#5aae61", "seek_consent": "#2166ac", "escalate": "#762a83",
    "refuse": "#b2182b", "gap": "#e08214",
}

STYLE = """<style>
.pk-table{border-collapse:collapse;font-size:0.95em;margin:4px 0}
.pk-table th,.pk-table td{border:1px solid #ccc;padding:3px 7px;text-align:left !important;vertical-align:top}
.pk-table th{background:#f0f0f0}
.pk-badge{display:inline-block;padding:1px 8px;border-radius:9px;color:#fff;font-weight:600}
.pk-id{color:#666;font-family:monospace;font-size:0.9em}
.pk-muted{color:#666}
.pk-checking{color:#555;font-style:italic}
.pk-flag-error{color:#b2182b}.pk-flag-warning{color:#a65e00}.pk-flag-info{color:#2166ac}
.pk-new{background:#fff3c4}
</style>"""


def outcome_words(outcome: str) -> str:
    """Plain English for an outcome id."""
    return OUTCOME_WORDS.get(outcome, outcome.replace("_", " "))


def badge(outcome: str) -> str:
    """An outcome as a coloured label."""
    colour = OUTCOME_COLOURS.get(outcome, "#555")
    return f'<span class="pk-badge" style="background:{colour}">{escape(outcome_words(outcome))}</span>'


def ident(key: str) -> str:
    """An id shown after the words, in small type."""
    return f'<span class="pk-id">{escape(str(key))}</span>'


def named(label: str, key: str) -> str:
    """``Label (id)``, or only the id when it has no label of its own."""
    if label == key:
        return ident(key)
    return f"{escape(label)} {ident(key)}"


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], raw: bool = False) -> str:
    """An HTML table; cells are escaped unless ``raw`` (already HTML)."""
    cell = (lambda v: str(v)) if raw else (lambda v: escape(str(v)))
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f'<table class="pk-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def paragraphs(text: str) -> str:
    """Text with line breaks kept."""
    return "<br>".join(escape(line) for line in str(text).splitlines())


def finding_line(finding) -> str:
    """One validation or review finding: message first, then the fix, then its code and place."""
    severity = getattr(finding.severity, "value", finding.severity)
    where = getattr(finding, "key", "") or ""
    line = getattr(finding, "line", None)
    place = f" {escape(where)}" + (f", line {line}" if line else "")
    fix = f" <i>{escape(finding.fix)}</i>" if getattr(finding, "fix", "") else ""
    return (f'<li class="pk-flag-{escape(str(severity))}"><b>{escape(str(severity).capitalize())}:</b> '
            f"{escape(finding.message)}.{fix} {ident(finding.code + place)}</li>")


def finding_list(findings, empty: str = "No problems found.") -> str:
    """A list of findings, or a reassuring line when there are none."""
    findings = list(findings)
    if not findings:
        return f'<p class="pk-muted">{escape(empty)}</p>'
    return "<ul>" + "".join(finding_line(f) for f in findings) + "</ul>"
