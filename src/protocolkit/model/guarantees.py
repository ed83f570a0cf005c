"""Guarantees: what a partnership promises can never (or must always) happen, whatever the facts.

A guarantee is declared in the same vocabulary as rules: a scope (from, to,
categories, stages, purposes) and a fact pattern (``when``), plus what is
promised about every request in it. :mod:`protocolkit.engine.guarantees`
checks each one exactly over every possible request.

Kinds
-----
never
    No request in scope gets one of ``outcomes`` (default: share or share_minimum).
always
    Every request in scope whose outcome is in ``when_outcome`` (default: any outcome,
    gaps included) gets an outcome in ``outcomes`` (if given) and carries every
    obligation in ``obligations`` (if given). An obligation there is its type
    (``record_decision``: any obligation of that type meets it) or its type with a
    ``timing`` and a deadline (``{record_decision: {timing: after, within: PT24H}}``):
    met only by an obligation of that type done at that time, with a deadline from
    the same event no longer than it (:func:`obligation_meets`,
    ``docs/semantics.md`` section 17).
    With ``sharing``, it is shared in one of those modes (``sharing: [required]``: the sender
    must share, a duty; a request not shared breaks it).
only_via
    A request in scope that is shared comes from a sender in ``via``, or carries the
    obligation ``unless_obligation`` (default: the owning agency's agreement).
need_to_know
    No request in scope is shared beyond the recipient's need-to-know profile
    (``strict: true`` also counts a recipient with no profile as beyond it).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .entities import Selector
from .keys import DottedKey, FactKey, Key, Model, RuleId, quiet_defaults
from .outcomes import OutcomeOrGap
from .deadlines import NAMED_DURATIONS, _ISO, working_time
from .rules import ConditionValue, Obligation, ObligationValue, Outcome, SharingMode

GuaranteeKind = Literal["never", "always", "only_via", "need_to_know"]


class Guarantee(Model):
    """A property the protocol must have for every request in a scope."""

    id: RuleId = Field(description="Stable identifier, such as 'G1'.")
    kind: GuaranteeKind = Field(description="never, always, only_via or need_to_know.")
    statement: str = Field(description="The promise in plain English, as the agreement states it.")
    from_: Selector | Literal["any"] = Field("any", alias="from", description="Senders in scope.")
    to: Selector | Literal["any"] = Field("any", description="Recipients in scope.")
    categories: list[DottedKey] | Literal["any"] = Field("any", description="Categories in scope (with their children).")
    stages: list[Key] | Literal["any"] = Field("any", description="Stages in scope.")
    purposes: list[Key] | Literal["any"] = Field("any", description="Purposes in scope.")
    when: dict[FactKey, ConditionValue] = Field(default_factory=dict, description="Fact pattern in scope.")
    about: list[Key] | Literal["any"] = Field(
        "any", description="Whose data: the data subject roles in scope ('unstated': requests naming none).")
    _quiet = quiet_defaults("about", "sharing")
    outcomes: list[OutcomeOrGap] = Field(
        default_factory=list,
        description="never: outcomes that must not occur (default share, share_minimum); "
                    "always: the outcome must be one of these.")
    obligations: list[ObligationValue] = Field(
        default_factory=list,
        description="always: obligations that must be present: a type, or a type with a timing and a deadline "
                    "({record_decision: {timing: after, within: PT24H, from: disclosure}}).")
    sharing: list[SharingMode] = Field(
        default_factory=list,
        description="always: the request must be shared in one of these modes (required: a duty; permitted; "
                    "discretion); a request that is not shared breaks it.")
    when_outcome: list[OutcomeOrGap] = Field(
        default_factory=list, description="always: only requests with these outcomes are constrained.")
    via: Selector | None = Field(None, description="only_via: the senders allowed.")
    unless_obligation: Key = Field(
        "owner_agreement_before_onward_disclosure", description="only_via: an obligation that also makes a share acceptable.")
    strict: bool = Field(False, description="need_to_know: count a recipient with no profile as beyond it.")
    rationale: str | None = Field(None, description="Why the partnership promises it.")

    @model_validator(mode="after")
    def _complete(self) -> "Guarantee":
        if self.kind == "always" and not self.outcomes and not self.obligations and not self.sharing:
            raise ValueError("an 'always' guarantee must name 'outcomes', 'obligations' or 'sharing'")
        if self.sharing and self.kind != "always":
            raise ValueError(f"'sharing' belongs to 'always' guarantees (this one is '{self.kind}'): write kind: always")
        if self.kind == "only_via" and self.via is None:
            raise ValueError("an 'only_via' guarantee must name the allowed senders in 'via'")
        return self

    def forbidden_outcomes(self) -> list[str]:
        """For ``never``: the outcomes that must not occur."""
        return list(self.outcomes) or [Outcome.SHARE.value, Outcome.SHARE_MINIMUM.value]


def _working_day_rank(value: str) -> float | None:
    """Where a deadline counted in working days falls: the same working day (0.5), N working days (N), the end of
    the next working day (1.5); None for anything else."""
    if value == "same_working_day":
        return 0.5
    if value == "next_working_day":
        return 1.5
    working = working_time(value)
    return float(working[0]) if working and working[1] == "day" else None


def duration_at_most(duration: str, limit: str) -> bool:
    """Whether a deadline of ``duration`` is certainly no longer than one of ``limit``.

    ISO 8601 durations compare part by part: the months (a year as 12) and the fixed length
    (weeks, days, hours, minutes, seconds) must each be no longer, since a month's length
    varies (``P1D`` is not shown to be within ``P1M``). Working days compare with each other:
    ``same_working_day`` is no longer than ``1_working_day``, which is no longer than
    ``next_working_day`` (the end of the next working day), which is no longer than
    ``2_working_days``. Working hours compare with working hours only (how many make a working
    day is the partnership's own). Working time and clock time never compare (a working day is
    not a fixed number of hours, and a weekend is not worked); ``next_school_day`` and
    ``date_set`` meet only themselves.

    Examples
    --------
    >>> duration_at_most("PT4H", "PT24H"), duration_at_most("P2D", "PT24H"), duration_at_most("P1D", "PT24H")
    (True, False, True)
    >>> duration_at_most("same_working_day", "next_working_day"), duration_at_most("same_working_day", "PT24H")
    (True, False)
    >>> duration_at_most("1_working_day", "next_working_day"), duration_at_most("next_working_day", "1_working_day")
    (True, False)
    >>> duration_at_most("4_working_hours", "24_working_hours"), duration_at_most("4_working_hours", "PT24H")
    (True, False)
    """
    if duration == limit:
        return True
    days_a, days_b = _working_day_rank(duration), _working_day_rank(limit)
    if days_a is not None or days_b is not None:
        return days_a is not None and days_b is not None and days_a <= days_b
    hours_a, hours_b = working_time(duration), working_time(limit)
    if hours_a is not None or hours_b is not None:
        return hours_a is not None and hours_b is not None and hours_a[0] <= hours_b[0]
    if duration in NAMED_DURATIONS or limit in NAMED_DURATIONS:
        return False
    a, b = _ISO.match(duration), _ISO.match(limit)
    if not a or not b:
        return False
    def parts(m):
        years, months, weeks, days, hours, minutes, seconds = (int(g or 0) for g in m.groups())
        return years * 12 + months, ((weeks * 7 + days) * 24 + hours) * 3600 + minutes * 60 + seconds
    (months_a, seconds_a), (months_b, seconds_b) = parts(a), parts(b)
    return months_a <= months_b and seconds_a <= seconds_b


def obligation_meets(obligation: Obligation, required: Obligation) -> bool:
    """Whether an obligation a decision carries meets what a guarantee requires (``docs/semantics.md`` section 17).

    Of the same type; if ``required`` names a ``timing``, done at that time; if it names a
    deadline, carrying a deadline from the same event that is no longer
    (:func:`duration_at_most`). A bare type is met by any obligation of that type.

    Examples
    --------
    >>> carried = Obligation.model_validate({"record_decision": {"timing": "after", "within": "PT4H"}})
    >>> need = Obligation.model_validate({"record_decision": {"timing": "after", "within": "PT24H"}})
    >>> obligation_meets(carried, need), obligation_meets(Obligation.model_validate("record_decision"), need)
    (True, False)
    >>> obligation_meets(carried, Obligation.model_validate({"record_decision": {"timing": "before"}}))
    False
    """
    if obligation.type != required.type:
        return False
    if required.timing is not None and obligation.timing != required.timing:
        return False
    if required.within is not None:
        return (obligation.within is not None and obligation.from_ == required.from_
                and duration_at_most(obligation.within, required.within))
    return True


__all__ = ["Guarantee", "GuaranteeKind", "Outcome", "duration_at_most", "obligation_meets"]
