"""Synthetic, deterministic sample world for a 10086-like hotline: IVR menu, event log, complaints, usage, churn.

``generate_world(out_dir, seed=…)`` writes one consistent world (same seed and options ⇒ byte-identical
files): ``menu.yaml``, ``ivr_events``, ``complaints``, ``feedback``, ``usage``, ``churn_labels``, a
``README.md`` stating every assumption with its rate, and ``truth.json`` with the planted facts (for tests
and docs only — analyses must never read it).

Guarantees: every generator is vectorised numpy driven by ``numpy.random.default_rng`` streams derived from
``(seed, part)``, so skipping a part never changes another part's output; all planted noise rates live in
:data:`PARAMS` / :data:`LIFECYCLE_SHARES` and are echoed into README.md and truth.json.

Measured speed (2 cores shared with other jobs, ``benchmarks/bench_samples.py``): 1.45 M calls → 10.0 M IVR
events simulated and written to Parquet in 32–43 s (230–320 k events/s, peak RSS ≈2.1 GB); 1 M customers ×
12 months (11.5 M usage rows, 2.8 M feedback events, labels) to Parquet in 54 s on a quiet machine, ≈2 min
under load (peak RSS ≈4.2 GB). The default sample world (7,000 calls, 1,600 customers) takes ≈1.5 s.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from ivr_text import sample_templates as T

# ============================================================================================== parameters

#: Shares of customer lifecycles (must sum to 1). Churn rate ≈ churn_pattern + silent_churn.
LIFECYCLE_SHARES: dict[str, float] = {
    "stable": 0.49,          # few complaints, steady usage
    "downgrade": 0.06,       # usage and bill step down for good (cheaper plan, second SIM) but no churn
    "resolved": 0.12,        # complaints rise for 2-3 months, usage holds, complaints fall back, usage stays
    "churn_pattern": 0.09,   # complaints rise (usage holds) → silence + bill down ≥15 % for ~3 months → churn
    "silent_churn": 0.05,    # usage declines for ~3 months and churn, without complaints
    "noise": 0.19,           # random complaints and random one-off usage dips, no churn
}

#: Customer segments (brands / groups): share, and how they behave in the IVR and in usage.
SEGMENTS: dict[str, dict] = {
    #            share  zero-out ×  hang-up ×  input-error ×  plan fee  minutes  data MB  sms  broadband share
    "全球通": dict(share=0.15, zero=1.5, hang=0.8, err=0.8, fee=168.0, minutes=620, data_mb=18000, sms=35, bb=0.65),
    "动感地带": dict(share=0.30, zero=0.6, hang=1.1, err=0.7, fee=58.0, minutes=160, data_mb=26000, sms=20, bb=0.35),
    "神州行": dict(share=0.45, zero=1.0, hang=1.1, err=1.5, fee=32.0, minutes=310, data_mb=3500, sms=15, bb=0.40),
    "政企": dict(share=0.10, zero=2.0, hang=0.7, err=0.8, fee=128.0, minutes=880, data_mb=14000, sms=60, bb=0.70),
}

PARAMS: dict = {
    # --- IVR navigation (probabilities per menu visit, before segment and node multipliers)
    "p_hangup_menu": 0.007,          # abandon while a menu prompt plays (× (1 + 0.5·depth))
    "p_zero_menu": 0.005,            # press 0 for an agent (× (1 + 0.6·depth + 0.35·(key position − 1)))
    "p_no_input": 0.025,             # caller says / presses nothing before the timeout
    "p_no_match": 0.018,             # caller presses a key the menu does not offer
    "p_wrong_branch": 0.035,         # caller picks a wrong option (then usually presses * to go back)
    "p_repeat": 0.010,               # caller presses # to hear the menu again
    "max_failures": 3,               # no_input + no_match at one menu before the IVR transfers (or disconnects)
    "p_fail_transfer": 0.75,         # after max_failures: transfer to agent (else the IVR hangs up)
    "p_service_zero": 0.03,          # after a self-service prompt the caller presses 0 anyway
    "p_service_hangup": 0.015,       # abandon during a self-service prompt
    # Planted trouble spots: multipliers on the hang-up probability at these nodes (a bad prompt / long wait).
    "planted_hangup_nodes": {"bill_detail": 6.0, "bb_fault": 5.0, "bb_progress": 10.0, "plan_vas_cancel": 8.0},
    # What callers want (relative popularity of leaves). Popular services deep or late in key order:
    # plan_vas_cancel (3·3·3), bill_detail_month (1·2·1), data_remaining (2·1), other_signal (9·2).
    "target_popularity": {
        "bill_balance": 20, "bill_detail_month": 9, "bill_detail_history": 2, "bill_detail_sms": 2,
        "bill_pay": 7, "bill_agent": 1, "data_remaining": 12, "data_pack_month": 4, "data_pack_day": 2,
        "data_pack_night": 1, "plan_current": 4, "plan_change_5g": 3, "plan_change_family": 1.5,
        "plan_change_agent": 1, "plan_vas_list": 1.5, "plan_vas_ringtone": 1, "plan_vas_cancel": 8,
        "bb_fault_offline": 3, "bb_fault_slow": 2, "bb_fault_agent": 0.5, "bb_progress": 2, "bb_install": 1,
        "points_query": 2, "points_redeem": 2, "acct_password": 2, "acct_suspend": 1,
        "other_roaming": 1, "other_signal": 3, "agent": 3,
    },
    # --- IVR timing (seconds)
    "prompt_base_s": 3.0, "prompt_per_option_s": 1.6, "prompt_per_depth_s": 1.0,
    "p_barge_in": 0.35,              # experienced callers press before the prompt reads their option
    "no_input_timeout_s": 5.0,
    "service_mean_s": 17.0,          # self-service announcement (lognormal, sigma 0.35)
    # --- calls
    "repeat_call_share": 0.12,       # share of calls that are a repeat (same caller, within 24 h) of a failed call
    "repeat_mean_hours": 3.0,
    "hour_weights": [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 3, 7, 10, 10, 9, 7, 7, 8, 9, 9, 8, 7, 8, 8, 6, 4, 2],
    # --- event-log noise (documented rates)
    "dup_event_rate": 0.004,         # share of events written twice (exact duplicates)
    "unterminated_rate": 0.010,      # share of calls whose terminal event is missing from the log
    "displaced_rate": 0.003,         # share of events written late in the file (up to 300 rows later)
    # --- customers and feedback
    "complaint_rate": {"stable": 0.03, "resolved_low": 0.04, "rise": 0.5, "silence": 0.01, "noise": 0.14},
    "agent_call_rate": {"base": 0.15, "rise": 0.6, "silence": 0.05},
    "ivr_call_weight": {"base": 1.0, "rise": 3.0, "silence": 0.4},
    "decline_multipliers": [0.82, 0.68, 0.55],   # usage/bill in the 3 months before churn (jitter ±0.05)
    "noise_dip_range": [0.55, 0.8],              # one-off usage dips of noise customers
    "seasonal_minutes": [1.12, 1.18, 1.0, 0.98, 0.97, 0.96, 0.97, 0.98, 1.0, 1.02, 1.0, 1.06],
    "seasonal_data": [0.97, 1.05, 0.97, 0.98, 1.0, 1.0, 1.08, 1.1, 1.0, 1.0, 1.0, 1.02],
    "usage_monthly_sigma": 0.08,
    "customer_level_sigma": 0.45,
    "long_distance_share": 0.35,     # customers who pay long-distance fees at all
    # --- usage data-quality errors (share of usage rows unless stated)
    "q_broadband_over_day": 0.002,   # broadband_max_daily_seconds > 86,400
    "q_long_distance_over_bill": 0.002,
    "q_negative": 0.002,             # one of minutes / data_mb / sms / bill negative
    "q_missing": 0.010,              # one measure left empty
    "q_duplicate": 0.003,            # a customer-period written twice (half exact, half with other values)
    "q_gap": 0.010,                  # a customer-month missing (gap in periods)
    "q_after_churn": 0.05,           # share of churners with 1-2 usage rows after their churn month
    # --- complaint texts
    "label_noise": 0.05,             # written label differs from the true cause
    "ambiguous_share": 0.08,         # texts whose body honestly fits two classes
    "pii_share": 0.08,               # texts carrying an unmasked phone number, ID number or e-mail
    "masked_share": 0.15,            # texts with ****** masking
    "traditional_share": 0.02,       # texts in Traditional characters
    "fullwidth_share": 0.03,         # texts with full-width digits and letters
}

PARTS = ("menu", "customers", "ivr", "feedback", "complaints", "usage", "labels")

EVENTS = ("enter", "key", "no_input", "no_match", "transfer", "hangup", "complete")
KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#")
_EV = {e: i for i, e in enumerate(EVENTS)}
_KEY = {k: i for i, k in enumerate(KEYS)}
_NO_KEY = -1


def _rng(seed: int, part: str) -> np.random.Generator:
    """An independent random stream per (seed, part)."""
    tag = int.from_bytes(part.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng([int(seed), tag])


# ================================================================================================ menu


def build_menu() -> dict:
    """The IVR menu as written to menu.yaml: ``{"nodes": [{id, label, parent, key, kind[, cause]}, …],
    "global_keys": …}``; first-level branches carry the complaint cause their calls are coded with."""
    return {
        "nodes": [dict(id=i, label=lab, parent=p, key=k, kind=kd,
                       **({"cause": T.BRANCH_CAUSE[i]} if p == "root" and i in T.BRANCH_CAUSE else {}))
                  for i, lab, p, k, kd in T.MENU_NODES],
        "global_keys": {"0": "agent (transfer from any menu or service)", **T.GLOBAL_KEYS},
    }


@dataclass
class _Menu:
    """Array form of a menu for the vectorised simulation."""

    ids: list[str]
    kind: np.ndarray          # 0 menu, 1 service, 2 agent
    parent: np.ndarray        # -1 for root
    depth: np.ndarray
    key_code: np.ndarray      # code of the key selecting the node from its parent (-1 root)
    position: np.ndarray      # 1-based position of the node in its parent's prompt
    n_options: np.ndarray     # children of a menu
    child_by_key: np.ndarray  # (n_nodes, len(KEYS)) → child index or -1
    children: np.ndarray      # (n_nodes, max_children) padded with -1, non-agent children first
    n_plain: np.ndarray       # non-agent children count
    invalid_keys: np.ndarray  # (n_nodes, 10) digit codes not offered, padded with -1
    n_invalid: np.ndarray
    branch: np.ndarray        # first-level ancestor index (itself for level 1, root for root)
    path: np.ndarray          # (n_nodes, max_depth+1) node indices from root, -1 padded


def _menu_arrays(menu: dict | None = None) -> _Menu:
    nodes = (menu or build_menu())["nodes"]
    ids = [str(n["id"]) for n in nodes]
    index = {i: k for k, i in enumerate(ids)}
    if len(index) != len(ids):
        raise ValueError("menu: duplicate node ids")
    n = len(ids)
    kind = np.array([{"menu": 0, "service": 1, "agent": 2}[n_["kind"]] for n_ in nodes], dtype=np.int8)
    parent = np.array([index[n_["parent"]] if n_.get("parent") is not None else -1 for n_ in nodes])
    roots = np.flatnonzero(parent < 0)
    if len(roots) != 1:
        raise ValueError("menu: exactly one root (parent null) is required")
    key_code = np.array([_KEY[str(n_["key"])] if n_.get("key") is not None else -1 for n_ in nodes])
    depth = np.zeros(n, dtype=np.int64)
    for k in range(n):
        d, p = 0, parent[k]
        while p >= 0:
            d, p = d + 1, parent[p]
            if d > n:
                raise ValueError("menu: parent links form a cycle")
        depth[k] = d
    child_by_key = np.full((n, len(KEYS)), -1)
    position = np.zeros(n, dtype=np.int64)
    n_options = np.zeros(n, dtype=np.int64)
    kids: list[list[int]] = [[] for _ in range(n)]
    for k in range(n):
        if parent[k] >= 0:
            kids[parent[k]].append(k)
            child_by_key[parent[k], key_code[k]] = k
    max_children = max(1, max(len(c) for c in kids))
    children = np.full((n, max_children), -1)
    n_plain = np.zeros(n, dtype=np.int64)
    invalid = np.full((n, 10), -1)
    n_invalid = np.zeros(n, dtype=np.int64)
    for k in range(n):
        n_options[k] = len(kids[k])
        for pos, c in enumerate(kids[k], start=1):
            position[c] = pos
        plain = [c for c in kids[k] if kind[c] != 2]
        children[k, :len(plain)] = plain
        n_plain[k] = len(plain)
        offered = {key_code[c] for c in kids[k]} | {_KEY["0"]}
        bad = [_KEY[d] for d in "123456789" if _KEY[d] not in offered]
        invalid[k, :len(bad)] = bad
        n_invalid[k] = len(bad)
    root = roots[0]
    branch = np.array([root if k == root else _ancestor_at(parent, k, depth[k], 1) for k in range(n)])
    path = np.full((n, depth.max() + 1), -1)
    for k in range(n):
        p = k
        for d in range(depth[k], -1, -1):
            path[k, d] = p
            p = parent[p]
    return _Menu(ids, kind, parent, depth, key_code, position, n_options, child_by_key, children, n_plain,
                 invalid, n_invalid, branch, path)


def _ancestor_at(parent: np.ndarray, k: int, depth: int, level: int) -> int:
    while depth > level:
        k, depth = parent[k], depth - 1
    return int(k)


# ================================================================================================ customers


@dataclass
class Customers:
    """The customer base: per-customer attributes and per-(customer, month) rates driving every other part."""

    ids: np.ndarray               # object array of "U0000001"
    segment: np.ndarray           # index into SEGMENT_NAMES
    lifecycle: np.ndarray         # index into LIFECYCLE_NAMES
    churn_month: np.ndarray       # month index of churn, -1 if none
    broadband: np.ndarray         # bool
    complaint_rate: np.ndarray    # (n, months) expected complaints
    agent_rate: np.ndarray        # (n, months) expected direct agent calls
    call_weight: np.ndarray       # (n, months) relative IVR call propensity (0 after churn)
    usage_mult: np.ndarray        # (n, months) lifecycle multiplier on usage and bill
    phase: np.ndarray             # (n, months) int8: 0 normal, 1 complaint rise, 2 silence/decline, 3 dip,
    #                               4 downgraded, 9 churned
    periods: list[str]
    month_start: np.ndarray       # datetime64[s] of each month's first second (months + 1 entries)

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def months(self) -> int:
        return len(self.periods)


SEGMENT_NAMES = list(SEGMENTS)
LIFECYCLE_NAMES = list(LIFECYCLE_SHARES)


def _periods(start: str, months: int) -> tuple[list[str], np.ndarray]:
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(start))
    if not m or not 1 <= int(m[2]) <= 12:
        raise ValueError(f"start must be YYYY-MM, got {start!r}")
    if months < 1:
        raise ValueError("months must be at least 1")
    first = np.datetime64(f"{m[1]}-{m[2]}", "M")
    mons = first + np.arange(months + 1)
    return [str(x) for x in mons[:-1]], mons.astype("datetime64[s]")


def _customer_ids(n: int, prefix: str = "U") -> np.ndarray:
    width = max(7, len(str(n)))
    return (prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)).to_numpy(dtype=object)


#: Worlds: ``default`` (sample_logs/) and ``curve``, built on the operators' feedback–usage curve: after the
#: complaint rise, churn-pattern customers fall silent while their usage declines gradually over
#: ``silent_decline`` months (uniform, inclusive; linearly down to ``silent_floor`` ± 0.05 of normal), so their
#: complaint peak lies well before the warning; churners churn up to ``churn_after`` months after the last
#: written month (labels then hold future churn, as an operator's extract does); benign downgraders (usage
#: steps down for good, no churn) are 14 % of customers instead of 6 %.
WORLDS = {"default": {}, "curve": {"silent_decline": (3, 9), "silent_floor": 0.55, "churn_after": 3,
                                   "shares": {**LIFECYCLE_SHARES, "stable": 0.41, "downgrade": 0.14}}}


def customers_frame(n_customers: int, seed: int = 0, *, months: int = 12, start: str = "2024-01",
                    shares: dict[str, float] | None = None, silent_decline: tuple[int, int] | None = None,
                    silent_floor: float = 0.55, churn_after: int = 0) -> Customers:
    """Draw customers, their segment, lifecycle and the per-month rates of complaints, calls and usage.

    ``silent_decline``, ``silent_floor`` and ``churn_after``: see :data:`WORLDS`; drawn from their own random
    stream, so without them nothing changes.
    """
    if n_customers < 1:
        raise ValueError("customers must be at least 1")
    shares = shares or LIFECYCLE_SHARES
    if abs(sum(shares.values()) - 1) > 1e-6:
        raise ValueError("lifecycle shares must sum to 1")
    rng = _rng(seed, "customers")
    periods, month_start = _periods(start, months)
    n, M = n_customers, months
    seg_p = np.array([SEGMENTS[s]["share"] for s in SEGMENT_NAMES])
    segment = rng.choice(len(SEGMENT_NAMES), size=n, p=seg_p / seg_p.sum())
    life_p = np.array([shares.get(k, 0.0) for k in LIFECYCLE_NAMES])
    lifecycle = rng.choice(len(LIFECYCLE_NAMES), size=n, p=life_p)
    bb_share = np.array([SEGMENTS[s]["bb"] for s in SEGMENT_NAMES])
    broadband = rng.random(n) < bb_share[segment]

    cr, ar, cw = PARAMS["complaint_rate"], PARAMS["agent_call_rate"], PARAMS["ivr_call_weight"]
    complaint = np.full((n, M), cr["stable"])
    agent = np.full((n, M), ar["base"])
    weight = np.full((n, M), cw["base"])
    mult = np.ones((n, M))
    phase = np.zeros((n, M), dtype=np.int8)
    churn = np.full(n, -1)
    month = np.arange(M)[None, :]
    life = np.array(LIFECYCLE_NAMES)[lifecycle]
    person_rise = rng.uniform(0.65, 1.35, n)[:, None]  # how loud a customer complains in a rise phase

    # churners: churn month late enough for the full pattern when the window allows
    is_churn = np.isin(life, ["churn_pattern", "silent_churn"])
    lo = min(7, M - 1)
    churn[is_churn] = rng.integers(lo, M, is_churn.sum()) if M > 1 else 0
    crng = _rng(seed, "curve")
    if churn_after:
        churn[is_churn] = crng.integers(lo, M + churn_after, is_churn.sum())
    c = churn[:, None]
    decline = np.array(PARAMS["decline_multipliers"])
    rel = c - month  # months until churn
    in_decline = is_churn[:, None] & (rel >= 1) & (rel <= len(decline))
    jitter = rng.uniform(-0.05, 0.05, (n, M))
    mult = np.where(in_decline, decline[np.clip(len(decline) - rel, 0, len(decline) - 1)] + jitter, mult)
    phase[in_decline] = 2
    complaint[in_decline] = cr["silence"]
    agent[in_decline] = ar["silence"]
    weight[in_decline] = cw["silence"]

    # churn pattern: complaints rise 2-4 months before the decline, usage holds
    rise_len = rng.integers(2, 5, n)[:, None]
    pat = (life == "churn_pattern")[:, None]
    quiet = np.full((n, 1), len(decline))          # months of silence (and decline) before churn
    if silent_decline:
        quiet = crng.integers(silent_decline[0], silent_decline[1] + 1, n)[:, None]
        slow = pat & (rel >= 1) & (rel <= quiet)
        step = (quiet - rel + 1) / quiet           # 1/quiet .. 1 along the decline
        mult = np.where(slow, 1 - (1 - silent_floor - jitter) * step, mult)
        complaint[slow] = cr["silence"]
        agent[slow] = ar["silence"]
        weight[slow] = cw["silence"]
        phase[slow] = 2
    in_rise = pat & (rel > quiet) & (rel <= quiet + rise_len)
    complaint = np.where(in_rise, cr["rise"] * person_rise, complaint)
    agent[in_rise] = ar["rise"]
    weight[in_rise] = cw["rise"]
    phase[in_rise] = 1
    silent = (life == "silent_churn")[:, None]
    complaint = np.where(silent & ~in_decline, cr["silence"], complaint)

    # resolved: a rise of 2-3 months somewhere, then back to low
    res = (life == "resolved")[:, None]
    onset = rng.integers(0, max(1, M - 3), n)[:, None]
    r_len = rng.integers(2, 4, n)[:, None]
    in_res = res & (month >= onset) & (month < onset + r_len)
    complaint = np.where(in_res, cr["rise"] * person_rise, np.where(res, cr["resolved_low"], complaint))
    agent[in_res] = ar["rise"]
    weight[in_res] = cw["rise"]
    phase[in_res] = 1

    # downgrade: a 3-month step down to the decline level, then staying there (no churn) — a usage-only look-alike
    down = (life == "downgrade")[:, None]
    d_on = rng.integers(min(3, M - 1), M, n)[:, None] if M > 1 else np.zeros((n, 1), dtype=np.int64)
    in_down = down & (month >= d_on)
    step = decline[np.clip(month - d_on, 0, len(decline) - 1)] + rng.uniform(-0.05, 0.05, (n, 1))
    mult = np.where(in_down, step, mult)
    phase[in_down] = 4

    # noise: random complaints every month, one or two random one-off dips
    noi = (life == "noise")[:, None]
    complaint = np.where(noi, cr["noise"], complaint)
    lo_d, hi_d = PARAMS["noise_dip_range"]
    dip1 = rng.integers(0, M, n)[:, None]
    dip2 = np.where(rng.random(n) < 0.4, rng.integers(0, M, n), -1)[:, None]
    in_dip = noi & ((month == dip1) | (month == dip2))
    mult = np.where(in_dip, rng.uniform(lo_d, hi_d, (n, M)), mult)
    phase[in_dip] = 3

    gone = is_churn[:, None] & (month >= c)
    for arr in (complaint, agent, weight):
        arr[gone] = 0.0
    mult[gone] = 0.0
    phase[gone] = 9
    return Customers(_customer_ids(n), segment, lifecycle, churn, broadband, complaint, agent, weight, mult,
                     phase, periods, month_start)


# ================================================================================================ IVR


@dataclass
class IvrWorld:
    """Simulated IVR calls: the event log (with noise), one row per call, and the planted facts."""

    events: pd.DataFrame
    calls: pd.DataFrame
    truth: dict = field(default_factory=dict)


def _choose_calls(cust: Customers, n_calls: int, rng: np.random.Generator):
    """Pick (customer, start time) for ``n_calls`` first-time calls by the per-month call weights."""
    w = cust.call_weight.ravel()
    cum = np.cumsum(w)
    if cum[-1] <= 0:
        raise ValueError("no active customer to call")
    cell = np.searchsorted(cum, rng.random(n_calls) * cum[-1], side="right")
    cell = np.minimum(cell, len(w) - 1)
    who, mon = np.divmod(cell, cust.months)
    month_len = (cust.month_start[1:] - cust.month_start[:-1]).astype(np.int64)  # seconds
    days = (month_len // 86400)[mon]
    day = (rng.random(n_calls) * days).astype(np.int64)
    hw = np.array(PARAMS["hour_weights"], dtype=float)
    hour = rng.choice(24, size=n_calls, p=hw / hw.sum())
    sec = rng.integers(0, 3600, n_calls)
    start = cust.month_start[:-1][mon] + (day * 86400 + hour * 3600 + sec).astype("timedelta64[s]")
    return who, start


def _per_option_seconds(menu: _Menu, option_seconds) -> np.ndarray:
    """Listening seconds per announced option of each menu: ``prompt_per_option_s``, or the planted
    ``option_seconds`` (one number for every menu, or ``{menu id: seconds}``)."""
    out = np.full(len(menu.ids), float(PARAMS["prompt_per_option_s"]))
    if option_seconds is None:
        return out
    if isinstance(option_seconds, dict):
        for nid, v in option_seconds.items():
            if nid not in menu.ids:
                raise ValueError(f"option seconds: no menu node '{nid}'")
            out[menu.ids.index(nid)] = float(v)
    else:
        out[:] = float(option_seconds)
    if (out < 0).any():
        raise ValueError("option seconds must not be negative")
    return out


def parse_option_seconds(text: str | None):
    """``"2.5"`` → 2.5; ``"root=2.5,bill=1"`` → ``{"root": 2.5, "bill": 1.0}``; None → None."""
    if text is None or not str(text).strip():
        return None
    try:
        if "=" not in text:
            return float(text)
        return {k.strip(): float(v) for k, v in (part.split("=", 1) for part in text.split(",") if part.strip())}
    except ValueError:
        raise ValueError(f"option seconds: expected a number or MENU=SECONDS,…, got '{text}'") from None


def parse_hour_effect(text: str | None) -> dict[int, float] | None:
    """``"1-5=6"`` → {1: 6.0, …, 5: 6.0}; ``"0,23=3;12=2"`` → {0: 3.0, 23: 3.0, 12: 2.0}; None → None."""
    if text is None or not str(text).strip():
        return None
    out: dict[int, float] = {}
    try:
        for part in text.split(";"):
            hours, value = part.split("=", 1)
            for h in hours.split(","):
                a, _, b = h.strip().partition("-")
                out.update({x: float(value) for x in range(int(a), int(b or a) + 1)})
    except ValueError:
        raise ValueError(f"hour hang-up effect: expected HOURS=MULTIPLIER (e.g. 1-5=6), got '{text}'") from None
    return out


def _hour_multiplier(hours: np.ndarray, hour_hangup) -> np.ndarray | None:
    """Per call: the planted hang-up multiplier of its start hour (``{hour: multiplier}``), or None."""
    if not hour_hangup:
        return None
    mult = np.ones(24)
    for h, v in hour_hangup.items():
        if not 0 <= int(h) <= 23 or float(v) < 0:
            raise ValueError(f"hour hang-up effect: hour {h} must be 0–23 and its multiplier ≥ 0")
        mult[int(h)] = float(v)
    return mult[hours]


def _start_hours(start: np.ndarray) -> np.ndarray:
    return (start.astype("datetime64[h]").astype(np.int64) % 24).astype(np.int64)


def _simulate_paths(menu: _Menu, target: np.ndarray, seg: np.ndarray, rng: np.random.Generator,
                    per_option: np.ndarray | None = None, hang_mult: np.ndarray | None = None):
    """Vectorised walk of every call through the menu. Returns flat event arrays and per-call outcome.

    ``per_option``: planted listening seconds per option of each menu (then a wrong option is pressed when it is
    read; by default at the time the intended one would have been); ``hang_mult``: per call, a multiplier on every
    hang-up probability (the planted hour-of-day effect)."""
    P = PARAMS
    n = len(target)
    seg_zero = np.array([SEGMENTS[s]["zero"] for s in SEGMENT_NAMES])[seg]
    seg_hang = np.array([SEGMENTS[s]["hang"] for s in SEGMENT_NAMES])[seg]
    if hang_mult is not None:
        seg_hang = seg_hang * hang_mult
    seg_err = np.array([SEGMENTS[s]["err"] for s in SEGMENT_NAMES])[seg]
    node_hang = np.ones(len(menu.ids))
    for nid, m in P["planted_hangup_nodes"].items():
        if nid in menu.ids:
            node_hang[menu.ids.index(nid)] = m
    planted = per_option is not None
    if per_option is None:
        per_option = _per_option_seconds(menu, None)
    prompt = P["prompt_base_s"] + per_option * menu.n_options + P["prompt_per_depth_s"] * menu.depth

    root = int(np.flatnonzero(menu.parent < 0)[0])
    cur = np.full(n, root)
    t = np.zeros(n)
    seq = np.zeros(n, dtype=np.int64)
    fails = np.zeros(n, dtype=np.int64)
    outcome = np.full(n, -1, dtype=np.int8)   # event code of the terminal event
    end_node = np.full(n, -1)
    out_call, out_seq, out_t, out_node, out_ev, out_key = [], [], [], [], [], []

    def emit(idx, node, ev, key, dt):
        t[idx] = np.maximum(t[idx] + dt, np.where(seq[idx] > 0, t[idx] + 1, t[idx]))
        t[idx] = np.ceil(t[idx])
        out_call.append(idx)
        out_seq.append(seq[idx].copy())
        out_t.append(t[idx].copy())
        out_node.append(np.broadcast_to(node, idx.shape).astype(np.int64))
        out_ev.append(np.full(len(idx), _EV[ev], dtype=np.int8))
        out_key.append(np.broadcast_to(key, idx.shape).astype(np.int8))
        seq[idx] += 1

    def finish(idx, node, ev):
        outcome[idx] = _EV[ev]
        end_node[idx] = node

    all_idx = np.arange(n)
    emit(all_idx, cur, "enter", _NO_KEY, 0.0)
    active = all_idx
    max_steps = 40
    for step in range(max_steps):
        if not len(active):
            break
        a = active
        node = cur[a]
        kind = menu.kind[node]
        # ---- agent nodes: transfer
        ag = a[kind == 2]
        if len(ag):
            emit(ag, cur[ag], "transfer", _NO_KEY, rng.uniform(1, 3, len(ag)))
            finish(ag, cur[ag], "transfer")
        # ---- service nodes: the announcement, then complete / hangup / zero-out
        sv = a[kind == 1]
        if len(sv):
            nd = cur[sv]
            on_target = nd == target[sv]
            dur = rng.lognormal(np.log(P["service_mean_s"]) - 0.06, 0.35, len(sv))
            u = rng.random(len(sv))
            p_h = P["p_service_hangup"] * seg_hang[sv] * node_hang[nd]
            p_z = P["p_service_zero"] * seg_zero[sv]
            p_h = np.where(on_target, p_h, 0.30)     # the wrong service: often hang up or ask for an agent
            p_z = np.where(on_target, p_z, 0.35)
            hang = u < p_h
            zero = ~hang & (u < p_h + p_z)
            comp = ~hang & ~zero
            i = sv[hang]
            emit(i, cur[i], "hangup", _NO_KEY, dur[hang] * rng.uniform(0.2, 0.9, len(i)))
            finish(i, cur[i], "hangup")
            i = sv[zero]
            emit(i, cur[i], "key", _KEY["0"], dur[zero] * rng.uniform(0.3, 1.0, len(i)))
            emit(i, cur[i], "transfer", _NO_KEY, 1.0)
            finish(i, cur[i], "transfer")
            i = sv[comp]
            emit(i, cur[i], "complete", _NO_KEY, dur[comp])
            finish(i, cur[i], "complete")
        # ---- menus
        mn = a[kind == 0]
        if len(mn):
            _menu_step(menu, mn, cur, target, fails, seg_zero, seg_hang, seg_err, node_hang, prompt, rng,
                       emit, finish, step, per_option, wrong_at_chosen=planted)
        active = np.flatnonzero(outcome < 0)
    left = np.flatnonzero(outcome < 0)
    if len(left):
        emit(left, cur[left], "hangup", _NO_KEY, 5.0)
        finish(left, cur[left], "hangup")
    ev = dict(call=np.concatenate(out_call), seq=np.concatenate(out_seq), t=np.concatenate(out_t),
              node=np.concatenate(out_node), event=np.concatenate(out_ev), key=np.concatenate(out_key))
    return ev, outcome, end_node, t


def _menu_step(menu, mn, cur, target, fails, seg_zero, seg_hang, seg_err, node_hang, prompt, rng,
               emit, finish, step, per_option, wrong_at_chosen=False):
    P = PARAMS
    node = cur[mn]
    tgt = target[mn]
    d = menu.depth[node]
    # the child towards the target, if the current node is on the target's path
    on_path = menu.path[tgt, np.minimum(d, menu.path.shape[1] - 1)] == node
    nxt = np.where(on_path & (menu.depth[tgt] > d), menu.path[tgt, np.minimum(d + 1, menu.path.shape[1] - 1)], -1)
    pos = np.where(nxt >= 0, menu.position[np.maximum(nxt, 0)], 1)
    pr = prompt[node]
    n = len(mn)
    p_hang = P["p_hangup_menu"] * (1 + 0.5 * d) * seg_hang[mn] * node_hang[node]
    p_zero = P["p_zero_menu"] * (1 + 0.6 * d + 0.35 * (pos - 1)) * seg_zero[mn]
    p_ni = P["p_no_input"] * seg_err[mn]
    p_nm = P["p_no_match"] * seg_err[mn]
    p_wrong = np.where(menu.n_plain[node] > 1, P["p_wrong_branch"] * seg_err[mn], 0.0)
    p_rep = np.full(n, P["p_repeat"])
    p_back = np.zeros(n)
    off = nxt < 0  # off the target's path (went wrong): mostly go back
    p_back = np.where(off & (menu.parent[node] >= 0), 0.6, p_back)
    p_zero = np.where(off, 0.2, p_zero)
    p_hang = np.where(off, 0.1 * seg_hang[mn], p_hang)
    p_wrong = np.where(off, 0.0, p_wrong)
    probs = np.stack([p_hang, p_zero, p_ni, p_nm, p_wrong, p_rep, p_back], axis=1)
    cum = np.cumsum(probs, axis=1)
    u = rng.random(n)
    action = (u[:, None] >= cum).sum(axis=1)  # 0..6 as above, 7 = press the intended key
    action = np.where(off & (action == 7), 1, action)  # off-path with nothing else to do: ask for an agent
    # time until the caller acts
    barge = rng.random(n) < P["p_barge_in"]
    early = rng.uniform(1.0, 3.0, n)  # drawn in this order so that the default world stays the same
    pace = rng.uniform(0.8, 1.1, n)
    lag = rng.lognormal(0.0, 0.5, n)
    t_key = np.where(barge, early, P["prompt_base_s"] * 0.6 + per_option[node] * pos * pace + 0.6 * d + lag)

    def sel(k):
        m = action == k
        return mn[m], m

    i, m = sel(0)  # hangup during the prompt
    emit(i, cur[i], "hangup", _NO_KEY, pr[m] * rng.uniform(0.2, 1.0, len(i)))
    finish(i, cur[i], "hangup")
    i, m = sel(1)  # zero out
    if len(i):
        emit(i, cur[i], "key", _KEY["0"], t_key[m])
        zero_child = menu.child_by_key[cur[i], _KEY["0"]]
        has = zero_child >= 0
        j = i[has]
        cur[j] = zero_child[has]
        emit(j, cur[j], "enter", _NO_KEY, 0.0)
        fails[j] = 0
        j = i[~has]
        emit(j, cur[j], "transfer", _NO_KEY, 1.0)
        finish(j, cur[j], "transfer")
    for k, ev in ((2, "no_input"), (3, "no_match")):
        i, m = sel(k)
        if not len(i):
            continue
        if ev == "no_input":
            emit(i, cur[i], ev, _NO_KEY, pr[m] + P["no_input_timeout_s"])
        else:
            nd = cur[i]
            pick = (rng.random(len(i)) * np.maximum(menu.n_invalid[nd], 1)).astype(np.int64)
            key = menu.invalid_keys[nd, pick]
            key = np.where(key >= 0, key, _KEY["7"])
            emit(i, nd, ev, key, t_key[m])
        fails[i] += 1
        over = fails[i] >= P["max_failures"]
        j = i[over]
        if len(j):
            tr = rng.random(len(j)) < P["p_fail_transfer"]
            emit(j[tr], cur[j[tr]], "transfer", _NO_KEY, 2.0)
            finish(j[tr], cur[j[tr]], "transfer")
            emit(j[~tr], cur[j[~tr]], "hangup", _NO_KEY, 2.0)
            finish(j[~tr], cur[j[~tr]], "hangup")
    i, m = sel(4)  # wrong branch
    if len(i):
        nd = cur[i]
        pick = (rng.random(len(i)) * menu.n_plain[nd]).astype(np.int64)
        child = menu.children[nd, pick]
        same = child == nxt[m]
        child = np.where(same, menu.children[nd, (pick + 1) % np.maximum(menu.n_plain[nd], 1)], child)
        # planted option times: the wrong option is pressed when it is read (the default world keeps the time of
        # the intended option)
        t_wrong = (np.where(barge[m], early[m], P["prompt_base_s"] * 0.6 + per_option[nd] * menu.position[child]
                            * pace[m] + 0.6 * d[m] + lag[m]) if wrong_at_chosen else t_key[m])
        emit(i, nd, "key", menu.key_code[child], t_wrong)
        cur[i] = child
        emit(i, child, "enter", _NO_KEY, 0.0)
        fails[i] = 0
    i, m = sel(5)  # repeat the prompt
    emit(i, cur[i], "key", _KEY["#"], pr[m] * rng.uniform(0.3, 1.0, len(i)))
    i, m = sel(6)  # back to the parent
    if len(i):
        emit(i, cur[i], "key", _KEY["*"], t_key[m])
        cur[i] = menu.parent[cur[i]]
        emit(i, cur[i], "enter", _NO_KEY, 0.0)
        fails[i] = 0
    i, m = sel(7)  # press the intended key
    if len(i):
        child = nxt[m]
        emit(i, cur[i], "key", menu.key_code[child], t_key[m])
        cur[i] = child
        emit(i, child, "enter", _NO_KEY, 0.0)
        fails[i] = 0


def _targets(menu: _Menu, seg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    pop = PARAMS["target_popularity"]
    leaves = np.flatnonzero(menu.kind != 0)
    if not len(leaves):
        raise ValueError("menu: no service or agent node to reach")
    known = [pop[menu.ids[k]] for k in leaves if menu.ids[k] in pop]
    default = float(np.median(known)) if known else 1.0  # leaves of a user's menu without a weight
    w = np.array([pop.get(menu.ids[k], default) for k in leaves], dtype=float)
    if w.sum() <= 0:
        w = np.ones(len(leaves))
    target = np.empty(len(seg), dtype=np.int64)
    zero = np.array([SEGMENTS[s]["zero"] for s in SEGMENT_NAMES])
    is_agent = menu.kind[leaves] == 2
    for s in range(len(SEGMENT_NAMES)):
        m = seg == s
        ws = np.where(is_agent, w * zero[s], w)
        target[m] = leaves[rng.choice(len(leaves), size=int(m.sum()), p=ws / ws.sum())]
    return target


def simulate_ivr(n_calls: int, seed: int = 0, *, menu: dict | None = None, customers: Customers | None = None,
                 start: str = "2024-01", months: int = 12, noise: bool = True, option_seconds=None,
                 hour_hangup: dict | None = None) -> IvrWorld:
    """Simulate ``n_calls`` IVR calls (events, per-call outcomes, planted facts).

    Without ``customers`` a customer base of ``n_calls // 4`` customers is drawn (stable lifecycles).
    Planted effects (off by default, so the default world is unchanged): ``option_seconds`` — listening seconds
    per announced option, one number or ``{menu id: seconds}`` (default ``prompt_per_option_s``); ``hour_hangup``
    — ``{hour: multiplier}`` on every hang-up probability of calls starting in that hour. ``truth`` then holds
    ``option_seconds`` (planted and the expected seconds one position adds to the time to the key press:
    callers who barge in add nothing) and ``hour_hangup``.
    """
    if n_calls < 1:
        raise ValueError("calls must be at least 1")
    rng = _rng(seed, "ivr")
    m = _menu_arrays(menu)
    if customers is None:
        customers = customers_frame(max(1, n_calls // 4), seed, months=months, start=start,
                                    shares={k: float(k == "stable") for k in LIFECYCLE_NAMES})
    n_rep = int(round(n_calls * PARAMS["repeat_call_share"])) if n_calls > 10 else 0
    n_first = n_calls - n_rep
    who, start_ts = _choose_calls(customers, n_first, rng)
    seg = customers.segment[who]
    target = _targets(m, seg, rng)
    per_option = _per_option_seconds(m, option_seconds) if option_seconds is not None else None
    ev1, out1, end1, dur1 = _simulate_paths(m, target, seg, rng, per_option,
                                            _hour_multiplier(_start_hours(start_ts), hour_hangup))
    if n_rep:
        failed = np.flatnonzero(out1 != _EV["complete"])
        pool = failed if len(failed) else np.arange(n_first)
        parent = np.sort(rng.choice(pool, size=n_rep, replace=len(pool) < n_rep))
        gap = np.minimum(rng.exponential(PARAMS["repeat_mean_hours"] * 3600, n_rep), 23 * 3600) + 60
        rep_start = start_ts[parent] + (dur1[parent] + gap).astype("timedelta64[s]")
        rep_who = who[parent]
        rep_seg = seg[parent]
        # a repeat caller mostly wants the same thing again
        rep_target = np.where(rng.random(n_rep) < 0.7, target[parent], _targets(m, rep_seg, rng))
        ev2, out2, end2, dur2 = _simulate_paths(m, rep_target, rep_seg, rng, per_option,
                                                _hour_multiplier(_start_hours(rep_start), hour_hangup))
        ev2["call"] = ev2["call"] + n_first
        ev = {k: np.concatenate([ev1[k], ev2[k]]) for k in ev1}
        who = np.concatenate([who, rep_who])
        start_ts = np.concatenate([start_ts, rep_start])
        seg = np.concatenate([seg, rep_seg])
        target = np.concatenate([target, rep_target])
        outcome, end_node, dur = np.concatenate([out1, out2]), np.concatenate([end1, end2]), np.concatenate(
            [dur1, dur2])
        is_repeat = np.r_[np.zeros(n_first, bool), np.ones(n_rep, bool)]
    else:
        ev, outcome, end_node, dur = ev1, out1, end1, dur1
        is_repeat = np.zeros(n_first, bool)
    # calls in time order get ids C00000001…
    order = np.lexsort((np.arange(n_calls), start_ts))
    rank = np.empty(n_calls, dtype=np.int64)
    rank[order] = np.arange(n_calls)
    call_ids = _customer_ids(n_calls, "C")
    call = rank[ev["call"]]
    t0 = start_ts.min()
    ts_rel = (start_ts - t0).astype(np.int64)[ev["call"]] + ev["t"].astype(np.int64)
    if noise:
        idx, noise_truth = _event_noise(call, ev["seq"], ts_rel, rng, n_calls, call_ids)
    else:
        idx, noise_truth = _file_order(np.arange(len(call)), call, ev["seq"], ts_rel, n_calls), {}
    caller = who[order]
    seg_sorted = seg[order]
    c = call[idx]
    frame = pd.DataFrame({
        "call_id": pd.Categorical.from_codes(c, categories=call_ids),
        "ts": (t0 + ts_rel[idx].astype("timedelta64[s]")).astype("datetime64[s]"),
        "node": pd.Categorical.from_codes(ev["node"][idx], categories=m.ids),
        "event": pd.Categorical.from_codes(ev["event"][idx].astype(np.int64), categories=list(EVENTS)),
        "key": pd.Categorical.from_codes(ev["key"][idx].astype(np.int64), categories=list(KEYS)),
        "segment": pd.Categorical.from_codes(seg_sorted[c], categories=SEGMENT_NAMES),
        "caller_id": _code_categorical(caller[c], customers.ids),
    })
    ids = np.array(m.ids, dtype=object)
    calls = pd.DataFrame({
        "call_id": call_ids, "caller_id": customers.ids[caller], "customer": caller,
        "segment": pd.Categorical.from_codes(seg_sorted, categories=SEGMENT_NAMES), "start": start_ts[order],
        "duration_s": dur[order].astype(np.int64), "target": pd.Categorical.from_codes(target[order], ids),
        "end_node": pd.Categorical.from_codes(end_node[order], ids),
        "outcome": pd.Categorical.from_codes(outcome[order].astype(np.int64), list(EVENTS)),
        "branch": pd.Categorical.from_codes(m.branch[end_node[order]], ids), "is_repeat": is_repeat[order],
    })
    truth = _ivr_truth(calls, ev, m, noise_truth, rank)
    if option_seconds is not None:
        listen = (1 - PARAMS["p_barge_in"]) * 0.95  # share of callers who listen × mean pace (uniform 0.8–1.1)
        truth["option_seconds"] = {m.ids[k]: {"planted": float(per_option[k]), "expected_slope":
                                              round(float(per_option[k]) * listen, 4)}
                                   for k in np.flatnonzero(m.n_plain > 1)}
    if hour_hangup:
        hours = _start_hours(calls["start"].to_numpy())
        hang = (calls["outcome"] == "hangup").to_numpy()
        truth["hour_hangup"] = {"multiplier": {int(h): float(v) for h, v in hour_hangup.items()},
                                "hangup_rate_by_hour": [round(float(hang[hours == h].mean()), 4)
                                                        if (hours == h).any() else None for h in range(24)]}
    return IvrWorld(frame, calls, truth)


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


def ivr_events_frame(n_calls: int, seed: int = 0, menu: dict | None = None, **kwargs) -> pd.DataFrame:
    """Just the IVR event log (categorical columns, ``ts`` as datetime64[s]) for ``n_calls`` calls."""
    return simulate_ivr(n_calls, seed, menu=menu, **kwargs).events


# ================================================================================================ usage


def usage_frame(cust: Customers, seed: int = 0, *, quality_errors: bool = True) -> tuple[pd.DataFrame, dict]:
    """Monthly usage per active customer-month, with documented data-quality errors. Returns (frame, truth)."""
    P = PARAMS
    rng = _rng(seed, "usage")
    n, M = cust.n, cust.months
    seg = cust.segment
    base = {k: np.array([SEGMENTS[s][k] for s in SEGMENT_NAMES])[seg] for k in ("fee", "minutes", "data_mb", "sms")}
    level = rng.lognormal(0.0, P["customer_level_sigma"], (n, 4))
    season_min = np.resize(np.array(P["seasonal_minutes"]), 12)
    season_dat = np.resize(np.array(P["seasonal_data"]), 12)
    first_month = int(cust.periods[0][5:7]) - 1
    mon_of_year = (first_month + np.arange(M)) % 12
    sm, sd = season_min[mon_of_year][None, :], season_dat[mon_of_year][None, :]
    sig = P["usage_monthly_sigma"]
    mult = cust.usage_mult
    active = mult > 0
    noise = lambda: rng.lognormal(-sig * sig / 2, sig, (n, M))  # noqa: E731
    minutes = base["minutes"][:, None] * level[:, [0]] * mult * sm * noise()
    data_mb = base["data_mb"][:, None] * level[:, [1]] * mult * sd * noise()
    sms = base["sms"][:, None] * level[:, [2]] * mult * noise()
    fee = base["fee"][:, None] * np.sqrt(level[:, [3]])
    bill = fee * mult * rng.lognormal(-0.0025, 0.07, (n, M))
    ld_payer = rng.random(n) < P["long_distance_share"]
    long_distance = np.where(ld_payer[:, None], bill * rng.beta(1.2, 14, (n, M)), 0.0)
    bb_level = rng.uniform(2 * 3600, 14 * 3600, n)
    bb = np.where(cust.broadband[:, None], np.minimum(bb_level[:, None] * np.sqrt(np.maximum(mult, 0))
                                                     * rng.lognormal(-0.02, 0.2, (n, M)), 86400), np.nan)

    who, mon = np.nonzero(active)  # row-major: customer, then month
    cols = {
        "minutes": np.round(minutes[who, mon]).astype(float),
        "data_mb": np.round(data_mb[who, mon], 1),
        "sms": np.round(sms[who, mon]).astype(float),
        "bill": np.round(bill[who, mon], 2),
        "long_distance_fee": np.round(long_distance[who, mon], 2),
        "broadband_max_daily_seconds": np.round(bb[who, mon]),
    }
    truth: dict = {"rows_clean": int(len(who))}
    if quality_errors:
        who, mon, cols, truth = _usage_errors(cust, who, mon, cols, rng, truth)
    periods = np.array(cust.periods)
    df = pd.DataFrame({
        "customer_id": pd.Categorical.from_codes(who, categories=cust.ids) if n > 50_000
        else cust.ids[who],
        "period": pd.Categorical.from_codes(mon, categories=cust.periods) if n > 50_000 else periods[mon],
        **cols,
    })
    return df, truth


def _usage_errors(cust, who, mon, cols, rng, truth):
    P = PARAMS
    rows = len(who)
    cid = lambda idx: [f"{cust.ids[w]}|{cust.periods[m]}" for w, m in zip(who[idx], mon[idx])]  # noqa: E731
    # gaps: drop customer-months (not a customer's only row)
    gap = rng.random(rows) < P["q_gap"]
    truth["gap"] = cid(np.flatnonzero(gap))
    keep = ~gap
    who, mon = who[keep], mon[keep]
    cols = {k: v[keep] for k, v in cols.items()}  # fancy indexing copies
    rows = len(who)
    u = rng.random(rows)
    edges = np.cumsum([P["q_broadband_over_day"], P["q_long_distance_over_bill"], P["q_negative"], P["q_missing"]])
    kind = np.searchsorted(edges, u, side="right")  # 0..3 an error kind, 4 clean
    bb_rows = np.flatnonzero((kind == 0) & ~np.isnan(cols["broadband_max_daily_seconds"]))
    cols["broadband_max_daily_seconds"][bb_rows] = 86400 + rng.integers(1, 60000, len(bb_rows))
    truth["broadband_over_86400"] = cid(bb_rows)
    ld = np.flatnonzero((kind == 1) & (cols["bill"] > 0))
    cols["long_distance_fee"][ld] = np.round(cols["bill"][ld] * rng.uniform(1.1, 3.0, len(ld)), 2)
    truth["long_distance_over_bill"] = cid(ld)
    neg = np.flatnonzero(kind == 2)
    measures = ["minutes", "data_mb", "sms", "bill"]
    which = rng.integers(0, len(measures), len(neg))
    for j, name in enumerate(measures):
        r = neg[which == j]
        cols[name][r] = -np.abs(cols[name][r]) - 1
    truth["negative"] = cid(neg)
    miss = np.flatnonzero(kind == 3)
    measures = ["minutes", "data_mb", "sms", "bill", "long_distance_fee"]
    which = rng.integers(0, len(measures), len(miss))
    for j, name in enumerate(measures):
        cols[name][miss[which == j]] = np.nan
    truth["missing"] = cid(miss)
    # usage after the churn month
    churners = np.flatnonzero(cust.churn_month >= 0)
    late = churners[rng.random(len(churners)) < P["q_after_churn"]]
    late = late[cust.churn_month[late] < cust.months]
    extra_who, extra_mon = [], []
    for w in late:  # few rows: a plain loop is fine
        for k in range(int(rng.integers(1, 3))):
            m = cust.churn_month[w] + k
            if m < cust.months:
                extra_who.append(w)
                extra_mon.append(m)
    extra_who, extra_mon = np.array(extra_who, dtype=np.int64), np.array(extra_mon, dtype=np.int64)
    truth["usage_after_churn"] = [f"{cust.ids[w]}|{cust.periods[m]}" for w, m in zip(extra_who, extra_mon)]
    k = len(extra_who)
    extra = {"minutes": np.round(rng.uniform(0, 20, k)), "data_mb": np.round(rng.uniform(0, 50, k), 1),
             "sms": np.round(rng.uniform(0, 3, k)), "bill": np.round(rng.uniform(0, 10, k), 2),
             "long_distance_fee": np.zeros(k), "broadband_max_daily_seconds": np.full(k, np.nan)}
    # duplicate customer-periods (half exact copies, half with other values)
    dup = np.flatnonzero(rng.random(rows) < P["q_duplicate"])
    exact = rng.random(len(dup)) < 0.5
    dcols = {}
    for name, v in cols.items():
        d = v[dup].copy()
        if name != "broadband_max_daily_seconds":
            d = np.where(exact, d, np.round(d * rng.uniform(0.7, 1.3, len(dup)), 2))
        dcols[name] = d
    truth["duplicate"] = cid(dup)
    who = np.concatenate([who, extra_who, who[dup]])
    mon = np.concatenate([mon, extra_mon, mon[dup]])
    cols = {name: np.concatenate([cols[name], extra[name], dcols[name]]) for name in cols}
    order = np.lexsort((np.r_[np.zeros(rows + k), np.ones(len(dup))], mon, who))
    cols = {name: v[order] for name, v in cols.items()}
    truth["rows"] = int(len(order))
    return who[order], mon[order], cols, truth


def churn_labels_frame(cust: Customers) -> pd.DataFrame:
    """``customer_id, churned (0/1), churn_period`` (empty when the customer stayed)."""
    churned = cust.churn_month >= 0
    first = np.datetime64(cust.periods[0], "M")
    months = np.array([str(first + k) for k in range(int(max(cust.churn_month.max(), 0)) + 1)] + [""])
    period = np.where(churned, months[np.where(churned, cust.churn_month, -1)], "")
    return pd.DataFrame({"customer_id": cust.ids, "churned": churned.astype(np.int8), "churn_period": period})


# ================================================================================================ feedback


#: Complaint-class mix (order of sample_templates.LABELS) by lifecycle.
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


# ================================================================================================ complaint texts

_SLOT = re.compile(r"\{(\w+)\}")
_FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in
                            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"})


def _fill(template: str, rng: np.random.Generator, extra: dict[str, str]) -> str:
    def one(m: re.Match) -> str:
        name = m[1]
        if name in extra:
            return extra[name]
        if name in T.SLOTS:
            vocab = T.SLOTS[name]
            return vocab[int(rng.integers(len(vocab)))]
        return _dynamic_slot(name, rng)

    return _SLOT.sub(one, template)


def _dynamic_slot(name: str, rng: np.random.Generator) -> str:
    r = lambda a, b: int(rng.integers(a, b + 1))  # noqa: E731
    if name == "amount":
        return str(rng.choice([r(3, 30), r(30, 200), r(200, 1500)], p=[0.45, 0.4, 0.15])) + (
            f".{r(0, 9)}0" if rng.random() < 0.3 else "")
    if name == "date":
        return f"{r(1, 12)}月{r(1, 28)}日"
    if name == "month":
        return str(r(1, 12))
    if name == "years":
        return str(r(2, 20))
    if name in ("days", "months"):
        return str(r(2, 15) if name == "days" else rng.choice([6, 12, 24]))
    if name == "minutes":
        return str(r(10, 60))
    if name == "hour":
        return str(r(7, 11))
    if name == "duration":
        return rng.choice([f"{r(2, 10)}天", f"{r(2, 6)}周", "一个多月", "半个月", f"{r(2, 5)}个月"])
    if name == "phone_masked":
        return "******"
    if name == "product2":
        return T.SLOTS["product"][int(rng.integers(len(T.SLOTS["product"])))]
    raise KeyError(f"template slot {{{name}}} has no vocabulary")


def _phone(rng) -> str:
    return "1" + str(rng.choice(["38", "39", "47", "50", "51", "52", "57", "58", "59", "82", "87", "88", "98"])) + \
        "".join(str(d) for d in rng.integers(0, 10, 8))


def _id_number(rng) -> str:
    area = str(rng.choice(["320102", "320211", "410105", "210102", "370202", "330106", "510104"]))
    birth = f"{int(rng.integers(1950, 2005))}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}"
    body = area + birth + "".join(str(d) for d in rng.integers(0, 10, 3))
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]
    return body + check


def _email(rng) -> str:
    user = "".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), int(rng.integers(4, 9))))
    return f"{user}{int(rng.integers(1, 999))}@{rng.choice(['139.com', 'qq.com', '163.com', 'sina.com'])}"


def complaints_frame(events: pd.DataFrame, cust: Customers, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    """Write a work-order text for every complaint event. Returns (``id, customer_id, ts, channel, text, label``,
    truth with the ids of noisy-label, ambiguous, PII, masked, Traditional and full-width texts)."""
    P = PARAMS
    rng = _rng(seed, "complaints")
    n = len(events)
    ids = _customer_ids(n, "T") if n else np.array([], dtype=object)
    import opencc

    s2t = opencc.OpenCC("s2t").convert
    to_trad = lambda x: s2t(x).replace("錶示", "表示")  # noqa: E731  (OpenCC reads 电表 in 来电表示)
    ambiguous_by = {lab: [a for a in T.AMBIGUOUS_BODIES if lab in a[:2]] for lab in T.LABELS}
    texts = []
    flags = {k: [] for k in ("label_noise", "ambiguous", "pii", "masked", "traditional", "fullwidth")}
    seg_names = np.array(SEGMENT_NAMES)[cust.segment[events["customer"].to_numpy()]] if n else []
    for i, (cause, seg) in enumerate(zip(events["cause"].to_numpy(), seg_names)):
        extra = {"segment": seg}
        masked = rng.random() < P["masked_share"]
        extra["phone_masked"] = "******" if masked else ""
        if rng.random() < P["ambiguous_share"] and ambiguous_by[cause]:
            body = ambiguous_by[cause][int(rng.integers(len(ambiguous_by[cause])))][2]
            flags["ambiguous"].append(ids[i])
        else:
            bodies = T.BODIES[cause]
            body = bodies[int(rng.integers(len(bodies)))]
        opening = T.OPENINGS[int(rng.integers(len(T.OPENINGS)))]
        parts = [opening, "，" if rng.random() < 0.6 else "", body]
        if rng.random() < 0.35:
            detail = T.DETAILS[int(rng.integers(len(T.DETAILS)))]
            parts = parts[:1] + [detail, "，"] + parts[2:] if rng.random() < 0.5 else parts + ["，", detail]
        if rng.random() < 0.6:
            parts += ["，", T.DEMANDS[int(rng.integers(len(T.DEMANDS)))]]
        if masked and "{phone_masked}" not in opening:
            parts += ["，联系电话******" if rng.random() < 0.5 else "，客户号码******"]
        if rng.random() < P["pii_share"]:
            kind = rng.choice(["phone", "id", "email"], p=[0.6, 0.25, 0.15])
            pii = {"phone": lambda: f"，联系电话{_phone(rng)}", "id": lambda: f"，客户身份证号{_id_number(rng)}",
                   "email": lambda: f"，邮箱{_email(rng)}"}[kind]()
            parts.append(pii)
            flags["pii"].append(ids[i])
        if rng.random() < 0.25:
            parts.append(f"（工单号{int(rng.integers(10**9, 10**10))}）")
        parts.append(T.CLOSINGS[int(rng.integers(len(T.CLOSINGS)))])
        text = _fill("".join(parts), rng, extra)
        text = re.sub(r"，，|，。", lambda m: m[0][-1], text)
        if masked:
            flags["masked"].append(ids[i])
        if rng.random() < P["traditional_share"]:
            text = to_trad(text)
            flags["traditional"].append(ids[i])
        if rng.random() < P["fullwidth_share"]:
            text = text.translate(_FULLWIDTH)
            flags["fullwidth"].append(ids[i])
        texts.append(text)
    w = np.array(T.COMPLAINT_CHANNEL_WEIGHTS)
    channel = np.array(T.COMPLAINT_CHANNELS)[rng.choice(len(w), size=n, p=w / w.sum())] if n else []
    df = pd.DataFrame({"id": ids, "customer_id": cust.ids[events["customer"].to_numpy()],
                       "ts": events["ts"].to_numpy().astype("datetime64[s]"), "channel": channel,
                       "text": texts, "label": events["label"].to_numpy()})
    flags["label_noise"] = ids[(events["label"] != events["cause"]).to_numpy()].tolist()
    truth = {**flags, "true_cause": dict(zip(ids.tolist(), events["cause"].tolist())) if n <= 50_000 else None}
    return df, truth


# ================================================================================================ the world


def churn_world(n_customers: int, seed: int = 0, *, months: int = 12, start: str = "2024-01",
                calls: int = 0, world: str = "default") -> dict:
    """In-memory churn inputs for benchmarks: ``{"usage", "feedback", "labels": DataFrame, "customers":
    Customers, "usage_quality": dict}`` — the same frames :func:`generate_world` writes for that seed.
    ``calls`` > 0 also simulates IVR calls so that feedback holds ``ivr_transfer`` events; ``world`` one of
    :data:`WORLDS`."""
    cust = customers_frame(n_customers, seed, months=months, start=start, **_world(world))
    world = simulate_ivr(calls, seed, customers=cust, start=start, months=months) if calls > 0 else None
    usage, quality = usage_frame(cust, seed)
    feedback = feedback_frame(cust, complaint_events(cust, seed), world.calls if world else None, seed)
    return {"usage": usage, "feedback": feedback, "labels": churn_labels_frame(cust), "customers": cust,
            "usage_quality": quality}


FILES = {"menu": "menu.yaml", "ivr": "ivr_events", "complaints": "complaints", "feedback": "feedback",
         "usage": "usage", "labels": "churn_labels"}


def _world(name: str) -> dict:
    if name not in WORLDS:
        raise ValueError(f"unknown world {name!r}; choose from {', '.join(WORLDS)}")
    return WORLDS[name]


def generate_world(out_dir: str | Path, *, seed: int = 0, calls: int = 7000, customers: int = 1600,
                   months: int = 12, start: str = "2024-01", fmt: str = "csv",
                   parts: Iterable[str] | None = None, option_seconds=None,
                   hour_hangup: dict | None = None, world: str = "default") -> dict[str, Path]:
    """Write one consistent synthetic world into ``out_dir``; return ``{name: path}``.

    ``parts`` selects among ``menu, ivr, complaints, feedback, usage, labels`` (default all); README.md and
    truth.json are always written. ``fmt`` is ``csv`` or ``parquet`` for the tables. ``option_seconds`` and
    ``hour_hangup`` plant IVR effects (see :func:`simulate_ivr`; recorded in truth.json's options).
    """
    fmt = fmt.lower()
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    wanted = set(parts) if parts is not None else set(FILES)
    unknown = wanted - set(FILES)
    if unknown:
        raise ValueError(f"unknown part(s) {sorted(unknown)}; choose from {', '.join(FILES)}")
    if calls < 1 and "ivr" in wanted:
        raise ValueError("calls must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    ext = ".csv" if fmt == "csv" else ".parquet"
    cust = customers_frame(customers, seed, months=months, start=start, **_world(world))
    planted = {k: v for k, v in (("option_seconds", option_seconds), ("hour_hangup", hour_hangup))
               if v is not None}
    options = dict(calls=calls, customers=customers, months=months, start=start, fmt=fmt, parts=sorted(wanted),
                   **planted)
    if world != "default":   # the default world's truth.json stays byte-identical
        options["world"] = world
        options.update({k: list(v) if isinstance(v, tuple) else v for k, v in WORLDS[world].items()})
    truth: dict = {"seed": seed, "options": options,
                   "params": copy.deepcopy(PARAMS),
                   "lifecycle_shares": dict(_world(world).get("shares", LIFECYCLE_SHARES)),
                   "segments": copy.deepcopy(SEGMENTS)}

    if "menu" in wanted:
        import yaml

        path = out / FILES["menu"]
        path.write_text("# IVR menu of the synthetic 10086-like hotline (ivr-text samples). Sibling order = prompt "
                        "order.\n" + yaml.safe_dump(build_menu(), allow_unicode=True, sort_keys=False),
                        encoding="utf-8")
        written["menu"] = path

    world = None
    if "ivr" in wanted or "feedback" in wanted:
        world = simulate_ivr(calls, seed, customers=cust, start=start, months=months, option_seconds=option_seconds,
                             hour_hangup=hour_hangup) if calls > 0 else None
    if "ivr" in wanted and world is not None:
        written["ivr"] = _write(world.events, out / (FILES["ivr"] + ext), fmt)
        truth["ivr"] = world.truth

    need_complaints = "complaints" in wanted or "feedback" in wanted
    comp = complaint_events(cust, seed) if need_complaints else None
    texts = None
    if "complaints" in wanted:
        texts, ctruth = complaints_frame(comp, cust, seed)
        written["complaints"] = _write(texts, out / (FILES["complaints"] + ext), fmt)
        truth["complaints"] = {"rows": int(len(texts)), **ctruth}
    if "feedback" in wanted:
        fb = feedback_frame(cust, comp, world.calls if world is not None else None, seed)
        written["feedback"] = _write(fb, out / (FILES["feedback"] + ext), fmt)
        truth["feedback"] = {"rows": int(len(fb)),
                             "by_channel": {str(k): int(v) for k, v in fb["channel"].value_counts().items()}}
    if "usage" in wanted:
        usage, utruth = usage_frame(cust, seed)
        written["usage"] = _write(usage, out / (FILES["usage"] + ext), fmt)
        truth["usage_quality"] = utruth
    if "labels" in wanted:
        labels = churn_labels_frame(cust)
        written["labels"] = _write(labels, out / (FILES["labels"] + ext), fmt)
    truth["customers"] = _customer_truth(cust)
    written["readme"] = _write_readme(out / "README.md", truth, written)
    written["truth"] = out / "truth.json"
    indent = 1 if customers <= 50_000 and calls <= 200_000 else None  # the C encoder for big worlds
    written["truth"].write_text(json.dumps(_plain(truth), ensure_ascii=False, indent=indent), encoding="utf-8")
    return written


def _customer_truth(cust: Customers) -> dict:
    names = np.array(LIFECYCLE_NAMES)[cust.lifecycle]
    churned = cust.churn_month >= 0
    return {
        "n": cust.n,
        "churn_rate": round(float(churned.mean()), 4),
        "lifecycle_counts": {k: int((names == k).sum()) for k in LIFECYCLE_NAMES},
        "lifecycle": {k: cust.ids[names == k].tolist() for k in LIFECYCLE_NAMES if k != "stable"},
        "pattern_windows": _pattern_windows(cust) if cust.n <= 50_000 else None,
    }


def _pattern_windows(cust: Customers) -> dict:
    """For churn-pattern customers: the complaint-rise periods and the decline periods before churn."""
    out = {}
    idx = np.flatnonzero(np.array(LIFECYCLE_NAMES)[cust.lifecycle] == "churn_pattern")
    for k in idx:
        out[cust.ids[k]] = {
            "rise": [cust.periods[m] for m in np.flatnonzero(cust.phase[k] == 1)],
            "decline": [cust.periods[m] for m in np.flatnonzero(cust.phase[k] == 2)],
            "churn": cust.periods[cust.churn_month[k]] if cust.churn_month[k] < cust.months else None,
        }
    return out


def _plain(obj):
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        if obj and all(type(v) in (str, int, float, bool) for v in obj[:1]) and \
                all(type(v) is type(obj[0]) for v in obj):
            return list(obj)  # already plain (long id lists): skip the per-item walk
        return [_plain(v) for v in obj]
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    return obj


def _write(df: pd.DataFrame, path: Path, fmt: str) -> Path:
    """CSV (UTF-8 with BOM, ISO 8601 ``ts`` with a T) or Parquet (ts as timestamp[s])."""
    if fmt == "parquet":
        df.to_parquet(path, index=False, compression="snappy")
        return path
    df = df.copy()
    for col in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[col]):
            df[col] = np.datetime_as_string(df[col].to_numpy().astype("datetime64[s]"), unit="s")
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")
    return path


def _pct(x: float) -> str:
    return f"{100 * x:.1f} %"


def _write_readme(path: Path, truth: dict, written: dict[str, Path]) -> Path:
    """README.md of a generated world: each file and every assumption with its rate (synthetic, stated honestly)."""
    P, o = PARAMS, truth["options"]
    ivr = truth.get("ivr", {})
    cust = truth["customers"]
    lines = [
        "# Synthetic sample world (ivr-text samples)",
        "",
        "**Everything here is synthetic**, generated by `ivr-text samples "
        f"--seed {truth['seed']} --calls {o['calls']} --customers {o['customers']} --months {o['months']}` "
        f"(start {o['start']}). Same seed and options ⇒ byte-identical files. No row comes from real data; "
        "the complaint texts are written from the project's own templates (`ivr_text/sample_templates.py`). "
        "Rates below are the generator's parameters (`ivr_text.samples.PARAMS`) and, where measured, what "
        "this world realised. `truth.json` lists the planted facts for tests and docs — analyses must not read it.",
        "",
        "## Files",
        "",
    ]
    desc = {
        "menu": "IVR menu of a 10086-like hotline: flat list `nodes:` of `{id, label, parent, key, kind}`, kind ∈ "
                "menu/service/agent; sibling order is the order the prompt reads them; first-level branches carry "
                "the complaint `cause` their calls are coded with (inherited below). `global_keys`: 0 = agent "
                "from anywhere, * = back to the parent menu, # = repeat the prompt.",
        "ivr": "One row per IVR event: `call_id, ts, node, event, key, segment, caller_id`; event ∈ enter, key, "
               "no_input, no_match, transfer, hangup, complete. Rows are in the order a switch writes them "
               "(by time, calls interleaved); within a call timestamps strictly increase (1 s resolution).",
        "complaints": "Complaint work orders `id, customer_id, ts, channel, text, label` (8 operator classes).",
        "feedback": "Feedback events `customer_id, ts, cause, channel`: channel complaint (cause = written label), "
                    "agent_call (direct calls to an agent; ~30 % without a coded cause), ivr_transfer (IVR calls "
                    "that ended in a transfer; cause from the first-level menu branch).",
        "usage": "Monthly usage `customer_id, period, minutes, data_mb, sms, bill, long_distance_fee, "
                 "broadband_max_daily_seconds` (empty when the customer has no broadband).",
        "labels": "`customer_id, churned (0/1), churn_period` (the first month without service; empty if stayed).",
    }
    for name, p in written.items():
        if name in desc:
            lines.append(f"- `{p.name}` — {desc[name]}")
    lines += ["- `README.md` — this file.", "- `truth.json` — planted facts and parameters (tests and docs only).",
              ""]
    if ivr:
        seg_rates = ", ".join(f"{k} {_pct(v)}" for k, v in ivr["self_service_rate_by_segment"].items())
        planted = ", ".join(f"`{k}` ×{v:g}" for k, v in ivr["planted_hangup_nodes"].items())
        lines += [
            "## IVR assumptions",
            "",
            f"- {ivr['calls']:,} calls. Each caller wants one leaf (service or agent) drawn by popularity "
            "(`target_popularity`); popular services sit deep or late in key order: "
            + ", ".join(f"`{x}`" for x in ivr["popular_deep_or_late_services"]) + ".",
            f"- Realised: self-service (ends in `complete`) {_pct(ivr['self_service_rate'])}, mean self-service "
            f"call {ivr['self_service_mean_s']} s (calibrated to the published 10086 figures ≈ 79 % and ≈ 35 s); "
            f"by segment: {seg_rates}.",
            f"- Per menu visit: hang-up {P['p_hangup_menu']} × (1 + 0.5·depth), zero-out (press 0) "
            f"{P['p_zero_menu']} × (1 + 0.6·depth + 0.35·(key position − 1)) — callers zero out more from deep and "
            f"late-ordered menus; no_input {P['p_no_input']}, no_match {P['p_no_match']} (re-prompt, same menu), "
            f"wrong option {P['p_wrong_branch']} (then mostly `*` back), `#` repeat {P['p_repeat']}. "
            f"After {P['max_failures']} failures at one menu the IVR transfers ({_pct(P['p_fail_transfer'])}) or "
            "hangs up.",
            "- Segment multipliers (zero-out / hang-up / input errors): "
            + "; ".join(f"{k} {v['zero']}/{v['hang']}/{v['err']}" for k, v in SEGMENTS.items()) + ".",
            f"- Planted high hang-up nodes (multiplier on the hang-up probability): {planted}.",
            f"- At a service: hang-up {P['p_service_hangup']} (× node multiplier), press 0 anyway "
            f"{P['p_service_zero']}; otherwise `complete` after the announcement (lognormal, mean "
            f"{P['service_mean_s']} s).",
            f"- Prompt length = {P['prompt_base_s']} s + {P['prompt_per_option_s']} s per option + "
            f"{P['prompt_per_depth_s']} s per level; {_pct(P['p_barge_in'])} of choices barge in; "
            f"no_input after the prompt + {P['no_input_timeout_s']} s.",
            f"- Repeat calls: {_pct(P['repeat_call_share'])} of calls repeat a failed call of the same caller "
            f"within 24 h (mean gap {P['repeat_mean_hours']} h); {ivr['repeat_calls_within_24h']:,} here.",
            f"- Log noise: {_pct(P['dup_event_rate'])} of events duplicated ({ivr.get('duplicate_rows', 0):,} rows); "
            f"{_pct(P['unterminated_rate'])} of calls lack their terminal event "
            f"({len(ivr.get('unterminated_calls', [])):,} calls, listed in truth.json); "
            f"{_pct(P['displaced_rate'])} of rows written up to 300 rows late ({ivr.get('displaced_rows', 0):,}).",
            "",
        ]
    lines += [
        "## Customers, churn and feedback",
        "",
        f"- {cust['n']:,} customers; segments " + ", ".join(f"{k} {_pct(v['share'])}" for k, v in SEGMENTS.items())
        + "; broadband share by segment " + ", ".join(f"{k} {_pct(v['bb'])}" for k, v in SEGMENTS.items()) + ".",
        "- Lifecycles (share → realised count): " + ", ".join(
            f"{k} {_pct(v)} → {cust['lifecycle_counts'][k]:,}" for k, v in truth["lifecycle_shares"].items())
        + f". Churn rate realised {_pct(cust['churn_rate'])}.",
        f"- churn_pattern: complaints rise (expected {P['complaint_rate']['rise']}/month × a personal factor "
        "0.65–1.35) for 2–4 months while usage holds; then silence "
        f"({P['complaint_rate']['silence']}/month) while usage and bill fall to ×"
        + "/".join(f"{x:g}" for x in P["decline_multipliers"])
        + " (±0.05) of normal over the last 3 months; then churn (no usage from the churn month on). "
        "Churn months are drawn from month 8 of the window on (earlier if the window is short)."
        + (f" World '{truth['options']['world']}': after the rise, churn_pattern customers fall silent while "
           f"usage declines gradually over {truth['options']['silent_decline'][0]}–"
           f"{truth['options']['silent_decline'][1]} months to ×{truth['options']['silent_floor']} (±0.05) of "
           "normal (the operators' curve: a slow erosion, and the complaint peak lies well "
           f"before the warning); churners churn up to {truth['options']['churn_after']} months after the last "
           "written month (the labels hold that future churn)." if truth["options"].get("world") else ""),
        "- silent_churn: the same decline and churn without complaints. resolved: a 2–3-month complaint rise, "
        f"usage holds, complaints back to {P['complaint_rate']['resolved_low']}/month. noise: "
        f"{P['complaint_rate']['noise']} complaints/month and one or two one-off usage dips to "
        f"×{P['noise_dip_range'][0]}–{P['noise_dip_range'][1]}. stable: {P['complaint_rate']['stable']}/month. "
        "downgrade: from a random month (≥ 4th) usage and bill step down like a churner's decline over 3 months "
        "and stay there, without churn and with stable-level complaints — a usage-only look-alike of churn.",
        f"- Direct agent calls: {P['agent_call_rate']['base']}/month ({P['agent_call_rate']['rise']} in a complaint "
        f"rise, {P['agent_call_rate']['silence']} in the decline); IVR call propensity ×{P['ivr_call_weight']['rise']} "
        f"in a rise, ×{P['ivr_call_weight']['silence']} in the decline.",
        "- Usage: segment means × a customer level (lognormal σ "
        f"{P['customer_level_sigma']}) × lifecycle multiplier × season × monthly noise (σ "
        f"{P['usage_monthly_sigma']}); bill follows the lifecycle multiplier; "
        f"{_pct(P['long_distance_share'])} of customers pay long-distance fees.",
    ]
    q = truth.get("usage_quality")
    if q:
        lines.append(
            "- Usage data-quality errors (rate → rows here): "
            f"broadband seconds > 86,400 {_pct(P['q_broadband_over_day'])} → {len(q['broadband_over_86400'])}; "
            f"long-distance fee > bill {_pct(P['q_long_distance_over_bill'])} → {len(q['long_distance_over_bill'])}; "
            f"negative usage {_pct(P['q_negative'])} → {len(q['negative'])}; one measure missing "
            f"{_pct(P['q_missing'])} → {len(q['missing'])}; duplicate customer-periods {_pct(P['q_duplicate'])} "
            f"(half exact) → {len(q['duplicate'])}; gaps {_pct(P['q_gap'])} → {len(q['gap'])}; usage after churn "
            f"({_pct(P['q_after_churn'])} of churners) → {len(q['usage_after_churn'])} rows.")
    c = truth.get("complaints")
    if c:
        lines += [
            "",
            "## Complaint texts",
            "",
            f"- {c['rows']:,} orders, one per complaint event; text = opening + class body (with slots: cities, "
            "places, packages, products, activities, amounts, dates) + optional demand + closing.",
            f"- Label noise {_pct(P['label_noise'])} ({len(c['label_noise'])}); ambiguous two-class bodies "
            f"{_pct(P['ambiguous_share'])} ({len(c['ambiguous'])}); unmasked PII (phone, ID number, e-mail) "
            f"{_pct(P['pii_share'])} ({len(c['pii'])}); ****** masking {_pct(P['masked_share'])} "
            f"({len(c['masked'])}); Traditional characters {_pct(P['traditional_share'])} ({len(c['traditional'])}); "
            f"full-width digits/letters {_pct(P['fullwidth_share'])} ({len(c['fullwidth'])}).",
            "- Class mix depends on the lifecycle (churn-pattern customers complain more about network, fees and "
            "service).",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
