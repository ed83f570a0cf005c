"""Fixtures for the widget tests: a fresh copy of each shipped example, so tests may write to it."""

import shutil
from pathlib import Path

import pytest

import protocolkit


@pytest.fixture
def mash(tmp_path):
    """A writable copy of the shipped MASH example."""
    return shutil.copytree(protocolkit.example_path("mash"), tmp_path / "mash")


SMALL = Path(__file__).parents[1] / "fixtures" / "small"


@pytest.fixture
def small(tmp_path):
    """A writable copy of the small hand-built test protocol (quick to load and save)."""
    return shutil.copytree(SMALL, tmp_path / "small")


@pytest.fixture
def session(small):
    from protocolkit.ui import Session

    return Session(small)


@pytest.fixture
def mash_session(mash):
    from protocolkit.ui import Session

    return Session(mash)
