"""Review before sign-off: findings with stable codes, and the partnership's marks on them.

Nothing here prints; ``protocolkit review`` does.
"""

from .findings import CODES, ReviewFinding, ReviewReport, mark_finding, review
from .marks import MARKS_FILE, Mark, load_marks

__all__ = ["CODES", "MARKS_FILE", "Mark", "ReviewFinding", "ReviewReport", "load_marks", "mark_finding", "review"]
