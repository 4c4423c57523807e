"""``ivr-text ivr analyze``: outputs, column mapping, exit codes, and property tests on arbitrary bad logs."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ivr_text.cli.main import app
from ivr_text.ivr import analyze_events

runner = CliRunner()

CSV = """CALL,TIME,NODE,EV,KEY,SEG,CALLER
a,2024-01-01 10:00:00,root,enter,,A,u1
a,2024-01-01 10:00:05,root,key,1,A,u1
a,2024-01-01 10:00:06,bill,enter,,A,u1
a,2024-01-01 10:00:30,bill,complete,,A,u1
b,2024-01-01 10:01:00,root,enter,,B,u2
b,2024-01-01 10:01:09,root,HANGUP,,B,u2
c,2024-01-01 10:02:00,root,enter,,A,u3
c,2024-01-01 10:02:00,root,enter,,A,u3
c,not a time,root,key,1,A,u3
c,2024-01-01 10:02:04,root,fly,,A,u3
"""
MAP = ["--map", "call_id=CALL", "--map", "ts=TIME", "--map", "node=NODE", "--map", "event=EV", "--map", "key=KEY",
       "--map", "segment=SEG", "--map", "caller_id=CALLER"]


def test_analyze_writes_every_output(tmp_path):
    src = tmp_path / "log.csv"
    src.write_text(CSV, encoding="utf-8")
    out = tmp_path / "out"
    r = runner.invoke(app, ["ivr", "analyze", str(src), "--out", str(out), *MAP])
    assert r.exit_code == 0, r.output
    assert "read 10 = used 7 + rejected 3" in r.output and "IVR KPIs" in r.output
    k = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert k["calls"] == 3 and k["self_service_rate"] == 1 / 3 and k["abandon_rate"] == 1 / 3
    assert k["rows"]["read"] == 10 and k["rows"]["rejected"] == 3
    rej = pd.read_csv(out / "rejected_ivr_events.csv")
    assert len(rej) == 3 and rej["reason"].str.contains("unknown event type 'fly'").any()
    assert rej["reason"].str.contains("duplicate event").any()
    nm = pd.read_csv(out / "node_metrics.csv")
    assert {"node", "label", "depth", "position", "visits", "calls", "hangups", "hangup_rate", "transfer_requests",
            "transfer_request_rate", "agent_transfers", "agent_transfer_rate", "completions", "no_input", "no_match",
            "loops", "mean_seconds"} <= set(nm.columns)
    for name in ("hotspots.csv", "paths.csv", "recommendations.csv", "option_timings.csv", "by_hour.csv",
                 "by_weekday.csv", "by_period.csv", "examples.csv"):
        assert (out / name).exists()
    g = nx.read_graphml(out / "graph.graphml")
    assert g.edges["root", "bill"]["count"] == 1
    assert nx.read_gexf(out / "graph.gexf").number_of_nodes() == g.number_of_nodes()
    assert json.loads((out / "graph.json").read_text(encoding="utf-8"))["links"]


def test_analyze_with_menu_and_segment_filter(tmp_path):
    src = tmp_path / "log.csv"
    src.write_text(CSV, encoding="utf-8")
    menu = tmp_path / "menu.yaml"
    menu.write_text("nodes:\n- {id: root, label: 欢迎}\n- {id: bill, label: 话费查询, parent: root, key: '1', "
                    "kind: service}\n", encoding="utf-8")
    out = tmp_path / "o"
    r = runner.invoke(app, ["ivr", "analyze", str(src), "--menu", str(menu), "--segment", "A", "--out", str(out),
                            *MAP])
    assert r.exit_code == 0, r.output
    k = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    assert k["calls"] == 2 and k["filters"]["calls_filtered_out"] == 1
    assert "话费查询" in (out / "paths.csv").read_text(encoding="utf-8-sig")


def test_bad_input_exit_codes(tmp_path):
    src = tmp_path / "log.csv"
    src.write_text("call_id,ts,node\n1,2024-01-01,root\n", encoding="utf-8")
    r = runner.invoke(app, ["ivr", "analyze", str(src), "--out", str(tmp_path / "o")])
    assert r.exit_code == 1 and "missing required column 'event'" in r.output
    r = runner.invoke(app, ["ivr", "analyze", str(tmp_path / "nope.csv")])
    assert r.exit_code == 1 and "file not found" in r.output
    bad_menu = tmp_path / "m.yaml"
    bad_menu.write_text("nodes:\n- {id: a, parent: b}\n", encoding="utf-8")
    good = tmp_path / "g.csv"
    good.write_text(CSV, encoding="utf-8")
    r = runner.invoke(app, ["ivr", "analyze", str(good), "--menu", str(bad_menu), *MAP])
    assert r.exit_code == 1 and "parent 'b'" in r.output
    r = runner.invoke(app, ["ivr", "analyze", str(good), "--strict", "--out", str(tmp_path / "s"), *MAP])
    assert r.exit_code == 1 and "error:" in r.output
    assert runner.invoke(app, ["ivr", "analyze", str(good), "--min-count", "0"]).exit_code == 2


EVENTS = st.sampled_from(["enter", "key", "no_input", "no_match", "transfer", "hangup", "complete", "bogus", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["c1", "c2", "c3"]), st.integers(0, 20000),
                          st.sampled_from(["root", "a", "b", "a1"]), EVENTS), max_size=40))
def test_any_log_keeps_the_accounting(rows):
    df = pd.DataFrame(rows, columns=["call_id", "sec", "node", "event"])
    df["ts"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(df["sec"], unit="s")
    a = analyze_events(df.drop(columns="sec"))
    r = a.kpis["rows"]
    assert r["read"] == len(df) == r["used"] + r["rejected"]
    k = a.kpis
    if k["calls"]:
        total = k["self_service_rate"] + k["transfer_rate"] + k["abandon_rate"] + k["unknown_end_rate"]
        assert abs(total - 1) < 1e-9
    assert a.node_metrics["visits"].sum() == (df.drop(a.rejected_positions)["event"] == "enter").sum()
    assert a.paths["calls"].sum() <= max(k["calls"], 0)
