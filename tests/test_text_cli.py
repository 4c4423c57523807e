"""ivr-text tokenize: file mode with row accounting, stdin filter, options, errors."""

import pandas as pd
from typer.testing import CliRunner

from ivr_text.cli.main import app

runner = CliRunner()


def _write(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('id,content\n1,"網很卡，客戶13812345678反映5G套餐每月59元"\n2,\n3,"！！！"\n4,12345\n'
                    '5,"宽带断网，光猫亮红灯"\n', encoding="utf-8")
    return path


def test_tokenize_file(tmp_path):
    res = runner.invoke(app, ["tokenize", str(_write(tmp_path)), "--column", "content", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "read 5 = used 4 + rejected 1" in res.output
    out = pd.read_csv(tmp_path / "o" / "tokens.csv", dtype=str)
    assert list(out["id"]) == ["1", "4", "5"]
    assert out.loc[0, "tokens"].split() == ["网速慢", "<PHONE>", "5g套餐", "每月", "59元"]
    assert "13812345678" not in out.to_csv()  # masked everywhere by default
    rejected = pd.read_csv(tmp_path / "o" / "rejected_tokenize.csv", dtype=str)
    assert len(rejected) == 2 and rejected["reason"].str.contains("normalisation").any()


def test_no_mask_and_keep_stopwords(tmp_path):
    res = runner.invoke(app, ["tokenize", str(_write(tmp_path)), "-c", "content", "--out", str(tmp_path / "t.jsonl"),
                              "--no-mask", "--keep-stopwords"])
    assert res.exit_code == 0, res.output
    out = pd.read_json(tmp_path / "t.jsonl", lines=True, dtype=str)
    assert "13812345678" in out.loc[0, "tokens"] and "客户" in out.loc[0, "tokens"]


def test_stdin_filter(tmp_path):
    syn = tmp_path / "syn.txt"
    syn.write_text("信号渣 => 信号差\n", encoding="utf-8")
    res = runner.invoke(app, ["tokenize", "-", "--synonyms", str(syn)],
                        input="網很卡\n\n客户13812345678投诉宽带\n信号渣\n")
    assert res.exit_code == 0
    assert res.stdout.split("\n")[:4] == ["网速慢", "", "<PHONE> 投诉 宽带", "信号差"]


def test_stdin_mixed_encodings():
    res = runner.invoke(app, ["tokenize", "-"], input="宽带断网\n".encode("gbk") + "光猫故障\n".encode("utf-8"))
    assert res.exit_code == 0
    assert res.stdout.splitlines() == ["宽带 断网", "光猫 故障"]


def test_errors(tmp_path):
    path = _write(tmp_path)
    res = runner.invoke(app, ["tokenize", str(path), "--column", "nope", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "nope" in res.output
    res = runner.invoke(app, ["tokenize", str(path), "-c", "content", "--out", str(tmp_path / "o"),
                              "--user-dict", str(tmp_path / "missing.txt")])
    assert res.exit_code == 1 and "missing.txt" in res.output
    res = runner.invoke(app, ["tokenize", str(path), "-c", "content"])
    assert res.exit_code == 2 and "--out" in res.output  # a bad command line: usage error
    res = runner.invoke(app, ["tokenize", str(path), "-c", "content", "-o", str(tmp_path / "o"), "--engine", "x"])
    assert res.exit_code == 2
    res = runner.invoke(app, ["tokenize", str(path), "--bogus"])
    assert res.exit_code == 2


def test_strict_fails_on_first_bad_row(tmp_path):
    res = runner.invoke(app, ["tokenize", str(_write(tmp_path)), "-c", "content", "-o", str(tmp_path / "o"),
                              "--strict"])
    assert res.exit_code == 1 and "line 3" in res.output


def test_help_has_example():
    res = runner.invoke(app, ["tokenize", "--help"])
    assert res.exit_code == 0 and "Example: ivr-text tokenize" in res.output
