"""Complaint trends: counts per period and cause (or topic), spike alerts and emerging terms.

- :func:`period_counts` — texts per period × group on a complete calendar (periods without data are zero
  counts, never gaps; every group appears in every period).
- :func:`score_counts` / alerts — each cell is compared with its own trailing baseline: the previous
  ``window`` periods, ``season`` periods apart (``season=7`` with daily periods compares a Monday with the
  previous Mondays). ``conditional`` (default): the exact test of equal Poisson rates — given the count ``c``
  and the sum ``S`` of the ``m`` baseline counts, ``c ~ Binomial(c + S, 1/(1 + m))`` when nothing changed — so
  the baseline's own noise is accounted for (the plain ``poisson`` test takes the baseline mean as known and
  alerts too often on short windows); ``robust_z``: (count − median) / (1.4826·MAD), the scale floored at the
  Poisson sd √median so a flat history does not make every wiggle infinite. Multiple testing: the p-values
  of one period's groups are one family, Benjamini-Hochberg adjusted (``q_value``), and a cell alerts when
  ``q_value ≤ alpha`` (``correction="none"``: when ``p_value < alpha``), so in a period without any surge
  some group alerts with probability about ``alpha`` however many groups there are (tested on simulated
  surge-free worlds). An alert also needs ``min_count`` texts, a ratio to the baseline of at least
  ``min_ratio`` and ``min_history`` baseline periods. :func:`alert_terms` adds what changed: the terms
  over-represented in the alerted cell's texts against the same group's baseline periods.
- :func:`emerging_terms` — terms much more frequent in a period than in its baseline periods: ranked by the
  log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi & Quinn 2008) on document frequencies;
  significant by the exact conditional test of equal rates (texts with the term now vs in the baseline,
  given both period sizes), Bonferroni-corrected over the period's candidates (``term_alpha``), with minimum
  counts and a minimum ratio, so one-off words do not flood the list. Corpus boilerplate — template words
  steady over time and spread over the causes like all texts (:mod:`ivr_text.complaints.boilerplate`) — is
  never a candidate.

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
from ivr_text.stats import benjamini_hochberg

PERIODS = {"day": "D", "week": "W-SUN", "month": "M"}
ALL = "(all)"


@dataclass
class TrendConfig:
    """Thresholds for spike alerts and emerging terms (settable from the CLI or a YAML file)."""

    period: str = "week"
    window: int = 4            # baseline periods
    season: int = 1            # distance between baseline periods (7 = same weekday for daily counts)
    method: str = "conditional"  # or "poisson" (baseline mean taken as known) or "robust_z"
    alpha: float = 0.01        # false-alarm level per period (conditional, poisson), after the correction
    correction: str = "bh"     # Benjamini-Hochberg over the groups of a period, or "none"
    z_threshold: float = 3.5   # robust z threshold
    min_count: int = 5
    min_ratio: float = 1.5
    min_history: int = 2       # baseline periods needed before a cell can alert
    baseline_floor: float = 0.5  # smallest baseline mean used in the Poisson test
    n_examples: int = 3
    example_chars: int = 120
    term_min_count: int = 5    # texts with the term in the period
    term_z: float = 3.0        # (kept for old config files; terms are tested by term_alpha)
    term_min_ratio: float = 2.0
    term_prior: float = 100.0  # strength of the Dirichlet prior (pseudo-counts spread by overall frequency)
    term_prior_floor: float = 0.5  # smallest pseudo-count per term, so brand-new terms are not drowned by it
    term_alpha: float = 0.001  # conditional p-value × the period's candidates (Bonferroni) at most this
    top_terms: int = 20        # per period
    alert_terms: int = 5       # terms shown per alert (what changed)
    boilerplate: bool = True   # keep corpus boilerplate out of emerging terms
    max_periods: int = 5000    # a longer calendar is refused (dates decades apart are data errors, not trends)

    def __post_init__(self):
        if self.period not in PERIODS:
            raise InputError(f"period must be one of {', '.join(PERIODS)}, not {self.period!r}")
        if self.method not in ("conditional", "poisson", "robust_z"):
            raise InputError(f"method must be conditional, poisson or robust_z, not {self.method!r}")
        if self.correction not in ("bh", "none"):
            raise InputError(f"correction must be bh or none, not {self.correction!r}")
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
    return count_matrix(partial_counts(periods, groups), periods.freq)


def partial_counts(periods: pd.PeriodIndex, groups: Sequence | None = None) -> pd.DataFrame:
    """Long counts ``period`` (ordinal), ``group``, ``count`` of some rows; partial counts of any split of the
    rows add up (``groupby(["period", "group"]).sum()``) to those of all rows (the Spark engine's aggregation)."""
    g = pd.Series(np.asarray(groups, dtype=object) if groups is not None else ALL, index=range(len(periods)))
    g = g.fillna("(missing)").astype(str)
    long = pd.DataFrame({"period": np.asarray(periods.asi8, dtype=np.int64), "group": g.to_numpy(dtype=object)})
    return long.groupby(["period", "group"], sort=False).size().rename("count").reset_index()


def count_matrix(counts: pd.DataFrame, freq) -> pd.DataFrame:
    """The :func:`period_counts` matrix from (summed) :func:`partial_counts` rows."""
    if counts.empty or int(counts["count"].sum()) == 0:
        raise InputError("no dated texts to count")
    counts = counts.groupby(["period", "group"])["count"].sum().reset_index()
    index = pd.PeriodIndex.from_ordinals(counts["period"].to_numpy(dtype=np.int64), freq=freq)
    full = pd.period_range(index.min(), index.max(), freq=freq)
    table = counts.assign(period=index).pivot(index="period", columns="group", values="count")
    table = table.reindex(index=full, columns=sorted(table.columns)).fillna(0)
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


def _bh_rows(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg q-values within each row (one period's groups are one family), NaN kept."""
    return np.vstack([benjamini_hochberg(row) for row in p]) if p.size else p.astype(float)


def conditional_p(count, baseline_sum, baseline_periods) -> np.ndarray:
    """One-sided exact p-value that ``count`` is no higher than its ``baseline_periods`` earlier counts (sum
    ``baseline_sum``) would have it at one Poisson rate: ``P(Binomial(count + sum, 1/(1 + m)) ≥ count)``."""
    from scipy.stats import binom

    c = np.asarray(count, dtype=float)
    m = np.asarray(baseline_periods, dtype=float)
    total = c + np.asarray(baseline_sum, dtype=float)
    with np.errstate(all="ignore"):
        p = binom.sf(c - 1, total, 1.0 / (1.0 + m))
    return np.where(c <= 0, 1.0, p)


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
        hist_sum = np.nansum(hist, axis=0)
        median = np.where(has, np.nanmedian(np.where(has, hist, 0), axis=0), np.nan)
        mad = np.where(has, np.nanmedian(np.abs(hist - median), axis=0), np.nan)
        scale = np.maximum(1.4826 * mad, np.sqrt(np.maximum(median, 1.0)))
        z = (c - median) / scale
        lam = np.maximum(baseline, cfg.baseline_floor)
        if cfg.method == "poisson":
            p = np.where(has, poisson.sf(c - 1, lam), np.nan)
        else:
            p = np.where(has, conditional_p(c, hist_sum, n_hist), np.nan)
        ratio = c / lam
    tested = n_hist >= cfg.min_history
    p = np.where(tested, p, np.nan)
    z = np.where(tested, z, np.nan)
    q = _bh_rows(p)
    if cfg.method == "robust_z":
        significant = z >= cfg.z_threshold
    elif cfg.correction == "bh":
        significant = q <= cfg.alpha
    else:
        significant = p < cfg.alpha
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
    alerts = scored[scored["alert"]].drop(columns="alert").copy()
    labels = np.array([period_label(p) for p in periods], dtype=object) if len(periods) else np.array([])
    g = (pd.Series(np.asarray(groups, dtype=object)).fillna("(missing)").astype(str).to_numpy()
         if groups is not None else np.full(len(labels), ALL, dtype=object))
    key = pd.Series(labels + "\x1f" + g)
    first_rows = key.groupby(key, sort=False).indices if len(key) else {}
    examples = [" | ".join(_examples(texts, first_rows.get(per + "\x1f" + grp, []), cfg))
                for per, grp in zip(alerts["period"], alerts["group"])]
    alerts["examples"] = examples
    return alerts.sort_values(["period", "p_value", "z"], ascending=[False, True, False]).reset_index(drop=True)


# ------------------------------------------------------------------------------------------ terms


def _term_table(corpus: BowCorpus, periods: pd.PeriodIndex, cfg: TrendConfig, exclude: Sequence[str] = ()):
    """Per period × term document counts and the pieces every term score needs."""
    from scipy import sparse

    full = pd.period_range(periods.min(), periods.max(), freq=periods.freq)
    code = np.asarray(full.get_indexer(periods))
    n_t = len(full)
    onehot = sparse.csr_matrix((np.ones(len(code)), (code, np.arange(len(code)))), shape=(n_t, len(code)))
    x_bin = corpus.to_csr(binary=True)
    df_tv = (onehot @ x_bin).tocsr()            # texts with the term, per period × term
    docs_t = np.bincount(code, minlength=n_t).astype(float)
    overall = np.asarray(df_tv.sum(axis=0)).ravel()
    prior = np.maximum(cfg.term_prior * overall / max(overall.sum(), 1.0), cfg.term_prior_floor)  # α_w
    banned = np.zeros(corpus.n_terms, dtype=bool)
    banned[[i for i in corpus.token_ids(list(exclude)) if i >= 0]] = True
    return full, code, df_tv, docs_t, prior, x_bin, banned


def _score_period(t: int, tab, cfg: TrendConfig, min_count: int):
    """Candidate terms of period ``t`` (at least ``min_count`` texts, not excluded) with their statistics,
    or None when the period has too little history."""
    full, code, df_tv, docs_t, prior, _, banned = tab
    lags = [t - j * cfg.season for j in range(1, cfg.window + 1) if t - j * cfg.season >= 0]
    if len(lags) < cfg.min_history or docs_t[t] == 0:
        return None
    row = df_tv.getrow(t)
    cand = row.indices[(row.data >= min_count) & ~banned[row.indices]]
    if not len(cand):
        return None
    y_now = row.toarray().ravel()[cand]
    y_bef = np.asarray(df_tv[lags][:, cand].sum(axis=0)).ravel()
    n_now, n_bef = row.data.sum(), df_tv[lags].sum()
    a, a0 = prior[cand], float(prior.sum())
    docs_bef = docs_t[lags].sum()
    with np.errstate(all="ignore"):
        lo_now = np.log((y_now + a) / (n_now + a0 - y_now - a))
        lo_bef = np.log((y_bef + a) / (n_bef + a0 - y_bef - a))
        delta = lo_now - lo_bef
        z = delta / np.sqrt(1.0 / (y_now + a) + 1.0 / (y_bef + a))
        rate_now = y_now / docs_t[t]
        rate_bef = y_bef / docs_bef if docs_bef else np.full(len(cand), np.nan)
        ratio = rate_now / np.maximum(rate_bef, 0.5 / max(docs_bef, 1.0))
    # exact conditional test of one rate: of the y_now + y_bef texts with the term, y_now fall in this period
    # with probability docs_now / (docs_now + docs_bef) when nothing changed
    from scipy.stats import binom

    share_now = docs_t[t] / (docs_t[t] + docs_bef)
    p = binom.sf(y_now - 1, y_now + y_bef, share_now)
    return {"cand": cand, "y_now": y_now, "y_bef": y_bef, "delta": delta, "z": z, "rate_now": rate_now,
            "rate_bef": rate_bef, "ratio": ratio, "p_adj": np.minimum(p * len(cand), 1.0)}


def emerging_terms(corpus: BowCorpus, periods: pd.PeriodIndex, cfg: TrendConfig, *,
                   texts: Sequence[str] | None = None, causes: Sequence | None = None,
                   exclude: Sequence[str] | None = None) -> pd.DataFrame:
    """Terms rare in the baseline periods and frequent in a period (document frequencies; see the module).

    ``corpus`` document i is the text of ``periods[i]``. ``exclude``: terms never reported; by default (with
    ``cfg.boilerplate``) the corpus boilerplate found from ``causes`` and ``periods``
    (:func:`~ivr_text.complaints.boilerplate.find_boilerplate`).
    """
    cols = ["period", "term", "count", "count_before", "rate", "rate_before", "ratio", "log_odds", "z", "p_value",
            "new", "main_cause", "examples"]
    if len(corpus) != len(periods):
        raise ValueError("corpus and periods differ in length")
    if len(periods) == 0:
        return pd.DataFrame(columns=cols)
    if exclude is None:
        exclude = boilerplate_terms(corpus, periods, causes, cfg)
    tab = _term_table(corpus, periods, cfg, exclude)
    full, code, x_bin = tab[0], tab[1], tab[5]
    x_csc = x_bin.tocsc() if texts is not None or causes is not None else None
    out = []
    for t in range(len(full)):
        sc = _score_period(t, tab, cfg, cfg.term_min_count)
        if sc is None:
            continue
        keep = (sc["p_adj"] <= cfg.term_alpha) & (sc["ratio"] >= cfg.term_min_ratio)
        order = np.flatnonzero(keep)[np.argsort(-sc["z"][keep], kind="stable")][: cfg.top_terms]
        in_period = np.flatnonzero(code == t)
        for i in order:
            term_id = sc["cand"][i]
            docs = np.intersect1d(x_csc[:, term_id].indices, in_period) if x_csc is not None else []
            main = None
            if causes is not None and len(docs):
                vc = pd.Series(np.asarray(causes, dtype=object)[docs]).value_counts()
                main = vc.index[0] if len(vc) else None
            out.append({"period": period_label(full[t]), "term": corpus.id2word[term_id],
                        "count": int(sc["y_now"][i]), "count_before": int(sc["y_bef"][i]),
                        "rate": round(float(sc["rate_now"][i]), 5), "rate_before": round(float(sc["rate_bef"][i]), 5),
                        "ratio": round(float(sc["ratio"][i]), 3), "log_odds": round(float(sc["delta"][i]), 4),
                        "z": round(float(sc["z"][i]), 3), "p_value": float(sc["p_adj"][i]),
                        "new": bool(sc["y_bef"][i] == 0), "main_cause": main,
                        "examples": " | ".join(_examples(texts, docs, cfg)) if texts is not None else ""})
    table = pd.DataFrame(out, columns=cols)
    return table.sort_values(["period", "z"], ascending=[False, False]).reset_index(drop=True)


def _examples(texts: Sequence[str], rows, cfg: TrendConfig) -> list[str]:
    from ivr_text.text import normalize_text

    shown: list[str] = []
    for r in list(rows)[: 20 * cfg.n_examples]:
        masked = normalize_text(str(texts[r]))[: cfg.example_chars]
        if masked and masked not in shown:
            shown.append(masked)
        if len(shown) >= cfg.n_examples:
            break
    return shown


def boilerplate_terms(corpus: BowCorpus, periods: pd.PeriodIndex, causes: Sequence | None,
                      cfg: TrendConfig) -> list[str]:
    """Corpus boilerplate kept out of emerging terms (none when ``cfg.boilerplate`` is off)."""
    if not cfg.boilerplate:
        return []
    from ivr_text.complaints.boilerplate import find_boilerplate

    return find_boilerplate(corpus, causes, periods)["term"].tolist()


def alert_terms(alerts: pd.DataFrame, corpus: BowCorpus, periods: pd.PeriodIndex, groups: Sequence | None,
                cfg: TrendConfig, exclude: Sequence[str] = ()) -> list[str]:
    """What changed, per alert (rows of ``alert_examples``): the ``cfg.alert_terms`` terms most over-represented
    in the alerted group's texts of that period against the same group's baseline periods (log-odds z; at
    least 2 texts and ``term_min_ratio``), as ``term (now/before)`` joined by " | "."""
    if not len(alerts):
        return []
    g = (pd.Series(np.asarray(groups, dtype=object)).fillna("(missing)").astype(str).to_numpy()
         if groups is not None else np.full(len(periods), ALL, dtype=object))
    out = []
    cache: dict[str, tuple] = {}
    for per, grp in zip(alerts["period"], alerts["group"].astype(str)):
        if grp not in cache:
            rows = np.flatnonzero(g == grp)
            sub_periods = pd.PeriodIndex(periods[rows], freq=periods.freq)
            tab = _term_table(corpus.subset(rows), sub_periods, cfg, exclude) if len(rows) else None
            labels = [period_label(p) for p in tab[0]] if tab is not None else []
            cache[grp] = (tab, labels, corpus.subset(rows) if len(rows) else None)
        tab, labels, sub = cache[grp]
        shown = ""
        if tab is not None and per in labels:
            sc = _score_period(labels.index(per), tab, cfg, 2)
            if sc is not None:
                keep = np.flatnonzero(sc["ratio"] >= cfg.term_min_ratio)
                order = keep[np.argsort(-sc["z"][keep], kind="stable")][: cfg.alert_terms]
                shown = " | ".join(f"{sub.id2word[sc['cand'][i]]} ({int(sc['y_now'][i])}/{int(sc['y_bef'][i])})"
                                   for i in order)
        out.append(shown)
    return out


__all__ = ["TrendConfig", "PERIODS", "to_periods", "period_label", "period_counts", "score_counts",
           "alert_examples", "alert_terms", "emerging_terms", "boilerplate_terms", "conditional_p"]
