"""The protocol model: pydantic declarations, the shipped taxonomy, loading, checks and saving.

Nothing here decides a sharing request; :mod:`protocolkit.engine` does.
"""

from .entities import DataCategory, Fact, LawfulBasis, Metadata, NeedToKnow, Partner, Selector, Stage
from .loading import load, load_with_findings, validate
from .protocol import Protocol
from .rules import Condition, Obligation, Rule
from .vocabulary import Vocabulary

__all__ = [
    "Condition", "DataCategory", "Fact", "LawfulBasis", "Metadata", "NeedToKnow", "Obligation",
    "Partner", "Protocol", "Rule", "Selector", "Stage", "Vocabulary", "load", "load_with_findings", "validate",
]
