"""Tokenise a batch in several processes (used by ``Tokenizer.tokenize_many(n_jobs=...)``).

On Linux (fork): the batch is cut into ``workers`` contiguous slices; ``workers - 1`` forked children each
tokenise one slice while this process tokenises the first one, so one core is never idle waiting. Children
inherit the loaded segmenter, its caches and the texts themselves (nothing is pickled on the way in) and send
back one packed string per slice (a single large str pickles ~10× faster than lists of lists). A child that
fails or dies is not fatal: its slice is tokenised here instead. Elsewhere (spawn) a process pool receives the
pickled tokenizer configuration and chunks of texts. Output order equals input order.
"""

from __future__ import annotations

import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor
from typing import Sequence

__all__ = ["map_chunks"]

_TOKEN_SEP, _TEXT_SEP = "\x1f", "\x1e"


def _tokenize_slice(tokenizer, texts: Sequence[str], chunk_size: int, normalized: bool) -> list[list[str]]:
    out: list[list[str]] = []
    for start in range(0, len(texts), chunk_size):
        out.extend(tokenizer._tokenize_chunk(texts[start:start + chunk_size], normalized))
    return out


def _pack(tokens: list[list[str]]) -> str | list[list[str]]:
    """Tokens of many texts as one string; the lists themselves if a token holds a separator character
    (only possible with ``normalize=False``)."""
    packed = _TEXT_SEP.join([_TOKEN_SEP.join(t) for t in tokens])
    expected = sum(len(t) - 1 for t in tokens if t)
    if packed.count(_TOKEN_SEP) == expected and packed.count(_TEXT_SEP) == len(tokens) - 1:
        return packed
    return tokens


def _unpack(part: str | list[list[str]], n: int) -> list[list[str]]:
    if not isinstance(part, str):
        return part
    texts = part.split(_TEXT_SEP) if n else []
    return [t.split(_TOKEN_SEP) if t else [] for t in texts]


def _child(tokenizer, texts, chunk_size, normalized, conn) -> None:
    try:
        conn.send(("ok", _pack(_tokenize_slice(tokenizer, texts, chunk_size, normalized))))
    except BaseException as exc:  # noqa: BLE001 - report anything; the parent redoes the slice
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def map_chunks(tokenizer, texts: Sequence[str], workers: int, chunk_size: int,
               normalized: bool = False) -> list[list[str]]:
    """``tokenizer._tokenize_chunk`` over ``texts`` in ``workers`` processes (this one included), in order."""
    if "fork" not in mp.get_all_start_methods():  # pragma: no cover - Windows / macOS default
        return _map_spawn(tokenizer, texts, workers, chunk_size, normalized)
    tokenizer.engine  # load once here; forked children inherit it
    ctx = mp.get_context("fork")
    n = len(texts)
    bounds = [n * k // workers for k in range(workers + 1)]
    children = []
    for k in range(1, workers):
        lo, hi = bounds[k], bounds[k + 1]
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(tokenizer, texts[lo:hi], chunk_size, normalized, send),
                           daemon=True)
        try:
            proc.start()
        except OSError:  # cannot fork (limits): do the slice here
            recv.close()
            send.close()
            children.append((None, None, lo, hi))
            continue
        send.close()
        children.append((proc, recv, lo, hi))
    out = _tokenize_slice(tokenizer, texts[:bounds[1]], chunk_size, normalized)
    for proc, recv, lo, hi in children:
        result = None
        if recv is not None:
            try:
                status, payload = recv.recv()
                if status == "ok":
                    result = _unpack(payload, hi - lo)
            except (EOFError, OSError):  # the child died
                pass
            finally:
                recv.close()
                proc.join()
        if result is None or len(result) != hi - lo:
            result = _tokenize_slice(tokenizer, texts[lo:hi], chunk_size, normalized)
        out.extend(result)
    return out


_WORKER_TOKENIZER = None


def _init(tokenizer) -> None:  # pragma: no cover - spawn only
    global _WORKER_TOKENIZER
    _WORKER_TOKENIZER = tokenizer


def _work(job: tuple[Sequence[str], bool]) -> str | list[list[str]]:  # pragma: no cover - spawn only
    texts, normalized = job
    return _pack(_WORKER_TOKENIZER._tokenize_chunk(texts, normalized))


def _map_spawn(tokenizer, texts, workers, chunk_size, normalized):  # pragma: no cover - spawn only
    chunks = [(texts[i:i + chunk_size], normalized) for i in range(0, len(texts), chunk_size)]
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"), initializer=_init,
                             initargs=(tokenizer,)) as pool:
        out: list[list[str]] = []
        for (texts_chunk, _), part in zip(chunks, pool.map(_work, chunks)):
            out.extend(_unpack(part, len(texts_chunk)))
    return out
