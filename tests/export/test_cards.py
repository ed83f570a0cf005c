"""The per-partner quick-reference cards: "what I must share" apart from "what I may share", whose judgement a
discretion needs, flows to parties outside the partnership, and one A4 page per card for every partner of the
shipped example, rendered by LibreOffice and counted with pdfinfo (as test_documents_rendered.py does)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

import protocolkit
from protocolkit.export.documents.cards import partner_cards, write_cards
from protocolkit.export.documents.context import _Names
from protocolkit.export.documents.docx import render_docx
from protocolkit.export.documents.markdown import write_markdown
from protocolkit.export.documents.render import card_blocks
from protocolkit.model.protocol import Protocol
from protocolkit.model.vocabulary import Vocabulary

from documents_support import TODAY


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


def cards_of(protocol):
    v = Vocabulary.of(protocol)
    return {c["id"]: c for c in partner_cards(protocol, _Names(protocol, v), v)}


def test_a_duty_is_what_i_must_share_not_what_i_may_share(mash):
    """R-REF-06 (Operation Encompass, DAA 2021 s49A) is sharing: required: the police card lists it as a duty."""
    police = cards_of(mash)["police"]
    must = [row for row in police["must"] if "R-REF-06" in row["rules"]]
    assert must and "Riverside Academy" in must[0]["to"] and must[0]["what"] == "Criminal offence data"
    assert not any("R-REF-06" in row["rules"] for row in police["shares"])
    # a partner with no duty to share has no "must" rows
    assert cards_of(mash)["dwp"]["must"] == []


def test_a_discretion_names_whose_judgement_it_is(mash):
    """R-REF-11 is sharing: discretion, decided by the referrer's safeguarding lead: the school's card says so."""
    school = cards_of(mash)["school"]
    judged = {d["role"]: d["rules"] for d in school["judged"]}
    assert judged == {"the referring agency's safeguarding lead (a school's designated safeguarding lead)": ["R-REF-11"]}


def test_flows_to_outside_parties_are_on_the_cards(mash, tmp_path):
    """A subject access request answered to the data subject (a party outside the partnership) is a flow the
    sender's card lists, with the outside party's label; a flow from an outside party needs no card; the
    agreement and the cards are written."""
    raw = mash.model_dump(mode="json", by_alias=True, exclude_none=True)
    raw["outside"] = ["data_subject", {"id": "landlord", "kind": "organisation", "label": "A private landlord"}]
    raw["rules"] += [
        {"id": "R-SAR", "title": "Subject access: the person gets their own details", "from":
         {"partners": ["childrens_social_care"]}, "to": {"outside": ["data_subject"]}, "categories": ["identity.name"],
         "stages": "any", "purposes": "any", "outcome": "share", "sharing": "required",
         "lawful_bases": ["UKGDPR.6.1.c"], "rationale": "UK GDPR Art 15."},
        {"id": "R-LANDLORD", "title": "A landlord reports a concern", "from": {"outside": ["landlord"]},
         "to": {"partners": ["childrens_social_care"]}, "categories": ["housing"], "stages": "any",
         "purposes": "any", "outcome": "share", "lawful_bases": ["UKGDPR.6.1.f"], "rationale": "A concern."},
    ]
    protocol = Protocol.model_validate(raw)
    card = cards_of(protocol)["childrens_social_care"]
    # the sender's duties to the data subject are listed with the party's label (beside its other duties)
    assert "The person the information is about" in [row["to"] for row in card["must"]]
    assert set(cards_of(protocol)) == {p.id for p in protocol.partners}  # no card for the landlord
    (md,) = [p for p in write_markdown(protocol, tmp_path, today=TODAY, diagrams=False) if p.suffix == ".md"]
    assert "The person the information is about" in md.read_text(encoding="utf-8")
    written = write_cards(protocol, tmp_path, partner="childrens_social_care", today=TODAY)
    assert "What I must share" in written[0].read_text(encoding="utf-8")


def test_every_card_of_the_example_fits_one_a4_page(mash, tmp_path):
    """Each partner's card, alone, as LibreOffice lays it out: one page."""
    for partner in mash.partners:
        blocks, context = card_blocks(mash, partner.id, today=TODAY)
        (tmp_path / f"card-{partner.id}.docx").write_bytes(render_docx(blocks, context, {}))
    office = shutil.which("libreoffice") or shutil.which("soffice")
    assert office, "LibreOffice is not installed: run scripts/system-deps.sh as root"
    profile = tmp_path / "lo-profile"
    docs = sorted(str(p) for p in tmp_path.glob("card-*.docx"))
    subprocess.run([office, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), *docs], capture_output=True, text=True, timeout=600, check=True)
    pages = {}
    for partner in mash.partners:
        info = subprocess.run(["pdfinfo", str(tmp_path / f"card-{partner.id}.pdf")], capture_output=True, text=True,
                              check=True).stdout
        pages[partner.id] = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert len(pages) == len(mash.partners) >= 15
    assert {p: n for p, n in pages.items() if n != 1} == {}
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "card-police.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "What I must share" in text and "What I may share" in text and "R-REF-06" in text


def test_a_duty_that_holds_only_in_some_cases_says_when(mash):
    """The FGM report (R-REF-22) is a duty only for a known case; Operation Encompass (R-REF-06) always is."""
    cards = cards_of(mash)
    (school,) = [row for row in cards["school"]["must"] if row["rules"] == "R-REF-22"]
    assert school["stages"] == "every stage, only when known fgm case is yes"
    (police,) = cards["police"]["must"]
    assert police["rules"] == "R-REF-06" and police["stages"] == "every stage"
