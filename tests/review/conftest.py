"""Shared fixtures of the review tests: the example's review is computed once per session."""

from __future__ import annotations

import pytest

import protocolkit
from protocolkit.review import review


@pytest.fixture(scope="session")
def mash_report():
    return review(protocolkit.load(protocolkit.example_path("mash")))
