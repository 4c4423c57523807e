"""The Spark engine gives the local engine's results: every IVR output file equal, the same rejected rows."""

from __future__ import annotations

import filecmp
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ivr_text.errors import InputError
from ivr_text.io import write_table
from ivr_text.ivr import analyze_events, load_menu
from ivr_text.ivr.reading import CODE_COLUMNS, read_chunked

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_logs"

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning", "ignore:The copy keyword")


def _local(path, menu, **options):
    """What `ivr analyze` does on the local engine: the analysis and the rejected rows it writes."""
    table = read_chunked(path, "ivr_events", dictionary=CODE_COLUMNS, chunksize=2_000_000)
    analysis = analyze_events(table.data, menu, rows_read=table.read, **options)
    if len(analysis.rejected_positions):
        mask = np.zeros(len(table.data), dtype=bool)
        mask[analysis.rejected_positions] = True
        reasons = np.empty(len(table.data), dtype=object)
        reasons[analysis.rejected_positions] = analysis.rejected["reason"].to_numpy()
        table.reject(mask, reasons)
    return analysis, table.rejected


def _assert_same_outputs(a, b, tmp_path):
    pa_, pb = tmp_path / "local", tmp_path / "spark"
    files_a = sorted(p.name for p in a.write(pa_))
    files_b = sorted(p.name for p in b.write(pb))
    assert files_a == files_b
    differ = [f for f in files_a if not filecmp.cmp(pa_ / f, pb / f, shallow=False)]
    assert differ == []


def _same_rejects(local: pd.DataFrame, spark: pd.DataFrame):
    key = ["source_row", "reason"]
    assert len(local) == len(spark)
    a = local[key].astype(str).sort_values(key).reset_index(drop=True)
    b = spark[key].astype(str).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    cols = ["call_id", "node", "event"]
    a = local.sort_values("source_row")[cols].astype(str).reset_index(drop=True)
    b = spark.sort_values("source_row")[cols].astype(str).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_ivr_sample_world_equal(spark, tmp_path):
    from ivr_text.spark.ivr import analyze_spark
    from ivr_text.spark.reading import read_spark

    menu = load_menu(SAMPLE / "menu.yaml")
    local, local_rej = _local(SAMPLE / "ivr_events.csv", menu)
    result, rejected = analyze_spark(read_spark(spark, SAMPLE / "ivr_events.csv", "ivr_events"), menu)
    assert result.kpis["rows"]["rejected"] > 0  # the sample has planted duplicates and clock skew
    _assert_same_outputs(local, result, tmp_path)
    _same_rejects(local_rej, rejected)


def _generated(tmp_path) -> Path:
    """A generated noisy world (duplicates, lost terminals, displaced rows) plus rows the schema checks reject
    and rows the cleaning kernel rejects (unknown event)."""
    from ivr_text.samples import ivr_events_frame

    ev = ivr_events_frame(600, seed=7).astype({"ts": "datetime64[s]"})
    ev = ev.astype({c: str for c in ev.columns if c != "ts"})
    bad = ev.iloc[[3, 10, 20]].copy()
    bad["ts"] = pd.NaT
    odd = ev.iloc[[5, 50]].copy()
    odd["event"] = "wobble"
    ev = pd.concat([ev.iloc[:100], bad, ev.iloc[100:400], odd, ev.iloc[400:]], ignore_index=True)
    path = tmp_path / "events.csv"
    write_table(ev, path, mask=False)
    return path


def test_ivr_generated_world_equal(spark, tmp_path):
    from ivr_text.spark.ivr import analyze_spark
    from ivr_text.spark.reading import read_spark

    path = _generated(tmp_path)
    local, local_rej = _local(path, None, min_count=2)
    table = read_spark(spark, path, "ivr_events")
    read, used, rejected_n = table.counts()
    assert read == used + rejected_n and rejected_n == 3
    result, rejected = analyze_spark(table, None, min_count=2, partitions=3)
    rows = result.kpis["rows"]
    assert rows["read"] == rows["used"] + rows["rejected"] == read
    assert rows["rejected"] == len(rejected) == len(local_rej)
    assert rows["rejected_by_reason"]["unknown event type '…'"] == 2
    _assert_same_outputs(local, result, tmp_path)
    _same_rejects(local_rej, rejected)


def test_parquet_directory_and_catalog_table(spark, tmp_path):
    from ivr_text.spark.reading import read_spark

    ev = pd.read_csv(SAMPLE / "ivr_events.csv", dtype=str)
    d = tmp_path / "events"
    d.mkdir()
    for i, lo in enumerate(range(0, len(ev), len(ev) // 3 + 1)):
        ev.iloc[lo:lo + len(ev) // 3 + 1].to_parquet(d / f"part-{i}.parquet", index=False)
    t = read_spark(spark, d, "ivr_events")
    assert t.counts() == (len(ev), len(ev), 0)
    spark.read.parquet(str(d)).createOrReplaceTempView("ivr_events_view")
    t2 = read_spark(spark, "table:ivr_events_view", "ivr_events")
    assert t2.counts()[0] == len(ev)
    with pytest.raises(InputError, match="table:nope.missing"):
        read_spark(spark, "table:nope.missing", "ivr_events")
    with pytest.raises(InputError, match="missing required column 'node'"):
        read_spark(spark, _without(tmp_path, ev, "node"), "ivr_events")


def _without(tmp_path, ev, col):
    p = tmp_path / "no_col.csv"
    ev.drop(columns=[col]).to_csv(p, index=False)
    return p


def test_conf_and_install_lines(monkeypatch):
    from ivr_text.errors import UsageError
    from ivr_text.spark import session

    assert session.parse_conf(["a.b=1", "c = x=y"]) == {"a.b": "1", "c": "x=y"}
    with pytest.raises(UsageError, match="key=value"):
        session.parse_conf(["nonsense"])
    monkeypatch.setattr(session, "java_available", lambda: False)
    assert session.spark_available() in (session.INSTALL_JAVA, session.INSTALL_PYSPARK)
    with pytest.raises(InputError, match="openjdk-17|ivr-text\\[spark\\]"):
        session.spark_session("local[1]")


def test_cli_ivr_analyze_engine_spark(spark, tmp_path):
    from typer.testing import CliRunner

    from ivr_text.cli.main import app

    runner = CliRunner()
    path = _generated(tmp_path)
    args = ["ivr", "analyze", str(path), "--menu", str(SAMPLE / "menu.yaml")]
    local = runner.invoke(app, [*args, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "spark"), "--engine", "spark",
                              "--spark-master", "local[2]", "--spark-conf", "spark.sql.shuffle.partitions=3"])
    assert res.exit_code == 0, res.output
    line = [ln for ln in res.output.splitlines() if "read " in ln and "= used" in ln][0]
    assert line.split(":", 1)[1] == [ln for ln in local.output.splitlines() if "= used" in ln][0].split(":", 1)[1]
    names = sorted(p.name for p in (tmp_path / "local").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "spark").iterdir())
    differ = [n for n in names if n != "rejected_ivr_events.csv"
              and not filecmp.cmp(tmp_path / "local" / n, tmp_path / "spark" / n, shallow=False)]
    assert differ == []
    a = pd.read_csv(tmp_path / "local" / "rejected_ivr_events.csv", dtype=str).drop(columns="source_file")
    b = pd.read_csv(tmp_path / "spark" / "rejected_ivr_events.csv", dtype=str).drop(columns="source_file")
    pd.testing.assert_frame_equal(a.sort_values(["source_row", "reason"]).reset_index(drop=True),
                                  b.sort_values(["source_row", "reason"]).reset_index(drop=True))
    bad = runner.invoke(app, [*args, "--out", str(tmp_path / "x"), "--engine", "flink"])
    assert bad.exit_code == 2 and "use local or spark" in bad.output


def test_classify_predict_equal(spark, tmp_path):
    from ivr_text.complaints.model import CauseModel, ModelConfig
    from ivr_text.complaints.taxonomy import load_taxonomy
    from ivr_text.spark.complaints import predict_spark
    from ivr_text.spark.reading import read_spark

    df = pd.read_csv(SAMPLE / "complaints.csv", dtype=str)
    model = CauseModel(load_taxonomy(), ModelConfig(min_df=1)).fit(df["text"].iloc[:400], df["label"].iloc[:400])
    test = df.iloc[400:700].copy()
    test.iloc[5, test.columns.get_loc("text")] = None  # rejected by the schema checks, as locally
    path = tmp_path / "c.csv"
    test.to_csv(path, index=False)
    from ivr_text.io import read_table

    local = read_table(path, "complaints")
    want = model.predict_frame(local.data["text"].tolist(), top_k=2, review_below=0.6)
    table = read_spark(spark, path, "complaints")
    assert table.counts() == (local.read, local.used, len(local.rejected))
    got = predict_spark(table, model, top_k=2, review_below=0.6).toPandas()
    assert list(got["source_row"]) == list(local.data.attrs["source_rows"])
    pd.testing.assert_frame_equal(got[want.columns].reset_index(drop=True), want.reset_index(drop=True),
                                  check_dtype=False)


def test_cli_classify_predict_engine_spark(spark, tmp_path):
    from typer.testing import CliRunner

    from ivr_text.cli.main import app

    runner = CliRunner()
    df = pd.read_csv(SAMPLE / "complaints.csv", dtype=str)
    df.iloc[:400].to_csv(tmp_path / "train.csv", index=False)
    test = df.iloc[400:600].copy()
    test.iloc[3, test.columns.get_loc("text")] = ""
    test.to_csv(tmp_path / "new.csv", index=False)
    model = tmp_path / "m.model"
    assert runner.invoke(app, ["classify", "train", str(tmp_path / "train.csv"), "--model", str(model),
                               "--out", str(tmp_path / "t")]).exit_code == 0
    args = ["classify", "predict", str(tmp_path / "new.csv"), "--model", str(model), "--top-k", "2"]
    local = runner.invoke(app, [*args, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "spark"), "--engine", "spark"])
    assert res.exit_code == 0, res.output
    a = pd.read_csv(tmp_path / "local" / "predictions.csv", dtype=str)
    b = pd.read_parquet(tmp_path / "spark" / "predictions").astype(str)
    b = b.sort_values("source_row", key=lambda s: s.astype(int)).reset_index(drop=True)
    for col in ("source_row", "cause", "runner_up", "family", "top_causes", "text"):
        assert list(a[col]) == list(b[col]), col
    np.testing.assert_allclose(a["confidence"].astype(float), b["confidence"].astype(float), rtol=1e-6)
    ra = pd.read_csv(tmp_path / "local" / "rejected_complaints.csv", dtype=str)
    rb = pd.read_csv(tmp_path / "spark" / "rejected_complaints.csv", dtype=str)
    assert list(ra["source_row"]) == list(rb["source_row"]) and list(ra["reason"]) == list(rb["reason"])
    cold = runner.invoke(app, ["classify", "predict", str(tmp_path / "new.csv"), "--engine", "spark",
                               "--out", str(tmp_path / "c")])
    assert cold.exit_code == 2 and "--model" in cold.output


def test_tokenize_equal(spark, tmp_path):
    from ivr_text.io import read_table
    from ivr_text.spark.complaints import tokenize_spark
    from ivr_text.spark.reading import read_spark, rejected_frame
    from ivr_text.text import Tokenizer
    from ivr_text.text.token_rows import tokenize_rows

    df = pd.read_csv(SAMPLE / "complaints.csv", dtype=str).iloc[:300].copy()
    df.iloc[4, df.columns.get_loc("text")] = "！！！"   # nothing left after normalisation
    df.iloc[9, df.columns.get_loc("text")] = None      # rejected by the schema checks
    path = tmp_path / "c.csv"
    df.to_csv(path, index=False)
    tok = Tokenizer()
    local = read_table(path, "complaints")
    rows = tokenize_rows(tok, local.data["text"].tolist())
    assert sum(rows.empty) == 1
    tokens, rejected = tokenize_spark(read_spark(spark, path, "complaints"), tok)
    got = tokens.toPandas()
    assert list(got["tokens"]) == rows.tokens and list(got["text"]) == [str(t) for t in rows.text]
    assert list(got["text_norm"]) == rows.text_norm
    rej = rejected_frame(rejected.toPandas())
    assert list(rej["source_row"]) == [int(np.asarray(local.data.attrs["source_rows"])[rows.empty.index(True)])]


def test_cli_tokenize_engine_spark(spark, tmp_path):
    from typer.testing import CliRunner

    from ivr_text.cli.main import app

    runner = CliRunner()
    df = pd.read_csv(SAMPLE / "complaints.csv", dtype=str).iloc[:200].copy()
    df.iloc[4, df.columns.get_loc("text")] = "！！！"
    df.iloc[9, df.columns.get_loc("text")] = None
    df.to_csv(tmp_path / "c.csv", index=False)
    local = runner.invoke(app, ["tokenize", str(tmp_path / "c.csv"), "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    res = runner.invoke(app, ["tokenize", str(tmp_path / "c.csv"), "--out", str(tmp_path / "spark"), "--engine", "spark"])
    assert res.exit_code == 0, res.output
    a = pd.read_csv(tmp_path / "local" / "tokens.csv", dtype=str)
    b = pd.read_parquet(tmp_path / "spark" / "tokens").astype(str).replace({"None": np.nan})
    b = b.sort_values("source_row", key=lambda s: s.astype(int)).reset_index(drop=True)
    assert list(a.columns) == [c for c in b.columns if c != "source_row"] or "source_row" in a.columns
    for col in ("text", "text_norm", "tokens", "customer_id", "channel"):
        assert list(a[col]) == list(b[col]), col
    ra = pd.read_csv(tmp_path / "local" / "rejected_tokenize.csv", dtype=str)
    rb = pd.read_csv(tmp_path / "spark" / "rejected_tokenize.csv", dtype=str)
    assert sorted(ra["source_row"]) == sorted(rb["source_row"]) and sorted(ra["reason"]) == sorted(rb["reason"])


@pytest.mark.parametrize("period,by", [("week", "label"), ("month", None), ("day", "channel")])
def test_trend_counts_and_alerts_equal(spark, tmp_path, period, by):
    from ivr_text.complaints.trends import TrendConfig, period_counts, score_counts, to_periods
    from ivr_text.io import read_table
    from ivr_text.spark.complaints import trend_counts_spark
    from ivr_text.spark.reading import read_spark

    df = pd.read_csv(SAMPLE / "complaints.csv", dtype=str)
    df.iloc[7, df.columns.get_loc("ts")] = "not a date"
    path = tmp_path / "c.csv"
    df.to_csv(path, index=False)
    local = read_table(path, "complaints")
    want = period_counts(to_periods(local.data["ts"], period), local.data[by] if by else None)
    got = trend_counts_spark(read_spark(spark, path, "complaints"), period, by)
    pd.testing.assert_frame_equal(got, want)
    cfg = TrendConfig(period=period)
    pd.testing.assert_frame_equal(score_counts(got, cfg), score_counts(want, cfg))


def test_trend_alerts_with_examples_equal(spark, tmp_path):
    from ivr_text.complaints.trends import TrendConfig, alert_examples, period_counts, score_counts, to_periods
    from ivr_text.io import read_table
    from ivr_text.spark.complaints import trend_alerts_spark
    from ivr_text.spark.reading import read_spark

    df = pd.read_csv(SAMPLE / "complaints.csv", dtype=str)
    path = tmp_path / "c.csv"
    df.to_csv(path, index=False)
    local = read_table(path, "complaints")
    cfg = TrendConfig(period="week", alpha=0.3, min_count=1, min_ratio=1.0)  # loose: several alerted cells
    periods = to_periods(local.data["ts"], "week")
    groups = local.data["label"].tolist()
    scored = score_counts(period_counts(periods, groups), cfg)
    want = alert_examples(scored, periods, groups, local.data["text"].tolist(), cfg)
    assert len(want) >= 5
    got_scored, got = trend_alerts_spark(read_spark(spark, path, "complaints"), cfg, "label")
    pd.testing.assert_frame_equal(got_scored, scored)
    pd.testing.assert_frame_equal(got, want)


def test_cli_trends_engine_spark(spark, tmp_path):
    from typer.testing import CliRunner

    from ivr_text.cli.main import app

    runner = CliRunner()
    df = pd.read_csv(SAMPLE / "complaints.csv", dtype=str)
    df.iloc[5, df.columns.get_loc("ts")] = "garbage"
    df.to_csv(tmp_path / "c.csv", index=False)
    args = ["trends", str(tmp_path / "c.csv"), "--by", "label", "--period", "month", "--no-terms", "--alpha", "0.3"]
    local = runner.invoke(app, [*args, "--out", str(tmp_path / "local")])
    assert local.exit_code == 0, local.output
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "spark"), "--engine", "spark"])
    assert res.exit_code == 0, res.output
    for name in ("counts.csv", "alerts.csv"):
        assert filecmp.cmp(tmp_path / "local" / name, tmp_path / "spark" / name, shallow=False), name
    ra = pd.read_csv(tmp_path / "local" / "rejected_complaints.csv", dtype=str)
    rb = pd.read_csv(tmp_path / "spark" / "rejected_complaints.csv", dtype=str)
    assert list(ra["source_row"]) == list(rb["source_row"]) and list(ra["reason"]) == list(rb["reason"])
    import json

    ja = json.loads((tmp_path / "local" / "trends.json").read_text(encoding="utf-8"))
    jb = json.loads((tmp_path / "spark" / "trends.json").read_text(encoding="utf-8"))
    assert {k: ja[k] for k in ("rows_used", "rows_rejected", "params", "alerts")} == \
        {k: jb[k] for k in ("rows_used", "rows_rejected", "params", "alerts")}
    bad = runner.invoke(app, ["trends", str(tmp_path / "c.csv"), "--engine", "spark", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "--no-terms" in bad.output
