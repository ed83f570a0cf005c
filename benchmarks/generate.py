"""Deterministic synthetic protocols, request tables and sample cases for the benchmarks.

Everything here is seeded: the same arguments give the same protocol, table and cases
on every machine, so figures measured on two machines (or two versions of the
engine) are figures for the same work.

- :func:`make_protocol` builds a :class:`~protocolkit.model.protocol.Protocol` in memory
  (``Protocol.model_validate`` on a dict): N partners of the shipped kinds (some of them
  teams ``part_of`` another partner), M rules with realistic scopes drawn from the shipped
  vocabularies, need-to-know profiles, and optionally K extra facts of V values each.
  The result passes :func:`~protocolkit.model.checks.check_protocol` with no error.
- :func:`make_requests` builds a request table (one category per row, one column per
  fact, ``None`` for unknown), most rows aimed inside some rule's scope so that the
  outcomes are a realistic mix rather than almost all gaps.
- :func:`make_cases` builds sample cases (:class:`~protocolkit.model.cases.Case`).

Run ``python benchmarks/generate.py`` to print a summary of a generated protocol and check it.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from protocolkit.model.cases import Case
from protocolkit.model.keys import ANY, UNKNOWN
from protocolkit.model.protocol import Protocol
from protocolkit.model.vocabulary import Vocabulary, shipped, shipped_categories

#: Partner kinds drawn for generated partners (all shipped), with a weight each.
PARTNER_KINDS: dict[str, float] = {
    "police": 2, "childrens_social_care": 3, "early_help": 2, "school": 4, "gp": 3,
    "health_visiting": 2, "acute_trust": 1, "mental_health_trust": 1, "midwifery": 1,
    "housing": 1, "probation": 1, "youth_justice": 1, "adult_social_care": 1,
    "education_authority": 1, "dwp": 1, "voluntary": 2, "housing_association": 1,
}

#: Statutory powers a partner of each kind relies on (ids from the shipped lawful bases).
POWERS: dict[str, list[str]] = {
    "police": ["CDA1998.s115", "CA2004.s11"],
    "probation": ["CDA1998.s115", "CA2004.s11"],
    "youth_justice": ["CDA1998.s115", "CA2004.s11"],
    "childrens_social_care": ["CA1989.s47", "CA1989.s17", "CA2004.s10"],
    "early_help": ["CA1989.s17", "CA2004.s10"],
    "adult_social_care": ["CARE2014.s42"],
    "housing": ["CA2004.s11", "CA1989.s27"],
    "education_authority": ["CA2004.s11", "CA2004.s10"],
    "school": ["EA2002.s175"],
    "gp": ["NHSA2006.Pt4"], "health_visiting": ["CA2004.s11"], "acute_trust": ["CA2004.s11"],
    "mental_health_trust": ["CA2004.s11"], "midwifery": ["CA2004.s11"],
    "dwp": ["WRA2012.s131"],
    "voluntary": [], "housing_association": [],
}

#: Kinds a rule's from/to may name by kind: the drawn kinds and their broader parents.
SELECTOR_KINDS = list(PARTNER_KINDS) + ["health", "local_authority", "criminal_justice", "education"]

#: Outcome mix of generated rules (most protective last in this list is irrelevant: weights only).
OUTCOME_MIX: dict[str, float] = {
    "share": 0.40, "share_minimum": 0.20, "seek_consent": 0.10, "escalate": 0.10, "refuse": 0.20,
}

#: Lawful bases of every generated share / share_minimum rule: Art 6(1)(e), Art 9(2)(g) with
#: DPA 2018 Sch 1 para 18, and Art 10, so that any category (special or criminal) validates.
SHARE_BASES = ["UKGDPR.6.1.e", "UKGDPR.9.2.g", "DPA18.S1.P18", "UKGDPR.10"]

#: Conditions on the shipped facts that generated rules draw from.
CONDITIONS: list[tuple[str, object]] = [
    ("risk", ">= amber"), ("risk", "== red"), ("risk", "<= green"), ("risk", [UNKNOWN, "blue", "green"]),
    ("consent", ["given", "not_sought"]), ("consent", "given"), ("consent", "!= refused"),
    ("consent", ["refused", UNKNOWN]), ("consent", "unsafe_to_seek"),
    ("statutory_notice", "yes"), ("child_competent", ["no", UNKNOWN]),
]

OBLIGATIONS = ["record_decision", "secure_channel", "verify_requester", "inform_family",
               "owner_agreement_before_onward_disclosure", "return_or_delete"]


def category_ids() -> list[str]:
    """Ids of the shipped category tree, in vocabulary order."""
    return [c.id for c in shipped_categories()]


def stage_ids() -> list[str]:
    return [s.id for s in shipped("stages")]


def purpose_ids() -> list[str]:
    return [p.id for p in shipped("purposes")]


def extra_fact_ids(k: int) -> list[str]:
    return [f"bench.f{i:02d}" for i in range(k)]


def _pick(rng: random.Random, population: list, low: int, high: int) -> list:
    return rng.sample(population, rng.randint(low, min(high, len(population))))


def make_protocol(n_partners: int = 25, n_rules: int = 300, *, seed: int = 0, priorities: bool = False,
                  extra_facts: int = 0, extra_values: int = 4, profiles: int | None = None,
                  teams: float = 0.15) -> Protocol:
    """A synthetic protocol, deterministic in its arguments.

    Parameters
    ----------
    n_partners, n_rules : int
        Partners ``p00``.. (a fraction ``teams`` of them teams ``part_of`` an earlier partner)
        and rules ``R000``..
    seed : int
    priorities : bool
        When False (the default, and what the Cedar comparison needs) every rule has priority 0.
        When True about 5% of rules get priority 1, as real protocols' exceptions do.
    extra_facts, extra_values : int
        K extra facts ``bench.fNN`` with V values ``v0``.. each (every other one ordered);
        about a third of the rules then test one of them.
    profiles : int, optional
        Number of need-to-know profiles (default: one per three partners).
    """
    rng = random.Random(seed)
    categories = category_ids()
    tops = [c for c in categories if "." not in c]
    leaves = [c for c in categories if "." in c]
    stages, purposes = stage_ids(), purpose_ids()
    kinds, weights = list(PARTNER_KINDS), list(PARTNER_KINDS.values())

    partners: list[dict] = []
    for i in range(n_partners):
        pid = f"p{i:02d}"
        if i >= 4 and rng.random() < teams:
            parent = partners[rng.randrange(i)]
            partners.append({"id": pid, "name": f"Team {i} of {parent['name']}", "kind": parent["kind"],
                             "part_of": parent["id"]})
            continue
        kind = rng.choices(kinds, weights)[0]
        entry = {"id": pid, "name": f"Partner {i} ({kind.replace('_', ' ')})", "kind": kind}
        if POWERS[kind]:
            entry["statutory_powers"] = list(POWERS[kind])
        partners.append(entry)
    partner_ids = [p["id"] for p in partners]

    facts: list[dict] = []
    extra = extra_fact_ids(extra_facts)
    for f, fid in enumerate(extra):
        facts.append({"id": fid, "label": f"Synthetic fact {f}", "values": [f"v{j}" for j in range(extra_values)],
                      "ordered": f % 2 == 0})

    def selector() -> object:
        r = rng.random()
        if r < 0.25:
            return ANY
        if r < 0.75:
            return {"kinds": _pick(rng, SELECTOR_KINDS, 1, 2)}
        if r < 0.92:
            return {"partners": _pick(rng, partner_ids, 1, 3)}
        return {"partners": _pick(rng, partner_ids, 1, 1), "kinds": _pick(rng, SELECTOR_KINDS, 1, 1)}

    def extra_condition(fid: str, ordered: bool) -> object:
        values = [f"v{j}" for j in range(extra_values)]
        r = rng.random()
        if ordered and r < 0.5:
            return f">= {rng.choice(values[1:] or values)}"
        if r < 0.8:
            return _pick(rng, values, 1, max(1, extra_values // 2))
        return f"!= {rng.choice(values)}"

    outcomes, outcome_weights = list(OUTCOME_MIX), list(OUTCOME_MIX.values())
    rules: list[dict] = []
    for i in range(n_rules):
        outcome = rng.choices(outcomes, outcome_weights)[0]
        r_cat = rng.random()
        rule_categories = ANY if r_cat < 0.08 else _pick(rng, tops if r_cat < 0.35 else leaves, 1, 3)
        when: dict[str, object] = {}
        for fact, condition in rng.sample(CONDITIONS, rng.choice([0, 0, 1, 1, 1, 2])):
            when.setdefault(fact, condition)
        if extra and rng.random() < 0.35:
            f = rng.randrange(len(extra))
            when[extra[f]] = extra_condition(extra[f], f % 2 == 0)
        rule = {
            "id": f"R{i:03d}",
            "title": f"Synthetic rule {i} ({outcome.replace('_', ' ')})",
            "from": selector(),
            "to": selector(),
            "categories": rule_categories,
            "stages": ANY if rng.random() < 0.15 else _pick(rng, stages, 1, 3),
            "purposes": ANY if rng.random() < 0.15 else _pick(rng, purposes, 1, 2),
            "when": when,
            "outcome": outcome,
            "rationale": "Synthetic benchmark rule.",
            "priority": 1 if priorities and rng.random() < 0.05 else 0,
        }
        if outcome in ("share", "share_minimum"):
            rule["lawful_bases"] = list(SHARE_BASES)
            rule["obligations"] = _pick(rng, OBLIGATIONS, 0, 2)
            if rng.random() < 0.2:
                rule["obligations"].append({"deadline": "within 4 working hours"})
        elif outcome == "escalate":
            rule["obligations"] = ["record_decision"]
        if outcome == "share_minimum":
            rule["minimum"] = "a summary relevant to the concern"
        if outcome == "escalate":
            rule["escalate_to"] = rng.choice(["designated_safeguarding_lead", "caldicott_guardian", "mash_manager"])
        rules.append(rule)

    need_to_know = []
    for i in range(profiles if profiles is not None else max(1, n_partners // 3)):
        need_to_know.append({
            "id": f"ntk{i:02d}",
            "recipient": {"kinds": _pick(rng, SELECTOR_KINDS, 1, 2)} if rng.random() < 0.6
            else {"partners": _pick(rng, partner_ids, 1, 2)},
            "stages": ANY if rng.random() < 0.3 else _pick(rng, stages, 1, 3),
            "purposes": ANY if rng.random() < 0.3 else _pick(rng, purposes, 1, 2),
            "categories": _pick(rng, categories, 2, 8),
        })

    return Protocol.model_validate({
        "metadata": {"id": f"bench_{n_partners}_{n_rules}_{seed}", "title": "Synthetic benchmark protocol",
                     "version": "1.0", "status": "draft", "owner": partner_ids[0],
                     "review_date": dt.date(2099, 1, 1)},
        "partners": partners,
        "facts": facts,
        "rules": rules,
        "need_to_know": need_to_know,
    })


def check(protocol: Protocol) -> list:
    """The findings that would stop the generated protocol loading (an empty list for a usable one).

    The generated protocol is a draft: its rules are random, so legal-sense errors (which a
    draft may carry while it is tested) are expected and do not matter to a speed benchmark;
    structural errors do.
    """
    from protocolkit.model.checks import check_protocol
    from protocolkit.model.readiness import blocking_findings

    return blocking_findings(check_protocol(protocol), protocol.metadata.status)


@dataclass
class _Space:
    """Every request dimension of a protocol, and each rule's scope, as integer code lists."""

    protocol: Protocol

    @cached_property
    def vocab(self) -> Vocabulary:
        return Vocabulary.of(self.protocol)

    @cached_property
    def partners(self) -> np.ndarray:
        return np.array(list(self.vocab.partners), dtype=object)

    @cached_property
    def categories(self) -> np.ndarray:
        return np.array(list(self.vocab.categories), dtype=object)

    @cached_property
    def stages(self) -> np.ndarray:
        return np.array(self.vocab.stage_ids, dtype=object)

    @cached_property
    def purposes(self) -> np.ndarray:
        return np.array(list(self.vocab.purposes), dtype=object)

    @cached_property
    def facts(self) -> dict[str, np.ndarray]:
        """Each fact's values with ``None`` (unknown) first."""
        return {f: np.array([None, *fact.values], dtype=object) for f, fact in self.vocab.facts.items()}

    @cached_property
    def scopes(self) -> list[dict[str, np.ndarray]]:
        """Per rule: the codes (positions in the arrays above) each dimension may take inside its scope."""
        v = self.vocab

        def codes(values: np.ndarray, keep) -> np.ndarray:
            return np.array([i for i, x in enumerate(values) if keep(x)], dtype=np.int64)

        out = []
        for rule in self.protocol.rules:
            senders, recipients = v.partners_in(rule.from_), v.partners_in(rule.to)
            cats, stages = v.categories_in(rule.categories), v.stages_in(rule.stages)
            purposes = v.purposes_in(rule.purposes)
            scope = {
                "from": codes(self.partners, senders.__contains__),
                "to": codes(self.partners, recipients.__contains__),
                "category": codes(self.categories, cats.__contains__),
                "stage": codes(self.stages, stages.__contains__),
                "purpose": codes(self.purposes, purposes.__contains__),
            }
            for condition in rule.conditions():
                ok = condition.allowed(v.facts[condition.fact])
                scope[condition.fact] = codes(self.facts[condition.fact],
                                              lambda x: (UNKNOWN if x is None else x) in ok)
            out.append(scope)
        return out


def _fill(rng: np.random.Generator, out: np.ndarray, rows: np.ndarray, choices: np.ndarray) -> None:
    out[rows] = choices[rng.integers(0, len(choices), size=len(rows))]


def make_request_codes(protocol: Protocol, n: int, *, seed: int = 1, directed: float = 0.75,
                       unknown: float = 0.2) -> tuple[dict[str, np.ndarray], _Space]:
    """Integer codes of ``n`` generated requests (see :func:`make_requests`)."""
    space = _Space(protocol)
    rng = np.random.default_rng(seed)
    sizes = {"from": len(space.partners), "to": len(space.partners), "category": len(space.categories),
             "stage": len(space.stages), "purpose": len(space.purposes)}
    codes = {name: rng.integers(0, size, size=n) for name, size in sizes.items()}
    for fact, values in space.facts.items():
        known = rng.integers(1, len(values), size=n)
        codes[fact] = np.where(rng.random(n) < unknown, 0, known)
    scopes = space.scopes
    if scopes and directed > 0:
        aimed = np.flatnonzero(rng.random(n) < directed)
        rule_of = rng.integers(0, len(scopes), size=len(aimed))
        order = np.argsort(rule_of, kind="stable")
        bounds = np.searchsorted(rule_of[order], np.arange(len(scopes) + 1))
        for r, scope in enumerate(scopes):
            rows = aimed[order[bounds[r]:bounds[r + 1]]]
            if not len(rows):
                continue
            for name, allowed in scope.items():
                if len(allowed):
                    _fill(rng, codes[name], rows, allowed)
    return codes, space


def make_requests(protocol: Protocol, n: int, *, seed: int = 1, directed: float = 0.75,
                  unknown: float = 0.2) -> pd.DataFrame:
    """A table of ``n`` requests: columns ``from, to, category, stage, purpose`` and one per fact.

    A fraction ``directed`` of the rows is drawn inside the scope of a random rule (its
    senders, recipients, categories, stages, purposes and the fact values its conditions
    allow); the rest, and every fact a rule does not test, is drawn uniformly. A fact is
    unknown (``None``) with probability ``unknown`` outside a rule's condition.
    """
    codes, space = make_request_codes(protocol, n, seed=seed, directed=directed, unknown=unknown)
    columns = {
        "from": space.partners[codes["from"]], "to": space.partners[codes["to"]],
        "category": space.categories[codes["category"]], "stage": space.stages[codes["stage"]],
        "purpose": space.purposes[codes["purpose"]],
    }
    for fact, values in space.facts.items():
        columns[fact] = values[codes[fact]]
    return pd.DataFrame(columns)


def make_cases(protocol: Protocol, n_cases: int = 200, steps: int = 5, requests_per_step: int = 4, *,
               seed: int = 2, max_categories: int = 2) -> list[Case]:
    """Sample cases: ``n_cases`` families, ``steps`` steps each, ``requests_per_step`` requests a step.

    Steps walk forward through the stages; each step may learn a new fact value; each
    request (1 to ``max_categories`` categories) is aimed at some rule's scope and carries
    an expectation (outcome from the realistic mix, sometimes an obligation), so that the
    case run exercises expectations, coverage and knowledge like a workshop's cases do.
    """
    rng = random.Random(seed)
    space = _Space(protocol)
    stages = list(space.stages)
    scopes = space.scopes
    facts = {f: [v for v in values if v is not None] for f, values in space.facts.items()}
    expected = list(OUTCOME_MIX) + ["gap"]
    cases = []
    for c in range(n_cases):
        start = {f: rng.choice(v) for f, v in facts.items() if rng.random() < 0.5}
        stage_at = rng.randrange(max(1, len(stages) - steps + 1))
        case_steps = []
        for s in range(steps):
            stage = stages[min(len(stages) - 1, stage_at + s)]
            learn = {}
            if rng.random() < 0.4:
                fact = rng.choice(list(facts))
                learn[fact] = rng.choice(facts[fact])
            reqs = []
            for q in range(requests_per_step):
                scope = scopes[rng.randrange(len(scopes))] if scopes and rng.random() < 0.8 else None

                def pick(name: str, values: np.ndarray) -> str:
                    allowed = scope.get(name) if scope else None
                    if allowed is not None and len(allowed):
                        return str(values[rng.choice(list(allowed))])
                    return str(values[rng.randrange(len(values))])

                n_cat = rng.randint(1, max_categories)
                categories = list(dict.fromkeys(pick("category", space.categories) for _ in range(n_cat)))
                request = {
                    "from": pick("from", space.partners), "to": pick("to", space.partners),
                    "categories": categories, "purpose": pick("purpose", space.purposes),
                    "expect": {"outcome": rng.choices(expected, [0.35, 0.15, 0.1, 0.1, 0.15, 0.15])[0]},
                }
                if rng.random() < 0.2:
                    request["expect"]["obligations"] = ["record_decision"]
                if scope and rng.random() < 0.5:
                    for name, allowed in scope.items():
                        if name in facts and len(allowed):
                            value = space.facts[name][rng.choice(list(allowed))]
                            request.setdefault("facts", {})[name] = UNKNOWN if value is None else value
                reqs.append(request)
            case_steps.append({"id": f"s{s + 1}", "stage": stage, "learn": learn, "requests": reqs})
        cases.append(Case.model_validate({"id": f"case_{c:03d}", "title": f"Synthetic family {c}",
                                          "facts": start, "steps": case_steps}))
    return cases


def main() -> None:
    protocol = make_protocol()
    errors = check(protocol)
    outcomes = pd.Series([r.outcome for r in protocol.rules]).value_counts().to_dict()
    print(f"{protocol.metadata.id}: {len(protocol.partners)} partners, {len(protocol.rules)} rules {outcomes}, "
          f"{len(protocol.need_to_know)} profiles; error findings: {len(errors)}")
    for f in errors[:10]:
        print("  ", f)
    table = make_requests(protocol, 10)
    print(table.to_string())


if __name__ == "__main__":
    main()
