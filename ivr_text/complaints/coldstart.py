"""Cold start that generalises: the keyword rules label the texts they are sure of, a character n-gram model
trained on those labels classifies the rest (weak supervision / self-training, no labelled data needed).

Keyword lists fit the file they were written from: on unseen orders they miss whatever is phrased another way.
:class:`ColdStartClassifier` uses the rules only as a seed:

1. Rule scores (:class:`~ivr_text.complaints.rules.RuleClassifier`) for every input text. A text is a *seed*
   when its best class scores at least ``min_score`` and leads the runner-up by ``min_margin`` (a sum of
   keyword weights; one strong keyword or two weak ones agreeing).
2. A :class:`~ivr_text.complaints.model.CauseModel` (character n-gram TF-IDF, linear SVM, temperature-calibrated
   confidences on a hold-out of the seeds) is trained on the seeds and scores every text; it learns the other
   words that go with each class in *this* input (the n-grams next to the keywords), so texts without any
   keyword get a class too. Classes with fewer than ``min_seeds`` seeds are left to the rules.
3. ``rounds`` > 1: the texts the model is most confident about (at least ``self_train_confidence``) join the
   seeds and the model is refitted (self-training; off by default: it added nothing measurable).
4. A check that the model generalises the rules rather than something else (on short car-complaint titles a
   seed model learned brand names): on the matched texts that were not seeds, the model's classes must agree
   with the rules' own (unsure) choices beyond chance, Cohen's kappa ≥ ``min_kappa`` (0.3, "fair" agreement;
   measured: COCC work orders 0.30–0.45, car titles 0.06–0.32). Otherwise the rules decide alone and
   ``info_["fallback"]`` says why.
5. Prediction: seeds keep the rules' class; other matched texts get the product of the two experts (rule
   softmax × model probability, renormalised); texts without any keyword get the model's class. Confidence is
   the combined probability with the two experts weighted ½ each (a geometric mean: the model learned the
   keywords from the same texts, so a plain product counts that evidence twice), and a text the model was
   trained on is scored by a twin model fitted without it (two folds of the training texts, split by text so
   copies stay together): in-sample probabilities are near 1 whatever the truth. On the COCC dev orders
   (labels used only to check): mean confidence 0.93 → 0.76 against an accuracy of 0.70, expected
   calibration error 0.21 → 0.07 (seeds 0.82 vs accuracy 0.74, model decisions 0.58 vs 0.58); the causes are
   unchanged. The twins cost two more fits on half the training texts each.

The output has the rule columns plus ``source`` (``rules``: a seed, labelled by its keywords; ``model``: the
combined decision; ``none``: neither rules nor a model could say) and ``confidence``. Texts
are classified by what the whole input teaches, so the result for one text can depend on the others
(``fit`` + ``predict_frame`` on different texts works too). Guarantees: deterministic for given texts and
config; falls back to the rules alone (with a reason in ``info_``) when fewer than two classes have seeds.

Measured (``benchmarks/bench_coldstart.py``): see the README (rules mined from one half of the COCC dev orders,
scored on the other half; the non-telecom car complaints for robustness).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.rules import RuleClassifier, ranked_frame, softmax
from ivr_text.complaints.taxonomy import Taxonomy, load_taxonomy
from ivr_text.errors import InputError

__all__ = ["ColdStartConfig", "ColdStartClassifier", "predict_without_model"]


@dataclass
class ColdStartConfig:
    """When a rule decision is a seed, and the learned model's settings. General defaults, not fitted to a file."""

    min_score: float = 2.0         # best rule score of a seed (sum of keyword weights)
    min_margin: float = 1.0        # lead over the runner-up class
    min_seeds: int = 10            # a class needs this many seeds to be learned
    rounds: int = 1                # 1 = seeds only; 2 = one self-training round
    self_train_confidence: float = 0.9
    min_kappa: float = 0.3         # agreement beyond chance with the rules on held-out matched texts
    min_check_texts: int = 20      # fewer such texts: the check is skipped (reported as None)
    char_ngrams: tuple[int, int] = (1, 3)
    C: float = 0.5
    seed: int = 0
    n_jobs: int = 1

    def __post_init__(self):
        if self.rounds < 1 or self.min_seeds < 2:
            raise InputError("cold start: rounds must be at least 1 and min_seeds at least 2")


@dataclass
class ColdStartClassifier:
    """Rules as a seed, a character n-gram model learned from the input's own texts (see the module docstring)."""

    taxonomy: Taxonomy = field(default_factory=load_taxonomy)
    config: ColdStartConfig = field(default_factory=ColdStartConfig)

    def _rules(self) -> RuleClassifier:
        if getattr(self, "rules_", None) is None:
            self.rules_ = RuleClassifier(self.taxonomy)
        return self.rules_

    def seed_mask(self, scores: np.ndarray) -> np.ndarray:
        """Texts the rules are sure of: best score ≥ ``min_score`` and ahead of the runner-up by ``min_margin``."""
        if not len(scores):
            return np.zeros(0, dtype=bool)
        top2 = -np.sort(-scores, axis=1)[:, :2] if scores.shape[1] > 1 else np.c_[scores, np.zeros(len(scores))]
        return (top2[:, 0] >= self.config.min_score) & (top2[:, 0] - top2[:, 1] >= self.config.min_margin)

    def fit(self, texts: Sequence, normalized: bool = False) -> "ColdStartClassifier":
        """Learn from unlabelled texts: seeds from the rules, the model, self-training rounds, the agreement check."""
        from ivr_text.complaints.model import CauseModel, ModelConfig
        from ivr_text.text import normalize_many

        cfg = self.config
        norm = list(texts) if normalized else normalize_many(texts)
        rules = self._rules()
        scores = rules.scores(norm)
        seeds = self.seed_mask(scores)
        labels = np.asarray(rules.labels, dtype=object)
        rule_best = labels[scores.argmax(axis=1)] if len(norm) else labels[:0]
        y = np.where(seeds, rule_best, None)
        self.model_ = None
        self.info_ = {"texts": len(norm), "seeds": int(seeds.sum()), "rounds": []}
        model_cfg = ModelConfig(char_ngrams=cfg.char_ngrams, C=cfg.C, seed=cfg.seed, n_jobs=cfg.n_jobs)
        model = None
        for r in range(cfg.rounds):
            known = pd.Series(y[y != None]).value_counts()  # noqa: E711 - object array
            learnable = known[known >= cfg.min_seeds].index
            if len(learnable) < 2:
                self.info_["fallback"] = (f"rules only: {len(learnable)} class(es) with at least {cfg.min_seeds} "
                                          "texts the rules are sure of")
                return self
            rows = np.flatnonzero(np.isin(y, learnable))
            model = CauseModel(self.taxonomy, model_cfg).fit([norm[i] for i in rows], y[rows].tolist())
            self.info_["rounds"].append({"training_texts": int(len(rows)),
                                         "per_class": {str(k): int(v) for k, v in known[learnable].items()}})
            if r + 1 == cfg.rounds:
                break
            proba = _proba(model, norm)
            add = (y == None) & (proba.max(axis=1) >= cfg.self_train_confidence)  # noqa: E711
            if not add.any():
                break
            y = y.copy()
            y[add] = np.asarray(model.classes, dtype=object)[proba.argmax(axis=1)[add]]
        # does the model generalise the rules beyond its seeds? Agreement with the rules' own (unsure) decisions
        # on the matched texts it was not trained on, beyond chance (Cohen's kappa)
        unsure = (scores.max(axis=1, initial=0.0) > 0) & ~seeds & np.isin(rule_best, model.classes)
        if len(norm):
            unsure &= y == None  # noqa: E711 - texts self-training added are not held out
        kappa = None
        if unsure.sum() >= cfg.min_check_texts:
            pred = np.asarray(model.classes, dtype=object)[_proba(model, [norm[i] for i in np.flatnonzero(unsure)])
                                                           .argmax(axis=1)]
            kappa = _kappa(rule_best[unsure], pred)
        self.info_["agreement_texts"] = int(unsure.sum())
        self.info_["agreement_kappa"] = None if kappa is None else round(float(kappa), 4)
        if kappa is not None and kappa < cfg.min_kappa:
            self.info_["fallback"] = (f"rules only: the model learned from the seeds agrees with the rules on "
                                      f"{int(unsure.sum())} other matched texts no better than chance would "
                                      f"(kappa {kappa:.2f} < {cfg.min_kappa}); it learned something else")
            return self
        self.model_ = model
        self._fit_twins(norm, rows, y[rows], model_cfg)
        return self

    def _fit_twins(self, norm: list[str], rows: np.ndarray, y: np.ndarray, model_cfg) -> None:
        """Two models, each trained without one half of the training texts (halves by text, so copies of a text
        share one), to score those texts out of sample; {text: half} says which twin to use."""
        import zlib

        from ivr_text.complaints.model import CauseModel

        self.twins_, self.twin_of_ = [], {}
        half = np.array([zlib.crc32(norm[i].encode("utf-8", "surrogatepass")) % 2 for i in rows])
        for h in (0, 1):
            train = rows[half != h]
            counts = pd.Series(y[half != h]).value_counts()
            if len(counts) < 2 or counts.min() < 2:
                self.twins_, self.twin_of_ = [], {}
                return  # too few texts to split: in-sample scores are used
            self.twins_.append(CauseModel(self.taxonomy, model_cfg).fit([norm[i] for i in train],
                                                                        y[half != h].tolist()))
        self.twin_of_ = {norm[i]: int(h) for i, h in zip(rows, half)}

    def _model_proba(self, norm: list[str], labels: list[str]) -> np.ndarray:
        """Model probabilities in ``labels`` order; texts the model was trained on are scored by their twin."""
        full = _full(self.model_, _proba(self.model_, norm), labels)
        twin_of = getattr(self, "twin_of_", {})
        for h, twin in enumerate(getattr(self, "twins_", [])):
            idx = [i for i, t in enumerate(norm) if twin_of.get(t) == h]
            if idx:
                full[idx] = _full(twin, _proba(twin, [norm[i] for i in idx]), labels)
        return full

    def predict_frame(self, texts: Sequence, top_k: int = 1, review_below: float | None = None,
                      normalized: bool = False) -> pd.DataFrame:
        """cause, confidence, runner-up, family, ..., ``matched_keywords`` and ``source`` (rules / model / none)."""
        from ivr_text.text import normalize_many

        if not hasattr(self, "info_"):
            raise InputError("the cold-start classifier is not fitted; call fit(texts) first")
        norm = list(texts) if normalized else normalize_many(texts)
        rules = self._rules()
        rule_frame = rules.predict_frame(norm, top_k=top_k, review_below=review_below, normalized=True)
        if self.model_ is None:
            rule_frame["source"] = np.where(rule_frame["confidence"].to_numpy() > 0, "rules", "none")
            return rule_frame
        scores = rules.scores(norm)
        seeds = self.seed_mask(scores)
        matched = scores.max(axis=1, initial=0.0) > 0
        labels = rules.labels
        full = self._model_proba(norm, labels)
        # matched texts: product of the two experts (rule softmax × model), each weighted ½, renormalised;
        # unmatched: the model
        joint = np.where(matched[:, None], 0.5 * (np.log(np.clip(full, 1e-12, None)) + np.log(softmax(scores) + 1e-12))
                         if len(norm) else full, np.log(np.clip(full, 1e-12, None)))
        combined = softmax(joint) if len(norm) else joint
        out = ranked_frame(combined, labels, self.taxonomy, top_k, None)
        # the rules' sure decisions stand (their keywords are the evidence), with the combined confidence
        rule_cause = rule_frame["cause"].to_numpy()
        flip = seeds & (out["cause"].to_numpy() != rule_cause)
        if flip.any():
            idx = np.flatnonzero(flip)
            for col in ("cause", "runner_up", "family", "side", "controllability"):
                out.loc[idx, col] = rule_frame.loc[idx, col].to_numpy()
            chosen = [labels.index(c) for c in rule_cause[idx]]
            out.loc[idx, "confidence"] = np.round(combined[idx, chosen], 4)
            out.loc[idx, "runner_up_confidence"] = rule_frame.loc[idx, "runner_up_confidence"].to_numpy()
        if review_below is not None:
            out["needs_review"] = out["confidence"].to_numpy() < float(review_below)
        out["matched_keywords"] = rule_frame["matched_keywords"].to_numpy()
        out["source"] = np.where(seeds, "rules", "model")
        return out


def predict_without_model(texts: Sequence, taxonomy: Taxonomy | None = None, *, rules_only: bool = False,
                          top_k: int = 1, review_below: float | None = None, n_jobs: int = 1,
                          config: ColdStartConfig | None = None) -> tuple[pd.DataFrame, str, str]:
    """Predictions without a trained model → (frame, method in words, note or "").

    ``rules_only``: the keyword rules alone (the behaviour before cold start learned); else
    :class:`ColdStartClassifier` fitted on ``texts`` themselves (the note says when it fell back to the rules)."""
    from ivr_text.text import normalize_many

    taxonomy = taxonomy or load_taxonomy()
    if rules_only:
        return (RuleClassifier(taxonomy).predict_frame(texts, top_k=top_k, review_below=review_below),
                "keyword rules (cold start, --rules-only)", "")
    cfg = config or ColdStartConfig(n_jobs=n_jobs)
    norm = normalize_many(texts)
    clf = ColdStartClassifier(taxonomy, cfg).fit(norm, normalized=True)
    info = clf.info_
    pred = clf.predict_frame(norm, top_k=top_k, review_below=review_below, normalized=True)
    if "fallback" in info:
        return pred, f"keyword rules (cold start; {info['seeds']:,} of {info['texts']:,} texts matched surely)", \
            info["fallback"]
    kappa = info["agreement_kappa"]
    method = (f"cold start: keyword rules on the {info['seeds']:,} texts they are sure of, a model learned from "
              f"them for the other {info['texts'] - info['seeds']:,} (agreement with the rules on "
              f"{info['agreement_texts']:,} unsure texts: kappa {'n/a' if kappa is None else f'{kappa:.2f}'})")
    return pred, method, ""


def _kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two label arrays (1 = always agree, 0 = as often as chance would)."""
    a = np.asarray(a, dtype=object)
    b = np.asarray(b, dtype=object)
    observed = float(np.mean(a == b))
    values = set(a) | set(b)
    chance = sum(float(np.mean(a == v)) * float(np.mean(b == v)) for v in values)
    return 1.0 if chance >= 1.0 else (observed - chance) / (1.0 - chance)


def _full(model, proba: np.ndarray, labels: list[str]) -> np.ndarray:
    """A model's probabilities spread over all ``labels``; classes it could not learn get its smallest
    probability in the row (neither for nor against)."""
    full = np.empty((len(proba), len(labels)))
    cols = [labels.index(c) for c in model.classes]
    known = np.zeros(len(labels), dtype=bool)
    known[cols] = True
    full[:, cols] = proba
    full[:, ~known] = proba.min(axis=1, keepdims=True) if len(proba) else 0.0
    return full


def _proba(model, norm: list[str]) -> np.ndarray:
    """Calibrated class probabilities of already normalised texts."""
    from ivr_text.complaints.model import _softmax

    if not norm:
        return np.zeros((0, len(model.classes)))
    return _softmax(model._decision(norm) / model.temperature)
