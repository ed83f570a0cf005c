"""Retention as a checkable term, stated once at protocol, partner or purpose level or per rule, and the
retention in effect for a decision (``docs/semantics.md`` sections 13 and 18).

A :class:`Retention` term says how long the recipients keep some categories, and from which event:
``{duration: 6 years, after: case closure, categories: [social_care]}`` (``duration`` also reads the
ISO 8601 forms ``P6Y``, ``P18M``, ``P12W``, ``P30D``). A rule states its own under ``retention:``; a
default (``model/defaults.py``) states one for the rules inside its senders and purposes, kept by the
recipients it names. Which term applies to a category a recipient receives under a decision is settled
in layers, the most specific first:

1. the deciding rule's own terms that cover the category (with ``inherit: add``, also the inherited ones);
2. else the terms the rule inherits from the defaults whose recipients cover the recipient;
3. else the protocol's ``retention`` statements with a duration that cover the recipient (section 13).

Of one rule's or one default's terms, those that name the category most nearly apply (a term for
``social_care.child_protection_plan`` beats one for ``any`` beside it).

Examples
--------
>>> t = Retention(duration="P6Y", after="case closure", categories=["social_care"])
>>> t.words(), duration_words("P18M")
('6 years after case closure', '18 months')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Mapping, Sequence

from pydantic import Field, model_validator

from .governance import duration_days
from .keys import ANY, DottedKey, Model

if TYPE_CHECKING:
    from .protocol import Protocol
    from .rules import Rule
    from .vocabulary import Vocabulary

_ISO = re.compile(r"^\s*P(\d+)([YMWD])\s*$")
_UNITS = {"Y": "year", "M": "month", "W": "week", "D": "day"}


def duration_words(text: str) -> str:
    """A duration in words: ``P6Y`` -> ``6 years``; ``6 years`` stays as written.

    Examples
    --------
    >>> duration_words("P1Y"), duration_words("P30D"), duration_words("35 years")
    ('1 year', '30 days', '35 years')
    """
    match = _ISO.match(text)
    if not match:
        return text.strip()
    number, unit = int(match.group(1)), _UNITS[match.group(2)]
    return f"{number} {unit}{'' if number == 1 else 's'}"


class Retention(Model):
    """How long the recipients keep some categories, from which event, and on whose authority."""

    duration: str = Field(description="How long, checkable: '6 years', '18 months', '30 days', or ISO 8601 'P6Y'.")
    after: str | None = Field(None, description="The event the duration runs from, such as 'case closure'.")
    categories: list[DottedKey] | Literal["any"] = Field(
        ANY, description="The categories it covers (a category covers its children); 'any' (the default) for all.")
    source: str | None = Field(
        None, description="Where the period comes from: a statute, guidance or case, or 'the partnership's choice'.")

    @model_validator(mode="after")
    def _duration_readable(self) -> "Retention":
        duration_days(self.duration)
        return self

    def words(self) -> str:
        """The period in words: ``6 years after case closure``."""
        words = duration_words(self.duration)
        return f"{words} after {self.after}" if self.after else words

    def covers(self, category: str, vocab: "Vocabulary") -> bool:
        """Whether the term covers a category (it names it or one of its ancestors, or says 'any')."""
        return self.categories == ANY or not set(self.categories).isdisjoint(vocab.category_ancestors(category))

    def distance(self, category: str, vocab: "Vocabulary") -> int:
        """How near the term names a category it covers: 0 names it, 1 its parent...; 'any' is the farthest."""
        if self.categories == ANY:
            return 1 << 20
        ancestors = vocab.category_ancestors(category)
        return min(ancestors.index(c) for c in self.categories if c in ancestors)


def _nearest(terms: list, category: str, vocab: "Vocabulary") -> list:
    """Of one owner's terms that cover a category, those that name it most nearly (a term for
    ``social_care.child_protection_plan`` beats one for ``any`` stated beside it)."""
    covering = [t for t in terms if t.covers(category, vocab)]
    if not covering:
        return []
    best = min(t.distance(category, vocab) for t in covering)
    return [t for t in covering if t.distance(category, vocab) == best]


@dataclass(frozen=True)
class RetentionInEffect:
    """One retention period that applies to a category a recipient receives, and where it was stated."""

    words: str          # "6 years after case closure"
    origin: Literal["rule", "default", "statement"]
    owner: str          # the rule, default or statement id
    level: str = ""     # for a default: where it applies ("the whole protocol", "police as sender")
    source: str | None = None

    def to_dict(self) -> dict:
        """The period as plain data: ``{"period", "origin", "owner", "source"}`` (the form the engine's decisions and
        the Rego export carry).

        Examples
        --------
        >>> RetentionInEffect("6 years", "default", "csc_retention", "csc as recipient", "partnership").to_dict()
        {'period': '6 years', 'origin': 'default', 'owner': 'csc_retention', 'source': 'partnership'}
        """
        return {"period": self.words, "origin": self.origin, "owner": self.owner, "source": self.source}

    def cite(self) -> str:
        """Where it was stated, in words, names first and ids after: ``rule R-1's own``, ``from the default for the
        whole protocol, d``, or a statement's id."""
        if self.origin == "rule":
            return f"rule {self.owner}'s own"
        if self.origin == "default":
            return f"from the default for {self.level}, {self.owner}"
        return self.owner   # a protocol statement: its id, as section 13 has always said it


def _recipient_in(recipients, recipient: str, vocab: "Vocabulary") -> bool:
    return recipients == ANY or recipient in vocab.partners_in(recipients)


def rule_terms(rule: "Rule", inherited: Mapping[str, tuple], category: str, vocab: "Vocabulary") \
        -> tuple[list[RetentionInEffect], list[tuple[object, list[RetentionInEffect]]]]:
    """One rule's terms for a category, before the recipient is known: its own terms that name the category most
    nearly, and per default it inherits retention from (in order) the recipients that keep it and that default's
    nearest terms. :func:`retention_in_effect` settles the layers from these; the Rego export writes them as tables.
    (R-REF-09 below inherits from two defaults; marac, as recipient, keeps only marac_retention's term.)

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.model.defaults import effective_rules
    >>> from protocolkit.model.vocabulary import Vocabulary
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> v = Vocabulary.of(p)
    >>> own, by_default = rule_terms(p.rule("R-REF-09"), effective_rules(p, v)[1], "household.composition", v)
    >>> own, [(r.words, r.owner) for _, terms in by_default for r in terms]
    ([], [('6 years after the contact closed', 'csc_retention'), ('6 years after the last MARAC at which the case was heard', 'marac_retention')])
    """
    own = [RetentionInEffect(t.words(), "rule", rule.id, source=t.source)
           for t in _nearest(list(getattr(rule, "retention", ())), category, vocab)]
    grouped: dict[str, list] = {}
    for item in inherited.get(rule.id, ()):
        if item.what == "retention":   # every term of one default carries that default's recipients
            grouped.setdefault(item.default, []).append(item)
    by_default = []
    for items in grouped.values():
        nearest = _nearest([i.term for i in items], category, vocab)
        by_default.append((items[0].recipients, [RetentionInEffect(i.value, "default", i.default, i.level, i.term.source)
                                                 for i in items if any(i.term is t for t in nearest)]))
    return own, [(recipients, terms) for recipients, terms in by_default if terms]


def recipient_keeps(recipients, recipient: str, vocab: "Vocabulary") -> bool:
    """Whether a recipient is among those a default's retention names (``any``, or a selector of partners)."""
    return _recipient_in(recipients, recipient, vocab)


def statement_term(statement) -> RetentionInEffect:
    """A protocol retention statement with a duration as a period in effect (section 13)."""
    return RetentionInEffect(_statement_words(statement), "statement", statement.id)


def retention_in_effect(protocol: "Protocol", vocab: "Vocabulary", rules: Sequence["Rule"],
                        inherited: Mapping[str, tuple], recipient: str, category: str,
                        statements: bool = True) -> list[RetentionInEffect]:
    """The retention periods that apply when ``recipient`` receives ``category`` under ``rules`` (the deciding
    rules, as written), most specific layer first: the rules' own terms, else what they inherit from the
    defaults, else (``statements``) the protocol's retention statements with a duration. ``inherited`` is what
    :func:`~protocolkit.model.defaults.effective_rules` returns per rule id.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.model.defaults import effective_rules
    >>> from protocolkit.model.vocabulary import Vocabulary
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> v = Vocabulary.of(p)
    >>> _, inherited = effective_rules(p, v)
    >>> [(r.words, r.cite()) for r in retention_in_effect(p, v, [p.rule("R-REF-09")], inherited, "marac",
    ...                                                 "household.composition")]
    [('6 years after the last MARAC at which the case was heard', 'from the default for Northbridge MARAC (multi-agency risk assessment conference) as recipient, marac_retention')]
    >>> [(r.words, r.cite()) for r in retention_in_effect(p, v, [], inherited, "marac", "household.composition")]
    [('30 days after the MASH outcome', 'partner_extracts')]
    """
    own: list[RetentionInEffect] = []
    from_defaults: list[RetentionInEffect] = []
    for rule in rules:
        mine, by_default = rule_terms(rule, inherited, category, vocab)
        own += mine
        if mine and rule.inherit != "add":
            continue
        for recipients, terms in by_default:
            if _recipient_in(recipients, recipient, vocab):
                (own if mine else from_defaults).extend(terms)
    found = own or from_defaults
    if not found and statements:
        from .governance import retention_for

        found = [statement_term(s) for s in retention_for(protocol, vocab, recipient, category) if s.duration]
    return list(dict.fromkeys(found))


def _statement_words(statement) -> str:
    words = duration_words(statement.duration)
    return f"{words} after {statement.after}" if statement.after else words


def states_retention(protocol: "Protocol") -> bool:
    """Whether the protocol states retention anywhere: statements, defaults or rules."""
    return bool(protocol.retention) or any(getattr(d, "retention", None) for d in protocol.defaults) \
        or any(getattr(r, "retention", None) for r in protocol.rules)


__all__ = ["Retention", "RetentionInEffect", "duration_words", "recipient_keeps", "retention_in_effect", "rule_terms",
           "statement_term", "states_retention"]
