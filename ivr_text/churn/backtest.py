"""Back-test the signal on labelled history without leakage: cut off at ``as_of``, label the horizon after.

``as_of`` defaults to the last usage period minus ``horizon`` (the last usage period itself when the labels'
churn periods reach ``horizon`` past it). Usage rows and feedback events after
``as_of`` are dropped *before* anything is computed, so no feature can see the outcome period. The
population is customers with usage in the last ``windows.recent`` periods up to ``as_of`` and a label;
those whose ``churn_period`` is at or before ``as_of`` had already left and are excluded (counted).
A churner counts as positive when ``as_of < churn_period <= as_of + horizon`` (or, lacking a churn
period, when ``churned`` is true; the report then warns that timing could not be checked).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.churn.evaluate import associations, compare, lift_table, oof_logistic
from ivr_text.churn.features import customer_features, feature_columns, model_columns
from ivr_text.churn.learn import cross_validate
from ivr_text.churn.model import ModelConfig
from ivr_text.churn.panel import build_panel
from ivr_text.churn.periods import month_index, period_index, period_label
from ivr_text.churn.signal import compute_signal
from ivr_text.errors import InputError


def label_outcome(labels: pd.DataFrame, customers: pd.Series, as_of: int, horizon: int) -> tuple[pd.Series, dict]:
    """Outcome per customer (True/False; NaN = excluded) and the counts behind it."""
    lab = labels.drop_duplicates("customer_id", keep="first")
    lab_ids = pd.Index(np.asarray(lab["customer_id"], dtype=object))
    cust = np.asarray(customers, dtype=object)
    pos = lab_ids.get_indexer(cust)            # one hash lookup per customer (-1: no label)
    found = pos >= 0
    if not found.any():
        raise InputError("labels: no customer_id matches a customer in usage/feedback "
                         f"(labels e.g. {', '.join(map(str, lab_ids[:3]))}; data e.g. "
                         f"{', '.join(map(str, cust[:3]))})")
    flag = lab["churned"].astype("boolean").to_numpy(dtype=float, na_value=np.nan)
    churned = np.where(found, flag[np.maximum(pos, 0)], np.nan)
    has_period = "churn_period" in lab.columns and lab["churn_period"].notna().any()
    cp_lab = period_index(lab["churn_period"]) if has_period else np.full(len(lab), -1)
    cp = np.where(found, cp_lab[np.maximum(pos, 0)], -1)
    is_churner = np.nan_to_num(churned, nan=0.0) > 0
    timed = is_churner & (cp >= 0)
    already = timed & (cp <= as_of)
    later = timed & (cp > as_of + horizon)
    y = churned.copy()
    y[timed] = ((cp > as_of) & (cp <= as_of + horizon))[timed].astype(float)
    y[already] = np.nan
    counts = {"customers_with_label": int(found.sum() - np.isnan(churned[found]).sum()),
              "customers_without_label": int(len(cust) - found.sum() + np.isnan(churned[found]).sum()),
              "excluded_churned_at_or_before_as_of": int(already.sum()),
              "churned_after_horizon_counted_as_stayed": int(later.sum()),
              "churners_without_churn_period": int((is_churner & ~timed).sum()),
              "labels_not_matching_any_customer": int(len(lab_ids) - len(np.unique(pos[found])))}
    return pd.Series(y, index=customers), counts


def backtest(usage: pd.DataFrame, feedback: pd.DataFrame, labels: pd.DataFrame, config: dict,
             measures: list[str] | None = None, as_of: int | None = None, horizon: int | None = None,
             ks=(0.05, 0.1), folds: int = 5, seed: int = 0) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Evaluate usage-only, feedback-only, signal and a cross-validated logistic model.

    Returns (evaluation dict, lift table, scored customers).
    """
    ev_cfg = config.get("evaluation", {})
    horizon = int(horizon if horizon is not None else ev_cfg.get("horizon", 3))
    u_pidx = period_index(usage["period"].to_numpy())
    last = int(u_pidx.max())
    if as_of is None:   # the latest cut-off whose horizon the labels cover (labels may reach past the usage)
        cp = period_index(labels["churn_period"]) if "churn_period" in labels.columns else np.array([-1])
        as_of = min(last, max(last - horizon, int(cp.max()) - horizon))
    as_of = int(as_of)
    if as_of < u_pidx.min():
        raise InputError(f"as-of {period_label(as_of)} is before the first usage period {period_label(int(u_pidx.min()))}")
    f_pidx = month_index(feedback["ts"]) if len(feedback) else np.array([], dtype=np.int64)
    panel = build_panel(usage[u_pidx <= as_of], feedback[f_pidx <= as_of], config, measures)
    sig = compute_signal(panel, config)
    if not np.isfinite(sig.usage_change[:, -1]).any():   # never a silent 0.5: say what is missing
        raise InputError(sig.windows_note or f"no customer has a usage baseline at as-of {period_label(as_of)}: "
                         f"set --as-of later or windows.min_baseline lower in the rules file")
    feats = customer_features(sig, as_of)
    recent = int(sig.windows["recent"])
    active = feats["periods_since_last_usage"].le(recent - 1).to_numpy()
    y, counts = label_outcome(labels, feats["customer_id"].reset_index(drop=True), as_of, horizon)
    keep = active & ~np.isnan(y.to_numpy())
    counts["customers_seen_up_to_as_of"] = int(len(feats))
    counts["excluded_no_recent_usage"] = int((~active).sum())
    counts["evaluated"] = int(keep.sum())
    data, target = feats[keep].reset_index(drop=True), y.to_numpy()[keep].astype(bool)
    scores = {
        "usage_only": -data["usage_change"].fillna(0.0).to_numpy(),
        "feedback_only": data["feedback_in_peak_window"].to_numpy() + 1e-3 * data["feedback_recent"].to_numpy(),
        "signal": data["signal_score"].to_numpy(dtype=float),
    }
    cols = model_columns(data)
    scores["logistic_cv"], model = oof_logistic(data[cols], target, folds=folds, seed=seed)

    settings = ModelConfig.from_dict(config.get("model", {}).get("settings"))
    gb_note = None
    try:
        scores["gradient_boosting_cv"] = cross_validate(data[feature_columns(data)], target, folds, config=settings,
                                                        monotone=config.get("model", {}).get("monotone"),
                                                        methods=("model",), seed=seed)["model"]
    except InputError as exc:   # too few churners per fold for the trees: say so, compare the rest
        gb_note = f"gradient_boosting_cv not run: {exc}"
    result = compare(target, scores, ks)
    notes = [f"features use only periods up to as-of {period_label(as_of)}; data after it was removed before "
             f"computing anything; outcome = churn in the {horizon} period(s) after as-of",
             "usage_only ranks by usage decline (-usage_change); feedback_only by feedback events in the peak "
             "window; signal by signal_score (prior weights from churn_rules.yaml); logistic_cv and "
             "gradient_boosting_cv by out-of-fold probabilities (learned from the labels)"]
    if counts["churners_without_churn_period"]:
        notes.append(f"{counts['churners_without_churn_period']} churners have no churn_period: their timing could "
                     "not be checked against as-of, so leakage cannot be ruled out for them")
    if gb_note:
        notes.append(gb_note)
    result["windows_used"] = {k: sig.windows[k] for k in ("recent", "baseline", "min_baseline", "peak")}
    if sig.windows_note:
        result["windows_note"] = sig.windows_note
        notes.insert(0, sig.windows_note)
    result.update({"as_of": period_label(as_of), "horizon": horizon, "population": counts, "notes": notes,
                   "logistic_model": model, "associations": associations(data[cols], target).to_dict("records")})
    scored = data[["customer_id"]].assign(churned=target, **{f"score_{k}": v for k, v in scores.items()})
    return result, lift_table(target, scores), scored
