"""A per-customer feature table for external churn models, computed as of one period.

Every feature uses only periods up to and including ``as_of`` (trailing windows), so labels observed after
``as_of`` can be joined without leakage. Columns: usage level, baseline and change (the usage index and per
measure: the month and the recent window's mean against the baseline), feedback totals, recent count,
baseline, trend, the remembered peak's size and the periods since it, the silent-decline flag, complaint and
fault counts, distinct causes, operator-rule flags, phase, signal score and warning level.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ivr_text.churn.periods import period_label
from ivr_text.churn.signal import LEVELS, PHASES, Signal
from ivr_text.churn.windows import lag_sum


def customer_features(sig: Signal, as_of: int | None = None) -> pd.DataFrame:
    """One row per customer seen up to ``as_of`` (a period index; default the last period)."""
    p = sig.panel
    col = p.n_periods - 1 if as_of is None else p.column_of(as_of)
    if not 0 <= col < p.n_periods:
        raise ValueError(f"as-of {period_label(as_of)} is outside {p.info['first_period']}..{p.info['last_period']}")
    upto = slice(0, col + 1)
    seen = (p.has_usage[:, upto] | (p.feedback[:, upto] > 0)).any(axis=1)
    codes = np.flatnonzero(seen)
    # every customer seen (the usual case): slice instead of gathering rows from period-major arrays
    rows = slice(None) if len(codes) == len(seen) else codes
    w = sig.windows
    recent, base_w = int(w["recent"]), int(w["baseline"])
    has = p.has_usage[rows, upto]
    last_seen = np.where(has.any(axis=1), col - has[:, ::-1].argmax(axis=1), -1)
    out = {
        "customer_id": p.customers[codes],
        "as_of": period_label(p.first_period + col),
        "usage_periods": has.sum(axis=1),
        "periods_since_last_usage": np.where(last_seen >= 0, col - last_seen, np.nan),
        "usage": sig.usage[rows, col],
        "usage_baseline": sig.usage_baseline[rows, col],
        "usage_index": sig.usage_index[rows, col],
        "usage_change": sig.usage_change[rows, col],
        "usage_index_min_recent": np.nanmin(np.where(np.isnan(sig.usage_index[rows, max(col - recent + 1, 0):col + 1]),
                                                     np.inf, sig.usage_index[rows, max(col - recent + 1, 0):col + 1]),
                                            axis=1),
    }
    out["usage_index_min_recent"] = np.where(np.isinf(out["usage_index_min_recent"]), np.nan,
                                             out["usage_index_min_recent"])
    for name, grid in p.measures.items():
        window = grid[rows, max(col - recent - base_w + 1, 0): max(col - recent + 1, 0)]
        enough = (~np.isnan(window)).sum(axis=1) >= int(w.get("min_baseline", 2)) if window.shape[1] else False
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            base = np.where(enough, np.nanmean(window, axis=1), np.nan) if window.shape[1] else np.full(len(codes), np.nan)
            out[f"{name}_change"] = np.where(base > 0, grid[rows, col] / base - 1.0, np.nan)
            # the recent mean against the baseline: steadier than one month when the recent window is longer
            mean_recent = np.nanmean(grid[rows, max(col - recent + 1, 0):col + 1], axis=1)
            out[f"{name}_recent_change"] = np.where(base > 0, mean_recent / base - 1.0, np.nan)
    fb = p.feedback[rows, upto]
    age = sig.peak_age[rows, col].astype(float)
    out.update({
        "feedback_total": fb.sum(axis=1),
        "feedback_recent": sig.feedback_recent[rows, col],
        "feedback_baseline": sig.feedback_baseline[rows, col],
        "feedback_trend": sig.feedback_trend[rows, col],
        "feedback_peak": sig.feedback_peak[rows, col],
        "feedback_in_peak_window": sig.feedback_window[rows, col],
        "periods_since_feedback_peak": np.where(sig.feedback_peak[rows, col] > 0, age, np.nan),
        "silent_decline": (sig.phase[rows, col] == PHASES.index("silent_decline")).astype(np.int8),
        "complaints_recent": lag_sum(p.complaints[rows, upto].astype(np.float32), 0, recent - 1)[:, -1],
        "faults_in_peak_window": lag_sum(p.faults[rows, upto].astype(np.float32), 0, int(w["peak"]) - 1)[:, -1],
    })
    ev = p.events[(p.events["col"] <= col) & p.events["cause"].notna()]
    distinct = ev.groupby("code")["cause"].nunique()
    out["distinct_causes"] = distinct.reindex(codes).fillna(0).to_numpy(dtype=np.int32)
    for name, fired in sig.rules.items():
        out[f"rule_{name}"] = fired[rows, col].astype(np.int8)
    out["phase"] = np.asarray(PHASES, dtype=object)[sig.phase[rows, col]]
    out["signal_score"] = sig.score[rows, col]
    out["warning_level"] = np.asarray(LEVELS, dtype=object)[sig.level[rows, col]]
    return pd.DataFrame(out)


#: Feature columns that are outputs of the assumed-weight signal (kept out of the evidence-based model).
SIGNAL_OUTPUTS = ("signal_score", "warning_level", "phase", "customer_id", "as_of")


def model_columns(features: pd.DataFrame) -> list[str]:
    """Numeric feature columns suitable for a model (not the signal's own outputs, not all-missing)."""
    return [c for c in features.columns if c not in SIGNAL_OUTPUTS
            and pd.api.types.is_numeric_dtype(features[c]) and features[c].notna().any()]


#: customer_features columns that are not model inputs: ids, the prior signal's own outputs, duplicates.
NOT_FEATURES = ("customer_id", "as_of", "signal_score", "warning_level", "phase", "usage_index")


def feature_columns(features: pd.DataFrame) -> list[str]:
    """Model inputs among ``customer_features`` columns (numeric, not the signal's outputs)."""
    return [c for c in features.columns if c not in NOT_FEATURES and pd.api.types.is_numeric_dtype(features[c])]
