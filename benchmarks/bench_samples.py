"""Benchmark the sample generator: 10 M IVR events to Parquet, and a 1 M-customer churn world.

Usage:
    .venv/bin/python benchmarks/bench_samples.py                      # both, full size
    .venv/bin/python benchmarks/bench_samples.py --part ivr --calls 200000
    .venv/bin/python benchmarks/bench_samples.py --part churn --customers 100000

Prints wall time, rows/s and peak RSS (``resource.getrusage``) per stage. Target: the IVR stage (≈1.7 M calls,
≈10 M events, written to Parquet) within 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivr_text import samples as S  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_ivr(calls: int, seed: int, out: Path) -> None:
    t0 = time.perf_counter()
    world = S.simulate_ivr(calls, seed)
    t1 = time.perf_counter()
    path = out / "ivr_events.parquet"
    world.events.to_parquet(path, index=False)
    t2 = time.perf_counter()
    n = len(world.events)
    print(f"ivr: {calls:,} calls → {n:,} events ({n / calls:.2f}/call); simulate {t1 - t0:.1f} s, "
          f"parquet {t2 - t1:.1f} s ({path.stat().st_size / 1e6:.0f} MB); total {t2 - t0:.1f} s = "
          f"{n / (t2 - t0):,.0f} events/s; self-service {world.truth['self_service_rate']:.3f}, "
          f"mean {world.truth['self_service_mean_s']} s; peak RSS {peak_rss_mb():,.0f} MB")


def bench_churn(customers: int, months: int, seed: int, out: Path) -> None:
    t0 = time.perf_counter()
    paths = S.generate_world(out, seed=seed, customers=customers, months=months, calls=1, fmt="parquet",
                             parts=["usage", "feedback", "labels"])
    t1 = time.perf_counter()
    import pyarrow.parquet as pq

    rows = {k: pq.ParquetFile(p).metadata.num_rows for k, p in paths.items() if p.suffix == ".parquet"}
    total = sum(rows.values())
    print(f"churn world: {customers:,} customers × {months} months → "
          + ", ".join(f"{k} {v:,} rows" for k, v in rows.items())
          + f"; {t1 - t0:.1f} s = {total / (t1 - t0):,.0f} rows/s; peak RSS {peak_rss_mb():,.0f} MB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["ivr", "churn", "all"], default="all")
    ap.add_argument("--calls", type=int, default=1_450_000, help="IVR calls (≈6.9 events each → ≈10 M events)")
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None, help="output directory (default: a temporary one)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        if args.part in ("ivr", "all"):
            bench_ivr(args.calls, args.seed, out)
        if args.part in ("churn", "all"):
            bench_churn(args.customers, args.months, args.seed, out)


if __name__ == "__main__":
    main()
