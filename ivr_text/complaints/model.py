"""Supervised complaint cause model: word + character TF-IDF and taxonomy keyword scores, calibrated linear SVM.

Features (all from text normalised once by ``ivr_text.text.normalize_text``):
  * word 1–2-grams over ``ivr_text.text.Tokenizer`` tokens (telecom dictionary, stopwords removed),
  * character 1–3-grams (robust to segmentation errors and unseen compounds),
  * the taxonomy's keyword-rule score per class (:class:`RuleClassifier`), scaled; this lets a small labelled
    set lean on domain knowledge.
TF-IDF uses sublinear tf; the classifier is ``LinearSVC`` calibrated by ``CalibratedClassifierCV`` (sigmoid,
internal 3-fold) so ``confidence`` is a probability usable for ``--review-below``. Hyper-parameters are fixed,
sensible defaults (not tuned to one file). 5-fold CV on the 1,920 COCC dev work orders (``ivr-text classify
evaluate cocc_dev.tsv --cv 5``): macro-F1 0.8812, accuracy 0.8807 (plain TF-IDF + LinearSVC ≈ 0.87; target 0.90 not yet met).
Speed (bench_classify.py, 10k texts, busy 2-core machine): training 74 s, prediction ~460 texts/s end-to-end;
tokenisation (~1.6k texts/s) and normalisation (~3.5k texts/s) dominate.

Model files are skops archives loaded with an explicit allow-list of scikit-learn/NumPy/SciPy types, so
loading never runs code from the file; they carry metadata (library versions, taxonomy fingerprint, classes,
training size, date). A file from another taxonomy, an incompatible version, a truncated file or a non-model
file raises :class:`InputError` with one clear line.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.rules import RuleClassifier, normalize_many, ranked_frame
from ivr_text.complaints.taxonomy import Taxonomy, load_taxonomy, taxonomy_from_dict
from ivr_text.errors import InputError

FORMAT = "ivr-text/cause-model"
FORMAT_VERSION = 1


@dataclass
class ModelConfig:
    """Fixed defaults; change them only with evidence from nested CV on your own data."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (1, 3)
    min_df: int = 2
    use_words: bool = True
    use_rules: bool = True
    rule_scale: float = 0.1
    C: float = 1.0
    calibration_folds: int = 3
    n_jobs: int = 1

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items() if k in cls.__dataclass_fields__}
        return cls(**known)


_TOKENIZERS: dict = {}


def _tokenizer():
    """Process-wide tokenizer for already-normalised text (normalisation is done once, here)."""
    if "tok" not in _TOKENIZERS:
        from ivr_text.text import Tokenizer

        _TOKENIZERS["tok"] = Tokenizer(normalize=False)
    return _TOKENIZERS["tok"]


@dataclass
class CauseModel:
    """Trainable cause classifier. ``fit(texts, labels)`` → ``predict_frame(texts)``."""

    taxonomy: Taxonomy = field(default_factory=load_taxonomy)
    config: ModelConfig = field(default_factory=ModelConfig)
    word_vec: object = None
    char_vec: object = None
    clf: object = None
    meta: dict = field(default_factory=dict)

    # ------------------------------------------------------------------ features
    def _rules(self) -> RuleClassifier:
        if getattr(self, "_rule_clf", None) is None:
            self._rule_clf = RuleClassifier(self.taxonomy)
        return self._rule_clf

    def _features(self, texts: Sequence, fit: bool):
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        cfg = self.config
        norm = normalize_many(texts)
        blocks = []
        if cfg.use_words:
            tokens = [" ".join(t) for t in _tokenizer().tokenize_many(norm, n_jobs=cfg.n_jobs)]
            if fit:
                self.word_vec = TfidfVectorizer(token_pattern=r"[^ ]+", lowercase=False, ngram_range=cfg.word_ngrams,
                                                min_df=cfg.min_df, sublinear_tf=True, dtype=np.float32)
                blocks.append(self.word_vec.fit_transform(tokens))
            else:
                blocks.append(self.word_vec.transform(tokens))
        if fit:
            self.char_vec = TfidfVectorizer(analyzer="char", lowercase=False, ngram_range=cfg.char_ngrams,
                                            min_df=cfg.min_df, sublinear_tf=True, dtype=np.float32)
            blocks.append(self.char_vec.fit_transform(norm))
        else:
            blocks.append(self.char_vec.transform(norm))
        if cfg.use_rules:
            scores = self._rules().scores(norm)
            blocks.append(sparse.csr_matrix(np.clip(scores, 0, None).astype(np.float32) * cfg.rule_scale))
        return sparse.hstack(blocks, format="csr")

    # ------------------------------------------------------------------ training
    def fit(self, texts: Sequence, labels: Sequence) -> "CauseModel":
        """Train on texts and their cause labels (every label must be a taxonomy class)."""
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        labels = pd.Series(list(labels), dtype=object).astype(str).str.strip()
        unknown = sorted(set(labels) - set(self.taxonomy.labels))
        if unknown:
            raise InputError(f"labels not in taxonomy '{self.taxonomy.name}': {', '.join(unknown[:5])}"
                             f" (classes: {', '.join(self.taxonomy.labels)})")
        counts = labels.value_counts()
        if len(counts) < 2:
            raise InputError("training needs at least two different labels")
        folds = min(self.config.calibration_folds, int(counts.min()))
        if folds < 2:
            thin = ", ".join(f"{k} ({v})" for k, v in counts[counts < 2].items())
            raise InputError(f"every class needs at least 2 examples to calibrate confidences; too few: {thin}")
        X = self._features(texts, fit=True)
        base = LinearSVC(C=self.config.C)
        self.clf = CalibratedClassifierCV(base, method="sigmoid", cv=folds).fit(X, labels.to_numpy())
        import sklearn

        from ivr_text import __version__

        self.meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "ivr_text": __version__, "sklearn": sklearn.__version__, "numpy": np.__version__,
            "taxonomy_name": self.taxonomy.name, "taxonomy_fingerprint": self.taxonomy.fingerprint,
            "classes": [str(c) for c in self.clf.classes_],
            "n_train": int(len(labels)), "class_counts": {str(k): int(v) for k, v in counts.items()},
            "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "config": self.config.to_dict(),
        }
        return self

    # ------------------------------------------------------------------ prediction
    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.clf.classes_]

    def predict_proba(self, texts: Sequence) -> np.ndarray:
        if self.clf is None:
            raise InputError("the model is not trained; run 'ivr-text classify train' first")
        return self.clf.predict_proba(self._features(texts, fit=False))

    def predict(self, texts: Sequence) -> np.ndarray:
        proba = self.predict_proba(texts)
        return np.asarray(self.classes, dtype=object)[proba.argmax(axis=1)]

    def predict_frame(self, texts: Sequence, top_k: int = 1, review_below: float | None = None) -> pd.DataFrame:
        """cause, confidence, runner_up (+confidence), family, side, controllability [, top_causes, needs_review]."""
        texts = list(texts)
        return ranked_frame(self.predict_proba(texts), self.classes, self.taxonomy, top_k, review_below)


# ---------------------------------------------------------------------------------------------- files

_ALLOWED_TYPES = {
    "builtins.slice", "numpy.dtype", "numpy.float32", "numpy.float64", "numpy.int64", "numpy.int32",
    "numpy.ndarray", "numpy.str_", "numpy.bytes_",
    "scipy.sparse._csr.csr_matrix", "scipy.sparse._csr.csr_array",
    "sklearn.calibration.CalibratedClassifierCV", "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.TfidfVectorizer", "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.svm._classes.LinearSVC", "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.preprocessing._label.LabelBinarizer",
}


def save_model(model: CauseModel, path: str | Path) -> Path:
    """Write a trained model as a skops archive (no pickle) with its metadata and taxonomy."""
    import skops.io as sio

    if model.clf is None:
        raise InputError("cannot save an untrained model")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "meta_json": json.dumps(model.meta, ensure_ascii=False),
        "taxonomy_json": json.dumps(model.taxonomy.to_dict(), ensure_ascii=False),
        "word_vec": model.word_vec, "char_vec": model.char_vec, "clf": model.clf,
    }
    sio.dump(state, path)
    return path


def load_model(path: str | Path, taxonomy: Taxonomy | None = None) -> CauseModel:
    """Load a model file safely; with ``taxonomy`` also check that it was trained on that taxonomy."""
    import zipfile

    import skops.io as sio

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: model file not found")
    what = f"{path}: not an ivr-text cause model (or the file is truncated)"
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, json.JSONDecodeError, EOFError):
        raise InputError(what) from None
    foreign = sorted(set(untrusted) - _ALLOWED_TYPES)
    if foreign:
        raise InputError(f"{path}: refusing to load a model containing unexpected types: {', '.join(foreign[:3])}")
    try:
        state = sio.load(path, trusted=list(untrusted))
        meta = json.loads(state["meta_json"])
    except Exception:  # skops raises many types on corrupt archives; none of them is actionable
        raise InputError(what) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(what)
    if meta.get("format_version") != FORMAT_VERSION:
        raise InputError(f"{path}: model format version {meta.get('format_version')} is not supported by this "
                         f"ivr-text (expects {FORMAT_VERSION}); retrain with 'ivr-text classify train'")
    import sklearn

    if _minor(meta.get("sklearn", "")) != _minor(sklearn.__version__):
        raise InputError(f"{path}: model was trained with scikit-learn {meta.get('sklearn')}, this is "
                         f"{sklearn.__version__}; retrain with 'ivr-text classify train'")
    stored_tax = taxonomy_from_dict(json.loads(state["taxonomy_json"]), source=f"{path} (stored taxonomy)")
    if taxonomy is not None and taxonomy.fingerprint != meta.get("taxonomy_fingerprint"):
        raise InputError(f"{path}: model was trained with taxonomy '{meta.get('taxonomy_name')}' "
                         f"({str(meta.get('taxonomy_fingerprint'))[:12]}), not with {taxonomy.source} "
                         f"({taxonomy.fingerprint[:12]}); retrain or pass the matching --taxonomy")
    config = ModelConfig.from_dict(meta.get("config", {}))
    return CauseModel(stored_tax, config, state["word_vec"], state["char_vec"], state["clf"], meta)


def _minor(version: str) -> str:
    return ".".join(str(version).split(".")[:2])
