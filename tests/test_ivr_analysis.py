"""IVR analysis on small hand-computed logs: KPIs, node metrics, hot spots, paths, graph, advice, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ivr_text.errors import InputError
from ivr_text.ivr import analyze_events, load_config, menu_from_data
from ivr_text.ivr.metrics import wilson_lower

COLS = ["call_id", "ts", "node", "event", "key", "segment", "caller_id"]

MENU = menu_from_data({"nodes": [
    {"id": "root", "label": "欢迎", "parent": None, "kind": "menu"},
    {"id": "bill", "label": "话费", "parent": "root", "key": "1", "kind": "service"},
    {"id": "data", "label": "流量", "parent": "root", "key": "2", "kind": "menu"},
    {"id": "pack", "label": "流量包", "parent": "data", "key": "1", "kind": "service"},
    {"id": "agent", "label": "人工", "parent": "root", "key": "0", "kind": "agent"},
]})


def frame(rows):
    df = pd.DataFrame(rows, columns=COLS)
    df["ts"] = pd.to_datetime(df["ts"])
    return df


def ev(call, sec, node, event, key=None, seg="A", caller="u1"):
    return (call, pd.Timestamp("2024-03-01 09:00:00") + pd.Timedelta(seconds=sec), node, event, key, seg, caller)


# c1: root -1-> bill, complete at 20 s            (self-service, 20 s)
# c2: root -2-> data -1-> pack, hangup at 30 s     (abandon at pack)
# c3: root -0-> agent, transfer at 9 s             (transfer, zero-out from root)
# c4: root, no_input, root again (loop), -1-> bill, no terminal   (unknown end)
# c5: root -2-> data, hangup at 12 s, segment B, caller u2, next day
LOG = [
    ev("c1", 0, "root", "enter"), ev("c1", 5, "root", "key", "1"), ev("c1", 6, "bill", "enter"),
    ev("c1", 20, "bill", "complete"),
    ev("c2", 100, "root", "enter"), ev("c2", 104, "root", "key", "2"), ev("c2", 105, "data", "enter"),
    ev("c2", 110, "data", "key", "1"), ev("c2", 111, "pack", "enter"), ev("c2", 130, "pack", "hangup"),
    ev("c3", 3600, "root", "enter"), ev("c3", 3607, "root", "key", "0"), ev("c3", 3608, "agent", "enter"),
    ev("c3", 3609, "agent", "transfer"),
    ev("c4", 200, "root", "enter", caller=None), ev("c4", 210, "root", "no_input", caller=None),
    ev("c4", 211, "root", "enter", caller=None), ev("c4", 215, "root", "key", "1", caller=None),
    ev("c4", 216, "bill", "enter", caller=None),
    ev("c5", 86400 * 3, "root", "enter", seg="B", caller="u2"),
    ev("c5", 86400 * 3 + 4, "root", "key", "2", seg="B", caller="u2"),
    ev("c5", 86400 * 3 + 5, "data", "enter", seg="B", caller="u2"),
    ev("c5", 86400 * 3 + 12, "data", "hangup", seg="B", caller="u2"),
]


@pytest.fixture(scope="module")
def result():
    return analyze_events(frame(LOG), MENU)


def test_kpis_by_hand(result):
    k = result.kpis
    assert k["calls"] == 5
    assert k["self_service_rate"] == pytest.approx(1 / 5)
    assert k["transfer_rate"] == pytest.approx(1 / 5)
    assert k["abandon_rate"] == pytest.approx(2 / 5)
    assert k["unknown_end_rate"] == pytest.approx(1 / 5)
    assert k["mean_self_service_seconds"] == pytest.approx(20)
    assert k["mean_seconds_before_transfer"] == pytest.approx(9)
    # u1 calls at 0 s, 100 s, 3600 s: the first two are followed by another within 24 h; u2 once; c4 anonymous
    assert k["repeat_call_rate"] == pytest.approx(2 / 4)
    assert k["by_segment"]["A"]["calls"] == 4 and k["by_segment"]["B"]["abandon_rate"] == 1.0
    assert k["rows"] == {"read": 23, "used": 23, "rejected": 0, "rejected_by_reason": {},
                         "rows_in_filtered_calls": 23}
    assert k["date_range"]["first_call"].startswith("2024-03-01T09:00")


def test_node_metrics_by_hand(result):
    m = result.node_metrics.set_index("node")
    assert m.loc["root", "visits"] == 6 and m.loc["root", "calls"] == 5 and m.loc["root", "loops"] == 1
    assert m.loc["root", "no_input"] == 1
    assert m.loc["data", "hangups"] == 1 and m.loc["data", "calls"] == 2
    assert m.loc["data", "hangup_rate"] == pytest.approx(0.5)
    assert m.loc["pack", "hangups"] == 1 and m.loc["pack", "depth"] == 2
    assert m.loc["agent", "agent_transfers"] == 1 and m.loc["agent", "agent_transfer_rate"] == 1.0
    assert m.loc["agent", "transfer_requests"] == 0 and m.loc["root", "agent_transfers"] == 0
    # the zero-out is credited to the menu the caller left: 1 of the 5 calls through the root
    assert m.loc["root", "transfer_requests"] == 1 and m.loc["root", "transfer_request_rate"] == pytest.approx(0.2)
    assert m.loc["bill", "completions"] == 1
    assert m.loc["data", "position"] == 2 and m.loc["agent", "position"] == 3  # keys 1, 2, then 0
    # root dwell: c1 6, c2 5, c3 8, c4 11 + 5, c5 5  → 40 / 6 visits
    assert m.loc["root", "mean_seconds"] == pytest.approx(40 / 6)
    assert m.loc["bill", "mean_seconds"] == pytest.approx((14 + 0) / 2)


def test_transitions_match_plain_python_loop(result):
    counts: dict[tuple[str, str], int] = {}
    df = frame(LOG).sort_values(["call_id", "ts"], kind="stable")
    for _, call in df.groupby("call_id"):
        nodes = call.loc[call["event"] == "enter", "node"].tolist()
        for a, b in zip(nodes, nodes[1:]):
            counts[(a, b)] = counts.get((a, b), 0) + 1
        last = call.iloc[-1]
        end = last["event"] if last["event"] in ("complete", "transfer", "hangup") else "unknown"
        src = last["node"] if end != "unknown" else nodes[-1]
        counts[(src, f"END:{end}")] = counts.get((src, f"END:{end}"), 0) + 1
    got = {(s, d): c for s, d, c in result.transitions.itertuples(index=False)}
    assert got == counts
    for (s, d), c in counts.items():
        assert result.graph.edges[s, d]["count"] == c


def test_paths(result):
    p = result.paths
    assert p["calls"].sum() == 5
    top = p.iloc[0]
    assert top["path"] == "root > data" or top["calls"] == 1
    row = p[p["path"] == "root > root > bill"].iloc[0]
    assert row["unknown_share"] == 1.0 and row["labels"] == "欢迎 > 欢迎 > 话费"


def test_hotspots_minimum_volume_guard():
    # node "rare": 3 calls, all hang up; node "busy": 200 calls, 60 hang up → busy must rank first by rate
    rows = []
    for i in range(200):
        c = f"b{i}"
        rows += [ev(c, 10 * i, "root", "enter"), ev(c, 10 * i + 1, "busy", "enter"),
                 ev(c, 10 * i + 2, "busy", "hangup" if i < 60 else "complete")]
    for i in range(3):
        c = f"r{i}"
        rows += [ev(c, 5000 + i, "root", "enter"), ev(c, 5000 + i, "rare", "enter"), ev(c, 5001 + i, "rare", "hangup")]
    hs = analyze_events(frame(rows)).hotspots
    drop = hs[hs["type"] == "drop_off"].set_index("node")
    assert drop.loc["busy", "rank_by_rate"] == 1
    assert pd.isna(drop.loc["rare", "rank_by_rate"]) and not drop.loc["rare", "eligible"]
    assert drop.loc["busy", "rate_lower"] == pytest.approx(float(wilson_lower(60, 200)))


def test_wilson_lower_bound_known_value():
    assert float(wilson_lower(5, 10)) == pytest.approx(0.2366, abs=1e-4)
    assert float(wilson_lower(0, 0)) == 0.0


def test_bad_input_rows_rejected_with_reasons():
    rows = list(LOG)
    rows.append(LOG[2])  # duplicate of c1's enter bill
    rows.append(ev("c1", 30, "bill", "key", "9"))  # after the call ended
    rows.append(ev("c6", 0, "root", "teleport"))  # unknown event type
    rows += [ev("c7", 0, "root", "enter"), ev("c7", 86400, "root", "hangup")]  # clock skew: spans a day
    a = analyze_events(frame(rows), MENU)
    reasons = a.rejected["reason"].tolist()
    assert len(reasons) == 5
    assert any(r.startswith("duplicate event") for r in reasons)
    assert any(r.startswith("event after the call had ended") for r in reasons)
    assert "unknown event type 'teleport'" in reasons
    assert sum(r.startswith("clock skew") for r in reasons) == 2
    assert a.kpis["rows"]["read"] == a.kpis["rows"]["used"] + a.kpis["rows"]["rejected"]
    assert a.kpis["calls"] == 5  # c6 and c7 have no usable row left


def test_out_of_order_rows_are_sorted_stably():
    shuffled = frame(LOG).sample(frac=1, random_state=3)
    a = analyze_events(shuffled, MENU)
    b = analyze_events(frame(LOG), MENU)
    pd.testing.assert_frame_equal(a.node_metrics, b.node_metrics)
    assert a.kpis["self_service_rate"] == b.kpis["self_service_rate"]


def test_missing_menu_nodes_reported_and_menu_inferred():
    rows = LOG + [ev("c9", 0, "root", "enter"), ev("c9", 1, "root", "key", "5"), ev("c9", 2, "ghost", "enter"),
                  ev("c9", 3, "ghost", "complete")]
    a = analyze_events(frame(rows), MENU)
    assert a.kpis["nodes_missing_from_menu"] == ["ghost"] and a.warnings
    inferred = analyze_events(frame(LOG)).menu
    assert inferred.inferred and inferred.nodes["pack"].parent == "data" and inferred.nodes["pack"].key == "1"
    assert inferred.nodes["agent"].kind == "agent" and inferred.nodes["bill"].kind == "service"


def test_filters_and_min_count():
    a = analyze_events(frame(LOG), MENU, segments=["B"])
    assert a.kpis["calls"] == 1 and a.kpis["filters"]["calls_filtered_out"] == 4
    b = analyze_events(frame(LOG), MENU, since="2024-03-02")
    assert b.kpis["calls"] == 1
    c = analyze_events(frame(LOG), MENU, until="2024-03-01")
    assert c.kpis["calls"] == 4
    g = analyze_events(frame(LOG), MENU, min_count=2).graph  # every path is unique: only root remains? none
    assert g.graph["dropped_calls"] == 5 and g.number_of_edges() == 0
    full = analyze_events(frame(LOG), MENU).graph
    assert full.nodes["root"]["hangup_rate"] == 0.0 and full.nodes["data"]["hangups"] == 1


def test_advice_reorders_and_promotes():
    """Root options a (1), b (2), late (3); callers press after 2 + 1.5 × position seconds, enter 1 s later."""
    menu = menu_from_data({"nodes": [
        {"id": "root", "label": "主菜单"}, {"id": "a", "parent": "root", "key": "1", "label": "甲"},
        {"id": "b", "parent": "root", "key": "2", "label": "乙"}, {"id": "late", "parent": "root", "key": "3",
                                                                   "label": "丙", "kind": "service"},
        {"id": "a1", "parent": "a", "key": "1", "label": "甲一", "kind": "service"},
        {"id": "d2", "parent": "b", "key": "1", "label": "乙一", "kind": "service"}]})
    rows, t = [], 0.0
    for i, path in enumerate([["root", "late"]] * 60 + [["root", "b", "d2"]] * 30 + [["root", "a", "a1"]] * 10):
        c, now = f"x{i}", t
        for j, n in enumerate(path):
            rows.append(ev(c, now, n, "enter"))
            if j + 1 < len(path):
                nxt = menu.nodes[path[j + 1]]
                now += 2 + 1.5 * menu.position(nxt.id)
                rows.append(ev(c, now, n, "key", nxt.key))
                now += 1
        rows.append(ev(c, now + 10, path[-1], "complete"))
        t += 100
    a = analyze_events(frame(rows), menu, load_config(advice={"min_calls": 5}))
    timing = a.timings.menus.set_index("menu")
    assert timing.loc["root", "option_seconds"] == pytest.approx(1.5)
    assert timing.loc["root", "intercept_seconds"] == pytest.approx(2.0)
    assert timing.loc["root", "source"] == "measured" and timing.loc["root", "selections"] == 100
    assert timing.loc["a", "source"] == "config"  # one position only: nothing to regress on
    rec = a.recommendations
    reorder = rec[rec["action"] == "reorder options"].iloc[0]
    assert reorder["menu"] == "root" and reorder["proposed_order"] == "late|b|a"
    assert (reorder["node"], reorder["current_position"], reorder["proposed_position"]) == ("late", 3, 1)
    # late 60 × 2 positions up, a 10 × 2 down, b stays: 1.5 s × 100 = 150 s over 100 calls
    assert reorder["net_seconds_total"] == pytest.approx(150) and reorder["net_seconds_per_call"] == pytest.approx(1.5)
    assert reorder["callers_affected"] == 70 and reorder["option_seconds_source"] == "measured"
    # Poisson/multinomial spread: 1.5 × sqrt(60·4 + 10·4 − 100²/100) = 20.12 s
    assert reorder["net_seconds_per_call_low"] == pytest.approx((150 - 1.96 * 1.5 * 180 ** 0.5) / 100)
    promote = rec[rec["action"] == "promote to first level"]
    assert promote["node"].tolist() == ["d2"]  # a1 (10 calls, first branch) gains nothing anywhere
    p = promote.iloc[0]
    # d2's 30 callers skip menu b (3.5 s to the key + 1 s) and press at position 1 instead of 2 (+1.5 s);
    # a (10) and late (60) are pushed down one option: 30 × 6 − 1.5 × 70 = 75 s
    assert p["proposed_position"] == 1 and p["proposed_order"] == "d2|a|b|late"
    assert p["net_seconds_total"] == pytest.approx(75) and p["keys_saved_per_caller"] == 1
    assert p["callers_affected"] == 100 and "乙一" in p["reason"] and "第 1 项" in p["proposed"]
    assert rec["action"].tolist()[:2] == ["reorder options", "promote to first level"]  # by net seconds


def test_bad_menu_is_an_input_error():
    with pytest.raises(InputError, match="parent 'nowhere'"):
        menu_from_data({"nodes": [{"id": "root"}, {"id": "x", "parent": "nowhere"}]})
    with pytest.raises(InputError, match="duplicate node id"):
        menu_from_data({"nodes": [{"id": "root"}, {"id": "root"}]})
    nested = menu_from_data({"root": {"id": "root", "children": [{"id": "a", "key": 1, "children": [{"id": "b"}]}]}})
    assert nested.depth("b") == 2 and nested.nodes["a"].key == "1" and nested.nodes["b"].kind == "service"


def test_empty_after_rejection_does_not_crash():
    a = analyze_events(frame([ev("c1", 0, "root", "warp")]))
    assert a.kpis["calls"] == 0 and a.kpis["rows"]["rejected"] == 1 and a.paths.empty
    assert np.isnan(a.kpis["self_service_rate"] or np.nan)
