"""Shared by the test suites: a rule dict with ``any`` scope unless told otherwise."""

from __future__ import annotations

from typing import Any


def rule(rule_id: str, outcome: str = "share", **fields: Any) -> dict[str, Any]:
    """A rule dict whose scope is ``any`` everywhere unless ``fields`` narrow it.

    ``from`` is a Python keyword: pass it as ``sender=``.
    """
    data: dict[str, Any] = {
        "id": rule_id, "title": f"Rule {rule_id}", "from": "any", "to": "any", "categories": "any",
        "stages": "any", "purposes": "any", "outcome": outcome, "rationale": f"Rationale of {rule_id}.",
    }
    if outcome == "share_minimum":
        data["minimum"] = f"minimum of {rule_id}"
    if outcome == "escalate":
        data["escalate_to"] = f"manager of {rule_id}"
    if "sender" in fields:
        data["from"] = fields.pop("sender")
    data.update(fields)
    return data
