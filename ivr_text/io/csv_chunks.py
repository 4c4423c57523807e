"""CSV/TSV rows in chunks: the Arrow CSV reader for UTF-8 files, pandas from the first row Arrow cannot take.

Both give the same rows, line numbers and bad-line reasons (property-tested).
"""

from __future__ import annotations

import csv
import re
import warnings

import numpy as np
import pandas as pd

from ivr_text.errors import InputError


#: Encodings the Arrow CSV reader takes as they are (others go through pandas and Python's codecs).
_ARROW_ENCODINGS = {"utf-8", "utf8", "utf-8-sig", "ascii"}


def _text_chunks(path, header, usecols, chunksize, encoding, sep, codes=frozenset(), lines=None):
    """CSV/TSV chunks: the Arrow reader for UTF-8 files, pandas from the first row Arrow cannot take.

    Arrow parses in parallel and checks UTF-8 natively; a malformed row (wrong number of fields), invalid
    bytes (GBK cells to repair) or any other trouble makes the rest of the file go through
    :func:`_csv_chunks`, which re-reads from the start and skips the rows already given out, so every row
    is given out once, with the same values, line numbers and bad-line reasons as a pandas-only read.
    """
    given = 0
    if encoding.lower().replace("_", "-") in _ARROW_ENCODINGS and len(set(header)) == len(header):
        try:
            for chunk in _arrow_csv_chunks(path, header, usecols, chunksize, sep, codes):
                given += len(chunk[0])
                yield chunk
            return
        except _ArrowFallback:
            pass
    for chunk, lines, bad in _csv_chunks(path, usecols, chunksize, encoding, sep, lines):
        if given and given >= len(chunk):
            given -= len(chunk)
            if bad:  # lines skipped after the rows already given out
                yield chunk.iloc[:0], lines[:0], bad
            continue
        if given:
            chunk, lines = chunk.iloc[given:].reset_index(drop=True), lines[given:]
            given = 0
        yield chunk, lines, bad


class _ArrowFallback(Exception):
    """The Arrow CSV reader cannot give the same rows as pandas here."""


def _arrow_csv_chunks(path, header, usecols, chunksize, sep, codes):
    import pyarrow as pa
    import pyarrow.csv as pcsv

    text = pa.string()
    types = {c: pa.dictionary(pa.int32(), text) if c in codes else text for c in header}
    try:
        reader = pcsv.open_csv(
            path,
            read_options=pcsv.ReadOptions(block_size=8 << 20),
            parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=True),
            convert_options=pcsv.ConvertOptions(column_types=types, include_columns=usecols,
                                                strings_can_be_null=True, quoted_strings_can_be_null=True,
                                                null_values=[""], check_utf8=True),
        )
        if reader.schema.names != list(usecols):
            raise _ArrowFallback
        mapper = {text: pd.StringDtype("pyarrow")}.get
        line = 1
        pending, n_pending = [], 0
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                batch = None
            if batch is not None and len(batch):
                pending.append(batch)
                n_pending += len(batch)
            while n_pending >= chunksize or (batch is None and n_pending):
                table = pa.Table.from_batches(pending)
                head, rest = table.slice(0, chunksize), table.slice(chunksize)
                df = head.to_pandas(types_mapper=lambda t: mapper(t) or _dictionary_dtype(t))
                lines = np.arange(len(df)) + line + 1
                line += len(df)
                pending, n_pending = ([rest.combine_chunks().to_batches()[0]] if len(rest) else []), len(rest)
                yield df, lines, []
            if batch is None:
                break
        if line == 1:
            yield pd.DataFrame({c: pd.Series([], dtype="string") for c in usecols}), np.array([], dtype=int), []
    except _ArrowFallback:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _ArrowFallback from exc


def _dictionary_dtype(t):
    import pyarrow as pa

    return pd.ArrowDtype(t) if pa.types.is_dictionary(t) else None


def _csv_chunks(path, usecols, chunksize, encoding, sep, line_map=None):
    """Yield (raw frame of strings, record numbers, bad-line rows) chunk by chunk (numbers count the records
    of the file, header = 1; see :class:`_LineMap`)."""
    reader_kwargs = dict(
        sep=sep, dtype=object, chunksize=chunksize, encoding=encoding, index_col=False,  # never an implicit index
        encoding_errors="surrogateescape", on_bad_lines="warn", skip_blank_lines=True,
        keep_default_na=False, na_values=[""],
    )
    line_offset = 1  # header is line 1
    first_bad = _long_first_record(path, encoding, sep)
    if first_bad:  # pandas would silently drop (or, without index_col=False, shift) its extra fields
        reader_kwargs["skiprows"] = [first_bad[0] - 1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            reader = pd.read_csv(path, **reader_kwargs)
            produced = False
            for chunk in reader:
                produced = True
                bad = _bad_lines_from(caught)
                if line_map is not None:  # pandas counts blank lines: make them record numbers
                    bad = [(line_map.record_of_logical(b[0]), b[1]) for b in bad]
                if first_bad:
                    bad, first_bad = sorted([first_bad, *bad]), None
                caught.clear()
                n = len(chunk)
                lines = np.arange(n) + line_offset + 1
                if bad:
                    lines = _shift_for_bad_lines(lines, sorted(b[0] for b in bad))
                line_offset = int(lines[-1]) if n else line_offset + len(bad)
                chunk = chunk[usecols]  # all columns are parsed so that rows with extra fields are caught
                chunk.index = pd.RangeIndex(n)
                yield chunk, lines, bad
            if not produced:
                yield pd.DataFrame(columns=usecols), np.array([], dtype=int), []
        except pd.errors.EmptyDataError:
            raise InputError(f"{path}: empty file (no header row)") from None
        except pd.errors.ParserError as exc:
            msg = str(exc).strip().splitlines()[0]
            raise InputError(f"{path}: cannot parse as {sep!r}-separated text: {msg}") from None
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not valid {encoding} text ({exc.reason}); try --encoding") from None


_BAD_LINE = re.compile(r"Skipping line (\d+): (.*)")


def _long_first_record(path, encoding, sep) -> tuple[int, str] | None:
    """``(line, reason)`` when the first data record has more non-empty fields than the header (pandas' C
    parser cannot flag that row itself); trailing empty fields (``a,b,``) are not counted."""
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as fh:
        rows = csv.reader(fh, delimiter=sep)
        try:
            header = next(rows, None)
            for record in rows:
                if not record:
                    continue
                if header is not None and len(record) > len(header) and any(f.strip() for f in record[len(header):]):
                    return rows.line_num, f"expected {len(header)} fields, saw {len(record)}"
                return None
        except csv.Error:  # e.g. a field over the csv module's size limit: leave the file to pandas
            return None
    return None


def _bad_lines_from(caught) -> list[tuple[int, str]]:
    out = []
    for w in caught:
        for m in _BAD_LINE.finditer(str(w.message)):
            out.append((int(m.group(1)), m.group(2).strip()))
    return out


def _shift_for_bad_lines(lines: np.ndarray, bad: list[int]) -> np.ndarray:
    """Line numbers of kept rows when the parser skipped the ``bad`` lines."""
    lines = lines.copy()
    for b in bad:
        lines[lines >= b] += 1
    return lines


def _raw_lines(path, encoding, lines) -> dict[int, str]:
    """{line: text} of the given file lines (undecodable bytes replaced)."""
    wanted = set(int(x) for x in lines)
    out: dict[int, str] = {}
    if not wanted:
        return out
    last = max(wanted)
    with open(path, encoding=encoding or "utf-8", errors="replace", newline="") as fh:
        for number, text in enumerate(fh, start=1):
            if number in wanted:
                out[number] = text.rstrip("\r\n")
            if number >= last:
                break
    return out
