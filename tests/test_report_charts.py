"""SVG chart builders and the page shell: escaping, well-formed SVG, sizes, layout arithmetic."""

from __future__ import annotations

import base64
import hashlib
import math
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_text.report import charts
from ivr_text.report.html import Card, Page, Section, esc, fmt_pct, fmt_seconds, kpi_cards, table
from ivr_text.report.script import SCRIPT, script_hash

SVG_NS = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script>'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    w, h = float(root.get("width")), float(root.get("height"))
    assert w > 0 and h > 0
    return root


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG_NS}text")]


def test_esc_handles_missing_and_markup():
    assert esc(None) == "" and esc(float("nan")) == "" and esc(pd.NA) == ""
    assert esc(EVIL) == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    assert esc("a\x00b\x1fc") == "abc"


def test_formats():
    assert fmt_pct(0.7712) == "77.1%" and fmt_pct(None) == "–"
    assert fmt_seconds(35.5) == "35.5 秒" and fmt_seconds(600) == "10.0 分钟"


def test_nice_ticks_cover_range():
    for lo, hi in [(0, 7), (0, 0.37), (3, 3), (-5, 12), (0, 123456)]:
        t = charts.nice_ticks(lo, hi)
        assert t[0] <= lo and t[-1] >= hi and len(t) >= 2
        steps = {round(b - a, 9) for a, b in zip(t, t[1:])}
        assert len(steps) == 1


def test_shorten_and_width():
    assert charts.text_width("中文") == 24 and charts.text_width("ab") == pytest.approx(14.4)
    s = charts.shorten("很长很长很长的菜单名称", 60)
    assert s.endswith("…") and charts.text_width(s) <= 60 + 12


def test_bar_chart_escapes_labels_and_tooltips():
    svg = charts.bar_chart(["网络问题", EVIL], [10, 5], title=f"标题 {EVIL}")
    root = parse(svg)
    assert "<script" not in svg
    assert EVIL in " ".join(texts(root)) or any(EVIL in "".join(t.itertext()) for t in root.iter(f"{SVG_NS}title"))
    assert len(list(root.iter(f"{SVG_NS}rect"))) == 2


def test_bar_chart_lengths_proportional():
    root = parse(charts.bar_chart(["a", "b"], [10, 5]))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG_NS}rect")]
    assert widths[0] == pytest.approx(2 * widths[1], rel=1e-3)


def test_line_chart_gaps_and_markers():
    s = [charts.Series("x", [1, 2, math.nan, 4]), charts.Series("y", [10, 20, 30, 40], axis="right", kind="bar")]
    svg = charts.line_chart(["a", "b", "c", "d"], s, markers=[charts.Marker("x", 3, f"告警 {EVIL}")])
    root = parse(svg)
    polylines = list(root.iter(f"{SVG_NS}polyline"))
    assert len(polylines) == 2  # the NaN splits the line into two runs
    assert len([c for c in root.iter(f"{SVG_NS}circle") if c.get("class") == "marker"]) == 1
    assert "<script" not in svg


def test_line_chart_empty():
    root = parse(charts.line_chart([], []))
    assert "无数据" in " ".join(texts(root))


def test_heatmap_cells_and_diagonal():
    root = parse(charts.heatmap([[5, 1], [0, 4]], ["甲", "乙"], ["甲", "乙"], row_title="真实", col_title="预测"))
    cells = [r for r in root.iter(f"{SVG_NS}rect") if r.get("stroke") is not None or r.get("fill")]
    assert len(cells) == 4
    assert sum(1 for r in cells if r.get("stroke") == "#333") == 2
    assert {"5", "1", "0", "4"} <= set(texts(root))


def test_sankey_link_widths_follow_counts_and_sinks_align():
    flows = [(["root", "bill", "END:ok"], 30), (["root", "END:ok"], 10), (["root", "data", "x", "END:ok"], 20)]
    svg = charts.sankey(flows, sinks=["END:ok"], labels={"root": "主菜单"})
    root = parse(svg)
    nodes = [r for r in root.iter(f"{SVG_NS}rect") if r.get("class") == "node"]
    tips = {"".join(r.find(f"{SVG_NS}title").itertext()).rsplit(":", 1)[0]: r for r in nodes}
    # one END:ok node, in the last column, holding all 60 calls
    assert sum(1 for k in tips if k == "END:ok") == 1
    xs = sorted({float(r.get("x")) for r in nodes})
    assert float(tips["END:ok"].get("x")) == xs[-1]
    assert float(tips["END:ok"].get("height")) == pytest.approx(float(tips["主菜单"].get("height")), rel=1e-3)
    assert len([p for p in root.iter(f"{SVG_NS}path") if p.get("class") == "link"]) == 6


def test_tree_chart_survives_cycles_and_unknown_parents():
    nodes = [charts.TreeNode("a", None, "根"), charts.TreeNode("b", "a", EVIL, 10, 0.5, 0.1),
             charts.TreeNode("c", "d", "孤儿"), charts.TreeNode("d", "c", "环")]
    svg = charts.tree_chart(nodes)
    root = parse(svg)
    assert "<script" not in svg
    assert len([g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "tree-node"]) >= 2


def test_table_escapes_and_counts_hidden_rows():
    df = pd.DataFrame({"name": [EVIL] + [f"r{i}" for i in range(9)], "rate": [0.5] * 10})
    html = table(df, {"name": "名称", "rate": "比例"}, formats={"rate": "pct"}, max_rows=3, bars={"rate": "#f00"})
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "共 10 行" in html and html.count("<tr>") == 4


def test_csp_hash_is_sha256_of_the_script_bytes():
    """The CSP source recomputed with a different hashing route (hashlib on bytes cut from the page)."""
    html = Page("t", "q").render()
    body = html.encode("utf-8").split(b"<script>")[1].split(b"</script>")[0]
    want = "'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'"
    csp = re.search(r'Content-Security-Policy" content="([^"]*)"', html).group(1)
    assert f"script-src {want};" in csp and want == script_hash()
    assert script_hash("x") != script_hash()  # the hash depends on the bytes


def test_headers_are_bilingual():
    df = pd.DataFrame({"term": ["a"], "count_before": [1], "log_odds": [2.0], "p_value": [0.5], "calls": [3],
                       "rank": [1]})
    html = table(df, {"term": "term", "count_before": "count_before", "log_odds": "log_odds", "p_value": "p_value",
                      "calls": "来电", "rank": "#"})
    heads = re.findall(r"<th scope=\"col\">(.*?)</th>", html)
    assert heads == ["词语 term", "此前次数 count_before", "对数几率比 log_odds", "p 值 p_value", "来电 calls", "#"]
    assert 'data-v="2.0"' in html and 'class="data"' in html


def test_page_is_self_contained():
    p = Page(f"报告 {EVIL}", "问题?", [Section("节", kpi_cards([Card("来电", "1,000")]), "为什么?", "s1")],
             nav=[("总览", "index.html")])
    html = p.render()
    assert html.lower().count("<script") == 1 and f"<script>{SCRIPT}</script>" in html  # only the pinned one
    assert "&lt;script&gt;" in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "Noto Sans CJK SC" in html and 'charset="utf-8"' in html


label_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(label_text, min_size=1, max_size=6),
       values=st.lists(st.one_of(st.floats(min_value=-1e9, max_value=1e9), st.just(math.nan),
                                 st.integers(-10**6, 10**6)), min_size=6, max_size=6))
def test_property_any_label_gives_wellformed_svg(labels, values):
    """Whatever the text (markup, quotes, control characters, emoji), charts stay well-formed XML."""
    vals = values[: len(labels)]
    for svg in (charts.bar_chart(labels, vals, title=labels[0]),
                charts.line_chart(labels, [charts.Series(labels[0] or "s", vals)]),
                charts.heatmap([vals], [labels[0]], labels),
                charts.sankey([(labels, 5.0)]),
                charts.stacked_share_chart(labels, {"a": [abs(v) if v == v else 0 for v in vals]})):
        root = parse(svg)
        assert root.find(f"{SVG_NS}script") is None


@pytest.mark.parametrize("lo,hi", [(0.0, 5e-324), (-5e-324, 0.0), (-5e-324, -5e-324), (1e-200, 1e-200), (7.0, 7.0)])
def test_ticks_on_flat_and_denormal_ranges(lo, hi):
    ticks = charts.nice_ticks(lo, hi)
    assert len(ticks) >= 2 and ticks[0] <= lo and ticks[-1] >= hi
