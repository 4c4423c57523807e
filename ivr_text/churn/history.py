"""Back-tested training rows from a panel: features at several as-of points, the outcome in the horizon after each.

Every feature at as-of ``t`` is a trailing-window statistic of periods ≤ ``t`` (the signal's windows never
look ahead), so the signal is computed once on the whole panel and read at each as-of point; a test holds
this equal to computing it on data cut at ``t``. A customer is a row at ``t`` when active (usage in the
recent window up to ``t``), labelled, and not already gone (``churn_period`` ≤ ``t``); the outcome is
``t < churn_period ≤ t + horizon``. As-of points are the latest ``as_of_points`` periods whose horizon lies
inside the labelled span and that have at least ``recent + min_baseline`` periods of history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.churn.backtest import label_outcome
from ivr_text.churn.features import customer_features
from ivr_text.churn.periods import period_index, period_label
from ivr_text.churn.signal import Signal
from ivr_text.errors import InputError

def as_of_points(sig: Signal, labels: pd.DataFrame, horizon: int, count: int) -> list[int]:
    """Period indices to train at (see module doc); raises InputError saying what is missing when none fits."""
    p = sig.panel
    last_usage = p.first_period + p.n_periods - 1
    cp = period_index(labels["churn_period"]) if "churn_period" in labels.columns else np.array([-1])
    # as `churn evaluate`: the labels' churn periods may reach past the usage (an extract with future churn)
    latest = min(last_usage, max(last_usage - horizon, int(cp.max()) - horizon))
    last = max(last_usage, int(cp.max()))
    need = int(sig.windows["recent"]) + int(sig.windows.get("min_baseline", 2)) - 1
    first = p.first_period + need
    if latest < first:
        raise InputError(f"usage {p.info['first_period']}..{p.info['last_period']} is too short to train: an as-of "
                         f"point needs {need + 1} periods of history and {horizon} labelled period(s) after it; "
                         f"use --horizon {max(1, last - first)} or give more months")
    return list(range(max(first, latest - count + 1), latest + 1))


def training_rows(sig: Signal, labels: pd.DataFrame, horizon: int, points: list[int], max_rows: int | None = None,
                  seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """Stacked rows (features at each as-of point) and outcomes; ``info`` counts rows per as-of point.

    With ``max_rows``, each point keeps a uniform random sample of ``max_rows / len(points)`` of its rows
    (before stacking, so memory stays bounded; the churn rate is kept, so calibration is unaffected).
    """
    recent = int(sig.windows["recent"])
    rng = np.random.default_rng(seed)
    per_point = int(max_rows // len(points)) if max_rows else None
    parts, ys, info = [], [], {"horizon": horizon, "as_of_points": {}}
    for t in points:
        feats = customer_features(sig, t)
        active = feats["periods_since_last_usage"].le(recent - 1).to_numpy()
        y, counts = label_outcome(labels, feats["customer_id"].reset_index(drop=True), t, horizon)
        keep = np.flatnonzero(active & ~np.isnan(y.to_numpy()))
        available = len(keep)
        if per_point and available > per_point:
            keep = np.sort(rng.choice(keep, per_point, replace=False))
        parts.append(feats.iloc[keep])
        ys.append(y.to_numpy()[keep].astype(bool))
        info["as_of_points"][period_label(t)] = {"rows": int(len(keep)), "rows_available": int(available),
                                                 "churners": int(ys[-1].sum())}
        if counts["churners_without_churn_period"]:
            info["churners_without_churn_period"] = counts["churners_without_churn_period"]
    X = pd.concat(parts, ignore_index=True)
    y = np.concatenate(ys)
    if y.sum() < 5 or (~y).sum() < 5:
        raise InputError(f"back-tested history has {int(y.sum())} churners and {int((~y).sum())} non-churners in "
                         f"the {horizon} period(s) after the as-of points {period_label(points[0])}.."
                         f"{period_label(points[-1])}: too few to learn from (check churn_period in the labels)")
    return X, y, info
