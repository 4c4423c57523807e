"""Benchmark complaint cause classification: training time, end-to-end prediction throughput, peak RSS.

Texts: the real COCC dev work orders resampled to --size (each with a unique suffix so neither the tokeniser
nor any cache sees exact repeats) when ../shared/data is present, else generated toy orders. Targets (issue):
training on 100k texts <= 60 s; prediction >= 20k texts/s end-to-end (normalisation included) on 2 cores.
Every figure is given as wall time and as CPU time (this process + its worker processes), because the machine
may be shared: CPU time does not grow when other jobs compete for the cores. "cpu-bound rate" = texts per
CPU-second × workers, i.e. the rate on that many otherwise idle cores. The stage breakdown (one process) shows
where time goes; the keyword rules (cold start) are measured in the same run as a reference.

    .venv/bin/python benchmarks/bench_classify.py --size 100000 --jobs 2
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("IVR_TEXT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "cocc_cmcc_complaints" / "cocc_dev.tsv"


def corpus(size: int, seed: int = 0):
    import pandas as pd

    rng = random.Random(seed)
    if DATA.exists():
        df = pd.read_csv(DATA, sep="\t")
        source = "COCC dev resampled"
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from test_classify import toy_frame

        df = toy_frame(copies=1)
        source = "toy orders"
    base = list(zip(df["text"], df["label"]))
    rows = [base[rng.randrange(len(base))] for _ in range(size)]
    texts = [f"{t}（工单{seed}-{i}）" for i, (t, _) in enumerate(rows)]
    return texts, [lab for _, lab in rows], source


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (worker pools are joined before reading)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def peak_rss_mb() -> float:
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


def timed(fn, *args, **kw):
    w, c = time.perf_counter(), cpu_seconds()
    out = fn(*args, **kw)
    return out, time.perf_counter() - w, cpu_seconds() - c


def line(name: str, n: int, wall: float, cpu: float, workers: int, extra: str = "") -> None:
    print(f"{name:18s}: wall {wall:7.2f} s ({n / wall:9,.0f} texts/s) | cpu {cpu:7.2f} s "
          f"(cpu-bound rate on {workers} core(s): {n / cpu * workers:9,.0f} texts/s){extra}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=20000, help="training texts (prediction uses the same count)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes for normalisation and scoring")
    ap.add_argument("--words", action="store_true", help="add word 1-2-grams (tokeniser) to the model")
    args = ap.parse_args()

    from ivr_text.complaints.model import CauseModel, ModelConfig, _tokenizer
    from ivr_text.complaints.rules import RuleClassifier, normalize_many, ranked_frame

    texts, labels, source = corpus(args.size)
    test_texts, _, _ = corpus(args.size, seed=1)
    chars = sum(map(len, texts)) / len(texts)
    print(f"texts: {len(texts):,} ({source}, mean {chars:.0f} chars); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores")
    config = ModelConfig(n_jobs=args.jobs, word_ngrams=(1, 2) if args.words else None)

    model, wall, cpu = timed(CauseModel(config=config).fit, texts, labels)
    line("train", len(texts), wall, cpu, args.jobs,
         f"; 100k extrapolated: wall {wall * 100_000 / len(texts):.0f} s, "
         f"cpu/{args.jobs} {cpu / args.jobs * 100_000 / len(texts):.0f} s (target <= 60 s)")
    _, wall, cpu = timed(model.predict_frame, test_texts)
    line("predict (model)", len(test_texts), wall, cpu, args.jobs, " (target >= 20,000 texts/s)")

    print("stage breakdown, one process:")
    norm, wall, cpu = timed(normalize_many, test_texts)
    line("  normalise", len(norm), wall, cpu, 1)
    X, wall, cpu = timed(model._features, norm)
    line("  features", len(norm), wall, cpu, 1, f" ({X.shape[1]:,} features, {X.nnz / X.shape[0]:.0f} per text)")
    scores, wall, cpu = timed(lambda: X @ model.coef.T + model.intercept)
    line("  linear scores", len(norm), wall, cpu, 1)
    _, wall, cpu = timed(ranked_frame, scores, model.classes, model.taxonomy)
    line("  output frame", len(norm), wall, cpu, 1)
    _, wall, cpu = timed(_tokenizer().tokenize_many, norm, normalized=True)
    line("  (tokenise)", len(norm), wall, cpu, 1, " not used by the default model")
    _, wall, cpu = timed(RuleClassifier().predict_frame, test_texts)
    line("rules (reference)", len(test_texts), wall, cpu, 1)
    print(f"peak RSS          : {peak_rss_mb():8.0f} MB; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
