"""Learned churn model: calibration, additive contributions, monotone constraints, safe files, no leakage, CLI."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.churn.config import churn_config
from ivr_text.churn.history import training_rows
from ivr_text.churn.model import ChurnModel, ModelConfig, load_model, save_model
from ivr_text.churn.panel import build_panel
from ivr_text.churn.periods import period_index
from ivr_text.churn.signal import compute_signal
from ivr_text.cli.main import app
from ivr_text.errors import InputError

runner = CliRunner()
FAST = ModelConfig(max_iter=60, n_iter_no_change=10, min_samples_leaf=20, n_models=2)


def table(n=1200, seed=0):
    rng = np.random.default_rng(seed)
    drop = rng.normal(0, 0.3, n)
    care = rng.poisson(1.5, n).astype(float)
    plan = rng.choice(["月付", "年付"], n)
    logit = -1.5 - 3 * drop + 0.4 * (plan == "月付") - 0.2 * care
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    care[rng.random(n) < 0.1] = np.nan                      # missing values stay missing
    return pd.DataFrame({"cust_id": np.arange(n), "usage_change": drop, "care": care, "plan": plan, "churn": y})


@pytest.fixture(scope="module")
def fitted():
    df = table()
    return ChurnModel(FAST, {"usage_change": -1}).fit(df.drop(columns="churn"), df["churn"]), df


def test_fit_drops_identifiers_encodes_text_and_calibrates(fitted):
    model, df = fitted
    assert model.encoder_.dropped_ == {"cust_id": "identifier (a distinct value on every row)"}
    assert model.features_ == ["usage_change", "care", "plan=年付", "plan=月付"]
    p = model.predict_proba(df)
    assert abs(p.mean() - df["churn"].mean()) < 0.03 and np.isfinite(p).all()
    assert model.meta_["holdout"]["auc_gradient_boosting"] > 0.6


def test_contributions_add_up_to_the_raw_score(fitted):
    model, df = fitted
    contrib, bias = model.contributions(df.head(50))
    assert np.allclose(contrib.sum(axis=1) + bias, model.decision_function(df.head(50)))


def test_monotone_direction_is_kept(fitted):
    model, df = fitted
    grid = pd.DataFrame({"usage_change": np.linspace(-1, 1, 41), "care": 1.0, "plan": "月付"})
    assert (np.diff(model.decision_function(grid)) <= 1e-12).all()


def test_model_file_roundtrip_and_refusals(fitted, tmp_path):
    model, df = fitted
    path = save_model(model, tmp_path / "m.skops")
    again, meta = load_model(path)
    assert np.allclose(again.predict_proba(df), model.predict_proba(df)) and meta["features"] == model.features_
    assert np.allclose(again.logistic_proba(df), model.logistic_proba(df))
    bad = tmp_path / "bad.skops"
    bad.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="not an ivr-text churn model"):
        load_model(bad)
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        files = {n: z.read(n) for n in names}
    schema = json.loads(files["schema.json"])
    schema["content"]["meta_json"] = {"__class__": "Popen", "__module__": "subprocess", "content": "x"}
    files["schema.json"] = json.dumps(schema).encode()
    evil = tmp_path / "evil.skops"
    with zipfile.ZipFile(evil, "w") as z:
        for n, b in files.items():
            z.writestr(n, b)
    with pytest.raises(InputError, match="refusing to load|not an ivr-text churn model"):
        load_model(evil)


def test_too_few_churners_is_one_clear_line():
    df = table(60)
    df["churn"] = False
    df.loc[:2, "churn"] = True
    with pytest.raises(InputError, match="at least 5 churners"):
        ChurnModel(FAST).fit(df.drop(columns="churn"), df["churn"])


def panel(n=240, months=12, seed=2):
    """Churners' usage halves over their last 3 months; a third of them complained 4-6 months before churn."""
    rng = np.random.default_rng(seed)
    rows, events, labels = [], [], []
    for i in range(n):
        churn_m = int(rng.integers(6, months + 2)) if i % 4 == 0 else None
        for m in range(months):
            if churn_m is not None and m >= churn_m:
                break
            mult = 0.5 if churn_m is not None and m >= churn_m - 3 else 1.0
            rows.append((f"c{i}", f"2024-{m + 1:02d}", 200 * mult * rng.uniform(0.85, 1.15), 60 * mult))
        if churn_m is not None and i % 3 == 0 and churn_m - 5 >= 0:
            events += [(f"c{i}", f"2024-{churn_m - 5 + 1:02d}-0{d}", "网络问题", "complaint") for d in (3, 5, 7)]
        labels.append((f"c{i}", churn_m is not None,
                       f"{2024 + churn_m // 12}-{churn_m % 12 + 1:02d}" if churn_m is not None else None))
    usage = pd.DataFrame(rows, columns=["customer_id", "period", "minutes", "bill"])
    feedback = pd.DataFrame(events, columns=["customer_id", "ts", "cause", "channel"])
    feedback["ts"] = pd.to_datetime(feedback["ts"])
    return usage, feedback, pd.DataFrame(labels, columns=["customer_id", "churned", "churn_period"])


def test_training_rows_see_nothing_after_each_as_of():
    usage, feedback, labels = panel()
    cfg = churn_config()
    full = compute_signal(build_panel(usage, feedback, cfg), cfg)
    t = int(period_index(["2024-08"])[0])
    X, y, _ = training_rows(full, labels, 3, [t])
    cut = compute_signal(build_panel(usage[usage["period"] <= "2024-08"], feedback[feedback["ts"] < "2024-09-01"],
                                     cfg), cfg)
    X2, y2, _ = training_rows(cut, labels, 3, [t])
    pd.testing.assert_frame_equal(X.reset_index(drop=True), X2.reset_index(drop=True), check_dtype=False)
    assert (y == y2).all()


def _write(tmp_path, **frames):
    out = {}
    for name, df in frames.items():
        out[name] = str(tmp_path / f"{name}.csv")
        df.to_csv(out[name], index=False)
    return out


def test_cli_train_then_signal_with_model_explains_every_warned_customer(tmp_path):
    usage, feedback, labels = panel()
    p = _write(tmp_path, usage=usage, feedback=feedback, labels=labels)
    rules = tmp_path / "rules.yaml"
    rules.write_text("model:\n  settings: {max_iter: 60, n_iter_no_change: 10, min_samples_leaf: 20}\n",
                     encoding="utf-8")
    model = tmp_path / "m.skops"
    r = runner.invoke(app, ["churn", "train", "--feedback", p["feedback"], "--usage", p["usage"], "--labels",
                            p["labels"], "--model", str(model), "--rules", str(rules), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout[r.stdout.index("{"):])
    assert len(report["as_of_points"]) >= 2 and "backtest" in report
    assert set(report["backtest"]["methods"]) == {"model", "logistic", "usage_only", "signal"}
    r = runner.invoke(app, ["churn", "signal", "--feedback", p["feedback"], "--usage", p["usage"], "--model",
                            str(model), "--rules", str(rules), "--out", str(tmp_path / "o"), "--as-of", "2024-10"])
    assert r.exit_code == 0, r.output
    warn = pd.read_csv(tmp_path / "o" / "warnings.csv")
    assert len(warn) > 0 and warn["churn_probability"].is_monotonic_decreasing
    assert warn["explanation"].str.contains("风险").all() and warn["model_factors"].str.count(":").eq(3).all()
    r = runner.invoke(app, ["churn", "signal", "--feedback", p["feedback"], "--usage", p["usage"], "--model",
                            str(tmp_path / "missing.skops")])
    assert r.exit_code == 1 and "model file not found" in r.output


def test_cli_train_table_cv_and_evaluate_table_with_model(tmp_path):
    df = table(900)
    p = _write(tmp_path, train=df.iloc[:600], test=df.iloc[600:])
    model = tmp_path / "t.skops"
    r = runner.invoke(app, ["churn", "train-table", p["train"], "--label-column", "churn", "--model", str(model),
                            "--cv", "2", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout[r.stdout.index("{"):])
    assert 0.5 < doc["cv"]["auc"] <= 1 and doc["cv"]["top_decile_lift"] > 1
    assert {"model", "gradient_boosting_default", "logistic"} == set(doc["cv_methods"])
    r = runner.invoke(app, ["churn", "evaluate-table", p["test"], "--model", str(model), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout[r.stdout.index("{"):])
    m = doc["model"]
    assert m["auc_ci95"][0] <= m["auc"] <= m["auc_ci95"][1] and m["top_decile_lift"] > 1
    assert doc["rows"] == {"read": 300, "used": 300, "rejected": 0}


def test_evaluate_on_a_short_panel_adapts_windows_and_says_so(tmp_path):
    usage, feedback, labels = panel(n=800)
    usage = usage[usage["period"] >= "2024-08"]                       # 4 months of history
    p = _write(tmp_path, usage=usage, feedback=feedback, labels=labels)
    r = runner.invoke(app, ["churn", "evaluate", "--feedback", p["feedback"], "--usage", p["usage"], "--labels",
                            p["labels"], "--horizon", "1", "--as-of", "2024-11", "--folds", "3", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout[r.stdout.index("{"):])
    assert "windows adapted" in doc["windows_note"]
    assert doc["methods"]["usage_only"]["auc"] > 0.8 and doc["methods"]["usage_only"]["auc_ci95"] != [0.5, 0.5]
