"""Parquet and JSON Lines rows in chunks (raw frames, row numbers, bad lines), as the CSV reader gives them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.io.csv_chunks import _dictionary_dtype


def _parquet_chunks(path, columns, chunksize, codes=frozenset()):
    """Parquet chunks; string columns in ``codes`` come as dictionary columns (``read_dictionary``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        codes = [c for c in columns if c in codes
                 and (pa.types.is_string(schema.field(c).type) or pa.types.is_large_string(schema.field(c).type))]
        pf = pq.ParquetFile(path, read_dictionary=codes or None)
        start = 0
        produced = False
        for batch in pf.iter_batches(batch_size=chunksize, columns=columns):
            df = batch.to_pandas(types_mapper=_dictionary_dtype) if codes else batch.to_pandas()
            produced = True
            yield df, np.arange(start, start + len(df)) + 1, []
            start += len(df)
        if not produced:
            yield pd.DataFrame(columns=columns), np.array([], dtype=int), []
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"{path}: not a readable Parquet file ({exc.__class__.__name__}: {exc})") from None


def _jsonl_chunks(path, columns, chunksize, encoding):
    rows, lines, bad = [], [], []
    with open(path, encoding=encoding, errors="surrogateescape") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError
            except (ValueError, RecursionError):  # RecursionError: nested thousands of levels deep
                bad.append((lineno, "invalid JSON object", line.rstrip("\r\n")))
                continue
            rows.append([obj.get(c) for c in columns])
            lines.append(lineno)
            if len(rows) >= chunksize:
                yield pd.DataFrame(rows, columns=columns, dtype=object), np.array(lines), bad
                rows, lines, bad = [], [], []
    yield pd.DataFrame(rows, columns=columns, dtype=object), np.array(lines, dtype=int), bad
