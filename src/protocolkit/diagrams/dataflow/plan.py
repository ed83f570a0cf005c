"""Aggregation for the data-flow diagram: permitted flows become arrows, bundles and a drawing plan.

Each arrow stands for every permitted flow from one partner to another in the view, labelled
with the data it may carry collapsed to top-level categories. Arrows that carry exactly the
same data are bundled (an organisation and its teams to one recipient) and joined at a dot
(several partners to one recipient, or one partner to several), so that nothing is lost and a
printed page stays readable. Flows between an organisation's own teams are kept apart
(``Plan.internal``) and grouped by receiving team and data (:func:`team_flows`), for the line
per receiving team inside the outline and the agreement's table under the diagram. Nothing here draws.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import networkx as nx

from .._common import Labels, short_name, wrap

MAX_GROUPS = 6      # top-level groups named on one arrow before "+N more"
COMPACT_ABOVE = 16  # with more labels than this, arrows are labelled with the key's category codes


# -- what is drawn -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Arrow:
    """Every permitted flow from one partner to another, collapsed."""

    source: str
    target: str
    categories: tuple[str, ...]
    groups: tuple[tuple[str, str, str, int], ...]   # (top-level id, short label, code, categories), most first
    share: bool                                     # some data may go in full (else minimum only)
    sensitive: bool                                 # special category or criminal offence data

    @property
    def data(self) -> tuple:
        """What the arrow carries and how: arrows with equal ``data`` may be drawn together."""
        return (self.categories, self.share, self.sensitive)

    def label(self, compact: bool = False, per_line: int | None = None) -> str:
        """"Health (3), Criminal offence (2)", or with ``compact`` "HLT 3 · CRIM 2" (codes in the key)."""
        named = [f"{code} {n}" if compact else f"{name} ({n})" for _, name, code, n in self.groups]
        if len(named) > MAX_GROUPS:
            rest = sum(g[3] for g in self.groups[MAX_GROUPS - 1:])
            named = named[:MAX_GROUPS - 1] + [f"+{len(self.groups) - MAX_GROUPS + 1} more ({rest})"]
        per_line = per_line or (3 if compact else 2)
        joiner = " · " if compact else ", "
        return "\n".join(joiner.join(named[i:i + per_line]) for i in range(0, len(named), per_line))


def arrows(graph: nx.MultiDiGraph, labels: Labels) -> list[Arrow]:
    """The aggregated arrows of a graph, in partner order of sender then recipient.

    A partner's flows to itself (a rule whose senders and recipients both cover it) are
    not drawn: they move nothing between partners.
    """
    return collapse(((s, t, d["category"], d["outcome"], d["special"], d["criminal"])
                     for s, t, d in graph.edges(data=True)), list(graph.nodes), labels)


def collapse(flows, order: list[str], labels: Labels) -> list[Arrow]:
    """Arrows from flows given as (sender, recipient, category, outcome, special, criminal).

    ``order`` is the partners' order (the graph's nodes); the arrows come in that order of
    sender, then recipient. What :func:`arrows` does for a graph, for any rows of permitted flows.
    """
    # one pass over the flows (a stage has thousands); grouping them in pandas cost several times more
    grouped: dict[tuple[str, str], tuple[set, list]] = {}
    for source, target, category, outcome, special, criminal in flows:
        if source == target:
            continue
        categories, how = grouped.setdefault((source, target), (set(), [False, False]))
        categories.add(category)
        how[0] = how[0] or outcome == "share"
        how[1] = how[1] or bool(special) or bool(criminal)
    position = {n: i for i, n in enumerate(order)}
    out = []
    for (source, target), (found, (share, sensitive)) in grouped.items():
        categories = tuple(sorted(found, key=labels.category_key))
        counts = Counter(labels.top(c) for c in categories)
        tops = sorted(counts, key=lambda t: (-counts[t], labels.category_key(t)))
        groups = tuple((t, labels.top_label(t, short=True), labels.code(t), counts[t]) for t in tops)
        out.append(Arrow(source, target, categories, groups, share, sensitive))
    return sorted(out, key=lambda a: (position[a.source], position[a.target]))


def organisations(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Each organisation (a partner that is part of no other in the graph) with its teams, itself first."""
    return organisations_of({n: graph.nodes[n].get("part_of") for n in graph.nodes})


def organisations_of(part_of: dict[str, str | None]) -> dict[str, list[str]]:
    """:func:`organisations` from each partner's ``part_of``, in the mapping's order."""
    def root(node: str) -> str:
        seen = {node}
        while (parent := part_of.get(node)) in part_of and parent not in seen:
            node = parent
            seen.add(node)
        return node

    out: dict[str, list[str]] = {}
    for node in part_of:
        out.setdefault(root(node), []).append(node)
    for org, members in out.items():
        members.sort(key=lambda n: n != org)
    return out


@dataclass(frozen=True)
class TeamFlows:
    """Flows inside one organisation to one of its teams that carry the same data, from one or more of its teams.

    The diagram draws one line per receiving team inside the organisation's outline; the
    agreement lists each of these, with its data, in a table under the diagram.
    """

    organisation: str
    target: str
    sources: tuple[str, ...]
    arrow: Arrow          # one of them; all carry the same data


def team_flows(internal: list[Arrow], organisations: dict[str, list[str]]) -> list[TeamFlows]:
    """Flows between an organisation's own teams grouped by recipient and data, senders in member order.

    Lossless: each arrow is in exactly one group, and a group stands for one arrow with its
    data from each of its sources. Ordered by organisation, recipient (member order), then first sender.
    """
    root = {m: org for org, members in organisations.items() for m in members}
    rank = {m: (i, j) for i, members in enumerate(organisations.values()) for j, m in enumerate(members)}
    grouped: dict[tuple, list[Arrow]] = {}
    for a in internal:
        grouped.setdefault((a.target, a.data), []).append(a)
    out = [TeamFlows(root[target], target, tuple(sorted((a.source for a in found), key=rank.__getitem__)), found[0])
           for (target, _), found in grouped.items()]
    return sorted(out, key=lambda f: (rank[f.target], rank[f.sources[0]]))


@dataclass(frozen=True)
class Bundle:
    """Arrows with the same data from (or to) every member of an organisation, drawn as one."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    arrow: Arrow          # one of them; all carry the same data

    @property
    def tail(self) -> str:
        """The drawn start: a partner, or ``org:<id>`` for a whole organisation."""
        return f"org:{self.sources[0]}" if len(self.sources) > 1 else self.sources[0]

    @property
    def head(self) -> str:
        return f"org:{self.targets[0]}" if len(self.targets) > 1 else self.targets[0]


def bundles(graph: nx.MultiDiGraph, flows: list[Arrow], by_organisation: bool = True) -> list[Bundle]:
    """Arrows grouped where an organisation and all its teams send (or receive) exactly the same data.

    Lossless: a bundle from an organisation stands for one identical arrow from each of its
    members. Everything that does not bundle stays a single arrow.
    """
    position = {n: i for i, n in enumerate(graph.nodes)}
    remaining = {(a.source, a.target): a for a in flows}
    out: list[Bundle] = []

    def take(sources: list[str], targets: list[str]) -> bool:
        found = [remaining.get((s, t)) for s in sources for t in targets]
        if any(a is None for a in found) or any(a.data != found[0].data for a in found):
            return False
        out.append(Bundle(tuple(sources), tuple(targets), found[0]))
        for s in sources:
            for t in targets:
                del remaining[(s, t)]
        return True

    orgs = organisations(graph) if by_organisation else {}
    for sorg, smembers in orgs.items():
        for torg, tmembers in orgs.items():
            if sorg == torg or (len(smembers) == 1 and len(tmembers) == 1) or take(smembers, tmembers):
                continue
            if len(smembers) > 1:
                for t in tmembers:
                    take(smembers, [t])
            if len(tmembers) > 1:
                for s in smembers:
                    take([s], tmembers)
    out += [Bundle((a.source,), (a.target,), a) for a in remaining.values()]
    return sorted(out, key=lambda b: (position[b.sources[0]], position[b.targets[0]], len(b.sources), len(b.targets)))


@dataclass
class Plan:
    """The drawing, engine-neutral: ends (partners, ``org:`` outlines, ``j<n>`` dots) and segments."""

    bundles: list[Bundle]
    junctions: dict[str, tuple[str, str, Arrow]] = field(default_factory=dict)   # id -> ("in"|"out", end, arrow)
    segments: list[tuple[str, str, Arrow, bool, bool]] = field(default_factory=list)  # tail, head, arrow, label?, head?
    compact: bool = False
    internal: list[Arrow] = field(default_factory=list)   # between an organisation and its own teams
    teams: list[TeamFlows] = field(default_factory=list)  # the same, grouped by recipient and data

    @property
    def labelled(self) -> list[tuple[str, str, Arrow, bool, bool]]:
        return [s for s in self.segments if s[3]]


def plan(graph: nx.MultiDiGraph, labels: Labels, by_organisation: bool = True) -> Plan:
    """Bundle arrows, then join arrows with the same data into (or out of) one end at a dot."""
    every = arrows(graph, labels)
    root = {m: org for org, members in organisations(graph).items() for m in members}
    internal = [a for a in every if by_organisation and root[a.source] == root[a.target]]
    flows = bundles(graph, [a for a in every if a not in internal], by_organisation)
    result = Plan(flows, internal=internal, teams=team_flows(internal, organisations(graph)))
    left = list(range(len(flows)))
    while True:
        groups: dict[tuple, list[int]] = {}
        for i in left:
            b = flows[i]
            groups.setdefault(("in", b.head, b.arrow.data), []).append(i)
            groups.setdefault(("out", b.tail, b.arrow.data), []).append(i)
        best = max(groups.items(), key=lambda kv: len(kv[1]), default=None)  # first of the largest: stable
        if best is None or len(best[1]) < 2:
            break
        (direction, end, _), members = best
        junction = f"_j{len(result.junctions)}"
        arrow = flows[members[0]].arrow
        result.junctions[junction] = (direction, end, arrow)
        if direction == "in":
            result.segments += [(flows[i].tail, junction, arrow, False, False) for i in members]
            result.segments.append((junction, end, arrow, True, True))
        else:
            result.segments.append((end, junction, arrow, True, False))
            result.segments += [(junction, flows[i].head, arrow, False, True) for i in members]
        left = [i for i in left if i not in members]
    result.segments += [(flows[i].tail, flows[i].head, flows[i].arrow, True, True) for i in left]
    result.compact = len(result.labelled) > COMPACT_ABOVE
    return result


def codes_used(p: Plan) -> list[tuple[str, str]]:
    """(code, label) of every top-level category on some arrow, in code order."""
    return sorted({code: name for _, _, a, *_ in p.segments for _, name, code, _ in a.groups}.items())


def node_label(graph: nx.MultiDiGraph, node: str, labels: Labels, drop: str | None = None) -> tuple[list[str], str]:
    """The lines of a partner's name (wrapped) and its kind label."""
    data = graph.nodes[node]
    name = short_name(str(data.get("name") or node), 66, drop)
    return wrap(name, 22, lines=3), labels.kind_label(data.get("kind"))

