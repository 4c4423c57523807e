"""The statistics every analysis shares: Wilson score bounds, two-proportion and Welch comparisons, and
Benjamini–Hochberg adjusted p-values. One implementation each, vectorised over numpy arrays.

Guarantees: :func:`wilson_interval` equals ``scipy.stats.binomtest(k, n).proportion_ci(level, "wilson")``
for ``z = norm.ppf((1 + level) / 2)`` (tested), lies in [0, 1] and is (0, 0) where ``n = 0`` (no evidence:
rankings by the lower bound put such rows last); :func:`benjamini_hochberg` is scipy's
``false_discovery_control`` with missing p-values kept missing.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["wilson_interval", "wilson_lower", "two_proportions", "welch", "benjamini_hochberg"]


def wilson_interval(k, n, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval ``(low, high)`` of the proportion ``k / n``; arrays or numbers, (0, 0) where n = 0."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        z2 = z * z
        centre = p + z2 / (2 * n)
        margin = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        low = (centre - margin) / (1 + z2 / n)
        high = (centre + margin) / (1 + z2 / n)
    empty = ~(n > 0)
    return np.where(empty, 0.0, np.clip(low, 0, 1)), np.where(empty, 0.0, np.clip(high, 0, 1))


def wilson_lower(k, n, z: float = 1.96) -> np.ndarray:
    """Lower Wilson score bound of ``k / n`` (0 where n = 0): a rate that few observations cannot inflate."""
    return wilson_interval(k, n, z)[0]


def two_proportions(k1, n1, k2, n2, z: float = 1.96):
    """(difference p1 − p2, Newcombe CI low, high, two-sided p of the pooled z-test); arrays allowed."""
    from scipy.stats import norm  # scipy only where needed: importing it costs ~50 MB and ~0.3 s

    k1, n1, k2, n2 = (np.asarray(v, dtype=float) for v in (k1, n1, k2, n2))
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, z)
    l2, u2 = wilson_interval(k2, n2, z)
    d = p1 - p2
    low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    pooled = (k1 + k2) / (n1 + n2)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = np.where(se > 0, d / se, 0.0)
    return d, low, high, 2 * norm.sf(np.abs(zval))


def welch(x1: np.ndarray, x2: np.ndarray, z: float = 1.96):
    """(difference of means, CI low, high, two-sided p) of Welch's t-test."""
    from scipy.stats import norm, t as student_t

    n1, n2 = len(x1), len(x2)
    m1, m2 = float(np.mean(x1)), float(np.mean(x2))
    v1, v2 = float(np.var(x1, ddof=1)) / n1, float(np.var(x2, ddof=1)) / n2
    se = math.sqrt(v1 + v2)
    d = m1 - m2
    if se == 0:
        return d, d, d, 1.0 if d == 0 else 0.0
    df = (v1 + v2) ** 2 / (v1 ** 2 / (n1 - 1) + v2 ** 2 / (n2 - 1))
    q = float(student_t.ppf(norm.cdf(z), df))
    return d, d - q * se, d + q * se, float(2 * student_t.sf(abs(d) / se, df))


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values) in the order of ``p``; NaN stays NaN and is not counted."""
    from scipy.stats import false_discovery_control

    p = np.asarray(p, dtype=float)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = false_discovery_control(p[ok])
    return q
