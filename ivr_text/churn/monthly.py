"""Usage given per week or per day → one row per customer and month, which the churn windows are counted in.

The signal's windows, the operator rules ("bill down three months running") and the quality rules are all
stated in months. Usage exported per week (``2024-W05``, ``2024年第5周``) or per day / billing date
(``2024-03-15``) is combined into its month here instead of being mistaken for duplicate rows. Rows of
one customer and month are combined only when they are *different* sub-periods (the caller rejects exact
repeats first, see :func:`duplicate_sub_periods`). The default combination is the **mean per sub-period**:
a month of 5 weeks then does not look like +25 % usage against a month of 4, and a customer whose last
weeks are missing is not shown a drop that is only missing rows. ``aggregate: sum`` (churn_rules.yaml
``usage.aggregate``) gives totals instead. Monthly data takes the fast path (distinct period values parsed and
relabelled: 0.5 s for 12 M rows); weekly data one ``groupby``: 6 s for 5.2 M weekly rows (100k customers ×
52 weeks, measured on a loaded 2-core machine).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.churn.periods import GRAINS, parse_raw_periods, period_label
from ivr_text.errors import InputError

AGGREGATES = ("mean", "sum")


def duplicate_sub_periods(customers: pd.Series, month: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Rows repeating an earlier row's customer and (parsed) period — ``2024-03`` and ``202403`` are one period."""
    key = pd.DataFrame({"c": pd.Series(customers.array), "m": month, "s": sub})
    return key.duplicated(keep="first").to_numpy()


def to_months(usage: pd.DataFrame, aggregate: str = "mean") -> tuple[pd.DataFrame, dict]:
    """Usage with raw ``period`` values → usage with ``YYYY-MM`` periods, sub-periods combined per month.

    Every ``period`` must parse (:func:`~ivr_text.churn.periods.parse_raw_periods`); rows of one customer
    and month with different sub-periods are combined (``aggregate`` mean or sum of each numeric measure,
    missing values skipped). Returns the table and ``info`` (grains seen, rows combined, customer-months).
    """
    if aggregate not in AGGREGATES:
        raise InputError(f"usage.aggregate '{aggregate}': use {' or '.join(AGGREGATES)}")
    codes, uniques = pd.factorize(usage["period"])     # parse the distinct values only
    u_month, u_sub, u_grain = parse_raw_periods(pd.Series(uniques, dtype=object))
    if (codes < 0).any() or (u_month < 0).any():
        raise ValueError("to_months: unparseable periods must be rejected first")
    month, sub, grain = u_month[codes], u_sub[codes], u_grain[codes]
    grains = [GRAINS[g] for g in np.unique(u_grain).tolist()]
    out = usage.copy()
    out.attrs = dict(usage.attrs)
    canonical = [period_label(int(m)) for m in u_month]
    if list(map(str, uniques)) != canonical:       # not already YYYY-MM: relabel through the distinct values
        out["period"] = np.asarray(canonical, dtype=object)[codes] if len(codes) else pd.Series([], dtype=object)
    info = {"period_grains": grains, "rows_in": int(len(usage)), "rows_combined": 0,
            "customer_months": int(len(usage)), "aggregate": aggregate}
    if not (grain > 0).any():                      # monthly data (the usual case): nothing to combine
        return out, info
    key = pd.DataFrame({"c": pd.Series(usage["customer_id"].array), "m": month})
    multi = key.duplicated(keep=False).to_numpy() & (grain > 0)
    if not multi.any():
        return out, info
    # combine only groups holding sub-monthly rows; monthly repeats stay for the duplicate checks
    group = key.duplicated(keep=False).to_numpy()
    has_sub = pd.Series(grain > 0).groupby([key["c"], key["m"]]).transform("any").to_numpy()
    combine = group & has_sub
    rows = usage.attrs.get("source_rows")
    measures = [c for c in out.columns if c not in ("customer_id", "period") and
                pd.api.types.is_numeric_dtype(out[c])]
    plain = out.copy()
    plain.attrs = {}   # array attrs break pandas' attrs comparison in concat
    part = plain.loc[combine].assign(_first=np.flatnonzero(combine))
    others = [c for c in part.columns if c not in measures and c not in ("customer_id", "period")]
    grouped = part.groupby(["customer_id", "period"], sort=False, observed=True, dropna=False)
    values = grouped[measures].sum(min_count=1) if aggregate == "sum" else grouped[measures].mean()
    combined = pd.concat([values, grouped[others].first()], axis=1)
    combined = combined.reset_index()
    kept = plain.loc[~combine].assign(_first=np.flatnonzero(~combine))
    merged = pd.concat([kept, combined[out.columns.tolist() + ["_first"]]], ignore_index=True)
    merged = merged.sort_values("_first", kind="stable").reset_index(drop=True)
    first = merged.pop("_first").to_numpy()
    merged = merged.astype({c: out[c].dtype for c in ("customer_id",)})
    if rows is not None and len(rows) == len(usage):
        merged.attrs["source_rows"] = np.asarray(rows)[first]
    info["rows_combined"] = int(combine.sum())
    info["sub_period_days"] = _typical_spacing(key["c"].to_numpy()[combine], sub[combine])
    info["customer_months"] = int(len(merged))
    return merged, info


def _typical_spacing(customers: np.ndarray, sub: np.ndarray) -> float | None:
    """Median number of days between a customer's consecutive sub-periods (7 for weekly rows)."""
    order = np.lexsort((sub, pd.factorize(customers)[0]))
    c, s = customers[order], sub[order]
    step = np.diff(s)[c[1:] == c[:-1]]
    step = step[step > 0]
    return float(np.median(step)) if len(step) else None


def describe(info: dict) -> str | None:
    """One line for the user when sub-monthly rows were combined (else None)."""
    if not info.get("rows_combined"):
        return None
    days = info.get("sub_period_days")
    unit = ("week" if days and 6 <= days <= 8 else "day" if days == 1 else
            f"{days:g}-day period" if days else "sub-period")
    return (f"usage has several periods per customer and month (one per {unit}): {info['rows_combined']:,} rows "
            f"combined into months by the {info['aggregate']} per {unit} of each measure (usage.aggregate in the "
            f"rules file); {info['rows_in']:,} rows → {info['customer_months']:,} customer-months")
