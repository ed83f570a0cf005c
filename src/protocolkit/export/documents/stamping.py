"""The stamp every document carries (protocol id, version, status, sha256), and the checks before export.

The stamp and the content hash come from :mod:`protocolkit.export.canonical` (the
canonical JSON is the input of the hash), so the documents and the machine-readable
exports cite the same hash.
"""

from __future__ import annotations

import datetime as dt

from ...errors import Finding, Severity
from ...model.protocol import Protocol


def stamp_of(protocol: Protocol):
    """The protocol's :class:`~protocolkit.export.canonical.Stamp`.

    Examples
    --------
    >>> import protocolkit
    >>> stamp_of(protocolkit.load(protocolkit.example_path("mash"))).protocol
    'northbridge_mash'
    """
    from ..canonical import stamp

    return stamp(protocol)


def check_for_signature(protocol: Protocol, *, today: dt.date | None = None) -> list[Finding]:
    """Raise when the protocol may not be exported as an agreement; return its warnings otherwise.

    A protocol with errors, legal-sense errors included (a draft may be tested with those,
    never signed), raises :class:`~protocolkit.errors.ProtocolValidationError` carrying them.

    Examples
    --------
    >>> import protocolkit
    >>> [f.code for f in check_for_signature(protocolkit.load(protocolkit.example_path("mash")))]
    []
    """
    from ..canonical import content_key

    key = (content_key(protocol), today or dt.date.today(), _files_read(protocol))
    if key not in _CHECKED:  # an export of every format asks some twenty times; a refusal is never kept
        _CHECKED.clear()
        _CHECKED[key] = _check_for_signature(protocol, today)
    return list(_CHECKED[key])


_CHECKED: dict[tuple, list[Finding]] = {}


def _files_read(protocol: Protocol) -> tuple:
    """What else the checks read: the protocol's files as loaded (findings carry their lines) and the
    files beside it (approvals, review marks, decision log, cases)."""
    from .render import _sidecars

    source = getattr(protocol, "_source", None)
    files = tuple((str(f.path), f.sha256) for f in source.files.values()) if source is not None else ()
    return files + _sidecars(protocol)


def _check_for_signature(protocol: Protocol, today: dt.date | None) -> list[Finding]:
    from ..canonical import ensure_exportable

    warnings = ensure_exportable(protocol)
    try:
        from ...model.readiness import require_ready_for_signature
    except ImportError:  # the draft-status readiness check is not in this version
        return warnings
    require_ready_for_signature(protocol, today=today)
    return warnings + _lifecycle_warnings(protocol, today)


def _lifecycle_warnings(protocol: Protocol, today: dt.date | None) -> list[Finding]:
    """The lifecycle points a reader of the agreement must see in its front matter: the review date
    is near (PK402), a partner that shares has not signed an agreed version (PK403). Content edited
    after signing (PK401) is an error and refuses the export."""
    from ...errors import ProtocolValidationError
    from ...lifecycle.status import lifecycle_findings

    findings = lifecycle_findings(protocol, today=today)
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if errors:
        raise ProtocolValidationError(errors)
    return findings
