"""The protocol: one agreement, as the files hold it.

A protocol folder has a ``protocol.yaml``; a large protocol may move any list
section (partners, rules, ...) into further YAML files that ``protocol.yaml``
names under ``include``. Vocabulary sections *extend* the shipped defaults
(an entry with a default's id replaces it), except ``stages``, which replaces
the default stages when given, because their order is the protocol's own.

Use :func:`protocolkit.load` to read one and :func:`protocolkit.save` to write it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr

from .entities import (
    DataCategory, Fact, LawfulBasis, Metadata, NeedToKnow, ObligationType, OutsideParty, Partner,
    PartnerKind, Purpose, Stage, Statement, SubjectRole,
)
from .constraints import FactConstraint
from .defaults import Default
from .governance import Governance
from .guarantees import Guarantee
from .keys import Model, quiet_defaults
from .rules import Fallback, Rule

#: Sections that hold lists of entries with an ``id``, in the order files list them.
LIST_SECTIONS: tuple[str, ...] = (
    "partner_kinds", "partners", "outside", "subjects", "categories", "stages", "purposes", "facts", "fact_constraints",
    "obligation_types", "lawful_bases", "defaults", "rules", "fallbacks", "need_to_know", "retention", "security", "guarantees",
)


class Protocol(Model):
    """An information sharing protocol: metadata, partners, vocabularies and rules.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> p.metadata.status
    'draft'
    >>> p.rule("R-REF-01").outcome
    'share'
    """

    metadata: Metadata = Field(description="Title, version, status, owner, dates and signatories.")
    include: list[str] = Field(
        default_factory=list,
        description="Further YAML files (relative to this one) whose sections are added to this protocol.",
    )
    partner_kinds: list[PartnerKind] = Field(default_factory=list, description="Kinds added to the shipped ones.")
    partners: list[Partner] = Field(default_factory=list, description="The partner organisations and teams.")
    outside: list[OutsideParty] = Field(
        default_factory=list,
        description="Parties outside the partnership requests may name: a kind on its own (organisation, "
                    "data_subject, family_member, public) or a named party of a kind.")
    subjects: list[SubjectRole] = Field(
        default_factory=list,
        description="The roles a data subject can have (child, parent, victim, alleged perpetrator...): whose "
                    "information a request is about; see docs/semantics.md section 16.")
    categories: list[DataCategory] = Field(default_factory=list, description="Data categories added to the shipped tree.")
    stages: list[Stage] = Field(default_factory=list, description="The case stages in order (replaces the defaults when given).")
    purposes: list[Purpose] = Field(default_factory=list, description="Purposes added to the shipped ones.")
    facts: list[Fact] = Field(default_factory=list, description="Facts added to the shipped ones.")
    fact_constraints: list[FactConstraint] = Field(
        default_factory=list,
        description="Combinations of fact values no case can have (implies, excludes); see docs/semantics.md section 11.")
    obligation_types: list[ObligationType] = Field(default_factory=list, description="Obligation types added to the shipped ones.")
    lawful_bases: list[LawfulBasis] = Field(default_factory=list, description="Local lawful bases added to the shipped taxonomy.")
    defaults: list[Default] = Field(
        default_factory=list,
        description="Lawful bases and obligations stated once for the protocol, a partner, a purpose or a flow "
                    "type, inherited by the rules inside it (docs/semantics.md section 18).")
    rules: list[Rule] = Field(default_factory=list, description="The sharing rules, in order.")
    fallbacks: list[Fallback] = Field(
        default_factory=list,
        description="Per purpose, what a request gets when no rule decides it (a gap, or a rule waiting on an "
                    "unknown fact); without one, such a request is a gap.")
    _quiet = quiet_defaults('fallbacks', 'outside', 'subjects', 'defaults')

    need_to_know: list[NeedToKnow] = Field(default_factory=list, description="Need-to-know profiles of recipients.")
    retention: list[Statement] = Field(
        default_factory=list, description="Retention statements: who keeps which categories, for how long.")
    governance: Governance = Field(
        default_factory=Governance, description="Who admits new partners; when the partner list was last reviewed.")
    security: list[Statement] = Field(default_factory=list, description="Security statements.")
    guarantees: list[Guarantee] = Field(
        default_factory=list, description="Properties the partnership promises, proven over every possible request.")

    _folder: Path | None = PrivateAttr(None)
    _source: Any = PrivateAttr(None)  # a loading.SourceMap, kept for saving and locating findings

    @property
    def folder(self) -> Path | None:
        """The folder the protocol was loaded from, or None for one built in memory."""
        return self._folder

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; ``KeyError`` naming close matches otherwise."""
        return _by_id(self.rules, rule_id, "rule")

    def fallback_for(self, purpose: str) -> Fallback | None:
        """The fallback that decides a purpose's undecided requests, or None."""
        for fallback in self.fallbacks:
            if fallback.purposes == "any" or purpose in fallback.purposes:
                return fallback
        return None

    def partner(self, partner_id: str) -> Partner:
        """The partner with this id; ``KeyError`` naming close matches otherwise."""
        return _by_id(self.partners, partner_id, "partner")


def _by_id(items: list, wanted: str, what: str):
    for item in items:
        if item.id == wanted:
            return item
    from difflib import get_close_matches

    close = get_close_matches(wanted, [i.id for i in items], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise KeyError(f"no {what} {wanted!r}{hint}")
