"""The Arrow CSV path gives the same Table as the pandas path (which it falls back to for hard cases)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ivr_text.io as io
import ivr_text.io.csv_chunks as csv_chunks
from ivr_text.io import iter_table, read_table

HEADER = "call_id,ts,node,event,key"
cell = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10),
    st.sampled_from(["2024-01-01 10:00:00", "20240101100000", "root", " enter ", "", " ", '"', '""', '"a,b"',
                     '"x""y"', ",", "\n", "\r\n", '"多\n行"', "话费查询", "\u3000", "c001", "0012"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10).map(
        lambda v: '"' + v.replace('"', '""') + '"'),  # properly quoted: commas, quotes, line breaks inside
)
# mostly well-formed rows (five fields), some with too few or too many
row = st.one_of(st.lists(cell, min_size=5, max_size=5), st.lists(cell, min_size=5, max_size=5),
                st.lists(cell, min_size=0, max_size=7)).map(lambda cells: ",".join(cells))


def _values(df: pd.DataFrame) -> dict:
    out = {}
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.ArrowDtype) or str(s.dtype) in ("string", "str", "object"):
            s = s.astype(object)
        out[c] = [None if (v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)))
                  else str(v) for v in s.tolist()]
    return out


def _read(path: Path, arrow: bool, **kwargs) -> io.Table | str:
    """The Table, or the error message when the file cannot be read."""
    saved = csv_chunks._ARROW_ENCODINGS
    if not arrow:
        csv_chunks._ARROW_ENCODINGS = set()  # the pandas-only path
    try:
        return read_table(path, "ivr_events", **kwargs)
    except io.InputError as exc:
        return str(exc)
    finally:
        csv_chunks._ARROW_ENCODINGS = saved


def _both(path: Path, **kwargs) -> tuple[io.Table | str, io.Table | str]:
    return _read(path, True, **kwargs), _read(path, False, **kwargs)


def _same(a: io.Table | str, b: io.Table | str) -> None:
    if isinstance(a, str) or isinstance(b, str):
        assert a == b
        return
    assert (a.read, a.used, len(a.rejected)) == (b.read, b.used, len(b.rejected))
    assert list(a.data.columns) == list(b.data.columns)
    assert _values(a.data) == _values(b.data)
    assert list(a.data.attrs.get("source_rows", [])) == list(b.data.attrs.get("source_rows", []))
    assert _values(a.rejected) == _values(b.rejected)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, max_size=10), st.sampled_from(["utf-8", "utf-8-sig", "gbk"]),
       st.sampled_from([2, 3, 500_000]), st.booleans())
def test_arrow_path_matches_pandas_path(rows, encoding, chunksize, final_newline):
    text = "\n".join([HEADER, *rows]) + ("\n" if final_newline else "")
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "e.csv"
        path.write_bytes(text.encode(encoding, errors="replace"))
        fast, slow = _both(path, chunksize=chunksize)
        _same(fast, slow)


def _events(n: int, start: int = 0) -> list[str]:
    return [f"c{i // 3:04d},2024-01-01 10:00:{i % 60:02d},n{i % 4},enter,{i % 10}" for i in range(start, start + n)]


@pytest.mark.parametrize("bad", ["c9,2024-01-01 10:00:00,root,enter,1,EXTRA", "c9,2024-01-01 10:00:00",
                                 '"unterminated,2024-01-01 10:00:00,root,enter,1'])
@pytest.mark.parametrize("at", [0, 7, 25])
def test_malformed_row_late_in_file_falls_back_without_losing_rows(tmp_path, bad, at):
    lines = _events(30)
    lines.insert(at, bad)
    path = tmp_path / "e.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    fast, slow = _both(path, chunksize=4)
    _same(fast, slow)
    assert isinstance(fast, str) if bad.startswith('"unterminated') else fast.read == 31


def test_gbk_cell_in_a_late_chunk_is_repaired(tmp_path):
    lines = _events(20)
    raw = ("\n".join([HEADER, *lines]) + "\n").encode("utf-8")
    raw += "c999,2024-01-01 10:00:00,话费查询,enter,1\n".encode("gbk")
    path = tmp_path / "e.csv"
    path.write_bytes(raw)
    fast, slow = _both(path, chunksize=6)
    _same(fast, slow)
    assert fast.used == 21 and "话费查询" in fast.data["node"].astype(str).tolist()


def test_dictionary_columns_are_stripped_and_checked(tmp_path):
    path = tmp_path / "e.csv"
    path.write_text(HEADER + "\n c1 ,2024-01-01 10:00:00, root ,enter,\n,2024-01-01 10:00:01,root,enter,1\n"
                    "c1,2024-01-01 10:00:02,\u3000,enter,1\n", encoding="utf-8")
    parts = list(iter_table(path, "ivr_events", dictionary=["call_id", "node", "key"]))
    t = io.concat_tables(parts)
    assert isinstance(t.data["node"].dtype, pd.ArrowDtype)
    assert t.data["call_id"].astype(str).tolist() == ["c1"] and t.data["node"].astype(str).tolist() == ["root"]
    assert t.data["key"].isna().tolist() == [True]
    assert t.rejected["source_row"].tolist() == [3, 4]
    assert t.rejected["reason"].str.contains("missing value in required column").all()


def test_parquet_dictionary_columns_match_plain_read(tmp_path):
    df = pd.DataFrame({"call_id": ["c1", " c1", "", None, "c2"], "ts": pd.date_range("2024-01-01", periods=5,
                       freq="s"), "node": ["root", "root ", "bill", "x", "\u3000"], "event": ["enter"] * 5})
    path = tmp_path / "e.parquet"
    df.to_parquet(path, index=False)
    coded = read_table(path, "ivr_events", dictionary=["call_id", "node", "event"])
    plain = read_table(path, "ivr_events")
    assert isinstance(coded.data["call_id"].dtype, pd.ArrowDtype)
    _same(coded, plain)
    assert coded.rejected["source_row"].tolist() == [3, 4, 5]


def test_tsv_with_mapping_and_bom_matches_pandas_path(tmp_path):
    lines = ["CALLID\tEVENT_TIME\tNODE\tevent\tkey\textra", *[l.replace(",", "\t") + "\tz" for l in _events(9)],
             "c9\t\troot\tenter\t1\tz", "c9\tnot a time\troot\tenter\t1\tz"]
    path = tmp_path / "e.tsv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8-sig"))
    fast, slow = _both(path, mapping=["call_id=CALLID", "ts=EVENT_TIME", "node=NODE"], chunksize=4)
    _same(fast, slow)
    assert (fast.read, fast.used) == (11, 9)
    assert fast.rejected["source_row"].tolist() == [11, 12]
