"""Table I/O: formats, encodings, mapping, schema checks and row accounting."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from ivr_text.errors import InputError
from ivr_text.io import detect_encoding, first_problem, parse_mapping, read_table, write_rejected, write_table

EVENTS = "call_id,ts,node,event\nc1,2024-01-01 10:00:00,root,enter\nc1,2024-01-01 10:00:05,root,hangup\n"


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_reads_csv_with_types(tmp_path):
    t = read_table(_write(tmp_path, "e.csv", EVENTS), "ivr_events")
    assert (t.read, t.used, len(t.rejected)) == (2, 2, 0)
    assert str(t.data["ts"].dtype).startswith("datetime64")
    assert t.data["ts"].iloc[1] - t.data["ts"].iloc[0] == pd.Timedelta(seconds=5)


@pytest.mark.parametrize("encoding,expected", [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"),
                                               ("gbk", "gb18030"), ("gb18030", "gb18030")])
def test_encodings_detected(tmp_path, encoding, expected):
    text = "customer_id,text\n1,客户反映话费扣费异常，要求退费\n2,宽带经常掉线\n"
    path = _write(tmp_path, "c.csv", text, encoding)
    assert detect_encoding(path) == expected
    t = read_table(path, "complaints")
    assert t.data["text"].tolist() == ["客户反映话费扣费异常，要求退费", "宽带经常掉线"]


def test_mixed_encoding_cells_are_repaired(tmp_path):
    good = "customer_id,text\n" + "".join(f"{i},用户反映流量扣费问题{i}\n" for i in range(50))
    raw = good.encode("utf-8") + "99,宽带报障无人处理\n".encode("gbk")
    path = tmp_path / "mixed.csv"
    path.write_bytes(raw)
    t = read_table(path, "complaints")
    assert t.used == 51 and t.data["text"].iloc[-1] == "宽带报障无人处理"


def test_mapping_and_missing_column_message(tmp_path):
    path = _write(tmp_path, "e.csv", EVENTS.replace("call_id", "REF").replace("ts,", "EVENT_TIME,"))
    t = read_table(path, "ivr_events", mapping=["call_id=REF", "ts=EVENT_TIME"])
    assert t.used == 2 and "call_id" in t.data and t.guessed == {}
    with pytest.raises(InputError, match=r"e\.csv: missing required column 'call_id'.*--map call_id="):
        read_table(path, "ivr_events")
    with pytest.raises(InputError, match="CANONICAL=SOURCE"):
        parse_mapping(["call_id"])


def test_unparseable_values_rejected_with_file_column_row(tmp_path):
    text = EVENTS + "c2,not a time,root,enter\nc3,,root,enter\n"
    t = read_table(_write(tmp_path, "e.csv", text), "ivr_events")
    assert (t.read, t.used, len(t.rejected)) == (4, 2, 2)
    assert t.rejected["source_row"].tolist() == [4, 5]
    assert "column 'ts': unparseable datetime 'not a time'" in t.rejected["reason"].iloc[0]
    assert first_problem(t).startswith(f"{tmp_path / 'e.csv'}: line 4: column 'ts'")


def test_malformed_rows_counted(tmp_path):
    text = EVENTS + "c2,2024-01-01 10:00:09,root,enter,EXTRA\nc2,2024-01-01 10:00:10,root,hangup\n"
    t = read_table(_write(tmp_path, "e.csv", text), "ivr_events")
    assert t.read == t.used + len(t.rejected) == 4
    bad = t.rejected[t.rejected["reason"].str.startswith("malformed")]
    assert bad["source_row"].tolist() == [4]


@pytest.mark.parametrize("content,message", [("", "empty file"), ("call_id,call_id,ts,node,event\n", "duplicate column")])
def test_empty_and_duplicate_headers(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        read_table(_write(tmp_path, "e.csv", content), "ivr_events")


def test_header_only_gives_zero_rows(tmp_path):
    t = read_table(_write(tmp_path, "e.csv", "call_id,ts,node,event\n"), "ivr_events")
    assert (t.read, t.used) == (0, 0)


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl", ".json", ".tsv", ".csv"])
def test_round_trip_formats(tmp_path, suffix):
    df = pd.DataFrame({"customer_id": ["a", "b"], "period": ["2024-01", "202402"], "bill": [58.0, 61.5]})
    path = write_table(df, tmp_path / f"u{suffix}")
    t = read_table(path, "usage")
    assert t.data["period"].tolist() == ["2024-01", "2024-02"]
    assert t.data["bill"].tolist() == [58.0, 61.5]


def test_jsonl_bad_line_rejected(tmp_path):
    path = _write(tmp_path, "f.jsonl", json.dumps({"customer_id": "1", "ts": "2024-01-02"}) + "\n{oops\n")
    t = read_table(path, "feedback")
    assert (t.read, t.used) == (2, 1) and t.rejected["source_row"].tolist() == [2]


def test_usage_keeps_numeric_measures_and_labels_bool(tmp_path):
    usage = _write(tmp_path, "u.csv", "customer_id,period,brand,minutes\n1,2024年3月,全球通,120\n")
    t = read_table(usage, "usage")
    assert list(t.data.columns) == ["customer_id", "period", "minutes"] and t.data["period"][0] == "2024-03"
    labels = _write(tmp_path, "l.csv", "customer_id,churned\n1,是\n2,0\n3,maybe\n")
    t = read_table(labels, "labels")
    assert t.data["churned"].tolist() == [True, False] and "unparseable bool" in t.rejected["reason"][0]


def test_chunks_keep_line_numbers(tmp_path):
    rows = "".join(f"c{i},2024-01-01 10:00:{i % 60:02d},root,enter\n" for i in range(10))
    path = _write(tmp_path, "e.csv", "call_id,ts,node,event\n" + rows + "cx,bad,root,enter\n")
    from ivr_text.io import iter_table

    parts = list(iter_table(path, "ivr_events", chunksize=4))
    assert sum(p.read for p in parts) == 11
    assert parts[-1].rejected["source_row"].tolist() == [12]


def test_write_rejected_always_writes(tmp_path):
    t = read_table(_write(tmp_path, "e.csv", EVENTS), "ivr_events")
    out = write_rejected(t, tmp_path / "out", "ivr_events")
    assert pd.read_csv(out).columns.tolist()[:3] == ["source_file", "source_row", "reason"]


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_table(tmp_path / "nope.csv", "ivr_events")
    with pytest.raises(InputError, match="--format"):
        read_table(_write(tmp_path, "e.xyz", EVENTS), "ivr_events")
    t = read_table(_write(tmp_path, "e.xyz", EVENTS), "ivr_events", fmt="csv")
    assert t.used == 2


def test_multi_chunk_read_and_reject_keep_source_rows(tmp_path):
    rows = "".join(f"c{i},2024-01-01 10:00:{i % 60:02d},root,enter\n" for i in range(10))
    path = _write(tmp_path, "e.csv", "call_id,ts,node,event\n" + rows)
    t = read_table(path, "ivr_events", chunksize=3)
    assert t.used == 10 and list(t.data.attrs["source_rows"]) == list(range(2, 12))
    assert t.reject(t.data["call_id"].isin(["c0", "c5"]), "test reason") == 2
    assert t.rejected["source_row"].tolist() == [2, 7] and t.used == 8
    assert t.read == t.used + len(t.rejected)
    assert list(t.data.attrs["source_rows"]) == [3, 4, 5, 6, 8, 9, 10, 11]
