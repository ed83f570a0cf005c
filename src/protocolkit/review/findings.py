"""Review findings: what the analyses found, with stable codes, severity, subjects and fixes.

:func:`review` runs the legal-sense validation, the network analyses and the
guarantees, and turns what they find into :class:`ReviewFinding` records; marks
from ``review.yaml`` set their status. Results are data (a DataFrame); only the
command line prints them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field, replace

import pandas as pd

from ..engine.guarantees import check_guarantees
from ..errors import ProtocolValidationError, Severity
from ..model.checks import check_protocol, few_names
from ..model.governance import retention_for
from ..model.protocol import Protocol
from ..model.rules import SHARING_OUTCOMES
from ..model.vocabulary import Vocabulary
from ..engine import rule_space
from ..graph import analysis
from ..graph.flows import permitted_flows
from .marks import Mark, add_mark, load_marks

#: Validation codes the flow-level review replaces with more precise findings.
REPLACED_BY_FLOWS = {"PK201", "PK202", "PK206"}

CODES = {
    "RV101": (Severity.ERROR, "special category data flows without an Art 9 condition"),
    "RV102": (Severity.ERROR, "criminal offence data flows without an Art 10 condition"),
    "RV103": (Severity.ERROR, "a flow has no lawful basis"),
    "RV104": (Severity.WARNING, "a flow rests only on consent"),
    "RV110": (Severity.WARNING, "a rule shares beyond the recipient's need-to-know"),
    "RV111": (Severity.WARNING, "a need no rule serves (under-sharing)"),
    "RV120": (Severity.WARNING, "rules overlap, one sharing and one withholding"),
    "RV121": (Severity.WARNING, "a rule never decides anything (shadowed)"),
    "RV122": (Severity.WARNING, "a rule matches no possible request (dead)"),
    "RV130": (Severity.WARNING, "sensitive data can travel on without the owner's agreement"),
    "RV140": (Severity.INFO, "a partner has no flows in or out"),
    "RV141": (Severity.INFO, "a partner is the hub of the network"),
    "RV150": (Severity.ERROR, "a guarantee is violated"),
    "RV160": (Severity.WARNING, "an obligation is lost when a rule is overridden"),
    "RV170": (Severity.WARNING, "a recipient receives data with no retention period"),
    "RV180": (Severity.ERROR, "a partner past its end date can still share or receive"),
    "RV181": (Severity.WARNING, "the partner list has not been reviewed in time"),
    "RV190": (Severity.WARNING, "partners that plausibly share have no rule between them"),
}


@dataclass(frozen=True)
class ReviewFinding:
    """One review finding.

    ``id`` is stable while the finding's subject (its code and the rules, partners and
    categories it is about) stays the same; ``subject`` fingerprints the content of that
    subject, so a mark made on it stops applying when the content changes.
    """

    id: str
    code: str
    severity: Severity
    title: str
    message: str
    fix: str
    partners: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subject: str = ""
    status: str = "open"  # open, accepted, mitigated, reopened
    mark: Mark | None = None

    @property
    def blocking(self) -> bool:
        """An error that nobody has accepted or mitigated."""
        return self.severity is Severity.ERROR and self.status in ("open", "reopened")

    def as_dict(self) -> dict:
        return {
            "id": self.id, "code": self.code, "severity": self.severity.value, "title": self.title,
            "message": self.message, "fix": self.fix, "partners": list(self.partners), "rules": list(self.rules),
            "categories": list(self.categories), "subject": self.subject, "status": self.status,
            "marked_by": self.mark.by if self.mark else None,
            "marked_on": self.mark.date.isoformat() if self.mark else None,
            "mark_reason": self.mark.reason if self.mark else None,
        }


@dataclass
class ReviewReport:
    """Every finding of a review."""

    findings: list[ReviewFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No blocking (open error) finding."""
        return not any(f.blocking for f in self.findings)

    def to_frame(self) -> pd.DataFrame:
        """One row per finding."""
        columns = ["id", "code", "severity", "title", "message", "fix", "partners", "rules", "categories",
                   "subject", "status", "marked_by", "marked_on", "mark_reason"]
        return pd.DataFrame([f.as_dict() for f in self.findings], columns=columns)

    def by_code(self, code: str) -> list[ReviewFinding]:
        return [f for f in self.findings if f.code == code]


class _Collector:
    def __init__(self, protocol: Protocol):
        self.protocol = protocol
        self.rules = {r.id: r for r in protocol.rules}
        self.findings: list[ReviewFinding] = []

    def add(self, code: str, message: str, fix: str, *, partners=(), rules=(), categories=(), key: str = "",
            severity: Severity | None = None, extra: object = None) -> None:
        default, title = CODES.get(code, (Severity.WARNING, code))
        partners, rules, categories = (tuple(sorted(set(x))) for x in (partners, rules, categories))
        # the id names what the finding is about (its rules and key), not details that edits change,
        # so that an edit to the subject reopens a marked finding instead of making a new one
        ident = "/".join([code, *rules, *([key] if key else [] if rules else [",".join(partners or categories)])])
        subject = {
            "rules": [self.rules[r].model_dump(mode="json", by_alias=True) for r in rules if r in self.rules],
            "partners": partners, "categories": categories, "message": extra if extra is not None else message,
        }
        digest = hashlib.sha256(json.dumps(subject, sort_keys=True, default=str).encode()).hexdigest()[:16]
        self.findings.append(ReviewFinding(ident, code, severity or default, title, message, fix,
                                           partners, rules, categories, digest))


def review(protocol: Protocol, *, today: dt.date | None = None) -> ReviewReport:
    """Review a protocol: legal sense, flows, need-to-know, rules, reach, centrality, guarantees.

    Parameters
    ----------
    protocol : Protocol
        Loaded with :func:`protocolkit.model.loading.load_with_findings` when it may have
        legal-sense errors (a plain :func:`protocolkit.load` refuses those).
    today : date, optional

    Returns
    -------
    ReviewReport

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.review import review
    >>> report = review(protocolkit.load(protocolkit.example_path("mash")))
    >>> [f.id for f in report.findings if f.blocking]
    []
    >>> sorted({f.severity.value for f in report.findings})
    ['info', 'warning']
    """
    c = _Collector(protocol)
    v = Vocabulary.of(protocol)
    for finding in check_protocol(protocol, today=today):
        if finding.code in REPLACED_BY_FLOWS:
            continue
        c.add(finding.code, finding.message, finding.fix, rules=finding.rules, key=finding.key,
              severity=finding.severity, extra=finding.message)
    from ..lifecycle.status import lifecycle_findings

    for finding in lifecycle_findings(protocol, today=today):  # review date near, unsigned partners (issue 12)
        c.add(finding.code, finding.message, finding.fix, rules=finding.rules, key=finding.key,
              severity=finding.severity, extra=finding.message)
    flows = permitted_flows(protocol)
    _legal(c, protocol, flows)
    _need(c, protocol, flows)
    _unwritten(c, protocol, flows)
    _rules(c, protocol)
    _lost_obligations(c, protocol)
    _reach(c, protocol, flows, v)
    _network(c, protocol, flows)
    _retention(c, protocol, flows, v)
    _governance(c, protocol, flows, today or dt.date.today())
    for result in check_guarantees(protocol).results:
        if not result.proven:
            g = result.guarantee
            request = result.counterexample
            c.add("RV150", f"guarantee {g.id} is violated: {result.explanation.removeprefix('Violated: ')}",
                  "change the rule that allows the counterexample, or the guarantee if the promise was wrong",
                  partners=(request.sender, request.recipient), rules=(result.rule,) if result.rule else (),
                  categories=request.categories, key=g.id, extra=g.model_dump(mode="json", by_alias=True))
    return _apply_marks(ReviewReport(c.findings), protocol)


def _legal(c: _Collector, protocol: Protocol, flows: pd.DataFrame) -> None:
    special = analysis.special_flows(protocol, flows)
    for code, need, what, fix in (
        ("RV101", "art9", "special category data", "add an Art 9(2) condition, such as UKGDPR.9.2.g with DPA18.S1.P18"),
        ("RV102", "art10", "criminal offence data", "add UKGDPR.10 with the official authority, or a DPA 2018 Sch 1 condition"),
    ):
        rows = special[special["missing"].astype(str).str.contains(need)]
        for rule, group in rows.groupby("rule", sort=True):
            c.add(code, f"rule {rule} lets {what} flow without the condition it needs "
                        f"({few_names(sorted(set(group['category'])), 4)}, "
                        f"to {few_names(sorted(set(group['to'])), 4)})",
                  fix, partners=set(group["from"]) | set(group["to"]), rules=[rule], categories=set(group["category"]))
    weak = analysis.weak_basis_flows(protocol, flows)
    for (rule, weakness), group in weak.groupby(["rule", "weakness"], sort=True):
        code = "RV103" if weakness == "no lawful basis" else "RV104"
        fix = ("name the Article 6 basis (usually UKGDPR.6.1.e public task) and the gateway" if code == "RV103"
               else "consent can be withdrawn and is rarely free in safeguarding: rely on public task with a gateway")
        c.add(code, f"rule {rule}: {weakness} for {len(group)} permitted flows "
                    f"({few_names(sorted(set(group['category'])), 4)})",
              fix, partners=set(group["from"]) | set(group["to"]), rules=[rule], categories=set(group["category"]))


def _need(c: _Collector, protocol: Protocol, flows: pd.DataFrame) -> None:
    over = analysis.over_sharing(protocol, flows)
    for (rule, recipient), group in over.groupby(["rule", "to"], sort=True):
        stages = sorted(set(group["stage"]))
        c.add("RV110", f"rule {rule} lets {recipient} receive {few_names(sorted(set(group['category'])), 4)} at "
                       f"{', '.join(stages)}, beyond its need-to-know profile",
              "narrow the rule's categories or stages, or add the need to the profile with a rationale",
              partners=[recipient], rules=[rule], categories=set(group["category"]), key=recipient)
    under = analysis.under_sharing(protocol, flows)
    for (profile, recipient), group in under.groupby(["profile", "recipient"], sort=True):
        needs = sorted(set(group["category"]))
        stages = [s for s in Vocabulary.of(protocol).stage_ids if s in set(group["stage"])]
        purposes = sorted(set(group["purpose"]))
        c.add("RV111", f"{recipient} needs {few_names(needs, 4)} at {', '.join(stages)} for {few_names(purposes, 4)} "
                       f"(profile {profile}) but no rule lets it reach them",
              "add a rule that serves the need, or remove it from the profile (a partner's own records need no rule)",
              partners=[recipient], categories=needs, key=f"{profile}:{recipient}",
              extra=sorted(group.astype(str).values.tolist()))


def _unwritten(c: _Collector, protocol: Protocol, flows: pd.DataFrame) -> None:
    """RV190: a recipient's profile lists what another partner holds, and no rule names the two."""
    from .unwritten import unwritten_pairs
    kinds = Vocabulary.of(protocol).kinds
    for row in unwritten_pairs(protocol, flows).itertuples(index=False):
        sender_label = kinds[row.sender_kind].label if row.sender_kind in kinds else row.sender_kind
        recipient_label = kinds[row.recipient_kind].label if row.recipient_kind in kinds else row.recipient_kind
        c.add("RV190", f"No rule says what {sender_label.lower()} ({few_names(list(row.senders), 4)}) may share with "
                       f"{recipient_label.lower()} ({few_names(list(row.recipients), 4)}), although the need-to-know "
                       f"profiles {few_names(list(row.profiles), 3)} list what they hold "
                       f"({few_names(list(row.categories), 5)}) for {few_names(list(row.purposes), 3)}; every request "
                       "between them falls to a default rule, a fallback or a gap",
              "write a rule for this pair at the stages where they work together (share, share a minimum, or "
              "refuse with the reason), or accept this finding and record why the defaults are enough",
              partners=[*row.senders, *row.recipients], categories=row.categories,
              key=f"{row.sender_kind}>{row.recipient_kind}",
              extra=[list(row.senders), list(row.recipients), list(row.categories), list(row.purposes)])


def _rules(c: _Collector, protocol: Protocol) -> None:
    conflicts = rule_space.rule_conflicts(protocol)
    # only overlaps that change whether information travels; refuse-versus-escalate withholds either way
    flows_differ = conflicts["outcome"].isin(SHARING_OUTCOMES) != conflicts["other_outcome"].isin(SHARING_OUTCOMES)
    for row in conflicts[flows_differ].itertuples(index=False):
        c.add("RV120", f"rules {row.rule} ({row.outcome}) and {row.other} ({row.other_outcome}) both apply, for "
                       f"example to {row.example}; {row.winner} wins as the more protective",
              "if that is intended, accept this finding; otherwise narrow one rule or give the exception a priority",
              rules=[row.rule, row.other])
    for row in rule_space.rule_effect(protocol).itertuples(index=False):
        if row.status == "shadowed":
            c.add("RV121", f"rule {row.rule} matches requests but never decides one: always overridden by "
                           f"{few_names(list(row.overridden_by), 4)}",
                  "remove the rule, or give it a priority if it is meant to be an exception", rules=[row.rule])
        elif row.status == "dead":  # "outside": reaches only parties the analysis does not explore
            c.add("RV122", f"rule {row.rule} matches no possible request",
                  "check its scope and conditions: a partner, stage or fact value may be wrong", rules=[row.rule])


def _lost_obligations(c: _Collector, protocol: Protocol) -> None:
    """RV160: where a sharing decision overrides a rule, the obligations of that rule it drops
    (``docs/semantics.md`` section 12: only the types that survive an override are kept)."""
    from ..engine.decisions import kept_obligations
    from ..engine.guarantees import describe_request

    compiled, space = rule_space._space(protocol)  # possible requests only, fallbacks settled
    if not len(space.bits) or not protocol.rules:
        return
    lost: dict[tuple[str, str], tuple[set[str], object]] = {}
    for state, (row, decider) in enumerate(zip(space.bits, space.deciders.tolist())):
        if decider < 0 or compiled.rule_at_bit(decider).outcome not in SHARING_OUTCOMES:
            continue  # a gap, a fallback, or a decision that does not share
        winners = winners_of_row(compiled, row, decider)
        carried = {o.type for b in winners for o in compiled.rule_at_bit(b).obligations}
        carried |= {text.partition(": ")[0] for text, _ in kept_obligations(compiled, row, bits_of(compiled, winners))}
        winner_id = compiled.rule_at_bit(decider).id
        for position in compiled.matched(row):
            rule = compiled.rules[position]  # with what it inherits (section 18)
            if rule.id in {compiled.rule_at_bit(b).id for b in winners}:
                continue
            dropped = {o.type for o in rule.obligations} - carried
            if dropped:
                entry = lost.setdefault((rule.id, winner_id), (set(), state))
                entry[0].update(dropped)
    for (rule_id, winner_id), (types, state) in sorted(lost.items()):
        example = describe_request(compiled, space.request(compiled, state))
        c.add("RV160", f"when rule {winner_id} overrides rule {rule_id} and shares, {rule_id}'s "
                       f"{', '.join(sorted(types))} no longer applies (for example {example})",
              f"add {', '.join(sorted(types))} to {winner_id} if it should still apply, or accept this finding",
              rules=[rule_id, winner_id], key=",".join(sorted(types)))


def winners_of_row(compiled, row, decider: int) -> list[int]:
    """The bits of the deciding rules of one row of matched-rule bits."""
    from ..engine.compiled import bits_set

    return bits_set(row & compiled.class_masks[compiled.bit_class[decider]])


def bits_of(compiled, bits: list[int]):
    """A bitset row with the given bits set."""
    import numpy as np

    row = np.zeros(compiled.words, dtype=np.uint64)
    for b in bits:
        row[b // 64] |= np.uint64(1 << (b % 64))
    return row


def _reach(c: _Collector, protocol: Protocol, flows: pd.DataFrame, v: Vocabulary) -> None:
    sensitive = sorted({cat for cat in flows["category"] if v.is_special(cat) or v.is_criminal(cat)})
    reach = analysis.onward_reach(protocol, flows, categories=sensitive)
    unguarded = reach.loc[~reach["guarded"].astype(bool)]
    unguarded = unguarded.assign(first_hop=unguarded["chain"].map(lambda ch: ch[1]))
    for (origin, first_hop), group in unguarded.groupby(["origin", "first_hop"], sort=True):
        chains = sorted({" -> ".join(ch) for ch in group["chain"]})
        c.add("RV130", f"{few_names(sorted(set(group['category'])), 4)} from {origin} "
                       f"can travel on through {first_hop} "
                       f"to {few_names(sorted(set(group['recipient'])), 4)} with no owner's agreement on the first hop "
                       f"(e.g. {chains[0]})",
              "add 'owner_agreement_before_onward_disclosure' to the rule for the first hop, or accept the chain",
              partners=[origin, first_hop, *group["recipient"]], categories=set(group["category"]),
              key=f"{origin}>{first_hop}", extra=chains)


def _network(c: _Collector, protocol: Protocol, flows: pd.DataFrame) -> None:
    for row in analysis.centrality(protocol, flows).itertuples(index=False):
        if row.role == "isolated":
            c.add("RV140", f"{row.partner} neither sends nor receives anything under this protocol",
                  "add the flows it takes part in, or remove it from the partners", partners=[row.partner])
        elif row.role == "hub":
            c.add("RV141", f"{row.partner} is the hub of the network (betweenness {row.betweenness}, "
                           f"sends to {row.sends_to}, receives from {row.receives_from} partners): a single point "
                           "of contact whose absence stops information moving",
                  "make sure it has cover and a named single point of contact", partners=[row.partner],
                  extra=row.partner)


def _retention(c: _Collector, protocol: Protocol, flows: pd.DataFrame, v: Vocabulary) -> None:
    """RV170: every category a recipient receives has a checkable retention period: the rule's own, one it
    inherits from a default, or a retention statement with a duration (docs/semantics.md sections 13, 18)."""
    from ..model.defaults import effective_rules
    from ..model.retention import retention_in_effect

    inherited = effective_rules(protocol, v)[1] if protocol.defaults else {}
    stated = any(r.retention for r in protocol.rules) or bool(inherited)
    received = flows[["to", "category", "rule"]].drop_duplicates()
    missing: dict[str, list[str]] = {}
    for recipient, category, rule in received.itertuples(index=False):
        found = retention_in_effect(protocol, v, [protocol.rule(rule)], inherited, recipient, category) if stated \
            else [s for s in retention_for(protocol, v, recipient, category) if s.duration]
        if not found and category not in missing.get(recipient, []):
            missing.setdefault(recipient, []).append(category)
    for recipient, categories in sorted(missing.items()):
        c.add("RV170", f"{v.label('partners', recipient)} receives {few_names(sorted(categories), 4)} and no retention "
                       "statement says for how long it keeps them",
              "add a retention statement for this recipient and these categories with a 'duration' (such as "
              "'6 years') and the event it runs from ('after')",
              partners=[recipient], categories=categories, key=recipient)


def _governance(c: _Collector, protocol: Protocol, flows: pd.DataFrame, today: dt.date) -> None:
    """RV180: a partner that has left still shares or receives; RV181: the partner list is not reviewed in time."""
    from ..model.governance import duration_days

    for partner in protocol.partners:
        if partner.left is None or partner.left >= today:
            continue
        named = [r.id for r in protocol.rules
                 for side in (r.from_, r.to) if side != "any" and partner.id in side.partners]
        flowing = flows[(flows["from"] == partner.id) | (flows["to"] == partner.id)]
        if named or len(flowing):
            c.add("RV180", f"{partner.name} left the partnership on {partner.left.isoformat()}, but "
                           + (f"rules {few_names(sorted(set(named)), 4)} still name it" if named else
                              f"{len(flowing)} permitted flows still go to or from it"),
                  "remove it from the rules (or narrow their kinds), or correct its end date",
                  partners=[partner.id], rules=sorted(set(named)), key=partner.id)
    governance = protocol.governance
    interval = duration_days(governance.review_interval)
    reviewed = governance.partner_list_reviewed
    if reviewed is None or (today - reviewed).days > interval:
        when = "has never been recorded as reviewed" if reviewed is None else \
            f"was last reviewed on {reviewed.isoformat()}, more than {governance.review_interval} ago"
        c.add("RV181", f"the list of partners {when}",
              "review who is in the partnership (who joined, who left) and record the date under "
              "governance.partner_list_reviewed", key="partner_list")


def _apply_marks(report: ReviewReport, protocol: Protocol) -> ReviewReport:
    if protocol.folder is None:
        return report
    marks = {m.finding: m for m in load_marks(protocol.folder)}
    out = []
    for finding in report.findings:
        mark = marks.get(finding.id)
        if mark is None:
            out.append(finding)
        elif mark.subject == finding.subject:
            out.append(replace(finding, status=mark.status, mark=mark))
        else:
            out.append(replace(finding, status="reopened", mark=mark))
    return ReviewReport(out)


def mark_finding(protocol: Protocol, finding_id: str, status: str, by: str, reason: str,
                 date: dt.date | None = None) -> Mark:
    """Record a decision on a finding in the protocol folder's ``review.yaml``.

    Raises
    ------
    ProtocolValidationError
        When no current finding has that id.
    """
    from ..errors import ProtocolError
    from ..model import codes

    if protocol.folder is None:
        raise ProtocolError("marks live in the protocol's folder: save the protocol to a folder first")
    current = {f.id: f for f in review(protocol).findings}
    if finding_id not in current:
        from difflib import get_close_matches

        close = get_close_matches(finding_id, list(current), n=3)
        raise ProtocolValidationError([codes.UNKNOWN_REFERENCE.finding(
            f"no current review finding has the id '{finding_id}'",
            f"did you mean {' or '.join(close)}?" if close else "run 'protocolkit review' to see the ids")])
    mark = Mark(finding=finding_id, status=status, by=by, date=date or dt.date.today(), reason=reason,
                subject=current[finding_id].subject)
    add_mark(protocol.folder, mark)
    return mark
