"""What a change to a protocol does to decisions: over the sample cases, and over every possible request.

A decision *changes* when its outcome, deciding rule, obligations, lawful bases,
sharing mode (a duty, a permission or a named person's discretion, and who decides) or
retention (how long the recipient keeps what is shared, ``docs/semantics.md`` section 18)
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

Retention is compared exactly in its own dimensions (:mod:`protocolkit.engine.retention_impact`: every rule
that shares in both versions x every recipient x every category, since a period depends on nothing else), and
reported as *kinds of sharing* whose period changes; the request counts of the space are for the other
fields. A change that only changes a period is still a change of decisions (:attr:`Impact.decisions_changed`),
and the sample cases compare retention request by request like the other fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..model.cases import Case
from ..model.protocol import Protocol

#: What a decision is compared on over the whole space (retention is compared by kind of sharing:
#: :func:`~protocolkit.engine.retention_impact.retention_changes`).
COMPARED = ("outcome", "rule", "obligations", "lawful_bases", "sharing", "decided_by")
#: What a sample case's decision is compared on: everything a decision carries, its retention included.
CASE_COMPARED = (*COMPARED, "retention")

CASE_IMPACT_COLUMNS = ["case", "step", "request", "from", "to", "category", "stage", "purpose",
                       "old_outcome", "new_outcome", "old_rule", "new_rule", "changed"]


@dataclass
class CaseImpact:
    """The requests of the sample cases whose decision changed.

    Attributes
    ----------
    changes : DataFrame
        One row per changed (request, category): :data:`CASE_IMPACT_COLUMNS`, ``changed``
        naming what changed (``outcome``, ``rule``, ``obligations``, ``lawful_bases``, ``sharing``,
        ``decided_by``, ``retention``).
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
    joined = before.join(after[list(CASE_COMPARED)].add_suffix("_new"), how="inner")
    rows = []
    for key, row in joined.iterrows():
        changed = [c for c in CASE_COMPARED if _norm(row[c]) != _norm(row[f"{c}_new"])]
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


SPACE_GROUP_COLUMNS = ["from", "to", "category", "stage", "purpose", "facts", "old_outcome", "new_outcome",
                       "old_rule", "new_rule", "changed", "requests", "about"]


@dataclass
class SpaceImpact:
    """Every possible request whose decision changed, grouped, with exact counts.

    Attributes
    ----------
    groups : DataFrame
        One row per distinct change (:data:`SPACE_GROUP_COLUMNS`): the smallest request that
        shows it (``from`` ... ``facts``), the two outcomes and deciding rules, what changed,
        and ``requests``, how many requests of the space change that way.
    space_size : int
        Requests in the joint space (every value either version knows).
    changed : int
        Requests whose decision changed.
    only_old, only_new : int
        Requests only one version can read (they name a partner, category, stage, purpose,
        fact or value the other lacks).
    """

    groups: pd.DataFrame
    space_size: int
    changed: int
    only_old: int
    only_new: int


def space_impact(old: Protocol, new: Protocol, renames: dict[str, str] | None = None) -> SpaceImpact:
    """Compare the decisions of two versions over every request either can read, exactly.

    The space is the one the guarantee checker explores: a partner sending to itself is
    no request, and fact states a version's fact constraints rule out are not requests of
    that version. Each version's decisions are the engine's own: the explored states'
    smallest requests are decided with :func:`~protocolkit.engine.decide_many` on both.

    Examples
    --------
    >>> import protocolkit
    >>> old = protocolkit.load(protocolkit.example_path("mash"))
    >>> same = space_impact(old, old)
    >>> same.changed, same.only_old, same.only_new, same.space_size > 10**9
    (0, 0, 0, True)
    """
    import itertools

    import numpy as np

    from .compiled import compile_protocol
    from .decisions import decide_many
    from .space import Axis, explore

    renames = renames or {}
    a, b = compile_protocol(old), compile_protocol(new)
    width_a, width_b = _space_words(a), _space_words(b)
    ones_a = np.full(width_a, np.iinfo(np.uint64).max, np.uint64)
    ones_b = np.full(width_b, np.iinfo(np.uint64).max, np.uint64)

    def joint(name, values, index_a, index_b, table_a, table_b):
        return _joint_rows(values, index_a, index_b, table_a, table_b, width_a, width_b)

    axes: list[Axis] = []
    decoders: list[tuple[tuple[str, ...], list[tuple[str, ...]]]] = []  # per axis: names, code -> values
    # senders and recipients: one axis of pairs, never a partner with itself
    partners = list(a.partners.values) + [v for v in b.partners.values if v not in a.partners.index]
    senders = joint("from", partners, a.partners.index, b.partners.index, _space_table(a, "from"), _space_table(b, "from"))
    recipients = joint("to", partners, a.partners.index, b.partners.index, _space_table(a, "to"), _space_table(b, "to"))
    pairs = [(i, j) for i in range(len(partners)) for j in range(len(partners)) if i != j]
    rows = np.array([senders[0][i] & recipients[0][j] for i, j in pairs], dtype=np.uint64).reshape(len(pairs), -1)
    tags = np.array([_tag(senders[1][i], recipients[1][j]) for i, j in pairs], dtype=np.int64)
    axes.append(Axis("from+to", rows, np.arange(len(pairs), dtype=np.int64), tags=tags))
    decoders.append((("from", "to"), [(partners[i], partners[j]) for i, j in pairs]))
    for name, da, db in (("category", a.categories, b.categories), ("stage", a.stages, b.stages),
                         ("purpose", a.purposes, b.purposes)):
        values = list(da.values) + [v for v in db.values if v not in da.index]
        rows, tags = joint(name, values, da.index, db.index, _space_table(a, name), _space_table(b, name))
        axes.append(Axis(name, rows, np.arange(len(values), dtype=np.int64), tags=tags))
        decoders.append(((name,), [(v,) for v in values]))
    # whose data (docs/semantics.md section 16): an axis where either version looks at it
    subjects = list(a.subjects.values) + [v for v in b.subjects.values if v not in a.subjects.index]
    uses_about = a.uses_about or b.uses_about
    about_rows = joint("about", subjects, a.subjects.index, b.subjects.index, _space_table(a, "about"),
                       _space_table(b, "about"))
    # facts: those tied by a constraint in either version form one axis of joint states; so do the subject and the
    # per-subject facts read for a named role, which agree with the subject's own value (section 16)
    facts_a = {d.name: (i, d) for i, d in enumerate(a.facts)}
    facts_b = {d.name: (i, d) for i, d in enumerate(b.facts)}
    fact_names = list(facts_a) + [f for f in facts_b if f not in facts_a]
    tied = set(_constrained_facts(a)) | set(_constrained_facts(b))
    linked = [(c.facts[plain].name, c.subjects.values[role], c.facts[read].name)
              for c in (a, b) for plain, role, read in c.links]
    tied |= {f for link in linked for f in (link[0], link[2])}

    def fact_values(fact):
        da, db = facts_a.get(fact, (None, None))[1], facts_b.get(fact, (None, None))[1]
        base = list(da.values if da else ["unknown"])  # a fact only the new version has: 'unknown' once
        return base + [v for v in (db.values if db else ()) if v not in base]

    def fact_rows(fact, values):
        (ia, da), (ib, db) = facts_a.get(fact, (None, None)), facts_b.get(fact, (None, None))
        table_a = _space_table(a, "fact", ia) if da else ones_a[None, :]
        table_b = _space_table(b, "fact", ib) if db else ones_b[None, :]
        return joint(fact, values, da.index if da else {"unknown": 0}, db.index if db else {"unknown": 0},
                     table_a, table_b)

    if not linked:
        axes.append(Axis("about", about_rows[0], np.arange(len(subjects) if uses_about else 1, dtype=np.int64),
                         tags=about_rows[1]))
        decoders.append((("about",), [(v,) for v in subjects]))
    group = [f for f in fact_names if f in tied]
    if group:
        domains = [fact_values(f) for f in group]
        per_fact = [fact_rows(f, vs) for f, vs in zip(group, domains)]
        if linked:
            group, domains, per_fact = ["about", *group], [subjects, *domains], [about_rows, *per_fact]
        states, rows, tags = [], [], []
        for combo in itertools.product(*[range(len(vs)) for vs in domains]):
            named = {f: domains[k][c] for k, (f, c) in enumerate(zip(group, combo))}
            if any(named["about"] == role and named[plain] != named[read] for plain, role, read in linked):
                continue  # about the victim, consent and consent@victim are one value: not a request
            tag = 0
            for k, c in enumerate(combo):
                tag = _tag(tag, int(per_fact[k][1][c]))
            tag = _tag(tag, _possibility_tag(a, b, {f: v for f, v in named.items() if f != "about"}))
            if tag == 3:
                continue  # a state neither version allows
            row = np.bitwise_and.reduce(np.array([per_fact[k][0][c] for k, c in enumerate(combo)]), axis=0)
            states.append(tuple(named[f] for f in group))
            rows.append(row)
            tags.append(tag)
        axes.append(Axis("+".join(group), np.array(rows, dtype=np.uint64).reshape(len(rows), -1),
                         np.arange(len(rows), dtype=np.int64), tags=np.array(tags, dtype=np.int64)))
        decoders.append((tuple(group), states))
    for fact in fact_names:
        if fact in tied:
            continue
        values = fact_values(fact)
        rows, tags = fact_rows(fact, values)
        axes.append(Axis(fact, rows, np.arange(len(values), dtype=np.int64), tags=tags))
        decoders.append(((fact,), [(v,) for v in values]))

    explored = explore(axes, width_a + width_b, count=True)
    tags = explored.tags
    in_old = ~np.isin(tags, (2, 3)).any(axis=1)
    in_new = ~np.isin(tags, (1, 3)).any(axis=1)
    both = in_old & in_new
    only_old = int(explored.counts[in_old & ~in_new].sum())
    only_new = int(explored.counts[in_new & ~in_old].sum())
    space_size = int(explored.counts.sum())
    witness = explored.witness[both]
    counts = explored.counts[both]
    named_rows = []
    for row in witness.tolist():
        named: dict[str, str] = {}
        for (names, table), code in zip(decoders, row):
            named.update(zip(names, table[code]))
        named_rows.append(named)
    frame = pd.DataFrame({"from": [r["from"] for r in named_rows], "to": [r["to"] for r in named_rows],
                          "categories": [[r["category"]] for r in named_rows],
                          "stage": [r["stage"] for r in named_rows], "purpose": [r["purpose"] for r in named_rows],
                          "about": [None if r["about"] == "unstated" else r["about"] for r in named_rows]})

    def decided(compiled, known: dict) -> pd.DataFrame:
        columns = {f: pd.Series([None if r[f] == "unknown" else r[f] for r in named_rows], dtype=object)
                   for f in fact_names if f in known}
        return decide_many(compiled, pd.concat([frame, pd.DataFrame(columns, index=frame.index)], axis=1),
                           detail="rules")

    rows_out = []
    changed_total = 0
    if len(frame):
        before, after = decided(a, facts_a), decided(b, facts_b)
        for i in range(len(frame)):
            old_row, new_row = before.iloc[i], after.iloc[i]
            old_rule = renames.get(old_row["rule"], old_row["rule"]) if isinstance(old_row["rule"], str) else None
            old_view = {"outcome": old_row["outcome"], "rule": old_rule, "obligations": old_row["obligations"],
                        "lawful_bases": old_row["lawful_bases"], "sharing": old_row["sharing"],
                        "decided_by": old_row["decided_by"]}
            changed = [c for c in COMPARED if _norm(old_view[c]) != _norm(new_row[c])]
            if not changed:
                continue
            changed_total += int(counts[i])
            stated = {f: named_rows[i][f] for f in fact_names if named_rows[i][f] != "unknown"}
            rows_out.append({
                "from": frame["from"][i], "to": frame["to"][i], "category": frame["categories"][i][0],
                "stage": frame["stage"][i], "purpose": frame["purpose"][i], "facts": stated,
                "about": frame["about"][i],
                "old_outcome": str(old_row["outcome"]), "new_outcome": str(new_row["outcome"]),
                "old_rule": old_row["rule"] if isinstance(old_row["rule"], str) else None,
                "new_rule": new_row["rule"] if isinstance(new_row["rule"], str) else None,
                "changed": changed, "requests": int(counts[i])})
    groups = pd.DataFrame(rows_out, columns=SPACE_GROUP_COLUMNS)
    return SpaceImpact(groups, space_size, changed_total, only_old, only_new)


def _tag(first: int, second: int) -> int:
    """Combine "which versions know this" tags: 0 both, 1 old only, 2 new only, 3 neither."""
    return first | second


def _constrained_facts(compiled) -> list[str]:
    facts = []
    for constraint in getattr(compiled.protocol, "fact_constraints", []) or []:
        for part in (constraint.if_, constraint.then, constraint.excludes):
            facts += [f for f in (part or {}) if f not in facts]
    return facts


def _possibility_tag(a, b, named: dict[str, str]) -> int:
    """0 when both versions' fact constraints allow the state, 1 when only the old's, 2 only the new's, 3 neither."""
    from .constraints import possible

    known_a = {f: v for f, v in named.items() if f in a.fact_index and v != "unknown"}
    known_b = {f: v for f, v in named.items() if f in b.fact_index and v != "unknown"}
    ok_a, ok_b = possible(a, known_a), possible(b, known_b)
    return (0 if ok_a else 2) | (0 if ok_b else 1) if (ok_a or ok_b) else 3


def _space_words(compiled) -> int:
    return getattr(compiled, "space_words", compiled.words)


def _space_table(compiled, axis: str, fact: int | None = None):
    if hasattr(compiled, "space_table"):
        return compiled.space_table(axis, fact) if axis == "fact" else compiled.space_table(axis)
    if axis == "fact":
        return compiled.fact_bits[fact]
    return {"from": compiled.from_bits, "to": compiled.to_bits, "category": compiled.category_bits,
            "stage": compiled.stage_bits, "purpose": compiled.purpose_bits}[axis]


def _joint_rows(values: list[str], index_a: dict, index_b: dict, table_a, table_b, width_a: int, width_b: int):
    """Rows over both versions (each value's rows side by side) and tags: 1 = only the old knows it, 2 = only the new."""
    import numpy as np

    rows = np.zeros((len(values), width_a + width_b), dtype=np.uint64)
    tags = np.zeros(len(values), dtype=np.int64)
    for code, value in enumerate(values):
        if value in index_a:
            rows[code, :width_a] = table_a[index_a[value]]
        if value in index_b:
            rows[code, width_a:] = table_b[index_b[value]]
        tags[code] = 0 if value in index_a and value in index_b else (1 if value in index_a else 2)
    return rows, tags


@dataclass
class Impact:
    """Everything a change does: what was edited, and which decisions and promises change.

    Attributes
    ----------
    changes : ProtocolChanges
        The declared differences, entry by entry.
    space : SpaceImpact
        Every possible request whose decision changed, exactly.
    cases : CaseImpact or None
        The sample cases' decisions that changed (None when no cases were given).
    guarantees : list of GuaranteeChange
    retention : list of RetentionChange
        Where the retention in effect changes (:mod:`protocolkit.engine.retention_impact`): by recipient,
        categories and rules, the periods before and after.
    """

    changes: object
    space: SpaceImpact
    cases: CaseImpact | None
    guarantees: list[GuaranteeChange]
    retention: list = field(default_factory=list)

    @property
    def decisions_changed(self) -> bool:
        """Whether any decision changed, anywhere (the space, the cases, the guarantees' verdicts, or how long a
        recipient keeps what is shared: a decision carries its retention, ``docs/semantics.md`` section 18)."""
        return bool(self.space.changed or self.space.only_old or self.space.only_new
                    or (self.cases is not None and len(self.cases.changes)) or self.guarantees or self.retention)

    @property
    def only_retention_changed(self) -> bool:
        """Whether the only decisions that change are in how long the recipients keep what is shared: every
        request keeps its outcome, rule, bases, duties and sharing mode, and the promises their verdicts.

        Examples
        --------
        >>> import protocolkit
        >>> old = protocolkit.load(protocolkit.example_path("mash"))
        >>> new = old.model_copy(deep=True)
        >>> new.defaults[[d.id for d in new.defaults].index("marac_retention")].retention[0].duration = "P2Y"
        >>> result = impact(old, new)
        >>> result.decisions_changed, result.only_retention_changed, result.space.changed, len(result.retention)
        (True, True, 0, 1)
        """
        others = bool(self.space.changed or self.space.only_old or self.space.only_new or self.guarantees
                      or (self.cases is not None and any(set(c) - {"retention"} for c in self.cases.changes["changed"])))
        return bool(self.retention) and not others


def impact(old: Protocol, new: Protocol, cases: list[Case] | None = None) -> Impact:
    """The semantic diff of two protocol versions and its exact impact on decisions.

    Examples
    --------
    >>> import protocolkit
    >>> old = protocolkit.load(protocolkit.example_path("mash"))
    >>> new = old.model_copy(deep=True)
    >>> new.rule("R-GEN-01").outcome = "escalate"
    >>> new.rule("R-GEN-01").escalate_to = "the DPO"
    >>> result = impact(old, new)
    >>> result.decisions_changed, result.space.changed > 0
    (True, True)
    >>> sorted(set(zip(result.space.groups["old_outcome"], result.space.groups["new_outcome"])))
    [('refuse', 'escalate'), ('refuse', 'refuse')]
    """
    from ..model.compare import compare_protocols
    from .retention_impact import retention_changes

    changes = compare_protocols(old, new)
    renames = {e.old_id: e.id for e in changes.in_section("rules") if e.change == "renamed"}
    return Impact(changes=changes, space=space_impact(old, new, renames),
                  cases=case_impact(old, new, cases, renames) if cases is not None else None,
                  guarantees=guarantee_changes(old, new), retention=retention_changes(old, new, renames))
