"""Report pages from hand-made analysis outputs: content, escaping, PII masking, graceful degradation, CLI."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import pandas as pd
import pytest
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.report import churn_page, complaints_page, index_page, ivr_page, render_reports
from ivr_text.report.churn import cohort_curves
from ivr_text.report.complaints import counts_wide
from ivr_text.report.ivr import path_flows, tree_nodes
from ivr_text.report.script import SCRIPT
from report_fixtures import EMAIL, PHONE, make_all, make_churn, make_ivr

runner = CliRunner()
EXTERNAL = re.compile(r"""(?:src|href|xlink:href|url)\s*[=(]\s*["']?\s*(?:https?:|//)""", re.I)


def assert_safe(html: str) -> None:
    """One script, exactly the pinned one; the CSP allows only its hash; no PII, no other host."""
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I)
    assert html.lower().count("<script") == 1 and scripts == [SCRIPT], "a script other than the pinned one"
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1)
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert "default-src 'none'" in csp and "unsafe-eval" not in csp
    assert PHONE not in html and EMAIL not in html, "PII not masked"
    assert not EXTERNAL.search(html), "reference to another host"
    assert "@import" not in html and "font-face" not in html
    assert len(html.encode("utf-8")) < 2_000_000


@pytest.fixture
def outputs(tmp_path):
    return make_all(tmp_path / "outputs")


def test_render_all_pages(outputs, tmp_path):
    manifest = {"inputs": [{"file": "/data/ivr_events.csv", "kind": "ivr_events", "read": 10, "used": 9,
                            "rejected": 1}], "date_range": {"start": "2024-01-01", "end": "2024-06-30"}}
    paths = render_reports(tmp_path / "html", ivr_dir=outputs["ivr"], complaints_dir=outputs["complaints"],
                           churn_dir=outputs["churn"], manifest=manifest, strict=True)
    assert set(paths) == {"index", "ivr", "complaints", "churn"}
    pages = {k: p.read_text(encoding="utf-8") for k, p in paths.items()}
    for html in pages.values():
        assert_safe(html)
        assert "本节省略" not in html and "无法绘制" not in html, "a section degraded on complete inputs"
    # index: links, row accounting, date range
    idx = pages["index"]
    for name in ("ivr.html", "complaints.html", "churn.html"):
        assert f'href="{name}"' in idx
    assert "ivr_events.csv" in idx and "2024-01-01 – 2024-06-30" in idx and "自助解决率 70.0%" in idx
    # IVR: KPI cards, segment rows, Sankey, tree, advice with escaped label
    ivr = pages["ivr"]
    assert "77.1%" not in ivr and "70.0%" in ivr and "35.5 秒" in ivr and "动感地带" in ivr
    assert 'class="link"' in ivr and 'class="tree-node"' in ivr
    assert "话费查询 &amp; &lt;b&gt;账单&lt;/b&gt;" in ivr
    assert "&lt;script&gt;" in ivr  # the planted script in the advice reason shows as text
    assert "提升到一级菜单" in ivr and ">promote<" not in ivr  # the Chinese action label, not the code
    # the two transfer columns by their names, the hours, the example link and masked caller, the comparison
    assert "在此要求转人工率" in ivr and "在此接入人工率" in ivr and "01:00–06:00" in ivr
    assert ivr.count('href="#ex-') == 2 and PHONE not in ivr and "日志实测" in ivr and "两组对比" in ivr
    # complaints: distribution, confusion, alert marker, topics
    comp = pages["complaints"]
    assert "网络问题" in comp and "混淆矩阵" in comp and 'class="marker"' in comp and "信号 网速 断网" in comp
    assert "&lt;PHONE&gt;" in comp and "&lt;EMAIL&gt;" in comp
    # churn: quality, combo curves, cohorts, lift
    ch = pages["churn"]
    assert "用量或费用为负数" in ch and "沉默衰退" in ch and "累计提升度" in ch and "AUC" in ch
    assert ch.count('class="ivr-chart"') >= 8
    assert "流失原因与贡献" in ch and "usage_change" in ch and "+0.725" in ch  # mean of +0.85 and +0.60
    assert "领域偏移" in comp and "与训练数据明显不同" in comp and "50.0%" in comp


def test_sections_degrade_with_notes(tmp_path):
    d = make_ivr(tmp_path / "ivr")
    (d / "paths.csv").unlink()
    (d / "hotspots.csv").write_text("garbage,\n\x00\x01", encoding="utf-8")
    html = ivr_page(d, strict=True).render()
    assert "paths.csv" in html and "本节省略" in html
    assert "hotspots.csv lacks column" in html or "hotspots.csv: not readable" in html
    assert 'class="tree-node"' in html  # other sections still render


def test_empty_and_missing_directories(tmp_path):
    (tmp_path / "empty").mkdir()
    for build in (ivr_page, complaints_page, churn_page):
        html = build(tmp_path / "empty", strict=True).render()
        assert html.count("本节省略") >= 3
        html = build(tmp_path / "nope", strict=True).render()
        assert "directory not found" in html


def test_unexpected_error_becomes_note_unless_strict(tmp_path, monkeypatch):
    d = make_ivr(tmp_path / "ivr")
    import importlib

    mod = importlib.import_module("ivr_text.report.ivr")  # the module, not the same-named function

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(mod, "advice_section", boom)
    assert "无法绘制" in ivr_page(d).render() and "kaput" in ivr_page(d).render()
    with pytest.raises(RuntimeError):
        ivr_page(d, strict=True)


def test_path_flows_split_by_outcome():
    paths = pd.DataFrame({"path": ["root > a", "root"], "calls": [100, 10], "complete_share": [0.6, 0.0],
                          "transfer_share": [0.4, 0.0], "hangup_share": [0.0, 1.0], "share": [0.5, 0.05]})
    flows, labels, covered = path_flows(paths, top=5)
    assert (["root", "a", "END:complete"], 60.0) in flows and (["root", "a", "END:transfer"], 40.0) in flows
    assert (["root", "END:hangup"], 10.0) in flows
    assert labels["END:complete"] == "自助完成" and covered == pytest.approx(0.55)


def test_tree_nodes_keep_ancestors_of_busy_nodes():
    nodes = pd.DataFrame({"node": ["root", "m", "leaf", "quiet"], "parent": [None, "root", "m", "root"],
                          "calls": [100, 1, 50, 2], "hangup_rate": [0, 0, 0.1, 0], "transfer_rate": [0] * 4,
                          "transfer_requests": [10, 0, 5, 0]})
    kept = {n.node for n in tree_nodes(nodes, max_nodes=2)}
    assert kept == {"root", "leaf", "m"}  # 'm' is kept as the ancestor of a busy leaf
    leaf = next(n for n in tree_nodes(nodes) if n.node == "leaf")
    assert leaf.transfer_rate == pytest.approx(0.1)  # zero-outs from this node / calls


def test_counts_wide_long_and_wide_forms():
    long = pd.DataFrame({"period": ["2024-02", "2024-01", "2024-01"], "cause": ["a", "a", "b"], "count": [3, 1, 2]})
    w = counts_wide(long)
    assert w.index.tolist() == ["2024-01", "2024-02"] and w.loc["2024-02", "b"] == 0 and w.loc["2024-01", "a"] == 1
    wide = pd.DataFrame({"period": ["2024-01"], "a": [1], "b": [2]})
    assert counts_wide(wide).loc["2024-01", "b"] == 2


def test_cohort_curves_group_by_phase_at_as_of(tmp_path):
    d = make_churn(tmp_path / "churn")
    df = pd.read_csv(d / "customer_periods.csv", encoding="utf-8-sig", dtype={"customer_id": str})
    c = cohort_curves(df, "2024-06")
    jan = c[(c["cohort"] == "silent_decline") & (c["period"] == "2024-01")].iloc[0]
    assert jan["customers"] == 2 and jan["usage_mean"] == pytest.approx(1.0)
    may = c[(c["cohort"] == "silent_decline") & (c["period"] == "2024-05")].iloc[0]
    assert may["usage_mean"] == pytest.approx((60 / 100 + 50 / 80) / 2)


def test_manifest_from_file_and_malformed(tmp_path, outputs):
    out = tmp_path / "html"
    out.mkdir()
    entry = {"file": "a.csv", "read": 5, "used": 3, "rejected": 1}
    (out / "manifest.json").write_text(json.dumps([entry, entry]), encoding="utf-8")
    render_reports(out, churn_dir=outputs["churn"], strict=True)
    idx = (out / "index.html").read_text(encoding="utf-8")
    assert "a.csv" in idx and "✗" in idx and "does not balance" in idx
    assert "共读取 5 行 = 使用 3 + 拒绝 1" in idx  # the same file loaded twice counts once
    html = index_page({}, manifest="not a manifest").render()
    assert "manifest ignored" in html


def test_cli_report(outputs, tmp_path):
    out = tmp_path / "cli"
    res = runner.invoke(app, ["report", "--ivr", str(outputs["ivr"]), "--churn", str(outputs["churn"]),
                              "--complaints", str(outputs["complaints"]), "--out", str(out), "--title", "测试报告"])
    assert res.exit_code == 0, res.output
    assert "index.html" in res.output and (out / "churn.html").exists()
    assert "测试报告" in (out / "index.html").read_text(encoding="utf-8")


def test_cli_report_errors(tmp_path):
    assert runner.invoke(app, ["report", "--out", str(tmp_path)]).exit_code == 2
    res = runner.invoke(app, ["report", "--ivr", str(tmp_path / "missing"), "--out", str(tmp_path)])
    assert res.exit_code == 1 and "error:" in res.output and "directory not found" in res.output
    assert "Example: ivr-text report" in runner.invoke(app, ["report", "--help"]).output



def test_missing_sections_name_the_command_that_fills_them(tmp_path):
    (tmp_path / "empty").mkdir()
    html = churn_page(tmp_path / "empty", strict=True).render()
    assert "written by `ivr-text churn quality`" in html and "written by `ivr-text churn signal`" in html
    assert "ivr-text churn evaluate --out" in html
    assert "written by `ivr-text ivr analyze`" in ivr_page(tmp_path / "empty", strict=True).render()


def test_skipped_churn_rules_are_shown(tmp_path):
    d = make_churn(tmp_path / "churn")
    s = json.loads((d / "signal_summary.json").read_text(encoding="utf-8"))
    s["rules_skipped"] = {"repeated_faults": "feedback has no cause column/values"}
    (d / "signal_summary.json").write_text(json.dumps(s, ensure_ascii=False), encoding="utf-8")
    html = churn_page(d, strict=True).render()
    assert "rules not applied: repeated_faults: feedback has no cause column/values" in html


def test_factor_summary_recounts_by_hand():
    from ivr_text.report.churn import factor_summary, parse_factors

    assert parse_factors("a=1:+0.5;b=-2:-0.25;junk;c=x:1") == [("a", 1.0, 0.5), ("b", -2.0, -0.25)]
    warn = pd.DataFrame({"model_factors": ["a=1:+0.5;b=2:-0.25", "a=3:+0.1", None]})
    fs = factor_summary(warn).set_index("feature")
    assert fs.loc["a", "customers"] == 2 and abs(fs.loc["a", "mean_contribution"] - 0.3) < 1e-12
    assert fs.loc["a", "raises"] == 2 and fs.loc["b", "raises"] == 0 and list(fs.index) == ["a", "b"]


def test_a_folder_with_two_runs_is_refused_never_mixed(tmp_path):
    """Two trend runs side by side: the report names both and writes nothing mixed (CLI: one line, exit 1)."""
    import shutil

    from ivr_text.report.sources import MixedRuns

    c = make_all(tmp_path / "o")["complaints"]
    shutil.copytree(c / "trends", c / "trends_other_world")
    with pytest.raises(MixedRuns) as err:
        render_reports(tmp_path / "html", complaints_dir=c)
    assert "(trends/counts.csv, trends_other_world/counts.csv)" in str(err.value)
    assert not (tmp_path / "html" / "complaints.html").exists()
    r = runner.invoke(app, ["report", "--complaints", str(c), "--out", str(tmp_path / "h2")])
    assert r.exit_code == 1 and "more than one run" in r.output and len(r.output.strip().splitlines()) == 1


def test_predict_beside_evaluate_uses_the_predict_run_and_says_so(tmp_path):
    c = make_all(tmp_path / "o")["complaints"]
    pred = pd.read_csv(c / "classify" / "predictions.csv", encoding="utf-8-sig")
    (c / "predict").mkdir()
    pred.head(2).to_csv(c / "predict" / "predictions.csv", index=False)  # 2 rows: tell the runs apart
    html = complaints_page(c, strict=True).render()
    assert "数据来源 source: predict/predictions.csv" in html and "classify/metrics.json" in html
    assert ">2</div>" in html  # 工单数 from the predict run, not the evaluation's 6


def test_a_measure_the_source_lacks_is_na_with_a_note(tmp_path):
    """Bank call records record no self-service outcome: n/a with the reason, never 自助解决率 0.0%."""
    from ivr_text.report.ivr import ivr_headline

    d = make_ivr(tmp_path / "ivr")
    k = json.loads((d / "kpis.json").read_text(encoding="utf-8"))
    k.update(self_service_rate=None, not_measured={"self_service_rate": "call records have no IVR outcome"})
    for seg in k["by_segment"].values():
        seg["self_service_rate"] = None
    (d / "kpis.json").write_text(json.dumps(k, ensure_ascii=False), encoding="utf-8")
    html = ivr_page(d, strict=True).render()
    assert "n/a" in html and "call records have no IVR outcome" in html
    assert not re.search(r"自助解决率[^<]*</div><div class=\"kpi-value\">0\.0%", html)
    assert ivr_headline(d)[0] == "自助解决率 n/a"


def test_a_section_names_its_run_from_the_manifest(tmp_path):
    d = make_churn(tmp_path / "churn")
    (d / "manifest.json").write_text(json.dumps({"churn_signal": {
        "kind": "churn_signal", "run_id": "abc123def456", "command": "ivr-text churn signal --feedback f.csv",
        "version": "0.1.0", "created_utc": "2026-12-02T20:00:00Z", "files": ["warnings.csv", "signal_summary.json"],
        "inputs": []}}), encoding="utf-8")
    html = churn_page(d, strict=True).render()
    assert "warnings.csv (run abc123def456 · ivr-text churn signal --feedback f.csv · ivr-text 0.1.0 · " \
           "2026-12-02T20:00:00Z)" in html
    assert "quality_report.csv (20" in html  # not in the manifest: its file time
