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


# ------------------------------------------------------------------ issue 12: source_row is the file line

_cell = st.sampled_from(["a", "", "x y", '"q"', '"multi\nline"', '"a,b"', '"say ""hi"""', '5"', 'ab"c', "中文"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_cell, min_size=2, max_size=2), max_size=8), st.lists(st.booleans(), max_size=8))
def test_line_map_matches_the_csv_module(rows, blanks):
    """Record number → the line where the record starts, against Python's csv module on the same text."""
    import csv
    import io as std_io
    import tempfile
    from pathlib import Path

    import numpy as np

    from ivr_text.io import _LineMap

    lines = ["h1,h2"]
    for i, row in enumerate(rows):
        if i < len(blanks) and blanks[i]:
            lines.append("")
        lines.append(",".join(row))
    text = "\n".join(lines) + "\n"
    expected, reader = [], csv.reader(std_io.StringIO(text))
    line = 1
    for record in reader:
        if record:
            expected.append(line)
        line = reader.line_num + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_text(text, encoding="utf-8")
        lm = _LineMap.of(path, "utf-8")
    got = list(range(1, len(expected) + 1)) if lm.identity else list(lm.physical(np.arange(1, len(expected) + 1)))
    assert got == expected


_any_cell = st.sampled_from(["a", "", "x y", '"q"', '"multi\nline"', '"a,b"', '"say ""hi"""', '5"', 'ab"c', "中文",
                             '"', '"""', '"x"y', 'a\rb', '"cr\r\nlf"', '" open', "close \""])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_any_cell, min_size=1, max_size=3), max_size=8), st.sampled_from(["\n", "\r\n"]),
       st.booleans())
def test_one_record_per_line_only_when_the_quote_analysis_agrees(rows, eol, final_eol):
    """The fast check (Arrow counts one record per line) never claims so when the full quote analysis finds a
    quoted newline or a blank line; and where it does, the map is the identity, as the analysis says."""
    import numpy as np

    from ivr_text.io import _LineMap

    text = eol.join(["h1,h2"] + [",".join(r) for r in rows]) + (eol if final_eol else "")
    data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    inside, unclosed = _LineMap._inside_quotes(data, np.flatnonzero(data == 34), np.flatnonzero(data == 10), ",")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.csv"
        path.write_bytes(text.encode("utf-8"))
        try:
            lm = _LineMap.of(path, "utf-8")
        except InputError as exc:
            assert unclosed is not None and f"line {unclosed}:" in str(exc)
            return
    assert unclosed is None
    if lm.identity:
        physical_lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")
        assert not inside.any() and all(line not in ("", "\r") for line in physical_lines)
