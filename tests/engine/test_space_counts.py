"""explore(count=True) counts the requests behind each state exactly, checked against brute force."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from protocolkit.engine.space import Axis, explore


@st.composite
def spaces(draw):
    axes = []
    for a in range(draw(st.integers(1, 4))):
        n = draw(st.integers(1, 6))
        table = np.array([[draw(st.integers(0, 15))] for _ in range(n)], dtype=np.uint64)
        allowed = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1)))
        tags = np.array([draw(st.integers(0, 1)) for _ in allowed], dtype=np.int64) if draw(st.booleans()) else None
        axes.append(Axis(f"a{a}", table, np.array(allowed, dtype=np.int64), tags=tags))
    return axes


@settings(max_examples=150, deadline=None)
@given(spaces())
def test_counts_match_brute_force(axes):
    explored = explore(axes, 1, count=True)
    brute: dict[tuple, int] = {}
    for combo in itertools.product(*[range(len(axis.allowed)) for axis in axes]):
        bits = np.uint64(np.iinfo(np.uint64).max)
        tags = []
        for axis, i in zip(axes, combo):
            bits &= axis.table[axis.allowed[i]][0]
            tags.append(0 if axis.tags is None else int(axis.tags[i]))
        key = (int(bits), *tags)
        brute[key] = brute.get(key, 0) + 1
    got = {(int(b[0]), *map(int, t)): int(c) for b, t, c in zip(explored.bits, explored.tags, explored.counts)}
    assert got == brute
    assert int(explored.counts.sum()) == explored.space_size


def test_without_count_there_are_no_counts():
    axis = Axis("a", np.array([[1], [2]], dtype=np.uint64), np.array([0, 1]))
    assert explore([axis], 1).counts is None
    assert explore([axis], 1, count=True).counts.tolist() == [1, 1]
