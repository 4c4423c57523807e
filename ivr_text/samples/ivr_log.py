"""What the IVR log does to the simulated events (lost terminal events, duplicates, late rows, file order) and
the planted facts of the IVR part.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.samples.menu import _Menu
from ivr_text.samples.params import _EV, PARAMS


def _code_categorical(codes: np.ndarray, labels: np.ndarray) -> pd.Categorical:
    """Categorical over the labels actually used (keeps Parquet dictionaries and CSV reading small)."""
    present = np.bincount(codes, minlength=len(labels)) > 0
    new_code = np.cumsum(present) - 1
    return pd.Categorical.from_codes(new_code[codes], categories=labels[present])


def _file_order(idx: np.ndarray, call: np.ndarray, seq: np.ndarray, ts_rel: np.ndarray, n_calls: int) -> np.ndarray:
    """File order of rows ``idx``: by time across calls (interleaved, as a switch writes them), then call, seq."""
    span = int(ts_rel.max()) + 1 if len(ts_rel) else 1
    if span * (n_calls + 1) * 64 < 2**62 and seq.max(initial=0) < 64:
        key = (ts_rel[idx] * (n_calls + 1) + call[idx]) * 64 + seq[idx]
        return idx[np.argsort(key, kind="stable")]
    return idx[np.lexsort((seq[idx], call[idx], ts_rel[idx]))]


def _event_noise(call, seq, ts_rel, rng: np.random.Generator, n_calls: int, call_ids: np.ndarray):
    """Row indices (with repeats) of the noisy log in file order, and what was planted."""
    P = PARAMS
    # calls whose terminal event is lost (the terminal event is a call's last by sequence)
    n_unterm = int(round(n_calls * P["unterminated_rate"]))
    unterm = np.sort(rng.choice(n_calls, size=min(n_unterm, n_calls), replace=False))
    is_unterm = np.zeros(n_calls, dtype=bool)
    is_unterm[unterm] = True
    count = np.bincount(call, minlength=n_calls)
    keep = ~(is_unterm[call] & (seq == count[call] - 1))
    idx = np.flatnonzero(keep)
    # exact duplicate rows
    dup = idx[rng.random(len(idx)) < P["dup_event_rate"]]
    idx = _file_order(np.concatenate([idx, dup]), call, seq, ts_rel, n_calls)
    # rows written late: moved up to 300 rows later in the file (their ts is unchanged)
    pos = np.arange(len(idx), dtype=np.float64)
    moved = np.flatnonzero(rng.random(len(idx)) < P["displaced_rate"])
    pos[moved] += rng.integers(2, 300, len(moved)) + 0.5
    idx = idx[np.argsort(pos, kind="stable")]
    truth = {"unterminated_calls": call_ids[unterm].tolist(), "duplicate_rows": int(len(dup)),
             "displaced_rows": int(len(moved))}
    return idx, truth


def _ivr_truth(calls: pd.DataFrame, ev: dict, m: _Menu, noise_truth: dict, rank: np.ndarray) -> dict:
    selfserv = calls["outcome"] == "complete"
    entries = np.bincount(ev["node"][ev["event"] == _EV["enter"]], minlength=len(m.ids))
    hang = np.bincount(ev["node"][ev["event"] == _EV["hangup"]], minlength=len(m.ids))
    rate = {m.ids[k]: round(float(hang[k] / entries[k]), 4) for k in range(len(m.ids)) if entries[k] >= 20}
    planted = {k: v for k, v in PARAMS["planted_hangup_nodes"].items() if k in m.ids}
    tgt = calls["target"].value_counts()
    deep_popular = [t for t in PARAMS["target_popularity"]
                    if t in m.ids and (m.depth[m.ids.index(t)] >= 3 or m.position[m.ids.index(t)] >= 3)
                    and PARAMS["target_popularity"][t] >= 3]
    return {
        "calls": int(len(calls)),
        "self_service_rate": round(float(selfserv.mean()), 4),
        "self_service_mean_s": round(float(calls.loc[selfserv, "duration_s"].mean()), 2) if selfserv.any() else None,
        "outcome_share": {k: round(float(v), 4) for k, v in calls["outcome"].value_counts(normalize=True).items()},
        "self_service_rate_by_segment": {k: round(float(v), 4) for k, v in
                                         selfserv.groupby(calls["segment"]).mean().items()},
        "planted_hangup_nodes": planted,
        "hangup_rate_by_node": rate,
        "popular_deep_or_late_services": deep_popular,
        "target_share": {k: round(float(v / len(calls)), 4) for k, v in tgt.items()},
        "repeat_calls_within_24h": int(calls["is_repeat"].sum()),
        **noise_truth,
    }
