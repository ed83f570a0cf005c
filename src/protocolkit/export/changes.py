"""The change report: what a change to a protocol says and does, as Markdown (for a merge request) or JSON.

It renders :class:`protocolkit.engine.impact.Impact` for a reader who decides whether to
accept the change: first one sentence on whether any decision changes, then the
decisions that change grouped by what changed (with the number of possible requests and
sample cases affected and the smallest request that shows it), the promises whose verdict
changes, and last the edits themselves, entry by entry.
"""

from __future__ import annotations

import json

from ..engine.impact import Impact
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary


def change_report(old: Protocol, new: Protocol, result: Impact) -> dict:
    """The report as plain data (the JSON form), grouped for reading."""
    vocabulary = Vocabulary.of(new)
    groups: dict[tuple, dict] = {}
    for row in result.space.groups.to_dict("records"):
        key = (row["old_outcome"], row["new_outcome"], row["old_rule"], row["new_rule"], tuple(row["changed"]))
        group = groups.setdefault(key, {
            "old_outcome": row["old_outcome"], "new_outcome": row["new_outcome"], "old_rule": row["old_rule"],
            "new_rule": row["new_rule"], "changed": list(row["changed"]), "requests": 0, "sample_requests": 0,
            "example": {k: row[k] for k in ("from", "to", "category", "stage", "purpose", "facts")}})
        group["requests"] += int(row["requests"])
    if result.cases is not None:
        for row in result.cases.changes.to_dict("records"):
            key = next((k for k in groups if k[0] == row["old_outcome"] and k[1] == row["new_outcome"]
                        and k[2] == _rule(row["old_rule"]) and k[3] == _rule(row["new_rule"])), None)
            if key is None:
                key = (row["old_outcome"], row["new_outcome"], _rule(row["old_rule"]), _rule(row["new_rule"]),
                       tuple(row["changed"]))
                groups[key] = {"old_outcome": row["old_outcome"], "new_outcome": row["new_outcome"],
                               "old_rule": _rule(row["old_rule"]), "new_rule": _rule(row["new_rule"]),
                               "changed": list(row["changed"]), "requests": 0, "sample_requests": 0,
                               "example": {k: row[k] for k in ("from", "to", "category", "stage", "purpose")}}
            groups[key]["sample_requests"] += 1
            groups[key].setdefault("sample_cases", [])
            if row["case"] not in groups[key]["sample_cases"]:
                groups[key]["sample_cases"].append(row["case"])
    ordered = sorted(groups.values(), key=lambda g: (-g["requests"], -g["sample_requests"], str(g["old_rule"])))
    for group in ordered:
        group["summary"] = _group_sentence(group, vocabulary)
        group["example_text"] = _example_sentence(group["example"], vocabulary)
    return {
        "old": {"id": old.metadata.id, "version": old.metadata.version},
        "new": {"id": new.metadata.id, "version": new.metadata.version},
        "decisions_changed": result.decisions_changed,
        "only_retention_changed": result.only_retention_changed,
        "space": {"size": result.space.space_size, "changed": result.space.changed,
                  "only_old": result.space.only_old, "only_new": result.space.only_new},
        "groups": ordered,
        "cases": None if result.cases is None else {
            "compared": result.cases.compared, "changed": len(result.cases.changes), "problems": result.cases.problems},
        "guarantees": [{"id": g.id, "statement": g.statement, "old": g.old, "new": g.new} for g in result.guarantees],
        "retention": [dict(c.as_dict(), summary=_retention_sentence(c, vocabulary)) for c in result.retention],
        "edits": result.changes.as_dict(),
    }


def render_json(report: dict) -> str:
    """The report as JSON text (sorted keys, newline at the end)."""
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def render_markdown(report: dict, *, limit: int = 30) -> str:
    """The report as Markdown fit for a merge-request comment."""
    space = report["space"]
    lines = [f"## What this change does: {report['old']['id']} version {report['old']['version']} → "
             f"{report['new']['version']}", ""]
    retention = report.get("retention") or []
    kinds = f"{len(retention)} kind{'' if len(retention) == 1 else 's'} of sharing"
    if not report["decisions_changed"]:
        lines += ["No decision changes: every possible request is decided exactly as before "
                  f"({space['size']:,} requests compared).", ""]
    elif report.get("only_retention_changed"):
        # a decision carries how long the recipient keeps what it receives (docs/semantics.md section 18)
        lines += [f"**Decisions change only in how long what is shared is kept: {kinds}.** Every possible request "
                  "gets the same outcome, deciding rule, lawful bases, duties and sharing mode as before "
                  f"({space['size']:,} requests compared), but the recipient keeps what it receives for a different "
                  "period (below: who keeps which categories, under which rules, now and before)."]
        if report["cases"] is not None:
            cases = report["cases"]
            lines.append(f"Sample cases: {cases['changed']} of {cases['compared']} decisions change "
                         "(only in their retention).")
        lines.append("")
    else:
        lines += [f"**{space['changed']:,} of {space['size']:,} possible requests are decided differently.**"
                  + (f" {space['only_new']:,} requests become possible (new names) and {space['only_old']:,} "
                     "are no longer possible." if space["only_new"] or space["only_old"] else ""), ""]
        if report["cases"] is not None:
            cases = report["cases"]
            lines += [f"Sample cases: {cases['changed']} of {cases['compared']} decisions change."]
            lines += [f"- {problem}" for problem in cases["problems"]]
            lines.append("")
        if retention:
            lines[-1:-1] = [f"Retention periods also change for {kinds} (below); those decisions are counted "
                            "there, by who keeps which categories under which rules, not among the requests above."]
    if retention:
        lines += ["### Retention that changes", ""]
        lines += [f"- {_escape(c['summary'])}" for c in report["retention"][:limit]]
        if len(report["retention"]) > limit:
            lines.append(f"- ... and {len(report['retention']) - limit} more")
        lines.append("")
    if report["guarantees"]:
        lines += ["### Promises", ""]
        for g in report["guarantees"]:
            lines.append(f"- **{g['id']}** ({_escape(g['statement'])}): {g['old']} → **{g['new']}**")
        lines.append("")
    if report["groups"]:
        lines += ["### Decisions that change", "",
                  "| what changes | possible requests | sample requests | for example |", "|---|---:|---:|---|"]
        for group in report["groups"][:limit]:
            where = group["example_text"]
            cases = f" ({', '.join(group['sample_cases'])})" if group.get("sample_cases") else ""
            # a change of retention alone is counted by kind of sharing under "Retention that changes", not by
            # request: its row says so rather than print a count of 0 beside a change
            requests = ("see retention above" if not group["requests"] and set(group["changed"]) == {"retention"}
                        else f"{group['requests']:,}")
            lines.append(f"| {_escape(group['summary'])} | {requests} | {group['sample_requests']}{cases} | "
                         f"{_escape(where)} |")
        if len(report["groups"]) > limit:
            lines.append(f"| ... and {len(report['groups']) - limit} more kinds of change | | | |")
        lines.append("")
    edits = report["edits"]
    if edits["entries"] or edits["rule_order_changed"]:
        lines += ["### What was edited", ""]
        for entry in edits["entries"]:
            label = entry["section"].replace("_", " ")
            if entry["change"] == "renamed":
                lines.append(f"- {label}: `{entry['old_id']}` renamed to `{entry['id']}`")
            elif entry["change"] == "changed" and entry.get("fields"):
                fields = "; ".join(f"{f['path']} {_short(f['old'])} → {_short(f['new'])}" for f in entry["fields"][:6])
                more = f" (and {len(entry['fields']) - 6} more)" if len(entry["fields"]) > 6 else ""
                lines.append(f"- {label} `{entry['id']}` changed: {_escape(fields)}{more}")
            else:
                lines.append(f"- {label} `{entry['id']}` {entry['change']}")
        if edits["rule_order_changed"]:
            lines.append("- the order of the rules changed (it decides which rule is cited among equals)")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _rule(value):
    return value if isinstance(value, str) else None


def _group_sentence(group: dict, vocabulary: Vocabulary) -> str:
    old, new = group["old_outcome"], group["new_outcome"]
    rules = (f"rule {group['old_rule'] or 'none'} → {group['new_rule'] or 'none'}"
             if group["old_rule"] != group["new_rule"] else f"rule {group['new_rule'] or 'none'}")
    others = [c.replace("_", " ") for c in group["changed"] if c not in ("outcome", "rule")]
    if old != new:
        also = f", and the {' and '.join(others)} change" if others else ""
        return f"{_words(old)} becomes {_words(new)}{also} ({rules})"
    items = [_FIELDS.get(c, c.replace("_", " ")) for c in group["changed"] if c != "outcome"]
    verb = "changes" if len(items) == 1 and items[0] not in ("obligations", "lawful bases") else "change"
    return f"still {_words(new)}, but the {' and '.join(items)} {verb} ({rules})"


#: What changed, in words, where the field's name is not enough.
_FIELDS = {"lawful_bases": "lawful bases", "sharing": "sharing mode", "decided_by": "person who decides",
           "retention": "retention period"}


def _retention_sentence(change, vocabulary: Vocabulary) -> str:
    """A retention change in words, names first and ids after: who keeps what, under which rules, now and before."""
    recipient = vocabulary.label("partners", change.recipient)
    names = [vocabulary.label("categories", c) for c in change.categories]
    what = ", ".join(names[:6]) + (f" and {len(names) - 6} more categories" if len(names) > 6 else "")
    rules = ", ".join(change.rules)
    now = "; or ".join(change.new) if change.new else "no period agreed"
    was = "; or ".join(change.old) if change.old else "no period agreed"
    return (f"{recipient} ({change.recipient}) keeps {what} (shared under rule{'s' if len(change.rules) > 1 else ''} "
            f"{rules}) for {now}; before this change: {was}.")


def _example_sentence(example: dict, vocabulary: Vocabulary) -> str:
    """The smallest request of a group in words (names and labels first, ids after)."""
    def named(section: str, key: str) -> str:
        label = vocabulary.label(section, key)
        return f"{label} ({key})" if label != key else key

    facts = ", ".join(f"{k} is {v}" for k, v in sorted((example.get("facts") or {}).items()))
    return (f"{named('partners', example['from'])} to {named('partners', example['to'])}: "
            f"{named('categories', example['category'])} at {vocabulary.label('stages', example['stage']).lower()} "
            f"for {vocabulary.label('purposes', example['purpose']).lower()}"
            f"{' (' + facts + ')' if facts else ', no facts stated'}")


def _words(outcome: str) -> str:
    return {"share": "share", "share_minimum": "share the minimum", "seek_consent": "seek consent",
            "escalate": "escalate", "refuse": "refuse", "gap": "a gap (no rule)",
            "neither_confirm_nor_deny": "neither confirm nor deny"}.get(str(outcome), str(outcome).replace("_", " "))


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def _escape(text: str) -> str:
    """Markdown table cells: no pipes or line breaks, no HTML."""
    return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))


__all__ = ["change_report", "render_json", "render_markdown"]
