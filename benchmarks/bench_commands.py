"""End-to-end speed of the commands as a user runs them, against references measured in the same run.

    .venv/bin/python benchmarks/bench_commands.py [--size quick|full] [--only ivr,tokenize,commands]
                                                  [--repeat 3] [--no-profile]

Every command runs as a subprocess (``ivr-text …`` with default options, every output written) and is timed by
wall clock, best of ``--repeat`` runs (the machine is shared: the fastest run is the least disturbed); each
reference runs in the same session, also best of ``--repeat``, and the figures are printed as ratios.

* ``ivr analyze`` on logs of the sample generator (``bench_io.make_logs``: 3 M events for ``quick``, 3 M and
  10 M for ``full``), CSV and Parquet, against (a) pandas ``read_csv``/``read_parquet`` + ``pm4py.discover_dfg``
  (pm4py is AGPL: installed in the benchmark's environment only, never a dependency; skipped if absent) and
  (b) the library's read + analysis (``read_chunked`` for CSV, ``read_parquet_events`` for Parquet, then
  ``analyze_events``), each in a fresh child process, timed after its imports.
* ``tokenize FILE --out DIR`` on a CSV of complaint-like lines (``bench_tokenize.build_corpus``: 6 MB quick,
  11 MB full) against ``jieba.lcut`` on the same raw lines with the same dictionaries (in this process), and
  the share of lines whose Chinese tokens from the library's segmenter equal jieba's on the same normalised
  line.
* ``classify predict``, ``trends``, ``churn signal``, ``topics`` on a sample world (``ivr-text samples``,
  20,000 customers) against the library call the command makes, measured inside the same run of the command
  under cProfile (the command's total / the library call's cumulative time).

Profile first: each command also runs once under cProfile and the summary says where its time goes beyond the
library call (start-up imports, reading and type conversion, line map, masking, writing, printing).
"""

from __future__ import annotations

import argparse
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
BIN = Path(sys.executable).with_name("ivr-text")
WORK = Path(tempfile.gettempdir()) / "ivr_bench_commands"

#: profile phases: label -> function names (``file:function`` suffixes) whose cumulative time is the phase's
PHASES = {
    "start-up imports (before the command runs)": ["cli/main.py:<module>"],
    "read: line map of the CSV (source rows)": ["lines.py:of"],
    "read: parse (Arrow / pandas)": ["csv_chunks.py:_arrow_csv_chunks", "other_chunks.py:_parquet_chunks",
                                     "csv_chunks.py:_csv_chunks"],
    "read: checks and type conversion": ["checks.py:_typed_table"],
    "library: analyze_events": ["analysis.py:analyze_events"],
    "library: tokenize (normalise + segment)": ["tokenize.py:tokenize_many", "tokenize.py:normalize_batch"],
    "library: predict_without_model": ["coldstart.py:predict_without_model"],
    "library: compute_signal + build_panel": ["signal.py:compute_signal", "panel.py:build_panel"],
    "library: analyse_topics": ["topics.py:analyse_topics"],
    "library: trends (period_counts + score_counts)": ["trends.py:period_counts", "trends.py:score_counts"],
    "rejected rows (accounting + writing)": ["ivr.py:_account", "writing.py:write_rejected"],
    "PII masking of written text": ["pii.py:mask_pii_lines", "pii.py:mask_pii", "sanitize.py:mask_frame"],
    "writing outputs": ["writing.py:write_table", "analysis.py:write", "writing.py:write_json"],
    "printing (tables, echo)": ["common.py:print_table", "common.py:echo", "common.py:done"],
}


def _load() -> str:
    try:
        return "load average " + " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return ""


def run_command(args: list[str], repeat: int, out: Path) -> float:
    """Best wall time of ``ivr-text ARGS --out OUT`` (OUT emptied before each run)."""
    best = float("inf")
    for _ in range(repeat):
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.perf_counter()
        proc = subprocess.run([str(BIN), *args, "--out", str(out)], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if proc.returncode != 0:
            raise SystemExit(f"ivr-text {' '.join(args)} failed: {proc.stderr.strip()[-500:]}")
        best = min(best, wall)
    return best


def profile_command(args: list[str], out: Path) -> tuple[float, dict[str, float], list[str]]:
    """Run the command once under cProfile: total, phase times (PHASES) and the top functions by own time."""
    shutil.rmtree(out, ignore_errors=True)
    prof = out.with_suffix(".prof")
    proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "ivr_text", *args,
                           "--out", str(out)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"profiled ivr-text {' '.join(args)} failed: {proc.stderr.strip()[-500:]}")
    st = pstats.Stats(str(prof))
    total = max(v[3] for v in st.stats.values())
    phases = {}
    for label, names in PHASES.items():
        t = 0.0
        for name in names:
            file, func = name.split(":")
            t += max((v[3] for (f, _, fn), v in st.stats.items() if f.endswith(file) and fn == func), default=0.0)
        if t > 0:
            phases[label] = t
    own = sorted(((v[2], f"{Path(f).name}:{fn}") for (f, _, fn), v in st.stats.items()), reverse=True)[:6]
    return total, phases, [f"{s:5.2f} s {name}" for s, name in own]


def print_profile(title: str, total: float, phases: dict[str, float], top: list[str], library: list[str]) -> float:
    """Print the summary; return the library call's share of the total (cumulative time)."""
    print(f"  profile ({title}, under cProfile: {total:.2f} s in all)")
    for label, t in phases.items():
        print(f"    {t:6.2f} s {100 * t / total:5.1f}%  {label}")
    print("    own time: " + "; ".join(top))
    return sum(t for label, t in phases.items() if any(label.startswith(f"library: {k}") for k in library))


# ---------------------------------------------------------------- ivr analyze


REF_CODE = r"""
import json, sys, time
kind, path = sys.argv[1], sys.argv[2]
import pandas as pd
if kind == "pm4py":
    import pm4py
    t0 = time.perf_counter()
    df = pd.read_parquet(path, columns=["call_id", "ts", "node"]) if path.endswith(".parquet") else pd.read_csv(path)
    df["ts"] = pd.to_datetime(df["ts"])
    df["call_id"], df["node"] = df["call_id"].astype(str), df["node"].astype(str)
    dfg, start, end = pm4py.discover_dfg(df, case_id_key="call_id", activity_key="node", timestamp_key="ts")
    res = {"pairs": len(dfg)}
else:
    from ivr_text.ivr import analyze_events
    from ivr_text.ivr.reading import CODE_COLUMNS, read_chunked, read_parquet_events
    from ivr_text.ivr.memory import reused_memory
    t0 = time.perf_counter()
    with reused_memory():
        if path.endswith(".parquet"):
            df = read_parquet_events(path)
        else:
            df = read_chunked(path, "ivr_events", dictionary=CODE_COLUMNS, chunksize=2_000_000).data
        a = analyze_events(df, None)
    res = {"calls": a.kpis["calls"]}
res["wall"] = time.perf_counter() - t0
print(json.dumps(res))
"""


def run_ref(kind: str, path: Path, repeat: int) -> float | None:
    import json

    best = float("inf")
    for _ in range(repeat):
        proc = subprocess.run([sys.executable, "-c", REF_CODE, kind, str(path)], capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"  {kind}: failed: {proc.stderr.strip()[-300:]}")
            return None
        best = min(best, json.loads(proc.stdout.strip().splitlines()[-1])["wall"])
    return best


def bench_ivr(sizes: list[int], repeat: int, profile: bool) -> None:
    import importlib.util

    from bench_io import make_logs

    has_pm4py = importlib.util.find_spec("pm4py") is not None
    if not has_pm4py:
        print("pm4py not installed (pip install pm4py into the benchmark's venv; AGPL, never a dependency)")
    for events in sizes:
        logs = make_logs(events)
        for fmt in ("csv", "parquet"):
            path = logs[fmt]
            out = WORK / f"ivr_{events}_{fmt}"
            print(f"\nivr analyze {path.name} ({events:,} events, {fmt}); {_load()}")
            cmd = run_command(["ivr", "analyze", str(path)], repeat, out)
            lib = run_ref("library", path, repeat)
            pm = run_ref("pm4py", path, repeat) if has_pm4py else None
            print(f"  command  ivr-text ivr analyze FILE --out DIR : {cmd:6.2f} s (best of {repeat}, whole process)")
            if lib:
                print(f"  library  read + analyze_events (after imports): {lib:6.2f} s   command / library = "
                      f"{cmd / lib:.2f}x (target <= 1.3)")
            if pm:
                print(f"  pandas read + pm4py.discover_dfg (after imports): {pm:6.2f} s   pm4py / command = "
                      f"{pm / cmd:.2f}x (target >= 4)")
            if profile:
                total, phases, top = profile_command(["ivr", "analyze", str(path)], out)
                print_profile("ivr analyze", total, phases, top, ["analyze_events"])


# ---------------------------------------------------------------- tokenize


def bench_tokenize(mb: float, repeat: int, profile: bool) -> None:
    import csv
    import re

    from bench_tokenize import build_corpus, han_tokens

    from ivr_text.text import Tokenizer

    lines = build_corpus(int(mb * 1e6), 7)
    path = WORK / f"corpus_{mb:g}mb.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerows((i, re.sub(r"[\r\n]+", " ", t)) for i, t in enumerate(lines))
    chars = sum(map(len, lines))
    print(f"\ntokenize {path.name}: {len(lines):,} lines, {chars:,} chars; {_load()}")
    out = WORK / "tok_out"
    cmd = run_command(["tokenize", str(path)], repeat, out)

    import jieba

    tok = Tokenizer.default()
    ref = jieba.Tokenizer()
    ref.initialize()
    for word, freq in tok.words.items():
        ref.add_word(word, freq)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for line in lines:
            ref.lcut(line)
        best = min(best, time.perf_counter() - t0)
    print(f"  command  ivr-text tokenize FILE --out DIR: {cmd:6.2f} s (best of {repeat}, whole process, "
          f"{len(os.sched_getaffinity(0))} CPUs allowed)")
    print(f"  jieba.lcut on the raw lines (same dictionaries, loaded): {best:6.2f} s   jieba / command = "
          f"{best / cmd:.2f}x (target >= 10)")
    normalized = [tok.normalize_one(t) for t in lines]
    segmented = tok._segment_normalized(normalized)
    same = sum(han_tokens(ref.lcut(n)) == han_tokens(s) for n, s in zip(normalized, segmented))
    print(f"  lines with identical Chinese tokens (library segmenter vs jieba.lcut): {same / len(lines):.2%} "
          f"(target >= 99.5%)")
    if profile:
        total, phases, top = profile_command(["tokenize", str(path)], out)
        lib = print_profile("tokenize", total, phases, top, ["tokenize"])
        print(f"  command / library call (within the profiled run): {total / lib:.2f}x" if lib else "")


# ---------------------------------------------------------------- classify predict, trends, churn signal, topics


def bench_commands(repeat: int, customers: int) -> None:
    world = WORK / f"world_{customers}"
    if not (world / "usage.csv").exists():
        subprocess.run([str(BIN), "samples", "--out", str(world), "--customers", str(customers), "--calls", "2000"],
                       check=True, capture_output=True)
    cases = [
        ("classify predict", ["classify", "predict", str(world / "complaints.csv")], ["predict_without_model"]),
        ("trends", ["trends", str(world / "complaints.csv")], ["trends"]),
        ("churn signal", ["churn", "signal", "--feedback", str(world / "feedback.csv"), "--usage",
                          str(world / "usage.csv")], ["compute_signal"]),
        ("topics", ["topics", str(world / "complaints.csv")], ["analyse_topics"]),
    ]
    print(f"\nsample world {world} ({customers:,} customers); {_load()}")
    for name, args, library in cases:
        out = WORK / f"cmd_{name.replace(' ', '_')}"
        cmd = run_command(args, repeat, out)
        total, phases, top = profile_command(args, out)
        lib = print_profile(name, total, phases, top, library)
        ratio = f"command / library call = {total / lib:.2f}x (target <= 1.3)" if lib else "library call not found"
        print(f"  {name}: {cmd:.2f} s wall (best of {repeat}); in the profiled run {ratio}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=("quick", "full"), default="quick",
                    help="quick: 3 M events, 6 MB of text, 5,000 customers; full: 3 M and 10 M events, 11 MB, "
                         "20,000 customers")
    ap.add_argument("--only", default="ivr,tokenize,commands")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    full = args.size == "full"
    print(f"bench_commands --size {args.size}; {len(os.sched_getaffinity(0))} CPUs allowed; {_load()}")
    if "ivr" in only:
        bench_ivr([3_000_000, 10_000_000] if full else [3_000_000], args.repeat, not args.no_profile)
    if "tokenize" in only:
        bench_tokenize(11.0 if full else 6.0, args.repeat, not args.no_profile)
    if "commands" in only:
        bench_commands(args.repeat, 20_000 if full else 5_000)


if __name__ == "__main__":
    main()
