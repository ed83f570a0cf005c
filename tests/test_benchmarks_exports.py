"""``benchmarks/exports.py``: every process-level cache is found and emptied before each cold run, and a small
run (one cheap format) goes through every line the full benchmark prints.

Never asserts on time: the figures depend on the machine, the checks do not.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import protocolkit

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("bench_exports", ROOT / "benchmarks" / "exports.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_cache_an_export_warms_is_found_and_emptied():
    bench = _bench()
    from protocolkit.engine import compiled, guarantees
    from protocolkit.export import canonical
    from protocolkit.export.documents import render, stamping

    found = set(bench.process_caches())
    for cache in [("protocolkit.engine.compiled", "_CACHE"), ("protocolkit.engine.guarantees", "_REPORTS"),
                  ("protocolkit.export.canonical", "_HASHES"), ("protocolkit.export.documents.render", "_CONTEXT"),
                  ("protocolkit.export.documents.images", "_CACHE"),
                  ("protocolkit.export.documents.stamping", "_CHECKED"),
                  ("protocolkit.model.vocabulary", "shipped_categories")]:
        assert cache in found
    assert ("protocolkit.export.formats", "FORMATS") not in found   # a registry, not a cache

    protocol = protocolkit.load(protocolkit.example_path("mash"))
    stamping.check_for_signature(protocol)
    guarantees.check_guarantees(protocol)
    assert compiled._CACHE and canonical._HASHES and stamping._CHECKED and guarantees._REPORTS
    cleared = bench.clear_caches()
    assert "protocolkit.engine.compiled._CACHE" in cleared
    assert not compiled._CACHE and not canonical._HASHES and not stamping._CHECKED and not guarantees._REPORTS
    assert not render._CONTEXT
    from protocolkit.export.formats import FORMATS

    assert "docx" in FORMATS


def test_a_small_run_prints_every_line(capsys, monkeypatch):
    """One repeat of one cheap format: the per-format line, the cold in-process call, the fresh command and the
    target line that judges the former with the latter beside it."""
    monkeypatch.setattr(sys, "argv", ["exports.py"])
    assert _bench().main(["--repeats", "1", "--formats", "json"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("load average at the start: ")
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["json"].split()[1] == "2"   # files written
    assert "cold, in this process" in lines["all"]
    assert "as a fresh process" in lines["command"] and "FAILED" not in lines["command"]
    assert "for the cold export of every format: " in lines["target"]
    assert "the fresh command" in lines["target"]
