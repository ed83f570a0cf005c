"""How ``protocolkit decide`` reads to an information governance lead: the answer first, ids last.

The layout, for each group of categories with the same outcome: one plain sentence ("Riverside
Academy should not share police intelligence with Northbridge Constabulary at referral for
safeguarding"), the minimum that may go (once), the duties as a short list, the lawful bases by
name with their citation, why (the deciding rule's rationale), any further notes the engine's
explanation adds (retention, need-to-know, overridden rules, ...), and last the rule ids.

Everything here is read from the decision the engine made; nothing is decided here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..engine.compiled import compile_protocol
from ..engine.decisions import CategoryDecision, Decision
from ..model.legal import UNVERIFIED
from ..model.naming import joined, repeats, with_detail
from ..model.outcomes import Outcome, outcome_words
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary


@dataclass
class Section:
    """One block of the answer: a heading sentence and the lines under it."""

    lead: str
    minimum: str = ""
    duties: list[str] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    why: str = ""
    notes: list[str] = field(default_factory=list)
    rules: str = ""


def join(items, last: str = "and") -> str:
    """``a, b and c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _verb(decision: CategoryDecision, recipient: str) -> str:
    if decision.sharing == "required" and decision.outcome in (Outcome.SHARE, Outcome.SHARE_MINIMUM):
        return "must share" if decision.outcome == Outcome.SHARE else "must share only a minimum of"
    return {
        Outcome.SHARE: "may share",
        Outcome.SHARE_MINIMUM: "may share only a minimum of",
        Outcome.SEEK_CONSENT: "should seek the family's consent before sharing",
        Outcome.ESCALATE: f"should not decide alone (ask {decision.escalate_to or 'the escalation point'}) whether to share",
        Outcome.REFUSE: "should not share",
        Outcome.NEITHER_CONFIRM_NOR_DENY: "should neither confirm nor deny holding",
        Outcome.GAP: "has no rule that says whether it may share",
    }.get(decision.outcome, outcome_words(decision.outcome))


def lower_first(label: str) -> str:
    """A label inside a sentence: ``Police intelligence`` -> ``police intelligence``; ``GP records`` stays.

    Examples
    --------
    >>> lower_first("Screening and triage"), lower_first("GP records"), lower_first("MAPPA status")
    ('screening and triage', 'GP records', 'MAPPA status')
    """
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        return label[0].lower() + label[1:]
    return label


def lead_sentence(v: Vocabulary, decision: Decision, group: list[CategoryDecision]) -> str:
    """The one sentence that answers the request for a group of categories with the same outcome."""
    r = decision.request
    sender, recipient = v.label("partners", r.sender), v.label("partners", r.recipient)
    what = join(lower_first(v.label("categories", c.category)) for c in group)
    if getattr(r, "about", None):
        from ..model.rules import describe_about

        what += " " + describe_about([r.about], {k: e.label for k, e in (v.subjects or {}).items()})
    when = f"at {lower_first(v.label('stages', r.stage))} for {lower_first(v.label('purposes', r.purpose))}"
    first = group[0]
    if first.outcome == Outcome.GAP or (first.gap and first.fallback):
        text = f"No rule says whether {sender} may share {what} with {recipient} {when}: this is a gap in the protocol"
        if first.fallback:
            who = f": {first.escalate_to} decides" if first.outcome == Outcome.ESCALATE and first.escalate_to else ""
            return text + f"; until a rule covers it, the fallback {first.fallback} applies ({outcome_words(first.outcome)}{who})."
        return text + ", so nothing is shared until a rule covers it."
    return f"{sender} {_verb(first, recipient)} {what} with {recipient} {when}."


def duty_lines(v: Vocabulary, obligations, compiled=None) -> list[str]:
    """Each obligation as a short line a practitioner acts on (``compiled``: the protocol's compiled tables, so that
    a deadline that is data and has words of its own reads when first, then the words)."""
    from ..engine.explain import deadline_sentence

    out = []
    for text in obligations:
        kind, _, detail = text.partition(": ")
        entry = v.obligation_types.get(kind)
        label = entry.label if entry else kind.replace("_", " ")
        if kind == "deadline" and detail:
            ordered = deadline_sentence(compiled, text) if compiled is not None else None
            out.append(ordered or (detail if detail.lower().startswith("act ") else f"act {detail}"))
        elif kind == "do_not_inform_family":
            out.append("do " + with_detail(label, detail))  # the label reads "not tell the family yet"
        else:
            out.append(with_detail(label, detail))
    return out


def basis_lines(v: Vocabulary, ids) -> list[str]:
    """Each lawful basis by name, with its citation and id; unverified points say so."""
    out = []
    for i in ids:
        entry = v.lawful_bases.get(i)
        if entry is None:
            out.append(i)
            continue
        line = f"{joined(entry.label, entry.citation)} ({i})"
        if not entry.verified:
            line += f" - {UNVERIFIED}"
        out.append(line)
    return out


def _known_parts(v: Vocabulary, protocol: Protocol, decision: Decision, c: CategoryDecision) -> list[str]:
    """Sentences of the engine's explanation that the sections already say (so they are not repeated)."""
    from ..engine.compiled import compile_protocol
    from ..engine import explain

    compiled = compile_protocol(protocol)
    parts = []
    if c.lawful_bases:
        parts.append(f"Lawful basis: {explain._bases(compiled, c.lawful_bases)}.")
    parts += explain._duties(compiled, c.obligations)
    rule = _rule(protocol, c.rule)
    if rule is not None and rule.rationale:
        parts.append(f"Why: {rule.rationale.strip()}")
    if c.fallback:
        fallback = next((f for f in getattr(protocol, "fallbacks", []) or [] if f.id == c.fallback), None)
        if fallback is not None and fallback.rationale:
            parts.append(f"Why: {fallback.rationale.strip()}")
    return parts


def _rule(protocol: Protocol, rule_id: str | None):
    return next((r for r in protocol.rules if r.id == rule_id), None) if rule_id else None


def _remainder(explanation: str, known: list[str], rule_id: str | None, gap_fallback: str | None = None) -> list[str]:
    """What the explanation says beyond the lead, the bases, the duties and the rationale."""
    text = explanation
    for part in known:
        text = text.replace(part, "")
    if gap_fallback:  # the head says what the lead sentence said: a gap, and which fallback applies
        marker = f"the partnership's fallback {gap_fallback} "
        at = text.find(marker)
        end = text.find(". ", at) if at >= 0 else -1
        if at >= 0:
            text = text[end + 2:] if end >= 0 else ""
    elif rule_id:  # the head sentence ends with the deciding rule and its conditions
        marker = f"because rule {rule_id} "
        at = text.find(marker)
        if at >= 0:
            end = text.find(". ", at)
            text = text[end + 2:] if end >= 0 else ""
    elif "This is a gap in the protocol" in text:
        text = text.split("add a rule that decides it.", 1)[-1]
    notes = [s.strip() for s in _NOTE_START.split(" ".join(text.split())) if s.strip()]
    return [n if n.endswith(".") else n + "." for n in notes]


#: Where a further note of the engine's explanation starts: each is printed on its own line.
_NOTE_START = re.compile(r"(?<=\.) (?=Note: |Retention: |No retention period |Also matched but overridden: "
                         r"|Matched but not deciding |Kept from overridden |Inherited from the agreement)")


def sections(protocol: Protocol, decision: Decision) -> list[Section]:
    """The answer to a decision, one section per group of categories with the same outcome and rule."""
    v = Vocabulary.of(protocol)
    groups: dict[tuple, list[CategoryDecision]] = {}
    for c in decision.categories:
        groups.setdefault((c.outcome, c.rule, c.fallback, c.minimum, c.obligations, c.lawful_bases), []).append(c)
    out = []
    for group in groups.values():
        first = group[0]
        section = Section(lead_sentence(v, decision, group))
        if first.minimum:
            section.minimum = first.minimum.strip()
        section.duties = duty_lines(v, first.obligations, compile_protocol(protocol))
        section.bases = basis_lines(v, first.lawful_bases) if first.shared or first.lawful_bases else []
        rule = _rule(protocol, first.rule)
        if rule is not None and rule.rationale:
            section.why = " ".join(rule.rationale.split())
        elif first.fallback:
            fallback = next((f for f in getattr(protocol, "fallbacks", []) or [] if f.id == first.fallback), None)
            section.why = " ".join((fallback.rationale or "").split()) if fallback is not None else ""
        per_category = {c.category: _remainder(c.explanation, _known_parts(v, protocol, decision, c), c.rule,
                                               c.fallback if c.gap else None) for c in group}
        for c in group:  # a note every category of the group has is said once, the others under their category
            for note in per_category[c.category]:
                label = v.label("categories", c.category)
                if all(note in notes for notes in per_category.values()) or repeats(label, note):
                    line = note
                else:
                    line = f"{label}: {note}"
                if line not in section.notes:
                    section.notes.append(line)
        ids = []
        if first.deciding_rules:
            ids.append(f"decided by {', '.join(first.deciding_rules)}")
        elif first.fallback:
            ids.append(f"decided by the fallback {first.fallback}")
        matched = sorted({r for c in group for r in c.rules_matched} - set(first.deciding_rules))
        if matched:
            ids.append(f"also matched {', '.join(matched)}")
        cats = ", ".join(c.category for c in group)
        if first.gap and not first.fallback:
            section.rules = f"no rule covers {cats} (a gap)"
        else:
            section.rules = f"{outcome_words(first.outcome)}: {cats}" + (f" ({'; '.join(ids)})" if ids else "")
        out.append(section)
    return out


def parent_categories(protocol: Protocol, decision: Decision) -> dict[str, list[str]]:
    """Requested categories that no rule names as a whole but whose sub-categories rules decide, with those."""
    v = Vocabulary.of(protocol)
    named = {c for r in protocol.rules if r.categories != "any" for c in r.categories}
    out = {}
    for c in decision.categories:
        below = [d for d in v.category_descendants(c.category) if d != c.category]
        if c.gap and below and any(n in below for n in named):
            out[c.category] = below
    return out


def render_decision(protocol: Protocol, decision: Decision) -> list[str]:
    """The lines ``protocolkit decide`` prints."""
    v = Vocabulary.of(protocol)
    parents = parent_categories(protocol, decision)
    lines: list[str] = []
    if parents:
        for parent, below in parents.items():
            lines.append(f"{v.label('categories', parent)} ({parent}) is a group of categories: the rules decide its "
                         "sub-categories one by one, not the group as a whole. Ask about the ones you mean, "
                         "for example --data " + ",".join(below[:2]) + ". Its sub-categories:")
            lines += [f"  {d:<40} {v.label('categories', d)}" for d in below]
        decision = _without(decision, set(parents))
        if not decision.categories:
            return lines
        lines.append("")
    for n, section in enumerate(sections(protocol, decision)):
        if n:
            lines.append("")
        lines.append(section.lead)
        if section.minimum:
            lines.append(f"What may go, and no more: {section.minimum}")
        if section.duties:
            lines.append("Duties:")
            lines += [f"  - {d}" for d in section.duties]
        if section.bases:
            lines.append("Lawful bases:")
            lines += [f"  - {b}" for b in section.bases]
        if section.why:
            lines.append(f"Why: {section.why}")
        lines += section.notes
        lines.append(f"Rules: {section.rules}")
    return lines


def _without(decision: Decision, categories: set[str]) -> Decision:
    from dataclasses import replace

    return replace(decision, categories=tuple(c for c in decision.categories if c.category not in categories))


__all__ = ["Section", "basis_lines", "duty_lines", "lead_sentence", "parent_categories", "render_decision", "sections",
           "why_not_sentence"]


#: What a reader must change, for each part a why-not candidate touches.
CHANGE_WORDS = {
    "sender": "a different sender",
    "recipient": "a different recipient",
    "category": "a rule edit so a rule covers this category",
    "stage": "a different stage",
    "purpose": "a different purpose",
    "requested_by": "a different person asking",
    "about": "data about a different person",
    "facts": "different facts of the case",
}

#: How many candidates ``why-not`` shows for each category unless ``--all``.
SHOWN = 3


def change_heading(must_change) -> str:
    """``Needs a different recipient and different facts of the case``."""
    return "Needs " + join(CHANGE_WORDS.get(d, d) for d in must_change) + ":"


def why_not_sentence(protocol: Protocol, decision: Decision, c: CategoryDecision) -> str:
    """The sentence that opens ``why-not`` for one category: who may not share what with whom, when and why,
    in words, with the ids after it.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> d = protocolkit.decide(p, {"from": "school", "to": "police", "categories": ["criminal.intelligence"],
    ...                            "stage": "referral", "purpose": "safeguarding"})
    >>> print(why_not_sentence(p, d, d.categories[0]))
    Riverside Academy (designated safeguarding lead) may not share police intelligence with Northbridge Constabulary at referral for safeguarding children and adults at risk, because the rule "Police intelligence is never passed on by another partner" refuses it (criminal.intelligence, rule R-GEN-04).
    """
    v = Vocabulary.of(protocol)
    r = decision.request
    sender, recipient = v.label("partners", r.sender), v.label("partners", r.recipient)
    what = lower_first(v.label("categories", c.category))
    if getattr(r, "about", None):
        from ..model.rules import describe_about

        what += " " + describe_about([r.about], {k: e.label for k, e in (v.subjects or {}).items()})
    head = (f"{sender} may not share {what} with {recipient} "
            f"at {lower_first(v.label('stages', r.stage))} for {lower_first(v.label('purposes', r.purpose))}")
    if c.fallback:
        fallback = "the partnership's fallback applies: " + {
            Outcome.ESCALATE: f"{c.escalate_to or 'a named role'} decides",
            Outcome.REFUSE: "nothing is shared",
            Outcome.SEEK_CONSENT: "the family's consent is sought first",
            Outcome.NEITHER_CONFIRM_NOR_DENY: "the request is neither confirmed nor denied",
        }.get(c.outcome, outcome_words(c.outcome))
        ids = f"({c.category}, fallback {c.fallback})"
        if c.gap:
            return f"{head}, because no rule covers it (a gap in the protocol); until one does, {fallback} {ids}."
        facts = join(lower_first(v.label("facts", f)) for f in getattr(c, "waiting_on", ()) or ())
        known = f": {facts}" if facts else ""
        return f"{head} yet, because a fact that decides it is not known{known}; until it is, {fallback} {ids}."
    if c.gap or not c.rule:
        return f"{head}, because no rule covers it: this is a gap in the protocol, so nothing goes ({c.category})."
    rule = _rule(protocol, c.rule)
    named = f"the rule \"{' '.join(rule.title.split())}\"" if rule is not None and rule.title else f"rule {c.rule}"
    because = {
        Outcome.REFUSE: f"{named} refuses it",
        Outcome.NEITHER_CONFIRM_NOR_DENY: f"{named} says to neither confirm nor deny holding it",
        Outcome.ESCALATE: f"{named} leaves the decision to {c.escalate_to or 'a named role'}",
        Outcome.SEEK_CONSENT: f"{named} says to seek the family's consent first",
    }.get(c.outcome, f"{named} decides {outcome_words(c.outcome)}")
    return f"{head}, because {because} ({c.category}, rule {c.rule})."


def render_why_not(protocol: Protocol, decision: Decision, table, show_all: bool = False) -> list[str]:
    """The lines ``protocolkit why-not`` prints: per category that may not go, why, whether that is intended,
    and the smallest changes that would let it go, grouped by what must change."""
    from ..engine.why_not import IMPOSSIBLE, promised_refusals

    v = Vocabulary.of(protocol)
    lines: list[str] = []
    rows = table.to_dict("records")
    hidden = 0
    for c in decision.categories:
        if c.shared:
            continue
        if lines:
            lines.append("")
        lines.append(why_not_sentence(protocol, decision, c))
        promises = promised_refusals(protocol, decision.request, c.category) if not c.gap else []
        for g in promises:
            lines.append(f"This is intended: rule {c.rule} withholds it, and guarantee {g.id} promises that: "
                         f"\"{' '.join(g.statement.split())}\"")
        candidates = [r for r in rows if r["category"] == c.category]
        possible = [r for r in candidates if r["then"] != IMPOSSIBLE]
        shown = candidates if show_all else possible[:SHOWN]
        hidden += len(candidates) - len(shown)
        if not candidates:
            lines.append("No rule of this protocol shares it with anyone: only a new rule would let it go.")
            continue
        what = "Every rule that could let it go" if show_all else \
            f"The smallest change{'s' if len(shown) != 1 else ''} that would let it go"
        if promises:
            what += f" (each would need to respect {join(g.id for g in promises)})"
        lines.append(f"{what}, {len(shown)} of {len(candidates)}:")
        groups: dict[tuple, list[dict]] = {}
        for row in shown:
            groups.setdefault(tuple(row["must_change"]), []).append(row)
        for must_change, group in groups.items():
            lines.append(f"  {change_heading(must_change)}")
            lines += [f"    - {row['explanation']}" for row in group]
    if hidden:
        lines.append("")
        lines.append(f"{hidden} larger change{'s are' if hidden != 1 else ' is'} not shown: add --all to list them.")
    return lines
