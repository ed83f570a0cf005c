"""What changed between two versions of a protocol, entry by entry and field by field.

Entries of list sections (partners, categories, rules, need-to-know profiles,
guarantees, ...) are matched by ``id``, so moving an entry to another file or
reordering a file is not a change. A removed and an added entry whose contents are
otherwise identical are reported as one *renamed* entry. The order of the rules is
reported when it changed, since it decides which rule an explanation cites among
equals. Sections without ids (metadata and other mappings) are compared key by key.

This module compares declarations only; what the change does to decisions is
:mod:`protocolkit.engine.impact`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .protocol import Protocol


@dataclass(frozen=True)
class FieldChange:
    """One field of an entry that changed: its path inside the entry, and the two values."""

    path: str
    old: Any
    new: Any


@dataclass
class EntryChange:
    """An entry added, removed, renamed or changed in one section."""

    section: str
    id: str
    change: str  # "added", "removed", "renamed" or "changed"
    fields: list[FieldChange] = field(default_factory=list)
    old_id: str | None = None

    def as_dict(self) -> dict:
        """Plain data for JSON."""
        data = {"section": self.section, "id": self.id, "change": self.change}
        if self.old_id:
            data["old_id"] = self.old_id
        if self.fields:
            data["fields"] = [{"path": f.path, "old": f.old, "new": f.new} for f in self.fields]
        return data


@dataclass
class ProtocolChanges:
    """Every declared change between two protocols."""

    entries: list[EntryChange] = field(default_factory=list)
    rule_order_changed: bool = False

    def __bool__(self) -> bool:
        return bool(self.entries) or self.rule_order_changed

    def in_section(self, section: str) -> list[EntryChange]:
        """The changes of one section."""
        return [e for e in self.entries if e.section == section]

    def counts(self) -> dict[str, dict[str, int]]:
        """How many entries were added, removed, renamed or changed, per section."""
        counts: dict[str, dict[str, int]] = {}
        for e in self.entries:
            counts.setdefault(e.section, {}).setdefault(e.change, 0)
            counts[e.section][e.change] += 1
        return counts

    def as_dict(self) -> dict:
        """Plain data for JSON."""
        return {"entries": [e.as_dict() for e in self.entries], "rule_order_changed": self.rule_order_changed}


def compare_protocols(old: Protocol, new: Protocol) -> ProtocolChanges:
    """The declared differences between two protocols.

    Examples
    --------
    >>> import protocolkit
    >>> old = protocolkit.load(protocolkit.example_path("mash"))
    >>> new = old.model_copy(deep=True)
    >>> new.rules[0].outcome = "escalate"
    >>> new.rules[0].escalate_to = "the DPO"
    >>> changes = compare_protocols(old, new)
    >>> [(e.section, e.id, e.change) for e in changes.entries]
    [('rules', 'R-GEN-01', 'changed')]
    >>> [(f.path, f.old, f.new) for f in changes.entries[0].fields]
    [('escalate_to', None, 'the DPO'), ('outcome', 'refuse', 'escalate')]
    """
    a = old.model_dump(mode="json", by_alias=True, exclude={"include"})
    b = new.model_dump(mode="json", by_alias=True, exclude={"include"})
    changes = ProtocolChanges()
    for section in sorted(set(a) | set(b)):
        before, after = a.get(section), b.get(section)
        if _is_entry_list(before) or _is_entry_list(after):
            changes.entries += _compare_entries(section, before or [], after or [])
        elif before != after:
            changes.entries.append(EntryChange(section, section, "changed", _field_changes(before, after)))
    old_order = [r["id"] for r in a.get("rules", [])]
    new_order = [r["id"] for r in b.get("rules", [])]
    kept = set(old_order) & set(new_order)
    changes.rule_order_changed = [r for r in old_order if r in kept] != [r for r in new_order if r in kept]
    return changes


def _is_entry_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) and "id" in v for v in value)


def _compare_entries(section: str, before: list[dict], after: list[dict]) -> list[EntryChange]:
    old = {e["id"]: e for e in before}
    new = {e["id"]: e for e in after}
    removed = [i for i in old if i not in new]
    added = [i for i in new if i not in old]
    out: list[EntryChange] = []
    for entry_id in old:
        if entry_id in new and old[entry_id] != new[entry_id]:
            out.append(EntryChange(section, entry_id, "changed", _field_changes(old[entry_id], new[entry_id])))
    renamed: set[str] = set()
    for old_id in removed:
        body = {k: v for k, v in old[old_id].items() if k != "id"}
        match = next((i for i in added if i not in renamed and {k: v for k, v in new[i].items() if k != "id"} == body),
                     None)
        if match is not None:
            renamed.add(match)
            out.append(EntryChange(section, match, "renamed", old_id=old_id))
        else:
            out.append(EntryChange(section, old_id, "removed"))
    out += [EntryChange(section, i, "added") for i in added if i not in renamed]
    return out


def _field_changes(before: Any, after: Any, path: str = "") -> list[FieldChange]:
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in sorted(set(before) | set(after)):
            out += _field_changes(before.get(key), after.get(key), f"{path}.{key}" if path else str(key))
        return out
    if before == after:
        return []
    return [FieldChange(path or "(value)", before, after)]
