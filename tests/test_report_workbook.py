"""The hand-on workbook: one sheet per table with the CSV's rows, bilingual frozen headers, no formula cells,
PII masked; the report command writes it with --xlsx."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.report.workbook import SHEETS, workbook_frames, write_workbook
from report_fixtures import EMAIL, PHONE, make_all

runner = CliRunner()
RISKY = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", '=HYPERLINK("http://evil","x")', "＝1"]


@pytest.fixture
def outputs(tmp_path):
    return make_all(tmp_path / "outputs")


def _rows(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_workbook_holds_the_csv_rows_without_formulas(outputs, tmp_path):
    frames = workbook_frames(ivr_dir=outputs["ivr"], complaints_dir=outputs["complaints"], churn_dir=outputs["churn"])
    assert set(frames) == set(SHEETS)
    path = write_workbook(tmp_path / "team.xlsx", frames)
    wb = load_workbook(path)
    for key, (title, kind, names) in SHEETS.items():
        ws = wb[title]
        csv = next(outputs[kind].rglob(names[0]))
        df = pd.read_csv(csv, encoding="utf-8-sig")
        assert ws.max_row == len(df) + 1, key  # header + the CSV's rows
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref
        heads = [c.value for c in ws[1]]
        assert len(heads) == len(df.columns) and all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in heads), heads
        assert all(str(col) in h for col, h in zip(df.columns, heads))  # the English term beside the Chinese
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (key, c.coordinate, c.value)
    ws = wb[SHEETS["warnings"][0]]
    flat = " ".join(str(v) for r in _rows(ws) for v in r)
    assert PHONE not in flat and EMAIL not in flat and "<EMAIL>" in flat
    # numbers stay numbers
    assert isinstance(ws.cell(2, 1).value, int)


def test_risky_text_is_stored_as_text(tmp_path):
    df = pd.DataFrame({"customer_id": [f"C{i}" for i in range(len(RISKY))], "reasons": RISKY,
                       "signal_score": [0.5] * len(RISKY)})
    wb = load_workbook(write_workbook(tmp_path / "r.xlsx", {"warnings": df}))
    ws = wb[SHEETS["warnings"][0]]
    got = [ws.cell(i + 2, 2) for i in range(len(RISKY))]
    assert all(c.data_type == "s" for c in got)
    assert [c.value for c in got][:4] == RISKY[:4]  # kept verbatim, as inert text
    assert ws.cell(2, 3).data_type == "n"


def test_report_cli_writes_xlsx(outputs, tmp_path):
    out = tmp_path / "book.xlsx"
    r = runner.invoke(app, ["report", "--churn", str(outputs["churn"]), "--out", str(tmp_path / "html"),
                            "--xlsx", str(out)])
    assert r.exit_code == 0, r.output
    assert out.is_file() and list(load_workbook(out).sheetnames) == [SHEETS["warnings"][0]]
    empty = tmp_path / "empty"
    empty.mkdir()
    r = runner.invoke(app, ["report", "--ivr", str(empty), "--out", str(tmp_path / "h2"), "--xlsx",
                            str(tmp_path / "none.xlsx")])
    assert r.exit_code == 1 and "no table for the workbook" in r.output
