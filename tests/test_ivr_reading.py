"""IVR fast paths: Parquet read as dictionary codes, chunked reading, column dtypes, call ordering, exact variants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr_text.errors import InputError
from ivr_text.ivr import analyze_events, load_config
from ivr_text.ivr import paths as paths_mod
from ivr_text.ivr.calllog import build_call_log
from ivr_text.ivr.reading import CODE_COLUMNS, read_chunked, read_parquet_events


def _log(n_calls: int = 300, seed: int = 0) -> pd.DataFrame:
    """A small interleaved log with repeats, ties, stray rows after the end and anonymous callers."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_calls):
        t = int(rng.integers(0, 5000))
        seg, caller = ["A", "B", "C"][i % 3], f"u{rng.integers(0, 40)}" if i % 7 else "anonymous"
        path = ["root"] + list(rng.choice(["bill", "data", "pack", "agent"], size=int(rng.integers(0, 4))))
        for node in path:
            rows.append((f"c{i}", t, node, "enter", None, seg, caller))
            if rng.random() < 0.5:
                rows.append((f"c{i}", t, node, "key", str(rng.integers(0, 4)), seg, caller))  # same-second tie
            t += int(rng.integers(0, 5))
        end = rng.choice(["complete", "transfer", "hangup", None])
        if end is not None:
            rows.append((f"c{i}", t, path[-1], end, None, seg, caller))
            if rng.random() < 0.1:
                rows.append((f"c{i}", t + 3, path[-1], "key", "9", seg, caller))  # after the end
        if rng.random() < 0.05:
            rows.append(rows[-1])  # duplicate
    df = pd.DataFrame(rows, columns=["call_id", "sec", "node", "event", "key", "segment", "caller_id"])
    df["ts"] = pd.Timestamp("2024-05-01") + pd.to_timedelta(df.pop("sec"), unit="s")
    return df.sort_values("ts", kind="stable").reset_index(drop=True)[
        ["call_id", "ts", "node", "event", "key", "segment", "caller_id"]]


def _sorted(df: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return df.sort_values(by, ignore_index=True)


def _same(a, b) -> None:
    """The same analysis, up to the order of rows that depends on how codes were numbered."""
    assert a.kpis == b.kpis
    pd.testing.assert_frame_equal(_sorted(a.node_metrics, ["node"]), _sorted(b.node_metrics, ["node"]))
    pd.testing.assert_frame_equal(_sorted(a.transitions, ["src", "dst"]), _sorted(b.transitions, ["src", "dst"]))
    pd.testing.assert_frame_equal(_sorted(a.paths.drop(columns="rank"), ["calls", "path"]),
                                  _sorted(b.paths.drop(columns="rank"), ["calls", "path"]))
    pd.testing.assert_frame_equal(_sorted(a.hotspots, ["type", "node"]), _sorted(b.hotspots, ["type", "node"]))
    assert sorted(a.rejected["reason"]) == sorted(b.rejected["reason"])


@pytest.fixture(scope="module")
def log():
    return _log()


@pytest.fixture(scope="module")
def reference(log):
    return analyze_events(log)


def test_categorical_and_arrow_dictionary_columns_give_the_same_analysis(log, reference):
    cat = log.astype({c: "category" for c in CODE_COLUMNS})
    _same(analyze_events(cat), reference)
    table = pa.Table.from_pandas(log, preserve_index=False)
    arrow = pa.table([table[c].dictionary_encode() if c in CODE_COLUMNS else table[c] for c in table.column_names],
                     names=table.column_names).to_pandas(types_mapper=lambda t: pd.ArrowDtype(t)
                                                         if pa.types.is_dictionary(t) else None)
    assert isinstance(arrow["call_id"].dtype, pd.ArrowDtype)
    _same(analyze_events(arrow), reference)


def test_read_parquet_events_matches_pandas(tmp_path, log, reference):
    path = tmp_path / "log.parquet"
    pq.write_table(pa.Table.from_pandas(log.rename(columns={"call_id": "CALL"}), preserve_index=False), path,
                   row_group_size=97)  # many row groups: dictionaries are merged across chunks
    df = read_parquet_events(path, mapping=["call_id=CALL"])
    assert len(df) == len(log) and list(df.columns) == list(log.columns)
    _same(analyze_events(df), reference)
    with pytest.raises(InputError, match="missing required column 'call_id'"):
        read_parquet_events(path)
    with pytest.raises(InputError, match="file not found"):
        read_parquet_events(tmp_path / "nope.parquet")


def test_read_chunked_joins_codes_and_keeps_source_rows(tmp_path, log, reference):
    path = tmp_path / "log.parquet"
    bad = log.copy()
    bad.loc[5, "node"] = "  "  # blank after stripping: rejected by ivr_text.io
    pq.write_table(pa.Table.from_pandas(bad, preserve_index=False), path)
    table = read_chunked(path, "ivr_events", dictionary=CODE_COLUMNS, chunksize=64)
    assert table.read == len(log) == table.used + len(table.rejected)
    assert table.rejected["source_row"].tolist() == [6]
    assert isinstance(table.data["call_id"].dtype, pd.ArrowDtype)
    assert len(table.data.attrs["source_rows"]) == table.used
    a = analyze_events(table.data, rows_read=table.read)
    b = analyze_events(log.drop(index=5).reset_index(drop=True))
    pd.testing.assert_frame_equal(_sorted(a.node_metrics, ["node"]), _sorted(b.node_metrics, ["node"]))
    assert a.kpis["rows"]["read"] == len(log) and a.kpis["calls"] == b.kpis["calls"]


def test_path_variants_stay_exact_when_hashes_collide(monkeypatch, log, reference):
    monkeypatch.setattr(paths_mod, "_path_hash", lambda ent, n_calls: np.zeros(n_calls, dtype=np.uint64))
    collided = analyze_events(log)
    assert collided.kpis["path_variants"] == reference.kpis["path_variants"]
    key = ["path", "calls", "complete_share", "transfer_share", "hangup_share", "unknown_share"]
    a = collided.paths[key].sort_values(key, ignore_index=True)
    b = reference.paths[key].sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b)


ROWS = st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3", "c4"]), st.integers(0, 6),
                          st.sampled_from(["root", "a", "b"]), st.sampled_from(["enter", "key", "hangup"])),
                min_size=1, max_size=50)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, st.booleans())
def test_rows_ordered_like_a_stable_pandas_sort(rows, grouped):
    df = pd.DataFrame(rows, columns=["call_id", "sec", "node", "event"])
    if grouped:  # calls in blocks, times possibly out of order inside them
        df = df.sort_values("call_id", kind="stable").reset_index(drop=True)
    df["ts"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df.pop("sec"), unit="s")
    cfg = load_config(max_call_seconds=1e9)
    log = build_call_log(df, None, cfg)
    kept = df.drop(index=log.rejected_positions)
    ref = kept.sort_values(["call_id", "ts"], kind="stable")
    got = pd.DataFrame({"call": np.asarray(log.call_ids)[log.row_call],
                        "ts": log.row_ts.astype("datetime64[ns]"),
                        "node": np.asarray(log.node_names, dtype=object)[log.row_node]})
    # the same rows in the same order within each call (calls may be numbered in another order)
    for call, part in ref.groupby("call_id", sort=False):
        mine = got[got["call"] == call]
        assert mine["node"].tolist() == part["node"].tolist()
        assert (mine["ts"].to_numpy() == part["ts"].to_numpy().astype("datetime64[ns]")).all()


def test_encode_merges_copied_and_distinct_chunk_dictionaries():
    import pyarrow as pa

    from ivr_text.ivr.reading import _encode

    def chunk(values, dictionary):  # a dictionary chunk with its own copy of ``dictionary``
        d = pa.array(list(dictionary))
        idx = pa.array([None if v is None else dictionary.index(v) for v in values], type=pa.int32())
        return pa.DictionaryArray.from_arrays(idx, d)

    parts = [chunk(["a", "b"], ["a", "b", "c"]), chunk(["c", "a"], ["a", "b", "c"]),  # equal copies
             chunk(["c", None, "d"], ["d", "c"]), chunk(["b"], ["a", "b", "c"])]
    out = _encode(pa.chunked_array(parts))
    assert out.to_pylist() == ["a", "b", "c", "a", "c", None, "d", "b"]
    assert sorted(out.dictionary.to_pylist()) == ["a", "b", "c", "d"]
