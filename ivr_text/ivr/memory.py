"""Cheap large temporaries for the IVR analysis: freed numpy buffers are reused instead of re-faulted.

On Linux, numpy advises transparent huge pages for every array of 4 MB or more, and glibc hands every freed
buffer above its mmap threshold back to the kernel, so the next array of that size is faulted in again (page
by page, or compacted into huge pages). The analysis makes many 10-80 MB temporaries: on 10 M events about
half of ``analyze_events`` was kernel time (2.1-2.6 s sys of 4.3-5.3 s wall on a 2-core VM).

Inside :func:`reused_memory` glibc keeps freed memory in the heap (``M_MMAP_MAX = 0``, a high
``M_TRIM_THRESHOLD``) and numpy gives no huge-page advice; on leaving, both are set back (glibc's defaults,
numpy's previous setting) and the unused heap is returned to the kernel (``malloc_trim``). Measured on the same
10 M events: analysis 2.7-3.1 s wall, sys 0.45-0.6 s, peak RSS +50-150 MB. Results are unchanged (only where
memory comes from changes). Nested or concurrent uses are counted: settings change on the first entry and are
restored on the last exit. Elsewhere than glibc, or with ``IVR_TEXT_REUSE_MEMORY=0``, it does nothing.
"""

from __future__ import annotations

import ctypes
import os
import threading
from contextlib import contextmanager

_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4          # mallopt parameters (malloc.h)
_DEFAULT_TRIM, _DEFAULT_MMAP_MAX = 128 * 1024, 65536  # glibc's defaults
_lock = threading.Lock()
_state = {"depth": 0, "saved": None}


def _glibc():
    """The process's C library when it is glibc (``mallopt`` and ``malloc_trim`` available), else None."""
    try:
        lib = ctypes.CDLL(None)
        lib.gnu_get_libc_version, lib.mallopt, lib.malloc_trim  # noqa: B018  (glibc only)
        return lib
    except (OSError, AttributeError):
        return None


def _hugepage_switch():
    """numpy's (private) switch of huge-page advice for new arrays, or None."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:
        try:
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:
            return None
    return _set_madvise_hugepage


def _enter():
    libc, switch = _glibc(), _hugepage_switch()
    if libc is not None:
        libc.mallopt(_M_MMAP_MAX, 0)
        libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)
    return libc, switch, (switch(False) if switch is not None else None)


def _leave(saved) -> None:
    libc, switch, huge = saved
    if switch is not None:
        switch(huge)
    if libc is not None:
        libc.mallopt(_M_MMAP_MAX, _DEFAULT_MMAP_MAX)
        libc.mallopt(_M_TRIM_THRESHOLD, _DEFAULT_TRIM)
        libc.malloc_trim(0)


@contextmanager
def reused_memory():
    """Within the block, large freed buffers are reused and no huge-page advice is given (module docstring)."""
    if os.environ.get("IVR_TEXT_REUSE_MEMORY", "1").strip().lower() in ("0", "no", "false", "off"):
        yield
        return
    with _lock:
        _state["depth"] += 1
        if _state["depth"] == 1:
            _state["saved"] = _enter()
    try:
        yield
    finally:
        with _lock:
            _state["depth"] -= 1
            if _state["depth"] == 0:
                _leave(_state["saved"])
                _state["saved"] = None
