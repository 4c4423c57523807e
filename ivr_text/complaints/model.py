"""Supervised complaint cause model: character n-gram TF-IDF, linear SVM, temperature-calibrated confidences.

Features come from text normalised once by ``ivr_text.text.normalize_text`` (t2s, width, punctuation, PII
masked): character 1–2-grams with sublinear TF-IDF (:mod:`ivr_text.complaints.features`, vectorised NumPy,
exact vocabulary, no per-text Python loop). Optional blocks: word n-grams over ``ivr_text.text.Tokenizer``
tokens (``word_ngrams``) and the taxonomy's keyword-rule scores (``use_rules``); blocks are joined and rows
re-normalised. The classifier is a one-vs-rest ``LinearSVC`` (dual solver). Confidences: the SVM is also
trained on a stratified 80% split, one softmax temperature is fitted (maximum likelihood) on the other 20%,
and ``softmax(decision / T)`` of the model trained on everything is reported (temperature scaling, Guo et al.
2017: one parameter, so a small hold-out cannot overfit it, and the SVM's ranking is kept). The two fits run
in two threads (liblinear releases the GIL).

Why these defaults (fixed, not tuned per file): nested CV on the 1,920 COCC dev work orders (inner CV over
char 1–2/1–3/1–4 × C 0.5/1 inside each outer training fold) chose char 1–2 in 4 of 5 folds. Other variants
measured in 3×5-fold CV all landed at macro-F1 0.875–0.885: word 1–2 + char union, keyword-rule features,
NB-SVM, ridge, SGD modified-huber, logistic regression, late-fusion ensembles, char 2–5 (0.862). Word features
need the tokeniser (the slowest stage) and added nothing, so they are off by default.
Measured (``ivr-text classify evaluate cocc_dev.tsv --cv 5 --json``): macro-F1 0.8859, accuracy 0.8859
(seeds 1, 2: 0.8874, 0.8817); nested (``--cv 5 --tune``): see :mod:`ivr_text.complaints.evaluate`.
The issue's 0.90 is not reached.

Speed (``benchmarks/bench_classify.py --size 100000 --jobs 2``, 155-char texts, 2 cores shared with other
jobs): training 100k texts 54 s wall / 56.5 s CPU (≈ 28 s on two idle cores); prediction 27.9k texts/s of
CPU on two cores end-to-end (13k texts/s wall on the loaded machine). One process: normalise ≈ 46k texts/s,
features ≈ 30k texts/s, scores and output frame ≈ 130k texts/s. Batches of ``PARALLEL_MIN_TEXTS`` or more are
split over ``n_jobs`` forked worker processes that normalise, featurise and score their chunk and return only
the decision values.

Model files are skops archives holding only NumPy arrays and JSON strings (no estimator objects); every
node type in the archive is checked against an allow-list before loading, so loading never runs code from
the file. They carry metadata (library versions, taxonomy fingerprint, classes, temperature, training size,
date, config, and the text normalisation they were trained with, :func:`~ivr_text.text.regional.normalization_id`;
a model from an ivr-text with another normalisation still loads — the format is unchanged and only texts
with regional words are featurised differently — and carries ``meta["normalization_note"]``, which the CLI
prints), and the domain-shift reference of :mod:`~ivr_text.complaints.shift` (the training texts' character
pairs and two percentiles; :meth:`CauseModel.domain_shift` compares an input with it; files saved before it
load without one). A file from another taxonomy, an incompatible version, a truncated file or a non-model file
raises :class:`InputError` with one clear line.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.features import CharNgramTfidf, TokenTfidf, vectorizer_from_state
from ivr_text.complaints.rules import RuleClassifier, ranked_frame
from ivr_text.complaints.shift import ShiftReference, check_shift, fit_reference
from ivr_text.text import normalize_many
from ivr_text.text.regional import normalization_id
from ivr_text.complaints.taxonomy import Taxonomy, load_taxonomy, taxonomy_from_dict
from ivr_text.errors import InputError
from ivr_text.parallel import map_slices, worker_count

FORMAT = "ivr-text/cause-model"
FORMAT_VERSION = 2
#: Normalisation of models saved before it was recorded (format 2 files without ``normalization``): t2s only.
LEGACY_NORMALIZATION = "t2s"

#: Batches smaller than this are scored in the calling process (a worker pool costs ~0.1 s to start).
PARALLEL_MIN_TEXTS = 6000


@dataclass
class ModelConfig:
    """Fixed defaults; change them only with evidence from nested CV on your own data."""

    char_ngrams: tuple[int, int] = (1, 2)
    word_ngrams: tuple[int, int] | None = None
    min_df: int = 2
    max_df: float = 1.0
    use_rules: bool = False
    rule_scale: float = 0.1
    C: float = 1.0
    calibration_holdout: float = 0.2
    seed: int = 0
    n_jobs: int = -1

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
    vectorizers: list = field(default_factory=list)
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None
    temperature: float = 1.0
    meta: dict = field(default_factory=dict)
    shift_reference: ShiftReference | None = None

    # ------------------------------------------------------------------ features
    def _rules(self) -> RuleClassifier:
        if getattr(self, "_rule_clf", None) is None:
            self._rule_clf = RuleClassifier(self.taxonomy)
        return self._rule_clf

    def _blocks(self, norm: list[str], fit: bool):
        """Feature blocks from normalised texts; with ``fit`` the vectorisers are (re)built first."""
        cfg = self.config
        if fit:
            self.vectorizers = [CharNgramTfidf(cfg.char_ngrams, cfg.min_df, cfg.max_df)]
            if cfg.word_ngrams:
                self.vectorizers.append(TokenTfidf(cfg.word_ngrams, cfg.min_df, cfg.max_df))
        blocks = []
        for vec in self.vectorizers:
            docs = norm if vec.kind == "char" else _tokenizer().tokenize_many(norm, n_jobs=1, normalized=True)
            blocks.append(vec.fit_transform(docs) if fit else vec.transform(docs))
        if cfg.use_rules:
            from scipy import sparse

            scores = np.clip(self._rules().scores(norm), 0, None).astype(np.float32) * cfg.rule_scale
            blocks.append(sparse.csr_matrix(scores))
        return blocks

    def _features(self, norm: list[str], fit: bool = False):
        blocks = self._blocks(norm, fit)
        if len(blocks) == 1:
            return blocks[0]
        from scipy import sparse
        from sklearn.preprocessing import normalize

        return normalize(sparse.hstack(blocks, format="csr"), copy=False)

    def _decision(self, norm: list[str]) -> np.ndarray:
        X = self._features(norm)
        return np.asarray(X @ self.coef.T, dtype=np.float32) + self.intercept

    # ------------------------------------------------------------------ training
    def fit(self, texts: Sequence, labels: Sequence) -> "CauseModel":
        """Train on texts and their cause labels (every label must be a taxonomy class)."""
        labels = pd.Series(list(labels), dtype=object).astype(str).str.strip()
        unknown = sorted(set(labels) - set(self.taxonomy.labels))
        if unknown:
            raise InputError(f"labels not in taxonomy '{self.taxonomy.name}': {', '.join(unknown[:5])}"
                             f" (classes: {', '.join(self.taxonomy.labels)})")
        counts = labels.value_counts()
        if len(counts) < 2:
            raise InputError("training needs at least two different labels")
        if counts.min() < 2:
            thin = ", ".join(f"{k} ({v})" for k, v in counts[counts < 2].items())
            raise InputError(f"every class needs at least 2 examples to calibrate confidences; too few: {thin}")
        texts = list(texts)
        if len(texts) != len(labels):
            raise InputError(f"{len(texts)} texts but {len(labels)} labels")
        y = labels.to_numpy()
        norm = parallel_normalize(texts, self.config.n_jobs)
        X = self._features(norm, fit=True)
        self.classes_ = np.array(sorted(counts.index), dtype=object)
        self.coef, self.intercept, self.temperature, holdout_conf = _fit_calibrated_svm(X, y, self.classes_,
                                                                                        self.config)
        self.shift_reference = fit_reference(norm, holdout_conf)
        self._stamp(counts, len(y))
        return self

    def domain_shift(self, texts: Sequence, confidence: Sequence[float], *, normalized: bool = False,
                     max_texts: int = 20_000):
        """:class:`~ivr_text.complaints.shift.ShiftReport` of an input against the training data, from its texts
        and this model's top-class confidences on them (``predict_frame(...)["confidence"]``); at most
        ``max_texts`` evenly spaced texts are compared (the rates' standard error stays below 0.4%). None for
        a model saved before the reference was stored."""
        if self.shift_reference is None:
            return None
        texts, conf = list(texts), np.asarray(confidence, dtype=np.float64)
        if len(texts) > max_texts:
            idx = np.linspace(0, len(texts) - 1, max_texts).round().astype(int)
            texts, conf = [texts[i] for i in idx], conf[idx]
        norm = texts if normalized else normalize_many(texts)
        return check_shift(self.shift_reference, norm, conf)

    def _stamp(self, counts: pd.Series, n: int) -> None:
        import sklearn

        from ivr_text import __version__

        self.meta = {
            "format": FORMAT, "format_version": FORMAT_VERSION,
            "ivr_text": __version__, "sklearn": sklearn.__version__, "numpy": np.__version__,
            "taxonomy_name": self.taxonomy.name, "taxonomy_fingerprint": self.taxonomy.fingerprint,
            "classes": [str(c) for c in self.classes_], "temperature": float(self.temperature),
            "n_features": int(self.coef.shape[1]),
            "n_train": int(n), "class_counts": {str(k): int(v) for k, v in counts.items()},
            "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "config": self.config.to_dict(),
            "normalization": normalization_id(),
            "shift": self.shift_reference.to_meta() if self.shift_reference is not None else None,
        }

    # ------------------------------------------------------------------ prediction
    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.meta.get("classes", [])]

    def decision_function(self, texts: Sequence, n_jobs: int | None = None) -> np.ndarray:
        """Raw SVM scores (n_texts, n_classes); large batches are scored in worker processes."""
        if self.coef is None:
            raise InputError("the model is not trained; run 'ivr-text classify train' first")
        texts = list(texts)
        workers = worker_count(self.config.n_jobs if n_jobs is None else n_jobs)
        if workers > 1 and len(texts) >= PARALLEL_MIN_TEXTS:
            parts = map_slices(_score_chunk, self, texts, workers)
            return np.concatenate(parts) if parts else np.zeros((0, len(self.classes)), np.float32)
        return self._decision(normalize_many(texts))

    def predict_proba(self, texts: Sequence, n_jobs: int | None = None) -> np.ndarray:
        return _softmax(self.decision_function(texts, n_jobs) / self.temperature)

    def predict(self, texts: Sequence) -> np.ndarray:
        proba = self.predict_proba(texts)
        return np.asarray(self.classes, dtype=object)[proba.argmax(axis=1)]

    def predict_frame(self, texts: Sequence, top_k: int = 1, review_below: float | None = None,
                      n_jobs: int | None = None) -> pd.DataFrame:
        """cause, confidence, runner_up (+confidence), family, side, controllability [, top_causes, needs_review]."""
        return ranked_frame(self.predict_proba(texts, n_jobs), self.classes, self.taxonomy, top_k, review_below)


def _score_chunk(model: CauseModel, texts: list[str]) -> np.ndarray:
    return model._decision(normalize_many(texts))


def _normalize_chunk(_: object, texts: list[str]) -> list[str]:
    return normalize_many(texts)


def parallel_normalize(texts: list, n_jobs: int | None) -> list[str]:
    """``normalize_many`` over worker processes for large inputs (order kept)."""
    workers = worker_count(n_jobs)
    if workers > 1 and len(texts) >= PARALLEL_MIN_TEXTS:
        return [t for part in map_slices(_normalize_chunk, None, texts, workers) for t in part]
    return normalize_many(texts)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _svm(X, y, classes: np.ndarray, C: float, seed: int = 0):
    """One-vs-rest linear SVM → (coef (n_classes, n_features), intercept), float32, rows in ``classes`` order."""
    from sklearn.svm import LinearSVC

    # dual CD is fast on text ("auto" takes the primal when n > d); it visits rows in a random order: seeded, so
    # that training twice on the same texts gives the same model (unseeded, tiny inputs could flip predictions)
    clf = LinearSVC(C=C, dual=True, random_state=seed).fit(X, y)
    coef = np.asarray(clf.coef_, dtype=np.float32)
    intercept = np.asarray(clf.intercept_, dtype=np.float32)
    if len(clf.classes_) == 2:  # binary: one hyperplane; make it two symmetric scores
        coef = np.vstack([-coef, coef]) / 2
        intercept = np.concatenate([-intercept, intercept]) / 2
    order = [list(clf.classes_).index(c) for c in classes]
    return coef[order], intercept[order]


def _fit_calibrated_svm(X, y: np.ndarray, classes: np.ndarray, cfg: ModelConfig):
    """SVM on all rows plus a softmax temperature fitted on a stratified hold-out (two fits, two threads).

    Returns coef, intercept, temperature and the calibrated top-class confidences on the hold-out (the reference
    of what confidences on unseen texts of the training source look like)."""
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.model_selection import train_test_split

    n_classes = len(classes)
    n_hold = max(int(round(cfg.calibration_holdout * len(y))), n_classes)
    if n_hold >= len(y) - n_classes:
        n_hold = None  # too small to hold out: calibrate in-sample (over-confident, but only on toy data)
    if n_hold is not None:
        tr, te = train_test_split(np.arange(len(y)), test_size=n_hold, stratify=y, random_state=cfg.seed)
        tr_classes = np.unique(y[tr])
    with ThreadPoolExecutor(max_workers=2 if worker_count(cfg.n_jobs) > 1 else 1) as pool:
        full = pool.submit(_svm, X, y, classes, cfg.C, cfg.seed)
        part = pool.submit(_svm, X[tr], y[tr], tr_classes, cfg.C, cfg.seed) if n_hold is not None else None
        coef, intercept = full.result()
        if part is not None:
            pc, pi = part.result()
            scores = np.full((len(te), n_classes), -1e3, dtype=np.float64)
            cols = [list(classes).index(c) for c in tr_classes]
            scores[:, cols] = np.asarray(X[te] @ pc.T) + pi
            target = np.searchsorted(classes, y[te])
        else:
            scores = np.asarray(X @ coef.T) + intercept
            target = np.searchsorted(classes, y)
    temperature = _fit_temperature(scores, target)
    return coef, intercept, temperature, _softmax(scores / temperature).max(axis=1)


def _fit_temperature(scores: np.ndarray, target: np.ndarray) -> float:
    """Temperature T > 0 minimising the negative log-likelihood of softmax(scores / T)."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        z = scores / np.exp(log_t)
        z = z - z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(target)), target] - np.log(np.exp(z).sum(axis=1))).mean())

    res = minimize_scalar(nll, bounds=(np.log(0.01), np.log(100.0)), method="bounded")
    return float(np.exp(res.x))


# ---------------------------------------------------------------------------------------------- files

def save_model(model: CauseModel, path: str | Path) -> Path:
    """Write a trained model as a skops archive of NumPy arrays and JSON (no pickle, no estimator objects)."""
    import skops.io as sio

    if model.coef is None:
        raise InputError("cannot save an untrained model")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    vec_states = [v.get_state() for v in model.vectorizers]
    state = {
        "meta_json": json.dumps(model.meta, ensure_ascii=False),
        "taxonomy_json": json.dumps(model.taxonomy.to_dict(), ensure_ascii=False),
        "vectorizers_json": json.dumps([{k: v for k, v in s.items() if k not in ("vocab", "idf")}
                                        for s in vec_states]),
        "coef": model.coef, "intercept": model.intercept,
    }
    for i, s in enumerate(vec_states):
        state[f"vocab_{i}"] = s["vocab"]
        state[f"idf_{i}"] = s["idf"]
    if model.shift_reference is not None:
        state["shift_vocab"] = model.shift_reference.vocab
    sio.dump(state, path)
    return path


def load_model(path: str | Path, taxonomy: Taxonomy | None = None) -> CauseModel:
    """Load a model file safely; with ``taxonomy`` also check that it was trained on that taxonomy."""
    from ivr_text.model_files import load_archive

    path = Path(path)
    state, meta = load_archive(path, FORMAT, FORMAT_VERSION, "cause model", "ivr-text classify train")
    stored_tax = taxonomy_from_dict(json.loads(state["taxonomy_json"]), source=f"{path} (stored taxonomy)")
    if taxonomy is not None and taxonomy.fingerprint != meta.get("taxonomy_fingerprint"):
        raise InputError(f"{path}: model was trained with taxonomy '{meta.get('taxonomy_name')}' "
                         f"({str(meta.get('taxonomy_fingerprint'))[:12]}), not with {taxonomy.source} "
                         f"({taxonomy.fingerprint[:12]}); retrain or pass the matching --taxonomy")
    try:
        vectorizers = [vectorizer_from_state({**s, "vocab": state[f"vocab_{i}"], "idf": state[f"idf_{i}"]})
                       for i, s in enumerate(json.loads(state["vectorizers_json"]))]
        coef = np.asarray(state["coef"], dtype=np.float32)
        intercept = np.asarray(state["intercept"], dtype=np.float32)
        n_classes = len(meta["classes"])
        if coef.shape != (n_classes, int(meta["n_features"])) or intercept.shape != (n_classes,):
            raise ValueError("shapes")
        temperature = float(meta["temperature"])
    except (KeyError, ValueError, TypeError):
        raise InputError(f"{path}: damaged ivr-text cause model (inconsistent arrays); retrain") from None
    config = ModelConfig.from_dict(meta.get("config", {}))
    meta = {**meta, "normalization": meta.get("normalization", LEGACY_NORMALIZATION)}
    if meta["normalization"] != normalization_id():
        meta["normalization_note"] = (
            f"model trained with text normalisation {meta['normalization']}, this ivr-text uses "
            f"{normalization_id()}: only texts with Taiwan/Hong Kong words (网路, 讯号, 软体, ...) are featurised "
            "differently; retrain with 'ivr-text classify train' to use the current one")
    shift = None
    if isinstance(meta.get("shift"), dict) and "shift_vocab" in state:  # models saved before it have none
        try:
            shift = ShiftReference.from_meta(meta["shift"], state["shift_vocab"])
        except (KeyError, ValueError, TypeError):
            raise InputError(f"{path}: damaged ivr-text cause model (domain-shift reference); retrain") from None
    model = CauseModel(stored_tax, config, vectorizers, coef, intercept, temperature, meta, shift)
    model.classes_ = np.array(meta["classes"], dtype=object)
    return model
