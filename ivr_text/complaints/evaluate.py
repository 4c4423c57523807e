"""Honest evaluation of cause classifiers: metrics, K-fold cross-validation, rule baselines.

``classification_metrics`` returns one JSON-ready dict: ``n``, ``accuracy``, ``macro_f1``, ``weighted_f1``,
``per_class`` ({label: precision, recall, f1, support}), ``labels`` and ``confusion_matrix`` (rows = true,
columns = predicted, in ``labels`` order; a prediction outside the labels, e.g. the rules' 未分类, is a
column of its own). Macro-F1 averages over the true classes only, so abstaining never raises it.
``cross_validate`` trains a fresh :class:`CauseModel` per stratified fold (the model never sees its test fold;
calibration hold-out is inside the training fold) and returns metrics over the pooled out-of-fold predictions.
``nested_cross_validate`` also chooses the configuration (from ``TUNING_GRID`` or yours) by an inner CV inside
each outer training fold, so the reported figure includes the cost of that choice (no tuning on test folds).

Measured on the 1,920 COCC dev work orders (8 balanced classes):
  * ``ivr-text classify evaluate cocc_dev.tsv --cv 5 --json`` (default model, fixed config): macro-F1 0.8859,
    accuracy 0.8859 (``--seed 1``: 0.8874, ``--seed 2``: 0.8812 with the SVM's row order seeded);
  * ``... --cv 5 --tune --json`` (nested 5×3-fold over char 1–2/1–3/1–4 × C 0.5/1): macro-F1 0.8797, accuracy
    0.8797 (char 1–2 chosen in 3 of 5 outer folds, char 1–3 in two; 0.8848 before social markup was dropped in
    normalisation, which changes 5 of the 1,920 orders) — the honest estimate for unseen orders;
  * ``ivr-text classify evaluate cocc_dev.tsv --json`` (cold start without labels, learning from the file's own
    texts): macro-F1 0.6945; with ``--rules-only`` (the keyword rules alone) 0.6475.
The 0.90 target is not met: every bag-of-n-grams linear variant tried lands at 0.875–0.885 (annotator
agreement on this source is ~0.91; many remaining errors are near-identical orders with different labels).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.model import CauseModel, ModelConfig
from ivr_text.complaints.rules import RuleClassifier
from ivr_text.complaints.taxonomy import Taxonomy, load_taxonomy
from ivr_text.errors import InputError


def classification_metrics(y_true: Sequence, y_pred: Sequence, labels: Sequence[str] | None = None) -> dict:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true = np.asarray([str(v) for v in y_true], dtype=object)
    y_pred = np.asarray([str(v) for v in y_pred], dtype=object)
    if len(y_true) == 0:
        raise InputError("nothing to evaluate: no labelled rows")
    true_labels = list(labels) if labels is not None else sorted(set(y_true))
    true_labels = [lab for lab in true_labels if lab in set(y_true)] or sorted(set(y_true))
    extra = sorted(set(y_pred) - set(true_labels))
    all_labels = true_labels + extra
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=true_labels, zero_division=0)
    cm = confusion_matrix(y_true, y_pred, labels=all_labels)
    return {
        "n": int(len(y_true)),
        "accuracy": round(float(np.mean(y_true == y_pred)), 4),
        "macro_f1": round(float(np.mean(f)), 4),
        "weighted_f1": round(float(np.average(f, weights=s)), 4),
        "per_class": {lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4),
                            "f1": round(float(f[i]), 4), "support": int(s[i])}
                      for i, lab in enumerate(true_labels)},
        "labels": all_labels,
        "confusion_matrix": cm.astype(int).tolist(),
    }


def confusion_frame(metrics: dict) -> pd.DataFrame:
    """The confusion matrix as a table: one row per true label, one column per predicted label."""
    df = pd.DataFrame(metrics["confusion_matrix"], columns=metrics["labels"])
    df.insert(0, "true_label", metrics["labels"][: len(df)])
    return df


def cross_validate(texts: Sequence, labels: Sequence, k: int = 5, taxonomy: Taxonomy | None = None,
                   config: ModelConfig | None = None, seed: int = 0) -> tuple[dict, pd.DataFrame]:
    """Stratified K-fold CV of the default model; returns (metrics, out-of-fold predictions with ``fold``)."""
    from sklearn.model_selection import StratifiedKFold

    taxonomy = taxonomy or load_taxonomy()
    texts = list(texts)
    y = np.asarray([str(v) for v in labels], dtype=object)
    _check_folds(y, k)
    frames = []
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (tr, te) in enumerate(folds.split(np.zeros(len(y)), y), start=1):
        model = CauseModel(taxonomy, config or ModelConfig()).fit([texts[i] for i in tr], y[tr])
        pred = model.predict_frame([texts[i] for i in te])
        pred.index = te
        pred["fold"] = fold
        frames.append(pred)
    oof = pd.concat(frames).sort_index()
    metrics = classification_metrics(y, oof["cause"], taxonomy.labels)
    metrics.update({"method": f"{k}-fold cross-validation of the default model", "cv": k, "seed": seed})
    return metrics, oof


#: Candidate configurations for nested CV: principled, small (n-gram length and regularisation only).
TUNING_GRID = tuple(ModelConfig(char_ngrams=ng, C=c) for ng in ((1, 2), (1, 3), (1, 4)) for c in (0.5, 1.0))


def _describe(cfg: ModelConfig) -> str:
    return f"char {cfg.char_ngrams[0]}-{cfg.char_ngrams[1]}, C={cfg.C:g}"


def nested_cross_validate(texts: Sequence, labels: Sequence, k: int = 5, taxonomy: Taxonomy | None = None,
                          grid: Sequence[ModelConfig] | None = None, inner_k: int = 3,
                          seed: int = 0) -> tuple[dict, pd.DataFrame]:
    """Nested CV: in each outer training fold an inner ``inner_k``-fold CV picks the config with the best
    macro-F1, which is then trained on that whole fold and scored on the untouched outer fold."""
    from sklearn.model_selection import StratifiedKFold

    taxonomy = taxonomy or load_taxonomy()
    grid = list(grid or TUNING_GRID)
    texts = list(texts)
    y = np.asarray([str(v) for v in labels], dtype=object)
    _check_folds(y, k)
    frames, chosen = [], []
    folds = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for fold, (tr, te) in enumerate(folds.split(np.zeros(len(y)), y), start=1):
        tr_texts = [texts[i] for i in tr]
        inner = [cross_validate(tr_texts, y[tr], inner_k, taxonomy, cfg, seed)[0]["macro_f1"] for cfg in grid]
        best = grid[int(np.argmax(inner))]
        chosen.append({"fold": fold, "config": _describe(best), "inner_macro_f1": round(max(inner), 4)})
        pred = CauseModel(taxonomy, best).fit(tr_texts, y[tr]).predict_frame([texts[i] for i in te])
        pred.index = te
        pred["fold"] = fold
        frames.append(pred)
    oof = pd.concat(frames).sort_index()
    metrics = classification_metrics(y, oof["cause"], taxonomy.labels)
    metrics.update({"method": f"nested {k}x{inner_k}-fold cross-validation (config chosen inside each fold)",
                    "cv": k, "inner_cv": inner_k, "seed": seed, "grid": [_describe(c) for c in grid],
                    "chosen": chosen})
    return metrics, oof


def _check_folds(y: np.ndarray, k: int) -> None:
    if k < 2:
        raise InputError(f"--cv must be at least 2 (got {k})")
    counts = pd.Series(y).value_counts()
    if counts.min() < k:
        thin = ", ".join(f"{lab} ({n})" for lab, n in counts[counts < k].items())
        raise InputError(f"{k}-fold cross-validation needs at least {k} examples per class; too few: {thin} "
                         f"(merge or drop those labels, or use a smaller --cv)")


def evaluate_predictions(labels: Sequence, predictions: pd.DataFrame, taxonomy: Taxonomy, method: str) -> dict:
    """Metrics of predictions already made (by a model or the rules) against true labels."""
    metrics = classification_metrics(labels, predictions["cause"], taxonomy.labels)
    metrics["method"] = method
    return metrics


def evaluate_rules(texts: Sequence, labels: Sequence, taxonomy: Taxonomy | None = None) -> tuple[dict, pd.DataFrame]:
    """Cold-start baseline: the taxonomy's keyword rules, no training."""
    taxonomy = taxonomy or load_taxonomy()
    pred = RuleClassifier(taxonomy).predict_frame(texts)
    return evaluate_predictions(labels, pred, taxonomy, "cold-start keyword rules"), pred


def evaluate_model(model: CauseModel, texts: Sequence, labels: Sequence) -> tuple[dict, pd.DataFrame]:
    """Metrics of a trained model on labelled rows, with ``domain_shift`` (:meth:`CauseModel.domain_shift`:
    how unlike the training data the rows are; None for models saved without the reference)."""
    pred = model.predict_frame(texts)
    metrics = evaluate_predictions(labels, pred, model.taxonomy, "trained model on held-out rows")
    metrics["model"] = {k: model.meta.get(k) for k in ("trained_at", "n_train", "taxonomy_name", "sklearn")}
    shift = model.domain_shift(texts, pred["confidence"])
    metrics["domain_shift"] = shift.to_dict() if shift is not None else None
    return metrics, pred
