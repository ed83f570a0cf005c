"""What a change to a protocol does to decisions: over the sample cases, and over every possible request.

A decision *changes* when its outcome, deciding rule, obligations or lawful bases
differ between the two versions. A rule that was only renamed (same content, new id)
does not change a decision by its new name: ids are compared through the renames
that :func:`protocolkit.model.compare.compare_protocols` found.

The whole-space impact is exact, as the guarantee checker is: both versions are
compiled, every request dimension is taken over the union of the two versions' values,
and the space is explored one dimension at a time (:mod:`protocolkit.engine.space`)
over the *pair* of rule bitsets, so every distinct pair of decisions is found with the
smallest request that reaches it and the number of requests that do. Requests that
only one version can read (a partner, category or fact value the other lacks) are
counted apart, as added to or removed from the space. Nothing is sampled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..model.cases import Case
from ..model.protocol import Protocol

#: What a decision is compared on.
COMPARED = ("outcome", "rule", "obligations", "lawful_bases")

CASE_IMPACT_COLUMNS = ["case", "step", "request", "from", "to", "category", "stage", "purpose",
                       "old_outcome", "new_outcome", "old_rule", "new_rule", "changed"]


@dataclass
class CaseImpact:
    """The requests of the sample cases whose decision changed.

    Attributes
    ----------
    changes : DataFrame
        One row per changed (request, category): :data:`CASE_IMPACT_COLUMNS`, ``changed``
        naming what changed (``outcome``, ``rule``, ``obligations``, ``lawful_bases``).
    compared : int
        How many (request, category) decisions were compared.
    problems : list of str
        Why the cases could not run on a version, if they could not.
    """

    changes: pd.DataFrame
    compared: int = 0
    problems: list[str] = field(default_factory=list)


def case_impact(old: Protocol, new: Protocol, cases: list[Case], renames: dict[str, str] | None = None) -> CaseImpact:
    """Run the sample cases on both versions and list every decision that changed.

    Parameters
    ----------
    old, new : Protocol
    cases : list of Case
    renames : dict, optional
        Old rule id -> new rule id, for rules only renamed.

    Examples
    --------
    >>> import protocolkit
    >>> old = protocolkit.load(protocolkit.example_path("mash"))
    >>> cases = protocolkit.load_cases(protocolkit.example_path("mash"))
    >>> case_impact(old, old, cases).changes.empty
    True
    """
    from ..errors import ProtocolValidationError, UnknownValueError
    from .cases import run_cases

    renames = renames or {}
    frames = []
    problems = []
    for label, protocol in (("old", old), ("new", new)):
        try:
            frames.append(run_cases(protocol, cases, explain=False).decisions)
        except (ProtocolValidationError, UnknownValueError) as exc:
            problems.append(f"the sample cases cannot run on the {label} version: {str(exc).splitlines()[0]}")
    if problems:
        return CaseImpact(pd.DataFrame(columns=CASE_IMPACT_COLUMNS), 0, problems)
    keys = ["case", "step", "request", "category"]
    before, after = (f.set_index(keys) for f in frames)
    before = before.copy()
    before["rule"] = before["rule"].map(lambda r: renames.get(r, r) if isinstance(r, str) else r)
    before["deciding_rules"] = before["deciding_rules"].map(lambda rs: [renames.get(r, r) for r in rs])
    joined = before.join(after[list(COMPARED)], rsuffix="_new", how="inner")
    rows = []
    for key, row in joined.iterrows():
        changed = [c for c in COMPARED if _norm(row[c]) != _norm(row[f"{c}_new"])]
        if changed:
            rows.append({**dict(zip(keys, key)), "from": row["from"], "to": row["to"], "stage": row["stage"],
                         "purpose": row["purpose"], "old_outcome": row["outcome"], "new_outcome": row["outcome_new"],
                         "old_rule": row["rule"], "new_rule": row["rule_new"], "changed": changed})
    changes = pd.DataFrame(rows, columns=CASE_IMPACT_COLUMNS)
    if len(changes):  # the request's place in its step, counted from 1, as the case file lists it
        firsts = after.reset_index().groupby(["case", "step"])["request"].min()
        changes["request"] = [int(r) - int(firsts[(c, s)]) + 1 for c, s, r in
                              zip(changes["case"], changes["step"], changes["request"])]
    return CaseImpact(changes, len(joined), problems)


@dataclass(frozen=True)
class GuaranteeChange:
    """A guarantee whose verdict differs between the versions (or that exists in one only)."""

    id: str
    statement: str
    old: str  # "proven", "violated" or "absent"
    new: str


def guarantee_changes(old: Protocol, new: Protocol) -> list[GuaranteeChange]:
    """Guarantees proven in one version and violated (or absent) in the other.

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> guarantee_changes(p, p)
    []
    """
    from .guarantees import check_guarantees

    def verdicts(protocol: Protocol) -> dict[str, tuple[str, str]]:
        return {r.guarantee.id: ("proven" if r.proven else "violated", r.guarantee.statement)
                for r in check_guarantees(protocol).results}

    before, after = verdicts(old), verdicts(new)
    out = []
    for gid in list(before) + [g for g in after if g not in before]:
        b, a = before.get(gid, ("absent", "")), after.get(gid, ("absent", ""))
        if b[0] != a[0]:
            out.append(GuaranteeChange(gid, a[1] or b[1], b[0], a[0]))
    return out


def _norm(value):
    if isinstance(value, float) and value != value:  # NaN: no rule
        return None
    if isinstance(value, (list, tuple)):
        return tuple(sorted(map(str, value)))
    return value
