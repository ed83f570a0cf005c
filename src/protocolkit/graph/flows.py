"""Permitted flows: every (sender, recipient, category, stage, purpose) the protocol lets go.

Derived from the engine's compiled tables, so a flow here can never disagree with
a decision: a flow is listed when some request for it is decided ``share`` or
``share_minimum``. With ``facts`` given, only requests with exactly those facts
count; without, a flow is permitted when *some* combination of facts lets it go,
and each way it can go (each deciding rule) is listed with the smallest fact
combination that reaches it, found exactly by :mod:`protocolkit.engine.space`.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from ..engine.decisions import sharing_of
from ..engine.compiled import NEED_CODES, OUTCOME_CODES, CompiledProtocol, compile_protocol
from ..engine.requests import check_value, encode_facts
from ..engine.space import Axis, explore
from ..engine.subject_space import linked_facts, subject_states, subject_table
from ..model.protocol import Protocol
from ..model.rules import REQUESTED_BY, SHARING_OUTCOMES, describe_requested_by

FLOW_COLUMNS = [
    "from", "to", "category", "stage", "purpose", "outcome", "rule", "rules", "conditions", "lawful_bases",
    "obligations", "need_to_know", "special", "criminal", "guarded", "facts", "requested_by", "about",
    "sharing", "decided_by",
]

GUARD = "owner_agreement_before_onward_disclosure"


def permitted_flows(protocol: Protocol | CompiledProtocol, stage: str | None = None, purpose: str | None = None,
                    facts: Mapping[str, str] | None = None, *, senders: Iterable[str] | None = None,
                    recipients: Iterable[str] | None = None, categories: Iterable[str] | None = None,
                    stages: Iterable[str] | None = None, purposes: Iterable[str] | None = None) -> pd.DataFrame:
    """Every permitted flow between two partners, one row per way it is permitted (deciding rule).

    A partner passing information to itself is not a flow and is never listed.

    Parameters
    ----------
    protocol : Protocol or CompiledProtocol
    stage, purpose : str, optional
        Restrict to one stage or purpose.
    facts : mapping, optional
        Fix the facts (unstated facts are ``unknown``); by default every combination counts.
    senders, recipients, categories, stages, purposes : iterable of str, optional
        Restrict to these partners, categories, stages and purposes (exactly these ids; the
        workbench uses this to recompute only the part of the space an edited rule can change).

    Returns
    -------
    DataFrame
        Columns :data:`FLOW_COLUMNS`; ``facts`` is the smallest fact combination under
        which the flow goes this way, ``requested_by`` and ``about`` who must have asked and
        whose data it must be (``None``: it goes whoever asked, or with no subject named),
        ``guarded`` says whether the owning agency's agreement is needed before passing it on,
        ``sharing`` whether it is a duty (``required``), a permission, or left to
        ``decided_by``'s judgement (``discretion``).

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.graph import permitted_flows
    >>> flows = permitted_flows(protocolkit.load(protocolkit.example_path("mash")), stage="referral")
    >>> set(flows["stage"]) == {"referral"}
    True
    >>> police = permitted_flows(protocolkit.load(protocolkit.example_path("mash")), stage="referral",
    ...                          senders=["police"])
    >>> police.equals(flows[flows["from"] == "police"].reset_index(drop=True))
    True
    """
    c = protocol if isinstance(protocol, CompiledProtocol) else compile_protocol(protocol)
    whole = stage is None and purpose is None and facts is None and senders is None and recipients is None \
        and categories is None and stages is None and purposes is None
    if whole:  # the whole protocol's flows: worked out once per rules in effect, each caller given its own copy
        table = c.derived.get(_EVERY_FLOW)
        if table is None:
            table = _permitted_flows(c, None, None, None, senders=None, recipients=None, categories=None,
                                     stages=None, purposes=None)
            c.derived[_EVERY_FLOW] = table
        return _copy(table)
    return _permitted_flows(c, stage, purpose, facts, senders=senders, recipients=recipients,
                            categories=categories, stages=stages, purposes=purposes)


_EVERY_FLOW = "graph.flows.permitted_flows"


def _copy(flows: pd.DataFrame) -> pd.DataFrame:
    """A copy of a flows table that shares nothing a caller can change with it (the ``facts`` cells are dicts)."""
    out = flows.copy(deep=True)
    out["facts"] = pd.Series([dict(f) for f in flows["facts"].tolist()], index=out.index, dtype=object)
    return out


def _permitted_flows(c: CompiledProtocol, stage, purpose, facts, *, senders, recipients, categories, stages,
                     purposes) -> pd.DataFrame:
    def codes(one: str | None, many: Iterable[str] | None, dimension, what: str) -> np.ndarray:
        chosen = [one] if one else (None if many is None else list(many))
        return np.array(range(len(dimension.values)) if chosen is None
                        else [check_value(x, dimension, what) for x in chosen], dtype=np.int64)

    stages, purposes = codes(stage, stages, c.stages, "stage"), codes(purpose, purposes, c.purposes, "purpose")
    every_partner = range(len(c.partners.values))
    froms = np.array(every_partner if senders is None else [check_value(p, c.partners, "partner") for p in senders],
                     dtype=np.int64)
    tos = np.array(every_partner if recipients is None else [check_value(p, c.partners, "partner") for p in recipients],
                   dtype=np.int64)
    kinds = np.array(range(len(c.categories.values)) if categories is None
                     else [check_value(x, c.categories, "category") for x in categories], dtype=np.int64)
    if c.words == 0:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    sharing = np.zeros(c.words, dtype=np.uint64)
    for bit, code in enumerate(c.bit_outcome):
        if OUTCOME_CODES[code] in SHARING_OUTCOMES:
            sharing[bit // 64] |= np.uint64(1 << (bit % 64))

    # each state carries the rule bits and, where the protocol has fallbacks, what settling them needs
    t = c.space_table
    bits = (t("from")[froms][:, None, None, None, None, :] & t("to")[tos][None, :, None, None, None, :]
            & t("category")[kinds][None, None, :, None, None, :] & t("stage")[stages][None, None, None, :, None, :]
            & t("purpose")[purposes][None, None, None, None, :, :])
    shape = bits.shape[:5]
    bits = bits.reshape(-1, c.space_words)
    fact_codes = None if facts is None else encode_facts(c, dict(facts))
    if fact_codes is not None and not c.links:  # with per-subject facts, whose data it is settles them (below)
        for f in range(len(c.facts)):
            bits &= t("fact", f)[fact_codes[f]]
    sharing_somewhere = (bits[:, :c.words] & sharing).any(axis=1).reshape(shape)
    sharing_somewhere[froms[:, None] == tos[None, :]] = False  # a partner does not share with itself
    candidates = np.flatnonzero(sharing_somewhere.reshape(-1))
    if len(candidates) == 0:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    patterns, inverse = _unique_rows(bits[candidates])
    entries = _entries(c, patterns, fact_codes)
    if entries.empty:
        return pd.DataFrame(columns=FLOW_COLUMNS)
    index = np.unravel_index(candidates, shape)
    rows = pd.DataFrame({
        "pattern": inverse.reshape(-1), "from_code": froms[index[0]], "to_code": tos[index[1]],
        "category_code": kinds[index[2]],
        "stage_code": stages[index[3]], "purpose_code": purposes[index[4]],
    })
    flows = rows.merge(entries, on="pattern", how="inner", sort=False)
    return _finish(c, flows)


def _unique_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(rows, axis=0, return_inverse=True)``, sorting one 64-bit key per row rather than whole rows.

    The key mixes the row's words; rows that share a key are then checked word by word, and
    the exact (slower) form is used if two different rows ever share one, so the answer is
    always the exact one.
    """
    if len(rows) == 0 or rows.shape[1] == 0:
        return np.unique(rows, axis=0, return_inverse=True)
    keys = np.zeros(len(rows), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for w in range(rows.shape[1]):  # splitmix64 over the words, one after the other
            z = (keys ^ rows[:, w]) + np.uint64(0x9E3779B97F4A7C15)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            keys = z ^ (z >> np.uint64(31))
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    patterns = rows[first]
    if not np.array_equal(patterns[inverse], rows):  # two different rows share a key: rare; stay exact
        return np.unique(rows, axis=0, return_inverse=True)
    order = np.lexsort(patterns.T[::-1])  # the order np.unique gives, so results do not depend on the keys
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return patterns[order], rank[inverse.reshape(-1)]


def _entries(c: CompiledProtocol, patterns: np.ndarray, fact_codes: np.ndarray | None) -> pd.DataFrame:
    """For each distinct matched-rules pattern: each sharing way it can be decided, with a witness."""
    # who asked, and whose data it is, are explored too where a rule looks at them (else they read "unstated")
    asked = Axis("requested_by", c.space_table("requested_by"), np.arange(len(REQUESTED_BY) if c.uses_requested_by else 1))
    subject_axis, subject_rows, linked = _subject_axis(c, fact_codes)
    free = [f for f in range(len(c.facts)) if fact_codes is None and f not in linked]
    axes = [Axis(c.facts[f].name, c.space_table("fact", f), np.arange(len(c.facts[f].values))) for f in free]
    space = explore([asked, subject_axis, *axes], c.space_words, start=patterns)
    states_bits, pattern_ids = space.bits, space.witness[:, 0]
    chosen = subject_rows[space.witness[:, 2]]  # [about code, linked fact codes...] of each state
    if fact_codes is not None:
        witnesses = np.tile(fact_codes, (len(space.bits), 1))
    else:
        witnesses = np.zeros((len(space.bits), len(c.facts)), dtype=np.int64)
        witnesses[:, free] = space.witness[:, 3:]
    witnesses[:, linked] = chosen[:, 1:]
    settled = c.settle_space(states_bits)
    states_bits, outcomes, deciders = settled.bits, settled.outcomes, settled.deciders
    keep = np.isin(np.array(OUTCOME_CODES)[outcomes], list(SHARING_OUTCOMES))
    records = {}
    for i in np.flatnonzero(keep):
        key = (int(pattern_ids[i]), int(deciders[i]))
        if key in records:
            continue
        winners = [c.rules[r] for r in c.winners(states_bits[i], int(deciders[i]))]
        rule = winners[0]
        facts = {d.name: d.values[code] for d, code in zip(c.facts, witnesses[i].tolist()) if code}
        about, asked_code = int(chosen[i, 0]), int(space.witness[i, 1])
        obligations = tuple(dict.fromkeys(str(o) for r in winners for o in r.obligations))
        mode, decided_by = sharing_of(winners)
        records[key] = {
            "sharing": mode, "decided_by": decided_by,
            "pattern": key[0], "outcome": rule.outcome, "rule": rule.id, "rules": tuple(r.id for r in winners),
            "conditions": "; ".join([cond.describe() for cond in rule.conditions()]
                                    + ([describe_requested_by(rule.requested_by)] if rule.requested_by != "any" else [])),
            "lawful_bases": tuple(dict.fromkeys(b for r in winners for b in r.lawful_bases)),
            "obligations": obligations, "guarded": any(o.partition(": ")[0] == GUARD for o in obligations),
            "facts": facts, "requested_by": REQUESTED_BY[asked_code] if asked_code else None,
            "about": c.subjects.values[about] if about else None,
        }
    return pd.DataFrame(list(records.values()))


def _subject_axis(c: CompiledProtocol, fact_codes: np.ndarray | None) -> tuple[Axis, np.ndarray, list[int]]:
    """One axis for whose data a request is about, with the facts tied to the subject explored beside it.

    A per-subject fact read for a role (``consent@victim``) is the subject's own value when the
    request is about that role (``docs/semantics.md`` section 16), so those facts and the subject
    are explored together and only consistent combinations are kept. With ``facts`` fixed, each
    subject's row carries the fixed facts as a request about that subject reads them. Returns the
    axis, its rows (``[about code, linked fact codes...]``) and the linked facts' positions.
    """
    subjects = np.arange(len(c.subjects.values) if c.uses_about else 1, dtype=np.int64)
    about_table = c.space_table("about") if c.about_bits is not None else \
        np.full((len(c.subjects.values), c.space_words), np.iinfo(np.uint64).max, dtype=np.uint64)
    linked = linked_facts(c) if fact_codes is None else []
    blocks = [([p], np.arange(len(c.facts[p].values), dtype=np.int64)[:, None]) for p in linked]
    rows, linked = subject_states(c, subjects, blocks)
    table = subject_table(c, rows, linked, about_table)
    if fact_codes is not None and c.links:  # the fixed facts, as a request about each subject reads them
        for k, about in enumerate(rows[:, 0].tolist()):
            codes = fact_codes.copy()
            for plain, role, role_read in c.links:
                if role == about and codes[plain]:
                    codes[role_read] = codes[plain]
            for f in range(len(c.facts)):
                table[k] &= c.space_table("fact", f)[codes[f]]
    return Axis("about", np.ascontiguousarray(table), np.arange(len(rows), dtype=np.int64)), rows, linked


def _finish(c: CompiledProtocol, flows: pd.DataFrame) -> pd.DataFrame:
    v = c.vocab
    partners = np.array(c.partners.values, dtype=object)
    categories = np.array(c.categories.values, dtype=object)
    need = c.need[flows["to_code"], flows["stage_code"], flows["purpose_code"], flows["category_code"]]
    out = pd.DataFrame({
        "from": partners[flows["from_code"]],
        "to": partners[flows["to_code"]],
        "category": categories[flows["category_code"]],
        "stage": np.array(c.stages.values, dtype=object)[flows["stage_code"]],
        "purpose": np.array(c.purposes.values, dtype=object)[flows["purpose_code"]],
        "outcome": flows["outcome"].to_numpy(),
        "rule": flows["rule"].to_numpy(),
        "rules": flows["rules"].to_numpy(),
        "conditions": flows["conditions"].to_numpy(),
        "lawful_bases": flows["lawful_bases"].to_numpy(),
        "obligations": flows["obligations"].to_numpy(),
        "need_to_know": np.array(NEED_CODES, dtype=object)[need],
        "special": np.array([v.is_special(x) for x in c.categories.values])[flows["category_code"]],
        "criminal": np.array([v.is_criminal(x) for x in c.categories.values])[flows["category_code"]],
        "guarded": flows["guarded"].to_numpy(dtype=bool),
        "facts": flows["facts"].to_numpy(),
        "requested_by": _none_for_missing(flows["requested_by"]),
        "about": _none_for_missing(flows["about"]),
        "sharing": _none_for_missing(flows["sharing"]),
        "decided_by": _none_for_missing(flows["decided_by"]),
    })
    order = [flows["from_code"], flows["to_code"], flows["stage_code"], flows["purpose_code"], flows["category_code"]]
    return out.iloc[np.lexsort(order[::-1])].reset_index(drop=True)[FLOW_COLUMNS]


def _none_for_missing(column: pd.Series) -> pd.Series:
    """A text column kept as objects, with ``None`` (never a float NaN) where the value is missing
    (a plain array of text and None would be read as pandas' text type, whose missing value is NaN)."""
    values = column.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return pd.Series(values, dtype=object)
