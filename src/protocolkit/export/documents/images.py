"""The diagrams the documents embed, drawn by :mod:`protocolkit.diagrams` as PNG.

Names: ``lanes`` (what each partner may receive, stage by stage) and
``dataflow-<stage id>`` (who may share with whom at one stage). Drawing is the slow
part of an export, so the diagrams of one protocol are drawn once per process (cached
by the protocol's content hash), in the background while the agreement's context is
gathered when :func:`prefetch` starts them first.

On Linux, in a process running no other thread (the command line), they are drawn by two
worker processes forked for the purpose, so the drawing runs on other cores beside the
context; elsewhere (a notebook's kernel runs threads of its own, and forking it is unsafe)
on two threads, where Graphviz's subprocesses still overlap. Both run the same code and
give the same bytes.
"""

from __future__ import annotations

import multiprocessing
import sys
import tempfile
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from ...errors import ProtocolError
from ...model.protocol import Protocol

_CACHE: dict[tuple[str, str], Future] = {}
_THREADS: ThreadPoolExecutor | None = None
_FORKED: dict[str, tuple[Protocol, object]] = {}   # what a forked worker draws from (inherited, not pickled)
WORKERS = 2


def _can_fork() -> bool:
    """Whether drawing may go to forked worker processes: Linux, and no other thread running here."""
    return (sys.platform.startswith("linux") and threading.active_count() == 1
            and "fork" in multiprocessing.get_all_start_methods())


def _executor(protocol: Protocol, key: str, flows) -> tuple[Executor, bool]:
    """An executor for one protocol's diagrams, and whether it is a process pool to shut down when done."""
    global _THREADS
    if _can_fork():
        _FORKED.clear()
        _FORKED[key] = (protocol, flows)
        return ProcessPoolExecutor(max_workers=WORKERS, mp_context=multiprocessing.get_context("fork")), True
    if _THREADS is None:
        _THREADS = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="protocolkit-diagrams")
    return _THREADS, False


def _draw_forked(key: str, name: str) -> bytes:
    protocol, flows = _FORKED[key]
    return _draw(protocol, name, flows)


def _draw(protocol: Protocol, name: str, flows=None) -> bytes:
    """One diagram's PNG; ``flows`` are the protocol's permitted flows at every stage, when worked out."""
    from ...diagrams import write

    with tempfile.TemporaryDirectory(prefix="protocolkit-diagram-") as tmp:
        path = Path(tmp) / f"{name}.png"
        if name == "lanes":
            write(protocol, path, view="lanes", every_stage=flows)
        elif name.startswith("dataflow-"):
            write(protocol, path, stage=name.removeprefix("dataflow-"), every_stage=flows)
        else:
            raise ProtocolError(f"no diagram named {name!r}: use 'lanes' or 'dataflow-<stage id>'")
        return path.read_bytes()


def prefetch(protocol: Protocol, names: list[str], key: str) -> None:
    """Start drawing the named diagrams in the background (those not drawn or started yet).

    The costliest (the lanes) starts first, so the workers finish together. The permitted
    flows at every stage, which every one of them reads, are worked out once here first.
    """
    if len(_CACHE) > 64:
        _CACHE.clear()
    wanted = sorted((n for n in dict.fromkeys(names) if (key, n) not in _CACHE), key=lambda n: n != "lanes")
    if not wanted:
        return
    from ...graph.flows import permitted_flows

    flows = permitted_flows(protocol)
    executor, forked = _executor(protocol, key, flows)
    for name in wanted:
        if forked:
            _CACHE[(key, name)] = executor.submit(_draw_forked, key, name)
        else:
            _CACHE[(key, name)] = executor.submit(_draw, protocol, name, flows)
    if forked:
        executor.shutdown(wait=False)   # the workers end once these are drawn


def diagrams(protocol: Protocol, names: list[str], key: str) -> dict[str, bytes]:
    """The PNG bytes of each named diagram, waiting for those still being drawn."""
    prefetch(protocol, names, key)
    return {n: _CACHE[(key, n)].result() for n in names}


def default_names(protocol: Protocol) -> list[str]:
    """The diagrams the shipped agreement template embeds: one data-flow view per stage, and the lanes."""
    from ...model.vocabulary import Vocabulary

    return [f"dataflow-{s}" for s in Vocabulary.of(protocol).stage_ids] + ["lanes"]
