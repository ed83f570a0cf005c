"""What each partner may receive from the others: the tables behind the lane and heatmap views.

Three tables, each derived from :func:`~protocolkit.graph.flows.permitted_flows` (so from the
decision engine): :func:`received` (one row per recipient, stage and category, with the best
outcome), :func:`lane_table` (per partner and stage: how many categories, how many only as a
minimum, and under which top-level groups) and :func:`exposure_matrix` (per stage, partner and
category or top-level group: may receive in full, a minimum only, or not). Partners come in
family order and categories in vocabulary order (:mod:`protocolkit.model.families`).
:mod:`protocolkit.diagrams` draws them.
"""

from __future__ import annotations

from collections import Counter
from difflib import get_close_matches
from typing import Mapping

import pandas as pd

from ..errors import UnknownValueError
from ..model.families import Groups, partners_by_family
from ..model.outcomes import Outcome
from ..model.protocol import Protocol
from ..model.vocabulary import Vocabulary
from .flows import permitted_flows

RECEIVED_COLUMNS = ["to", "stage", "category", "outcome"]
LANE_COLUMNS = ["partner", "stage", "categories", "minimum", "groups"]
MATRIX_COLUMNS = ["stage", "partner", "column", "group", "level", "received", "of"]

#: Panels (stages) -> most category columns :func:`exposure_matrix` shows one by one; beyond, top-level groups.
LEAVES_UP_TO = {1: 80, 2: 40}
LEAVES_OTHERWISE = 24


def received(flows: pd.DataFrame) -> pd.DataFrame:
    """What each partner may receive from others: one row per (to, stage, category) with the best outcome.

    ``flows`` is :func:`protocolkit.graph.permitted_flows` (or a graph's edges); a partner's
    flows to itself are left out, since they expose nothing to anyone new. ``outcome`` is
    ``share`` when some sender may share the category in full, else ``share_minimum``.

    Examples
    --------
    >>> flows = pd.DataFrame({"from": ["school", "police", "csc"], "to": ["csc", "csc", "csc"],
    ...                       "stage": "referral", "category": ["identity.name"] * 3,
    ...                       "outcome": ["share_minimum", "share", "share"]})
    >>> received(flows)
        to     stage       category outcome
    0  csc  referral  identity.name   share
    """
    if flows.empty:
        return pd.DataFrame(columns=RECEIVED_COLUMNS)
    others = flows[flows["from"] != flows["to"]]
    marked = others.assign(full=others["outcome"] == Outcome.SHARE)
    full = marked.groupby(["to", "stage", "category"], sort=False)["full"].any()
    out = full.reset_index()
    out["outcome"] = out["full"].map({True: Outcome.SHARE.value, False: Outcome.SHARE_MINIMUM.value})
    return out.drop(columns="full")


def stages_up_to(vocabulary: Vocabulary, stage: str | None) -> list[str]:
    """The stages in order, up to and including ``stage`` (all of them without one).

    Raises
    ------
    UnknownValueError
        ``stage`` is not a stage of the protocol (with the closest ids, or all of them).

    Examples
    --------
    >>> import protocolkit
    >>> v = Vocabulary.of(protocolkit.load(protocolkit.example_path("mash")))
    >>> stages_up_to(v, "screening")
    ['referral', 'screening']
    >>> stages_up_to(v, "screenig")
    Traceback (most recent call last):
    ...
    protocolkit.errors.UnknownValueError: unknown stage 'screenig'; did you mean 'screening'?
    """
    stages = list(vocabulary.stage_ids)
    if stage is None:
        return stages
    if stage not in stages:
        raise UnknownValueError("stage", stage, get_close_matches(stage, stages, n=3) or stages)
    return stages[:stages.index(stage) + 1]


def lane_table(protocol: Protocol, stage: str | None = None, purpose: str | None = None,
               facts: Mapping[str, str] | None = None, *, flows: pd.DataFrame | None = None) -> pd.DataFrame:
    """What each partner may receive at each stage: one row per partner and stage.

    Returns a DataFrame with columns ``partner``, ``stage``, ``categories`` (how many it may
    receive), ``minimum`` (how many of those only as a minimum) and ``groups`` (top-level
    category -> count, largest first). Partners come in family order. With ``stage``, the
    stages up to and including it. ``flows``: ``permitted_flows(protocol, purpose=purpose,
    facts=facts)`` when already worked out (the lanes drawn beside the stages' data flows).

    Examples
    --------
    >>> import protocolkit
    >>> t = lane_table(protocolkit.load(protocolkit.example_path("mash")), stage="referral")
    >>> list(t.columns)
    ['partner', 'stage', 'categories', 'minimum', 'groups']
    >>> t[t["partner"] == "probation"].iloc[0].to_dict()
    {'partner': 'probation', 'stage': 'referral', 'categories': 6, 'minimum': 6, 'groups': {'criminal': 6}}
    """
    v = Vocabulary.of(protocol)
    groups = Groups(v)
    stages = stages_up_to(v, stage)
    rec = received(permitted_flows(protocol, purpose=purpose, facts=facts) if flows is None else flows)
    rows = []
    for partner in partners_by_family(protocol, groups):
        mine = rec[rec["to"] == partner.id]
        for s in stages:
            cells = mine[mine["stage"] == s]
            counts = Counter(groups.top(c) for c in cells["category"])
            by_group = {t: counts[t] for t in sorted(counts, key=lambda t: (-counts[t], groups.category_key(t)))}
            rows.append({"partner": partner.id, "stage": s, "categories": len(cells),
                         "minimum": int((cells["outcome"] == Outcome.SHARE_MINIMUM).sum()), "groups": by_group})
    return pd.DataFrame(rows, columns=LANE_COLUMNS)


def exposure_matrix(protocol: Protocol, stage: str | None = None, purpose: str | None = None,
                    facts: Mapping[str, str] | None = None, leaves: bool | None = None) -> pd.DataFrame:
    """Partners by data categories, stage by stage: one row per (stage, partner, column).

    Columns: ``stage``, ``partner``, ``column`` (a category, or a top-level category when
    grouped), ``group`` (its top-level category), ``level`` (2 may receive in full, 1 only
    a minimum, 0 not), ``received`` and ``of`` (categories of the column received, and in it).
    ``leaves`` (by default: when the categories are few enough to read) shows every category
    as its own column; otherwise a column is a top-level group. ``attrs["leaves"]`` says which.

    Examples
    --------
    >>> import protocolkit
    >>> m = exposure_matrix(protocolkit.load(protocolkit.example_path("mash")), stage="referral", leaves=False)
    >>> sorted(set(m["level"]))
    [0, 1, 2]
    >>> cell = m[(m["partner"] == "childrens_social_care") & (m["column"] == "identity")]
    >>> cell[["level", "received", "of"]].values.tolist()
    [[2, 4, 10]]
    """
    v = Vocabulary.of(protocol)
    groups = Groups(v)
    stages = [stage] if stage else list(v.stage_ids)
    if stage:
        stages_up_to(v, stage)
    flows = permitted_flows(protocol, purpose=purpose, facts=facts)
    rec = received(flows)
    categories = sorted(set(flows["category"]) if len(flows) else set(), key=groups.category_key)
    if leaves is None:
        leaves = len(categories) <= LEAVES_UP_TO.get(len(stages), LEAVES_OTHERWISE)
    columns = categories if leaves else sorted({groups.top(c) for c in categories}, key=groups.category_key)
    members = {col: ([col] if leaves else [c for c in categories if groups.top(c) == col]) for col in columns}
    best = {(r.stage, r.to, r.category): (2 if r.outcome == Outcome.SHARE else 1) for r in rec.itertuples(index=False)}
    rows = []
    for s in stages:
        for partner in partners_by_family(protocol, groups):
            for col in columns:
                levels = [best.get((s, partner.id, c), 0) for c in members[col]]
                got = sum(1 for x in levels if x)
                rows.append({"stage": s, "partner": partner.id, "column": col, "group": groups.top(col),
                             "level": max(levels, default=0), "received": got, "of": len(members[col])})
    out = pd.DataFrame(rows, columns=MATRIX_COLUMNS)
    out.attrs["leaves"] = leaves
    return out


__all__ = ["LANE_COLUMNS", "MATRIX_COLUMNS", "RECEIVED_COLUMNS", "exposure_matrix", "lane_table", "received",
           "stages_up_to"]
