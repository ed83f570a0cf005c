"""Agreement-level defaults: lawful bases, obligations and retention stated once, inherited by rules
(``docs/semantics.md`` section 18). Retention terms are kept by the recipients a default names and are
settled per category in :mod:`protocolkit.model.retention`.

Published agreements state lawful bases and security once for the whole agreement, for a
partner or for a kind of flow, not rule by rule. A default names where it applies (nothing:
the whole protocol; ``senders`` / ``recipients``: a partner level; ``purposes``: a purpose
level; several: a flow type) and what it gives. A rule **inherits** a default when the rule's
whole scope lies inside the default's on every side the default names, and its outcome is one
the default is for (sharing, unless the default says otherwise). So inheritance is settled per
rule, once, before anything is decided: every request a rule decides carries the same bases and
obligations, and every output (decide, guarantees, review, the exports) reads the same
effective rule.

A rule's ``inherit`` says what it does with what it would inherit: ``replace`` (the default:
each list the rule states replaces the inherited one; a list it leaves empty is inherited),
``add`` (the rule's own, then the inherited ones) or ``none`` (nothing inherited).

Examples
--------
>>> import protocolkit
>>> from protocolkit.model.protocol import Protocol
>>> p = Protocol.model_validate({
...     "metadata": {"id": "d", "title": "D", "version": "1", "owner": "police"},
...     "partners": [{"id": "police", "name": "Police", "kind": "police"},
...                  {"id": "csc", "name": "CSC", "kind": "childrens_social_care"}],
...     "defaults": [{"id": "security", "title": "Secure email for every share", "obligations": ["secure_channel"]},
...                  {"id": "police_bases", "senders": {"kinds": ["police"]}, "lawful_bases": ["UKGDPR.6.1.e"]}],
...     "rules": [{"id": "R1", "title": "One", "from": {"partners": ["police"]}, "to": "any", "categories": "any",
...                "stages": "any", "purposes": "any", "outcome": "share", "rationale": "r"}]})
>>> rules, inherited = effective_rules(p)
>>> rules[0].lawful_bases, [str(o) for o in rules[0].obligations]
(['UKGDPR.6.1.e'], ['secure_channel'])
>>> [(i.what, i.value, i.default) for i in inherited["R1"]]
[('obligation', 'secure_channel', 'security'), ('lawful_basis', 'UKGDPR.6.1.e', 'police_bases')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from .entities import Selector
from .keys import ANY, BasisId, Key, Model, quiet_defaults
from .outcomes import Outcome, RuleOutcomeName
from .retention import Retention
from .rules import Inherit, ObligationValue, Rule

if TYPE_CHECKING:
    from .protocol import Protocol
    from .vocabulary import Vocabulary



class Default(Model):
    """Lawful bases and obligations stated once for the protocol, a partner (as sender or recipient),
    a purpose, or a flow type, and inherited by the rules inside it."""

    id: Key = Field(description="Stable identifier, cited in explanations of what a rule inherited.")
    title: str | None = Field(None, description="One line a practitioner reads, such as 'Secure email for every share'.")
    senders: Selector | Literal["any"] = Field(
        ANY, description="The senders it is for (a partner level); 'any' (the default) for every sender.")
    recipients: Selector | Literal["any"] = Field(
        ANY, description="The recipients it is for (a partner level); 'any' (the default) for every recipient.")
    purposes: list[Key] | Literal["any"] = Field(ANY, description="The purposes it is for; 'any' (the default) for all.")
    outcomes: list[RuleOutcomeName] = Field(
        default_factory=lambda: [Outcome.SHARE.value, Outcome.SHARE_MINIMUM.value],
        description="The rule outcomes it is for (default: the rules that share).")
    lawful_bases: list[BasisId] = Field(default_factory=list, description="Lawful bases the rules inside it rely on.")
    obligations: list[ObligationValue] = Field(default_factory=list, description="Duties the rules inside it carry.")
    retention: list[Retention] = Field(
        default_factory=list, description="How long the recipients it names keep what the rules inside its senders "
                                          "and purposes share: a duration per category (section 18).")
    _quiet = quiet_defaults("retention")
    rationale: str | None = Field(None, description="Why the partnership states it once, in plain English.")

    def level(self, vocab: "Vocabulary | None" = None) -> str:
        """Where it applies, in words: ``the whole protocol``, ``police as sender``, ``sharing for safeguarding``...;
        with a vocabulary, partners, kinds and purposes are named by their names (as a practitioner reads them).

        Examples
        --------
        >>> d = Default(id="d", recipients={"partners": ["csc"]}, purposes=["safeguarding"])
        >>> d.level()
        'csc as recipient, sharing for safeguarding'
        """
        sides = []
        if self.senders != ANY:
            sides.append(f"{_selector_words(self.senders, vocab)} as sender")
        if self.recipients != ANY:
            sides.append(f"{_selector_words(self.recipients, vocab)} as recipient")
        if self.purposes != ANY:
            purposes = [vocab.label("purposes", p).lower() if vocab else p for p in self.purposes]
            sides.append(f"sharing for {' or '.join(purposes)}")
        return ", ".join(sides) if sides else "the whole protocol"


def _selector_words(selector: Selector, vocab: "Vocabulary | None" = None) -> str:
    if vocab is None:
        return " or ".join([*selector.partners, *selector.kinds, *selector.outside])
    return " or ".join([*(vocab.label("partners", p) for p in selector.partners),
                        *(vocab.label("kinds", k) for k in selector.kinds),
                        *(vocab.label("partners", o) for o in selector.outside)])


@dataclass(frozen=True)
class Inherited:
    """One lawful basis, obligation or retention term a rule inherited, and from which default. A retention
    term carries the term itself and the recipients that keep it (the default's)."""

    what: Literal["lawful_basis", "obligation", "retention"]
    value: str
    default: str
    level: str
    term: Retention | None = None
    recipients: object = ANY


def applies(default: Default, rule: Rule, vocab: "Vocabulary", recipients: bool = True) -> bool:
    """Whether a rule inherits a default: its outcome is one the default is for, and its scope lies inside the
    default's on every side the default names (a rule for 'any' sender lies inside only a default for any).
    With ``recipients=False`` the recipient side is left out: a retention term is kept by each recipient the
    default names, whichever rule sent it there."""
    if rule.outcome not in default.outcomes:
        return False
    sides = [(rule.from_, default.senders, vocab.partners_in),
             (rule.to, default.recipients, vocab.partners_in),
             (rule.purposes, default.purposes, vocab.purposes_in)]
    for mine, theirs, within in (sides if recipients else sides[::2]):
        if theirs == ANY:
            continue
        if mine == ANY:
            return False
        covered = within(mine)
        if not covered or not covered <= within(theirs):
            return False
    return True


def effective_rules(protocol: "Protocol", vocab: "Vocabulary | None" = None) -> tuple[list[Rule], dict[str, tuple[Inherited, ...]]]:
    """Every rule with what it inherits folded in, and per rule id what it inherited (only rules that did).

    A rule's own lists come first, then the inherited ones in the order the defaults are declared,
    without repeats. Without defaults the rules are returned as they are.
    """
    if not protocol.defaults:
        return list(protocol.rules), {}
    if vocab is None:
        from .vocabulary import Vocabulary

        vocab = Vocabulary.of(protocol)
    rules, inherited = [], {}
    for rule in protocol.rules:
        if rule.inherit == "none":
            rules.append(rule)
            continue
        got: list[Inherited] = []
        bases: dict[str, None] = {}
        obligations: dict[str, object] = {}
        for default in protocol.defaults:
            if default.retention and applies(default, rule, vocab, recipients=False):
                got += [Inherited("retention", term.words(), default.id, default.level(vocab), term, default.recipients)
                        for term in default.retention]
            if not applies(default, rule, vocab):
                continue
            level = default.level(vocab)
            for obligation in default.obligations:
                if str(obligation) not in obligations:
                    obligations[str(obligation)] = obligation
                    got.append(Inherited("obligation", str(obligation), default.id, level))
            for basis in default.lawful_bases:
                if basis not in bases:
                    bases[basis] = None
                    got.append(Inherited("lawful_basis", basis, default.id, level))
        own_bases, own_obligations = list(rule.lawful_bases), list(rule.obligations)
        keep_bases = rule.inherit == "add" or not own_bases
        keep_obligations = rule.inherit == "add" or not own_obligations
        own_texts = {str(o) for o in own_obligations}
        got = [i for i in got if (i.what == "lawful_basis" and keep_bases and i.value not in own_bases)
               or (i.what == "obligation" and keep_obligations and i.value not in own_texts)
               or i.what == "retention"]   # retention is settled per category: model/retention.py
        if not got:
            rules.append(rule)
            continue
        new_bases = own_bases + [i.value for i in got if i.what == "lawful_basis"]
        new_obligations = own_obligations + [obligations[i.value] for i in got if i.what == "obligation"]
        if any(i.what != "retention" for i in got):
            rules.append(rule.model_copy(update={"lawful_bases": new_bases, "obligations": new_obligations}))
        else:   # only retention, settled per category when asked: the rule itself decides unchanged
            rules.append(rule)
        inherited[rule.id] = tuple(got)
    return rules, inherited


def with_defaults(protocol: "Protocol", vocab: "Vocabulary | None" = None) -> "Protocol":
    """The protocol with every rule's inherited bases and obligations folded in (itself when nothing is folded in:
    no defaults, or defaults that give only retention)."""
    if not protocol.defaults:
        return protocol
    rules, _ = effective_rules(protocol, vocab)
    if all(mine is theirs for mine, theirs in zip(rules, protocol.rules)):
        return protocol   # nothing folded in (defaults that give only retention)
    return protocol.model_copy(update={"rules": rules})


__all__ = ["Default", "Inherit", "Inherited", "applies", "effective_rules", "with_defaults"]
