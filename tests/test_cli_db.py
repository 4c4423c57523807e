"""--db URL --sql "SELECT …" on tokenize, classify predict and trends: the same outputs as from the file.

SQLite always runs; PostgreSQL runs when ``IVR_TEXT_TEST_PG_URL`` names a server (``.ci/postgres.sh start``)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app

sqlalchemy = pytest.importorskip("sqlalchemy")
ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def _complaints(n=300) -> pd.DataFrame:
    df = pd.read_csv(ROOT / "sample_logs" / "complaints.csv", dtype=str, nrows=n)
    df.loc[3, "text"] = None          # rejected: missing text
    df.loc[7, "ts"] = "not a date"    # rejected by trends (date column)
    return df


def _csv_and_db(tmp_path, url):
    df = _complaints()
    csv = tmp_path / "complaints.csv"
    df.to_csv(csv, index=False)
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        df.to_sql("work_orders", conn, if_exists="replace", index=False)
    engine.dispose()
    return csv


def _run(*args):
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def _same_dirs(a: Path, b: Path):
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    for n in names:
        if n.endswith(".parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(a / n), pd.read_parquet(b / n))
            continue
        x = pd.read_csv(a / n, dtype=str) if n.endswith(".csv") else (a / n).read_text(encoding="utf-8")
        y = pd.read_csv(b / n, dtype=str) if n.endswith(".csv") else (b / n).read_text(encoding="utf-8")
        if n.endswith(".csv"):
            x, y = (d.drop(columns=[c for c in ("source_file", "source_row") if c in d]) for d in (x, y))
            pd.testing.assert_frame_equal(x, y)
        elif n.endswith(".json"):
            import json

            xa, ya = json.loads(x), json.loads(y)
            for d in (xa, ya):
                d.pop("source", None), d.pop("input", None)
            assert xa == ya


def _check(tmp_path, url):
    csv = _csv_and_db(tmp_path, url)
    q = "SELECT id, customer_id, ts, channel, text, label FROM work_orders"
    for cmd, extra in ((["tokenize"], []), (["classify", "predict"], ["--rules-only"]),
                       (["trends"], ["--by", "", "--no-terms", "--period", "month"])):
        a, b = tmp_path / f"{cmd[-1]}_file", tmp_path / f"{cmd[-1]}_db"
        out_a = _run(*cmd, csv, "--out", a, *extra)
        out_b = _run(*cmd, "--db", url, "--sql", q, "--out", b, *extra)
        line = lambda o: [ln.rsplit(": read", 1)[-1] for ln in o.output.splitlines() if "= used" in ln]  # noqa: E731
        assert line(out_a) == line(out_b) and line(out_a)
        _same_dirs(a, b)


def test_sqlite_sources_equal_files(tmp_path):
    _check(tmp_path, f"sqlite:///{tmp_path / 'orders.db'}")


def test_postgres_sources_equal_files(tmp_path):
    url = os.environ.get("IVR_TEXT_TEST_PG_URL")
    if not url:
        pytest.skip("no PostgreSQL server (set IVR_TEXT_TEST_PG_URL, e.g. via .ci/postgres.sh start)")
    pytest.importorskip("psycopg")
    _check(tmp_path, url)


def test_database_errors_name_url_and_query_not_password(tmp_path):
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    _csv_and_db(tmp_path, url)
    res = runner.invoke(app, ["tokenize", "--db", url, "--sql", "SELECT nope FROM work_orders", "--out", str(tmp_path / "x")])
    assert res.exit_code == 1
    assert "SELECT nope FROM work_orders" in res.output and "orders.db" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["classify", "predict", "--db", "postgresql+psycopg://ana:s3cret@127.0.0.1:1/x",
                              "--sql", "SELECT 1", "--out", str(tmp_path / "y"), "--rules-only"])
    assert res.exit_code == 1 and "s3cret" not in res.output and "***" in res.output
    res = runner.invoke(app, ["trends", "--db", url, "--out", str(tmp_path / "z")])
    assert res.exit_code == 2 and "--sql" in res.output
    res = runner.invoke(app, ["tokenize", "f.csv", "--db", url, "--sql", "SELECT 1", "--out", str(tmp_path / "w")])
    assert res.exit_code == 2 and "not both" in res.output


def _churn_db(tmp_path, url):
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        for name in ("usage", "feedback", "churn_labels"):
            pd.read_csv(ROOT / "sample_logs" / f"{name}.csv", dtype=str).to_sql(name, conn, if_exists="replace",
                                                                                index=False)
    engine.dispose()


@pytest.mark.parametrize("cmd", ["signal", "features", "evaluate"])
def test_churn_from_sqlite_equals_files(tmp_path, cmd):
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    _churn_db(tmp_path, url)
    usage_cols = pd.read_csv(ROOT / "sample_logs" / "usage.csv", nrows=0).columns
    extra = ["--labels", ROOT / "sample_logs" / "churn_labels.csv"] if cmd == "evaluate" else []
    a, b = tmp_path / "file", tmp_path / "db"
    _run("churn", cmd, "--feedback", ROOT / "sample_logs" / "feedback.csv", "--usage", ROOT / "sample_logs" / "usage.csv",
         "--out", a, *extra)
    _run("churn", cmd, "--db", url, "--usage-sql", f"SELECT {', '.join(usage_cols)} FROM usage",
         "--feedback-sql", "SELECT * FROM feedback", "--out", b, *extra)
    _same_dirs(a, b)


def test_churn_db_usage_errors(tmp_path):
    res = runner.invoke(app, ["churn", "signal", "--usage-sql", "SELECT 1", "--feedback", "f.csv"])
    assert res.exit_code == 2 and "--db" in res.output
    res = runner.invoke(app, ["churn", "signal", "--db", "sqlite:///x.db", "--feedback", "f.csv"])
    assert res.exit_code == 2 and "--usage-sql" in res.output


def test_classify_evaluate_from_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    csv = _csv_and_db(tmp_path, url)
    model = tmp_path / "m.model"
    _run("classify", "train", csv, "--model", model, "--out", tmp_path / "t")
    a = _run("classify", "evaluate", csv, "--model", model, "--json").output
    b = _run("classify", "evaluate", "--db", url, "--sql", "SELECT text, label FROM work_orders", "--model", model,
             "--json").output
    import json

    ja, jb = json.loads(a[a.index("{"):]), json.loads(b[b.index("{"):])
    assert ja == jb and ja["accuracy"] > 0
