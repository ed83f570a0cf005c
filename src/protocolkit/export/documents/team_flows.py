"""Flows between the teams of one partner, stage by stage: the table the agreement prints under each data-flow diagram.

The data-flow diagram draws an organisation (a partner with teams that are partners too) as
one outline, and inside it one line per team its own teams may send to. What each team may
send is listed here, from the same permitted flows and grouped the same way
(:func:`protocolkit.diagrams.dataflow.plan.team_flows`): one row per receiving team and the
data it may receive, naming every team that may send it. Together, the diagram and this table
account for every permitted flow between partners.
"""

from __future__ import annotations

from ...model.protocol import Protocol
from ...model.vocabulary import Vocabulary

HOW_SHARED = "may be shared"                              # the diagram's key, in its own words
HOW_MINIMUM = "a minimum only (summary or redacted)"
HOW_SENSITIVE = "includes special category or criminal offence data"


def team_flows_by_stage(protocol: Protocol, names, v: Vocabulary, flows=None) -> dict[str, list[list[str]]]:
    """For each stage id, the table's rows: [from (every sending team), to, what may go, how].

    ``names`` turns ids into plain names (the agreement context's ``_Names``); ``flows`` is
    ``permitted_flows(protocol)`` when already worked out. A stage with no flow between one
    partner's teams has no rows.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.model.vocabulary import Vocabulary
    >>> from protocolkit.export.documents.context import _Names
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> v = Vocabulary.of(p)
    >>> rows = team_flows_by_stage(p, _Names(p, v), v)["closure"]
    >>> for cell in rows[0]:
    ...     print(cell)
    Northbridge Council Children's Social Care; MASH decision makers (social work qualified)
    Northbridge Early Help and Supporting Families Service
    Children's social care: MASH outcome
    a minimum only (summary or redacted)
    """
    from ...diagrams._common import labels_for
    from ...diagrams.dataflow.plan import collapse, organisations_of, team_flows
    from ...graph.flows import permitted_flows

    orgs = organisations_of({p.id: p.part_of for p in protocol.partners})
    root = {m: org for org, members in orgs.items() for m in members if len(members) > 1}
    if flows is None:   # only the flows among teams: a fraction of the whole space
        flows = permitted_flows(protocol, senders=sorted(root), recipients=sorted(root))
    labels = labels_for(v)
    per_stage: dict[str, list[tuple]] = {s: [] for s in v.stage_ids}
    columns = [flows[c].tolist() for c in ("from", "to", "category", "outcome", "special", "criminal", "stage")]
    for source, target, category, outcome, special, criminal, stage in zip(*columns):
        if source != target and source in root and root[source] == root.get(target) and stage in per_stage:
            per_stage[stage].append((source, target, category, outcome, special, criminal))
    order = [p.id for p in protocol.partners]
    out = {}
    for stage, rows in per_stage.items():
        out[stage] = [[_senders(group.sources, names), names.partner(group.target), _data(group.arrow, names, labels),
                       _how(group.arrow)]
                      for group in team_flows(collapse(rows, order, labels), orgs)]
    return out


def _senders(sources: tuple[str, ...], names) -> str:
    return "; ".join(names.partner(s) for s in sources)


def _data(arrow, names, labels) -> str:
    """The categories, grouped under their top-level category: "Identity: name, date of birth; Health: ..."."""
    groups: dict[str, list[str]] = {}
    for c in arrow.categories:
        groups.setdefault(labels.top(c), []).append(c)
    parts = []
    for top in sorted(groups, key=labels.category_key):
        head = names.category(top)
        leaves = [names.category(c) if c != top else f"{head} as a whole" for c in groups[top]]
        parts.append(head if leaves == [f"{head} as a whole"] else f"{head}: {', '.join(leaves)}")
    return "; ".join(parts)


def _how(arrow) -> str:
    how = HOW_SHARED if arrow.share else HOW_MINIMUM
    return f"{how}; {HOW_SENSITIVE}" if arrow.sensitive else how
