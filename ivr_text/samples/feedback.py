"""Feedback events (complaints and agent calls) per customer and month, by lifecycle phase.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ivr_text.samples import templates as T
from ivr_text.samples.customers import Customers, LIFECYCLE_NAMES
from ivr_text.samples.params import PARAMS, _rng


#: Complaint-class mix (order of templates.LABELS) by lifecycle.
_CAUSE_MIX = {
    "stable": [0.14, 0.18, 0.12, 0.10, 0.14, 0.14, 0.08, 0.10],
    "downgrade": [0.12, 0.22, 0.10, 0.12, 0.12, 0.16, 0.06, 0.10],
    "resolved": [0.20, 0.20, 0.10, 0.08, 0.18, 0.12, 0.05, 0.07],
    "churn_pattern": [0.26, 0.22, 0.16, 0.08, 0.14, 0.06, 0.03, 0.05],
    "silent_churn": [0.14, 0.18, 0.12, 0.10, 0.14, 0.14, 0.08, 0.10],
    "noise": [0.12, 0.16, 0.12, 0.14, 0.12, 0.12, 0.10, 0.12],
}


def _poisson_events(rate: np.ndarray, cust: Customers, rng: np.random.Generator):
    """Events drawn as Poisson counts per customer-month, at random times within the month."""
    counts = rng.poisson(rate)
    cells = np.flatnonzero(counts.ravel())
    rep = counts.ravel()[cells]
    cell = np.repeat(cells, rep)
    who, mon = np.divmod(cell, cust.months)
    month_len = (cust.month_start[1:] - cust.month_start[:-1]).astype(np.int64)
    hw = np.array(PARAMS["hour_weights"], dtype=float)
    day = (rng.random(len(cell)) * (month_len[mon] // 86400)).astype(np.int64)
    hour = rng.choice(24, size=len(cell), p=hw / hw.sum())
    sec = day * 86400 + hour * 3600 + rng.integers(0, 3600, len(cell))
    return who, mon, cust.month_start[:-1][mon] + sec.astype("timedelta64[s]")


def complaint_events(cust: Customers, seed: int = 0) -> pd.DataFrame:
    """Complaint orders as events: customer index, time, true ``cause`` and written ``label`` (with
    ``PARAMS["label_noise"]``); texts come from :func:`complaints_frame`."""
    rng = _rng(seed, "complaint_events")
    who, mon, ts = _poisson_events(cust.complaint_rate, cust, rng)
    mix = np.array([_CAUSE_MIX[LIFECYCLE_NAMES[k]] for k in range(len(LIFECYCLE_NAMES))])
    mix = mix / mix.sum(axis=1, keepdims=True)
    cum = np.cumsum(mix, axis=1)[cust.lifecycle[who]]
    cause = (rng.random(len(who))[:, None] >= cum).sum(axis=1).clip(0, len(T.LABELS) - 1)
    # label noise: the label written on the order differs from the true cause
    noisy = rng.random(len(who)) < PARAMS["label_noise"]
    label = np.where(noisy, (cause + rng.integers(1, len(T.LABELS), len(who))) % len(T.LABELS), cause)
    order = np.lexsort((who, ts))
    names = np.array(T.LABELS, dtype=object)
    return pd.DataFrame({"customer": who[order], "ts": ts[order], "cause": names[cause[order]],
                         "label": names[label[order]]})


def feedback_frame(cust: Customers, complaints: pd.DataFrame | None, calls: pd.DataFrame | None,
                   seed: int = 0) -> pd.DataFrame:
    """Feedback events ``customer_id, ts, cause, channel``: complaints (cause = written label), direct agent
    calls (``agent_call``) and IVR calls that reached an agent (``ivr_transfer``, cause from the menu branch)."""
    rng = _rng(seed, "feedback")
    parts = []
    if complaints is not None and len(complaints):
        label = complaints["label"] if "label" in complaints else complaints["cause"]
        parts.append(pd.DataFrame({"customer": complaints["customer"].to_numpy(), "ts": complaints["ts"].to_numpy(),
                                   "cause": label.to_numpy(), "channel": "complaint"}))
    who, mon, ts = _poisson_events(cust.agent_rate, cust, rng)
    mix = np.array([_CAUSE_MIX[LIFECYCLE_NAMES[k]] for k in range(len(LIFECYCLE_NAMES))])
    cum = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)[cust.lifecycle[who]]
    cause = (rng.random(len(who))[:, None] >= cum).sum(axis=1).clip(0, len(T.LABELS) - 1)
    cause_s = np.array(T.LABELS, dtype=object)[cause]
    cause_s[rng.random(len(who)) < 0.3] = ""  # many agent calls carry no coded cause
    parts.append(pd.DataFrame({"customer": who, "ts": ts, "cause": cause_s, "channel": "agent_call"}))
    if calls is not None and len(calls):
        tr = calls[calls["outcome"] == "transfer"]
        end = tr["start"].to_numpy() + tr["duration_s"].to_numpy().astype("timedelta64[s]")
        parts.append(pd.DataFrame({"customer": tr["customer"].to_numpy(), "ts": end,
                                   "cause": tr["branch"].map(T.BRANCH_CAUSE).fillna("").to_numpy(),
                                   "channel": "ivr_transfer"}))
    fb = pd.concat(parts, ignore_index=True)
    fb = fb.sort_values(["ts", "customer", "channel"], kind="stable").reset_index(drop=True)
    big = cust.n > 50_000
    ids = pd.Categorical.from_codes(fb["customer"].to_numpy(), categories=cust.ids) if big \
        else cust.ids[fb["customer"].to_numpy()]
    return pd.DataFrame({"customer_id": ids, "ts": fb["ts"].to_numpy().astype("datetime64[s]"),
                         "cause": pd.Categorical(fb["cause"]) if big else fb["cause"].to_numpy(),
                         "channel": pd.Categorical(fb["channel"]) if big else fb["channel"].to_numpy()})
