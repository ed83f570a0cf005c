"""Smoke run of the benchmarks: ``benchmarks/run.py --smoke`` (``--quick`` under ``large``) runs to the end and Cedar agrees.

Never asserts on wall time: the figures depend on the machine, the checks do not.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"


@pytest.mark.parametrize("size", [pytest.param("--smoke", id="default"),
                                  pytest.param("--quick", marks=pytest.mark.large, id="full")])
def test_quick_benchmark_runs_and_cedar_agrees(size):
    """The smaller form runs every line once on small inputs (``--smoke``); the full form (``large``) is the
    ``--quick`` run about ten times bigger. cedarpy is in the bench extra, which ``make test`` installs."""
    done = subprocess.run([sys.executable, str(RUN), size], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    agreement = re.search(r"^Cedar agreement .*?: (\d+)/(\d+) agree, (\d+) disagree, (\d+) Cedar evaluation errors",
                          done.stdout, re.MULTILINE)
    assert agreement, done.stdout
    agree, total, disagree, errors = map(int, agreement.groups())
    assert total > 0
    assert agree == total
    assert disagree == 0
    assert errors == 0
    assert "decisions/s" in done.stdout
    assert "workshop re-evaluation" in done.stdout
