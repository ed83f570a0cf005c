"""Errors and findings: every problem protocolkit reports, as data.

A :class:`Finding` is one problem in a protocol's files: a stable code, a
severity, a message, the fix, and where it is (file, line, column, key).
Library code never prints; it raises :class:`ProtocolError` (or a subclass)
or returns findings, and only the command line and the notebooks show them.

This module does not decide what is wrong with a protocol; the checks in
:mod:`protocolkit.model.checks` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable


class Severity(str, Enum):
    """How serious a finding is: an error blocks loading (or sign-off, in a review), a warning does not,
    and info only informs."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One problem found in a protocol, with where it is and how to fix it.

    Parameters
    ----------
    code : str
        Stable identifier such as ``"PK110"``; see :mod:`protocolkit.model.codes`.
    severity : Severity
        ``error`` stops a protocol loading; ``warning`` does not.
    message : str
        What is wrong, in plain English.
    fix : str
        What to do about it.
    file : str or None
        The file the problem is in, relative to the protocol folder where possible.
    line, column : int or None
        1-based position of the offending key or value.
    key : str
        Dotted path of the offending key, such as ``rules[R12].categories[1]``.
    rules : tuple of str
        The ids of the rules the finding is about (empty when it is about none), as data:
        a reader of findings never has to search the message for them.

    Examples
    --------
    >>> f = Finding("PK110", Severity.ERROR, "unknown partner 'polise'",
    ...             "did you mean 'police'?", "protocol.yaml", 12, 9, "rules[R1].from.partners[0]")
    >>> f.format()
    "protocol.yaml:12:9: PK110 error: unknown partner 'polise' (did you mean 'police'?)"
    """

    code: str
    severity: Severity
    message: str
    fix: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    key: str = ""
    rules: tuple[str, ...] = ()

    def format(self) -> str:
        """Render as ``FILE:LINE:COL: CODE severity: message (fix)``."""
        where = self.file or "<protocol>"
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        text = f"{where}: {self.code} {self.severity.value}: {self.message}"
        if self.fix:
            text += f" ({self.fix})"
        return text

    def as_dict(self) -> dict:
        """Plain dictionary, for JSON output and DataFrames."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "fix": self.fix,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "key": self.key,
            "rules": list(self.rules),
        }


class ProtocolError(Exception):
    """Base class of every error protocolkit raises on purpose."""


class ProtocolValidationError(ProtocolError):
    """A protocol (or case file) has errors; carries every finding, not only the first.

    Examples
    --------
    >>> err = ProtocolValidationError([Finding("PK101", Severity.ERROR, "bad", file="p.yaml", line=3)])
    >>> len(err.findings)
    1
    >>> print(err)
    1 problem found:
    p.yaml:3:1: PK101 error: bad
    """

    def __init__(self, findings: Iterable[Finding]):
        self.findings = list(findings)
        errors = [f for f in self.findings if f.severity is Severity.ERROR]
        shown = errors or self.findings
        head = f"{len(shown)} problem{'s' if len(shown) != 1 else ''} found:"
        super().__init__("\n".join([head, *(f.format() for f in shown)]))

    @property
    def errors(self) -> list[Finding]:
        """The findings of error severity."""
        return [f for f in self.findings if f.severity is Severity.ERROR]


class UnknownValueError(ProtocolError, ValueError):
    """A request names a partner, category, stage, purpose or fact value the protocol lacks."""

    def __init__(self, what: str, value: str, suggestions: list[str] | None = None, fix: str = ""):
        self.what = what
        self.value = value
        self.suggestions = suggestions or []
        self.fix = fix
        hint = f"; did you mean {' or '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {what} {value!r}{hint}{f' ({fix})' if fix else ''}")


class ImpossibleFactsError(ProtocolError, ValueError):
    """A request states facts that the protocol's fact constraints rule out (bad input, never decided).

    ``constraint`` is the id of the first constraint broken; ``row`` the request's position in a table.
    """

    def __init__(self, message: str, constraint: str, row: int | None = None):
        self.constraint = constraint
        self.row = row
        super().__init__(message)


class BadRequestsError(UnknownValueError):
    """Requests in a batch that cannot be decided, every one named by its position.

    ``rows`` holds the position of every bad request (all of them); the message shows the
    first :attr:`SHOWN` with what is wrong, and how many more there are.

    Examples
    --------
    >>> err = BadRequestsError([3, 7], ["request 3: unknown partner 'polise'", "request 7: no stage"])
    >>> err.rows
    [3, 7]
    >>> print(err)
    2 requests cannot be decided:
      request 3: unknown partner 'polise'
      request 7: no stage
    """

    SHOWN = 20

    def __init__(self, rows, problems: list[str], first: UnknownValueError | None = None):
        self.rows = [int(r) for r in rows]
        self.problems = list(problems)
        # what, value and suggestions of the first problem, as an UnknownValueError has them
        self.what, self.value, self.suggestions = (first.what, first.value, first.suggestions) if first else (
            "request", str(self.rows[0]) if self.rows else "", [])
        shown = self.problems[: self.SHOWN]
        more = len(self.rows) - len(shown)
        lines = [f"{len(self.rows):,} request{'s' if len(self.rows) != 1 else ''} cannot be decided:",
                 *(f"  {p}" for p in shown)]
        if more > 0:
            lines.append(f"  ... and {more:,} more (their positions are in this error's 'rows')")
        ProtocolError.__init__(self, "\n".join(lines))


class SaveRefusedError(ProtocolError):
    """A save was refused; the file on disk is unchanged."""
