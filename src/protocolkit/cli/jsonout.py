"""One ``--json`` convention for every command that can answer in JSON.

``--json FILE`` writes the answer as JSON to FILE and prints the usual text, as ``--junit FILE``
and ``--out FILE`` do (so a CI job keeps a readable log and the JSON beside it). ``--json -``
prints the JSON on standard output instead of the text (for ``| jq``); the exit code is the same
either way. The older bare form ``--json`` of ``decide`` and ``why-not`` still works as ``--json -``
and says on standard error that it is deprecated.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

#: ``--json -``: the JSON on standard output.
STDOUT = "-"
#: What a bare ``--json`` (the deprecated form) leaves in the option.
BARE = "<bare>"

DEPRECATED = ("note: '--json' without a file is deprecated and will be removed: write '--json -' for JSON on "
              "standard output, or '--json FILE' to write a file")


def add_json_option(parser, what: str) -> None:
    """Add ``--json FILE`` to a subcommand's parser."""
    parser.add_argument("--json", nargs="?", const=BARE, default=None, metavar="FILE",
                        help=f"also write {what} as JSON to FILE; '--json -' prints the JSON on standard output "
                             "instead of the text")


def json_to_stdout(args) -> bool:
    """Whether the command answers in JSON on standard output (and prints no text there)."""
    return getattr(args, "json", None) in (STDOUT, BARE)


def text_stream(args):
    """Where the command's text goes: standard output, or nowhere when the JSON takes its place."""
    return io.StringIO() if json_to_stdout(args) else sys.stdout


def write_json(args, data) -> None:
    """Write ``data`` as JSON where ``--json`` says: a file, or standard output."""
    text = json.dumps(data, indent=2, default=str) + "\n"
    if args.json == BARE:
        print(DEPRECATED, file=sys.stderr)
    if json_to_stdout(args):
        sys.stdout.write(text)
        return
    Path(args.json).write_text(text, encoding="utf-8")


__all__ = ["BARE", "STDOUT", "add_json_option", "json_to_stdout", "text_stream", "write_json"]
