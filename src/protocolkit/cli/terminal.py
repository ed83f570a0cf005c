"""What the command line prints: never a raw control character, never an output written over an input.

Every command's output goes through :func:`printable` (``main`` wraps stdout and stderr
in :func:`printable_streams`), so a name holding a terminal escape sequence (clear the
screen, retitle the window, fake a line of output) is shown as the escape's text.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import ProtocolError
from ..model.text import visible


#: The source notes' marker of an unverified legal point, and what a reader is told instead.
UNVERIFIED_MARK = "[K]"
UNVERIFIED_WORDS = "(unverified legal point: check with your legal adviser)"


def printable(text: str) -> str:
    """``text`` safe for a terminal: newlines and tabs kept, every other control character escaped,
    and the internal ``[K]`` marker said in words.

    Examples
    --------
    >>> printable("Police\\x1b]0;owned\\x07 share\\n")
    'Police\\\\x1b]0;owned\\\\x07 share\\n'
    >>> printable("Whether bare suspicion counts is [K].")
    'Whether bare suspicion counts is (unverified legal point: check with your legal adviser).'
    """
    return visible(text, keep="\n\t").replace(UNVERIFIED_MARK, UNVERIFIED_WORDS)


class _PrintableStream:
    """A text stream that passes everything written through :func:`printable`."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextmanager
def printable_streams() -> Iterator[None]:
    """Within the block, ``sys.stdout`` and ``sys.stderr`` print control characters as escapes."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _PrintableStream(out), _PrintableStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


#: Options that name a file a command writes.
OUTPUT_OPTIONS = ("json", "out", "junit")


def refuse_overwriting_inputs(args) -> None:
    """Raise :class:`ProtocolError` when an output option names one of the command's inputs.

    Inputs are the protocol file named (or the ``protocol.yaml`` of the folder named) and every
    existing YAML file: no command writes YAML to these options, so such a file is a protocol,
    case, vocabulary or review file. Symbolic links are followed.
    """
    inputs = set()
    path = getattr(args, "path", None)
    if isinstance(path, str) and path:
        given = Path(path)
        inputs.add(os.path.realpath(given / "protocol.yaml" if given.is_dir() else given))
    for option in OUTPUT_OPTIONS:
        value = getattr(args, option, None)
        if not isinstance(value, str) or not value or value in ("-", "<bare>"):  # standard output (cli.jsonout)
            continue
        target = os.path.realpath(value)
        if target in inputs or (Path(target).suffix.lower() in (".yaml", ".yml") and os.path.isfile(target)):
            raise ProtocolError(f"will not write over {value}: it is an input (a YAML file protocolkit reads); "
                                f"name another file for --{option}")


__all__ = ["printable", "printable_streams", "refuse_overwriting_inputs"]
