"""No line a practitioner reads names something and then says the same name again.

``decide`` once listed "Common law duty of confidentiality: Common law duty of confidentiality
(CLDC)": the label, then a citation that is the label. Every layer that puts a lawful basis next
to its citation, or an obligation next to a rule's detail (the command line, the engine's
explanation, the agreement, the case stepper widget), is checked here over every lawful basis and
every obligation type of the vocabulary.
"""

from __future__ import annotations

import re

import pytest

from protocolkit import example_path, load
from protocolkit.cli import answers
from protocolkit.cli.main import main
from protocolkit.engine import explain
from protocolkit.engine.compiled import compile_protocol
from protocolkit.export.documents.context import _Names
from protocolkit.export.documents.filters import basis_rows
from protocolkit.model.naming import repeated_phrase, words
from protocolkit.model.vocabulary import Vocabulary
from protocolkit.ui import stepper

MASH = example_path("mash")


def repetition(line: str) -> str | None:
    """What a line says twice: two of its parts (between ``:;()``) with the same words, or a run of 5 words."""
    parts = [" ".join(words(p)) for p in re.split(r"[:;()|]", line)]
    parts = [p for p in parts if len(p.split()) >= 2]
    twice = sorted({p for p in parts if parts.count(p) > 1})
    return twice[0] if twice else repeated_phrase(line, 5)


@pytest.fixture(scope="module")
def mash():
    protocol = load(MASH)
    return protocol, Vocabulary.of(protocol), compile_protocol(protocol)


def test_the_check_finds_the_line_decide_used_to_print():
    assert repetition("Common law duty of confidentiality: Common law duty of confidentiality (CLDC)") == \
        "common law duty of confidentiality"
    assert repetition("use a secure channel (use a secure channel)") == "use a secure channel"
    assert repetition("Public task: UK GDPR Article 6(1)(e) (UKGDPR.6.1.e)") is None


def basis_renderings(protocol, v, compiled, bid):
    names = _Names(protocol, v)
    entry = v.lawful_bases[bid]
    row = {"id": bid, "citation": entry.citation, "label": entry.label, "summary": entry.summary,
           "verified": entry.verified}
    citation, what_it_is, _ = basis_rows([row])[0]
    return {
        "decide": answers.basis_lines(v, [bid])[0],
        "explanation": explain._bases(compiled, [bid]),
        "agreement": names.basis(bid)["text"],
        "agreement short": names.basis(bid)["short"],
        # the table of provisions: the second column may not open with the first column again
        "agreement table": f"{citation} | {what_it_is.split('. ')[0]}",
    }


def test_no_lawful_basis_is_named_twice_on_one_line(mash):
    protocol, v, compiled = mash
    repeated = {}
    for bid in v.lawful_bases:
        for where, line in basis_renderings(protocol, v, compiled, bid).items():
            if repetition(line):
                repeated[f"{bid} in {where}"] = line
    assert repeated == {}
    assert basis_renderings(protocol, v, compiled, "CLDC")["decide"] == "Common law duty of confidentiality (CLDC)"


def obligation_renderings(protocol, v, compiled, text):
    kind = text.partition(": ")[0]
    return {
        "decide": answers.duty_lines(v, [text])[0],
        "explanation": " ".join(explain._duties(compiled, [text])),
        "agreement": _Names(protocol, v).obligation(text),
        "case stepper": re.sub(r"<[^>]+>", "", stepper._duty(_Session(v), text)).replace(kind, ""),
    }


class _Session:
    """What the case stepper's duty line reads from its session: the vocabulary's labels."""

    def __init__(self, v):
        self.label = v.label


def test_no_obligation_is_named_twice_on_one_line(mash):
    """Each obligation type alone, with a detail that repeats its label (as a rule may write it), and with a
    detail that extends its label."""
    protocol, v, compiled = mash
    repeated = {}
    for kind, entry in v.obligation_types.items():
        for text in (kind, f"{kind}: {entry.label}", f"{kind}: {entry.label.capitalize()}.",
                     f"{kind}: {entry.label} using the partnership's agreed form"):
            for where, line in obligation_renderings(protocol, v, compiled, text).items():
                if repetition(line):
                    repeated[f"{text!r} in {where}"] = line
    assert repeated == {}


def test_every_obligation_of_the_example_reads_once(mash):
    protocol, v, compiled = mash
    texts = {str(o) for r in protocol.rules for o in r.obligations}
    assert texts
    repeated = {t: line for t in sorted(texts) for line in obligation_renderings(protocol, v, compiled, t).values()
                if repetition(line)}
    assert repeated == {}


def test_decide_names_the_common_law_duty_once(capsys):
    """R-REF-02 relies on the common law duty of confidentiality (examples/mash/rules/referral.yaml)."""
    code = main(["decide", str(MASH), "--from", "school", "--to", "childrens_social_care",
                     "--data", "identity.name,health.injury_observations", "--stage", "referral",
                 "--purpose", "safeguarding", "--fact", "risk=red"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert "  - Common law duty of confidentiality (CLDC)" in lines
    assert [line for line in lines if repetition(line)] == []


def test_decide_on_a_gap_with_a_fallback_says_it_once(capsys):
    """The lead sentence names the gap and the fallback; the notes do not say it again per category."""
    main(["decide", str(MASH), "--from", "police", "--to", "childrens_social_care",
              "--data", "criminal.domestic_abuse_incidents,criminal.cautions", "--stage", "referral",
         "--purpose", "crime_prevention"])
    text = capsys.readouterr().out
    assert text.count("crime_prevention_ig_lead applies") == 1
    assert "No rule covers" not in text
    assert "IG lead / DPO decides" in text.splitlines()[0]
