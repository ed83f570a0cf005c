"""How ``protocolkit decide`` reads to an information governance lead: the answer first, ids last.

The layout, for each group of categories with the same outcome: one plain sentence ("Riverside
Academy should not share police intelligence with Northbridge Constabulary at referral for
safeguarding"), the minimum that may go (once), the duties as a short list, the lawful bases by
name with their citation, why (the deciding rule's rationale), any further notes the engine's
explanation adds (retention, need-to-know, overridden rules, ...), and last the rule ids.

Everything here is read from the decision the engine made; nothing is decided here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..engine.decisions import CategoryDecision, Decision
from ..model.legal import UNVERIFIED
from ..model.outcomes import outcome_words
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
    return {
        "share": "may share",
        "share_minimum": "may share only a minimum of",
        "seek_consent": "should seek the family's consent before sharing",
        "escalate": f"should not decide alone (ask {decision.escalate_to or 'the escalation point'}) whether to share",
        "refuse": "should not share",
        "neither_confirm_nor_deny": "should neither confirm nor deny holding",
        "gap": "has no rule that says whether it may share",
    }.get(decision.outcome, outcome_words(decision.outcome))


def lead_sentence(v: Vocabulary, decision: Decision, group: list[CategoryDecision]) -> str:
    """The one sentence that answers the request for a group of categories with the same outcome."""
    r = decision.request
    sender, recipient = v.label("partners", r.sender), v.label("partners", r.recipient)
    what = join(v.label("categories", c.category).lower() for c in group)
    if getattr(r, "about", None):
        from ..model.rules import describe_about

        what += " " + describe_about([r.about], {k: e.label for k, e in (v.subjects or {}).items()})
    when = f"at {v.label('stages', r.stage).lower()} for {v.label('purposes', r.purpose).lower()}"
    first = group[0]
    if first.outcome == "gap" or (first.gap and first.fallback):
        text = f"No rule says whether {sender} may share {what} with {recipient} {when}: this is a gap in the protocol"
        if first.fallback:
            return text + f"; until a rule covers it, the fallback {first.fallback} applies ({outcome_words(first.outcome)})."
        return text + ", so nothing is shared until a rule covers it."
    return f"{sender} {_verb(first, recipient)} {what} with {recipient} {when}."


def duty_lines(v: Vocabulary, obligations) -> list[str]:
    """Each obligation as a short line a practitioner acts on."""
    out = []
    for text in obligations:
        kind, _, detail = text.partition(": ")
        entry = v.obligation_types.get(kind)
        label = entry.label if entry else kind.replace("_", " ")
        if kind == "deadline" and detail:
            out.append(f"act {detail}")
        elif kind == "do_not_inform_family":
            out.append(f"do not tell the family yet{f' ({detail})' if detail else ''}")
        else:
            out.append(f"{label} ({detail})" if detail else label)
    return out


def basis_lines(v: Vocabulary, ids) -> list[str]:
    """Each lawful basis by name, with its citation and id; unverified points say so."""
    out = []
    for i in ids:
        entry = v.lawful_bases.get(i)
        if entry is None:
            out.append(i)
            continue
        line = f"{entry.label}: {entry.citation} ({i})"
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


def _remainder(explanation: str, known: list[str], rule_id: str | None) -> list[str]:
    """What the explanation says beyond the lead, the bases, the duties and the rationale."""
    text = explanation
    for part in known:
        text = text.replace(part, "")
    if rule_id:  # the head sentence ends with the deciding rule and its conditions
        marker = f"because rule {rule_id} "
        at = text.find(marker)
        if at >= 0:
            end = text.find(". ", at)
            text = text[end + 2:] if end >= 0 else ""
    elif "This is a gap in the protocol" in text:
        text = text.split("add a rule that decides it.", 1)[-1]
    notes = [s.strip() for s in text.replace("  ", " ").split(" Note: ") if s.strip()]
    notes = [n if n.startswith(("Note: ", "Retention: ")) or n is notes[0] else f"Note: {n}" for n in notes]
    return [n if n.endswith(".") else n + "." for n in notes]


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
        section.duties = duty_lines(v, first.obligations)
        section.bases = basis_lines(v, first.lawful_bases) if first.shared or first.lawful_bases else []
        rule = _rule(protocol, first.rule)
        if rule is not None and rule.rationale:
            section.why = " ".join(rule.rationale.split())
        elif first.fallback:
            fallback = next((f for f in getattr(protocol, "fallbacks", []) or [] if f.id == first.fallback), None)
            section.why = " ".join((fallback.rationale or "").split()) if fallback is not None else ""
        for c in group:
            known = _known_parts(v, protocol, decision, c)
            for note in _remainder(c.explanation, known, c.rule):
                label = v.label("categories", c.category)
                note = note if len(group) == 1 else f"{label}: {note}"
                if note not in section.notes:
                    section.notes.append(note)
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


__all__ = ["Section", "basis_lines", "duty_lines", "lead_sentence", "parent_categories", "render_decision", "sections"]


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

_STATE = {"refuse": "refused", "seek_consent": "held until the family consents", "escalate": "escalated",
          "neither_confirm_nor_deny": "neither confirmed nor denied"}

#: How many candidates ``why-not`` shows for each category unless ``--all``.
SHOWN = 3


def change_heading(must_change) -> str:
    """``Needs a different recipient and different facts of the case``."""
    return "Needs " + join(CHANGE_WORDS.get(d, d) for d in must_change) + ":"


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
        label = f"{v.label('categories', c.category)} ({c.category})"
        if c.gap and not c.fallback:
            lines.append(f"{label}: no rule covers it, so nothing goes (a gap).")
        elif c.fallback:
            lines.append(f"{label}: {outcome_words(c.outcome)}, decided by the fallback {c.fallback}"
                         f"{' because no rule covers it' if c.gap else ' while a fact is unknown'}.")
        else:
            lines.append(f"{label}: {_STATE.get(c.outcome, outcome_words(c.outcome))} by rule {c.rule}.")
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
