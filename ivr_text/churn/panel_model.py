"""The learned churn model on feedback + usage panels: train on back-tested history, rank and explain.

``train_panel`` stacks features at several as-of points (:mod:`ivr_text.churn.history`), first fits the model
on the points whose outcome was known before the last one and scores that last point — an honest temporal
back-test beside usage-only and the prior signal — then fits the final model on every point. Settings,
monotone directions and warning levels live in ``model:`` of churn_rules.yaml.

``model_warnings`` scores every active customer at as-of with the model, keeps those whose probability is at
least ``levels.low`` × the training churn rate, and explains each: the operator rules and phase as named
reasons with the customer's figures (:func:`~ivr_text.churn.signal.reason_texts`) and the features that moved
the model's score most (:func:`~ivr_text.churn.explain.explain`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.churn.evaluate import ranking_metrics
from ivr_text.churn.explain import explain
from ivr_text.churn.features import customer_features, feature_columns
from ivr_text.churn.history import as_of_points, training_rows
from ivr_text.churn.model import ChurnModel, ModelConfig
from ivr_text.churn.periods import period_label
from ivr_text.churn.signal import LEVELS, PHASES, Signal, customer_figures, reason_texts
from ivr_text.errors import InputError


def _model(config: dict) -> ChurnModel:
    m = config.get("model", {})
    return ChurnModel(ModelConfig.from_dict(m.get("settings")), m.get("monotone"))


def train_panel(sig: Signal, labels: pd.DataFrame, config: dict, horizon: int | None = None,
                ks=(0.05, 0.1)) -> tuple[ChurnModel, dict]:
    """Fit the panel model (see module doc); the report has the as-of points, rows and the temporal back-test."""
    m = config.get("model", {})
    horizon = int(horizon or config.get("evaluation", {}).get("horizon", 3))
    points = as_of_points(sig, labels, horizon, int(m.get("as_of_points", 6)))
    settings = ModelConfig.from_dict(m.get("settings"))
    X, y, info = training_rows(sig, labels, horizon, points, settings.max_train_rows, settings.seed)
    cols = feature_columns(X)
    report = {"horizon": horizon, "windows_used": {k: sig.windows[k] for k in ("recent", "baseline", "min_baseline")},
              "rows": int(len(y)), "churners": int(y.sum()), **info}
    if sig.windows_note:
        report["windows_note"] = sig.windows_note
    test_at = period_label(points[-1])
    earlier = [t for t in points if t + horizon <= points[-1]]
    if earlier:
        train = X["as_of"].isin([period_label(t) for t in earlier]).to_numpy()
        test = (X["as_of"] == test_at).to_numpy()
        if y[train].sum() >= 5 and y[test].any() and not y[test].all():
            back = _model(config).fit(X.loc[train, cols], y[train], X.loc[train, "customer_id"].to_numpy())
            scores = {"model": back.predict_proba(X.loc[test, cols]),
                      "logistic": back.logistic_proba(X.loc[test, cols]),
                      "usage_only": -X.loc[test, "usage_change"].fillna(0.0).to_numpy(),
                      "signal": X.loc[test, "signal_score"].to_numpy(dtype=float)}
            report["backtest"] = {
                "trained_on": [period_label(t) for t in earlier], "scored_at": test_at,
                "customers": int(test.sum()), "churners": int(y[test].sum()),
                "methods": {k: ranking_metrics(y[test], v, ks) for k, v in scores.items()}}
    if "backtest" not in report:
        report["backtest_note"] = (f"no temporal back-test: it needs an as-of point {horizon} period(s) before "
                                   f"{test_at} with churners; the calibration hold-out is the only check")
    model = _model(config).fit(X[cols], y, X["customer_id"].to_numpy())
    report.update({"features": model.features_, "holdout": model.meta_["holdout"], "n_iter": model.n_iter_,
                   "training_churn_rate": float(y.mean())})
    return model, report


def model_warnings(sig: Signal, model: ChurnModel, meta: dict, as_of: int | None = None,
                   min_level: str | None = None) -> pd.DataFrame:
    """流失预警名单 ranked by the model's churn probability, with named reasons and per-customer factors."""
    p, cfg = sig.panel, sig.config
    col = p.n_periods - 1 if as_of is None else p.column_of(as_of)
    if list(meta.get("windows_used", {}).values()) and \
            any(int(sig.windows[k]) != int(v) for k, v in meta["windows_used"].items()):
        raise InputError(f"the model was trained with windows {meta['windows_used']}, this panel uses "
                         f"{ {k: sig.windows[k] for k in meta['windows_used']} }: score a panel like the training one "
                         "or retrain with 'ivr-text churn train'")
    feats = customer_features(sig, p.first_period + col)
    missing = [c for c in model.encoder_.columns_ if c not in feats.columns]
    if missing:
        raise InputError(f"the model uses features this usage cannot give: {', '.join(missing[:5])} (a usage column "
                         "it was trained with is absent); score usage with the training columns or retrain")
    recent = int(sig.windows["recent"])
    active = feats["periods_since_last_usage"].le(recent - 1).to_numpy()
    feats = feats[active].reset_index(drop=True)
    prob = model.predict_proba(feats) if len(feats) else np.zeros(0)
    base = float(meta.get("training_churn_rate") or meta.get("churn_rate"))
    levels = cfg.get("model", {}).get("levels", {"high": 4.0, "medium": 2.5, "low": 1.5})
    level = np.zeros(len(prob), dtype=np.int8)
    for i, name in enumerate(LEVELS[1:], start=1):
        level[prob >= float(levels[name]) * base] = i
    floor = LEVELS.index(min_level or cfg.get("warning_list", {}).get("min_level", "low"))
    keep = np.flatnonzero(level >= max(floor, 1))
    keep = keep[np.argsort(-prob[keep], kind="stable")]
    codes = pd.Index(p.customers).get_indexer(feats["customer_id"].to_numpy()[keep])
    out = pd.DataFrame({
        "rank": np.arange(1, len(keep) + 1),
        "customer_id": p.customers[codes],
        "period": period_label(p.first_period + col),
        "churn_probability": prob[keep].round(4),
        "risk_vs_average": (prob[keep] / base).round(2),
        "model_level": np.asarray(LEVELS, dtype=object)[level[keep]],
        "signal_score": sig.score[codes, col].round(4),
        "warning_level": np.asarray(LEVELS, dtype=object)[sig.level[codes, col]],
        "phase": np.asarray(PHASES, dtype=object)[sig.phase[codes, col]],
        "phase_label": [cfg["phases"]["labels"].get(PHASES[i], PHASES[i]) for i in sig.phase[codes, col]],
    })
    out = pd.concat([out, customer_figures(sig, codes, col)], axis=1)
    out["reasons"] = reason_texts(sig, out, col)
    contrib, _ = model.contributions(feats.iloc[keep])
    out["model_factors"], out["explanation"] = explain(feats.iloc[keep].reset_index(drop=True), contrib,
                                                       model.features_, cfg.get("feature_labels", {}))
    return out
