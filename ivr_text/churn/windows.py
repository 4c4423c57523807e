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


def running_peak(x: np.ndarray, memory: int = 0, half_life: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Largest (optionally age-decayed) value of ``x`` at lags 0..memory-1 (``memory`` 0: the whole history).

    Returns ``(size, lag)``: the raw value at the peak and how many periods back it lies (latest on ties). With
    ``half_life`` > 0 a value counts ``0.5 ** (lag / half_life)`` of its size when peaks are compared, so a
    recent smaller peak can win over an old larger one. Whole history: one recursion over periods
    (``M_t = max(d·M_{t-1}, x_t)``); a finite memory: one pass per lag.
    """
    C, P = x.shape
    d = 0.5 ** (1.0 / half_life) if half_life and half_life > 0 else 1.0
    x = np.nan_to_num(x.astype(np.float64), nan=0.0)
    size = np.zeros_like(x)
    lag = np.zeros(x.shape, dtype=np.int32)
    if not memory or memory >= P:
        best = np.full(C, -np.inf)
        best_size = np.zeros(C)
        age = np.zeros(C, dtype=np.int32)
        for t in range(P):
            best *= d
            age += 1
            new = x[:, t] >= best
            best = np.where(new, x[:, t], best)
            best_size = np.where(new, x[:, t], best_size)
            age = np.where(new, 0, age)
            size[:, t], lag[:, t] = best_size, age
        return size, lag
    best, size = x.copy(), x.copy()
    for k in range(1, int(memory)):
        raw = shifted(x, k, -np.inf)
        better = raw * (d ** k) > best
        np.copyto(best, raw * (d ** k), where=better)
        np.copyto(size, raw, where=better)
        lag[better] = k
    return size, lag


def fit_windows(windows: dict, n_periods: int) -> tuple[dict, str | None]:
    """Windows that fit ``n_periods`` of history, and a sentence saying what was shortened (None if nothing).

    With ``adapt`` (default true) and fewer periods than ``recent + min_baseline``, the recent window becomes
    ``max(1, n // 3)`` (at most the configured one), the baseline the rest, ``min_baseline`` at most the
    baseline and the peak window at most ``n``. Without ``adapt``, or with fewer than 2 periods, the windows
    stay and the sentence says which setting would let them fill.
    """
    w = {k: windows[k] for k in windows}
    recent, base = int(w["recent"]), int(w["baseline"])
    min_base = int(w.get("min_baseline", 2))
    if n_periods >= recent + min_base:
        return w, None
    if n_periods < 2:
        return w, (f"only {n_periods} period of usage: a usage change needs at least 2 (1 recent + 1 baseline); "
                   "give more months of usage")
    if not w.get("adapt", True):
        return w, (f"windows recent {recent} + min_baseline {min_base} need {recent + min_base} periods, the usage "
                   f"has {n_periods}: set windows.adapt: true or windows.recent/min_baseline in the rules file")
    r = max(1, min(recent, n_periods // 3))
    b = min(base, n_periods - r)
    w.update(recent=r, baseline=b, min_baseline=min(min_base, b), peak=min(int(w.get("peak", 6)), n_periods))
    return w, (f"{n_periods} periods of history: windows adapted to recent {r}, baseline {b}, min_baseline "
               f"{w['min_baseline']}, peak {w['peak']} (configured {recent}, {base}, {min_base}, "
               f"{int(windows.get('peak', 6))})")
