"""Column aliases: headers such as 工单内容 / Call ID / 月份 are recognised without --map, and reported."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.io import SCHEMAS, column_aliases, guess_columns, read_table


def test_every_alias_names_one_canonical_column_of_some_kind():
    canonical = {c for s in SCHEMAS.values() for c in s.columns}
    assert set(column_aliases().values()) <= canonical


def test_guess_needs_exactly_one_match_and_never_overrides():
    assert guess_columns(["工单内容", "id"], ["text", "id"], {}) == {"text": "工单内容"}
    assert guess_columns(["Call ID", "TS"], ["call_id", "ts"], {}) == {"call_id": "Call ID", "ts": "TS"}
    # two candidates for text: ambiguous, nothing guessed
    assert guess_columns(["内容", "描述"], ["text"], {}) == {}
    # an explicit mapping wins; the mapped header is not reused
    assert guess_columns(["内容", "备注"], ["text"], {"text": "备注"}) == {}
    # a header that is itself a wanted canonical column is not taken as another column's alias
    assert guess_columns(["text", "label"], ["text", "label", "churned"], {}) == {}


def test_read_table_uses_aliases(tmp_path):
    p = tmp_path / "orders.csv"
    pd.DataFrame({"工单编号": ["A1", "A2"], "投诉内容": ["信号差", "乱扣费"], "受理时间": ["2024-03-01", "2024/3/2"],
                  "投诉类别": ["网络问题", "费用问题"]}).to_csv(p, index=False)
    t = read_table(p, "complaints")
    assert list(t.data.columns) == ["text", "id", "label", "ts"]
    assert t.guessed == {"text": "投诉内容", "id": "工单编号", "label": "投诉类别", "ts": "受理时间"}
    assert t.data["ts"].notna().all()


def test_usage_period_and_customer_by_alias(tmp_path):
    p = tmp_path / "usage.csv"
    pd.DataFrame({"用户编号": ["001", "002"], "月份": ["2024年1月", "202402"], "通话时长": [10, 20]}).to_csv(p, index=False)
    t = read_table(p, "usage")
    assert t.data["customer_id"].tolist() == ["001", "002"]
    assert t.data["period"].tolist() == ["2024-01", "2024-02"]
    assert "通话时长" in t.data.columns


def test_cli_prints_the_guess(tmp_path):
    p = tmp_path / "c.csv"
    pd.DataFrame({"工单内容": ["客户反映手机信号差，无法通话", "客户反映被乱扣费"]}).to_csv(p, index=False)
    res = CliRunner().invoke(app, ["classify", "predict", str(p), "--out", str(tmp_path / "p.csv")])
    assert res.exit_code == 0, res.output
    assert "using column '工单内容' as text" in res.output


@pytest.mark.parametrize("header", ["内容,描述", "备注"])
def test_missing_text_still_a_clear_error(tmp_path, header):
    p = tmp_path / "c.csv"
    p.write_text(header + "\n" + ",".join("x" for _ in header.split(",")) + "\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["classify", "predict", str(p), "--out", str(tmp_path / "p.csv")])
    assert res.exit_code == 1
    assert "--map text=" in res.output


@pytest.mark.parametrize("values, expected", [
    (["20240301", "20240302"], ["2024-03-01 00:00:00", "2024-03-02 00:00:00"]),
    (["20240301083015", "20240301090000"], ["2024-03-01 08:30:15", "2024-03-01 09:00:00"]),
    (["1709280000", "1709280060"], ["2024-03-01 08:00:00", "2024-03-01 08:01:00"]),
    (["1709280000000", "1709280000500"], ["2024-03-01 08:00:00", "2024-03-01 08:00:00.500000"]),
])
def test_all_digit_timestamps(tmp_path, values, expected):
    p = tmp_path / "f.csv"
    p.write_text("customer_id,ts\n" + "".join(f"U{i},{v}\n" for i, v in enumerate(values)), encoding="utf-8")
    t = read_table(p, "feedback")
    assert [str(v) for v in t.data["ts"]] == expected and t.rejected.empty


def test_digit_timestamps_out_of_range_or_mixed_are_rejected(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("customer_id,ts\nU1,12345678\nU2,20241399\n", encoding="utf-8")
    t = read_table(p, "feedback")
    assert t.used == 0 and len(t.rejected) == 2
    p.write_text("customer_id,ts\nU1,42\nU2,2024-03-01\n", encoding="utf-8")
    t = read_table(p, "feedback")
    assert t.used == 1 and t.rejected["source_row"].tolist() == [2]


def test_numbers_with_separators_currency_and_units(tmp_path):
    p = tmp_path / "u.csv"
    p.write_text('customer_id,period,bill,minutes\nU1,2024-01,"1,234.5",¥59\nU2,2024-01,59元,12%\nU3,2024-01,abc,7\n',
                 encoding="utf-8")
    t = read_table(p, "usage")
    assert t.data["bill"].tolist() == [1234.5, 59.0]
    assert t.data["minutes"].tolist() == [59.0, 12.0]
    assert t.rejected["source_row"].tolist() == [4] and "bill" in t.rejected["reason"].iloc[0]


def test_ivr_cli_reports_guessed_columns(tmp_path):
    p = tmp_path / "ev.csv"
    p.write_text("通话ID,时间,节点,事件\nc1,2024-01-01 10:00:00,root,enter\nc1,2024-01-01 10:00:05,root,hangup\n",
                 encoding="utf-8")
    res = CliRunner().invoke(app, ["ivr", "analyze", str(p), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "using column '通话ID' as call_id" in res.output and "using column '事件' as event" in res.output


def test_offsets_in_non_iso_times_and_undecodable_header(tmp_path):
    p = tmp_path / "f.csv"
    p.write_text("customer_id,ts\nU1,2024/01/01 13:01:51-01:00\nU2,2024/01/02 08:00\nU3,2024-01-03T09:00:00+08:00\n",
                 encoding="utf-8")
    t = read_table(p, "feedback")
    assert t.rejected.empty and t.data["ts"].notna().all()
    p.write_bytes(b"customer_id,t\xff\xfes\nU1,2024-01-01\n")
    with pytest.raises(Exception, match="header column 2 has bytes that are not utf-8 text"):
        read_table(p, "feedback", encoding="utf-8")


@pytest.mark.parametrize("body, used, rejected_rows", [
    ("U1,2024-01-01,extra\nU2,2024-01-02\n", [["U2", "2024-01-02"]], [2]),  # long first row: not an index
    ("U2,2024-01-02\nU1,2024-01-01,extra\n", [["U2", "2024-01-02"]], [3]),
    ("U1,2024-01-01,\nU2,2024-01-02,\n", [["U1", "2024-01-01"], ["U2", "2024-01-02"]], []),  # trailing commas
])
def test_rows_with_extra_fields(tmp_path, body, used, rejected_rows):
    p = tmp_path / "f.csv"
    p.write_text("customer_id,ts\n" + body, encoding="utf-8")
    t = read_table(p, "feedback")
    assert [[a, str(b.date())] for a, b in t.data.values.tolist()] == used
    assert t.rejected["source_row"].tolist() == rejected_rows


def test_malformed_row_with_bad_bytes_is_quiet(tmp_path, capfd):
    p = tmp_path / "f.csv"
    p.write_bytes("customer_id,ts\nU1,2024-01-01\n".encode() + b"U2,2024-01-02,\xe5\x01x,y\n" + b"U3,2024-01-03\n" * 50)
    t = read_table(p, "feedback", encoding="utf-8")
    assert t.used == 51 and len(t.rejected) == 1
    assert "Exception ignored" not in capfd.readouterr().err
