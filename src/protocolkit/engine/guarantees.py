"""Checking guarantees exactly over every possible request.

Each guarantee (see :mod:`protocolkit.model.guarantees`) is decided over the
whole finite space of its scope: senders x recipients x categories x stages x
purposes x every combination of fact values, ``unknown`` included. The space is
explored by dimension decomposition (:mod:`protocolkit.engine.space`), which is
exact: a guarantee is either proven for every request, or violated with the
smallest counterexample (the first violating request in the order senders,
recipients, categories, stages, purposes, facts, as the protocol lists them;
``unknown`` before any stated value). The counterexample is then decided again
by :func:`~protocolkit.engine.decide`, so its explanation is the engine's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..model.guarantees import Guarantee, obligation_meets
from ..model.outcomes import SHARING_OUTCOMES
from ..model.protocol import Protocol
from ..model.rules import REQUESTED_BY, SHARING_MODES, Obligation, describe_about, describe_requested_by
from .compiled import OUTCOME_CODES, CompiledProtocol, compile_protocol, fingerprint
from .constraints import compiled_constraints
from .decisions import Decision, decide
from .requests import Request
from .space import Axis, explore
from .subject_space import linked_facts, subject_states, subject_table

METHOD = "exact, by dimension decomposition"


@dataclass(frozen=True)
class GuaranteeResult:
    """The verdict on one guarantee.

    Attributes
    ----------
    guarantee : Guarantee
    proven : bool
    space_size : int
        How many possible requests the guarantee's scope holds (all were covered).
    states : int
        Distinct combinations of matched rules the check had to look at.
    counterexample : Request or None
        The smallest violating request.
    decision : Decision or None
        The engine's decision on the counterexample.
    explanation : str
        Why the guarantee holds, or how the counterexample breaks it.
    method : str
    """

    guarantee: Guarantee
    proven: bool
    space_size: int
    states: int
    counterexample: Request | None
    decision: Decision | None
    explanation: str
    method: str = METHOD

    @property
    def rule(self) -> str | None:
        """The rule that decided the counterexample, if any."""
        return self.decision.rule if self.decision else None

    def as_dict(self) -> dict:
        """Plain data for JSON and tables."""
        c = self.counterexample
        return {
            "guarantee": self.guarantee.id, "kind": self.guarantee.kind, "statement": self.guarantee.statement,
            "proven": self.proven, "space_size": self.space_size, "states": self.states, "method": self.method,
            "counterexample": None if c is None else {
                "from": c.sender, "to": c.recipient, "categories": list(c.categories), "stage": c.stage,
                "purpose": c.purpose, "facts": dict(c.facts), "requested_by": c.initiative,
                **({"about": c.about} if c.about else {})},
            "outcome": self.decision.outcome if self.decision else None,
            "rule": self.rule, "explanation": self.explanation,
        }


@dataclass
class GuaranteeReport:
    """Every guarantee's verdict."""

    results: list[GuaranteeResult] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.proven for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.proven for r in self.results)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def to_frame(self) -> pd.DataFrame:
        """One row per guarantee."""
        return pd.DataFrame([r.as_dict() for r in self.results],
                            columns=["guarantee", "kind", "statement", "proven", "space_size", "states", "method",
                                     "counterexample", "outcome", "rule", "explanation"])


def check_guarantees(protocol: Protocol) -> GuaranteeReport:
    """Check every guarantee of a protocol.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.engine.guarantees import check_guarantees
    >>> report = check_guarantees(protocolkit.load(protocolkit.example_path("mash")))
    >>> report.ok, len(report.results) >= 8
    (True, True)
    """
    # proofs depend on the content only: an export asks for them several times (the agreement's promises,
    # the review), so the last few reports are kept by the content's fingerprint
    key = fingerprint(protocol)
    report = _REPORTS.get(key)
    if report is None:
        compiled = compile_protocol(protocol)   # once for every guarantee (each lookup hashes the whole protocol)
        report = GuaranteeReport([check_guarantee(protocol, g, compiled=compiled) for g in protocol.guarantees])
        _REPORTS[key] = report
        while len(_REPORTS) > 4:
            del _REPORTS[next(iter(_REPORTS))]
    # each result names this caller's own guarantee objects (equal in content)
    return GuaranteeReport([replace(r, guarantee=g) for r, g in zip(report.results, protocol.guarantees)])


_REPORTS: dict[str, GuaranteeReport] = {}


def axis_order(guarantee: Guarantee, compiled: CompiledProtocol) -> list[str]:
    """The order of dimensions in which counterexamples are smallest-first.

    Facts come in protocol order, except that facts tied together by fact constraints are taken
    together, at the place of the first of them (``docs/semantics.md`` section 11).
    """
    positions = list(range(len(compiled.facts)))
    for group in compiled_constraints(compiled).groups:
        rest = [p for p in positions if p not in group[1:]]
        at = rest.index(group[0])
        positions = rest[:at] + group + rest[at + 1:]
    facts = [f"fact:{compiled.facts[p].name}" for p in positions]
    if guarantee.kind == "need_to_know":
        return ["to", "from", "category", "stage", "purpose", "requested_by", "about", *facts]
    return ["from", "to", "category", "stage", "purpose", "requested_by", "about", *facts]


@dataclass
class Layout:
    """The axes a check explores, and how each axis's codes read back as request dimensions.

    The sender and recipient are one axis of pairs (a partner never sends to itself, as in
    the partner graph); facts tied by constraints are one axis of their possible states.
    """

    axes: list[Axis]
    names: list[tuple[str, ...]]
    lookups: list[np.ndarray | None]  # per axis: code -> dimension codes (None: the code is the dimension code)

    def decode(self, witness: np.ndarray) -> dict[str, int]:
        """A witness row as dimension name -> code."""
        out: dict[str, int] = {}
        for names, lookup, code in zip(self.names, self.lookups, witness.tolist()):
            values = [code] if lookup is None else lookup[code].tolist()
            out.update(zip(names, values))
        return out

    def column(self, witness: np.ndarray, name: str) -> np.ndarray:
        """The codes of one dimension across witness rows."""
        for i, (names, lookup) in enumerate(zip(self.names, self.lookups)):
            if name in names:
                return witness[:, i] if lookup is None else lookup[witness[:, i], names.index(name)]
        raise KeyError(name)

    @property
    def space_size(self) -> int:
        size = 1
        for axis in self.axes:
            size *= int(len(axis.allowed))
        return size


def layout(compiled: CompiledProtocol, guarantee: Guarantee) -> Layout:
    """The joint axes of a guarantee's space: sender-recipient pairs without self-flows, tied facts' possible states."""
    order = axis_order(guarantee, compiled)
    single = scope_axes(compiled, guarantee)
    first, second = single[order[0]], single[order[1]]
    a, b = np.sort(first.allowed), np.sort(second.allowed)
    grid_a, grid_b = np.repeat(a, len(b)), np.tile(b, len(a))
    keep = grid_a != grid_b
    pairs = np.column_stack([grid_a[keep], grid_b[keep]]).astype(np.int64)
    table = (first.table[pairs[:, 0]] & second.table[pairs[:, 1]] if len(pairs)
             else np.zeros((0, compiled.space_words), np.uint64))
    tags = None
    if guarantee.kind == "only_via":
        sender_tag = dict(zip(np.asarray(single["from"].allowed).tolist(), single["from"].tags.tolist()))
        tags = np.array([sender_tag[s] for s in pairs[:, 0].tolist()], dtype=np.int64)
    elif guarantee.kind == "need_to_know":
        tags = pairs[:, 0].copy()  # the recipient, whose profile decides
    axes = [Axis(f"{order[0]}+{order[1]}", table, np.arange(len(pairs), dtype=np.int64), tags=tags)]
    names: list[tuple[str, ...]] = [(order[0], order[1])]
    lookups: list[np.ndarray | None] = [pairs]
    constraints = compiled_constraints(compiled)
    tied = {compiled.facts[g[0]].name: (g, states) for g, states in zip(constraints.groups, constraints.states)}
    subject_names: set[str] = set()
    index = 2
    while index < len(order):
        name = order[index]
        fact = name.removeprefix("fact:")
        if name in subject_names:
            index += 1
            continue
        if name == "about" and compiled.links:
            axis, group_names, kept = _subject_axis(compiled, single, tied)
            axes.append(axis)
            names.append(group_names)
            lookups.append(kept)
            subject_names.update(group_names)
            index += 1
            continue
        if name.startswith("fact:") and fact in tied:
            group, states = tied[fact]
            group_names = tuple(f"fact:{compiled.facts[p].name}" for p in group)
            ok = np.ones(len(states), dtype=bool)
            rows = np.full((len(states), compiled.space_words), np.iinfo(np.uint64).max, dtype=np.uint64)
            for k, p in enumerate(group):
                ok &= np.isin(states[:, k], single[group_names[k]].allowed)
                rows &= compiled.space_table("fact", p)[states[:, k]]
            kept = states[ok]
            axes.append(Axis("+".join(group_names), rows[ok], np.arange(len(kept), dtype=np.int64)))
            names.append(group_names)
            lookups.append(kept)
            index += len(group)
        else:
            axes.append(single[name])
            names.append((name,))
            lookups.append(None)
            index += 1
    return Layout(axes, names, lookups)


def _subject_axis(compiled: CompiledProtocol, single: dict[str, Axis], tied: dict) -> tuple[Axis, tuple, np.ndarray]:
    """The joint axis of whose data a request is about and the per-subject facts some rule reads for a named role
    (``docs/semantics.md`` section 16): in a request about the victim, ``consent`` (the subject's value) and
    ``consent@victim`` are one value, so only states where they agree are requests. Facts tied to these by fact
    constraints join the axis with their possible states."""
    linked = linked_facts(compiled)
    blocks: list[tuple[list[int], np.ndarray]] = []  # (fact positions, allowed code rows)
    covered: set[int] = set()
    for group, states in tied.values():
        if covered.isdisjoint(group) and not set(group).isdisjoint(linked):
            blocks.append((list(group), states))
            covered.update(group)
    for p in linked:
        if p not in covered:
            blocks.append(([p], np.arange(len(compiled.facts[p].values), dtype=np.int64)[:, None]))
            covered.add(p)
    about = np.sort(np.asarray(single["about"].allowed, dtype=np.int64))
    rows, positions = subject_states(compiled, about, blocks)
    ok = np.ones(len(rows), dtype=bool)
    for k, p in enumerate(positions):
        ok &= np.isin(rows[:, 1 + k], single[f"fact:{compiled.facts[p].name}"].allowed)
    kept = rows[ok]
    table = subject_table(compiled, kept, positions)
    group_names = ("about", *(f"fact:{compiled.facts[p].name}" for p in positions))
    return Axis("+".join(group_names), np.ascontiguousarray(table), np.arange(len(kept), dtype=np.int64)), \
        group_names, kept


def scope_axes(compiled: CompiledProtocol, guarantee: Guarantee) -> dict[str, Axis]:
    """The axes of a guarantee's scope, with the tags its kind needs."""
    v = compiled.vocab

    def codes(dimension, values) -> np.ndarray:
        return np.array(sorted(dimension.index[x] for x in values if x in dimension.index), dtype=np.int64)

    senders = codes(compiled.partners, v.partners_in(guarantee.from_))
    sender_tags = None
    if guarantee.kind == "only_via":
        via = v.partners_in(guarantee.via)
        sender_tags = np.array([int(compiled.partners.values[c] in via) for c in senders], dtype=np.int64)
    keep_need = guarantee.kind == "need_to_know"
    table = compiled.space_table  # rule bits, and what settling fallbacks needs (docs/semantics.md section 5)
    axes = {
        "from": Axis("from", table("from"), senders, tags=sender_tags),
        "to": Axis("to", table("to"), codes(compiled.partners, v.partners_in(guarantee.to)), keep=keep_need),
        "category": Axis("category", table("category"), codes(compiled.categories, v.categories_in(guarantee.categories)),
                         keep=keep_need),
        "stage": Axis("stage", table("stage"), codes(compiled.stages, v.stages_in(guarantee.stages)), keep=keep_need),
        "purpose": Axis("purpose", table("purpose"), codes(compiled.purposes, v.purposes_in(guarantee.purposes)),
                        keep=keep_need),
    }
    # who asked is a dimension of the space only where some rule looks at it; otherwise every request reads "unstated"
    asked = np.arange(len(REQUESTED_BY) if compiled.uses_requested_by else 1, dtype=np.int64)
    axes["requested_by"] = Axis("requested_by", table("requested_by"), asked)
    # whose data likewise: a dimension only where it can change a decision (or the guarantee limits it)
    about_scope = getattr(guarantee, "about", "any")
    if about_scope != "any":
        about = np.array(sorted(compiled.subjects.index[r] for r in about_scope if r in compiled.subjects.index),
                         dtype=np.int64)
    else:
        about = np.arange(len(compiled.subjects.values) if compiled.uses_about else 1, dtype=np.int64)
    axes["about"] = Axis("about", table("about"), about)
    conditions = {c.fact: c for c in _conditions(guarantee)}
    for f, dimension in enumerate(compiled.facts):
        allowed = np.arange(len(dimension.values), dtype=np.int64)
        if dimension.name in conditions:
            ok = conditions[dimension.name].allowed(v.fact(dimension.name))
            allowed = np.array([i for i, value in enumerate(dimension.values) if value in ok], dtype=np.int64)
        axes[f"fact:{dimension.name}"] = Axis(dimension.name, table("fact", f), allowed)
    return axes


def _conditions(guarantee: Guarantee):
    from ..model.rules import Condition

    return [Condition.parse(fact, raw) for fact, raw in guarantee.when.items()]


def _obligation_present(compiled: CompiledProtocol, winners: np.ndarray, required: Obligation | str,
                        bits: np.ndarray | None = None, shared: np.ndarray | None = None,
                        fallbacks: np.ndarray | None = None) -> np.ndarray:
    """Whether each state's decision carries an obligation that meets ``required`` (a type, or a type with a
    timing and a deadline, :func:`~protocolkit.model.guarantees.obligation_meets`): from a deciding rule, its
    fallback, or kept from an overridden sharing rule when the decision shares and the type survives an
    override (sections 12 and 17)."""
    if isinstance(required, str):
        required = Obligation(type=required)
    kind = required.type
    mask = np.zeros(compiled.words, dtype=np.uint64)
    kept = np.zeros(compiled.words, dtype=np.uint64)
    entry = compiled.vocab.obligation_types.get(kind)
    survives = entry is not None and entry.survives_override
    for bit in range(len(compiled.rules)):
        rule = compiled.rule_at_bit(bit)
        if any(obligation_meets(o, required) for o in rule.obligations):
            mask[bit // 64] |= np.uint64(1 << (bit % 64))
            if survives and rule.outcome in SHARING_OUTCOMES:
                kept[bit // 64] |= np.uint64(1 << (bit % 64))
    if not len(winners):
        return np.zeros(0, dtype=bool)
    present = (winners & mask[None, :]).any(axis=1)
    if bits is not None and survives:
        present |= shared & ((bits & ~winners) & kept[None, :]).any(axis=1)
    if fallbacks is not None and compiled.fallbacks and len(present):
        carries = np.array([any(obligation_meets(o, required) for o in f.obligations) for f in compiled.fallbacks]
                           + [False])
        present = present | carries[fallbacks]  # index -1 is the appended False
    return present


def sharing_modes(compiled: CompiledProtocol, winners: np.ndarray, shared: np.ndarray) -> np.ndarray:
    """The sharing mode of each state's decision (``docs/semantics.md`` section 4): the strongest mode of its
    deciding rules where it shares (``required``, then ``discretion``, then ``permitted``), ``""`` where not."""
    masks = {mode: np.zeros(compiled.words, dtype=np.uint64) for mode in SHARING_MODES}
    for bit in range(len(compiled.rules)):
        masks[compiled.rule_at_bit(bit).sharing][bit // 64] |= np.uint64(1 << (bit % 64))
    out = np.where(shared, "permitted", "").astype(object)
    for mode in reversed(SHARING_MODES[:-1]):  # discretion, then required overrides it
        out[shared & (winners & masks[mode][None, :]).any(axis=1)] = mode
    return out


def check_guarantee(protocol: Protocol, guarantee: Guarantee, *,
                    compiled: CompiledProtocol | None = None) -> GuaranteeResult:
    """Decide one guarantee over every request in its scope.

    ``compiled``, where given, is the protocol's compiled tables (saves looking them up again).

    Returns
    -------
    GuaranteeResult
        Proven, or violated with the smallest counterexample and the engine's explanation.
    """
    compiled = compile_protocol(protocol) if compiled is None else compiled
    plan = layout(compiled, guarantee)
    prune = None
    strict = guarantee.strict
    if guarantee.kind == "need_to_know":
        def beyond_profile(witness: np.ndarray) -> np.ndarray:
            need = compiled.need[plan.column(witness, "to"), witness[:, 2], witness[:, 3], witness[:, 1]]
            return (need == 1) | ((need == 0) if strict else False)
        prune = {3: beyond_profile}
    space = explore(plan.axes, compiled.space_words, prune=prune)
    space.space_size = plan.space_size
    settled = compiled.settle_space(space.bits)
    bits, outcomes, deciders, fallbacks = settled.bits, settled.outcomes, settled.deciders, settled.fallbacks
    outcome_names = np.array(OUTCOME_CODES)[outcomes] if len(outcomes) else np.array([], dtype=str)
    shared = np.isin(outcome_names, sorted(SHARING_OUTCOMES))
    if len(compiled.rules):
        winners = bits & compiled.class_masks[compiled.bit_class[np.maximum(deciders, 0)]]
        winners[deciders < 0] = 0
    else:
        winners = np.zeros_like(bits)

    if guarantee.kind == "never":
        violated = np.isin(outcome_names, guarantee.forbidden_outcomes())
    elif guarantee.kind == "always":
        constrained = np.isin(outcome_names, guarantee.when_outcome) if guarantee.when_outcome else np.ones(len(outcomes), bool)
        wrong = ~np.isin(outcome_names, guarantee.outcomes) if guarantee.outcomes else np.zeros(len(outcomes), bool)
        for required in guarantee.obligations:
            wrong |= ~_obligation_present(compiled, winners, required, bits, shared, fallbacks)
        if guarantee.sharing:
            wrong |= ~np.isin(sharing_modes(compiled, winners, shared), guarantee.sharing)
        violated = constrained & wrong
    elif guarantee.kind == "only_via":
        in_via = space.tags[:, 0] == 1
        violated = shared & ~in_via & ~_obligation_present(compiled, winners, guarantee.unless_obligation, bits, shared,
                                                            fallbacks)
    else:  # need_to_know: the pruning kept only requests beyond the profile
        violated = shared

    hits = np.flatnonzero(violated)
    if len(hits) == 0:
        return GuaranteeResult(guarantee, True, space.space_size, len(outcomes), None, None,
                               f"Proven: {guarantee.statement} Checked over {space.space_size:,} possible requests "
                               f"({METHOD}).")
    request = request_of(compiled, plan.decode(space.witness[hits[0]]))
    decision = decide(protocol, request)
    text = (f"Violated: {guarantee.statement} Counterexample: {describe_request(compiled, request)} gets "
            f"{decision.outcome.replace('_', ' ')}"
            + (f" from rule {decision.rule}" if decision.rule else "") + f". {decision.explanation}")
    return GuaranteeResult(guarantee, False, space.space_size, len(outcomes), request, decision, text)


def request_of(compiled: CompiledProtocol, value: dict[str, int]) -> Request:
    """The request a decoded witness (dimension name -> code) stands for."""
    facts = {}
    about = compiled.subjects.values[value["about"]] if value.get("about") else None
    for f, dimension in enumerate(compiled.facts):
        code = value[f"fact:{dimension.name}"]
        if code and not (about and dimension.name.endswith(f"@{about}")):  # the subject's own value, said once
            facts[dimension.name] = dimension.values[code]
    return Request(compiled.partners.values[value["from"]], compiled.partners.values[value["to"]],
                   (compiled.categories.values[value["category"]],), compiled.stages.values[value["stage"]],
                   compiled.purposes.values[value["purpose"]], facts,
                   requested_by=REQUESTED_BY[value["requested_by"]] if value["requested_by"] else None, about=about)


def describe_request(compiled: CompiledProtocol, request: Request) -> str:
    """A request in words: who, what, to whom, when, why, on which facts."""
    v = compiled.vocab
    facts = ", ".join(f"{k} {val}" for k, val in request.facts.items()) or "no facts stated"
    if request.initiative != "unstated":
        facts += f"; {describe_requested_by([request.initiative])}"
    if request.about:
        facts += "; " + describe_about([request.about], {k: e.label for k, e in (v.subjects or {}).items()})
    return (f"{v.label('partners', request.sender)} sharing {', '.join(request.categories)} with "
            f"{v.label('partners', request.recipient)} at {request.stage} for {request.purpose} ({facts})")


__all__ = ["GuaranteeReport", "GuaranteeResult", "check_guarantee", "check_guarantees"]
