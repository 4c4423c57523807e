"""Topics and trend alerts about content: corpus boilerplate kept out, false-alarm rate without surges.

1. Boilerplate found from each corpus (COCC dev orders with their labels; the sample world's complaints with
   theirs) and the largest LDA topic (auto k, seed 0) with and without it.
2. Emerging terms and alerts of the sample world's complaints (no planted surge), weekly by label.
3. False alarms in simulated surge-free worlds (40 worlds × 60 weeks × 8 causes, Poisson 3–40 a week): the
   share of tested weeks with at least one alert, for the exact conditional test with the Benjamini-Hochberg
   correction over each week's causes (default) and without it, and for the known-mean Poisson test (before).
   Only the tests' own thresholds (min_count 0, min_ratio 1), so the rates are the tests' rates.

    .venv/bin/python benchmarks/bench_content.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def topics_with_and_without(name: str, texts: list[str], labels: list[str]) -> None:
    from ivr_text.complaints.boilerplate import find_boilerplate
    from ivr_text.complaints.corpus import corpus_from_texts
    from ivr_text.complaints.topics import TopicConfig, analyse_topics

    corpus = corpus_from_texts(texts, min_len=2)
    bp = find_boilerplate(corpus, labels)
    print(f"\n{name}: {len(texts):,} texts; boilerplate ({len(bp)}): {' '.join(bp['term'].head(25))}")
    for label, kw in (("with boilerplate", {"boilerplate": None}), ("boilerplate kept out", {})):
        rep = analyse_topics(texts, corpus, TopicConfig(seed=0), causes=labels, **kw)
        top = rep.topics[rep.topics["scope"] == "all"].sort_values("share", ascending=False)
        purity = float((top["share"] * top["main_cause_share"]).sum() / max(top["share"].sum(), 1e-9))
        print(f"  {label:22s} k={rep.info['all']['k']:2d}  largest topic {top['share'].iloc[0]:.0%}: "
              f"{top['top_words'].iloc[0]}  (cause purity {purity:.3f}, NPMI {rep.info['all']['coherence']:.3f})")


def null_worlds(n: int = 40, weeks: int = 60, groups: int = 8, seed: int = 0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    idx = pd.period_range("2024-01-01", periods=weeks, freq="W-SUN")
    return [pd.DataFrame(rng.poisson(rng.uniform(3, 40, groups), (weeks, groups)), index=idx,
                         columns=[f"g{i}" for i in range(groups)]) for _ in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("IVR_TEXT_SHARED_DATA",
                                                                     ROOT.parent / "shared" / "data")))
    args = ap.parse_args()
    import pandas as pd

    from ivr_text.complaints.corpus import corpus_from_texts
    from ivr_text.complaints.trends import (TrendConfig, alert_examples, alert_terms, boilerplate_terms,
                                            emerging_terms, period_counts, score_counts, to_periods)

    cocc = args.data / "cocc_cmcc_complaints" / "cocc_dev.tsv"
    if cocc.exists():
        df = pd.read_csv(cocc, sep="\t")
        topics_with_and_without("COCC dev", df["text"].astype(str).tolist(), df["label"].astype(str).tolist())
    sample = pd.read_csv(ROOT / "sample_logs" / "complaints.csv")
    texts, labels = sample["text"].astype(str).tolist(), sample["label"].astype(str).tolist()
    topics_with_and_without("sample world", texts, labels)

    periods = to_periods(sample["ts"], "week")
    corpus = corpus_from_texts(texts, min_len=2)
    cfg = TrendConfig()
    exclude = boilerplate_terms(corpus, periods, labels, cfg)
    scored = score_counts(period_counts(periods, labels), cfg)
    alerts = alert_examples(scored, periods, labels, texts, cfg)
    old = score_counts(period_counts(periods, labels), TrendConfig(method="poisson", correction="none"))
    em = emerging_terms(corpus, periods, cfg, causes=labels, exclude=exclude)
    print(f"\nsample world, weekly by label ({scored['group'].nunique()} × {scored['period'].nunique()} weeks): "
          f"{len(alerts)} alert(s) (known-mean Poisson test, no correction: {int(old['alert'].sum())}); "
          f"emerging terms: {', '.join(f'{t} ({c}/{b})' for t, c, b in zip(em['term'], em['count'], em['count_before'])) or 'none'}")
    if len(alerts):
        print("  what changed:", alert_terms(alerts, corpus, periods, labels, cfg, exclude))

    worlds = null_worlds()
    print(f"\nsurge-free worlds: {len(worlds)} × {len(worlds[0]) - 4} tested weeks × {worlds[0].shape[1]} causes")
    for alpha in (0.01, 0.05):
        row = []
        for label, kw in (("conditional + BH", {}), ("conditional, no correction", {"correction": "none"}),
                          ("Poisson known mean, no correction (before)", {"method": "poisson", "correction": "none"})):
            cfg = TrendConfig(alpha=alpha, min_count=0, min_ratio=1.0, **kw)
            flags = [score_counts(w, cfg).query("p_value == p_value").groupby("period")["alert"].any()
                     for w in worlds]
            row.append(f"{label} {float(pd.concat(flags).mean()):.2%}")
        print(f"  alpha {alpha}: weeks with an alert: " + "; ".join(row))


if __name__ == "__main__":
    main()
