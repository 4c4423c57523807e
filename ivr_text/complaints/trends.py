"""Complaint trends: counts per period and cause (or topic), spike alerts and emerging terms.

- :func:`period_counts` — texts per period × group on a complete calendar (periods without data are zero
  counts, never gaps; every group appears in every period).
- :func:`score_counts` / alerts — each cell is compared with its own trailing baseline: the previous
  ``window`` periods, ``season`` periods apart (``season=7`` with daily periods compares a Monday with the
  previous Mondays). ``poisson``: one-sided exact Poisson test of the count against the baseline mean;
  ``robust_z``: (count − median) / (1.4826·MAD), the scale floored at the Poisson sd √median so a flat
  history does not make every wiggle infinite. An alert also needs ``min_count`` texts, a ratio to the
  baseline of at least ``min_ratio`` and ``min_history`` baseline periods. Benjamini-Hochberg q-values
  over all tested cells are reported.
- :func:`emerging_terms` — terms much more frequent in a period than in its baseline periods: log-odds
  ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) on document frequencies, or
  (for small corpora, where that z is bounded for a brand-new term) an exact binomial burst test against the
  smoothed baseline rate, Bonferroni-corrected over the period's candidates; both with minimum counts and
  a minimum ratio, so one-off words do not flood the list.

All statistics are vectorised over periods × groups (counts) and periods × terms (sparse matrices): counts,
alerts and emerging terms for 1 M texts over 26 weeks took 12 s beyond tokenisation
(``benchmarks/bench_topics.py``), and found the planted spike and the planted new term.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.corpus import BowCorpus
from ivr_text.errors import InputError

PERIODS = {"day": "D", "week": "W-SUN", "month": "M"}
ALL = "(all)"


@dataclass
class TrendConfig:
    """Thresholds for spike alerts and emerging terms (settable from the CLI or a YAML file)."""

    period: str = "week"
    window: int = 4            # baseline periods
    season: int = 1            # distance between baseline periods (7 = same weekday for daily counts)
    method: str = "poisson"    # or "robust_z"
    alpha: float = 0.01        # p-value threshold (poisson)
    z_threshold: float = 3.5   # robust z threshold
    min_count: int = 5
    min_ratio: float = 1.5
    min_history: int = 2       # baseline periods needed before a cell can alert
    baseline_floor: float = 0.5  # smallest baseline mean used in the Poisson test
    n_examples: int = 3
    example_chars: int = 120
    term_min_count: int = 5    # texts with the term in the period
    term_z: float = 3.0
    term_min_ratio: float = 2.0
    term_prior: float = 100.0  # strength of the Dirichlet prior (pseudo-counts spread by overall frequency)
    term_prior_floor: float = 0.5  # smallest pseudo-count per term, so brand-new terms are not drowned by it
    term_alpha: float = 0.001  # or: binomial burst p-value (Bonferroni over the period's candidates) below this
    top_terms: int = 20        # per period
    max_periods: int = 5000    # a longer calendar is refused (dates decades apart are data errors, not trends)

    def __post_init__(self):
        if self.period not in PERIODS:
            raise InputError(f"period must be one of {', '.join(PERIODS)}, not {self.period!r}")
        if self.method not in ("poisson", "robust_z"):
            raise InputError(f"method must be poisson or robust_z, not {self.method!r}")
        if self.window < 1 or self.season < 1:
            raise InputError("window and season must be ≥ 1")
        self.min_history = min(self.min_history, self.window)


# ------------------------------------------------------------------------------------------ counting


def to_periods(ts: pd.Series, period: str) -> pd.PeriodIndex:
    """Timestamps → periods (``day``, ``week`` Monday-Sunday, ``month``)."""
    ts = pd.to_datetime(pd.Series(ts).reset_index(drop=True))
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_localize(None)
    return pd.PeriodIndex(ts.dt.to_period(PERIODS[period]))


def period_label(p: pd.Period) -> str:
    """``2024-03-04`` for days and weeks (week start), ``2024-03`` for months."""
    return str(p) if p.freqstr.startswith("M") else p.start_time.strftime("%Y-%m-%d")


def period_counts(periods: pd.PeriodIndex, groups: Sequence | None = None) -> pd.DataFrame:
    """Matrix of counts: index = every period from first to last, columns = groups (``(all)`` if none)."""
    if len(periods) == 0:
        raise InputError("no dated texts to count")
    full = pd.period_range(periods.min(), periods.max(), freq=periods.freq)
    g = pd.Series(np.asarray(groups, dtype=object) if groups is not None else ALL, index=range(len(periods)))
    g = g.fillna("(missing)").astype(str)
    table = pd.crosstab(pd.Series(periods), g.to_numpy())
    table = table.reindex(full, fill_value=0)
    table.index.name = "period"
    table.columns.name = None
    return table.astype(np.int64)


# ------------------------------------------------------------------------------------------ spikes


def _history(matrix: np.ndarray, window: int, season: int) -> np.ndarray:
    """(window, T, G) array of baseline counts, NaN where the baseline period is before the data."""
    t, g = matrix.shape
    out = np.full((window, t, g), np.nan)
    for j in range(1, window + 1):
        lag = j * season
        if lag < t:
            out[j - 1, lag:, :] = matrix[: t - lag, :]
    return out


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values (NaN kept)."""
    q = np.full_like(p, np.nan, dtype=float)
    ok = ~np.isnan(p)
    if ok.any():
        from scipy.stats import false_discovery_control

        q[ok] = false_discovery_control(p[ok])
    return q


def score_counts(counts: pd.DataFrame, cfg: TrendConfig) -> pd.DataFrame:
    """Long table of every period × group with its baseline, ratio, p-value, robust z, q-value and alert."""
    from scipy.stats import poisson

    c = counts.to_numpy(dtype=float)
    hist = _history(c, cfg.window, cfg.season)
    n_hist = (~np.isnan(hist)).sum(axis=0)
    has = n_hist > 0
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN baselines of the first periods
        baseline = np.where(has, np.nanmean(np.where(has, hist, 0), axis=0), np.nan)
        median = np.where(has, np.nanmedian(np.where(has, hist, 0), axis=0), np.nan)
        mad = np.where(has, np.nanmedian(np.abs(hist - median), axis=0), np.nan)
        scale = np.maximum(1.4826 * mad, np.sqrt(np.maximum(median, 1.0)))
        z = (c - median) / scale
        lam = np.maximum(baseline, cfg.baseline_floor)
        p = np.where(has, poisson.sf(c - 1, lam), np.nan)
        ratio = c / lam
    tested = n_hist >= cfg.min_history
    p = np.where(tested, p, np.nan)
    z = np.where(tested, z, np.nan)
    q = _bh(p.ravel()).reshape(p.shape)
    significant = (p < cfg.alpha) if cfg.method == "poisson" else (z >= cfg.z_threshold)
    alert = tested & significant & (c >= cfg.min_count) & (ratio >= cfg.min_ratio)
    t_idx, g_idx = np.indices(c.shape)
    labels = np.array([period_label(x) for x in counts.index], dtype=object)
    return pd.DataFrame({
        "period": labels[t_idx.ravel()],
        "group": np.asarray(counts.columns, dtype=object)[g_idx.ravel()],
        "count": c.ravel().astype(np.int64),
        "baseline": np.round(baseline.ravel(), 3),
        "baseline_periods": n_hist.ravel(),
        "ratio": np.round(np.where(tested, ratio, np.nan).ravel(), 3),
        "p_value": p.ravel(),
        "q_value": q.ravel(),
        "z": np.round(z.ravel(), 3),
        "alert": alert.ravel(),
    })


def alert_examples(scored: pd.DataFrame, periods: pd.PeriodIndex, groups: Sequence | None,
                   texts: Sequence[str], cfg: TrendConfig) -> pd.DataFrame:
    """Alerts of a scored table with up to ``n_examples`` distinct masked texts of each alerted cell."""
    from ivr_text.text import normalize_text

    alerts = scored[scored["alert"]].drop(columns="alert").copy()
    labels = np.array([period_label(p) for p in periods], dtype=object) if len(periods) else np.array([])
    g = (pd.Series(np.asarray(groups, dtype=object)).fillna("(missing)").astype(str).to_numpy()
         if groups is not None else np.full(len(labels), ALL, dtype=object))
    key = pd.Series(labels + "\x1f" + g)
    first_rows = key.groupby(key, sort=False).indices if len(key) else {}
    examples = []
    for per, grp in zip(alerts["period"], alerts["group"]):
        shown: list[str] = []
        for r in first_rows.get(per + "\x1f" + grp, [])[: 20 * cfg.n_examples]:
            masked = normalize_text(str(texts[r]))[: cfg.example_chars]
            if masked and masked not in shown:
                shown.append(masked)
            if len(shown) >= cfg.n_examples:
                break
        examples.append(" | ".join(shown))
    alerts["examples"] = examples
    return alerts.sort_values(["period", "p_value", "z"], ascending=[False, True, False]).reset_index(drop=True)


# ------------------------------------------------------------------------------------------ terms


def _burst_p(y_now, n_now, y_bef, n_bef, floor) -> np.ndarray:
    """One-sided binomial p-value of ``y_now`` of ``n_now`` texts having the term when its rate is the baseline
    rate ``(y_bef + floor) / (n_bef + 1)`` (smoothed, so a term never seen before still has a small rate; not
    the corpus-wide prior, which in a small corpus is dominated by the burst itself).

    The log-odds z is bounded for a term with no history (its variance includes 1/prior), so in small
    corpora a word that appears in every text of one week and never before could never reach ``term_z``;
    this exact test scales with the evidence instead.
    """
    from scipy.stats import binom

    rate = np.clip((np.asarray(y_bef, dtype=float) + floor) / (float(n_bef) + 1.0), 0.0, 1.0)
    return binom.sf(np.asarray(y_now) - 1, int(n_now), rate)


def emerging_terms(corpus: BowCorpus, periods: pd.PeriodIndex, cfg: TrendConfig, *,
                   texts: Sequence[str] | None = None, causes: Sequence | None = None) -> pd.DataFrame:
    """Terms rare in the baseline periods and frequent in a period (document frequencies, log-odds z).

    ``corpus`` document i is the text of ``periods[i]``.
    """
    from scipy import sparse

    cols = ["period", "term", "count", "count_before", "rate", "rate_before", "ratio", "log_odds", "z", "p_value",
            "new", "main_cause", "examples"]
    if len(corpus) != len(periods):
        raise ValueError("corpus and periods differ in length")
    if len(periods) == 0:
        return pd.DataFrame(columns=cols)
    full = pd.period_range(periods.min(), periods.max(), freq=periods.freq)
    code = np.asarray(full.get_indexer(periods))
    n_t = len(full)
    onehot = sparse.csr_matrix((np.ones(len(code)), (code, np.arange(len(code)))), shape=(n_t, len(code)))
    x_bin = corpus.to_csr(binary=True)
    df_tv = (onehot @ x_bin).tocsr()            # texts with the term, per period × term
    docs_t = np.bincount(code, minlength=n_t).astype(float)
    overall = np.asarray(df_tv.sum(axis=0)).ravel()
    prior = np.maximum(cfg.term_prior * overall / max(overall.sum(), 1.0), cfg.term_prior_floor)  # α_w
    a0 = float(prior.sum())
    x_csc = x_bin.tocsc() if texts is not None or causes is not None else None
    from ivr_text.text import normalize_text

    out = []
    for t in range(n_t):
        lags = [t - j * cfg.season for j in range(1, cfg.window + 1) if t - j * cfg.season >= 0]
        if len(lags) < cfg.min_history or docs_t[t] == 0:
            continue
        row = df_tv.getrow(t)
        cand = row.indices[row.data >= cfg.term_min_count]
        if not len(cand):
            continue
        y_now = row.toarray().ravel()[cand]
        y_bef = np.asarray(df_tv[lags][:, cand].sum(axis=0)).ravel()
        n_now, n_bef = row.data.sum(), df_tv[lags].sum()
        a = prior[cand]
        with np.errstate(all="ignore"):
            lo_now = np.log((y_now + a) / (n_now + a0 - y_now - a))
            lo_bef = np.log((y_bef + a) / (n_bef + a0 - y_bef - a))
            delta = lo_now - lo_bef
            z = delta / np.sqrt(1.0 / (y_now + a) + 1.0 / (y_bef + a))
            rate_now = y_now / docs_t[t]
            docs_bef = docs_t[lags].sum()
            rate_bef = y_bef / docs_bef if docs_bef else np.full(len(cand), np.nan)
            ratio = rate_now / np.maximum(rate_bef, 0.5 / max(docs_bef, 1.0))
        p_burst = _burst_p(y_now, docs_t[t], y_bef, docs_t[lags].sum(), cfg.term_prior_floor)
        significant = (z >= cfg.term_z) | (p_burst * len(cand) <= cfg.term_alpha)
        keep = significant & (ratio >= cfg.term_min_ratio)
        order = np.flatnonzero(keep)[np.argsort(-z[keep], kind="stable")][: cfg.top_terms]
        in_period = np.flatnonzero(code == t)
        for i in order:
            term_id = cand[i]
            docs = np.intersect1d(x_csc[:, term_id].indices, in_period) if x_csc is not None else []
            main = None
            if causes is not None and len(docs):
                vc = pd.Series(np.asarray(causes, dtype=object)[docs]).value_counts()
                main = vc.index[0] if len(vc) else None
            shown: list[str] = []
            if texts is not None:
                for r in docs[: 20 * cfg.n_examples]:
                    masked = normalize_text(str(texts[r]))[: cfg.example_chars]
                    if masked and masked not in shown:
                        shown.append(masked)
                    if len(shown) >= cfg.n_examples:
                        break
            out.append({"period": period_label(full[t]), "term": corpus.id2word[term_id], "count": int(y_now[i]),
                        "count_before": int(y_bef[i]), "rate": round(float(rate_now[i]), 5),
                        "rate_before": round(float(rate_bef[i]), 5), "ratio": round(float(ratio[i]), 3),
                        "log_odds": round(float(delta[i]), 4), "z": round(float(z[i]), 3),
                        "p_value": float(min(p_burst[i] * len(cand), 1.0)),
                        "new": bool(y_bef[i] == 0), "main_cause": main, "examples": " | ".join(shown)})
    table = pd.DataFrame(out, columns=cols)
    return table.sort_values(["period", "z"], ascending=[False, False]).reset_index(drop=True)


__all__ = ["TrendConfig", "PERIODS", "to_periods", "period_label", "period_counts", "score_counts",
           "alert_examples", "emerging_terms"]
