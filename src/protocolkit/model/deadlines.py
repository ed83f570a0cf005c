"""Deadlines as data: a duration and the event it runs from (``docs/semantics.md`` section 17).

A duration is one of:

- an ISO 8601 duration (``PT24H``, ``P1D``, ``PT4H``, ``P5D``): clock time, nights and weekends included;
- working time counted (``4_working_hours``, ``1_working_day``, ``5_working_days``), which ISO 8601
  cannot say: the partnership's working hours and days, not the clock;
- a named point that working practice uses (``same_working_day``, ``next_working_day``,
  ``next_school_day``), or ``date_set``: by the date the event itself sets (a statutory notice).

The event it runs from (the *trigger*) is one of :data:`TRIGGERS`.

Examples
--------
>>> describe_deadline("PT24H", "disclosure")
'within 24 hours of the disclosure'
>>> describe_deadline("same_working_day", "referral_received")
'on the same working day as receipt of the referral'
>>> describe_deadline("4_working_hours", "request")
'within 4 working hours of the request'
>>> describe_deadline("next_school_day", "incident")
'before the start of the next school day after the incident'
>>> describe_deadline("date_set", "notice")
'by the date the notice sets'
>>> suggest_deadline("within 4 working hours")
('4_working_hours', None)
"""

from __future__ import annotations

import re

#: Named durations: working practice that ISO 8601 cannot say, and how they read.
NAMED_DURATIONS: dict[str, str] = {
    "same_working_day": "on the same working day as {event}",
    "next_working_day": "by the end of the next working day after {event}",
    "next_school_day": "before the start of the next school day after {event}",
    "date_set": "by the date {event} sets",
}

#: Working time counted: ``4_working_hours``, ``1_working_day``, ``5_working_days`` (a count of 1 or more).
WORKING_TIME = re.compile(r"^([1-9]\d*)_working_(hour|day)s?$")
#: The same, as a JSON Schema / regular expression fragment (no anchors).
WORKING_TIME_PATTERN = r"[1-9]\d*_working_(hour|day)s?"

#: The events a deadline can run from, and how they read.
TRIGGERS: dict[str, str] = {
    "disclosure": "the disclosure",
    "request": "the request",
    "referral_received": "receipt of the referral",
    "decision": "the decision",
    "incident": "the incident",
    "notice": "the notice",
}

#: When an obligation is carried out, relative to the disclosure it is attached to.
TIMINGS: dict[str, str] = {
    "before": "before the disclosure",
    "after": "after the disclosure",
}

_ISO = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_UNITS = ("year", "month", "week", "day", "hour", "minute", "second")


def working_time(value: str) -> tuple[int, str] | None:
    """The count and unit (``hour`` or ``day``) of a working-time duration, or None.

    Examples
    --------
    >>> working_time("4_working_hours"), working_time("1_working_day"), working_time("PT4H")
    ((4, 'hour'), (1, 'day'), None)
    """
    match = WORKING_TIME.match(value)
    return (int(match.group(1)), match.group(2)) if match else None


def is_iso_duration(value: str) -> bool:
    """Whether ``value`` is an ISO 8601 duration (clock time), not working time or a named point."""
    return bool(_ISO.match(value))


def check_duration(value: str) -> str:
    """``value`` if it is an ISO 8601 duration, working time or a named one; ``ValueError`` with the fix otherwise.

    Examples
    --------
    >>> check_duration("P1D"), check_duration("24_working_hours")
    ('P1D', '24_working_hours')
    >>> check_duration("24 hours")
    Traceback (most recent call last):
    ...
    ValueError: '24 hours' is not a duration: write an ISO 8601 duration such as PT24H (24 hours), P1D (1 day) or PT4H, working time such as 4_working_hours or 5_working_days, or one of same_working_day, next_working_day, next_school_day, date_set
    """
    if value in NAMED_DURATIONS or _ISO.match(value) or WORKING_TIME.match(value):
        return value
    raise ValueError(f"{value!r} is not a duration: write an ISO 8601 duration such as PT24H (24 hours), P1D (1 day) "
                     f"or PT4H, working time such as 4_working_hours or 5_working_days, or one of "
                     f"{', '.join(NAMED_DURATIONS)}")


def duration_words(value: str) -> str:
    """An ISO 8601 duration in words (``PT24H`` -> ``24 hours``); a named duration as its id in words.

    Examples
    --------
    >>> duration_words("P1DT12H")
    '1 day 12 hours'
    """
    working = working_time(value)
    if working:
        count, unit = working
        return f"{count} working {unit}{'' if count == 1 else 's'}"
    match = _ISO.match(value)
    if not match:
        return value.replace("_", " ")
    parts = [f"{int(n)} {unit}{'' if int(n) == 1 else 's'}" for n, unit in zip(match.groups(), _UNITS) if n]
    return " ".join(parts)


def duration_hours(value: str) -> float | None:
    """How many hours an ISO 8601 duration of days, hours and minutes is (None for years, months or a named one).

    Examples
    --------
    >>> duration_hours("P1D"), duration_hours("PT90M"), duration_hours("same_working_day")
    (24.0, 1.5, None)
    """
    match = _ISO.match(value)
    if not match or match.group(1) or match.group(2):
        return None
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups()[2:])
    return weeks * 168 + days * 24 + hours + minutes / 60 + seconds / 3600


def describe_deadline(within: str, trigger: str) -> str:
    """A deadline in plain English: ``within 24 hours of the disclosure``."""
    event = TRIGGERS.get(trigger, trigger.replace("_", " "))
    if within in NAMED_DURATIONS:
        return NAMED_DURATIONS[within].format(event=event)
    return f"within {duration_words(within)} of {event}"


_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10, "twelve": 12}
_FREE = re.compile(r"\bwithin\s+(\d+|one|two|three|four|five|six|seven|ten|twelve)\s+(?:working\s+)?(hour|day|week)s?\b",
                   re.IGNORECASE)


def suggest_deadline(text: str) -> tuple[str, str | None] | None:
    """For a free-text deadline, the duration (and trigger, where the text names one) it most likely means.

    Only simple wordings are read (``within 4 working hours``, ``the same working day``, ``within 24
    hours of the incident``); None when the text says something the data cannot hold as it stands.

    Examples
    --------
    >>> suggest_deadline("the same working day")
    ('same_working_day', None)
    >>> suggest_deadline("within 24 hours of the incident")
    ('PT24H', 'incident')
    >>> suggest_deadline("by the date the notice sets")
    ('date_set', 'notice')
    >>> suggest_deadline("as soon as reasonably practicable") is None
    True
    """
    lowered = text.lower()
    trigger = next((t for t, words in (("notice", "notice"), ("incident", "incident"),
                                       ("referral_received", "referral"),
                                       ("decision", "decision"), ("request", "request"),
                                       ("disclosure", "disclos")) if words in lowered), None)
    if "same working day" in lowered:
        return "same_working_day", trigger
    if "next working day" in lowered:
        return "next_working_day", trigger
    if "next school day" in lowered:
        return "next_school_day", trigger
    if "date" in lowered and " sets" in lowered:
        return "date_set", trigger
    match = _FREE.search(text)
    if not match:
        return None
    number = match.group(1).lower()
    count = _WORDS.get(number) or int(number)
    unit = match.group(2).lower()
    if "working" in match.group(0).lower() and unit in ("hour", "day"):
        return f"{count}_working_{unit}{'' if count == 1 else 's'}", trigger
    value = {"hour": f"PT{count}H", "day": f"P{count}D", "week": f"P{count}W"}[unit]
    return value, trigger


__all__ = ["NAMED_DURATIONS", "TIMINGS", "TRIGGERS", "WORKING_TIME", "WORKING_TIME_PATTERN", "check_duration",
           "describe_deadline", "duration_hours", "duration_words", "is_iso_duration", "suggest_deadline",
           "working_time"]
