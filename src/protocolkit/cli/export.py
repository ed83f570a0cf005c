"""``protocolkit export``: write the agreement and the machine-readable rules into a folder.

Prints one plain sentence per file written. A protocol with errors (legal-sense
errors included: an agreement is exported to be signed) is not exported: the
command lists the errors and exits 1.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from ..errors import ProtocolError, ProtocolValidationError


def register(subparsers) -> None:
    """Add the ``export`` command."""
    from ..export.formats import format_names

    p = subparsers.add_parser(
        "export", help="write the agreement (docx, html, md, cards) and the machine-readable rules into a folder")
    p.add_argument("path", help="protocol folder or protocol.yaml")
    p.add_argument("--format", required=True, choices=[*format_names(), "all"], metavar="FORMAT",
                   help=f"one of: {', '.join(format_names())}, or all")
    p.add_argument("--out", required=True, metavar="DIR", help="the folder to write into (created when missing)")
    p.add_argument("--partner", metavar="ID", help="with --format cards: only this partner's card")
    p.add_argument("--today", metavar="YYYY-MM-DD",
                   help="judge review dates on this day (default: today); fix it for identical documents")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Load, check, export; returns the exit code."""
    from ..export.formats import get_format
    from ..export.formats import export as export_formats
    from ..model.loading import load_with_findings

    protocol, findings = load_with_findings(args.path)
    errors = [f for f in findings if f.severity.value == "error"]
    if protocol is None or errors:
        return _refuse(errors or findings)
    today = None
    if args.today:
        try:
            today = dt.date.fromisoformat(args.today)
        except ValueError:
            raise ProtocolError(f"cannot read --today {args.today!r}: write a date as YYYY-MM-DD") from None
    options = {"today": today}
    if args.partner:
        if args.format not in ("cards", "all"):
            raise ProtocolError("--partner goes with --format cards")
        if args.partner not in {p.id for p in protocol.partners}:
            _unknown(protocol, args)
        options["partner"] = args.partner
    out = Path(args.out)
    try:
        written = export_formats(protocol, args.format, out, **options)
    except ProtocolValidationError as exc:
        return _refuse(exc.findings)
    total = 0
    for name, paths in written.items():
        fmt = get_format(name)
        print(f"{fmt.description}")
        for path in paths:
            print(f"  wrote {path}")
            total += 1
    warnings = [f for f in findings if f.severity.value == "warning"]
    print(f"{total} file{'s' if total != 1 else ''} written to {out}.")
    if warnings:
        print(f"The protocol has {len(warnings)} warning{'s' if len(warnings) != 1 else ''}; "
              "the agreement lists them at the front, under 'Points to resolve before signature'.")
    return 0


def _unknown(protocol, args) -> None:
    from difflib import get_close_matches

    close = get_close_matches(args.partner, [p.id for p in protocol.partners], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise ProtocolError(f"no partner {args.partner!r} in this protocol{hint}")


def _refuse(findings) -> int:
    for finding in findings:
        print(finding.format(), file=sys.stderr)
    count = sum(f.severity.value == "error" for f in findings)
    print(f"Nothing was exported: the protocol has {count} error{'s' if count != 1 else ''} to fix first "
          "(an agreement with errors must not be signed or enforced).", file=sys.stderr)
    return 1
