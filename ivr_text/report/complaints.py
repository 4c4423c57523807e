"""The complaints page: cause distribution with masked examples, the evaluation (metrics and confusion matrix),
trend lines per cause with alerts marked, emerging terms, and topics.

Reads the outputs of ``classify predict/evaluate`` (predictions with ``cause, confidence``; ``metrics.json``,
``confusion.csv``), ``trends`` (``counts.csv``, ``alerts.csv``, ``emerging_terms.csv``) and ``topics``
(``topics.csv``) from one directory or its sub-directories; each missing file omits its section with a note.
Every example text is PII-masked and escaped.
"""

from __future__ import annotations

import pandas as pd

from ivr_text.report import charts
from ivr_text.report.html import (COLORS, PALETTE, Card, Page, anchor_id, chart_block, details, esc, fmt_float,
                                  fmt_int, fmt_pct, grid, is_missing, kpi_cards, note, table)
from ivr_text.report.kit import examples_html, guarded, masked, nav_for
from ivr_text.report.sources import MissingData, OutputDir, numeric, optional, pick, read_any

PREDICTION_FILES = ("predictions.csv", "predicted.csv", "classified.csv", "predictions.parquet")


def complaints_page(complaints_dir, *, nav: list[tuple[str, str]] | None = None, strict: bool = False,
                    max_causes: int = 10) -> Page:
    """Build the complaints page from classification, trend and topic outputs under one directory."""
    src = OutputDir(complaints_dir)
    page = Page("投诉分析 · Complaint causes, trends and topics",
                "客户为什么投诉，哪些原因在上升，分类器有多可靠？ (Why do customers complain, what is rising?)",
                nav=nav or nav_for(["complaints"]))
    if not src.exists:
        page.add(guarded("投诉", "", lambda: note(f"目录不存在 (directory not found): {complaints_dir}", "warn")))
        return page
    page.add(guarded("投诉原因分布 Cause distribution", "各类投诉原因占多少？分类置信度如何？",
                     lambda: distribution_section(src, max_causes), anchor="causes", strict=strict))
    page.add(guarded("领域偏移 Domain shift", "这批工单与训练模型所用的工单相似吗？分类结果是否可信？",
                     lambda: shift_section(src), anchor="shift", strict=strict))
    page.add(guarded("分类效果 Classifier evaluation", "分类结果与人工标注的一致程度如何？哪些类别容易混淆？",
                     lambda: evaluation_section(src), anchor="evaluation", strict=strict))
    page.add(guarded("趋势与告警 Trends and alerts", "哪类投诉高于自身基线，何时开始上升？",
                     lambda: trends_section(src, max_causes), anchor="trends", strict=strict))
    page.add(guarded("新兴词 Emerging terms", "哪些词此前少见、最近频繁出现？",
                     lambda: emerging_section(src), anchor="emerging", strict=strict))
    page.add(guarded("主题 Topics", "投诉文本中有哪些分类体系之外的主题？",
                     lambda: topics_section(src), anchor="topics", strict=strict))
    return page


# ------------------------------------------------------------------------------------------ predictions


def _evaluation_predictions(src: OutputDir):
    """When ``classify predict`` output sits beside ``classify evaluate`` output, the evaluation's out-of-fold
    predictions (next to its ``metrics.json``) are set aside for the distribution: the one predictions run."""
    hits = [p for p in src.files("predictions.csv")]
    beside = [p for p in hits if (p.parent / "metrics.json").is_file()]
    if beside and len(hits) - len(beside) == 1:
        return lambda p: (p.parent / "metrics.json").is_file()
    return None


def find_predictions(src: OutputDir) -> pd.DataFrame:
    """The predictions table: a known file name, else any table there with ``cause`` and ``confidence``.

    Two predictions files of the same kind under the folder are refused (:class:`~.sources.MixedRuns`)."""
    try:
        return src.table(*PREDICTION_FILES, need=["cause"], skip=_evaluation_predictions(src))
    except MissingData:
        pass
    for path in src.files("*.csv") + src.files("*.parquet"):
        if path.name.startswith(("rejected_", "counts", "alerts", "topics", "confusion", "emerging")):
            continue
        try:
            head = read_any(path, nrows=5)
        except MissingData:
            continue
        if {"cause", "confidence"} <= set(head.columns):
            df = read_any(path)
            df.attrs["source"] = str(path)
            return df
    raise MissingData("no predictions (a table with 'cause' and 'confidence' columns) found")


def distribution_section(src: OutputDir, max_causes: int) -> str:
    pred = find_predictions(src)
    counts = pred["cause"].fillna("(未分类)").astype(str).value_counts()
    n = int(counts.sum())
    parts = []
    conf = numeric(pred, "confidence") if "confidence" in pred.columns else None
    review_col = pick(pred, "needs_review", "review")
    cards = [Card("工单数 complaints", fmt_int(n)), Card("原因类别 causes", fmt_int(len(counts))),
             Card("最多 top cause", str(counts.index[0]) if len(counts) else "–",
                  fmt_pct(counts.iloc[0] / n) if n else "")]
    if conf is not None and conf.notna().any():
        cards.append(Card("平均置信度 mean confidence", fmt_pct(conf.mean())))
    if review_col:
        flagged = pred[review_col].astype(str).str.lower().isin(["true", "1", "yes"]).sum()
        cards.append(Card("需人工复核 for review", fmt_int(flagged), fmt_pct(flagged / n) if n else "", "warn"))
    parts.append(kpi_cards(cards))
    top = counts.head(max_causes)
    tips = []
    for cause, c in top.items():
        tip = f"{cause}: {c:,} ({c / n:.1%})"
        if conf is not None:
            tip += f", mean confidence {conf[pred['cause'].astype(str) == cause].mean():.2f}"
        tips.append(tip)
    parts.append(chart_block(charts.bar_chart(top.index.tolist(), top.tolist(), title="各原因工单数 Complaints by cause",
                                              value_fmt=lambda v: f"{fmt_int(v)} ({v / n:.1%})" if n else fmt_int(v),
                                              colors=list(PALETTE), tooltips=tips)))
    if len(counts) > max_causes:
        parts.append(note(f"另有 {len(counts) - max_causes} 个原因未画出 (more causes not drawn)."))
    if conf is not None and conf.notna().any():
        bins = [i / 10 for i in range(11)]
        hist = pd.cut(conf.clip(0, 1), bins=bins, include_lowest=True).value_counts(sort=False)
        parts.append(chart_block(charts.line_chart(
            [f"{b:.1f}–{b + 0.1:.1f}" for b in bins[:-1]], [charts.Series("工单数", hist.tolist(), kind="bar")],
            title="置信度分布 Confidence distribution", height=240, y_fmt=fmt_int, legend=False)))
    text_col = pick(pred, "text", "content", "complaint")
    family_col = pick(pred, "family", "root_cause_family", "cause_family")
    if text_col:
        rows = []
        order = pred.assign(_c=conf if conf is not None else 0).sort_values("_c", ascending=False)
        for cause in top.index:
            sub = order[order["cause"].astype(str) == cause]
            rows.append(f'<tr><td><a href="#{esc(anchor_id("cause", cause))}">{esc(cause)}</a></td>'
                        f"<td>{esc(sub[family_col].iloc[0]) if family_col and len(sub) else ''}</td>"
                        f"<td>{examples_html(sub[text_col].head(6).tolist(), 2)}</td></tr>")
        parts.append('<h3>示例 Examples (已脱敏 PII masked)</h3><div class="table-wrap"><table><thead><tr>'
                     "<th>原因 cause</th><th>根因族 family</th><th>高置信度示例</th></tr></thead>"
                     f"<tbody>{''.join(rows)}</tbody></table></div>")
        parts.append("<h3>按原因查看工单 Drill down by cause</h3>" + cause_examples(pred, counts.index, text_col, conf))
    return "".join(parts)


# ------------------------------------------------------------------------------------------ domain shift


def shift_section(src: OutputDir) -> str:
    """The domain-shift check of ``classify predict`` (``domain_shift.json``) or ``classify evaluate``
    (``metrics.json``'s ``domain_shift``)."""
    shift = optional(lambda: src.json("domain_shift.json"))
    if shift is None:
        m = optional(lambda: src.json("metrics.json")) or {}
        shift = m.get("domain_shift") if isinstance(m.get("domain_shift"), dict) else None
    if shift is None:
        raise MissingData("domain_shift.json not found (written by `ivr-text classify predict --model …`), and "
                          "metrics.json has no domain_shift")
    warn = bool(shift.get("warning"))
    cards = [Card("检查的工单 texts checked", fmt_int(shift.get("n"))),
             Card("生僻字符对比例 unseen rate", fmt_pct(shift.get("unseen_rate")),
                  f"训练集约 {fmt_pct(shift.get('expected_rate'), 0)} expected", "bad" if warn else "good"),
             Card("低置信度比例 low confidence", fmt_pct(shift.get("low_confidence_rate")), "", "warn" if warn else "")]
    msg = shift.get("message") or ""
    verdict = ("与训练数据明显不同：分类结果需谨慎使用，建议抽样复核或用本批数据重新训练。" if warn
               else "与训练数据相近。")
    return kpi_cards(cards) + note(f"{verdict} {msg}", "warn" if warn else "info")


# ------------------------------------------------------------------------------------------ evaluation


def confusion_frame(src: OutputDir, metrics: dict | None) -> pd.DataFrame:
    """Confusion matrix as a square DataFrame (rows = true label, columns = predicted)."""
    try:
        df = src.table("confusion.csv")
        first = df.columns[0]
        if not pd.api.types.is_numeric_dtype(df[first]) or str(first).lower() in ("true", "label", "actual", ""):
            df = df.set_index(first)
        df.index = df.index.astype(str)
        df.columns = df.columns.astype(str)
        return df.apply(pd.to_numeric, errors="coerce")
    except MissingData:
        if metrics and metrics.get("confusion_matrix") and metrics.get("labels"):
            labs = [str(x) for x in metrics["labels"]]
            return pd.DataFrame(metrics["confusion_matrix"], index=labs, columns=labs)
        raise


def per_class_frame(metrics: dict) -> pd.DataFrame:
    pc = metrics.get("per_class")
    if isinstance(pc, dict):
        return pd.DataFrame([{"class": k, **(v if isinstance(v, dict) else {"f1": v})} for k, v in pc.items()])
    if isinstance(pc, list):
        return pd.DataFrame(pc)
    return pd.DataFrame()


def evaluation_section(src: OutputDir) -> str:
    try:
        metrics = src.json("metrics.json", "evaluation.json")
    except MissingData:
        metrics = None
    parts = []
    if metrics:
        cards = []
        for key, label in (("n", "评估工单 evaluated"), ("accuracy", "准确率 accuracy"), ("macro_f1", "宏平均 F1"),
                           ("weighted_f1", "加权 F1")):
            v = metrics.get(key)
            if v is not None:
                cards.append(Card(label, fmt_int(v) if key == "n" else fmt_pct(v)))
        method = metrics.get("method") or metrics.get("mode") or metrics.get("evaluated")
        parts.append(kpi_cards(cards))
        if method:
            parts.append(note(f"评估方式 (method): {method}"))
        pcf = per_class_frame(metrics)
        if not pcf.empty:
            cols = {c: c for c in pcf.columns}
            cols.update({"class": "类别 class", "precision": "精确率", "recall": "召回率", "f1": "F1",
                         "support": "样本数"})
            parts.append(table(pcf, cols, formats={"precision": "pct", "recall": "pct", "f1": "pct",
                                                   "f1-score": "pct"}, bars={"f1": COLORS["accent"]}))
    try:
        cm = confusion_frame(src, metrics)
        parts.append(chart_block(charts.heatmap(cm.values.tolist(), cm.index.tolist(), cm.columns.tolist(),
                                                title="混淆矩阵 Confusion matrix", row_title="真实 true",
                                                col_title="预测 predicted", value_fmt=fmt_int),
                                 "颜色深浅 = 占该真实类别的比例；对角线为正确分类。"))
    except MissingData as exc:
        if not parts:
            raise MissingData(f"no evaluation outputs (metrics.json / confusion.csv): {exc}") from None
        parts.append(note(f"混淆矩阵省略: {exc}"))
    return "".join(parts)


# ------------------------------------------------------------------------------------------ trends


def counts_wide(counts: pd.DataFrame) -> pd.DataFrame:
    """Counts per period × cause as a wide frame (index period, one column per cause), long or wide input."""
    period = pick(counts, "period", "date", "week", "month", "day")
    if period is None:
        raise MissingData("counts.csv has no 'period' column")
    cause = pick(counts, "cause", "label", "group", "topic")
    value = pick(counts, "count", "n", "complaints")
    if cause and value:
        wide = counts.pivot_table(index=period, columns=cause, values=value, aggfunc="sum", fill_value=0)
    else:
        num = [c for c in counts.columns if c != period and pd.api.types.is_numeric_dtype(counts[c])]
        if not num:
            raise MissingData("counts.csv has no count columns")
        wide = counts.set_index(period)[num]
    wide.index = wide.index.astype(str)
    wide.columns = wide.columns.astype(str)
    return wide.sort_index()


def trend_panels(wide: pd.DataFrame, shown: list[str], markers: list) -> str:
    """Small multiples: one line chart per cause (most complaints first), all on the same y scale."""
    periods = wide.index.tolist()
    top = float(wide[shown].max().max()) if len(shown) else 0.0
    cells = []
    for i, c in enumerate(shown):
        mk = [m for m in markers if m.series == c]
        svg = charts.line_chart(periods, [charts.Series(c, wide[c].tolist(), color=PALETTE[i % len(PALETTE)])],
                                width=460, height=200, y_fmt=fmt_int, markers=mk, legend=False, y_max=top)
        alerts = f" · 告警 {len(mk)} alerts" if mk else ""
        cells.append((f"{c} · 共 {fmt_int(wide[c].sum())} 条{alerts}", svg))
    return grid(cells)


def cause_examples(pred: pd.DataFrame, causes, text_col: str, conf, per_cause: int = 8) -> str:
    """Drill-down per cause: its highest-confidence complaints, masked (one closed ``<details>`` each)."""
    order = pred.assign(_c=conf if conf is not None else 0).sort_values("_c", ascending=False)
    blocks = []
    for cause in causes:
        sub = order[order["cause"].astype(str) == str(cause)]
        items = "".join(f"<li>{esc(masked(t, 300))}"
                        + (f' <span class="hint">置信度 {fmt_pct(c)}</span>' if not is_missing(c) else "") + "</li>"
                        for t, c in zip(sub[text_col].head(per_cause), sub["_c"].head(per_cause)) if masked(t))
        blocks.append(details(anchor_id("cause", cause), f"{cause}", f'<ul class="examples">{items}</ul>',
                              hint=f"{len(sub):,} 条工单 complaints · 前 {min(per_cause, len(sub))} 条高置信度示例（已脱敏）"))
    return "".join(blocks)


def trends_section(src: OutputDir, max_causes: int) -> str:
    counts = src.table("counts.csv")
    wide = counts_wide(counts)
    order = wide.sum().sort_values(ascending=False).index.tolist()
    shown = order[:max_causes]
    if len(order) > max_causes:
        wide = wide.assign(**{"其他 other": wide[order[max_causes:]].sum(axis=1)})
        shown.append("其他 other")
    alerts = optional(lambda: src.table("alerts.csv"))
    markers = []
    periods = wide.index.tolist()
    if alerts is not None and len(alerts):
        pcol = pick(alerts, "period", "date", "week", "month", "day")
        ccol = pick(alerts, "cause", "label", "group", "topic")
        for _, r in alerts.iterrows():
            p, c = str(r.get(pcol)), str(r.get(ccol)) if ccol else None
            if p in periods and c in shown:
                ratio = r.get("ratio")
                markers.append(charts.Marker(c, periods.index(p), f"告警 alert: {c} {p}: {fmt_int(r.get('count'))}"
                                             f" vs baseline {fmt_float(r.get('baseline'))}"
                                             + (f" (×{float(ratio):.1f})" if not is_missing(ratio) else "")))
    parts = [trend_panels(wide, shown, markers),
             note("每个原因一个小图，纵轴刻度相同，可直接比较高低；红点 = 告警：该原因显著高于其自身的近期基线。"
                  " One panel per cause on a shared scale; red dots mark alerts (悬停查看 hover for figures).")]
    if alerts is None:
        parts.append(note("alerts.csv not found: no alerts marked."))
    elif alerts.empty:
        parts.append(note("没有告警 (no cause rose significantly above its baseline)."))
    else:
        al = alerts.copy()
        ex_col = pick(al, "examples", "example", "example_texts")
        if ex_col:
            al[ex_col] = al[ex_col].map(lambda t: masked(t, 160))
        cols = {"period": "时间 period", "cause": "原因 cause", "count": "投诉数", "baseline": "基线 baseline",
                "ratio": "倍数 ratio", "p_value": "p 值", "q_value": "q 值 (BH)", "z": "z", "z_score": "z",
                "significance": "显著性", "what_changed": "变化词 what changed (now/before)",
                ex_col or "examples": "示例 (已脱敏)"}
        if "what_changed" in al:
            al["what_changed"] = al["what_changed"].map(lambda t: masked(t, 120) if isinstance(t, str) else "")
        p_fmt = lambda v: "–" if is_missing(v) else f"{float(v):.2g}"  # noqa: E731
        pred = optional(lambda: find_predictions(src))
        drillable = set(pred["cause"].astype(str)) if pred is not None and pick(pred, "text", "content",
                                                                                    "complaint") else set()
        ccol = pick(al, "cause", "label", "group", "topic")
        link = (lambda r: anchor_id("cause", r[ccol]) if str(r[ccol]) in drillable else None)  # noqa: E731
        parts.append(table(al, cols, formats={"baseline": "float", "ratio": "float", "p_value": p_fmt,
                                              "q_value": p_fmt}, max_rows=30,
                           links={ccol: link} if ccol else None))
        if drillable:
            parts.append(note("点击告警的原因查看该原因的示例工单（已脱敏）。Click a cause to see its example complaints."))
    return "".join(parts)


def emerging_section(src: OutputDir) -> str:
    em = src.table("emerging_terms.csv")
    if em.empty:
        return note("没有新兴词 (no emerging terms met the thresholds).")
    term = pick(em, "term", "word", "token")
    score = pick(em, "log_odds", "z", "score", "zscore", "ratio")
    parts = []
    if term and score:
        top = em.assign(_s=numeric(em, score)).sort_values("_s", ascending=False).drop_duplicates(term).head(15)
        parts.append(chart_block(charts.bar_chart([masked(t, 30) for t in top[term]], top["_s"].tolist(),
                                                  title=f"新兴词 Emerging terms ({score})", colors=COLORS["warn"],
                                                  value_fmt=fmt_float)))
    shown = em.copy()
    if term:
        shown[term] = shown[term].map(lambda t: masked(t, 40))
    for c in shown.columns:
        if shown[c].dtype == object and c != term:
            shown[c] = shown[c].map(lambda t: masked(t, 120) if isinstance(t, str) else t)
    parts.append(table(shown, None, max_rows=30))
    return "".join(parts)


# ------------------------------------------------------------------------------------------ topics


def topics_section(src: OutputDir) -> str:
    tp = src.table("topics.csv", need=["top_words"])
    scope_col = pick(tp, "scope")
    overall = tp[tp[scope_col].astype(str) == "all"] if scope_col else tp
    if overall.empty:
        overall = tp
    parts = []
    if (info := optional(lambda: src.json("topics.json"))) is not None:
        a = info.get("all", {}) if isinstance(info.get("all"), dict) else info
        cards = [Card("主题数 topics", fmt_int(a.get("k"))),
                 Card(f"一致性 coherence ({a.get('coherence_measure', '')})", fmt_float(a.get("coherence"), 3)),
                 Card("文本数 texts", fmt_int(a.get("n_texts")))]
        parts.append(kpi_cards([c for c in cards if c.value != "–"]))
    share = pick(overall, "share", "mass")
    if share:
        labels = [f"#{t} " + " ".join(str(w).split()[:4]) for t, w in zip(overall.get("topic", range(len(overall))),
                                                                       overall["top_words"])]
        parts.append(chart_block(charts.bar_chart([masked(x, 60) for x in labels], numeric(overall, share).tolist(),
                                                  title="主题占比 Topic share (all texts)", value_fmt=fmt_pct,
                                                  colors=list(PALETTE))))
    rows = []
    for _, r in tp.iterrows():
        ex = r.get("examples")
        exs = [] if is_missing(ex) else [e for e in str(ex).split(" | " if " | " in str(ex) else "\n") if e.strip()]
        rows.append(
            f"<tr><td>{esc(r.get(scope_col) if scope_col else '')}</td><td class=\"num\">{esc(r.get('topic', ''))}</td>"
            f"<td>{esc(masked(r['top_words'], 200))}</td>"
            f"<td class=\"num\">{esc(fmt_pct(r.get(share)) if share else '')}</td>"
            f"<td class=\"num\">{esc(fmt_float(r.get('coherence'), 3))}</td>"
            f"<td>{examples_html(exs, 2)}</td></tr>")
        if len(rows) >= 60:
            break
    more = f'<p class="more">显示前 60 行，共 {len(tp):,} 行</p>' if len(tp) > 60 else ""
    parts.append('<div class="table-wrap"><table><thead><tr><th>范围 scope</th><th>#</th><th>关键词 top words</th>'
                 "<th>占比</th><th>一致性</th><th>示例 (已脱敏)</th></tr></thead>"
                 f"<tbody>{''.join(rows)}</tbody></table>{more}</div>")
    return "".join(parts)


def complaints_headline(complaints_dir) -> tuple[str, list[str]]:
    src = OutputDir(complaints_dir)
    lines = []
    headline = "–"
    if (pred := optional(lambda: find_predictions(src))) is not None:
        vc = pred["cause"].astype(str).value_counts()
        headline = f"{len(pred):,} 条工单"
        lines.append(f"最多: {vc.index[0]} ({vc.iloc[0] / len(pred):.0%})")
    if (m := optional(lambda: src.json("metrics.json"))) is not None and m.get("macro_f1") is not None:
        lines.append(f"宏平均 F1 {fmt_pct(m['macro_f1'])}")
    if (al := optional(lambda: src.table("alerts.csv"))) is not None:
        lines.append(f"告警 {len(al):,} 条")
    if headline == "–" and not lines:
        lines = ["无可用输出 (no outputs found)"]
    return headline, lines

