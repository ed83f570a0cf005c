"""Seeded flaws: copies of the small fixture with a few lines of YAML added."""

from __future__ import annotations

import shutil
from pathlib import Path

from protocolkit.model.loading import load_with_findings

SMALL = Path(__file__).resolve().parents[1] / "fixtures" / "small"

#: A share of all of health with only a public task basis: no Art 9 condition (RV101).
NO_ART9 = """
  - id: R9
    title: School shares health with children's social care
    from: {partners: [school]}
    to: {partners: [csc]}
    categories: [health]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e]
    rationale: Seeded flaw, no Art 9 condition.
"""

#: Police convictions to schools at referral: R2 always refuses it (RV121), and the two overlap (RV120).
SHADOWED = """
  - id: R3
    title: Police tell schools about convictions at referral
    from: {partners: [police]}
    to: {kinds: [school]}
    categories: [criminal.convictions]
    stages: [referral]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.10, DPA18.s36.4, CA2004.s11]
    rationale: Seeded flaw, always overridden by R2.
"""

#: A rule from a kind no partner has: it matches nothing (RV122).
DEAD = """
  - id: R4
    title: Probation shares household details with the MASH
    from: {kinds: [probation]}
    to: {partners: [csc]}
    categories: [household.composition]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA2004.s11]
    rationale: Seeded flaw, there is no probation partner.
"""

#: Attendance to csc at every stage, and asking consent first for attendance when consent is refused
#: or unknown: the two overlap, one sharing and one withholding (RV120), and both still decide.
CONFLICT = """
  - id: R5
    title: School shares attendance with children's social care
    from: {partners: [school]}
    to: {partners: [csc]}
    categories: [education.attendance]
    stages: any
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, EA2002.s175]
    rationale: Seeded.
  - id: R6
    title: Ask the family before attendance goes, unless consent was given
    from: any
    to: any
    categories: [education.attendance]
    stages: any
    purposes: any
    when: {consent: [refused, unknown]}
    outcome: seek_consent
    rationale: Seeded.
"""

#: health goes school -> csc (with an Art 9 condition) and csc -> police, with no owner's agreement (RV130).
CHAIN = """
  - id: R7
    title: School shares health observations with children's social care
    from: {partners: [school]}
    to: {partners: [csc]}
    categories: [health.injury_observations]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.h, DPA18.S1.P2]
    rationale: Seeded.
  - id: R8
    title: Children's social care passes health observations to the police
    from: {partners: [csc]}
    to: {partners: [police]}
    categories: [health.injury_observations]
    stages: [strategy_discussion]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.h, DPA18.S1.P2]
    rationale: Seeded, no owner's agreement before onward disclosure.
"""

#: The school needs attendance at the plan stage and no rule brings it (RV111).
UNSERVED = """
need_to_know:
  - id: school_plan
    recipient: {partners: [school]}
    stages: [plan]
    purposes: [safeguarding]
    categories: [education.attendance]
"""

#: csc needs only household details at screening, but R1 sends it police intelligence (RV110).
OVER = """
need_to_know:
  - id: csc_screening
    recipient: {partners: [csc]}
    stages: [screening]
    purposes: [safeguarding]
    categories: [household]
"""

#: A promise R1 breaks (RV150).
GUARANTEE = """
guarantees:
  - id: G1
    kind: never
    statement: Police intelligence never reaches children's social care at screening.
    from: {kinds: [police]}
    to: {partners: [csc]}
    categories: [criminal.intelligence]
    stages: [screening]
"""


#: The agreement-level sections the small fixture lacks: every recipient keeps what it receives for a stated
#: time (no RV170) and the partner list counts as reviewed, whatever day the suite runs (no RV181).
AGREEMENT = """
retention:
  - id: all_records
    partners: any
    categories: any
    duration: 6 years
    after: the case closed
    text: Every partner keeps what it receives for 6 years after the case closes.
governance:
  admits_partners: the partnership board
  partner_list_reviewed: 2026-01-01
  review_interval: 100 years
"""


def seeded(folder: Path, rules: str = "", sections: str = "") -> Path:
    """The small fixture copied into ``folder`` with extra rules (appended to its rule list) and sections."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SMALL / "protocol.yaml", folder / "protocol.yaml")
    text = (folder / "protocol.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n"
    if rules:
        text += rules.strip("\n") + "\n"
    text += sections
    (folder / "protocol.yaml").write_text(text, encoding="utf-8")
    return folder


def load_seeded(folder: Path):
    """Load a seeded folder, legal-sense errors and all."""
    protocol, findings = load_with_findings(folder)
    assert protocol is not None, [f.format() for f in findings]
    return protocol
