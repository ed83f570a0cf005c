"""``protocolkit diff``: what a change to a protocol says and does to decisions."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..errors import ProtocolError
from ..model.loading import load, protocol_file


def register(subparsers) -> None:
    """Add the ``diff`` subcommand."""
    p = subparsers.add_parser(
        "diff", help="what a change does: the edits, and every request whose decision changes",
        description="Compare two versions of a protocol: what was edited, entry by entry, and exactly which "
                    "requests are decided differently (over every possible request and over the sample cases), "
                    "and which promises change. A decision carries how long the recipient keeps what is shared, "
                    "so a change that only changes a retention period changes decisions too (the report lists it "
                    "under 'Retention that changes'). Exits 0 unless --fail-on-change is given and a decision "
                    "changes.",
        epilog="examples:\n  protocolkit diff old-protocol/ new-protocol/\n"
               "  protocolkit diff --git main .          # the working copy against the main branch",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="OLD NEW (two protocol folders), or with --git the protocol folder (default: .)")
    p.add_argument("--git", metavar="REV", help="compare the protocol as it was at this git revision with the working copy")
    p.add_argument("--cases", metavar="DIR", help="sample cases to compare on (default: the new version's cases/)")
    p.add_argument("--format", choices=("md", "json"), default="md", help="md (for a merge request) or json")
    p.add_argument("--out", metavar="FILE", help="write the report here instead of printing it")
    p.add_argument("--fail-on-change", action="store_true", help="exit 1 when any decision changes, a retention period included")
    p.set_defaults(handler=run)


def run(args) -> int:
    """Compare, print or write the report, and return the exit code."""
    from ..engine.impact import impact
    from ..export.changes import change_report, render_json, render_markdown
    from ..model.cases import load_cases

    with tempfile.TemporaryDirectory(prefix="protocolkit-diff-") as scratch:
        if args.git:
            if len(args.paths) > 1:
                raise ProtocolError("with --git give one protocol folder (the working copy), or none for '.'")
            new_path = Path(args.paths[0] if args.paths else ".")
            old_path = _checkout(args.git, new_path, Path(scratch))
        elif len(args.paths) == 2:
            old_path, new_path = map(Path, args.paths)
        else:
            raise ProtocolError("give two protocol folders (OLD NEW), or --git REV and a folder")
        old, new = load(old_path), load(new_path)
        cases_dir = Path(args.cases) if args.cases else (new.folder / "cases" if new.folder else None)
        if args.cases and not cases_dir.is_dir():
            raise ProtocolError(f"the cases folder {args.cases} does not exist")
        cases = load_cases(cases_dir) if cases_dir is not None and cases_dir.is_dir() else None
        result = impact(old, new, cases)
        report = change_report(old, new, result)
    text = render_json(report) if args.format == "json" else render_markdown(report)
    if args.out:
        out = Path(args.out)
        inputs = {protocol_file(old_path).resolve(), protocol_file(new_path).resolve()} if not args.git else set()
        if out.resolve() in inputs:
            raise ProtocolError(f"--out {out} is one of the protocols compared: choose another file")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        print(f"Wrote the change report to {out}: {_verdict(result)}.")
    else:
        sys.stdout.write(text)
    return 1 if args.fail_on_change and result.decisions_changed else 0


def _verdict(result) -> str:
    """One phrase on what changes, for the line that says where the report went."""
    kinds = len(result.retention)
    periods = f"retention periods for {kinds} kind{'' if kinds == 1 else 's'} of sharing"
    if not result.decisions_changed:
        return "no decision changes"
    if result.only_retention_changed:
        return f"decisions change only in how long what is shared is kept ({periods})"
    return f"decisions change, and {periods}" if kinds else "decisions change"


def _checkout(rev: str, path: Path, scratch: Path) -> Path:
    """The protocol folder ``path`` as it was at git revision ``rev``, extracted into ``scratch``."""
    folder = path.resolve() if path.is_dir() else path.resolve().parent

    def git(*argv: str, binary: bool = False):
        done = subprocess.run(["git", "-C", str(folder), *argv], capture_output=True, check=False)
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ProtocolError(f"git could not {argv[0]} {rev!r} for {path}: {message[-1] if message else 'unknown error'}")
        return done.stdout if binary else done.stdout.decode("utf-8").strip()

    top = Path(git("rev-parse", "--show-toplevel"))
    relative = folder.relative_to(top).as_posix() or "."
    archive = scratch / "old.tar"
    archive.write_bytes(git("archive", "--format=tar", rev, "--", relative, binary=True))
    target = scratch / "old"
    target.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(target, filter="data")
    old_folder = target / relative
    if not (old_folder / "protocol.yaml").exists():
        raise ProtocolError(f"there is no protocol.yaml in {relative} at git revision {rev}")
    return old_folder
