"""Usage as every churn command reads it: one call for a notebook and for ``ivr-text churn``.

:func:`read_usage` reads a usage file through :func:`ivr_text.io.read_table` (``usage`` kind: periods may be
months, ISO weeks or dates, see :mod:`ivr_text.io.periods`) and rejects repeated customer periods;
:func:`~ivr_text.churn.monthly.to_months` then combines sub-monthly rows into months.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from ivr_text.churn.monthly import duplicate_sub_periods
from ivr_text.io import Table, read_table
from ivr_text.io.periods import parse_raw_periods

DUPLICATE_REASON = "duplicate customer_id and period (first row kept)"


def read_usage(path: str | Path, *, mapping: Mapping[str, str] | Iterable[str] | None = None,
               encoding: str | None = None, dedupe: bool = True, reader=read_table) -> Table:
    """Read usage rows: checked, typed, with every unusable row in ``rejected`` with a reason.

    Parameters
    ----------
    path
        Usage file (CSV, TSV, Parquet, JSON Lines): ``customer_id``, ``period`` and numeric measures.
    mapping, encoding
        As for :func:`ivr_text.io.read_table`.
    dedupe
        Reject a row repeating an earlier row's customer and period (``2024-03`` and ``202403`` are one
        period). ``False`` (what ``churn quality`` does) leaves repeated *monthly* rows for the duplicate
        quality rule; repeated sub-periods (weeks, days) are always rejected, since they cannot be combined.
    reader
        ``read_table`` or a function called like it (the CLI's database reader for ``--db/--usage-sql``).

    Returns
    -------
    Table
        ``data["period"]`` in the canonical form of its grain (``YYYY-MM``, ``YYYY-Www``, ``YYYY-MM-DD``);
        ``read == used + len(rejected)``.

    Example
    -------
    >>> from ivr_text.churn.monthly import to_months
    >>> table = read_usage("sample_logs/usage.csv")            # doctest: +SKIP
    >>> monthly, info = to_months(table.data)                  # doctest: +SKIP
    """
    table = reader(path, "usage", mapping=mapping, encoding=encoding)
    month, sub, grain = parse_raw_periods(table.data["period"])
    if dedupe or (grain > 0).any():
        table.reject(duplicate_sub_periods(table.data["customer_id"], month, sub), DUPLICATE_REASON)
    return table
