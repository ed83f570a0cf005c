"""``protocolkit decide`` says a duty as one: "must share", not "may share", with the deadline first."""

from __future__ import annotations

import protocolkit
from protocolkit.cli.main import main

MASH = protocolkit.example_path("mash")


def _decide(capsys, *argv) -> str:
    assert main(["decide", str(MASH), *argv]) == 0
    return capsys.readouterr().out


def test_a_duty_reads_must_share_and_its_deadline_reads_when_first(capsys):
    out = _decide(capsys, "--from", "police", "--to", "school", "--data", "criminal.encompass_notification",
                  "--stage", "referral", "--purpose", "safeguarding")
    assert out.startswith("Northbridge Constabulary must share operation Encompass notification with Riverside")
    assert ("  - act before the start of the next school day after the incident, and in any case as soon as "
            "reasonably practicable (DAA 2021 s49A)\n") in out


def test_a_known_case_of_fgm_must_be_reported_whatever_the_family_says(capsys):
    out = _decide(capsys, "--from", "gp_practices", "--to", "police", "--data", "identity.name,contact.address",
                  "--stage", "screening", "--purpose", "safeguarding", "--fact", "known_fgm_case=yes",
                  "--fact", "consent=refused")
    assert out.startswith("Northbridge GP practices must share name and address with Northbridge Constabulary")
    assert "R-REF-22" in out and "unverified legal point" in out


def test_a_permission_still_reads_may_share(capsys):
    out = _decide(capsys, "--from", "school", "--to", "childrens_social_care", "--data", "identity.name",
                  "--stage", "referral", "--purpose", "safeguarding", "--fact", "significant_harm_suspected=yes")
    assert out.startswith("Riverside Academy (designated safeguarding lead) may share name with")
