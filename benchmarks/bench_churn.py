"""Benchmark the feedback–usage churn signal: N customers × P months of usage plus E feedback events.

Targets (issues 7, 14): 1 M customers × 12 months + 3 M feedback events → signal in ≤ 30 s; with ``--train``
also ``churn train`` (back-tested rows at several as-of points, gradient boosting, calibration, logistic) in
≤ 120 s and scoring + explaining with the model; ≤ 6 GB peak RSS.
Data is generated here, vectorised (numeric ids, a planted decline for 5 % of customers). Reports wall time
per stage, throughput and peak RSS (resource.getrusage). Not run by the test suite.

    .venv/bin/python benchmarks/bench_churn.py --customers 1000000 --months 12 --events 3000000 --train
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np
import pandas as pd

from ivr_text.churn.config import churn_config
from ivr_text.churn.features import customer_features
from ivr_text.churn.panel import build_panel
from ivr_text.churn.signal import compute_signal, customer_periods, warning_list


def peak_rss_mb() -> float:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 1024 / 1024


def make_data(n: int, months: int, events: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = np.char.add("C", np.arange(n).astype(str)).astype(object)
    periods = np.array([f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(months)], dtype=object)
    cust = np.repeat(np.arange(n), months)
    month = np.tile(np.arange(months), n)
    level = rng.lognormal(5.5, 0.45, n)[cust]
    decline = rng.random(n) < 0.05
    # the planted decliners churn in a month from the 7th to just after the panel; usage falls in the 3 before
    churn_at = np.where(decline, rng.integers(min(6, months - 1), months + 1, n), months + 99)
    c = churn_at[cust]
    mult = np.where(decline[cust] & (month >= c - 3), 0.6, 1.0) * rng.normal(1, 0.08, n * months)
    live = month < c
    cust, month, mult, level = cust[live], month[live], mult[live], level[live]
    usage = pd.DataFrame({"customer_id": ids[cust], "period": periods[month], "minutes": level * mult,
                          "data_mb": level * 8 * mult, "bill": level / 8 * mult})
    ev_cust = rng.integers(0, n, events)
    ev_month = rng.integers(0, months, events)
    start = np.datetime64("2024-01-01")
    ts = (start.astype("datetime64[M]") + ev_month).astype("datetime64[s]") + rng.integers(0, 27 * 86400, events)
    causes = np.array(["网络问题", "费用问题", "服务问题", "业务办理问题"], dtype=object)
    feedback = pd.DataFrame({"customer_id": ids[ev_cust], "ts": pd.to_datetime(ts),
                             "cause": causes[rng.integers(0, 4, events)],
                             "channel": np.array(["complaint", "agent_call"], dtype=object)[rng.integers(0, 2, events)]})
    all_periods = np.array([f"{2024 + m // 12}-{m % 12 + 1:02d}" for m in range(months + 1)], dtype=object)
    labels = pd.DataFrame({"customer_id": ids, "churned": decline.astype(np.int8),
                           "churn_period": np.where(decline, all_periods[np.minimum(churn_at, months)], None)})
    return usage, feedback, labels


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--events", type=int, default=3_000_000)
    ap.add_argument("--periods-table", action="store_true", help="also build the tidy customer_periods table")
    ap.add_argument("--train", action="store_true", help="also train the model and score + explain with it")
    args = ap.parse_args()
    t = time.perf_counter()
    usage, feedback, labels = make_data(args.customers, args.months, args.events)
    print(f"generated {len(usage):,} usage rows + {len(feedback):,} feedback events in {time.perf_counter() - t:.1f} s; "
          f"peak RSS so far {peak_rss_mb():,.0f} MB")
    config = churn_config()
    c0 = time.process_time()
    t0 = time.perf_counter()
    panel = build_panel(usage, feedback, config)
    t1 = time.perf_counter()
    sig = compute_signal(panel, config)
    t2 = time.perf_counter()
    warn = warning_list(sig)
    t3 = time.perf_counter()
    c3 = time.process_time()
    feats = customer_features(sig)
    t4 = time.perf_counter()
    total = t3 - t0
    print(f"panel {t1 - t0:.2f} s | signal {t2 - t1:.2f} s | warning list {t3 - t2:.2f} s "
          f"({len(warn):,} warned) | features {t4 - t3:.2f} s ({feats.shape[1]} columns)")
    print(f"signal end to end (panel + signal + warning list): {total:.2f} s = "
          f"{len(usage) / total / 1e6:.2f} M usage rows/s; target <= 30 s -> {'OK' if total <= 30 else 'MISSED'}")
    print(f"CPU time of panel + signal + warning list: {c3 - c0:.2f} s (wall time is higher when other "
          f"processes share the cores; load average now {__import__('os').getloadavg()[0]:.1f})")
    from ivr_text.churn.monthly import to_months

    t6 = time.perf_counter()
    to_months(usage)
    print(f"reading path: period parsing + month check (to_months) on {len(usage):,} monthly rows: "
          f"{time.perf_counter() - t6:.2f} s")
    if args.periods_table:
        t5 = time.perf_counter()
        cp = customer_periods(sig)
        print(f"customer_periods table: {len(cp):,} rows in {time.perf_counter() - t5:.2f} s")
    if args.train:
        from ivr_text.churn.panel_model import model_warnings, train_panel

        c7, t7 = time.process_time(), time.perf_counter()
        model, report = train_panel(sig, labels, config)
        c8, t8 = time.process_time(), time.perf_counter()
        print(f"train (as-of {min(report['as_of_points'])}..{max(report['as_of_points'])}, {report['rows']:,} rows, "
              f"temporal back-test + final fit): {t8 - t7:.1f} s (+ panel and signal {t2 - t0:.1f} s = "
              f"{t8 - t7 + t2 - t0:.1f} s); target <= 120 s -> {'OK' if t8 - t7 + t2 - t0 <= 120 else 'MISSED'}; "
              f"CPU {c8 - c7:.1f} s (both cores: the trees use 2 threads)")
        if "backtest" in report:
            b = report["backtest"]["methods"]
            print("  back-test at " + report["backtest"]["scored_at"] + ": " +
                  ", ".join(f"{k} AUC {v['auc']:.3f}" for k, v in b.items()))
        meta = {**model.meta_, "windows_used": report["windows_used"],
                "training_churn_rate": report["training_churn_rate"]}
        c9, t9 = time.process_time(), time.perf_counter()
        mw = model_warnings(sig, model, meta)
        c10, t10 = time.process_time(), time.perf_counter()
        print(f"signal --model (score {args.customers:,} customers, explain {len(mw):,} warned): {t10 - t9:.1f} s "
              f"(+ panel and signal {t2 - t0:.1f} s = {t10 - t9 + t2 - t0:.1f} s); target <= 30 s -> "
              f"{'OK' if t10 - t9 + t2 - t0 <= 30 else 'MISSED'}; CPU {c10 - c9:.1f} s")
    rss = peak_rss_mb()
    print(f"peak RSS {rss:,.0f} MB (includes the generated input frames); target <= 6144 MB -> "
          f"{'OK' if rss <= 6144 else 'MISSED'}")


if __name__ == "__main__":
    main()
