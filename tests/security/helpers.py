"""Shared helpers of the security tests: a small protocol folder, the CLI, a write and read recorder."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sys
from pathlib import Path

from protocolkit.cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SMALL = FIXTURES / "small"

RULE = """  - id: {id}
    title: {title}
    from: {{partners: [police]}}
    to: {{partners: [csc]}}
    categories: [education.attendance]
    stages: any
    purposes: [safeguarding]
    outcome: share
    lawful_bases: [UKGDPR.6.1.e]
    rationale: For the tests.
"""

CASE = """id: {id}
title: A synthetic case
steps:
  - stage: screening
    requests:
      - from: police
        to: csc
        categories: [criminal.intelligence]
        purpose: safeguarding
"""


def small_copy(tmp_path: Path, name: str = "small") -> Path:
    """A private copy of the small fixture protocol."""
    return Path(shutil.copytree(SMALL, tmp_path / name))


def add_include(folder: Path, *patterns: str) -> None:
    """Add an ``include:`` list to the protocol file."""
    path = folder / "protocol.yaml"
    lines = "".join(f"  - {p!r}\n" if not p.startswith("'") else f"  - {p}\n" for p in patterns)
    path.write_text(path.read_text(encoding="utf-8") + "include:\n" + lines, encoding="utf-8")


def rules_file(*ids: str, title: str = "A rule from an included file") -> str:
    return "rules:\n" + "".join(RULE.format(id=i, title=title) for i in ids)


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run the command line in-process; (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


class FileAudit:
    """Every file opened (for reading or writing) and renamed while recording, from Python's audit hooks.

    Audit hooks cannot be removed, so one hook is installed per process and switched on and off.
    """

    _installed = False
    _active: "FileAudit | None" = None

    def __init__(self):
        self.reads: list[str] = []
        self.writes: list[str] = []

    @classmethod
    def _hook(cls, event, args):
        audit = cls._active
        if audit is None:
            return
        if event == "open":
            path, mode, flags = args
            if not isinstance(path, (str, bytes, os.PathLike)):
                return
            path = os.fsdecode(path)
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT))
            (audit.writes if writing else audit.reads).append(os.path.abspath(path))
        elif event in ("os.rename", "os.replace"):
            audit.writes.append(os.path.abspath(os.fsdecode(args[1])))
        elif event in ("os.remove", "os.rmdir", "os.mkdir", "os.symlink"):
            audit.writes.append(os.path.abspath(os.fsdecode(args[0])))

    def __enter__(self) -> "FileAudit":
        if not FileAudit._installed:
            sys.addaudithook(FileAudit._hook)
            FileAudit._installed = True
        FileAudit._active = self
        return self

    def __exit__(self, *exc) -> None:
        FileAudit._active = None


def outside(paths: list[str], *roots: Path) -> list[str]:
    """The paths that lie in none of ``roots`` (compared with symlinks resolved)."""
    resolved = [Path(r).resolve() for r in roots]
    out = []
    for p in paths:
        rp = Path(p).resolve()
        if not any(rp == r or r in rp.parents for r in resolved):
            out.append(p)
    return out
