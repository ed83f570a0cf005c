"""The outcomes a decision can have: the one list every layer and every export reads.

Rules decide one of :data:`RULE_OUTCOMES`; a protocol's fallbacks (``docs/semantics.md``
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
"""

from __future__ import annotations

from typing import Literal

#: Outcomes from the most protective to the least; among matching rules of one priority the first wins.
#: ``neither_confirm_nor_deny`` goes first: it refuses and does not even say whether anything is held.
OUTCOMES_MOST_PROTECTIVE_FIRST: tuple[str, ...] = (
    "neither_confirm_nor_deny", "refuse", "escalate", "seek_consent", "share_minimum", "share",
)

Outcome = Literal["neither_confirm_nor_deny", "refuse", "escalate", "seek_consent", "share_minimum", "share"]
"""An outcome a rule can decide."""

RULE_OUTCOMES: tuple[str, ...] = OUTCOMES_MOST_PROTECTIVE_FIRST

#: The outcome of a category that nothing decides: no rule covers it and no fallback applies.
GAP = "gap"

OutcomeOrGap = Literal["neither_confirm_nor_deny", "refuse", "escalate", "seek_consent", "share_minimum", "share", "gap"]
"""An outcome, or ``gap``: what a decision, a guarantee or a case expectation may name."""

#: Every value a decision's ``outcome`` can take.
DECISION_OUTCOMES: tuple[str, ...] = (GAP, *OUTCOMES_MOST_PROTECTIVE_FIRST)

#: Outcomes under which information actually travels to the recipient.
SHARING_OUTCOMES = frozenset({"share", "share_minimum"})

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
    "FallbackOutcome", "RULE_OUTCOMES", "SHARING_OUTCOMES", "SUMMARY_ORDER", "outcome_words",
]
