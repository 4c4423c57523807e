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


def _work(job: tuple[Sequence[str], bool]) -> list[list[str]]:
    texts, normalized = job
    return _WORKER_TOKENIZER._tokenize_chunk(texts, normalized)


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
            for part in pool.map(_work, chunks):
                out.extend(part)
        return out
    finally:
        _WORKER_TOKENIZER = None
