"""The protocol as a network: permitted flows, the partner graph and small analyses over them.

What each partner may receive, partner by stage or by category (the tables the lane and
heatmap views draw), is in :mod:`protocolkit.graph.receiving`.

Everything here is derived from the decision engine, so it cannot disagree with a decision.
Nothing here draws; :mod:`protocolkit.diagrams` does.
"""

from .build import build
from .flows import FLOW_COLUMNS, permitted_flows
from .receiving import exposure_matrix, lane_table, received

__all__ = ["FLOW_COLUMNS", "build", "exposure_matrix", "lane_table", "permitted_flows", "received"]
