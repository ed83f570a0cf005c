"""The protocol's standing, at the top of the workbench: review date and signatures, in plain words with the fix.

A protocol past its review date, or within 60 days of it, is flagged (the same findings as
``protocolkit validate``: PK205 and PK402), and so is one whose signatures do not cover
every partner that sends or receives information under it (PK403), or whose content
changed after it was signed (PK401). Who has signed is read from ``approvals.yaml`` beside
the protocol (:func:`protocolkit.lifecycle.status.lifecycle`); working out who shares needs
the permitted flows, so that part is checked after the other views have updated, with a
visible "checking" line until it is known.
"""

from __future__ import annotations

import datetime as dt
from html import escape

import ipywidgets as widgets

from ..lifecycle.status import REVIEW_WARNING_DAYS
from ._text import STYLE, ident
from .reports import Snapshot
from .session import Session

BANNER_STYLE = """<style>
.pk-banner{border-radius:6px;padding:8px 14px;margin:4px 0 8px 0;line-height:1.4}
.pk-banner p{margin:2px 0}
.pk-banner-warning{background:#fff4e0;border-left:6px solid #e08214}
.pk-banner-error{background:#fde8e8;border-left:6px solid #b2182b}
.pk-banner-info{background:#eef4fb;border-left:6px solid #2166ac}
.pk-banner-checking{background:#f4f4f4;border-left:6px solid #999;color:#555}
</style>"""


def long_date(day: dt.date) -> str:
    """A date as people write it.

    Examples
    --------
    >>> long_date(dt.date(2027, 3, 1))
    '1 March 2027'
    """
    return f"{day.day} {day:%B %Y}"


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def review_date_notice(review_date: dt.date | None, today: dt.date) -> tuple[str, str] | None:
    """The review-date notice as (level, HTML), or None when the review is more than 60 days away.

    Examples
    --------
    >>> review_date_notice(dt.date(2027, 1, 10), dt.date(2026, 12, 1))[0]
    'warning'
    >>> review_date_notice(dt.date(2027, 6, 1), dt.date(2026, 12, 1)) is None
    True
    """
    if review_date is None:
        return None
    days = (review_date - today).days
    if days < 0:
        return "error", (
            f"<p><b>This protocol is overdue for review.</b> Its review date, {long_date(review_date)}, passed "
            f"{_days(-days)} ago, so the partnership can no longer show it still fits how partners work.</p>"
            "<p>To fix: hold the partnership's review, agree any changes, and set the next review date "
            f"(<i>review_date</i> in the protocol's metadata). {ident('PK205')}</p>")
    if days <= REVIEW_WARNING_DAYS:
        when = "today" if days == 0 else f"in {_days(days)}"
        return "warning", (
            f"<p><b>The review of this protocol is due {when}</b> ({long_date(review_date)}).</p>"
            "<p>To fix: book the partnership's review meeting before then, or agree a later date "
            f"(<i>review_date</i> in the protocol's metadata). {ident('PK402')}</p>")
    return None


def signature_notice(report, names: dict[str, str]) -> tuple[str, str] | None:
    """The signatures notice as (level, HTML), or None when every partner that shares has signed this version."""
    sign = ("Each organisation signs with <code>protocolkit sign PATH --name NAME --role ROLE "
            "--organisation PARTNER_ID</code>.")
    if report.edited_since_signed:
        return "error", (
            f"<p><b>This protocol was changed after it was signed.</b> It is marked {escape(report.status)}, "
            "but the signatures were given for earlier content, so they no longer cover it.</p>"
            "<p>To fix: set the status back to draft, raise the version, and collect the signatures again. "
            f"{sign} {ident('PK401')}</p>")
    if not report.unsigned:
        return None
    listed = ", ".join(escape(names.get(p, p)) for p in report.unsigned[:8])
    more = f" and {len(report.unsigned) - 8} more" if len(report.unsigned) > 8 else ""
    count = len(report.unsigned)
    partners = f"{count} partner{'s' if count != 1 else ''} that send{'s' if count == 1 else ''} or " \
               f"receive{'s' if count == 1 else ''} information under it"
    if report.status == "draft":  # expected of a draft: one short note (it sits above the workshop page too)
        first = ", ".join(escape(names.get(p, p)) for p in report.unsigned[:3])
        rest = f" and {count - 3} more" if count > 3 else ""
        return "info", (
            f"<p><b>Not signed yet.</b> This is a draft: {partners} "
            f"{'has' if count == 1 else 'have'} not signed version {escape(report.version)} ({first}{rest}). "
            f"When the partnership agrees it, each signs with <code>protocolkit sign</code>. {ident('PK403')}</p>")
    return "warning", (
        f"<p><b>Not every partner has signed.</b> Version {escape(report.version)} is {escape(report.status)}, "
        f"but {partners} {'has' if count == 1 else 'have'} not signed it: {listed}{more}.</p>"
        f"<p>To fix: {sign} {ident('PK403')}</p>")


def _box(level: str, html: str) -> str:
    return f"<div class='pk-banner pk-banner-{level}'>{html}</div>"


class StatusBanner(Snapshot, widgets.VBox):
    """Review date and signatures of the protocol open in a session, with what to do.

    Attributes
    ----------
    notices : dict
        ``{"review": level or None, "signatures": level or None or "checking"}``: what the banner shows.

    Examples
    --------
    >>> import datetime, protocolkit
    >>> from protocolkit.ui import Session
    >>> s = Session(protocolkit.example_path("mash"), background=False)
    >>> s.today = s.protocol.metadata.review_date - datetime.timedelta(days=30)
    >>> banner = StatusBanner(s)
    >>> banner.notices["review"]
    'warning'
    >>> "due in 30 days" in banner.review_html.value
    True
    """

    def __init__(self, session: Session):
        self.session = session
        self.review_html = widgets.HTML()
        self.signatures_html = widgets.HTML()
        self.notices: dict[str, str | None] = {"review": None, "signatures": None}
        session.on_change(lambda s, what: self.refresh())
        super().__init__([widgets.HTML(STYLE + BANNER_STYLE), self.review_html, self.signatures_html])
        self.add_class("pk-status-banner")
        self.refresh()

    def refresh(self) -> None:
        """Show the review date at once; check the signatures after the other views (they need the flows)."""
        meta = self.session.protocol.metadata
        notice = review_date_notice(meta.review_date, self.session.date)
        self.notices["review"] = notice[0] if notice else None
        self.review_html.value = _box(*notice) if notice else ""
        self.notices["signatures"] = "checking"
        self.signatures_html.value = _box("checking", "<p>Checking who has signed this version&hellip;</p>")
        self.session.later(self.session.lifecycle, self._show_signatures, self._failed)

    def _show_signatures(self, report) -> None:
        names = {p.id: p.name for p in self.session.protocol.partners}
        notice = signature_notice(report, names)
        self.notices["signatures"] = notice[0] if notice else None
        self.signatures_html.value = _box(*notice) if notice else ""

    def _failed(self, exc: Exception) -> None:
        self.notices["signatures"] = "error"
        self.signatures_html.value = _box("error", f"<p>Could not check the signatures: {escape(str(exc))}</p>")


__all__ = ["StatusBanner", "long_date", "review_date_notice", "signature_notice"]
