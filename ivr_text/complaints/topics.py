"""Complaint topics: LDA (gensim) over normalised tokens, overall and within each cause, with coherence.

Finds the themes customers talk about, including ones the cause taxonomy has no keywords for. For each
topic: top words with weights, share of texts whose dominant topic it is, mean topic mass, coherence,
taxonomy keywords among its top words (none = a candidate new theme), the cause its texts mostly carry,
and masked example texts.

Guarantees:
- deterministic for a seed (same input, parameters and seed → same topics and assignments);
- the number of topics is given or chosen over a small range by coherence × topic diversity (so k is not
  inflated by near-duplicate topics), fitted on a seeded sample of at most ``auto_sample`` texts, then
  refitted on all;
- coherence is computed from the corpus itself (document co-occurrence), no external data: ``c_npmi``
  (NPMI of top-word pairs, -1..1, higher = more coherent) or ``u_mass`` (gensim's definition, ≤ 0);
- a corpus too small for the asked number of topics raises :class:`InputError` with what would fit;
- texts with no kept token get topic -1 (never forced into a topic).

Speed (2-core machine under load, ``benchmarks/bench_topics.py --size 1000000``): LDA with k=10, one pass,
plus the dominant topic of every text: 1 M short texts in 75 s (~13 k texts/s); the vectorised E-step is
×6 faster than gensim's per-document loop on the same 20 k texts (same updates; equal topics in tests).
Choosing k fits one model per candidate on a ≤ 50 k sample. Peak RSS 1.2 GB for 1 M texts, mostly the
input table; the corpus arrays take 77 MB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.corpus import BowCorpus
from ivr_text.errors import InputError

EPSILON = 1e-12  # as in gensim.topic_coherence


@dataclass
class TopicConfig:
    """Parameters of the topic model (all settable from the CLI or a YAML file)."""

    k: int | None = None            # number of topics; None = choose by coherence in k_range
    k_range: tuple[int, int] = (2, 10)
    k_by: int | None = None         # topics within each group; None = choose in k_range_by
    k_range_by: tuple[int, int] = (2, 6)
    passes: int = 5
    min_updates: int = 50           # small corpora get smaller chunks or more passes (see schedule)
    iterations: int = 100
    chunksize: int = 4000
    alpha: str | float = "symmetric"
    eta: str | float | None = None
    seed: int = 0
    engine: str = "vectorized"      # "vectorized" (chunk-wise E-step) or "gensim" (gensim's own loop)
    no_below: int = 3               # drop terms in fewer texts
    no_above: float = 0.5           # drop terms in more than this share of texts
    keep_n: int = 20_000
    top_n: int = 10
    n_examples: int = 3
    example_chars: int = 120
    coherence: str = "c_npmi"       # or "u_mass"
    min_docs_per_topic: int = 10
    min_terms_per_topic: int = 3
    auto_sample: int = 50_000
    min_group_docs: int = 30        # groups with fewer usable texts are skipped (reported)

    def __post_init__(self):
        if self.engine not in ("vectorized", "gensim"):
            raise InputError(f"engine must be vectorized or gensim, not {self.engine!r}")
        if self.coherence not in ("c_npmi", "u_mass"):
            raise InputError(f"coherence must be c_npmi or u_mass, not {self.coherence!r}")
        if self.k is not None and self.k < 1:
            raise InputError(f"number of topics must be ≥ 1, not {self.k}")
        lo, hi = self.k_range
        if not 1 <= lo <= hi:
            raise InputError(f"topic range {lo}..{hi} is empty")


@dataclass
class TopicModelResult:
    """One fitted model: topic table, dominant topic per document, coherence and run info."""

    topics: pd.DataFrame
    doc_topic: np.ndarray        # dominant topic per document (-1 = empty document)
    doc_prob: np.ndarray         # its probability
    info: dict = field(default_factory=dict)
    model: object = None


# ------------------------------------------------------------------------------------------ coherence


def topic_coherence(x_bin, top_ids: Sequence[Sequence[int]], measure: str = "c_npmi") -> np.ndarray:
    """Coherence of each topic's top words from document co-occurrence in ``x_bin`` (docs × terms, 0/1).

    ``u_mass`` follows gensim (pairs of a word with each higher-ranked word, log conditional probability);
    ``c_npmi`` is NPMI averaged over all pairs, with documents as the co-occurrence window.
    """
    n_docs = x_bin.shape[0]
    xc = x_bin.tocsc()
    out = []
    for ids in top_ids:
        ids = list(ids)
        if len(ids) < 2 or n_docs == 0:
            out.append(np.nan)
            continue
        sub = xc[:, ids]
        co = np.asarray((sub.T @ sub).todense(), dtype=float)
        df = np.diag(co).copy()
        vals = []
        for i in range(1, len(ids)):
            for j in range(i):
                if measure == "u_mass":
                    vals.append(np.log((co[i, j] / n_docs + EPSILON) / (df[j] / n_docs)))
                else:
                    p_ij = co[i, j] / n_docs
                    pmi = np.log((p_ij + EPSILON) / ((df[i] / n_docs) * (df[j] / n_docs)))
                    vals.append(pmi / -np.log(p_ij + EPSILON))
        out.append(float(np.mean(vals)))
    return np.asarray(out)


def topic_diversity(top_ids: Sequence[Sequence[int]]) -> float:
    """Share of distinct words among all topics' top words (1 = no two topics share a top word)."""
    words = [w for ids in top_ids for w in ids]
    return len(set(words)) / len(words) if words else float("nan")


def topic_quality(coherence: float, diversity: float) -> float:
    """Coherence weighted by diversity (Dieng et al. 2020), so k is not inflated by near-duplicate topics.

    For negative coherences (u_mass) dividing by diversity penalises duplicates the same way.
    """
    return coherence * diversity if coherence >= 0 else coherence / max(diversity, 1e-9)


# ------------------------------------------------------------------------------------------ fitting


def max_topics(corpus: BowCorpus, cfg: TopicConfig) -> int:
    """The most topics this corpus supports (enough non-empty texts and terms per topic)."""
    n_docs = int((corpus.doc_lengths() > 0).sum())
    return min(n_docs // cfg.min_docs_per_topic, corpus.n_terms // cfg.min_terms_per_topic)


def _too_small(corpus: BowCorpus, cfg: TopicConfig, k: int, what: str) -> InputError:
    n_docs = int((corpus.doc_lengths() > 0).sum())
    fit = max_topics(corpus, cfg)
    hint = f"use --topics {fit} or fewer" if fit >= 2 else "add more texts"
    return InputError(
        f"{what}: corpus too small for {k} topics: {n_docs:,} texts with kept words and a vocabulary of "
        f"{corpus.n_terms:,} terms after filtering (need {cfg.min_docs_per_topic} texts and "
        f"{cfg.min_terms_per_topic} terms per topic); {hint}")


def _lda_class():
    """gensim ``LdaModel`` whose E-step runs over a whole chunk at once (numpy) instead of doc by doc.

    Same updates, initialisation (``random_state``) and per-document convergence rule as gensim's
    ``LdaModel.inference``; ~10-20× faster on short texts, which makes 1 M texts feasible.
    """
    global _VectorizedLda
    if _VectorizedLda is not None:
        return _VectorizedLda
    from gensim.matutils import dirichlet_expectation
    from gensim.models import LdaModel

    class VectorizedLda(LdaModel):
        def inference(self, chunk, collect_sstats=False):
            chunk = list(chunk)
            n_docs, k = len(chunk), self.num_topics
            lengths = np.fromiter((len(d) for d in chunk), dtype=np.int64, count=n_docs)
            ids = np.fromiter((i for d in chunk for i, _ in d), dtype=np.int64, count=int(lengths.sum()))
            cts = np.fromiter((c for d in chunk for _, c in d), dtype=self.dtype, count=len(ids))
            row = np.repeat(np.arange(n_docs), lengths)
            gamma = self.random_state.gamma(100., 1. / 100., (n_docs, k)).astype(self.dtype, copy=False)
            exp_theta = np.exp(dirichlet_expectation(gamma))
            eps = np.finfo(self.dtype).eps
            eb = self.expElogbeta[:, ids].T  # nnz × k
            phinorm = np.einsum("nk,nk->n", exp_theta[row], eb) + eps
            active = np.arange(n_docs)
            a_row, a_eb, a_cts, a_nnz = row, eb, cts, np.arange(len(ids))
            local = row
            for _ in range(self.iterations):
                if not len(active):
                    break
                contrib = (a_cts / phinorm[a_nnz])[:, None] * a_eb
                sums = np.bincount((local[:, None] * k + np.arange(k)).ravel(), weights=contrib.ravel(),
                                   minlength=len(active) * k).reshape(len(active), k)
                new_gamma = (self.alpha + exp_theta[active] * sums).astype(self.dtype, copy=False)
                change = np.abs(new_gamma - gamma[active]).mean(axis=1)
                gamma[active] = new_gamma
                exp_theta[active] = np.exp(dirichlet_expectation(new_gamma))
                phinorm[a_nnz] = np.einsum("nk,nk->n", exp_theta[a_row], a_eb) + eps
                still = change >= self.gamma_threshold
                if not still.all():
                    keep = still[local]
                    position = np.cumsum(still) - 1  # new local index of each still-active document
                    active = active[still]
                    a_row, a_eb, a_cts, a_nnz = a_row[keep], a_eb[keep], a_cts[keep], a_nnz[keep]
                    local = position[local[keep]]
            sstats = None
            if collect_sstats:
                contrib = exp_theta[row] * (cts / phinorm)[:, None]
                n_terms = self.expElogbeta.shape[1]
                sstats = np.bincount((ids[:, None] * k + np.arange(k)).ravel(), weights=contrib.ravel(),
                                     minlength=n_terms * k).reshape(n_terms, k).T.astype(self.dtype)
                sstats *= self.expElogbeta
            return gamma, sstats

    _VectorizedLda = VectorizedLda
    return VectorizedLda


_VectorizedLda = None


def _train(corpus: BowCorpus, k: int, cfg: TopicConfig):
    from gensim.models import LdaModel

    cls = _lda_class() if cfg.engine == "vectorized" else LdaModel
    chunksize, passes = schedule(len(corpus), cfg)
    return cls(corpus=corpus, num_topics=k, id2word=corpus.id2word_dict, chunksize=chunksize,
               passes=passes, iterations=cfg.iterations, random_state=cfg.seed,
               eval_every=None, eta=cfg.eta, alpha=cfg.alpha)


def schedule(n_docs: int, cfg: TopicConfig) -> tuple[int, int]:
    """(chunksize, passes) so that online LDA makes at least ``min_updates`` updates (one per chunk).

    Small corpora otherwise get stuck in a poor local optimum; they get smaller chunks (about ten per pass,
    at least 32 texts each) first and more passes only where that is not enough.
    """
    chunksize = int(min(cfg.chunksize, max(32, -(-n_docs // 10))))
    per_pass = max(1, -(-n_docs // chunksize))
    passes = int(min(max(cfg.passes, -(-cfg.min_updates // per_pass)), max(cfg.passes, 200)))
    return chunksize, passes


def _top_ids(model, k: int, top_n: int) -> list[list[int]]:
    topics = model.get_topics()  # k × terms
    return [list(np.argsort(-topics[t], kind="stable")[:top_n]) for t in range(k)]


def doc_topic_matrix(model, corpus: BowCorpus, chunksize: int = 4000) -> np.ndarray:
    """Topic proportions of every document (n_docs × k), batched variational inference."""
    parts = []
    for chunk in corpus.chunks(chunksize):
        gamma, _ = model.inference(chunk)
        parts.append((gamma / gamma.sum(axis=1, keepdims=True)).astype(np.float32))
    return np.vstack(parts) if parts else np.zeros((0, model.num_topics), dtype=np.float32)


def _candidate_ks(corpus: BowCorpus, cfg: TopicConfig, k_range: tuple[int, int], what: str) -> list[int]:
    fit = max_topics(corpus, cfg)
    lo, hi = k_range
    if fit < max(lo, 2):
        raise _too_small(corpus, cfg, max(lo, 2), what)
    return list(range(lo, min(hi, fit) + 1))


def choose_k(corpus: BowCorpus, cfg: TopicConfig, k_range: tuple[int, int], what: str = "topics"
             ) -> tuple[int, pd.DataFrame]:
    """Fit a model per k in range (on a seeded sample) and return the k with the best coherence."""
    ks = _candidate_ks(corpus, cfg, k_range, what)
    sample = corpus
    if len(corpus) > cfg.auto_sample:
        rng = np.random.default_rng(cfg.seed)
        rows = np.sort(rng.choice(len(corpus), cfg.auto_sample, replace=False))
        sample = corpus.subset(rows)
    x_bin = corpus.to_csr(binary=True)
    rows, models = [], {}
    for k in ks:
        model = _train(sample, k, cfg)
        top = _top_ids(model, k, cfg.top_n)
        coh = float(np.nanmean(topic_coherence(x_bin, top, cfg.coherence)))
        div = topic_diversity(top)
        rows.append({"k": k, "coherence": coh, "diversity": div, "quality": topic_quality(coh, div)})
        models[k] = model
    table = pd.DataFrame(rows)
    best = int(table.sort_values(["quality", "k"], ascending=[False, True]).iloc[0]["k"])
    if sample is corpus:  # the refit on all texts would repeat this fit exactly (same data, seed, schedule)
        table.attrs["model"] = models[best]
    return best, table


def fit_topic_model(corpus: BowCorpus, cfg: TopicConfig, *, k: int | None = None,
                    k_range: tuple[int, int] | None = None, what: str = "topics") -> TopicModelResult:
    """Fit LDA on ``corpus`` (already vocabulary-filtered) with ``k`` topics or the best k in ``k_range``."""
    candidates, model = None, None
    if k is None:
        k, candidates = choose_k(corpus, cfg, k_range or cfg.k_range, what)
        model = candidates.attrs.pop("model", None)
    elif k > max_topics(corpus, cfg):
        raise _too_small(corpus, cfg, k, what)
    if model is None:
        model = _train(corpus, k, cfg)
    top = _top_ids(model, k, cfg.top_n)
    coh = topic_coherence(corpus.to_csr(binary=True), top, cfg.coherence)
    theta = doc_topic_matrix(model, corpus)
    empty = corpus.doc_lengths() == 0
    dominant = theta.argmax(axis=1).astype(np.int64) if len(theta) else np.zeros(0, dtype=np.int64)
    prob = theta.max(axis=1) if len(theta) else np.zeros(0, dtype=np.float32)
    dominant[empty] = -1
    prob = np.where(empty, np.nan, prob)
    weights = model.get_topics()
    n_used = max(int((~empty).sum()), 1)
    rows = []
    for t in range(k):
        words = corpus.id2word[top[t]].tolist()
        n_t = int((dominant == t).sum())
        rows.append({
            "topic": t,
            "top_words": " ".join(words),
            "word_weights": " ".join(f"{w}:{weights[t, i]:.3f}" for w, i in zip(words, top[t])),
            "n_texts": n_t,
            "share": n_t / n_used,
            "mass": float(theta[~empty, t].mean()) if (~empty).any() else np.nan,
            "coherence": float(coh[t]),
        })
    info = {"k": k, "coherence_measure": cfg.coherence, "coherence": float(np.nanmean(coh)),
            "diversity": topic_diversity(top),
            "chunksize_and_passes": schedule(len(corpus), cfg), "n_texts": len(corpus), "n_empty_texts": int(empty.sum()), "vocabulary": corpus.n_terms,
            "k_candidates": None if candidates is None else candidates.to_dict(orient="records")}
    return TopicModelResult(pd.DataFrame(rows), dominant, prob, info, model)


# ------------------------------------------------------------------------------------------ describing


def describe_topics(result: TopicModelResult, texts: Sequence[str], *, rows: np.ndarray | None = None,
                    causes: Sequence[str] | None = None, taxonomy: Mapping[str, Sequence[str]] | None = None,
                    cfg: TopicConfig | None = None) -> pd.DataFrame:
    """Add taxonomy terms, main cause and masked example texts to a topic table.

    ``texts``/``causes`` are the full input columns; ``rows`` maps the model's documents to them.
    """
    from ivr_text.text import normalize_text

    cfg = cfg or TopicConfig()
    table = result.topics.copy()
    rows = np.arange(len(result.doc_topic)) if rows is None else np.asarray(rows)
    keywords = {w: c for c, ws in (taxonomy or {}).items() for w in ws}
    tax_terms, novel, main_cause, main_share, examples = [], [], [], [], []
    for t in table["topic"]:
        words = table.loc[table["topic"] == t, "top_words"].iloc[0].split(" ")
        hits = [w for w in words if w in keywords]
        tax_terms.append(" ".join(f"{w}({keywords[w]})" for w in hits))
        novel.append(bool(taxonomy) and not hits)
        members = np.flatnonzero(result.doc_topic == t)
        if causes is not None and len(members):
            vc = pd.Series(np.asarray(causes, dtype=object)[rows[members]]).value_counts()
            main_cause.append(vc.index[0] if len(vc) else None)
            main_share.append(float(vc.iloc[0] / vc.sum()) if len(vc) else np.nan)
        else:
            main_cause.append(None)
            main_share.append(np.nan)
        order = members[np.argsort(-result.doc_prob[members], kind="stable")]
        shown: list[str] = []
        for m in order[: 20 * cfg.n_examples]:
            masked = normalize_text(str(texts[rows[m]]))[: cfg.example_chars]
            if masked and masked not in shown:
                shown.append(masked)
            if len(shown) >= cfg.n_examples:
                break
        examples.append(" | ".join(shown))
    if taxonomy:
        table["taxonomy_terms"] = tax_terms
        table["novel"] = novel
    if causes is not None:
        table["main_cause"] = main_cause
        table["main_cause_share"] = main_share
    table["examples"] = examples
    return table


@dataclass
class TopicsReport:
    """Everything the ``topics`` command writes."""

    topics: pd.DataFrame       # one row per (scope, topic)
    doc_topics: pd.DataFrame   # one row per input text
    info: dict


def analyse_topics(texts: Sequence[str], corpus: BowCorpus, cfg: TopicConfig, *,
                   groups: Sequence[str] | None = None, group_name: str = "cause",
                   causes: Sequence[str] | None = None,
                   taxonomy: Mapping[str, Sequence[str]] | None = None) -> TopicsReport:
    """Topics over all texts and, with ``groups``, within each group (e.g. cause).

    ``corpus`` is the unfiltered corpus of ``texts`` (document i = text i); vocabulary filtering
    (``no_below``/``no_above``/``keep_n``) is applied here, separately for each scope.
    """
    causes = causes if causes is not None else groups
    filt = corpus.filter_vocab(cfg.no_below, cfg.no_above, cfg.keep_n)
    overall = fit_topic_model(filt, cfg, k=cfg.k, what="all texts")
    tables = [describe_topics(overall, texts, causes=causes, taxonomy=taxonomy, cfg=cfg).assign(scope="all")]
    doc = pd.DataFrame({"row": np.arange(len(texts)), "topic": overall.doc_topic, "topic_prob": overall.doc_prob})
    info = {"params": {k: v for k, v in asdict(cfg).items()}, "all": overall.info, "groups": {}, "skipped": {}}
    if groups is not None:
        garr = pd.Series(np.asarray(groups, dtype=object))
        doc[group_name] = garr.to_numpy()
        doc["group_topic"] = -1
        doc["group_topic_prob"] = np.nan
        for value, n in garr.value_counts().items():
            rows = np.flatnonzero((garr == value).to_numpy())
            sub = corpus.subset(rows).filter_vocab(min(cfg.no_below, max(2, n // 100)), cfg.no_above, cfg.keep_n)
            what = f"{group_name} {value!r}"
            if n < cfg.min_group_docs or max_topics(sub, cfg) < 2:
                info["skipped"][str(value)] = f"{n} texts: too few for topics within this {group_name}"
                continue
            k = min(cfg.k_by, max_topics(sub, cfg)) if cfg.k_by else None
            res = fit_topic_model(sub, cfg, k=k, k_range=cfg.k_range_by, what=what)
            tables.append(describe_topics(res, texts, rows=rows, causes=None, taxonomy=taxonomy, cfg=cfg)
                          .assign(scope=str(value)))
            doc.loc[rows, "group_topic"] = res.doc_topic
            doc.loc[rows, "group_topic_prob"] = res.doc_prob
            info["groups"][str(value)] = res.info
    topics = pd.concat(tables, ignore_index=True)
    front = ["scope", "topic"]
    topics = topics[front + [c for c in topics.columns if c not in front]]
    return TopicsReport(topics, doc, info)


__all__ = ["TopicConfig", "TopicModelResult", "TopicsReport", "topic_coherence", "fit_topic_model",
           "choose_k", "describe_topics", "analyse_topics", "doc_topic_matrix", "max_topics"]
