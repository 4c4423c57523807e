"""Record numbers of a CSV/TSV file → the file lines where the records start (for ``source_row``)."""

from __future__ import annotations

import codecs

import numpy as np

from ivr_text.errors import InputError
from ivr_text.io.csv_chunks import _raw_lines


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
                if has_quotes and cls._one_record_per_line(path, mm, nl, sep):
                    last = cls._unclosed_on_last_line(data, nl, sep)
                    del data  # the map must not outlive its buffer
                    if last is None:
                        return cls()
                    raise InputError(f"{path}: line {last}: a quoted field is never closed (an unmatched \")")
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
    def _one_record_per_line(cls, path, mm, nl: np.ndarray, sep: str) -> bool:
        """True when every file line holds exactly one record (no quoted newline, no blank line): Arrow's
        CSV parser, which reads quotes as :meth:`_inside_quotes` does, finds as many records as there are
        lines. Much faster than the quote analysis on files that quote every field; any doubt (a lone CR,
        which Arrow ends a record on, a parse error, other counts) answers False and the analysis decides."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        size = len(mm)
        lines = len(nl) + (1 if size and mm[size - 1] != 10 else 0)
        cr = np.concatenate([np.flatnonzero(block == 13) + s for s, block in cls._blocks(mm)])
        if len(cr) and (cr[-1] + 1 >= size or not np.array_equal(cr + 1, np.intersect1d(cr + 1, nl))):
            return False  # a CR not followed by LF
        try:
            table = pcsv.read_csv(path, read_options=pcsv.ReadOptions(autogenerate_column_names=True),
                                  parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=True),
                                  convert_options=pcsv.ConvertOptions(include_columns=["f0"],
                                                                      column_types={"f0": pa.binary()}))
        except (pa.ArrowInvalid, pa.ArrowKeyError, OSError):
            return False
        return table.num_rows == lines

    @classmethod
    def _unclosed_on_last_line(cls, data: np.ndarray, nl: np.ndarray, sep: str) -> int | None:
        """With one record per line, a field never closed can only open on the last line: its number, or None."""
        ends_nl = len(data) > 0 and data[-1] == 10
        starts = np.concatenate([[0], nl + 1])
        line = len(nl) if ends_nl else len(nl) + 1
        tail = data[starts[line - 1]:]
        q = np.flatnonzero(tail == 34)
        if not len(q):
            return None
        return line if cls._inside_quotes(tail, q, np.zeros(0, dtype=np.int64), sep)[1] is not None else None

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
