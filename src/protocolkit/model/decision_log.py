"""The decision log: what a partnership agreed in its workshops, kept in the protocol folder.

``decisions.yaml`` sits beside ``protocol.yaml``. Each entry records the question the
room discussed, the options considered, what was agreed, who was present and which
rules the decision changed. The agreement's annex carries the log, so the signed
document says why each rule reads as it does.

Reading is strict (a broken file is an error naming file, line and key); writing keeps
the file's comments, refuses anything that would not read back, and is atomic.
Nothing here prints.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field, field_validator

from .keys import Key, Model, RuleId
from .saving import to_yaml
from .sidecar import edit_records, read_records

DECISIONS_FILE = "decisions.yaml"
HEADER = ("# Decision log: what the partnership agreed in its workshops, and the rule changes it led to.\n"
          "# Carried into the agreement's annex. Written by the workbench's decision log; edit with care.\n")


class DecisionRecord(Model):
    """One decision the partnership took, with the question, the options and who was present.

    Examples
    --------
    >>> r = DecisionRecord(id="D1", date="2026-11-27", question="Does the school hear of a police call-out?",
    ...                    options=["always", "only at risk amber or above"], agreed="only at risk amber or above",
    ...                    present=["DSL, Northbridge Primary"], rule_changes=["R-REF-03"])
    >>> r.rule_changes
    ['R-REF-03']
    """

    id: str = Field(description="The decision's id, such as 'D3', cited in the annex.")
    date: dt.date = Field(description="The date of the meeting.")
    question: str = Field(description="The question the partnership discussed, in plain English.")
    options: list[str] = Field(default_factory=list, description="The options considered.")
    agreed: str = Field(description="What was agreed.")
    rationale: str | None = Field(None, description="Why, in a sentence or two.")
    present: list[str] = Field(default_factory=list, description="Who was present, with their role and partner.")
    rule_changes: list[RuleId] = Field(default_factory=list, description="The rules added or changed as a result.")
    case: Key | None = Field(None, description="The sample case that raised the question, if any.")

    @field_validator("question", "agreed")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("write a sentence: this field cannot be empty")
        return value


class DecisionLog(Model):
    """The contents of ``decisions.yaml``."""

    decisions: list[DecisionRecord] = Field(default_factory=list, description="The decisions, oldest first.")


def decision_log_path(folder: str | Path) -> Path:
    """Where a protocol folder keeps its decision log."""
    return Path(folder) / DECISIONS_FILE


def load_decision_log(folder: str | Path) -> list[DecisionRecord]:
    """The decisions recorded for a protocol folder, oldest first (none without a ``decisions.yaml``).

    Raises
    ------
    ProtocolValidationError
        The file cannot be read, naming file, line, key and the fix.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> load_decision_log(folder)
    []
    >>> _ = record_decision(folder, question="Who tells the family?", agreed="The key worker, within 5 days",
    ...                     present=["Early help lead"], date="2026-11-27")
    >>> [(d.id, d.agreed) for d in load_decision_log(folder)]
    [('D1', 'The key worker, within 5 days')]
    """
    return read_records(decision_log_path(folder), DecisionLog, "decisions")


def next_decision_id(decisions: list[DecisionRecord]) -> str:
    """The next free id of the form ``D<n>``.

    Examples
    --------
    >>> next_decision_id([])
    'D1'
    """
    taken = {d.id for d in decisions}
    n = len(decisions) + 1
    while f"D{n}" in taken:
        n += 1
    return f"D{n}"


def record_decision(folder: str | Path, *, question: str, agreed: str, options: list[str] | None = None,
                    present: list[str] | None = None, rule_changes: list[str] | None = None,
                    rationale: str | None = None, case: str | None = None, date: dt.date | str | None = None,
                    id: str | None = None) -> DecisionRecord:
    """Add a decision to the folder's ``decisions.yaml`` (created if missing), keeping its comments.

    Returns the record written. Raises ``pydantic.ValidationError`` for an incomplete record
    (an empty question or agreement, a malformed rule id) and writes nothing then.
    """
    existing = load_decision_log(folder)  # refuses a broken file before touching it
    record = DecisionRecord(
        id=id or next_decision_id(existing), date=date or dt.date.today(), question=question,
        options=list(options or []), agreed=agreed, rationale=rationale or None, present=list(present or []),
        rule_changes=list(rule_changes or []), case=case or None)
    if any(d.id == record.id for d in existing):
        raise ValueError(f"decision {record.id} is already in the log: choose another id")
    edit_records(decision_log_path(folder), DecisionLog, "decisions", HEADER,
                 lambda entries: entries.append(to_yaml(record.model_dump(mode="python", exclude_defaults=True))))
    return record


__all__ = ["DECISIONS_FILE", "DecisionLog", "DecisionRecord", "decision_log_path", "load_decision_log",
           "next_decision_id", "record_decision"]
