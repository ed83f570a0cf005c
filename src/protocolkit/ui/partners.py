"""Partners and data: add and edit partners, partner kinds and data categories, checked as typed.

Three forms in tabs, one per section. Each shows the findings ``protocolkit validate``
would report for the entry being typed (the same codes), and applies it as one
undoable edit of the session.
"""

from __future__ import annotations

import ipywidgets as widgets

from ._forms import EntryForm, Field
from .session import Session
from .reports import Snapshot

ROLES = [("Controller", "controller"), ("Joint controller", "joint_controller"), ("Processor", "processor"),
         ("Not a controller (a meeting)", "not_a_controller")]

#: Whether a partner is a meeting or forum rather than an organisation (``meeting``; None: as its kind says).
MEETING = [("As its kind says", None),
           ("Yes: a meeting or forum with no legal personality, such as a MARAC", True),
           ("No: an organisation, whatever its name suggests", False)]


def _kinds(session: Session) -> list:
    return sorted(((f"{k.label} ({k.id})", k.id) for k in session.vocabulary.kinds.values()), key=lambda o: o[0].lower())


def _optional_kinds(session: Session) -> list:
    return [("(none)", None), *_kinds(session)]


def _partners(session: Session) -> list:
    return [("(none)", None)] + [(f"{p.name} ({p.id})", p.id) for p in session.protocol.partners]


def _categories(session: Session) -> list:
    return [("(none: its dotted id names its parent)", None)] + sorted(
        (f"{c.label} ({c.id})", c.id) for c in session.vocabulary.categories.values())


def _bases(session: Session) -> list[str]:
    return sorted(session.vocabulary.lawful_bases)


class PartnerForm(EntryForm):
    section, noun = "partners", "partner"

    def __init__(self, session: Session):
        super().__init__(session, [
            Field("id", "Partner id", help="lower case, no spaces, such as 'riverside_academy'"),
            Field("name", "Name", help="As it appears in the agreement"),
            Field("kind", "Kind", "dropdown", _kinds, default="police"),
            Field("part_of", "Part of", "dropdown", _partners, help="The organisation this team belongs to"),
            Field("controller_role", "Role under UK GDPR", "dropdown", lambda s: ROLES, default="controller"),
            Field("meeting", "A meeting or forum", "dropdown", lambda s: MEETING),
            Field("legal_entity", "Legal entity", help="the council or NHS trust it is a service of, when that body "
                                                      "is not a partner itself, such as 'eastmoor_council'"),
            Field("statutory_powers", "Statutory powers", "tags", _bases),
            Field("description", "What it does", "textarea"),
        ], intro=("<p>The organisations and teams that share or receive information. A meeting or forum "
                  "(a MARAC) has no legal personality, so it is never a controller; services of one council "
                  "or trust that are not part of a partner here name it as their legal entity.</p>"))

    def concerns(self, finding, data):
        # services declaring one legal entity but recorded as separate controllers: the warning is on the rule
        # between them (PK226), and it is this partner's declaration that the fix changes
        entity = data.get("legal_entity")
        return super().concerns(finding, data) or bool(
            entity and finding.code == "PK226" and f"services of {entity} " in finding.message)


class KindForm(EntryForm):
    section, noun = "partner_kinds", "partner kind"

    def __init__(self, session: Session):
        super().__init__(session, [
            Field("id", "Kind id", help="lower case, no spaces, such as 'youth_justice'"),
            Field("label", "Name"),
            Field("parent", "Broader kind", "dropdown", _optional_kinds),
            Field("public_body", "A public authority", "checkbox", default=True),
            Field("meeting", "A meeting or forum (such as a MARAC), never a controller", "checkbox"),
        ], intro=("<p>Kinds this protocol adds to the shipped list (police, school, gp, ...). "
                  "Rules can name a kind to cover every partner of it.</p>"))

    def to_entry(self, values):
        return {**values, "meeting": values["meeting"] or None}  # not a meeting is the default: nothing written


class CategoryForm(EntryForm):
    section, noun = "categories", "data category"

    def __init__(self, session: Session):
        super().__init__(session, [
            Field("id", "Category id", help="broader category first, such as 'health.mental_health'"),
            Field("label", "Name"),
            Field("parent", "Parent", "dropdown", _categories),
            Field("description", "What it holds", "textarea"),
            Field("special_category", "Special category (UK GDPR Art 9)", "checkbox"),
            Field("criminal_offence", "Criminal offence data (UK GDPR Art 10)", "checkbox"),
        ], intro=("<p>Data categories this protocol adds to the shipped tree. A category covers its "
                  "children: <code>health</code> covers <code>health.mental_health</code>.</p>"))

    def to_entry(self, values):
        return {**values, "special_category": values["special_category"] or None,
                "criminal_offence": values["criminal_offence"] or None}


class PartnersEditor(Snapshot, widgets.Tab):
    """Partners, partner kinds and data categories, each in its own tab.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.ui import Session, PartnersEditor
    >>> editor = PartnersEditor(Session(protocolkit.example_path("mash")))
    >>> editor.partners.inputs["name"].value = ""
    >>> [f.code for f in editor.partners.findings][:1]
    ['PK103']
    """

    def __init__(self, session: Session):
        self.session = session
        self.partners = PartnerForm(session)
        self.kinds = KindForm(session)
        self.categories = CategoryForm(session)
        super().__init__([self.partners, self.kinds, self.categories])
        for i, title in enumerate(("Partners", "Partner kinds", "Data categories")):
            self.set_title(i, title)
        self.add_class("pk-partners")


__all__ = ["PartnersEditor"]
