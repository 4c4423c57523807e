"""Monthly usage per customer (with documented data-quality errors) and the churn labels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.samples.customers import Customers, SEGMENT_NAMES
from ivr_text.samples.params import PARAMS, _rng, SEGMENTS


def usage_frame(cust: Customers, seed: int = 0, *, quality_errors: bool = True) -> tuple[pd.DataFrame, dict]:
    """Monthly usage per active customer-month, with documented data-quality errors. Returns (frame, truth)."""
    P = PARAMS
    rng = _rng(seed, "usage")
    n, M = cust.n, cust.months
    seg = cust.segment
    base = {k: np.array([SEGMENTS[s][k] for s in SEGMENT_NAMES])[seg] for k in ("fee", "minutes", "data_mb", "sms")}
    level = rng.lognormal(0.0, P["customer_level_sigma"], (n, 4))
    season_min = np.resize(np.array(P["seasonal_minutes"]), 12)
    season_dat = np.resize(np.array(P["seasonal_data"]), 12)
    first_month = int(cust.periods[0][5:7]) - 1
    mon_of_year = (first_month + np.arange(M)) % 12
    sm, sd = season_min[mon_of_year][None, :], season_dat[mon_of_year][None, :]
    sig = P["usage_monthly_sigma"]
    mult = cust.usage_mult
    active = mult > 0
    noise = lambda: rng.lognormal(-sig * sig / 2, sig, (n, M))  # noqa: E731
    minutes = base["minutes"][:, None] * level[:, [0]] * mult * sm * noise()
    data_mb = base["data_mb"][:, None] * level[:, [1]] * mult * sd * noise()
    sms = base["sms"][:, None] * level[:, [2]] * mult * noise()
    fee = base["fee"][:, None] * np.sqrt(level[:, [3]])
    bill = fee * mult * rng.lognormal(-0.0025, 0.07, (n, M))
    ld_payer = rng.random(n) < P["long_distance_share"]
    long_distance = np.where(ld_payer[:, None], bill * rng.beta(1.2, 14, (n, M)), 0.0)
    bb_level = rng.uniform(2 * 3600, 14 * 3600, n)
    bb = np.where(cust.broadband[:, None], np.minimum(bb_level[:, None] * np.sqrt(np.maximum(mult, 0))
                                                     * rng.lognormal(-0.02, 0.2, (n, M)), 86400), np.nan)

    who, mon = np.nonzero(active)  # row-major: customer, then month
    cols = {
        "minutes": np.round(minutes[who, mon]).astype(float),
        "data_mb": np.round(data_mb[who, mon], 1),
        "sms": np.round(sms[who, mon]).astype(float),
        "bill": np.round(bill[who, mon], 2),
        "long_distance_fee": np.round(long_distance[who, mon], 2),
        "broadband_max_daily_seconds": np.round(bb[who, mon]),
    }
    truth: dict = {"rows_clean": int(len(who))}
    if quality_errors:
        who, mon, cols, truth = _usage_errors(cust, who, mon, cols, rng, truth)
    periods = np.array(cust.periods)
    df = pd.DataFrame({
        "customer_id": pd.Categorical.from_codes(who, categories=cust.ids) if n > 50_000
        else cust.ids[who],
        "period": pd.Categorical.from_codes(mon, categories=cust.periods) if n > 50_000 else periods[mon],
        **cols,
    })
    return df, truth


def _usage_errors(cust, who, mon, cols, rng, truth):
    P = PARAMS
    rows = len(who)
    cid = lambda idx: [f"{cust.ids[w]}|{cust.periods[m]}" for w, m in zip(who[idx], mon[idx])]  # noqa: E731
    # gaps: drop customer-months (not a customer's only row)
    gap = rng.random(rows) < P["q_gap"]
    truth["gap"] = cid(np.flatnonzero(gap))
    keep = ~gap
    who, mon = who[keep], mon[keep]
    cols = {k: v[keep] for k, v in cols.items()}  # fancy indexing copies
    rows = len(who)
    u = rng.random(rows)
    edges = np.cumsum([P["q_broadband_over_day"], P["q_long_distance_over_bill"], P["q_negative"], P["q_missing"]])
    kind = np.searchsorted(edges, u, side="right")  # 0..3 an error kind, 4 clean
    bb_rows = np.flatnonzero((kind == 0) & ~np.isnan(cols["broadband_max_daily_seconds"]))
    cols["broadband_max_daily_seconds"][bb_rows] = 86400 + rng.integers(1, 60000, len(bb_rows))
    truth["broadband_over_86400"] = cid(bb_rows)
    ld = np.flatnonzero((kind == 1) & (cols["bill"] > 0))
    cols["long_distance_fee"][ld] = np.round(cols["bill"][ld] * rng.uniform(1.1, 3.0, len(ld)), 2)
    truth["long_distance_over_bill"] = cid(ld)
    neg = np.flatnonzero(kind == 2)
    measures = ["minutes", "data_mb", "sms", "bill"]
    which = rng.integers(0, len(measures), len(neg))
    for j, name in enumerate(measures):
        r = neg[which == j]
        cols[name][r] = -np.abs(cols[name][r]) - 1
    truth["negative"] = cid(neg)
    miss = np.flatnonzero(kind == 3)
    measures = ["minutes", "data_mb", "sms", "bill", "long_distance_fee"]
    which = rng.integers(0, len(measures), len(miss))
    for j, name in enumerate(measures):
        cols[name][miss[which == j]] = np.nan
    truth["missing"] = cid(miss)
    # usage after the churn month
    churners = np.flatnonzero(cust.churn_month >= 0)
    late = churners[rng.random(len(churners)) < P["q_after_churn"]]
    late = late[cust.churn_month[late] < cust.months]
    extra_who, extra_mon = [], []
    for w in late:  # few rows: a plain loop is fine
        for k in range(int(rng.integers(1, 3))):
            m = cust.churn_month[w] + k
            if m < cust.months:
                extra_who.append(w)
                extra_mon.append(m)
    extra_who, extra_mon = np.array(extra_who, dtype=np.int64), np.array(extra_mon, dtype=np.int64)
    truth["usage_after_churn"] = [f"{cust.ids[w]}|{cust.periods[m]}" for w, m in zip(extra_who, extra_mon)]
    k = len(extra_who)
    extra = {"minutes": np.round(rng.uniform(0, 20, k)), "data_mb": np.round(rng.uniform(0, 50, k), 1),
             "sms": np.round(rng.uniform(0, 3, k)), "bill": np.round(rng.uniform(0, 10, k), 2),
             "long_distance_fee": np.zeros(k), "broadband_max_daily_seconds": np.full(k, np.nan)}
    # duplicate customer-periods (half exact copies, half with other values)
    dup = np.flatnonzero(rng.random(rows) < P["q_duplicate"])
    exact = rng.random(len(dup)) < 0.5
    dcols = {}
    for name, v in cols.items():
        d = v[dup].copy()
        if name != "broadband_max_daily_seconds":
            d = np.where(exact, d, np.round(d * rng.uniform(0.7, 1.3, len(dup)), 2))
        dcols[name] = d
    truth["duplicate"] = cid(dup)
    who = np.concatenate([who, extra_who, who[dup]])
    mon = np.concatenate([mon, extra_mon, mon[dup]])
    cols = {name: np.concatenate([cols[name], extra[name], dcols[name]]) for name in cols}
    order = np.lexsort((np.r_[np.zeros(rows + k), np.ones(len(dup))], mon, who))
    cols = {name: v[order] for name, v in cols.items()}
    truth["rows"] = int(len(order))
    return who[order], mon[order], cols, truth


def churn_labels_frame(cust: Customers) -> pd.DataFrame:
    """``customer_id, churned (0/1), churn_period`` (empty when the customer stayed)."""
    churned = cust.churn_month >= 0
    first = np.datetime64(cust.periods[0], "M")
    months = np.array([str(first + k) for k in range(int(max(cust.churn_month.max(), 0)) + 1)] + [""])
    period = np.where(churned, months[np.where(churned, cust.churn_month, -1)], "")
    return pd.DataFrame({"customer_id": cust.ids, "churned": churned.astype(np.int8), "churn_period": period})
