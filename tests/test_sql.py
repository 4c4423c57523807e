"""SQL sources: a query's rows go through the same checks and row accounting as a file; passwords never show.

SQLite always runs; PostgreSQL runs when ``IVR_TEXT_TEST_PG_URL`` names a server (``.ci/postgres.sh start``).
"""

from __future__ import annotations

import os
import uuid

import numpy as np
import pandas as pd
import pytest

sqlalchemy = pytest.importorskip("sqlalchemy")

from ivr_text.errors import InputError  # noqa: E402
from ivr_text.io import read_table  # noqa: E402
from ivr_text.sql import iter_sql, read_sql, resolve_url, safe_url  # noqa: E402

ORDERS = pd.DataFrame({
    "order_id": ["A1", "A2", "A3", "A4", "A5"],
    "body": ["话费没有到账", None, "信号很差 经常断线", "  ", "宽带无法上网"],
    "created": ["2024-01-02 03:04:05", "2024-01-03 10:00:00", "not a time", "2024-01-05 08:00:00",
                "2024-01-06 09:30:00"],
    "customer": ["U1", "U2", "U3", "U4", "U5"],
})
QUERY = "SELECT order_id AS id, body AS text, created AS ts, customer AS customer_id FROM orders ORDER BY order_id"


def _load(url: str, table: str = "orders") -> None:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        ORDERS.to_sql(table, conn, if_exists="replace", index=False)
    engine.dispose()


@pytest.fixture()
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'orders.db'}"
    _load(url)
    return url


def _pg_url():
    url = os.environ.get("IVR_TEXT_TEST_PG_URL")
    if not url:
        pytest.skip("no PostgreSQL server (set IVR_TEXT_TEST_PG_URL, e.g. via .ci/postgres.sh start)")
    pytest.importorskip("psycopg")
    return url


def test_query_rows_are_checked_like_a_file(sqlite_url, tmp_path):
    csv = tmp_path / "orders.csv"
    ORDERS.rename(columns={"order_id": "id", "body": "text", "created": "ts", "customer": "customer_id"}).to_csv(
        csv, index=False)
    from_file = read_table(csv, "complaints")
    from_db = read_sql(sqlite_url, QUERY, "complaints", chunksize=2)
    assert from_db.read == 5 == from_db.used + len(from_db.rejected)
    assert from_db.used == from_file.used == 2
    pd.testing.assert_frame_equal(from_db.data.reset_index(drop=True), from_file.data[from_db.data.columns])
    # source_row: the row's number in the result (1-based); a file counts its header as line 1
    assert list(from_db.rejected["source_row"]) == [2, 3, 4]
    assert list(from_file.rejected["source_row"]) == [3, 4, 5]
    assert list(from_db.rejected["reason"]) == list(from_file.rejected["reason"])


def test_chunks_cover_every_row_once(sqlite_url):
    parts = list(iter_sql(sqlite_url, QUERY, "complaints", chunksize=2))
    assert [p.read for p in parts] == [2, 2, 1]
    rows = np.concatenate([p.data.attrs["source_rows"] for p in parts] + [p.rejected["source_row"] for p in parts])
    assert sorted(rows) == [1, 2, 3, 4, 5]


def test_mapping_and_missing_columns(sqlite_url):
    t = read_sql(sqlite_url, "SELECT order_id, body, created FROM orders", "complaints",
                 mapping=["text=body", "ts=created"])
    assert t.used == 2 and "text" in t.data
    with pytest.raises(InputError, match="missing required column 'text'"):
        read_sql(sqlite_url, "SELECT order_id FROM orders", "complaints")


def test_empty_result_is_a_table(sqlite_url):
    t = read_sql(sqlite_url, "SELECT body AS text FROM orders WHERE 1 = 0", "complaints")
    assert (t.read, t.used, len(t.rejected)) == (0, 0, 0)


@pytest.mark.parametrize("query, message", [
    ("SELECT * FROM no_such_table", "no such table"),
    ("SELEC nonsense", "syntax error"),
    ("", "needs a query"),
])
def test_database_errors_name_url_and_query(sqlite_url, query, message):
    with pytest.raises(InputError) as err:
        read_sql(sqlite_url, query, "complaints")
    text = str(err.value)
    assert message in text and "\n" not in text
    assert text.startswith("sqlite:///")


def test_password_never_shown():
    url = "postgresql+psycopg://analyst:s3cr3t-pw@127.0.0.1:1/orders"
    assert safe_url(url) == "postgresql+psycopg://analyst:***@127.0.0.1:1/orders"
    with pytest.raises(InputError) as err:
        read_sql(url, "SELECT 1 AS text", "complaints")
    assert "s3cr3t-pw" not in str(err.value) and "analyst:***@" in str(err.value)


def test_url_from_environment_or_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERS_DB", "sqlite:///x.db")
    assert resolve_url("env:ORDERS_DB") == "sqlite:///x.db"
    monkeypatch.setenv("IVR_TEXT_DB_URL", "sqlite:///y.db")
    assert resolve_url(None) == "sqlite:///y.db"
    f = tmp_path / "db.url"
    f.write_text("# orders mart\nsqlite:///z.db\n", encoding="utf-8")
    assert resolve_url(f"@{f}") == "sqlite:///z.db"
    monkeypatch.delenv("ORDERS_DB")
    with pytest.raises(InputError, match="ORDERS_DB is not set"):
        resolve_url("env:ORDERS_DB")
    with pytest.raises(InputError, match="cannot read the URL file"):
        resolve_url(f"@{tmp_path / 'missing.url'}")


def test_unknown_dialect_and_driver():
    with pytest.raises(InputError, match="no SQLAlchemy dialect"):
        read_sql("nosuchdb://u:pw@h/db", "SELECT 1", "complaints")


def test_postgresql_typed_columns():
    url = _pg_url()
    name = f"orders_{uuid.uuid4().hex[:8]}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {name} (customer_id text, period text, minutes numeric(10,2), "
                             f"fee double precision, joined date, ts timestamp)")
        conn.exec_driver_sql(f"INSERT INTO {name} VALUES ('U1', '2024-01', 120.50, 59, '2023-05-01', "
                             f"'2024-01-31 10:00'), ('U1', '2024-02', NULL, 61.5, '2023-05-01', NULL), "
                             f"('U2', 'bad', 3, 1, NULL, NULL)")
    try:
        t = read_sql(url, f"SELECT customer_id, period, minutes, fee FROM {name} ORDER BY customer_id, period",
                     "usage")
        assert t.read == 3 == t.used + len(t.rejected)
        assert list(t.data["period"]) == ["2024-01", "2024-02"]
        assert t.data["minutes"].iloc[0] == pytest.approx(120.5) and np.isnan(t.data["minutes"].iloc[1])
        assert [r.split(' (expected')[0] for r in t.rejected["reason"]] == ["column 'period': unparseable period 'bad'"]
        fb = read_sql(url, f"SELECT customer_id, ts FROM {name} WHERE ts IS NOT NULL", "feedback")
        assert fb.data["ts"].iloc[0] == pd.Timestamp("2024-01-31 10:00")
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {name}")
        engine.dispose()


def test_postgresql_streams_in_chunks():
    url = _pg_url()
    parts = list(iter_sql(url, "SELECT 'U' || g AS customer_id, now() AS ts FROM generate_series(1, 2500) g",
                          "feedback", chunksize=1000))
    assert [p.read for p in parts] == [1000, 1000, 500]
    assert all(p.rejected.empty for p in parts)
