"""The usage index: each measure against its own baseline, combined with stated weights.

``usage.weights`` in churn_rules.yaml names the measures and their weights (e.g. ``{bill: 0.6, minutes: 0.4}``,
a revenue-weighted index); empty means the primary measure alone (``usage.primary``: the first of its names
present in the usage). A measure not named never enters the index, so a fee sub-item such as a
long-distance fee cannot swamp it. Per measure ``r = value / baseline`` (clipped to [0, ``RATIO_CAP``]); the
index is ``Σ wᵢ·rᵢ / Σ wᵢ`` over the measures present in the period and ``usage_change = index − 1``, so a
reason quoting each measure's value, baseline and weight can be recomputed from those figures alone
(:func:`index_change`).
"""

from __future__ import annotations

import numpy as np

from ivr_text.errors import InputError

RATIO_CAP = 3.0


def primary_measure(config: dict, measures) -> str:
    """The first ``usage.primary`` name present in ``measures`` (else the first measure)."""
    measures = list(measures)
    return next((m for m in config.get("usage", {}).get("primary", []) if m in measures), measures[0])


def index_weights(config: dict, measures) -> dict[str, float]:
    """Measure → weight of the usage index (see module doc); raises InputError for unknown or bad weights."""
    measures = list(measures)
    weights = config.get("usage", {}).get("weights") or {}
    if not weights:
        return {primary_measure(config, measures): 1.0}
    missing = [m for m in weights if m not in measures]
    if missing:
        raise InputError(f"usage.weights names {', '.join(map(str, missing))}, not a usage measure "
                         f"(measures: {', '.join(measures)})")
    out = {str(m): float(w) for m, w in weights.items() if float(w) > 0}
    if not out or any(float(w) < 0 for w in weights.values()):
        raise InputError("usage.weights: give positive weights, e.g. {bill: 0.6, minutes: 0.4}")
    return out


def index_change(values: dict[str, np.ndarray], bases: dict[str, np.ndarray],
                 weights: dict[str, float]) -> np.ndarray:
    """``Σ w·clip(value/base) / Σ w − 1`` over measures with a positive baseline and a value (else NaN)."""
    total = weight = None
    for m, w in weights.items():
        with np.errstate(invalid="ignore", divide="ignore"):
            r = np.clip(np.asarray(values[m], dtype=np.float64) / bases[m], 0.0, RATIO_CAP)
        ok = np.isfinite(r) & (np.asarray(bases[m]) > 0)
        part, wpart = np.where(ok, w * r, 0.0), np.where(ok, w, 0.0)
        total = part if total is None else total + part
        weight = wpart if weight is None else weight + wpart
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / weight - 1.0
    out[weight == 0] = np.nan
    return out
