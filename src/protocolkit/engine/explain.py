"""Plain-English explanations of decisions, as a practitioner reads them.

Builds sentences from a decision's data (deciding rule, conditions, lawful bases,
obligations, need-to-know); it decides nothing itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from ..model.legal import UNVERIFIED
from ..model.outcomes import outcome_words
from ..model.deadlines import TIMINGS, describe_deadline
from ..model.naming import repeats, with_detail
from ..model.rules import Fallback, Rule, describe_about, describe_requested_by

if TYPE_CHECKING:  # pragma: no cover
    from .compiled import CompiledProtocol
    from .results import CategoryDecision
    from .requests import Request


def _join(items: Sequence[str], last: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _conditions(rule: Rule, compiled: "CompiledProtocol | None" = None) -> str:
    parts = [c.describe() for c in rule.conditions()]
    if rule.requested_by != "any":
        parts.append(describe_requested_by(rule.requested_by))
    if getattr(rule, "about", "any") != "any":
        labels = {k: v.label for k, v in (compiled.vocab.subjects or {}).items()} if compiled is not None else {}
        parts.append("the request is " + describe_about(rule.about, labels))
    return f" ({_join(parts)})" if parts else ""


def _bases(compiled: "CompiledProtocol", ids: Sequence[str]) -> str:
    v = compiled.vocab

    def one(i: str) -> str:
        entry = v.lawful_bases.get(i)
        if entry is None:
            return i
        flag = f" ({UNVERIFIED})" if not entry.verified else ""
        return f"{entry.label} ({i}){flag}"

    return _join([one(i) for i in ids])


def _duties(compiled: "CompiledProtocol", obligations: Sequence[str]) -> list[str]:
    """The obligations in sentences: what must be done, and what must be done before or after the disclosure
    (an obligation's text reads ``type: detail; timing, deadline``, as ``Obligation.__str__`` writes it)."""
    sentences = []
    musts: dict[str, list[str]] = {"": [], "before": [], "after": []}
    for text in obligations:
        kind, _, detail = text.partition(": ")
        entry = compiled.vocab.obligation_types.get(kind)
        label = entry.label if entry else kind.replace("_", " ")
        timing = next((t for t, words in TIMINGS.items() if detail.startswith(words) or f"; {words}" in detail), "")
        if timing:
            words = TIMINGS[timing]
            detail = detail.replace(f"; {words}", "; ").replace(words, "", 1).replace("; , ", "; ").strip(" ,;")
        if kind == "do_not_inform_family":
            if repeats(label, detail):  # the detail says the label again, and more
                sentences.append(f"They must {with_detail(label, detail).rstrip('.')}.")
            else:
                sentences.append(f"The family is not told yet{f' ({detail})' if detail else ''}.")
        elif kind == "deadline":
            musts[timing].append(deadline_sentence(compiled, text) or
                                 ((detail if detail.lower().startswith("act ") else f"act {detail}") if detail else label))
        elif detail.startswith(("within ", "on the same", "by the end")):
            musts[timing].append(f"{label} {detail}")
        else:
            musts[timing].append(with_detail(label, detail))
    order = []
    if musts["before"]:
        order.append(f"Before sharing, they must {_join(musts['before'])}.")
    if musts[""]:
        order.append(f"They must {_join(musts[''])}.")
    if musts["after"]:
        order.append(f"After the disclosure (sharing does not wait for it), they must {_join(musts['after'])}.")
    return order + sentences


_WORDED_DEADLINES = "engine.explain.deadline_sentence"


def deadline_sentence(compiled: "CompiledProtocol", text: str) -> str | None:
    """A deadline that is data and also has words of its own, when first, then the words:
    "act before the start of the next school day after the incident, and in any case as soon as
    reasonably practicable". None for any other deadline (its text reads well as it is)."""
    found = compiled.derived.get(_WORDED_DEADLINES)
    if found is None:   # worked out once per rules in effect, like the other derived tables
        found = {str(o): o for entry in [*compiled.protocol.rules, *compiled.protocol.fallbacks]
                 for o in entry.obligations if o.type == "deadline" and o.within is not None and o.detail}
        compiled.derived[_WORDED_DEADLINES] = found
    obligation = found.get(text)
    if obligation is None:
        return None
    when = describe_deadline(obligation.within, obligation.from_ or "disclosure")
    detail = obligation.detail.strip()
    return f"act {when}, {detail}" if detail.startswith(("and ", "or ")) else f"act {when} ({detail})"


def _fallback_text(compiled: "CompiledProtocol", decision: "CategoryDecision", fallback: Fallback,
                   waiting: Sequence[Rule], overridden: Sequence[Rule], sender: str, recipient: str, what: str,
                   when: str) -> str:
    purpose = compiled.vocab.label("purposes", fallback.purposes[0]) if fallback.purposes != "any" else "every purpose"
    if decision.fallback_reason == "gap":
        why = (f"No rule covers {sender} sharing {what} with {recipient} {when}. This is a gap in the protocol "
               "(add a rule that decides it);")
    else:
        rules = _join([f"{r.id} (\"{r.title}\", {outcome_words(r.outcome)}) would apply{_conditions(r, compiled)}"
                       for r in waiting])
        facts = _join(list(decision.waiting_on))
        why = (f"Whether {sender} may share {what} with {recipient} {when} depends on "
               f"{'a fact' if len(decision.waiting_on) == 1 else 'facts'} nobody has stated yet ({facts}): "
               f"rule {rules}, and would outrank the rules that match now. Until {facts} "
               f"{'is' if len(decision.waiting_on) == 1 else 'are'} known,")
    action = {
        "escalate": f"{decision.escalate_to} decides",
        "refuse": "nothing is shared",
        "seek_consent": "the family's consent is sought before anything is shared",
        "neither_confirm_nor_deny": "the request is neither confirmed nor denied: nothing is shared and "
                                    "the reply does not say whether anything is held",
    }[decision.outcome]
    sentences = [f"{why} the partnership's fallback {fallback.id} for {purpose.lower()} decides: {action}."]
    sentences += _duties(compiled, decision.obligations)
    sentences.append(f"Why: {fallback.rationale.strip()}")
    if overridden:
        sentences.append("Matched but not deciding while this is open: "
                         + _join([f"{r.id} ({outcome_words(r.outcome)})" for r in overridden]) + ".")
    if decision.need_to_know == "needed":
        sentences.append(f"Note: {recipient} needs {what} here, and it does not go yet: possible under-sharing.")
    return " ".join(sentences)


def _inherited(compiled: "CompiledProtocol", winners: Sequence[Rule]) -> list[str]:
    """Which of the deciding rules' bases and obligations come from the agreement's defaults, and from where
    (``docs/semantics.md`` section 18)."""
    by_default: dict[tuple[str, str], list[str]] = {}
    for rule in winners:
        for item in compiled.inherited.get(rule.id, ()):
            if item.what == "retention":   # said with the retention period, where it applies (_retention)
                continue
            words = item.value if item.what == "lawful_basis" else item.value
            by_default.setdefault((item.default, item.level), [])
            if words not in by_default[(item.default, item.level)]:
                by_default[(item.default, item.level)].append(words)
    if not by_default:
        return []
    parts = [f"{_join(values)} from the default for {level} ({default})" for (default, level), values in by_default.items()]
    return [f"Inherited from the agreement's defaults: {'; '.join(parts)}."]


def _retention(compiled: "CompiledProtocol", recipient_id: str, category: str, recipient: str,
               winners: Sequence[Rule] = ()) -> list[str]:
    """How long the recipient keeps what it receives, and where that was stated: the deciding rules' own terms,
    else what they inherit from the defaults, else the retention statements with a duration (sections 13, 18)."""
    from ..model.retention import retention_in_effect, states_retention

    found = retention_in_effect(compiled.protocol, compiled.vocab, winners, compiled.inherited, recipient_id, category)
    if not found:
        return [f"No retention period is agreed for {recipient} keeping this."] if states_retention(compiled.protocol) \
            else []
    # the recipient was just named: its own default reads "the default for what it receives", not its name again
    cites = [r.cite().replace(f"for {recipient} as recipient", "for what it receives") for r in found]
    return [f"Retention: {recipient} keeps it for {_join([f'{r.words} ({c})' for r, c in zip(found, cites)], 'or')}."]


def explain_category(compiled: "CompiledProtocol", request: "Request", decision: "CategoryDecision",
                     winners: Sequence[Rule], overridden: Sequence[Rule], fallback: Fallback | None = None,
                     waiting: Sequence[Rule] = (), kept: Sequence[tuple[str, str]] = ()) -> str:
    """The explanation of one category's decision; ``kept`` lists (obligation, rule) kept from overridden rules
    (``docs/semantics.md`` section 12)."""
    v = compiled.vocab
    sender, recipient = v.label("partners", request.sender), v.label("partners", request.recipient)
    what = v.label("categories", decision.category).lower()
    if getattr(request, "about", None):
        what = f"{what} {describe_about([request.about], {k: e.label for k, e in (v.subjects or {}).items()})}"
    when = f"at {v.label('stages', request.stage).lower()} for {v.label('purposes', request.purpose).lower()}"
    if fallback is not None:
        return _fallback_text(compiled, decision, fallback, waiting, overridden, sender, recipient, what, when)
    if decision.outcome == "gap":
        text = (f"No rule covers {sender} sharing {what} with {recipient} {when}, so nothing is shared. "
                "This is a gap in the protocol: add a rule that decides it.")
        if decision.need_to_know == "needed":
            text += f" Note: {recipient} needs {what} here: possible under-sharing."
        return text
    rule = winners[0]
    because = f"rule {rule.id} (\"{rule.title}\") applies{_conditions(rule, compiled)}"
    if len(winners) > 1:
        because += f", with {_join([r.id for r in winners[1:]])}"
    if decision.sharing == "required":
        may, judged = "must share", " (a duty, not only a permission)"
    elif decision.sharing == "discretion":
        may, judged = "may share", f" if {decision.decided_by} judges it appropriate"
    else:
        may, judged = "may share", ""
    head = {
        "share": f"{sender} {may} {what} with {recipient} {when}{judged}, because {because}.",
        "share_minimum": f"{sender} {may} only a minimum of {what} with {recipient} {when} "
                         f"({decision.minimum}){judged}, because {because}.",
        "seek_consent": f"{sender} must seek the family's consent before sharing {what} with {recipient} {when}, "
                        f"because {because}.",
        "escalate": f"{sender} does not decide alone whether to share {what} with {recipient} {when}: "
                    f"{decision.escalate_to} decides, because {because}.",
        "refuse": f"{sender} may not share {what} with {recipient} {when}, because {because}.",
        "neither_confirm_nor_deny": f"{sender} neither confirms nor denies holding {what} to {recipient} {when} "
                                    f"(nothing is shared, and the reply does not say whether anything is held), "
                                    f"because {because}.",
    }[decision.outcome]
    sentences = [head]
    if decision.sharing == "discretion":
        sentences.append(f"This is a judgement for {decision.decided_by}: record who made it, and why.")
    if decision.lawful_bases:
        sentences.append(f"Lawful basis: {_bases(compiled, decision.lawful_bases)}.")
    sentences += _inherited(compiled, winners)
    sentences += _duties(compiled, decision.obligations)
    if kept:
        by_rule: dict[str, list[str]] = {}
        for text, rule_id in kept:
            by_rule.setdefault(rule_id, []).append(text)
        sentences.append("Kept from overridden " + "; ".join(
            f"rule {rule_id}: {', '.join(texts)}" for rule_id, texts in by_rule.items()) + ".")
    if rule.rationale:
        sentences.append(f"Why: {rule.rationale.strip()}")
    if decision.regime == "part3":
        sentences.append(f"{sender} is a competent authority sharing for law enforcement: this is processing under "
                         "DPA 2018 Part 3, not the UK GDPR.")
    if overridden:
        sentences.append("Also matched but overridden: "
                         + _join([f"{r.id} ({outcome_words(r.outcome)})" for r in overridden]) + ".")
    if decision.shared:
        sentences += _retention(compiled, request.recipient, decision.category, recipient, winners)
    if decision.shared and decision.need_to_know == "not_needed":
        sentences.append(f"Note: {what} is not in {recipient}'s need-to-know profile here, so this may be over-sharing.")
    if not decision.shared and decision.need_to_know == "needed":
        sentences.append(f"Note: {recipient} needs {what} here, and it does not go: possible under-sharing.")
    return " ".join(sentences)


def explain_request(compiled: "CompiledProtocol", request: "Request", decisions: Sequence["CategoryDecision"],
                    overall: str) -> str:
    """The explanation of a whole request: which categories go, which do not, and each one's reason."""
    if len(decisions) == 1:
        return decisions[0].explanation
    v = compiled.vocab
    go = [v.label("categories", d.category) for d in decisions if d.shared]
    stay = [f"{v.label('categories', d.category)} ({outcome_words(d.outcome)}"
            + (f", {d.rule})" if d.rule else f", fallback {d.fallback})" if d.fallback else ")")
            for d in decisions if not d.shared]
    lines = [f"Overall: {outcome_words(overall)}. "
             + (f"May go: {_join(go)}. " if go else "Nothing may go. ")
             + (f"May not go: {_join(stay)}." if stay else "")]
    lines += [f"- {d.explanation}" for d in decisions]
    return "\n".join(line.strip() for line in lines)
