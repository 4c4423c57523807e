"""Example calls behind each hot spot (``examples.csv``): call id, masked caller, path, duration and outcome.

For a drop-off point the examples are calls that hung up at the node; for a transfer point, calls whose caller
asked for an agent there (:func:`ivr_text.ivr.metrics.transfer_request_nodes`). Up to ``per_hotspot`` calls
are picked evenly over the matching calls in time order (first, last and evenly between), so the examples
span the period rather than its first hour; with peak hours, the same number is picked again among the calls
in those hours. Caller ids are masked here whatever the writer does (:func:`mask_caller`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.ivr.calllog import NS, OUT_HANGUP, OUTCOMES, CallLog
from ivr_text.ivr.paths import EnteredNodes

EXAMPLE_COLUMNS = ["type", "node", "label", "example", "call_id", "caller", "start", "hour", "path", "seconds",
                   "outcome", "in_peak_hours"]


def mask_caller(value) -> str:
    """A caller id with its middle masked: at most 3 leading and 2 trailing characters kept, never more than a
    third of the id (``13812345678`` → ``138******78``, ``U0000352`` → ``U0****52``); 4 characters or fewer
    are masked whole; missing → ``""``."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    s = str(value).strip()
    if len(s) <= 4:
        return "*" * len(s)
    head = min(3, len(s) // 3)
    tail = min(2, len(s) // 4)
    return s[:head] + "*" * (len(s) - head - tail) + s[len(s) - tail:]


def _pick(idx: np.ndarray, k: int) -> np.ndarray:
    if len(idx) <= k:
        return idx
    return idx[np.unique(np.linspace(0, len(idx) - 1, k).round().astype(np.int64))]


def hotspot_examples(log: CallLog, ent: EnteredNodes, hot: pd.DataFrame, request_node: np.ndarray,
                     labels: dict[str, str], hours: np.ndarray, peak_hours: dict[tuple[str, str], np.ndarray],
                     per_hotspot: int = 5) -> pd.DataFrame:
    """Example calls per hot spot row of ``hot`` (columns ``type``, ``node``); ``hours``: hour of each call;
    ``peak_hours``: (type, node) → its elevated hours (may be absent)."""
    if hot.empty or log.n_calls == 0:
        return pd.DataFrame(columns=EXAMPLE_COLUMNS)
    code = {nm: i for i, nm in enumerate(log.node_names)}
    order = np.argsort(log.call_start, kind="stable")
    starts = np.r_[0, np.cumsum(ent.length)]
    hang_node = np.where(log.call_outcome == OUT_HANGUP, log.call_node, -1)
    rows = []
    for typ, nid in hot[["type", "node"]].drop_duplicates().itertuples(index=False, name=None):
        c = code.get(nid)
        if c is None:
            continue
        at = hang_node if typ == "drop_off" else request_node
        match = order[at[order] == c]
        peak = peak_hours.get((typ, nid))
        chosen = list(_pick(match, per_hotspot))
        if peak is not None and len(peak):
            in_peak = match[np.isin(hours[match], peak)]
            chosen += [i for i in _pick(in_peak, per_hotspot) if i not in set(chosen)]
        for j, i in enumerate(chosen, start=1):
            seq = ent.node[starts[i]:starts[i + 1]]
            rows.append({
                "type": typ, "node": nid, "label": labels.get(nid, nid), "example": j, "call_id": log.call_ids[i],
                "caller": (mask_caller(log.caller_names[log.call_caller[i]])
                           if log.call_caller is not None and log.call_caller[i] >= 0 else ""),
                "start": pd.Timestamp(int(log.call_start[i])).isoformat(), "hour": int(hours[i]),
                "path": " > ".join(labels.get(log.node_names[s], log.node_names[s]) for s in seq),
                "seconds": (log.call_end[i] - log.call_start[i]) / NS, "outcome": OUTCOMES[log.call_outcome[i]],
                "in_peak_hours": bool(peak is not None and int(hours[i]) in set(np.asarray(peak).tolist())),
            })
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)
