"""Run-wide options (--no-mask, --decimal, --date-window) and the one-line error contract of the CLI."""

import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.io import READING, read_table, set_reading
from ivr_text.text.pii import output_masking

runner = CliRunner()


@pytest.fixture(autouse=True)
def _reset_reading():
    yield
    set_reading(decimal=".", date_window=("1990-01-01", "2100-01-01"))


def _usage(tmp_path, rows):
    path = tmp_path / "usage.csv"
    pd.DataFrame(rows, columns=["customer_id", "period", "minutes"]).to_csv(path, index=False)
    return path


def test_decimal_comma_is_rejected_unless_declared(tmp_path):
    path = _usage(tmp_path, [["U1", "2024-01", "12,5"], ["U1", "2024-02", "1,234"], ["U2", "2024-01", "7"]])
    res = runner.invoke(app, ["churn", "quality", str(path), "--out", str(tmp_path / "a")])
    assert res.exit_code == 0 and "read 3 = used 2 + rejected 1" in res.output and "ambiguous number" in res.output
    clean = pd.read_csv(tmp_path / "a" / "usage_clean.csv")
    assert sorted(clean["minutes"]) == [7.0, 1234.0]
    res = runner.invoke(app, ["--decimal", ",", "churn", "quality", str(path), "--out", str(tmp_path / "b")])
    assert res.exit_code == 0 and "read 3 = used 3 + rejected 0" in res.output
    assert sorted(pd.read_csv(tmp_path / "b" / "usage_clean.csv")["minutes"]) == [1.234, 7.0, 12.5]
    assert READING["decimal"] == ","
    runner.invoke(app, ["churn", "quality", str(path), "--out", str(tmp_path / "c")])
    assert READING["decimal"] == "."  # the next run is back to the default


def test_infinite_and_huge_numbers_are_rejected_like_nan(tmp_path):
    path = _usage(tmp_path, [["U1", "2024-01", "inf"], ["U1", "2024-02", "-Infinity"], ["U2", "2024-01", "1e308"],
                             ["U3", "2024-01", "nan"], ["U4", "2024-01", "3"]])
    t = read_table(path, "usage")
    assert t.used == 1 and len(t.rejected) == 4
    assert t.rejected["reason"].str.contains("not a finite number|out of range|unparseable").all()


def test_date_window_rejects_placeholder_years_and_is_configurable(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"ts": ["1900-01-01", "9999-12-31", "2024-03-01", "1985-06-01"],
                  "text": ["网速慢", "话费多扣", "信号差", "宽带断"]}).to_csv(path, index=False)
    t = read_table(path, "complaints")
    assert t.used == 1 and t.rejected["reason"].str.contains("date outside 1990-01-01..2100-01-01").sum() == 3
    res = runner.invoke(app, ["trends", str(path), "--out", str(tmp_path / "t"), "--no-terms",
                              "--date-window", "1980-01-01..2030-01-01", "--period", "month"])
    assert res.exit_code == 0 and "read 4 = used 2 + rejected 2" in res.output  # 1985 is now plausible
    assert READING["date_window"][0] == pd.Timestamp("1980-01-01")


def test_unused_optional_column_never_rejects_a_row(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"text": ["网速慢", "话费多扣"], "ts": ["not a date", "2024-01-01"]}).to_csv(path, index=False)
    res = runner.invoke(app, ["classify", "predict", str(path), "--out", str(tmp_path / "p")])
    assert res.exit_code == 0 and "read 2 = used 2 + rejected 0" in res.output
    assert pd.read_csv(tmp_path / "p" / "predictions.csv")["ts"].tolist() == ["not a date", "2024-01-01"]
    res = runner.invoke(app, ["trends", str(path), "--out", str(tmp_path / "t"), "--no-terms"])
    assert "read 2 = used 1 + rejected 1" in res.output  # trends uses ts: there it is checked


def test_no_mask_anywhere_on_the_line_and_only_for_that_run(tmp_path):
    path = tmp_path / "c.csv"
    pd.DataFrame({"text": ["客户13812345678反映网速慢"]}).to_csv(path, index=False)
    for argv in (["--no-mask", "classify", "predict", str(path)], ["classify", "predict", str(path), "--no-mask"]):
        res = runner.invoke(app, argv + ["--out", str(tmp_path / "raw")])
        assert res.exit_code == 0 and "PII masking OFF" in res.output
        assert "13812345678" in (tmp_path / "raw" / "predictions.csv").read_text(encoding="utf-8-sig")
    res = runner.invoke(app, ["classify", "predict", str(path), "--out", str(tmp_path / "masked")])
    assert output_masking() and "PII masking OFF" not in res.output
    assert "13812345678" not in (tmp_path / "masked" / "predictions.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("argv, code, words", [
    (["classify", "predict", "x.csv", "--bogus"], 2, "No such option"),
    (["trends", "x.csv", "--period", "fortnight"], 2, "--period 'fortnight'"),
    (["classify", "predict", "--top-k", "0", "x.csv"], 2, "--top-k"),
    (["--decimal", ";", "classify", "predict", "x.csv"], 2, "--decimal"),
    (["classify", "predict", "x.csv", "--date-window"], 2, "needs a value"),
])
def test_usage_errors_are_one_line_with_exit_code_2(argv, code, words):
    res = runner.invoke(app, argv)
    lines = [x for x in res.stderr.splitlines() if x.strip()]
    assert res.exit_code == code and len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0]


def test_phone_number_customer_ids_join_across_commands_and_never_appear(tmp_path):
    """Customer ids that are phone numbers: ivr contacts → churn signal joins exactly as with opaque ids, and no
    output holds a number (they are keyed pseudonyms, the same when read from the input and from an output)."""
    import re

    world = tmp_path / "world"
    assert runner.invoke(app, ["samples", "--out", str(world), "--calls", "400", "--customers", "80",
                               "--months", "6"]).exit_code == 0
    phones = {}
    for name in ("ivr_events.csv", "feedback.csv", "usage.csv"):
        df = pd.read_csv(world / name, dtype=str)
        col = "caller_id" if name == "ivr_events.csv" else "customer_id"
        df[col] = df[col].map(lambda u: u if pd.isna(u) else phones.setdefault(u, f"139{len(phones):08d}"))
        df.to_csv(tmp_path / name, index=False)

    def chain(data, out):
        contacts = out / "contacts.csv"
        r1 = runner.invoke(app, ["ivr", "contacts", str(data / "ivr_events.csv"), "--menu", str(world / "menu.yaml"),
                                 "--out", str(contacts)])
        r2 = runner.invoke(app, ["churn", "signal", "--feedback", str(data / "feedback.csv"), "--feedback",
                                 str(contacts), "--usage", str(data / "usage.csv"), "--out", str(out)])
        assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
        return re.search(r"customers [\d,]+: usage and feedback [\d,]+", r2.output).group(0)

    assert chain(tmp_path, tmp_path / "phones") == chain(world, tmp_path / "opaque")
    for path in (tmp_path / "phones").rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig", errors="replace")
            assert not re.search(r"139\d{8}", text), path
    warned = pd.read_csv(tmp_path / "phones" / "warnings.csv", dtype=str)
    assert len(warned) and warned["customer_id"].str.startswith("<PHONE:").all()
