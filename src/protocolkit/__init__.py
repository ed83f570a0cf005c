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

Deciding, proving the guarantees and reviewing are all one call away:

>>> protocolkit.decide(protocol, {"from": "school", "to": "police", "categories": ["criminal.intelligence"],
...                               "stage": "referral", "purpose": "safeguarding"}).rule
'R-GEN-04'
>>> report = protocolkit.prove(protocol)
>>> report.results[0].guarantee.id, report.failed
('G1', 0)
>>> [f.id for f in protocolkit.review_protocol(protocol).findings if f.blocking]
[]
"""

from __future__ import annotations

from pathlib import Path

from .errors import Finding, ProtocolError, ProtocolValidationError, Severity, UnknownValueError
from .model import Protocol, load, validate
from .model.cases import Case, load_cases
from .model.saving import save

__version__ = "0.1.0"

_ENGINE = {"decide", "decide_many", "why_not", "run_cases", "Request", "Decision", "CaseResults"}

#: The rest of what the README promises from Python, each loaded on first use: name -> (module, its name there).
#: (Reviewing is ``review_protocol``: ``protocolkit.review`` is the package that holds it.)
_LAZY = {
    "prove": ("engine.guarantees", "check_guarantees"), "check_guarantees": ("engine.guarantees", "check_guarantees"),
    "GuaranteeReport": ("engine.guarantees", "GuaranteeReport"),
    "review_protocol": ("review", "review"), "ReviewReport": ("review", "ReviewReport"),
    "ReviewFinding": ("review", "ReviewFinding"), "mark_finding": ("review", "mark_finding"),
}


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
    if name in _LAZY:
        from importlib import import_module

        module, attribute = _LAZY[name]
        return getattr(import_module(f".{module}", __name__), attribute)
    raise AttributeError(f"module 'protocolkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    """What is loaded now and what loads on first use, so completion (Jupyter, IDEs) offers both.

    Examples
    --------
    >>> import protocolkit
    >>> [name for name in ("decide", "prove", "review_protocol", "why_not") if name in dir(protocolkit)]
    ['decide', 'prove', 'review_protocol', 'why_not']
    """
    return sorted(set(globals()) | _ENGINE | set(_LAZY))


__all__ = [
    "Case", "load_cases", "Finding", "Protocol", "ProtocolError", "ProtocolValidationError", "Severity", "UnknownValueError",
    "example_path", "load", "save", "validate", *sorted(_ENGINE), *sorted(_LAZY),
]
