"""Read large event/record files chunk by chunk through ``ivr_text.io.iter_table`` and join the chunks cheaply.

Categorical chunks (dictionary-encoded Parquet) are joined with ``union_categoricals`` so that a 10 M-row log
stays as integer codes instead of becoming Python strings; per-chunk ``attrs`` (source rows) are joined too.
Guarantees the same accounting as ``read_table``: ``read = used + rejected``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.io import Table, iter_table


def _join(frames: list[pd.DataFrame]) -> pd.DataFrame:
    from pandas.api.types import union_categoricals

    frames = [f for f in frames if len(f)] or frames[:1]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    cols = {}
    for c in frames[0].columns:
        parts = [f[c] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            cols[c] = pd.Series(union_categoricals(parts, ignore_order=True))
        else:
            cols[c] = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    return pd.DataFrame(cols)


def read_chunked(path, kind, **kwargs) -> Table:
    """Like :func:`ivr_text.io.read_table`, keeping categorical columns categorical across chunks."""
    data, rejected, source_rows = [], [], []
    read, first = 0, None
    for part in iter_table(path, kind, **kwargs):
        first = first or part
        rows = part.data.attrs.get("source_rows")
        part.data.attrs = {}
        data.append(part.data)
        if rows is not None:
            source_rows.append(np.asarray(rows))
        if len(part.rejected):
            rejected.append(part.rejected)
        read += part.read
    if first is None:
        raise InputError(f"{path}: no rows")
    joined = _join(data)
    if source_rows and sum(map(len, source_rows)) == len(joined):
        joined.attrs["source_rows"] = np.concatenate(source_rows)
    rej = pd.concat(rejected, ignore_index=True) if rejected else first.rejected.iloc[:0]
    return Table(data=joined, rejected=rej, source=first.source, read=read, encoding=first.encoding,
                 kind=first.kind)
