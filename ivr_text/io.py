"""Table I/O shared by every command: formats, encodings, column mapping, schema checks, rejected rows.

``read_table`` / ``iter_table`` read CSV, TSV, Parquet and JSON Lines (by extension or ``fmt``), detect
UTF-8 (with or without BOM), GBK and GB18030, rename columns through a mapping ({canonical: source}), check
the schema of an input kind, convert values, and move every unusable row into ``Table.rejected`` with a
``reason``. ``Table.read == Table.used + len(Table.rejected)`` always holds.

Memory: ``iter_table`` reads ``chunksize`` rows at a time and only the columns the kind needs, so peak
memory is bounded by one chunk plus what the caller keeps. ``write_table`` writes CSV (UTF-8 with BOM, so
Excel shows Chinese correctly), TSV, Parquet, JSON and JSON Lines.

Speed: UTF-8 CSV/TSV goes through the Arrow CSV reader (parallel, UTF-8 checked natively); a malformed row,
undecodable bytes or anything else it cannot take sends the rest of the file through pandas (same rows,
line numbers and reasons; property-tested). Other encodings and JSON go through pandas/Python. Text columns
a caller names in ``dictionary`` stay dictionary codes (Parquet ``read_dictionary``, Arrow dictionary CSV
columns), cleaned on their dictionaries. Measured (``benchmarks/bench_io.py``, 10 M IVR events, 2 shared
cores, ``read_chunked`` with codes): Parquet about 7 s, CSV (836 MB) about 13 s, against 11 s and 43 s before.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from ivr_text.errors import InputError, UsageError
from ivr_text.text.pii import output_masking

# --------------------------------------------------------------------------------------------- schemas

#: Column types understood by the converters. ``keep``: a column the caller passes through without using it
#: (read as text, never a reason to reject a row).
TYPES = ("str", "text", "datetime", "float", "int", "period", "bool", "keep")

#: Reading conventions of this process (the CLI sets them from ``--decimal`` and ``--date-window``):
#: the decimal separator of numbers in text files, and the dates that are plausible at all (others are
#: rejected with a reason: a year 1900 or 9999 is a typo or a placeholder, not a complaint date).
READING = {"decimal": ".", "date_window": (pd.Timestamp("1990-01-01"), pd.Timestamp("2100-01-01"))}

#: Largest magnitude accepted as a number (larger values are data errors that overflow sums and models).
MAX_NUMBER = 1e15


def set_reading(decimal: str | None = None, date_window: tuple | None = None) -> None:
    """Set this process's reading conventions: ``decimal`` "." or ","; ``date_window`` (first, end) dates."""
    if decimal is not None:
        if decimal not in (".", ","):
            raise InputError(f"--decimal {decimal!r}: use . or ,")
        READING["decimal"] = decimal
    if date_window is not None:
        lo, hi = (pd.Timestamp(d) for d in date_window)
        if not lo < hi:
            raise InputError(f"--date-window: {lo.date()} is not before {hi.date()}")
        READING["date_window"] = (lo, hi)


@dataclass(frozen=True)
class Schema:
    """Columns an input kind needs (``required``) and may carry (``optional``), with their types.

    ``extra_numeric``: keep every other column that is numeric (e.g. usage measures).
    """

    kind: str
    required: Mapping[str, str]
    optional: Mapping[str, str] = field(default_factory=dict)
    extra_numeric: bool = False

    @property
    def columns(self) -> dict[str, str]:
        return {**self.required, **self.optional}

    def using(self, columns: Iterable[str]) -> "Schema":
        """This schema for a caller that uses only ``columns`` of the optional ones: the others are passed through
        as text (type ``keep``), so a bad value there never rejects a row."""
        used = set(columns)
        return Schema(self.kind, self.required, {c: t if c in used else "keep" for c, t in self.optional.items()},
                      self.extra_numeric)


SCHEMAS: dict[str, Schema] = {
    s.kind: s
    for s in [
        Schema(
            "ivr_events",
            {"call_id": "str", "ts": "datetime", "node": "str", "event": "str"},
            {"key": "str", "segment": "str", "caller_id": "str"},
        ),
        Schema(
            "call_records",
            {"call_id": "str", "ivr_start": "datetime", "ivr_end": "datetime", "outcome": "str"},
            {
                "service": "str", "segment": "str", "caller_id": "str",
                "queue_start": "datetime", "queue_end": "datetime",
                "agent_start": "datetime", "agent_end": "datetime",
            },
        ),
        Schema(
            "complaints",
            {"text": "text"},
            {"id": "str", "label": "str", "cause": "str", "ts": "datetime",
             "customer_id": "str", "channel": "str"},
        ),
        Schema(
            "feedback",
            {"customer_id": "str", "ts": "datetime"},
            {"cause": "str", "channel": "str"},
        ),
        Schema("usage", {"customer_id": "str", "period": "period"}, {}, extra_numeric=True),
        Schema("labels", {"customer_id": "str", "churned": "bool"}, {"churn_period": "period"}),
    ]
}

FORMATS = {
    ".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv",
    ".parquet": "parquet", ".pq": "parquet",
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
}


# --------------------------------------------------------------------------------------------- tables


@dataclass
class Table:
    """Rows of one input file: ``data`` (used, typed, canonical column names) and ``rejected``.

    ``rejected`` holds the offending rows' values with ``source_row`` (line in a text file, counting the
    header as line 1; row number in Parquet) and ``reason``.
    """

    data: pd.DataFrame
    rejected: pd.DataFrame
    source: str
    read: int
    encoding: str | None = None
    kind: str | None = None
    #: {canonical: source header} for columns recognised by an alias (see ``dictionaries/columns.yaml``)
    guessed: dict = field(default_factory=dict)

    @property
    def used(self) -> int:
        return len(self.data)

    def reject(self, mask: pd.Series | np.ndarray, reason: str | pd.Series) -> int:
        """Move rows of ``data`` where ``mask`` is true to ``rejected`` with ``reason``; return how many."""
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n:
            rows = self.data.attrs.get("source_rows")
            aligned = rows is not None and len(rows) == len(self.data)
            bad = self.data.loc[mask].copy()
            bad.attrs = {}
            if aligned:
                bad.insert(0, "source_row", np.asarray(rows)[mask])
            bad["reason"] = reason if isinstance(reason, str) else np.asarray(reason)[mask]
            self.rejected = _concat([self.rejected, bad])
            self.data = self.data.loc[~mask].reset_index(drop=True)
            self.data.attrs = {"source_rows": np.asarray(rows)[~mask]} if aligned else {}
        return n

    def summary(self) -> str:
        """One line: ``FILE: read N = used U + rejected R``."""
        return f"{self.source}: read {self.read:,} = used {self.used:,} + rejected {len(self.rejected):,}"

    def top_reasons(self, k: int = 5) -> list[tuple[str, int]]:
        if self.rejected.empty:
            return []
        generic = self.rejected["reason"].astype(str).str.replace(r"(unparseable \w+ )'.*'$", r"\1'…'", regex=True)
        return list(generic.value_counts().head(k).items())


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if f is not None and len(f.columns)]
    if not frames:
        return pd.DataFrame(columns=["source_row", "reason"])
    nonempty = [f for f in frames if len(f)]
    if not nonempty:
        return frames[0].iloc[:0]
    return pd.concat(nonempty, ignore_index=True, sort=False)


# --------------------------------------------------------------------------------------------- encodings


def detect_encoding(path: str | Path, sample_bytes: int = 1 << 20) -> str:
    """Guess the text encoding of ``path``: ``utf-8-sig``, ``utf-8``, ``gb18030`` (covers GBK) or another.

    A file that is mostly valid UTF-8 with a few GBK cells (mixed exports) is read as UTF-8; the odd cells
    are repaired cell by cell on reading.
    """
    with open(path, "rb") as fh:
        raw = fh.read(sample_bytes)
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    non_ascii = sum(1 for b in raw if b >= 0x80) if len(raw) < 4096 else int(
        np.count_nonzero(np.frombuffer(raw, dtype=np.uint8) >= 0x80))
    if non_ascii == 0:
        return "utf-8"
    decoded = raw.decode("utf-8", errors="surrogateescape")
    bad = len(_SURROGATES.findall(decoded))
    if len(raw) == sample_bytes:  # a multi-byte character may be cut at the end of the sample
        bad -= len(_SURROGATES.findall(decoded[-3:]))
    if bad <= 0.3 * non_ascii:
        return "utf-8"
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    return best.encoding if best else "utf-8"


_SURROGATES = re.compile("[\udc80-\udcff]")
_ANY_SURROGATE = re.compile("[\ud800-\udfff]")  # also lone surrogates from JSON escapes (\\ud800)


def _repair_cell(value: str) -> str | None:
    """Re-decode a cell whose bytes were not valid in the file's encoding (GBK inside UTF-8); None if hopeless
    (also for a lone surrogate that stands for no byte at all)."""
    try:
        raw = value.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return None
    for enc in ("gb18030", "utf-8"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _arrow_strings(s: pd.Series):
    """``s`` (an object column) as a pyarrow string array; ``"surrogates"`` when some cell holds bytes that were
    not valid in the file's encoding; ``None`` when it holds non-strings (JSON numbers, lists)."""
    import pyarrow as pa

    try:
        return pa.array(s.to_numpy(), type=pa.string(), from_pandas=True)
    except UnicodeEncodeError:
        return "surrogates"
    except (pa.ArrowException, TypeError, ValueError):
        return None


def _repair_encoding(df: pd.DataFrame, reasons: "_Reasons", text_columns: Iterable[str] = (),
                     lenient: Iterable[str] = ()) -> None:
    """Re-decode cells with undecodable bytes (GBK inside UTF-8) and reject the hopeless ones (in ``lenient``
    columns, which the caller does not use, they become U+FFFD instead: such a column never rejects a row).

    Columns in ``text_columns`` that are clean strings are replaced by their Arrow string form (what
    :func:`_to_str` makes of them anyway), so the check costs nothing extra.
    """
    text_columns, lenient = set(text_columns), set(lenient)
    for col in df.columns:
        s = df[col]
        if s.dtype != object:
            continue  # typed or Arrow-backed columns cannot hold undecodable bytes
        arr = _arrow_strings(s)
        if arr is None:  # mixed values: check the strings among them
            try:
                "".join(v for v in s.dropna().tolist() if isinstance(v, str)).encode("utf-8")
                continue
            except UnicodeEncodeError:
                pass
        elif not isinstance(arr, str):
            if col in text_columns:
                df[col] = pd.Series(pd.arrays.ArrowStringArray(arr), index=s.index, name=col)
            continue
        bad = s.map(lambda v: isinstance(v, str) and _ANY_SURROGATE.search(v) is not None).astype(bool)
        fixed = s[bad].map(_repair_cell)
        hopeless = fixed.isna()
        df.loc[bad, col] = fixed.fillna(s[bad].map(lambda v: _ANY_SURROGATE.sub("\ufffd", v)))  # shown as �
        if col not in lenient:
            reasons.add(hopeless.reindex(s.index, fill_value=False), f"column '{col}': undecodable bytes")


# --------------------------------------------------------------------------------------------- reading


def check_input_file(path: str | Path, what: str = "file") -> Path:
    """``path`` if it is a readable regular file, else an :class:`InputError` saying why in the OS's words
    (not found, a symbolic link loop, permission denied, a directory, a device or pipe)."""
    import errno
    import os
    import stat

    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        why = {errno.ENOENT: "not found", errno.ELOOP: "is a symbolic link loop", errno.ENOTDIR: "not found",
               errno.EACCES: "permission denied", errno.ENAMETOOLONG: "name too long"}.get(exc.errno)
        raise InputError(f"{path}: {what} {why or exc.strerror or 'cannot be read'}") from None
    if stat.S_ISDIR(st.st_mode):
        raise InputError(f"{path}: is a directory, expected a {what}")
    if not stat.S_ISREG(st.st_mode):
        raise InputError(f"{path}: not a regular {what} (a device, pipe or socket cannot be read as a table)")
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: {what} permission denied")
    return path


def _check_encoding(path, encoding: str) -> None:
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise UsageError(f"--encoding '{encoding}': unknown encoding for {path}") from None


def resolve_format(path: str | Path, fmt: str | None = None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
        if fmt not in set(FORMATS.values()):
            raise UsageError(f"--format '{fmt}': unknown format for {path} (use csv, tsv, parquet, jsonl or json)")
        return fmt
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zip", ".xz") and len(suffixes) > 1:
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in FORMATS:
        return FORMATS[suffixes[-1]]
    raise InputError(f"{path}: cannot tell the format from the extension; pass --format csv|tsv|parquet|jsonl")


def parse_mapping(items: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["call_id=CALLID", "ts=EVENT_TIME"]`` → ``{"call_id": "CALLID", "ts": "EVENT_TIME"}``."""
    if not items:
        return {}
    if isinstance(items, Mapping):
        return dict(items)
    out: dict[str, str] = {}
    for item in items:
        canonical, sep, source = item.partition("=")
        if not sep or not canonical.strip() or not source.strip():
            raise InputError(f"--map '{item}': expected CANONICAL=SOURCE, e.g. --map call_id=CALLID")
        out[canonical.strip()] = source.strip()
    return out


def read_header(path: str | Path, fmt: str | None = None, encoding: str | None = None) -> list[str]:
    """Column names of a file, as written in it."""
    path = check_input_file(path)
    fmt = resolve_format(path, fmt)
    if encoding:
        _check_encoding(path, encoding)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow raises several types for corrupt files
            raise InputError(f"{path}: not a readable Parquet file ({exc.__class__.__name__})") from None
    enc = encoding or detect_encoding(path)
    with open(path, encoding=enc, errors="surrogateescape", newline="") as fh:
        if fmt in ("jsonl", "json"):
            for line in fh:
                line = line.strip()
                if line:
                    if line.startswith("["):
                        return []
                    try:
                        return list(json.loads(line).keys())
                    except (json.JSONDecodeError, AttributeError, RecursionError):
                        raise InputError(f"{path}: line 1 is not a JSON object") from None
            return []
        first = fh.readline()
    if not first.strip():
        return []
    return next(csv.reader([first], delimiter="\t" if fmt == "tsv" else ","))


_ALIASES: dict[str, str] = {}


def _header_key(name: str) -> str:
    return re.sub(r"[\s_\-.]+", "", str(name)).casefold()


def column_aliases() -> dict[str, str]:
    """{normalised header name: canonical column} from the shipped ``columns.yaml`` (canonical names included)."""
    if not _ALIASES:
        from ivr_text.resources import dictionary_path, read_yaml

        table = read_yaml(dictionary_path("columns.yaml"), "column alias file")
        for canonical, names in table.items():
            for name in [canonical, *(names or [])]:
                key = _header_key(name)
                if _ALIASES.get(key, canonical) != canonical:
                    raise ValueError(f"columns.yaml: '{name}' is listed under both {_ALIASES[key]} and {canonical}")
                _ALIASES[key] = canonical
    return _ALIASES


def guess_columns(header: list[str], wanted: Iterable[str], mapping: Mapping[str, str]) -> dict[str, str]:
    """{canonical: header} for each wanted column that is neither in ``header`` nor mapped, when exactly one
    header (not itself wanted, not already mapped) is a known alias of it."""
    aliases = column_aliases()
    wanted = list(dict.fromkeys(wanted))
    taken = set(mapping.values()) | (set(header) & set(wanted))
    guesses: dict[str, str] = {}
    for canonical in wanted:
        if canonical in header or canonical in mapping:
            continue
        hits = [h for h in header if h not in taken and aliases.get(_header_key(h)) == canonical]
        if len(hits) == 1:
            guesses[canonical] = hits[0]
            taken.add(hits[0])
    return guesses


def _check_columns(path, header: list[str], schema: Schema | None, mapping: dict[str, str],
                   wanted: Iterable[str] | None) -> dict[str, str]:
    """Return {source column: canonical column} to read; raise on missing or duplicate columns.

    Columns of the schema (and ``wanted``) missing from the header are looked up by alias first; the guesses
    are added to ``mapping`` (the caller reports them).
    """
    if not header:
        raise InputError(f"{path}: empty file (no header row)")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError(f"{path}: duplicate column '{name}' in the header")
        seen.add(name)
    for canonical, source in mapping.items():
        if source not in seen:
            raise InputError(f"{path}: column '{source}' (mapped to {canonical}) not found; "
                             f"columns are: {', '.join(header[:20])}")
    mapping.update(guess_columns(header, [*(schema.columns if schema else []), *(wanted or [])], mapping))
    source_of = {c: c for c in header if c not in mapping.values()}
    source_of.update({canon: src for canon, src in mapping.items()})
    if schema is None:
        cols = list(wanted) if wanted else list(source_of)
        missing = [c for c in cols if c not in source_of]
        if missing:
            raise InputError(f"{path}: missing column '{missing[0]}'")
        return {source_of[c]: c for c in cols}
    for col in schema.required:
        if col not in source_of:
            hint = f"; use --map {col}=YOUR_COLUMN" if header else ""
            raise InputError(f"{path}: missing required column '{col}' for {schema.kind}{hint} "
                             f"(columns: {', '.join(header[:20])})")
    keep = [c for c in schema.columns if c in source_of]
    if wanted:
        for c in wanted:
            if c not in source_of:
                raise InputError(f"{path}: missing column '{c}'; use --map {c}=YOUR_COLUMN "
                                 f"(columns: {', '.join(header[:20])})")
            if c not in keep:
                keep.append(c)
    if schema.extra_numeric and not wanted:
        keep += [c for c in source_of if c not in keep]
    return {source_of[c]: c for c in keep}


class _Reasons:
    """Per-row rejection reasons for one chunk (first reason wins)."""

    def __init__(self, index: pd.Index):
        self.index = index
        self.has = np.zeros(len(index), dtype=bool)
        self.values = np.full(len(index), None, dtype=object)

    def add(self, mask: pd.Series | np.ndarray, reason: str | pd.Series) -> None:
        mask = np.asarray(mask, dtype=bool) & ~self.has
        if mask.any():
            self.values[mask] = reason if isinstance(reason, str) else np.asarray(reason, dtype=object)[mask]
            self.has |= mask

    @property
    def reason(self) -> pd.Series:
        return pd.Series(self.values, index=self.index, dtype="object").where(self.has, pd.NA)


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
    wanted = list(columns) if columns else None
    user_mapping = dict(mapping)
    selected = _check_columns(path, header, schema, mapping, wanted)
    guessed = {k: v for k, v in mapping.items() if k not in user_mapping}
    types = dict(schema.columns) if schema else {}
    for c in wanted or []:
        types.setdefault(c, "text" if c == "text" else "str")

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


def concat_tables(parts: list[Table]) -> Table:
    """One :class:`Table` from chunks of a file or from several files of one kind (sources joined by " + ";
    rows keep their ``source_row``; from several files, rejected rows also name their ``source_file``)."""
    first = parts[0]
    if len(parts) == 1:
        return first
    sources = list(dict.fromkeys(p.source for p in parts))
    rejected = [p.rejected.assign(source_file=p.source) if len(sources) > 1 and not p.rejected.empty else p.rejected
                for p in parts]
    rows = [p.data.attrs.pop("source_rows", np.array([], dtype=int)) for p in parts]
    data = pd.concat([p.data for p in parts], ignore_index=True)
    data.attrs["source_rows"] = np.concatenate(rows)
    return Table(
        data=data,
        rejected=_concat(rejected),
        source=" + ".join(sources),
        read=sum(p.read for p in parts),
        encoding=first.encoding,
        kind=first.kind,
        guessed={k: v for p in parts for k, v in p.guessed.items()},
    )


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


class _LineMap:
    """Record numbers (header = 1, blank lines not counted, a record with quoted newlines counted once) →
    the file line where the record starts, as the README promises for ``source_row``.

    :meth:`of` reads no further than needed: a file without quotes and blank lines has one record per line
    (identity map, two vectorised byte scans). Otherwise the newlines inside quoted fields are found from the
    runs of quote characters, vectorised (64 MB blocks): outside a field a run at a field's start opens it when
    its length is odd, a run inside a field is a character; inside, a run of odd length closes the field
    (doubled quotes are characters) — as pandas, Arrow and Python's ``csv`` read quotes.
    """

    _BLOCK = 64 << 20

    def __init__(self, starts: np.ndarray | None = None, nonblank: np.ndarray | None = None):
        self.starts, self.nonblank = starts, nonblank
        self._records = None if nonblank is None else np.flatnonzero(nonblank)
        self._ordinal = None if nonblank is None else np.cumsum(nonblank)

    @classmethod
    def of(cls, path, encoding: str | None, sep: str = ",") -> "_LineMap":
        """The map of a CSV/TSV file; an :class:`InputError` naming the line when a quoted field is never
        closed (the parsers would read the rest of the file into it, or fail without saying where)."""
        import mmap

        if encoding and codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
            return cls()  # quotes and newlines are not single bytes there
        with open(path, "rb") as fh:
            try:
                mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            except ValueError:  # an empty file
                return cls()
            with mm:
                has_quotes = mm.find(b'"') >= 0
                if not has_quotes and not cls._blank_lines(mm):
                    return cls()
                data = np.frombuffer(mm, dtype=np.uint8)
                nl = np.concatenate([np.flatnonzero(block == 10) + s for s, block in cls._blocks(mm)])
                unclosed, every_nl = None, nl
                if has_quotes:
                    q = np.concatenate([np.flatnonzero(block == 34) + s for s, block in cls._blocks(mm)])
                    inside, unclosed = cls._inside_quotes(data, q, nl, sep)
                    nl = nl[~inside]
                size = len(data)
                begin = np.concatenate([[0], nl + 1])
                end = np.concatenate([nl, [size]])
                blank = end - begin == 0
                cr = (end - begin == 1) & ~blank
                if cr.any():
                    blank[cr] = data[begin[cr]] == 13
                physical = np.concatenate([[0], every_nl + 1])  # where each file line starts
                del data
        if unclosed is not None:
            raise InputError(f"{path}: line {unclosed}: a quoted field is never closed (an unmatched \")")
        keep = begin < size  # nothing after a final newline
        starts = np.searchsorted(physical, begin[keep], side="right")
        return cls(starts.astype(np.int64), ~blank[keep])

    @classmethod
    def _blocks(cls, mm):
        for start in range(0, len(mm), cls._BLOCK):
            yield start, np.frombuffer(mm, dtype=np.uint8, count=min(cls._BLOCK, len(mm) - start), offset=start)

    @staticmethod
    def _inside_quotes(data: np.ndarray, q: np.ndarray, nl: np.ndarray, sep: str) -> tuple[np.ndarray, int | None]:
        """For each newline: is it inside a quoted field? And the line of a field never closed (None if none).

        Each run of quotes maps the state (0 outside, 1 inside) by one of three functions — toggle (a run of odd
        length at a field's start), reset to outside (odd, not at a field's start) or identity (even) — so the
        state after every run is the parity of the toggles since the last reset."""
        if not len(q):
            return np.zeros(len(nl), dtype=bool), None
        first = np.concatenate([[True], np.diff(q) != 1])
        pos = q[first]
        length = np.diff(np.concatenate([np.flatnonzero(first), [len(q)]]))
        before = data[np.maximum(pos - 1, 0)]
        at_start = (pos == 0) | (before == ord(sep)) | (before == 10) | (before == 13)
        odd = length % 2 == 1
        toggles = np.cumsum(at_start & odd)
        reset = np.maximum.accumulate(np.where(~at_start & odd, np.arange(len(pos)), -1))
        state = (toggles - np.where(reset >= 0, toggles[np.maximum(reset, 0)], 0)) % 2
        unclosed = None
        if state[-1]:
            opened = pos[np.flatnonzero(np.diff(np.concatenate([[0], state])) == 1)[-1]]
            unclosed = int(np.searchsorted(nl, opened)) + 1
        run = np.searchsorted(pos, nl) - 1  # the last run of quotes before each newline
        return np.where(run >= 0, state[np.maximum(run, 0)], 0).astype(bool), unclosed

    @classmethod
    def _blank_lines(cls, mm) -> bool:
        """True if the file has an empty line (``\\n\\n`` or ``\\n\\r\\n``, or one at the start): vectorised byte
        comparisons over overlapping blocks (``bytes.find`` of a two-byte pattern stops at every newline)."""
        if mm[:1] in (b"\n", b"\r"):
            return True
        for start in range(0, len(mm), cls._BLOCK):
            block = np.frombuffer(mm, dtype=np.uint8, offset=start, count=min(cls._BLOCK + 2, len(mm) - start))
            nl = block == 10
            if (nl[1:] & nl[:-1]).any() or (nl[2:] & (block[1:-1] == 13) & nl[:-2]).any():
                return True
        return False

    @property
    def identity(self) -> bool:
        return self.starts is None

    def record_of_logical(self, logical: int) -> int:
        """pandas' line number (it counts blank lines, not quoted newlines) → record number."""
        if self.identity or logical < 1:
            return logical
        return int(self._ordinal[min(logical, len(self._ordinal)) - 1])

    def physical(self, records: np.ndarray) -> np.ndarray:
        """Record numbers → file lines (numbers past the end are left as they are)."""
        records = np.asarray(records, dtype=np.int64)
        if self.identity or not len(records):
            return records
        ok = (records >= 1) & (records <= len(self._records))
        out = records.copy()
        out[ok] = self.starts[self._records[records[ok] - 1]]
        return out

    def physical_chunks(self, chunks, path, encoding):
        """The chunks with file lines for record numbers, and each malformed row's raw text added."""
        for raw, rows, bad in chunks:
            if bad:
                lines = self.physical(np.array([b[0] for b in bad]))
                texts = _raw_lines(path, encoding, lines)
                bad = [(int(line), b[1], texts.get(int(line), "")) for line, b in zip(lines, bad)]
            yield raw, self.physical(rows), bad


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
    user_mapping = dict(mapping)
    selected = _check_columns(path, header, schema, mapping, list(columns) if columns else None)
    raw = pd.DataFrame([[r.get(c) for c in selected] for r in records], columns=list(selected), dtype=object)
    types = dict(schema.columns) if schema else {}
    for c in columns or []:
        types.setdefault(c, "str")
    table = _typed_table(raw.rename(columns=selected), np.arange(len(raw)) + 1, [], types, schema,
                         str(path), encoding, decimal=decimal)
    table.guessed = {k: v for k, v in mapping.items() if k not in user_mapping}
    yield table


# --------------------------------------------------------------------------------------------- typing

_TRUE = {"1", "true", "t", "yes", "y", "是", "churn", "churned", "流失", "1.0"}
_FALSE = {"0", "false", "f", "no", "n", "否", "active", "stay", "在网", "0.0"}
_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号])?")


def _to_str(s: pd.Series) -> pd.Series:
    """Strings, stripped; empty → missing. Numbers read from typed files keep their integer form (12345.0 → 12345).

    Clean categorical columns (e.g. dictionary-encoded Parquet) stay categorical: cheap for large logs.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories.astype("string")
        if ((cats.str.strip() == cats) & (cats != "")).all():
            return s
    if _is_arrow_dictionary(s.dtype):
        return pd.Series(pd.arrays.ArrowExtensionArray(_clean_dictionary(s.array.__arrow_array__())),
                         index=s.index, name=s.name)
    if pd.api.types.is_float_dtype(s):
        s = s.map(lambda v: v if v != v else (str(int(v)) if float(v).is_integer() else str(v)))
    out = s.astype("string").str.strip()
    return out.mask(out == "")


def _is_arrow_dictionary(dtype) -> bool:
    import pyarrow as pa

    return isinstance(dtype, pd.ArrowDtype) and pa.types.is_dictionary(dtype.pyarrow_dtype)


def _clean_dictionary(chunked):
    """A dictionary ChunkedArray of strings with its values stripped and empty values made missing.

    Only the dictionaries are looked at (a few thousand values for millions of rows); chunks whose
    dictionary is already clean are kept as they are.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = []
    for ch in chunked.chunks:
        d = ch.dictionary
        if not (pa.types.is_string(d.type) or pa.types.is_large_string(d.type)):
            d = d.cast(pa.string())
        trimmed = pc.utf8_trim_whitespace(d)
        empty = pc.equal(trimmed, "")
        if d.null_count == 0 and trimmed.equals(d) and not pc.any(empty).as_py():
            chunks.append(ch if d is ch.dictionary else pa.DictionaryArray.from_arrays(ch.indices, d))
            continue
        enc = pc.dictionary_encode(pc.if_else(empty, pa.scalar(None, trimmed.type), trimmed))
        indices = pc.take(enc.indices, ch.indices)  # old value -> new value, missing stays missing
        chunks.append(pa.DictionaryArray.from_arrays(indices.cast(ch.indices.type), enc.dictionary))
    if not chunks:
        return chunked
    return pa.chunked_array(chunks)


#: All-digit timestamps by length: compact calendar forms (switch and billing exports) and Unix epochs.
_DIGIT_TIMES = {8: "%Y%m%d", 12: "%Y%m%d%H%M", 14: "%Y%m%d%H%M%S", 10: "s", 13: "ms"}


def _digit_datetimes(s: pd.Series) -> pd.Series | None:
    """Parse a column whose values are all digits of one length in :data:`_DIGIT_TIMES` (years 1990–2100);
    ``None`` when the column is not of that shape."""
    text = s.dropna()
    if text.empty:
        return None
    if not pd.api.types.is_numeric_dtype(text) and not str(text.iloc[0]).strip().isdigit():
        return None  # the usual case (ISO or other text times): decided on the first value, no column pass
    if pd.api.types.is_float_dtype(text):
        if not (text == np.floor(text)).all():
            return None
        text = text.astype("int64")
    text = text.astype("string").str.strip()
    lengths = text.str.len().unique()
    if len(lengths) != 1 or int(lengths[0]) not in _DIGIT_TIMES or not text.str.fullmatch(r"\d+").all():
        return None
    unit = _DIGIT_TIMES[int(lengths[0])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if unit in ("s", "ms"):
            parsed = pd.to_datetime(pd.to_numeric(text), unit=unit, errors="coerce")
        else:
            parsed = pd.to_datetime(text, format=unit, errors="coerce")
    parsed = parsed.where((parsed.dt.year >= 1990) & (parsed.dt.year <= 2100))
    return parsed.reindex(s.index)


def _to_datetime(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
    digits = _digit_datetimes(s)
    if digits is not None:
        return digits
    if pd.api.types.is_numeric_dtype(s):  # other bare numbers are not dates
        s = s.astype("string")
    out = _naive_datetimes(s, "ISO8601")
    retry = out.isna() & s.notna()
    if retry.any():
        fixed = s[retry].astype("string").str.strip().str.replace(_CN_DATE, lambda m: f"{m[1]}-{m[2]}-{m[3] or 1}", regex=True)
        fixed = fixed.str.replace("/", "-", regex=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[retry] = _naive_datetimes(fixed, "mixed").to_numpy()
    return out


def _naive_datetimes(s: pd.Series, fmt: str) -> pd.Series:
    """Parse with ``fmt``; times with one UTC offset keep their clock time, a mix of offsets becomes UTC."""
    try:
        out = pd.to_datetime(s, format=fmt, errors="coerce")
    except (ValueError, TypeError):  # a mix of time-zone offsets
        out = pd.to_datetime(s, format=fmt, errors="coerce", utc=True)
    return out.dt.tz_localize(None) if getattr(out.dt, "tz", None) is not None else out


def _to_period(s: pd.Series) -> pd.Series:
    """YYYY-MM, YYYYMM, YYYY/MM, 2024年1月 or a date → canonical ``YYYY-MM`` string."""
    text = s.astype("string").str.strip()
    m = text.str.extract(r"^(\d{4})\s*[-/年.]?\s*(\d{1,2})\s*月?(?:[-/.]\d{1,2}.*)?$")
    year = pd.to_numeric(m[0], errors="coerce")
    month = pd.to_numeric(m[1], errors="coerce")
    lo, hi = READING["date_window"]
    ok = year.between(lo.year, hi.year - (hi.month == 1 and hi.day == 1)) & month.between(1, 12)
    out = pd.Series(None, index=s.index, dtype=object)
    out[ok] = (year[ok].astype(int).astype(str) + "-" + month[ok].astype(int).astype(str).str.zfill(2))
    return out


def _to_bool(s: pd.Series) -> pd.Series:
    text = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isin(_TRUE)] = True
    out[text.isin(_FALSE)] = False
    return out


#: Decoration around numbers in exported sheets: currency, unit suffixes, percent (kept as the number).
_NUMBER_DECOR = re.compile(r"^\s*[¥￥$]?\s*([-+]?)([\d,，.]*\d)\s*(?:元|块|%|％)?\s*$")
#: the digits of a number with "." or "," as decimal separator and the other one grouping thousands
_GRAMMAR = {".": re.compile(r"^(?:\d{1,3}(?:[,，]\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$"),
            ",": re.compile(r"^(?:\d{1,3}(?:\.\d{3})+|\d+)(?:[,，]\d+)?$")}


def _numbers(s: pd.Series, decimal: str | None = None) -> tuple[pd.Series, pd.Series]:
    """``(numbers, problems)``: numbers, also from ``1,234``, ``¥59``, ``59元``, ``12%`` (kept as 12), NaN where
    there is none; ``problems`` names why a value is not used although it looks like a number: ``ambiguous``
    (``12,5`` with decimal ".", ``1.5`` with decimal ","), ``not finite`` (inf, Infinity), ``out of range``."""
    decimal = decimal or READING["decimal"]
    problems = pd.Series(None, index=s.index, dtype=object)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        num = s.astype(float)
    else:
        num = pd.to_numeric(s, errors="coerce") if decimal == "." else pd.Series(np.nan, index=s.index)
        num = num.astype(float)
        retry = (num.isna() & s.notna()).to_numpy()
        if retry.any():
            parts = s[retry].astype("string").str.extract(_NUMBER_DECOR)
            body = parts[1]
            ok = body.str.match(_GRAMMAR[decimal]).fillna(False).astype(bool)
            if decimal == ".":
                digits = body.str.replace(r"[,，]", "", regex=True)
            else:
                digits = body.str.replace(".", "", regex=False).str.replace(r"[,，]", ".", regex=True)
            fixed = pd.to_numeric((parts[0].fillna("") + digits).where(ok), errors="coerce")
            num.iloc[np.flatnonzero(retry)] = fixed.to_numpy(dtype=float, na_value=np.nan)
            ambiguous = body.notna() & ~ok
            problems.iloc[np.flatnonzero(retry)[ambiguous.to_numpy()]] = "ambiguous"
    values = num.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(values)
        huge = np.abs(values) > MAX_NUMBER
    problems[infinite] = "not finite"
    problems[huge & ~infinite] = "out of range"
    num = num.mask(infinite | huge)
    return num, problems


def _to_number(s: pd.Series, decimal: str | None = None) -> pd.Series:
    """Numbers as :func:`_numbers` reads them (NaN where there is none)."""
    return _numbers(s, decimal)[0]


_PROBLEM_TEXT = {
    "ambiguous": "ambiguous number (a decimal comma? pass --decimal , if commas separate decimals)",
    "not finite": "not a finite number",
    "out of range": f"number out of range (|x| > {MAX_NUMBER:.0e})",
}


def _convert(s: pd.Series, typ: str, decimal: str | None = None) -> pd.Series:
    if typ in ("str", "text", "keep"):
        return _to_str(s)
    if typ == "datetime":
        return _to_datetime(s)
    if typ == "float":
        return _to_number(s, decimal).astype(float)
    if typ == "int":
        num = _to_number(s, decimal)
        return num.where(num.isna() | (num == np.floor(num))).astype("Int64")
    if typ == "period":
        return _to_period(s)
    if typ == "bool":
        return _to_bool(s)
    raise ValueError(f"unknown column type {typ!r}")


def snippet(s: pd.Series, chars: int = 40) -> pd.Series:
    """Values shortened for a reason message: the first ``chars`` characters, and the rest of a number or word
    cut there (a phone or ID number is shown whole, so the writers' masks still recognise it)."""
    return s.astype("string").str.extract(rf"^(.{{0,{chars}}}[0-9A-Za-z０-９ \-*]{{0,30}})", flags=re.S,
                                          expand=False)


def _typed_table(raw: pd.DataFrame, source_rows: np.ndarray, bad_lines, types: dict[str, str],
                 schema: Schema | None, source: str, encoding: str | None, guarded: bool = False,
                 decimal: str | None = None) -> Table:
    """Convert ``raw`` to ``types`` and reject the unusable rows; ``guarded``: text read from a CSV the toolkit
    may have written, whose formula guards (see :mod:`ivr_text.sanitize`) are taken off again."""
    reasons = _Reasons(raw.index)
    extra = "float" if schema is not None and schema.extra_numeric else "str"
    text_columns = [c for c in raw.columns if types.get(c, extra) in ("str", "text", "keep")]
    _repair_encoding(raw, reasons, text_columns, [c for c in raw.columns if types.get(c) == "keep"])
    if guarded:
        from ivr_text.sanitize import restore_formulas

        for col in text_columns:
            if not _is_arrow_dictionary(raw[col].dtype):
                raw[col] = restore_formulas(raw[col])
    required = set(schema.required) if schema else set()
    lo, hi = READING["date_window"]
    data = {}
    for col in raw.columns:
        typ = types.get(col)
        problems = None
        if typ is None:
            if schema is not None and schema.extra_numeric:
                conv, problems = _numbers(raw[col], decimal)
                if conv.notna().sum() == 0 and problems.isna().all() and raw[col].notna().any():
                    continue  # not a numeric column: not a measure
                typ = "float"
            else:
                typ = "str"
        if typ in ("str", "text", "keep"):
            conv = _to_str(raw[col])
            present = conv.notna()
        else:  # CSV empties are already missing; a blank that is not shows up as unparseable
            if typ in ("float", "int"):
                if problems is None:
                    conv, problems = _numbers(raw[col], decimal)
                if typ == "int":
                    conv = conv.where(conv.isna() | (conv == np.floor(conv))).astype("Int64")
                for problem, text in _PROBLEM_TEXT.items():
                    hit = (problems == problem).to_numpy()
                    if hit.any():
                        reasons.add(hit, f"column '{col}': {text} '" + snippet(raw[col]).fillna("") + "'")
            else:
                conv = _convert(raw[col], typ, decimal)
            present = raw[col].notna()
            if typ == "datetime":
                outside = (conv < lo) | (conv >= hi)
                if outside.any():
                    reasons.add(outside.to_numpy(), f"column '{col}': date outside {lo.date()}..{hi.date()} "
                                "(a typo or a placeholder; --date-window FROM..TO to change) '"
                                + snippet(raw[col]).fillna("") + "'")
                    conv = conv.mask(outside)
        if col in required:
            reasons.add(~present, f"missing value in required column '{col}'")
        unparseable = present & conv.isna()
        if unparseable.any():
            shown = snippet(raw[col])
            reasons.add(unparseable, f"column '{col}': unparseable {typ} '" + shown.fillna("") + "'")
        data[col] = conv
    if output_masking():  # a key that is personal data (a phone number as customer id) → its pseudonym
        from ivr_text.sanitize import pseudonymize_column
        from ivr_text.text.pii import id_columns

        for col in id_columns() & set(data):
            if types.get(col, "str") in ("str", "text", "keep"):
                data[col] = pseudonymize_column(data[col])
    typed = pd.DataFrame(data, index=raw.index)
    bad = reasons.has
    rejected = raw.loc[bad].copy()
    for col in rejected.columns if len(rejected) else ():
        if _is_arrow_dictionary(rejected[col].dtype):
            rejected[col] = rejected[col].astype("string")
    rejected.insert(0, "source_row", source_rows[bad])
    rejected["reason"] = reasons.values[bad]
    if bad_lines:
        skipped = pd.DataFrame({"source_row": [b[0] for b in bad_lines],
                                "reason": [f"malformed row: {b[1]}" for b in bad_lines],
                                "raw_record": [b[2] if len(b) > 2 else None for b in bad_lines]})
        rejected = _concat([rejected, skipped])
    used = typed.loc[~bad].reset_index(drop=True)
    used.attrs["source_rows"] = source_rows[~bad]
    return Table(data=used, rejected=rejected.reset_index(drop=True), source=source,
                 read=len(raw) + len(bad_lines), encoding=encoding, kind=schema.kind if schema else None)


def first_problem(table: Table) -> str | None:
    """The first rejected row as a one-line message naming file, column and row (for ``--strict``)."""
    if table.rejected.empty:
        return None
    row = table.rejected.iloc[0]
    where = "row" if table.source.endswith((".parquet", ".pq")) else "line"
    return f"{table.source}: {where} {row['source_row']}: {row['reason']}"


# --------------------------------------------------------------------------------------------- writing


def write_table(df: pd.DataFrame, path: str | Path, fmt: str | None = None, *, mask: bool | None = None) -> Path:
    """Write ``df`` to ``path`` as CSV, TSV, Parquet, JSON (array of records) or JSON Lines.

    Text is PII-masked unless ``mask`` is False (None: the process default, on unless the CLI's ``--no-mask``;
    key columns stay as they are, see :mod:`ivr_text.sanitize`); CSV/TSV cells a spreadsheet would run as
    a formula get a leading ``'`` (Parquet and JSON keep the values).
    """
    from ivr_text.sanitize import mask_frame, neutralize_formulas

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = resolve_format(path, fmt) if (fmt or path.suffix) else "csv"
    if output_masking() if mask is None else mask:
        df = mask_frame(df)
    if fmt in ("csv", "tsv"):
        neutralize_formulas(df).to_csv(path, index=False, encoding="utf-8-sig", sep="\t" if fmt == "tsv" else ",")
    elif fmt == "parquet":
        df.to_parquet(path, index=False)
    elif fmt == "json":
        path.write_text(df.to_json(orient="records", force_ascii=False, date_format="iso", indent=1),
                        encoding="utf-8")
    else:
        df.to_json(path, orient="records", lines=True, force_ascii=False, date_format="iso")
    return path


def write_rejected(tables: Table | Iterable[Table], out_dir: str | Path, name: str) -> Path:
    """Write the rejected rows of one or more tables to ``OUT_DIR/rejected_NAME.csv`` (always written)."""
    tables = [tables] if isinstance(tables, Table) else list(tables)
    frames = []
    for t in tables:
        r = t.rejected.copy()
        r.insert(0, "source_file", t.source)
        frames.append(r)
    rejected = _concat(frames)
    if rejected.empty:
        rejected = pd.DataFrame(columns=["source_file", "source_row", "reason"])
    return write_table(rejected, Path(out_dir) / f"rejected_{name}.csv")


def write_json(obj, path: str | Path, *, mask: bool | None = None) -> Path:
    """Write a JSON document (UTF-8, Chinese kept readable, NaN as null), PII-masked as :func:`write_table`."""
    from ivr_text.sanitize import mask_object

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    obj = _jsonable(obj)
    if output_masking() if mask is None else mask:
        obj = mask_object(obj)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        return None if not np.isfinite(obj) else float(obj)
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


__all__ = [
    "SCHEMAS", "Schema", "Table", "detect_encoding", "iter_table", "read_table", "read_header",
    "parse_mapping", "write_table", "write_rejected", "write_json", "first_problem", "resolve_format",
    "column_aliases", "guess_columns", "concat_tables", "snippet", "check_input_file", "set_reading",
    "READING", "MAX_NUMBER",
]
