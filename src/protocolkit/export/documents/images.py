"""The diagrams the documents embed, drawn by :mod:`protocolkit.diagrams` as PNG.

Names: ``lanes`` (what each partner may receive, stage by stage) and
``dataflow-<stage id>`` (who may share with whom at one stage). Drawing is the slow
part of an export, so the diagrams of one protocol are drawn once per process (cached
by the protocol's content hash), in parallel threads (Graphviz runs as a subprocess).
"""

from __future__ import annotations

import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ...errors import ProtocolError
from ...model.protocol import Protocol

_CACHE: dict[tuple[str, str], bytes] = {}


def _draw(protocol: Protocol, name: str, folder: Path) -> bytes:
    from ...diagrams import write

    path = folder / f"{name}.png"
    if name == "lanes":
        write(protocol, path, view="lanes")
    elif name.startswith("dataflow-"):
        write(protocol, path, stage=name.removeprefix("dataflow-"))
    else:
        raise ProtocolError(f"no diagram named {name!r}: use 'lanes' or 'dataflow-<stage id>'")
    return path.read_bytes()


def diagrams(protocol: Protocol, names: list[str], key: str) -> dict[str, bytes]:
    """The PNG bytes of each named diagram, drawing only those not drawn yet for this content hash."""
    wanted = [n for n in dict.fromkeys(names) if (key, n) not in _CACHE]
    if wanted:
        with tempfile.TemporaryDirectory(prefix="protocolkit-diagrams-") as tmp:
            with ThreadPoolExecutor(max_workers=2) as pool:
                drawn = list(pool.map(lambda n: _draw(protocol, n, Path(tmp)), wanted))
        if len(_CACHE) > 64:
            _CACHE.clear()
        _CACHE.update({(key, n): data for n, data in zip(wanted, drawn)})
    return {n: _CACHE[(key, n)] for n in names}
