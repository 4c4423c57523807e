"""Trailing-window statistics along the period axis of (customers × periods) arrays, vectorised.

Lags count back from the current period: lag 0 is the period itself, lag 1 the one before. Every function
costs a cumulative sum over the array: O(customers × periods), no per-customer Python loops.
"""

from __future__ import annotations

import numpy as np


def lag_sum(a: np.ndarray, lo_lag: int, hi_lag: int) -> np.ndarray:
    """Sum of ``a[:, t - hi_lag .. t - lo_lag]`` (clipped at the first period; NaN counts as 0)."""
    values = np.nan_to_num(a, nan=0.0) if a.dtype.kind == "f" else a
    out = np.zeros_like(a, dtype=np.float64)   # keeps the period-major layout of the panel
    P = a.shape[1]
    for lag in range(lo_lag, min(hi_lag, P - 1) + 1):
        out[:, lag:] += values[:, : P - lag]   # one slice add per lag: windows are a few periods long
    return out


def lag_count(a: np.ndarray, lo_lag: int, hi_lag: int) -> np.ndarray:
    """Number of non-NaN values of ``a`` in the window (see :func:`lag_sum`)."""
    return lag_sum((~np.isnan(a)).astype(np.float32), lo_lag, hi_lag)


def lag_mean(a: np.ndarray, lo_lag: int, hi_lag: int, min_count: int = 1) -> np.ndarray:
    """NaN-aware mean over the window; NaN where fewer than ``min_count`` values are present."""
    total, count = lag_sum(a, lo_lag, hi_lag), lag_count(a, lo_lag, hi_lag)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / count
    out[count < max(min_count, 1)] = np.nan
    return out


def shifted(a: np.ndarray, lag: int, fill) -> np.ndarray:
    """``a`` moved ``lag`` periods later (value at t is a[t - lag]); the first ``lag`` periods are ``fill``."""
    if lag == 0:
        return a
    out = np.full_like(a, fill)
    out[:, lag:] = a[:, :-lag]
    return out


def lag_max(a: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Maximum over lags 0..window-1 and the lag where it occurs (latest occurrence on ties)."""
    best = a.copy(order="K")
    best_lag = np.zeros_like(a, dtype=np.int16)
    for lag in range(1, window):
        s = shifted(a, lag, fill=-np.inf if a.dtype.kind == "f" else np.iinfo(a.dtype).min)
        better = s > best
        np.copyto(best, s, where=better)
        best_lag[better] = lag
    return best, best_lag


def runs_of(cond: np.ndarray, length: int) -> np.ndarray:
    """True where ``cond`` held in this period and the ``length - 1`` before it."""
    out = cond.copy(order="K")
    for lag in range(1, length):
        out &= shifted(cond, lag, fill=False)
    return out


def run_length(cond: np.ndarray) -> np.ndarray:
    """Consecutive periods up to and including t for which ``cond`` holds (0 where it does not)."""
    out = np.zeros_like(cond, dtype=np.int32)
    run = np.zeros(cond.shape[0], dtype=np.int32)
    for t in range(cond.shape[1]):
        run = np.where(cond[:, t], run + 1, 0)
        out[:, t] = run
    return out
