"""Read IVR event and call-record files for the analysis, keeping text columns as integer codes.

* :func:`read_chunked` reads through :func:`ivr_text.io.iter_table` (column mapping, typing, rejected rows
  with ``source_row``; ``read = used + rejected``) and joins the chunks without turning codes back into
  strings: columns named in ``dictionary`` are dictionary-encoded chunk by chunk (pyarrow), and
  categorical / dictionary chunks are joined by unifying their dictionaries (``pd.concat`` would make
  them Python strings).
* :func:`read_parquet_events` is the fast path for typed Parquet logs (library use and the benchmark):
  only the needed columns, small text columns straight from the file's dictionaries (``read_dictionary``),
  id columns dictionary-encoded per chunk in parallel threads. It does no cleaning: ``analyze_events``
  checks the rows (missing values, unknown events, duplicates, order) itself.

Speed (10 M events / 1.45 M calls, 2 shared cores, ``benchmarks/bench_io.py``): ``read_parquet_events``
2.4-2.9 s CPU (``benchmarks/bench_ivr.py``, jemalloc pool), 0.85-0.93 GB peak; ``read_chunked`` about 7 s
on the same Parquet file and 13 s on the same log as an 836 MB CSV (it asks ``ivr_text.io`` for dictionary
codes, so text values are stripped and checked on the dictionaries, not row by row).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Iterable

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.io import Table, iter_table, parse_mapping
from ivr_text.parallel import cpu_count

#: Columns of an ``ivr_events`` log; the first four are required.
EVENT_COLUMNS = ("call_id", "ts", "node", "event", "key", "segment", "caller_id")
#: Text columns the analysis only compares (kept as dictionary codes).
CODE_COLUMNS = ("call_id", "node", "event", "key", "segment", "caller_id")


def _arrow_dtype(t):
    import pyarrow as pa

    return pd.ArrowDtype(t) if pa.types.is_dictionary(t) else None


def _encode(chunked, threads: int | None = None):
    """One dictionary array (one chunk, one dictionary) for a string or dictionary ChunkedArray.

    String chunks are dictionary-encoded in parallel threads (pyarrow releases the GIL); the chunks'
    dictionaries are then merged by encoding their concatenation once and re-mapping each chunk's indices.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = chunked.chunks
    if not pa.types.is_dictionary(chunked.type):
        workers = threads or cpu_count()
        if len(chunks) > 1 and workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                chunks = list(pool.map(pc.dictionary_encode, chunks))
        else:
            chunks = [pc.dictionary_encode(c) for c in chunks]
        if not chunks:
            return pa.array([], type=chunked.type).dictionary_encode()
    if len(chunks) == 1:
        return chunks[0]
    # the chunks (record batches) of one Parquet row group carry equal dictionaries, as the same buffers or
    # as copies: merge each distinct dictionary once (a 1.4 M-id column: 10 dictionaries to merge, not 77)
    which, dicts, seen = [], [], {}
    for c in chunks:
        d = c.dictionary
        i = seen.get(_identity(d))
        if i is None and dicts and len(dicts[-1]) == len(d) and dicts[-1].equals(d):
            i = len(dicts) - 1  # a copy of the previous chunk's dictionary (consecutive batches of a row group)
        if i is None:
            i = len(dicts)
            dicts.append(d)
        seen[_identity(d)] = i
        which.append(i)
    merged = pc.dictionary_encode(pa.concat_arrays(dicts))
    to_global = merged.indices.to_numpy(zero_copy_only=False).astype(np.int32)
    offsets = np.r_[0, np.cumsum([len(d) for d in dicts])]
    small = np.int8 if len(merged.dictionary) < 127 else np.int16 if len(merged.dictionary) < 32_767 else np.int32
    to_global = to_global.astype(small)
    codes = np.empty(sum(len(c) for c in chunks), dtype=small)
    lookups = [np.r_[to_global[offsets[i]:offsets[i + 1]], -1] for i in range(len(dicts))]  # -1 reads the -1
    same = [bool(np.array_equal(lk[:-1], np.arange(len(lk) - 1))) for lk in lookups]  # codes kept as they are
    start, missing = 0, False
    for c, i in zip(chunks, which):
        local = c.indices if c.indices.null_count == 0 else pc.fill_null(c.indices, -1)
        missing |= c.indices.null_count > 0
        if same[i]:
            codes[start:start + len(c)] = local.to_numpy()
        else:
            np.take(lookups[i], local.to_numpy(), out=codes[start:start + len(c)])
        start += len(c)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0) if missing else pa.array(codes),
                                          merged.dictionary)


def _identity(arr) -> tuple:
    """Arrays with equal identity hold the very same values (same buffers, offset and length)."""
    return tuple(b.address if b is not None else 0 for b in arr.buffers()) + (arr.offset, len(arr))


def _as_dictionary(s: pd.Series) -> pd.Series:
    """A text column as a pyarrow dictionary column (already categorical or dictionary columns are kept)."""
    import pyarrow as pa

    if isinstance(s.dtype, pd.CategoricalDtype):  # keep only the values this chunk uses (a pandas-written
        return s.cat.remove_unused_categories()    # Parquet file repeats its whole category list per chunk)
    if isinstance(s.dtype, pd.ArrowDtype) and pa.types.is_dictionary(s.dtype.pyarrow_dtype):
        return s
    arr = pa.chunked_array([pa.array(s.array, type=pa.string(), from_pandas=True)])
    enc = _encode(arr, threads=1)
    return pd.Series(pd.arrays.ArrowExtensionArray(enc), index=s.index, name=s.name)


def _join(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of ``frames`` one after the other; categorical and dictionary columns stay codes."""
    import pyarrow as pa
    from pandas.api.types import union_categoricals

    frames = [f for f in frames if len(f)] or frames[:1]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    cols = {}
    for c in frames[0].columns:
        parts = [f[c] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            cols[c] = pd.Series(union_categoricals(parts, ignore_order=True))
        elif all(isinstance(p.dtype, pd.ArrowDtype) and pa.types.is_dictionary(p.dtype.pyarrow_dtype)
                 for p in parts):
            chunks = [ch for p in parts for ch in p.array.__arrow_array__().chunks]
            cols[c] = pd.Series(pd.arrays.ArrowExtensionArray(_encode(pa.chunked_array(chunks))))
        else:
            cols[c] = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    return pd.DataFrame(cols)


def read_chunked(path, kind, *, dictionary: Iterable[str] = (), **kwargs) -> Table:
    """Like :func:`ivr_text.io.read_table`; columns in ``dictionary`` (when present) become dictionary codes
    chunk by chunk, and categorical / dictionary columns are joined as codes."""
    dictionary = set(dictionary)
    data, rejected, source_rows = [], [], []
    read, first = 0, None
    with ThreadPoolExecutor(cpu_count()) as pool:  # columns encoded in parallel (pyarrow frees the GIL)
        for part in iter_table(path, kind, dictionary=dictionary, **kwargs):
            first = first or part
            df = part.data
            source_rows.append(np.asarray(df.attrs.get("source_rows", np.full(len(df), -1))))
            df.attrs = {}
            cols = [c for c in df.columns if c in dictionary]
            for c, encoded in zip(cols, pool.map(_as_dictionary, [df[c] for c in cols])):
                df[c] = encoded
            data.append(df)
            if len(part.rejected):
                rejected.append(part.rejected)
            read += part.read
    if first is None:
        raise InputError(f"{path}: no rows")
    joined = _join(data)
    joined.attrs["source_rows"] = np.concatenate(source_rows)
    rej = pd.concat(rejected, ignore_index=True) if rejected else first.rejected.iloc[:0]
    return Table(data=joined, rejected=rej, source=first.source, read=read, encoding=first.encoding,
                 kind=first.kind, guessed=first.guessed)


def read_parquet_events(path, mapping=None, columns: Iterable[str] = EVENT_COLUMNS,
                        threads: int | None = None) -> pd.DataFrame:
    """An ``ivr_events`` frame from a typed Parquet file, read as codes (see the module docstring).

    ``mapping``: ``{canonical: source}`` or ``["call_id=CALLID", ...]`` as for ``--map``. Missing optional
    columns are left out; a missing required column is an :class:`InputError`.
    """
    return _read_parquet_events(path, mapping, columns, threads)


def _read_parquet_events(path, mapping, columns: Iterable[str], threads: int | None) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InputError(f"{path}: not a readable Parquet file ({exc.__class__.__name__})") from None
    mapping = parse_mapping(mapping)
    source = {c: mapping.get(c, c) for c in columns}
    present = {c: s for c, s in source.items() if s in names}
    for c in EVENT_COLUMNS[:4]:
        if c in source and c not in present:
            raise InputError(f"{path}: missing required column '{source[c]}' for ivr_events")
    schema = pq.read_schema(path)
    text = [s for c, s in present.items() if c in CODE_COLUMNS
            and (pa.types.is_string(schema.field(s).type) or pa.types.is_large_string(schema.field(s).type))]
    table = pq.read_table(path, columns=list(present.values()), read_dictionary=text, memory_map=True)
    arrays = {c: table.column(s) for c, s in present.items()}
    del table
    todo = [c for c, col in arrays.items() if c in CODE_COLUMNS and pa.types.is_dictionary(col.type)]
    workers = max(min(len(todo), threads or cpu_count()), 1)
    with ThreadPoolExecutor(workers) as pool:  # columns in parallel threads (pyarrow and np.take free the GIL)
        for c, col in zip(todo, pool.map(lambda c: _encode(arrays[c], threads), todo)):
            arrays[c] = col  # one dictionary for the whole column
    out = pa.table(list(arrays.values()), names=list(arrays))
    return out.to_pandas(types_mapper=_arrow_dtype, self_destruct=True)
