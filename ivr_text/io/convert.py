"""Typing: text values → strings, datetimes, numbers, periods and booleans (what cannot be read becomes missing)."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ivr_text.io.schemas import MAX_NUMBER, READING


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
