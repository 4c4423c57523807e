"""Training and honest scoring of the learned churn model on customer tables and back-tested panels.

``cross_validate`` scores every method out of fold (stratified, or grouped by customer so that rows of one
customer at several as-of points never sit on both sides): ``model`` (:class:`~ivr_text.churn.model.ChurnModel`),
``gradient_boosting_default`` (scikit-learn's ``HistGradientBoostingClassifier`` with its defaults, missing
values native) and ``logistic`` (median-imputed with missing indicators). ``train_table`` fits the model on a
customer table, ``score_table`` scores a fitted model on another table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.churn.evaluate import ranking_metrics
from ivr_text.churn.model import ChurnModel, ModelConfig, _logistic
from ivr_text.errors import InputError

METHODS = ("model", "gradient_boosting_default", "logistic")


def _folds(y: np.ndarray, groups, k: int, seed: int):
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    k = int(min(k, y.sum(), (~y).sum()))
    if k < 2:
        raise InputError(f"cross-validation needs at least 2 churners and 2 non-churners (got {int(y.sum())} "
                         f"churners and {int((~y).sum())} non-churners)")
    if groups is None:
        return list(StratifiedKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    return list(StratifiedGroupKFold(k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y, groups))


def cross_validate(X: pd.DataFrame, y, k: int = 5, groups=None, config: ModelConfig | None = None,
                   monotone: dict | None = None, methods=METHODS, seed: int = 0) -> dict[str, np.ndarray]:
    """Out-of-fold churn scores per method (every row scored by models that never saw it)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    from ivr_text.churn.encoding import TableEncoder

    y = np.asarray(y, dtype=bool)
    out = {m: np.zeros(len(y)) for m in methods}
    for tr, te in _folds(y, None if groups is None else np.asarray(groups), k, seed):
        Xtr, Xte = X.iloc[tr], X.iloc[te]
        if "model" in methods:
            out["model"][te] = ChurnModel(config, monotone).fit(Xtr, y[tr], None if groups is None else
                                                                np.asarray(groups)[tr]).predict_proba(Xte)
        if "gradient_boosting_default" in methods or "logistic" in methods:
            enc = TableEncoder().fit(Xtr)
            Ztr, Zte = enc.transform(Xtr), enc.transform(Xte)
            if "gradient_boosting_default" in methods:
                hgb = HistGradientBoostingClassifier(random_state=seed).fit(Ztr, y[tr])
                out["gradient_boosting_default"][te] = hgb.predict_proba(Zte)[:, 1]
            if "logistic" in methods:
                out["logistic"][te] = _logistic().fit(Ztr, y[tr]).predict_proba(Zte)[:, 1]
    return out


def table_features(df: pd.DataFrame, label: str, features: list[str] | None = None,
                   exclude: list[str] | None = None) -> pd.DataFrame:
    """The feature columns of a customer table: ``features`` if named, else every column but the label and ``exclude``."""
    missing = [c for c in [label, *(features or []), *(exclude or [])] if c not in df.columns]
    if missing:
        raise InputError(f"no column '{missing[0]}' (columns: {', '.join(map(str, df.columns[:12]))}"
                         f"{', …' if len(df.columns) > 12 else ''})")
    cols = features or [c for c in df.columns if c != label and c not in (exclude or [])]
    return df[cols]


def train_table(df: pd.DataFrame, label: str, features: list[str] | None = None, exclude: list[str] | None = None,
                cv: int = 0, config: ModelConfig | None = None, ks=(0.05, 0.1), seed: int = 0,
                population_rate: float | None = None) -> tuple[ChurnModel, dict]:
    """Fit the churn model on a customer table; with ``cv`` ≥ 2 also its cross-validated metrics beside the baselines."""
    y = df[label].to_numpy(dtype=bool)
    X = table_features(df, label, features, exclude)
    model = ChurnModel(config).fit(X, y)
    report = {"rows": int(len(y)), "churners": int(y.sum()), "features_used": model.features_,
              "columns_dropped": model.encoder_.dropped_, "holdout": model.meta_["holdout"],
              "n_iter": model.n_iter_}
    if cv and cv >= 2:
        scores = cross_validate(X, y, cv, config=config, seed=seed)
        metrics = {m: ranking_metrics(y, s, ks, population_rate) for m, s in scores.items()}
        report["cv"] = {"folds": int(cv), **metrics["model"]}
        report["cv_methods"] = metrics
    return model, report


def score_table(df: pd.DataFrame, model: ChurnModel, label: str | None, ks=(0.05, 0.1),
                population_rate: float | None = None) -> tuple[dict, pd.DataFrame]:
    """Score a fitted model on a table: (metrics of the model and its logistic companion, scores per row)."""
    prob = model.predict_proba(df)
    scores = pd.DataFrame({"churn_probability": prob, "logistic_probability": model.logistic_proba(df)})
    missing = [c for c in model.encoder_.columns_ if c not in df.columns]
    result: dict = {"rows": int(len(df)), "features_missing_in_table": missing}
    if label is not None:
        if label not in df.columns:
            raise InputError(f"no label column '{label}' in the table; name it with --label-column")
        y = df[label].to_numpy(dtype=bool)
        result.update({"churners": int(y.sum()), "churn_rate": float(y.mean()),
                       "model": ranking_metrics(y, prob, ks, population_rate),
                       "logistic": ranking_metrics(y, scores["logistic_probability"].to_numpy(), ks, population_rate),
                       "mean_probability": float(prob.mean())})
        scores.insert(0, label, y)
    return result, scores


def typed_customer_table(raw: pd.DataFrame, label: str | None, numeric_share: float = 0.9
                         ) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """A customer table read as text → numbers where a column is numbers, the label as bool.

    A column is numeric when at least ``numeric_share`` of its non-empty values parse as numbers; the rest of
    its values become missing (counted in the notes), never a dropped row. Returns (table, rows whose label is
    missing or not a churn label, notes).
    """
    from ivr_text.io import _to_bool, _to_number

    out, notes = {}, []
    bad = np.zeros(len(raw), dtype=bool)
    for c in raw.columns:
        s = raw[c]
        if c == label:
            b = _to_bool(s)
            bad = b.isna().to_numpy()
            out[c] = b.fillna(False).to_numpy(dtype=bool)
            continue
        present = s.notna() & s.astype("string").str.strip().ne("")
        num = _to_number(s.where(present))
        share = float(num.notna().sum() / max(present.sum(), 1))
        if present.any() and share >= numeric_share:
            lost = int((present & num.isna()).sum())
            if lost:
                notes.append(f"column '{c}': {lost:,} values are not numbers and count as missing")
            out[c] = num.astype(float).to_numpy()
        else:
            out[c] = s.where(present)
    return pd.DataFrame(out, index=raw.index), bad, notes
