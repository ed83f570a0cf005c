"""A table's rows as plain dicts, read column by column.

``DataFrame.to_dict("records")`` boxes every cell on its own (about 10 µs a cell); the
exporters read tables of tens of thousands of cells (the permitted flows, the case results),
so they read each column once with ``Series.tolist`` and zip the columns instead. The dicts are
equal to ``to_dict("records")``'s, cell types included (Python ``str``, ``bool``, ``int``,
``float('nan')`` for a missing string), which ``tests/export/test_records.py`` checks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows of ``frame`` as dicts keyed by column, in row order (as ``frame.to_dict("records")``).

    Read column by column when every column is plain (numbers, booleans, Python objects, strings
    missing as ``nan``); numpy scalars inside object columns are made Python values as ``to_dict``
    makes them. A frame with any other column (dates, nullable types) is read by ``to_dict`` itself.

    Examples
    --------
    >>> import pandas as pd
    >>> records(pd.DataFrame({"from": ["police", "health"], "passed": [True, False], "step": [1, 2]}))
    [{'from': 'police', 'passed': True, 'step': 1}, {'from': 'health', 'passed': False, 'step': 2}]
    """
    columns = list(frame.columns)
    dtypes = list(frame.dtypes)
    if not columns or len(set(columns)) < len(columns) or not all(map(_plain, dtypes)):
        return frame.to_dict("records")
    cells = [_boxed(frame.iloc[:, i].tolist()) if d == object else frame.iloc[:, i].tolist()
             for i, d in enumerate(dtypes)]
    return [dict(zip(columns, row)) for row in zip(*cells)]


def _plain(dtype) -> bool:
    if isinstance(dtype, pd.StringDtype):
        return dtype.na_value is not pd.NA
    return isinstance(dtype, np.dtype) and dtype.kind in "biufO"


def _boxed(values: list) -> list:
    if not any(isinstance(v, np.generic) for v in values):
        return values
    from pandas.core.dtypes.cast import maybe_box_native   # what to_dict applies to object columns

    return [maybe_box_native(v) for v in values]
