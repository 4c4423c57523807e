"""Process-wide memory tuning for one ``ivr-text`` run: entered by the root command, undone when it ends.

Two settings speed up the large IVR analyses (figures: ``benchmarks/bench_ivr.py``) and change the whole
process, so the library never touches them — only the command line does, for the duration of one run:

* Arrow's memory pool becomes jemalloc (unless ``ARROW_DEFAULT_MEMORY_POOL`` chooses one): the mimalloc pool
  this pyarrow build defaults to spends more time in the kernel on page faults;
* :func:`ivr_text.ivr.memory.reused_memory`: glibc keeps freed buffers for reuse, numpy gives no huge-page
  advice (``IVR_TEXT_REUSE_MEMORY=0`` switches it off).

On leaving :func:`process_tuning`, the previous Arrow pool and numpy's advice are back and glibc is set to its
defaults. A notebook that wants the same speed enters ``process_tuning()`` (or ``reused_memory()``) itself.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from ivr_text.ivr.memory import reused_memory


@contextmanager
def arrow_jemalloc():
    """Within the block, jemalloc is Arrow's default memory pool (unless ``ARROW_DEFAULT_MEMORY_POOL`` is set
    or this pyarrow has no jemalloc); the previous default pool is restored on leaving."""
    previous = None
    if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        try:
            import pyarrow as pa

            pool = pa.jemalloc_memory_pool()
            previous = pa.default_memory_pool()
            pa.set_memory_pool(pool)
        except (ImportError, NotImplementedError):  # a pyarrow built without jemalloc: keep its default
            previous = None
    try:
        yield
    finally:
        if previous is not None:
            import pyarrow as pa

            pa.set_memory_pool(previous)


@contextmanager
def process_tuning():
    """Arrow's jemalloc pool and reused memory for the block (module docstring); both undone on leaving."""
    with arrow_jemalloc(), reused_memory():
        yield
