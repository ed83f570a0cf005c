"""Small hand-built protocols for the graph and analysis tests, with answers worked out by hand.

Built in memory with ``Protocol.model_validate`` (no files, so no legal-sense checks get
in the way of a deliberately odd rule). Each builder documents what it permits.
"""

from __future__ import annotations

from typing import Any

from rulebook import rule  # noqa: F401  (re-exported for the tests)
from protocolkit import Protocol

#: The five partners of most protocols here.
PARTNERS: list[dict[str, Any]] = [
    {"id": "police", "name": "Testshire Police", "kind": "police"},
    {"id": "csc", "name": "Children's Social Care", "kind": "childrens_social_care"},
    {"id": "mash", "name": "MASH team", "kind": "childrens_social_care", "part_of": "csc"},
    {"id": "school", "name": "Testshire Primary", "kind": "school"},
    {"id": "gp", "name": "Riverside Surgery", "kind": "gp"},
]
ALL = [p["id"] for p in PARTNERS]

STAGES = [
    {"id": "referral", "label": "Referral"},
    {"id": "screening", "label": "Screening"},
    {"id": "plan", "label": "Plan"},
]

EDUCATION = ["education", "education.attainment", "education.attendance", "education.dsl_records",
             "education.exclusions", "education.send"]

PUBLIC_TASK = ["UKGDPR.6.1.e", "CA2004.s11"]
ART9 = ["UKGDPR.6.1.e", "UKGDPR.9.2.g", "DPA18.S1.P18"]


def protocol(rules: list[dict[str, Any]], partners: list[dict[str, Any]] | None = None,
             stages: list[dict[str, Any]] | None = None, **sections: Any) -> Protocol:
    """A protocol with these rules (and partners, stages and any other sections)."""
    data: dict[str, Any] = {
        "metadata": {"id": "graphtest", "title": "Graph test protocol", "version": "1", "owner": "csc"},
        "partners": PARTNERS if partners is None else partners,
        "stages": STAGES if stages is None else stages,
        "rules": rules,
    }
    data.update(sections)
    return Protocol.model_validate(data)


def flows_protocol() -> Protocol:
    """Five partners, three stages, five rules; 42 permitted flows.

    S1  police -> csc (and its team mash): criminal.intelligence at screening for safeguarding
        when risk >= amber, share_minimum, guarded                          -> 2 flows
    S2  school -> csc (and mash): education (6 categories) at every stage (3) for safeguarding,
        share, no conditions                                                 -> 36 flows
    S3  gp -> csc (and mash): health.mental_health at screening and plan for safeguarding
        when consent is given                                                -> 4 flows
    S4  anyone -> school: criminal, refuse                                   -> none
    S5  csc -> school: education.attendance at plan for family support, seek_consent -> none
    """
    return protocol([
        rule("S1", "share_minimum", sender={"kinds": ["police"]}, to={"partners": ["csc"]},
             categories=["criminal.intelligence"], stages=["screening"], purposes=["safeguarding"],
             when={"risk": ">= amber"}, obligations=["owner_agreement_before_onward_disclosure"],
             lawful_bases=["DPA18.s35"]),
        rule("S2", sender={"partners": ["school"]}, to={"partners": ["csc"]}, categories=["education"],
             purposes=["safeguarding"], lawful_bases=PUBLIC_TASK),
        rule("S3", sender={"kinds": ["gp"]}, to={"partners": ["csc"]}, categories=["health.mental_health"],
             stages=["screening", "plan"], purposes=["safeguarding"], when={"consent": "given"},
             lawful_bases=ART9),
        rule("S4", "refuse", to={"kinds": ["school"]}, categories=["criminal"]),
        rule("S5", "seek_consent", sender={"partners": ["csc"]}, to={"kinds": ["school"]},
             categories=["education.attendance"], stages=["plan"], purposes=["family_support"]),
    ])


#: Four partners and two stages keep the brute-force space small (16 pairs x 75 categories x
#: 2 stages x 6 purposes x 225 fact combinations).
TINY_PARTNERS = [p for p in PARTNERS if p["id"] != "gp"]
TINY_STAGES = STAGES[:2]


def tiny_protocol() -> Protocol:
    """A protocol exercising hierarchy, priorities, conditions with ``unknown`` and every outcome."""
    return protocol([
        rule("T1", sender={"kinds": ["police"]}, to={"partners": ["csc"]}, categories=["criminal"],
             when={"risk": ">= amber"}, lawful_bases=["DPA18.s35"]),
        rule("T2", "refuse", sender="any", to={"partners": ["csc"]}, categories=["criminal.intelligence"],
             when={"consent": ["refused", "unknown"]}),
        rule("T3", sender={"kinds": ["police"]}, to={"partners": ["mash"]}, categories=["criminal.intelligence"],
             when={"risk": "red"}, priority=1, lawful_bases=["DPA18.s35"]),
        rule("T4", "share_minimum", sender={"partners": ["school"]}, to="any", categories=["education.attendance"],
             stages=["referral"], purposes=["safeguarding", "family_support"], when={"child_competent": "!= no"}),
        rule("T5", "escalate", sender="any", to={"kinds": ["school"]}, categories=["health"]),
        rule("T6", sender={"partners": ["csc"]}, to={"kinds": ["school"]}, categories=["health.mental_health"],
             when={"statutory_notice": "yes"}, stages=["screening"]),
        rule("T7", "seek_consent", sender={"partners": ["mash"]}, to={"partners": ["police"]}, categories="any",
             purposes=["crime_prevention"], when={"consent": "not_sought"}),
        rule("T8", sender={"partners": ["mash"]}, to={"partners": ["police"]}, categories=["household"],
             purposes=["crime_prevention"], stages=["screening"]),
    ], partners=TINY_PARTNERS, stages=TINY_STAGES)


#: Five partners with no teams, for the network analyses (a team would widen ``partners: [x]``).
NET_PARTNERS: list[dict[str, Any]] = [
    {"id": "police", "name": "Testshire Police", "kind": "police"},
    {"id": "csc", "name": "Children's Social Care", "kind": "childrens_social_care"},
    {"id": "school", "name": "Testshire Primary", "kind": "school"},
    {"id": "gp", "name": "Riverside Surgery", "kind": "gp"},
    {"id": "dwp", "name": "Department for Work and Pensions", "kind": "dwp"},
]


def to(sender: str, recipient: str, rule_id: str, categories: list[str], outcome: str = "share",
       **fields: Any) -> dict[str, Any]:
    """A rule from one named partner to another."""
    return rule(rule_id, outcome, sender={"partners": [sender]}, to={"partners": [recipient]},
                categories=categories, **fields)


def net(rules: list[dict[str, Any]], **sections: Any) -> Protocol:
    """A protocol of the five NET_PARTNERS with these rules."""
    return protocol(rules, partners=NET_PARTNERS, **sections)


GUARD = ["owner_agreement_before_onward_disclosure"]


def chain_protocol(first_hop_guarded: bool) -> Protocol:
    """gp -> csc -> school -> police for health.mental_health (special category); dwp is isolated.

    Onward reach, by hand: from gp, school in 2 hops and police in 3; from csc, police in 2.
    The gp -> csc hop carries the owner's agreement when ``first_hop_guarded``.
    """
    base = dict(purposes=["safeguarding"], lawful_bases=ART9)
    return net([
        to("gp", "csc", "H1", ["health.mental_health"], obligations=GUARD if first_hop_guarded else [], **base),
        to("csc", "school", "H2", ["health.mental_health"], **base),
        to("school", "police", "H3", ["health.mental_health"], **base),
    ])
