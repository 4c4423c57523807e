"""Usage and feedback shaped differently from the sample world: weekly/daily periods, other period spellings,
Chinese column names, one-sided customers, rules files with typos — hand-checked answers, not only exit codes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

from ivr_text.churn.monthly import describe, duplicate_sub_periods, to_months
from ivr_text.churn.periods import parse_raw_periods, period_label
from ivr_text.cli.main import app

runner = CliRunner()


def _labels(values):
    month, sub, grain = parse_raw_periods(pd.Series(values))
    return [period_label(int(m)) if m >= 0 else None for m in month], sub, grain


def test_raw_periods_months_weeks_days():
    months, sub, grain = _labels(["2024-03", "202403", "2024年3月", "2024/3", "2024-03-15", "20240315",
                                  "2024年3月15日", "2024-03-15 08:00:00", "2024-W01", "2024年第5周", "2024-W53",
                                  "2024-13", "2024-02-30", "March", None])
    assert months == ["2024-03"] * 8 + ["2024-01", "2024-02"] + [None] * 5
    assert list(grain[:9]) == [0, 0, 0, 0, 2, 2, 2, 2, 1]
    assert sub[4] == sub[5] == sub[6] == sub[7] > 0      # one day, three spellings
    assert sub[0] == -1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=12), st.none()), max_size=20))
def test_raw_periods_never_raise(values):
    month, sub, grain = parse_raw_periods(pd.Series(values, dtype=object))
    assert len(month) == len(values)
    assert ((month == -1) == (grain == -1)).all()
    assert ((month == -1) | (month >= 1900 * 12)).all()


def weekly(weeks=20, drop_from=None):
    """Customer A: 70 minutes every week from 2024-01-01 (months of 4 and 5 Mondays); B halves from week ``drop_from``."""
    mondays = pd.date_range("2024-01-01", periods=weeks, freq="W-MON")
    rows = [("A", d.strftime("%Y-%m-%d"), 70.0) for d in mondays]
    rows += [("B", d.strftime("%Y-%m-%d"), 35.0 if drop_from is not None and i >= drop_from else 70.0)
             for i, d in enumerate(mondays)]
    return pd.DataFrame(rows, columns=["customer_id", "period", "minutes"])


def test_weekly_rows_become_months_by_mean():
    out, info = to_months(weekly())
    a = out[out["customer_id"] == "A"]
    # January has 5 Mondays, February 4: the mean keeps usage flat, a sum would show a 20 % "drop"
    assert a["period"].tolist() == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    assert a["minutes"].tolist() == [70.0] * 5
    assert info["rows_combined"] == 40 and info["customer_months"] == 10 and info["sub_period_days"] == 7
    assert "one per week" in describe(info)
    summed, _ = to_months(weekly(), "sum")
    assert summed.loc[summed["customer_id"] == "A", "minutes"].tolist()[:2] == [350.0, 280.0]


def test_monthly_rows_untouched_and_repeats_detected():
    u = pd.DataFrame({"customer_id": ["a", "a", "a"], "period": ["2024-03", "202403", "2024-04"], "x": [1.0, 2, 3]})
    out, info = to_months(u)
    assert out["period"].tolist() == ["2024-03", "2024-03", "2024-04"] and info["rows_combined"] == 0
    assert describe(info) is None
    month, sub, _ = parse_raw_periods(u["period"])
    assert duplicate_sub_periods(u["customer_id"], month, sub).tolist() == [False, True, False]


def _write(df, path, **kw):
    df.to_csv(path, index=False, **kw)
    return str(path)


def _feedback(tmp_path, rows=(("B", "2024-02-05T10:00:00", "网络问题", "complaint"),)):
    return _write(pd.DataFrame(list(rows), columns=["customer_id", "ts", "cause", "channel"]), tmp_path / "fb.csv")


def test_cli_weekly_usage_is_combined_not_rejected(tmp_path):
    usage = _write(weekly(drop_from=13), tmp_path / "weekly.csv")
    out = tmp_path / "out"
    r = runner.invoke(app, ["churn", "signal", "--feedback", _feedback(tmp_path), "--usage", usage, "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "read 40 = used 40 + rejected 0" in r.output
    assert "combined into months" in r.output
    periods = pd.read_csv(out / "customer_periods.csv", encoding="utf-8-sig")
    a = periods[periods["customer_id"] == "A"]
    assert set(a["phase"]) <= {"insufficient_history", "stable"}      # flat weekly usage is not a decline
    b = periods[(periods["customer_id"] == "B") & (periods["period"] == "2024-05")].iloc[0]
    assert b["usage_change"] == pytest.approx(-0.5)                   # weeks 14-18 (Apr/May) halved


def test_cli_iso_weeks_and_bad_periods(tmp_path):
    u = pd.DataFrame({"customer_id": ["A"] * 6, "period": ["2024-W01", "2024-W02", "2024-W06", "2024-W07",
                                                          "someday", "2024-W02"], "minutes": [1.0] * 6})
    out = tmp_path / "out"
    r = runner.invoke(app, ["churn", "quality", _write(u, tmp_path / "u.csv"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "read 6 = used 4 + rejected 2" in r.output
    rej = pd.read_csv(out / "rejected_usage.csv", encoding="utf-8-sig")
    assert sorted(rej["reason"].str.slice(0, 30)) == ["column 'period': unparseable p", "duplicate customer_id and peri"]
    clean = pd.read_csv(out / "usage_clean.csv", encoding="utf-8-sig")
    assert clean["period"].tolist() == ["2024-01", "2024-02"]


def test_cli_monthly_duplicates_still_reach_the_quality_rule(tmp_path):
    u = pd.DataFrame({"customer_id": ["A", "A", "A"], "period": ["2024-01", "202401", "2024-02"], "bill": [1.0, 2, 3]})
    out = tmp_path / "out"
    r = runner.invoke(app, ["churn", "quality", _write(u, tmp_path / "u.csv"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    rep = pd.read_csv(out / "quality_report.csv", encoding="utf-8-sig").set_index("rule")
    assert rep.loc["duplicate_customer_period", "rows"] == 1


def test_cli_chinese_columns_gbk_and_bill_alias(tmp_path):
    months = [f"2024{m:02d}" for m in range(1, 13)]
    u = pd.DataFrame({"用户编号": ["0012"] * 12, "账期": months,
                      "通话时长": [300.0] * 8 + [150.0] * 4, "话费": [50.0] * 8 + [20.0] * 4})
    usage = _write(u, tmp_path / "u.csv", encoding="gbk")
    out = tmp_path / "out"
    r = runner.invoke(app, ["churn", "signal", "--feedback", _feedback(tmp_path), "--usage", usage,
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "signal_summary.json").read_text(encoding="utf-8"))
    assert summary["rules_skipped"] == {} and summary["usage_measure"] == "通话时长"
    warn = pd.read_csv(out / "warnings.csv", encoding="utf-8-sig", dtype={"customer_id": str})
    assert warn["customer_id"].tolist() == ["0012"]                  # leading zeros kept
    assert "bill_decline" in warn["rules_fired"].iloc[0]


def test_cli_bill_rule_skipped_with_hint(tmp_path):
    u = pd.DataFrame({"customer_id": ["A"] * 3, "period": ["2024-01", "2024-02", "2024-03"], "flow": [1.0, 2, 3]})
    r = runner.invoke(app, ["churn", "signal", "--feedback", _feedback(tmp_path), "--usage",
                            _write(u, tmp_path / "u.csv"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "rule bill_decline skipped" in r.output and "--usage-map bill=" in r.output


@pytest.mark.parametrize("text, message", [
    ("phases:\n  decline_treshold: 0.2\n", "unknown setting 'phases.decline_treshold'; did you mean 'decline_threshold'?"),
    ("rules:\n  complaint_recent: {min_count: 3}\n", "did you mean 'complaints_recent'?"),
    ("rules:\n  bill_decline: {drop: '15%'}\n", "'rules.bill_decline.drop' must be a number"),
    ("windows: 3\n", "'windows' must be a mapping"),
])
def test_churn_rules_typos_are_errors(tmp_path, text, message):
    from ivr_text.churn.config import churn_config
    from ivr_text.errors import InputError

    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("?", r"\?").replace(".", r"\.")):
        churn_config(path)


def test_churn_rules_partial_file_merges(tmp_path):
    from ivr_text.churn.config import churn_config

    path = tmp_path / "rules.yaml"
    path.write_text("windows: {recent: 2}\nrules:\n  bill_decline: {column: 话费}\n", encoding="utf-8")
    cfg = churn_config(path)
    assert cfg["windows"]["recent"] == 2 and cfg["windows"]["baseline"] == 6
    assert cfg["rules"]["bill_decline"]["column"] == "话费"


def test_quality_rule_key_typo_and_column_typo(tmp_path):
    from ivr_text.churn.config import quality_rules
    from ivr_text.churn.quality import check_usage
    from ivr_text.errors import InputError

    bad = tmp_path / "q.yaml"
    bad.write_text("rules:\n  - {name: big, severty: warning, expr: bill > 1}\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown key 'severty'; did you mean 'severity'"):
        quality_rules(bad)
    typo = tmp_path / "q2.yaml"
    typo.write_text("rules:\n  - {name: big, expr: bil > 1}\n", encoding="utf-8")
    u = pd.DataFrame({"customer_id": ["a"], "period": ["2024-01"], "bill": [5.0]})
    res = check_usage(u, quality_rules(typo))
    assert res.report.loc[0, "status"] == "skipped: missing column bil (did you mean 'bill'?)"
    assert len(res.clean) == 1


def test_phases_and_reasons_on_hand_built_customers():
    """C complains in Apr–May then goes quiet while usage falls from Aug; D declines without complaints."""
    from ivr_text.churn.config import churn_config
    from ivr_text.churn.panel import build_panel
    from ivr_text.churn.signal import compute_signal, customer_periods, warning_list

    months = [f"2024-{m:02d}" for m in range(1, 13)]
    minutes = {"A": [300.0] * 12, "C": [300.0] * 7 + [170.0] * 5, "D": [300.0] * 7 + [150.0] * 5}
    usage = pd.DataFrame([(c, p, v[i], v[i] / 10) for c, v in minutes.items() for i, p in enumerate(months)],
                         columns=["customer_id", "period", "minutes", "bill"])
    feedback = pd.DataFrame({"customer_id": ["C"] * 4, "ts": pd.to_datetime(
        ["2024-04-01", "2024-04-02", "2024-05-01", "2024-05-02"]), "cause": ["费用问题"] * 4, "channel": ["complaint"] * 4})
    cfg = churn_config()
    sig = compute_signal(build_panel(usage, feedback, cfg), cfg)
    phases = customer_periods(sig).pivot(index="customer_id", columns="period", values="phase").astype(str)
    assert phases.loc["C", "2024-05":"2024-07"].tolist() == ["problem"] * 3
    # the peak is remembered over the whole history: silent from Aug to the end
    assert phases.loc["C", "2024-08":"2024-12"].tolist() == ["silent_decline"] * 5
    short = churn_config(overrides={"windows": {"peak_memory": 4}, "phases": {"peak_surprise": 0}})  # forgotten > 4 back
    ph6 = customer_periods(compute_signal(build_panel(usage, feedback, short), short)).pivot(
        index="customer_id", columns="period", values="phase").astype(str)
    assert ph6.loc["C", "2024-08":"2024-12"].tolist() == ["silent_decline"] * 4 + ["usage_decline"]
    assert phases.loc["D", "2024-08"] == "usage_decline" and set(phases.loc["A", "2024-05":]) == {"stable"}
    warn = warning_list(sig, as_of=2024 * 12 + 8).set_index("customer_id")     # 2024-09
    assert warn.loc["C", "phase"] == "silent_decline" and "A" not in warn.index
    assert warn.loc["C", "reasons"].startswith("沉默下降期：投诉高峰期2024-04至2024-06共4次，近3个月回落到0次")
    assert "用量较基线下降43%（minutes 170，基线300）" in warn.loc["C", "reasons"]
    assert "用量较基线下降50%（minutes 150，基线300）" in warn.loc["D", "reasons"]
    assert warn.loc["C", "top_causes"] == "费用问题×4"


def test_cli_header_only_usage_names_the_file(tmp_path):
    usage = tmp_path / "u.csv"
    usage.write_text("customer_id,period,minutes\n", encoding="utf-8")
    r = runner.invoke(app, ["churn", "quality", str(usage), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and f"{usage}: no usable usage rows (read 0, rejected 0)" in r.output
