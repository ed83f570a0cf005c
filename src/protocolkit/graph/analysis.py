"""Analyses of a protocol's network: small functions, each returning a DataFrame.

Each takes the protocol and, where it needs them, the permitted flows (computed
once by :func:`~protocolkit.graph.flows.permitted_flows` and passed in to save
recomputing). Rule-level analyses (conflicts, shadowed and dead rules) explore
the whole request space exactly with :mod:`protocolkit.engine.space`.
These functions report; they do not judge severity (the review does).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from ..engine.compiled import CompiledProtocol, compile_protocol, fingerprint
from ..engine.guarantees import describe_request, layout, request_of
from ..engine.requests import Request
from ..engine.space import explore
from ..model.guarantees import Guarantee
from ..model.checks import CONSENT_BASES, PART3
from ..model.keys import ANY
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
        graph = nx.DiGraph()
        for edge in group.itertuples(index=False):
            guarded = graph.get_edge_data(edge[0], edge[1], {}).get("guarded", True) and bool(edge.guarded)
            graph.add_edge(edge[0], edge[1], guarded=guarded)
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


# -- rules over the whole space ----------------------------------------------------------------------------

_SPACES: OrderedDict[str, "RuleSpace"] = OrderedDict()


@dataclass
class RuleSpace:
    """Every possible state of the whole request space, settled as the engine decides it.

    The space is the guarantee checker's (:func:`~protocolkit.engine.guarantees.layout`):
    sender and recipient as pairs without self-flows, facts tied by fact constraints only in
    their possible states (``docs/semantics.md`` section 11), and each state settled with the
    purposes' fallbacks (section 5). ``bits`` are the matched rules; ``deciders`` is -1 where no
    rule decides (a gap, or a fallback); ``fallbacks`` is the fallback index, -1 for none.
    """

    bits: np.ndarray
    outcomes: np.ndarray
    deciders: np.ndarray
    fallbacks: np.ndarray
    witness: np.ndarray
    plan: object

    def request(self, compiled: CompiledProtocol, row: int) -> Request:
        """The smallest request that reaches state ``row``."""
        return request_of(compiled, self.plan.decode(self.witness[row]))


def _space(protocol: Protocol) -> tuple[CompiledProtocol, RuleSpace]:
    """Every distinct possible state of the whole request space (cached per protocol)."""
    compiled = compile_protocol(protocol)
    key = fingerprint(protocol)
    if key not in _SPACES:
        plan = layout(compiled, Guarantee.model_validate(
            {"id": "WHOLE-SPACE", "kind": "never", "statement": "Every request.", "outcomes": ["share"]}))
        space = explore(plan.axes, compiled.space_words)
        bits, outcomes, deciders, fallbacks, _, _ = compiled.settle_space(space.bits)
        _SPACES[key] = RuleSpace(bits, outcomes, deciders, fallbacks, space.witness, plan)
        while len(_SPACES) > 4:
            _SPACES.popitem(last=False)
    return compiled, _SPACES[key]


def rule_effect(protocol: Protocol) -> pd.DataFrame:
    """For every rule: does it ever match, ever decide, and if only overridden, by what.

    ``status`` is ``live`` (decides some request), ``shadowed`` (matches, but other rules, or a
    purpose's fallback, always decide), ``dead`` (matches no possible request) or ``outside``
    (matches no request between partners, and names a party outside the partnership, such as a
    subject access request: this analysis explores requests between partners only). Checked over
    every possible request: self-flows and fact states the fact constraints rule out are not
    requests, and where a fallback decides (section 5) no rule does.
    """
    compiled, space = _space(protocol)
    n = len(protocol.rules)
    matches = np.zeros(n, dtype=bool)
    decides = np.zeros(n, dtype=bool)
    shadowers: dict[int, set[str]] = {}
    if len(space.bits) and n:
        for row, decider, fallback in zip(space.bits, space.deciders.tolist(), space.fallbacks.tolist()):
            matched = compiled.matched(row)
            winners = compiled.winners(row, decider)
            matches[matched] = True
            decides[winners] = True
            deciding = ({f"fallback {compiled.fallbacks[fallback].id}"} if fallback >= 0
                        else {protocol.rules[w].id for w in winners})
            for position in matched:
                if position not in winners:
                    shadowers.setdefault(position, set()).update(deciding)
    status = np.where(decides, "live", np.where(matches, "shadowed", "dead")).astype(object)
    for i, rule in enumerate(protocol.rules):
        if status[i] == "dead" and any(sel != ANY and sel.outside for sel in (rule.from_, rule.to)):
            status[i] = "outside"
    return pd.DataFrame({
        "rule": [r.id for r in protocol.rules], "outcome": [r.outcome for r in protocol.rules],
        "matches": matches, "decides": decides, "status": status,
        "overridden_by": [tuple(sorted(shadowers.get(i, ()))) if status[i] == "shadowed" else () for i in range(n)],
    })


def rule_conflicts(protocol: Protocol) -> pd.DataFrame:
    """Pairs of rules at the same priority with different outcomes that some possible request matches both,
    where a rule (not a fallback) decides it.

    The more protective one wins (``docs/semantics.md`` section 3); this lists every such
    overlap with the smallest request showing it, so the partnership can confirm it meant it.
    Returns columns ``rule``, ``other``, ``outcome``, ``other_outcome``, ``winner``, ``example``.
    """
    compiled, space = _space(protocol)
    rules = protocol.rules
    seen: dict[tuple[int, int], int] = {}
    for state, (row, fallback) in enumerate(zip(space.bits, space.fallbacks.tolist())):
        if fallback >= 0:
            continue  # the purpose's fallback decides: the overlap decides nothing here
        matched = compiled.matched(row)
        for i, a in enumerate(matched):
            for b in matched[i + 1:]:
                ra, rb = rules[a], rules[b]
                if ra.priority == rb.priority and ra.outcome != rb.outcome:
                    key = (min(a, b), max(a, b))
                    if key not in seen:
                        seen[key] = state
    out = []
    for (a, b), state in sorted(seen.items()):
        ra, rb = rules[a], rules[b]
        winner = ra if compiled.ranked.index(a) < compiled.ranked.index(b) else rb
        out.append({"rule": ra.id, "other": rb.id, "outcome": ra.outcome, "other_outcome": rb.outcome,
                    "winner": winner.id, "example": describe_request(compiled, space.request(compiled, state))})
    return pd.DataFrame(out, columns=["rule", "other", "outcome", "other_outcome", "winner", "example"])


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
