"""Legal-sense checks that read the taxonomy's tables entry by entry.

:mod:`protocolkit.model.checks` asks whether a rule has *an* Art 6 basis, *an* Art 9
condition; the checks here ask whether the entries a rule cites can do what it asks
of them: a heading grants nothing, Art 9(2)(g) needs its Schedule 1 condition, a
gateway serves only the partner kinds, recipients and purposes its table lists
(``senders``, ``recipients``, ``purposes`` in ``taxonomy/lawful_bases.yaml``), public
task needs a basis in law the sender can use, Schedule 1 para 18 applies only without
consent, and so on. Each check is one small function taking a :class:`Checker`.

A finding that rests on an entry marked ``verified: false`` says so in the words a
practitioner reads: :data:`UNVERIFIED`. None of this is legal advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from . import codes
from .entities import LawfulBasis
from .keys import ANY
from .protocol import Protocol
from .rules import SHARING_OUTCOMES, Condition, Rule
from .vocabulary import Vocabulary

#: What a finding, explanation or document says about an entry marked ``verified: false``.
UNVERIFIED = "unverified legal point: check with your legal adviser"

Add = Callable[[codes.Code, tuple, str, str], None]


def caveat(entries: Iterable[LawfulBasis]) -> str:
    """The unverified-point warning for a message resting on ``entries``, or ``""``.

    Examples
    --------
    >>> from protocolkit.model.vocabulary import shipped_lawful_bases
    >>> table = {b.id: b for b in shipped_lawful_bases()}
    >>> caveat([table["CA1989.s47.9-11"]])
    ' (unverified legal point: check with your legal adviser: Children Act 1989 section 47(9)-(11))'
    >>> caveat([table["UKGDPR.6.1.e"]])
    ''
    """
    unverified = sorted({b.citation for b in entries if not b.verified})
    return f" ({UNVERIFIED}: {'; '.join(unverified)})" if unverified else ""


@dataclass
class Checker:
    """The protocol, its vocabulary and the way to report, shared by the checks below."""

    protocol: Protocol
    vocab: Vocabulary
    add: Add

    def entries(self, ids: Iterable[str]) -> list[LawfulBasis]:
        return [self.vocab.lawful_bases[i] for i in ids if i in self.vocab.lawful_bases]

    def name(self, basis: LawfulBasis) -> str:
        return f"{basis.label} ({basis.id})"

    def covers(self, cited: LawfulBasis, wanted: str) -> bool:
        """Whether citing ``cited`` satisfies a requirement for ``wanted`` (itself, or an entry under it)."""
        node, seen = cited.id, set()
        while node and node not in seen:
            if node == wanted:
                return True
            seen.add(node)
            entry = self.vocab.lawful_bases.get(node)
            node = entry.parent if entry else None
        return False

    def kinds_of(self, partner: str) -> set[str]:
        """The kinds of a partner (none for a party outside the partnership: no kind-bound gateway covers it)."""
        return self.vocab.partner_kinds(partner) if partner in self.vocab.partners else set()

    def kind_label(self, kinds: list[str]) -> str:
        return _few([self.vocab.label("kinds", k).lower() for k in kinds], 4)


def check_legal_entries(protocol: Protocol, vocab: Vocabulary, add: Add) -> None:
    """Run every entry-level legal check; findings go to ``add(code, path, message, fix)``."""
    checker = Checker(protocol, vocab, add)
    for i, partner in enumerate(protocol.partners):
        partner_powers(checker, i, partner)
    for i, rule in enumerate(protocol.rules):
        notice_refused(checker, i, rule)
        if not rule.lawful_bases:
            continue
        compelling_notices(checker, i, rule)
        headings(checker, i, rule)
        not_in_force(checker, i, rule)
        if rule.outcome not in SHARING_OUTCOMES:
            continue
        completing_conditions(checker, i, rule)
        gateway_senders(checker, i, rule)
        gateway_recipients(checker, i, rule)
        gateway_purposes(checker, i, rule)
        public_task_basis_in_law(checker, i, rule)
        consent_conditions(checker, i, rule)
        policy_documents(checker, i, rule)
    retention_for_recipients(checker)
    data_matching_dpia(checker)
    from .patterns import check_patterns

    check_patterns(checker)  # the review patterns a validator can see (PK222-PK226)


# -- what an entry is ---------------------------------------------------------------------

def headings(c: Checker, i: int, rule: Rule) -> None:
    """A group heading (UKGDPR.6.1, DPA18.S8) or a definition (DAA2021.s3) grants nothing."""
    for j, basis_id in enumerate(rule.lawful_bases):
        basis = c.vocab.lawful_bases.get(basis_id)
        if basis is None:
            continue
        if basis.group:
            members = [b.id for b in c.vocab.lawful_bases.values() if b.parent == basis.id and not b.group][:3]
            c.add(codes.HEADING_CITED, ("rules", i, "lawful_bases", j),
                  f"rule {rule.id} cites {c.name(basis)}, a heading that groups entries: it satisfies no requirement",
                  f"cite the specific entry relied on, such as {' or '.join(members) or 'one of its members'}")
        elif basis.kind == "definition":
            c.add(codes.HEADING_CITED, ("rules", i, "lawful_bases", j),
                  f"rule {rule.id} cites {c.name(basis)}, which defines a term and gives no power or duty to "
                  f"share{caveat([basis])}",
                  "keep it in the rationale and cite the gateway that authorises the share")


def not_in_force(c: Checker, i: int, rule: Rule) -> None:
    """A provision not yet commenced cannot be relied on."""
    for j, basis in enumerate(c.entries(rule.lawful_bases)):
        if not basis.in_force:
            c.add(codes.NOT_IN_FORCE, ("rules", i, "lawful_bases", rule.lawful_bases.index(basis.id)),
                  f"rule {rule.id} relies on {c.name(basis)}, which is not yet in force{caveat([basis])}",
                  f"cite the provision in force instead ({basis.note or 'see the taxonomy entry'})")


def completing_conditions(c: Checker, i: int, rule: Rule) -> None:
    """Art 9(2)(b), (g), (h), (i), (j) need their Sch 1 condition (DPA 2018 s10); (ea) an Annex 1
    condition; s35 sensitive processing a Schedule 8 condition."""
    cited = [b for b in c.entries(rule.lawful_bases) if not b.group]
    special = any(c.vocab.is_special(x) for x in c.vocab.categories_in(rule.categories))
    for basis in cited:
        for field, needed in (("requires", basis.requires), ("requires_if_special", basis.requires_if_special)):
            if not needed or (field == "requires_if_special" and not special):
                continue
            if any(c.covers(other, want) for other in cited if other is not basis for want in needed):
                continue
            wanted = [c.vocab.lawful_bases[w] for w in needed if w in c.vocab.lawful_bases]
            c.add(codes.CONDITION_MISSING, ("rules", i, "lawful_bases", rule.lawful_bases.index(basis.id)),
                  f"rule {rule.id} relies on {c.name(basis)} without the condition that completes it: "
                  f"{' or '.join(c.name(w) for w in wanted)}"
                  + (" (special category data flows under this rule)" if field == "requires_if_special" else "")
                  + caveat([basis, *wanted]),
                  f"add the specific condition relied on, for example "
                  f"{_example_member(c, needed[0])}")


def _example_member(c: Checker, group_or_id: str) -> str:
    entry = c.vocab.lawful_bases.get(group_or_id)
    if entry is not None and not entry.group:
        return entry.id
    members = [b.id for b in c.vocab.lawful_bases.values() if c.covers(b, group_or_id) and not b.group]
    preferred = [m for m in ("DPA18.S1.P18", "DPA18.S1.P6", "DPA18.S8.P1", "UKGDPR.A1.6-7") if m in members]
    return (preferred or members or [group_or_id])[0]


# -- the gateway table --------------------------------------------------------------------

def partner_powers(c: Checker, i: int, partner) -> None:
    """A partner lists a statutory power its kind cannot rely on (a school and CA 2004 s11)."""
    kinds = c.kinds_of(partner.id)
    for j, basis in enumerate(c.entries(partner.statutory_powers)):
        if basis.senders and kinds.isdisjoint(basis.senders):
            c.add(codes.GATEWAY_SENDER, ("partners", i, "statutory_powers", partner.statutory_powers.index(basis.id)),
                  f"{partner.name} lists {c.name(basis)}, which {c.vocab.label('kinds', partner.kind).lower()} "
                  f"partners cannot rely on: it is available to {c.kind_label(basis.senders)}{caveat([basis])}",
                  _gateway_fix(basis))


def gateway_senders(c: Checker, i: int, rule: Rule) -> None:
    """A gateway cited in a rule must be available to every sender the rule covers."""
    senders = sorted(c.vocab.partners_in(rule.from_))
    for basis in c.entries(rule.lawful_bases):
        if not basis.senders:
            continue
        outside = [p for p in senders if c.kinds_of(p).isdisjoint(basis.senders)]
        if outside:
            c.add(codes.GATEWAY_SENDER, ("rules", i, "lawful_bases", rule.lawful_bases.index(basis.id)),
                  f"rule {rule.id} relies on {c.name(basis)} for senders that cannot use it "
                  f"({_few(c.vocab.label('partners', p) for p in outside)}); it is available to "
                  f"{c.kind_label(basis.senders)}{caveat([basis])}",
                  "narrow 'from' to the partners it covers, or cite a power those senders hold instead"
                  + (f" ({basis.note})" if basis.note else ""))


def gateway_recipients(c: Checker, i: int, rule: Rule) -> None:
    """A gateway that reaches only some recipients (CDA 1998 s115: relevant authorities)."""
    recipients = sorted(c.vocab.partners_in(rule.to))
    for basis in c.entries(rule.lawful_bases):
        if not basis.recipients:
            continue
        outside = [p for p in recipients if c.kinds_of(p).isdisjoint(basis.recipients)]
        if outside:
            c.add(codes.GATEWAY_RECIPIENT, ("rules", i, "lawful_bases", rule.lawful_bases.index(basis.id)),
                  f"rule {rule.id} relies on {c.name(basis)} to share with "
                  f"{_few(c.vocab.label('partners', p) for p in outside)}, which it does not reach: it lets "
                  f"information go only to {c.kind_label(basis.recipients)}{caveat([basis])}",
                  "remove it from this rule, or split the rule so it names only recipients it reaches")


def gateway_purposes(c: Checker, i: int, rule: Rule) -> None:
    """A gateway cited for none of the purposes it serves (s115 outside crime and disorder,
    s16H for casework, Part 3 outside law enforcement)."""
    if rule.purposes == ANY:
        return
    for basis in c.entries(rule.lawful_bases):
        if basis.purposes and set(rule.purposes).isdisjoint(basis.purposes):
            served = ", ".join(c.vocab.label("purposes", p).lower() for p in basis.purposes)
            c.add(codes.GATEWAY_PURPOSE, ("rules", i, "lawful_bases", rule.lawful_bases.index(basis.id)),
                  f"rule {rule.id} relies on {c.name(basis)} for "
                  f"{', '.join(c.vocab.label('purposes', p).lower() for p in rule.purposes)}, but it serves only "
                  f"{served}{caveat([basis])}",
                  basis.note or "cite the power that serves this purpose")


def public_task_basis_in_law(c: Checker, i: int, rule: Rule) -> None:
    """Art 6(1)(e) needs a basis in law (Art 6(3)) that each sender can use: one cited in the
    rule, or one the sender lists under statutory_powers."""
    if "UKGDPR.6.1.e" not in rule.lawful_bases:
        return
    cited = [b for b in c.entries(rule.lawful_bases) if b.basis_in_law]
    recipients = c.vocab.partners_in(rule.to)
    lacking = []
    for partner in sorted(c.vocab.partners_in(rule.from_)):
        kinds = c.kinds_of(partner)
        own = [b for a in c.vocab.partner_ancestors(partner) if a in c.vocab.partners
               for b in c.entries(c.vocab.partners[a].statutory_powers) if b.basis_in_law]
        usable = [b for b in [*cited, *own] if b.in_force and (not b.senders or not kinds.isdisjoint(b.senders))
                  and (rule.purposes == ANY or not b.purposes or not set(rule.purposes).isdisjoint(b.purposes))
                  and (not b.recipients or all(not c.kinds_of(r).isdisjoint(b.recipients) for r in recipients))]
        if not usable:
            lacking.append(partner)
    if lacking:
        c.add(codes.PUBLIC_TASK_NO_LAW, ("rules", i, "lawful_bases", rule.lawful_bases.index("UKGDPR.6.1.e")),
              f"rule {rule.id} relies on public task (UKGDPR.6.1.e), but "
              f"{_few(c.vocab.label('partners', p) for p in lacking)} "
              f"{'cites' if len(lacking) == 1 else 'cite'} no power or duty in law usable for this purpose "
              "(UK GDPR Art 6(3) needs one)",
              "cite the statute or common-law power each sender relies on (for example EA2002.s175 for a school, "
              "POLICE.common_law for the police), or list it under the partner's statutory_powers")


# -- notices that compel -------------------------------------------------------------------

def compelling_notices(c: Checker, i: int, rule: Rule) -> None:
    """A provision under which a notice compels disclosure (``compels``) is a legal obligation: a rule
    citing it relies on Art 6(1)(c) and answers the notice, never refuses it."""
    compelling = [b for b in c.entries(rule.lawful_bases) if b.compels]
    if not compelling:
        return
    basis = compelling[0]
    path = ("rules", i, "lawful_bases", rule.lawful_bases.index(basis.id))
    if rule.outcome == "refuse":
        c.add(codes.NOTICE_OPTIONAL, ("rules", i, "outcome"),
              f"rule {rule.id} refuses what a notice under {c.name(basis)} requires, but a valid notice compels "
              f"disclosure{caveat([basis])}",
              "answer the notice: share what it specifies once it is verified (outcome share_minimum with "
              "verify_requester), and send anything it does not cover to the IG lead / DPO")
    elif "UKGDPR.6.1.c" not in rule.lawful_bases:
        c.add(codes.NOTICE_OPTIONAL, path,
              f"rule {rule.id} cites {c.name(basis)} without legal obligation (UKGDPR.6.1.c): answering a valid "
              f"notice is a legal obligation, not a discretion such as public task{caveat([basis])}",
              "cite UKGDPR.6.1.c with the notice power (and DPA18.S2.P5 where transparency would prevent it)")


def notice_refused(c: Checker, i: int, rule: Rule) -> None:
    """A rule that refuses whenever a statutory notice has been served treats the notice as optional."""
    fact = c.vocab.facts.get("statutory_notice")
    if fact is None or rule.outcome != "refuse" or "statutory_notice" not in rule.when:
        return
    try:
        allowed = set(Condition.parse("statutory_notice", rule.when["statutory_notice"]).allowed(fact))
    except ValueError:
        return
    if allowed != {"yes"}:
        return
    c.add(codes.NOTICE_OPTIONAL, ("rules", i, "when", "statutory_notice"),
          f"rule {rule.id} refuses when a statutory notice has been served, but a valid notice compels "
          "disclosure (SSAA 1992 s109B: answering it is a legal obligation)",
          "verify the notice and answer what it specifies (share_minimum with verify_requester), or escalate to "
          "the IG lead / DPO to check it; a notice may be challenged, not ignored")


# -- conditions that depend on the facts ----------------------------------------------------

def consent_conditions(c: Checker, i: int, rule: Rule) -> None:
    """Sch 1 para 18 and Sch 8 para 4 apply only without consent: a rule that also matches
    'consent: given' needs another condition for that case."""
    without = [b for b in c.entries(rule.lawful_bases) if b.only_without_consent]
    if not without:
        return
    if "given" not in _consent_values(c, rule):
        return
    # Another Sch 1 / Sch 8 condition, or explicit consent itself, covers the case where consent is given.
    others = [b for b in c.entries(rule.lawful_bases)
              if (b.kind in {"dpa_sch1", "dpa_sch8"} and not b.group and not b.only_without_consent
                  and b.id != "DPA18.S1.P36") or b.id == "UKGDPR.9.2.a"]
    if others:
        return
    basis = without[0]
    c.add(codes.CONSENT_CONDITION, ("rules", i, "lawful_bases", rule.lawful_bases.index(basis.id)),
          f"rule {rule.id} relies on {c.name(basis)}, which applies only where consent is refused, cannot "
          "reasonably be obtained or seeking it would prejudice the protection, but the rule also applies when "
          f"consent is given{caveat([basis])}",
          "add 'consent: [refused, not_sought, unsafe_to_seek, unknown]' to 'when', or cite the condition that "
          "applies when consent is given (for example DPA18.S1.P6, or UKGDPR.9.2.h with DPA18.S1.P2)")


def _consent_values(c: Checker, rule: Rule) -> set[str]:
    fact = c.vocab.facts.get("consent")
    if fact is None:
        return set()
    if "consent" not in rule.when:
        return set(fact.values)
    try:
        return set(Condition.parse("consent", rule.when["consent"]).allowed(fact))
    except ValueError:
        return set()


def policy_documents(c: Checker, i: int, rule: Rule) -> None:
    """Conditions that need an appropriate policy document (Sch 1 Part 4; s35, s42)."""
    needing = [b for b in c.entries(rule.lawful_bases) if b.needs_appropriate_policy_document and not b.group]
    if not needing:
        return
    recipients = c.vocab.partners_in(rule.to)
    needing = [b for b in needing if not (b.no_policy_document_for_recipients and recipients and all(
        not c.kinds_of(r).isdisjoint(b.no_policy_document_for_recipients) for r in recipients))]
    if not needing:
        return
    lacking = [p for p in sorted(c.vocab.partners_in(rule.from_)) if not _policy_document(c, p)]
    if lacking:
        c.add(codes.NO_POLICY_DOCUMENT, ("rules", i, "lawful_bases", rule.lawful_bases.index(needing[0].id)),
              f"rule {rule.id} relies on {', '.join(c.name(b) for b in needing)}, which needs an appropriate "
              f"policy document, and {_few(c.vocab.label('partners', p) for p in lacking)} names none",
              "add 'appropriate_policy_document:' with its reference to each sending partner")


def _policy_document(c: Checker, partner: str) -> str | None:
    for a in c.vocab.partner_ancestors(partner):
        entry = c.vocab.partners.get(a)
        if entry is not None and entry.appropriate_policy_document:
            return entry.appropriate_policy_document
    return None


# -- what the agreement must say besides the rules ------------------------------------------

def retention_for_recipients(c: Checker) -> None:
    """Every category a partner receives needs a retention statement covering it: a protocol statement,
    a term the rule inherits from a default naming that recipient, or the rule's own term
    (``docs/semantics.md`` sections 13 and 18).

    Runs once the protocol states any retention at all (a first draft without a
    retention section is not flooded; the review reports a protocol with none).
    """
    from .defaults import effective_rules
    from .retention import states_retention

    if not states_retention(c.protocol):
        return
    statements = [(_partners_under(c, s.partners), c.vocab.categories_in(s.categories)) for s in c.protocol.retention]
    inherited = effective_rules(c.protocol, c.vocab)[1] if c.protocol.defaults else {}
    reported: set[str] = set()
    for i, rule in enumerate(c.protocol.rules):
        if rule.outcome not in SHARING_OUTCOMES:
            continue
        wanted = c.vocab.categories_in(rule.categories) if rule.categories != ANY else set(c.vocab.categories)
        own = set().union(*[c.vocab.categories_in(t.categories) for t in rule.retention])
        terms = [(_partners_under_selector(c, item.recipients), c.vocab.categories_in(item.term.categories))
                 for item in inherited.get(rule.id, ()) if item.what == "retention"]
        for partner in sorted(c.vocab.partners_in(rule.to) - reported):
            covered = set(own).union(*[cats for who, cats in statements + terms if partner in who])
            missing = sorted(wanted - covered)
            if missing:
                reported.add(partner)
                names = [f"{c.vocab.label('categories', m).lower()} ({m})" for m in missing]
                c.add(codes.NO_RETENTION, ("rules", i, "to"),
                      f"{c.vocab.label('partners', partner)} receives {_few(names)} under rule {rule.id}, and no "
                      "retention statement says how long it keeps them",
                      f"add a retention statement naming '{partner}' or the partner it belongs to, covering "
                      f"{'this category' if len(missing) == 1 else 'these categories'} (or a 'retention' term on "
                      "the rule or on a default for this recipient)")


def _partners_under_selector(c: Checker, selector) -> set[str]:
    """The partners a default's recipients cover (a selector, or 'any')."""
    return c.vocab.partners_in(selector)


def _partners_under(c: Checker, named: list[str] | str) -> set[str]:
    """The partners a statement covers: those named and their teams."""
    if named == ANY:
        return set(c.vocab.partners)
    return {p for p in c.vocab.partners if not set(named).isdisjoint(c.vocab.partner_ancestors(p))}


def data_matching_dpia(c: Checker) -> None:
    """Sharing for a data-matching purpose needs the reference of the DPIA that covers it."""
    for i, rule in enumerate(c.protocol.rules):
        if rule.outcome not in SHARING_OUTCOMES:
            continue
        for purpose in sorted(c.vocab.purposes_in(rule.purposes)):
            entry = c.vocab.purposes[purpose]
            if entry.data_matching and not entry.dpia:
                c.add(codes.NO_DPIA, ("rules", i, "purposes"),
                      f"rule {rule.id} shares for {entry.label.lower()}, which matches data from several sources "
                      "(high risk on the ICO's list), and the protocol names no DPIA for it",
                      f"declare the purpose '{purpose}' under 'purposes' with 'dpia:' giving the DPIA's reference "
                      "and sign-off date")


def _few(items: Iterable[str], n: int = 3) -> str:
    items = list(items)
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _gateway_fix(basis: LawfulBasis) -> str:
    return f"remove it; {basis.note}" if basis.note else "remove it and cite a power this kind of partner holds"
