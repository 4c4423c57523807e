"""One way to spread work over processes, and one rule for how many.

* :func:`cpu_count`: the CPUs this process may run on (its affinity mask, ``os.sched_getaffinity``: a container
  or ``taskset`` limit counts, not the machine's cores), else ``os.cpu_count()``.
* :func:`worker_count`: ``n_jobs`` → workers: ``None``/0 → 1, ``-1`` → every allowed CPU, ``-2`` → all but one,
  a positive number as it is.
* :func:`map_slices`: ``[fn(obj, slice) for slice in workers contiguous slices of items]``, in input order.
  On Linux (fork) ``workers - 1`` forked children compute a slice each while this process computes the first,
  so no core idles waiting; children inherit ``obj`` and the items (nothing is pickled on the way in) and send
  back ``encode(result)`` (a compact form that pickles fast; ``decode(payload, n_items)`` restores it, raising
  ValueError when it does not fit). A child that fails, dies or cannot be forked is not fatal: its slice is computed here instead. Elsewhere (spawn) a
  process pool receives ``obj`` pickled once per worker. Results equal ``[fn(obj, items)]`` split by slice
  whenever ``fn`` treats items independently (every caller's does; tested).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Sequence

__all__ = ["cpu_count", "worker_count", "map_slices", "slice_bounds"]


def cpu_count() -> int:
    """CPUs this process may run on (affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def worker_count(n_jobs: int | None) -> int:
    """Workers for ``n_jobs``: None/0 → 1; ``-1`` all allowed CPUs, ``-2`` all but one (at least 1); n → n."""
    if not n_jobs:
        return 1
    return max(1, cpu_count() + 1 + n_jobs) if n_jobs < 0 else int(n_jobs)


def slice_bounds(n: int, workers: int) -> list[int]:
    """Start of each of ``workers`` contiguous slices of ``n`` items, and ``n``: sizes differ by one at most."""
    return [n * k // workers for k in range(workers + 1)]


def _identity(x, n=None):
    return x


def _child(fn, obj, items, encode, conn) -> None:
    try:
        conn.send(("ok", encode(fn(obj, items))))
    except BaseException as exc:  # noqa: BLE001 - report anything; the parent redoes the slice
        conn.send(("error", repr(exc)))
    finally:
        conn.close()


def map_slices(fn: Callable, obj, items: Sequence, workers: int, *, encode: Callable = _identity,
               decode: Callable = _identity) -> list:
    """``fn(obj, slice)`` for ``workers`` contiguous slices of ``items``, in order (see the module docstring)."""
    n = len(items)
    workers = max(1, min(int(workers), n))
    bounds = slice_bounds(n, workers)
    if workers == 1:
        return [fn(obj, items)] if n else []
    if "fork" not in mp.get_all_start_methods():  # pragma: no cover - Windows / macOS default
        return _map_spawn(fn, obj, items, bounds, encode, decode)
    ctx = mp.get_context("fork")
    children = []
    for k in range(1, workers):
        lo, hi = bounds[k], bounds[k + 1]
        recv, send = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(fn, obj, items[lo:hi], encode, send), daemon=True)
        try:
            proc.start()
        except OSError:  # cannot fork (limits): do the slice here
            recv.close()
            send.close()
            children.append((None, None, lo, hi))
            continue
        send.close()
        children.append((proc, recv, lo, hi))
    out = [fn(obj, items[:bounds[1]])]
    for proc, recv, lo, hi in children:
        result, ok = None, False
        if recv is not None:
            try:
                status, payload = recv.recv()
                if status == "ok":
                    result, ok = decode(payload, hi - lo), True
            except (EOFError, OSError, ValueError):  # the child died, or its answer does not fit its slice
                pass
            finally:
                recv.close()
                proc.join()
        out.append(result if ok else fn(obj, items[lo:hi]))
    return out


_WORKER: dict = {}


def _init(fn, obj, encode) -> None:  # pragma: no cover - spawn only
    _WORKER.update(fn=fn, obj=obj, encode=encode)


def _work(items):  # pragma: no cover - spawn only
    return _WORKER["encode"](_WORKER["fn"](_WORKER["obj"], items))


def _map_spawn(fn, obj, items, bounds, encode, decode):  # pragma: no cover - spawn only
    slices = [items[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:])]
    with ProcessPoolExecutor(max_workers=len(slices), mp_context=mp.get_context("spawn"), initializer=_init,
                             initargs=(fn, obj, encode)) as pool:
        return [decode(part, len(s)) for s, part in zip(slices, pool.map(_work, slices))]
