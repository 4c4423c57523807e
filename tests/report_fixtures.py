"""Small hand-made analysis output directories for the report tests (IVR, complaints, churn), and a hostile copy.

Hostile values are planted on purpose: a ``<script>`` complaint, quotes and ampersands in labels, a mobile
number and an e-mail in example texts and reasons. Helpers for the browser test live here too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd

EVIL = '<script>alert("x")</script>'
#: planted in every text field by :func:`make_hostile`: each part would set ``window.__pwned`` if it ran
PAYLOAD = ('<img src=x onerror="window.__pwned=1"><script>window.__pwned=1</script>"\'><svg onload="window.__pwned=1">'
           '</title></svg><a href="javascript:window.__pwned=1">x</a>')
PHONE = "13812345678"
EMAIL = "zhang.san@example.com"


def _csv(df: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8-sig")


def _json(obj, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")


def make_ivr(d: Path) -> Path:
    kpis = {"calls": 100, "self_service_rate": 0.7, "transfer_rate": 0.2, "abandon_rate": 0.08,
            "unknown_end_rate": 0.02, "mean_self_service_seconds": 35.5, "mean_seconds_before_transfer": 21.0,
            "repeat_call_rate": 0.1, "date_range": {"first_call": "2024-01-01T08:00:00",
                                                    "last_call": "2024-01-31T20:00:00"},
            "by_segment": {"全球通": {"calls": 60, "self_service_rate": 0.75, "transfer_rate": 0.15,
                                      "abandon_rate": 0.08, "unknown_end_rate": 0.02},
                           "动感地带": {"calls": 40, "self_service_rate": 0.625, "transfer_rate": 0.275,
                                        "abandon_rate": 0.08, "unknown_end_rate": 0.02}}}
    _json(kpis, d / "kpis.json")
    nodes = pd.DataFrame({
        "node": ["root", "bill", "bill_balance", "data", "agent"],
        "label": ["主菜单", "话费查询 & <b>账单</b>", "余额查询", "流量查询", "人工服务"],
        "depth": [0, 1, 2, 1, 1], "position": [1, 1, 1, 2, 3],
        "visits": [110, 60, 40, 30, 20], "calls": [100, 58, 40, 30, 20], "hangups": [2, 3, 1, 2, 0],
        "hangup_rate": [0.02, 3 / 58, 0.025, 2 / 30, 0.0], "transfer_requests": [12, 5, 2, 1, 0],
        "transfer_request_rate": [0.12, 5 / 58, 0.05, 1 / 30, 0.0], "agent_transfers": [0, 0, 0, 0, 20],
        "agent_transfer_rate": [0, 0, 0, 0, 1.0], "completions": [0, 0, 35, 25, 0], "no_input": [3, 1, 0, 0, 0],
        "no_match": [1, 0, 0, 0, 0], "loops": [10, 2, 0, 0, 0], "mean_seconds": [7.5, 6.0, 17.0, 16.0, 2.5],
        "kind": ["menu", "menu", "service", "service", "agent"], "parent": [None, "root", "bill", "root", "root"]})
    _csv(nodes, d / "node_metrics.csv")
    paths = pd.DataFrame({
        "rank": [1, 2, 3], "path": ["root > bill > bill_balance", "root > data", "root > agent"],
        "labels": ["主菜单 > 话费查询 & <b>账单</b> > 余额查询", "主菜单 > 流量查询", "主菜单 > 人工服务"],
        "length": [3, 2, 2], "calls": [40, 30, 20], "share": [0.4, 0.3, 0.2],
        "complete_share": [0.875, 0.8333, 0.0], "transfer_share": [0.05, 0.1, 1.0],
        "hangup_share": [0.075, 0.0667, 0.0], "unknown_share": [0.0, 0.0, 0.0],
        "mean_seconds": [30.0, 25.0, 12.0]})
    _csv(paths, d / "paths.csv")
    hs = pd.DataFrame({
        "type": ["drop_off", "drop_off", "transfer"], "node": ["bill", "data", "root"],
        "label": ["话费查询 & <b>账单</b>", "流量查询", "主菜单"], "depth": [1, 1, 0], "kind": ["menu", "service", "menu"],
        "calls": [58, 30, 100], "count": [3, 2, 12], "rate": [3 / 58, 2 / 30, 0.12],
        "rate_lower": [0.018, 0.018, 0.07], "share_of_type": [0.6, 0.4, 1.0], "rank_by_count": [1, 2, 1],
        "rank_by_rate": [1, 2, 1], "eligible": [True, True, True], "peak_hours": ["01:00–06:00", "", ""],
        "peak_hours_rate": [0.5, None, None], "other_hours_rate": [0.03, None, None],
        "only_at_peak_hours": [True, False, False]})
    _csv(hs, d / "hotspots.csv")
    rec = pd.DataFrame({
        "rank": [1], "action": ["promote"], "action_label": ["提升到一级菜单"], "menu": ["root"],
        "node": ["bill_balance"], "label": ["余额查询"], "parent": ["bill"], "depth": [2], "current_position": [1],
        "proposed_position": [1], "proposed_order": ["bill_balance|bill|data|agent"], "calls": [40],
        "call_share": [0.4], "hangup_rate": [0.025], "transfer_request_rate": [0.05], "peak_hours": [""],
        "option_seconds": [1.4], "option_seconds_source": ["measured"], "callers_affected": [100],
        "net_seconds_per_call": [2.5], "net_seconds_per_call_low": [2.1], "net_seconds_total": [250.0],
        "keys_saved_per_caller": [1.0], "proposed": ["move to root"], "reason": [f"'余额查询' is popular {EVIL}"]})
    _csv(rec, d / "recommendations.csv")
    hours = pd.DataFrame({"hour": range(24), "slot": [f"{h:02d}:00–{(h + 1) % 24:02d}:00" for h in range(24)],
                          "calls": [2] * 6 + [5] * 18, "self_service_rate": [0.5] * 24, "transfer_rate": [0.2] * 24,
                          "abandon_rate": [0.5] * 6 + [0.05] * 18, "ivr_hangup_rate": [0.5] * 6 + [0.05] * 18,
                          "queue_calls": [0] * 24, "queue_abandon_rate": [None] * 24, "mean_call_seconds": [30.0] * 24})
    _csv(hours, d / "by_hour.csv")
    _csv(pd.DataFrame({"weekday": range(7), "day": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
                       "calls": [14] * 7, "abandon_rate": [0.08] * 7}), d / "by_weekday.csv")
    _csv(pd.DataFrame({"period": ["2024-01"], "unit": ["month"], "calls": [100], "abandon_rate": [0.08]}),
         d / "by_period.csv")
    _csv(pd.DataFrame({"type": ["drop_off"], "node": ["bill"], "label": ["话费查询 & <b>账单</b>"], "example": [1],
                       "call_id": ["C001"], "caller": [PHONE], "start": ["2024-01-02T03:04:05"], "hour": [3],
                       "path": ["主菜单 > 话费查询 & <b>账单</b>"], "seconds": [12.0], "outcome": ["hangup"],
                       "in_peak_hours": [True]}), d / "examples.csv")
    _csv(pd.DataFrame({"menu": ["root"], "label": ["主菜单"], "option_seconds": [1.4], "option_seconds_se": [0.1],
                       "intercept_seconds": [3.0], "selections": [90], "outliers": [1], "positions": [3],
                       "source": ["measured"], "config_seconds": [3.0]}), d / "option_timings.csv")
    _csv(pd.DataFrame({"scope": ["kpi"], "item": ["transfer_rate"], "label": ["transfer_rate"],
                       "measure": ["share of calls"], "a_count": [15], "a_n": [60], "a_rate": [0.25], "b_count": [4],
                       "b_n": [40], "b_rate": [0.1], "difference": [0.15], "ci_low": [0.0], "ci_high": [0.28],
                       "p_value": [0.06], "p_adjusted": [0.06], "significant": [False]}), d / "compare.csv")
    _csv(pd.DataFrame({"node": ["bill"], "label": ["话费查询 & <b>账单</b>"], "calls": [58], "unknown_key": [1],
                       "wrong_key": [0], "skipped_level": [0], "jump": [2], "unknown_node": [0], "deviations": [3],
                       "deviation_rate": [3 / 58]}), d / "conformance.csv")
    _json({"directed": True, "nodes": [{"id": "root"}], "links": [{"source": "root", "target": "bill", "count": 58}]},
          d / "graph.json")
    return d


def make_complaints(d: Path) -> Path:
    causes = ["网络问题", "费用问题", "服务问题"]
    texts = [f"客户反映信号差 {EVIL}", f"用户来电表示话费多扣，回电{PHONE}", f"客户投诉服务态度差，邮箱{EMAIL}",
             "客户反映网速慢", "用户表示套餐费用不清楚", "客户反映营业厅排队久"]
    pred = pd.DataFrame({"id": range(6), "text": texts, "cause": causes * 2,
                         "confidence": [0.9, 0.8, 0.55, 0.95, 0.4, 0.7], "needs_review": [False, False, True,
                                                                                            False, True, False],
                         "family": ["产品质量", "政策措施", "服务水平"] * 2})
    _csv(pred, d / "classify" / "predictions.csv")
    _json({"n": 6, "unseen_rate": 0.5, "low_confidence_rate": 0.33, "unseen_median": 0.2, "confidence_median": 0.7,
           "expected_rate": 0.05, "reference": {}, "warning": True,
           "message": "50% of texts use character pairs rare in training"}, d / "classify" / "domain_shift.json")
    _json({"n": 6, "accuracy": 0.8333, "macro_f1": 0.8, "labels": causes,
           "per_class": {c: {"precision": 0.8, "recall": 0.8, "f1": 0.8, "support": 2} for c in causes}},
          d / "classify" / "metrics.json")
    cm = pd.DataFrame([[2, 0, 0], [0, 1, 1], [0, 0, 2]], columns=causes)
    cm.insert(0, "label", causes)
    _csv(cm, d / "classify" / "confusion.csv")
    periods = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"]
    counts = pd.DataFrame([(p, c, n) for p, row in zip(periods, [[5, 3, 1], [4, 3, 1], [6, 2, 0], [5, 3, 1],
                                                                 [15, 3, 1]]) for c, n in zip(causes, row)],
                          columns=["period", "cause", "count"])
    _csv(counts, d / "trends" / "counts.csv")
    _csv(pd.DataFrame({"period": ["2024-05"], "cause": ["网络问题"], "count": [15], "baseline": [5.0], "ratio": [3.0],
                       "p_value": [0.0001], "examples": [f"信号差 {PHONE} {EVIL}"]}), d / "trends" / "alerts.csv")
    _csv(pd.DataFrame({"term": ["5g信号", "断网"], "count_now": [9, 5], "count_before": [0, 1],
                       "log_odds": [3.1, 1.9]}), d / "trends" / "emerging_terms.csv")
    _csv(pd.DataFrame({"scope": ["all", "all", "网络问题"], "topic": [0, 1, 0],
                       "top_words": ["信号 网速 断网", "话费 扣费 套餐", "信号 基站"],
                       "share": [0.6, 0.4, 1.0], "coherence": [-1.2, -1.5, -1.1],
                       "examples": [f"信号差 {EVIL}", f"扣费 {PHONE}", "基站"]}), d / "topics" / "topics.csv")
    return d


def make_churn(d: Path) -> Path:
    _csv(pd.DataFrame({"rule": ["negative_usage", "period_gap"], "description": ["用量或费用为负数", "客户账期不连续"],
                       "severity": ["error", "warning"], "action": ["quarantine", "flag"],
                       "status": ["applied", "applied"], "rows": [3, 5], "customers": [2, 4],
                       "share_of_rows": [0.01, 0.02], "detail": ["minutes: 3", ""]}), d / "quality_report.csv")
    _json({"rows": 300, "clean_rows": 297, "quarantined_rows": 3, "rules_applied": 2, "rules_skipped": []},
          d / "quality_report.json")
    periods = [f"2024-{m:02d}" for m in range(1, 7)]
    rows = []
    plans = {"C1": ([0, 1, 3, 1, 0, 0], [100, 100, 98, 80, 60, 50],
                    ["stable", "stable", "problem", "problem", "silent_decline", "silent_decline"]),
             PHONE: ([0, 0, 2, 2, 0, 0], [80, 82, 80, 70, 50, 40],
                     ["stable", "stable", "problem", "problem", "silent_decline", "silent_decline"]),
             "C3": ([0, 0, 0, 0, 0, 0], [50, 52, 49, 51, 50, 50], ["stable"] * 6)}
    for cid, (fb, us, ph) in plans.items():
        for p, f, u, h in zip(periods, fb, us, ph):
            rows.append({"customer_id": cid, "period": p, "feedback_count": f, "usage": u,
                         "usage_baseline": us[0], "usage_index": u / us[0], "usage_change": u / us[0] - 1,
                         "phase": h, "signal_score": 0.9 if h == "silent_decline" else 0.1})
    _csv(pd.DataFrame(rows), d / "customer_periods.csv")
    _csv(pd.DataFrame({"rank": [1, 2], "customer_id": ["C1", PHONE], "period": ["2024-06"] * 2,
                       "signal_score": [0.92, 0.85], "warning_level": ["high", "medium"],
                       "phase": ["silent_decline"] * 2, "phase_label": ["沉默衰退"] * 2,
                       "usage_change": [-0.5, -0.5], "top_causes": ["网络问题×3", "费用问题×2"],
                       "reasons": [f"投诉回落、用量下降 {EVIL}", f"联系 {EMAIL}"],
                       "model_factors": ["usage_change=-0.5:+0.850;feedback_peak=3:+0.400;tenure=12:-0.100",
                                         "usage_change=-0.5:+0.600;bill_change=-0.2:+0.200;tenure=30:-0.300"],
                       "rules_fired": ["bill_decline;complaints_recent", "bill_decline"]}), d / "warnings.csv")
    _json({"first_period": "2024-01", "last_period": "2024-06", "as_of": "2024-06", "customers": 3, "warnings": 2,
           "phases_at_as_of": {"stable": 1, "silent_decline": 2},
           "warning_levels_at_as_of": {"none": 1, "low": 0, "medium": 1, "high": 1},
           "rules_fired_at_as_of": {"bill_decline": 2}}, d / "signal_summary.json")
    _json({"customers": 3, "churners": 2, "churn_rate": 0.667,
           "methods": {"signal": {"auc": 0.9, "top_decile_lift": 1.5, "at_k": {"0.1": {"k": 1, "precision": 1.0,
                                                                                      "recall": 0.5}}},
                       "usage_only": {"auc": 0.7, "top_decile_lift": 1.2, "at_k": {}}},
           "associations": [{"feature": "feedback_count", "n": 3, "spearman_rho": 0.5, "direction": "higher → more churn",
                             "strength": "strong"}]}, d / "evaluation.json")
    lift = pd.DataFrame([{"method": m, "bin": b, "lift": l, "cumulative_lift": l, "cumulative_recall": min(1.0, b / 3 * r)}
                         for m, r in (("signal", 1.4), ("usage_only", 1.1)) for b, l in ((1, 1.5), (2, 1.2), (3, 1.0))])
    _csv(lift, d / "lift.csv")
    return d


def make_all(root: Path) -> dict[str, Path]:
    return {"ivr": make_ivr(root / "ivr"), "complaints": make_complaints(root / "complaints"),
            "churn": make_churn(root / "churn")}


def make_hostile(root: Path) -> dict[str, Path]:
    """:func:`make_all` with :data:`PAYLOAD` appended to every text cell, column-free JSON string and key."""
    outs = make_all(root)
    for path in root.rglob("*.csv"):
        df = pd.read_csv(path, encoding="utf-8-sig")
        for c in df.columns:
            if not pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
                df[c] = df[c].map(lambda v: v if not isinstance(v, str) else v + PAYLOAD).astype(object)
        _csv(df, path)
    for path in root.rglob("*.json"):
        def walk(o):
            if isinstance(o, str):
                return o + PAYLOAD
            if isinstance(o, dict):
                return {k: ({s + PAYLOAD: walk(x) for s, x in v.items()} if k == "by_segment" else walk(v))
                        for k, v in o.items()}
            if isinstance(o, list):
                return [walk(v) for v in o]
            return o
        _json(walk(json.loads(path.read_text(encoding="utf-8"))), path)
    return outs


# ------------------------------------------------------------------------------------------ browser

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--enable-logging=stderr", "--v=0", "--virtual-time-budget=500"]

PROBE = """window.__errs=[];
addEventListener('error',function(e){__errs.push(String(e.message||('resource '+(e.target&&(e.target.src||e.target.href)))))},true);
document.addEventListener('securitypolicyviolation',function(e){__errs.push('csp '+e.violatedDirective+' '+e.blockedURI)});
addEventListener('load',function(){setTimeout(function(){var s=[].slice.call(document.querySelectorAll('svg'));
var z=s.filter(function(x){var r=x.getBoundingClientRect();return r.width>0&&r.height>0}).length;
var acted=null;try{acted=(function(){ACTIONS})();}catch(err){__errs.push('actions: '+err)}
var on=[].slice.call(document.querySelectorAll('*')).filter(function(el){return [].some.call(el.attributes,
function(a){return /^on/i.test(a.name)})}).length;
var p=document.createElement('pre');p.id='__probe';p.textContent=JSON.stringify({svgs:s.length,sized:z,
errors:__errs,resources:performance.getEntriesByType('resource').map(function(r){return r.name}),
scripts:document.scripts.length,cjk_font:document.fonts.check('16px "Noto Sans CJK SC"'),
pwned:!!window.__pwned,on_attributes:on,js:document.documentElement.classList.contains('js'),actions:acted});
document.body.appendChild(p)},0)});"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def load_in_browser(page: Path, work: Path, *, screenshot: Path | None = None, width: int = 1280,
                    height: int = 2000, timeout: float = 30, actions: str | None = None) -> dict:
    """Open a copy of ``page`` with a probe script in headless Chromium; return what the probe saw.

    The copy keeps the page's Content-Security-Policy and only adds the probe's own SHA-256 to ``script-src``
    (so the page's pinned script runs, anything else inline stays blocked and blocked requests show up as
    errors). ``actions``: JavaScript function body run after load (after the page script), its return value
    reported as ``actions``. Keys: svgs, sized (SVGs with non-zero size), errors, resources (URLs fetched),
    scripts, cjk_font, pwned (a planted payload ran), on_attributes (elements with on* attributes), js (the
    page script ran), actions, console (CONSOLE lines from Chromium's log).
    """
    import base64
    import hashlib

    probe = PROBE.replace("ACTIONS", actions or "return null")
    digest = base64.b64encode(hashlib.sha256(probe.encode("utf-8")).digest()).decode()
    html = page.read_text(encoding="utf-8")
    assert "script-src 'sha256-" in html, "page lacks the pinned script-src"
    html = html.replace("script-src ", f"script-src 'sha256-{digest}' ", 1)  # the probe by its hash, nothing else
    html = html.replace("<head>", f"<head><script>{probe}</script>", 1)
    probe_page = page.with_name(f"__probe_{page.name}")
    probe_page.write_text(html, encoding="utf-8")
    args = [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={work / 'chromium-profile'}",
            f"--window-size={width},{height}", "--dump-dom"]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    try:
        out = subprocess.run(args + [probe_page.as_uri()], capture_output=True, text=True, timeout=timeout)
    finally:
        probe_page.unlink(missing_ok=True)
    m = re.search(r'<pre id="__probe">(.*?)</pre>', out.stdout, re.S)
    result = json.loads(_unescape(m.group(1))) if m else {"svgs": 0, "sized": 0, "errors": ["probe did not run"]}
    result["console"] = [ln for ln in out.stderr.splitlines() if "CONSOLE" in ln]
    result["dom"] = out.stdout
    return result


def _unescape(s: str) -> str:
    import html

    return html.unescape(s)
