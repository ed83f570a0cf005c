"""Analyses of a protocol's network: small functions, each returning a DataFrame.

Each takes the protocol and, where it needs them, the permitted flows (computed
once by :func:`~protocolkit.graph.flows.permitted_flows` and passed in to save
recomputing). The rule-level analyses (conflicts, shadowed and dead rules) use no
graph: they live in :mod:`protocolkit.engine.rule_space` and are named here too.
These functions report; they do not judge severity (the review does).
"""

from __future__ import annotations

import networkx as nx
import pandas as pd

from ..engine.compiled import compile_protocol
from ..engine.rule_space import RuleSpace, _space, rule_conflicts, rule_effect  # noqa: F401  (their home is the engine)
from ..model.checks import CONSENT_BASES, PART3
from ..model.protocol import Protocol
from .flows import permitted_flows


def _flows(protocol: Protocol, flows: pd.DataFrame | None) -> pd.DataFrame:
    return permitted_flows(protocol) if flows is None else flows


# -- exposure ---------------------------------------------------------------------------------------

def exposure_by_stage(protocol: Protocol, flows: pd.DataFrame | None = None) -> pd.DataFrame:
    """How many partners may receive each category at each stage: the "too much, too early" picture.

    Returns a table indexed by category (those that flow at all) with one column per stage, in
    stage order; a cell counts distinct recipients under some combination of facts.

    Examples
    --------
    >>> import protocolkit
    >>> table = exposure_by_stage(protocolkit.load(protocolkit.example_path("mash")))
    >>> list(table.columns)[:2]
    ['referral', 'screening']
    """
    flows = _flows(protocol, flows)
    stages = compile_protocol(protocol).vocab.stage_ids
    if flows.empty:
        return pd.DataFrame(columns=stages, dtype=int)
    table = flows.groupby(["category", "stage"])["to"].nunique().unstack("stage", fill_value=0)
    return table.reindex(columns=stages, fill_value=0).astype(int).sort_index()


# -- onward reach -------------------------------------------------------------------------------------

def onward_reach(protocol: Protocol, flows: pd.DataFrame | None = None, categories=None) -> pd.DataFrame:
    """Who can learn a category indirectly, through which chain, and whether the chain is guarded.

    For each category and each partner that sends it, every partner reachable in two or
    more hops of permitted flows of that category (any stage, any purpose, some facts) and
    not sent it directly by the origin.
    A recipient is reached ``guarded`` only when every first hop that leads to it carries
    the owning agency's agreement before onward disclosure, so the originator keeps
    control; otherwise the row shows an unguarded chain (the shortest through the first
    unguarded first hop, in partner-id order). Guarded recipients show their shortest chain.

    Returns columns ``category``, ``origin``, ``recipient``, ``hops``, ``chain``, ``guarded``.
    """
    flows = _flows(protocol, flows)
    rows = []
    if categories is not None:
        flows = flows[flows["category"].isin(set(categories))]
    for category, group in flows.groupby("category", sort=True):
        # each sender-recipient pair once, in the order the flows first name it (the graph's node and
        # neighbour order, which picks among equally short chains), guarded when every flow of it is
        edges: dict[tuple, bool] = {}
        for sender, recipient, guarded in zip(group.iloc[:, 0].tolist(), group.iloc[:, 1].tolist(),
                                              group["guarded"].tolist()):
            edges[sender, recipient] = edges.get((sender, recipient), True) and bool(guarded)
        graph = nx.DiGraph()
        for (sender, recipient), guarded in edges.items():
            graph.add_edge(sender, recipient, guarded=guarded)
        for origin in sorted(n for n in graph if graph.out_degree(n)):
            reached: dict[str, tuple[tuple, bool]] = {}
            for first in sorted(graph.successors(origin)):
                if first == origin:
                    continue
                guarded = graph.edges[origin, first]["guarded"]
                onward = nx.single_source_shortest_path(graph.subgraph(n for n in graph if n != origin), first)
                for recipient, path in onward.items():
                    if recipient == first or graph.has_edge(origin, recipient):
                        continue  # the origin shares with it directly: no onward reach
                    chain = (origin, *path)
                    known = reached.get(recipient)
                    if known is None or (known[1] and not guarded) or (known[1] == guarded and len(chain) < len(known[0])):
                        reached[recipient] = (chain, guarded)
            for recipient in sorted(reached):
                chain, guarded = reached[recipient]
                rows.append({"category": category, "origin": origin, "recipient": recipient, "hops": len(chain) - 1,
                             "chain": chain, "guarded": guarded})
    return pd.DataFrame(rows, columns=["category", "origin", "recipient", "hops", "chain", "guarded"])


# -- legal basis of flows -------------------------------------------------------------------------------

def special_flows(protocol: Protocol, flows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Flows of special category or criminal offence data, with the conditions they rest on.

    Adds ``art9_conditions`` and ``art10_conditions`` (the deciding rules' bases that serve
    as such) and ``missing`` (``art9``, ``art10``, both or empty).
    """
    flows = _flows(protocol, flows)
    v = compile_protocol(protocol).vocab
    chosen = flows[flows["special"] | flows["criminal"]].copy()

    def art9(bases):
        return tuple(b for b in bases if b in v.lawful_bases and v.lawful_bases[b].kind in {"art9", *PART3})

    def art10(bases):
        return tuple(b for b in bases if b in v.lawful_bases and (
            v.lawful_bases[b].kind in {"art10", *PART3}
            or (v.lawful_bases[b].kind == "dpa_sch1" and v.lawful_bases[b].art10_condition)))

    chosen["art9_conditions"] = chosen["lawful_bases"].map(art9)
    chosen["art10_conditions"] = chosen["lawful_bases"].map(art10)
    missing = []
    for row in chosen.itertuples(index=False):
        gaps = [name for name, needed, have in (("art9", row.special, row.art9_conditions),
                                                 ("art10", row.criminal, row.art10_conditions)) if needed and not have]
        missing.append(" and ".join(gaps))
    chosen["missing"] = pd.Series(missing, index=chosen.index, dtype=object)
    return chosen.reset_index(drop=True)


def weak_basis_flows(protocol: Protocol, flows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Flows with no Article 6 basis (nor DPA 2018 Part 3), or resting only on consent.

    Adds ``weakness``: ``no lawful basis`` or ``consent only``.
    """
    flows = _flows(protocol, flows)
    v = compile_protocol(protocol).vocab

    def weakness(bases) -> str:
        entries = [v.lawful_bases[b] for b in bases if b in v.lawful_bases]
        if any(e.kind in PART3 for e in entries):
            return ""
        art6 = {e.id for e in entries if e.kind == "art6"}
        if not art6:
            return "no lawful basis"
        return "consent only" if art6 <= CONSENT_BASES else ""

    out = flows.assign(weakness=flows["lawful_bases"].map(weakness))
    return out[out["weakness"] != ""].reset_index(drop=True)


# -- need to know -----------------------------------------------------------------------------------------

def over_sharing(protocol: Protocol, flows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Permitted flows beyond the recipient's need-to-know profile at that stage and purpose."""
    flows = _flows(protocol, flows)
    return flows[flows["need_to_know"] == "not_needed"].reset_index(drop=True)


def under_sharing(protocol: Protocol, flows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Needs no rule serves: a profile lists a category for a recipient, stage and purpose, and
    no permitted flow (from anyone, under any facts) brings it or any part of it.

    A profile for a named partner is served when the partner or any of its teams receives
    the category; a profile for a kind is judged for each partner of that kind (with its teams).
    Returns columns ``profile``, ``recipient``, ``stage``, ``purpose``, ``category``.
    """
    flows = _flows(protocol, flows)
    v = compile_protocol(protocol).vocab
    served = set(zip(flows["to"], flows["stage"], flows["purpose"], flows["category"]))
    rows = []
    for profile in protocol.need_to_know:
        heads = set(profile.recipient.partners)
        heads |= {p for p in v.partners if set(profile.recipient.kinds) & v.partner_kinds(p)}
        for recipient in sorted(heads):
            members = {p for p in v.partners if recipient in v.partner_ancestors(p)}
            for stage in v.stage_ids:
                if stage not in v.stages_in(profile.stages):
                    continue
                for purpose in sorted(v.purposes_in(profile.purposes)):
                    for category in profile.categories:
                        parts = v.category_descendants(category)
                        if not any((m, stage, purpose, part) in served for m in members for part in parts):
                            rows.append({"profile": profile.id, "recipient": recipient, "stage": stage,
                                         "purpose": purpose, "category": category})
    return pd.DataFrame(rows, columns=["profile", "recipient", "stage", "purpose", "category"])


# -- centrality ---------------------------------------------------------------------------------------------

def centrality(protocol: Protocol, flows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Hubs, single points of contact and isolated partners.

    One row per partner: ``sends_to`` and ``receives_from`` (distinct partners), ``flows_out``
    and ``flows_in`` (permitted flows), ``betweenness`` (share of shortest paths between other
    partners that pass through it, on the graph of partners joined by any flow) and ``role``:
    ``isolated`` (no flow in or out), ``hub`` (the highest betweenness, when above zero) or empty.
    """
    flows = _flows(protocol, flows)
    graph = nx.DiGraph()
    graph.add_nodes_from(p.id for p in protocol.partners)
    graph.add_edges_from(set(zip(flows["from"], flows["to"])))
    graph.remove_edges_from(nx.selfloop_edges(graph))
    betweenness = nx.betweenness_centrality(graph, normalized=True) if len(graph) > 2 else {n: 0.0 for n in graph}
    top = max(betweenness.values(), default=0.0)
    counts_out = flows.groupby("from").size()
    counts_in = flows.groupby("to").size()
    rows = []
    for partner in protocol.partners:
        p = partner.id
        isolated = graph.degree(p) == 0
        rows.append({"partner": p, "sends_to": graph.out_degree(p), "receives_from": graph.in_degree(p),
                     "flows_out": int(counts_out.get(p, 0)), "flows_in": int(counts_in.get(p, 0)),
                     "betweenness": round(betweenness.get(p, 0.0), 4),
                     "role": "isolated" if isolated else "hub" if top > 0 and betweenness[p] == top else ""})
    return pd.DataFrame(rows)


__all__ = [
    "centrality", "exposure_by_stage", "onward_reach", "over_sharing", "rule_conflicts", "rule_effect",
    "special_flows", "under_sharing", "weak_basis_flows",
]
