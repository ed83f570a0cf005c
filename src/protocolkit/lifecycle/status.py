"""Where a protocol stands in its life: draft, agreed, published; who has signed; when it is due for review.

A protocol moves draft -> agreed -> published. It may be agreed only when it has no
errors and every partner that sends or receives information under it (a team counts
through the organisation it is part of) has a current approval, that is one given for
the content as it is now (:mod:`protocolkit.lifecycle.approvals`). Any later edit makes
every approval superseded: an agreed or published protocol edited after signing is an
error (PK401) until it is set back to draft as a new version and signed again.

Review dates: a date that has passed is reported by validation (PK205); one within 60
days is reported here (PK402), so the partnership can book the review in time.

This module reports and changes the status; it never signs (see ``approvals``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..errors import Finding, ProtocolError
from ..export.canonical import content_hash
from ..model import codes
from ..model.protocol import Protocol
from ..model.readiness import require_ready_for_signature
from ..model.vocabulary import Vocabulary
from .approvals import Approval, load_approvals

#: How many days before the review date the protocol is flagged.
REVIEW_WARNING_DAYS = 60

#: The moves the lifecycle allows.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("agreed",), "agreed": ("published", "draft"), "published": ("draft",),
}


@dataclass
class LifecycleReport:
    """A protocol's lifecycle state.

    Attributes
    ----------
    status, version, sha256 : str
        The protocol's status and version, and the content hash of it as it is now.
    current : list of Approval
        Approvals given for this content.
    superseded : list of Approval
        Approvals given for earlier content (kept as the change history).
    unsigned : list of str
        Partners that send or receive under the protocol and have no current approval,
        neither their own nor their organisation's.
    review_date : date or None
    days_to_review : int or None
        Negative once the date has passed.
    """

    status: str
    version: str
    sha256: str
    current: list[Approval] = field(default_factory=list)
    superseded: list[Approval] = field(default_factory=list)
    unsigned: list[str] = field(default_factory=list)
    review_date: dt.date | None = None
    days_to_review: int | None = None

    @property
    def edited_since_signed(self) -> bool:
        """Signed content was changed: an agreed or published protocol is then no longer what was signed."""
        return self.status != "draft" and not self.current

    @property
    def fully_signed(self) -> bool:
        """Every partner that sends or receives has a current approval."""
        return bool(self.current) and not self.unsigned

    def sentence(self) -> str:
        """One plain sentence on where the protocol stands."""
        if self.edited_since_signed:
            return (f"This protocol is marked {self.status}, but it was changed after it was signed: "
                    "it needs to go back to draft as a new version and be signed again.")
        if self.fully_signed:
            return f"Version {self.version} is {self.status} and signed for every partner that shares under it."
        signed = len({a.organisation for a in self.current})
        return (f"Version {self.version} is {self.status}; {_count(signed, 'organisation has', 'organisations have')} "
                f"signed this version and {_count(len(self.unsigned), 'partner', 'partners')} that share under it "
                f"{'has' if len(self.unsigned) == 1 else 'have'} not.")


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def lifecycle(protocol: Protocol, *, today: dt.date | None = None, partners: bool = True) -> LifecycleReport:
    """The lifecycle state of a protocol loaded from a folder.

    ``partners=False`` skips working out which sharing partners have not signed
    (it needs the permitted flows); ``unsigned`` is then empty.

    Examples
    --------
    >>> import datetime, protocolkit
    >>> report = lifecycle(protocolkit.load(protocolkit.example_path("mash")), today=datetime.date(2026, 11, 27))
    >>> report.status, report.current, report.fully_signed
    ('draft', [], False)
    >>> "police" in report.unsigned
    True
    """
    today = today or dt.date.today()
    sha = content_hash(protocol)
    approvals = load_approvals(protocol.folder) if protocol.folder is not None else []
    current = [a for a in approvals if a.is_current(sha)]
    review = protocol.metadata.review_date
    return LifecycleReport(
        status=protocol.metadata.status, version=protocol.metadata.version, sha256=sha, current=current,
        superseded=[a for a in approvals if not a.is_current(sha)],
        unsigned=_unsigned(protocol, {a.organisation for a in current}) if partners else [],
        review_date=review, days_to_review=(review - today).days if review else None)


def sharing_partners(protocol: Protocol) -> list[str]:
    """The partners that send or receive some information under the protocol, in protocol order.

    Read from the permitted flows, so it agrees with the engine.
    """
    from ..graph.flows import permitted_flows

    flows = permitted_flows(protocol)
    involved = set(flows["from"]) | set(flows["to"])
    return [p.id for p in protocol.partners if p.id in involved]


def _unsigned(protocol: Protocol, signed: set[str]) -> list[str]:
    vocabulary = Vocabulary.of(protocol)
    return [p for p in sharing_partners(protocol) if not signed & set(vocabulary.partner_ancestors(p))]


def lifecycle_findings(protocol: Protocol, *, today: dt.date | None = None) -> list[Finding]:
    """Findings about the lifecycle: edited after signing, review due soon, partners not signed.

    A draft is expected to be unsigned, so unsigned partners are reported only for an
    agreed or published protocol.

    Examples
    --------
    >>> import datetime, protocolkit
    >>> mash = protocolkit.load(protocolkit.example_path("mash"))
    >>> lifecycle_findings(mash, today=datetime.date(2026, 11, 27))
    []
    >>> [f.code for f in lifecycle_findings(mash, today=mash.metadata.review_date - datetime.timedelta(days=30))]
    ['PK402']
    """
    report = lifecycle(protocol, today=today, partners=protocol.metadata.status != "draft")
    source = getattr(protocol, "_source", None)

    def where(*path) -> dict:
        if source is None:
            return {}
        file, line, column = source.locate(path)
        return {"file": file, "line": line, "column": column, "key": ".".join(map(str, path))}

    findings = []
    if report.edited_since_signed:
        signed = sorted({a.version for a in report.superseded}) or ["none"]
        findings.append(codes.EDITED_SINCE_SIGNED.finding(
            f"the protocol is marked {report.status}, but its content changed after it was signed "
            f"(signed versions: {', '.join(signed)}); the signatures no longer cover it",
            "set 'status: draft', raise 'version', and collect the signatures again with 'protocolkit sign'",
            **where("metadata", "status")))
    if report.days_to_review is not None and 0 <= report.days_to_review <= REVIEW_WARNING_DAYS:
        findings.append(codes.REVIEW_DATE_NEAR.finding(
            f"the review date {report.review_date.isoformat()} is {report.days_to_review} days away",
            "book the partnership's review meeting before then, or agree a later date",
            **where("metadata", "review_date")))
    if report.unsigned:
        names = {p.id: p.name for p in protocol.partners}
        listed = ", ".join(f"{names[p]} ({p})" for p in report.unsigned[:8])
        more = f" and {len(report.unsigned) - 8} more" if len(report.unsigned) > 8 else ""
        findings.append(codes.UNSIGNED_PARTNER.finding(
            f"{len(report.unsigned)} partner(s) that send or receive information have not signed version "
            f"{report.version}: {listed}{more}",
            "each organisation signs with 'protocolkit sign PATH --name ... --role ... --organisation ID'",
            **where("metadata", "signatories")))
    return findings


def set_status(protocol: Protocol, status: str, *, today: dt.date | None = None) -> LifecycleReport:
    """Move a protocol to another status and save it (comments and layout kept).

    ``draft -> agreed`` needs a protocol with no errors, signed for every partner that
    shares under it; ``agreed -> published`` needs the agreed content unchanged; any
    status may go back to ``draft``.

    Raises
    ------
    ProtocolError
        When the move is not allowed, saying what is missing.
    """
    from ..model.saving import save

    current = protocol.metadata.status
    if status == current:
        return lifecycle(protocol, today=today)
    if status not in TRANSITIONS.get(current, ()):
        allowed = " or ".join(TRANSITIONS.get(current, ())) or "nothing"
        raise ProtocolError(f"a {current} protocol cannot become {status}; from {current} it can become {allowed}")
    if status in ("agreed", "published"):
        require_ready_for_signature(protocol, today=today)
        report = lifecycle(protocol, today=today)
        if not report.current:
            raise ProtocolError(f"nobody has signed version {report.version} as it is now; "
                                "each partner signs with 'protocolkit sign' first")
        if report.unsigned:
            raise ProtocolError(f"{len(report.unsigned)} partner(s) that share under the protocol have not signed "
                                f"this version: {', '.join(report.unsigned)}")
    protocol.metadata.status = status
    save(protocol)
    return lifecycle(protocol, today=today)
