"""Benchmark complaint cause classification: training time, end-to-end prediction throughput, peak RSS.

Texts: the real COCC dev work orders resampled to --size (with a suffix so they are not exact repeats, which
the tokeniser would cache) when ../shared/data is present, else generated toy orders. Targets (issue):
training on 100k texts <= 60 s; prediction >= 20k texts/s end-to-end (normalisation + tokenisation included).
Stage breakdown shows where time goes; the keyword rules (cold start) are measured in the same run as a reference.

    .venv/bin/python benchmarks/bench_classify.py --size 20000
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "cocc_cmcc_complaints" / "cocc_dev.tsv"


def corpus(size: int, seed: int = 0):
    import pandas as pd

    rng = random.Random(seed)
    if DATA.exists():
        df = pd.read_csv(DATA, sep="\t")
        base = list(zip(df["text"], df["label"]))
        source = "COCC dev resampled"
    else:
        sys.path.insert(0, str(ROOT / "tests"))
        from test_classify import toy_frame

        df = toy_frame(copies=1)
        base = list(zip(df["text"], df["label"]))
        source = "toy orders"
    rows = [base[rng.randrange(len(base))] for _ in range(size)]
    texts = [f"{t}（工单{i}）" for i, (t, _) in enumerate(rows)]
    return texts, [lab for _, lab in rows], source


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=20000, help="training texts (prediction uses the same count)")
    ap.add_argument("--jobs", type=int, default=1, help="tokeniser worker processes")
    args = ap.parse_args()

    from ivr_text.complaints.model import CauseModel, ModelConfig, _tokenizer
    from ivr_text.complaints.rules import RuleClassifier, normalize_many

    texts, labels, source = corpus(args.size)
    test_texts, _, _ = corpus(args.size, seed=1)
    chars = sum(map(len, texts)) / len(texts)
    print(f"texts: {len(texts):,} ({source}, mean {chars:.0f} chars)")

    norm, t_norm = timed(normalize_many, test_texts)
    _, t_tok = timed(_tokenizer().tokenize_many, norm, n_jobs=args.jobs)
    print(f"stage normalise : {len(norm) / t_norm:10,.0f} texts/s")
    print(f"stage tokenise  : {len(norm) / t_tok:10,.0f} texts/s (already normalised)")

    model, t_train = timed(CauseModel(config=ModelConfig(n_jobs=args.jobs)).fit, texts, labels)
    print(f"train           : {t_train:8.1f} s for {len(texts):,} texts "
          f"(extrapolated to 100k: {t_train * 100_000 / len(texts):.0f} s; target <= 60 s)")
    _, t_pred = timed(model.predict_frame, test_texts)
    print(f"predict (model) : {len(test_texts) / t_pred:10,.0f} texts/s end-to-end (target >= 20,000)")
    rules = RuleClassifier()
    _, t_rules = timed(rules.predict_frame, test_texts)
    print(f"predict (rules) : {len(test_texts) / t_rules:10,.0f} texts/s end-to-end; "
          f"model/rules time ratio {t_pred / t_rules:.2f}")
    print(f"peak RSS        : {peak_rss_mb():8.0f} MB")


if __name__ == "__main__":
    main()
