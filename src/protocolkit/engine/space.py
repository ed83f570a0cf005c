"""Exact exploration of a request space, one dimension at a time.

The decision on a request depends only on the set of rules it matches, and that
set is the AND of one bitset per request dimension. So the whole space
(senders x recipients x categories x stages x purposes x every combination of
fact values, ``unknown`` included) can be explored exactly without listing it:

1. values of a dimension with identical rule bitsets (and identical *tags*, the
   extra keys a question needs, such as "is this sender in the via list") form
   one class;
2. dimension by dimension, every distinct partial bitset is crossed with every
   class and the results are deduplicated, keeping for each the smallest witness
   (the first request in lexicographic order of the dimensions' value codes).

At the end every distinct reachable combination of matched rules (and tags) is
known, with the smallest request that reaches it. Nothing is sampled: the answer
covers every request of the space, and :attr:`Exploration.space_size` says how
many that is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .grouping import group_rows


@dataclass
class Axis:
    """One dimension of a space: its table of rule bitsets, the allowed codes and optional tags.

    ``table[code]`` is the ``uint64[words]`` bitset of rules that a value matches.
    ``tags`` (aligned with ``allowed``) are kept apart in the results: values with
    different tags are never merged. ``keep=True`` keeps every value apart.
    """

    name: str
    table: np.ndarray
    allowed: np.ndarray
    tags: np.ndarray | None = None
    keep: bool = False

    def classes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Class bitsets, class representative codes (smallest value), class tags."""
        rows, reps, tags, _ = self.classes_with_sizes()
        return rows, reps, tags

    def classes_with_sizes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """As :meth:`classes`, with how many allowed values each class holds."""
        allowed = np.sort(np.asarray(self.allowed, dtype=np.int64))
        rows = self.table[allowed]
        tags = np.zeros(len(allowed), dtype=np.int64) if self.tags is None else np.asarray(self.tags, dtype=np.int64)
        if self.tags is not None:
            order = np.argsort(np.asarray(self.allowed, dtype=np.int64), kind="stable")
            tags = tags[order]
        if self.keep:
            tags = allowed.copy()
        if len(allowed) == 0:
            return rows, allowed, tags, np.zeros(0, dtype=np.int64)
        key = np.column_stack([rows.view(np.int64), tags])
        first, inverse = group_rows(key)   # as np.unique(axis=0), without its sort
        sizes = np.bincount(inverse, minlength=len(first))
        order = np.argsort(first)
        first, sizes = first[order], sizes[order]
        return rows[first], allowed[first], tags[first], sizes.astype(np.int64)


@dataclass
class Exploration:
    """The distinct reachable states of a space.

    Attributes
    ----------
    bits : ndarray
        ``uint64[n, words]``: the matched rules of each state.
    witness : ndarray
        ``int64[n, axes]``: the smallest request (value codes per axis) reaching the state.
    tags : ndarray
        ``int64[n, axes]``: the tags of the state's classes (0 where an axis has none).
    space_size : int
        How many requests the space holds (the product of the axes' allowed values).
    axes : list of str
    counts : ndarray or None
        With ``count=True`` (and no pruning), how many requests of the space reach each state.
    """

    bits: np.ndarray
    witness: np.ndarray
    tags: np.ndarray
    space_size: int
    axes: list[str] = field(default_factory=list)
    counts: np.ndarray | None = None


def explore(axes: list[Axis], words: int, prune: dict[int, Callable] | None = None,
            start: np.ndarray | None = None, count: bool = False) -> Exploration:
    """Explore the product of the axes exactly; see the module docstring.

    States stay in lexicographic order of their witnesses, so the first state with
    a property has the smallest witness of all requests with that property.
    ``prune[i]``, where given, is called with the witnesses after axis ``i`` and returns
    a mask of the states worth going on with (the rest cannot matter to the question); the
    tags so far are then dropped, since they served only the pruning, and equal states merge.
    ``start``, where given, is a set of bitsets to begin from instead of "every rule"; each
    keeps its row number as its first tag and witness, so results say which start they came from.
    ``count=True`` also counts the requests behind each state (not with ``prune``).
    """
    if count and prune:
        raise ValueError("explore cannot count the requests of pruned states")
    size = 1
    for axis in axes:
        size *= int(len(axis.allowed))
    if start is None:
        bits = np.full((1, words), np.iinfo(np.uint64).max, dtype=np.uint64)
        witness = np.zeros((1, 0), dtype=np.int64)
        tags = np.zeros((1, 0), dtype=np.int64)
    else:
        bits = np.asarray(start, dtype=np.uint64).reshape(-1, words)
        witness = np.arange(len(bits), dtype=np.int64)[:, None]
        tags = witness.copy()
    counts = np.ones(len(bits), dtype=np.float64)  # float: sums of huge products stay exact up to 2**53
    for index, axis in enumerate(axes):
        rows, reps, class_tags, sizes = axis.classes_with_sizes()
        n, k = bits.shape[0], rows.shape[0]
        if k == 0 or n == 0:
            width = witness.shape[1] + len(axes) - index
            return Exploration(np.zeros((0, words), dtype=np.uint64), np.zeros((0, width), dtype=np.int64),
                               np.zeros((0, width), dtype=np.int64), size, [a.name for a in axes],
                               np.zeros(0, dtype=np.int64) if count else None)
        crossed = (bits[:, None, :] & rows[None, :, :]).reshape(n * k, words)
        witness = np.column_stack([np.repeat(witness, k, axis=0), np.tile(reps, n)])
        tags = np.column_stack([np.repeat(tags, k, axis=0), np.tile(class_tags, n)])
        key = np.column_stack([crossed.view(np.int64), tags])
        if count:
            crossed_counts = (counts[:, None] * sizes[None, :].astype(np.float64)).reshape(n * k)
            first, inverse = group_rows(key)
            sums = np.bincount(inverse, weights=crossed_counts, minlength=len(first))
            order = np.argsort(first)
            first, counts = first[order], sums[order]
        else:
            first = np.sort(group_rows(key)[0])
        bits, witness, tags = crossed[first], witness[first], tags[first]
        if prune and index in prune:
            keep = np.asarray(prune[index](witness), dtype=bool)
            bits, witness, tags = bits[keep], witness[keep], tags[keep]
            # the kept values have served the pruning: from here on states with equal bits merge
            tags = np.zeros_like(tags)
            first = np.sort(group_rows(np.column_stack([bits.view(np.int64), tags]))[0])
            bits, witness, tags = bits[first], witness[first], tags[first]
    return Exploration(bits, witness, tags, size, [a.name for a in axes],
                       counts.round().astype(np.int64) if count else None)
