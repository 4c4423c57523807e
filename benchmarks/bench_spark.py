"""Benchmark of the Spark engine's IVR analysis (``ivr_text.spark.ivr.analyze_spark``) against the local engine,
in the same run, on partitioned Parquet logs from the sample generator.

Usage: .venv/bin/python benchmarks/bench_spark.py [--events 10000000 50000000] [--master local[2]]
                                                   [--driver-memory 8g] [--steps local,spark]

For each size a log of about that many events is generated once (``bench_ivr.make_log``, cached under /tmp) and
written as a directory of Parquet files (1 M rows each). Each step runs in a fresh child process:

* local: ``read_parquet_events`` + ``analyze_events`` on the same rows as one Parquet file (the local engine, as
  ``bench_ivr.py`` measures it);
* spark: ``spark_session(master)`` + ``read_spark`` (the local schema checks per partition) + ``analyze_spark``.

Printed per step: wall seconds, the Python driver's peak RSS, and for Spark the peak RSS of the JVM and of the
Python workers (sampled every 0.2 s from /proc), with the ratios spark / local. The memory per event of each
engine's driver is measured at every size; the size at which it would stop fitting 24 GB is that measure
extrapolated linearly (said as an extrapolation).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def parquet_dir(events: int) -> Path:
    import pyarrow.dataset as ds
    import pyarrow.parquet as pq

    from bench_ivr import make_log

    out = Path(f"/tmp/ivr_spark_bench_{events}")
    if (out / "_done").exists():
        return out
    single = make_log(events, Path(f"/tmp/ivr_bench_plain_{events}.parquet"), "plain")
    table = pq.read_table(single)
    ds.write_dataset(table, out, format="parquet", max_rows_per_file=1_000_000, max_rows_per_group=250_000,
                     existing_data_behavior="overwrite_or_ignore", basename_template="part-{i}.parquet")
    (out / "_done").write_text("ok")
    return out


def _descendants(pid: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except OSError:
                continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def _rss_mb(pid: int) -> tuple[float, str]:
    try:
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
        with open(f"/proc/{pid}/comm") as f:
            comm = f.read().strip()
    except OSError:
        return 0.0, ""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024, comm
    return 0.0, comm


class Sampler(threading.Thread):
    """Peak RSS of the JVM and (summed) of the Python workers below this process."""

    def __init__(self):
        super().__init__(daemon=True)
        self.jvm = self.workers = 0.0
        self.stop = False

    def run(self):
        me = os.getpid()
        while not self.stop:
            jvm = workers = 0.0
            for p in _descendants(me):
                mb, comm = _rss_mb(p)
                if comm == "java":
                    jvm += mb
                elif comm.startswith("python"):
                    workers += mb
            self.jvm, self.workers = max(self.jvm, jvm), max(self.workers, workers)
            time.sleep(0.2)


def child(step: str, path: str, master: str, driver_memory: str) -> dict:
    import pandas as pd  # noqa: F401

    from ivr_text.cli.tuning import process_tuning

    with process_tuning():  # the CLI's memory tuning (jemalloc pool, reused memory) for both engines
        return _step(step, path, master, driver_memory)


def _step(step: str, path: str, master: str, driver_memory: str) -> dict:
    out: dict = {}
    if step == "local":
        from ivr_text.ivr import analyze_events
        from ivr_text.ivr.reading import read_parquet_events

        t0 = time.perf_counter()
        df = read_parquet_events(f"/tmp/ivr_bench_plain_{path.rsplit('_', 1)[1]}.parquet")  # the same rows, one file
        a = analyze_events(df, None)
        out["wall_s"] = time.perf_counter() - t0
    else:
        sampler = Sampler()
        sampler.start()
        from ivr_text.spark.ivr import analyze_spark
        from ivr_text.spark.reading import read_spark
        from ivr_text.spark.session import spark_session

        t0 = time.perf_counter()
        spark = spark_session(master, {"spark.driver.memory": driver_memory,
                                       "spark.sql.shuffle.partitions": "16"})
        spark.sparkContext.setLogLevel("ERROR")
        t1 = time.perf_counter()
        stages: dict = {}
        a, rejected = analyze_spark(read_spark(spark, path, "ivr_events"), None, stages=stages)
        out["stages"] = {k: round(v, 2) for k, v in stages.items()}
        out["wall_s"] = time.perf_counter() - t0
        out["session_s"] = t1 - t0
        sampler.stop = True
        out["jvm_peak_mb"], out["workers_peak_mb"] = sampler.jvm, sampler.workers
        out["rejected_written"] = len(rejected)
    out.update(rows=a.kpis["rows"]["read"], calls=a.kpis["calls"], rejected=a.kpis["rows"]["rejected"],
               self_service_rate=a.kpis["self_service_rate"], variants=a.kpis["path_variants"])
    out["driver_peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_child(*args: str) -> dict | None:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        print(proc.stderr[-3000:], file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, nargs="+", default=[10_000_000])
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--driver-memory", default="8g")
    ap.add_argument("--steps", default="local,spark")
    ap.add_argument("--child", nargs=4, metavar=("STEP", "PATH", "MASTER", "DRIVER_MEMORY"))
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    rows = []
    for n in args.events:
        path = parquet_dir(n)
        res = {s: run_child(s, str(path), args.master, args.driver_memory) for s in args.steps.split(",")}
        for step, r in res.items():
            print(f"{n:>11,} events {step:>5}: {json.dumps(r)}", flush=True)
        loc, sp = res.get("local"), res.get("spark")
        if loc and sp:
            same = all(loc[k] == sp[k] for k in ("rows", "calls", "rejected", "self_service_rate", "variants"))
            print(f"{n:>11,} events: spark / local wall {sp['wall_s'] / loc['wall_s']:.2f}x, driver peak RSS "
                  f"{sp['driver_peak_mb'] / loc['driver_peak_mb']:.2f}x (JVM {sp['jvm_peak_mb']:.0f} MB, workers "
                  f"{sp['workers_peak_mb']:.0f} MB); same KPIs: {same}", flush=True)
        rows.append((n, res))
    for step in args.steps.split(","):
        per = [(n, r[step]["driver_peak_mb"]) for n, r in rows if r.get(step)]
        if len(per) >= 2:
            (n0, m0), (n1, m1) = per[0], per[-1]
            slope = (m1 - m0) / (n1 - n0)  # MB per event
            if slope > 0:
                limit = n1 + (24 * 1024 - m1) / slope
                print(f"{step}: driver memory grows {slope * 1e6:.0f} MB per million events; extrapolated, it "
                      f"stops fitting 24 GB near {limit / 1e6:.0f} M events (an extrapolation, not a run)")


if __name__ == "__main__":
    main()
