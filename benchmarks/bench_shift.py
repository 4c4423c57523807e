"""Domain-shift warning: a model trained on one source, applied to held-out texts of it and to foreign sources.

A model is trained on one stratified half of the COCC dev orders; :meth:`CauseModel.domain_shift` then compares
the other half (same source: about 5% of texts beyond each reference, no warning expected), the 12365 car
complaint titles (another industry) and the sample world's complaints (generated orders of another style, with
labels of the same taxonomy, so their macro-F1 shows what the warning is about). Prints, per input: the share of
texts with more unseen character pairs than 95% of the training texts, the share less confident than 95% of the
training hold-out, the warning, and the macro-F1 where labels exist.

    .venv/bin/python benchmarks/bench_shift.py [--data ../shared/data] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("IVR_TEXT_SHARED_DATA",
                                                                     ROOT.parent / "shared" / "data")))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    import pandas as pd
    from sklearn.model_selection import StratifiedKFold

    from ivr_text.complaints.evaluate import classification_metrics
    from ivr_text.complaints.model import CauseModel, ModelConfig

    cocc = pd.read_csv(args.data / "cocc_cmcc_complaints" / "cocc_dev.tsv", sep="\t")
    y = cocc["label"].astype(str).to_numpy()
    a, b = next(StratifiedKFold(2, shuffle=True, random_state=args.seed).split(np.zeros(len(y)), y))
    model = CauseModel(config=ModelConfig(n_jobs=1)).fit(cocc["text"].iloc[a].tolist(), y[a])
    car = pd.read_csv(args.data / "car_complaints_12365" / "car_complain_12365auto_2020-06.csv")
    sample = pd.read_csv(ROOT / "sample_logs" / "complaints.csv")
    inputs = [("COCC, other half (same source)", cocc["text"].iloc[b].tolist(), y[b]),
              ("12365 car complaint titles", car["desc"].fillna("").astype(str).tolist(), None),
              ("sample world complaints", sample["text"].astype(str).tolist(), sample["label"].astype(str).to_numpy())]
    print(f"model trained on {len(a)} COCC orders (seed {args.seed})")
    for name, texts, labels in inputs:
        pred = model.predict_frame(texts)
        shift = model.domain_shift(texts, pred["confidence"])
        f1 = (f", macro-F1 {classification_metrics(labels, pred['cause'])['macro_f1']:.3f}"
              if labels is not None else "")
        print(f"  {name:32s} n={len(texts):5d}: unseen {shift.unseen_rate:6.1%}, low confidence "
              f"{shift.low_confidence_rate:6.1%} → {'WARNING' if shift.warning else 'no warning'}{f1}")


if __name__ == "__main__":
    main()
