"""Feedback events and usage rows → a dense (customers × periods) panel with numeric customer codes.

Every customer seen in usage *or* feedback gets a row (none is dropped); ``matching`` says which side each
customer came from. Periods span the usage periods (first..last, gaps included). Feedback outside that
span is counted, not placed. Building the panel is two factorisations and ``np.bincount``: about 4 s for
12 M usage rows plus 3 M feedback events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ivr_text.churn.periods import month_index, period_index, period_label
from ivr_text.churn.quality import measure_columns
from ivr_text.errors import InputError


@dataclass
class Panel:
    customers: np.ndarray                 # customer ids, index = customer code
    first_period: int                     # period index of column 0
    measures: dict[str, np.ndarray]       # measure name → (C × P) float, NaN where no usage row
    has_usage: np.ndarray                 # (C × P) bool
    feedback: np.ndarray                  # (C × P) feedback events
    complaints: np.ndarray                # (C × P) feedback events on complaint channels
    faults: np.ndarray                    # (C × P) feedback events whose cause is a fault report
    events: pd.DataFrame                  # placed feedback events: code, pidx (column), cause
    info: dict = field(default_factory=dict)

    @property
    def n_periods(self) -> int:
        return self.has_usage.shape[1]

    def periods(self) -> np.ndarray:
        return period_label(np.arange(self.n_periods) + self.first_period)

    def column_of(self, period_idx: int) -> int:
        return int(period_idx) - self.first_period


def _matches(values: pd.Series, pattern: str | None, allowed: list[str] | None) -> np.ndarray:
    """Which rows' values match ``pattern`` (regex) or are in ``allowed``; evaluated on distinct values."""
    codes, uniques = pd.factorize(values)
    uniq = pd.Series(uniques, dtype="string")
    if allowed:
        hit = uniq.isin([str(a) for a in allowed]).to_numpy()
    elif pattern:
        hit = uniq.str.contains(pattern, regex=True, flags=re.IGNORECASE).fillna(False).to_numpy(dtype=bool)
    else:
        return np.ones(len(values), dtype=bool)
    out = np.zeros(len(values), dtype=bool)
    ok = codes >= 0
    out[ok] = hit[codes[ok]]
    return out


def build_panel(usage: pd.DataFrame, feedback: pd.DataFrame, config: dict,
                measures: list[str] | None = None) -> Panel:
    """Place usage rows and feedback events on the customer × period grid (see module doc)."""
    measures = measure_columns(usage, measures)
    if not measures:
        raise InputError("usage has no numeric measure columns (e.g. minutes, data_mb, bill)")
    if usage.empty:
        raise InputError("usage: no usable rows")
    u_pidx = period_index(usage["period"])
    if (u_pidx < 0).any():
        raise InputError(f"usage: {int((u_pidx < 0).sum())} rows with a malformed period (expected YYYY-MM)")
    # plain Series (no attrs) so concat and factorize stay on the fast Arrow/hash path
    ids = [pd.Series(usage["customer_id"].array)]
    if len(feedback):
        ids.append(pd.Series(feedback["customer_id"].array))
    codes, customers = pd.factorize(pd.concat(ids, ignore_index=True))
    u_code, f_code = codes[: len(usage)], codes[len(usage):]
    C = len(customers)
    p0, p1 = int(u_pidx.min()), int(u_pidx.max())
    P = p1 - p0 + 1
    col = u_pidx - p0
    # grids are stored period-major ((P, C) in memory, seen as (C, P) column-major): window operations
    # along periods then work on long contiguous vectors
    flat_all = col.astype(np.int64) * C + u_code
    dup = np.zeros(len(flat_all), dtype=bool)
    if (np.bincount(flat_all, minlength=C * P) > 1).any():
        dup = pd.Series(flat_all).duplicated(keep="first").to_numpy()
    keep = ~dup
    flat_u = flat_all[keep]
    grids = {}
    for m in measures:
        g = np.full(C * P, np.nan)
        g[flat_u] = usage[m].to_numpy(dtype=float, na_value=np.nan)[keep]
        grids[m] = g.reshape(P, C).T
    has_usage = np.zeros(C * P, dtype=bool)
    has_usage[flat_u] = True
    has_usage = has_usage.reshape(P, C).T

    f_pidx = month_index(feedback["ts"]) if len(feedback) else np.array([], dtype=np.int64)
    inside = (f_pidx >= p0) & (f_pidx <= p1)
    flat_f = (f_pidx[inside] - p0) * C + f_code[inside].astype(np.int64)
    cause = feedback["cause"] if "cause" in feedback.columns else pd.Series(pd.NA, index=feedback.index,
                                                                            dtype="string")
    channel = feedback["channel"] if "channel" in feedback.columns else None
    rules = config.get("rules", {})
    c_rule, f_rule = rules.get("complaints_recent", {}), rules.get("repeated_faults", {})
    is_complaint = (_matches(channel, None, c_rule.get("channels")) if channel is not None and
                    c_rule.get("channels") else np.ones(len(feedback), dtype=bool))
    is_fault = _matches(cause, f_rule.get("cause_pattern"), None) if f_rule.get("cause_pattern") else \
        np.zeros(len(feedback), dtype=bool)

    def count(mask):
        return np.bincount(flat_f[mask[inside]], minlength=C * P).astype(np.int32).reshape(P, C).T

    cause_codes, cause_values = pd.factorize(cause)
    events = pd.DataFrame({"code": f_code[inside], "col": (f_pidx[inside] - p0).astype(np.int32),
                           "cause": pd.Categorical.from_codes(cause_codes[inside], categories=pd.Index(
                               np.asarray(cause_values, dtype=object)))})
    in_usage = np.zeros(C, dtype=bool)
    in_usage[u_code] = True
    in_feedback = np.zeros(C, dtype=bool)
    in_feedback[f_code] = True
    info = {
        "customers": C, "periods": P, "first_period": period_label(p0), "last_period": period_label(p1),
        "measures": measures, "usage_rows": int(len(usage)), "duplicate_usage_rows_ignored": int(dup.sum()),
        "feedback_events": int(len(feedback)), "feedback_events_placed": int(inside.sum()),
        "feedback_events_outside_periods": int((~inside).sum()),
        "customers_usage_and_feedback": int((in_usage & in_feedback).sum()),
        "customers_usage_only": int((in_usage & ~in_feedback).sum()),
        "customers_feedback_only": int((~in_usage & in_feedback).sum()),
    }
    panel = Panel(customers=np.asarray(customers.astype(object) if hasattr(customers, "astype") else customers,
                                       dtype=object), first_period=p0, measures=grids,
                  has_usage=has_usage, feedback=count(np.ones(len(feedback), dtype=bool)),
                  complaints=count(is_complaint), faults=count(is_fault), events=events, info=info)
    panel.info["_in_usage"], panel.info["_in_feedback"] = in_usage, in_feedback
    return panel


def matching_table(panel: Panel) -> pd.DataFrame:
    """Customers present on one side only: ``customer_id``, ``side`` (feedback_only / usage_only), counts."""
    in_u, in_f = panel.info["_in_usage"], panel.info["_in_feedback"]
    one_side = in_u ^ in_f
    codes = np.flatnonzero(one_side)
    return pd.DataFrame({
        "customer_id": panel.customers[codes],
        "side": np.where(in_u[codes], "usage_only", "feedback_only"),
        "usage_periods": panel.has_usage[codes].sum(axis=1),
        "feedback_events": panel.feedback[codes].sum(axis=1),
    })
