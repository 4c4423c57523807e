"""Benchmark of ``ivr_text.ivr.analyze_events`` on a large synthetic log from the sample generator.

Usage: .venv/bin/python benchmarks/bench_ivr.py [--events 10000000] [--no-pm4py]

Generates (once, cached as Parquet under /tmp) a log of about ``--events`` rows with ``ivr_text.samples``,
then, each in a fresh child process so that peak RSS is the step's own:
  * ours: ``ivr_text.io.read_table`` (Parquet) + ``analyze_events`` (KPIs, node metrics, hot spots, paths,
    graph, advice), wall time and peak RSS;
  * pandas reference: read + sort by call/time + shift + value_counts of node pairs (a bare DFG);
  * pm4py.discover_dfg on the same log when pm4py is installed (AGPL: benchmark only, never imported by
    the package), and the ratio.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_log(events: int, path: Path) -> Path:
    if path.exists():
        return path
    import pandas as pd

    from ivr_text.samples import ivr_events_frame

    calls = max(int(events / 6.9), 1)
    t0 = time.perf_counter()
    parts, done, seed = [], 0, 0
    while done < calls:  # in blocks, to bound the generator's memory
        n = min(250_000, calls - done)
        df = ivr_events_frame(n, seed)
        df["call_id"] = df["call_id"].astype(str).radd(f"S{seed}-").astype("category")
        parts.append(df)
        done += n
        seed += 1
    df = pd.concat(parts, ignore_index=True)
    for c in ("call_id", "node", "event", "key", "segment", "caller_id"):
        df[c] = df[c].astype("category")
    df.to_parquet(path, index=False)
    print(f"generated {len(df):,} events / {calls:,} calls in {time.perf_counter() - t0:.1f} s → {path}")
    return path


def child(step: str, path: str) -> dict:
    t0 = time.perf_counter()
    if step == "ours":
        from ivr_text.ivr import analyze_events
        from ivr_text.ivr.reading import read_chunked

        table = read_chunked(path, "ivr_events", chunksize=2_000_000)
        t_read = time.perf_counter() - t0
        a = analyze_events(table.data, None, rows_read=table.read)
        out = {"rows": table.read, "calls": a.kpis["calls"], "read_s": t_read,
               "self_service_rate": a.kpis["self_service_rate"], "edges": a.graph.number_of_edges()}
    elif step == "ours-arrow":  # same analysis, Parquet read by pyarrow directly (bypasses io's typing pass)
        import pandas as pd

        from ivr_text.ivr import analyze_events

        df = pd.read_parquet(path)
        t_read = time.perf_counter() - t0
        a = analyze_events(df, None)
        out = {"rows": len(df), "calls": a.kpis["calls"], "read_s": t_read,
               "self_service_rate": a.kpis["self_service_rate"], "edges": a.graph.number_of_edges()}
    elif step == "pandas":
        import pandas as pd

        df = pd.read_parquet(path, columns=["call_id", "ts", "node"])
        df = df.sort_values(["call_id", "ts"], kind="stable")
        nxt = df.groupby("call_id", observed=True)["node"].shift(-1)
        out = {"pairs": int(pd.DataFrame({"a": df["node"], "b": nxt}).dropna().value_counts().size)}
    else:
        import pandas as pd
        import pm4py

        df = pd.read_parquet(path, columns=["call_id", "ts", "node"])
        df["call_id"], df["node"] = df["call_id"].astype(str), df["node"].astype(str)  # pm4py wants strings
        dfg, start, end = pm4py.discover_dfg(df, case_id_key="call_id", activity_key="node", timestamp_key="ts")
        out = {"pairs": len(dfg)}
    out["wall_s"] = time.perf_counter() - t0
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def run_child(step: str, path: Path) -> dict | None:
    proc = subprocess.run([sys.executable, __file__, "--child", step, str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        print(f"{step}: failed\n{proc.stderr[-2000:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--no-pm4py", action="store_true")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    path = make_log(args.events, Path(f"/tmp/ivr_bench_{args.events}.parquet"))
    for step, what in (("ours", "io.read_table path"), ("ours-arrow", "pyarrow read")):
        r = run_child(step, path)
        if r:
            print(f"{step:10s} ({what}): {r['rows']:,} events, {r['calls']:,} calls: {r['wall_s']:.2f} s wall "
                  f"(read {r['read_s']:.2f} s), peak RSS {r['peak_rss_mb']:,.0f} MB, "
                  f"{r['rows'] / r['wall_s'] / 1e6:.2f} M events/s")
        if step == "ours-arrow":
            ours = r
    ref = run_child("pandas", path)
    if ref:
        print(f"pandas : sort + shift + value_counts: {ref['wall_s']:.2f} s, peak RSS {ref['peak_rss_mb']:,.0f} MB")
    if not args.no_pm4py:
        try:
            import importlib.util

            has = importlib.util.find_spec("pm4py") is not None
        except Exception:
            has = False
        if not has:
            print("pm4py  : not installed (pip install pm4py to compare; AGPL, benchmark only)")
        else:
            pm = run_child("pm4py", path)
            if pm:
                print(f"pm4py  : discover_dfg: {pm['wall_s']:.2f} s, peak RSS {pm['peak_rss_mb']:,.0f} MB")
                if ours:
                    print(f"ratio  : pm4py / ours = {pm['wall_s'] / ours['wall_s']:.2f}x wall, "
                          f"{pm['peak_rss_mb'] / ours['peak_rss_mb']:.2f}x memory")


if __name__ == "__main__":
    main()
