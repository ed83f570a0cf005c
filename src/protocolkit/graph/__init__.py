"""The protocol as a network: permitted flows, the partner graph and small analyses over them.

Everything here is derived from the decision engine, so it cannot disagree with a decision.
Nothing here draws; :mod:`protocolkit.diagrams` does.
"""

from .build import build
from .flows import FLOW_COLUMNS, permitted_flows

__all__ = ["FLOW_COLUMNS", "build", "permitted_flows"]
