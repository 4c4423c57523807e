"""Tokenise chunks of texts in worker processes (used by ``Tokenizer.tokenize_many(n_jobs=...)``).

On Linux the workers are forked and inherit the parent's loaded tokenizer (no reload); elsewhere they are
spawned and receive the pickled configuration, rebuilding the segmenter once per worker. Output order equals
input order.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from typing import Sequence

__all__ = ["map_chunks"]

_WORKER_TOKENIZER = None


def _init(tokenizer) -> None:
    global _WORKER_TOKENIZER
    if tokenizer is not None:
        _WORKER_TOKENIZER = tokenizer


_TOKEN_SEP, _TEXT_SEP = "\x1f", "\x1e"


def _work(job: tuple[Sequence[str], bool]) -> str | list[list[str]]:
    """Tokens of one chunk, packed into one string (pickles ~10x faster than lists of lists of str)."""
    texts, normalized = job
    tokens = _WORKER_TOKENIZER._tokenize_chunk(texts, normalized)
    packed = _TEXT_SEP.join(_TOKEN_SEP.join(t) for t in tokens)
    expected = sum(len(t) - 1 for t in tokens if t)
    if packed.count(_TOKEN_SEP) == expected and packed.count(_TEXT_SEP) == len(tokens) - 1:
        return packed
    return tokens  # a token holds a separator character (only possible with normalize=False): send lists


def _unpack(part: str | list[list[str]], n: int) -> list[list[str]]:
    if not isinstance(part, str):
        return part
    texts = part.split(_TEXT_SEP) if n else []
    return [t.split(_TOKEN_SEP) if t else [] for t in texts]


def map_chunks(tokenizer, texts: Sequence[str], workers: int, chunk_size: int,
               normalized: bool = False) -> list[list[str]]:
    """``tokenizer._tokenize_chunk`` over chunks of ``texts`` in ``workers`` processes, results in order."""
    global _WORKER_TOKENIZER
    chunks = [(texts[i:i + chunk_size], normalized) for i in range(0, len(texts), chunk_size)]
    if "fork" in mp.get_all_start_methods():
        tokenizer.engine  # load once here; forked workers inherit it
        _WORKER_TOKENIZER = tokenizer
        ctx, initargs = mp.get_context("fork"), (None,)
    else:  # pragma: no cover - Windows / macOS default
        ctx, initargs = mp.get_context("spawn"), (tokenizer,)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init,
                                 initargs=initargs) as pool:
            out: list[list[str]] = []
            for (texts_chunk, _), part in zip(chunks, pool.map(_work, chunks)):
                out.extend(_unpack(part, len(texts_chunk)))
        return out
    finally:
        _WORKER_TOKENIZER = None
