"""Deciding requests: one at a time (:func:`decide`) or a table at a time (:func:`decide_many`).

Both run the same compiled matcher (:mod:`protocolkit.engine.compiled`) and the
same resolution of matched rules into an outcome; :func:`decide` is
:func:`decide_many` on one request, read back into a :class:`Decision`.
The semantics are those of ``docs/semantics.md``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Iterable, Literal, Mapping, NamedTuple

import numpy as np
import pandas as pd

from ..errors import ProtocolError
from ..model.outcomes import GAP, SHARING_OUTCOMES, SUMMARY_ORDER
from ..model.protocol import Protocol
from ..model.rules import SHARING_MODES, Fallback, Rule
from .compiled import FALLBACK_REASONS, NEED_CODES, OUTCOME_CODES, CompiledProtocol, bits_set, compile_protocol
from .constraints import check_possible
from .explain import explain_category, explain_request
from .results import DECISION_COLUMNS, CategoryDecision, Decision, _union, summary_outcome  # noqa: F401
from .grouping import group_rows
from ..model.rules import REQUESTED_BY
from .retention import retention_of
from .requests import PARTY, Request, check_about, encode_facts, encode_frame, expand_requests, check_value

def as_compiled(protocol: Protocol | CompiledProtocol) -> CompiledProtocol:
    """The compiled tables of a protocol; a compiled protocol is used as it is.

    Compiling fingerprints the whole protocol to find its tables in a cache; a caller that
    decides many single requests can compile once with :func:`compile_protocol` and pass that.
    """
    return protocol if isinstance(protocol, CompiledProtocol) else compile_protocol(protocol)


def decide(protocol: Protocol | CompiledProtocol, request: Request | Mapping) -> Decision:
    """Decide one sharing request.

    Parameters
    ----------
    protocol : Protocol or CompiledProtocol
    request : Request or mapping
        A mapping needs ``from``, ``to``, ``categories``, ``stage``, ``purpose`` and may have ``facts``.

    Returns
    -------
    Decision

    Raises
    ------
    UnknownValueError
        When the request names a partner, category, stage, purpose, fact or value the protocol lacks.
    ImpossibleFactsError
        When the request's facts break one of the protocol's fact constraints (``docs/semantics.md`` section 11).

    Examples
    --------
    >>> import protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> d = protocolkit.decide(p, {"from": "police", "to": "mash_decision_maker",
    ...     "categories": ["criminal.intelligence"], "stage": "screening", "purpose": "safeguarding",
    ...     "facts": {"risk": "amber"}})
    >>> d.outcome
    'share_minimum'
    >>> "because" in d.explanation
    True
    """
    if not isinstance(request, Request):
        request = Request.from_mapping(request)
    compiled = as_compiled(protocol)
    n = len(request.categories)
    sender = check_value(request.sender, compiled.partners, PARTY)
    recipient = check_value(request.recipient, compiled.partners, PARTY)
    if request.requester is not None:
        check_value(request.requester, compiled.partners, PARTY)
    initiative = REQUESTED_BY.index(request.initiative)
    stage = check_value(request.stage, compiled.stages, "stage")
    purpose = check_value(request.purpose, compiled.purposes, "purpose")
    categories = np.array([check_value(c, compiled.categories, "category") for c in request.categories], dtype=np.int64)
    about = check_about(compiled, request.about)
    facts = np.tile(encode_facts(compiled, request.facts, request.about), (n, 1))
    check_possible(compiled, facts[:1])
    full = lambda code: np.full(n, code, dtype=np.int64)  # noqa: E731
    coded = (full(sender), full(recipient), categories, full(stage), full(purpose), facts)
    bits = compiled.match(*coded, initiative=full(initiative), about=full(about))
    relaxed = (compiled.match(*coded, relaxed=True, initiative=full(initiative), about=full(about))
               if compiled.waits_on_facts else None)
    _, deciders, fallbacks, reasons, blocking = compiled.settle(bits, relaxed, full(purpose))
    waiting = compiled.waiting_on(blocking, facts)
    need = compiled.need[recipient, stage, purpose, categories]
    regime = str(compiled.regimes(np.array([sender]), np.array([purpose]))[0])
    decisions = tuple(
        category_decision(compiled, request, category,
                          with_fallback(compiled, rule_detail(compiled, bits[i], int(deciders[i])), int(fallbacks[i]),
                                        int(reasons[i]), blocking[i], waiting[i]), int(need[i]), regime=regime)
        for i, category in enumerate(request.categories)
    )
    overall = summary_outcome(d.outcome for d in decisions)
    return Decision(request, overall, decisions, explain_request(compiled, request, decisions, overall))


@dataclass(frozen=True)
class RuleDetail:
    """What a set of matched rules decides: it depends on the matched rules alone, not on the request."""

    outcome: str
    winners: tuple[Rule, ...]
    overridden: tuple[Rule, ...]
    rule: str | None
    deciding_rules: tuple[str, ...]
    rules_matched: tuple[str, ...]
    lawful_bases: tuple[str, ...]
    obligations: tuple[str, ...]
    minimum: str | None
    escalate_to: str | None
    kept: tuple[tuple[str, str], ...] = ()
    fallback: Fallback | None = None
    sharing: str | None = None
    decided_by: str | None = None
    fallback_reason: str | None = None
    waiting_on: tuple[str, ...] = ()
    waiting_rules: tuple[Rule, ...] = ()


def with_fallback(compiled: CompiledProtocol, detail: RuleDetail, fallback: int, reason: int,
                  blocking: np.ndarray, waiting_on: tuple[str, ...]) -> RuleDetail:
    """The detail of a category a fallback decides: the fallback's outcome, escalation and duties, no rule."""
    if fallback < 0:
        return detail
    entry = compiled.fallbacks[fallback]
    waiting = tuple(compiled.rule_at_bit(b) for b in bits_set(blocking))
    # settle() left no deciding rule for this row, so every matched rule is already listed as overridden
    return replace(
        detail, outcome=entry.outcome, winners=(), rule=None, deciding_rules=(),
        lawful_bases=(), obligations=tuple(dict.fromkeys(str(o) for o in entry.obligations)), minimum=None,
        escalate_to=entry.escalate_to if entry.outcome == "escalate" else None, fallback=entry, kept=(),
        fallback_reason=FALLBACK_REASONS[reason], waiting_on=waiting_on, waiting_rules=waiting, sharing=None,
        decided_by=None)


def winners_of(compiled: CompiledProtocol, bits: np.ndarray, deciders: np.ndarray) -> np.ndarray:
    """The deciding rules' bits of each row of matched-rule bits (none for a gap)."""
    if not len(compiled.rules):
        return np.zeros_like(bits)
    winners = bits & compiled.class_masks[compiled.bit_class[np.maximum(deciders, 0)]]
    winners[deciders < 0] = 0
    return winners


def sharing_of(rules: Iterable[Rule]) -> tuple[str | None, str | None]:
    """The sharing mode and decision-maker of a decision from its deciding rules (``docs/semantics.md`` section 4).

    Nothing is shared (None, None) unless the deciding rules share. Otherwise the strongest mode of the
    deciding rules applies (:data:`~protocolkit.model.rules.SHARING_MODES`: a duty, then discretion, then a
    plain permission); for discretion, the decision-maker is that of the first deciding rule that names one.

    Examples
    --------
    >>> from protocolkit.model.rules import Rule
    >>> base = {"title": "t", "from": "any", "to": "any", "categories": "any", "stages": "any", "purposes": "any",
    ...         "outcome": "share", "rationale": "r"}
    >>> sharing_of([Rule.model_validate({**base, "id": "A"}),
    ...             Rule.model_validate({**base, "id": "B", "sharing": "discretion", "decided_by": "the DSL"})])
    ('discretion', 'the DSL')
    """
    rules = [r for r in rules if r.outcome in SHARING_OUTCOMES]
    if not rules:
        return None, None
    mode = min((r.sharing for r in rules), key=SHARING_MODES.index)
    decided_by = next((r.decided_by for r in rules if r.sharing == mode and r.decided_by), None)
    return mode, decided_by if mode == "discretion" else None


class Deciding(NamedTuple):
    """What the deciding rules of one decision carry (``docs/semantics.md`` sections 3 and 4)."""

    rules: tuple[Rule, ...]
    ids: tuple[str, ...]
    lawful_bases: tuple[str, ...]
    obligations: tuple[str, ...]
    minimum: str | None
    escalate_to: str | None
    sharing: str | None
    decided_by: str | None


def _deciding(compiled: CompiledProtocol, winners: np.ndarray) -> Deciding:
    """What the deciding rules of one row of winner bits carry."""
    rules = tuple(compiled.rule_at_bit(b) for b in bits_set(winners))
    first = rules[0] if rules else None
    return Deciding(rules, tuple(r.id for r in rules), _union(r.lawful_bases for r in rules),
                    _union([str(o) for o in r.obligations] for r in rules),
                    first.minimum if first and first.outcome == "share_minimum" else None,
                    first.escalate_to if first and first.outcome == "escalate" else None, *sharing_of(rules))


def kept_obligations(compiled: CompiledProtocol, bits: np.ndarray, winners: np.ndarray) -> tuple[tuple[str, str], ...]:
    """Obligations kept from overridden sharing rules when the deciding rules share (``docs/semantics.md``
    section 12): those of a type that survives an override, as (obligation, rule id), in decision order."""
    deciding = [compiled.rule_at_bit(b) for b in bits_set(winners)]
    if not deciding or deciding[0].outcome not in SHARING_OUTCOMES:
        return ()
    own = {str(o) for r in deciding for o in r.obligations}
    types = compiled.vocab.obligation_types
    kept: dict[str, str] = {}
    for b in bits_set(bits & ~winners):
        rule = compiled.rule_at_bit(b)
        if rule.outcome not in SHARING_OUTCOMES:
            continue
        for obligation in rule.obligations:
            text = str(obligation)
            entry = types.get(obligation.type)
            if entry is not None and entry.survives_override and text not in own and text not in kept:
                kept[text] = rule.id
    return tuple(kept.items())


def rule_detail(compiled: CompiledProtocol, bits: np.ndarray, decider: int) -> RuleDetail:
    """The decision carried by one row of matched-rule bits (``docs/semantics.md`` sections 3 and 4)."""
    winners = winners_of(compiled, bits[None, :], np.array([decider]))[0]
    rules, ids, bases, obligations, minimum, escalate_to, sharing, decided_by = _deciding(compiled, winners)
    kept = kept_obligations(compiled, bits, winners)
    obligations = (*obligations, *(text for text, _ in kept))
    matched = tuple(compiled.rule_at_bit(b) for b in bits_set(bits))
    return RuleDetail(
        outcome=rules[0].outcome if rules else "gap", winners=rules,
        overridden=tuple(r for r in matched if r not in rules), rule=ids[0] if ids else None,
        deciding_rules=ids, rules_matched=tuple(r.id for r in matched), lawful_bases=bases,
        obligations=obligations, minimum=minimum, escalate_to=escalate_to, kept=kept, sharing=sharing,
        decided_by=decided_by,
    )


def category_decision(compiled: CompiledProtocol, request: Request, category: str, detail: RuleDetail,
                      need: int, explain: bool = True, regime: str = "uk_gdpr") -> CategoryDecision:
    """A category's decision from its rule detail and need-to-know code, explained unless told not to."""
    decision = CategoryDecision(
        category=category, outcome=detail.outcome, rule=detail.rule, deciding_rules=detail.deciding_rules,
        rules_matched=detail.rules_matched, lawful_bases=detail.lawful_bases, obligations=detail.obligations,
        minimum=detail.minimum, escalate_to=detail.escalate_to, need_to_know=NEED_CODES[need],
        fallback=detail.fallback.id if detail.fallback else None, fallback_reason=detail.fallback_reason,
        waiting_on=detail.waiting_on, waiting_rules=tuple(r.id for r in detail.waiting_rules), regime=regime,
        sharing=detail.sharing, decided_by=detail.decided_by, explanation="",
        retention=() if detail.fallback else retention_of(compiled, request.recipient, category, detail.outcome,
                                                          detail.winners),
    )
    if not explain:
        return decision
    return replace(decision, explanation=explain_category(compiled, request, decision, detail.winners, detail.overridden,
                                                          detail.fallback, detail.waiting_rules, detail.kept))


Detail = Literal["full", "rules", "outcome"]
OUTCOME_COLUMNS = ["request", "from", "to", "category", "stage", "purpose", "outcome", "rule", "need_to_know",
                   "fallback"]
RULE_COLUMNS = ["deciding_rules", "rules_matched", "lawful_bases", "obligations", "minimum", "escalate_to",
                "fallback_reason", "waiting_on", "waiting_rules", "regime", "sharing", "decided_by", "retention"]


def decide_many(protocol: Protocol | CompiledProtocol, requests: pd.DataFrame | Iterable[Request | Mapping], *,
                detail: Detail = "full", errors: str = "raise") -> pd.DataFrame:
    """Decide a table of requests at once: one row per request and category.

    Parameters
    ----------
    protocol : Protocol or CompiledProtocol
    requests : DataFrame or iterable of Request or mappings
        Columns ``from``, ``to``, ``categories`` (list, or ``category``: one id), ``stage``,
        ``purpose``, and a ``facts`` column of mappings or one column per fact id
        (missing or NaN means unknown). One column per fact (text or categorical) is the fast form.
    detail : {"full", "rules", "outcome"}
        ``outcome`` gives ``outcome``, ``rule`` (the deciding rule) and ``need_to_know``, fully
        vectorised, for very large tables; ``rules`` adds the deciding and matched rules, lawful
        bases, obligations, minimum and escalation, computed once per distinct set of matched
        rules; ``full`` adds the plain-English explanation (every column of a :class:`Decision`).
    errors : {"raise", "gap"}
        A request naming something the protocol lacks raises
        :class:`~protocolkit.errors.BadRequestsError`, naming every such request by its position
        (default); ``"gap"`` decides the rest and gives the bad ones outcome ``gap`` and a
        ``problem`` column saying what is wrong.

    Returns
    -------
    DataFrame
        Columns :data:`DECISION_COLUMNS` (or the subset of the detail asked for).

    Examples
    --------
    >>> import pandas as pd, protocolkit
    >>> p = protocolkit.load(protocolkit.example_path("mash"))
    >>> table = pd.DataFrame({"from": ["police"], "to": ["mash_decision_maker"],
    ...     "categories": [["criminal.intelligence", "health.mental_health"]],
    ...     "stage": ["screening"], "purpose": ["safeguarding"], "risk": ["amber"]})
    >>> protocolkit.decide_many(p, table)[["category", "outcome"]].shape
    (2, 2)
    """
    compiled = as_compiled(protocol)
    frame = expand_requests(requests)
    columns = {"outcome": OUTCOME_COLUMNS, "rules": OUTCOME_COLUMNS + RULE_COLUMNS, "full": DECISION_COLUMNS}[detail]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if errors not in ("raise", "gap"):
        raise ProtocolError(f"errors={errors!r}: use 'raise' or 'gap'")
    codes = encode_frame(compiled, frame, errors=errors)
    bad = codes.pop("bad", None)
    problem = codes.pop("problem", None)
    check_possible(compiled, codes["facts"], rows=frame["request"].to_numpy())
    coded = (codes["from"], codes["to"], codes["category"], codes["stage"], codes["purpose"], codes["facts"])
    bits = compiled.match(*coded, initiative=codes["initiative"], about=codes["about"])
    relaxed = (compiled.match(*coded, relaxed=True, initiative=codes["initiative"], about=codes["about"])
               if compiled.waits_on_facts else None)
    outcomes, deciders, fallbacks, reasons, blocking = compiled.settle(bits, relaxed, codes["purpose"])
    need = compiled.need[codes["to"], codes["stage"], codes["purpose"], codes["category"]]
    rule_ids = np.array([None] + [compiled.rule_at_bit(b).id for b in range(len(compiled.rules))], dtype=object)
    fallback_ids = np.array([None] + [f.id for f in compiled.fallbacks], dtype=object)
    base = frame[["request", "from", "to", "category", "stage", "purpose"]].reset_index(drop=True)
    base["outcome"] = pd.Categorical.from_codes(outcomes, categories=list(OUTCOME_CODES))
    base["rule"] = pd.Series(rule_ids[deciders + 1], dtype=object)
    base["need_to_know"] = pd.Categorical.from_codes(need, categories=list(NEED_CODES))
    base["fallback"] = pd.Series(fallback_ids[fallbacks + 1], dtype=object)
    if detail == "outcome":
        return _mark_bad(base, bad, problem)
    # the deciding rules' columns, once per distinct set of deciding rules; matched rules once per set of matches
    winners = winners_of(compiled, bits, deciders)
    first_winners, back = group_rows(winners)
    deciding = [_deciding(compiled, row) for row in winners[first_winners]]
    first_bits, inverse = group_rows(bits)
    matched = [tuple(compiled.rule_at_bit(b).id for b in bits_set(row)) for row in bits[first_bits]]
    # obligations depend on the overridden rules too (those kept from them): once per set of matches and winners
    first_row, by_pair = group_rows(np.column_stack([inverse, back]))
    obligations = [deciding[back[row]].obligations + tuple(text for text, _ in kept_obligations(compiled, bits[row], winners[row]))
                   for row in first_row.tolist()]
    for name, values in (("deciding_rules", [d.ids for d in deciding]),
                         ("lawful_bases", [d.lawful_bases for d in deciding]), ("obligations", obligations),
                         ("minimum", [d.minimum for d in deciding]), ("escalate_to", [d.escalate_to for d in deciding]),
                         ("sharing", [d.sharing for d in deciding]), ("decided_by", [d.decided_by for d in deciding]),
                         ("rules_matched", matched)):
        array = np.empty(len(values), dtype=object)
        array[:] = values
        index = inverse if name == "rules_matched" else by_pair if name == "obligations" else back
        base[name] = pd.Series(array[index], dtype=object)
    _fallback_columns(compiled, base, fallbacks, reasons, blocking, codes["facts"])
    base["regime"] = pd.Series(compiled.regimes(codes["from"], codes["purpose"]), dtype=object)
    base["retention"] = _retention_column(compiled, base)
    if detail == "full":
        base["explanation"] = pd.Series(_explanations(compiled, base, codes, bits, deciders, fallbacks, reasons,
                                                      blocking), dtype=object)
    return _mark_bad(base[columns], bad, problem)


def _retention_column(compiled: CompiledProtocol, base: pd.DataFrame) -> pd.Series:
    """The retention in effect of each row (section 18), once per distinct recipient, category, outcome and set of
    deciding rules (a fallback's rows have no deciding rules, so none)."""
    keys = list(zip(base["to"].tolist(), base["category"].tolist(), base["outcome"].astype(str).tolist(),
                    base["deciding_rules"].tolist()))
    cache: dict[tuple, tuple] = {}
    values = np.empty(len(keys), dtype=object)
    for k, key in enumerate(keys):
        if key not in cache:
            cache[key] = retention_of(compiled, key[0], key[1], key[2], key[3])
        values[k] = cache[key]
    return pd.Series(values, dtype=object)


def _mark_bad(table: pd.DataFrame, bad: np.ndarray | None, problem: np.ndarray | None) -> pd.DataFrame:
    """With ``errors="gap"``: the bad requests' rows become gaps, with a ``problem`` column saying why."""
    if bad is None:
        return table
    table = table.copy()
    table.loc[bad, "outcome"] = GAP
    for column in table.columns:
        if column in ("rule", "fallback", "deciding_rules", "matched_rules", "lawful_bases", "obligations",
                      "minimum", "escalate_to", "sharing", "decided_by"):
            table[column] = table[column].astype(object)
            table.loc[bad, column] = None
        if column == "retention":   # nothing goes, so nothing is kept
            values = table[column].to_numpy(dtype=object).copy()
            for row in np.flatnonzero(bad):
                values[row] = ()
            table[column] = pd.Series(values, index=table.index, dtype=object)
    if "explanation" in table.columns:
        table.loc[bad, "explanation"] = ["This request cannot be decided: it " + str(p) if str(p).startswith("has ")
                                         else f"This request cannot be decided: {p}." for p in problem[bad]]
    table["problem"] = pd.Series(problem, dtype=object)
    return table


def _fallback_columns(compiled: CompiledProtocol, base: pd.DataFrame, fallbacks: np.ndarray, reasons: np.ndarray,
                      blocking: np.ndarray, fact_codes: np.ndarray) -> None:
    """Overwrite the rule columns of the rows a fallback decided, and add the fallback's own columns."""
    n = len(base)
    reason_names = np.array(FALLBACK_REASONS, dtype=object)
    base["fallback_reason"] = pd.Series(reason_names[reasons], dtype=object)
    waiting_on = np.empty(n, dtype=object)
    waiting_on[:] = compiled.waiting_on(blocking, fact_codes)
    waiting_rules = np.empty(n, dtype=object)
    waiting_rules[:] = [()] * n
    rows = np.flatnonzero(fallbacks >= 0)
    if len(rows):
        cache: dict[tuple, tuple] = {}
        columns = {name: base[name].to_numpy(dtype=object).copy()
                   for name in ("deciding_rules", "lawful_bases", "obligations", "minimum", "escalate_to",
                                "sharing", "decided_by")}
        for row in rows.tolist():
            key = (int(fallbacks[row]), blocking[row].tobytes())
            if key not in cache:
                entry = compiled.fallbacks[key[0]]
                cache[key] = ((), (), tuple(dict.fromkeys(str(o) for o in entry.obligations)), None,
                              entry.escalate_to if entry.outcome == "escalate" else None, None, None,
                              tuple(compiled.rule_at_bit(b).id for b in bits_set(blocking[row])))
            values = cache[key]
            for name, value in zip(columns, values[:7]):
                columns[name][row] = value
            waiting_rules[row] = values[7]
        for name, values in columns.items():
            base[name] = pd.Series(values, dtype=object)
    base["waiting_on"] = pd.Series(waiting_on, dtype=object)
    base["waiting_rules"] = pd.Series(waiting_rules, dtype=object)


def _explanations(compiled: CompiledProtocol, base: pd.DataFrame, codes: dict, bits: np.ndarray,
                  deciders: np.ndarray, fallbacks: np.ndarray, reasons: np.ndarray, blocking: np.ndarray) -> np.ndarray:
    """One explanation per distinct request scope, set of matched rules and fallback (facts change the words only
    through the facts a rule waits on)."""
    waiting = base["waiting_on"].tolist()
    waiting_codes, _ = pd.factorize(np.array([",".join(w) for w in waiting], dtype=object))
    key = np.column_stack([codes["from"], codes["to"], codes["category"], codes["stage"], codes["purpose"],
                           bits.view(np.int64), fallbacks, reasons, blocking.view(np.int64), waiting_codes,
                           codes["about"]])
    first, back = group_rows(key)
    need = base["need_to_know"].cat.codes.to_numpy()
    columns = {c: base[c].to_numpy() for c in ("from", "to", "category", "stage", "purpose")}
    texts = np.empty(len(first), dtype=object)
    for k, row in enumerate(first):
        about = int(codes["about"][row])
        request = Request(columns["from"][row], columns["to"][row], (columns["category"][row],),
                          columns["stage"][row], columns["purpose"][row],
                          about=compiled.subjects.values[about] if about else None)
        detail = with_fallback(compiled, rule_detail(compiled, bits[row], int(deciders[row])), int(fallbacks[row]),
                               int(reasons[row]), blocking[row], tuple(waiting[row]))
        texts[k] = category_decision(compiled, request, request.categories[0], detail, int(need[row]),
                                     regime=base["regime"].iat[row]).explanation
    return texts[back]
