"""Every planted rate of the sample world: lifecycle shares, segments, :data:`PARAMS`, event and key codes, and
the independent random stream of each part (:func:`_rng`).
"""

from __future__ import annotations

import numpy as np


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
