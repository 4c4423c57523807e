"""The IVR page: self-service KPIs (overall and by segment), rates by hour, weekday and period, a Sankey of the
main paths, drop-off and transfer hot spots with example calls, the menu tree coloured by hang-up and
transfer-request rate, menu redesign advice with the measured option times, a comparison of two groups, and
conformance with the designed menu.

Reads the output directory of ``ivr-text ivr analyze`` (``kpis.json``, ``paths.csv``, ``hotspots.csv``,
``node_metrics.csv``, ``recommendations.csv``, ``graph.json``, ``by_hour.csv``, ``by_weekday.csv``,
``by_period.csv``, ``examples.csv``, ``option_timings.csv``, ``conformance.csv``) and of ``ivr-text ivr compare``
written into the same directory (``compare.csv``); each missing file omits its section with a note. Transfers
are shown the two ways the analysis counts them, under the same names everywhere: 在此要求转人工
(``transfer_requests``: where the caller asked for an agent) and 在此接入人工 (``agent_transfers``: where the
call was handed over). A KPI the source does not record shows "n/a" with the reason, never 0 %.
"""

from __future__ import annotations

import math

import pandas as pd

from ivr_text.report import charts
from ivr_text.report.html import (COLORS, Card, Page, anchor_id, chart_block, details, esc, fmt_float, fmt_int, fmt_pct,
                                  fmt_seconds, is_missing, kpi_cards, note, table)
from ivr_text.report.kit import OUTCOME_LABELS, guarded, masked, nav_for
from ivr_text.report.sources import MissingData, OutputDir, numeric, optional, pick, require

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
    page.add(guarded("时段分析 By hour, weekday and period", "哪些时段挂机、转人工或排队放弃特别多？",
                     lambda: time_section(src), anchor="time", strict=strict))
    page.add(guarded("主要路径 Main paths (Sankey)", "来电者最常走哪些路径，这些路径以什么结局收场？",
                     lambda: sankey_section(src, top_paths), anchor="paths", strict=strict))
    page.add(guarded("挂机与转人工热点 Hot spots", "来电者在哪些节点挂机或要求转人工最多、比例最高？",
                     lambda: hotspot_section(src), anchor="hotspots", strict=strict))
    page.add(guarded("热点示例来电 Example calls", "热点背后是哪些来电？（主叫号码已脱敏）",
                     lambda: examples_section(src), anchor="examples", strict=strict))
    page.add(guarded("菜单树 Menu tree", "菜单的哪一层、哪个选项的挂机率和要求转人工率高？",
                     lambda: tree_section(src, max_tree_nodes), anchor="tree", strict=strict))
    page.add(guarded("菜单优化建议 Redesign advice", "调整哪些选项的顺序或层级能净省时间？",
                     lambda: advice_section(src), anchor="advice", strict=strict))
    page.add(guarded("选项收听时长 Option listening times", "每多听一个选项要多花几秒？（由日志测得）",
                     lambda: timing_section(src), anchor="timings", strict=strict))
    page.add(guarded("两组对比 Comparison", "两个客户群或两个时期有何显著不同？",
                     lambda: compare_section(src), anchor="compare", strict=strict))
    page.add(guarded("与设计菜单的一致性 Conformance", "来电路径是否符合设计的菜单？",
                     lambda: conformance_section(src), anchor="conformance", strict=strict))
    return page


# ------------------------------------------------------------------------------------------ KPIs


def kpi_cards_for(k: dict) -> str:
    cards = []
    missing = k.get("not_measured") or {}
    for key, label, fmt, hint in KPI_FIELDS:
        if key in missing:
            cards.append(Card(label, "n/a", "数据源未记录此结局 (not recorded by the source)", "warn"))
            continue
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
    for kpi, why in (k.get("not_measured") or {}).items():
        label = next((lab for f, lab, *_ in KPI_FIELDS if f == kpi), kpi)
        parts.append(note(f"{label}: n/a — 数据源没有记录这一结局，无法测量，并非 0%（{why}）", "warn"))
    seg = k.get("by_segment") or {}
    if isinstance(seg, dict) and seg:
        rows = []
        for name, s in seg.items():
            if isinstance(s, dict):
                rows.append({"segment": name, **{f: s.get(f) for f, *_ in KPI_FIELDS}})
        df = pd.DataFrame(rows).sort_values("calls", ascending=False)
        shares = {OUTCOME_LABELS[o]: df[f"{col}"].fillna(0).tolist()
                  for o, col in (("complete", "self_service_rate"), ("transfer", "transfer_rate"),
                                 ("hangup", "abandon_rate"), ("unknown", "unknown_end_rate"))
                  if col in df and col not in (k.get("not_measured") or {})}
        colors = {OUTCOME_LABELS[o]: c for o, c in OUTCOME_COLORS.items()}
        parts.append("<h3>按客户群 By segment</h3>")
        parts.append(chart_block(charts.stacked_share_chart(df["segment"].tolist(), shares, colors=colors,
                                                            title="各客户群来电结局 Call outcomes by segment")))
        cols = {"segment": "客户群 segment", **{f: lab for f, lab, *_ in KPI_FIELDS}}
        na = k.get("not_measured") or {}
        fmts = {f: ((lambda v: "n/a") if f in na else fmt) for f, _, fmt, _ in KPI_FIELDS}
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

HOTSPOT_TYPES = {"drop_off": ("挂机热点 Drop-off points (hangups)", COLORS["hangup"]),
                 "transfer": ("要求转人工热点 Transfer points (transfer_requests: where the caller asked for an agent)",
                              COLORS["transfer"])}


def _example_link(src: OutputDir):
    """Row → anchor of its examples (None when examples.csv lacks the hot spot)."""
    ex = optional(lambda: src.table("examples.csv", need=["type", "node"]))
    have = set(zip(ex["type"].astype(str), ex["node"].astype(str))) if ex is not None else set()
    return lambda r: anchor_id(r.get("type"), r.get("node")) if (str(r.get("type")), str(r.get("node"))) in have \
        else None


def hotspot_section(src: OutputDir) -> str:
    hs = src.table("hotspots.csv", need=["node", "count"])
    label_col = pick(hs, "label", default="node")
    typ_col = pick(hs, "type")
    link = _example_link(src)
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
        if "peak_hours" in d.columns:
            d["examples"] = "查看示例"
        cols = {"label": "节点 node", "node": "ID", "depth": "层级", "calls": "经过来电", "count": "次数",
                "rate": "比例", "rate_lower": "比例下限 (Wilson)", "rank_by_count": "次数排名",
                "rank_by_rate": "比例排名", "peak_hours": "集中时段", "peak_hours_rate": "该时段比例",
                "other_hours_rate": "其他时段比例", "only_at_peak_hours": "仅在该时段突出", "examples": "示例"}
        d = d.assign(type=typ) if "type" not in d.columns else d
        parts.append(table(d, cols, formats={"rate": "pct", "rate_lower": "pct", "peak_hours_rate": "pct",
                                             "other_hours_rate": "pct", "peak_hours": "text"}, max_rows=15,
                           bars={"rate": color}, links={"examples": link, "label": link}))
    parts.append(note("比例排名使用 Wilson 下限并只计入达到最小来电量的节点，少量来电的节点不会排在前面。"
                      "转人工热点按来电者要求转人工的节点计（transfer_requests）：从排队或人工节点接入的来电记在来电者离开的菜单上。"
                      "集中时段：该节点的比例在这些连续小时显著高于其他时段（扫描检验，Bonferroni 校正）。"
                      " Rate ranks use the Wilson lower bound over nodes with enough calls; peak hours are runs of hours"
                      " whose rate stands out (scan test, Bonferroni-corrected)."))
    return "".join(parts)


_OUTCOME_ZH = {"complete": "自助完成", "transfer": "转人工", "hangup": "挂机", "unknown": "未知结束"}


def examples_section(src: OutputDir) -> str:
    ex = src.table("examples.csv", need=["type", "node", "call_id"])
    if ex.empty:
        return note("没有热点示例 (no hot spot examples).")
    parts = []
    cols = {"example": "#", "call_id": "来电 ID", "caller": "主叫（脱敏）", "start": "开始时间", "path": "路径",
            "seconds": "时长", "outcome": "结局", "in_peak_hours": "集中时段内"}
    for (typ, nid), d in ex.groupby(["type", "node"], sort=False):
        title = HOTSPOT_TYPES.get(str(typ), (str(typ), ""))[0].split(" (")[0]
        lab = d["label"].iloc[0] if "label" in d.columns else nid
        d = d.assign(caller=[masked(v) for v in d.get("caller", [""] * len(d))],
                     outcome=[_OUTCOME_ZH.get(str(v), str(v)) for v in d["outcome"]] if "outcome" in d else "")
        parts.append(details(anchor_id(typ, nid), f"{title} · {lab}",
                             table(d, cols, formats={"seconds": fmt_seconds, "start": "text"}, max_rows=12),
                             hint=f"{len(d):,} 通示例来电 example calls · 点击展开 click to open"))
    parts.append(note("示例在各热点的全部来电中按时间均匀抽取（首、尾及其间）；有集中时段的热点另加该时段内的示例。"
                      "主叫号码只保留首尾几位。Examples are spread over each hot spot's calls in time order; callers are masked."))
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
    """Share of calls through a node that asked for an agent from it (``transfer_request_rate``)."""
    rate = _f(r.get("transfer_request_rate"))
    if not math.isnan(rate):
        return rate
    req, calls = _f(r.get("transfer_requests")), _f(r.get("calls"))
    return req / calls if calls > 0 and not math.isnan(req) else math.nan


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
                            title="菜单树：底色 = 挂机率，右侧色条 = 在此要求转人工率，连线粗细 = 来电量")
    cap = ("悬停在节点上查看来电量、挂机率、在此要求转人工率、按键顺序等明细。Hover a node for its figures; the bar is "
           "the transfer-request rate (transfer_requests / calls).")
    cols = {"label": "节点", "node": "ID", "depth": "层级", "position": "顺序", "calls": "经过来电",
            "hangup_rate": "挂机率", "transfer_requests": "在此要求转人工", "transfer_request_rate": "在此要求转人工率",
            "agent_transfers": "在此接入人工", "agent_transfer_rate": "在此接入人工率", "no_input": "无输入",
            "no_match": "误按", "loops": "重复进入", "mean_seconds": "平均停留"}
    df = nodes.copy()
    if "calls" in df.columns:
        df = df.sort_values("calls", ascending=False, key=lambda s: pd.to_numeric(s, errors="coerce"))
    tbl = table(df[~df["node"].astype(str).str.startswith("END:")], cols,
                formats={"hangup_rate": "pct", "transfer_request_rate": "pct", "agent_transfer_rate": "pct",
                         "mean_seconds": fmt_seconds},
                max_rows=40, bars={"hangup_rate": COLORS["hangup"], "transfer_request_rate": COLORS["transfer"]})
    return chart_block(svg, cap) + tbl + note(
        "转人工按两种口径计：「在此要求转人工」记在来电者按 0 或要求人工的节点（热点与建议用此口径），"
        "「在此接入人工」记在实际接入人工的节点（人工或排队节点）。Transfers: transfer_requests at the node the caller "
        "asked from (used by hot spots and advice); agent_transfers at the node where the call reached an agent.")


# ------------------------------------------------------------------------------------------ advice


def advice_section(src: OutputDir) -> str:
    rec = src.table("recommendations.csv", need=["reason"])
    if rec.empty:
        return note("没有需要调整的菜单项 (no redesign advice: no change is net-positive with confidence, no node met "
                    "the thresholds).")
    action = pick(rec, "action_label", "action")
    cols = {"rank": "#", **({action: "建议 action"} if action else {}), "label": "节点", "depth": "层级",
            "current_position": "现位置", "proposed_position": "建议位置", "calls": "来电",
            "callers_affected": "受影响来电", "net_seconds_per_call": "每通净省秒数",
            "net_seconds_per_call_low": "净省下限", "option_seconds": "每选项秒数",
            "option_seconds_source": "秒数来源", "peak_hours": "集中时段", "proposed": "调整为", "reason": "原因 reason"}
    parts = []
    sec = pick(rec, "net_seconds_per_call")
    if sec:
        changes = rec[numeric(rec, sec).notna()]
        if len(changes):
            lab = changes[pick(changes, "label", "node", default="reason")].astype(str)
            act = changes[action].astype(str) if action else pd.Series([""] * len(changes), index=changes.index)
            parts.append(chart_block(charts.bar_chart(
                (lab + " · " + act).tolist()[:12], numeric(changes, sec).tolist()[:12], colors=COLORS["good"],
                value_fmt=lambda v: f"{float(v):.2f} 秒",
                title="每通进入该菜单的来电净省秒数 Net seconds saved per call entering the menu")))
    src_zh = {"measured": "日志实测", "config": "配置默认值"}
    shown = rec.assign(**({"option_seconds_source": rec["option_seconds_source"].map(
        lambda v: src_zh.get(str(v), "" if is_missing(v) else str(v)))} if "option_seconds_source" in rec else {}))
    parts.append(table(shown, cols, formats={"net_seconds_per_call": "float", "net_seconds_per_call_low": "float",
                                             "option_seconds": "float", "current_position": "int",
                                             "proposed_position": "int", "callers_affected": "int",
                                             "peak_hours": "text"},
                       max_rows=30, numeric_align=True))
    parts.append(note("每条改动都按同一模型计算净效果：前移选项的来电者少听的秒数减去被挤后的来电者多听的秒数"
                      "（提升为一级选项时，一级菜单多一个选项，其后的来电者各多听一个选项）；只有在置信下限仍为正时才建议。"
                      " One model for every change: seconds saved by callers who move up minus seconds lost by those "
                      "pushed down; advised only when the lower confidence bound is still positive."))
    return "".join(parts)


def timing_section(src: OutputDir) -> str:
    t = src.table("option_timings.csv", need=["menu", "option_seconds"])
    if t.empty:
        return note("日志中没有可用于测量的按键选择 (no clean selections to measure).")
    src_zh = {"measured": "日志实测", "config": "配置默认值"}
    t = t.assign(source=t["source"].map(lambda v: src_zh.get(str(v), str(v))) if "source" in t else "")
    cols = {"label": "菜单", "menu": "ID", "option_seconds": "每选项秒数", "option_seconds_se": "标准误",
            "intercept_seconds": "首个选项前秒数", "selections": "测量的选择次数", "outliers": "剔除的异常值",
            "positions": "位置数", "source": "来源"}
    measured = (t["source"] == "日志实测").sum()
    return (table(t, cols, formats={"option_seconds": "float", "option_seconds_se": "float",
                                    "intercept_seconds": "float", "selections": "int"}, max_rows=40)
            + note(f"{measured} / {len(t)} 个菜单的每选项秒数由日志测得：从进入菜单到按键的秒数对所选选项的位置做回归"
                   "（每个选项按四分位距剔除异常值，异方差稳健标准误）；其余使用配置默认值。"
                   " Seconds per option: slope of the time from entering a menu to the key press on the chosen "
                   "option's position (outliers screened per option, HC0 standard error); config value otherwise."))


def time_section(src: OutputDir) -> str:
    h = src.table("by_hour.csv", need=["hour", "calls"])
    k = optional(lambda: src.json("kpis.json")) or {}
    queues = "queue_calls" in h.columns and numeric(h, "queue_calls").fillna(0).sum() > 0
    series = []
    for col, name, color in (("abandon_rate", "放弃率 abandon", COLORS["hangup"]),
                             ("ivr_hangup_rate", "菜单内挂机率 IVR hang-up", "#f28e2b"),
                             ("transfer_rate", "转人工率 transfer", COLORS["transfer"]),
                             ("queue_abandon_rate", "排队放弃率 queue abandon", "#b07aa1"),
                             ("self_service_rate", "自助解决率 self-service", COLORS["complete"])):
        if col in h.columns and numeric(h, col).notna().any() and (queues or not col.startswith("queue")):
            series.append(charts.Series(name, numeric(h, col).tolist(), color))
    series.append(charts.Series("来电量 calls", numeric(h, "calls").tolist(), "#bab0ac", axis="right", kind="bar"))
    parts = [chart_block(charts.line_chart([f"{int(v):02d}" for v in h["hour"]], series,
                                           title="按小时 By hour of day (0–23)", y_fmt=fmt_pct, y2_fmt=fmt_int,
                                           y_label="比例", y2_label="来电", x_title="小时 hour", y2_min=0.0))]
    peaks = k.get("peak_hours") or []
    for p in peaks:
        parts.append(note(f"{p.get('measure', p.get('column'))}：{p.get('hours')} 为 {fmt_pct(p.get('peak_rate'))}，"
                          f"其他时段 {fmt_pct(p.get('other_rate'))}（{fmt_int(p.get('calls'))} 通来电）", "warn"))
    fmts = {c: "pct" for c in ("self_service_rate", "transfer_rate", "abandon_rate", "ivr_hangup_rate",
                               "queue_abandon_rate")}
    fmts["mean_call_seconds"] = fmt_seconds
    cols = {"calls": "来电", "self_service_rate": "自助解决率", "transfer_rate": "转人工率", "abandon_rate": "放弃率",
            "ivr_hangup_rate": "菜单内挂机率", "queue_calls": "排队来电", "queue_abandon_rate": "排队放弃率",
            "mean_call_seconds": "平均时长"}
    na = set(k.get("not_measured") or {})
    cols = {c: v for c, v in cols.items() if c not in na and (queues or not c.startswith("queue"))}
    parts.append(table(h, {"slot": "时段", **cols}, formats=fmts, max_rows=24,
                       bars={"abandon_rate": COLORS["hangup"]}))
    w = optional(lambda: src.table("by_weekday.csv", need=["weekday", "calls"]))
    if w is not None:
        parts.append("<h3>按星期 By weekday</h3>" + table(w, {"day": "星期", **cols}, formats=fmts, max_rows=7))
    p = optional(lambda: src.table("by_period.csv", need=["period", "calls"]))
    if p is not None and len(p):
        unit = {"day": "按日", "week": "按周", "month": "按月"}.get(str(p["unit"].iloc[0]) if "unit" in p else "", "按期")
        parts.append(f"<h3>{esc(unit)} By period</h3>" + table(p, {"period": "期间", **cols}, formats=fmts,
                                                               max_rows=62))
    if na:
        parts.append(note("数据源未记录的指标不显示 (n/a): " + ", ".join(sorted(na))))
    return "".join(parts)


_SCOPE_ZH = {"kpi": "指标", "node": "节点", "transition": "转移"}
_MEASURE_ZH = {"share of calls": "来电占比", "reach": "经过比例 reach", "hangup_rate": "挂机率",
               "transfer_request_rate": "在此要求转人工率", "share of the node's next steps": "下一步占比",
               "mean seconds (Welch)": "平均秒数（Welch）", "share of identified callers' calls": "24 小时重复来电率"}


def compare_section(src: OutputDir) -> str:
    c = src.table("compare.csv", need=["scope", "item", "a_rate", "b_rate", "p_adjusted"])
    meta = optional(lambda: src.json("compare.json")) or {}
    g = meta.get("groups") or {}
    a, b = (g.get("a") or {}).get("name", "A"), (g.get("b") or {}).get("name", "B")
    seconds = (c["measure"].astype(str).str.startswith("mean seconds") if "measure" in c
               else pd.Series(False, index=c.index))
    rate = lambda col: [fmt_float(v) if s else fmt_pct(v) for v, s in zip(c[col], seconds)]  # noqa: E731
    kpi_zh = {f: lab for f, lab, *_ in KPI_FIELDS} | {"mean_call_seconds": "平均通话时长 mean call seconds"}
    shown = c.assign(a=rate("a_rate"), b=rate("b_rate"), diff=rate("difference"),
                     ci=[f"[{x} , {y}]" for x, y in zip(rate("ci_low"), rate("ci_high"))],
                     scope=c["scope"].map(lambda v: _SCOPE_ZH.get(str(v), str(v))),
                     label=[kpi_zh.get(str(lab), str(lab)) if sc == "kpi" else lab
                            for lab, sc in zip(c.get("label", c["item"]), c["scope"])],
                     measure=c["measure"].map(lambda v: _MEASURE_ZH.get(str(v), str(v))) if "measure" in c else "")
    cols = {"scope": "范围", "label": "项目", "measure": "指标", "a": f"A {a}", "b": f"B {b}", "diff": "差 A−B",
            "ci": "95% 置信区间", "p_adjusted": "校正后 p 值", "significant": "显著"}
    n_sig = int(c["significant"].astype(str).str.lower().isin(["true", "1"]).sum()) if "significant" in c else 0
    head = (f"A = {a}（{fmt_int((g.get('a') or {}).get('calls'))} 通），B = {b}（{fmt_int((g.get('b') or {}).get('calls'))} 通）："
            f"比较 {len(c):,} 项，{n_sig:,} 项差异显著（Benjamini–Hochberg 校正后 p < 0.05）")
    return note(head) + table(shown, cols, formats={"p_adjusted": lambda v: "–" if is_missing(v) else f"{float(v):.2g}"},
                              max_rows=40)


def conformance_section(src: OutputDir) -> str:
    c = src.table("conformance.csv", need=["node", "deviations"])
    k = optional(lambda: src.json("kpis.json")) or {}
    s = k.get("conformance") or {}
    parts = []
    if s:
        parts.append(kpi_cards([Card("符合设计的来电 fitness", fmt_pct(s.get("fitness")),
                                     f"{fmt_int(s.get('calls_with_deviations'))} 通来电有偏离"),
                                *[Card(lab, fmt_int(s.get(key)), key) for key, lab in
                                  (("unknown_key", "未知按键"), ("wrong_key", "按键与选项不符"),
                                   ("skipped_level", "跳过层级"), ("jump", "跳转"), ("unknown_node", "菜单外节点"))]]))
    dev = c[numeric(c, "deviations") > 0]
    cols = {"label": "节点", "node": "ID", "calls": "经过来电", "unknown_key": "未知按键", "wrong_key": "按键不符",
            "skipped_level": "跳过层级", "jump": "跳转", "unknown_node": "菜单外节点", "deviations": "偏离合计",
            "deviation_rate": "偏离/来电"}
    parts.append(table(dev, cols, formats={"deviation_rate": "pct"}, max_rows=30) if len(dev)
                 else note("所有来电都符合设计的菜单 (every call follows the designed menu)."))
    ex = optional(lambda: src.table("conformance_examples.csv", need=["deviation", "node"]))
    if ex is not None and len(ex):
        parts.append("<h3>偏离示例 Examples</h3>" + table(ex, {"deviation": "偏离", "node": "节点", "call_id": "来电 ID",
                                                            "ts": "时间", "from_node": "从", "to_node": "到",
                                                            "key": "按键"}, formats={"ts": "text", "key": "text"},
                                                       max_rows=30))
    return "".join(parts)


def ivr_headline(ivr_dir) -> tuple[str, list[str]]:
    """(headline, lines) for the index card."""
    try:
        k = OutputDir(ivr_dir).json("kpis.json")
    except MissingData as exc:
        return "–", [str(exc)]
    ssr = "n/a" if "self_service_rate" in (k.get("not_measured") or {}) else fmt_pct(k.get("self_service_rate"))
    return (f"自助解决率 {ssr}",
            [f"来电 {fmt_int(k.get('calls'))} 通", f"转人工 {fmt_pct(k.get('transfer_rate'))} · "
             f"放弃 {fmt_pct(k.get('abandon_rate'))}", f"自助平均 {fmt_seconds(k.get('mean_self_service_seconds'))}"])

