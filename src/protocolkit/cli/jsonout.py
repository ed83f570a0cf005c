"""One ``--json`` convention for every command that can answer in JSON.

``--json`` alone prints the answer as JSON on standard output and nothing else there (so
``protocolkit test PATH --json > results.json`` and ``| jq`` work); the exit code is the same
as without it. The older form ``--json FILE`` (``review``, ``prove`` and ``test`` took a path)
still works: it writes FILE, prints the usual text, and says on standard error that the form is
deprecated.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

#: The value ``--json`` takes when given alone.
STDOUT = "-"

DEPRECATED = ("note: '--json {path}' is deprecated and will be removed: use '--json' alone, which prints "
              "the JSON on standard output (redirect it: --json > {path})")


def add_json_option(parser, what: str) -> None:
    """Add ``--json`` to a subcommand's parser."""
    parser.add_argument("--json", nargs="?", const=STDOUT, default=None, metavar="FILE",
                        help=f"print {what} as JSON on standard output instead of text "
                             "(--json FILE, writing a file, is deprecated)")


def json_to_stdout(args) -> bool:
    """Whether the command answers in JSON on standard output (and prints no text there)."""
    return getattr(args, "json", None) == STDOUT


def text_stream(args):
    """Where the command's text goes: standard output, or nowhere when the JSON takes its place."""
    return io.StringIO() if json_to_stdout(args) else sys.stdout


def write_json(args, data) -> None:
    """Print ``data`` as JSON, or (the deprecated form) write it to the file ``--json`` names."""
    text = json.dumps(data, indent=2, default=str) + "\n"
    if json_to_stdout(args):
        sys.stdout.write(text)
        return
    Path(args.json).write_text(text, encoding="utf-8")
    print(DEPRECATED.format(path=args.json), file=sys.stderr)


__all__ = ["STDOUT", "add_json_option", "json_to_stdout", "text_stream", "write_json"]
