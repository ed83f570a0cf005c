"""The effective vocabulary of a protocol: shipped defaults merged with its own entries.

Also the hierarchy questions every other layer asks: which categories a category
covers, which partners a selector covers, whether a category is special category
or criminal offence data once inherited flags are counted. These functions do
not validate; a protocol with a cycle in its trees is rejected by
:mod:`protocolkit.model.checks` before anything else runs, and the walks here
stop at a repeated node rather than loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from typing import Iterable, Mapping, TypeVar

from ruamel.yaml import YAML

from .entities import (
    DataCategory, Fact, LawfulBasis, ObligationType, OutsideParty, Partner, PartnerKind, Purpose, Selector, Stage,
    SubjectRole,
)
from .history import history_facts
from .keys import ANY, dotted_parent, split_fact_key
from .protocol import Protocol

T = TypeVar("T")


@lru_cache(maxsize=None)
def _shipped(name: str) -> object:
    text = resources.files("protocolkit.taxonomy").joinpath(name).read_text(encoding="utf-8")
    return YAML(typ="safe").load(text)


@lru_cache(maxsize=None)
def shipped_lawful_bases() -> tuple[LawfulBasis, ...]:
    """The shipped UK legal taxonomy (see ``taxonomy/lawful_bases.yaml``)."""
    return tuple(LawfulBasis.model_validate(e) for e in _shipped("lawful_bases.yaml"))


@lru_cache(maxsize=None)
def shipped_categories() -> tuple[DataCategory, ...]:
    """The shipped default tree of data categories."""
    return tuple(DataCategory.model_validate(e) for e in _shipped("categories.yaml"))


@lru_cache(maxsize=None)
def _shipped_vocabulary() -> dict:
    data = _shipped("vocabulary.yaml")
    return {
        "partner_kinds": tuple(PartnerKind.model_validate(e) for e in data["partner_kinds"]),
        "stages": tuple(Stage.model_validate(e) for e in data["stages"]),
        "purposes": tuple(Purpose.model_validate(e) for e in data["purposes"]),
        "facts": tuple(Fact.model_validate(e) for e in data["facts"]),
        "obligation_types": tuple(ObligationType.model_validate(e) for e in data["obligation_types"]),
    }


def shipped(section: str) -> tuple:
    """The shipped default entries of one vocabulary section."""
    if section == "lawful_bases":
        return shipped_lawful_bases()
    if section == "categories":
        return shipped_categories()
    return _shipped_vocabulary()[section]


def _merge(defaults: Iterable[T], own: Iterable[T]) -> dict[str, T]:
    merged = {item.id: item for item in defaults}
    for item in own:
        merged[item.id] = item
    return merged


@dataclass(frozen=True)
class Vocabulary:
    """Everything a protocol's rules may name, with the hierarchy helpers.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.model.vocabulary import Vocabulary
    >>> v = Vocabulary.of(protocolkit.load(protocolkit.example_path("mash")))
    >>> "health.mental_health" in v.category_descendants("health")
    True
    >>> v.is_special("health.mental_health")
    True
    """

    kinds: dict[str, PartnerKind]
    partners: dict[str, Partner]
    outside: dict[str, OutsideParty]
    categories: dict[str, DataCategory]
    stages: tuple[Stage, ...]
    purposes: dict[str, Purpose]
    facts: dict[str, Fact]
    obligation_types: dict[str, ObligationType]
    lawful_bases: dict[str, LawfulBasis]
    subjects: dict[str, SubjectRole] | None = None

    @classmethod
    def of(cls, protocol: Protocol) -> "Vocabulary":
        """Merge the shipped defaults with the protocol's own entries."""
        return cls(
            kinds=_merge(shipped("partner_kinds"), protocol.partner_kinds),
            partners={p.id: p for p in protocol.partners},
            outside={o.id: o for o in protocol.outside},
            categories=_merge(shipped("categories"), protocol.categories),
            stages=tuple(protocol.stages) if protocol.stages else shipped("stages"),
            purposes=_merge(shipped("purposes"), protocol.purposes),
            facts={**_merge(shipped("facts"), protocol.facts), **history_facts(protocol.rules)},
            obligation_types=_merge(shipped("obligation_types"), protocol.obligation_types),
            lawful_bases=_merge(shipped("lawful_bases"), protocol.lawful_bases),
            subjects={s.id: s for s in protocol.subjects},
        )

    # -- categories -------------------------------------------------------------------------
    def category_parent(self, category: str) -> str | None:
        """The parent of a category: its explicit parent, else its dotted prefix."""
        entry = self.categories.get(category)
        if entry is not None and entry.parent:
            return entry.parent
        return dotted_parent(category)

    def category_ancestors(self, category: str) -> list[str]:
        """The category and its ancestors, nearest first."""
        chain = self._ancestors.get(category)
        if chain is None:
            chain = self._ancestors[category] = tuple(_walk_up(category, self.category_parent))
        return list(chain)

    @cached_property
    def _ancestors(self) -> dict[str, tuple[str, ...]]:
        """Each category's ancestors (itself first), filled in as they are asked for."""
        return {}

    @cached_property
    def _category_children(self) -> dict[str, list[str]]:
        children: dict[str, list[str]] = {c: [] for c in self.categories}
        for c in self.categories:
            parent = self.category_parent(c)
            if parent in children:
                children[parent].append(c)
        return children

    def category_descendants(self, category: str) -> list[str]:
        """The category and every category below it, in vocabulary order."""
        below = self._descendants.get(category)
        if below is None:
            below = self._descendants[category] = tuple(_walk_down(category, self._category_children))
        return list(below)

    @cached_property
    def _descendants(self) -> dict[str, tuple[str, ...]]:
        """Each category's descendants (itself first), filled in as they are asked for."""
        return {}

    def categories_in(self, scope: list[str] | str) -> set[str]:
        """Every category a scope covers (``any``, or listed categories with their children)."""
        if scope == ANY:
            return set(self.categories)
        known = self._descendants
        found: set[str] = set()
        for c in scope:
            below = known.get(c)
            if below is None:
                self.category_descendants(c)
                below = known[c]
            found.update(below)
        return found

    def is_special(self, category: str) -> bool:
        """Special category data (UK GDPR Art 9), counting flags inherited from ancestors."""
        return any(self.categories[a].special_category for a in self.category_ancestors(category) if a in self.categories)

    def is_criminal(self, category: str) -> bool:
        """Criminal offence data (UK GDPR Art 10), counting flags inherited from ancestors."""
        return any(self.categories[a].criminal_offence for a in self.category_ancestors(category) if a in self.categories)

    # -- partners ---------------------------------------------------------------------------
    def kind_ancestors(self, kind: str) -> list[str]:
        """The kind and the broader kinds it belongs to, nearest first."""
        return _walk_up(kind, lambda k: self.kinds[k].parent if k in self.kinds else None)

    def partner_ancestors(self, partner: str) -> list[str]:
        """The partner and the partners it is part of, nearest first."""
        return _walk_up(partner, lambda p: self.partners[p].part_of if p in self.partners else None)

    @cached_property
    def _partner_tree(self) -> dict[str, tuple[frozenset[str], frozenset[str]]]:
        """Each partner's ancestors (itself included) and every kind it counts as, computed once."""
        tree = {}
        for p in self.partners:
            ancestors = self.partner_ancestors(p)
            kinds = {k for a in ancestors if a in self.partners for k in self.kind_ancestors(self.partners[a].kind)}
            tree[p] = (frozenset(ancestors), frozenset(kinds))
        return tree

    def partner_kinds(self, partner: str) -> set[str]:
        """Every kind a partner counts as: its own kind, its ancestors, and those of what it is part of."""
        return set(self._partner_tree[partner][1])

    @cached_property
    def _partners_under(self) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
        """The partners each partner name covers (itself and its teams), and each kind covers, computed once."""
        by_name: dict[str, set[str]] = {}
        by_kind: dict[str, set[str]] = {}
        for p, (ancestors, own_kinds) in self._partner_tree.items():
            for a in ancestors:
                by_name.setdefault(a, set()).add(p)
            for k in own_kinds:
                by_kind.setdefault(k, set()).add(p)
        return by_name, by_kind

    def partners_in(self, scope: Selector | str) -> set[str]:
        """Every partner a selector covers (``any``, named partners and their teams, kinds and sub-kinds)."""
        if scope == ANY:
            return set(self.partners)
        by_name, by_kind = self._partners_under
        found: set[str] = set()
        for name in scope.partners:
            found |= by_name.get(name, set())
        for kind in scope.kinds:
            found |= by_kind.get(kind, set())
        outside = set(scope.outside)
        return found | {o.id for o in self.outside.values() if o.id in outside or o.kind in outside}

    def is_outside(self, party: str) -> bool:
        """Whether a party is outside the partnership (declared under ``outside``)."""
        return party in self.outside and party not in self.partners

    def is_public_body(self, partner: str) -> bool:
        """Whether a partner is a public authority: its own flag, else its kind's (never for an outside party)."""
        entry = self.partners.get(partner)
        if entry is None:
            return False
        if entry.public_body is not None:
            return entry.public_body
        kind = self.kinds.get(entry.kind)
        return True if kind is None else kind.public_body

    def is_competent_authority(self, partner: str) -> bool:
        """Whether a partner is a competent authority (DPA 2018 s30): its own flag, else its kind's or a
        broader kind's, else that of the organisation it is part of. Never an outside party."""
        for ancestor in self.partner_ancestors(partner):
            entry = self.partners.get(ancestor)
            if entry is None:
                return False
            if entry.competent_authority is not None:
                return entry.competent_authority
            for kind in self.kind_ancestors(entry.kind):
                if kind in self.kinds and self.kinds[kind].competent_authority:
                    return True
        return False

    def is_meeting(self, partner: str) -> bool:
        """Whether a partner is a multi-agency meeting or forum (no legal personality): its own ``meeting``
        flag, else its kind's or a broader kind's. Never an outside party."""
        entry = self.partners.get(partner)
        if entry is None:
            return False
        if entry.meeting is not None:
            return entry.meeting
        return any(self.kinds[k].meeting for k in self.kind_ancestors(entry.kind) if k in self.kinds)

    def regime(self, sender: str, purpose: str) -> str:
        """The data protection regime of a flow (``docs/semantics.md`` section 4): ``part3`` when a competent
        authority shares for a law enforcement purpose, else ``uk_gdpr``."""
        entry = self.purposes.get(purpose)
        if entry is not None and entry.law_enforcement and self.is_competent_authority(sender):
            return "part3"
        return "uk_gdpr"

    # -- stages, purposes, facts ------------------------------------------------------------
    @cached_property
    def stage_ids(self) -> list[str]:
        """Stage ids in case order."""
        return [s.id for s in self.stages]

    def stages_in(self, scope: list[str] | str) -> set[str]:
        """Stages a scope covers."""
        return set(self.stage_ids) if scope == ANY else set(scope)

    def purposes_in(self, scope: list[str] | str) -> set[str]:
        """Purposes a scope covers."""
        return set(self.purposes) if scope == ANY else set(scope)

    def fact(self, key: str) -> Fact | None:
        """The fact a condition key names: a declared fact, or a per-subject fact read for one role
        (``consent@victim``: the values of ``consent``, for the victim). None where there is no such fact.

        Raises ``ValueError`` with the fix when the key names a role of a fact that is not per subject,
        or a role the protocol does not declare.
        """
        name, role = split_fact_key(key)
        fact = self.facts.get(name)
        if fact is None or role is None:
            return fact
        if not fact.per_subject:
            raise ValueError(f"fact '{name}' is not per subject, so '{key}' names no value: declare "
                             f"'per_subject: true' on the fact, or write '{name}'")
        if role not in (self.subjects or {}):
            from difflib import get_close_matches

            close = get_close_matches(role, list(self.subjects or {}), n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise ValueError(f"'{role}' in '{key}' is not a data subject role of the protocol{hint}: declare it "
                             "under 'subjects'")
        return fact.model_copy(update={"id": key, "label": f"{fact.label} ({self.subject_label(role)})"})

    @cached_property
    def condition_facts(self) -> "ConditionFacts":
        """The facts conditions may name, role-read facts (``consent@victim``) included, as a mapping."""
        return ConditionFacts(self)

    def subject_label(self, role: str) -> str:
        """The plain-English name of a data subject role."""
        entry = (self.subjects or {}).get(role)
        return entry.label if entry else role.replace("_", " ")

    @cached_property
    def _label_tables(self) -> dict[str, dict]:
        # built once (label is called ~100,000 times by one export); the entries themselves are
        # read on each call, so an edited name or label shows at once
        return {"partners": {**self.outside, **self.partners}, "categories": self.categories, "purposes": self.purposes,
                "kinds": self.kinds, "lawful_bases": self.lawful_bases,
                "stages": {s.id: s for s in self.stages}, "facts": self.facts,
                "obligation_types": self.obligation_types, "subjects": self.subjects or {}}

    def label(self, section: str, key: str) -> str:
        """The plain-English label of an entry, or the key itself where it has none.

        Examples
        --------
        >>> import protocolkit
        >>> v = Vocabulary.of(protocolkit.load(protocolkit.example_path("mash")))
        >>> v.label("partners", "data_subject"), v.label("stages", "no_such_stage")
        ('The person the information is about', 'no_such_stage')
        """
        entry = self._label_tables[section].get(key)
        return getattr(entry, "name", None) or getattr(entry, "label", None) or key


class ConditionFacts(Mapping):
    """Fact key to :class:`Fact`, where a key may read a per-subject fact for one role (``consent@victim``).

    Iterating lists the declared facts only; looking up a role-read key builds its fact on demand.
    """

    def __init__(self, vocab: Vocabulary):
        self._vocab = vocab

    def __getitem__(self, key: str) -> Fact:
        try:
            fact = self._vocab.fact(key)
        except ValueError as exc:
            raise KeyError(key) from exc
        if fact is None:
            raise KeyError(key)
        return fact

    def __iter__(self):
        return iter(self._vocab.facts)

    def __len__(self) -> int:
        return len(self._vocab.facts)


def _walk_up(start: str, parent_of) -> list[str]:
    chain, seen, node = [], set(), start
    while node is not None and node not in seen:
        chain.append(node)
        seen.add(node)
        node = parent_of(node)
    return chain


def _walk_down(start: str, children: dict[str, list[str]]) -> list[str]:
    out, seen, stack = [], set(), [start]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        out.append(node)
        stack.extend(reversed(children.get(node, [])))
    return out
