"""Shared helpers for the agreement document tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HERE = Path(__file__).parent
SMALL = HERE / "fixtures" / "agreement_small"
HOSTILE = HERE / "fixtures" / "agreement_hostile"
GOLDEN = HERE / "golden"
TODAY = dt.date(2026, 11, 27)
