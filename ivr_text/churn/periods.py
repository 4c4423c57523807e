"""Month periods as integers: ``YYYY-MM`` ↔ ``year * 12 + month - 1``, vectorised.

Integer period indices make gaps, windows and horizons plain arithmetic. Parsing factorises first, so a
column of 12 M period strings costs one pass over the (few) distinct values.
"""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd

from ivr_text.errors import InputError


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


# ------------------------------------------------------------------ raw usage periods: months, weeks, days

_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?(?:份)?$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[ T].*)?$|"
                      r"^(\d{4})(\d{2})(\d{2})(?:[ T].*)?$")
_WEEK_RE = re.compile(r"^(\d{4})\s*(?:-?\s*W|年\s*第?)\s*(\d{1,2})\s*周?(?:-\d)?$", re.IGNORECASE)

GRAINS = ("month", "week", "day")


def _raw_one(text) -> tuple[int, int, int]:
    """(month index, sub-period key, grain code) of one raw period value; (-1, -1, -1) if unparseable.

    Weeks (``2024-W05``, ``2024年第5周``) belong to the month of their Thursday (the ISO rule for years);
    dates (``2024-03-15``, ``20240315``, ``2024年3月15日``) to their month. The sub-period key is the
    date's ordinal (weeks: their Monday's), so two rows of one customer and month are "the same period"
    exactly when their keys are equal.
    """
    s = str(text).strip()
    try:
        if m := _MONTH_RE.match(s):
            year, month = int(m[1]), int(m[2])
            if 1900 <= year <= 2200 and 1 <= month <= 12:
                return year * 12 + month - 1, -1, 0
            return -1, -1, -1
        if m := _WEEK_RE.match(s):
            monday = datetime.date.fromisocalendar(int(m[1]), int(m[2]), 1)
            thursday = monday + datetime.timedelta(days=3)
            return thursday.year * 12 + thursday.month - 1, monday.toordinal(), 1
        if m := _DATE_RE.match(s):
            parts = [int(x) for x in m.groups() if x is not None]
            day = datetime.date(*parts[:3])
            if 1900 <= day.year <= 2200:
                return day.year * 12 + day.month - 1, day.toordinal(), 2
    except ValueError:
        pass
    return -1, -1, -1


def parse_raw_periods(values: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raw period values → (month index, sub-period key, grain code into :data:`GRAINS`), -1 where unparseable.

    Accepts months (``2024-03``, ``202403``, ``2024/3``, ``2024年3月``), ISO weeks and dates; parsed once per
    distinct value (12 M monthly rows: one factorisation, about 1 s).
    """
    codes, uniques = pd.factorize(pd.Series(values) if not isinstance(values, pd.Series) else values,
                                  use_na_sentinel=True)
    parsed = np.array([_raw_one(u) for u in uniques], dtype=np.int64).reshape(-1, 3)
    parsed = np.vstack([parsed, [-1, -1, -1]])          # code -1 (missing) → the last row
    out = parsed[np.where(codes >= 0, codes, len(parsed) - 1)]
    return out[:, 0], out[:, 1], out[:, 2]
