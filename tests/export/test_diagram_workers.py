"""The agreement's diagrams drawn by forked worker processes (the command line) are the bytes the threads draw
(a notebook, pytest-xdist workers): the same code, the same PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import protocolkit
from protocolkit.export.documents import images

NAMES = ["dataflow-closure"]   # one Graphviz drawing keeps the test short

FORKED = """
import sys
from pathlib import Path
import protocolkit
from protocolkit.export.documents import images

assert images._can_fork(), "a fresh process runs one thread: it draws in forked workers"
protocol = protocolkit.load(protocolkit.example_path("mash"))
drawn = images.diagrams(protocol, {names!r}, "forked")
assert images._FORKED, "the forked path was taken"
for name, data in drawn.items():
    (Path(sys.argv[1]) / f"{{name}}.png").write_bytes(data)
"""


def test_forked_workers_draw_the_same_bytes_as_threads(tmp_path, monkeypatch):
    env = {**os.environ, "PYTHONPATH": str(Path(protocolkit.__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", FORKED.format(names=NAMES), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    monkeypatch.setattr(images, "_can_fork", lambda: False)
    protocol = protocolkit.load(protocolkit.example_path("mash"))
    try:
        threads = images.diagrams(protocol, NAMES, "threads-test")
    finally:
        for name in NAMES:
            images._CACHE.pop(("threads-test", name), None)
    for name in NAMES:
        forked = (tmp_path / f"{name}.png").read_bytes()
        assert forked[:8] == b"\x89PNG\r\n\x1a\n" and len(forked) > 10_000
        assert forked == threads[name], name
