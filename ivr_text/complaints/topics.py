"""Complaint topics: LDA (gensim) over normalised tokens, overall and within each cause, with coherence.

Finds the themes customers talk about, including ones the cause taxonomy has no keywords for. For each
topic: top words with weights, share of texts whose dominant topic it is, mean topic mass, coherence,
taxonomy keywords among its top words (none = a candidate new theme), the cause its texts mostly carry,
and masked example texts.

Guarantees:
- deterministic for a seed (same input, parameters and seed → same topics and assignments), whatever the
  number of worker processes (each fit is seeded on its own);
- the number of topics is given or chosen over a small range by coherence × topic diversity (so k is not
  inflated by near-duplicate topics), fitted on a seeded sample of at most ``auto_sample`` texts, then
  refitted on all;
- coherence is computed from the corpus itself (document co-occurrence), no external data: ``c_npmi``
  (NPMI of top-word pairs, -1..1, higher = more coherent) or ``u_mass`` (gensim's definition, ≤ 0);
- a corpus too small for the asked number of topics raises :class:`InputError` with what would fit;
- texts with no kept token get topic -1 (never forced into a topic).

Speed (2-core machine shared with other jobs, ``benchmarks/bench_topics.py --size 200000``): LDA with k=10,
one pass, plus the dominant topic of every text: 200 k short texts in 5.4 s (~37 k texts/s; 16.2 s before
training read its chunks straight from the corpus arrays and kept only still-iterating documents); ×10
faster than gensim's per-document loop on the same 20 k texts (same updates; equal topics in tests).
Choosing k fits one model per candidate on a ≤ 50 k sample; every candidate of every scope (all texts and
each group) is fitted in one batch of ``n_jobs`` worker processes, which get the corpora once (fork) and
return the models. Sample complaints (1,396 texts, auto k, within each of 8 labels, 49 fits): 10–12 s CPU
(was 15–18 s). Peak RSS 1.2 GB for 1 M texts, mostly the input table; the corpus arrays take 77 MB.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ivr_text.complaints.boilerplate import BoilerplateConfig, find_boilerplate, rule_causes
from ivr_text.complaints.corpus import BowCorpus
from ivr_text.errors import InputError
from ivr_text.parallel import worker_count

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


class _DocIds:
    """A corpus of document positions ``0..n-1`` standing in for a :class:`BowCorpus` during training.

    gensim groups it into chunks of ints; :class:`VectorizedLda` reads each chunk's term ids and counts
    straight from the CSR arrays of the bound corpus (no per-document Python lists on the way)."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        return iter(range(self.n))


def _chunk_arrays(corpus: BowCorpus, chunk: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lengths, term ids int64, counts) of the documents at positions ``chunk`` of ``corpus``."""
    first, last = int(chunk[0]), int(chunk[-1])
    if last - first + 1 == len(chunk):  # consecutive positions (always so in training): plain slices
        lo, hi = int(corpus.indptr[first]), int(corpus.indptr[last + 1])
        return np.diff(corpus.indptr[first:last + 2]), corpus.indices[lo:hi].astype(np.int64), corpus.counts[lo:hi]
    sub = corpus.subset(np.asarray(chunk, dtype=np.int64))
    return sub.doc_lengths(), sub.indices.astype(np.int64), sub.counts


def _row_mean(x: np.ndarray) -> np.ndarray:
    """``x.mean(axis=1)`` computed exactly as numpy does (sum, then divide with an intp count), without
    its Python-level overhead, which dominates on the small arrays of an E-step iteration."""
    total = np.add.reduce(x, axis=1)
    return np.true_divide(total, np.intp(x.shape[1]), out=total, casting="unsafe")


def _lda_class():
    """gensim ``LdaModel`` whose E-step runs over a whole chunk at once (numpy) instead of doc by doc.

    Same updates, initialisation (``random_state``) and per-document convergence rule as gensim's
    ``LdaModel.inference``; ~10-20× faster on short texts, which makes 1 M texts feasible. A chunk is either
    gensim bag-of-words lists or positions into the bound :class:`BowCorpus` (see :func:`_train`). Without
    INFO logging the M-step skips gensim's topic printing and change report but keeps its random draw, so
    the random stream, hence every result, is the same as with logging on.
    """
    global _VectorizedLda
    if _VectorizedLda is not None:
        return _VectorizedLda
    import logging

    from gensim.matutils import dirichlet_expectation
    from gensim.models import LdaModel
    from gensim.models import ldamodel as gensim_ldamodel

    gensim_log = gensim_ldamodel.logger

    class VectorizedLda(LdaModel):
        _bow: BowCorpus | None = None  # corpus whose positions the training chunks hold

        def inference(self, chunk, collect_sstats=False):
            chunk = list(chunk)
            n_docs, k = len(chunk), self.num_topics
            if n_docs and isinstance(chunk[0], (int, np.integer)):
                lengths, ids, counts = _chunk_arrays(self._bow, chunk)
                cts = counts.astype(self.dtype)
            else:
                lengths = np.fromiter((len(d) for d in chunk), dtype=np.int64, count=n_docs)
                ids = np.fromiter((i for d in chunk for i, _ in d), dtype=np.int64, count=int(lengths.sum()))
                cts = np.fromiter((c for d in chunk for _, c in d), dtype=self.dtype, count=len(ids))
            row = np.repeat(np.arange(n_docs), lengths)
            gamma = self.random_state.gamma(100., 1. / 100., (n_docs, k)).astype(self.dtype, copy=False)
            exp_theta = np.exp(dirichlet_expectation(gamma))
            eps = np.finfo(self.dtype).eps
            eb = self.expElogbeta[:, ids].T  # nnz × k
            phinorm = np.einsum("nk,nk->n", exp_theta[row], eb) + eps
            # Documents still iterating are kept compact (local rows 0..n_active-1, their (text, term) pairs
            # in a_*); a converged document's final values go back to the full-size arrays when it leaves.
            active = np.arange(n_docs)
            a_eb, a_cts, a_nnz, local = eb, cts, np.arange(len(ids)), row
            g, et, pn = gamma, exp_theta, phinorm
            ks = np.arange(k)
            slots = (local[:, None] * k + ks).ravel()  # (document, topic) cell of each product
            for _ in range(self.iterations):
                if not len(active):
                    break
                contrib = (a_cts / pn)[:, None] * a_eb
                sums = np.bincount(slots, weights=contrib.ravel(), minlength=len(active) * k).reshape(len(active), k)
                new_g = (self.alpha + et * sums).astype(self.dtype, copy=False)
                change = _row_mean(np.abs(new_g - g))
                g = new_g
                et = np.exp(dirichlet_expectation(new_g))
                pn = np.einsum("nk,nk->n", np.take(et, local, axis=0), a_eb) + eps  # take: faster gather
                still = change >= self.gamma_threshold
                n_still = np.count_nonzero(still)
                if n_still < len(still):
                    done, keep = ~still, still[local]
                    gamma[active[done]], exp_theta[active[done]] = g[done], et[done]
                    phinorm[a_nnz[~keep]] = pn[~keep]
                    position = np.empty(len(still), dtype=np.intp)  # new local index of each still-active document
                    position[still] = np.arange(n_still)
                    active, g, et = active[still], g[still], et[still]
                    a_eb, a_cts, a_nnz, pn = a_eb[keep], a_cts[keep], a_nnz[keep], pn[keep]
                    local = position[local[keep]]
                    slots = (local[:, None] * k + ks).ravel()
            if len(active) and g is not gamma:  # stopped by the iteration limit
                gamma[active], exp_theta[active], phinorm[a_nnz] = g, et, pn
            sstats = None
            if collect_sstats:
                contrib = exp_theta[row] * (cts / phinorm)[:, None]
                n_terms = self.expElogbeta.shape[1]
                sstats = np.bincount((ids[:, None] * k + np.arange(k)).ravel(), weights=contrib.ravel(),
                                     minlength=n_terms * k).reshape(n_terms, k).T.astype(self.dtype)
                sstats *= self.expElogbeta
            return gamma, sstats

        def print_topics(self, num_topics=20, num_words=10):
            if gensim_log.isEnabledFor(logging.INFO):
                return super().print_topics(num_topics, num_words)
            if 0 <= num_topics < self.num_topics:  # gensim's show_topics draws this jitter: keep the stream
                self.random_state.rand(len(self.alpha))
            return []

        def do_mstep(self, rho, other, extra_pass=False):
            if gensim_log.isEnabledFor(logging.INFO):
                return super().do_mstep(rho, other, extra_pass)
            self.state.blend(rho, other)  # as gensim, minus the topic printing and change measure
            self.sync_state(self.state.get_Elogbeta())
            self.print_topics(5)
            if self.optimize_eta:
                self.update_eta(self.state.get_lambda(), rho)
            if not extra_pass:
                self.num_updates += other.numdocs

    VectorizedLda.__module__, VectorizedLda.__qualname__ = __name__, "VectorizedLda"  # picklable by name
    _VectorizedLda = VectorizedLda
    return VectorizedLda


_VectorizedLda = None


def __getattr__(name: str):
    """``VectorizedLda`` is built on first use (gensim is imported lazily); pickle finds it here."""
    if name == "VectorizedLda":
        return _lda_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _train(corpus: BowCorpus, k: int, cfg: TopicConfig):
    from gensim.models import LdaModel

    chunksize, passes = schedule(len(corpus), cfg)
    params = dict(num_topics=k, id2word=corpus.id2word_dict, chunksize=chunksize, passes=passes,
                  iterations=cfg.iterations, random_state=cfg.seed, eval_every=None, eta=cfg.eta,
                  alpha=cfg.alpha)
    if cfg.engine == "gensim":
        return LdaModel(corpus=corpus, **params)
    model = _lda_class()(**params)  # no corpus yet: the same initialisation, then the same update
    model._bow = corpus
    try:
        if len(corpus):
            model.update(_DocIds(len(corpus)))
    finally:
        del model._bow  # the corpus is not pickled with the model
    return model


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
    vectorized = _VectorizedLda is not None and isinstance(model, _VectorizedLda)
    if vectorized:
        model._bow = corpus
        chunks = (list(range(s, min(s + chunksize, len(corpus)))) for s in range(0, len(corpus), chunksize))
    else:
        chunks = corpus.chunks(chunksize)
    try:
        for chunk in chunks:
            gamma, _ = model.inference(chunk)
            parts.append((gamma / gamma.sum(axis=1, keepdims=True)).astype(np.float32))
    finally:
        if vectorized:
            del model._bow
    return np.vstack(parts) if parts else np.zeros((0, model.num_topics), dtype=np.float32)


# ------------------------------------------------------------------------------------------ parallel fits


_SHARED_CORPORA: list[BowCorpus] = []  # set in each worker process (inherited when forked)


def _share(corpora: list[BowCorpus]) -> None:
    global _SHARED_CORPORA
    _SHARED_CORPORA = corpora


def _fit_shared(task: tuple[int, int, TopicConfig]):
    corpus_no, k, cfg = task
    return _train(_SHARED_CORPORA[corpus_no], k, cfg)


def fit_models(corpora: Sequence[BowCorpus], tasks: Sequence[tuple[int, int]], cfg: TopicConfig,
               n_jobs: int | None = 1) -> list:
    """Train one LDA model per ``(corpus number, k)`` task, in ``n_jobs`` worker processes; models in task order.

    Every fit is seeded by ``cfg.seed`` alone, so the models are the same for any ``n_jobs``. Workers get the
    corpora once (inherited on fork, pickled once per worker elsewhere) and send back the fitted models.
    The biggest fits start first. A pool that cannot start or breaks falls back to fitting here.
    """
    import multiprocessing as mp

    workers = min(worker_count(n_jobs), len(tasks))
    if workers <= 1 or mp.current_process().daemon:  # a daemon process (e.g. a pool worker) cannot have children
        return [_train(corpora[c], k, cfg) for c, k in tasks]
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _lda_class()  # build the model class before forking: workers inherit it
    method = "fork" if "fork" in mp.get_all_start_methods() else None
    cost = [corpora[c].nnz * schedule(len(corpora[c]), cfg)[1] * (k + 4) for c, k in tasks]
    order = sorted(range(len(tasks)), key=lambda i: -cost[i])
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context(method), initializer=_share,
                                 initargs=(list(corpora),)) as pool:
            futures = {i: pool.submit(_fit_shared, (tasks[i][0], tasks[i][1], cfg)) for i in order}
            return [futures[i].result() for i in range(len(tasks))]
    except (OSError, BrokenProcessPool) as exc:  # cannot fork or a worker died (e.g. killed for memory)
        import warnings

        warnings.warn(f"topic model workers failed ({exc!r}); fitting in this process instead", RuntimeWarning,
                      stacklevel=2)
        return [_train(corpora[c], k, cfg) for c, k in tasks]


# ------------------------------------------------------------------------------------------ choosing k


@dataclass
class _Scope:
    """One topic model to fit: its corpus, a fixed k or the candidate range, and what to call it in errors."""

    corpus: BowCorpus
    k: int | None
    k_range: tuple[int, int]
    what: str
    ks: list[int] = field(default_factory=list)   # candidates (auto k)
    sample: BowCorpus | None = None               # corpus the candidates are fitted on
    candidates: pd.DataFrame | None = None
    model: object = None


def _candidate_ks(corpus: BowCorpus, cfg: TopicConfig, k_range: tuple[int, int], what: str) -> list[int]:
    fit = max_topics(corpus, cfg)
    lo, hi = k_range
    if fit < max(lo, 2):
        raise _too_small(corpus, cfg, max(lo, 2), what)
    return list(range(lo, min(hi, fit) + 1))


def _plan(scope: _Scope, cfg: TopicConfig) -> None:
    """Check the corpus supports the topics asked for; pick candidates and the seeded sample for auto k."""
    if scope.k is not None:
        if scope.k > max_topics(scope.corpus, cfg):
            raise _too_small(scope.corpus, cfg, scope.k, scope.what)
        return
    scope.ks = _candidate_ks(scope.corpus, cfg, scope.k_range, scope.what)
    scope.sample = scope.corpus
    if len(scope.corpus) > cfg.auto_sample:
        rng = np.random.default_rng(cfg.seed)
        rows = np.sort(rng.choice(len(scope.corpus), cfg.auto_sample, replace=False))
        scope.sample = scope.corpus.subset(rows)


def _fit_candidates(scopes: Sequence[_Scope], cfg: TopicConfig, n_jobs: int | None) -> None:
    """Fit all scopes in one parallel batch: every auto-k candidate (on its sample) and every fixed k; an
    auto scope then takes the k of best coherence × diversity (its model too when fitted on all texts)."""
    corpora: list[BowCorpus] = []
    tasks: list[tuple[int, int]] = []
    owner: list[tuple[int, int]] = []
    for s_no, scope in enumerate(scopes):
        corpora.append(scope.corpus if scope.k is not None else scope.sample)
        for k in ([scope.k] if scope.k is not None else scope.ks):
            tasks.append((len(corpora) - 1, k))
            owner.append((s_no, k))
    fitted: dict[tuple[int, int], object] = dict(zip(owner, fit_models(corpora, tasks, cfg, n_jobs)))
    for s_no, scope in enumerate(scopes):
        if scope.k is not None:
            scope.model = fitted[s_no, scope.k]
            continue
        x_bin = scope.corpus.to_csr(binary=True)
        rows = []
        for k in scope.ks:
            top = _top_ids(fitted[s_no, k], k, cfg.top_n)
            coh = float(np.nanmean(topic_coherence(x_bin, top, cfg.coherence)))
            div = topic_diversity(top)
            rows.append({"k": k, "coherence": coh, "diversity": div, "quality": topic_quality(coh, div)})
        scope.candidates = pd.DataFrame(rows)
        scope.k = int(scope.candidates.sort_values(["quality", "k"], ascending=[False, True]).iloc[0]["k"])
        if scope.sample is scope.corpus:  # the refit on all texts would repeat this fit exactly
            scope.model = fitted[s_no, scope.k]


def _refit(scopes: Sequence[_Scope], cfg: TopicConfig, n_jobs: int | None) -> None:
    """Fit the chosen k on all texts where candidates were fitted on a sample (one parallel batch)."""
    todo = [s for s in scopes if s.model is None]
    models = fit_models([s.corpus for s in todo], [(i, s.k) for i, s in enumerate(todo)], cfg, n_jobs)
    for scope, model in zip(todo, models):
        scope.model = model


def choose_k(corpus: BowCorpus, cfg: TopicConfig, k_range: tuple[int, int], what: str = "topics",
             n_jobs: int | None = 1) -> tuple[int, pd.DataFrame]:
    """Fit a model per k in range (on a seeded sample) and return the k with the best coherence × diversity.

    When the candidates were fitted on all texts, the table carries the chosen model in ``attrs["model"]``.
    """
    scope = _Scope(corpus, None, k_range, what)
    _plan(scope, cfg)
    _fit_candidates([scope], cfg, n_jobs)
    if scope.model is not None:
        scope.candidates.attrs["model"] = scope.model
    return scope.k, scope.candidates


def _result(scope: _Scope, cfg: TopicConfig) -> TopicModelResult:
    """Topic table, dominant topic of every text and run info of a fitted scope."""
    corpus, model, k = scope.corpus, scope.model, scope.k
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
    candidates = scope.candidates
    info = {"k": k, "coherence_measure": cfg.coherence, "coherence": float(np.nanmean(coh)),
            "diversity": topic_diversity(top),
            "chunksize_and_passes": schedule(len(corpus), cfg), "n_texts": len(corpus),
            "n_empty_texts": int(empty.sum()), "vocabulary": corpus.n_terms,
            "k_candidates": None if candidates is None else candidates.to_dict(orient="records")}
    return TopicModelResult(pd.DataFrame(rows), dominant, prob, info, model)


def fit_topic_model(corpus: BowCorpus, cfg: TopicConfig, *, k: int | None = None,
                    k_range: tuple[int, int] | None = None, what: str = "topics",
                    n_jobs: int | None = 1) -> TopicModelResult:
    """Fit LDA on ``corpus`` (already vocabulary-filtered) with ``k`` topics or the best k in ``k_range``.

    ``n_jobs`` worker processes fit the candidate k values side by side (same result for any ``n_jobs``).
    """
    scope = _Scope(corpus, k, k_range or cfg.k_range, what)
    _plan(scope, cfg)
    _fit_candidates([scope], cfg, n_jobs)
    _refit([scope], cfg, n_jobs)
    return _result(scope, cfg)


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
    boilerplate: pd.DataFrame = field(default_factory=pd.DataFrame)  # terms kept out (find_boilerplate)


def analyse_topics(texts: Sequence[str], corpus: BowCorpus, cfg: TopicConfig, *,
                   groups: Sequence[str] | None = None, group_name: str = "cause",
                   causes: Sequence[str] | None = None,
                   taxonomy: Mapping[str, Sequence[str]] | None = None,
                   n_jobs: int | None = 1, boilerplate: BoilerplateConfig | None = BoilerplateConfig(),
                   boilerplate_causes: Sequence[str] | None = None) -> TopicsReport:
    """Topics over all texts and, with ``groups``, within each group (e.g. cause).

    ``corpus`` is the unfiltered corpus of ``texts`` (document i = text i); vocabulary filtering
    (``no_below``/``no_above``/``keep_n``) is applied here, separately for each scope. Corpus boilerplate
    (:func:`~ivr_text.complaints.boilerplate.find_boilerplate` over ``boilerplate_causes``, else ``causes``,
    else ``groups``, else the keyword rules' causes) is kept out of every scope (``boilerplate=None``: not).
    All models (the candidate k values of every scope) are fitted in ``n_jobs`` worker processes (-1 = all
    cores); the result does not depend on ``n_jobs``.
    """
    causes = causes if causes is not None else groups
    bp = pd.DataFrame(columns=["term"])
    if boilerplate is not None:
        labels = next((c for c in (boilerplate_causes, causes) if c is not None), None)
        bp = find_boilerplate(corpus, labels if labels is not None else rule_causes(texts), cfg=boilerplate)
    drop = bp["term"].tolist()
    filt = corpus.filter_vocab(cfg.no_below, cfg.no_above, cfg.keep_n, drop=drop)
    scopes = [_Scope(filt, cfg.k, cfg.k_range, "all texts")]
    _plan(scopes[0], cfg)
    info = {"params": {k: v for k, v in asdict(cfg).items()}, "all": None, "groups": {}, "skipped": {},
            "boilerplate": drop}
    group_rows: list[tuple[str, np.ndarray]] = []
    if groups is not None:
        garr = pd.Series(np.asarray(groups, dtype=object))
        for value, n in garr.value_counts().items():
            rows = np.flatnonzero((garr == value).to_numpy())
            sub = corpus.subset(rows).filter_vocab(min(cfg.no_below, max(2, n // 100)), cfg.no_above, cfg.keep_n,
                                                   drop=drop)
            if n < cfg.min_group_docs or max_topics(sub, cfg) < 2:
                info["skipped"][str(value)] = f"{n} texts: too few for topics within this {group_name}"
                continue
            k = min(cfg.k_by, max_topics(sub, cfg)) if cfg.k_by else None
            scopes.append(_Scope(sub, k, cfg.k_range_by, f"{group_name} {value!r}"))
            _plan(scopes[-1], cfg)
            group_rows.append((str(value), rows))
    _fit_candidates(scopes, cfg, n_jobs)
    _refit(scopes, cfg, n_jobs)
    overall = _result(scopes[0], cfg)
    info["all"] = overall.info
    tables = [describe_topics(overall, texts, causes=causes, taxonomy=taxonomy, cfg=cfg).assign(scope="all")]
    doc = pd.DataFrame({"row": np.arange(len(texts)), "topic": overall.doc_topic, "topic_prob": overall.doc_prob})
    if groups is not None:
        doc[group_name] = garr.to_numpy()
        doc["group_topic"] = -1
        doc["group_topic_prob"] = np.nan
        for scope, (value, rows) in zip(scopes[1:], group_rows):
            res = _result(scope, cfg)
            tables.append(describe_topics(res, texts, rows=rows, causes=None, taxonomy=taxonomy, cfg=cfg)
                          .assign(scope=value))
            doc.loc[rows, "group_topic"] = res.doc_topic
            doc.loc[rows, "group_topic_prob"] = res.doc_prob
            info["groups"][value] = res.info
    topics = pd.concat(tables, ignore_index=True)
    front = ["scope", "topic"]
    topics = topics[front + [c for c in topics.columns if c not in front]]
    return TopicsReport(topics, doc, info, bp)


__all__ = ["TopicConfig", "TopicModelResult", "TopicsReport", "topic_coherence", "fit_topic_model",
           "choose_k", "describe_topics", "analyse_topics", "doc_topic_matrix", "max_topics", "fit_models"]
