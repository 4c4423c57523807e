"""Churn signal on small hand-computed data: windows, phases, operator rules, warning list, matching."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ivr_text.churn.config import churn_config
from ivr_text.churn.features import customer_features
from ivr_text.churn.panel import build_panel, matching_table
from ivr_text.churn.periods import parse_period, period_index, period_label
from ivr_text.churn.signal import compute_signal, customer_periods, phase_summary, shown, warning_list
from ivr_text.churn.windows import lag_max, lag_mean, lag_sum, run_length, runs_of
from ivr_text.errors import InputError

PERIODS = [f"2024-{m:02d}" for m in range(1, 13)]


def world():
    """A: steady. B: complaints in May–Jul while usage holds, then usage and bill halve from Sep (silent decline)."""
    rows = []
    for m, p in enumerate(PERIODS):
        rows.append(("A", p, 100.0, 50.0))
        rows.append(("B", p, 100.0 if m < 8 else 50.0, 50.0 if m < 8 else 20.0))
    rows.append(("C", "2024-05", 10.0, 5.0))
    usage = pd.DataFrame(rows, columns=["customer_id", "period", "minutes", "bill"])
    feedback = pd.DataFrame({
        "customer_id": ["B", "B", "B", "B", "Z"],
        "ts": pd.to_datetime(["2024-05-03", "2024-06-01", "2024-06-09", "2024-07-01", "2024-03-01"]),
        "cause": ["网络故障", "网络故障", "资费", "网络故障", "x"],
        "channel": ["hotline"] * 5})
    return usage, feedback


@pytest.fixture(scope="module")
def sig():
    usage, feedback = world()
    cfg = churn_config()
    return compute_signal(build_panel(usage, feedback, cfg), cfg)


def test_periods_roundtrip():
    idx = period_index(["2024-01", "2023-12", None, "bad"])
    assert list(idx[:2]) == [2024 * 12, 2023 * 12 + 11] and list(idx[2:]) == [-1, -1]
    assert list(period_label(idx[:2])) == ["2024-01", "2023-12"]
    assert parse_period("2024-06") == 2024 * 12 + 5
    with pytest.raises(InputError):
        parse_period("June")


def test_windows_hand_computed():
    a = np.array([[1, 2, 3, 4, 5.0]])
    assert lag_sum(a, 0, 2).tolist() == [[1, 3, 6, 9, 12]]
    assert lag_sum(a, 3, 8).tolist() == [[0, 0, 0, 1, 3]]
    assert np.allclose(lag_mean(a, 1, 2), [[np.nan, 1, 1.5, 2.5, 3.5]], equal_nan=True)
    best, lag = lag_max(np.array([[1, 3, 2, 0, 0]]), 3)
    assert best.tolist() == [[1, 3, 3, 3, 2]] and lag.tolist() == [[0, 0, 1, 2, 2]]
    cond = np.array([[True, True, False, True, True, True]])
    assert runs_of(cond, 2).tolist() == [[False, True, False, False, True, True]]
    assert run_length(cond).tolist() == [[1, 2, 0, 1, 2, 3]]


def test_phases_follow_the_curve(sig):
    cp = customer_periods(sig)
    b = cp[cp["customer_id"] == "B"].set_index("period")
    assert b.loc["2024-03", "phase"] == "insufficient_history"   # fewer than 2 baseline periods
    assert b.loc["2024-05", "phase"] == "stable"                 # one complaint, usage steady
    assert b.loc["2024-06", "phase"] == "problem"                # 3 in the recent window, usage holds
    assert b.loc["2024-09", "phase"] == "silent_decline"         # complaints fell back, usage -55 %
    assert b.loc["2024-09", "usage_change"] == pytest.approx(-0.5)   # the primary measure: minutes 50/100 - 1
    assert b.loc["2024-06", "feedback_count"] == 2 and b.loc["2024-07", "feedback_recent"] == 4
    a = cp[cp["customer_id"] == "A"]
    assert set(a["phase"]) <= {"insufficient_history", "stable"} and a["signal_score"].max() == 0


def test_weighted_usage_index_and_unnamed_measures_ignored():
    usage, feedback = world()
    usage["long_distance_fee"] = np.where(usage["customer_id"].eq("B") & usage["period"].ge("2024-09"), 30.0, 1.0)
    cfg = churn_config(overrides={"usage": {"weights": {"minutes": 3, "bill": 1}}})
    s = compute_signal(build_panel(usage, feedback, cfg), cfg)
    b = customer_periods(s).set_index(["customer_id", "period"]).loc["B"]
    # (3 x 50/100 + 1 x 20/50) / 4 - 1; the 30x long-distance fee is not in the index
    assert b.loc["2024-09", "usage_change"] == pytest.approx((3 * 0.5 + 0.4) / 4 - 1)
    with pytest.raises(InputError, match="not a usage measure"):
        compute_signal(build_panel(usage, feedback, cfg), churn_config(overrides={"usage": {"weights": {"mins": 1}}}))


def test_operator_rules(sig):
    cp = customer_periods(sig).set_index(["customer_id", "period"])
    assert "complaints_recent" in cp.loc[("B", "2024-06"), "rules_fired"]      # 3 in May–Jun
    assert "repeated_faults" in cp.loc[("B", "2024-07"), "rules_fired"]        # 3 network faults
    assert "bill_decline" not in cp.loc[("B", "2024-10"), "rules_fired"]       # only 2 months down
    assert "bill_decline" in cp.loc[("B", "2024-11"), "rules_fired"]           # Sep–Nov ≤ 85 % of 50
    assert cp.loc[("B", "2024-11"), "bill_rule_change"] == pytest.approx(-0.6)


def test_score_bounded_and_monotone_in_evidence(sig):
    assert 0 <= sig.score.min() and sig.score.max() <= 1
    cp = customer_periods(sig).set_index(["customer_id", "period"])
    assert cp.loc[("B", "2024-09"), "signal_score"] > cp.loc[("B", "2024-06"), "signal_score"] > 0


def test_warning_list_ranked_with_reasons(sig):
    warn = warning_list(sig, period_index(["2024-09"])[0])
    assert list(warn["customer_id"]) == ["B"]
    row = warn.iloc[0]
    assert row["warning_level"] == "high" and row["phase"] == "silent_decline"
    assert row["top_causes"] == "网络故障×3; 资费×1"
    assert "沉默下降期" in row["reasons"] and "repeated_faults" in row["rules_fired"]


def test_unmatched_customers_reported_not_dropped(sig):
    m = matching_table(sig.panel).set_index("customer_id")
    assert m.loc["Z", "side"] == "feedback_only" and m.loc["A", "side"] == "usage_only"
    cp = customer_periods(sig)
    assert (cp["customer_id"] == "Z").sum() == 1
    assert cp.loc[cp["customer_id"] == "Z", "phase"].iloc[0] == "no_usage"
    assert sig.panel.info["customers_feedback_only"] == 1


def test_rule_skipped_when_column_missing():
    usage, feedback = world()
    cfg = churn_config()
    s = compute_signal(build_panel(usage.drop(columns="bill"), feedback, cfg), cfg)
    assert "bill_decline" in s.rules_skipped and "bill_decline" not in s.rules


def test_configurable_thresholds():
    usage, feedback = world()
    cfg = churn_config(overrides={"rules": {"complaints_recent": {"min_count": 5}}})
    s = compute_signal(build_panel(usage, feedback, cfg), cfg)
    assert not s.rules["complaints_recent"].any()


def test_duplicates_and_feedback_outside_counted():
    usage, feedback = world()
    usage = pd.concat([usage, usage.iloc[[0]]], ignore_index=True)
    feedback = pd.concat([feedback, pd.DataFrame({"customer_id": ["A"], "ts": pd.to_datetime(["2025-03-01"]),
                                                  "cause": ["x"], "channel": ["c"]})], ignore_index=True)
    p = build_panel(usage, feedback, churn_config())
    assert p.info["duplicate_usage_rows_ignored"] == 1 and p.info["feedback_events_outside_periods"] == 1


def test_features_use_only_periods_up_to_as_of(sig):
    at = period_index(["2024-07"])[0]
    f = customer_features(sig, at).set_index("customer_id")
    assert f.loc["B", "feedback_total"] == 4 and f.loc["B", "usage_change"] == pytest.approx(0.0)
    assert "C" not in f.index or f.loc["C", "usage_periods"] == 1
    late = customer_features(sig).set_index("customer_id")
    assert late.loc["B", "usage_change"] < -0.4


def test_phase_summary_counts_observed_rows(sig):
    ps = phase_summary(sig)
    assert ps["customers"].sum() == len(customer_periods(sig))


def _sample_signal(overrides=None):
    root = Path(__file__).resolve().parents[1] / "sample_logs"
    usage = pd.read_csv(root / "usage.csv")
    usage = usage.drop_duplicates(["customer_id", "period"])
    feedback = pd.read_csv(root / "feedback.csv", parse_dates=["ts"])
    cfg = churn_config(overrides=overrides)
    return compute_signal(build_panel(usage, feedback, cfg), cfg)


@pytest.mark.parametrize("overrides", [None, {"usage": {"weights": {"bill": 0.6, "minutes": 0.4}}}])
def test_every_quoted_percentage_recomputes_from_the_quoted_figures(overrides):
    sig = _sample_signal(overrides)
    warn = warning_list(sig)
    assert len(warn) > 20
    usage_re = re.compile(r"用量(?:指数)?较基线下降(\d+)%（([^）]*)）")
    fig_re = re.compile(r"([^\s，]+) (-?[\d,.]+)，基线(-?[\d,.]+)(?:，权重([\d.]+))?")
    bill_re = re.compile(r"账单[^（]*（(\S+) ([\d,.]+)，基线([\d,.]+)，([+-]\d+)%）")
    checked = 0
    for row in warn.to_dict("records"):
        for m in usage_re.finditer(row["reasons"]):
            figs = fig_re.findall(m[2])
            weights = [float(w) if w else 1.0 for *_, w in figs]
            ratios = [min(max(float(v.replace(",", "")) / float(b.replace(",", "")), 0.0), 3.0) for _, v, b, _ in figs]
            change = sum(w * r for w, r in zip(weights, ratios)) / sum(weights) - 1
            assert int(m[1]) == round(-change * 100), row["reasons"]
            for name, v, b, _ in figs:   # each figure is the customer's own value and baseline of that measure
                value, base = (row["usage"], row["usage_baseline"]) if overrides is None else \
                    (row[f"usage_{name}"], row[f"usage_{name}_baseline"])
                assert (v, b) == (shown(value), shown(base)), row["reasons"]
            checked += 1
        for m in bill_re.finditer(row["reasons"]):
            v, b = float(m[2].replace(",", "")), float(m[3].replace(",", ""))
            assert int(m[4]) == round((v / b - 1) * 100) and (m[2], m[3]) == (shown(row["bill"]), shown(row["bill_rule_baseline"]))
            checked += 1
        if row["phase"] == "silent_decline":
            assert row["complaints_recent"] < 2 and row["feedback_recent"] < 2        # silent means silent
    assert checked > 20


def test_short_panel_windows_adapt_and_say_so():
    usage, feedback = world()
    usage = usage[usage["period"] >= "2024-09"]                     # 4 months: Sep-Dec
    cfg = churn_config()
    s = compute_signal(build_panel(usage, feedback, cfg), cfg)
    assert s.windows["recent"] == 1 and s.windows["baseline"] == 3 and "adapted" in s.windows_note
    b = customer_periods(s).set_index(["customer_id", "period"]).loc["B"]
    assert b.loc["2024-12", "usage_change"] == pytest.approx(0.0) and np.isfinite(b.loc["2024-12", "usage_change"])
    fixed = churn_config(overrides={"windows": {"adapt": False}})
    s = compute_signal(build_panel(usage, feedback, fixed), fixed)
    assert "need 5 periods, the usage has 4" in s.windows_note and np.isnan(s.usage_change).all()


def test_running_peak_memory_and_decay_hand_checked():
    from ivr_text.churn.windows import running_peak

    x = np.array([[4.0, 0, 0, 2, 0, 0]])
    size, lag = running_peak(x)
    assert size.tolist() == [[4, 4, 4, 4, 4, 4]] and lag.tolist() == [[0, 1, 2, 3, 4, 5]]
    size, lag = running_peak(x, memory=3)                      # lags 0..2 only
    assert size.tolist() == [[4, 4, 4, 2, 2, 2]] and lag.tolist() == [[0, 1, 2, 0, 1, 2]]
    size, lag = running_peak(x, half_life=1.0)                 # 4 x 0.5^3 = 0.5 < 2 at t=3
    assert size.tolist() == [[4, 4, 4, 2, 2, 2]] and lag.tolist() == [[0, 1, 2, 0, 1, 2]]
    size, lag = running_peak(x, memory=6, half_life=1.0)       # the lag loop gives the recursion's answer
    assert size.tolist() == [[4, 4, 4, 2, 2, 2]]


def test_prior_finds_the_operators_curve_without_labels():
    """On the curve world the last period's signal_score beats usage decline alone by >= 1.15x in the top decile."""
    from ivr_text.churn.backtest import label_outcome
    from ivr_text.churn.evaluate import ranking_metrics
    from ivr_text.samples import churn_world

    w = churn_world(20000, 1, world="curve")
    usage = w["usage"].drop_duplicates(["customer_id", "period"])
    cfg = churn_config()
    s = compute_signal(build_panel(usage, w["feedback"], cfg), cfg)
    last = s.panel.first_period + s.panel.n_periods - 1
    feats = customer_features(s, last)
    y, _ = label_outcome(w["labels"], feats["customer_id"].reset_index(drop=True), last, 3)
    keep = feats["periods_since_last_usage"].eq(0).to_numpy() & ~np.isnan(y.to_numpy())
    y = y.to_numpy()[keep].astype(bool)
    signal = ranking_metrics(y, feats["signal_score"].to_numpy()[keep])["top_decile_lift"]
    usage_only = ranking_metrics(y, -feats["usage_change"].fillna(0).to_numpy()[keep])["top_decile_lift"]
    assert signal >= 1.15 * usage_only, (signal, usage_only)
