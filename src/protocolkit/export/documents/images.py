"""The diagrams the documents embed, drawn by :mod:`protocolkit.diagrams` as PNG.

Names: ``lanes`` (what each partner may receive, stage by stage) and
``dataflow-<stage id>`` (who may share with whom at one stage). Drawing is the slow
part of an export, so the diagrams of one protocol are drawn once per process (cached
by the protocol's content hash) on two background threads: Graphviz runs as a
subprocess, so the drawing overlaps with gathering the agreement's context when
:func:`prefetch` starts it first.
"""

from __future__ import annotations

import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ...errors import ProtocolError
from ...model.protocol import Protocol

_CACHE: dict[tuple[str, str], Future] = {}
_POOL: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="protocolkit-diagrams")
    return _POOL


def _draw(protocol: Protocol, name: str) -> bytes:
    from ...diagrams import write

    with tempfile.TemporaryDirectory(prefix="protocolkit-diagram-") as tmp:
        path = Path(tmp) / f"{name}.png"
        if name == "lanes":
            write(protocol, path, view="lanes")
        elif name.startswith("dataflow-"):
            write(protocol, path, stage=name.removeprefix("dataflow-"))
        else:
            raise ProtocolError(f"no diagram named {name!r}: use 'lanes' or 'dataflow-<stage id>'")
        return path.read_bytes()


def prefetch(protocol: Protocol, names: list[str], key: str) -> None:
    """Start drawing the named diagrams in the background (those not drawn or started yet)."""
    if len(_CACHE) > 64:
        _CACHE.clear()
    for name in dict.fromkeys(names):
        if (key, name) not in _CACHE:
            _CACHE[(key, name)] = _pool().submit(_draw, protocol, name)


def diagrams(protocol: Protocol, names: list[str], key: str) -> dict[str, bytes]:
    """The PNG bytes of each named diagram, waiting for those still being drawn."""
    prefetch(protocol, names, key)
    return {n: _CACHE[(key, n)].result() for n in names}


def default_names(protocol: Protocol) -> list[str]:
    """The diagrams the shipped agreement template embeds: one data-flow view per stage, and the lanes."""
    from ...model.vocabulary import Vocabulary

    return [f"dataflow-{s}" for s in Vocabulary.of(protocol).stage_ids] + ["lanes"]
