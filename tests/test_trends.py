"""Trends: zero-filled counts, spike alerts (planted spike yes, flat no), seasonality, emerging terms, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom, poisson
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.complaints.corpus import build_corpus
from ivr_text.complaints.trends import (TrendConfig, emerging_terms, period_counts, score_counts, to_periods)
from ivr_text.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
runner = CliRunner()


def counts_frame(series: dict[str, list[int]], start="2024-01-01", freq="W-SUN") -> pd.DataFrame:
    idx = pd.period_range(start, periods=len(next(iter(series.values()))), freq=freq)
    return pd.DataFrame(series, index=idx)


def test_counts_are_zero_filled_over_missing_periods_and_groups():
    ts = pd.Series(pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-22", "2024-01-23"]))
    per = to_periods(ts, "week")
    c = period_counts(per, ["A", "A", "B", "A"])
    assert [str(p.start_time.date()) for p in c.index] == ["2024-01-01", "2024-01-08", "2024-01-15", "2024-01-22"]
    assert c["A"].tolist() == [2, 0, 0, 1] and c["B"].tolist() == [0, 0, 0, 1]
    assert period_counts(per).columns.tolist() == ["(all)"]


def test_planted_spike_is_flagged_with_hand_checked_p():
    c = counts_frame({"flat": [10, 11, 9, 10, 10, 11, 10, 9], "spike": [4, 5, 3, 4, 4, 5, 16, 4]})
    s = score_counts(c, TrendConfig(window=4))
    alerts = s[s["alert"]]
    assert alerts[["period", "group"]].values.tolist() == [["2024-02-12", "spike"]]
    row = alerts.iloc[0]
    assert row["baseline"] == pytest.approx(4.0) and row["ratio"] == pytest.approx(4.0)
    # conditional test: 16 now, 5+4+4+3 = 16 in 4 baseline weeks → P(Binomial(32, 1/5) ≥ 16)
    assert row["p_value"] == pytest.approx(binom.sf(15, 32, 0.2))
    flat_p = s[(s["period"] == "2024-02-12") & (s["group"] == "flat")]["p_value"].iloc[0]
    assert row["q_value"] == pytest.approx(min(2 * row["p_value"], flat_p))  # BH over the period's 2 groups
    # the one-sample Poisson test (baseline mean taken as known) is the old, optimistic figure
    old = score_counts(c, TrendConfig(window=4, method="poisson"))
    assert old[old["alert"]]["p_value"].iloc[0] == pytest.approx(poisson.sf(15, 4.0))
    # the first periods lack baseline history: not tested
    assert s[s["period"] == "2024-01-01"]["p_value"].isna().all()


def test_robust_z_method_and_thresholds():
    c = counts_frame({"g": [10, 12, 8, 10, 30, 11]})
    s = score_counts(c, TrendConfig(method="robust_z", window=4))
    hit = s[s["alert"]]
    assert hit["period"].tolist() == ["2024-01-29"]
    # median 10, MAD 1 → scale max(1.4826, √10) = 3.162 → z = 20 / 3.162
    assert hit["z"].iloc[0] == pytest.approx(20 / np.sqrt(10), abs=1e-3)
    assert not score_counts(c, TrendConfig(min_count=50))["alert"].any()
    assert not score_counts(c, TrendConfig(min_ratio=5))["alert"].any()


def test_seasonal_baseline_compares_like_with_like():
    weekly = [30 if d % 7 == 0 else 5 for d in range(42)]  # every Monday is busy
    c = counts_frame({"g": weekly}, freq="D")
    assert score_counts(c, TrendConfig(period="day", window=4, season=1))["alert"].any()
    assert not score_counts(c, TrendConfig(period="day", window=4, season=7))["alert"].any()


def test_config_validation():
    with pytest.raises(InputError, match="period"):
        TrendConfig(period="hour")
    with pytest.raises(InputError, match="method"):
        TrendConfig(method="magic")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=2, max_size=2), min_size=1, max_size=15),
       st.integers(1, 5), st.integers(0, 10))
def test_scores_cover_every_cell_and_respect_min_count(rows, window, min_count):
    c = counts_frame({"a": [r[0] for r in rows], "b": [r[1] for r in rows]})
    s = score_counts(c, TrendConfig(window=window, min_count=min_count))
    assert len(s) == 2 * len(rows) and s["count"].sum() == int(c.to_numpy().sum())
    assert (s.loc[s["alert"], "count"] >= min_count).all()
    assert (s.loc[s["alert"], "baseline_periods"] >= min(2, window)).all()


def test_emerging_terms_find_a_new_term_but_not_stable_or_rare_ones():
    days = pd.date_range("2024-01-01", periods=35, freq="D")
    ts, docs = [], []
    for i, d in enumerate(days):
        for j in range(10):
            toks = ["网络", "信号"] if j % 2 else ["话费", "扣费"]
            if i >= 28 and j < 6:
                toks = toks + ["新套餐"]      # appears in the last week only, 42 texts
            if i == 34 and j == 0:
                toks = toks + ["罕见词"]      # once: below the minimum count
            ts.append(d)
            docs.append(toks)
    per = to_periods(pd.Series(ts), "week")
    table = emerging_terms(build_corpus(docs), per, TrendConfig(), texts=[" ".join(d) for d in docs],
                           causes=["c1"] * len(docs))
    assert table["term"].tolist() == ["新套餐"]
    row = table.iloc[0]
    assert row["period"] == "2024-01-29" and row["count"] == 42 and row["count_before"] == 0 and row["new"]
    assert row["main_cause"] == "c1" and "新套餐" in row["examples"]


def test_emerging_terms_in_a_small_corpus_find_an_obvious_burst():
    """4 texts a week for 11 weeks, then 15 of 16 texts in one week say 掉线, never seen before: the log-odds
    z of a brand-new term is bounded (about 2.75 here), the exact test is not — but with 16 baseline texts
    (4 weeks) it cannot be below 0.5^15: of the 15 texts with the term, all fell in the week that holds half of
    the 32 texts."""
    ts, docs = [], []
    for week in range(12):
        for j in range(4 if week < 11 else 16):
            ts.append(pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * week + j % 7))
            docs.append(["信号", "掉线"] if week == 11 and j < 15 else (["话费", "扣费"] if j % 2 else ["信号"]))
    per = to_periods(pd.Series(ts), "week")
    table = emerging_terms(build_corpus(docs), per, TrendConfig())
    assert table["term"].tolist() == ["掉线"]
    row = table.iloc[0]
    assert row["period"] == "2024-03-18" and row["count"] == 15 and row["new"] and row["z"] < 3
    # one candidate: 信号 is in 37 of the 60 texts, steadily (boilerplate), 话费/扣费 in 1 text of that week
    assert row["p_value"] == pytest.approx(0.5 ** 15)
    # the same words spread evenly over the weeks are not emerging
    flat = [["信号", "掉线"] if j == 0 else ["话费"] for _ in range(12) for j in range(4)]
    flat_ts = [pd.Timestamp("2024-01-01") + pd.Timedelta(days=7 * w) for w in range(12) for _ in range(4)]
    assert emerging_terms(build_corpus(flat), to_periods(pd.Series(flat_ts), "week"), TrendConfig()).empty


def _write_dated(path: Path) -> Path:
    rows = []
    start = pd.Timestamp("2024-03-04")
    for week in range(8):
        n_fee = 30 if week == 7 else 6
        for i in range(6):
            rows.append({"created": str((start + pd.Timedelta(days=7 * week + i % 5)).date()),
                         "内容": "手机信号差经常掉线", "cause": "网络问题"})
        for i in range(n_fee):
            rows.append({"created": str((start + pd.Timedelta(days=7 * week + i % 5)).date()),
                         "内容": "5G套餐被重复扣费，联系电话13912345678" if week == 7 else "话费扣费不明",
                         "cause": "费用问题"})
    rows += [{"created": "not a date", "内容": "x", "cause": "网络问题"},
             {"created": "", "内容": "y", "cause": "网络问题"}]
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_cli_trends_end_to_end(tmp_path):
    src = _write_dated(tmp_path / "c.csv")
    out = tmp_path / "out"
    result = runner.invoke(app, ["trends", str(src), "--date-column", "created", "--text-column", "内容",
                                 "--period", "week", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "rejected 2" in result.output
    rejected = pd.read_csv(out / "rejected_complaints.csv")
    assert len(rejected) == 2 and rejected["reason"].str.contains("ts").all()
    counts = pd.read_csv(out / "counts.csv")
    assert len(counts) == 8 * 2 and {"period", "cause", "count", "baseline", "p_value", "z"} <= set(counts.columns)
    alerts = pd.read_csv(out / "alerts.csv")
    assert alerts[["period", "cause"]].values.tolist() == [["2024-04-22", "费用问题"]]
    assert "<PHONE>" in alerts["examples"].iloc[0] and "13912345678" not in alerts["examples"].iloc[0]
    terms = pd.read_csv(out / "emerging_terms.csv")
    assert "5g套餐" in set(terms["term"]) or "重复" in set(terms["term"])
    assert terms.loc[terms["main_cause"] == "费用问题", "cause_alert"].all()


def test_cli_trends_bad_options(tmp_path):
    src = _write_dated(tmp_path / "c.csv")
    r = runner.invoke(app, ["trends", str(src), "--date-column", "nope", "--text-column", "内容", "--out", str(tmp_path)])
    assert r.exit_code == 1 and "column 'nope'" in r.output
    r = runner.invoke(app, ["trends", str(src), "--date-column", "created", "--text-column", "内容",
                            "--period", "hour", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "period must be one of" in r.output  # an option value: usage error


@pytest.mark.skipif(not (DATA / "car_complaints_12365").exists(), reason="shared real data not present")
def test_real_car_complaints_daily_counts(tmp_path):
    src = DATA / "car_complaints_12365" / "car_complain_12365auto_2020-06.csv"
    r = runner.invoke(app, ["trends", str(src), "--map", "text=desc", "--date-column", "datetime", "--by", "brand",
                            "--period", "day", "--no-terms", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    counts = pd.read_csv(tmp_path / "counts.csv")
    raw = pd.read_csv(src)
    assert counts["count"].sum() == len(raw)
    assert len(counts) == counts["period"].nunique() * counts["brand"].nunique()


def test_cli_trends_per_topic_column(tmp_path):
    src = _write_dated(tmp_path / "c.csv")
    df = pd.read_csv(src)
    df["topic"] = np.where(df["cause"] == "费用问题", 1, 0)
    df.to_csv(src, index=False)
    out = tmp_path / "out"
    r = runner.invoke(app, ["trends", str(src), "--date-column", "created", "--text-column", "内容",
                            "--topic-column", "topic", "--no-terms", "--out", str(out)])
    assert r.exit_code == 0, r.output
    topic_counts = pd.read_csv(out / "topic_counts.csv")
    assert set(topic_counts["topic"]) == {0, 1} and len(topic_counts) == 16
    assert pd.read_csv(out / "topic_alerts.csv")[["period", "topic"]].values.tolist() == [["2024-04-22", 1]]
    assert not (out / "emerging_terms.csv").exists()


def _surge_free_worlds(n_worlds: int, seed: int = 0, weeks: int = 60, groups: int = 8) -> list[pd.DataFrame]:
    rng = np.random.default_rng(seed)
    idx = pd.period_range("2024-01-01", periods=weeks, freq="W-SUN")
    return [pd.DataFrame(rng.poisson(rng.uniform(3, 40, groups), (weeks, groups)), index=idx,
                         columns=[f"g{i}" for i in range(groups)]) for _ in range(n_worlds)]


def _periods_with_alert(worlds, cfg) -> float:
    flags = [score_counts(w, cfg).query("p_value == p_value").groupby("period")["alert"].any() for w in worlds]
    return float(pd.concat(flags).mean())


def test_false_alarm_rate_is_about_nominal_in_periods_without_a_surge():
    # 20 simulated worlds × 56 tested weeks × 8 causes at constant Poisson rates (3–40 a week): no surge at
    # all. The test's own thresholds only (min_count 0, min_ratio 1): a week has some alert with probability
    # about alpha after the Benjamini-Hochberg correction over its 8 causes (the exact test is discrete, so
    # somewhat below); without the correction, or with the known-mean Poisson test, far above.
    worlds = _surge_free_worlds(20)
    cfg = dict(min_count=0, min_ratio=1.0)
    rate = _periods_with_alert(worlds, TrendConfig(alpha=0.05, **cfg))
    assert 0.02 <= rate <= 0.06
    assert _periods_with_alert(worlds, TrendConfig(alpha=0.01, **cfg)) <= 0.015
    assert _periods_with_alert(worlds, TrendConfig(alpha=0.05, correction="none", **cfg)) > 0.15
    assert _periods_with_alert(worlds, TrendConfig(alpha=0.01, method="poisson", correction="none", **cfg)) > 0.05


def test_a_planted_surge_is_still_found_after_the_correction():
    worlds = _surge_free_worlds(10, seed=1)
    found = 0
    for w in worlds:
        w = w.copy()
        w.iloc[40, 3] = int(w.iloc[36:40, 3].mean() * 2.5) + 5  # one cause, one week: 2.5× its usual count
        s = score_counts(w, TrendConfig())
        found += bool(s[(s["period"] == period_label_of(w, 40)) & (s["group"] == "g3")]["alert"].iloc[0])
    assert found >= 8


def period_label_of(frame: pd.DataFrame, i: int) -> str:
    from ivr_text.complaints.trends import period_label

    return period_label(frame.index[i])
