"""Honest evaluation of churn rankings: AUC, top-decile lift, precision and recall at k, side by side.

Methods compared: usage-only, feedback-only, the feedback–usage signal (prior weights) and a logistic model
fitted on the user's labelled history with stratified k-fold cross-validation (out-of-fold predictions only,
so no customer is scored by a model that saw its label). Ties in a score are handled by expectation (a tie
group straddling k contributes its churn rate), so coarse scores such as complaint counts are not
flattered or punished by row order. ``associations`` reports each feature's sign and strength against the
label (Spearman rho, univariate AUC, churn rate with/without) and never assumes a direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.errors import InputError


def _gains(y: np.ndarray, score: np.ndarray):
    """Function k → expected churners among the top k by ``score`` (ties shared by expectation)."""
    order = np.argsort(-score, kind="stable")
    s, t = score[order], y[order].astype(float)
    # group equal scores
    starts = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    ends = np.r_[starts[1:], len(s)]
    pos_cum = np.r_[0.0, np.cumsum(t)]
    group_pos = pos_cum[ends] - pos_cum[starts]

    def at(k: int) -> float:
        k = int(min(max(k, 0), len(s)))
        if k == 0:
            return 0.0
        g = np.searchsorted(ends, k, side="left")  # group containing position k-1
        before = pos_cum[starts[g]]
        taken = k - starts[g]
        return float(before + group_pos[g] * taken / (ends[g] - starts[g]))

    return at


def auc_ci(y, score, level: float = 0.95) -> tuple[float, float, float]:
    """AUC with a DeLong confidence interval: (auc, low, high).

    DeLong's variance from the structural components of each class (computed with mid-ranks, so ties count
    one half), O(n log n). The interval is clipped to [0, 1].
    """
    from scipy.stats import norm, rankdata

    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    pos, neg = score[y], score[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        raise InputError(f"AUC needs both churners and non-churners (got {m} of {m + n})")
    all_rank = rankdata(np.r_[pos, neg])
    v10 = (all_rank[:m] - rankdata(pos)) / n          # per churner: share of non-churners ranked below
    v01 = 1.0 - (all_rank[m:] - rankdata(neg)) / m    # per non-churner: share of churners ranked above
    auc = float(v10.mean())
    var = (v10.var(ddof=1) / m if m > 1 else 0.0) + (v01.var(ddof=1) / n if n > 1 else 0.0)
    half = float(norm.ppf(0.5 + level / 2) * np.sqrt(max(var, 0.0)))
    return auc, max(0.0, auc - half), min(1.0, auc + half)


def _resolve_k(k: float, n: int) -> int:
    return int(round(k * n)) if 0 < k < 1 else int(k)


def reweighted_top_decile_lift(y, score, rate: float) -> float:
    """Top-decile lift in the population a sample was drawn from, where churners are ``rate`` of customers.

    For samples with churners over-represented (Cell2Cell's calibration sample: 50 %, real 1.96 %): each
    non-churner stands for ``(1 − rate)/rate · churners/non-churners`` customers, the top 10 % of that weighted
    population is taken (ties shared by expectation) and its churn rate divided by ``rate``. The ranking is
    unchanged; only who fills the top decile is counted as in the real population.
    """
    y = np.asarray(y, dtype=bool)
    score = np.asarray(score, dtype=float)
    if not 0 < rate < 1:
        raise InputError(f"population churn rate {rate}: give a fraction between 0 and 1, e.g. 0.0196")
    w_neg = (1 - rate) / rate * y.sum() / max((~y).sum(), 1)
    w = np.where(y, 1.0, w_neg)
    order = np.argsort(-score, kind="stable")
    s, wt, t = score[order], w[order], y[order]
    starts = np.r_[0, np.flatnonzero(s[1:] != s[:-1]) + 1]
    ends = np.r_[starts[1:], len(s)]
    gw = np.add.reduceat(wt, starts)
    gp = np.add.reduceat(wt * t, starts)
    target = 0.1 * w.sum()
    cum = np.cumsum(gw)
    g = int(np.searchsorted(cum, target))
    before_w = cum[g - 1] if g else 0.0
    before_p = gp[:g].sum()
    share = (target - before_w) / gw[g] if g < len(gw) else 0.0
    caught = before_p + share * (gp[g] if g < len(gp) else 0.0)
    return float(caught / target / rate)


def ranking_metrics(y, score, ks=(0.05, 0.1), population_rate: float | None = None) -> dict:
    """AUC (with a DeLong 95 % interval), top-decile lift and precision/recall at each k (a count, or a fraction
    of the population); with ``population_rate`` also the top-decile lift reweighted to that churn rate."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=bool)
    score = np.nan_to_num(np.asarray(score, dtype=float), nan=np.nanmin(score) if np.isfinite(score).any() else 0)
    n, pos = len(y), int(y.sum())
    if n == 0 or pos in (0, n):
        raise InputError(f"evaluation needs both churners and non-churners (got {pos} of {n})")
    gains = _gains(y, score)
    base = pos / n
    decile = max(_resolve_k(0.1, n), 1)
    auc, lo, hi = auc_ci(y, score)
    out = {"auc": float(roc_auc_score(y, score)), "auc_ci95": [round(lo, 4), round(hi, 4)],
           "top_decile_lift": gains(decile) / decile / base, "at_k": {}}
    for k in ks:
        kk = max(_resolve_k(k, n), 1)
        hit = gains(kk)
        out["at_k"][str(k)] = {"k": kk, "precision": hit / kk, "recall": hit / pos, "lift": hit / kk / base}
    if population_rate:
        out["population_churn_rate"] = float(population_rate)
        out["top_decile_lift_at_population_rate"] = reweighted_top_decile_lift(y, score, population_rate)
    return out


def lift_table(y, scores: dict[str, np.ndarray], bins: int = 10) -> pd.DataFrame:
    """Per method and bin (deciles by default): customers, expected churners, churn rate, lift, gains."""
    y = np.asarray(y, dtype=bool)
    n, pos = len(y), int(y.sum())
    rows = []
    for method, score in scores.items():
        score = np.nan_to_num(np.asarray(score, dtype=float), nan=-np.inf)
        gains = _gains(y, score)
        edges = [round(n * i / bins) for i in range(bins + 1)]
        for i in range(bins):
            lo, hi = edges[i], edges[i + 1]
            got = gains(hi) - gains(lo)
            size = max(hi - lo, 1)
            rows.append({"method": method, "bin": i + 1, "share_of_customers": hi / n, "customers": hi - lo,
                         "churners": got, "churn_rate": got / size, "lift": got / size / (pos / n),
                         "cumulative_recall": gains(hi) / pos, "cumulative_lift": gains(hi) / max(hi, 1) / (pos / n)})
    return pd.DataFrame(rows)


def associations(features: pd.DataFrame, y) -> pd.DataFrame:
    """Sign and strength of each numeric feature's association with churn, measured, not assumed."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype=bool)
    rows = []
    for col in features.columns:
        x = pd.to_numeric(features[col], errors="coerce").to_numpy(dtype=float)
        ok = ~np.isnan(x)
        if ok.sum() < 3 or np.nanstd(x) == 0 or y[ok].all() or not y[ok].any():
            rows.append({"feature": col, "n": int(ok.sum()), "direction": "no variation"})
            continue
        rho, pval = spearmanr(x[ok], y[ok])
        auc = roc_auc_score(y[ok], x[ok])
        nonzero = x[ok] != 0
        row = {"feature": col, "n": int(ok.sum()), "spearman_rho": float(rho), "p_value": float(pval),
               "univariate_auc": float(auc),
               "direction": "higher → more churn" if rho > 0 else "higher → less churn",
               "strength": _strength(abs(rho)),
               "churn_rate_if_nonzero": float(y[ok][nonzero].mean()) if nonzero.any() else None,
               "churn_rate_if_zero": float(y[ok][~nonzero].mean()) if (~nonzero).any() else None}
        rows.append(row)
    return pd.DataFrame(rows)


def _strength(r: float) -> str:
    return "negligible" if r < 0.05 else "weak" if r < 0.2 else "moderate" if r < 0.4 else "strong"


def oof_logistic(X: pd.DataFrame, y, folds: int = 5, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Out-of-fold churn probabilities from a standardised logistic regression, plus its fitted weights.

    Missing values are imputed with the training fold's median. The reported coefficients come from a
    fit on all rows (per standard deviation of each feature); the predictions are strictly out-of-fold.
    """
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(y, dtype=bool)
    folds = int(min(folds, y.sum(), (~y).sum()))
    if folds < 2:
        raise InputError(f"cross-validation needs at least 2 churners and 2 non-churners (got {int(y.sum())} "
                         f"churners and {int((~y).sum())} non-churners)")
    X = X.apply(pd.to_numeric, errors="coerce").astype(float)
    X = X.loc[:, X.notna().any() & (X.nunique() > 1)]
    if X.shape[1] == 0:
        raise InputError("no usable numeric features for the logistic model")

    def model():
        return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(),
                             LogisticRegression(max_iter=2000))

    oof = np.zeros(len(y))
    fold_auc = []
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(X, y):
        m = model().fit(X.iloc[train], y[train])
        oof[test] = m.predict_proba(X.iloc[test])[:, 1]
        fold_auc.append(float(roc_auc_score(y[test], oof[test])))
    full = model().fit(X, y)
    coef = full[-1].coef_[0]
    info = {"folds": folds, "seed": seed, "fold_auc": fold_auc, "fold_auc_mean": float(np.mean(fold_auc)),
            "fold_auc_sd": float(np.std(fold_auc)), "features": list(X.columns),
            "coefficients_per_sd": {c: float(v) for c, v in zip(X.columns, coef)},
            "intercept": float(full[-1].intercept_[0])}
    return oof, info


def compare(y, scores: dict[str, np.ndarray], ks=(0.05, 0.1), population_rate: float | None = None) -> dict:
    """``ranking_metrics`` for every method, plus the churn base rate."""
    y = np.asarray(y, dtype=bool)
    return {"customers": int(len(y)), "churners": int(y.sum()), "churn_rate": float(y.mean()),
            "methods": {name: ranking_metrics(y, s, ks, population_rate) for name, s in scores.items()}}


def noisy_or(components: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """1 − ∏(1 − wᵢ·cᵢ): the signal's combination rule."""
    keep = np.ones(len(components[0][1]))
    for w, c in components:
        keep *= 1 - np.clip(w, 0, 1) * np.clip(np.nan_to_num(c), 0, 1)
    return 1 - keep
