"""Files kept beside a protocol that hold one list of records: review marks, the decision log, approvals.

Each is a small YAML file (``review.yaml``, ``decisions.yaml``, ``approvals.yaml``) with one
top-level key holding a list, reviewed like the rest of the protocol. Reading returns the
records validated by the file's model, or raises one located
:class:`~protocolkit.errors.ProtocolValidationError`; writing keeps the file's comments,
refuses a broken file before touching it, never writes what cannot be read back, and is atomic.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Callable

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ..errors import ProtocolValidationError
from . import codes
from .keys import Model
from .loading import display_name, findings_from_validation_error
from .saving import atomic_write
from .source import SourceMap, read_yaml, round_trip_yaml, to_plain


def read_records(path: Path, container: type[Model], key: str) -> list:
    """The records under ``key`` in the file at ``path`` (none when it is absent or empty).

    Examples
    --------
    >>> import tempfile
    >>> from protocolkit.model.approvals import Approvals
    >>> read_records(Path(tempfile.mkdtemp()) / "approvals.yaml", Approvals, "approvals")
    []
    """
    if not path.exists():
        return []
    yaml_file, findings = read_yaml(path, display_name(path))
    if yaml_file is None:
        raise ProtocolValidationError(findings)
    if yaml_file.doc is None:
        return []
    try:
        return getattr(container.model_validate(to_plain(yaml_file.doc)), key)
    except ValidationError as exc:
        source = SourceMap(folder=path.parent, main=yaml_file, files={yaml_file.display: yaml_file})
        raise ProtocolValidationError(
            [codes.STRUCTURE.finding(f.message, f.fix, file=f.file, line=f.line, column=f.column, key=f.key)
             for f in findings_from_validation_error(exc, source, root=container)]) from None


def edit_records(path: Path, container: type[Model], key: str, header: str,
                 edit: Callable[[CommentedSeq], None]) -> None:
    """Change the list under ``key`` with ``edit`` and write the file back, comments kept, atomically.

    The file is created with ``header`` (comment lines) when missing. A broken file is refused
    before anything is written, and the new text must read back as ``container``.
    """
    read_records(path, container, key)  # refuses a broken file before touching it
    yaml = round_trip_yaml()
    doc = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    if not isinstance(doc, CommentedMap):
        doc = yaml.load(f"{header}{key}: []\n")
    if not isinstance(doc.get(key), CommentedSeq):
        doc[key] = CommentedSeq()
    entries = doc[key]
    if entries.fa.flow_style():
        entries.fa.set_block_style()
    edit(entries)
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    container.model_validate(to_plain(round_trip_yaml().load(buffer.getvalue())))  # never write what cannot be read
    atomic_write(path, buffer.getvalue())
