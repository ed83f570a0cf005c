"""The decision engine: one semantics (``docs/semantics.md``) for every question asked of a protocol.

Single decisions, batches, sample case runs and "why not?" all go through the
compiled tables of :mod:`protocolkit.engine.compiled`.
"""

from .cases import CaseResults, run_cases
from .compiled import CompiledProtocol, compile_protocol
from .decisions import DECISION_COLUMNS, CategoryDecision, Decision, decide, decide_many, summary_outcome
from .requests import Request
from .results import WhyNotCandidate
from ..model.outcomes import Outcome
from .why_not import why_not

__all__ = [
    "DECISION_COLUMNS", "CaseResults", "CategoryDecision", "CompiledProtocol", "Decision", "Outcome", "Request",
    "WhyNotCandidate",
    "compile_protocol", "decide", "decide_many", "run_cases", "summary_outcome", "why_not",
]
