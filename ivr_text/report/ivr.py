"""The IVR page: self-service KPIs (overall and by segment), a Sankey of the main paths, drop-off and transfer
hot spots, the menu tree coloured by hang-up and transfer rate, and menu redesign advice.

Reads the output directory of ``ivr-text ivr analyze`` (``kpis.json``, ``paths.csv``, ``hotspots.csv``,
``node_metrics.csv``, ``recommendations.csv``, ``graph.json``); each missing file omits its section with a note.
"""

from __future__ import annotations

import math

import pandas as pd

from ivr_text.report import charts
from ivr_text.report.html import (COLORS, Card, Page, chart_block, esc, fmt_int, fmt_pct, fmt_seconds, is_missing,
                                  kpi_cards, note, table)
from ivr_text.report.kit import OUTCOME_LABELS, guarded, nav_for
from ivr_text.report.sources import MissingData, OutputDir, numeric, pick, require

OUTCOME_COLORS = {"complete": COLORS["complete"], "transfer": COLORS["transfer"], "hangup": COLORS["hangup"],
                  "unknown": "#bab0ac"}
KPI_FIELDS = [  # key, label, formatter, hint
    ("calls", "来电量 calls", fmt_int, ""),
    ("self_service_rate", "自助解决率 self-service", fmt_pct, "在 IVR 内完成，未转人工"),
    ("transfer_rate", "转人工率 transfer", fmt_pct, "到达人工坐席"),
    ("abandon_rate", "放弃率 abandon", fmt_pct, "完成前挂机"),
    ("unknown_end_rate", "未知结束 unknown end", fmt_pct, "日志中无结束事件"),
    ("mean_self_service_seconds", "自助平均时长", fmt_seconds, "mean self-service time"),
    ("mean_seconds_before_transfer", "转人工前平均时长", fmt_seconds, "mean time before transfer"),
    ("repeat_call_rate", "24 小时重复来电率", fmt_pct, "repeat calls within 24 h"),
]


def ivr_page(ivr_dir, *, nav: list[tuple[str, str]] | None = None, strict: bool = False,
             top_paths: int = 15, max_tree_nodes: int = 120) -> Page:
    """Build the IVR page from an ``ivr analyze`` output directory."""
    src = OutputDir(ivr_dir)
    page = Page("IVR 导航分析 · IVR menu paths", "来电者在哪里挂机、在哪里转人工，菜单该怎么改？"
                " (Where do callers hang up or zero out, and how should the menu change?)",
                nav=nav or nav_for(["ivr"]))
    if not src.exists:
        page.add(guarded("IVR", "", lambda: note(f"目录不存在 (directory not found): {ivr_dir}", "warn")))
        return page
    try:
        k = src.json("kpis.json")
        dr = k.get("date_range") or {}
        if dr.get("first_call"):
            page.subtitle = f"数据时间范围 {str(dr.get('first_call'))[:16]} – {str(dr.get('last_call'))[:16]}"
    except MissingData:
        pass
    page.add(guarded("核心指标 Self-service KPIs", "有多少来电在 IVR 内自助解决？各客户群有何不同？",
                     lambda: kpi_section(src), anchor="kpis", strict=strict))
    page.add(guarded("主要路径 Main paths (Sankey)", "来电者最常走哪些路径，这些路径以什么结局收场？",
                     lambda: sankey_section(src, top_paths), anchor="paths", strict=strict))
    page.add(guarded("挂机与转人工热点 Hot spots", "来电者在哪些节点挂机或转人工最多、比例最高？",
                     lambda: hotspot_section(src), anchor="hotspots", strict=strict))
    page.add(guarded("菜单树 Menu tree", "菜单的哪一层、哪个选项的挂机率和转人工率高？",
                     lambda: tree_section(src, max_tree_nodes), anchor="tree", strict=strict))
    page.add(guarded("菜单优化建议 Redesign advice", "调整哪些选项的顺序或层级能省下按键和时间？",
                     lambda: advice_section(src), anchor="advice", strict=strict))
    return page


# ------------------------------------------------------------------------------------------ KPIs


def kpi_cards_for(k: dict) -> str:
    cards = []
    for key, label, fmt, hint in KPI_FIELDS:
        if key not in k or (key == "repeat_call_rate" and is_missing(k.get(key))):
            continue
        tone = ""
        v = k.get(key)
        if key == "self_service_rate" and not is_missing(v):
            tone = "good" if v >= 0.75 else "warn"
        if key == "abandon_rate" and not is_missing(v):
            tone = "bad" if v >= 0.1 else ""
        cards.append(Card(label, fmt(v), hint, tone))
    return kpi_cards(cards)


def kpi_section(src: OutputDir) -> str:
    k = src.json("kpis.json")
    if "calls" not in k:
        raise MissingData("kpis.json has no 'calls'")
    parts = [kpi_cards_for(k)]
    seg = k.get("by_segment") or {}
    if isinstance(seg, dict) and seg:
        rows = []
        for name, s in seg.items():
            if isinstance(s, dict):
                rows.append({"segment": name, **{f: s.get(f) for f, *_ in KPI_FIELDS}})
        df = pd.DataFrame(rows).sort_values("calls", ascending=False)
        shares = {OUTCOME_LABELS[o]: df[f"{col}"].fillna(0).tolist()
                  for o, col in (("complete", "self_service_rate"), ("transfer", "transfer_rate"),
                                 ("hangup", "abandon_rate"), ("unknown", "unknown_end_rate")) if col in df}
        colors = {OUTCOME_LABELS[o]: c for o, c in OUTCOME_COLORS.items()}
        parts.append("<h3>按客户群 By segment</h3>")
        parts.append(chart_block(charts.stacked_share_chart(df["segment"].tolist(), shares, colors=colors,
                                                            title="各客户群来电结局 Call outcomes by segment")))
        cols = {"segment": "客户群 segment", **{f: lab for f, lab, *_ in KPI_FIELDS}}
        fmts = {f: fmt for f, _, fmt, _ in KPI_FIELDS}
        parts.append(table(df, cols, formats=fmts, bars={"self_service_rate": COLORS["complete"]}))
    missing = k.get("nodes_missing_from_menu") or k.get("unknown_nodes")
    if missing:
        shown = ", ".join(map(str, list(missing)[:10])) if isinstance(missing, (list, tuple)) else str(missing)
        parts.append(note(f"菜单中没有的节点 (nodes not in the menu): {shown}", "warn"))
    return "".join(parts)


# ------------------------------------------------------------------------------------------ Sankey


def path_flows(paths: pd.DataFrame, top: int = 15) -> tuple[list[tuple[list[str], float]], dict[str, str], float]:
    """(flows for :func:`charts.sankey`, node labels, share of calls covered) from ``paths.csv``.

    Each path is followed by an end node per outcome (``END:complete`` …) weighted by its outcome share.
    """
    require(paths, ["path", "calls"], "paths.csv")
    df = paths.assign(_calls=numeric(paths, "calls")).dropna(subset=["_calls"])
    df = df.sort_values("_calls", ascending=False).head(top)
    labels: dict[str, str] = {}
    flows = []
    for _, r in df.iterrows():
        seq = [s.strip() for s in str(r["path"]).split(">") if s.strip()]
        if not seq:
            seq = ["(未进入菜单)"]
        if "labels" in df.columns and not is_missing(r["labels"]):
            labs = [s.strip() for s in str(r["labels"]).split(">")]
            if len(labs) == len(seq):
                labels.update(zip(seq, labs))
        shares = {o: r.get(f"{o}_share") for o in OUTCOME_LABELS}
        shares = {o: float(v) for o, v in shares.items() if not is_missing(v) and float(v) > 0}
        if shares:
            for o, s in shares.items():
                flows.append((seq + [f"END:{o}"], r["_calls"] * s))
        else:
            flows.append((seq, r["_calls"]))
    for o, lab in OUTCOME_LABELS.items():
        labels[f"END:{o}"] = lab
    covered = float(df["share"].sum()) if "share" in df.columns else math.nan
    return flows, labels, covered


def sankey_section(src: OutputDir, top: int) -> str:
    paths = src.table("paths.csv", need=["path", "calls"])
    flows, labels, covered = path_flows(paths, top)
    colors = {f"END:{o}": c for o, c in OUTCOME_COLORS.items()}
    svg = charts.sankey(flows, labels=labels, colors=colors, unit=" 通", value_fmt=fmt_int, sinks=colors,
                        title=f"前 {min(top, len(paths))} 条路径 Top paths")
    cap = f"这些路径覆盖 {fmt_pct(covered)} 的来电；宽度 = 来电数。" if not math.isnan(covered) else ""
    cols = {"rank": "#", "labels": "路径 path", "calls": "来电 calls", "share": "占比",
            "complete_share": "自助完成", "transfer_share": "转人工", "hangup_share": "挂机",
            "mean_seconds": "平均时长"}
    shown = paths.copy()
    if "labels" not in shown.columns:
        shown["labels"] = shown["path"]
    fmts = {"share": "pct", "complete_share": "pct", "transfer_share": "pct", "hangup_share": "pct",
            "mean_seconds": fmt_seconds, "calls": "int"}
    return chart_block(svg, cap) + table(shown, cols, formats=fmts, max_rows=top,
                                         bars={"hangup_share": COLORS["hangup"], "transfer_share": COLORS["transfer"]})


# ------------------------------------------------------------------------------------------ hot spots

HOTSPOT_TYPES = {"drop_off": ("挂机热点 Drop-off points", COLORS["hangup"]),
                 "transfer": ("转人工热点 Transfer points", COLORS["transfer"])}


def hotspot_section(src: OutputDir) -> str:
    hs = src.table("hotspots.csv", need=["node", "count"])
    label_col = pick(hs, "label", default="node")
    typ_col = pick(hs, "type")
    parts = []
    groups = hs.groupby(typ_col, sort=False) if typ_col else [("hotspot", hs)]
    for typ, d in groups:
        title, color = HOTSPOT_TYPES.get(str(typ), (str(typ), COLORS["accent"]))
        parts.append(f"<h3>{esc(title)}</h3>")
        d = d.copy()
        d["_count"] = numeric(d, "count")
        rate_col = pick(d, "rate_lower", "rate")
        by_count = d.sort_values("_count", ascending=False).head(12)
        cells = [chart_block(charts.bar_chart(
            by_count[label_col].astype(str).tolist(), by_count["_count"].tolist(), title="按次数 by count",
            colors=color, value_fmt=fmt_int, width=560))]
        if rate_col:
            el = d[d["eligible"].astype(str).str.lower().isin(["true", "1"])] if "eligible" in d.columns else d
            el = el.assign(_rate=numeric(el, "rate")).sort_values(
                rate_col, ascending=False, key=lambda s: pd.to_numeric(s, errors="coerce")).head(12)
            tips = [f"{r[label_col]}: {fmt_pct(r['_rate'])} of {fmt_int(r.get('calls'))} calls"
                    f" (Wilson lower bound {fmt_pct(r.get('rate_lower'))})" for _, r in el.iterrows()]
            cells.append(chart_block(charts.bar_chart(
                el[label_col].astype(str).tolist(), el["_rate"].tolist(), title="按比例 by rate (达到最小量的节点)",
                colors=color, value_fmt=fmt_pct, tooltips=tips, width=560)))
        parts.append(f'<div class="grid">{"".join(cells)}</div>')
        cols = {"label": "节点 node", "node": "ID", "depth": "层级", "calls": "经过来电", "count": "次数",
                "rate": "比例", "rate_lower": "比例下限 (Wilson)", "rank_by_count": "次数排名",
                "rank_by_rate": "比例排名"}
        parts.append(table(d, cols, formats={"rate": "pct", "rate_lower": "pct"}, max_rows=15,
                           bars={"rate": color}))
    parts.append(note("比例排名使用 Wilson 下限并只计入达到最小来电量的节点，少量来电的节点不会排在前面。"
                      " Rate ranks use the Wilson lower bound over nodes with enough calls."))
    return "".join(parts)


# ------------------------------------------------------------------------------------------ menu tree


def _parents_from_graph(src: OutputDir, nodes: pd.DataFrame) -> dict[str, str]:
    """Parent of each node from ``graph.json``: the busiest predecessor one level up."""
    try:
        g = src.json("graph.json")
    except MissingData:
        return {}
    edges = g.get("links") or g.get("edges") or []
    depth = dict(zip(nodes["node"].astype(str), numeric(nodes, "depth"))) if "depth" in nodes else {}
    best: dict[str, tuple[float, str]] = {}
    for e in edges:
        s, t = str(e.get("source")), str(e.get("target"))
        c = e.get("count", e.get("weight", 1)) or 0
        if s == t:
            continue
        if depth and not (depth.get(t, math.nan) - depth.get(s, math.nan) == 1):
            continue
        if c > best.get(t, (-1, ""))[0]:
            best[t] = (c, s)
    return {t: s for t, (_, s) in best.items()}


def tree_nodes(nodes: pd.DataFrame, parents: dict[str, str] | None = None, max_nodes: int = 120) -> list:
    """:class:`charts.TreeNode` list from ``node_metrics.csv`` (busiest ``max_nodes`` plus their ancestors)."""
    require(nodes, ["node"], "node_metrics.csv")
    df = nodes.copy()
    df["node"] = df["node"].astype(str)
    df = df[~df["node"].str.startswith("END:")]
    par = {}
    if "parent" in df.columns:
        par = {n: str(p) for n, p in zip(df["node"], df["parent"]) if not is_missing(p) and str(p) != ""}
    for n, p in (parents or {}).items():
        par.setdefault(n, p)
    if not par:
        raise MissingData("node_metrics.csv has no 'parent' column and graph.json gives no menu structure")
    vcol = pick(df, "calls", "visits")
    df["_v"] = numeric(df, vcol) if vcol else math.nan
    keep = set(df.sort_values("_v", ascending=False)["node"].head(max_nodes))
    for n in list(keep):
        seen = set()
        while n in par and n not in seen:
            seen.add(n)
            n = par[n]
            keep.add(n)
    df = df[df["node"].isin(keep)]
    if "position" in df.columns:
        df = df.assign(_pos=numeric(df, "position")).sort_values(["_pos", "node"], na_position="last")
    out = []
    for _, r in df.iterrows():
        detail = []
        for c, lab in (("depth", "层级 depth"), ("position", "按键顺序 position"), ("key", "按键 key"),
                       ("completions", "自助完成 completions"), ("no_input", "无输入 no_input"),
                       ("no_match", "误按 no_match"), ("mean_seconds", "平均停留秒 mean seconds")):
            if c in df.columns and not is_missing(r[c]):
                detail.append(f"{lab}: {r[c]}" if c != "mean_seconds" else f"{lab}: {float(r[c]):.1f}")
        out.append(charts.TreeNode(
            node=r["node"], parent=par.get(r["node"]),
            label=str(r["label"]) if "label" in df.columns and not is_missing(r["label"]) else r["node"],
            visits=r["_v"], hangup_rate=_f(r.get("hangup_rate")), transfer_rate=_zero_out_rate(r),
            detail="\n".join(detail)))
    return out


def _zero_out_rate(r) -> float:
    """Share of calls through a node that asked for an agent from it (``transfer_requests / calls``), else
    the node's own transfer rate (agent nodes)."""
    req, calls = _f(r.get("transfer_requests")), _f(r.get("calls"))
    if not math.isnan(req) and calls > 0 and req > 0:
        return req / calls
    return _f(r.get("transfer_rate"))


def _f(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def tree_section(src: OutputDir, max_nodes: int) -> str:
    nodes = src.table("node_metrics.csv", need=["node"])
    parents = {} if "parent" in nodes.columns else _parents_from_graph(src, nodes)
    tnodes = tree_nodes(nodes, parents, max_nodes)
    rates = [n.hangup_rate for n in tnodes if not math.isnan(n.hangup_rate)]
    trates = [n.transfer_rate for n in tnodes if not math.isnan(n.transfer_rate)]
    # colour scale tops out at the 90th percentile so one tiny node does not wash out the rest
    hmax = max(float(pd.Series(rates).quantile(0.9)) if rates else 0.05, 0.02)
    tmax = max(float(pd.Series(trates).quantile(0.9)) if trates else 0.05, 0.02)
    svg = charts.tree_chart(tnodes, hangup_max=hmax, transfer_max=tmax, value_fmt=fmt_int,
                            title="菜单树：底色 = 挂机率，右侧色条 = 转人工率，连线粗细 = 来电量")
    cap = "悬停在节点上查看来电量、挂机率、转人工率、按键顺序等明细。Hover a node for its figures."
    cols = {"label": "节点", "node": "ID", "depth": "层级", "position": "顺序", "calls": "经过来电",
            "hangup_rate": "挂机率", "transfer_rate": "转人工率", "no_input": "无输入", "no_match": "误按",
            "loops": "重复进入", "mean_seconds": "平均停留"}
    df = nodes.copy()
    if "calls" in df.columns:
        df = df.sort_values("calls", ascending=False, key=lambda s: pd.to_numeric(s, errors="coerce"))
    tbl = table(df[~df["node"].astype(str).str.startswith("END:")], cols,
                formats={"hangup_rate": "pct", "transfer_rate": "pct", "mean_seconds": fmt_seconds},
                max_rows=40, bars={"hangup_rate": COLORS["hangup"], "transfer_rate": COLORS["transfer"]})
    return chart_block(svg, cap) + tbl


# ------------------------------------------------------------------------------------------ advice


def advice_section(src: OutputDir) -> str:
    rec = src.table("recommendations.csv", need=["reason"])
    if rec.empty:
        return note("没有需要调整的菜单项 (no redesign advice: no node met the thresholds).")
    action = pick(rec, "action_label", "action")
    cols = {"rank": "#", **({action: "建议 action"} if action else {}), "label": "节点", "depth": "层级", "position": "顺序",
            "calls": "来电", "call_share": "来电占比", "hangup_rate": "挂机率", "transfer_rate": "转人工率",
            "proposed": "调整为", "saving_keys_per_call": "每通省按键", "saving_seconds_per_call": "每通省秒数",
            "reason": "原因 reason"}
    parts = []
    sec = pick(rec, "saving_seconds_per_call", "saving_seconds_per_caller")
    if sec:
        total = numeric(rec, sec).fillna(0)
        lab = rec[pick(rec, "label", "node", default="reason")].astype(str)
        act = rec[action].astype(str) if action else pd.Series([""] * len(rec))
        parts.append(chart_block(charts.bar_chart(
            (lab + " · " + act).tolist()[:12], total.tolist()[:12], colors=COLORS["good"],
            value_fmt=lambda v: f"{float(v):.2f} 秒", title="预计每通来电节省秒数 Estimated seconds saved per call")))
    parts.append(table(rec, cols, formats={"call_share": "pct", "hangup_rate": "pct", "transfer_rate": "pct",
                                           "saving_seconds_per_call": "float", "saving_keys_per_call": "float"},
                       max_rows=30, numeric_align=True))
    return "".join(parts)


def ivr_headline(ivr_dir) -> tuple[str, list[str]]:
    """(headline, lines) for the index card."""
    try:
        k = OutputDir(ivr_dir).json("kpis.json")
    except MissingData as exc:
        return "–", [str(exc)]
    return (f"自助解决率 {fmt_pct(k.get('self_service_rate'))}",
            [f"来电 {fmt_int(k.get('calls'))} 通", f"转人工 {fmt_pct(k.get('transfer_rate'))} · "
             f"放弃 {fmt_pct(k.get('abandon_rate'))}", f"自助平均 {fmt_seconds(k.get('mean_self_service_seconds'))}"])

