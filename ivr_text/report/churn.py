"""The churn page: data-quality summary, the feedback–usage combination curves (complaints as bars, usage as a
line on a second axis) for the top warned customers and for cohorts by phase, the warning list, and the
back-test (metrics side by side, lift and gains against baselines).

Reads the outputs of ``churn quality`` (``quality_report.csv/.json``), ``churn signal`` (``warnings.csv``,
``customer_periods.csv|parquet``, ``phase_summary.csv``, ``signal_summary.json``) and ``churn evaluate``
(``evaluation.json``, ``lift.csv``); each missing file omits its section with a note. ``customer_periods`` is
read with only the columns drawn (categorical ids), so a 12 M-row panel stays within a few hundred MB.
"""

from __future__ import annotations

import math

import pandas as pd

from ivr_text.report import charts
from ivr_text.report.html import (COLORS, PALETTE, Card, Page, anchor_id, chart_block, details, esc, fmt_float,
                                  fmt_int, fmt_pct, grid, is_missing, kpi_cards, note, table)
from ivr_text.report.kit import LEVEL_LABELS, PHASE_LABELS, guarded, masked, nav_for
from ivr_text.report.sources import MissingData, OutputDir, not_found, numeric, optional, pick, read_any, require

SEVERITY_COLORS = {"error": COLORS["bad"], "warning": COLORS["warn"], "info": COLORS["accent"]}
METHOD_LABELS = {"usage_only": "仅用量 usage-only", "feedback_only": "仅投诉 feedback-only",
                 "signal": "投诉–用量信号 signal", "logistic": "逻辑回归 logistic (CV)",
                 "logistic_model": "逻辑回归 logistic (CV)", "gradient_boosting_cv": "梯度提升 gradient boosting (CV)",
                 "random": "随机 random"}
PANEL_COLUMNS = ["customer_id", "period", "feedback_count", "usage", "usage_index", "usage_baseline", "phase",
                 "signal_score", "warning_level"]


def churn_page(churn_dir, *, nav: list[tuple[str, str]] | None = None, strict: bool = False,
               top_customers: int = 6) -> Page:
    """Build the churn page from the output directory of ``churn quality/signal/evaluate``."""
    src = OutputDir(churn_dir)
    page = Page("流失预警 · Feedback–usage churn warning",
                "哪些客户正走向流失？投诉与用量的组合曲线说明了什么？预警有多准？"
                " (Who is about to leave, and how good is the warning?)", nav=nav or nav_for(["churn"]))
    if not src.exists:
        page.add(guarded("流失", "", lambda: note(f"目录不存在 (directory not found): {churn_dir}", "warn")))
        return page
    if (s := optional(lambda: src.json("signal_summary.json"))) is not None:
        page.subtitle = (f"数据期间 {s.get('first_period', '?')} – {s.get('last_period', '?')}，"
                         f"预警基准期 as-of {s.get('as_of', '?')}")
    panel = _Panel(src)
    page.add(guarded("数据质量 Data quality", "分析前的数据有哪些问题，隔离了多少行？",
                     lambda: quality_section(src), anchor="quality", strict=strict))
    page.add(guarded("预警概况 Warning overview", "各阶段、各预警等级的客户有多少？",
                     lambda: overview_section(src), anchor="overview", strict=strict))
    page.add(guarded("重点预警客户 Top warned customers", "预警客户的投诉与用量如何随时间变化？",
                     lambda: customers_section(src, panel, top_customers), anchor="customers", strict=strict))
    page.add(guarded("分阶段客群 Cohorts by phase", "处于不同阶段的客户群，其投诉与用量曲线有何不同？",
                     lambda: cohorts_section(src, panel), anchor="cohorts", strict=strict))
    page.add(guarded("预警名单 Warning list", "应优先挽留哪些客户，原因是什么？",
                     lambda: warnings_section(src, panel), anchor="warnings", strict=strict))
    page.add(guarded("流失原因与贡献 Reasons and contributions", "模型和规则因为什么把这些客户列入预警？",
                     lambda: reasons_section(src), anchor="reasons", strict=strict))
    page.add(guarded("回测评估 Back-test", "信号比仅看用量或仅看投诉更准吗？前 10% 客户中能抓到多少流失？",
                     lambda: evaluation_section(src), anchor="evaluation", strict=strict))
    return page


# ------------------------------------------------------------------------------------------ quality


def quality_section(src: OutputDir) -> str:
    rep = src.table("quality_report.csv", need=["rule", "rows"])
    parts = []
    if (s := optional(lambda: src.json("quality_report.json"))) is not None:
        cards = [Card("检查行数 rows", fmt_int(s.get("rows"))), Card("通过 clean", fmt_int(s.get("clean_rows")), "", "good"),
                 Card("隔离 quarantined", fmt_int(s.get("quarantined_rows")),
                      fmt_pct(s["quarantined_rows"] / s["rows"]) if s.get("rows") else "", "warn"),
                 Card("已执行规则 rules applied", fmt_int(s.get("rules_applied")))]
        parts.append(kpi_cards(cards))
        skipped = s.get("rules_skipped") or []
        if skipped:
            parts.append(note(f"跳过的规则 (skipped rules, columns missing): {skipped}", "warn"))
    rows = numeric(rep, "rows").fillna(0)
    desc = rep[pick(rep, "description", "rule")].astype(str)
    sev = rep["severity"].astype(str) if "severity" in rep.columns else pd.Series(["info"] * len(rep))
    labels = [f"{d}" for d in desc]
    colors = [SEVERITY_COLORS.get(v, COLORS["accent"]) for v in sev]
    tips = [f"{r} ({s_}): {int(n):,} rows" for r, s_, n in zip(rep["rule"], sev, rows)]
    parts.append(chart_block(charts.bar_chart(labels, rows.tolist(), title="各规则命中行数 Rows per rule",
                                              colors=colors, value_fmt=fmt_int, tooltips=tips),
                             "红 = 错误 (隔离)，橙 = 警告 (标记)。Red = error (quarantined), orange = warning."))
    cols = {"rule": "规则 rule", "description": "说明", "severity": "级别", "action": "处理", "status": "状态",
            "rows": "行数", "customers": "客户数", "share_of_rows": "占比", "detail": "明细"}
    parts.append(table(rep, cols, formats={"share_of_rows": lambda v: fmt_pct(v, 2)}))
    return "".join(parts)


# ------------------------------------------------------------------------------------------ overview


def overview_section(src: OutputDir) -> str:
    s = src.json("signal_summary.json")
    parts = []
    phases = s.get("phases_at_as_of") or {}
    levels = s.get("warning_levels_at_as_of") or {}
    cards = [Card("预警客户 warned", fmt_int(s.get("warnings")), "进入预警名单", "bad")]
    for key in ("customers", "matched_customers"):
        if s.get(key) is not None:
            cards.insert(0, Card("客户 customers", fmt_int(s.get(key))))
            break
    parts.append(kpi_cards(cards))
    cells = []
    if phases:
        ph = {k: v for k, v in phases.items() if v}
        cells.append(("阶段 phase (as-of)", charts.bar_chart([PHASE_LABELS.get(k, k) for k in ph], list(ph.values()),
                                                          colors=list(PALETTE), value_fmt=fmt_int, width=520)))
    if levels:
        lv = {k: v for k, v in levels.items()}
        lcol = {"none": "#bab0ac", "low": COLORS["warn"], "medium": "#e8590c", "high": COLORS["bad"]}
        cells.append(("预警等级 warning level", charts.bar_chart([LEVEL_LABELS.get(k, k) for k in lv], list(lv.values()),
                                                             colors=[lcol.get(k, COLORS["accent"]) for k in lv],
                                                             value_fmt=fmt_int, width=520)))
    rules = s.get("rules_fired_at_as_of") or {}
    if rules:
        cells.append(("运营规则触发 operator rules fired", charts.bar_chart(list(rules), list(rules.values()),
                                                                       colors=COLORS["accent"], value_fmt=fmt_int,
                                                                       width=520)))
    if cells:
        parts.append(grid(cells))
    skipped = s.get("rules_skipped") or {}
    if isinstance(skipped, dict) and skipped:
        parts.append(note("未执行的规则 rules not applied: " + "; ".join(
            f"{name}: {why}" for name, why in skipped.items()), "warn"))
    if not parts:
        raise MissingData("signal_summary.json has no phase or level counts")
    return "".join(parts)


# ------------------------------------------------------------------------------------------ panel


class _Panel:
    """``customer_periods`` read lazily once, only the columns drawn."""

    def __init__(self, src: OutputDir):
        self.src = src
        self._df: pd.DataFrame | None = None

    def get(self) -> pd.DataFrame:
        if self._df is None:
            path = self.src.find("customer_periods.parquet", "customer_periods.csv")
            if path is None:
                raise not_found(["customer_periods.csv"], self.src.path)
            head = read_any(path, nrows=3)
            require(head, ["customer_id", "period", "feedback_count"], path.name)
            cols = [c for c in PANEL_COLUMNS if c in head.columns]
            if path.suffix == ".parquet":
                df = pd.read_parquet(path, columns=cols)
            else:
                dtypes = {c: "category" for c in ("customer_id", "period", "phase", "warning_level") if c in cols}
                df = pd.read_csv(path, usecols=cols, dtype=dtypes, encoding="utf-8-sig")
            for c in ("customer_id", "period"):  # text categories, converted once per category, not per row
                s = df[c] if isinstance(df[c].dtype, pd.CategoricalDtype) else df[c].astype("category")
                df[c] = s.cat.rename_categories(s.cat.categories.astype(str))
            self._df = df
        return self._df


def usage_column(df: pd.DataFrame) -> tuple[str, str]:
    col = pick(df, "usage", "usage_index")
    if col is None:
        raise MissingData("customer_periods has no 'usage' column")
    return col, ("用量 usage" if col == "usage" else "用量指数 usage index")


def combo_chart(periods, feedback, usage, *, usage_label: str, title: str = "", width: float = 560,
                height: float = 250, baseline=None, phases=None) -> str:
    """The feedback–usage combination curve: complaints as bars (left axis), usage as a line (right axis)."""
    series = [charts.Series("投诉/联系 feedback", list(feedback), color=COLORS["bad"], kind="bar"),
              charts.Series(usage_label, list(usage), color=COLORS["accent"], axis="right", width=2.5)]
    if baseline is not None:
        series.append(charts.Series("用量基线 baseline", list(baseline), color="#829ab1", axis="right", dash=True,
                                    width=1.5))
    markers = []
    if phases is not None:
        for i, ph in enumerate(phases):
            if str(ph) == "silent_decline":
                markers.append(charts.Marker(usage_label, i, f"沉默衰退: {periods[i]}"))
    return charts.line_chart(periods, series, title=title, width=width, height=height, y_label="投诉数",
                             y2_label=usage_label, y_fmt=fmt_float, y2_fmt=fmt_float, markers=markers, y2_min=0.0)


def customers_section(src: OutputDir, panel: _Panel, top: int) -> str:
    warn = src.table("warnings.csv", need=["customer_id"])
    if warn.empty:
        return note("预警名单为空 (no customer is warned).")
    df = panel.get()
    ucol, ulab = usage_column(df)
    ids = warn["customer_id"].astype(str).head(top).tolist()
    sub = df[df["customer_id"].isin(ids)].astype({"customer_id": str, "period": str})
    periods = sorted(map(str, df["period"].unique()))
    cells = []
    for cid in ids:
        d = sub[sub["customer_id"] == cid].set_index("period").reindex(periods)
        w = warn[warn["customer_id"].astype(str) == cid].iloc[0]
        title = f"{masked(cid, 24)} · 分数 {fmt_float(w.get('signal_score'), 2)}"
        svg = combo_chart(periods, numeric(d, "feedback_count"), numeric(d, ucol), usage_label=ulab,
                          baseline=numeric(d, "usage_baseline") if "usage_baseline" in d.columns else None,
                          phases=d["phase"].tolist() if "phase" in d.columns else None)
        reason = masked(w.get("reasons"), 160)
        cells.append((title, svg + (f'<p class="more">{esc(reason)}</p>' if reason else "")))
    return grid(cells) + note("柱 = 每期投诉/联系次数 (左轴)；线 = 用量 (右轴)；虚线 = 客户自身基线；红点 = 沉默衰退期。"
                              " Bars: feedback per period; line: usage; dashed: own baseline.")


def cohort_curves(df: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    """Mean feedback and usage per period for cohorts = customers grouped by their phase at ``as_of``."""
    require(df, ["phase", "feedback_count"], "customer_periods")
    ucol, _ = usage_column(df)
    ucol = "usage_index" if "usage_index" in df.columns else ucol
    periods = sorted(map(str, df["period"].unique()))
    as_of = as_of if as_of in periods else periods[-1]
    at = df.loc[df["period"] == as_of, ["customer_id", "phase"]].drop_duplicates("customer_id")
    cohort = at.set_index("customer_id")["phase"].astype(str)
    d = df[["customer_id", "period", "feedback_count", ucol]].copy()
    d["cohort"] = d["customer_id"].map(cohort).astype("string")
    d = d.dropna(subset=["cohort"])
    out = d.groupby(["cohort", "period"], observed=True).agg(
        customers=("feedback_count", "size"), feedback_mean=("feedback_count", "mean"),
        usage_mean=(ucol, "mean")).reset_index()
    out.attrs["usage_column"] = ucol
    out.attrs["as_of"] = as_of
    return out


def cohorts_section(src: OutputDir, panel: _Panel) -> str:
    as_of = (optional(lambda: src.json("signal_summary.json")) or {}).get("as_of")
    try:
        curves = cohort_curves(panel.get(), as_of)
        ulab = "平均用量指数 usage index" if curves.attrs["usage_column"] == "usage_index" else "平均用量 usage"
        intro = note(f"客群 = 客户在预警基准期 {curves.attrs['as_of']} 所处的阶段；曲线为该客群每期的平均投诉数与平均用量。"
                     " Cohort = a customer's phase at the as-of period.")
        fb, us = "feedback_mean", "usage_mean"
        key = "cohort"
    except MissingData:
        curves = src.table("phase_summary.csv", need=["period", "phase", "feedback_mean"])
        ulab = "平均用量指数 usage index"
        us = pick(curves, "usage_index_mean", "usage_mean")
        fb, key = "feedback_mean", "phase"
        intro = note("按每期所处阶段分组 (phase_summary.csv)；customer_periods 不可用。")
    periods = sorted(curves["period"].astype(str).unique())
    order = ["silent_decline", "problem", "usage_decline", "stable", "insufficient_history", "no_usage"]
    cohorts = sorted(curves[key].astype(str).unique(), key=lambda c: (order.index(c) if c in order else 99, c))
    cells = []
    for c in cohorts:
        d = curves[curves[key].astype(str) == c].set_index(curves[curves[key].astype(str) == c]["period"].astype(str))
        d = d.reindex(periods)
        n = int(numeric(d, "customers").max()) if "customers" in d.columns and numeric(d, "customers").notna().any() else 0
        svg = combo_chart(periods, numeric(d, fb), numeric(d, us) if us else [math.nan] * len(periods),
                          usage_label=ulab)
        cells.append((f"{PHASE_LABELS.get(c, c)} · {n:,} 客户", svg))
    return intro + grid(cells)


# ------------------------------------------------------------------------------------------ warning list


def customer_drill(warn: pd.DataFrame, panel: _Panel, max_rows: int) -> str:
    """One closed drill-down per listed customer with their feedback–usage curve; anchors are positions in
    the list (``anchor_id("customer", i)``), so no customer id, not even hashed, reaches a link."""
    df = panel.get()
    ucol, ulab = usage_column(df)
    periods = sorted(map(str, df["period"].unique()))
    ids = warn["customer_id"].astype(str).head(max_rows).tolist()
    sub = df[df["customer_id"].isin(ids)].astype({"customer_id": str, "period": str})
    blocks = []
    for i, cid in enumerate(ids):
        d = sub[sub["customer_id"] == cid].set_index("period").reindex(periods)
        w = warn.iloc[i]
        svg = combo_chart(periods, numeric(d, "feedback_count"), numeric(d, ucol), usage_label=ulab, width=760,
                          baseline=numeric(d, "usage_baseline") if "usage_baseline" in d.columns else None,
                          phases=d["phase"].tolist() if "phase" in d.columns else None)
        reason = masked(w.get("reasons"), 300)
        body = svg + (f'<p class="more">{esc(reason)}</p>' if reason else "")
        blocks.append(details(anchor_id("customer", i), f"#{i + 1} {masked(cid, 30)}", body,
                              hint=f"信号分 signal {fmt_float(w.get('signal_score'), 2)} · 投诉–用量曲线 feedback–usage curve"))
    return "".join(blocks)


def warnings_section(src: OutputDir, panel: _Panel | None = None, max_rows: int = 30) -> str:
    warn = src.table("warnings.csv", need=["customer_id"])
    if warn.empty:
        return note("预警名单为空 (no customer is warned).")
    warn = warn.reset_index(drop=True)
    drill = optional(lambda: customer_drill(warn, panel, max_rows)) if panel is not None else None
    shown = warn.copy()
    shown["_pos"] = range(len(shown))
    shown["customer_id"] = shown["customer_id"].map(lambda v: masked(v, 30))
    for c in ("reasons", "top_causes", "rules_fired", "explanation"):
        if c in shown.columns:
            shown[c] = shown[c].map(lambda v: masked(v, 200))
    for c in ("warning_level", "model_level"):
        if c in shown.columns:
            shown[c] = shown[c].map(lambda v: LEVEL_LABELS.get(str(v), v))
    cols = {"rank": "#", "customer_id": "客户 customer", "churn_probability": "模型流失概率",
            "model_level": "模型等级", "signal_score": "信号分", "warning_level": "等级",
            "phase_label": "阶段", "periods_warned": "连续预警期", "feedback_in_peak_window": "近期投诉",
            "usage_change": "用量变化", "bill_rule_change": "账单较规则基线变化", "top_causes": "主要投诉原因",
            "rules_fired": "触发规则", "reasons": "原因 reasons", "explanation": "模型主要因素 model factors"}
    if "phase_label" not in shown.columns and "phase" in shown.columns:
        shown["phase_label"] = shown["phase"].map(lambda v: PHASE_LABELS.get(str(v), v))
    bar = "churn_probability" if "churn_probability" in shown.columns else "signal_score"
    links = {"customer_id": lambda r: anchor_id("customer", r["_pos"])} if drill else None
    out = table(shown, cols, formats={"signal_score": lambda v: fmt_float(v, 3), "usage_change": "pct",
                                      "churn_probability": "pct", "bill_rule_change": "pct"}, max_rows=max_rows,
                bars={bar: COLORS["bad"]}, links=links)
    if drill:
        out += ("<h3>客户明细 Customer drill-down</h3>"
                + note("点击名单中的客户或下方条目，查看其每期投诉与用量曲线。Click a customer to open their curve.")
                + drill)
    return out


# ------------------------------------------------------------------------------------------ reasons


def parse_factors(text: object) -> list[tuple[str, float, float]]:
    """``feature=value:+c;…`` (the ``model_factors`` column) → [(feature, value, contribution)]; bad parts skipped."""
    out = []
    if is_missing(text):
        return out
    for part in str(text).split(";"):
        name, _, rest = part.partition("=")
        value, _, contrib = rest.rpartition(":")
        try:
            out.append((name.strip(), float(value), float(contrib)))
        except ValueError:
            continue
    return [f for f in out if f[0]]


def factor_summary(warn: pd.DataFrame) -> pd.DataFrame:
    """Per feature over the warned customers: how often it is a top factor, mean and total contribution."""
    rows = [(f, c) for text in warn["model_factors"] for f, _, c in parse_factors(text)]
    if not rows:
        raise MissingData("warnings.csv model_factors holds no parsable factor")
    df = pd.DataFrame(rows, columns=["feature", "contribution"])
    out = df.groupby("feature").agg(customers=("contribution", "size"), mean_contribution=("contribution", "mean"),
                                    raises=("contribution", lambda s: int((s > 0).sum()))).reset_index()
    return out.sort_values(["customers", "mean_contribution"], ascending=[False, False]).reset_index(drop=True)


def reasons_section(src: OutputDir) -> str:
    warn = src.table("warnings.csv", need=["customer_id"])
    parts = []
    if "model_factors" in warn.columns and warn["model_factors"].notna().any():
        fs = factor_summary(warn)
        tips = [f"{r.feature}: {r.customers:,} 位客户的主要因素，平均贡献 {r.mean_contribution:+.2f} (log-odds)"
                for r in fs.itertuples()]
        parts.append(chart_block(charts.bar_chart(
            fs["feature"].head(15).tolist(), fs["customers"].head(15).tolist(), colors=COLORS["bad"],
            value_fmt=fmt_int, tooltips=tips[:15],
            title="模型主要因素出现次数 How often each feature is among a warned customer's top factors")))
        parts.append(table(fs, {"feature": "特征 feature", "customers": "作为主要因素的客户数 customers",
                                "raises": "推高风险的次数 raises risk",
                                "mean_contribution": "平均贡献 mean contribution (log-odds)"},
                           formats={"mean_contribution": lambda v: f"{float(v):+.3f}"}, max_rows=30))
        parts.append(note("贡献 = 该特征对客户流失对数几率的贡献（模型自身的路径贡献，各特征贡献加偏置恰为模型原始分）。"
                          " Contribution: the feature's share of the customer's log-odds (the model's path contributions)."))
    if "rules_fired" in warn.columns and warn["rules_fired"].notna().any():
        fired = (warn["rules_fired"].dropna().astype(str).str.split(r"[;,；]").explode().str.strip())
        vc = fired[fired != ""].value_counts()
        if len(vc):
            parts.append("<h3>触发的运营规则 Operator rules fired</h3>" + chart_block(charts.bar_chart(
                [masked(x, 60) for x in vc.index[:15]], vc.head(15).tolist(), colors=COLORS["warn"], value_fmt=fmt_int)))
    if not parts:
        raise MissingData("warnings.csv has neither model_factors (churn train) nor rules_fired")
    return "".join(parts)


# ------------------------------------------------------------------------------------------ evaluation


def evaluation_section(src: OutputDir) -> str:
    ev = src.json("evaluation.json")
    methods = ev.get("methods") or {}
    parts = []
    cards = [Card(lab, v) for lab, v in (
        ("评估客户 customers", fmt_int(ev.get("customers"))), ("流失 churners", fmt_int(ev.get("churners"))),
        ("流失率 base rate", fmt_pct(ev.get("churn_rate")))) if v != "–"]
    for key in ("as_of", "horizon"):
        if ev.get(key) is not None:
            cards.append(Card({"as_of": "特征截止 as-of", "horizon": "观察期 horizon"}[key], str(ev[key])))
    parts.append(kpi_cards(cards))
    if methods:
        rows = []
        for name, m in methods.items():
            row = {"method": METHOD_LABELS.get(name, name), "auc": m.get("auc")}
            ci = m.get("auc_ci95")
            if isinstance(ci, list) and len(ci) == 2:
                row["auc_ci95"] = f"{float(ci[0]):.3f}–{float(ci[1]):.3f}"
            row["top_decile_lift"] = m.get("top_decile_lift")
            for k, v in (m.get("at_k") or {}).items():
                row[f"precision@{k}"] = v.get("precision")
                row[f"recall@{k}"] = v.get("recall")
            rows.append(row)
        mt = pd.DataFrame(rows)
        fmts = {c: "pct" for c in mt.columns if c.startswith(("precision", "recall"))}
        fmts.update({"auc": lambda v: fmt_float(v, 3), "top_decile_lift": lambda v: fmt_float(v, 2)})
        cols = {c: c for c in mt.columns}
        cols.update({"method": "方法 method", "auc": "AUC", "auc_ci95": "AUC 95% 置信区间 CI",
                     "top_decile_lift": "前 10% 提升度 lift"})
        parts.append(table(mt, cols, formats=fmts, bars={"auc": COLORS["accent"]}))
    try:
        lift = src.table("lift.csv", need=["method", "bin"])
        parts.append(lift_charts(lift))
    except MissingData as exc:
        parts.append(note(f"提升图省略 (lift chart omitted): {exc}"))
    assoc = ev.get("associations")
    if isinstance(assoc, list) and assoc:
        at = pd.DataFrame(assoc)
        cols = {"feature": "特征 feature", "direction": "方向 direction", "strength": "强度", "spearman_rho": "ρ",
                "univariate_auc": "单变量 AUC", "p_value": "p", "n": "n"}
        parts.append("<h3>各特征与流失的关联 (数据实测，不预设方向) Associations measured</h3>")
        parts.append(table(at, cols, formats={"spearman_rho": lambda v: fmt_float(v, 3),
                                              "univariate_auc": lambda v: fmt_float(v, 3),
                                              "p_value": lambda v: "–" if is_missing(v) else f"{float(v):.2g}"}))
    if not methods and len(parts) <= 2:
        raise MissingData("evaluation.json has no 'methods'")
    return "".join(parts)


def lift_charts(lift: pd.DataFrame) -> str:
    """Lift per decile and cumulative gains per method, with the random baseline."""
    bins = sorted(numeric(lift, "bin").dropna().astype(int).unique())
    xl = [f"前{(i + 1) * 100 // len(bins)}%" for i in range(len(bins))]
    lift_series, gain_series = [], []
    for i, (name, d) in enumerate(lift.groupby("method", sort=False)):
        d = d.assign(_b=numeric(d, "bin")).set_index("_b").reindex(bins)
        lab = METHOD_LABELS.get(str(name), str(name))
        col = PALETTE[i % len(PALETTE)]
        ycol = pick(d, "cumulative_lift", "lift")
        lift_series.append(charts.Series(lab, numeric(d, ycol).tolist(), color=col))
        if "cumulative_recall" in d.columns:
            gain_series.append(charts.Series(lab, numeric(d, "cumulative_recall").tolist(), color=col))
    cells = [("累计提升度 Cumulative lift (1 = random)",
              charts.line_chart(xl, lift_series, reference=1.0, y_fmt=lambda v: f"{float(v):.1f}", width=560,
                                height=300, x_title="按分数排序的客户 top share of customers"))]
    if gain_series:
        gain_series.append(charts.Series("随机 random", [(i + 1) / len(bins) for i in range(len(bins))],
                                         color="#9aa5b1", dash=True, width=1.5))
        cells.append(("累计召回 Cumulative gains (share of churners caught)",
                      charts.line_chart(xl, gain_series, y_fmt=fmt_pct, width=560, height=300, y_min=0.0,
                                        x_title="按分数排序的客户 top share of customers")))
    return grid(cells)


def churn_headline(churn_dir) -> tuple[str, list[str]]:
    src = OutputDir(churn_dir)
    headline, lines = "–", []
    if (s := optional(lambda: src.json("signal_summary.json"))) is not None:
        headline = f"预警 {fmt_int(s.get('warnings'))} 客户"
        if s.get("as_of"):
            lines.append(f"基准期 {s['as_of']}")
    if (ev := optional(lambda: src.json("evaluation.json"))) is not None:
        sig = (ev.get("methods") or {}).get("signal") or {}
        if sig.get("auc") is not None:
            lines.append(f"信号 AUC {sig['auc']:.3f} · 前 10% 提升 {fmt_float(sig.get('top_decile_lift'), 2)}")
    if (q := optional(lambda: src.json("quality_report.json"))) is not None:
        lines.append(f"质量检查: 隔离 {fmt_int(q.get('quarantined_rows'))} / {fmt_int(q.get('rows'))} 行")
    if headline == "–" and not lines:
        lines = ["无可用输出 (no outputs found)"]
    return headline, lines
