"""Review patterns a validator can see: shapes of a protocol that a legal review of MASH work
has found wrong, each checked on the protocol as written.

Each check is one small function taking a :class:`~protocolkit.model.legal.Checker`; the
findings name the rule or partner, say why in plain English with the source, and give the fix.

PK222  a Gillick-competent young person's refusal overridden for their own confidential
       information, shared with a parent or relative (Hertfordshire consent exceptions).
PK223  contact details about one person gated on another person's facts (the victim's address
       on the alleged perpetrator's consent): HMG 2024 golden rule 5.
PK228  (warning) contact details about one person decided on a fact declared as describing another
       person (the victim's address on the child's RAG rating): HMG 2024 golden rule 5.
PK224  a rule at closure refusing a case transfer to or from another area's children's
       social care (Working Together 2023, transfers between authorities; unverified).
PK225  a partner declared a meeting (``meeting: true`` on it or its kind, such as a MARAC) recorded
       as a controller or joint controller: a meeting has no legal personality (UK GDPR Art 4(7);
       unverified).
PK226  partners declaring one legal entity (``legal_entity: eastmoor_council``) recorded as separate
       controllers that share with each other (ICO data sharing code: sharing inside one
       organisation is not data sharing).
PK227  (warning) the word-matching fallback of PK225 and PK226: a partner named like a meeting, or
       services named for one council, where the data says nothing; the fix declares the data.

None of this is legal advice: where a source is unverified the message says so
(:data:`~protocolkit.model.legal.UNVERIFIED`).
"""

from __future__ import annotations

import re

from . import codes
from .keys import ANY
from .entities import Selector
from .rules import SHARING_OUTCOMES, Condition, Rule

#: The kinds of a partner or outside party that are the child's family.
FAMILY_KINDS = {"family_member"}
#: A young person's own confidential information (the roots of the category tree checked by PK222).
CONFIDENTIAL_ROOTS = ("health", "risk.voice_of_the_child")
#: Facts whose values say the child is at risk of significant harm, which overrides a competent refusal
#: (HMG 2024 golden rule 3); a rule that needs one of them is not the pattern PK222 looks for.
RISK_OVERRIDES = {"risk": {"amber", "red"}, "significant_harm_suspected": {"yes"}, "danger_to_life": {"yes"}}
#: How PK227 guesses a multi-agency meeting that declares nothing: a kind (or a broader kind) whose id says so, or
#: a partner named for a MARAC or MAPPA meeting. PK225 itself reads the ``meeting`` flag of the partner or its kind.
MEETING_WORDS = re.compile(r"meeting|\bmarac\b|\bmappa\b|conference", re.IGNORECASE)
#: The council service kinds (PK226) and the kind of another area's children's social care (PK224).
COUNCIL_ROOT = "local_authority"
SOCIAL_CARE = "childrens_social_care"


def check_patterns(c) -> None:
    """Run every review-pattern check; findings go to ``c.add``."""
    for i, rule in enumerate(c.protocol.rules):
        if rule.outcome in SHARING_OUTCOMES:
            gillick_refusal_to_family(c, i, rule)
            contact_on_anothers_facts(c, i, rule)
            contact_on_anothers_rating(c, i, rule)
        elif rule.outcome == "refuse":
            closure_refuses_transfer(c, i, rule)
    meeting_as_controller(c)
    council_services_as_controllers(c)
    named_like_meeting_or_council(c)


def _allows(c, rule: Rule, fact: str, values: set[str]) -> bool:
    """Whether the rule can match a case where ``fact`` has one of ``values`` (True if it does not read it)."""
    entry = c.vocab.facts.get(fact)
    if entry is None or fact not in rule.when:
        return True
    try:
        return bool(set(Condition.parse(fact, rule.when[fact]).allowed(entry)) & values)
    except ValueError:
        return True


def _needs_one_of(c, rule: Rule, fact: str, values: set[str]) -> bool:
    """Whether the rule matches only where ``fact`` has one of ``values``."""
    entry = c.vocab.facts.get(fact)
    if entry is None or fact not in rule.when:
        return False
    try:
        return set(Condition.parse(fact, rule.when[fact]).allowed(entry)) <= values
    except ValueError:
        return False


def _under(c, categories, roots) -> list[str]:
    """The categories a rule covers that lie under one of ``roots`` (in the order the rule lists them)."""
    covered = c.vocab.categories_in(categories)
    return sorted(x for x in covered if any(x == r or x.startswith(f"{r}.") for r in roots))


# -- PK222 ------------------------------------------------------------------------------------

def gillick_refusal_to_family(c, i: int, rule: Rule) -> None:
    """A rule sharing a young person's own confidential information with a parent or relative that also applies
    when the young person is Gillick-competent and has refused, with nothing showing a risk of significant harm."""
    if "child_competent" not in c.vocab.facts or "young_person_consent" not in c.vocab.facts:
        return
    family = sorted(p for p in c.vocab.partners_in(rule.to)
                    if (p in c.vocab.outside and c.vocab.outside[p].kind in FAMILY_KINDS)
                    or (p in c.vocab.partners and c.vocab.partner_kinds(p) & FAMILY_KINDS))
    if not family or rule.about != ANY and not {"child", "young_person"} & set(rule.about):
        return
    confidential = _under(c, rule.categories, CONFIDENTIAL_ROOTS)
    if not confidential:
        return
    if not (_allows(c, rule, "child_competent", {"yes"}) and _allows(c, rule, "young_person_consent", {"refused"})):
        return
    if any(_needs_one_of(c, rule, fact, values) for fact, values in RISK_OVERRIDES.items()):
        return
    c.add(codes.GILLICK_TO_FAMILY, ("rules", i, "to"),
          f"rule {rule.id} shares a young person's own confidential information ({', '.join(confidential[:3])}"
          f"{' ...' if len(confidential) > 3 else ''}) with {', '.join(family)} even when the young person is "
          "Gillick-competent and has refused: a competent young person's refusal is the one that counts for "
          "their own information, even against a parent's view (Hertfordshire consent exceptions), unless they "
          "are at risk of significant harm (HMG 2024 golden rule 3)",
          "add 'young_person_consent: [given, not_sought]' (or 'child_competent: \"no\"') to 'when', or limit the "
          "rule to a risk of significant harm ('risk: \">= amber\"'), or to the parent's own data ('about: "
          "[parent]')")


# -- PK223 ------------------------------------------------------------------------------------

def contact_on_anothers_facts(c, i: int, rule: Rule) -> None:
    """A rule sharing contact details about named people that decides on another person's fact
    (``consent@alleged_perpetrator`` in a rule about the victim's address)."""
    if rule.about == ANY:
        return
    contact = _under(c, rule.categories, ("contact",))
    if not contact:
        return
    for fact in rule.when:
        plain, at, role = fact.partition("@")
        if not at or role in rule.about:
            continue
        label = (c.vocab.subjects or {}).get(role)
        whose = ", ".join(rule.about)
        c.add(codes.CONTACT_ON_ANOTHERS_FACTS, ("rules", i, "when", fact),
              f"rule {rule.id} shares contact details about {whose} ({', '.join(contact[:3])}) but decides on "
              f"{plain.replace('_', ' ')} of {label.label.lower() if label else role}: whether someone's address "
              "or telephone number goes turns on that person's facts, and a victim's whereabouts must be "
              "protected from anyone who could harm them (HMG 2024 golden rule 5)",
              f"read the fact of the person the data is about ('{plain}' or '{plain}@{rule.about[0]}'), or move "
              "the condition to a rule about that person's own data")


# -- PK228 ------------------------------------------------------------------------------------

def _fact_owners(c) -> dict[str, str]:
    """Each case-level fact declared as describing one data subject role (``subjects: [{id: child, facts:
    [risk]}]``), with that role."""
    return {fact: role.id for role in c.protocol.subjects for fact in role.facts}


def contact_on_anothers_rating(c, i: int, rule: Rule) -> None:
    """A rule sharing contact details about named people that decides on a fact declared as describing another
    person (the victim's address on the child's RAG rating), and on nothing of their own.

    PK223 covers per-subject facts read for another role (``consent@alleged_perpetrator``); this covers the
    facts that are not per subject but rate one person (a rating is the case's, declared as the child's). A
    rule that also reads a fact of the person the data is about (her DASH risk, her own consent) is left alone:
    the other person's rating only narrows it."""
    if rule.about == ANY:
        return
    contact = _under(c, rule.categories, ("contact",))
    owners = _fact_owners(c)
    if not contact or not owners:
        return
    about = set(rule.about)

    def own(fact: str) -> bool:
        plain, at, role = fact.partition("@")
        entry = c.vocab.facts.get(plain)
        if entry is not None and entry.per_subject:
            return not at or role in about
        return owners.get(plain) in about

    if any(own(fact) for fact in rule.when):
        return
    for fact in rule.when:
        role = owners.get(fact)
        if role is None or role in about:
            continue
        whose = " and ".join(c.vocab.subject_label(r).lower() for r in rule.about)
        theirs = sorted(f for f, r in owners.items() if r in about)
        c.add(codes.CONTACT_ON_ANOTHERS_RATING, ("rules", i, "when", fact),
              f"rule {rule.id} shares contact details about {whose} ({', '.join(contact[:3])}) but decides on a "
              f"fact that rates {c.vocab.subject_label(role).lower()}, not {whose}: \"{c.vocab.facts[fact].label}\" "
              f"({fact}). Whether someone's address or telephone number goes, and to whom, turns on the risk to "
              "that person, and their whereabouts are protected from anyone who could harm them (HMG 2024 golden "
              "rule 5)",
              (f"read {' or '.join(repr(f) for f in theirs)} (the risk to {whose}) in 'when'"
               if theirs else f"read a fact that rates the risk to {whose}") +
              f", or, if the details go for {c.vocab.subject_label(role).lower()}'s sake (they live at the "
              f"address), add '{role}' to 'about'")
        return


# -- PK224 ------------------------------------------------------------------------------------

def _organisation(c, partner: str) -> str:
    """The top-level organisation a partner belongs to (itself when it is part of nothing)."""
    ancestors = c.vocab.partner_ancestors(partner)
    return ancestors[-1] if ancestors else partner


def closure_refuses_transfer(c, i: int, rule: Rule) -> None:
    """A refusal at closure between children's social care of one area and that of another (a family moving
    out or in) that the transfer rules do not outrank: a sharing rule covers the pair at closure but the
    refusal, at the same or a higher priority, takes some of its categories (at equal priority a refusal
    wins, docs/semantics.md section 3); or the refusal names closure and no rule lets a case transfer
    between the two at any stage."""
    if "closure" not in c.vocab.stages_in(rule.stages):
        return
    if "family_moved_area" in c.vocab.facts and not _allows(c, rule, "family_moved_area", {"yes"}):
        return
    social_care = {p for p in c.vocab.partners if SOCIAL_CARE in c.vocab.partner_kinds(p)}
    senders = c.vocab.partners_in(rule.from_) & social_care
    recipients = c.vocab.partners_in(rule.to) & social_care
    refused = c.vocab.categories_in(rule.categories)
    for sender, recipient in sorted((s, r) for s in senders for r in recipients
                                    if _organisation(c, s) != _organisation(c, r)):
        transfers = [t for t in c.protocol.rules if t.outcome in SHARING_OUTCOMES
                     and "closure" in c.vocab.stages_in(t.stages) and sender in c.vocab.partners_in(t.from_)
                     and recipient in c.vocab.partners_in(t.to)]
        if transfers:
            beaten = [t for t in transfers if t.priority <= rule.priority
                      and c.vocab.categories_in(t.categories) & refused]
            if not beaten:
                continue
            why = (f"it outranks the transfer rule {beaten[0].id} "
                   f"(priority {rule.priority} against {beaten[0].priority})")
        elif rule.stages == ANY or any(t.outcome in SHARING_OUTCOMES and sender in c.vocab.partners_in(t.from_)
                                       and recipient in c.vocab.partners_in(t.to) for t in c.protocol.rules):
            continue  # a transfer handled at another stage (a transfer in arrives at intake, not at closure)
        else:
            why = "no rule lets a case transfer between them at any stage"
        c.add(codes.CLOSURE_REFUSES_TRANSFER, ("rules", i, "outcome"),
              f"rule {rule.id} refuses at closure what {c.vocab.label('partners', sender)} would send to "
              f"{c.vocab.label('partners', recipient)}, another area's children's social care, even when the "
              f"family has moved, and {why}: a case with a plan is transferred to the authority the family "
              "moves to, and the new authority asks the old one for the history (Working Together 2023, "
              "transfers between authorities; unverified legal point: check with your legal adviser)",
              "add 'family_moved_area: \"no\"' to 'when', or give the transfer rules, out and in, a higher "
              "priority than this refusal (with their lawful bases)")
        return


# -- PK225 ------------------------------------------------------------------------------------

def _recorded_controller(partner) -> bool:
    return partner.controller_role in ("controller", "joint_controller")


def meeting_as_controller(c) -> None:
    """A partner declared a meeting (``meeting: true`` on it or on its kind) recorded as a controller or joint
    controller. A meeting modelled as part of its host (``part_of``) is the host's, and is not reported."""
    for i, partner in enumerate(c.protocol.partners):
        if partner.part_of or not _recorded_controller(partner) or not c.vocab.is_meeting(partner.id):
            continue
        role = partner.controller_role.replace("_", " ")
        c.add(codes.MEETING_AS_CONTROLLER, ("partners", i, "controller_role"),
              f"{partner.name} is a meeting or forum but is recorded as a {role}: a meeting such as a MARAC has no "
              "legal personality, so it cannot be a controller or a joint controller; each agency stays the "
              "controller of what it brings, and the body that employs the co-ordinator keeps the minutes "
              "(UK GDPR Art 4(7); unverified legal point: check with your legal adviser)",
              "write 'controller_role: not_a_controller' and say in the description which organisation keeps "
              "the meeting's records")


def _meeting_by_name(c, partner) -> bool:
    """Whether only words say a partner is a meeting: its name, id or a kind id says so, and no ``meeting``
    flag (on the partner or any of its kinds) says either way."""
    if partner.meeting is not None or any(c.vocab.kinds[k].meeting for k in c.vocab.kind_ancestors(partner.kind)
                                          if k in c.vocab.kinds):
        return False
    words = [k.replace("_", " ") for k in c.vocab.partner_kinds(partner.id)]
    return any(MEETING_WORDS.search(w) for w in [*words, f"{partner.id.replace('_', ' ')} {partner.name}"])


# -- PK226 ------------------------------------------------------------------------------------

_COUNCIL = re.compile(r"^(.*?\b(?:City |County |Borough |District |Metropolitan Borough )?Council)\b")


def _council_of(name: str) -> str | None:
    """The council a partner's name says it belongs to (``Northbridge Council Housing`` -> ``Northbridge
    Council``), or None."""
    match = _COUNCIL.match(name)
    return match.group(1) if match else None


def _first_sharing_pair(c, members: set[str]) -> tuple[int, Rule, str, str] | None:
    """The first sharing rule naming two different partners of ``members`` as sender and recipient."""
    for i, rule in enumerate(c.protocol.rules):
        if rule.outcome not in SHARING_OUTCOMES or rule.from_ == ANY or rule.to == ANY:
            continue
        pairs = sorted((s, r) for s in c.vocab.partners_in(rule.from_) & members
                       for r in c.vocab.partners_in(rule.to) & members
                       if s != r and _organisation(c, s) != _organisation(c, r))
        if pairs:
            return (i, rule, *pairs[0])
    return None


def council_services_as_controllers(c) -> None:
    """Partners that declare one legal entity (``legal_entity: eastmoor_council``) but are recorded as separate
    top-level controllers, with a sharing rule between them."""
    entities: dict[str, set[str]] = {}
    for partner in c.protocol.partners:
        if partner.legal_entity and not partner.part_of and _recorded_controller(partner):
            entities.setdefault(partner.legal_entity, set()).add(partner.id)
    for entity, members in sorted(entities.items()):
        found = _first_sharing_pair(c, c.vocab.partners_in(Selector(partners=sorted(members)))) \
            if len(members) > 1 else None
        if found is None:
            continue
        i, rule, sender, recipient = found
        c.add(codes.COUNCIL_AS_CONTROLLERS, ("rules", i, "to"),
              f"rule {rule.id} treats {c.vocab.label('partners', sender)} sharing with "
              f"{c.vocab.label('partners', recipient)} as a disclosure between controllers, but both are "
              f"services of {entity} (their declared legal entity), one controller: what passes between them is "
              "use inside one organisation, which the ICO data sharing code does not cover; purpose limitation "
              "and need to know still apply",
              f"add a partner for {entity} (kind local_authority) and mark each of its services 'part_of' it, in "
              "place of 'legal_entity'; keep the rule for need to know, with the council's own basis")


# -- PK227: what only words say ---------------------------------------------------------------

def named_like_meeting_or_council(c) -> None:
    """The word-matching fallback of PK225 and PK226, a warning that asks for the data: a partner recorded as a
    controller whose name or kind says meeting / MARAC / MAPPA / conference with no ``meeting`` flag either
    way, and top-level partners of council service kinds named for one council, declaring no legal entity,
    with a sharing rule between them."""
    for i, partner in enumerate(c.protocol.partners):
        if partner.part_of or not _recorded_controller(partner) or not _meeting_by_name(c, partner):
            continue
        c.add(codes.NAMED_NOT_DECLARED, ("partners", i, "kind"),
              f"{partner.name} is named like a multi-agency meeting and is recorded as a "
              f"{partner.controller_role.replace('_', ' ')}, but nothing in the protocol says whether it is a "
              "meeting: a meeting such as a MARAC has no legal personality and cannot be a controller (UK GDPR "
              "Art 4(7); unverified legal point: check with your legal adviser)",
              "if it is a meeting, write 'meeting: true' on its kind (or on the partner) and 'controller_role: "
              "not_a_controller'; if it is an organisation, write 'meeting: false' on the partner")
    services: dict[str, set[str]] = {}
    for partner in c.protocol.partners:
        if COUNCIL_ROOT in c.vocab.partner_kinds(partner.id) and not partner.part_of and not partner.legal_entity:
            council = _council_of(partner.name)
            if council:
                services.setdefault(council, set()).add(partner.id)
    for council, members in sorted(services.items()):
        found = _first_sharing_pair(c, c.vocab.partners_in(Selector(partners=sorted(members)))) \
            if len(members) > 1 else None
        if found is None:
            continue
        i, rule, sender, recipient = found
        entity = re.sub(r"\W+", "_", council.lower()).strip("_")
        c.add(codes.NAMED_NOT_DECLARED, ("rules", i, "to"),
              f"rule {rule.id} treats {c.vocab.label('partners', sender)} sharing with "
              f"{c.vocab.label('partners', recipient)} as a disclosure between controllers, and both are named for "
              f"{council}, but the protocol does not say which body each belongs to: services of one council are "
              "one controller, and what passes between them is use inside one organisation (ICO data sharing code, "
              "scope)",
              f"add a partner for {council} (kind local_authority) and mark each service 'part_of' it; if they are "
              f"services of a council that is not a partner, write 'legal_entity: {entity}' on each; if they are "
              "different bodies, write each one's own 'legal_entity'")
