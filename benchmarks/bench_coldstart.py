"""Cold start on texts the rules were not written from: rules alone vs rules + a model learned from the input.

Protocol (no label of the scored part is ever used): the labelled file is split into stratified halves A/B
(several seeds); a taxonomy is mined from A's labels (``mine_taxonomy``, as ``classify taxonomy`` does) and
its rules applied to B's texts, alone (``--rules-only``) and as the seed of :class:`ColdStartClassifier`
fitted on B's own texts; macro-F1 against B's labels. The default hand-written taxonomy is also scored on
the whole COCC dev file (it was written from that file: in-sample). Sources: COCC dev work orders and the
non-telecom 12365 car complaint titles (first problem-code letter, letters under 5% merged into 其他).

    .venv/bin/python benchmarks/bench_coldstart.py [--seeds 0 1 2] [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cocc(data: Path):
    import pandas as pd

    df = pd.read_csv(data / "cocc_cmcc_complaints" / "cocc_dev.tsv", sep="\t")
    return df["text"].astype(str).tolist(), df["label"].astype(str).tolist()


def car(data: Path):
    import pandas as pd

    df = pd.read_csv(data / "car_complaints_12365" / "car_complain_12365auto_2020-06.csv")
    letters = df["problem"].fillna("").astype(str).str.strip().str[:1]
    share = letters.value_counts(normalize=True)
    labels = letters.where(letters.map(share) >= 0.05, "其他").replace("", "其他")
    return df["desc"].fillna("").astype(str).tolist(), labels.tolist()


def halves(labels, seed):
    from sklearn.model_selection import StratifiedKFold

    y = np.asarray(labels, dtype=object)
    a, b = next(StratifiedKFold(2, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    return a, b


def run(name, texts, labels, seeds, cfg_kw, top_k: int = 25):
    from ivr_text.complaints.coldstart import ColdStartClassifier, ColdStartConfig
    from ivr_text.complaints.evaluate import classification_metrics
    from ivr_text.complaints.mining import MiningConfig, mine_taxonomy
    from ivr_text.complaints.rules import RuleClassifier
    from ivr_text.text import normalize_many

    norm = normalize_many(texts)
    y = np.asarray(labels, dtype=object)
    classes = sorted(set(labels))
    rules_f1, cold_f1, covered = [], [], []
    for seed in seeds:
        a, b = halves(labels, seed)
        tax = mine_taxonomy([norm[i] for i in a], list(y[a]), MiningConfig(merge_thin=True, top_k=top_k)).taxonomy
        nb = [norm[i] for i in b]
        t = time.perf_counter()
        r = RuleClassifier(tax).predict_frame(nb, normalized=True)
        cs = ColdStartClassifier(tax, ColdStartConfig(**cfg_kw)).fit(nb, normalized=True)
        c = cs.predict_frame(nb, normalized=True)
        secs = time.perf_counter() - t
        rules_f1.append(classification_metrics(y[b], r["cause"], classes)["macro_f1"])
        cold_f1.append(classification_metrics(y[b], c["cause"], classes)["macro_f1"])
        covered.append(cs.info_["seeds"] / len(b))
        print(f"{name} seed {seed}: rules mined on A, scored on B: {rules_f1[-1]:.4f}; cold start on B: "
              f"{cold_f1[-1]:.4f} (seeds {cs.info_['seeds']}/{len(b)}, {secs:.1f} s)", flush=True)
    print(f"{name} mean over {len(seeds)} splits: rules {np.mean(rules_f1):.4f} -> cold start "
          f"{np.mean(cold_f1):.4f} (seed coverage {np.mean(covered):.0%})")


def expected_calibration_error(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Σ over 10 equal-width confidence bins of (share of texts) × |mean confidence − accuracy|."""
    err = 0.0
    for lo in np.linspace(0.0, 1.0, bins, endpoint=False):
        m = (conf >= lo) & ((conf < lo + 1.0 / bins) | (lo + 1.0 / bins >= 1.0))
        if m.any():
            err += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return float(err)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("IVR_TEXT_SHARED_DATA",
                                                                    ROOT.parent / "shared" / "data")))
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--top-k", type=int, nargs="+", default=[25],
                    help="keywords mined per class (fewer = thinner rules, as a short hand-written list)")
    args = ap.parse_args()
    if not args.data.exists():
        sys.exit(f"{args.data} not found")
    kw = {} if args.rounds is None else {"rounds": args.rounds}
    from ivr_text.complaints.coldstart import ColdStartClassifier
    from ivr_text.complaints.evaluate import classification_metrics
    from ivr_text.complaints.rules import RuleClassifier

    texts, labels = cocc(args.data)
    r = RuleClassifier().predict_frame(texts)
    c = ColdStartClassifier().fit(texts).predict_frame(texts)
    print(f"COCC dev, default taxonomy (written from this file, in-sample): rules "
          f"{classification_metrics(labels, r['cause'])['macro_f1']:.4f}; cold start "
          f"{classification_metrics(labels, c['cause'])['macro_f1']:.4f}")
    correct = c["cause"].to_numpy() == np.asarray(labels, dtype=object)
    conf = c["confidence"].to_numpy()
    by_source = "; ".join(f"{src}: confidence {conf[m].mean():.2f} vs accuracy {correct[m].mean():.2f}"
                          for src in ("rules", "model") if (m := c["source"].to_numpy() == src).any())
    print(f"  cold-start confidence: mean {conf.mean():.3f} vs accuracy {correct.mean():.3f}, expected calibration "
          f"error {expected_calibration_error(conf, correct):.3f} ({by_source})")
    for top_k in args.top_k:
        suffix = "" if top_k == 25 else f", {top_k} keywords per class"
        run("COCC" + suffix, texts, labels, args.seeds, kw, top_k)
        run("car 12365" + suffix, *car(args.data), args.seeds, kw, top_k)


if __name__ == "__main__":
    main()
