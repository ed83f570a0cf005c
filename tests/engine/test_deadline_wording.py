"""A deadline that is data and also has words of its own reads when first, then its words: "act before the
start of the next school day after the incident, and in any case as soon as reasonably practicable"."""

from __future__ import annotations

import pytest

import protocolkit
from protocolkit.engine import decide
from protocolkit.engine.compiled import compile_protocol
from protocolkit.engine.explain import deadline_sentence

ENCOMPASS = {"from": "police", "to": "school", "categories": ["criminal.encompass_notification"],
             "stage": "referral", "purpose": "safeguarding"}


@pytest.fixture(scope="module")
def mash():
    return protocolkit.load(protocolkit.example_path("mash"))


def test_the_explanation_says_when_then_the_deadlines_own_words(mash):
    (decision,) = decide(mash, ENCOMPASS).categories
    assert ("must act before the start of the next school day after the incident, and in any case as soon as "
            "reasonably practicable (DAA 2021 s49A)") in decision.explanation
    # the obligation itself, as exports and the diff compare it, is unchanged
    assert ("deadline: and in any case as soon as reasonably practicable (DAA 2021 s49A); before the start of the "
            "next school day after the incident") in decision.obligations


def test_words_that_do_not_continue_the_sentence_go_in_brackets(mash):
    compiled = compile_protocol(mash)
    fgm = next(str(o) for o in mash.rule("R-REF-22").obligations if o.type == "deadline")
    assert deadline_sentence(compiled, fgm).startswith("act by the end of the next working day after the incident, "
                                                       "and within one month")
    # a deadline with no words of its own reads well as it is ("within 24 hours of the incident")
    assert "deadline: within 24 hours of the incident" in [str(o) for o in mash.rule("R-REF-05").obligations]
    assert deadline_sentence(compiled, "deadline: within 24 hours of the incident") is None
    assert deadline_sentence(compiled, "deadline: not an obligation of this protocol") is None
