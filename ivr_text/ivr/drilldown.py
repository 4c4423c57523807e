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


def _pick(idx: np.ndarray, start: np.ndarray, k: int) -> np.ndarray:
    """Up to ``k`` of the calls ``idx`` at evenly spaced ranks of their start time (first and last included),
    in time order; a partial sort (``argpartition``), so O(len(idx))."""
    if len(idx) <= k:
        return idx[np.argsort(start[idx], kind="stable")]
    ranks = np.unique(np.linspace(0, len(idx) - 1, k).round().astype(np.int64))
    part = np.argpartition(start[idx], ranks)
    return idx[part[ranks]]


def hotspot_examples(log: CallLog, ent: EnteredNodes, hot: pd.DataFrame, request_node: np.ndarray,
                     labels: dict[str, str], hours: np.ndarray, peak_hours: dict[tuple[str, str], np.ndarray],
                     per_hotspot: int = 5) -> pd.DataFrame:
    """Example calls per hot spot row of ``hot`` (columns ``type``, ``node``); ``hours``: hour of each call;
    ``peak_hours``: (type, node) → its elevated hours (may be absent)."""
    if hot.empty or log.n_calls == 0:
        return pd.DataFrame(columns=EXAMPLE_COLUMNS)
    code = {nm: i for i, nm in enumerate(log.node_names)}
    groups = {}
    for typ, at in (("drop_off", np.where(log.call_outcome == OUT_HANGUP, log.call_node, -1)),
                    ("transfer", request_node)):
        idx = np.flatnonzero(at >= 0)
        key = at[idx]
        o = np.argsort(key.astype(np.int16) if log.n_nodes < 32_767 else key, kind="stable")  # radix: grouped
        idx, key = idx[o], key[o]
        cuts = np.searchsorted(key, np.arange(log.n_nodes + 1))
        groups[typ] = (idx, cuts)
    picked, meta = [], []
    for typ, nid in hot[["type", "node"]].drop_duplicates().itertuples(index=False, name=None):
        c = code.get(nid)
        if c is None or typ not in groups:
            continue
        idx, cuts = groups[typ]
        match = idx[cuts[c]:cuts[c + 1]]
        peak = peak_hours.get((typ, nid))
        chosen = list(_pick(match, log.call_start, per_hotspot))
        if peak is not None and len(peak):
            seen = set(chosen)
            chosen += [i for i in _pick(match[np.isin(hours[match], peak)], log.call_start, per_hotspot)
                       if i not in seen]
        picked += chosen
        meta += [(typ, nid, j, peak) for j in range(1, len(chosen) + 1)]
    if not picked:
        return pd.DataFrame(columns=EXAMPLE_COLUMNS)
    calls = np.asarray(picked, dtype=np.int64)
    ids = np.asarray(log.call_ids[calls], dtype=object)  # one look-up for all (ids may be Arrow strings)
    callers = [""] * len(calls)
    if log.call_caller is not None:
        cc = log.call_caller[calls]
        names = np.asarray(log.caller_names[np.maximum(cc, 0)], dtype=object)
        callers = [mask_caller(v) if c >= 0 else "" for v, c in zip(names, cc)]
    starts = np.r_[0, np.cumsum(ent.length)]
    node_label = [labels.get(nm, nm) for nm in log.node_names]
    rows = []
    for j, (i, (typ, nid, k, peak)) in enumerate(zip(calls, meta)):
        rows.append({
            "type": typ, "node": nid, "label": labels.get(nid, nid), "example": k, "call_id": ids[j],
            "caller": callers[j], "start": pd.Timestamp(int(log.call_start[i])).isoformat(), "hour": int(hours[i]),
            "path": " > ".join(node_label[s] for s in ent.node[starts[i]:starts[i + 1]]),
            "seconds": (log.call_end[i] - log.call_start[i]) / NS, "outcome": OUTCOMES[log.call_outcome[i]],
            "in_peak_hours": bool(peak is not None and int(hours[i]) in set(np.asarray(peak).tolist())),
        })
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)
