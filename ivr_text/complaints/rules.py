"""Cold-start cause classification from the taxonomy's keyword rules (no labelled data needed).

Each class scores the sum of the weights of its keywords found in the normalised text (a term counts once;
negative weights argue against) plus its ``all_of`` rules whose terms all occur. Scores become confidences by
a softmax over the classes; a text with no positive score gets the taxonomy's ``unmatched_label`` and
confidence 0. ``matched_keywords`` lists the terms and rules that voted for the chosen cause, so every
decision can be explained. All terms are found in one Aho–Corasick pass per text (pyahocorasick; overlapping
and nested terms all count).

Negation: texts and keywords are both matched in their negation view
(:meth:`~ivr_text.text.negation.Negation.rule_view`: 没有到账 / 没到账 → 未到账, 不能上网 → 无法上网), so a keyword
matches however the customer phrased the negation; spellings with one view (没有订购, 未订购) are one term, named
in ``matched_keywords`` by its view. On the COCC dev orders the view moves the default taxonomy's macro-F1 from
0.6486 to 0.6475 (that taxonomy was written from them) and rules mined on 4/5 and scored on the held-out fifth
from 0.6997 to 0.7063.
Handles, topics, URLs and repost markers never reach the rules: normalisation drops them (:mod:`ivr_text.text.social`).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.taxonomy import Taxonomy, load_taxonomy
from ivr_text.text import normalize_many
from ivr_text.text.negation import default_negation


def softmax(scores: np.ndarray) -> np.ndarray:
    z = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def ranked_frame(proba: np.ndarray, labels: Sequence[str], taxonomy: Taxonomy, top_k: int = 1,
                 review_below: float | None = None, unmatched: np.ndarray | None = None) -> pd.DataFrame:
    """Turn class probabilities into the prediction columns shared by rules and models.

    Columns: cause, confidence, runner_up, runner_up_confidence, family, side, controllability, and with
    ``top_k > 1`` ``top_causes`` ("a:0.61|b:0.22"); with ``review_below`` a boolean ``needs_review``.
    """
    labels = np.asarray(list(labels), dtype=object)
    n = proba.shape[0]
    order = np.argsort(-proba, axis=1, kind="stable")
    rows = np.arange(n)
    cause = labels[order[:, 0]] if n else np.array([], dtype=object)
    conf = proba[rows, order[:, 0]] if n else np.array([], dtype=float)
    second = order[:, 1] if proba.shape[1] > 1 else order[:, 0]
    runner = labels[second] if n else np.array([], dtype=object)
    runner_conf = proba[rows, second] if n else np.array([], dtype=float)
    if unmatched is not None and unmatched.any():
        cause = cause.copy()
        conf = conf.copy()
        runner = runner.copy()
        runner_conf = runner_conf.copy()
        cause[unmatched] = taxonomy.unmatched_label
        conf[unmatched] = 0.0
        runner[unmatched] = ""
        runner_conf[unmatched] = 0.0
    out = pd.DataFrame({"cause": cause, "confidence": np.round(conf.astype(float), 4),
                        "runner_up": runner, "runner_up_confidence": np.round(runner_conf.astype(float), 4)})
    fam = taxonomy.family_table()
    for key in ("family", "side", "controllability"):
        out[key] = [fam.get(c, {}).get(key, "") for c in out["cause"]]
    if top_k and top_k > 1:
        k = min(top_k, proba.shape[1])
        out["top_causes"] = ["|".join(f"{labels[j]}:{proba[i, j]:.3f}" for j in order[i, :k])
                             for i in range(n)]
    if review_below is not None:
        out["needs_review"] = out["confidence"].to_numpy() < float(review_below)
    return out


class RuleClassifier:
    """Keyword-rule classifier over a :class:`Taxonomy` (cold start)."""

    def __init__(self, taxonomy: Taxonomy | None = None):
        self.taxonomy = taxonomy or load_taxonomy()
        self.labels = self.taxonomy.labels
        view = default_negation().rule_view
        # one column per term in its negation view: 没有订购 and 未订购 are one term (a text matching both would
        # otherwise count the class twice); a class keeps the larger weight of the spellings it lists
        terms: dict[str, int] = {}
        for c in self.taxonomy.classes:
            for t in list(c.keywords) + [t for r in c.all_of for t in r.terms]:
                terms.setdefault(view(t), len(terms))
        self.terms = list(terms)
        self.weights = np.zeros((len(self.terms), len(self.labels)))
        for j, c in enumerate(self.taxonomy.classes):
            seen: set[int] = set()
            for t, w in c.keywords.items():
                k = terms[view(t)]
                self.weights[k, j] = max(self.weights[k, j], w) if k in seen else w
                seen.add(k)
        self.co_rules = [(j, [terms[view(t)] for t in r.terms], r.weight, r.label)
                         for j, c in enumerate(self.taxonomy.classes) for r in c.all_of]

    # ------------------------------------------------------------------ matching
    def term_matrix(self, normalized: Sequence[str]) -> np.ndarray:
        """Boolean (n_texts, n_terms): does term ``t`` occur in text ``i`` (one Aho–Corasick pass per text)."""
        automaton = self._automaton()
        view = default_negation().rule_view
        rows: list[int] = []
        cols: list[int] = []
        for i, text in enumerate(normalized):
            if text:
                for _, t in automaton.iter(view(text)):
                    rows.append(i)
                    cols.append(t)
        out = np.zeros((len(normalized), len(self.terms)), dtype=bool)
        out[rows, cols] = True
        return out

    def _automaton(self):
        if getattr(self, "_ac", None) is None:
            import ahocorasick

            ac = ahocorasick.Automaton()
            for t, term in enumerate(self.terms):
                ac.add_word(term, t)
            if self.terms:
                ac.make_automaton()
            self._ac = ac
        return self._ac

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_ac"}  # rebuilt on first use

    def scores(self, normalized: Sequence[str], matches: np.ndarray | None = None) -> np.ndarray:
        """Rule score per class, shape (n_texts, n_classes), from already normalised texts."""
        m = self.term_matrix(normalized) if matches is None else matches
        s = m.astype(np.float64) @ self.weights
        for j, idx, w, _ in self.co_rules:
            s[:, j] += w * m[:, idx].all(axis=1)
        return s

    # ------------------------------------------------------------------ prediction
    def predict_frame(self, texts: Sequence, top_k: int = 1, review_below: float | None = None,
                      normalized: bool = False) -> pd.DataFrame:
        """Cause per text with confidence, runner-up, family and ``matched_keywords`` (what fired)."""
        norm = list(texts) if normalized else normalize_many(texts)
        m = self.term_matrix(norm)
        s = self.scores(norm, m)
        unmatched = s.max(axis=1, initial=0.0) <= 0 if len(norm) else np.zeros(0, dtype=bool)
        out = ranked_frame(softmax(s) if len(norm) else s, self.labels, self.taxonomy, top_k, review_below,
                           unmatched)
        out["matched_keywords"] = self._explain(m, s, unmatched)
        return out

    def predict(self, texts: Sequence) -> np.ndarray:
        return self.predict_frame(texts)["cause"].to_numpy()

    def _explain(self, m: np.ndarray, s: np.ndarray, unmatched: np.ndarray) -> list[str]:
        best = s.argmax(axis=1) if len(s) else np.zeros(0, dtype=int)
        positive = self.weights > 0
        out = []
        for i in range(len(m)):
            if unmatched[i]:
                out.append("")
                continue
            j = best[i]
            hits = [self.terms[t] for t in np.flatnonzero(m[i] & positive[:, j])]
            hits += [label for cj, idx, w, label in self.co_rules if cj == j and w > 0 and m[i, idx].all()]
            out.append("|".join(hits))
        return out
