"""Usage periods as exported: months, ISO weeks and dates, parsed once per distinct value.

The one parser of period values for every reader of usage (``read_table(path, "usage")``, ``ivr-text churn``):
months (``2024-03``, ``202403``, ``2024/3``, ``2024年3月``), ISO weeks (``2024-W05``, ``2024年第5周``) and dates
(``2024-03-15``, ``20240315``, ``2024年3月15日``). A week belongs to the month of its Thursday (the ISO rule for
years), a date to its month.
"""

from __future__ import annotations

import datetime
import re

import numpy as np
import pandas as pd

_MONTH_RE = re.compile(r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?(?:份)?$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?(?:[ T].*)?$|"
                      r"^(\d{4})(\d{2})(\d{2})(?:[ T].*)?$")
_WEEK_RE = re.compile(r"^(\d{4})\s*(?:-?\s*W|年\s*第?)\s*(\d{1,2})\s*周?(?:-\d)?$", re.IGNORECASE)

#: Grain codes of :func:`parse_raw_periods`: 0 month, 1 week, 2 day.
GRAINS = ("month", "week", "day")

#: Why a period value is rejected (``column 'period': unparseable period '…'`` + this).
EXPECTED = "(expected YYYY-MM, YYYYMM, 2024年3月, a date or a week such as 2024-W05)"


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


def _label(month: int, sub: int, grain: int) -> str | None:
    if month < 0:
        return None
    if grain == 1:
        year, week, _ = datetime.date.fromordinal(sub).isocalendar()
        return f"{year:04d}-W{week:02d}"
    if grain == 2:
        return datetime.date.fromordinal(sub).isoformat()
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def usage_periods(values: pd.Series, date_window: tuple) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """``(labels, unparseable, outside)`` of raw period values.

    ``labels``: each value in the canonical form of its own grain — ``YYYY-MM``, ``YYYY-Www`` (ISO week) or
    ``YYYY-MM-DD`` — missing where it cannot be used; ``outside``: months outside ``date_window`` (first, end
    dates; the end's month still counts); ``unparseable``: present values that are none of the forms above.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = np.array([_raw_one(u) for u in uniques], dtype=np.int64).reshape(-1, 3)
    lo, hi = date_window
    u_out = (parsed[:, 0] >= 0) & ((parsed[:, 0] < lo.year * 12 + lo.month - 1)
                                    | (parsed[:, 0] > hi.year * 12 + hi.month - 1))
    u_labels = np.array([None if bad else _label(*row) for row, bad in zip(parsed.tolist(), u_out)]
                        + [None], dtype=object)
    u_bad = np.concatenate([parsed[:, 0] < 0, [False]])
    at = np.where(codes >= 0, codes, len(uniques))
    labels = pd.Series(u_labels[at], index=values.index, dtype=object)
    return labels, u_bad[at], np.concatenate([u_out, [False]])[at]
