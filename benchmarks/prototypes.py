#!/usr/bin/env python
"""Proposed engine patches, measured against the engine as it is (not part of ``make bench``).

The benchmarks do not change ``src/``. This script applies the patches proposed in
``benchmarks/README.md`` ("Proposed patches") *in this process only*, by replacing engine
functions, checks that every answer is the same as the engine's, and prints the engine
and the patched timings side by side (wall time, same process, same data, so the ratio
holds on a busy machine even when the absolute figures do not).

    python benchmarks/prototypes.py [--quick]

- P1 ``decide_many(detail="outcome")``: no per-row list test on a text or categorical
  ``category`` column; columns coded with ``Index.get_indexer`` without a Python call per
  row (``_text`` only on object or bool columns, which may hold booleans; a categorical
  column coded through its categories, fact columns included, instead of
  ``astype(object)``); matching in cache-sized chunks with ``np.take(..., out=)``; the
  result built from the request's own columns (no object round trip).
- P2 compile: ``Vocabulary.partners_in`` with each partner's ancestors and kinds computed
  once per vocabulary instead of once per partner per selector.
- P3 ``_add_detail``: request columns read once, not ``frame[col].iat[row]`` five times a
  pattern; ``dataclasses.replace`` instead of ``CategoryDecision(**asdict(...))``.
- P4 ``run_cases`` expectations: the decisions read once into per-request lists, instead of
  ``groupby("request")`` and a one-row ``DataFrame.to_dict("records")`` per request.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import generate  # noqa: E402
import run as bench  # noqa: E402
from protocolkit.engine import cases as cases_module  # noqa: E402
from protocolkit.engine import decisions as decisions_module  # noqa: E402
from protocolkit.engine.compiled import NEED_CODES, OUTCOME_CODES, compile_protocol  # noqa: E402
from protocolkit.engine.decisions import (  # noqa: E402
    DECISION_COLUMNS, CategoryDecision, Decision, _union, decide_many, summary_outcome,
)
from protocolkit.engine.explain import explain_category, explain_request  # noqa: E402
from protocolkit.engine.requests import Request  # noqa: E402
from protocolkit.errors import UnknownValueError  # noqa: E402
from protocolkit.model.keys import ANY  # noqa: E402
from protocolkit.model.vocabulary import Vocabulary  # noqa: E402


# -- P1 -----------------------------------------------------------------------------------------
def _text(value) -> str:
    return "yes" if value is True else "no" if value is False else str(value)


def encode_values(values: pd.Series, dimension) -> np.ndarray:
    """Codes of a column in a dimension, -1 where missing or not a value of it.

    A Python call per row only where the column may hold booleans (object or bool dtype);
    a categorical column is coded through its categories.
    """
    index = pd.Index(list(dimension.values))
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = index.get_indexer(pd.Index(values.cat.categories).map(_text))
        raw = values.cat.codes.to_numpy()
        return np.where(raw >= 0, lookup[np.maximum(raw, 0)], -1).astype(np.int64)
    if values.dtype == object or values.dtype == bool:
        values = values.map(_text, na_action="ignore")
    return index.get_indexer(values).astype(np.int64)


def encode_dimension(values: pd.Series, dimension, what: str) -> np.ndarray:
    codes = encode_values(values, dimension)
    if (codes < 0).any():
        if values.isna().any():
            raise UnknownValueError(what, "(missing)", [])
        raise UnknownValueError(what, _text(values.iloc[int(np.flatnonzero(codes < 0)[0])]), [])
    return codes


def encode_fact_column(column: pd.Series, dimension, what: str, into: np.ndarray) -> None:
    """Write a fact column's codes into ``into`` (0 = unknown); a missing cell leaves ``into`` as it is."""
    codes = encode_values(column, dimension)
    stated = ~np.asarray(column.isna())
    bad = (codes < 0) & stated
    if bad.any():
        raise UnknownValueError(what, _text(column[bad].iloc[0]), [])
    into[stated] = codes[stated]


def match_chunked(c, sender, recipient, category, stage, purpose, facts, chunk: int = 8192) -> np.ndarray:
    """``CompiledProtocol.match`` in cache-sized chunks, without temporaries per dimension."""
    n = len(sender)
    out = np.empty((n, c.words), dtype=np.uint64)
    tables = [(c.to_bits, recipient), (c.category_bits, category), (c.stage_bits, stage),
              (c.purpose_bits, purpose)] + [(t, facts[:, f]) for f, t in enumerate(c.fact_bits)]
    scratch = np.empty((chunk, c.words), dtype=np.uint64)
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        o, t = out[a:b], scratch[:b - a]
        np.take(c.from_bits, sender[a:b], axis=0, out=o)
        for table, index in tables:
            np.take(table, index[a:b], axis=0, out=t)
            o &= t
    return out


def decide_outcomes(protocol, table: pd.DataFrame) -> pd.DataFrame:
    """P1: ``decide_many(protocol, table, detail="outcome")`` for a table with one category per row."""
    c = compile_protocol(protocol)
    frame = table.reset_index(drop=True)
    if frame["category"].dtype == object and frame["category"].map(lambda v: isinstance(v, (list, tuple))).any():
        raise NotImplementedError("lists of categories: expand first")
    codes = {name: encode_dimension(frame[name], dim, name) for name, dim in
             (("from", c.partners), ("to", c.partners), ("category", c.categories), ("stage", c.stages),
              ("purpose", c.purposes))}
    facts = np.zeros((len(frame), len(c.facts)), dtype=np.int64)
    for f, dimension in enumerate(c.facts):
        if dimension.name in frame.columns:
            column = np.zeros(len(frame), dtype=np.int64)
            encode_fact_column(frame[dimension.name], dimension, f"value of fact '{dimension.name}'", column)
            facts[:, f] = column
    bits = match_chunked(c, codes["from"], codes["to"], codes["category"], codes["stage"], codes["purpose"], facts)
    outcomes, deciders = c.resolve(bits)
    need = c.need[codes["to"], codes["stage"], codes["purpose"], codes["category"]]
    rule_ids = np.array([None] + [c.rule_at_bit(b).id for b in range(len(c.rules))], dtype=object)
    out = frame[["from", "to", "category", "stage", "purpose"]].copy(deep=False)
    out.insert(0, "request", np.arange(len(frame)))
    out["outcome"] = pd.Categorical.from_codes(outcomes, categories=list(OUTCOME_CODES))
    out["rule"] = pd.Series(rule_ids[deciders + 1], dtype=object)
    out["need_to_know"] = pd.Categorical.from_codes(need, categories=list(NEED_CODES))
    return out


# -- P2 -----------------------------------------------------------------------------------------
def partners_in(self: Vocabulary, scope) -> set[str]:
    if scope == ANY:
        return set(self.partners)
    memo = self.__dict__.get("_partner_memo")
    if memo is None:
        memo = ({p: set(self.partner_ancestors(p)) for p in self.partners},
                {p: self.partner_kinds(p) for p in self.partners})
        self.__dict__["_partner_memo"] = memo
    ancestors, kinds_of = memo
    named, kinds = set(scope.partners), set(scope.kinds)
    return {p for p in self.partners if named & ancestors[p] or kinds & kinds_of[p]}


# -- P3 -----------------------------------------------------------------------------------------
def category_decision(compiled, request, category, bits, decider, need) -> CategoryDecision:
    rules = compiled.rules
    winners = [rules[i] for i in compiled.winners(bits, decider)]
    matched = [rules[i] for i in compiled.matched(bits)]
    first = winners[0] if winners else None
    outcome = first.outcome if first else "gap"
    decision = CategoryDecision(
        category=category, outcome=outcome, rule=first.id if first else None,
        deciding_rules=tuple(r.id for r in winners), rules_matched=tuple(r.id for r in matched),
        lawful_bases=_union(r.lawful_bases for r in winners),
        obligations=_union([str(o) for o in r.obligations] for r in winners),
        minimum=first.minimum if first and outcome == "share_minimum" else None,
        escalate_to=first.escalate_to if first and outcome == "escalate" else None,
        need_to_know=NEED_CODES[need], explanation="")
    text = explain_category(compiled, request, decision, winners, [r for r in matched if r not in winners])
    return dataclasses.replace(decision, explanation=text)


def add_detail(compiled, frame, codes, bits, deciders, base):
    """The engine's ``_add_detail`` (details per request scope and matched rules), columns read once."""
    key = np.column_stack([codes["from"], codes["to"], codes["category"], codes["stage"], codes["purpose"],
                           bits.view(np.int64)]) if len(base) else np.zeros((0, 1), dtype=np.int64)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    columns = {name: frame[name].to_numpy() for name in ("from", "to", "category", "stage", "purpose")}
    need = compiled.need[codes["to"], codes["stage"], codes["purpose"], codes["category"]]
    details = []
    for row in first.tolist():
        request = Request(columns["from"][row], columns["to"][row], (columns["category"][row],),
                          columns["stage"][row], columns["purpose"][row])
        details.append(category_decision(compiled, request, request.categories[0], bits[row], int(deciders[row]),
                                         int(need[row])))
    for name in ("deciding_rules", "rules_matched", "lawful_bases", "obligations", "minimum", "escalate_to",
                 "explanation"):
        array = np.empty(len(details), dtype=object)
        array[:] = [getattr(d, name) for d in details]
        base[name] = pd.Series(array[inverse] if len(base) else array, dtype=object)
    return base[DECISION_COLUMNS]


# -- P4 -----------------------------------------------------------------------------------------
FIELDS = list(CategoryDecision.__dataclass_fields__)


def expectations(compiled, meta, decisions):
    by_request: dict[int, list] = {}
    if len(decisions):
        columns = {n: decisions[n].astype(str).tolist() if n in ("outcome", "need_to_know") else decisions[n].tolist()
                   for n in FIELDS}
        for n in ("rule", "minimum", "escalate_to"):  # as the engine's _decision_of: NaN is None
            columns[n] = [None if isinstance(v, float) and v != v else v for v in columns[n]]
        for i, r in enumerate(decisions["request"].tolist()):
            by_request.setdefault(r, []).append(CategoryDecision(**{n: columns[n][i] for n in FIELDS}))
    out = []
    for index, (case, step_id, step_index, step, request_id, req, facts) in enumerate(meta):
        if req.expect is None:
            continue
        request = Request(req.from_, req.to, tuple(req.categories), step.stage, req.purpose, facts)
        categories = tuple(by_request[index])
        overall = summary_outcome(c.outcome for c in categories)
        decision = Decision(request, overall, categories, explain_request(compiled, request, categories, overall))
        problems = cases_module._problems(req.expect, decision)
        out.append({
            "case": case.id, "step": step_id, "step_index": step_index, "stage": step.stage,
            "request": request_id, "from": req.from_, "to": req.to, "categories": list(req.categories),
            "purpose": req.purpose, "facts": facts, "expected": req.expect.outcome, "actual": decision.outcome,
            "passed": not problems, "problems": problems, "rule": decision.rule,
            "rules_matched": list(decision.rules_matched), "obligations": list(decision.obligations),
            "explanation": decision.explanation, "note": req.note,
        })
    frame = pd.DataFrame(out, columns=cases_module.EXPECTATION_COLUMNS).astype({"passed": bool})
    for column in ("rule", "note"):  # as the engine does: None stays None in a text column
        frame[column] = pd.Series([row[column] for row in out], dtype=object, index=frame.index)
    return frame


PATCHES = [(Vocabulary, "partners_in", partners_in), (decisions_module, "_category_decision", category_decision),
           (decisions_module, "_add_detail", add_detail), (cases_module, "_expectations", expectations)]


class patched:
    def __enter__(self):
        self.saved = [(owner, name, getattr(owner, name)) for owner, name, _ in PATCHES]
        for owner, name, new in PATCHES:
            setattr(owner, name, new)

    def __exit__(self, *exc):
        for owner, name, old in self.saved:
            setattr(owner, name, old)


def compare(old, new, repeats: int) -> tuple[float, float]:
    """Median wall times of ``old()`` and ``new()``, run alternately after a warm-up of each."""
    old()
    new()
    runs_old, runs_new = [], []
    for _ in range(repeats):
        for fn, runs in ((old, runs_old), (new, runs_new)):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
    return statistics.median(runs_old), statistics.median(runs_new)


def _with_patches(fn):
    def call():
        with patched():
            return fn()
    return call


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n, n_cases, repeats = (100_000, 20, 2) if args.quick else (1_000_000, 200, 5)

    protocol = generate.make_protocol(bench.PARTNERS, bench.RULES, seed=bench.SEED)
    compiled = compile_protocol(protocol)
    table = generate.make_requests(protocol, n, seed=1)
    cat_table = bench.categorical(table, compiled)
    reference = decide_many(protocol, table, detail="outcome")
    print(f"P1 decide_many(detail='outcome'), {n:,} requests")
    for label, data in (("text columns", table), ("categorical columns", cat_table)):
        mine = decide_outcomes(protocol, data)
        same = (np.array_equal(mine["outcome"].astype(str), reference["outcome"].astype(str))
                and np.array_equal(mine["need_to_know"].astype(str), reference["need_to_know"].astype(str))
                and all(a == b or (a is None and pd.isna(b)) for a, b in zip(mine["rule"], reference["rule"])))
        old, new = compare(lambda: decide_many(protocol, data, detail="outcome"),
                           lambda: decide_outcomes(protocol, data), repeats)
        print(f"  {label:20} engine {old * 1000:9.1f} ms ({n / old:>11,.0f}/s)   patched {new * 1000:9.1f} ms "
              f"({n / new:>11,.0f}/s)   x{old / new:.1f}   same answers: {'yes' if same else 'NO'}")

    workshop = generate.make_protocol(bench.PARTNERS, bench.RULES, seed=bench.SEED + 1, priorities=True)
    cases = generate.make_cases(workshop, n_cases, 5, 4, seed=2)
    counter = iter(range(10_000))
    old, new = compare(lambda: cases_module.run_cases(bench.edited(workshop, next(counter)), cases),
                       _with_patches(lambda: cases_module.run_cases(bench.edited(workshop, next(counter)), cases)),
                       repeats)
    edited = bench.edited(workshop, 7)
    with patched():
        mine = cases_module.run_cases(edited, cases).expectations
    theirs = cases_module.run_cases(edited, cases).expectations
    same = (list(theirs["explanation"]) == list(mine["explanation"])
            and [list(ps) for ps in theirs["problems"]] == [list(ps) for ps in mine["problems"]]
            and list(theirs["passed"]) == list(mine["passed"]) and list(theirs["rule"]) == list(mine["rule"]))
    print(f"P2+P3+P4 workshop re-evaluation ({n_cases} cases x 20 requests, compile after an edit + run_cases)")
    print(f"  engine {old * 1000:9.1f} ms   patched {new * 1000:9.1f} ms   x{old / new:.1f}   "
          f"same expectations: {'yes' if same else 'NO'}")
    copies = [bench.edited(workshop, 100 + k) for k in range(2 * (repeats + 1))]  # not in the compile cache
    old, new = compare(lambda: compile_protocol(copies.pop()), _with_patches(lambda: compile_protocol(copies.pop())),
                       repeats)
    print(f"P2 compile after an edit (cache miss): engine {old * 1000:.1f} ms, patched {new * 1000:.1f} ms, "
          f"x{old / new:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
