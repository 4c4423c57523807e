"""Evaluate on customer-level tables (one row per customer, e.g. Cell2Cell, Iranian churn).

The user names the feedback column (care calls, complaints flag), the usage column — either a change
(``changem``: % change in minutes) or a level (``Seconds of Use``) — and the label column. Scores:
usage-only (decline, or low level, ranks first), feedback-only (more feedback ranks first), the signal
(the same noisy-OR as the panel signal: feedback component + usage-decline component, prior weights) and
a cross-validated logistic model on the named columns plus any extra feature columns. The a-priori
directions are hypotheses: AUC below 0.5 and the association table show when the data says otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.churn.evaluate import associations, compare, lift_table, noisy_or, oof_logistic
from ivr_text.churn.learn import cross_validate
from ivr_text.errors import InputError


def usage_change_fraction(change: pd.Series, unit: str = "auto") -> tuple[np.ndarray, str]:
    """Usage change as a fraction (−0.2 = 20 % drop); ``unit`` percent | fraction | auto (median |x| > 1.5 → percent)."""
    x = change.to_numpy(dtype=float)
    if unit == "auto":
        unit = "percent" if np.nanmedian(np.abs(x)) > 1.5 else "fraction"
    if unit not in ("percent", "fraction"):
        raise InputError(f"--usage-change-unit '{unit}': use percent, fraction or auto")
    return (x / 100.0 if unit == "percent" else x), unit


def evaluate_table(df: pd.DataFrame, label: str, feedback: str, config: dict, usage_change: str | None = None,
                   usage_level: str | None = None, features: list[str] | None = None, unit: str = "auto",
                   ks=(0.05, 0.1), folds: int = 5, seed: int = 0,
                   population_rate: float | None = None) -> tuple[dict, pd.DataFrame]:
    """Compare usage-only, feedback-only, signal, logistic_cv and gradient_boosting_cv on a customer-level table.

    Missing values stay missing: the fixed-direction scores rank them last, the logistic model imputes the
    training fold's median, the gradient-boosted model routes them natively.
    """
    if (usage_change is None) == (usage_level is None):
        raise InputError("name exactly one of --usage-change-column or --usage-column")
    y = df[label].astype(bool).to_numpy()
    fb = df[feedback].to_numpy(dtype=float)
    sc = config["score"]
    notes = []
    if usage_change is not None:
        change, unit = usage_change_fraction(df[usage_change], unit)
        usage_score = -change
        decline = np.clip(-change / float(sc["usage_decline"]["full_at"]), 0, 1)
        notes.append(f"usage column '{usage_change}' read as a change in {unit}; decline ranks as risk")
    else:
        level = df[usage_level].to_numpy(dtype=float)
        usage_score = -level
        decline = 1.0 - pd.Series(level).rank(pct=True).to_numpy()
        notes.append(f"usage column '{usage_level}' is a level (no history): low usage ranks as risk; the "
                     "signal's usage component is 1 - percentile rank")
    signal = noisy_or([(float(sc["feedback_history"]["weight"]), fb / float(sc["feedback_history"]["full_at"])),
                       (float(sc["usage_decline"]["weight"]), decline)])
    scores = {"usage_only": usage_score, "feedback_only": fb, "signal": signal}
    cols = list(dict.fromkeys([feedback, usage_change or usage_level, *(features or [])]))
    scores["logistic_cv"], model = oof_logistic(df[cols], y, folds=folds, seed=seed)
    scores["gradient_boosting_cv"] = cross_validate(df[cols], y, folds, methods=("model",), seed=seed)["model"]
    result = compare(y, scores, ks, population_rate)
    assoc = associations(df[cols], y)
    for row in assoc.to_dict("records"):
        if "spearman_rho" in row:
            notes.append(f"{row['feature']}: {row['direction']} ({row['strength']}, Spearman rho "
                         f"{row['spearman_rho']:+.3f}, univariate AUC {row['univariate_auc']:.3f})")
    notes.append("usage_only and feedback_only use fixed a-priori directions (decline and more feedback = risk); "
                 "AUC < 0.5 means the data says the opposite. logistic_cv and gradient_boosting_cv learn sign and "
                 "weight from the labels (out-of-fold predictions; the trees route missing values natively).")
    result.update({"columns": {"label": label, "feedback": feedback, "usage_change": usage_change,
                               "usage_level": usage_level, "features": features or []},
                   "notes": notes, "logistic_model": model, "associations": assoc.to_dict("records")})
    return result, lift_table(y, scores)
