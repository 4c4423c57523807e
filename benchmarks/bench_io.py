"""Benchmark of the generic reader (``ivr_text.io`` through ``read_chunked``) on a large IVR event log.

Usage: .venv/bin/python benchmarks/bench_io.py [--events 10000000] [--steps chunked,fast,pyarrow,pandas]
                                               [--formats parquet,csv]

Generates (once, cached under /tmp) a log of about ``--events`` rows with ``ivr_text.samples`` (the same log
as ``bench_ivr.py --layout plain``: text columns written as Parquet strings) and the same rows as a UTF-8
CSV file. Then, each step in a fresh child process (so peak RSS is the step's own):

* chunked: ``ivr_text.ivr.reading.read_chunked(FILE, "ivr_events", dictionary=CODE_COLUMNS)``, what
  ``ivr-text ivr analyze`` reads with (mapping, typing, checks, rejected rows, chunked);
* fast: ``read_parquet_events`` (Parquet only: no checks, codes straight from the file);
* pyarrow: ``pq.read_table(...).to_pandas()`` / ``pyarrow.csv.read_csv(...).to_pandas()`` (bare reference);
* pandas: ``pd.read_parquet`` / ``pd.read_csv`` with default options (bare reference).

For each: wall time, CPU time (user + sys of the child, ``resource.getrusage``) and peak RSS, and the
ratios of ``chunked`` to the others measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ivr import _load, _usage, make_log, run_child  # noqa: E402  (same log and measurement as bench_ivr)


def make_logs(events: int) -> dict[str, Path]:
    parquet = make_log(events, Path(f"/tmp/ivr_bench_plain_{events}.parquet"), "plain")
    csv = parquet.with_suffix(".csv")
    if not csv.exists():
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.csv as pcsv
        import pyarrow.parquet as pq

        t0 = time.perf_counter()
        pf = pq.ParquetFile(parquet)
        tmp = csv.with_suffix(".csv.part")
        with pcsv.CSVWriter(tmp, pf.schema_arrow.remove_metadata().set(
                pf.schema_arrow.get_field_index("ts"), pa.field("ts", pa.string()))) as w:
            for batch in pf.iter_batches(batch_size=500_000):
                ts = pc.strftime(batch.column("ts"), format="%Y-%m-%d %H:%M:%S")
                cols = [ts if n == "ts" else batch.column(n) for n in batch.schema.names]
                w.write_batch(pa.record_batch(cols, names=batch.schema.names))
        tmp.rename(csv)
        print(f"wrote {csv} ({csv.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.1f} s")
    return {"parquet": parquet, "csv": csv}


def child(step: str, fmt: str, path: str) -> dict:
    import pandas as pd
    import pyarrow.csv  # noqa: F401
    import pyarrow.parquet as pq

    from ivr_text.ivr.reading import CODE_COLUMNS, read_chunked, read_parquet_events

    out: dict = {}
    w0, u0, s0 = _usage()
    if step == "chunked":
        t = read_chunked(path, "ivr_events", dictionary=CODE_COLUMNS)
        out = {"rows": t.read, "used": t.used, "rejected": len(t.rejected),
               "calls": int(t.data["call_id"].nunique())}
    elif step == "fast":
        df = read_parquet_events(path)
        out = {"rows": len(df)}
    elif step == "pyarrow":
        table = pq.read_table(path) if fmt == "parquet" else pyarrow.csv.read_csv(path)
        out = {"rows": len(table.to_pandas())}
    else:
        df = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
        out = {"rows": len(df)}
    w1, u1, s1 = _usage()
    out["wall_s"], out["cpu_s"] = w1 - w0, u1 + s1 - u0 - s0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--steps", default="chunked,fast,pyarrow,pandas")
    ap.add_argument("--formats", default="parquet,csv")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    paths = make_logs(args.events)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
        path = paths[fmt]
        print(f"{fmt}: {path} ({path.stat().st_size / 1e6:,.0f} MB); {_load()}")
        res = {}
        for step in steps:
            if step == "fast" and fmt != "parquet":
                continue
            r = run_child(step, fmt, path, script=__file__)
            if not r:
                continue
            res[step] = r
            extra = (f"; used {r['used']:,} + rejected {r['rejected']:,}, {r['calls']:,} calls"
                     if step == "chunked" else "")
            print(f"  {step:8s}: {r['wall_s']:6.2f} s wall, {r['cpu_s']:6.2f} s CPU, peak RSS "
                  f"{r['peak_rss_mb']:,.0f} MB; {r['rows']:,} rows, {r['rows'] / r['wall_s'] / 1e6:.2f} M rows/s"
                  f"{extra}")
        if "chunked" in res:
            c = res["chunked"]
            for ref in ("fast", "pyarrow", "pandas"):
                if ref in res:
                    p = res[ref]
                    print(f"  chunked / {ref}: {c['wall_s'] / p['wall_s']:.2f}x wall, "
                          f"{c['cpu_s'] / p['cpu_s']:.2f}x CPU, {c['peak_rss_mb'] / p['peak_rss_mb']:.2f}x peak RSS")


if __name__ == "__main__":
    main()
