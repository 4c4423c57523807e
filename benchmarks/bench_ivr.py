"""Benchmark of ``ivr_text.ivr.analyze_events`` on a large synthetic log from the sample generator.

Usage: .venv/bin/python benchmarks/bench_ivr.py [--events 10000000] [--layout plain|categorical] [--no-pm4py]
                                                [--steps ours,cli,pandas,pm4py] [--baseline DIR --repeat N]

Generates (once, cached as Parquet under /tmp) a log of about ``--events`` rows with ``ivr_text.samples``.
``--layout plain`` (default) writes text columns as Parquet strings, as an export from a database or a
switch would (Parquet dictionary-encodes them itself); ``categorical`` writes pandas categoricals (the whole
category list stored with every row group, which pyarrow decodes slowly for 1.4 M call ids).
Then, each in a fresh child process (so peak RSS is the step's own):

* ours: ``ivr_text.ivr.reading.read_parquet_events`` (pyarrow, dictionary codes) + ``analyze_events``
  (KPIs, node metrics, hot spots, exact path variants, graph, advice), inside the memory tuning the CLI enters
  for its run (``ivr_text.cli.tuning.process_tuning``: Arrow's jemalloc pool, ``ivr_text.ivr.memory.reused_memory``);
  ``IVR_TEXT_REUSE_MEMORY=0`` measures them without reused memory;
* cli: ``ivr-text ivr analyze FILE --out DIR`` (through ``ivr_text.io``, writing every output);
* pandas reference: read + stable sort by call/time + shift + value_counts of node pairs (a bare DFG);
* pm4py.discover_dfg on the same log when pm4py is installed (AGPL: benchmark only, never imported by
  the package).

For each step: wall time and CPU time (user + sys of the child, from ``resource.getrusage``) of the work
after imports, and peak RSS. The machine may be shared, so ratios are given on CPU time as well as wall.

``--baseline DIR`` (a plain export of another commit: ``git archive COMMIT | tar -x -C DIR``) runs the chosen
steps of ``ours`` and ``cli`` with that tree's ``ivr_text`` (``PYTHONPATH=DIR``) and with this one, alternating
``--repeat`` times, and prints the medians and the new / old ratios — a before/after comparison within one
run, fair on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEXT = ("call_id", "node", "event", "key", "segment", "caller_id")


def make_log(events: int, path: Path, layout: str) -> Path:
    if path.exists():
        return path
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

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
    del parts
    for c in TEXT:
        df[c] = df[c].astype("category")
    table = pa.Table.from_pandas(df, preserve_index=False)
    if layout == "plain":
        table = pa.table([table[c].cast(pa.string()) if c in TEXT else table[c] for c in table.column_names],
                         names=table.column_names)
    pq.write_table(table, path)
    print(f"generated {len(df):,} events / {calls:,} calls ({layout}) in {time.perf_counter() - t0:.1f} s → {path}")
    return path


def _usage() -> tuple[float, float, float]:
    """Wall clock, user CPU and system CPU seconds of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), r.ru_utime, r.ru_stime


def child(step: str, path: str) -> dict:
    import pandas as pd  # noqa: F401  (every step needs it: not counted)

    out: dict = {}
    if step == "ours":
        from ivr_text.cli.tuning import process_tuning
        from ivr_text.ivr import analyze_events
        from ivr_text.ivr.reading import read_parquet_events

        with process_tuning():  # jemalloc pool and reused memory, as the CLI sets them for its run
            w0, u0, s0 = _usage()
            df = read_parquet_events(path)
            w1, u1, s1 = _usage()
            a = analyze_events(df, None)
        out = {"rows": len(df), "calls": a.kpis["calls"], "read_wall": w1 - w0, "read_cpu": u1 + s1 - u0 - s0,
               "self_service_rate": a.kpis["self_service_rate"], "edges": a.graph.number_of_edges(),
               "variants": a.kpis["path_variants"]}
    elif step == "cli":
        import io
        from contextlib import redirect_stdout

        from ivr_text.cli.main import app

        w0, u0, s0 = _usage()
        with tempfile.TemporaryDirectory() as tmp, redirect_stdout(io.StringIO()) as buf:
            try:
                app(["ivr", "analyze", path, "--out", tmp], standalone_mode=False)
            except SystemExit as exc:
                if exc.code:
                    raise
            kpis = json.loads((Path(tmp) / "kpis.json").read_text(encoding="utf-8"))
        out = {"rows": kpis["rows"]["read"], "calls": kpis["calls"], "self_service_rate": kpis["self_service_rate"],
               "printed": buf.getvalue().splitlines()[0] if buf.getvalue() else ""}
    elif step == "pandas":
        w0, u0, s0 = _usage()
        df = pd.read_parquet(path, columns=["call_id", "ts", "node"])
        df = df.sort_values(["call_id", "ts"], kind="stable")
        nxt = df.groupby("call_id", observed=True)["node"].shift(-1)
        out = {"pairs": int(pd.DataFrame({"a": df["node"], "b": nxt}).dropna().value_counts().size)}
    else:
        import pm4py

        w0, u0, s0 = _usage()
        df = pd.read_parquet(path, columns=["call_id", "ts", "node"])
        df["call_id"], df["node"] = df["call_id"].astype(str), df["node"].astype(str)  # pm4py wants strings
        dfg, start, end = pm4py.discover_dfg(df, case_id_key="call_id", activity_key="node", timestamp_key="ts")
        out = {"pairs": len(dfg)}
    w1, u1, s1 = _usage()
    out["wall_s"], out["cpu_s"], out["sys_s"] = w1 - w0, u1 + s1 - u0 - s0, s1 - s0
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_child(*args: str, script: str = __file__, pythonpath: str | None = None) -> dict | None:
    """Run ``script --child ARGS`` in a fresh process (its own peak RSS); its last stdout line is a JSON dict.
    ``pythonpath``: import ``ivr_text`` from there (another checkout)."""
    import os

    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
    proc = subprocess.run([sys.executable, script, "--child", *map(str, args)], capture_output=True, text=True,
                          env=env)
    if proc.returncode != 0:
        print(f"{' '.join(map(str, args[:-1]))}: failed\n{proc.stderr[-2000:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _load() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--layout", choices=("plain", "categorical"), default="plain")
    ap.add_argument("--steps", default="ours,cli,pandas,pm4py")
    ap.add_argument("--no-pm4py", action="store_true")
    ap.add_argument("--baseline", help="a checkout of another commit to compare with (see the docstring)")
    ap.add_argument("--repeat", type=int, default=3, help="with --baseline: runs of each side")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    suffix = "" if args.layout == "categorical" else "_plain"
    path = make_log(args.events, Path(f"/tmp/ivr_bench{suffix}_{args.events}.parquet"), args.layout)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    if args.baseline:
        compare_with(args.baseline, path, [s for s in steps if s in ("ours", "cli")] or ["ours"], args.repeat)
        return
    if args.no_pm4py and "pm4py" in steps:
        steps.remove("pm4py")
    if "pm4py" in steps:
        import importlib.util

        if importlib.util.find_spec("pm4py") is None:
            print("pm4py  : not installed (pip install pm4py to compare; AGPL, benchmark only)")
            steps.remove("pm4py")
    print(f"{path} ({args.layout}); {_load()}")
    res = {}
    for step in steps:
        r = run_child(step, path)
        if not r:
            continue
        res[step] = r
        fig = (f"{r['wall_s']:6.2f} s wall, {r['cpu_s']:6.2f} s CPU (of which sys {r['sys_s']:.2f}), "
               f"peak RSS {r['peak_rss_mb']:,.0f} MB")
        if step == "ours":
            print(f"ours   : read_parquet_events + analyze_events: {fig} (read {r['read_wall']:.2f} s wall / "
                  f"{r['read_cpu']:.2f} s CPU); {r['rows']:,} events, {r['calls']:,} calls, "
                  f"{r['variants']:,} path variants, {r['rows'] / r['wall_s'] / 1e6:.2f} M events/s wall")
        elif step == "cli":
            print(f"cli    : ivr-text ivr analyze (ivr_text.io, all outputs written): {fig}; {r['rows']:,} rows, "
                  f"{r['calls']:,} calls")
        elif step == "pandas":
            print(f"pandas : read + sort + shift + value_counts ({r['pairs']} pairs): {fig}")
        else:
            print(f"pm4py  : read + discover_dfg ({r['pairs']} pairs): {fig}")
        print(f"         ({_load()})")
    if "ours" in res:
        o = res["ours"]
        for ref in ("pm4py", "pandas", "cli"):
            if ref in res:
                p = res[ref]
                print(f"ratio  : {ref} / ours = {p['wall_s'] / o['wall_s']:.2f}x wall, {p['cpu_s'] / o['cpu_s']:.2f}x CPU, "
                      f"{p['peak_rss_mb'] / o['peak_rss_mb']:.2f}x peak RSS; ours / {ref} = "
                      f"{o['wall_s'] / p['wall_s']:.2f} wall, {o['cpu_s'] / p['cpu_s']:.2f} CPU")


def compare_with(baseline: str, path: Path, steps: list[str], repeat: int) -> None:
    """Alternate this tree and ``baseline`` ``repeat`` times per step; print medians and new / old ratios."""
    import statistics

    print(f"{path}; new = this tree, old = {baseline}; {_load()}")
    for step in steps:
        runs: dict[str, list[dict]] = {"new": [], "old": []}
        for i in range(repeat):
            for side, pp in (("new", None), ("old", baseline)) if i % 2 == 0 else (("old", baseline), ("new", None)):
                r = run_child(step, path, pythonpath=pp)
                if r:
                    r["work_s"] = r["wall_s"] - r.get("read_wall", 0.0)  # the analysis alone (ours)
                    runs[side].append(r)
        if not runs["new"] or not runs["old"]:
            continue
        med = {side: {k: statistics.median(r[k] for r in rs) for k in ("wall_s", "cpu_s", "work_s", "peak_rss_mb")}
               for side, rs in runs.items()}
        for side in ("new", "old"):
            m = med[side]
            print(f"{step:6} {side}: median of {len(runs[side])}: {m['wall_s']:.2f} s wall, {m['cpu_s']:.2f} s CPU"
                  + (f", analysis {m['work_s']:.2f} s wall" if step == "ours" else "")
                  + f", peak RSS {m['peak_rss_mb']:,.0f} MB; runs " + ", ".join(f"{r['wall_s']:.2f}" for r in runs[side]))
        n, o = med["new"], med["old"]
        print(f"ratio  {step}: new / old = {n['wall_s'] / o['wall_s']:.3f} wall, {n['cpu_s'] / o['cpu_s']:.3f} CPU"
              + (f", {n['work_s'] / o['work_s']:.3f} analysis wall" if step == "ours" else "")
              + f", {n['peak_rss_mb'] / o['peak_rss_mb']:.3f} peak RSS (medians; {_load()})")
        low = {side: {k: min(r[k] for r in rs) for k in ("wall_s", "cpu_s")} for side, rs in runs.items()}
        print(f"ratio  {step}: new / old = {low['new']['wall_s'] / low['old']['wall_s']:.3f} wall, "
              f"{low['new']['cpu_s'] / low['old']['cpu_s']:.3f} CPU (fastest runs: least disturbed by other load)")


if __name__ == "__main__":
    main()
