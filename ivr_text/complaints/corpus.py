"""Streaming bag-of-words corpus for topic models, keyword discovery and term trends.

Texts are tokenised ``chunk_size`` at a time (``ivr_text.text.Tokenizer``) straight into a gensim
``Dictionary`` and compact CSR arrays (term ids and counts per document, int32), so token lists are never
all held at once: 1 M short complaint texts (9.1 M text-term pairs) take 77 MB of arrays; tokenising and
counting them took 161 s with 2 tokeniser processes (``benchmarks/bench_topics.py``).
:class:`BowCorpus` is a gensim corpus (iterating yields ``[(term_id, count), ...]``, re-iterable for many
passes), can be sub-set by rows, filtered by document frequency (ids remapped), and turned into a SciPy
sparse matrix for vectorised statistics (coherence, term counts per period).

Guarantees: document ``i`` of the corpus is text ``i`` of the input (empty after filtering = empty
document, never dropped), so results join back to the input rows by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Sequence

import numpy as np

#: A token worth counting: has a CJK character or a Latin letter, and is not a masked placeholder.
_WORDLIKE = re.compile(r"[\u3400-\u9fff\uf900-\ufaffA-Za-z]")
_PLACEHOLDER = re.compile(r"^[<\[{（(].*[>\]}）)]$|^\*+$")


def keep_token(token: str, min_len: int = 1) -> bool:
    """True for word-like tokens of at least ``min_len`` characters (no punctuation, numbers, masks)."""
    return (len(token) >= min_len and not token.isspace() and _WORDLIKE.search(token) is not None
            and _PLACEHOLDER.match(token) is None)


def default_tokenizer():
    """The project's tokeniser (jieba with the shipped user dictionary, stopwords, normalisation)."""
    from ivr_text.text import Tokenizer

    return Tokenizer.default()


def token_stream(texts: Iterable[str], tokenizer=None, *, chunk_size: int = 20_000, n_jobs: int = 1,
                 min_len: int = 1) -> Iterator[list[str]]:
    """Yield the filtered token list of each text, tokenising ``chunk_size`` texts at a time.

    ``tokenizer`` has ``tokenize_many(texts, n_jobs=...)`` (like :class:`ivr_text.text.Tokenizer`) or is a
    plain callable ``text -> list[str]``.
    """
    tokenizer = tokenizer if tokenizer is not None else default_tokenizer()
    many: Callable[[list[str]], list[list[str]]]
    if hasattr(tokenizer, "tokenize_many"):
        def many(batch):
            return tokenizer.tokenize_many(batch, n_jobs=n_jobs)
    else:
        def many(batch):
            return [tokenizer(t) for t in batch]
    batch: list[str] = []
    for text in texts:
        batch.append("" if text is None or text != text else str(text))
        if len(batch) >= chunk_size:
            for toks in many(batch):
                yield [t for t in toks if keep_token(t, min_len)]
            batch = []
    if batch:
        for toks in many(batch):
            yield [t for t in toks if keep_token(t, min_len)]


@dataclass
class BowCorpus:
    """Bag-of-words documents in CSR form over a vocabulary ``id2word`` (a gensim-compatible corpus)."""

    indptr: np.ndarray   # int64, len n_docs + 1
    indices: np.ndarray  # int32 term ids
    counts: np.ndarray   # int32 term counts
    id2word: np.ndarray  # object array of tokens, index = term id

    # ----------------------------------------------------------------- gensim corpus protocol
    def __len__(self) -> int:
        return len(self.indptr) - 1

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        block = 10_000  # convert to Python ints a block at a time: bounded extra memory
        for start in range(0, len(self), block):
            stop = min(start + block, len(self))
            lo = int(self.indptr[start])
            ptr = (self.indptr[start:stop + 1] - lo).tolist()
            hi = lo + ptr[-1]
            ind, cnt = self.indices[lo:hi].tolist(), self.counts[lo:hi].tolist()
            for i in range(len(ptr) - 1):
                a, b = ptr[i], ptr[i + 1]
                yield list(zip(ind[a:b], cnt[a:b]))

    def chunks(self, size: int) -> Iterator[list[list[tuple[int, int]]]]:
        """Documents in lists of ``size`` (for batched inference)."""
        batch = []
        for doc in self:
            batch.append(doc)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    # ----------------------------------------------------------------- shape and statistics
    @property
    def n_terms(self) -> int:
        return len(self.id2word)

    @property
    def id2word_dict(self) -> dict[int, str]:
        return dict(enumerate(self.id2word.tolist()))

    @property
    def nnz(self) -> int:
        return int(len(self.indices))

    def doc_lengths(self) -> np.ndarray:
        """Number of distinct kept terms per document."""
        return np.diff(self.indptr)

    def doc_freq(self) -> np.ndarray:
        """Documents containing each term."""
        return np.bincount(self.indices, minlength=self.n_terms)

    def term_freq(self) -> np.ndarray:
        """Total occurrences of each term."""
        return np.bincount(self.indices, weights=self.counts, minlength=self.n_terms).astype(np.int64)

    def to_csr(self, binary: bool = False):
        """``scipy.sparse.csr_matrix`` of shape (n_docs, n_terms); ``binary`` = presence instead of counts."""
        from scipy import sparse

        data = np.ones(len(self.indices), dtype=np.float32) if binary else self.counts.astype(np.float32)
        return sparse.csr_matrix((data, self.indices, self.indptr), shape=(len(self), self.n_terms))

    def token_ids(self, tokens: Sequence[str]) -> list[int]:
        lookup = {w: i for i, w in enumerate(self.id2word.tolist())}
        return [lookup.get(t, -1) for t in tokens]

    # ----------------------------------------------------------------- derived corpora
    def subset(self, rows: np.ndarray) -> "BowCorpus":
        """Documents ``rows`` (positions or boolean mask), same vocabulary."""
        rows = np.asarray(rows)
        if rows.dtype == bool:
            rows = np.flatnonzero(rows)
        starts, ends = self.indptr[rows], self.indptr[rows + 1]
        lengths = ends - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        take = _ranges(starts, lengths)
        return BowCorpus(indptr, self.indices[take], self.counts[take], self.id2word)

    def filter_vocab(self, no_below: int = 1, no_above: float = 1.0, keep_n: int | None = None,
                     keep: Iterable[str] = (), drop: Iterable[str] = ()) -> "BowCorpus":
        """Keep terms in at least ``no_below`` docs and at most ``no_above`` of them, the ``keep_n`` most
        frequent of those; ``keep`` tokens are kept whenever present, ``drop`` tokens never (e.g. corpus
        boilerplate, :mod:`ivr_text.complaints.boilerplate`). Term ids are renumbered."""
        df = self.doc_freq()
        n = max(len(self), 1)
        ok = (df >= no_below) & (df <= no_above * n)
        dropped = np.array([i for i in self.token_ids(list(drop)) if i >= 0], dtype=np.int64)
        ok[dropped] = False
        forced = np.array([i for i in self.token_ids(list(keep)) if i >= 0], dtype=np.int64)
        if keep_n is not None and ok.sum() > keep_n:
            order = np.lexsort((np.arange(len(df)), -df))  # by df desc, then id: deterministic
            order = order[ok[order]][:keep_n]
            ok = np.zeros_like(ok)
            ok[order] = True
        if len(forced):
            ok[forced[df[forced] > 0]] = True
        old_ids = np.flatnonzero(ok)
        remap = np.full(self.n_terms, -1, dtype=np.int64)
        remap[old_ids] = np.arange(len(old_ids))
        new_idx = remap[self.indices]
        mask = new_idx >= 0
        doc_of = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        indptr = np.zeros(len(self) + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc_of[mask], minlength=len(self)), out=indptr[1:])
        return BowCorpus(indptr, new_idx[mask].astype(np.int32), self.counts[mask], self.id2word[old_ids])


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenate ``range(s, s + l)`` for each pair, vectorised."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return offsets + np.arange(total)


def build_corpus(docs: Iterable[Sequence[str]]) -> BowCorpus:
    """Build a :class:`BowCorpus` from an iterable of token lists (e.g. :func:`token_stream`), streaming.

    Uses a gensim ``Dictionary`` for the vocabulary; only the compact arrays grow with the corpus.
    """
    from gensim.corpora import Dictionary

    dictionary = Dictionary()
    indptr = [0]
    idx_parts: list[np.ndarray] = []
    cnt_parts: list[np.ndarray] = []
    buf_idx: list[int] = []
    buf_cnt: list[int] = []
    total = 0
    for tokens in docs:
        bow = dictionary.doc2bow(tokens, allow_update=True)
        for i, c in bow:
            buf_idx.append(i)
            buf_cnt.append(c)
        total += len(bow)
        indptr.append(total)
        if len(buf_idx) >= 1_000_000:
            idx_parts.append(np.asarray(buf_idx, dtype=np.int32))
            cnt_parts.append(np.asarray(buf_cnt, dtype=np.int32))
            buf_idx, buf_cnt = [], []
    idx_parts.append(np.asarray(buf_idx, dtype=np.int32))
    cnt_parts.append(np.asarray(buf_cnt, dtype=np.int32))
    id2word = np.empty(len(dictionary), dtype=object)
    for token, i in dictionary.token2id.items():
        id2word[i] = token
    return BowCorpus(np.asarray(indptr, dtype=np.int64), np.concatenate(idx_parts),
                     np.concatenate(cnt_parts), id2word)


def corpus_from_texts(texts: Iterable[str], tokenizer=None, *, chunk_size: int = 20_000, n_jobs: int = 1,
                      min_len: int = 1) -> BowCorpus:
    """Tokenise and count ``texts`` in one streaming pass (see :func:`token_stream`)."""
    return build_corpus(token_stream(texts, tokenizer, chunk_size=chunk_size, n_jobs=n_jobs, min_len=min_len))


__all__ = ["BowCorpus", "build_corpus", "corpus_from_texts", "token_stream", "keep_token", "default_tokenizer"]
