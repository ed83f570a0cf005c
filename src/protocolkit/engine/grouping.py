"""Equal rows of an integer table, grouped fast: what ``np.unique(table, axis=0)`` gives, without its sort.

The batch engine computes each distinct set of matched rules once (its deciding rules, bases,
obligations, explanation) and spreads the result over the rows that share it. ``np.unique``
with ``axis=0`` sorts the rows as structured records, which costs more than deciding them;
hashing each row to one integer and grouping the integers does the same job in linear time.
A hash collision never merges two different rows: every row is compared with the first row of
its group, and a table where that fails is grouped the slow, exact way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# odd multipliers, one per column (a column beyond these reuses them, shifted)
_MULTIPLIERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                         0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9],
                        dtype=np.uint64)


def group_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct row of a 2-D integer table, and each row's group.

    Returns ``(first, inverse)``: ``table[first]`` holds each distinct row once (in order of first
    appearance) and ``table[first][inverse]`` equals ``table``.

    Examples
    --------
    >>> import numpy as np
    >>> first, inverse = group_rows(np.array([[1, 2], [3, 4], [1, 2]], dtype=np.uint64))
    >>> first.tolist(), inverse.tolist()
    ([0, 1], [0, 1, 0])
    """
    table = np.asarray(table)
    n = len(table)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if table.ndim == 1:
        table = table[:, None]
    words = np.ascontiguousarray(table).view(np.uint64) if table.dtype.itemsize == 8 else table.astype(np.uint64)
    if words.shape[1] == 1:
        key = words[:, 0]
    else:
        key = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for column in range(words.shape[1]):
                multiplier = _MULTIPLIERS[column % len(_MULTIPLIERS)]
                mixed = words[:, column] * multiplier
                key ^= mixed ^ (mixed >> np.uint64(29 + column % 7))
                key *= np.uint64(0x9E3779B97F4A7C15)
    inverse, _ = pd.factorize(key)
    inverse = inverse.astype(np.int64, copy=False)
    # factorize numbers groups in order of first appearance: a group starts where the running maximum grows
    running = np.maximum.accumulate(inverse)
    first = np.flatnonzero(np.concatenate(([True], running[1:] > running[:-1])))
    if words.shape[1] > 1 and not (words == words[first[inverse]]).all():
        _, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
        return first.astype(np.int64), inverse.reshape(-1).astype(np.int64)
    return first, inverse
