"""IVR analysis on other hand-built worlds: deep and wide menus, agent nodes named differently, loops back to the
main menu, time-outs, one-event calls, and the wording of the advice (Chinese by default, config as data)."""

from __future__ import annotations

import pandas as pd
import pytest

from ivr_text.errors import InputError
from ivr_text.ivr import analyze_events, load_config, menu_from_data

COLS = ["call_id", "ts", "node", "event", "key", "segment", "caller_id"]
T0 = pd.Timestamp("2024-05-01 08:00:00")


def calls(spec, key_delay=None):
    """Rows for ``[(path, end, count), ...]``: enter each node (key pressed at the previous one), then ``end``
    (``complete`` / ``transfer`` / ``hangup`` / ``timeout-hangup`` / ``none``) at the last node. The key is
    pressed 5 s after entering a node, or ``key_delay(key)`` seconds."""
    rows, n = [], 0
    for path, end, count in spec:
        for _ in range(count):
            n += 1
            cid, t = f"{n:05d}", T0 + pd.Timedelta(minutes=n)
            for j, (node, key) in enumerate(path):
                if j:
                    if key_delay is not None:
                        t += pd.Timedelta(seconds=key_delay(key) - 5)
                    rows.append((cid, t, path[j - 1][0], "key", key, "S", f"0{n % 50:03d}"))
                    t += pd.Timedelta(seconds=1)
                rows.append((cid, t, node, "enter", None, "S", f"0{n % 50:03d}"))
                t += pd.Timedelta(seconds=5)
            last, final = path[-1][0], end
            if end == "timeout-hangup":
                rows.append((cid, t, last, "timeout", None, "S", f"0{n % 50:03d}"))
                t += pd.Timedelta(seconds=5)
                final = "hangup"
            if final != "none":
                rows.append((cid, t, last, final, None, "S", f"0{n % 50:03d}"))
    return pd.DataFrame(rows, columns=COLS)


DEEP = [("root", None), ("m1", "1"), ("d2", "1"), ("d3", "1"), ("d4", "1"), ("d5", "1")]
WORLD = [
    ([("root", None), ("m9", "9")], "complete", 400),   # option 9 carries the traffic
    (DEEP, "complete", 200),                            # a popular service 5 levels down
    ([("root", None), ("m2", "2")], "hangup", 100),     # everyone hangs up at option 2
    ([("root", None), ("m3", "3")], "complete", 50),
    ([("root", None), ("人工", "0")], "transfer", 100),  # agent node with a Chinese name
    ([("root", None), ("查询", "#")], "complete", 50),
    ([("root", None), ("m1", "1"), ("root", "*"), ("m4", "4")], "complete", 50),  # back to the main menu with *
    ([("root", None)], "timeout-hangup", 50),
]
NESTED_MENU = {"root": {"id": "root", "label": "欢迎致电", "children": [
    {"id": "m1", "key": 1, "label": "业务1", "children": [
        {"id": "d2", "key": 1, "label": "深层2", "children": [
            {"id": "d3", "key": 1, "children": [{"id": "d4", "key": 1, "children": [
                {"id": "d5", "key": 1, "label": "深层5"}]}]}]}]},
    *[{"id": f"m{k}", "key": k, "label": f"业务{k}"} for k in range(2, 10)],
    {"id": "人工", "key": 0, "label": "人工服务"}, {"id": "重听", "key": "*"}, {"id": "查询", "key": "#"}]}}


@pytest.fixture(scope="module")
def world():
    return calls(WORLD)


def test_inferred_deep_wide_menu(world):
    a = analyze_events(world)
    m = a.menu
    assert m.depth("d5") == 5 and m.nodes["d5"].parent == "d4" and m.nodes["d2"].key == "1"
    assert m.nodes["root"].key is None  # '*' pressed in m1 to go back is not the root's key
    assert m.nodes["查询"].key == "#" and m.nodes["人工"].kind == "agent"
    nm = a.node_metrics.set_index("node")
    assert nm.loc["root", "visits"] == 1050 and nm.loc["root", "calls"] == 1000 and nm.loc["root", "loops"] == 50
    assert nm.loc["root", "no_input"] == 50 and nm.loc["root", "hangups"] == 50
    assert nm.loc["root", "transfer_requests"] == 100 and nm.loc["人工", "transfer_requests"] == 0
    k = a.kpis
    assert k["calls"] == 1000 and k["outcome_counts"] == {"complete": 750, "transfer": 100, "hangup": 150,
                                                           "unknown": 0}
    assert k["mean_seconds_before_transfer"] == pytest.approx(11.0)  # root 5 s + key 1 s + agent 5 s


def test_given_menu_agent_leaf_without_kind_is_an_agent(world):
    a = analyze_events(world, menu_from_data(NESTED_MENU))
    assert a.menu.nodes["人工"].kind == "agent" and a.menu.nodes["m9"].kind == "service"
    hot = a.hotspots[a.hotspots["type"] == "transfer"]
    assert hot["node"].tolist() == ["root"]  # the zero-out is credited to the menu the caller left
    assert "review zero-out" not in set(a.recommendations["action"])
    # a kind the menu states is kept
    explicit = {"nodes": [{"id": "root"}, {"id": "客服", "parent": "root", "kind": "service"}]}
    one = calls([([("root", None), ("客服", "1")], "transfer", 3)])
    assert analyze_events(one, menu_from_data(explicit)).menu.nodes["客服"].kind == "service"


def test_agent_names_are_config():
    log = calls([([("root", None), ("seat", "0")], "complete", 3)])
    cfg = load_config(agent_node_names=["seat"])
    assert analyze_events(log, config=cfg).menu.nodes["seat"].kind == "agent"
    assert analyze_events(log).menu.nodes["seat"].kind == "service"


def test_advice_in_chinese_with_codes_kept():
    world = calls(WORLD, key_delay=lambda key: 2 + "1234567890*#".index(key))  # 1 s more per later option
    rec = analyze_events(world, menu_from_data(NESTED_MENU)).recommendations
    assert {"action", "action_label", "reason", "proposed"} <= set(rec.columns)
    first = rec.iloc[0]
    assert first["action"] == "reorder options" and first["action_label"] == "调整选项顺序"
    assert first["node"] == "m9" and (first["current_position"], first["proposed_position"]) == (9, 1)
    assert first["proposed_order"].startswith("m9|m1|m2|m3|m4|查询|") and "「欢迎致电」" in first["reason"]
    assert first["option_seconds"] == pytest.approx(1.0) and first["option_seconds_source"] == "measured"
    assert "promote to first level" not in set(rec["action"])  # keys 1–9 of the first level are all taken
    import copy

    eight = copy.deepcopy(NESTED_MENU)  # without 业务8: key 8 is free for a promoted option
    eight["root"]["children"] = [c for c in eight["root"]["children"] if c["id"] != "m8"]
    promoted = analyze_events(world, menu_from_data(eight)).recommendations
    promote = promoted[promoted["action"] == "promote to first level"].iloc[0]
    assert promote["node"] == "d5" and "第 5 层" in promote["reason"] and "少按 4 次键" in promote["reason"]
    drop = rec[rec["action"] == "review drop-off"].iloc[0]
    assert drop["node"] == "m2" and "95% 置信度" in drop["reason"]
    assert not rec["reason"].str.contains(r"[A-Za-z]{3,}", regex=True).any()  # no English sentence left


def test_advice_wording_from_config(world):
    texts = load_config().advice_text
    texts["review drop-off"] = {"label": "drop-off", "proposed": "",
                                "reason": "{rate} of {calls} calls hang up at {node} ({confidence} conf.)"}
    cfg = load_config(advice_text=texts, hotspots={"wilson_z": 2.576})
    rec = analyze_events(world, config=cfg).recommendations
    drop = rec[rec["action"] == "review drop-off"].iloc[0]
    assert drop["reason"] == "100% of 100 calls hang up at m2 (99% conf.)" and drop["action_label"] == "drop-off"
    texts["review drop-off"]["reason"] = "{nodes} hang up"
    with pytest.raises(InputError, match=r"unknown placeholder \{nodes\}"):
        analyze_events(world, config=load_config(advice_text=texts))
    with pytest.raises(InputError, match="unknown setting 'advice_text.fly'"):
        load_config(advice_text={"fly": {"reason": ""}})


def test_one_event_calls_and_unknown_ends():
    log = calls([([("root", None)], "none", 2), ([("root", None), ("a", "1")], "none", 1)])
    a = analyze_events(log)
    assert a.kpis["calls"] == 3 and a.kpis["unknown_end_rate"] == 1.0
    nm = a.node_metrics.set_index("node")
    assert nm.loc["root", "calls"] == 3 and nm.loc["a", "calls"] == 1
    assert a.paths["calls"].tolist() == [2, 1]


def test_no_usable_calls_warns():
    bad = calls([([("root", None)], "complete", 2)])
    bad["event"] = "teleport"
    a = analyze_events(bad)
    assert a.kpis["calls"] == 0 and any("no usable calls" in w for w in a.warnings)


def test_positions_known_only_where_the_prompt_order_is():
    given = menu_from_data({"nodes": [{"id": "root"}, {"id": "z", "parent": "root"}, {"id": "a", "parent": "root"},
                                      {"id": "k", "parent": "root", "key": "2"}]})
    # keyed options first in key order, keyless ones in file order; the root is no option
    assert [given.position(n) for n in ("k", "z", "a")] == [1, 2, 3] and given.position("root") is None
    log = calls([([("root", None), ("z", None)], "complete", 40), ([("root", None), ("a", None)], "complete", 5)])
    log = log[log["event"] != "key"]  # a log without key presses: the prompt order is unknown
    a = analyze_events(log, config=load_config(advice={"min_calls": 5, "late_position": 1}))
    assert a.node_metrics["position"].isna().all()
    assert a.recommendations.empty or not a.recommendations["action"].isin(
        ["reorder options", "announce earlier"]).any()


def test_analysis_recovers_the_planted_facts_of_a_simulated_world():
    """20,000 simulated calls: the planted high hang-up nodes are the top drop-off hot spots and every planted
    popular-but-deep-or-late service gets promotion or earlier-announcement advice."""
    from ivr_text import samples as S
    from ivr_text.ivr import analyze_events, menu_from_data

    world = S.simulate_ivr(20000, seed=11)
    analysis = analyze_events(world.events, menu_from_data(S.build_menu()))
    hs = analysis.hotspots
    drop = hs[(hs["type"] == "drop_off") & hs["eligible"]].sort_values("rank_by_rate")
    planted = set(S.PARAMS["planted_hangup_nodes"])
    assert set(drop["node"].head(len(planted))) == planted
    rec = analysis.recommendations
    advised = set(rec.loc[rec["action"].isin(["promote to first level", "announce earlier"]), "node"])
    m = S._menu_arrays()
    services = {t for t, pop in S.PARAMS["target_popularity"].items() if t in m.ids and t != "agent" and pop >= 3
                and (m.depth[m.ids.index(t)] >= 3 or m.position[m.ids.index(t)] >= 3)}
    assert len(services) >= 5 and services <= advised


def test_event_spellings_ignore_case_spaces_and_separators():
    import pandas as pd

    from ivr_text.ivr import analyze_events

    ev = pd.DataFrame({"call_id": ["a", "a", "b", "b", "c", "c"],
                       "ts": pd.to_datetime(["2024-01-01 10:00:00", "2024-01-01 10:00:09"] * 3),
                       "node": ["root"] * 6,
                       "event": ["Play Prompt", "Hang Up", "ENTER", "Transfer-To-Agent", "进入", "自助完成"]})
    k = analyze_events(ev).kpis
    assert (k["calls"], k["transfer_rate"], k["abandon_rate"], k["self_service_rate"]) == (3, 1 / 3, 1 / 3, 1 / 3)


def test_control_characters_in_node_names_do_not_break_graph_files(tmp_path):
    import pandas as pd
    from xml.etree import ElementTree

    from ivr_text.ivr import analyze_events
    from ivr_text.ivr.graph import write_graph

    ev = pd.DataFrame({"call_id": ["a", "a", "a", "b", "b"],
                       "ts": pd.to_datetime(["2024-01-01 10:00:0%d" % i for i in range(5)]),
                       "node": ["root", "bi\x01ll", "bi\x01ll", "root", "bi\x02ll"],
                       "event": ["enter", "enter", "hangup", "enter", "complete"]})
    paths = write_graph(analyze_events(ev).graph, tmp_path)
    for p in paths[:2]:
        text = p.read_text(encoding="utf-8")
        ElementTree.fromstring(text.encode("utf-8"))  # well-formed XML
        assert "bi\\x01ll" in text and "bi\\x02ll" in text
