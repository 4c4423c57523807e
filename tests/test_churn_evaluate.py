"""Evaluation: hand-checked metrics with ties, leakage-safe back-test, customer tables, CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.churn.backtest import backtest, label_outcome
from ivr_text.churn.config import churn_config
from ivr_text.churn.evaluate import associations, lift_table, ranking_metrics
from ivr_text.churn.periods import period_index
from ivr_text.churn.table_eval import evaluate_table, usage_change_fraction
from ivr_text.cli.main import app
from ivr_text.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
DATA = next((p / "shared" / "data" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared" / "data").exists()),
            ROOT.parent / "shared" / "data")
runner = CliRunner()


def test_ranking_metrics_hand_checked():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    s = np.array([0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0])
    m = ranking_metrics(y, s, ks=(1, 3))
    assert m["at_k"]["1"]["precision"] == 1.0 and m["at_k"]["3"]["recall"] == 1.0
    assert m["top_decile_lift"] == pytest.approx(5.0)        # top 1 of 10 is a churner; base rate 0.2
    assert m["auc"] == pytest.approx(15 / 16)                  # 0.7 loses to 0.8 only


def test_ties_shared_by_expectation():
    y = np.array([1, 0, 0, 0], dtype=bool)
    m = ranking_metrics(y, np.zeros(4), ks=(2,))
    assert m["at_k"]["2"]["precision"] == pytest.approx(0.25) and m["auc"] == 0.5
    lift = lift_table(y, {"flat": np.zeros(4)}, bins=2)
    assert lift["churners"].tolist() == pytest.approx([0.5, 0.5])


def test_associations_report_sign():
    x = pd.DataFrame({"up": [0, 1, 2, 3, 4, 5], "down": [5, 4, 3, 2, 1, 0]})
    y = np.array([0, 0, 0, 1, 1, 1], dtype=bool)
    a = associations(x, y).set_index("feature")
    assert a.loc["up", "direction"] == "higher → more churn" and a.loc["down", "direction"] == "higher → less churn"
    assert a.loc["down", "univariate_auc"] == 0.0


def test_metrics_need_both_classes():
    with pytest.raises(InputError):
        ranking_metrics(np.ones(3, dtype=bool), np.arange(3.0))


def panel_world(n=60, months=12, seed=1):
    """Half the churners complain, then usage falls over their last 3 months; churn in month 11 or 12."""
    rng = np.random.default_rng(seed)
    rows, events, labels = [], [], []
    for i in range(n):
        churner = i % 3 == 0
        churn_m = 10 + i % 2 if churner else None
        for m in range(months):
            if churner and m >= churn_m:
                break
            mult = 0.5 if churner and m >= churn_m - 3 else 1.0
            rows.append((f"c{i}", f"2024-{m + 1:02d}", 100 * mult * rng.uniform(0.9, 1.1), 50 * mult))
        if churner and i % 2 == 0:
            events += [(f"c{i}", f"2024-{churn_m - 4:02d}-05", "网络问题")] * 2
        labels.append((f"c{i}", churner, f"2024-{churn_m + 1:02d}" if churner else None))
    usage = pd.DataFrame(rows, columns=["customer_id", "period", "minutes", "bill"])
    feedback = pd.DataFrame(events, columns=["customer_id", "ts", "cause"])
    feedback["ts"] = pd.to_datetime(feedback["ts"])
    lab = pd.DataFrame(labels, columns=["customer_id", "churned", "churn_period"])
    return usage, feedback, lab


def test_label_outcome_timing_and_exclusions():
    lab = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "churned": [True, True, True, False],
                        "churn_period": ["2024-05", "2024-08", "2024-12", None]})
    y, counts = label_outcome(lab, pd.Series(["a", "b", "c", "d", "e"]), period_index(["2024-06"])[0], 3)
    assert np.isnan(y["a"]) and y["b"] == 1 and y["c"] == 0 and y["d"] == 0 and np.isnan(y["e"])
    assert counts["excluded_churned_at_or_before_as_of"] == 1 and counts["churned_after_horizon_counted_as_stayed"] == 1
    with pytest.raises(InputError, match="no customer_id matches"):
        label_outcome(lab, pd.Series(["x", "y"]), 0, 3)


def test_backtest_without_leakage():
    usage, feedback, lab = panel_world()
    result, lift, scored = backtest(usage, feedback, lab, churn_config(), folds=3)
    assert result["as_of"] == "2024-09" and result["horizon"] == 3
    assert set(result["methods"]) == {"usage_only", "feedback_only", "signal", "logistic_cv", "gradient_boosting_cv"}
    assert result["methods"]["signal"]["auc"] > 0.9          # the decline starts before the cutoff
    assert result["population"]["evaluated"] == len(scored) == 60
    # leakage check: data after as-of must not change anything
    later = usage[usage["period"] > "2024-09"].assign(minutes=0.0, bill=0.0)
    noisy = pd.concat([usage[usage["period"] <= "2024-09"], later])
    again, _, _ = backtest(noisy, feedback, lab, churn_config(), folds=3)
    assert again["methods"]["signal"] == result["methods"]["signal"]
    assert set(lift["method"]) == set(result["methods"])


def test_usage_change_units():
    assert usage_change_fraction(pd.Series([-20.0, 10.0, 5.0]))[1] == "percent"
    assert usage_change_fraction(pd.Series([-0.2, 0.1]))[1] == "fraction"


def test_evaluate_table_reports_what_data_says():
    rng = np.random.default_rng(0)
    n = 400
    care = rng.poisson(2, n)
    churn = rng.random(n) < 0.6 - 0.1 * np.minimum(care, 4)   # more care calls, less churn
    df = pd.DataFrame({"care": care, "change": rng.normal(0, 20, n), "churn": churn})
    res, lift = evaluate_table(df, "churn", "care", churn_config(), usage_change="change", folds=3)
    assert res["methods"]["feedback_only"]["auc"] < 0.5
    assoc = {a["feature"]: a for a in res["associations"]}
    assert assoc["care"]["direction"] == "higher → less churn"
    assert res["methods"]["logistic_cv"]["auc"] > 0.5            # learns the sign from the labels


def _write_world(tmp_path):
    usage, feedback, lab = panel_world()
    paths = {}
    for name, df in (("usage", usage), ("feedback", feedback), ("labels", lab)):
        paths[name] = tmp_path / f"{name}.csv"
        df.to_csv(paths[name], index=False)
    return paths


def test_cli_quality_signal_features_evaluate(tmp_path):
    p = _write_world(tmp_path)
    bad = pd.read_csv(p["usage"])
    bad = pd.concat([bad, bad.iloc[[0]], pd.DataFrame({"customer_id": ["c1"], "period": ["2024-13"],
                                                        "minutes": [1.0], "bill": [1.0]})])
    bad.to_csv(p["usage"], index=False)
    out = tmp_path / "out"
    r = runner.invoke(app, ["churn", "quality", str(p["usage"]), "--labels", str(p["labels"]), "--out", str(out)])
    assert r.exit_code == 0, r.output
    report = json.loads((out / "quality_report.json").read_text(encoding="utf-8"))
    assert report["quarantined_rows"] == 1 and (out / "usage_clean.csv").exists()
    assert "rejected 1" in r.output                                  # the malformed period
    r = runner.invoke(app, ["churn", "signal", "--feedback", str(p["feedback"]), "--usage", str(p["usage"]),
                            "--out", str(out), "--as-of", "2024-09"])
    assert r.exit_code == 0, r.output
    rejected = pd.read_csv(out / "rejected_usage.csv")
    assert any("duplicate customer_id and period" in x for x in rejected["reason"])
    warn = pd.read_csv(out / "warnings.csv")
    assert len(warn) > 0 and warn["rank"].tolist() == list(range(1, len(warn) + 1))
    for name in ("customer_periods.csv", "phase_summary.csv", "unmatched_customers.csv", "signal_summary.json"):
        assert (out / name).exists()
    r = runner.invoke(app, ["churn", "features", "--feedback", str(p["feedback"]), "--usage", str(p["usage"]),
                            "--out", str(out), "--as-of", "2024-09", "--table-format", "csv"])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out / "customer_features.csv")["as_of"].eq("2024-09").all()
    r = runner.invoke(app, ["churn", "evaluate", "--feedback", str(p["feedback"]), "--usage", str(p["usage"]),
                            "--labels", str(p["labels"]), "--folds", "3", "--json", "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout[r.stdout.index("{"):r.stdout.rindex("}") + 1])
    assert "logistic_cv" in doc["methods"] and (out / "lift.csv").exists() and (out / "evaluation.json").exists()


def test_cli_bad_input(tmp_path):
    p = _write_world(tmp_path)
    pd.DataFrame({"customer_id": ["nobody"], "churned": [1]}).to_csv(tmp_path / "l.csv", index=False)
    r = runner.invoke(app, ["churn", "evaluate", "--feedback", str(p["feedback"]), "--usage", str(p["usage"]),
                            "--labels", str(tmp_path / "l.csv")])
    assert r.exit_code == 1 and "no customer_id matches" in r.output
    r = runner.invoke(app, ["churn", "signal", "--feedback", str(p["feedback"]), "--usage", str(p["usage"]),
                            "--out", str(tmp_path / "o"), "--as-of", "2030-01"])
    assert r.exit_code == 2 and "outside the usage periods" in r.output  # an option value: usage error
    r = runner.invoke(app, ["churn", "quality", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "file not found" in r.output
    r = runner.invoke(app, ["churn", "signal", "--usage", str(p["usage"])])
    assert r.exit_code == 2


@pytest.mark.skipif(not (DATA / "cell2cell" / "cell2cell_calibration.csv").exists(), reason="shared data absent")
def test_cell2cell_cli(tmp_path):
    r = runner.invoke(app, ["churn", "evaluate-table", str(DATA / "cell2cell" / "cell2cell_calibration.csv"),
                            "--feedback-column", "custcare", "--usage-change-column", "changem",
                            "--label-column", "churn", "--folds", "3", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "evaluation.json").read_text(encoding="utf-8"))
    care = next(a for a in doc["associations"] if a["feature"] == "custcare")
    assert care["direction"] == "higher → less churn"       # what the data says, not what we assume
    assert doc["rows"]["read"] == doc["rows"]["used"] + doc["rows"]["rejected"]


def test_auc_ci_hand_checked_and_covers_bootstrap():
    from ivr_text.churn.evaluate import auc_ci

    auc, lo, hi = auc_ci([1, 1, 0, 0], [0.9, 0.4, 0.5, 0.1])
    assert auc == pytest.approx(0.75) and lo < 0.75 < hi
    assert auc_ci([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1]) == (1.0, 1.0, 1.0)
    rng = np.random.default_rng(1)
    y = rng.random(3000) < 0.3
    s = np.round(y * 0.4 + rng.normal(size=3000), 1)        # ties on purpose
    auc, lo, hi = auc_ci(y, s)
    from sklearn.metrics import roc_auc_score
    boot = [roc_auc_score(y[i], s[i]) for i in rng.integers(0, 3000, (200, 3000))]
    b_lo, b_hi = np.percentile(boot, [2.5, 97.5])
    assert abs(lo - b_lo) < 0.01 and abs(hi - b_hi) < 0.01


def test_evaluate_table_reports_auc_interval_and_class_counts(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    churn = rng.random(n) < 0.25
    df = pd.DataFrame({"care": rng.poisson(1 + churn), "chg": rng.normal(-10 * churn, 20), "churn": churn.astype(int).astype(object)})
    df["care"] = df["care"].astype(object)
    df.loc[3, "care"] = "很多"                                        # text in a numeric column → missing, kept
    df.loc[5, "churn"] = "?"                                          # no label → rejected row
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    r = runner.invoke(app, ["churn", "evaluate-table", str(path), "--feedback-column", "care",
                            "--usage-change-column", "chg", "--label-column", "churn", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "read 400 = used 399 + rejected 1" in r.output and "auc 95% CI" in r.output
    assert "column 'care': 1 values are not numbers and count as missing" in r.output
    assert f"churners {int(churn.sum()) - int(churn[5])}" in r.output
    ev = json.loads((tmp_path / "o" / "evaluation.json").read_text(encoding="utf-8"))
    for m in ev["methods"].values():
        lo, hi = m["auc_ci95"]
        assert lo <= m["auc"] <= hi


def test_evaluate_table_one_class_names_the_counts(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"care": [1, 2, 3, 4], "chg": [1.0, 2, 3, 4], "churn": [0, 0, 0, 0]}).to_csv(path, index=False)
    r = runner.invoke(app, ["churn", "evaluate-table", str(path), "--feedback-column", "care",
                            "--usage-change-column", "chg", "--label-column", "churn"])
    assert r.exit_code == 1 and "got 0 churners and 4 non-churners" in r.output


def test_reweighted_lift_hand_checked_and_equal_to_the_real_population():
    from ivr_text.churn.evaluate import reweighted_top_decile_lift

    rng = np.random.default_rng(3)
    n = 200_000
    y = rng.random(n) < 0.02
    s = y * 1.0 + rng.normal(size=n)
    real = ranking_metrics(y, s)["top_decile_lift"]
    # an oversampled 50/50 sample of the same population, reweighted back to 2 %
    pos, neg = np.flatnonzero(y), rng.choice(np.flatnonzero(~y), y.sum(), replace=False)
    idx = np.r_[pos, neg]
    assert reweighted_top_decile_lift(y[idx], s[idx], y.mean()) == pytest.approx(real, rel=0.05)
    # hand-checked: 1 churner, 1 non-churner standing for 9 customers; the top 10 % is the churner alone
    assert reweighted_top_decile_lift(np.array([True, False]), np.array([1.0, 0.0]), 0.1) == pytest.approx(10.0)
