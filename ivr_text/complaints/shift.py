"""Domain-shift check: is the input like what the cause model was trained on?

A model trained on one operator's work orders and applied to another source (app reviews, Weibo posts, another
industry) still outputs a cause and a confidence for every text, and scores far worse without saying so. Two
measurements compare the input with the training data, each as an *exceedance rate* against a reference that
new texts from the training source would match 5% of the time:

- **unseen character pairs**: per text, the share of its character bigrams that no two training texts shared
  (the vocabulary: bigrams in ≥ 2 training texts). The reference is leave-one-out on the training texts
  themselves: a training text's bigram is "unseen" if fewer than 2 *other* training texts have it, which is how
  a new text from the same source looks. ``unseen_p95`` = the 95th percentile of those shares; the input's
  rate = share of its texts above it (≈ 5% in domain).
- **confidence**: the model's top-class confidence on the calibration hold-out (texts it was not trained on,
  see :mod:`~ivr_text.complaints.model`); ``confidence_p05`` = its 5th percentile; the input's rate = share of
  its texts below it (≈ 5% in domain).

:func:`check_shift` warns when either rate reaches ``warn_rate`` (default 0.20, four times the in-domain 5%)
on at least ``min_texts`` texts, and says what to do: retrain on labelled texts of this source, mine a
taxonomy from them (``classify taxonomy``), or use cold start (``classify predict`` without ``--model``).
Measured: see the README (COCC-trained model on held-out COCC orders vs on 12365 car-complaint titles).
The reference is a few NumPy arrays and numbers, stored in the model file (no code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ivr_text.complaints.features import _mix

__all__ = ["ShiftReference", "fit_reference", "unseen_shares", "check_shift", "ShiftReport"]

_MULT = np.uint64(0x9E3779B97F4A7C15)


def _bigrams(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character bigram of every text, and the text index of each."""
    texts = [t if isinstance(t, str) else "" for t in texts]
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    sym = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    if sym.size < 2:
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    doc = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    same = doc[1:] == doc[:-1]
    with np.errstate(over="ignore"):
        h = _mix((sym[:-1] + np.uint64(1)) * _MULT + sym[1:] + np.uint64(1))
    return h[same], doc[:-1][same]


def _distinct(sorted_values: np.ndarray) -> np.ndarray:
    """Distinct values of a sorted array."""
    if not sorted_values.size:
        return sorted_values
    return sorted_values[np.concatenate(([True], sorted_values[1:] != sorted_values[:-1]))]


def _per_text_share(flags: np.ndarray, doc: np.ndarray, n: int) -> np.ndarray:
    """Share of flagged bigrams per text (texts without bigrams: 0)."""
    total = np.bincount(doc, minlength=n).astype(np.float64)
    hit = np.bincount(doc, weights=flags.astype(np.float64), minlength=n)
    return np.divide(hit, total, out=np.zeros(n), where=total > 0)


@dataclass
class ShiftReference:
    """What the training data looked like (stored in the model file)."""

    vocab: np.ndarray            # sorted uint64 hashes of bigrams in ≥ 2 training texts
    unseen_p95: float            # 95th percentile of the training texts' leave-one-out unseen share
    unseen_median: float
    confidence_p05: float        # 5th percentile of top-class confidence on the calibration hold-out
    confidence_median: float
    n_train: int

    def to_meta(self) -> dict:
        return {"unseen_p95": self.unseen_p95, "unseen_median": self.unseen_median,
                "confidence_p05": self.confidence_p05, "confidence_median": self.confidence_median,
                "n_train": self.n_train}

    @classmethod
    def from_meta(cls, meta: dict, vocab: np.ndarray) -> "ShiftReference":
        return cls(np.asarray(vocab, dtype=np.uint64), float(meta["unseen_p95"]), float(meta["unseen_median"]),
                   float(meta["confidence_p05"]), float(meta["confidence_median"]), int(meta["n_train"]))


def fit_reference(normalized: Sequence[str], holdout_confidence: np.ndarray) -> ShiftReference:
    """The reference from the normalised training texts and the top-class confidences on the hold-out."""
    h, doc = _bigrams(normalized)
    n = len(normalized)
    # document frequency of each distinct bigram: distinct (bigram, text) pairs, counted per bigram (sorts, not
    # np.unique, whose hash path is ~10× slower on millions of uint64)
    uniq = _distinct(np.sort(h))
    code = np.searchsorted(uniq, h)
    pairs = _distinct(np.sort(code.astype(np.int64) * max(n, 1) + doc))
    df = np.bincount(pairs // max(n, 1), minlength=uniq.size)
    vocab = uniq[df >= 2]
    # leave-one-out: a text's bigram is in the others' vocabulary iff at least 2 other texts have it (df ≥ 3)
    loo = _per_text_share(df[code] < 3, doc, n)
    conf = np.asarray(holdout_confidence, dtype=np.float64)
    return ShiftReference(vocab, float(np.quantile(loo, 0.95)) if n else 0.0, float(np.median(loo)) if n else 0.0,
                          float(np.quantile(conf, 0.05)) if conf.size else 0.0,
                          float(np.median(conf)) if conf.size else 0.0, n)


def unseen_shares(ref: ShiftReference, normalized: Sequence[str]) -> np.ndarray:
    """Per text: the share of its character bigrams not in the training vocabulary."""
    h, doc = _bigrams(normalized)
    if not h.size:
        return np.zeros(len(normalized))
    pos = np.searchsorted(ref.vocab, h)
    pos[pos >= ref.vocab.size] = 0
    known = ref.vocab[pos] == h if ref.vocab.size else np.zeros(h.size, dtype=bool)
    return _per_text_share(~known, doc, len(normalized))


@dataclass
class ShiftReport:
    """Both exceedance rates, the reference they were measured against, and the verdict in words."""

    n: int
    unseen_rate: float           # share of texts with more unseen bigrams than 95% of training texts
    low_confidence_rate: float   # share of texts less confident than 95% of the hold-out
    unseen_median: float
    confidence_median: float
    reference: dict
    warning: bool
    message: str

    def to_dict(self) -> dict:
        return {"n": self.n, "unseen_rate": round(self.unseen_rate, 4),
                "low_confidence_rate": round(self.low_confidence_rate, 4),
                "unseen_median": round(self.unseen_median, 4), "confidence_median": round(self.confidence_median, 4),
                "expected_rate": 0.05, "reference": {k: round(v, 4) if isinstance(v, float) else v
                                                     for k, v in self.reference.items()},
                "warning": self.warning, "message": self.message}


def check_shift(ref: ShiftReference, normalized: Sequence[str], confidence: np.ndarray, *,
                warn_rate: float = 0.20, min_texts: int = 30) -> ShiftReport:
    """Compare an input (normalised texts and the model's top-class confidences) with the training reference."""
    shares = unseen_shares(ref, normalized)
    conf = np.asarray(confidence, dtype=np.float64)
    n = len(normalized)
    unseen_rate = float(np.mean(shares > ref.unseen_p95)) if n else 0.0
    low_rate = float(np.mean(conf < ref.confidence_p05)) if n else 0.0
    warn = n >= min_texts and (unseen_rate >= warn_rate or low_rate >= warn_rate)
    said = (f"{unseen_rate:.0%} of the {n:,} texts have more character pairs unseen in training than 95% of the "
            f"training texts, {low_rate:.0%} are less confident than 95% of the training hold-out (expected: "
            f"about 5% each)")
    if warn:
        message = ("the input does not look like the training data: " + said + ". The model is out of its depth: "
                   "retrain on labelled texts of this source ('classify train'), mine a taxonomy from them "
                   "('classify taxonomy'), or use cold start ('classify predict' without --model).")
    elif n < min_texts:
        message = f"too few texts ({n}) to judge a domain shift; {said}"
    else:
        message = "the input looks like the training data: " + said
    return ShiftReport(n, unseen_rate, low_rate, float(np.median(shares)) if n else 0.0,
                       float(np.median(conf)) if n else 0.0, ref.to_meta(), warn, message)
