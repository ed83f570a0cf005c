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
    gaps included) gets an outcome in ``outcomes`` (if given), carries every
    obligation type in ``obligations`` (if given) and, with ``sharing``, is shared in one of those
    modes (``sharing: [required]``: the sender must share, a duty; a request not shared breaks it).
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
from .rules import ConditionValue, Outcome, SharingMode

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
    obligations: list[Key] = Field(default_factory=list, description="always: obligation types that must be present.")
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
        return list(self.outcomes) or ["share", "share_minimum"]


__all__ = ["Guarantee", "GuaranteeKind", "Outcome"]
