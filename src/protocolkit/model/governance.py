"""Partnership governance: who admits new partners and when the list of partners was last reviewed.

Each partner's own dates (``joined``, ``left``) are on :class:`~protocolkit.model.entities.Partner`.
The documents print these; the review reads them (``docs/semantics.md`` section 14): a partner
past its end date that rules still let share or receive, and a partner list not reviewed within
the interval the partnership set.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field, field_validator

from .keys import Model

_DURATION = re.compile(r"^\s*(\d+)\s+(day|week|month|year)s?\s*$")
_ISO_DURATION = re.compile(r"^\s*P(\d+)([YMWD])\s*$")
_ISO_UNITS = {"Y": "year", "M": "month", "W": "week", "D": "day"}


def duration_days(text: str) -> int:
    """A duration such as ``6 years`` or ``30 days`` (or ISO 8601 ``P6Y``, ``P30D``) in days (a month is 30 days,
    a year 365).

    Examples
    --------
    >>> duration_days("6 years"), duration_days("1 month"), duration_days("P6Y")
    (2190, 30, 2190)
    """
    iso = _ISO_DURATION.match(text)
    match = _DURATION.match(text)
    if not match and not iso:
        raise ValueError(f"cannot read the duration {text!r}: write a number and a unit, such as '6 years', "
                         "'18 months', '12 weeks' or '30 days' (or ISO 8601: 'P6Y', 'P18M', 'P12W', 'P30D')")
    number, unit = (int(iso.group(1)), _ISO_UNITS[iso.group(2)]) if iso else (int(match.group(1)), match.group(2))
    return number * {"day": 1, "week": 7, "month": 30, "year": 365}[unit]


class Governance(Model):
    """How the partnership governs its membership."""

    admits_partners: str | None = Field(
        None, description="Who decides to admit a new partner, such as 'the MASH strategic board'.")
    partner_list_reviewed: dt.date | None = Field(None, description="When the list of partners was last reviewed.")
    review_interval: str = Field("1 year", description="How often the partner list is reviewed, such as '1 year'.")

    @field_validator("review_interval")
    @classmethod
    def _readable(cls, value: str) -> str:
        duration_days(value)
        return value


def retention_for(protocol, vocab, recipient: str, category: str) -> list:
    """The retention statements that cover a recipient (or an organisation it is part of) and a category
    (or one of its ancestors), in protocol order.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.model.vocabulary import Vocabulary
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> [s.id for s in retention_for(p, Vocabulary.of(p), "marac", "household.composition") if s.duration]
    ['partner_extracts']
    """
    holders = set(vocab.partner_ancestors(recipient))
    ancestors = set(vocab.category_ancestors(category))
    return [s for s in protocol.retention
            if (s.partners == "any" or holders & set(s.partners))
            and (s.categories == "any" or ancestors & set(s.categories))]


__all__ = ["Governance", "duration_days", "retention_for"]
