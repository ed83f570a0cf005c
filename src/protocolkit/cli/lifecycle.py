"""``protocolkit sign`` and ``protocolkit status``: approvals bound to the content, and the lifecycle.

``sign`` records one organisation's approval of the protocol as it is now; ``status``
says where the protocol stands (draft, agreed, published; who has signed this content;
when it is due for review) and, with ``--set``, moves it on when the signatures allow.
"""

from __future__ import annotations

import argparse
import datetime as dt

from ..model.loading import load


def register(subparsers) -> None:
    """Add the ``sign`` and ``status`` subcommands."""
    p = subparsers.add_parser(
        "sign", help="record an organisation's approval of the protocol as it is now",
        description="Record that a person approved the protocol, for a partner organisation. The approval is "
                    "bound to the protocol's content hash: any later edit means it must be signed again. "
                    "Approvals are kept in approvals.yaml beside protocol.yaml.",
        epilog="example: protocolkit sign examples/mash --name 'A. Example' --role 'Head of Information "
               "Governance' --organisation police", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", help="the protocol folder")
    p.add_argument("--name", required=True, help="the person signing")
    p.add_argument("--role", required=True, help="their role, such as 'Director of Children's Services'")
    p.add_argument("--organisation", required=True, metavar="PARTNER_ID", help="the partner they sign for")
    p.add_argument("--date", type=dt.date.fromisoformat, metavar="YYYY-MM-DD", help="the date (default: today)")
    p.set_defaults(handler=run_sign)

    p = subparsers.add_parser(
        "status", help="where the protocol stands: draft, agreed or published, who has signed, review date",
        description="Say where the protocol stands in its life and, with --set, move it on: draft -> agreed "
                    "(every partner that shares under it has signed this content) -> published; any status "
                    "can go back to draft.",
        epilog="example: protocolkit status examples/mash", formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("path", help="the protocol folder")
    p.add_argument("--set", dest="new_status", choices=("draft", "agreed", "published"),
                   help="move the protocol to this status and save it")
    p.set_defaults(handler=run_status)


def run_sign(args) -> int:
    """Record the approval and say what it covers."""
    from ..lifecycle import lifecycle, sign

    protocol = load(args.path)
    approval = sign(protocol, name=args.name, role=args.role, organisation=args.organisation, today=args.date)
    partner = next(p.name for p in protocol.partners if p.id == approval.organisation)
    print(f"{approval.name} ({approval.role}) approved version {approval.version} for {partner} "
          f"on {approval.date.isoformat()}.")
    print(f"  content hash {approval.sha256}: any later edit of the protocol needs signing again")
    print(f"  {lifecycle(protocol, today=args.date).sentence()}")
    return 0


def run_status(args) -> int:
    """Print the lifecycle report (after a move, with --set)."""
    from ..lifecycle import lifecycle, set_status

    protocol = load(args.path)
    report = set_status(protocol, args.new_status) if args.new_status else lifecycle(protocol)
    names = {p.id: p.name for p in protocol.partners}
    print(report.sentence())
    print(f"  version {report.version}, status {report.status}, content hash {report.sha256}")
    if report.review_date:
        days = report.days_to_review
        when = f"in {days} days" if days >= 0 else f"{-days} days ago"
        print(f"  review date {report.review_date.isoformat()} ({when})")
    else:
        print("  no review date set: agree one and add it as metadata.review_date")
    if report.current:
        print("Signed for this content:")
        for a in report.current:
            print(f"  {names.get(a.organisation, a.organisation)}: {a.name}, {a.role}, {a.date.isoformat()}")
    if report.unsigned:
        print("Not yet signed by partners that share under it:")
        for p in report.unsigned:
            print(f"  {names[p]} ({p})")
    if report.superseded:
        print("Earlier approvals (for content since changed):")
        for a in report.superseded:
            print(f"  {names.get(a.organisation, a.organisation)}: {a.name}, version {a.version}, "
                  f"{a.date.isoformat()}")
    return 1 if report.edited_since_signed else 0
