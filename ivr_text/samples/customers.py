"""The customer base: segments, lifecycles and per-(customer, month) rates driving every other part; the worlds
(``default``, ``curve``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ivr_text.samples.params import LIFECYCLE_SHARES, PARAMS, _rng, SEGMENTS


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
