"""The partner graph: partners as nodes, one edge per permitted flow, as a networkx MultiDiGraph."""

from __future__ import annotations

from typing import Mapping

import networkx as nx
import pandas as pd

from ..engine.compiled import compile_protocol
from ..model.protocol import Protocol
from .flows import permitted_flows


def build(protocol: Protocol, stage: str | None = None, purpose: str | None = None,
          facts: Mapping[str, str] | None = None, *, every_stage: pd.DataFrame | None = None) -> nx.MultiDiGraph:
    """The protocol as a graph of partners and permitted flows.

    Every partner is a node in every view, so views of different stages, purposes
    or facts compare node for node. Each edge is one permitted flow (one way it is
    permitted), keyed ``category@stage/purpose#rule``, with the columns of
    :func:`~protocolkit.graph.flows.permitted_flows` as attributes.

    Parameters
    ----------
    protocol : Protocol
    stage, purpose : str, optional
        One stage or purpose only.
    facts : mapping, optional
        A set of facts ("consent refused, risk amber"); by default a flow counts when
        some combination of facts permits it.
    every_stage : DataFrame, optional
        ``permitted_flows(protocol, purpose=purpose, facts=facts)`` already worked out, for
        drawing several stages from one table: the stage's rows are taken from it (the same
        rows, in the same order, as asking for the stage alone).

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.graph import build
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> g = build(p, stage="referral", facts={"consent": "refused", "risk": "amber"})
    >>> set(g.nodes) == {partner.id for partner in p.partners}
    True
    """
    compiled = compile_protocol(protocol)
    v = compiled.vocab
    graph = nx.MultiDiGraph(
        protocol=protocol.metadata.id, title=protocol.metadata.title, stage=stage, purpose=purpose,
        facts=dict(facts) if facts is not None else None, stages=list(v.stage_ids),
    )
    for partner in protocol.partners:
        graph.add_node(partner.id, name=partner.name, kind=partner.kind, part_of=partner.part_of,
                       public_body=v.is_public_body(partner.id), controller_role=partner.controller_role)
    if every_stage is None:
        flows = permitted_flows(protocol, stage=stage, purpose=purpose, facts=facts)
    elif stage is None:
        flows = every_stage
    else:
        flows = every_stage[every_stage["stage"] == stage].reset_index(drop=True)
    reached = set(flows["from"]) | set(flows["to"]) if len(flows) else set()
    for party in protocol.outside:  # someone outside the partnership is a node only where information flows
        if party.id in reached and party.id not in graph:
            graph.add_node(party.id, name=party.label, kind=party.kind, part_of=None, public_body=False,
                           controller_role=None, outside=True)
    # rows as dicts of plain values: what to_dict("records") gives, at a fifth of the cost
    columns = list(flows.columns)
    for row in (dict(zip(columns, values)) for values in zip(*(flows[c].tolist() for c in columns))):
        key = f"{row['category']}@{row['stage']}/{row['purpose']}#{row['rule']}"
        attributes = {k: val for k, val in row.items() if k not in ("from", "to")}
        attributes["category_label"] = v.label("categories", row["category"])
        graph.add_edge(row["from"], row["to"], key=key, **attributes)
    return graph
