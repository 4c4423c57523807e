"""The index page: what was analysed (input files with rows read/used/rejected, date range) and one card per
report page with its headline figure.

The manifest is a small dict (or ``manifest.json``) written by the caller::

    {"title": "...", "date_range": {"start": "2024-01-01", "end": "2024-12-31"},
     "inputs": [{"file": "ivr_events.csv", "kind": "ivr_events", "read": 9, "used": 8, "rejected": 1}],
     "notes": ["..."]}

``inputs`` may also be given as the whole manifest (a list, e.g. ``ivr_text.cli.common.ledger()``).
Unknown keys are ignored; a malformed manifest is reported on the page, never a crash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import pandas as pd

from ivr_text.report.html import Page, Section, esc, link_cards, note, table
from ivr_text.report.kit import PAGES, nav_for


def normalise_manifest(manifest) -> tuple[dict, list[str]]:
    """(manifest dict with an ``inputs`` list of dicts, problems found)."""
    problems: list[str] = []
    if manifest is None:
        return {"inputs": []}, problems
    if isinstance(manifest, list):
        manifest = {"inputs": manifest}
    if not isinstance(manifest, Mapping):
        return {"inputs": []}, [f"manifest ignored: expected an object, got {type(manifest).__name__}"]
    out = dict(manifest)
    inputs = out.get("inputs") or []
    if isinstance(inputs, Mapping):  # {"file": {...}} form
        inputs = [{"file": k, **(v if isinstance(v, Mapping) else {})} for k, v in inputs.items()]
    good = []
    for i, item in enumerate(inputs if isinstance(inputs, list) else []):
        if isinstance(item, Mapping):
            good.append(dict(item))
        else:
            problems.append(f"manifest input #{i + 1} ignored: not an object")
    out["inputs"] = good
    return out, problems


def unique_inputs(inputs: list[dict]) -> pd.DataFrame:
    """Inputs as a frame, identical entries once (the same file loaded alike by several commands)."""
    df = pd.DataFrame(inputs)
    if df.empty:
        return df
    return df.loc[~df.astype(str).duplicated()].reset_index(drop=True)


def inputs_table(inputs: list[dict]) -> str:
    if not inputs:
        return note("清单中没有输入文件信息 (the manifest lists no inputs).")
    df = unique_inputs(inputs)
    df["file"] = df["file"].map(lambda p: Path(str(p)).name if isinstance(p, str) else p) if "file" in df else ""
    checks = []
    if {"read", "used", "rejected"} <= set(df.columns):
        r, u, j = (pd.to_numeric(df[c], errors="coerce") for c in ("read", "used", "rejected"))
        df["balanced"] = ["✓" if a == b + c else "✗" for a, b, c in zip(r, u, j)]
        if (df["balanced"] == "✗").any():
            checks.append(note("有文件的 读取 ≠ 使用 + 拒绝 (row accounting does not balance)", "warn"))
        df["rejected_share"] = j / r.where(r > 0)
    cols = {"file": "文件 file", "kind": "类型 kind", "read": "读取 read", "used": "使用 used",
            "rejected": "拒绝 rejected", "rejected_share": "拒绝率", "balanced": "读取=使用+拒绝",
            "encoding": "编码", "first": "起", "last": "止", "date_range": "时间范围"}
    return table(df, cols, formats={"rejected_share": lambda v: "–" if pd.isna(v) else f"{100 * float(v):.2f}%"}
                 ) + "".join(checks)


def _date_range_text(dr) -> str:
    if isinstance(dr, Mapping):
        start = dr.get("start") or dr.get("first") or dr.get("from") or dr.get("first_call")
        end = dr.get("end") or dr.get("last") or dr.get("to") or dr.get("last_call")
        return f"{str(start)[:10]} – {str(end)[:10]}" if start or end else ""
    if isinstance(dr, (list, tuple)) and len(dr) == 2:
        return f"{str(dr[0])[:10]} – {str(dr[1])[:10]}"
    return "" if dr is None else str(dr)


def index_page(pages: Mapping[str, tuple[str, list[str]]], manifest=None, *, title: str | None = None,
               date_range=None) -> Page:
    """The overview page. ``pages`` maps page key (ivr/complaints/churn) → (headline, lines) for its card;
    ``date_range`` is used when the manifest has none."""
    m, problems = normalise_manifest(manifest)
    if not m.get("date_range") and date_range:
        m["date_range"] = date_range
    page = Page(title or m.get("title") or "ivr-text 分析报告 · Call-centre analytics report",
                "这次分析了什么，结论在哪里？ (What was analysed, and where are the findings?)",
                nav=nav_for(list(pages)))
    dr = _date_range_text(m.get("date_range"))
    if dr:
        page.subtitle = f"数据时间范围 date range: {dr}"
    descriptions = {"ivr": "来电者在哪里挂机、转人工？菜单怎么改？",
                    "complaints": "投诉原因分布、趋势告警、主题",
                    "churn": "投诉–用量组合曲线、预警名单、回测"}
    cards = []
    for key in ("ivr", "complaints", "churn"):
        if key in pages:
            headline, lines = pages[key]
            cards.append((PAGES[key][1], PAGES[key][0], headline, [descriptions[key], *lines]))
    body = link_cards(cards) if cards else note("没有可用的分析输出 (no analysis outputs were given).", "warn")
    page.add(Section("报告 Reports", body, "每个页面回答一个问题；点击卡片打开。", "reports"))
    inputs = inputs_table(m["inputs"])
    counts = unique_inputs(m["inputs"])
    if {"read", "used", "rejected"} <= set(counts.columns):
        r, u, j = (int(pd.to_numeric(counts[c], errors="coerce").fillna(0).sum()) for c in ("read", "used", "rejected"))
        inputs = (f"<p>共读取 {r:,} 行 = 使用 {u:,} + 拒绝 {j:,}。被拒绝的行及原因见各分析目录中的 "
                  f"<code>rejected_*.csv</code>。</p>") + inputs
    page.add(Section("分析了什么 What was analysed", inputs + "".join(note(p, "warn") for p in problems),
                     "哪些文件、多少行被使用或拒绝？", "inputs"))
    extra = m.get("notes")
    if isinstance(extra, list) and extra:
        page.add(Section("说明 Notes", "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in extra) + "</ul>", "",
                         "notes"))
    return page
