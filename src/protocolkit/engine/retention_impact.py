"""What a change does to retention (``docs/semantics.md`` section 18): for every rule that shares in both versions,
every recipient it sends to and every category it covers, the retention periods in effect before and after,
listed where they differ. A change of a rule's own term, of an inherited default's term or of a retention
statement shows here, even where no outcome changes.

The comparison is exact over rules, recipients and categories: retention depends on nothing else (not on the
facts or the stage), and where several rules decide together the periods in effect are each rule's periods
together, so a change to any of them is a change of one rule's periods here.

Examples
--------
>>> import protocolkit
>>> old = protocolkit.load(protocolkit.example_path("mash"))
>>> new = old.model_copy(deep=True)
>>> new.defaults[[d.id for d in new.defaults].index("marac_retention")].retention[0].duration = "P2Y"
>>> changes = retention_changes(old, new)
>>> [(c.recipient, c.old[0].split(" (")[0], c.new[0].split(" (")[0]) for c in changes][:1]
[('marac', '6 years after the last MARAC at which the case was heard', '2 years after the last MARAC at which the case was heard')]
>>> retention_changes(old, old)
[]
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.outcomes import SHARING_OUTCOMES
from ..model.protocol import Protocol


@dataclass(frozen=True)
class RetentionChange:
    """One recipient's retention of some categories under some rules, before and after the change. ``old`` and
    ``new`` are the periods in effect in words, each with where it was stated; empty for no period agreed."""

    recipient: str
    categories: tuple[str, ...]
    rules: tuple[str, ...]
    old: tuple[str, ...]
    new: tuple[str, ...]

    def as_dict(self) -> dict:
        """Plain data for JSON."""
        return {"recipient": self.recipient, "categories": list(self.categories), "rules": list(self.rules),
                "old": list(self.old), "new": list(self.new)}


def retention_changes(old: Protocol, new: Protocol, renames: dict[str, str] | None = None) -> list[RetentionChange]:
    """Every (rule, recipient, category) of the rules that share in both versions whose retention in effect
    changed, grouped by recipient and by the two sets of periods (see the module docstring)."""
    from ..model.retention import retention_in_effect, states_retention
    from .compiled import compile_protocol

    if not states_retention(old) and not states_retention(new):
        return []
    a, b = compile_protocol(old), compile_protocol(new)
    back = {n: o for o, n in (renames or {}).items()}
    known_old = {r.id: r for r in old.rules}
    groups: dict[tuple, tuple[list, list]] = {}
    cache: dict[tuple, tuple[str, ...]] = {}

    def periods(compiled, protocol, rule, recipient, category, side) -> tuple[str, ...]:
        key = (side, rule.id, recipient, category)
        if key not in cache:
            cache[key] = tuple(f"{r.words} ({r.cite()})" for r in retention_in_effect(
                protocol, compiled.vocab, [rule], compiled.inherited, recipient, category))
        return cache[key]

    for rule in new.rules:
        before = known_old.get(back.get(rule.id, rule.id))
        if before is None or rule.outcome not in SHARING_OUTCOMES or before.outcome not in SHARING_OUTCOMES:
            continue   # an added, removed or no longer sharing rule: a change of decisions, reported as such
        recipients = sorted(b.vocab.partners_in(rule.to) & a.vocab.partners_in(before.to))
        categories = [c for c in sorted(b.vocab.categories_in(rule.categories)
                                        & a.vocab.categories_in(before.categories))]
        for recipient in recipients:
            for category in categories:
                was = periods(a, old, before, recipient, category, "old")
                now = periods(b, new, rule, recipient, category, "new")
                if was != now:
                    cats, rules = groups.setdefault((recipient, was, now), ([], []))
                    if category not in cats:
                        cats.append(category)
                    if rule.id not in rules:
                        rules.append(rule.id)
    return [RetentionChange(recipient, tuple(cats), tuple(rules), was, now)
            for (recipient, was, now), (cats, rules) in groups.items()]


__all__ = ["RetentionChange", "retention_changes"]
