"""protocolkit: design, test and publish information sharing protocols between partner organisations.

The core is light: importing :mod:`protocolkit` loads the model (pydantic,
ruamel.yaml) and nothing of Jupyter, documents, RDF or policy engines. The
decision engine (numpy, pandas) loads on first use.

Examples
--------
>>> import protocolkit
>>> protocol = protocolkit.load(protocolkit.example_path("mash"))
>>> protocol.metadata.id
'northbridge_mash'
"""

from __future__ import annotations

from pathlib import Path

from .errors import Finding, ProtocolError, ProtocolValidationError, Severity, UnknownValueError
from .model import Protocol, load, validate
from .model.cases import Case, load_cases
from .model.saving import save

__version__ = "0.1.0"

_ENGINE = {"decide", "decide_many", "why_not", "run_cases", "Request", "Decision", "CaseResults"}


def example_path(name: str = "mash") -> Path:
    """The folder of a shipped example protocol.

    Examples
    --------
    >>> example_path("mash").joinpath("protocol.yaml").exists()
    True
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "examples" / name, here.parents[1] / "examples" / name):
        if (candidate / "protocol.yaml").exists():
            return candidate
    raise FileNotFoundError(f"no shipped example named {name!r}")


def __getattr__(name: str):
    if name in _ENGINE:
        from . import engine

        return getattr(engine, name)
    raise AttributeError(f"module 'protocolkit' has no attribute {name!r}")


__all__ = [
    "Case", "load_cases", "Finding", "Protocol", "ProtocolError", "ProtocolValidationError", "Severity", "UnknownValueError",
    "example_path", "load", "save", "validate", *sorted(_ENGINE),
]
