"""Approvals: who signed which content of a protocol, kept in ``approvals.yaml`` beside it.

An approval records a person, their role and the organisation they sign for, the date,
the protocol version and the SHA-256 of the protocol's canonical JSON (its content hash,
:func:`protocolkit.export.canonical.content_hash`). An approval counts only while the
hash matches: any later edit of the protocol leaves it on record but *superseded*, and
the protocol needs signing again. The lifecycle status is not part of the hash, so
moving a signed protocol from draft to agreed to published keeps its approvals.

Writing an approval keeps the file's comments and is atomic. This module does not decide
whether a protocol may be agreed (see :mod:`protocolkit.lifecycle.status`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..errors import ProtocolError
from ..export.canonical import content_hash
from ..model.approvals import APPROVALS_FILE, HEADER, Approval, Approvals, load_approvals
from ..model.protocol import Protocol
from ..model.readiness import require_ready_for_signature
from ..model.saving import to_yaml
from ..model.sidecar import edit_records

__all__ = ["APPROVALS_FILE", "Approval", "Approvals", "load_approvals", "sign"]

def sign(protocol: Protocol, *, name: str, role: str, organisation: str,
         today: dt.date | None = None) -> Approval:
    """Record an approval of the protocol as it is now, in ``approvals.yaml`` beside it.

    Parameters
    ----------
    protocol : Protocol
        A protocol loaded from a folder.
    name, role : str
        Who signs.
    organisation : str
        The partner id they sign for; it must be a partner of the protocol.
    today : date, optional
        The date of signing (default: today).

    Returns
    -------
    Approval
        The approval written.

    Raises
    ------
    NotReadyForSignatureError
        When the protocol has errors, legal-sense ones included: nobody signs those.
    ProtocolError
        When the organisation is not a partner, or a name or role is empty.

    Examples
    --------
    >>> import shutil, tempfile, datetime, protocolkit
    >>> folder = shutil.copytree(protocolkit.example_path("mash"), tempfile.mkdtemp() + "/p")
    >>> approval = sign(protocolkit.load(folder), name="A. Example", role="Head of IG",
    ...                 organisation="police", today=datetime.date(2026, 11, 27))
    >>> approval.organisation, approval.date.isoformat(), len(approval.sha256)
    ('police', '2026-11-27', 64)
    >>> [a.name for a in load_approvals(folder)]
    ['A. Example']
    """
    if protocol.folder is None:
        raise ProtocolError("only a protocol loaded from a folder can be signed: its approvals are kept beside it")
    partners = {p.id for p in protocol.partners}
    if organisation not in partners:
        from difflib import get_close_matches

        close = get_close_matches(organisation, sorted(partners), n=3)
        hint = f"; did you mean {' or '.join(close)}?" if close else "; 'protocolkit show PATH partners' lists them"
        raise ProtocolError(f"'{organisation}' is not a partner of this protocol{hint}")
    if not name.strip() or not role.strip():
        raise ProtocolError("an approval needs the signatory's name and role")
    require_ready_for_signature(protocol, today=today)
    approval = Approval(name=name.strip(), role=role.strip(), organisation=organisation,
                        date=today or dt.date.today(), version=protocol.metadata.version,
                        sha256=content_hash(protocol))
    _append(Path(protocol.folder) / APPROVALS_FILE, approval)
    return approval


def _append(path: Path, approval: Approval) -> None:
    edit_records(path, Approvals, "approvals", HEADER,
                 lambda entries: entries.append(to_yaml(approval.model_dump(mode="python"))))
