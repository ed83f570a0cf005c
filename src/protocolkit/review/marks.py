"""Review marks: a partnership's decisions on review findings, kept in the protocol folder.

``review.yaml`` sits beside ``protocol.yaml`` and is reviewed like the rest of the
protocol. Each mark records who accepted or mitigated a finding, when and why,
and a fingerprint of the finding's subject (the rules and names involved). When
the subject changes, the fingerprint no longer matches and the finding reopens.

Writing a mark keeps the file's comments and is atomic.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import ProtocolValidationError
from ..model import codes
from ..model.keys import Model
from ..model.loading import display_name, findings_from_validation_error
from ..model.saving import atomic_write, to_yaml
from ..model.source import SourceMap, read_yaml, round_trip_yaml, to_plain

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
    path = Path(folder) / MARKS_FILE
    if not path.exists():
        return []
    yaml_file, findings = read_yaml(path, display_name(path))
    if yaml_file is None:
        raise ProtocolValidationError(findings)
    if yaml_file.doc is None:
        return []
    try:
        return Marks.model_validate(to_plain(yaml_file.doc)).marks
    except ValidationError as exc:
        source = SourceMap(folder=path.parent, main=yaml_file, files={yaml_file.display: yaml_file})
        raise ProtocolValidationError(
            [codes.STRUCTURE.finding(f.message, f.fix, file=f.file, line=f.line, column=f.column, key=f.key)
             for f in findings_from_validation_error(exc, source, root=Marks)]) from None


def add_mark(folder: str | Path, mark: Mark) -> Path:
    """Add (or replace) the mark of a finding in ``review.yaml``, keeping the file's comments."""
    path = Path(folder) / MARKS_FILE
    load_marks(folder)  # refuses a broken file before touching it
    yaml = round_trip_yaml()
    doc = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if not isinstance(doc, CommentedMap):
        doc = yaml.load(HEADER + "marks: []\n")
    if not isinstance(doc.get("marks"), CommentedSeq):
        doc["marks"] = CommentedSeq()
    entries = doc["marks"]
    for index in range(len(entries) - 1, -1, -1):
        if isinstance(entries[index], dict) and entries[index].get("finding") == mark.finding:
            del entries[index]
    if entries.fa.flow_style():
        entries.fa.set_block_style()
    entries.append(to_yaml(mark.model_dump(mode="python")))
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    Marks.model_validate(to_plain(round_trip_yaml().load(buffer.getvalue())))  # never write what cannot be read
    atomic_write(path, buffer.getvalue())
    return path
