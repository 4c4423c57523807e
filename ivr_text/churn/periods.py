"""Month periods as integers: ``YYYY-MM`` ↔ ``year * 12 + month - 1``, vectorised.

Integer period indices make gaps, windows and horizons plain arithmetic. Parsing factorises first, so a
column of 12 M period strings costs one pass over the (few) distinct values. Raw usage periods (months, weeks,
dates) are parsed by :mod:`ivr_text.io.periods`, the one parser every usage reader shares.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.errors import InputError
from ivr_text.io.periods import GRAINS, parse_raw_periods  # noqa: F401  (usage periods: months, weeks, days)


def period_index(periods: pd.Series | np.ndarray | list) -> np.ndarray:
    """``"2024-03"`` → 24290 (``year * 12 + month - 1``); missing or malformed → -1."""
    series = periods if isinstance(periods, pd.Series) else pd.Series(periods, dtype="object")
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    values = np.array([_one(u) for u in uniques], dtype=np.int64)
    out = np.full(len(codes), -1, dtype=np.int64)
    ok = codes >= 0
    out[ok] = values[codes[ok]] if len(values) else -1
    return out


def _one(text) -> int:
    try:
        s = str(text).strip()
        year, month = int(s[:4]), int(s[5:7]) if len(s) >= 7 and s[4] in "-/" else int(s[4:6])
        if 1900 <= year <= 2200 and 1 <= month <= 12:
            return year * 12 + month - 1
    except (ValueError, IndexError):
        pass
    return -1


def parse_period(text: str, what: str = "period") -> int:
    """One period given by a user (``--as-of 2024-06``); raises :class:`InputError` if malformed."""
    value = _one(text)
    if value < 0:
        raise InputError(f"{what} '{text}': expected YYYY-MM, e.g. 2024-06")
    return value


def month_index(ts: pd.Series) -> np.ndarray:
    """Period index of timestamps (NaT → -1)."""
    ts = pd.to_datetime(ts)
    out = (ts.dt.year * 12 + ts.dt.month - 1).to_numpy(dtype="float64", na_value=np.nan)
    return np.where(np.isnan(out), -1, out).astype(np.int64)


def period_label(index: np.ndarray | int) -> np.ndarray | str:
    """24290 → ``"2024-03"`` (vectorised over the distinct values)."""
    if np.isscalar(index):
        i = int(index)
        return f"{i // 12:04d}-{i % 12 + 1:02d}"
    arr = np.asarray(index, dtype=np.int64)
    uniq, inv = np.unique(arr, return_inverse=True)
    labels = np.array([f"{u // 12:04d}-{u % 12 + 1:02d}" if u >= 0 else "" for u in uniq], dtype=object)
    return labels[inv]
