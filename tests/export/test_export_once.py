"""An export of several formats works out what they share once (the protocol's checks, hashes, flows, retention
tables), and gives exactly the bytes of each format written alone from a cold start, run after run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import protocolkit
from protocolkit.export.formats import FORMATS, export, get_format

ROOT = Path(__file__).resolve().parents[2]


def _clear_caches() -> None:
    """Every process-level cache emptied, as ``benchmarks/exports.py`` does before a cold run."""
    spec = importlib.util.spec_from_file_location("bench_exports", ROOT / "benchmarks" / "exports.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    bench.clear_caches()


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _together_and_alone(names, tmp_path):
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    options = {"today": __import__("datetime").date(2026, 11, 28)}
    _clear_caches()
    export(protocol, names, tmp_path / "first", **options)
    export(protocol, names, tmp_path / "second", **options)   # caches warm now
    for name in names:
        _clear_caches()
        export(protocol, [name], tmp_path / "alone", **options)
    first, second, alone = (_files(tmp_path / d) for d in ("first", "second", "alone"))
    return first, second, alone


def test_the_rules_formats_together_are_each_format_alone_and_the_same_twice(tmp_path):
    names = [n for n, f in FORMATS.items() if f.kind == "rules"]
    assert {"json", "rego", "cedar", "odrl", "csv"} <= set(names)
    first, second, alone = _together_and_alone(names, tmp_path)
    assert len(first) >= 9
    assert first == second
    assert first == alone


@pytest.mark.large
def test_every_format_together_is_each_format_alone_and_the_same_twice(tmp_path):
    first, second, alone = _together_and_alone(list(FORMATS), tmp_path)
    assert len(first) >= 41 and any(name.endswith(".docx") for name in first)
    assert first == second
    assert first == alone


def test_a_writer_that_changes_the_protocol_during_an_export_is_caught(tmp_path, monkeypatch):
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    real = get_format("json").load_writer()

    def careless(p, out):
        written = real(p, out)
        p.metadata.title = p.metadata.title + " (edited)"
        return written

    monkeypatch.setitem(FORMATS, "json", FORMATS["json"].__class__("json", (".json",), "", careless, "rules"))
    with pytest.raises(RuntimeError, match="changed inside a scope"):
        export(protocol, ["json", "csv"], tmp_path)
