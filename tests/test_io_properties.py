"""Property tests: whatever bytes a reader is handed, it gives a clear error or counted rows, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr_text.errors import InputError
from ivr_text.io import read_table

HEADER = "call_id,ts,node,event"
cell = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["2024-01-01 10:00:00", "root", "enter", "", '"', ",", "\n", "话费查询", "\u3000"]),
)
row = st.lists(cell, min_size=0, max_size=6).map(lambda cells: ",".join(cells))


def _read_bytes(raw: bytes, suffix: str = ".csv"):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"in{suffix}"
        path.write_bytes(raw)
        try:
            t = read_table(path, "ivr_events")
        except InputError as exc:
            assert str(exc) and "\n" not in str(exc)
            return None
        assert t.read == t.used + len(t.rejected)
        assert t.rejected["reason"].notna().all()
        return t


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, max_size=8), st.sampled_from(["utf-8", "gbk", "utf-8-sig"]))
def test_random_csv_rows(rows, encoding):
    text = "\n".join([HEADER, *rows])
    raw = text.encode(encoding, errors="replace")
    _read_bytes(raw)


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw):
    _read_bytes(raw)
    _read_bytes(raw, ".jsonl")
    _read_bytes(raw, ".parquet")


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=0, max_value=200_000))
def test_huge_field_and_truncation(n):
    text = HEADER + "\nc1,2024-01-01 10:00:00,root," + "x" * n + "\nc2,2024-01-01"
    t = _read_bytes(text.encode())
    assert t is not None and t.read == 2
