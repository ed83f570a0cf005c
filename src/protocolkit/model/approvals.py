"""Approvals as data: who signed which content of a protocol, read from ``approvals.yaml`` beside it.

An approval records a person, their role, the organisation they sign for, the date, the
protocol version and the SHA-256 of the protocol's canonical JSON. It counts only while that
hash is the protocol's content hash (see :mod:`protocolkit.lifecycle`, which signs). This
module only reads; the agreement's change history and sign-off block are built from it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import Field

from .keys import Model
from .sidecar import read_records

APPROVALS_FILE = "approvals.yaml"
HEADER = ("# Approvals of this protocol (protocolkit sign ...). Each is bound to the content hash it was\n"
          "# given for: after any edit of the protocol it is kept as a record but no longer counts.\n")


class Approval(Model):
    """One signature: who approved which content of the protocol, for which organisation, when."""

    name: str = Field(description="The person who signed (synthetic in examples).")
    role: str = Field(description="Their role, such as 'Director of Children's Services'.")
    organisation: str = Field(description="The partner id they sign for.")
    date: dt.date = Field(description="The day they signed.")
    version: str = Field(description="The protocol version they signed.")
    sha256: str = Field(description="The content hash of the protocol they signed.")

    def is_current(self, sha256: str) -> bool:
        """Whether this approval is for the content with this hash."""
        return self.sha256 == sha256


class Approvals(Model):
    """The contents of ``approvals.yaml``."""

    approvals: list[Approval] = Field(default_factory=list)


def load_approvals(folder: str | Path) -> list[Approval]:
    """The approvals recorded in a protocol folder (none when it has no ``approvals.yaml``).

    Raises :class:`~protocolkit.errors.ProtocolValidationError` with located findings when
    the file cannot be read.

    Examples
    --------
    >>> import protocolkit
    >>> load_approvals(protocolkit.example_path("mash"))
    []
    """
    return read_records(Path(folder) / APPROVALS_FILE, Approvals, "approvals")
