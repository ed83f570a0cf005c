"""Partner families and category groups: how partners and data categories are sorted for reading.

Tables and views list partners by *family* (police and criminal justice, local authority,
health, education, others), each family named by a heading, and data categories by their
top-level group in vocabulary (tree) order. Both come from the protocol's vocabulary: a
partner's family is found from the ancestors of its kind, so a protocol's own kinds
(``youth_offending_team`` under ``criminal_justice``) fall into the right family.

Nothing here draws; the diagrams add their colours to these families.

Examples
--------
>>> [f.key for f in PARTNER_FAMILIES]
['justice', 'local_authority', 'health', 'education', 'other']
>>> FAMILY_HEADINGS["justice"]
'Police and criminal justice'
>>> import protocolkit
>>> from protocolkit.model.vocabulary import Vocabulary
>>> p = protocolkit.load(protocolkit.example_path("mash"))
>>> groups = Groups(Vocabulary.of(p))
>>> groups.family("police"), groups.family("school"), groups.family(None)
('justice', 'education', 'other')
>>> groups.top("criminal.intelligence")
'criminal'
>>> [q.id for q in partners_by_family(p, groups)][:3]
['police', 'police_mash_researcher', 'probation']
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from .entities import Partner
from .protocol import Protocol
from .vocabulary import Vocabulary


class PartnerFamily(NamedTuple):
    """One family of partner kinds: its key, the heading tables give it, and the kinds it gathers."""

    key: str
    heading: str
    roots: tuple[str, ...]


#: Partner-kind families in the order tables and views list them; ``other`` takes every kind not under a root.
PARTNER_FAMILIES: tuple[PartnerFamily, ...] = (
    PartnerFamily("justice", "Police and criminal justice", ("criminal_justice", "police")),
    PartnerFamily("local_authority", "Local authority", ("local_authority",)),
    PartnerFamily("health", "Health", ("health",)),
    PartnerFamily("education", "Education", ("education",)),
    PartnerFamily("other", "Other partners", ()),
)
FAMILY_ORDER: tuple[str, ...] = tuple(f.key for f in PARTNER_FAMILIES)
FAMILY_HEADINGS: dict[str, str] = {f.key: f.heading for f in PARTNER_FAMILIES}


@dataclass(frozen=True)
class Groups:
    """Families of partner kinds and top-level groups of categories, in one protocol's vocabulary."""

    vocab: Vocabulary

    def family(self, kind: str | None) -> str:
        """The family key of a partner kind (``justice``, ``health``, ... or ``other``)."""
        ancestors = set(self.vocab.kind_ancestors(kind)) if kind else set()
        for family in PARTNER_FAMILIES:
            if ancestors.intersection(family.roots):
                return family.key
        return "other"

    def top(self, category: str) -> str:
        """The top-level category a category sits under (itself when it is one)."""
        return self.vocab.category_ancestors(category)[-1]

    @cached_property
    def category_order(self) -> dict[str, int]:
        """Vocabulary order of categories (tree order), for sorting."""
        order: dict[str, int] = {}
        roots = [c for c in self.vocab.categories if self.top(c) == c]
        for root in roots:
            for c in self.vocab.category_descendants(root):
                order.setdefault(c, len(order))
        for c in self.vocab.categories:
            order.setdefault(c, len(order))
        return order

    def category_key(self, category: str) -> tuple[int, str]:
        """A sort key putting categories in vocabulary (tree) order; unknown ones last, by id."""
        return (self.category_order.get(category, len(self.category_order)), category)


def partners_by_family(protocol: Protocol, groups: Groups) -> list[Partner]:
    """The protocol's partners grouped by family (family order), in protocol order within a family."""
    return sorted(protocol.partners, key=lambda p: FAMILY_ORDER.index(groups.family(p.kind)))


__all__ = ["FAMILY_HEADINGS", "FAMILY_ORDER", "PARTNER_FAMILIES", "Groups", "PartnerFamily", "partners_by_family"]
