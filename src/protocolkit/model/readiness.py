"""Whether a protocol can be tested, and whether it can be signed: drafts may be tested before they are lawful.

A partnership writes a first draft before its lawyer adds the lawful bases. The
legal-sense checks (codes ``PK2xx``) then find errors, such as special category data
flowing without an Art 9 condition. What those errors block depends on the
protocol's ``metadata.status`` (``docs/semantics.md`` section 10):

- in ``draft``, they are *reported* (by ``validate``, ``review``, ``test`` and the
  workbench) but do **not** block loading, deciding, testing, proving or saving;
- in ``agreed`` or ``published``, they block loading, as every error does;
- they always block export for signature: an exporter calls
  :func:`require_ready_for_signature` before writing a document meant to be signed.

Structural errors (``PK1xx``) block everything in every status: a protocol whose
references do not resolve cannot be decided at all.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from ..errors import Finding, ProtocolValidationError, Severity
from .protocol import Protocol

#: The code prefix of the legal-sense checks.
LEGAL_SENSE_PREFIX = "PK2"

#: Statuses in which legal-sense errors block loading.
SIGNED_STATUSES = frozenset({"agreed", "published"})


def is_legal_sense(finding: Finding) -> bool:
    """Whether a finding comes from the legal-sense checks (``PK2xx``).

    Examples
    --------
    >>> from protocolkit.errors import Finding, Severity
    >>> is_legal_sense(Finding("PK201", Severity.ERROR, "no Art 9 condition"))
    True
    >>> is_legal_sense(Finding("PK110", Severity.ERROR, "unknown partner"))
    False
    """
    return finding.code.startswith(LEGAL_SENSE_PREFIX)


def blocking_findings(findings: Iterable[Finding], status: str) -> list[Finding]:
    """The findings that stop a protocol of this status loading (and being tested, proven or saved).

    Every error blocks, except a legal-sense error in a draft.

    Examples
    --------
    >>> from protocolkit.errors import Finding, Severity
    >>> art9 = Finding("PK201", Severity.ERROR, "special category data flows without an Art 9 condition")
    >>> [f.code for f in blocking_findings([art9], "draft")]
    []
    >>> [f.code for f in blocking_findings([art9], "agreed")]
    ['PK201']
    """
    return [f for f in findings if f.severity is Severity.ERROR
            and not (status not in SIGNED_STATUSES and is_legal_sense(f))]


def draft_only_errors(findings: Iterable[Finding], status: str) -> list[Finding]:
    """The errors a draft may carry while it is tested: legal-sense errors, in draft status only.

    Examples
    --------
    >>> from protocolkit.errors import Finding, Severity
    >>> art9 = Finding("PK201", Severity.ERROR, "special category data flows without an Art 9 condition")
    >>> [f.code for f in draft_only_errors([art9], "draft")], draft_only_errors([art9], "published")
    (['PK201'], [])
    """
    if status in SIGNED_STATUSES:
        return []
    return [f for f in findings if f.severity is Severity.ERROR and is_legal_sense(f)]


def signature_blockers(protocol: Protocol, *, today: dt.date | None = None) -> list[Finding]:
    """Every error that stops the protocol being agreed, published or exported for signature.

    Legal-sense errors count whatever the status. Findings are located in the protocol's
    files where it was loaded from a folder.

    Examples
    --------
    >>> import protocolkit
    >>> signature_blockers(protocolkit.load(protocolkit.example_path("mash")))
    []
    """
    from .checks import check_protocol

    source = getattr(protocol, "_source", None)
    locate = source.locate if source is not None else None
    return [f for f in check_protocol(protocol, locate=locate, today=today) if f.severity is Severity.ERROR]


class NotReadyForSignatureError(ProtocolValidationError):
    """The protocol has errors (legal-sense ones included) that must be fixed before it is signed."""


def require_ready_for_signature(protocol: Protocol, *, today: dt.date | None = None) -> None:
    """Raise :class:`NotReadyForSignatureError` with every blocking finding, or return quietly.

    Exports meant for signature (the agreement document, the signed bundle) call this first.

    Examples
    --------
    >>> import protocolkit
    >>> require_ready_for_signature(protocolkit.load(protocolkit.example_path("mash"))) is None
    True
    """
    blockers = signature_blockers(protocol, today=today)
    if blockers:
        raise NotReadyForSignatureError(blockers)


__all__ = [
    "LEGAL_SENSE_PREFIX", "NotReadyForSignatureError", "SIGNED_STATUSES", "blocking_findings",
    "draft_only_errors", "is_legal_sense", "require_ready_for_signature", "signature_blockers",
]
