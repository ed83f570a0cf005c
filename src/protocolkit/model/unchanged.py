"""A scope in which a protocol is promised not to change, so what is worked out from its content is worked out once.

An export asks for the protocol's serialisation (its compile-cache fingerprint, its content key) dozens of times,
and checks it several times; each answer depends only on the content. Inside ``with unchanged(protocol):`` those
answers are kept with the protocol object for the length of the scope, and forgotten when it ends. Outside any
scope nothing is kept by object, so a protocol edited in place (the workbench edits its protocol) is always read
afresh. On leaving the scope the protocol is serialised once more and compared: a change made inside the scope
is a programming error and raises (the protocol is serialised on entering the scope and on leaving it).

Examples
--------
>>> import protocolkit
>>> p = protocolkit.load(protocolkit.example_path("mash"))
>>> memo_of(p) is None
True
>>> with unchanged(p):
...     model_json(p) is model_json(p)
True
>>> memo_of(p) is None
True
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

_PROMISED: dict[int, tuple[Any, dict]] = {}   # id(protocol) -> (the protocol, what was worked out from it)
_LOCK = threading.Lock()


@contextmanager
def unchanged(protocol: Any) -> Iterator[None]:
    """Promise that ``protocol`` does not change inside the block (nested scopes of one protocol are one scope)."""
    key = id(protocol)
    with _LOCK:
        outer = key in _PROMISED and _PROMISED[key][0] is protocol
        if not outer:   # serialised on entry: every answer in the scope is read from this content
            _PROMISED[key] = (protocol, {"json": _dump(protocol)})
    if outer:
        yield
        return
    try:
        yield
    except BaseException:
        _forget(key)
        raise
    if _dump(protocol) != _forget(key)["json"]:
        raise RuntimeError(f"protocol {getattr(getattr(protocol, 'metadata', None), 'id', '?')!r} was changed "
                           "inside a scope that promised it unchanged")


def _forget(key: int) -> dict:
    with _LOCK:
        return _PROMISED.pop(key, (None, {}))[1]


def memo_of(protocol: Any) -> dict | None:
    """The memo of a protocol promised unchanged (a dict for what is worked out from it), or None outside a scope."""
    entry = _PROMISED.get(id(protocol))
    return entry[1] if entry is not None and entry[0] is protocol else None


def _dump(protocol: Any) -> bytes:
    return protocol.model_dump_json(by_alias=True).encode()


def model_json(protocol: Any) -> bytes:
    """The protocol's whole content as pydantic's JSON (by alias), serialised once per scope."""
    memo = memo_of(protocol)
    if memo is None:
        return _dump(protocol)
    found = memo.get("json")
    if found is None:
        found = memo["json"] = _dump(protocol)
    return found


def remembered(protocol: Any, key: Any, work) -> Any:
    """``work()``, kept under ``key`` for the length of the protocol's scope (worked out each time outside one)."""
    memo = memo_of(protocol)
    if memo is None:
        return work()
    found = memo.get(key, _MISSING)
    if found is _MISSING:
        found = memo[key] = work()
    return found


_MISSING = object()

__all__ = ["memo_of", "model_json", "remembered", "unchanged"]
