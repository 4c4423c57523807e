"""Run a function over chunks of texts in forked worker processes (cause-model scoring and normalisation).

``map_chunks(fn, obj, texts, workers)`` returns ``[fn(obj, chunk) for chunk in chunks]`` in input order. On
Linux the workers are forked and inherit ``obj`` (a trained model: nothing is pickled but the texts and the
results); elsewhere they are spawned and receive ``obj`` pickled once per worker. Chunks are sized so each
worker gets a few, which evens out load on a shared machine.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

_WORKER_STATE: dict = {}


def _init(fn, obj) -> None:
    if fn is not None:
        _WORKER_STATE["fn"], _WORKER_STATE["obj"] = fn, obj


def _run(chunk):
    return _WORKER_STATE["fn"](_WORKER_STATE["obj"], chunk)


def map_chunks(fn: Callable, obj, texts: Sequence, workers: int, chunks_per_worker: int = 4) -> list:
    """``fn(obj, chunk)`` for consecutive chunks of ``texts`` in ``workers`` processes, results in order."""
    texts = list(texts)
    if not texts:
        return []
    size = max(1, -(-len(texts) // (workers * chunks_per_worker)))
    chunks = [texts[i:i + size] for i in range(0, len(texts), size)]
    if "fork" in mp.get_all_start_methods():
        _WORKER_STATE["fn"], _WORKER_STATE["obj"] = fn, obj  # inherited by the forked workers
        ctx, initargs = mp.get_context("fork"), (None, None)
    else:  # pragma: no cover - Windows / macOS default
        ctx, initargs = mp.get_context("spawn"), (fn, obj)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init,
                                 initargs=initargs) as pool:
            return list(pool.map(_run, chunks))
    finally:
        _WORKER_STATE.clear()
