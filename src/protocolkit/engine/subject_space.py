"""Whose data a request is about, explored with the facts tied to the subject (``docs/semantics.md`` section 16).

A per-subject fact read for a role (``consent@victim``) is the subject's own value when the
request is about that role: in a request about the victim, ``consent`` and ``consent@victim``
are one value. A space explored exactly (the permitted flows, the guarantee checker) therefore
explores the subject and those facts as one joint axis and keeps only the consistent states.
This module builds that axis's states and rule table, once for both.
"""

from __future__ import annotations

import numpy as np

from .compiled import CompiledProtocol


def linked_facts(compiled: CompiledProtocol) -> list[int]:
    """Positions of the facts a request's subject ties together: each plain fact and its role reading.

    Examples
    --------
    >>> import protocolkit
    >>> from protocolkit.engine import compile_protocol
    >>> linked_facts(compile_protocol(protocolkit.load(protocolkit.example_path("mash"))))   # no rule reads a role's fact
    []
    """
    return sorted({p for plain, _, role_read in compiled.links for p in (plain, role_read)})


def subject_states(compiled: CompiledProtocol, about: np.ndarray,
                   blocks: list[tuple[list[int], np.ndarray]]) -> tuple[np.ndarray, list[int]]:
    """The consistent states of the subject and the facts of ``blocks``.

    ``about`` holds subject codes; each block is (fact positions, rows of allowed code
    combinations of those facts). The states are the cross product, kept where a request
    about a role gives the plain fact and its reading for that role the same value.
    Returns the states (``[about code, fact codes...]``) and the facts' positions, in column order.

    Examples
    --------
    Subjects 0 (none stated) and 1 (the victim); fact 0 ``consent`` and fact 1 ``consent@victim``, each
    unknown (0) or given (1). About the victim the two agree; about no one stated, any pair is a request:

    >>> from types import SimpleNamespace
    >>> compiled = SimpleNamespace(links=[(0, 1, 1)])   # (plain fact, role, the fact read for that role)
    >>> either = np.array([[0], [1]])
    >>> states, positions = subject_states(compiled, np.array([0, 1]), [([0], either), ([1], either)])
    >>> states.tolist(), positions
    ([[0, 0, 0], [0, 0, 1], [0, 1, 0], [0, 1, 1], [1, 0, 0], [1, 1, 1]], [0, 1])
    """
    rows = np.asarray(about, dtype=np.int64)[:, None]
    positions: list[int] = []
    for group, states in blocks:
        rows = np.column_stack([np.repeat(rows, len(states), axis=0), np.tile(states, (len(rows), 1))])
        positions += list(group)
    column = {p: 1 + k for k, p in enumerate(positions)}
    ok = np.ones(len(rows), dtype=bool)
    for plain, role, role_read in compiled.links:
        if plain in column and role_read in column:
            ok &= (rows[:, 0] != role) | (rows[:, column[plain]] == rows[:, column[role_read]])
    return rows[ok], positions


def subject_table(compiled: CompiledProtocol, states: np.ndarray, positions: list[int],
                  about_table: np.ndarray | None = None) -> np.ndarray:
    """The rule bitsets each state matches: the subject's (``about_table``, by default the compiled one) AND
    each fact's."""
    about_table = compiled.space_table("about") if about_table is None else about_table
    table = about_table[states[:, 0]]
    for k, p in enumerate(positions):
        table = table & compiled.space_table("fact", p)[states[:, 1 + k]]
    return table


__all__ = ["linked_facts", "subject_states", "subject_table"]
