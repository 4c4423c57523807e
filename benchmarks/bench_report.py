"""Benchmark the HTML reports: run the analyses on sample_logs/, render every page, print wall time, page
sizes and peak RSS; optionally time the churn page on a large synthetic customer × period panel, and save
browser screenshots (``reports/screenshots/index.png`` …) for the README.

    .venv/bin/python benchmarks/bench_report.py [--customers 200000] [--months 12] [--screenshots DIR]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_logs"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_cli(args: list[str]) -> bool:
    """Run one ivr-text command in this process (so the row ledger is shared); False if it is unavailable."""
    from ivr_text.cli.main import app

    try:
        return app(["-q", *args], standalone_mode=False) in (0, None)
    except SystemExit as exc:
        return exc.code in (0, None)
    except Exception as exc:  # a command not yet available in this checkout
        print(f"  skipped `{' '.join(args[:2])}`: {exc.__class__.__name__}: {str(exc)[:100]}")
        return False


def analyse(work: Path) -> dict[str, Path]:
    s = SAMPLES
    predicted = work / "complaints" / "classify" / "predictions.csv"
    steps = [
        ["ivr", "analyze", str(s / "ivr_events.csv"), "--menu", str(s / "menu.yaml"), "--out", str(work / "ivr")],
        ["ivr", "compare", str(s / "ivr_events.csv"), "--menu", str(s / "menu.yaml"), "--groups", "segment=政企,动感地带",
         "--out", str(work / "ivr")],
        ["classify", "predict", str(s / "complaints.csv"), "--out", str(work / "complaints" / "classify")],
        ["classify", "evaluate", str(s / "complaints.csv"), "--out", str(work / "complaints" / "evaluate")],
        # trends and topics over the classified orders (their `cause` column comes from `classify predict`)
        ["trends", str(predicted), "--by", "cause", "--period", "month", "--out", str(work / "complaints" / "trends")],
        ["topics", str(predicted), "--out", str(work / "complaints" / "topics")],
        ["churn", "quality", str(s / "usage.csv"), "--labels", str(s / "churn_labels.csv"),
         "--out", str(work / "churn")],
        ["churn", "signal", "--feedback", str(s / "feedback.csv"), "--usage", str(s / "usage.csv"),
         "--out", str(work / "churn")],
        ["churn", "evaluate", "--feedback", str(s / "feedback.csv"), "--usage", str(s / "usage.csv"),
         "--labels", str(s / "churn_labels.csv"), "--out", str(work / "churn")],
    ]
    for args in steps:
        t = time.perf_counter()
        ok = run_cli(args)
        print(f"  {'ok  ' if ok else 'FAIL'} {time.perf_counter() - t:6.2f} s  ivr-text {' '.join(args[:2])}")
    return {"ivr": work / "ivr", "complaints": work / "complaints", "churn": work / "churn"}


def synthetic_panel(out: Path, customers: int, months: int, seed: int = 0) -> Path:
    """A churn output dir with customer_periods.parquet of ``customers`` × ``months`` rows and a warning list."""
    rng = np.random.default_rng(seed)
    n = customers * months
    ids = np.repeat(np.arange(customers), months)
    periods = np.tile([f"2024-{m % 12 + 1:02d}" if m < 12 else f"2025-{m - 11:02d}" for m in range(months)],
                      customers)
    usage = rng.gamma(4, 25, n).astype(np.float32)
    phases = np.array(["stable", "problem", "silent_decline", "usage_decline"])
    df = pd.DataFrame({"customer_id": pd.Categorical.from_codes(ids, [f"U{i:07d}" for i in range(customers)]),
                       "period": pd.Categorical(periods), "feedback_count": rng.poisson(0.3, n).astype(np.int16),
                       "usage": usage, "usage_baseline": usage, "usage_index": (usage / 100).astype(np.float32),
                       "phase": pd.Categorical.from_codes(rng.choice(4, n, p=[0.8, 0.1, 0.05, 0.05]), phases),
                       "signal_score": rng.random(n).astype(np.float32)})
    out.mkdir(parents=True, exist_ok=True)
    df.to_parquet(out / "customer_periods.parquet", index=False)
    top = rng.choice(customers, 200, replace=False)
    pd.DataFrame({"rank": np.arange(1, 201), "customer_id": [f"U{i:07d}" for i in top],
                  "signal_score": np.sort(rng.random(200))[::-1]}).to_csv(out / "warnings.csv", index=False)
    return out


def screenshots(paths: dict[str, Path], target: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("  chromium not installed: no screenshots")
        return
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        for key, page in paths.items():
            shot = target / f"{key}.png"
            subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                            "--no-first-run", "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
                            "--window-size=1280,2000", f"--screenshot={shot}", page.resolve().as_uri()],
                           capture_output=True, timeout=60)
            print(f"  screenshot {shot} ({shot.stat().st_size / 1024:.0f} KiB)" if shot.exists() else
                  f"  screenshot of {key} failed")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=0, help="also time the churn page on this many customers")
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--screenshots", type=Path, default=None,
                    help="save page screenshots here (e.g. reports/screenshots)")
    ap.add_argument("--keep", type=Path, default=None, help="write the reports here instead of a temp dir")
    a = ap.parse_args()

    from ivr_text.cli import common
    from ivr_text.report import churn_page, render_reports

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        print(f"analyses on {SAMPLES}:")
        dirs = analyse(work / "outputs")
        manifest = {"title": "ivr-text 示例报告 · sample world", "inputs": common.ledger()}
        out = a.keep or work / "html"
        times = []
        for _ in range(3):
            t = time.perf_counter()
            paths = render_reports(out, ivr_dir=dirs["ivr"], complaints_dir=dirs["complaints"],
                                   churn_dir=dirs["churn"], manifest=manifest)
            times.append(time.perf_counter() - t)
        print(f"render_reports (4 pages): best {min(times):.3f} s, median {sorted(times)[1]:.3f} s over 3 runs")
        for k, p in paths.items():
            html = p.read_text(encoding="utf-8")
            print(f"  {p.name:16s} {p.stat().st_size / 1024:8.1f} KiB  {html.count('<svg'):3d} charts  "
                  f"{html.count('本节省略')} sections omitted")
        if a.screenshots:
            screenshots(paths, a.screenshots)
        if a.customers:
            big = synthetic_panel(work / "big_churn", a.customers, a.months)
            t = time.perf_counter()
            html = churn_page(big).render()
            dt = time.perf_counter() - t
            rows = a.customers * a.months
            print(f"churn page on {a.customers:,} customers × {a.months} periods ({rows:,} rows, parquet): "
                  f"{dt:.2f} s ({rows / dt / 1e6:.1f} M rows/s), page {len(html.encode()) / 1024:.0f} KiB")
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    sys.exit(main())
