"""Review marks: a partnership's decisions on review findings, kept in the protocol folder.

``review.yaml`` sits beside ``protocol.yaml`` and is reviewed like the rest of the
protocol. Each mark records who accepted or mitigated a finding, when and why,
and a fingerprint of the finding's subject (the rules and names involved). When
the subject changes, the fingerprint no longer matches and the finding reopens.

Writing a mark keeps the file's comments and is atomic.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field

from ..model.keys import Model
from ..model.saving import to_yaml
from ..model.sidecar import edit_records, read_records

MARKS_FILE = "review.yaml"
HEADER = ("# Review marks: decisions on protocolkit review findings (protocolkit review --mark ...).\n"
          "# A mark whose 'subject' no longer matches the finding's subject is ignored: the finding reopens.\n")


class Mark(Model):
    """A decision on one review finding."""

    finding: str = Field(description="The finding's id, as `protocolkit review` prints it.")
    status: Literal["accepted", "mitigated"] = Field(description="accepted (a known, agreed risk) or mitigated.")
    by: str = Field(description="Who decided, with their role.")
    date: dt.date = Field(description="When.")
    reason: str = Field(description="Why, in plain English.")
    subject: str = Field(description="Fingerprint of the finding's subject when it was marked.")


class Marks(Model):
    """The contents of ``review.yaml``."""

    marks: list[Mark] = Field(default_factory=list)


def load_marks(folder: str | Path) -> list[Mark]:
    """The marks of a protocol folder (none when it has no ``review.yaml``)."""
    return read_records(Path(folder) / MARKS_FILE, Marks, "marks")


def add_mark(folder: str | Path, mark: Mark) -> Path:
    """Add (or replace) the mark of a finding in ``review.yaml``, keeping the file's comments."""
    path = Path(folder) / MARKS_FILE

    def replace(entries) -> None:
        for index in range(len(entries) - 1, -1, -1):
            if isinstance(entries[index], dict) and entries[index].get("finding") == mark.finding:
                del entries[index]
        entries.append(to_yaml(mark.model_dump(mode="python")))

    edit_records(path, Marks, "marks", HEADER, replace)
    return path
