"""``iter_table`` / ``read_table``: a file of any format → checked, typed :class:`~ivr_text.io.tables.Table` chunks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.io.checks import _typed_table
from ivr_text.io.columns import parse_mapping, select_columns
from ivr_text.io.csv_chunks import _text_chunks
from ivr_text.io.encodings import _ANY_SURROGATE, detect_encoding
from ivr_text.io.files import _check_encoding, check_input_file, read_header, resolve_format
from ivr_text.io.lines import _LineMap
from ivr_text.io.other_chunks import _jsonl_chunks, _parquet_chunks
from ivr_text.io.schemas import SCHEMAS, Schema
from ivr_text.io.tables import Table, concat_tables


def iter_table(
    path: str | Path,
    kind: str | Schema | None = None,
    *,
    mapping: Mapping[str, str] | Iterable[str] | None = None,
    fmt: str | None = None,
    encoding: str | None = None,
    columns: Iterable[str] | None = None,
    chunksize: int = 500_000,
    dictionary: Iterable[str] = (),
    decimal: str | None = None,
) -> Iterator[Table]:
    """Read ``path`` in chunks of ``chunksize`` rows; each chunk is a checked, typed :class:`Table`.

    ``kind`` names a schema in :data:`SCHEMAS` (or is a :class:`Schema`); ``columns`` adds columns beyond
    it (e.g. a user-chosen text column) or, without a kind, selects the columns to read. Text columns named
    in ``dictionary`` may come back as pyarrow dictionary columns (``pd.ArrowDtype``) instead of strings:
    the same values, stripped and checked, for a fraction of the time and memory on large logs. ``decimal``:
    the decimal separator of numbers in text ("." or ","; default :data:`READING`); a number that does not
    fit it (``12,5`` for ".") is rejected as ambiguous, never guessed. Dates outside
    ``READING["date_window"]`` and numbers that are infinite or beyond :data:`MAX_NUMBER` are rejected too.
    """
    path = check_input_file(path)
    schema = SCHEMAS[kind] if isinstance(kind, str) else kind
    if isinstance(kind, str) and kind not in SCHEMAS:
        raise ValueError(f"unknown input kind {kind!r}")
    fmt = resolve_format(path, fmt)
    mapping = parse_mapping(mapping)
    enc = None if fmt == "parquet" else (encoding or detect_encoding(path))
    if enc:
        _check_encoding(path, enc)
    header = read_header(path, fmt, enc)
    for i, name in enumerate(header, start=1):
        if _ANY_SURROGATE.search(name):
            raise InputError(f"{path}: header column {i} has bytes that are not {enc} text; "
                             f"fix the header row or pass --encoding")
    if fmt == "json" and not header:  # a JSON array of records
        yield from _json_array_tables(path, schema, mapping, columns, enc, decimal)
        return
    selected, guessed, types = select_columns(path, header, schema, mapping, columns)

    codes = {src for src, canon in selected.items() if canon in set(dictionary) and types.get(canon) in ("str", "text")}
    if fmt == "parquet":
        raw_chunks = _parquet_chunks(path, list(selected), chunksize, codes)
    elif fmt in ("jsonl", "json"):
        raw_chunks = _jsonl_chunks(path, list(selected), chunksize, enc)
    else:
        lines = _LineMap.of(path, enc, "\t" if fmt == "tsv" else ",")
        raw_chunks = lines.physical_chunks(
            _text_chunks(path, header, list(selected), chunksize, enc, "\t" if fmt == "tsv" else ",", codes, lines),
            path, enc)
    for raw, source_rows, bad_lines in raw_chunks:
        raw = raw.rename(columns=selected)
        table = _typed_table(raw, source_rows, bad_lines, types, schema, str(path), enc,
                             guarded=fmt in ("csv", "tsv"), decimal=decimal)
        table.guessed = guessed
        yield table


def read_table(path: str | Path, kind: str | Schema | None = None, **kwargs) -> Table:
    """Read a whole file as one :class:`Table` (see :func:`iter_table` for the arguments)."""
    parts = list(iter_table(path, kind, **kwargs))
    if not parts:
        raise InputError(f"{path}: no rows")
    return concat_tables(parts)


def _json_array_tables(path, schema, mapping, columns, encoding, decimal=None):
    with open(path, encoding=encoding, errors="surrogateescape") as fh:
        try:
            records = json.load(fh)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        except RecursionError:
            raise InputError(f"{path}: JSON nested too deeply to read") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(f"{path}: expected a JSON array of objects or JSON Lines")
    header = list(dict.fromkeys(k for r in records for k in r))
    selected, guessed, types = select_columns(path, header, schema, mapping, columns)
    raw = pd.DataFrame([[r.get(c) for c in selected] for r in records], columns=list(selected), dtype=object)
    table = _typed_table(raw.rename(columns=selected), np.arange(len(raw)) + 1, [], types, schema,
                         str(path), encoding, decimal=decimal)
    table.guessed = guessed
    yield table
