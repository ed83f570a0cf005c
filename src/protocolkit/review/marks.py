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
    """Add the mark of a finding to ``review.yaml``, keeping the file's comments.

    A finding marked before has its mark updated where it stands (its comments and its place
    among the others kept); any further mark of the same finding is dropped. A new one goes last.
    """
    path = Path(folder) / MARKS_FILE

    def replace(entries) -> None:
        fresh = to_yaml(mark.model_dump(mode="python"))
        same = [i for i, entry in enumerate(entries) if isinstance(entry, dict) and entry.get("finding") == mark.finding]
        if not same:
            entries.append(fresh)
            return
        for index in reversed(same[1:]):
            del entries[index]
        entry = entries[same[0]]
        for key in [k for k in entry if k not in fresh]:
            del entry[key]
        for key, value in fresh.items():
            entry[key] = value

    edit_records(path, Marks, "marks", HEADER, replace)
    return path
