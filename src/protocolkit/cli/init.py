"""``protocolkit init``: start a partnership's protocol repository."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    """Add the ``init`` subcommand."""
    from ..lifecycle.repository import TEMPLATES

    p = subparsers.add_parser(
        "init", help="start a protocol repository: protocol, sample cases, notebooks, README and CI workflows",
        description="Write a new folder holding a protocol the partnership can grow: protocol.yaml, sample cases, "
                    "the guided notebooks, a README for its members, and workflow files for GitHub Actions and "
                    "GitLab CI that check every change. Nothing is overwritten.",
        epilog="example: protocolkit init our-protocol --template blank --title 'Eastshire MASH protocol'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", help="a new (or empty) folder")
    p.add_argument("--template", choices=list(TEMPLATES), default="blank",
                   help="blank: the smallest protocol, with comments that teach the format; mash or "
                        "supporting-families: start from a shipped example (default: blank)")
    p.add_argument("--title", help="the agreement's title (blank template)")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Write the repository and say what to do next."""
    from ..lifecycle.repository import init_repository

    written = init_repository(args.dir, args.template, title=args.title)
    print(f"Started a protocol repository in {args.dir} from the {args.template} template ({len(written)} files).")
    print("Next:")
    print(f"  protocolkit validate {args.dir}    check it")
    print(f"  protocolkit test {args.dir}        run its sample cases and guarantees")
    print(f"  protocolkit lab {args.dir}         open the guided notebooks")
    return 0
