"""What a sample case expected and did not get, as sentences an IG lead reads first, ids after.

The case run checks each expectation and lists its ``problems`` in short engine wording
("expected share, got refuse (decided by R-REF-08)"). The same checks are said here for
people: who asked to share what with whom, what the partnership expected, what the protocol
does instead and why (the deciding rule's title, or that no rule covers it), then the ids.
``protocolkit test`` and the workbench's case stepper and case tables print these sentences.

Examples
--------
>>> import protocolkit
>>> from protocolkit.model.vocabulary import Vocabulary
>>> p = protocolkit.load(protocolkit.example_path("mash"))
>>> outcome_sentence(Vocabulary.of(p), p, sender="police", recipient="school", categories=["criminal.intelligence"],
...                  stage="referral", purpose="safeguarding", wanted=("share",), unwanted=(), actual="refuse",
...                  rule="R-REF-07", fallback=None)
'Expected Northbridge Constabulary to share police intelligence with Riverside Academy (designated safeguarding lead) at referral for safeguarding children and adults at risk, but the protocol refuses it: rule “Beyond Encompass, schools get no police criminal information at referral or screening” decides it (rule R-REF-07).'
"""

from __future__ import annotations

from typing import Iterable

from ..model.deadlines import TIMINGS
from ..model.naming import with_detail
from ..model.outcomes import Outcome, outcome_words
from ..model.protocol import Protocol
from ..model.rules import SHARING_MODES
from ..model.vocabulary import Vocabulary

#: What the partnership expected a partner to do, after "Expected <partner> ...".
_EXPECTED = {
    Outcome.SHARE: "to share",
    Outcome.SHARE_MINIMUM: "to share only a minimum of",
    Outcome.SEEK_CONSENT: "to seek the family's consent before sharing",
    Outcome.ESCALATE: "to pass to someone else the decision whether to share",
    Outcome.REFUSE: "not to share",
    Outcome.NEITHER_CONFIRM_NOR_DENY: "to neither confirm nor deny holding",
    Outcome.GAP: "to find no rule about sharing",
}

#: What the protocol does instead, after "but the protocol ...".
_ACTUAL = {
    Outcome.SHARE: "lets it be shared",
    Outcome.SHARE_MINIMUM: "lets only a minimum of it be shared",
    Outcome.SEEK_CONSENT: "asks for the family's consent first",
    Outcome.ESCALATE: "passes the decision to someone else",
    Outcome.REFUSE: "refuses it",
    Outcome.NEITHER_CONFIRM_NOR_DENY: "neither confirms nor denies holding it",
    Outcome.GAP: "has no rule for it",
}


class Phrasebook:
    """The names one protocol's sentences use, each looked up once (a case run words many failures)."""

    def __init__(self, vocabulary: Vocabulary, protocol: Protocol):
        self.vocabulary, self.protocol = vocabulary, protocol
        self._labels: dict[tuple[str, str], str] = {}
        self._titles: dict[str, str] | None = None

    def label(self, section: str, key: str) -> str:
        found = self._labels.get((section, key))
        if found is None:
            found = self._labels[(section, key)] = self.vocabulary.label(section, key)
        return found

    def title(self, rule: str) -> str | None:
        if self._titles is None:
            self._titles = {r.id: r.title for r in self.protocol.rules}
        return self._titles.get(rule)


def _book(v, protocol: Protocol) -> Phrasebook:
    return v if isinstance(v, Phrasebook) else Phrasebook(v, protocol)


def _label(v, section: str, key: str) -> str:
    text = v.label(section, key)
    return text[:1].lower() + text[1:] if section in ("categories", "stages", "purposes") and len(text) > 1 \
        and not text[1].isupper() else text


def _join(items: list[str], last: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _why(book: Phrasebook, rule: str | None, fallback: str | None) -> str:
    """Why the protocol decided as it did, in words, with the rule's or fallback's id after."""
    if rule:
        title = book.title(rule)
        return f"rule \u201c{title}\u201d decides it (rule {rule})" if title is not None else f"rule {rule} decides it"
    if fallback:
        return f"no rule decides this request, so the protocol's fallback does (fallback {fallback})"
    return "no rule covers this request"


def request_words(v: Vocabulary, sender: str, recipient: str, categories: Iterable[str], stage: str,
                  purpose: str) -> tuple[str, str]:
    """The sender's name, and "<categories> with <recipient> at <stage> for <purpose>"."""
    what = _join([_label(v, "categories", c) for c in categories], "and")
    return v.label("partners", sender), (f"{what} with {v.label('partners', recipient)} at "
                                         f"{_label(v, 'stages', stage)} for {_label(v, 'purposes', purpose)}")


def outcome_sentence(v: Vocabulary, protocol: Protocol, *, sender: str, recipient: str, categories: Iterable[str],
                     stage: str, purpose: str, wanted: tuple[str, ...], unwanted: tuple[str, ...], actual: str,
                     rule: str | None, fallback: str | None) -> str:
    """The outcome a case expected and the one the protocol gives, as one sentence (ids at the end)."""
    v = _book(v, protocol)
    who, what = request_words(v, sender, recipient, categories, stage, purpose)
    if wanted:
        expected = f"Expected {who} {_join([_EXPECTED.get(o, outcome_words(o)) for o in wanted], 'or')} {what}"
    else:
        expected = (f"Expected {who}'s request to share {what} to get anything but "
                    f"\u201c{_join([outcome_words(o) for o in unwanted], 'or')}\u201d")
    if actual == Outcome.GAP:
        return f"{expected}, but no rule covers this request: it is a gap, so nothing is shared until a rule says so."
    return f"{expected}, but the protocol {_ACTUAL.get(actual, outcome_words(actual))}: {_why(v, rule, fallback)}."


def problem_sentences(v: Vocabulary, protocol: Protocol, *, sender: str, recipient: str, categories: Iterable[str],
                      stage: str, purpose: str, expect, decision, obligations: Iterable[str] | None = None
                      ) -> list[str]:
    """Every check of an expectation that does not hold, each as a sentence (empty when it holds).

    ``decision`` is what the case run decided (``outcome``, ``rule``, ``regime``, ``fallbacks``,
    ``escalations`` or ``categories``, ``by_category``, ``obligations``); the checks are those of
    the case run's ``problems``, in the same order.
    """
    v = _book(v, protocol)
    categories = list(categories)
    out = []
    wanted, unwanted = tuple(expect.outcomes()), tuple(expect.not_)
    fallbacks = tuple(decision.fallbacks)
    if (wanted and decision.outcome not in wanted) or decision.outcome in unwanted:
        out.append(outcome_sentence(v, protocol, sender=sender, recipient=recipient, categories=categories,
                                    stage=stage, purpose=purpose, wanted=wanted if decision.outcome not in wanted
                                    else (), unwanted=unwanted, actual=decision.outcome, rule=decision.rule,
                                    fallback=fallbacks[0] if fallbacks else None))
    who, what = request_words(v, sender, recipient, categories, stage, purpose)
    if expect.escalate_to is not None:
        roles = list(decision.escalations) if hasattr(decision, "escalations") else \
            [c.escalate_to for c in decision.categories if c.escalate_to]
        now = (f"it goes to {_join(list(dict.fromkeys(roles)), 'and')}" if roles else "nobody is asked to decide")
        out.append(f"Expected {expect.escalate_to} to decide whether {who} shares {what}, but {now}.")
    if expect.regime is not None and decision.regime != expect.regime:
        out.append(f"Expected {who} sharing {what} to come under the {expect.regime} regime, "
                   f"but it comes under {decision.regime}.")
    if expect.fallback is not None:
        if expect.fallback is True and not fallbacks:
            out.append(f"Expected no rule to decide whether {who} shares {what} (the fallback should), but a rule does.")
        elif expect.fallback is False and fallbacks:
            out.append(f"Expected a rule to decide whether {who} shares {what}, but none does: the fallback "
                       f"decides (fallback {fallbacks[0]}).")
        elif isinstance(expect.fallback, str) and expect.fallback not in fallbacks:
            now = f"fallback {fallbacks[0]} does" if fallbacks else "a rule does"
            out.append(f"Expected the fallback {expect.fallback} to decide whether {who} shares {what}, but {now}.")
    if expect.sharing is not None or expect.decided_by is not None:
        mode, judges = shared_mode(decision)
        if mode is None:
            wanted = _MODE_PLAIN[expect.sharing] if expect.sharing else f"on the judgement of {expect.decided_by}"
            out.append(f"Expected {who} to share {what} {wanted}, but nothing is shared.")
        else:
            if expect.sharing is not None and mode != expect.sharing:
                out.append(f"Expected {who} to share {what} {_MODE_PLAIN[expect.sharing]}, but the protocol "
                           f"shares it {_MODE_PLAIN[mode]} (sharing: {mode}).")
            if expect.decided_by is not None and expect.decided_by not in judges:
                now = f"the judgement of {_join(judges, 'and')} decides" if judges else "nobody's judgement decides"
                out.append(f"Expected {who} to share {what} on the judgement of {expect.decided_by}, but {now}.")
    if expect.categories:
        by_category = decision.by_category if hasattr(decision, "by_category") else \
            {c.category: (c.outcome, c.rule) for c in decision.categories}
        for category, outcome in expect.categories.items():
            actual = by_category.get(category)
            if actual is None:
                out.append(f"Expected a decision on {_label(v, 'categories', category)}, but the request does not "
                           f"ask for it ({category}).")
            elif actual[0] != outcome:
                rule = actual[1]
                out.append(f"Expected {who} {_EXPECTED.get(outcome, outcome_words(outcome))} "
                           f"{_label(v, 'categories', category)} with {v.label('partners', recipient)}, but the "
                           f"protocol {_ACTUAL.get(actual[0], outcome_words(actual[0]))}: "
                           f"{_why(v, rule, None) if rule else 'no rule covers it'} ({category}).")
    held = list(decision.obligations if obligations is None else obligations)
    present = {o.partition(": ")[0] for o in held}
    if expect.obligations or expect.absent_obligations:
        missing = [o for o in expect.obligations if o not in present]
        if missing:
            out.append(f"Expected {who} sharing {what} to carry the duty to "
                       f"{_join([_duty(v, o) for o in missing], 'and')}, but the protocol does not ask for it "
                       f"({', '.join(missing)}).")
        unwanted_duties = [o for o in expect.absent_obligations if o in present]
        if unwanted_duties:
            out.append(f"Expected no duty to {_join([_duty(v, o) for o in unwanted_duties], 'or')} when {who} "
                       f"shares {what}, but the protocol asks for it ({', '.join(unwanted_duties)}).")
    if expect.after_disclosure:
        afterwards = {o.partition(": ")[0] for o in held if TIMINGS["after"] in o.partition(": ")[2]}
        late = [o for o in expect.after_disclosure if o not in afterwards]
        if late:
            out.append(f"Expected the duty to {_join([_duty(v, o) for o in late], 'and')} to be done after "
                       f"{who} shares {what}, but the protocol does not time it after the disclosure "
                       f"({', '.join(late)}).")
    return out


_MODE_PLAIN = {"required": "as a duty", "permitted": "as a permission", "discretion": "on someone's judgement"}


def shared_mode(decision) -> tuple[str | None, list[str]]:
    """How a request is shared: the strongest mode of the categories that go (``docs/semantics.md`` sections 4a
    and 7), or ``None`` when nothing goes, and whose judgement decides where the mode is discretion."""
    modes = decision.sharing_modes if hasattr(decision, "sharing_modes") else \
        [(c.sharing, c.decided_by) for c in decision.categories if c.sharing]
    if not modes:
        return None, []
    return (min((m for m, _ in modes), key=SHARING_MODES.index),
            list(dict.fromkeys(d for m, d in modes if m == "discretion" and d)))


def _duty(v: Vocabulary, obligation: str) -> str:
    kind, _, detail = obligation.partition(": ")
    text = with_detail(v.label("obligation_types", kind), detail)
    return text[:1].lower() + text[1:] if len(text) > 1 and not text[1].isupper() else text


__all__ = ["Phrasebook", "outcome_sentence", "problem_sentences", "request_words", "shared_mode"]
