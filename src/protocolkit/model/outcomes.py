"""The outcomes a decision can have: the one list every layer and every export reads.

:class:`Outcome` is that list as an enum: every outcome a decision can have, ``gap`` first and
then from the most protective to the least. Its members are strings (``Outcome.SHARE ==
"share"``), so protocol files, decision tables, JSON and the exports carry the same text as
before. Rules decide one of :data:`RULE_OUTCOMES`; a protocol's fallbacks (``docs/semantics.md``
section 5) decide one of :data:`FALLBACK_OUTCOMES`; a request no rule and no fallback
decides is a ``gap``. Their order of protection is :data:`OUTCOMES_MOST_PROTECTIVE_FIRST`.

Examples
--------
>>> OUTCOMES_MOST_PROTECTIVE_FIRST[:2]
('neither_confirm_nor_deny', 'refuse')
>>> sorted(SHARING_OUTCOMES)
['share', 'share_minimum']
>>> outcome_words("neither_confirm_nor_deny")
'neither confirm nor deny'
>>> Outcome("share_minimum"), Outcome.SHARE_MINIMUM.words, Outcome.SHARE_MINIMUM.shares
('share_minimum', 'share minimum', True)
>>> [str(o) for o in Outcome]
['gap', 'neither_confirm_nor_deny', 'refuse', 'escalate', 'seek_consent', 'share_minimum', 'share']
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal


class Outcome(StrEnum):
    """Every outcome a decision can have: a gap (nothing decides), then from the most protective to the least.

    A member is its string (``Outcome.REFUSE == "refuse"``, ``str(Outcome.REFUSE) == "refuse"``) and
    shows as that string, so tables, JSON and doctests read as plain text.
    """

    GAP = "gap"
    NEITHER_CONFIRM_NOR_DENY = "neither_confirm_nor_deny"
    REFUSE = "refuse"
    ESCALATE = "escalate"
    SEEK_CONSENT = "seek_consent"
    SHARE_MINIMUM = "share_minimum"
    SHARE = "share"

    def __repr__(self) -> str:
        return repr(self.value)

    @property
    def words(self) -> str:
        """The outcome as a practitioner reads it: ``share minimum``."""
        return outcome_words(self.value)

    @property
    def shares(self) -> bool:
        """Whether information travels to the recipient under this outcome."""
        return self.value in SHARING_OUTCOMES


#: Outcomes from the most protective to the least; among matching rules of one priority the first wins.
#: ``neither_confirm_nor_deny`` goes first: it refuses and does not even say whether anything is held.
OUTCOMES_MOST_PROTECTIVE_FIRST: tuple[str, ...] = tuple(o.value for o in Outcome if o is not Outcome.GAP)

RuleOutcomeName = Literal["neither_confirm_nor_deny", "refuse", "escalate", "seek_consent", "share_minimum", "share"]
"""An outcome a rule can decide, as a protocol file writes it (the type of ``Rule.outcome``)."""

RULE_OUTCOMES: tuple[str, ...] = OUTCOMES_MOST_PROTECTIVE_FIRST

#: The outcome of a category that nothing decides: no rule covers it and no fallback applies.
GAP = Outcome.GAP.value

OutcomeOrGap = Literal["neither_confirm_nor_deny", "refuse", "escalate", "seek_consent", "share_minimum", "share", "gap"]
"""An outcome, or ``gap``: what a decision, a guarantee or a case expectation may name."""

#: Every value a decision's ``outcome`` can take.
DECISION_OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)

#: Outcomes under which information actually travels to the recipient.
SHARING_OUTCOMES = frozenset({Outcome.SHARE.value, Outcome.SHARE_MINIMUM.value})

#: What a fallback may decide: never a share (default deny: a fallback only holds or routes a request).
FALLBACK_OUTCOMES: tuple[str, ...] = ("neither_confirm_nor_deny", "refuse", "escalate", "seek_consent")
FallbackOutcome = Literal["neither_confirm_nor_deny", "refuse", "escalate", "seek_consent"]

#: The overall outcome of a request with several categories: the most protective, a gap above everything.
SUMMARY_ORDER: tuple[str, ...] = (GAP, *OUTCOMES_MOST_PROTECTIVE_FIRST)


def outcome_words(outcome: str) -> str:
    """An outcome as a practitioner reads it: ``share minimum``, ``neither confirm nor deny``."""
    return outcome.replace("_", " ")


__all__ = [
    "DECISION_OUTCOMES", "FALLBACK_OUTCOMES", "GAP", "OUTCOMES_MOST_PROTECTIVE_FIRST", "Outcome", "OutcomeOrGap",
    "FallbackOutcome", "RULE_OUTCOMES", "RuleOutcomeName", "SHARING_OUTCOMES", "SUMMARY_ORDER", "outcome_words",
]
