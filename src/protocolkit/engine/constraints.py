"""Fact constraints in the compiled tables: refusing impossible requests, listing possible fact states.

The constraints are declared in :mod:`protocolkit.model.constraints`; this module turns
them into boolean tables over fact codes (code 0 is ``unknown``), so that a whole table of
requests is checked at once, and lists the possible states of each group of facts that
constraints tie together, for the guarantee checker and why-not (``docs/semantics.md``
section 11).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import ImpossibleFactsError
from ..model.constraints import Cube, cubes, fact_components, possible_states
from ..model.keys import UNKNOWN
from .compiled import CompiledProtocol


@dataclass(frozen=True)
class CompiledConstraints:
    """Every forbidden cube as per-fact boolean tables, and the groups of tied facts with their possible states."""

    cubes: list[Cube]
    tables: list[list[tuple[int, np.ndarray]]]       # per cube: (fact position, allowed-by-code mask)
    groups: list[list[int]]                           # fact positions tied together, in fact order
    states: list[np.ndarray]                          # per group: int64[n, len(group)] possible codes, lexicographic


def compiled_constraints(compiled: CompiledProtocol) -> CompiledConstraints:
    """The constraint tables of a compiled protocol, built once and kept on it."""
    cached = compiled.__dict__.get("_constraints")
    if cached is not None:
        return cached
    vocab = compiled.vocab
    all_cubes = [cube for c in compiled.protocol.fact_constraints for cube in cubes(c, vocab.facts)]
    tables = []
    for cube in all_cubes:
        row = []
        for fact, allowed in cube.values.items():
            dimension = compiled.facts[compiled.fact_index[fact]]
            row.append((compiled.fact_index[fact], np.array([v in allowed for v in dimension.values], dtype=bool)))
        tables.append(row)
    order = [d.name for d in compiled.facts]
    groups, states = [], []
    for group in fact_components(all_cubes, order):
        domains = {f: list(compiled.facts[compiled.fact_index[f]].values) for f in group}  # unknown first
        listed = possible_states(group, domains, all_cubes)
        codes = np.array([[compiled.facts[compiled.fact_index[f]].index[v] for f, v in zip(group, state)]
                          for state in listed], dtype=np.int64).reshape(len(listed), len(group))
        groups.append([compiled.fact_index[f] for f in group])
        states.append(codes)
    result = CompiledConstraints(all_cubes, tables, groups, states)
    compiled.__dict__["_constraints"] = result
    return result


def impossible_rows(compiled: CompiledProtocol, fact_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row of fact codes (``int64[n, facts]``): whether a constraint rules it out, and which cube (-1: none)."""
    n = fact_codes.shape[0]
    which = np.full(n, -1, dtype=np.int64)
    for k, row in enumerate(compiled_constraints(compiled).tables):
        hit = np.ones(n, dtype=bool)
        for position, mask in row:
            hit &= mask[fact_codes[:, position]]
        which[(which < 0) & hit] = k
    return which >= 0, which


def check_possible(compiled: CompiledProtocol, fact_codes: np.ndarray, rows: np.ndarray | None = None) -> None:
    """Raise :class:`~protocolkit.errors.ImpossibleFactsError` for the first row the constraints rule out.

    ``rows`` maps each row to the request number reported (default: the row itself).
    """
    if not compiled.protocol.fact_constraints or len(fact_codes) == 0:
        return
    bad, which = impossible_rows(compiled, fact_codes)
    if not bad.any():
        return
    first = int(np.flatnonzero(bad)[0])
    row = int(rows[first]) if rows is not None else first
    facts = {d.name: d.values[code] for d, code in zip(compiled.facts, fact_codes[first].tolist())}
    raise impossible_facts_error(compiled, compiled_constraints(compiled).cubes[int(which[first])], facts, row)


def impossible_facts_error(compiled: CompiledProtocol, cube: Cube, facts: Mapping[str, str],
                           row: int | None = None) -> ImpossibleFactsError:
    """The error for a request whose facts lie in a forbidden cube, in words an IG lead reads."""
    constraint = next(c for c in compiled.protocol.fact_constraints if c.id == cube.constraint)
    stated = ", ".join(f"{f} is {facts.get(f, UNKNOWN)}" for f in cube.values)
    said = f" ({constraint.statement.strip()})" if constraint.statement else ""
    where = f"request {row}: " if row is not None else ""
    message = (f"{where}these facts cannot all be true: {stated}. The protocol's fact constraint "
               f"{constraint.id} says {constraint.describe()}{said}. Correct the facts of the request "
               f"(a fact the case does not state is unknown).")
    return ImpossibleFactsError(message, constraint.id, row)


def possible(compiled: CompiledProtocol, facts: Mapping[str, str]) -> bool:
    """Whether a fact state (fact to value; missing is unknown) is allowed by every constraint."""
    state = {k: v for k, v in facts.items()}
    return not any(cube.holds(state) for cube in compiled_constraints(compiled).cubes)


__all__ = ["CompiledConstraints", "check_possible", "compiled_constraints", "impossible_facts_error",
           "impossible_rows", "possible"]
