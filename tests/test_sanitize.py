"""Writers mask PII and neutralise spreadsheet formulas (ivr_text.sanitize through ivr_text.io)."""

import csv
import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_text.io import read_table, write_json, write_table
from ivr_text.sanitize import mask_frame, neutralize_formulas, restore_formulas
from ivr_text.text import mask_pii
from ivr_text.text.pii import output_masking, set_output_masking


def _frame():
    return pd.DataFrame({
        "customer_id": ["13812345678", "U2", "U3"],                      # a key: kept
        "text": ["客户13812345678反映", "联系人张三", None],
        "cause": pd.Categorical(["姓名：李四", "网络", "网络"]),
        "examples": [["王先生来电", "ok"], [], ["a@b.cn"]],
        "n": [-5, 3, 7],
        "when": pd.to_datetime(["2024-01-01", None, "2024-02-01"]),
    })


def test_mask_frame_masks_text_pseudonymises_keys_keeps_numbers_and_dates():
    from ivr_text.text.pii import pseudonym

    df = _frame()
    out = mask_frame(df)
    assert out["customer_id"].tolist() == [pseudonym("13812345678"), "U2", "U3"]
    assert out["customer_id"].iloc[0].startswith("<PHONE:") and out["customer_id"].iloc[0] == pseudonym(
        pseudonym("13812345678"))  # stable, and pseudonymising twice changes nothing
    assert out["text"].tolist()[:2] == ["客户<PHONE>反映", "联系人<NAME>"] and pd.isna(out["text"].iloc[2])
    assert out["cause"].tolist() == ["姓名：<NAME>", "网络", "网络"]
    assert out["examples"].tolist() == [["<NAME>先生来电", "ok"], [], ["<EMAIL>"]]
    assert out["n"].tolist() == [-5, 3, 7] and out["when"].equals(df["when"])
    assert df["text"].iloc[0] == "客户13812345678反映"  # the input is not changed
    clean = pd.DataFrame({"node": ["root>1", "root>2"], "x": [1, 2]})
    assert mask_frame(clean) is clean  # nothing to mask: no copy


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("0123456789１３８ -@.a先生王联系人路号栋室小区*")), max_size=30),
                min_size=1, max_size=80))
def test_mask_frame_equals_mask_pii_per_cell(texts):
    out = mask_frame(pd.DataFrame({"t": texts}))["t"].tolist()
    assert out == [mask_pii(t) for t in texts]


@pytest.mark.parametrize("cell, guarded", [
    ("=HYPERLINK(\"x\")", True), ("+cmd", True), ("-1+2", True), ("@SUM(A1)", True), ("\t=1", True),
    ("\r=1", True), ("＝1+1", True), ("-5", False), ("+3.2e1", False), ("12", False), ("网速慢", False),
    ("a=b", False), ("", False),
])
def test_neutralize_formulas(cell, guarded):
    out = neutralize_formulas(pd.DataFrame({"c": [cell]}))["c"].iloc[0]
    assert out == ("'" + cell if guarded else cell)
    assert restore_formulas(pd.Series([out])).iloc[0] == cell


def test_restore_leaves_a_users_own_quote():
    assert restore_formulas(pd.Series(["'5", "'abc", "'=x"])).tolist() == ["'5", "'abc", "=x"]


def test_write_table_masks_and_guards_csv_but_parquet_keeps_values(tmp_path):
    df = pd.DataFrame({"text": ["=1+1 客户13812345678", "ok"], "n": [-1, 2], "=bad header": ["a", "b"]})
    write_table(df, tmp_path / "o.csv")
    with open(tmp_path / "o.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["text", "n", "'=bad header"] and rows[1] == ["'=1+1 客户<PHONE>", "-1", "a"]
    write_table(df, tmp_path / "o.parquet")
    back = pd.read_parquet(tmp_path / "o.parquet")
    assert back["text"].tolist() == ["=1+1 客户<PHONE>", "ok"] and list(back.columns)[2] == "=bad header"
    write_table(df, tmp_path / "raw.csv", mask=False)
    assert "13812345678" in (tmp_path / "raw.csv").read_text(encoding="utf-8-sig")
    t = read_table(tmp_path / "o.csv", columns=["text"])  # the toolkit reads its own guards back off
    assert t.data["text"].tolist() == ["=1+1 客户<PHONE>", "ok"]


def test_write_json_masks_strings_and_keys_and_pseudonymises_key_columns(tmp_path):
    from ivr_text.text.pii import pseudonym

    write_json({"王先生": ["13812345678", 1.5], "customer_id": "13812345678", "n": float("nan")}, tmp_path / "o.json")
    assert json.loads((tmp_path / "o.json").read_text(encoding="utf-8")) == {
        "<NAME>先生": ["<PHONE>", 1.5], "customer_id": pseudonym("13812345678"), "n": None}


def test_readers_and_writers_give_a_phone_number_id_the_same_pseudonym(tmp_path):
    """Joins hold across commands: an id read from the user's file and the same id read back from an output."""
    from ivr_text.text.pii import pseudonym

    src = tmp_path / "f.csv"
    pd.DataFrame({"customer_id": ["13812345678", "U1"], "ts": ["2024-01-02", "2024-01-03"]}).to_csv(src, index=False)
    t = read_table(src, "feedback")
    assert t.data["customer_id"].tolist() == [pseudonym("13812345678"), "U1"]
    write_table(t.data, tmp_path / "out.csv")
    assert read_table(tmp_path / "out.csv", "feedback").data["customer_id"].tolist() == t.data["customer_id"].tolist()
    assert "13812345678" not in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")


def test_process_switch_is_the_default_of_the_writers(tmp_path):
    assert output_masking()
    set_output_masking(False)
    try:
        write_table(pd.DataFrame({"t": ["13812345678"]}), tmp_path / "o.csv")
    finally:
        set_output_masking(True)
    assert "13812345678" in (tmp_path / "o.csv").read_text(encoding="utf-8-sig")
