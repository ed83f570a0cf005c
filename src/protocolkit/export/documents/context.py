"""What the agreement says, as plain data: every section's content read from the model and the engine.

:func:`agreement_context` gathers, for the templates, what each heading of the
agreement needs: the cover and stamp, the partners, the guarantees with the
engine's verdict, the need-to-know matrix by stage, the lawful bases per flow, the
consent, informing and escalation rules, the statements, the seven golden rules and
where the rules cite them, the quick-reference cards, the sample cases' results and
the review findings with the partnership's marks.

Nothing here writes legal text. Where the protocol says nothing on a heading the
context says so (an empty list), and the template prints a visible "not yet agreed"
note. Text from the model is passed through as it is written, except that the
domain notes' internal tag ``[K]`` is replaced by words a reader understands.

This module renders nothing and imports no document library.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path
from typing import Any

from ...model.protocol import Protocol
from ...model.defaults import with_defaults
from ...model.naming import joined, with_detail
from ...model.rules import SHARING_OUTCOMES
from ...model.vocabulary import Vocabulary

#: The words that mark a legal point resting on an unverified taxonomy entry.
UNVERIFIED = "unverified legal point: check with your legal adviser"

#: Plain words for the engine's outcomes.
OUTCOME_WORDS = {
    "share": "share",
    "share_minimum": "share the minimum only",
    "seek_consent": "seek consent first",
    "escalate": "a named role decides",
    "refuse": "do not share",
    "neither_confirm_nor_deny": "neither confirm nor deny that information is held",
    "gap": "no rule covers it (gap)",
}

_K_TAG = re.compile(r"\s*\[K\]")
_GOLDEN = re.compile(r"golden rules?\s+((?:\d(?:\s*(?:,|and|to|-)\s*)?)+)|\bGR(\d)\b", re.IGNORECASE)

#: Kinds of lawful basis shown in each column of the lawful-basis table.
_ART6 = {"art6", "art6_annex1"}
_CONDITIONS = {"art9", "art10", "dpa_sch1", "dpa_sch8"}


def plain(text: Any) -> str:
    """Model text for a reader: ``[K]`` becomes words, ``None`` an empty string.

    Examples
    --------
    >>> plain("Whether bare suspicion is criminal offence data is [K]; we treat it as such.")
    'Whether bare suspicion is criminal offence data is (unverified legal point: check with your legal adviser); we treat it as such.'
    """
    if text is None:
        return ""
    return _K_TAG.sub(f" ({UNVERIFIED})", str(text)).strip()


def golden_rules_cited(text: str) -> set[int]:
    """The golden rule numbers a piece of text cites.

    Examples
    --------
    >>> sorted(golden_rules_cited("HMG 2024 golden rules 5 and 6; see also GR7"))
    [5, 6, 7]
    >>> sorted(golden_rules_cited("golden rules 1 to 3"))
    [1, 2, 3]
    """
    found: set[int] = set()
    for match in _GOLDEN.finditer(text or ""):
        if match.group(2):
            found.add(int(match.group(2)))
            continue
        numbers = [int(n) for n in re.findall(r"\d", match.group(1))]
        if re.search(r"\d\s*(?:to|-)\s*\d", match.group(1)) and len(numbers) == 2:
            numbers = list(range(numbers[0], numbers[1] + 1))
        found.update(n for n in numbers if 1 <= n <= 7)
    return found


@lru_cache(maxsize=1)
def golden_rules() -> tuple[dict, ...]:
    """The seven golden rules (HMG 2024 advice, paraphrased) shipped with the templates."""
    from ruamel.yaml import YAML

    from .templates import shipped_template_dir

    data = YAML(typ="safe").load((shipped_template_dir() / "golden_rules.yaml").read_text(encoding="utf-8"))
    return tuple(data["rules"])


class _Names:
    """Plain-English names for ids, with the unverified mark on legal points.

    One is made per agreement context, for a protocol that does not change while it is read; the
    names of obligations (said tens of thousands of times by the partner cards) are kept once said.
    """

    def __init__(self, protocol: Protocol, v: Vocabulary):
        self.protocol, self.v = protocol, v
        self._obligations: dict[str, str] = {}

    def partner(self, pid: str) -> str:
        """A partner's name, or an outside party's label (parties outside the partnership)."""
        if pid not in self.v.partners:
            outside = {o.id: o for o in getattr(self.protocol, "outside", []) or []}
            if pid in outside:
                return plain(outside[pid].label)
        return plain(self.v.label("partners", pid))

    def category(self, cid: str) -> str:
        return plain(self.v.label("categories", cid))

    def stage(self, sid: str) -> str:
        return plain(self.v.label("stages", sid))

    def purpose(self, pid: str) -> str:
        return plain(self.v.label("purposes", pid))

    def kind(self, kid: str) -> str:
        return plain(self.v.label("kinds", kid))

    def obligation(self, text: str) -> str:
        said = self._obligations.get(text)
        if said is None:
            kind, _, detail = str(text).partition(": ")
            label = plain(self.v.label("obligation_types", kind))
            said = self._obligations[text] = with_detail(label, plain(detail))
        return said

    def basis(self, bid: str) -> dict:
        entry = self.v.lawful_bases.get(bid)
        if entry is None:
            return {"id": bid, "label": bid, "citation": bid, "kind": "local", "verified": False,
                    "text": f"{bid} ({UNVERIFIED})", "short": f"{bid} ({UNVERIFIED})"}
        text = joined(plain(entry.citation), plain(entry.label))
        short = plain(entry.citation)
        if not entry.verified:
            text += f" ({UNVERIFIED})"
            short += f" ({UNVERIFIED})"
        return {"id": bid, "label": plain(entry.label), "citation": plain(entry.citation), "kind": entry.kind,
                "verified": entry.verified, "text": text, "short": short}

    def selector(self, scope) -> str:
        if scope == "any":
            return "any partner"
        names = [self.partner(p) for p in scope.partners] + [f"any {_lower_first(self.kind(k))}" for k in scope.kinds]
        names += [_lower_first(self.partner(o)) for o in getattr(scope, "outside", []) or []]
        return join(names)

    def scope(self, values, name, everything: str) -> str:
        if values == "any":
            return everything
        return join([name(x) for x in values])


def _lower_first(text: str) -> str:
    """``School or academy`` -> ``school or academy``; acronyms (``DWP``, ``NHS trust``) stay."""
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def join(items: list[str], last: str = "and") -> str:
    """``a, b and c``.

    Examples
    --------
    >>> join(["police", "health", "schools"])
    'police, health and schools'
    """
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def agreement_context(protocol: Protocol, *, warnings: list | None = None, today: dt.date | None = None,
                      cases: list | None = None) -> dict[str, Any]:
    """Everything the agreement's templates print, as plain data (strings, lists, dicts).

    Parameters
    ----------
    protocol : Protocol
    warnings : list of Finding, optional
        Validation warnings to list in the front matter.
    today : date, optional
        The date review findings are judged on (default: today); fix it for identical output.
    cases : list of Case, optional
        The sample cases (default: those in the protocol's ``cases/`` folder).

    Examples
    --------
    >>> import protocolkit, datetime
    >>> ctx = agreement_context(protocolkit.load(protocolkit.example_path("mash")), today=datetime.date(2026, 11, 27))
    >>> ctx["cover"]["title"]
    'Northbridge Multi-Agency Safeguarding Hub Information Sharing Protocol'
    >>> [g["proven"] for g in ctx["guarantees"]][:3]
    [True, True, True]
    """
    protocol = with_defaults(protocol)  # each rule prints the bases and duties it inherits (docs/semantics.md s. 18)
    v = Vocabulary.of(protocol)
    n = _Names(protocol, v)
    m = protocol.metadata
    from .stamping import stamp_of

    st = stamp_of(protocol)
    sharing_rules = [r for r in protocol.rules if r.outcome in SHARING_OUTCOMES]
    ctx: dict[str, Any] = {
        "stamp": st,
        "cover": {
            "title": plain(m.title), "version": plain(m.version), "status": m.status,
            "status_words": {"draft": "Draft for consultation: not yet signed",
                             "agreed": "Agreed and signed", "published": "Published"}.get(m.status, m.status),
            "owner": n.partner(m.owner) if m.owner in v.partners else plain(m.owner),
            "effective": _date(m.effective_date), "review": _date(m.review_date),
            "summary": plain(m.summary),
        },
        "warnings": [_finding_text(f) for f in (warnings or [])],
        "partners": [_partner(p, n, v) for p in protocol.partners],
        "outside": [{"label": plain(o.label), "kind": plain(str(o.kind).replace("_", " ")),
                     "description": plain(getattr(o, "description", None))}
                    for o in getattr(protocol, "outside", []) or []],
        "stages": [{"id": s.id, "label": plain(s.label), "description": plain(s.description)} for s in v.stages],
        "purposes": _purposes_used(protocol, n, v),
        "rules_count": len(protocol.rules),
        "sharing_rules_count": len(sharing_rules),
    }
    ctx["guarantees"] = _guarantees(protocol)
    ctx["need_by_stage"] = _need_by_stage(protocol, n, v)
    from .team_flows import team_flows_by_stage

    ctx["team_flows"] = team_flows_by_stage(protocol, n, v)   # under each data-flow diagram
    ctx["flows"] = [_flow(r, n, v) for r in sharing_rules]
    ctx["special_categories"] = [n.category(c) for c in v.categories if v.is_special(c) and c in _used(protocol, v)]
    ctx["criminal_categories"] = [n.category(c) for c in v.categories if v.is_criminal(c) and c in _used(protocol, v)]
    ctx["consent"] = _consent(protocol, n)
    ctx["deadline_notes"] = deadline_notes(protocol)
    ctx["informing"] = _informing(protocol, n)
    ctx["escalation"] = _escalation(protocol, n)
    ctx["fallbacks"] = _fallbacks(protocol, n)
    ctx["retention"] = [_statement(s, n, v) for s in protocol.retention] + _retention_terms(protocol, n, v)
    ctx["security"] = [_statement(s, n, v) for s in protocol.security]
    ctx["contacts"] = _contacts(protocol, n)
    ctx["governance"] = _governance(protocol, n)
    ctx["golden_rules"] = _golden(protocol)
    ctx["signatories"] = [{"name": plain(s.name), "role": plain(s.role),
                           "organisation": n.partner(s.organisation) if s.organisation in v.partners
                           else plain(s.organisation)} for s in m.signatories]
    ctx["approvals_current"], ctx["approvals_history"] = _approvals(protocol, n, v, st.sha256)
    ctx["bases_used"] = _bases_used(protocol, v)
    ctx["unverified_bases"] = sorted({b["text"] for f in ctx["flows"] for col in ("art6", "conditions", "gateways")
                                      for b in f[col] if not b["verified"]})
    from .evidence import case_evidence, review_evidence
    from .cards import partner_cards

    ctx["cards"] = partner_cards(protocol, n, v)
    ctx["cases"] = case_evidence(protocol, cases, n)
    ctx["worked_example"] = _worked_example(ctx["cases"])
    ctx["review"] = review_evidence(protocol, today)
    ctx["decision_form"] = _decision_form(protocol, n, st)
    return ctx


# -- sections ---------------------------------------------------------------------------------------

def _date(value: dt.date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _finding_text(finding) -> str:
    where = finding.file or ""
    if finding.line is not None:
        where += f", line {finding.line}"
    text = plain(finding.message)
    if finding.fix:
        text += f". What to do: {plain(finding.fix)}"
    return f"{text} ({where}; {finding.code})" if where else f"{text} ({finding.code})"


def _partner(p, n: _Names, v: Vocabulary) -> dict:
    role = {"controller": "Controller", "joint_controller": "Joint controller", "processor": "Processor",
            "not_a_controller": "Not a controller (a meeting; see its description)"}[p.controller_role]
    return {
        "id": p.id, "name": plain(p.name), "kind": n.kind(p.kind), "role": role,
        "part_of": n.partner(p.part_of) if p.part_of else "",
        "legal_entity": plain(p.legal_entity) if getattr(p, "legal_entity", None) else "",
        "public_body": "Public authority" if v.is_public_body(p.id) else "Not a public authority",
        "powers": [n.basis(b)["short"] for b in p.statutory_powers],
        "description": plain(p.description),
    }


#: How the agreement explains each kind of deadline that is not clock time (docs/semantics.md section 17).
DEADLINE_NOTES = {
    "working_hours": "Working hours are the partnership's own office hours: a deadline in working hours stops "
                     "overnight, at weekends and on public holidays, and starts again when the office opens.",
    "working_days": "A working day is a weekday that is not a public holiday. \"Within one working day\" runs to "
                    "the same time on the next working day; \"the same working day\" ends when the office closes; "
                    "\"the next working day\" ends when the office closes the day after.",
    "next_school_day": "\"Before the start of the next school day\" follows the school's own timetable, so at a "
                       "weekend or in the holidays it is the first day the school is open.",
    "date_set": "Where a notice sets its own date, the notice, not this agreement, says by when to answer.",
}


def deadline_notes(protocol: Protocol) -> list[str]:
    """The plain-English notes the agreement gives for the kinds of deadline its rules and fallbacks use, in the
    order of :data:`DEADLINE_NOTES`.

    Examples
    --------
    >>> import protocolkit
    >>> [" ".join(note.split()[:4]) for note in deadline_notes(protocolkit.load(protocolkit.example_path("mash")))]
    ['Working hours are the', 'A working day is', '"Before the start of', 'Where a notice sets']
    """
    from ...model.deadlines import working_time

    kinds = set()
    for entry in [*protocol.rules, *protocol.fallbacks]:
        for o in entry.obligations:
            if o.within is None:
                continue
            working = working_time(o.within)
            if working:
                kinds.add("working_hours" if working[1] == "hour" else "working_days")
            elif o.within in ("same_working_day", "next_working_day"):
                kinds.add("working_days")
            elif o.within in DEADLINE_NOTES:
                kinds.add(o.within)
    return [text for kind, text in DEADLINE_NOTES.items() if kind in kinds]


def _used(protocol: Protocol, v: Vocabulary) -> set[str]:
    used: set[str] = set()
    for r in protocol.rules:
        if r.outcome in SHARING_OUTCOMES:
            used |= v.categories_in(r.categories)
    return used


def _purposes_used(protocol: Protocol, n: _Names, v: Vocabulary) -> list[dict]:
    used = set()
    for r in protocol.rules:
        if r.outcome != "refuse":
            used |= v.purposes_in(r.purposes)
    return [{"label": n.purpose(p), "description": plain(v.purposes[p].description)} for p in v.purposes if p in used]


def _guarantees(protocol: Protocol) -> list[dict]:
    if not protocol.guarantees:
        return []
    from ...engine.guarantees import check_guarantees

    out = []
    for r in check_guarantees(protocol).results:
        out.append({"id": r.guarantee.id, "statement": plain(r.guarantee.statement), "proven": r.proven,
                    "space": f"{r.space_size:,}", "rationale": plain(r.guarantee.rationale),
                    "explanation": "" if r.proven else plain(r.explanation)})
    return out


def _need_by_stage(protocol: Protocol, n: _Names, v: Vocabulary) -> list[dict]:
    stages = []
    for stage in v.stages:
        rows: "OrderedDict[str, dict]" = OrderedDict()
        for profile in protocol.need_to_know:
            if stage.id not in v.stages_in(profile.stages):
                continue
            who = n.selector(profile.recipient)
            row = rows.setdefault(who, {"recipient": who, "categories": [], "purposes": [], "why": []})
            for c in profile.categories:
                label = n.category(c)
                if label not in row["categories"]:
                    row["categories"].append(label)
            purposes = n.scope(profile.purposes, n.purpose, "any purpose")
            if purposes not in row["purposes"]:
                row["purposes"].append(purposes)
            if profile.rationale and plain(profile.rationale) not in row["why"]:
                row["why"].append(plain(profile.rationale))
        stages.append({"label": plain(stage.label), "id": stage.id,
                       "rows": [{**r, "categories": "; ".join(r["categories"]), "purposes": "; ".join(r["purposes"]),
                                 "why": " ".join(r["why"])} for r in rows.values()]})
    return stages


def _flow(rule, n: _Names, v: Vocabulary) -> dict:
    from ..register import regime   # the same words as the CSV register of flows

    bases = [n.basis(b) for b in rule.lawful_bases]
    return {
        "rule": rule.id, "title": plain(rule.title),
        "from": n.selector(rule.from_), "to": n.selector(rule.to),
        "data": n.scope(rule.categories, n.category, "any data"),
        "whose": whose(rule.about, n.protocol),
        "stages": n.scope(rule.stages, n.stage, "every stage"),
        "purposes": n.scope(rule.purposes, n.purpose, "any purpose"),
        "when": _when(rule),
        "outcome": OUTCOME_WORDS.get(rule.outcome, rule.outcome),
        # duty, permission or discretion (docs/semantics.md section 4a), in words; nothing for a plain permission
        "sharing": ("must share: a duty" if rule.sharing == "required" else
                    f"may share if {plain(rule.decided_by)} judges it appropriate, and records it"
                    if rule.sharing == "discretion" else "") if rule.outcome in SHARING_OUTCOMES else "",
        "art6": [b for b in bases if b["kind"] in _ART6 or b["kind"] == "dpa_part3"],
        "conditions": [b for b in bases if b["kind"] in _CONDITIONS],
        "gateways": [b for b in bases if b["kind"] not in _ART6 | _CONDITIONS | {"dpa_part3"}],
        "regime": plain(regime(v, rule.lawful_bases, rule)),
        "no_basis": not bases,
    }


def _bases_used(protocol: Protocol, v: Vocabulary) -> list[dict]:
    used = {b for r in protocol.rules for b in r.lawful_bases} | {b for p in protocol.partners for b in p.statutory_powers}
    out = []
    for bid, entry in v.lawful_bases.items():
        if bid in used:
            out.append({"id": bid, "citation": plain(entry.citation), "label": plain(entry.label),
                        "summary": plain(entry.summary), "verified": entry.verified})
    out += [{"id": b, "citation": b, "label": "not in the legal taxonomy", "summary": "", "verified": False}
            for b in sorted(used - set(v.lawful_bases))]
    return out


def _when(rule) -> str:
    """The rule's conditions in words, with who asked where the rule says (``requested_by``)."""
    parts = [c.describe() for c in rule.conditions()]
    asked = getattr(rule, "requested_by", "any")
    if asked != "any":
        from ...model import rules as rule_model

        parts.append(rule_model.describe_requested_by(asked))
    return "; ".join(parts)


def whose(about, protocol) -> str:
    """Whose data a rule is limited to, in words (``docs/semantics.md`` section 16): ``only information about the
    victim``; empty for a rule about anyone.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> whose(p.rule("R-GEN-21").about, p), whose("any", p)
    ('only information about the alleged perpetrator', '')
    """
    if about == "any":
        return ""
    from ...model.rules import describe_about

    return plain("only information " + describe_about(list(about), {s.id: s.label for s in protocol.subjects}))


def _rule_line(rule, n: _Names) -> dict:
    return {"rule": rule.id, "title": plain(rule.title), "from": n.selector(rule.from_), "to": n.selector(rule.to),
            "whose": whose(rule.about, n.protocol),
            "when": _when(rule) or "always",
            "stages": n.scope(rule.stages, n.stage, "every stage"),
            "outcome": OUTCOME_WORDS.get(rule.outcome, rule.outcome), "rationale": plain(rule.rationale),
            "escalate_to": plain(rule.escalate_to)}


def _consent(protocol: Protocol, n: _Names) -> dict:
    sought = [_rule_line(r, n) for r in protocol.rules if r.outcome == "seek_consent"]
    overridden = [_rule_line(r, n) for r in protocol.rules if r.outcome in SHARING_OUTCOMES
                  and any(c.fact == "consent" and ({"refused", "not_sought"} & set(c.allowed(_fact(protocol, "consent"))))
                          for c in r.conditions())]
    respected = [_rule_line(r, n) for r in protocol.rules if r.outcome == "refuse"
                 and any(c.fact == "consent" for c in r.conditions())]
    return {"sought": sought, "overridden": overridden, "respected": respected}


def _fact(protocol: Protocol, fact_id: str):
    return Vocabulary.of(protocol).facts[fact_id]


def _informing(protocol: Protocol, n: _Names) -> dict:
    tell, not_tell = [], []
    for r in protocol.rules:
        kinds = {str(o).partition(": ")[0]: o for o in r.obligations}
        if "inform_family" in kinds:
            tell.append(_rule_line(r, n))
        if "do_not_inform_family" in kinds:
            line = _rule_line(r, n)
            line["detail"] = plain(kinds["do_not_inform_family"].detail)
            not_tell.append(line)
    return {"tell": tell, "not_tell": not_tell}


def _escalation(protocol: Protocol, n: _Names) -> list[dict]:
    routes: "OrderedDict[str, list]" = OrderedDict()
    for r in protocol.rules:
        if r.outcome == "escalate":
            routes.setdefault(plain(r.escalate_to) or "(no role named)", []).append(_rule_line(r, n))
    return [{"role": role, "rules": rules} for role, rules in routes.items()]


def _fallbacks(protocol: Protocol, n: _Names) -> list[dict]:
    """What each purpose's requests get when no rule decides them (``docs/semantics.md`` section 5)."""
    triggers = {"gap": "no rule covers the request", "unknown_fact": "a fact that would change the answer is not known"}
    out = []
    for f in getattr(protocol, "fallbacks", []) or []:
        out.append({"id": f.id, "title": plain(f.title) or f.id,
                    "purposes": n.scope(f.purposes, n.purpose, "every purpose"),
                    "when": join([triggers.get(t, t) for t in f.on], "or"),
                    "outcome": OUTCOME_WORDS.get(f.outcome, f.outcome)
                    + (f" ({plain(f.escalate_to)} decides)" if f.escalate_to else ""),
                    "obligations": "; ".join(n.obligation(str(o)) for o in f.obligations),
                    "rationale": plain(f.rationale)})
    return out


def _statement(s, n: _Names, v: Vocabulary) -> dict:
    return {"id": s.id, "partners": n.scope(s.partners, n.partner, "every partner"),
            "categories": n.scope(s.categories, n.category, "all data"), "text": plain(s.text),
            "period": plain(s.period) or _duration(s)}


def _retention_terms(protocol: Protocol, n: _Names, v: Vocabulary) -> list[dict]:
    """Retention stated once in a default or on a rule (docs/semantics.md section 18), as rows of the agreement's
    retention section: who keeps it (and for which flows), the data, the period, and where the period comes from."""
    rows = []
    for d in protocol.defaults:
        flows = []
        if d.senders != "any":
            flows.append("from " + n.selector(d.senders))
        if d.purposes != "any":
            flows.append("for " + n.scope(d.purposes, n.purpose, "any purpose").lower())
        who = n.selector(d.recipients) if d.recipients != "any" else "Every partner that receives it"
        for t in d.retention:
            rows.append({"id": d.id, "partners": who + (f" (what it receives {' '.join(flows)})" if flows else ""),
                         "categories": n.scope(t.categories, n.category, "all data"), "period": plain(t.words()),
                         "text": _term_text(t, f"Stated once for these flows (default {d.id}).", d.rationale)})
    for r in protocol.rules:
        for t in r.retention:
            rows.append({"id": r.id, "partners": f"{n.selector(r.to)} (what rule {r.id} shares)",
                         "categories": n.scope(t.categories, n.category, "all data"), "period": plain(t.words()),
                         "text": _term_text(t, f"Stated on rule {r.id} (\"{plain(r.title)}\"), in place of any "
                                               "default for this data.", None)})
    return rows


def _term_text(term, where: str, rationale) -> str:
    parts = [where]
    if rationale:
        parts.append(plain(rationale).strip())
    parts.append(f"Source of the period: {plain(term.source)}." if term.source
                 else "No source is given for the period.")
    return " ".join(parts)


def _duration(statement) -> str:
    """A retention statement's machine-readable period in words: ``6 years after case closure``."""
    duration, after = getattr(statement, "duration", None), getattr(statement, "after", None)
    if not duration:
        return ""
    return plain(f"{duration} after {after}" if after else duration)


def _governance(protocol: Protocol, n: _Names) -> dict:
    g = getattr(protocol, "governance", None)
    if g is None:
        return {}
    admits = plain(getattr(g, "admits_partners", None))
    reviewed = getattr(g, "partner_list_reviewed", None)
    return {"admits": admits, "reviewed": _date(reviewed), "interval": plain(getattr(g, "review_interval", ""))}


def _contacts(protocol: Protocol, n: _Names) -> list[dict]:
    rows = []
    for p in protocol.partners:
        c = p.contacts
        for role, contact in (("Data protection officer", c.dpo), ("Caldicott guardian", c.caldicott_guardian),
                              ("Designated safeguarding lead", c.designated_safeguarding_lead),
                              ("Single point of contact", c.single_point_of_contact)):
            if contact is not None:
                rows.append({"partner": plain(p.name), "role": role, "name": plain(contact.name),
                             "reach": join([plain(contact.email), plain(contact.phone)], "or")})
    return rows


def _golden(protocol: Protocol) -> list[dict]:
    cited: dict[int, list[str]] = {i: [] for i in range(1, 8)}
    for r in protocol.rules:
        for number in sorted(golden_rules_cited(f"{r.title} {r.rationale}")):
            cited[number].append(r.id)
    for g in protocol.guarantees:
        for number in sorted(golden_rules_cited(f"{g.statement} {g.rationale or ''}")):
            cited[number].append(g.id)
    for f in getattr(protocol, "fallbacks", []) or []:
        for number in sorted(golden_rules_cited(f"{f.title or ''} {f.rationale}")):
            cited[number].append(f.id)
    out = []
    for rule in golden_rules():
        number = int(rule["number"])
        out.append({"number": number, "text": rule["text"], "source": rule["source"],
                    "verified": rule.get("verified", True), "where": cited.get(number, [])})
    return out


def _worked_example(cases: dict) -> dict | None:
    """The case the agreement walks through under "challenging information": one the protocol marks
    as the source article's, else the first case with an escalated request."""
    items = cases["cases"]
    for case in items:
        if re.search(r"source article|challenging information", f"{case['scenario']} {case['description']}",
                     re.IGNORECASE):
            return case
    for case in items:
        if any(r["actual"] == "escalate" for s in case["steps"] for r in s["requests"]):
            return case
    return None


def _decision_form(protocol: Protocol, n: _Names, st) -> list[dict]:
    """The ICO data sharing code's Annex B request and decision form, with what this agreement already fixes."""
    agreement = f"Yes: {plain(protocol.metadata.title)}, version {plain(protocol.metadata.version)} ({st.sha256[:12]})"
    fields = [
        ("Receiving organisation", ""), ("Requesting organisation", ""), ("Requester's name and position", ""),
        ("Date request received", ""), ("Description of the information requested", ""),
        ("Controller relationship (joint or separate controllers)", "Separate controllers unless the agreement "
         "names partners as joint controllers (see Parties)"),
        ("Is a data sharing agreement in place?", agreement),
        ("Purpose of the sharing", ""), ("Lawful basis (UK GDPR Art 6, or DPA 2018 Part 3)", "See the rule that "
         "decides the request (Lawful bases section)"),
        ("Why the sharing is necessary", ""),
        ("Special category (Art 9) or criminal offence (Art 10) conditions; DPA 2018 Schedule 1", ""),
        ("DPA 2018 Part 3 provisions, if relevant", ""), ("Legal power (statutory gateway), if relevant", ""),
        ("DPIA considered? Outcome", ""), ("Data protection officer's views, if no DPIA", ""),
        ("Retention and deletion arrangements", "As the Retention and deletion section sets out"),
        ("Security considerations", "As the Security section sets out"),
        ("Arrangements for individuals' rights", "As the Access and individual rights section sets out"),
        ("Date(s) or interval of sharing", ""), ("Decision: share, share the minimum, or do not share", ""),
        ("Reasons for sharing or not sharing", ""), ("Decision-maker's name and position", ""),
        ("Signature and date", ""),
    ]
    return [{"field": f, "entry": e} for f, e in fields]


def _approvals(protocol: Protocol, n, v, sha256: str) -> tuple[list[list[str]], list[list[str]]]:
    """Rows of the sign-off block (approvals of this content) and of the change history (every version signed)."""
    from ...model.approvals import load_approvals

    approvals = load_approvals(protocol.folder) if protocol.folder is not None else []

    def organisation(a) -> str:
        return n.partner(a.organisation) if a.organisation in v.partners else plain(a.organisation)

    current = [[organisation(a), plain(a.name), plain(a.role), a.date.isoformat()]
               for a in approvals if a.is_current(sha256)]
    history: dict[tuple[str, str], list] = {}
    for a in approvals:
        history.setdefault((a.version, a.sha256), []).append(a)
    rows = []
    for (version, digest), signed in history.items():
        who = "; ".join(f"{organisation(a)} ({plain(a.name)}, {a.date.isoformat()})" for a in signed)
        rows.append([plain(version), digest, who, "yes" if digest == sha256 else "no: the text has changed since"])
    return current, rows

