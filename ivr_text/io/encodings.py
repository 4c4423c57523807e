"""Text encodings: detecting a file's encoding and repairing cells with bytes foreign to it (GBK inside UTF-8)."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ivr_text.io.tables import _Reasons


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


def _repair_encoding(df: pd.DataFrame, reasons: _Reasons, text_columns: Iterable[str] = (),
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
