"""What a command says when the path it was given is not a protocol: what it expected, and where to look.

Every command that reads a protocol takes a protocol folder (holding ``protocol.yaml``) or
that ``protocol.yaml`` itself. Pointed at a missing path, at a folder of protocols, or at one
of the files a protocol includes (``rules/screening.yaml``), it says so in one line and exits 2
(bad input on the command line), rather than reporting a missing ``metadata`` key.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ProtocolError

EXPECTED = "a protocol folder (the one holding protocol.yaml) or its protocol.yaml"


def check_protocol_path(value: str) -> None:
    """Raise :class:`ProtocolError` with what was expected when ``value`` cannot name a protocol.

    Examples
    --------
    >>> import protocolkit
    >>> check_protocol_path(str(protocolkit.example_path("mash"))) is None
    True
    >>> try:
    ...     check_protocol_path(str(protocolkit.example_path("mash") / "rules" / "screening.yaml"))
    ... except ProtocolError as error:
    ...     print(str(error).split(":")[-1].strip())
    name the protocol folder ... (or its protocol.yaml) instead
    """
    path = Path(value)
    if not os.path.lexists(path):
        near = [p.name for p in path.parent.iterdir() if (p / "protocol.yaml").is_file()] \
            if path.parent.is_dir() else []
        hint = f"; protocol folders beside it: {', '.join(sorted(near)[:8])}" if near else ""
        raise ProtocolError(f"{value} does not exist: name {EXPECTED}{hint}")
    if not path.exists():  # a broken or looping symbolic link: the loader says which, with its location
        return
    if path.is_dir():
        if os.path.lexists(path / "protocol.yaml"):
            return
        inside = sorted(p.name for p in path.iterdir() if p.is_dir() and (p / "protocol.yaml").is_file())
        if inside:
            raise ProtocolError(f"{value} holds protocols, not one protocol: name one of its folders "
                                f"({', '.join(inside[:8])}), such as {path / inside[0]}")
        raise ProtocolError(f"{value} has no protocol.yaml: name {EXPECTED}")
    if path.name == "protocol.yaml" or path.suffix.lower() not in (".yaml", ".yml"):
        return
    if not path.is_file():
        return
    for folder in path.resolve().parents:
        if (folder / "protocol.yaml").is_file():
            if "metadata:" not in path.read_text(encoding="utf-8", errors="replace"):
                raise ProtocolError(f"{value} is one of the files the protocol in {_shown(folder)} includes: "
                                    f"name the protocol folder {_shown(folder)} (or its protocol.yaml) instead")
            return
        if folder == folder.parent:
            break


def _shown(folder: Path) -> str:
    """A folder as the user would type it: relative to the working folder when it is inside it."""
    try:
        return str(folder.relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(folder)


__all__ = ["EXPECTED", "check_protocol_path"]
