"""Corpus boilerplate: terms that say nothing about what a complaint is about, detected from the corpus itself.

Work orders are written from templates (用户来电反映…, 请处理，谢谢, 如不解决将向工信部申诉, 方便接听电话): their words
fill the largest LDA topic and, because they come and go with the agents' habits, the emerging-term lists. A stop
list written for one operator misses the next operator's templates, so :func:`find_boilerplate` measures, for each
term of a :class:`~ivr_text.complaints.corpus.BowCorpus`:

- ``share``: the share of texts holding it. A term in at least ``most_share`` (default 0.5) of all texts is
  boilerplate ("in most documents");
- ``cause_tvd``: with cause labels (or the rules' predicted causes), the total variation distance between the
  causes of the term's texts and the causes of all texts (0 = spread over the causes exactly like all texts,
  1 = in other causes entirely). A term in at least ``min_share`` of the texts whose ``cause_tvd`` is at most
  ``max_tvd`` (0.2) carries no cause information: boilerplate ("in most documents of every cause" relative to the
  causes' sizes). Sampling noise only raises the distance, so a rare informative term is not removed by chance;
- ``time_tvd`` (with periods, for emerging terms): the same distance over ``time_bins`` equal spans of the
  period range. A term that bursts in one span has a large ``time_tvd`` and is never boilerplate, however evenly
  its texts fall over the causes — so a new theme is not hidden by this filter.

Defaults are general (not fitted to one file). On the COCC dev orders (labels): 11 terms (要求 处理 解释 业务 核实
回复 工单 解决 中心 反馈 6月); on the sample world: its template words (处理 要求 工单号 申诉 工信部 不解决 方便
接听电话 情绪 激动 …, 58 terms); ``benchmarks/bench_content.py`` prints them with the topics they leave.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.corpus import BowCorpus

__all__ = ["BoilerplateConfig", "find_boilerplate", "rule_causes"]


@dataclass
class BoilerplateConfig:
    """When a term counts as boilerplate (see the module docstring)."""

    most_share: float = 0.5
    min_share: float = 0.02
    max_tvd: float = 0.2
    time_bins: int = 4
    max_time_tvd: float = 0.15
    min_texts: int = 20          # fewer texts: nothing is judged (too little evidence)


def _tvd(x_csc, rows_code: np.ndarray, n_codes: int, terms: np.ndarray) -> np.ndarray:
    """Total variation distance between the code distribution of each term's texts and of all texts."""
    base = np.bincount(rows_code, minlength=n_codes).astype(float)
    base /= max(base.sum(), 1.0)
    out = np.ones(len(terms))
    for k, t in enumerate(terms):
        rows = x_csc.indices[x_csc.indptr[t]:x_csc.indptr[t + 1]]
        if len(rows):
            dist = np.bincount(rows_code[rows], minlength=n_codes) / len(rows)
            out[k] = 0.5 * float(np.abs(dist - base).sum())
    return out


def find_boilerplate(corpus: BowCorpus, causes: Sequence | None = None, periods: pd.PeriodIndex | None = None,
                     cfg: BoilerplateConfig | None = None) -> pd.DataFrame:
    """Terms of ``corpus`` judged boilerplate: term, texts, share, cause_tvd, time_tvd, reason (one row each).

    ``causes``: a label per text (document i = text i); ``periods``: a period per text (emerging terms pass
    theirs, so only terms steady over time are judged boilerplate)."""
    cfg = cfg or BoilerplateConfig()
    cols = ["term", "texts", "share", "cause_tvd", "time_tvd", "reason"]
    n = len(corpus)
    if n < cfg.min_texts or corpus.n_terms == 0:
        return pd.DataFrame(columns=cols)
    df = corpus.doc_freq()
    share = df / n
    cand = np.flatnonzero(share >= min(cfg.min_share, cfg.most_share))
    x_csc = corpus.to_csr(binary=True).tocsc()
    cause_tvd = np.full(len(cand), np.nan)
    if causes is not None:
        _, code = np.unique(pd.Series(np.asarray(causes, dtype=object)).fillna("(missing)").astype(str),
                            return_inverse=True)
        cause_tvd = _tvd(x_csc, code, int(code.max()) + 1, cand)
    time_tvd = np.full(len(cand), np.nan)
    if periods is not None and len(periods) == n:
        ordinal = np.asarray(periods.asi8 if hasattr(periods, "asi8") else periods, dtype=np.int64)
        lo, hi = ordinal.min(), ordinal.max()
        bins = max(1, min(cfg.time_bins, int(hi - lo) + 1))
        span = np.minimum(((ordinal - lo) * bins) // max(int(hi - lo) + 1, 1), bins - 1)
        time_tvd = _tvd(x_csc, span, bins, cand)
    most = share[cand] >= cfg.most_share
    neutral = (share[cand] >= cfg.min_share) & (cause_tvd <= cfg.max_tvd)
    steady = np.isnan(time_tvd) | (time_tvd <= cfg.max_time_tvd)
    keep = (most | neutral) & steady
    reason = np.where(most, f"in ≥ {cfg.most_share:.0%} of texts",
                      f"spread over the causes like all texts (distance ≤ {cfg.max_tvd})")
    out = pd.DataFrame({"term": corpus.id2word[cand], "texts": df[cand], "share": np.round(share[cand], 4),
                        "cause_tvd": np.round(cause_tvd, 4), "time_tvd": np.round(time_tvd, 4), "reason": reason})
    return out[keep].sort_values(["share", "term"], ascending=[False, True]).reset_index(drop=True)


def rule_causes(texts: Sequence[str], taxonomy=None) -> list[str]:
    """The keyword rules' cause of each text: stands in for labels when a corpus has none."""
    from ivr_text.complaints.rules import RuleClassifier
    from ivr_text.complaints.taxonomy import load_taxonomy

    return RuleClassifier(load_taxonomy(taxonomy) if not hasattr(taxonomy, "classes") else taxonomy) \
        .predict_frame(list(texts))["cause"].tolist()
