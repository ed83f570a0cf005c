"""The nouns of a protocol: metadata, partners, vocabularies, profiles and statements.

Pure declarations: every field documents itself (its description appears in the
published JSON Schema) and validation here is only about one entry's own shape.
Cross-references (a rule naming a partner, a category naming its parent) are
checked in :mod:`protocolkit.model.checks`, which sees the whole protocol.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, model_validator

from .keys import ANY, BasisId, DottedKey, Key, Model, UNKNOWN, quiet_defaults

Status = Literal["draft", "agreed", "published"]
#: ``not_a_controller``: a meeting or forum with no legal personality (a MARAC), whose records a named body keeps.
ControllerRole = Literal["controller", "joint_controller", "processor", "not_a_controller"]


class Signatory(Model):
    """A person who signs the agreement for a partner."""

    name: str = Field(description="The signatory's name (synthetic in examples).")
    role: str = Field(description="Their role, such as 'Director of Children's Services'.")
    organisation: str = Field(description="The partner id or organisation name they sign for.")


class Metadata(Model):
    """What the agreement is, who owns it and where it is in its life."""

    id: Key = Field(description="Short identifier of the protocol, used in file names and exports.")
    title: str = Field(description="The agreement's title as it appears on the cover.")
    version: str = Field(description="Version label, such as '1.2'.")
    status: Status = Field("draft", description="draft, agreed (signed) or published.")
    owner: str = Field(description="The partner id or role that owns and reviews the agreement.")
    effective_date: dt.date | None = Field(None, description="The date the agreement takes effect.")
    review_date: dt.date | None = Field(None, description="The date by which it must be reviewed.")
    summary: str | None = Field(None, description="One paragraph on what the partnership shares and why.")
    signatories: list[Signatory] = Field(default_factory=list, description="Who signs, for which partner.")


class Contact(Model):
    """A named contact at a partner (synthetic in examples)."""

    name: str = Field(description="Name or role title.")
    email: str | None = Field(None, description="Address for this contact.")
    phone: str | None = Field(None, description="Telephone number.")


class Contacts(Model):
    """A partner's governance contacts."""

    dpo: Contact | None = Field(None, description="Data protection officer.")
    caldicott_guardian: Contact | None = Field(None, description="Caldicott guardian (health and social care).")
    designated_safeguarding_lead: Contact | None = Field(None, description="Designated safeguarding lead.")
    single_point_of_contact: Contact | None = Field(None, description="Single point of contact for sharing requests.")


class PartnerKind(Model):
    """A kind of organisation or team; kinds form a tree (``gp`` is a kind of ``health``)."""

    id: Key = Field(description="The kind's id, such as 'police' or 'health_visiting'.")
    label: str = Field(description="Plain-English name.")
    parent: Key | None = Field(None, description="The broader kind this one belongs to.")
    public_body: bool = Field(True, description="Whether organisations of this kind are public authorities.")
    competent_authority: bool = Field(
        False, description="Whether organisations of this kind are competent authorities (DPA 2018 s30, Sch 7).")
    meeting: bool = Field(
        False, description="Whether this kind is a multi-agency meeting or forum (a MARAC, a MAPPA meeting) rather "
                           "than an organisation: a meeting has no legal personality, so it is never a controller.")
    _quiet = quiet_defaults("competent_authority", "meeting")


class Partner(Model):
    """An organisation, or a team or role inside one, that shares or receives information."""

    id: Key = Field(description="The partner's id, used in rules and cases.")
    name: str = Field(description="The partner's name as it appears in the agreement.")
    kind: Key = Field(description="Its kind, from the partner kinds (police, school, gp, ...).")
    part_of: Key | None = Field(
        None, description="The partner this team or role belongs to; rules on the parent cover it."
    )
    controller_role: ControllerRole = Field("controller", description="Its role under UK GDPR.")
    public_body: bool | None = Field(None, description="Override the kind's public-body flag.")
    competent_authority: bool | None = Field(
        None, description="Override the kind's competent-authority flag (DPA 2018 s30, Sch 7).")
    meeting: bool | None = Field(
        None, description="Override the kind's meeting flag: true for a meeting or forum with no legal personality "
                           "(a MARAC), false for an organisation whose name only sounds like one.")
    legal_entity: Key | None = Field(
        None, description="The legal person this partner is a service of, when that body is not itself a partner "
                          "(a council, an NHS trust): partners of one legal entity are one controller. Where the "
                          "body is a partner, write 'part_of' instead.")
    _quiet = quiet_defaults("competent_authority", "meeting", "legal_entity")
    statutory_powers: list[BasisId] = Field(
        default_factory=list, description="Statutory gateways it relies on to share (lawful basis ids)."
    )
    appropriate_policy_document: str | None = Field(
        None, description="Reference of its appropriate policy document (DPA 2018 Sch 1 Part 4), where it needs one."
    )
    contacts: Contacts = Field(default_factory=Contacts, description="Governance contacts.")
    description: str | None = Field(None, description="What the partner does in the partnership.")
    joined: dt.date | None = Field(None, description="The date the partner joined the partnership.")
    left: dt.date | None = Field(None, description="The date the partner left (or leaves) the partnership.")

    @model_validator(mode="after")
    def _dates_in_order(self) -> "Partner":
        if self.joined and self.left and self.left < self.joined:
            raise ValueError(f"'left' ({self.left}) is before 'joined' ({self.joined})")
        return self


OutsideKind = Literal["organisation", "data_subject", "family_member", "public"]

OUTSIDE_KIND_LABELS: dict[str, str] = {
    "organisation": "An organisation outside the partnership",
    "data_subject": "The person the information is about",
    "family_member": "A member of the person's family",
    "public": "A member of the public",
}


class OutsideParty(Model):
    """Someone outside the partnership a request may come from or go to, spoken of by kind.

    In YAML an entry is a kind on its own (``data_subject``: its id is the kind) or a mapping
    naming one such party (``{id: landlord, kind: organisation, label: A private landlord}``).
    Rules reach outside parties only by naming them under ``outside:`` (``any`` means any partner).

    Examples
    --------
    >>> OutsideParty.model_validate("data_subject").label
    'The person the information is about'
    >>> OutsideParty.model_validate({"id": "landlord", "kind": "organisation", "label": "A private landlord"}).kind
    'organisation'
    """

    id: Key = Field(description="How requests and rules name the party.")
    kind: OutsideKind = Field(description="organisation, data_subject, family_member or public.")
    label: str = Field(description="Plain-English name.")
    description: str | None = Field(None, description="Who this covers (a subject access request, a landlord...).")

    @model_validator(mode="before")
    @classmethod
    def _from_kind(cls, data: object) -> object:
        if isinstance(data, str):
            return {"id": data, "kind": data, "label": OUTSIDE_KIND_LABELS.get(data, data.replace("_", " "))}
        if isinstance(data, dict) and "id" in data and "kind" not in data and data["id"] in OUTSIDE_KIND_LABELS:
            data = {"kind": data["id"], **data}
        if isinstance(data, dict) and "label" not in data and "kind" in data:
            data = {**data, "label": OUTSIDE_KIND_LABELS.get(data["kind"], str(data.get("id")))}
        return data


class SubjectRole(Model):
    """A role a data subject can have in a case: whose information a request is about.

    Consent, "do not inform" and "protect this person's identity" belong to a person, not to
    the case: a request may name the role of the person its categories are about (``about:
    victim``), a rule may be limited to some roles, and a fact declared ``per_subject`` has a
    value for each role (``docs/semantics.md`` section 16).

    Examples
    --------
    >>> SubjectRole.model_validate({"id": "victim", "label": "The adult victim of domestic abuse"}).id
    'victim'
    """

    id: Key = Field(description="How requests, rules and facts name the role, such as 'victim' or 'child'.")
    label: str = Field(description="Plain-English name, read in explanations ('about the victim').")
    description: str | None = Field(None, description="Who has this role in a case.")
    dpv: str | None = Field(None, description="The W3C DPV data subject IRI, where one fits (such as dpv:Child).")
    facts: list[DottedKey] = Field(
        default_factory=list,
        description="Facts of the case (not per-subject) that describe this person's situation: the RAG rating "
                    "rates the child, the DASH risk the victim. A rule about another person's contact details "
                    "that decides on one of them is reported (PK228).")
    _quiet = quiet_defaults("facts")


class DataCategory(Model):
    """A category of personal data; categories form a tree by their dotted ids."""

    id: DottedKey = Field(description="Dotted id; its prefix is its parent unless 'parent' says otherwise.")
    label: str = Field(description="Plain-English name.")
    description: str | None = Field(None, description="What the category holds.")
    parent: DottedKey | None = Field(None, description="Explicit parent, for a category whose id is not dotted under it.")
    special_category: bool = Field(False, description="UK GDPR Art 9 special category data (inherited by children).")
    criminal_offence: bool = Field(False, description="UK GDPR Art 10 criminal offence data (inherited by children).")
    dpv: str | None = Field(None, description="The W3C DPV personal data IRI, where one fits.")


class Stage(Model):
    """A step of a case; stages are ordered as listed."""

    id: Key = Field(description="The stage's id.")
    label: str = Field(description="Plain-English name.")
    description: str | None = Field(None, description="What happens at this stage.")


class Purpose(Model):
    """Why a share happens."""

    id: Key = Field(description="The purpose's id.")
    label: str = Field(description="Plain-English name.")
    description: str | None = Field(None, description="What the purpose covers.")
    law_enforcement: bool = Field(
        False, description="A law enforcement purpose (DPA 2018 s31): a competent authority's sharing for it "
                           "is Part 3 processing.")
    _quiet = quiet_defaults("law_enforcement")
    dpv: str | None = Field(None, description="The W3C DPV purpose IRI, where one fits.")
    data_matching: bool = Field(
        False, description="Sharing for this purpose matches data from several sources (high risk: a DPIA is mandatory)."
    )
    dpia: str | None = Field(None, description="Reference of the DPIA that covers sharing for this purpose.")


class Fact(Model):
    """A named property of a case that rules may test, with its allowed values."""

    id: DottedKey = Field(description="The fact's id, such as 'consent' or 'household.other_adult_present'.")
    label: str = Field(description="Plain-English question the fact answers.")
    values: list[Key] = Field(min_length=1, description="Allowed values, lowest first when ordered.")
    ordered: bool = Field(False, description="Whether the values are ordered, so '>=' comparisons apply.")
    description: str | None = Field(None, description="How practitioners decide the value.")
    per_subject: bool = Field(
        False, description="The fact has a value for each data subject role (consent is a person's): a rule's "
                           "condition reads the value for the request's subject, or a role it names (consent@victim).")
    _quiet = quiet_defaults("per_subject")

    @model_validator(mode="after")
    def _values_distinct(self) -> "Fact":
        if UNKNOWN in self.values:
            raise ValueError(f"'{UNKNOWN}' is reserved for a fact a case does not state; remove it from values")
        if len(set(self.values)) != len(self.values):
            raise ValueError("fact values must be distinct")
        return self


class ObligationType(Model):
    """A kind of obligation a rule can attach to a share (record, inform, deadline, ...)."""

    id: Key = Field(description="The obligation's id, used in rules and case expectations.")
    label: str = Field(description="Plain-English description, read in explanations.")
    needs_detail: bool = Field(False, description="Whether a rule must say more (a deadline, a reason).")
    survives_override: bool = Field(
        False, description="Kept from an overridden sharing rule when the deciding rule shares too "
                           "(docs/semantics.md section 12).")


class LawfulBasis(Model):
    """An entry of the legal taxonomy: a lawful basis, condition, gateway or duty."""

    id: BasisId = Field(description="Identifier, such as 'UKGDPR.6.1.e' or 'CA1989.s47'.")
    label: str = Field(description="Plain-English name.")
    citation: str = Field(description="Formal citation.")
    kind: Literal[
        "art6", "art6_annex1", "art9", "art10", "dpa_sch1", "dpa_part3", "dpa_sch8",
        "dpa_exemption", "dpa_provision", "statutory_gateway", "common_law", "human_rights", "definition",
        "local",
    ] = Field(description="Which part of the law it belongs to ('definition': defines a term, grants nothing).")
    parent: BasisId | None = Field(None, description="A grouping entry it belongs to.")
    group: bool = Field(False, description="A heading that groups entries, not itself relied on.")
    dpv: str | None = Field(None, description="The W3C DPV IRI, where one exists.")
    verified: bool = Field(True, description="False where the source tags the point as unverified [K].")
    public_authority_may_rely: bool = Field(True, description="False for bases public authorities cannot use for their tasks.")
    art10_condition: bool = Field(False, description="A DPA 2018 Sch 1 condition usable for criminal offence data.")
    needs_appropriate_policy_document: bool = Field(False, description="Relying on it needs an appropriate policy document.")
    summary: str | None = Field(None, description="What it permits or requires, paraphrased.")
    source: str | None = Field(None, description="Where the entry was checked (legislation, guidance, domain notes).")
    note: str | None = Field(None, description="A caveat a reader must know, such as what is still unverified.")
    in_force: bool = Field(True, description="False for a provision not yet commenced.")
    basis_in_law: bool = Field(
        False, description="Can serve as the basis in law that Art 6(1)(c) or (e) needs (Art 6(3))."
    )
    senders: list[Key] = Field(
        default_factory=list, description="Partner kinds that may rely on it to share (empty: any kind)."
    )
    recipients: list[Key] = Field(
        default_factory=list, description="Partner kinds it lets information go to (empty: any kind)."
    )
    purposes: list[Key] = Field(default_factory=list, description="Purposes it serves (empty: any purpose).")
    requires: list[BasisId] = Field(
        default_factory=list,
        description="Entries one of which (or one under which) must be cited with it, such as the Sch 1 condition of Art 9(2)(g).",
    )
    requires_if_special: list[BasisId] = Field(
        default_factory=list,
        description="As 'requires', but only when special category (sensitive) data flows, such as Sch 8 for s35.",
    )
    only_without_consent: bool = Field(
        False, description="Applies only where consent is refused, cannot be sought or seeking it would prejudice the purpose."
    )
    no_policy_document_for_recipients: list[Key] = Field(
        default_factory=list,
        description="Recipient kinds for which no appropriate policy document is needed (Sch 1 para 10(2)).",
    )
    compels: bool = Field(
        False, description="A notice or order under it compels disclosure: answering is a legal obligation "
                           "(Art 6(1)(c)), not a discretion (SSAA 1992 s109B).",
    )
    _quiet = quiet_defaults("compels")


class Selector(Model):
    """Which partners a rule side or profile covers: by id, by kind, or ``any``."""

    partners: list[Key] = Field(default_factory=list, description="Partner ids (a partner covers its teams).")
    kinds: list[Key] = Field(default_factory=list, description="Partner kinds (a kind covers its sub-kinds).")
    outside: list[Key] = Field(
        default_factory=list,
        description="Parties outside the partnership: their ids or kinds (organisation, data_subject, "
                    "family_member, public). 'any' never covers them.")
    _quiet = quiet_defaults("outside")

    @model_validator(mode="after")
    def _not_empty(self) -> "Selector":
        if not self.partners and not self.kinds and not self.outside:
            raise ValueError(f"name at least one partner or kind (or an outside party), or write '{ANY}'")
        return self


class NeedToKnow(Model):
    """The categories a recipient needs at some stages for some purposes."""

    id: Key = Field(description="The profile's id.")
    recipient: Selector = Field(description="Who the profile is for.")
    stages: list[Key] | Literal["any"] = Field(description="Stages it applies to, or 'any'.")
    purposes: list[Key] | Literal["any"] = Field(description="Purposes it applies to, or 'any'.")
    categories: list[DottedKey] = Field(description="Categories needed (a category covers its children).")
    rationale: str | None = Field(None, description="Why the recipient needs them.")


class Statement(Model):
    """A retention or security statement for some partners or categories."""

    id: Key = Field(description="The statement's id.")
    partners: list[Key] | Literal["any"] = Field(ANY, description="Partners it applies to.")
    categories: list[DottedKey] | Literal["any"] = Field(ANY, description="Categories it applies to.")
    text: str = Field(description="The statement as it appears in the agreement.")
    period: str | None = Field(None, description="Retention period in words, such as '6 years after closure'.")
    duration: str | None = Field(
        None, description="Retention: how long the partners keep the categories, checkable, such as '6 years'.")
    after: str | None = Field(None, description="Retention: the event the duration runs from, such as 'case closure'.")

    @model_validator(mode="after")
    def _duration_readable(self) -> "Statement":
        if self.duration is not None:
            from .governance import duration_days

            duration_days(self.duration)
        return self
