"""The unlawful patterns a legal review found in the example, added back to a copy: validate reports each.

Issue 9 lists what a reviewer who knows MASH work found in an hour. The example no longer
does any of it; this test puts each pattern back, as a partnership might write it, into a copy
of the example and checks that validation names the rule (or partner) and the right check. The
review patterns a validator can see are added too: the Gillick refusal overridden for a relative
(PK222), an address gated on the wrong person's consent (PK223) or on the child's rating rather
than the victim's (PK228, the charity's address rule the review found), closure refusing a
transfer (PK224), a meeting recorded as a joint controller (PK225), services declaring one legal
entity recorded as separate controllers (PK226), and the same two shapes known only by their
names (PK227, the warning that asks for the data).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import protocolkit
from protocolkit.model.loading import load_with_findings

#: (rule id, the check that must report it, the rule as a partnership might write it)
PATTERNS = [
    ("X-PART3-SAFEGUARDING", "PK214", """
  - id: X-PART3-SAFEGUARDING
    title: Police tell children's social care about a domestic abuse incident under Part 3
    from: {kinds: [police]}
    to: {partners: [childrens_social_care]}
    categories: [criminal.domestic_abuse_incidents]
    stages: [referral]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [DPA18.s35, DPA18.S8.P4]
    rationale: Protecting the child is not a law enforcement purpose; s35 does not apply.
"""),
    ("X-PROBATION-PART3", "PK214", """
  - id: X-PROBATION-PART3
    title: Probation tells children's social care about a MAPPA adult under Part 3
    from: {kinds: [probation]}
    to: {partners: [childrens_social_care]}
    categories: [criminal.mappa_status]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [DPA18.s35, CJA2003.s325]
    rationale: As above, for probation.
"""),
    ("X-SCHOOL-S11", "PK212", """
  - id: X-SCHOOL-S11
    title: The school shares under CA 2004 s11
    from: {kinds: [school]}
    to: {partners: [childrens_social_care]}
    categories: [education.attendance]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA2004.s11]
    rationale: Schools and academies are not s11 bodies.
"""),
    ("X-GP-S47", "PK212", """
  - id: X-GP-S47
    title: GP practices answer a s47 enquiry under the duty to assist
    from: {partners: [gp_practices]}
    to: {partners: [childrens_social_care]}
    categories: [health.gp_records]
    stages: [assessment]
    purposes: [safeguarding]
    outcome: share_minimum
    minimum: what bears on the enquiry
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.g, DPA18.S1.P18, DPA18.S1.P6, CA1989.s47.9-11]
    rationale: s47(11) leaves GPs outside the duty to assist.
"""),
    ("X-PARA18-WITH-CONSENT", "PK216", """
  - id: X-PARA18-WITH-CONSENT
    title: The hospital shares an adult victim's injuries with the MARAC under para 18, consent or not
    from: {partners: [acute_trust]}
    to: {partners: [marac]}
    categories: [health.injury_observations]
    stages: [referral]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.g, DPA18.S1.P18]
    rationale: Para 18 only where consent is refused, cannot be sought or would prejudice the purpose.
"""),
    ("X-CHARITY-NO-ANNEX1", "PK211", """
  - id: X-CHARITY-NO-ANNEX1
    title: The charity shares on a recognised legitimate interest with no Annex 1 condition
    from: {partners: [da_service]}
    to: {partners: [childrens_social_care]}
    categories: [risk.safety_plan]
    stages: [plan]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.ea]
    rationale: Art 6(1)(ea) needs its Annex 1 condition.
"""),
    ("X-CHARITY-PUBLIC-TASK", "PK215", """
  - id: X-CHARITY-PUBLIC-TASK
    title: The charity shares on public task
    from: {partners: [da_service]}
    to: {partners: [childrens_social_care]}
    categories: [risk.safety_plan]
    stages: [review]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e]
    rationale: A charity has no basis in law for public task.
"""),
    ("X-S115-TO-MARAC", "PK213", """
  - id: X-S115-TO-MARAC
    title: Housing refers to the MARAC under CDA 1998 s115
    from: {kinds: [housing]}
    to: {partners: [marac]}
    categories: [household.composition]
    stages: [referral]
    purposes: [crime_prevention]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CDA1998.s115]
    rationale: A MARAC is not a relevant authority under s115.
"""),
    ("X-VIOLENCE-NO-ART10", "PK202", """
  - id: X-VIOLENCE-NO-ART10
    title: The keyworker passes on a disclosed history of violence
    from: {partners: [early_help]}
    to: {partners: [childrens_social_care]}
    categories: [household.other_adults.risk_indicators]
    stages: [plan]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e]
    rationale: Alleged offences are criminal offence data (DPA 2018 s11(2)) and need an Art 10 condition.
"""),
    ("X-NOTICE-REFUSED", "PK221", """
  - id: X-NOTICE-REFUSED
    title: Nothing goes to DWP, even with a notice
    from: any
    to: {partners: [dwp]}
    categories: any
    stages: any
    purposes: any
    when: {statutory_notice: "yes"}
    outcome: refuse
    rationale: A valid notice compels; refusing it treats it as optional.
"""),
    ("X-NOTICE-DISCRETION", "PK221", """
  - id: X-NOTICE-DISCRETION
    title: Housing answers a DWP notice on public task
    from: {partners: [housing]}
    to: {partners: [dwp]}
    categories: [housing.tenancy]
    stages: any
    purposes: [crime_prevention]
    when: {statutory_notice: "yes"}
    outcome: share_minimum
    minimum: what the notice specifies
    lawful_bases: [UKGDPR.6.1.e, SSAA1992.s109B]
    rationale: Answering a notice is a legal obligation (Art 6(1)(c)), not public task.
"""),
    ("X-HEADING-CITED", "PK210", """
  - id: X-HEADING-CITED
    title: Health shares under "Schedule 8"
    from: {kinds: [health]}
    to: {partners: [childrens_social_care]}
    categories: [health.child_development]
    stages: [screening]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.g, DPA18.S1, DPA18.S8]
    rationale: A group heading satisfies nothing.
"""),
    ("X-DAA-S3-GATEWAY", "PK210", """
  - id: X-DAA-S3-GATEWAY
    title: Police tell the school under DAA 2021 s3
    from: {kinds: [police]}
    to: {kinds: [school]}
    categories: [criminal.encompass_notification]
    stages: [plan]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.10, DPA18.s36.4, DAA2021.s3]
    rationale: Section 3 defines child victims; it is not a gateway.
"""),
    # The review patterns a validator can see since PK222-PK224 (protocolkit.model.patterns)
    ("X-GILLICK-TO-RELATIVE", "PK222", """
  - id: X-GILLICK-TO-RELATIVE
    title: Children's social care tells a relative about the young person's mental health
    from: {partners: [childrens_social_care]}
    to: {outside: [family_member]}
    categories: [health.mental_health]
    stages: [plan]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, UKGDPR.9.2.h, DPA18.S1.P2, CA1989.s17]
    rationale: A competent young person's refusal counts for their own information.
"""),
    ("X-ADDRESS-ON-PERPETRATOR", "PK223", """
  - id: X-ADDRESS-ON-PERPETRATOR
    title: The victim's new address goes to the police when the alleged perpetrator agrees
    from: {partners: [childrens_social_care]}
    to: {kinds: [police]}
    categories: [contact.address]
    stages: [plan]
    purposes: [safeguarding]
    about: [victim]
    when: {consent@alleged_perpetrator: given}
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA1989.s17]
    rationale: Whose consent counts is the person's whose address it is.
"""),
    ("X-VICTIM-ADDRESS-ON-CHILD-RATING", "PK228", """
  - id: X-VICTIM-ADDRESS-ON-CHILD-RATING
    title: The domestic abuse service gives the police the victim's address when the child's case is amber or red
    from: {partners: [da_service]}
    to: {kinds: [police]}
    categories: [contact.confidential_address]
    stages: any
    purposes: [safeguarding]
    about: [victim]
    when: {risk: ">= amber"}
    outcome: share_minimum
    minimum: the address as a control-room marker
    lawful_bases: [UKGDPR.6.1.ea, UKGDPR.A1.5]
    rationale: The marker protects the victim, so it turns on her DASH risk, not on the child's rating.
"""),
    ("X-SOUTHMOOR-SERVICES", "PK226", """
  - id: X-SOUTHMOOR-SERVICES
    title: Southmoor's housing tells Southmoor's children's services who lives in the household
    from: {partners: [southmoor_homes]}
    to: {partners: [southmoor_childrens_services]}
    categories: [household.composition]
    stages: [assessment]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA1989.s17]
    rationale: Two services of one legal entity are one controller.
"""),
    ("X-WESTBRIDGE-SERVICES", "PK227", """
  - id: X-WESTBRIDGE-SERVICES
    title: Westbridge Council Housing tells Westbridge Council Children's Social Care about the tenancy
    from: {partners: [westbridge_housing]}
    to: {partners: [westbridge_csc]}
    categories: [household.composition]
    stages: [assessment]
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e, CA1989.s17]
    rationale: Named for one council, declaring nothing.
"""),
    ("X-CLOSURE-NO-TRANSFER", "PK224", """
  - id: X-CLOSURE-NO-TRANSFER
    title: Nothing leaves a closed case, transfers included
    from: any
    to: any
    categories: [social_care]
    stages: [closure]
    purposes: any
    outcome: refuse
    priority: 2
    rationale: A case with a plan transfers to the authority the family moves to.
"""),
]


#: Partners added with the rules: (partner name the finding must name, the check, the partner as written).
PARTNER_PATTERNS = [
    ("Northbridge MAPPA meeting", "PK225", """
  - id: mappa_meeting
    name: Northbridge MAPPA meeting
    kind: multi_agency_meeting
    controller_role: joint_controller
"""),
    ("Northbridge high-risk domestic abuse panel", "PK227", """
  - id: da_panel
    name: Northbridge high-risk domestic abuse panel (conference)
    kind: voluntary
    controller_role: controller
"""),
]

#: Partners the rule patterns above need (two councils' services outside the partnership).
SERVICES = """
  - {id: southmoor_homes, name: Southmoor Homes, kind: housing, legal_entity: southmoor_council,
     statutory_powers: [CA1989.s17]}
  - {id: southmoor_childrens_services, name: Southmoor Children's Services, kind: childrens_social_care,
     legal_entity: southmoor_council, statutory_powers: [CA1989.s17]}
  - {id: westbridge_housing, name: Westbridge Council Housing, kind: housing, statutory_powers: [CA1989.s17]}
  - {id: westbridge_csc, name: Westbridge Council Children's Social Care, kind: childrens_social_care,
     statutory_powers: [CA1989.s17]}
"""


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mash_copy") / "mash"
    shutil.copytree(protocolkit.example_path("mash"), folder)
    (folder / "rules" / "unlawful.yaml").write_text(
        "partners:\n" + "".join(text for _, _, text in PARTNER_PATTERNS) + SERVICES
        + "rules:\n" + "".join(text for _, _, text in PATTERNS), encoding="utf-8")
    main = folder / "protocol.yaml"
    text = main.read_text(encoding="utf-8")
    main.write_text(text.replace("  - rules/consent.yaml", "  - rules/unlawful.yaml\n  - rules/consent.yaml", 1),
                    encoding="utf-8")
    protocol, found = load_with_findings(folder)
    assert protocol is not None, [f.format() for f in found]
    return found


def test_the_example_itself_is_clean():
    protocol, found = load_with_findings(protocolkit.example_path("mash"))
    # hints (severity info, such as free-text deadlines) are not findings about the law
    assert protocol is not None and [f.format() for f in found if f.severity.value != "info"] == []


@pytest.mark.parametrize("rule, code", [(rule, code) for rule, code, _ in PATTERNS])
def test_each_unlawful_pattern_is_reported(findings, rule, code):
    mine = [f for f in findings if f"rule {rule} " in f.message]
    assert code in {f.code for f in mine}, [f.format() for f in mine]
    # located in the file the rule came from
    assert any(f.code == code and f.file and Path(f.file).name == "unlawful.yaml" for f in mine)


@pytest.mark.parametrize("name, code", [(name, code) for name, code, _ in PARTNER_PATTERNS])
def test_each_partner_pattern_is_reported(findings, name, code):
    mine = [f for f in findings if name in f.message]
    assert any(f.code == code and f.file and Path(f.file).name == "unlawful.yaml" for f in mine), \
        [f.format() for f in mine]


def test_every_review_pattern_check_is_exercised_on_the_example_copy():
    """PK222-PK228 each have a pattern here, so none is only tested on small protocols."""
    exercised = {code for _, code, _ in PATTERNS} | {code for _, code, _ in PARTNER_PATTERNS}
    assert {f"PK{n}" for n in range(222, 229)} <= exercised
