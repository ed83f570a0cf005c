"""Small hand-built protocols for the engine tests, with answers worked out by hand.

Everything is built in memory with ``Protocol.model_validate`` (no files, so no
legal-sense checks get in the way of a deliberately odd rule). The partners are:

    police            kind police (a criminal_justice kind)
    csc               kind childrens_social_care (a local_authority kind)
      mash            kind childrens_social_care, part_of csc
        mash_health   kind health, part_of mash (two levels below csc)
    nhs_trust         kind health
    gp_surgery        kind gp (a health kind)
    hv_team           kind health_visiting (a health kind)
    school            kind school (an education kind)
    keyworker         kind early_help (a local_authority kind)
    dwp               kind dwp (a central_government kind)

Two categories are added to the shipped tree: ``health.mental_health.camhs`` (dotted,
three levels deep) and ``camhs_letters`` (explicit parent ``health.mental_health``).
"""

from __future__ import annotations

from typing import Any

from rulebook import rule  # noqa: F401  (re-exported for the tests)
from protocolkit import Protocol
from protocolkit.engine import CategoryDecision, Decision, Request, decide

PARTNERS: list[dict[str, Any]] = [
    {"id": "police", "name": "Testshire Police", "kind": "police"},
    {"id": "csc", "name": "Children's Social Care", "kind": "childrens_social_care"},
    {"id": "mash", "name": "MASH team", "kind": "childrens_social_care", "part_of": "csc"},
    {"id": "mash_health", "name": "MASH health desk", "kind": "health", "part_of": "mash"},
    {"id": "nhs_trust", "name": "Community NHS Trust", "kind": "health"},
    {"id": "gp_surgery", "name": "Riverside Surgery", "kind": "gp"},
    {"id": "hv_team", "name": "Health visiting team", "kind": "health_visiting"},
    {"id": "school", "name": "Testshire Primary", "kind": "school"},
    {"id": "keyworker", "name": "Early help keyworker", "kind": "early_help"},
    {"id": "dwp", "name": "Department for Work and Pensions", "kind": "dwp"},
]

CATEGORIES: list[dict[str, Any]] = [
    {"id": "health.mental_health.camhs", "label": "CAMHS records"},
    {"id": "camhs_letters", "label": "CAMHS letters", "parent": "health.mental_health"},
]

ALL_PARTNERS = [p["id"] for p in PARTNERS]


def build(rules: list[dict[str, Any]], **sections: Any) -> Protocol:
    """A protocol with the standard partners and categories, these rules and any other sections."""
    data: dict[str, Any] = {
        "metadata": {"id": "handbuilt", "title": "Hand-built test protocol", "version": "1", "owner": "csc"},
        "partners": PARTNERS,
        "categories": CATEGORIES,
        "rules": rules,
    }
    data.update(sections)
    return Protocol.model_validate(data)


def request(sender: str = "police", recipient: str = "csc", categories: Any = ("education.attendance",),
            stage: str = "screening", purpose: str = "safeguarding", requester: str | None = None,
            requested_by: str | None = None, **facts: Any) -> Request:
    """A request; the defaults are a plain police -> csc request at screening for safeguarding."""
    if isinstance(categories, str):
        categories = (categories,)
    return Request(sender, recipient, tuple(categories), stage, purpose, facts, requester, requested_by)


def ask(protocol: Protocol, *args: Any, **kwargs: Any) -> Decision:
    """Decide :func:`request` (``*args``, ``**kwargs``) against ``protocol``."""
    return decide(protocol, request(*args, **kwargs))


def one(protocol: Protocol, *args: Any, **kwargs: Any) -> CategoryDecision:
    """The decision of the only category of a one-category request."""
    decision = ask(protocol, *args, **kwargs)
    assert len(decision.categories) == 1
    return decision.categories[0]
