"""Imports flow one way: ui, cli -> export -> diagrams, graph -> engine -> model.

Every import in the lower layers (at module level or inside a function) is read from the
source and checked against the layers it may reach, so an analysis that drifts back into
``diagrams`` or a model module that reaches for the engine fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "protocolkit"

# A layer -> the top-level parts of protocolkit its modules may import (besides their own).
ALLOWED = {
    "model": {"errors", "taxonomy"},
    "engine": {"errors", "taxonomy", "model"},
    "graph": {"errors", "taxonomy", "model", "engine"},
    "diagrams": {"errors", "taxonomy", "model", "engine", "graph"},
}


def _imported_parts(path: Path) -> list[tuple[int, str]]:
    """(line, top-level part of protocolkit) for every protocolkit import in one module."""
    module = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = module[:-1]   # a package's __init__ sits in the package it names
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
                target = list(base) + (node.module.split(".") if node.module else [])
                if len(target) == 1:   # "from .. import x": the names are modules of protocolkit
                    out.extend((node.lineno, alias.name) for alias in node.names)
                    continue
            else:
                target = (node.module or "").split(".")
            if target[0] == "protocolkit" and len(target) > 1:
                out.append((node.lineno, target[1]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "protocolkit" and len(parts) > 1:
                    out.append((node.lineno, parts[1]))
    return out


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_lower_layers_import_only_below_them(layer):
    wrong = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for line, part in _imported_parts(path):
            if part != layer and part not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports protocolkit.{part}")
    assert not wrong, "imports against the flow ui, cli -> export -> diagrams, graph -> engine -> model:\n" + \
        "\n".join(wrong)


def test_the_check_reads_relative_imports():
    parts = dict(_imported_parts(PACKAGE / "graph" / "receiving.py"))
    assert set(parts.values()) == {"errors", "model", "graph"}
