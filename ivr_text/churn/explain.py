"""Per-customer explanations of the learned model in Chinese: the features that moved each score most.

Contributions are the model's own path contributions (:meth:`~ivr_text.churn.model.ChurnModel.contributions`,
log-odds; they add up with the bias to the raw score). A factor quotes the customer's value of the feature,
its label from ``feature_labels`` in churn_rules.yaml (``{measure}`` patterns for per-measure features) and its
contribution, e.g. ``用量较基线变化 −36%（+0.85）``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ivr_text.churn.signal import shown


def feature_label(name: str, labels: dict) -> str:
    """Chinese label of a feature (``rule_x`` → the rule's description when given; patterns for measures)."""
    if name in labels:
        return str(labels[name])
    for pattern, text in labels.items():
        if "{measure}" in pattern:
            rx = "^" + re.escape(pattern).replace(re.escape("{measure}"), "(.+)") + "$"
            if m := re.match(rx, name):
                return str(text).format(measure=m[1])
    return name


def _value(name: str, v: float) -> str:
    if not np.isfinite(v):
        return "无数据"
    if name.endswith("_change") or name.startswith("usage_index"):
        return f"{v:+.0%}" if name.endswith("_change") else f"{v:.2f}"
    return shown(v)


def explain(X: pd.DataFrame, contrib: np.ndarray, features: list[str], labels: dict, top: int = 3
            ) -> tuple[np.ndarray, np.ndarray]:
    """(machine-readable ``feature=value:+c;…``, Chinese text) of the ``top`` features raising each score most.

    Features are ranked by contribution (largest increase of risk first); when fewer than ``top`` raise it,
    the ones lowering it most follow, so every row names ``top`` factors with their signs.
    """
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :top]
    values = {f: pd.to_numeric(X[f], errors="coerce").to_numpy(dtype=float) if f in X.columns
              else np.full(len(X), np.nan) for f in features}
    names = [feature_label(f, labels) for f in features]
    machine, text = [], []
    for i, row in enumerate(order):
        m_parts, t_parts = [], []
        for j in row:
            f, c = features[j], contrib[i, j]
            v = values[f][i] if f in values else np.nan
            m_parts.append(f"{f}={v:.6g}:{c:+.3f}")
            t_parts.append(f"{names[j]} {_value(f, v)}（{'推高' if c > 0 else '降低'}风险 {c:+.2f}）")
        machine.append(";".join(m_parts))
        text.append("；".join(t_parts))
    return np.asarray(machine, dtype=object), np.asarray(text, dtype=object)
